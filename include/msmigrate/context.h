/*
 * NAME
 *	context.h - what a plugin sees of the run it is part of
 * SUMMARY
 *	The host passes an MsmCtx to every codec, migrator, precondition and
 *	guard callback. It is owned by the host and valid only during the call
 *	(do not keep it). All strings returned are (transfer none) and live as
 *	long as the context unless said otherwise.
 */
#ifndef MSMIGRATE_CONTEXT_H
#define MSMIGRATE_CONTEXT_H

#include <glib.h>
#include <msmigrate/types.h>
#include <msmigrate/ir.h>

G_BEGIN_DECLS

typedef struct MsmCtx MsmCtx;

typedef enum {
    MSM_LOG_DEBUG = 0,
    MSM_LOG_INFO = 1,
    MSM_LOG_WARNING = 2,
    MSM_LOG_ERROR = 3,
} MsmLogLevel;

/* Run id ("20261124T051200-3f2a"), or "" outside a run (plan, detect). */
const char *msm_ctx_run_id(const MsmCtx *ctx);
/* Root of the source deployment (read-only unless the user asked otherwise). */
const char *msm_ctx_source_root(const MsmCtx *ctx);
/* Root of the target deployment: everything a run writes goes below it or below
 * the run's work directory. */
const char *msm_ctx_target_root(const MsmCtx *ctx);
/* The run's work directory (journal, logs, artifacts). */
const char *msm_ctx_work_dir(const MsmCtx *ctx);
/* Canonical ids of the whole run's origin and destination. */
const char *msm_ctx_run_from(const MsmCtx *ctx);
const char *msm_ctx_run_to(const MsmCtx *ctx);
/* Canonical ids of the hop being run (equal to run from/to outside a hop). */
const char *msm_ctx_hop_from(const MsmCtx *ctx);
const char *msm_ctx_hop_to(const MsmCtx *ctx);
/* Instance chosen when a server root holds several (msg-<instance>), or NULL. */
const char *msm_ctx_instance(const MsmCtx *ctx);
/* TRUE under --dry-run: read and transform, write nothing outside the work dir. */
gboolean msm_ctx_dry_run(const MsmCtx *ctx);
/* A value from the site profile (GKeyFile group/key), or NULL. Never a password. */
const char *msm_ctx_option(const MsmCtx *ctx, const char *group, const char *key);
/* The secret named by the profile (for example the directory bind password), read
 * from a file, the environment or a prompt. (transfer full: wipe and g_free it) */
char *msm_ctx_secret(MsmCtx *ctx, const char *name, GError **error);
/* Path of an artifact in the run's artifact directory (MERGED/CHANGES files, audit
 * and undo LDIF, reject files). relname must be relative without "..".
 * Creates the parent directories. (transfer full) */
char *msm_ctx_artifact_path(MsmCtx *ctx, const char *relname, GError **error);
/* Logs to the run log (and the terminal at INFO and above). Never log a secret. */
void msm_ctx_log(MsmCtx *ctx, MsmLogLevel level, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
/* Records an event in the run's journal (shown by `msmigrate status` and kept with
 * the run), e.g. what a guard did: "snapshot tank/store@msmigrate-...". Does
 * nothing outside a run. Never put a secret in it. */
void msm_ctx_journal_event(MsmCtx *ctx, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
/* In a migrator's finish callback: adds a new item that did not exist in the
 * source (a file only the new version has). The item goes through the remaining
 * hops of the chain and is journalled like any other. Takes ownership of item. */
void msm_ctx_emit(MsmCtx *ctx, MsmItem *item);
/* Per-plugin pointer set by the plugin itself (for example in preflight). */
gpointer msm_ctx_get_plugin_data(const MsmCtx *ctx);
void msm_ctx_set_plugin_data(MsmCtx *ctx, gpointer data);

G_END_DECLS

#endif
