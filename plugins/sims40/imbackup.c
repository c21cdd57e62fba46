/*
 * NAME
 *	imbackup.c - writes and reads the imbackup stream (see imbackup.h)
 * DESCRIPTION
 *	The framing (docs/formats/imbackup-stream.md) is line records with a
 *	one-letter tag, C-escaped text fields, and message bodies as exactly
 *	SIZE raw bytes after their "M" record followed by one "\n":
 *	  IMBACKUP 1 | U user | Q quota_bytes quota_messages used_bytes |
 *	  S subscribed raw name | F raw folder name | V uidvalidity uidnext |
 *	  A identifier TAB rights | M UID FLAGS DATE SIZE [KEYWORD...] + body |
 *	  E (end of folder) | Z folders messages (trailer)
 *	The writer buffers output in blocks of 512 x blocking factor bytes.
 *	The reader keeps one pushed-back line and the bytes of the current
 *	body still unread, so a folder's messages stream straight from the fd.
 */
#include "config.h"

#include "imbackup.h"

#include "codec-sims-store.h"

#include "legacy-store.h"
#include "util.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define STREAM_MAGIC "IMBACKUP 1"

GPtrArray *
sims40_users_file_load(const char *path, GError **error)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    char **lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        g_strstrip(lines[i]);
        if (lines[i][0] && lines[i][0] != '#')
            g_ptr_array_add(out, g_strdup(lines[i]));
    }
    g_strfreev(lines);
    g_free(text);
    return out;
}

/* ---- writer ---- */

typedef struct {
    int fd;
    GByteArray *buf;
    gsize block;
} Out;

static gboolean
out_flush(Out *o, gboolean all, GError **error)
{
    gsize off = 0;
    while (o->buf->len - off >= (all ? 1 : o->block)) {
        gsize n = all ? o->buf->len - off : o->block;
        ssize_t w = write(o->fd, o->buf->data + off, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "imbackup stream: write failed: %s",
                        g_strerror(e));
            return FALSE;
        }
        off += w;
    }
    g_byte_array_remove_range(o->buf, 0, off);
    return TRUE;
}

static gboolean
out_add(Out *o, const void *data, gsize len, GError **error)
{
    g_byte_array_append(o->buf, data, len);
    return o->buf->len < o->block || out_flush(o, FALSE, error);
}

static gboolean out_line(Out *o, GError **error, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

static gboolean
out_line(Out *o, GError **error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gboolean ok = out_add(o, s, strlen(s), error) && out_add(o, "\n", 1, error);
    g_free(s);
    return ok;
}

/* Writes one folder; *messages_r += messages written. */
static gboolean
write_folder(Out *o, MsmFolder *f, const char *raw, const Sims40BackupOptions *opts,
             guint64 *messages_r, GError **error)
{
    char *e = g_strescape(raw, "");
    gboolean ok =
        out_line(o, error, "F %s", e) && out_line(o, error, "V %u %u", f->uidvalidity, f->uidnext);
    g_free(e);
    for (guint i = 0; ok && i < f->acl->len; i++) {
        const MsmAce *a = f->acl->pdata[i];
        char *ei = g_strescape(a->identifier, ""), *er = g_strescape(a->rights, "");
        ok = out_line(o, error, "A %s\t%s", ei, er);
        g_free(ei);
        g_free(er);
    }
    GString *line = g_string_new(NULL);
    while (ok) {
        MsmMessage *m = NULL;
        if (!msm_message_iter_next(f->messages, &m, error)) {
            ok = FALSE;
            break;
        }
        if (m == NULL)
            break;
        if (opts && opts->since > 0 && m->internal_date < opts->since) {
            msm_message_free(m);
            continue;
        }
        g_string_assign(line, "M ");
        ok = msm_legacy_index_format(line, m, error) && out_add(o, line->str, line->len, error);
        guint8 buf[65536];
        gint64 left = m->size;
        while (ok && left > 0) {
            gssize n = msm_body_read(m->body, buf, MIN((gint64)sizeof buf, left), error);
            if (n <= 0) {
                if (n == 0)
                    g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                                "folder %s: message UID %u ended %" G_GINT64_FORMAT " bytes early",
                                f->name, m->uid, left);
                ok = FALSE;
                break;
            }
            ok = out_add(o, buf, n, error);
            left -= n;
        }
        ok = ok && out_add(o, "\n", 1, error);
        if (ok)
            (*messages_r)++;
        msm_message_free(m);
    }
    g_string_free(line, TRUE);
    return ok && out_line(o, error, "E");
}

gboolean
sims40_imbackup(const char *root, const char *const *users, int fd, const Sims40BackupOptions *opts,
                guint64 *folders_r, guint64 *messages_r, GError **error)
{
    Sims40RawReader *r = sims40_store_raw_open(root, users, error);
    if (r == NULL)
        return FALSE;
    Out o = {fd, g_byte_array_new(), 512u * (opts && opts->blocking ? opts->blocking : 20u)};
    guint64 folders = 0, messages = 0;
    char *cur_user = NULL;
    gboolean ok = out_line(&o, error, STREAM_MAGIC);
    while (ok) {
        MsmFolder *f = NULL;
        char *raw = NULL;
        GError *err = NULL;
        if (!sims40_store_raw_next(r, &f, &raw, &err)) {
            if ((err->code == MSM_ERROR_PARSE || err->code == MSM_ERROR_UNSAFE) &&
                !(opts && opts->stop_on_error)) {
                if (opts && opts->log)
                    fprintf(opts->log, "imbackup: skipped: %s\n", err->message);
                g_error_free(err);
                continue;
            }
            g_propagate_error(error, err);
            ok = FALSE;
            break;
        }
        if (f == NULL)
            break;
        if (g_strcmp0(cur_user, f->owner->user) != 0) {
            g_free(cur_user);
            cur_user = g_strdup(f->owner->user);
            ok =
                out_line(&o, error, "U %s", cur_user) &&
                out_line(&o, error, "Q %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                         f->owner->quota_bytes, f->owner->quota_messages, f->owner->used_bytes);
            for (guint i = 0; ok && i < f->owner->subscriptions->len; i++) {
                char *e = g_strescape(f->owner->subscriptions->pdata[i], "");
                ok = out_line(&o, error, "S %s", e);
                g_free(e);
            }
        }
        ok = ok && write_folder(&o, f, raw, opts, &messages, error);
        if (ok)
            folders++;
        else
            g_prefix_error(error, "user %s, folder %s: ", f->owner->user, f->name);
        msm_folder_free(f);
        g_free(raw);
    }
    ok = ok &&
         out_line(&o, error, "Z %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT, folders, messages) &&
         out_flush(&o, TRUE, error);
    g_byte_array_unref(o.buf);
    g_free(cur_user);
    sims40_store_raw_close(r);
    if (ok && folders_r)
        *folders_r = folders;
    if (ok && messages_r)
        *messages_r = messages;
    return ok;
}

/* ---- reader ---- */

struct Sims40BackupReader {
    FILE *fp;
    guint64 offset;     /* bytes consumed, for messages */
    char *pushed;       /* one pushed-back line */
    gint64 body_left;   /* unread bytes of the current body */
    gboolean need_nl;   /* the "\n" after the current body is unread */
    gboolean in_folder; /* messages of the current folder remain */
    gboolean started, ended;
    MsmOwner *owner; /* of the current U block */
    guint64 folders, messages;
    GError *body_error; /* a body read failure, reported by the next call */
};

Sims40BackupReader *
sims40_backup_reader_new(int fd)
{
    Sims40BackupReader *r = g_new0(Sims40BackupReader, 1);
    int d = dup(fd);
    r->fp = d >= 0 ? fdopen(d, "rb") : NULL;
    if (r->fp == NULL && d >= 0)
        close(d);
    return r;
}

void
sims40_backup_reader_free(Sims40BackupReader *r)
{
    if (r == NULL)
        return;
    if (r->fp)
        fclose(r->fp);
    g_free(r->pushed);
    msm_owner_free(r->owner);
    g_clear_error(&r->body_error);
    g_free(r);
}

static gboolean
bad(Sims40BackupReader *r, GError **error, const char *what)
{
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                "imbackup stream: byte %" G_GUINT64_FORMAT ": %s (a damaged or truncated "
                "stream: back up again)",
                r->offset, what);
    return FALSE;
}

/* Skips the rest of the current body and its "\n". */
static gboolean
sync_body(Sims40BackupReader *r, GError **error)
{
    guint8 buf[8192];
    while (r->body_left > 0) {
        size_t n = fread(buf, 1, MIN((gint64)sizeof buf, r->body_left), r->fp);
        if (n == 0)
            return bad(r, error, "stream ends inside a message body");
        r->body_left -= n;
        r->offset += n;
    }
    if (r->need_nl) {
        int c = fgetc(r->fp);
        r->offset++;
        if (c != '\n')
            return bad(r, error, "no line end after a message body");
        r->need_nl = FALSE;
    }
    return TRUE;
}

/* Next line without "\n" (transfer full), NULL at EOF/error. */
static char *
read_line(Sims40BackupReader *r, GError **error)
{
    if (r->pushed) {
        char *l = r->pushed;
        r->pushed = NULL;
        return l;
    }
    if (r->fp == NULL || !sync_body(r, error))
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, r->fp);
    if (n <= 0 || line[n - 1] != '\n') {
        free(line);
        bad(r, error, "stream ends without its trailer (Z record)");
        return NULL;
    }
    r->offset += n;
    line[n - 1] = '\0';
    if (strlen(line) != (gsize)n - 1) {
        free(line);
        bad(r, error, "NUL byte in a record");
        return NULL;
    }
    char *l = g_strdup(line);
    free(line);
    return l;
}

static gssize
body_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    Sims40BackupReader *r = data;
    if (r->body_left <= 0)
        return 0;
    size_t n = fread(buf, 1, MIN((gint64)len, r->body_left), r->fp);
    if (n == 0) {
        bad(r, error, "stream ends inside a message body");
        return -1;
    }
    r->body_left -= n;
    r->offset += n;
    return (gssize)n;
}

static gboolean
msg_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    Sims40BackupReader *r = data;
    *msg_r = NULL;
    if (!r->in_folder)
        return TRUE;
    char *line = read_line(r, error);
    if (line == NULL)
        return FALSE;
    if (strcmp(line, "E") == 0) {
        r->in_folder = FALSE;
        g_free(line);
        return TRUE;
    }
    if (!g_str_has_prefix(line, "M ")) {
        g_free(line);
        return bad(r, error, "expected an M (message) or E (end of folder) record");
    }
    char *what = g_strdup_printf("imbackup stream byte %" G_GUINT64_FORMAT, r->offset);
    MsmMessage *m = msm_legacy_index_parse(line + 2, what, 1, error);
    g_free(what);
    g_free(line);
    if (m == NULL)
        return FALSE;
    r->body_left = m->size;
    r->need_nl = TRUE;
    m->body = msm_body_new_stream(body_read, r, NULL, m->size);
    r->messages++;
    *msg_r = m;
    return TRUE;
}

static gint64
parse_i64(const char *s, gboolean *ok)
{
    char *end = NULL;
    gint64 v = g_ascii_strtoll(s, &end, 10);
    if (end == s || (end && *end))
        *ok = FALSE;
    return v;
}

gboolean
sims40_backup_reader_next(Sims40BackupReader *r, MsmFolder **f_r, char **raw_name_r, GError **error)
{
    *f_r = NULL;
    *raw_name_r = NULL;
    if (r->fp == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "imbackup stream: cannot read the input");
        return FALSE;
    }
    if (r->ended)
        return TRUE;
    /* Abandoned messages of the previous folder are skipped. */
    while (r->in_folder) {
        MsmMessage *m = NULL;
        if (!msg_next(r, &m, error))
            return FALSE;
        msm_message_free(m);
    }
    if (!r->started) {
        char *l = read_line(r, error);
        if (l == NULL)
            return FALSE;
        gboolean ok = strcmp(l, STREAM_MAGIC) == 0;
        g_free(l);
        if (!ok)
            return bad(r, error, "not an imbackup stream (no \"" STREAM_MAGIC "\" header)");
        r->started = TRUE;
    }
    for (;;) {
        char *l = read_line(r, error);
        if (l == NULL)
            return FALSE;
        gboolean ok = TRUE;
        if (g_str_has_prefix(l, "U ")) {
            msm_owner_free(r->owner);
            r->owner = msm_owner_new(l + 2);
        } else if (g_str_has_prefix(l, "Q ") && r->owner) {
            char **v = g_strsplit(l + 2, " ", -1);
            ok = g_strv_length(v) == 3;
            if (ok) {
                r->owner->quota_bytes = parse_i64(v[0], &ok);
                r->owner->quota_messages = parse_i64(v[1], &ok);
                r->owner->used_bytes = parse_i64(v[2], &ok);
            }
            g_strfreev(v);
        } else if (g_str_has_prefix(l, "S ") && r->owner) {
            g_ptr_array_add(r->owner->subscriptions, g_strcompress(l + 2));
        } else if (g_str_has_prefix(l, "F ") && r->owner) {
            char *raw = g_strcompress(l + 2);
            char *shown = g_utf8_make_valid(raw, -1);
            MsmFolder *f = msm_folder_new(msm_owner_copy(r->owner), shown);
            g_free(shown);
            g_free(l);
            /* V, then A records, then the messages */
            for (;;) {
                l = read_line(r, error);
                if (l == NULL) {
                    msm_folder_free(f);
                    g_free(raw);
                    return FALSE;
                }
                if (g_str_has_prefix(l, "V ")) {
                    char **v = g_strsplit(l + 2, " ", -1);
                    ok = g_strv_length(v) == 2;
                    if (ok) {
                        f->uidvalidity = (guint32)parse_i64(v[0], &ok);
                        f->uidnext = (guint32)parse_i64(v[1], &ok);
                    }
                    g_strfreev(v);
                } else if (g_str_has_prefix(l, "A ")) {
                    char *tab = strchr(l + 2, '\t');
                    ok = tab != NULL;
                    if (ok) {
                        *tab = '\0';
                        char *id = g_strcompress(l + 2), *rights = g_strcompress(tab + 1);
                        g_ptr_array_add(f->acl, msm_ace_new(id, rights));
                        g_free(id);
                        g_free(rights);
                    }
                } else {
                    r->pushed = l; /* M or E: the messages start */
                    break;
                }
                g_free(l);
                if (!ok) {
                    msm_folder_free(f);
                    g_free(raw);
                    return bad(r, error, "malformed V or A record");
                }
            }
            r->in_folder = TRUE;
            r->folders++;
            f->messages = msm_message_iter_new(msg_next, r, NULL);
            *f_r = f;
            *raw_name_r = raw;
            return TRUE;
        } else if (g_str_has_prefix(l, "Z ")) {
            char **v = g_strsplit(l + 2, " ", -1);
            ok = g_strv_length(v) == 2;
            guint64 nf = ok ? (guint64)parse_i64(v[0], &ok) : 0;
            guint64 nm = ok ? (guint64)parse_i64(v[1], &ok) : 0;
            g_strfreev(v);
            g_free(l);
            if (!ok)
                return bad(r, error, "malformed Z (trailer) record");
            if (nf != r->folders || nm != r->messages) {
                char *m = g_strdup_printf("trailer counts %" G_GUINT64_FORMAT " folders, "
                                          "%" G_GUINT64_FORMAT " messages; the stream held "
                                          "%" G_GUINT64_FORMAT " and %" G_GUINT64_FORMAT,
                                          nf, nm, r->folders, r->messages);
                bad(r, error, m);
                g_free(m);
                return FALSE;
            }
            r->ended = TRUE;
            return TRUE;
        } else {
            ok = FALSE;
        }
        g_free(l);
        if (!ok)
            return bad(r, error, "unexpected or malformed record (expected U, Q, S, F or Z)");
    }
}
