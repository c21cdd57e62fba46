/*
 * NAME
 *	test-lock.c - unit tests of the deployment lock (core/lock.c)
 * DESCRIPTION
 *	Acquire and release, a second acquirer refused with the holder named
 *	(in the same process, where flock() still conflicts), a holder killed
 *	with SIGKILL leaving a stale lock that is reported and broken only on
 *	request, live locks (local and on another host) never broken, expired
 *	leases, unreadable and empty lock files, and lease renewal.
 */
#include "config.h"

#include "lock.h"
#include "testutil.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fresh <target>/.msmigrate path (not created). (transfer full) */
static char *
new_state_dir(void)
{
    return g_build_filename(msm_test_tmpdir(), ".msmigrate", NULL);
}

/* Acquires, asserting success. */
static MsmLock *
acquire_ok(const char *state_dir, const char *run_id, guint lease, gboolean break_stale)
{
    GError *error = NULL;
    MsmLock *lock = msm_lock_acquire(state_dir, run_id, "msmigrate run --to ms-8.1", lease,
                                     break_stale, &error);
    if (error != NULL)
        g_printerr("msm_lock_acquire: %s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL(lock);
    CU_ASSERT_PTR_NULL(error);
    g_clear_error(&error);
    return lock;
}

/* Writes a lock file by hand, as a holder on another host would. */
static void
write_lock_file(const char *state_dir, const char *content)
{
    CU_ASSERT_EQUAL(g_mkdir_with_parents(state_dir, 0755), 0);
    char *path = g_build_filename(state_dir, "lock", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(path, content, -1, NULL));
    g_free(path);
}

/* TRUE if the lock file exists. */
static gboolean
lock_file_exists(const char *state_dir)
{
    char *path = g_build_filename(state_dir, "lock", NULL);
    gboolean e = g_file_test(path, G_FILE_TEST_EXISTS);
    g_free(path);
    return e;
}

static void
test_acquire_release(void)
{
    GError *error = NULL;
    char *sd = new_state_dir();
    MsmLockInfo info;
    gboolean stale = TRUE;
    CU_ASSERT_FALSE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_PTR_NULL(error);

    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    MsmLock *lock = acquire_ok(sd, "20261124T051200Z-abcdef", 60, FALSE);
    CU_ASSERT_TRUE(lock_file_exists(sd));
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_FALSE(stale);
    CU_ASSERT_STRING_EQUAL(info.run_id, "20261124T051200Z-abcdef");
    CU_ASSERT_STRING_EQUAL(info.host, g_get_host_name());
    CU_ASSERT_EQUAL(info.pid, (gint64)getpid());
    CU_ASSERT_STRING_EQUAL(info.command, "msmigrate run --to ms-8.1");
    CU_ASSERT_TRUE(info.acquired >= before && info.acquired <= before + 5);
    CU_ASSERT_EQUAL(info.lease_until, info.acquired + 60);
    msm_lock_info_clear(&info);

    gint64 t0 = g_get_monotonic_time();
    msm_lock_release(lock);
    CU_ASSERT_TRUE(g_get_monotonic_time() - t0 < G_USEC_PER_SEC / 2); /* heartbeat stops at once */
    CU_ASSERT_FALSE(lock_file_exists(sd));
    CU_ASSERT_FALSE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_PTR_NULL(error);
    msm_lock_release(NULL);

    /* And again: a released lock can be taken by the next run. */
    lock = acquire_ok(sd, "second", 60, FALSE);
    msm_lock_release(lock);
    g_free(sd);
}

static void
test_second_refused(void)
{
    GError *error = NULL;
    char *sd = new_state_dir();
    MsmLock *a = acquire_ok(sd, "run-A", 60, FALSE);
    for (int brk = 0; brk < 2; brk++) {
        MsmLock *b = msm_lock_acquire(sd, "run-B", "msmigrate verify", 60, brk, &error);
        CU_ASSERT_PTR_NULL(b);
        CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_LOCKED));
        if (error != NULL) {
            char *pid = g_strdup_printf("pid %d on host %s", (int)getpid(), g_get_host_name());
            char *dep = g_path_get_dirname(sd);
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "run run-A"));
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, pid));
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, dep));
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "since 2"));
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "\"msmigrate run --to ms-8.1\""));
            CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "msmigrate status"));
            CU_ASSERT_PTR_NULL(strstr(error->message, "--break-lock"));
            g_free(pid);
            g_free(dep);
        }
        g_clear_error(&error);
    }
    /* The refused attempt changed nothing. */
    MsmLockInfo info;
    gboolean stale = TRUE;
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_STRING_EQUAL(info.run_id, "run-A");
    CU_ASSERT_FALSE(stale);
    msm_lock_info_clear(&info);
    msm_lock_release(a);
    MsmLock *b = acquire_ok(sd, "run-B", 60, FALSE);
    msm_lock_release(b);
    g_free(sd);
}

static void
test_stale_after_kill(void)
{
    GError *error = NULL;
    char *sd = new_state_dir();
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        MsmLock *lock = msm_lock_acquire(sd, "run-dead", "msmigrate run", 60, FALSE, NULL);
        char c = lock != NULL ? 'y' : 'n';
        if (write(fds[1], &c, 1) != 1)
            _exit(2);
        for (;;)
            pause();
    }
    close(fds[1]);
    char c = 0;
    ssize_t n;
    do
        n = read(fds[0], &c, 1);
    while (n < 0 && errno == EINTR);
    close(fds[0]);
    CU_ASSERT_EQUAL(n, 1);
    CU_ASSERT_EQUAL(c, 'y');
    /* While the child lives, its lock is live. */
    MsmLock *lock = msm_lock_acquire(sd, "run-new", "msmigrate run", 60, TRUE, &error);
    CU_ASSERT_PTR_NULL(lock);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_LOCKED));
    g_clear_error(&error);
    kill(pid, SIGKILL);
    int status;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);

    MsmLockInfo info;
    gboolean stale = FALSE;
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_TRUE(stale);
    CU_ASSERT_STRING_EQUAL(info.run_id, "run-dead");
    CU_ASSERT_EQUAL(info.pid, (gint64)pid);
    msm_lock_info_clear(&info);

    lock = msm_lock_acquire(sd, "run-new", "msmigrate run", 60, FALSE, &error);
    CU_ASSERT_PTR_NULL(lock);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_LOCKED));
    if (error != NULL) {
        char *p = g_strdup_printf("pid %d", (int)pid);
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "stale"));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "run-dead"));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, p));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "rerun with --break-lock to break it"));
        g_free(p);
    }
    g_clear_error(&error);
    /* Refusing left the stale lock as it was. */
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_STRING_EQUAL(info.run_id, "run-dead");
    msm_lock_info_clear(&info);

    lock = acquire_ok(sd, "run-new", 60, TRUE);
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_STRING_EQUAL(info.run_id, "run-new");
    CU_ASSERT_EQUAL(info.pid, (gint64)getpid());
    CU_ASSERT_FALSE(stale);
    msm_lock_info_clear(&info);
    msm_lock_release(lock);
    g_free(sd);
}

static void
test_remote_holder(void)
{
    GError *error = NULL;
    char *sd = new_state_dir();
    gint64 now = g_get_real_time() / G_USEC_PER_SEC;
    char *live = g_strdup_printf("format=1\nrun_id=run-far\nhost=elsewhere.invalid\npid=4242\n"
                                 "command=msmigrate run\\nsecond line\nacquired=%" G_GINT64_FORMAT
                                 "\nlease_until=%" G_GINT64_FORMAT "\nfuture_key=kept\n",
                                 now - 100, now + 3600);
    write_lock_file(sd, live);
    MsmLockInfo info;
    gboolean stale = TRUE;
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_FALSE(stale);
    CU_ASSERT_STRING_EQUAL(info.host, "elsewhere.invalid");
    CU_ASSERT_STRING_EQUAL(info.command, "msmigrate run\nsecond line");
    CU_ASSERT_EQUAL(info.pid, 4242);
    msm_lock_info_clear(&info);
    /* A live lease on another host is never broken. */
    MsmLock *lock = msm_lock_acquire(sd, "run-here", "msmigrate run", 60, TRUE, &error);
    CU_ASSERT_PTR_NULL(lock);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_LOCKED));
    if (error != NULL) {
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "host elsewhere.invalid"));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "lease"));
        CU_ASSERT_PTR_NULL(strstr(error->message, "stale"));
    }
    g_clear_error(&error);

    /* Expired: stale, broken on request only. */
    char *expired = g_strdup_printf("format=1\nrun_id=run-far\nhost=elsewhere.invalid\npid=4242\n"
                                    "command=x\nacquired=%" G_GINT64_FORMAT
                                    "\nlease_until=%" G_GINT64_FORMAT "\n",
                                    now - 100, now - 10);
    write_lock_file(sd, expired);
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_TRUE(stale);
    msm_lock_info_clear(&info);
    lock = msm_lock_acquire(sd, "run-here", "msmigrate run", 60, FALSE, &error);
    CU_ASSERT_PTR_NULL(lock);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_LOCKED));
    if (error != NULL) {
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "stale"));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "lease expired"));
        CU_ASSERT_PTR_NOT_NULL(strstr(error->message, "--break-lock"));
    }
    g_clear_error(&error);
    lock = acquire_ok(sd, "run-here", 60, TRUE);
    msm_lock_release(lock);
    g_free(live);
    g_free(expired);
    g_free(sd);
}

static void
test_unreadable_and_empty(void)
{
    GError *error = NULL;
    char *sd = new_state_dir();
    MsmLockInfo info;
    gboolean stale;

    /* An empty leftover is no lock at all. */
    write_lock_file(sd, "");
    CU_ASSERT_FALSE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_PTR_NULL(error);
    MsmLock *lock = acquire_ok(sd, "run-1", 60, FALSE);
    msm_lock_release(lock);

    /* Garbage: inspect says so; acquire treats it as stale. */
    write_lock_file(sd, "this is not a lock\n");
    CU_ASSERT_FALSE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_PARSE));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, "line 1") != NULL);
    g_clear_error(&error);
    lock = msm_lock_acquire(sd, "run-2", "msmigrate run", 60, FALSE, &error);
    CU_ASSERT_PTR_NULL(lock);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_LOCKED));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, "--break-lock") != NULL);
    g_clear_error(&error);
    lock = acquire_ok(sd, "run-2", 60, TRUE);
    msm_lock_release(lock);

    /* A format from a later msmigrate is not read as ours. */
    write_lock_file(sd, "format=2\nrun_id=r\nhost=h\npid=1\nacquired=1\nlease_until=2\n");
    CU_ASSERT_FALSE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_PARSE));
    g_clear_error(&error);

    /* Bad arguments. */
    lock = msm_lock_acquire(sd, "run-3", "x", 0, TRUE, &error);
    CU_ASSERT_PTR_NULL(lock);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&error);
    g_free(sd);
}

static void
test_lease_renewal(void)
{
    GError *error = NULL;
    char *sd = new_state_dir();
    MsmLock *lock = acquire_ok(sd, "run-lease", 3, FALSE);
    MsmLockInfo info;
    gboolean stale;
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    gint64 first = info.lease_until;
    gint64 acquired = info.acquired;
    CU_ASSERT_EQUAL(first, acquired + 3);
    msm_lock_info_clear(&info);
    g_usleep(G_USEC_PER_SEC * 3 / 2);
    CU_ASSERT_TRUE(msm_lock_inspect(sd, &info, &stale, &error));
    CU_ASSERT_TRUE(info.lease_until >= first + 1);
    CU_ASSERT_EQUAL(info.acquired, acquired);
    CU_ASSERT_FALSE(stale);
    msm_lock_info_clear(&info);
    gint64 t0 = g_get_monotonic_time();
    msm_lock_release(lock);
    CU_ASSERT_TRUE(g_get_monotonic_time() - t0 < G_USEC_PER_SEC / 2);
    CU_ASSERT_PTR_NULL(error);
    g_free(sd);
}

MSM_TEST_MAIN("lock",
              MSM_TEST(test_acquire_release),
              MSM_TEST(test_second_refused),
              MSM_TEST(test_stale_after_kill),
              MSM_TEST(test_remote_holder),
              MSM_TEST(test_unreadable_and_empty),
              MSM_TEST(test_lease_renewal))
