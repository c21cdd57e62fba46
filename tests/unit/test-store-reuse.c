/*
 * NAME
 *	test-store-reuse - pieces of the NMS 4.x in-place reuse (store-nms4.md)
 * SUMMARY
 *	- the collision name rule (msm_core_nms4_reuse_check_folder): with a
 *	  coinciding hash, classic directories named "00" or "tmp" (at any depth)
 *	  are refused naming the folder and the fix, "00_" and ordinary names
 *	  pass; with different hashes everything passes;
 *	- the parity argument of the format page: the classic (FNV-1a, hex) and
 *	  the 4.x (x31, decimal) "h1/h2" of 200,000 owner names never coincide;
 *	- the store mode option: absent / copy / in-place / another value, and
 *	  in-place only for runs from nms-4.0 / nms-4.1;
 *	- msm_body_source_path(): file bodies, declared pass-through streams, and
 *	  the run's digest wrapper keep the path; a plain stream has none.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "codec-classic-store.h"
#include "ctxpriv.h"
#include "digest.h"
#include "legacy-store.h"
#include "testutil.h"

#include <string.h>

static void
test_name_rule(void)
{
    char *h = msm_legacy_user_hash("joe"); /* as if the classic hash coincided */
    static const char *const bad[] = {"00", "tmp", "Archive/00", "a/b/tmp", "00/x", NULL};
    static const char *const good[] = {"", "00_", "Archive", "tmp_", "a/000", NULL};
    for (int i = 0; bad[i]; i++) {
        GError *err = NULL;
        CU_ASSERT(!msm_core_nms4_reuse_check_folder("joe", "F", h, bad[i], "/p", &err));
        CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
        CU_ASSERT(err && strstr(err->message, "user/joe/F") && strstr(err->message, "copy"));
        g_clear_error(&err);
        /* the same names are harmless when the two stores hash joe differently */
        char *nh = msm_legacy_user_hash("joe");
        CU_ASSERT(msm_core_nms4_reuse_check_folder(
            "joe", "F", strcmp(nh, "99/99") ? "99/99" : "98/98", bad[i], "/p", NULL));
        g_free(nh);
    }
    g_free(h);
    char *nh = msm_legacy_user_hash("joe");
    for (int i = 0; good[i]; i++)
        CU_ASSERT(msm_core_nms4_reuse_check_folder("joe", "F", nh, good[i], "/p", NULL));
    CU_ASSERT(!msm_core_nms4_reuse_check_folder("joe", "F", nh, "00", "/p", NULL));
    g_free(nh);
}

static void
test_hashes_never_coincide(void)
{
    guint same = 0, decimal = 0;
    for (guint i = 0; i < 200000; i++) {
        char u[32];
        g_snprintf(u, sizeof u, i % 2 ? "user%u" : "u%x@example.com", i);
        char *c = msm_classic_store_hash_dir(u), *n = msm_legacy_user_hash(u);
        decimal += strspn(c, "0123456789/") == strlen(c);
        same += strcmp(c, n) == 0;
        g_free(c);
        g_free(n);
    }
    CU_ASSERT(decimal > 10000); /* many classic hashes look decimal... */
    CU_ASSERT_EQUAL(same, 0);   /* ...yet none equals the 4.x hash */
}

static void
test_mode_option(void)
{
    MsmCtx *ctx = msm_ctx_new();
    GKeyFile *kf = g_key_file_new();
    ctx->profile = kf;
    ctx->run_from = g_strdup("nms-4.1");
    gboolean in_place = TRUE;
    GError *err = NULL;
    CU_ASSERT(msm_core_nms4_reuse_in_place(ctx, &in_place, &err) && !in_place);
    g_key_file_set_string(kf, "store", "nms4-reuse", "copy");
    CU_ASSERT(msm_core_nms4_reuse_in_place(ctx, &in_place, &err) && !in_place);
    g_key_file_set_string(kf, "store", "nms4-reuse", "in-place");
    CU_ASSERT(msm_core_nms4_reuse_in_place(ctx, &in_place, &err) && in_place);
    g_free(ctx->run_from);
    ctx->run_from = g_strdup("ims-5.2");
    CU_ASSERT(msm_core_nms4_reuse_in_place(ctx, &in_place, &err) && !in_place);
    g_key_file_set_string(kf, "store", "nms4-reuse", "maybe");
    CU_ASSERT(!msm_core_nms4_reuse_in_place(ctx, &in_place, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_INVALID_ARGUMENT && strstr(err->message, "maybe"));
    g_clear_error(&err);
    msm_ctx_free(ctx);
    g_key_file_unref(kf);
}

static gssize
read_nothing(gpointer data, guint8 *buf, gsize len, GError **error)
{
    (void)data, (void)buf, (void)len, (void)error;
    return 0;
}

/* Yields one message whose body is the file data names, then the end. */
static gboolean
one_message(gpointer data, MsmMessage **msg_r, GError **error)
{
    (void)error;
    char *p = data;
    *msg_r = NULL;
    if (*p == '\0')
        return TRUE;
    MsmMessage *m = msm_message_new();
    m->uid = 1;
    m->size = 3;
    m->body = msm_body_new_file(data, 3);
    *p = '\0'; /* only once */
    *msg_r = m;
    return TRUE;
}

static void
test_body_source_path(void)
{
    MsmBody *f = msm_body_new_file("/x/00/1.msg", 3);
    CU_ASSERT_STRING_EQUAL(msm_body_source_path(f), "/x/00/1.msg");
    msm_body_set_source_path(f, "/elsewhere"); /* ignored for a file body */
    CU_ASSERT_STRING_EQUAL(msm_body_source_path(f), "/x/00/1.msg");
    msm_body_free(f);
    MsmBody *s = msm_body_new_stream(read_nothing, NULL, NULL, 0);
    CU_ASSERT_PTR_NULL(msm_body_source_path(s));
    msm_body_set_source_path(s, "/y");
    CU_ASSERT_STRING_EQUAL(msm_body_source_path(s), "/y");
    msm_body_free(s);
    GBytes *b = g_bytes_new_static("abc", 3);
    MsmBody *m = msm_body_new_bytes(b);
    CU_ASSERT_PTR_NULL(msm_body_source_path(m));
    msm_body_free(m);
    g_bytes_unref(b);

    /* through the run's digest wrapper (msm_digest_attach wraps every body) */
    const char *dir = msm_test_tmpdir();
    char *path = g_build_filename(dir, "1.msg", NULL);
    CU_ASSERT_FATAL(g_file_set_contents(path, "abc", 3, NULL));
    MsmFolder *fo = msm_folder_new(msm_owner_new("joe"), "INBOX");
    fo->messages = msm_message_iter_new(one_message, g_strdup(path), g_free);
    MsmItem *item = msm_item_new(MSM_KIND_STORE, "user/joe/INBOX", fo);
    MsmDigestTee *tee = msm_digest_attach(item);
    MsmMessage *got = NULL;
    CU_ASSERT_FATAL(msm_message_iter_next(fo->messages, &got, NULL) && got != NULL);
    CU_ASSERT_STRING_EQUAL(msm_body_source_path(got->body), path);
    guint8 buf[8];
    CU_ASSERT_EQUAL(msm_body_read(got->body, buf, sizeof buf, NULL), 3);
    msm_message_free(got);
    CU_ASSERT(msm_message_iter_next(fo->messages, &got, NULL) && got == NULL);
    g_free(msm_digest_finish(tee, NULL));
    msm_item_free(item);
    g_free(path);
}

MSM_TEST_MAIN("store-reuse", MSM_TEST(test_name_rule), MSM_TEST(test_hashes_never_coincide),
              MSM_TEST(test_mode_option), MSM_TEST(test_body_source_path))
