/*
 * NAME
 *	ims52.h - what the parts of plugin ims52 share
 * OWNERSHIP
 *	Static migrator tables (transfer none).
 */
#ifndef MSM_PLUGIN_IMS52_H
#define MSM_PLUGIN_IMS52_H

#include <msmigrate/msmigrate.h>

/* The configuration migrator of ims-5.2 -> ms-6.0 (config.c). */
extern const MsmConfigMigrator ims52_config_52_60;

#endif
