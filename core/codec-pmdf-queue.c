/*
 * NAME
 *	codec-pmdf-queue.c - the PMDF-lineage MTA queue (SIMS 4.0, iMS 5.2, MS 6.0 - 8.1)
 * SUMMARY
 *	Implements msm_core_pmdf_queue_codec() (builtin.h) and the attempt
 *	prefix helpers of pmdf.h with the rules of docs/formats/queue-pmdf.md:
 *	one MsmQueuedMessage item per queue file below the layout's queue
 *	directory, keyed "queue/<channel>/<file name>", and a writer that puts
 *	each back, atomically, as <queue dir>/<channel>/<file name>.
 * DESCRIPTION
 *	The reader lists the channel directories when it opens and the files
 *	of one channel (with one level of "subdirs N" directories) when it
 *	reaches it, both in byte order of the names. A file is parsed when it
 *	is yielded: the envelope records are read line by line up to the
 *	record of two CTRL/A, the rest of the file is scanned in fixed-size
 *	chunks for the five CTRL/A that end the message, and what follows them
 *	(the retry information) is kept as one "~retry;" record. The message
 *	itself is never read into memory: the item's body reads the slice of
 *	the file lazily, and refuses to go on if the file changed meanwhile.
 *	Files are opened with O_NOFOLLOW and checked with fstat.
 *
 *	The writer shares only its undo records (MSM_CODEC_THREADSAFE): each put
 *	writes "$<name>.tmp" in the channel directory (the MTA and the reader
 *	ignore '$' files), fsyncs it, renames it over the final name and
 *	fsyncs the directory. The same item put twice gives the same file.
 * DIAGNOSTICS
 *	MSM_ERROR_PARSE: a queue file whose name does not start with two
 *	attempt digits, without the record of two CTRL/A or the five CTRL/A,
 *	with a damaged modelled record (date not decimal, "o;" before any
 *	"r;", a duplicate "f;"), a NUL byte in the envelope, or oversized
 *	envelope records or retry information; the file is left untouched.
 *	MSM_ERROR_UNSAFE: a symbolic link in the queue (reported, never
 *	followed), a channel or file name that is not one safe path component,
 *	an envelope value with a line break, a body that cannot be framed
 *	(five CTRL/A in a row, or a final CTRL/A), a channel directory that is
 *	a link in the target. MSM_ERROR_INVALID_ARGUMENT: an item that is not a
 *	queued message, too many attempts, an "extra" record that would read
 *	back as a modelled one. MSM_ERROR_FAILED: two files of a channel with
 *	one name (two subdirectories). MSM_ERROR_IO: what the system refused,
 *	with its reason.
 */
#include "config.h"

#include "builtin.h"
#include "pmdf.h"

#include "ctxpriv.h"
#include "queue-file.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const queue_versions[] = {
    "sims-4.0", "ims-5.2",  "ms-6.0", "ms-6.1",   "ms-6.2",   "ms-6.2p3", "ms-6.3",
    "ms-7.0",   "ms-7.0.5", "ms-8.0", "ms-8.0.1", "ms-8.0.2", "ms-8.1",   NULL,
};

static const char digits36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

#define RETRY_PREFIX "~retry;"
#define MAX_RECORD (1024 * 1024) /* longest envelope record accepted */
#define MAX_RETRY (1024 * 1024)  /* most retry information accepted */
#define CHUNK MSM_QUEUE_CHUNK

/* ---- attempts prefix ---- */

/* The two-character prefix of n attempts (complemented base 36). */
gboolean
msm_pmdf_attempts_encode(guint n, char out[3])
{
    if (n > MSM_PMDF_ATTEMPTS_MAX)
        return FALSE;
    guint v = MSM_PMDF_ATTEMPTS_MAX - n;
    out[0] = digits36[v / 36];
    out[1] = digits36[v % 36];
    out[2] = '\0';
    return TRUE;
}

/* The value of one upper-case base-36 digit, or -1. */
static int
digit36(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return -1;
}

/* The attempts counted by the first two characters of name. */
gboolean
msm_pmdf_attempts_decode(const char *name, guint *n_r)
{
    if (name == NULL || name[0] == '\0' || name[1] == '\0')
        return FALSE;
    int hi = digit36(name[0]), lo = digit36(name[1]);
    if (hi < 0 || lo < 0)
        return FALSE;
    *n_r = MSM_PMDF_ATTEMPTS_MAX - (guint)(hi * 36 + lo);
    return TRUE;
}

/* ---- shared helpers ---- */

/* The queue directory of root for version. (transfer full) */
static char *
queue_dir(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    MsmLayout *l = msm_layout_resolve(root, version, ctx ? ctx->instance : NULL, error);
    if (l == NULL)
        return NULL;
    char *d = g_strdup(msm_layout_queue_dir(l));
    msm_layout_free(l);
    return d;
}

/* Appends the escaped form of data: printable ASCII as is, '\' doubled, other bytes \xHH. */
static void
escape_bytes(GString *out, const guint8 *data, gsize len)
{
    for (gsize i = 0; i < len; i++) {
        guint8 c = data[i];
        if (c == '\\')
            g_string_append(out, "\\\\");
        else if (c >= 0x20 && c < 0x7f)
            g_string_append_c(out, (char)c);
        else
            g_string_append_printf(out, "\\x%02x", c);
    }
}

/* Decodes what escape_bytes wrote; NULL if s is not in that form. (transfer full) */
static GByteArray *
unescape_bytes(const char *s)
{
    GByteArray *b = g_byte_array_new();
    for (const char *p = s; *p; p++) {
        guint8 c = (guint8)*p;
        if (c == '\\') {
            if (p[1] == '\\') {
                p++;
            } else if (p[1] == 'x' && g_ascii_isxdigit(p[2]) && g_ascii_isxdigit(p[3])) {
                c = (guint8)(g_ascii_xdigit_value(p[2]) * 16 + g_ascii_xdigit_value(p[3]));
                p += 3;
            } else {
                g_byte_array_unref(b);
                return NULL;
            }
        }
        g_byte_array_append(b, &c, 1);
    }
    return b;
}

/* ---- parsing one file ---- */

typedef struct {
    int fd;
    const char *path;
    guint8 buf[CHUNK];
    gsize pos, len;
    gint64 base; /* file offset of buf[0] */
} Input;

/* Refills in->buf; FALSE + error on a read error. *eof_r set at the end. */
static gboolean
input_fill(Input *in, gboolean *eof_r, GError **error)
{
    in->base += (gint64)in->len;
    in->pos = in->len = 0;
    ssize_t n;
    do
        n = read(in->fd, in->buf, sizeof in->buf);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue file %s: %s", in->path,
                    g_strerror(e));
        return FALSE;
    }
    in->len = (gsize)n;
    *eof_r = n == 0;
    return TRUE;
}

/* Reads one '\n'-terminated line (without the '\n') into line. *got_r is
 * FALSE when the file ends before a line feed. */
static gboolean
input_line(Input *in, GString *line, gboolean *got_r, GError **error)
{
    g_string_truncate(line, 0);
    for (;;) {
        if (in->pos == in->len) {
            gboolean eof = FALSE;
            if (!input_fill(in, &eof, error))
                return FALSE;
            if (eof) {
                *got_r = FALSE;
                return TRUE;
            }
        }
        const guint8 *start = in->buf + in->pos;
        const guint8 *nl = memchr(start, '\n', in->len - in->pos);
        gsize take = nl ? (gsize)(nl - start) : in->len - in->pos;
        g_string_append_len(line, (const char *)start, (gssize)take);
        in->pos += take + (nl ? 1 : 0);
        if (line->len > MAX_RECORD) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "queue file %s: an envelope record is longer than %d bytes, so the "
                        "record of two CTRL/A that ends the envelope is missing or damaged; "
                        "it is not a PMDF queue file: move it out of the queue directory",
                        in->path, MAX_RECORD);
            return FALSE;
        }
        if (nl) {
            *got_r = TRUE;
            return TRUE;
        }
    }
}

/* Applies one envelope record (line number lineno) to q. */
static gboolean
apply_record(MsmQueuedMessage *q, const char *path, guint lineno, const GString *line,
             gboolean *have_sender, gboolean *have_d, gboolean *have_t, GError **error)
{
    const char *s = line->str;
    if (memchr(s, '\0', line->len) != NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue file %s, line %u: the envelope record contains a NUL byte; the file "
                    "is damaged: move it out of the queue directory",
                    path, lineno);
        return FALSE;
    }
    const char *why = NULL;
    MsmRecipient *last = q->recipients->len ? q->recipients->pdata[q->recipients->len - 1] : NULL;
    if (line->len >= 2 && s[1] == ';' && strchr("frondt", s[0]) != NULL) {
        const char *v = s + 2;
        gint64 date = 0;
        guint64 bits = 0;
        switch (s[0]) {
        case 'f':
            if (*have_sender)
                why = "a second \"f;\" (envelope From) record";
            g_free(q->sender);
            q->sender = g_strdup(v);
            *have_sender = TRUE;
            break;
        case 'r':
            g_ptr_array_add(q->recipients, msm_recipient_new(v));
            break;
        case 'o':
            if (last == NULL || last->original != NULL)
                why = "an \"o;\" (original recipient) record that follows no \"r;\" record, or "
                      "a second one for the same recipient";
            else
                last->original = g_strdup(v);
            break;
        case 'n':
            if (last == NULL || last->notify != 0)
                why = "an \"n;\" (notify) record that follows no \"r;\" record, or a second one "
                      "for the same recipient";
            else if (!g_ascii_string_to_unsigned(v, 10, 1, G_MAXUINT32, &bits, NULL))
                why = "an \"n;\" (notify) record whose value is not a decimal number from 1 to "
                      "4294967295";
            else
                last->notify = (guint32)bits;
            break;
        case 'd':
        case 't':
        default:
            if ((s[0] == 'd' ? *have_d : *have_t))
                why = "a second date record";
            else if (!msm_queue_parse_decimal(v, TRUE, &date))
                why = "a date record (\"d;\" or \"t;\") whose value is not seconds since the "
                      "epoch in decimal";
            else if (s[0] == 'd') {
                q->created = date;
                *have_d = TRUE;
            } else {
                q->last_attempt = date;
                *have_t = TRUE;
            }
            break;
        }
    } else if (g_str_has_prefix(s, RETRY_PREFIX)) {
        why = "a \"~retry;\" record, which msmigrate reserves for the retry information";
    } else {
        g_ptr_array_add(q->extra, g_strdup(s));
    }
    if (why != NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue file %s, line %u: %s (docs/formats/queue-pmdf.md); the file was left "
                    "as it is: fix or remove it",
                    path, lineno, why);
        return FALSE;
    }
    return TRUE;
}

/* Parses the queue file at path (channel, name) into a queued message whose
 * body reads the file lazily. (transfer full) */
static MsmQueuedMessage *
parse_file(const char *path, const char *channel, const char *name, GError **error)
{
    guint attempts = 0;
    if (!msm_pmdf_attempts_decode(name, &attempts)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue file %s: its name does not start with two attempt digits (0-9, A-Z), "
                    "so it is not a PMDF queue file: move it out of the queue directory",
                    path);
        return NULL;
    }
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
    q->attempts = attempts;
    q->held = g_str_has_suffix(name, ".HELD");
    Input *in = g_new0(Input, 1);
    in->fd = fd;
    in->path = path;
    GString *line = g_string_new(NULL);
    gboolean ok = TRUE, got = TRUE, ended = FALSE;
    gboolean have_sender = FALSE, have_d = FALSE, have_t = FALSE;
    guint lineno = 0;
    /* 1. envelope records up to the record of two CTRL/A */
    while (ok && !ended) {
        ok = input_line(in, line, &got, error);
        if (!ok)
            break;
        if (!got) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "queue file %s: the envelope is not ended by a record of two CTRL/A, "
                        "so it is not a complete PMDF queue file; it was left as it is: let "
                        "the MTA finish with it, or move it out of the queue directory",
                        path);
            ok = FALSE;
            break;
        }
        lineno++;
        if (strcmp(line->str, "\001\001") == 0 && line->len == 2)
            ended = TRUE;
        else
            ok = apply_record(q, path, lineno, line, &have_sender, &have_d, &have_t, error);
    }
    /* 2. the message, up to five CTRL/A */
    gint64 body_start = in->base + (gint64)in->pos, marker_end = -1;
    guint run = 0;
    while (ok && marker_end < 0) {
        if (in->pos == in->len) {
            gboolean eof = FALSE;
            if (!(ok = input_fill(in, &eof, error)))
                break;
            if (eof)
                break;
        }
        for (; in->pos < in->len; in->pos++) {
            run = in->buf[in->pos] == 1 ? run + 1 : 0;
            if (run == 5) {
                in->pos++;
                marker_end = in->base + (gint64)in->pos;
                break;
            }
        }
    }
    if (ok && marker_end < 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue file %s: the message is not ended by five CTRL/A, so the file is "
                    "incomplete (still being written, or truncated); it was left as it is: let "
                    "the MTA finish with it, or move it out of the queue directory",
                    path);
        ok = FALSE;
    }
    /* 3. the retry information: everything after the five CTRL/A */
    GByteArray *retry = g_byte_array_new();
    while (ok) {
        if (in->pos < in->len) {
            g_byte_array_append(retry, in->buf + in->pos, (guint)(in->len - in->pos));
            in->pos = in->len;
        }
        if (retry->len > MAX_RETRY) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "queue file %s: more than %d bytes follow the five CTRL/A that end the "
                        "message; that is not retry information: check the file",
                        path, MAX_RETRY);
            ok = FALSE;
            break;
        }
        gboolean eof = FALSE;
        if (!(ok = input_fill(in, &eof, error)) || eof)
            break;
    }
    if (ok && !(retry->len == 1 && retry->data[0] == '\n')) {
        GString *rec = g_string_new(RETRY_PREFIX);
        escape_bytes(rec, retry->data, retry->len);
        g_ptr_array_add(q->extra, g_string_free(rec, FALSE));
    }
    g_byte_array_unref(retry);
    if (ok) {
        if (!have_d)
            q->created = (gint64)st.st_mtime;
        if (!have_t)
            q->last_attempt = attempts > 0 ? (gint64)st.st_mtime : 0;
        q->body = msm_queue_body_slice(path, &st, body_start, marker_end - 5 - body_start);
    } else {
        msm_queued_message_free(q);
        q = NULL;
    }
    g_string_free(line, TRUE);
    g_free(in);
    close(fd);
    return q;
}

/* ---- reader ---- */

typedef struct {
    char *path;
    char *channel;
    char *name;
    char *refusal; /* why it is not read, or NULL */
    int code;
} Entry;

typedef struct {
    MsmQueueChannels *walk; /* the channels, and the Entry* of the current one */
    gboolean estimated;
    guint64 est_items, est_bytes;
} Reader;

/* Frees an Entry. */
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

/* TRUE for a queue file name: two attempt characters [0-9A-Z], a unique part, and a
 * two-character type suffix (".00") or ".HELD" (docs/formats/queue-pmdf.md). */
static gboolean
is_queue_file_name(const char *n)
{
    gsize len = strlen(n);
    if (len < 2 || !(g_ascii_isdigit(n[0]) || g_ascii_isupper(n[0])) ||
        !(g_ascii_isdigit(n[1]) || g_ascii_isupper(n[1])))
        return FALSE;
    if (len > 7 && strcmp(n + len - 5, ".HELD") == 0)
        return TRUE;
    return len > 5 && n[len - 3] == '.' && g_ascii_isalnum(n[len - 2]) &&
           g_ascii_isalnum(n[len - 1]);
}

/* Adds the entries of dir (a channel or one of its subdirectories) to out;
 * descends into subdirectories when depth is 0. */
static gboolean
list_channel_dir(const char *channel, const char *dir, int depth, GPtrArray *out, GHashTable *seen,
                 GError **error)
{
    GPtrArray *names = msm_core_queue_list_names(dir, error);
    if (names == NULL)
        return FALSE;
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < names->len; i++) {
        const char *n = names->pdata[i];
        char *path = g_build_filename(dir, n, NULL);
        struct stat st;
        if (lstat(path, &st) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot examine %s: %s", path,
                        g_strerror(e));
            ok = FALSE;
        } else if (S_ISDIR(st.st_mode)) {
            if (depth == 0)
                ok = list_channel_dir(channel, path, 1, out, seen, error);
        } else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
            Entry *e = g_new0(Entry, 1);
            e->path = g_strdup(path);
            e->channel = g_strdup(channel);
            e->name = g_strdup(n);
            if (S_ISLNK(st.st_mode)) {
                e->code = MSM_ERROR_UNSAFE;
                e->refusal = g_strdup_printf(
                    "%s is a symbolic link: msmigrate does not follow links in the MTA queue; "
                    "replace it with the queue file it points to, or remove it",
                    path);
            } else if (!is_queue_file_name(n)) {
                e->code = MSM_ERROR_PARSE;
                e->refusal = g_strdup_printf(
                    "%s is not a queue file name (two attempt digits, a unique part, then "
                    ".00-style or .HELD): nothing else belongs in a channel directory, so "
                    "msmigrate leaves it alone; move it out of the queue",
                    path);
            } else if (g_hash_table_contains(seen, n)) {
                e->code = MSM_ERROR_UNSAFE;
                e->refusal = g_strdup_printf(
                    "%s and %s would both be the queue item queue/%s/%s: rename or remove one "
                    "of them",
                    (const char *)g_hash_table_lookup(seen, n), path, channel, n);
            } else {
                g_hash_table_insert(seen, e->name, e->path);
            }
            g_ptr_array_add(out, e);
        }
        g_free(path);
    }
    g_ptr_array_unref(names);
    return ok;
}

/* Lists the channel directories of root's queue. (transfer full: Reader*) */
static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *qdir = queue_dir(ctx, root, version, error);
    if (qdir == NULL)
        return NULL;
    /* no queue directory: nothing queued (docs/formats/queue-pmdf.md) */
    MsmQueueChannels *walk = msm_queue_channels_new(qdir, entry_free, error);
    if (walk == NULL)
        return NULL;
    Reader *r = g_new0(Reader, 1);
    r->walk = walk;
    return r;
}

/* Loads the entries of one channel (MsmQueueListFunc). */
static gboolean
list_channel(const char *channel, const char *dir, GPtrArray *entries, GError **error)
{
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    gboolean ok = list_channel_dir(channel, dir, 0, entries, seen, error);
    g_hash_table_unref(seen);
    return ok;
}

/* Yields the next queued message; a file that cannot be read is an error
 * naming it, and the next call goes on after it. */
static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    gpointer next = NULL;
    *item_r = NULL;
    if (!msm_queue_channels_next(r->walk, list_channel, &next, error))
        return FALSE;
    Entry *e = next;
    if (e == NULL)
        return TRUE;
    if (e->refusal != NULL) {
        g_set_error_literal(error, MSM_ERROR, e->code, e->refusal);
        return FALSE;
    }
    MsmQueuedMessage *q = parse_file(e->path, e->channel, e->name, error);
    if (q == NULL)
        return FALSE;
    char *key = g_strdup_printf("queue/%s/%s", e->channel, e->name);
    *item_r = msm_item_new(MSM_KIND_QUEUE, key, q);
    g_free(key);
    return TRUE;
}

/* Frees the reader. */
static void
reader_close(gpointer reader)
{
    Reader *r = reader;
    if (r == NULL)
        return;
    msm_queue_channels_free(r->walk);
    g_free(r);
}

/* Counts the regular files (and their bytes) of dir, one level of subdirectories deep. */
static void
count_dir(const char *dir, int depth, guint64 *items, guint64 *bytes)
{
    GPtrArray *names = msm_core_queue_list_names(dir, NULL);
    for (guint i = 0; names && i < names->len; i++) {
        char *path = g_build_filename(dir, names->pdata[i], NULL);
        struct stat st;
        if (lstat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode) && depth == 0) {
                count_dir(path, 1, items, bytes);
            } else if (S_ISREG(st.st_mode)) {
                (*items)++;
                *bytes += (guint64)st.st_size;
            }
        }
        g_free(path);
    }
    if (names)
        g_ptr_array_unref(names);
}

/* The number of queue files and their bytes (counted once, names only). */
static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Reader *r = reader;
    if (!r->estimated) {
        for (guint i = 0; i < r->walk->channels->len; i++) {
            char *dir = g_build_filename(r->walk->qdir, r->walk->channels->pdata[i], NULL);
            if (msm_is_real_dir(dir))
                count_dir(dir, 0, &r->est_items, &r->est_bytes);
            g_free(dir);
        }
        r->estimated = TRUE;
    }
    *items_r = r->est_items;
    *bytes_r = r->est_bytes;
    return TRUE;
}

/* ---- writer ---- */

#define ROLLBACK_DIR "pmdf-queue-rollback"

/* Opens the target's queue directory (created on the first put); the writer
 * shares only its undo records (<work dir>/pmdf-queue-rollback in a run). */
static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *qdir = queue_dir(ctx, root, version, error);
    return qdir ? msm_queue_writer_new(ctx, qdir, ROLLBACK_DIR, error) : NULL;
}

/* The unique part of an NMS 3.x ("qf<id>", "hf<id>") or NMS 4.x ("<id>.msg",
 * "<id>.held") queue file name, id of [A-Za-z0-9_-]; NULL for any other name.
 * (transfer full) */
static char *
foreign_unique_part(const char *name)
{
    if (name == NULL)
        return NULL;
    gsize len = strlen(name);
    const char *id = name;
    gsize n = len;
    if ((g_str_has_prefix(name, "qf") || g_str_has_prefix(name, "hf")) && len > 2) {
        id = name + 2;
        n = len - 2;
    } else if (len > 4 && g_str_has_suffix(name, ".msg")) {
        n = len - 4;
    } else if (len > 5 && g_str_has_suffix(name, ".held")) {
        n = len - 5;
    } else {
        return NULL;
    }
    for (gsize i = 0; i < n; i++)
        if (!g_ascii_isalnum(id[i]) && id[i] != '_' && id[i] != '-')
            return NULL;
    return g_strndup(id, n);
}

/* The file name the item is written under: its own name with the attempts
 * prefix and the held suffix made to agree with the envelope, or one derived
 * from the key. (transfer full) */
static char *
target_name(const MsmItem *item, const MsmQueuedMessage *q, GError **error)
{
    char prefix[3];
    if (!msm_pmdf_attempts_encode(q->attempts, prefix)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "queued message %s has %u delivery attempts; a PMDF queue file name holds "
                    "at most %u: lower the count",
                    item->key, q->attempts, MSM_PMDF_ATTEMPTS_MAX);
        return NULL;
    }
    const char *suffix = q->held ? ".HELD" : ".00";
    if (q->name == NULL) {
        char *h = msm_sha256_hex(item->key, strlen(item->key));
        char *n = g_strdup_printf("%s%.12s%s", prefix, h, suffix);
        g_free(h);
        return n;
    }
    guint old;
    char *foreign = foreign_unique_part(q->name);
    if (foreign != NULL) {
        /* a message of an NMS queue (docs/formats/queue-pmdf.md "Names from other queues") */
        char *n = g_strconcat(prefix, foreign, suffix, NULL);
        g_free(foreign);
        return n;
    }
    if (!msm_queue_safe_component(q->name) || !msm_pmdf_attempts_decode(q->name, &old)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing queued message %s: its file name \"%s\" is not a PMDF queue file "
                    "name (two attempt digits, then one path component without '/', '\\', "
                    "control characters or a leading '$')",
                    item->key, q->name);
        return NULL;
    }
    GString *n = g_string_new(prefix);
    g_string_append(n, q->name + 2);
    gboolean is_held = g_str_has_suffix(n->str, ".HELD");
    if (is_held != q->held) {
        /* the type suffix follows the envelope's held flag */
        char *dot = strrchr(n->str + 2, '.');
        if (dot != NULL)
            g_string_truncate(n, (gsize)(dot - n->str));
        g_string_append(n, suffix);
    }
    return g_string_free(n, FALSE);
}

/* Checks that value (of record what) has no line break. */
static gboolean
check_value(const MsmItem *item, const char *what, const char *v, GError **error)
{
    return msm_queue_no_line_feed(item, what, v, "envelope records", "fix the address", error);
}

/* Builds the envelope of q (records, then the record of two CTRL/A) and the
 * retry bytes that follow the five CTRL/A. */
static gboolean
build_envelope(const MsmItem *item, const MsmQueuedMessage *q, GString *env, GByteArray **retry_r,
               GError **error)
{
    GByteArray *retry = NULL;
    for (guint i = 0; q->extra && i < q->extra->len; i++) {
        const char *x = q->extra->pdata[i];
        if (g_str_has_prefix(x, RETRY_PREFIX)) {
            if (retry != NULL || (retry = unescape_bytes(x + strlen(RETRY_PREFIX))) == NULL) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "refusing queued message %s: a second \"~retry;\" record, or one "
                            "not escaped as docs/formats/queue-pmdf.md says",
                            item->key);
                goto fail;
            }
            continue;
        }
        if (strchr(x, '\n') != NULL || strcmp(x, "\001\001") == 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "refusing queued message %s: extra envelope record %u contains a line "
                        "feed or is the end-of-envelope record",
                        item->key, i + 1);
            goto fail;
        }
        if (x[0] != '\0' && x[1] == ';' && strchr("frondt", x[0]) != NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "refusing queued message %s: extra envelope record \"%.40s\" uses the "
                        "letter '%c', which the model maps to a field "
                        "(docs/formats/queue-pmdf.md); put the value in that field",
                        item->key, x, x[0]);
            goto fail;
        }
        g_string_append(env, x);
        g_string_append_c(env, '\n');
    }
    g_string_append_printf(env, "d;%" G_GINT64_FORMAT "\nt;%" G_GINT64_FORMAT "\n", q->created,
                           q->last_attempt);
    if (!check_value(item, "envelope From", q->sender, error))
        goto fail;
    g_string_append_printf(env, "f;%s\n", q->sender ? q->sender : "");
    for (guint i = 0; q->recipients && i < q->recipients->len; i++) {
        const MsmRecipient *rc = q->recipients->pdata[i];
        if (!check_value(item, "recipient", rc->address, error) ||
            !check_value(item, "original recipient", rc->original, error))
            goto fail;
        g_string_append_printf(env, "r;%s\n", rc->address ? rc->address : "");
        if (rc->original)
            g_string_append_printf(env, "o;%s\n", rc->original);
        if (rc->notify)
            g_string_append_printf(env, "n;%u\n", (unsigned)rc->notify);
    }
    g_string_append(env, "\001\001\n");
    if (retry == NULL) {
        retry = g_byte_array_new();
        g_byte_array_append(retry, (const guint8 *)"\n", 1);
    }
    *retry_r = retry;
    return TRUE;
fail:
    if (retry)
        g_byte_array_unref(retry);
    return FALSE;
}

/* What one put writes: the envelope, the body, five CTRL/A, the retry bytes. */
typedef struct {
    const MsmItem *item;
    MsmQueuedMessage *q;
    const GString *env;
    const GByteArray *retry;
    guint run; /* CTRL/A at the end of what was written */
} Fill;

/* Refuses a body with five CTRL/A in a row (MsmQueueChunkCheck). */
static gboolean
check_chunk(const guint8 *buf, gsize len, gpointer data, GError **error)
{
    Fill *f = data;
    for (gsize i = 0; i < len; i++) {
        f->run = buf[i] == 1 ? f->run + 1 : 0;
        if (f->run == 5) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "refusing queued message %s: its body contains five CTRL/A in a "
                        "row, which would end the message early in a PMDF queue file",
                        f->item->key);
            return FALSE;
        }
    }
    return TRUE;
}

/* Streams the envelope, the body, five CTRL/A and the retry bytes to fd,
 * refusing a body that cannot be framed (MsmQueueFillFunc). */
static gboolean
fill_file(int fd, const char *tmp, gpointer data, GError **error)
{
    Fill *f = data;
    if (!msm_queue_write_all(fd, f->env->str, f->env->len))
        goto io;
    if (!msm_queue_copy_body(fd, f->q->body, f->item->key, tmp, check_chunk, f, error))
        return FALSE;
    if (f->run > 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing queued message %s: its body ends with CTRL/A, which would be read "
                    "back as part of the five CTRL/A that end the message",
                    f->item->key);
        return FALSE;
    }
    if (!msm_queue_write_all(fd, "\001\001\001\001\001", 5) ||
        !msm_queue_write_all(fd, f->retry->data, f->retry->len))
        goto io;
    return TRUE;
io:;
    int e = errno;
    g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(e));
    return FALSE;
}

/* Writes one queued message as <queue dir>/<channel>/<name>, atomically. */
static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    MsmQueueWriter *w = writer;
    MsmQueuedMessage *q = msm_queue_put_message(item, "pmdf-queue", error);
    if (q == NULL ||
        !msm_queue_check_channel(item, q->channel,
                                 " (empty, \".\", \"..\", '/', '\\', a control character or a "
                                 "leading '$')",
                                 error))
        return FALSE;
    char *name = target_name(item, q, error);
    if (name == NULL)
        return FALSE;
    GString *env = g_string_new(NULL);
    GByteArray *retry = NULL;
    char *dir = g_build_filename(w->qdir, q->channel, NULL);
    char *dest = g_build_filename(dir, name, NULL);
    gboolean ok = build_envelope(item, q, env, &retry, error) &&
                  msm_mkdir_p(w->qdir, FALSE, error) &&
                  msm_queue_make_channel_dir(dir, 0755, item->key, error) &&
                  msm_queue_writer_remember(w, dest, error);
    if (ok) {
        Fill fill = {item, q, env, retry, 0};
        ok = msm_queue_file_put(dir, name, 0600, FALSE, fill_file, &fill, error) &&
             msm_queue_sync_dir(dir, error);
    }
    if (retry)
        g_byte_array_unref(retry);
    g_string_free(env, TRUE);
    g_free(dest);
    g_free(dir);
    g_free(name);
    return ok;
}

/* Undoes the puts of run ctx->run_id: files it created are removed, files it
 * replaced are put back byte for byte (queue-rename.h undo records). */
static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)root;
    (void)version;
    return msm_queue_writer_rollback(ctx, ROLLBACK_DIR, error);
}

static const MsmCodec pmdf_queue_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "pmdf-queue",
    .kind = MSM_KIND_QUEUE,
    .versions = queue_versions,
    .flags = MSM_CODEC_THREADSAFE,
    .reader_open = reader_open,
    .reader_next = reader_next,
    .reader_close = reader_close,
    .writer_open = writer_open,
    .writer_put = writer_put,
    .writer_commit = msm_queue_writer_commit, /* every put is durable */
    .writer_close = msm_queue_writer_close,
    .reader_estimate = reader_estimate,
    .rollback = rollback,
};

/* The codec (static). */
const MsmCodec *
msm_core_pmdf_queue_codec(void)
{
    return &pmdf_queue_codec;
}
