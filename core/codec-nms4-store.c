/*
 * NAME
 *	codec-nms4-store.c - the NMS 4.x message store (nms-4.0, nms-4.1)
 * SUMMARY
 *	Implements msm_core_nms4_store_codec() (builtin.h) with the model of
 *	docs/formats/store-nms4.md: below the layout's store directory,
 *	mboxlist/data.db2 (one record per folder, key "user/<owner>/<MUTF-7
 *	name>"), quota.db2 (one record per owner), user/<owner> (the owner's
 *	subscriptions) and partition/<name>/=user/<h1>/<h2>/=<owner>/ with the
 *	folders as nested directories and each folder's messages in its "00/"
 *	sub-directory ("<uid>.msg" files and the store.idx index).
 *	Written by the nms3x hop (nms-3.x -> nms-4.1), read by the nms4x hops.
 * DESCRIPTION
 *	The reader walks data.db2 with a cursor (key order, stable) and yields
 *	one folder item per record; messages stream from store.idx and the
 *	message files, one at a time. A folder still marked TRANSITION (the
 *	nms3x folder pass ran, the message pass has not) is refused with
 *	MSM_ERROR_PARSE naming the command that finishes it.
 *	The writer replaces a folder as a whole (its "00/" directory is built
 *	in "tmp/" and swapped in), then its data.db2 record, its owner's
 *	quota.db2 record and subscription file. With a run work directory it
 *	first copies what it replaces there and logs each put in
 *	<work>/nms4-store.manifest so rollback() restores it byte for byte.
 *	Berkeley DB handles are shared by the writer: not MSM_CODEC_THREADSAFE.
 *	The msm_core_nms4_reuse_*() helpers (legacy-store.h) serve the classic
 *	writer's in-place reuse of a 4.x store: the store mode option, the
 *	source's partitions, the collision rule and the file-system preflight.
 * OWNERSHIP
 *	The codec is static (transfer none).
 * DIAGNOSTICS
 *	MSM_ERROR_NOT_FOUND: no mboxlist/data.db2 under the store directory.
 *	MSM_ERROR_PARSE: a record or index line that does not follow the model
 *	(names the file, key or line). MSM_ERROR_UNSAFE: owner, partition or
 *	folder names that cannot be stored safely, symbolic links in the
 *	store. MSM_ERROR_IO: the system's or Berkeley DB's refusal with the path.
 */
#include "config.h"

#include "builtin.h"

#include "legacy-store.h"
#include "mutf7.h"
#include "util.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const nms4_versions[] = {"nms-4.0", "nms-4.1", NULL};

/* ---- paths ---- */

typedef struct {
    char *root;  /* deployment root */
    char *store; /* store directory */
    MsmLegacyDb *folders;
    MsmLegacyDb *quota;
    gpointer cursor;
    char *work;                  /* run work directory or NULL */
    MsmLegacyRecord *partitions; /* store/partitions.conf: name -> root-relative path */
    guint seq;                   /* manifest entries written */
} Nms4;

static char *partition_dir(Nms4 *n, const char *part, GError **error);

static void
nms4_free(Nms4 *n)
{
    if (n == NULL)
        return;
    msm_legacy_db_cursor_close(n->cursor);
    msm_legacy_db_close(n->folders);
    msm_legacy_db_close(n->quota);
    msm_legacy_record_free(n->partitions);
    g_free(n->root);
    g_free(n->store);
    g_free(n->work);
    g_free(n);
}

gboolean
msm_core_nms4_partition_name_ok(const char *name)
{
    if (name == NULL || *name == '\0' || strlen(name) > 64)
        return FALSE;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p))
            return FALSE;
    return TRUE;
}

/* Loads store/partitions.conf (absent = only the default partition path). */
static gboolean
load_partitions(Nms4 *n, GError **error)
{
    char *path = g_build_filename(n->store, "partitions.conf", NULL);
    char *text = NULL;
    gsize len = 0;
    if (g_file_get_contents(path, &text, &len, NULL)) {
        n->partitions = msm_legacy_record_parse(text, len, path, error);
        g_free(text);
    } else {
        n->partitions = msm_legacy_record_new();
    }
    g_free(path);
    return n->partitions != NULL;
}

char *
msm_core_nms4_partition_dir(const char *root, const char *store, const char *part, GError **error)
{
    char *path = g_build_filename(store, "partitions.conf", NULL);
    char *text = NULL;
    gsize len = 0;
    MsmLegacyRecord *rec = NULL;
    if (g_file_get_contents(path, &text, &len, NULL))
        rec = msm_legacy_record_parse(text, len, path, error);
    else
        rec = msm_legacy_record_new();
    g_free(text);
    g_free(path);
    if (rec == NULL)
        return NULL;
    Nms4 n = {0};
    n.root = (char *)root;
    n.store = (char *)store;
    n.partitions = rec;
    char *d = partition_dir(&n, part, error);
    msm_legacy_record_free(rec);
    return d;
}

/* Absolute directory of partition part. (transfer full) */
static char *
partition_dir(Nms4 *n, const char *part, GError **error)
{
    if (!msm_core_nms4_partition_name_ok(part)) {
        char *e = g_strescape(part ? part : "", "");
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "partition name \"%s\" is not 1 to 64 letters and digits", e);
        g_free(e);
        return NULL;
    }
    const char *rel = msm_legacy_record_get(n->partitions, part);
    if (rel)
        return msm_path_under(n->root, rel, error);
    return g_build_filename(n->store, "partition", part, NULL);
}

/* Relative path of owner's folder directory below the partition directory. */
char *
msm_core_nms4_folder_relpath(const char *owner, const char *name, GError **error)
{
    if (!msm_legacy_check_user(owner, error))
        return NULL;
    char *hash = msm_legacy_user_hash(owner);
    char *rel = NULL;
    if (strcmp(name, "INBOX") == 0) {
        rel = g_strdup_printf("=user/%s/=%s", hash, owner);
    } else {
        char *d = msm_legacy_folder_to_dir(name, error);
        if (d)
            rel = g_strdup_printf("=user/%s/=%s/%s", hash, owner, d);
        g_free(d);
    }
    g_free(hash);
    return rel;
}

static Nms4 *
nms4_open(MsmCtx *ctx, const char *root, const char *version, gboolean create, GError **error)
{
    MsmLayout *l = msm_layout_resolve(root, version, ctx ? msm_ctx_instance(ctx) : NULL, error);
    if (l == NULL)
        return NULL;
    Nms4 *n = g_new0(Nms4, 1);
    n->root = g_strdup(root);
    n->store = g_strdup(msm_layout_store_dir(l));
    msm_layout_free(l);
    if (ctx && *msm_ctx_work_dir(ctx))
        n->work = g_strdup(msm_ctx_work_dir(ctx));
    char *mb = g_build_filename(n->store, "mboxlist", NULL);
    char *data = g_build_filename(mb, "data.db2", NULL);
    char *quota = g_build_filename(n->store, "quota.db2", NULL);
    gboolean ok = TRUE;
    if (create)
        ok = msm_mkdir_p(mb, FALSE, error);
    else if (!g_file_test(data, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s: no NMS 4.x folder database (mboxlist/data.db2) in the store directory; "
                    "check --source and --instance",
                    data);
        ok = FALSE;
    }
    ok = ok && load_partitions(n, error);
    ok = ok && (n->folders = msm_legacy_db_open(data, create, error)) != NULL;
    if (ok && (create || g_file_test(quota, G_FILE_TEST_EXISTS)))
        ok = (n->quota = msm_legacy_db_open(quota, create, error)) != NULL;
    g_free(mb);
    g_free(data);
    g_free(quota);
    if (!ok) {
        nms4_free(n);
        return NULL;
    }
    return n;
}

/* ---- reader ---- */

static gpointer
reader_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    return nms4_open(ctx, root, version, FALSE, error);
}

/* Reads owner's subscription file into o->subscriptions. */
static gboolean
read_subscriptions(Nms4 *n, MsmOwner *o, GError **error)
{
    char *path = g_build_filename(n->store, "user", o->user, NULL);
    struct stat st;
    gboolean ok = TRUE;
    if (lstat(path, &st) == 0) {
        char *text = NULL;
        if (!S_ISREG(st.st_mode)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s: subscription file is not a regular file; not followed", path);
            ok = FALSE;
        } else if (!g_file_get_contents(path, &text, NULL, error)) {
            ok = FALSE;
        } else {
            char **lines = g_strsplit(text, "\n", -1);
            for (guint i = 0; lines[i] && ok; i++) {
                if (lines[i][0] == '\0')
                    continue;
                GError *err = NULL;
                char *u = msm_mutf7_decode(lines[i], &err);
                if (u == NULL) {
                    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: line %u: %s", path, i + 1,
                                err->message);
                    g_error_free(err);
                    ok = FALSE;
                } else {
                    g_ptr_array_add(o->subscriptions, u);
                }
            }
            g_strfreev(lines);
            g_free(text);
        }
    }
    g_free(path);
    return ok;
}

/* Builds the owner of a folder record (quota.db2 + subscriptions). */
static MsmOwner *
read_owner(Nms4 *n, const char *user, const char *partition, GError **error)
{
    MsmOwner *o = msm_owner_new(user);
    g_free(o->partition);
    o->partition = g_strdup(partition);
    char *qv = n->quota ? msm_legacy_db_get(n->quota, user, error) : NULL;
    if (qv) {
        char *what = g_strdup_printf("%s key %s", msm_legacy_db_path(n->quota), user);
        MsmLegacyRecord *q = msm_legacy_record_parse(qv, strlen(qv), what, error);
        g_free(what);
        g_free(qv);
        if (q == NULL) {
            msm_owner_free(o);
            return NULL;
        }
        o->quota_bytes = msm_legacy_record_get_int(q, "quota_bytes", -1);
        o->quota_messages = msm_legacy_record_get_int(q, "quota_messages", -1);
        o->used_bytes = msm_legacy_record_get_int(q, "used_bytes", -1);
        msm_legacy_record_free(q);
    }
    if (!read_subscriptions(n, o, error)) {
        msm_owner_free(o);
        return NULL;
    }
    return o;
}

/* Parses the ACL value: lines "identifier TAB rights". */
static void
parse_acl(const char *acl, GPtrArray *out)
{
    if (acl == NULL)
        return;
    char **lines = g_strsplit(acl, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char *tab = strchr(lines[i], '\t');
        if (tab == NULL)
            continue;
        *tab = '\0';
        g_ptr_array_add(out, msm_ace_new(lines[i], tab + 1));
    }
    g_strfreev(lines);
}

gboolean
msm_core_nms4_split_key(const char *key, char **owner_r, char **folder_r, GError **error)
{
    const char *p = g_str_has_prefix(key, "user/") ? key + 5 : NULL;
    const char *slash = p ? strchr(p, '/') : NULL;
    GError *err = NULL;
    char *folder = slash ? msm_mutf7_decode(slash + 1, &err) : NULL;
    if (folder == NULL || slash == p || *folder == '\0') {
        char *e = g_strescape(key, "");
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "data.db2 key \"%s\" is not user/<owner>/<modified UTF-7 folder>%s%s", e,
                    err ? ": " : "", err ? err->message : "");
        g_free(e);
        g_clear_error(&err);
        g_free(folder);
        return FALSE;
    }
    *owner_r = g_strndup(p, slash - p);
    *folder_r = folder;
    return TRUE;
}

static gboolean
reader_next(gpointer reader, MsmItem **item_r, GError **error)
{
    Nms4 *n = reader;
    *item_r = NULL;
    char *key = NULL, *val = NULL;
    GError *err = NULL;
    if (!msm_legacy_db_next(n->folders, &n->cursor, &key, &val, &err)) {
        if (err) {
            g_propagate_error(error, err);
            return FALSE;
        }
        return TRUE;
    }
    char *what = g_strdup_printf("%s key %s", msm_legacy_db_path(n->folders), key);
    char *owner = NULL, *name = NULL, *rel = NULL, *pdir = NULL, *fdir = NULL;
    MsmOwner *o = NULL;
    MsmFolder *f = NULL;
    MsmLegacyRecord *rec = msm_legacy_record_parse(val, strlen(val), what, error);
    gboolean ok = rec != NULL && msm_core_nms4_split_key(key, &owner, &name, error);
    const char *part = rec ? msm_legacy_record_get(rec, "partition") : NULL;
    if (ok && g_strcmp0(msm_legacy_record_get(rec, "state"), "TRANSITION") == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: folder is still in TRANSITION (its NMS 3.x messages are not "
                    "migrated): run `msmigrate store upgrade -m` (or -u) and read again",
                    what);
        ok = FALSE;
    }
    if (ok && part == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: no partition field", what);
        ok = FALSE;
    }
    ok = ok && (rel = msm_core_nms4_folder_relpath(owner, name, error)) != NULL;
    ok = ok && (pdir = partition_dir(n, part, error)) != NULL;
    if (ok) {
        fdir = g_build_filename(pdir, rel, "00", NULL);
        char *relfull = g_build_filename(rel, "00", NULL);
        if (msm_legacy_has_symlink(pdir, relfull)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "%s: %s holds a symbolic link; not followed", what, fdir);
            ok = FALSE;
        }
        g_free(relfull);
    }
    ok = ok && (o = read_owner(n, owner, part, error)) != NULL;
    if (ok) {
        f = msm_folder_new(o, name);
        f->uidvalidity = (guint32)msm_legacy_record_get_int(rec, "uidvalidity", 0);
        f->uidnext = (guint32)msm_legacy_record_get_int(rec, "uidnext", 0);
        f->message_count = (guint64)msm_legacy_record_get_int(rec, "messages", 0);
        parse_acl(msm_legacy_record_get(rec, "acl"), f->acl);
        f->messages = msm_legacy_msgdir_iter(fdir, error);
        ok = f->messages != NULL;
    }
    if (ok) {
        char *k = g_strdup_printf("user/%s/%s", owner, name);
        *item_r = msm_item_new(MSM_KIND_STORE, k, f);
        g_free(k);
    } else if (f) {
        msm_folder_free(f);
    }
    msm_legacy_record_free(rec);
    g_free(owner);
    g_free(name);
    g_free(rel);
    g_free(pdir);
    g_free(fdir);
    g_free(what);
    g_free(key);
    g_free(val);
    return ok;
}

static void
reader_close(gpointer reader)
{
    nms4_free(reader);
}

static gboolean
reader_estimate(gpointer reader, guint64 *items_r, guint64 *bytes_r)
{
    Nms4 *n = reader;
    *items_r = msm_legacy_db_count(n->folders);
    *bytes_r = 0;
    return TRUE;
}

/* ---- writer ---- */

static gpointer
writer_open(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    return nms4_open(ctx, root, version, TRUE, error);
}

/* Appends one line to the manifest in the work directory. */
static gboolean
manifest_add(Nms4 *n, const char *line, GError **error)
{
    char *path = g_build_filename(n->work, "nms4-store.manifest", NULL);
    FILE *fp = fopen(path, "a");
    gboolean ok = fp != NULL && fputs(line, fp) >= 0 && fputc('\n', fp) != EOF;
    ok = (fp ? fclose(fp) == 0 : FALSE) && ok;
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "%s: cannot append: %s", path,
                    g_strerror(errno));
    g_free(path);
    return ok;
}

/* Before replacing folder key (messages in msgdir): save what exists. */
static gboolean
save_previous(Nms4 *n, const char *key, const char *msgdir, const char *owner, GError **error)
{
    if (n->work == NULL)
        return TRUE;
    GError *err = NULL;
    char *old = msm_legacy_db_get(n->folders, key, &err);
    if (err) {
        g_propagate_error(error, err);
        return FALSE;
    }
    char *bdir = g_strdup_printf("%s/nms4-store-backup/%u-%u", n->work, (guint)getpid(), n->seq++);
    gboolean ok = msm_mkdir_p(bdir, TRUE, error);
    if (ok && old) {
        char *p = g_build_filename(bdir, "record", NULL);
        ok = msm_write_file_atomic(p, old, strlen(old), 0600, error);
        g_free(p);
    }
    if (ok && g_file_test(msgdir, G_FILE_TEST_IS_DIR)) {
        char *p = g_build_filename(bdir, "00", NULL);
        char *argv[] = {"cp", "-a", (char *)msgdir, p, NULL};
        gint status = 0;
        ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status,
                          error) &&
             g_spawn_check_wait_status(status, error);
        g_free(p);
    }
    if (ok) {
        char *q = msm_legacy_db_get(n->quota, owner, NULL);
        if (q) {
            char *p = g_build_filename(bdir, "quota", NULL);
            ok = msm_write_file_atomic(p, q, strlen(q), 0600, error);
            g_free(p);
        }
        g_free(q);
    }
    if (ok) {
        char *sub = g_build_filename(n->store, "user", owner, NULL);
        if (g_file_test(sub, G_FILE_TEST_IS_REGULAR)) {
            char *text = NULL;
            gsize len = 0;
            char *p = g_build_filename(bdir, "subscriptions", NULL);
            ok = g_file_get_contents(sub, &text, &len, error) &&
                 msm_write_file_atomic(p, text, len, 0600, error);
            g_free(text);
            g_free(p);
        }
        g_free(sub);
    }
    if (ok) {
        char *e = g_strescape(key, "");
        char *line = g_strdup_printf("%s\t%s\t%s\t%s", e, msgdir, bdir, owner);
        ok = manifest_add(n, line, error);
        g_free(line);
        g_free(e);
    }
    g_free(bdir);
    g_free(old);
    return ok;
}

static gboolean
write_owner(Nms4 *n, const MsmOwner *o, GError **error)
{
    return msm_core_nms4_put_owner(n->store, n->quota, o, error);
}

gboolean
msm_core_nms4_put_owner(const char *store, MsmLegacyDb *quota, const MsmOwner *o, GError **error)
{
    MsmLegacyRecord *q = msm_legacy_record_new();
    msm_legacy_record_set_int(q, "quota_bytes", o->quota_bytes);
    msm_legacy_record_set_int(q, "quota_messages", o->quota_messages);
    msm_legacy_record_set_int(q, "used_bytes", o->used_bytes);
    char *qs = msm_legacy_record_to_string(q);
    msm_legacy_record_free(q);
    gboolean ok = msm_legacy_db_put(quota, o->user, qs, error);
    g_free(qs);
    if (!ok)
        return FALSE;
    char *udir = msm_legacy_mkdir_under(store, "user", error);
    if (udir == NULL)
        return FALSE;
    GString *s = g_string_new(NULL);
    for (guint i = 0; ok && o->subscriptions && i < o->subscriptions->len; i++) {
        char *m = msm_mutf7_encode(o->subscriptions->pdata[i], error);
        if (m == NULL)
            ok = FALSE;
        else
            g_string_append_printf(s, "%s\n", m);
        g_free(m);
    }
    if (ok) {
        char *p = g_build_filename(udir, o->user, NULL);
        ok = msm_write_file_atomic(p, s->str, s->len, 0600, error);
        g_free(p);
    }
    g_string_free(s, TRUE);
    g_free(udir);
    return ok;
}

gboolean
msm_core_nms4_folder_record(const MsmFolder *f, const char *state, char **record_r, GError **error)
{
    MsmLegacyRecord *r = msm_legacy_record_new();
    msm_legacy_record_set(r, "partition", f->owner->partition ? f->owner->partition : "primary");
    msm_legacy_record_set_int(r, "uidvalidity", f->uidvalidity);
    msm_legacy_record_set_int(r, "uidnext", f->uidnext);
    msm_legacy_record_set_int(r, "messages", (gint64)f->message_count);
    msm_legacy_record_set(r, "state", state);
    GString *acl = g_string_new(NULL);
    gboolean ok = TRUE;
    for (guint i = 0; f->acl && i < f->acl->len; i++) {
        const MsmAce *a = f->acl->pdata[i];
        if (strpbrk(a->identifier, "\t\n") || strpbrk(a->rights, "\t\n")) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "folder %s: ACL identifier or rights hold a tab or line break", f->name);
            ok = FALSE;
            break;
        }
        g_string_append_printf(acl, "%s%s\t%s", acl->len ? "\n" : "", a->identifier, a->rights);
    }
    msm_legacy_record_set(r, "acl", acl->str);
    g_string_free(acl, TRUE);
    *record_r = ok ? msm_legacy_record_to_string(r) : NULL;
    msm_legacy_record_free(r);
    return ok;
}

static gboolean
writer_put(gpointer writer, MsmItem *item, GError **error)
{
    Nms4 *n = writer;
    if (item->kind != MSM_KIND_STORE || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT, "item %s is not a store folder",
                    item->key);
        return FALSE;
    }
    MsmFolder *f = item->payload;
    const char *part = f->owner->partition ? f->owner->partition : "primary";
    char *mkey = NULL, *rel = NULL, *pdir = NULL, *fdir = NULL, *msgdir = NULL, *rec = NULL;
    guint64 count = 0;
    gboolean ok = msm_legacy_check_user(f->owner->user, error);
    if (ok) {
        char *m = msm_mutf7_encode(f->name, error);
        ok = m != NULL;
        if (ok)
            mkey = g_strdup_printf("user/%s/%s", f->owner->user, m);
        g_free(m);
    }
    ok = ok && (rel = msm_core_nms4_folder_relpath(f->owner->user, f->name, error)) != NULL;
    ok = ok && (pdir = partition_dir(n, part, error)) != NULL && msm_mkdir_p(pdir, FALSE, error);
    if (ok && msm_legacy_has_symlink(n->root, pdir + strlen(n->root))) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s: a component is a symbolic link; refusing to write through it", pdir);
        ok = FALSE;
    }
    ok = ok && (fdir = msm_legacy_mkdir_under(pdir, rel, error)) != NULL;
    if (ok)
        msgdir = g_build_filename(fdir, "00", NULL);
    ok = ok && save_previous(n, mkey, msgdir, f->owner->user, error);
    ok = ok && msm_legacy_msgdir_write(fdir, "00", f->messages, &count, NULL, error);
    if (ok) {
        f->message_count = count;
        ok = msm_core_nms4_folder_record(f, "NON-TRANSITION", &rec, error) &&
             msm_legacy_db_put(n->folders, mkey, rec, error) && write_owner(n, f->owner, error);
    }
    g_free(mkey);
    g_free(rel);
    g_free(pdir);
    g_free(fdir);
    g_free(msgdir);
    g_free(rec);
    return ok;
}

static gboolean
writer_commit(gpointer writer, GError **error)
{
    Nms4 *n = writer;
    return msm_legacy_db_sync(n->folders, error) && msm_legacy_db_sync(n->quota, error);
}

static void
writer_close(gpointer writer)
{
    nms4_free(writer);
}

/* ---- rollback ---- */

static gboolean
rollback(MsmCtx *ctx, const char *root, const char *version, GError **error)
{
    if (ctx == NULL || *msm_ctx_work_dir(ctx) == '\0')
        return TRUE;
    char *mpath = g_build_filename(msm_ctx_work_dir(ctx), "nms4-store.manifest", NULL);
    char *text = NULL;
    if (!g_file_get_contents(mpath, &text, NULL, NULL)) {
        g_free(mpath);
        return TRUE; /* nothing written by this run */
    }
    Nms4 *n = nms4_open(ctx, root, version, TRUE, error);
    gboolean ok = n != NULL;
    char **lines = g_strsplit(text, "\n", -1);
    guint count = g_strv_length(lines);
    /* Newest first, so a folder put twice ends as it was before the run. */
    for (guint i = count; ok && i-- > 0;) {
        char **f = g_strsplit(lines[i], "\t", 4);
        if (g_strv_length(f) == 4) {
            char *key = g_strcompress(f[0]);
            char *rec_path = g_build_filename(f[2], "record", NULL);
            char *old_msgs = g_build_filename(f[2], "00", NULL);
            char *subs = g_build_filename(f[2], "subscriptions", NULL);
            char *old = NULL;
            ok = g_str_has_prefix(f[1], root);
            if (!ok)
                g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                            "%s: entry %s is not below root %s; manifest from another "
                            "deployment?",
                            mpath, f[1], root);
            ok = ok && msm_legacy_remove_tree(f[1], error);
            if (ok && g_file_test(old_msgs, G_FILE_TEST_IS_DIR)) {
                char *argv[] = {"cp", "-a", old_msgs, f[1], NULL};
                gint st = 0;
                ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                  &st, error) &&
                     g_spawn_check_wait_status(st, error);
            }
            if (ok && g_file_get_contents(rec_path, &old, NULL, NULL))
                ok = msm_legacy_db_put(n->folders, key, old, error);
            else if (ok)
                ok = msm_legacy_db_del(n->folders, key, error);
            if (ok && msm_legacy_user_is_safe(f[3])) {
                char *qp = g_build_filename(f[2], "quota", NULL);
                char *qv = NULL;
                if (g_file_get_contents(qp, &qv, NULL, NULL))
                    ok = msm_legacy_db_put(n->quota, f[3], qv, error);
                g_free(qv);
                g_free(qp);
            }
            if (ok && msm_legacy_user_is_safe(f[3])) {
                char *sp = g_build_filename(n->store, "user", f[3], NULL);
                char *st = NULL;
                gsize len = 0;
                if (g_file_get_contents(subs, &st, &len, NULL))
                    ok = msm_write_file_atomic(sp, st, len, 0600, error);
                g_free(st);
                g_free(sp);
            }
            g_free(old);
            g_free(key);
            g_free(rec_path);
            g_free(old_msgs);
            g_free(subs);
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    ok = ok && writer_commit(n, error);
    nms4_free(n);
    if (ok)
        g_unlink(mpath);
    g_free(mpath);
    g_free(text);
    return ok;
}

/* ---- in-place reuse by the classic writer ---- */

gboolean
msm_core_nms4_reuse_in_place(MsmCtx *ctx, gboolean *in_place_r, GError **error)
{
    *in_place_r = FALSE;
    if (ctx == NULL)
        return TRUE;
    const char *from = msm_ctx_run_from(ctx);
    const char *v = msm_ctx_option(ctx, MSM_NMS4_REUSE_GROUP, MSM_NMS4_REUSE_KEY);
    if (v == NULL || g_strcmp0(v, "copy") == 0)
        return TRUE;
    if (strcmp(v, "in-place") != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "profile option [%s] %s = \"%s\": expected in-place or copy",
                    MSM_NMS4_REUSE_GROUP, MSM_NMS4_REUSE_KEY, v);
        return FALSE;
    }
    *in_place_r = from != NULL && g_strv_contains(nms4_versions, from);
    return TRUE;
}

/* The store directory of ctx's NMS 4.x source. (transfer full) */
static char *
source_store_dir(MsmCtx *ctx, GError **error)
{
    const char *root = msm_ctx_source_root(ctx);
    const char *from = msm_ctx_run_from(ctx);
    if (root == NULL || *root == '\0' || from == NULL || !g_strv_contains(nms4_versions, from)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "in-place reuse needs an NMS 4.x source (the run starts at %s)",
                    from ? from : "an unknown version");
        return NULL;
    }
    return msm_layout_resolve_store_dir(root, from, msm_ctx_instance(ctx), error);
}

char *
msm_core_nms4_source_partition_dir(MsmCtx *ctx, const char *part, GError **error)
{
    char *store = source_store_dir(ctx, error);
    if (store == NULL)
        return NULL;
    char *d = msm_core_nms4_partition_dir(msm_ctx_source_root(ctx), store, part, error);
    g_free(store);
    return d;
}

gboolean
msm_core_nms4_reuse_check_folder(const char *owner, const char *folder, const char *classic_hash,
                                 const char *classic_rel, const char *partition_dir, GError **error)
{
    char *nh = msm_legacy_user_hash(owner);
    gboolean same = strcmp(nh, classic_hash) == 0;
    g_free(nh);
    if (!same)
        return TRUE; /* "=user/<h1>/<h2>/=<owner>" differ: the two trees are disjoint */
    char **parts = g_strsplit(classic_rel, "/", -1);
    const char *bad = NULL;
    for (guint i = 0; parts[i] && bad == NULL; i++)
        if (strcmp(parts[i], "00") == 0 || strcmp(parts[i], "tmp") == 0)
            bad = parts[i];
    gboolean ok = bad == NULL;
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "folder user/%s/%s: its 5.2 directory %s/=user/%s/=%s/%s would be the NMS 4.x "
                    "%s directory \"%s\" of the same owner in the shared partition (both stores "
                    "hash %s to %s): in-place reuse cannot hold this folder; migrate the store "
                    "by copy ([store] nms4-reuse = copy, or --store-reuse copy) or rename the "
                    "folder in the 4.x store first",
                    owner, folder, partition_dir, classic_hash, owner, classic_rel,
                    strcmp(bad, "00") == 0 ? "message" : "staging", bad, owner, classic_hash);
    g_strfreev(parts);
    return ok;
}

/* The device of path or of its nearest existing parent; FALSE if none. */
static gboolean
device_of(const char *path, dev_t *dev_r, char **found_r)
{
    char *p = g_strdup(path);
    for (;;) {
        struct stat st;
        if (stat(p, &st) == 0) {
            *dev_r = st.st_dev;
            *found_r = p;
            return TRUE;
        }
        char *parent = g_path_get_dirname(p);
        gboolean top = strcmp(parent, p) == 0;
        g_free(p);
        p = parent;
        if (top) {
            g_free(p);
            return FALSE;
        }
    }
}

/* Checks one partition directory for in-place reuse. */
static gboolean
reuse_check_partition(const char *name, const char *dir, dev_t tdev, const char *tfound,
                      GError **error)
{
    struct stat st;
    if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "NMS 4.x partition %s: %s is %s; in-place reuse points the 5.2 partition at "
                    "it: fix the 4.x store (or its partitions.conf), or migrate by copy "
                    "([store] nms4-reuse = copy)",
                    name, dir, lstat(dir, &st) != 0 ? "missing" : "not a real directory");
        return FALSE;
    }
    if (st.st_dev != tdev) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "NMS 4.x partition %s (%s) is on another file system than the target (%s): "
                    "in-place reuse hard-links the 4.x message files and moves replaced files "
                    "by rename, which cannot cross file systems (EXDEV); a target on another "
                    "file system or host must use copy ([store] nms4-reuse = copy, or "
                    "--store-reuse copy)",
                    name, dir, tfound);
        return FALSE;
    }
    return TRUE;
}

GHashTable *
msm_core_nms4_source_partitions(MsmCtx *ctx, GError **error)
{
    char *store = source_store_dir(ctx, error);
    if (store == NULL)
        return NULL;
    GHashTable *out = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    Nms4 nm = {0};
    nm.root = (char *)msm_ctx_source_root(ctx);
    nm.store = store;
    gboolean ok = load_partitions(&nm, error);
    GHashTableIter hi;
    gpointer k, v;
    if (ok)
        g_hash_table_iter_init(&hi, nm.partitions);
    while (ok && g_hash_table_iter_next(&hi, &k, &v)) {
        char *d = partition_dir(&nm, k, error);
        ok = d != NULL;
        if (ok)
            g_hash_table_replace(out, g_strdup(k), d);
    }
    char *pbase = g_build_filename(store, "partition", NULL);
    GDir *dh = ok ? g_dir_open(pbase, 0, NULL) : NULL;
    const char *e;
    while (ok && dh && (e = g_dir_read_name(dh)) != NULL)
        if (msm_core_nms4_partition_name_ok(e) && !g_hash_table_contains(out, e))
            g_hash_table_replace(out, g_strdup(e), g_build_filename(pbase, e, NULL));
    if (dh)
        g_dir_close(dh);
    msm_legacy_record_free(nm.partitions);
    g_free(pbase);
    g_free(store);
    if (!ok)
        g_clear_pointer(&out, g_hash_table_unref);
    return out;
}

gboolean
msm_core_nms4_reuse_preflight(MsmCtx *ctx, const char *target_dir, guint *count_r, GError **error)
{
    dev_t tdev = 0;
    char *tfound = NULL;
    if (!device_of(target_dir, &tdev, &tfound)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION, "cannot examine the target %s",
                    target_dir);
        return FALSE;
    }
    GHashTable *parts = msm_core_nms4_source_partitions(ctx, error);
    gboolean ok = parts != NULL;
    if (ok && g_hash_table_size(parts) == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "the NMS 4.x store at %s has no partition directory: nothing to reuse in "
                    "place; check --source (or migrate by copy)",
                    msm_ctx_source_root(ctx));
        ok = FALSE;
    }
    GHashTableIter hi;
    gpointer k, v;
    if (ok)
        g_hash_table_iter_init(&hi, parts);
    while (ok && g_hash_table_iter_next(&hi, &k, &v))
        ok = reuse_check_partition(k, v, tdev, tfound, error);
    /* the destination's partitions of the same names must not hold users elsewhere */
    const char *to = msm_ctx_run_to(ctx);
    MsmLayout *tl =
        ok && to ? msm_layout_resolve(msm_ctx_target_root(ctx), to, msm_ctx_instance(ctx), NULL)
                 : NULL;
    MsmLegacyRecord *tconf = NULL;
    if (tl) {
        char *cp = g_build_filename(msm_layout_store_dir(tl), "partitions.conf", NULL);
        char *text = NULL;
        gsize len = 0;
        if (g_file_get_contents(cp, &text, &len, NULL))
            tconf = msm_legacy_record_parse(text, len, cp, NULL);
        g_free(text);
        g_free(cp);
        g_hash_table_iter_init(&hi, parts);
    }
    while (ok && tl && g_hash_table_iter_next(&hi, &k, &v)) {
        const char *c = tconf ? msm_legacy_record_get(tconf, k) : NULL;
        char *cur =
            c ? (g_path_is_absolute(c) ? g_strdup(c)
                                       : g_build_filename(msm_layout_store_dir(tl), c, NULL))
              : g_build_filename(msm_layout_store_dir(tl), "partition", k, NULL);
        char *users = g_build_filename(cur, "=user", NULL);
        if (strcmp(cur, v) != 0 && g_file_test(users, G_FILE_TEST_EXISTS)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                        "in-place reuse points the %s partition %s at the NMS 4.x partition %s, "
                        "but the target's partition %s already holds users (%s): migrate by "
                        "copy ([store] nms4-reuse = copy) or start from an empty target store",
                        to, (const char *)k, (const char *)v, cur, users);
            ok = FALSE;
        }
        g_free(users);
        g_free(cur);
    }
    if (tconf)
        msm_legacy_record_free(tconf);
    msm_layout_free(tl);
    if (ok && count_r)
        *count_r = g_hash_table_size(parts);
    if (parts)
        g_hash_table_unref(parts);
    g_free(tfound);
    return ok;
}

static const MsmCodec nms4_store_codec = {
    .iface_version = MSM_CODEC_IFACE_VERSION,
    .struct_size = sizeof(MsmCodec),
    .name = "nms4-store",
    .kind = MSM_KIND_STORE,
    .versions = nms4_versions,
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
msm_core_nms4_store_codec(void)
{
    return &nms4_store_codec;
}
