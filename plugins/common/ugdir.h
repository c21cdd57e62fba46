/*
 * NAME
 *	ugdir.h - the directory migrator of the 6.x -> 6.3 hops: seed 001's
 *	ugdir_diff.ldif applied in the run's directory step (see ugdir.c)
 * OWNERSHIP
 *	Static (transfer none).
 */
#ifndef MSM_PLUGINS_UGDIR_H
#define MSM_PLUGINS_UGDIR_H

#include <msmigrate/msmigrate.h>

extern const MsmDirectoryMigrator hc_directory_ugdir;

#endif
