/*
 * NAME
 *	test-maildir.c - unit tests of the Maildir++ interchange codec
 * SUMMARY
 *	Round trip of the sample store through writer and reader (bytes,
 *	flags, keywords, dates, UIDs, quotas, subscriptions, ACLs), the on-disk
 *	names (listescape + modified UTF-7), idempotent puts, rollback, the
 *	keyword limit, files Dovecot added, and hostile names and links: nothing
 *	is written outside the root.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "registry.h"
#include "sample-model.h"
#include "testutil.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const MsmCodec *
codec(void)
{
    return msm_core_maildir_codec();
}

/* ---- helpers ---- */

typedef struct {
    GPtrArray *msgs; /* MsmMessage* templates without bodies + GBytes bodies */
    GPtrArray *bodies;
    guint pos;
} ArrIter;

static gboolean
arr_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    (void)error;
    ArrIter *a = data;
    *msg_r = NULL;
    if (a->pos >= a->msgs->len)
        return TRUE;
    const MsmMessage *t = a->msgs->pdata[a->pos];
    MsmMessage *m = msm_message_new();
    m->uid = t->uid;
    m->flags = t->flags;
    m->internal_date = t->internal_date;
    for (guint i = 0; i < t->keywords->len; i++)
        g_ptr_array_add(m->keywords, g_strdup(t->keywords->pdata[i]));
    GBytes *b = a->bodies->pdata[a->pos];
    m->size = (gint64)g_bytes_get_size(b);
    m->body = msm_body_new_bytes(b);
    a->pos++;
    *msg_r = m;
    return TRUE;
}

static void
arr_free(gpointer data)
{
    ArrIter *a = data;
    g_ptr_array_unref(a->msgs);
    g_ptr_array_unref(a->bodies);
    g_free(a);
}

/* A folder of user with n messages; keywords "kw<i>" for the first nkw. */
static MsmItem *
make_folder(const char *user, const char *name, guint n, guint nkw, const char *tag)
{
    MsmOwner *o = msm_owner_new(user);
    o->quota_bytes = 1000000;
    g_ptr_array_add(o->subscriptions, g_strdup(name));
    MsmFolder *f = msm_folder_new(o, name);
    f->uidvalidity = 4242;
    f->uidnext = n + 10;
    g_ptr_array_add(f->acl, msm_ace_new("anyone", "lr"));
    ArrIter *a = g_new0(ArrIter, 1);
    a->msgs = g_ptr_array_new_with_free_func((GDestroyNotify)msm_message_free);
    a->bodies = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
    for (guint i = 0; i < n; i++) {
        MsmMessage *m = msm_message_new();
        m->uid = i * 2 + 1;
        m->flags = (i % 2) ? MSM_FLAG_SEEN : MSM_FLAG_FLAGGED | MSM_FLAG_DRAFT;
        m->internal_date = 1000000000 + i;
        if (i < nkw)
            g_ptr_array_add(m->keywords, g_strdup_printf("kw%u", i));
        g_ptr_array_add(a->msgs, m);
        char *body = g_strdup_printf("Subject: %s %u\n\nbare LF\r\nand a NUL: ", tag, i);
        GByteArray *ba = g_byte_array_new();
        g_byte_array_append(ba, (guint8 *)body, (guint)strlen(body));
        g_byte_array_append(ba, (const guint8 *)"\0\xff", 2); /* NUL, 8-bit, no newline */
        g_ptr_array_add(a->bodies, g_byte_array_free_to_bytes(ba));
        g_free(body);
    }
    f->message_count = n;
    f->messages = msm_message_iter_new(arr_next, a, arr_free);
    char *key = g_strdup_printf("user/%s/%s", user, name);
    MsmItem *item = msm_item_new(MSM_KIND_STORE, key, f);
    g_free(key);
    return item;
}

/* Every path under dir with its type, size and content digest, sorted. (transfer full) */
static void
snap_walk(const char *dir, const char *rel, GString *out)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    for (guint i = 0; i < names->len; i++) {
        char *p = g_build_filename(dir, names->pdata[i], NULL);
        char *r = g_build_filename(rel, names->pdata[i], NULL);
        struct stat st;
        if (lstat(p, &st) == 0) {
            if (S_ISDIR(st.st_mode)) {
                g_string_append_printf(out, "d %s\n", r);
                snap_walk(p, r, out);
            } else if (S_ISLNK(st.st_mode)) {
                g_string_append_printf(out, "l %s\n", r);
            } else {
                char *c = NULL;
                gsize len = 0;
                g_file_get_contents(p, &c, &len, NULL);
                char *h = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (guint8 *)c, len);
                /* message files carry the internal date; index files the time of the put */
                long mt = strstr(r, "/cur/") ? (long)st.st_mtime : 0;
                g_string_append_printf(out, "f %s %ld %s\n", r, mt, h);
                g_free(h);
                g_free(c);
            }
        }
        g_free(p);
        g_free(r);
    }
    g_ptr_array_unref(names);
}

static char *
snapshot(const char *dir)
{
    GString *s = g_string_new("");
    snap_walk(dir, "", s);
    return g_string_free(s, FALSE);
}

static gboolean
put_one(gpointer w, MsmItem *item, GError **error)
{
    gboolean ok = codec()->writer_put(w, item, error);
    msm_item_free(item);
    return ok;
}

/* ---- tests ---- */

static void
test_names_on_disk(void)
{
    const char *root = msm_test_tmpdir();
    char *md = g_build_filename(root, "md", NULL);
    GError *err = NULL;
    gpointer w = codec()->writer_open(NULL, md, "maildir", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_TRUE(put_one(w, make_folder("joe@example.com", "INBOX", 2, 0, "i"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("joe@example.com", "a.b/c\\d", 1, 0, "x"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("joe@example.com", "~home", 1, 0, "t"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("joe@example.com", "\xc3\x84rger/2009", 1, 0, "u"), &err));
    CU_ASSERT_TRUE(codec()->writer_commit(w, &err));
    codec()->writer_close(w);
    CU_ASSERT_PTR_NULL(err);
    const char *want[] = {"joe@example.com/cur", "joe@example.com/.a\\2eb.c\\5cd/cur",
                          "joe@example.com/.\\7ehome/cur", "joe@example.com/.&AMQ-rger.2009/cur",
                          "joe@example.com/.a\\2eb.c\\5cd/maildirfolder"};
    for (gsize i = 0; i < G_N_ELEMENTS(want); i++) {
        char *p = g_build_filename(md, want[i], NULL);
        CU_ASSERT_TRUE(g_file_test(p, G_FILE_TEST_EXISTS));
        g_free(p);
    }
    char *p = g_build_filename(md, "joe@example.com/subscriptions", NULL), *text = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(p, &text, NULL, NULL));
    CU_ASSERT_STRING_EQUAL(text, "&AMQ-rger.2009\n"); /* the last put's owner */
    g_free(text);
    g_free(p);
    p = g_build_filename(md, "joe@example.com/maildirsize", NULL);
    CU_ASSERT_TRUE(g_file_get_contents(p, &text, NULL, NULL));
    CU_ASSERT_TRUE(g_str_has_prefix(text, "1000000S\n"));
    g_free(text);
    g_free(p);
    p = g_build_filename(md, "joe@example.com/dovecot-uidlist", NULL);
    CU_ASSERT_TRUE(g_file_get_contents(p, &text, NULL, NULL));
    CU_ASSERT_TRUE(g_str_has_prefix(text, "3 V4242 N12\n1 :"));
    g_free(text);
    g_free(p);
    /* read back: names decode to what was written */
    gpointer r = codec()->reader_open(NULL, md, "maildir", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    MsmItem *item;
    while (codec()->reader_next(r, &item, &err) && item) {
        g_ptr_array_add(names, g_strdup(item->key));
        msm_item_free(item);
    }
    CU_ASSERT_PTR_NULL(err);
    codec()->reader_close(r);
    CU_ASSERT_EQUAL(names->len, 4);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    if (names->len == 4) {
        CU_ASSERT_STRING_EQUAL(names->pdata[0], "user/joe@example.com/INBOX");
        CU_ASSERT_STRING_EQUAL(names->pdata[1], "user/joe@example.com/a.b/c\\d");
        CU_ASSERT_STRING_EQUAL(names->pdata[2], "user/joe@example.com/~home");
        CU_ASSERT_STRING_EQUAL(names->pdata[3], "user/joe@example.com/\xc3\x84rger/2009");
    }
    g_ptr_array_unref(names);
    g_free(md);
}

/* The sample store written and read back: every field and byte. */
static void
test_sample_roundtrip(void)
{
    const char *root = msm_test_tmpdir();
    GError *err = NULL;
    MsmSampleModel *m = msm_sample_model_new("ms-6.0", 6, 7, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    gpointer w = codec()->writer_open(NULL, root, "maildir", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    guint nfolders = 0;
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *fs = msm_sample_model_folders(m, u);
        for (guint i = 0; i < fs->len; i++) {
            MsmFolder *f = fs->pdata[i];
            fs->pdata[i] = NULL;
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            CU_ASSERT_TRUE(put_one(w, msm_item_new(MSM_KIND_STORE, key, f), &err));
            g_free(key);
            nfolders++;
        }
        g_ptr_array_unref(fs);
    }
    CU_ASSERT_TRUE(codec()->writer_commit(w, &err));
    codec()->writer_close(w);
    /* read back and compare with a fresh model, folder by folder */
    gpointer r = codec()->reader_open(NULL, root, "maildir", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    guint64 items = 0, bytes = 0;
    CU_ASSERT_TRUE(codec()->reader_estimate(r, &items, &bytes));
    CU_ASSERT_EQUAL(items, nfolders);
    CU_ASSERT_TRUE(bytes > 0);
    GHashTable *want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)msm_folder_free);
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *fs = msm_sample_model_folders(m, u);
        for (guint i = 0; i < fs->len; i++) {
            MsmFolder *f = fs->pdata[i];
            fs->pdata[i] = NULL;
            g_hash_table_insert(want, g_strdup_printf("user/%s/%s", f->owner->user, f->name), f);
        }
        g_ptr_array_unref(fs);
    }
    guint seen = 0, nmsg = 0;
    MsmItem *item;
    while (codec()->reader_next(r, &item, &err) && item) {
        MsmFolder *got = item->payload, *exp = g_hash_table_lookup(want, item->key);
        CU_ASSERT_PTR_NOT_NULL(exp);
        if (exp == NULL) {
            msm_item_free(item);
            continue;
        }
        seen++;
        CU_ASSERT_EQUAL(got->uidvalidity, exp->uidvalidity);
        CU_ASSERT_EQUAL(got->owner->quota_bytes, exp->owner->quota_bytes);
        CU_ASSERT_EQUAL(got->owner->quota_messages, exp->owner->quota_messages);
        CU_ASSERT_EQUAL(got->owner->subscriptions->len, exp->owner->subscriptions->len);
        for (guint i = 0; i < exp->owner->subscriptions->len && i < got->owner->subscriptions->len; i++)
            CU_ASSERT_STRING_EQUAL(got->owner->subscriptions->pdata[i],
                                   exp->owner->subscriptions->pdata[i]);
        CU_ASSERT_EQUAL(got->acl->len, exp->acl->len);
        for (guint i = 0; i < exp->acl->len && i < got->acl->len; i++) {
            const MsmAce *a = got->acl->pdata[i], *b = exp->acl->pdata[i];
            CU_ASSERT_STRING_EQUAL(a->identifier, b->identifier);
            CU_ASSERT_STRING_EQUAL(a->rights, b->rights);
        }
        for (;;) {
            MsmMessage *a = NULL, *b = NULL;
            CU_ASSERT_TRUE(msm_message_iter_next(got->messages, &a, &err));
            CU_ASSERT_TRUE(msm_message_iter_next(exp->messages, &b, &err));
            CU_ASSERT_TRUE((a == NULL) == (b == NULL));
            if (a == NULL || b == NULL) {
                msm_message_free(a);
                msm_message_free(b);
                break;
            }
            nmsg++;
            CU_ASSERT_EQUAL(a->uid, b->uid);
            CU_ASSERT_EQUAL(a->flags, b->flags & ~MSM_FLAG_RECENT);
            CU_ASSERT_EQUAL(a->internal_date, b->internal_date);
            CU_ASSERT_EQUAL(a->keywords->len, b->keywords->len);
            GBytes *ba = msm_body_slurp(a->body, NULL), *bb = msm_body_slurp(b->body, NULL);
            CU_ASSERT_TRUE(ba && bb && g_bytes_equal(ba, bb));
            CU_ASSERT_EQUAL(a->size, (gint64)g_bytes_get_size(bb));
            g_bytes_unref(ba);
            g_bytes_unref(bb);
            msm_message_free(a);
            msm_message_free(b);
        }
        msm_item_free(item);
    }
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_EQUAL(seen, nfolders);
    CU_ASSERT_TRUE(nmsg > 40);
    codec()->reader_close(r);
    g_hash_table_unref(want);
    msm_sample_model_free(m);
}

/* The same item put twice gives the same tree; a smaller put replaces. */
static void
test_idempotent(void)
{
    const char *root = msm_test_tmpdir();
    GError *err = NULL;
    gpointer w = codec()->writer_open(NULL, root, "maildir", &err);
    CU_ASSERT_TRUE(put_one(w, make_folder("ann", "INBOX", 5, 3, "a"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("ann", "Work", 4, 0, "b"), &err));
    CU_ASSERT_TRUE(codec()->writer_commit(w, &err));
    char *s1 = snapshot(root);
    CU_ASSERT_TRUE(put_one(w, make_folder("ann", "INBOX", 5, 3, "a"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("ann", "Work", 4, 0, "b"), &err));
    CU_ASSERT_TRUE(codec()->writer_commit(w, &err));
    char *s2 = snapshot(root);
    CU_ASSERT_STRING_EQUAL(s1, s2);
    CU_ASSERT_TRUE(put_one(w, make_folder("ann", "Work", 1, 0, "c"), &err));
    char *cur = g_build_filename(root, "ann/.Work/cur", NULL);
    GDir *d = g_dir_open(cur, 0, NULL);
    guint n = 0;
    while (d && g_dir_read_name(d))
        n++;
    if (d)
        g_dir_close(d);
    CU_ASSERT_EQUAL(n, 1);
    g_free(cur);
    codec()->writer_close(w);
    CU_ASSERT_PTR_NULL(err);
    g_free(s1);
    g_free(s2);
}

/* Rollback restores replaced folders byte for byte and removes created ones. */
static void
test_rollback(void)
{
    const char *root = msm_test_tmpdir();
    char *md = g_build_filename(root, "md", NULL), *work = g_build_filename(root, "work", NULL);
    GError *err = NULL;
    gpointer w = codec()->writer_open(NULL, md, "maildir", &err);
    CU_ASSERT_TRUE(put_one(w, make_folder("bob", "INBOX", 3, 1, "old"), &err));
    CU_ASSERT_TRUE(codec()->writer_commit(w, &err));
    codec()->writer_close(w);
    char *before = snapshot(md);
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(work);
    ctx->target_root = g_strdup(md);
    w = codec()->writer_open(ctx, md, "maildir", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    CU_ASSERT_TRUE(put_one(w, make_folder("bob", "INBOX", 6, 2, "new"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("bob", "INBOX", 6, 2, "new"), &err)); /* resume */
    CU_ASSERT_TRUE(put_one(w, make_folder("bob", "Created", 2, 0, "n"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("carol", "INBOX", 2, 0, "c"), &err));
    CU_ASSERT_TRUE(codec()->writer_commit(w, &err));
    codec()->writer_close(w);
    char *mid = snapshot(md);
    CU_ASSERT_STRING_NOT_EQUAL(before, mid);
    CU_ASSERT_TRUE(codec()->rollback(ctx, md, "maildir", &err));
    CU_ASSERT_TRUE(codec()->rollback(ctx, md, "maildir", &err)); /* idempotent */
    CU_ASSERT_PTR_NULL(err);
    char *after = snapshot(md);
    /* maildirsize and subscriptions are recomputed/rewritten per put; compare the folders */
    GString *b = g_string_new(""), *a = g_string_new("");
    char **lb = g_strsplit(before, "\n", -1), **la = g_strsplit(after, "\n", -1);
    for (guint i = 0; lb[i]; i++)
        if (!strstr(lb[i], "maildirsize") && !strstr(lb[i], "subscriptions"))
            g_string_append_printf(b, "%s\n", lb[i]);
    for (guint i = 0; la[i]; i++)
        if (!strstr(la[i], "maildirsize") && !strstr(la[i], "subscriptions"))
            g_string_append_printf(a, "%s\n", la[i]);
    CU_ASSERT_STRING_EQUAL(a->str, b->str);
    if (strcmp(a->str, b->str) != 0)
        g_printerr("BEFORE\n%s\nAFTER\n%s\n", b->str, a->str);
    char *carol = g_build_filename(md, "carol", NULL);
    CU_ASSERT_FALSE(g_file_test(carol, G_FILE_TEST_EXISTS));
    g_free(carol);
    g_strfreev(lb);
    g_strfreev(la);
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
    g_free(before);
    g_free(mid);
    g_free(after);
    msm_ctx_free(ctx);
    g_free(md);
    g_free(work);
}

/* Hostile owner and folder names are refused and write nothing anywhere. */
static void
test_hostile_names(void)
{
    const char *root = msm_test_tmpdir();
    char *md = g_build_filename(root, "md", NULL);
    char *outside = g_build_filename(root, "outside", NULL);
    g_mkdir(outside, 0755);
    GError *err = NULL;
    gpointer w = codec()->writer_open(NULL, md, "maildir", &err);
    char *before = snapshot(root);
    char *long_user = g_strnfill(300, 'u');
    char *long_folder = g_strnfill(300, 'f');
    char *deep = g_strnfill(100, 'x');
    char *deep3 = g_strdup_printf("%s/%s/%s", deep, deep, deep);
    const char *users[] = {"", ".", "..", ".hidden", "../outside", "a/b", "a\\b", "tab\tuser",
                           "\xff\xfe", long_user};
    for (gsize i = 0; i < G_N_ELEMENTS(users); i++) {
        CU_ASSERT_FALSE(put_one(w, make_folder(users[i], "INBOX", 1, 0, "h"), &err));
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
        g_clear_error(&err);
    }
    const char *folders[] = {"..", "a/../b", "a//b", "/abs", "a/", ".", "\xc3", long_folder,
                             deep3};
    for (gsize i = 0; i < G_N_ELEMENTS(folders); i++) {
        CU_ASSERT_FALSE(put_one(w, make_folder("joe", folders[i], 1, 0, "h"), &err));
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
        g_clear_error(&err);
    }
    char *after = snapshot(root);
    CU_ASSERT_STRING_EQUAL(before, after);
    /* a link planted in the target is never written through */
    g_mkdir_with_parents(md, 0755);
    char *link = g_build_filename(md, "eve", NULL);
    CU_ASSERT_EQUAL(symlink(outside, link), 0);
    CU_ASSERT_FALSE(put_one(w, make_folder("eve", "INBOX", 1, 0, "h"), &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
    g_clear_error(&err);
    char *mallory = g_build_filename(md, "mallory", NULL), *mlink = g_build_filename(mallory, ".Evil", NULL);
    g_mkdir(mallory, 0700);
    CU_ASSERT_EQUAL(symlink(outside, mlink), 0);
    CU_ASSERT_FALSE(put_one(w, make_folder("mallory", "Evil", 1, 0, "h"), &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
    g_clear_error(&err);
    char *out_snap = snapshot(outside);
    CU_ASSERT_STRING_EQUAL(out_snap, "");
    /* links planted in a user directory's cur/ and staging place are removed, not followed */
    char *keep = g_build_filename(outside, "keep", NULL);
    g_file_set_contents(keep, "keep me", -1, NULL);
    char *trudy = g_build_filename(md, "trudy", NULL);
    char *tcur = g_build_filename(trudy, "cur", NULL), *tstage = g_build_filename(trudy, "msmigrate-stage", NULL);
    g_mkdir(trudy, 0700);
    CU_ASSERT_EQUAL(symlink(outside, tcur), 0);
    CU_ASSERT_EQUAL(symlink(outside, tstage), 0);
    char *osnap = snapshot(outside);
    CU_ASSERT_TRUE(put_one(w, make_folder("trudy", "INBOX", 2, 0, "t"), &err));
    CU_ASSERT_PTR_NULL(err);
    g_clear_error(&err);
    char *osnap2 = snapshot(outside);
    CU_ASSERT_STRING_EQUAL(osnap, osnap2);
    CU_ASSERT_TRUE(msm_is_real_dir(tcur));
    g_free(osnap);
    g_free(osnap2);
    g_free(keep);
    g_free(trudy);
    g_free(tcur);
    g_free(tstage);
    codec()->writer_close(w);
    g_free(out_snap);
    g_free(mallory);
    g_free(mlink);
    g_free(link);
    g_free(before);
    g_free(after);
    g_free(long_user);
    g_free(long_folder);
    g_free(deep);
    g_free(deep3);
    g_free(outside);
    g_free(md);
}

/* The reader refuses links and undecodable names per entry and goes on. */
static void
test_reader_refusals(void)
{
    const char *root = msm_test_tmpdir();
    char *md = g_build_filename(root, "md", NULL);
    GError *err = NULL;
    gpointer w = codec()->writer_open(NULL, md, "maildir", &err);
    CU_ASSERT_TRUE(put_one(w, make_folder("amy", "INBOX", 2, 0, "a"), &err));
    CU_ASSERT_TRUE(put_one(w, make_folder("zed", "INBOX", 1, 0, "z"), &err));
    codec()->writer_close(w);
    const char *bad_dirs[] = {"amy/.&Jjo/cur", "amy/.a\\2fb/cur", "amy/.\\2e\\2e/cur",
                              "amy/.x..y/cur", "amy/.bad\\zz/cur"};
    for (gsize i = 0; i < G_N_ELEMENTS(bad_dirs); i++) {
        char *p = g_build_filename(md, bad_dirs[i], NULL);
        g_mkdir_with_parents(p, 0700);
        g_free(p);
    }
    char *secret = g_build_filename(root, "secret", NULL);
    g_file_set_contents(secret, "top secret", -1, NULL);
    char *l1 = g_build_filename(md, "linkuser", NULL);
    char *l2 = g_build_filename(md, "amy/.Linked", NULL);
    char *l3 = g_build_filename(md, "amy/cur/999.M1.h,S=10:2,S", NULL);
    char *l4 = g_build_filename(md, "cathy/cur", NULL), *cathy = g_build_filename(md, "cathy", NULL);
    g_mkdir(cathy, 0700);
    CU_ASSERT_EQUAL(symlink(root, l4), 0); /* INBOX cur/ is a link: refused */
    g_free(l4);
    g_free(cathy);
    CU_ASSERT_EQUAL(symlink(root, l1), 0);
    CU_ASSERT_EQUAL(symlink(root, l2), 0);
    CU_ASSERT_EQUAL(symlink(secret, l3), 0);
    gpointer r = codec()->reader_open(NULL, md, "maildir", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    guint unsafe = 0, good = 0, msgs = 0;
    for (;;) {
        MsmItem *item = NULL;
        if (!codec()->reader_next(r, &item, &err)) {
            CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
            if (err == NULL)
                break;
            unsafe++;
            g_clear_error(&err);
            continue;
        }
        if (item == NULL)
            break;
        good++;
        MsmFolder *f = item->payload;
        MsmMessage *m;
        while (msm_message_iter_next(f->messages, &m, NULL) && m) {
            GBytes *b = msm_body_slurp(m->body, NULL);
            CU_ASSERT_TRUE(b && g_bytes_get_size(b) > 0 &&
                           memmem(g_bytes_get_data(b, NULL), g_bytes_get_size(b), "secret", 6) ==
                               NULL);
            g_bytes_unref(b);
            msm_message_free(m);
            msgs++;
        }
        msm_item_free(item);
    }
    codec()->reader_close(r);
    CU_ASSERT_EQUAL(unsafe, 8); /* 5 bad names + 3 links */
    CU_ASSERT_EQUAL(good, 2);
    CU_ASSERT_EQUAL(msgs, 3);
    g_free(secret);
    g_free(l1);
    g_free(l2);
    g_free(l3);
    g_free(md);
}

/* 26 keywords fit, the 27th is refused; the letters map back. */
static void
test_keywords(void)
{
    const char *root = msm_test_tmpdir();
    GError *err = NULL;
    gpointer w = codec()->writer_open(NULL, root, "maildir", &err);
    CU_ASSERT_TRUE(put_one(w, make_folder("kim", "INBOX", 26, 26, "k"), &err));
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_FALSE(put_one(w, make_folder("kim", "Many", 27, 27, "k"), &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSUPPORTED));
    g_clear_error(&err);
    codec()->writer_close(w);
    gpointer r = codec()->reader_open(NULL, root, "maildir", &err);
    MsmItem *item = NULL;
    CU_ASSERT_TRUE(codec()->reader_next(r, &item, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(item);
    MsmFolder *f = item->payload;
    MsmMessage *m;
    guint i = 0;
    while (msm_message_iter_next(f->messages, &m, NULL) && m) {
        CU_ASSERT_EQUAL(m->keywords->len, 1);
        char *want = g_strdup_printf("kw%u", i++);
        if (m->keywords->len == 1)
            CU_ASSERT_STRING_EQUAL(m->keywords->pdata[0], want);
        g_free(want);
        msm_message_free(m);
    }
    CU_ASSERT_EQUAL(i, 26);
    msm_item_free(item);
    codec()->reader_close(r);
}

/* Files Dovecot added (uidlist extensions, new/ mail not yet listed) are read
 * the way Dovecot reads them. */
static void
test_dovecot_files(void)
{
    const char *root = msm_test_tmpdir();
    char *u = g_build_filename(root, "dan", NULL);
    char *cur = g_build_filename(u, "cur", NULL), *nw = g_build_filename(u, "new", NULL);
    g_mkdir_with_parents(cur, 0700);
    g_mkdir_with_parents(nw, 0700);
    char *ul = g_build_filename(u, "dovecot-uidlist", NULL);
    g_file_set_contents(ul, "3 V77 N9 G0123\n5 W12 :100.a.h,S=3:2,S\n7 :200.b.h\n", -1, NULL);
    char *p1 = g_build_filename(cur, "100.a.h,S=3:2,RS", NULL);
    char *p2 = g_build_filename(cur, "200.b.h:2,", NULL);
    char *p3 = g_build_filename(nw, "300.c.h", NULL);
    g_file_set_contents(p1, "one", -1, NULL);
    g_file_set_contents(p2, "two", -1, NULL);
    g_file_set_contents(p3, "three", -1, NULL);
    GError *err = NULL;
    gpointer r = codec()->reader_open(NULL, root, "maildir", &err);
    MsmItem *item = NULL;
    CU_ASSERT_TRUE(codec()->reader_next(r, &item, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(item);
    MsmFolder *f = item->payload;
    CU_ASSERT_EQUAL(f->uidvalidity, 77);
    CU_ASSERT_EQUAL(f->uidnext, 10);
    guint32 uids[3] = {0};
    guint32 flags[3] = {0};
    guint n = 0;
    MsmMessage *m;
    while (msm_message_iter_next(f->messages, &m, NULL) && m) {
        if (n < 3) {
            uids[n] = m->uid;
            flags[n] = m->flags;
        }
        n++;
        msm_message_free(m);
    }
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(uids[0], 5);
    CU_ASSERT_EQUAL(uids[1], 7);
    CU_ASSERT_EQUAL(uids[2], 9);
    CU_ASSERT_EQUAL(flags[0], MSM_FLAG_SEEN | MSM_FLAG_ANSWERED);
    CU_ASSERT_EQUAL(flags[1], 0);
    msm_item_free(item);
    /* a damaged uidlist is a per-entry parse error naming the file */
    g_file_set_contents(ul, "3 V77 N9\nnot a line\n", -1, NULL);
    codec()->reader_close(r);
    r = codec()->reader_open(NULL, root, "maildir", &err);
    CU_ASSERT_FALSE(codec()->reader_next(r, &item, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    CU_ASSERT_TRUE(err && strstr(err->message, "dovecot-uidlist line 2") != NULL);
    g_clear_error(&err);
    CU_ASSERT_TRUE(codec()->reader_next(r, &item, &err));
    CU_ASSERT_PTR_NULL(item);
    codec()->reader_close(r);
    g_free(u);
    g_free(cur);
    g_free(nw);
    g_free(ul);
    g_free(p1);
    g_free(p2);
    g_free(p3);
}

static void
test_registered(void)
{
    MsmRegistry *reg = msm_registry_new();
    const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_STORE, "maildir");
    CU_ASSERT_PTR_NOT_NULL(ref);
    CU_ASSERT_TRUE(ref && ref->codec == msm_core_maildir_codec());
    CU_ASSERT_TRUE(codec()->flags & MSM_CODEC_THREADSAFE);
    CU_ASSERT_PTR_NOT_NULL(codec()->rollback);
    CU_ASSERT_PTR_NOT_NULL(codec()->reader_estimate);
    msm_registry_free(reg);
}

MSM_TEST_MAIN("maildir", MSM_TEST(test_names_on_disk), MSM_TEST(test_sample_roundtrip),
              MSM_TEST(test_idempotent), MSM_TEST(test_rollback), MSM_TEST(test_hostile_names),
              MSM_TEST(test_reader_refusals), MSM_TEST(test_keywords),
              MSM_TEST(test_dovecot_files), MSM_TEST(test_registered))
