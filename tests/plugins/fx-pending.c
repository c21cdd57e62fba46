/*
 * NAME
 *	fx-pending.c - test-only plugin whose hop migrates the configuration and
 *	declares the store pending (the vendor migrates it, this plugin not yet)
 * SUMMARY
 *	Declares ms-8.0 -> ms-8.0.1. The plan must show the store as not yet
 *	supported, and preflight must refuse a run that selects the store.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

static MsmResult
keep(MsmCtx *ctx, MsmItem *item, GError **error)
{
    (void)ctx;
    (void)item;
    (void)error;
    return MSM_RESULT_CONTINUE;
}

static const MsmConfigMigrator cfg = {
    .iface_version = MSM_CONFIG_IFACE_VERSION,
    .struct_size = sizeof(MsmConfigMigrator),
    .transform = keep,
};

static const MsmHop hops[] = {
    {.from = "ms-8.0", .to = "ms-8.0.1", .config = &cfg, .pending_kinds = 1u << MSM_KIND_STORE,
     .summary = "test: configuration only so far"},
    {.from = NULL},
};

MSM_PLUGIN_DEFINE(fx_pending, .name = "fx-pending",
                  .description = "test fixture: a hop with a pending kind", .version = "0",
                  .license = "GPL-3.0-or-later", .hops = hops);
