/*
 * NAME
 *	digest.c - canonical item digests (see digest.h, docs/formats/digest.md)
 * DESCRIPTION
 *	Every field is framed: a one-byte tag, a 64-bit big-endian length, then
 *	the bytes, so no two different items can hash alike by shifting bytes
 *	between fields. Sets (keywords, ACL entries, attribute values) are
 *	sorted first, so their order on disk does not matter; message order
 *	does (it is UID order in every codec).
 */
#include "config.h"

#include "util.h"

#include "digest.h"

#include <nettle/sha2.h>
#include <string.h>

/* SHA-256 through nettle: its x86-64 build uses the SHA instructions where the
 * processor has them (about 8 times GLib's GChecksum, which was a quarter of a
 * store run's CPU time: every byte is hashed once when written and once when
 * verified). The digests are the same bytes as before. */
typedef struct {
    struct sha256_ctx ctx;
} Sha;

static Sha *
sha_new(void)
{
    Sha *s = g_new(Sha, 1);
    sha256_init(&s->ctx);
    return s;
}

static void
sha_update(Sha *s, const void *data, gsize len)
{
    if (s == NULL) /* the digest was finished: nothing more goes in */
        return;
    sha256_update(&s->ctx, len, data);
}

/* Ends the hash into hex (65 bytes with the NUL) and frees it. */
static void
sha_finish(Sha *s, char hex[2 * SHA256_DIGEST_SIZE + 1])
{
    static const char hx[] = "0123456789abcdef";
    guint8 d[SHA256_DIGEST_SIZE];
    sha256_digest(&s->ctx, sizeof d, d);
    for (gsize i = 0; i < sizeof d; i++) {
        hex[2 * i] = hx[d[i] >> 4];
        hex[2 * i + 1] = hx[d[i] & 15];
    }
    hex[2 * sizeof d] = '\0';
    g_free(s);
}

struct MsmDigestTee {
    GMutex mutex;
    Sha *sum;            /* the item's digest */
    Sha *body;           /* the current message body, or NULL */
    guint64 bytes;
    int refs;            /* tee + wrapped streams still alive */
};

static void
put_field(Sha *sum, char tag, const void *data, gsize len)
{
    guint8 hdr[9];
    hdr[0] = (guint8)tag;
    guint64 n = len;
    for (int i = 8; i >= 1; i--) {
        hdr[i] = (guint8)(n & 0xff);
        n >>= 8;
    }
    sha_update(sum, hdr, sizeof hdr);
    if (len)
        sha_update(sum, data, len);
}

static void
put_str(Sha *sum, char tag, const char *s)
{
    put_field(sum, tag, s ? s : "", s ? strlen(s) : 0);
}

static void
put_int(Sha *sum, char tag, gint64 v)
{
    char buf[32];
    int n = g_snprintf(buf, sizeof buf, "%" G_GINT64_FORMAT, v);
    put_field(sum, tag, buf, (gsize)n);
}

static gint
cmp_bytes(gconstpointer a, gconstpointer b)
{
    GBytes *x = *(GBytes *const *)a, *y = *(GBytes *const *)b;
    return g_bytes_compare(x, y);
}

/* Sorted copy of a string array (transfer container). */
static GPtrArray *
sorted_strings(GPtrArray *in)
{
    GPtrArray *out = g_ptr_array_new();
    for (guint i = 0; in && i < in->len; i++)
        g_ptr_array_add(out, in->pdata[i]);
    g_ptr_array_sort(out, msm_strcmp_ptr);
    return out;
}

static void
tee_unref(MsmDigestTee *tee)
{
    g_mutex_lock(&tee->mutex);
    gboolean last = --tee->refs == 0;
    g_mutex_unlock(&tee->mutex);
    if (last) {
        if (tee->body)
            g_free(tee->body);
        g_free(tee->sum);
        g_mutex_clear(&tee->mutex);
        g_free(tee);
    }
}

/* Closes the current message body's hash into the item hash. */
static void
close_body(MsmDigestTee *tee)
{
    if (tee->body == NULL)
        return;
    char hex[2 * SHA256_DIGEST_SIZE + 1];
    sha_finish(tee->body, hex);
    tee->body = NULL;
    put_str(tee->sum, 'B', hex);
}

typedef struct {
    MsmDigestTee *tee;
    MsmBody *inner;
} BodyTee;

static gssize
body_tee_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    BodyTee *bt = data;
    gssize n = msm_body_read(bt->inner, buf, len, error);
    if (n > 0) {
        g_mutex_lock(&bt->tee->mutex);
        if (bt->tee->body)
            sha_update(bt->tee->body, buf, (gsize)n);
        bt->tee->bytes += (guint64)n;
        g_mutex_unlock(&bt->tee->mutex);
    }
    return n;
}

static void
body_tee_free(gpointer data)
{
    BodyTee *bt = data;
    msm_body_free(bt->inner);
    tee_unref(bt->tee);
    g_free(bt);
}

/* Replaces *body by a body that feeds the tee's current body hash. */
static void
wrap_body(MsmDigestTee *tee, MsmBody **body)
{
    if (*body == NULL)
        return;
    BodyTee *bt = g_new0(BodyTee, 1);
    bt->tee = tee;
    bt->inner = *body;
    g_mutex_lock(&tee->mutex);
    tee->refs++;
    g_mutex_unlock(&tee->mutex);
    *body = msm_body_new_stream(body_tee_read, bt, body_tee_free, msm_body_size(bt->inner));
    msm_body_set_source_path(*body, msm_body_source_path(bt->inner)); /* pass-through */
}

static void
put_message(MsmDigestTee *tee, MsmMessage *m)
{
    put_int(tee->sum, 'u', m->uid);
    put_int(tee->sum, 'f', m->flags & ~MSM_FLAG_RECENT);
    GPtrArray *kw = sorted_strings(m->keywords);
    for (guint i = 0; i < kw->len; i++)
        put_str(tee->sum, 'k', kw->pdata[i]);
    g_ptr_array_unref(kw);
    put_int(tee->sum, 'd', m->internal_date);
    put_int(tee->sum, 'z', m->size);
}

typedef struct {
    MsmDigestTee *tee;
    MsmMessageIter *inner;
} IterTee;

static gboolean
iter_tee_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    IterTee *it = data;
    g_mutex_lock(&it->tee->mutex);
    close_body(it->tee);
    g_mutex_unlock(&it->tee->mutex);
    if (!msm_message_iter_next(it->inner, msg_r, error))
        return FALSE;
    if (*msg_r) {
        g_mutex_lock(&it->tee->mutex);
        put_message(it->tee, *msg_r);
        it->tee->body = sha_new();
        g_mutex_unlock(&it->tee->mutex);
        wrap_body(it->tee, &(*msg_r)->body);
    }
    return TRUE;
}

static void
iter_tee_free(gpointer data)
{
    IterTee *it = data;
    msm_message_iter_free(it->inner);
    tee_unref(it->tee);
    g_free(it);
}

static void
attach_store(MsmDigestTee *tee, MsmFolder *f)
{
    put_str(tee->sum, 'n', f->name);
    put_int(tee->sum, 'v', f->uidvalidity);
    if (f->owner) {
        put_str(tee->sum, 'o', f->owner->user);
        gboolean subscribed = FALSE;
        for (guint i = 0; f->owner->subscriptions && i < f->owner->subscriptions->len; i++)
            if (strcmp(f->owner->subscriptions->pdata[i], f->name) == 0)
                subscribed = TRUE;
        put_int(tee->sum, 's', subscribed);
        if (strcmp(f->name, "INBOX") == 0) {
            put_int(tee->sum, 'q', f->owner->quota_bytes);
            put_int(tee->sum, 'm', f->owner->quota_messages);
        }
    }
    GPtrArray *aces = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; f->acl && i < f->acl->len; i++) {
        const MsmAce *a = f->acl->pdata[i];
        g_ptr_array_add(aces, g_strdup_printf("%s\t%s", a->identifier, a->rights));
    }
    g_ptr_array_sort(aces, msm_strcmp_ptr);
    for (guint i = 0; i < aces->len; i++)
        put_str(tee->sum, 'a', aces->pdata[i]);
    g_ptr_array_unref(aces);
    if (f->messages) {
        IterTee *it = g_new0(IterTee, 1);
        it->tee = tee;
        it->inner = f->messages;
        tee->refs++;
        f->messages = msm_message_iter_new(iter_tee_next, it, iter_tee_free);
    }
}

static void
attach_queue(MsmDigestTee *tee, MsmQueuedMessage *q)
{
    put_str(tee->sum, 'c', q->channel);
    put_str(tee->sum, 'S', q->sender);
    for (guint i = 0; q->recipients && i < q->recipients->len; i++) {
        const MsmRecipient *r = q->recipients->pdata[i];
        put_str(tee->sum, 'r', r->address);
        put_str(tee->sum, 'R', r->original);
        put_int(tee->sum, 'N', r->notify);
    }
    put_int(tee->sum, 't', q->attempts);
    put_int(tee->sum, 'C', q->created);
    put_int(tee->sum, 'L', q->last_attempt);
    put_int(tee->sum, 'H', q->held);
    for (guint i = 0; q->extra && i < q->extra->len; i++)
        put_str(tee->sum, 'x', q->extra->pdata[i]);
    tee->body = sha_new();
    wrap_body(tee, &q->body);
}

static void
attach_entry(MsmDigestTee *tee, const MsmEntry *e)
{
    put_str(tee->sum, 'D', msm_entry_dn(e));
    GPtrArray *names = msm_entry_attribute_names(e);
    GPtrArray *lower = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(lower, g_ascii_strdown(names->pdata[i], -1));
    g_ptr_array_unref(names);
    g_ptr_array_sort(lower, msm_strcmp_ptr);
    for (guint i = 0; i < lower->len; i++) {
        const char *n = lower->pdata[i];
        put_str(tee->sum, 'A', n);
        GPtrArray *vals = msm_entry_get(e, n);
        GPtrArray *sorted = g_ptr_array_new();
        for (guint k = 0; vals && k < vals->len; k++)
            g_ptr_array_add(sorted, vals->pdata[k]);
        g_ptr_array_sort(sorted, cmp_bytes);
        for (guint k = 0; k < sorted->len; k++) {
            gsize len;
            const void *d = g_bytes_get_data(sorted->pdata[k], &len);
            put_field(tee->sum, 'V', d, len);
        }
        g_ptr_array_unref(sorted);
    }
    g_ptr_array_unref(lower);
}

MsmDigestTee *
msm_digest_attach(MsmItem *item)
{
    MsmDigestTee *tee = g_new0(MsmDigestTee, 1);
    g_mutex_init(&tee->mutex);
    tee->sum = sha_new();
    tee->refs = 1;
    put_str(tee->sum, 'K', msm_kind_name(item->kind));
    put_str(tee->sum, 'I', item->key);
    switch (item->kind) {
    case MSM_KIND_CONFIG: {
        MsmConfigFile *cf = item->payload;
        put_str(tee->sum, 'p', cf->relpath);
        gsize len = 0;
        const void *d = cf->content ? g_bytes_get_data(cf->content, &len) : NULL;
        put_field(tee->sum, 'b', d, len);
        tee->bytes += len;
        break;
    }
    case MSM_KIND_STORE:
        attach_store(tee, item->payload);
        break;
    case MSM_KIND_QUEUE:
        attach_queue(tee, item->payload);
        break;
    case MSM_KIND_DIRECTORY:
        attach_entry(tee, item->payload);
        break;
    default:
        break;
    }
    return tee;
}

static gboolean
drain_body(MsmBody *body, GError **error)
{
    guint8 buf[65536];
    gssize n;
    while ((n = msm_body_read(body, buf, sizeof buf, error)) > 0)
        ;
    return n == 0;
}

gboolean
msm_digest_drain(MsmDigestTee *tee, MsmItem *item, GError **error)
{
    (void)tee;
    if (item->kind == MSM_KIND_QUEUE) {
        MsmQueuedMessage *q = item->payload;
        return q->body == NULL || drain_body(q->body, error);
    }
    if (item->kind == MSM_KIND_STORE) {
        MsmFolder *f = item->payload;
        if (f->messages == NULL)
            return TRUE;
        for (;;) {
            MsmMessage *m = NULL;
            if (!msm_message_iter_next(f->messages, &m, error))
                return FALSE;
            if (m == NULL)
                break;
            gboolean ok = m->body == NULL || drain_body(m->body, error);
            msm_message_free(m);
            if (!ok)
                return FALSE;
        }
    }
    return TRUE;
}

char *
msm_digest_finish(MsmDigestTee *tee, guint64 *bytes_r)
{
    g_mutex_lock(&tee->mutex);
    close_body(tee);
    char *hex = g_malloc(2 * SHA256_DIGEST_SIZE + 1);
    sha_finish(tee->sum, hex);
    tee->sum = NULL;
    if (bytes_r)
        *bytes_r = tee->bytes;
    g_mutex_unlock(&tee->mutex);
    tee_unref(tee);
    return hex;
}
