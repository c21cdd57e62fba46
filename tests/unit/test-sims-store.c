/*
 * NAME
 *	test-sims-store - the SIMS 4.0 single-instance store codec (sims40)
 * SUMMARY
 *	The sims-4.0 sample store written and read back with every folder's
 *	digest unchanged; the files are where docs/formats/store-sims.md says
 *	(user/, index/, data/<h1>/<h2>/<sha256>, hash/, adm/, shared/); a
 *	message delivered to several users is stored once; putting again is
 *	idempotent; raw names that are not modified UTF-7 come back distinct;
 *	unsafe users and linked files are reported and skipped; nothing is
 *	written outside the root; rollback removes the folders a run created
 *	(and only those below the root) and keeps the others.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "ctxpriv.h"
#include "digest.h"
#include "legacy-store.h"
#include "sample-model.h"
#include "testutil.h"
#include "codec-testutil.h"

#include "../../plugins/sims40/codec-sims-store.h"
#include "../../plugins/sims40/restore.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
write_model(MsmSampleModel *m, const char *root)
{
    const MsmCodec *c = sims40_store_codec();
    GError *err = NULL;
    gpointer w = c->writer_open(NULL, root, "sims-4.0", &err);
    CU_ASSERT_FATAL(w != NULL);
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *fs = msm_sample_model_folders(m, u);
        g_ptr_array_set_free_func(fs, NULL);
        for (guint i = 0; i < fs->len; i++) {
            MsmFolder *f = fs->pdata[i];
            MsmItem *it = msm_item_new(MSM_KIND_STORE, "k", f);
            gboolean ok = c->writer_put(w, it, &err);
            if (!ok)
                fprintf(stderr, "put: %s\n", err->message);
            CU_ASSERT_FATAL(ok);
            msm_item_free(it);
        }
        g_ptr_array_unref(fs);
    }
    CU_ASSERT(c->writer_commit(w, NULL));
    c->writer_close(w);
}

/* Reads root through the codec; number of folders matching want. */
static guint
read_compare(const char *root, GHashTable *want, GPtrArray *errors, GHashTable *names)
{
    const MsmCodec *c = sims40_store_codec();
    GError *err = NULL;
    gpointer r = c->reader_open(NULL, root, "sims-4.0", &err);
    CU_ASSERT_FATAL(r != NULL);
    guint matched = 0;
    for (;;) {
        MsmItem *it = NULL;
        if (!c->reader_next(r, &it, &err)) {
            CU_ASSERT_FATAL(errors != NULL);
            g_ptr_array_add(errors, g_strdup(err->message));
            g_clear_error(&err);
            continue;
        }
        if (it == NULL)
            break;
        if (names)
            g_hash_table_add(names, g_strdup(((MsmFolder *)it->payload)->name));
        MsmDigestTee *t = msm_digest_attach(it);
        CU_ASSERT(msm_digest_drain(t, it, NULL));
        char *key = g_strdup(it->key);
        msm_item_free(it);
        char *d = msm_digest_finish(t, NULL);
        const char *exp = want ? g_hash_table_lookup(want, key) : NULL;
        if (exp && strcmp(exp, d) == 0)
            matched++;
        else if (want)
            fprintf(stderr, "%s: digest differs\n", key);
        g_free(d);
        g_free(key);
    }
    c->reader_close(r);
    return matched;
}

/* Number of regular files below dir. */
static guint
count_files(const char *dir)
{
    guint n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *e;
    while (d && (e = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(dir, e, NULL);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_files(p);
        else
            n++;
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    return n;
}

static void
test_roundtrip(void)
{
    MsmSampleModel *m = msm_sample_model_new("sims-4.0", 4, 11, NULL, NULL);
    CU_ASSERT_FATAL(m != NULL);
    GHashTable *want = msm_test_model_digests(m, NULL);
    char *root = g_build_filename(msm_test_tmpdir(), "root", NULL);
    write_model(m, root);
    CU_ASSERT(read_compare(root, want, NULL, NULL) == g_hash_table_size(want));
    char *data = g_build_filename(root, "var/opt/SUNWmail/ims/data", NULL);
    guint files = count_files(data);
    write_model(m, root); /* idempotent, and bodies are not stored twice */
    CU_ASSERT(count_files(data) == files);
    CU_ASSERT(read_compare(root, want, NULL, NULL) == g_hash_table_size(want));
    static const char *const dirs[] = {"user", "index", "data", "hash", "adm", "shared", NULL};
    for (guint i = 0; dirs[i]; i++) {
        char *d = g_build_filename(root, "var/opt/SUNWmail/ims", dirs[i], NULL);
        CU_ASSERT(g_file_test(d, G_FILE_TEST_IS_DIR));
        g_free(d);
    }
    g_free(data);
    g_free(root);
    g_hash_table_unref(want);
    msm_sample_model_free(m);
}

/* Puts f with the messages of msgs (taken) through the raw writer. */
static gboolean
put_with(const char *root, MsmFolder *f, GPtrArray *msgs)
{
    f->messages = msm_test_message_iter(msgs);
    return sims40_store_put_raw(root, f, NULL, NULL);
}

/* One message body delivered to three users is one data file. */
static void
test_single_instance(void)
{
    char *root = g_build_filename(msm_test_tmpdir(), "root", NULL);
    static const char body[] = "Subject: all staff\r\n\r\nhello\r\n";
    for (guint u = 0; u < 3; u++) {
        char *user = g_strdup_printf("user%u", u);
        MsmFolder *f = msm_folder_new(msm_owner_new(user), "INBOX");
        MsmMessage *msg = msm_message_new();
        msg->uid = 1;
        msg->size = sizeof body - 1;
        GBytes *b = g_bytes_new_static(body, sizeof body - 1);
        msg->body = msm_body_new_bytes(b);
        g_bytes_unref(b);
        GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)msm_message_free);
        g_ptr_array_add(a, msg);
        CU_ASSERT(put_with(root, f, a));
        msm_folder_free(f);
        g_free(user);
    }
    char *data = g_build_filename(root, "var/opt/SUNWmail/ims/data", NULL);
    CU_ASSERT(count_files(data) == 1);
    g_free(data);
    g_free(root);
}

/* Raw SIMS names that are not modified UTF-7, hostile users, links. */
static void
test_hostile(void)
{
    const char *base = msm_test_tmpdir();
    char *root = g_build_filename(base, "root", NULL);
    static const char *const raws[] = {"Stra\xdf"
                                       "e",
                                       "Stra\xe9"
                                       "e",
                                       "A&B",
                                       "R&AOk-pertoire",
                                       "../../x",
                                       NULL};
    for (guint i = 0; raws[i]; i++) {
        MsmFolder *f = msm_folder_new(msm_owner_new("joe"), "x");
        f->messages = msm_test_message_iter(g_ptr_array_new());
        CU_ASSERT(sims40_store_put_raw(root, f, raws[i], NULL));
        msm_folder_free(f);
    }
    MsmFolder *f = msm_folder_new(msm_owner_new("../evil"), "INBOX");
    GError *err = NULL;
    CU_ASSERT(!sims40_store_put_raw(root, f, NULL, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
    g_clear_error(&err);
    msm_folder_free(f);
    /* a linked user record is reported and skipped */
    char *secret = g_build_filename(base, "secret", NULL);
    g_file_set_contents(secret, "quota_bytes=1\n", -1, NULL);
    char *link = g_build_filename(root, "var/opt/SUNWmail/ims/user/mallory", NULL);
    CU_ASSERT(symlink(secret, link) == 0);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    read_compare(root, NULL, errors, names);
    CU_ASSERT(errors->len == 1 && strstr(errors->pdata[0], "mallory"));
    CU_ASSERT(g_hash_table_size(names) == 5);
    CU_ASSERT(g_hash_table_contains(names, "Straße"));
    CU_ASSERT(g_hash_table_contains(names, "Straée"));
    CU_ASSERT(g_hash_table_contains(names, "A&B"));
    CU_ASSERT(g_hash_table_contains(names, "Répertoire"));
    CU_ASSERT(g_hash_table_contains(names, "../../x"));
    char *outside = g_build_filename(base, "x", NULL);
    CU_ASSERT(!g_file_test(outside, G_FILE_TEST_EXISTS));
    g_free(outside);
    /* a link planted in the target is never written through */
    char *trap = g_build_filename(base, "trap", NULL);
    g_mkdir(trap, 0755);
    char *tmpd = g_build_filename(root, "var/opt/SUNWmail/ims/data/tmp", NULL);
    msm_legacy_remove_tree(tmpd, NULL);
    CU_ASSERT(symlink(trap, tmpd) == 0);
    MsmFolder *t = msm_folder_new(msm_owner_new("joe"), "Trap");
    GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)msm_message_free);
    MsmMessage *msg = msm_message_new();
    msg->uid = 1;
    msg->size = 1;
    GBytes *b = g_bytes_new_static("x", 1);
    msg->body = msm_body_new_bytes(b);
    g_bytes_unref(b);
    g_ptr_array_add(a, msg);
    t->messages = msm_test_message_iter(a);
    CU_ASSERT(!sims40_store_put_raw(root, t, NULL, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
    g_clear_error(&err);
    msm_folder_free(t);
    CU_ASSERT(count_files(trap) == 0);
    g_free(tmpd);
    g_free(trap);
    g_hash_table_unref(names);
    g_ptr_array_unref(errors);
    g_free(secret);
    g_free(link);
    g_free(root);
}

/* A run's folders are removed by rollback; the folders that were there stay. */
static void
test_rollback(void)
{
    const MsmCodec *c = sims40_store_codec();
    MsmSampleModel *m = msm_sample_model_new("sims-4.0", 2, 5, NULL, NULL);
    CU_ASSERT_FATAL(m != NULL);
    GHashTable *want = msm_test_model_digests(m, NULL);
    char *root = g_build_filename(msm_test_tmpdir(), "root", NULL);
    write_model(m, root);
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(msm_test_tmpdir());
    GError *err = NULL;
    gpointer w = c->writer_open(ctx, root, "sims-4.0", &err);
    CU_ASSERT_FATAL(w != NULL);
    /* a user of its own: a put rewrites its owner's record, which rollback keeps */
    MsmItem *a = msm_test_one_folder("newbie", "Brand/New");
    MsmItem *b = msm_test_one_folder("newbie", "Other");
    CU_ASSERT(c->writer_put(w, a, &err));
    CU_ASSERT(c->writer_put(w, b, &err));
    CU_ASSERT(c->writer_commit(w, &err));
    c->writer_close(w);
    msm_item_free(a);
    msm_item_free(b);
    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    read_compare(root, NULL, NULL, names);
    CU_ASSERT(g_hash_table_contains(names, "Brand/New"));
    CU_ASSERT(g_hash_table_contains(names, "Other"));
    g_hash_table_remove_all(names);
    /* a manifest line that is not below the root is left alone */
    char *mp = g_build_filename(ctx->work_dir, "sims-store.manifest", NULL);
    char *outside = g_build_filename(msm_test_tmpdir(), "keep", NULL);
    char *outside_fld = g_strconcat(outside, ".fld", NULL);
    CU_ASSERT(g_file_set_contents(outside_fld, "x", -1, NULL));
    char *text = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(mp, &text, NULL, NULL));
    guint lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    CU_ASSERT_EQUAL(lines, 2); /* the two folders the run created */
    char *more = g_strdup_printf("%s%s\n", text, outside);
    CU_ASSERT(g_file_set_contents(mp, more, -1, NULL));
    CU_ASSERT(c->rollback(ctx, root, "sims-4.0", &err));
    CU_ASSERT(read_compare(root, want, NULL, names) == g_hash_table_size(want));
    CU_ASSERT(!g_hash_table_contains(names, "Brand/New"));
    CU_ASSERT(!g_hash_table_contains(names, "Other"));
    CU_ASSERT(!g_file_test(mp, G_FILE_TEST_EXISTS));
    CU_ASSERT(g_file_test(outside_fld, G_FILE_TEST_EXISTS));
    CU_ASSERT(c->rollback(ctx, root, "sims-4.0", &err)); /* nothing left to do */
    CU_ASSERT(c->rollback(NULL, root, "sims-4.0", &err));
    g_free(more);
    g_free(text);
    g_free(outside_fld);
    g_free(outside);
    g_free(mp);
    g_hash_table_unref(names);
    msm_ctx_free(ctx);
    g_free(root);
    g_hash_table_unref(want);
    msm_sample_model_free(m);
}

MSM_TEST_MAIN("sims-store", MSM_TEST(test_roundtrip), MSM_TEST(test_single_instance),
              MSM_TEST(test_hostile), MSM_TEST(test_rollback))
