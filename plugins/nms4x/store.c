/*
 * NAME
 *	store.c - nms4x's store migrator (nms-4.x -> ims-5.2): copy or in-place reuse
 * SUMMARY
 *	Seed 003 reuses the NMS 4.x store in place: the 5.2 partitions point at
 *	the 4.x partition directories, data.db2 becomes folder.db, quota.db2
 *	quota.db, the subscriptions are carried, then `reconstruct -q`
 *	recomputes the quota usage. msmigrate offers both ways, chosen by the
 *	site profile's [store] nms4-reuse (or `run --store-reuse`):
 *	- copy (the default: a source is never modified unless asked, DESIGN
 *	  §7): the nms4-store codec reads, the classic codec writes a complete
 *	  5.2 store below the target;
 *	- in-place: the classic writer points its partitions at the 4.x ones
 *	  (store_root/partitions.conf) and adopts each 4.x message file by hard
 *	  link (no byte copied, the 4.x files untouched): core/codec-classic-store.c
 *	  adopt_setup / adopt_body, docs/formats/store-nms4.md "In-place reuse".
 *	Both write folder.db, quota.db and subscr.db in the target's mboxlist and
 *	recompute each owner's used bytes (the writer's reconstruct -q).
 *	This migrator's preflight validates the option and, for in-place, that
 *	every 4.x partition is a real directory on the target's file system (hard
 *	links and the undo renames cannot cross file systems: EXDEV -> "use copy").
 *	Each folder then passes unchanged after the destination's name check
 *	(plugins/common/storeconv.c).
 * OWNERSHIP
 *	Static (transfer none).
 * ERRORS
 *	preflight: MSM_ERROR_PRECONDITION naming the option value or the partition,
 *	the file systems and the fix (nms4-reuse = copy).
 */
#include "config.h"

#include "legacy-store.h"
#include "nms4x.h"
#include "storeconv.h"

static gboolean
nms4x_store_preflight(MsmCtx *ctx, GError **error)
{
    gboolean in_place = FALSE;
    GError *err = NULL;
    if (!msm_core_nms4_reuse_in_place(ctx, &in_place, &err)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION, "%s", err->message);
        g_error_free(err);
        return FALSE;
    }
    if (!in_place) {
        msm_ctx_log(ctx, MSM_LOG_DEBUG,
                    "store: the NMS 4.x store is copied into the target (nms4-reuse = copy)");
        return TRUE;
    }
    guint n = 0;
    if (!msm_core_nms4_reuse_preflight(ctx, msm_ctx_target_root(ctx), &n, error))
        return FALSE;
    msm_ctx_log(ctx, MSM_LOG_INFO,
                "store: in-place reuse of %u NMS 4.x partition(s) of %s: message files are "
                "hard-linked, the 4.x store is left as it is",
                n, msm_ctx_source_root(ctx));
    return TRUE;
}

static MsmResult
nms4x_store_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    return hc_store_convert.transform(ctx, item, error);
}

const MsmStoreMigrator nms4x_store = {
    .iface_version = MSM_STORE_IFACE_VERSION,
    .struct_size = sizeof(MsmStoreMigrator),
    .preflight = nms4x_store_preflight,
    .transform = nms4x_store_transform,
};
