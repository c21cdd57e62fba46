/*
 * NAME
 *	ms62.h - what the parts of plugin ms62 share
 * OWNERSHIP
 *	Static migrator tables (transfer none).
 */
#ifndef MSM_PLUGIN_MS62_H
#define MSM_PLUGIN_MS62_H

#include <msmigrate/msmigrate.h>

/* The configuration migrators of ms-6.2 -> ms-6.3 and ms-6.2p3 -> ms-6.3 (config.c). */
extern const MsmConfigMigrator ms62_config_62_63;
extern const MsmConfigMigrator ms62_config_62p3_63;

#endif
