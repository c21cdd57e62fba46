/*
 * NAME
 *	cli-store-legacy.c - `msmigrate store backup | restore | upgrade`
 * SUMMARY
 *	The seeds' legacy store tools as verbs (cli-store.c dispatches to them):
 *	- backup:  SIMS 4.0 `imbackup -f FILE|- [-u USERS] [-d DATE] [-b N]`
 *	           (docs/formats/imbackup-stream.md);
 *	- restore: `imsrestore -f FILE|- [-m MAP] [-n] [-c y|n] [-v N]` into the
 *	           store of any version a registered codec writes (ims-5.2 by
 *	           default), or offline batches straight from a SIMS store
 *	           (--source ROOT -u FILE ... --streams N), seed 003;
 *	- upgrade: NMS 3.x -> 4.1 `upgrade -s | -m | -u LIST [-t N] [-r]` and
 *	           the per-folder dynamic upgrade (seed 002); and for an NMS
 *	           4.x store the quota-database upgrade (`reconstruct -q`), the
 *	           copy into a classic store (--copy-to) and the in-place reuse
 *	           as iMS 5.2 (--in-place, seed 003: store-nms4.md);
 *	- the `run --store-reuse` option's callback (profile [store] nms4-reuse).
 *	The SIMS and NMS 3.x code (plugins/sims40, plugins/nms3x) is linked
 *	into the CLI directly; target store codecs come from the registry.
 * DIAGNOSTICS
 *	Errors name the file, line, user or folder and the fix (cli_error).
 *	Exit codes: 0 done, 1 failed, 2 done with skipped folders or messages
 *	(rerun after the fix), 3 refused by a precondition.
 */
#include "config.h"

#include "cli.h"

#include "codec-classic-store.h"
#include "ctxpriv.h"
#include "legacy-store.h"
#include "util.h"

#include "../plugins/nms3x/upgrade.h"
#include "../plugins/sims40/codec-sims-store.h"
#include "../plugins/sims40/imbackup.h"
#include "../plugins/sims40/restore.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* "yyyymmdd[:hhmmss]" (UTC) -> seconds, or -1. */
static gint64
parse_date(const char *s)
{
    int y, mo, d, h = 0, mi = 0, se = 0;
    if (strlen(s) == 8 ? sscanf(s, "%4d%2d%2d", &y, &mo, &d) != 3
                       : sscanf(s, "%4d%2d%2d:%2d%2d%2d", &y, &mo, &d, &h, &mi, &se) != 6)
        return -1;
    GDateTime *dt = g_date_time_new_utc(y, mo, d, h, mi, se);
    if (dt == NULL)
        return -1;
    gint64 t = g_date_time_to_unix(dt);
    g_date_time_unref(dt);
    return t;
}

static int
exit_for(const GError *err)
{
    return err && err->code == MSM_ERROR_PRECONDITION ? MSM_EXIT_REFUSED : MSM_EXIT_FAILED;
}

/* ---- backup ---- */

int
cli_store_backup(int argc, char **argv)
{
    CliCommon common = {0};
    char *file = NULL, *date = NULL, **userfiles = NULL;
    gint blocking = 20;
    int rc = MSM_EXIT_FAILED, fd = -1;
    GError *err = NULL;
    const GOptionEntry entries[] = {
        {"file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "Write the stream to FILE (- = stdout)",
         "FILE"},
        {"users", 'u', 0, G_OPTION_ARG_FILENAME_ARRAY, &userfiles,
         "Only the users listed in FILE, one per line (repeatable)", "FILE"},
        {"date", 'd', 0, G_OPTION_ARG_STRING, &date,
         "Only messages received since yyyymmdd[:hhmmss] UTC", "DATE"},
        {"blocking", 'b', 0, G_OPTION_ARG_INT, &blocking, "Blocks of 512 x N bytes (default 20)",
         "N"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "store backup", "SIMS-ROOT",
                   "Write the SIMS 4.0 message store as an imbackup stream (SIMS imbackup).",
                   entries, &common))
        goto out;
    if (argc != 2 || file == NULL || blocking < 1) {
        fprintf(stderr, "msmigrate: store backup: name the SIMS root and -f FILE|- "
                        "(and -b >= 1)\n");
        goto out;
    }
    Sims40BackupOptions o = {0};
    o.blocking = (guint)blocking;
    o.log = stderr;
    if (date && (o.since = parse_date(date)) < 0) {
        fprintf(stderr, "msmigrate: store backup: -d %s: expected yyyymmdd[:hhmmss]\n", date);
        goto out;
    }
    GPtrArray *users = NULL;
    for (guint i = 0; userfiles && userfiles[i]; i++) {
        GPtrArray *u = sims40_users_file_load(userfiles[i], &err);
        if (u == NULL) {
            cli_error("store backup", err);
            goto out;
        }
        if (users == NULL)
            users = g_ptr_array_new_with_free_func(g_free);
        for (guint j = 0; j < u->len; j++)
            g_ptr_array_add(users, g_strdup(u->pdata[j]));
        g_ptr_array_unref(u);
    }
    if (users)
        g_ptr_array_add(users, NULL);
    fd = strcmp(file, "-") == 0 ? STDOUT_FILENO
                                : open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "msmigrate: store backup: %s: %s\n", file, g_strerror(errno));
    } else {
        guint64 nf = 0, nm = 0;
        if (sims40_imbackup(argv[1], users ? (const char *const *)users->pdata : NULL, fd, &o, &nf,
                            &nm, &err)) {
            if (!common.quiet)
                fprintf(stderr,
                        "store backup: %" G_GUINT64_FORMAT " folders, %" G_GUINT64_FORMAT
                        " messages\n",
                        nf, nm);
            rc = MSM_EXIT_OK;
        } else {
            cli_error("store backup", err);
        }
        if (fd != STDOUT_FILENO && close(fd) != 0 && rc == MSM_EXIT_OK) {
            fprintf(stderr, "msmigrate: store backup: %s: %s\n", file, g_strerror(errno));
            rc = MSM_EXIT_FAILED;
        }
    }
    if (users)
        g_ptr_array_unref(users);
out:
    g_clear_error(&err);
    g_free(file);
    g_free(date);
    g_strfreev(userfiles);
    cli_common_clear(&common);
    return rc;
}

/* ---- restore ---- */

int
cli_store_restore(int argc, char **argv)
{
    CliCommon common = {0};
    char *file = NULL, *to = NULL, *map = NULL, *ldif = NULL, *source = NULL, *cont = NULL,
         *instance = NULL, **userfiles = NULL;
    gboolean distinct = FALSE;
    gint verbose = 0, streams = 12;
    int rc = MSM_EXIT_FAILED, fd = -1;
    GError *err = NULL;
    MsmRegistry *reg = NULL;
    MsmCtx *ctx = NULL;
    gpointer w = NULL;
    const MsmCodecRef *ref = NULL;
    Sims40RestoreOptions o = {0};
    const GOptionEntry entries[] = {
        {"file", 'f', 0, G_OPTION_ARG_FILENAME, &file, "Read the stream from FILE (- = stdin)",
         "FILE"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "Version of the target store (default ims-5.2)",
         "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance, "Target instance", "NAME"},
        {"map", 'm', 0, G_OPTION_ARG_FILENAME, &map,
         "Rename users: oldname=newname lines (anderson=Anderson)", "FILE"},
        {"ldif", 0, 0, G_OPTION_ARG_FILENAME, &ldif,
         "Also rename every lowercase SIMS user to its uid in this directory LDIF", "FILE"},
        {"distinct", 'n', 0, G_OPTION_ARG_NONE, &distinct,
         "Keep folder names that are not modified UTF-7 distinct (imsrestore -n)", NULL},
        {"continue", 'c', 0, G_OPTION_ARG_STRING, &cont,
         "y: go on after a failed folder (default), n: stop", "y|n"},
        {"log-level", 'v', 0, G_OPTION_ARG_INT, &verbose, "0 errors only, 1 one line per folder",
         "N"},
        {"source", 0, 0, G_OPTION_ARG_FILENAME, &source,
         "Offline batches: back up this SIMS root directly (no stream file)", "SIMS-ROOT"},
        {"users", 'u', 0, G_OPTION_ARG_FILENAME_ARRAY, &userfiles,
         "With --source: one backup | restore pipeline per user FILE (repeatable)", "FILE"},
        {"streams", 0, 0, G_OPTION_ARG_INT, &streams,
         "With --source: concurrent pipelines (default 12; the seed advises 10 to 15)", "N"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "store restore", "TARGET-ROOT",
                   "Restore an imbackup stream (or a SIMS store, in batches) into a target "
                   "store (imsrestore).",
                   entries, &common))
        goto out;
    if (argc != 2 || (file == NULL) == (source == NULL) || streams < 1) {
        fprintf(stderr, "msmigrate: store restore: name the target root and either -f FILE|- "
                        "or --source SIMS-ROOT\n");
        goto out;
    }
    const char *version = cli_version(to ? to : "ims-5.2", "store restore --to");
    if (version == NULL)
        goto out;
    o.distinct = distinct;
    o.continue_on_error = cont == NULL || g_ascii_tolower(cont[0]) == 'y';
    o.verbose = (guint)MAX(verbose, 0);
    o.log = stderr;
    if ((map && !sims40_rename_map_load(map, &o.rename, &err)) ||
        (ldif && !sims40_rename_map_from_ldif(ldif, &o.rename, &err))) {
        cli_error("store restore", err);
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("store restore", err);
        goto out;
    }
    ref = msm_registry_find_codec(reg, MSM_KIND_STORE, version);
    if (ref == NULL || ref->codec->writer_open == NULL) {
        fprintf(stderr,
                "msmigrate: store restore: no store codec writes %s; load the plugin that "
                "provides it (--plugin-dir)\n",
                version);
        goto out;
    }
    ctx = msm_ctx_new();
    ctx->target_root = g_strdup(argv[1]);
    ctx->run_to = g_strdup(version);
    ctx->instance = g_strdup(instance);
    ctx->registry = reg;
    ctx->quiet = TRUE;
    ctx->target_layout = msm_layout_resolve(argv[1], version, instance, &err);
    if (ctx->target_layout == NULL ||
        (w = ref->codec->writer_open(ctx, argv[1], version, &err)) == NULL) {
        cli_error("store restore", err);
        goto out;
    }
    Sims40RestoreStats st = {0};
    gboolean ok;
    if (source) {
        ok = sims40_restore_batches(source, (const char *const *)userfiles, (guint)streams,
                                    ref->codec, w, &o, &st, &err);
    } else {
        fd = strcmp(file, "-") == 0 ? STDIN_FILENO : open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "%s: %s", file, g_strerror(errno));
            ok = FALSE;
        } else {
            GMutex lock;
            g_mutex_init(&lock);
            ok = sims40_restore_stream(fd, ref->codec, w, &lock, &o, &st, &err);
            g_mutex_clear(&lock);
        }
    }
    ok = ref->codec->writer_commit(w, ok ? &err : NULL) && ok;
    if (!ok)
        cli_error("store restore", err);
    if (!common.quiet)
        fprintf(stderr,
                "store restore: %" G_GUINT64_FORMAT " folders, %" G_GUINT64_FORMAT
                " messages, %" G_GUINT64_FORMAT " bytes restored into %s; %" G_GUINT64_FORMAT
                " folder(s) failed\n",
                st.folders, st.messages, st.bytes, version, st.failed);
    rc = !ok ? MSM_EXIT_FAILED : st.failed ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
out:
    if (w)
        ref->codec->writer_close(w);
    if (fd > STDIN_FILENO)
        close(fd);
    if (ctx)
        msm_ctx_free(ctx);
    if (reg)
        msm_registry_free(reg);
    if (o.rename)
        g_hash_table_unref(o.rename);
    g_clear_error(&err);
    g_free(file);
    g_free(to);
    g_free(map);
    g_free(ldif);
    g_free(source);
    g_free(cont);
    g_free(instance);
    g_strfreev(userfiles);
    cli_common_clear(&common);
    return rc;
}

/* ---- upgrade ---- */

/* reconstruct -q on an NMS 4.x store: used bytes of every owner recomputed
 * from its folders' message indexes. */
static gboolean
reconstruct_quota(const char *root, const char *instance, guint64 *owners_r, GError **error)
{
    char *store = msm_layout_resolve_store_dir(root, "nms-4.1", instance, error);
    if (store == NULL)
        return FALSE;
    char *dp = g_build_filename(store, "mboxlist", "data.db2", NULL);
    char *qp = g_build_filename(store, "quota.db2", NULL);
    MsmLegacyDb *data = msm_legacy_db_open(dp, FALSE, error);
    MsmLegacyDb *quota = data ? msm_legacy_db_open(qp, TRUE, error) : NULL;
    GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gboolean ok = quota != NULL;
    gpointer cur = NULL;
    char *k = NULL, *v = NULL;
    while (ok && msm_legacy_db_next(data, &cur, &k, &v, error)) {
        char *owner = NULL, *folder = NULL;
        MsmLegacyRecord *rec = msm_legacy_record_parse(v, strlen(v), k, error);
        ok = rec && msm_core_nms4_split_key(k, &owner, &folder, error);
        char *pdir = NULL, *rel = NULL;
        ok = ok &&
             (pdir = msm_core_nms4_partition_dir(root, store,
                                                 msm_legacy_record_get(rec, "partition")
                                                     ? msm_legacy_record_get(rec, "partition")
                                                     : "primary",
                                                 error)) != NULL &&
             (rel = msm_core_nms4_folder_relpath(owner, folder, error)) != NULL;
        if (ok) {
            char *md = g_build_filename(pdir, rel, "00", NULL);
            MsmMessageIter *it = msm_legacy_msgdir_iter(md, error);
            gint64 *sum = g_hash_table_lookup(used, owner);
            if (sum == NULL) {
                sum = g_new0(gint64, 1);
                g_hash_table_insert(used, g_strdup(owner), sum);
            }
            for (ok = it != NULL; ok;) {
                MsmMessage *m = NULL;
                ok = msm_message_iter_next(it, &m, error);
                if (m == NULL)
                    break;
                *sum += m->size;
                msm_message_free(m);
            }
            msm_message_iter_free(it);
            g_free(md);
        }
        msm_legacy_record_free(rec);
        g_free(pdir);
        g_free(rel);
        g_free(owner);
        g_free(folder);
        g_free(k);
        g_free(v);
    }
    if (!ok)
        msm_legacy_db_cursor_close(cur);
    GHashTableIter hi;
    gpointer hk, hv;
    g_hash_table_iter_init(&hi, used);
    while (ok && g_hash_table_iter_next(&hi, &hk, &hv)) {
        char *old = msm_legacy_db_get(quota, hk, NULL);
        MsmLegacyRecord *q = old ? msm_legacy_record_parse(old, strlen(old), hk, NULL) : NULL;
        if (q == NULL) {
            q = msm_legacy_record_new();
            msm_legacy_record_set_int(q, "quota_bytes", -1);
            msm_legacy_record_set_int(q, "quota_messages", -1);
        }
        msm_legacy_record_set_int(q, "used_bytes", *(gint64 *)hv);
        char *s = msm_legacy_record_to_string(q);
        ok = msm_legacy_db_put(quota, hk, s, error);
        g_free(s);
        g_free(old);
        msm_legacy_record_free(q);
    }
    ok = ok && msm_legacy_db_sync(quota, error);
    if (ok && owners_r)
        *owners_r = g_hash_table_size(used);
    g_hash_table_unref(used);
    msm_legacy_db_close(data);
    msm_legacy_db_close(quota);
    g_free(dp);
    g_free(qp);
    g_free(store);
    return ok;
}

/* NMS 4.x -> VERSION: every folder read through the nms4-store codec and
 * written by VERSION's store codec, by copy or (in_place) reusing the 4.x store
 * in place: the classic writer points its partitions at the 4.x partitions and
 * hard-links the message files (docs/formats/store-nms4.md "In-place reuse"). */
static gboolean
copy_store(MsmRegistry *reg, const char *src, const char *instance, const char *dst,
           const char *version, gboolean in_place, guint64 *copied_r, guint64 *skipped_r,
           GError **error)
{
    const MsmCodecRef *rref = msm_registry_find_codec(reg, MSM_KIND_STORE, "nms-4.1");
    const MsmCodecRef *wref = msm_registry_find_codec(reg, MSM_KIND_STORE, version);
    if (rref == NULL || wref == NULL || wref->codec->writer_open == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no store codec %s %s; load the plugin that provides it (--plugin-dir)",
                    rref ? "writes" : "reads", rref ? version : "nms-4.1");
        return FALSE;
    }
    MsmCtx *ctx = msm_ctx_new();
    ctx->source_root = g_strdup(src);
    ctx->target_root = g_strdup(dst);
    ctx->run_from = g_strdup("nms-4.1");
    ctx->run_to = g_strdup(version);
    ctx->instance = g_strdup(instance);
    ctx->registry = reg;
    ctx->quiet = TRUE;
    GKeyFile *profile = g_key_file_new();
    g_key_file_set_string(profile, MSM_NMS4_REUSE_GROUP, MSM_NMS4_REUSE_KEY,
                          in_place ? "in-place" : "copy");
    ctx->profile = profile;
    ctx->source_layout = msm_layout_resolve(src, "nms-4.1", instance, error);
    ctx->target_layout =
        ctx->source_layout ? msm_layout_resolve(dst, version, instance, error) : NULL;
    gboolean pre = ctx->target_layout != NULL;
    if (pre && in_place && msm_classic_store_generation(version) == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "in-place reuse writes a classic store (ims-5.2 .. ms-8.1), not %s", version);
        pre = FALSE;
    }
    if (pre && in_place)
        pre = msm_core_nms4_reuse_preflight(ctx, dst, NULL, error);
    gpointer r = pre ? rref->codec->reader_open(ctx, src, "nms-4.1", error) : NULL;
    gpointer w = r ? wref->codec->writer_open(ctx, dst, version, error) : NULL;
    gboolean ok = w != NULL;
    while (ok) {
        MsmItem *item = NULL;
        GError *err = NULL;
        if (!rref->codec->reader_next(r, &item, &err)) {
            if (err->code == MSM_ERROR_PARSE || err->code == MSM_ERROR_UNSAFE) {
                fprintf(stderr, "msmigrate: store upgrade: skipped: %s\n", err->message);
                (*skipped_r)++;
                g_error_free(err);
                continue;
            }
            g_propagate_error(error, err);
            ok = FALSE;
            break;
        }
        if (item == NULL)
            break;
        if (wref->codec->writer_put(w, item, &err))
            (*copied_r)++;
        else {
            fprintf(stderr, "msmigrate: store upgrade: %s: %s\n", item->key, err->message);
            (*skipped_r)++;
            g_error_free(err);
        }
        msm_item_free(item);
    }
    ok = w && wref->codec->writer_commit(w, ok ? error : NULL) && ok;
    if (w)
        wref->codec->writer_close(w);
    if (r)
        rref->codec->reader_close(r);
    msm_ctx_free(ctx);
    g_key_file_unref(profile);
    return ok;
}

int
cli_store_upgrade(int argc, char **argv)
{
    CliCommon common = {0};
    gboolean folders = FALSE, messages = FALSE, remove = FALSE, quota = FALSE, in_place = FALSE;
    char *userlist = NULL, *target = NULL, *folder = NULL, *instance = NULL, *log = NULL,
         *copy_to = NULL;
    gint threads = 5;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    const GOptionEntry entries[] = {
        {"folders", 's', 0, G_OPTION_ARG_NONE, &folders,
         "Folder pass: __upfolder.db, __up.<partition>.txt, folders TRANSITION", NULL},
        {"messages", 'm', 0, G_OPTION_ARG_NONE, &messages, "Message pass for every folder", NULL},
        {"userlist", 'u', 0, G_OPTION_ARG_FILENAME, &userlist,
         "Message pass for the users of a user list (3-line header format)", "FILE"},
        {"threads", 't', 0, G_OPTION_ARG_INT, &threads, "Message threads (default 5)", "N"},
        {"remove", 'r', 0, G_OPTION_ARG_NONE, &remove,
         "Remove migrated 3.x message files (never directories)", NULL},
        {"folder", 0, 0, G_OPTION_ARG_STRING, &folder, "Dynamic upgrade of one folder OWNER/FOLDER",
         "OWNER/FOLDER"},
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target,
         "The 4.1 deployment root (default: the same root)", "ROOT"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance, "Instance name (msg-NAME)", "NAME"},
        {"log", 0, 0, G_OPTION_ARG_FILENAME, &log, "Append the upgrade log to FILE", "FILE"},
        {"reconstruct-quota", 'q', 0, G_OPTION_ARG_NONE, &quota,
         "NMS 4.x store: recompute quota.db2 usage (reconstruct -q)", NULL},
        {"copy-to", 0, 0, G_OPTION_ARG_STRING, &copy_to,
         "NMS 4.x store: copy it into the store of VERSION at --target", "VERSION"},
        {"in-place", 0, 0, G_OPTION_ARG_NONE, &in_place,
         "NMS 4.x store: reuse it in place as the iMS 5.2 store at --target (partitions point "
         "at the 4.x ones, message files hard-linked, nothing copied)",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "store upgrade", "ROOT",
                   "NMS 3.x -> 4.1 store upgrade (upgrade -s, then -m or -u; --folder for the "
                   "dynamic mode); on an NMS 4.x store -q (reconstruct -q), --copy-to VERSION "
                   "or --in-place (reuse it as iMS 5.2; docs/formats/store-nms4.md).",
                   entries, &common))
        goto out;
    guint modes = (folders ? 1 : 0) + (messages ? 1 : 0) + (userlist ? 1 : 0) + (folder ? 1 : 0) +
                  (quota ? 1 : 0) + (copy_to ? 1 : 0) + (in_place ? 1 : 0);
    if (argc != 2 || modes != 1 || threads < 1 || threads > 256 ||
        ((copy_to || in_place) && !target)) {
        fprintf(stderr, "msmigrate: store upgrade: name the root and exactly one of -s, -m, "
                        "-u FILE, --folder OWNER/FOLDER, -q, --copy-to VERSION --target ROOT, "
                        "--in-place --target ROOT (-t between 1 and 256)\n");
        goto out;
    }
    if (copy_to || in_place) {
        const char *version =
            in_place ? "ims-5.2" : cli_version(copy_to, "store upgrade --copy-to");
        MsmRegistry *reg = version ? cli_registry(&common, &err) : NULL;
        guint64 copied = 0, skipped = 0;
        if (reg && copy_store(reg, argv[1], instance, target, version, in_place, &copied, &skipped,
                              &err)) {
            if (!common.quiet)
                fprintf(stderr,
                        "store upgrade %s %s: %" G_GUINT64_FORMAT " folders %s, %" G_GUINT64_FORMAT
                        " skipped; quota usage recomputed (reconstruct -q)\n",
                        in_place ? "--in-place" : "--copy-to", version, copied,
                        in_place ? "reused in place (message files hard-linked)" : "copied",
                        skipped);
            rc = skipped ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
        } else if (version) {
            cli_error("store upgrade", err);
            rc = exit_for(err);
        }
        if (reg)
            msm_registry_free(reg);
        goto out;
    }
    if (quota) {
        guint64 owners = 0;
        if (reconstruct_quota(argv[1], instance, &owners, &err)) {
            if (!common.quiet)
                fprintf(stderr,
                        "store upgrade -q: usage of %" G_GUINT64_FORMAT " owner(s) "
                        "recomputed\n",
                        owners);
            rc = MSM_EXIT_OK;
        } else {
            cli_error("store upgrade", err);
        }
        goto out;
    }
    FILE *lf = log ? fopen(log, "a") : NULL;
    if (log && lf == NULL) {
        fprintf(stderr, "msmigrate: store upgrade: --log %s: %s\n", log, g_strerror(errno));
        goto out;
    }
    Nms3xUpgradeOptions o = {0};
    o.source_root = argv[1];
    o.source_instance = instance;
    o.target_root = target ? target : argv[1];
    o.target_instance = instance;
    o.threads = (guint)threads;
    o.remove = remove;
    o.log = lf ? lf : stderr;
    Nms3xUpgradeStats st = {0};
    gboolean ok;
    if (folders)
        ok = nms3x_upgrade_folders(&o, &st, &err);
    else if (folder) {
        const char *slash = strchr(folder, '/');
        if (slash == NULL || slash == folder || slash[1] == '\0') {
            fprintf(stderr, "msmigrate: store upgrade: --folder %s: expected OWNER/FOLDER\n",
                    folder);
            if (lf)
                fclose(lf);
            goto out;
        }
        char *owner = g_strndup(folder, slash - folder);
        ok = nms3x_upgrade_folder_on_demand(&o, owner, slash + 1, &st, &err);
        g_free(owner);
    } else {
        ok = nms3x_upgrade_messages(&o, userlist, &st, &err);
    }
    if (lf)
        fclose(lf);
    if (!ok) {
        cli_error("store upgrade", err);
        rc = exit_for(err);
        goto out;
    }
    if (!common.quiet) {
        if (folders)
            fprintf(stderr,
                    "store upgrade -s: %" G_GUINT64_FORMAT " users, %" G_GUINT64_FORMAT
                    " folders entered (TRANSITION); %" G_GUINT64_FORMAT " not entered\n",
                    st.users, st.folders, st.failed_folders);
        else
            fprintf(stderr,
                    "store upgrade: %" G_GUINT64_FORMAT " folders, %" G_GUINT64_FORMAT
                    " messages migrated, %" G_GUINT64_FORMAT " already done, %" G_GUINT64_FORMAT
                    " 3.x files removed; %" G_GUINT64_FORMAT " folders (%" G_GUINT64_FORMAT
                    " messages) left in TRANSITION\n",
                    st.folders, st.messages, st.skipped, st.removed, st.failed_folders,
                    st.failed_messages);
    }
    rc = st.failed_folders ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
out:
    g_clear_error(&err);
    g_free(userlist);
    g_free(target);
    g_free(folder);
    g_free(instance);
    g_free(log);
    g_free(copy_to);
    cli_common_clear(&common);
    return rc;
}

/* ---- `run --store-reuse in-place|copy` ---- */

static char *run_store_reuse; /* the value given, or NULL */

gboolean
cli_run_store_reuse_cb(const char *name, const char *value, gpointer data, GError **error)
{
    (void)data;
    if (g_strcmp0(value, "in-place") != 0 && g_strcmp0(value, "copy") != 0) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s %s: expected in-place or copy", name, value ? value : "");
        return FALSE;
    }
    g_free(run_store_reuse);
    run_store_reuse = g_strdup(value);
    return TRUE;
}

void
cli_run_apply_store_reuse(CliCommon *common)
{
    if (run_store_reuse == NULL)
        return;
    if (common->profile == NULL)
        common->profile = g_key_file_new();
    g_key_file_set_string(common->profile, MSM_NMS4_REUSE_GROUP, MSM_NMS4_REUSE_KEY,
                          run_store_reuse);
    g_clear_pointer(&run_store_reuse, g_free);
}
