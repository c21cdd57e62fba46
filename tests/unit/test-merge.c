/*
 * NAME
 *	test-merge.c - the three-way merge engine of core/merge.c
 * DESCRIPTION
 *	The UpgradeMsg5toMsg6.pl rule case by case on option.dat and configutil
 *	documents (new has no default, old value is / is not the old default,
 *	old default unknown, old-only carried or dropped, obsolete dropped,
 *	new-only present), byte-exact MERGED files (the template's comments
 *	kept), imta.cnf with the old structure kept (rules and channels as in
 *	the old file, include paths rewritten, the LMTP channel only reported),
 *	path rewrites of values, a whole CHANGES text, errors, and a property
 *	test over random documents: no old entity is ever lost silently.
 */
#include "config.h"

#include "testutil.h"

#include <msmigrate/error.h>
#include <msmigrate/merge.h>

#include <string.h>

/* Parses text with the named format (fails the test on error). */
static MsmConfDoc *
parse(const char *format, const char *text)
{
    const MsmConfFormat *fmt = msm_conf_format_find(format);
    g_assert(fmt != NULL);
    GError *err = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(fmt, format, text, strlen(text), &err);
    if (doc == NULL)
        g_error("parse %s: %s", format, err->message);
    return doc;
}

/* The document's bytes as a string. (transfer full) */
static char *
text_of(const MsmConfDoc *doc)
{
    GBytes *b = msm_confdoc_serialize(doc);
    gsize len;
    const char *d = g_bytes_get_data(b, &len);
    char *s = g_strndup(d ? d : "", len);
    g_bytes_unref(b);
    return s;
}

/* The change for (section, key) of node type ENTRY, or NULL. */
static const MsmMergeChange *
change_for(const GPtrArray *changes, const char *section, const char *key)
{
    for (guint i = 0; i < changes->len; i++) {
        const MsmMergeChange *c = changes->pdata[i];
        if (c->node_type == MSM_CONF_ENTRY && strcmp(c->section, section) == 0 &&
            g_ascii_strcasecmp(c->key, key) == 0)
            return c;
    }
    return NULL;
}

/* The value of (section, key) in doc, or NULL. */
static const char *
value_in(const MsmConfDoc *doc, const char *section, const char *key)
{
    const MsmConfNode *n = msm_confdoc_find(doc, section, key);
    return n ? (n->value ? n->value : "") : NULL;
}

static const char opt_defaults52[] = "! IMTA option file\n"
                                     "LOG_CONNECTION=0\n"
                                     "MAX_NOTIFYS=2\n"
                                     "CHANNEL_TABLE_SIZE=256\n"
                                     "LOG_FILENAME=0\n"
                                     "MM_DEBUG=0\n";

static const char opt_old52[] = "! IMTA option file\n"
                                "! siroe.com changes\n"
                                "LOG_CONNECTION=0\n"
                                "MAX_NOTIFYS=5\n"
                                "CHANNEL_TABLE_SIZE=256\n"
                                "LOG_FILENAME=1\n"
                                "LOG_MESSAGES_SYSLOG=1\n"
                                "MM_DEBUG=0\n";

static const char opt_new60[] = "! IMTA option file, Messaging Server 6.0\n"
                                "! Connection logging\n"
                                "LOG_CONNECTION=1\n"
                                "! how many notices\n"
                                "MAX_NOTIFYS=3\n"
                                "LOG_FILENAME=\n"
                                "MM_DEBUG=0\n"
                                "! new in 6.0\n"
                                "ALIAS_MAGIC=4\n";

static const MsmMergeEntity opt_obsolete[] = {
    {NULL, "channel_table_size", "replaced by automatic sizing in 6.0"},
    {NULL, NULL, NULL},
};

/* Runs the option.dat merge with rules r and old defaults od (may be NULL). */
static MsmConfDoc *
merge_options(const MsmMergeRules *r, const char *defaults_text, GPtrArray **changes)
{
    MsmConfDoc *old = parse("option.dat", opt_old52);
    MsmConfDoc *def = defaults_text ? parse("option.dat", defaults_text) : NULL;
    MsmConfDoc *tpl = parse("option.dat", opt_new60);
    GError *err = NULL;
    MsmConfDoc *merged = msm_merge(old, def, tpl, r, changes, &err);
    if (merged == NULL)
        g_error("merge: %s", err->message);
    msm_confdoc_free(old);
    msm_confdoc_free(def);
    msm_confdoc_free(tpl);
    return merged;
}

/* Every rule case of the seed on option.dat, and the MERGED bytes. */
static void
test_option_dat_rules(void)
{
    MsmMergeRules r = {.obsolete = opt_obsolete, .from_version = "5.2", .to_version = "6.0"};
    GPtrArray *ch = NULL;
    MsmConfDoc *merged = merge_options(&r, opt_defaults52, &ch);
    const MsmMergeChange *c;

    /* old value == old default -> the new default */
    c = change_for(ch, "", "LOG_CONNECTION");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_TOOK_NEW);
    CU_ASSERT_STRING_EQUAL(c->old_default, "0");
    CU_ASSERT_STRING_EQUAL(value_in(merged, "", "LOG_CONNECTION"), "1");
    /* old value != old default -> the old value */
    c = change_for(ch, "", "MAX_NOTIFYS");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_KEPT_OLD);
    CU_ASSERT_STRING_EQUAL(c->new_value, "3");
    CU_ASSERT_STRING_EQUAL(value_in(merged, "", "MAX_NOTIFYS"), "5");
    /* the new version has no default value -> the old value */
    c = change_for(ch, "", "LOG_FILENAME");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_KEPT_OLD);
    CU_ASSERT_PTR_NOT_NULL(strstr(c->reason, "no value"));
    CU_ASSERT_STRING_EQUAL(value_in(merged, "", "LOG_FILENAME"), "1");
    /* obsolete: dropped, listed with its reason */
    c = change_for(ch, "", "CHANNEL_TABLE_SIZE");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_OBSOLETE);
    CU_ASSERT_PTR_NULL(c->merged_value);
    CU_ASSERT_STRING_EQUAL(c->reason, "replaced by automatic sizing in 6.0");
    CU_ASSERT_PTR_NULL(value_in(merged, "", "CHANNEL_TABLE_SIZE"));
    /* only old: carried at the end */
    c = change_for(ch, "", "LOG_MESSAGES_SYSLOG");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_ONLY_OLD);
    CU_ASSERT_STRING_EQUAL(c->merged_value, "1");
    /* same both sides */
    c = change_for(ch, "", "MM_DEBUG");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_SAME);
    CU_ASSERT_PTR_NULL(c->reason);
    /* only new: present, listed */
    c = change_for(ch, "", "ALIAS_MAGIC");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_ONLY_NEW);
    CU_ASSERT_STRING_EQUAL(c->merged_value, "4");
    CU_ASSERT_EQUAL(ch->len, 7);

    /* The template's comments and order stay; changed values are in place. */
    char *t = text_of(merged);
    CU_ASSERT_STRING_EQUAL(t, "! IMTA option file, Messaging Server 6.0\n"
                              "! Connection logging\n"
                              "LOG_CONNECTION=1\n"
                              "! how many notices\n"
                              "MAX_NOTIFYS=5\n"
                              "LOG_FILENAME=1\n"
                              "MM_DEBUG=0\n"
                              "! new in 6.0\n"
                              "ALIAS_MAGIC=4\n"
                              "LOG_MESSAGES_SYSLOG=1\n");
    g_free(t);
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);
}

/* Old defaults not known: a differing old value is kept and the reason says why. */
static void
test_option_dat_unknown_default(void)
{
    MsmMergeRules r = {.from_version = "5.2", .to_version = "6.0"};
    GPtrArray *ch = NULL;
    MsmConfDoc *merged = merge_options(&r, NULL, &ch);
    const MsmMergeChange *c = change_for(ch, "", "LOG_CONNECTION");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_KEPT_OLD);
    CU_ASSERT_PTR_NULL(c->old_default);
    CU_ASSERT_PTR_NOT_NULL(strstr(c->reason, "5.2 default is not known"));
    CU_ASSERT_STRING_EQUAL(value_in(merged, "", "LOG_CONNECTION"), "0");
    /* no obsolete list: the old entity is carried as old-only */
    c = change_for(ch, "", "CHANNEL_TABLE_SIZE");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_ONLY_OLD);
    CU_ASSERT_STRING_EQUAL(value_in(merged, "", "CHANNEL_TABLE_SIZE"), "256");
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);
}

/* drop_old_only: old-only entities are listed, not carried; rules == NULL works. */
static void
test_drop_old_only_and_null_rules(void)
{
    MsmMergeRules r = {.drop_old_only = TRUE};
    GPtrArray *ch = NULL;
    MsmConfDoc *merged = merge_options(&r, opt_defaults52, &ch);
    const MsmMergeChange *c = change_for(ch, "", "LOG_MESSAGES_SYSLOG");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_ONLY_OLD);
    CU_ASSERT_PTR_NULL(c->merged_value);
    CU_ASSERT_PTR_NULL(value_in(merged, "", "LOG_MESSAGES_SYSLOG"));
    CU_ASSERT_PTR_NOT_NULL(strstr(c->reason, "only in old"));
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);

    merged = merge_options(NULL, opt_defaults52, NULL);
    CU_ASSERT_STRING_EQUAL(value_in(merged, "", "LOG_MESSAGES_SYSLOG"), "1");
    CU_ASSERT_STRING_EQUAL(value_in(merged, "", "CHANNEL_TABLE_SIZE"), "256");
    msm_confdoc_free(merged);
}

/* An obsolete-callback with its own reason. */
static gboolean
obsolete_debug(const char *section, const char *key, const char *value, char **reason_r,
               gpointer data)
{
    (void)section;
    (void)value;
    CU_ASSERT_STRING_EQUAL(data, "cookie");
    if (g_str_has_prefix(key, "mm_debug")) {
        *reason_r = g_strdup("debug options are gone");
        return TRUE;
    }
    return FALSE;
}

static const char cu_defaults52[] = "service.imap.port = 143\n"
                                    "service.pop.banner = \"%h POP3 service (5.2)\"\n"
                                    "store.quotaenforcement = off\n"
                                    "mm_debug.level = 0\n";

static const char cu_old52[] = "# local.conf of siroe.com\n"
                               "service.imap.port = 143\n"
                               "service.pop.banner = \"siroe mail\"\n"
                               "store.quotaenforcement = on\n"
                               "mm_debug.level = 3\n"
                               "local.siroe.custom = \"a b\"\n";

static const char cu_new60[] = "# msg.conf template 6.0\n"
                               "service.imap.port = 143\n"
                               "service.pop.banner = \"%h POP3 service (6.0)\"\n"
                               "store.quotaenforcement = off\n"
                               "service.http.sslport = 443\n";

/* configutil: case-insensitive names, quoted values, callback obsolete, whole CHANGES. */
static void
test_configutil_and_changes_text(void)
{
    MsmConfDoc *old = parse("configutil", cu_old52);
    MsmConfDoc *def = parse("configutil", cu_defaults52);
    MsmConfDoc *tpl = parse("configutil", cu_new60);
    MsmMergeRules r = {.is_obsolete = obsolete_debug,
                       .data = "cookie",
                       .from_version = "5.2",
                       .to_version = "6.0"};
    GPtrArray *ch = NULL;
    GError *err = NULL;
    MsmConfDoc *merged = msm_merge(old, def, tpl, &r, &ch, &err);
    CU_ASSERT_PTR_NULL_FATAL(err);
    char *t = text_of(merged);
    CU_ASSERT_STRING_EQUAL(t, "# msg.conf template 6.0\n"
                              "service.imap.port = 143\n"
                              "service.pop.banner = \"siroe mail\"\n"
                              "store.quotaenforcement = on\n"
                              "service.http.sslport = 443\n"
                              "local.siroe.custom = \"a b\"\n");
    g_free(t);

    char *changes = msm_merge_changes_text("local.conf", "5.2", "6.0", ch);
    CU_ASSERT_STRING_EQUAL(
        changes,
        "# msmigrate CHANGES 1\n"
        "file=\"local.conf\"\n"
        "from=\"5.2\"\n"
        "to=\"6.0\"\n"
        "\n"
        "# only in 6.0: 1\n"
        "only-new key=\"service.http.sslport\" new=\"443\" merged=\"443\" reason=\"new in 6.0; "
        "in MERGED as the template has it\"\n"
        "\n"
        "# obsolete in 6.0: 1\n"
        "obsolete key=\"mm_debug.level\" old=\"3\" old-default=\"0\" merged=no "
        "reason=\"debug options are gone\"\n"
        "\n"
        "# only in 5.2: 1\n"
        "only-old key=\"local.siroe.custom\" old=\"a b\" merged=\"a b\" reason=\"only in 5.2; "
        "carried into MERGED\"\n"
        "\n"
        "# kept your value: 2\n"
        "kept-old key=\"service.pop.banner\" old=\"siroe mail\" new=\"%h POP3 service (6.0)\" "
        "old-default=\"%h POP3 service (5.2)\" merged=\"siroe mail\" reason=\"your value is "
        "not the 5.2 default\"\n"
        "kept-old key=\"store.quotaenforcement\" old=\"on\" new=\"off\" old-default=\"off\" "
        "merged=\"on\" reason=\"your value is not the 5.2 default\"\n"
        "\n"
        "# took the new default: 0\n"
        "\n"
        "# paths rewritten: 0\n");
    g_free(changes);
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);
    msm_confdoc_free(old);
    msm_confdoc_free(def);
    msm_confdoc_free(tpl);
}

static const char imta_old52[] =
    "! imta.cnf for siroe.com\n"
    "a $U@a-host\n"
    "siroe.com $U%siroe.com@l\n"
    "</usr/iplanet/server5/msg-budgie/imta/config/internet.rules\n"
    "\n"
    "defaults logging notices 1 2 4 7 copywarnpost\n"
    "\n"
    "! delivery channel to the local store\n"
    "l subdirs 20 viaaliasrequired maxjobs 7 pool LOCAL_POOL\n"
    "mailhost.siroe.com\n"
    "\n"
    "tcp_local smtp mx single_sys pool SMTP_POOL \\\n"
    "  inner remotehost\n"
    "! the official host name\n"
    "tcp-daemon\n"
    "\n"
    "ims-ms defragment subdirs 20 notices 1 7 14 21 28 maxjobs 2 pool IMS_POOL\n"
    "ims-ms-daemon\n";

static const char imta_new60[] =
    "! imta.cnf template, Messaging Server 6.0\n"
    "a $U@a-host\n"
    "<IMTA_TABLE:internet.rules\n"
    "\n"
    "defaults logging notices 1 2 4 7 copywarnpost\n"
    "\n"
    "l subdirs 20 viaaliasrequired maxjobs 7 pool LOCAL_POOL\n"
    "mailhost.siroe.com\n"
    "\n"
    "tcp_local smtp mx single_sys pool SMTP_POOL inner remotehost loopcheck\n"
    "tcp-daemon\n"
    "\n"
    "tcp_lmtpcs defragment lmtp port 225 nodns single_sys maxjobs 7 pool SMTP_POOL\n"
    "tcp_lmtpcs-daemon\n";

static const MsmMergePathMap budgie_paths[] = {
    {"/usr/iplanet/server5/msg-budgie/imta/config/", "/opt/SUNWmsgsr/config/"},
    {"/usr/iplanet/server5/msg-budgie/", "/opt/SUNWmsgsr/"},
    {NULL, NULL},
};

/* imta.cnf: the 5.2 rules and channels byte for byte, include path rewritten, LMTP
 * only reported. */
static void
test_imta_cnf_keep_old_structure(void)
{
    MsmConfDoc *old = parse("imta.cnf", imta_old52);
    MsmConfDoc *tpl = parse("imta.cnf", imta_new60);
    MsmMergeRules r = {.keep_old_structure = TRUE,
                       .rewrite_path = msm_merge_rewrite_paths,
                       .data = (gpointer)budgie_paths,
                       .from_version = "5.2",
                       .to_version = "6.0"};
    GPtrArray *ch = NULL;
    GError *err = NULL;
    MsmConfDoc *merged = msm_merge(old, NULL, tpl, &r, &ch, &err);
    CU_ASSERT_PTR_NULL_FATAL(err);

    char *expect = g_strdup(imta_old52);
    char *at = strstr(expect, "/usr/iplanet/server5/msg-budgie/imta/config/internet.rules");
    g_assert(at != NULL);
    GString *e = g_string_new_len(expect, at - expect);
    g_string_append(e, "/opt/SUNWmsgsr/config/internet.rules");
    g_string_append(e, at + strlen("/usr/iplanet/server5/msg-budgie/imta/config/internet.rules"));
    char *t = text_of(merged);
    CU_ASSERT_STRING_EQUAL(t, e->str);
    CU_ASSERT_PTR_NULL(strstr(t, "tcp_lmtpcs"));
    g_free(t);
    g_string_free(e, TRUE);
    g_free(expect);

    const MsmMergeChange *c = change_for(ch, "channels", "tcp_lmtpcs");
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_ONLY_NEW);
    CU_ASSERT_PTR_NULL(c->merged_value);
    CU_ASSERT_STRING_EQUAL(c->new_value,
                           "defragment lmtp port 225 nodns single_sys maxjobs 7 pool "
                           "SMTP_POOL\ntcp_lmtpcs-daemon");
    c = change_for(ch, "channels", "tcp_local");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_KEPT_OLD);
    CU_ASSERT_STRING_EQUAL(c->merged_value, "smtp mx single_sys pool SMTP_POOL inner "
                                            "remotehost\ntcp-daemon");
    CU_ASSERT_EQUAL(change_for(ch, "channels", "l")->action, MSM_MERGE_SAME);
    CU_ASSERT_EQUAL(change_for(ch, "channels", "ims-ms")->action, MSM_MERGE_ONLY_OLD);
    CU_ASSERT_EQUAL(change_for(ch, "rewrite", "siroe.com")->action, MSM_MERGE_ONLY_OLD);
    CU_ASSERT_EQUAL(change_for(ch, "rewrite", "a")->action, MSM_MERGE_SAME);

    gboolean inc_rewritten = FALSE, inc_new = FALSE;
    for (guint i = 0; i < ch->len; i++) {
        const MsmMergeChange *x = ch->pdata[i];
        if (x->node_type != MSM_CONF_INCLUDE)
            continue;
        if (x->action == MSM_MERGE_PATH_REWRITTEN &&
            strcmp(x->merged_value, "/opt/SUNWmsgsr/config/internet.rules") == 0)
            inc_rewritten = TRUE;
        if (x->action == MSM_MERGE_ONLY_NEW && strcmp(x->key, "IMTA_TABLE:internet.rules") == 0 &&
            x->merged_value == NULL)
            inc_new = TRUE;
    }
    CU_ASSERT(inc_rewritten);
    CU_ASSERT(inc_new);

    char *changes = msm_merge_changes_text("imta.cnf", "5.2", "6.0", ch);
    CU_ASSERT_PTR_NOT_NULL(strstr(changes, "\nonly-new section=\"channels\" key=\"tcp_lmtpcs\" "
                                           "new=\"defragment lmtp port 225 nodns single_sys "
                                           "maxjobs 7 pool SMTP_POOL\\ntcp_lmtpcs-daemon\" "
                                           "merged=no reason="));
    CU_ASSERT_PTR_NOT_NULL(strstr(changes, "\npath section=\"rewrite\" include=\"/usr/iplanet/server5/msg-budgie/"
                                           "imta/config/internet.rules\" merged=\"/opt/SUNWmsgsr/"
                                           "config/internet.rules\""));
    g_free(changes);
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);
    msm_confdoc_free(old);
    msm_confdoc_free(tpl);
}

/* Obsolete channel dropped in keep-old-structure mode; the blank lines stay. */
static void
test_imta_cnf_obsolete_channel(void)
{
    static const MsmMergeEntity obs[] = {{"channels", "ims-ms", NULL}, {NULL, NULL, NULL}};
    MsmConfDoc *old = parse("imta.cnf", imta_old52);
    MsmConfDoc *tpl = parse("imta.cnf", imta_new60);
    MsmMergeRules r = {.keep_old_structure = TRUE, .obsolete = obs};
    GPtrArray *ch = NULL;
    MsmConfDoc *merged = msm_merge(old, NULL, tpl, &r, &ch, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(merged);
    CU_ASSERT_PTR_NULL(msm_confdoc_find(merged, "channels", "ims-ms"));
    const MsmMergeChange *c = change_for(ch, "channels", "ims-ms");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_OBSOLETE);
    CU_ASSERT_STRING_EQUAL(c->reason, "obsolete in new: dropped");
    char *t = text_of(merged);
    CU_ASSERT(g_str_has_suffix(t, "tcp-daemon\n\n"));
    /* no rewrite rules given: the include is unchanged */
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n</usr/iplanet/server5/msg-budgie/imta/config/"));
    g_free(t);
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);
    msm_confdoc_free(old);
    msm_confdoc_free(tpl);
}

/* Path rewrites of values in a key/value file based on the new template, and a file
 * that does not exist in the new version. */
static void
test_value_path_rewrite(void)
{
    static const char old_text[] = "IMTA_TABLE=/usr/iplanet/server5/msg-budgie/imta/config/\n"
                                   "IMTA_LOG=/usr/iplanet/server5/msg-budgie/log/imta/\n"
                                   "IMTA_EXTRA=/usr/iplanet/server5/msg-budgie/extra.txt\n";
    static const char new_text[] = "! 6.0 tailor\n"
                                   "IMTA_TABLE=/opt/SUNWmsgsr/config/\n"
                                   "IMTA_LOG=/var/opt/SUNWmsgsr/log/\n";
    MsmConfDoc *old = parse("imta_tailor", old_text);
    MsmConfDoc *tpl = parse("imta_tailor", new_text);
    MsmMergeRules r = {.rewrite_path = msm_merge_rewrite_paths, .data = (gpointer)budgie_paths};
    GPtrArray *ch = NULL;
    MsmConfDoc *merged = msm_merge(old, NULL, tpl, &r, &ch, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(merged);
    CU_ASSERT_EQUAL(change_for(ch, "", "IMTA_TABLE")->action, MSM_MERGE_PATH_REWRITTEN);
    const MsmMergeChange *c = change_for(ch, "", "IMTA_LOG");
    CU_ASSERT_EQUAL(c->action, MSM_MERGE_KEPT_OLD);
    CU_ASSERT_STRING_EQUAL(c->merged_value, "/opt/SUNWmsgsr/log/imta/");
    CU_ASSERT_PTR_NOT_NULL(strstr(c->reason, "path rewritten"));
    char *t = text_of(merged);
    CU_ASSERT_STRING_EQUAL(t, "! 6.0 tailor\n"
                              "IMTA_TABLE=/opt/SUNWmsgsr/config/\n"
                              "IMTA_LOG=/opt/SUNWmsgsr/log/imta/\n"
                              "IMTA_EXTRA=/opt/SUNWmsgsr/extra.txt\n");
    g_free(t);
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);

    /* no new template: the old file with its paths rewritten in place */
    merged = msm_merge(old, NULL, NULL, &r, &ch, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(merged);
    t = text_of(merged);
    CU_ASSERT_STRING_EQUAL(t, "IMTA_TABLE=/opt/SUNWmsgsr/config/\n"
                              "IMTA_LOG=/opt/SUNWmsgsr/log/imta/\n"
                              "IMTA_EXTRA=/opt/SUNWmsgsr/extra.txt\n");
    g_free(t);
    CU_ASSERT_EQUAL(ch->len, 3);
    for (guint i = 0; i < ch->len; i++) {
        const MsmMergeChange *x = ch->pdata[i];
        CU_ASSERT_EQUAL(x->action, MSM_MERGE_ONLY_OLD);
        CU_ASSERT_PTR_NOT_NULL(strstr(x->reason, "does not exist in new"));
    }
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);
    msm_confdoc_free(old);
    msm_confdoc_free(tpl);

    /* the helper: longest prefix first, NULL when nothing matches */
    char *s = msm_merge_rewrite_paths("x /usr/iplanet/server5/msg-budgie/imta/config/a",
                                      (gpointer)budgie_paths);
    CU_ASSERT_STRING_EQUAL(s, "x /opt/SUNWmsgsr/config/a");
    g_free(s);
    CU_ASSERT_PTR_NULL(msm_merge_rewrite_paths("/opt/x", (gpointer)budgie_paths));
}

/* Documents of different formats are refused; a duplicate old entry is listed. */
static void
test_errors_and_duplicates(void)
{
    MsmConfDoc *old = parse("option.dat", "A=1\nA=2\nnot an option\n");
    MsmConfDoc *tpl = parse("configutil", "a = 1\n");
    GError *err = NULL;
    GPtrArray *ch = NULL;
    CU_ASSERT_PTR_NULL(msm_merge(old, NULL, tpl, NULL, &ch, &err));
    CU_ASSERT(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    CU_ASSERT_PTR_NULL(ch);
    g_clear_error(&err);
    msm_confdoc_free(tpl);

    tpl = parse("option.dat", "! t\nA=0\n");
    MsmConfDoc *merged = msm_merge(old, NULL, tpl, NULL, &ch, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(merged);
    CU_ASSERT_EQUAL(ch->len, 3);
    const MsmMergeChange *c0 = ch->pdata[0], *c1 = ch->pdata[1], *c2 = ch->pdata[2];
    CU_ASSERT_EQUAL(c0->action, MSM_MERGE_KEPT_OLD);
    CU_ASSERT_EQUAL(c1->action, MSM_MERGE_ONLY_OLD);
    CU_ASSERT_STRING_EQUAL(c1->old_value, "2");
    CU_ASSERT_PTR_NULL(c1->merged_value);
    CU_ASSERT_EQUAL(c2->node_type, MSM_CONF_VERBATIM);
    CU_ASSERT_EQUAL(c2->action, MSM_MERGE_ONLY_OLD);
    CU_ASSERT_STRING_EQUAL(c2->key, "not an option");
    char *text = msm_merge_changes_text("option.dat", NULL, NULL, ch);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\n# only in old: 2\nonly-old key=\"A\" old=\"2\" "
                                        "merged=no"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nonly-old line=\"not an option\" merged=no"));
    g_free(text);
    char *t = text_of(merged);
    CU_ASSERT_STRING_EQUAL(t, "! t\nA=1\n");
    g_free(t);
    g_ptr_array_unref(ch);
    msm_confdoc_free(merged);
    msm_confdoc_free(old);
    msm_confdoc_free(tpl);

    /* quoting in CHANGES lines */
    GPtrArray *one = g_ptr_array_new_with_free_func((GDestroyNotify)msm_merge_change_free);
    MsmMergeChange *q = g_new0(MsmMergeChange, 1);
    q->action = MSM_MERGE_TOOK_NEW;
    q->node_type = MSM_CONF_ENTRY;
    q->section = g_strdup("s");
    q->key = g_strdup("k\"\\");
    q->old_value = g_strdup("a\tb\x01");
    q->new_value = g_strdup("c\r\n");
    g_ptr_array_add(one, q);
    text = msm_merge_changes_text("f", "1", "2", one);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\ntook-new section=\"s\" key=\"k\\\"\\\\\" "
                                        "old=\"a\\tb\\x01\" new=\"c\\r\\n\" merged=no\n"));
    g_free(text);
    g_ptr_array_unref(one);
}

/* ---- property: no old entity is lost silently ---- */

static const char *const pool_keys[] = {"LOG_CONNECTION", "MAX_NOTIFYS", "ALIAS_MAGIC",
                                        "DEQUEUE_DEBUG",  "MM_DEBUG",    "OS_DEBUG",
                                        "LOG_FILENAME",   "IMTA_DIR",    "BLOCK_LIMIT",
                                        "HISTORY_TO_RETURN"};
static const char *const pool_values[] = {"0", "1", "5", "/old/root/imta", "/old/root/x/y",
                                          "a", ""};

/* A random option.dat or configutil text. (transfer full) */
static char *
random_text(GRand *rnd, gboolean configutil)
{
    GString *s = g_string_new(NULL);
    gint n = g_rand_int_range(rnd, 0, 14);
    for (gint i = 0; i < n; i++) {
        gint kind = g_rand_int_range(rnd, 0, 20);
        if (kind == 0) {
            g_string_append(s, configutil ? "# comment\n" : "! comment\n");
        } else if (kind == 1) {
            g_string_append(s, "\n");
        } else if (kind == 2) {
            g_string_append(s, "not understood\n");
        } else {
            char *key = g_strdup(pool_keys[g_rand_int_range(rnd, 0, G_N_ELEMENTS(pool_keys))]);
            if (g_rand_boolean(rnd)) {
                char *d = g_ascii_strdown(key, -1);
                g_free(key);
                key = d;
            }
            const char *v = pool_values[g_rand_int_range(rnd, 0, G_N_ELEMENTS(pool_values))];
            if (configutil)
                g_string_append_printf(s, "%s = \"%s\"\n", key, v);
            else if (*v)
                g_string_append_printf(s, "%s=%s\n", key, v);
            else
                g_string_append_printf(s, "%s=0\n", key);
            g_free(key);
        }
    }
    return g_string_free(s, FALSE);
}

/* Obsolete when the key's length is odd and the value is "5" (depends on the value). */
static gboolean
random_obsolete(const char *section, const char *key, const char *value, char **reason_r,
                gpointer data)
{
    (void)section;
    (void)reason_r;
    (void)data;
    return strlen(key) % 2 == 1 && strcmp(value, "5") == 0;
}

static const MsmMergePathMap random_paths[] = {{"/old/root/", "/new/base/"}, {NULL, NULL}};

/* 200 random merges: every old entry has its change, in order; the change's value is
 * in MERGED, or the change is listed in the CHANGES text; MERGED holds each change's
 * merged_value; and the merge is deterministic. */
static void
test_property_no_loss(void)
{
    GRand *rnd = g_rand_new_with_seed(20240611);
    for (int round = 0; round < 200; round++) {
        gboolean cu = g_rand_boolean(rnd);
        const char *fmt = cu ? "configutil" : "option.dat";
        char *ot = random_text(rnd, cu), *dt = random_text(rnd, cu), *nt = random_text(rnd, cu);
        MsmConfDoc *old = parse(fmt, ot);
        MsmConfDoc *def = g_rand_int_range(rnd, 0, 3) ? parse(fmt, dt) : NULL;
        MsmConfDoc *tpl = g_rand_int_range(rnd, 0, 5) ? parse(fmt, nt) : NULL;
        MsmMergeRules r = {.keep_old_structure = g_rand_int_range(rnd, 0, 4) == 0,
                           .drop_old_only = g_rand_int_range(rnd, 0, 4) == 0,
                           .is_obsolete = g_rand_boolean(rnd) ? random_obsolete : NULL,
                           .rewrite_path = g_rand_boolean(rnd) ? msm_merge_rewrite_paths : NULL,
                           .data = (gpointer)random_paths};
        GPtrArray *ch = NULL;
        GError *err = NULL;
        MsmConfDoc *merged = msm_merge(old, def, tpl, &r, &ch, &err);
        if (merged == NULL)
            g_error("round %d: %s\nold:\n%s", round, err->message, ot);
        char *text = msm_merge_changes_text(fmt, "5.2", "6.0", ch);

        GPtrArray *olds = msm_confdoc_entries(old);
        guint ci = 0;
        for (guint i = 0; i < olds->len; i++) {
            const MsmConfNode *n = olds->pdata[i];
            while (ci < ch->len &&
                   ((const MsmMergeChange *)ch->pdata[ci])->node_type != MSM_CONF_ENTRY)
                ci++;
            CU_ASSERT_FATAL(ci < ch->len);
            const MsmMergeChange *c = ch->pdata[ci++];
            CU_ASSERT_STRING_EQUAL(c->key, n->key);
            CU_ASSERT_STRING_EQUAL(c->old_value, n->value);
            CU_ASSERT_NOT_EQUAL(c->action, MSM_MERGE_ONLY_NEW);
            char *rw = r.rewrite_path ? msm_merge_rewrite_paths(n->value, r.data) : NULL;
            const char *expect = rw ? rw : n->value;
            /* SAME: the template has the old value as it is, rewritten or not */
            gboolean in_merged = c->merged_value && (strcmp(c->merged_value, expect) == 0 ||
                                                     (c->action == MSM_MERGE_SAME &&
                                                      strcmp(c->merged_value, n->value) == 0));
            if (c->action == MSM_MERGE_SAME || c->action == MSM_MERGE_KEPT_OLD ||
                (c->action == MSM_MERGE_ONLY_OLD && c->merged_value))
                CU_ASSERT(in_merged);
            if (!in_merged && g_getenv("MSM_DEBUG_MERGE"))
                g_printerr("round %d %s/%s: %s merged=%s\n", round, n->key, n->value,
                           msm_merge_action_name(c->action), c->merged_value);
            if (!in_merged) {
                /* it must be reported, by its key, in CHANGES */
                CU_ASSERT(c->action == MSM_MERGE_TOOK_NEW || c->action == MSM_MERGE_OBSOLETE ||
                          c->action == MSM_MERGE_ONLY_OLD ||
                          c->action == MSM_MERGE_PATH_REWRITTEN);
                GString *q = g_string_new(NULL);
                g_string_printf(q, "%s key=\"%s\" old=\"%s\"", msm_merge_action_name(c->action),
                                n->key, n->value);
                CU_ASSERT_PTR_NOT_NULL(strstr(text, q->str));
                g_string_free(q, TRUE);
            }
            if (c->merged_value) {
                /* some entry of MERGED with this identity has the merged value */
                gboolean found = FALSE;
                GPtrArray *me = msm_confdoc_entries(merged);
                for (guint k = 0; k < me->len; k++) {
                    const MsmConfNode *x = me->pdata[k];
                    if (g_ascii_strcasecmp(x->key, n->key) == 0 &&
                        strcmp(x->value, c->merged_value) == 0)
                        found = TRUE;
                }
                g_ptr_array_unref(me);
                CU_ASSERT(found);
            }
            if (r.keep_old_structure && c->action != MSM_MERGE_OBSOLETE)
                CU_ASSERT(in_merged);
            g_free(rw);
        }
        /* every remaining ENTRY change is only-new, and present unless the old structure
         * was kept */
        for (; ci < ch->len; ci++) {
            const MsmMergeChange *c = ch->pdata[ci];
            if (c->node_type != MSM_CONF_ENTRY)
                continue;
            CU_ASSERT_EQUAL(c->action, MSM_MERGE_ONLY_NEW);
            CU_ASSERT_EQUAL(c->merged_value == NULL, r.keep_old_structure);
            if (c->merged_value)
                CU_ASSERT_STRING_EQUAL(value_in(merged, "", c->key), c->merged_value);
        }
        /* deterministic */
        GPtrArray *ch2 = NULL;
        MsmConfDoc *merged2 = msm_merge(old, def, tpl, &r, &ch2, NULL);
        char *a = text_of(merged), *b = text_of(merged2);
        char *text2 = msm_merge_changes_text(fmt, "5.2", "6.0", ch2);
        CU_ASSERT_STRING_EQUAL(a, b);
        CU_ASSERT_STRING_EQUAL(text, text2);
        g_free(a);
        g_free(b);
        g_free(text2);
        g_ptr_array_unref(ch2);
        msm_confdoc_free(merged2);

        g_ptr_array_unref(olds);
        g_free(text);
        g_ptr_array_unref(ch);
        msm_confdoc_free(merged);
        msm_confdoc_free(old);
        msm_confdoc_free(def);
        msm_confdoc_free(tpl);
        g_free(ot);
        g_free(dt);
        g_free(nt);
    }
    g_rand_free(rnd);
}

/* Passwords never reach a CHANGES file, only whether they are set and equal. */
static void
test_changes_hide_secrets(void)
{
    const MsmConfFormat *f = msm_conf_format_find("configutil");
    const char *old_t = "local.ugldapbindcred = \"Old-Pa55\"\nservice.imap.port = 143\n";
    const char *new_t = "local.ugldapbindcred = \"New-Pa55\"\nservice.imap.port = 143\n";
    MsmConfDoc *o = msm_confdoc_parse(f, "msg.conf", old_t, strlen(old_t), NULL);
    MsmConfDoc *n = msm_confdoc_parse(f, "msg.conf", new_t, strlen(new_t), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    GPtrArray *changes = NULL;
    MsmConfDoc *m = msm_merge(o, NULL, n, NULL, &changes, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    char *text = msm_merge_changes_text("msg.conf", "ims-5.2", "ms-6.0", changes);
    CU_ASSERT_PTR_NULL(strstr(text, "Pa55"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "local.ugldapbindcred"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "(secret, differs from old)"));
    CU_ASSERT_TRUE(msm_merge_key_is_secret("local.service.proxy.adminpass.host"));
    CU_ASSERT_TRUE(msm_merge_key_is_secret("LDAP_PASSWORD"));
    CU_ASSERT_FALSE(msm_merge_key_is_secret("service.imap.port"));
    g_free(text);
    g_ptr_array_unref(changes);
    msm_confdoc_free(m);
    msm_confdoc_free(o);
    msm_confdoc_free(n);
}

MSM_TEST_MAIN("merge", MSM_TEST(test_changes_hide_secrets), MSM_TEST(test_option_dat_rules), MSM_TEST(test_option_dat_unknown_default),
              MSM_TEST(test_drop_old_only_and_null_rules),
              MSM_TEST(test_configutil_and_changes_text),
              MSM_TEST(test_imta_cnf_keep_old_structure), MSM_TEST(test_imta_cnf_obsolete_channel),
              MSM_TEST(test_value_path_rewrite), MSM_TEST(test_errors_and_duplicates),
              MSM_TEST(test_property_no_loss));
