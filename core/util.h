/*
 * NAME
 *	util.h - small helpers shared by core modules
 * OWNERSHIP
 *	Returned strings are (transfer full).
 */
#ifndef MSM_CORE_UTIL_H
#define MSM_CORE_UTIL_H

#include <msmigrate/msmigrate.h>

/* Absolute path with the symbolic links of its existing part resolved; a missing tail
 * is appended as given. */
char *msm_canonical_path(const char *path);
/* list joined with ',' ("" for NULL). */
char *msm_list_join(const char *const *list);
/* s split at ',' (an empty vector for NULL or ""). (transfer full: g_strfreev) */
char **msm_list_split(const char *s);

/* MSM_ERROR_NO_SPACE for ENOSPC and EDQUOT, else MSM_ERROR_IO: the code of an error
 * made from errnum when writing. */
int msm_io_error_code(int errnum);

/* *mask_r = bit mask (1 << MsmKind) of the comma-separated kind names in list (spaces
 * around names and empty names ignored; NULL or "" gives 0). FALSE when a name is not a
 * kind (the others are still in *mask_r). */
gboolean msm_kind_mask_parse(const char *list, guint *mask_r);
/* The kinds of mask, comma-separated, in MsmKind order ("" for none). */
char *msm_kind_mask_text(guint mask);

/* mkdir -p with mode 0755 (0700 when private); MSM_ERROR_IO naming the path. */
gboolean msm_mkdir_p(const char *path, gboolean private_dir, GError **error);
/* Writes data to path atomically: temporary file in the same directory, fsync,
 * rename, fsync of the directory. mode applies to the new file. */
gboolean msm_write_file_atomic(const char *path, const void *data, gsize len, guint mode,
                               GError **error);
/* Hex SHA-256 of data. */
char *msm_sha256_hex(const void *data, gsize len);
/* A new run id: "YYYYMMDDThhmmssZ-xxxxxx" (UTC time and 6 random hex digits). */
char *msm_new_run_id(void);
/* TRUE if rel is a safe relative path: not empty, not absolute, no "." or ".."
 * component, no NUL, no empty component, no backslash. */
gboolean msm_relpath_is_safe(const char *rel);
/* root/rel after checking rel with msm_relpath_is_safe (MSM_ERROR_UNSAFE if not). */
char *msm_path_under(const char *root, const char *rel, GError **error);
/* g_file_test(path, G_FILE_TEST_IS_DIR) without following a final symlink. */
gboolean msm_is_real_dir(const char *path);
/* GCompareFunc for g_ptr_array_sort over char* elements: bytewise order. */
gint msm_strcmp_ptr(gconstpointer a, gconstpointer b);
/* TRUE if path is a directory (links followed: a product path may be a link). */
gboolean msm_dir_exists(const char *path);
/* TRUE if dir/rel is a directory (links followed). */
gboolean msm_has_dir(const char *dir, const char *rel);
/* TRUE if dir/rel exists. */
gboolean msm_has_path(const char *dir, const char *rel);
/* TRUE when running privileged (euid 0 or set-uid/set-gid): environment paths are ignored. */
gboolean msm_is_privileged(void);
/* Human durations and rates for progress: "1m06s", "12.3/s". */
char *msm_format_duration(double seconds);

#endif
