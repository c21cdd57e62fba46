/*
 * NAME
 *	nms3x.c - the nms3x adapter: Netscape Messaging Server 3.x -> 4.1
 * SUMMARY
 *	The descriptor and hop table of plugin nms3x (DESIGN §3): nms-3.x ->
 *	nms-4.1 (seed 002: upgrade -s, -m, qconvert), with the seeds'
 *	preconditions. The configuration migrator is in config.c; the directory
 *	(imsdirmig -M nms) in directory.c (docs/formats/directory-run.md).
 * OWNERSHIP
 *	Everything here is static const data (transfer none).
 */
#include "config.h"

#include "../common/preconditions.h"
#include "nms3x.h"
#include "codec-nms3-store.h"
#include "queue-rename.h"
#include "upgrade.h"

const MsmCodec *nms3x_queue_codec(void);

static const MsmHop nms3x_hops[] = {
    {.from = "nms-3.x",
     .to = "nms-4.1",
     .flags = MSM_HOP_TARGET_FIRST,
     .preconditions = pre_nms,
     .summary = "NMS 3.x to 4.1 (seed 002: upgrade -s, -m, qconvert)",
     .config = &nms3x_config_3x_41,
     .store = &nms3x_store_3x_41,
     .queue = &msm_queue_channel_migrator,
     .directory = &nms3x_directory},
    {.from = NULL},
};

/* The NMS 3.x store and queue: only this plugin's hop starts from them (DESIGN
 * §5). The codecs are returned by functions, so init() fills the array. */
static const MsmCodec *nms3x_codecs[3];

static gboolean
nms3x_init(GError **error)
{
    (void)error;
    nms3x_codecs[0] = nms3x_store_codec();
    nms3x_codecs[1] = nms3x_queue_codec();
    nms3x_codecs[2] = NULL;
    return TRUE;
}

MSM_PLUGIN_DEFINE(nms3x, .name = "nms3x", .description = "Netscape Messaging Server 3.x -> 4.1",
                  .version = PACKAGE_VERSION, .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-nms3x", .origin = "msmigrate", .hops = nms3x_hops,
                  .codecs = nms3x_codecs, .init = nms3x_init);
