/*
 * NAME
 *	error.h - msmigrate error domain and codes
 * SUMMARY
 *	Every public function that can fail takes a trailing `GError **error`
 *	(may be NULL), returns FALSE / NULL / -1 on failure and then sets
 *	*error in MSM_ERROR (or a GLib domain such as G_FILE_ERROR when the
 *	failure came straight from the OS). The caller owns the GError and
 *	frees it with g_error_free() / g_clear_error().
 *	A function never sets *error when it succeeds.
 */
#ifndef MSMIGRATE_ERROR_H
#define MSMIGRATE_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define MSM_ERROR (msm_error_quark())

/* Error codes of the MSM_ERROR domain. Values are stable ABI: only append. */
typedef enum {
    MSM_ERROR_FAILED = 1,       /* anything not covered below */
    MSM_ERROR_INVALID_ARGUMENT, /* a caller passed something malformed */
    MSM_ERROR_PARSE,            /* malformed input file: message names file and line */
    MSM_ERROR_IO,               /* read/write failed; message names the path */
    MSM_ERROR_NOT_FOUND,        /* a named thing (file, plugin, version, run) is absent */
    MSM_ERROR_PLUGIN,           /* plugin could not be loaded or is broken */
    MSM_ERROR_ABI,              /* plugin built for another ABI / interface version */
    MSM_ERROR_NO_PATH,          /* planner found no chain of hops */
    MSM_ERROR_UNSUPPORTED,      /* the vendor does not support this origin/hop */
    MSM_ERROR_PRECONDITION,     /* preflight refused: exit code 3 */
    MSM_ERROR_LOCKED,           /* another run holds the deployment lock */
    MSM_ERROR_JOURNAL,          /* journal database error */
    MSM_ERROR_AMBIGUOUS,        /* detection or an alias matched several versions */
    MSM_ERROR_UNSAFE,           /* a name or path would escape the target root */
    MSM_ERROR_CANCELLED,        /* the run was interrupted */
    MSM_ERROR_VERIFY,           /* verification found differences */
    MSM_ERROR_NO_SPACE,         /* the file system is full (ENOSPC, EDQUOT): a run stops
                                   there, resumable once there is room */
} MsmErrorCode;

/* The quark of the MSM_ERROR domain. */
GQuark msm_error_quark(void);

/* Process exit codes of the msmigrate CLI (DESIGN §7). */
typedef enum {
    MSM_EXIT_OK = 0,      /* done */
    MSM_EXIT_FAILED = 1,  /* failed */
    MSM_EXIT_SKIPPED = 2, /* done with skipped items (rerun), or verify found differences */
    MSM_EXIT_REFUSED = 3, /* refused by preflight: nothing was changed */
} MsmExitCode;

G_END_DECLS

#endif
