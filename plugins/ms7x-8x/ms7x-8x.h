/*
 * NAME
 *	ms7x-8x.h - what the parts of plugin ms7x-8x share
 * OWNERSHIP
 *	Static migrator tables (transfer none).
 */
#ifndef MSM_PLUGIN_MS7X_8X_H
#define MSM_PLUGIN_MS7X_8X_H

#include <msmigrate/msmigrate.h>

/* The configuration migrators of the hops (config.c). */
extern const MsmConfigMigrator ms7x_8x_config_63_70;
extern const MsmConfigMigrator ms7x_8x_config_70_705;
extern const MsmConfigMigrator ms7x_8x_config_70_81;
extern const MsmConfigMigrator ms7x_8x_config_705_81;
extern const MsmConfigMigrator ms7x_8x_config_80_81;
extern const MsmConfigMigrator ms7x_8x_config_801_81;
extern const MsmConfigMigrator ms7x_8x_config_802_81;

#endif
