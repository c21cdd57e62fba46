/*
 * NAME
 *	ms60.h - what the parts of plugin ms60 share
 * OWNERSHIP
 *	Static migrator tables (transfer none).
 */
#ifndef MSM_PLUGIN_MS60_H
#define MSM_PLUGIN_MS60_H

#include <msmigrate/msmigrate.h>

/* The configuration migrators of ms-6.0 -> ms-6.3 and ms-6.1 -> ms-6.3 (config.c). */
extern const MsmConfigMigrator ms60_config_60_63;
extern const MsmConfigMigrator ms60_config_61_63;

#endif
