/*
 * NAME
 *	codec-testutil.h - helpers of the queue and legacy store codec tests
 * SUMMARY
 *	Included by test-queue-file.c, test-queue-nms.c, test-nms-store.c and
 *	test-sims-store.c after testutil.h: a file written below a root, the
 *	digests of a sample model's folders, a message iterator over an array,
 *	and a one-message folder.
 * OWNERSHIP
 *	Functions returning a pointer return (transfer full).
 * ERRORS
 *	Failures are CUnit assertions (fatal where the test cannot go on).
 */
#ifndef MSM_TESTS_CODEC_TESTUTIL_H
#define MSM_TESTS_CODEC_TESTUTIL_H

#include <msmigrate/msmigrate.h>

#include "digest.h"
#include "sample-model.h"
#include "testutil.h"

/* Writes text to root/rel, creating the directories above it. */
static G_GNUC_UNUSED void
msm_test_write_file(const char *root, const char *rel, const char *text)
{
    char *p = g_build_filename(root, rel, NULL);
    char *d = g_path_get_dirname(p);
    g_mkdir_with_parents(d, 0755);
    CU_ASSERT_TRUE(g_file_set_contents(p, text, -1, NULL));
    g_free(d);
    g_free(p);
}

/* Adds "user/<owner>/<folder>" -> digest of every folder of m (fresh
 * iterators) to h, or to a new table when h is NULL. */
static G_GNUC_UNUSED GHashTable *
msm_test_model_digests(MsmSampleModel *m, GHashTable *h)
{
    if (h == NULL)
        h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
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

/* MsmMessageIter next over a GPtrArray of messages (taken one by one). */
static G_GNUC_UNUSED gboolean
msm_test_array_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    (void)error;
    GPtrArray *a = data;
    *msg_r = a->len ? g_ptr_array_steal_index(a, 0) : NULL;
    return TRUE;
}

/* An iterator over msgs (taken). */
static G_GNUC_UNUSED MsmMessageIter *
msm_test_message_iter(GPtrArray *msgs)
{
    return msm_message_iter_new(msm_test_array_next, msgs, (GDestroyNotify)g_ptr_array_unref);
}

/* An item (key "hostile") of one folder, owner user, folder name, with one
 * message (UID 1, the 3 bytes "a\0b"; UIDVALIDITY 5). */
static G_GNUC_UNUSED MsmItem *
msm_test_one_folder(const char *user, const char *name)
{
    MsmFolder *f = msm_folder_new(msm_owner_new(user), name);
    f->uidvalidity = 5;
    GPtrArray *msgs = g_ptr_array_new_with_free_func((GDestroyNotify)msm_message_free);
    MsmMessage *msg = msm_message_new();
    msg->uid = 1;
    msg->size = 3;
    GBytes *b = g_bytes_new_static("a\0b", 3);
    msg->body = msm_body_new_bytes(b);
    g_bytes_unref(b);
    g_ptr_array_add(msgs, msg);
    f->messages = msm_test_message_iter(msgs);
    f->message_count = 1;
    return msm_item_new(MSM_KIND_STORE, "hostile", f);
}

#endif
