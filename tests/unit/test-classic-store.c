/*
 * NAME
 *	test-classic-store - core's classic message store codec (iMS 5.2 ... MS 8.1)
 * SUMMARY
 *	Naming rules (hash directories, folder directory encoding) against the
 *	format page's examples; reader(writer(sample)) equals the sample for
 *	each of the three generations (every digest field: names, UIDs, flags,
 *	keywords, dates, sizes, body SHA-256, UIDVALIDITY, quotas,
 *	subscriptions, ACLs) and lays the files out as documented; a G1 store
 *	converted to G3 reads back the same, while readers and writers of one
 *	generation refuse the others' stores by name; hostile owner, folder
 *	and partition names refused with nothing written outside the root;
 *	invalid modified UTF-7 keys and symbolic links reported per entry; a
 *	writer killed half way through a folder resumes without doubling;
 *	rollback restores a replaced folder and removes a created one.
 */
#include "config.h"

#include "util.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "codec-classic-store.h"
#include "ctxpriv.h"
#include "digest.h"
#include "sample-model.h"
#include "testutil.h"

#include <db.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static gpointer
copy_str(gconstpointer src, gpointer data)
{
    (void)data;
    return g_strdup(src);
}

static const MsmCodec *
codec(void)
{
    return msm_core_classic_store_codec();
}

/* The store directory of root for version. (transfer full) */
static char *
sdir_of(const char *root, const char *version)
{
    MsmLayout *l = msm_layout_resolve(root, version, NULL, NULL);
    g_assert(l != NULL);
    char *d = g_strdup(msm_layout_store_dir(l));
    msm_layout_free(l);
    return d;
}

/* Writes the sample of version (users, seed) into root through the codec;
 * returns key -> digest of what was put. (transfer full) */
static GHashTable *
write_sample(MsmCtx *ctx, const char *root, const char *version, guint users, guint64 seed)
{
    GError *err = NULL;
    MsmSampleModel *m = msm_sample_model_new(version, users, seed, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    GHashTable *digests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gpointer w = codec()->writer_open(ctx, root, version, &err);
    if (w == NULL)
        fprintf(stderr, "writer_open: %s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *folders = msm_sample_model_folders(m, u);
        for (guint i = 0; i < folders->len; i++) {
            MsmFolder *f = folders->pdata[i];
            folders->pdata[i] = NULL;
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            MsmItem *item = msm_item_new(MSM_KIND_STORE, key, f);
            MsmDigestTee *tee = msm_digest_attach(item);
            gboolean ok = codec()->writer_put(w, item, &err);
            if (!ok)
                fprintf(stderr, "writer_put %s: %s\n", key, err->message);
            CU_ASSERT_FATAL(ok);
            msm_item_free(item);
            g_hash_table_insert(digests, key, msm_digest_finish(tee, NULL));
        }
        g_ptr_array_unref(folders);
    }
    CU_ASSERT(codec()->writer_commit(w, &err));
    codec()->writer_close(w);
    msm_sample_model_free(m);
    return digests;
}

/* Reads root as version: key -> digest; per-entry errors into errors (or fail). */
static GHashTable *
read_digests(const char *root, const char *version, GPtrArray *errors)
{
    GError *err = NULL;
    GHashTable *digests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    gpointer r = codec()->reader_open(NULL, root, version, &err);
    if (r == NULL)
        fprintf(stderr, "reader_open: %s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (;;) {
        MsmItem *item = NULL;
        if (!codec()->reader_next(r, &item, &err)) {
            if (errors == NULL)
                fprintf(stderr, "reader_next: %s\n", err->message);
            CU_ASSERT_PTR_NOT_NULL_FATAL(errors);
            CU_ASSERT(err->code == MSM_ERROR_UNSAFE || err->code == MSM_ERROR_PARSE);
            g_ptr_array_add(errors, g_strdup(err->message));
            g_clear_error(&err);
            continue;
        }
        if (item == NULL)
            break;
        MsmDigestTee *tee = msm_digest_attach(item);
        gboolean ok = msm_digest_drain(tee, item, &err);
        if (!ok && errors) {
            g_ptr_array_add(errors, g_strdup(err->message));
            g_clear_error(&err);
        } else {
            if (!ok)
                fprintf(stderr, "drain %s: %s\n", item->key, err->message);
            CU_ASSERT_FATAL(ok);
        }
        char *d = msm_digest_finish(tee, NULL);
        if (ok)
            g_hash_table_insert(digests, g_strdup(item->key), d);
        else
            g_free(d);
        msm_item_free(item);
    }
    codec()->reader_close(r);
    return digests;
}

/* TRUE if both tables hold the same keys with the same digests (names the first difference). */
static gboolean
same_digests(GHashTable *a, GHashTable *b)
{
    if (g_hash_table_size(a) != g_hash_table_size(b)) {
        fprintf(stderr, "%u folders written, %u read\n", g_hash_table_size(a),
                g_hash_table_size(b));
        return FALSE;
    }
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, a);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        const char *o = g_hash_table_lookup(b, k);
        if (o == NULL || strcmp(o, v) != 0) {
            fprintf(stderr, "folder %s differs\n", (const char *)k);
            return FALSE;
        }
    }
    return TRUE;
}

static void
test_names(void)
{
    char *h = msm_classic_store_hash_dir("mack1");
    CU_ASSERT_EQUAL(strlen(h), 5);
    CU_ASSERT(g_ascii_isxdigit(h[0]) && g_ascii_isxdigit(h[1]) && h[2] == '/');
    char *h2 = msm_classic_store_hash_dir("mack1");
    CU_ASSERT_STRING_EQUAL(h, h2); /* a function of the name */
    g_free(h2);
    g_free(h);
    h = msm_classic_store_hash_dir(""); /* FNV-1a offset basis 0x811c9dc5 */
    CU_ASSERT_STRING_EQUAL(h, "c5/9d");
    g_free(h);
    h = msm_classic_store_hash_dir("a"); /* FNV-1a("a") = 0xe40c292c */
    CU_ASSERT_STRING_EQUAL(h, "2c/29");
    g_free(h);

    static const struct {
        const char *name, *rel;
    } ok[] = {
        {"INBOX", ""},
        {"Archive/2009", "Archive/2009"},
        {"Répertoire", "R&AOk-pertoire"},
        {"a.b", "a%2Eb"},
        {"100%", "100%25"},
        {"1.msg", "1%2Emsg"},
        {"store.idx", "store%2Eidx"},
        {"INBOX/sub", "INBOX/sub"},
        {"Tom & Jerry", "Tom &- Jerry"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(ok); i++) {
        GError *err = NULL;
        char *r = msm_classic_store_folder_relpath(ok[i].name, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_STRING_EQUAL(r, ok[i].rel);
        g_free(r);
    }
    char *longname = g_strnfill(300, 'x');
    const char *bad[] = {"", "..", "a/../b", "/abs", "a//b", "trail/", ".", "\xff\xfe", longname};
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        char *r = msm_classic_store_folder_relpath(bad[i], &err);
        CU_ASSERT_PTR_NULL(r);
        CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
        g_clear_error(&err);
        g_free(r);
    }
    g_free(longname);
    CU_ASSERT_EQUAL(msm_classic_store_generation("ims-5.2"), 1);
    CU_ASSERT_EQUAL(msm_classic_store_generation("ms-7.0"), 1);
    CU_ASSERT_EQUAL(msm_classic_store_generation("ms-7.0.5"), 2);
    CU_ASSERT_EQUAL(msm_classic_store_generation("ms-8.0"), 2);
    CU_ASSERT_EQUAL(msm_classic_store_generation("ms-8.0.1"), 3);
    CU_ASSERT_EQUAL(msm_classic_store_generation("ms-8.1"), 3);
    CU_ASSERT_EQUAL(msm_classic_store_generation("nms-4.1"), 0);
}

/* Round trip of one version's sample; checks the documented files exist. */
static void
roundtrip(const char *version, int gen)
{
    const char *root = msm_test_tmpdir();
    GHashTable *w = write_sample(NULL, root, version, 3, 11);
    GHashTable *r = read_digests(root, version, NULL);
    CU_ASSERT(g_hash_table_size(w) >= 6);
    CU_ASSERT(same_digests(w, r));
    char *sdir = sdir_of(root, version);
    static const char *const files[] = {"folder.db", "quota.db", "peruser.db", "subscr.db",
                                        "lright.db"};
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        char *p = g_build_filename(sdir, "mboxlist", files[i], NULL);
        CU_ASSERT(g_file_test(p, G_FILE_TEST_IS_REGULAR));
        g_free(p);
    }
    /* the first user's INBOX: store.idx with the generation's format, <uid>.msg files */
    MsmSampleModel *m = msm_sample_model_new(version, 3, 11, NULL, NULL);
    const MsmSampleUser *u = m->users->pdata[0];
    char *h = msm_classic_store_hash_dir(u->store_user);
    char *eq = g_strconcat("=", u->store_user, NULL);
    char *idx = g_build_filename(sdir, "partition", "primary", "=user", h, eq, "store.idx", NULL);
    char *data = NULL;
    gsize len = 0;
    CU_ASSERT_FATAL(g_file_get_contents(idx, &data, &len, NULL));
    CU_ASSERT(len > 44 && memcmp(data, "MSIX", 4) == 0);
    CU_ASSERT_EQUAL(data[5], gen == 3 ? 2 : 1);
    CU_ASSERT_EQUAL((guchar)data[7], gen == 3 ? 56 : 28);
    guint32 first_uid = ((guint32)(guchar)data[44] << 24) | ((guint32)(guchar)data[45] << 16) |
                        ((guint32)(guchar)data[46] << 8) | (guchar)data[47];
    char *msgname = g_strdup_printf("%u.msg", first_uid);
    char *msg = g_build_filename(sdir, "partition", "primary", "=user", h, eq, msgname, NULL);
    CU_ASSERT(g_file_test(msg, G_FILE_TEST_IS_REGULAR));
    g_free(msg);
    g_free(msgname);
    g_free(data);
    g_free(idx);
    g_free(eq);
    g_free(h);
    msm_sample_model_free(m);
    /* the same puts give the same bytes: the closed databases are standalone
     * (no log, no regions) and reproducible */
    const char *root2 = msm_test_tmpdir();
    GHashTable *w2 = write_sample(NULL, root2, version, 3, 11);
    char *sdir2 = sdir_of(root2, version);
    for (gsize i = 0; i < G_N_ELEMENTS(files); i++) {
        char *p1 = g_build_filename(sdir, "mboxlist", files[i], NULL);
        char *p2 = g_build_filename(sdir2, "mboxlist", files[i], NULL);
        char *c1 = NULL, *c2 = NULL;
        gsize l1 = 0, l2 = 0;
        CU_ASSERT(g_file_get_contents(p1, &c1, &l1, NULL) && g_file_get_contents(p2, &c2, &l2, NULL));
        CU_ASSERT(l1 == l2 && l1 > 0 && memcmp(c1, c2, l1) == 0);
        g_free(c1);
        g_free(c2);
        g_free(p1);
        g_free(p2);
    }
    char *ml = g_build_filename(sdir, "mboxlist", NULL);
    GDir *d = g_dir_open(ml, 0, NULL);
    const char *n;
    guint nfiles = 0;
    while (d && (n = g_dir_read_name(d)) != NULL)
        nfiles++;
    if (d)
        g_dir_close(d);
    CU_ASSERT_EQUAL(nfiles, 5);
    g_free(ml);
    g_free(sdir2);
    g_hash_table_unref(w2);
    g_free(sdir);
    g_hash_table_unref(w);
    g_hash_table_unref(r);
}

static void
test_roundtrip_g1_ims52(void)
{
    roundtrip("ims-5.2", 1);
}

static void
test_roundtrip_g1_ms63(void)
{
    roundtrip("ms-6.3", 1);
}

static void
test_roundtrip_g2(void)
{
    roundtrip("ms-7.0.5", 2);
}

static void
test_roundtrip_g3(void)
{
    roundtrip("ms-8.1", 3);
}

/* Compares two optional string arrays as sets in order. */
static gboolean
same_strv(const GPtrArray *a, const GPtrArray *b)
{
    guint na = a ? a->len : 0, nb = b ? b->len : 0;
    if (na != nb)
        return FALSE;
    for (guint i = 0; i < na; i++)
        if (strcmp(a->pdata[i], b->pdata[i]) != 0)
            return FALSE;
    return TRUE;
}

/* reader(writer(model)) field by field, with the partition moved off "primary"
 * for one user: every folder, owner and message field and the body bytes. */
static void
fields(const char *version)
{
    const char *root = msm_test_tmpdir();
    GError *err = NULL;
    MsmSampleModel *m = msm_sample_model_new(version, 3, 17, NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    gpointer w = codec()->writer_open(NULL, root, version, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *folders = msm_sample_model_folders(m, u);
        for (guint i = 0; i < folders->len; i++) {
            MsmFolder *f = folders->pdata[i];
            folders->pdata[i] = NULL;
            if (u == 1) {
                g_free(f->owner->partition);
                f->owner->partition = g_strdup("second");
            }
            char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
            MsmItem *item = msm_item_new(MSM_KIND_STORE, key, f);
            CU_ASSERT_FATAL(codec()->writer_put(w, item, &err));
            msm_item_free(item);
            g_free(key);
        }
        g_ptr_array_unref(folders);
    }
    CU_ASSERT(codec()->writer_commit(w, &err));
    codec()->writer_close(w);

    GHashTable *read = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify)msm_item_free);
    gpointer r = codec()->reader_open(NULL, root, version, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    MsmItem *item;
    while (codec()->reader_next(r, &item, &err) && item)
        g_hash_table_insert(read, item->key, item);
    CU_ASSERT_PTR_NULL(err);
    guint compared = 0, messages = 0;
    for (guint u = 0; u < m->users->len; u++) {
        GPtrArray *folders = msm_sample_model_folders(m, u);
        for (guint i = 0; i < folders->len; i++) {
            MsmFolder *a = folders->pdata[i];
            char *key = g_strdup_printf("user/%s/%s", a->owner->user, a->name);
            MsmItem *it = g_hash_table_lookup(read, key);
            CU_ASSERT_PTR_NOT_NULL_FATAL(it);
            MsmFolder *b = it->payload;
            CU_ASSERT_STRING_EQUAL(b->name, a->name);
            CU_ASSERT_STRING_EQUAL(b->owner->user, a->owner->user);
            CU_ASSERT_STRING_EQUAL(b->owner->partition, u == 1 ? "second" : "primary");
            CU_ASSERT_EQUAL(b->owner->quota_bytes, a->owner->quota_bytes);
            CU_ASSERT_EQUAL(b->owner->quota_messages, a->owner->quota_messages);
            CU_ASSERT_EQUAL(b->owner->used_bytes, a->owner->used_bytes);
            CU_ASSERT(same_strv(b->owner->subscriptions, a->owner->subscriptions));
            CU_ASSERT_EQUAL(b->uidvalidity, a->uidvalidity);
            CU_ASSERT(b->uidnext >= a->uidnext);
            CU_ASSERT_EQUAL(b->acl->len, a->acl->len);
            for (guint k = 0; k < a->acl->len && k < b->acl->len; k++) {
                MsmAce *x = a->acl->pdata[k], *y = b->acl->pdata[k];
                CU_ASSERT_STRING_EQUAL(x->identifier, y->identifier);
                CU_ASSERT_STRING_EQUAL(x->rights, y->rights);
            }
            guint n = 0;
            for (;;) {
                MsmMessage *x = NULL, *y = NULL;
                CU_ASSERT_FATAL(msm_message_iter_next(a->messages, &x, &err));
                CU_ASSERT_FATAL(msm_message_iter_next(b->messages, &y, &err));
                CU_ASSERT_FATAL((x == NULL) == (y == NULL));
                if (x == NULL)
                    break;
                n++;
                CU_ASSERT_EQUAL(x->uid, y->uid);
                CU_ASSERT_EQUAL(x->flags, y->flags);
                CU_ASSERT_EQUAL(x->internal_date, y->internal_date);
                CU_ASSERT_EQUAL(x->size, y->size);
                GPtrArray *kx = g_ptr_array_copy(x->keywords, copy_str, NULL);
                GPtrArray *ky = g_ptr_array_copy(y->keywords, copy_str, NULL);
                g_ptr_array_set_free_func(kx, g_free);
                g_ptr_array_set_free_func(ky, g_free);
                g_ptr_array_sort(kx, msm_strcmp_ptr);
                g_ptr_array_sort(ky, msm_strcmp_ptr);
                CU_ASSERT(same_strv(kx, ky));
                g_ptr_array_unref(kx);
                g_ptr_array_unref(ky);
                GBytes *bx = msm_body_slurp(x->body, NULL), *by = msm_body_slurp(y->body, NULL);
                CU_ASSERT_FATAL(bx && by);
                CU_ASSERT(g_bytes_equal(bx, by));
                g_bytes_unref(bx);
                g_bytes_unref(by);
                msm_message_free(x);
                msm_message_free(y);
            }
            CU_ASSERT_EQUAL(b->message_count, n);
            messages += n;
            compared++;
            g_free(key);
        }
        g_ptr_array_unref(folders);
    }
    CU_ASSERT_EQUAL(compared, g_hash_table_size(read));
    CU_ASSERT(messages > 50);
    /* the second user's folders live in partition/second */
    const MsmSampleUser *u1 = m->users->pdata[1];
    char *sdir = sdir_of(root, version);
    char *h = msm_classic_store_hash_dir(u1->store_user);
    char *eq = g_strconcat("=", u1->store_user, "/store.idx", NULL);
    char *p = g_build_filename(sdir, "partition", "second", "=user", h, eq, NULL);
    CU_ASSERT(g_file_test(p, G_FILE_TEST_IS_REGULAR));
    g_free(p);
    g_free(eq);
    g_free(h);
    g_free(sdir);
    codec()->reader_close(r);
    g_hash_table_unref(read);
    msm_sample_model_free(m);
}

static void
test_fields_g1(void)
{
    fields("ims-5.2");
}

static void
test_fields_g2(void)
{
    fields("ms-8.0");
}

static void
test_fields_g3(void)
{
    fields("ms-8.0.1");
}

/* reader_open of root as version fails with PARSE and a message containing want. */
static void
refuses(const char *root, const char *version, const char *want)
{
    GError *err = NULL;
    gpointer r = codec()->reader_open(NULL, root, version, &err);
    CU_ASSERT_PTR_NULL(r);
    if (r)
        codec()->reader_close(r);
    CU_ASSERT_FATAL(err != NULL);
    CU_ASSERT(err->code == MSM_ERROR_PARSE);
    if (strstr(err->message, want) == NULL)
        fprintf(stderr, "expected \"%s\" in: %s\n", want, err->message);
    CU_ASSERT(strstr(err->message, want) != NULL);
    g_error_free(err);
}

static void
test_convert_g1_to_g3(void)
{
    const char *src = msm_test_tmpdir(), *dst = msm_test_tmpdir(), *mid = msm_test_tmpdir();
    GHashTable *orig = write_sample(NULL, src, "ms-6.3", 2, 5);
    GError *err = NULL;
    /* 6.3 -> 7.0 (same generation) -> 8.1 (G3), reading each once */
    const char *chain[][3] = {{src, "ms-6.3", NULL}, {mid, "ms-7.0", NULL}};
    const char *targets[] = {mid, dst};
    const char *tversions[] = {"ms-7.0", "ms-8.1"};
    for (int step = 0; step < 2; step++) {
        gpointer r = codec()->reader_open(NULL, chain[step][0], chain[step][1], &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        gpointer w = codec()->writer_open(NULL, targets[step], tversions[step], &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(w);
        for (;;) {
            MsmItem *item = NULL;
            CU_ASSERT_FATAL(codec()->reader_next(r, &item, &err));
            if (item == NULL)
                break;
            CU_ASSERT(codec()->writer_put(w, item, &err));
            msm_item_free(item);
        }
        CU_ASSERT(codec()->writer_commit(w, &err));
        codec()->writer_close(w);
        codec()->reader_close(r);
    }
    GHashTable *conv = read_digests(dst, "ms-8.1", NULL);
    CU_ASSERT(same_digests(orig, conv));
    /* each generation refuses the others' stores, naming who wrote them */
    refuses(dst, "ms-6.3", "ms-8.0.1 .. ms-8.1");
    refuses(dst, "ms-7.0", "generation 3");
    refuses(dst, "ms-8.0", "store format 2");
    refuses(src, "ms-8.1", "ims-5.2 .. ms-7.0");
    refuses(src, "ms-7.0.5", "database format 1");
    /* a G3 writer does not mix its records into a G1 store */
    gpointer w = codec()->writer_open(NULL, src, "ms-8.1", &err);
    CU_ASSERT_PTR_NULL(w);
    CU_ASSERT(err && strstr(err->message, "cannot write into this store") != NULL);
    g_clear_error(&err);
    /* a G3 store.idx under a G2 database is refused by the G2 reader per folder */
    g_hash_table_unref(orig);
    g_hash_table_unref(conv);
}

/* Lists every path below dir into out (relative names). */
static void
snapshot(const char *dir, const char *rel, GPtrArray *out)
{
    char *full = rel ? g_build_filename(dir, rel, NULL) : g_strdup(dir);
    GDir *d = g_dir_open(full, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d)) != NULL) {
        char *r = rel ? g_build_filename(rel, n, NULL) : g_strdup(n);
        char *p = g_build_filename(dir, r, NULL);
        g_ptr_array_add(out, g_strdup(r));
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            snapshot(dir, r, out);
        g_free(p);
        g_free(r);
    }
    if (d)
        g_dir_close(d);
    g_free(full);
}

/* An empty folder of owner. (transfer full) */
static MsmItem *
one_folder(const char *owner, const char *name, const char *partition)
{
    MsmOwner *o = msm_owner_new(owner);
    if (partition) {
        g_free(o->partition);
        o->partition = g_strdup(partition);
    }
    MsmFolder *f = msm_folder_new(o, name);
    f->uidvalidity = 7;
    f->uidnext = 2;
    f->messages = NULL; /* an empty folder is enough to exercise the names */
    char *key = g_strdup_printf("user/%s/%s", owner, name);
    MsmItem *it = msm_item_new(MSM_KIND_STORE, key, f);
    g_free(key);
    return it;
}

static void
test_hostile_names(void)
{
    const char *parent = msm_test_tmpdir();
    char *root = g_build_filename(parent, "root", NULL);
    g_mkdir(root, 0755);
    GError *err = NULL;
    gpointer w = codec()->writer_open(NULL, root, "ms-8.1", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    GPtrArray *before = g_ptr_array_new_with_free_func(g_free);
    snapshot(parent, NULL, before);
    char *longc = g_strnfill(200, 'x');
    char *longname = g_strdup_printf("%s/%s/%s/%s/%s/%s", longc, longc, longc, longc, longc, longc);
    char *longowner = g_strnfill(300, 'o');
    const struct {
        const char *owner, *folder, *partition;
    } bad[] = {
        {"joe", "../../../../escape", NULL},
        {"joe", "a/../../b", NULL},
        {"joe", "", NULL},
        {"joe", "/etc", NULL},
        {"joe", "x//y", NULL},
        {"joe", "bad\xc3(utf8", NULL},
        {"joe", longname, NULL},
        {"../joe", "INBOX", NULL},
        {"a/b", "INBOX", NULL},
        {".hidden", "INBOX", NULL},
        {"", "INBOX", NULL},
        {"ctl\n", "INBOX", NULL},
        {longowner, "INBOX", NULL},
        {"joe", "INBOX", "../../p"},
        {"joe", "INBOX", "a/b"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        MsmItem *it = one_folder(bad[i].owner, bad[i].folder, bad[i].partition);
        gboolean ok = codec()->writer_put(w, it, &err);
        CU_ASSERT_FALSE(ok);
        if (err == NULL || err->code != MSM_ERROR_UNSAFE)
            fprintf(stderr, "case %" G_GSIZE_FORMAT ": %s\n", i, err ? err->message : "(ok)");
        CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE);
        g_clear_error(&err);
        msm_item_free(it);
    }
    CU_ASSERT(codec()->writer_commit(w, &err));
    codec()->writer_close(w);
    GPtrArray *after = g_ptr_array_new_with_free_func(g_free);
    snapshot(parent, NULL, after);
    /* nothing appeared outside root, and below root only the mboxlist databases */
    for (guint i = 0; i < after->len; i++) {
        const char *p = after->pdata[i];
        gboolean known = FALSE;
        for (guint j = 0; j < before->len && !known; j++)
            known = strcmp(p, before->pdata[j]) == 0;
        if (!known && !(g_str_has_prefix(p, "root/") && strstr(p, "mboxlist") != NULL)) {
            fprintf(stderr, "unexpected path %s\n", p);
            CU_FAIL("a hostile name created something");
        }
    }
    /* a hash directory of the target that is a link to outside: refused, not followed */
    char *outside = g_build_filename(parent, "outside", NULL);
    g_mkdir(outside, 0755);
    char *sdir = sdir_of(root, "ms-8.1");
    char *hv = msm_classic_store_hash_dir("victim");
    char *h1 = g_strndup(hv, 2);
    char *udir = g_build_filename(sdir, "partition", "primary", "=user", NULL);
    char *link = g_build_filename(udir, h1, NULL);
    g_mkdir_with_parents(udir, 0755);
    CU_ASSERT_FATAL(symlink(outside, link) == 0);
    w = codec()->writer_open(NULL, root, "ms-8.1", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    MsmItem *vi = one_folder("victim", "Deep/Folder", NULL);
    CU_ASSERT_FALSE(codec()->writer_put(w, vi, &err));
    CU_ASSERT(err && err->code == MSM_ERROR_UNSAFE && strstr(err->message, "symbolic link"));
    g_clear_error(&err);
    msm_item_free(vi);
    codec()->writer_close(w);
    GDir *od = g_dir_open(outside, 0, NULL);
    CU_ASSERT(od && g_dir_read_name(od) == NULL); /* nothing created through the link */
    if (od)
        g_dir_close(od);
    unlink(link);
    g_free(link);
    g_free(udir);
    g_free(h1);
    g_free(hv);
    g_free(sdir);
    g_free(outside);

    /* a fine folder with a '.' in its name is encoded, not refused */
    w = codec()->writer_open(NULL, root, "ms-8.1", &err);
    MsmItem *it = one_folder("joe@siroe.com", "Foo.Bar/..x", NULL);
    CU_ASSERT(codec()->writer_put(w, it, &err));
    msm_item_free(it);
    codec()->writer_close(w);
    GHashTable *r = read_digests(root, "ms-8.1", NULL);
    CU_ASSERT(g_hash_table_contains(r, "user/joe@siroe.com/Foo.Bar/..x"));
    g_hash_table_unref(r);
    g_ptr_array_unref(before);
    g_ptr_array_unref(after);
    g_free(longc);
    g_free(longname);
    g_free(longowner);
    g_free(root);
}

/* Copies the folder.db record of src_key to a new raw key (G1 database). */
static void
inject_key(const char *sdir, const char *src_key, const char *new_key)
{
    char *p = g_build_filename(sdir, "mboxlist", "folder.db", NULL);
    DB *db = NULL;
    CU_ASSERT_FATAL(db_create(&db, NULL, 0) == 0);
    CU_ASSERT_FATAL(db->open(db, NULL, p, NULL, DB_BTREE, 0, 0) == 0);
    DBT k, d;
    memset(&k, 0, sizeof k);
    memset(&d, 0, sizeof d);
    k.data = (void *)src_key;
    k.size = (u_int32_t)strlen(src_key);
    CU_ASSERT_FATAL(db->get(db, NULL, &k, &d, 0) == 0);
    DBT nk;
    memset(&nk, 0, sizeof nk);
    nk.data = (void *)new_key;
    nk.size = (u_int32_t)strlen(new_key);
    CU_ASSERT_FATAL(db->put(db, NULL, &nk, &d, 0) == 0);
    db->close(db, 0);
    g_free(p);
}

static void
test_unsafe_source_entries(void)
{
    const char *root = msm_test_tmpdir();
    GHashTable *w = write_sample(NULL, root, "ms-6.3", 2, 3);
    MsmSampleModel *m = msm_sample_model_new("ms-6.3", 2, 3, NULL, NULL);
    const MsmSampleUser *u0 = m->users->pdata[0], *u1 = m->users->pdata[1];
    char *sdir = sdir_of(root, "ms-6.3");
    /* an invalid modified UTF-7 name and a "user/x/.." key in folder.db */
    char *src = g_strdup_printf("user/%s/INBOX", u0->store_user);
    char *bad1 = g_strdup_printf("user/%s/&Jjo", u0->store_user);
    char *bad2 = g_strdup_printf("user/%s/..", u0->store_user);
    inject_key(sdir, src, bad1);
    inject_key(sdir, src, bad2);
    /* the second user's directory replaced by a link to the first one's */
    char *h = msm_classic_store_hash_dir(u1->store_user);
    char *eq = g_strconcat("=", u1->store_user, NULL);
    char *udir = g_build_filename(sdir, "partition", "primary", "=user", h, eq, NULL);
    char *moved = g_strconcat(udir, ".away", NULL);
    CU_ASSERT_FATAL(rename(udir, moved) == 0);
    CU_ASSERT_FATAL(symlink(moved, udir) == 0);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    GHashTable *r = read_digests(root, "ms-6.3", errors);
    guint u1_folders = 0;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, w);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        char *prefix = g_strdup_printf("user/%s/", u1->store_user);
        if (g_str_has_prefix(k, prefix))
            u1_folders++;
        else
            CU_ASSERT(g_strcmp0(g_hash_table_lookup(r, k), v) == 0);
        g_free(prefix);
    }
    CU_ASSERT(u1_folders > 0);
    CU_ASSERT_EQUAL(errors->len, u1_folders + 2);
    gboolean named_link = FALSE, named_mutf7 = FALSE;
    for (guint i = 0; i < errors->len; i++) {
        named_link |= strstr(errors->pdata[i], "symbolic link") != NULL;
        named_mutf7 |= strstr(errors->pdata[i], "&Jjo") != NULL;
    }
    CU_ASSERT(named_link && named_mutf7);
    g_ptr_array_unref(errors);
    g_hash_table_unref(r);
    g_hash_table_unref(w);
    g_free(udir);
    g_free(moved);
    g_free(eq);
    g_free(h);
    g_free(src);
    g_free(bad1);
    g_free(bad2);
    g_free(sdir);
    msm_sample_model_free(m);
}

/* A message iterator that fails after n messages (a killed writer). */
typedef struct {
    MsmMessageIter *inner;
    guint n;
} Failing;

static gboolean
failing_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    Failing *f = data;
    if (f->n-- == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_CANCELLED, "killed");
        *msg_r = NULL;
        return FALSE;
    }
    return msm_message_iter_next(f->inner, msg_r, error);
}

static void
failing_free(gpointer data)
{
    Failing *f = data;
    msm_message_iter_free(f->inner);
    g_free(f);
}

/* Number of *.msg files in dir. */
static guint
count_msgs(const char *dir)
{
    guint n = 0;
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *e;
    while (d && (e = g_dir_read_name(d)) != NULL)
        n += g_str_has_suffix(e, ".msg");
    if (d)
        g_dir_close(d);
    return n;
}

/* The INBOX of sample user 0 of version, as an item (transfer full). */
static MsmItem *
sample_inbox(MsmSampleModel *m)
{
    GPtrArray *folders = msm_sample_model_folders(m, 0);
    MsmFolder *f = folders->pdata[0];
    folders->pdata[0] = NULL;
    g_ptr_array_unref(folders);
    char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
    MsmItem *it = msm_item_new(MSM_KIND_STORE, key, f);
    g_free(key);
    return it;
}

static void
test_resume_and_rollback(void)
{
    const char *root = msm_test_tmpdir();
    const char *version = "ms-8.1";
    GError *err = NULL;
    GHashTable *orig = write_sample(NULL, root, version, 2, 21); /* the store before the run */
    MsmSampleModel *m = msm_sample_model_new(version, 2, 21, NULL, NULL);
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_build_filename(msm_test_tmpdir(), "runs", "R1", NULL);
    g_mkdir_with_parents(ctx->work_dir, 0700);

    /* run R1 replaces user 0's INBOX (new UIDVALIDITY) but is killed half way */
    gpointer w = codec()->writer_open(ctx, root, version, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    MsmItem *it = sample_inbox(m);
    MsmFolder *f = it->payload;
    f->uidvalidity = 4242;
    guint64 total = f->message_count;
    CU_ASSERT_FATAL(total >= 4);
    Failing *fl = g_new0(Failing, 1);
    fl->inner = f->messages;
    fl->n = (guint)total / 2;
    f->messages = msm_message_iter_new(failing_next, fl, failing_free);
    CU_ASSERT_FALSE(codec()->writer_put(w, it, &err));
    g_clear_error(&err);
    msm_item_free(it);
    codec()->writer_close(w);

    /* --resume puts the same folder again, and a new one: nothing doubled */
    w = codec()->writer_open(ctx, root, version, &err);
    it = sample_inbox(m);
    ((MsmFolder *)it->payload)->uidvalidity = 4242;
    char *key = g_strdup(it->key);
    MsmDigestTee *tee = msm_digest_attach(it);
    CU_ASSERT(codec()->writer_put(w, it, &err));
    msm_item_free(it);
    char *want = msm_digest_finish(tee, NULL);
    MsmOwner *o = msm_owner_new("newbie");
    MsmFolder *nf = msm_folder_new(o, "Fresh");
    nf->uidvalidity = 3;
    MsmItem *ni = msm_item_new(MSM_KIND_STORE, "user/newbie/Fresh", nf);
    CU_ASSERT(codec()->writer_put(w, ni, &err));
    msm_item_free(ni);
    CU_ASSERT(codec()->writer_commit(w, &err));
    codec()->writer_close(w);
    GHashTable *r = read_digests(root, version, NULL);
    CU_ASSERT_STRING_EQUAL(g_hash_table_lookup(r, key), want);
    CU_ASSERT_STRING_NOT_EQUAL(g_hash_table_lookup(orig, key), want);
    CU_ASSERT(g_hash_table_contains(r, "user/newbie/Fresh"));
    const MsmSampleUser *u0 = m->users->pdata[0];
    char *sdir = sdir_of(root, version);
    char *h = msm_classic_store_hash_dir(u0->store_user);
    char *eq = g_strconcat("=", u0->store_user, NULL);
    char *udir = g_build_filename(sdir, "partition", "primary", "=user", h, eq, NULL);
    CU_ASSERT_EQUAL(count_msgs(udir), total);
    g_hash_table_unref(r);

    /* rollback (twice: idempotent) restores the store as it was before R1 */
    CU_ASSERT(codec()->rollback(ctx, root, version, &err));
    CU_ASSERT(codec()->rollback(ctx, root, version, &err));
    r = read_digests(root, version, NULL);
    CU_ASSERT(same_digests(orig, r));
    CU_ASSERT_FALSE(g_hash_table_contains(r, "user/newbie/Fresh"));
    char *nh = msm_classic_store_hash_dir("newbie");
    char *ndir = g_build_filename(sdir, "partition", "primary", "=user", nh, "=newbie", NULL);
    CU_ASSERT_FALSE(g_file_test(ndir, G_FILE_TEST_EXISTS));
    g_hash_table_unref(r);

    g_free(ndir);
    g_free(nh);
    g_free(udir);
    g_free(eq);
    g_free(h);
    g_free(sdir);
    g_free(key);
    g_free(want);
    msm_ctx_free(ctx);
    msm_sample_model_free(m);
    g_hash_table_unref(orig);
}

typedef struct {
    gpointer writer;
    GMutex lock;
    GHashTable *digests;
    gboolean failed;
} Pool;

/* One user's folders, put from a pool thread. */
static void
put_user(gpointer data, gpointer user_data)
{
    GPtrArray *folders = data;
    Pool *p = user_data;
    for (guint i = 0; i < folders->len; i++) {
        MsmFolder *f = folders->pdata[i];
        folders->pdata[i] = NULL;
        char *key = g_strdup_printf("user/%s/%s", f->owner->user, f->name);
        MsmItem *item = msm_item_new(MSM_KIND_STORE, key, f);
        MsmDigestTee *tee = msm_digest_attach(item);
        GError *err = NULL;
        gboolean ok = codec()->writer_put(p->writer, item, &err);
        msm_item_free(item);
        char *d = msm_digest_finish(tee, NULL);
        g_mutex_lock(&p->lock);
        if (!ok) {
            fprintf(stderr, "put %s: %s\n", key, err->message);
            p->failed = TRUE;
        }
        g_hash_table_insert(p->digests, key, d);
        g_mutex_unlock(&p->lock);
        g_clear_error(&err);
    }
    g_ptr_array_unref(folders);
}

/* Four threads put different users at once (MSM_CODEC_THREADSAFE). */
static void
test_threads(void)
{
    CU_ASSERT(codec()->flags & MSM_CODEC_THREADSAFE);
    const char *root = msm_test_tmpdir();
    MsmSampleModel *m = msm_sample_model_new("ms-8.1", 12, 4, NULL, NULL);
    Pool p = {0};
    g_mutex_init(&p.lock);
    p.digests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    GError *err = NULL;
    p.writer = codec()->writer_open(NULL, root, "ms-8.1", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p.writer);
    GThreadPool *tp = g_thread_pool_new(put_user, &p, 4, TRUE, NULL);
    for (guint u = 0; u < m->users->len; u++)
        g_thread_pool_push(tp, msm_sample_model_folders(m, u), NULL);
    g_thread_pool_free(tp, FALSE, TRUE);
    CU_ASSERT_FALSE(p.failed);
    CU_ASSERT(codec()->writer_commit(p.writer, &err));
    codec()->writer_close(p.writer);
    GHashTable *r = read_digests(root, "ms-8.1", NULL);
    CU_ASSERT(same_digests(p.digests, r));
    g_hash_table_unref(r);
    g_hash_table_unref(p.digests);
    g_mutex_clear(&p.lock);
    msm_sample_model_free(m);
}

/* A truncated store.idx and a missing message file: reported per folder. */
static void
test_damaged_index(void)
{
    const char *root = msm_test_tmpdir();
    GHashTable *w = write_sample(NULL, root, "ims-5.2", 2, 6);
    MsmSampleModel *m = msm_sample_model_new("ims-5.2", 2, 6, NULL, NULL);
    const MsmSampleUser *u0 = m->users->pdata[0], *u1 = m->users->pdata[1];
    char *sdir = sdir_of(root, "ims-5.2");
    char *h0 = msm_classic_store_hash_dir(u0->store_user);
    char *e0 = g_strconcat("=", u0->store_user, NULL);
    char *idx = g_build_filename(sdir, "partition", "primary", "=user", h0, e0, "store.idx", NULL);
    CU_ASSERT_FATAL(truncate(idx, 50) == 0);
    char *h1 = msm_classic_store_hash_dir(u1->store_user);
    char *e1 = g_strconcat("=", u1->store_user, NULL);
    char *udir1 = g_build_filename(sdir, "partition", "primary", "=user", h1, e1, NULL);
    GDir *d = g_dir_open(udir1, 0, NULL);
    const char *n;
    char *msg = NULL;
    while (d && msg == NULL && (n = g_dir_read_name(d)) != NULL)
        if (g_str_has_suffix(n, ".msg"))
            msg = g_build_filename(udir1, n, NULL);
    if (d)
        g_dir_close(d);
    g_free(udir1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
    CU_ASSERT_FATAL(unlink(msg) == 0);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    GHashTable *r = read_digests(root, "ims-5.2", errors);
    CU_ASSERT_EQUAL(errors->len, 2);
    gboolean named_idx = FALSE, named_msg = FALSE;
    for (guint i = 0; i < errors->len; i++) {
        named_idx |= strstr(errors->pdata[i], idx) != NULL;
        named_msg |= strstr(errors->pdata[i], msg) != NULL;
    }
    CU_ASSERT(named_idx && named_msg);
    CU_ASSERT_EQUAL(g_hash_table_size(r), g_hash_table_size(w) - 2);
    g_ptr_array_unref(errors);
    g_hash_table_unref(r);
    g_hash_table_unref(w);
    g_free(msg);
    g_free(e1);
    g_free(h1);
    g_free(idx);
    g_free(e0);
    g_free(h0);
    g_free(sdir);
    msm_sample_model_free(m);
}

static void
test_estimate(void)
{
    const char *root = msm_test_tmpdir();
    GHashTable *w = write_sample(NULL, root, "ims-5.2", 2, 8);
    GError *err = NULL;
    gpointer r = codec()->reader_open(NULL, root, "ims-5.2", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    guint64 items = 0, bytes = 0;
    CU_ASSERT(codec()->reader_estimate(r, &items, &bytes));
    CU_ASSERT_EQUAL(items, g_hash_table_size(w));
    CU_ASSERT(bytes > 1000);
    codec()->reader_close(r);
    g_hash_table_unref(w);
}

MSM_TEST_MAIN("classic-store", MSM_TEST(test_names), MSM_TEST(test_roundtrip_g1_ims52),
              MSM_TEST(test_roundtrip_g1_ms63), MSM_TEST(test_roundtrip_g2),
              MSM_TEST(test_roundtrip_g3), MSM_TEST(test_fields_g1), MSM_TEST(test_fields_g2),
              MSM_TEST(test_fields_g3), MSM_TEST(test_convert_g1_to_g3),
              MSM_TEST(test_hostile_names), MSM_TEST(test_unsafe_source_entries),
              MSM_TEST(test_resume_and_rollback), MSM_TEST(test_threads),
              MSM_TEST(test_damaged_index), MSM_TEST(test_estimate));
