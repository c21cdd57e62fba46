/*
 * NAME
 *	test-conf-other.c - unit tests of core/conf-other.c (sims.cnf, mmp.cfg,
 *	config.xml, restricted.cnf, nsmsgcfg.ldif)
 * DESCRIPTION
 *	For each format a realistic sample round-trips byte for byte (as is,
 *	with CR LF line ends, without the final newline); lookups return the
 *	documented identities and values; a change touches only its line; a
 *	new entry lands where docs/formats/conf-<name>.md says; removal takes
 *	only its entity; constructs outside a grammar stay verbatim with a
 *	warning naming the line. A seeded property test round-trips 200
 *	random documents of each format and re-reads changed values.
 */
#include "config.h"

#include "testutil.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include <stdio.h>
#include <string.h>

extern const MsmConfFormat msm_conf_format_sims_cnf;
extern const MsmConfFormat msm_conf_format_mmp_cfg;
extern const MsmConfFormat msm_conf_format_config_xml;
extern const MsmConfFormat msm_conf_format_restricted_cnf;
extern const MsmConfFormat msm_conf_format_nsmsgcfg_ldif;

/* ---------------------------------------------------------------------- */
/* helpers */

/* Parses text (asserting success) as fmt under name. (transfer full) */
static MsmConfDoc *
parse(const MsmConfFormat *fmt, const char *name, const char *text)
{
    GError *error = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(fmt, name, text, strlen(text), &error);
    if (error)
        fprintf(stderr, "parse: %s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    return doc;
}

/* The document's bytes as a string. (transfer full) */
static char *
serialize(const MsmConfDoc *doc)
{
    GBytes *b = msm_confdoc_serialize(doc);
    gsize len = 0;
    const char *data = g_bytes_get_data(b, &len);
    char *s = g_strndup(data ? data : "", len);
    g_bytes_unref(b);
    return s;
}

/* TRUE if serialising the parse of text gives text again; reports a difference. */
static gboolean
round_trips(const MsmConfFormat *fmt, const char *text)
{
    GError *error = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(fmt, "t", text, strlen(text), &error);
    if (doc == NULL) {
        fprintf(stderr, "%s: %s\n", fmt->name, error->message);
        g_error_free(error);
        return FALSE;
    }
    char *out = serialize(doc);
    gboolean same = strcmp(out, text) == 0;
    if (!same)
        fprintf(stderr, "%s: round trip differs:\n[%s]\n[%s]\n", fmt->name, text, out);
    g_free(out);
    msm_confdoc_free(doc);
    return same;
}

/* text with every "\n" made "\r\n". (transfer full) */
static char *
to_crlf(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            g_string_append_c(s, '\r');
        g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* Asserts the sample round-trips as is, with CR LF, and without its final newline,
 * and that all three give the same identities and values. */
static void
assert_round_trips(const MsmConfFormat *fmt, const char *text)
{
    char *crlf = to_crlf(text);
    char *cut = g_strdup(text);
    gsize n = strlen(cut);
    if (n && cut[n - 1] == '\n')
        cut[n - 1] = '\0';
    const char *variants[] = {text, crlf, cut};
    GPtrArray *first = NULL;
    MsmConfDoc *first_doc = NULL;
    for (guint v = 0; v < G_N_ELEMENTS(variants); v++) {
        CU_ASSERT_TRUE(round_trips(fmt, variants[v]));
        MsmConfDoc *doc = parse(fmt, "t", variants[v]);
        GPtrArray *entries = msm_confdoc_entries(doc);
        if (first == NULL) {
            first = entries;
            first_doc = doc;
            continue;
        }
        CU_ASSERT_EQUAL(entries->len, first->len);
        for (guint i = 0; i < MIN(entries->len, first->len); i++) {
            const MsmConfNode *a = first->pdata[i], *b = entries->pdata[i];
            CU_ASSERT_STRING_EQUAL(a->section, b->section);
            CU_ASSERT_STRING_EQUAL(a->key, b->key);
            CU_ASSERT_STRING_EQUAL(a->value, b->value);
        }
        g_ptr_array_unref(entries);
        msm_confdoc_free(doc);
    }
    g_ptr_array_unref(first);
    msm_confdoc_free(first_doc);
    g_free(cut);
    g_free(crlf);
}

/* Asserts that (section, key) is found with value. */
static void
assert_value(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    const MsmConfNode *n = msm_confdoc_find(doc, section, key);
    if (n == NULL || g_strcmp0(n->value, value) != 0)
        fprintf(stderr, "[%s] %s: got %s, wanted %s\n", section, key, n ? n->value : "(none)",
                value);
    CU_ASSERT_PTR_NOT_NULL(n);
    CU_ASSERT_STRING_EQUAL(n ? n->value : "", value);
}

/* Asserts the document's bytes are expected. */
static void
assert_text(const MsmConfDoc *doc, const char *expected)
{
    char *out = serialize(doc);
    if (strcmp(out, expected) != 0)
        fprintf(stderr, "got:\n[%s]\nwanted:\n[%s]\n", out, expected);
    CU_ASSERT_STRING_EQUAL(out, expected);
    g_free(out);
}

/* text with the first occurrence of from replaced by to. (transfer full) */
static char *
replace_once(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    return g_strdup_printf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
}

/* Parses text, sets (section, key) to value, asserts the result is expected and
 * re-reads the value from it. */
static void
assert_set(const MsmConfFormat *fmt, const char *text, const char *section, const char *key,
           const char *value, const char *expected)
{
    MsmConfDoc *doc = parse(fmt, "t", text);
    GError *error = NULL;
    CU_ASSERT_TRUE(msm_confdoc_set(doc, section, key, value, &error));
    CU_ASSERT_PTR_NULL(error);
    assert_text(doc, expected);
    char *out = serialize(doc);
    MsmConfDoc *again = parse(fmt, "t", out);
    assert_value(again, section, key, value);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(again)->len, msm_confdoc_warnings(doc)->len);
    msm_confdoc_free(again);
    g_free(out);
    msm_confdoc_free(doc);
}

/* Parses text, removes (section, key), asserts the result is expected. */
static void
assert_remove(const MsmConfFormat *fmt, const char *text, const char *section, const char *key,
              const char *expected)
{
    MsmConfDoc *doc = parse(fmt, "t", text);
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, section, key));
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, section, key));
    assert_text(doc, expected);
    msm_confdoc_free(doc);
}

/* Asserts doc has exactly the warnings that begin with the given prefixes. */
static void
assert_warnings(const MsmConfDoc *doc, const char *const *prefixes)
{
    GPtrArray *w = msm_confdoc_warnings(doc);
    guint n = 0;
    for (; prefixes[n]; n++) {
        CU_ASSERT_TRUE(n < w->len && g_str_has_prefix(w->pdata[n], prefixes[n]));
        if (n < w->len && !g_str_has_prefix(w->pdata[n], prefixes[n]))
            fprintf(stderr, "warning %u: %s (wanted %s...)\n", n, (char *)w->pdata[n], prefixes[n]);
    }
    CU_ASSERT_EQUAL(w->len, n);
}

/* Asserts node i is of type with the given raw text. */
static void
assert_node(const MsmConfDoc *doc, guint i, MsmConfNodeType type, const char *raw)
{
    const MsmConfNode *n = msm_confdoc_node(doc, i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->type, type);
    CU_ASSERT_STRING_EQUAL(n->raw->str, raw);
}

/* ---------------------------------------------------------------------- */
/* format table */

static void
test_for_file(void)
{
    const struct {
        const char *path;
        const MsmConfFormat *fmt;
    } map[] = {
        {"etc/opt/SUNWmail/ims/ims.cnf", &msm_conf_format_sims_cnf},
        {"etc/opt/SUNWmail/sims.cnf", &msm_conf_format_sims_cnf},
        {"etc/opt/SUNWmail/simsr.cnf", &msm_conf_format_sims_cnf},
        {"config/ImapProxyAService.cfg", &msm_conf_format_mmp_cfg},
        {"config/PopProxyAService-def.cfg", &msm_conf_format_mmp_cfg},
        {"config/SmtpProxyAService.cfg", &msm_conf_format_mmp_cfg},
        {"config/AService.cfg", &msm_conf_format_mmp_cfg},
        {"config/config.xml", &msm_conf_format_config_xml},
        {"config/restricted.cnf", &msm_conf_format_restricted_cnf},
        {"export/netscaperoot.ldif", &msm_conf_format_nsmsgcfg_ldif},
        {"export/mail.example.com.nsmsgcfg.ldif", &msm_conf_format_nsmsgcfg_ldif},
    };
    for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
        const MsmConfFormat *f = msm_conf_format_for_file(map[i].path);
        if (f != map[i].fmt)
            fprintf(stderr, "%s -> %s\n", map[i].path, f ? f->name : "(none)");
        CU_ASSERT_PTR_EQUAL(f, map[i].fmt);
    }
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("sims.cnf"), &msm_conf_format_sims_cnf);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("mmp.cfg"), &msm_conf_format_mmp_cfg);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("config.xml"), &msm_conf_format_config_xml);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("restricted.cnf"), &msm_conf_format_restricted_cnf);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("nsmsgcfg.ldif"), &msm_conf_format_nsmsgcfg_ldif);
    CU_ASSERT_PTR_NULL(msm_conf_format_for_file("config/ImapProxy.cfgx"));
}

/* Every format refuses a NUL byte with MSM_ERROR_PARSE naming the line. */
static void
test_nul_refused(void)
{
    const MsmConfFormat *fmts[] = {&msm_conf_format_sims_cnf, &msm_conf_format_mmp_cfg,
                                   &msm_conf_format_config_xml, &msm_conf_format_restricted_cnf,
                                   &msm_conf_format_nsmsgcfg_ldif};
    const char data[] = "a b\nc\0d\n";
    for (guint i = 0; i < G_N_ELEMENTS(fmts); i++) {
        GError *error = NULL;
        MsmConfDoc *doc = msm_confdoc_parse(fmts[i], "f.x", data, sizeof data - 1, &error);
        CU_ASSERT_PTR_NULL(doc);
        CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_PARSE));
        CU_ASSERT_TRUE(error && g_str_has_prefix(error->message, "f.x:2:"));
        g_clear_error(&error);
        msm_confdoc_free(doc);
    }
}

/* ---------------------------------------------------------------------- */
/* sims.cnf */

static const char sims_sample[] = "# ims.cnf - SIMS 4.0 message access and store\n"
                                  "ims-ldap-server ldap.example.com\n"
                                  "ims-basedn o=example.com\n"
                                  "ims-varmail OFF\n"
                                  "ims-proxy OFF\n"
                                  "\n"
                                  "ims-bind-address *(pop3=110:imap=143)\n"
                                  "ims-bind-address 192.0.2.10(imap=993,1143)\n"
                                  "ims-user-root /var/opt/SUNWmail/ims/user\n"
                                  "ims-index-root /var/opt/SUNWmail/ims/index\n"
                                  "ims-data-root\t/var/opt/SUNWmail/ims/data  \n"
                                  "ims-hash-root /var/opt/SUNWmail/ims/hash\n"
                                  "ims-adm-root /var/opt/SUNWmail/ims/adm\n"
                                  "ims-shared-root /var/opt/SUNWmail/ims/shared\n";

static void
test_sims_round_trip_and_find(void)
{
    assert_round_trips(&msm_conf_format_sims_cnf, sims_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_sims_cnf, "ims.cnf", sims_sample);
    assert_value(doc, "", "ims-ldap-server", "ldap.example.com");
    assert_value(doc, "", "ims-basedn", "o=example.com");
    assert_value(doc, "", "ims-bind-address", "*(pop3=110:imap=143)");
    assert_value(doc, "", "ims-bind-address#2", "192.0.2.10(imap=993,1143)");
    assert_value(doc, "", "ims-user-root", "/var/opt/SUNWmail/ims/user");
    assert_value(doc, "", "ims-data-root", "/var/opt/SUNWmail/ims/data");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "IMS-USER-ROOT"));
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "ims-bind-address#3"));
    GPtrArray *e = msm_confdoc_entries(doc);
    CU_ASSERT_EQUAL(e->len, 12);
    g_ptr_array_unref(e);
    assert_node(doc, 0, MSM_CONF_COMMENT, "# ims.cnf - SIMS 4.0 message access and store\n");
    assert_node(doc, 5, MSM_CONF_BLANK, "\n");
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    msm_confdoc_free(doc);
}

static void
test_sims_change(void)
{
    char *want = replace_once(sims_sample, "ims-bind-address 192.0.2.10(imap=993,1143)\n",
                              "ims-bind-address 192.0.2.20(imap=143)\n");
    assert_set(&msm_conf_format_sims_cnf, sims_sample, "", "ims-bind-address#2",
               "192.0.2.20(imap=143)", want);
    g_free(want);
    want = replace_once(sims_sample, "ims-user-root /var/opt/SUNWmail/ims/user\n",
                        "ims-user-root /export/ims/user\n");
    assert_set(&msm_conf_format_sims_cnf, sims_sample, "", "ims-user-root", "/export/ims/user",
               want);
    g_free(want);
    /* a new key after the last entry; a third bind address */
    want = g_strconcat(sims_sample, "ims-bind-address 198.51.100.1\n", NULL);
    assert_set(&msm_conf_format_sims_cnf, sims_sample, "", "ims-bind-address#3", "198.51.100.1",
               want);
    g_free(want);
    want = replace_once(sims_sample, "ims-bind-address *(pop3=110:imap=143)\n", "");
    assert_remove(&msm_conf_format_sims_cnf, sims_sample, "", "ims-bind-address", want);
    g_free(want);
}

static void
test_sims_verbatim(void)
{
    const char text[] = "ims-proxy ON\n[store]\n  # indented comment\nims-varmail\n";
    CU_ASSERT_TRUE(round_trips(&msm_conf_format_sims_cnf, text));
    MsmConfDoc *doc = parse(&msm_conf_format_sims_cnf, "ims.cnf", text);
    assert_node(doc, 1, MSM_CONF_VERBATIM, "[store]\n");
    assert_node(doc, 2, MSM_CONF_COMMENT, "  # indented comment\n");
    assert_value(doc, "", "ims-varmail", "");
    const char *w[] = {"ims.cnf:2: ", NULL};
    assert_warnings(doc, w);
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* mmp.cfg */

static const char mmp_sample[] = "# ImapProxyAService.cfg\n"
                                 "! written by the installer\n"
                                 "default:LdapUrl ldap://ldap.example.com:389/o=internet\n"
                                 "default:BindDN cn=Directory Manager\n"
                                 "default:BindPass s3cret\n"
                                 "default:DefaultDomain example.com\n"
                                 "default:UserGroupDN o=internet\n"
                                 "\n"
                                 "default:LdapCacheTTL 900\n"
                                 "default:AuthCacheTTL\t900\n"
                                 "default:SmtpRelays relay1.example.com\n"
                                 "default:SmtpRelays relay2.example.com\n";

static void
test_mmp_round_trip_and_find(void)
{
    assert_round_trips(&msm_conf_format_mmp_cfg, mmp_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_mmp_cfg, "ImapProxyAService.cfg", mmp_sample);
    assert_value(doc, "default", "LdapUrl", "ldap://ldap.example.com:389/o=internet");
    assert_value(doc, "default", "ldapurl", "ldap://ldap.example.com:389/o=internet");
    assert_value(doc, "DEFAULT", "binddn", "cn=Directory Manager");
    assert_value(doc, "default", "AuthCacheTTL", "900");
    assert_value(doc, "default", "SmtpRelays", "relay1.example.com");
    assert_value(doc, "default", "SmtpRelays#2", "relay2.example.com");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "LdapUrl"));
    const MsmConfNode *n = msm_confdoc_find(doc, "default", "usergroupdn");
    CU_ASSERT_STRING_EQUAL(n->key, "UserGroupDN");
    CU_ASSERT_STRING_EQUAL(n->section, "default");
    assert_node(doc, 0, MSM_CONF_COMMENT, "# ImapProxyAService.cfg\n");
    assert_node(doc, 1, MSM_CONF_COMMENT, "! written by the installer\n");
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    msm_confdoc_free(doc);
}

static void
test_mmp_change(void)
{
    char *want = replace_once(mmp_sample, "default:LdapCacheTTL 900\n", "default:LdapCacheTTL 0\n");
    assert_set(&msm_conf_format_mmp_cfg, mmp_sample, "default", "LdapCacheTTL", "0", want);
    g_free(want);
    want = replace_once(mmp_sample, "default:AuthCacheTTL\t900\n", "default:AuthCacheTTL 0\n");
    assert_set(&msm_conf_format_mmp_cfg, mmp_sample, "default", "AuthCacheTTL", "0", want);
    g_free(want);
    want = g_strconcat(mmp_sample, "default:ServiceList IMAP4|143\n", NULL);
    assert_set(&msm_conf_format_mmp_cfg, mmp_sample, "default", "ServiceList", "IMAP4|143", want);
    g_free(want);
    /* a new scope starts at the end with its first entry */
    want = g_strconcat(mmp_sample, "imap:Timeout 1800\n", NULL);
    assert_set(&msm_conf_format_mmp_cfg, mmp_sample, "imap", "Timeout", "1800", want);
    g_free(want);
    want = replace_once(mmp_sample, "default:BindPass s3cret\n", "");
    assert_remove(&msm_conf_format_mmp_cfg, mmp_sample, "default", "BindPass", want);
    g_free(want);
}

static void
test_mmp_verbatim(void)
{
    const char text[] = "default:LdapUrl ldap://a/\nLdapUrl ldap://b/\n:Empty x\ndefault:\n";
    CU_ASSERT_TRUE(round_trips(&msm_conf_format_mmp_cfg, text));
    MsmConfDoc *doc = parse(&msm_conf_format_mmp_cfg, "AService.cfg", text);
    const char *w[] = {"AService.cfg:2: ", "AService.cfg:3: ", "AService.cfg:4: ", NULL};
    assert_warnings(doc, w);
    assert_node(doc, 1, MSM_CONF_VERBATIM, "LdapUrl ldap://b/\n");
    GPtrArray *e = msm_confdoc_entries(doc);
    CU_ASSERT_EQUAL(e->len, 1);
    g_ptr_array_unref(e);
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* restricted.cnf */

static const char restricted_sample[] = "! restricted.cnf - owned by root\n"
                                        "userid=mailsrv\n"
                                        "groupid = mail\n"
                                        "\n"
                                        "# another comment\n"
                                        "userid=mailsrv2\n";

static void
test_restricted(void)
{
    assert_round_trips(&msm_conf_format_restricted_cnf, restricted_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_restricted_cnf, "restricted.cnf", restricted_sample);
    assert_value(doc, "", "userid", "mailsrv");
    assert_value(doc, "", "GROUPID", "mail");
    assert_value(doc, "", "userid#2", "mailsrv2");
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    msm_confdoc_free(doc);
    char *want = replace_once(restricted_sample, "groupid = mail\n", "groupid=other\n");
    assert_set(&msm_conf_format_restricted_cnf, restricted_sample, "", "groupid", "other", want);
    g_free(want);
    want = g_strconcat(restricted_sample, "tmpdir=/var/tmp\n", NULL);
    assert_set(&msm_conf_format_restricted_cnf, restricted_sample, "", "tmpdir", "/var/tmp", want);
    g_free(want);
    want = replace_once(restricted_sample, "userid=mailsrv\n", "");
    assert_remove(&msm_conf_format_restricted_cnf, restricted_sample, "", "userid", want);
    g_free(want);

    const char bad[] = "userid=mailsrv\njust words\n=value\n";
    CU_ASSERT_TRUE(round_trips(&msm_conf_format_restricted_cnf, bad));
    doc = parse(&msm_conf_format_restricted_cnf, "restricted.cnf", bad);
    const char *w[] = {"restricted.cnf:2: ", "restricted.cnf:3: ", NULL};
    assert_warnings(doc, w);
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* config.xml */

static const char xml_sample[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<!-- Unified Configuration, msmigrate model -->\n"
    "<configuration version=\"1\">\n"
    "  <option name=\"ugldapbinddn\" value=\"cn=Directory Manager\"/>\n"
    "  <group name=\"domainmap\">\n"
    "    <option name=\"debug\" value=\"0\"/>\n"
    "  </group>\n"
    "  <group name=\"channel:tcp_local\">\n"
    "    <option name=\"saslswitchchannel\" value=\"tcp_auth\"/>\n"
    "    <group name=\"options\">\n"
    "      <option name=\"ALLOW_ETRNS_PER_SESSION\" value=\"2\"/>\n"
    "    </group>\n"
    "  </group>\n"
    "  <!--\n"
    "    options written flat, by their full msconfig name\n"
    "  -->\n"
    "  <option name='channel:tcp_intranet.options.ALLOW_ETRNS_PER_SESSION' value='1'/>\n"
    "  <option name=\"certmap.default.dncomps\" value=\"&quot;a&amp;b&quot; &lt;x&gt; &#233;\" />\n"
    "</configuration>\n";

static void
test_xml_round_trip_and_find(void)
{
    assert_round_trips(&msm_conf_format_config_xml, xml_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_config_xml, "config.xml", xml_sample);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    assert_value(doc, "", "ugldapbinddn", "cn=Directory Manager");
    assert_value(doc, "", "domainmap.debug", "0");
    assert_value(doc, "", "channel:tcp_local.saslswitchchannel", "tcp_auth");
    assert_value(doc, "", "channel:tcp_local.options.ALLOW_ETRNS_PER_SESSION", "2");
    assert_value(doc, "", "channel:tcp_local.options.allow_etrns_per_session", "2");
    assert_value(doc, "", "channel:tcp_intranet.options.ALLOW_ETRNS_PER_SESSION", "1");
    assert_value(doc, "", "certmap.default.dncomps", "\"a&b\" <x> \xc3\xa9");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "ALLOW_ETRNS_PER_SESSION"));
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "saslswitchchannel"));
    assert_node(doc, 0, MSM_CONF_COMMENT, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    assert_node(doc, 2, MSM_CONF_SECTION, "<configuration version=\"1\">\n");
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, 2)->key, "");
    assert_node(doc, 4, MSM_CONF_SECTION, "  <group name=\"domainmap\">\n");
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, 4)->key, "domainmap");
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, 9)->key, "channel:tcp_local.options");
    assert_node(doc, 6, MSM_CONF_VERBATIM, "  </group>\n");
    assert_node(doc, 13, MSM_CONF_COMMENT,
                "  <!--\n    options written flat, by their full msconfig name\n  -->\n");
    CU_ASSERT_EQUAL(msm_confdoc_node(doc, 13)->nlines, 3);
    assert_node(doc, 16, MSM_CONF_VERBATIM, "</configuration>\n");
    msm_confdoc_free(doc);
}

static void
test_xml_change(void)
{
    /* nested: the name stays relative to its group, the indentation is kept */
    char *want = replace_once(xml_sample, "value=\"2\"", "value=\"3\"");
    assert_set(&msm_conf_format_config_xml, xml_sample, "",
               "channel:tcp_local.options.ALLOW_ETRNS_PER_SESSION", "3", want);
    g_free(want);
    want = replace_once(xml_sample,
                        "  <option name='channel:tcp_intranet.options.ALLOW_ETRNS_PER_SESSION' "
                        "value='1'/>\n",
                        "  <option name=\"channel:tcp_intranet.options.ALLOW_ETRNS_PER_SESSION\" "
                        "value=\"0\"/>\n");
    assert_set(&msm_conf_format_config_xml, xml_sample, "",
               "channel:tcp_intranet.options.allow_etrns_per_session", "0", want);
    g_free(want);
    /* new: after the last entry, here at the top level before </configuration> */
    want = replace_once(xml_sample, "</configuration>\n",
                        "  <option name=\"ugldapbindcred\" value=\"p&amp;&lt;w&quot;\"/>\n"
                        "</configuration>\n");
    assert_set(&msm_conf_format_config_xml, xml_sample, "", "ugldapbindcred", "p&<w\"", want);
    g_free(want);
    want = replace_once(xml_sample, "    <option name=\"debug\" value=\"0\"/>\n", "");
    assert_remove(&msm_conf_format_config_xml, xml_sample, "", "domainmap.debug", want);
    g_free(want);
}

/* A new option placed after an entry deep in groups. */
static void
test_xml_insert_nested(void)
{
    const char text[] = "<configuration>\n"
                        "  <group name=\"channel:tcp_local\">\n"
                        "    <group name=\"options\">\n"
                        "      <option name=\"A\" value=\"1\"/>\n"
                        "    </group>\n"
                        "  </group>\n"
                        "</configuration>\n";
    /* same group: relative name */
    char *want = replace_once(text, "    </group>\n  </group>\n",
                              "      <option name=\"B\" value=\"2\"/>\n"
                              "    </group>\n  </group>\n");
    assert_set(&msm_conf_format_config_xml, text, "", "channel:tcp_local.options.B", "2", want);
    g_free(want);
    /* the enclosing group: close one group, reopen it */
    want = replace_once(text, "    </group>\n  </group>\n",
                        "    </group>\n"
                        "    <option name=\"saslswitchchannel\" value=\"tcp_auth\"/>\n"
                        "    <group name=\"options\">\n"
                        "    </group>\n  </group>\n");
    assert_set(&msm_conf_format_config_xml, text, "", "channel:tcp_local.saslswitchchannel",
               "tcp_auth", want);
    g_free(want);
    /* a base option: close both, reopen both; the document still reads the same */
    MsmConfDoc *doc = parse(&msm_conf_format_config_xml, "config.xml", text);
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "ugldapbinddn", "cn=x", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "ugldaphost", "ldap", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "ugldapbinddn", "cn=y", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "channel:tcp_local.options.C", "3", NULL));
    char *out = serialize(doc);
    MsmConfDoc *again = parse(&msm_conf_format_config_xml, "config.xml", out);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(again)->len, 0);
    assert_value(again, "", "channel:tcp_local.options.A", "1");
    assert_value(again, "", "ugldapbinddn", "cn=y");
    assert_value(again, "", "ugldaphost", "ldap");
    assert_value(again, "", "channel:tcp_local.options.C", "3");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "    </group>\n"
                                       "  </group>\n"
                                       "  <option name=\"ugldapbinddn\" value=\"cn=y\"/>\n"
                                       "  <group name=\"channel:tcp_local\">\n"
                                       "    <group name=\"options\">\n"));
    CU_ASSERT_TRUE(g_str_has_suffix(out, "</configuration>\n"));
    msm_confdoc_free(again);
    g_free(out);
    msm_confdoc_free(doc);
    /* an empty root: the option goes right after <configuration> */
    assert_set(&msm_conf_format_config_xml, "<configuration>\n</configuration>", "", "a.b", "c",
               "<configuration>\n  <option name=\"a.b\" value=\"c\"/>\n</configuration>");
}

static void
test_xml_verbatim(void)
{
    const char text[] = "<configuration>\n"
                        "  <option name=\"a\" value=\"1\"/>\n"
                        "  <foo bar=\"1\"/>\n"
                        "  <option name=\"b\" value=\"1\" type=\"integer\"/>\n"
                        "  <group name=\"g\" kind=\"x\">\n"
                        "    <option name=\"c\" value=\"1\"/>\n"
                        "  </group>\n"
                        "  <option name=\"d\" value=\"&bogus;\"/>\n"
                        "  </group>\n"
                        "  <!-- ok --> <option name=\"e\" value=\"1\"/>\n"
                        "</configuration>\n"
                        "<option name=\"f\" value=\"1\"/>\n"
                        "<!-- never closed\n";
    CU_ASSERT_TRUE(round_trips(&msm_conf_format_config_xml, text));
    MsmConfDoc *doc = parse(&msm_conf_format_config_xml, "config.xml", text);
    const char *w[] = {
        "config.xml:3: ", "config.xml:4: ",  "config.xml:5: ",  "config.xml:6: ",  "config.xml:8: ",
        "config.xml:9: ", "config.xml:10: ", "config.xml:12: ", "config.xml:13: ", NULL};
    assert_warnings(doc, w);
    GPtrArray *e = msm_confdoc_entries(doc);
    CU_ASSERT_EQUAL(e->len, 1);
    g_ptr_array_unref(e);
    assert_value(doc, "", "a", "1");
    assert_node(doc, 4, MSM_CONF_VERBATIM, "  <group name=\"g\" kind=\"x\">\n");
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* nsmsgcfg.ldif */

/* "Quota exceeded: 10 MB über" in BASE64 */
#define QUOTA_B64 "UXVvdGEgZXhjZWVkZWQ6IDEwIE1CIMO8YmVy"

static const char ldif_sample[] =
    "version: 1\n"
    "# NMS 4.x configuration, exported from o=NetscapeRoot\n"
    "\n"
    "dn: cn=Store, cn=msg-mail, cn=Netscape Messaging Server, cn=Server Group, cn=mail.ex\n"
    " ample.com, ou=example.com, o=NetscapeRoot\n"
    "objectClass: top\n"
    "objectClass: nsmsgCfgStore\n"
    "cn: Store\n"
    "nsmsgDefaultPartition: /var/nsmail/store/partition/prim\n"
    " ary\n"
    "nsmsgDefaultMailboxQuota: 10485760\n"
    "nsmsgQuotaWarn: 90\n"
    "nsmsgQuotaExceededMsg:: " QUOTA_B64 "\n"
    "nsmsgAdmins: uid=admin, ou=Administrators, ou=TopologyManagement, o=NetscapeRoot\n"
    "\n"
    "dn: cn=primary,cn=Store,cn=msg-mail,cn=Netscape Messaging Server,cn=Server Group,cn=m\n"
    " ail.example.com,ou=example.com,o=NetscapeRoot\n"
    "objectClass: top\n"
    "objectClass: nsmsgCfgPartition\n"
    "cn: primary\n"
    "nsmsgPath: /var/nsmail/store/partition/primary\n";

#define STORE_DN                                                                                   \
    "cn=store,cn=msg-mail,cn=netscape messaging server,cn=server group,cn=mail.example.com,"       \
    "ou=example.com,o=netscaperoot"

static void
test_ldif_round_trip_and_find(void)
{
    assert_round_trips(&msm_conf_format_nsmsgcfg_ldif, ldif_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_nsmsgcfg_ldif, "netscaperoot.ldif", ldif_sample);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    assert_node(doc, 0, MSM_CONF_COMMENT, "version: 1\n");
    assert_node(doc, 1, MSM_CONF_COMMENT,
                "# NMS 4.x configuration, exported from o=NetscapeRoot\n");
    const MsmConfNode *s = msm_confdoc_node(doc, 3);
    CU_ASSERT_EQUAL(s->type, MSM_CONF_SECTION);
    CU_ASSERT_STRING_EQUAL(s->key, STORE_DN);
    CU_ASSERT_EQUAL(s->nlines, 2);
    assert_value(doc, STORE_DN, "objectclass", "top");
    assert_value(doc, STORE_DN, "objectclass#2", "nsmsgCfgStore");
    assert_value(doc, STORE_DN, "nsmsgdefaultpartition", "/var/nsmail/store/partition/primary");
    assert_value(doc, STORE_DN, "nsmsgDefaultPartition", "/var/nsmail/store/partition/primary");
    assert_value(doc, STORE_DN, "nsmsgdefaultmailboxquota", "10485760");
    assert_value(doc, STORE_DN, "nsmsgquotaexceededmsg",
                 "Quota exceeded: 10 MB \xc3\xbc"
                 "ber");
    assert_value(doc, "cn=primary," STORE_DN, "nsmsgpath", "/var/nsmail/store/partition/primary");
    assert_value(doc, "cn=primary," STORE_DN, "objectclass#2", "nsmsgCfgPartition");
    const MsmConfNode *n = msm_confdoc_find(doc, STORE_DN, "nsmsgdefaultpartition");
    CU_ASSERT_EQUAL(n->nlines, 2);
    CU_ASSERT_STRING_EQUAL(n->key, "nsmsgdefaultpartition");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "nsmsgpath"));
    msm_confdoc_free(doc);
}

static void
test_ldif_change(void)
{
    /* a folded line replaced by one line */
    char *want =
        replace_once(ldif_sample, "nsmsgDefaultPartition: /var/nsmail/store/partition/prim\n ary\n",
                     "nsmsgDefaultPartition: /export/store/primary\n");
    assert_set(&msm_conf_format_nsmsgcfg_ldif, ldif_sample, STORE_DN, "nsmsgDefaultPartition",
               "/export/store/primary", want);
    g_free(want);
    /* a value that is not a SAFE-STRING is written BASE64 */
    want = replace_once(ldif_sample, "nsmsgQuotaWarn: 90\n", "nsmsgQuotaWarn:: IDkw\n");
    assert_set(&msm_conf_format_nsmsgcfg_ldif, ldif_sample, STORE_DN, "nsmsgquotawarn", " 90",
               want);
    g_free(want);
    /* a new attribute after the record's last one, folded at 76 columns */
    char *longv = g_strnfill(100, 'x');
    char *line = g_strdup_printf("nsmsgExpireStart: %.58s\n %.42s\n", longv, longv);
    char *to = g_strdup_printf("o=NetscapeRoot\n%s\ndn: cn=primary", line);
    want = replace_once(ldif_sample, "o=NetscapeRoot\n\ndn: cn=primary", to);
    g_free(to);
    CU_ASSERT_EQUAL(strlen("nsmsgExpireStart: ") + 58, 76);
    assert_set(&msm_conf_format_nsmsgcfg_ldif, ldif_sample, STORE_DN, "nsmsgExpireStart", longv,
               want);
    g_free(want);
    g_free(line);
    g_free(longv);
    /* a third objectClass value */
    MsmConfDoc *doc = parse(&msm_conf_format_nsmsgcfg_ldif, "n.ldif", ldif_sample);
    CU_ASSERT_TRUE(msm_confdoc_set(doc, STORE_DN, "objectclass#3", "extensibleObject", NULL));
    char *out = serialize(doc);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "o=NetscapeRoot\nobjectclass: extensibleObject\n\n"));
    g_free(out);
    msm_confdoc_free(doc);
    /* a new record at the end */
    want = g_strconcat(ldif_sample, "\ndn: cn=pop,cn=msg-mail\nnsmsgPort: 110\n", NULL);
    assert_set(&msm_conf_format_nsmsgcfg_ldif, ldif_sample, "cn=pop,cn=msg-mail", "nsmsgPort",
               "110", want);
    g_free(want);
    want = replace_once(ldif_sample, "objectClass: nsmsgCfgStore\n", "");
    assert_remove(&msm_conf_format_nsmsgcfg_ldif, ldif_sample, STORE_DN, "objectclass#2", want);
    g_free(want);
}

static void
test_ldif_verbatim(void)
{
    const char text[] = " orphan continuation\n"
                        "cn: outside\n"
                        "\n"
                        "dn: cn=a,o=NetscapeRoot\n"
                        "cn: a\n"
                        "photo:< file:///tmp/a.jpg\n"
                        "bad:: not*base64\n"
                        "# a comment inside\n"
                        "cn: b\n"
                        "\n"
                        "dn: cn=b,o=NetscapeRoot\n"
                        "changetype: modify\n"
                        "replace: cn\n"
                        "cn: c\n"
                        "-\n"
                        "\n"
                        "dn:: !!!\n"
                        "cn: d\n";
    CU_ASSERT_TRUE(round_trips(&msm_conf_format_nsmsgcfg_ldif, text));
    MsmConfDoc *doc = parse(&msm_conf_format_nsmsgcfg_ldif, "n.ldif", text);
    const char *w[] = {
        "n.ldif:1: ", "n.ldif:2: ", "n.ldif:6: ", "n.ldif:7: ", "n.ldif:12: ", "n.ldif:17: ", NULL};
    assert_warnings(doc, w);
    GPtrArray *e = msm_confdoc_entries(doc);
    CU_ASSERT_EQUAL(e->len, 2);
    g_ptr_array_unref(e);
    assert_value(doc, "cn=a,o=netscaperoot", "cn", "a");
    assert_value(doc, "cn=a,o=netscaperoot", "cn#2", "b");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "cn=b,o=netscaperoot", "cn"));
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* property: random documents round-trip, changed values read back */

/* A random element of pool. */
static const char *
pick(GRand *r, const char *const *pool, guint n)
{
    return pool[g_rand_int_range(r, 0, (gint32)n)];
}

/* A random line of fmt's syntax, or of nearby garbage, without its line end. (transfer full) */
static char *
random_line(GRand *r, const MsmConfFormat *fmt)
{
    static const char *const garbage[] = {
        "",  " ",   "\t",   "#",  "!",        "=", ":",   "<",  ">",        "&",  "&amp;", "\"",
        "'", "-->", "<!--", "\r", "\xc3\xa9", "x", "dn:", " y", "</group>", "/>", "::"};
    static const char *const words[] = {"ims-bind-address",
                                        "ims-user-root",
                                        "default:LdapUrl",
                                        "default:BindDN",
                                        "userid",
                                        "a.b",
                                        "value",
                                        "/var/x",
                                        "ldap://h:389/o=x",
                                        "cn=a, o=b",
                                        "1",
                                        ""};
    static const char *const xml[] = {"<configuration version=\"1\">",
                                      "</configuration>",
                                      "<group name=\"g\">",
                                      "<group name=\"channel:tcp_local\">",
                                      "</group>",
                                      "<option name=\"k\" value=\"v\"/>",
                                      "<option name=\"a.b\" value=\"&lt;\"/>",
                                      "<!-- c -->",
                                      "<!--",
                                      "-->",
                                      "<?xml version=\"1.0\"?>",
                                      "<group name=\"x\" y=\"z\">",
                                      "<group name=\"e\"/>"};
    static const char *const ldif[] = {"dn: cn=a, o=B",
                                       "dn:: Y249YQ==",
                                       "cn: x",
                                       "objectClass: top",
                                       " continued",
                                       "attr:: YWJj",
                                       "attr:: !!",
                                       "version: 1",
                                       "# c",
                                       "",
                                       "changetype: add",
                                       "-",
                                       "x:< file:///a"};
    GString *s = g_string_new(NULL);
    guint kind = (guint)g_rand_int_range(r, 0, 4);
    if (kind == 0) {
        guint n = (guint)g_rand_int_range(r, 0, 4);
        for (guint i = 0; i < n; i++)
            g_string_append(s, pick(r, garbage, G_N_ELEMENTS(garbage)));
    } else if (fmt == &msm_conf_format_config_xml) {
        if (g_rand_boolean(r))
            g_string_append(s, "  ");
        g_string_append(s, pick(r, xml, G_N_ELEMENTS(xml)));
    } else if (fmt == &msm_conf_format_nsmsgcfg_ldif) {
        g_string_append(s, pick(r, ldif, G_N_ELEMENTS(ldif)));
    } else {
        g_string_append(s, pick(r, words, G_N_ELEMENTS(words)));
        g_string_append(s, pick(r, (const char *const[]){" ", "\t", "=", " = ", ""}, 5));
        g_string_append(s, pick(r, words, G_N_ELEMENTS(words)));
    }
    if (g_rand_int_range(r, 0, 8) == 0)
        g_string_append(s, pick(r, garbage, G_N_ELEMENTS(garbage)));
    return g_string_free(s, FALSE);
}

static void
test_property_random_documents(void)
{
    const MsmConfFormat *fmts[] = {&msm_conf_format_sims_cnf, &msm_conf_format_mmp_cfg,
                                   &msm_conf_format_config_xml, &msm_conf_format_restricted_cnf,
                                   &msm_conf_format_nsmsgcfg_ldif};
    GRand *r = g_rand_new_with_seed(20240607);
    guint failures = 0, changed = 0;
    for (guint f = 0; f < G_N_ELEMENTS(fmts); f++) {
        for (guint d = 0; d < 200; d++) {
            GString *text = g_string_new(NULL);
            guint nlines = (guint)g_rand_int_range(r, 0, 25);
            for (guint i = 0; i < nlines; i++) {
                char *line = random_line(r, fmts[f]);
                g_string_append(text, line);
                g_free(line);
                if (i + 1 < nlines || g_rand_boolean(r))
                    g_string_append(text, g_rand_boolean(r) ? "\n" : "\r\n");
            }
            if (!round_trips(fmts[f], text->str))
                failures++;
            /* change every entry to a fresh value; each reads back from the result */
            MsmConfDoc *doc = msm_confdoc_parse(fmts[f], "p", text->str, text->len, NULL);
            if (doc) {
                GPtrArray *e = msm_confdoc_entries(doc);
                GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
                for (guint i = 0; i < e->len; i++) {
                    const MsmConfNode *n = e->pdata[i];
                    g_ptr_array_add(ids, g_strdup(n->section));
                    g_ptr_array_add(ids, g_strdup(n->key));
                }
                g_ptr_array_unref(e);
                for (guint i = 0; i < ids->len; i += 2) {
                    char *v = g_strdup_printf("v%u", i);
                    if (!msm_confdoc_set(doc, ids->pdata[i], ids->pdata[i + 1], v, NULL))
                        failures++;
                    g_free(v);
                }
                char *out = serialize(doc);
                MsmConfDoc *again = msm_confdoc_parse(fmts[f], "p", out, strlen(out), NULL);
                for (guint i = 0; again && i < ids->len; i += 2) {
                    const MsmConfNode *n =
                        msm_confdoc_find(again, ids->pdata[i], ids->pdata[i + 1]);
                    char *v = g_strdup_printf("v%u", i);
                    if (n == NULL || strcmp(n->value, v) != 0) {
                        failures++;
                        fprintf(stderr, "%s: [%s] %s lost in:\n%s\n", fmts[f]->name,
                                (char *)ids->pdata[i], (char *)ids->pdata[i + 1], out);
                    }
                    changed++;
                    g_free(v);
                }
                failures += again == NULL;
                msm_confdoc_free(again);
                g_free(out);
                g_ptr_array_unref(ids);
                msm_confdoc_free(doc);
            } else {
                failures++;
            }
            g_string_free(text, TRUE);
        }
    }
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT_TRUE(changed > 500);
    g_rand_free(r);
}

MSM_TEST_MAIN("conf-other", MSM_TEST(test_for_file), MSM_TEST(test_nul_refused),
              MSM_TEST(test_sims_round_trip_and_find), MSM_TEST(test_sims_change),
              MSM_TEST(test_sims_verbatim), MSM_TEST(test_mmp_round_trip_and_find),
              MSM_TEST(test_mmp_change), MSM_TEST(test_mmp_verbatim), MSM_TEST(test_restricted),
              MSM_TEST(test_xml_round_trip_and_find), MSM_TEST(test_xml_change),
              MSM_TEST(test_xml_insert_nested), MSM_TEST(test_xml_verbatim),
              MSM_TEST(test_ldif_round_trip_and_find), MSM_TEST(test_ldif_change),
              MSM_TEST(test_ldif_verbatim), MSM_TEST(test_property_random_documents))
