/*
 * NAME
 *	ldif.c - RFC 2849 LDIF content records for MsmEntry
 * SUMMARY
 *	Implements core/ldif.h: a writer over a FILE*, a file path or a
 *	GString, and a streaming reader over a file.
 * DESCRIPTION
 *	Writer: "version: 1", then for each entry a blank line, "dn:" and
 *	the attributes in the entry's first-added order, each value on its own
 *	line. A value (or DN) that is not a SAFE-STRING is written "name::"
 *	with its BASE64; every physical line is at most 76 columns, longer
 *	ones continue on lines starting with one space (RFC 2849 note 2).
 *
 *	Reader: reads physical lines one at a time (getline), joins
 *	continuation lines, skips comment lines (with their continuations)
 *	and accepts "version: 1" as the first non-comment line. Records are
 *	separated by one or more blank lines. Values: "name: text",
 *	"name:: BASE64" (strictly checked) and "name:< URL" (refused: reading
 *	files named by untrusted input is not done). Raw 8-bit UTF-8 in a
 *	"name: text" value is accepted, as OpenLDAP's tools do, although RFC
 *	2849 allows only US-ASCII there. CRLF line ends are accepted.
 * DIAGNOSTICS
 *	MSM_ERROR_PARSE "FILE:LINE: problem; fix". Change records are refused
 *	at their changetype:/control: line: a content reader does not apply
 *	modifications.
 */
#include "config.h"

#include "ldif.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* helpers                                                                */
/* ---------------------------------------------------------------------- */

/* TRUE if the value can be written as a SAFE-STRING. */
gboolean
msm_ldif_value_is_safe(const void *value, gsize len)
{
    const guint8 *v = value;
    if (len == 0)
        return TRUE;
    if (v[0] == ' ' || v[0] == ':' || v[0] == '<')
        return FALSE;
    if (v[len - 1] == ' ')
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        if (v[i] == 0 || v[i] == '\n' || v[i] == '\r' || v[i] >= 0x80)
            return FALSE;
    }
    return TRUE;
}

/* TRUE for ALPHA / DIGIT / "-". */
static gboolean
is_type_char(char c)
{
    return g_ascii_isalnum(c) || c == '-';
}

/* TRUE for an RFC 2849 AttributeDescription. */
gboolean
msm_ldif_attr_name_is_valid(const char *name)
{
    if (name == NULL || *name == '\0')
        return FALSE;
    const char *p = name;
    if (g_ascii_isalpha(*p)) {
        while (is_type_char(*p))
            p++;
    } else if (g_ascii_isdigit(*p)) {
        /* ldap-oid: number *("." number) */
        for (;;) {
            if (!g_ascii_isdigit(*p))
                return FALSE;
            while (g_ascii_isdigit(*p))
                p++;
            if (*p != '.')
                break;
            p++;
        }
    } else {
        return FALSE;
    }
    while (*p == ';') {
        p++;
        if (!is_type_char(*p))
            return FALSE;
        while (is_type_char(*p))
            p++;
    }
    return *p == '\0';
}

/* Appends line folded at MSM_LDIF_FOLD_COLUMN, then "\n". */
static void
append_folded(GString *out, const char *line, gsize len)
{
    gsize first = MIN(len, (gsize)MSM_LDIF_FOLD_COLUMN);
    g_string_append_len(out, line, (gssize)first);
    g_string_append_c(out, '\n');
    for (gsize pos = first; pos < len;) {
        gsize n = MIN(len - pos, (gsize)MSM_LDIF_FOLD_COLUMN - 1);
        g_string_append_c(out, ' ');
        g_string_append_len(out, line + pos, (gssize)n);
        g_string_append_c(out, '\n');
        pos += n;
    }
}

/* Appends one folded "name: value" or "name:: BASE64" line. */
void
msm_ldif_append_value(GString *out, const char *name, const void *value, gsize len)
{
    GString *line = g_string_new(name);
    if (msm_ldif_value_is_safe(value, len)) {
        g_string_append_c(line, ':');
        if (len > 0) {
            g_string_append_c(line, ' ');
            g_string_append_len(line, value, (gssize)len);
        }
    } else {
        char *b64 = g_base64_encode(value, len);
        g_string_append(line, ":: ");
        g_string_append(line, b64);
        g_free(b64);
    }
    append_folded(out, line->str, line->len);
    g_string_free(line, TRUE);
}

/* Appends the record of entry to out; FALSE on an invalid attribute name. */
static gboolean
append_entry(GString *out, const MsmEntry *entry, GError **error)
{
    const char *dn = msm_entry_dn(entry);
    GPtrArray *names = msm_entry_attribute_names(entry);
    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        if (!msm_ldif_attr_name_is_valid(name) || g_ascii_strcasecmp(name, "dn") == 0) {
            char *p = g_strescape(name, NULL);
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "entry \"%s\": attribute name \"%s\" is not a valid LDAP attribute "
                        "description (letters, digits and '-', options after ';'); rename it",
                        dn, p);
            g_free(p);
            g_ptr_array_unref(names);
            return FALSE;
        }
    }
    msm_ldif_append_value(out, "dn", dn, strlen(dn));
    for (guint i = 0; i < names->len; i++) {
        GPtrArray *vals = msm_entry_get(entry, names->pdata[i]);
        for (guint j = 0; vals && j < vals->len; j++) {
            gsize len;
            const void *d = g_bytes_get_data(vals->pdata[j], &len);
            msm_ldif_append_value(out, names->pdata[i], d, len);
        }
    }
    g_ptr_array_unref(names);
    return TRUE;
}

/* The record of entry without version line. (transfer full) */
char *
msm_ldif_entry_to_string(const MsmEntry *entry, GError **error)
{
    g_return_val_if_fail(entry != NULL, NULL);
    GString *s = g_string_new(NULL);
    if (!append_entry(s, entry, error)) {
        g_string_free(s, TRUE);
        return NULL;
    }
    return g_string_free(s, FALSE);
}

/* ---------------------------------------------------------------------- */
/* writer                                                                 */
/* ---------------------------------------------------------------------- */

struct MsmLdifWriter {
    FILE *fp;         /* NULL when writing to out */
    gboolean owns_fp; /* opened by msm_ldif_writer_open() */
    GString *out;
    char *name;
    gboolean started; /* "version: 1" written */
    guint64 count;
    gboolean failed;
};

/* A writer over a borrowed stream. (transfer full) */
MsmLdifWriter *
msm_ldif_writer_new_file(FILE *fp, const char *name)
{
    g_return_val_if_fail(fp != NULL, NULL);
    MsmLdifWriter *w = g_new0(MsmLdifWriter, 1);
    w->fp = fp;
    w->name = g_strdup(name ? name : "LDIF output");
    return w;
}

/* A writer appending to a borrowed GString. (transfer full) */
MsmLdifWriter *
msm_ldif_writer_new_string(GString *out)
{
    g_return_val_if_fail(out != NULL, NULL);
    MsmLdifWriter *w = g_new0(MsmLdifWriter, 1);
    w->out = out;
    w->name = g_strdup("LDIF string");
    return w;
}

/* A writer creating path with mode. (transfer full) */
MsmLdifWriter *
msm_ldif_writer_open(const char *path, guint mode, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", path, g_strerror(e));
        return NULL;
    }
    FILE *fp = fdopen(fd, "w");
    if (fp == NULL) {
        int e = errno;
        close(fd);
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot open %s: %s", path, g_strerror(e));
        return NULL;
    }
    MsmLdifWriter *w = msm_ldif_writer_new_file(fp, path);
    w->owns_fp = TRUE;
    return w;
}

/* Sends text to the writer's sink. */
static gboolean
writer_emit(MsmLdifWriter *w, const char *text, gsize len, GError **error)
{
    if (w->failed) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: an earlier write failed", w->name);
        return FALSE;
    }
    if (w->out != NULL) {
        g_string_append_len(w->out, text, (gssize)len);
        return TRUE;
    }
    if (len > 0 && fwrite(text, 1, len, w->fp) != len) {
        int e = errno;
        w->failed = TRUE;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", w->name, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

/* Writes "version: 1" once. */
static gboolean
writer_start(MsmLdifWriter *w, GError **error)
{
    if (w->started)
        return TRUE;
    w->started = TRUE;
    static const char version[] = "version: 1\n";
    return writer_emit(w, version, sizeof version - 1, error);
}

/* Writes "# " comment lines. */
gboolean
msm_ldif_writer_comment(MsmLdifWriter *w, const char *text, GError **error)
{
    g_return_val_if_fail(w != NULL && text != NULL, FALSE);
    if (!writer_start(w, error))
        return FALSE;
    GString *s = g_string_new(NULL);
    char **lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        GString *c = g_string_new("# ");
        for (const char *p = *l; *p; p++)
            g_string_append_c(c, *p == '\r' ? ' ' : *p);
        append_folded(s, c->str, c->len);
        g_string_free(c, TRUE);
    }
    g_strfreev(lines);
    gboolean ok = writer_emit(w, s->str, s->len, error);
    g_string_free(s, TRUE);
    return ok;
}

/* Writes one content record. */
gboolean
msm_ldif_writer_put(MsmLdifWriter *w, const MsmEntry *entry, GError **error)
{
    g_return_val_if_fail(w != NULL && entry != NULL, FALSE);
    if (!writer_start(w, error))
        return FALSE;
    GString *s = g_string_new("\n");
    if (!append_entry(s, entry, error)) {
        g_string_free(s, TRUE);
        return FALSE;
    }
    gboolean ok = writer_emit(w, s->str, s->len, error);
    g_string_free(s, TRUE);
    if (ok)
        w->count++;
    return ok;
}

/* Records written so far. */
guint64
msm_ldif_writer_count(const MsmLdifWriter *w)
{
    g_return_val_if_fail(w != NULL, 0);
    return w->count;
}

/* Flushes, syncs and closes what the writer opened, then frees it. */
gboolean
msm_ldif_writer_close(MsmLdifWriter *w, GError **error)
{
    if (w == NULL)
        return TRUE;
    GError *err = NULL;
    gboolean ok = writer_start(w, &err);
    if (w->fp != NULL) {
        if (ok && fflush(w->fp) != 0) {
            int e = errno;
            ok = FALSE;
            g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", w->name,
                        g_strerror(e));
        }
        if (w->owns_fp) {
            if (ok && fsync(fileno(w->fp)) != 0 && errno != EINVAL) {
                int e = errno;
                ok = FALSE;
                g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "cannot sync %s: %s", w->name,
                            g_strerror(e));
            }
            if (fclose(w->fp) != 0 && ok) {
                int e = errno;
                ok = FALSE;
                g_set_error(&err, MSM_ERROR, MSM_ERROR_IO, "cannot close %s: %s", w->name,
                            g_strerror(e));
            }
        }
    }
    if (!ok)
        g_propagate_error(error, err);
    g_free(w->name);
    g_free(w);
    return ok;
}

/* ---------------------------------------------------------------------- */
/* reader                                                                 */
/* ---------------------------------------------------------------------- */

struct MsmLdifReader {
    FILE *fp;
    gboolean owns_fp;
    char *name;
    guint64 lineno; /* physical lines read so far */
    char *buf;      /* getline buffer */
    size_t bufcap;
    /* one physical line of look-ahead */
    gboolean have_peek;
    gboolean peek_eof;
    char *peek;
    gsize peek_len;
    guint64 peek_line;
    gboolean seen_content; /* a non-comment line was read (version: must come first) */
    gboolean failed;
    guint64 entry_line;
};

/* A reader over a borrowed stream. (transfer full) */
MsmLdifReader *
msm_ldif_reader_new_file(FILE *fp, const char *name)
{
    g_return_val_if_fail(fp != NULL, NULL);
    MsmLdifReader *r = g_new0(MsmLdifReader, 1);
    r->fp = fp;
    r->name = g_strdup(name ? name : "LDIF input");
    return r;
}

/* A reader over path. (transfer full) */
MsmLdifReader *
msm_ldif_reader_open(const char *path, GError **error)
{
    g_return_val_if_fail(path != NULL, NULL);
    FILE *fp = fopen(path, "re");
    if (fp == NULL) {
        int e = errno;
        g_set_error(error, MSM_ERROR, e == ENOENT ? MSM_ERROR_NOT_FOUND : MSM_ERROR_IO,
                    "cannot open %s: %s", path, g_strerror(e));
        return NULL;
    }
    MsmLdifReader *r = msm_ldif_reader_new_file(fp, path);
    r->owns_fp = TRUE;
    return r;
}

/* Closes what the reader opened and frees it. */
void
msm_ldif_reader_free(MsmLdifReader *r)
{
    if (r == NULL)
        return;
    if (r->owns_fp)
        fclose(r->fp);
    free(r->buf);
    g_free(r->peek);
    g_free(r->name);
    g_free(r);
}

/* Line of the dn: of the record last returned. */
guint64
msm_ldif_reader_entry_line(const MsmLdifReader *r)
{
    g_return_val_if_fail(r != NULL, 0);
    return r->entry_line;
}

/* Sets a parse error "FILE:LINE: message". */
static gboolean G_GNUC_PRINTF(4, 5)
    reader_fail(MsmLdifReader *r, GError **error, guint64 line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s:%" G_GUINT64_FORMAT ": %s", r->name, line,
                msg);
    g_free(msg);
    r->failed = TRUE;
    return FALSE;
}

/* Reads one physical line into the look-ahead slot (or marks EOF). */
static gboolean
reader_fill(MsmLdifReader *r, GError **error)
{
    if (r->have_peek)
        return TRUE;
    errno = 0;
    ssize_t n = getline(&r->buf, &r->bufcap, r->fp);
    if (n < 0) {
        if (ferror(r->fp)) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read %s: %s", r->name,
                        g_strerror(e));
            r->failed = TRUE;
            return FALSE;
        }
        r->have_peek = TRUE;
        r->peek_eof = TRUE;
        return TRUE;
    }
    r->lineno++;
    gsize len = (gsize)n;
    if (len > 0 && r->buf[len - 1] == '\n') {
        len--;
        if (len > 0 && r->buf[len - 1] == '\r')
            len--;
    }
    if (memchr(r->buf, '\0', len) != NULL)
        return reader_fail(r, error, r->lineno,
                           "NUL byte in a line; binary values must be written as "
                           "\"name:: BASE64\"");
    g_free(r->peek);
    r->peek = g_strndup(r->buf, len);
    r->peek_len = len;
    r->peek_line = r->lineno;
    r->peek_eof = FALSE;
    r->have_peek = TRUE;
    return TRUE;
}

/* Takes the next logical line (continuations joined). *line_r NULL at EOF;
 * *lineno_r is the line number of its first physical line. Comment lines
 * are returned too (starting with '#'). */
static gboolean
reader_logical(MsmLdifReader *r, GString **line_r, guint64 *lineno_r, GError **error)
{
    *line_r = NULL;
    if (!reader_fill(r, error))
        return FALSE;
    if (r->peek_eof)
        return TRUE;
    if (r->peek_len > 0 && r->peek[0] == ' ')
        return reader_fail(r, error, r->peek_line,
                           "continuation line (starting with a space) without a line to "
                           "continue; remove the leading space or the blank line above");
    GString *line = g_string_new_len(r->peek, (gssize)r->peek_len);
    *lineno_r = r->peek_line;
    r->have_peek = FALSE;
    if (line->len == 0) {
        *line_r = line; /* a blank line is never continued */
        return TRUE;
    }
    for (;;) {
        if (!reader_fill(r, error)) {
            g_string_free(line, TRUE);
            return FALSE;
        }
        if (r->peek_eof || r->peek_len == 0 || r->peek[0] != ' ')
            break;
        g_string_append_len(line, r->peek + 1, (gssize)r->peek_len - 1);
        r->have_peek = FALSE;
    }
    *line_r = line;
    return TRUE;
}

/* Strict RFC 4648 BASE64 check (no whitespace, correct padding). */
static gboolean
base64_is_valid(const char *s, gsize len)
{
    if (len % 4 != 0)
        return FALSE;
    for (gsize i = 0; i < len; i++) {
        char c = s[i];
        if (g_ascii_isalnum(c) || c == '+' || c == '/')
            continue;
        if (c == '=' && (i == len - 1 || (i == len - 2 && s[len - 1] == '=')))
            continue;
        return FALSE;
    }
    return TRUE;
}

/* Splits "name: value" / "name:: b64" into name and decoded value. */
static gboolean
parse_attrval(MsmLdifReader *r, const GString *line, guint64 lineno, char **name_r,
              GBytes **value_r, GError **error)
{
    const char *colon = memchr(line->str, ':', line->len);
    if (colon == NULL)
        return reader_fail(r, error, lineno,
                           "line is not \"attribute: value\" (no ':'); a blank line must "
                           "separate records and continuation lines start with one space");
    char *name = g_strndup(line->str, (gsize)(colon - line->str));
    if (!msm_ldif_attr_name_is_valid(name)) {
        char *p = g_strescape(name, NULL);
        g_free(name);
        reader_fail(r, error, lineno,
                    "\"%s\" is not a valid attribute description (letters, digits and '-', "
                    "options after ';')",
                    p);
        g_free(p);
        return FALSE;
    }
    const char *v = colon + 1;
    const char *end = line->str + line->len;
    if (v < end && *v == ':') {
        v++;
        while (v < end && *v == ' ')
            v++;
        gsize blen = (gsize)(end - v);
        if (!base64_is_valid(v, blen)) {
            reader_fail(r, error, lineno,
                        "value of %s is not valid BASE64 after \"::\" (only A-Z a-z 0-9 + / "
                        "and final '=' padding; length a multiple of 4)",
                        name);
            g_free(name);
            return FALSE;
        }
        gsize dlen = 0;
        guchar *d = NULL;
        if (blen > 0) {
            char *tmp = g_strndup(v, blen);
            d = g_base64_decode(tmp, &dlen);
            g_free(tmp);
        }
        *value_r = g_bytes_new_take(d, dlen);
    } else if (v < end && *v == '<') {
        reader_fail(r, error, lineno,
                    "value of %s is a URL (\"%s:<\"); msmigrate does not read files named "
                    "in LDIF: put the value inline as \"%s:: BASE64\"",
                    name, name, name);
        g_free(name);
        return FALSE;
    } else {
        while (v < end && *v == ' ')
            v++;
        *value_r = g_bytes_new(v, (gsize)(end - v));
    }
    *name_r = name;
    return TRUE;
}

/* The next record as an entry, NULL at the end. (transfer full) */
gboolean
msm_ldif_reader_next(MsmLdifReader *r, MsmEntry **entry_r, GError **error)
{
    g_return_val_if_fail(r != NULL && entry_r != NULL, FALSE);
    *entry_r = NULL;
    if (r->failed) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: reading cannot go on after the earlier error", r->name);
        return FALSE;
    }
    MsmEntry *entry = NULL;
    for (;;) {
        GString *line = NULL;
        guint64 lineno = 0;
        if (!reader_logical(r, &line, &lineno, error))
            goto fail;
        if (line == NULL)
            break; /* EOF */
        if (line->len == 0) {
            g_string_free(line, TRUE);
            if (entry != NULL)
                break; /* end of this record */
            continue;
        }
        if (line->str[0] == '#') {
            g_string_free(line, TRUE);
            continue;
        }
        char *name = NULL;
        GBytes *value = NULL;
        if (!parse_attrval(r, line, lineno, &name, &value, error)) {
            g_string_free(line, TRUE);
            goto fail;
        }
        g_string_free(line, TRUE);
        gboolean first_content = !r->seen_content;
        r->seen_content = TRUE;
        gsize vlen;
        const char *vdata = g_bytes_get_data(value, &vlen);
        if (entry == NULL) {
            if (g_ascii_strcasecmp(name, "version") == 0) {
                if (!first_content) {
                    reader_fail(r, error, lineno,
                                "\"version:\" may only be the first line of the file");
                } else if (vlen != 1 || vdata[0] != '1') {
                    reader_fail(r, error, lineno,
                                "unsupported LDIF version \"%.*s\"; only \"version: 1\" (RFC "
                                "2849) is read",
                                (int)MIN(vlen, 20), vdata ? vdata : "");
                } else {
                    g_free(name);
                    g_bytes_unref(value);
                    continue;
                }
                g_free(name);
                g_bytes_unref(value);
                goto fail;
            }
            if (g_ascii_strcasecmp(name, "dn") != 0) {
                reader_fail(r, error, lineno,
                            "record starts with \"%s:\" instead of \"dn:\"; every record "
                            "begins with its DN",
                            name);
                g_free(name);
                g_bytes_unref(value);
                goto fail;
            }
            if (!g_utf8_validate(vdata ? vdata : "", (gssize)vlen, NULL) ||
                (vlen > 0 && memchr(vdata, '\0', vlen) != NULL)) {
                reader_fail(r, error, lineno, "the DN is not valid UTF-8 (RFC 4514)");
                g_free(name);
                g_bytes_unref(value);
                goto fail;
            }
            char *dn = g_strndup(vdata ? vdata : "", vlen);
            entry = msm_entry_new(dn);
            g_free(dn);
            r->entry_line = lineno;
        } else if (g_ascii_strcasecmp(name, "changetype") == 0 ||
                   g_ascii_strcasecmp(name, "control") == 0) {
            reader_fail(r, error, lineno,
                        "change record (%s: %.*s) in a content LDIF file: this reader takes "
                        "entries only; apply change records with ldapmodify, or remove the "
                        "%s line if the record is a plain entry",
                        name, (int)MIN(vlen, 40), vdata ? vdata : "", name);
            g_free(name);
            g_bytes_unref(value);
            goto fail;
        } else if (g_ascii_strcasecmp(name, "dn") == 0) {
            reader_fail(r, error, lineno,
                        "second \"dn:\" inside one record; separate records with a blank "
                        "line");
            g_free(name);
            g_bytes_unref(value);
            goto fail;
        } else {
            msm_entry_add(entry, name, vdata, vlen);
        }
        g_free(name);
        g_bytes_unref(value);
    }
    if (entry != NULL) {
        GPtrArray *names = msm_entry_attribute_names(entry);
        guint n = names->len;
        g_ptr_array_unref(names);
        if (n == 0) {
            reader_fail(r, error, r->entry_line,
                        "entry \"%s\" has no attributes; a content record needs at least one",
                        msm_entry_dn(entry));
            goto fail;
        }
    }
    *entry_r = entry;
    return TRUE;
fail:
    msm_entry_free(entry);
    return FALSE;
}
