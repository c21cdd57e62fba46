/*
 * NAME
 *	test-history.c - unit tests of the target history (core/history.c)
 * DESCRIPTION
 *	No history, appends and reloads, the current version (hops, baseline,
 *	rollback), preservation of unknown keys, groups and comments, and the
 *	errors for malformed files.
 */
#include "config.h"

#include "history.h"
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>

/* Writes <root>/.msmigrate/history with content. */
static void
write_history(const char *root, const char *content)
{
    char *dir = g_build_filename(root, ".msmigrate", NULL);
    char *path = g_build_filename(dir, "history", NULL);
    CU_ASSERT_EQUAL(g_mkdir_with_parents(dir, 0755), 0);
    CU_ASSERT_TRUE(g_file_set_contents(path, content, -1, NULL));
    g_free(path);
    g_free(dir);
}

/* The text of <root>/.msmigrate/history. (transfer full) */
static char *
read_history(const char *root)
{
    char *path = g_build_filename(root, ".msmigrate", "history", NULL);
    char *text = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(path, &text, NULL, NULL));
    g_free(path);
    return text;
}

/* An entry with the given fields (others ""). */
static MsmHistoryEntry *
make_entry(const char *action, const char *from, const char *to, gint64 when)
{
    MsmHistoryEntry *e = msm_history_entry_new();
    g_free(e->action);
    e->action = g_strdup(action);
    g_free(e->from);
    e->from = g_strdup(from);
    g_free(e->to);
    e->to = g_strdup(to);
    e->when = when;
    return e;
}

/* Appends, asserting success. */
static void
append_ok(const char *root, const MsmHistoryEntry *e)
{
    GError *error = NULL;
    gboolean ok = msm_history_append(root, e, &error);
    if (error != NULL)
        g_printerr("msm_history_append: %s\n", error->message);
    CU_ASSERT_TRUE(ok);
    g_clear_error(&error);
}

static void
test_empty(void)
{
    GError *error = NULL;
    const char *root = msm_test_tmpdir();
    GPtrArray *entries = msm_history_load(root, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entries);
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_EQUAL(entries->len, 0);
    CU_ASSERT_PTR_NULL(msm_history_current(entries));
    CU_ASSERT_PTR_NULL(msm_history_current(NULL));
    g_ptr_array_unref(entries);
    /* A file with only the header has no entries either. */
    write_history(root, "[history]\nformat=1\n");
    entries = msm_history_load(root, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entries);
    CU_ASSERT_EQUAL(entries->len, 0);
    g_ptr_array_unref(entries);
}

static void
test_append_reload(void)
{
    GError *error = NULL;
    const char *root = msm_test_tmpdir();
    MsmHistoryEntry *b = make_entry("baseline", "", "ims-5.2", 1795497120);
    g_free(b->note);
    b->note = g_strdup("adopted by msmigrate baseline\nsecond line; with = and [x]");
    append_ok(root, b);

    MsmHistoryEntry *h = make_entry("hop", "ims-5.2", "ms-6.0", 1795500000);
    g_free(h->run_id);
    h->run_id = g_strdup("20261124T060000Z-0a1b2c");
    g_free(h->plugin);
    h->plugin = g_strdup("ims52");
    g_free(h->plugin_version);
    h->plugin_version = g_strdup("0.1.0");
    g_free(h->kinds);
    h->kinds = g_strdup("config,store");
    g_free(h->digest);
    h->digest = g_strdup("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    append_ok(root, h);
    MsmHistoryEntry *h2 = make_entry("hop", "ms-6.0", "ms-6.3", 0); /* when 0: now */
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    append_ok(root, h2);

    char *path = g_build_filename(root, ".msmigrate", "history", NULL);
    struct stat st;
    CU_ASSERT_EQUAL(stat(path, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0644);
    g_free(path);
    char *text = read_history(root);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[history]\nformat=1\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[entry 1]\naction=baseline\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[entry 3]\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "when=2026-11-24T05:12:00Z\n"));
    g_free(text);

    GPtrArray *entries = msm_history_load(root, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entries);
    CU_ASSERT_EQUAL_FATAL(entries->len, 3);
    const MsmHistoryEntry *e = entries->pdata[0];
    CU_ASSERT_STRING_EQUAL(e->action, "baseline");
    CU_ASSERT_STRING_EQUAL(e->run_id, "");
    CU_ASSERT_STRING_EQUAL(e->from, "");
    CU_ASSERT_STRING_EQUAL(e->to, "ims-5.2");
    CU_ASSERT_STRING_EQUAL(e->note, b->note);
    CU_ASSERT_EQUAL(e->when, 1795497120);
    e = entries->pdata[1];
    CU_ASSERT_STRING_EQUAL(e->action, "hop");
    CU_ASSERT_STRING_EQUAL(e->run_id, h->run_id);
    CU_ASSERT_STRING_EQUAL(e->from, "ims-5.2");
    CU_ASSERT_STRING_EQUAL(e->to, "ms-6.0");
    CU_ASSERT_STRING_EQUAL(e->plugin, "ims52");
    CU_ASSERT_STRING_EQUAL(e->plugin_version, "0.1.0");
    CU_ASSERT_STRING_EQUAL(e->kinds, "config,store");
    CU_ASSERT_STRING_EQUAL(e->digest, h->digest);
    CU_ASSERT_EQUAL(e->when, 1795500000);
    e = entries->pdata[2];
    CU_ASSERT_TRUE(e->when >= before && e->when <= before + 5);
    CU_ASSERT_STRING_EQUAL(msm_history_current(entries), "ms-6.3");
    g_ptr_array_unref(entries);

    /* A rollback's "to" is where the deployment went back to. */
    MsmHistoryEntry *r = make_entry("rollback", "ms-6.3", "ms-6.0", 1795600000);
    append_ok(root, r);
    entries = msm_history_load(root, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entries);
    CU_ASSERT_EQUAL(entries->len, 4);
    CU_ASSERT_STRING_EQUAL(msm_history_current(entries), "ms-6.0");
    g_ptr_array_unref(entries);

    /* Bad entries are refused before touching the file. */
    MsmHistoryEntry *bad = make_entry("hop", "ms-6.0", "", 0);
    CU_ASSERT_FALSE(msm_history_append(root, bad, &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&error);
    msm_history_entry_free(bad);
    msm_history_entry_free(NULL);
    msm_history_entry_free(b);
    msm_history_entry_free(h);
    msm_history_entry_free(h2);
    msm_history_entry_free(r);
}

static void
test_preserve_unknown(void)
{
    GError *error = NULL;
    const char *root = msm_test_tmpdir();
    write_history(root, "# kept comment\n"
                        "[history]\n"
                        "format=1\n"
                        "site=mail-east\n"
                        "\n"
                        "[entry 1]\n"
                        "action=baseline\n"
                        "to=ms-6.3\n"
                        "when=2026-01-02T03:04:05Z\n"
                        "reviewer=jdoe\n"
                        "note[de]=Ausgangsstand\n"
                        "\n"
                        "[entry 5]\n"
                        "action=hop\n"
                        "from=ms-6.3\n"
                        "to=ms-7.0\n"
                        "when=2026-01-03T00:00:00Z\n"
                        "\n"
                        "[signatures]\n"
                        "entry1=abc\n");
    GPtrArray *entries = msm_history_load(root, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entries);
    CU_ASSERT_EQUAL_FATAL(entries->len, 2);
    CU_ASSERT_STRING_EQUAL(((MsmHistoryEntry *)entries->pdata[0])->to, "ms-6.3");
    CU_ASSERT_STRING_EQUAL(((MsmHistoryEntry *)entries->pdata[0])->plugin, "");
    CU_ASSERT_EQUAL(((MsmHistoryEntry *)entries->pdata[0])->when, 1767323045);
    CU_ASSERT_STRING_EQUAL(msm_history_current(entries), "ms-7.0");
    g_ptr_array_unref(entries);

    MsmHistoryEntry *h = make_entry("hop", "ms-7.0", "ms-8.1", 1767400000);
    append_ok(root, h);
    msm_history_entry_free(h);
    char *text = read_history(root);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "# kept comment"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "site=mail-east"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "reviewer=jdoe"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "note[de]=Ausgangsstand"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[signatures]\nentry1=abc"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "[entry 6]\naction=hop\n"));
    g_free(text);
    entries = msm_history_load(root, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(entries);
    CU_ASSERT_EQUAL(entries->len, 3);
    CU_ASSERT_STRING_EQUAL(msm_history_current(entries), "ms-8.1");
    g_ptr_array_unref(entries);
}

/* Loads root's history expecting MSM_ERROR_PARSE mentioning each of the needles. */
static void
expect_parse_error(const char *root, const char *needle1, const char *needle2)
{
    GError *error = NULL;
    GPtrArray *entries = msm_history_load(root, &error);
    CU_ASSERT_PTR_NULL(entries);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_PARSE));
    if (error != NULL) {
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, root));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, needle1));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, needle2));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "move it aside"));
    }
    g_clear_error(&error);
    if (entries != NULL)
        g_ptr_array_unref(entries);
}

static void
test_malformed(void)
{
    GError *error = NULL;
    const char *root = msm_test_tmpdir();
    write_history(root, "[history]\nformat=1\n\n[entry 1]\naction=baseline\nto=ims-5.2\n"
                        "this line is wrong\nwhen=2026-01-02T03:04:05Z\n");
    expect_parse_error(root, "line 7", "history");
    /* Appending to a malformed file is refused and leaves it as it was. */
    MsmHistoryEntry *h = make_entry("hop", "ims-5.2", "ms-6.0", 1);
    CU_ASSERT_FALSE(msm_history_append(root, h, &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_PARSE));
    g_clear_error(&error);
    char *text = read_history(root);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "this line is wrong"));
    CU_ASSERT_PTR_NULL(strstr(text, "ms-6.0"));
    g_free(text);

    write_history(root, "action=hop\n");
    expect_parse_error(root, "line 1", "history");
    write_history(root, "[entry 1\naction=hop\n");
    expect_parse_error(root, "line 1", "history");
    write_history(root, "[entry 1]\naction=hop\nwhen=2026-01-02T03:04:05Z\n");
    expect_parse_error(root, "[entry 1]", "\"to\"");
    write_history(root, "[entry 2]\naction=hop\nto=ms-6.0\nwhen=yesterday\n");
    expect_parse_error(root, "[entry 2]", "when=yesterday");
    write_history(root, "[history]\nformat=7\n");
    expect_parse_error(root, "newer msmigrate", "format 7");
    write_history(root, "[history]\nformat=one\n");
    expect_parse_error(root, "format", "not a number");
    msm_history_entry_free(h);
}

MSM_TEST_MAIN("history",
              MSM_TEST(test_empty),
              MSM_TEST(test_append_reload),
              MSM_TEST(test_preserve_unknown),
              MSM_TEST(test_malformed))
