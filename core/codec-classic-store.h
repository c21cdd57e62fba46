/*
 * NAME
 *	codec-classic-store.h - helpers of the classic store codec (internal)
 * SUMMARY
 *	The codec itself is msm_core_classic_store_codec() in builtin.h. These
 *	helpers expose the naming rules of docs/formats/store-classic.md to
 *	the unit tests and to other core modules that need to find a user's
 *	directory (for example a Maildir export that reuses the store paths).
 * OWNERSHIP
 *	Returned strings are (transfer full): g_free() them.
 * ERRORS
 *	msm_classic_store_folder_relpath(): MSM_ERROR_UNSAFE naming the folder
 *	and the rule it breaks (empty, not UTF-8, an empty, "." or ".."
 *	component, a component longer than 255 bytes once encoded, a name
 *	longer than 1024 bytes).
 */
#ifndef MSM_CORE_CODEC_CLASSIC_STORE_H
#define MSM_CORE_CODEC_CLASSIC_STORE_H

#include <msmigrate/msmigrate.h>

/* The store generation a canonical version writes: 1 (ims-5.2 .. ms-7.0),
 * 2 (ms-7.0.5, ms-8.0), 3 (ms-8.0.1 .. ms-8.1), or 0 for other versions. */
int msm_classic_store_generation(const char *version);

/* The two-level hash directory "h1/h2" of a user id (FNV-1a, see the format
 * page). (transfer full) */
char *msm_classic_store_hash_dir(const char *user);

/* The directory of folder name relative to the user's directory: "" for
 * INBOX, else each component in modified UTF-7 with '%' and '.' escaped.
 * (transfer full) or NULL with MSM_ERROR_UNSAFE. */
char *msm_classic_store_folder_relpath(const char *name, GError **error);

#endif
