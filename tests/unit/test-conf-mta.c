/*
 * NAME
 *	test-conf-mta.c - the MTA configuration formats of core/conf-mta.c
 * DESCRIPTION
 *	For imta.cnf, mappings, aliases, conversions, internet.rules and
 *	<channel>_headers.opt: realistic samples (from the domain facts'
 *	examples) round-trip byte for byte, also with CR LF line ends and
 *	without a final newline; lookups return the documented keys and
 *	values; set/remove change only their entity and put new entries
 *	where the format pages say; unknown constructs are kept verbatim
 *	with a warning naming the line; random documents round-trip.
 */
#include "config.h"

#include "testutil.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include <string.h>

extern const MsmConfFormat msm_conf_format_imta_cnf;
extern const MsmConfFormat msm_conf_format_mappings;
extern const MsmConfFormat msm_conf_format_aliases;
extern const MsmConfFormat msm_conf_format_conversions;
extern const MsmConfFormat msm_conf_format_internet_rules;
extern const MsmConfFormat msm_conf_format_headers_opt;

static const char imta_sample[] =
    "! imta.cnf for siroe.com\n"
    "a $U@a-host\n"
    "c $U%c@b-daemon\n"
    "! the local domain\n"
    "siroe.com $U%siroe.com@l\n"
    "<IMTA_TABLE:internet.rules\n"
    "\n"
    "defaults logging notices 1 2 4 7 copywarnpost defaulthost siroe.com siroe.com\n"
    "\n"
    "! delivery channel to local /var/mail store\n"
    "l subdirs 20 viaaliasrequired maxjobs 7 pool LOCAL_POOL\n"
    "mailhost.siroe.com\n"
    "\n"
    "tcp_local smtp mx single_sys identnonenumeric pool SMTP_POOL \\\n"
    "  switchchannel maysaslserver saslswitchchannel tcp_auth maytlsserver \\\n"
    "  inner loopcheck remotehost\n"
    "! the official host name\n"
    "tcp-daemon\n"
    "\n"
    "tcp_intranet smtp mx single_sys subdirs 20 noreverse maxjobs 7 SMTP_POOL maytlsserver "
    "allowswitchchannel saslswitchchannel tcp_auth\n"
    "tcp_intranet-daemon\n";

static const char mappings_sample[] =
    "! access mappings\n"
    "ORIG_SEND_ACCESS\n"
    "\n"
    "  *|*|*|*  $Y\n"
    "  tcp_local|*@siroe$ corp.com|tcp_local|*  $N$ Relaying$ not$ allowed\n"
    "\n"
    "CHARSET-CONVERSION\n"
    "\n"
    "  IN-CHAN=bsout_*;OUT-CHAN=*;CONVERT  Yes\n"
    "  IN-CHAN=tcp_*;OUT-CHAN=l;CONVERT \\\n"
    "    No\n"
    "</opt/SUNWmsgsr/config/extra.mappings\n"
    "\n"
    "PORT_ACCESS\n"
    "\n"
    "  TCP|*|25|*|*  $Y\n";

static const char aliases_sample[] = "! aliases not in LDAP\n"
                                     "postmaster: root@siroe.com\n"
                                     "mailsrv@siroe.com: mailsrv@native-daemon\n"
                                     "\n"
                                     "staff: alice@siroe.com, bob@siroe.com, \\\n"
                                     "  carol@siroe.com\n"
                                     "<IMTA_TABLE:aliases.local\n";

static const char conversions_sample[] =
    "! conversions\n"
    "in-chan=tcp_local; out-chan=l; in-type=application; in-subtype=msword;\n"
    "  out-type=text; out-subtype=plain; command=\"/opt/bin/doc2txt $INPUT_FILE\"\n"
    "\n"
    "in-chan=tcp_*; out-chan=ims-ms; in-type=image;\n"
    "! tiff only\n"
    "  in-subtype=tiff; out-type=application; out-subtype=pdf; \\\n"
    "  command=\"/opt/bin/tiff2pdf\"\n";

static const char rules_sample[] = "! internet.rules (project model)\n"
                                   "*.siroe.com    $U@tcp_intranet-daemon\n"
                                   "[192.168.1.*]  tcp_intranet\n"
                                   "\n"
                                   "*              tcp_local\n";

static const char headers_sample[] = "! tcp_local_headers.opt\n"
                                     "Received: MAXIMUM=10\n"
                                     "X-Spam-Flag: RELABEL=X-Old-Spam-Flag, \\\n"
                                     "  MAXIMUM=1\n";

/* Parses text as fmt, asserting success. */
static MsmConfDoc *
parse(const MsmConfFormat *fmt, const char *text)
{
    GError *err = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(fmt, fmt->name, text, strlen(text), &err);
    if (doc == NULL)
        fprintf(stderr, "parse: %s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    g_clear_error(&err);
    return doc;
}

/* The document's bytes as a string. (transfer full) */
static char *
ser(const MsmConfDoc *doc)
{
    GBytes *b = msm_confdoc_serialize(doc);
    gsize n;
    const char *d = g_bytes_get_data(b, &n);
    char *s = g_strndup(d, n);
    g_bytes_unref(b);
    return s;
}

/* text with every "\n" written "\r\n". (transfer full) */
static char *
crlf(const char *text)
{
    GString *s = g_string_new(NULL);
    for (const char *p = text; *p; p++) {
        if (*p == '\n')
            g_string_append_c(s, '\r');
        g_string_append_c(s, *p);
    }
    return g_string_free(s, FALSE);
}

/* TRUE when text parses as fmt and serialises to the same bytes. */
static gboolean
round_trips(const MsmConfFormat *fmt, const char *text)
{
    MsmConfDoc *doc = parse(fmt, text);
    char *out = ser(doc);
    gboolean ok = strcmp(out, text) == 0;
    g_free(out);
    msm_confdoc_free(doc);
    return ok;
}

/* Checks text round-trips as is, with CR LF, and without its final newline. */
static void
check_round_trip(const MsmConfFormat *fmt, const char *text)
{
    char *c = crlf(text);
    char *nofinal = g_strndup(text, strlen(text) - 1);
    char *cnofinal = g_strndup(c, strlen(c) - 2);
    CU_ASSERT_TRUE(round_trips(fmt, text));
    CU_ASSERT_TRUE(round_trips(fmt, c));
    CU_ASSERT_TRUE(round_trips(fmt, nofinal));
    CU_ASSERT_TRUE(round_trips(fmt, cnofinal));
    CU_ASSERT_TRUE(round_trips(fmt, ""));
    g_free(c);
    g_free(nofinal);
    g_free(cnofinal);
}

/* text with the first occurrence of from replaced by to. (transfer full) */
static char *
replace1(const char *text, const char *from, const char *to)
{
    const char *p = strstr(text, from);
    g_assert(p != NULL);
    return g_strdup_printf("%.*s%s%s", (int)(p - text), text, to, p + strlen(from));
}

/* Asserts the document serialises to expected. */
static void
assert_text(const MsmConfDoc *doc, const char *expected)
{
    char *out = ser(doc);
    if (strcmp(out, expected) != 0)
        fprintf(stderr, "\n--- got\n%s--- expected\n%s---\n", out, expected);
    CU_ASSERT_STRING_EQUAL(out, expected);
    g_free(out);
}

/* Asserts the entry (section, key) exists with value. */
static void
assert_entry(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    MsmConfNode *n = msm_confdoc_find(doc, section, key);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_STRING_EQUAL(n->value, value);
}

/* Asserts exactly one warning was recorded, and that it contains needle. */
static void
assert_one_warning(const MsmConfDoc *doc, const char *needle)
{
    GPtrArray *w = msm_confdoc_warnings(doc);
    CU_ASSERT_EQUAL(w->len, 1);
    if (w->len >= 1) {
        if (strstr(w->pdata[0], needle) == NULL)
            fprintf(stderr, "warning \"%s\" lacks \"%s\"\n", (char *)w->pdata[0], needle);
        CU_ASSERT_PTR_NOT_NULL(strstr(w->pdata[0], needle));
    }
}

/* The index of the first node of type whose raw starts with prefix, or -1. */
static gint
node_index(const MsmConfDoc *doc, MsmConfNodeType type, const char *prefix)
{
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
        MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->type == type && g_str_has_prefix(n->raw->str, prefix))
            return (gint)i;
    }
    return -1;
}

/* ---- imta.cnf ---- */

/* The imta.cnf sample round-trips in every line-end variant. */
static void
test_imta_round_trip(void)
{
    check_round_trip(&msm_conf_format_imta_cnf, imta_sample);
}

/* Rules, channels, includes and comments get the documented nodes. */
static void
test_imta_nodes(void)
{
    MsmConfDoc *doc = parse(&msm_conf_format_imta_cnf, imta_sample);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    assert_entry(doc, "rewrite", "a", "$U@a-host");
    assert_entry(doc, "rewrite", "c", "$U%c@b-daemon");
    assert_entry(doc, "channels", "defaults",
                 "logging notices 1 2 4 7 copywarnpost defaulthost siroe.com siroe.com");
    assert_entry(doc, "channels", "l",
                 "subdirs 20 viaaliasrequired maxjobs 7 pool LOCAL_POOL\nmailhost.siroe.com");
    assert_entry(doc, "channels", "tcp_local",
                 "smtp mx single_sys identnonenumeric pool SMTP_POOL switchchannel "
                 "maysaslserver saslswitchchannel tcp_auth maytlsserver inner loopcheck "
                 "remotehost\ntcp-daemon");
    MsmConfNode *tl = msm_confdoc_find(doc, "channels", "tcp_local");
    CU_ASSERT_EQUAL(tl->line, 14);
    CU_ASSERT_EQUAL(tl->nlines, 5);
    CU_ASSERT_PTR_NOT_NULL(strstr(tl->raw->str, "! the official host name\n"));
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "channels", "a"));
    gint inc = node_index(doc, MSM_CONF_INCLUDE, "<IMTA");
    CU_ASSERT_TRUE_FATAL(inc >= 0);
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, (guint)inc)->key, "IMTA_TABLE:internet.rules");
    gint com = node_index(doc, MSM_CONF_COMMENT, "! delivery");
    CU_ASSERT_TRUE_FATAL(com >= 0);
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, (guint)com)->section, "channels");
    gint blank = node_index(doc, MSM_CONF_BLANK, "\n");
    CU_ASSERT_TRUE_FATAL(blank >= 0);
    CU_ASSERT_EQUAL(msm_confdoc_node(doc, (guint)blank)->line, 7);
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, (guint)blank)->section, "rewrite");
    GPtrArray *e = msm_confdoc_entries(doc);
    CU_ASSERT_EQUAL(e->len, 7);
    g_ptr_array_unref(e);
    msm_confdoc_free(doc);
}

/* Setting an existing channel changes only its block. */
static void
test_imta_set_existing(void)
{
    MsmConfDoc *doc = parse(&msm_conf_format_imta_cnf, imta_sample);
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "channels", "l",
                                   "subdirs 20 maxjobs 7 pool LOCAL_POOL\nmailhost.siroe.com",
                                   NULL));
    char *want = replace1(imta_sample, "l subdirs 20 viaaliasrequired maxjobs 7",
                          "l subdirs 20 maxjobs 7");
    assert_text(doc, want);
    g_free(want);
    /* a rewritten block loses its inner comment and is re-flowed */
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "channels", "tcp_local", "smtp mx\ntcp-daemon", NULL));
    char *out = ser(doc);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n\ntcp_local smtp mx\ntcp-daemon\n\ntcp_intranet "));
    CU_ASSERT_PTR_NULL(strstr(out, "official host"));
    g_free(out);
    msm_confdoc_free(doc);
}

/* A new channel is appended at the end with one blank line before it. */
static void
test_imta_set_new_channel(void)
{
    static const char *const kw =
        "lmtp port 225 single_sys subdirs 20 maxjobs 7 pool SMTP_POOL dequeue_removeroute "
        "loopcheck identnonenumeric";
    char *value = g_strdup_printf("%s\nlmtpcs-daemon\nlmtpcs-alias", kw);
    for (int variant = 0; variant < 2; variant++) {
        char *in = variant ? g_strndup(imta_sample, strlen(imta_sample) - 1)
                           : g_strdup(imta_sample);
        MsmConfDoc *doc = parse(&msm_conf_format_imta_cnf, in);
        CU_ASSERT_TRUE(msm_confdoc_set(doc, "channels", "tcp_lmtpcs", value, NULL));
        char *out = ser(doc);
        CU_ASSERT_TRUE(g_str_has_prefix(out, imta_sample));
        const char *added = out + strlen(imta_sample);
        CU_ASSERT_TRUE(g_str_has_prefix(added, "\ntcp_lmtpcs lmtp port 225 "));
        CU_ASSERT_TRUE(g_str_has_suffix(added, "SMTP_POOL \\\n"
                                               "  dequeue_removeroute loopcheck identnonenumeric\n"
                                               "lmtpcs-daemon\nlmtpcs-alias\n"));
        /* re-flowed lines stay within the wrap column */
        char **lines = g_strsplit(added, "\n", -1);
        for (char **l = lines; *l; l++)
            CU_ASSERT_TRUE(strlen(*l) <= 76);
        g_strfreev(lines);
        MsmConfDoc *again = parse(&msm_conf_format_imta_cnf, out);
        assert_entry(again, "channels", "tcp_lmtpcs", value);
        assert_entry(again, "channels", "tcp_intranet",
                     "smtp mx single_sys subdirs 20 noreverse maxjobs 7 SMTP_POOL "
                     "maytlsserver allowswitchchannel saslswitchchannel tcp_auth\n"
                     "tcp_intranet-daemon");
        msm_confdoc_free(again);
        g_free(out);
        g_free(in);
        msm_confdoc_free(doc);
    }
    g_free(value);
}

/* A new rewrite rule goes after the last rule, before the blank line. */
static void
test_imta_set_new_rule(void)
{
    MsmConfDoc *doc = parse(&msm_conf_format_imta_cnf, imta_sample);
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "rewrite", "siroe.net", "$U%siroe.net@tcp_local", NULL));
    char *want = replace1(imta_sample, "siroe.com $U%siroe.com@l\n",
                          "siroe.com $U%siroe.com@l\nsiroe.net $U%siroe.net@tcp_local\n");
    assert_text(doc, want);
    /* an existing rule changes in place */
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "rewrite", "a", "$U@a-relay", NULL));
    char *want2 = replace1(want, "a $U@a-host\n", "a $U@a-relay\n");
    assert_text(doc, want2);
    g_free(want);
    g_free(want2);
    msm_confdoc_free(doc);
}

/* Files without rules, without channels, or empty get correct placement. */
static void
test_imta_edges(void)
{
    MsmConfDoc *doc = parse(&msm_conf_format_imta_cnf, "a b");
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "channels", "l", "\nmailhost", NULL));
    assert_text(doc, "a b\n\nl\nmailhost\n");
    msm_confdoc_free(doc);

    doc = parse(&msm_conf_format_imta_cnf, "");
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "channels", "l", "subdirs 20\nmailhost", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "rewrite", "a", "$U@a-host", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "channels", "native", "\nnative-daemon", NULL));
    assert_text(doc, "a $U@a-host\n\nl subdirs 20\nmailhost\n\nnative\nnative-daemon\n");
    msm_confdoc_free(doc);

    /* no rules: the file starts with the blank line */
    doc = parse(&msm_conf_format_imta_cnf, "\nl\nmailhost\n");
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "rewrite", "a", "$U@a-host", NULL));
    assert_text(doc, "a $U@a-host\n\nl\nmailhost\n");
    msm_confdoc_free(doc);
}

/* Removing a rule or a channel removes only it. */
static void
test_imta_remove(void)
{
    MsmConfDoc *doc = parse(&msm_conf_format_imta_cnf, imta_sample);
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "channels", "l"));
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "rewrite", "c"));
    CU_ASSERT_FALSE(msm_confdoc_remove(doc, "channels", "c"));
    char *w1 = replace1(imta_sample, "l subdirs 20 viaaliasrequired maxjobs 7 pool LOCAL_POOL\n"
                                     "mailhost.siroe.com\n",
                        "");
    char *w2 = replace1(w1, "c $U%c@b-daemon\n", "");
    assert_text(doc, w2);
    g_free(w1);
    g_free(w2);
    msm_confdoc_free(doc);
}

/* Lines imta.cnf does not define are kept verbatim with a warning. */
static void
test_imta_unknown(void)
{
    static const char text[] = "a $U@a-host\n"
                               "bad rule here\n"
                               "\n"
                               "l\n"
                               "mailhost\n"
                               "\n"
                               "   indented start\n";
    MsmConfDoc *doc = parse(&msm_conf_format_imta_cnf, text);
    GPtrArray *w = msm_confdoc_warnings(doc);
    CU_ASSERT_EQUAL(w->len, 2);
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[0], "imta.cnf:2: "));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[1], "imta.cnf:7: "));
    CU_ASSERT_TRUE(node_index(doc, MSM_CONF_VERBATIM, "bad rule here\n") >= 0);
    CU_ASSERT_TRUE(node_index(doc, MSM_CONF_VERBATIM, "   indented") >= 0);
    assert_entry(doc, "channels", "l", "\nmailhost");
    assert_text(doc, text);
    msm_confdoc_free(doc);
}

/* A NUL byte is a parse error naming the line. */
static void
test_nul_byte(void)
{
    static const char text[] = "a b\nc\0d\n";
    GError *err = NULL;
    MsmConfDoc *doc =
        msm_confdoc_parse(&msm_conf_format_aliases, "aliases", text, sizeof text - 1, &err);
    CU_ASSERT_PTR_NULL(doc);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "aliases:2:") : NULL);
    g_clear_error(&err);
}

/* ---- mappings ---- */

/* Tables, entries, includes and quoting. */
static void
test_mappings(void)
{
    check_round_trip(&msm_conf_format_mappings, mappings_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_mappings, mappings_sample);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    assert_entry(doc, "ORIG_SEND_ACCESS", "*|*|*|*", "$Y");
    assert_entry(doc, "ORIG_SEND_ACCESS", "tcp_local|*@siroe$ corp.com|tcp_local|*",
                 "$N$ Relaying$ not$ allowed");
    assert_entry(doc, "CHARSET-CONVERSION", "IN-CHAN=tcp_*;OUT-CHAN=l;CONVERT", "No");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "PORT_ACCESS", "*|*|*|*"));
    gint h = node_index(doc, MSM_CONF_SECTION, "PORT_ACCESS");
    CU_ASSERT_TRUE_FATAL(h >= 0);
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, (guint)h)->raw->str, "PORT_ACCESS\n\n");
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, (guint)h)->key, "PORT_ACCESS");
    gint inc = node_index(doc, MSM_CONF_INCLUDE, "</opt");
    CU_ASSERT_TRUE_FATAL(inc >= 0);
    CU_ASSERT_STRING_EQUAL(msm_confdoc_node(doc, (guint)inc)->key,
                           "/opt/SUNWmsgsr/config/extra.mappings");

    /* a new entry goes to the end of its table */
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "ORIG_SEND_ACCESS", "tcp_auth|*|*|*", "$Y", NULL));
    char *w1 = replace1(mappings_sample, "allowed\n", "allowed\n  tcp_auth|*|*|*  $Y\n");
    assert_text(doc, w1);
    /* an existing entry changes in place */
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "ORIG_SEND_ACCESS", "*|*|*|*", "$N", NULL));
    char *w2 = replace1(w1, "  *|*|*|*  $Y\n", "  *|*|*|*  $N\n");
    assert_text(doc, w2);
    /* a new table is appended after a blank line */
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "FROM_ACCESS", "*|*@spam.example", "$N", NULL));
    char *w3 = g_strconcat(w2, "\nFROM_ACCESS\n\n  *|*@spam.example  $N\n", NULL);
    assert_text(doc, w3);
    /* removal takes only the entry */
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "CHARSET-CONVERSION", "IN-CHAN=bsout_*;OUT-CHAN=*;CONVERT"));
    char *w4 = replace1(w3, "  IN-CHAN=bsout_*;OUT-CHAN=*;CONVERT  Yes\n", "");
    assert_text(doc, w4);
    g_free(w1);
    g_free(w2);
    g_free(w3);
    g_free(w4);
    msm_confdoc_free(doc);

    /* an empty table followed by another keeps the blank line between them */
    doc = parse(&msm_conf_format_mappings, "T1\n\nT2\n\n  a b\n");
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "T1", "x", "y", NULL));
    assert_text(doc, "T1\n\n  x  y\n\nT2\n\n  a b\n");
    msm_confdoc_free(doc);
}

/* Mapping lines outside the grammar are verbatim with warnings. */
static void
test_mappings_unknown(void)
{
    static const char text[] = "  orphan entry\n"
                               "T1\n"
                               "  a b\n"
                               "two words\n"
                               "  lonely\n"
                               "T1\n"
                               "\n";
    MsmConfDoc *doc = parse(&msm_conf_format_mappings, text);
    GPtrArray *w = msm_confdoc_warnings(doc);
    CU_ASSERT_EQUAL_FATAL(w->len, 5);
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[0], "mappings:1: "));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[1], "mappings:2: table T1: the blank line"));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[2], "mappings:4: "));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[3], "mappings:5: "));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[4], "mappings:6: table T1: defined twice"));
    assert_entry(doc, "T1", "a", "b");
    CU_ASSERT_TRUE(node_index(doc, MSM_CONF_VERBATIM, "two words") >= 0);
    assert_text(doc, text);
    msm_confdoc_free(doc);
}

/* ---- aliases ---- */

/* Aliases: keys without case, continuation joined, set/remove, unknown lines. */
static void
test_aliases(void)
{
    check_round_trip(&msm_conf_format_aliases, aliases_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_aliases, aliases_sample);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    assert_entry(doc, "", "POSTMASTER", "root@siroe.com");
    assert_entry(doc, "", "mailsrv@siroe.com", "mailsrv@native-daemon");
    assert_entry(doc, "", "staff", "alice@siroe.com, bob@siroe.com, carol@siroe.com");
    CU_ASSERT_TRUE(node_index(doc, MSM_CONF_INCLUDE, "<IMTA_TABLE:aliases.local") >= 0);
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "abuse", "root@siroe.com", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "Postmaster", "admin@siroe.com", NULL));
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "mailsrv@siroe.com"));
    char *w1 = replace1(aliases_sample, "postmaster: root@siroe.com\n",
                        "Postmaster: admin@siroe.com\n");
    char *w2 = replace1(w1, "mailsrv@siroe.com: mailsrv@native-daemon\n", "");
    char *w3 = replace1(w2, "  carol@siroe.com\n", "  carol@siroe.com\nabuse: root@siroe.com\n");
    assert_text(doc, w3);
    g_free(w1);
    g_free(w2);
    g_free(w3);
    msm_confdoc_free(doc);

    static const char bad[] = "root: a@b\nno colon here\n  indented: x\n";
    doc = parse(&msm_conf_format_aliases, bad);
    GPtrArray *w = msm_confdoc_warnings(doc);
    CU_ASSERT_EQUAL_FATAL(w->len, 2);
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[0], "aliases:2: "));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[1], "aliases:3: "));
    assert_text(doc, bad);
    msm_confdoc_free(doc);
}

/* A value longer than the line limit is continued with " \". */
static void
test_aliases_long(void)
{
    GString *v = g_string_new(NULL);
    for (int i = 0; i < 120; i++)
        g_string_append_printf(v, "%suser%03d@siroe.com,", i ? " " : "", i);
    MsmConfDoc *doc = parse(&msm_conf_format_aliases, "");
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "everyone", v->str, NULL));
    char *out = ser(doc);
    char **lines = g_strsplit(out, "\n", -1);
    CU_ASSERT_TRUE(g_strv_length(lines) > 2);
    for (char **l = lines; *l; l++)
        CU_ASSERT_TRUE(strlen(*l) <= 1024);
    MsmConfDoc *again = parse(&msm_conf_format_aliases, out);
    assert_entry(again, "", "everyone", v->str);
    g_strfreev(lines);
    g_free(out);
    msm_confdoc_free(again);
    msm_confdoc_free(doc);
    g_string_free(v, TRUE);
}

/* ---- conversions ---- */

/* Entries keyed by their matching parameters, separated by blank lines. */
static void
test_conversions(void)
{
    check_round_trip(&msm_conf_format_conversions, conversions_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_conversions, conversions_sample);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    assert_entry(doc, "", "in-chan=tcp_local; out-chan=l; in-type=application; in-subtype=msword",
                 "in-chan=tcp_local; out-chan=l; in-type=application; in-subtype=msword; "
                 "out-type=text; out-subtype=plain; command=\"/opt/bin/doc2txt $INPUT_FILE\"");
    assert_entry(doc, "", "in-chan=tcp_*; out-chan=ims-ms; in-type=image; in-subtype=tiff",
                 "in-chan=tcp_*; out-chan=ims-ms; in-type=image; in-subtype=tiff; "
                 "out-type=application; out-subtype=pdf; command=\"/opt/bin/tiff2pdf\"");
    MsmConfNode *n =
        msm_confdoc_find(doc, "", "in-chan=tcp_*; out-chan=ims-ms; in-type=image; in-subtype=tiff");
    CU_ASSERT_EQUAL(n->nlines, 4);

    const char *key = "in-chan=tcp_local; out-chan=l; in-type=image";
    const char *val = "in-chan=tcp_local; out-chan=l; in-type=image; out-type=image; "
                      "out-subtype=png; command=\"/opt/bin/img2png \\\"x\\\"\"";
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", key, val, NULL));
    char *out = ser(doc);
    CU_ASSERT_TRUE(g_str_has_prefix(out, conversions_sample));
    CU_ASSERT_TRUE(g_str_has_prefix(out + strlen(conversions_sample), "\nin-chan=tcp_local; "));
    MsmConfDoc *again = parse(&msm_conf_format_conversions, out);
    assert_entry(again, "", key, val);
    GPtrArray *entries = msm_confdoc_entries(again);
    CU_ASSERT_EQUAL(entries->len, 3);
    g_ptr_array_unref(entries);
    msm_confdoc_free(again);
    g_free(out);

    CU_ASSERT_TRUE(msm_confdoc_remove(
        doc, "", "in-chan=tcp_local; out-chan=l; in-type=application; in-subtype=msword"));
    out = ser(doc);
    CU_ASSERT_TRUE(g_str_has_prefix(out, "! conversions\n\nin-chan=tcp_*; out-chan=ims-ms;"));
    g_free(out);
    msm_confdoc_free(doc);

    static const char bad[] = "garbage without equals\n\nout-type=text; command=\"x\"\n\n"
                              "in-chan=l; command=\"unterminated\n";
    doc = parse(&msm_conf_format_conversions, bad);
    GPtrArray *w = msm_confdoc_warnings(doc);
    CU_ASSERT_EQUAL_FATAL(w->len, 3);
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[0], "conversions:1: "));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[1], "conversions:3: "));
    CU_ASSERT_TRUE(g_str_has_prefix(w->pdata[2], "conversions:5: "));
    assert_text(doc, bad);
    msm_confdoc_free(doc);
}

/* ---- internet.rules and headers.opt ---- */

/* internet.rules: "pattern action" lines. */
static void
test_internet_rules(void)
{
    check_round_trip(&msm_conf_format_internet_rules, rules_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_internet_rules, rules_sample);
    assert_entry(doc, "", "*.siroe.com", "$U@tcp_intranet-daemon");
    assert_entry(doc, "", "*", "tcp_local");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "*.SIROE.COM"));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "[10.*]", "tcp_intranet", NULL));
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "[192.168.1.*]"));
    char *w1 = replace1(rules_sample, "[192.168.1.*]  tcp_intranet\n", "");
    char *w2 = g_strconcat(w1, "[10.*] tcp_intranet\n", NULL);
    assert_text(doc, w2);
    g_free(w1);
    g_free(w2);
    msm_confdoc_free(doc);

    doc = parse(&msm_conf_format_internet_rules, "! x\nlonelyword\n");
    assert_one_warning(doc, "internet.rules:2: ");
    msm_confdoc_free(doc);
}

/* <channel>_headers.opt: "Header-name: options" lines. */
static void
test_headers_opt(void)
{
    check_round_trip(&msm_conf_format_headers_opt, headers_sample);
    MsmConfDoc *doc = parse(&msm_conf_format_headers_opt, headers_sample);
    assert_entry(doc, "", "received", "MAXIMUM=10");
    assert_entry(doc, "", "X-Spam-Flag", "RELABEL=X-Old-Spam-Flag, MAXIMUM=1");
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "Received", "MAXIMUM=20", NULL));
    char *w1 = replace1(headers_sample, "Received: MAXIMUM=10", "Received: MAXIMUM=20");
    assert_text(doc, w1);
    g_free(w1);
    msm_confdoc_free(doc);

    doc = parse(&msm_conf_format_headers_opt, "Bad Header: x\n");
    assert_one_warning(doc, "headers.opt:1: ");
    msm_confdoc_free(doc);
}

/* File names map to these formats. */
static void
test_for_file(void)
{
    CU_ASSERT_PTR_EQUAL(msm_conf_format_for_file("config/imta.cnf"), &msm_conf_format_imta_cnf);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_for_file("config/mappings"), &msm_conf_format_mappings);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_for_file("aliases"), &msm_conf_format_aliases);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_for_file("imta/conversions"),
                        &msm_conf_format_conversions);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_for_file("config/internet.rules"),
                        &msm_conf_format_internet_rules);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_for_file("config/tcp_local_headers.opt"),
                        &msm_conf_format_headers_opt);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("imta.cnf"), &msm_conf_format_imta_cnf);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("headers.opt"), &msm_conf_format_headers_opt);
}

/* ---- property test ---- */

/* Lines, valid and not, from which random documents are assembled. */
static const char *const pool[] = {
    "",
    "   ",
    "\t",
    "! a comment",
    "  ! indented comment",
    "<IMTA_TABLE:internet.rules",
    "</opt/file",
    "a $U@a-host",
    "bad rule here",
    "tcp_local smtp mx \\",
    "  inner loopcheck",
    "tcp-daemon",
    "defaults logging",
    "ORIG_SEND_ACCESS",
    "  *|*|*|*  $Y",
    "  a$ b\\",
    "two words",
    "postmaster: root@siroe.com",
    "x: y, \\",
    "in-chan=l; out-chan=l;",
    "in-type=text; command=\"a;b\"",
    "command=\"unterminated",
    "Received: MAXIMUM=1",
    "Bad Header: x",
    "\\",
    "$",
    "\r",
    ";",
    "=",
};

/* 200 random documents per format round-trip; a new entry set into each is found again. */
static void
test_random_round_trip(void)
{
    static const MsmConfFormat *const fmts[] = {
        &msm_conf_format_imta_cnf,    &msm_conf_format_mappings,
        &msm_conf_format_aliases,     &msm_conf_format_conversions,
        &msm_conf_format_internet_rules, &msm_conf_format_headers_opt,
    };
    static const char *const sections[] = {"channels", "ZZ_TABLE", "", "", "", ""};
    static const char *const keys[] = {
        "zz_chan", "zz|*", "zz@siroe.com", "in-chan=zz; out-chan=l", "zz.example", "X-Zz",
    };
    static const char *const values[] = {
        "smtp mx\nzz-daemon", "$N", "a@b, c@d", "in-chan=zz; out-chan=l; command=\"q\"",
        "tcp_local", "MAXIMUM=1",
    };
    GRand *rand = g_rand_new_with_seed(20240611);
    guint failures = 0;
    for (guint f = 0; f < G_N_ELEMENTS(fmts); f++) {
        for (int doc_no = 0; doc_no < 200; doc_no++) {
            GString *s = g_string_new(NULL);
            int nl = g_rand_int_range(rand, 0, 25);
            for (int k = 0; k < nl; k++) {
                g_string_append(s, pool[g_rand_int_range(rand, 0, G_N_ELEMENTS(pool))]);
                if (k + 1 < nl || g_rand_boolean(rand))
                    g_string_append(s, g_rand_boolean(rand) ? "\n" : "\r\n");
            }
            GError *err = NULL;
            MsmConfDoc *doc = msm_confdoc_parse(fmts[f], "random", s->str, s->len, &err);
            if (doc == NULL) {
                fprintf(stderr, "%s: %s\n", fmts[f]->name, err->message);
                g_clear_error(&err);
                failures++;
                g_string_free(s, TRUE);
                continue;
            }
            char *out = ser(doc);
            guint lines = 0;
            for (guint k = 0; k < msm_confdoc_n_nodes(doc); k++)
                lines += msm_confdoc_node(doc, k)->nlines;
            guint want_lines = 0;
            for (gsize k = 0; k < s->len; k++)
                want_lines += s->str[k] == '\n';
            want_lines += s->len > 0 && s->str[s->len - 1] != '\n';
            if (strcmp(out, s->str) != 0 || lines != want_lines)
                failures++;
            g_free(out);
            /* a new entry lands where a re-parse finds it with its value */
            if (msm_confdoc_find(doc, sections[f], keys[f]) == NULL &&
                msm_confdoc_set(doc, sections[f], keys[f], values[f], NULL)) {
                out = ser(doc);
                MsmConfDoc *again = msm_confdoc_parse(fmts[f], "random", out, strlen(out), NULL);
                MsmConfNode *n = again ? msm_confdoc_find(again, sections[f], keys[f]) : NULL;
                if (n == NULL || strcmp(n->value, values[f]) != 0) {
                    fprintf(stderr, "%s: set not found again in:\n%s\n", fmts[f]->name, out);
                    failures++;
                }
                msm_confdoc_free(again);
                g_free(out);
            }
            msm_confdoc_free(doc);
            g_string_free(s, TRUE);
        }
    }
    CU_ASSERT_EQUAL(failures, 0);
    g_rand_free(rand);
}

MSM_TEST_MAIN("conf-mta",
              MSM_TEST(test_imta_round_trip),
              MSM_TEST(test_imta_nodes),
              MSM_TEST(test_imta_set_existing),
              MSM_TEST(test_imta_set_new_channel),
              MSM_TEST(test_imta_set_new_rule),
              MSM_TEST(test_imta_edges),
              MSM_TEST(test_imta_remove),
              MSM_TEST(test_imta_unknown),
              MSM_TEST(test_nul_byte),
              MSM_TEST(test_mappings),
              MSM_TEST(test_mappings_unknown),
              MSM_TEST(test_aliases),
              MSM_TEST(test_aliases_long),
              MSM_TEST(test_conversions),
              MSM_TEST(test_internet_rules),
              MSM_TEST(test_headers_opt),
              MSM_TEST(test_for_file),
              MSM_TEST(test_random_round_trip));
