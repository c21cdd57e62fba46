/*
 * NAME
 *	codec-nms3-store.h - the NMS 3.x message store model (nms3x plugin)
 * SUMMARY
 *	nms3x_store_codec() reads and writes docs/formats/store-nms3.md: one
 *	directory per user under one or more mail store paths, folders as
 *	nested directories, each folder's messages in its "00/" directory.
 *	The helpers below are shared with the upgrade passes (upgrade.c).
 * OWNERSHIP
 *	The codec is static (transfer none). Returned arrays and strings are
 *	(transfer full).
 * ERRORS
 *	MSM_ERROR_IO / MSM_ERROR_PARSE naming the path and line; MSM_ERROR_UNSAFE
 *	naming the user or folder that cannot be stored or read safely.
 */
#ifndef MSM_NMS3X_CODEC_NMS3_STORE_H
#define MSM_NMS3X_CODEC_NMS3_STORE_H

#include <msmigrate/msmigrate.h>

const MsmCodec *nms3x_store_codec(void);

/* The mail store paths of the 3.x deployment at root: [0] is the default
 * path (the layout's store directory), then the paths listed in its
 * ".mailstores" file, all absolute below root. (transfer full: char*) */
GPtrArray *nms3x_store_paths(const char *root, const char *instance, GError **error);
/* The partition name NMS 4.1's upgrade derives from a mail store path: its
 * last component with non-alphanumerics stripped, lowercased ("primary"
 * for index 0, the default path). (transfer full) */
char *nms3x_partition_name(const char *path, guint index);
/* The users (directory names) of one mail store path, sorted; entries that
 * are not safe user names are appended to *unsafe_r (may be NULL) as
 * messages. (transfer full: char*) */
GPtrArray *nms3x_list_users(const char *store_path, GPtrArray *unsafe_r);
/* The folders of user below store_path as pairs: UTF-8 folder name and its
 * directory, INBOX first, parents before children; unsafe directory names
 * are appended to *unsafe_r (may be NULL). (transfer full: char*, even
 * indexes names, odd indexes directories) */
GPtrArray *nms3x_list_folders(const char *store_path, const char *user, GPtrArray *unsafe_r);
/* Reads one folder: the owner record from <user>/00/owner and the folder
 * record from <dir>/00/folder, messages streamed. (transfer full) */
MsmFolder *nms3x_read_folder(const char *store_path, const char *partition, const char *user,
                             const char *name, const char *dir, GError **error);

#endif
