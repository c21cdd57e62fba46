/*
 * NAME
 *	nms4x.h - what the parts of plugin nms4x share
 * OWNERSHIP
 *	Static migrator tables (transfer none).
 */
#ifndef MSM_PLUGIN_NMS4X_H
#define MSM_PLUGIN_NMS4X_H

#include <msmigrate/msmigrate.h>

/* The configuration migrators of nms-4.0 -> nms-4.1 and nms-4.x -> ims-5.2 (config.c). */
extern const MsmConfigMigrator nms4x_config_40_41;
extern const MsmConfigMigrator nms4x_config_40_52;
extern const MsmConfigMigrator nms4x_config_41_52;

/* The store migrator of nms-4.x -> ims-5.2: copy or in-place reuse (store.c). */
extern const MsmStoreMigrator nms4x_store;

/* The directory migrator of nms-4.x -> ims-5.2 (directory.c, imsdirmig). */
extern const MsmDirectoryMigrator nms4x_directory;

#endif
