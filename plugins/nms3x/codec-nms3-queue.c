/*
 * NAME
 *	codec-nms3-queue.c - the NMS 3.x MTA queue (a documented model), for the nms3x plugin
 * SUMMARY
 *	Exports nms3x_queue_codec() (kind queue, name "nms3-queue", version
 *	nms-3.x) with the rules of docs/formats/queue-nms3.md: in each channel
 *	directory below the queue directory a message is a pair of files, the
 *	control file "qf<id>" ("hf<id>" when held) holding the envelope as
 *	one-letter records, and the data file "df<id>" holding the message
 *	bytes. Items are keyed "queue/<channel>/<control file name>".
 * OWNERSHIP
 *	nms3x_queue_codec() returns a static codec (transfer none). Readers and
 *	writers follow codec.h.
 * DESCRIPTION
 *	The channel walk and the file writes come from core/queue-file.h
 *	(shared with every queue codec), the queue directory and its listing
 *	from core (builtin.h, shared with the nms4-queue codec): the layout's
 *	directory, unless the instance's nsmsg.conf names another place below
 *	nsmsg.serverroot
 *	(nsmsg.queue): how qconvert found the 3.x queue (seed 002). Files are
 *	written with the 3.x access rights of the model (0660, channel
 *	directories 0770): the 4.x codec writes 0600/0700 instead, which is
 *	the "3.x access rights converted to 4.x" of qconvert.
 * ERRORS
 *	MSM_ERROR_PARSE (per message, files left untouched): a control file
 *	without its data file or the reverse, both qf and hf for one id, a
 *	first line other than "V3", an unknown or repeated record, a number
 *	that is not decimal, O/N before any R, a control file over 1 MiB or
 *	with a NUL byte, a file name of neither form. MSM_ERROR_UNSAFE: a
 *	symbolic link, an unsafe channel or name, a line feed in a value.
 *	MSM_ERROR_IO: what the system refused.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"    /* the NMS queue directory and its listing, shared with nms4-queue */
#include "queue-file.h" /* the channel walk and file writes of every queue codec */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const MsmCodec *nms3x_queue_codec(void);

static const char *const nms3_versions[] = {"nms-3.x", NULL};

#define MAX_CONTROL (1024 * 1024)

/* ---- helpers ---- */

/* TRUE when id is [A-Za-z0-9_-]+ */
static gboolean
valid_id(const char *id)
{
    if (*id == '\0')
        return FALSE;
    for (const char *p = id; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '_' && *p != '-')
            return FALSE;
    return TRUE;
}

/* ---- parsing a control file ---- */

/* Reads the control file at path (not following links) into *text_r. */
static gboolean
read_control(const char *path, char **text_r, gsize *len_r, struct stat *st, GError **error)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, st) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                    "cannot read queue file %s: %s", path, g_strerror(e));
        if (fd >= 0)
            close(fd);
        return FALSE;
    }
    if (!S_ISREG(st->st_mode) || st->st_size > MAX_CONTROL) {
        g_set_error(error, MSM_ERROR, S_ISREG(st->st_mode) ? MSM_ERROR_PARSE : MSM_ERROR_UNSAFE,
                    "queue control file %s is %s: it is not an NMS 3.x control file "
                    "(docs/formats/queue-nms3.md); move it out of the queue directory",
                    path, S_ISREG(st->st_mode) ? "larger than 1 MiB" : "not a regular file");
        close(fd);
        return FALSE;
    }
    GString *s = g_string_new(NULL);
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue file %s: %s", path,
                        g_strerror(e));
            g_string_free(s, TRUE);
            close(fd);
            return FALSE;
        }
        if (n == 0)
            break;
        g_string_append_len(s, buf, n);
        if (s->len > MAX_CONTROL)
            break;
    }
    close(fd);
    *len_r = s->len;
    *text_r = g_string_free(s, FALSE);
    return TRUE;
}

/* Parses the control text into q; FALSE + MSM_ERROR_PARSE naming path and line. */
static gboolean
parse_control(MsmQueuedMessage *q, const char *path, const char *text, gsize len, GError **error)
{
    if (len > MAX_CONTROL || memchr(text, '\0', len) != NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue control file %s is larger than 1 MiB or contains a NUL byte: it is "
                    "damaged; move it out of the queue directory",
                    path);
        return FALSE;
    }
    if (len == 0 || text[len - 1] != '\n') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue control file %s does not end with a line feed (incomplete?): let "
                    "the MTA finish with it, or move it out of the queue directory",
                    path);
        return FALSE;
    }
    char **lines = g_strsplit(text, "\n", -1);
    guint n = g_strv_length(lines);
    guint seen = 0; /* S A T L */
    const char *why = NULL;
    guint i;
    for (i = 0; why == NULL && i + 1 < n; i++) {
        const char *l = lines[i];
        const char *v = l[0] ? l + 1 : l;
        MsmRecipient *last =
            q->recipients->len ? q->recipients->pdata[q->recipients->len - 1] : NULL;
        gint64 x = 0;
        if (i == 0) {
            if (strcmp(l, "V3") != 0)
                why = "the first record is not \"V3\"";
            continue;
        }
        switch (l[0]) {
        case 'S':
            if (seen & 1)
                why = "a second S (sender) record";
            seen |= 1;
            g_free(q->sender);
            q->sender = g_strdup(v);
            break;
        case 'R':
            g_ptr_array_add(q->recipients, msm_recipient_new(v));
            break;
        case 'O':
            if (last == NULL || last->original)
                why = "an O (original recipient) record after no R record, or a second one";
            else
                last->original = g_strdup(v);
            break;
        case 'N':
            if (last == NULL || last->notify)
                why = "an N (notify) record after no R record, or a second one";
            else if (!msm_queue_parse_decimal(v, FALSE, &x) || x < 1 || x > G_MAXUINT32)
                why = "an N (notify) value that is not a decimal number from 1 to 4294967295";
            else
                last->notify = (guint32)x;
            break;
        case 'A':
            if ((seen & 2) || !msm_queue_parse_decimal(v, FALSE, &x) || x > G_MAXUINT)
                why = "a second A (attempts) record, or one that is not a decimal number";
            else
                q->attempts = (guint)x;
            seen |= 2;
            break;
        case 'T':
        case 'L':
            if ((seen & (l[0] == 'T' ? 4 : 8)) || !msm_queue_parse_decimal(v, TRUE, &x))
                why = "a second date record, or one that is not seconds since the epoch";
            else if (l[0] == 'T')
                q->created = x;
            else
                q->last_attempt = x;
            seen |= l[0] == 'T' ? 4 : 8;
            break;
        case 'X':
            g_ptr_array_add(q->extra, g_strdup(v));
            break;
        default:
            why = "a record whose letter the model does not know";
            break;
        }
    }
    if (why)
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "queue control file %s, line %u: %s; it is not an NMS 3.x control file as "
                    "docs/formats/queue-nms3.md describes it, and was left as it is",
                    path, i, why);
    g_strfreev(lines);
    return why == NULL;
}

/* ---- reader ---- */

typedef struct {
    char *channel, *control, *data, *name, *refusal;
    int code;
    gboolean held;
} Entry;

static void
entry_free(gpointer p)
{
    Entry *e = p;
    g_free(e->channel);
    g_free(e->control);
    g_free(e->data);
    g_free(e->name);
    g_free(e->refusal);
    g_free(e);
}

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *qdir = msm_core_nms_queue_dir(root, version, ctx ? msm_ctx_instance(ctx) : NULL, error);
    return qdir ? msm_queue_channels_new(qdir, entry_free, error) : NULL;
}

/* Adds a refusal entry for path. */
static void
refuse(GPtrArray *out, const char *channel, const char *name, int code, char *why)
{
    Entry *e = g_new0(Entry, 1);
    e->channel = g_strdup(channel);
    e->name = g_strdup(name);
    e->code = code;
    e->refusal = why;
    g_ptr_array_add(out, e);
}

/* Pairs the control and data files of one channel into entries, in id order
 * (MsmQueueListFunc). */
static gboolean
list_channel(const char *channel, const char *dir, GPtrArray *entries, GError **error)
{
    GPtrArray *names = msm_core_queue_list_names(dir, error);
    if (names == NULL)
        return FALSE;
    GHashTable *present = g_hash_table_new(g_str_hash, g_str_equal);
    for (guint i = 0; i < names->len; i++)
        g_hash_table_add(present, names->pdata[i]);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        char *path = g_build_filename(dir, n, NULL);
        struct stat st;
        gboolean is_link = lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
        gboolean control =
            (g_str_has_prefix(n, "qf") || g_str_has_prefix(n, "hf")) && valid_id(n + 2);
        gboolean data = g_str_has_prefix(n, "df") && valid_id(n + 2);
        if (is_link) {
            refuse(entries, channel, n, MSM_ERROR_UNSAFE,
                   g_strdup_printf("%s is a symbolic link: msmigrate does not follow links in "
                                   "the MTA queue; replace it with the file it points to",
                                   path));
        } else if (data) {
            char *q = g_strconcat("qf", n + 2, NULL), *h = g_strconcat("hf", n + 2, NULL);
            if (!g_hash_table_contains(present, q) && !g_hash_table_contains(present, h))
                refuse(entries, channel, n, MSM_ERROR_PARSE,
                       g_strdup_printf("%s is a data file without its control file qf%s: "
                                       "msmigrate leaves it alone; find its envelope or move "
                                       "it out of the queue",
                                       path, n + 2));
            g_free(q);
            g_free(h);
        } else if (control) {
            char *d = g_strconcat("df", n + 2, NULL);
            char *other = g_strconcat(n[0] == 'q' ? "hf" : "qf", n + 2, NULL);
            if (n[0] == 'h' && g_hash_table_contains(present, other)) {
                refuse(entries, channel, n, MSM_ERROR_PARSE,
                       g_strdup_printf("%s and %s/%s are both control files of message %s: "
                                       "remove the stale one",
                                       path, dir, other, n + 2));
            } else if (!g_hash_table_contains(present, d)) {
                refuse(entries, channel, n, MSM_ERROR_PARSE,
                       g_strdup_printf("%s is a control file without its data file %s: "
                                       "msmigrate leaves it alone; let the MTA finish with it "
                                       "or move it out of the queue",
                                       path, d));
            } else {
                Entry *e = g_new0(Entry, 1);
                e->channel = g_strdup(channel);
                e->name = g_strdup(n);
                e->control = g_strdup(path);
                e->data = g_build_filename(dir, d, NULL);
                e->held = n[0] == 'h';
                g_ptr_array_add(entries, e);
            }
            g_free(d);
            g_free(other);
        } else {
            refuse(entries, channel, n, MSM_ERROR_PARSE,
                   g_strdup_printf("%s is not an NMS 3.x queue file (qf<id>, hf<id> or df<id>, "
                                   "docs/formats/queue-nms3.md): msmigrate leaves it alone; "
                                   "move it out of the queue",
                                   path));
        }
        g_free(path);
    }
    g_hash_table_unref(present);
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
    char *text = NULL;
    gsize len = 0;
    struct stat st, dst;
    if (!read_control(e->control, &text, &len, &st, error))
        return FALSE;
    if (lstat(e->data, &dst) != 0 || !S_ISREG(dst.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "queue data file %s is missing or not a regular file: msmigrate "
                    "leaves message %s alone",
                    e->data, e->control);
        g_free(text);
        return FALSE;
    }
    MsmQueuedMessage *q = msm_queued_message_new(e->channel);
    q->name = g_strdup(e->name);
    q->held = e->held;
    q->created = (gint64)st.st_mtime;
    if (!parse_control(q, e->control, text, len, error)) {
        g_free(text);
        msm_queued_message_free(q);
        return FALSE;
    }
    g_free(text);
    q->body = msm_body_new_file(e->data, (gint64)dst.st_size);
    char *key = g_strdup_printf("queue/%s/%s", e->channel, e->name);
    *item_r = msm_item_new(MSM_KIND_QUEUE, key, q);
    g_free(key);
    return TRUE;
}

/* ---- writer ---- */

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *qdir = msm_core_nms_queue_dir(root, version, ctx ? msm_ctx_instance(ctx) : NULL, error);
    return qdir ? msm_queue_writer_new(ctx, qdir, NULL, error) : NULL;
}

/* Writes dest atomically from head (may be NULL) then body (may be NULL), mode 0660. */
static gboolean
write_file(const char *dir, const char *name, const GString *head, MsmBody *body, const char *key,
           GError **error)
{
    char *tmp = g_strdup_printf("%s/$%s.tmp", dir, name);
    char *dest = g_build_filename(dir, name, NULL);
    gboolean ok = TRUE;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0660);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                    "cannot create %s: %s", tmp, g_strerror(e));
        g_free(tmp);
        g_free(dest);
        return FALSE;
    }
    int e = 0;
    if (head && !msm_queue_write_all(fd, head->str, head->len))
        e = errno, ok = FALSE;
    if (ok)
        ok = msm_queue_copy_body(fd, body, key, dest, NULL, NULL, error);
    if (ok && (fchmod(fd, 0660) != 0 || fsync(fd) != 0))
        e = errno, ok = FALSE;
    if (close(fd) != 0 && ok)
        e = errno, ok = FALSE;
    if (ok && rename(tmp, dest) != 0)
        e = errno, ok = FALSE;
    if (!ok) {
        if (e != 0 && (error == NULL || *error == NULL))
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", dest, g_strerror(e));
        unlink(tmp);
    }
    g_free(tmp);
    g_free(dest);
    return ok;
}

static gboolean
no_line_feed(const MsmItem *item, const char *what, const char *v, GError **error)
{
    return msm_queue_no_line_feed(item, what, v, "control records", "fix it", error);
}

/* The message id: the item's name without qf/hf/df, ".msg", ".held", or its
 * letters and digits; the key's SHA-256 when nothing is left. (transfer full) */
static char *
message_id(const MsmItem *item, const MsmQueuedMessage *q)
{
    GString *id = g_string_new(NULL);
    if (q->name) {
        const char *n = q->name;
        gsize len = strlen(n);
        if (g_str_has_prefix(n, "qf") || g_str_has_prefix(n, "hf") || g_str_has_prefix(n, "df")) {
            n += 2;
            len -= 2;
        } else if (g_str_has_suffix(n, ".msg")) {
            len -= 4;
        } else if (g_str_has_suffix(n, ".held")) {
            len -= 5;
        }
        for (gsize i = 0; i < len && id->len < 64; i++)
            if (g_ascii_isalnum(n[i]) || n[i] == '_' || n[i] == '-')
                g_string_append_c(id, n[i]);
    }
    if (id->len == 0) {
        GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
        g_checksum_update(c, (const guchar *)item->key, (gssize)strlen(item->key));
        g_string_append_len(id, g_checksum_get_string(c), 16);
        g_checksum_free(c);
    }
    return g_string_free(id, FALSE);
}

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    MsmQueueWriter *w = writer;
    if (item == NULL || item->kind != MSM_KIND_QUEUE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "the nms3-queue writer was given a %s item: only queued messages can be "
                    "written",
                    item ? msm_kind_name(item->kind) : "missing");
        return FALSE;
    }
    MsmQueuedMessage *q = item->payload;
    if (!msm_queue_check_channel(item, q->channel, "", error))
        return FALSE;
    GString *ctl = g_string_new("V3\n");
    gboolean ok = no_line_feed(item, "sender", q->sender, error);
    if (ok)
        g_string_append_printf(ctl, "S%s\n", q->sender ? q->sender : "");
    for (guint i = 0; ok && q->recipients && i < q->recipients->len; i++) {
        const MsmRecipient *r = q->recipients->pdata[i];
        ok = no_line_feed(item, "recipient", r->address, error) &&
             no_line_feed(item, "original recipient", r->original, error);
        if (!ok)
            break;
        g_string_append_printf(ctl, "R%s\n", r->address ? r->address : "");
        if (r->original)
            g_string_append_printf(ctl, "O%s\n", r->original);
        if (r->notify)
            g_string_append_printf(ctl, "N%u\n", (unsigned)r->notify);
    }
    if (ok)
        g_string_append_printf(ctl, "A%u\nT%" G_GINT64_FORMAT "\nL%" G_GINT64_FORMAT "\n",
                               q->attempts, q->created, q->last_attempt);
    for (guint i = 0; ok && q->extra && i < q->extra->len; i++) {
        ok = no_line_feed(item, "extra record", q->extra->pdata[i], error);
        if (ok)
            g_string_append_printf(ctl, "X%s\n", (const char *)q->extra->pdata[i]);
    }
    char *id = message_id(item, q);
    char *dir = g_build_filename(w->qdir, q->channel, NULL);
    if (ok && g_mkdir_with_parents(w->qdir, 0770) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", w->qdir, g_strerror(e));
        ok = FALSE;
    }
    if (ok)
        ok = msm_queue_make_channel_dir(dir, 0770, item->key, error);
    /* data first, then the control file that makes the message visible */
    char *dname = g_strconcat("df", id, NULL);
    char *cname = g_strconcat(q->held ? "hf" : "qf", id, NULL);
    char *stale = g_strdup_printf("%s/%s%s", dir, q->held ? "qf" : "hf", id);
    if (ok)
        ok = write_file(dir, dname, NULL, q->body, item->key, error) &&
             write_file(dir, cname, ctl, NULL, item->key, error);
    if (ok && unlink(stale) != 0 && errno != ENOENT) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot remove %s: %s", stale, g_strerror(e));
        ok = FALSE;
    }
    if (ok)
        msm_queue_sync_dir(dir, NULL);
    g_free(stale);
    g_free(dname);
    g_free(cname);
    g_free(dir);
    g_free(id);
    g_string_free(ctl, TRUE);
    return ok;
}

static const MsmCodec nms3_queue_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "nms3-queue",
    .kind = MSM_KIND_QUEUE,
    .versions = nms3_versions,
    .flags = MSM_CODEC_THREADSAFE,
    .reader_open = reader_open,
    .reader_next = reader_next,
    .reader_close = msm_queue_channels_free,
    .writer_open = writer_open,
    .writer_put = writer_put,
    .writer_commit = msm_queue_writer_commit,
    .writer_close = msm_queue_writer_close,
};

const MsmCodec *
nms3x_queue_codec(void)
{
    return &nms3_queue_codec;
}
