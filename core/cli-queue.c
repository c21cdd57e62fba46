/*
 * NAME
 *	cli-queue.c - `msmigrate queue counters`: messages per channel
 * SUMMARY
 *	msmigrate queue counters ROOT [--version V] [--instance NAME] [--json]
 *	reads a deployment's MTA queue through the queue codec its version has
 *	and counts messages per channel, held ones apart, like the
 *	`imsimta qm counters` check the seeds use before SIMS and NMS migrations
 *	("ensure ... that the queues are empty", seed 003). Exit 0 when the
 *	queue is empty, 2 when it holds messages, 1 on error.
 * DIAGNOSTICS
 *	A queue file the codec cannot read is reported with its path and counted
 *	as unreadable; the count goes on.
 */
#include "config.h"

#include "util.h"

#include "cli.h"
#include "ctxpriv.h"
#include "detect.h"
#include "engine.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    guint64 queued;
    guint64 held;
} ChannelCount;

/* Counts the queue of root at version into channels (name -> ChannelCount*). */
static gboolean
count_queue(MsmRegistry *reg, const char *root, const char *version, const char *instance,
            GHashTable *channels, guint64 *unreadable_r, GError **error)
{
    const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_QUEUE, version);
    if (ref == NULL || ref->codec->reader_open == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no queue codec for %s is loaded (see 'msmigrate plugins')", version);
        return FALSE;
    }
    MsmCtx *ctx = msm_ctx_new();
    ctx->source_root = g_strdup(root);
    ctx->run_from = g_strdup(version);
    ctx->run_to = g_strdup(version);
    ctx->instance = g_strdup(instance);
    ctx->registry = reg;
    ctx->quiet = TRUE;
    gboolean ok = FALSE;
    ctx->source_layout = msm_layout_resolve(root, version, instance, error);
    gpointer r = ctx->source_layout ? ref->codec->reader_open(ctx, root, version, error) : NULL;
    if (r == NULL)
        goto out;
    for (;;) {
        MsmItem *item = NULL;
        GError *err = NULL;
        if (!ref->codec->reader_next(r, &item, &err)) {
            if (!msm_reader_error_is_per_entry(err) || *unreadable_r >= 100000) {
                g_propagate_error(error, err);
                ref->codec->reader_close(r);
                goto out;
            }
            /* a file the codec cannot parse: report it and go on with the next */
            fprintf(stderr, "msmigrate: queue counters: %s\n", err->message);
            g_error_free(err);
            (*unreadable_r)++;
            continue;
        }
        if (item == NULL)
            break;
        const MsmQueuedMessage *q = item->payload;
        ChannelCount *c = g_hash_table_lookup(channels, q->channel);
        if (c == NULL) {
            c = g_new0(ChannelCount, 1);
            g_hash_table_insert(channels, g_strdup(q->channel), c);
        }
        if (q->held)
            c->held++;
        else
            c->queued++;
        msm_item_free(item);
    }
    ref->codec->reader_close(r);
    ok = TRUE;
out:
    msm_ctx_free(ctx);
    return ok;
}

/* `queue counters`. */
static int
queue_counters(int argc, char **argv)
{
    CliCommon common = {0};
    char *version = NULL, *instance = NULL;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    MsmDetection *det = NULL;
    GError *err = NULL;
    GHashTable *channels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const GOptionEntry entries[] = {
        {"version", 0, 0, G_OPTION_ARG_STRING, &version,
         "The deployment's version (default: detected)", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "The instance when the server root has several", "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "queue counters", "ROOT",
                   "Count the messages in a deployment's MTA queue per channel, held ones "
                   "apart (imsimta qm counters). Exit 0 when the queue is empty, 2 when it "
                   "holds messages.",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: queue counters: name one deployment root\n");
        goto out;
    }
    const char *root = argv[1];
    const char *id = NULL;
    if (version) {
        if ((id = cli_version(version, "queue counters --version")) == NULL)
            goto out;
    } else {
        det = msm_detect(root, &err);
        if (det == NULL || (id = msm_detection_pick(det, NULL, &err)) == NULL) {
            cli_error("queue counters", err);
            goto out;
        }
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("queue counters", err);
        goto out;
    }
    guint64 unreadable = 0;
    if (!count_queue(reg, root, id, instance, channels, &unreadable, &err)) {
        cli_error("queue counters", err);
        goto out;
    }
    GPtrArray *names = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, channels);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(names, key);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    guint64 queued = 0, held = 0;
    MsmJson *j = common.json ? msm_json_new(TRUE) : NULL;
    if (j) {
        msm_json_begin_object(j);
        msm_json_kv_string(j, "root", root);
        msm_json_kv_string(j, "version", id);
        msm_json_key(j, "channels");
        msm_json_begin_array(j);
    } else {
        printf("%-24s %10s %10s\n", "channel", "queued", "held");
    }
    for (guint i = 0; i < names->len; i++) {
        const ChannelCount *c = g_hash_table_lookup(channels, names->pdata[i]);
        queued += c->queued;
        held += c->held;
        if (j) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "channel", names->pdata[i]);
            msm_json_kv_int(j, "queued", (gint64)c->queued);
            msm_json_kv_int(j, "held", (gint64)c->held);
            msm_json_end_object(j);
        } else {
            printf("%-24s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT "\n",
                   (const char *)names->pdata[i], c->queued, c->held);
        }
    }
    if (j) {
        msm_json_end_array(j);
        msm_json_kv_int(j, "queued", (gint64)queued);
        msm_json_kv_int(j, "held", (gint64)held);
        msm_json_kv_int(j, "unreadable", (gint64)unreadable);
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        fputs(out, stdout);
        g_free(out);
    } else {
        printf("%-24s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT "\n", "total", queued, held);
        if (unreadable)
            printf("%" G_GUINT64_FORMAT " queue file(s) could not be read (see above)\n",
                   unreadable);
    }
    g_ptr_array_unref(names);
    rc = (queued + held + unreadable) ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
out:
    g_hash_table_unref(channels);
    g_clear_error(&err);
    if (det)
        msm_detection_free(det);
    msm_registry_free(reg);
    g_free(version);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}

int
cli_queue(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "counters") == 0)
        return queue_counters(argc - 1, argv + 1);
    fprintf(stderr, "Usage: msmigrate queue counters ROOT [--version V] [--json]\n"
                    "  counters  messages per channel in the MTA queue, held ones apart\n");
    return (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
               ? MSM_EXIT_OK
               : MSM_EXIT_FAILED;
}
