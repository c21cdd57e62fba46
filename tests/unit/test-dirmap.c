/*
 * NAME
 *	test-dirmap.c - unit tests of the directory mapping (core/dirmap.c)
 * SUMMARY
 *	Table-driven: every row of the mapping table (the one printed in
 *	docs/formats/directory-mapping.md) is applied to a minimal entry of its
 *	kind and its effect checked. Filters (RFC 4515) against a table of
 *	expectations; diff/undo on random entries (diff then undo in memory
 *	gives the original exactly); offline mode on the LDIF `msmigrate
 *	sample` writes for sims-4.0 and nms-4.1 (audit applied to the input
 *	gives the output, undo applied to that gives the input).
 */
#include "config.h"

#include "dirmap.h"
#include "ldif.h"
#include "testutil.h"
#include "util.h"

#include <stdarg.h>

#include <string.h>

/* A canonical text of an entry: lower-cased attribute names sorted, each
 * with its values sorted (hex), objectClass values lower-cased. */
static char *
canon(const MsmEntry *e)
{
    GPtrArray *names = msm_entry_attribute_names(e);
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < names->len; i++) {
        const char *n = names->pdata[i];
        GPtrArray *v = msm_entry_get(e, n);
        if (v == NULL || v->len == 0)
            continue;
        char *ln = g_ascii_strdown(n, -1);
        for (guint j = 0; j < v->len; j++) {
            gsize l;
            const guint8 *d = g_bytes_get_data(v->pdata[j], &l);
            GString *s = g_string_new(ln);
            g_string_append_c(s, '=');
            for (gsize k = 0; k < l; k++)
                g_string_append_printf(s, "%02x", strcmp(ln, "objectclass") == 0 ? g_ascii_tolower(d[k]) : d[k]);
            g_ptr_array_add(lines, g_string_free(s, FALSE));
        }
        g_free(ln);
    }
    g_ptr_array_sort(lines, msm_strcmp_ptr);
    GString *out = g_string_new(msm_entry_dn(e));
    for (guint i = 0; i < lines->len; i++) {
        g_string_append_c(out, '\n');
        g_string_append(out, lines->pdata[i]);
    }
    g_ptr_array_unref(lines);
    g_ptr_array_unref(names);
    return g_string_free(out, FALSE);
}

static MsmEntry *
mk(const char *dn, const char *classes, ...)
{
    MsmEntry *e = msm_entry_new(dn);
    char **cl = g_strsplit(classes, " ", -1);
    for (guint i = 0; cl[i]; i++)
        msm_entry_add_string(e, "objectClass", cl[i]);
    g_strfreev(cl);
    va_list ap;
    va_start(ap, classes);
    const char *n;
    while ((n = va_arg(ap, const char *)) != NULL)
        msm_entry_add_string(e, n, va_arg(ap, const char *));
    va_end(ap);
    return e;
}

/* A minimal entry of (from, kind) that msm_dirmap_classify() puts in kind. */
static MsmEntry *
minimal(MsmDirmigFrom from, MsmDirentKind kind)
{
    switch (from) {
    case MSM_DIRMIG_FROM_SIMS:
        if (kind == MSM_DIRENT_USER)
            return mk("uid=u1,ou=People,dc=siroe,dc=com,o=internet", "top person inetOrgPerson emailPerson",
                      "uid", "u1", "cn", "U", "sn", "U", "mail", "u1@siroe.com", "member", "cn=x", NULL);
        if (kind == MSM_DIRENT_GROUP)
            return mk("cn=g1,ou=Groups,dc=siroe,dc=com,o=internet", "top groupOfNames emailGroup",
                      "cn", "g1", "mail", "g1@siroe.com", "mailHost", "old.siroe.com", "member", "uid=u1,ou=People,dc=siroe,dc=com,o=internet",
                      NULL);
        return mk("dc=siroe,dc=com,o=internet", "top domain", "dc", "siroe", NULL);
    case MSM_DIRMIG_FROM_NMS:
        if (kind == MSM_DIRENT_USER)
            return mk("uid=u1,ou=People,o=siroe.com", "top inetOrgPerson mailRecipient nsMessagingServerUser",
                      "uid", "u1", "cn", "U", "sn", "U", "mail", "u1@siroe.com", "nsmsgNumMsgQuota", "42",
                      "mailMessageStore", "/var/mail/store/u1", NULL);
        return mk("cn=g1,ou=Groups,o=siroe.com", "top groupOfUniqueNames mailGroup", "cn", "g1", "mail",
                  "g1@siroe.com", "mailHost", "old.siroe.com", NULL);
    case MSM_DIRMIG_FROM_SCHEMA1:
        if (kind == MSM_DIRENT_USER)
            return mk("uid=u1,ou=People,o=siroe.com,o=isp", "top inetOrgPerson inetUser inetMailUser nsManagedPerson",
                      "uid", "u1", "cn", "U", "sn", "U", "mail", "u1@siroe.com", "mailHost", "old.siroe.com", NULL);
        if (kind == MSM_DIRENT_GROUP)
            return mk("cn=g1,ou=Groups,o=siroe.com,o=isp", "top groupOfUniqueNames inetMailGroup nsManagedMailList",
                      "cn", "g1", "mail", "g1@siroe.com", "mailHost", "old.siroe.com", NULL);
        return mk("o=siroe.com,o=isp", "top organization nsManagedDomain", "o", "siroe.com", NULL);
    }
    return NULL;
}

static gboolean
has_value(const MsmEntry *e, const char *attr, const char *val)
{
    GPtrArray *v = msm_entry_get(e, attr);
    for (guint i = 0; v && i < v->len; i++) {
        gsize l;
        const char *d = g_bytes_get_data(v->pdata[i], &l);
        if (l == strlen(val) && memcmp(d, val, l) == 0)
            return TRUE;
    }
    return FALSE;
}

static void
test_rules_table(void)
{
    guint n;
    const MsmDirmapRule *rules = msm_dirmap_rules(&n);
    CU_ASSERT_TRUE_FATAL(n >= 40);
    for (guint i = 0; i < n; i++) {
        const MsmDirmapRule *r = &rules[i];
        MsmDirmigOptions opt = { 0 };
        opt.from = r->from;
        /* FROM_DC rows are checked without a new host (HOST rows would then
         * replace the copied preferredMailHost / mailRoutingHosts) */
        opt.new_mailhost = r->op == MSM_DIRMAP_FROM_DC ? NULL : g_strdup("newmail.siroe.com");
        opt.commdirmig_mode = 1;
        if (r->op == MSM_DIRMAP_FROM_DC) {
            MsmEntry *dc = mk("dc=siroe,dc=com,o=internet", "top domain inetDomain mailDomain", "dc", "siroe",
                              "inetDomainBaseDN", "o=Siroe.com, o=ISP", NULL);
            char *v = g_strdup_printf("dc-%s", r->attr);
            msm_entry_add_string(dc, r->attr, v);
            g_free(v);
            msm_dirmap_note_dc_node(&opt, dc);
            msm_entry_free(dc);
        }
        for (int m = 1; m <= 3; m++)
            if (r->modes & (1u << m)) {
                opt.commdirmig_mode = m;
                break;
            }
        MsmEntry *e = minimal(r->from, r->kind);
        CU_ASSERT_EQUAL(msm_dirmap_classify(&opt, e), r->kind);
        if (r->op == MSM_DIRMAP_DEL_CLASS)
            CU_ASSERT_TRUE(msm_entry_has_class(e, r->attr));
        char *before_src = r->op == MSM_DIRMAP_COPY || r->op == MSM_DIRMAP_RENAME
                               ? g_strdup(msm_entry_get_string(e, r->attr)) : NULL;
        char *reason = NULL;
        GError *err = NULL;
        MsmResult res = msm_dirmap_entry(&opt, e, &reason, &err);
        CU_ASSERT_EQUAL(res, MSM_RESULT_CONTINUE);
        gboolean ok = FALSE;
        switch (r->op) {
        case MSM_DIRMAP_ADD_CLASS: ok = msm_entry_has_class(e, r->attr); break;
        case MSM_DIRMAP_DEL_CLASS: ok = !msm_entry_has_class(e, r->attr); break;
        case MSM_DIRMAP_DEFAULT: ok = has_value(e, r->attr, r->arg); break;
        case MSM_DIRMAP_COPY: ok = before_src && has_value(e, r->arg, before_src) && has_value(e, r->attr, before_src); break;
        case MSM_DIRMAP_RENAME: ok = before_src && has_value(e, r->arg, before_src) && !msm_entry_get(e, r->attr); break;
        case MSM_DIRMAP_DROP_PATH: ok = msm_entry_get(e, r->attr) == NULL; break;
        case MSM_DIRMAP_SELF_DN: ok = has_value(e, r->attr, msm_entry_dn(e)); break;
        case MSM_DIRMAP_DOMAIN_NAME: ok = has_value(e, r->attr, "siroe.com"); break;
        case MSM_DIRMAP_FROM_DC: {
            char *v = g_strdup_printf("dc-%s", r->attr);
            ok = has_value(e, r->attr, v) && msm_entry_get(e, r->attr)->len == 1;
            g_free(v);
            break;
        }
        case MSM_DIRMAP_HOST: ok = has_value(e, r->attr, "newmail.siroe.com") && msm_entry_get(e, r->attr)->len == 1; break;
        }
        if (!ok)
            fprintf(stderr, "rule %u (%s %s) had no effect on %s\n", i, r->attr, r->arg ? r->arg : "",
                    msm_entry_dn(e));
        CU_ASSERT_TRUE(ok);
        CU_ASSERT_PTR_NOT_NULL(r->source);
        g_free(before_src);
        g_free(reason);
        g_clear_error(&err);
        msm_entry_free(e);
        msm_dirmig_options_clear(&opt);
    }
    /* a path-less partition name is kept */
    MsmDirmigOptions opt = { .from = MSM_DIRMIG_FROM_NMS };
    MsmEntry *e = minimal(MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER);
    msm_entry_replace_string(e, "mailMessageStore", "primary");
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, e, NULL, NULL), MSM_RESULT_CONTINUE);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "mailMessageStore"), "primary");
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "mailHost") ? "set" : "unset", "unset"); /* no -> keep */
    msm_entry_free(e);
}

static void
test_selection_and_postmaster(void)
{
    MsmDirmigOptions opt = { .from = MSM_DIRMIG_FROM_SIMS, .what = MSM_DIRMIG_DOMAINS };
    MsmEntry *u = minimal(MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER);
    char *reason = NULL;
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, u, &reason, NULL), MSM_RESULT_SKIP);
    CU_ASSERT_PTR_NOT_NULL(reason ? strstr(reason, "-m") : NULL);
    g_free(reason);
    msm_entry_free(u);
    /* a TLD node is not a domain to migrate */
    MsmEntry *tld = mk("dc=com,o=internet", "top domain", "dc", "com", NULL);
    CU_ASSERT_EQUAL(msm_dirmap_classify(&opt, tld), MSM_DIRENT_OTHER);
    msm_entry_free(tld);
    /* postmaster without mail: skipped with a reason, never an error */
    opt.what = MSM_DIRMIG_USERS | MSM_DIRMIG_GROUPS;
    MsmEntry *pm = mk("cn=postmaster,ou=Groups,dc=siroe,dc=com,o=internet", "top groupOfNames emailGroup", "cn",
                      "postmaster", "member", "cn=x", NULL);
    GError *err = NULL;
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, pm, &reason, &err), MSM_RESULT_SKIP);
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_PTR_NOT_NULL(reason ? strstr(reason, "postmaster") : NULL);
    g_free(reason);
    msm_entry_add_string(pm, "mail", "postmaster@siroe.com");
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, pm, &reason, &err), MSM_RESULT_CONTINUE);
    CU_ASSERT_TRUE(msm_entry_has_class(pm, "inetMailGroup"));
    msm_entry_free(pm);
    /* commdirmig domain scope */
    MsmDirmigOptions c = { .from = MSM_DIRMIG_FROM_SCHEMA1, .commdirmig_mode = 1 };
    c.domain_scope = g_strdup("sesta.com");
    MsmEntry *s1 = minimal(MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_USER);
    CU_ASSERT_EQUAL(msm_dirmap_entry(&c, s1, &reason, NULL), MSM_RESULT_SKIP);
    g_free(reason);
    g_free(c.domain_scope);
    c.domain_scope = g_strdup("sesta.com,siroe.com");
    CU_ASSERT_EQUAL(msm_dirmap_entry(&c, s1, &reason, NULL), MSM_RESULT_CONTINUE);
    CU_ASSERT_FALSE(msm_entry_has_class(s1, "nsManagedPerson"));
    msm_entry_free(s1);
    /* mode 2 (compat) keeps the Schema 1 classes */
    c.commdirmig_mode = 2;
    MsmEntry *s2 = minimal(MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_USER);
    CU_ASSERT_EQUAL(msm_dirmap_entry(&c, s2, NULL, NULL), MSM_RESULT_CONTINUE);
    CU_ASSERT_TRUE(msm_entry_has_class(s2, "nsManagedPerson"));
    msm_entry_free(s2);
    msm_dirmig_options_clear(&c);
    CU_ASSERT_PTR_NULL(c.domain_scope);
    /* a group without a mailHost keeps having none; a user gets the new one */
    MsmDirmigOptions h = { .from = MSM_DIRMIG_FROM_NMS };
    h.new_mailhost = g_strdup("newmail.siroe.com");
    MsmEntry *g = mk("cn=g2,ou=Groups,o=siroe.com", "top groupOfUniqueNames mailGroup", "cn", "g2", NULL);
    MsmEntry *u2 = mk("uid=u2,ou=People,o=siroe.com", "top inetOrgPerson mailRecipient", "uid", "u2", NULL);
    CU_ASSERT_EQUAL(msm_dirmap_entry(&h, g, NULL, NULL), MSM_RESULT_CONTINUE);
    CU_ASSERT_EQUAL(msm_dirmap_entry(&h, u2, NULL, NULL), MSM_RESULT_CONTINUE);
    CU_ASSERT_PTR_NULL(msm_entry_get(g, "mailHost"));
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(u2, "mailHost"), "newmail.siroe.com");
    msm_entry_free(g);
    msm_entry_free(u2);
    msm_dirmig_options_clear(&h);
}

static void
test_pairs(void)
{
    GPtrArray *pairs = NULL;
    GError *err = NULL;
    CU_ASSERT_TRUE(msm_dirmig_parse_pairs("mailDeliveryOption:hold;mailFolderMap:LOCK", &pairs, &err));
    CU_ASSERT_TRUE(msm_dirmig_parse_pairs("description:a\\;b", &pairs, &err));
    CU_ASSERT_EQUAL_FATAL(pairs->len, 3);
    CU_ASSERT_STRING_EQUAL(pairs->pdata[2], "description:a;b");
    CU_ASSERT_FALSE(msm_dirmig_parse_pairs("novalue", &pairs, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "novalue") : NULL);
    g_clear_error(&err);
    CU_ASSERT_EQUAL(pairs->len, 3);
    guint what = 0;
    CU_ASSERT_TRUE(msm_dirmig_parse_what("both", &what, NULL));
    CU_ASSERT_EQUAL(what, MSM_DIRMIG_USERS | MSM_DIRMIG_GROUPS);
    CU_ASSERT_TRUE(msm_dirmig_parse_what("domains", &what, NULL));
    CU_ASSERT_EQUAL(what, MSM_DIRMIG_DOMAINS);
    CU_ASSERT_FALSE(msm_dirmig_parse_what("people", &what, &err));
    g_clear_error(&err);

    /* seed 003 batch hold: -m users -F "(uid=s*)" -A ... -O */
    MsmDirmigOptions opt = { .from = MSM_DIRMIG_FROM_SIMS, .what = MSM_DIRMIG_USERS, .only_pairs = TRUE };
    opt.pairs = pairs;
    opt.filter = g_strdup("(uid=s*)");
    MsmEntry *s = mk("uid=smith,ou=People,dc=siroe,dc=com,o=internet", "top inetOrgPerson emailPerson", "uid",
                     "smith", "mail", "smith@siroe.com", "mailDeliveryOption", "mailbox", NULL);
    MsmEntry *o = mk("uid=jones,ou=People,dc=siroe,dc=com,o=internet", "top inetOrgPerson emailPerson", "uid",
                     "jones", "mail", "jones@siroe.com", NULL);
    char *reason = NULL;
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, s, &reason, NULL), MSM_RESULT_CONTINUE);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(s, "mailDeliveryOption"), "hold");
    CU_ASSERT_EQUAL(msm_entry_get(s, "mailDeliveryOption")->len, 1);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(s, "mailFolderMap"), "LOCK");
    CU_ASSERT_FALSE(msm_entry_has_class(s, "inetMailUser")); /* -O: only the pairs */
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, o, &reason, NULL), MSM_RESULT_SKIP);
    CU_ASSERT_PTR_NOT_NULL(reason ? strstr(reason, "filter") : NULL);
    g_free(reason);
    /* -P adds instead of replacing */
    opt.add = TRUE;
    g_ptr_array_set_size(pairs, 0);
    g_ptr_array_add(pairs, g_strdup("mailDeliveryOption:forward"));
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, s, NULL, NULL), MSM_RESULT_CONTINUE);
    CU_ASSERT_EQUAL(msm_entry_get(s, "mailDeliveryOption")->len, 2);
    /* -O without -A is an error naming the DN */
    g_ptr_array_set_size(pairs, 0);
    GError *e2 = NULL;
    CU_ASSERT_EQUAL(msm_dirmap_entry(&opt, s, NULL, &e2), MSM_RESULT_ERROR);
    CU_ASSERT_PTR_NOT_NULL(e2 ? strstr(e2->message, "uid=smith") : NULL);
    g_clear_error(&e2);
    msm_entry_free(s);
    msm_entry_free(o);
    msm_dirmig_options_clear(&opt);
}

static void
test_filters(void)
{
    MsmEntry *e = mk("uid=smith,ou=People,o=siroe.com", "top inetOrgPerson mailRecipient", "uid", "Smith", "cn",
                     "John (J) Smith", "mailQuota", "100", "mail", "john.smith@siroe.com", NULL);
    static const struct { const char *f; int want; } t[] = {
        { "(uid=smith)", 1 }, { "(uid=s*)", 1 }, { "uid=s*", 1 }, { "(uid=*th)", 1 }, { "(uid=s*i*h)", 1 },
        { "(uid=s*x*h)", 0 }, { "(uid=*)", 1 }, { "(sn=*)", 0 }, { "(!(cn=postmaster))", 1 },
        { "(&(objectclass=mailrecipient)(uid=s*))", 1 }, { "(&(objectClass=emailPerson)(uid=s*))", 0 },
        { "(|(uid=jones)(mail=*@siroe.com))", 1 }, { "(mailQuota>=99)", 1 }, { "(mailQuota<=99)", 0 },
        { "(mailQuota>=1000)", 0 }, { "(cn=John \\28J\\29 Smith)", 1 }, { "(cn~=JOHN \\28J\\29 SMITH)", 1 },
        { "(cn~=john \\28j\\29 smith)", 1 }, { "(uid=smit)", 0 }, { "(uid=smithx*)", 0 },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(t); i++) {
        gboolean m = !t[i].want;
        GError *err = NULL;
        gboolean ok = msm_dirmap_filter_match(t[i].f, e, &m, &err);
        if (!ok || m != t[i].want)
            fprintf(stderr, "filter %s: ok=%d match=%d want=%d %s\n", t[i].f, ok, m, t[i].want,
                    err ? err->message : "");
        CU_ASSERT_TRUE(ok);
        CU_ASSERT_EQUAL(m, t[i].want);
        g_clear_error(&err);
    }
    static const char *const bad[] = { "(uid=smith", "(&)", "((uid=a)", "(uid=a\\zz)", "(uid:dn:=a)",
                                       "(uid=a)(x=b)", "(=a)",
                                       "(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(!(uid=a)"
                                       "))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))" };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        gboolean m;
        GError *err = NULL;
        CU_ASSERT_FALSE(msm_dirmap_filter_match(bad[i], e, &m, &err));
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
        CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "position") : NULL);
        g_clear_error(&err);
    }
    gboolean m = FALSE;
    CU_ASSERT_TRUE(msm_dirmap_filter_match(NULL, e, &m, NULL));
    CU_ASSERT_TRUE(m);
    msm_entry_free(e);
}

/* random filter text never crashes: either a match result or an error */
static void
test_filters_random(void)
{
    static const char alphabet[] = "()&|!=*\\ab<>~:;-0x ";
    MsmEntry *e = mk("uid=ab,o=x", "top", "uid", "ab", "a", "b*", NULL);
    GRand *rnd = g_rand_new_with_seed(7);
    char buf[40];
    guint good = 0;
    for (int i = 0; i < 20000; i++) {
        int len = g_rand_int_range(rnd, 0, (gint32)sizeof buf - 1);
        for (int k = 0; k < len; k++)
            buf[k] = alphabet[g_rand_int_range(rnd, 0, (gint32)strlen(alphabet))];
        buf[len] = '\0';
        gboolean m = FALSE;
        GError *err = NULL;
        gboolean ok = msm_dirmap_filter_match(buf, e, &m, &err);
        CU_ASSERT_TRUE(ok ? err == NULL : err != NULL);
        good += ok;
        g_clear_error(&err);
    }
    CU_ASSERT_TRUE(good > 0); /* the empty filter at least */
    g_rand_free(rnd);
    msm_entry_free(e);
}

static void
test_dn(void)
{
    CU_ASSERT_EQUAL(msm_dn_depth(""), 0);
    CU_ASSERT_EQUAL(msm_dn_depth("o=isp"), 1);
    CU_ASSERT_EQUAL(msm_dn_depth("uid=a,ou=People, o=siroe.com,o=isp"), 4);
    CU_ASSERT_EQUAL(msm_dn_depth("cn=Smith\\, John,ou=People,o=isp"), 3);
    CU_ASSERT_EQUAL(msm_dn_depth("cn=\"Smith, John\",o=isp"), 2);
    char *n = msm_dn_normalize("UID=Ab , OU=People,o=Siroe.COM");
    CU_ASSERT_STRING_EQUAL(n, "uid=ab,ou=people,o=siroe.com");
    g_free(n);
}

/* ---- diff / undo, randomised ---- */

static MsmEntry *
random_entry(GRand *rnd, const char *dn)
{
    static const char *const names[] = { "objectClass", "cn", "mail", "mailHost", "description",
                                         "jpegPhoto", "mailAlternateAddress", "sn" };
    MsmEntry *e = msm_entry_new(dn);
    msm_entry_add_string(e, "objectClass", "top");
    int na = g_rand_int_range(rnd, 1, 7);
    for (int i = 0; i < na; i++) {
        const char *n = names[g_rand_int_range(rnd, 0, G_N_ELEMENTS(names))];
        int nv = g_rand_int_range(rnd, 1, 4);
        for (int j = 0; j < nv; j++) {
            guint8 buf[40];
            int len = g_rand_int_range(rnd, 0, 40);
            int kind = g_rand_int_range(rnd, 0, 3);
            for (int k = 0; k < len; k++)
                buf[k] = kind == 0 ? (guint8)g_rand_int_range(rnd, 'a', 'z' + 1)
                        : kind == 1 ? (guint8)g_rand_int_range(rnd, 0, 256)
                                    : (guint8)" :<\xc3\xa9x"[g_rand_int_range(rnd, 0, 6)];
            msm_entry_add(e, n, buf, (gsize)len);
        }
    }
    return e;
}

static void
test_diff_undo_random(void)
{
    GRand *rnd = g_rand_new_with_seed(4242);
    for (int round = 0; round < 500; round++) {
        const char *dn = round % 3 ? "uid=j\xc3\xbcrgen,ou=People,o=siroe.com" : "cn=a b,o=isp";
        MsmEntry *a = random_entry(rnd, dn);
        MsmEntry *b = round % 5 == 0 ? msm_entry_copy(a) : random_entry(rnd, dn);
        char *ca = canon(a), *cb = canon(b);
        char *fwd = msm_entry_diff_ldif(a, b), *back = msm_entry_diff_ldif(b, a);
        if (strcmp(ca, cb) == 0) {
            CU_ASSERT_PTR_NULL(fwd);
            CU_ASSERT_PTR_NULL(back);
        } else {
            CU_ASSERT_PTR_NOT_NULL_FATAL(fwd);
            CU_ASSERT_PTR_NOT_NULL_FATAL(back);
            MsmEntry *x = msm_entry_copy(a);
            GError *err = NULL;
            CU_ASSERT_TRUE(msm_entry_apply_modify_ldif(x, fwd, &err));
            char *cx = canon(x);
            CU_ASSERT_STRING_EQUAL(cx, cb);
            CU_ASSERT_TRUE(msm_entry_apply_modify_ldif(x, back, &err));
            char *cy = canon(x);
            CU_ASSERT_STRING_EQUAL(cy, ca);
            g_clear_error(&err);
            g_free(cx);
            g_free(cy);
            msm_entry_free(x);
        }
        g_free(fwd);
        g_free(back);
        g_free(ca);
        g_free(cb);
        msm_entry_free(a);
        msm_entry_free(b);
    }
    g_rand_free(rnd);
    /* the exact text of a simple record */
    MsmEntry *a = mk("uid=a,o=isp", "top", "mailHost", "old", NULL);
    MsmEntry *b = mk("uid=a,o=isp", "top inetUser", "mailHost", "new", NULL);
    char *d = msm_entry_diff_ldif(a, b);
    CU_ASSERT_STRING_EQUAL(d, "dn: uid=a,o=isp\nchangetype: modify\nreplace: objectClass\nobjectClass: top\n"
                              "objectClass: inetUser\n-\nreplace: mailHost\nmailHost: new\n-\n");
    g_free(d);
    msm_entry_free(a);
    msm_entry_free(b);
    GError *err = NULL;
    MsmEntry *c = mk("uid=a,o=isp", "top", NULL);
    CU_ASSERT_FALSE(msm_entry_apply_modify_ldif(c, "dn: uid=a,o=isp\nchangetype: add\n", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    g_clear_error(&err);
    msm_entry_free(c);
}

/* ---- offline mode on the sample LDIF ---- */

static char *
make_sample(const char *version, const char *dir)
{
    const char *top = g_getenv("MSM_TOP_BUILDDIR");
    char *exe = g_build_filename(top ? top : ".", "core", "msmigrate", NULL);
    char *out = g_build_filename(dir, version, NULL);
    char *argv[] = { exe, "sample", "--version", (char *)version, "-u", "12", out, NULL };
    int status = -1;
    gboolean ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, NULL, &status, NULL);
    CU_ASSERT_TRUE(ok && status == 0);
    char *ldif = g_build_filename(out, "ldap", "directory.ldif", NULL);
    g_free(exe);
    g_free(out);
    return ldif;
}

/* All entries of an LDIF file by DN. (test data is small) */
static GHashTable *
read_all(const char *path)
{
    GHashTable *h = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)msm_entry_free);
    GError *err = NULL;
    MsmLdifReader *r = msm_ldif_reader_open(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    MsmEntry *e;
    while (msm_ldif_reader_next(r, &e, &err) && e != NULL)
        g_hash_table_insert(h, g_strdup(msm_entry_dn(e)), e);
    CU_ASSERT_PTR_NULL(err);
    msm_ldif_reader_free(r);
    return h;
}

/* Applies every record of a modify LDIF file to the entries of h. */
static guint
apply_file(GHashTable *h, const char *path)
{
    char *text = NULL;
    CU_ASSERT_TRUE_FATAL(g_file_get_contents(path, &text, NULL, NULL));
    char **recs = g_regex_split_simple("\n\n+", text, 0, 0);
    guint n = 0;
    for (guint i = 0; recs[i]; i++) {
        if (!strstr(recs[i], "changetype: modify"))
            continue;
        const char *dnl = strstr(recs[i], "dn:");
        CU_ASSERT_PTR_NOT_NULL_FATAL(dnl);
        /* find the entry whose record starts like this one */
        GHashTableIter it;
        gpointer k, v;
        MsmEntry *target = NULL;
        g_hash_table_iter_init(&it, h);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            GString *line = g_string_new(NULL);
            msm_ldif_append_value(line, "dn", k, strlen(k));
            if (strncmp(dnl, line->str, line->len) == 0)
                target = v;
            g_string_free(line, TRUE);
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(target);
        GError *err = NULL;
        CU_ASSERT_TRUE(msm_entry_apply_modify_ldif(target, dnl, &err));
        g_clear_error(&err);
        n++;
    }
    g_strfreev(recs);
    g_free(text);
    return n;
}

static void
assert_same(GHashTable *a, GHashTable *b)
{
    CU_ASSERT_EQUAL(g_hash_table_size(a), g_hash_table_size(b));
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, a);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        MsmEntry *o = g_hash_table_lookup(b, k);
        CU_ASSERT_PTR_NOT_NULL_FATAL(o);
        char *x = canon(v), *y = canon(o);
        if (strcmp(x, y) != 0)
            fprintf(stderr, "differs: %s\n", (char *)k);
        CU_ASSERT_STRING_EQUAL(x, y);
        g_free(x);
        g_free(y);
    }
}

static void
offline_case(const char *version, MsmDirmigFrom from, guint expect_min_changed)
{
    const char *dir = msm_test_tmpdir();
    char *in = make_sample(version, dir);
    char *out = g_build_filename(dir, "out.ldif", NULL), *audit = g_build_filename(dir, "audit.ldif", NULL);
    char *undo = g_build_filename(dir, "undo.ldif", NULL), *rej = g_build_filename(dir, "rej.ldif", NULL);
    MsmDirmigOptions opt = { .from = from };
    opt.new_mailhost = g_strdup("newmail.siroe.com");
    MsmDirmigStats st;
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(msm_dirmig_offline(&opt, in, out, audit, undo, rej, &st, &err));
    CU_ASSERT_PTR_NULL(err);
    CU_ASSERT_EQUAL(st.read, st.changed + st.unchanged + st.skipped + st.rejected);
    CU_ASSERT_TRUE(st.changed >= expect_min_changed);
    CU_ASSERT_EQUAL(st.rejected, 0);
    GHashTable *orig = read_all(in), *mig = read_all(out), *work = read_all(in);
    CU_ASSERT_EQUAL(g_hash_table_size(orig), st.read);
    CU_ASSERT_EQUAL(apply_file(work, audit), st.changed);
    assert_same(work, mig);
    CU_ASSERT_EQUAL(apply_file(work, undo), st.changed);
    assert_same(work, orig);
    /* out is parents before children */
    MsmLdifReader *r = msm_ldif_reader_open(out, NULL);
    MsmEntry *e;
    guint last = 0;
    while (msm_ldif_reader_next(r, &e, NULL) && e) {
        guint d = msm_dn_depth(msm_entry_dn(e));
        CU_ASSERT_TRUE(d >= last);
        last = d;
        msm_entry_free(e);
    }
    msm_ldif_reader_free(r);
    /* the audit lists domains first: every modify after the first user-or-group one is not a domain */
    char *text = NULL;
    g_file_get_contents(audit, &text, NULL, NULL);
    char *firstuser = text ? strstr(text, "dn: uid=") : NULL;
    if (firstuser && from == MSM_DIRMIG_FROM_SIMS)
        CU_ASSERT_PTR_NULL(strstr(firstuser, "dn: dc=siroe,dc=com,o=internet\n"));
    g_free(text);
    g_hash_table_unref(orig);
    g_hash_table_unref(mig);
    g_hash_table_unref(work);
    msm_dirmig_options_clear(&opt);
    g_free(in);
    g_free(out);
    g_free(audit);
    g_free(undo);
    g_free(rej);
}

static void
test_offline_sims(void)
{
    offline_case("sims-4.0", MSM_DIRMIG_FROM_SIMS, 14);
}

static void
test_offline_nms(void)
{
    offline_case("nms-4.1", MSM_DIRMIG_FROM_NMS, 13);
}

static void
test_offline_nms3(void)
{
    offline_case("nms-3.6", MSM_DIRMIG_FROM_NMS, 13);
}

static void
test_offline_schema1(void)
{
    offline_case("ms-6.3", MSM_DIRMIG_FROM_SCHEMA1, 13);
}

static void
test_offline_errors(void)
{
    MsmDirmigOptions opt = { .from = MSM_DIRMIG_FROM_SIMS };
    GError *err = NULL;
    const char *dir = msm_test_tmpdir();
    char *out = g_build_filename(dir, "o.ldif", NULL);
    CU_ASSERT_FALSE(msm_dirmig_offline(&opt, "/nonexistent/in.ldif", out, NULL, NULL, NULL, NULL, &err));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "/nonexistent/in.ldif") : NULL);
    g_clear_error(&err);
    /* a bad filter rejects entries (with the reason), it does not stop the run */
    char *in = g_build_filename(dir, "in.ldif", NULL);
    g_file_set_contents(in, "version: 1\n\ndn: o=isp\nobjectClass: organization\no: isp\n\n"
                            "dn: uid=a,ou=People,dc=siroe,dc=com,o=internet\nobjectClass: emailPerson\nuid: a\n", -1, NULL);
    char *rej = g_build_filename(dir, "rej.ldif", NULL);
    opt.filter = g_strdup("(uid=a");
    MsmDirmigStats st;
    CU_ASSERT_TRUE(msm_dirmig_offline(&opt, in, out, NULL, NULL, rej, &st, &err));
    CU_ASSERT_EQUAL(st.rejected, 1);
    CU_ASSERT_EQUAL(st.skipped, 1);
    char *text = NULL;
    g_file_get_contents(rej, &text, NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL(text ? strstr(text, "# uid=a,ou=People") : NULL);
    CU_ASSERT_PTR_NOT_NULL(text ? strstr(text, "line 7") : NULL);
    g_free(text);
    msm_dirmig_options_clear(&opt);
    g_free(in);
    g_free(out);
    g_free(rej);
}

static void
test_aci_and_stale(void)
{
    GError *err = NULL;
    char *l = msm_dirmig_aci_ldif("o=isp", "Siroe.com", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    CU_ASSERT_PTR_NOT_NULL(strstr(l, "dn: o=siroe.com,o=isp\nchangetype: modify\nadd: aci\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(l, "groupdn=\"ldap:///cn=Domain Administrators,ou=Groups,o=siroe.com,o=isp\""));
    g_free(l);
    CU_ASSERT_PTR_NULL(msm_dirmig_aci_ldif("isp", "siroe.com", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    CU_ASSERT_PTR_NULL(msm_dirmig_aci_ldif("o=isp", "siroe com\")", &err));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "siroe com") : NULL);
    g_clear_error(&err);

    MsmEntry *d = mk("dc=siroe,dc=com,o=internet", "top domain inetDomain mailDomain", "preferredMailHost",
                     "oldmail.siroe.com", "mailRoutingHosts", "other.siroe.com", NULL);
    char *fix = NULL;
    CU_ASSERT_TRUE(msm_dirmap_is_stale_domain(d, "OLDMAIL.siroe.com", "newmail.siroe.com", &fix));
    CU_ASSERT_PTR_NOT_NULL(fix ? strstr(fix, "replace: preferredMailHost\npreferredMailHost: newmail.siroe.com\n") : NULL);
    CU_ASSERT_PTR_NULL(fix ? strstr(fix, "mailRoutingHosts") : NULL);
    g_free(fix);
    CU_ASSERT_FALSE(msm_dirmap_is_stale_domain(d, "x.siroe.com", "newmail.siroe.com", &fix));
    CU_ASSERT_PTR_NULL(fix);
    msm_entry_free(d);
}

MSM_TEST_MAIN("dirmap", MSM_TEST(test_rules_table), MSM_TEST(test_selection_and_postmaster),
              MSM_TEST(test_pairs), MSM_TEST(test_filters), MSM_TEST(test_filters_random), MSM_TEST(test_dn),
              MSM_TEST(test_diff_undo_random), MSM_TEST(test_offline_sims), MSM_TEST(test_offline_nms), MSM_TEST(test_offline_nms3),
              MSM_TEST(test_offline_schema1), MSM_TEST(test_offline_errors), MSM_TEST(test_aci_and_stale));
