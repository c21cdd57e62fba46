/*
 * NAME
 *	test-dir-run.c - the directory codec of `msmigrate run` and the hops'
 *	directory transform (core/codec-directory.c, core/dirhop.c)
 * SUMMARY
 *	Offline: the reader's order (domains and containers first, then users and
 *	groups, parents before children); the writer's migrated/audit/undo LDIF,
 *	one record per entry even when a put is repeated after a crash; the
 *	installed target LDIF and its rollback (created file removed, replaced
 *	file restored byte for byte); a missing export named in the error; the
 *	profile keys of the transform and a bad one refused. The online mode is
 *	tested against a real slapd by tests/integration/dir-run.sh.
 */
#include "config.h"

#include "builtin.h"
#include "ctxpriv.h"
#include "dirhop.h"
#include "dirmap.h"
#include "ldif.h"
#include "registry.h"
#include "testutil.h"

#include <string.h>

/* Children before parents and users before their domain, on purpose. */
static const char *const SRC_LDIF =
    "version: 1\n"
    "\n"
    "dn: uid=joe,ou=People,dc=siroe,dc=com,o=internet\n"
    "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n"
    "objectClass: inetOrgPerson\nobjectClass: emailPerson\nuid: joe\ncn: Joe\nsn: Joe\n"
    "mail: joe@siroe.com\nmailHost: mail.siroe.com\nmailDeliveryOption: mailbox\n"
    "\n"
    "dn: ou=People,dc=siroe,dc=com,o=internet\n"
    "objectClass: organizationalUnit\nou: People\n"
    "\n"
    "dn: cn=staff,ou=Groups,dc=siroe,dc=com,o=internet\n"
    "objectClass: top\nobjectClass: groupOfNames\nobjectClass: rfc822MailGroup\n"
    "objectClass: emailGroup\ncn: staff\nmail: staff@siroe.com\nmailHost: mail.siroe.com\n"
    "member: uid=joe,ou=People,dc=siroe,dc=com,o=internet\n"
    "\n"
    "dn: dc=siroe,dc=com,o=internet\n"
    "objectClass: top\nobjectClass: domain\nobjectClass: mailDomain\ndc: siroe\n"
    "\n"
    "dn: o=internet\n"
    "objectClass: organization\no: internet\n"
    "\n"
    "dn: ou=Groups,dc=siroe,dc=com,o=internet\n"
    "objectClass: organizationalUnit\nou: Groups\n"
    "\n"
    "dn: ou=Sub,ou=People,dc=siroe,dc=com,o=internet\n"
    "objectClass: organizationalUnit\nou: Sub\n";

static MsmCtx *
make_ctx(const char *src, const char *tgt, const char *profile_text)
{
    MsmCtx *ctx = msm_ctx_new();
    g_free(ctx->run_id);
    ctx->run_id = g_strdup("20261124T000000Z-test01");
    ctx->source_root = g_strdup(src);
    ctx->target_root = g_strdup(tgt);
    ctx->work_dir = g_build_filename(tgt, ".msmigrate", "runs", ctx->run_id, NULL);
    g_mkdir_with_parents(ctx->work_dir, 0700);
    if (profile_text) {
        ctx->profile = g_key_file_new();
        g_assert(g_key_file_load_from_data(ctx->profile, profile_text, -1, G_KEY_FILE_NONE, NULL));
    }
    return ctx;
}

static void
free_ctx(MsmCtx *ctx)
{
    if (ctx->profile)
        g_key_file_unref(ctx->profile);
    ctx->profile = NULL;
    msm_ctx_free(ctx);
}

static char *
write_source(void)
{
    char *src = g_strdup(msm_test_tmpdir());
    char *ldap = g_build_filename(src, "ldap", NULL);
    g_mkdir_with_parents(ldap, 0755);
    char *p = g_build_filename(ldap, "directory.ldif", NULL);
    g_assert(g_file_set_contents(p, SRC_LDIF, -1, NULL));
    g_free(p);
    g_free(ldap);
    return src;
}

static guint
count_lines(const char *path, const char *prefix)
{
    char *data = NULL;
    if (!g_file_get_contents(path, &data, NULL, NULL))
        return 0;
    guint n = 0;
    char **ls = g_strsplit(data, "\n", -1);
    for (guint i = 0; ls[i]; i++)
        n += g_str_has_prefix(ls[i], prefix);
    g_strfreev(ls);
    g_free(data);
    return n;
}

static char *
artifact(MsmCtx *ctx, const char *name)
{
    return g_build_filename(ctx->work_dir, "artifacts", "directory", name, NULL);
}

static void
test_reader_order(void)
{
    char *src = write_source();
    const char *tgt = msm_test_tmpdir();
    MsmCtx *ctx = make_ctx(src, tgt, NULL);
    const MsmCodec *c = msm_core_directory_codec();
    GError *err = NULL;
    gpointer r = c->reader_open(ctx, src, "sims-4.0", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    guint64 n = 0, bytes = 0;
    CU_ASSERT_TRUE(c->reader_estimate(r, &n, &bytes));
    CU_ASSERT_EQUAL(n, 7);
    const char *want[] = {"o=internet", "dc=siroe,dc=com,o=internet",
                          "ou=people,dc=siroe,dc=com,o=internet",
                          "ou=groups,dc=siroe,dc=com,o=internet",
                          "ou=sub,ou=people,dc=siroe,dc=com,o=internet",
                          "uid=joe,ou=people,dc=siroe,dc=com,o=internet",
                          "cn=staff,ou=groups,dc=siroe,dc=com,o=internet"};
    guint i = 0;
    for (;;) {
        MsmItem *it = NULL;
        CU_ASSERT_TRUE_FATAL(c->reader_next(r, &it, &err));
        if (it == NULL)
            break;
        CU_ASSERT_EQUAL(it->kind, MSM_KIND_DIRECTORY);
        if (i < G_N_ELEMENTS(want))
            CU_ASSERT_STRING_EQUAL(it->key, want[i]);
        i++;
        msm_item_free(it);
    }
    CU_ASSERT_EQUAL(i, 7);
    c->reader_close(r);
    free_ctx(ctx);
    g_free(src);
}

/* Reads every item, maps it as the sims40 hop does, puts it. */
static void
migrate_all(const MsmCodec *c, MsmCtx *ctx, const char *src, gpointer w, guint stop_after)
{
    GError *err = NULL;
    gpointer r = c->reader_open(ctx, src, "sims-4.0", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    guint i = 0;
    for (;;) {
        MsmItem *it = NULL;
        CU_ASSERT_TRUE_FATAL(c->reader_next(r, &it, &err));
        if (it == NULL || i == stop_after) {
            msm_item_free(it);
            break;
        }
        CU_ASSERT_EQUAL(msm_dirhop_transform(ctx, it, MSM_DIRMIG_FROM_SIMS, &err),
                        MSM_RESULT_CONTINUE);
        CU_ASSERT_TRUE(c->writer_put(w, it, &err));
        msm_item_free(it);
        i++;
    }
    c->reader_close(r);
}

static void
test_writer_offline_resume_rollback(void)
{
    char *src = write_source();
    const char *tgt = msm_test_tmpdir();
    MsmCtx *ctx = make_ctx(src, tgt, "[directory]\nmailhost = mail2.siroe.com\n");
    const MsmCodec *c = msm_core_directory_codec();
    GError *err = NULL;

    /* a first process puts 5 entries and dies before the journal saw the 5th */
    gpointer w = c->writer_open(ctx, tgt, "ims-5.2", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    migrate_all(c, ctx, src, w, 5);
    c->writer_close(w);
    /* ... in the middle of a put: a torn record at the end */
    {
        char *puts = g_build_filename(ctx->work_dir, "directory", "puts.dat", NULL);
        FILE *f = fopen(puts, "a");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        fputs("P 5 40 300 0 0\nuid=half", f);
        fclose(f);
        g_free(puts);
    }
    /* the journal had recorded only the first one (it may lag behind the
     * writer): the resumed run puts entries 2..5 again, then 6 and 7 */
    w = c->writer_open(ctx, tgt, "ims-5.2", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    {
        gpointer r = c->reader_open(ctx, src, "sims-4.0", &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        for (guint i = 0;; i++) {
            MsmItem *it = NULL;
            CU_ASSERT_TRUE_FATAL(c->reader_next(r, &it, &err));
            if (it == NULL)
                break;
            if (i >= 1) {
                msm_dirhop_transform(ctx, it, MSM_DIRMIG_FROM_SIMS, &err);
                CU_ASSERT_TRUE(c->writer_put(w, it, &err));
            }
            msm_item_free(it);
        }
        c->reader_close(r);
    }
    CU_ASSERT_TRUE(c->writer_commit(w, &err));
    c->writer_close(w);

    char *mig = artifact(ctx, "migrated.ldif"), *audit = artifact(ctx, "audit.ldif"),
         *undo = artifact(ctx, "undo.ldif");
    CU_ASSERT_EQUAL(count_lines(mig, "dn: "), 7);
    /* joe, staff and the domain change (mail host, classes); containers do not */
    guint changed = count_lines(audit, "changetype: modify");
    CU_ASSERT_TRUE(changed == 3);
    CU_ASSERT_EQUAL(count_lines(undo, "changetype: modify"), changed);
    CU_ASSERT_EQUAL(count_lines(audit, "dn: "), changed);
    CU_ASSERT_TRUE(count_lines(mig, "mailHost: mail2.siroe.com") >= 1);

    /* the same as the offline mapping (msm_dirmig_offline) */
    MsmDirmigOptions opt = {0};
    opt.from = MSM_DIRMIG_FROM_SIMS;
    opt.new_mailhost = g_strdup("mail2.siroe.com");
    char *ref = g_build_filename(msm_test_tmpdir(), "ref.ldif", NULL);
    char *in = g_build_filename(src, "ldap", "directory.ldif", NULL);
    CU_ASSERT_TRUE(msm_dirmig_offline(&opt, in, ref, NULL, NULL, NULL, NULL, &err));
    msm_dirmig_options_clear(&opt);
    CU_ASSERT_EQUAL(count_lines(ref, "dn: "), 7);
    CU_ASSERT_EQUAL(count_lines(ref, "objectClass: "), count_lines(mig, "objectClass: "));
    CU_ASSERT_EQUAL(count_lines(ref, "mailHost: "), count_lines(mig, "mailHost: "));

    /* installed as the target's LDIF; rollback removes what the run created */
    char *dst = g_build_filename(tgt, "ldap", "directory.ldif", NULL);
    CU_ASSERT_TRUE(g_file_test(dst, G_FILE_TEST_EXISTS));
    CU_ASSERT_EQUAL(count_lines(dst, "dn: "), 7);
    CU_ASSERT_TRUE(c->rollback(ctx, tgt, "ims-5.2", &err));
    CU_ASSERT_TRUE(c->rollback(ctx, tgt, "ims-5.2", &err)); /* idempotent */
    CU_ASSERT_FALSE(g_file_test(dst, G_FILE_TEST_EXISTS));
    g_free(dst);
    g_free(ref);
    g_free(in);
    g_free(mig);
    g_free(audit);
    g_free(undo);
    free_ctx(ctx);
    g_free(src);
}

static void
test_rollback_restores_replaced(void)
{
    char *src = write_source();
    const char *tgt = msm_test_tmpdir();
    char *ldap = g_build_filename(tgt, "ldap", NULL);
    g_mkdir_with_parents(ldap, 0755);
    char *dst = g_build_filename(ldap, "directory.ldif", NULL);
    const char *old = "version: 1\n\ndn: o=old\nobjectClass: organization\no: old\n";
    g_assert(g_file_set_contents(dst, old, -1, NULL));
    MsmCtx *ctx = make_ctx(src, tgt, NULL);
    const MsmCodec *c = msm_core_directory_codec();
    GError *err = NULL;
    gpointer w = c->writer_open(ctx, tgt, "ims-5.2", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    migrate_all(c, ctx, src, w, G_MAXUINT);
    CU_ASSERT_TRUE(c->writer_commit(w, &err));
    CU_ASSERT_TRUE(c->writer_commit(w, &err)); /* a checkpoint then the end */
    c->writer_close(w);
    CU_ASSERT_EQUAL(count_lines(dst, "dn: "), 7);
    CU_ASSERT_TRUE(c->rollback(ctx, tgt, "ims-5.2", &err));
    char *now = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(dst, &now, NULL, NULL));
    CU_ASSERT_STRING_EQUAL(now, old);
    g_free(now);
    g_free(dst);
    g_free(ldap);
    free_ctx(ctx);
    g_free(src);
}

static void
test_errors(void)
{
    const char *empty = msm_test_tmpdir();
    const char *tgt = msm_test_tmpdir();
    MsmCtx *ctx = make_ctx(empty, tgt, "[directory]\nadd_values = maybe\n");
    const MsmCodec *c = msm_core_directory_codec();
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(c->reader_open(ctx, empty, "sims-4.0", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    CU_ASSERT_TRUE(err && strstr(err->message, "ldap/directory.ldif") &&
                   strstr(err->message, "uri"));
    g_clear_error(&err);
    MsmEntry *e = msm_entry_new("uid=a,ou=People,o=x");
    msm_entry_add_string(e, "objectClass", "person");
    MsmItem *it = msm_item_new(MSM_KIND_DIRECTORY, "uid=a,ou=people,o=x", e);
    CU_ASSERT_EQUAL(msm_dirhop_transform(ctx, it, MSM_DIRMIG_FROM_SIMS, &err), MSM_RESULT_STOP);
    CU_ASSERT_TRUE(err && strstr(err->message, "add_values"));
    g_clear_error(&err);
    msm_item_free(it);
    free_ctx(ctx);
    /* outside a run there is no work directory for the snapshot */
    MsmCtx *bare = msm_ctx_new();
    CU_ASSERT_PTR_NULL(c->reader_open(bare, empty, "sims-4.0", &err));
    CU_ASSERT_TRUE(err && strstr(err->message, "inside a run"));
    g_clear_error(&err);
    msm_ctx_free(bare);
}

static void
test_registered(void)
{
    MsmRegistry *reg = msm_registry_new();
    const char *const *all = msm_version_all();
    for (guint i = 0; all[i]; i++) {
        const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_DIRECTORY, all[i]);
        CU_ASSERT_TRUE(ref && ref->codec == msm_core_directory_codec());
    }
    msm_registry_free(reg);
}

MSM_TEST_MAIN("dir-run", MSM_TEST(test_reader_order), MSM_TEST(test_writer_offline_resume_rollback),
              MSM_TEST(test_rollback_restores_replaced), MSM_TEST(test_errors),
              MSM_TEST(test_registered))
