/*
 * NAME
 *	ugdir.c - the directory migrator of the 6.x -> 6.3 hops (ms60, ms62)
 * SUMMARY
 *	Seed 001: patch-config writes ugdir_diff.ldif, which the administrator
 *	imports into the user/group directory with ldapmodify -c. The hops'
 *	configuration step writes msmigrate's model of that file
 *	(docs/formats/ugdir-diff.md) as the artifact
 *	<from>-to-<to>/ugdir_diff.ldif of the run; this migrator applies it in
 *	the run's directory step instead of by hand: every "changetype: modify"
 *	record is applied to the entry it names as that entry passes through the
 *	hop, so the directory codec writes it with the rest of the run (one
 *	modify per entry, audit and undo LDIF, apply, rollback:
 *	docs/formats/directory-run.md). A record whose entry never comes by is
 *	reported at the end, as ldapmodify would reject it; "changetype: add"
 *	records (the model writes none) are reported for `msmigrate directory
 *	import`.
 * OWNERSHIP
 *	The parsed file is cached per run and hop, freed by finish().
 * ERRORS
 *	The file missing (the configuration step did not run) stops the step
 *	with a message saying to run both kinds together; a record the entry
 *	cannot take fails that entry with the DN and the reason.
 */
#include "config.h"

#include "ugdir.h"

#include "dirmap.h"
#include "ldapconn.h"

#include <string.h>

typedef struct {
    GHashTable *by_dn;   /* normalised DN -> GPtrArray of char* records */
    GHashTable *applied; /* normalised DN -> GINT_TO_POINTER(1) */
    guint adds;          /* add records, left for directory import */
    char *path;
} UgdirState;

static GMutex ug_mutex;
static GHashTable *ug_cache; /* "<work dir>\n<from>\n<to>" -> UgdirState* */

static void
state_free(gpointer p)
{
    UgdirState *s = p;
    g_hash_table_unref(s->by_dn);
    g_hash_table_unref(s->applied);
    g_free(s->path);
    g_free(s);
}

static char *
cache_key(MsmCtx *ctx)
{
    return g_strdup_printf("%s\n%s\n%s", msm_ctx_work_dir(ctx), msm_ctx_hop_from(ctx),
                           msm_ctx_hop_to(ctx));
}

/* The hop's parsed ugdir_diff.ldif (loaded once per run). Called with ug_mutex held. */
static UgdirState *
state_get(MsmCtx *ctx, GError **error)
{
    if (ug_cache == NULL)
        ug_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, state_free);
    char *key = cache_key(ctx);
    UgdirState *s = g_hash_table_lookup(ug_cache, key);
    if (s) {
        g_free(key);
        return s;
    }
    char *rel = g_strdup_printf("%s-to-%s/ugdir_diff.ldif", msm_ctx_hop_from(ctx),
                                msm_ctx_hop_to(ctx));
    char *path = msm_ctx_artifact_path(ctx, rel, error);
    g_free(rel);
    if (path == NULL) {
        g_free(key);
        return NULL;
    }
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s does not exist: the configuration step of %s -> %s writes it (seed "
                    "001's patch-config); run the configuration and the directory in the same "
                    "run (--only config,directory)",
                    path, msm_ctx_hop_from(ctx), msm_ctx_hop_to(ctx));
        g_free(path);
        g_free(key);
        return NULL;
    }
    MsmLdifChangeReader *r = msm_ldif_change_reader_open(path, error);
    if (r == NULL) {
        g_free(path);
        g_free(key);
        return NULL;
    }
    s = g_new0(UgdirState, 1);
    s->by_dn = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)g_ptr_array_unref);
    s->applied = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    s->path = path;
    gboolean ok = TRUE;
    for (;;) {
        const char *rec = NULL;
        gsize len = 0;
        guint64 line = 0;
        if (!msm_ldif_change_reader_next(r, &rec, &len, &line, error)) {
            ok = FALSE;
            break;
        }
        if (rec == NULL)
            break;
        char *dn = msm_ldif_record_dn(rec, len);
        if (dn == NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s:%" G_GUINT64_FORMAT
                        ": a record without a dn: line; fix or remove it", path, line);
            ok = FALSE;
            break;
        }
        GRegex *re = g_regex_new("^changetype:\\s*add\\s*$", G_REGEX_MULTILINE | G_REGEX_CASELESS,
                                 0, NULL);
        gboolean is_add = g_regex_match_full(re, rec, (gssize)len, 0, 0, NULL, NULL);
        g_regex_unref(re);
        if (is_add) {
            s->adds++;
        } else {
            char *norm = msm_dn_normalize(dn);
            GPtrArray *list = g_hash_table_lookup(s->by_dn, norm);
            if (list == NULL) {
                list = g_ptr_array_new_with_free_func(g_free);
                g_hash_table_insert(s->by_dn, g_strdup(norm), list);
            }
            g_ptr_array_add(list, g_strndup(rec, len));
            g_free(norm);
        }
        g_free(dn);
    }
    msm_ldif_change_reader_free(r);
    if (!ok) {
        state_free(s);
        g_free(key);
        return NULL;
    }
    g_hash_table_insert(ug_cache, key, s);
    return s;
}

static MsmResult
ugdir_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    MsmEntry *e = item->payload;
    g_mutex_lock(&ug_mutex);
    UgdirState *s = state_get(ctx, error);
    if (s == NULL) {
        g_mutex_unlock(&ug_mutex);
        return MSM_RESULT_STOP;
    }
    char *norm = msm_dn_normalize(msm_entry_dn(e));
    GPtrArray *list = g_hash_table_lookup(s->by_dn, norm);
    MsmResult r = MSM_RESULT_CONTINUE;
    for (guint i = 0; list && i < list->len; i++) {
        if (!msm_entry_apply_modify_ldif(e, list->pdata[i], error)) {
            g_prefix_error(error, "%s: applying %s to %s: ", msm_ctx_hop_to(ctx), s->path,
                           msm_entry_dn(e));
            r = MSM_RESULT_ERROR;
            break;
        }
    }
    if (list && r == MSM_RESULT_CONTINUE)
        g_hash_table_replace(s->applied, g_strdup(norm), GINT_TO_POINTER(1));
    g_mutex_unlock(&ug_mutex);
    g_free(norm);
    return r;
}

static gboolean
ugdir_finish(MsmCtx *ctx, GError **error)
{
    (void)error;
    g_mutex_lock(&ug_mutex);
    char *key = cache_key(ctx);
    UgdirState *s = ug_cache ? g_hash_table_lookup(ug_cache, key) : NULL;
    if (s) {
        GHashTableIter it;
        gpointer dn;
        g_hash_table_iter_init(&it, s->by_dn);
        while (g_hash_table_iter_next(&it, &dn, NULL))
            if (!g_hash_table_contains(s->applied, dn))
                msm_ctx_log(ctx, MSM_LOG_WARNING,
                            "%s: the entry %s named by %s is not in the directory: its "
                            "changes were not applied (ldapmodify would have rejected them)",
                            msm_ctx_hop_to(ctx), (char *)dn, s->path);
        if (s->adds)
            msm_ctx_log(ctx, MSM_LOG_WARNING,
                        "%s: %u add records of %s are not applied by the run: import them "
                        "with msmigrate directory import",
                        msm_ctx_hop_to(ctx), s->adds, s->path);
        msm_ctx_journal_event(ctx, "%s -> %s: ugdir_diff.ldif applied to %u entries",
                              msm_ctx_hop_from(ctx), msm_ctx_hop_to(ctx),
                              g_hash_table_size(s->applied));
        g_hash_table_remove(ug_cache, key);
    }
    g_free(key);
    g_mutex_unlock(&ug_mutex);
    return TRUE;
}

const MsmDirectoryMigrator hc_directory_ugdir = {
    .iface_version = MSM_DIRECTORY_IFACE_VERSION,
    .struct_size = sizeof(MsmDirectoryMigrator),
    .transform = ugdir_transform,
    .finish = ugdir_finish,
};
