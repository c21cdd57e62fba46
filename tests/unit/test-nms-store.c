/*
 * NAME
 *	test-nms-store - the NMS 4.x (core) and NMS 3.x (nms3x) store codecs
 * SUMMARY
 *	The generated sample store of nms-4.1 / nms-3.x written through each
 *	codec and read back: every folder comes back with the digest it was
 *	written with (names, UIDVALIDITY, owner, quotas, subscriptions, ACLs,
 *	UIDs, flags, keywords, dates, sizes, body bytes). The files are where
 *	docs/formats/store-nms4.md says (real Berkeley DB files, =user hash
 *	directories, 00/). Putting a folder twice gives the same store
 *	(idempotent); hostile owner and folder names are refused or encoded
 *	and nothing is written outside the root; a symbolic link in a store is
 *	reported and not followed; a TRANSITION folder is refused with the
 *	command that finishes it; rollback restores what a run replaced (NMS
 *	4.x) or removes the folders a run created (NMS 3.x).
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "digest.h"
#include "legacy-store.h"
#include "sample-model.h"
#include "testutil.h"
#include "codec-testutil.h"

#include "../../plugins/nms3x/codec-nms3-store.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes every folder of the model through codec at root. */
static void
write_model(const MsmCodec *c, MsmCtx *ctx, MsmSampleModel *m, const char *root)
{
    GError *err = NULL;
    gpointer w = c->writer_open(ctx, root, m->version, &err);
    if (w == NULL)
        fprintf(stderr, "writer_open: %s\n", err->message);
    CU_ASSERT_FATAL(w != NULL);
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *fs = msm_sample_model_folders(m, u);
        g_ptr_array_set_free_func(fs, NULL);
        for (guint i = 0; i < fs->len; i++) {
            MsmFolder *f = fs->pdata[i];
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            MsmItem *it = msm_item_new(MSM_KIND_STORE, key, f);
            gboolean ok = c->writer_put(w, it, &err);
            if (!ok)
                fprintf(stderr, "put %s: %s\n", key, err->message);
            CU_ASSERT_FATAL(ok);
            msm_item_free(it);
            g_free(key);
        }
        g_ptr_array_unref(fs);
    }
    CU_ASSERT_FATAL(c->writer_commit(w, NULL));
    c->writer_close(w);
}

/* Reads root back; returns the number of folders whose digest matched,
 * *errors_r the reader's per-entry errors (messages). */
static guint
read_compare(const MsmCodec *c, const char *root, const char *version, GHashTable *want,
             GPtrArray *errors)
{
    GError *err = NULL;
    gpointer r = c->reader_open(NULL, root, version, &err);
    if (r == NULL)
        fprintf(stderr, "reader_open: %s\n", err->message);
    CU_ASSERT_FATAL(r != NULL);
    guint64 est_items = 0, est_bytes = 0;
    CU_ASSERT(c->reader_estimate(r, &est_items, &est_bytes));
    guint matched = 0, seen = 0;
    for (;;) {
        MsmItem *it = NULL;
        if (!c->reader_next(r, &it, &err)) {
            CU_ASSERT_FATAL(err != NULL);
            CU_ASSERT_FATAL(err->code == MSM_ERROR_UNSAFE || err->code == MSM_ERROR_PARSE);
            if (errors)
                g_ptr_array_add(errors, g_strdup(err->message));
            else
                fprintf(stderr, "reader_next: %s\n", err->message);
            CU_ASSERT(errors != NULL);
            g_clear_error(&err);
            continue;
        }
        if (it == NULL)
            break;
        seen++;
        MsmDigestTee *t = msm_digest_attach(it);
        gboolean drained = msm_digest_drain(t, it, &err);
        if (!drained)
            fprintf(stderr, "drain %s: %s\n", it->key, err->message);
        CU_ASSERT(drained);
        g_clear_error(&err);
        char *key = g_strdup(it->key);
        msm_item_free(it);
        char *d = msm_digest_finish(t, NULL);
        const char *exp = g_hash_table_lookup(want, key);
        if (exp && strcmp(exp, d) == 0)
            matched++;
        else
            fprintf(stderr, "folder %s: digest differs or unexpected\n", key);
        g_free(d);
        g_free(key);
    }
    c->reader_close(r);
    CU_ASSERT(seen == matched);
    return matched;
}

static void
roundtrip(const MsmCodec *c, const char *version)
{
    MsmSampleModel *m = msm_sample_model_new(version, 4, 7, NULL, NULL);
    CU_ASSERT_FATAL(m != NULL);
    GHashTable *want = msm_test_model_digests(m, NULL);
    CU_ASSERT_FATAL(g_hash_table_size(want) > 8);
    char *root = g_build_filename(msm_test_tmpdir(), "root", NULL);
    write_model(c, NULL, m, root);
    CU_ASSERT(read_compare(c, root, version, want, NULL) == g_hash_table_size(want));
    /* idempotent: putting everything again changes nothing */
    write_model(c, NULL, m, root);
    CU_ASSERT(read_compare(c, root, version, want, NULL) == g_hash_table_size(want));
    g_hash_table_unref(want);
    msm_sample_model_free(m);
    g_free(root);
}

static void
test_nms4_roundtrip(void)
{
    roundtrip(msm_core_nms4_store_codec(), "nms-4.1");
}

static void
test_nms3_roundtrip(void)
{
    roundtrip(nms3x_store_codec(), "nms-3.x");
}

/* The files the model documents, and real Berkeley DB files. */
static void
test_nms4_files(void)
{
    MsmSampleModel *m = msm_sample_model_new("nms-4.0", 2, 3, NULL, NULL);
    const char *root = msm_test_tmpdir();
    write_model(msm_core_nms4_store_codec(), NULL, m, root);
    char *store = g_build_filename(root, "msg-default", "store", NULL);
    char *data = g_build_filename(store, "mboxlist", "data.db2", NULL);
    char *quota = g_build_filename(store, "quota.db2", NULL);
    const MsmSampleUser *u = m->users->pdata[0];
    char *hash = msm_legacy_user_hash(u->store_user);
    char *inbox = g_strdup_printf("%s/partition/primary/=user/%s/=%s/00/store.idx", store, hash,
                                  u->store_user);
    char *subs = g_build_filename(store, "user", u->store_user, NULL);
    CU_ASSERT(g_file_test(inbox, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT(g_file_test(subs, G_FILE_TEST_IS_REGULAR));
    /* db_dump (db5.3-util) or our own reader: check the BDB magic + record */
    MsmLegacyDb *db = msm_legacy_db_open(data, TRUE, NULL);
    CU_ASSERT_FATAL(db != NULL);
    char *k = g_strdup_printf("user/%s/INBOX", u->store_user);
    char *v = msm_legacy_db_get(db, k, NULL);
    CU_ASSERT(v != NULL && strstr(v, "partition=primary\n") && strstr(v, "state=NON-TRANSITION"));
    /* a TRANSITION record is refused with the command that finishes it */
    char *t = g_strdup("partition=primary\nstate=TRANSITION\n");
    CU_ASSERT(msm_legacy_db_put(db, "user/zz/INBOX", t, NULL));
    msm_legacy_db_close(db);
    MsmLegacyDb *q = msm_legacy_db_open(quota, FALSE, NULL);
    CU_ASSERT_FATAL(q != NULL);
    char *qv = msm_legacy_db_get(q, u->store_user, NULL);
    CU_ASSERT(qv != NULL && strstr(qv, "quota_bytes=") != NULL);
    msm_legacy_db_close(q);
    GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
    GHashTable *want = msm_test_model_digests(m, NULL);
    read_compare(msm_core_nms4_store_codec(), root, "nms-4.0", want, errs);
    CU_ASSERT(errs->len == 1 && strstr(errs->pdata[0], "TRANSITION") &&
              strstr(errs->pdata[0], "store upgrade"));
    g_ptr_array_unref(errs);
    g_hash_table_unref(want);
    g_free(t);
    g_free(k);
    g_free(v);
    g_free(qv);
    g_free(store);
    g_free(data);
    g_free(quota);
    g_free(hash);
    g_free(inbox);
    g_free(subs);
    msm_sample_model_free(m);
}

/* Counts the entries below dir (recursively, links not followed). */
static guint
count_tree(const char *dir)
{
    guint n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *e;
    while (d && (e = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(dir, e, NULL);
        struct stat st;
        n++;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_tree(p);
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    return n;
}

static void
hostile(const MsmCodec *c, const char *version)
{
    const char *base = msm_test_tmpdir();
    char *root = g_build_filename(base, "root", NULL);
    char *outside = g_build_filename(base, "outside", NULL);
    g_mkdir(outside, 0755);
    g_mkdir(root, 0755);
    GError *err = NULL;
    gpointer w = c->writer_open(NULL, root, version, &err);
    CU_ASSERT_FATAL(w != NULL);
    static const char *const bad_users[] = {"..",  "../x", "a/b",      ".hidden", "",
                                            "x y", "\x01", "\xff\xfe", NULL};
    for (guint i = 0; bad_users[i]; i++) {
        MsmItem *it = msm_test_one_folder(bad_users[i], "INBOX");
        CU_ASSERT(!c->writer_put(w, it, &err));
        CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
        g_clear_error(&err);
        msm_item_free(it);
    }
    /* names encoded, not refused: they stay inside the owner's directory */
    static const char *const odd[] = {"..",    "../../../outside/x", "a/../../b", "00",
                                      "tmp",   "Ré/pertoire",        "./.",       "&-",
                                      "inbox", "INBOX/00",           "INBOX",     NULL};
    for (guint i = 0; odd[i]; i++) {
        MsmItem *it = msm_test_one_folder("joe", odd[i]);
        gboolean ok = c->writer_put(w, it, &err);
        if (!ok)
            CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
        g_clear_error(&err);
        msm_item_free(it);
    }
    char *longname = g_strnfill(2000, 'x');
    MsmItem *it = msm_test_one_folder("joe", longname);
    CU_ASSERT(!c->writer_put(w, it, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
    g_clear_error(&err);
    msm_item_free(it);
    g_free(longname);
    c->writer_commit(w, NULL);
    c->writer_close(w);
    CU_ASSERT(count_tree(outside) == 0);
    CU_ASSERT(count_tree(base) == count_tree(root) + 2); /* root and outside themselves */
    /* read back: every encoded folder comes back with its own name */
    gpointer r = c->reader_open(NULL, root, version, &err);
    CU_ASSERT_FATAL(r != NULL);
    GHashTable *names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (;;) {
        MsmItem *ri = NULL;
        if (!c->reader_next(r, &ri, &err)) {
            g_clear_error(&err);
            continue;
        }
        if (ri == NULL)
            break;
        g_hash_table_add(names, g_strdup(((MsmFolder *)ri->payload)->name));
        msm_item_free(ri);
    }
    c->reader_close(r);
    CU_ASSERT(g_hash_table_contains(names, ".."));
    CU_ASSERT(g_hash_table_contains(names, "../../../outside/x"));
    CU_ASSERT(g_hash_table_contains(names, "00"));
    CU_ASSERT(g_hash_table_contains(names, "tmp"));
    CU_ASSERT(g_hash_table_contains(names, "Ré/pertoire"));
    CU_ASSERT(g_hash_table_contains(names, "&-"));
    CU_ASSERT(g_hash_table_contains(names, "inbox")); /* not merged into INBOX */
    CU_ASSERT(g_hash_table_contains(names, "INBOX/00"));
    CU_ASSERT(g_hash_table_contains(names, "INBOX"));
    g_hash_table_unref(names);
    g_free(root);
    g_free(outside);
}

static void
test_nms4_hostile(void)
{
    hostile(msm_core_nms4_store_codec(), "nms-4.1");
}

static void
test_nms3_hostile(void)
{
    hostile(nms3x_store_codec(), "nms-3.x");
}

/* A symbolic link in a 3.x store is reported, not followed. */
static void
test_nms3_symlink(void)
{
    MsmSampleModel *m = msm_sample_model_new("nms-3.x", 2, 5, NULL, NULL);
    const char *base = msm_test_tmpdir();
    char *root = g_build_filename(base, "root", NULL);
    write_model(nms3x_store_codec(), NULL, m, root);
    char *secret = g_build_filename(base, "secret", NULL);
    g_mkdir(secret, 0755);
    char *link = g_build_filename(root, "msg-default", "mailbox", "intruder", NULL);
    CU_ASSERT(symlink(secret, link) == 0);
    GPtrArray *errs = g_ptr_array_new_with_free_func(g_free);
    GHashTable *want = msm_test_model_digests(m, NULL);
    CU_ASSERT(read_compare(nms3x_store_codec(), root, "nms-3.x", want, errs) ==
              g_hash_table_size(want));
    CU_ASSERT(errs->len == 1 && strstr(errs->pdata[0], "intruder") &&
              strstr(errs->pdata[0], "symbolic link"));
    /* partition names as the upgrade derives them */
    char *p = nms3x_partition_name("/disk1/Partition.One", 1);
    CU_ASSERT_STRING_EQUAL(p, "partitionone");
    g_free(p);
    g_ptr_array_unref(errs);
    g_hash_table_unref(want);
    g_free(root);
    g_free(secret);
    g_free(link);
    msm_sample_model_free(m);
}

/* Rollback restores a replaced folder byte for byte and removes a new one. */
static void
test_nms4_rollback(void)
{
    const MsmCodec *c = msm_core_nms4_store_codec();
    MsmSampleModel *m = msm_sample_model_new("nms-4.1", 2, 13, NULL, NULL);
    GHashTable *want = msm_test_model_digests(m, NULL);
    char *root = g_build_filename(msm_test_tmpdir(), "root", NULL);
    write_model(c, NULL, m, root);
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(msm_test_tmpdir());
    const MsmSampleUser *u = m->users->pdata[0];
    GError *err = NULL;
    gpointer w = c->writer_open(ctx, root, "nms-4.1", &err);
    CU_ASSERT_FATAL(w != NULL);
    MsmItem *a = msm_test_one_folder(u->store_user, "INBOX"); /* replaces the INBOX */
    MsmItem *b = msm_test_one_folder(u->store_user, "Brand/New");
    CU_ASSERT(c->writer_put(w, a, NULL));
    CU_ASSERT(c->writer_put(w, b, NULL));
    CU_ASSERT(c->writer_commit(w, NULL));
    c->writer_close(w);
    msm_item_free(a);
    msm_item_free(b);
    char *data = g_build_filename(root, "msg-default/store/mboxlist/data.db2", NULL);
    char *nkey = g_strdup_printf("user/%s/Brand/New", u->store_user);
    MsmLegacyDb *db = msm_legacy_db_open(data, FALSE, NULL);
    CU_ASSERT_FATAL(db != NULL);
    char *v = msm_legacy_db_get(db, nkey, NULL);
    CU_ASSERT(v != NULL);
    g_free(v);
    msm_legacy_db_close(db);
    gboolean ok = c->rollback(ctx, root, "nms-4.1", &err);
    if (!ok)
        fprintf(stderr, "rollback: %s\n", err->message);
    CU_ASSERT(ok);
    CU_ASSERT(c->rollback(ctx, root, "nms-4.1", NULL)); /* idempotent */
    CU_ASSERT(read_compare(c, root, "nms-4.1", want, NULL) == g_hash_table_size(want));
    db = msm_legacy_db_open(data, FALSE, NULL);
    CU_ASSERT_FATAL(db != NULL);
    v = msm_legacy_db_get(db, nkey, NULL);
    CU_ASSERT(v == NULL); /* the folder the run created is gone */
    g_free(v);
    msm_legacy_db_close(db);
    g_free(data);
    g_free(nkey);
    msm_ctx_free(ctx);
    g_hash_table_unref(want);
    g_free(root);
    msm_sample_model_free(m);
}

/* NMS 3.x: rollback removes the folders a run created (their "00/"), and only
 * below the root. */
static void
test_nms3_rollback(void)
{
    const MsmCodec *c = nms3x_store_codec();
    MsmSampleModel *m = msm_sample_model_new("nms-3.x", 2, 7, NULL, NULL);
    GHashTable *want = msm_test_model_digests(m, NULL);
    char *root = g_build_filename(msm_test_tmpdir(), "root", NULL);
    write_model(c, NULL, m, root);
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(msm_test_tmpdir());
    /* the new folders carry their user's own owner record, which stays */
    GPtrArray *fs = msm_sample_model_folders(m, 0);
    const MsmFolder *f0 = fs->pdata[0];
    GError *err = NULL;
    gpointer w = c->writer_open(ctx, root, "nms-3.x", &err);
    CU_ASSERT_FATAL(w != NULL);
    MsmItem *a = msm_test_one_folder(f0->owner->user, "Brand/New");
    MsmItem *b = msm_test_one_folder(f0->owner->user, "Other");
    for (MsmItem **it = (MsmItem *[]){a, b, NULL}; *it; it++) {
        MsmFolder *f = (*it)->payload;
        msm_owner_free(f->owner);
        f->owner = msm_owner_copy(f0->owner);
        CU_ASSERT(c->writer_put(w, *it, &err));
    }
    CU_ASSERT(c->writer_commit(w, &err));
    c->writer_close(w);
    msm_item_free(a);
    msm_item_free(b);
    g_ptr_array_unref(fs);
    char *mp = g_build_filename(ctx->work_dir, "nms3-store.manifest", NULL);
    char *outside = g_build_filename(msm_test_tmpdir(), "keep", NULL);
    g_mkdir_with_parents(outside, 0755);
    char *text = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(mp, &text, NULL, NULL));
    char *more = g_strdup_printf("%s%s\n", text, outside);
    CU_ASSERT(g_file_set_contents(mp, more, -1, NULL));
    gboolean ok = c->rollback(ctx, root, "nms-3.x", &err);
    if (!ok)
        fprintf(stderr, "rollback: %s\n", err->message);
    CU_ASSERT(ok);
    CU_ASSERT(read_compare(c, root, "nms-3.x", want, NULL) == g_hash_table_size(want));
    CU_ASSERT(!g_file_test(mp, G_FILE_TEST_EXISTS));
    CU_ASSERT(g_file_test(outside, G_FILE_TEST_IS_DIR));
    CU_ASSERT(c->rollback(ctx, root, "nms-3.x", NULL)); /* nothing left to do */
    g_free(more);
    g_free(text);
    g_free(outside);
    g_free(mp);
    msm_ctx_free(ctx);
    g_hash_table_unref(want);
    g_free(root);
    msm_sample_model_free(m);
}

/* Links planted in a target are never written through. */
static void
planted(const MsmCodec *c, const char *version, const char *link_rel)
{
    const char *base = msm_test_tmpdir();
    char *root = g_build_filename(base, "root", NULL);
    char *trap = g_build_filename(base, "trap", NULL);
    g_mkdir(trap, 0755);
    char *link = g_build_filename(root, link_rel, NULL);
    char *parent = g_path_get_dirname(link);
    g_mkdir_with_parents(parent, 0755);
    CU_ASSERT_FATAL(symlink(trap, link) == 0);
    GError *err = NULL;
    gpointer w = c->writer_open(NULL, root, version, &err);
    CU_ASSERT_FATAL(w != NULL);
    MsmItem *it = msm_test_one_folder("joe", "INBOX");
    CU_ASSERT(!c->writer_put(w, it, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
    g_clear_error(&err);
    msm_item_free(it);
    c->writer_close(w);
    CU_ASSERT(count_tree(trap) == 0);
    g_free(parent);
    g_free(link);
    g_free(trap);
    g_free(root);
}

static void
test_planted_links(void)
{
    planted(msm_core_nms4_store_codec(), "nms-4.1", "msg-default/store/partition/primary");
    planted(nms3x_store_codec(), "nms-3.x", "msg-default/mailbox/joe");
}

MSM_TEST_MAIN("nms-store", MSM_TEST(test_planted_links), MSM_TEST(test_nms4_rollback),
              MSM_TEST(test_nms4_roundtrip), MSM_TEST(test_nms3_roundtrip),
              MSM_TEST(test_nms4_files), MSM_TEST(test_nms4_hostile), MSM_TEST(test_nms3_hostile),
              MSM_TEST(test_nms3_symlink), MSM_TEST(test_nms3_rollback))
