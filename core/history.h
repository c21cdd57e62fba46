/*
 * NAME
 *	history.h - the target's record of applied hops
 * SUMMARY
 *	<target>/.msmigrate/history, a GKeyFile (docs/formats/history.md) with
 *	one group per entry ("entry 1", "entry 2", ...), rewritten atomically
 *	(write to a temporary file, fsync, rename). `msmigrate status` prints it;
 *	`msmigrate baseline` adopts an unmanaged install with one entry of
 *	action "baseline"; detect trusts it for the exact version.
 */
#ifndef MSM_CORE_HISTORY_H
#define MSM_CORE_HISTORY_H

#include <msmigrate/msmigrate.h>

typedef struct {
    char *action;     /* "hop", "baseline", "rollback" */
    char *run_id;     /* "" for baseline */
    char *from;       /* canonical id ("" for baseline) */
    char *to;         /* canonical id: the version the deployment is at afterwards */
    char *plugin;     /* plugin name ("" for baseline) */
    char *plugin_version;
    char *kinds;      /* "config,store" */
    char *digest;     /* SHA-256 over the run's journal records of this hop, or "" */
    gint64 when;      /* seconds since the epoch */
    char *note;       /* free text, may be "" */
} MsmHistoryEntry;

MsmHistoryEntry *msm_history_entry_new(void);
void msm_history_entry_free(MsmHistoryEntry *entry);

/* Entries in order (MsmHistoryEntry*), empty when there is no history.
 * (transfer full) */
GPtrArray *msm_history_load(const char *target_root, GError **error);
/* Appends entry (copied). Creates <target>/.msmigrate when needed. */
gboolean msm_history_append(const char *target_root, const MsmHistoryEntry *entry,
                            GError **error);
/* The version the history says the deployment is at, or NULL. (transfer none: points
 * into entries) */
const char *msm_history_current(GPtrArray *entries);

#endif
