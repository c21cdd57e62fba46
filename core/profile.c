/*
 * NAME
 *	profile.c - site profile loading and secret lookup
 * SUMMARY
 *	See profile.h and docs/formats/profile.md.
 * DIAGNOSTICS
 *	Errors name the profile file and the group/key, and say how to fix it.
 *	Secret values never appear in any message.
 */
#include "config.h"

#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

static const char *const forbidden_keys[] = {"password", "bindpw", "bind_password", "secret",
                                             "credentials", NULL};

GKeyFile *
msm_profile_load(const char *path, GError **error)
{
    GKeyFile *kf = g_key_file_new();
    GError *err = NULL;
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, &err)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "site profile %s: %s", path, err->message);
        g_error_free(err);
        g_key_file_unref(kf);
        return NULL;
    }
    gsize ngroups = 0;
    char **groups = g_key_file_get_groups(kf, &ngroups);
    for (gsize i = 0; i < ngroups; i++) {
        char **keys = g_key_file_get_keys(kf, groups[i], NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            for (const char *const *f = forbidden_keys; *f; f++) {
                if (g_ascii_strcasecmp(*k, *f) == 0) {
                    g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                                "site profile %s: [%s] %s: a profile must not hold a "
                                "password; remove it and use password_file (a file only its "
                                "owner can read), password_env or password_prompt=true",
                                path, groups[i], *k);
                    g_strfreev(keys);
                    g_strfreev(groups);
                    g_key_file_unref(kf);
                    return NULL;
                }
            }
        }
        g_strfreev(keys);
    }
    g_strfreev(groups);
    return kf;
}

void
msm_secret_free(char *secret)
{
    if (secret == NULL)
        return;
    volatile char *p = secret;
    while (*p)
        *p++ = '\0';
    g_free(secret);
}

/* Strips one trailing newline (files and prompts end with one). */
static void
chomp(char *s)
{
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '\n')
        s[--n] = '\0';
    if (n > 0 && s[n - 1] == '\r')
        s[--n] = '\0';
}

static char *
secret_from_file(const char *group, const char *path, GError **error)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "[%s] password_file %s: %s", group, path,
                    g_strerror(e));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "[%s] password_file %s can be read by group or others; chmod 600 it", group,
                    path);
        return NULL;
    }
    GString *buf = g_string_new(NULL);
    char chunk[256];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        g_string_append_len(buf, chunk, n);
    memset(chunk, 0, sizeof chunk);
    close(fd);
    char *s = g_string_free(buf, FALSE);
    chomp(s);
    return s;
}

static char *
secret_from_prompt(const char *group, GError **error)
{
    FILE *tty = fopen("/dev/tty", "r+");
    if (tty == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "[%s] password_prompt needs a terminal; use password_file or password_env "
                    "when running unattended",
                    group);
        return NULL;
    }
    struct termios old, quiet;
    int fd = fileno(tty);
    gboolean restore = tcgetattr(fd, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    fprintf(tty, "Password for [%s]: ", group);
    fflush(tty);
    char line[1024];
    char *got = fgets(line, sizeof line, tty);
    if (restore)
        tcsetattr(fd, TCSAFLUSH, &old);
    fprintf(tty, "\n");
    fclose(tty);
    if (got == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "[%s] no password was entered", group);
        return NULL;
    }
    chomp(line);
    char *s = g_strdup(line);
    memset(line, 0, sizeof line);
    return s;
}

char *
msm_profile_secret(const char *name, gpointer user_data, GError **error)
{
    GKeyFile *kf = user_data;
    char *file = kf ? g_key_file_get_string(kf, name, "password_file", NULL) : NULL;
    char *env = kf ? g_key_file_get_string(kf, name, "password_env", NULL) : NULL;
    gboolean prompt = kf ? g_key_file_get_boolean(kf, name, "password_prompt", NULL) : FALSE;
    char *result = NULL;
    if (file) {
        result = secret_from_file(name, file, error);
    } else if (env) {
        const char *v = g_getenv(env);
        if (v == NULL)
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "[%s] password_env names %s, which is not set", name, env);
        else
            result = g_strdup(v);
    } else if (prompt) {
        result = secret_from_prompt(name, error);
    } else {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no password source for [%s]: set password_file, password_env or "
                    "password_prompt=true in the site profile",
                    name);
    }
    g_free(file);
    g_free(env);
    return result;
}
