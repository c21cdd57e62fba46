/*
 * NAME
 *	lock.c - one run at a time per deployment, with a lease
 * SUMMARY
 *	Implements lock.h. The file format and the rules are specified in
 *	docs/formats/lock.md; keep the two in step.
 * DESCRIPTION
 *	The lock is <state_dir>/lock. Whoever holds flock(LOCK_EX) on it holds
 *	the deployment; the content (key=value lines) only names the holder
 *	and its lease, for messages and for holders on other hosts, where
 *	flock() may not reach (a target on NFS).
 *
 *	Acquire: open (creating if needed, never following a symbolic link),
 *	flock(LOCK_EX | LOCK_NB), then check that the path still names the
 *	inode we locked (a releaser unlinks the file before it closes it; if
 *	it did so under us, start again). flock busy: a live holder. flock
 *	taken and the file names a holder: on this host the holder is dead
 *	(stale); on another host it is live until its lease expires. Stale
 *	locks are replaced only when break_stale is set. Our content is then
 *	written in place (pwrite, ftruncate, fsync): the file is never
 *	renamed, since the flock belongs to the inode.
 *
 *	A heartbeat thread rewrites lease_until every lease_seconds/3; it
 *	waits on a GCond so msm_lock_release() stops it at once. Release
 *	stops the heartbeat, unlinks the file (when it is still ours) and
 *	closes it, which drops the flock.
 *
 *	flock() locks belong to the open file description, so two acquirers
 *	in one process conflict exactly like two processes do.
 * DIAGNOSTICS
 *	MSM_ERROR_LOCKED naming the holder (run, pid, host, since, command)
 *	and what to do; MSM_ERROR_IO naming the path for system failures;
 *	MSM_ERROR_PARSE for an unreadable lock file in msm_lock_inspect();
 *	MSM_ERROR_INVALID_ARGUMENT for a lease of 0 seconds or an empty run id.
 *	A heartbeat that cannot write says so once with g_warning().
 */
#include "config.h"

#include "lock.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_FORMAT 1
#define LOCK_FILE "lock"
#define OPEN_RETRIES 50  /* restarts when the file is replaced under us */
#define BUSY_RETRIES 3   /* re-tries of a busy flock (an inspector's probe) */
#define MAX_LOCK_SIZE 65536

struct MsmLock {
    char *path;
    int fd;
    dev_t dev;
    ino_t ino;
    MsmLockInfo info;
    guint lease_seconds;
    GThread *heartbeat;
    GMutex mutex; /* protects stop */
    GCond cond;
    gboolean stop;
    gboolean warned;
};

void
msm_lock_info_clear(MsmLockInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->run_id);
    g_free(info->host);
    g_free(info->command);
    memset(info, 0, sizeof *info);
}

/* Seconds since the epoch. */
static gint64
now_seconds(void)
{
    return g_get_real_time() / G_USEC_PER_SEC;
}

/* "2026-11-24T05:12:00Z" for t. (transfer full) */
static char *
iso_time(gint64 t)
{
    GDateTime *dt = g_date_time_new_from_unix_utc(t);
    if (dt == NULL)
        return g_strdup_printf("@%" G_GINT64_FORMAT, t);
    char *s = g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(dt);
    return s;
}

/* The deployment a state directory belongs to (its parent when it is .msmigrate). */
static char *
deployment_of(const char *state_dir)
{
    char *base = g_path_get_basename(state_dir);
    char *dep = strcmp(base, ".msmigrate") == 0 ? g_path_get_dirname(state_dir)
                                                : g_strdup(state_dir);
    g_free(base);
    return dep;
}

/* Escapes a value for one line: backslash, newline, carriage return. */
static void
append_escaped(GString *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            g_string_append(out, "\\\\");
        else if (*s == '\n')
            g_string_append(out, "\\n");
        else if (*s == '\r')
            g_string_append(out, "\\r");
        else
            g_string_append_c(out, *s);
    }
}

/* Undoes append_escaped; NULL for a bad escape. */
static char *
unescape(const char *s)
{
    GString *out = g_string_new(NULL);
    for (; *s; s++) {
        if (*s != '\\') {
            g_string_append_c(out, *s);
            continue;
        }
        s++;
        if (*s == '\\')
            g_string_append_c(out, '\\');
        else if (*s == 'n')
            g_string_append_c(out, '\n');
        else if (*s == 'r')
            g_string_append_c(out, '\r');
        else {
            g_string_free(out, TRUE);
            return NULL;
        }
    }
    return g_string_free(out, FALSE);
}

/* The content of a lock file for info. (transfer full) */
static GString *
format_info(const MsmLockInfo *info)
{
    char *since = iso_time(info->acquired);
    char *until = iso_time(info->lease_until);
    GString *s = g_string_new(NULL);
    g_string_append(s, "# msmigrate deployment lock (docs/formats/lock.md): run ");
    append_escaped(s, info->run_id);
    g_string_append_printf(s, ", since %s, lease until %s\n", since, until);
    g_string_append_printf(s, "format=%d\n", LOCK_FORMAT);
    g_string_append(s, "run_id=");
    append_escaped(s, info->run_id);
    g_string_append(s, "\nhost=");
    append_escaped(s, info->host);
    g_string_append_printf(s, "\npid=%" G_GINT64_FORMAT "\n", info->pid);
    g_string_append(s, "command=");
    append_escaped(s, info->command);
    g_string_append_printf(s,
                           "\nacquired=%" G_GINT64_FORMAT "\nlease_until=%" G_GINT64_FORMAT
                           "\n",
                           info->acquired, info->lease_until);
    g_free(since);
    g_free(until);
    return s;
}

/* Parses a decimal gint64; FALSE if s is not one. */
static gboolean
parse_int(const char *s, gint64 *v)
{
    return g_ascii_string_to_signed(s, 10, G_MININT64, G_MAXINT64, v, NULL);
}

/* Parses lock file content into info; FALSE with *why (transfer full) if bad. */
static gboolean
parse_info(const char *text, MsmLockInfo *info, char **why)
{
    gboolean ok = FALSE;
    gboolean have_format = FALSE, have_pid = FALSE, have_acq = FALSE, have_lease = FALSE;
    char **lines = g_strsplit(text, "\n", -1);
    memset(info, 0, sizeof *info);
    *why = NULL;
    for (guint n = 0; lines[n] != NULL; n++) {
        char *line = lines[n];
        gsize len = strlen(line);
        if (len > 0 && line[len - 1] == '\r')
            line[len - 1] = '\0';
        if (*line == '\0' || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (eq == NULL) {
            *why = g_strdup_printf("line %u is not key=value", n + 1);
            goto out;
        }
        *eq = '\0';
        const char *key = line;
        char *value = unescape(eq + 1);
        if (value == NULL) {
            *why = g_strdup_printf("line %u has a bad escape", n + 1);
            goto out;
        }
        gboolean bad = FALSE;
        gint64 iv = 0;
        if (strcmp(key, "format") == 0) {
            bad = !parse_int(value, &iv);
            if (!bad && iv != LOCK_FORMAT) {
                *why = g_strdup_printf("format %s is not %d (written by another msmigrate "
                                       "version)",
                                       value, LOCK_FORMAT);
                g_free(value);
                goto out;
            }
            have_format = TRUE;
        } else if (strcmp(key, "run_id") == 0) {
            g_free(info->run_id);
            info->run_id = g_strdup(value);
        } else if (strcmp(key, "host") == 0) {
            g_free(info->host);
            info->host = g_strdup(value);
        } else if (strcmp(key, "command") == 0) {
            g_free(info->command);
            info->command = g_strdup(value);
        } else if (strcmp(key, "pid") == 0) {
            bad = !parse_int(value, &info->pid);
            have_pid = TRUE;
        } else if (strcmp(key, "acquired") == 0) {
            bad = !parse_int(value, &info->acquired);
            have_acq = TRUE;
        } else if (strcmp(key, "lease_until") == 0) {
            bad = !parse_int(value, &info->lease_until);
            have_lease = TRUE;
        }
        /* Other keys: added by a later version of the same format; ignored. */
        g_free(value);
        if (bad) {
            *why = g_strdup_printf("line %u: %s is not a number", n + 1, key);
            goto out;
        }
    }
    if (!have_format || info->run_id == NULL || info->host == NULL || !have_pid || !have_acq ||
        !have_lease) {
        *why = g_strdup("a required key (format, run_id, host, pid, acquired, lease_until) "
                        "is missing");
        goto out;
    }
    if (info->command == NULL)
        info->command = g_strdup("");
    ok = TRUE;
out:
    if (!ok)
        msm_lock_info_clear(info);
    g_strfreev(lines);
    return ok;
}

/* Reads the whole file open at fd (from offset 0). NULL with *error on failure. */
static char *
read_fd(int fd, const char *path, GError **error)
{
    GString *s = g_string_new(NULL);
    char buf[4096];
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read lock file %s: %s", path,
                        g_strerror(e));
            g_string_free(s, TRUE);
            return NULL;
        }
        if (n == 0)
            break;
        g_string_append_len(s, buf, n);
        off += n;
        if (s->len > MAX_LOCK_SIZE)
            break;
    }
    return g_string_free(s, FALSE);
}

/* TRUE if text has nothing but white space. */
static gboolean
is_blank(const char *text)
{
    for (; *text; text++)
        if (!g_ascii_isspace(*text))
            return FALSE;
    return TRUE;
}

/* Writes content over the file open at fd: pwrite, ftruncate, fsync. */
static gboolean
write_fd(int fd, const char *path, const GString *content, GError **error)
{
    gsize done = 0;
    while (done < content->len) {
        ssize_t n = pwrite(fd, content->str + done, content->len - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            goto fail;
        done += (gsize)n;
    }
    if (ftruncate(fd, (off_t)content->len) != 0 || fsync(fd) != 0)
        goto fail;
    return TRUE;
fail:;
    int e = errno;
    g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write lock file %s: %s", path,
                g_strerror(e));
    return FALSE;
}

/* "run R (pid P on host H, since T, command "C")" for messages. (transfer full) */
static char *
describe_holder(const MsmLockInfo *info)
{
    char *since = iso_time(info->acquired);
    char *s = g_strdup_printf("run %s (pid %" G_GINT64_FORMAT " on host %s, since %s, "
                              "command \"%s\")",
                              info->run_id, info->pid, info->host, since, info->command);
    g_free(since);
    return s;
}

/* Decides whether a lock whose flock nobody holds is stale; *why_r says why. */
static gboolean
unflocked_is_stale(const MsmLockInfo *info, const char *host, char **why_r)
{
    if (strcmp(info->host, host) == 0) {
        *why_r = g_strdup_printf("no process on this host holds it any more (pid %" G_GINT64_FORMAT
                                 " died without releasing it)",
                                 info->pid);
        return TRUE;
    }
    if (info->lease_until < now_seconds()) {
        char *until = iso_time(info->lease_until);
        *why_r = g_strdup_printf("its lease expired at %s", until);
        g_free(until);
        return TRUE;
    }
    *why_r = NULL;
    return FALSE;
}

/* The heartbeat thread: renews the lease until told to stop. */
static gpointer
heartbeat_main(gpointer data)
{
    MsmLock *lock = data;
    gint64 interval = (gint64)lock->lease_seconds * G_USEC_PER_SEC / 3;
    if (interval < G_USEC_PER_SEC / 10)
        interval = G_USEC_PER_SEC / 10;
    g_mutex_lock(&lock->mutex);
    for (;;) {
        gint64 deadline = g_get_monotonic_time() + interval;
        while (!lock->stop && g_cond_wait_until(&lock->cond, &lock->mutex, deadline))
            ;
        if (lock->stop)
            break;
        g_mutex_unlock(&lock->mutex);

        GError *error = NULL;
        struct stat st;
        if (stat(lock->path, &st) != 0 || st.st_dev != lock->dev || st.st_ino != lock->ino) {
            g_set_error(&error, MSM_ERROR, MSM_ERROR_LOCKED,
                        "lock file %s was removed or replaced while run %s held it",
                        lock->path, lock->info.run_id);
        } else {
            lock->info.lease_until = now_seconds() + lock->lease_seconds;
            GString *content = format_info(&lock->info);
            write_fd(lock->fd, lock->path, content, &error);
            g_string_free(content, TRUE);
        }
        if (error != NULL && !lock->warned) {
            g_warning("cannot renew the deployment lock: %s", error->message);
            lock->warned = TRUE;
        }
        g_clear_error(&error);
        g_mutex_lock(&lock->mutex);
    }
    g_mutex_unlock(&lock->mutex);
    return NULL;
}

/* Opens path (creating it) and takes the flock, retrying a busy flock briefly.
 * Returns the fd, -1 with *busy_r when another holder has it, -1 with *error. */
static int
open_and_flock(const char *path, gboolean *busy_r, struct stat *st_r, GError **error)
{
    *busy_r = FALSE;
    for (int restart = 0; restart < OPEN_RETRIES; restart++) {
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot open lock file %s: %s", path,
                        g_strerror(e));
            return -1;
        }
        int rc = -1;
        for (int busy = 0; busy <= BUSY_RETRIES; busy++) {
            rc = flock(fd, LOCK_EX | LOCK_NB);
            if (rc == 0 || (errno != EWOULDBLOCK && errno != EINTR))
                break;
            if (busy < BUSY_RETRIES)
                g_usleep(20000);
        }
        if (rc != 0) {
            int e = errno;
            if (e == EWOULDBLOCK) {
                *busy_r = TRUE;
                /* Keep fd open for the caller to read the holder's content. */
                return fd;
            }
            close(fd);
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot lock %s: %s", path,
                        g_strerror(e));
            return -1;
        }
        /* The previous holder may have unlinked the file between our open and our
         * flock: then we hold a lock on a file nobody else will look at. */
        struct stat fst, pst;
        if (fstat(fd, &fst) != 0) {
            int e = errno;
            close(fd);
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot stat lock file %s: %s", path,
                        g_strerror(e));
            return -1;
        }
        if (lstat(path, &pst) == 0 && pst.st_dev == fst.st_dev && pst.st_ino == fst.st_ino) {
            if (!S_ISREG(fst.st_mode)) {
                close(fd);
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                            "lock file %s is not a regular file", path);
                return -1;
            }
            *st_r = fst;
            return fd;
        }
        close(fd);
    }
    g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                "lock file %s keeps being replaced while we try to lock it", path);
    return -1;
}

MsmLock *
msm_lock_acquire(const char *state_dir, const char *run_id, const char *command,
                 guint lease_seconds, gboolean break_stale, GError **error)
{
    MsmLock *lock = NULL;
    char *path = NULL, *deployment = NULL, *text = NULL, *why = NULL, *holder = NULL;
    MsmLockInfo old;
    gboolean busy = FALSE;
    struct stat st;
    int fd = -1;

    memset(&old, 0, sizeof old);
    g_return_val_if_fail(state_dir != NULL, NULL);
    if (run_id == NULL || *run_id == '\0' || lease_seconds == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "cannot lock %s: empty run id or a lease of 0 seconds", state_dir);
        return NULL;
    }
    if (!msm_mkdir_p(state_dir, FALSE, error))
        return NULL;
    path = g_build_filename(state_dir, LOCK_FILE, NULL);
    deployment = deployment_of(state_dir);
    const char *host = g_get_host_name();

    fd = open_and_flock(path, &busy, &st, error);
    if (fd < 0)
        goto out;
    text = read_fd(fd, path, error);
    if (text == NULL)
        goto out;

    if (busy) {
        char *perr = NULL;
        if (!is_blank(text) && parse_info(text, &old, &perr)) {
            holder = describe_holder(&old);
            g_set_error(error, MSM_ERROR, MSM_ERROR_LOCKED,
                        "deployment %s is locked by %s; wait for it to finish, or check that "
                        "run with 'msmigrate status'",
                        deployment, holder);
        } else {
            g_set_error(error, MSM_ERROR, MSM_ERROR_LOCKED,
                        "deployment %s is locked: a process holds %s but its content cannot be "
                        "read yet (%s); try again in a moment, or check with 'msmigrate status'",
                        deployment, path, perr ? perr : "empty");
        }
        g_free(perr);
        goto out;
    }

    /* We hold the flock. Whatever the file names is not holding it from here. */
    if (!is_blank(text)) {
        char *perr = NULL;
        gboolean stale;
        if (parse_info(text, &old, &perr)) {
            stale = unflocked_is_stale(&old, host, &why);
            holder = describe_holder(&old);
        } else {
            stale = TRUE;
            why = g_strdup_printf("its content cannot be read: %s", perr);
            holder = g_strdup("an unknown holder");
        }
        g_free(perr);
        if (!stale) {
            char *until = iso_time(old.lease_until);
            g_set_error(error, MSM_ERROR, MSM_ERROR_LOCKED,
                        "deployment %s is locked by %s, whose lease runs until %s; wait for it "
                        "to finish, or check that run with 'msmigrate status'",
                        deployment, holder, until);
            g_free(until);
            goto out;
        }
        if (!break_stale) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_LOCKED,
                        "deployment %s has a stale lock (%s) from %s: %s; rerun with "
                        "--break-lock to break it",
                        deployment, path, holder, why);
            goto out;
        }
    }

    lock = g_new0(MsmLock, 1);
    lock->path = path;
    path = NULL;
    lock->fd = fd;
    fd = -1;
    lock->dev = st.st_dev;
    lock->ino = st.st_ino;
    lock->lease_seconds = lease_seconds;
    lock->info.run_id = g_strdup(run_id);
    lock->info.host = g_strdup(host);
    lock->info.pid = (gint64)getpid();
    lock->info.command = g_strdup(command ? command : "");
    lock->info.acquired = now_seconds();
    lock->info.lease_until = lock->info.acquired + lease_seconds;
    g_mutex_init(&lock->mutex);
    g_cond_init(&lock->cond);
    GString *content = format_info(&lock->info);
    gboolean written = write_fd(lock->fd, lock->path, content, error);
    g_string_free(content, TRUE);
    if (!written) {
        /* Leave no half-written file claiming the deployment. */
        unlink(lock->path);
        close(lock->fd);
        lock->fd = -1;
        g_mutex_clear(&lock->mutex);
        g_cond_clear(&lock->cond);
        msm_lock_info_clear(&lock->info);
        g_free(lock->path);
        g_free(lock);
        lock = NULL;
        goto out;
    }
    lock->heartbeat = g_thread_new("msm-lock-heartbeat", heartbeat_main, lock);

out:
    if (fd >= 0)
        close(fd);
    msm_lock_info_clear(&old);
    g_free(holder);
    g_free(why);
    g_free(text);
    g_free(deployment);
    g_free(path);
    return lock;
}

void
msm_lock_release(MsmLock *lock)
{
    if (lock == NULL)
        return;
    g_mutex_lock(&lock->mutex);
    lock->stop = TRUE;
    g_cond_signal(&lock->cond);
    g_mutex_unlock(&lock->mutex);
    if (lock->heartbeat != NULL)
        g_thread_join(lock->heartbeat);
    /* Unlink only our own file, and before closing: once the flock is dropped
     * the name may already belong to the next holder. */
    struct stat st;
    if (lstat(lock->path, &st) == 0 && st.st_dev == lock->dev && st.st_ino == lock->ino)
        unlink(lock->path);
    close(lock->fd);
    g_mutex_clear(&lock->mutex);
    g_cond_clear(&lock->cond);
    msm_lock_info_clear(&lock->info);
    g_free(lock->path);
    g_free(lock);
}

gboolean
msm_lock_inspect(const char *state_dir, MsmLockInfo *info_r, gboolean *stale_r, GError **error)
{
    gboolean found = FALSE;
    char *path = g_build_filename(state_dir, LOCK_FILE, NULL);
    char *text = NULL, *perr = NULL, *why = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

    memset(info_r, 0, sizeof *info_r);
    if (stale_r != NULL)
        *stale_r = FALSE;
    if (fd < 0) {
        int e = errno;
        if (e != ENOENT)
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot open lock file %s: %s", path,
                        g_strerror(e));
        goto out;
    }
    /* Probe: a shared flock is granted only when nobody holds the exclusive one. */
    gboolean held = TRUE;
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
        held = FALSE;
        flock(fd, LOCK_UN);
    }
    /* A holder rewrites the file in place; a read racing with a rewrite can see a
     * torn copy, so read again before calling it unreadable. */
    for (int attempt = 0; attempt < 5; attempt++) {
        g_clear_pointer(&text, g_free);
        g_clear_pointer(&perr, g_free);
        text = read_fd(fd, path, error);
        if (text == NULL)
            goto out;
        if (is_blank(text) ? !held : parse_info(text, info_r, &perr))
            break;
        g_usleep(20000);
    }
    if (is_blank(text)) {
        if (!held)
            goto out; /* an empty leftover: no lock */
        /* Being written by a holder that just took it. */
        info_r->run_id = g_strdup("");
        info_r->host = g_strdup("");
        info_r->command = g_strdup("");
        found = TRUE;
        goto out;
    }
    if (perr != NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "lock file %s cannot be read: %s; %s", path, perr,
                    held ? "a process holds it, so a run is active"
                         : "if no run is active, rerun with --break-lock or remove the file");
        goto out;
    }
    found = TRUE;
    if (stale_r != NULL)
        *stale_r = !held && unflocked_is_stale(info_r, g_get_host_name(), &why);
out:
    if (fd >= 0)
        close(fd);
    g_free(why);
    g_free(perr);
    g_free(text);
    g_free(path);
    return found;
}
