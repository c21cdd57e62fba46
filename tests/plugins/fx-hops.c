/*
 * NAME
 *	fx-hops.c - test-only hop plugins (built with -rpath /nowhere, never installed)
 * SUMMARY
 *	Compiled once per fixture with -DFX_SET=<n> and -DFX_IDENT/-DFX_NAME: each
 *	build declares the hops of one design plugin (DESIGN §3), with the seeds'
 *	preconditions, and a configuration migrator that really transforms every
 *	file: it appends one line "# msmigrate-fixture <from> -> <to>" per hop,
 *	and its finish() emits a file only the new version has. The engine tests
 *	check both, so a lost, doubled or skipped hop shows.
 * TEST CONTROLS (environment)
 *	FX_SLOW_MS=N     sleep N ms per item (to kill a run half way)
 *	FX_FAIL_KEY=K    fail the item whose key is K (MSM_RESULT_ERROR)
 *	FX_SKIP_KEY=K    skip the item whose key is K (MSM_RESULT_SKIP)
 *	FX_STOP_KEY=K    stop the run at item K (MSM_RESULT_STOP)
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "../../plugins/common/preconditions.h"

#include <string.h>
#include <unistd.h>

static gboolean
env_is(const char *var, const char *key)
{
    const char *v = g_getenv(var);
    return v && strcmp(v, key) == 0;
}

static MsmResult
fx_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    const char *slow = g_getenv("FX_SLOW_MS");
    if (slow)
        g_usleep((gulong)g_ascii_strtoull(slow, NULL, 10) * 1000);
    if (env_is("FX_FAIL_KEY", item->key)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED, "fixture failure asked for %s", item->key);
        return MSM_RESULT_ERROR;
    }
    if (env_is("FX_SKIP_KEY", item->key)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED, "fixture skip asked for %s", item->key);
        return MSM_RESULT_SKIP;
    }
    if (env_is("FX_STOP_KEY", item->key)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED, "fixture stop asked for %s", item->key);
        return MSM_RESULT_STOP;
    }
    MsmConfigFile *cf = item->payload;
    gsize len = 0;
    const char *old = g_bytes_get_data(cf->content, &len);
    GString *s = g_string_new_len(old, (gssize)len);
    g_string_append_printf(s, "# msmigrate-fixture %s -> %s\n", msm_ctx_hop_from(ctx),
                           msm_ctx_hop_to(ctx));
    g_bytes_unref(cf->content);
    cf->content = g_string_free_to_bytes(s);
    return MSM_RESULT_CONTINUE;
}

static gboolean
fx_finish(MsmCtx *ctx, GError **error)
{
    (void)error;
    char *rel = g_strdup_printf("fixture-new-in-%s.txt", msm_ctx_hop_to(ctx));
    char *text = g_strdup_printf("created by the fixture hop %s -> %s\n", msm_ctx_hop_from(ctx),
                                 msm_ctx_hop_to(ctx));
    GBytes *b = g_bytes_new_take(text, strlen(text));
    MsmConfigFile *cf = msm_config_file_new(rel, b);
    g_bytes_unref(b);
    char *key = g_strdup_printf("config/%s", rel);
    msm_ctx_emit(ctx, msm_item_new(MSM_KIND_CONFIG, key, cf));
    g_free(key);
    g_free(rel);
    return TRUE;
}

static const MsmConfigMigrator fx_config = {
    .iface_version = MSM_CONFIG_IFACE_VERSION,
    .struct_size = sizeof(MsmConfigMigrator),
    .transform = fx_transform,
    .finish = fx_finish,
};

#define HOP(f, t, fl, pre, sum)                                                                \
    {.from = f, .to = t, .flags = fl, .preconditions = pre, .summary = sum, .config = &fx_config}
#define HOP_END {.from = NULL}

#if FX_SET == 1 /* sims40 */
static const MsmHop hops[] = {
    HOP("sims-4.0", "ims-5.2", MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST, pre_sims,
        "SIMS 4.0 to iPlanet Messaging Server 5.2 (seed 003: imsdirmig, imbackup | imsrestore)"),
    HOP_END};
#elif FX_SET == 2 /* nms3x */
static const MsmHop hops[] = {
    HOP("nms-3.x", "nms-4.1", MSM_HOP_TARGET_FIRST, pre_nms,
        "NMS 3.x to 4.1 (seed 002: upgrade -s, -m, qconvert)"),
    HOP_END};
#elif FX_SET == 3 /* nms4x */
static const MsmHop hops[] = {
    HOP("nms-4.0", "nms-4.1", MSM_HOP_IN_PLACE, pre_6x, "NMS 4.0 to 4.1 (configuration only)"),
    HOP("nms-4.0", "ims-5.2", MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST, pre_nms,
        "NMS 4.x to iMS 5.2 (seed 003)"),
    HOP("nms-4.1", "ims-5.2", MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST, pre_nms,
        "NMS 4.x to iMS 5.2 (seed 003)"),
    HOP_END};
#elif FX_SET == 4 /* ims52 */
static const MsmHop hops[] = {
    HOP("ims-5.2", "ms-6.0", MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST, pre_52,
        "iMS 5.2 to MS 6.0 (seed 000: UpgradeMsg5toMsg6.pl, do_the_upgrade.sh)"),
    HOP_END};
#elif FX_SET == 5 /* ms60 */
static const MsmHop hops[] = {
    HOP("ms-6.0", "ms-6.3", MSM_HOP_IN_PLACE, pre_6x, "MS 6.0 to 6.3 by patch (seed 001)"),
    HOP("ms-6.1", "ms-6.3", MSM_HOP_IN_PLACE | MSM_HOP_IRREVERSIBLE, pre_6x,
        "MS 6.1 to 6.3 by patch (seed 001; cannot be rolled back on Linux)"),
    HOP_END};
#elif FX_SET == 6 /* ms62 */
static const MsmHop hops[] = {
    HOP("ms-6.2", "ms-6.3", MSM_HOP_IN_PLACE, pre_6x, "MS 6.2 to 6.3 by patch (seed 001)"),
    HOP("ms-6.2p3", "ms-6.3", MSM_HOP_IN_PLACE | MSM_HOP_IRREVERSIBLE, pre_6x,
        "MS 6.2p3 to 6.3 (seed 001; cannot be rolled back on Linux)"),
    HOP_END};
#elif FX_SET == 7 /* the 6.3 -> 7.0 hop of ms7x-8x, alone so a test can leave it out */
static const MsmHop hops[] = {
    HOP("ms-6.3", "ms-7.0", MSM_HOP_IN_PLACE, pre_7x, "MS 6.3 to 7.0"),
    HOP_END};
#elif FX_SET == 8 /* the rest of ms7x-8x */
static const MsmHop hops[] = {
    HOP("ms-7.0", "ms-7.0.5", MSM_HOP_IN_PLACE, pre_7x, "MS 7.0 to 7 Update 5"),
    HOP("ms-7.0", "ms-8.1", MSM_HOP_IN_PLACE, pre_7x, "MS 7.x to 8.1 (seed 004)"),
    HOP("ms-7.0.5", "ms-8.1", MSM_HOP_IN_PLACE, pre_7x, "MS 7.x to 8.1 (seed 004)"),
    HOP("ms-8.0", "ms-8.1", MSM_HOP_IN_PLACE, pre_7x, "MS 8.0 to 8.1 (seed 004)"),
    HOP("ms-8.0.1", "ms-8.1", MSM_HOP_IN_PLACE, pre_7x, "MS 8.0.1 to 8.1 (seed 004)"),
    HOP("ms-8.0.2", "ms-8.1", MSM_HOP_IN_PLACE, pre_7x, "MS 8.0.2 to 8.1 (seed 004)"),
    HOP_END};
#else
#error FX_SET must be 1..8
#endif

/* One more expansion step, so FX_IDENT is replaced before it is pasted. */
#define FX_DEFINE(ident, ...) MSM_PLUGIN_DEFINE(ident, __VA_ARGS__)
FX_DEFINE(FX_IDENT, .name = FX_NAME,
                  .description = "test fixture: hops of the design with a marking config migrator",
                  .version = "0.0-test", .license = "GPL-3.0-or-later",
                  .package = "msmigrate-test-fixtures", .origin = "msmigrate tests/plugins",
                  .hops = hops);
