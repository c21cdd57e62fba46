/*
 * NAME
 *	test-digest.c - canonical digests: equal for equal data, different otherwise
 */
#include "config.h"

#include "testutil.h"

#include "digest.h"
#include "engine.h"

#include <string.h>

static MsmItem *
config_item(const char *rel, const char *content)
{
    GBytes *b = g_bytes_new(content, strlen(content));
    MsmConfigFile *cf = msm_config_file_new(rel, b);
    g_bytes_unref(b);
    char *key = g_strdup_printf("config/%s", rel);
    MsmItem *it = msm_item_new(MSM_KIND_CONFIG, key, cf);
    g_free(key);
    return it;
}

static char *
digest_of(MsmItem *it)
{
    char *d = msm_item_digest(it, NULL, NULL);
    msm_item_free(it);
    return d;
}

static void
test_config(void)
{
    char *a = digest_of(config_item("imta.cnf", "abc"));
    char *b = digest_of(config_item("imta.cnf", "abc"));
    char *c = digest_of(config_item("imta.cnf", "abd"));
    char *d = digest_of(config_item("mappings", "abc"));
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, c);
    CU_ASSERT_STRING_NOT_EQUAL(a, d);
    CU_ASSERT_EQUAL(strlen(a), 64);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(d);
}

static MsmItem *
entry_item(gboolean swap, const char *mail)
{
    MsmEntry *e = msm_entry_new("uid=joe,ou=People,o=example");
    if (swap) {
        msm_entry_add_string(e, "mail", mail);
        msm_entry_add_string(e, "objectClass", "inetOrgPerson");
        msm_entry_add_string(e, "objectClass", "top");
    } else {
        msm_entry_add_string(e, "objectclass", "top");
        msm_entry_add_string(e, "objectClass", "inetOrgPerson");
        msm_entry_add_string(e, "MAIL", mail);
    }
    return msm_item_new(MSM_KIND_DIRECTORY, "uid=joe,ou=people,o=example", e);
}

static void
test_entry_order_free(void)
{
    char *a = digest_of(entry_item(FALSE, "joe@example.com"));
    char *b = digest_of(entry_item(TRUE, "joe@example.com"));
    char *c = digest_of(entry_item(TRUE, "joe@example.org"));
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, c);
    g_free(a);
    g_free(b);
    g_free(c);
}

typedef struct {
    guint n, i;
    guint32 flip_flag_at;
} Gen;

static gboolean
gen_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    (void)error;
    Gen *g = data;
    if (g->i >= g->n) {
        *msg_r = NULL;
        return TRUE;
    }
    MsmMessage *m = msm_message_new();
    m->uid = g->i + 1;
    m->flags = (g->i + 1 == g->flip_flag_at) ? MSM_FLAG_SEEN : 0;
    m->internal_date = 1000000000 + g->i;
    char *body = g_strdup_printf("Subject: %u\r\n\r\nbody %u\r\n", g->i, g->i);
    m->size = (gint64)strlen(body);
    GBytes *b = g_bytes_new_take(body, strlen(body));
    m->body = msm_body_new_bytes(b);
    g_bytes_unref(b);
    g->i++;
    *msg_r = m;
    return TRUE;
}

static MsmItem *
folder_item(guint n, guint32 flip)
{
    Gen *g = g_new0(Gen, 1);
    g->n = n;
    g->flip_flag_at = flip;
    MsmFolder *f = msm_folder_new(msm_owner_new("joe"), "INBOX");
    f->uidvalidity = 42;
    f->messages = msm_message_iter_new(gen_next, g, g_free);
    return msm_item_new(MSM_KIND_STORE, "user/joe/INBOX", f);
}

static void
test_store_streams(void)
{
    guint64 bytes = 0;
    MsmItem *it = folder_item(50, 0);
    char *a = msm_item_digest(it, &bytes, NULL);
    msm_item_free(it);
    CU_ASSERT_TRUE(bytes > 50 * 10);
    char *b = digest_of(folder_item(50, 0));
    char *c = digest_of(folder_item(50, 7)); /* one flag differs */
    char *d = digest_of(folder_item(49, 0)); /* one message fewer */
    CU_ASSERT_STRING_EQUAL(a, b);
    CU_ASSERT_STRING_NOT_EQUAL(a, c);
    CU_ASSERT_STRING_NOT_EQUAL(a, d);
    g_free(a);
    g_free(b);
    g_free(c);
    g_free(d);
}

MSM_TEST_MAIN("digest", MSM_TEST(test_config), MSM_TEST(test_entry_order_free),
              MSM_TEST(test_store_streams))
