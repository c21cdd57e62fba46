/*
 * NAME
 *	cli-snapshot.c - `msmigrate snapshot create|list|rollback|prune`
 * SUMMARY
 *	The ZFS snapshots of a deployment's store area (seed 004), by hand; the
 *	zfs guard (`msmigrate run --guard zfs`) makes them for runs, and
 *	`msmigrate rollback RUN` uses them with the seed's back-out.
 *	create ROOT: snapshots the dataset holding ROOT's store area as
 *	  <dataset>@msmigrate-manual-<yyyymmddhhmmss>; refuses when the MTA
 *	  queues are on that dataset (seed 004: never roll back the queues).
 *	list [ROOT]: msmigrate's snapshots (of ROOT's store dataset, or all),
 *	  oldest first, with the run that made each; --json.
 *	rollback SNAPSHOT: zfs rollback; --destroy-later also destroys the
 *	  snapshots taken after it (zfs rollback -r). For a run's full back-out
 *	  (incremental backup, rollback, restore) use `msmigrate rollback RUN`.
 *	prune [ROOT] --keep N: destroys all but the newest N of msmigrate's
 *	  snapshots per dataset (--dry-run lists them).
 */
#include "config.h"

#include "cli.h"
#include "detect.h"
#include "json.h"
#include "zfs.h"

#include <stdio.h>
#include <string.h>

/* The dataset holding root's store area (version given or detected). */
static char *
store_dataset(const char *root, const char *version, const char *instance, char **queue_ds_r,
              GError **error)
{
    const char *id = NULL;
    MsmDetection *det = NULL;
    if (version) {
        id = msm_version_resolve(version, error);
    } else {
        det = msm_detect(root, error);
        id = det ? msm_detection_pick(det, NULL, error) : NULL;
    }
    char *ds = NULL;
    MsmLayout *l = id ? msm_layout_resolve(root, id, instance, error) : NULL;
    if (l) {
        ds = msm_zfs_dataset_of(msm_layout_store_dir(l), NULL, error);
        if (ds && queue_ds_r)
            *queue_ds_r = msm_zfs_dataset_of(msm_layout_queue_dir(l), NULL, NULL);
    }
    msm_layout_free(l);
    msm_detection_free(det);
    return ds;
}

static int
snap_create(int argc, char **argv)
{
    CliCommon common = {0};
    char *version = NULL, *instance = NULL;
    gboolean dry_run = FALSE;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    char *ds = NULL, *qds = NULL, *name = NULL;
    const GOptionEntry entries[] = {
        {"version", 0, 0, G_OPTION_ARG_STRING, &version, "The deployment's version (default: detected)", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance, "The instance when the root has several", "NAME"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "Say what would be snapshotted", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "snapshot create", "ROOT",
                   "Snapshot the ZFS dataset holding a deployment's store area (stop the "
                   "services first, seed 004).",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: snapshot create: name one deployment root\n");
        goto out;
    }
    ds = store_dataset(argv[1], version, instance, &qds, &err);
    if (ds == NULL)
        goto fail;
    if (qds && strcmp(qds, ds) == 0) {
        g_set_error(&err, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "the MTA queues of %s are on the store's dataset %s: a rollback would take "
                    "them back too (seed 004 says never to); put the queues on their own "
                    "dataset",
                    argv[1], ds);
        rc = MSM_EXIT_REFUSED;
        goto fail;
    }
    name = msm_zfs_snapshot_name(ds, NULL, g_get_real_time() / G_USEC_PER_SEC);
    if (!dry_run && !msm_zfs_snapshot(name, &err))
        goto fail;
    if (common.json)
        printf("{\"snapshot\":\"%s\",\"dataset\":\"%s\",\"dry_run\":%s}\n", name, ds,
               dry_run ? "true" : "false");
    else
        printf("%s %s\n", dry_run ? "would snapshot" : "snapshot", name);
    rc = MSM_EXIT_OK;
    goto out;
fail:
    cli_error("snapshot create", err);
out:
    g_clear_error(&err);
    g_free(ds);
    g_free(qds);
    g_free(name);
    g_free(version);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}

static void
print_snapshots(GPtrArray *snaps, gboolean json, const char *verb_note)
{
    if (json) {
        MsmJson *j = msm_json_new(FALSE);
        msm_json_begin_array(j);
        for (guint i = 0; i < snaps->len; i++) {
            MsmZfsSnapshot *s = snaps->pdata[i];
            msm_json_begin_object(j);
            msm_json_kv_string(j, "name", s->name);
            msm_json_kv_string(j, "dataset", s->dataset);
            msm_json_kv_string(j, "run", s->run_id);
            msm_json_kv_int(j, "created", s->created);
            msm_json_kv_int(j, "used", (gint64)s->used);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        char *text = msm_json_finish(j);
        printf("%s\n", text);
        g_free(text);
        return;
    }
    for (guint i = 0; i < snaps->len; i++) {
        MsmZfsSnapshot *s = snaps->pdata[i];
        GDateTime *dt = g_date_time_new_from_unix_utc(s->created);
        char *when = g_date_time_format(dt, "%Y-%m-%d %H:%M:%S UTC");
        g_date_time_unref(dt);
        printf("%s%s  %s  %" G_GUINT64_FORMAT " bytes  %s\n", verb_note ? verb_note : "",
               s->name, when, s->used, s->run_id ? s->run_id : "(manual)");
        g_free(when);
    }
}

static int
snap_list_or_prune(int argc, char **argv, gboolean prune)
{
    const char *verb = prune ? "snapshot prune" : "snapshot list";
    CliCommon common = {0};
    char *version = NULL, *instance = NULL, *dataset = NULL;
    gint keep = -1;
    gboolean dry_run = FALSE;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    char *ds = NULL;
    GPtrArray *snaps = NULL;
    GOptionEntry entries[] = {
        {"version", 0, 0, G_OPTION_ARG_STRING, &version, "The deployment's version (default: detected)", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance, "The instance when the root has several", "NAME"},
        {"dataset", 0, 0, G_OPTION_ARG_STRING, &dataset, "A dataset instead of a deployment root", "DATASET"},
        {"keep", 0, 0, G_OPTION_ARG_INT, &keep, "prune: how many of the newest to keep", "N"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, "prune: only list what would go", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, verb, "[ROOT]",
                   prune ? "Destroy all but the newest N of msmigrate's snapshots per dataset."
                         : "List msmigrate's ZFS snapshots, oldest first, with the run of each.",
                   entries, &common))
        goto out;
    if (argc > 2) {
        fprintf(stderr, "msmigrate: %s: at most one deployment root\n", verb);
        goto out;
    }
    if (prune && keep < 0) {
        const char *k = common.profile ? g_key_file_get_value(common.profile, "zfs", "keep", NULL) : NULL;
        keep = k ? (gint)g_ascii_strtoll(k, NULL, 10) : -1;
        g_free((char *)k);
        if (keep < 0) {
            fprintf(stderr, "msmigrate: %s: say how many to keep with --keep N (or [zfs] keep "
                            "in the site profile)\n", verb);
            goto out;
        }
    }
    if (argc == 2) {
        ds = store_dataset(argv[1], version, instance, NULL, &err);
        if (ds == NULL)
            goto fail;
    } else if (dataset) {
        ds = g_strdup(dataset);
    }
    snaps = msm_zfs_list_snapshots(ds, &err);
    if (snaps == NULL)
        goto fail;
    if (!prune) {
        print_snapshots(snaps, common.json, NULL);
        rc = MSM_EXIT_OK;
        goto out;
    }
    /* Per dataset, the oldest beyond the newest `keep`. */
    GPtrArray *gone = g_ptr_array_new();
    GHashTable *per = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = snaps->len; i-- > 0;) {
        MsmZfsSnapshot *s = snaps->pdata[i];
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(per, s->dataset)) + 1;
        g_hash_table_insert(per, s->dataset, GUINT_TO_POINTER(n));
        if (n > (guint)keep)
            g_ptr_array_insert(gone, 0, s);
    }
    g_hash_table_unref(per);
    rc = MSM_EXIT_OK;
    for (guint i = 0; i < gone->len && !dry_run; i++) {
        MsmZfsSnapshot *s = gone->pdata[i];
        if (!msm_zfs_destroy_snapshot(s->name, &err)) {
            cli_error(verb, err);
            g_clear_error(&err);
            rc = MSM_EXIT_SKIPPED;
        }
    }
    print_snapshots(gone, common.json, common.json ? NULL : (dry_run ? "would destroy " : "destroyed "));
    g_ptr_array_unref(gone);
    goto out;
fail:
    cli_error(verb, err);
out:
    g_clear_error(&err);
    if (snaps)
        g_ptr_array_unref(snaps);
    g_free(ds);
    g_free(dataset);
    g_free(version);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}

static int
snap_rollback(int argc, char **argv)
{
    CliCommon common = {0};
    gboolean destroy_later = FALSE;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    const GOptionEntry entries[] = {
        {"destroy-later", 0, 0, G_OPTION_ARG_NONE, &destroy_later,
         "Also destroy the snapshots taken after it (zfs rollback -r)", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "snapshot rollback", "SNAPSHOT",
                   "Roll a dataset back to one of msmigrate's snapshots. This alone loses what "
                   "arrived since; `msmigrate rollback RUN` keeps it (seed 004's back-out).",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: snapshot rollback: name one snapshot (msmigrate snapshot list)\n");
        goto out;
    }
    const char *at = strchr(argv[1], '@');
    if (at == NULL || !g_str_has_prefix(at + 1, MSM_ZFS_SNAPSHOT_PREFIX)) {
        fprintf(stderr, "msmigrate: snapshot rollback: %s is not one of msmigrate's snapshots "
                        "(DATASET@msmigrate-...); use zfs rollback for others\n", argv[1]);
        goto out;
    }
    if (!msm_zfs_rollback(argv[1], destroy_later, &err)) {
        cli_error("snapshot rollback", err);
        goto out;
    }
    printf("rolled back to %s\n", argv[1]);
    rc = MSM_EXIT_OK;
out:
    g_clear_error(&err);
    cli_common_clear(&common);
    return rc;
}

int
cli_snapshot(int argc, char **argv)
{
    if (argc >= 2) {
        const char *v = argv[1];
        if (strcmp(v, "create") == 0)
            return snap_create(argc - 1, argv + 1);
        if (strcmp(v, "list") == 0)
            return snap_list_or_prune(argc - 1, argv + 1, FALSE);
        if (strcmp(v, "prune") == 0)
            return snap_list_or_prune(argc - 1, argv + 1, TRUE);
        if (strcmp(v, "rollback") == 0)
            return snap_rollback(argc - 1, argv + 1);
    }
    fprintf(stderr,
            "Usage: msmigrate snapshot VERB ...\n"
            "  create ROOT               snapshot the dataset of ROOT's store area\n"
            "  list [ROOT]               msmigrate's snapshots, oldest first\n"
            "  rollback SNAPSHOT         zfs rollback to one of them\n"
            "  prune [ROOT] --keep N     destroy all but the newest N per dataset\n");
    return MSM_EXIT_FAILED;
}
