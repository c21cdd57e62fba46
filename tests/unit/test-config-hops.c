/*
 * NAME
 *	test-config-hops.c - the real adapters' configuration migrators
 * DESCRIPTION
 *	Drives the config migrators of the plugins (compiled in from
 *	plugins/<name>/config.c, plugins/common/ and the embedded templates)
 *	with a real MsmCtx and work directory, the way the engine does:
 *	transform() per file, then finish(). Checks seed 000's keep/replace
 *	rule on the 5.2 -> 6.0 hop (table-driven), its file table (which
 *	files get MERGED / CHANGES, which are not merged), imta.cnf keeping
 *	its structure, the cnbuild check, each hop's specific renames and
 *	settings (sims40, nms3x, nms4x, ms60, ms7x-8x), the msg.conf split of
 *	6.3 and the files finish() emits.
 */
#include "config.h"

#include "testutil.h"

#include "ctxpriv.h"
#include "hopconf.h"

#include <string.h>

extern const MsmConfigMigrator ims52_config_52_60;
extern const MsmConfigMigrator sims40_config_40_52;
extern const MsmConfigMigrator nms3x_config_3x_41;
extern const MsmConfigMigrator nms4x_config_41_52;
extern const MsmConfigMigrator ms60_config_60_63;
extern const MsmConfigMigrator ms7x_8x_config_63_70;
extern const HcTemplate ims52_templates[];

static guint run_counter;

/* A context for hop from -> to with a fresh work directory. */
static MsmCtx *
hop_ctx(const char *from, const char *to)
{
    MsmCtx *ctx = msm_ctx_new();
    g_free(ctx->run_id);
    ctx->run_id = g_strdup_printf("test-run-%u", ++run_counter);
    ctx->work_dir = g_strdup(msm_test_tmpdir());
    ctx->hop_from = msm_version_resolve(from, NULL);
    ctx->hop_to = msm_version_resolve(to, NULL);
    ctx->instance = g_strdup("budgie");
    ctx->quiet = TRUE;
    return ctx;
}

/* The bytes of an embedded template of ims52 with placeholders left in. */
static char *
ims52_template(const char *version, const char *relpath)
{
    for (const HcTemplate *t = ims52_templates; t->version; t++)
        if (strcmp(t->version, version) == 0 && strcmp(t->relpath, relpath) == 0)
            return g_strndup(t->data, t->len);
    return NULL;
}

/* Runs transform on (relpath, text); returns the item (transfer full) or NULL. */
static MsmItem *
run_item(const MsmConfigMigrator *m, MsmCtx *ctx, const char *relpath, const char *text,
         MsmResult want)
{
    GBytes *b = g_bytes_new(text, strlen(text));
    MsmConfigFile *cf = msm_config_file_new(relpath, b);
    g_bytes_unref(b);
    char *key = g_strconcat("config/", relpath, NULL);
    MsmItem *item = msm_item_new(MSM_KIND_CONFIG, key, cf);
    g_free(key);
    GError *err = NULL;
    MsmResult r = m->transform(ctx, item, &err);
    if (r != want && err)
        fprintf(stderr, "transform %s: %s\n", relpath, err->message);
    CU_ASSERT_EQUAL(r, want);
    g_clear_error(&err);
    return item;
}

/* The item's content as a string. (transfer full) */
static char *
item_text(const MsmItem *item)
{
    const MsmConfigFile *cf = item->payload;
    gsize len;
    const char *d = g_bytes_get_data(cf->content, &len);
    return g_strndup(d ? d : "", len);
}

/* The value of key in configutil text, or NULL. (transfer full) */
static char *
conf_value(const char *text, const char *fmt, const char *section, const char *key)
{
    MsmConfDoc *doc = msm_confdoc_parse(msm_conf_format_find(fmt), "t", text, strlen(text), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    const MsmConfNode *n = msm_confdoc_find(doc, section, key);
    char *v = n && n->value ? g_strdup(n->value) : NULL;
    msm_confdoc_free(doc);
    return v;
}

/* The artifact's text, or NULL when it does not exist. (transfer full) */
static char *
artifact(MsmCtx *ctx, const char *hopdir, const char *name)
{
    char *p = g_build_filename(ctx->work_dir, "artifacts", hopdir, name, NULL);
    char *text = NULL;
    if (!g_file_get_contents(p, &text, NULL, NULL))
        text = NULL;
    g_free(p);
    return text;
}

/* The emitted item of relpath, or NULL. (transfer none) */
static MsmItem *
emitted(MsmCtx *ctx, const char *relpath)
{
    for (guint i = 0; i < ctx->emitted->len; i++) {
        MsmItem *it = ctx->emitted->pdata[i];
        if (strcmp(((MsmConfigFile *)it->payload)->relpath, relpath) == 0)
            return it;
    }
    return NULL;
}

static void
check_value(const char *text, const char *fmt, const char *section, const char *key,
            const char *want)
{
    char *v = conf_value(text, fmt, section, key);
    if (g_strcmp0(v, want) != 0)
        fprintf(stderr, "%s: got \"%s\", wanted \"%s\"\n", key, v ? v : "(none)",
                want ? want : "(none)");
    CU_ASSERT_STRING_EQUAL(v ? v : "(none)", want ? want : "(none)");
    g_free(v);
}

/* ---- seed 000's rule, table-driven ---- */

typedef struct {
    const char *key;
    const char *old_value; /* NULL: the line is not in the old file */
    const char *merged;    /* expected value in the merged msg.conf; NULL: absent */
    const char *action;    /* expected CHANGES tag; NULL: not listed (same) */
} RuleCase;

static const RuleCase rule_cases[] = {
    /* 5.2 default, 6.0 has another default: the new default replaces it */
    {"service.http.maxsessions", "4000", "6000", "took-new"},
    /* not the 5.2 default: the old value is kept */
    {"service.imap.maxsessions", "2000", "2000", "kept-old"},
    /* site value the new version has no default for: kept */
    {"local.hostname", "mail.siroe.com", "mail.siroe.com", "only-old"},
    /* equal everywhere: nothing to say */
    {"service.pop.port", "110", "110", NULL},
    /* not set in 5.2, new in 6.0: the 6.0 default */
    {"service.imap.plaintextmincipher", NULL, "0", "only-new"},
    /* installation path: rewritten to msg_svr_base */
    {"local.instancedir", "/usr/iplanet/server5/msg-budgie", "/opt/SUNWmsgsr", NULL},
    /* a store partition keeps its 5.2 path (seed 000) */
    {"store.partition.primary.path", "/usr/iplanet/server5/msg-budgie/store/partition/primary",
     "/usr/iplanet/server5/msg-budgie/store/partition/primary", "only-old"},
};

static void
test_seed000_rule(void)
{
    MsmCtx *ctx = hop_ctx("ims-5.2", "ms-6.0");
    GString *old = g_string_new("# msg.conf of a 5.2 site\n");
    for (gsize i = 0; i < G_N_ELEMENTS(rule_cases); i++)
        if (rule_cases[i].old_value)
            g_string_append_printf(old, "%s = \"%s\"\n", rule_cases[i].key,
                                   rule_cases[i].old_value);
    MsmItem *item = run_item(&ims52_config_52_60, ctx, "msg.conf", old->str, MSM_RESULT_CONTINUE);
    char *merged = item_text(item);
    char *changes = artifact(ctx, "ims-5.2-to-ms-6.0", "msg.conf.CHANGES");
    char *mfile = artifact(ctx, "ims-5.2-to-ms-6.0", "msg.conf.MERGED");
    CU_ASSERT_PTR_NOT_NULL_FATAL(changes);
    CU_ASSERT_PTR_NULL(mfile); /* seed 000: configutil parameters get a CHANGES file only */
    for (gsize i = 0; i < G_N_ELEMENTS(rule_cases); i++) {
        const RuleCase *c = &rule_cases[i];
        check_value(merged, "configutil", "", c->key, c->merged);
        char *needle = g_strdup_printf("key=\"%s\"", c->key);
        const char *line = strstr(changes, needle);
        if (c->action) {
            CU_ASSERT_PTR_NOT_NULL(line);
            if (line) {
                const char *bol = line;
                while (bol > changes && bol[-1] != '\n')
                    bol--;
                CU_ASSERT_EQUAL(strncmp(bol, c->action, strlen(c->action)), 0);
            }
        }
        g_free(needle);
    }
    CU_ASSERT_TRUE(ims52_config_52_60.finish(ctx, NULL));
    g_free(merged);
    g_free(changes);
    g_free(mfile);
    g_string_free(old, TRUE);
    msm_item_free(item);
    msm_ctx_free(ctx);
}

/* Seed 000's table: which files get MERGED / CHANGES on 5.2 -> 6.0. */
static void
test_seed000_table(void)
{
    MsmCtx *ctx = hop_ctx("ims-5.2", "ms-6.0");
    static const struct {
        const char *relpath;
        gboolean merged, changes;
    } rows[] = {
        {"job_controller.cnf", TRUE, TRUE}, {"conversions", TRUE, FALSE},
        {"dispatcher.cnf", TRUE, TRUE},     {"imta_tailor", TRUE, TRUE},
        {"option.dat", TRUE, TRUE},         {"aliases", TRUE, FALSE},
        {"mappings", TRUE, FALSE},          {"internet.rules", TRUE, FALSE},
        {"tcp_local_option", TRUE, FALSE},  {"backup-groups.conf", TRUE, TRUE},
        {"l_option", FALSE, FALSE},         {"notes.txt", FALSE, FALSE},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(rows); i++) {
        char *text = ims52_template("ims-5.2", rows[i].relpath);
        if (text == NULL)
            text = g_strdup("A=1\n");
        char *subst = NULL;
        GString *s = g_string_new(text);
        g_string_replace(s, "@INSTANCE@", "budgie", 0);
        g_string_replace(s, "@HOSTNAME@", "mail.siroe.com", 0);
        g_string_replace(s, "@DEFAULTDOMAIN@", "siroe.com", 0);
        g_string_replace(s, "@SECRET@", "c2VjcmV0", 0);
        subst = g_string_free(s, FALSE);
        MsmItem *item =
            run_item(&ims52_config_52_60, ctx, rows[i].relpath, subst, MSM_RESULT_CONTINUE);
        char *mname = g_strconcat(rows[i].relpath, ".MERGED", NULL);
        char *cname = g_strconcat(rows[i].relpath, ".CHANGES", NULL);
        char *m = artifact(ctx, "ims-5.2-to-ms-6.0", mname);
        char *c = artifact(ctx, "ims-5.2-to-ms-6.0", cname);
        if ((m != NULL) != rows[i].merged || (c != NULL) != rows[i].changes)
            fprintf(stderr, "%s: MERGED %d CHANGES %d\n", rows[i].relpath, m != NULL, c != NULL);
        CU_ASSERT_EQUAL(m != NULL, rows[i].merged);
        CU_ASSERT_EQUAL(c != NULL, rows[i].changes);
        if (!rows[i].merged) { /* not merged: carried byte for byte */
            char *t = item_text(item);
            CU_ASSERT_STRING_EQUAL(t, subst);
            g_free(t);
        }
        g_free(m);
        g_free(c);
        g_free(mname);
        g_free(cname);
        g_free(text);
        g_free(subst);
        msm_item_free(item);
    }
    /* imta_tailor: every path moved to msg_svr_base */
    CU_ASSERT_TRUE_FATAL(ims52_config_52_60.finish(ctx, NULL));
    char *sum = artifact(ctx, "ims-5.2-to-ms-6.0", "SUMMARY");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sum);
    CU_ASSERT_PTR_NOT_NULL(strstr(sum, "l_option: not merged"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sum, "imta.cnf: new in ms-6.0"));
    CU_ASSERT_PTR_NOT_NULL(emitted(ctx, "imta.cnf"));
    CU_ASSERT_PTR_NOT_NULL(emitted(ctx, "msg.conf"));
    CU_ASSERT_PTR_NULL(emitted(ctx, "aliases")); /* seen: not emitted again */
    g_free(sum);
    msm_ctx_free(ctx);
}

/* imta.cnf: old structure kept, include paths rewritten, LMTP channel offered. */
static void
test_imta_keeps_structure(void)
{
    MsmCtx *ctx = hop_ctx("ims-5.2", "ms-6.0");
    const char *old = "! site rules\n"
                      "siroe.com $U%$D@mail.siroe.com\n"
                      "</usr/iplanet/server5/msg-budgie/imta/config/internet.rules\n"
                      "\n"
                      "! my channel\n"
                      "tcp_local smtp mx pool SMTP_POOL\n"
                      "tcp-daemon\n"
                      "\n"
                      "ims-ms pool IMS_POOL\n"
                      "ims-ms-daemon\n";
    MsmItem *item = run_item(&ims52_config_52_60, ctx, "imta.cnf", old, MSM_RESULT_CONTINUE);
    char *merged = item_text(item);
    CU_ASSERT_PTR_NOT_NULL(strstr(merged, "</opt/SUNWmsgsr/config/internet.rules\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(merged, "! my channel\ntcp_local smtp mx pool SMTP_POOL\n"));
    CU_ASSERT_PTR_NULL(strstr(merged, "tcp_lmtpcs")); /* offered, not added */
    char *changes = artifact(ctx, "ims-5.2-to-ms-6.0", "imta.cnf.CHANGES");
    CU_ASSERT_PTR_NOT_NULL_FATAL(changes);
    CU_ASSERT_PTR_NOT_NULL(strstr(changes, "key=\"tcp_lmtpcs\""));
    /* the cnbuild check passes with the 6.0 job_controller.cnf template's pools */
    CU_ASSERT_TRUE(ims52_config_52_60.finish(ctx, NULL));
    char *log = artifact(ctx, "ims-5.2-to-ms-6.0", "cnbuild.log");
    CU_ASSERT_PTR_NOT_NULL(log && strstr(log, "\nOK\n"));
    g_free(log);
    g_free(changes);
    g_free(merged);
    msm_item_free(item);
    msm_ctx_free(ctx);
}

/* cnbuild check: a pool the job controller does not define fails the hop. */
static void
test_cnbuild_rejects(void)
{
    MsmCtx *ctx = hop_ctx("ims-5.2", "ms-6.0");
    const char *old = "a.com $U@b\n\ntcp_local smtp pool NO_SUCH_POOL\ntcp-daemon\n";
    MsmItem *item = run_item(&ims52_config_52_60, ctx, "imta.cnf", old, MSM_RESULT_CONTINUE);
    GError *err = NULL;
    CU_ASSERT_FALSE(ims52_config_52_60.finish(ctx, &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "NO_SUCH_POOL"));
    char *log = artifact(ctx, "ims-5.2-to-ms-6.0", "cnbuild.log");
    CU_ASSERT_PTR_NOT_NULL(log && strstr(log, "FAILED"));
    g_free(log);
    g_clear_error(&err);
    msm_item_free(item);
    msm_ctx_free(ctx);
}

/* 5.2 -> 6.0: a [PERIODIC_JOB=] section is kept; CHANGES says to move it. */
static void
test_periodic_job(void)
{
    MsmCtx *ctx = hop_ctx("ims-5.2", "ms-6.0");
    MsmItem *a =
        run_item(&ims52_config_52_60, ctx, "job_controller.cnf",
                 "tcp_port=27442\n[PERIODIC_JOB=purge]\ncommand=/bin/true\n", MSM_RESULT_CONTINUE);
    char *t = item_text(a);
    check_value(t, "job_controller.cnf", "PERIODIC_JOB=purge", "command", "/bin/true");
    char *changes = artifact(ctx, "ims-5.2-to-ms-6.0", "job_controller.cnf.CHANGES");
    CU_ASSERT_PTR_NOT_NULL(changes && strstr(changes, "hop todo key=\"[PERIODIC_JOB=purge]\""));
    g_free(changes);
    g_free(t);
    msm_item_free(a);
    CU_ASSERT_TRUE(ims52_config_52_60.finish(ctx, NULL));
    msm_ctx_free(ctx);
}

/* sims40: [QUEUE=] -> [POOL=], udp_port -> tcp_port, sims-ms -> ims-ms, ims.cnf -> msg.conf. */
static void
test_sims40(void)
{
    MsmCtx *ctx = hop_ctx("sims-4.0", "ims-5.2");
    const char *jc = "!IMTA job controller configuration file\n"
                     "debug=1\nudp_port=27442\nslave_command=NULL\ncapacity=100\n"
                     "[QUEUE=DEFAULT]\njob_limit=10\ncapacity=200\n"
                     "[QUEUE=SINGLE_JOB]\njob_limit=1\n"
                     "[CHANNEL=l]\nmaster_command=/opt/SUNWmail/imta/lib/l_master\n"
                     "[CHANNEL=sims-ms]\nmaster_command=/opt/SUNWmail/ims/lib/ims_master\n";
    MsmItem *a = run_item(&sims40_config_40_52, ctx, "job_controller.cnf", jc, MSM_RESULT_CONTINUE);
    char *t = item_text(a);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "[POOL=DEFAULT]"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "[POOL=SINGLE_JOB]"));
    CU_ASSERT_PTR_NULL(strstr(t, "QUEUE="));
    CU_ASSERT_PTR_NULL(strstr(t, "udp_port"));
    check_value(t, "job_controller.cnf", "", "tcp_port", "27442");
    check_value(t, "job_controller.cnf", "CHANNEL=ims-ms", "master_command",
                "/usr/iplanet/server5/bin/msg/imta/lib/ims_master");
    g_free(t);
    MsmItem *b = run_item(&sims40_config_40_52, ctx, "imta.cnf",
                          "siroe.com $U%$D@sims-ms-daemon\n\nsims-ms defragment\nsims-ms-daemon\n",
                          MSM_RESULT_CONTINUE);
    t = item_text(b);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\nims-ms defragment\nims-ms-daemon\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "$U%$D@ims-ms-daemon"));
    g_free(t);
    const char *simscnf = "sims-hostname mail.siroe.com\nsims-default-domain siroe.com\n"
                          "sims-ldap-server ldap.siroe.com:389\nsims-basedn o=internet\n";
    MsmItem *c = run_item(&sims40_config_40_52, ctx, "sims.cnf", simscnf, MSM_RESULT_CONTINUE);
    t = item_text(c);
    CU_ASSERT_STRING_EQUAL(t, simscnf); /* carried as it is */
    g_free(t);
    MsmItem *d = run_item(&sims40_config_40_52, ctx, "ims/ims.cnf",
                          "ims-bind-address *(pop3=1110:imap=1143)\n", MSM_RESULT_CONTINUE);
    CU_ASSERT_TRUE_FATAL(sims40_config_40_52.finish(ctx, NULL));
    MsmItem *m = emitted(ctx, "msg.conf");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    t = item_text(m);
    check_value(t, "configutil", "", "local.imta.schematag", "sims40,ims50");
    check_value(t, "configutil", "", "local.imta.sims_migrate", "True");
    check_value(t, "configutil", "", "local.ugldapbasedn", "o=internet");
    check_value(t, "configutil", "", "local.ugldaphost", "ldap.siroe.com");
    check_value(t, "configutil", "", "local.ugldapdeforgdn", "dc=siroe,dc=com,o=internet");
    check_value(t, "configutil", "", "service.pop.port", "1110");
    check_value(t, "configutil", "", "service.imap.port", "1143");
    check_value(t, "configutil", "", "local.ugldapbindcred", NULL); /* never written */
    g_free(t);
    CU_ASSERT_PTR_NOT_NULL(emitted(ctx, "backup-groups.conf")); /* new in 5.2 */
    CU_ASSERT_PTR_NULL(emitted(ctx, "imta.cnf"));
    msm_item_free(a);
    msm_item_free(b);
    msm_item_free(c);
    msm_item_free(d);
    msm_ctx_free(ctx);
}

/* nms3x: nsmsg.conf merged into 4.1 with the partition key. nms4x: to 5.2 parameters. */
static void
test_nms(void)
{
    MsmCtx *ctx = hop_ctx("nms-3.x", "nms-4.1");
    const char *ns = "nsmsg.hostname = \"mail.siroe.com\"\n"
                     "nsmsg.store = \"/usr/netscape/server4/msg-budgie/mailbox\"\n"
                     "nsmsg.ugdirectory = \"ldap://ldap.siroe.com:389/o=siroe.com\"\n";
    MsmItem *a = run_item(&nms3x_config_3x_41, ctx, "nsmsg.conf", ns, MSM_RESULT_CONTINUE);
    char *t = item_text(a);
    check_value(t, "configutil", "", "nsmsg.partition.primary",
                "/usr/netscape/server4/msg-budgie/mailbox");
    check_value(t, "configutil", "", "nsmsg.pab.enable", "yes");
    g_free(t);
    CU_ASSERT_TRUE(nms3x_config_3x_41.finish(ctx, NULL));
    msm_item_free(a);
    msm_ctx_free(ctx);

    ctx = hop_ctx("nms-4.1", "ims-5.2");
    MsmItem *b = run_item(&nms4x_config_41_52, ctx, "localdomains", "siroe.com\nsesta.com\n",
                          MSM_RESULT_CONTINUE);
    const char *ns41 = "nsmsg.hostname = \"mail.siroe.com\"\n"
                       "nsmsg.partition.Primary = \"/x/store\"\n"
                       "nsmsg.partition.big2 = \"/y/store\"\n"
                       "nsmsg.loginseparator = \"%\"\n"
                       "nsmsg.ugdirectory = \"ldap://ldap.siroe.com:3389/o=siroe.com\"\n";
    MsmItem *c = run_item(&nms4x_config_41_52, ctx, "nsmsg.conf", ns41, MSM_RESULT_CONTINUE);
    CU_ASSERT_TRUE_FATAL(nms4x_config_41_52.finish(ctx, NULL));
    MsmItem *m = emitted(ctx, "msg.conf");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    t = item_text(m);
    check_value(t, "configutil", "", "local.service.pab.migrate415", "1");
    check_value(t, "configutil", "", "local.imta.schematag", "ims50,nms41");
    check_value(t, "configutil", "", "local.ugldapdeforgdn", "o=siroe.com");
    check_value(t, "configutil", "", "local.ugldapport", "3389");
    check_value(t, "configutil", "", "service.loginseparator", "%");
    check_value(t, "configutil", "", "service.defaultdomain", "siroe.com");
    check_value(t, "configutil", "", "store.partition.primary.path",
                "/usr/iplanet/server5/msg-budgie/store/partition/primary");
    check_value(t, "configutil", "", "store.partition.big2.path",
                "/usr/iplanet/server5/msg-budgie/store/partition/big2");
    g_free(t);
    MsmItem *i = emitted(ctx, "imta.cnf");
    CU_ASSERT_PTR_NOT_NULL_FATAL(i);
    t = item_text(i);
    check_value(t, "imta.cnf", "rewrite", "sesta.com", "$U%$D@mail.siroe.com");
    g_free(t);
    CU_ASSERT_PTR_NOT_NULL(emitted(ctx, "job_controller.cnf"));
    msm_item_free(b);
    msm_item_free(c);
    msm_ctx_free(ctx);
}

/* ms60: local.conf into msg.conf, msg.conf split, post-upgrade settings, ugdir_diff.ldif. */
static void
test_ms60(void)
{
    MsmCtx *ctx = hop_ctx("ms-6.0", "ms-6.3");
    MsmItem *a = run_item(&ms60_config_60_63, ctx, "local.conf",
                          "store.quotaenforcement = \"on\"\n", MSM_RESULT_CONTINUE);
    const char *msg = "service.imap.port = \"143\"\nservice.imap.maxsessions = \"2000\"\n"
                      "local.ugldapdeforgdn = \"o=siroe.com,o=isp\"\n";
    MsmItem *b = run_item(&ms60_config_60_63, ctx, "msg.conf", msg, MSM_RESULT_CONTINUE);
    char *t = item_text(b);
    check_value(t, "configutil", "", "store.quotaenforcement", "on");
    check_value(t, "configutil", "", "service.imap.port", NULL); /* = 6.3 default: moved */
    check_value(t, "configutil", "", "service.imap.maxsessions", "2000");
    check_value(t, "configutil", "", "service.imap.enable", "yes");
    check_value(t, "configutil", "", "local.service.http.proxy.admin", "admin");
    g_free(t);
    CU_ASSERT_TRUE_FATAL(ms60_config_60_63.finish(ctx, NULL));
    CU_ASSERT_PTR_NOT_NULL(emitted(ctx, "msg.conf.defaults"));
    char *ldif = artifact(ctx, "ms-6.0-to-ms-6.3", "ugdir_diff.ldif");
    CU_ASSERT_PTR_NOT_NULL(ldif && strstr(ldif, "dn: o=siroe.com,o=isp\nchangetype: modify\n"));
    g_free(ldif);
    msm_item_free(a);
    msm_item_free(b);
    msm_ctx_free(ctx);

    /* local.conf after msg.conf cannot move: the item fails with the fix */
    ctx = hop_ctx("ms-6.0", "ms-6.3");
    b = run_item(&ms60_config_60_63, ctx, "msg.conf", msg, MSM_RESULT_CONTINUE);
    a = run_item(&ms60_config_60_63, ctx, "local.conf", "x = \"1\"\n", MSM_RESULT_ERROR);
    msm_item_free(a);
    msm_item_free(b);
    CU_ASSERT_TRUE(ms60_config_60_63.finish(ctx, NULL));
    msm_ctx_free(ctx);

    /* ... unless the hop starts at the source: msg.conf then reads local.conf itself */
    const char *root = msm_test_tmpdir();
    char *cdir = g_build_filename(root, "config", NULL);
    char *lpath = g_build_filename(cdir, "local.conf", NULL);
    g_mkdir_with_parents(cdir, 0755);
    CU_ASSERT_TRUE(g_file_set_contents(lpath, "store.quotaenforcement = \"on\"\n", -1, NULL));
    ctx = hop_ctx("ms-6.0", "ms-6.3");
    ctx->run_from = g_strdup("ms-6.0");
    ctx->source_layout = msm_layout_resolve(root, "ms-6.0", NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx->source_layout);
    b = run_item(&ms60_config_60_63, ctx, "msg.conf", msg, MSM_RESULT_CONTINUE);
    char *t2 = item_text(b);
    check_value(t2, "configutil", "", "store.quotaenforcement", "on");
    g_free(t2);
    a = run_item(&ms60_config_60_63, ctx, "local.conf", "store.quotaenforcement = \"on\"\n",
                 MSM_RESULT_CONTINUE);
    msm_item_free(a);
    msm_item_free(b);
    CU_ASSERT_TRUE(ms60_config_60_63.finish(ctx, NULL));
    msm_ctx_free(ctx);
    g_free(cdir);
    g_free(lpath);
}

/* ms7x-8x 6.3 -> 7.0: msg_svr_base moves to /opt/sun/comms/messaging64. */
static void
test_ms63_70(void)
{
    MsmCtx *ctx = hop_ctx("ms-6.3", "ms-7.0");
    MsmItem *a = run_item(&ms7x_8x_config_63_70, ctx, "imta_tailor",
                          "IMTA_ROOT=/opt/SUNWmsgsr/\nIMTA_TABLE=/opt/SUNWmsgsr/config/\n"
                          "IMTA_SITE=/opt/SUNWmsgsr-local/x\n",
                          MSM_RESULT_CONTINUE);
    char *t = item_text(a);
    check_value(t, "imta_tailor", "", "IMTA_ROOT", "/opt/sun/comms/messaging64/");
    check_value(t, "imta_tailor", "", "IMTA_TABLE", "/opt/sun/comms/messaging64/config/");
    check_value(t, "imta_tailor", "", "IMTA_SITE", "/opt/SUNWmsgsr-local/x");
    g_free(t);
    CU_ASSERT_TRUE(ms7x_8x_config_63_70.finish(ctx, NULL));
    msm_item_free(a);
    msm_ctx_free(ctx);
}

MSM_TEST_MAIN("config-hops", MSM_TEST(test_seed000_rule), MSM_TEST(test_seed000_table),
              MSM_TEST(test_imta_keeps_structure), MSM_TEST(test_cnbuild_rejects),
              MSM_TEST(test_periodic_job), MSM_TEST(test_sims40), MSM_TEST(test_nms),
              MSM_TEST(test_ms60), MSM_TEST(test_ms63_70))
