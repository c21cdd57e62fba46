/*
 * NAME
 *	test-merge-table.c - seed 000's Table 1 as data (core/merge-table.c)
 * DESCRIPTION
 *	Every row of the table for ims-5.2 -> ms-6.0 (MERGED, CHANGES always /
 *	if any / never, keep_old_structure for imta.cnf), the native_option
 *	exception, the SMTP-channel condition of <channel>_option and
 *	<channel>_headers.opt (with and without the channel list), files the
 *	table does not cover, the default for other hops, and that every row
 *	names a format msmigrate can parse.
 */
#include "config.h"

#include "testutil.h"

#include "merge-table.h"

#include <msmigrate/confdoc.h>

#include <string.h>

static const char *const smtp[] = {"tcp_local", "tcp_intranet", NULL};

/* The row for relpath on 5.2 -> 6.0 with the SMTP channel list above. */
static const MsmMergeTableEntry *
row52(const char *relpath)
{
    return msm_merge_table_lookup("ims-5.2", "ms-6.0", relpath, smtp);
}

/* Checks one row's outputs. */
static void
expect(const char *relpath, gboolean merged, MsmMergeChangesWhen changes, gboolean keep_old)
{
    const MsmMergeTableEntry *r = row52(relpath);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_EQUAL(r->merged, merged);
    CU_ASSERT_EQUAL(r->changes, changes);
    CU_ASSERT_EQUAL(r->keep_old_structure, keep_old);
}

static void
test_seeded_rows(void)
{
    CU_ASSERT_TRUE(msm_merge_table_is_seeded("ims-5.2", "ms-6.0"));
    CU_ASSERT_FALSE(msm_merge_table_is_seeded("ims-5.2", "ms-6.1"));
    CU_ASSERT_FALSE(msm_merge_table_is_seeded("ms-6.0", "ims-5.2"));
    expect("job_controller.cnf", TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
    expect("conversions", TRUE, MSM_MERGE_CHANGES_NEVER, FALSE);
    expect("tcp_local_option", TRUE, MSM_MERGE_CHANGES_NEVER, FALSE);
    expect("native_option", TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
    expect("tcp_intranet_headers.opt", TRUE, MSM_MERGE_CHANGES_NEVER, FALSE);
    expect("dispatcher.cnf", TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
    expect("imta_tailor", TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
    expect("option.dat", TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
    expect("aliases", TRUE, MSM_MERGE_CHANGES_NEVER, FALSE);
    expect("imta.cnf", TRUE, MSM_MERGE_CHANGES_IF_ANY, TRUE);
    expect("mappings", TRUE, MSM_MERGE_CHANGES_NEVER, FALSE);
    expect("mappings.locale", TRUE, MSM_MERGE_CHANGES_NEVER, FALSE);
    expect("internet.rules", TRUE, MSM_MERGE_CHANGES_NEVER, FALSE);
    expect("backup-groups.conf", TRUE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
    expect("msg.conf", FALSE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
    expect("local.conf", FALSE, MSM_MERGE_CHANGES_ALWAYS, FALSE);
}

static void
test_smtp_channels(void)
{
    /* not an SMTP channel: not covered by the table */
    CU_ASSERT_PTR_NULL(row52("pipe_option"));
    CU_ASSERT_PTR_NULL(row52("native_headers.opt"));
    CU_ASSERT_PTR_NULL(row52("tcp_other_option"));
    /* native_option is the table's exception, whatever the channel list */
    CU_ASSERT_PTR_NOT_NULL(msm_merge_table_lookup("ims-5.2", "ms-6.0", "native_option", NULL));
    /* channel list unknown: tcp_ channels count as SMTP */
    CU_ASSERT_PTR_NOT_NULL(msm_merge_table_lookup("ims-5.2", "ms-6.0", "tcp_other_option", NULL));
    CU_ASSERT_PTR_NULL(msm_merge_table_lookup("ims-5.2", "ms-6.0", "l_option", NULL));
    /* the whole name is the suffix: no channel */
    CU_ASSERT_PTR_NULL(msm_merge_table_lookup("ims-5.2", "ms-6.0", "_option", NULL));
}

static void
test_not_covered(void)
{
    CU_ASSERT_PTR_NULL(row52("ims/ims.cnf"));
    CU_ASSERT_PTR_NULL(row52("slow1.conf"));
    CU_ASSERT_PTR_NULL(row52("msg.conf.defaults"));
    CU_ASSERT_PTR_NULL(row52(""));
    CU_ASSERT_PTR_NULL(row52(NULL));
    /* the base name is what is matched */
    CU_ASSERT_PTR_NOT_NULL(row52("sub/imta.cnf"));
}

static void
test_default_hops(void)
{
    const MsmMergeTableEntry *r = msm_merge_table_lookup("ms-6.3", "ms-7.0", "msg.conf", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_TRUE(r->merged);
    CU_ASSERT_EQUAL(r->changes, MSM_MERGE_CHANGES_ALWAYS);
    CU_ASSERT_FALSE(r->keep_old_structure);
    r = msm_merge_table_lookup("ms-6.3", "ms-7.0", "imta.cnf", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    CU_ASSERT_TRUE(r->merged && r->keep_old_structure);
    CU_ASSERT_EQUAL(r->changes, MSM_MERGE_CHANGES_ALWAYS);
    /* no known format: not merged; a non-SMTP option file has one, so it is */
    CU_ASSERT_PTR_NULL(msm_merge_table_lookup("ms-6.3", "ms-7.0", "slow1.conf", NULL));
    CU_ASSERT_PTR_NOT_NULL(msm_merge_table_lookup("ms-6.3", "ms-7.0", "pipe_option", NULL));
}

static void
test_rows_have_formats(void)
{
    guint n = 0;
    for (const MsmMergeTableEntry *r = msm_merge_table_rows(); r->pattern; r++, n++) {
        CU_ASSERT_PTR_NOT_NULL(r->what);
        CU_ASSERT_TRUE(r->merged || r->changes != MSM_MERGE_CHANGES_NEVER);
        /* a concrete file name for the pattern, parsed with the row's format */
        char *name = r->pattern[0] == '*' ? g_strconcat("tcp_local", r->pattern + 1, NULL)
                                          : g_strdup(r->pattern);
        const MsmConfFormat *fmt = r->format ? msm_conf_format_find(r->format)
                                             : msm_conf_format_for_file(name);
        if (fmt == NULL)
            fprintf(stderr, "row %s: no format for %s\n", r->pattern, name);
        CU_ASSERT_PTR_NOT_NULL(fmt);
        CU_ASSERT_PTR_EQUAL(msm_merge_table_lookup("ims-5.2", "ms-6.0", name, smtp), r);
        g_free(name);
    }
    CU_ASSERT_EQUAL(n, 16);
}

MSM_TEST_MAIN("merge-table", MSM_TEST(test_seeded_rows), MSM_TEST(test_smtp_channels),
              MSM_TEST(test_not_covered), MSM_TEST(test_default_hops),
              MSM_TEST(test_rows_have_formats));
