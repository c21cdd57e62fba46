/*
 * NAME
 *	hopconf.c - the configuration migrator shared by the hop plugins
 * SUMMARY
 *	Implements hopconf.h: per file, the hop's line renames, the merge into
 *	the new version's embedded template (three-way against the old
 *	version's template), the split of msg.conf against msg.conf.defaults
 *	for 6.3 and later, the hop's fixup, the MERGED / CHANGES artifacts the
 *	hop's merge-table row asks for (core/merge-table.c), and in finish()
 *	the files only the new version has. docs/config-hops.md.
 * DIAGNOSTICS
 *	Failures name the hop, the file and the fix ("hop ims-5.2 -> ms-6.0:
 *	imta.cnf: ..."). Files no row covers go through unchanged and are
 *	listed in the hop's SUMMARY artifact as not merged, never dropped.
 */
#include "config.h"

#include "hopconf.h"

#include "merge-table.h"
#include "util.h"

#include <string.h>

/* Per hop and run: what the hop saw and collected. */
struct HcState {
    GMutex lock;
    char *run_id;
    GHashTable *vals;   /* name -> value: collected parameters and placeholders */
    GHashTable *seen;   /* relpaths that went through the hop */
    GHashTable *merged; /* relpath -> GBytes: merged results (for finish checks) */
    GString *summary;
    GPtrArray *path_res; /* compiled HcPathRule regexes */
};

static GMutex registry_lock;
static GHashTable *registry; /* const HcHop* -> HcState* */

static void
state_free(HcState *st)
{
    if (st == NULL)
        return;
    g_mutex_clear(&st->lock);
    g_free(st->run_id);
    g_hash_table_unref(st->vals);
    g_hash_table_unref(st->seen);
    g_hash_table_unref(st->merged);
    g_string_free(st->summary, TRUE);
    if (st->path_res)
        g_ptr_array_unref(st->path_res);
    g_free(st);
}

/* Value of key in a configutil / sims.cnf file under dir, or NULL. (transfer full) */
static char *
read_param(const char *dir, const char *file, const char *fmt_name, const char *key)
{
    if (dir == NULL)
        return NULL;
    char *path = g_build_filename(dir, file, NULL);
    char *data = NULL;
    gsize len = 0;
    char *value = NULL;
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR) && g_file_get_contents(path, &data, &len, NULL)) {
        const MsmConfFormat *fmt = msm_conf_format_find(fmt_name);
        MsmConfDoc *doc = fmt ? msm_confdoc_parse(fmt, file, data, len, NULL) : NULL;
        const MsmConfNode *n = doc ? msm_confdoc_find(doc, "", key) : NULL;
        if (n && n->value && *n->value)
            value = g_strdup(n->value);
        msm_confdoc_free(doc);
    }
    g_free(data);
    g_free(path);
    return value;
}

/* A random secret for @SECRET@ (the job controller's shared secret). (transfer full) */
static char *
random_secret(void)
{
    guchar raw[12];
    GRand *r = g_rand_new();
    for (gsize i = 0; i < sizeof raw; i++)
        raw[i] = (guchar)g_rand_int_range(r, 0, 256);
    g_rand_free(r);
    return g_base64_encode(raw, sizeof raw);
}

/* Fills the placeholders from the profile, the source deployment and the host. */
static void
init_vars(HcState *st, MsmCtx *ctx)
{
    const MsmLayout *src = msm_ctx_source_layout(ctx);
    const MsmLayout *tgt = msm_ctx_target_layout(ctx);
    const char *cdir = src ? msm_layout_config_dir(src) : NULL;
    char *host = NULL, *domain = NULL;
    const char *opt = msm_ctx_option(ctx, "target", "hostname");
    host = opt ? g_strdup(opt) : NULL;
    opt = msm_ctx_option(ctx, "target", "defaultdomain");
    domain = opt ? g_strdup(opt) : NULL;
    if (host == NULL)
        host = read_param(cdir, "msg.conf", "configutil", "local.hostname");
    if (host == NULL)
        host = read_param(cdir, "sims.cnf", "sims.cnf", "sims-hostname");
    if (host == NULL)
        host = read_param(cdir, "nsmsg.conf", "configutil", "nsmsg.hostname");
    if (domain == NULL)
        domain = read_param(cdir, "msg.conf", "configutil", "service.defaultdomain");
    if (domain == NULL)
        domain = read_param(cdir, "sims.cnf", "sims.cnf", "sims-default-domain");
    if (domain == NULL)
        domain = read_param(cdir, "nsmsg.conf", "configutil", "nsmsg.defaultdomain");
    if (host == NULL)
        host = g_strdup(g_get_host_name());
    if (domain == NULL) {
        const char *dot = strchr(host, '.');
        domain = g_strdup(dot && dot[1] ? dot + 1 : "localdomain");
    }
    const char *inst = msm_ctx_instance(ctx);
    if (inst == NULL && tgt)
        inst = msm_layout_instance(tgt);
    if (inst == NULL && src)
        inst = msm_layout_instance(src);
    char *nms_inst = inst ? NULL : read_param(cdir, "nsmsg.conf", "configutil", "nsmsg.instance");
    g_hash_table_replace(st->vals, g_strdup("@HOSTNAME"), host);
    g_hash_table_replace(st->vals, g_strdup("@DEFAULTDOMAIN"), domain);
    g_hash_table_replace(st->vals, g_strdup("@INSTANCE"),
                         g_strdup(inst       ? inst
                                  : nms_inst ? nms_inst
                                             : "msg"));
    g_hash_table_replace(st->vals, g_strdup("@SECRET"), random_secret());
    g_free(nms_inst);
}

/* The state of hop for ctx's run (created, or renewed for a new run). */
static HcState *
state_get(const HcHop *hop, MsmCtx *ctx)
{
    const char *run = msm_ctx_run_id(ctx);
    g_mutex_lock(&registry_lock);
    if (registry == NULL)
        registry =
            g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)state_free);
    HcState *st = g_hash_table_lookup(registry, hop);
    if (st && g_strcmp0(st->run_id, run) != 0) {
        g_hash_table_remove(registry, hop);
        st = NULL;
    }
    if (st == NULL) {
        st = g_new0(HcState, 1);
        g_mutex_init(&st->lock);
        st->run_id = g_strdup(run);
        st->vals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        st->seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        st->merged =
            g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_bytes_unref);
        st->summary = g_string_new(NULL);
        st->path_res = g_ptr_array_new_with_free_func((GDestroyNotify)g_regex_unref);
        init_vars(st, ctx);
        for (const HcPathRule *p = hop->path_rules; p && p->regex; p++) {
            GRegex *re = g_regex_new(p->regex, 0, 0, NULL);
            g_assert(re != NULL); /* the tables are static: a bad one is a programming error */
            g_ptr_array_add(st->path_res, re);
        }
        g_hash_table_insert(registry, (gpointer)hop, st);
    }
    g_mutex_unlock(&registry_lock);
    return st;
}

/* ---- shared values ---- */

void
hc_set(HcState *st, const char *name, const char *value)
{
    g_mutex_lock(&st->lock);
    g_hash_table_replace(st->vals, g_strdup(name), g_strdup(value));
    g_mutex_unlock(&st->lock);
}

const char *
hc_get(HcState *st, const char *name)
{
    g_mutex_lock(&st->lock);
    const char *v = g_hash_table_lookup(st->vals, name);
    g_mutex_unlock(&st->lock);
    return v;
}

const char *
hc_var(HcState *st, const char *name)
{
    char *k = g_strconcat("@", name, NULL);
    const char *v = hc_get(st, k);
    g_free(k);
    return v;
}

gboolean
hc_seen(HcState *st, const char *relpath)
{
    g_mutex_lock(&st->lock);
    gboolean seen = g_hash_table_contains(st->seen, relpath);
    g_mutex_unlock(&st->lock);
    return seen;
}

void
hc_mark_seen(HcState *st, const char *relpath)
{
    g_mutex_lock(&st->lock);
    g_hash_table_add(st->seen, g_strdup(relpath));
    g_mutex_unlock(&st->lock);
}

GBytes *
hc_merged(HcState *st, const char *relpath)
{
    g_mutex_lock(&st->lock);
    GBytes *b = g_hash_table_lookup(st->merged, relpath);
    g_mutex_unlock(&st->lock);
    return b;
}

void
hc_summary(HcState *st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_mutex_lock(&st->lock);
    g_string_append(st->summary, line);
    g_string_append_c(st->summary, '\n');
    g_mutex_unlock(&st->lock);
    g_free(line);
}

void
hc_note(GPtrArray *notes, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_ptr_array_add(notes, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

/* ---- templates ---- */

/* text with every @NAME@ placeholder of st replaced. (transfer full) */
static char *
subst(HcState *st, const char *text, gsize len, gsize *len_r)
{
    static const char *const names[] = {"HOSTNAME", "DEFAULTDOMAIN", "INSTANCE", "SECRET"};
    GString *s = g_string_new_len(text, (gssize)len);
    /* under the lock: a custom callback may replace a value meanwhile */
    g_mutex_lock(&st->lock);
    for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
        char *ph = g_strconcat("@", names[i], "@", NULL);
        char *key = g_strconcat("@", names[i], NULL);
        const char *v = g_hash_table_lookup(st->vals, key);
        g_string_replace(s, ph, v ? v : "", 0);
        g_free(key);
        g_free(ph);
    }
    g_mutex_unlock(&st->lock);
    *len_r = s->len;
    return g_string_free(s, FALSE);
}

GBytes *
hc_template(const HcHop *hop, HcState *st, const char *version, const char *relpath)
{
    for (const HcTemplate *t = hop->templates; t && t->version; t++) {
        if (strcmp(t->version, version) == 0 && strcmp(t->relpath, relpath) == 0) {
            gsize len;
            char *text = subst(st, t->data, t->len, &len);
            return g_bytes_new_take(text, len);
        }
    }
    return NULL;
}

MsmConfDoc *
hc_parse(const char *relpath, const char *fmt_name, GBytes *bytes, GError **error)
{
    const MsmConfFormat *fmt =
        fmt_name ? msm_conf_format_find(fmt_name) : msm_conf_format_for_file(relpath);
    if (fmt == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED, "%s: no configuration format known",
                    relpath);
        return NULL;
    }
    gsize len;
    const char *data = g_bytes_get_data(bytes, &len);
    return msm_confdoc_parse(fmt, relpath, data ? data : "", len, error);
}

static char *changes_text(const HcHop *hop, const char *relpath, const GPtrArray *changes,
                          const GPtrArray *notes);

/* ---- artifacts and emitted files ---- */

char *
hc_hop_dir(const HcHop *hop)
{
    return g_strdup_printf("%s-to-%s", hop->from, hop->to);
}

gboolean
hc_artifact(MsmCtx *ctx, const HcHop *hop, const char *relname, const void *data, gsize len,
            GError **error)
{
    char *dir = hc_hop_dir(hop);
    char *rel = g_strconcat(dir, "/", relname, NULL);
    char *path = msm_ctx_artifact_path(ctx, rel, error);
    gboolean ok = path && msm_write_file_atomic(path, data, len, 0600, error);
    if (!ok && error && *error)
        g_prefix_error(error, "hop %s -> %s: writing the artifact %s: ", hop->from, hop->to, rel);
    g_free(path);
    g_free(rel);
    g_free(dir);
    return ok;
}

void
hc_emit(MsmCtx *ctx, const char *relpath, GBytes *content, guint32 mode)
{
    MsmConfigFile *cf = msm_config_file_new(relpath, content);
    cf->mode = mode;
    char *key = g_strconcat("config/", relpath, NULL);
    msm_ctx_emit(ctx, msm_item_new(MSM_KIND_CONFIG, key, cf));
    g_free(key);
}

gboolean
hc_emit_built(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath, MsmConfDoc *doc,
              GPtrArray *notes, guint32 mode, GError **error)
{
    GBytes *b = msm_confdoc_serialize(doc);
    char *rel = g_strconcat(relpath, ".MERGED", NULL);
    gboolean ok = hc_artifact(ctx, hop, rel, g_bytes_get_data(b, NULL), g_bytes_get_size(b), error);
    g_free(rel);
    if (ok) {
        GPtrArray *none = g_ptr_array_new();
        char *text = changes_text(hop, relpath, none, notes);
        rel = g_strconcat(relpath, ".CHANGES", NULL);
        ok = hc_artifact(ctx, hop, rel, text, strlen(text), error);
        g_free(rel);
        g_free(text);
        g_ptr_array_unref(none);
    }
    if (ok) {
        hc_emit(ctx, relpath, b, mode);
        hc_mark_seen(st, relpath);
        g_mutex_lock(&st->lock);
        g_hash_table_replace(st->merged, g_strdup(relpath), g_bytes_ref(b));
        g_mutex_unlock(&st->lock);
        hc_summary(st, "%s: built by the hop MERGED CHANGES hop=%u", relpath, notes->len);
    }
    g_bytes_unref(b);
    return ok;
}

/* ---- editing helpers ---- */

gboolean
hc_doc_set(MsmConfDoc *doc, const char *key, const char *value, const char *why, GPtrArray *notes,
           GError **error)
{
    const MsmConfNode *n = msm_confdoc_find(doc, "", key);
    if (n && g_strcmp0(n->value, value) == 0)
        return TRUE;
    char *old = n && n->value ? g_strdup(n->value) : NULL;
    if (!msm_confdoc_set(doc, "", key, value, error)) {
        g_free(old);
        return FALSE;
    }
    if (notes) {
        gboolean secret = msm_merge_key_is_secret(key);
        if (old)
            hc_note(notes, "changed key=\"%s\" old=\"%s\" merged=\"%s\" reason=\"%s\"", key,
                    secret ? "(set)" : old, secret ? "(set)" : value, why);
        else
            hc_note(notes, "set key=\"%s\" merged=\"%s\" reason=\"%s\"", key,
                    secret ? "(set)" : value, why);
    }
    g_free(old);
    return TRUE;
}

/* The hop's line renames applied to an old file. (transfer full) */
static GBytes *
apply_line_rules(const HcHop *hop, const char *relpath, GBytes *in, GPtrArray *notes,
                 GError **error)
{
    const char *slash = strrchr(relpath, '/');
    const char *base = slash ? slash + 1 : relpath;
    GBytes *cur = g_bytes_ref(in);
    for (const HcLineRule *r = hop->line_rules; r && r->file; r++) {
        if (!g_pattern_match_simple(r->file, base))
            continue;
        GRegex *re = g_regex_new(r->regex, G_REGEX_MULTILINE | G_REGEX_RAW, 0, error);
        if (re == NULL) {
            g_bytes_unref(cur);
            return NULL;
        }
        gsize len;
        const char *data = g_bytes_get_data(cur, &len);
        GMatchInfo *mi = NULL;
        guint n = 0;
        if (g_regex_match_full(re, data ? data : "", (gssize)len, 0, 0, &mi, NULL)) {
            while (g_match_info_matches(mi)) {
                n++;
                g_match_info_next(mi, NULL);
            }
        }
        g_match_info_free(mi);
        if (n > 0) {
            char *out =
                g_regex_replace(re, data ? data : "", (gssize)len, 0, r->replacement, 0, error);
            if (out == NULL) {
                g_regex_unref(re);
                g_bytes_unref(cur);
                return NULL;
            }
            g_bytes_unref(cur);
            cur = g_bytes_new_take(out, strlen(out));
            hc_note(notes, "renamed count=%u reason=\"%s\"", n, r->note);
        }
        g_regex_unref(re);
    }
    return cur;
}

typedef struct {
    const HcHop *hop;
    HcState *st;
} RewriteData;

/* MsmMergeRules.rewrite_path: the hop's path rules. (transfer full) */
static char *
rewrite_path(const char *value, gpointer data)
{
    const RewriteData *rd = data;
    if (value == NULL || rd->st->path_res->len == 0)
        return NULL;
    char *cur = g_strdup(value);
    gboolean changed = FALSE;
    guint i = 0;
    for (const HcPathRule *p = rd->hop->path_rules; p && p->regex; p++, i++) {
        GRegex *re = rd->st->path_res->pdata[i];
        if (!g_regex_match(re, cur, 0, NULL))
            continue;
        gsize rlen;
        char *repl = subst(rd->st, p->replacement, strlen(p->replacement), &rlen);
        char *out = g_regex_replace(re, cur, -1, 0, repl, 0, NULL);
        g_free(repl);
        if (out && strcmp(out, cur) != 0) {
            g_free(cur);
            cur = out;
            changed = TRUE;
        } else {
            g_free(out);
        }
    }
    if (!changed) {
        g_free(cur);
        return NULL;
    }
    return cur;
}

/* From 6.3 on msg.conf holds only what differs from msg.conf.defaults (facts §1.1). */
static gboolean
split_msg_conf(const HcHop *hop, HcState *st, MsmConfDoc *merged, GPtrArray *notes, GError **error)
{
    GBytes *db = hc_template(hop, st, hop->to, "msg.conf.defaults");
    if (db == NULL)
        return TRUE;
    MsmConfDoc *defs = hc_parse("msg.conf.defaults", NULL, db, error);
    g_bytes_unref(db);
    if (defs == NULL)
        return FALSE;
    GPtrArray *entries = msm_confdoc_entries(merged);
    GPtrArray *drop = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < entries->len; i++) {
        const MsmConfNode *n = entries->pdata[i];
        const MsmConfNode *d = msm_confdoc_find(defs, n->section, n->key);
        if (d && g_strcmp0(d->value, n->value) == 0)
            g_ptr_array_add(drop, g_strdup(n->key));
    }
    g_ptr_array_unref(entries);
    for (guint i = 0; i < drop->len; i++) {
        msm_confdoc_remove(merged, "", drop->pdata[i]);
        hc_note(notes,
                "moved key=\"%s\" reason=\"equal to the %s default: kept in msg.conf.defaults, "
                "msg.conf holds only overrides\"",
                (const char *)drop->pdata[i], hop->to);
    }
    g_ptr_array_unref(drop);
    msm_confdoc_free(defs);
    return TRUE;
}

/* The CHANGES text: the merge engine's, then the hop's own edits. (transfer full) */
static char *
changes_text(const HcHop *hop, const char *relpath, const GPtrArray *changes,
             const GPtrArray *notes)
{
    char *base = msm_merge_changes_text(relpath, hop->from, hop->to, changes);
    GString *s = g_string_new(base);
    g_free(base);
    g_string_append_printf(s, "\n# hop-specific (docs/config-hops.md): %u\n", notes->len);
    for (guint i = 0; i < notes->len; i++)
        g_string_append_printf(s, "hop %s\n", (const char *)notes->pdata[i]);
    return g_string_free(s, FALSE);
}

/* ---- the migrator ---- */

/* The row of a file merged through HcHop.extra_formats. */
static const MsmMergeTableEntry extra_row = {
    "*",  "a file of this hop's own format list", NULL, TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE,
    FALSE};

/* The format name HcHop.extra_formats gives relpath's base name, or NULL. */
static const char *
extra_format(const HcHop *hop, const char *relpath)
{
    const char *slash = strrchr(relpath, '/');
    const char *base = slash ? slash + 1 : relpath;
    for (const char *const *p = hop->extra_formats; p && p[0] && p[1]; p += 2)
        if (strcmp(p[0], base) == 0)
            return p[1];
    return NULL;
}

MsmResult
hc_transform(const HcHop *hop, MsmCtx *ctx, MsmItem *item, GError **error)
{
    MsmConfigFile *cf = item->payload;
    HcState *st = state_get(hop, ctx);
    hc_mark_seen(st, cf->relpath);
    if (hop->custom) {
        MsmResult r = MSM_RESULT_CONTINUE;
        GError *err = NULL;
        if (hop->custom(ctx, hop, st, cf, &r, &err))
            return r;
        if (err) {
            g_propagate_prefixed_error(error, err, "hop %s -> %s: %s: ", hop->from, hop->to,
                                       cf->relpath);
            return MSM_RESULT_ERROR;
        }
    }
    const MsmMergeTableEntry *row = msm_merge_table_lookup(hop->from, hop->to, cf->relpath, NULL);
    const MsmConfFormat *fmt = NULL;
    if (row)
        fmt =
            row->format ? msm_conf_format_find(row->format) : msm_conf_format_for_file(cf->relpath);
    const char *extra = extra_format(hop, cf->relpath);
    if (row == NULL && extra) {
        row = &extra_row;
        fmt = msm_conf_format_find(extra);
    }
    if (row == NULL || fmt == NULL) {
        hc_summary(st, "%s: not merged (%s); carried as it is", cf->relpath,
                   msm_merge_table_is_seeded(hop->from, hop->to)
                       ? "not in seed 000's table of merged files"
                       : "no configuration format is known for it");
        return MSM_RESULT_CONTINUE;
    }

    GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *changes = NULL;
    MsmConfDoc *od = NULL, *dd = NULL, *nd = NULL, *merged = NULL;
    const char *slash = strrchr(cf->relpath, '/');
    const char *base = slash ? slash + 1 : cf->relpath;
    GBytes *oldb = NULL, *db = NULL, *nb = NULL, *out = NULL;
    MsmResult res = MSM_RESULT_ERROR;
    GError *err = NULL;

    oldb = apply_line_rules(hop, cf->relpath, cf->content, notes, &err);
    if (oldb == NULL ||
        (od = msm_confdoc_parse(fmt, cf->relpath,
                                g_bytes_get_data(oldb, NULL) ? g_bytes_get_data(oldb, NULL) : "",
                                g_bytes_get_size(oldb), &err)) == NULL)
        goto fail;
    if ((db = hc_template(hop, st, hop->from, cf->relpath)) &&
        (dd = hc_parse(cf->relpath, fmt->name, db, &err)) == NULL)
        goto fail;
    if ((nb = hc_template(hop, st, hop->to, cf->relpath)) &&
        (nd = hc_parse(cf->relpath, fmt->name, nb, &err)) == NULL)
        goto fail;

    RewriteData rd = {hop, st};
    MsmMergeRules rules = {0};
    rules.obsolete = hop->obsolete;
    rules.keep_old_structure = row->keep_old_structure;
    rules.rewrite_path = rewrite_path;
    rules.drop_old_only = strcmp(base, "msg.conf.defaults") == 0;
    rules.from_version = hop->from;
    rules.to_version = hop->to;
    rules.data = &rd;
    merged = msm_merge(od, dd, nd, &rules, &changes, &err);
    if (merged == NULL)
        goto fail;
    if (strcmp(base, "msg.conf") == 0 && !split_msg_conf(hop, st, merged, notes, &err))
        goto fail;
    if (hop->fixup && !hop->fixup(ctx, hop, st, cf->relpath, merged, notes, &err))
        goto fail;
    out = msm_confdoc_serialize(merged);

    guint counts[MSM_MERGE_PATH_REWRITTEN + 1] = {0};
    gboolean any = notes->len > 0;
    for (guint i = 0; i < changes->len; i++) {
        const MsmMergeChange *c = changes->pdata[i];
        if ((guint)c->action < G_N_ELEMENTS(counts))
            counts[c->action]++;
        any = any || c->action != MSM_MERGE_SAME;
    }
    gboolean want_changes = row->changes == MSM_MERGE_CHANGES_ALWAYS ||
                            (row->changes == MSM_MERGE_CHANGES_IF_ANY && any);
    if (row->merged) {
        char *rel = g_strconcat(cf->relpath, ".MERGED", NULL);
        gboolean ok =
            hc_artifact(ctx, hop, rel, g_bytes_get_data(out, NULL), g_bytes_get_size(out), &err);
        g_free(rel);
        if (!ok)
            goto fail;
    }
    if (want_changes) {
        char *text = changes_text(hop, cf->relpath, changes, notes);
        char *rel = g_strconcat(cf->relpath, ".CHANGES", NULL);
        gboolean ok = hc_artifact(ctx, hop, rel, text, strlen(text), &err);
        g_free(rel);
        g_free(text);
        if (!ok)
            goto fail;
    }
    hc_summary(st,
               "%s: merged%s%s same=%u kept-old=%u took-new=%u only-old=%u only-new=%u "
               "obsolete=%u path=%u hop=%u",
               cf->relpath, row->merged ? " MERGED" : "", want_changes ? " CHANGES" : "",
               counts[MSM_MERGE_SAME], counts[MSM_MERGE_KEPT_OLD], counts[MSM_MERGE_TOOK_NEW],
               counts[MSM_MERGE_ONLY_OLD], counts[MSM_MERGE_ONLY_NEW], counts[MSM_MERGE_OBSOLETE],
               counts[MSM_MERGE_PATH_REWRITTEN], notes->len);
    /* Kept for finish() checks: only the small files they read (memory stays bounded
     * whatever the size of mappings or aliases). */
    if (strcmp(base, "imta.cnf") == 0 || strcmp(base, "job_controller.cnf") == 0 ||
        strcmp(base, "msg.conf") == 0) {
        g_mutex_lock(&st->lock);
        g_hash_table_replace(st->merged, g_strdup(cf->relpath), g_bytes_ref(out));
        g_mutex_unlock(&st->lock);
    }
    g_bytes_unref(cf->content);
    cf->content = g_bytes_ref(out);
    g_free(cf->format);
    cf->format = g_strdup(fmt->name);
    res = MSM_RESULT_CONTINUE;
    goto done;
fail : {
    GError *e = err ? err : g_error_new_literal(MSM_ERROR, MSM_ERROR_FAILED, "merge failed");
    g_set_error(error, MSM_ERROR, e->domain == MSM_ERROR ? e->code : MSM_ERROR_FAILED,
                "hop %s -> %s: %s: %s (fix the source file, or leave the configuration out "
                "with --only, then rerun with --resume)",
                hop->from, hop->to, cf->relpath, e->message);
    g_error_free(e);
}
done:
    if (changes)
        g_ptr_array_unref(changes);
    g_ptr_array_unref(notes);
    msm_confdoc_free(od);
    msm_confdoc_free(dd);
    msm_confdoc_free(nd);
    msm_confdoc_free(merged);
    if (oldb)
        g_bytes_unref(oldb);
    if (db)
        g_bytes_unref(db);
    if (nb)
        g_bytes_unref(nb);
    if (out)
        g_bytes_unref(out);
    return res;
}

gboolean
hc_finish(const HcHop *hop, MsmCtx *ctx, GError **error)
{
    HcState *st = state_get(hop, ctx);
    gboolean ok = TRUE;
    if (hop->finish && !hop->finish(ctx, hop, st, error))
        ok = FALSE;
    for (const HcTemplate *t = hop->templates; ok && t && t->version; t++) {
        if (strcmp(t->version, hop->to) != 0 || hc_seen(st, t->relpath))
            continue;
        GBytes *b = hc_template(hop, st, t->version, t->relpath);
        const char *slash = strrchr(t->relpath, '/');
        const char *base = slash ? slash + 1 : t->relpath;
        guint32 mode =
            strcmp(base, "msg.conf") == 0 || strcmp(base, "job_controller.cnf") == 0 ? 0600 : 0644;
        hc_emit(ctx, t->relpath, b, mode);
        g_bytes_unref(b);
        hc_mark_seen(st, t->relpath);
        hc_summary(st, "%s: new in %s (template emitted)", t->relpath, hop->to);
    }
    if (ok) {
        GString *s = g_string_new(NULL);
        g_string_append_printf(s, "# msmigrate hop summary 1\nhop=\"%s -> %s\"\n", hop->from,
                               hop->to);
        g_mutex_lock(&st->lock);
        g_string_append(s, st->summary->str);
        g_mutex_unlock(&st->lock);
        ok = hc_artifact(ctx, hop, "SUMMARY", s->str, s->len, error);
        g_string_free(s, TRUE);
    }
    g_mutex_lock(&registry_lock);
    if (registry)
        g_hash_table_remove(registry, hop);
    g_mutex_unlock(&registry_lock);
    return ok;
}
