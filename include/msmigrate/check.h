/*
 * NAME
 *	check.h - precondition checks the host provides to hop plugins
 * SUMMARY
 *	Each function has the MsmCheckFunc signature and can be pointed to from
 *	an MsmPrecondition. They read the source or target deployment through
 *	its layout (layout.h) and change nothing. *detail_r (transfer full)
 *	says what was found.
 */
#ifndef MSMIGRATE_CHECK_H
#define MSMIGRATE_CHECK_H

#include <msmigrate/plugin.h>

G_BEGIN_DECLS

/* The source's MTA queue holds no message (temporary "$" files ignored); the
 * detail counts messages per channel, like `imsimta qm counters`. */
MsmCheckResult msm_check_queues_empty(MsmCtx *ctx, char **detail_r, GError **error);
/* No service of the source is running (pid files of layout.md name live processes). */
MsmCheckResult msm_check_source_stopped(MsmCtx *ctx, char **detail_r, GError **error);
/* No service of the target is running. */
MsmCheckResult msm_check_target_stopped(MsmCtx *ctx, char **detail_r, GError **error);
/* The hop's target version is already installed at the target root (its layout
 * detects as that version's family). */
MsmCheckResult msm_check_target_installed(MsmCtx *ctx, char **detail_r, GError **error);
/* The source has one instance, or the user chose one with --instance. */
MsmCheckResult msm_check_single_instance(MsmCtx *ctx, char **detail_r, GError **error);
/* The target's history does not already record this hop (running it twice would
 * overwrite the configuration merged the first time). */
MsmCheckResult msm_check_not_applied(MsmCtx *ctx, char **detail_r, GError **error);
/* The target root is a different directory from the source root. */
MsmCheckResult msm_check_separate_target(MsmCtx *ctx, char **detail_r, GError **error);

/* The layouts of the run's source and target (transfer none). The source layout
 * is resolved for the run's origin version, the target's for the hop's
 * destination. */
struct MsmLayout;
const struct MsmLayout *msm_ctx_source_layout(const MsmCtx *ctx);
const struct MsmLayout *msm_ctx_target_layout(const MsmCtx *ctx);

G_END_DECLS

#endif
