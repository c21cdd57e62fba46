/*
 * NAME
 *	pmdf.h - helpers of the PMDF-lineage MTA queue (SIMS 4.0, iMS 5.2, MS 6.0 - 8.1)
 * SUMMARY
 *	The first two characters of a queue file name count delivery attempts
 *	in "complemented base 36" over 0-9A-Z (domain-facts 3.5 [C]): ZZ = 0,
 *	ZY = 1, ZA = 25, Z0 = 35, YZ = 36, ... 00 = 1295. The codec itself is
 *	msm_core_pmdf_queue_codec() (builtin.h); docs/formats/queue-pmdf.md.
 */
#ifndef MSM_CORE_PMDF_H
#define MSM_CORE_PMDF_H

#include <glib.h>

/* The largest attempt count two characters can hold (36 * 36 - 1). */
#define MSM_PMDF_ATTEMPTS_MAX 1295u

/* Writes the two-character prefix of n attempts and a NUL into out.
 * FALSE (out untouched) when n > MSM_PMDF_ATTEMPTS_MAX. */
gboolean msm_pmdf_attempts_encode(guint n, char out[3]);
/* Decodes the first two characters of name (upper-case 0-9A-Z only) into
 * *n_r. FALSE when name is shorter or they are not digits of base 36. */
gboolean msm_pmdf_attempts_decode(const char *name, guint *n_r);

#endif
