/*
 * NAME
 *	sims40.h - what the parts of plugin sims40 share
 * OWNERSHIP
 *	Static migrator tables (transfer none).
 */
#ifndef MSM_PLUGIN_SIMS40_H
#define MSM_PLUGIN_SIMS40_H

#include <msmigrate/msmigrate.h>

/* The configuration migrator of sims-4.0 -> ims-5.2 (config.c). */
extern const MsmConfigMigrator sims40_config_40_52;

/* The directory migrator of sims-4.0 -> ims-5.2 (directory.c, imsdirmig). */
extern const MsmDirectoryMigrator sims40_directory;

#endif
