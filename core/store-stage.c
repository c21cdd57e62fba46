/*
 * NAME
 *	store-stage.c - a store written beside the live one when a run upgrades
 *	a deployment in place
 * SUMMARY
 *	Implements store-stage.h with the rules of docs/formats/store-stage.md.
 *	The stage is a deployment root inside the live store directory, so every
 *	rename of the swap stays on the store's file system (a store directory
 *	that is a mount point works); only the top-level entries the stage
 *	holds (mboxlist/, partition/ ...) are swapped, anything else in the
 *	store directory stays where it is.
 * OWNERSHIP
 *	See store-stage.h.
 */
#include "config.h"

#include "store-stage.h"

#include "ctxpriv.h"
#include "legacy-store.h"
#include "util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define META_STATE "store_stage"
#define STAGE_PREFIX ".msmigrate-stage-"
#define OLD_PREFIX ".msmigrate-old-"

/* The store directory of version at root (transfer full), or NULL with *error. */
static char *
store_dir(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    return msm_layout_resolve_store_dir(root, version, ctx->instance, error);
}

static gboolean
exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* live/<prefix><run id>: the stage (STAGE_PREFIX) or the kept store (OLD_PREFIX).
 * (transfer full) */
static char *
beside(const char *live, const char *prefix, const char *run_id)
{
    char *name = g_strconcat(prefix, run_id, NULL);
    char *p = g_build_filename(live, name, NULL);
    g_free(name);
    return p;
}

gboolean
msm_store_stage_used(MsmJournal *journal)
{
    char *st = msm_journal_get_meta(journal, META_STATE, NULL);
    gboolean used = st && *st;
    g_free(st);
    return used;
}

gboolean
msm_store_stage_prepare(MsmCtx *ctx, const char *from, const char *to, MsmJournal *journal,
                        GError **error)
{
    g_clear_pointer(&ctx->store_stage_root, g_free);
    ctx->store_stage_swapped = FALSE;
    char *state = msm_journal_get_meta(journal, META_STATE, NULL);
    char *src = NULL, *live = NULL, *rs = NULL, *rl = NULL;
    gboolean ok = FALSE;
    if (state && strcmp(state, "swapped") == 0) {
        ctx->store_stage_swapped = TRUE;
        ok = TRUE;
        goto out;
    }
    if ((src = store_dir(ctx, ctx->source_root, from, error)) == NULL ||
        (live = store_dir(ctx, ctx->target_root, to, error)) == NULL)
        goto out;
    rs = realpath(src, NULL);
    rl = realpath(live, NULL);
    if (rs == NULL || rl == NULL || strcmp(rs, rl) != 0) {
        ok = TRUE; /* a separate target, or no store yet: the writer writes in place */
        goto out;
    }
    ctx->store_stage_root = beside(live, STAGE_PREFIX, ctx->run_id);
    if (!msm_mkdir_p(ctx->store_stage_root, TRUE, error))
        goto out;
    if (!(state && strcmp(state, "staged") == 0)) {
        if (!msm_journal_set_meta(journal, META_STATE, "staged", error))
            goto out;
        msm_journal_event(journal, NULL,
                          "store: source and target store are %s: the %s store is written to "
                          "the stage %s and swapped in after verify",
                          live, to, ctx->store_stage_root);
    }
    ok = TRUE;
out:
    free(rs);
    free(rl);
    g_free(src);
    g_free(live);
    g_free(state);
    return ok;
}

gboolean
msm_store_stage_attach(MsmCtx *ctx, const char *to, MsmJournal *journal, GError **error)
{
    char *state = msm_journal_get_meta(journal, META_STATE, NULL);
    gboolean ok = TRUE;
    if (state && strcmp(state, "staged") == 0) {
        char *live = store_dir(ctx, ctx->target_root, to, error);
        ok = live != NULL;
        if (ok) {
            g_free(ctx->store_stage_root);
            ctx->store_stage_root = beside(live, STAGE_PREFIX, ctx->run_id);
        }
        g_free(live);
    }
    g_free(state);
    return ok;
}

/* rename(a, b) with an error naming both and the fix. */
static gboolean
move(const char *a, const char *b, GError **error)
{
    if (rename(a, b) == 0)
        return TRUE;
    int e = errno;
    g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                "cannot move %s to %s: %s; fix the cause and run again (the step is repeated "
                "safely)",
                a, b, g_strerror(e));
    return FALSE;
}

/* The names of the entries of dir, sorted (transfer full), or NULL with *error. An absent
 * dir has none. */
static GPtrArray *
entries(const char *dir, GError **error)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    if (!exists(dir))
        return names;
    GDir *d = g_dir_open(dir, 0, error);
    if (d == NULL) {
        g_ptr_array_unref(names);
        return NULL;
    }
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    return names;
}

/* Puts every entry of incoming into live: for each name of incoming (sorted), the live
 * entry of that name moves to aside first (unless aside has one already), then the
 * incoming one moves in (unless live has one). Each step tests before it renames, so
 * the whole can be repeated after a kill at any point. */
static gboolean
exchange(const char *live, const char *incoming, const char *aside, GError **error)
{
    GPtrArray *names = entries(incoming, error);
    if (names == NULL)
        return FALSE;
    gboolean ok = TRUE;
    for (guint i = 0; i < names->len && ok; i++) {
        const char *n = names->pdata[i];
        char *in = g_build_filename(incoming, n, NULL);
        char *l = g_build_filename(live, n, NULL);
        char *a = g_build_filename(aside, n, NULL);
        if (exists(in) && exists(l) && !exists(a))
            ok = move(l, a, error);
        if (ok && exists(in) && !exists(l))
            ok = move(in, l, error);
        g_free(in);
        g_free(l);
        g_free(a);
    }
    g_ptr_array_unref(names);
    return ok;
}

gboolean
msm_store_stage_swap(MsmCtx *ctx, const char *to, MsmJournal *journal, char **kept_r,
                     GError **error)
{
    *kept_r = NULL;
    char *live = store_dir(ctx, ctx->target_root, to, error);
    if (live == NULL)
        return FALSE;
    char *sroot = beside(live, STAGE_PREFIX, ctx->run_id);
    char *old = beside(live, OLD_PREFIX, ctx->run_id);
    char *sstore = store_dir(ctx, sroot, to, error);
    gboolean ok = FALSE;
    if (sstore == NULL || !msm_mkdir_p(old, TRUE, error))
        goto out;
    msm_journal_event(journal, NULL, "store: swapping the stage %s in", sstore);
    if (!exchange(live, sstore, old, error))
        goto out;
    if (!msm_journal_set_meta(journal, META_STATE, "swapped", error) ||
        !msm_journal_sync(journal, error))
        goto out;
    GError *rerr = NULL;
    if (!msm_legacy_remove_tree(sroot, &rerr)) { /* only empty directories are left */
        msm_ctx_log(ctx, MSM_LOG_WARNING, "store: cannot remove the emptied stage: %s",
                    rerr->message);
        g_clear_error(&rerr);
    }
    msm_journal_event(journal, NULL,
                      "store: the %s store is in place; the store it replaced "
                      "is kept in %s",
                      to, old);
    *kept_r = g_strdup(old);
    ok = TRUE;
out:
    g_free(live);
    g_free(sroot);
    g_free(old);
    g_free(sstore);
    return ok;
}

gboolean
msm_store_stage_rollback(MsmCtx *ctx, const char *target_root, const char *to, MsmJournal *journal,
                         GError **error)
{
    char *state = msm_journal_get_meta(journal, META_STATE, NULL);
    char *live = store_dir(ctx, target_root, to, error);
    char *sroot = NULL, *old = NULL, *sstore = NULL;
    gboolean ok = FALSE;
    if (live == NULL)
        goto out;
    sroot = beside(live, STAGE_PREFIX, ctx->run_id);
    old = beside(live, OLD_PREFIX, ctx->run_id);
    if ((sstore = store_dir(ctx, sroot, to, error)) == NULL)
        goto out;
    if (exists(old)) {
        /* every entry the swap replaced (all of them, or some when a swap was killed half
         * way) goes back; the run's goes to the stage */
        if (!msm_mkdir_p(sstore, TRUE, error) || !exchange(live, old, sstore, error))
            goto out;
        if (!msm_journal_set_meta(journal, META_STATE, "staged", error) ||
            !msm_journal_sync(journal, error))
            goto out;
    }
    if (exists(old) && g_rmdir(old) != 0) { /* emptied by the exchange: never removed whole */
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "cannot remove %s: %s; it holds entries of the store the run replaced that "
                    "the live store also has: compare them and move them back by hand",
                    old, g_strerror(e));
        goto out;
    }
    if (exists(sroot) && !msm_legacy_remove_tree(sroot, error))
        goto out;
    if (state && *state && !msm_journal_set_meta(journal, META_STATE, "rolled-back", error))
        goto out;
    msm_journal_event(journal, NULL,
                      "store: the stage of run %s is removed; the store is the "
                      "one the run started from",
                      ctx->run_id);
    ok = TRUE;
out:
    g_free(state);
    g_free(live);
    g_free(sroot);
    g_free(old);
    g_free(sstore);
    return ok;
}
