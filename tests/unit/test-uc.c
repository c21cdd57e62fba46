/*
 * NAME
 *	test-uc.c - unit tests of core/uc-convert.c (configtoxml model)
 * SUMMARY
 *	Property: for the configurations `msmigrate sample` writes for ms-7.0
 *	(several seeds and sizes) and for hand-written hostile files,
 *	msm_uc_from_legacy() then msm_uc_to_legacy() gives back every setting
 *	(every entry of every absorbed file: section, key, value, in order;
 *	restricted.cnf names after the others in msg.conf), the files kept
 *	separate byte for byte, and config.xml parses inside the model (no
 *	warning). A second conversion of the result is a fixed point. Errors
 *	name file:line for what cannot be represented.
 */
#include "config.h"

#include "testutil.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>
#include <msmigrate/ir.h>

#include "registry.h"
#include "sample.h"
#include "uc-convert.h"
#include "util.h"

#include <string.h>

/* ---- helpers ---- */

static void
add_file(GPtrArray *files, const char *relpath, const char *text, gssize len)
{
    GBytes *b = g_bytes_new(text, len < 0 ? strlen(text) : (gsize)len);
    g_ptr_array_add(files, msm_config_file_new(relpath, b));
    g_bytes_unref(b);
}

static GPtrArray *
new_files(void)
{
    return g_ptr_array_new_with_free_func((GDestroyNotify)msm_config_file_free);
}

static const MsmConfigFile *
find_file(GPtrArray *files, const char *relpath)
{
    for (guint i = 0; i < files->len; i++) {
        const MsmConfigFile *f = files->pdata[i];
        if (strcmp(f->relpath, relpath) == 0)
            return f;
    }
    return NULL;
}

static MsmConfDoc *
parse_file(const MsmConfigFile *f)
{
    gsize len = 0;
    const char *d = g_bytes_get_data(f->content, &len);
    GError *err = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(msm_conf_format_for_file(f->relpath), f->relpath,
                                        d ? d : "", len, &err);
    if (err)
        fprintf(stderr, "parse %s: %s\n", f->relpath, err->message);
    g_clear_error(&err);
    return doc;
}

static gboolean
restricted_key(const char *k)
{
    return g_ascii_strcasecmp(k, "local.serveruid") == 0 ||
           g_ascii_strcasecmp(k, "local.servergid") == 0;
}

/* Entries of doc as "section\x1fkey\x1fvalue" strings; restricted msg.conf keys last. */
static GPtrArray *
settings_of(const MsmConfigFile *f)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    MsmConfDoc *doc = parse_file(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    GPtrArray *e = msm_confdoc_entries(doc);
    GPtrArray *tail = g_ptr_array_new_with_free_func(g_free);
    gboolean msgconf = strcmp(f->relpath, "msg.conf") == 0;
    for (guint i = 0; i < e->len; i++) {
        const MsmConfNode *n = e->pdata[i];
        char *s = g_strdup_printf("%s\x1f%s\x1f%s", n->section, n->key, n->value);
        g_ptr_array_add(msgconf && restricted_key(n->key) ? tail : out, s);
    }
    for (guint i = 0; i < tail->len; i++)
        g_ptr_array_add(out, g_strdup(tail->pdata[i]));
    /* sections (tables, pools) are settings too */
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
        const MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->type == MSM_CONF_SECTION && n->nlines > 0)
            g_ptr_array_add(out, g_strdup_printf("[%s]", n->key));
        if (n->type == MSM_CONF_INCLUDE)
            g_ptr_array_add(out, g_strdup_printf("<%s", n->key));
    }
    g_ptr_array_unref(tail);
    g_ptr_array_unref(e);
    msm_confdoc_free(doc);
    return out;
}

/* Asserts that back holds every setting of orig (absorbed files) and the
 * separate files byte for byte. Returns the number of settings compared. */
static guint
assert_same_settings(GPtrArray *orig, GPtrArray *back)
{
    guint n = 0;
    for (guint i = 0; i < orig->len; i++) {
        const MsmConfigFile *o = orig->pdata[i];
        const MsmConfigFile *b = find_file(back, o->relpath);
        if (!msm_uc_is_absorbed(o->relpath)) {
            CU_ASSERT_PTR_NOT_NULL_FATAL(b);
            CU_ASSERT_TRUE(g_bytes_equal(o->content, b->content));
            continue;
        }
        GPtrArray *so = settings_of(o);
        if (so->len == 0) { /* a file without settings is not recreated */
            g_ptr_array_unref(so);
            continue;
        }
        if (b == NULL)
            fprintf(stderr, "missing %s\n", o->relpath);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        GPtrArray *sb = settings_of(b);
        CU_ASSERT_EQUAL(so->len, sb->len);
        for (guint k = 0; k < so->len && k < sb->len; k++) {
            if (strcmp(so->pdata[k], sb->pdata[k]) != 0)
                fprintf(stderr, "%s: [%s] != [%s]\n", o->relpath, (char *)so->pdata[k],
                        (char *)sb->pdata[k]);
            CU_ASSERT_STRING_EQUAL(so->pdata[k], sb->pdata[k]);
            n++;
        }
        g_ptr_array_unref(so);
        g_ptr_array_unref(sb);
    }
    /* nothing invented */
    for (guint i = 0; i < back->len; i++) {
        const MsmConfigFile *b = back->pdata[i];
        if (find_file(orig, b->relpath) == NULL)
            fprintf(stderr, "invented %s\n", b->relpath);
        CU_ASSERT_PTR_NOT_NULL(find_file(orig, b->relpath));
    }
    return n;
}

/* from_legacy, checks on the UC side, to_legacy, the property, the fixed point. */
static guint
round_trip(GPtrArray *files)
{
    GError *err = NULL;
    GPtrArray *uc = msm_uc_from_legacy(files, &err);
    if (err)
        fprintf(stderr, "from_legacy: %s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(uc);
    const MsmConfigFile *xml = find_file(uc, "config.xml");
    CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
    CU_ASSERT_PTR_NOT_NULL(find_file(uc, "restricted.cnf"));
    MsmConfDoc *xd = parse_file(xml);
    CU_ASSERT_PTR_NOT_NULL_FATAL(xd);
    GPtrArray *w = msm_confdoc_warnings(xd);
    for (guint i = 0; w && i < w->len; i++)
        fprintf(stderr, "config.xml warning: %s\n", (char *)w->pdata[i]);
    CU_ASSERT_EQUAL(w ? w->len : 0, 0);
    msm_confdoc_free(xd);
    for (guint i = 0; i < uc->len; i++) /* absorbed files are gone */
        CU_ASSERT_FALSE(msm_uc_is_absorbed(((MsmConfigFile *)uc->pdata[i])->relpath));

    GPtrArray *back = msm_uc_to_legacy(uc, &err);
    if (err)
        fprintf(stderr, "to_legacy: %s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    guint n = assert_same_settings(files, back);

    /* fixed point: converting the restored legacy files gives the same files again */
    GPtrArray *uc2 = msm_uc_from_legacy(back, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(uc2);
    GPtrArray *back2 = msm_uc_to_legacy(uc2, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back2);
    CU_ASSERT_EQUAL(back->len, back2->len);
    for (guint i = 0; i < back->len; i++) {
        const MsmConfigFile *a = back->pdata[i];
        const MsmConfigFile *b = find_file(back2, a->relpath);
        CU_ASSERT_PTR_NOT_NULL_FATAL(b);
        CU_ASSERT_TRUE(g_bytes_equal(a->content, b->content));
    }
    g_ptr_array_unref(back2);
    g_ptr_array_unref(uc2);
    g_ptr_array_unref(back);
    g_ptr_array_unref(uc);
    return n;
}

/* The regular files of dir (not recursive) by base name. */
static GPtrArray *
load_dir(const char *dir)
{
    GPtrArray *files = new_files();
    GDir *d = g_dir_open(dir, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(name));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    for (guint i = 0; i < names->len; i++) {
        char *p = g_build_filename(dir, names->pdata[i], NULL);
        char *data = NULL;
        gsize len = 0;
        if (g_file_test(p, G_FILE_TEST_IS_REGULAR) && g_file_get_contents(p, &data, &len, NULL))
            add_file(files, names->pdata[i], data, (gssize)len);
        g_free(data);
        g_free(p);
    }
    g_ptr_array_unref(names);
    return files;
}

/* ---- tests ---- */

static void
test_sample_property(void)
{
    MsmRegistry *reg = msm_registry_new();
    const struct {
        const char *version;
        guint users;
        guint64 seed;
    } cases[] = {{"ms-7.0", 2, 1}, {"ms-7.0", 5, 2}, {"ms-7.0", 12, 3}, {"ms-7.0", 30, 99},
                 {"ms-6.3", 4, 5}, {"ms-8.1", 4, 6}};
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        char *dir = g_build_filename(msm_test_tmpdir(), "s", NULL);
        MsmSampleSpec spec = {cases[i].version, cases[i].users, cases[i].seed, NULL, 1};
        MsmSampleResult res = {0};
        GError *err = NULL;
        CU_ASSERT_TRUE_FATAL(msm_sample_write(reg, &spec, dir, &res, &err));
        char *cdir = g_build_filename(dir, "config", NULL);
        GPtrArray *files = load_dir(cdir);
        CU_ASSERT_TRUE(find_file(files, "msg.conf") != NULL);
        CU_ASSERT_TRUE(find_file(files, "imta.cnf") != NULL);
        guint n = round_trip(files);
        CU_ASSERT_TRUE(n >= 60); /* the sample has that many settings at least */
        g_ptr_array_unref(files);
        g_free(cdir);
        msm_sample_result_clear(&res);
        g_free(dir);
    }
    msm_registry_free(reg);
}

static void
test_hostile_property(void)
{
    GPtrArray *files = new_files();
    add_file(files, "msg.conf",
             "# comment\r\n"
             "service.imap.port = 143\r\n"
             "local.serveruid = mailsrv\r\n"
             "store.quotaexceededmsg = \"quote \\\" and back\\\\slash & <xml> 'apos'\"\r\n"
             "store.quotaexceededmsg;lang-de = \"Ihr Postfach ist voll; l\xc3\xb6schen\"\r\n"
             "service.imap.port = 993\r\n"
             "local.servergid = mail\r\n"
             "service.http.banner = \"\"\r\n"
             "logfile.imta.loglevel = Information",
             -1);
    GString *longv = g_string_new("SPAMFILTER1_CONFIG_FILE=");
    for (int i = 0; i < 500; i++)
        g_string_append(longv, "abcdefghi/");
    g_string_append(longv, "\n");
    char *optdat = g_strconcat("! options\nLOG_CONNECTION=3\nlog_connection = 7\n"
                               "DELIVERY_OPTIONS=*mailbox=$M%$\\$2I$_+$2S@ims-ms-daemon\n",
                               longv->str, "MM_DEBUG=10", NULL);
    add_file(files, "option.dat", optdat, -1);
    g_free(optdat);
    g_string_free(longv, TRUE);
    add_file(files, "tcp_local_option", "ALLOW_ETRNS_PER_SESSION=2\nMAX_CLIENT_THREADS=20\n", -1);
    add_file(files, "odd.chan_option", "LOG_CONNECTION=1\n", -1);
    add_file(files, "tcp_auth_option", "! nothing set here\n", -1);
    add_file(files, "tcp_local_headers.opt", "Received: MAXLINES=20\nX-Spam: RELABEL\n", -1);
    add_file(files, "imta.cnf",
             "! rules\n"
             "siroe.com $U%$D@mail.siroe.com\n"
             "<IMTA_TABLE:internet.rules\n"
             ".intranet.siroe.com $U%$H$D@tcp_intranet-daemon\n"
             "siroe.com $U@dup\n"
             "\n"
             "defaults notices 1 2 4 7 defaulthost siroe.com siroe.com\n"
             "\n"
             "tcp_local smtp mx single_sys pool SMTP_POOL \\\n"
             "  switchchannel maysaslserver saslswitchchannel tcp_auth\n"
             "tcp-daemon\n"
             "alias-host.siroe.com\n"
             "\n"
             "<extra-channels.cnf\n"
             "\n"
             "hold\n"
             "hold-daemon\n"
             "\n"
             "hold\n"
             "hold2-daemon\n",
             -1);
    add_file(files, "mappings",
             "! tables\n"
             "PORT_ACCESS\n"
             "\n"
             "  TCP|*|25|*|*  $Y\n"
             "  *.example.com$ and$ spaces  $N%#[x]\n"
             "  TCP|*|25|*|*  $N\n"
             "<more-port-access\n"
             "\n"
             "EMPTY_TABLE\n"
             "\n"
             "REVERSE\n"
             "\n"
             "  joe@siroe.com  Joe.Smith@siroe.com\n",
             -1);
    add_file(files, "job_controller.cnf",
             "tcp_port=27442\nsecret=s3cr3t\n[POOL=DEFAULT]\njob_limit=10\n[POOL=EMPTY]\n"
             "[CHANNEL=tcp_*]\nmaster_command=/opt/lib/tcp_smtp_client\n",
             -1);
    add_file(files, "dispatcher.cnf",
             "MIN_PROCS=0\nMAX_CONNS=16%20\n[SERVICE=SMTP]\nPORT=25\n[SERVICE=SMTP_SUBMIT]\n"
             "PORT=587\nTLS_PORT=465\n",
             -1);
    add_file(files, "conversions",
             "in-chan=tcp_*; out-chan=ims-ms; in-type=application; in-subtype=*;\n"
             "  out-type=text; command=\"/bin/conv $INPUT_FILE\"\n"
             "\n"
             "in-chan=l; out-chan=*; in-type=image\n",
             -1);
    add_file(files, "internet.rules", "com $U%$D@tcp_local-daemon\nnet $U%$D@tcp_local-daemon\n",
             -1);
    add_file(files, "aliases", "postmaster: joe@siroe.com\n", -1);
    add_file(files, "imta_tailor", "IMTA_USER=mailsrv\n", -1);
    add_file(files, "msg.conf.defaults", "service.imap.port = 143\n", -1);
    add_file(files, "sub/tcp_x_option", "X=1\n", -1); /* not top level: kept separate */
    guint n = round_trip(files);
    CU_ASSERT_TRUE(n >= 40);
    /* restricted names went to restricted.cnf, not config.xml */
    GError *err = NULL;
    GPtrArray *uc = msm_uc_from_legacy(files, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(uc);
    const MsmConfigFile *r = find_file(uc, "restricted.cnf");
    const char *rt = g_bytes_get_data(r->content, NULL);
    CU_ASSERT_PTR_NOT_NULL(strstr(rt, "local.serveruid=mailsrv\n"));
    const MsmConfigFile *x = find_file(uc, "config.xml");
    char *xt = g_strndup(g_bytes_get_data(x->content, NULL), g_bytes_get_size(x->content));
    CU_ASSERT_PTR_NULL(strstr(xt, "serveruid"));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(xt, "name=\"channel:tcp_local.options.ALLOW_ETRNS_PER_SESSION\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(xt, "name=\"channel:odd%2Echan.options.LOG_CONNECTION\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(xt, "name=\"mapping.[PORT_ACCESS]\" value=\"\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(xt, "name=\"job_controller.[POOL=EMPTY]\""));
    CU_ASSERT_PTR_NOT_NULL(
        strstr(xt, "name=\"rewrite.%include\" value=\"&lt;IMTA_TABLE:internet.rules\""));
    g_free(xt);
    g_ptr_array_unref(uc);
    g_ptr_array_unref(files);
}

/* Expects from_legacy to fail with a message containing want. */
static void
expect_from_error(GPtrArray *files, const char *want)
{
    GError *err = NULL;
    GPtrArray *uc = msm_uc_from_legacy(files, &err);
    CU_ASSERT_PTR_NULL(uc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    if (strstr(err->message, want) == NULL)
        fprintf(stderr, "want \"%s\" in \"%s\"\n", want, err->message);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, want));
    g_clear_error(&err);
    if (uc)
        g_ptr_array_unref(uc);
}

static void
expect_to_error(const char *xml, const char *want)
{
    GPtrArray *files = new_files();
    add_file(files, "config.xml", xml, -1);
    GError *err = NULL;
    GPtrArray *back = msm_uc_to_legacy(files, &err);
    CU_ASSERT_PTR_NULL(back);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    if (strstr(err->message, want) == NULL)
        fprintf(stderr, "want \"%s\" in \"%s\"\n", want, err->message);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, want));
    g_clear_error(&err);
    if (back)
        g_ptr_array_unref(back);
    g_ptr_array_unref(files);
}

static void
test_errors_name_the_line(void)
{
    GPtrArray *f = new_files();
    add_file(f, "msg.conf", "a.b = 1\nthis is not a parameter line\n", -1);
    expect_from_error(f, "msg.conf:2:");
    g_ptr_array_unref(f);

    f = new_files();
    add_file(f, "option.dat", "A=1\nB=caf\xe9\n", -1);
    expect_from_error(f, "option.dat:2:");
    g_ptr_array_unref(f);

    f = new_files();
    add_file(f, "msg.conf", "ok.name = 1\n\nmta.log = 2\n", -1);
    expect_from_error(f, "msg.conf:3:");
    g_ptr_array_unref(f);

    f = new_files();
    add_file(f, "msg.conf", "local.serveruid = \"  padded \"\n", -1);
    expect_from_error(f, "msg.conf:1:");
    g_ptr_array_unref(f);

    f = new_files();
    add_file(f, "config.xml", "<configuration/>\n", -1);
    expect_from_error(f, "already in Unified Configuration");
    g_ptr_array_unref(f);

    expect_to_error("<configuration version=\"1\">\n"
                    "  <option name=\"a.b\" value=\"1\"/>\n"
                    "  <option name=\"channel:tcp_local.colour\" value=\"blue\"/>\n"
                    "</configuration>\n",
                    "config.xml:3:");
    expect_to_error("<configuration version=\"1\">\n"
                    "  <frobnicate/>\n"
                    "</configuration>\n",
                    "config.xml:2:");
    expect_to_error("<configuration version=\"1\">\n"
                    "  <option name=\"channel:x.hosts\" value=\"h\"/>\n"
                    "</configuration>\n",
                    "config.xml:2:");
    expect_to_error("<configuration version=\"1\">\n"
                    "  <option name=\"channel:tcp_local.keywords\" value=\"smtp\"/>\n"
                    "  <option name=\"rewrite.rule\" value=\"a b\"/>\n"
                    "</configuration>\n",
                    "config.xml:3:");
    expect_to_error("<configuration version=\"1\">\n"
                    "  <option name=\"mapping.[T].x%zz\" value=\"1\"/>\n"
                    "</configuration>\n",
                    "config.xml:2:");
    /* a value the legacy syntax cannot carry (a line end in an option.dat value) */
    expect_to_error("<configuration version=\"1\">\n"
                    "  <option name=\"mta.A\" value=\"1&#10;B=2\"/>\n"
                    "</configuration>\n",
                    "config.xml:2:");
}

/* Nested groups in config.xml (the model's other form) convert the same way. */
static void
test_nested_groups(void)
{
    GPtrArray *files = new_files();
    add_file(files, "config.xml",
             "<?xml version=\"1.0\"?>\n<configuration version=\"1\">\n"
             "  <group name=\"channel:tcp_local\">\n"
             "    <group name=\"options\">\n"
             "      <option name=\"ALLOW_ETRNS_PER_SESSION\" value=\"2\"/>\n"
             "    </group>\n"
             "    <option name=\"keywords\" value=\"smtp mx\"/>\n"
             "    <option name=\"hosts\" value=\"tcp-daemon\"/>\n"
             "  </group>\n"
             "  <option name=\"service.imap.port\" value=\"143\"/>\n"
             "</configuration>\n",
             -1);
    add_file(files, "restricted.cnf", "local.serveruid=mailsrv\n", -1);
    GError *err = NULL;
    GPtrArray *back = msm_uc_to_legacy(files, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    const MsmConfigFile *o = find_file(back, "tcp_local_option");
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_TRUE(g_bytes_get_size(o->content) == strlen("ALLOW_ETRNS_PER_SESSION=2\n"));
    const MsmConfigFile *m = find_file(back, "msg.conf");
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    char *mt = g_strndup(g_bytes_get_data(m->content, NULL), g_bytes_get_size(m->content));
    CU_ASSERT_STRING_EQUAL(mt, "service.imap.port = 143\nlocal.serveruid = mailsrv\n");
    g_free(mt);
    const MsmConfigFile *im = find_file(back, "imta.cnf");
    CU_ASSERT_PTR_NOT_NULL_FATAL(im);
    char *it = g_strndup(g_bytes_get_data(im->content, NULL), g_bytes_get_size(im->content));
    CU_ASSERT_STRING_EQUAL(it, "\ntcp_local smtp mx\ntcp-daemon\n");
    g_free(it);
    g_ptr_array_unref(back);
    g_ptr_array_unref(files);
}

/* Found by tests/fuzz/fuzz-uc.c: table names without their blank line, one defined
 * twice, a control character in a name. The legacy file carries warnings (not
 * verbatim lines), so it converts, and converting back must not refuse it. */
static void
test_fuzz_regressions(void)
{
    GPtrArray *files = new_files();
    add_file(files, "mappings",
             "IMTA_ALIAS_DATAB\003IMTA_ALIAS_DATABASE=msg_svr_base/data/db/aliasesdb\n"
             "IMTA_ALIAS_FILE=msg_svr_base/config/aliases\n"
             "ASE=msg_svr_base/data/db/aliasesdb\n"
             "IMTA_ALIAS_FILE=msg_svr_base/config/aliases\n",
             -1);
    round_trip(files);
    g_ptr_array_unref(files);
    /* a conversion entry whose last line is a comment keeps its final ";" */
    files = new_files();
    add_file(files, "conversions",
             "in-chan=tcp_local; out-chan=ims-ms; in-type=application; in-subtype=ms-tnef;\n"
             "  out-type=application; out-subtype=octet-stream; out-mode=block;\n"
             "  !command=\"/usr/local/bin/convert\n"
             "\n"
             "in-chan=a;; out-chan=b;  in-type=c\n",
             -1);
    round_trip(files);
    g_ptr_array_unref(files);
}

MSM_TEST_MAIN("uc", MSM_TEST(test_fuzz_regressions), MSM_TEST(test_sample_property),
              MSM_TEST(test_hostile_property),
              MSM_TEST(test_errors_name_the_line), MSM_TEST(test_nested_groups))
