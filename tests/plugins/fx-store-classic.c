/*
 * NAME
 *	fx-store-classic.c - test-only chain with pass-through store migrators
 * SUMMARY
 *	The fixture chain of tests/plugins/fx-hops.c has no store migrator, so
 *	the engine has nothing to run for the store kind. This single fixture
 *	plugin declares the classic-store hops ims-5.2 -> ms-6.0 -> ms-6.3 ->
 *	ms-7.0 -> ms-8.1 with the seeds' preconditions and a store migrator
 *	that passes every folder through unchanged, so a run reads the source
 *	store with the classic-store codec of the origin version and writes it
 *	with the codec of the destination version (G1 -> G3 in one run). Used
 *	by tests/integration/store-classic-run.sh and tests/bench/store only;
 *	built with -rpath /nowhere, never installed.
 * TEST CONTROLS (environment)
 *	FX_SLOW_MS=N     sleep N ms per folder (to kill a run half way)
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "../../plugins/common/preconditions.h"

static MsmResult
fx_pass(MsmCtx *ctx, MsmItem *item, GError **error)
{
    (void)ctx;
    (void)item;
    (void)error;
    const char *slow = g_getenv("FX_SLOW_MS");
    if (slow)
        g_usleep((gulong)g_ascii_strtoull(slow, NULL, 10) * 1000);
    return MSM_RESULT_CONTINUE;
}

static const MsmStoreMigrator fx_store = {
    .iface_version = MSM_STORE_IFACE_VERSION,
    .struct_size = sizeof(MsmStoreMigrator),
    .transform = fx_pass,
};

#define HOP(f, t, fl, pre, sum)                                                                \
    {.from = f, .to = t, .flags = fl, .preconditions = pre, .summary = sum, .store = &fx_store}

static const MsmHop hops[] = {
    HOP("ims-5.2", "ms-6.0", MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST, pre_52,
        "iMS 5.2 to MS 6.0 (seed 000: the mboxlist database moves to msg_svr_base/data/store)"),
    HOP("ms-6.0", "ms-6.3", MSM_HOP_IN_PLACE, pre_6x, "MS 6.0 to 6.3 (no store format change)"),
    HOP("ms-6.3", "ms-7.0", MSM_HOP_IN_PLACE, pre_7x, "MS 6.3 to 7.0 (no store format change)"),
    HOP("ms-7.0", "ms-8.1", MSM_HOP_IN_PLACE, pre_7x,
        "MS 7.0 to 8.1 (seed 004: the 7.0.5 database and 8.0.1 store data conversions)"),
    {.from = NULL}};

MSM_PLUGIN_DEFINE(fx_store_classic, .name = "fx-store-classic",
                  .description = "test fixture: classic-store hops with pass-through store "
                                 "migrators",
                  .version = "0.0-test", .license = "GPL-3.0-or-later",
                  .package = "msmigrate-test-fixtures", .origin = "msmigrate tests/plugins",
                  .hops = hops);
