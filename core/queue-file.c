/*
 * NAME
 *	queue-file.c - the file-level pieces every MTA queue codec shares
 * SUMMARY
 *	Implements queue-file.h and builtin.h msm_core_queue_list_names():
 *	the reader's channel walk, the lazy body slice, the atomic queue file
 *	write, the writer with undo records (queue-rename.h) used by the
 *	pmdf-queue, nms4-queue and nms3-queue codecs.
 * DIAGNOSTICS
 *	See queue-file.h ERRORS.
 */
#include "config.h"

#include "queue-file.h"

#include "builtin.h"
#include "ctxpriv.h"
#include "queue-rename.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* ---- small checks ---- */

gboolean
msm_queue_safe_component(const char *s)
{
    if (s == NULL || s[0] == '\0' || s[0] == '$' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return FALSE;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\' || (guchar)*p < 0x20 || *p == 0x7f)
            return FALSE;
    return TRUE;
}

gboolean
msm_queue_parse_decimal(const char *s, gboolean sign, gint64 *v)
{
    if (*s == '\0' || !(g_ascii_isdigit(*s) || (sign && *s == '-' && s[1])))
        return FALSE;
    char *end = NULL;
    errno = 0;
    gint64 x = g_ascii_strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return FALSE;
    *v = x;
    return TRUE;
}

gboolean
msm_queue_write_all(int fd, const void *data, gsize len)
{
    const guint8 *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        p += n;
        len -= (gsize)n;
    }
    return TRUE;
}

/* ---- the channel walk ---- */

GPtrArray *
msm_core_queue_list_names(const char *dir, GError **error)
{
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue directory %s: %s", dir,
                    err->message);
        g_error_free(err);
        return NULL;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        if (n[0] != '$')
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    return names;
}

MsmQueueChannels *
msm_queue_channels_new(char *qdir, GDestroyNotify entry_free, GError **error)
{
    MsmQueueChannels *c = g_new0(MsmQueueChannels, 1);
    c->qdir = qdir;
    c->entry_free = entry_free;
    c->channels = g_ptr_array_new_with_free_func(g_free);
    if (!msm_dir_exists(qdir))
        return c; /* no queue directory: nothing queued */
    GPtrArray *names = msm_core_queue_list_names(qdir, error);
    if (names == NULL) {
        msm_queue_channels_free(c);
        return NULL;
    }
    for (guint i = 0; i < names->len; i++) {
        char *path = g_build_filename(qdir, names->pdata[i], NULL);
        struct stat st;
        if (lstat(path, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
            g_ptr_array_add(c->channels, g_strdup(names->pdata[i]));
        g_free(path);
    }
    g_ptr_array_unref(names);
    return c;
}

/* Lists the next channel's entries. */
static gboolean
next_channel(MsmQueueChannels *c, MsmQueueListFunc list, GError **error)
{
    const char *channel = c->channels->pdata[c->next_channel++];
    char *dir = g_build_filename(c->qdir, channel, NULL);
    if (c->entries)
        g_ptr_array_unref(c->entries);
    c->entries = g_ptr_array_new_with_free_func(c->entry_free);
    c->next_entry = 0;
    gboolean ok;
    if (!msm_is_real_dir(dir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "channel directory %s is a symbolic link: msmigrate does not follow links "
                    "in the MTA queue; replace it with the directory it points to",
                    dir);
        ok = FALSE;
    } else {
        ok = list(channel, dir, c->entries, error);
        if (!ok)
            g_ptr_array_set_size(c->entries, 0);
    }
    g_free(dir);
    return ok;
}

gboolean
msm_queue_channels_next(MsmQueueChannels *c, MsmQueueListFunc list, gpointer *entry_r,
                        GError **error)
{
    *entry_r = NULL;
    while (c->entries == NULL || c->next_entry >= c->entries->len) {
        if (c->next_channel >= c->channels->len)
            return TRUE;
        if (!next_channel(c, list, error))
            return FALSE;
    }
    *entry_r = c->entries->pdata[c->next_entry++];
    return TRUE;
}

void
msm_queue_channels_free(gpointer p)
{
    MsmQueueChannels *c = p;
    if (c == NULL)
        return;
    if (c->entries)
        g_ptr_array_unref(c->entries);
    g_ptr_array_unref(c->channels);
    g_free(c->qdir);
    g_free(c);
}

/* ---- the body: a lazy slice of a queue file ---- */

typedef struct {
    char *path;
    gint64 offset;    /* of the next byte to read */
    gint64 remaining; /* bytes of the message left */
    int fd;           /* -1 until the first read */
    dev_t dev;        /* identity of the file when it was parsed */
    ino_t ino;
    off_t size;
} Slice;

/* Frees a Slice and closes its file. */
static void
slice_free(gpointer p)
{
    Slice *s = p;
    if (s->fd >= 0)
        close(s->fd);
    g_free(s->path);
    g_free(s);
}

/* Reads the next bytes of the message; opens the file on first use. */
static gssize
slice_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    Slice *s = data;
    if (s->remaining <= 0 || len == 0)
        return 0;
    if (s->fd < 0) {
        s->fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (s->fd < 0 || fstat(s->fd, &st) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue file %s: %s", s->path,
                        g_strerror(e));
            return -1;
        }
        if (st.st_dev != s->dev || st.st_ino != s->ino || st.st_size != s->size) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                        "queue file %s changed while it was being migrated (is the MTA "
                        "running?): stop the MTA and run again",
                        s->path);
            return -1;
        }
    }
    gsize want = (gsize)MIN((gint64)len, s->remaining);
    ssize_t n;
    do
        n = pread(s->fd, buf, want, (off_t)s->offset);
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue file %s: %s", s->path,
                    n == 0 ? "it became shorter while it was being migrated" : g_strerror(e));
        return -1;
    }
    s->offset += n;
    s->remaining -= n;
    return n;
}

MsmBody *
msm_queue_body_slice(const char *path, const struct stat *st, gint64 offset, gint64 length)
{
    Slice *s = g_new0(Slice, 1);
    s->path = g_strdup(path);
    s->offset = offset;
    s->remaining = length;
    s->fd = -1;
    s->dev = st->st_dev;
    s->ino = st->st_ino;
    s->size = st->st_size;
    return msm_body_new_stream(slice_read, s, slice_free, length);
}

/* ---- writing ---- */

MsmQueuedMessage *
msm_queue_put_message(const MsmItem *item, const char *codec_name, GError **error)
{
    if (item == NULL || item->kind != MSM_KIND_QUEUE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the %s writer was given %s item %s: only queued messages can be written",
                    codec_name, item ? msm_kind_name(item->kind) : "no",
                    item && item->key ? item->key : "");
        return NULL;
    }
    return item->payload;
}

gboolean
msm_queue_check_channel(const MsmItem *item, const char *channel, const char *hint, GError **error)
{
    if (msm_queue_safe_component(channel))
        return TRUE;
    g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                "refusing queued message %s: its channel \"%s\" is not one safe directory name%s",
                item->key, channel ? channel : "(null)", hint);
    return FALSE;
}

gboolean
msm_queue_no_line_feed(const MsmItem *item, const char *what, const char *value,
                       const char *records, const char *fix, GError **error)
{
    if (value == NULL || strchr(value, '\n') == NULL)
        return TRUE;
    g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                "refusing queued message %s: its %s contains a line feed, which would add %s; %s",
                item->key, what, records, fix);
    return FALSE;
}

gboolean
msm_queue_make_channel_dir(const char *dir, int mode, const char *item_key, GError **error)
{
    if (mkdir(dir, (mode_t)mode) != 0 && errno != EEXIST) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create channel directory %s: %s", dir,
                    g_strerror(e));
        return FALSE;
    }
    if (!msm_is_real_dir(dir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing to write %s: %s is not a directory (a symbolic link could lead "
                    "outside the target); replace it with a directory",
                    item_key, dir);
        return FALSE;
    }
    return TRUE;
}

gboolean
msm_queue_copy_body(int fd, MsmBody *body, const char *key, const char *path,
                    MsmQueueChunkCheck check, gpointer check_data, GError **error)
{
    guint8 *buf = g_malloc(MSM_QUEUE_CHUNK);
    gboolean ok = TRUE;
    while (ok && body != NULL) {
        gssize n = msm_body_read(body, buf, MSM_QUEUE_CHUNK, error);
        if (n < 0) {
            g_prefix_error(error, "cannot write queued message %s: ", key);
            ok = FALSE;
        } else if (n == 0) {
            break;
        } else if (check != NULL && !check(buf, (gsize)n, check_data, error)) {
            ok = FALSE;
        } else if (!msm_queue_write_all(fd, buf, (gsize)n)) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(e));
            ok = FALSE;
        }
    }
    g_free(buf);
    return ok;
}

gboolean
msm_queue_file_put(const char *dir, const char *name, int mode, gboolean set_mode,
                   MsmQueueFillFunc fill, gpointer data, GError **error)
{
    char *tmp = g_strdup_printf("%s/$%s.tmp", dir, name);
    char *dest = g_build_filename(dir, name, NULL);
    gboolean ok = TRUE;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                    "cannot create %s: %s", tmp, g_strerror(e));
        ok = FALSE;
    } else {
        ok = fill(fd, tmp, data, error);
        if (ok && (fsync(fd) != 0 || (set_mode && fchmod(fd, (mode_t)mode) != 0))) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(e));
            ok = FALSE;
        }
        if (close(fd) != 0 && ok) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(e));
            ok = FALSE;
        }
        if (ok && rename(tmp, dest) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot rename %s to %s: %s", tmp, dest,
                        g_strerror(e));
            ok = FALSE;
        }
        if (!ok)
            unlink(tmp);
    }
    g_free(tmp);
    g_free(dest);
    return ok;
}

gboolean
msm_queue_sync_dir(const char *dir, GError **error)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    gboolean ok = dfd >= 0 && fsync(dfd) == 0;
    if (!ok) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot sync directory %s: %s", dir,
                    g_strerror(e));
    }
    if (dfd >= 0)
        close(dfd);
    return ok;
}

MsmQueueWriter *
msm_queue_writer_new(MsmCtx *ctx, char *qdir, const char *undo_name, GError **error)
{
    MsmQueueWriter *w = g_new0(MsmQueueWriter, 1);
    w->qdir = qdir;
    g_mutex_init(&w->mutex);
    if (undo_name && ctx && ctx->work_dir && *ctx->work_dir) {
        w->undo_dir = g_build_filename(ctx->work_dir, undo_name, NULL);
        if (!msm_mkdir_p(w->undo_dir, TRUE, error)) {
            msm_queue_writer_close(w);
            return NULL;
        }
    }
    return w;
}

gboolean
msm_queue_writer_remember(MsmQueueWriter *w, const char *dest, GError **error)
{
    return w->undo_dir == NULL || msm_queue_undo_remember(w->undo_dir, &w->mutex, dest, error);
}

gboolean
msm_queue_writer_commit(gpointer writer, GError **error)
{
    (void)writer;
    (void)error;
    return TRUE;
}

void
msm_queue_writer_close(gpointer writer)
{
    MsmQueueWriter *w = writer;
    if (w == NULL)
        return;
    g_mutex_clear(&w->mutex);
    g_free(w->undo_dir);
    g_free(w->qdir);
    g_free(w);
}

gboolean
msm_queue_writer_rollback(MsmCtx *ctx, const char *undo_name, GError **error)
{
    if (ctx == NULL || ctx->work_dir == NULL)
        return TRUE;
    char *undo = g_build_filename(ctx->work_dir, undo_name, NULL);
    gboolean ok = msm_queue_undo_rollback(undo, error);
    g_free(undo);
    return ok;
}
