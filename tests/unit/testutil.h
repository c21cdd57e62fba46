/*
 * NAME
 *	testutil.h - CUnit boilerplate for msmigrate's unit test programs
 * SUMMARY
 *	Each tests/unit/test-<name>.c defines its test functions and ends with
 *
 *	    MSM_TEST_MAIN("journal",
 *	        MSM_TEST(test_open_close),
 *	        MSM_TEST(test_resume));
 *
 *	The program runs the suite with the basic interface (verbose), prints
 *	CUnit's summary, and exits 1 if any assertion failed.
 *	msm_test_tmpdir() makes a fresh directory removed at exit unless
 *	MSM_KEEP_TMP is set. MSM_TOP_BUILDDIR / MSM_TOP_SRCDIR come from the
 *	environment set by tests/local.mk (default ".").
 */
#ifndef MSM_TESTUTIL_H
#define MSM_TESTUTIL_H

#include <CUnit/Basic.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdlib.h>

typedef struct {
    const char *name;
    void (*fn)(void);
} MsmTestCase;

#define MSM_TEST(f) {#f, f}

static GPtrArray *msm_test_tmpdirs;

static void
msm_test_rm_rf(const char *path)
{
    char *argv[] = {"rm", "-rf", (char *)path, NULL};
    g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

static void
msm_test_cleanup(void)
{
    if (msm_test_tmpdirs == NULL || g_getenv("MSM_KEEP_TMP"))
        return;
    for (guint i = 0; i < msm_test_tmpdirs->len; i++)
        msm_test_rm_rf(msm_test_tmpdirs->pdata[i]);
}

/* A new empty directory (transfer none: freed at exit). */
static G_GNUC_UNUSED const char *
msm_test_tmpdir(void)
{
    if (msm_test_tmpdirs == NULL) {
        msm_test_tmpdirs = g_ptr_array_new_with_free_func(g_free);
        atexit(msm_test_cleanup);
    }
    char *d = g_dir_make_tmp("msmtest-XXXXXX", NULL);
    g_assert(d != NULL);
    g_ptr_array_add(msm_test_tmpdirs, d);
    return d;
}

static G_GNUC_UNUSED const char *
msm_test_builddir(void)
{
    const char *d = g_getenv("MSM_TOP_BUILDDIR");
    return d ? d : ".";
}

static G_GNUC_UNUSED const char *
msm_test_srcdir(void)
{
    const char *d = g_getenv("MSM_TOP_SRCDIR");
    return d ? d : ".";
}

static int
msm_test_run(const char *suite_name, const MsmTestCase *cases, size_t n)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite(suite_name, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        CU_add_test(s, cases[i].name, cases[i].fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return (failed > 0 || ran == 0) ? 1 : 0;
}

#define MSM_TEST_MAIN(suite, ...)                                                              \
    int main(void)                                                                             \
    {                                                                                          \
        static const MsmTestCase cases[] = {__VA_ARGS__};                                      \
        return msm_test_run(suite, cases, sizeof cases / sizeof cases[0]);                     \
    }

#endif
