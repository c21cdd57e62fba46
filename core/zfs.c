/*
 * NAME
 *	zfs.c - ZFS operations through the zfs command (see zfs.h)
 */
#include "config.h"

#include "zfs.h"

#include <msmigrate/error.h>

#include <stdlib.h>
#include <string.h>

static const char *
zfs_program(void)
{
    const char *p = g_getenv("MSMIGRATE_ZFS");
    return p && *p ? p : "zfs";
}

void
msm_zfs_snapshot_free(MsmZfsSnapshot *s)
{
    if (s == NULL)
        return;
    g_free(s->name);
    g_free(s->dataset);
    g_free(s->run_id);
    g_free(s);
}

/* Runs zfs with args (NULL-terminated); *out_r gets stdout. FALSE + error with
 * zfs's stderr on failure. */
static gboolean
run_zfs(const char *const *args, char **out_r, GError **error)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)zfs_program());
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *err = NULL;
    int status = 0;
    GError *e = NULL;
    gboolean ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &e);
    GString *cmd = g_string_new(zfs_program());
    for (const char *const *a = args; *a; a++)
        g_string_append_printf(cmd, " %s", *a);
    if (!ok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "cannot run \"%s\": %s (install ZFS: Debian zfsutils-linux or zfs-fuse; "
                    "or name the program with MSMIGRATE_ZFS)",
                    cmd->str, e->message);
        g_error_free(e);
    } else if (!g_spawn_check_wait_status(status, NULL)) {
        g_strstrip(err);
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED, "\"%s\" failed: %s", cmd->str,
                    *err ? err : "no message");
        ok = FALSE;
    }
    g_string_free(cmd, TRUE);
    g_ptr_array_unref(argv);
    g_free(err);
    if (ok && out_r)
        *out_r = out;
    else
        g_free(out);
    return ok;
}

gboolean
msm_zfs_available(GError **error)
{
    const char *args[] = {"list", "-H", "-o", "name", NULL};
    return run_zfs(args, NULL, error);
}

/* The real location of path, or of its nearest existing ancestor followed by
 * the rest. (transfer full) */
static char *
real_location(const char *path)
{
    char *abs = g_canonicalize_filename(path, NULL);
    GString *rest = g_string_new(NULL);
    char *cur = g_strdup(abs);
    char *real = NULL;
    for (;;) {
        real = realpath(cur, NULL);
        if (real != NULL || strcmp(cur, "/") == 0)
            break;
        char *base = g_path_get_basename(cur);
        g_string_prepend(rest, base);
        g_string_prepend_c(rest, '/');
        g_free(base);
        char *up = g_path_get_dirname(cur);
        g_free(cur);
        cur = up;
    }
    char *result = g_strconcat(real ? real : "/", rest->str, NULL);
    if (real && strcmp(real, "/") == 0 && rest->len)
        memmove(result, result + 1, strlen(result)); /* "//x" -> "/x" */
    free(real);
    g_free(cur);
    g_free(abs);
    g_string_free(rest, TRUE);
    return result;
}

static gboolean
is_under(const char *path, const char *dir)
{
    gsize n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return TRUE;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

char *
msm_zfs_dataset_of(const char *path, char **mountpoint_r, GError **error)
{
    const char *args[] = {"list", "-H", "-t", "filesystem", "-o", "name,mountpoint,mounted", NULL};
    char *out = NULL;
    if (!run_zfs(args, &out, error))
        return NULL;
    char *where = real_location(path);
    char *best = NULL, *best_mp = NULL;
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        char **f = g_strsplit(*l, "\t", -1);
        if (g_strv_length(f) >= 3 && f[1][0] == '/' && strcmp(f[2], "yes") == 0 &&
            is_under(where, f[1]) && (best_mp == NULL || strlen(f[1]) > strlen(best_mp))) {
            g_free(best);
            g_free(best_mp);
            best = g_strdup(f[0]);
            best_mp = g_strdup(f[1]);
        }
        g_strfreev(f);
    }
    g_strfreev(lines);
    g_free(out);
    if (best == NULL)
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "%s is not on a mounted ZFS dataset (zfs list shows none mounted at or "
                    "above %s)",
                    path, where);
    g_free(where);
    if (mountpoint_r && best)
        *mountpoint_r = best_mp;
    else
        g_free(best_mp);
    return best;
}

gboolean
msm_zfs_available_bytes(const char *dataset, guint64 *bytes_r, GError **error)
{
    const char *args[] = {"get", "-H", "-p", "-o", "value", "available", dataset, NULL};
    char *out = NULL;
    if (!run_zfs(args, &out, error))
        return FALSE;
    g_strstrip(out);
    char *end = NULL;
    guint64 v = g_ascii_strtoull(out, &end, 10);
    gboolean ok = end && end != out && *end == '\0';
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                    "zfs get available %s printed \"%s\", not a number of bytes", dataset, out);
    else
        *bytes_r = v;
    g_free(out);
    return ok;
}

char *
msm_zfs_snapshot_name(const char *dataset, const char *run_id, gint64 when)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(when);
    char *stamp = g_date_time_format(dt, "%Y%m%d%H%M%S");
    g_date_time_unref(dt);
    char *name = g_strdup_printf("%s@" MSM_ZFS_SNAPSHOT_PREFIX "%s-%s", dataset,
                                 run_id ? run_id : "manual", stamp);
    g_free(stamp);
    return name;
}

static gboolean
snapshot_name_ok(const char *name, GError **error)
{
    const char *at = strchr(name, '@');
    gboolean ok = at && at != name && at[1] && strchr(at + 1, '@') == NULL &&
                  strspn(at + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-") ==
                      strlen(at + 1);
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "\"%s\" is not a snapshot name (DATASET@NAME; see msmigrate snapshot list)",
                    name);
    return ok;
}

gboolean
msm_zfs_snapshot(const char *name, GError **error)
{
    if (!snapshot_name_ok(name, error))
        return FALSE;
    const char *args[] = {"snapshot", name, NULL};
    return run_zfs(args, NULL, error);
}

gboolean
msm_zfs_rollback(const char *name, gboolean destroy_later, GError **error)
{
    if (!snapshot_name_ok(name, error))
        return FALSE;
    const char *args_r[] = {"rollback", "-r", name, NULL};
    const char *args[] = {"rollback", name, NULL};
    return run_zfs(destroy_later ? args_r : args, NULL, error);
}

gboolean
msm_zfs_destroy_snapshot(const char *name, GError **error)
{
    if (!snapshot_name_ok(name, error))
        return FALSE;
    const char *args[] = {"destroy", name, NULL};
    return run_zfs(args, NULL, error);
}

/* "msmigrate-<run>-<14 digits>" -> run id (NULL for manual or another shape). */
static char *
run_of(const char *snap)
{
    if (!g_str_has_prefix(snap, MSM_ZFS_SNAPSHOT_PREFIX))
        return NULL;
    const char *r = snap + strlen(MSM_ZFS_SNAPSHOT_PREFIX);
    gsize n = strlen(r);
    if (n < 16 || r[n - 15] != '-' || strspn(r + n - 14, "0123456789") != 14)
        return NULL;
    char *id = g_strndup(r, n - 15);
    if (strcmp(id, "manual") == 0) {
        g_free(id);
        return NULL;
    }
    return id;
}

static gint
by_created(gconstpointer a, gconstpointer b)
{
    const MsmZfsSnapshot *x = *(MsmZfsSnapshot *const *)a, *y = *(MsmZfsSnapshot *const *)b;
    if (x->created != y->created)
        return x->created < y->created ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Names are listed first (`zfs list` of zfs-fuse has no -p), then their creation
 * time and space in exact numbers with one `zfs get -p`. */
GPtrArray *
msm_zfs_list_snapshots(const char *dataset, GError **error)
{
    const char *args_d[] = {"list", "-H", "-t", "snapshot", "-o", "name", "-r", dataset, NULL};
    const char *args[] = {"list", "-H", "-t", "snapshot", "-o", "name", NULL};
    char *out = NULL;
    if (!run_zfs(dataset ? args_d : args, &out, error))
        return NULL;
    GPtrArray *res = g_ptr_array_new_with_free_func((GDestroyNotify)msm_zfs_snapshot_free);
    GHashTable *by_name = g_hash_table_new(g_str_hash, g_str_equal);
    GPtrArray *get = g_ptr_array_new();
    g_ptr_array_add(get, (gpointer) "get");
    g_ptr_array_add(get, (gpointer) "-H");
    g_ptr_array_add(get, (gpointer) "-p");
    g_ptr_array_add(get, (gpointer) "-o");
    g_ptr_array_add(get, (gpointer) "name,property,value");
    g_ptr_array_add(get, (gpointer) "creation,used");
    char **lines = g_strsplit(out, "\n", -1);
    for (char **l = lines; *l; l++) {
        const char *at = strchr(*l, '@');
        if (at == NULL || !g_str_has_prefix(at + 1, MSM_ZFS_SNAPSHOT_PREFIX))
            continue;
        if (dataset && !(strlen(dataset) == (gsize)(at - *l) && strncmp(*l, dataset, strlen(dataset)) == 0))
            continue; /* -r lists the children's snapshots too */
        MsmZfsSnapshot *s = g_new0(MsmZfsSnapshot, 1);
        s->name = g_strdup(*l);
        s->dataset = g_strndup(*l, (gsize)(at - *l));
        s->run_id = run_of(at + 1);
        g_ptr_array_add(res, s);
        g_hash_table_insert(by_name, s->name, s);
        g_ptr_array_add(get, s->name);
    }
    g_strfreev(lines);
    g_free(out);
    out = NULL;
    g_ptr_array_add(get, NULL);
    gboolean ok = TRUE;
    if (res->len > 0 && (ok = run_zfs((const char *const *)get->pdata, &out, error))) {
        lines = g_strsplit(out, "\n", -1);
        for (char **l = lines; *l; l++) {
            char **f = g_strsplit(*l, "\t", -1);
            MsmZfsSnapshot *s = g_strv_length(f) >= 3 ? g_hash_table_lookup(by_name, f[0]) : NULL;
            if (s && strcmp(f[1], "creation") == 0)
                s->created = g_ascii_strtoll(f[2], NULL, 10);
            else if (s && strcmp(f[1], "used") == 0)
                s->used = g_ascii_strtoull(f[2], NULL, 10);
            g_strfreev(f);
        }
        g_strfreev(lines);
        g_free(out);
    }
    g_ptr_array_unref(get);
    g_hash_table_unref(by_name);
    if (!ok) {
        g_ptr_array_unref(res);
        return NULL;
    }
    g_ptr_array_sort(res, by_created);
    return res;
}

gboolean
msm_zfs_snapshot_exists(const char *name)
{
    const char *args[] = {"list", "-H", "-t", "snapshot", "-o", "name", name, NULL};
    return run_zfs(args, NULL, NULL);
}
