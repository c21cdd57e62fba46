/*
 * NAME
 *	test-planner.c - shortest chains over the fixture hops, refusals, plan output
 */
#include "config.h"

#include "testutil.h"

#include "engine.h"
#include "planner.h"
#include "registry.h"

#include <string.h>
#include <sys/stat.h>

static MsmRegistry *
load_dir(const char *dir)
{
    const char *dirs[2] = {dir, NULL};
    MsmRegistry *reg = msm_registry_new();
    CU_ASSERT_TRUE_FATAL(msm_registry_load(reg, dirs, FALSE, NULL));
    return reg;
}

static void
expect_path(MsmRegistry *reg, const char *from, const char *to, const char *want)
{
    GError *err = NULL;
    MsmPlan *p = msm_plan_build(reg, from, to, &err);
    if (p == NULL)
        fprintf(stderr, "plan %s -> %s: %s\n", from, to, err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char *s = msm_plan_path_string(p);
    CU_ASSERT_STRING_EQUAL(s, want);
    g_free(s);
    msm_plan_free(p);
}

static void
test_paths(void)
{
    MsmRegistry *reg = load_dir(g_getenv("FX_CHAIN_DIR"));
    expect_path(reg, "ims-5.2", "ms-8.1", "ims-5.2 -> ms-6.0 -> ms-6.3 -> ms-7.0 -> ms-8.1");
    expect_path(reg, "sims-4.0", "ms-8.1",
                "sims-4.0 -> ims-5.2 -> ms-6.0 -> ms-6.3 -> ms-7.0 -> ms-8.1");
    expect_path(reg, "nms-3.x", "ms-8.1",
                "nms-3.x -> nms-4.1 -> ims-5.2 -> ms-6.0 -> ms-6.3 -> ms-7.0 -> ms-8.1");
    expect_path(reg, "nms-4.0", "ims-5.2", "nms-4.0 -> ims-5.2");
    expect_path(reg, "ms-6.2p3", "ms-8.1", "ms-6.2p3 -> ms-6.3 -> ms-7.0 -> ms-8.1");
    expect_path(reg, "ms-7.0.5", "ms-8.1", "ms-7.0.5 -> ms-8.1");
    expect_path(reg, "ms-6.3", "ms-7.0.5", "ms-6.3 -> ms-7.0 -> ms-7.0.5");
    msm_registry_free(reg);
}

static void
test_reversibility(void)
{
    MsmRegistry *reg = load_dir(g_getenv("FX_CHAIN_DIR"));
    MsmPlan *p = msm_plan_build(reg, "ims-5.2", "ms-6.0", NULL);
    CU_ASSERT_FALSE(msm_plan_irreversible(p));
    msm_plan_free(p);
    /* 7.0 -> 8.1 passes 7.0.5: the host forces it irreversible (seed 004) */
    p = msm_plan_build(reg, "ms-6.3", "ms-8.1", NULL);
    CU_ASSERT_TRUE(msm_plan_irreversible(p));
    char *t = msm_plan_to_text(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "reversible: NO"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "seed 004"));
    g_free(t);
    msm_plan_free(p);
    /* the plugin's own flag (6.2p3 -> 6.3 on Linux, seed 001) */
    p = msm_plan_build(reg, "ms-6.2p3", "ms-6.3", NULL);
    CU_ASSERT_TRUE(msm_plan_irreversible(p));
    msm_plan_free(p);
    msm_registry_free(reg);
}

static void
test_missing_hop_named(void)
{
    const char *chain = g_getenv("FX_CHAIN_DIR");
    const char *dir = msm_test_tmpdir();
    const char *keep[] = {"fx-sims40", "fx-nms3x", "fx-nms4x", "fx-ims52",
                          "fx-ms60",   "fx-ms62",  "fx-ms7x8x"};
    for (guint i = 0; i < G_N_ELEMENTS(keep); i++) {
        char *src = g_strdup_printf("%s/.libs/%s.so", chain, keep[i]);
        char *dst = g_strdup_printf("%s/%s.so", dir, keep[i]);
        char *data;
        gsize len;
        CU_ASSERT_TRUE_FATAL(g_file_get_contents(src, &data, &len, NULL));
        CU_ASSERT_TRUE_FATAL(g_file_set_contents(dst, data, (gssize)len, NULL));
        chmod(dst, 0644);
        g_free(data);
        g_free(src);
        g_free(dst);
    }
    MsmRegistry *reg = load_dir(dir);
    GError *err = NULL;
    MsmPlan *p = msm_plan_build(reg, "ims-5.2", "ms-8.1", &err);
    CU_ASSERT_PTR_NULL(p);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NO_PATH));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "ms-6.3 -> ms-7.0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "ms7x-8x"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "msmigrate-plugin-ms7x-8x"));
    g_error_free(err);
    msm_registry_free(reg);
}

/* A needed plugin that is installed but broken: the refusal says why it did not load. */
static void
test_needed_plugin_broken(void)
{
    const char *chain = g_getenv("FX_CHAIN_DIR");
    const char *dir = msm_test_tmpdir();
    const char *keep[] = {"fx-ims52", "fx-ms60"};
    for (guint i = 0; i < G_N_ELEMENTS(keep); i++) {
        char *src = g_strdup_printf("%s/.libs/%s.so", chain, keep[i]);
        char *dst = g_strdup_printf("%s/%s.so", dir, keep[i]);
        char *data;
        gsize len;
        CU_ASSERT_TRUE_FATAL(g_file_get_contents(src, &data, &len, NULL));
        CU_ASSERT_TRUE_FATAL(g_file_set_contents(dst, data, (gssize)len, NULL));
        chmod(dst, 0644);
        g_free(data);
        g_free(src);
        g_free(dst);
    }
    /* "ms7x-8x.so" that is not an ms7x-8x plugin (a renamed file: wrong symbol) */
    char *src = g_strdup_printf("%s/.libs/fx-badabi.so", g_getenv("FX_BROKEN_DIR"));
    char *dst = g_strdup_printf("%s/ms7x-8x.so", dir);
    char *data;
    gsize len;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(src, &data, &len, NULL));
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(dst, data, (gssize)len, NULL));
    chmod(dst, 0644);
    g_free(data);
    MsmRegistry *reg = load_dir(dir);
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_plan_build(reg, "ims-5.2", "ms-8.1", &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "ms-6.3 -> ms-7.0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "installed"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, dst));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "no symbol msm_plugin_ms7x_8x_descriptor"));
    g_error_free(err);
    /* a plan that does not need it still works */
    MsmPlan *p = msm_plan_build(reg, "ims-5.2", "ms-6.3", NULL);
    CU_ASSERT_PTR_NOT_NULL(p);
    msm_plan_free(p);
    g_free(src);
    g_free(dst);
    msm_registry_free(reg);
}

static void
test_refusals(void)
{
    MsmRegistry *reg = load_dir(g_getenv("FX_CHAIN_DIR"));
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_plan_build(reg, "ms-8.1", "ims-5.2", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSUPPORTED));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "rollback"));
    g_clear_error(&err);
    CU_ASSERT_PTR_NULL(msm_plan_build(reg, "ms-6.3", "ms-6.3", &err));
    g_clear_error(&err);
    /* with no plugin at all, the first missing hop and its package are named */
    MsmRegistry *empty = msm_registry_new();
    CU_ASSERT_TRUE(msm_registry_load(empty, NULL, FALSE, NULL));
    CU_ASSERT_PTR_NULL(msm_plan_build(empty, "ims-5.2", "ms-8.1", &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "msmigrate-plugin-ims52"));
    g_clear_error(&err);
    msm_registry_free(empty);
    msm_registry_free(reg);
}

static void
test_output_has_preconditions(void)
{
    MsmRegistry *reg = load_dir(g_getenv("FX_CHAIN_DIR"));
    MsmPlan *p = msm_plan_build(reg, "sims-4.0", "ms-8.1", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char *t = msm_plan_to_text(p);
    char *j = msm_plan_to_json(p);
    for (guint i = 0; i < p->steps->len; i++) {
        const MsmHopRef *h = p->steps->pdata[i];
        for (const MsmPrecondition *pc = h->hop->preconditions; pc && pc->id; pc++) {
            char *tag = g_strdup_printf("[%s]", pc->id);
            CU_ASSERT_PTR_NOT_NULL(strstr(t, tag));
            g_free(tag);
            char *jid = g_strdup_printf("\"id\": \"%s\"", pc->id);
            CU_ASSERT_PTR_NOT_NULL(strstr(j, jid));
            g_free(jid);
        }
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "--override queues-empty"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "--confirm direct-ldap"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "5.x/6.x straight to 8.x"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"path\": ["));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"reversible\": false"));
    g_free(t);
    g_free(j);
    msm_plan_free(p);
    msm_registry_free(reg);
}

static void
test_pending_kind(void)
{
    MsmRegistry *reg = load_dir(g_getenv("FX_EXTRA_DIR"));
    MsmPlan *p = msm_plan_build(reg, "ms-8.0", "ms-8.0.1", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char *t = msm_plan_to_text(p);
    char *j = msm_plan_to_json(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "store     NOT YET SUPPORTED: plugin fx-pending"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "store=NOT-YET-SUPPORTED"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"store\": \"pending\""));
    g_free(t);
    g_free(j);
    /* preflight refuses the store, and passes when only the configuration is selected */
    MsmRunOptions o = {0};
    o.source_root = msm_test_tmpdir();
    o.target_root = msm_test_tmpdir();
    MsmRunReport rep = {0};
    GError *err = NULL;
    CU_ASSERT_FALSE(msm_engine_preflight(reg, p, &o, &rep, &err));
    gboolean named = FALSE;
    for (guint i = 0; i < rep.preflight->len; i++) {
        const MsmPreflightItem *it = rep.preflight->pdata[i];
        if (strcmp(it->id, "kind-store") == 0 && strcmp(it->result, "fail") == 0)
            named = strstr(it->detail, "--only") != NULL;
    }
    CU_ASSERT_TRUE(named);
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    o.kinds = 1u << MSM_KIND_CONFIG;
    CU_ASSERT_TRUE(msm_engine_preflight(reg, p, &o, &rep, &err));
    msm_run_report_clear(&rep);
    msm_plan_free(p);
    msm_registry_free(reg);
}

MSM_TEST_MAIN("planner", MSM_TEST(test_paths), MSM_TEST(test_reversibility),
              MSM_TEST(test_missing_hop_named),
              MSM_TEST(test_needed_plugin_broken), MSM_TEST(test_refusals),
              MSM_TEST(test_output_has_preconditions), MSM_TEST(test_pending_kind))
