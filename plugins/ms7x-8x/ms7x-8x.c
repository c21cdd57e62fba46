/*
 * NAME
 *	ms7x-8x.c - the ms7x-8x adapter: MS 6.3 -> 7.0 -> 7 Update 5, 7.x / 8.0.x -> 8.1
 * SUMMARY
 *	The descriptor and hop table of plugin ms7x-8x (DESIGN §3), with the
 *	preconditions of seed 004. The configuration migrators are in config.c
 *	(legacy configuration merges; docs/config-hops.md#ms7x-8x); the store
 *	step of each hop is the conversion plugins/common/storeconv.h declares.
 * OWNERSHIP
 *	Everything here is static const data (transfer none).
 */
#include "config.h"

#include "../common/preconditions.h"
#include "ms7x-8x.h"
#include "storeconv.h"

/* The store step of every hop is a conversion between classic store generations
 * (docs/formats/store-classic.md) that the codecs of the two versions do. */
#define STORE_CONVERT .store = &hc_store_convert
#define TO81(f, cfg, sum)                                                                          \
    {                                                                                              \
        .from = f, .to = "ms-8.1", .flags = MSM_HOP_IN_PLACE, .preconditions = pre_7x,             \
        .summary = sum, .reversible_note = "no back-out once on 7.0.5 or later (facts 0)",         \
        .config = &cfg, STORE_CONVERT                                                               \
    }

static const MsmHop ms7x_8x_hops[] = {
    {.from = "ms-6.3",
     .to = "ms-7.0",
     .flags = MSM_HOP_IN_PLACE,
     .preconditions = pre_7x,
     .summary = "MS 6.3 to 7.0 (commpkg upgrade; msg_svr_base moves to /opt/sun/comms/messaging64)",
     .config = &ms7x_8x_config_63_70,
     STORE_CONVERT},
    {.from = "ms-7.0",
     .to = "ms-7.0.5",
     .flags = MSM_HOP_IN_PLACE,
     .preconditions = pre_7x,
     .summary = "MS 7.0 to 7 Update 5 (legacy configuration kept; configtoxml is optional)",
     .reversible_note = "no back-out once on 7.0.5 (database incompatibilities, facts 0)",
     .config = &ms7x_8x_config_70_705,
     STORE_CONVERT},
    TO81("ms-7.0", ms7x_8x_config_70_81, "MS 7.x to 8.1 (seed 004)"),
    TO81("ms-7.0.5", ms7x_8x_config_705_81, "MS 7.x to 8.1 (seed 004)"),
    TO81("ms-8.0", ms7x_8x_config_80_81, "MS 8.0 to 8.1 (seed 004)"),
    TO81("ms-8.0.1", ms7x_8x_config_801_81, "MS 8.0.1 to 8.1 (seed 004)"),
    TO81("ms-8.0.2", ms7x_8x_config_802_81, "MS 8.0.2 to 8.1 (seed 004)"),
    {.from = NULL},
};

MSM_PLUGIN_DEFINE(ms7x_8x, .name = "ms7x-8x",
                  .description = "Messaging Server 6.3 -> 7.0 -> 7u5, 7.x / 8.0.x -> 8.1",
                  .version = PACKAGE_VERSION, .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-ms7x-8x", .origin = "msmigrate",
                  .hops = ms7x_8x_hops);
