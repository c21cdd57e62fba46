/*
 * NAME
 *	test-versions - canonical ids, aliases, order, and the hop catalogue
 * SUMMARY
 *	Checks core/versions.c against docs/versions.md (every alias, the
 *	ambiguous "4.0", origins the vendor does not support, unknown text)
 *	and core/catalogue.c against DESIGN §3 (hops, packages, refusals).
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "catalogue.h"
#include "testutil.h"

#include <string.h>

/* Resolves text and checks it gives id (static, canonical). */
static void
expect(const char *text, const char *id)
{
    GError *err = NULL;
    const char *got = msm_version_resolve(text, &err);
    if (got == NULL || strcmp(got, id) != 0)
        fprintf(stderr, "resolve(\"%s\") = %s (%s), expected %s\n", text, got ? got : "NULL",
                err ? err->message : "", id);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, id);
    CU_ASSERT_PTR_NULL(err);
    gboolean is_static = FALSE;
    for (const char *const *v = msm_version_all(); *v; v++)
        is_static |= (*v == got);
    CU_ASSERT_TRUE(is_static);
}

/* Resolves text and checks it fails with code; the message must contain needle. */
static void
expect_error(const char *text, int code, const char *needle)
{
    GError *err = NULL;
    const char *got = msm_version_resolve(text, &err);
    CU_ASSERT_PTR_NULL(got);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    if (!g_error_matches(err, MSM_ERROR, code) || strstr(err->message, needle) == NULL)
        fprintf(stderr, "resolve(\"%s\"): code %d \"%s\", expected code %d with \"%s\"\n", text,
                err->code, err->message, code, needle);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, code));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, needle));
    g_error_free(err);
}

static void
test_canonical_ids(void)
{
    const char *const *all = msm_version_all();
    guint n = 0;
    for (; all[n]; n++) {
        expect(all[n], all[n]);
        CU_ASSERT_TRUE(msm_version_is_known(all[n]));
        CU_ASSERT_PTR_NOT_NULL(msm_version_display_name(all[n]));
        CU_ASSERT_PTR_NOT_NULL(msm_version_family(all[n]));
    }
    CU_ASSERT_EQUAL(n, 16);
    CU_ASSERT_STRING_EQUAL(all[0], "sims-4.0");
    CU_ASSERT_STRING_EQUAL(all[15], "ms-8.1");
    CU_ASSERT_FALSE(msm_version_is_known("ms-9.0"));
    CU_ASSERT_FALSE(msm_version_is_known(NULL));
    CU_ASSERT_PTR_NULL(msm_version_display_name("ms-9.0"));
    CU_ASSERT_PTR_NULL(msm_version_family("bogus"));
    CU_ASSERT_STRING_EQUAL(msm_version_display_name("ims-5.2"), "iPlanet Messaging Server 5.2");
    CU_ASSERT_STRING_EQUAL(msm_version_family("sims-4.0"), "sims");
    CU_ASSERT_STRING_EQUAL(msm_version_family("nms-3.x"), "nms");
    CU_ASSERT_STRING_EQUAL(msm_version_family("ims-5.2"), "ims");
    CU_ASSERT_STRING_EQUAL(msm_version_family("ms-7.0.5"), "ms");
}

static void
test_aliases(void)
{
    static const char *const table[][2] = {
        {"5.2", "ims-5.2"},
        {"52", "ims-5.2"},
        {"ims52", "ims-5.2"},
        {"iMS 5.2", "ims-5.2"},
        {"iplanet 5.2", "ims-5.2"},
        {"6.0", "ms-6.0"},
        {"6", "ms-6.0"},
        {"6.1", "ms-6.1"},
        {"6.2", "ms-6.2"},
        {"6.2p3", "ms-6.2p3"},
        {"6.2-3", "ms-6.2p3"},
        {"2005Q4", "ms-6.2p3"},
        {"2004Q2", "ms-6.0"},
        {"6.3", "ms-6.3"},
        {"7", "ms-7.0"},
        {"7.0", "ms-7.0"},
        {"7u5", "ms-7.0.5"},
        {"7.0.5", "ms-7.0.5"},
        {"7 update 5", "ms-7.0.5"},
        {"8", "ms-8.0"},
        {"8.0", "ms-8.0"},
        {"8.0.1", "ms-8.0.1"},
        {"8.0.2", "ms-8.0.2"},
        {"8.1", "ms-8.1"},
        {"8.1.0", "ms-8.1"},
        {"sims4", "sims-4.0"},
        {"sims 4.0", "sims-4.0"},
        {"sims-4.0", "sims-4.0"},
        {"nms3", "nms-3.x"},
        {"3.x", "nms-3.x"},
        {"3.01", "nms-3.x"},
        {"3.5", "nms-3.x"},
        {"3.6", "nms-3.x"},
        {"nms-3.x", "nms-3.x"},
        {"4.1", "nms-4.1"},
        {"nms 4.1", "nms-4.1"},
        {"nms-4.0", "nms-4.0"},
        {"nms4.0", "nms-4.0"},
        {"4.15", "nms-4.1"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(table); i++)
        expect(table[i][0], table[i][1]);
}

static void
test_case_and_separators(void)
{
    expect("IMS_5.2", "ims-5.2");
    expect("  iMS 5.2  ", "ims-5.2");
    expect("MS-6.2P3", "ms-6.2p3");
    expect("7_Update_5", "ms-7.0.5");
    expect("2005q4", "ms-6.2p3");
    expect("NMS 4.0", "nms-4.0");
    expect("Netscape 3.6", "nms-3.x");
    expect("ms 7u5", "ms-7.0.5");
    expect("Messaging Server 6.3", "ms-6.3");
    expect("Oracle 8.1", "ms-8.1");
    expect("iplanet messaging server 5.2", "ims-5.2");
}

static void
test_ambiguous(void)
{
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_version_resolve("4.0", &err));
    CU_ASSERT_TRUE_FATAL(g_error_matches(err, MSM_ERROR, MSM_ERROR_AMBIGUOUS));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "sims-4.0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "nms-4.0"));
    g_error_free(err);
    /* a product prefix removes the ambiguity */
    expect("sims 4.0", "sims-4.0");
    expect("nms 4.0", "nms-4.0");
}

static void
test_unsupported(void)
{
    static const char *const old_nms[] = {"3.0", "2.x", "nms-2.0", "1.x", "3.00", "netscape 2.0"};
    for (guint i = 0; i < G_N_ELEMENTS(old_nms); i++) {
        expect_error(old_nms[i], MSM_ERROR_UNSUPPORTED,
                     "the vendor's procedures do not support upgrading from versions earlier "
                     "than 3.01 (seed 002); upgrade to NMS 3.01 or later first");
    }
    expect_error("sims 3.5", MSM_ERROR_UNSUPPORTED, "SIMS 4.0");
    expect_error("5.1", MSM_ERROR_UNSUPPORTED, "seed 000");
    expect_error("ims 5.0", MSM_ERROR_UNSUPPORTED, "5.2");
}

static void
test_unknown(void)
{
    expect_error("9.9", MSM_ERROR_NOT_FOUND, "ms-8.1");
    expect_error("banana", MSM_ERROR_NOT_FOUND, "sims-4.0, nms-3.x");
    expect_error("", MSM_ERROR_NOT_FOUND, "type one of");
    /* a product prefix keeps only that product's versions */
    expect_error("ims 6.3", MSM_ERROR_NOT_FOUND, "ims 6.3");
    expect_error("sims 5.2", MSM_ERROR_NOT_FOUND, "unknown version");
}

static void
test_compare(void)
{
    const char *const *all = msm_version_all();
    for (guint i = 0; all[i]; i++) {
        CU_ASSERT_EQUAL(msm_version_compare(all[i], all[i]), 0);
        if (all[i + 1]) {
            CU_ASSERT_TRUE(msm_version_compare(all[i], all[i + 1]) < 0);
            CU_ASSERT_TRUE(msm_version_compare(all[i + 1], all[i]) > 0);
        }
        CU_ASSERT_TRUE(msm_version_compare(all[i], "zz-unknown") < 0);
        CU_ASSERT_TRUE(msm_version_compare("zz-unknown", all[i]) > 0);
    }
    CU_ASSERT_TRUE(msm_version_compare("ms-6.2p3", "ms-6.3") < 0);
    CU_ASSERT_TRUE(msm_version_compare("ms-7.0.5", "ms-8.0") < 0);
    CU_ASSERT_TRUE(msm_version_compare("a-unknown", "b-unknown") < 0);
}

static void
test_catalogue_table(void)
{
    static const char *const design[][3] = {
        {"sims-4.0", "ims-5.2", "sims40"}, {"nms-3.x", "nms-4.1", "nms3x"},
        {"nms-4.0", "nms-4.1", "nms4x"},   {"nms-4.0", "ims-5.2", "nms4x"},
        {"nms-4.1", "ims-5.2", "nms4x"},   {"ims-5.2", "ms-6.0", "ims52"},
        {"ms-6.0", "ms-6.3", "ms60"},      {"ms-6.1", "ms-6.3", "ms60"},
        {"ms-6.2", "ms-6.3", "ms62"},      {"ms-6.2p3", "ms-6.3", "ms62"},
        {"ms-6.3", "ms-7.0", "ms7x-8x"},   {"ms-7.0", "ms-7.0.5", "ms7x-8x"},
        {"ms-7.0", "ms-8.1", "ms7x-8x"},   {"ms-7.0.5", "ms-8.1", "ms7x-8x"},
        {"ms-8.0", "ms-8.1", "ms7x-8x"},   {"ms-8.0.1", "ms-8.1", "ms7x-8x"},
        {"ms-8.0.2", "ms-8.1", "ms7x-8x"},
    };
    guint n = 0;
    for (const MsmCatalogueHop *h = msm_catalogue_hops(); h->from; h++) {
        n++;
        CU_ASSERT_TRUE(msm_version_is_known(h->from));
        CU_ASSERT_TRUE(msm_version_is_known(h->to));
        /* the vendor refuses none of the design's own hops */
        CU_ASSERT_PTR_NULL(msm_catalogue_refusal(h->from, h->to));
    }
    CU_ASSERT_EQUAL(n, G_N_ELEMENTS(design));
    for (guint i = 0; i < G_N_ELEMENTS(design); i++) {
        const MsmCatalogueHop *h = msm_catalogue_find(design[i][0], design[i][1]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(h);
        CU_ASSERT_STRING_EQUAL(h->plugin, design[i][2]);
        char *pkg = g_strconcat("msmigrate-plugin-", design[i][2], NULL);
        CU_ASSERT_STRING_EQUAL(h->package, pkg);
        g_free(pkg);
    }
    CU_ASSERT_PTR_NULL(msm_catalogue_find("ims-5.2", "ms-6.3"));
    CU_ASSERT_PTR_NULL(msm_catalogue_find("ms-6.3", "ms-8.1"));
    CU_ASSERT_PTR_NULL(msm_catalogue_find(NULL, "ms-8.1"));
    char *p = msm_catalogue_package_for("ms7x-8x");
    CU_ASSERT_STRING_EQUAL(p, "msmigrate-plugin-ms7x-8x");
    g_free(p);
}

static void
test_catalogue_refusals(void)
{
    static const char *const to8[][2] = {
        {"ims-5.2", "ms-8.1"},    {"ms-6.0", "ms-8.0"},   {"ms-6.3", "ms-8.1"},
        {"ms-6.2p3", "ms-8.0.2"}, {"ms-6.1", "ms-8.0.1"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(to8); i++) {
        const char *why = msm_catalogue_refusal(to8[i][0], to8[i][1]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(why);
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "seed 004"));
        CU_ASSERT_PTR_NOT_NULL(strstr(why, "7.x"));
    }
    const char *back = msm_catalogue_refusal("ms-8.1", "ms-7.0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    CU_ASSERT_STRING_EQUAL(back, "a hop must go forward; use msmigrate rollback to go back");
    CU_ASSERT_PTR_NOT_NULL(msm_catalogue_refusal("ms-6.3", "ms-6.3"));
    CU_ASSERT_PTR_NOT_NULL(msm_catalogue_refusal("ims-5.2", "nms-4.1"));
    const char *old = msm_catalogue_refusal("nms-4.1", "ms-6.0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(old);
    CU_ASSERT_PTR_NOT_NULL(strstr(old, "seed 000"));
    CU_ASSERT_PTR_NOT_NULL(msm_catalogue_refusal("sims-4.0", "ms-6.3"));
    /* allowed although not in the design's table */
    CU_ASSERT_PTR_NULL(msm_catalogue_refusal("ms-6.3", "ms-7.0.5"));
    CU_ASSERT_PTR_NULL(msm_catalogue_refusal("ms-7.0", "ms-8.0"));
    CU_ASSERT_PTR_NULL(msm_catalogue_refusal("nms-3.x", "ims-5.2"));
    /* unknown ids are for resolution to report */
    CU_ASSERT_PTR_NULL(msm_catalogue_refusal("ms-9.0", "ms-8.1"));
}

MSM_TEST_MAIN("versions", MSM_TEST(test_canonical_ids), MSM_TEST(test_aliases),
              MSM_TEST(test_case_and_separators), MSM_TEST(test_ambiguous),
              MSM_TEST(test_unsupported), MSM_TEST(test_unknown), MSM_TEST(test_compare),
              MSM_TEST(test_catalogue_table), MSM_TEST(test_catalogue_refusals))
