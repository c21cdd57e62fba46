/*
 * NAME
 *	confdoc.c - lossless configuration documents (see <msmigrate/confdoc.h>)
 * SUMMARY
 *	The node list, serialisation, lookup and change of entries, and the
 *	table of formats. Each format's parser lives in its own module
 *	(conf-keyvalue.c, conf-mta.c, conf-other.c).
 * DESCRIPTION
 *	After a format's parser ran, msm_confdoc_parse() checks that the nodes
 *	cover the input exactly (their raw bytes concatenated equal it): a
 *	parser bug can never lose or duplicate a byte silently.
 *
 *	Lookups (msm_confdoc_find, set, remove) go through an identity index
 *	(first ENTRY per section+key, folded for case-insensitive formats),
 *	built on the first lookup and kept up to date by add_node, set and
 *	remove: O(1) instead of a scan; a new entry's place (the last entry
 *	or header of its section, confdoc_place_new() in confdoc-priv.h, also
 *	used by the MTA renderers) comes from the same index, so merging a
 *	100,000-entry mappings file stays linear (tests/bench/config-merge). Callers must not change
 *	an ENTRY node's section or key in place (values and raw bytes are
 *	free to change): remove it and set the new identity instead; a node
 *	changed anyway is never returned for an identity it no longer has.
 * DIAGNOSTICS
 *	"name:line: ..." for warnings and errors.
 */
#include "config.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include "confdoc-priv.h"

#include <stdarg.h>
#include <string.h>

struct MsmConfDoc {
    const MsmConfFormat *format;
    char *name;
    GPtrArray *nodes;    /* MsmConfNode* */
    GPtrArray *warnings; /* char* */
    /* The first ENTRY node of each identity, hashed by the identity itself
     * (node_hash/node_equal: no key strings are allocated); dups counts the
     * nodes of an identity that has more than one (first node -> count).
     * Built on the first lookup, then kept up to date by add_node, set and
     * remove, so lookups are O(1) and a merge stays linear. */
    GHashTable *index;
    GHashTable *dups;
    /* Placement of new entries (built with the index): section (folded) -> its last
     * ENTRY node and its last SECTION header; the first SECTION node; and a hint,
     * the index of the node last inserted, so that its position is found in O(1). */
    GHashTable *sec_last;
    GHashTable *sec_header;
    MsmConfNode *first_section;
    guint hint;
};

static void index_add(MsmConfDoc *doc, MsmConfNode *n);
static void index_build(MsmConfDoc *doc);
static void place_note(MsmConfDoc *doc, MsmConfNode *n);

/* The formats, most specific file names first (the first match wins). */
extern const MsmConfFormat msm_conf_format_configutil;
extern const MsmConfFormat msm_conf_format_option_dat;
extern const MsmConfFormat msm_conf_format_imta_tailor;
extern const MsmConfFormat msm_conf_format_backup_groups;
extern const MsmConfFormat msm_conf_format_job_controller;
extern const MsmConfFormat msm_conf_format_dispatcher;
extern const MsmConfFormat msm_conf_format_channel_option;
extern const MsmConfFormat msm_conf_format_imta_cnf;
extern const MsmConfFormat msm_conf_format_mappings;
extern const MsmConfFormat msm_conf_format_aliases;
extern const MsmConfFormat msm_conf_format_conversions;
extern const MsmConfFormat msm_conf_format_internet_rules;
extern const MsmConfFormat msm_conf_format_headers_opt;
extern const MsmConfFormat msm_conf_format_sims_cnf;
extern const MsmConfFormat msm_conf_format_mmp_cfg;
extern const MsmConfFormat msm_conf_format_config_xml;
extern const MsmConfFormat msm_conf_format_restricted_cnf;
extern const MsmConfFormat msm_conf_format_nsmsgcfg_ldif;

static const MsmConfFormat *const formats[] = {
    &msm_conf_format_configutil,  &msm_conf_format_option_dat,
    &msm_conf_format_imta_tailor, &msm_conf_format_backup_groups,
    &msm_conf_format_job_controller, &msm_conf_format_dispatcher,
    &msm_conf_format_imta_cnf,    &msm_conf_format_mappings,
    &msm_conf_format_aliases,     &msm_conf_format_conversions,
    &msm_conf_format_internet_rules, &msm_conf_format_headers_opt,
    &msm_conf_format_channel_option, &msm_conf_format_sims_cnf,
    &msm_conf_format_restricted_cnf, &msm_conf_format_config_xml,
    &msm_conf_format_nsmsgcfg_ldif, &msm_conf_format_mmp_cfg,
    NULL,
};

const MsmConfFormat *const *
msm_conf_formats(void)
{
    return formats;
}

const MsmConfFormat *
msm_conf_format_find(const char *name)
{
    for (const MsmConfFormat *const *f = formats; *f; f++)
        if (strcmp((*f)->name, name) == 0)
            return *f;
    return NULL;
}

const MsmConfFormat *
msm_conf_format_for_file(const char *relpath)
{
    const char *slash = strrchr(relpath, '/');
    const char *base = slash ? slash + 1 : relpath;
    for (const MsmConfFormat *const *f = formats; *f; f++)
        for (const char *const *p = (*f)->files; p && *p; p++)
            if (g_pattern_match_simple(*p, base))
                return *f;
    return NULL;
}

static void
node_free(gpointer p)
{
    MsmConfNode *n = p;
    g_string_free(n->raw, TRUE);
    g_free(n->section);
    g_free(n->key);
    g_free(n->value);
    g_free(n);
}

MsmConfDoc *
msm_confdoc_new(const MsmConfFormat *fmt, const char *name)
{
    MsmConfDoc *doc = g_new0(MsmConfDoc, 1);
    doc->format = fmt;
    doc->name = g_strdup(name ? name : fmt->name);
    doc->nodes = g_ptr_array_new_with_free_func(node_free);
    doc->warnings = g_ptr_array_new_with_free_func(g_free);
    return doc;
}

void
msm_confdoc_free(MsmConfDoc *doc)
{
    if (doc == NULL)
        return;
    if (doc->index)
        g_hash_table_unref(doc->index);
    if (doc->dups)
        g_hash_table_unref(doc->dups);
    if (doc->sec_last)
        g_hash_table_unref(doc->sec_last);
    if (doc->sec_header)
        g_hash_table_unref(doc->sec_header);
    g_ptr_array_unref(doc->nodes);
    g_ptr_array_unref(doc->warnings);
    g_free(doc->name);
    g_free(doc);
}

const MsmConfFormat *
msm_confdoc_format(const MsmConfDoc *doc)
{
    return doc->format;
}

const char *
msm_confdoc_name(const MsmConfDoc *doc)
{
    return doc->name;
}

GArray *
msm_conf_split_lines(const char *text, gsize len)
{
    /* sized up front (a large array grown by doubling makes malloc consolidate) */
    guint count = 1;
    for (const char *p = text, *end = text + len;
         p < end && (p = memchr(p, '\n', (gsize)(end - p))) != NULL; p++)
        count++;
    GArray *lines = g_array_sized_new(FALSE, FALSE, sizeof(MsmConfLine), count);
    gsize i = 0;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        MsmConfLine l;
        l.start = text + i;
        if (nl) {
            l.len = (gsize)(nl - (text + i)) + 1;
            l.text_len = l.len - 1;
            if (l.text_len > 0 && l.start[l.text_len - 1] == '\r')
                l.text_len--;
        } else {
            l.len = len - i;
            l.text_len = l.len;
        }
        g_array_append_val(lines, l);
        i += l.len;
    }
    return lines;
}

MsmConfNode *
msm_confdoc_add_node(MsmConfDoc *doc, MsmConfNodeType type, const char *raw, gsize len,
                     guint line, guint nlines, const char *section, const char *key,
                     const char *value)
{
    MsmConfNode *n = g_new0(MsmConfNode, 1);
    n->type = type;
    n->raw = g_string_new_len(raw, (gssize)len);
    n->line = line;
    n->nlines = nlines;
    n->section = g_strdup(section ? section : "");
    n->key = g_strdup(key);
    n->value = g_strdup(value);
    g_ptr_array_add(doc->nodes, n);
    if (doc->index && type == MSM_CONF_ENTRY)
        index_add(doc, n);
    if (doc->index)
        place_note(doc, n);
    return n;
}

void
msm_confdoc_warn(MsmConfDoc *doc, guint line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_ptr_array_add(doc->warnings, g_strdup_printf("%s:%u: %s", doc->name, line, msg));
    g_free(msg);
}

GPtrArray *
msm_confdoc_warnings(const MsmConfDoc *doc)
{
    return doc->warnings;
}

MsmConfDoc *
msm_confdoc_parse(const MsmConfFormat *fmt, const char *name, const char *data, gsize len,
                  GError **error)
{
    MsmConfDoc *doc = msm_confdoc_new(fmt, name);
    /* about one node per line: reserve them (see msm_conf_split_lines) */
    guint count = 1;
    for (const char *p = data, *end = data + len; p && p < end &&
                                                  (p = memchr(p, '\n', (gsize)(end - p)));
         p++)
        count++;
    g_ptr_array_unref(doc->nodes);
    doc->nodes = g_ptr_array_new_full(count, node_free);
    if (!fmt->parse(doc, data, len, error)) {
        msm_confdoc_free(doc);
        return NULL;
    }
    /* The nodes must cover the input exactly, in order. */
    gsize off = 0;
    for (guint i = 0; i < doc->nodes->len; i++) {
        const MsmConfNode *n = doc->nodes->pdata[i];
        if (off + n->raw->len > len || memcmp(data + off, n->raw->str, n->raw->len) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s:%u: the %s parser did not keep the file byte for byte (a bug in "
                        "msmigrate: please report it with the file)",
                        doc->name, n->line, fmt->name);
            msm_confdoc_free(doc);
            return NULL;
        }
        off += n->raw->len;
    }
    if (off != len) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: the %s parser left %" G_GSIZE_FORMAT " bytes at the end unaccounted "
                    "for (a bug in msmigrate: please report it with the file)",
                    doc->name, fmt->name, len - off);
        msm_confdoc_free(doc);
        return NULL;
    }
    return doc;
}

GBytes *
msm_confdoc_serialize(const MsmConfDoc *doc)
{
    gsize total = 0;
    for (guint i = 0; i < doc->nodes->len; i++)
        total += ((const MsmConfNode *)doc->nodes->pdata[i])->raw->len;
    GString *s = g_string_sized_new(total + 1); /* one allocation, however large */
    for (guint i = 0; i < doc->nodes->len; i++) {
        const MsmConfNode *n = doc->nodes->pdata[i];
        g_string_append_len(s, n->raw->str, (gssize)n->raw->len);
    }
    return g_string_free_to_bytes(s);
}

guint
msm_confdoc_n_nodes(const MsmConfDoc *doc)
{
    return doc->nodes->len;
}

MsmConfNode *
msm_confdoc_node(const MsmConfDoc *doc, guint i)
{
    return i < doc->nodes->len ? doc->nodes->pdata[i] : NULL;
}

static gboolean
key_equal(const MsmConfDoc *doc, const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return doc->format->keys_case_insensitive ? g_ascii_strcasecmp(a, b) == 0
                                              : strcmp(a, b) == 0;
}

static gboolean
section_equal(const MsmConfDoc *doc, const char *a, const char *b)
{
    return key_equal(doc, a ? a : "", b ? b : "");
}

/* Hash of a node's identity (section, key), folded or not. */
static guint
identity_hash(const MsmConfNode *n, gboolean fold)
{
    guint h = 5381;
    for (const char *p = n->section ? n->section : ""; *p; p++)
        h = h * 33 + (guchar)(fold ? g_ascii_tolower(*p) : *p);
    h = h * 33 + 0x1f;
    if (n->key == NULL)
        return h * 33 + 0x1e;
    for (const char *p = n->key; *p; p++)
        h = h * 33 + (guchar)(fold ? g_ascii_tolower(*p) : *p);
    return h;
}

static guint
node_hash(gconstpointer a)
{
    return identity_hash(a, FALSE);
}

static guint
node_hash_fold(gconstpointer a)
{
    return identity_hash(a, TRUE);
}

static gboolean
node_equal(gconstpointer a, gconstpointer b)
{
    const MsmConfNode *x = a, *y = b;
    return strcmp(x->section ? x->section : "", y->section ? y->section : "") == 0 &&
           (x->key == NULL || y->key == NULL ? x->key == y->key : strcmp(x->key, y->key) == 0);
}

static gboolean
node_equal_fold(gconstpointer a, gconstpointer b)
{
    const MsmConfNode *x = a, *y = b;
    return g_ascii_strcasecmp(x->section ? x->section : "", y->section ? y->section : "") == 0 &&
           (x->key == NULL || y->key == NULL ? x->key == y->key
                                             : g_ascii_strcasecmp(x->key, y->key) == 0);
}

/* Records an ENTRY node that comes after every node of its identity already indexed. */
static void
index_add(MsmConfDoc *doc, MsmConfNode *n)
{
    MsmConfNode *first = g_hash_table_lookup(doc->index, n);
    if (first == NULL) {
        g_hash_table_insert(doc->index, n, n);
        return;
    }
    guint c = GPOINTER_TO_UINT(g_hash_table_lookup(doc->dups, first));
    g_hash_table_insert(doc->dups, first, GUINT_TO_POINTER(c ? c + 1 : 2));
}

/* The map key of a section: folded for case-insensitive formats. (transfer full) */
static char *
section_id(const MsmConfDoc *doc, const char *section)
{
    return doc->format->keys_case_insensitive ? g_ascii_strdown(section ? section : "", -1)
                                              : g_strdup(section ? section : "");
}

/* Records node n, now the last node of its kind for its section in document order. */
static void
place_note(MsmConfDoc *doc, MsmConfNode *n)
{
    if (n->type == MSM_CONF_ENTRY) {
        g_hash_table_replace(doc->sec_last, section_id(doc, n->section), n);
    } else if (n->type == MSM_CONF_SECTION) {
        g_hash_table_replace(doc->sec_header, section_id(doc, n->key), n);
        if (doc->first_section == NULL)
            doc->first_section = n;
    }
}

/* The index of node in the document (the hint first, else a pointer scan), or -1. */
static gint
pos_of(const MsmConfDoc *cdoc, const MsmConfNode *node)
{
    MsmConfDoc *doc = (MsmConfDoc *)cdoc;
    if (node == NULL)
        return -1;
    for (guint h = doc->hint > 0 ? doc->hint - 1 : 0; h <= doc->hint + 1 && h < doc->nodes->len;
         h++)
        if (doc->nodes->pdata[h] == node) {
            doc->hint = h;
            return (gint)h;
        }
    guint i = 0;
    if (!g_ptr_array_find(doc->nodes, node, &i))
        return -1;
    doc->hint = i;
    return (gint)i;
}

static void
index_build(MsmConfDoc *doc)
{
    if (doc->index)
        g_hash_table_unref(doc->index);
    if (doc->dups)
        g_hash_table_unref(doc->dups);
    gboolean fold = doc->format->keys_case_insensitive;
    doc->index = g_hash_table_new(fold ? node_hash_fold : node_hash,
                                  fold ? node_equal_fold : node_equal);
    doc->dups = g_hash_table_new(g_direct_hash, g_direct_equal);
    if (doc->sec_last)
        g_hash_table_unref(doc->sec_last);
    if (doc->sec_header)
        g_hash_table_unref(doc->sec_header);
    doc->sec_last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    doc->sec_header = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    doc->first_section = NULL;
    for (guint i = 0; i < doc->nodes->len; i++) {
        MsmConfNode *n = doc->nodes->pdata[i];
        if (n->type == MSM_CONF_ENTRY)
            index_add(doc, n);
        place_note(doc, n);
    }
}

/* The first ENTRY with this identity, through the index (built on first use). */
static MsmConfNode *
find_node(const MsmConfDoc *cdoc, const char *section, const char *key)
{
    MsmConfDoc *doc = (MsmConfDoc *)cdoc; /* the index is a cache */
    if (doc->index == NULL)
        index_build(doc);
    MsmConfNode probe = {.section = (char *)(section ? section : ""), .key = (char *)key};
    MsmConfNode *n = g_hash_table_lookup(doc->index, &probe);
    if (n && (n->type != MSM_CONF_ENTRY || !section_equal(doc, n->section, section) ||
              !key_equal(doc, n->key, key))) {
        /* a node was changed behind the document's back: rebuild once */
        index_build(doc);
        n = g_hash_table_lookup(doc->index, &probe);
    }
    return n;
}

/* Records an entry msm_confdoc_set() just inserted at position pos. */
static void
index_add_if_built(MsmConfDoc *doc, MsmConfNode *n, guint pos)
{
    if (doc->index == NULL)
        return;
    index_add(doc, n);
    place_note(doc, n);
    doc->hint = pos;
}

gint
confdoc_place_new(const MsmConfDoc *cdoc, const char *section, gint *first_section_r)
{
    MsmConfDoc *doc = (MsmConfDoc *)cdoc; /* the index is a cache */
    if (doc->index == NULL)
        index_build(doc);
    char *id = section_id(doc, section);
    MsmConfNode *last = g_hash_table_lookup(doc->sec_last, id);
    MsmConfNode *header = g_hash_table_lookup(doc->sec_header, id);
    g_free(id);
    gint after = pos_of(doc, last);
    if (after < 0)
        after = pos_of(doc, header);
    if (first_section_r) {
        guint i = 0;
        /* the first section is near the start: a forward pointer scan is short */
        *first_section_r = doc->first_section && g_ptr_array_find(doc->nodes,
                                                                  doc->first_section, &i)
                               ? (gint)i
                               : -1;
    }
    return after;
}

/* Forgets node n (about to leave the document). */
static void
index_remove(MsmConfDoc *doc, MsmConfNode *n)
{
    if (doc->index == NULL)
        return;
    MsmConfNode *first = g_hash_table_lookup(doc->index, n);
    if (first == NULL)
        return;
    guint c = GPOINTER_TO_UINT(g_hash_table_lookup(doc->dups, first));
    if (first != n) {
        if (c > 2)
            g_hash_table_insert(doc->dups, first, GUINT_TO_POINTER(c - 1));
        else
            g_hash_table_remove(doc->dups, first);
        return;
    }
    g_hash_table_remove(doc->index, n);
    g_hash_table_remove(doc->dups, n);
    if (c < 2)
        return;
    /* a duplicate becomes the first: the next one in document order */
    for (guint i = 0; i < doc->nodes->len; i++) {
        MsmConfNode *o = doc->nodes->pdata[i];
        if (o != n && o->type == MSM_CONF_ENTRY && section_equal(doc, o->section, n->section) &&
            key_equal(doc, o->key, n->key)) {
            g_hash_table_insert(doc->index, o, o);
            if (c - 1 >= 2)
                g_hash_table_insert(doc->dups, o, GUINT_TO_POINTER(c - 1));
            break;
        }
    }
}

MsmConfNode *
msm_confdoc_find(const MsmConfDoc *doc, const char *section, const char *key)
{
    return find_node(doc, section, key);
}

GPtrArray *
msm_confdoc_entries(const MsmConfDoc *doc)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; i < doc->nodes->len; i++) {
        MsmConfNode *n = doc->nodes->pdata[i];
        if (n->type == MSM_CONF_ENTRY)
            g_ptr_array_add(out, n);
    }
    return out;
}

/* The document's line end: that of its first line ending in one ("\n" if none). */
static const char *
doc_line_end(const MsmConfDoc *doc)
{
    for (guint i = 0; i < doc->nodes->len; i++) {
        const GString *r = ((const MsmConfNode *)doc->nodes->pdata[i])->raw;
        const char *nl = memchr(r->str, '\n', r->len);
        if (nl)
            return (nl > r->str && nl[-1] == '\r') ? "\r\n" : "\n";
    }
    return "\n";
}

/* Makes sure node i ends with a line end before something is inserted after it. */
static void
terminate_node(MsmConfDoc *doc, guint i)
{
    MsmConfNode *n = doc->nodes->pdata[i];
    if (n->raw->len > 0 && n->raw->str[n->raw->len - 1] != '\n')
        g_string_append(n->raw, doc_line_end(doc));
}

static MsmConfNode *
new_rendered(MsmConfNodeType type, char *text, const char *section, const char *key,
             const char *value)
{
    MsmConfNode *n = g_new0(MsmConfNode, 1);
    n->type = type;
    n->raw = g_string_new(text);
    n->section = g_strdup(section ? section : "");
    n->key = g_strdup(key);
    n->value = g_strdup(value);
    n->dirty = TRUE;
    guint lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    n->nlines = lines;
    g_free(text);
    return n;
}

gboolean
msm_confdoc_set(MsmConfDoc *doc, const char *section, const char *key, const char *value,
                GError **error)
{
    const MsmConfFormat *f = doc->format;
    if (f->render_entry == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s: the %s format cannot be changed by msmigrate", doc->name, f->name);
        return FALSE;
    }
    section = section ? section : "";
    MsmConfNode *existing = find_node(doc, section, key);
    if (existing) {
        MsmConfNode *n = existing;
        char *text = f->render_entry(doc, section, key, value);
        /* keep the line-end style of the entry it replaces */
        gboolean had_end = n->raw->len > 0 && n->raw->str[n->raw->len - 1] == '\n';
        g_string_assign(n->raw, text);
        if (!had_end && n->raw->len > 0 && n->raw->str[n->raw->len - 1] == '\n' &&
            doc->nodes->pdata[doc->nodes->len - 1] == n)
            g_string_truncate(n->raw, n->raw->len - 1);
        g_free(text);
        g_free(n->value);
        n->value = g_strdup(value);
        n->dirty = TRUE;
        return TRUE;
    }
    /* A new entry goes after the last entry of its section, else after the section's
     * header, else (top level) before the first section, else at the end. */
    gint first_section = -1;
    gint after = confdoc_place_new(doc, section, &first_section);
    MsmConfNode *entry =
        new_rendered(MSM_CONF_ENTRY, f->render_entry(doc, section, key, value), section, key,
                     value);
    if (after >= 0) {
        terminate_node(doc, (guint)after);
        g_ptr_array_insert(doc->nodes, after + 1, entry);
        index_add_if_built(doc, entry, (guint)after + 1);
        return TRUE;
    }
    if (*section == '\0') {
        if (first_section >= 0) {
            g_ptr_array_insert(doc->nodes, first_section, entry);
            index_add_if_built(doc, entry, (guint)first_section);
        } else {
            if (doc->nodes->len)
                terminate_node(doc, doc->nodes->len - 1);
            g_ptr_array_add(doc->nodes, entry);
            index_add_if_built(doc, entry, doc->nodes->len - 1);
        }
        return TRUE;
    }
    if (f->render_section == NULL) {
        node_free(entry);
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s: the %s format has no section \"%s\" and cannot create one", doc->name,
                    f->name, section);
        return FALSE;
    }
    if (doc->nodes->len)
        terminate_node(doc, doc->nodes->len - 1);
    MsmConfNode *header = new_rendered(MSM_CONF_SECTION, f->render_section(doc, section),
                                       section, section, NULL);
    g_ptr_array_add(doc->nodes, header);
    if (doc->index)
        place_note(doc, header);
    g_ptr_array_add(doc->nodes, entry);
    index_add_if_built(doc, entry, doc->nodes->len - 1);
    return TRUE;
}

gboolean
msm_confdoc_remove(MsmConfDoc *doc, const char *section, const char *key)
{
    MsmConfNode *n = find_node(doc, section ? section : "", key);
    gint pos = pos_of(doc, n);
    if (pos < 0)
        return FALSE;
    guint i = (guint)pos;
    index_remove(doc, n);
    if (doc->sec_last) {
        char *id = section_id(doc, n->section);
        if (g_hash_table_lookup(doc->sec_last, id) == n) {
            /* the section's last entry goes: the one before it takes its place */
            MsmConfNode *prev = NULL;
            for (guint k = i; k-- > 0 && prev == NULL;) {
                MsmConfNode *o = doc->nodes->pdata[k];
                if (o->type == MSM_CONF_ENTRY && section_equal(doc, o->section, n->section))
                    prev = o;
            }
            if (prev)
                g_hash_table_replace(doc->sec_last, g_strdup(id), prev);
            else
                g_hash_table_remove(doc->sec_last, id);
        }
        g_free(id);
    }
    g_ptr_array_remove_index(doc->nodes, i);
    if (doc->hint >= doc->nodes->len)
        doc->hint = 0;
    return TRUE;
}
