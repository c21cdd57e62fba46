/*
 * NAME
 *	merge-table.h - which configuration files a hop merges, and how
 * SUMMARY
 *	Seed 000's Table 1 ("Messaging Server Configuration Files That
 *	Generate *.MERGED or *.CHANGES files", UpgradeMsg5toMsg6.pl) as data:
 *	for the hop ims-5.2 -> ms-6.0 and a configuration relpath, whether the
 *	merge produces a *.MERGED file, a *.CHANGES file (always, or only when
 *	there is something to report), and whether MERGED keeps the old
 *	file's structure (imta.cnf). Every other hop gets the documented
 *	default: every file of a known format gets both. docs/config-merge.md.
 * OWNERSHIP
 *	Entries are static (transfer none).
 */
#ifndef MSM_CORE_MERGE_TABLE_H
#define MSM_CORE_MERGE_TABLE_H

#include <glib.h>

G_BEGIN_DECLS

/* When a *.CHANGES file is written. */
typedef enum {
    MSM_MERGE_CHANGES_NEVER = 0, /* no CHANGES file */
    MSM_MERGE_CHANGES_ALWAYS,    /* always, even when it lists nothing */
    MSM_MERGE_CHANGES_IF_ANY,    /* only when some entity is not the same ("in some instances") */
} MsmMergeChangesWhen;

/* One row of a merge table. */
typedef struct {
    const char *pattern;         /* base-name pattern (g_pattern_match_simple) */
    const char *what;            /* the table's description: "Job Controller File" */
    const char *format;          /* confdoc format name; NULL: by file name */
    gboolean merged;             /* a *.MERGED file is written */
    MsmMergeChangesWhen changes; /* when a *.CHANGES file is written */
    gboolean keep_old_structure; /* MsmMergeRules.keep_old_structure */
    gboolean smtp_channel;       /* only for <channel> an SMTP channel (pattern *_option...) */
} MsmMergeTableEntry;

/* TRUE if the hop from -> to (canonical ids) has a table from the seeds
 * (ims-5.2 -> ms-6.0); FALSE when the default applies. */
gboolean msm_merge_table_is_seeded(const char *from, const char *to);

/* The row for relpath ('/'-separated; its base name is matched) on the hop
 * from -> to, or NULL when the file is not merged (not in the table, or, for
 * the default, no known format). smtp_channels: NULL-terminated names of the
 * old deployment's SMTP channels, for "<channel>_option" and
 * "<channel>_headers.opt"; NULL when not known: then a channel whose name
 * starts with "tcp_" counts as SMTP. */
const MsmMergeTableEntry *msm_merge_table_lookup(const char *from, const char *to,
                                                 const char *relpath,
                                                 const char *const *smtp_channels);

/* The seeded table's rows, ended by a row with pattern NULL. (transfer none) */
const MsmMergeTableEntry *msm_merge_table_rows(void);

G_END_DECLS

#endif
