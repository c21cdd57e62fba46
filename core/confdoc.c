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
 * DIAGNOSTICS
 *	"name:line: ..." for warnings and errors.
 */
#include "config.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include <stdarg.h>
#include <string.h>

struct MsmConfDoc {
    const MsmConfFormat *format;
    char *name;
    GPtrArray *nodes;    /* MsmConfNode* */
    GPtrArray *warnings; /* char* */
};

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
    GArray *lines = g_array_new(FALSE, FALSE, sizeof(MsmConfLine));
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
    GString *s = g_string_new(NULL);
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

static gint
find_index(const MsmConfDoc *doc, const char *section, const char *key)
{
    for (guint i = 0; i < doc->nodes->len; i++) {
        const MsmConfNode *n = doc->nodes->pdata[i];
        if (n->type == MSM_CONF_ENTRY && section_equal(doc, n->section, section) &&
            key_equal(doc, n->key, key))
            return (gint)i;
    }
    return -1;
}

MsmConfNode *
msm_confdoc_find(const MsmConfDoc *doc, const char *section, const char *key)
{
    gint i = find_index(doc, section, key);
    return i < 0 ? NULL : doc->nodes->pdata[i];
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
    gint i = find_index(doc, section, key);
    if (i >= 0) {
        MsmConfNode *n = doc->nodes->pdata[i];
        char *text = f->render_entry(doc, section, key, value);
        /* keep the line-end style of the entry it replaces */
        gboolean had_end = n->raw->len > 0 && n->raw->str[n->raw->len - 1] == '\n';
        g_string_assign(n->raw, text);
        if (!had_end && n->raw->len > 0 && n->raw->str[n->raw->len - 1] == '\n' &&
            (guint)i + 1 == doc->nodes->len)
            g_string_truncate(n->raw, n->raw->len - 1);
        g_free(text);
        g_free(n->value);
        n->value = g_strdup(value);
        n->dirty = TRUE;
        return TRUE;
    }
    /* A new entry goes after the last entry of its section, else after the section's
     * header, else (top level) before the first section, else at the end. */
    gint after = -1, header = -1, first_section = -1;
    for (guint k = 0; k < doc->nodes->len; k++) {
        const MsmConfNode *n = doc->nodes->pdata[k];
        if (n->type == MSM_CONF_SECTION && first_section < 0)
            first_section = (gint)k;
        if (n->type == MSM_CONF_SECTION && section_equal(doc, n->key, section))
            header = (gint)k;
        if (n->type == MSM_CONF_ENTRY && section_equal(doc, n->section, section))
            after = (gint)k;
    }
    if (after < 0)
        after = header;
    MsmConfNode *entry =
        new_rendered(MSM_CONF_ENTRY, f->render_entry(doc, section, key, value), section, key,
                     value);
    if (after >= 0) {
        terminate_node(doc, (guint)after);
        g_ptr_array_insert(doc->nodes, after + 1, entry);
        return TRUE;
    }
    if (*section == '\0') {
        if (first_section >= 0) {
            g_ptr_array_insert(doc->nodes, first_section, entry);
        } else {
            if (doc->nodes->len)
                terminate_node(doc, doc->nodes->len - 1);
            g_ptr_array_add(doc->nodes, entry);
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
    g_ptr_array_add(doc->nodes, new_rendered(MSM_CONF_SECTION, f->render_section(doc, section),
                                             section, section, NULL));
    g_ptr_array_add(doc->nodes, entry);
    return TRUE;
}

gboolean
msm_confdoc_remove(MsmConfDoc *doc, const char *section, const char *key)
{
    gint i = find_index(doc, section ? section : "", key);
    if (i < 0)
        return FALSE;
    g_ptr_array_remove_index(doc->nodes, (guint)i);
    return TRUE;
}
