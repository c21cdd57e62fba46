/*
 * NAME
 *	storeconv.h - the store migrator of hops whose store step is a format
 *	conversion done by the codecs
 * SUMMARY
 *	On ims-5.2 -> ms-6.0 (the mboxlist databases move to msg_svr_base,
 *	seed 000), ms-6.3 -> ms-7.0, ms-7.0 -> ms-7.0.5 (the database format
 *	change) and ms-7.x/8.0.x -> ms-8.1 (the store data format change) the
 *	vendor's procedure migrates the store, and nothing about a folder or a
 *	message changes but its on-disk form: the run reads the origin with its
 *	version's codec and writes the destination with its own
 *	(docs/formats/store-classic.md, generations). Declaring this migrator
 *	says so: the plan shows the store as migrated by the hop, and a run
 *	carries it. Each folder passes unchanged after a check that the
 *	destination can hold it: a folder name the destination's store cannot
 *	represent fails that folder (the message names it and the fix), never
 *	the run.
 * OWNERSHIP
 *	Static (transfer none).
 */
#ifndef MSM_PLUGINS_STORECONV_H
#define MSM_PLUGINS_STORECONV_H

#include <msmigrate/msmigrate.h>

extern const MsmStoreMigrator hc_store_convert;

#endif
