/*
 * NAME
 *	dirhop.h - the directory transform of a hop, for adapter plugins
 * SUMMARY
 *	msm_dirhop_transform() is the body of a hop's MsmDirectoryMigrator
 *	transform: it maps one MsmEntry in place with msm_dirmap_entry()
 *	(imsdirmig semantics, -M sims or -M nms) and the options of the site
 *	profile's [directory] group (docs/formats/directory-run.md "Profile
 *	keys"): mailhost, attributes (-A), add_values (-P), only_attributes
 *	(-O), filter (-F), what (-m). An entry the mapping leaves out (not of a
 *	selected kind, outside the filter, a container such as ou=People) passes
 *	unchanged, so the migrated directory stays complete, as the offline
 *	mapping writes it (msm_dirmig_offline).
 * OWNERSHIP
 *	The item stays the caller's; ctx is borrowed.
 * ERRORS
 *	MSM_RESULT_ERROR with MSM_ERROR_INVALID_ARGUMENT naming the entry's DN
 *	(from msm_dirmap_entry) or the bad profile key and its fix.
 */
#ifndef MSM_CORE_DIRHOP_H
#define MSM_CORE_DIRHOP_H

#include <msmigrate/msmigrate.h>

#include "dirmap.h"

/* Fills opt (zeroed by the caller, cleared with msm_dirmig_options_clear) for
 * source schema from with the [directory] keys of ctx's profile. FALSE +
 * MSM_ERROR_INVALID_ARGUMENT naming the key. */
gboolean msm_dirhop_options(MsmCtx *ctx, MsmDirmigFrom from, MsmDirmigOptions *opt,
                            GError **error);

/* Maps item (an MSM_KIND_DIRECTORY item carrying an MsmEntry) in place. */
MsmResult msm_dirhop_transform(MsmCtx *ctx, MsmItem *item, MsmDirmigFrom from, GError **error);

#endif
