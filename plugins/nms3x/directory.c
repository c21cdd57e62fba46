/*
 * NAME
 *	directory.c - the directory migrator of plugin nms3x (imsdirmig -M nms)
 * SUMMARY
 *	Maps each directory entry in place with the imsdirmig -M nms rules of
 *	docs/formats/directory-mapping.md and the site profile's [directory]
 *	options (core/dirhop.h, docs/formats/directory-run.md). The host keeps
 *	the entry as read and writes one modify per entry after the whole chain.
 * OWNERSHIP
 *	Static const data (transfer none).
 */
#include "config.h"

#include "dirhop.h"
#include "nms3x.h"

static MsmResult
nms3x_directory_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    return msm_dirhop_transform(ctx, item, MSM_DIRMIG_FROM_NMS, error);
}

const MsmDirectoryMigrator nms3x_directory = {
    .iface_version = MSM_DIRECTORY_IFACE_VERSION,
    .struct_size = sizeof(MsmDirectoryMigrator),
    .transform = nms3x_directory_transform,
};
