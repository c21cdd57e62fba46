/*
 * NAME
 *	mbox-store.c - example out-of-tree msmigrate plugin: a custom store kept
 *	as one mbox file per folder
 * SUMMARY
 *	Built against the installed SDK with pkg-config alone (see Makefile and
 *	README.md next to this file). It brings:
 *	  - a version of its own, "x-mbox" (docs/versions.md: third-party ids);
 *	  - a store codec for it (reader and writer), "mbox-store";
 *	  - one hop, x-mbox -> ms-8.1, whose store migrator renames the folder
 *	    that mbox tools call "inbox" (any case) to IMAP's "INBOX".
 * THE FORMAT (the plugin's own; a variant of mboxcl2)
 *	ROOT/<user>/<folder>.mbox, folder names '/'-separated as nested
 *	directories ("Archive/2009" is ROOT/joe/Archive/2009.mbox). Each message
 *	is one separator line, then exactly <size> bytes of the message as
 *	stored, then one "\n":
 *	  From msmigrate@x-mbox <seconds> uid=<n> flags=<SAFDT letters> size=<n>[ kw=<a,b>]
 *	Because the size is given, no ">From " quoting is needed and any bytes
 *	(bare LF, NUL, no final newline) round-trip exactly. ROOT/<user>/.uidvalidity
 *	holds "<folder>\t<uidvalidity>\t<uidnext>" lines; ROOT/<user>/.subscriptions
 *	one subscribed folder per line. Quotas and ACLs are not kept by this
 *	format: the reader yields none, and the writer logs what it leaves out.
 * OWNERSHIP AND ERRORS
 *	As codec.h and migrator.h say: items and bodies are created with the
 *	SDK's msm_*_new() functions and handed over; errors use MSM_ERROR codes,
 *	MSM_ERROR_PARSE / MSM_ERROR_UNSAFE for one bad file (the host records it
 *	and goes on), naming the file and what to do.
 */
#include <msmigrate/msmigrate.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <glib/gstdio.h>

#define SEP_PREFIX "From msmigrate@x-mbox "

static const char *const mbox_versions[] = {"x-mbox", NULL};

/* ---------------------------------------------------------------- names */

/* TRUE if a folder name is safe to turn into a path below a user's directory. */
static gboolean
folder_name_safe(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 1000)
        return FALSE;
    char **parts = g_strsplit(name, "/", -1);
    gboolean ok = TRUE;
    for (char **p = parts; *p && ok; p++)
        ok = **p != '\0' && strcmp(*p, ".") != 0 && strcmp(*p, "..") != 0 && (*p)[0] != '.' &&
             strlen(*p) <= 255 && g_utf8_validate(*p, -1, NULL);
    g_strfreev(parts);
    return ok;
}

static gboolean
user_name_safe(const char *user)
{
    return user && *user && user[0] != '.' && strchr(user, '/') == NULL && strlen(user) <= 255 &&
           g_utf8_validate(user, -1, NULL);
}

static void
flags_to_letters(guint32 flags, GString *s)
{
    static const struct { guint32 bit; char c; } map[] = {
        {MSM_FLAG_SEEN, 'S'},    {MSM_FLAG_ANSWERED, 'A'}, {MSM_FLAG_FLAGGED, 'F'},
        {MSM_FLAG_DELETED, 'D'}, {MSM_FLAG_DRAFT, 'T'},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(map); i++)
        if (flags & map[i].bit)
            g_string_append_c(s, map[i].c);
    if (s->len == 0 || s->str[s->len - 1] == '=')
        g_string_append_c(s, '-');
}

static guint32
letters_to_flags(const char *s)
{
    guint32 f = 0;
    for (; *s; s++) {
        switch (*s) {
        case 'S': f |= MSM_FLAG_SEEN; break;
        case 'A': f |= MSM_FLAG_ANSWERED; break;
        case 'F': f |= MSM_FLAG_FLAGGED; break;
        case 'D': f |= MSM_FLAG_DELETED; break;
        case 'T': f |= MSM_FLAG_DRAFT; break;
        default: break;
        }
    }
    return f;
}

/* ---------------------------------------------------------------- reader */

typedef struct {
    MsmCtx *ctx;
    char *root;
    char **users;      /* sorted user directory names */
    guint user_i;
    GPtrArray *folders; /* char* folder names of the current user, sorted */
    guint folder_i;
    GHashTable *uidinfo; /* folder -> "uidvalidity\tuidnext" of the current user */
    GPtrArray *subs;     /* subscriptions of the current user */
} Reader;

/* Adds every "*.mbox" file below dir (relative name rel) to out. */
static void
collect_folders(const char *dir, const char *rel, GPtrArray *out)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL) {
        if (n[0] == '.')
            continue;
        char *path = g_build_filename(dir, n, NULL);
        char *sub = rel ? g_strconcat(rel, "/", n, NULL) : g_strdup(n);
        if (g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
            /* never followed: reported by the reader when it would be read */
        } else if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
            collect_folders(path, sub, out);
        } else if (g_str_has_suffix(n, ".mbox") && strlen(n) > 5) {
            g_ptr_array_add(out, g_strndup(sub, strlen(sub) - 5));
        }
        g_free(sub);
        g_free(path);
    }
    g_dir_close(d);
}

static int
cmp_str(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static gboolean
load_user(Reader *r, const char *user, GError **error)
{
    char *udir = g_build_filename(r->root, user, NULL);
    g_ptr_array_set_size(r->folders, 0);
    collect_folders(udir, NULL, r->folders);
    g_ptr_array_sort(r->folders, cmp_str);
    r->folder_i = 0;
    g_hash_table_remove_all(r->uidinfo);
    g_ptr_array_set_size(r->subs, 0);
    gboolean ok = TRUE;
    char *path = g_build_filename(udir, ".uidvalidity", NULL);
    char *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++) {
            char *tab = strchr(*l, '\t');
            if (tab)
                g_hash_table_insert(r->uidinfo, g_strndup(*l, tab - *l), g_strdup(tab + 1));
        }
        g_strfreev(lines);
        g_free(text);
    }
    g_free(path);
    path = g_build_filename(udir, ".subscriptions", NULL);
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        for (char **l = lines; *l; l++)
            if (**l)
                g_ptr_array_add(r->subs, g_strdup(*l));
        g_strfreev(lines);
        g_free(text);
    }
    g_free(path);
    g_free(udir);
    (void)error;
    return ok;
}

typedef struct {
    char *path;
    FILE *fp;
} MsgIter;

typedef struct {
    FILE *fp; /* shared with the iterator, which reads past the body afterwards */
    gint64 remaining;
} BodyRead;

static gssize
body_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    BodyRead *b = data;
    if (b->remaining <= 0)
        return 0;
    gsize want = MIN(len, (gsize)b->remaining);
    size_t n = fread(buf, 1, want, b->fp);
    if (n == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "message shorter than its size= says");
        return -1;
    }
    b->remaining -= (gint64)n;
    return (gssize)n;
}

static gboolean
msg_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    MsgIter *it = data;
    *msg_r = NULL;
    char line[4096];
    if (fgets(line, sizeof line, it->fp) == NULL)
        return TRUE; /* end of the folder */
    if (!g_str_has_prefix(line, SEP_PREFIX)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: expected a \"" SEP_PREFIX "...\" line at offset %ld; the file is not in "
                    "the x-mbox format (docs/examples/mbox-store/README.md)",
                    it->path, ftell(it->fp) - (long)strlen(line));
        return FALSE;
    }
    g_strchomp(line);
    MsmMessage *m = msm_message_new();
    char **f = g_strsplit(line + strlen(SEP_PREFIX), " ", -1);
    m->internal_date = g_ascii_strtoll(f[0], NULL, 10);
    gint64 size = -1;
    for (char **p = f + 1; *p; p++) {
        if (g_str_has_prefix(*p, "uid="))
            m->uid = (guint32)g_ascii_strtoull(*p + 4, NULL, 10);
        else if (g_str_has_prefix(*p, "flags="))
            m->flags = letters_to_flags(*p + 6);
        else if (g_str_has_prefix(*p, "size="))
            size = g_ascii_strtoll(*p + 5, NULL, 10);
        else if (g_str_has_prefix(*p, "kw=")) {
            char **kw = g_strsplit(*p + 3, ",", -1);
            for (char **k = kw; *k; k++)
                if (**k)
                    g_ptr_array_add(m->keywords, g_strdup(*k));
            g_strfreev(kw);
        }
    }
    g_strfreev(f);
    if (size < 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: separator line without size=: %s",
                    it->path, line);
        msm_message_free(m);
        return FALSE;
    }
    /* The body is read now, while the file position is at it: a stream over the
     * shared FILE would be overtaken by the next separator. Memory is bounded by
     * one message. */
    BodyRead br = {it->fp, size};
    GByteArray *bytes = g_byte_array_sized_new((guint)MIN(size, 1 << 20));
    guint8 buf[65536];
    for (;;) {
        gssize n = body_read(&br, buf, sizeof buf, error);
        if (n < 0) {
            g_prefix_error(error, "%s: ", it->path);
            g_byte_array_unref(bytes);
            msm_message_free(m);
            return FALSE;
        }
        if (n == 0)
            break;
        g_byte_array_append(bytes, buf, (guint)n);
    }
    if (fgetc(it->fp) != '\n') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: message uid %u is not followed by a newline", it->path, m->uid);
        g_byte_array_unref(bytes);
        msm_message_free(m);
        return FALSE;
    }
    GBytes *b = g_byte_array_free_to_bytes(bytes);
    m->size = size;
    m->body = msm_body_new_bytes(b);
    g_bytes_unref(b);
    *msg_r = m;
    return TRUE;
}

static void
msg_iter_free(gpointer data)
{
    MsgIter *it = data;
    if (it->fp)
        fclose(it->fp);
    g_free(it->path);
    g_free(it);
}

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    GDir *d = g_dir_open(root, 0, error);
    if (d == NULL)
        return NULL;
    GPtrArray *users = g_ptr_array_new();
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(root, n, NULL);
        if (n[0] != '.' && g_file_test(p, G_FILE_TEST_IS_DIR) &&
            !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            g_ptr_array_add(users, g_strdup(n));
        g_free(p);
    }
    g_dir_close(d);
    g_ptr_array_sort(users, cmp_str);
    g_ptr_array_add(users, NULL);
    Reader *r = g_new0(Reader, 1);
    r->ctx = ctx;
    r->root = g_strdup(root);
    r->users = (char **)g_ptr_array_free(users, FALSE);
    r->user_i = 0;
    r->folders = g_ptr_array_new_with_free_func(g_free);
    r->uidinfo = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    r->subs = g_ptr_array_new_with_free_func(g_free);
    if (r->users[0] && !load_user(r, r->users[0], error)) {
        g_strfreev(r->users);
        g_free(r);
        return NULL;
    }
    return r;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    *item_r = NULL;
    while (r->users[r->user_i] && r->folder_i >= r->folders->len) {
        r->user_i++;
        if (r->users[r->user_i] && !load_user(r, r->users[r->user_i], error))
            return FALSE;
    }
    const char *user = r->users[r->user_i];
    if (user == NULL)
        return TRUE;
    const char *name = r->folders->pdata[r->folder_i++];
    char *rel = g_strconcat(name, ".mbox", NULL);
    char *path = g_build_filename(r->root, user, rel, NULL);
    g_free(rel);
    if (!folder_name_safe(name) || !user_name_safe(user)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s: the user or folder name cannot be carried safely; rename it", path);
        g_free(path);
        return FALSE;
    }
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: %s", path, g_strerror(errno));
        g_free(path);
        return FALSE;
    }
    MsmOwner *o = msm_owner_new(user);
    for (guint i = 0; i < r->subs->len; i++)
        g_ptr_array_add(o->subscriptions, g_strdup(r->subs->pdata[i]));
    MsmFolder *f = msm_folder_new(o, name);
    const char *info = g_hash_table_lookup(r->uidinfo, name);
    if (info) {
        f->uidvalidity = (guint32)g_ascii_strtoull(info, NULL, 10);
        const char *tab = strchr(info, '\t');
        if (tab)
            f->uidnext = (guint32)g_ascii_strtoull(tab + 1, NULL, 10);
    }
    MsgIter *it = g_new0(MsgIter, 1);
    it->path = path;
    it->fp = fp;
    f->messages = msm_message_iter_new(msg_next, it, msg_iter_free);
    char *key = g_strdup_printf("user/%s/%s", user, name);
    *item_r = msm_item_new(MSM_KIND_STORE, key, f);
    g_free(key);
    return TRUE;
}

static void
reader_close(gpointer reader)
{
    Reader *r = reader;
    g_strfreev(r->users);
    g_ptr_array_unref(r->folders);
    g_hash_table_unref(r->uidinfo);
    g_ptr_array_unref(r->subs);
    g_free(r->root);
    g_free(r);
}

/* ---------------------------------------------------------------- writer */

typedef struct {
    MsmCtx *ctx;
    char *root;
    GMutex lock; /* the per-user .uidvalidity and .subscriptions files */
} Writer;

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    (void)version;
    if (g_mkdir_with_parents(root, 0750) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", root,
                    g_strerror(errno));
        return NULL;
    }
    Writer *w = g_new0(Writer, 1);
    w->ctx = ctx;
    w->root = g_strdup(root);
    g_mutex_init(&w->lock);
    return w;
}

/* Replaces the line of folder in a per-user index file (tab-separated). */
static gboolean
update_index(const char *path, const char *folder, const char *line, GError **error)
{
    char *text = NULL;
    GString *out = g_string_new(NULL);
    if (g_file_get_contents(path, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        gsize flen = strlen(folder);
        for (char **l = lines; *l; l++)
            if (**l && !(strncmp(*l, folder, flen) == 0 && ((*l)[flen] == '\t' || (*l)[flen] == '\0')))
                g_string_append_printf(out, "%s\n", *l);
        g_strfreev(lines);
        g_free(text);
    }
    if (line)
        g_string_append_printf(out, "%s\n", line);
    gboolean ok = g_file_set_contents(path, out->str, (gssize)out->len, error);
    g_string_free(out, TRUE);
    return ok;
}

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    Writer *w = writer;
    MsmFolder *f = item->payload;
    const char *user = f->owner->user;
    if (!user_name_safe(user) || !folder_name_safe(f->name)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "user \"%s\" folder \"%s\" cannot be written as a path; rename it", user,
                    f->name);
        return FALSE;
    }
    char *rel = g_strconcat(f->name, ".mbox", NULL);
    char *path = g_build_filename(w->root, user, rel, NULL);
    char *dir = g_path_get_dirname(path);
    char *tmp = g_strconcat(path, ".tmp", NULL);
    g_free(rel);
    gboolean ok = g_mkdir_with_parents(dir, 0750) == 0;
    FILE *fp = ok ? fopen(tmp, "wb") : NULL;
    if (fp == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(errno));
        ok = FALSE;
    }
    MsmMessage *m = NULL;
    while (ok && f->messages && (ok = msm_message_iter_next(f->messages, &m, error)) && m) {
        GString *sep = g_string_new(SEP_PREFIX);
        g_string_append_printf(sep, "%" G_GINT64_FORMAT " uid=%u flags=", m->internal_date, m->uid);
        flags_to_letters(m->flags, sep);
        g_string_append_printf(sep, " size=%" G_GINT64_FORMAT, m->size);
        for (guint i = 0; i < m->keywords->len; i++)
            g_string_append_printf(sep, "%s%s", i ? "," : " kw=", (char *)m->keywords->pdata[i]);
        g_string_append_c(sep, '\n');
        ok = fwrite(sep->str, 1, sep->len, fp) == sep->len;
        g_string_free(sep, TRUE);
        guint8 buf[65536];
        gint64 written = 0;
        gssize n;
        while (ok && (n = msm_body_read(m->body, buf, sizeof buf, error)) != 0) {
            if (n < 0) {
                ok = FALSE;
                break;
            }
            ok = fwrite(buf, 1, (size_t)n, fp) == (size_t)n;
            written += n;
        }
        if (ok && written != m->size) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                        "%s: message uid %u has %" G_GINT64_FORMAT " bytes, not the %" G_GINT64_FORMAT
                        " its size says", path, m->uid, written, m->size);
            ok = FALSE;
        }
        ok = ok && fputc('\n', fp) == '\n';
        msm_message_free(m);
        m = NULL;
    }
    if (fp && (fflush(fp) != 0 || fclose(fp) != 0) && ok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", tmp, g_strerror(errno));
        ok = FALSE;
    }
    if (ok && g_rename(tmp, path) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot rename %s: %s", tmp, g_strerror(errno));
        ok = FALSE;
    }
    if (!ok)
        g_unlink(tmp);
    if (ok) {
        g_mutex_lock(&w->lock);
        char *idx = g_build_filename(w->root, user, ".uidvalidity", NULL);
        char *line = g_strdup_printf("%s\t%u\t%u", f->name, f->uidvalidity, f->uidnext);
        ok = update_index(idx, f->name, line, error);
        g_free(line);
        g_free(idx);
        if (ok) {
            char *subs = g_build_filename(w->root, user, ".subscriptions", NULL);
            GString *s = g_string_new(NULL);
            for (guint i = 0; i < f->owner->subscriptions->len; i++)
                g_string_append_printf(s, "%s\n", (char *)f->owner->subscriptions->pdata[i]);
            ok = g_file_set_contents(subs, s->str, (gssize)s->len, error);
            g_string_free(s, TRUE);
            g_free(subs);
        }
        g_mutex_unlock(&w->lock);
        if (f->acl->len > 0 || f->owner->quota_bytes >= 0)
            msm_ctx_log(w->ctx, MSM_LOG_INFO,
                        "x-mbox keeps no ACLs or quotas: %s of %s had %u ACL entries%s", f->name,
                        user, f->acl->len, f->owner->quota_bytes >= 0 ? " and a quota" : "");
    }
    g_free(tmp);
    g_free(dir);
    g_free(path);
    return ok;
}

static gboolean
writer_commit(gpointer writer, GError **error)
{
    (void)writer;
    (void)error;
    return TRUE; /* every put is complete (rename) when it returns */
}

static void
writer_close(gpointer writer)
{
    Writer *w = writer;
    g_mutex_clear(&w->lock);
    g_free(w->root);
    g_free(w);
}

static const MsmCodec mbox_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "mbox-store",
    .kind = MSM_KIND_STORE,
    .versions = mbox_versions,
    .flags = MSM_CODEC_THREADSAFE,
    .reader_open = reader_open,
    .reader_next = reader_next,
    .reader_close = reader_close,
    .writer_open = writer_open,
    .writer_put = writer_put,
    .writer_commit = writer_commit,
    .writer_close = writer_close,
};

static const MsmCodec *const codecs[] = {&mbox_codec, NULL};

/* ---------------------------------------------------------------- the hop */

/* mbox tools name the inbox "inbox" or "Inbox": IMAP's is "INBOX". */
static MsmResult
store_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    (void)error;
    MsmFolder *f = item->payload;
    if (g_ascii_strcasecmp(f->name, "inbox") == 0 && strcmp(f->name, "INBOX") != 0) {
        msm_ctx_log(ctx, MSM_LOG_INFO, "%s: folder \"%s\" becomes INBOX", f->owner->user,
                    f->name);
        g_free(f->name);
        f->name = g_strdup("INBOX");
    }
    return MSM_RESULT_CONTINUE;
}

static const MsmStoreMigrator store_migrator = {
    .iface_version = MSM_STORE_IFACE_VERSION,
    .struct_size = sizeof(MsmStoreMigrator),
    .transform = store_transform,
};

static const MsmHop hops[] = {
    {.from = "x-mbox",
     .to = "ms-8.1",
     .flags = MSM_HOP_NEW_HOST | MSM_HOP_TARGET_FIRST,
     .summary = "a custom mbox-per-folder store into Messaging Server 8.1",
     .reversible_note = "the mbox files are only read: delete the target to go back",
     .store = &store_migrator},
    {.from = NULL},
};

MSM_PLUGIN_DEFINE(mbox_store, .name = "mbox-store",
                  .description = "example: a custom store kept as one mbox file per folder",
                  .version = "1.0", .license = "GPL-3.0-or-later",
                  .package = "msmigrate-plugin-mbox-store", .origin = "docs/examples/mbox-store",
                  .hops = hops, .codecs = codecs);
