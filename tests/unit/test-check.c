/*
 * NAME
 *	test-check - the host's precondition checks (core/check.c)
 * SUMMARY
 *	Queue counting ("$" temporary files, .HELD, subdirs N, top-level
 *	files), services from pid files (this process is alive; a reaped child
 *	is not), target installed, one instance, hop already in the target's
 *	history (written by hand in the GKeyFile format of history.md), and
 *	separate source and target.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "ctxpriv.h"
#include "testutil.h"

#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Creates root/rel as a directory. */
static void
mkd(const char *root, const char *rel)
{
    char *p = g_build_filename(root, rel, NULL);
    g_assert(g_mkdir_with_parents(p, 0755) == 0);
    g_free(p);
}

/* Creates root/rel as a file holding text (parents created). */
static void
put(const char *root, const char *rel, const char *text)
{
    char *p = g_build_filename(root, rel, NULL);
    char *d = g_path_get_dirname(p);
    g_assert(g_mkdir_with_parents(d, 0755) == 0);
    g_assert(g_file_set_contents(p, text, -1, NULL));
    g_free(d);
    g_free(p);
}

/* A context for a hop from -> to between two roots (no layouts resolved yet). */
static MsmCtx *
ctx_new(const char *source, const char *target, const char *from, const char *to)
{
    MsmCtx *ctx = g_new0(MsmCtx, 1);
    ctx->source_root = g_strdup(source);
    ctx->target_root = g_strdup(target);
    ctx->run_from = g_strdup(from);
    ctx->run_to = g_strdup(to);
    ctx->hop_from = msm_version_resolve(from, NULL);
    ctx->hop_to = msm_version_resolve(to, NULL);
    ctx->hop_kinds = G_MAXUINT;
    return ctx;
}

/* Frees what ctx_new made. */
static void
ctx_free(MsmCtx *ctx)
{
    g_free(ctx->source_root);
    g_free(ctx->target_root);
    g_free(ctx->run_from);
    g_free(ctx->run_to);
    g_free(ctx->instance);
    msm_layout_free(ctx->source_layout);
    msm_layout_free(ctx->target_layout);
    g_free(ctx);
}

/* Runs check, expects want, and returns the detail (transfer full). */
static char *
run(MsmCheckFunc check, MsmCtx *ctx, MsmCheckResult want)
{
    char *detail = NULL;
    GError *err = NULL;
    MsmCheckResult got = check(ctx, &detail, &err);
    if (got != want || err != NULL)
        fprintf(stderr, "check gave %d (wanted %d): %s / %s\n", got, want,
                detail ? detail : "(no detail)", err ? err->message : "(no error)");
    else if (g_getenv("MSM_TEST_VERBOSE"))
        fprintf(stderr, "  [%d] %s\n", got, detail ? detail : "(no detail)");
    CU_ASSERT_EQUAL(got, want);
    CU_ASSERT_PTR_NULL(err);
    if (err)
        g_error_free(err);
    CU_ASSERT_PTR_NOT_NULL(detail);
    return detail ? detail : g_strdup("");
}

/* An MS 6.3+ base at a new directory. */
static const char *
ms_base(void)
{
    const char *b = msm_test_tmpdir();
    put(b, "config/msg.conf.defaults", "x\n");
    mkd(b, "data");
    return b;
}

static void
test_queues(void)
{
    const char *src = ms_base();
    MsmCtx *ctx = ctx_new(src, msm_test_tmpdir(), "ms-6.3", "ms-7.0");

    /* no queue directory at all */
    char *d = run(msm_check_queues_empty, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "no queue directory at"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "data/queue"));
    g_free(d);

    /* channels that hold only temporary "$" files are empty */
    put(src, "data/queue/$toplevel.tmp", "x");
    put(src, "data/queue/tcp_local/$partial", "x");
    put(src, "data/queue/ims-ms/013/$partial", "x");
    mkd(src, "data/queue/reprocess");
    d = run(msm_check_queues_empty, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "no messages"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "3 channels"));
    g_free(d);

    /* messages: two in tcp_local, one held in an ims-ms subdir (subdirs N) */
    put(src, "data/queue/tcp_local/ZZi0D4d9f5mwC.00", "a");
    put(src, "data/queue/tcp_local/ZYabcdef.00", "b");
    put(src, "data/queue/ims-ms/013/ZZ0123.HELD", "c");
    d = run(msm_check_queues_empty, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "3 messages in 2 channels (tcp_local: 2, ims-ms: 1; 1 held)"));
    g_free(d);

    /* a file directly in the queue root is not ignored */
    put(src, "data/queue/ZZstray.00", "d");
    d = run(msm_check_queues_empty, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "4 messages in 3 channels"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "(top level): 1"));
    g_free(d);
    ctx_free(ctx);

    /* one message: singular wording; the context's resolved layout is used */
    const char *s2 = ms_base();
    put(s2, "data/queue/tcp_intranet/ZZx.00", "m");
    ctx = ctx_new(s2, msm_test_tmpdir(), "ms-6.3", "ms-7.0");
    ctx->source_layout = msm_layout_resolve(s2, "ms-6.3", NULL, NULL);
    CU_ASSERT_PTR_EQUAL(msm_ctx_source_layout(ctx), ctx->source_layout);
    CU_ASSERT_PTR_NULL(msm_ctx_target_layout(ctx));
    d = run(msm_check_queues_empty, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "1 message in 1 channel (tcp_intranet: 1; 0 held)"));
    g_free(d);
    ctx_free(ctx);
}

/* The pid of a child that has exited and been reaped. */
static pid_t
dead_pid(void)
{
    pid_t pid = fork();
    g_assert(pid >= 0);
    if (pid == 0)
        _exit(0);
    int status;
    g_assert(waitpid(pid, &status, 0) == pid);
    return pid;
}

static void
test_stopped(void)
{
    const char *src = ms_base();
    const char *dst = ms_base();
    MsmCtx *ctx = ctx_new(src, dst, "ms-6.3", "ms-7.0");

    /* no run directory: the user confirms by hand */
    char *d = run(msm_check_source_stopped, ctx, MSM_CHECK_MANUAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "data/run"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "stop-msg"));
    g_free(d);

    /* a live process (this test) */
    char *mine = g_strdup_printf("%d\n", (int)getpid());
    put(src, "data/run/stored.pid", mine);
    d = run(msm_check_source_stopped, ctx, MSM_CHECK_FAIL);
    char *want = g_strdup_printf("stored (pid %d)", (int)getpid());
    CU_ASSERT_PTR_NOT_NULL(strstr(d, want));
    g_free(want);
    g_free(d);

    /* a reaped child: stale pid file */
    char *gone = g_strdup_printf("  %d  \n", (int)dead_pid());
    put(src, "data/run/stored.pid", gone);
    put(src, "data/run/notes.txt", "not a pid file");
    d = run(msm_check_source_stopped, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "stale"));
    g_free(d);

    /* garbage in a pid file: cannot tell */
    put(src, "data/run/dispatcher.pid", "twelve\n");
    d = run(msm_check_source_stopped, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "dispatcher.pid"));
    g_free(d);

    /* the target side reads the target's run directory */
    d = run(msm_check_target_stopped, ctx, MSM_CHECK_MANUAL);
    g_free(d);
    put(dst, "data/run/job_controller.pid", mine);
    d = run(msm_check_target_stopped, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "job_controller"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "target services running"));
    g_free(d);
    put(dst, "data/run/job_controller.pid", gone);
    d = run(msm_check_target_stopped, ctx, MSM_CHECK_PASS);
    g_free(d);
    g_free(mine);
    g_free(gone);
    ctx_free(ctx);
}

static void
test_target_installed(void)
{
    const char *src = ms_base();
    const char *dst = msm_test_tmpdir();
    put(dst, "config/config.xml", "<x/>\n");
    mkd(dst, "data");
    MsmCtx *ctx = ctx_new(src, dst, "ms-7.0", "ms-8.1");
    char *d = run(msm_check_target_installed, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "ms-7.0.5+ unified"));
    g_free(d);
    ctx_free(ctx);

    /* an intermediate hop of a chained run: the destination is what is installed */
    ctx = ctx_new(src, dst, "ims-5.2", "ms-8.1");
    ctx->hop_to = "ms-6.0";
    d = run(msm_check_target_installed, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "ms-6.0 is an intermediate version"));
    g_free(d);
    ctx_free(ctx);

    /* a 5.2 -> 6.0 hop needs 6.0 at the target (seed 000) */
    ctx = ctx_new(src, dst, "ims-5.2", "ms-6.0");
    d = run(msm_check_target_installed, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "install and configure"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "Messaging Server 6.0"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "seed 000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "ms-7.0.5+ unified"));
    g_free(d);
    ctx_free(ctx);

    /* an empty target, and a missing one */
    ctx = ctx_new(src, msm_test_tmpdir(), "ms-7.0", "ms-8.1");
    d = run(msm_check_target_installed, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "no known deployment"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "seed 004"));
    g_free(d);
    g_free(ctx->target_root);
    ctx->target_root = g_build_filename(dst, "nowhere", NULL);
    d = run(msm_check_target_installed, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "nowhere"));
    g_free(d);
    ctx_free(ctx);
}

static void
test_single_instance(void)
{
    const char *src = msm_test_tmpdir();
    mkd(src, "msg-a/imta/config");
    mkd(src, "msg-b/imta/config");
    MsmCtx *ctx = ctx_new(src, msm_test_tmpdir(), "ims-5.2", "ms-6.0");
    char *d = run(msm_check_single_instance, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "2 instances (a, b)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "--instance"));
    g_free(d);
    ctx->instance = g_strdup("b");
    d = run(msm_check_single_instance, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "instance b"));
    g_free(d);
    g_free(ctx->instance);
    ctx->instance = g_strdup("c");
    d = run(msm_check_single_instance, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "msg-c"));
    g_free(d);
    ctx_free(ctx);

    const char *one = msm_test_tmpdir();
    mkd(one, "msg-budgie/imta/config");
    ctx = ctx_new(one, msm_test_tmpdir(), "ims-5.2", "ms-6.0");
    d = run(msm_check_single_instance, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "msg-budgie"));
    g_free(d);
    ctx_free(ctx);
}

/* Writes a history file by hand: entries "action from to run_id" separated by ';'. */
static void
history(const char *root, const char *spec)
{
    GString *s = g_string_new("[history]\nformat=1\n");
    char **entries = g_strsplit(spec, ";", -1);
    for (guint i = 0; entries[i]; i++) {
        char **f = g_strsplit(entries[i], " ", -1);
        g_string_append_printf(s,
                               "\n[entry %u]\naction=%s\nfrom=%s\nto=%s\nrun_id=%s\n"
                               "kinds=%s\nwhen=2026-02-0%uT10:00:00Z\n",
                               i + 1, f[0], f[1], f[2], f[3], f[4] ? f[4] : "config,store",
                               i + 1);
        g_strfreev(f);
    }
    g_strfreev(entries);
    put(root, ".msmigrate/history", s->str);
    g_string_free(s, TRUE);
}

static void
test_not_applied(void)
{
    const char *src = ms_base();
    const char *dst = ms_base();
    MsmCtx *ctx = ctx_new(src, dst, "ms-6.3", "ms-7.0");
    char *d = run(msm_check_not_applied, ctx, MSM_CHECK_PASS);
    g_free(d);

    history(dst, "hop ms-6.3 ms-7.0 20260201T100000Z-abc123");
    d = run(msm_check_not_applied, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "20260201T100000Z-abc123"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "--force"));
    g_free(d);

    ctx->force = TRUE;
    d = run(msm_check_not_applied, ctx, MSM_CHECK_PASS);
    CU_ASSERT_STRING_EQUAL(d, "already applied by run 20260201T100000Z-abc123; --force given");
    g_free(d);
    ctx->force = FALSE;

    /* another hop is not this one */
    ctx->hop_from = "ms-7.0";
    ctx->hop_to = "ms-8.1";
    d = run(msm_check_not_applied, ctx, MSM_CHECK_PASS);
    g_free(d);
    ctx->hop_from = "ms-6.3";
    ctx->hop_to = "ms-7.0";

    /* rolled back to the hop's origin: it may run again */
    history(dst, "hop ms-6.3 ms-7.0 R1;rollback ms-7.0 ms-6.3 R1");
    d = run(msm_check_not_applied, ctx, MSM_CHECK_PASS);
    g_free(d);
    history(dst, "hop ms-6.3 ms-7.0 R1;rollback ms-7.0 ms-6.3 R1;hop ms-6.3 ms-7.0 R2");
    d = run(msm_check_not_applied, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "run R2"));
    g_free(d);

    /* the history records kinds: a store-only run after a config-only run is not a
     * repetition, a run with the config kind again is */
    history(dst, "hop ms-6.3 ms-7.0 C1 config");
    ctx->hop_kinds = 1u << MSM_KIND_STORE;
    d = run(msm_check_not_applied, ctx, MSM_CHECK_PASS);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "for config only"));
    g_free(d);
    ctx->hop_kinds = (1u << MSM_KIND_STORE) | (1u << MSM_KIND_CONFIG);
    d = run(msm_check_not_applied, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "for config:"));
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "run C1"));
    g_free(d);
    /* config then store recorded: either kind again is refused */
    history(dst, "hop ms-6.3 ms-7.0 C1 config;hop ms-6.3 ms-7.0 S1 store");
    ctx->hop_kinds = 1u << MSM_KIND_STORE;
    d = run(msm_check_not_applied, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "run S1"));
    g_free(d);
    /* an entry of a run that migrated no kind on the hop records nothing */
    history(dst, "hop ms-6.3 ms-7.0 N1 ");
    d = run(msm_check_not_applied, ctx, MSM_CHECK_PASS);
    g_free(d);
    ctx->hop_kinds = G_MAXUINT;

    /* a damaged history stops the check with an error */
    put(dst, ".msmigrate/history", "[entry 1]\naction=hop\n");
    char *detail = NULL;
    GError *err = NULL;
    CU_ASSERT_EQUAL(msm_check_not_applied(ctx, &detail, &err), MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(err);
    g_clear_error(&err);
    g_free(detail);
    ctx_free(ctx);
}

static void
test_separate_target(void)
{
    const char *a = msm_test_tmpdir();
    const char *b = msm_test_tmpdir();
    MsmCtx *ctx = ctx_new(a, b, "ms-6.3", "ms-7.0");
    char *d = run(msm_check_separate_target, ctx, MSM_CHECK_PASS);
    g_free(d);

    /* the same directory through a symbolic link and a trailing "/." */
    char *link = g_build_filename(b, "link-to-a", NULL);
    CU_ASSERT_EQUAL_FATAL(symlink(a, link), 0);
    g_free(ctx->target_root);
    ctx->target_root = g_strconcat(link, "/.", NULL);
    d = run(msm_check_separate_target, ctx, MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NOT_NULL(strstr(d, "same directory"));
    g_free(d);

    /* a target that does not exist yet, below a link: resolved, and separate */
    g_free(ctx->target_root);
    ctx->target_root = g_build_filename(b, "new", "target", NULL);
    d = run(msm_check_separate_target, ctx, MSM_CHECK_PASS);
    g_free(d);
    /* the source itself, reached through a link to its parent */
    char *parent_link = g_build_filename(b, "link-to-parent", NULL);
    char *parent = g_path_get_dirname(a);
    char *base = g_path_get_basename(a);
    CU_ASSERT_EQUAL_FATAL(symlink(parent, parent_link), 0);
    g_free(ctx->target_root);
    ctx->target_root = g_build_filename(parent_link, base, NULL);
    d = run(msm_check_separate_target, ctx, MSM_CHECK_FAIL);
    g_free(d);
    g_free(parent_link);
    g_free(parent);
    g_free(base);
    g_free(link);
    ctx_free(ctx);
}

MSM_TEST_MAIN("check", MSM_TEST(test_queues), MSM_TEST(test_stopped),
              MSM_TEST(test_target_installed), MSM_TEST(test_single_instance),
              MSM_TEST(test_not_applied), MSM_TEST(test_separate_target))
