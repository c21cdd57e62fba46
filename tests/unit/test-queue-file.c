/*
 * NAME
 *	test-queue-file.c - the code the queue and legacy store codecs share
 * SUMMARY
 *	Pins how the NMS queue directory is read from nsmsg.conf on tricky
 *	input (comments, continuation, quoting, duplicates, key case, tags),
 *	and tests core/queue-file.h (safe components, decimals, the channel
 *	walk with its link refusal, the body slice and its change detection,
 *	the atomic queue file write, the undo records and their rollback) and
 *	core/store-manifest.h (the rollback manifest walk, records).
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "queue-file.h"
#include "store-manifest.h"
#include "testutil.h"
#include "codec-testutil.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
read_text(const char *path)
{
    char *t = NULL;
    if (!g_file_get_contents(path, &t, NULL, NULL))
        return NULL;
    return t;
}

/* ---- nsmsg.conf: the queue directory (behaviour pinned before any change) ---- */

#define SR "/usr/netscape/server4/msg-tango"

typedef struct {
    const char *conf; /* nsmsg.conf text */
    const char *want; /* the queue directory below <root>/msg-tango, NULL = the layout's */
} ConfCase;

static const ConfCase conf_cases[] = {
    /* the plain forms */
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "/spool/mq\"\n", "spool/mq"},
    {"nsmsg.serverroot=" SR "\nnsmsg.queue=" SR "/q1\n", "q1"},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "\"\n", ""},
    {"nsmsg.serverroot = \"" SR "/\"\nnsmsg.queue = \"" SR "/slash\"\n", "slash"},
    {"  nsmsg.serverroot\t=\t\"" SR "\"  \r\n\tnsmsg.queue  =  \"" SR "/tab\"\t\r\n", "tab"},
    /* comments: '#' only; a '!' line does not start with the key either */
    {"nsmsg.serverroot = \"" SR "\"\n# nsmsg.queue = \"" SR "/c\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\n  #nsmsg.queue = \"" SR "/c\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\n!nsmsg.queue = \"" SR "/bang\"\n", NULL},
    /* duplicates: the first line wins */
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "/first\"\nnsmsg.queue = \"" SR
     "/second\"\n",
     "first"},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"relative\"\nnsmsg.queue = \"" SR "/second\"\n",
     NULL},
    /* no continuation: the backslash stays in the value, which is then unsafe */
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = " SR "/cont\\\ninued\n", NULL},
    /* quoting: only a pair of outer quotes is removed, nothing is unescaped */
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "/q\\\"x\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "/open\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "/tag\" [REFRESHABLE]\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = " SR "/has space\n", "has space"},
    /* the key: exact, case-sensitive, '=' required */
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queuedir = \"" SR "/other\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nNSMSG.QUEUE = \"" SR "/upper\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue \"" SR "/noeq\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue =\n", NULL},
    /* places the queue may not be */
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"/var/spool/mq\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "x/mq\"\n", NULL},
    {"nsmsg.serverroot = \"" SR "\"\nnsmsg.queue = \"" SR "/../mq\"\n", NULL},
    {"nsmsg.queue = \"" SR "/noroot\"\n", NULL},
    {"nsmsg.serverroot = \"server4\"\nnsmsg.queue = \"server4/mq\"\n", NULL},
};

static void
test_nsmsg_conf_pinned(void)
{
    GError *err = NULL;
    const char *plain = msm_test_tmpdir(); /* the same instance, no queue setting */
    msm_test_write_file(plain, "msg-tango/config/nsmsg.conf", "# nothing\n");
    char *layout_dir = msm_core_nms_queue_dir(plain, "nms-4.1", NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(layout_dir);
    const char *suffix = layout_dir + strlen(plain); /* the layout's, below root */
    for (gsize i = 0; i < G_N_ELEMENTS(conf_cases); i++) {
        const char *root = msm_test_tmpdir();
        msm_test_write_file(root, "msg-tango/config/nsmsg.conf", conf_cases[i].conf);
        char *d = msm_core_nms_queue_dir(root, "nms-4.1", NULL, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        char *want = conf_cases[i].want == NULL ? g_strconcat(root, suffix, NULL)
                     : conf_cases[i].want[0] == '\0'
                         ? g_build_filename(root, "msg-tango", NULL)
                         : g_build_filename(root, "msg-tango", conf_cases[i].want, NULL);
        if (strcmp(d, want) != 0)
            fprintf(stderr, "nsmsg.conf case %u: got %s, want %s\n", (unsigned)i, d, want);
        CU_ASSERT_STRING_EQUAL(d, want);
        g_free(want);
        g_free(d);
    }
    g_free(layout_dir);
}

/* ---- small checks ---- */

static void
test_checks(void)
{
    const char *good[] = {"tcp_local", "ims-ms", "a.b", "x$", "..."};
    const char *bad[] = {"", ".", "..", "$tmp", "a/b", "a\\b", "tab\there", "del\x7f"};
    for (gsize i = 0; i < G_N_ELEMENTS(good); i++)
        CU_ASSERT_TRUE(msm_queue_safe_component(good[i]));
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        CU_ASSERT_FALSE(msm_queue_safe_component(bad[i]));
    CU_ASSERT_FALSE(msm_queue_safe_component(NULL));
    gint64 v = 7;
    CU_ASSERT_TRUE(msm_queue_parse_decimal("0", FALSE, &v));
    CU_ASSERT_EQUAL(v, 0);
    CU_ASSERT_TRUE(msm_queue_parse_decimal("-12", TRUE, &v));
    CU_ASSERT_EQUAL(v, -12);
    CU_ASSERT_TRUE(msm_queue_parse_decimal("9223372036854775807", FALSE, &v));
    CU_ASSERT_EQUAL(v, G_MAXINT64);
    const char *nums[] = {"", "-", "-1", "+1", " 1", "1 ", "1x", "0x10", "9223372036854775808"};
    for (gsize i = 0; i < G_N_ELEMENTS(nums); i++) {
        v = 42;
        CU_ASSERT_FALSE(msm_queue_parse_decimal(nums[i], FALSE, &v));
        CU_ASSERT_EQUAL(v, 42);
    }
    CU_ASSERT_FALSE(msm_queue_parse_decimal("-", TRUE, &v));
    CU_ASSERT_FALSE(msm_queue_parse_decimal("--1", TRUE, &v));
}

/* ---- the channel walk ---- */

static gboolean
list_names_as_entries(const char *channel, const char *dir, GPtrArray *entries, GError **error)
{
    GPtrArray *names = msm_core_queue_list_names(dir, error);
    if (names == NULL)
        return FALSE;
    for (guint i = 0; i < names->len; i++)
        g_ptr_array_add(entries, g_strdup_printf("%s/%s", channel, (char *)names->pdata[i]));
    g_ptr_array_unref(names);
    return TRUE;
}

static void
test_channel_walk(void)
{
    const char *root = msm_test_tmpdir();
    char *qdir = g_build_filename(root, "queue", NULL);
    msm_test_write_file(qdir, "b/2", "x");
    msm_test_write_file(qdir, "b/1", "x");
    msm_test_write_file(qdir, "b/$1.tmp", "x");
    msm_test_write_file(qdir, "a/9", "x");
    msm_test_write_file(qdir, "$tmpdir/1", "x");
    msm_test_write_file(qdir, "notachannel", "x");
    msm_test_write_file(root, "elsewhere/secret", "x");
    char *ext = g_build_filename(root, "elsewhere", NULL);
    char *lnk = g_build_filename(qdir, "c", NULL);
    CU_ASSERT_EQUAL(symlink(ext, lnk), 0);
    char *empty = g_build_filename(qdir, "d", NULL);
    g_mkdir_with_parents(empty, 0755); /* an empty channel */
    g_free(empty);
    GError *err = NULL;
    MsmQueueChannels *c = msm_queue_channels_new(g_strdup(qdir), g_free, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->channels->len, 4); /* a b c d */
    GString *seen = g_string_new(NULL);
    guint refused = 0;
    for (;;) {
        gpointer e = NULL;
        if (!msm_queue_channels_next(c, list_names_as_entries, &e, &err)) {
            CU_ASSERT_EQUAL(err->code, MSM_ERROR_UNSAFE);
            CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "is a symbolic link"));
            CU_ASSERT_PTR_NOT_NULL(strstr(err->message, lnk));
            g_clear_error(&err);
            refused++;
            continue;
        }
        if (e == NULL)
            break;
        g_string_append_printf(seen, "%s ", (char *)e);
    }
    CU_ASSERT_STRING_EQUAL(seen->str, "a/9 b/1 b/2 ");
    CU_ASSERT_EQUAL(refused, 1);
    g_string_free(seen, TRUE);
    msm_queue_channels_free(c);
    /* no queue directory: no channels, no error */
    c = msm_queue_channels_new(g_build_filename(root, "none", NULL), g_free, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->channels->len, 0);
    gpointer e = &e;
    CU_ASSERT_TRUE(msm_queue_channels_next(c, list_names_as_entries, &e, &err));
    CU_ASSERT_PTR_NULL(e);
    msm_queue_channels_free(c);
    msm_queue_channels_free(NULL);
    g_free(ext);
    g_free(lnk);
    g_free(qdir);
}

/* ---- the body slice ---- */

static void
test_body_slice(void)
{
    const char *root = msm_test_tmpdir();
    char *p = g_build_filename(root, "f", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(p, "HEADbody\0bytesTAIL", 18, NULL));
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(stat(p, &st), 0);
    GError *err = NULL;
    MsmBody *b = msm_queue_body_slice(p, &st, 4, 10);
    CU_ASSERT_EQUAL(msm_body_size(b), 10);
    GBytes *got = msm_body_slurp(b, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    gsize n = 0;
    const char *d = g_bytes_get_data(got, &n);
    CU_ASSERT_EQUAL(n, 10);
    CU_ASSERT_EQUAL(memcmp(d, "body\0bytes", 10), 0);
    g_bytes_unref(got);
    msm_body_free(b);
    /* the file changed after it was parsed: refused, naming it */
    b = msm_queue_body_slice(p, &st, 4, 10);
    CU_ASSERT_TRUE(g_file_set_contents(p, "HEADbody", -1, NULL));
    guint8 buf[16];
    CU_ASSERT_EQUAL(msm_body_read(b, buf, sizeof buf, &err), -1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "changed while it was being migrated"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, p));
    g_clear_error(&err);
    msm_body_free(b);
    g_free(p);
}

/* ---- writing ---- */

static gboolean
fill_text(int fd, const char *tmp, gpointer data, GError **error)
{
    (void)tmp;
    (void)error;
    return msm_queue_write_all(fd, data, strlen(data));
}

static gboolean
fill_fails(int fd, const char *tmp, gpointer data, GError **error)
{
    (void)data;
    msm_queue_write_all(fd, "partial", 7);
    g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "refused %s", tmp);
    return FALSE;
}

static gboolean
refuse_x(const guint8 *buf, gsize len, gpointer data, GError **error)
{
    (void)data;
    if (memchr(buf, 'X', len) == NULL)
        return TRUE;
    g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE, "an X");
    return FALSE;
}

static gboolean
fill_body(int fd, const char *tmp, gpointer data, GError **error)
{
    return msm_queue_copy_body(fd, data, "queue/a/k", tmp, refuse_x, NULL, error);
}

static void
test_file_put(void)
{
    const char *root = msm_test_tmpdir();
    char *dir = g_build_filename(root, "chan", NULL);
    GError *err = NULL;
    mode_t old = umask(0277);
    CU_ASSERT_TRUE(msm_queue_make_channel_dir(dir, 0700, "queue/chan/x", &err));
    CU_ASSERT_TRUE(msm_queue_make_channel_dir(dir, 0700, "queue/chan/x", &err)); /* exists */
    CU_ASSERT_TRUE(msm_queue_file_put(dir, "m1", 0600, TRUE, fill_text, "one", &err));
    CU_ASSERT_TRUE(msm_queue_file_put(dir, "m2", 0600, FALSE, fill_text, "two", &err));
    umask(old);
    char *m1 = g_build_filename(dir, "m1", NULL), *m2 = g_build_filename(dir, "m2", NULL);
    struct stat st;
    CU_ASSERT_EQUAL(stat(m1, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0600); /* set_mode: whatever the umask */
    CU_ASSERT_EQUAL(stat(m2, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 07777, 0400); /* the umask's */
    char *t = read_text(m1);
    CU_ASSERT_STRING_EQUAL(t, "one");
    g_free(t);
    CU_ASSERT_TRUE(msm_queue_sync_dir(dir, &err));
    /* a failed fill leaves the old file and no temporary */
    CU_ASSERT_FALSE(msm_queue_file_put(dir, "m1", 0600, TRUE, fill_fails, NULL, &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "$m1.tmp"));
    g_clear_error(&err);
    t = read_text(m1);
    CU_ASSERT_STRING_EQUAL(t, "one");
    g_free(t);
    char *tmp = g_build_filename(dir, "$m1.tmp", NULL);
    CU_ASSERT_FALSE(g_file_test(tmp, G_FILE_TEST_EXISTS));
    /* a refused chunk: nothing written */
    GBytes *bytes = g_bytes_new_static("abcXdef", 7);
    MsmBody *b = msm_body_new_bytes(bytes);
    CU_ASSERT_FALSE(msm_queue_file_put(dir, "m3", 0600, TRUE, fill_body, b, &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "an X"));
    g_clear_error(&err);
    msm_body_free(b);
    g_bytes_unref(bytes);
    char *m3 = g_build_filename(dir, "m3", NULL);
    CU_ASSERT_FALSE(g_file_test(m3, G_FILE_TEST_EXISTS));
    /* a channel directory that is a link is refused, naming the item */
    char *lnk = g_build_filename(root, "lnk", NULL);
    CU_ASSERT_EQUAL(symlink(dir, lnk), 0);
    CU_ASSERT_FALSE(msm_queue_make_channel_dir(lnk, 0700, "queue/lnk/x", &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "refusing to write queue/lnk/x"));
    g_clear_error(&err);
    /* a temporary that is a link is not followed */
    char *victim = g_build_filename(root, "victim", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(victim, "safe", -1, NULL));
    CU_ASSERT_EQUAL(symlink(victim, tmp), 0);
    CU_ASSERT_FALSE(msm_queue_file_put(dir, "m1", 0600, TRUE, fill_text, "evil", &err));
    CU_ASSERT_TRUE(err && err->code == MSM_ERROR_UNSAFE);
    g_clear_error(&err);
    t = read_text(victim);
    CU_ASSERT_STRING_EQUAL(t, "safe");
    g_free(t);
    g_free(victim);
    g_free(lnk);
    g_free(m3);
    g_free(tmp);
    g_free(m1);
    g_free(m2);
    g_free(dir);
}

static void
test_put_checks(void)
{
    GError *err = NULL;
    MsmItem *it = msm_item_new(MSM_KIND_QUEUE, "queue/a/b", msm_queued_message_new("a/b"));
    MsmQueuedMessage *q = msm_queue_put_message(it, "nms4-queue", &err);
    CU_ASSERT_PTR_EQUAL(q, it->payload);
    CU_ASSERT_FALSE(msm_queue_check_channel(it, q->channel, " (hint)", &err));
    CU_ASSERT_STRING_EQUAL(err->message, "refusing queued message queue/a/b: its channel \"a/b\" "
                                         "is not one safe directory name (hint)");
    g_clear_error(&err);
    CU_ASSERT_TRUE(msm_queue_no_line_feed(it, "sender", NULL, "x", "y", &err));
    CU_ASSERT_TRUE(msm_queue_no_line_feed(it, "sender", "a@b\r", "x", "y", &err));
    CU_ASSERT_FALSE(
        msm_queue_no_line_feed(it, "sender", "a\nb", "envelope lines", "fix the address", &err));
    CU_ASSERT_STRING_EQUAL(err->message, "refusing queued message queue/a/b: its sender contains "
                                         "a line feed, which would add envelope lines; fix the "
                                         "address");
    g_clear_error(&err);
    CU_ASSERT_PTR_NULL(msm_queue_put_message(NULL, "pmdf-queue", &err));
    CU_ASSERT_STRING_EQUAL(err->message, "the pmdf-queue writer was given no item : only queued "
                                         "messages can be written");
    g_clear_error(&err);
    msm_item_free(it);
}

/* ---- the undo records of a writer ---- */

static void
test_writer_undo(void)
{
    const char *root = msm_test_tmpdir();
    const char *work = msm_test_tmpdir();
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(work);
    GError *err = NULL;
    char *old = g_build_filename(root, "old", NULL), *fresh = g_build_filename(root, "new", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(old, "before", -1, NULL));
    MsmQueueWriter *w = msm_queue_writer_new(ctx, g_strdup(root), "t-undo", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NOT_NULL(w->undo_dir);
    CU_ASSERT_TRUE(msm_queue_writer_remember(w, old, &err));
    CU_ASSERT_TRUE(g_file_set_contents(old, "after", -1, NULL));
    CU_ASSERT_TRUE(msm_queue_writer_remember(w, old, &err)); /* second time: kept the first */
    CU_ASSERT_TRUE(g_file_set_contents(old, "after2", -1, NULL));
    CU_ASSERT_TRUE(msm_queue_writer_remember(w, fresh, &err));
    CU_ASSERT_TRUE(g_file_set_contents(fresh, "made", -1, NULL));
    CU_ASSERT_TRUE(msm_queue_writer_commit(w, &err));
    msm_queue_writer_close(w);
    CU_ASSERT_TRUE(msm_queue_writer_rollback(ctx, "t-undo", &err));
    char *t = read_text(old);
    CU_ASSERT_STRING_EQUAL(t, "before");
    g_free(t);
    CU_ASSERT_FALSE(g_file_test(fresh, G_FILE_TEST_EXISTS));
    CU_ASSERT_TRUE(msm_queue_writer_rollback(ctx, "t-undo", &err)); /* idempotent */
    CU_ASSERT_TRUE(msm_queue_writer_rollback(NULL, "t-undo", &err));
    /* outside a run: no undo records */
    w = msm_queue_writer_new(NULL, g_strdup(root), "t-undo", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_PTR_NULL(w->undo_dir);
    CU_ASSERT_TRUE(msm_queue_writer_remember(w, old, &err));
    msm_queue_writer_close(w);
    msm_queue_writer_close(NULL);
    g_free(old);
    g_free(fresh);
    msm_ctx_free(ctx);
}

/* ---- the store manifest ---- */

static GPtrArray *undone;

static gboolean
undo_line(const char *line, GError **error)
{
    g_ptr_array_add(undone, g_strdup(line));
    if (g_str_has_suffix(line, "/fail")) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot undo %s", line);
        return FALSE;
    }
    return TRUE;
}

static void
test_store_manifest(void)
{
    const char *work = msm_test_tmpdir();
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(work);
    char *mp = g_build_filename(work, "t.manifest", NULL);
    msm_store_manifest_note(mp, "%s/a\n", "/root");
    msm_store_manifest_note(mp, "/other/b\n");
    msm_store_manifest_note(mp, "%s/%s\n", "/root", "c");
    char *t = read_text(mp);
    CU_ASSERT_STRING_EQUAL(t, "/root/a\n/other/b\n/root/c\n");
    g_free(t);
    GError *err = NULL;
    undone = g_ptr_array_new_with_free_func(g_free);
    CU_ASSERT_TRUE(msm_store_manifest_rollback(ctx, "t.manifest", "/root", undo_line, &err));
    CU_ASSERT_EQUAL_FATAL(undone->len, 2);
    CU_ASSERT_STRING_EQUAL(undone->pdata[0], "/root/a");
    CU_ASSERT_STRING_EQUAL(undone->pdata[1], "/root/c");
    CU_ASSERT_FALSE(g_file_test(mp, G_FILE_TEST_EXISTS));
    /* a failing undo stops the walk and keeps the manifest */
    g_ptr_array_set_size(undone, 0);
    msm_store_manifest_note(mp, "/root/fail\n/root/later\n");
    CU_ASSERT_FALSE(msm_store_manifest_rollback(ctx, "t.manifest", "/root", undo_line, &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "cannot undo /root/fail"));
    g_clear_error(&err);
    CU_ASSERT_EQUAL(undone->len, 1);
    CU_ASSERT_TRUE(g_file_test(mp, G_FILE_TEST_EXISTS));
    /* outside a run, or no manifest: nothing to do */
    CU_ASSERT_TRUE(msm_store_manifest_rollback(NULL, "t.manifest", "/root", undo_line, &err));
    CU_ASSERT_TRUE(msm_store_manifest_rollback(ctx, "none.manifest", "/root", undo_line, &err));
    g_ptr_array_unref(undone);
    /* records */
    MsmLegacyRecord *r = msm_legacy_record_new();
    msm_legacy_record_set(r, "acl", "a\tlr\n\nb\tlrs\n");
    char *rp = g_build_filename(work, "rec", NULL);
    CU_ASSERT_TRUE(msm_store_record_write(rp, r, &err));
    struct stat st;
    CU_ASSERT_EQUAL(stat(rp, &st), 0);
    CU_ASSERT_EQUAL(st.st_mode & 0777, 0600);
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    msm_store_record_lines(msm_legacy_record_get(r, "acl"), lines);
    msm_store_record_lines(NULL, lines);
    msm_store_record_lines("", lines);
    CU_ASSERT_EQUAL_FATAL(lines->len, 2);
    CU_ASSERT_STRING_EQUAL(lines->pdata[1], "b\tlrs");
    g_ptr_array_unref(lines);
    msm_legacy_record_free(r);
    g_free(rp);
    g_free(mp);
    msm_ctx_free(ctx);
}

MSM_TEST_MAIN("queue-file", MSM_TEST(test_nsmsg_conf_pinned), MSM_TEST(test_checks),
              MSM_TEST(test_channel_walk), MSM_TEST(test_body_slice), MSM_TEST(test_file_put),
              MSM_TEST(test_put_checks), MSM_TEST(test_writer_undo), MSM_TEST(test_store_manifest))
