/*
 * NAME
 *	fx-queue.c - test-only plugin: every hop of the design with a queue migrator
 * SUMMARY
 *	Built as tests/plugins/queue/fx-queue.la (-rpath /nowhere, never
 *	installed) for the queue tests. Each hop's queue migrator is core's
 *	msm_queue_channel_migrator (channel renames only: what the real
 *	plugins' hops point .queue at); the SIMS and NMS
 *	hops carry seed 003's queues-empty precondition (overridable: the
 *	queue migrator converts the messages instead). The plugin brings the
 *	NMS 3.x queue codec (plugins/nms3x/codec-nms3-queue.c), as nms3x will.
 * TEST CONTROLS (environment)
 *	FX_SLOW_MS=N   sleep N ms per queued message (to kill a conversion half way)
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "queue-rename.h"

#include <string.h>

const MsmCodec *nms3x_queue_codec(void);

/* core's channel migrator (what the real plugins point .queue at), slowed down on demand */
static MsmResult
fxq_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    const char *slow = g_getenv("FX_SLOW_MS");
    if (slow)
        g_usleep((gulong)g_ascii_strtoull(slow, NULL, 10) * 1000);
    return msm_queue_channel_migrator.transform(ctx, item, error);
}

static const MsmQueueMigrator fxq_queue = {
    .iface_version = MSM_QUEUE_IFACE_VERSION,
    .struct_size = sizeof(MsmQueueMigrator),
    .transform = fxq_transform,
};

static const MsmPrecondition pre_queues[] = {
    {.id = "queues-empty",
     .text = "All messages in the MTA queues are processed and the queues are empty",
     .source = "seed 003, step 3 of every SIMS and NMS scenario",
     .override = "the queue migrator converts queued messages instead",
     .check = msm_check_queues_empty},
    {.id = NULL}};

#define HOP(f, t, pre)                                                                             \
    {                                                                                              \
        .from = f, .to = t, .preconditions = pre, .summary = "fixture", .queue = &fxq_queue        \
    }

static const MsmHop hops[] = {
    HOP("sims-4.0", "ims-5.2", pre_queues), HOP("nms-3.x", "nms-4.1", pre_queues),
    HOP("nms-4.0", "nms-4.1", NULL),        HOP("nms-4.0", "ims-5.2", pre_queues),
    HOP("nms-4.1", "ims-5.2", pre_queues),  HOP("ims-5.2", "ms-6.0", NULL),
    HOP("ms-6.0", "ms-6.3", NULL),          HOP("ms-6.3", "ms-7.0", NULL),
    HOP("ms-7.0", "ms-8.1", NULL),          {.from = NULL}};

static const MsmCodec *codecs[2];

static gboolean
fxq_init(GError **error)
{
    (void)error;
    codecs[0] = nms3x_queue_codec();
    codecs[1] = NULL;
    return TRUE;
}

MSM_PLUGIN_DEFINE(fx_queue, .name = "fx-queue",
                  .description = "test fixture: every hop with a channel-renaming queue migrator",
                  .version = "0.0-test", .license = "GPL-3.0-or-later",
                  .package = "msmigrate-test-fixtures", .origin = "msmigrate tests/plugins",
                  .hops = hops, .codecs = codecs, .init = fxq_init);
