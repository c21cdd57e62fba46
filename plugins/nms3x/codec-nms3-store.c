/*
 * NAME
 *	codec-nms3-store.c - the NMS 3.x message store model (nms-3.x)
 * SUMMARY
 *	Implements nms3x_store_codec() and the helpers of codec-nms3-store.h
 *	with the model of docs/formats/store-nms3.md: below each mail store
 *	path, one directory per user (the INBOX), folders as nested
 *	directories (modified UTF-7 components), in each folder "00/" with
 *	"<uid>.msg" files, "store.idx" and the folder record "folder"; the
 *	user's record (quota, subscriptions) in "<user>/00/owner".
 * DESCRIPTION
 *	The reader takes the mail store paths in order, the users of each in
 *	byte order and the folders of one user (only that user's list is in
 *	memory); each folder's messages stream from its index. Entries that
 *	cannot be read safely (a symbolic link, a user or folder name that does
 *	not decode) are reported one by one with MSM_ERROR_UNSAFE and skipped.
 *	The writer puts a folder under the mail store path of its owner's
 *	partition ("primary" = the default path; any other partition gets a
 *	path "mailstores/<partition>" next to the default one, listed in
 *	".mailstores"), replacing it whole; not MSM_CODEC_THREADSAFE (the
 *	.mailstores list is shared).
 * OWNERSHIP
 *	The codec is static (transfer none).
 * DIAGNOSTICS
 *	MSM_ERROR_NOT_FOUND: no default mail store path. MSM_ERROR_PARSE: a
 *	record or index line off the model (file and line named).
 *	MSM_ERROR_UNSAFE: names and links as above. MSM_ERROR_IO: the system's
 *	refusal with the path.
 */
#include "config.h"

#include "codec-nms3-store.h"

#include "legacy-store.h"
#include "store-manifest.h"
#include "util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const nms3_versions[] = {"nms-3.x", NULL};

/* ---- helpers ---- */

char *
nms3x_partition_name(const char *path, guint index)
{
    if (index == 0)
        return g_strdup("primary");
    char *base = g_path_get_basename(path);
    GString *s = g_string_new(NULL);
    for (const char *p = base; *p; p++)
        if (g_ascii_isalnum(*p))
            g_string_append_c(s, g_ascii_tolower(*p));
    g_free(base);
    return g_string_free(s, FALSE);
}

GPtrArray *
nms3x_store_paths(const char *root, const char *instance, GError **error)
{
    MsmLayout *l = msm_layout_resolve(root, "nms-3.x", instance, error);
    if (l == NULL)
        return NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(out, g_strdup(msm_layout_store_dir(l)));
    msm_layout_free(l);
    char *list = g_build_filename(out->pdata[0], ".mailstores", NULL);
    char *text = NULL;
    if (g_file_get_contents(list, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; lines[i]; i++) {
            g_strstrip(lines[i]);
            if (lines[i][0] == '\0' || lines[i][0] == '#')
                continue;
            char *p = msm_path_under(root, lines[i], error);
            if (p == NULL) {
                g_prefix_error(error, "%s: line %u: ", list, i + 1);
                g_strfreev(lines);
                g_free(text);
                g_free(list);
                g_ptr_array_unref(out);
                return NULL;
            }
            g_ptr_array_add(out, p);
        }
        g_strfreev(lines);
        g_free(text);
    }
    g_free(list);
    return out;
}

/* Sorted names of the entries of dir (transfer full). */
static GPtrArray *
sorted_entries(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    return names;
}

static gboolean
is_link(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

GPtrArray *
nms3x_list_users(const char *store_path, GPtrArray *unsafe_r)
{
    GPtrArray *names = sorted_entries(store_path);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        char *p = g_build_filename(store_path, n, NULL);
        if (n[0] == '.' || g_str_has_prefix(n, "__")) {
            /* .mailstores, .0004x.<partition>, __up.*, __upfolder.db: not users */
        } else if (is_link(p)) {
            if (unsafe_r)
                g_ptr_array_add(unsafe_r, g_strdup_printf("%s: user directory is a symbolic link; "
                                                          "not followed",
                                                          p));
        } else if (msm_is_real_dir(p)) {
            if (msm_legacy_user_is_safe(n))
                g_ptr_array_add(out, g_strdup(n));
            else if (unsafe_r) {
                char *e = g_strescape(n, "");
                g_ptr_array_add(unsafe_r, g_strdup_printf("%s/%s: not a safe user name; "
                                                          "rename the directory",
                                                          store_path, e));
                g_free(e);
            }
        }
        g_free(p);
    }
    g_ptr_array_unref(names);
    return out;
}

/* Adds the sub-folders of folder (name, dir) depth first. */
static void
walk_folders(const char *name, const char *dir, GPtrArray *out, GPtrArray *unsafe_r, guint depth)
{
    GPtrArray *names = sorted_entries(dir);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        char *p = g_build_filename(dir, n, NULL);
        if (strcmp(n, "00") == 0 || strcmp(n, "tmp") == 0 || !(is_link(p) || msm_is_real_dir(p))) {
            g_free(p);
            continue;
        }
        GError *err = NULL;
        char *comp = NULL;
        if (is_link(p))
            g_set_error(&err, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s: folder directory is a symbolic link; not followed", p);
        else if (depth > 64)
            g_set_error(&err, MSM_ERROR, MSM_ERROR_UNSAFE, "%s: folders nested too deep", p);
        else
            comp = msm_legacy_dir_to_component(n, &err);
        if (comp == NULL) {
            if (unsafe_r)
                g_ptr_array_add(unsafe_r, g_strdup_printf("%s (%s)", err->message, dir));
            g_error_free(err);
        } else {
            char *full = name ? g_strdup_printf("%s/%s", name, comp) : g_strdup(comp);
            g_ptr_array_add(out, full);
            g_ptr_array_add(out, g_strdup(p));
            walk_folders(full, p, out, unsafe_r, depth + 1);
            g_free(comp);
        }
        g_free(p);
    }
    g_ptr_array_unref(names);
}

GPtrArray *
nms3x_list_folders(const char *store_path, const char *user, GPtrArray *unsafe_r)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    char *udir = g_build_filename(store_path, user, NULL);
    char *idx = g_build_filename(udir, "00", "store.idx", NULL);
    if (g_file_test(idx, G_FILE_TEST_IS_REGULAR)) {
        g_ptr_array_add(out, g_strdup("INBOX"));
        g_ptr_array_add(out, g_strdup(udir));
    }
    g_free(idx);
    GPtrArray *sub = g_ptr_array_new_with_free_func(g_free);
    walk_folders(NULL, udir, sub, unsafe_r, 0);
    for (guint i = 0; i + 1 < sub->len; i += 2) {
        char *fidx = g_build_filename(sub->pdata[i + 1], "00", "store.idx", NULL);
        /* A directory without messages index is only a level of hierarchy. */
        if (g_file_test(fidx, G_FILE_TEST_IS_REGULAR)) {
            g_ptr_array_add(out, g_strdup(sub->pdata[i]));
            g_ptr_array_add(out, g_strdup(sub->pdata[i + 1]));
        }
        g_free(fidx);
    }
    g_ptr_array_unref(sub);
    g_free(udir);
    return out;
}

/* Reads a record file (absent = empty record). */
static MsmLegacyRecord *
read_record(const char *path, GError **error)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return msm_legacy_record_new();
    if (!S_ISREG(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "%s: not a regular file; not followed",
                    path);
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

MsmFolder *
nms3x_read_folder(const char *store_path, const char *partition, const char *user, const char *name,
                  const char *dir, GError **error)
{
    char *op = g_build_filename(store_path, user, "00", "owner", NULL);
    char *fp = g_build_filename(dir, "00", "folder", NULL);
    char *md = g_build_filename(dir, "00", NULL);
    MsmLegacyRecord *orec = read_record(op, error);
    MsmLegacyRecord *frec = orec ? read_record(fp, error) : NULL;
    MsmFolder *f = NULL;
    if (frec) {
        MsmOwner *o = msm_owner_new(user);
        g_free(o->partition);
        o->partition = g_strdup(partition);
        o->quota_bytes = msm_legacy_record_get_int(orec, "quota_bytes", -1);
        o->quota_messages = msm_legacy_record_get_int(orec, "quota_messages", -1);
        o->used_bytes = msm_legacy_record_get_int(orec, "used_bytes", -1);
        msm_store_record_lines(msm_legacy_record_get(orec, "subscriptions"), o->subscriptions);
        f = msm_folder_new(o, name);
        f->uidvalidity = (guint32)msm_legacy_record_get_int(frec, "uidvalidity", 0);
        f->uidnext = (guint32)msm_legacy_record_get_int(frec, "uidnext", 0);
        f->message_count = (guint64)msm_legacy_record_get_int(frec, "messages", 0);
        GPtrArray *acl = g_ptr_array_new_with_free_func(g_free);
        msm_store_record_lines(msm_legacy_record_get(frec, "acl"), acl);
        for (guint i = 0; i < acl->len; i++) {
            char *tab = strchr(acl->pdata[i], '\t');
            if (tab) {
                *tab = '\0';
                g_ptr_array_add(f->acl, msm_ace_new(acl->pdata[i], tab + 1));
            }
        }
        g_ptr_array_unref(acl);
        f->messages = msm_legacy_msgdir_iter(md, error);
        if (f->messages == NULL) {
            msm_folder_free(f);
            f = NULL;
        }
    }
    msm_legacy_record_free(orec);
    msm_legacy_record_free(frec);
    g_free(op);
    g_free(fp);
    g_free(md);
    return f;
}

/* ---- reader ---- */

typedef struct {
    char *root;
    GPtrArray *paths; /* mail store paths */
    guint path_i;
    GPtrArray *users; /* of paths[path_i] */
    guint user_i;
    GPtrArray *folders; /* of users[user_i - 1]: name, dir pairs */
    guint folder_i;
    GPtrArray *unsafe; /* pending messages */
    char *partition;
} Reader;

static void
reader_close(gpointer p)
{
    Reader *r = p;
    if (r == NULL)
        return;
    g_free(r->root);
    g_free(r->partition);
    if (r->paths)
        g_ptr_array_unref(r->paths);
    if (r->users)
        g_ptr_array_unref(r->users);
    if (r->folders)
        g_ptr_array_unref(r->folders);
    g_ptr_array_unref(r->unsafe);
    g_free(r);
}

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    GPtrArray *paths = nms3x_store_paths(root, ctx ? msm_ctx_instance(ctx) : NULL, error);
    if (paths == NULL)
        return NULL;
    if (!msm_is_real_dir(paths->pdata[0])) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s: no NMS 3.x default mail store directory; check --source and --instance",
                    (char *)paths->pdata[0]);
        g_ptr_array_unref(paths);
        return NULL;
    }
    Reader *r = g_new0(Reader, 1);
    r->root = g_strdup(root);
    r->paths = paths;
    r->unsafe = g_ptr_array_new_with_free_func(g_free);
    return r;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Reader *r = reader;
    *item_r = NULL;
    for (;;) {
        if (r->unsafe->len > 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "%s", (char *)r->unsafe->pdata[0]);
            g_ptr_array_remove_index(r->unsafe, 0);
            return FALSE;
        }
        if (r->folders && r->folder_i + 1 < r->folders->len) {
            const char *name = r->folders->pdata[r->folder_i];
            const char *dir = r->folders->pdata[r->folder_i + 1];
            const char *user = r->users->pdata[r->user_i - 1];
            r->folder_i += 2;
            MsmFolder *f =
                nms3x_read_folder(r->paths->pdata[r->path_i], r->partition, user, name, dir, error);
            if (f == NULL)
                return FALSE;
            char *key = g_strdup_printf("user/%s/%s", user, name);
            *item_r = msm_item_new(MSM_KIND_STORE, key, f);
            g_free(key);
            return TRUE;
        }
        if (r->users && r->user_i < r->users->len) {
            if (r->folders)
                g_ptr_array_unref(r->folders);
            r->folders = nms3x_list_folders(r->paths->pdata[r->path_i], r->users->pdata[r->user_i],
                                            r->unsafe);
            r->folder_i = 0;
            r->user_i++;
            continue;
        }
        if (r->users) {
            g_ptr_array_unref(r->users);
            r->users = NULL;
            r->path_i++;
        }
        if (r->path_i >= r->paths->len)
            return TRUE;
        g_free(r->partition);
        r->partition = nms3x_partition_name(r->paths->pdata[r->path_i], r->path_i);
        r->users = nms3x_list_users(r->paths->pdata[r->path_i], r->unsafe);
        r->user_i = 0;
    }
}

static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Reader *r = reader;
    guint64 n = 0;
    for (guint i = 0; i < r->paths->len; i++) {
        GPtrArray *u = nms3x_list_users(r->paths->pdata[i], NULL);
        n += u->len;
        g_ptr_array_unref(u);
    }
    *items_r = n * 6; /* users times the usual folder count: a cheap guess */
    *bytes_r = 0;
    return TRUE;
}

/* ---- writer ---- */

typedef struct {
    MsmCtx *ctx;
    char *root;
    GPtrArray *paths;
    char *work;
} Writer;

static void
writer_close(gpointer p)
{
    Writer *w = p;
    if (w == NULL)
        return;
    g_free(w->root);
    g_free(w->work);
    if (w->paths)
        g_ptr_array_unref(w->paths);
    g_free(w);
}

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    GPtrArray *paths = nms3x_store_paths(root, ctx ? msm_ctx_instance(ctx) : NULL, error);
    if (paths == NULL || !msm_mkdir_p(paths->pdata[0], FALSE, error)) {
        if (paths)
            g_ptr_array_unref(paths);
        return NULL;
    }
    Writer *w = g_new0(Writer, 1);
    w->ctx = ctx;
    w->root = g_strdup(root);
    w->paths = paths;
    if (ctx && *msm_ctx_work_dir(ctx))
        w->work = g_strdup(msm_ctx_work_dir(ctx));
    return w;
}

/* The mail store path of partition part, created and listed when new. */
static const char *
path_for_partition(Writer *w, const char *part, GError **error)
{
    for (guint i = 0; i < w->paths->len; i++) {
        char *n = nms3x_partition_name(w->paths->pdata[i], i);
        gboolean same = strcmp(n, part) == 0;
        g_free(n);
        if (same)
            return w->paths->pdata[i];
    }
    if (!msm_core_nms4_partition_name_ok(part)) {
        char *e = g_strescape(part, "");
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "partition name \"%s\" is not 1 to 64 letters and digits", e);
        g_free(e);
        return NULL;
    }
    char *parent = g_path_get_dirname(w->paths->pdata[0]);
    char *lower = g_ascii_strdown(part, -1);
    char *p = g_strdup_printf("%s/mailstores/%s", parent, lower);
    g_free(lower);
    g_free(parent);
    char *list = g_build_filename(w->paths->pdata[0], ".mailstores", NULL);
    char *text = NULL;
    gsize len = 0;
    if (!g_file_get_contents(list, &text, &len, NULL))
        text = g_strdup("");
    char *line = g_strdup_printf("%s%s\n", text, p + strlen(w->root) + (p[strlen(w->root)] == '/'));
    gboolean ok = msm_mkdir_p(p, FALSE, error) &&
                  msm_write_file_atomic(list, line, strlen(line), 0644, error);
    g_free(line);
    g_free(text);
    g_free(list);
    if (!ok) {
        g_free(p);
        return NULL;
    }
    g_ptr_array_add(w->paths, p);
    return p;
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
    const char *part = f->owner->partition ? f->owner->partition : "primary";
    if (!msm_legacy_check_user(f->owner->user, error))
        return FALSE;
    if (g_str_has_prefix(f->owner->user, "__")) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "user name \"%s\" starts with \"__\", reserved for the upgrade's files; "
                    "rename the user",
                    f->owner->user);
        return FALSE;
    }
    const char *sp = path_for_partition(w, part, error);
    if (sp == NULL)
        return FALSE;
    gsize rl = strlen(w->root);
    if (strncmp(sp, w->root, rl) == 0 && msm_legacy_has_symlink(w->root, sp + rl)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s: a component of the mail store path is a symbolic link; refusing to "
                    "write through it",
                    sp);
        return FALSE;
    }
    char *rel = NULL;
    if (strcmp(f->name, "INBOX") == 0)
        rel = g_strdup(f->owner->user);
    else {
        char *d = msm_legacy_folder_to_dir(f->name, error);
        rel = d ? g_strdup_printf("%s/%s", f->owner->user, d) : NULL;
        g_free(d);
    }
    char *dir = rel ? msm_legacy_mkdir_under(sp, rel, error) : NULL;
    guint64 count = 0;
    gboolean ok =
        dir != NULL && msm_legacy_msgdir_write(dir, "00", f->messages, &count, NULL, error);
    if (ok) {
        f->message_count = count;
        MsmLegacyRecord *fr = msm_legacy_record_new();
        msm_legacy_record_set_int(fr, "uidvalidity", f->uidvalidity);
        msm_legacy_record_set_int(fr, "uidnext", f->uidnext);
        msm_legacy_record_set_int(fr, "messages", (gint64)count);
        GString *acl = g_string_new(NULL);
        for (guint i = 0; f->acl && i < f->acl->len; i++) {
            const MsmAce *a = f->acl->pdata[i];
            if (strpbrk(a->identifier, "\t\n") || strpbrk(a->rights, "\t\n"))
                continue;
            g_string_append_printf(acl, "%s\t%s\n", a->identifier, a->rights);
        }
        msm_legacy_record_set(fr, "acl", acl->str);
        g_string_free(acl, TRUE);
        char *fp = g_build_filename(dir, "00", "folder", NULL);
        ok = msm_store_record_write(fp, fr, error);
        g_free(fp);
        msm_legacy_record_free(fr);
    }
    if (ok) {
        MsmLegacyRecord *orec = msm_legacy_record_new();
        msm_legacy_record_set_int(orec, "quota_bytes", f->owner->quota_bytes);
        msm_legacy_record_set_int(orec, "quota_messages", f->owner->quota_messages);
        msm_legacy_record_set_int(orec, "used_bytes", f->owner->used_bytes);
        GString *subs = g_string_new(NULL);
        for (guint i = 0; f->owner->subscriptions && i < f->owner->subscriptions->len; i++)
            if (!strchr(f->owner->subscriptions->pdata[i], '\n'))
                g_string_append_printf(subs, "%s\n", (char *)f->owner->subscriptions->pdata[i]);
        msm_legacy_record_set(orec, "subscriptions", subs->str);
        g_string_free(subs, TRUE);
        char *od = g_build_filename(sp, f->owner->user, "00", NULL);
        char *op = g_build_filename(od, "owner", NULL);
        ok = msm_mkdir_p(od, FALSE, error) && msm_store_record_write(op, orec, error);
        g_free(od);
        g_free(op);
        msm_legacy_record_free(orec);
    }
    if (ok && w->work) {
        /* Log what was created for rollback (a 3.x target is always new). */
        char *mp = g_build_filename(w->work, "nms3-store.manifest", NULL);
        msm_store_manifest_note(mp, "%s/00\n", dir);
        g_free(mp);
    }
    g_free(rel);
    g_free(dir);
    return ok;
}

static gboolean
writer_commit(gpointer writer, GError **error)
{
    return TRUE; /* every put renamed its files into place after fsync */
}

/* Removes the "00/" directories this run's writer created. */
static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    return msm_store_manifest_rollback(ctx, "nms3-store.manifest", root, msm_legacy_remove_tree,
                                       error);
}

static const MsmCodec nms3_store_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "nms3-store",
    .kind = MSM_KIND_STORE,
    .versions = nms3_versions,
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
nms3x_store_codec(void)
{
    return &nms3_store_codec;
}
