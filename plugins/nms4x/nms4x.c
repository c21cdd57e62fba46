/*
 * NAME
 *	nms4x.c - the nms4x adapter: NMS 4.0 -> 4.1, NMS 4.x -> iPlanet Messaging Server 5.2
 * SUMMARY
 *	The descriptor and hop table of plugin nms4x (DESIGN §3): nms-4.0 ->
 *	nms-4.1 (configuration only: mailboxes and queues need no migration)
 *	and nms-4.0, nms-4.1 -> ims-5.2 (seed 003), with the seeds'
 *	preconditions. The configuration migrators are in config.c; the
 *	directory to 5.2 (imsdirmig -M nms) in directory.c
 *	(docs/formats/directory-run.md).
 * OWNERSHIP
 *	Everything here is static const data (transfer none).
 */
#include "config.h"

#include "../common/preconditions.h"
#include "nms4x.h"
#include "queue-rename.h"
#include "storeconv.h"

/* The store is copied into the 5.2 classic store (the nms4-store codec reads it, the
 * classic codec writes it), or reused in place when the profile asks for it
 * ([store] nms4-reuse = in-place: store.c); the directory is mapped by imsdirmig -M nms
 * (directory.c). */
static const MsmHop nms4x_hops[] = {
    {.from = "nms-4.0",
     .to = "nms-4.1",
     .flags = MSM_HOP_IN_PLACE,
     .preconditions = pre_6x,
     .summary = "NMS 4.0 to 4.1 (configuration only)",
     .config = &nms4x_config_40_41},
    {.from = "nms-4.0",
     .to = "ims-5.2",
     .flags = MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST,
     .preconditions = pre_nms,
     .summary = "NMS 4.x to iMS 5.2 (seed 003)",
     .config = &nms4x_config_40_52,
     .store = &nms4x_store,
     .queue = &msm_queue_channel_migrator,
     .directory = &nms4x_directory},
    {.from = "nms-4.1",
     .to = "ims-5.2",
     .flags = MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST,
     .preconditions = pre_nms,
     .summary = "NMS 4.x to iMS 5.2 (seed 003)",
     .config = &nms4x_config_41_52,
     .store = &nms4x_store,
     .queue = &msm_queue_channel_migrator,
     .directory = &nms4x_directory},
    {.from = NULL},
};

MSM_PLUGIN_DEFINE(nms4x, .name = "nms4x",
                  .description = "Netscape Messaging Server 4.0 -> 4.1, 4.x -> iMS 5.2",
                  .version = PACKAGE_VERSION, .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-nms4x", .origin = "msmigrate", .hops = nms4x_hops);
