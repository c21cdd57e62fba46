/*
 * NAME
 *	codec-sims-store.c - the SIMS 4.0 single-instance store model (sims-4.0)
 * SUMMARY
 *	Implements codec-sims-store.h after docs/formats/store-sims.md.
 *	Below the layout's store directory (var/opt/SUNWmail/ims):
 *	  user/<user>              owner record (quota, usage, subscriptions)
 *	  index/<user>/<id>.fld    folder record (raw name, UIDVALIDITY, ACL)
 *	  index/<user>/<id>.idx    "<sha256> UID FLAGS DATE SIZE [KEYWORD...]"
 *	  data/<h1>/<h2>/<sha256>  one body file per distinct message
 *	  hash/  adm/  shared/     created; adm/store.model names the model
 * DESCRIPTION
 *	Single instance: a body is written to data/tmp/ while its SHA-256 is
 *	computed, then renamed to its digest's name, or dropped when that file
 *	already exists (another recipient's copy). Bodies are never deleted by
 *	the writer (a replaced folder leaves unreferenced bodies, as the
 *	write-once store did until its cleanup ran).
 *	The reader takes users in byte order (or the order given), folders by
 *	id, messages by index line; only one user's folder list is in memory.
 *	The writer is not MSM_CODEC_THREADSAFE (folder ids per user).
 * OWNERSHIP
 *	See codec-sims-store.h.
 * DIAGNOSTICS
 *	See codec-sims-store.h. An index line naming a body that is missing or
 *	of another size is an MSM_ERROR_PARSE naming the index and line.
 */
#include "config.h"

#include "codec-sims-store.h"
#include "restore.h"

#include "legacy-store.h"
#include "store-manifest.h"
#include "mutf7.h"
#include "util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const sims_versions[] = {"sims-4.0", NULL};

/* The SIMS store directory of root. (transfer full) */
static char *
store_dir(const char *root, GError **error)
{
    return msm_layout_resolve_store_dir(root, "sims-4.0", NULL, error);
}

static gboolean
is_regular(const char *path, gint64 size)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (size < 0 || st.st_size == size);
}

static MsmLegacyRecord *
read_record(const char *path, GError **error)
{
    if (!is_regular(path, -1)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s: missing or not a regular file (links are not followed)", path);
        return NULL;
    }
    char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(path, &text, &len, error))
        return NULL;
    MsmLegacyRecord *r = msm_legacy_record_parse(text, len, path, error);
    g_free(text);
    return r;
}

/* ---- raw reader ---- */

struct Sims40RawReader {
    char *store;
    GPtrArray *users; /* char* */
    guint user_i;
    GPtrArray *folder_ids; /* of users[user_i - 1]: "<id>" strings */
    guint folder_i;
    char *pending; /* one pending per-entry error */
};

void
sims40_store_raw_close(Sims40RawReader *r)
{
    if (r == NULL)
        return;
    g_free(r->store);
    g_free(r->pending);
    g_ptr_array_unref(r->users);
    if (r->folder_ids)
        g_ptr_array_unref(r->folder_ids);
    g_free(r);
}

Sims40RawReader *
sims40_store_raw_open(const char *root, const char *const *users, GError **error)
{
    char *store = store_dir(root, error);
    if (store == NULL)
        return NULL;
    char *udir = g_build_filename(store, "user", NULL);
    if (!msm_is_real_dir(udir)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s: no SIMS 4.0 store user directory (ims-user-root); check --source", udir);
        g_free(udir);
        g_free(store);
        return NULL;
    }
    Sims40RawReader *r = g_new0(Sims40RawReader, 1);
    r->store = store;
    r->users = g_ptr_array_new_with_free_func(g_free);
    if (users) {
        for (guint i = 0; users[i]; i++)
            g_ptr_array_add(r->users, g_strdup(users[i]));
    } else {
        GDir *d = g_dir_open(udir, 0, NULL);
        const char *n;
        while (d && (n = g_dir_read_name(d)) != NULL)
            g_ptr_array_add(r->users, g_strdup(n));
        if (d)
            g_dir_close(d);
        g_ptr_array_sort(r->users, msm_strcmp_ptr);
    }
    g_free(udir);
    return r;
}

static gint
cmp_ids(gconstpointer a, gconstpointer b)
{
    guint64 x = g_ascii_strtoull(*(char *const *)a, NULL, 10);
    guint64 y = g_ascii_strtoull(*(char *const *)b, NULL, 10);
    return x < y ? -1 : x > y;
}

/* Folder ids of user (from index/<user>/<id>.fld), in id order. */
static GPtrArray *
list_folder_ids(const char *store, const char *user)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    char *dir = g_build_filename(store, "index", user, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d)) != NULL) {
        gsize len = strlen(n);
        if (len > 4 && g_str_has_suffix(n, ".fld") && strspn(n, "0123456789") == len - 4)
            g_ptr_array_add(ids, g_strndup(n, len - 4));
    }
    if (d)
        g_dir_close(d);
    g_free(dir);
    g_ptr_array_sort(ids, cmp_ids);
    return ids;
}

typedef struct {
    char *store;
    char *idx;
    FILE *fp;
    guint lineno;
} SimsMsgIter;

static void
sims_iter_free(gpointer p)
{
    SimsMsgIter *m = p;
    if (m->fp)
        fclose(m->fp);
    g_free(m->store);
    g_free(m->idx);
    g_free(m);
}

static gboolean
sims_iter_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    SimsMsgIter *m = data;
    *msg_r = NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while (m->fp && (n = getline(&line, &cap, m->fp)) >= 0) {
        m->lineno++;
        if (n > 0 && line[n - 1] == '\n')
            line[n - 1] = '\0';
        if (line[0] == '\0')
            continue;
        char *sp = strchr(line, ' ');
        if (sp == NULL || sp - line != 64 || strspn(line, "0123456789abcdef") != 64) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: line %u: expected \"<sha256> UID FLAGS DATE SIZE [KEYWORD...]\"",
                        m->idx, m->lineno);
            free(line);
            return FALSE;
        }
        *sp = '\0';
        MsmMessage *msg = msm_legacy_index_parse(sp + 1, m->idx, m->lineno, error);
        if (msg == NULL) {
            free(line);
            return FALSE;
        }
        char *path = g_strdup_printf("%s/data/%.2s/%.2s/%s", m->store, line, line + 2, line);
        free(line);
        if (!is_regular(path, msg->size)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: line %u: body %s is missing, not a regular file or not "
                        "%" G_GINT64_FORMAT " bytes",
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

/* Reads folder id of user. */
static MsmFolder *
read_folder(const char *store, const char *user, const char *id, char **raw_r, GError **error)
{
    char *upath = g_build_filename(store, "user", user, NULL);
    char *fpath = g_strdup_printf("%s/index/%s/%s.fld", store, user, id);
    char *ipath = g_strdup_printf("%s/index/%s/%s.idx", store, user, id);
    MsmLegacyRecord *o = read_record(upath, error);
    MsmLegacyRecord *f = o ? read_record(fpath, error) : NULL;
    MsmFolder *folder = NULL;
    const char *raw = f ? msm_legacy_record_get(f, "name") : NULL;
    if (f && (raw == NULL || *raw == '\0'))
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: no name field", fpath);
    else if (f) {
        MsmOwner *ow = msm_owner_new(user);
        ow->quota_bytes = msm_legacy_record_get_int(o, "quota_bytes", -1);
        ow->quota_messages = msm_legacy_record_get_int(o, "quota_messages", -1);
        ow->used_bytes = msm_legacy_record_get_int(o, "used_bytes", -1);
        msm_store_record_lines(msm_legacy_record_get(o, "subscriptions"), ow->subscriptions);
        char *shown = g_utf8_make_valid(raw, -1);
        folder = msm_folder_new(ow, shown);
        g_free(shown);
        folder->uidvalidity = (guint32)msm_legacy_record_get_int(f, "uidvalidity", 0);
        folder->uidnext = (guint32)msm_legacy_record_get_int(f, "uidnext", 0);
        folder->message_count = (guint64)msm_legacy_record_get_int(f, "messages", 0);
        GPtrArray *acl = g_ptr_array_new_with_free_func(g_free);
        msm_store_record_lines(msm_legacy_record_get(f, "acl"), acl);
        for (guint i = 0; i < acl->len; i++) {
            char *tab = strchr(acl->pdata[i], '\t');
            if (tab) {
                *tab = '\0';
                g_ptr_array_add(folder->acl, msm_ace_new(acl->pdata[i], tab + 1));
            }
        }
        g_ptr_array_unref(acl);
        SimsMsgIter *it = g_new0(SimsMsgIter, 1);
        it->store = g_strdup(store);
        it->idx = g_strdup(ipath);
        if (is_regular(ipath, -1))
            it->fp = fopen(ipath, "r");
        folder->messages = msm_message_iter_new(sims_iter_next, it, sims_iter_free);
        *raw_r = g_strdup(raw);
    }
    msm_legacy_record_free(o);
    msm_legacy_record_free(f);
    g_free(upath);
    g_free(fpath);
    g_free(ipath);
    return folder;
}

gboolean
sims40_store_raw_next(Sims40RawReader *r, MsmFolder **f_r, char **raw_name_r, GError **error)
{
    *f_r = NULL;
    *raw_name_r = NULL;
    for (;;) {
        if (r->folder_ids && r->folder_i < r->folder_ids->len) {
            const char *user = r->users->pdata[r->user_i - 1];
            const char *id = r->folder_ids->pdata[r->folder_i++];
            *f_r = read_folder(r->store, user, id, raw_name_r, error);
            return *f_r != NULL;
        }
        if (r->user_i >= r->users->len)
            return TRUE;
        const char *user = r->users->pdata[r->user_i++];
        if (r->folder_ids)
            g_ptr_array_unref(r->folder_ids);
        r->folder_ids = NULL;
        char *up = g_build_filename(r->store, "user", user, NULL);
        gboolean safe = msm_legacy_user_is_safe(user), reg = is_regular(up, -1);
        g_free(up);
        if (!safe) {
            char *e = g_strescape(user, "");
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s/user/%s: not a safe user name; skipped", r->store, e);
            g_free(e);
            return FALSE;
        }
        if (!reg) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s/user/%s: missing or not a regular file (links are not followed); "
                        "user skipped",
                        r->store, user);
            return FALSE;
        }
        char *ud = g_build_filename(r->store, "index", user, NULL);
        gboolean link = !msm_is_real_dir(ud) && g_file_test(ud, G_FILE_TEST_EXISTS);
        g_free(ud);
        if (link) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s/index/%s: not a directory (links are not followed); user skipped",
                        r->store, user);
            return FALSE;
        }
        r->folder_ids = list_folder_ids(r->store, user);
        r->folder_i = 0;
    }
}

/* ---- codec reader: names made UTF-8, distinct names kept distinct ---- */

typedef struct {
    Sims40RawReader *raw;
    Sims40NameSet *names;
    gboolean distinct;
} Reader;

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    Sims40RawReader *raw = sims40_store_raw_open(root, NULL, error);
    if (raw == NULL)
        return NULL;
    Reader *r = g_new0(Reader, 1);
    r->raw = raw;
    r->names = sims40_name_set_new();
    const char *blank = ctx ? msm_ctx_option(ctx, "sims40", "blank_invalid_names") : NULL;
    r->distinct = !(blank && g_ascii_strcasecmp(blank, "true") == 0);
    return r;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    MsmFolder *f = NULL;
    char *raw = NULL;
    *item_r = NULL;
    if (!sims40_store_raw_next(r->raw, &f, &raw, error))
        return FALSE;
    if (f == NULL)
        return TRUE;
    char *name = sims40_name_set_assign(r->names, f->owner->user, raw, r->distinct, error);
    if (name == NULL) {
        msm_folder_free(f);
        g_free(raw);
        return FALSE;
    }
    g_free(f->name);
    f->name = name;
    /* subscriptions hold raw names too */
    for (guint i = 0; i < f->owner->subscriptions->len; i++) {
        char *fixed = sims40_fix_folder_name(f->owner->subscriptions->pdata[i], r->distinct);
        g_free(f->owner->subscriptions->pdata[i]);
        f->owner->subscriptions->pdata[i] = fixed;
    }
    char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
    *item_r = msm_item_new(MSM_KIND_STORE, key, f);
    g_free(key);
    g_free(raw);
    return TRUE;
}

static void
reader_close(gpointer reader)
{
    Reader *r = reader;
    if (r == NULL)
        return;
    sims40_store_raw_close(r->raw);
    sims40_name_set_free(r->names);
    g_free(r);
}

static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Reader *r = reader;
    *items_r = (guint64)r->raw->users->len * 6; /* users times the usual folder count */
    *bytes_r = 0;
    return TRUE;
}

/* ---- writer ---- */

/* Finds the id of raw_name in index/<user>/, or a new one (max + 1). */
static char *
folder_id(const char *store, const char *user, const char *raw_name, gboolean *existing_r)
{
    GPtrArray *ids = list_folder_ids(store, user);
    guint64 max = 0;
    char *found = NULL;
    for (guint i = 0; i < ids->len && !found; i++) {
        char *p = g_strdup_printf("%s/index/%s/%s.fld", store, user, (char *)ids->pdata[i]);
        MsmLegacyRecord *rec = read_record(p, NULL);
        if (rec && g_strcmp0(msm_legacy_record_get(rec, "name"), raw_name) == 0)
            found = g_strdup(ids->pdata[i]);
        msm_legacy_record_free(rec);
        g_free(p);
        max = MAX(max, g_ascii_strtoull(ids->pdata[i], NULL, 10));
    }
    g_ptr_array_unref(ids);
    *existing_r = found != NULL;
    return found ? found : g_strdup_printf("%" G_GUINT64_FORMAT, max + 1);
}

/* Streams one body into the single-instance data directory; *sha_r. */
static gboolean
put_body(const char *store, MsmBody *body, gint64 *size_r, char **sha_r, GError **error)
{
    static gint counter;
    char *tmpdir = msm_legacy_mkdir_under(store, "data/tmp", error);
    char *tmp =
        tmpdir ? g_strdup_printf("%s/%d-%d", tmpdir, (int)getpid(), g_atomic_int_add(&counter, 1))
               : NULL;
    gboolean ok = tmp != NULL && msm_legacy_body_to_file(body, tmp, size_r, sha_r, error);
    if (ok) {
        char *rel = g_strdup_printf("data/%.2s/%.2s", *sha_r, *sha_r + 2);
        char *dir = msm_legacy_mkdir_under(store, rel, error);
        char *final = dir ? g_build_filename(dir, *sha_r, NULL) : NULL;
        ok = dir != NULL;
        g_free(rel);
        if (ok && is_regular(final, *size_r))
            g_unlink(tmp); /* single instance: this body is already stored */
        else if (ok && g_rename(tmp, final) != 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: rename failed: %s", final,
                        g_strerror(e));
            ok = FALSE;
        }
        g_free(dir);
        g_free(final);
    }
    if (!ok && tmp)
        g_unlink(tmp);
    g_free(tmp);
    g_free(tmpdir);
    return ok;
}

gboolean
sims40_store_put_raw(const char *root, MsmFolder *f, const char *raw_name, GError **error)
{
    if (!msm_legacy_check_user(f->owner->user, error))
        return FALSE;
    char *store = store_dir(root, error);
    if (store == NULL)
        return FALSE;
    char *enc = raw_name ? g_strdup(raw_name) : msm_mutf7_encode(f->name, error);
    gboolean ok = enc != NULL;
    if (ok && (strchr(enc, '\n') != NULL || *enc == '\0' || strlen(enc) > 1024)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "folder %s: empty, over 1024 bytes or holds a line break", f->name);
        ok = FALSE;
    }
    static const char *const dirs[] = {"user", "index", "data", "hash", "adm", "shared", NULL};
    for (guint i = 0; ok && dirs[i]; i++) {
        char *d = msm_legacy_mkdir_under(store, dirs[i], error);
        ok = d != NULL;
        g_free(d);
    }
    char *udir = NULL;
    if (ok) {
        char *rel = g_build_filename("index", f->owner->user, NULL);
        udir = msm_legacy_mkdir_under(store, rel, error);
        ok = udir != NULL;
        g_free(rel);
    }
    if (ok) {
        char *p = g_build_filename(store, "adm", "store.model", NULL);
        const char *model = "msmigrate SIMS 4.0 store model 1 (docs/formats/store-sims.md)\n";
        if (!g_file_test(p, G_FILE_TEST_EXISTS))
            ok = msm_write_file_atomic(p, model, strlen(model), 0644, error);
        g_free(p);
    }
    gboolean existing = FALSE;
    char *id = ok ? folder_id(store, f->owner->user, enc, &existing) : NULL;
    GString *idx = g_string_new(NULL);
    char *ip = ok ? g_strdup_printf("%s/%s.idx", udir, id) : NULL;
    MsmLegacyLineFile *lf = ok ? msm_legacy_line_file_new(ip, error) : NULL;
    ok = ok && lf != NULL;
    guint64 count = 0;
    guint32 last = 0;
    while (ok && f->messages) {
        MsmMessage *m = NULL;
        if (!msm_message_iter_next(f->messages, &m, error)) {
            ok = FALSE;
            break;
        }
        if (m == NULL)
            break;
        char *sha = NULL;
        gint64 n = 0;
        if (m->uid <= last) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "folder %s: message UID %u does not follow UID %u", f->name, m->uid, last);
            ok = FALSE;
        } else
            ok = put_body(store, m->body, &n, &sha, error);
        if (ok && m->size >= 0 && n != m->size) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                        "folder %s: message UID %u: %" G_GINT64_FORMAT
                        " bytes streamed, %" G_GINT64_FORMAT " announced",
                        f->name, m->uid, n, m->size);
            ok = FALSE;
        }
        if (ok) {
            m->size = n;
            g_string_printf(idx, "%s ", sha);
            ok = msm_legacy_index_format(idx, m, error) &&
                 msm_legacy_line_file_add(lf, idx->str, idx->len, error);
            last = m->uid;
            count++;
        }
        g_free(sha);
        msm_message_free(m);
    }
    if (ok) {
        ok = msm_legacy_line_file_commit(lf, error);
        lf = NULL;
    }
    msm_legacy_line_file_abort(lf);
    g_free(ip);
    if (ok) {
        MsmLegacyRecord *fr = msm_legacy_record_new();
        msm_legacy_record_set(fr, "name", enc);
        msm_legacy_record_set_int(fr, "uidvalidity", f->uidvalidity);
        msm_legacy_record_set_int(fr, "uidnext", f->uidnext);
        msm_legacy_record_set_int(fr, "messages", (gint64)count);
        GString *acl = g_string_new(NULL);
        for (guint i = 0; f->acl && i < f->acl->len; i++) {
            const MsmAce *a = f->acl->pdata[i];
            if (!strpbrk(a->identifier, "\t\n") && !strpbrk(a->rights, "\t\n"))
                g_string_append_printf(acl, "%s\t%s\n", a->identifier, a->rights);
        }
        msm_legacy_record_set(fr, "acl", acl->str);
        g_string_free(acl, TRUE);
        char *fp = g_strdup_printf("%s/%s.fld", udir, id);
        ok = msm_store_record_write(fp, fr, error);
        g_free(fp);
        msm_legacy_record_free(fr);
        f->message_count = count;
    }
    if (ok) {
        MsmLegacyRecord *o = msm_legacy_record_new();
        msm_legacy_record_set_int(o, "quota_bytes", f->owner->quota_bytes);
        msm_legacy_record_set_int(o, "quota_messages", f->owner->quota_messages);
        msm_legacy_record_set_int(o, "used_bytes", f->owner->used_bytes);
        GString *subs = g_string_new(NULL);
        for (guint i = 0; f->owner->subscriptions && i < f->owner->subscriptions->len; i++) {
            char *m = msm_mutf7_encode(f->owner->subscriptions->pdata[i], NULL);
            if (m && !strchr(m, '\n'))
                g_string_append_printf(subs, "%s\n", m);
            g_free(m);
        }
        msm_legacy_record_set(o, "subscriptions", subs->str);
        g_string_free(subs, TRUE);
        char *op = g_build_filename(store, "user", f->owner->user, NULL);
        ok = msm_store_record_write(op, o, error);
        g_free(op);
        msm_legacy_record_free(o);
    }
    g_string_free(idx, TRUE);
    g_free(id);
    g_free(udir);
    g_free(enc);
    g_free(store);
    return ok;
}

typedef struct {
    char *root;
    char *manifest; /* <work>/sims-store.manifest, or NULL without a run */
} Writer;

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    char *store = store_dir(root, error);
    if (store == NULL || !msm_mkdir_p(store, FALSE, error)) {
        g_free(store);
        return NULL;
    }
    g_free(store);
    Writer *w = g_new0(Writer, 1);
    w->root = g_strdup(root);
    if (ctx && *msm_ctx_work_dir(ctx))
        w->manifest = g_build_filename(msm_ctx_work_dir(ctx), "sims-store.manifest", NULL);
    return w;
}

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    Writer *w = writer;
    if (item->kind != MSM_KIND_STORE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT, "item %s is not a store folder",
                    item->key);
        return FALSE;
    }
    MsmFolder *f = item->payload;
    if (w->manifest && msm_legacy_user_is_safe(f->owner->user)) {
        /* Log a folder this put creates (not one it replaces) for rollback. */
        char *store = store_dir(w->root, NULL);
        char *enc = msm_mutf7_encode(f->name, NULL);
        gboolean existing = TRUE;
        char *id = store && enc ? folder_id(store, f->owner->user, enc, &existing) : NULL;
        if (id && !existing)
            msm_store_manifest_note(w->manifest, "%s/index/%s/%s\n", store, f->owner->user, id);
        g_free(id);
        g_free(enc);
        g_free(store);
    }
    return sims40_store_put_raw(w->root, f, NULL, error);
}

static gboolean
writer_commit(gpointer writer, GError **error)
{
    return TRUE; /* every file was fsync'd and renamed into place by its put */
}

static void
writer_close(gpointer writer)
{
    Writer *w = writer;
    if (w) {
        g_free(w->root);
        g_free(w->manifest);
        g_free(w);
    }
}

/* Removes one folder a run's writer created (MsmStoreUndoFunc). */
static gboolean
undo_folder(const char *line, GError **error)
{
    (void)error;
    char *a = g_strconcat(line, ".fld", NULL);
    char *b = g_strconcat(line, ".idx", NULL);
    g_unlink(a);
    g_unlink(b);
    g_free(a);
    g_free(b);
    return TRUE;
}

/* Removes the folders (.fld and .idx) this run's writer created; bodies in
 * data/ stay (they may be shared, the store's own cleanup removes them). */
static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    return msm_store_manifest_rollback(ctx, "sims-store.manifest", root, undo_folder, error);
}

static const MsmCodec sims_store_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "sims-store",
    .kind = MSM_KIND_STORE,
    .versions = sims_versions,
    .flags = 0,
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
sims40_store_codec(void)
{
    return &sims_store_codec;
}
