/*
 * NAME
 *	queue-rename.c - channel renames along the chain, and shared queue
 *	operations (count, walk, held, envelope comparison)
 * SUMMARY
 *	Implements queue-rename.h with the rules of
 *	docs/formats/queue-channels.md: the store delivery channel of SIMS 4.0
 *	(sims-ms) and of NMS 3.x/4.x (local, a model) becomes ims-ms when a
 *	message crosses into iMS 5.2 or later; every other channel keeps its
 *	name. The walking helpers read a queue through the registry's queue
 *	codec for the version, one message at a time (memory stays bounded).
 * DIAGNOSTICS
 *	See queue-rename.h ERRORS. Unreadable queue files are counted and
 *	named, never fatal: `queue counters` and the queues-empty check report
 *	them with their paths.
 */
#include "config.h"

#include "queue-rename.h"

#include "ctxpriv.h"
#include "engine.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- renames ---- */

/* TRUE for iMS 5.2 and every later version (the PMDF-lineage MTA of iMS). */
static gboolean
is_ims_or_later(const char *v)
{
    return v && msm_version_is_known(v) && msm_version_compare(v, "ims-5.2") >= 0;
}

const char *
msm_queue_channel_rename(const char *from_version, const char *to_version, const char *channel)
{
    if (channel == NULL || from_version == NULL || to_version == NULL)
        return channel;
    const char *fam = msm_version_family(from_version);
    if (fam == NULL || !is_ims_or_later(to_version) || is_ims_or_later(from_version))
        return channel;
    /* sims-4.0 -> iMS: the store channel became ims-ms (facts 3.1, seed 003 imsrestore) */
    if (strcmp(fam, "sims") == 0 && strcmp(channel, "sims-ms") == 0)
        return "ims-ms";
    /* NMS 3.x/4.x -> iMS: NMS delivered to its store through "local" (model) */
    if (strcmp(fam, "nms") == 0 && strcmp(channel, "local") == 0)
        return "ims-ms";
    return channel;
}

/* The channel rename of one hop, in place. */
static MsmResult
channel_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    if (item == NULL || item->kind != MSM_KIND_QUEUE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the queue channel migrator was given an item that is not a queued "
                    "message (%s)",
                    item && item->key ? item->key : "no key");
        return MSM_RESULT_ERROR;
    }
    MsmQueuedMessage *q = item->payload;
    const char *c =
        msm_queue_channel_rename(msm_ctx_hop_from(ctx), msm_ctx_hop_to(ctx), q->channel);
    if (c != q->channel && strcmp(c, q->channel) != 0) {
        char *n = g_strdup(c);
        g_free(q->channel);
        q->channel = n;
    }
    return MSM_RESULT_CONTINUE;
}

const MsmQueueMigrator msm_queue_channel_migrator = {
    .iface_version = MSM_QUEUE_IFACE_VERSION,
    .struct_size = sizeof(MsmQueueMigrator),
    .transform = channel_transform,
};

const char *
msm_queue_store_channel(const char *version)
{
    const char *fam = version ? msm_version_family(version) : NULL;
    if (fam == NULL)
        return NULL;
    if (strcmp(fam, "sims") == 0)
        return "sims-ms";
    if (strcmp(fam, "nms") == 0)
        return "local";
    return "ims-ms";
}

/* ---- walking a queue ---- */

gboolean
msm_queue_walk(MsmRegistry *reg, const MsmCodec *codec, const char *root, const char *version,
               const char *instance, MsmQueueFunc func, MsmQueueErrorFunc on_error,
               gpointer user_data, GError **error)
{
    MsmCtx *ctx = msm_ctx_new();
    ctx->source_root = g_strdup(root);
    ctx->target_root = g_strdup(root);
    ctx->run_from = g_strdup(version);
    ctx->run_to = g_strdup(version);
    ctx->instance = g_strdup(instance);
    ctx->registry = reg;
    ctx->quiet = TRUE;
    gboolean ok = FALSE;
    ctx->source_layout = msm_layout_resolve(root, version, instance, error);
    gpointer r = ctx->source_layout ? codec->reader_open(ctx, root, version, error) : NULL;
    if (r == NULL)
        goto out;
    for (;;) {
        MsmItem *item = NULL;
        GError *err = NULL;
        if (!codec->reader_next(r, &item, &err)) {
            if (!on_error(err, user_data, error)) {
                codec->reader_close(r);
                goto out;
            }
            continue;
        }
        if (item == NULL)
            break;
        if (!func(item, user_data, error)) {
            codec->reader_close(r);
            goto out;
        }
    }
    codec->reader_close(r);
    ok = TRUE;
out:
    msm_ctx_free(ctx);
    return ok;
}

typedef struct {
    const char *root, *version;
    MsmQueueFunc func;
    gpointer user_data;
    guint64 bad;
    GPtrArray *problems;
} Foreach;

static gboolean
foreach_item(MsmItem *item, gpointer data, GError **error)
{
    Foreach *f = data;
    return f->func(item, f->user_data, error);
}

/* A file the codec cannot parse is counted and its message kept; any other
 * error stops the walk. */
static gboolean
foreach_error(GError *err, gpointer data, GError **error)
{
    Foreach *f = data;
    if (!msm_reader_error_is_per_entry(err) || f->bad >= 100000) {
        g_propagate_prefixed_error(error, err, "reading the queue of %s (%s): ", f->root,
                                   f->version);
        return FALSE;
    }
    f->bad++;
    if (f->problems && f->problems->len < 100)
        g_ptr_array_add(f->problems, g_strdup(err->message));
    g_error_free(err);
    return TRUE;
}

gboolean
msm_queue_foreach(MsmRegistry *reg, const char *root, const char *version, const char *instance,
                  MsmQueueFunc func, gpointer user_data, guint64 *unreadable_r, GPtrArray *problems,
                  GError **error)
{
    const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_QUEUE, version);
    if (ref == NULL || ref->codec->reader_open == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no queue codec for %s is loaded: install the plugin of that version (see "
                    "'msmigrate plugins')",
                    version);
        return FALSE;
    }
    Foreach f = {root, version, func, user_data, 0, problems};
    if (!msm_queue_walk(reg, ref->codec, root, version, instance, foreach_item, foreach_error, &f,
                        error))
        return FALSE;
    if (unreadable_r)
        *unreadable_r += f.bad;
    return TRUE;
}

gboolean
msm_queue_is_held(const MsmQueuedMessage *q)
{
    return q->held || (q->channel && strcmp(q->channel, "hold") == 0);
}

void
msm_queue_counts_free(MsmQueueCounts *c)
{
    if (c == NULL)
        return;
    g_ptr_array_unref(c->channels);
    g_array_unref(c->queued);
    g_array_unref(c->held);
    g_ptr_array_unref(c->problems);
    g_free(c);
}

/* Counts one message into the hash table channel -> guint64[2]. */
static gboolean
count_cb(MsmItem *item, gpointer user_data, GError **error)
{
    (void)error;
    GHashTable *t = user_data;
    const MsmQueuedMessage *q = item->payload;
    guint64 *c = g_hash_table_lookup(t, q->channel);
    if (c == NULL) {
        c = g_new0(guint64, 2);
        g_hash_table_insert(t, g_strdup(q->channel), c);
    }
    c[msm_queue_is_held(q) ? 1 : 0]++;
    msm_item_free(item);
    return TRUE;
}

gboolean
msm_queue_count(MsmRegistry *reg, const char *root, const char *version, const char *instance,
                MsmQueueCounts **counts_r, GError **error)
{
    GHashTable *t = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    MsmQueueCounts *c = g_new0(MsmQueueCounts, 1);
    c->channels = g_ptr_array_new_with_free_func(g_free);
    c->queued = g_array_new(FALSE, TRUE, sizeof(guint64));
    c->held = g_array_new(FALSE, TRUE, sizeof(guint64));
    c->problems = g_ptr_array_new_with_free_func(g_free);
    if (!msm_queue_foreach(reg, root, version, instance, count_cb, t, &c->unreadable, c->problems,
                           error)) {
        g_hash_table_unref(t);
        msm_queue_counts_free(c);
        return FALSE;
    }
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(c->channels, g_strdup(key));
    g_ptr_array_sort(c->channels, msm_strcmp_ptr);
    for (guint i = 0; i < c->channels->len; i++) {
        const guint64 *n = g_hash_table_lookup(t, c->channels->pdata[i]);
        g_array_append_val(c->queued, n[0]);
        g_array_append_val(c->held, n[1]);
        c->total_queued += n[0];
        c->total_held += n[1];
    }
    g_hash_table_unref(t);
    *counts_r = c;
    return TRUE;
}

char *
msm_queue_counts_summary(const MsmQueueCounts *c)
{
    guint64 total = c->total_queued + c->total_held;
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "%" G_GUINT64_FORMAT " message%s in %u channel%s (", total,
                           total == 1 ? "" : "s", c->channels->len,
                           c->channels->len == 1 ? "" : "s");
    for (guint i = 0; i < c->channels->len; i++)
        g_string_append_printf(
            s, "%s%s: %" G_GUINT64_FORMAT, i ? ", " : "", (const char *)c->channels->pdata[i],
            g_array_index(c->queued, guint64, i) + g_array_index(c->held, guint64, i));
    g_string_append_printf(s, "%s%" G_GUINT64_FORMAT " held)", c->channels->len ? "; " : "",
                           c->total_held);
    if (c->unreadable)
        g_string_append_printf(s,
                               ", and %" G_GUINT64_FORMAT " queue file%s msmigrate cannot "
                               "read",
                               c->unreadable, c->unreadable == 1 ? "" : "s");
    return g_string_free(s, FALSE);
}

/* ---- users and envelopes ---- */

/* TRUE when address (possibly "<...>", or a store routing form) is user@domain. */
static gboolean
address_is(const char *address, const char *user, const char *domain)
{
    if (address == NULL)
        return FALSE;
    char *a = g_strstrip(g_strdup(address));
    gsize len = strlen(a);
    if (len >= 2 && a[0] == '<' && a[len - 1] == '>') {
        memmove(a, a + 1, len - 2);
        a[len - 2] = '\0';
    }
    char *at = strrchr(a, '@');
    char *local = a, *dom = NULL;
    if (at) {
        *at = '\0';
        dom = at + 1;
        /* "user?domain@sims-ms-daemon" and "user@ims-ms-daemon" routing forms */
        if (g_str_has_suffix(dom, "-daemon")) {
            char *q = strchr(local, '?');
            if (q) {
                *q = '\0';
                dom = q + 1;
            } else {
                dom = NULL;
            }
        }
    }
    gboolean ok = g_ascii_strcasecmp(local, user) == 0 &&
                  (domain == NULL || (dom != NULL && g_ascii_strcasecmp(dom, domain) == 0));
    g_free(a);
    return ok;
}

gboolean
msm_queue_for_user(const MsmQueuedMessage *q, const char *user, const char *domain)
{
    for (guint i = 0; q->recipients && i < q->recipients->len; i++) {
        const MsmRecipient *r = q->recipients->pdata[i];
        if (address_is(r->address, user, domain))
            return TRUE;
    }
    return FALSE;
}

char *
msm_queue_envelope_string(const MsmQueuedMessage *q, const char *channel)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s,
                           "channel=%s from=<%s> attempts=%u held=%s created=%" G_GINT64_FORMAT
                           " last=%" G_GINT64_FORMAT " to=",
                           channel ? channel : q->channel, q->sender ? q->sender : "", q->attempts,
                           q->held ? "yes" : "no", q->created, q->last_attempt);
    for (guint i = 0; q->recipients && i < q->recipients->len; i++) {
        const MsmRecipient *r = q->recipients->pdata[i];
        g_string_append_printf(s, "%s<%s>", i ? "," : "", r->address ? r->address : "");
        if (r->original)
            g_string_append_printf(s, "(orcpt=%s)", r->original);
        if (r->notify)
            g_string_append_printf(s, "(notify=%u)", (unsigned)r->notify);
    }
    return g_string_free(s, FALSE);
}

/* ---- waiting for the queue to drain ---- */

gboolean
msm_queue_wait_drained(MsmRegistry *reg, const char *root, const char *version,
                       const char *instance, guint timeout_s, guint interval_ms,
                       gboolean *drained_r, GError **error)
{
    gint64 start = g_get_monotonic_time();
    gboolean tty = isatty(2);
    *drained_r = FALSE;
    for (;;) {
        MsmQueueCounts *c = NULL;
        if (!msm_queue_count(reg, root, version, instance, &c, error)) {
            if (tty)
                fputc('\n', stderr);
            return FALSE;
        }
        guint64 left = c->total_queued + c->total_held + c->unreadable;
        double secs = (g_get_monotonic_time() - start) / 1e6;
        char *sum = msm_queue_counts_summary(c);
        msm_queue_counts_free(c);
        fprintf(stderr, "%smsmigrate: waiting for the queue of %s to drain: %s, %.0f s of %u s%s",
                tty ? "\r" : "", root, sum, secs, timeout_s, tty ? "   " : "\n");
        fflush(stderr);
        g_free(sum);
        if (left == 0) {
            *drained_r = TRUE;
            break;
        }
        if (secs >= timeout_s)
            break;
        guint64 rest_ms = (guint64)((timeout_s - secs) * 1000);
        g_usleep((gulong)MIN((guint64)interval_ms, rest_ms + 1) * 1000);
    }
    if (tty)
        fputc('\n', stderr);
    return TRUE;
}

/* ---- undo records of queue writers ---- */

gboolean
msm_queue_undo_remember(const char *undo_dir, GMutex *mutex, const char *dest, GError **error)
{
    char *h = msm_sha256_hex(dest, strlen(dest));
    char *note = g_strdup_printf("%s/%.32s.path", undo_dir, h);
    char *old = g_strdup_printf("%s/%.32s.old", undo_dir, h);
    gboolean ok = TRUE;
    g_mutex_lock(mutex);
    if (!g_file_test(note, G_FILE_TEST_EXISTS)) {
        gchar *bytes = NULL;
        gsize len = 0;
        GError *err = NULL;
        if (g_file_test(dest, G_FILE_TEST_IS_REGULAR)) {
            if (!g_file_get_contents(dest, &bytes, &len, &err)) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                            "cannot keep a copy of %s for rollback: %s", dest, err->message);
                g_error_free(err);
                ok = FALSE;
            } else {
                ok = msm_write_file_atomic(old, bytes, len, 0600, error);
            }
        }
        g_free(bytes);
        if (ok)
            ok = msm_write_file_atomic(note, dest, strlen(dest), 0600, error);
    }
    g_mutex_unlock(mutex);
    g_free(h);
    g_free(note);
    g_free(old);
    return ok;
}

gboolean
msm_queue_undo_rollback(const char *undo_dir, GError **error)
{
    GDir *d = g_dir_open(undo_dir, 0, NULL);
    if (d == NULL)
        return TRUE; /* the run wrote nothing */
    gboolean ok = TRUE;
    const char *n;
    while (ok && (n = g_dir_read_name(d)) != NULL) {
        if (!g_str_has_suffix(n, ".path"))
            continue;
        char *note = g_build_filename(undo_dir, n, NULL);
        char *dest = NULL;
        if (g_file_get_contents(note, &dest, NULL, NULL)) {
            char *stem = g_strndup(note, strlen(note) - 5);
            char *oldp = g_strconcat(stem, ".old", NULL);
            gchar *bytes = NULL;
            gsize len = 0;
            if (g_file_get_contents(oldp, &bytes, &len, NULL)) {
                ok = msm_write_file_atomic(dest, bytes, len, 0600, error);
            } else if (unlink(dest) != 0 && errno != ENOENT) {
                int e = errno;
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                            "cannot remove %s while rolling back the queue: %s", dest,
                            g_strerror(e));
                ok = FALSE;
            }
            g_free(bytes);
            g_free(stem);
            g_free(oldp);
        }
        g_free(dest);
        g_free(note);
    }
    g_dir_close(d);
    return ok;
}
