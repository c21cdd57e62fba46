/*
 * NAME
 *	test-loader.c - plugin loading: good fixtures, every broken case, search order
 */
#include "config.h"

#include "testutil.h"

#include "registry.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *
env_dir(const char *var)
{
    const char *d = g_getenv(var);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    return d;
}

static MsmRegistry *
load(const char *dir1, const char *dir2)
{
    const char *dirs[3] = {dir1, dir2, NULL};
    MsmRegistry *reg = msm_registry_new();
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(msm_registry_load(reg, dirs, FALSE, &err));
    return reg;
}

static const MsmBrokenPlugin *
broken(MsmRegistry *reg, const char *name)
{
    return msm_registry_find_broken(reg, name);
}

/* Copies the built shared object of a fixture into dir (returns the new path). */
static char *
copy_so(const char *fixture_dir, const char *name, const char *dir, guint mode)
{
    char *src = g_strdup_printf("%s/.libs/%s.so", fixture_dir, name);
    char *dst = g_strdup_printf("%s/%s.so", dir, name);
    char *data = NULL;
    gsize len = 0;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(src, &data, &len, NULL));
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(dst, data, (gssize)len, NULL));
    CU_ASSERT_EQUAL(chmod(dst, mode), 0);
    g_free(data);
    g_free(src);
    return dst;
}

static void
test_chain_loads(void)
{
    MsmRegistry *reg = load(env_dir("FX_CHAIN_DIR"), NULL);
    CU_ASSERT_EQUAL(msm_registry_broken(reg)->len, 0);
    /* 8 fixtures + core */
    CU_ASSERT_EQUAL(msm_registry_plugins(reg)->len, 9);
    CU_ASSERT_EQUAL(msm_registry_hops(reg)->len, 17);
    CU_ASSERT_PTR_NOT_NULL(msm_registry_find_hop(reg, "ims-5.2", "ms-6.0"));
    CU_ASSERT_PTR_NOT_NULL(msm_registry_find_hop(reg, "ms-8.0.2", "ms-8.1"));
    CU_ASSERT_PTR_NULL(msm_registry_find_hop(reg, "ims-5.2", "ms-8.1"));
    /* core's configuration codec serves every version */
    CU_ASSERT_PTR_NOT_NULL(msm_registry_find_codec(reg, MSM_KIND_CONFIG, "sims-4.0"));
    CU_ASSERT_PTR_NOT_NULL(msm_registry_find_codec(reg, MSM_KIND_CONFIG, "ms-8.1"));
    msm_registry_free(reg);
}

static void
test_broken_each_reported_once(void)
{
    MsmRegistry *reg = load(env_dir("FX_BROKEN_DIR"), NULL);
    GPtrArray *b = msm_registry_broken(reg);
    CU_ASSERT_EQUAL(b->len, 5);
    const MsmBrokenPlugin *x;
    CU_ASSERT_PTR_NOT_NULL_FATAL(x = broken(reg, "fx-nosym"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "no symbol msm_plugin_fx_nosym_descriptor"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->path, "fx-nosym"));
    CU_ASSERT_TRUE(strlen(x->fix) > 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x = broken(reg, "fx-badabi"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "ABI 999"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->fix, "msmigrate-abi-1"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(x = broken(reg, "fx-nolicense"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "no license"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(x = broken(reg, "fx-initfail"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "no licence key"));
    CU_ASSERT_PTR_NOT_NULL_FATAL(x = broken(reg, "fx-dupb"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "ms-6.0 -> ms-6.1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "fx-dupa"));
    /* dupa itself is fine; so is fx-direct, whose unsupported hop is refused */
    CU_ASSERT_TRUE(msm_registry_has_plugin(reg, "fx-dupa"));
    CU_ASSERT_TRUE(msm_registry_has_plugin(reg, "fx-direct"));
    CU_ASSERT_PTR_NULL(msm_registry_find_hop(reg, "ms-6.3", "ms-8.1"));
    GPtrArray *refused = msm_registry_refused_hops(reg);
    CU_ASSERT_EQUAL_FATAL(refused->len, 1);
    const MsmRefusedHop *r = refused->pdata[0];
    CU_ASSERT_STRING_EQUAL(r->from, "ms-6.3");
    CU_ASSERT_PTR_NOT_NULL(strstr(r->reason, "7"));
    msm_registry_free(reg);
}

static void
test_writable_refused(void)
{
    const char *dir = msm_test_tmpdir();
    char *p = copy_so(env_dir("FX_CHAIN_DIR"), "fx-ims52", dir, 0666);
    MsmRegistry *reg = load(dir, NULL);
    const MsmBrokenPlugin *b = broken(reg, "fx-ims52");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_NOT_NULL(strstr(b->reason, "writable by group or others"));
    CU_ASSERT_PTR_NOT_NULL(strstr(b->fix, "chmod go-w"));
    CU_ASSERT_FALSE(msm_registry_has_plugin(reg, "fx-ims52"));
    msm_registry_free(reg);
    /* the same file with safe permissions loads */
    CU_ASSERT_EQUAL(chmod(p, 0644), 0);
    reg = load(dir, NULL);
    CU_ASSERT_TRUE(msm_registry_has_plugin(reg, "fx-ims52"));
    CU_ASSERT_EQUAL(msm_registry_broken(reg)->len, 0);
    msm_registry_free(reg);
    g_free(p);
}

static void
test_first_in_path_wins(void)
{
    const char *dir = msm_test_tmpdir();
    g_free(copy_so(env_dir("FX_CHAIN_DIR"), "fx-ims52", dir, 0644));
    MsmRegistry *reg = load(dir, env_dir("FX_CHAIN_DIR"));
    const MsmHopRef *h = msm_registry_find_hop(reg, "ims-5.2", "ms-6.0");
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    CU_ASSERT_TRUE(g_str_has_prefix(h->plugin->path, dir));
    /* the second copy is neither loaded twice nor reported broken */
    CU_ASSERT_EQUAL(msm_registry_broken(reg)->len, 0);
    msm_registry_free(reg);
}

static void
test_env_path_ignored_when_privileged(void)
{
    const char *dir = msm_test_tmpdir();
    g_free(copy_so(env_dir("FX_CHAIN_DIR"), "fx-ims52", dir, 0644));
    g_setenv("MSMIGRATE_PLUGIN_PATH", dir, TRUE);
    MsmRegistry *reg = load(NULL, NULL);
    gboolean privileged = geteuid() == 0;
    CU_ASSERT_EQUAL(msm_registry_has_plugin(reg, "fx-ims52"), !privileged);
    GPtrArray *sp = msm_registry_search_path(reg);
    gboolean listed = FALSE;
    for (guint i = 0; i < sp->len; i++)
        listed |= strcmp(sp->pdata[i], dir) == 0;
    CU_ASSERT_EQUAL(listed, !privileged);
    g_unsetenv("MSMIGRATE_PLUGIN_PATH");
    msm_registry_free(reg);
}

static void
test_symbol_name(void)
{
    char *s = msm_plugin_symbol_name("ms7x-8x");
    CU_ASSERT_STRING_EQUAL(s, "ms7x_8x");
    g_free(s);
    s = msm_plugin_symbol_name("zfs-snapshot-rollback");
    CU_ASSERT_STRING_EQUAL(s, "zfs_snapshot_rollback");
    g_free(s);
}

static MsmResult
noop(MsmCtx *c, MsmItem *i, GError **e)
{
    (void)c;
    (void)i;
    (void)e;
    return MSM_RESULT_CONTINUE;
}

static void
test_validate_rejects(void)
{
    static const MsmConfigMigrator old_iface = {.iface_version = 99,
                                                .struct_size = sizeof(MsmConfigMigrator),
                                                .transform = noop};
    static const MsmConfigMigrator ok_iface = {.iface_version = MSM_CONFIG_IFACE_VERSION,
                                               .struct_size = sizeof(MsmConfigMigrator),
                                               .transform = noop};
    static const MsmHop bad_iface[] = {{.from = "ms-6.0", .to = "ms-6.3", .config = &old_iface},
                                       {.from = NULL}};
    static const MsmHop bad_version[] = {{.from = "ms-6.0", .to = "ms-9.9", .config = &ok_iface},
                                         {.from = NULL}};
    static const MsmHop no_migrator[] = {{.from = "ms-6.0", .to = "ms-6.3"}, {.from = NULL}};
    MsmPluginDescriptor d = {.abi_version = MSM_ABI_VERSION,
                             .struct_size = sizeof(MsmPluginDescriptor),
                             .name = "x",
                             .description = "d",
                             .version = "1",
                             .license = "MIT"};
    char *reason = NULL, *fix = NULL;
    CU_ASSERT_FALSE(msm_descriptor_validate(&d, "x", &reason, &fix)); /* provides nothing */
    g_clear_pointer(&reason, g_free);
    g_clear_pointer(&fix, g_free);
    d.hops = bad_iface;
    CU_ASSERT_FALSE(msm_descriptor_validate(&d, "x", &reason, &fix));
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "interface version 99"));
    g_clear_pointer(&reason, g_free);
    g_clear_pointer(&fix, g_free);
    d.hops = bad_version;
    CU_ASSERT_FALSE(msm_descriptor_validate(&d, "x", &reason, &fix));
    g_clear_pointer(&reason, g_free);
    g_clear_pointer(&fix, g_free);
    d.hops = no_migrator;
    CU_ASSERT_FALSE(msm_descriptor_validate(&d, "x", &reason, &fix));
    CU_ASSERT_PTR_NOT_NULL(strstr(reason, "no migrator"));
    g_clear_pointer(&reason, g_free);
    g_clear_pointer(&fix, g_free);
    d.hops = bad_iface;
    d.hops = NULL;
    static const MsmHop good[] = {{.from = "ms-6.0", .to = "ms-6.3", .config = &ok_iface},
                                  {.from = NULL}};
    d.hops = good;
    CU_ASSERT_TRUE(msm_descriptor_validate(&d, "x", &reason, &fix));
    CU_ASSERT_FALSE(msm_descriptor_validate(&d, "y", &reason, &fix)); /* name != file */
    g_free(reason);
    g_free(fix);
}

MSM_TEST_MAIN("loader", MSM_TEST(test_chain_loads), MSM_TEST(test_broken_each_reported_once),
              MSM_TEST(test_writable_refused), MSM_TEST(test_first_in_path_wins),
              MSM_TEST(test_env_path_ignored_when_privileged), MSM_TEST(test_symbol_name),
              MSM_TEST(test_validate_rejects))
