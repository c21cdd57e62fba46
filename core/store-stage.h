/*
 * NAME
 *	store-stage.h - a store written beside the live one when a run upgrades
 *	a deployment in place
 * SUMMARY
 *	When a run's source and target are the same deployment and the origin's
 *	store directory is the destination's (ms-6.3 -> ms-7.0 -> ms-8.1 in
 *	place, seed 004), the destination's writer cannot write over the files
 *	the origin's reader is still reading. The engine then writes the new
 *	store into a stage inside the live store directory
 *	(<store>/.msmigrate-stage-<run id>/, a deployment root of its own),
 *	verifies it there, and only then swaps it in, entry by entry, by rename
 *	within the store's file system; the live entries it replaces go to
 *	<store>/.msmigrate-old-<run id>/ and stay there (the previous version's
 *	store, complete) until the administrator removes them. Every step can
 *	be repeated, so a run killed during the swap finishes it on --resume,
 *	and a rollback swaps back. Format: docs/formats/store-stage.md.
 * OWNERSHIP
 *	Returned strings are (transfer full). The functions keep no state: the
 *	journal's meta key "store_stage" records where a run is.
 * ERRORS
 *	FALSE with *error set (MSM_ERROR_IO naming the path and the fix).
 */
#ifndef MSM_CORE_STORE_STAGE_H
#define MSM_CORE_STORE_STAGE_H

#include <msmigrate/msmigrate.h>

#include "journal.h"

/* Decides whether a store run from `from` to `to` over ctx's source and target needs a
 * stage, and sets ctx->store_stage_root (the stage's deployment root) or
 * ctx->store_stage_swapped (a resumed run whose stage is already in place) accordingly.
 * The journal's meta "store_stage" is "staged" once a stage is chosen, "swapped" after
 * the swap, "rolled-back" after a rollback. TRUE when nothing is needed. */
gboolean msm_store_stage_prepare(MsmCtx *ctx, const char *from, const char *to,
                                 MsmJournal *journal, GError **error);

/* For `msmigrate verify` of a run whose stage is not swapped in yet: sets
 * ctx->store_stage_root so the store is verified where the run wrote it. */
gboolean msm_store_stage_attach(MsmCtx *ctx, const char *to, MsmJournal *journal,
                                GError **error);

/* Swaps the verified stage in (idempotent). *kept_r: the directory now holding the
 * replaced entries (transfer full). */
gboolean msm_store_stage_swap(MsmCtx *ctx, const char *to, MsmJournal *journal,
                              char **kept_r, GError **error);

/* Whether the run recorded in journal staged its store (any state, "rolled-back"
 * included): such a run's store is undone by msm_store_stage_rollback() only, never by
 * its codec's rollback, whose undo records name the stage. */
gboolean msm_store_stage_used(MsmJournal *journal);

/* Undoes a staged run's store: swaps the kept entries back (when swapped) and removes
 * the stage (idempotent). */
gboolean msm_store_stage_rollback(MsmCtx *ctx, const char *target_root, const char *to,
                                  MsmJournal *journal, GError **error);

#endif
