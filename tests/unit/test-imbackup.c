/*
 * NAME
 *	test-imbackup - the imbackup stream and imsrestore semantics (sims40)
 * SUMMARY
 *	The sims-4.0 sample store backed up into a stream and read back: every
 *	folder with the digest of the sample (flags, keywords, dates, bytes);
 *	-u user lists and -d dates select; a truncated or damaged stream is
 *	refused with its offset; restore into a target codec applies the
 *	rename map (from a file and from a directory LDIF's uids); folder names
 *	not valid in modified UTF-7 become blanks (a collision is refused with
 *	advice to use -n) or, with -n, stay distinct; batches of user files run
 *	as concurrent backup | restore pipelines and restore everything once.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "digest.h"
#include "legacy-store.h"
#include "sample-model.h"
#include "testutil.h"

#include "../../plugins/sims40/codec-sims-store.h"
#include "../../plugins/sims40/imbackup.h"
#include "../../plugins/sims40/restore.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

static GHashTable *
model_digests(MsmSampleModel *m)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
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

/* A SIMS store of the sample at a new root. (transfer full) */
static char *
sample_store(MsmSampleModel *m)
{
    char *root = g_build_filename(msm_test_tmpdir(), "sims", NULL);
    const MsmCodec *c = sims40_store_codec();
    gpointer w = c->writer_open(NULL, root, "sims-4.0", NULL);
    CU_ASSERT_FATAL(w != NULL);
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *fs = msm_sample_model_folders(m, u);
        g_ptr_array_set_free_func(fs, NULL);
        for (guint i = 0; i < fs->len; i++) {
            MsmItem *it = msm_item_new(MSM_KIND_STORE, "k", fs->pdata[i]);
            CU_ASSERT_FATAL(c->writer_put(w, it, NULL));
            msm_item_free(it);
        }
        g_ptr_array_unref(fs);
    }
    c->writer_close(w);
    return root;
}

/* Backs up root (users or all) into a file; its path. */
static char *
backup_to_file(const char *root, const char *const *users, gint64 since, guint64 *folders,
               guint64 *messages)
{
    char *path = g_build_filename(msm_test_tmpdir(), "stream", NULL);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CU_ASSERT_FATAL(fd >= 0);
    Sims40BackupOptions o = {0};
    o.since = since;
    o.blocking = 1;
    GError *err = NULL;
    gboolean ok = sims40_imbackup(root, users, fd, &o, folders, messages, &err);
    if (!ok)
        fprintf(stderr, "imbackup: %s\n", err->message);
    CU_ASSERT_FATAL(ok);
    close(fd);
    return path;
}

static void
test_stream_roundtrip(void)
{
    MsmSampleModel *m = msm_sample_model_new("sims-4.0", 3, 21, NULL, NULL);
    GHashTable *want = model_digests(m);
    char *root = sample_store(m);
    guint64 nf = 0, nm = 0;
    char *stream = backup_to_file(root, NULL, 0, &nf, &nm);
    CU_ASSERT(nf == g_hash_table_size(want));
    CU_ASSERT(nm > 20);
    int fd = open(stream, O_RDONLY);
    Sims40BackupReader *r = sims40_backup_reader_new(fd);
    guint matched = 0, seen = 0;
    GError *err = NULL;
    for (;;) {
        MsmFolder *f = NULL;
        char *raw = NULL;
        gboolean ok = sims40_backup_reader_next(r, &f, &raw, &err);
        if (!ok)
            fprintf(stderr, "next: %s\n", err->message);
        CU_ASSERT_FATAL(ok);
        if (f == NULL)
            break;
        char *name = sims40_fix_folder_name(raw, TRUE);
        g_free(f->name);
        f->name = name;
        for (guint i = 0; i < f->owner->subscriptions->len; i++) {
            char *s = sims40_fix_folder_name(f->owner->subscriptions->pdata[i], TRUE);
            g_free(f->owner->subscriptions->pdata[i]);
            f->owner->subscriptions->pdata[i] = s;
        }
        char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
        MsmItem *it = msm_item_new(MSM_KIND_STORE, key, f);
        MsmDigestTee *t = msm_digest_attach(it);
        CU_ASSERT(msm_digest_drain(t, it, NULL));
        msm_item_free(it);
        char *d = msm_digest_finish(t, NULL);
        const char *exp = g_hash_table_lookup(want, key);
        seen++;
        if (exp && strcmp(d, exp) == 0)
            matched++;
        else
            fprintf(stderr, "%s: digest differs\n", key);
        g_free(d);
        g_free(key);
        g_free(raw);
    }
    CU_ASSERT(seen == g_hash_table_size(want));
    CU_ASSERT(matched == seen);
    sims40_backup_reader_free(r);
    close(fd);

    /* abandoning a folder's messages still reads the next folder */
    fd = open(stream, O_RDONLY);
    r = sims40_backup_reader_new(fd);
    guint count = 0;
    for (;;) {
        MsmFolder *f = NULL;
        char *raw = NULL;
        CU_ASSERT_FATAL(sims40_backup_reader_next(r, &f, &raw, NULL));
        if (f == NULL)
            break;
        count++;
        msm_folder_free(f);
        g_free(raw);
    }
    CU_ASSERT(count == seen);
    sims40_backup_reader_free(r);
    close(fd);

    /* a truncated stream is refused with its offset */
    char *text = NULL;
    gsize len = 0;
    CU_ASSERT(g_file_get_contents(stream, &text, &len, NULL));
    g_file_set_contents(stream, text, len / 2, NULL);
    fd = open(stream, O_RDONLY);
    r = sims40_backup_reader_new(fd);
    gboolean failed = FALSE;
    for (guint i = 0; i < 1000 && !failed; i++) {
        MsmFolder *f = NULL;
        char *raw = NULL;
        if (!sims40_backup_reader_next(r, &f, &raw, &err)) {
            failed = TRUE;
            CU_ASSERT(err->code == MSM_ERROR_PARSE && strstr(err->message, "byte "));
            g_clear_error(&err);
        } else if (f == NULL) {
            break;
        } else {
            MsmDigestTee *t = NULL;
            MsmItem *it = msm_item_new(MSM_KIND_STORE, "k", f);
            t = msm_digest_attach(it);
            if (!msm_digest_drain(t, it, &err)) {
                failed = TRUE;
                g_clear_error(&err);
            }
            msm_item_free(it);
            g_free(msm_digest_finish(t, NULL));
        }
        g_free(raw);
    }
    CU_ASSERT(failed);
    sims40_backup_reader_free(r);
    close(fd);

    /* -u and -d select */
    const MsmSampleUser *u0 = m->users->pdata[0];
    const char *only[] = {u0->store_user, NULL};
    guint64 f1 = 0, m1 = 0, f2 = 0, m2 = 0;
    g_free(backup_to_file(root, only, 0, &f1, &m1));
    CU_ASSERT(f1 > 0 && f1 < nf && m1 < nm);
    g_free(backup_to_file(root, NULL, G_MAXINT64, &f2, &m2));
    CU_ASSERT(f2 == nf && m2 == 0);
    g_free(text);
    g_free(stream);
    g_free(root);
    g_hash_table_unref(want);
    msm_sample_model_free(m);
}

/* Restores root (batches of user files or all) into an NMS 4.x store. */
static gboolean
restore_into(const char *root, const char *target, const char *const *files, guint conc,
             Sims40RestoreOptions *o, Sims40RestoreStats *st, GError **error)
{
    const MsmCodec *c = msm_core_nms4_store_codec();
    gpointer w = c->writer_open(NULL, target, "nms-4.1", error);
    CU_ASSERT_FATAL(w != NULL);
    gboolean ok = sims40_restore_batches(root, files, conc, c, w, o, st, error);
    CU_ASSERT(c->writer_commit(w, NULL));
    c->writer_close(w);
    return ok;
}

/* Folder names (UTF-8) of target's NMS 4.x store, as "user/folder". */
static GHashTable *
target_keys(const char *target)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const MsmCodec *c = msm_core_nms4_store_codec();
    gpointer r = c->reader_open(NULL, target, "nms-4.1", NULL);
    CU_ASSERT_FATAL(r != NULL);
    for (;;) {
        MsmItem *it = NULL;
        CU_ASSERT_FATAL(c->reader_next(r, &it, NULL));
        if (it == NULL)
            break;
        g_hash_table_add(h, g_strdup(it->key));
        msm_item_free(it);
    }
    c->reader_close(r);
    return h;
}

static void
test_rename_and_batches(void)
{
    MsmSampleModel *m = msm_sample_model_new("sims-4.0", 6, 5, NULL, NULL);
    GHashTable *want = model_digests(m);
    char *root = sample_store(m);
    const char *tmp = msm_test_tmpdir();
    /* three user files: two users each */
    char *files[4] = {NULL};
    for (guint i = 0; i < 3; i++) {
        files[i] = g_strdup_printf("%s/users%u", tmp, i);
        char *t = g_strdup_printf("%s\n# comment\n%s\n",
                                  ((MsmSampleUser *)m->users->pdata[2 * i])->store_user,
                                  ((MsmSampleUser *)m->users->pdata[2 * i + 1])->store_user);
        g_file_set_contents(files[i], t, -1, NULL);
        g_free(t);
    }
    const char *u0 = ((MsmSampleUser *)m->users->pdata[0])->store_user;
    const char *u1 = ((MsmSampleUser *)m->users->pdata[1])->store_user;
    char *map = g_strdup_printf("%s/map", tmp);
    char *mt = g_strdup_printf("# seed 003\n%s=Anderson\n", u0);
    g_file_set_contents(map, mt, -1, NULL);
    char *ldif = g_strdup_printf("%s/dir.ldif", tmp);
    char *up = g_ascii_strup(u1, -1);
    char *lt = g_strdup_printf("dn: uid=%s,o=siroe.com,o=internet\nobjectClass: emailPerson\n"
                               "uid: %s\n\ndn: uid=plain,o=internet\nuid: plain\n",
                               up, up);
    g_file_set_contents(ldif, lt, -1, NULL);
    Sims40RestoreOptions o = {0};
    o.distinct = TRUE;
    o.continue_on_error = TRUE;
    GError *err = NULL;
    CU_ASSERT(sims40_rename_map_load(map, &o.rename, &err));
    CU_ASSERT(sims40_rename_map_from_ldif(ldif, &o.rename, &err));
    CU_ASSERT(g_hash_table_size(o.rename) == 2);
    char *target = g_build_filename(tmp, "target", NULL);
    Sims40RestoreStats st = {0};
    gboolean ok = restore_into(root, target, (const char *const *)files, 3, &o, &st, &err);
    if (!ok)
        fprintf(stderr, "restore: %s\n", err->message);
    CU_ASSERT(ok);
    CU_ASSERT(st.folders == g_hash_table_size(want));
    CU_ASSERT(st.failed == 0);
    GHashTable *keys = target_keys(target);
    CU_ASSERT(g_hash_table_size(keys) == g_hash_table_size(want));
    CU_ASSERT(g_hash_table_contains(keys, "user/Anderson/INBOX"));
    char *k1 = g_strdup_printf("user/%s/INBOX", up);
    CU_ASSERT(g_hash_table_contains(keys, k1));
    char *k0 = g_strdup_printf("user/%s/INBOX", u0);
    CU_ASSERT(!g_hash_table_contains(keys, k0));
    /* a bad map line names the file and line */
    g_file_set_contents(map, "ok=Ok\nnoequals\n", -1, NULL);
    GHashTable *bad = NULL;
    CU_ASSERT(!sims40_rename_map_load(map, &bad, &err));
    CU_ASSERT(err && strstr(err->message, "line 2"));
    g_clear_error(&err);
    if (bad)
        g_hash_table_unref(bad);
    g_hash_table_unref(keys);
    g_hash_table_unref(o.rename);
    for (guint i = 0; i < 3; i++)
        g_free(files[i]);
    g_free(k0);
    g_free(k1);
    g_free(map);
    g_free(mt);
    g_free(ldif);
    g_free(lt);
    g_free(up);
    g_free(target);
    g_free(root);
    g_hash_table_unref(want);
    msm_sample_model_free(m);
}

static gboolean
arr_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    *msg_r = NULL;
    return TRUE;
}

static void
test_invalid_mutf7(void)
{
    /* the name rule itself */
    char *a = sims40_fix_folder_name("Stra\xdf"
                                     "e",
                                     FALSE);
    char *b = sims40_fix_folder_name("Stra\xdf"
                                     "e",
                                     TRUE);
    char *c = sims40_fix_folder_name("R&AOk-pertoire", FALSE);
    char *d = sims40_fix_folder_name("A&B", FALSE);
    char *e = sims40_fix_folder_name("A&B", TRUE);
    CU_ASSERT_STRING_EQUAL(a, "Stra e");
    CU_ASSERT_STRING_EQUAL(b, "Straße");
    CU_ASSERT_STRING_EQUAL(c, "Répertoire");
    CU_ASSERT_STRING_EQUAL(d, "A B");
    CU_ASSERT_STRING_EQUAL(e, "A&B");
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(d);
    g_free(e);

    /* a store where two names blank to the same one */
    char *root = g_build_filename(msm_test_tmpdir(), "sims", NULL);
    static const char *const raws[] = {"INBOX",
                                       "Stra\xdf"
                                       "e",
                                       "Stra\xe9"
                                       "e",
                                       "Stra e", NULL};
    for (guint i = 0; raws[i]; i++) {
        MsmFolder *f = msm_folder_new(msm_owner_new("joe"), "x");
        f->messages = msm_message_iter_new(arr_next, NULL, NULL);
        CU_ASSERT_FATAL(sims40_store_put_raw(root, f, raws[i], NULL));
        msm_folder_free(f);
    }
    Sims40RestoreOptions o = {0};
    o.continue_on_error = TRUE;
    char *t1 = g_build_filename(msm_test_tmpdir(), "t", NULL);
    Sims40RestoreStats st = {0};
    CU_ASSERT(restore_into(root, t1, NULL, 1, &o, &st, NULL));
    CU_ASSERT(st.folders == 2 && st.failed == 2);
    /* without -c y the first collision stops the restore, naming -n */
    o.continue_on_error = FALSE;
    GError *err = NULL;
    memset(&st, 0, sizeof st);
    CU_ASSERT(!restore_into(root, t1, NULL, 1, &o, &st, &err));
    CU_ASSERT(err && strstr(err->message, "-n"));
    g_clear_error(&err);
    /* -n: four distinct folders */
    o.distinct = TRUE;
    char *t2 = g_build_filename(msm_test_tmpdir(), "t", NULL);
    memset(&st, 0, sizeof st);
    CU_ASSERT(restore_into(root, t2, NULL, 1, &o, &st, NULL));
    CU_ASSERT(st.folders == 4 && st.failed == 0);
    GHashTable *keys = target_keys(t2);
    CU_ASSERT(g_hash_table_contains(keys, "user/joe/Straße"));
    CU_ASSERT(g_hash_table_contains(keys, "user/joe/Straée"));
    CU_ASSERT(g_hash_table_contains(keys, "user/joe/Stra e"));
    g_hash_table_unref(keys);
    g_free(t1);
    g_free(t2);
    g_free(root);
}

/* A hostile stream: unsafe owners refused, hostile folder names kept inside
 * the target, a rename to an unsafe name refused at load. */
static void
test_hostile_stream(void)
{
    const char *base = msm_test_tmpdir();
    char *target = g_build_filename(base, "target", NULL);
    char *stream = g_build_filename(base, "stream", NULL);
    static const char text[] = "IMBACKUP 1\n"
                               "U ../evil\nQ -1 -1 -1\nF INBOX\nV 1 2\nM 1 - 0 2 \nhi\nE\n"
                               "U joe\nQ -1 -1 -1\nS ../../../x\nF ../../../x\nV 1 2\n"
                               "M 1 S 0 3 \nabc\nE\nF a/../../b\nV 1 1\nE\n"
                               "U .hidden\nQ -1 -1 -1\nF INBOX\nV 1 1\nE\n"
                               "Z 4 2\n";
    CU_ASSERT_FATAL(g_file_set_contents(stream, text, sizeof text - 1, NULL));
    const MsmCodec *c = msm_core_nms4_store_codec();
    gpointer w = c->writer_open(NULL, target, "nms-4.1", NULL);
    CU_ASSERT_FATAL(w != NULL);
    Sims40RestoreOptions o = {0};
    o.continue_on_error = TRUE;
    o.distinct = TRUE;
    Sims40RestoreStats st = {0};
    int fd = open(stream, O_RDONLY);
    GError *err = NULL;
    gboolean ok = sims40_restore_stream(fd, c, w, NULL, &o, &st, &err);
    if (!ok)
        fprintf(stderr, "restore: %s\n", err->message);
    CU_ASSERT(ok);
    close(fd);
    CU_ASSERT(c->writer_commit(w, NULL));
    c->writer_close(w);
    CU_ASSERT(st.folders == 2 && st.failed == 2);
    GHashTable *keys = target_keys(target);
    CU_ASSERT(g_hash_table_contains(keys, "user/joe/../../../x"));
    CU_ASSERT(g_hash_table_contains(keys, "user/joe/a/../../b"));
    CU_ASSERT(g_hash_table_size(keys) == 2);
    g_hash_table_unref(keys);
    /* nothing beside the target and the stream in the scratch directory */
    GDir *d = g_dir_open(base, 0, NULL);
    const char *n;
    guint entries = 0;
    while ((n = g_dir_read_name(d)) != NULL)
        entries++;
    g_dir_close(d);
    CU_ASSERT(entries == 2);
    char *map = g_build_filename(base, "map", NULL);
    g_file_set_contents(map, "joe=../root\n", -1, NULL);
    GHashTable *m = NULL;
    CU_ASSERT(!sims40_rename_map_load(map, &m, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
    g_clear_error(&err);
    if (m)
        g_hash_table_unref(m);
    g_free(map);
    g_free(target);
    g_free(stream);
}

/* Reads a whole stream file; TRUE when it ended with its trailer. */
static gboolean
read_stream(const char *path, guint *folders_r)
{
    int fd = open(path, O_RDONLY);
    Sims40BackupReader *r = sims40_backup_reader_new(fd);
    gboolean ok = TRUE;
    *folders_r = 0;
    for (;;) {
        MsmFolder *f = NULL;
        char *raw = NULL;
        GError *err = NULL;
        if (!sims40_backup_reader_next(r, &f, &raw, &err)) {
            CU_ASSERT(err != NULL && err->code == MSM_ERROR_PARSE);
            g_clear_error(&err);
            ok = FALSE;
            break;
        }
        if (f == NULL)
            break;
        (*folders_r)++;
        MsmItem *it = msm_item_new(MSM_KIND_STORE, "k", f);
        MsmDigestTee *t = msm_digest_attach(it);
        if (!msm_digest_drain(t, it, &err)) {
            g_clear_error(&err);
            ok = FALSE;
        }
        msm_item_free(it);
        g_free(msm_digest_finish(t, NULL));
        g_free(raw);
        if (!ok)
            break;
    }
    sims40_backup_reader_free(r);
    close(fd);
    return ok;
}

/* Every truncation of a stream is refused, never read as complete. */
static void
test_truncated_everywhere(void)
{
    const char *base = msm_test_tmpdir();
    char *path = g_build_filename(base, "s", NULL);
    static const char text[] = "IMBACKUP 1\nU joe\nQ 100 -1 7\nS INBOX\nF INBOX\nV 5 9\n"
                               "A joe\tlrswipcda\nM 1 S 1000 3 $Label1\na\0b\n"
                               "M 4 - 2000 0\n\nE\nF Sent\nV 6 1\nE\nZ 2 2\n";
    guint n = 0;
    CU_ASSERT_FATAL(g_file_set_contents(path, text, sizeof text - 1, NULL));
    CU_ASSERT(read_stream(path, &n) && n == 2);
    for (gsize cut = 0; cut < sizeof text - 1; cut++) {
        CU_ASSERT_FATAL(g_file_set_contents(path, text, cut, NULL));
        if (read_stream(path, &n)) {
            fprintf(stderr, "truncated at %zu read as complete\n", cut);
            CU_FAIL("truncated stream accepted");
        }
    }
    /* a trailer whose counts disagree */
    char *bad = g_memdup2(text, sizeof text);
    bad[sizeof text - 2 - 1] = '3'; /* "Z 2 2\n" -> "Z 2 3\n" */
    CU_ASSERT_FATAL(g_file_set_contents(path, bad, sizeof text - 1, NULL));
    CU_ASSERT(!read_stream(path, &n));
    g_free(bad);
    g_free(path);
}

/* The hop's store migrator renames owners from the run's profile options. */
static void
test_store_migrator(void)
{
    const char *base = msm_test_tmpdir();
    char *map = g_build_filename(base, "map", NULL);
    g_file_set_contents(map, "anderson=Anderson\n", -1, NULL);
    MsmCtx *ctx = msm_ctx_new();
    ctx->profile = g_key_file_new();
    g_key_file_set_string(ctx->profile, "sims40", "rename_map", map);
    const MsmStoreMigrator *m = &sims40_store_40_52;
    CU_ASSERT(m->iface_version == MSM_STORE_IFACE_VERSION);
    CU_ASSERT(m->preflight(ctx, NULL));
    MsmFolder *f = msm_folder_new(msm_owner_new("anderson"), "Sent");
    g_ptr_array_add(f->acl, msm_ace_new("anderson", "lrswipcda"));
    g_ptr_array_add(f->acl, msm_ace_new("anyone", "lr"));
    MsmItem *it = msm_item_new(MSM_KIND_STORE, "user/anderson/Sent", f);
    CU_ASSERT(m->transform(ctx, it, NULL) == MSM_RESULT_CONTINUE);
    CU_ASSERT_STRING_EQUAL(it->key, "user/Anderson/Sent");
    CU_ASSERT_STRING_EQUAL(f->owner->user, "Anderson");
    CU_ASSERT_STRING_EQUAL(((MsmAce *)f->acl->pdata[0])->identifier, "Anderson");
    CU_ASSERT_STRING_EQUAL(((MsmAce *)f->acl->pdata[1])->identifier, "anyone");
    msm_item_free(it);
    /* a user not renamed keeps its name; rights it granted to a renamed user follow */
    MsmFolder *g = msm_folder_new(msm_owner_new("kolander"), "INBOX");
    g_ptr_array_add(g->acl, msm_ace_new("kolander", "lrswipcda"));
    g_ptr_array_add(g->acl, msm_ace_new("anderson", "lrs"));
    it = msm_item_new(MSM_KIND_STORE, "user/kolander/INBOX", g);
    CU_ASSERT(m->transform(ctx, it, NULL) == MSM_RESULT_CONTINUE);
    CU_ASSERT_STRING_EQUAL(it->key, "user/kolander/INBOX");
    CU_ASSERT_STRING_EQUAL(g->owner->user, "kolander");
    CU_ASSERT_STRING_EQUAL(((MsmAce *)g->acl->pdata[0])->identifier, "kolander");
    CU_ASSERT_STRING_EQUAL(((MsmAce *)g->acl->pdata[1])->identifier, "Anderson");
    msm_item_free(it);
    CU_ASSERT(m->finish(ctx, NULL));
    /* a bad map stops the run at preflight */
    g_file_set_contents(map, "no equals sign\n", -1, NULL);
    GError *err = NULL;
    CU_ASSERT(!m->preflight(ctx, &err));
    CU_ASSERT(err && strstr(err->message, "line 1"));
    g_clear_error(&err);
    CU_ASSERT(m->finish(ctx, NULL));
    GKeyFile *kf = ctx->profile; /* the test's, not the context's */
    msm_ctx_free(ctx);
    g_key_file_free(kf);
    g_free(map);
}

MSM_TEST_MAIN("imbackup", MSM_TEST(test_store_migrator), MSM_TEST(test_truncated_everywhere),
              MSM_TEST(test_hostile_stream), MSM_TEST(test_stream_roundtrip),
              MSM_TEST(test_rename_and_batches), MSM_TEST(test_invalid_mutf7))
