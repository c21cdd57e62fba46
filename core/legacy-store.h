/*
 * NAME
 *	legacy-store.h - pieces shared by the SIMS 4.0, NMS 3.x and NMS 4.x
 *	store codecs and their hop procedures (internal to msmigrate)
 * SUMMARY
 *	The products' store formats are not public (domain facts §3.3, §3.4):
 *	msmigrate models them (docs/formats/store-nms4.md, store-nms3.md,
 *	store-sims.md). The models share three building blocks, kept here so
 *	the core codec and the sims40 / nms3x plugin code read and write them
 *	the same way:
 *	- a text record ("name=value" lines, values C-escaped) used as the
 *	  value of the modelled Berkeley DB records and of small files;
 *	- a Berkeley DB 5.3 B-tree of such records (MsmLegacyDb), without an
 *	  environment (the products kept these files standalone);
 *	- the per-folder message index line (uid, flags, internal date, size,
 *	  keywords) and the on-disk encoding of folder and user names.
 *	Exported from libmsmigrate (msm_legacy_*) so plugins link them.
 * OWNERSHIP
 *	Returned strings and records are (transfer full); MsmLegacyDb is
 *	closed with msm_legacy_db_close(). Arguments are (transfer none).
 * ERRORS
 *	MSM_ERROR_IO naming the file for system and Berkeley DB failures,
 *	MSM_ERROR_PARSE naming the file and line for malformed records and
 *	index lines, MSM_ERROR_UNSAFE naming the name for folder and user
 *	names that cannot be stored safely.
 */
#ifndef MSM_CORE_LEGACY_STORE_H
#define MSM_CORE_LEGACY_STORE_H

#include <msmigrate/msmigrate.h>

/* ---- text records ---- */

/* "name=value\n" lines; values C-escaped (g_strescape). (transfer full) */
typedef GHashTable MsmLegacyRecord;
MsmLegacyRecord *msm_legacy_record_new(void);
void msm_legacy_record_set(MsmLegacyRecord *rec, const char *name, const char *value);
void msm_legacy_record_set_int(MsmLegacyRecord *rec, const char *name, gint64 value);
/* (transfer none) NULL when absent. */
const char *msm_legacy_record_get(MsmLegacyRecord *rec, const char *name);
gint64 msm_legacy_record_get_int(MsmLegacyRecord *rec, const char *name, gint64 dflt);
/* Serialised with names sorted (stable bytes). (transfer full) */
char *msm_legacy_record_to_string(MsmLegacyRecord *rec);
/* what names the source for errors ("data.db2 key user/joe/INBOX"). */
MsmLegacyRecord *msm_legacy_record_parse(const char *text, gsize len, const char *what,
                                         GError **error);
void msm_legacy_record_free(MsmLegacyRecord *rec);

/* ---- standalone Berkeley DB B-tree files of string keys and values ---- */

typedef struct MsmLegacyDb MsmLegacyDb;
/* Opens path (create: create it if missing; readonly otherwise). */
MsmLegacyDb *msm_legacy_db_open(const char *path, gboolean create, GError **error);
gboolean msm_legacy_db_put(MsmLegacyDb *db, const char *key, const char *value, GError **error);
/* (transfer full) NULL with no error when absent. */
char *msm_legacy_db_get(MsmLegacyDb *db, const char *key, GError **error);
gboolean msm_legacy_db_del(MsmLegacyDb *db, const char *key, GError **error);
/* Iterates in key order: first call with *cursor == NULL; returns FALSE at
 * the end or on error (*error set). Keys and values (transfer full). The
 * cursor is closed at the end or by msm_legacy_db_cursor_close(). */
gboolean msm_legacy_db_next(MsmLegacyDb *db, gpointer *cursor, char **key_r, char **value_r,
                            GError **error);
void msm_legacy_db_cursor_close(gpointer cursor);
/* Number of records (a fast, possibly approximate count). */
guint64 msm_legacy_db_count(MsmLegacyDb *db);
gboolean msm_legacy_db_sync(MsmLegacyDb *db, GError **error);
void msm_legacy_db_close(MsmLegacyDb *db);
const char *msm_legacy_db_path(MsmLegacyDb *db);

/* ---- names ---- */

/* TRUE when user is a safe store owner name: valid UTF-8, 1..255 bytes, no
 * '/', '\\', control character or space, not "." or "..", not starting with '.'. */
gboolean msm_legacy_user_is_safe(const char *user);
/* MSM_ERROR_UNSAFE naming the user when it is not safe. */
gboolean msm_legacy_check_user(const char *user, GError **error);
/* Folder name (UTF-8, '/'-separated) -> relative directory path: each
 * component in modified UTF-7, with one '_' appended to a component that
 * is ".", "..", "00" or "tmp" followed by zero or more '_' (so those
 * never name a reserved entry). MSM_ERROR_UNSAFE for an empty component,
 * NUL-free but invalid UTF-8, a component over 255 bytes, or a name over
 * 1024 bytes. (transfer full) */
char *msm_legacy_folder_to_dir(const char *name, GError **error);
/* Inverse of one component: MSM_ERROR_UNSAFE when it does not decode. */
char *msm_legacy_dir_to_component(const char *component, GError **error);
/* Two-level hash directory of a user: "h1/h2", two decimal digits each
 * (docs/formats/store-nms4.md "Hash"). (transfer full) */
char *msm_legacy_user_hash(const char *user);

/* ---- message index lines ---- */

/* "UID FLAGS DATE SIZE [KEYWORD...]" + "\n" appended to out. FLAGS are the
 * letters SAFDTR of the set flags or "-". MSM_ERROR_UNSAFE for a keyword
 * with a space, control character or '\\'. */
gboolean msm_legacy_index_format(GString *out, const MsmMessage *msg, GError **error);
/* Parses one line (without "\n") into a new message without body.
 * what/lineno name the source. (transfer full) */
MsmMessage *msm_legacy_index_parse(const char *line, const char *what, guint lineno,
                                   GError **error);

/* ---- bodies ---- */

/* Streams body into path (created 0600, replaced atomically through a
 * temporary name, fsync'd); *size_r gets the byte count (may be NULL);
 * *sha_r gets the hex SHA-256 (may be NULL). */
gboolean msm_legacy_body_to_file(MsmBody *body, const char *path, gint64 *size_r, char **sha_r,
                                 GError **error);
/* mkdir -p of dir below root after checking rel (MSM_ERROR_UNSAFE) and that
 * no existing component is a symlink. Returns root/rel. (transfer full) */
char *msm_legacy_mkdir_under(const char *root, const char *rel, GError **error);
/* TRUE if path or any parent below root is a symbolic link. */
gboolean msm_legacy_has_symlink(const char *root, const char *rel);
/* rm -r of path (no symlinks followed). */
gboolean msm_legacy_remove_tree(const char *path, GError **error);

/* ---- a text file written line by line, then renamed into place ---- */

typedef struct MsmLegacyLineFile MsmLegacyLineFile;
/* Starts writing path (through "<path>.tmp", mode 0600). (transfer full) */
MsmLegacyLineFile *msm_legacy_line_file_new(const char *path, GError **error);
gboolean msm_legacy_line_file_add(MsmLegacyLineFile *f, const char *data, gsize len,
                                  GError **error);
/* fsync, rename to path; frees f whatever the result. */
gboolean msm_legacy_line_file_commit(MsmLegacyLineFile *f, GError **error);
/* Removes the temporary file and frees f (NULL allowed). */
void msm_legacy_line_file_abort(MsmLegacyLineFile *f);

/* ---- one folder's message directory (NMS models) ----
 * A message directory holds "<uid>.msg" body files and "store.idx", one
 * index line per message in UID order. */

/* Writes every message of it into folder_dir/msgdir (replacing what was
 * there: written into folder_dir/tmp, then swapped in). Refuses UIDs not
 * strictly increasing (MSM_ERROR_PARSE) and sizes that disagree with the
 * bytes streamed (MSM_ERROR_IO). counts may be NULL. */
gboolean msm_legacy_msgdir_write(const char *folder_dir, const char *msgdir, MsmMessageIter *it,
                                 guint64 *count_r, gint64 *bytes_r, GError **error);
/* An iterator over msgdir_path's messages (bodies read lazily from the
 * files, which must be regular files, not links). (transfer full) */
MsmMessageIter *msm_legacy_msgdir_iter(const char *msgdir_path, GError **error);

/* ---- the NMS 4.x model (core/codec-nms4-store.c) ---- */

/* TRUE if name is a valid partition name: 1 to 64 ASCII letters and digits. */
gboolean msm_core_nms4_partition_name_ok(const char *name);
/* data.db2 key "user/<owner>/<MUTF-7 folder>" -> owner and UTF-8 folder
 * (transfer full). MSM_ERROR_PARSE naming the key. */
gboolean msm_core_nms4_split_key(const char *key, char **owner_r, char **folder_r, GError **error);
/* The data.db2 record of f with state "TRANSITION" or "NON-TRANSITION"
 * (transfer full). MSM_ERROR_UNSAFE for an ACL with a tab or line break. */
gboolean msm_core_nms4_folder_record(const MsmFolder *f, const char *state, char **record_r,
                                     GError **error);

/* "=user/<h1>/<h2>/=<owner>[/<folder dirs>]": owner's folder directory
 * below its partition directory. MSM_ERROR_UNSAFE for unsafe names. */
char *msm_core_nms4_folder_relpath(const char *owner, const char *name, GError **error);
/* Directory of partition part of the NMS 4.x store at store (the path
 * store/partitions.conf gives, root-relative, else store/partition/<part>). */
char *msm_core_nms4_partition_dir(const char *root, const char *store, const char *part,
                                  GError **error);
/* Writes owner's quota.db2 record and store/user/<owner> subscriptions. */
gboolean msm_core_nms4_put_owner(const char *store, MsmLegacyDb *quota, const MsmOwner *o,
                                 GError **error);

/* ---- in-place reuse of an NMS 4.x store (store-nms4.md "In-place reuse") ----
 * The classic writer of a run that starts at nms-4.0 / nms-4.1 and asks for
 * in-place reuse points its partitions at the 4.x partition directories and
 * adopts the 4.x message files by hard link. */

/* The profile option of the store mode: group "store", key "nms4-reuse". */
#define MSM_NMS4_REUSE_GROUP "store"
#define MSM_NMS4_REUSE_KEY "nms4-reuse"
/* *in_place_r = TRUE when ctx's run starts at nms-4.0 or nms-4.1 and the profile
 * says nms4-reuse = in-place; FALSE for "copy" (the default), for an absent
 * option or another origin. FALSE + MSM_ERROR_INVALID_ARGUMENT (naming the value
 * and the choices) for any other value. */
gboolean msm_core_nms4_reuse_in_place(MsmCtx *ctx, gboolean *in_place_r, GError **error);
/* Directory of partition part of the NMS 4.x store at ctx's source root
 * (run_from's layout). (transfer full) */
char *msm_core_nms4_source_partition_dir(MsmCtx *ctx, const char *part, GError **error);
/* The partitions of ctx's NMS 4.x source: name -> absolute directory, from
 * store/partitions.conf and the directories store/partition/<name>.
 * (transfer full: g_hash_table_unref) */
GHashTable *msm_core_nms4_source_partitions(MsmCtx *ctx, GError **error);
/* In a partition shared by both stores: FALSE + MSM_ERROR_UNSAFE (naming the folder,
 * the directory and the fix: copy) when the classic directory of owner's folder
 * (classic_hash "h1/h2", classic_rel the folder's directory below the owner's,
 * "" for INBOX) would be, or lie in, a 4.x message directory ("00") or staging
 * directory ("tmp"): possible only when the two stores hash owner to the same
 * "h1/h2". */
gboolean msm_core_nms4_reuse_check_folder(const char *owner, const char *folder,
                                          const char *classic_hash, const char *classic_rel,
                                          const char *partition_dir, GError **error);
/* Read-only preflight of in-place reuse: every partition directory of ctx's NMS
 * 4.x source (store/partition/<name> and partitions.conf) exists, is a real
 * directory and lies on the file system of target_dir (or of its nearest existing
 * parent): hard links and the run's undo renames cannot cross file systems;
 * and the destination's (run_to's) partitions of the same names, where its
 * store_root/partitions.conf or the default place puts them, hold no users
 * elsewhere. FALSE + MSM_ERROR_PRECONDITION naming the partition, the places and
 * the fix (nms4-reuse = copy). *count_r = partitions checked (may be NULL). */
gboolean msm_core_nms4_reuse_preflight(MsmCtx *ctx, const char *target_dir, guint *count_r,
                                       GError **error);

#endif
