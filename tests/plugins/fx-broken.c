/*
 * NAME
 *	fx-broken.c - test-only broken plugins, one per failure the loader must report
 * SUMMARY
 *	Built with -DFX_BROKEN=<case>:
 *	  nosym     exports no descriptor symbol
 *	  badabi    abi_version 999
 *	  nolicense descriptor without a license (a mandatory field)
 *	  initfail  init() returns FALSE with a message
 *	  dupa/dupb both declare ms-6.0 -> ms-6.1 (dupa loads first, dupb is refused)
 *	  direct    declares ms-6.3 -> ms-8.1, which the vendor does not support
 *	            (seed 004): loaded, but the hop is refused
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#define CASE_nosym 1
#define CASE_badabi 2
#define CASE_nolicense 3
#define CASE_initfail 4
#define CASE_dupa 5
#define CASE_dupb 6
#define CASE_direct 7
#define CAT(a, b) a##b
#define CASE(x) CAT(CASE_, x)

G_GNUC_UNUSED static MsmResult
keep(MsmCtx *ctx, MsmItem *item, GError **error)
{
    (void)ctx;
    (void)item;
    (void)error;
    return MSM_RESULT_CONTINUE;
}

G_GNUC_UNUSED static const MsmConfigMigrator cfg = {
    .iface_version = MSM_CONFIG_IFACE_VERSION,
    .struct_size = sizeof(MsmConfigMigrator),
    .transform = keep,
};

#if CASE(FX_BROKEN) == CASE_nosym
MSM_PLUGIN_EXPORT int fx_not_a_descriptor(void);
int
fx_not_a_descriptor(void)
{
    return 42;
}
#elif CASE(FX_BROKEN) == CASE_badabi
static const MsmHop hops[] = {{.from = "ms-6.0", .to = "ms-6.1", .config = &cfg}, {.from = NULL}};
MSM_PLUGIN_EXPORT extern const MsmPluginDescriptor msm_plugin_fx_badabi_descriptor;
const MsmPluginDescriptor msm_plugin_fx_badabi_descriptor = {
    .abi_version = 999,
    .struct_size = sizeof(MsmPluginDescriptor),
    .name = "fx-badabi",
    .description = "test fixture: built for another ABI",
    .version = "0",
    .license = "GPL-3.0-or-later",
    .hops = hops,
};
#elif CASE(FX_BROKEN) == CASE_nolicense
static const MsmHop hops[] = {{.from = "ms-6.0", .to = "ms-6.1", .config = &cfg}, {.from = NULL}};
MSM_PLUGIN_DEFINE(fx_nolicense, .name = "fx-nolicense",
                  .description = "test fixture: no license", .version = "0", .hops = hops);
#elif CASE(FX_BROKEN) == CASE_initfail
static gboolean
fail_init(GError **error)
{
    g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED, "fixture refuses to start: no licence key");
    return FALSE;
}
static const MsmHop hops[] = {{.from = "ms-6.1", .to = "ms-6.2", .config = &cfg}, {.from = NULL}};
MSM_PLUGIN_DEFINE(fx_initfail, .name = "fx-initfail", .description = "test fixture: init fails",
                  .version = "0", .license = "GPL-3.0-or-later", .hops = hops,
                  .init = fail_init);
#elif CASE(FX_BROKEN) == CASE_dupa || CASE(FX_BROKEN) == CASE_dupb
static const MsmHop hops[] = {{.from = "ms-6.0", .to = "ms-6.1", .config = &cfg}, {.from = NULL}};
#if CASE(FX_BROKEN) == CASE_dupa
MSM_PLUGIN_DEFINE(fx_dupa, .name = "fx-dupa", .description = "test fixture: hop declared twice (a)",
                  .version = "0", .license = "GPL-3.0-or-later", .hops = hops);
#else
MSM_PLUGIN_DEFINE(fx_dupb, .name = "fx-dupb", .description = "test fixture: hop declared twice (b)",
                  .version = "0", .license = "GPL-3.0-or-later", .hops = hops);
#endif
#elif CASE(FX_BROKEN) == CASE_direct
static const MsmHop hops[] = {{.from = "ms-6.3", .to = "ms-8.1", .config = &cfg}, {.from = NULL}};
MSM_PLUGIN_DEFINE(fx_direct, .name = "fx-direct",
                  .description = "test fixture: an unsupported direct hop", .version = "0",
                  .license = "GPL-3.0-or-later", .hops = hops);
#else
#error unknown FX_BROKEN case
#endif
