/*
 * NAME
 *	builtin.h - the codecs core itself provides (not part of the SDK)
 * SUMMARY
 *	Formats shared by many versions live in core (DESIGN §5); the registry
 *	registers these codecs next to the ones plugins bring.
 */
#ifndef MSM_CORE_BUILTIN_H
#define MSM_CORE_BUILTIN_H

#include <msmigrate/msmigrate.h>

/* The byte-exact configuration codec of every canonical version: kind
 * MSM_KIND_CONFIG, name "config-files" (docs/formats/config-files.md).
 * (transfer none: static) */
const MsmCodec *msm_core_config_files_codec(void);

/* Where the config-files writer puts a configuration item's relpath
 * (docs/formats/config-files.md "Where it writes", step 3): the layout's MTA
 * configuration directory for an MTA file name, else its configuration
 * directory. (transfer none: owned by layout) */
const char *msm_core_config_file_dir(const MsmLayout *layout, const char *relpath);

/* The PMDF-lineage MTA queue codec (SIMS 4.0, iMS 5.2, MS 6.0 - 8.1): kind
 * MSM_KIND_QUEUE, name "pmdf-queue" (docs/formats/queue-pmdf.md). Attempt
 * prefix helpers are in pmdf.h. (transfer none: static) */
const MsmCodec *msm_core_pmdf_queue_codec(void);

#endif
