/*
 * NAME
 *	test-queue-pmdf - core's PMDF-lineage MTA queue codec
 * SUMMARY
 *	The attempts prefix against the facts' examples and for every value it
 *	can hold; a hand-written file in the PMDF example's shape (unknown
 *	letter, retry block) parsed into the IR; write -> read -> write gives
 *	the same bytes; the iMS 5.2 sample's queue read back with the same
 *	digests; "subdirs N" layout, '$' temporaries and links; .HELD both
 *	ways; malformed files reported with their path and left as they were;
 *	unsafe channel and file names, unframeable bodies and other bad
 *	envelopes refused; a body of several MB streamed, not slurped.
 */
#include "config.h"

#include "util.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "engine.h"
#include "pmdf.h"
#include "registry.h"
#include "sample-model.h"
#include "sample.h"
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define QV "ms-6.3"

/* The queue directory of root for version. (transfer full) */
static char *
qdir_of(const char *root, const char *version)
{
    MsmLayout *l = msm_layout_resolve(root, version, NULL, NULL);
    g_assert(l != NULL);
    char *d = g_strdup(msm_layout_queue_dir(l));
    msm_layout_free(l);
    return d;
}

/* Writes root's queue file channel/rel with len bytes (parents created); its path. */
static char *
put_file(const char *root, const char *channel, const char *rel, const char *data, gssize len)
{
    char *q = qdir_of(root, QV);
    char *p = g_build_filename(q, channel, rel, NULL);
    char *d = g_path_get_dirname(p);
    g_assert(g_mkdir_with_parents(d, 0755) == 0);
    g_assert(g_file_set_contents(p, data, len, NULL));
    g_free(d);
    g_free(q);
    return p;
}

/* Reads every item of root; errors go to errors (messages) when given, else fail. */
static GPtrArray *
read_all(const char *root, const char *version, GPtrArray *errors)
{
    const MsmCodec *c = msm_core_pmdf_queue_codec();
    GError *err = NULL;
    GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)msm_item_free);
    gpointer r = c->reader_open(NULL, root, version, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    for (;;) {
        MsmItem *it = NULL;
        if (!c->reader_next(r, &it, &err)) {
            if (errors == NULL)
                fprintf(stderr, "reader_next: %s\n", err->message);
            CU_ASSERT_PTR_NOT_NULL(errors);
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

/* Puts item into root; FALSE with *error set on refusal. */
static gboolean
put_item(const char *root, MsmItem *item, GError **error)
{
    const MsmCodec *c = msm_core_pmdf_queue_codec();
    gpointer w = c->writer_open(NULL, root, QV, error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    gboolean ok = c->writer_put(w, item, error) && c->writer_commit(w, error);
    c->writer_close(w);
    return ok;
}

/* The whole file at path, or NULL. (transfer full) */
static GBytes *
file_bytes(const char *path)
{
    char *data;
    gsize len;
    if (!g_file_get_contents(path, &data, &len, NULL))
        return NULL;
    return g_bytes_new_take(data, len);
}

/* The sorted names in dir, separated by spaces. (transfer full) */
static char *
dir_listing(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while (d && (n = g_dir_read_name(d)) != NULL)
        g_ptr_array_add(names, g_strdup(n));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < names->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", (const char *)names->pdata[i]);
    g_ptr_array_unref(names);
    return g_string_free(s, FALSE);
}

/* A queued message on channel named name with body text. (transfer full: MsmItem*) */
static MsmItem *
make_item(const char *channel, const char *name, const char *body)
{
    MsmQueuedMessage *q = msm_queued_message_new(channel);
    q->name = g_strdup(name);
    g_free(q->sender);
    q->sender = g_strdup("joe@siroe.com");
    g_ptr_array_add(q->recipients, msm_recipient_new("ann@example.org"));
    q->created = 1000000000;
    GBytes *b = g_bytes_new(body, strlen(body));
    q->body = msm_body_new_bytes(b);
    g_bytes_unref(b);
    char *key = g_strdup_printf("queue/%s/%s", channel, name ? name : "x");
    MsmItem *it = msm_item_new(MSM_KIND_QUEUE, key, q);
    g_free(key);
    return it;
}

/* The body of q read whole. (transfer full) */
static char *
body_text(MsmQueuedMessage *q)
{
    GBytes *b = msm_body_slurp(q->body, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    gsize len;
    const char *d = g_bytes_get_data(b, &len);
    char *s = g_strndup(d, len);
    g_bytes_unref(b);
    return s;
}

static void
test_attempts(void)
{
    static const struct {
        const char *p;
        guint n;
    } ex[] = {{"ZZ", 0}, {"ZY", 1}, {"ZA", 25}, {"Z0", 35}, {"YZ", 36}, {"00", 1295}};
    char out[3];
    for (gsize i = 0; i < G_N_ELEMENTS(ex); i++) {
        CU_ASSERT_TRUE(msm_pmdf_attempts_encode(ex[i].n, out));
        CU_ASSERT_STRING_EQUAL(out, ex[i].p);
        guint n = 9999;
        CU_ASSERT_TRUE(msm_pmdf_attempts_decode(ex[i].p, &n));
        CU_ASSERT_EQUAL(n, ex[i].n);
    }
    for (guint n = 0; n <= 1295; n++) {
        guint back = 9999;
        CU_ASSERT_TRUE_FATAL(msm_pmdf_attempts_encode(n, out));
        CU_ASSERT_EQUAL(strlen(out), 2);
        CU_ASSERT_TRUE(msm_pmdf_attempts_decode(out, &back));
        CU_ASSERT_EQUAL(back, n);
    }
    strcpy(out, "ab");
    CU_ASSERT_FALSE(msm_pmdf_attempts_encode(1296, out));
    CU_ASSERT_STRING_EQUAL(out, "ab");
    guint n;
    CU_ASSERT_FALSE(msm_pmdf_attempts_decode("zz0001.00", &n));
    CU_ASSERT_FALSE(msm_pmdf_attempts_decode("Z", &n));
    CU_ASSERT_FALSE(msm_pmdf_attempts_decode("Z$", &n));
    CU_ASSERT_FALSE(msm_pmdf_attempts_decode(NULL, &n));
}

static const char pmdf_example[] = "u;MIRANDA\n"
                                   "c;l\n"
                                   "s;EXAMPLE.COM\n"
                                   "i;<01GZ@EXAMPLE.COM>\n"
                                   "h;<01GZ@EXAMPLE.COM>\n"
                                   "m;MIRANDA@EXAMPLE.COM\n"
                                   "j;rfc822\n"
                                   "d;1000000000\n"
                                   "t;1000003600\n"
                                   "f;prospero@example.com\n"
                                   "r;ann@example.org\n"
                                   "o;rfc822;ANN@example.org\n"
                                   "n;6\n"
                                   "r;bob@example.org\n"
                                   "x;a letter nobody knows\n"
                                   "\001\001\n"
                                   "Subject: hello\n\nbody line\n"
                                   "\001\001\001\001\001\n"
                                   "421 4.4.1 try later\\\n";

static void
test_parse_and_rewrite(void)
{
    const char *root = msm_test_tmpdir();
    char *path = put_file(root, "tcp_local", "ZYabc123.00", pmdf_example, -1);
    GPtrArray *items = read_all(root, QV, NULL);
    CU_ASSERT_EQUAL_FATAL(items->len, 1);
    MsmItem *it = items->pdata[0];
    CU_ASSERT_EQUAL(it->kind, MSM_KIND_QUEUE);
    CU_ASSERT_STRING_EQUAL(it->key, "queue/tcp_local/ZYabc123.00");
    MsmQueuedMessage *q = it->payload;
    CU_ASSERT_STRING_EQUAL(q->channel, "tcp_local");
    CU_ASSERT_STRING_EQUAL(q->name, "ZYabc123.00");
    CU_ASSERT_STRING_EQUAL(q->sender, "prospero@example.com");
    CU_ASSERT_EQUAL(q->attempts, 1);
    CU_ASSERT_FALSE(q->held);
    CU_ASSERT_EQUAL(q->created, 1000000000);
    CU_ASSERT_EQUAL(q->last_attempt, 1000003600);
    CU_ASSERT_EQUAL_FATAL(q->recipients->len, 2);
    MsmRecipient *r0 = q->recipients->pdata[0], *r1 = q->recipients->pdata[1];
    CU_ASSERT_STRING_EQUAL(r0->address, "ann@example.org");
    CU_ASSERT_STRING_EQUAL(r0->original, "rfc822;ANN@example.org");
    CU_ASSERT_EQUAL(r0->notify, 6);
    CU_ASSERT_STRING_EQUAL(r1->address, "bob@example.org");
    CU_ASSERT_PTR_NULL(r1->original);
    CU_ASSERT_EQUAL(r1->notify, 0);
    static const char *const extra[] = {"u;MIRANDA",
                                        "c;l",
                                        "s;EXAMPLE.COM",
                                        "i;<01GZ@EXAMPLE.COM>",
                                        "h;<01GZ@EXAMPLE.COM>",
                                        "m;MIRANDA@EXAMPLE.COM",
                                        "j;rfc822",
                                        "x;a letter nobody knows",
                                        "~retry;\\x0a421 4.4.1 try later\\\\\\x0a"};
    CU_ASSERT_EQUAL_FATAL(q->extra->len, G_N_ELEMENTS(extra));
    for (guint i = 0; i < G_N_ELEMENTS(extra); i++)
        CU_ASSERT_STRING_EQUAL(q->extra->pdata[i], extra[i]);
    CU_ASSERT_EQUAL(msm_body_size(q->body), (gint64)strlen("Subject: hello\n\nbody line\n"));

    /* write -> read -> write: byte-identical, and the same digest as the source */
    const char *r2 = msm_test_tmpdir(), *r3 = msm_test_tmpdir();
    GError *err = NULL;
    CU_ASSERT_TRUE(put_item(r2, it, &err));
    g_clear_error(&err);
    GPtrArray *again = read_all(r2, QV, NULL);
    CU_ASSERT_EQUAL_FATAL(again->len, 1);
    CU_ASSERT_TRUE(put_item(r3, again->pdata[0], &err));
    g_clear_error(&err);
    char *q2 = qdir_of(r2, QV), *q3 = qdir_of(r3, QV);
    char *f2 = g_build_filename(q2, "tcp_local", "ZYabc123.00", NULL);
    char *f3 = g_build_filename(q3, "tcp_local", "ZYabc123.00", NULL);
    GBytes *b2 = file_bytes(f2), *b3 = file_bytes(f3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b3);
    CU_ASSERT_TRUE(g_bytes_equal(b2, b3));
    /* the retry block comes back after the five CTRL/A, byte for byte */
    gsize len;
    const char *d2 = g_bytes_get_data(b2, &len);
    const char *tail = "Subject: hello\n\nbody line\n\001\001\001\001\001\n421 4.4.1 try later\\\n";
    CU_ASSERT_TRUE(len > strlen(tail) && memcmp(d2 + len - strlen(tail), tail, strlen(tail)) == 0);
    char *dir2 = g_build_filename(q2, "tcp_local", NULL);
    char *ls = dir_listing(dir2);
    CU_ASSERT_STRING_EQUAL(ls, "ZYabc123.00"); /* no temporary left */
    g_free(ls);
    g_free(dir2);

    GPtrArray *orig = read_all(root, QV, NULL), *third = read_all(r3, QV, NULL);
    CU_ASSERT_EQUAL_FATAL(third->len, 1);
    char *da = msm_item_digest(orig->pdata[0], NULL, NULL);
    char *db = msm_item_digest(third->pdata[0], NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(da);
    CU_ASSERT_STRING_EQUAL(da, db);

    /* putting the same item again replaces the file with the same bytes */
    GPtrArray *once = read_all(r2, QV, NULL);
    CU_ASSERT_TRUE(put_item(r2, once->pdata[0], &err));
    g_clear_error(&err);
    GBytes *b2b = file_bytes(f2);
    CU_ASSERT_TRUE(g_bytes_equal(b2, b2b));

    g_bytes_unref(b2b);
    g_ptr_array_unref(once);
    g_free(da);
    g_free(db);
    g_ptr_array_unref(orig);
    g_ptr_array_unref(third);
    g_bytes_unref(b2);
    g_bytes_unref(b3);
    g_free(f2);
    g_free(f3);
    g_free(q2);
    g_free(q3);
    g_ptr_array_unref(again);
    g_ptr_array_unref(items);
    g_free(path);
}

/* The queue of samples of several versions reads back with the model's digests. */
static void
test_sample_roundtrip(void)
{
    const char *versions[] = {"sims-4.0", "ims-5.2", "ms-7.0.5"};
    for (gsize v = 0; v < G_N_ELEMENTS(versions); v++) {
        MsmRegistry *reg = msm_registry_new();
        char *dir = g_build_filename(msm_test_tmpdir(), "s", NULL);
        MsmSampleSpec spec = {versions[v], 4, 11, NULL, 1};
        MsmSampleResult res;
        GError *err = NULL;
        gboolean ok = msm_sample_write(reg, &spec, dir, &res, &err);
        if (!ok)
            fprintf(stderr, "sample: %s\n", err->message);
        CU_ASSERT_TRUE_FATAL(ok);
        CU_ASSERT_TRUE(res.written[MSM_KIND_QUEUE]);
        CU_ASSERT_PTR_NULL(res.missing[MSM_KIND_QUEUE]);

        /* the model's items, digested the way the journal does */
        GHashTable *want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        MsmSampleModel *m = msm_sample_model_new(versions[v], 4, 11, NULL, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        GPtrArray *queue = msm_sample_model_queue(m);
        guint held = 0;
        for (guint i = 0; i < queue->len; i++) {
            MsmQueuedMessage *q = queue->pdata[i];
            queue->pdata[i] = NULL;
            held += q->held;
            char *key = g_strdup_printf("queue/%s/%s", q->channel, q->name);
            MsmItem *it = msm_item_new(MSM_KIND_QUEUE, key, q);
            g_hash_table_insert(want, key, msm_item_digest(it, NULL, NULL));
            msm_item_free(it);
        }
        CU_ASSERT_EQUAL(res.items[MSM_KIND_QUEUE], queue->len);
        CU_ASSERT_TRUE(held > 0);

        GPtrArray *got = read_all(dir, versions[v], NULL);
        CU_ASSERT_EQUAL(got->len, g_hash_table_size(want));
        guint same = 0;
        for (guint i = 0; i < got->len; i++) {
            MsmItem *it = got->pdata[i];
            const char *d = g_hash_table_lookup(want, it->key);
            char *g = msm_item_digest(it, NULL, NULL);
            if (d && g && strcmp(d, g) == 0)
                same++;
            else
                fprintf(stderr, "%s: %s differs\n", versions[v], it->key);
            g_free(g);
        }
        CU_ASSERT_EQUAL(same, g_hash_table_size(want));
        /* reading is in a stable order: channels, then names */
        for (guint i = 1; i < got->len; i++)
            CU_ASSERT_TRUE(
                strcmp(((MsmItem *)got->pdata[i - 1])->key, ((MsmItem *)got->pdata[i])->key) < 0);

        g_ptr_array_unref(got);
        g_ptr_array_unref(queue);
        msm_sample_model_free(m);
        g_hash_table_unref(want);
        msm_sample_result_clear(&res);
        g_free(dir);
        msm_registry_free(reg);
    }
}

/* A minimal valid queue file with body b. (transfer full) */
static char *
small_file(const char *b)
{
    return g_strdup_printf("f;a@b\nr;c@d\n\001\001\n%s\001\001\001\001\001\n", b);
}

static void
test_subdirs_temporaries_links(void)
{
    const char *root = msm_test_tmpdir();
    char *f = small_file("one\n");
    g_free(put_file(root, "tcp_local", "000/ZZ0001.00", f, -1));
    g_free(put_file(root, "tcp_local", "001/ZY0002.00", f, -1));
    g_free(put_file(root, "tcp_local", "ZX0003.00", f, -1));
    g_free(put_file(root, "tcp_local", "$ZZ0004.00", "garbage", -1));
    g_free(put_file(root, "tcp_local", "001/$ZZ0005.00.tmp", "garbage", -1));
    g_free(put_file(root, "tcp_local", "001/deeper/ZZ0006.00", f, -1));
    char *p7 = put_file(root, "ims-ms", "ZZ0007.00", f, -1);
    char *q = qdir_of(root, QV);
    char *link = g_build_filename(q, "ims-ms", "ZZ0008.00", NULL);
    CU_ASSERT_EQUAL(symlink(p7, link), 0);

    const MsmCodec *c = msm_core_pmdf_queue_codec();
    gpointer r = c->reader_open(NULL, root, QV, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    guint64 n = 0, bytes = 0;
    CU_ASSERT_TRUE(c->reader_estimate(r, &n, &bytes));
    CU_ASSERT_EQUAL(n, 4); /* the link, temporaries and the deeper file are not counted */
    CU_ASSERT_EQUAL(bytes, 4 * strlen(f));
    c->reader_close(r);

    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *items = read_all(root, QV, errors);
    CU_ASSERT_EQUAL_FATAL(items->len, 4);
    static const char *const keys[] = {"queue/ims-ms/ZZ0007.00", "queue/tcp_local/ZZ0001.00",
                                       "queue/tcp_local/ZY0002.00", "queue/tcp_local/ZX0003.00"};
    for (guint i = 0; i < 4; i++)
        CU_ASSERT_STRING_EQUAL(((MsmItem *)items->pdata[i])->key, keys[i]);
    CU_ASSERT_EQUAL(((MsmQueuedMessage *)((MsmItem *)items->pdata[2])->payload)->attempts, 1);
    CU_ASSERT_EQUAL_FATAL(errors->len, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(errors->pdata[0], link));
    CU_ASSERT_PTR_NOT_NULL(strstr(errors->pdata[0], "symbolic link"));

    /* two subdirectories holding one name: the second is refused, named */
    g_free(put_file(root, "tcp_local", "001/ZZ0001.00", f, -1));
    g_ptr_array_set_size(errors, 0);
    GPtrArray *dup = read_all(root, QV, errors);
    CU_ASSERT_EQUAL(dup->len, 4);
    CU_ASSERT_EQUAL_FATAL(errors->len, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(errors->pdata[1], "001/ZZ0001.00"));

    /* a stray file (an administrator's backup copy) is not read as a message: that would
     * migrate the message twice; it is reported and left alone */
    char *stray = put_file(root, "tcp_local", "ZZ0001.00.bak", f, -1);
    g_ptr_array_set_size(errors, 0);
    GPtrArray *strays = read_all(root, QV, errors);
    CU_ASSERT_EQUAL(strays->len, 4);
    CU_ASSERT_EQUAL_FATAL(errors->len, 3);
    gboolean named = FALSE;
    for (guint i = 0; i < errors->len; i++)
        named |= strstr(errors->pdata[i], "ZZ0001.00.bak") != NULL &&
                 strstr(errors->pdata[i], "not a queue file name") != NULL;
    CU_ASSERT_TRUE(named);
    CU_ASSERT_TRUE(g_file_test(stray, G_FILE_TEST_EXISTS));
    g_ptr_array_unref(strays);
    g_free(stray);

    /* a missing queue directory is an empty queue */
    const char *empty = msm_test_tmpdir();
    GPtrArray *none = read_all(empty, QV, NULL);
    CU_ASSERT_EQUAL(none->len, 0);

    g_ptr_array_unref(none);
    g_ptr_array_unref(dup);
    g_ptr_array_unref(items);
    g_ptr_array_unref(errors);
    g_free(link);
    g_free(q);
    g_free(p7);
    g_free(f);
}

static void
test_held(void)
{
    const char *root = msm_test_tmpdir();
    GError *err = NULL;
    /* held in the IR, ".00" in the name: written as .HELD */
    MsmItem *it = make_item("tcp_local", "ZZheld1.00", "a\n");
    ((MsmQueuedMessage *)it->payload)->held = TRUE;
    CU_ASSERT_TRUE(put_item(root, it, &err));
    g_clear_error(&err);
    msm_item_free(it);
    /* not held, ".HELD" in the name: written as .00 */
    it = make_item("tcp_local", "ZZheld2.HELD", "b\n");
    CU_ASSERT_TRUE(put_item(root, it, &err));
    g_clear_error(&err);
    msm_item_free(it);
    /* no name: derived from the key, with attempts and held */
    it = make_item("hold", NULL, "c\n");
    ((MsmQueuedMessage *)it->payload)->held = TRUE;
    ((MsmQueuedMessage *)it->payload)->attempts = 36;
    CU_ASSERT_TRUE(put_item(root, it, &err));
    g_clear_error(&err);
    CU_ASSERT_TRUE(put_item(root, it, &err)); /* idempotent: same name again */
    g_clear_error(&err);
    msm_item_free(it);
    char *q = qdir_of(root, QV);
    char *hold = g_build_filename(q, "hold", NULL), *tcp = g_build_filename(q, "tcp_local", NULL);
    char *l1 = dir_listing(tcp), *l2 = dir_listing(hold);
    CU_ASSERT_STRING_EQUAL(l1, "ZZheld1.HELD ZZheld2.00");
    CU_ASSERT_TRUE(g_str_has_prefix(l2, "YZ") && g_str_has_suffix(l2, ".HELD") &&
                   strchr(l2, ' ') == NULL);

    GPtrArray *items = read_all(root, QV, NULL);
    CU_ASSERT_EQUAL_FATAL(items->len, 3);
    MsmQueuedMessage *h = ((MsmItem *)items->pdata[0])->payload;
    CU_ASSERT_TRUE(h->held);
    CU_ASSERT_EQUAL(h->attempts, 36);
    CU_ASSERT_TRUE(((MsmQueuedMessage *)((MsmItem *)items->pdata[1])->payload)->held);
    CU_ASSERT_FALSE(((MsmQueuedMessage *)((MsmItem *)items->pdata[2])->payload)->held);
    char *t = body_text(((MsmItem *)items->pdata[1])->payload);
    CU_ASSERT_STRING_EQUAL(t, "a\n");
    g_free(t);

    g_ptr_array_unref(items);
    g_free(l1);
    g_free(l2);
    g_free(hold);
    g_free(tcp);
    g_free(q);
}

static void
test_malformed(void)
{
    const char *root = msm_test_tmpdir();
    static const struct {
        const char *name;
        const char *data;
        const char *missing;
    } bad[] = {
        {"ZZ0001.00", "f;a@b\nr;c@d\nSubject: x\n\nno end of envelope\n", "two CTRL/A"},
        {"ZZ0002.00", "f;a@b\nr;c@d\n\001\001\nSubject: x\n\ncut short\001\001\001", "five CTRL/A"},
        {"ZZ0003.00", "d;yesterday\n\001\001\nx\001\001\001\001\001\n", "line 1"},
        {"ZZ0004.00", "o;orphan\n\001\001\nx\001\001\001\001\001\n", "\"o;\""},
        {"readme", "hello\n", "attempt digits"},
    };
    char *good = small_file("fine\n");
    g_free(put_file(root, "tcp_local", "ZZ0009.00", good, -1));
    char *paths[G_N_ELEMENTS(bad)];
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++)
        paths[i] = put_file(root, "tcp_local", bad[i].name, bad[i].data, -1);
    GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *items = read_all(root, QV, errors);
    CU_ASSERT_EQUAL(items->len, 1); /* the good one still flows */
    CU_ASSERT_EQUAL_FATAL(errors->len, G_N_ELEMENTS(bad));
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        gboolean found = FALSE;
        for (guint k = 0; k < errors->len; k++)
            found |= strstr(errors->pdata[k], paths[i]) != NULL &&
                     strstr(errors->pdata[k], bad[i].missing) != NULL;
        if (!found)
            fprintf(stderr, "no error naming %s and \"%s\"\n", paths[i], bad[i].missing);
        CU_ASSERT_TRUE(found);
        GBytes *b = file_bytes(paths[i]);
        GBytes *want = g_bytes_new_static(bad[i].data, strlen(bad[i].data));
        CU_ASSERT_TRUE(b != NULL && g_bytes_equal(b, want));
        g_bytes_unref(want);
        if (b)
            g_bytes_unref(b);
        g_free(paths[i]);
    }
    g_ptr_array_unref(items);
    g_ptr_array_unref(errors);
    g_free(good);
}

static void
test_refusals(void)
{
    const char *root = msm_test_tmpdir();
    static const struct {
        const char *channel, *name;
    } unsafe[] = {{"..", "ZZ1.00"},         {"a/b", "ZZ1.00"},       {"", "ZZ1.00"},
                  {"$tmp", "ZZ1.00"},       {"tcp_local", "../ZZ1"}, {"tcp_local", "ZZa/b.00"},
                  {"tcp_local", "$ZZ1.00"}, {"tcp_local", "ZZa\nb"}, {"tcp_local", "zz1.00"}};
    GError *err = NULL;
    for (gsize i = 0; i < G_N_ELEMENTS(unsafe); i++) {
        MsmItem *it = make_item(unsafe[i].channel, unsafe[i].name, "x\n");
        CU_ASSERT_FALSE(put_item(root, it, &err));
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
        CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, it->key) : NULL);
        g_clear_error(&err);
        msm_item_free(it);
    }
    /* bodies that cannot be framed */
    const char *bodies[] = {"a\001\001\001\001\001b\n", "ends with\001"};
    for (gsize i = 0; i < G_N_ELEMENTS(bodies); i++) {
        MsmItem *it = make_item("tcp_local", "ZZframe.00", bodies[i]);
        CU_ASSERT_FALSE(put_item(root, it, &err));
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
        CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "queue/tcp_local/ZZframe.00") : NULL);
        g_clear_error(&err);
        msm_item_free(it);
    }
    /* a line feed in an address would add records */
    MsmItem *it = make_item("tcp_local", "ZZnl.00", "x\n");
    MsmQueuedMessage *q = it->payload;
    g_free(q->sender);
    q->sender = g_strdup("a@b\nr;evil@c");
    CU_ASSERT_FALSE(put_item(root, it, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
    g_clear_error(&err);
    msm_item_free(it);
    /* an extra record that would read back as a modelled one; too many attempts */
    it = make_item("tcp_local", "ZZextra.00", "x\n");
    g_ptr_array_add(((MsmQueuedMessage *)it->payload)->extra, g_strdup("r;sneaky@c"));
    CU_ASSERT_FALSE(put_item(root, it, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    msm_item_free(it);
    it = make_item("tcp_local", "ZZmany.00", "x\n");
    ((MsmQueuedMessage *)it->payload)->attempts = 1296;
    CU_ASSERT_FALSE(put_item(root, it, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    msm_item_free(it);
    /* a non-queue item */
    MsmItem *cfg = msm_item_new(MSM_KIND_CONFIG, "imta.cnf", NULL);
    CU_ASSERT_FALSE(put_item(root, cfg, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    msm_item_free(cfg);

    /* nothing was written anywhere, not even a temporary */
    char *qd = qdir_of(root, QV);
    char *tcp = g_build_filename(qd, "tcp_local", NULL);
    char *ls = dir_listing(tcp);
    CU_ASSERT_STRING_EQUAL(ls, "");
    char *top = dir_listing(root);
    CU_ASSERT_PTR_NULL(strstr(top, "ZZ"));
    g_free(top);
    g_free(ls);
    g_free(tcp);
    g_free(qd);
}

typedef struct {
    gint64 left;
    guint64 pos;
} Gen;

/* A generated body: byte i is 'a' + i % 23, with a line feed every 80 bytes. */
static guint8
gen_byte(guint64 i)
{
    return i % 80 == 79 ? '\n' : (guint8)('a' + i % 23);
}

/* Reads the generated body. */
static gssize
gen_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    (void)error;
    Gen *g = data;
    gsize n = (gsize)MIN((gint64)len, g->left);
    for (gsize i = 0; i < n; i++)
        buf[i] = gen_byte(g->pos + i);
    g->pos += n;
    g->left -= (gint64)n;
    return (gssize)n;
}

static void
test_large_body_streamed(void)
{
    const gint64 size = 5 * 1024 * 1024 + 17;
    const char *root = msm_test_tmpdir();
    MsmQueuedMessage *q = msm_queued_message_new("tcp_local");
    q->name = g_strdup("ZZbig.00");
    Gen *g = g_new0(Gen, 1);
    g->left = size;
    q->body = msm_body_new_stream(gen_read, g, g_free, size);
    MsmItem *it = msm_item_new(MSM_KIND_QUEUE, "queue/tcp_local/ZZbig.00", q);
    GError *err = NULL;
    CU_ASSERT_TRUE(put_item(root, it, &err));
    g_clear_error(&err);
    msm_item_free(it);

    const MsmCodec *c = msm_core_pmdf_queue_codec();
    gpointer r = c->reader_open(NULL, root, QV, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    MsmItem *got = NULL;
    CU_ASSERT_TRUE(c->reader_next(r, &got, NULL));
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    MsmQueuedMessage *b = got->payload;
    CU_ASSERT_EQUAL(msm_body_size(b->body), size);
    guint8 buf[4096];
    guint64 pos = 0;
    gboolean same = TRUE;
    gssize n;
    while ((n = msm_body_read(b->body, buf, sizeof buf, NULL)) > 0) {
        CU_ASSERT_TRUE(n <= (gssize)sizeof buf);
        for (gssize i = 0; i < n && same; i++)
            same = buf[i] == gen_byte(pos + (guint64)i);
        pos += (guint64)n;
    }
    CU_ASSERT_EQUAL(n, 0);
    CU_ASSERT_TRUE(same);
    CU_ASSERT_EQUAL(pos, (guint64)size);
    msm_item_free(got);
    c->reader_close(r);

    /* the body reads the file when it is read, not when the item is made:
     * a file changed in between is detected */
    r = c->reader_open(NULL, root, QV, NULL);
    CU_ASSERT_TRUE(c->reader_next(r, &got, NULL));
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    char *qd = qdir_of(root, QV);
    char *path = g_build_filename(qd, "tcp_local", "ZZbig.00", NULL);
    FILE *fp = fopen(path, "ab");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs("more", fp);
    fclose(fp);
    CU_ASSERT_EQUAL(msm_body_read(((MsmQueuedMessage *)got->payload)->body, buf, sizeof buf, &err),
                    -1);
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, path) : NULL);
    g_clear_error(&err);
    msm_item_free(got);
    c->reader_close(r);
    g_free(path);
    g_free(qd);
}

/* NMS queue file names become PMDF names (attempts prefix + the NMS id); others are refused. */
static void
test_foreign_names(void)
{
    const char *root = msm_test_tmpdir();
    GError *err = NULL;
    static const struct {
        const char *name;
        gboolean held;
        const char *want;
    } ex[] = {{"qfAb12_x", FALSE, "ZZAb12_x.00"},
              {"hfAb13", TRUE, "ZZAb13.HELD"},
              {"Cd34.msg", FALSE, "ZZCd34.00"},
              {"Cd35.held", TRUE, "ZZCd35.HELD"}};
    for (gsize i = 0; i < G_N_ELEMENTS(ex); i++) {
        MsmItem *it = make_item("tcp_local", ex[i].name, "x\n");
        ((MsmQueuedMessage *)it->payload)->held = ex[i].held;
        CU_ASSERT_TRUE(put_item(root, it, &err));
        CU_ASSERT_PTR_NULL(err);
        char *qd = qdir_of(root, QV);
        char *f = g_build_filename(qd, "tcp_local", ex[i].want, NULL);
        CU_ASSERT_TRUE(g_file_test(f, G_FILE_TEST_IS_REGULAR));
        g_free(f);
        g_free(qd);
        msm_item_free(it);
    }
}

/* A run's puts are undone by rollback: new files removed, replaced ones restored. */
static void
test_rollback(void)
{
    const char *root = msm_test_tmpdir();
    const char *work = msm_test_tmpdir();
    char *old = put_file(root, "tcp_local", "ZZold.00", "before", -1);
    const MsmCodec *c = msm_core_pmdf_queue_codec();
    MsmCtx *ctx = msm_ctx_new();
    ctx->work_dir = g_strdup(work);
    GError *err = NULL;
    gpointer w = c->writer_open(ctx, root, QV, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    MsmItem *a = make_item("tcp_local", "ZZold.00", "new bytes\n");
    MsmItem *b = make_item("ims-ms", "ZZnew.00", "x\n");
    CU_ASSERT_TRUE(c->writer_put(w, a, &err));
    /* put again (a resumed run): rollback must still restore the bytes from before the run */
    MsmItem *a2 = make_item("tcp_local", "ZZold.00", "newer bytes\n");
    CU_ASSERT_TRUE(c->writer_put(w, a2, &err));
    msm_item_free(a2);
    CU_ASSERT_TRUE(c->writer_put(w, b, &err));
    c->writer_close(w);
    char *qd = qdir_of(root, QV);
    char *nf = g_build_filename(qd, "ims-ms", "ZZnew.00", NULL);
    CU_ASSERT_TRUE(g_file_test(nf, G_FILE_TEST_EXISTS));
    CU_ASSERT_TRUE(c->rollback(ctx, root, QV, &err));
    CU_ASSERT_TRUE(c->rollback(ctx, root, QV, &err)); /* idempotent */
    CU_ASSERT_FALSE(g_file_test(nf, G_FILE_TEST_EXISTS));
    GBytes *b0 = file_bytes(old);
    CU_ASSERT_TRUE(b0 && g_bytes_get_size(b0) == 6 &&
                   memcmp(g_bytes_get_data(b0, NULL), "before", 6) == 0);
    if (b0)
        g_bytes_unref(b0);
    msm_item_free(a);
    msm_item_free(b);
    msm_ctx_free(ctx);
    g_free(nf);
    g_free(qd);
    g_free(old);
}

static void
test_registered(void)
{
    MsmRegistry *reg = msm_registry_new();
    static const char *const yes[] = {"sims-4.0", "ims-5.2",  "ms-6.0", "ms-6.1",   "ms-6.2",
                                      "ms-6.2p3", "ms-6.3",   "ms-7.0", "ms-7.0.5", "ms-8.0",
                                      "ms-8.0.1", "ms-8.0.2", "ms-8.1"};
    for (gsize i = 0; i < G_N_ELEMENTS(yes); i++) {
        const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_QUEUE, yes[i]);
        CU_ASSERT_PTR_NOT_NULL(ref);
        CU_ASSERT_TRUE(ref && ref->codec == msm_core_pmdf_queue_codec());
    }
    /* NMS 4.x has core's own queue codec; NMS 3.x's comes with the nms3x plugin */
    const MsmCodecRef *n4 = msm_registry_find_codec(reg, MSM_KIND_QUEUE, "nms-4.1");
    CU_ASSERT_TRUE(n4 && n4->codec == msm_core_nms4_queue_codec());
    CU_ASSERT_PTR_NULL(msm_registry_find_codec(reg, MSM_KIND_QUEUE, "nms-3.x"));
    CU_ASSERT_TRUE(msm_core_pmdf_queue_codec()->flags & MSM_CODEC_THREADSAFE);
    msm_registry_free(reg);
}

MSM_TEST_MAIN("queue-pmdf", MSM_TEST(test_foreign_names), MSM_TEST(test_rollback),
              MSM_TEST(test_attempts), MSM_TEST(test_parse_and_rewrite),
              MSM_TEST(test_sample_roundtrip), MSM_TEST(test_subdirs_temporaries_links),
              MSM_TEST(test_held), MSM_TEST(test_malformed), MSM_TEST(test_refusals),
              MSM_TEST(test_large_body_streamed), MSM_TEST(test_registered))
