/*
 * NAME
 *	zfs-snapshot-rollback.c - the "zfs" guard: a ZFS snapshot of the store
 *	area before a run, and the seed's back-out after it
 * SUMMARY
 *	Seed 004, "Downgrading Using a ZFS Snapshot": before the upgrade, stop
 *	the services and snapshot the store area only (never the MTA queues);
 *	to back out, take an incremental backup of what arrived in the store
 *	since, roll back to the snapshot, and restore the incremental with
 *	imsrestore -E (messages only added, nothing duplicated).
 *
 *	  preflight  (plan time) refuses unless: the zfs program runs; the
 *	             run's store area is on a mounted dataset; neither the MTA
 *	             queues nor msmigrate's own state (<target>/.msmigrate) are
 *	             on that dataset (a rollback would take them back too); the
 *	             target's services are stopped; the dataset has room for a
 *	             copy of the source store.
 *	  before     snapshots every dataset holding the run's store area:
 *	             <dataset>@msmigrate-<run>-<yyyymmddhhmmss>, recorded in the
 *	             run's journal and in <work>/zfs/state (a resumed run
 *	             reuses them).
 *	  after      when the run succeeded, records each migrated folder's
 *	             UIDVALIDITY and UIDNEXT (<work>/zfs/after-manifest): what
 *	             is above them later arrived after the upgrade. Applies the
 *	             retention policy ([zfs] keep = N in the site profile).
 *	  rollback   three journalled phases, each resumable: the incremental
 *	             backup of messages that arrived since (read with the new
 *	             version's codec), zfs rollback, then the restore into the
 *	             old version's store with its codec (store-append.h). Flags:
 *	             for versions before 7.0, as the seed warns, the restore does
 *	             not carry message flags; the report says how many lost them.
 *	docs/formats/zfs-guard.md documents the names and files.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "store-append.h"
#include "zfs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

/* ---------------------------------------------------------------- helpers */

typedef struct {
    GPtrArray *datasets;  /* char*: datasets to snapshot (store areas) */
    GPtrArray *store_dirs; /* char*: the store directories they hold */
} Areas;

static void
areas_clear(Areas *a)
{
    if (a->datasets)
        g_ptr_array_unref(a->datasets);
    if (a->store_dirs)
        g_ptr_array_unref(a->store_dirs);
}

static char *
zfs_dir(MsmCtx *ctx)
{
    return g_build_filename(msm_ctx_work_dir(ctx), "zfs", NULL);
}

static char *
state_path(MsmCtx *ctx)
{
    return g_build_filename(msm_ctx_work_dir(ctx), "zfs", "state", NULL);
}

static GKeyFile *
state_load(MsmCtx *ctx)
{
    char *p = state_path(ctx);
    GKeyFile *kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, p, G_KEY_FILE_NONE, NULL)) {
        g_key_file_free(kf);
        kf = NULL;
    }
    g_free(p);
    return kf;
}

static gboolean
state_save(MsmCtx *ctx, GKeyFile *kf, GError **error)
{
    char *dir = zfs_dir(ctx);
    g_mkdir_with_parents(dir, 0700);
    g_free(dir);
    char *p = state_path(ctx);
    gboolean ok = g_key_file_save_to_file(kf, p, error);
    g_free(p);
    return ok;
}

/* The store directories the run changes: the target's for its destination, and
 * the source's too when the run is in place (same root). */
static gboolean
store_areas(MsmCtx *ctx, Areas *a, GError **error)
{
    a->datasets = g_ptr_array_new_with_free_func(g_free);
    a->store_dirs = g_ptr_array_new_with_free_func(g_free);
    const char *roots[2] = {msm_ctx_target_root(ctx), msm_ctx_source_root(ctx)};
    const char *versions[2] = {msm_ctx_run_to(ctx), msm_ctx_run_from(ctx)};
    gboolean in_place = g_strcmp0(roots[0], roots[1]) == 0;
    for (int i = 0; i < (in_place ? 2 : 1); i++) {
        MsmLayout *l = msm_layout_resolve(roots[i], versions[i], msm_ctx_instance(ctx), error);
        if (l == NULL)
            return FALSE;
        char *ds = msm_zfs_dataset_of(msm_layout_store_dir(l), NULL, error);
        if (ds == NULL) {
            g_prefix_error(error, "the %s store area: ", versions[i]);
            msm_layout_free(l);
            return FALSE;
        }
        if (!g_ptr_array_find_with_equal_func(a->datasets, ds, g_str_equal, NULL)) {
            g_ptr_array_add(a->datasets, ds);
            g_ptr_array_add(a->store_dirs, g_strdup(msm_layout_store_dir(l)));
        } else {
            g_free(ds);
        }
        msm_layout_free(l);
    }
    return TRUE;
}

/* Bytes of the regular files below dir (no symlinks followed). */
static guint64
tree_bytes(const char *dir)
{
    guint64 total = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return 0;
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(dir, n, NULL);
        GStatBuf st;
        if (g_lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                total += tree_bytes(p);
            else if (S_ISREG(st.st_mode))
                total += (guint64)st.st_size;
        }
        g_free(p);
    }
    g_dir_close(d);
    return total;
}

/* ---------------------------------------------------------------- preflight */

static gboolean
guard_preflight(MsmCtx *ctx, GError **error)
{
    if (!msm_zfs_available(error))
        return FALSE;
    Areas a = {0};
    gboolean ok = store_areas(ctx, &a, error);
    if (!ok) {
        g_prefix_error(error, "the ZFS guard needs the store on ZFS: ");
        goto out;
    }
    MsmLayout *tl = msm_layout_resolve(msm_ctx_target_root(ctx), msm_ctx_run_to(ctx),
                                       msm_ctx_instance(ctx), error);
    if (tl == NULL) {
        ok = FALSE;
        goto out;
    }
    /* The queues and msmigrate's state must not go back with the store. */
    struct {
        const char *what, *path, *fix;
    } keep_out[] = {
        {"the MTA queues", msm_layout_queue_dir(tl),
         "seed 004: only the store area is rolled back, never the MTA queues; put the queue "
         "directory on a dataset of its own"},
        {"msmigrate's state (journal, history, backups)", NULL,
         "a rollback would erase the record of the run; keep the target root itself off the "
         "store's dataset (mount the dataset at the store directory only)"},
    };
    char *state_dir = g_build_filename(msm_ctx_target_root(ctx), ".msmigrate", NULL);
    keep_out[1].path = state_dir;
    for (gsize i = 0; i < G_N_ELEMENTS(keep_out) && ok; i++) {
        char *ds = msm_zfs_dataset_of(keep_out[i].path, NULL, NULL);
        if (ds && g_ptr_array_find_with_equal_func(a.datasets, ds, g_str_equal, NULL)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                        "%s (%s) are on the store's dataset %s: %s", keep_out[i].what,
                        keep_out[i].path, ds, keep_out[i].fix);
            ok = FALSE;
        }
        g_free(ds);
    }
    g_free(state_dir);
    msm_layout_free(tl);
    if (!ok)
        goto out;
    char *detail = NULL;
    GError *cerr = NULL;
    MsmCheckResult stopped = msm_check_target_stopped(ctx, &detail, &cerr);
    if (stopped == MSM_CHECK_FAIL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "seed 004 takes the snapshot with the services stopped: %s",
                    cerr ? cerr->message : (detail ? detail : "they are running"));
        ok = FALSE;
    } else if (stopped == MSM_CHECK_MANUAL) {
        msm_ctx_log(ctx, MSM_LOG_WARNING,
                    "zfs guard: cannot tell whether the target's services are stopped%s%s; "
                    "stop them before the run (seed 004)",
                    detail ? ": " : "", detail ? detail : "");
    }
    g_free(detail);
    g_clear_error(&cerr);
    if (!ok)
        goto out;
    /* Room: the snapshot keeps the old blocks while the run writes new ones. */
    MsmLayout *sl = msm_layout_resolve(msm_ctx_source_root(ctx), msm_ctx_run_from(ctx),
                                       msm_ctx_instance(ctx), NULL);
    guint64 need = sl ? tree_bytes(msm_layout_store_dir(sl)) : 0;
    msm_layout_free(sl);
    for (guint i = 0; i < a.datasets->len && ok; i++) {
        guint64 avail = 0;
        if (!msm_zfs_available_bytes(a.datasets->pdata[i], &avail, error)) {
            ok = FALSE;
        } else if (avail < need + need / 20) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                        "dataset %s has %" G_GUINT64_FORMAT " bytes free; the run writes about "
                        "%" G_GUINT64_FORMAT " while the snapshot keeps the old data: free "
                        "space or grow the pool first",
                        (char *)a.datasets->pdata[i], avail, need + need / 20);
            ok = FALSE;
        }
    }
out:
    areas_clear(&a);
    return ok;
}

/* ---------------------------------------------------------------- before */

static gboolean
guard_before(MsmCtx *ctx, GError **error)
{
    GKeyFile *kf = state_load(ctx);
    if (kf && g_key_file_has_key(kf, "snapshot", "names", NULL)) {
        /* A resumed run: the snapshots of its start are the ones to keep. */
        char **names = g_key_file_get_string_list(kf, "snapshot", "names", NULL, NULL);
        gboolean ok = TRUE;
        for (char **n = names; n && *n && ok; n++) {
            if (!msm_zfs_snapshot_exists(*n)) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                            "snapshot %s taken when run %s started is gone: the run cannot "
                            "resume under the guard (rollback would have nothing to go back "
                            "to); roll the store back by hand or start a new run",
                            *n, msm_ctx_run_id(ctx));
                ok = FALSE;
            }
        }
        g_strfreev(names);
        g_key_file_free(kf);
        return ok;
    }
    if (kf)
        g_key_file_free(kf);
    Areas a = {0};
    if (!store_areas(ctx, &a, error)) {
        areas_clear(&a);
        return FALSE;
    }
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    gboolean ok = TRUE;
    for (guint i = 0; i < a.datasets->len && ok; i++) {
        char *name = msm_zfs_snapshot_name(a.datasets->pdata[i], msm_ctx_run_id(ctx), now);
        ok = msm_zfs_snapshot(name, error);
        if (ok) {
            msm_ctx_journal_event(ctx, "zfs guard: snapshot %s of %s", name,
                                  (char *)a.store_dirs->pdata[i]);
            msm_ctx_log(ctx, MSM_LOG_INFO, "zfs guard: snapshot %s (store area %s)", name,
                        (char *)a.store_dirs->pdata[i]);
            g_ptr_array_add(names, name);
        } else {
            g_free(name);
        }
    }
    if (ok) {
        kf = g_key_file_new();
        g_key_file_set_string_list(kf, "snapshot", "names",
                                   (const char *const *)names->pdata, names->len);
        g_key_file_set_string_list(kf, "snapshot", "datasets",
                                   (const char *const *)a.datasets->pdata, a.datasets->len);
        g_key_file_set_int64(kf, "snapshot", "created", now);
        ok = state_save(ctx, kf, error);
        g_key_file_free(kf);
    }
    g_ptr_array_unref(names);
    areas_clear(&a);
    return ok;
}

/* ---------------------------------------------------------------- after */

/* Writes "<owner>\t<folder>\t<uidvalidity>\t<uidnext>" per folder of the store. */
static gboolean
write_manifest(MsmCtx *ctx, const MsmCodec *codec, const char *path, GError **error)
{
    gpointer r = codec->reader_open(ctx, msm_ctx_target_root(ctx), msm_ctx_run_to(ctx), error);
    if (r == NULL)
        return FALSE;
    FILE *fp = fopen(path, "w");
    gboolean ok = fp != NULL;
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
    while (ok) {
        MsmItem *item = NULL;
        GError *e = NULL;
        if (!codec->reader_next(r, &item, &e)) {
            if (e && (e->code == MSM_ERROR_PARSE || e->code == MSM_ERROR_UNSAFE)) {
                g_error_free(e);
                continue;
            }
            g_propagate_error(error, e);
            ok = FALSE;
            break;
        }
        if (item == NULL)
            break;
        MsmFolder *f = item->payload;
        guint32 next = f->uidnext;
        /* A codec that does not keep UIDNEXT: the highest UID seen plus one. */
        if (next == 0) {
            MsmMessage *m = NULL;
            while (f->messages && msm_message_iter_next(f->messages, &m, NULL) && m) {
                next = MAX(next, m->uid + 1);
                msm_message_free(m);
            }
        }
        fprintf(fp, "%s\t%s\t%u\t%u\n", f->owner->user, f->name, f->uidvalidity, next);
        msm_item_free(item);
    }
    if (fp && fclose(fp) != 0 && ok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
        ok = FALSE;
    }
    codec->reader_close(r);
    return ok;
}

/* Destroys msmigrate's snapshots of dataset beyond the newest keep (never the
 * current run's). */
static void
apply_retention(MsmCtx *ctx, const char *dataset, guint keep)
{
    GError *e = NULL;
    GPtrArray *snaps = msm_zfs_list_snapshots(dataset, &e);
    if (snaps == NULL) {
        msm_ctx_log(ctx, MSM_LOG_WARNING, "zfs guard: retention: %s", e->message);
        g_error_free(e);
        return;
    }
    guint n = snaps->len;
    for (guint i = 0; i + keep < n; i++) {
        MsmZfsSnapshot *s = snaps->pdata[i];
        if (g_strcmp0(s->run_id, msm_ctx_run_id(ctx)) == 0)
            continue;
        if (msm_zfs_destroy_snapshot(s->name, &e))
            msm_ctx_journal_event(ctx, "zfs guard: retention (keep %u): destroyed %s", keep,
                                  s->name);
        else {
            msm_ctx_log(ctx, MSM_LOG_WARNING, "zfs guard: retention: %s", e->message);
            g_clear_error(&e);
        }
    }
    g_ptr_array_unref(snaps);
}

static gboolean
guard_after(MsmCtx *ctx, gboolean run_succeeded, GError **error)
{
    GKeyFile *kf = state_load(ctx);
    if (kf == NULL)
        return TRUE; /* before() did not snapshot (dry run) */
    gboolean ok = TRUE;
    const MsmCodec *codec = msm_ctx_find_codec(ctx, MSM_KIND_STORE, msm_ctx_run_to(ctx));
    if (run_succeeded && codec) {
        char *dir = zfs_dir(ctx);
        char *path = g_build_filename(dir, "after-manifest", NULL);
        ok = write_manifest(ctx, codec, path, error);
        if (ok)
            g_key_file_set_string(kf, "after", "manifest", "after-manifest");
        g_free(path);
        g_free(dir);
    }
    g_key_file_set_boolean(kf, "after", "succeeded", run_succeeded);
    ok = state_save(ctx, kf, ok ? error : NULL) && ok;
    const char *keep = msm_ctx_option(ctx, "zfs", "keep");
    if (keep && run_succeeded) {
        guint64 k = g_ascii_strtoull(keep, NULL, 10);
        char **ds = g_key_file_get_string_list(kf, "snapshot", "datasets", NULL, NULL);
        for (char **d = ds; d && *d && k > 0; d++)
            apply_retention(ctx, *d, (guint)k);
        g_strfreev(ds);
    }
    g_key_file_free(kf);
    return ok;
}

/* ---------------------------------------------------------------- rollback */

/* Phase 1: messages of the migrated store above the after-manifest's UIDNEXT
 * (or in folders it does not list, or whose UIDVALIDITY changed) are copied to
 * <work>/zfs/incremental/ with an index line each. */
static gboolean
incremental_backup(MsmCtx *ctx, GKeyFile *kf, GError **error)
{
    char *dir = zfs_dir(ctx);
    char *inc = g_build_filename(dir, "incremental", NULL);
    char *index = g_build_filename(inc, "index", NULL);
    char *mpath = g_build_filename(dir, "after-manifest", NULL);
    gboolean ok = FALSE;
    GHashTable *manifest = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    FILE *ix = NULL;
    gpointer r = NULL;
    const MsmCodec *codec = msm_ctx_find_codec(ctx, MSM_KIND_STORE, msm_ctx_run_to(ctx));
    if (codec == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no loaded plugin reads the %s store, so the messages that arrived after "
                    "the upgrade cannot be saved before the rollback; install the plugin that "
                    "wrote it",
                    msm_ctx_run_to(ctx));
        goto out;
    }
    char *text = NULL;
    if (!g_file_get_contents(mpath, &text, NULL, NULL)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s is missing: the run did not finish under the guard, so what arrived "
                    "after it cannot be told apart; restore by hand from the snapshot",
                    mpath);
        goto out;
    }
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        char **f = g_strsplit(*l, "\t", 4);
        if (g_strv_length(f) == 4)
            g_hash_table_insert(manifest, g_strdup_printf("%s\t%s", f[0], f[1]),
                                g_strdup_printf("%s\t%s", f[2], f[3]));
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(text);
    if (g_mkdir_with_parents(inc, 0700) != 0 || (ix = fopen(index, "w")) == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", index,
                    g_strerror(errno));
        goto out;
    }
    r = codec->reader_open(ctx, msm_ctx_target_root(ctx), msm_ctx_run_to(ctx), error);
    if (r == NULL)
        goto out;
    guint64 n = 0;
    for (;;) {
        MsmItem *item = NULL;
        GError *e = NULL;
        if (!codec->reader_next(r, &item, &e)) {
            if (e && (e->code == MSM_ERROR_PARSE || e->code == MSM_ERROR_UNSAFE)) {
                msm_ctx_log(ctx, MSM_LOG_WARNING, "zfs guard: %s (not backed up)", e->message);
                g_error_free(e);
                continue;
            }
            g_propagate_error(error, e);
            goto out;
        }
        if (item == NULL)
            break;
        MsmFolder *f = item->payload;
        char *key = g_strdup_printf("%s\t%s", f->owner->user, f->name);
        const char *was = g_hash_table_lookup(manifest, key);
        g_free(key);
        guint32 from_uid = 0;
        if (was) {
            guint32 uv = (guint32)g_ascii_strtoull(was, NULL, 10);
            const char *tab = strchr(was, '\t');
            if (uv == f->uidvalidity && tab)
                from_uid = (guint32)g_ascii_strtoull(tab + 1, NULL, 10);
        }
        MsmMessage *m = NULL;
        gboolean mok = TRUE;
        while (f->messages && (mok = msm_message_iter_next(f->messages, &m, error)) && m) {
            if (m->uid < from_uid) {
                msm_message_free(m);
                continue;
            }
            char *name = g_strdup_printf("m%" G_GUINT64_FORMAT, n++);
            char *path = g_build_filename(inc, name, NULL);
            GBytes *b = msm_body_slurp(m->body, error);
            gboolean wok = b && g_file_set_contents(path, g_bytes_get_data(b, NULL),
                                                    (gssize)g_bytes_get_size(b), error);
            if (b)
                g_bytes_unref(b);
            GString *kw = g_string_new(NULL);
            for (guint i = 0; i < m->keywords->len; i++)
                g_string_append_printf(kw, "%s%s", i ? " " : "", (char *)m->keywords->pdata[i]);
            if (wok)
                fprintf(ix, "%s\t%s\t%s\t%u\t%u\t%" G_GINT64_FORMAT "\t%s\t%u\n", name,
                        f->owner->user, f->name, m->uid, m->flags, m->internal_date, kw->str,
                        f->uidvalidity);
            g_string_free(kw, TRUE);
            g_free(path);
            g_free(name);
            msm_message_free(m);
            if (!wok) {
                mok = FALSE;
                break;
            }
        }
        msm_item_free(item);
        if (!mok)
            goto out;
    }
    if (fclose(ix) != 0) {
        ix = NULL;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s", index);
        goto out;
    }
    ix = NULL;
    g_key_file_set_uint64(kf, "rollback", "incremental", n);
    msm_ctx_journal_event(ctx, "zfs guard: incremental backup of %" G_GUINT64_FORMAT
                               " messages that arrived after the upgrade",
                          n);
    ok = TRUE;
out:
    if (r)
        codec->reader_close(r);
    if (ix)
        fclose(ix);
    g_hash_table_unref(manifest);
    g_free(mpath);
    g_free(index);
    g_free(inc);
    g_free(dir);
    return ok;
}

/* Phase 3: the incremental into the old version's store (imsrestore -E). */
static gboolean
incremental_restore(MsmCtx *ctx, GKeyFile *kf, GError **error)
{
    const char *from = msm_ctx_run_from(ctx);
    const MsmCodec *codec = msm_ctx_find_codec(ctx, MSM_KIND_STORE, from);
    if (codec == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no loaded plugin writes the %s store; the incremental backup is kept in "
                    "the run's zfs/incremental directory: install the plugin and run the "
                    "rollback again",
                    from);
        return FALSE;
    }
    /* Seed 004: back to a version before 7, the restore does not carry flags. */
    gboolean keep_flags = msm_version_compare(from, "ms-7.0") >= 0 || msm_version_is_custom(from);
    char *dir = zfs_dir(ctx);
    char *inc = g_build_filename(dir, "incremental", NULL);
    char *index = g_build_filename(inc, "index", NULL);
    char *scratch = g_build_filename(dir, "restore-scratch", NULL);
    GPtrArray *adds = g_ptr_array_new_with_free_func((GDestroyNotify)msm_store_addition_free);
    char *text = NULL;
    gboolean ok = g_file_get_contents(index, &text, NULL, error);
    guint64 flags_lost = 0;
    if (ok) {
        char **lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
            char **f = g_strsplit(*l, "\t", 8);
            if (g_strv_length(f) == 8) {
                MsmStoreAddition *a = msm_store_addition_new(f[1], f[2]);
                guint32 flags = (guint32)g_ascii_strtoull(f[4], NULL, 10) & ~MSM_FLAG_RECENT;
                a->internal_date = g_ascii_strtoll(f[5], NULL, 10);
                if (keep_flags) {
                    a->flags = flags;
                    char **kw = g_strsplit(f[6], " ", -1);
                    for (char **k = kw; *k; k++)
                        if (**k)
                            g_ptr_array_add(a->keywords, g_strdup(*k));
                    g_strfreev(kw);
                } else if (flags || *f[6]) {
                    flags_lost++;
                }
                a->body_path = g_build_filename(inc, f[0], NULL);
                /* a folder that only arrived after the upgrade keeps its UIDVALIDITY */
                a->uidvalidity = (guint32)g_ascii_strtoull(f[7], NULL, 10);
                g_ptr_array_add(adds, a);
            }
            g_strfreev(f);
        }
        g_strfreev(lines);
        g_free(text);
    }
    MsmStoreAppendStats st = {0};
    ok = ok && g_mkdir_with_parents(scratch, 0700) == 0 &&
         msm_store_append(ctx, codec, msm_ctx_source_root(ctx), from, adds, scratch, &st, error);
    if (ok) {
        g_key_file_set_uint64(kf, "rollback", "restored", st.added);
        g_key_file_set_uint64(kf, "rollback", "duplicates", st.duplicates);
        g_key_file_set_uint64(kf, "rollback", "flags_not_restored", flags_lost);
        msm_ctx_journal_event(ctx, "zfs guard: restored %" G_GUINT64_FORMAT
                                   " messages into the %s store (%" G_GUINT64_FORMAT
                                   " already there)",
                              st.added, from, st.duplicates);
        if (flags_lost)
            msm_ctx_log(ctx, MSM_LOG_WARNING,
                        "zfs guard: %" G_GUINT64_FORMAT " restored messages lost their flags or "
                        "keywords: %s, like the versions before Messaging Server 7, does not "
                        "restore message flags from an incremental backup (seed 004)",
                        flags_lost, from);
    }
    g_rmdir(scratch);
    g_ptr_array_unref(adds);
    g_free(scratch);
    g_free(index);
    g_free(inc);
    g_free(dir);
    return ok;
}

static gboolean
guard_rollback(MsmCtx *ctx, GError **error)
{
    GKeyFile *kf = state_load(ctx);
    if (kf == NULL || !g_key_file_has_key(kf, "snapshot", "names", NULL)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "run %s has no ZFS snapshot recorded (zfs/state in its work directory)",
                    msm_ctx_run_id(ctx));
        if (kf)
            g_key_file_free(kf);
        return FALSE;
    }
    char *phase = g_key_file_get_string(kf, "rollback", "phase", NULL);
    gboolean ok = TRUE;
    if (phase == NULL || strcmp(phase, "incremental") == 0) {
        ok = incremental_backup(ctx, kf, error);
        if (ok) {
            g_key_file_set_string(kf, "rollback", "phase", "zfs");
            ok = state_save(ctx, kf, error);
        }
        g_free(phase);
        phase = g_strdup("zfs");
    }
    if (ok && strcmp(phase, "zfs") == 0) {
        char **names = g_key_file_get_string_list(kf, "snapshot", "names", NULL, NULL);
        for (char **n = names; n && *n && ok; n++) {
            ok = msm_zfs_rollback(*n, TRUE, error);
            if (ok)
                msm_ctx_journal_event(ctx, "zfs guard: rolled back to %s", *n);
        }
        g_strfreev(names);
        if (ok) {
            g_key_file_set_string(kf, "rollback", "phase", "restore");
            ok = state_save(ctx, kf, error);
        }
        g_free(phase);
        phase = g_strdup("restore");
    }
    if (ok && strcmp(phase, "restore") == 0) {
        ok = incremental_restore(ctx, kf, error);
        if (ok) {
            g_key_file_set_string(kf, "rollback", "phase", "done");
            ok = state_save(ctx, kf, error);
        }
    }
    g_free(phase);
    g_key_file_free(kf);
    return ok;
}

static const MsmGuard guards[] = {
    {.name = "zfs",
     .summary = "ZFS snapshot of the store area before the run; back-out by incremental "
                "backup, zfs rollback and restore (seed 004)",
     .preflight = guard_preflight,
     .before = guard_before,
     .after = guard_after,
     .rollback = guard_rollback},
    {.name = NULL},
};

MSM_PLUGIN_DEFINE(zfs_snapshot_rollback, .name = "zfs-snapshot-rollback",
                  .description = "guard: ZFS snapshot of the store before a run, and the "
                                 "seed's back-out",
                  .version = PACKAGE_VERSION, .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-zfs-snapshot-rollback", .origin = "msmigrate",
                  .guards = guards);
