/*
 * NAME
 *	test-nms3-upgrade - NMS 4.1's upgrade -s / -m / -u / -r (seed 002)
 * SUMMARY
 *	On a generated NMS 3.x store with a second mail store path: the folder
 *	pass writes __upfolder.db, __up.<partition>.txt in the 3-line header
 *	format and .0004x.<partition>, and enters every folder TRANSITION (the
 *	4.x reader refuses them); the dynamic mode migrates one folder on
 *	demand; -u migrates one partition's users; -m -r -t 3 migrates the
 *	rest, logging a damaged message and leaving it (and its folder in
 *	TRANSITION), removing migrated 3.x message files but no directory; a
 *	rerun after the repair resumes (only the unfinished folder moves) and
 *	the 4.1 store then matches the sample digest for digest. Duplicate
 *	partition names stop the folder pass listing the paths; the message
 *	pass before the folder pass and malformed user lists are refused.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "digest.h"
#include "legacy-store.h"
#include "sample-model.h"
#include "testutil.h"

#include "../../plugins/nms3x/codec-nms3-store.h"
#include "../../plugins/nms3x/upgrade.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static GHashTable *
model_digests(MsmSampleModel *m, GHashTable *h)
{
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *fs = msm_sample_model_folders(m, u);
        g_ptr_array_set_free_func(fs, NULL);
        for (guint i = 0; i < fs->len; i++) {
            MsmFolder *f = fs->pdata[i];
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            MsmItem *it = msm_item_new(MSM_KIND_STORE, key, f);
            MsmDigestTee *t = msm_digest_attach(it);
            CU_ASSERT_FATAL(msm_digest_drain(t, it, NULL));
            msm_item_free(it);
            g_hash_table_insert(h, key, msm_digest_finish(t, NULL));
        }
        g_ptr_array_unref(fs);
    }
    return h;
}

static void
put(gpointer w, MsmFolder *f)
{
    GError *err = NULL;
    MsmItem *it = msm_item_new(MSM_KIND_STORE, "k", f);
    gboolean ok = nms3x_store_codec()->writer_put(w, it, &err);
    if (!ok)
        fprintf(stderr, "put: %s\n", err->message);
    CU_ASSERT_FATAL(ok);
    msm_item_free(it);
}

static gboolean
arr_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    GPtrArray *a = data;
    *msg_r = a->len ? g_ptr_array_steal_index(a, 0) : NULL;
    return TRUE;
}

/* zed's INBOX on partition "two", one message. */
static MsmFolder *
zed_folder(void)
{
    MsmOwner *o = msm_owner_new("zed");
    g_free(o->partition);
    o->partition = g_strdup("two");
    MsmFolder *f = msm_folder_new(o, "INBOX");
    f->uidvalidity = 77;
    GPtrArray *a = g_ptr_array_new_with_free_func((GDestroyNotify)msm_message_free);
    MsmMessage *m = msm_message_new();
    m->uid = 3;
    m->size = 5;
    GBytes *b = g_bytes_new_static("hi\nzz", 5);
    m->body = msm_body_new_bytes(b);
    g_bytes_unref(b);
    g_ptr_array_add(a, m);
    f->messages = msm_message_iter_new(arr_next, a, (GDestroyNotify)g_ptr_array_unref);
    return f;
}

/* Reads the 4.1 store: digests into got, errors counted. */
static guint
read_target(const char *root, GHashTable *got)
{
    const MsmCodec *c = msm_core_nms4_store_codec();
    gpointer r = c->reader_open(NULL, root, "nms-4.1", NULL);
    CU_ASSERT_FATAL(r != NULL);
    guint errors = 0;
    for (;;) {
        MsmItem *it = NULL;
        GError *err = NULL;
        if (!c->reader_next(r, &it, &err)) {
            CU_ASSERT(strstr(err->message, "TRANSITION") != NULL);
            errors++;
            g_error_free(err);
            continue;
        }
        if (it == NULL)
            break;
        MsmDigestTee *t = msm_digest_attach(it);
        CU_ASSERT(msm_digest_drain(t, it, NULL));
        char *key = g_strdup(it->key);
        msm_item_free(it);
        g_hash_table_insert(got, key, msm_digest_finish(t, NULL));
    }
    c->reader_close(r);
    return errors;
}

static guint
count_files(const char *dir, gboolean dirs)
{
    guint n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *e;
    while (d && (e = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(dir, e, NULL);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_files(p, dirs) + (dirs ? 1 : 0);
        else if (!dirs && g_str_has_suffix(e, ".msg"))
            n++;
        g_free(p);
    }
    if (d)
        g_dir_close(d);
    return n;
}

static void
test_two_passes(void)
{
    MsmSampleModel *m = msm_sample_model_new("nms-3.x", 4, 9, NULL, NULL);
    char *root = g_build_filename(msm_test_tmpdir(), "server4", NULL);
    const MsmCodec *c = nms3x_store_codec();
    gpointer w = c->writer_open(NULL, root, "nms-3.x", NULL);
    CU_ASSERT_FATAL(w != NULL);
    guint nfolders = 0;
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *fs = msm_sample_model_folders(m, u);
        g_ptr_array_set_free_func(fs, NULL);
        for (guint i = 0; i < fs->len; i++, nfolders++)
            put(w, fs->pdata[i]);
        g_ptr_array_unref(fs);
    }
    put(w, zed_folder());
    c->writer_close(w);
    nfolders++;
    GHashTable *want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    model_digests(m, want);
    {
        MsmFolder *z = zed_folder();
        MsmItem *it = msm_item_new(MSM_KIND_STORE, "user/zed/INBOX", z);
        MsmDigestTee *t = msm_digest_attach(it);
        msm_digest_drain(t, it, NULL);
        msm_item_free(it);
        g_hash_table_insert(want, g_strdup("user/zed/INBOX"), msm_digest_finish(t, NULL));
    }
    char *logp = g_build_filename(msm_test_tmpdir(), "default.log", NULL);
    FILE *log = fopen(logp, "w");
    Nms3xUpgradeOptions o = {0};
    o.source_root = root;
    o.target_root = root;
    o.log = log;
    Nms3xUpgradeStats st = {0};
    GError *err = NULL;

    /* message pass first: refused */
    CU_ASSERT(!nms3x_upgrade_messages(&o, NULL, &st, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_PRECONDITION && strstr(err->message, "-s"));
    g_clear_error(&err);

    /* folder pass */
    gboolean ok = nms3x_upgrade_folders(&o, &st, &err);
    if (!ok)
        fprintf(stderr, "-s: %s\n", err->message);
    CU_ASSERT_FATAL(ok);
    CU_ASSERT(st.folders == nfolders && st.users == 5);
    char *mb = g_build_filename(root, "msg-default", "mailbox", NULL);
    char *upf = g_build_filename(mb, "__upfolder.db", NULL);
    char *upp = g_build_filename(mb, "__up.primary.txt", NULL);
    char *upt = g_build_filename(mb, "__up.two.txt", NULL);
    char *newdir = g_build_filename(root, "msg-default", "mailstores", "two", ".0004x.two", NULL);
    CU_ASSERT(g_file_test(upf, G_FILE_TEST_IS_REGULAR));
    CU_ASSERT(g_file_test(newdir, G_FILE_TEST_IS_DIR));
    char *text = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(upt, &text, NULL, NULL));
    char *exp = g_strdup_printf("[4x partition]:two\n[3x MailStorePath]:%s/msg-default/"
                                "mailstores/two\n#---------List of mail user id ------\nzed\n",
                                root);
    CU_ASSERT_STRING_EQUAL(text, exp);
    g_free(text);
    g_free(exp);
    CU_ASSERT(g_file_test(upp, G_FILE_TEST_IS_REGULAR));
    GHashTable *got = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    CU_ASSERT(read_target(root, got) == nfolders); /* all TRANSITION */
    CU_ASSERT(g_hash_table_size(got) == 0);

    /* dynamic mode: one folder on first access */
    const MsmSampleUser *u1 = m->users->pdata[1];
    memset(&st, 0, sizeof st);
    ok = nms3x_upgrade_folder_on_demand(&o, u1->store_user, "INBOX", &st, &err);
    if (!ok)
        fprintf(stderr, "dynamic: %s\n", err->message);
    CU_ASSERT(ok && st.folders == 1);

    /* -u for partition two */
    memset(&st, 0, sizeof st);
    CU_ASSERT(nms3x_upgrade_messages(&o, upt, &st, NULL));
    CU_ASSERT(st.folders == 1 && st.messages == 1);

    /* damage one message of user 0's INBOX, then -m -r -t 3 */
    const MsmSampleUser *u0 = m->users->pdata[0];
    char *u0in = g_build_filename(mb, u0->store_user, "00", NULL);
    char *idx = g_build_filename(u0in, "store.idx", NULL);
    char *first = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(idx, &text, NULL, NULL));
    guint uid = (guint)g_ascii_strtoull(text, NULL, 10);
    g_free(text);
    first = g_strdup_printf("%s/%u.msg", u0in, uid);
    char *saved = NULL;
    gsize saved_len = 0;
    CU_ASSERT_FATAL(g_file_get_contents(first, &saved, &saved_len, NULL));
    CU_ASSERT(g_file_set_contents(first, "x", 1, NULL));
    guint dirs_before = count_files(mb, TRUE);
    o.remove = TRUE;
    o.threads = 3;
    memset(&st, 0, sizeof st);
    CU_ASSERT(nms3x_upgrade_messages(&o, NULL, &st, NULL));
    CU_ASSERT(st.failed_messages == 1 && st.failed_folders == 1);
    CU_ASSERT(st.skipped == 2); /* the dynamic one and zed's */
    CU_ASSERT(st.folders == nfolders - 3);
    CU_ASSERT(st.removed > 0);
    CU_ASSERT(count_files(mb, TRUE) == dirs_before);       /* no directory removed */
    CU_ASSERT(g_file_test(first, G_FILE_TEST_IS_REGULAR)); /* left in place */
    CU_ASSERT(count_files(u0in, FALSE) > 1);               /* its folder not emptied */
    g_hash_table_remove_all(got);
    CU_ASSERT(read_target(root, got) == 1);

    /* repair and rerun: resumes with that folder only */
    CU_ASSERT(g_file_set_contents(first, saved, saved_len, NULL));
    memset(&st, 0, sizeof st);
    CU_ASSERT(nms3x_upgrade_messages(&o, NULL, &st, NULL));
    CU_ASSERT(st.folders == 1 && st.skipped == nfolders - 1 && st.failed_folders == 0);
    g_hash_table_remove_all(got);
    CU_ASSERT(read_target(root, got) == 0);
    CU_ASSERT(g_hash_table_size(got) == g_hash_table_size(want));
    GHashTableIter hi;
    gpointer k, v;
    guint same = 0;
    g_hash_table_iter_init(&hi, want);
    while (g_hash_table_iter_next(&hi, &k, &v)) {
        const char *g = g_hash_table_lookup(got, k);
        if (g && strcmp(g, v) == 0)
            same++;
        else
            fprintf(stderr, "%s: differs after upgrade\n", (char *)k);
    }
    CU_ASSERT(same == g_hash_table_size(want));
    /* every 3.x message migrated with -r was removed: only the folder the
     * dynamic mode migrated (no -r then) keeps its 3.x files */
    char *u1in = g_build_filename(mb, u1->store_user, "00", NULL);
    CU_ASSERT(count_files(u1in, FALSE) > 0);
    CU_ASSERT(count_files(mb, FALSE) == count_files(u1in, FALSE));
    g_free(u1in);

    /* a rerun of the folder pass does not reset migrated folders */
    CU_ASSERT(nms3x_upgrade_folders(&o, &st, NULL));
    g_hash_table_remove_all(got);
    CU_ASSERT(read_target(root, got) == 0);

    fclose(log);
    CU_ASSERT(g_file_get_contents(logp, &text, NULL, NULL));
    CU_ASSERT(strstr(text, "left in place") != NULL);
    g_free(text);
    g_hash_table_unref(got);
    g_hash_table_unref(want);
    g_free(saved);
    g_free(first);
    g_free(idx);
    g_free(u0in);
    g_free(mb);
    g_free(upf);
    g_free(upp);
    g_free(upt);
    g_free(newdir);
    g_free(logp);
    g_free(root);
    msm_sample_model_free(m);
}

static void
test_duplicate_partitions(void)
{
    char *root = g_build_filename(msm_test_tmpdir(), "server4", NULL);
    char *mb = g_build_filename(root, "msg-default", "mailbox", NULL);
    g_mkdir_with_parents(mb, 0755);
    char *list = g_build_filename(mb, ".mailstores", NULL);
    g_file_set_contents(list, "disk1/partition.one\ndisk2/Partition-One\n", -1, NULL);
    Nms3xUpgradeOptions o = {0};
    o.source_root = root;
    o.target_root = root;
    o.log = stderr;
    GError *err = NULL;
    CU_ASSERT(!nms3x_upgrade_folders(&o, NULL, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_PRECONDITION);
    CU_ASSERT(err && strstr(err->message, "\"partitionone\""));
    CU_ASSERT(err && strstr(err->message, "disk1/partition.one"));
    CU_ASSERT(err && strstr(err->message, "disk2/Partition-One"));
    g_clear_error(&err);
    char *up = g_build_filename(mb, "__upfolder.db", NULL);
    CU_ASSERT(!g_file_test(up, G_FILE_TEST_EXISTS)); /* stopped before writing */
    g_free(up);
    /* the hop's store migrator refuses the same at preflight */
    MsmCtx *ctx = msm_ctx_new();
    ctx->source_root = g_strdup(root);
    ctx->target_root = g_strdup(root);
    CU_ASSERT(!nms3x_store_3x_41.preflight(ctx, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_PRECONDITION);
    g_clear_error(&err);
    g_file_set_contents(list, "disk1/partition.one\n", -1, NULL);
    CU_ASSERT(nms3x_store_3x_41.preflight(ctx, NULL));
    MsmFolder *f = msm_folder_new(msm_owner_new("joe"), "INBOX");
    MsmItem *it = msm_item_new(MSM_KIND_STORE, "user/joe/INBOX", f);
    CU_ASSERT(nms3x_store_3x_41.transform(ctx, it, NULL) == MSM_RESULT_CONTINUE);
    g_free(f->owner->partition);
    f->owner->partition = g_strdup("../x");
    CU_ASSERT(nms3x_store_3x_41.transform(ctx, it, &err) == MSM_RESULT_ERROR);
    g_clear_error(&err);
    msm_item_free(it);
    msm_ctx_free(ctx);

    /* user lists: the 3-line header */
    char *ul = g_build_filename(msm_test_tmpdir(), "users.txt", NULL);
    g_file_set_contents(ul, "[4x partition]:primary\n#no path\n", -1, NULL);
    char *p = NULL, *s = NULL;
    GPtrArray *users = NULL;
    CU_ASSERT(!nms3x_userlist_load(ul, &p, &s, &users, &err));
    CU_ASSERT(err && strstr(err->message, "line 2"));
    g_clear_error(&err);
    g_file_set_contents(ul,
                        "[4x partition]:primary\n[3x MailStorePath]:/mail/mailbox-3.x\n"
                        "#---------List of mail user id ------\npostmaster\nusername1\n"
                        "bad user\n",
                        -1, NULL);
    CU_ASSERT(!nms3x_userlist_load(ul, &p, &s, &users, &err));
    CU_ASSERT(err && strstr(err->message, "line 6"));
    g_clear_error(&err);
    g_file_set_contents(ul,
                        "[4x partition]:primary\n[3x MailStorePath]:/mail/mailbox-3.x\n"
                        "#---------List of mail user id ------\npostmaster\nusername1\n",
                        -1, NULL);
    CU_ASSERT(nms3x_userlist_load(ul, &p, &s, &users, NULL));
    CU_ASSERT(p && strcmp(p, "primary") == 0 && s && strcmp(s, "/mail/mailbox-3.x") == 0);
    CU_ASSERT(users && users->len == 2);
    g_free(p);
    g_free(s);
    if (users)
        g_ptr_array_unref(users);
    g_free(ul);
    g_free(list);
    g_free(mb);
    g_free(root);
}

MSM_TEST_MAIN("nms3-upgrade", MSM_TEST(test_two_passes), MSM_TEST(test_duplicate_partitions))
