/*
 * NAME
 *	store-manifest.h - the rollback manifest and records of the modelled
 *	legacy store writers (sims-store, nms3-store)
 * SUMMARY
 *	A store writer in a run notes what it creates, one path a line, in a
 *	manifest file of the run's work directory ("sims-store.manifest",
 *	"nms3-store.manifest"); its rollback walks that manifest, undoes each
 *	line below the target root and removes the manifest. The line format
 *	is each codec's (docs/formats/store-sims.md, store-nms3.md). Also the
 *	record helpers both codecs share over legacy-store.h.
 * OWNERSHIP
 *	Nothing returned is owned by the caller except where (transfer full)
 *	is written; strings passed in stay the caller's.
 * ERRORS
 *	msm_store_manifest_note() is best effort, as the writers always were:
 *	a manifest that cannot be appended to is not an error of the put.
 *	msm_store_manifest_rollback() returns the first error of the undo
 *	function (and then keeps the manifest); a missing manifest is no error.
 *	msm_store_record_write() sets MSM_ERROR_IO naming the file.
 */
#ifndef MSM_CORE_STORE_MANIFEST_H
#define MSM_CORE_STORE_MANIFEST_H

#include <msmigrate/msmigrate.h>

#include "legacy-store.h"

G_BEGIN_DECLS

/* Appends the formatted text (the caller ends it with '\n') to the manifest
 * at path. */
void msm_store_manifest_note(const char *path, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* Undoes one manifest line (a path below the target root). */
typedef gboolean (*MsmStoreUndoFunc)(const char *line, GError **error);

/* codec.h rollback over <work dir of ctx>/name: undo is called for each
 * non-empty line that names a path strictly below root (root, '/', then a relative
 * path without ".."; other lines are ignored), in order, until one fails; the
 * manifest is removed when all succeeded. TRUE outside a run. */
gboolean msm_store_manifest_rollback(MsmCtx *ctx, const char *name, const char *root,
                                     MsmStoreUndoFunc undo, GError **error);

/* Writes record r to path atomically (mode 0600). */
gboolean msm_store_record_write(const char *path, MsmLegacyRecord *r, GError **error);

/* Adds the non-empty lines of a multi-line record value ("a\nb"; v may be
 * NULL) to out as (transfer full) strings. */
void msm_store_record_lines(const char *v, GPtrArray *out);

G_END_DECLS

#endif
