/*
 * NAME
 *	util.c - small helpers shared by core modules (see util.h)
 * DIAGNOSTICS
 *	I/O failures are MSM_ERROR_IO naming the path and the system's reason
 *	(MSM_ERROR_NO_SPACE when the file system is full).
 */
#include "config.h"

#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

gboolean
msm_mkdir_p(const char *path, gboolean private_dir, GError **error)
{
    if (g_mkdir_with_parents(path, private_dir ? 0700 : 0755) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, msm_io_error_code(e), "cannot create directory %s: %s", path,
                    g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

static gboolean
fsync_dir(const char *dir, GError **error)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot open directory %s: %s", dir,
                    g_strerror(e));
        return FALSE;
    }
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0 && e != EINVAL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot sync directory %s: %s", dir,
                    g_strerror(e));
        return FALSE;
    }
    return TRUE;
}

gboolean
msm_write_file_atomic(const char *path, const void *data, gsize len, guint mode, GError **error)
{
    gboolean ok = FALSE;
    char *dir = g_path_get_dirname(path);
    char *base = g_path_get_basename(path);
    static gint counter;
    char *tmp = g_strdup_printf("%s/.%s.tmp-%d-%d", dir, base, (int)getpid(),
                                g_atomic_int_add(&counter, 1));
    unlink(tmp); /* a leftover of a killed process that had the same pid */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode & 07777);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, msm_io_error_code(e), "cannot create %s: %s", tmp, g_strerror(e));
        goto out;
    }
    const guint8 *p = data;
    gsize left = len;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            g_set_error(error, MSM_ERROR, msm_io_error_code(e), "cannot write %s: %s", tmp,
                        g_strerror(e));
            close(fd);
            unlink(tmp);
            goto out;
        }
        p += n;
        left -= (gsize)n;
    }
    if (fchmod(fd, mode & 07777) != 0 || fsync(fd) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, msm_io_error_code(e), "cannot sync %s: %s", tmp, g_strerror(e));
        close(fd);
        unlink(tmp);
        goto out;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot rename %s to %s: %s", tmp, path,
                    g_strerror(e));
        unlink(tmp);
        goto out;
    }
    ok = fsync_dir(dir, error);
out:
    g_free(tmp);
    g_free(base);
    g_free(dir);
    return ok;
}

char *
msm_sha256_hex(const void *data, gsize len)
{
    return g_compute_checksum_for_data(G_CHECKSUM_SHA256, data, len);
}

char *
msm_new_run_id(void)
{
    GDateTime *now = g_date_time_new_now_utc();
    char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");
    g_date_time_unref(now);
    char *id = g_strdup_printf("%s-%06x", stamp, (unsigned)g_random_int_range(0, 0xffffff));
    g_free(stamp);
    return id;
}

gboolean
msm_relpath_is_safe(const char *rel)
{
    if (rel == NULL || *rel == '\0' || *rel == '/' || strchr(rel, '\\') != NULL)
        return FALSE;
    char **parts = g_strsplit(rel, "/", -1);
    gboolean ok = TRUE;
    for (char **p = parts; *p; p++) {
        if (**p == '\0' || strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0) {
            ok = FALSE;
            break;
        }
    }
    g_strfreev(parts);
    return ok;
}

char *
msm_path_under(const char *root, const char *rel, GError **error)
{
    if (!msm_relpath_is_safe(rel)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "refusing path \"%s\" below %s: it is absolute, empty or contains \"..\"",
                    rel ? rel : "(null)", root);
        return NULL;
    }
    return g_build_filename(root, rel, NULL);
}

gboolean
msm_is_real_dir(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

gint
msm_strcmp_ptr(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean
msm_dir_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

gboolean
msm_has_dir(const char *dir, const char *rel)
{
    char *p = g_build_filename(dir, rel, NULL);
    gboolean r = msm_dir_exists(p);
    g_free(p);
    return r;
}

gboolean
msm_has_path(const char *dir, const char *rel)
{
    char *p = g_build_filename(dir, rel, NULL);
    gboolean r = g_file_test(p, G_FILE_TEST_EXISTS);
    g_free(p);
    return r;
}

gboolean
msm_is_privileged(void)
{
    return geteuid() == 0 || geteuid() != getuid() || getegid() != getgid();
}

char *
msm_format_duration(double seconds)
{
    if (seconds < 0)
        seconds = 0;
    guint64 s = (guint64)(seconds + 0.5);
    if (s < 60)
        return g_strdup_printf("%" G_GUINT64_FORMAT "s", s);
    if (s < 3600)
        return g_strdup_printf("%" G_GUINT64_FORMAT "m%02" G_GUINT64_FORMAT "s", s / 60, s % 60);
    return g_strdup_printf("%" G_GUINT64_FORMAT "h%02" G_GUINT64_FORMAT "m", s / 3600,
                           (s % 3600) / 60);
}

char *
msm_canonical_path(const char *path)
{
    char *abs = g_canonicalize_filename(path, NULL);
    char *real = realpath(abs, NULL);
    if (real != NULL) {
        char *r = g_strdup(real);
        free(real);
        g_free(abs);
        return r;
    }
    char *parent = g_path_get_dirname(abs);
    if (strcmp(parent, abs) == 0) {
        g_free(parent);
        return abs;
    }
    char *base = g_path_get_basename(abs);
    char *cparent = msm_canonical_path(parent);
    char *r = g_build_filename(cparent, base, NULL);
    g_free(cparent);
    g_free(base);
    g_free(parent);
    g_free(abs);
    return r;
}

char *
msm_list_join(const char *const *list)
{
    return list ? g_strjoinv(",", (char **)list) : g_strdup("");
}

char **
msm_list_split(const char *s)
{
    if (s == NULL || *s == '\0')
        return g_new0(char *, 1);
    return g_strsplit(s, ",", -1);
}
