/*
 * NAME
 *	zfs.h - the ZFS operations msmigrate needs, through the zfs command
 * SUMMARY
 *	Used by the zfs-snapshot-rollback guard plugin and by `msmigrate
 *	snapshot`. Every operation runs the `zfs` program (ZFS on Linux,
 *	zfs-fuse or Solaris) with an argument vector, never a shell, and parses
 *	its -H (tab-separated, no header) -p (exact numbers) output. The program
 *	is "zfs" on PATH unless MSMIGRATE_ZFS names another (tests).
 *	docs/formats/zfs-guard.md documents the snapshot names and the files the
 *	guard keeps.
 * OWNERSHIP
 *	Returned strings and arrays are (transfer full); MsmZfsSnapshot arrays
 *	have their free function set.
 * ERRORS
 *	FALSE/NULL with *error set: MSM_ERROR_NOT_FOUND when the zfs program is
 *	missing or no dataset holds a path, MSM_ERROR_FAILED with zfs's own
 *	message when a command fails, MSM_ERROR_INVALID_ARGUMENT for a name that
 *	is not a dataset or snapshot name.
 */
#ifndef MSM_CORE_ZFS_H
#define MSM_CORE_ZFS_H

#include <glib.h>

/* Prefix of every snapshot msmigrate makes: "<dataset>@msmigrate-<run>-<yyyymmddhhmmss>". */
#define MSM_ZFS_SNAPSHOT_PREFIX "msmigrate-"

typedef struct {
    char *name;       /* "pool/store@msmigrate-20261124T0800-ab12-20261124080000" */
    char *dataset;    /* "pool/store" */
    char *run_id;     /* parsed from the name, or NULL for a manual snapshot */
    gint64 created;   /* seconds since the epoch */
    guint64 used;     /* bytes held only by this snapshot */
} MsmZfsSnapshot;

void msm_zfs_snapshot_free(MsmZfsSnapshot *s);

/* TRUE if the zfs program can be run; else FALSE + error saying how to install it. */
gboolean msm_zfs_available(GError **error);
/* The mounted filesystem dataset holding path (the one whose mountpoint is the
 * longest prefix of path's real location; path need not exist yet: its nearest
 * existing ancestor is used). *mountpoint_r (may be NULL) receives its mountpoint.
 * (transfer full) */
char *msm_zfs_dataset_of(const char *path, char **mountpoint_r, GError **error);
/* Bytes available to dataset. */
gboolean msm_zfs_available_bytes(const char *dataset, guint64 *bytes_r, GError **error);
/* The snapshot name for a run: "<dataset>@msmigrate-<run_id>-<yyyymmddhhmmss>" (UTC).
 * run_id NULL gives "msmigrate-manual-<timestamp>". (transfer full) */
char *msm_zfs_snapshot_name(const char *dataset, const char *run_id, gint64 when);
/* zfs snapshot NAME. */
gboolean msm_zfs_snapshot(const char *name, GError **error);
/* zfs rollback [-r] NAME: -r destroys the later snapshots ZFS would otherwise refuse. */
gboolean msm_zfs_rollback(const char *name, gboolean destroy_later, GError **error);
/* zfs destroy NAME (a snapshot only: refuses a name without '@'). */
gboolean msm_zfs_destroy_snapshot(const char *name, GError **error);
/* msmigrate's snapshots of dataset (every dataset when NULL), oldest first. */
GPtrArray *msm_zfs_list_snapshots(const char *dataset, GError **error);
/* TRUE if name exists. */
gboolean msm_zfs_snapshot_exists(const char *name);

#endif
