/*
 * NAME
 *	digest.h - canonical SHA-256 of an item, computed while it streams
 * SUMMARY
 *	msm_digest_attach() hashes an item's metadata and wraps its streams
 *	(message bodies, the folder's message iterator) so that whoever reads
 *	them - a writer, or msm_digest_drain() - feeds the hash. The same
 *	function over the item as written and the item as read back gives the
 *	same digest when nothing was lost: that is what verify compares.
 *	What goes into the digest of each kind: docs/formats/digest.md.
 */
#ifndef MSM_CORE_DIGEST_H
#define MSM_CORE_DIGEST_H

#include <msmigrate/msmigrate.h>

typedef struct MsmDigestTee MsmDigestTee;

/* Starts the digest of item and wraps its streams in place. (transfer full) */
MsmDigestTee *msm_digest_attach(MsmItem *item);
/* Reads every stream of the attached item to its end (for verify and dry runs). */
gboolean msm_digest_drain(MsmDigestTee *tee, MsmItem *item, GError **error);
/* Ends the digest: hex SHA-256 (transfer full); *bytes_r = body bytes seen (may be
 * NULL). Frees tee. Call only after the streams were consumed or the item freed. */
char *msm_digest_finish(MsmDigestTee *tee, guint64 *bytes_r);

#endif
