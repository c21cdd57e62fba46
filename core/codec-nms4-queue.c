/*
 * NAME
 *	codec-nms4-queue.c - the NMS 4.x MTA queue (a documented model)
 * SUMMARY
 *	Implements msm_core_nms4_queue_codec() (builtin.h) with the rules of
 *	docs/formats/queue-nms4.md: one MsmQueuedMessage item per message file
 *	"<id>.msg" (or "<id>.held") in a channel directory below the queue
 *	directory, keyed "queue/<channel>/<file name>". The file is a block of
 *	"Name: value" envelope lines ended by an empty line, then the message
 *	bytes to the end of the file. Written by the nms3x hop (qconvert) and
 *	read by nms4x; versions nms-4.0 and nms-4.1.
 * DESCRIPTION
 *	The queue directory is the layout's, unless the instance's nsmsg.conf
 *	names another (nsmsg.queue, a product path below nsmsg.serverroot): the
 *	way qconvert found the 4.1 queue from its configuration (seed 002).
 *	The reader lists channels when it opens and one channel's files when
 *	it reaches it, in byte order; a file is parsed when it is yielded and
 *	its body is a lazy slice of the file (never in memory). The writer
 *	writes "$<name>.tmp", fsyncs, renames; files get the 4.x access rights
 *	of the model (0600, channel directories 0700), whatever the source had.
 *	rollback() removes the files a run wrote (listed in the run's work
 *	directory) and puts back byte for byte those it replaced.
 * DIAGNOSTICS
 *	MSM_ERROR_PARSE (per file, the file is left untouched): a name that is
 *	not "<id>.msg" / "<id>.held", no first line "NMS-Queue-Envelope: 4", no
 *	empty line ending the envelope, an unknown or repeated envelope line, a
 *	value that is not a decimal number, "Original-Recipient"/"Notify"
 *	before any "Recipient", an envelope longer than 1 MiB, a NUL byte in
 *	it. MSM_ERROR_UNSAFE: a symbolic link, a channel or name that is not
 *	one safe path component, a line feed in a value. MSM_ERROR_IO: what
 *	the system refused.
 */
#include "config.h"

#include "builtin.h"

#include "ctxpriv.h"
#include "queue-rename.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const nms4_versions[] = {"nms-4.0", "nms-4.1", NULL};

#define MAGIC "NMS-Queue-Envelope: 4"
#define MAX_ENVELOPE (1024 * 1024)
#define CHUNK 65536
#define ROLLBACK_DIR "nms4-queue-rollback"

/* ---- names and places ---- */

/* TRUE if s is one safe path component (not '$'-prefixed, no control character). */
static gboolean
safe_component(const char *s)
{
    if (s == NULL || s[0] == '\0' || s[0] == '$' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return FALSE;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == '\\' || (guchar)*p < 0x20 || *p == 0x7f)
            return FALSE;
    return TRUE;
}

/* TRUE for "<id>.msg" or "<id>.held", id of [A-Za-z0-9_-]. */
static gboolean
is_message_name(const char *n, gboolean *held_r)
{
    gsize len = strlen(n);
    gsize stem;
    if (len > 4 && strcmp(n + len - 4, ".msg") == 0) {
        stem = len - 4;
        *held_r = FALSE;
    } else if (len > 5 && strcmp(n + len - 5, ".held") == 0) {
        stem = len - 5;
        *held_r = TRUE;
    } else {
        return FALSE;
    }
    for (gsize i = 0; i < stem; i++)
        if (!g_ascii_isalnum(n[i]) && n[i] != '_' && n[i] != '-')
            return FALSE;
    return TRUE;
}

/* The value of "key = "value"" in an nsmsg.conf, or NULL. (transfer full) */
static char *
conf_value(const char *path, const char *key)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return NULL;
    char *found = NULL;
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l && found == NULL; l++) {
        char *s = g_strstrip(*l);
        if (*s == '#' || !g_str_has_prefix(s, key))
            continue;
        s += strlen(key);
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s != '=')
            continue;
        s = g_strstrip(s + 1);
        gsize n = strlen(s);
        if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
            s[n - 1] = '\0';
            s++;
        }
        found = g_strdup(s);
    }
    g_strfreev(lines);
    g_free(text);
    return found;
}

/* The queue directory of root for version: nsmsg.conf's nsmsg.queue mapped
 * onto root when it names a place below nsmsg.serverroot, else the layout's.
 * (transfer full) */
static char *
queue_dir(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    MsmLayout *l = msm_layout_resolve(root, version, ctx ? ctx->instance : NULL, error);
    if (l == NULL)
        return NULL;
    char *dir = g_strdup(msm_layout_queue_dir(l));
    char *conf = g_build_filename(msm_layout_config_dir(l), "nsmsg.conf", NULL);
    char *q = conf_value(conf, "nsmsg.queue");
    char *sr = conf_value(conf, "nsmsg.serverroot");
    if (q && sr && g_path_is_absolute(q) && g_path_is_absolute(sr)) {
        gsize n = strlen(sr);
        while (n > 1 && sr[n - 1] == '/')
            n--;
        if (strncmp(q, sr, n) == 0 && (q[n] == '/' || q[n] == '\0')) {
            /* nsmsg.serverroot names the instance directory (msg-<instance>) */
            char *srv = g_strdup(msm_layout_base_dir(l));
            const char *rel = q + n;
            while (*rel == '/')
                rel++;
            if (*rel == '\0' || msm_relpath_is_safe(rel)) {
                g_free(dir);
                dir = *rel ? g_build_filename(srv, rel, NULL) : g_strdup(srv);
            }
            g_free(srv);
        }
    }
    g_free(q);
    g_free(sr);
    g_free(conf);
    msm_layout_free(l);
    return dir;
}

char *
msm_core_nms_queue_dir(const char *root, const char *version, const char *instance, GError **error)
{
    MsmCtx ctx = {0};
    ctx.instance = (char *)instance;
    return queue_dir(&ctx, root, version, error);
}

/* The names in dir, sorted, without '$' temporaries; NULL + MSM_ERROR_IO. */
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

/* ---- the body: a lazy slice of the file ---- */

typedef struct {
    char *path;
    gint64 offset, remaining;
    int fd;
    dev_t dev;
    ino_t ino;
    off_t size;
} Slice;

static void
slice_free(gpointer p)
{
    Slice *s = p;
    if (s->fd >= 0)
        close(s->fd);
    g_free(s->path);
    g_free(s);
}

static gssize
slice_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    Slice *s = data;
    if (s->remaining <= 0 || len == 0)
        return 0;
    if (s->fd < 0) {
        struct stat st;
        s->fd = open(s->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
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

/* ---- parsing ---- */

/* Parses a decimal value (dates may be negative) into *v. */
static gboolean
parse_number(const char *s, gboolean sign, gint64 *v)
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

/* Applies one envelope line to q; why is set to the reason it is refused. */
static void
apply_line(MsmQueuedMessage *q, const char *line, guint *seen, const char **why)
{
    enum { S_SENDER = 1, S_ATT = 2, S_CREATED = 4, S_LAST = 8 };
    const char *colon = strstr(line, ": ");
    if (colon == NULL) {
        *why = "a line that is not \"Name: value\"";
        return;
    }
    gsize nlen = (gsize)(colon - line);
    const char *v = colon + 2;
    MsmRecipient *last = q->recipients->len ? q->recipients->pdata[q->recipients->len - 1] : NULL;
    gint64 n = 0;
#define IS(name) (nlen == strlen(name) && g_ascii_strncasecmp(line, name, nlen) == 0)
    if (IS("Sender")) {
        if (*seen & S_SENDER) {
            *why = "a second Sender line";
            return;
        }
        *seen |= S_SENDER;
        g_free(q->sender);
        q->sender = g_strdup(v);
    } else if (IS("Recipient")) {
        g_ptr_array_add(q->recipients, msm_recipient_new(v));
    } else if (IS("Original-Recipient")) {
        if (last == NULL || last->original)
            *why = "an Original-Recipient line that follows no Recipient line, or a second one";
        else
            last->original = g_strdup(v);
    } else if (IS("Notify")) {
        if (last == NULL || last->notify)
            *why = "a Notify line that follows no Recipient line, or a second one";
        else if (!parse_number(v, FALSE, &n) || n < 1 || n > G_MAXUINT32)
            *why = "a Notify value that is not a decimal number from 1 to 4294967295";
        else
            last->notify = (guint32)n;
    } else if (IS("Attempts")) {
        if ((*seen & S_ATT) || !parse_number(v, FALSE, &n) || n > G_MAXUINT)
            *why = "a second Attempts line, or one that is not a decimal number";
        else {
            *seen |= S_ATT;
            q->attempts = (guint)n;
        }
    } else if (IS("Created") || IS("Last-Attempt")) {
        gboolean created = IS("Created");
        guint bit = created ? S_CREATED : S_LAST;
        if ((*seen & bit) || !parse_number(v, TRUE, &n))
            *why = "a second date line, or one that is not seconds since the epoch in decimal";
        else {
            *seen |= bit;
            if (created)
                q->created = n;
            else
                q->last_attempt = n;
        }
    } else if (IS("Extra")) {
        g_ptr_array_add(q->extra, g_strdup(v));
    } else {
        *why = "an envelope line whose name the model does not know";
    }
#undef IS
}

/* Parses one message file; NULL + error (the file untouched). */
static MsmQueuedMessage *
parse_file(const char *path, const char *channel, const char *name, gboolean held, GError **error)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                    "cannot read queue file %s: %s", path, g_strerror(e));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "queue file %s is not a regular file: remove it from the queue directory",
                    path);
        close(fd);
        return NULL;
    }
    MsmQueuedMessage *q = msm_queued_message_new(channel);
    q->name = g_strdup(name);
    q->held = held;
    GString *env = g_string_new(NULL);
    guint8 *buf = g_malloc(CHUNK);
    gint64 body_start = -1, base = 0;
    gboolean ok = TRUE;
    /* read until the first "\n\n" (the empty line) */
    while (ok && body_start < 0) {
        ssize_t n;
        do
            n = read(fd, buf, CHUNK);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue file %s: %s", path,
                        g_strerror(e));
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        gsize old = env->len;
        g_string_append_len(env, (const char *)buf, n);
        gsize from = old > 0 ? old - 1 : 0;
        const char *hit = NULL;
        for (gsize i = from; i + 1 < env->len; i++)
            if (env->str[i] == '\n' && env->str[i + 1] == '\n') {
                hit = env->str + i;
                break;
            }
        if (hit) {
            gsize keep = (gsize)(hit - env->str) + 1; /* up to and with the last line's \n */
            body_start = base + (gint64)keep + 1;
            g_string_truncate(env, keep);
        } else if (env->len > MAX_ENVELOPE) {
            break;
        }
        base += n;
        (void)base;
    }
    g_free(buf);
    if (ok && body_start < 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue file %s: no empty line ends the envelope within %d bytes, so it is "
                    "not an NMS 4.x queue file (docs/formats/queue-nms4.md); it was left as it "
                    "is: move it out of the queue directory",
                    path, MAX_ENVELOPE);
        ok = FALSE;
    }
    if (ok && memchr(env->str, '\0', env->len) != NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue file %s: the envelope contains a NUL byte; the file is damaged: move "
                    "it out of the queue directory",
                    path);
        ok = FALSE;
    }
    if (ok) {
        char **lines = g_strsplit(env->str, "\n", -1);
        guint seen = 0;
        guint nl = g_strv_length(lines);
        /* the envelope ends with "\n": the last element is empty */
        for (guint i = 0; ok && i + 1 < nl; i++) {
            const char *why = NULL;
            if (i == 0) {
                if (strcmp(lines[0], MAGIC) != 0)
                    why = "a first line other than \"" MAGIC "\"";
            } else {
                apply_line(q, lines[i], &seen, &why);
            }
            if (why) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                            "queue file %s, line %u: %s; it is not an NMS 4.x queue file as "
                            "docs/formats/queue-nms4.md describes it, and was left as it is",
                            path, i + 1, why);
                ok = FALSE;
            }
        }
        if (ok && nl < 2) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "queue file %s: the envelope is empty: move it out of the queue "
                        "directory",
                        path);
            ok = FALSE;
        }
        if (ok && !(seen & 4))
            q->created = (gint64)st.st_mtime;
        g_strfreev(lines);
    }
    g_string_free(env, TRUE);
    if (ok) {
        Slice *s = g_new0(Slice, 1);
        s->path = g_strdup(path);
        s->offset = body_start;
        s->remaining = (gint64)st.st_size - body_start;
        s->fd = -1;
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        s->size = st.st_size;
        q->body = msm_body_new_stream(slice_read, s, slice_free, s->remaining);
    } else {
        msm_queued_message_free(q);
        q = NULL;
    }
    close(fd);
    return q;
}

/* ---- reader ---- */

typedef struct {
    char *path, *channel, *name, *refusal;
    int code;
    gboolean held;
} Entry;

typedef struct {
    char *qdir;
    GPtrArray *channels;
    guint next_channel;
    GPtrArray *entries;
    guint next_entry;
} Reader;

static void
entry_free(gpointer p)
{
    Entry *e = p;
    g_free(e->path);
    g_free(e->channel);
    g_free(e->name);
    g_free(e->refusal);
    g_free(e);
}

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *qdir = queue_dir(ctx, root, version, error);
    if (qdir == NULL)
        return NULL;
    Reader *r = g_new0(Reader, 1);
    r->qdir = qdir;
    r->channels = g_ptr_array_new_with_free_func(g_free);
    if (!msm_dir_exists(qdir))
        return r;
    GPtrArray *names = msm_core_queue_list_names(qdir, error);
    if (names == NULL) {
        g_ptr_array_unref(r->channels);
        g_free(r->qdir);
        g_free(r);
        return NULL;
    }
    for (guint i = 0; i < names->len; i++) {
        char *path = g_build_filename(qdir, names->pdata[i], NULL);
        struct stat st;
        if (lstat(path, &st) == 0 && (S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode)))
            g_ptr_array_add(r->channels, g_strdup(names->pdata[i]));
        g_free(path);
    }
    g_ptr_array_unref(names);
    return r;
}

/* Lists the next channel's files as entries. */
static gboolean
next_channel(Reader *r, GError **error)
{
    const char *channel = r->channels->pdata[r->next_channel++];
    char *dir = g_build_filename(r->qdir, channel, NULL);
    if (r->entries)
        g_ptr_array_unref(r->entries);
    r->entries = g_ptr_array_new_with_free_func(entry_free);
    r->next_entry = 0;
    gboolean ok = TRUE;
    GPtrArray *names = NULL;
    if (!msm_is_real_dir(dir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "channel directory %s is a symbolic link: msmigrate does not follow links "
                    "in the MTA queue; replace it with the directory it points to",
                    dir);
        ok = FALSE;
    } else if ((names = msm_core_queue_list_names(dir, error)) == NULL) {
        ok = FALSE;
    }
    for (guint i = 0; ok && i < names->len; i++) {
        const char *n = names->pdata[i];
        Entry *e = g_new0(Entry, 1);
        e->path = g_build_filename(dir, n, NULL);
        e->channel = g_strdup(channel);
        e->name = g_strdup(n);
        struct stat st;
        if (lstat(e->path, &st) != 0) {
            e->code = MSM_ERROR_UNSAFE;
            e->refusal = g_strdup_printf("cannot examine %s: %s", e->path, g_strerror(errno));
        } else if (S_ISLNK(st.st_mode)) {
            e->code = MSM_ERROR_UNSAFE;
            e->refusal = g_strdup_printf("%s is a symbolic link: msmigrate does not follow links "
                                         "in the MTA queue; replace it with the file it points "
                                         "to, or remove it",
                                         e->path);
        } else if (!S_ISREG(st.st_mode) || !is_message_name(n, &e->held)) {
            e->code = MSM_ERROR_PARSE;
            e->refusal = g_strdup_printf(
                "%s is not an NMS 4.x queue file (\"<id>.msg\" or \"<id>.held\", "
                "docs/formats/queue-nms4.md): msmigrate leaves it alone; move it out of the "
                "queue",
                e->path);
        }
        g_ptr_array_add(r->entries, e);
    }
    if (names)
        g_ptr_array_unref(names);
    g_free(dir);
    return ok;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    *item_r = NULL;
    while (r->entries == NULL || r->next_entry >= r->entries->len) {
        if (r->next_channel >= r->channels->len)
            return TRUE;
        if (!next_channel(r, error))
            return FALSE;
    }
    Entry *e = r->entries->pdata[r->next_entry++];
    if (e->refusal) {
        g_set_error_literal(error, MSM_ERROR, e->code, e->refusal);
        return FALSE;
    }
    MsmQueuedMessage *q = parse_file(e->path, e->channel, e->name, e->held, error);
    if (q == NULL)
        return FALSE;
    char *key = g_strdup_printf("queue/%s/%s", e->channel, e->name);
    *item_r = msm_item_new(MSM_KIND_QUEUE, key, q);
    g_free(key);
    return TRUE;
}

static void
reader_close(gpointer reader)
{
    Reader *r = reader;
    if (r == NULL)
        return;
    if (r->entries)
        g_ptr_array_unref(r->entries);
    g_ptr_array_unref(r->channels);
    g_free(r->qdir);
    g_free(r);
}

static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Reader *r = reader;
    guint64 items = 0, bytes = 0;
    for (guint i = 0; i < r->channels->len; i++) {
        char *dir = g_build_filename(r->qdir, r->channels->pdata[i], NULL);
        GDir *d = msm_is_real_dir(dir) ? g_dir_open(dir, 0, NULL) : NULL;
        const char *n;
        while (d && (n = g_dir_read_name(d)) != NULL) {
            gboolean held;
            struct stat st;
            char *p = g_build_filename(dir, n, NULL);
            if (n[0] != '$' && is_message_name(n, &held) && lstat(p, &st) == 0 &&
                S_ISREG(st.st_mode)) {
                items++;
                bytes += (guint64)st.st_size;
            }
            g_free(p);
        }
        if (d)
            g_dir_close(d);
        g_free(dir);
    }
    *items_r = items;
    *bytes_r = bytes;
    return TRUE;
}

/* ---- writer ---- */

typedef struct {
    char *qdir;
    char *undo_dir; /* <work dir>/nms4-queue-rollback, or NULL outside a run */
    GMutex mutex;   /* the undo list */
} Writer;

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *qdir = queue_dir(ctx, root, version, error);
    if (qdir == NULL)
        return NULL;
    Writer *w = g_new0(Writer, 1);
    w->qdir = qdir;
    g_mutex_init(&w->mutex);
    if (ctx && ctx->work_dir && *ctx->work_dir) {
        w->undo_dir = g_build_filename(ctx->work_dir, ROLLBACK_DIR, NULL);
        if (!msm_mkdir_p(w->undo_dir, TRUE, error)) {
            g_free(w->undo_dir);
            g_free(w->qdir);
            g_free(w);
            return NULL;
        }
    }
    return w;
}

/* The file's name: the item's own stem when it is one of ours, else a stem
 * made of its name's letters and digits (or of the key's SHA-256). (transfer full) */
static char *
target_name(const MsmItem *item, const MsmQueuedMessage *q)
{
    const char *suffix = q->held ? ".held" : ".msg";
    GString *stem = g_string_new(NULL);
    if (q->name) {
        const char *n = q->name;
        gsize len = strlen(n);
        if (g_str_has_suffix(n, ".msg"))
            len -= 4;
        else if (g_str_has_suffix(n, ".held"))
            len -= 5;
        else if ((g_str_has_prefix(n, "qf") || g_str_has_prefix(n, "hf")) &&
                 len > 2) { /* NMS 3.x control file */
            n += 2;
            len -= 2;
        }
        for (gsize i = 0; i < len && stem->len < 64; i++)
            if (g_ascii_isalnum(n[i]) || n[i] == '_' || n[i] == '-')
                g_string_append_c(stem, n[i]);
    }
    if (stem->len == 0) {
        char *h = msm_sha256_hex(item->key, strlen(item->key));
        g_string_append_len(stem, h, 16);
        g_free(h);
    }
    g_string_append(stem, suffix);
    return g_string_free(stem, FALSE);
}

/* Checks that v has no line feed. */
static gboolean
check_value(const MsmItem *item, const char *what, const char *v, GError **error)
{
    if (v == NULL || strchr(v, '\n') == NULL)
        return TRUE;
    g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                "refusing queued message %s: its %s contains a line feed, which would add "
                "envelope lines; fix the address",
                item->key, what);
    return FALSE;
}

/* The envelope text, ended by the empty line. */
static gboolean
build_envelope(const MsmItem *item, const MsmQueuedMessage *q, GString *env, GError **error)
{
    g_string_append(env, MAGIC "\n");
    if (!check_value(item, "sender", q->sender, error))
        return FALSE;
    g_string_append_printf(env, "Sender: %s\n", q->sender ? q->sender : "");
    for (guint i = 0; q->recipients && i < q->recipients->len; i++) {
        const MsmRecipient *r = q->recipients->pdata[i];
        if (!check_value(item, "recipient", r->address, error) ||
            !check_value(item, "original recipient", r->original, error))
            return FALSE;
        g_string_append_printf(env, "Recipient: %s\n", r->address ? r->address : "");
        if (r->original)
            g_string_append_printf(env, "Original-Recipient: %s\n", r->original);
        if (r->notify)
            g_string_append_printf(env, "Notify: %u\n", (unsigned)r->notify);
    }
    g_string_append_printf(
        env, "Attempts: %u\nCreated: %" G_GINT64_FORMAT "\nLast-Attempt: %" G_GINT64_FORMAT "\n",
        q->attempts, q->created, q->last_attempt);
    for (guint i = 0; q->extra && i < q->extra->len; i++) {
        if (!check_value(item, "extra envelope record", q->extra->pdata[i], error))
            return FALSE;
        g_string_append_printf(env, "Extra: %s\n", (const char *)q->extra->pdata[i]);
    }
    g_string_append_c(env, '\n');
    return TRUE;
}

static gboolean
write_all(int fd, const void *data, gsize len)
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

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    Writer *w = writer;
    if (item == NULL || item->kind != MSM_KIND_QUEUE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the nms4-queue writer was given %s item %s: only queued messages can be "
                    "written",
                    item ? msm_kind_name(item->kind) : "no", item && item->key ? item->key : "");
        return FALSE;
    }
    MsmQueuedMessage *q = item->payload;
    if (!safe_component(q->channel)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing queued message %s: its channel \"%s\" is not one safe directory "
                    "name",
                    item->key, q->channel ? q->channel : "(null)");
        return FALSE;
    }
    GString *env = g_string_new(NULL);
    if (!build_envelope(item, q, env, error)) {
        g_string_free(env, TRUE);
        return FALSE;
    }
    char *name = target_name(item, q);
    char *dir = g_build_filename(w->qdir, q->channel, NULL);
    char *dest = g_build_filename(dir, name, NULL);
    char *tmp = g_strdup_printf("%s/$%s.tmp", dir, name);
    gboolean ok = msm_mkdir_p(w->qdir, FALSE, error);
    if (ok && mkdir(dir, 0700) != 0 && errno != EEXIST) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create channel directory %s: %s", dir,
                    g_strerror(e));
        ok = FALSE;
    }
    if (ok && !msm_is_real_dir(dir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing to write %s: %s is not a directory (a symbolic link could lead "
                    "outside the target); replace it with a directory",
                    item->key, dir);
        ok = FALSE;
    }
    if (ok)
        ok = w->undo_dir == NULL || msm_queue_undo_remember(w->undo_dir, &w->mutex, dest, error);
    int fd = -1;
    if (ok) {
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                        "cannot create %s: %s", tmp, g_strerror(e));
            ok = FALSE;
        }
    }
    if (ok && !write_all(fd, env->str, env->len))
        goto io;
    if (ok) {
        guint8 *buf = g_malloc(CHUNK);
        while (ok && q->body) {
            gssize n = msm_body_read(q->body, buf, CHUNK, error);
            if (n < 0) {
                g_prefix_error(error, "cannot write queued message %s: ", item->key);
                ok = FALSE;
            } else if (n == 0) {
                break;
            } else if (!write_all(fd, buf, (gsize)n)) {
                g_free(buf);
                goto io;
            }
        }
        g_free(buf);
    }
    if (ok && (fsync(fd) != 0 || fchmod(fd, 0600) != 0))
        goto io;
    goto done;
io:;
    int e = errno;
    g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(e));
    ok = FALSE;
done:
    if (fd >= 0 && close(fd) != 0 && ok) {
        int e2 = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(e2));
        ok = FALSE;
    }
    if (ok && rename(tmp, dest) != 0) {
        int e3 = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot rename %s to %s: %s", tmp, dest,
                    g_strerror(e3));
        ok = FALSE;
    }
    if (!ok && fd >= 0)
        unlink(tmp);
    if (ok) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
    g_string_free(env, TRUE);
    g_free(name);
    g_free(dir);
    g_free(dest);
    g_free(tmp);
    return ok;
}

static gboolean
writer_commit(gpointer writer, GError **error)
{
    (void)writer;
    (void)error;
    return TRUE;
}

static void
writer_close(gpointer writer)
{
    Writer *w = writer;
    if (w == NULL)
        return;
    g_mutex_clear(&w->mutex);
    g_free(w->undo_dir);
    g_free(w->qdir);
    g_free(w);
}

/* Undoes the puts of run ctx->run_id (queue-rename.h undo records). */
static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)root;
    (void)version;
    if (ctx == NULL || ctx->work_dir == NULL)
        return TRUE;
    char *undo = g_build_filename(ctx->work_dir, ROLLBACK_DIR, NULL);
    gboolean ok = msm_queue_undo_rollback(undo, error);
    g_free(undo);
    return ok;
}

static const MsmCodec nms4_queue_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "nms4-queue",
    .kind = MSM_KIND_QUEUE,
    .versions = nms4_versions,
    .flags = MSM_CODEC_THREADSAFE,
    .reader_open = reader_open,
    .reader_next = reader_next,
    .reader_close = reader_close,
    .writer_open = writer_open,
    .writer_put = writer_put,
    .writer_commit = writer_commit,
    .writer_close = writer_close,
    .reader_estimate = reader_estimate,
    .rollback = rollback,
};

const MsmCodec *
msm_core_nms4_queue_codec(void)
{
    return &nms4_queue_codec;
}
