/*
 * NAME
 *	cli-config.c - `msmigrate config merge|install|uninstall` (+ diff|toxml|fromxml
 *	in cli-config-uc.c)
 * SUMMARY
 *	The single-purpose verbs that match the vendor's configuration tools
 *	(docs/config-merge.md):
 *	merge: UpgradeMsg5toMsg6.pl - compares the old deployment's
 *	configuration with the new version's installed one and writes
 *	<file>.MERGED and/or <file>.CHANGES into a scratch directory, as seed
 *	000's Table 1 says for ims-5.2 -> ms-6.0 (core/merge-table.c), or the
 *	documented default for other hops.
 *	install: make_mta_config_changes.pl / install-newconfig - backs up
 *	each file a *.MERGED replaces into DIR/installed/ and makes the
 *	*.MERGED the active file (docs/formats/config-install-manifest.md).
 *	uninstall: uninstall-newconfig - restores what install replaced and
 *	removes what it created.
 * DESCRIPTION
 *	Files are listed and read by the config-files codec
 *	(core/codec-config-files.c), so relpaths are the codec's ("imta.cnf"
 *	in every version, "msg.conf"), and install puts a relpath where the
 *	codec's writer would (msm_core_config_file_dir). Nothing is written
 *	outside the target root and the scratch directory; symbolic links are
 *	never written through.
 * DIAGNOSTICS
 *	"msmigrate: config VERB: message" on stderr, naming the file and the
 *	fix; exit 0 when done, 1 on any error or refusal (nothing was changed
 *	by a refusal).
 */
#include "config.h"

#include "builtin.h"
#include "cli.h"
#include "cli-config-uc.h"
#include "ctxpriv.h"
#include "json.h"
#include "merge-table.h"
#include "util.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/merge.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MANIFEST_MAGIC "# msmigrate config-install manifest 1"

/* ---- shared helpers ---- */

/* Prints "msmigrate: config SUB: message" and frees err. */
static void
config_fail(const char *sub, GError *err)
{
    fprintf(stderr, "msmigrate: config %s: %s\n", sub, err ? err->message : "failed");
    g_clear_error(&err);
}

/* Lists a deployment's configuration files with the config-files codec: relpath ->
 * MsmItem* (kind config); files that cannot be read go to refused (messages). */
GHashTable *
cli_config_load_files(const char *root, const char *version, const char *instance,
                      GPtrArray *order, GPtrArray *refused, GError **error)
{
    const MsmCodec *codec = msm_core_config_files_codec();
    MsmCtx *ctx = msm_ctx_new();
    ctx->instance = g_strdup(instance);
    gpointer r = codec->reader_open(ctx, root, version, error);
    if (r == NULL) {
        msm_ctx_free(ctx);
        return NULL;
    }
    GHashTable *files =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)msm_item_free);
    for (;;) {
        MsmItem *item = NULL;
        GError *err = NULL;
        if (!codec->reader_next(r, &item, &err)) {
            if (refused)
                g_ptr_array_add(refused, g_strdup(err->message));
            g_error_free(err);
            continue;
        }
        if (item == NULL)
            break;
        MsmConfigFile *f = item->payload;
        g_hash_table_replace(files, f->relpath, item);
        if (order)
            g_ptr_array_add(order, g_strdup(f->relpath));
    }
    codec->reader_close(r);
    msm_ctx_free(ctx);
    return files;
}

/* The MsmConfigFile of relpath in files, or NULL. */
static MsmConfigFile *
file_of(GHashTable *files, const char *relpath)
{
    MsmItem *item = files ? g_hash_table_lookup(files, relpath) : NULL;
    return item ? item->payload : NULL;
}

/* Parses a file's bytes as fmt. (transfer full) */
static MsmConfDoc *
parse_bytes(const MsmConfFormat *fmt, const char *name, GBytes *bytes, GError **error)
{
    gsize len = 0;
    const char *data = bytes ? g_bytes_get_data(bytes, &len) : NULL;
    return msm_confdoc_parse(fmt, name, data ? data : "", len, error);
}

/* Reads path whole; MSM_ERROR_IO naming it. */
static gboolean
read_all(const char *path, char **data_r, gsize *len_r, GError **error)
{
    GError *err = NULL;
    if (!g_file_get_contents(path, data_r, len_r, &err)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", path, err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

/* Hex SHA-256 of the file at path, or NULL when it does not exist (or is not a
 * regular file: *is_other_r TRUE). */
static char *
sha_of_path(const char *path, gboolean *is_other_r, GError **error)
{
    struct stat st;
    *is_other_r = FALSE;
    if (lstat(path, &st) != 0)
        return NULL;
    if (!S_ISREG(st.st_mode)) {
        *is_other_r = TRUE;
        return NULL;
    }
    char *data;
    gsize len;
    if (!read_all(path, &data, &len, error)) {
        *is_other_r = TRUE;
        return NULL;
    }
    char *sha = msm_sha256_hex(data, len);
    g_free(data);
    return sha;
}

/* TRUE if path (canonical) is root (canonical) or below it. */
static gboolean
is_within(const char *path, const char *root)
{
    gsize n = strlen(root);
    if (!g_str_has_prefix(path, root))
        return FALSE;
    return path[n] == '\0' || path[n] == '/' || (n > 0 && root[n - 1] == '/');
}

/* ---- merge ---- */

/* Adds from -> to (both absolute, '/'-terminated here) to the path map unless known. */
static void
map_add(GPtrArray *froms, GPtrArray *tos, const char *from, const char *to)
{
    if (from == NULL || to == NULL || from[0] != '/' || to[0] != '/')
        return;
    char *f = g_str_has_suffix(from, "/") ? g_strdup(from) : g_strconcat(from, "/", NULL);
    char *t = g_str_has_suffix(to, "/") ? g_strdup(to) : g_strconcat(to, "/", NULL);
    gboolean known = strcmp(f, t) == 0;
    for (guint i = 0; i < froms->len && !known; i++)
        known = strcmp(froms->pdata[i], f) == 0;
    if (known) {
        g_free(f);
        g_free(t);
        return;
    }
    g_ptr_array_add(froms, f);
    g_ptr_array_add(tos, t);
}

/* How merge rewrites installation paths: whole values first, then prefixes. */
typedef struct {
    GHashTable *exact;          /* old value -> new value */
    const MsmMergePathMap *map; /* prefixes, for msm_merge_rewrite_paths */
} Rewrite;

/* MsmMergeRules.rewrite_path: an exact old value, else the prefix map. (transfer full) */
static char *
rewrite_value(const char *value, gpointer data)
{
    const Rewrite *rw = data;
    const char *to = value ? g_hash_table_lookup(rw->exact, value) : NULL;
    if (to)
        return g_strdup(to);
    return msm_merge_rewrite_paths(value, (gpointer)rw->map);
}

/* Records IMTA_ROOT old -> new as whole values, with and without the final '/'. */
static void
exact_add(GHashTable *exact, const char *from, const char *to)
{
    char *f = g_strdup(from), *t = g_strdup(to);
    g_hash_table_insert(exact, g_strdup(f), g_strdup(t));
    while (strlen(f) > 1 && g_str_has_suffix(f, "/"))
        f[strlen(f) - 1] = '\0';
    while (strlen(t) > 1 && g_str_has_suffix(t, "/"))
        t[strlen(t) - 1] = '\0';
    g_hash_table_insert(exact, f, t);
}

/* Adds the directory pairs of two imta_tailor files: every IMTA_* key both give an
 * absolute value for maps the old directory (the value, or its dirname for a file)
 * to the new one. IMTA_ROOT is only mapped as a whole value: 6.x rearranged the tree
 * below it (the store moved to data/store), so mapping it as a prefix would invent
 * paths. */
static void
map_from_tailors(GPtrArray *froms, GPtrArray *tos, GHashTable *exact, MsmConfigFile *oldf,
                 MsmConfigFile *newf)
{
    const MsmConfFormat *fmt = msm_conf_format_for_file("imta_tailor");
    if (oldf == NULL || newf == NULL || fmt == NULL)
        return;
    MsmConfDoc *od = parse_bytes(fmt, "imta_tailor", oldf->content, NULL);
    MsmConfDoc *nd = parse_bytes(fmt, "imta_tailor", newf->content, NULL);
    if (od && nd) {
        GPtrArray *entries = msm_confdoc_entries(od);
        for (guint i = 0; i < entries->len; i++) {
            const MsmConfNode *o = entries->pdata[i];
            const MsmConfNode *n = msm_confdoc_find(nd, o->section, o->key);
            if (n == NULL || o->value == NULL || n->value == NULL || o->value[0] != '/' ||
                n->value[0] != '/')
                continue;
            if (g_ascii_strcasecmp(o->key, "IMTA_ROOT") == 0) {
                exact_add(exact, o->value, n->value);
                continue;
            }
            if (g_str_has_suffix(o->value, "/") || g_str_has_suffix(n->value, "/")) {
                map_add(froms, tos, o->value, n->value);
            } else {
                char *a = g_path_get_dirname(o->value), *b = g_path_get_dirname(n->value);
                map_add(froms, tos, a, b);
                g_free(a);
                g_free(b);
            }
        }
        g_ptr_array_unref(entries);
    }
    msm_confdoc_free(od);
    msm_confdoc_free(nd);
}

/* The names of the SMTP channels of an imta.cnf (keyword "smtp"). (transfer full) */
static char **
smtp_channels_of(MsmConfigFile *imta)
{
    const MsmConfFormat *fmt = msm_conf_format_for_file("imta.cnf");
    if (imta == NULL || fmt == NULL)
        return NULL;
    MsmConfDoc *doc = parse_bytes(fmt, "imta.cnf", imta->content, NULL);
    if (doc == NULL)
        return NULL;
    GPtrArray *names = g_ptr_array_new();
    GPtrArray *entries = msm_confdoc_entries(doc);
    for (guint i = 0; i < entries->len; i++) {
        const MsmConfNode *e = entries->pdata[i];
        if (strcmp(e->section, "channels") != 0 || e->value == NULL)
            continue;
        char *first = g_strndup(e->value, strcspn(e->value, "\n"));
        char **words = g_strsplit_set(first, " \t", -1);
        if (g_strv_contains((const char *const *)words, "smtp"))
            g_ptr_array_add(names, g_strdup(e->key));
        g_strfreev(words);
        g_free(first);
    }
    g_ptr_array_unref(entries);
    msm_confdoc_free(doc);
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

/* What merge did with one file, for the summary. */
typedef struct {
    char *relpath;
    const MsmMergeTableEntry *row;
    char *merged;  /* written path, or NULL */
    char *changes; /* written path, or NULL */
    guint counts[MSM_MERGE_PATH_REWRITTEN + 1];
    char *reason;  /* not merged: why; NULL when merged */
    gboolean error; /* not merged because of an error */
} MergeOut;

/* Frees a MergeOut. */
static void
merge_out_free(gpointer p)
{
    MergeOut *m = p;
    g_free(m->relpath);
    g_free(m->merged);
    g_free(m->changes);
    g_free(m->reason);
    g_free(m);
}

/* Writes bytes to DIR/relpath+suffix (creating the directories). (transfer full path) */
static char *
write_out(const char *dir, const char *relpath, const char *suffix, const void *data, gsize len,
          guint mode, GError **error)
{
    char *rel = g_strconcat(relpath, suffix, NULL);
    char *path = msm_path_under(dir, rel, error);
    g_free(rel);
    if (path == NULL)
        return NULL;
    char *parent = g_path_get_dirname(path);
    gboolean ok = msm_mkdir_p(parent, FALSE, error) &&
                  msm_write_file_atomic(path, data ? data : "", len, mode, error);
    g_free(parent);
    if (!ok) {
        g_free(path);
        return NULL;
    }
    return path;
}

/* Merges one old file (relpath) into out->merged / out->changes. */
static gboolean
merge_one(MergeOut *out, MsmConfigFile *oldf, MsmConfigFile *newf, const char *defaults_dir,
          const char *from, const char *to, const Rewrite *rw, const char *outdir,
          GError **error)
{
    const MsmMergeTableEntry *row = out->row;
    const MsmConfFormat *fmt = row->format ? msm_conf_format_find(row->format)
                                           : msm_conf_format_for_file(out->relpath);
    if (fmt == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED,
                    "%s: no configuration format is known for it, so it cannot be merged; "
                    "merge it by hand",
                    out->relpath);
        return FALSE;
    }
    MsmConfDoc *od = NULL, *dd = NULL, *nd = NULL, *merged = NULL;
    GPtrArray *changes = NULL;
    gboolean ok = FALSE;
    od = parse_bytes(fmt, out->relpath, oldf->content, error);
    if (od == NULL)
        goto done;
    if (newf && (nd = parse_bytes(fmt, out->relpath, newf->content, error)) == NULL)
        goto done;
    if (defaults_dir) {
        char *dp = msm_path_under(defaults_dir, out->relpath, error);
        if (dp == NULL)
            goto done;
        if (g_file_test(dp, G_FILE_TEST_IS_REGULAR)) {
            char *data;
            gsize len;
            if (read_all(dp, &data, &len, error))
                dd = msm_confdoc_parse(fmt, out->relpath, data, len, error);
            g_free(data);
            if (dd == NULL) {
                g_free(dp);
                goto done;
            }
        }
        g_free(dp);
    }
    MsmMergeRules rules = {0};
    rules.keep_old_structure = row->keep_old_structure;
    rules.rewrite_path = rewrite_value;
    rules.data = (gpointer)rw;
    rules.from_version = from;
    rules.to_version = to;
    merged = msm_merge(od, dd, nd, &rules, &changes, error);
    if (merged == NULL)
        goto done;
    gboolean any = FALSE;
    for (guint i = 0; i < changes->len; i++) {
        const MsmMergeChange *c = changes->pdata[i];
        if ((guint)c->action < G_N_ELEMENTS(out->counts))
            out->counts[c->action]++;
        any = any || c->action != MSM_MERGE_SAME;
    }
    if (row->merged) {
        GBytes *b = msm_confdoc_serialize(merged);
        gsize len;
        gconstpointer data = g_bytes_get_data(b, &len);
        out->merged = write_out(outdir, out->relpath, ".MERGED", data, len,
                                oldf->mode ? oldf->mode : 0644, error);
        g_bytes_unref(b);
        if (out->merged == NULL)
            goto done;
    }
    if (row->changes == MSM_MERGE_CHANGES_ALWAYS ||
        (row->changes == MSM_MERGE_CHANGES_IF_ANY && any)) {
        char *text = msm_merge_changes_text(out->relpath, from, to, changes);
        out->changes = write_out(outdir, out->relpath, ".CHANGES", text, strlen(text), 0644, error);
        g_free(text);
        if (out->changes == NULL)
            goto done;
    }
    ok = TRUE;
done:
    if (changes)
        g_ptr_array_unref(changes);
    msm_confdoc_free(merged);
    msm_confdoc_free(od);
    msm_confdoc_free(dd);
    msm_confdoc_free(nd);
    return ok;
}

/* Prints the merge summary. */
static void
merge_report(gboolean json, const char *from, const char *to, gboolean seeded, const char *outdir,
             GPtrArray *outs, GPtrArray *refused)
{
    if (json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "from", from);
        msm_json_kv_string(j, "to", to);
        msm_json_kv_string(j, "table", seeded ? "seed-000-table-1" : "default");
        msm_json_kv_string(j, "out", outdir);
        msm_json_key(j, "files");
        msm_json_begin_array(j);
        for (guint i = 0; i < outs->len; i++) {
            const MergeOut *m = outs->pdata[i];
            if (m->reason)
                continue;
            msm_json_begin_object(j);
            msm_json_kv_string(j, "relpath", m->relpath);
            msm_json_kv_string(j, "row", m->row->what);
            msm_json_kv_string(j, "merged", m->merged);
            msm_json_kv_string(j, "changes", m->changes);
            msm_json_key(j, "actions");
            msm_json_begin_object(j);
            for (guint a = 0; a < G_N_ELEMENTS(m->counts); a++)
                msm_json_kv_int(j, msm_merge_action_name((MsmMergeAction)a), m->counts[a]);
            msm_json_end_object(j);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        msm_json_key(j, "not_merged");
        msm_json_begin_array(j);
        for (guint i = 0; i < outs->len; i++) {
            const MergeOut *m = outs->pdata[i];
            if (m->reason == NULL)
                continue;
            msm_json_begin_object(j);
            msm_json_kv_string(j, "relpath", m->relpath);
            msm_json_kv_string(j, "reason", m->reason);
            msm_json_kv_bool(j, "error", m->error);
            msm_json_end_object(j);
        }
        for (guint i = 0; i < refused->len; i++) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "relpath", NULL);
            msm_json_kv_string(j, "reason", refused->pdata[i]);
            msm_json_kv_bool(j, "error", TRUE);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        msm_json_end_object(j);
        char *text = msm_json_finish(j);
        fputs(text, stdout);
        g_free(text);
        return;
    }
    printf("config merge %s -> %s (%s) into %s\n", from, to,
           seeded ? "seed 000 Table 1" : "default: MERGED and CHANGES for every known format",
           outdir);
    for (guint i = 0; i < outs->len; i++) {
        const MergeOut *m = outs->pdata[i];
        if (m->reason)
            continue;
        GString *line = g_string_new(NULL);
        g_string_printf(line, "  %-24s %-7s %-8s", m->relpath, m->merged ? "MERGED" : "-",
                        m->changes ? "CHANGES" : "-");
        for (guint a = 1; a < G_N_ELEMENTS(m->counts); a++)
            if (m->counts[a])
                g_string_append_printf(line, " %s=%u", msm_merge_action_name((MsmMergeAction)a),
                                       m->counts[a]);
        printf("%s\n", g_strchomp(line->str));
        g_string_free(line, TRUE);
    }
    guint n = 0;
    for (guint i = 0; i < outs->len; i++)
        n += ((MergeOut *)outs->pdata[i])->reason != NULL;
    if (n + refused->len > 0) {
        printf("not merged (%u):\n", n + refused->len);
        for (guint i = 0; i < outs->len; i++) {
            const MergeOut *m = outs->pdata[i];
            if (m->reason)
                printf("  %-24s %s\n", m->relpath, m->reason);
        }
        for (guint i = 0; i < refused->len; i++)
            printf("  %s\n", (char *)refused->pdata[i]);
    }
}

/* Fills the path map: old imta_tailor directories to new ones, then the old layout's
 * configuration and MTA configuration directories to the new layout's. */
static MsmMergePathMap *
build_path_map(const MsmLayout *ol, const MsmLayout *nl, GHashTable *oldfiles,
               GHashTable *newfiles, GPtrArray *froms, GPtrArray *tos, GHashTable *exact)
{
    map_from_tailors(froms, tos, exact, file_of(oldfiles, "imta_tailor"),
                     file_of(newfiles, "imta_tailor"));
    map_add(froms, tos, msm_layout_mta_config_dir(ol), msm_layout_mta_config_dir(nl));
    map_add(froms, tos, msm_layout_config_dir(ol), msm_layout_config_dir(nl));
    MsmMergePathMap *map = g_new0(MsmMergePathMap, froms->len + 1);
    for (guint i = 0; i < froms->len; i++) {
        map[i].from = froms->pdata[i];
        map[i].to = tos->pdata[i];
    }
    return map;
}

/* TRUE if dir is absent or an empty directory. */
static gboolean
dir_absent_or_empty(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return errno == ENOENT;
    if (!S_ISDIR(st.st_mode))
        return FALSE;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return FALSE;
    gboolean empty = g_dir_read_name(d) == NULL;
    g_dir_close(d);
    return empty;
}

/* config merge: writes *.MERGED / *.CHANGES for the old deployment's files. */
static int
config_merge(int argc, char **argv)
{
    CliCommon common = {0};
    char *old_root = NULL, *from = NULL, *new_root = NULL, *to = NULL, *outdir = NULL;
    char *defaults = NULL, *instance = NULL;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    MsmLayout *ol = NULL, *nl = NULL;
    GHashTable *oldfiles = NULL, *newfiles = NULL;
    GPtrArray *order = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *refused = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *outs = g_ptr_array_new_with_free_func(merge_out_free);
    GPtrArray *froms = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *tos = g_ptr_array_new_with_free_func(g_free);
    MsmMergePathMap *map = NULL;
    GHashTable *exact = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char **smtp = NULL;
    const GOptionEntry entries[] = {
        {"old", 0, 0, G_OPTION_ARG_FILENAME, &old_root, "The old deployment's root", "ROOT"},
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "The old deployment's version", "VERSION"},
        {"new", 0, 0, G_OPTION_ARG_FILENAME, &new_root,
         "Root of the new version's installed configuration", "ROOT"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "The new version", "VERSION"},
        {"out", 0, 0, G_OPTION_ARG_FILENAME, &outdir,
         "Scratch directory for *.MERGED and *.CHANGES (created; absent or empty)", "DIR"},
        {"old-defaults", 0, 0, G_OPTION_ARG_FILENAME, &defaults,
         "The old version's shipped files, by relpath (imta.cnf, msg.conf)", "DIR"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "The old instance when the server root has several", "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "config merge", "",
                   "Compare the old deployment's configuration with the new version's installed "
                   "configuration and write <file>.MERGED and/or <file>.CHANGES into DIR, as "
                   "UpgradeMsg5toMsg6.pl does (docs/config-merge.md).",
                   entries, &common))
        goto out;
    if (!old_root || !from || !new_root || !to || !outdir) {
        fprintf(stderr, "msmigrate: config merge: pass --old ROOT --from VERSION --new ROOT "
                        "--to VERSION --out DIR\n");
        goto out;
    }
    const char *from_id = cli_version(from, "config merge --from");
    const char *to_id = from_id ? cli_version(to, "config merge --to") : NULL;
    if (to_id == NULL)
        goto out;
    if (!dir_absent_or_empty(outdir)) {
        fprintf(stderr, "msmigrate: config merge: %s exists and is not an empty directory: name a "
                        "new scratch directory with --out\n", outdir);
        goto out;
    }
    if (defaults && !msm_dir_exists(defaults)) {
        fprintf(stderr, "msmigrate: config merge: --old-defaults %s is not a directory\n",
                defaults);
        goto out;
    }
    if ((ol = msm_layout_resolve(old_root, from_id, instance, &err)) == NULL ||
        (nl = msm_layout_resolve(new_root, to_id, NULL, &err)) == NULL ||
        (oldfiles = cli_config_load_files(old_root, from_id, instance, order, refused,
                                          &err)) == NULL ||
        (newfiles = cli_config_load_files(new_root, to_id, NULL, NULL, NULL, &err)) == NULL) {
        config_fail("merge", err);
        goto out;
    }
    if (!msm_mkdir_p(outdir, FALSE, &err)) {
        config_fail("merge", err);
        goto out;
    }
    map = build_path_map(ol, nl, oldfiles, newfiles, froms, tos, exact);
    Rewrite rw = {exact, map};
    smtp = smtp_channels_of(file_of(oldfiles, "imta.cnf"));
    gboolean seeded = msm_merge_table_is_seeded(from_id, to_id);
    gboolean failed = refused->len > 0;
    for (guint i = 0; i < order->len; i++) {
        const char *rel = order->pdata[i];
        MergeOut *m = g_new0(MergeOut, 1);
        m->relpath = g_strdup(rel);
        g_ptr_array_add(outs, m);
        m->row = msm_merge_table_lookup(from_id, to_id, rel, (const char *const *)smtp);
        if (m->row == NULL) {
            m->reason = seeded ? g_strdup_printf("not in seed 000's table for %s -> %s: merge it "
                                                 "by hand if the new version needs it",
                                                 from_id, to_id)
                               : g_strdup("no known configuration format: merge it by hand");
            continue;
        }
        if (!merge_one(m, file_of(oldfiles, rel), file_of(newfiles, rel), defaults, from_id,
                       to_id, &rw, outdir, &err)) {
            m->reason = g_strdup(err->message);
            m->error = TRUE;
            failed = TRUE;
            g_clear_error(&err);
        }
    }
    merge_report(common.json, from_id, to_id, seeded, outdir, outs, refused);
    if (failed)
        fprintf(stderr, "msmigrate: config merge: some files could not be merged (listed above)\n");
    rc = failed ? MSM_EXIT_FAILED : MSM_EXIT_OK;
out:
    g_strfreev(smtp);
    g_free(map);
    g_hash_table_unref(exact);
    g_ptr_array_unref(froms);
    g_ptr_array_unref(tos);
    g_ptr_array_unref(outs);
    g_ptr_array_unref(order);
    g_ptr_array_unref(refused);
    if (oldfiles)
        g_hash_table_unref(oldfiles);
    if (newfiles)
        g_hash_table_unref(newfiles);
    msm_layout_free(ol);
    msm_layout_free(nl);
    g_free(old_root);
    g_free(from);
    g_free(new_root);
    g_free(to);
    g_free(outdir);
    g_free(defaults);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}

/* ---- the install manifest (docs/formats/config-install-manifest.md) ---- */

typedef enum { REC_REPLACED, REC_CREATED, REC_MKDIR } RecKind;

typedef struct {
    RecKind kind;
    char *relpath;       /* NULL for mkdir */
    char *path;          /* absolute destination */
    guint mode;          /* replaced: the original file's permission bits */
    char *original_sha;  /* replaced */
    char *installed_sha; /* replaced, created */
    char *backup;        /* replaced: relative to DIR/installed */
} Rec;

typedef struct {
    char *target;  /* canonical target root */
    char *version;
    char *state;   /* installing | installed | uninstalled */
    char *time;
    GPtrArray *recs; /* Rec* */
} Manifest;

/* Frees a Rec. */
static void
rec_free(gpointer p)
{
    Rec *r = p;
    g_free(r->relpath);
    g_free(r->path);
    g_free(r->original_sha);
    g_free(r->installed_sha);
    g_free(r->backup);
    g_free(r);
}

/* Frees a Manifest. */
static void
manifest_free(Manifest *m)
{
    if (m == NULL)
        return;
    g_free(m->target);
    g_free(m->version);
    g_free(m->state);
    g_free(m->time);
    g_ptr_array_unref(m->recs);
    g_free(m);
}

/* Appends ` name="escaped value"` when value is not NULL. */
static void
put_field(GString *s, const char *name, const char *value)
{
    if (value == NULL)
        return;
    char *esc = g_strescape(value, NULL);
    g_string_append_printf(s, " %s=\"%s\"", name, esc);
    g_free(esc);
}

/* The manifest's text. (transfer full) */
static char *
manifest_text(const Manifest *m)
{
    static const char *const kinds[] = {"replaced", "created", "mkdir"};
    GString *s = g_string_new(MANIFEST_MAGIC "\n");
    const char *hdr[][2] = {{"target", m->target}, {"version", m->version},
                            {"state", m->state},   {"time", m->time}};
    for (guint i = 0; i < G_N_ELEMENTS(hdr); i++) {
        char *esc = g_strescape(hdr[i][1] ? hdr[i][1] : "", NULL);
        g_string_append_printf(s, "%s=\"%s\"\n", hdr[i][0], esc);
        g_free(esc);
    }
    for (guint i = 0; i < m->recs->len; i++) {
        const Rec *r = m->recs->pdata[i];
        g_string_append(s, kinds[r->kind]);
        put_field(s, "relpath", r->relpath);
        put_field(s, "path", r->path);
        if (r->kind == REC_REPLACED) {
            char mode[8];
            g_snprintf(mode, sizeof mode, "%04o", r->mode & 07777);
            put_field(s, "mode", mode);
        }
        put_field(s, "original-sha256", r->original_sha);
        put_field(s, "installed-sha256", r->installed_sha);
        put_field(s, "backup", r->backup);
        g_string_append_c(s, '\n');
    }
    return g_string_free(s, FALSE);
}

/* Writes the manifest atomically to DIR/installed/manifest. */
static gboolean
manifest_write(const char *state_dir, Manifest *m, const char *state, GError **error)
{
    g_free(m->state);
    m->state = g_strdup(state);
    g_free(m->time);
    GDateTime *now = g_date_time_new_now_utc();
    m->time = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(now);
    char *text = manifest_text(m);
    char *path = g_build_filename(state_dir, "manifest", NULL);
    gboolean ok = msm_write_file_atomic(path, text, strlen(text), 0600, error);
    g_free(path);
    g_free(text);
    return ok;
}

/* Parses `name="value" name="value"...` into a table (values unescaped). NULL if malformed. */
static GHashTable *
parse_fields(const char *s)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    while (*s) {
        while (*s == ' ')
            s++;
        if (*s == '\0')
            break;
        const char *eq = strstr(s, "=\"");
        if (eq == NULL || eq == s || memchr(s, ' ', (gsize)(eq - s)))
            goto bad;
        const char *v = eq + 2, *e = v;
        while (*e && *e != '"')
            e += (e[0] == '\\' && e[1]) ? 2 : 1;
        if (*e != '"')
            goto bad;
        char *raw = g_strndup(v, (gsize)(e - v));
        g_hash_table_replace(t, g_strndup(s, (gsize)(eq - s)), g_strcompress(raw));
        g_free(raw);
        s = e + 1;
    }
    return t;
bad:
    g_hash_table_unref(t);
    return NULL;
}

/* Reads DIR/installed/manifest; NULL without error when there is none. */
static Manifest *
manifest_read(const char *state_dir, GError **error)
{
    char *path = g_build_filename(state_dir, "manifest", NULL);
    Manifest *m = NULL;
    char *data = NULL;
    gsize len;
    if (!g_file_test(path, G_FILE_TEST_EXISTS) || !read_all(path, &data, &len, error))
        goto out;
    char **lines = g_strsplit(data, "\n", -1);
    m = g_new0(Manifest, 1);
    m->recs = g_ptr_array_new_with_free_func(rec_free);
    gboolean ok = lines[0] && strcmp(lines[0], MANIFEST_MAGIC) == 0;
    guint lineno = 1;
    for (char **l = lines + 1; ok && *l; l++) {
        lineno++;
        if (**l == '\0')
            continue;
        const char *sp = strchr(*l, ' ');
        char *head = sp ? g_strndup(*l, (gsize)(sp - *l)) : g_strdup(*l);
        GHashTable *f = NULL;
        if (strchr(head, '=') != NULL) { /* header line name="value" */
            g_free(head);
            f = parse_fields(*l);
            ok = f != NULL;
            if (ok) {
                char **dst[] = {&m->target, &m->version, &m->state, &m->time};
                const char *names[] = {"target", "version", "state", "time"};
                for (guint i = 0; i < G_N_ELEMENTS(names); i++)
                    if (g_hash_table_contains(f, names[i])) {
                        g_free(*dst[i]);
                        *dst[i] = g_strdup(g_hash_table_lookup(f, names[i]));
                    }
            }
        } else {
            f = parse_fields(sp ? sp : "");
            Rec *r = g_new0(Rec, 1);
            r->kind = strcmp(head, "replaced") == 0  ? REC_REPLACED
                      : strcmp(head, "created") == 0 ? REC_CREATED
                                                     : REC_MKDIR;
            ok = f != NULL && (r->kind != REC_MKDIR || strcmp(head, "mkdir") == 0);
            g_free(head);
            if (ok) {
                r->relpath = g_strdup(g_hash_table_lookup(f, "relpath"));
                r->path = g_strdup(g_hash_table_lookup(f, "path"));
                r->original_sha = g_strdup(g_hash_table_lookup(f, "original-sha256"));
                r->installed_sha = g_strdup(g_hash_table_lookup(f, "installed-sha256"));
                r->backup = g_strdup(g_hash_table_lookup(f, "backup"));
                const char *mode = g_hash_table_lookup(f, "mode");
                r->mode = mode ? (guint)g_ascii_strtoull(mode, NULL, 8) : 0644;
                ok = r->path && r->path[0] == '/' &&
                     (r->kind == REC_MKDIR || (r->relpath && r->installed_sha)) &&
                     (r->kind != REC_REPLACED ||
                      (r->original_sha && r->backup && msm_relpath_is_safe(r->backup)));
            }
            g_ptr_array_add(m->recs, r);
        }
        if (f)
            g_hash_table_unref(f);
    }
    ok = ok && m->target && m->state;
    g_strfreev(lines);
    if (!ok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s:%u: not a config-install manifest this msmigrate can read "
                    "(docs/formats/config-install-manifest.md); restore it from the scratch "
                    "directory's copy or undo the install by hand from %s/backup",
                    path, lineno, state_dir);
        manifest_free(m);
        m = NULL;
    }
out:
    g_free(data);
    g_free(path);
    return m;
}

/* The record of path in m, or NULL. */
static Rec *
manifest_find(Manifest *m, const char *path)
{
    for (guint i = 0; i < m->recs->len; i++) {
        Rec *r = m->recs->pdata[i];
        if (strcmp(r->path, path) == 0)
            return r;
    }
    return NULL;
}

/* ---- install ---- */

/* Collects the relpaths of DIR's *.MERGED files (below sub), sorted, skipping installed/. */
static gboolean
collect_merged(const char *top, const char *sub, GPtrArray *rels, GError **error)
{
    char *dir = sub ? g_build_filename(top, sub, NULL) : g_strdup(top);
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read scratch directory %s: %s", dir,
                    err->message);
        g_error_free(err);
        g_free(dir);
        return FALSE;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    gboolean ok = TRUE;
    for (guint i = 0; i < names->len && ok; i++) {
        const char *name = names->pdata[i];
        if (sub == NULL && strcmp(name, "installed") == 0)
            continue;
        char *rel = sub ? g_strconcat(sub, "/", name, NULL) : g_strdup(name);
        char *path = g_build_filename(top, rel, NULL);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            ok = collect_merged(top, rel, rels, error);
        else if (g_str_has_suffix(name, ".MERGED") && strlen(name) > strlen(".MERGED"))
            g_ptr_array_add(rels, g_strndup(rel, strlen(rel) - strlen(".MERGED")));
        g_free(path);
        g_free(rel);
    }
    g_ptr_array_unref(names);
    g_free(dir);
    return ok;
}

/* Creates the directories of rel's parent below top, refusing links, recording each. */
static gboolean
install_parents(Manifest *m, const char *top, const char *rel, GError **error)
{
    char **parts = g_strsplit(rel, "/", -1);
    char *dir = g_strdup(top);
    gboolean ok = TRUE;
    for (guint i = 0; parts[i] && parts[i + 1] && ok; i++) {
        char *next = g_build_filename(dir, parts[i], NULL);
        g_free(dir);
        dir = next;
        struct stat st;
        if (lstat(dir, &st) == 0) {
            if (!S_ISDIR(st.st_mode)) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                            "refusing to install %s: %s is a symbolic link or not a directory; "
                            "replace it with a directory",
                            rel, dir);
                ok = FALSE;
            }
        } else if (mkdir(dir, 0755) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create directory %s: %s", dir,
                        g_strerror(e));
            ok = FALSE;
        } else {
            Rec *r = g_new0(Rec, 1);
            r->kind = REC_MKDIR;
            r->path = g_strdup(dir);
            g_ptr_array_add(m->recs, r);
        }
    }
    g_free(dir);
    g_strfreev(parts);
    return ok;
}

/* One planned installation. */
typedef struct {
    char *relpath;
    char *src;  /* DIR/relpath.MERGED */
    char *dest; /* where it goes */
} Step;

/* Frees a Step. */
static void
step_free(gpointer p)
{
    Step *s = p;
    g_free(s->relpath);
    g_free(s->src);
    g_free(s->dest);
    g_free(s);
}

/* Installs one MERGED file: backs up or records what dest was, then writes it. */
static gboolean
install_one(Manifest *m, const char *state_dir, const Step *s, GError **error)
{
    char *data = NULL, *odata = NULL;
    gsize len = 0, olen = 0;
    struct stat st, sst;
    gboolean ok = FALSE;
    if (!read_all(s->src, &data, &len, error))
        return FALSE;
    guint mode = stat(s->src, &sst) == 0 ? (sst.st_mode & 07777) : 0644;
    Rec *r = manifest_find(m, s->dest);
    if (r == NULL) { /* first install of this file: keep what it replaces */
        r = g_new0(Rec, 1);
        r->relpath = g_strdup(s->relpath);
        r->path = g_strdup(s->dest);
        if (lstat(s->dest, &st) == 0) {
            if (!read_all(s->dest, &odata, &olen, error)) {
                rec_free(r);
                goto out;
            }
            r->kind = REC_REPLACED;
            r->mode = st.st_mode & 07777;
            r->original_sha = msm_sha256_hex(odata, olen);
            r->backup = g_strconcat("backup/", s->relpath, NULL);
            char *bp = g_build_filename(state_dir, r->backup, NULL);
            char *bdir = g_path_get_dirname(bp);
            gboolean bok = msm_mkdir_p(bdir, TRUE, error) &&
                           msm_write_file_atomic(bp, odata ? odata : "", olen, 0600, error);
            g_free(bdir);
            g_free(bp);
            if (!bok) {
                rec_free(r);
                goto out;
            }
        } else {
            r->kind = REC_CREATED;
        }
        g_ptr_array_add(m->recs, r);
    }
    if (r->kind == REC_REPLACED)
        mode = r->mode;
    g_free(r->installed_sha);
    r->installed_sha = msm_sha256_hex(data, len);
    /* the record is durable before the file changes */
    ok = manifest_write(state_dir, m, "installing", error) &&
         msm_write_file_atomic(s->dest, data ? data : "", len, mode, error);
out:
    g_free(data);
    g_free(odata);
    return ok;
}

/* Checks one destination before anything is written: no link, a regular file or nothing,
 * inside the root. */
static gboolean
check_dest(const char *root, const Step *s, GError **error)
{
    char *canon = g_canonicalize_filename(s->dest, NULL);
    gboolean inside = is_within(canon, root);
    g_free(canon);
    if (!inside) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing to install %s: its destination %s is outside the target root %s",
                    s->relpath, s->dest, root);
        return FALSE;
    }
    struct stat st;
    if (lstat(s->dest, &st) == 0 && !S_ISREG(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing to install %s: %s is a symbolic link or not a regular file; "
                    "replace it with the file it stands for",
                    s->relpath, s->dest);
        return FALSE;
    }
    return TRUE;
}

/* Prints what install or uninstall did. */
static void
report_recs(gboolean json, const char *verb, const char *scratch, const char *target,
            GPtrArray *lines, const char *note)
{
    if (json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "verb", verb);
        msm_json_kv_string(j, "scratch", scratch);
        msm_json_kv_string(j, "target", target);
        msm_json_kv_string(j, "note", note);
        msm_json_key(j, "files");
        msm_json_begin_array(j);
        for (guint i = 0; i + 1 < lines->len; i += 2) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "action", lines->pdata[i]);
            msm_json_kv_string(j, "path", lines->pdata[i + 1]);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        msm_json_end_object(j);
        char *text = msm_json_finish(j);
        fputs(text, stdout);
        g_free(text);
        return;
    }
    printf("config %s: %s (scratch %s)\n", verb, target, scratch);
    for (guint i = 0; i + 1 < lines->len; i += 2)
        printf("  %-10s %s\n", (char *)lines->pdata[i], (char *)lines->pdata[i + 1]);
    if (note)
        printf("%s\n", note);
}

/* config install: makes every *.MERGED of DIR the target's active file. */
static int
config_install(int argc, char **argv)
{
    CliCommon common = {0};
    char *scratch = NULL, *target = NULL, *to = NULL, *root = NULL, *state_dir = NULL;
    gboolean force = FALSE;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    MsmLayout *l = NULL;
    Manifest *m = NULL;
    GPtrArray *rels = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *steps = g_ptr_array_new_with_free_func(step_free);
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    const GOptionEntry entries[] = {
        {"scratch", 0, 0, G_OPTION_ARG_FILENAME, &scratch,
         "The directory 'config merge' wrote (--out)", "DIR"},
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target, "The new deployment's root", "ROOT"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "The target's version", "VERSION"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Install again over an install not undone (the first backups are kept)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "config install", "",
                   "Back up the target's files into DIR/installed/ and make every *.MERGED in "
                   "DIR the active file (make_mta_config_changes.pl, install-newconfig).",
                   entries, &common))
        goto out;
    if (!scratch || !target || !to) {
        fprintf(stderr, "msmigrate: config install: pass --scratch DIR --target ROOT --to "
                        "VERSION\n");
        goto out;
    }
    const char *to_id = cli_version(to, "config install --to");
    if (to_id == NULL)
        goto out;
    if (!msm_dir_exists(target)) {
        fprintf(stderr, "msmigrate: config install: target root %s is not a directory\n", target);
        goto out;
    }
    root = g_canonicalize_filename(target, NULL);
    state_dir = g_build_filename(scratch, "installed", NULL);
    if ((l = msm_layout_resolve(root, to_id, NULL, &err)) == NULL ||
        !collect_merged(scratch, NULL, rels, &err) ||
        (!(m = manifest_read(state_dir, &err)) && err)) {
        config_fail("install", err);
        goto out;
    }
    if (rels->len == 0) {
        fprintf(stderr, "msmigrate: config install: no *.MERGED files in %s: run 'msmigrate config "
                        "merge --out %s' first\n", scratch, scratch);
        goto out;
    }
    if (m && strcmp(m->state, "uninstalled") != 0) {
        if (strcmp(m->target, root) != 0) {
            fprintf(stderr, "msmigrate: config install: %s was installed into %s (%s/manifest), "
                            "not %s: run 'msmigrate config uninstall --scratch %s --target %s' "
                            "first, or use another scratch directory\n",
                    scratch, m->target, state_dir, root, scratch, m->target);
            goto out;
        }
        if (!force) {
            fprintf(stderr, "msmigrate: config install: %s is already installed in %s (state %s, "
                            "%s): installing twice overwrites your configuration; pass --force "
                            "to install again (the backups of the first install are kept), or "
                            "run 'msmigrate config uninstall' first\n",
                    scratch, root, m->state, m->time ? m->time : "?");
            goto out;
        }
    } else {
        manifest_free(m); /* a new install after an uninstall starts a new record */
        m = g_new0(Manifest, 1);
        m->recs = g_ptr_array_new_with_free_func(rec_free);
    }
    g_free(m->target);
    m->target = g_strdup(root);
    g_free(m->version);
    m->version = g_strdup(to_id);
    for (guint i = 0; i < rels->len; i++) {
        const char *rel = rels->pdata[i];
        if (!msm_relpath_is_safe(rel)) {
            fprintf(stderr, "msmigrate: config install: refusing %s.MERGED: unsafe name\n", rel);
            goto out;
        }
        const char *top = msm_core_config_file_dir(l, rel);
        if (!msm_dir_exists(top)) {
            fprintf(stderr, "msmigrate: config install: no configuration directory %s for %s: "
                            "is %s installed at %s?\n", top, rel, to_id, root);
            goto out;
        }
        Step *s = g_new0(Step, 1);
        s->relpath = g_strdup(rel);
        s->src = g_strconcat(scratch, "/", rel, ".MERGED", NULL);
        s->dest = g_build_filename(top, rel, NULL);
        g_ptr_array_add(steps, s);
        if (!check_dest(root, s, &err)) {
            config_fail("install", err);
            goto out;
        }
    }
    if (!msm_mkdir_p(state_dir, TRUE, &err)) {
        config_fail("install", err);
        goto out;
    }
    for (guint i = 0; i < steps->len; i++) {
        const Step *s = steps->pdata[i];
        const char *top = msm_core_config_file_dir(l, s->relpath);
        gboolean existed = g_file_test(s->dest, G_FILE_TEST_EXISTS);
        if (!install_parents(m, top, s->relpath, &err) || !install_one(m, state_dir, s, &err)) {
            config_fail("install", err);
            fprintf(stderr, "msmigrate: config install: stopped after %u of %u files; 'msmigrate "
                            "config uninstall --scratch %s --target %s' undoes them\n",
                    i, steps->len, scratch, root);
            manifest_write(state_dir, m, "installing", NULL);
            goto out;
        }
        g_ptr_array_add(lines, g_strdup(existed ? "replaced" : "created"));
        g_ptr_array_add(lines, g_strdup(s->dest));
    }
    if (!manifest_write(state_dir, m, "installed", &err)) {
        config_fail("install", err);
        goto out;
    }
    char *note = g_strdup_printf("installed %u files; backups and manifest in %s; rebuild the "
                                 "MTA configuration (imsimta cnbuild) before starting the server",
                                 steps->len, state_dir);
    report_recs(common.json, "install", scratch, root, lines, note);
    g_free(note);
    rc = MSM_EXIT_OK;
out:
    manifest_free(m);
    msm_layout_free(l);
    g_ptr_array_unref(rels);
    g_ptr_array_unref(steps);
    g_ptr_array_unref(lines);
    g_free(scratch);
    g_free(target);
    g_free(to);
    g_free(root);
    g_free(state_dir);
    cli_common_clear(&common);
    return rc;
}

/* ---- uninstall ---- */

/* config uninstall: restores what install replaced and removes what it created. */
static int
config_uninstall(int argc, char **argv)
{
    CliCommon common = {0};
    char *scratch = NULL, *target = NULL, *root = NULL, *state_dir = NULL;
    gboolean force = FALSE;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    Manifest *m = NULL;
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *changed = g_ptr_array_new_with_free_func(g_free);
    const GOptionEntry entries[] = {
        {"scratch", 0, 0, G_OPTION_ARG_FILENAME, &scratch, "The directory install used", "DIR"},
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target, "The deployment's root", "ROOT"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Restore even files edited since install (the edits are lost)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "config uninstall", "",
                   "Restore every file 'config install' replaced, byte for byte, and remove the "
                   "ones it created (uninstall-newconfig).",
                   entries, &common))
        goto out;
    if (!scratch || !target) {
        fprintf(stderr, "msmigrate: config uninstall: pass --scratch DIR --target ROOT\n");
        goto out;
    }
    root = g_canonicalize_filename(target, NULL);
    state_dir = g_build_filename(scratch, "installed", NULL);
    m = manifest_read(state_dir, &err);
    if (m == NULL) {
        if (err)
            config_fail("uninstall", err);
        else
            fprintf(stderr, "msmigrate: config uninstall: no install record %s/manifest: nothing "
                            "was installed from %s\n", state_dir, scratch);
        goto out;
    }
    if (strcmp(m->target, root) != 0) {
        fprintf(stderr, "msmigrate: config uninstall: %s was installed into %s, not %s: pass "
                        "--target %s\n", scratch, m->target, root, m->target);
        goto out;
    }
    if (strcmp(m->state, "uninstalled") == 0) {
        char *note = g_strdup_printf("nothing to do: already uninstalled (%s)",
                                     m->time ? m->time : "?");
        report_recs(common.json, "uninstall", scratch, root, lines, note);
        g_free(note);
        rc = MSM_EXIT_OK;
        goto out;
    }
    /* check everything before changing anything */
    for (guint i = 0; i < m->recs->len; i++) {
        const Rec *r = m->recs->pdata[i];
        if (!is_within(r->path, root)) {
            fprintf(stderr, "msmigrate: config uninstall: %s/manifest records %s, outside %s: "
                            "refusing (the manifest was edited?)\n", state_dir, r->path, root);
            goto out;
        }
        if (r->kind == REC_MKDIR)
            continue;
        gboolean other = FALSE;
        char *sha = sha_of_path(r->path, &other, NULL);
        gboolean same = sha && strcmp(sha, r->installed_sha) == 0;
        if (!same && (sha || other || r->kind == REC_REPLACED))
            g_ptr_array_add(changed, g_strdup_printf("%s (%s)", r->path,
                                                     sha ? "edited since install"
                                                     : other ? "no longer a regular file"
                                                             : "removed since install"));
        g_free(sha);
        if (r->kind == REC_REPLACED) {
            char *bp = g_build_filename(state_dir, r->backup, NULL);
            char *bsha = sha_of_path(bp, &other, NULL);
            gboolean good = bsha && strcmp(bsha, r->original_sha) == 0;
            g_free(bsha);
            if (!good) {
                fprintf(stderr, "msmigrate: config uninstall: backup %s of %s is missing or "
                                "damaged (checksum differs from the manifest): nothing was "
                                "restored; restore %s by hand\n", bp, r->path, r->path);
                g_free(bp);
                goto out;
            }
            g_free(bp);
        }
    }
    if (changed->len > 0 && !force) {
        fprintf(stderr, "msmigrate: config uninstall: %u file(s) changed since install; "
                        "uninstalling would lose those changes:\n", changed->len);
        for (guint i = 0; i < changed->len; i++)
            fprintf(stderr, "  %s\n", (char *)changed->pdata[i]);
        fprintf(stderr, "msmigrate: config uninstall: copy the edits aside and pass --force to "
                        "restore the files as they were before install\n");
        goto out;
    }
    for (guint i = m->recs->len; i-- > 0;) {
        const Rec *r = m->recs->pdata[i];
        if (r->kind == REC_REPLACED) {
            char *bp = g_build_filename(state_dir, r->backup, NULL);
            char *data = NULL;
            gsize len = 0;
            struct stat st;
            gboolean ok = TRUE;
            if (lstat(r->path, &st) == 0 && !S_ISREG(st.st_mode) && unlink(r->path) != 0) {
                int e = errno;
                g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "cannot remove %s: %s", r->path,
                            g_strerror(e));
                ok = FALSE;
            }
            ok = ok && read_all(bp, &data, &len, &err) &&
                 msm_write_file_atomic(r->path, data ? data : "", len, r->mode, &err);
            g_free(data);
            g_free(bp);
            if (!ok) {
                config_fail("uninstall", err);
                goto out;
            }
            g_ptr_array_add(lines, g_strdup("restored"));
        } else if (r->kind == REC_CREATED) {
            if (unlink(r->path) != 0 && errno != ENOENT) {
                int e = errno;
                fprintf(stderr, "msmigrate: config uninstall: cannot remove %s: %s\n", r->path,
                        g_strerror(e));
                goto out;
            }
            g_ptr_array_add(lines, g_strdup("removed"));
        } else {
            if (rmdir(r->path) != 0 && errno != ENOENT) {
                g_ptr_array_add(lines, g_strdup("kept-dir"));
                g_ptr_array_add(lines, g_strdup_printf("%s (not empty)", r->path));
                continue;
            }
            g_ptr_array_add(lines, g_strdup("rmdir"));
        }
        g_ptr_array_add(lines, g_strdup(r->path));
    }
    if (!manifest_write(state_dir, m, "uninstalled", &err)) {
        config_fail("uninstall", err);
        goto out;
    }
    report_recs(common.json, "uninstall", scratch, root, lines,
                "the configuration is back as it was before install");
    rc = MSM_EXIT_OK;
out:
    manifest_free(m);
    g_ptr_array_unref(lines);
    g_ptr_array_unref(changed);
    g_free(scratch);
    g_free(target);
    g_free(root);
    g_free(state_dir);
    cli_common_clear(&common);
    return rc;
}

/* ---- dispatch ---- */

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} subverbs[] = {
    {"merge", config_merge, "write *.MERGED / *.CHANGES (UpgradeMsg5toMsg6.pl)"},
    {"install", config_install, "make the *.MERGED files active, keeping backups "
                                "(make_mta_config_changes.pl, install-newconfig)"},
    {"uninstall", config_uninstall, "restore what install replaced (uninstall-newconfig)"},
    {"diff", cli_config_diff, "entity-level differences of two configuration trees or files"},
    {"toxml", cli_config_toxml, "convert a 7.x legacy configuration to Unified Configuration "
                                "(configtoxml)"},
    {"fromxml", cli_config_fromxml, "restore the legacy configuration toxml saved"},
};

/* Lists the sub-verbs. */
static void
config_usage(FILE *out)
{
    fprintf(out, "Usage: msmigrate config SUBVERB [OPTIONS]\n\nSub-verbs:\n");
    for (guint i = 0; i < G_N_ELEMENTS(subverbs); i++)
        fprintf(out, "  %-10s %s\n", subverbs[i].name, subverbs[i].summary);
    fprintf(out, "\n'msmigrate config SUBVERB --help' shows its options; docs/config-merge.md "
                 "the model.\n");
}

/* `msmigrate config`: dispatches to merge, install or uninstall. */
int
cli_config(int argc, char **argv)
{
    if (argc < 2) {
        config_usage(stderr);
        return MSM_EXIT_FAILED;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        config_usage(stdout);
        return MSM_EXIT_OK;
    }
    for (guint i = 0; i < G_N_ELEMENTS(subverbs); i++)
        if (strcmp(subverbs[i].name, sub) == 0)
            return subverbs[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "msmigrate: config: unknown sub-verb \"%s\"\n\n", sub);
    config_usage(stderr);
    return MSM_EXIT_FAILED;
}
