/*
 * NAME
 *	test-queue-nms.c - the NMS 3.x and 4.x queue codecs, channel renames, queue helpers
 * SUMMARY
 *	Writes messages with each codec, reads them back (envelope, body bytes
 *	including NUL and CR, held state, attempts, dates, extras), checks the
 *	files the model says (docs/formats/queue-nms3.md, queue-nms4.md) and
 *	their access rights, that a put is idempotent, that damaged files are
 *	per-entry errors naming the file and are left untouched, that the
 *	queue directory follows nsmsg.conf, that the 4.x writer rolls back,
 *	and the rename table of docs/formats/queue-channels.md.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "engine.h"
#include "queue-rename.h"
#include "registry.h"
#include "testutil.h"
#include "codec-testutil.h"

#include <string.h>
#include <sys/stat.h>

const MsmCodec *nms3x_queue_codec(void);

static const char body_bytes[] = "Subject: hi\r\n\r\nline\0with NUL\n\n\nend";
#define BODY_LEN (sizeof body_bytes - 1)

static MsmItem *
make_item(const char *channel, const char *name, gboolean held)
{
    MsmQueuedMessage *q = msm_queued_message_new(channel);
    q->name = g_strdup(name);
    g_free(q->sender);
    q->sender = g_strdup("joe@siroe.com");
    MsmRecipient *r = msm_recipient_new("ann@example.org");
    r->original = g_strdup("rfc822;ANN@example.org");
    r->notify = 6;
    g_ptr_array_add(q->recipients, r);
    g_ptr_array_add(q->recipients, msm_recipient_new("bob@siroe.com"));
    q->attempts = 3;
    q->created = 1000000000;
    q->last_attempt = 1000003600;
    q->held = held;
    g_ptr_array_add(q->extra, g_strdup("u;MIRANDA"));
    GBytes *b = g_bytes_new(body_bytes, BODY_LEN);
    q->body = msm_body_new_bytes(b);
    g_bytes_unref(b);
    char *key = g_strdup_printf("queue/%s/%s", channel, name ? name : "x");
    MsmItem *it = msm_item_new(MSM_KIND_QUEUE, key, q);
    g_free(key);
    return it;
}

static gboolean
put(const MsmCodec *c, MsmCtx *ctx, const char *root, const char *version, MsmItem *it,
    GError **error)
{
    gpointer w = c->writer_open(ctx, root, version, error);
    if (w == NULL)
        return FALSE;
    gboolean ok = c->writer_put(w, it, error) && c->writer_commit(w, error);
    c->writer_close(w);
    return ok;
}

/* Reads every item; per-entry errors go to errors (messages). */
static GPtrArray *
read_all(const MsmCodec *c, const char *root, const char *version, GPtrArray *errors)
{
    GError *err = NULL;
    GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)msm_item_free);
    gpointer r = c->reader_open(NULL, root, version, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (;;) {
        MsmItem *it = NULL;
        if (!c->reader_next(r, &it, &err)) {
            CU_ASSERT_TRUE(msm_reader_error_is_per_entry(err));
            if (errors)
                g_ptr_array_add(errors, g_strdup(err->message));
            g_clear_error(&err);
            continue;
        }
        if (it == NULL)
            break;
        g_ptr_array_add(items, it);
    }
    c->reader_close(r);
    return items;
}

static void
check_message(MsmQueuedMessage *q, gboolean held)
{
    CU_ASSERT_STRING_EQUAL(q->sender, "joe@siroe.com");
    CU_ASSERT_EQUAL_FATAL(q->recipients->len, 2);
    MsmRecipient *r0 = q->recipients->pdata[0], *r1 = q->recipients->pdata[1];
    CU_ASSERT_STRING_EQUAL(r0->address, "ann@example.org");
    CU_ASSERT_STRING_EQUAL(r0->original, "rfc822;ANN@example.org");
    CU_ASSERT_EQUAL(r0->notify, 6);
    CU_ASSERT_STRING_EQUAL(r1->address, "bob@siroe.com");
    CU_ASSERT_PTR_NULL(r1->original);
    CU_ASSERT_EQUAL(q->attempts, 3);
    CU_ASSERT_EQUAL(q->created, 1000000000);
    CU_ASSERT_EQUAL(q->last_attempt, 1000003600);
    CU_ASSERT_EQUAL(q->held, held);
    CU_ASSERT_EQUAL_FATAL(q->extra->len, 1);
    CU_ASSERT_STRING_EQUAL(q->extra->pdata[0], "u;MIRANDA");
    CU_ASSERT_EQUAL(msm_body_size(q->body), (gint64)BODY_LEN);
    GBytes *b = msm_body_slurp(q->body, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    gsize len;
    const void *d = g_bytes_get_data(b, &len);
    CU_ASSERT_EQUAL(len, BODY_LEN);
    CU_ASSERT_TRUE(len == BODY_LEN && memcmp(d, body_bytes, len) == 0);
    g_bytes_unref(b);
}

static guint
file_mode(const char *path)
{
    struct stat st;
    CU_ASSERT_EQUAL_FATAL(lstat(path, &st), 0);
    return st.st_mode & 07777;
}

static char *
slurp_file(const char *path)
{
    char *s = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(path, &s, NULL, NULL));
    return s;
}

static void
test_nms4_roundtrip(void)
{
    const char *root = msm_test_tmpdir();
    const MsmCodec *c = msm_core_nms4_queue_codec();
    GError *err = NULL;
    MsmItem *a = make_item("local", "abc123.msg", FALSE);
    MsmItem *b = make_item("tcp_local", "qfHELD1", TRUE); /* an NMS 3.x name */
    CU_ASSERT_TRUE(put(c, NULL, root, "nms-4.1", a, &err));
    CU_ASSERT_TRUE(put(c, NULL, root, "nms-4.1", b, &err));
    CU_ASSERT_PTR_NULL(err);
    char *fa = g_build_filename(root, "msg-default", "queue", "local", "abc123.msg", NULL);
    char *fb = g_build_filename(root, "msg-default", "queue", "tcp_local", "HELD1.held", NULL);
    CU_ASSERT_TRUE(g_file_test(fa, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT_TRUE(g_file_test(fb, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT_EQUAL(file_mode(fa), 0600);
    char *dir = g_path_get_dirname(fa);
    CU_ASSERT_EQUAL(file_mode(dir), 0700);
    g_free(dir);
    char *text = slurp_file(fa);
    CU_ASSERT_TRUE(g_str_has_prefix(text, "NMS-Queue-Envelope: 4\nSender: joe@siroe.com\n"
                                          "Recipient: ann@example.org\n"
                                          "Original-Recipient: rfc822;ANN@example.org\n"
                                          "Notify: 6\nRecipient: bob@siroe.com\nAttempts: 3\n"
                                          "Created: 1000000000\nLast-Attempt: 1000003600\n"
                                          "Extra: u;MIRANDA\n\nSubject: hi\r\n"));
    g_free(text);
    /* idempotent: the same item put again gives the same single file */
    msm_item_free(a);
    a = make_item("local", "abc123.msg", FALSE);
    CU_ASSERT_TRUE(put(c, NULL, root, "nms-4.1", a, &err));
    GPtrArray *items = read_all(c, root, "nms-4.1", NULL);
    CU_ASSERT_EQUAL_FATAL(items->len, 2);
    MsmItem *ra = items->pdata[0], *rb = items->pdata[1];
    CU_ASSERT_STRING_EQUAL(ra->key, "queue/local/abc123.msg");
    CU_ASSERT_STRING_EQUAL(rb->key, "queue/tcp_local/HELD1.held");
    check_message(ra->payload, FALSE);
    check_message(rb->payload, TRUE);
    g_ptr_array_unref(items);
    msm_item_free(a);
    msm_item_free(b);
    g_free(fa);
    g_free(fb);
}

static void
test_nms3_roundtrip(void)
{
    const char *root = msm_test_tmpdir();
    const MsmCodec *c = nms3x_queue_codec();
    GError *err = NULL;
    MsmItem *a = make_item("local", "abc.msg", FALSE); /* an NMS 4.x name */
    MsmItem *b = make_item("hold", "ZZxy12.HELD", TRUE);
    CU_ASSERT_TRUE(put(c, NULL, root, "nms-3.x", a, &err));
    CU_ASSERT_TRUE(put(c, NULL, root, "nms-3.x", b, &err));
    CU_ASSERT_PTR_NULL(err);
    char *qdir = g_build_filename(root, "msg-default", "queue", NULL);
    char *qf = g_build_filename(qdir, "local", "qfabc", NULL);
    char *df = g_build_filename(qdir, "local", "dfabc", NULL);
    char *hf = g_build_filename(qdir, "hold", "hfZZxy12HELD", NULL);
    CU_ASSERT_TRUE(g_file_test(qf, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT_TRUE(g_file_test(df, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT_TRUE(g_file_test(hf, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT_EQUAL(file_mode(qf), 0660);
    char *text = slurp_file(qf);
    CU_ASSERT_STRING_EQUAL(text, "V3\nSjoe@siroe.com\nRann@example.org\nOrfc822;ANN@example.org\n"
                                 "N6\nRbob@siroe.com\nA3\nT1000000000\nL1000003600\nXu;MIRANDA\n");
    g_free(text);
    GPtrArray *items = read_all(c, root, "nms-3.x", NULL);
    CU_ASSERT_EQUAL_FATAL(items->len, 2);
    MsmItem *rh = items->pdata[0], *rl = items->pdata[1];
    CU_ASSERT_STRING_EQUAL(rh->key, "queue/hold/hfZZxy12HELD");
    CU_ASSERT_STRING_EQUAL(rl->key, "queue/local/qfabc");
    check_message(rh->payload, TRUE);
    check_message(rl->payload, FALSE);
    g_ptr_array_unref(items);
    /* releasing in place: the same message written not held replaces hf with qf */
    MsmItem *c2 = make_item("hold", "hfZZxy12HELD", FALSE);
    CU_ASSERT_TRUE(put(c, NULL, root, "nms-3.x", c2, &err));
    CU_ASSERT_FALSE(g_file_test(hf, G_FILE_TEST_EXISTS));
    items = read_all(c, root, "nms-3.x", NULL);
    CU_ASSERT_EQUAL(items->len, 2);
    g_ptr_array_unref(items);
    msm_item_free(c2);
    msm_item_free(a);
    msm_item_free(b);
    g_free(qdir);
    g_free(qf);
    g_free(df);
    g_free(hf);
}

static void
test_damaged(void)
{
    const char *root = msm_test_tmpdir();
    static const char *const bad4[] = {
        "NMS-Queue-Envelope: 3\nSender: a\n\nbody", /* wrong magic */
        "NMS-Queue-Envelope: 4\nSender: a\nbody",   /* no empty line */
        "NMS-Queue-Envelope: 4\nColour: red\n\nb",  /* unknown line */
        "NMS-Queue-Envelope: 4\nNotify: 3\n\nb",    /* notify before a recipient */
        "NMS-Queue-Envelope: 4\nAttempts: x\n\nb",  /* not a number */
        "NMS-Queue-Envelope: 4\nSender: a\nSender: b\n\nb",
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad4); i++) {
        char *rel = g_strdup_printf("msg-default/queue/local/bad%zu.msg", i);
        msm_test_write_file(root, rel, bad4[i]);
        g_free(rel);
    }
    msm_test_write_file(root, "msg-default/queue/local/good.msg",
                        "NMS-Queue-Envelope: 4\nSender: a@b\nRecipient: c@d\n\nhello");
    msm_test_write_file(root, "msg-default/queue/local/readme.txt", "not a message");
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *items = read_all(msm_core_nms4_queue_codec(), root, "nms-4.1", errors);
    CU_ASSERT_EQUAL(items->len, 1);
    CU_ASSERT_EQUAL(errors->len, G_N_ELEMENTS(bad4) + 1);
    for (guint i = 0; i < errors->len; i++)
        CU_ASSERT_PTR_NOT_NULL(strstr(errors->pdata[i], "/msg-default/queue/local/"));
    char *p = g_build_filename(root, "msg-default/queue/local/bad0.msg", NULL);
    char *t = slurp_file(p);
    CU_ASSERT_STRING_EQUAL(t, bad4[0]); /* left untouched */
    g_free(t);
    g_free(p);
    g_ptr_array_unref(items);
    g_ptr_array_set_size(errors, 0);

    const char *r3 = msm_test_tmpdir();
    msm_test_write_file(r3, "msg-default/queue/local/qfnodata", "V3\nSa\n");
    msm_test_write_file(r3, "msg-default/queue/local/dforphan", "body");
    msm_test_write_file(r3, "msg-default/queue/local/qfbadver", "V2\nSa\n");
    msm_test_write_file(r3, "msg-default/queue/local/dfbadver", "body");
    msm_test_write_file(r3, "msg-default/queue/local/qfbadrec", "V3\nZwhat\n");
    msm_test_write_file(r3, "msg-default/queue/local/dfbadrec", "body");
    msm_test_write_file(r3, "msg-default/queue/local/qfok", "V3\nSa@b\nRc@d\nA0\n");
    msm_test_write_file(r3, "msg-default/queue/local/dfok", "body");
    items = read_all(nms3x_queue_codec(), r3, "nms-3.x", errors);
    CU_ASSERT_EQUAL(items->len, 1);
    CU_ASSERT_EQUAL(errors->len, 4);
    gboolean named = TRUE;
    for (guint i = 0; i < errors->len; i++)
        named &= strstr(errors->pdata[i], "/msg-default/queue/local/") != NULL;
    CU_ASSERT_TRUE(named);
    g_ptr_array_unref(items);
    g_ptr_array_unref(errors);
}

static void
test_unsafe(void)
{
    const char *root = msm_test_tmpdir();
    GError *err = NULL;
    const MsmCodec *codecs[] = {msm_core_nms4_queue_codec(), nms3x_queue_codec()};
    const char *versions[] = {"nms-4.1", "nms-3.x"};
    for (int k = 0; k < 2; k++) {
        MsmItem *it = make_item("../x", "a.msg", FALSE);
        CU_ASSERT_FALSE(put(codecs[k], NULL, root, versions[k], it, &err));
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
        g_clear_error(&err);
        msm_item_free(it);
        it = make_item("local", "a.msg", FALSE);
        MsmQueuedMessage *q = it->payload;
        g_free(q->sender);
        q->sender = g_strdup("a@b\nRevil@c");
        CU_ASSERT_FALSE(put(codecs[k], NULL, root, versions[k], it, &err));
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
        g_clear_error(&err);
        msm_item_free(it);
    }
    /* a link in the queue is reported, not followed */
    msm_test_write_file(root, "elsewhere.msg", "NMS-Queue-Envelope: 4\n\nx");
    char *dir = g_build_filename(root, "msg-default/queue/local", NULL);
    g_mkdir_with_parents(dir, 0755);
    char *link = g_build_filename(dir, "link.msg", NULL);
    char *target = g_build_filename(root, "elsewhere.msg", NULL);
    CU_ASSERT_EQUAL(symlink(target, link), 0);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *items = read_all(msm_core_nms4_queue_codec(), root, "nms-4.1", errors);
    CU_ASSERT_EQUAL(items->len, 0);
    CU_ASSERT_EQUAL(errors->len, 1);
    CU_ASSERT_PTR_NOT_NULL(errors->len ? strstr(errors->pdata[0], "symbolic link") : NULL);
    g_ptr_array_unref(items);
    g_ptr_array_unref(errors);
    g_free(dir);
    g_free(link);
    g_free(target);
}

static void
test_nsmsg_conf_location(void)
{
    const char *root = msm_test_tmpdir();
    msm_test_write_file(root, "msg-tango/config/nsmsg.conf",
                        "# model\nnsmsg.serverroot = \"/usr/netscape/server4/msg-tango\"\n"
                        "nsmsg.queue = \"/usr/netscape/server4/msg-tango/spool/mq\"\n");
    GError *err = NULL;
    char *d = msm_core_nms_queue_dir(root, "nms-4.1", NULL, &err);
    char *want = g_build_filename(root, "msg-tango", "spool", "mq", NULL);
    CU_ASSERT_STRING_EQUAL(d, want);
    g_free(d);
    MsmItem *it = make_item("local", "x1.msg", FALSE);
    CU_ASSERT_TRUE(put(msm_core_nms4_queue_codec(), NULL, root, "nms-4.1", it, &err));
    char *f = g_build_filename(want, "local", "x1.msg", NULL);
    CU_ASSERT_TRUE(g_file_test(f, G_FILE_TEST_IS_REGULAR));
    g_free(f);
    msm_item_free(it);
    g_free(want);
}

static void
test_rollback(void)
{
    const char *root = msm_test_tmpdir();
    const char *work = msm_test_tmpdir();
    const MsmCodec *c = msm_core_nms4_queue_codec();
    GError *err = NULL;
    /* a file already there before the run */
    msm_test_write_file(root, "msg-default/queue/local/old.msg", "NMS-Queue-Envelope: 4\n\nbefore");
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(work);
    g_free(ctx->run_id);
    ctx->run_id = g_strdup("r1");
    MsmItem *a = make_item("local", "old.msg", FALSE);
    MsmItem *b = make_item("local", "new.msg", FALSE);
    CU_ASSERT_TRUE(put(c, ctx, root, "nms-4.1", a, &err));
    CU_ASSERT_TRUE(put(c, ctx, root, "nms-4.1", b, &err));
    char *old = g_build_filename(root, "msg-default/queue/local/old.msg", NULL);
    char *new = g_build_filename(root, "msg-default/queue/local/new.msg", NULL);
    CU_ASSERT_TRUE(g_file_test(new, G_FILE_TEST_EXISTS));
    CU_ASSERT_TRUE(c->rollback(ctx, root, "nms-4.1", &err));
    CU_ASSERT_TRUE(c->rollback(ctx, root, "nms-4.1", &err)); /* idempotent */
    CU_ASSERT_FALSE(g_file_test(new, G_FILE_TEST_EXISTS));
    char *t = slurp_file(old);
    CU_ASSERT_STRING_EQUAL(t, "NMS-Queue-Envelope: 4\n\nbefore");
    g_free(t);
    g_free(old);
    g_free(new);
    msm_item_free(a);
    msm_item_free(b);
    msm_ctx_free(ctx);
}

static void
test_renames(void)
{
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("sims-4.0", "ims-5.2", "sims-ms"), "ims-ms");
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("sims-4.0", "ms-8.1", "sims-ms"), "ims-ms");
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("nms-3.x", "nms-4.1", "local"), "local");
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("nms-4.1", "ims-5.2", "local"), "ims-ms");
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("nms-3.x", "ms-8.1", "local"), "ims-ms");
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("ims-5.2", "ms-8.1", "ims-ms"), "ims-ms");
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("sims-4.0", "ims-5.2", "tcp_local"),
                           "tcp_local");
    CU_ASSERT_STRING_EQUAL(msm_queue_channel_rename("ims-5.2", "ms-6.0", "local"), "local");
    const char *c = "sims-ms";
    CU_ASSERT_PTR_EQUAL(msm_queue_channel_rename("sims-4.0", "sims-4.0", c), c);
    CU_ASSERT_PTR_EQUAL(msm_queue_channel_rename("bogus", "ms-8.1", c), c);
    CU_ASSERT_STRING_EQUAL(msm_queue_store_channel("sims-4.0"), "sims-ms");
    CU_ASSERT_STRING_EQUAL(msm_queue_store_channel("nms-4.0"), "local");
    CU_ASSERT_STRING_EQUAL(msm_queue_store_channel("ms-6.3"), "ims-ms");
}

static void
test_channel_migrator(void)
{
    MsmCtx *ctx = msm_ctx_new();
    ctx->hop_from = "sims-4.0";
    ctx->hop_to = "ims-5.2";
    GError *err = NULL;
    MsmItem *it = make_item("sims-ms", "ZZ1.00", TRUE);
    CU_ASSERT_EQUAL(msm_queue_channel_migrator.transform(ctx, it, &err), MSM_RESULT_CONTINUE);
    MsmQueuedMessage *q = it->payload;
    CU_ASSERT_STRING_EQUAL(q->channel, "ims-ms");
    CU_ASSERT_TRUE(q->held); /* nothing else changes */
    CU_ASSERT_EQUAL(q->attempts, 3);
    CU_ASSERT_EQUAL(q->created, 1000000000);
    msm_item_free(it);
    it = make_item("tcp_local", "ZZ2.00", FALSE);
    CU_ASSERT_EQUAL(msm_queue_channel_migrator.transform(ctx, it, &err), MSM_RESULT_CONTINUE);
    CU_ASSERT_STRING_EQUAL(((MsmQueuedMessage *)it->payload)->channel, "tcp_local");
    msm_item_free(it);
    MsmItem *cfg = msm_item_new(MSM_KIND_CONFIG, "config/x", NULL);
    CU_ASSERT_EQUAL(msm_queue_channel_migrator.transform(ctx, cfg, &err), MSM_RESULT_ERROR);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    msm_item_free(cfg);
    CU_ASSERT_EQUAL(msm_queue_channel_migrator.iface_version, MSM_QUEUE_IFACE_VERSION);
    msm_ctx_free(ctx);
}

/* The queues-empty check reads through the registry's codec: messages per channel. */
static void
test_queues_empty_check(void)
{
    const char *root = msm_test_tmpdir();
    MsmRegistry *reg = msm_registry_new();
    MsmCtx *ctx = msm_ctx_new();
    ctx->registry = reg;
    ctx->source_root = g_strdup(root);
    ctx->run_from = g_strdup("nms-4.1");
    char *detail = NULL;
    GError *err = NULL;
    CU_ASSERT_EQUAL(msm_check_queues_empty(ctx, &detail, &err), MSM_CHECK_PASS);
    CU_ASSERT_PTR_NULL(err);
    g_free(detail);
    detail = NULL;
    MsmItem *a = make_item("local", "a1.msg", FALSE), *b = make_item("hold", "b1.msg", FALSE);
    CU_ASSERT_TRUE(put(msm_core_nms4_queue_codec(), NULL, root, "nms-4.1", a, &err));
    CU_ASSERT_TRUE(put(msm_core_nms4_queue_codec(), NULL, root, "nms-4.1", b, &err));
    msm_test_write_file(root, "msg-default/queue/local/stray.txt", "x");
    CU_ASSERT_EQUAL(msm_check_queues_empty(ctx, &detail, &err), MSM_CHECK_FAIL);
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_PTR_NOT_NULL(detail ? strstr(detail, "2 messages in 2 channels (hold: 1, local: 1; "
                                                   "1 held), and 1 queue file")
                                  : NULL);
    CU_ASSERT_PTR_NOT_NULL(detail ? strstr(detail, "stray.txt") : NULL);
    CU_ASSERT_PTR_NOT_NULL(detail ? strstr(detail, "--migrate-queues") : NULL);
    g_free(detail);
    msm_item_free(a);
    msm_item_free(b);
    msm_ctx_free(ctx);
    msm_registry_free(reg);
}

static void
test_users(void)
{
    MsmItem *it = make_item("hold", "ZZ1.00", FALSE);
    MsmQueuedMessage *q = it->payload;
    CU_ASSERT_TRUE(msm_queue_for_user(q, "ann", "example.org"));
    CU_ASSERT_TRUE(msm_queue_for_user(q, "ANN", "EXAMPLE.org"));
    CU_ASSERT_TRUE(msm_queue_for_user(q, "bob", NULL));
    CU_ASSERT_FALSE(msm_queue_for_user(q, "ann", "siroe.com"));
    CU_ASSERT_FALSE(msm_queue_for_user(q, "an", "example.org"));
    g_ptr_array_add(q->recipients, msm_recipient_new("<carl?hosted.com@sims-ms-daemon>"));
    CU_ASSERT_TRUE(msm_queue_for_user(q, "carl", "hosted.com"));
    CU_ASSERT_TRUE(msm_queue_is_held(q)); /* in the hold channel */
    g_free(q->channel);
    q->channel = g_strdup("tcp_local");
    CU_ASSERT_FALSE(msm_queue_is_held(q));
    q->held = TRUE;
    CU_ASSERT_TRUE(msm_queue_is_held(q));
    char *e = msm_queue_envelope_string(q, "ims-ms");
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "channel=ims-ms from=<joe@siroe.com> attempts=3 held=yes"));
    CU_ASSERT_PTR_NOT_NULL(strstr(e, "<ann@example.org>(orcpt=rfc822;ANN@example.org)(notify=6)"));
    g_free(e);
    msm_item_free(it);
}

MSM_TEST_MAIN("queue-nms", MSM_TEST(test_nms4_roundtrip), MSM_TEST(test_nms3_roundtrip),
              MSM_TEST(test_damaged), MSM_TEST(test_unsafe), MSM_TEST(test_nsmsg_conf_location),
              MSM_TEST(test_rollback), MSM_TEST(test_renames), MSM_TEST(test_channel_migrator),
              MSM_TEST(test_queues_empty_check), MSM_TEST(test_users))
