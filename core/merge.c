/*
 * NAME
 *	merge.c - three-way merge of configuration documents (see <msmigrate/merge.h>)
 * SUMMARY
 *	Builds the MERGED document from an old document, the old version's
 *	defaults and the new version's template, and one MsmMergeChange per
 *	entity, from which the CHANGES text is written.
 * DESCRIPTION
 *	The MERGED document starts as a byte-exact copy (serialise, parse) of
 *	the new template, or of the old document when the rules keep the old
 *	structure or the file has no new template ("base is old"). Values are
 *	then changed with msm_confdoc_set(), so everything the merge does not
 *	touch keeps its bytes. When the base is old, a path rewrite changes the
 *	value's bytes in place where it can (the value occurs once, as written,
 *	and is plain text), so a channel block keeps its comments and layout.
 *	At the end the MERGED bytes are parsed again and every recorded
 *	merged_value of an entry with a unique identity is checked against
 *	them: a rendering bug fails the merge instead of losing a value.
 * DIAGNOSTICS
 *	MSM_ERROR_INVALID_ARGUMENT (formats differ, a value the format cannot
 *	write), MSM_ERROR_PARSE (a document cannot be copied), MSM_ERROR_FAILED
 *	("name: merged value of ... does not read back": a bug).
 */
#include "config.h"

#include <msmigrate/error.h>
#include <msmigrate/merge.h>

#include <string.h>

typedef struct {
    const MsmMergeRules *rules;
    const MsmConfFormat *fmt;
    const char *from; /* version labels */
    const char *to;
    const char *name; /* the old document's name, for messages */
    GPtrArray *changes;
} Merge;

static const MsmMergeRules no_rules;

/* Frees a change (GDestroyNotify-compatible). */
void
msm_merge_change_free(MsmMergeChange *c)
{
    if (c == NULL)
        return;
    g_free(c->section);
    g_free(c->key);
    g_free(c->old_value);
    g_free(c->new_value);
    g_free(c->old_default);
    g_free(c->merged_value);
    g_free(c->reason);
    g_free(c);
}

/* The CHANGES name of an action. */
const char *
msm_merge_action_name(MsmMergeAction action)
{
    switch (action) {
    case MSM_MERGE_SAME:
        return "same";
    case MSM_MERGE_KEPT_OLD:
        return "kept-old";
    case MSM_MERGE_TOOK_NEW:
        return "took-new";
    case MSM_MERGE_ONLY_OLD:
        return "only-old";
    case MSM_MERGE_ONLY_NEW:
        return "only-new";
    case MSM_MERGE_OBSOLETE:
        return "obsolete";
    case MSM_MERGE_PATH_REWRITTEN:
        return "path";
    }
    return "unknown";
}

/* Replaces every occurrence of each map prefix, longest match first at each position. */
char *
msm_merge_rewrite_paths(const char *value, gpointer data)
{
    const MsmMergePathMap *map = data;
    if (value == NULL || map == NULL)
        return NULL;
    GString *out = g_string_new(NULL);
    gboolean changed = FALSE;
    for (const char *p = value; *p;) {
        const MsmMergePathMap *best = NULL;
        gsize best_len = 0;
        for (const MsmMergePathMap *m = map; m->from; m++) {
            gsize l = strlen(m->from);
            if (l > best_len && strncmp(p, m->from, l) == 0) {
                best = m;
                best_len = l;
            }
        }
        if (best) {
            g_string_append(out, best->to ? best->to : "");
            p += best_len;
            changed = TRUE;
        } else {
            g_string_append_c(out, *p++);
        }
    }
    if (!changed || strcmp(out->str, value) == 0) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* Records a change; takes ownership of reason. */
static MsmMergeChange *
add_change(Merge *m, MsmMergeAction action, MsmConfNodeType type, const char *section,
           const char *key, const char *old_value, const char *new_value,
           const char *old_default, const char *merged_value, char *reason)
{
    MsmMergeChange *c = g_new0(MsmMergeChange, 1);
    c->action = action;
    c->node_type = type;
    c->section = g_strdup(section ? section : "");
    c->key = g_strdup(key);
    c->old_value = g_strdup(old_value);
    c->new_value = g_strdup(new_value);
    c->old_default = g_strdup(old_default);
    c->merged_value = g_strdup(merged_value);
    c->reason = reason;
    g_ptr_array_add(m->changes, c);
    return c;
}

/* A byte-exact copy of doc (its bytes parsed again with its format). */
static MsmConfDoc *
copy_doc(const MsmConfDoc *doc, GError **error)
{
    GBytes *b = msm_confdoc_serialize(doc);
    gsize len;
    const char *data = g_bytes_get_data(b, &len);
    MsmConfDoc *copy = msm_confdoc_parse(msm_confdoc_format(doc), msm_confdoc_name(doc),
                                         data ? data : "", len, error);
    g_bytes_unref(b);
    return copy;
}

/* TRUE if two keys (or sections) are the same identity for the format. */
static gboolean
same_key(const Merge *m, const char *a, const char *b)
{
    a = a ? a : "";
    b = b ? b : "";
    return m->fmt->keys_case_insensitive ? g_ascii_strcasecmp(a, b) == 0 : strcmp(a, b) == 0;
}

/* A hash key for an identity, folded as the format compares. (transfer full) */
static char *
identity(const Merge *m, const char *section, const char *key)
{
    char *id = g_strconcat(section ? section : "", "\x1f", key ? key : "", NULL);
    if (m->fmt->keys_case_insensitive) {
        char *down = g_ascii_strdown(id, -1);
        g_free(id);
        id = down;
    }
    return id;
}

/* TRUE if the rules call the old entity obsolete; *reason_r gets why (transfer full). */
static gboolean
obsolete(const Merge *m, const char *section, const char *key, const char *value,
         char **reason_r)
{
    *reason_r = NULL;
    for (const MsmMergeEntity *e = m->rules->obsolete; e && e->key; e++) {
        if (same_key(m, e->section, section) && same_key(m, e->key, key)) {
            *reason_r = e->reason ? g_strdup(e->reason)
                                  : g_strdup_printf("obsolete in %s: dropped", m->to);
            return TRUE;
        }
    }
    if (m->rules->is_obsolete &&
        m->rules->is_obsolete(section, key, value, reason_r, m->rules->data)) {
        if (*reason_r == NULL)
            *reason_r = g_strdup_printf("obsolete in %s: dropped", m->to);
        return TRUE;
    }
    return FALSE;
}

/* The rewritten path, or NULL when the rules do not change it. (transfer full) */
static char *
rewrite(const Merge *m, const char *value)
{
    if (m->rules->rewrite_path == NULL || value == NULL)
        return NULL;
    char *r = m->rules->rewrite_path(value, m->rules->data);
    if (r && strcmp(r, value) == 0) {
        g_free(r);
        return NULL;
    }
    return r;
}

/* Number of non-overlapping occurrences of needle in the len bytes at hay. */
static guint
count_occurrences(const char *hay, gsize len, const char *needle)
{
    gsize nl = strlen(needle);
    guint n = 0;
    if (nl == 0)
        return 0;
    for (gsize i = 0; i + nl <= len;) {
        if (memcmp(hay + i, needle, nl) == 0) {
            n++;
            i += nl;
        } else {
            i++;
        }
    }
    return n;
}

/* TRUE if text is non-empty and has no blank, quote, backslash, comment or control
 * character: such text is written the same way in every format. */
static gboolean
plain_text(const char *text)
{
    if (*text == '\0')
        return FALSE;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("\"'\\!#[]", *p))
            return FALSE;
    return TRUE;
}

/* Replaces the first occurrence of from in node's raw bytes with to. */
static void
replace_in_raw(MsmConfNode *node, const char *from, const char *to)
{
    const char *at = g_strstr_len(node->raw->str, (gssize)node->raw->len, from);
    g_assert(at != NULL);
    gssize pos = at - node->raw->str;
    g_string_erase(node->raw, pos, (gssize)strlen(from));
    g_string_insert(node->raw, pos, to);
    node->dirty = TRUE;
}

/* Gives node (an entry of doc) a new value, keeping its bytes where possible. FALSE
 * (no error) when it cannot be done without touching another entry (a later duplicate). */
static gboolean
set_node_value(MsmConfDoc *doc, MsmConfNode *node, const char *value, GError **error)
{
    const char *old = node->value ? node->value : "";
    if (plain_text(old) && plain_text(value) &&
        count_occurrences(node->raw->str, node->raw->len, old) == 1 &&
        count_occurrences(node->raw->str, node->raw->len, node->key ? node->key : "") <= 1 &&
        (node->key == NULL || strstr(node->key, old) == NULL)) {
        replace_in_raw(node, old, value);
        g_free(node->value);
        node->value = g_strdup(value);
        return TRUE;
    }
    if (msm_confdoc_find(doc, node->section, node->key) != node)
        return FALSE;
    return msm_confdoc_set(doc, node->section, node->key, value, error);
}

/* The first INCLUDE of doc referring to path, or NULL. */
static MsmConfNode *
find_include(const MsmConfDoc *doc, const char *path)
{
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
        MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->type == MSM_CONF_INCLUDE && g_strcmp0(n->key, path) == 0)
            return n;
    }
    return NULL;
}

/* The first VERBATIM node of doc with exactly these bytes, or NULL. */
static MsmConfNode *
find_verbatim(const MsmConfDoc *doc, const GString *raw)
{
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
        MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->type == MSM_CONF_VERBATIM && g_string_equal(n->raw, raw))
            return n;
    }
    return NULL;
}

/* The first line of a node's bytes, trimmed, as its CHANGES key. (transfer full) */
static char *
first_line(const GString *raw)
{
    const char *nl = memchr(raw->str, '\n', raw->len);
    char *s = g_strndup(raw->str, nl ? (gsize)(nl - raw->str) : raw->len);
    return g_strstrip(s);
}

/* An INCLUDE of the old document. mnode: the same node in MERGED when the base is old. */
static void
merge_include(Merge *m, MsmConfDoc *merged, const MsmConfNode *n, MsmConfNode *mnode)
{
    char *rw = rewrite(m, n->key);
    const char *path = rw ? rw : n->key;
    if (mnode) {
        if (rw) {
            replace_in_raw(mnode, n->key, rw);
            g_free(mnode->key);
            mnode->key = g_strdup(rw);
            add_change(m, MSM_MERGE_PATH_REWRITTEN, MSM_CONF_INCLUDE, n->section, n->key, NULL,
                       NULL, NULL, rw,
                       g_strdup_printf("include path rewritten for the %s layout", m->to));
        } else {
            add_change(m, MSM_MERGE_SAME, MSM_CONF_INCLUDE, n->section, n->key, NULL, NULL,
                       NULL, n->key, NULL);
        }
    } else if (find_include(merged, path) || (rw && find_include(merged, n->key))) {
        const char *in = find_include(merged, path) ? path : n->key;
        add_change(m, rw && strcmp(in, path) == 0 ? MSM_MERGE_PATH_REWRITTEN : MSM_MERGE_SAME,
                   MSM_CONF_INCLUDE, n->section, n->key, NULL, in, NULL, in,
                   rw && strcmp(in, path) == 0
                       ? g_strdup_printf("the %s template has the include with the path "
                                         "rewritten",
                                         m->to)
                       : NULL);
    } else {
        add_change(m, MSM_MERGE_ONLY_OLD, MSM_CONF_INCLUDE, n->section, n->key, NULL, NULL,
                   NULL, NULL,
                   g_strdup_printf("include only in %s%s%s; not carried (includes depend on "
                                   "their place): add it by hand if the file is still used",
                                   m->from, rw ? ", in the new layout " : "", rw ? rw : ""));
    }
    g_free(rw);
}

/* A VERBATIM node of the old document. */
static void
merge_verbatim(Merge *m, MsmConfDoc *merged, const MsmConfNode *n, gboolean base_old)
{
    char *line = first_line(n->raw);
    if (base_old || find_verbatim(merged, n->raw)) {
        add_change(m, MSM_MERGE_SAME, MSM_CONF_VERBATIM, n->section, line, NULL, NULL, NULL,
                   line, NULL);
    } else {
        add_change(m, MSM_MERGE_ONLY_OLD, MSM_CONF_VERBATIM, n->section, line, NULL, NULL,
                   NULL, NULL,
                   g_strdup_printf("line %u is not understood by msmigrate; not carried: "
                                   "review it by hand",
                                   n->line));
    }
    g_free(line);
}

/* An old entry when MERGED is based on the old document (mnode: its copy there). */
static gboolean
merge_entry_base_old(Merge *m, MsmConfDoc *merged, const MsmConfDoc *old_defaults,
                     const MsmConfDoc *new_template, const MsmConfNode *n,
                     MsmConfNode *mnode, GError **error)
{
    const char *ov = n->value ? n->value : "";
    const MsmConfNode *dn = old_defaults ? msm_confdoc_find(old_defaults, n->section, n->key)
                                         : NULL;
    const char *od = dn ? (dn->value ? dn->value : "") : NULL;
    const MsmConfNode *nn =
        new_template ? msm_confdoc_find(new_template, n->section, n->key) : NULL;
    const char *nv = nn ? (nn->value ? nn->value : "") : NULL;
    char *why = NULL;

    if (obsolete(m, n->section, n->key, ov, &why)) {
        if (msm_confdoc_find(merged, n->section, n->key) == mnode) {
            msm_confdoc_remove(merged, n->section, n->key);
            add_change(m, MSM_MERGE_OBSOLETE, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od,
                       NULL, why);
        } else {
            char *r = g_strconcat(why, " (a duplicate entry: kept, remove it by hand)", NULL);
            g_free(why);
            add_change(m, MSM_MERGE_OBSOLETE, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od,
                       ov, r);
        }
        return TRUE;
    }
    char *rw = rewrite(m, ov);
    const char *mv = ov;
    const char *note = "";
    if (rw) {
        if (set_node_value(merged, mnode, rw, error)) {
            mv = rw;
            note = "; installation path rewritten";
        } else if (error && *error) {
            g_free(rw);
            return FALSE;
        } else {
            note = "; its installation path could not be rewritten (a duplicate entry): fix "
                   "it by hand";
        }
    }
    if (nn == NULL) {
        add_change(m, MSM_MERGE_ONLY_OLD, MSM_CONF_ENTRY, n->section, n->key, ov, NULL, od, mv,
                   new_template ? g_strdup_printf("only in %s; kept%s", m->from, note)
                                : g_strdup_printf("the file does not exist in %s; kept%s",
                                                  m->to, note));
    } else if (strcmp(ov, nv) == 0) {
        add_change(m, MSM_MERGE_SAME, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od, mv,
                   NULL);
    } else if (mv != ov && strcmp(mv, nv) == 0) {
        add_change(m, MSM_MERGE_PATH_REWRITTEN, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od,
                   mv, g_strdup("the same as the new value once the installation path is "
                                "rewritten"));
    } else {
        add_change(m, MSM_MERGE_KEPT_OLD, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od, mv,
                   g_strdup_printf("the %s structure of this file is kept; the %s value is "
                                   "shown for reference%s",
                                   m->from, m->to, note));
    }
    g_free(rw);
    return TRUE;
}

/* An old entry when MERGED is based on the new template. */
static gboolean
merge_entry_base_new(Merge *m, MsmConfDoc *merged, const MsmConfDoc *old_defaults,
                     const MsmConfDoc *new_template, const MsmConfNode *n, GError **error)
{
    const char *ov = n->value ? n->value : "";
    const MsmConfNode *dn = old_defaults ? msm_confdoc_find(old_defaults, n->section, n->key)
                                         : NULL;
    const char *od = dn ? (dn->value ? dn->value : "") : NULL;
    const MsmConfNode *nn = msm_confdoc_find(new_template, n->section, n->key);
    const char *nv = nn ? (nn->value ? nn->value : "") : NULL;
    char *why = NULL;

    if (obsolete(m, n->section, n->key, ov, &why)) {
        if (nn) {
            char *r = g_strdup_printf("%s (the %s template's own entry is left as it is)", why,
                                      m->to);
            g_free(why);
            why = r;
        }
        add_change(m, MSM_MERGE_OBSOLETE, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od, nv,
                   why);
        return TRUE;
    }
    char *rw = rewrite(m, ov);
    const char *ovr = rw ? rw : ov;
    const char *note = rw ? "; installation path rewritten" : "";
    MsmMergeAction action;
    char *reason;
    if (nn == NULL) {
        if (m->rules->drop_old_only) {
            add_change(m, MSM_MERGE_ONLY_OLD, MSM_CONF_ENTRY, n->section, n->key, ov, NULL, od,
                       NULL,
                       g_strdup_printf("only in %s; not carried (the rules drop entities the "
                                       "%s template does not have)",
                                       m->from, m->to));
            g_free(rw);
            return TRUE;
        }
        action = MSM_MERGE_ONLY_OLD;
        reason = g_strdup_printf("only in %s; carried into MERGED%s%s", m->from,
                                 od && strcmp(od, ov) == 0 ? " (it was a default there)" : "",
                                 note);
    } else if (strcmp(ov, nv) == 0) {
        add_change(m, MSM_MERGE_SAME, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od, nv, NULL);
        g_free(rw);
        return TRUE;
    } else if (rw && strcmp(rw, nv) == 0) {
        add_change(m, MSM_MERGE_PATH_REWRITTEN, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od,
                   nv,
                   g_strdup("the same as the new value once the installation path is "
                            "rewritten"));
        g_free(rw);
        return TRUE;
    } else if (*nv == '\0') {
        action = MSM_MERGE_KEPT_OLD;
        reason = g_strdup_printf("the %s template has no value for it%s", m->to, note);
    } else if (old_defaults == NULL) {
        action = MSM_MERGE_KEPT_OLD;
        reason = g_strdup_printf("the %s default is not known, so whether your value is a "
                                 "default cannot be told; kept because it differs from the %s "
                                 "default%s",
                                 m->from, m->to, note);
    } else if (od && strcmp(od, ov) == 0) {
        add_change(m, MSM_MERGE_TOOK_NEW, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od, nv,
                   g_strdup_printf("your value was the %s default: the %s default is taken",
                                   m->from, m->to));
        g_free(rw);
        return TRUE;
    } else {
        action = MSM_MERGE_KEPT_OLD;
        reason = od ? g_strdup_printf("your value is not the %s default%s", m->from, note)
                    : g_strdup_printf("the %s defaults do not set it, so your value is not a "
                                      "default setting%s",
                                      m->from, note);
    }
    if (!msm_confdoc_set(merged, n->section, n->key, ovr, error)) {
        g_free(reason);
        g_free(rw);
        return FALSE;
    }
    add_change(m, action, MSM_CONF_ENTRY, n->section, n->key, ov, nv, od, ovr, reason);
    g_free(rw);
    return TRUE;
}

/* Entities of the new template the old document does not have: ONLY_NEW. */
static void
merge_new_only(Merge *m, const MsmConfDoc *old_doc, const MsmConfDoc *new_template,
               gboolean base_old, GHashTable *old_includes)
{
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; i < msm_confdoc_n_nodes(new_template); i++) {
        const MsmConfNode *n = msm_confdoc_node(new_template, i);
        if (n->type == MSM_CONF_INCLUDE && n->key &&
            !g_hash_table_contains(old_includes, n->key)) {
            add_change(m, MSM_MERGE_ONLY_NEW, MSM_CONF_INCLUDE, n->section, n->key, NULL,
                       n->key, NULL, base_old ? NULL : n->key,
                       base_old ? g_strdup_printf("include new in %s; not added (the %s "
                                                  "structure is kept): add it by hand if wanted",
                                                  m->to, m->from)
                                : g_strdup_printf("include new in %s", m->to));
            continue;
        }
        if (n->type != MSM_CONF_ENTRY || msm_confdoc_find(old_doc, n->section, n->key))
            continue;
        char *id = identity(m, n->section, n->key);
        if (!g_hash_table_add(seen, id))
            continue; /* a duplicate in the template: its first entry was reported */
        const char *nv = n->value ? n->value : "";
        add_change(m, MSM_MERGE_ONLY_NEW, MSM_CONF_ENTRY, n->section, n->key, NULL, nv, NULL,
                   base_old ? NULL : nv,
                   base_old ? g_strdup_printf("new in %s; not added (the %s structure of this "
                                              "file is kept): copy it from the %s file if "
                                              "wanted",
                                              m->to, m->from, m->to)
                            : g_strdup_printf("new in %s; in MERGED as the template has it",
                                              m->to));
    }
    g_hash_table_unref(seen);
}

/* Checks that MERGED's bytes read back to every merged value recorded for an entry
 * whose identity is unique there. */
static gboolean
verify(Merge *m, const MsmConfDoc *merged, GError **error)
{
    MsmConfDoc *back = copy_doc(merged, error);
    if (back == NULL)
        return FALSE;
    GHashTable *count = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GPtrArray *entries = msm_confdoc_entries(back);
    for (guint i = 0; i < entries->len; i++) {
        const MsmConfNode *n = entries->pdata[i];
        char *id = identity(m, n->section, n->key);
        guint c = GPOINTER_TO_UINT(g_hash_table_lookup(count, id));
        g_hash_table_replace(count, id, GUINT_TO_POINTER(c + 1));
    }
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < m->changes->len; i++) {
        const MsmMergeChange *c = m->changes->pdata[i];
        if (c->node_type != MSM_CONF_ENTRY || c->merged_value == NULL)
            continue;
        char *id = identity(m, c->section, c->key);
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(count, id));
        g_free(id);
        if (n > 1)
            continue;
        const MsmConfNode *e = msm_confdoc_find(back, c->section, c->key);
        if (e == NULL || g_strcmp0(e->value ? e->value : "", c->merged_value) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                        "%s: merged value of %s%s%s does not read back from the MERGED file "
                        "(a bug in msmigrate: please report it with the files)",
                        m->name, c->section, *c->section ? "/" : "", c->key);
            ok = FALSE;
        }
    }
    g_ptr_array_unref(entries);
    g_hash_table_unref(count);
    msm_confdoc_free(back);
    return ok;
}

/* The three-way merge; see merge.h. */
MsmConfDoc *
msm_merge(const MsmConfDoc *old_doc, const MsmConfDoc *old_defaults,
          const MsmConfDoc *new_template, const MsmMergeRules *rules, GPtrArray **changes_r,
          GError **error)
{
    g_return_val_if_fail(old_doc != NULL, NULL);
    Merge m = {0};
    m.rules = rules ? rules : &no_rules;
    m.fmt = msm_confdoc_format(old_doc);
    m.from = m.rules->from_version ? m.rules->from_version : "old";
    m.to = m.rules->to_version ? m.rules->to_version : "new";
    m.name = msm_confdoc_name(old_doc);
    if ((old_defaults && msm_confdoc_format(old_defaults) != m.fmt) ||
        (new_template && msm_confdoc_format(new_template) != m.fmt)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s: cannot merge documents of different formats (%s with %s)", m.name,
                    m.fmt->name,
                    msm_confdoc_format(new_template && msm_confdoc_format(new_template) != m.fmt
                                           ? new_template
                                           : old_defaults)
                        ->name);
        return NULL;
    }
    gboolean base_old = m.rules->keep_old_structure || new_template == NULL;
    MsmConfDoc *merged = copy_doc(base_old ? old_doc : new_template, error);
    if (merged == NULL)
        return NULL;
    m.changes = g_ptr_array_new_with_free_func((GDestroyNotify)msm_merge_change_free);

    /* When the base is old, merged's nodes are old_doc's, one for one, before any change. */
    GPtrArray *mnodes = g_ptr_array_new();
    if (base_old) {
        g_assert(msm_confdoc_n_nodes(merged) == msm_confdoc_n_nodes(old_doc));
        for (guint i = 0; i < msm_confdoc_n_nodes(merged); i++)
            g_ptr_array_add(mnodes, msm_confdoc_node(merged, i));
    }
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    GHashTable *old_includes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < msm_confdoc_n_nodes(old_doc); i++) {
        const MsmConfNode *n = msm_confdoc_node(old_doc, i);
        MsmConfNode *mnode = base_old ? mnodes->pdata[i] : NULL;
        if (n->type == MSM_CONF_INCLUDE && n->key) {
            g_hash_table_add(old_includes, g_strdup(n->key));
            char *rw = rewrite(&m, n->key);
            if (rw)
                g_hash_table_add(old_includes, rw);
            merge_include(&m, merged, n, mnode);
        } else if (n->type == MSM_CONF_VERBATIM) {
            merge_verbatim(&m, merged, n, base_old);
        } else if (n->type == MSM_CONF_ENTRY) {
            char *id = identity(&m, n->section, n->key);
            gboolean dup = !g_hash_table_add(seen, id);
            if (base_old) {
                ok = merge_entry_base_old(&m, merged, old_defaults, new_template, n, mnode,
                                          error);
            } else if (dup) {
                add_change(&m, MSM_MERGE_ONLY_OLD, MSM_CONF_ENTRY, n->section, n->key,
                           n->value, NULL, NULL, NULL,
                           g_strdup_printf("a second %s entry in the %s file (line %u); only "
                                           "the first is merged: not carried",
                                           n->key, m.from, n->line));
            } else {
                ok = merge_entry_base_new(&m, merged, old_defaults, new_template, n, error);
            }
        }
    }
    if (ok && new_template)
        merge_new_only(&m, old_doc, new_template, base_old, old_includes);
    if (ok)
        ok = verify(&m, merged, error);
    g_hash_table_unref(old_includes);
    g_hash_table_unref(seen);
    g_ptr_array_unref(mnodes);
    if (!ok) {
        if (error && *error)
            g_prefix_error(error, "merging %s: ", m.name);
        g_ptr_array_unref(m.changes);
        msm_confdoc_free(merged);
        return NULL;
    }
    if (changes_r)
        *changes_r = m.changes;
    else
        g_ptr_array_unref(m.changes);
    return merged;
}

/* Appends text as a double-quoted CHANGES string (escapes: \\ \" \n \r \t \xHH). */
static void
append_quoted(GString *s, const char *text)
{
    g_string_append_c(s, '"');
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        switch (*p) {
        case '\\':
            g_string_append(s, "\\\\");
            break;
        case '"':
            g_string_append(s, "\\\"");
            break;
        case '\n':
            g_string_append(s, "\\n");
            break;
        case '\r':
            g_string_append(s, "\\r");
            break;
        case '\t':
            g_string_append(s, "\\t");
            break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                g_string_append_printf(s, "\\x%02x", *p);
            else
                g_string_append_c(s, (char)*p);
        }
    }
    g_string_append_c(s, '"');
}

/* Appends " name=VALUE" when value is not NULL. */
static void
append_field(GString *s, const char *name, const char *value)
{
    if (value == NULL)
        return;
    g_string_append_printf(s, " %s=", name);
    append_quoted(s, value);
}

static const char *const secret_words[] = {"password", "passwd", "bindcred", "bindpass",
                                           "bindpw",   "adminpass", "keypass", "secret",
                                           "credential", NULL};

gboolean
msm_merge_key_is_secret(const char *key)
{
    if (key == NULL)
        return FALSE;
    char *low = g_ascii_strdown(key, -1);
    gboolean hit = FALSE;
    for (const char *const *w = secret_words; *w && !hit; w++)
        hit = strstr(low, *w) != NULL;
    g_free(low);
    return hit;
}

/* Appends a secret's field without its value: only whether it is set, and how it
 * compares with the old value, so a reviewer can still follow the merge. */
static void
append_secret(GString *s, const char *name, const char *value, const char *old)
{
    if (value == NULL)
        return;
    g_string_append_printf(s, " %s=", name);
    if (old == NULL || value == old)
        g_string_append(s, "\"(secret, not shown)\"");
    else
        g_string_append(s, strcmp(value, old) == 0 ? "\"(secret, same as old)\""
                                                   : "\"(secret, differs from old)\"");
}

/* Appends one change's line. Values of secret-bearing keys (passwords, bind
 * credentials) never appear in a CHANGES file: it is a report. */
static void
append_change(GString *s, const MsmMergeChange *c)
{
    if (msm_merge_key_is_secret(c->key)) {
        g_string_append(s, msm_merge_action_name(c->action));
        if (c->section && *c->section)
            append_field(s, "section", c->section);
        append_field(s, c->node_type == MSM_CONF_VERBATIM ? "line" : "key",
                     c->node_type == MSM_CONF_VERBATIM ? "(a line holding a secret, not shown)"
                                                       : c->key);
        append_secret(s, "old", c->old_value, NULL);
        append_secret(s, "new", c->new_value, c->old_value);
        append_secret(s, "old-default", c->old_default, c->old_value);
        if (c->merged_value)
            append_secret(s, "merged", c->merged_value, c->old_value);
        else
            g_string_append(s, " merged=no");
        g_string_append(s, " reason=\"value of a secret not shown; see the MERGED file\"\n");
        return;
    }
    g_string_append(s, msm_merge_action_name(c->action));
    if (c->section && *c->section)
        append_field(s, "section", c->section);
    append_field(s, c->node_type == MSM_CONF_INCLUDE    ? "include"
                    : c->node_type == MSM_CONF_VERBATIM ? "line"
                                                        : "key",
                 c->key ? c->key : "");
    append_field(s, "old", c->old_value);
    append_field(s, "new", c->new_value);
    append_field(s, "old-default", c->old_default);
    if (c->merged_value)
        append_field(s, "merged", c->merged_value);
    else
        g_string_append(s, " merged=no");
    append_field(s, "reason", c->reason);
    g_string_append_c(s, '\n');
}

/* The CHANGES text; see merge.h and docs/formats/merge-changes.md. */
char *
msm_merge_changes_text(const char *file, const char *from, const char *to,
                       const GPtrArray *changes)
{
    from = from ? from : "old";
    to = to ? to : "new";
    /* sized up front: growing a large string by doubling frees big chunks, each of
     * which makes malloc consolidate every small free chunk (superlinear) */
    gsize estimate = 4096;
    for (guint i = 0; changes && i < changes->len; i++) {
        const MsmMergeChange *c = changes->pdata[i];
        estimate += 96 + (c->section ? strlen(c->section) : 0) + (c->key ? strlen(c->key) : 0) +
                    (c->old_value ? strlen(c->old_value) : 0) +
                    (c->new_value ? strlen(c->new_value) : 0) +
                    (c->old_default ? strlen(c->old_default) : 0) +
                    (c->merged_value ? strlen(c->merged_value) : 0) +
                    (c->reason ? strlen(c->reason) : 0);
    }
    GString *s = g_string_sized_new(estimate);
    g_string_append(s, "# msmigrate CHANGES 1\n");
    g_string_append(s, "file=");
    append_quoted(s, file ? file : "");
    g_string_append(s, "\nfrom=");
    append_quoted(s, from);
    g_string_append(s, "\nto=");
    append_quoted(s, to);
    g_string_append_c(s, '\n');
    static const struct {
        MsmMergeAction action;
        const char *title;
        int version; /* appended to the title: 0 none, 1 from, 2 to */
    } groups[] = {
        {MSM_MERGE_ONLY_NEW, "only in", 2},         {MSM_MERGE_OBSOLETE, "obsolete in", 2},
        {MSM_MERGE_ONLY_OLD, "only in", 1},         {MSM_MERGE_KEPT_OLD, "kept your value", 0},
        {MSM_MERGE_TOOK_NEW, "took the new default", 0},
        {MSM_MERGE_PATH_REWRITTEN, "paths rewritten", 0},
    };
    for (gsize g = 0; g < G_N_ELEMENTS(groups); g++) {
        guint n = 0;
        for (guint i = 0; changes && i < changes->len; i++)
            n += ((const MsmMergeChange *)changes->pdata[i])->action == groups[g].action;
        g_string_append_printf(s, "\n# %s%s%s", groups[g].title, groups[g].version ? " " : "",
                               groups[g].version == 1   ? from
                               : groups[g].version == 2 ? to
                                                        : "");
        g_string_append_printf(s, ": %u\n", n);
        for (guint i = 0; changes && i < changes->len; i++) {
            const MsmMergeChange *c = changes->pdata[i];
            if (c->action == groups[g].action)
                append_change(s, c);
        }
    }
    return g_string_free(s, FALSE);
}
