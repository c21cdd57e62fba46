/*
 * NAME
 *	test-ir.c - unit tests of core/ir.c (include/msmigrate/ir.h)
 * DESCRIPTION
 *	Bodies of each variant (bytes, stream, lazily opened file) with their
 *	size checks and errors; the message iterator; MsmEntry semantics
 *	(case-insensitive names, first-added order, exact bytes, duplicates
 *	ignored, many values); items freeing their payload by kind.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "testutil.h"

#include <string.h>

/* ---- bodies ---- */

/* Reads body to the end in chunks of step bytes. (transfer full) NULL on error. */
static GByteArray *
read_all(MsmBody *b, gsize step, GError **error)
{
    GByteArray *acc = g_byte_array_new();
    guint8 buf[256];
    for (;;) {
        gssize n = msm_body_read(b, buf, MIN(step, sizeof buf), error);
        if (n < 0) {
            g_byte_array_unref(acc);
            return NULL;
        }
        if (n == 0)
            return acc;
        g_byte_array_append(acc, buf, (guint)n);
    }
}

static void
test_body_bytes(void)
{
    static const guint8 data[] = "line one\r\nline\0two\n";
    GBytes *bytes = g_bytes_new(data, sizeof data - 1);
    MsmBody *b = msm_body_new_bytes(bytes);
    g_bytes_unref(bytes); /* the body keeps its own reference */
    CU_ASSERT_EQUAL(msm_body_size(b), (gint64)(sizeof data - 1));
    GError *err = NULL;
    GByteArray *got = read_all(b, 3, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_EQUAL(got->len, sizeof data - 1);
    CU_ASSERT(memcmp(got->data, data, got->len) == 0);
    guint8 more[4];
    CU_ASSERT_EQUAL(msm_body_read(b, more, sizeof more, &err), 0); /* stays at the end */
    g_byte_array_unref(got);
    msm_body_free(b);
}

typedef struct {
    gsize total; /* bytes to produce */
    gsize done;
    gboolean fail;        /* fail instead of producing */
    gboolean silent_fail; /* fail without setting an error */
    int *freed;
} Gen;

/* A producer of total bytes 'a'+i%26. */
static gssize
gen_read(gpointer data, guint8 *buf, gsize len, GError **error)
{
    Gen *g = data;
    if (g->silent_fail)
        return -1;
    if (g->fail) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "generator broke");
        return -1;
    }
    gsize n = MIN(len, g->total - g->done);
    for (gsize i = 0; i < n; i++)
        buf[i] = (guint8)('a' + (g->done + i) % 26);
    g->done += n;
    return (gssize)n;
}

static void
gen_free(gpointer data)
{
    Gen *g = data;
    (*g->freed)++;
    g_free(g);
}

/* A stream body over a new generator. */
static MsmBody *
gen_body(gsize total, gint64 announced, int *freed)
{
    Gen *g = g_new0(Gen, 1);
    g->total = total;
    g->freed = freed;
    return msm_body_new_stream(gen_read, g, gen_free, announced);
}

static void
test_body_stream(void)
{
    int freed = 0;
    MsmBody *b = gen_body(100000, 100000, &freed);
    CU_ASSERT_EQUAL(msm_body_size(b), 100000);
    GError *err = NULL;
    GBytes *all = msm_body_slurp(b, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    CU_ASSERT_EQUAL(g_bytes_get_size(all), 100000);
    const guint8 *d = g_bytes_get_data(all, NULL);
    CU_ASSERT_EQUAL(d[0], 'a');
    CU_ASSERT_EQUAL(d[99999], (guint8)('a' + 99999 % 26));
    g_bytes_unref(all);
    CU_ASSERT_EQUAL(freed, 0);
    msm_body_free(b);
    CU_ASSERT_EQUAL(freed, 1); /* the producer's data is freed with the body */

    /* unknown size */
    b = gen_body(10, -1, &freed);
    CU_ASSERT_EQUAL(msm_body_size(b), -1);
    GByteArray *got = read_all(b, 4, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_EQUAL(got->len, 10);
    g_byte_array_unref(got);
    msm_body_free(b);
}

static void
test_body_stream_size_mismatch(void)
{
    int freed = 0;
    GError *err = NULL;
    MsmBody *b = gen_body(50, 60, &freed); /* ends early */
    CU_ASSERT_PTR_NULL(msm_body_slurp(b, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "60") : NULL);
    g_clear_error(&err);
    msm_body_free(b);

    b = gen_body(70, 60, &freed); /* too long */
    CU_ASSERT_PTR_NULL(msm_body_slurp(b, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    g_clear_error(&err);
    msm_body_free(b);
    CU_ASSERT_EQUAL(freed, 2);
}

static void
test_body_stream_errors(void)
{
    int freed = 0;
    Gen *g = g_new0(Gen, 1);
    g->fail = TRUE;
    g->freed = &freed;
    MsmBody *b = msm_body_new_stream(gen_read, g, gen_free, -1);
    GError *err = NULL;
    guint8 buf[8];
    CU_ASSERT_EQUAL(msm_body_read(b, buf, sizeof buf, &err), -1);
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    g_clear_error(&err);
    msm_body_free(b);

    g = g_new0(Gen, 1);
    g->silent_fail = TRUE;
    g->freed = &freed;
    b = msm_body_new_stream(gen_read, g, gen_free, -1);
    CU_ASSERT_EQUAL(msm_body_read(b, buf, sizeof buf, &err), -1);
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO)); /* an error is always set */
    g_clear_error(&err);
    msm_body_free(b);
    CU_ASSERT_EQUAL(freed, 2);
}

static void
test_body_file_lazy(void)
{
    const char *dir = msm_test_tmpdir();
    char *path = g_build_filename(dir, "later.msg", NULL);
    /* The file does not exist yet: creating the body must not open it. */
    MsmBody *b = msm_body_new_file(path, 11);
    CU_ASSERT_EQUAL(msm_body_size(b), 11);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(path, "Subject: x\n", 11, NULL));
    GError *err = NULL;
    GBytes *all = msm_body_slurp(b, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(all);
    CU_ASSERT_EQUAL(g_bytes_get_size(all), 11);
    CU_ASSERT(memcmp(g_bytes_get_data(all, NULL), "Subject: x\n", 11) == 0);
    g_bytes_unref(all);
    msm_body_free(b);

    /* A size that does not match the file is an error naming the file. */
    b = msm_body_new_file(path, 12);
    CU_ASSERT_PTR_NULL(msm_body_slurp(b, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, path) : NULL);
    g_clear_error(&err);
    msm_body_free(b);
    g_free(path);
}

static void
test_body_file_missing(void)
{
    const char *dir = msm_test_tmpdir();
    char *path = g_build_filename(dir, "no-such.msg", NULL);
    MsmBody *b = msm_body_new_file(path, -1);
    GError *err = NULL;
    guint8 buf[4];
    CU_ASSERT_EQUAL(msm_body_read(b, buf, sizeof buf, &err), -1);
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, path) : NULL);
    g_clear_error(&err);
    msm_body_free(b); /* never opened: nothing to close */
    g_free(path);
}

/* ---- message iterator ---- */

typedef struct {
    guint produced;
    guint limit;
    guint calls;
    gboolean fail_at_limit;
    int *freed;
} Msgs;

static gboolean
msgs_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    Msgs *m = data;
    m->calls++;
    if (m->produced >= m->limit) {
        if (m->fail_at_limit) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read message %u", m->produced);
            return FALSE;
        }
        *msg_r = NULL;
        return TRUE;
    }
    MsmMessage *msg = msm_message_new();
    msg->uid = 10 + m->produced * 3;
    msg->flags = MSM_FLAG_SEEN;
    g_ptr_array_add(msg->keywords, g_strdup("$Label1"));
    GBytes *b = g_bytes_new_static("x\r\n", 3);
    msg->body = msm_body_new_bytes(b);
    msg->size = 3;
    g_bytes_unref(b);
    m->produced++;
    *msg_r = msg;
    return TRUE;
}

static void
msgs_free(gpointer data)
{
    Msgs *m = data;
    (*m->freed)++;
    g_free(m);
}

static void
test_message_iter(void)
{
    int freed = 0;
    Msgs *m = g_new0(Msgs, 1);
    m->limit = 3;
    m->freed = &freed;
    MsmMessageIter *it = msm_message_iter_new(msgs_next, m, msgs_free);
    GError *err = NULL;
    guint32 uids[3];
    guint n = 0;
    MsmMessage *msg;
    while (msm_message_iter_next(it, &msg, &err) && msg != NULL) {
        CU_ASSERT_TRUE_FATAL(n < 3);
        uids[n++] = msg->uid;
        CU_ASSERT_STRING_EQUAL(msg->keywords->pdata[0], "$Label1");
        msm_message_free(msg);
    }
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_EQUAL(n, 3);
    CU_ASSERT_EQUAL(uids[0], 10);
    CU_ASSERT_EQUAL(uids[2], 16);
    guint calls = m->calls;
    CU_ASSERT_TRUE(msm_message_iter_next(it, &msg, &err)); /* after the end: still the end */
    CU_ASSERT_PTR_NULL(msg);
    CU_ASSERT_EQUAL(m->calls, calls); /* the producer is not called again */
    msm_message_iter_free(it);
    CU_ASSERT_EQUAL(freed, 1);

    m = g_new0(Msgs, 1);
    m->limit = 1;
    m->fail_at_limit = TRUE;
    m->freed = &freed;
    it = msm_message_iter_new(msgs_next, m, msgs_free);
    CU_ASSERT_TRUE(msm_message_iter_next(it, &msg, &err));
    msm_message_free(msg);
    CU_ASSERT_FALSE(msm_message_iter_next(it, &msg, &err));
    CU_ASSERT_PTR_NULL(msg);
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    g_clear_error(&err);
    msm_message_iter_free(it);
    CU_ASSERT_EQUAL(freed, 2);
}

/* ---- owners, folders, queue ---- */

static void
test_owner_folder_queue(void)
{
    MsmOwner *o = msm_owner_new("joe@sesta.com");
    CU_ASSERT_STRING_EQUAL(o->partition, "primary");
    CU_ASSERT_EQUAL(o->quota_bytes, -1);
    CU_ASSERT_EQUAL(o->quota_messages, -1);
    CU_ASSERT_EQUAL(o->used_bytes, -1);
    g_ptr_array_add(o->subscriptions, g_strdup("INBOX"));
    g_ptr_array_add(o->subscriptions, g_strdup("Répertoire"));
    o->quota_bytes = 1000;
    MsmOwner *c = msm_owner_copy(o);
    CU_ASSERT_STRING_EQUAL(c->user, "joe@sesta.com");
    CU_ASSERT_EQUAL(c->quota_bytes, 1000);
    CU_ASSERT_EQUAL(c->subscriptions->len, 2);
    CU_ASSERT_PTR_NOT_EQUAL(c->subscriptions->pdata[1], o->subscriptions->pdata[1]);
    CU_ASSERT_STRING_EQUAL(c->subscriptions->pdata[1], "Répertoire");
    msm_owner_free(o);

    MsmFolder *f = msm_folder_new(c, "Ärger/2009");
    CU_ASSERT_PTR_EQUAL(f->owner, c);
    CU_ASSERT_EQUAL(f->acl->len, 0);
    g_ptr_array_add(f->acl, msm_ace_new("anyone", "lr"));
    CU_ASSERT_STRING_EQUAL(((MsmAce *)f->acl->pdata[0])->rights, "lr");
    msm_folder_free(f);

    MsmQueuedMessage *q = msm_queued_message_new("tcp_local");
    CU_ASSERT_STRING_EQUAL(q->sender, ""); /* the null sender until set */
    CU_ASSERT_PTR_NULL(q->name);
    CU_ASSERT_EQUAL(q->recipients->len, 0);
    g_ptr_array_add(q->recipients, msm_recipient_new("a@b.example"));
    g_ptr_array_add(q->extra, g_strdup("x;value"));
    msm_queued_message_free(q);
}

/* ---- entries ---- */

/* The value i of attribute name as a newly allocated string. */
static char *
value_at(const MsmEntry *e, const char *name, guint i)
{
    GPtrArray *v = msm_entry_get(e, name);
    if (v == NULL || i >= v->len)
        return NULL;
    gsize len;
    const char *d = g_bytes_get_data(v->pdata[i], &len);
    return g_strndup(d, len);
}

static void
test_entry_semantics(void)
{
    MsmEntry *e = msm_entry_new("uid=joe,ou=People,o=siroe.com");
    CU_ASSERT_STRING_EQUAL(msm_entry_dn(e), "uid=joe,ou=People,o=siroe.com");
    msm_entry_add_string(e, "objectClass", "top");
    msm_entry_add_string(e, "objectclass", "inetMailUser");
    msm_entry_add_string(e, "mail", "joe@siroe.com");
    msm_entry_add_string(e, "cn", "Joe Müller");
    msm_entry_add_string(e, "OBJECTCLASS", "top"); /* duplicate value: ignored */
    static const guint8 bin[] = {0x00, 0xff, 0x0a, 0x00};
    msm_entry_add(e, "jpegPhoto", bin, sizeof bin);
    msm_entry_add(e, "jpegphoto", bin, sizeof bin);
    msm_entry_add(e, "jpegPhoto", bin, 3); /* a different value: kept */

    GPtrArray *names = msm_entry_attribute_names(e);
    CU_ASSERT_EQUAL_FATAL(names->len, 4);
    CU_ASSERT_STRING_EQUAL(names->pdata[0], "objectClass"); /* spelled as first added */
    CU_ASSERT_STRING_EQUAL(names->pdata[1], "mail");
    CU_ASSERT_STRING_EQUAL(names->pdata[2], "cn");
    CU_ASSERT_STRING_EQUAL(names->pdata[3], "jpegPhoto");
    g_ptr_array_unref(names);

    CU_ASSERT_EQUAL(msm_entry_get(e, "OBJECTCLASS")->len, 2);
    CU_ASSERT_EQUAL(msm_entry_get(e, "JPEGPHOTO")->len, 2);
    GBytes *photo = msm_entry_get(e, "jpegPhoto")->pdata[0];
    CU_ASSERT_EQUAL(g_bytes_get_size(photo), sizeof bin);
    CU_ASSERT(memcmp(g_bytes_get_data(photo, NULL), bin, sizeof bin) == 0);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "CN"), "Joe Müller");
    CU_ASSERT_PTR_NULL(msm_entry_get(e, "sn"));
    CU_ASSERT_PTR_NULL(msm_entry_get_string(e, "sn"));
    CU_ASSERT_TRUE(msm_entry_has_class(e, "INETMAILUSER"));
    CU_ASSERT_FALSE(msm_entry_has_class(e, "inetMail"));

    msm_entry_add(e, "description", "", 0);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "description"), "");

    /* replace keeps the attribute's place */
    msm_entry_replace_string(e, "MAIL", "joe@sesta.com");
    names = msm_entry_attribute_names(e);
    CU_ASSERT_STRING_EQUAL(names->pdata[1], "mail");
    g_ptr_array_unref(names);
    CU_ASSERT_EQUAL(msm_entry_get(e, "mail")->len, 1);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "mail"), "joe@sesta.com");
    msm_entry_replace_string(e, "mail", NULL);
    CU_ASSERT_PTR_NULL(msm_entry_get(e, "mail"));
    msm_entry_replace_string(e, "sn", "Müller"); /* absent: added at the end */
    names = msm_entry_attribute_names(e);
    CU_ASSERT_STRING_EQUAL(names->pdata[names->len - 1], "sn");
    g_ptr_array_unref(names);

    /* remove a value, then the last value removes the attribute */
    CU_ASSERT_TRUE(msm_entry_remove(e, "objectclass", "top", 3));
    CU_ASSERT_FALSE(msm_entry_remove(e, "objectclass", "top", 3));
    CU_ASSERT_EQUAL(msm_entry_get(e, "objectClass")->len, 1);
    CU_ASSERT_TRUE(msm_entry_remove(e, "objectClass", "inetMailUser", 12));
    CU_ASSERT_PTR_NULL(msm_entry_get(e, "objectClass"));
    CU_ASSERT_TRUE(msm_entry_remove(e, "cn", NULL, 0));
    CU_ASSERT_FALSE(msm_entry_remove(e, "cn", NULL, 0));

    /* copies are deep */
    MsmEntry *c = msm_entry_copy(e);
    msm_entry_set_dn(e, "uid=other,o=x");
    msm_entry_add_string(e, "sn", "Other");
    CU_ASSERT_STRING_EQUAL(msm_entry_dn(c), "uid=joe,ou=People,o=siroe.com");
    CU_ASSERT_EQUAL(msm_entry_get(c, "sn")->len, 1);
    CU_ASSERT_EQUAL(msm_entry_get(e, "sn")->len, 2);
    char *v = value_at(c, "sn", 0);
    CU_ASSERT_STRING_EQUAL(v, "Müller");
    g_free(v);
    msm_entry_free(c);
    msm_entry_free(e);
}

static void
test_entry_many_values(void)
{
    MsmEntry *e = msm_entry_new("cn=all-hands,ou=Groups,o=siroe.com");
    const guint n = 20000;
    for (guint i = 0; i < n; i++) {
        char *dn = g_strdup_printf("uid=user%u,ou=People,o=siroe.com", i);
        msm_entry_add_string(e, "uniqueMember", dn);
        msm_entry_add_string(e, "uniquemember", dn); /* duplicate */
        g_free(dn);
    }
    GPtrArray *v = msm_entry_get(e, "UniqueMember");
    CU_ASSERT_EQUAL_FATAL(v->len, n);
    char *first = value_at(e, "uniqueMember", 0);
    char *last = value_at(e, "uniqueMember", n - 1);
    CU_ASSERT_STRING_EQUAL(first, "uid=user0,ou=People,o=siroe.com");
    CU_ASSERT_STRING_EQUAL(last, "uid=user19999,ou=People,o=siroe.com");
    g_free(first);
    g_free(last);
    for (guint i = 0; i < n; i += 2) {
        char *dn = g_strdup_printf("uid=user%u,ou=People,o=siroe.com", i);
        CU_ASSERT_TRUE(msm_entry_remove(e, "uniqueMember", dn, strlen(dn)));
        g_free(dn);
    }
    CU_ASSERT_EQUAL(msm_entry_get(e, "uniqueMember")->len, n / 2);
    /* removed values can come back, at the end */
    msm_entry_add_string(e, "uniqueMember", "uid=user0,ou=People,o=siroe.com");
    v = msm_entry_get(e, "uniqueMember");
    CU_ASSERT_EQUAL(v->len, n / 2 + 1);
    char *again = value_at(e, "uniqueMember", v->len - 1);
    CU_ASSERT_STRING_EQUAL(again, "uid=user0,ou=People,o=siroe.com");
    g_free(again);
    msm_entry_add_string(e, "uniqueMember", "uid=user1,ou=People,o=siroe.com"); /* still there */
    CU_ASSERT_EQUAL(msm_entry_get(e, "uniqueMember")->len, n / 2 + 1);
    MsmEntry *c = msm_entry_copy(e);
    msm_entry_add_string(c, "uniqueMember", "uid=user3,ou=People,o=siroe.com"); /* dup in copy */
    CU_ASSERT_EQUAL(msm_entry_get(c, "uniqueMember")->len, n / 2 + 1);
    msm_entry_free(c);
    msm_entry_free(e);
}

/* ---- items ---- */

static void
test_config_file(void)
{
    GBytes *b = g_bytes_new_static("a=1\n", 4);
    MsmConfigFile *f = msm_config_file_new("imta/imta.cnf", b);
    g_bytes_unref(b);
    CU_ASSERT_STRING_EQUAL(f->relpath, "imta/imta.cnf");
    CU_ASSERT_EQUAL(g_bytes_get_size(f->content), 4);
    CU_ASSERT_EQUAL(f->mode, 0);
    CU_ASSERT_PTR_NULL(f->format);
    msm_config_file_free(f);
    f = msm_config_file_new("empty", NULL);
    CU_ASSERT_EQUAL(g_bytes_get_size(f->content), 0);
    msm_config_file_free(f);
}

static void
test_item_free_by_kind(void)
{
    int freed = 0;
    /* STORE: the folder's message iterator is freed with the item */
    Msgs *m = g_new0(Msgs, 1);
    m->freed = &freed;
    MsmFolder *f = msm_folder_new(msm_owner_new("joe"), "INBOX");
    f->messages = msm_message_iter_new(msgs_next, m, msgs_free);
    MsmItem *it = msm_item_new(MSM_KIND_STORE, "user/joe/INBOX", f);
    CU_ASSERT_EQUAL(it->kind, MSM_KIND_STORE);
    CU_ASSERT_STRING_EQUAL(it->key, "user/joe/INBOX");
    msm_item_free(it);
    CU_ASSERT_EQUAL(freed, 1);

    /* QUEUE: the queued message's body is freed with the item */
    MsmQueuedMessage *q = msm_queued_message_new("hold");
    q->body = gen_body(5, 5, &freed);
    msm_item_free(msm_item_new(MSM_KIND_QUEUE, "queue/hold/ZZ1.00", q));
    CU_ASSERT_EQUAL(freed, 2);

    /* CONFIG: the content's last reference goes with the item */
    guint8 *buf = g_malloc(3);
    memcpy(buf, "x=y", 3);
    GBytes *content = g_bytes_new_with_free_func(buf, 3, (GDestroyNotify)g_free, buf);
    MsmConfigFile *cf = msm_config_file_new("option.dat", content);
    g_bytes_unref(content);
    msm_item_free(msm_item_new(MSM_KIND_CONFIG, "config/option.dat", cf));

    /* DIRECTORY */
    MsmEntry *e = msm_entry_new("o=siroe.com");
    msm_entry_add_string(e, "o", "siroe.com");
    msm_item_free(msm_item_new(MSM_KIND_DIRECTORY, "o=siroe.com", e));

    /* NULL payload and NULL item are fine */
    msm_item_free(msm_item_new(MSM_KIND_STORE, "user/x/INBOX", NULL));
    msm_item_free(NULL);
}

MSM_TEST_MAIN("ir", MSM_TEST(test_body_bytes), MSM_TEST(test_body_stream),
              MSM_TEST(test_body_stream_size_mismatch), MSM_TEST(test_body_stream_errors),
              MSM_TEST(test_body_file_lazy), MSM_TEST(test_body_file_missing),
              MSM_TEST(test_message_iter), MSM_TEST(test_owner_folder_queue),
              MSM_TEST(test_entry_semantics), MSM_TEST(test_entry_many_values),
              MSM_TEST(test_config_file), MSM_TEST(test_item_free_by_kind));
