/*
 * NAME
 *	merge-table.c - seed 000's Table 1 as data, and the default for other hops
 * SUMMARY
 *	Implements merge-table.h. The rows follow the table of files that
 *	generate *.MERGED or *.CHANGES files in the 5.2 -> 6.0 upgrade guide
 *	(seed 000, UpgradeMsg5toMsg6.pl), in its order; docs/config-merge.md
 *	repeats it with the project's reading of each row.
 * DESCRIPTION
 *	Rows are matched in order on the relpath's base name, so the
 *	native_option exception comes before the <channel>_option row. Rows
 *	for "<channel>" files apply only when the channel is an SMTP channel,
 *	as the table says. The configutil row (msg.conf, local.conf) produces
 *	a CHANGES file only.
 * DIAGNOSTICS
 *	None: a file no row covers is reported by the caller as not merged.
 */
#include "config.h"

#include "merge-table.h"

#include <msmigrate/confdoc.h>

#include <string.h>

static const MsmMergeTableEntry seeded_rows[] = {
    {"job_controller.cnf", "Job Controller File", NULL, TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE,
     FALSE},
    {"conversions", "Conversions File", NULL, TRUE, MSM_MERGE_CHANGES_NEVER, FALSE, FALSE},
    {"native_option", "Native channel option file (exception to channel_option)", NULL, TRUE,
     MSM_MERGE_CHANGES_ALWAYS, FALSE, FALSE},
    {"*_option", "SMTP channel option files", NULL, TRUE, MSM_MERGE_CHANGES_NEVER, FALSE, TRUE},
    {"*_headers.opt", "Header option files", NULL, TRUE, MSM_MERGE_CHANGES_NEVER, FALSE, TRUE},
    {"dispatcher.cnf", "Dispatcher File", NULL, TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE, FALSE},
    {"imta_tailor", "Tailor File", NULL, TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE, FALSE},
    {"option.dat", "Global MTA Option File", NULL, TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE, FALSE},
    {"aliases", "Aliases File", NULL, TRUE, MSM_MERGE_CHANGES_NEVER, FALSE, FALSE},
    {"imta.cnf", "MTA Configuration File (include references changed, rules and channels kept)",
     NULL, TRUE, MSM_MERGE_CHANGES_IF_ANY, TRUE, FALSE},
    {"mappings", "Mappings File", NULL, TRUE, MSM_MERGE_CHANGES_NEVER, FALSE, FALSE},
    {"mappings.locale", "Localized Mappings File", "mappings", TRUE, MSM_MERGE_CHANGES_NEVER,
     FALSE, FALSE},
    {"internet.rules", "Internet Rule Configuration File", NULL, TRUE, MSM_MERGE_CHANGES_NEVER,
     FALSE, FALSE},
    {"backup-groups.conf", "Backup Group Definitions", NULL, TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE,
     FALSE},
    {"msg.conf", "configutil parameters", NULL, FALSE, MSM_MERGE_CHANGES_ALWAYS, FALSE, FALSE},
    {"local.conf", "configutil parameters", NULL, FALSE, MSM_MERGE_CHANGES_ALWAYS, FALSE, FALSE},
    {NULL, NULL, NULL, FALSE, MSM_MERGE_CHANGES_NEVER, FALSE, FALSE},
};

static const MsmMergeTableEntry default_row = {
    "*", "configuration file of a known format (default for hops without a table)", NULL, TRUE,
    MSM_MERGE_CHANGES_ALWAYS, FALSE, FALSE};

static const MsmMergeTableEntry default_imta_row = {
    "imta.cnf", "MTA Configuration File (default: old structure kept)", NULL, TRUE,
    MSM_MERGE_CHANGES_ALWAYS, TRUE, FALSE};

/* Returns the seeded rows. */
const MsmMergeTableEntry *
msm_merge_table_rows(void)
{
    return seeded_rows;
}

/* TRUE for the hop Table 1 describes. */
gboolean
msm_merge_table_is_seeded(const char *from, const char *to)
{
    return from && to && strcmp(from, "ims-5.2") == 0 && strcmp(to, "ms-6.0") == 0;
}

/* The channel name of a "<channel>_option" / "<channel>_headers.opt" base name. */
static char *
channel_of(const char *base, const char *pattern)
{
    const char *suffix = pattern + 1; /* the pattern is "*<suffix>" */
    gsize n = strlen(base), m = strlen(suffix);
    return n > m ? g_strndup(base, n - m) : NULL;
}

/* TRUE if channel is one of smtp_channels (or, not knowing them, a tcp_ channel). */
static gboolean
is_smtp(const char *channel, const char *const *smtp_channels)
{
    if (channel == NULL)
        return FALSE;
    if (smtp_channels == NULL)
        return g_str_has_prefix(channel, "tcp_");
    return g_strv_contains(smtp_channels, channel);
}

/* Finds relpath's row for the hop. */
const MsmMergeTableEntry *
msm_merge_table_lookup(const char *from, const char *to, const char *relpath,
                       const char *const *smtp_channels)
{
    if (relpath == NULL || *relpath == '\0')
        return NULL;
    const char *slash = strrchr(relpath, '/');
    const char *base = slash ? slash + 1 : relpath;
    if (!msm_merge_table_is_seeded(from, to)) {
        if (msm_conf_format_for_file(relpath) == NULL)
            return NULL;
        return strcmp(base, "imta.cnf") == 0 ? &default_imta_row : &default_row;
    }
    for (const MsmMergeTableEntry *r = seeded_rows; r->pattern; r++) {
        if (!g_pattern_match_simple(r->pattern, base))
            continue;
        if (r->smtp_channel) {
            char *ch = channel_of(base, r->pattern);
            gboolean smtp = is_smtp(ch, smtp_channels);
            g_free(ch);
            return smtp ? r : NULL;
        }
        return r;
    }
    return NULL;
}
