/*
 * NAME
 *	legacy-store.c - records, B-trees, names and index lines of the
 *	modelled SIMS / NMS stores (see legacy-store.h)
 */
#include "config.h"

#include "legacy-store.h"

#include "mutf7.h"
#include "util.h"

#include <db.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- records ---- */

MsmLegacyRecord *
msm_legacy_record_new(void)
{
    return g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

void
msm_legacy_record_set(MsmLegacyRecord *rec, const char *name, const char *value)
{
    g_hash_table_replace(rec, g_strdup(name), g_strdup(value ? value : ""));
}

void
msm_legacy_record_set_int(MsmLegacyRecord *rec, const char *name, gint64 value)
{
    g_hash_table_replace(rec, g_strdup(name), g_strdup_printf("%" G_GINT64_FORMAT, value));
}

const char *
msm_legacy_record_get(MsmLegacyRecord *rec, const char *name)
{
    return g_hash_table_lookup(rec, name);
}

gint64
msm_legacy_record_get_int(MsmLegacyRecord *rec, const char *name, gint64 dflt)
{
    const char *v = g_hash_table_lookup(rec, name);
    if (v == NULL || *v == '\0')
        return dflt;
    char *end = NULL;
    gint64 n = g_ascii_strtoll(v, &end, 10);
    return (end && *end == '\0') ? n : dflt;
}

char *
msm_legacy_record_to_string(MsmLegacyRecord *rec)
{
    GPtrArray *names = g_ptr_array_new();
    GHashTableIter hi;
    gpointer k;
    g_hash_table_iter_init(&hi, rec);
    while (g_hash_table_iter_next(&hi, &k, NULL))
        g_ptr_array_add(names, k);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        char *v = g_strescape(g_hash_table_lookup(rec, n), "");
        g_string_append_printf(s, "%s=%s\n", n, v);
        g_free(v);
    }
    g_ptr_array_unref(names);
    return g_string_free(s, FALSE);
}

MsmLegacyRecord *
msm_legacy_record_parse(const char *text, gsize len, const char *what, GError **error)
{
    MsmLegacyRecord *rec = msm_legacy_record_new();
    char *copy = g_strndup(text, len);
    if (strlen(copy) != len) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: NUL byte in record", what);
        goto fail;
    }
    char **lines = g_strsplit(copy, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        if (lines[i][0] == '\0')
            continue;
        char *eq = strchr(lines[i], '=');
        if (eq == NULL || eq == lines[i]) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: line %u: expected name=value, found \"%s\"", what, i + 1, lines[i]);
            g_strfreev(lines);
            goto fail;
        }
        *eq = '\0';
        g_hash_table_replace(rec, g_strdup(lines[i]), g_strcompress(eq + 1));
    }
    g_strfreev(lines);
    g_free(copy);
    return rec;
fail:
    g_free(copy);
    g_hash_table_unref(rec);
    return NULL;
}

void
msm_legacy_record_free(MsmLegacyRecord *rec)
{
    if (rec)
        g_hash_table_unref(rec);
}

/* ---- Berkeley DB ---- */

struct MsmLegacyDb {
    DB *db;
    char *path;
};

static void
db_error(GError **error, const char *path, const char *op, int ret)
{
    g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: Berkeley DB %s failed: %s", path, op,
                db_strerror(ret));
}

MsmLegacyDb *
msm_legacy_db_open(const char *path, gboolean create, GError **error)
{
    DB *db = NULL;
    int ret = db_create(&db, NULL, 0);
    if (ret != 0) {
        db_error(error, path, "create", ret);
        return NULL;
    }
    ret = db->open(db, NULL, path, NULL, DB_BTREE, create ? DB_CREATE : DB_RDONLY, 0600);
    if (ret != 0) {
        db_error(error, path, "open", ret);
        if (ret == ENOENT)
            (*error)->code = MSM_ERROR_NOT_FOUND;
        db->close(db, 0);
        return NULL;
    }
    MsmLegacyDb *l = g_new0(MsmLegacyDb, 1);
    l->db = db;
    l->path = g_strdup(path);
    return l;
}

gboolean
msm_legacy_db_put(MsmLegacyDb *l, const char *key, const char *value, GError **error)
{
    DBT k = {0}, v = {0};
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    v.data = (void *)value;
    v.size = (u_int32_t)strlen(value);
    int ret = l->db->put(l->db, NULL, &k, &v, 0);
    if (ret != 0) {
        db_error(error, l->path, "put", ret);
        return FALSE;
    }
    return TRUE;
}

char *
msm_legacy_db_get(MsmLegacyDb *l, const char *key, GError **error)
{
    DBT k = {0}, v = {0};
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    v.flags = DB_DBT_MALLOC;
    int ret = l->db->get(l->db, NULL, &k, &v, 0);
    if (ret == DB_NOTFOUND)
        return NULL;
    if (ret != 0) {
        db_error(error, l->path, "get", ret);
        return NULL;
    }
    char *s = g_strndup(v.data, v.size);
    free(v.data);
    return s;
}

gboolean
msm_legacy_db_del(MsmLegacyDb *l, const char *key, GError **error)
{
    DBT k = {0};
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    int ret = l->db->del(l->db, NULL, &k, 0);
    if (ret != 0 && ret != DB_NOTFOUND) {
        db_error(error, l->path, "del", ret);
        return FALSE;
    }
    return TRUE;
}

gboolean
msm_legacy_db_next(MsmLegacyDb *l, gpointer *cursor, char **key_r, char **value_r, GError **error)
{
    DBC *c = *cursor;
    if (c == NULL) {
        int ret = l->db->cursor(l->db, NULL, &c, 0);
        if (ret != 0) {
            db_error(error, l->path, "cursor", ret);
            return FALSE;
        }
        *cursor = c;
    }
    DBT k = {0}, v = {0};
    int ret = c->get(c, &k, &v, DB_NEXT);
    if (ret != 0) {
        if (ret != DB_NOTFOUND)
            db_error(error, l->path, "cursor get", ret);
        c->close(c);
        *cursor = NULL;
        return FALSE;
    }
    *key_r = g_strndup(k.data, k.size);
    *value_r = g_strndup(v.data, v.size);
    return TRUE;
}

void
msm_legacy_db_cursor_close(gpointer cursor)
{
    if (cursor)
        ((DBC *)cursor)->close(cursor);
}

guint64
msm_legacy_db_count(MsmLegacyDb *l)
{
    DB_BTREE_STAT *sp = NULL;
    if (l->db->stat(l->db, NULL, &sp, DB_FAST_STAT) != 0 || sp == NULL)
        return 0;
    guint64 n = sp->bt_nkeys;
    free(sp);
    return n;
}

gboolean
msm_legacy_db_sync(MsmLegacyDb *l, GError **error)
{
    int ret = l->db->sync(l->db, 0);
    if (ret != 0) {
        db_error(error, l->path, "sync", ret);
        return FALSE;
    }
    return TRUE;
}

void
msm_legacy_db_close(MsmLegacyDb *l)
{
    if (l == NULL)
        return;
    l->db->close(l->db, 0);
    g_free(l->path);
    g_free(l);
}

const char *
msm_legacy_db_path(MsmLegacyDb *l)
{
    return l->path;
}

/* ---- names ---- */

gboolean
msm_legacy_user_is_safe(const char *user)
{
    gsize n = user ? strlen(user) : 0;
    if (n == 0 || n > 255 || !g_utf8_validate(user, -1, NULL) || user[0] == '.')
        return FALSE;
    for (const char *p = user; *p; p++)
        if (*p == '/' || *p == '\\' || (guchar)*p <= ' ' || *p == 0x7f)
            return FALSE;
    return TRUE;
}

gboolean
msm_legacy_check_user(const char *user, GError **error)
{
    if (msm_legacy_user_is_safe(user))
        return TRUE;
    char *e = g_strescape(user ? user : "", "");
    g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                "user name \"%s\" cannot be stored safely (empty, over 255 bytes, invalid "
                "UTF-8, a leading '.', a path separator, a space or a control character): "
                "rename the user (a rename map) and rerun",
                e);
    g_free(e);
    return FALSE;
}

/* TRUE if c is ".", "..", "00" or "tmp" followed by zero or more '_'. */
static gboolean
reserved_component(const char *c)
{
    static const char *const base[] = {".", "..", "00", "tmp", NULL};
    for (int i = 0; base[i]; i++) {
        gsize n = strlen(base[i]);
        if (strncmp(c, base[i], n) == 0 && strspn(c + n, "_") == strlen(c + n))
            return TRUE;
    }
    return FALSE;
}

char *
msm_legacy_folder_to_dir(const char *name, GError **error)
{
    char *e = g_strescape(name ? name : "", "");
    if (name == NULL || *name == '\0' || strlen(name) > 1024 || !g_utf8_validate(name, -1, NULL)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "folder name \"%s\" is empty, over 1024 bytes or not UTF-8", e);
        g_free(e);
        return NULL;
    }
    char **parts = g_strsplit(name, "/", -1);
    GString *out = g_string_new(NULL);
    gboolean ok = TRUE;
    for (guint i = 0; parts[i] && ok; i++) {
        char *m = parts[i][0] ? msm_mutf7_encode(parts[i], NULL) : NULL;
        if (m == NULL || strlen(m) > 250) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "folder name \"%s\": component %u is empty or over 250 bytes once "
                        "encoded; rename the folder",
                        e, i + 1);
            ok = FALSE;
        } else {
            if (out->len)
                g_string_append_c(out, '/');
            g_string_append(out, m);
            if (reserved_component(m))
                g_string_append_c(out, '_');
        }
        g_free(m);
    }
    g_strfreev(parts);
    g_free(e);
    if (!ok) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

char *
msm_legacy_dir_to_component(const char *component, GError **error)
{
    char *c = g_strdup(component);
    gsize n = strlen(c);
    if (reserved_component(c)) {
        if (n == 0 || c[n - 1] != '_') {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "directory \"%s\" is a reserved name, not a folder", component);
            g_free(c);
            return NULL;
        }
        c[n - 1] = '\0';
    }
    GError *err = NULL;
    char *u = msm_mutf7_decode(c, &err);
    g_free(c);
    if (u == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "directory \"%s\" is not a valid modified UTF-7 folder name: %s", component,
                    err->message);
        g_error_free(err);
        return NULL;
    }
    if (strchr(u, '/') != NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "directory \"%s\" decodes to a name holding the separator '/'", component);
        g_free(u);
        return NULL;
    }
    return u;
}

char *
msm_legacy_user_hash(const char *user)
{
    guint32 h = 0;
    for (const guchar *p = (const guchar *)user; *p; p++)
        h = h * 31u + *p;
    return g_strdup_printf("%02u/%02u", h % 100u, (h / 100u) % 100u);
}

/* ---- index lines ---- */

static const char flag_letters[] = "SAFDTR";

gboolean
msm_legacy_index_format(GString *out, const MsmMessage *msg, GError **error)
{
    g_string_append_printf(out, "%u ", msg->uid);
    gboolean any = FALSE;
    for (int i = 0; flag_letters[i]; i++)
        if (msg->flags & (1u << i)) {
            g_string_append_c(out, flag_letters[i]);
            any = TRUE;
        }
    if (!any)
        g_string_append_c(out, '-');
    g_string_append_printf(out, " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, msg->internal_date,
                           msg->size);
    for (guint i = 0; msg->keywords && i < msg->keywords->len; i++) {
        const char *k = msg->keywords->pdata[i];
        for (const char *p = k; *p; p++)
            if ((guchar)*p <= ' ' || *p == '\\' || *p == 0x7f) {
                char *e = g_strescape(k, "");
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                            "message UID %u: keyword \"%s\" holds a space, '\\' or a control "
                            "character, which no IMAP keyword may",
                            msg->uid, e);
                g_free(e);
                return FALSE;
            }
        if (*k == '\0')
            continue;
        g_string_append_c(out, ' ');
        g_string_append(out, k);
    }
    g_string_append_c(out, '\n');
    return TRUE;
}

MsmMessage *
msm_legacy_index_parse(const char *line, const char *what, guint lineno, GError **error)
{
    char **f = g_strsplit(line, " ", -1);
    guint n = g_strv_length(f);
    MsmMessage *m = NULL;
    char *end1 = NULL, *end2 = NULL, *end3 = NULL;
    if (n < 4)
        goto bad;
    guint64 uid = g_ascii_strtoull(f[0], &end1, 10);
    gint64 date = g_ascii_strtoll(f[2], &end2, 10);
    gint64 size = g_ascii_strtoll(f[3], &end3, 10);
    if (*f[0] == '\0' || *end1 || *end2 || *end3 || uid == 0 || uid > G_MAXUINT32 || size < 0 ||
        *f[2] == '\0' || *f[3] == '\0')
        goto bad;
    m = msm_message_new();
    m->uid = (guint32)uid;
    m->internal_date = date;
    m->size = size;
    if (strcmp(f[1], "-") != 0)
        for (const char *p = f[1]; *p; p++) {
            const char *l = strchr(flag_letters, *p);
            if (l == NULL)
                goto bad;
            m->flags |= 1u << (l - flag_letters);
        }
    for (guint i = 4; i < n; i++)
        if (*f[i])
            g_ptr_array_add(m->keywords, g_strdup(f[i]));
    g_strfreev(f);
    return m;
bad:
    g_strfreev(f);
    msm_message_free(m);
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                "%s: line %u: expected \"UID FLAGS DATE SIZE [KEYWORD...]\" "
                "(flags from SAFDTR or -)",
                what, lineno);
    return NULL;
}

/* ---- bodies and directories ---- */

gboolean
msm_legacy_body_to_file(MsmBody *body, const char *path, gint64 *size_r, char **sha_r,
                        GError **error)
{
    char *tmp = g_strdup_printf("%s.tmp%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: cannot create: %s", tmp, g_strerror(e));
        g_free(tmp);
        return FALSE;
    }
    GChecksum *sum = sha_r ? g_checksum_new(G_CHECKSUM_SHA256) : NULL;
    guint8 buf[65536];
    gint64 total = 0;
    gboolean ok = TRUE;
    for (;;) {
        gssize n = body ? msm_body_read(body, buf, sizeof buf, error) : 0;
        if (n < 0) {
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        if (sum)
            g_checksum_update(sum, buf, n);
        for (gssize off = 0; off < n;) {
            ssize_t w = write(fd, buf + off, n - off);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                int e = errno;
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: write failed: %s", tmp,
                            g_strerror(e));
                ok = FALSE;
                break;
            }
            off += w;
        }
        if (!ok)
            break;
        total += n;
    }
    if (ok && fsync(fd) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: fsync failed: %s", tmp, g_strerror(e));
        ok = FALSE;
    }
    close(fd);
    if (ok && rename(tmp, path) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: rename failed: %s", path, g_strerror(e));
        ok = FALSE;
    }
    if (!ok)
        g_unlink(tmp);
    g_free(tmp);
    if (ok && size_r)
        *size_r = total;
    if (sum) {
        if (ok)
            *sha_r = g_strdup(g_checksum_get_string(sum));
        g_checksum_free(sum);
    }
    return ok;
}

gboolean
msm_legacy_has_symlink(const char *root, const char *rel)
{
    char **parts = g_strsplit(rel, "/", -1);
    char *cur = g_strdup(root);
    gboolean link = FALSE;
    for (guint i = 0; parts[i] && !link; i++) {
        if (parts[i][0] == '\0')
            continue;
        char *next = g_build_filename(cur, parts[i], NULL);
        g_free(cur);
        cur = next;
        struct stat st;
        if (lstat(cur, &st) == 0 && S_ISLNK(st.st_mode))
            link = TRUE;
    }
    g_free(cur);
    g_strfreev(parts);
    return link;
}

char *
msm_legacy_mkdir_under(const char *root, const char *rel, GError **error)
{
    char *path = msm_path_under(root, rel, error);
    if (path == NULL)
        return NULL;
    if (msm_legacy_has_symlink(root, rel)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s: a component is a symbolic link; refusing to write through it", path);
        g_free(path);
        return NULL;
    }
    if (!msm_mkdir_p(path, FALSE, error)) {
        g_free(path);
        return NULL;
    }
    return path;
}

gboolean
msm_legacy_remove_tree(const char *path, GError **error)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return TRUE;
    if (S_ISDIR(st.st_mode)) {
        GDir *d = g_dir_open(path, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d)) != NULL) {
            char *c = g_build_filename(path, n, NULL);
            gboolean ok = msm_legacy_remove_tree(c, error);
            g_free(c);
            if (!ok) {
                g_dir_close(d);
                return FALSE;
            }
        }
        if (d)
            g_dir_close(d);
        if (g_rmdir(path) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: cannot remove: %s", path,
                        g_strerror(e));
            return FALSE;
        }
        return TRUE;
    }
    if (g_unlink(path) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: cannot remove: %s", path, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

/* ---- line files ---- */

struct MsmLegacyLineFile {
    FILE *fp;
    char *path, *tmp;
};

MsmLegacyLineFile *
msm_legacy_line_file_new(const char *path, GError **error)
{
    MsmLegacyLineFile *f = g_new0(MsmLegacyLineFile, 1);
    f->path = g_strdup(path);
    f->tmp = g_strconcat(path, ".tmp", NULL);
    int fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    f->fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f->fp == NULL) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: cannot create: %s", f->tmp, g_strerror(e));
        if (fd >= 0)
            close(fd);
        g_free(f->path);
        g_free(f->tmp);
        g_free(f);
        return NULL;
    }
    return f;
}

gboolean
msm_legacy_line_file_add(MsmLegacyLineFile *f, const char *data, gsize len, GError **error)
{
    if (len > 0 && fwrite(data, 1, len, f->fp) != len) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: write failed: %s", f->tmp, g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

void
msm_legacy_line_file_abort(MsmLegacyLineFile *f)
{
    if (f == NULL)
        return;
    if (f->fp)
        fclose(f->fp);
    g_unlink(f->tmp);
    g_free(f->path);
    g_free(f->tmp);
    g_free(f);
}

gboolean
msm_legacy_line_file_commit(MsmLegacyLineFile *f, GError **error)
{
    gboolean ok = fflush(f->fp) == 0 && fsync(fileno(f->fp)) == 0;
    int e = errno;
    ok = fclose(f->fp) == 0 && ok;
    f->fp = NULL;
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: write failed: %s", f->tmp, g_strerror(e));
    if (ok && g_rename(f->tmp, f->path) != 0) {
        e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: rename failed: %s", f->path,
                    g_strerror(e));
        ok = FALSE;
    }
    if (!ok)
        g_unlink(f->tmp);
    g_free(f->path);
    g_free(f->tmp);
    g_free(f);
    return ok;
}

/* ---- message directories ---- */

gboolean
msm_legacy_msgdir_write(const char *folder_dir, const char *msgdir, MsmMessageIter *it,
                        guint64 *count_r, gint64 *bytes_r, GError **error)
{
    char *tmp = g_build_filename(folder_dir, "tmp", NULL);
    char *final = g_build_filename(folder_dir, msgdir, NULL);
    GString *idx = g_string_new(NULL);
    guint64 count = 0;
    gint64 bytes = 0;
    guint32 last = 0;
    char *ip = g_build_filename(tmp, "store.idx", NULL);
    MsmLegacyLineFile *lf = NULL;
    gboolean ok = msm_legacy_remove_tree(tmp, error) && msm_mkdir_p(tmp, FALSE, error) &&
                  (lf = msm_legacy_line_file_new(ip, error)) != NULL;
    while (ok && it) {
        MsmMessage *m = NULL;
        if (!msm_message_iter_next(it, &m, error)) {
            ok = FALSE;
            break;
        }
        if (m == NULL)
            break;
        if (m->uid <= last) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: message UID %u does not follow UID %u (UIDs must increase)",
                        folder_dir, m->uid, last);
            ok = FALSE;
        } else {
            char *name = g_strdup_printf("%s/%u.msg", tmp, m->uid);
            gint64 n = 0;
            ok = msm_legacy_body_to_file(m->body, name, &n, NULL, error);
            if (ok && m->size >= 0 && n != m->size) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                            "%s: message UID %u: %" G_GINT64_FORMAT " bytes streamed, "
                            "%" G_GINT64_FORMAT " announced",
                            folder_dir, m->uid, n, m->size);
                ok = FALSE;
            }
            if (ok) {
                m->size = n;
                g_string_truncate(idx, 0);
                ok = msm_legacy_index_format(idx, m, error) &&
                     msm_legacy_line_file_add(lf, idx->str, idx->len, error);
            }
            last = m->uid;
            count++;
            bytes += n;
            g_free(name);
        }
        msm_message_free(m);
    }
    if (ok) {
        ok = msm_legacy_line_file_commit(lf, error);
        lf = NULL;
    }
    msm_legacy_line_file_abort(lf);
    g_free(ip);
    if (ok)
        ok = msm_legacy_remove_tree(final, error);
    if (ok && g_rename(tmp, final) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: rename to %s failed: %s", tmp, final,
                    g_strerror(e));
        ok = FALSE;
    }
    g_string_free(idx, TRUE);
    g_free(tmp);
    g_free(final);
    if (ok && count_r)
        *count_r = count;
    if (ok && bytes_r)
        *bytes_r = bytes;
    return ok;
}

typedef struct {
    char *dir;
    char *idx;
    FILE *fp;
    guint lineno;
} MsgdirIter;

static void
msgdir_iter_free(gpointer p)
{
    MsgdirIter *m = p;
    if (m->fp)
        fclose(m->fp);
    g_free(m->dir);
    g_free(m->idx);
    g_free(m);
}

static gboolean
msgdir_iter_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    MsgdirIter *m = data;
    *msg_r = NULL;
    if (m->fp == NULL)
        return TRUE;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, m->fp)) >= 0) {
        m->lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        if (line[0] == '\0')
            continue;
        MsmMessage *msg = msm_legacy_index_parse(line, m->idx, m->lineno, error);
        free(line);
        if (msg == NULL)
            return FALSE;
        char *path = g_strdup_printf("%s/%u.msg", m->dir, msg->uid);
        struct stat st;
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != msg->size) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: line %u: message file %s is missing, not a regular file or not "
                        "%" G_GINT64_FORMAT " bytes; run reconstruct on the folder",
                        m->idx, m->lineno, path, msg->size);
            g_free(path);
            msm_message_free(msg);
            return FALSE;
        }
        msg->body = msm_body_new_file(path, msg->size);
        g_free(path);
        *msg_r = msg;
        return TRUE;
    }
    free(line);
    return TRUE;
}

MsmMessageIter *
msm_legacy_msgdir_iter(const char *msgdir_path, GError **error)
{
    MsgdirIter *m = g_new0(MsgdirIter, 1);
    m->dir = g_strdup(msgdir_path);
    m->idx = g_build_filename(msgdir_path, "store.idx", NULL);
    struct stat st;
    if (lstat(msgdir_path, &st) == 0 && S_ISLNK(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "%s: is a symbolic link; not followed",
                    msgdir_path);
        msgdir_iter_free(m);
        return NULL;
    }
    if (lstat(m->idx, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "%s: not a regular file; not followed",
                        m->idx);
            msgdir_iter_free(m);
            return NULL;
        }
        int fd = open(m->idx, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        m->fp = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (m->fp == NULL) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: cannot open: %s", m->idx,
                        g_strerror(e));
            if (fd >= 0)
                close(fd);
            msgdir_iter_free(m);
            return NULL;
        }
    }
    return msm_message_iter_new(msgdir_iter_next, m, msgdir_iter_free);
}
