/*
 * NAME
 *	test-conf-keyvalue.c - unit tests of core/conf-keyvalue.c
 * DESCRIPTION
 *	For each key/value format (configutil, option.dat, imta_tailor,
 *	backup-groups.conf, job_controller.cnf, dispatcher.cnf, channel option
 *	files): a realistic sample built from the domain facts' examples
 *	round-trips byte for byte (CRLF, no final newline, continuations,
 *	comments, blank lines, a construct kept verbatim with a warning naming
 *	its line); lookups; msm_confdoc_set() on an existing and a new key and
 *	msm_confdoc_remove() compared against the whole expected output; file
 *	name mapping; and 200 seeded random documents of valid and invalid
 *	lines that must round-trip exactly.
 */
#include "config.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include "testutil.h"

#include <string.h>

extern const MsmConfFormat msm_conf_format_configutil;
extern const MsmConfFormat msm_conf_format_option_dat;
extern const MsmConfFormat msm_conf_format_imta_tailor;
extern const MsmConfFormat msm_conf_format_backup_groups;
extern const MsmConfFormat msm_conf_format_job_controller;
extern const MsmConfFormat msm_conf_format_dispatcher;
extern const MsmConfFormat msm_conf_format_channel_option;

/* Parses text as fmt, asserting success and an exact round trip. */
static MsmConfDoc *
parse_ok(const MsmConfFormat *fmt, const char *name, const char *text)
{
    GError *err = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(fmt, name, text, strlen(text), &err);
    CU_ASSERT_PTR_NULL(err);
    if (err)
        fprintf(stderr, "parse: %s\n", err->message);
    g_clear_error(&err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    GBytes *b = msm_confdoc_serialize(doc);
    gsize n;
    const char *d = g_bytes_get_data(b, &n);
    CU_ASSERT_EQUAL(n, strlen(text));
    CU_ASSERT(n == strlen(text) && memcmp(d, text, n) == 0);
    g_bytes_unref(b);
    return doc;
}

/* The serialised document as a string. (transfer full) */
static char *
text_of(const MsmConfDoc *doc)
{
    GBytes *b = msm_confdoc_serialize(doc);
    gsize n;
    const char *d = g_bytes_get_data(b, &n);
    char *s = g_strndup(d, n);
    g_bytes_unref(b);
    return s;
}

/* Asserts the document serialises to expected. */
static void
assert_text(const MsmConfDoc *doc, const char *expected)
{
    char *s = text_of(doc);
    CU_ASSERT_STRING_EQUAL(s, expected);
    if (strcmp(s, expected) != 0)
        fprintf(stderr, "\n--- got ---\n%s\n--- expected ---\n%s\n", s, expected);
    g_free(s);
}

/* Asserts the entry (section, key) exists with value. */
static void
assert_value(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    const MsmConfNode *n = msm_confdoc_find(doc, section, key);
    CU_ASSERT_PTR_NOT_NULL(n);
    if (n == NULL) {
        fprintf(stderr, "\nmissing [%s] %s\n", section, key);
        return;
    }
    CU_ASSERT_EQUAL(n->type, MSM_CONF_ENTRY);
    CU_ASSERT_STRING_EQUAL(n->value, value);
}

/* The node whose first physical line is line, or NULL. */
static const MsmConfNode *
node_at(const MsmConfDoc *doc, guint line)
{
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++)
        if (msm_confdoc_node(doc, i)->line == line)
            return msm_confdoc_node(doc, i);
    return NULL;
}

/* Asserts the node at line has type t and covers nlines lines. */
static void
assert_node(const MsmConfDoc *doc, guint line, MsmConfNodeType t, guint nlines)
{
    const MsmConfNode *n = node_at(doc, line);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_EQUAL(n->type, t);
    CU_ASSERT_EQUAL(n->nlines, nlines);
}

/* Asserts the document has exactly n warnings and one names "name:line:". */
static void
assert_warning(const MsmConfDoc *doc, guint n, const char *prefix)
{
    GPtrArray *w = msm_confdoc_warnings(doc);
    CU_ASSERT_EQUAL(w->len, n);
    gboolean found = FALSE;
    for (guint i = 0; i < w->len; i++)
        found |= g_str_has_prefix(w->pdata[i], prefix) &&
                 strstr(w->pdata[i], "kept as it is") != NULL;
    CU_ASSERT(found);
    if (!found)
        fprintf(stderr, "\nno warning starting with \"%s\"\n", prefix);
}

/* Sets (section, key) = value, asserting success. */
static void
set_ok(MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    GError *err = NULL;
    CU_ASSERT_TRUE(msm_confdoc_set(doc, section, key, value, &err));
    CU_ASSERT_PTR_NULL(err);
    g_clear_error(&err);
}

/* ---------------------------------------------------------------------- */
/* configutil                                                             */
/* ---------------------------------------------------------------------- */

static const char configutil_sample[] =
    "# saved with configutil -m\n"                                          /* 1 */
    "service.pop.banner = \"%h %p service (%P %V)\" [REFRESHABLE]\n"        /* 2 */
    "service.pop.creatorsname = \"cn=directory manager\" [REFRESHABLE]\r\n" /* 3 */
    "service.pop.createtimestamp = 20030315011827Z [REFRESHABLE]\n"         /* 4 */
    "service.pop.enable = yes [NOT REFRESHABLE]\n"                          /* 5 */
    "\n"                                                                    /* 6 */
    "! local settings\n"                                                    /* 7 */
    "local.ugldapbinddn = \"uid=msg-admin-mail-20030315, ou=People, o=siroe.com\"\n" /* 8 */
    "service.imap.banner;lang-jp = \"IMAP \\\"jp\\\" \\\\ banner\"\n"       /* 9 */
    "service.imap.banner = IMAP\n"                                          /* 10 */
    "this line has no equals sign\n"                                        /* 11 */
    "local.hostname = \"mail.siroe.com\n"                                   /* 12 */
    "store.partition.primary.path=/var/msg/store/partition/primary\n"       /* 13 */
    "service.smtp.port = 25\n"                                              /* 14 */
    "service.smtp.port = 2525\n"                                            /* 15 */
    "local.imta.enable = \"\"";                                             /* 16 */

static void
test_configutil_parse(void)
{
    MsmConfDoc *doc = parse_ok(&msm_conf_format_configutil, "msg.conf", configutil_sample);
    assert_node(doc, 1, MSM_CONF_COMMENT, 1);
    assert_node(doc, 6, MSM_CONF_BLANK, 1);
    assert_node(doc, 7, MSM_CONF_COMMENT, 1);
    assert_node(doc, 11, MSM_CONF_VERBATIM, 1);
    assert_node(doc, 12, MSM_CONF_VERBATIM, 1);
    assert_value(doc, "", "service.pop.banner", "%h %p service (%P %V)");
    assert_value(doc, "", "service.pop.creatorsname", "cn=directory manager");
    assert_value(doc, "", "service.pop.createtimestamp", "20030315011827Z");
    assert_value(doc, "", "service.pop.enable", "yes");
    assert_value(doc, "", "SERVICE.POP.ENABLE", "yes"); /* names are case-insensitive */
    assert_value(doc, "", "local.ugldapbinddn",
                 "uid=msg-admin-mail-20030315, ou=People, o=siroe.com");
    assert_value(doc, "", "service.imap.banner;lang-jp", "IMAP \"jp\" \\ banner");
    assert_value(doc, "", "service.imap.banner", "IMAP");
    assert_value(doc, "", "store.partition.primary.path", "/var/msg/store/partition/primary");
    assert_value(doc, "", "service.smtp.port", "25"); /* the first of duplicates */
    assert_value(doc, "", "local.imta.enable", "");
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(doc, "", "service.pop.creatorsname")->raw->str,
                           "service.pop.creatorsname = \"cn=directory manager\" "
                           "[REFRESHABLE]\r\n");
    GPtrArray *e = msm_confdoc_entries(doc);
    CU_ASSERT_EQUAL(e->len, 11);
    g_ptr_array_unref(e);
    assert_warning(doc, 2, "msg.conf:11: line not understood (no \"=\"");
    assert_warning(doc, 2, "msg.conf:12: line not understood (unterminated double quote");
    msm_confdoc_free(doc);
}

static void
test_configutil_change(void)
{
    MsmConfDoc *doc = parse_ok(&msm_conf_format_configutil, "msg.conf", configutil_sample);
    /* existing, with a listing tag (kept) and a value needing quotes */
    set_ok(doc, "", "service.pop.enable", "say \"no\"");
    /* existing on a CRLF line: the line end is kept */
    set_ok(doc, "", "service.pop.creatorsname", "cn=admin");
    /* the last line has no line end: still none */
    set_ok(doc, "", "local.imta.enable", "yes");
    GString *x = g_string_new(NULL);
    g_string_append(x, "# saved with configutil -m\n"
                       "service.pop.banner = \"%h %p service (%P %V)\" [REFRESHABLE]\n"
                       "service.pop.creatorsname = cn=admin [REFRESHABLE]\r\n"
                       "service.pop.createtimestamp = 20030315011827Z [REFRESHABLE]\n"
                       "service.pop.enable = \"say \\\"no\\\"\" [NOT REFRESHABLE]\n");
    const char *tail = strstr(configutil_sample, "\n\n! local") + 1;
    g_string_append_len(x, tail, (gssize)(strstr(tail, "local.imta.enable") - tail));
    g_string_append(x, "local.imta.enable = yes");
    assert_text(doc, x->str);
    assert_value(doc, "", "service.pop.enable", "say \"no\"");
    /* a new key goes at the end (after the terminated last line) */
    set_ok(doc, "", "service.http.port", "8080");
    set_ok(doc, "", "service.http.banner", "");
    g_string_append(x, "\nservice.http.port = 8080\nservice.http.banner = \"\"\n");
    assert_text(doc, x->str);
    /* remove only that entry; the duplicate's second copy remains */
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "service.smtp.port"));
    assert_value(doc, "", "service.smtp.port", "2525");
    CU_ASSERT_FALSE(msm_confdoc_remove(doc, "", "no.such.key"));
    char *s = text_of(doc);
    CU_ASSERT_PTR_NULL(strstr(s, "service.smtp.port = 25\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "service.smtp.port = 2525\n"));
    CU_ASSERT_EQUAL(strlen(s), x->len - strlen("service.smtp.port = 25\n"));
    g_free(s);
    g_string_free(x, TRUE);
    msm_confdoc_free(doc);

    /* a rendered value re-parses to the same value */
    MsmConfDoc *d2 = msm_confdoc_new(&msm_conf_format_configutil, "local.conf");
    const char *vals[] = {"a b", "\\", "\"", "[REFRESHABLE]", "x [NOT REFRESHABLE]", "o=a,o=b",
                          "", "tab\there"};
    for (guint i = 0; i < G_N_ELEMENTS(vals); i++) {
        char *k = g_strdup_printf("local.test%u", i);
        set_ok(d2, "", k, vals[i]);
        g_free(k);
    }
    char *t = text_of(d2);
    MsmConfDoc *d3 = parse_ok(&msm_conf_format_configutil, "local.conf", t);
    for (guint i = 0; i < G_N_ELEMENTS(vals); i++) {
        char *k = g_strdup_printf("local.test%u", i);
        assert_value(d3, "", k, vals[i]);
        g_free(k);
    }
    CU_ASSERT_EQUAL(msm_confdoc_warnings(d3)->len, 0);
    g_free(t);
    msm_confdoc_free(d3);

    /* a tag alone after "=" is the empty value; a tag inside quotes is data */
    d3 = parse_ok(&msm_conf_format_configutil, "x.configutil",
                  "a = [REFRESHABLE]\nb = \"[NOT REFRESHABLE]\"\nc = x[REFRESHABLE]\n"
                  "d=\"v\"\t[NOT REFRESHABLE]  \n");
    assert_value(d3, "", "a", "");
    assert_value(d3, "", "b", "[NOT REFRESHABLE]");
    assert_value(d3, "", "c", "x[REFRESHABLE]");
    assert_value(d3, "", "d", "v");
    msm_confdoc_free(d2);
    msm_confdoc_free(d3);
}

/* ---------------------------------------------------------------------- */
/* option.dat                                                             */
/* ---------------------------------------------------------------------- */

static const char option_dat_sample[] =
    "! option.dat - global MTA options\r\n"                     /* 1 */
    "LOG_MESSAGE_ID=1\r\n"                                      /* 2 */
    "MAX_NOTIFYS = 2\n"                                         /* 3 */
    "  \t\n"                                                    /* 4 */
    "SPAMFILTER1_LIBRARY=/opt/brightmail/lib/libbmiclient.so\n" /* 5 */
    "SPAMFILTER1_STRING_ACTION=data:,$M\n"                      /* 6 */
    "DELIVERY_OPTIONS=\\\n"                                     /* 7 */
    "  *mailbox=@$X.LMTP:$M$_+$2S%$\\$2I@ims_daemon,\\\r\n"     /* 8 */
    "  &members=*\n"                                            /* 9 */
    "LOG FILTER 1\n"                                            /* 10 */
    "log_connection=3";                                         /* 11 */

static void
test_option_dat(void)
{
    MsmConfDoc *doc = parse_ok(&msm_conf_format_option_dat, "option.dat", option_dat_sample);
    assert_node(doc, 1, MSM_CONF_COMMENT, 1);
    assert_node(doc, 4, MSM_CONF_BLANK, 1);
    assert_node(doc, 7, MSM_CONF_ENTRY, 3);
    assert_node(doc, 10, MSM_CONF_VERBATIM, 1);
    CU_ASSERT_EQUAL(msm_confdoc_n_nodes(doc), 9);
    assert_value(doc, "", "LOG_MESSAGE_ID", "1");
    assert_value(doc, "", "max_notifys", "2");
    assert_value(doc, "", "SPAMFILTER1_STRING_ACTION", "data:,$M");
    assert_value(doc, "", "DELIVERY_OPTIONS", "*mailbox=@$X.LMTP:$M$_+$2S%$\\$2I@ims_daemon,"
                                              "  &members=*");
    assert_value(doc, "", "LOG_CONNECTION", "3");
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(doc, "", "LOG_CONNECTION")->key, "log_connection");
    assert_warning(doc, 1, "option.dat:10: line not understood (no \"=\"");

    /* change: only that line; CRLF kept; continuation entry replaced whole */
    set_ok(doc, "", "log_message_id", "0");
    set_ok(doc, "", "DELIVERY_OPTIONS", "*mailbox=@$X.LMTP:$M");
    set_ok(doc, "", "NEW_OPTION", "x\\");
    assert_text(doc, "! option.dat - global MTA options\r\n"
                     "log_message_id=0\r\n"
                     "MAX_NOTIFYS = 2\n"
                     "  \t\n"
                     "SPAMFILTER1_LIBRARY=/opt/brightmail/lib/libbmiclient.so\n"
                     "SPAMFILTER1_STRING_ACTION=data:,$M\n"
                     "DELIVERY_OPTIONS=*mailbox=@$X.LMTP:$M\n"
                     "LOG FILTER 1\n"
                     "log_connection=3\r\n"
                     "NEW_OPTION=x\\ \r\n");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "max_notifys"));
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "MAX_NOTIFYS"));
    assert_text(doc, "! option.dat - global MTA options\r\n"
                     "log_message_id=0\r\n"
                     "  \t\n"
                     "SPAMFILTER1_LIBRARY=/opt/brightmail/lib/libbmiclient.so\n"
                     "SPAMFILTER1_STRING_ACTION=data:,$M\n"
                     "DELIVERY_OPTIONS=*mailbox=@$X.LMTP:$M\n"
                     "LOG FILTER 1\n"
                     "log_connection=3\r\n"
                     "NEW_OPTION=x\\ \r\n");
    /* the rendered "x\ " reads back as "x\" without continuing */
    char *t = text_of(doc);
    MsmConfDoc *d2 = parse_ok(&msm_conf_format_option_dat, "option.dat", t);
    assert_value(d2, "", "NEW_OPTION", "x\\");
    assert_value(d2, "", "LOG_CONNECTION", "3");
    g_free(t);
    msm_confdoc_free(d2);
    msm_confdoc_free(doc);
}

/* A continuation on the last line of the file, and a NUL byte. */
static void
test_dangling_and_nul(void)
{
    MsmConfDoc *doc =
        parse_ok(&msm_conf_format_option_dat, "option.dat", "A=1\nB=2\\\n");
    assert_node(doc, 2, MSM_CONF_VERBATIM, 1);
    assert_warning(doc, 1, "option.dat:2: line not understood (a continuation");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "B"));
    msm_confdoc_free(doc);
    doc = parse_ok(&msm_conf_format_option_dat, "option.dat", "A=1\nB=2\\");
    assert_node(doc, 2, MSM_CONF_VERBATIM, 1);
    msm_confdoc_free(doc);

    GError *err = NULL;
    static const char nul[] = "A=1\nB=\0x\n";
    CU_ASSERT_PTR_NULL(
        msm_confdoc_parse(&msm_conf_format_option_dat, "option.dat", nul, sizeof nul - 1, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    CU_ASSERT(err && g_str_has_prefix(err->message, "option.dat:2: NUL byte"));
    g_clear_error(&err);
}

/* ---------------------------------------------------------------------- */
/* imta_tailor                                                            */
/* ---------------------------------------------------------------------- */

static void
test_imta_tailor(void)
{
    static const char sample[] =
        "! imta_tailor - SIMS 4.0\n"
        "IMTA_ALIAS_DATABASE=/var/opt/SUNWmail/imta/db/aliasesdb\n"
        "IMTA_ALIAS_FILE=/etc/opt/SUNWmail/imta/aliases\r\n"
        "\n"
        "IMTA_ADMIN_PROPERTY=/etc/opt/SUNWmail/admin/adminserver.properties\n"
        "IMTA_ROOT=/opt/SUNWmail/imta/\n"
        "=/no/key\n"
        "IMTA_QUEUE=/var/opt/SUNWmail/imta/\\\n"
        "queue/";
    MsmConfDoc *doc = parse_ok(&msm_conf_format_imta_tailor, "imta_tailor", sample);
    assert_value(doc, "", "IMTA_ALIAS_FILE", "/etc/opt/SUNWmail/imta/aliases");
    assert_value(doc, "", "imta_root", "/opt/SUNWmail/imta/");
    assert_value(doc, "", "IMTA_QUEUE", "/var/opt/SUNWmail/imta/queue/");
    assert_node(doc, 7, MSM_CONF_VERBATIM, 1);
    assert_node(doc, 8, MSM_CONF_ENTRY, 2);
    assert_warning(doc, 1, "imta_tailor:7: line not understood (not a valid option name");

    set_ok(doc, "", "IMTA_ALIAS_FILE", "/opt/sun/comms/messaging/config/aliases");
    set_ok(doc, "", "IMTA_QUEUE", "/var/opt/sun/comms/messaging/queue/");
    set_ok(doc, "", "IMTA_LANG", "/opt/sun/comms/messaging/lib/lang/");
    assert_text(doc, "! imta_tailor - SIMS 4.0\n"
                     "IMTA_ALIAS_DATABASE=/var/opt/SUNWmail/imta/db/aliasesdb\n"
                     "IMTA_ALIAS_FILE=/opt/sun/comms/messaging/config/aliases\r\n"
                     "\n"
                     "IMTA_ADMIN_PROPERTY=/etc/opt/SUNWmail/admin/adminserver.properties\n"
                     "IMTA_ROOT=/opt/SUNWmail/imta/\n"
                     "=/no/key\n"
                     "IMTA_QUEUE=/var/opt/sun/comms/messaging/queue/\n"
                     "IMTA_LANG=/opt/sun/comms/messaging/lib/lang/\n");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "IMTA_ADMIN_PROPERTY"));
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "IMTA_LANG"));
    assert_text(doc, "! imta_tailor - SIMS 4.0\n"
                     "IMTA_ALIAS_DATABASE=/var/opt/SUNWmail/imta/db/aliasesdb\n"
                     "IMTA_ALIAS_FILE=/opt/sun/comms/messaging/config/aliases\r\n"
                     "\n"
                     "IMTA_ROOT=/opt/SUNWmail/imta/\n"
                     "=/no/key\n"
                     "IMTA_QUEUE=/var/opt/sun/comms/messaging/queue/\n");
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* backup-groups.conf                                                     */
/* ---------------------------------------------------------------------- */

static void
test_backup_groups(void)
{
    static const char sample[] = "# backup groups\n"
                                 "groupA=[a-l].*\n"
                                 "groupB = [m-z].*\r\n"
                                 "\n"
                                 "! digits\n"
                                 "GroupA=[0-9].*\n"
                                 "[a-z]*\n"
                                 "staff=.*\\\n";
    MsmConfDoc *doc = parse_ok(&msm_conf_format_backup_groups, "backup-groups.conf", sample);
    assert_value(doc, "", "groupA", "[a-l].*");
    assert_value(doc, "", "groupB", "[m-z].*");
    assert_value(doc, "", "GroupA", "[0-9].*"); /* group names are case-sensitive */
    assert_value(doc, "", "staff", ".*\\");     /* no continuation in this file */
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "groupa"));
    assert_node(doc, 1, MSM_CONF_COMMENT, 1);
    assert_node(doc, 5, MSM_CONF_COMMENT, 1);
    assert_node(doc, 7, MSM_CONF_VERBATIM, 1);
    assert_warning(doc, 1, "backup-groups.conf:7: line not understood");
    set_ok(doc, "", "groupB", "[m-y].*");
    set_ok(doc, "", "groupC", "z.*");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "GroupA"));
    assert_text(doc, "# backup groups\n"
                     "groupA=[a-l].*\n"
                     "groupB=[m-y].*\r\n"
                     "\n"
                     "! digits\n"
                     "[a-z]*\n"
                     "staff=.*\\\n"
                     "groupC=z.*\n");
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* job_controller.cnf                                                     */
/* ---------------------------------------------------------------------- */

static const char jbc_sims[] = "!IMTA job controller configuration file\n"           /* 1 */
                               "debug=1\n"                                           /* 2 */
                               "udp_port=27442\n"                                    /* 3 */
                               "slave_command=NULL\n"                                /* 4 */
                               "capacity=100\n"                                      /* 5 */
                               "[QUEUE=DEFAULT]\n"                                   /* 6 */
                               "job_limit=10\n"                                      /* 7 */
                               "capacity=200\n"                                      /* 8 */
                               "[QUEUE=SINGLE_JOB]\n"                                /* 9 */
                               "job_limit=1\n"                                       /* 10 */
                               "[CHANNEL=l]\n"                                       /* 11 */
                               "master_command=/opt/SUNWmail/imta/lib/l_master\n"    /* 12 */
                               "[CHANNEL=sims-ms]\n"                                 /* 13 */
                               "master_command=/opt/SUNWmail/ims/lib/ims_master\n"   /* 14 */
                               "[CHANNEL=tcp_*]\n"                                   /* 15 */
                               "master_command=/opt/SUNWmail/imta/lib/tcp_smtp_client\n";

static void
test_job_controller_sims(void)
{
    MsmConfDoc *doc = parse_ok(&msm_conf_format_job_controller, "job_controller.cnf", jbc_sims);
    CU_ASSERT_EQUAL(msm_confdoc_warnings(doc)->len, 0);
    assert_value(doc, "", "capacity", "100");
    assert_value(doc, "QUEUE=DEFAULT", "capacity", "200");
    assert_value(doc, "QUEUE=SINGLE_JOB", "JOB_LIMIT", "1");
    assert_value(doc, "CHANNEL=tcp_*", "master_command",
                 "/opt/SUNWmail/imta/lib/tcp_smtp_client");
    const MsmConfNode *h = node_at(doc, 13);
    CU_ASSERT_EQUAL(h->type, MSM_CONF_SECTION);
    CU_ASSERT_STRING_EQUAL(h->key, "CHANNEL=sims-ms");
    CU_ASSERT_STRING_EQUAL(node_at(doc, 14)->section, "CHANNEL=sims-ms");

    /* the SIMS -> iMS changes of the facts' migration point */
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "udp_port"));
    set_ok(doc, "", "tcp_port", "27442");            /* top level: before the first section */
    set_ok(doc, "QUEUE=DEFAULT", "job_limit", "12"); /* in place */
    set_ok(doc, "queue=default", "max_life_age", "3600"); /* after the section's last entry */
    set_ok(doc, "POOL=SMTP_POOL", "job_limit", "10");     /* a new section at the end */
    assert_text(doc, "!IMTA job controller configuration file\n"
                     "debug=1\n"
                     "slave_command=NULL\n"
                     "capacity=100\n"
                     "tcp_port=27442\n"
                     "[QUEUE=DEFAULT]\n"
                     "job_limit=12\n"
                     "capacity=200\n"
                     "max_life_age=3600\n"
                     "[QUEUE=SINGLE_JOB]\n"
                     "job_limit=1\n"
                     "[CHANNEL=l]\n"
                     "master_command=/opt/SUNWmail/imta/lib/l_master\n"
                     "[CHANNEL=sims-ms]\n"
                     "master_command=/opt/SUNWmail/ims/lib/ims_master\n"
                     "[CHANNEL=tcp_*]\n"
                     "master_command=/opt/SUNWmail/imta/lib/tcp_smtp_client\n"
                     "[POOL=SMTP_POOL]\n"
                     "job_limit=10\n");
    msm_confdoc_free(doc);
}

static void
test_job_controller_ms6(void)
{
    static const char sample[] =
        "! MS 6 job controller\r\n"                                   /* 1 */
        "tcp_port = 27442\r\n"                                        /* 2 */
        "secret=s3cr3t\r\n"                                           /* 3 */
        "\r\n"                                                        /* 4 */
        "[ pool = DEFAULT ]\r\n"                                      /* 5 */
        "job_limit=10\r\n"                                            /* 6 */
        "[POOL=SMTP_POOL\r\n"                                         /* 7 */
        "job_limit=5\r\n"                                             /* 8 */
        "! still under the broken header\r\n"                         /* 9 */
        "[CHANNEL=ims-ms]\r\n"                                        /* 10 */
        "master_command=msg_svr_base/lib/\\\r\n"                      /* 11 */
        "ims_master\r\n"                                              /* 12 */
        "[channel=tcp_*]\r\n"                                         /* 13 */
        "anon_host=0\r\n"                                             /* 14 */
        "master_command=msg_svr_base/lib/tcp_smtp_client\r\n"         /* 15 */
        "[PERIODIC_JOB=return_job]\r\n"                               /* 16 */
        "command=msg_svr_base/lib/return_job\r\n"                     /* 17 */
        "time=00:30";                                                 /* 18 */
    MsmConfDoc *doc = parse_ok(&msm_conf_format_job_controller, "job_controller.cnf", sample);
    CU_ASSERT_STRING_EQUAL(node_at(doc, 5)->key, "POOL=DEFAULT");
    assert_node(doc, 7, MSM_CONF_VERBATIM, 1);
    assert_node(doc, 8, MSM_CONF_VERBATIM, 1);
    assert_node(doc, 9, MSM_CONF_COMMENT, 1);
    assert_node(doc, 11, MSM_CONF_ENTRY, 2);
    CU_ASSERT_STRING_EQUAL(node_at(doc, 13)->key, "CHANNEL=tcp_*");
    assert_warning(doc, 2, "job_controller.cnf:7: section header not understood");
    assert_warning(doc, 2, "job_controller.cnf:8: option below the section header on line 7");
    assert_value(doc, "", "TCP_PORT", "27442");
    assert_value(doc, "POOL=DEFAULT", "job_limit", "10");
    assert_value(doc, "CHANNEL=ims-ms", "master_command", "msg_svr_base/lib/ims_master");
    assert_value(doc, "CHANNEL=tcp_*", "anon_host", "0");
    assert_value(doc, "PERIODIC_JOB=return_job", "time", "00:30");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "POOL=DEFAULT", "secret"));

    /* appending after the last line, which has no line end, in its section */
    set_ok(doc, "PERIODIC_JOB=return_job", "days", "1");
    set_ok(doc, "CHANNEL=TCP_*", "anon_host", "1");
    set_ok(doc, "POOL=DEFAULT", "job_limit", "20");
    set_ok(doc, "", "max_life_age", "3600");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "CHANNEL=ims-ms", "master_command"));
    assert_text(doc, "! MS 6 job controller\r\n"
                     "tcp_port = 27442\r\n"
                     "secret=s3cr3t\r\n"
                     "max_life_age=3600\r\n"
                     "\r\n"
                     "[ pool = DEFAULT ]\r\n"
                     "job_limit=20\r\n"
                     "[POOL=SMTP_POOL\r\n"
                     "job_limit=5\r\n"
                     "! still under the broken header\r\n"
                     "[CHANNEL=ims-ms]\r\n"
                     "[channel=tcp_*]\r\n"
                     "anon_host=1\r\n"
                     "master_command=msg_svr_base/lib/tcp_smtp_client\r\n"
                     "[PERIODIC_JOB=return_job]\r\n"
                     "command=msg_svr_base/lib/return_job\r\n"
                     "time=00:30\r\n"
                     "days=1\r\n");
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* dispatcher.cnf                                                         */
/* ---------------------------------------------------------------------- */

static void
test_dispatcher(void)
{
    static const char sample[] = "! dispatcher.cnf\n"
                                 "MIN_PROCS=0\n"
                                 "MAX_PROCS=5\n"
                                 "MIN_CONNS=5\n"
                                 "MAX_CONNS=20\n"
                                 "MAX_LIFE_TIME=86400\n"
                                 "MAX_LIFE_CONNS=100\n"
                                 "MAX_SHUTDOWN=2\n"
                                 "DEBUG=16%ffff\n"
                                 "[SERVICE=SMTP]\n"
                                 "PORT=25\n"
                                 "IMAGE=msg_svr_base/lib/tcp_smtp_server\n"
                                 "LOGFILE=msg_svr_base/log/tcp_smtp_server.log\n"
                                 "\n"
                                 "[SERVICE=SMTP_SUBMIT]\n"
                                 "PORT=587\n"
                                 "TLS_PORT=465\n"
                                 "IMAGE=msg_svr_base/lib/tcp_smtp_server\n"
                                 "BACKLOG 8%100\n";
    MsmConfDoc *doc = parse_ok(&msm_conf_format_dispatcher, "dispatcher.cnf", sample);
    assert_value(doc, "", "DEBUG", "16%ffff"); /* b%v integers stay text */
    assert_value(doc, "SERVICE=SMTP", "PORT", "25");
    assert_value(doc, "SERVICE=SMTP_SUBMIT", "port", "587");
    assert_value(doc, "service=smtp_submit", "TLS_PORT", "465");
    assert_node(doc, 19, MSM_CONF_VERBATIM, 1);
    assert_warning(doc, 1, "dispatcher.cnf:19: line not understood (no \"=\"");
    set_ok(doc, "SERVICE=SMTP", "PORT", "8%31");
    set_ok(doc, "SERVICE=SMTP", "INTERFACE_ADDRESS", "192.0.2.1");
    set_ok(doc, "", "USE_NSLOG", "1");
    set_ok(doc, "service=LMTP", "PORT", "225");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "SERVICE=SMTP_SUBMIT", "TLS_PORT"));
    assert_text(doc, "! dispatcher.cnf\n"
                     "MIN_PROCS=0\n"
                     "MAX_PROCS=5\n"
                     "MIN_CONNS=5\n"
                     "MAX_CONNS=20\n"
                     "MAX_LIFE_TIME=86400\n"
                     "MAX_LIFE_CONNS=100\n"
                     "MAX_SHUTDOWN=2\n"
                     "DEBUG=16%ffff\n"
                     "USE_NSLOG=1\n"
                     "[SERVICE=SMTP]\n"
                     "PORT=8%31\n"
                     "IMAGE=msg_svr_base/lib/tcp_smtp_server\n"
                     "LOGFILE=msg_svr_base/log/tcp_smtp_server.log\n"
                     "INTERFACE_ADDRESS=192.0.2.1\n"
                     "\n"
                     "[SERVICE=SMTP_SUBMIT]\n"
                     "PORT=587\n"
                     "IMAGE=msg_svr_base/lib/tcp_smtp_server\n"
                     "BACKLOG 8%100\n"
                     "[SERVICE=LMTP]\n"
                     "PORT=225\n");
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* channel option files                                                   */
/* ---------------------------------------------------------------------- */

static void
test_channel_option(void)
{
    static const char sample[] = "! tcp_local_option\r\n"
                                 "ALLOW_RECIPIENTS_PER_TRANSACTION=50\r\n"
                                 "ALLOW_TRANSACTIONS_PER_SESSION = 5\r\n"
                                 "DISABLE_EXPAND=1\r\n"
                                 "LOG_CONNECTION=\\\r\n"
                                 "3\r\n"
                                 "[section]\r\n"
                                 "MAX_CLIENT_THREADS=20";
    MsmConfDoc *doc = parse_ok(&msm_conf_format_channel_option, "tcp_local_option", sample);
    assert_value(doc, "", "allow_transactions_per_session", "5");
    assert_value(doc, "", "LOG_CONNECTION", "3");
    assert_node(doc, 5, MSM_CONF_ENTRY, 2);
    assert_node(doc, 7, MSM_CONF_VERBATIM, 1);
    assert_warning(doc, 1, "tcp_local_option:7: line not understood");
    set_ok(doc, "", "MAX_CLIENT_THREADS", "40");
    set_ok(doc, "", "ALLOW_ETRNS_PER_SESSION", "1");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "DISABLE_EXPAND"));
    assert_text(doc, "! tcp_local_option\r\n"
                     "ALLOW_RECIPIENTS_PER_TRANSACTION=50\r\n"
                     "ALLOW_TRANSACTIONS_PER_SESSION = 5\r\n"
                     "LOG_CONNECTION=\\\r\n"
                     "3\r\n"
                     "[section]\r\n"
                     "MAX_CLIENT_THREADS=40\r\n"
                     "ALLOW_ETRNS_PER_SESSION=1\r\n");
    /* an option file without sections cannot get one */
    GError *err = NULL;
    CU_ASSERT_FALSE(msm_confdoc_set(doc, "SERVICE=SMTP", "PORT", "25", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    msm_confdoc_free(doc);
}

/* ---------------------------------------------------------------------- */
/* file names, formats table                                              */
/* ---------------------------------------------------------------------- */

static void
test_for_file(void)
{
    static const struct {
        const char *path;
        const MsmConfFormat *fmt;
    } cases[] = {
        {"config/msg.conf", &msm_conf_format_configutil},
        {"local.conf", &msm_conf_format_configutil},
        {"config/msg.conf.defaults", &msm_conf_format_configutil},
        {"saved/2024-01-01.configutil", &msm_conf_format_configutil},
        {"config/option.dat", &msm_conf_format_option_dat},
        {"option.dat", &msm_conf_format_option_dat},
        {"imta/imta_tailor", &msm_conf_format_imta_tailor},
        {"config/backup-groups.conf", &msm_conf_format_backup_groups},
        {"config/job_controller.cnf", &msm_conf_format_job_controller},
        {"config/dispatcher.cnf", &msm_conf_format_dispatcher},
        {"config/tcp_local_option", &msm_conf_format_channel_option},
        {"tcp_local_option", &msm_conf_format_channel_option},
        {"native_option", &msm_conf_format_channel_option},
        {"l_option", &msm_conf_format_channel_option},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const MsmConfFormat *f = msm_conf_format_for_file(cases[i].path);
        CU_ASSERT_PTR_EQUAL(f, cases[i].fmt);
        if (f != cases[i].fmt)
            fprintf(stderr, "\n%s -> %s\n", cases[i].path, f ? f->name : "(none)");
    }
    CU_ASSERT_PTR_NULL(msm_conf_format_for_file("config/msg.conf.bak"));
    CU_ASSERT_PTR_NULL(msm_conf_format_for_file("option.dat.old"));
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("configutil"), &msm_conf_format_configutil);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("job_controller.cnf"),
                        &msm_conf_format_job_controller);
    CU_ASSERT_PTR_EQUAL(msm_conf_format_find("channel_option"),
                        &msm_conf_format_channel_option);
}

/* ---------------------------------------------------------------------- */
/* property: random documents round-trip                                  */
/* ---------------------------------------------------------------------- */

/* A random line (without its line end), valid or not for any format. */
static void
random_line(GRand *r, GString *s)
{
    static const char *const pieces[] = {
        "KEY=VALUE", "key = value", "  indented=1", "service.pop.banner = \"a b\" [REFRESHABLE]",
        "a=\"unterminated", "a = \"x\" trailing", "! comment", "# comment", "", "   ", "\t",
        "no equals", "=novalue", "[POOL=DEFAULT]", "[ SERVICE = SMTP ]", "[broken", "[A=]",
        "cont=\\", "\\", "x;lang-jp = \"\\\"q\\\"\"", "A=16%ff", "b=", "[CHANNEL=tcp_*]",
        "weird chars=~", "k=v \\ ", "\r", "a\rb=c",
    };
    if (g_rand_int_range(r, 0, 5) == 0) {
        /* random printable bytes, some special */
        static const char alphabet[] = "ab=[]!#\\\" \t;.-_*%\r";
        gint n = g_rand_int_range(r, 0, 12);
        for (gint i = 0; i < n; i++)
            g_string_append_c(s, alphabet[g_rand_int_range(r, 0, sizeof alphabet - 1)]);
        return;
    }
    g_string_append(s, pieces[g_rand_int_range(r, 0, G_N_ELEMENTS(pieces))]);
}

static void
test_random_round_trip(void)
{
    const MsmConfFormat *fmts[] = {
        &msm_conf_format_configutil,     &msm_conf_format_option_dat,
        &msm_conf_format_imta_tailor,    &msm_conf_format_backup_groups,
        &msm_conf_format_job_controller, &msm_conf_format_dispatcher,
        &msm_conf_format_channel_option,
    };
    GRand *r = g_rand_new_with_seed(20240611);
    for (guint doc_no = 0; doc_no < 200; doc_no++) {
        const MsmConfFormat *f = fmts[doc_no % G_N_ELEMENTS(fmts)];
        GString *s = g_string_new(NULL);
        gint nl = g_rand_int_range(r, 0, 30);
        for (gint i = 0; i < nl; i++) {
            random_line(r, s);
            gboolean last = i == nl - 1;
            if (!last || g_rand_boolean(r))
                g_string_append(s, g_rand_boolean(r) ? "\n" : "\r\n");
        }
        GError *err = NULL;
        MsmConfDoc *doc = msm_confdoc_parse(f, "random", s->str, s->len, &err);
        CU_ASSERT_PTR_NOT_NULL(doc);
        CU_ASSERT_PTR_NULL(err);
        g_clear_error(&err);
        if (doc) {
            GBytes *b = msm_confdoc_serialize(doc);
            gsize n;
            const char *d = g_bytes_get_data(b, &n);
            CU_ASSERT(n == s->len && memcmp(d, s->str, n) == 0);
            g_bytes_unref(b);
            /* node line numbers are consecutive and cover every physical line */
            guint expect = 1, verbatim = 0;
            for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
                const MsmConfNode *node = msm_confdoc_node(doc, i);
                CU_ASSERT_EQUAL(node->line, expect);
                CU_ASSERT(node->nlines >= 1);
                expect += node->nlines;
                verbatim += node->type == MSM_CONF_VERBATIM;
                CU_ASSERT_EQUAL(node->type == MSM_CONF_ENTRY, node->key && node->value);
            }
            GArray *lines = msm_conf_split_lines(s->str, s->len);
            CU_ASSERT_EQUAL(expect - 1, lines->len);
            g_array_unref(lines);
            CU_ASSERT_EQUAL(verbatim, msm_confdoc_warnings(doc)->len);
            /* every entry can be changed and the result still parses to it */
            GPtrArray *e = msm_confdoc_entries(doc);
            if (e->len > 0) {
                MsmConfNode *first = e->pdata[0];
                char *sec = g_strdup(first->section), *key = g_strdup(first->key);
                set_ok(doc, sec, key, "new value");
                char *t = text_of(doc);
                MsmConfDoc *again = msm_confdoc_parse(f, "random", t, strlen(t), &err);
                CU_ASSERT_PTR_NOT_NULL(again);
                g_clear_error(&err);
                if (again) {
                    const MsmConfNode *n2 = msm_confdoc_find(again, sec, key);
                    CU_ASSERT(n2 != NULL && strcmp(n2->value, "new value") == 0);
                    msm_confdoc_free(again);
                }
                g_free(t);
                g_free(sec);
                g_free(key);
            }
            g_ptr_array_unref(e);
            msm_confdoc_free(doc);
        }
        g_string_free(s, TRUE);
    }
    g_rand_free(r);
}

MSM_TEST_MAIN("conf-keyvalue", MSM_TEST(test_configutil_parse), MSM_TEST(test_configutil_change),
              MSM_TEST(test_option_dat), MSM_TEST(test_dangling_and_nul),
              MSM_TEST(test_imta_tailor), MSM_TEST(test_backup_groups),
              MSM_TEST(test_job_controller_sims), MSM_TEST(test_job_controller_ms6),
              MSM_TEST(test_dispatcher), MSM_TEST(test_channel_option), MSM_TEST(test_for_file),
              MSM_TEST(test_random_round_trip))
