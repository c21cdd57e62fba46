/*
 * NAME
 *	ms60.c - the ms60 adapter: Messaging Server 6.0 and 6.1 -> 6.3
 * SUMMARY
 *	The descriptor and hop table of plugin ms60 (DESIGN §3): ms-6.0 ->
 *	ms-6.3 and ms-6.1 -> ms-6.3, the patch / patch-config /
 *	install-newconfig procedure of seed 001 with its preconditions. The
 *	configuration migrators are in config.c; the directory step applies
 *	the ugdir_diff.ldif the configuration step writes (plugins/common/ugdir.h).
 * OWNERSHIP
 *	Everything here is static const data (transfer none).
 */
#include "config.h"

#include "../common/preconditions.h"
#include "ms60.h"
#include "ugdir.h"

static const MsmHop ms60_hops[] = {
    {.from = "ms-6.0",
     .to = "ms-6.3",
     .flags = MSM_HOP_IN_PLACE,
     .preconditions = pre_6x,
     .summary = "MS 6.0 to 6.3 by patch (seed 001: patch-config, install-newconfig)",
     .reversible_note = "uninstall-newconfig restores the 6.0 configuration (seed 001)",
     .config = &ms60_config_60_63,
     .directory = &hc_directory_ugdir},
    {.from = "ms-6.1",
     .to = "ms-6.3",
     .flags = MSM_HOP_IN_PLACE | MSM_HOP_IRREVERSIBLE,
     .preconditions = pre_6x,
     .summary = "MS 6.1 to 6.3 by patch (seed 001; cannot be rolled back on Linux)",
     .reversible_note = "seed 001: the 6.1 patches cannot be backed out on Linux",
     .config = &ms60_config_61_63,
     .directory = &hc_directory_ugdir},
    {.from = NULL},
};

MSM_PLUGIN_DEFINE(ms60, .name = "ms60",
                  .description = "Sun Java System Messaging Server 6.0 / 6.1 -> 6.3",
                  .version = PACKAGE_VERSION, .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-ms60", .origin = "msmigrate", .hops = ms60_hops);
