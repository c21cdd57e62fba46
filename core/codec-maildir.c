/*
 * NAME
 *	codec-maildir.c - the Maildir++ interchange store (Dovecot 2.3 layout)
 * SUMMARY
 *	Implements msm_core_maildir_codec() (builtin.h): kind MSM_KIND_STORE,
 *	name "maildir", pseudo-version "maildir" (an interchange target, not a
 *	product version). The layout is DESIGN §5 and docs/formats/maildir.md:
 *	ROOT/<user>/ is the user's Maildir++ (INBOX), ROOT/<user>/.<a>.<b>/ the
 *	folder "a/b" with each component in modified UTF-7 and listescape
 *	("." -> "\2e", "\" -> "\5c", a leading "~" -> "\7e"); per folder
 *	dovecot-uidlist (version 3), dovecot-keywords, dovecot-acl; per user
 *	subscriptions and maildirsize; message files
 *	cur/<date>.M<uid>V<uidvalidity>.<host>,S=<size>:2,<flags> with mtime =
 *	internal date and the bytes exactly as carried.
 * DESCRIPTION
 *	The reader lists users in byte order (names starting with '.' are
 *	skipped: the run state directory lives there), then per user INBOX and
 *	the '.' folder directories in byte order. A folder's message list is
 *	built when the folder is yielded (file names only: memory is one
 *	folder's names, never a whole store) and messages stream in UID order;
 *	files not yet in dovecot-uidlist get UIDs from its next UID on, in name
 *	order, as Dovecot would assign them.
 *
 *	The writer is MSM_CODEC_THREADSAFE: each put writes the folder's
 *	messages into a staging directory inside the folder directory, then
 *	moves what was there aside (into the run's work directory when there is
 *	one, for rollback; deleted otherwise) and renames the staged files in:
 *	the same item put twice gives the same folder (replace, never append).
 *	maildirsize is recomputed at commit for every user put (a scan of
 *	file names, no message is read).
 * OWNERSHIP
 *	Items yielded are (transfer full). The writer consumes the folder's
 *	message iterator and bodies.
 * DIAGNOSTICS
 *	MSM_ERROR_UNSAFE (per entry): a user or folder name that cannot be a
 *	safe directory (empty, ".", "..", a '/' in a user name, a leading '.',
 *	control characters, an encoded name over 255 bytes, a folder name
 *	component "." or ".."), a symbolic link in the source or the target,
 *	a folder directory whose name is not valid listescape + modified UTF-7.
 *	MSM_ERROR_PARSE (per entry): a damaged dovecot-uidlist or
 *	dovecot-keywords, named with its path and line.
 *	MSM_ERROR_UNSUPPORTED: more than 26 keywords in one folder (Maildir++
 *	has 26 keyword letters). MSM_ERROR_IO: what the system refused, with
 *	the path and its reason.
 */
#include "config.h"

#include "builtin.h"

#include "ctxpriv.h"
#include "mutf7.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static const char *const maildir_versions[] = {"maildir", NULL};

#define MAX_NAME 255        /* longest directory entry name */
#define MAX_KEYWORDS 26     /* keyword letters a..z */
#define STAGE_DIR "msmigrate-stage"
#define ROLLBACK_LOG "maildir-rollback.log"
#define BACKUP_DIR "maildir-backup"
#define CHUNK 65536

/* The files of a folder a put replaces (besides cur/, new/, tmp/). */
static const char *const folder_files[] = {
    "dovecot-uidlist", "dovecot-keywords", "dovecot-acl",       "dovecot.index",
    "dovecot.index.log", "dovecot.index.cache", "dovecot.index.log.2", NULL,
};

/* ---- names ---- */

/* TRUE if user is usable as one directory name: checked, never encoded, so
 * that Dovecot's %u finds it. */
static gboolean
user_is_safe(const char *user, GError **error)
{
    const char *why = NULL;
    if (user == NULL || user[0] == '\0')
        why = "it is empty";
    else if (strlen(user) > MAX_NAME)
        why = "it is longer than 255 bytes";
    else if (user[0] == '.')
        why = "it starts with '.' (\".\", \"..\" and hidden names are refused)";
    else if (!g_utf8_validate(user, -1, NULL))
        why = "it is not valid UTF-8";
    else {
        for (const char *p = user; *p; p++) {
            if (*p == '/' || *p == '\\')
                why = "it contains a path separator";
            else if ((guchar)*p < 0x20 || *p == 0x7f)
                why = "it contains a control character";
        }
    }
    if (why) {
        char *shown = g_strescape(user ? user : "", NULL);
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: owner \"%s\" refused: %s; rename the user in the source "
                    "(see docs/formats/maildir.md \"Names\")",
                    shown, why);
        g_free(shown);
        return FALSE;
    }
    return TRUE;
}

/* Appends one listescaped, modified UTF-7 component to out. */
static gboolean
encode_component(GString *out, const char *comp, const char *folder, GError **error)
{
    if (comp[0] == '\0' || strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: folder \"%s\" refused: it has an empty, \".\" or \"..\" "
                    "component; rename it in the source",
                    folder);
        return FALSE;
    }
    GError *err = NULL;
    char *m = msm_mutf7_encode(comp, &err);
    if (m == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "maildir: folder refused: %s",
                    err->message);
        g_error_free(err);
        return FALSE;
    }
    for (const char *p = m; *p; p++) {
        if (*p == '.' || *p == '\\' || (*p == '~' && p == m))
            g_string_append_printf(out, "\\%02x", (guchar)*p);
        else
            g_string_append_c(out, *p);
    }
    g_free(m);
    return TRUE;
}

/* The directory of folder name relative to the user's Maildir: "" for INBOX,
 * ".a.b" for "a/b". (transfer full) */
static char *
folder_dir_name(const char *name, GError **error)
{
    if (name == NULL || !g_utf8_validate(name, -1, NULL)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: a folder name is not valid UTF-8; rename it in the source");
        return NULL;
    }
    if (g_ascii_strcasecmp(name, "INBOX") == 0)
        return g_strdup("");
    GString *out = g_string_new("");
    char **parts = g_strsplit(name, "/", -1);
    gboolean ok = TRUE;
    for (guint i = 0; ok && parts[i]; i++) {
        g_string_append_c(out, '.');
        /* INBOX's children keep the name Dovecot gives them: ".INBOX.x" */
        ok = encode_component(out, parts[i], name, error);
    }
    g_strfreev(parts);
    if (ok && out->len > MAX_NAME) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: folder \"%.60s...\" refused: its directory name would be %zu "
                    "bytes (at most 255); shorten it in the source",
                    name, out->len);
        ok = FALSE;
    }
    if (!ok) {
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* The folder name of directory dir (".a.b", without the user part), or
 * NULL + MSM_ERROR_UNSAFE. (transfer full) */
static char *
folder_name_of_dir(const char *dir, const char *where, GError **error)
{
    GString *out = g_string_new("");
    char **parts = g_strsplit(dir + 1, ".", -1);
    gboolean ok = dir[0] == '.' && dir[1] != '\0';
    for (guint i = 0; ok && parts[i]; i++) {
        GString *m = g_string_new("");
        for (const char *p = parts[i]; ok && *p; p++) {
            if (*p == '\\') {
                int hi = g_ascii_xdigit_value(p[1]), lo = hi >= 0 ? g_ascii_xdigit_value(p[2]) : -1;
                if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                    ok = FALSE;
                    break;
                }
                g_string_append_c(m, (char)(hi * 16 + lo));
                p += 2;
            } else {
                g_string_append_c(m, *p);
            }
        }
        char *u = ok ? msm_mutf7_decode(m->str, NULL) : NULL;
        if (u == NULL || u[0] == '\0' || strchr(u, '/') || strcmp(u, ".") == 0 ||
            strcmp(u, "..") == 0)
            ok = FALSE;
        else {
            if (i)
                g_string_append_c(out, '/');
            g_string_append(out, u);
        }
        g_free(u);
        g_string_free(m, TRUE);
    }
    g_strfreev(parts);
    if (!ok) {
        char *shown = g_strescape(dir, NULL);
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: %s/%s: not a valid folder directory name (listescape + "
                    "modified UTF-7, docs/formats/maildir.md); rename it",
                    where, shown);
        g_free(shown);
        g_string_free(out, TRUE);
        return NULL;
    }
    return g_string_free(out, FALSE);
}

/* ---- flags ---- */

static const struct {
    char letter;
    guint32 flag;
} flag_letters[] = {
    {'D', MSM_FLAG_DRAFT},  {'F', MSM_FLAG_FLAGGED}, {'R', MSM_FLAG_ANSWERED},
    {'S', MSM_FLAG_SEEN},   {'T', MSM_FLAG_DELETED},
};

/* ---- small file helpers ---- */

/* Reads a small regular file (not a link) into a string; NULL when absent
 * (no error) or on error (error set). (transfer full) */
static char *
read_small(const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            g_set_error(error, MSM_ERROR, errno == ELOOP ? MSM_ERROR_UNSAFE : MSM_ERROR_IO,
                        "maildir: %s: %s", path,
                        errno == ELOOP ? "a symbolic link (refused)" : g_strerror(errno));
        return NULL;
    }
    GString *s = g_string_new("");
    char buf[8192];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", path,
                        g_strerror(errno));
            close(fd);
            g_string_free(s, TRUE);
            return NULL;
        }
        if (n == 0)
            break;
        g_string_append_len(s, buf, n);
        if (s->len > 64 * 1024 * 1024) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "maildir: %s: larger than 64 MiB",
                        path);
            close(fd);
            g_string_free(s, TRUE);
            return NULL;
        }
    }
    close(fd);
    return g_string_free(s, FALSE);
}

/* ---- reader ---- */

typedef struct {
    char *name;  /* file name in cur/ or new/ */
    char *sub;   /* "cur" or "new" (static) */
    guint32 uid;
    gint64 mtime;
    gint64 size;
} MsgEnt;

typedef struct {
    char *dir;          /* folder directory */
    GPtrArray *ents;    /* MsgEnt*, in UID order */
    GPtrArray *keywords; /* char*, index = letter - 'a' */
    guint pos;
} MsgIterData;

typedef struct {
    MsmCtx *ctx;
    char *root;
    GPtrArray *users;   /* char*, sorted */
    guint user_pos;
    char *user;         /* current user */
    MsmOwner *owner;    /* current owner template */
    GPtrArray *folders; /* char* directory names of the current user ("" = INBOX) */
    guint folder_pos;
} Reader;

static void
msg_ent_free(gpointer p)
{
    MsgEnt *e = p;
    g_free(e->name);
    g_free(e);
}

static void
iter_data_free(gpointer p)
{
    MsgIterData *d = p;
    g_free(d->dir);
    g_ptr_array_unref(d->ents);
    g_ptr_array_unref(d->keywords);
    g_free(d);
}

static gint
ent_cmp(gconstpointer a, gconstpointer b)
{
    const MsgEnt *x = *(MsgEnt *const *)a, *y = *(MsgEnt *const *)b;
    if (x->uid != y->uid)
        return x->uid < y->uid ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The base of a message file name (up to the ':' of ":2,"). (transfer full) */
static char *
base_name(const char *name)
{
    const char *c = strchr(name, ':');
    return c ? g_strndup(name, (gsize)(c - name)) : g_strdup(name);
}

/* Yields the next message of a folder. */
static gboolean
msg_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    MsgIterData *d = data;
    *msg_r = NULL;
    if (d->pos >= d->ents->len)
        return TRUE;
    MsgEnt *e = d->ents->pdata[d->pos++];
    MsmMessage *m = msm_message_new();
    m->uid = e->uid;
    m->internal_date = e->mtime;
    m->size = e->size;
    const char *info = strstr(e->name, ":2,");
    if (info) {
        for (const char *p = info + 3; *p; p++) {
            for (guint i = 0; i < G_N_ELEMENTS(flag_letters); i++)
                if (*p == flag_letters[i].letter)
                    m->flags |= flag_letters[i].flag;
            if (*p >= 'a' && *p <= 'z') {
                guint k = (guint)(*p - 'a');
                if (k < d->keywords->len && d->keywords->pdata[k])
                    g_ptr_array_add(m->keywords, g_strdup(d->keywords->pdata[k]));
            }
        }
    }
    char *path = g_build_filename(d->dir, e->sub, e->name, NULL);
    m->body = msm_body_new_file(path, e->size);
    g_free(path);
    (void)error;
    *msg_r = m;
    return TRUE;
}

/* Parses dovecot-keywords of dir into an array indexed by letter. */
static GPtrArray *
read_keywords(const char *dir, GError **error)
{
    GPtrArray *kw = g_ptr_array_new_with_free_func(g_free);
    char *path = g_build_filename(dir, "dovecot-keywords", NULL);
    GError *err = NULL;
    char *text = read_small(path, &err);
    if (err) {
        g_propagate_error(error, err);
        g_free(path);
        g_ptr_array_unref(kw);
        return NULL;
    }
    char **lines = g_strsplit(text ? text : "", "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        if (lines[i][0] == '\0')
            continue;
        char *end = NULL;
        guint64 idx = g_ascii_strtoull(lines[i], &end, 10);
        if (end == lines[i] || *end != ' ' || end[1] == '\0' || idx >= MAX_KEYWORDS) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "maildir: %s line %u: expected \"<0-25> <keyword>\"; fix or remove the "
                        "line",
                        path, i + 1);
            g_strfreev(lines);
            g_free(text);
            g_free(path);
            g_ptr_array_unref(kw);
            return NULL;
        }
        while (kw->len <= idx)
            g_ptr_array_add(kw, NULL);
        g_free(kw->pdata[idx]);
        kw->pdata[idx] = g_strdup(end + 1);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return kw;
}

/* Lists the message files of dir/sub into ents (regular files only). */
static gboolean
list_messages(const char *dir, const char *sub, GPtrArray *ents, GHashTable *by_base,
              GError **error)
{
    char *sdir = g_build_filename(dir, sub, NULL);
    struct stat lst;
    if (lstat(sdir, &lst) == 0 && !S_ISDIR(lst.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: %s is not a directory (%s; refused, never followed); replace "
                    "it with the directory",
                    sdir, S_ISLNK(lst.st_mode) ? "a symbolic link" : "a file");
        g_free(sdir);
        return FALSE;
    }
    GError *err = NULL;
    GDir *d = g_dir_open(sdir, 0, &err);
    if (d == NULL) {
        gboolean absent = g_error_matches(err, G_FILE_ERROR, G_FILE_ERROR_NOENT);
        if (!absent)
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", sdir, err->message);
        g_error_free(err);
        g_free(sdir);
        return absent;
    }
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL) {
        if (n[0] == '.')
            continue;
        char *p = g_build_filename(sdir, n, NULL);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISREG(st.st_mode)) {
            MsgEnt *e = g_new0(MsgEnt, 1);
            e->name = g_strdup(n);
            e->sub = (char *)(strcmp(sub, "cur") == 0 ? "cur" : "new");
            e->mtime = st.st_mtime;
            e->size = st.st_size;
            g_ptr_array_add(ents, e);
            g_hash_table_insert(by_base, base_name(n), e);
        }
        g_free(p);
    }
    g_dir_close(d);
    g_free(sdir);
    return TRUE;
}

/* Builds the folder item of directory fdir ("" = INBOX) of the current user. */
static gboolean
read_folder(Reader *r, const char *fdir, MsmItem **item_r, GError **error)
{
    char *where = g_build_filename(r->root, r->user, NULL);
    char *name = fdir[0] ? folder_name_of_dir(fdir, where, error) : g_strdup("INBOX");
    if (name == NULL) {
        g_free(where);
        return FALSE;
    }
    char *dir = g_build_filename(where, fdir, NULL);
    g_free(where);
    MsgIterData *d = g_new0(MsgIterData, 1);
    d->dir = dir;
    d->ents = g_ptr_array_new_with_free_func(msg_ent_free);
    GHashTable *by_base = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    MsmFolder *f = msm_folder_new(msm_owner_copy(r->owner), name);
    gboolean ok = (d->keywords = read_keywords(dir, error)) != NULL &&
                  list_messages(dir, "cur", d->ents, by_base, error) &&
                  list_messages(dir, "new", d->ents, by_base, error);
    char *ulpath = g_build_filename(dir, "dovecot-uidlist", NULL);
    GError *err = NULL;
    char *text = ok ? read_small(ulpath, &err) : NULL;
    if (err) {
        g_propagate_error(error, err);
        ok = FALSE;
    }
    guint32 next = 1, max_uid = 0;
    if (ok && text) {
        char **lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; ok && lines[i]; i++) {
            char *l = lines[i];
            if (l[0] == '\0')
                continue;
            if (i == 0) {
                if (l[0] != '3' || l[1] != ' ') {
                    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                                "maildir: %s line 1: not a version 3 header; let Dovecot "
                                "rewrite it (doveadm force-resync)",
                                ulpath);
                    ok = FALSE;
                    break;
                }
                char **f2 = g_strsplit(l + 2, " ", -1);
                for (guint k = 0; f2[k]; k++) {
                    if (f2[k][0] == 'V')
                        f->uidvalidity = (guint32)g_ascii_strtoull(f2[k] + 1, NULL, 10);
                    else if (f2[k][0] == 'N')
                        next = (guint32)g_ascii_strtoull(f2[k] + 1, NULL, 10);
                }
                g_strfreev(f2);
                continue;
            }
            char *end = NULL;
            guint64 uid = g_ascii_strtoull(l, &end, 10);
            char *colon = strstr(l, " :");
            if (end == l || uid == 0 || uid > G_MAXUINT32 || colon == NULL) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                            "maildir: %s line %u: expected \"<uid> [ext...] :<file name>\"; "
                            "fix the line or let Dovecot rewrite the file",
                            ulpath, i + 1);
                ok = FALSE;
                break;
            }
            char *b = base_name(colon + 2);
            MsgEnt *e = g_hash_table_lookup(by_base, b);
            g_free(b);
            if (e && e->uid == 0 && (guint32)uid > max_uid) {
                e->uid = (guint32)uid;
                max_uid = (guint32)uid;
            }
        }
        g_strfreev(lines);
    }
    g_free(text);
    g_free(ulpath);
    if (ok) {
        /* files Dovecot has not seen yet get the next UIDs, in name order */
        g_ptr_array_sort(d->ents, ent_cmp);
        guint32 n = MAX(next, max_uid + 1);
        for (guint i = 0; i < d->ents->len; i++) {
            MsgEnt *e = d->ents->pdata[i];
            if (e->uid == 0)
                e->uid = n++;
        }
        g_ptr_array_sort(d->ents, ent_cmp);
        f->uidnext = n;
        f->message_count = d->ents->len;
        /* ACL */
        char *aclpath = g_build_filename(dir, "dovecot-acl", NULL);
        char *acl = read_small(aclpath, &err);
        if (err) {
            g_propagate_error(error, err);
            ok = FALSE;
        }
        char **lines = g_strsplit(acl ? acl : "", "\n", -1);
        for (guint i = 0; ok && lines[i]; i++) {
            char *sp = strrchr(lines[i], ' ');
            if (lines[i][0] == '\0')
                continue;
            if (sp == NULL) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                            "maildir: %s line %u: expected \"<identifier> <rights>\"", aclpath,
                            i + 1);
                ok = FALSE;
                break;
            }
            char *id = g_strndup(lines[i], (gsize)(sp - lines[i]));
            const char *ident = g_str_has_prefix(id, "user=") ? id + 5 : id;
            g_ptr_array_add(f->acl, msm_ace_new(ident, sp + 1));
            g_free(id);
        }
        g_strfreev(lines);
        g_free(acl);
        g_free(aclpath);
    }
    g_hash_table_unref(by_base);
    if (!ok) {
        iter_data_free(d);
        msm_folder_free(f);
        g_free(name);
        return FALSE;
    }
    f->messages = msm_message_iter_new(msg_next, d, iter_data_free);
    char *key = g_strdup_printf("user/%s/%s", r->user, name);
    *item_r = msm_item_new(MSM_KIND_STORE, key, f);
    g_free(key);
    g_free(name);
    return TRUE;
}

/* Reads the owner of user: quota from maildirsize, subscriptions. */
static MsmOwner *
read_owner(const char *udir, const char *user, GError **error)
{
    MsmOwner *o = msm_owner_new(user);
    GError *err = NULL;
    char *path = g_build_filename(udir, "maildirsize", NULL);
    char *text = read_small(path, &err);
    g_free(path);
    if (err) {
        g_propagate_error(error, err);
        msm_owner_free(o);
        return NULL;
    }
    if (text) {
        char **lines = g_strsplit(text, "\n", -1);
        if (lines[0]) {
            char **defs = g_strsplit(lines[0], ",", -1);
            for (guint i = 0; defs[i]; i++) {
                char *end = NULL;
                gint64 v = g_ascii_strtoll(defs[i], &end, 10);
                if (end && *end == 'S' && v > 0)
                    o->quota_bytes = v;
                else if (end && *end == 'C' && v > 0)
                    o->quota_messages = v;
            }
            g_strfreev(defs);
            gint64 used = 0;
            for (guint i = 1; lines[i]; i++)
                used += g_ascii_strtoll(lines[i], NULL, 10);
            o->used_bytes = used;
        }
        g_strfreev(lines);
        g_free(text);
    }
    path = g_build_filename(udir, "subscriptions", NULL);
    text = read_small(path, &err);
    g_free(path);
    if (err) {
        g_propagate_error(error, err);
        msm_owner_free(o);
        return NULL;
    }
    if (text) {
        /* Dovecot's Maildir++ subscriptions: one storage name a line ('.' as the
         * hierarchy separator, listescaped modified UTF-7), "INBOX" for INBOX */
        char **lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            if (lines[i][0] == '\0' || (i == 0 && g_str_has_prefix(lines[i], "V\t")))
                continue;
            char *name = NULL;
            if (g_ascii_strcasecmp(lines[i], "INBOX") == 0) {
                name = g_strdup("INBOX");
            } else {
                char *dir = g_strconcat(".", lines[i], NULL);
                name = folder_name_of_dir(dir, udir, NULL);
                g_free(dir);
            }
            /* a line that does not decode is kept as found */
            g_ptr_array_add(o->subscriptions, name ? name : g_strdup(lines[i]));
        }
        g_strfreev(lines);
        g_free(text);
    }
    return o;
}

/* Sorted names of dir; names starting with '.' only when dots. (transfer full) */
static GPtrArray *
sorted_names(const char *dir, gboolean dots, GError **error)
{
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", dir, err->message);
        g_error_free(err);
        return NULL;
    }
    GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        if ((n[0] == '.') == dots)
            g_ptr_array_add(a, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(a, msm_strcmp_ptr);
    return a;
}

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    if (!msm_is_real_dir(root)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "maildir: %s is not a directory (give the directory holding one Maildir "
                    "per user)",
                    root);
        return NULL;
    }
    GPtrArray *users = sorted_names(root, FALSE, error);
    if (users == NULL)
        return NULL;
    Reader *r = g_new0(Reader, 1);
    r->ctx = ctx;
    r->root = g_strdup(root);
    r->users = users;
    return r;
}

/* Moves to the next user; FALSE at the end or on a per-user error (error set). */
static gboolean
next_user(Reader *r, gboolean *end_r, GError **error)
{
    *end_r = FALSE;
    g_clear_pointer(&r->folders, g_ptr_array_unref);
    g_clear_pointer(&r->owner, msm_owner_free);
    g_clear_pointer(&r->user, g_free);
    if (r->user_pos >= r->users->len) {
        *end_r = TRUE;
        return FALSE;
    }
    const char *u = r->users->pdata[r->user_pos++];
    char *udir = g_build_filename(r->root, u, NULL);
    struct stat st;
    gboolean ok = FALSE;
    if (lstat(udir, &st) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", udir, g_strerror(errno));
    } else if (S_ISLNK(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: %s is a symbolic link (refused, never followed); replace it with "
                    "the directory",
                    udir);
    } else if (!S_ISDIR(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "maildir: %s is not a directory (a user's Maildir is); move it away", udir);
    } else if (user_is_safe(u, error) && (r->owner = read_owner(udir, u, error)) != NULL) {
        GPtrArray *dirs = sorted_names(udir, TRUE, error);
        if (dirs) {
            r->folders = g_ptr_array_new_with_free_func(g_free);
            g_ptr_array_add(r->folders, g_strdup(""));
            for (guint i = 0; i < dirs->len; i++) {
                const char *n = dirs->pdata[i];
                if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
                    continue;
                g_ptr_array_add(r->folders, g_strdup(n));
            }
            g_ptr_array_unref(dirs);
            r->folder_pos = 0;
            r->user = g_strdup(u);
            ok = TRUE;
        }
    }
    g_free(udir);
    if (!ok)
        g_clear_pointer(&r->owner, msm_owner_free);
    return ok;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    *item_r = NULL;
    for (;;) {
        if (r->folders == NULL || r->folder_pos >= r->folders->len) {
            gboolean end = FALSE;
            if (!next_user(r, &end, error))
                return end;
            continue;
        }
        const char *fd = r->folders->pdata[r->folder_pos++];
        char *udir = g_build_filename(r->root, r->user, NULL);
        char *dir = g_build_filename(udir, fd, NULL);
        struct stat st;
        gboolean skip = FALSE, bad = FALSE;
        if (fd[0]) {
            if (lstat(dir, &st) != 0) {
                skip = TRUE;
            } else if (S_ISLNK(st.st_mode)) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                            "maildir: %s is a symbolic link (refused, never followed); replace "
                            "it with the folder directory",
                            dir);
                bad = TRUE;
            } else {
                char *cur = g_build_filename(dir, "cur", NULL);
                /* a file, or a directory that is not a Maildir++ folder */
                skip = !S_ISDIR(st.st_mode) || !msm_is_real_dir(cur);
                g_free(cur);
            }
        }
        g_free(udir);
        g_free(dir);
        if (bad)
            return FALSE;
        if (skip)
            continue;
        return read_folder(r, fd, item_r, error);
    }
}

static void
reader_close(gpointer reader)
{
    Reader *r = reader;
    if (r == NULL)
        return;
    g_free(r->root);
    g_ptr_array_unref(r->users);
    g_free(r->user);
    if (r->owner)
        msm_owner_free(r->owner);
    if (r->folders)
        g_ptr_array_unref(r->folders);
    g_free(r);
}

/* Adds the S= sizes (or lengths) of the messages of one folder directory. */
static void sum_folder(const char *fdir, gint64 *bytes, gint64 *count);

/* Counts folders and bytes by directory listing only (names carry S=). */
static void
count_tree(const char *root, guint64 *items, guint64 *bytes)
{
    GDir *d = g_dir_open(root, 0, NULL);
    const char *u;
    while (d && (u = g_dir_read_name(d)) != NULL) {
        char *udir = g_build_filename(root, u, NULL);
        if (u[0] != '.' && msm_is_real_dir(udir)) {
            gint64 b = 0, c = 0;
            sum_folder(udir, &b, &c);
            (*items)++;
            GDir *fd = g_dir_open(udir, 0, NULL);
            const char *n;
            while (fd && (n = g_dir_read_name(fd)) != NULL) {
                char *p = g_build_filename(udir, n, NULL), *cur = g_build_filename(p, "cur", NULL);
                if (n[0] == '.' && msm_is_real_dir(p) && msm_is_real_dir(cur)) {
                    (*items)++;
                    sum_folder(p, &b, &c);
                }
                g_free(p);
                g_free(cur);
            }
            if (fd)
                g_dir_close(fd);
            *bytes += (guint64)b;
        }
        g_free(udir);
    }
    if (d)
        g_dir_close(d);
}

static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Reader *r = reader;
    *items_r = 0;
    *bytes_r = 0;
    count_tree(r->root, items_r, bytes_r);
    return TRUE;
}

/* ---- writer ---- */

typedef struct {
    char *root;
    char *work_dir;     /* run work directory, or NULL (no rollback data kept) */
    char *host;         /* host part of file names */
    GMutex lock;
    GHashTable *users;  /* user -> MsmOwner* (quota of the last put) */
    FILE *log;          /* rollback log, or NULL */
} Writer;

/* Appends one line to the rollback log, durable before the change it announces. */
static gboolean
log_line(Writer *w, const char *tag, const char *a, const char *b, GError **error)
{
    if (w->log == NULL)
        return TRUE;
    g_mutex_lock(&w->lock);
    char *ea = g_strescape(a, NULL), *eb = b ? g_strescape(b, NULL) : NULL;
    fprintf(w->log, "%s\t%s%s%s\n", tag, ea, eb ? "\t" : "", eb ? eb : "");
    gboolean ok = fflush(w->log) == 0 && fsync(fileno(w->log)) == 0;
    g_mutex_unlock(&w->lock);
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: rollback log in %s: %s",
                    w->work_dir, g_strerror(errno));
    g_free(ea);
    g_free(eb);
    return ok;
}

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    if (!msm_mkdir_p(root, FALSE, error))
        return NULL;
    Writer *w = g_new0(Writer, 1);
    w->root = g_strdup(root);
    g_mutex_init(&w->lock);
    w->users = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify)msm_owner_free);
    GString *h = g_string_new("");
    for (const char *p = g_get_host_name(); *p; p++) {
        if (*p == '/' || *p == ':' || *p == '.' || *p == ',')
            g_string_append_printf(h, "\\%03o", (guchar)*p);
        else
            g_string_append_c(h, *p);
    }
    if (h->len == 0)
        g_string_append(h, "localhost");
    w->host = g_string_free(h, FALSE);
    const char *wd = ctx ? msm_ctx_work_dir(ctx) : NULL;
    if (wd && wd[0] && !(ctx && msm_ctx_dry_run(ctx))) {
        w->work_dir = g_strdup(wd);
        char *p = g_build_filename(wd, ROLLBACK_LOG, NULL);
        if (msm_mkdir_p(wd, TRUE, error))
            w->log = fopen(p, "a");
        if (w->log == NULL && (error == NULL || *error == NULL))
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", p, g_strerror(errno));
        g_free(p);
        if (w->log == NULL) {
            g_free(w->work_dir);
            g_free(w->root);
            g_free(w->host);
            g_hash_table_unref(w->users);
            g_free(w);
            return NULL;
        }
    }
    return w;
}

/* mkdir that refuses an existing link; TRUE if dir is a real directory after. */
static gboolean
mkdir_real(const char *dir, GError **error)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: cannot create %s: %s", dir,
                    g_strerror(errno));
        return FALSE;
    }
    if (!msm_is_real_dir(dir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "maildir: %s exists and is not a directory (a link or a file); remove it",
                    dir);
        return FALSE;
    }
    return TRUE;
}

/* Removes the regular files of dir and dir itself (one level: cur/new/tmp).
 * A link in dir's place is removed itself, never followed. */
static void
remove_flat_dir(const char *dir)
{
    struct stat st;
    if (lstat(dir, &st) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(dir);
        return;
    }
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(dir, n, NULL);
        unlink(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    rmdir(dir);
}

static gboolean
write_all(int fd, const void *data, gsize len)
{
    const guint8 *p = data;
    while (len) {
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

/* Writes one message into stage/cur. Returns its final file name (transfer full). */
static char *
write_message(Writer *w, const char *stage, const char *key, MsmMessage *m, guint32 uidvalidity,
              GPtrArray *kwtab, GError **error)
{
    GString *flags = g_string_new("");
    for (guint i = 0; i < G_N_ELEMENTS(flag_letters); i++)
        if (m->flags & flag_letters[i].flag)
            g_string_append_c(flags, flag_letters[i].letter);
    char letters[MAX_KEYWORDS + 1] = {0};
    guint nl = 0;
    for (guint i = 0; m->keywords && i < m->keywords->len; i++) {
        const char *k = m->keywords->pdata[i];
        guint idx;
        for (idx = 0; idx < kwtab->len; idx++)
            if (strcmp(kwtab->pdata[idx], k) == 0)
                break;
        if (idx == kwtab->len) {
            if (kwtab->len >= MAX_KEYWORDS) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED,
                            "maildir: %s: more than 26 keywords in one folder (\"%s\" is the "
                            "27th); Maildir++ has 26 keyword letters - remove unused keywords "
                            "in the source",
                            key, k);
                g_string_free(flags, TRUE);
                return NULL;
            }
            if (strchr(k, '\n') || strchr(k, ' ') || k[0] == '\0') {
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                            "maildir: %s: keyword \"%s\" is not an IMAP atom", key, k);
                g_string_free(flags, TRUE);
                return NULL;
            }
            g_ptr_array_add(kwtab, g_strdup(k));
        }
        char l = (char)('a' + idx);
        if (!strchr(letters, l))
            letters[nl++] = l;
    }
    /* keyword letters in order */
    for (guint i = 0; i < nl; i++)
        for (guint j = i + 1; j < nl; j++)
            if (letters[j] < letters[i]) {
                char t = letters[i];
                letters[i] = letters[j];
                letters[j] = t;
            }
    g_string_append(flags, letters);
    char *tmp = g_strdup_printf("%s/tmp/%u", stage, m->uid);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", tmp, g_strerror(errno));
        g_free(tmp);
        g_string_free(flags, TRUE);
        return NULL;
    }
    guint8 *buf = g_malloc(CHUNK);
    gint64 size = 0;
    gboolean ok = TRUE;
    while (ok && m->body) {
        GError *err = NULL;
        gssize n = msm_body_read(m->body, buf, CHUNK, &err);
        if (n < 0) {
            g_propagate_prefixed_error(error, err, "maildir: %s uid %u: ", key, m->uid);
            ok = FALSE;
        } else if (n == 0) {
            break;
        } else if (!write_all(fd, buf, (gsize)n)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", tmp,
                        g_strerror(errno));
            ok = FALSE;
        }
        size += n > 0 ? n : 0;
    }
    g_free(buf);
    if (ok && fsync(fd) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", tmp, g_strerror(errno));
        ok = FALSE;
    }
    if (ok) {
        struct timespec ts[2] = {{(time_t)m->internal_date, 0}, {(time_t)m->internal_date, 0}};
        futimens(fd, ts);
    }
    close(fd);
    char *name = NULL;
    if (ok) {
        name = g_strdup_printf("%" G_GINT64_FORMAT ".M%uV%u.%s,S=%" G_GINT64_FORMAT ":2,%s",
                               m->internal_date > 0 ? m->internal_date : (gint64)0, m->uid,
                               uidvalidity, w->host, size, flags->str);
        char *dest = g_strdup_printf("%s/cur/%s", stage, name);
        if (rename(tmp, dest) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", dest,
                        g_strerror(errno));
            g_clear_pointer(&name, g_free);
        }
        g_free(dest);
    }
    if (name == NULL)
        unlink(tmp);
    g_free(tmp);
    g_string_free(flags, TRUE);
    return name;
}

/* Writes text to path atomically (0600). */
static gboolean
put_file(const char *path, const GString *text, GError **error)
{
    return msm_write_file_atomic(path, text->str, text->len, 0600, error);
}

/* Moves (or deletes) what fdir holds that a put replaces. */
static gboolean
set_aside(Writer *w, const char *key, const char *fdir, GError **error)
{
    char *backup = NULL;
    if (w->work_dir) {
        char *h = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
        backup = g_build_filename(w->work_dir, BACKUP_DIR, h, NULL);
        g_free(h);
        if (msm_is_real_dir(backup)) {
            /* the original was kept by an earlier put of this run: drop this one */
            g_clear_pointer(&backup, g_free);
        } else {
            gboolean had = FALSE;
            for (guint i = 0; folder_files[i]; i++)
                had = had || msm_has_path(fdir, folder_files[i]);
            had = had || msm_has_path(fdir, "cur") || msm_has_path(fdir, "new");
            if (!had) {
                g_free(backup);
                return log_line(w, "C", key, fdir, error);
            }
            /* "had": what the folder held, so rollback knows what to remove */
            GString *list = g_string_new("");
            static const char *const subs0[] = {"cur", "new", "tmp", NULL};
            for (guint i = 0; subs0[i]; i++)
                if (msm_has_path(fdir, subs0[i]))
                    g_string_append_printf(list, "%s\n", subs0[i]);
            for (guint i = 0; folder_files[i]; i++)
                if (msm_has_path(fdir, folder_files[i]))
                    g_string_append_printf(list, "%s\n", folder_files[i]);
            char *hadp = g_build_filename(backup, "had", NULL);
            gboolean ok = msm_mkdir_p(backup, TRUE, error) && put_file(hadp, list, error) &&
                          log_line(w, "R", fdir, backup, error);
            g_free(hadp);
            g_string_free(list, TRUE);
            if (!ok) {
                g_free(backup);
                return FALSE;
            }
        }
    }
    static const char *const subs[] = {"cur", "new", "tmp", NULL};
    for (guint i = 0; subs[i]; i++) {
        char *p = g_build_filename(fdir, subs[i], NULL);
        if (msm_has_path(fdir, subs[i])) {
            char *b = backup ? g_build_filename(backup, subs[i], NULL) : NULL;
            if (b == NULL || rename(p, b) != 0)
                remove_flat_dir(p);
            g_free(b);
        }
        g_free(p);
    }
    for (guint i = 0; folder_files[i]; i++) {
        char *p = g_build_filename(fdir, folder_files[i], NULL);
        char *b = backup ? g_build_filename(backup, folder_files[i], NULL) : NULL;
        if (b == NULL || rename(p, b) != 0)
            unlink(p);
        g_free(b);
        g_free(p);
    }
    g_free(backup);
    return TRUE;
}

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    Writer *w = writer;
    if (item->kind != MSM_KIND_STORE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "maildir: item %s is not a store folder", item->key);
        return FALSE;
    }
    MsmFolder *f = item->payload;
    if (f->owner == NULL || !user_is_safe(f->owner->user, error))
        return FALSE;
    char *fname = folder_dir_name(f->name, error);
    if (fname == NULL)
        return FALSE;
    char *udir = g_build_filename(w->root, f->owner->user, NULL);
    char *fdir = fname[0] ? g_build_filename(udir, fname, NULL) : g_strdup(udir);
    char *stage = NULL;
    GPtrArray *kwtab = g_ptr_array_new_with_free_func(g_free);
    GString *uidlist = g_string_new("");
    gboolean ok = mkdir_real(udir, error) && mkdir_real(fdir, error);
    guint32 uidvalidity = f->uidvalidity ? f->uidvalidity : (guint32)(g_get_real_time() / 1000000);
    if (ok) {
        stage = g_build_filename(fdir, STAGE_DIR, NULL);
        struct stat st;
        if (lstat(stage, &st) == 0 && !S_ISDIR(st.st_mode)) {
            unlink(stage); /* a link or file in its place: removed, never followed */
        } else if (lstat(stage, &st) == 0) {
            char *c = g_build_filename(stage, "cur", NULL), *t = g_build_filename(stage, "tmp", NULL);
            remove_flat_dir(c);
            remove_flat_dir(t);
            g_free(c);
            g_free(t);
            rmdir(stage);
        }
        char *c = g_build_filename(stage, "cur", NULL), *t = g_build_filename(stage, "tmp", NULL);
        ok = mkdir_real(stage, error) && mkdir_real(c, error) && mkdir_real(t, error);
        g_free(c);
        g_free(t);
    }
    guint32 last = 0;
    guint64 count = 0;
    GString *lines = g_string_new("");
    while (ok && f->messages) {
        MsmMessage *m = NULL;
        if (!msm_message_iter_next(f->messages, &m, error)) {
            ok = FALSE;
            break;
        }
        if (m == NULL)
            break;
        if (m->uid <= last)
            m->uid = last + 1; /* UIDs must ascend: documented renumbering */
        last = m->uid;
        char *name = write_message(w, stage, item->key, m, uidvalidity, kwtab, error);
        if (name == NULL)
            ok = FALSE;
        else
            g_string_append_printf(lines, "%u :%s\n", m->uid, name);
        g_free(name);
        msm_message_free(m);
        count++;
    }
    if (ok) {
        guint32 next = MAX(f->uidnext, last + 1);
        g_string_append_printf(uidlist, "3 V%u N%u\n", uidvalidity, next);
        g_string_append_len(uidlist, lines->str, (gssize)lines->len);
        GString *kw = g_string_new("");
        for (guint i = 0; i < kwtab->len; i++)
            g_string_append_printf(kw, "%u %s\n", i, (const char *)kwtab->pdata[i]);
        GString *acl = g_string_new("");
        for (guint i = 0; f->acl && i < f->acl->len; i++) {
            const MsmAce *a = f->acl->pdata[i];
            gboolean plain = strcmp(a->identifier, "anyone") == 0 ||
                             strcmp(a->identifier, "authenticated") == 0 ||
                             strcmp(a->identifier, "owner") == 0 || strchr(a->identifier, '=');
            if (strpbrk(a->identifier, " \n") || strpbrk(a->rights, " \n")) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                            "maildir: %s: ACL identifier \"%s\" holds a space or line break",
                            item->key, a->identifier);
                ok = FALSE;
                break;
            }
            g_string_append_printf(acl, "%s%s %s\n", plain ? "" : "user=", a->identifier,
                                   a->rights);
        }
        char *p;
        if (ok) {
            p = g_build_filename(stage, "dovecot-uidlist", NULL);
            ok = put_file(p, uidlist, error);
            g_free(p);
        }
        if (ok) {
            p = g_build_filename(stage, "dovecot-keywords", NULL);
            ok = put_file(p, kw, error);
            g_free(p);
        }
        if (ok) {
            p = g_build_filename(stage, "dovecot-acl", NULL);
            ok = put_file(p, acl, error);
            g_free(p);
        }
        g_string_free(kw, TRUE);
        g_string_free(acl, TRUE);
    }
    g_string_free(lines, TRUE);
    /* the swap: old contents aside, staged contents in */
    if (ok)
        ok = set_aside(w, item->key, fdir, error);
    if (ok) {
        static const char *const moved[] = {"cur", "tmp", "dovecot-uidlist", "dovecot-keywords",
                                            "dovecot-acl", NULL};
        for (guint i = 0; ok && moved[i]; i++) {
            char *from = g_build_filename(stage, moved[i], NULL);
            char *to = g_build_filename(fdir, moved[i], NULL);
            if (!(strcmp(moved[i], "dovecot-acl") == 0 && (f->acl == NULL || f->acl->len == 0)) &&
                rename(from, to) != 0) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: %s: %s", to,
                            g_strerror(errno));
                ok = FALSE;
            }
            g_free(from);
            g_free(to);
        }
        char *stale = g_build_filename(stage, "dovecot-acl", NULL);
        unlink(stale);
        g_free(stale);
        rmdir(stage);
        char *nd = g_build_filename(fdir, "new", NULL);
        ok = ok && mkdir_real(nd, error);
        g_free(nd);
        /* the renames are durable once the directories are */
        char *cd = g_build_filename(fdir, "cur", NULL);
        const char *dirs[] = {cd, fdir};
        for (guint i = 0; ok && i < G_N_ELEMENTS(dirs); i++) {
            int dfd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (dfd < 0 || fsync(dfd) != 0) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "maildir: fsync %s: %s", dirs[i],
                            g_strerror(errno));
                ok = FALSE;
            }
            if (dfd >= 0)
                close(dfd);
        }
        g_free(cd);
        if (ok && fname[0]) {
            char *mf = g_build_filename(fdir, "maildirfolder", NULL);
            GString *empty = g_string_new("");
            if (!msm_has_path(fdir, "maildirfolder"))
                ok = put_file(mf, empty, error);
            g_string_free(empty, TRUE);
            g_free(mf);
        }
    }
    if (ok) {
        /* subscriptions: the owner's list, the same for every folder put */
        GString *subs = g_string_new("");
        for (guint i = 0; f->owner->subscriptions && i < f->owner->subscriptions->len; i++) {
            /* storage names, as Dovecot writes them; a name that cannot be a
             * folder cannot be subscribed to either and is dropped */
            char *m = folder_dir_name(f->owner->subscriptions->pdata[i], NULL);
            if (m)
                g_string_append_printf(subs, "%s\n", m[0] ? m + 1 : "INBOX");
            g_free(m);
        }
        char *sp = g_build_filename(udir, "subscriptions", NULL);
        g_mutex_lock(&w->lock);
        ok = put_file(sp, subs, error);
        if (ok)
            g_hash_table_replace(w->users, g_strdup(f->owner->user), msm_owner_copy(f->owner));
        g_mutex_unlock(&w->lock);
        g_free(sp);
        g_string_free(subs, TRUE);
    }
    (void)count;
    g_string_free(uidlist, TRUE);
    g_ptr_array_unref(kwtab);
    g_free(stage);
    g_free(fdir);
    g_free(udir);
    g_free(fname);
    return ok;
}

/* Sums the S= sizes and counts messages of one Maildir folder directory. */
static void
sum_folder(const char *fdir, gint64 *bytes, gint64 *count)
{
    static const char *const subs[] = {"cur", "new", NULL};
    for (guint i = 0; subs[i]; i++) {
        char *p = g_build_filename(fdir, subs[i], NULL);
        GDir *d = g_dir_open(p, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d)) != NULL) {
            if (n[0] == '.')
                continue;
            const char *s = strstr(n, ",S=");
            if (s)
                *bytes += g_ascii_strtoll(s + 3, NULL, 10);
            else {
                char *fp = g_build_filename(p, n, NULL);
                struct stat st;
                if (lstat(fp, &st) == 0)
                    *bytes += st.st_size;
                g_free(fp);
            }
            (*count)++;
        }
        if (d)
            g_dir_close(d);
        g_free(p);
    }
}

/* Writes maildirsize of every user put: quota definition and current usage. */
static gboolean
writer_commit(gpointer writer, GError **error)
{
    Writer *w = writer;
    gboolean ok = TRUE;
    g_mutex_lock(&w->lock);
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, w->users);
    while (ok && g_hash_table_iter_next(&it, &k, &v)) {
        const MsmOwner *o = v;
        char *udir = g_build_filename(w->root, (const char *)k, NULL);
        gint64 bytes = 0, count = 0;
        sum_folder(udir, &bytes, &count);
        GDir *d = g_dir_open(udir, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d)) != NULL) {
            if (n[0] != '.' || strcmp(n, ".") == 0 || strcmp(n, "..") == 0)
                continue;
            char *fd = g_build_filename(udir, n, NULL);
            if (msm_is_real_dir(fd))
                sum_folder(fd, &bytes, &count);
            g_free(fd);
        }
        if (d)
            g_dir_close(d);
        GString *s = g_string_new("");
        if (o->quota_bytes > 0)
            g_string_append_printf(s, "%" G_GINT64_FORMAT "S", o->quota_bytes);
        if (o->quota_messages > 0)
            g_string_append_printf(s, "%s%" G_GINT64_FORMAT "C", s->len ? "," : "",
                                   o->quota_messages);
        if (s->len == 0)
            g_string_append(s, "0S"); /* no limit */
        g_string_append_printf(s, "\n%" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", bytes, count);
        char *p = g_build_filename(udir, "maildirsize", NULL);
        ok = put_file(p, s, error);
        g_free(p);
        g_string_free(s, TRUE);
        g_free(udir);
    }
    g_mutex_unlock(&w->lock);
    return ok;
}

static void
writer_close(gpointer writer)
{
    Writer *w = writer;
    if (w == NULL)
        return;
    if (w->log)
        fclose(w->log);
    g_hash_table_unref(w->users);
    g_mutex_clear(&w->lock);
    g_free(w->host);
    g_free(w->work_dir);
    g_free(w->root);
    g_free(w);
}

/* ---- rollback ---- */

/* Removes what a put leaves in fdir (cur, new, tmp, index files). */
static void
clear_folder(const char *fdir)
{
    static const char *const subs[] = {"cur", "new", "tmp", STAGE_DIR "/cur",
                                       STAGE_DIR "/tmp", STAGE_DIR, NULL};
    for (guint i = 0; subs[i]; i++) {
        char *p = g_build_filename(fdir, subs[i], NULL);
        if (msm_is_real_dir(p))
            remove_flat_dir(p);
        g_free(p);
    }
    for (guint i = 0; folder_files[i]; i++) {
        char *p = g_build_filename(fdir, folder_files[i], NULL);
        unlink(p);
        g_free(p);
    }
}

/* Puts back what set_aside kept in backup: each entry the folder had is moved
 * back over the current one while the backup still holds it; entries it did
 * not have are removed. Safe to repeat after an interruption. */
static void
restore_folder(const char *fdir, const char *backup)
{
    char *hadp = g_build_filename(backup, "had", NULL);
    char *had = read_small(hadp, NULL);
    g_free(hadp);
    if (had == NULL)
        return;
    char **names = g_strsplit(had, "\n", -1);
    static const char *const all[] = {"cur", "new", "tmp", NULL};
    for (guint pass = 0; pass < 2; pass++) {
        const char *const *list = pass == 0 ? all : folder_files;
        for (guint i = 0; list[i]; i++) {
            char *cur = g_build_filename(fdir, list[i], NULL);
            char *kept = g_build_filename(backup, list[i], NULL);
            gboolean was = g_strv_contains((const char *const *)names, list[i]);
            if (!was || msm_has_path(backup, list[i])) {
                if (pass == 0 && msm_is_real_dir(cur))
                    remove_flat_dir(cur);
                else if (pass == 1)
                    unlink(cur);
            }
            if (was && msm_has_path(backup, list[i]))
                rename(kept, cur);
            g_free(cur);
            g_free(kept);
        }
    }
    char *st = g_build_filename(fdir, STAGE_DIR, NULL);
    if (msm_is_real_dir(st)) {
        char *c = g_build_filename(st, "cur", NULL), *t = g_build_filename(st, "tmp", NULL);
        remove_flat_dir(c);
        remove_flat_dir(t);
        g_free(c);
        g_free(t);
        rmdir(st);
    }
    g_free(st);
    g_strfreev(names);
    g_free(had);
}

/* Undoes the puts of the run whose work directory ctx names: folders the run
 * created are removed (with their user directory when it ends up empty),
 * folders it replaced get their kept contents back. Idempotent. */
static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    const char *wd = msm_ctx_work_dir(ctx);
    if (wd == NULL || wd[0] == '\0')
        return TRUE;
    char *path = g_build_filename(wd, ROLLBACK_LOG, NULL);
    GError *err = NULL;
    char *text = read_small(path, &err);
    if (err) {
        g_propagate_error(error, err);
        g_free(path);
        return FALSE;
    }
    char **lines = g_strsplit(text ? text : "", "\n", -1);
    guint n = g_strv_length(lines);
    gsize rootlen = strlen(root);
    for (guint i = n; i-- > 0;) {
        char **f = g_strsplit(lines[i], "\t", 3);
        if (f[0] && f[1] && f[2]) {
            char *a = g_strcompress(f[1]), *b = g_strcompress(f[2]);
            const char *fdir = strcmp(f[0], "C") == 0 ? b : a;
            /* only ever touch what lies below root */
            if (strncmp(fdir, root, rootlen) == 0 && fdir[rootlen] == '/' &&
                msm_is_real_dir(fdir)) {
                if (strcmp(f[0], "R") == 0)
                    restore_folder(fdir, b);
                if (strcmp(f[0], "C") == 0) {
                    clear_folder(fdir);
                    char *mf = g_build_filename(fdir, "maildirfolder", NULL);
                    unlink(mf);
                    g_free(mf);
                    if (rmdir(fdir) != 0 && errno == ENOTEMPTY) {
                        /* INBOX: the user directory; drop the per-user files if nothing else */
                        char *files[] = {"subscriptions", "maildirsize", NULL};
                        GPtrArray *left = sorted_names(fdir, TRUE, NULL);
                        GPtrArray *left2 = sorted_names(fdir, FALSE, NULL);
                        if (left && left2 && left->len == 0 && left2->len <= 2) {
                            for (guint k = 0; files[k]; k++) {
                                char *p = g_build_filename(fdir, files[k], NULL);
                                unlink(p);
                                g_free(p);
                            }
                            rmdir(fdir);
                        }
                        if (left)
                            g_ptr_array_unref(left);
                        if (left2)
                            g_ptr_array_unref(left2);
                    }
                }
            }
            g_free(a);
            g_free(b);
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(text);
    g_free(path);
    return TRUE;
}

static const MsmCodec maildir_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "maildir",
    .kind = MSM_KIND_STORE,
    .versions = maildir_versions,
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

/* The codec (static). */
const MsmCodec *
msm_core_maildir_codec(void)
{
    return &maildir_codec;
}
