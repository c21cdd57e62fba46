/*
 * NAME
 *	sims40.c - the sims40 adapter: Sun Internet Mail Server 4.0 -> iPlanet Messaging Server 5.2
 * SUMMARY
 *	The descriptor and hop table of plugin sims40 (DESIGN §3): one hop,
 *	sims-4.0 -> ims-5.2, the procedure of seed 003 with its preconditions.
 *	The configuration migrator is in config.c (docs/config-hops.md#sims40);
 *	the store (imbackup | imsrestore) and queue migrators are wired below;
 *	the directory (imsdirmig -M sims) is in directory.c
 *	(docs/formats/directory-run.md).
 * OWNERSHIP
 *	Everything here is static const data (transfer none).
 */
#include "config.h"

#include "../common/preconditions.h"
#include "sims40.h"
#include "codec-sims-store.h"
#include "queue-rename.h"
#include "restore.h"

static const MsmHop sims40_hops[] = {
    {.from = "sims-4.0",
     .to = "ims-5.2",
     .flags = MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST,
     .summary = "SIMS 4.0 to iPlanet Messaging Server 5.2 (seed 003: imsdirmig, imbackup | "
                "imsrestore)",
     .reversible_note = "the SIMS host is left as it was",
     .preconditions = pre_sims,
     .config = &sims40_config_40_52,
     .store = &sims40_store_40_52,
     .queue = &msm_queue_channel_migrator,
     .directory = &sims40_directory},
    {.from = NULL},
};

/* The SIMS 4.0 store: only this plugin's hop starts from it (DESIGN §5). The codec
 * is returned by a function, so the array is filled by init(). */
static const MsmCodec *sims40_codecs[2];

static gboolean
sims40_init(GError **error)
{
    (void)error;
    sims40_codecs[0] = sims40_store_codec();
    sims40_codecs[1] = NULL;
    return TRUE;
}

MSM_PLUGIN_DEFINE(sims40, .name = "sims40",
                  .description = "Sun Internet Mail Server 4.0 -> iPlanet Messaging Server 5.2",
                  .version = PACKAGE_VERSION, .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-sims40", .origin = "msmigrate", .hops = sims40_hops,
                  .codecs = sims40_codecs, .init = sims40_init);
