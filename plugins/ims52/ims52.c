/*
 * NAME
 *	ims52.c - the ims52 adapter: iPlanet Messaging Server 5.2 -> Messaging Server 6.0
 * SUMMARY
 *	The descriptor and hop table of plugin ims52 (DESIGN §3): one hop,
 *	ims-5.2 -> ms-6.0, the UpgradeMsg5toMsg6.pl / do_the_upgrade.sh
 *	procedure of seed 000, with its preconditions. The configuration
 *	migrator is in config.c (docs/config-hops.md#ims52); the store, queue
 *	and directory steps of the procedure are declared pending until their
 *	migrators are wired (plugins/README.md).
 * OWNERSHIP
 *	Everything here is static const data (transfer none).
 */
#include "config.h"

#include "../common/preconditions.h"
#include "ims52.h"
#include "storeconv.h"

static const MsmHop ims52_hops[] = {
    {.from = "ims-5.2",
     .to = "ms-6.0",
     .flags = MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST,
     .summary = "iMS 5.2 to MS 6.0 (seed 000: UpgradeMsg5toMsg6.pl, do_the_upgrade.sh)",
     .reversible_note = "the 5.2 deployment is left as it was on its own host",
     .preconditions = pre_52,
     .config = &ims52_config_52_60,
     /* make_mboxlistdb_changes.sh: the mboxlist databases move to the 6.0 place;
      * the codecs of the two versions do it. Queues: same format on both sides,
      * drained on the 5.2 host (seed 000 does not move them); directory: nothing. */
     .store = &hc_store_convert},
    {.from = NULL},
};

MSM_PLUGIN_DEFINE(ims52, .name = "ims52",
                  .description = "iPlanet Messaging Server 5.2 -> Sun ONE Messaging Server 6.0",
                  .version = PACKAGE_VERSION, .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-ims52", .origin = "msmigrate", .hops = ims52_hops);
