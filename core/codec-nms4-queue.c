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
#include "queue-file.h"
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
#define CHUNK MSM_QUEUE_CHUNK
#define ROLLBACK_DIR "nms4-queue-rollback"

/* ---- names and places ---- */

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

/* ---- parsing ---- */

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
        else if (!msm_queue_parse_decimal(v, FALSE, &n) || n < 1 || n > G_MAXUINT32)
            *why = "a Notify value that is not a decimal number from 1 to 4294967295";
        else
            last->notify = (guint32)n;
    } else if (IS("Attempts")) {
        if ((*seen & S_ATT) || !msm_queue_parse_decimal(v, FALSE, &n) || n > G_MAXUINT)
            *why = "a second Attempts line, or one that is not a decimal number";
        else {
            *seen |= S_ATT;
            q->attempts = (guint)n;
        }
    } else if (IS("Created") || IS("Last-Attempt")) {
        gboolean created = IS("Created");
        guint bit = created ? S_CREATED : S_LAST;
        if ((*seen & bit) || !msm_queue_parse_decimal(v, TRUE, &n))
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
        q->body = msm_queue_body_slice(path, &st, body_start, (gint64)st.st_size - body_start);
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
    return qdir ? msm_queue_channels_new(qdir, entry_free, error) : NULL;
}

/* Lists the files of one channel as entries (MsmQueueListFunc). */
static gboolean
list_channel(const char *channel, const char *dir, GPtrArray *entries, GError **error)
{
    GPtrArray *names = msm_core_queue_list_names(dir, error);
    if (names == NULL)
        return FALSE;
    for (guint i = 0; i < names->len; i++) {
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
        g_ptr_array_add(entries, e);
    }
    g_ptr_array_unref(names);
    return TRUE;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    gpointer next = NULL;
    *item_r = NULL;
    if (!msm_queue_channels_next(reader, list_channel, &next, error))
        return FALSE;
    Entry *e = next;
    if (e == NULL)
        return TRUE;
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

static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    MsmQueueChannels *r = reader;
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

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *qdir = queue_dir(ctx, root, version, error);
    return qdir ? msm_queue_writer_new(ctx, qdir, ROLLBACK_DIR, error) : NULL;
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
    return msm_queue_no_line_feed(item, what, v, "envelope lines", "fix the address", error);
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

/* What one put writes: the envelope, then the body. */
typedef struct {
    const MsmItem *item;
    MsmQueuedMessage *q;
    const GString *env;
} Fill;

/* Writes the envelope and the body to the temporary file (MsmQueueFillFunc). */
static gboolean
fill_file(int fd, const char *tmp, gpointer data, GError **error)
{
    const Fill *f = data;
    if (!msm_queue_write_all(fd, f->env->str, f->env->len)) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(e));
        return FALSE;
    }
    return msm_queue_copy_body(fd, f->q->body, f->item->key, tmp, NULL, NULL, error);
}

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    MsmQueueWriter *w = writer;
    MsmQueuedMessage *q = msm_queue_put_message(item, "nms4-queue", error);
    if (q == NULL || !msm_queue_check_channel(item, q->channel, "", error))
        return FALSE;
    GString *env = g_string_new(NULL);
    if (!build_envelope(item, q, env, error)) {
        g_string_free(env, TRUE);
        return FALSE;
    }
    char *name = target_name(item, q);
    char *dir = g_build_filename(w->qdir, q->channel, NULL);
    char *dest = g_build_filename(dir, name, NULL);
    Fill fill = {item, q, env};
    gboolean ok = msm_mkdir_p(w->qdir, FALSE, error) &&
                  msm_queue_make_channel_dir(dir, 0700, item->key, error) &&
                  msm_queue_writer_remember(w, dest, error) &&
                  msm_queue_file_put(dir, name, 0600, TRUE, fill_file, &fill, error);
    if (ok)
        msm_queue_sync_dir(dir, NULL);
    g_string_free(env, TRUE);
    g_free(name);
    g_free(dir);
    g_free(dest);
    return ok;
}

/* Undoes the puts of run ctx->run_id (queue-rename.h undo records). */
static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)root;
    (void)version;
    return msm_queue_writer_rollback(ctx, ROLLBACK_DIR, error);
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
    .reader_close = msm_queue_channels_free,
    .writer_open = writer_open,
    .writer_put = writer_put,
    .writer_commit = msm_queue_writer_commit,
    .writer_close = msm_queue_writer_close,
    .reader_estimate = reader_estimate,
    .rollback = rollback,
};

const MsmCodec *
msm_core_nms4_queue_codec(void)
{
    return &nms4_queue_codec;
}
