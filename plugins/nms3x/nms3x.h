/*
 * NAME
 *	nms3x.h - what the parts of plugin nms3x share
 * OWNERSHIP
 *	Static migrator tables (transfer none).
 */
#ifndef MSM_PLUGIN_NMS3X_H
#define MSM_PLUGIN_NMS3X_H

#include <msmigrate/msmigrate.h>

/* The configuration migrator of nms-3.x -> nms-4.1 (config.c). */
extern const MsmConfigMigrator nms3x_config_3x_41;

/* The directory migrator of nms-3.x -> nms-4.1 (directory.c, imsdirmig). */
extern const MsmDirectoryMigrator nms3x_directory;

#endif
