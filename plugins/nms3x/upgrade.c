/*
 * NAME
 *	upgrade.c - the two passes of NMS 4.1's `upgrade` (see upgrade.h)
 * DESCRIPTION
 *	Files (docs/formats/store-nms3.md, "Upgrade files"):
 *	  <default 3.x path>/__upfolder.db       Berkeley DB B-tree: key
 *	      "user/<owner>/<MUTF-7 folder>", record path3 (the 3.x folder
 *	      directory), partition, store (its 3.x mail store path)
 *	  <default 3.x path>/__up.<partition>.txt the user list of a partition
 *	      in the seed's 3-line header format
 *	  <default 3.x path>/upgrade4x.conf      status marker of the folder pass
 *	  <3.x path>/.0004x.<partition>          the new 4.x partition directory
 *	      of a non-default mail store path (listed in the 4.1 store's
 *	      partitions.conf, root-relative)
 *	The 4.1 side is the NMS 4.x store model (store-nms4.md); a folder pass
 *	record carries state=TRANSITION and the message pass's one
 *	state=NON-TRANSITION.
 *	Threads: the producer alone reads __upfolder.db; workers copy message
 *	files in parallel and take db_lock only to read or update data.db2 and
 *	quota.db2 (Berkeley DB handles opened without an environment are not
 *	shared between threads otherwise). Each 3.x folder is locked with
 *	flock(2) on its store.idx while it migrates, so a second upgrade
 *	process or the dynamic mode never migrates it twice at once.
 */
#include "config.h"

#include "upgrade.h"

#include "codec-nms3-store.h"

#include "legacy-store.h"
#include "mutf7.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

typedef struct {
    const Nms3xUpgradeOptions *opts;
    GPtrArray *paths; /* 3.x mail store paths */
    GPtrArray *names; /* their partition names */
    char *store4;     /* 4.1 store directory */
    MsmLegacyDb *data, *quota, *map;
    GMutex db_lock; /* data, quota, stats */
    Nms3xUpgradeStats stats;
    FILE *log;
    GMutex log_lock;
} Up;

static void up_log(Up *u, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void
up_log(Up *u, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_mutex_lock(&u->log_lock);
    fprintf(u->log, "upgrade: %s\n", s);
    fflush(u->log);
    g_mutex_unlock(&u->log_lock);
    g_free(s);
}

static void
up_free(Up *u)
{
    msm_legacy_db_close(u->data);
    msm_legacy_db_close(u->quota);
    msm_legacy_db_close(u->map);
    if (u->paths)
        g_ptr_array_unref(u->paths);
    if (u->names)
        g_ptr_array_unref(u->names);
    g_free(u->store4);
    g_mutex_clear(&u->db_lock);
    g_mutex_clear(&u->log_lock);
    g_free(u);
}

/* Paths, partition names (duplicates refused) and the 4.1 store directory. */
static Up *
up_new(const Nms3xUpgradeOptions *opts, GError **error)
{
    Up *u = g_new0(Up, 1);
    g_mutex_init(&u->db_lock);
    g_mutex_init(&u->log_lock);
    u->opts = opts;
    u->log = opts->log ? opts->log : stderr;
    u->paths = nms3x_store_paths(opts->source_root, opts->source_instance, error);
    if (u->paths == NULL) {
        up_free(u);
        return NULL;
    }
    if (!msm_is_real_dir(u->paths->pdata[0])) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s: no NMS 3.x default mail store directory; check the source root",
                    (char *)u->paths->pdata[0]);
        up_free(u);
        return NULL;
    }
    u->names = g_ptr_array_new_with_free_func(g_free);
    GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal);
    GString *dups = g_string_new(NULL);
    for (guint i = 0; i < u->paths->len; i++) {
        char *n = nms3x_partition_name(u->paths->pdata[i], i);
        g_ptr_array_add(u->names, n);
        if (*n == '\0')
            g_string_append_printf(dups, "\n  %s gives an empty partition name",
                                   (char *)u->paths->pdata[i]);
        else if (g_hash_table_contains(seen, n)) {
            GString *l = g_string_new(NULL);
            for (guint j = 0; j <= i; j++)
                if (strcmp(u->names->pdata[j], n) == 0)
                    g_string_append_printf(l, " %s", (char *)u->paths->pdata[j]);
            g_string_append_printf(dups, "\n  partition \"%s\" from:%s", n, l->str);
            g_string_free(l, TRUE);
        }
        g_hash_table_add(seen, n);
    }
    g_hash_table_unref(seen);
    if (dups->len) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "mail store paths give duplicate partition names (the last path component "
                    "with non-alphanumerics stripped, lowercased):%s\nRename the mail store "
                    "paths, move the users into them, change the users' LDAP entries, and rerun "
                    "the folder pass",
                    dups->str);
        g_string_free(dups, TRUE);
        up_free(u);
        return NULL;
    }
    g_string_free(dups, TRUE);
    u->store4 =
        msm_layout_resolve_store_dir(opts->target_root, "nms-4.1", opts->target_instance, error);
    if (u->store4 == NULL) {
        up_free(u);
        return NULL;
    }
    return u;
}

static gboolean
open_4x(Up *u, GError **error)
{
    char *mb = g_build_filename(u->store4, "mboxlist", NULL);
    char *data = g_build_filename(mb, "data.db2", NULL);
    char *quota = g_build_filename(u->store4, "quota.db2", NULL);
    gboolean ok = msm_mkdir_p(mb, FALSE, error) &&
                  (u->data = msm_legacy_db_open(data, TRUE, error)) != NULL &&
                  (u->quota = msm_legacy_db_open(quota, TRUE, error)) != NULL;
    g_free(mb);
    g_free(data);
    g_free(quota);
    return ok;
}

static char *
map_path(Up *u)
{
    return g_build_filename(u->paths->pdata[0], "__upfolder.db", NULL);
}

static char *
folder_key(const char *owner, const char *name, GError **error)
{
    char *m = msm_mutf7_encode(name, error);
    char *k = m ? g_strdup_printf("user/%s/%s", owner, m) : NULL;
    g_free(m);
    return k;
}

/* ---- folder pass ---- */

/* partitions.conf of the 4.1 store: the non-default partitions' directories. */
static gboolean
write_partitions(Up *u, GError **error)
{
    MsmLegacyRecord *r = msm_legacy_record_new();
    gsize rl = strlen(u->opts->target_root);
    gboolean ok = TRUE;
    for (guint i = 1; ok && i < u->paths->len; i++) {
        char *dir =
            g_strdup_printf("%s/.0004x.%s", (char *)u->paths->pdata[i], (char *)u->names->pdata[i]);
        if (strncmp(dir, u->opts->target_root, rl) != 0 || dir[rl] != '/') {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                        "%s: the 3.x mail store path is outside the 4.1 deployment root %s; "
                        "upgrade in place (the same server root) or move the mail store first",
                        (char *)u->paths->pdata[i], u->opts->target_root);
            ok = FALSE;
        } else {
            ok = msm_mkdir_p(dir, FALSE, error);
            msm_legacy_record_set(r, u->names->pdata[i], dir + rl + 1);
        }
        g_free(dir);
    }
    if (ok) {
        char *s = msm_legacy_record_to_string(r);
        char *p = g_build_filename(u->store4, "partitions.conf", NULL);
        ok = msm_write_file_atomic(p, s, strlen(s), 0644, error);
        g_free(p);
        g_free(s);
    }
    msm_legacy_record_free(r);
    return ok;
}

/* Enters one folder: mapping record, data.db2 TRANSITION record. */
static gboolean
enter_folder(Up *u, guint pi, const char *user, const char *name, const char *dir, GError **error)
{
    char *key = folder_key(user, name, error);
    if (key == NULL)
        return FALSE;
    MsmLegacyRecord *m = msm_legacy_record_new();
    msm_legacy_record_set(m, "path3", dir);
    msm_legacy_record_set(m, "partition", u->names->pdata[pi]);
    msm_legacy_record_set(m, "store", u->paths->pdata[pi]);
    char *ms = msm_legacy_record_to_string(m);
    msm_legacy_record_free(m);
    gboolean ok = msm_legacy_db_put(u->map, key, ms, error);
    g_free(ms);
    char *old = ok ? msm_legacy_db_get(u->data, key, error) : NULL;
    if (ok && old && strstr(old, "state=NON-TRANSITION\n")) {
        /* already migrated: a rerun of the folder pass never resets it */
    } else if (ok) {
        MsmFolder *f =
            nms3x_read_folder(u->paths->pdata[pi], u->names->pdata[pi], user, name, dir, error);
        char *rec = NULL;
        ok = f != NULL && msm_core_nms4_folder_record(f, "TRANSITION", &rec, error) &&
             msm_legacy_db_put(u->data, key, rec, error);
        g_free(rec);
        msm_folder_free(f);
    }
    g_free(old);
    g_free(key);
    return ok;
}

gboolean
nms3x_upgrade_folders(const Nms3xUpgradeOptions *opts, Nms3xUpgradeStats *stats, GError **error)
{
    Up *u = up_new(opts, error);
    if (u == NULL)
        return FALSE;
    char *mp = map_path(u);
    gboolean ok = open_4x(u, error) && write_partitions(u, error) &&
                  (u->map = msm_legacy_db_open(mp, TRUE, error)) != NULL;
    g_free(mp);
    for (guint pi = 0; ok && pi < u->paths->len; pi++) {
        GPtrArray *unsafe = g_ptr_array_new_with_free_func(g_free);
        GPtrArray *users = nms3x_list_users(u->paths->pdata[pi], unsafe);
        GString *list = g_string_new(NULL);
        g_string_append_printf(list,
                               "[4x partition]:%s\n[3x MailStorePath]:%s\n"
                               "#---------List of mail user id ------\n",
                               (char *)u->names->pdata[pi], (char *)u->paths->pdata[pi]);
        for (guint ui = 0; ok && ui < users->len; ui++) {
            const char *user = users->pdata[ui];
            g_string_append_printf(list, "%s\n", user);
            u->stats.users++;
            GPtrArray *fl = nms3x_list_folders(u->paths->pdata[pi], user, unsafe);
            for (guint fi = 0; ok && fi + 1 < fl->len; fi += 2) {
                GError *err = NULL;
                if (enter_folder(u, pi, user, fl->pdata[fi], fl->pdata[fi + 1], &err))
                    u->stats.folders++;
                else if (err->code == MSM_ERROR_IO) {
                    g_propagate_error(error, err);
                    ok = FALSE;
                } else {
                    up_log(u, "user %s, folder %s: %s; not entered", user, (char *)fl->pdata[fi],
                           err->message);
                    u->stats.failed_folders++;
                    g_error_free(err);
                }
            }
            g_ptr_array_unref(fl);
        }
        for (guint i = 0; i < unsafe->len; i++) {
            up_log(u, "%s", (char *)unsafe->pdata[i]);
            u->stats.failed_folders++;
        }
        if (ok) {
            char *lp = g_strdup_printf("%s/__up.%s.txt", (char *)u->paths->pdata[0],
                                       (char *)u->names->pdata[pi]);
            ok = msm_write_file_atomic(lp, list->str, list->len, 0644, error);
            g_free(lp);
        }
        g_string_free(list, TRUE);
        g_ptr_array_unref(users);
        g_ptr_array_unref(unsafe);
    }
    ok = ok && msm_legacy_db_sync(u->map, error) && msm_legacy_db_sync(u->data, error);
    if (ok) {
        char *sp = g_build_filename(u->paths->pdata[0], "upgrade4x.conf", NULL);
        char *s = g_strdup_printf("folders_pass=done\nusers=%" G_GUINT64_FORMAT
                                  "\nfolders=%" G_GUINT64_FORMAT "\n",
                                  u->stats.users, u->stats.folders);
        ok = msm_write_file_atomic(sp, s, strlen(s), 0644, error);
        g_free(s);
        g_free(sp);
    }
    if (stats)
        *stats = u->stats;
    up_free(u);
    return ok;
}

/* ---- message pass ---- */

typedef struct {
    char *key, *owner, *name, *path3, *partition, *store3;
} Work;

static void
work_free(Work *w)
{
    g_free(w->key);
    g_free(w->owner);
    g_free(w->name);
    g_free(w->path3);
    g_free(w->partition);
    g_free(w->store3);
    g_free(w);
}

/* A message iterator that logs and skips messages that cannot be read. */
typedef struct {
    MsmMessageIter *inner;
    Up *up;
    Work *w;
    guint failed;
    GArray *uids; /* migrated */
} SkipIter;

static gboolean
skip_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    SkipIter *s = data;
    for (;;) {
        GError *err = NULL;
        if (msm_message_iter_next(s->inner, msg_r, &err)) {
            if (*msg_r)
                g_array_append_val(s->uids, (*msg_r)->uid);
            return TRUE;
        }
        up_log(s->up, "user %s, folder %s: %s; message left in place", s->w->owner, s->w->name,
               err->message);
        s->failed++;
        g_error_free(err);
    }
}

static void
skip_free(gpointer data)
{
    SkipIter *s = data;
    msm_message_iter_free(s->inner);
    g_array_unref(s->uids);
    g_free(s);
}

/* Migrates one folder's messages (the worker). */
static void
migrate_folder(Up *u, Work *w)
{
    const char *label = w->key;
    g_mutex_lock(&u->db_lock);
    GError *err = NULL;
    char *rec = msm_legacy_db_get(u->data, w->key, &err);
    g_mutex_unlock(&u->db_lock);
    if (rec == NULL) {
        up_log(u, "%s: %s", label,
               err ? err->message
                   : "not in the 4.1 folder database: run the folder pass "
                     "(upgrade -s) again");
        g_clear_error(&err);
        g_mutex_lock(&u->db_lock);
        u->stats.failed_folders++;
        g_mutex_unlock(&u->db_lock);
        return;
    }
    gboolean done = strstr(rec, "state=NON-TRANSITION\n") != NULL;
    g_free(rec);
    if (done) {
        g_mutex_lock(&u->db_lock);
        u->stats.skipped++;
        g_mutex_unlock(&u->db_lock);
        return;
    }
    char *idx = g_build_filename(w->path3, "00", "store.idx", NULL);
    int lfd = open(idx, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (lfd < 0 || flock(lfd, LOCK_EX | LOCK_NB) != 0) {
        up_log(u, "%s: cannot lock %s (%s): another upgrade holds it; left in TRANSITION", label,
               idx, g_strerror(errno));
        if (lfd >= 0)
            close(lfd);
        g_free(idx);
        g_mutex_lock(&u->db_lock);
        u->stats.failed_folders++;
        g_mutex_unlock(&u->db_lock);
        return;
    }
    MsmFolder *f = nms3x_read_folder(w->store3, w->partition, w->owner, w->name, w->path3, &err);
    SkipIter *s = NULL;
    char *pdir = NULL, *rel = NULL, *fdir = NULL;
    guint64 count = 0;
    gint64 bytes = 0;
    gboolean ok = f != NULL;
    if (ok) {
        s = g_new0(SkipIter, 1);
        s->inner = f->messages;
        s->up = u;
        s->w = w;
        s->uids = g_array_new(FALSE, FALSE, sizeof(guint32));
        f->messages = msm_message_iter_new(skip_next, s, skip_free);
    }
    ok = ok && (pdir = msm_core_nms4_partition_dir(u->opts->target_root, u->store4, w->partition,
                                                   &err)) != NULL;
    ok = ok && (rel = msm_core_nms4_folder_relpath(w->owner, w->name, &err)) != NULL;
    ok = ok && msm_mkdir_p(pdir, FALSE, &err) &&
         (fdir = msm_legacy_mkdir_under(pdir, rel, &err)) != NULL;
    ok = ok && msm_legacy_msgdir_write(fdir, "00", f->messages, &count, &bytes, &err);
    guint failed = s ? s->failed : 0;
    GArray *uids = s ? g_array_ref(s->uids) : NULL;
    if (ok && failed == 0) {
        f->message_count = count;
        char *nrec = NULL;
        g_mutex_lock(&u->db_lock);
        ok = msm_core_nms4_folder_record(f, "NON-TRANSITION", &nrec, &err) &&
             msm_legacy_db_put(u->data, w->key, nrec, &err) &&
             msm_core_nms4_put_owner(u->store4, u->quota, f->owner, &err);
        g_mutex_unlock(&u->db_lock);
        g_free(nrec);
    }
    guint64 removed = 0;
    if (ok && failed == 0 && u->opts->remove) {
        /* -r: the message files only, never a directory */
        for (guint i = 0; i < uids->len; i++) {
            char *p = g_strdup_printf("%s/00/%u.msg", w->path3, g_array_index(uids, guint32, i));
            if (g_unlink(p) == 0)
                removed++;
            g_free(p);
        }
        GError *e2 = NULL;
        if (!msm_write_file_atomic(idx, "", 0, 0600, &e2)) {
            up_log(u, "%s: %s", label, e2->message);
            g_error_free(e2);
        }
    }
    g_mutex_lock(&u->db_lock);
    if (ok && failed == 0) {
        u->stats.folders++;
        u->stats.messages += count;
        u->stats.bytes += (guint64)bytes;
        u->stats.removed += removed;
    } else {
        u->stats.failed_folders++;
        u->stats.failed_messages += failed;
    }
    g_mutex_unlock(&u->db_lock);
    if (!ok)
        up_log(u, "%s: %s; left in TRANSITION", label, err ? err->message : "failed");
    else if (failed)
        up_log(u,
               "%s: %u message(s) could not be migrated; the folder stays in TRANSITION "
               "and the next run (upgrade -m or -u) migrates it again",
               label, failed);
    g_clear_error(&err);
    if (uids)
        g_array_unref(uids);
    msm_folder_free(f);
    flock(lfd, LOCK_UN);
    close(lfd);
    g_free(idx);
    g_free(pdir);
    g_free(rel);
    g_free(fdir);
}

static void
worker(gpointer data, gpointer user_data)
{
    migrate_folder(user_data, data);
    work_free(data);
}

gboolean
nms3x_userlist_load(const char *path, char **partition_r, char **store_path_r, GPtrArray **users_r,
                    GError **error)
{
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, error))
        return FALSE;
    char **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    guint n = g_strv_length(lines);
    const char *err = NULL;
    guint bad = 0;
    if (n < 3 || !g_str_has_prefix(lines[0], "[4x partition]:") || lines[0][15] == '\0')
        err = "the first line must be \"[4x partition]:<partition>\"", bad = 1;
    else if (!g_str_has_prefix(lines[1], "[3x MailStorePath]:") || lines[1][19] == '\0')
        err = "the second line must be \"[3x MailStorePath]:<path>\"", bad = 2;
    else if (lines[2][0] != '#')
        err = "the third line must be \"#---------List of mail user id ------\"", bad = 3;
    GPtrArray *users = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 3; !err && i < n; i++) {
        if (lines[i][0] == '\0')
            continue; /* a final newline, or a blank line the seed asks not to leave */
        if (!msm_legacy_user_is_safe(lines[i]))
            err = "a user id line holds a space or a character no user id may hold", bad = i + 1;
        else
            g_ptr_array_add(users, g_strdup(lines[i]));
    }
    if (err) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: line %u: %s", path, bad, err);
        g_ptr_array_unref(users);
        g_strfreev(lines);
        return FALSE;
    }
    *partition_r = g_strdup(lines[0] + 15);
    *store_path_r = g_strdup(lines[1] + 19);
    *users_r = users;
    g_strfreev(lines);
    return TRUE;
}

/* A work item from a mapping record. */
static Work *
work_from_map(const char *key, const char *val, GError **error)
{
    MsmLegacyRecord *r = msm_legacy_record_parse(val, strlen(val), key, error);
    if (r == NULL)
        return NULL;
    Work *w = g_new0(Work, 1);
    w->key = g_strdup(key);
    w->path3 = g_strdup(msm_legacy_record_get(r, "path3"));
    w->partition = g_strdup(msm_legacy_record_get(r, "partition"));
    w->store3 = g_strdup(msm_legacy_record_get(r, "store"));
    msm_legacy_record_free(r);
    if (w->path3 == NULL || w->partition == NULL || w->store3 == NULL ||
        !msm_core_nms4_split_key(key, &w->owner, &w->name, error)) {
        if (error && *error == NULL)
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "__upfolder.db key %s: record lacks path3, partition or store", key);
        work_free(w);
        return NULL;
    }
    return w;
}

/* Opens what the message pass needs; FALSE with a precondition error when
 * the folder pass has not run. */
static Up *
open_message_pass(const Nms3xUpgradeOptions *opts, GError **error)
{
    Up *u = up_new(opts, error);
    if (u == NULL)
        return NULL;
    char *marker = g_build_filename(u->paths->pdata[0], "upgrade4x.conf", NULL);
    char *mp = map_path(u);
    gboolean ok = TRUE;
    if (!g_file_test(marker, G_FILE_TEST_IS_REGULAR) || !g_file_test(mp, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "%s: the folder pass has not run (no upgrade4x.conf / __upfolder.db): run "
                    "`msmigrate store upgrade -s` first",
                    (char *)u->paths->pdata[0]);
        ok = FALSE;
    }
    ok = ok && open_4x(u, error) && (u->map = msm_legacy_db_open(mp, FALSE, error)) != NULL;
    g_free(marker);
    g_free(mp);
    if (!ok) {
        up_free(u);
        return NULL;
    }
    return u;
}

gboolean
nms3x_upgrade_messages(const Nms3xUpgradeOptions *opts, const char *userlist,
                       Nms3xUpgradeStats *stats, GError **error)
{
    Up *u = open_message_pass(opts, error);
    if (u == NULL)
        return FALSE;
    guint threads = opts->threads ? opts->threads : 5;
    guint qsize = opts->queue_size ? opts->queue_size : 50;
    GThreadPool *pool = g_thread_pool_new(worker, u, (gint)MIN(threads, 256u), FALSE, NULL);
    gboolean ok = TRUE;
#define PUSH(w)                                                                                    \
    do {                                                                                           \
        while (g_thread_pool_unprocessed(pool) >= qsize)                                           \
            g_usleep(1000);                                                                        \
        g_thread_pool_push(pool, (w), NULL);                                                       \
    } while (0)
    if (userlist == NULL) {
        /* -m: folder based, every folder of __upfolder.db */
        gpointer cur = NULL;
        char *k = NULL, *v = NULL;
        GError *err = NULL;
        while (msm_legacy_db_next(u->map, &cur, &k, &v, &err)) {
            GError *e2 = NULL;
            Work *w = work_from_map(k, v, &e2);
            if (w)
                PUSH(w);
            else {
                up_log(u, "%s", e2->message);
                g_error_free(e2);
            }
            g_free(k);
            g_free(v);
        }
        if (err) {
            g_propagate_error(error, err);
            ok = FALSE;
        }
    } else {
        /* -u: the users of one mail store path, located without LDAP */
        char *part = NULL, *spath = NULL;
        GPtrArray *users = NULL;
        ok = nms3x_userlist_load(userlist, &part, &spath, &users, error);
        guint pi = 0;
        if (ok) {
            for (pi = 0; pi < u->paths->len; pi++)
                if (strcmp(u->paths->pdata[pi], spath) == 0)
                    break;
            if (pi == u->paths->len || strcmp(u->names->pdata[pi], part) != 0) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                            "%s: [3x MailStorePath]:%s with [4x partition]:%s is not one of "
                            "the mail store paths the folder pass found (see the __up.*.txt "
                            "files it wrote)",
                            userlist, spath, part);
                ok = FALSE;
            }
        }
        for (guint ui = 0; ok && ui < users->len; ui++) {
            GPtrArray *fl = nms3x_list_folders(spath, users->pdata[ui], NULL);
            for (guint fi = 0; fi + 1 < fl->len; fi += 2) {
                GError *e2 = NULL;
                char *key = folder_key(users->pdata[ui], fl->pdata[fi], &e2);
                char *v = key ? msm_legacy_db_get(u->map, key, &e2) : NULL;
                Work *w = v ? work_from_map(key, v, &e2) : NULL;
                if (w)
                    PUSH(w);
                else {
                    up_log(u, "user %s, folder %s: %s", (char *)users->pdata[ui],
                           (char *)fl->pdata[fi],
                           e2 ? e2->message
                              : "not in __upfolder.db: run the folder pass (upgrade -s) again");
                    g_clear_error(&e2);
                    u->stats.failed_folders++;
                }
                g_free(key);
                g_free(v);
            }
            g_ptr_array_unref(fl);
        }
        g_free(part);
        g_free(spath);
        if (users)
            g_ptr_array_unref(users);
    }
#undef PUSH
    g_thread_pool_free(pool, FALSE, TRUE);
    ok = msm_legacy_db_sync(u->data, ok ? error : NULL) && ok;
    ok = msm_legacy_db_sync(u->quota, ok ? error : NULL) && ok;
    if (stats)
        *stats = u->stats;
    up_free(u);
    return ok;
}

gboolean
nms3x_upgrade_folder_on_demand(const Nms3xUpgradeOptions *opts, const char *owner,
                               const char *folder, Nms3xUpgradeStats *stats, GError **error)
{
    Up *u = open_message_pass(opts, error);
    if (u == NULL)
        return FALSE;
    char *key = folder_key(owner, folder, error);
    char *v = key ? msm_legacy_db_get(u->map, key, error) : NULL;
    gboolean ok = FALSE;
    if (key && v == NULL && (error == NULL || *error == NULL))
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "folder %s of %s is not in __upfolder.db: run the folder pass first", folder,
                    owner);
    Work *w = v ? work_from_map(key, v, error) : NULL;
    if (w) {
        migrate_folder(u, w);
        work_free(w);
        ok = msm_legacy_db_sync(u->data, error) && msm_legacy_db_sync(u->quota, error);
        if (ok && u->stats.failed_folders) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                        "folder %s of %s could not be migrated completely (see the log); it "
                        "stays in TRANSITION",
                        folder, owner);
            ok = FALSE;
        }
    }
    if (stats)
        *stats = u->stats;
    g_free(key);
    g_free(v);
    up_free(u);
    return ok;
}

/* ---- the hop's store migrator ---- */

static gboolean
hop_preflight(MsmCtx *ctx, GError **error)
{
    Nms3xUpgradeOptions o = {0};
    o.source_root = msm_ctx_source_root(ctx);
    o.source_instance = msm_ctx_instance(ctx);
    o.target_root = msm_ctx_target_root(ctx);
    o.target_instance = msm_ctx_instance(ctx);
    Up *u = up_new(&o, error); /* refuses duplicate partition names */
    if (u == NULL)
        return FALSE;
    up_free(u);
    return TRUE;
}

static MsmResult
hop_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    MsmFolder *f = item->payload;
    if (!msm_core_nms4_partition_name_ok(f->owner->partition)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "%s: partition \"%s\" is not a valid NMS 4.x partition name (letters and "
                    "digits): rename its mail store path",
                    item->key, f->owner->partition ? f->owner->partition : "");
        return MSM_RESULT_ERROR;
    }
    return MSM_RESULT_CONTINUE;
}

const MsmStoreMigrator nms3x_store_3x_41 = {
    .iface_version = MSM_STORE_IFACE_VERSION,
    .struct_size = sizeof(MsmStoreMigrator),
    .preflight = hop_preflight,
    .transform = hop_transform,
};
