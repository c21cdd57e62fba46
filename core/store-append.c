/*
 * NAME
 *	store-append.c - add messages to a store without duplicates (see store-append.h)
 */
#include "config.h"

#include "store-append.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

MsmStoreAddition *
msm_store_addition_new(const char *owner, const char *folder)
{
    MsmStoreAddition *a = g_new0(MsmStoreAddition, 1);
    a->owner = g_strdup(owner);
    a->folder = g_strdup(folder);
    a->keywords = g_ptr_array_new_with_free_func(g_free);
    return a;
}

void
msm_store_addition_free(MsmStoreAddition *a)
{
    if (a == NULL)
        return;
    g_free(a->owner);
    g_free(a->folder);
    g_ptr_array_unref(a->keywords);
    g_free(a->body_path);
    g_free(a);
}

char *
msm_file_sha256(const char *path, gint64 *size_r, GError **error)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", path, g_strerror(errno));
        return NULL;
    }
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 buf[65536];
    size_t n;
    gint64 total = 0;
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0) {
        g_checksum_update(ck, buf, n);
        total += (gint64)n;
    }
    gboolean bad = ferror(fp) != 0;
    fclose(fp);
    char *hex = bad ? NULL : g_strdup(g_checksum_get_string(ck));
    g_checksum_free(ck);
    if (bad)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s", path);
    else if (size_r)
        *size_r = total;
    return hex;
}

/* One message kept for a folder being rewritten. */
typedef struct {
    guint32 uid, flags;
    GPtrArray *keywords;
    gint64 internal_date, size;
    char *path;   /* spooled body (owned by the scratch dir) */
    char *digest; /* for duplicate detection */
} Kept;

static void
kept_free(gpointer p)
{
    Kept *k = p;
    g_ptr_array_unref(k->keywords);
    g_free(k->path);
    g_free(k->digest);
    g_free(k);
}

/* A folder that receives messages. */
typedef struct {
    MsmFolder *meta;     /* owner, name, uidvalidity, uidnext, acl; messages NULL */
    GPtrArray *kept;     /* Kept*: messages already there (NULL until spooled) */
    GPtrArray *adds;     /* MsmStoreAddition* (borrowed) */
} Target;

static void
target_free(gpointer p)
{
    Target *t = p;
    if (t->meta)
        msm_folder_free(t->meta);
    if (t->kept)
        g_ptr_array_unref(t->kept);
    g_ptr_array_unref(t->adds);
    g_free(t);
}

static char *
folder_key(const char *owner, const char *folder)
{
    return g_strdup_printf("%s%c%s", owner, 0x1f, folder);
}

/* Writes a message body to path, computing its SHA-256. */
static char *
spool_body(MsmBody *body, const char *path, gint64 *size_r, GError **error)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
        return NULL;
    }
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 buf[65536];
    gint64 total = 0;
    gboolean ok = TRUE;
    for (;;) {
        gssize n = msm_body_read(body, buf, sizeof buf, error);
        if (n < 0) {
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        g_checksum_update(ck, buf, (gsize)n);
        if (fwrite(buf, 1, (size_t)n, fp) != (size_t)n) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path,
                        g_strerror(errno));
            ok = FALSE;
            break;
        }
        total += n;
    }
    if (fclose(fp) != 0 && ok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(errno));
        ok = FALSE;
    }
    char *hex = ok ? g_strdup(g_checksum_get_string(ck)) : NULL;
    g_checksum_free(ck);
    *size_r = total;
    return hex;
}

/* ---- the iterator the writer pulls: kept messages, then the new ones ---- */

typedef struct {
    GPtrArray *kept; /* Kept* (borrowed) */
    GPtrArray *adds; /* Kept* built from the additions that are not duplicates (owned) */
    guint i;
} PutIter;

static gboolean
put_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    (void)error;
    PutIter *it = data;
    *msg_r = NULL;
    guint nk = it->kept ? it->kept->len : 0;
    if (it->i >= nk + it->adds->len)
        return TRUE;
    Kept *k = it->i < nk ? it->kept->pdata[it->i] : it->adds->pdata[it->i - nk];
    it->i++;
    MsmMessage *m = msm_message_new();
    m->uid = k->uid;
    m->flags = k->flags;
    for (guint j = 0; j < k->keywords->len; j++)
        g_ptr_array_add(m->keywords, g_strdup(k->keywords->pdata[j]));
    m->internal_date = k->internal_date;
    m->size = k->size;
    m->body = msm_body_new_file(k->path, k->size);
    *msg_r = m;
    return TRUE;
}

static void
put_iter_free(gpointer data)
{
    PutIter *it = data;
    g_ptr_array_unref(it->adds);
    g_free(it);
}

gboolean
msm_store_append(MsmCtx *ctx, const MsmCodec *codec, const char *root, const char *version,
                 GPtrArray *additions, const char *scratch_dir, MsmStoreAppendStats *stats_r,
                 GError **error)
{
    g_return_val_if_fail(codec != NULL && codec->kind == MSM_KIND_STORE, FALSE);
    MsmStoreAppendStats stats = {0};
    gboolean ok = FALSE;
    GHashTable *targets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, target_free);
    GHashTable *owners = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                               (GDestroyNotify)msm_owner_free);
    GPtrArray *order = g_ptr_array_new(); /* Target* in first-addition order (borrowed) */
    gpointer reader = NULL, writer = NULL;
    guint64 spooled = 0;

    for (guint i = 0; i < additions->len; i++) {
        MsmStoreAddition *a = additions->pdata[i];
        char *key = folder_key(a->owner, a->folder);
        Target *t = g_hash_table_lookup(targets, key);
        if (t == NULL) {
            t = g_new0(Target, 1);
            t->adds = g_ptr_array_new();
            g_hash_table_insert(targets, g_strdup(key), t);
            g_ptr_array_add(order, t);
            if (!g_hash_table_contains(owners, a->owner))
                g_hash_table_insert(owners, g_strdup(a->owner), NULL);
        }
        g_ptr_array_add(t->adds, a);
        g_free(key);
    }

    /* Pass 1: spool the folders that receive messages. */
    reader = codec->reader_open(ctx, root, version, error);
    if (reader == NULL)
        goto out;
    for (;;) {
        MsmItem *item = NULL;
        GError *rerr = NULL;
        if (!codec->reader_next(reader, &item, &rerr)) {
            if (rerr && (rerr->code == MSM_ERROR_PARSE || rerr->code == MSM_ERROR_UNSAFE)) {
                msm_ctx_log(ctx, MSM_LOG_WARNING, "%s (left as it is)", rerr->message);
                g_error_free(rerr);
                continue;
            }
            g_propagate_prefixed_error(error, rerr, "reading the %s store at %s: ", version, root);
            goto out;
        }
        if (item == NULL)
            break;
        MsmFolder *f = item->payload;
        if (g_hash_table_contains(owners, f->owner->user) &&
            g_hash_table_lookup(owners, f->owner->user) == NULL)
            g_hash_table_replace(owners, g_strdup(f->owner->user), msm_owner_copy(f->owner));
        char *key = folder_key(f->owner->user, f->name);
        Target *t = g_hash_table_lookup(targets, key);
        g_free(key);
        if (t == NULL) {
            msm_item_free(item);
            continue;
        }
        t->kept = g_ptr_array_new_with_free_func(kept_free);
        MsmMessage *m = NULL;
        gboolean mok = TRUE;
        while (f->messages && (mok = msm_message_iter_next(f->messages, &m, error)) && m) {
            Kept *k = g_new0(Kept, 1);
            k->uid = m->uid;
            k->flags = m->flags;
            k->keywords = g_ptr_array_new_with_free_func(g_free);
            for (guint j = 0; j < m->keywords->len; j++)
                g_ptr_array_add(k->keywords, g_strdup(m->keywords->pdata[j]));
            k->internal_date = m->internal_date;
            char *name = g_strdup_printf("spool-%" G_GUINT64_FORMAT, spooled++);
            k->path = g_build_filename(scratch_dir, name, NULL);
            g_free(name);
            k->digest = spool_body(m->body, k->path, &k->size, error);
            msm_message_free(m);
            m = NULL;
            g_ptr_array_add(t->kept, k);
            if (k->digest == NULL) {
                mok = FALSE;
                break;
            }
        }
        if (!mok) {
            g_prefix_error(error, "reading folder %s of %s: ", f->name, f->owner->user);
            msm_item_free(item);
            goto out;
        }
        if (f->messages) {
            msm_message_iter_free(f->messages);
            f->messages = NULL;
        }
        t->meta = f;
        item->payload = NULL;
        msm_item_free(item);
    }
    codec->reader_close(reader);
    reader = NULL;

    /* Pass 2: put every receiving folder again, old messages first. */
    writer = codec->writer_open(ctx, root, version, error);
    if (writer == NULL)
        goto out;
    for (guint i = 0; i < order->len; i++) {
        Target *t = order->pdata[i];
        MsmStoreAddition *first = t->adds->pdata[0];
        gboolean created = t->meta == NULL;
        if (created) {
            const MsmOwner *o = g_hash_table_lookup(owners, first->owner);
            t->meta = msm_folder_new(o ? msm_owner_copy(o) : msm_owner_new(first->owner),
                                     first->folder);
            t->meta->uidvalidity = first->uidvalidity
                                       ? first->uidvalidity
                                       : (guint32)(g_get_real_time() / G_USEC_PER_SEC);
            t->meta->uidnext = 1;
        }
        guint32 next = MAX(t->meta->uidnext, 1);
        for (guint j = 0; t->kept && j < t->kept->len; j++) {
            Kept *k = t->kept->pdata[j];
            next = MAX(next, k->uid + 1);
        }
        PutIter *it = g_new0(PutIter, 1);
        it->kept = t->kept;
        it->adds = g_ptr_array_new_with_free_func(kept_free);
        for (guint j = 0; j < t->adds->len; j++) {
            MsmStoreAddition *a = t->adds->pdata[j];
            gint64 size = 0;
            char *digest = msm_file_sha256(a->body_path, &size, error);
            if (digest == NULL) {
                put_iter_free(it);
                goto out;
            }
            gboolean dup = FALSE;
            for (guint x = 0; t->kept && x < t->kept->len && !dup; x++) {
                Kept *k = t->kept->pdata[x];
                dup = k->internal_date == a->internal_date && strcmp(k->digest, digest) == 0;
            }
            for (guint x = 0; x < it->adds->len && !dup; x++) {
                Kept *k = it->adds->pdata[x];
                dup = k->internal_date == a->internal_date && strcmp(k->digest, digest) == 0;
            }
            if (dup) {
                stats.duplicates++;
                g_free(digest);
                continue;
            }
            Kept *k = g_new0(Kept, 1);
            k->uid = next++;
            k->flags = a->flags;
            k->keywords = g_ptr_array_new_with_free_func(g_free);
            for (guint x = 0; x < a->keywords->len; x++)
                g_ptr_array_add(k->keywords, g_strdup(a->keywords->pdata[x]));
            k->internal_date = a->internal_date;
            k->size = size;
            k->path = g_strdup(a->body_path);
            k->digest = digest;
            g_ptr_array_add(it->adds, k);
        }
        if (it->adds->len == 0) {
            put_iter_free(it);
            continue; /* everything was there already */
        }
        stats.added += it->adds->len;
        t->meta->uidnext = next;
        t->meta->message_count = (t->kept ? t->kept->len : 0) + it->adds->len;
        t->meta->messages = msm_message_iter_new(put_next, it, put_iter_free);
        char *key = g_strdup_printf("user/%s/%s", t->meta->owner->user, t->meta->name);
        MsmItem item = {MSM_KIND_STORE, key, t->meta};
        gboolean pok = codec->writer_put(writer, &item, error);
        g_free(key);
        msm_message_iter_free(t->meta->messages);
        t->meta->messages = NULL;
        if (!pok) {
            g_prefix_error(error, "writing folder %s of %s: ", t->meta->name, t->meta->owner->user);
            goto out;
        }
        if (created)
            stats.folders_created++;
        else
            stats.folders_changed++;
    }
    if (!codec->writer_commit(writer, error))
        goto out;
    ok = TRUE;
out:
    if (reader)
        codec->reader_close(reader);
    if (writer)
        codec->writer_close(writer);
    for (guint64 i = 0; i < spooled; i++) {
        char *name = g_strdup_printf("spool-%" G_GUINT64_FORMAT, i);
        char *p = g_build_filename(scratch_dir, name, NULL);
        g_unlink(p);
        g_free(p);
        g_free(name);
    }
    g_ptr_array_unref(order);
    g_hash_table_unref(owners);
    g_hash_table_unref(targets);
    if (stats_r)
        *stats_r = stats;
    return ok;
}
