/*
 * NAME
 *	upgrade.h - NMS 3.x -> 4.1 `upgrade -s / -m / -u` (seed 002) as library calls
 * SUMMARY
 *	Folder pass (nms3x_upgrade_folders, `upgrade -s`): finds every mail
 *	store path of the 3.x deployment, derives each one's 4.x partition
 *	name (last path component, non-alphanumerics stripped, lowercased; the
 *	default path is "primary"), refuses duplicate names listing the paths,
 *	creates <3.x path>/.0004x.<name> for every non-default partition (and
 *	records it in the 4.1 store's partitions.conf), writes the mapping
 *	database __upfolder.db and one __up.<partition>.txt user list per
 *	partition in the default 3.x path, and enters every folder in the 4.1
 *	folder database (data.db2) marked TRANSITION.
 *	Message pass (nms3x_upgrade_messages, `upgrade -m` or `-u userlist`):
 *	one producer fills a queue of at most queue_size folders; `threads`
 *	workers lock each 3.x folder, copy its messages into the 4.1 folder
 *	and mark it NON-TRANSITION. A message that cannot be read is logged and
 *	left in place and its folder stays TRANSITION, so a rerun (which skips
 *	NON-TRANSITION folders) resumes and finishes it. With remove (-r) the
 *	3.x message files of a folder that migrated completely are deleted;
 *	directories never are.
 *	nms3x_upgrade_folder_on_demand() is the dynamic mode: migrates one
 *	TRANSITION folder when it is first accessed.
 * OWNERSHIP
 *	Options and strings passed in are (transfer none); what is returned
 *	through *_r is (transfer full).
 * ERRORS
 *	MSM_ERROR_PRECONDITION: duplicate partition names (the message lists
 *	each name with its paths and the fix), the message pass before the
 *	folder pass. MSM_ERROR_PARSE: a user list not in the 3-line header
 *	format (file and line). MSM_ERROR_NOT_FOUND: no 3.x store, a folder
 *	that is not in __upfolder.db. MSM_ERROR_IO / MSM_ERROR_UNSAFE from the
 *	stores. Per-message and per-folder failures are counted in the stats
 *	and written to the log; they do not fail the pass.
 */
#ifndef MSM_NMS3X_UPGRADE_H
#define MSM_NMS3X_UPGRADE_H

#include <msmigrate/msmigrate.h>
#include <stdio.h>

typedef struct {
    const char *source_root;     /* the NMS 3.x deployment (server root or host image) */
    const char *source_instance; /* NULL = the layout's choice */
    const char *target_root;     /* the NMS 4.1 deployment (may be the same root) */
    const char *target_instance;
    guint threads;    /* -t (0 = 5) */
    guint queue_size; /* folders queued ahead (0 = 50) */
    gboolean remove;  /* -r */
    FILE *log;        /* the "default" log; NULL = stderr */
} Nms3xUpgradeOptions;

typedef struct {
    guint64 users, folders;  /* folder pass: entered; message pass: migrated */
    guint64 skipped;         /* already NON-TRANSITION (a rerun) */
    guint64 messages, bytes; /* copied */
    guint64 failed_messages, failed_folders;
    guint64 removed; /* 3.x message files removed (-r) */
} Nms3xUpgradeStats;

/* `upgrade -s`. */
gboolean nms3x_upgrade_folders(const Nms3xUpgradeOptions *opts, Nms3xUpgradeStats *stats,
                               GError **error);

/* `upgrade -m` (userlist NULL) or `upgrade -u userlist`. */
gboolean nms3x_upgrade_messages(const Nms3xUpgradeOptions *opts, const char *userlist,
                                Nms3xUpgradeStats *stats, GError **error);

/* Dynamic upgrade of one folder (owner, UTF-8 folder name); TRUE and no
 * work when it is already NON-TRANSITION. */
gboolean nms3x_upgrade_folder_on_demand(const Nms3xUpgradeOptions *opts, const char *owner,
                                        const char *folder, Nms3xUpgradeStats *stats,
                                        GError **error);

/* Reads a user list: *partition_r and *store_path_r from the header,
 * users in order. */
gboolean nms3x_userlist_load(const char *path, char **partition_r, char **store_path_r,
                             GPtrArray **users_r, GError **error);

/* The store migrator of the nms-3.x -> nms-4.1 hop (for the hop table's
 * .store) when the store moves in a `msmigrate run` (nms3-store codec ->
 * nms4-store codec) instead of the upgrade passes: preflight refuses
 * (MSM_ERROR_PRECONDITION) mail store paths with duplicate partition
 * names, listing them, as the folder pass does; transform keeps every
 * folder (its partition is the one the reader derived). (transfer none) */
extern const MsmStoreMigrator nms3x_store_3x_41;

#endif
