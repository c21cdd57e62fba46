/*
 * NAME
 *	dirmap.c - directory mapping (imsdirmig / commdirmig semantics), offline mode
 * SUMMARY
 *	Implements core/dirmap.h. The mapping is the rule table below; the same
 *	table is printed in docs/formats/directory-mapping.md and walked row by
 *	row by tests/unit/test-dirmap.c. Filters are RFC 4515 (and RFC 1558's
 *	subset that imsdirmig documents); matching is case-insensitive on
 *	attribute names and values, as for the caseIgnore attributes of the
 *	messaging schemas.
 * OWNERSHIP
 *	See dirmap.h. Rule table entries are static (transfer none).
 * ERRORS
 *	MSM_ERROR_INVALID_ARGUMENT for bad filters / pairs / entries (naming the
 *	filter position or the DN and the fix); file errors name the file.
 */
#include "config.h"

#include "dirmap.h"
#include "ldif.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void
msm_dirmig_options_clear(MsmDirmigOptions *opt)
{
    if (opt == NULL)
        return;
    if (opt->pairs)
        g_ptr_array_unref(opt->pairs);
    g_free(opt->filter);
    g_free(opt->new_mailhost);
    g_free(opt->old_mailhost);
    g_free(opt->domain_scope);
    g_free(opt->dc_root);
    g_free(opt->org_root);
    if (opt->dc_nodes)
        g_hash_table_unref(opt->dc_nodes);
    memset(opt, 0, sizeof *opt);
}

/* ---- the rule table (docs/formats/directory-mapping.md) ---- */

#define M_ANY 0u
#define M1 (1u << 1)
#define M2 (1u << 2)
#define M3 (1u << 3)

static const MsmDirmapRule rules[] = {
    /* SIMS 4.0 -> iMS (imsdirmig -M sims) */
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetUser", NULL, "facts 4.3 user composition; 4.7 [I]" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "ipUser", NULL, "facts 4.3 (shared class); sample ims-5.2" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetMailUser", NULL, "facts 4.7 [I] emailPerson -> inetMailUser" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetLocalMailRecipient", NULL, "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "inetUserStatus", "active", "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "mailUserStatus", "active", "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_HOST, "mailHost", NULL, "seed 003 (-A mailhost:newmail...)" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetMailGroup", NULL, "facts 4.7 [I] emailGroup -> inetMailGroup" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetLocalMailRecipient", NULL, "facts 4.3 group composition" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "inetMailGroupStatus", "active", "facts 4.4 (missing = active, made explicit)" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_COPY, "member", "uniqueMember", "facts 4.3 (inetMailGroup MAY uniqueMember)" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_HOST, "mailHost", NULL, "seed 003 (groups -A mailhost:...)" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetDomain", NULL, "facts 4.3 DC-tree domain" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "mailDomain", NULL, "facts 4.3 DC-tree domain; seed 003 (objectclass=maildomain)" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "inetDomainStatus", "active", "facts 4.4 status precedence" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "mailDomainStatus", "active", "facts 4.4 status precedence" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_SELF_DN, "inetDomainBaseDN", NULL, "facts 4.1 (one DIT: users under the DC node), 4.6" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_HOST, "mailRoutingHosts", NULL, "seed 003 (-m domains -A mailroutinghosts:...)" },
    { MSM_DIRMIG_FROM_SIMS, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_HOST, "preferredMailHost", NULL, "seed 003 step 8 (preferredmailhost)" },
    /* NMS 3.x/4.x -> iMS (imsdirmig -M nms) */
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetUser", NULL, "facts 4.7 [I] mailRecipient -> inetUser" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "ipUser", NULL, "facts 4.3 (shared class)" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetMailUser", NULL, "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetLocalMailRecipient", NULL, "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "inetUserStatus", "active", "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "mailUserStatus", "active", "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_RENAME, "nsmsgNumMsgQuota", "mailMsgQuota", "facts 4.2 (no OID) / 4.4 mailMsgQuota = message count" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_DROP_PATH, "mailMessageStore", NULL, "facts 4.2 (3.x path) / 4.4 (partition; missing = default)" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_HOST, "mailHost", NULL, "seed 003; facts 4.4" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetMailGroup", NULL, "facts 4.7 [I] mailGroup -> inetMailGroup" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_ADD_CLASS, "inetLocalMailRecipient", NULL, "facts 4.7 [I]" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_DEFAULT, "inetMailGroupStatus", "active", "facts 4.4" },
    { MSM_DIRMIG_FROM_NMS, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_HOST, "mailHost", NULL, "seed 003 (groups -A mailhost:...)" },
    /* Schema 1 -> Schema 2 (commdirmig -t 1|2|3) */
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M_ANY, "organization", MSM_DIRMAP_ADD_CLASS, "sunManagedOrganization", NULL, "facts 4.3 (on every Schema 2 organization node)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M_ANY, "organization", MSM_DIRMAP_FROM_DC, "inetDomainStatus", NULL, "facts 4.6 (native: no DC tree; the status moves)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M_ANY, "organization", MSM_DIRMAP_DEFAULT, "inetDomainStatus", "active", "facts 4.3 (sunManagedOrganization MUST inetDomainStatus)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M_ANY, "organization", MSM_DIRMAP_DOMAIN_NAME, "sunPreferredDomain", NULL, "facts 4.4, 4.6 (uniqueness)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M_ANY, "organization", MSM_DIRMAP_DOMAIN_NAME, "associatedDomain", NULL, "facts 4.6 (uniqueness)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_ADD_CLASS, "inetDomain", NULL, "facts 4.6 Schema 2 native" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_ADD_CLASS, "mailDomain", NULL, "facts 4.6 Schema 2 native" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_FROM_DC, "mailDomainStatus", NULL, "facts 4.6 (native: mailDomain on the organization)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_FROM_DC, "preferredMailHost", NULL, "facts 4.3 mailDomain attributes, 4.6" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_FROM_DC, "mailRoutingHosts", NULL, "facts 4.3 mailDomain attributes, 4.6" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_FROM_DC, "mailRoutingSmartHost", NULL, "facts 4.3 mailDomain attributes" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_FROM_DC, "preferredMailMessageStore", NULL, "facts 4.3 mailDomain attributes" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_FROM_DC, "mailDomainDiskQuota", NULL, "facts 4.3 mailDomain attributes" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_FROM_DC, "mailDomainCatchallAddress", NULL, "facts 4.3 mailDomain attributes" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, "organization", MSM_DIRMAP_DEFAULT, "mailDomainStatus", "active", "facts 4.4" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M1 | M3, NULL, MSM_DIRMAP_DEL_CLASS, "nsManagedDomain", NULL, "facts 4.3 (deprecated in 6.0)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_HOST, "mailRoutingHosts", NULL, "seed 003 step 8" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_DOMAIN, M_ANY, NULL, MSM_DIRMAP_HOST, "preferredMailHost", NULL, "seed 003 step 8" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_USER, M1 | M3, NULL, MSM_DIRMAP_DEL_CLASS, "nsManagedPerson", NULL, "facts 4.3 (iDA / Schema 1 class)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_USER, M_ANY, NULL, MSM_DIRMAP_HOST, "mailHost", NULL, "facts 4.4; commdirmig -H" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_GROUP, M1 | M3, NULL, MSM_DIRMAP_DEL_CLASS, "nsManagedMailList", NULL, "facts 4.3 (iDA / Schema 1 class)" },
    { MSM_DIRMIG_FROM_SCHEMA1, MSM_DIRENT_GROUP, M_ANY, NULL, MSM_DIRMAP_HOST, "mailHost", NULL, "facts 4.4; commdirmig -H" },
};

const MsmDirmapRule *
msm_dirmap_rules(guint *n_r)
{
    *n_r = G_N_ELEMENTS(rules);
    return rules;
}

/* Canonical spelling of attribute names the mapping or -A may introduce, so
 * that output LDIF uses the schema's case (slapcat prints that case). */
static const char *const canonical_names[] = {
    "mailHost", "mailRoutingHosts", "preferredMailHost", "mailDeliveryOption", "mailFolderMap",
    "mailAlternateAddress", "mailForwardingAddress", "mailQuota", "mailMsgQuota", "mailUserStatus",
    "inetUserStatus", "inetMailGroupStatus", "inetDomainStatus", "mailDomainStatus",
    "mailMessageStore", "mailRoutingAddress", "mailRoutingSmartHost", "preferredMailMessageStore",
    "mailEquivalentAddress", "mailProgramDeliveryInfo", "mailAutoReplyMode", "mailAutoReplyText",
    "mgrpRFC822MailMember", "mgrpErrorsTo", "mgrpAllowedDomain", "mgrpDisallowedDomain",
    "uniqueMember", "objectClass", "dataSource", "sunPreferredDomain", "associatedDomain",
    "inetDomainBaseDN", "mail", "cn", "description", "preferredLanguage",
};

static const char *
canonical_name(const char *name)
{
    for (gsize i = 0; i < G_N_ELEMENTS(canonical_names); i++)
        if (g_ascii_strcasecmp(canonical_names[i], name) == 0)
            return canonical_names[i];
    return name;
}

/* ---- -A / -m parsing ---- */

gboolean
msm_dirmig_parse_pairs(const char *arg, GPtrArray **pairs, GError **error)
{
    g_return_val_if_fail(arg != NULL && pairs != NULL, FALSE);
    GString *cur = g_string_new(NULL);
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    for (const char *p = arg;; p++) {
        if (*p == '\\' && p[1] == ';') {
            g_string_append_c(cur, ';');
            p++;
            continue;
        }
        if (*p == ';' || *p == '\0') {
            const char *colon = strchr(cur->str, ':');
            char *an = colon ? g_strndup(cur->str, colon - cur->str) : NULL;
            gboolean good = an != NULL && *an != '\0' && msm_ldif_attr_name_is_valid(an);
            g_free(an);
            if (!good) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "-A '%s': pair '%s' is not attr:value; write e.g. mailHost:newmail.siroe.com "
                            "and separate pairs with ';'", arg, cur->str);
                g_string_free(cur, TRUE);
                g_ptr_array_unref(out);
                return FALSE;
            }
            g_ptr_array_add(out, g_strdup(cur->str));
            g_string_truncate(cur, 0);
            if (*p == '\0')
                break;
            continue;
        }
        g_string_append_c(cur, *p);
    }
    g_string_free(cur, TRUE);
    if (*pairs == NULL)
        *pairs = g_ptr_array_new_with_free_func(g_free);
    for (guint i = 0; i < out->len; i++)
        g_ptr_array_add(*pairs, g_strdup(out->pdata[i]));
    g_ptr_array_unref(out);
    return TRUE;
}

gboolean
msm_dirmig_parse_what(const char *arg, guint *what_r, GError **error)
{
    static const struct { const char *name; guint bits; } w[] = {
        { "user", MSM_DIRMIG_USERS }, { "users", MSM_DIRMIG_USERS },
        { "group", MSM_DIRMIG_GROUPS }, { "groups", MSM_DIRMIG_GROUPS },
        { "domain", MSM_DIRMIG_DOMAINS }, { "domains", MSM_DIRMIG_DOMAINS },
        { "both", MSM_DIRMIG_USERS | MSM_DIRMIG_GROUPS },
        { "all", MSM_DIRMIG_USERS | MSM_DIRMIG_GROUPS | MSM_DIRMIG_DOMAINS },
    };
    for (gsize i = 0; i < G_N_ELEMENTS(w); i++)
        if (g_ascii_strcasecmp(arg, w[i].name) == 0) {
            *what_r = w[i].bits;
            return TRUE;
        }
    g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                "-m '%s': use user, group, domain, both (users and groups) or all", arg);
    return FALSE;
}

/* ---- DNs ---- */

/* Splits dn into RDN strings (unescaped ',' separates; whitespace around
 * kept). (transfer full) */
static GPtrArray *
dn_split(const char *dn)
{
    GPtrArray *rdns = g_ptr_array_new_with_free_func(g_free);
    if (dn == NULL)
        return rdns;
    const char *start = dn;
    gboolean quoted = FALSE;
    for (const char *p = dn;; p++) {
        if (*p == '\\' && p[1] != '\0') {
            p++;
            continue;
        }
        if (*p == '"')
            quoted = !quoted;
        if ((*p == ',' && !quoted) || *p == '\0') {
            char *r = g_strstrip(g_strndup(start, p - start));
            if (*r != '\0' || *p == ',')
                g_ptr_array_add(rdns, r);
            else
                g_free(r);
            if (*p == '\0')
                break;
            start = p + 1;
        }
    }
    return rdns;
}

guint
msm_dn_depth(const char *dn)
{
    if (dn == NULL)
        return 0;
    GPtrArray *r = dn_split(dn);
    guint n = r->len;
    g_ptr_array_unref(r);
    return n;
}

char *
msm_dn_normalize(const char *dn)
{
    GPtrArray *r = dn_split(dn);
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < r->len; i++) {
        if (i > 0)
            g_string_append_c(out, ',');
        char **parts = g_strsplit(r->pdata[i], "+", -1);
        for (guint j = 0; parts[j]; j++) {
            if (j > 0)
                g_string_append_c(out, '+');
            char *eq = strchr(parts[j], '=');
            if (eq) {
                char *t = g_strstrip(g_strndup(parts[j], eq - parts[j]));
                char *v = g_strstrip(g_strdup(eq + 1));
                char *tl = g_ascii_strdown(t, -1), *vl = g_utf8_strdown(v, -1);
                g_string_append_printf(out, "%s=%s", tl, vl);
                g_free(t); g_free(v); g_free(tl); g_free(vl);
            } else {
                char *l = g_utf8_strdown(g_strstrip(parts[j]), -1);
                g_string_append(out, l);
                g_free(l);
            }
        }
        g_strfreev(parts);
    }
    g_ptr_array_unref(r);
    return g_string_free(out, FALSE);
}

/* The value of the first RDN of dn if its type is type (lower-cased), or NULL. (transfer full) */
static char *
rdn_value(const char *dn, const char *type)
{
    char *norm = msm_dn_normalize(dn);
    char *res = NULL;
    gsize tl = strlen(type);
    if (g_ascii_strncasecmp(norm, type, tl) == 0 && norm[tl] == '=') {
        const char *v = norm + tl + 1;
        const char *end = strchr(v, ',');
        res = end ? g_strndup(v, end - v) : g_strdup(v);
    }
    g_free(norm);
    return res;
}

/* Number of leading "dc=" RDNs of dn. */
static guint
dc_count(const char *dn)
{
    GPtrArray *r = dn_split(dn);
    guint n = 0;
    while (n < r->len && g_ascii_strncasecmp(r->pdata[n], "dc=", 3) == 0)
        n++;
    g_ptr_array_unref(r);
    return n;
}

/* The DNS domain an entry belongs to, from its DN: the first "o=a.b" RDN with
 * a dot, or the leading run of dc= RDNs joined with '.', or NULL. (transfer full) */
static char *
dn_domain(const char *dn)
{
    char *norm = msm_dn_normalize(dn);
    GPtrArray *r = dn_split(norm);
    char *res = NULL;
    for (guint i = 0; i < r->len && res == NULL; i++) {
        const char *rdn = r->pdata[i];
        if (g_str_has_prefix(rdn, "o=") && strchr(rdn, '.') != NULL)
            res = g_strdup(rdn + 2);
        else if (g_str_has_prefix(rdn, "dc=")) {
            GString *d = g_string_new(NULL);
            guint j = i;
            for (; j < r->len && g_str_has_prefix((const char *)r->pdata[j], "dc="); j++) {
                if (d->len)
                    g_string_append_c(d, '.');
                g_string_append(d, (const char *)r->pdata[j] + 3);
            }
            if (j - i >= 2)
                res = g_string_free(d, FALSE);
            else
                g_string_free(d, TRUE);
            break;
        }
    }
    g_ptr_array_unref(r);
    g_free(norm);
    return res;
}

void
msm_dirmap_note_dc_node(MsmDirmigOptions *opt, const MsmEntry *dc)
{
    const char *base = msm_entry_get_string(dc, "inetDomainBaseDN");
    if (base == NULL || *base == '\0')
        return;
    if (opt->dc_nodes == NULL)
        opt->dc_nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify)msm_entry_free);
    g_hash_table_replace(opt->dc_nodes, msm_dn_normalize(base), msm_entry_copy(dc));
}

/* ---- classification ---- */

MsmDirentKind
msm_dirmap_classify(const MsmDirmigOptions *opt, const MsmEntry *e)
{
    switch (opt->from) {
    case MSM_DIRMIG_FROM_SIMS:
        if (msm_entry_has_class(e, "emailPerson"))
            return MSM_DIRENT_USER;
        if (msm_entry_has_class(e, "emailGroup") || msm_entry_has_class(e, "rfc822MailGroup"))
            return MSM_DIRENT_GROUP;
        /* a DC-tree node naming a DNS domain (dc=siroe,dc=com), not a TLD node */
        if (msm_entry_has_class(e, "domain") && dc_count(msm_entry_dn(e)) >= 2)
            return MSM_DIRENT_DOMAIN;
        return MSM_DIRENT_OTHER;
    case MSM_DIRMIG_FROM_NMS:
        if (msm_entry_has_class(e, "mailRecipient") || msm_entry_has_class(e, "nsMessagingServerUser"))
            return MSM_DIRENT_USER;
        if (msm_entry_has_class(e, "mailGroup"))
            return MSM_DIRENT_GROUP;
        return MSM_DIRENT_OTHER;
    case MSM_DIRMIG_FROM_SCHEMA1:
        if (msm_entry_has_class(e, "inetMailUser") || msm_entry_has_class(e, "inetUser"))
            return MSM_DIRENT_USER;
        if (msm_entry_has_class(e, "inetMailGroup"))
            return MSM_DIRENT_GROUP;
        if (msm_entry_has_class(e, "inetDomain") || msm_entry_has_class(e, "mailDomain") ||
            msm_entry_has_class(e, "nsManagedDomain") || msm_entry_has_class(e, "sunManagedOrganization"))
            return MSM_DIRENT_DOMAIN;
        if (msm_entry_has_class(e, "organization")) {
            /* a hosted organization: o=<dns domain> directly under the org root */
            char *o = rdn_value(msm_entry_dn(e), "o");
            gboolean dom = o != NULL && strchr(o, '.') != NULL;
            if (dom && opt->org_root != NULL) {
                char *nd = msm_dn_normalize(msm_entry_dn(e)), *nr = msm_dn_normalize(opt->org_root);
                const char *comma = strchr(nd, ',');
                dom = comma != NULL && strcmp(comma + 1, nr) == 0;
                g_free(nd);
                g_free(nr);
            }
            g_free(o);
            if (dom)
                return MSM_DIRENT_DOMAIN;
        }
        return MSM_DIRENT_OTHER;
    }
    return MSM_DIRENT_OTHER;
}

/* ---- RFC 4515 filters ---- */

typedef struct {
    const char *text, *p;
    GError **error;
    int depth;
} FParse;

static gboolean
ffail(FParse *fp, const char *what)
{
    if (fp->error && *fp->error == NULL)
        g_set_error(fp->error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "filter '%s': position %d: %s; write an RFC 4515 filter such as "
                    "(&(objectClass=inetMailUser)(uid=s*))", fp->text, (int)(fp->p - fp->text) + 1, what);
    return FALSE;
}

/* Decodes an assertion value with \XX escapes, up to stop chars. (transfer full) */
static GByteArray *
fvalue(FParse *fp, gboolean star_stops)
{
    GByteArray *b = g_byte_array_new();
    while (*fp->p && *fp->p != ')' && !(star_stops && *fp->p == '*')) {
        if (*fp->p == '(') {
            g_byte_array_unref(b);
            ffail(fp, "unescaped '(' in a value (write \\28)");
            return NULL;
        }
        if (*fp->p == '\\') {
            if (!g_ascii_isxdigit(fp->p[1]) || !g_ascii_isxdigit(fp->p[2])) {
                g_byte_array_unref(b);
                ffail(fp, "'\\' must be followed by two hex digits");
                return NULL;
            }
            guint8 c = (guint8)(g_ascii_xdigit_value(fp->p[1]) * 16 + g_ascii_xdigit_value(fp->p[2]));
            g_byte_array_append(b, &c, 1);
            fp->p += 3;
            continue;
        }
        g_byte_array_append(b, (const guint8 *)fp->p, 1);
        fp->p++;
    }
    return b;
}

/* g_ascii_strncasecmp that accepts NULL for zero-length data (an empty
 * GByteArray has data == NULL). */
static int
ci_ncmp(const void *a, const void *b, gsize n)
{
    if (n == 0)
        return 0;
    return g_ascii_strncasecmp(a, b, n);
}

static gboolean
ci_eq(const guint8 *a, gsize al, const guint8 *b, gsize bl)
{
    return al == bl && ci_ncmp(a, b, al) == 0;
}

/* case-insensitive substring search from pos; returns offset after match or -1 */
static gssize
ci_find(const guint8 *h, gsize hl, gsize pos, const guint8 *n, gsize nl)
{
    if (nl == 0)
        return (gssize)pos;
    for (gsize i = pos; i + nl <= hl; i++)
        if (ci_ncmp(h + i, n, nl) == 0)
            return (gssize)(i + nl);
    return -1;
}

static gboolean fparse(FParse *fp, const MsmEntry *e, gboolean *m);

static gboolean
fparse_item(FParse *fp, const MsmEntry *e, gboolean *m)
{
    const char *a0 = fp->p;
    while (g_ascii_isalnum(*fp->p) || *fp->p == '-' || *fp->p == '.' || *fp->p == ';' || *fp->p == '_')
        fp->p++;
    if (fp->p == a0)
        return ffail(fp, "attribute name expected");
    char *attr = g_strndup(a0, fp->p - a0);
    char *semi = strchr(attr, ';');
    if (semi)
        *semi = '\0';
    int op;
    if (*fp->p == '=') {
        op = '=';
        fp->p++;
    } else if ((*fp->p == '>' || *fp->p == '<' || *fp->p == '~') && fp->p[1] == '=') {
        op = *fp->p;
        fp->p += 2;
    } else if (*fp->p == ':') {
        g_free(attr);
        return ffail(fp, "extensible match (':') is not supported");
    } else {
        g_free(attr);
        return ffail(fp, "'=', '>=', '<=' or '~=' expected");
    }
    GPtrArray *vals = msm_entry_get(e, attr);
    g_free(attr);
    if (op == '=' && fp->p[0] == '*' && fp->p[1] == ')') { /* presence */
        fp->p++;
        *m = vals != NULL && vals->len > 0;
        return TRUE;
    }
    if (op != '=') {
        GByteArray *v = fvalue(fp, FALSE);
        if (v == NULL)
            return FALSE;
        *m = FALSE;
        for (guint i = 0; vals && i < vals->len && !*m; i++) {
            gsize l;
            const guint8 *d = g_bytes_get_data(vals->pdata[i], &l);
            if (op == '~')
                *m = ci_eq(d, l, v->data, v->len);
            else {
                int c;
                /* integers compare as numbers, others case-insensitively */
                char *ds = g_strndup((const char *)d, l), *vs = g_strndup((const char *)v->data, v->len);
                char *e1, *e2;
                gint64 x = g_ascii_strtoll(ds, &e1, 10), y = g_ascii_strtoll(vs, &e2, 10);
                if (*ds && *vs && *e1 == '\0' && *e2 == '\0')
                    c = x < y ? -1 : x > y;
                else
                    c = g_ascii_strcasecmp(ds, vs);
                g_free(ds);
                g_free(vs);
                *m = op == '>' ? c >= 0 : c <= 0;
            }
        }
        g_byte_array_unref(v);
        return TRUE;
    }
    /* equality or substrings */
    GPtrArray *parts = g_ptr_array_new_with_free_func((GDestroyNotify)g_byte_array_unref);
    gboolean any_star = FALSE;
    for (;;) {
        GByteArray *v = fvalue(fp, TRUE);
        if (v == NULL) {
            g_ptr_array_unref(parts);
            return FALSE;
        }
        g_ptr_array_add(parts, v);
        if (*fp->p == '*') {
            any_star = TRUE;
            fp->p++;
            continue;
        }
        break;
    }
    *m = FALSE;
    for (guint i = 0; vals && i < vals->len && !*m; i++) {
        gsize l;
        const guint8 *d = g_bytes_get_data(vals->pdata[i], &l);
        if (!any_star) {
            GByteArray *v = parts->pdata[0];
            *m = ci_eq(d, l, v->data, v->len);
            continue;
        }
        GByteArray *init = parts->pdata[0], *fin = parts->pdata[parts->len - 1];
        if (init->len > l || ci_ncmp(d, init->data, init->len) != 0)
            continue;
        if (fin->len > l - init->len || ci_ncmp(d + l - fin->len, fin->data, fin->len) != 0)
            continue;
        gsize pos = init->len;
        gsize lim = l - fin->len;
        gboolean ok = TRUE;
        for (guint k = 1; k + 1 < parts->len && ok; k++) {
            GByteArray *any = parts->pdata[k];
            gssize r = ci_find(d, lim, pos, any->data, any->len);
            if (r < 0)
                ok = FALSE;
            else
                pos = (gsize)r;
        }
        *m = ok;
    }
    g_ptr_array_unref(parts);
    return TRUE;
}

static gboolean
fparse(FParse *fp, const MsmEntry *e, gboolean *m)
{
    while (*fp->p == ' ')
        fp->p++;
    if (++fp->depth > 64)
        return ffail(fp, "filters nest more than 64 deep");
    if (*fp->p != '(')
        return ffail(fp, "'(' expected");
    fp->p++;
    char c = *fp->p;
    if (c == '&' || c == '|') {
        fp->p++;
        gboolean acc = c == '&';
        int n = 0;
        while (*fp->p == '(' || *fp->p == ' ') {
            if (*fp->p == ' ') {
                fp->p++;
                continue;
            }
            gboolean sub;
            if (!fparse(fp, e, &sub))
                return FALSE;
            acc = c == '&' ? (acc && sub) : (acc || sub);
            n++;
        }
        if (n == 0)
            return ffail(fp, "'&' and '|' need at least one filter");
        *m = acc;
    } else if (c == '!') {
        fp->p++;
        gboolean sub;
        if (!fparse(fp, e, &sub))
            return FALSE;
        *m = !sub;
    } else if (!fparse_item(fp, e, m))
        return FALSE;
    if (*fp->p != ')')
        return ffail(fp, "')' expected");
    fp->p++;
    fp->depth--;
    return TRUE;
}

gboolean
msm_dirmap_filter_match(const char *filter, const MsmEntry *entry, gboolean *match_r, GError **error)
{
    *match_r = TRUE;
    if (filter == NULL || *filter == '\0')
        return TRUE;
    FParse fp = { filter, filter, error, 0 };
    /* RFC 1558 lets the outer parentheses be omitted: "uid=s*" */
    char *wrapped = NULL;
    const char *t = filter;
    while (*t == ' ')
        t++;
    if (*t != '(') {
        wrapped = g_strdup_printf("(%s)", t);
        fp.text = fp.p = wrapped;
    }
    gboolean m = FALSE;
    gboolean ok = fparse(&fp, entry, &m);
    if (ok) {
        while (*fp.p == ' ')
            fp.p++;
        if (*fp.p != '\0')
            ok = ffail(&fp, "text after the end of the filter");
    }
    g_free(wrapped);
    if (ok)
        *match_r = m;
    return ok;
}

/* ---- mapping ---- */

static gboolean
value_in(GPtrArray *vals, GBytes *v)
{
    for (guint i = 0; vals && i < vals->len; i++)
        if (g_bytes_equal(vals->pdata[i], v))
            return TRUE;
    return FALSE;
}

static void
add_class(MsmEntry *e, const char *oc)
{
    if (!msm_entry_has_class(e, oc))
        msm_entry_add_string(e, "objectClass", oc);
}

static void
del_class(MsmEntry *e, const char *oc)
{
    GPtrArray *v = msm_entry_get(e, "objectClass");
    for (guint i = 0; v && i < v->len; i++) {
        gsize l;
        const char *s = g_bytes_get_data(v->pdata[i], &l);
        if (l == strlen(oc) && g_ascii_strncasecmp(s, oc, l) == 0) {
            char *copy = g_strndup(s, l);
            msm_entry_remove(e, "objectClass", copy, l);
            g_free(copy);
            return;
        }
    }
}

static gboolean
kind_selected(const MsmDirmigOptions *opt, MsmDirentKind k)
{
    guint what = opt->what ? opt->what : (MSM_DIRMIG_USERS | MSM_DIRMIG_GROUPS | MSM_DIRMIG_DOMAINS);
    switch (k) {
    case MSM_DIRENT_USER: return (what & MSM_DIRMIG_USERS) != 0;
    case MSM_DIRENT_GROUP: return (what & MSM_DIRMIG_GROUPS) != 0;
    case MSM_DIRENT_DOMAIN: return (what & MSM_DIRMIG_DOMAINS) != 0;
    default: return FALSE;
    }
}

static const char *
kind_name(MsmDirentKind k)
{
    switch (k) {
    case MSM_DIRENT_USER: return "user";
    case MSM_DIRENT_GROUP: return "group";
    case MSM_DIRENT_DOMAIN: return "domain";
    default: return "other";
    }
}

static gboolean
in_scope(const MsmDirmigOptions *opt, const MsmEntry *e)
{
    if (opt->domain_scope == NULL || strcmp(opt->domain_scope, "*") == 0)
        return TRUE;
    char *d = dn_domain(msm_entry_dn(e));
    gboolean ok = FALSE;
    char **list = g_strsplit(opt->domain_scope, ",", -1);
    for (guint i = 0; list[i] && !ok; i++)
        ok = d != NULL && g_ascii_strcasecmp(g_strstrip(list[i]), d) == 0;
    g_strfreev(list);
    g_free(d);
    return ok;
}

/* Applies one rule to e (kind and mode already checked). */
void
msm_dirmap_apply_rule(const MsmDirmigOptions *opt, const MsmDirmapRule *r, MsmEntry *e)
{
    if (r->need_class && !msm_entry_has_class(e, r->need_class))
        return;
    switch (r->op) {
    case MSM_DIRMAP_ADD_CLASS:
        add_class(e, r->attr);
        break;
    case MSM_DIRMAP_DEL_CLASS:
        del_class(e, r->attr);
        break;
    case MSM_DIRMAP_DEFAULT:
        if (msm_entry_get(e, r->attr) == NULL)
            msm_entry_add_string(e, r->attr, r->arg);
        break;
    case MSM_DIRMAP_COPY: {
        GPtrArray *v = msm_entry_get(e, r->attr);
        for (guint i = 0; v && i < v->len; i++) {
            gsize l;
            const void *d = g_bytes_get_data(v->pdata[i], &l);
            msm_entry_add(e, r->arg, d, l);
        }
        break;
    }
    case MSM_DIRMAP_RENAME: {
        GPtrArray *v = msm_entry_get(e, r->attr);
        if (v == NULL)
            break;
        for (guint i = 0; i < v->len; i++) {
            gsize l;
            const void *d = g_bytes_get_data(v->pdata[i], &l);
            msm_entry_add(e, r->arg, d, l);
        }
        msm_entry_remove(e, r->attr, NULL, 0);
        break;
    }
    case MSM_DIRMAP_DROP_PATH: {
        const char *s = msm_entry_get_string(e, r->attr);
        if (s != NULL && strchr(s, '/') != NULL)
            msm_entry_remove(e, r->attr, NULL, 0);
        break;
    }
    case MSM_DIRMAP_SELF_DN:
        if (msm_entry_get(e, r->attr) == NULL)
            msm_entry_add_string(e, r->attr, msm_entry_dn(e));
        break;
    case MSM_DIRMAP_DOMAIN_NAME: {
        if (msm_entry_get(e, r->attr) != NULL)
            break;
        char *d = dn_domain(msm_entry_dn(e));
        if (d != NULL)
            msm_entry_add_string(e, r->attr, d);
        g_free(d);
        break;
    }
    case MSM_DIRMAP_FROM_DC: {
        if (opt->dc_nodes == NULL || msm_entry_get(e, r->attr) != NULL)
            break;
        char *key = msm_dn_normalize(msm_entry_dn(e));
        const MsmEntry *dc = g_hash_table_lookup(opt->dc_nodes, key);
        g_free(key);
        GPtrArray *v = dc ? msm_entry_get(dc, r->attr) : NULL;
        for (guint i = 0; v && i < v->len; i++) {
            gsize l;
            const void *d = g_bytes_get_data(v->pdata[i], &l);
            msm_entry_add(e, r->attr, d, l);
        }
        break;
    }
    case MSM_DIRMAP_HOST:
        if (opt->new_mailhost == NULL)
            break;
        /* a user has exactly one mailHost (facts 4.2), so it always gets the
         * new one; a group has 0 or 1 and keeps having none; a domain's
         * routing attributes are set where present or on a mail domain */
        if (msm_entry_get(e, r->attr) != NULL ||
            (r->kind == MSM_DIRENT_USER && g_ascii_strcasecmp(r->attr, "mailHost") == 0) ||
            (r->kind == MSM_DIRENT_DOMAIN && msm_entry_has_class(e, "mailDomain")))
            msm_entry_replace_string(e, r->attr, opt->new_mailhost);
        break;
    }
}

static void
apply_pairs(const MsmDirmigOptions *opt, MsmEntry *e)
{
    GHashTable *replaced = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; opt->pairs && i < opt->pairs->len; i++) {
        const char *pair = opt->pairs->pdata[i];
        const char *colon = strchr(pair, ':');
        if (colon == NULL)
            continue;
        char *name0 = g_strndup(pair, colon - pair);
        const char *name = canonical_name(name0);
        const char *val = colon + 1;
        char *key = g_ascii_strdown(name, -1);
        if (g_ascii_strcasecmp(name, "objectClass") == 0) {
            add_class(e, val);
        } else if (opt->add || g_hash_table_contains(replaced, key)) {
            msm_entry_add_string(e, name, val);
        } else {
            msm_entry_replace_string(e, name, val);
            g_hash_table_add(replaced, g_strdup(key));
        }
        g_free(key);
        g_free(name0);
    }
    g_hash_table_unref(replaced);
}

MsmResult
msm_dirmap_entry(const MsmDirmigOptions *opt, MsmEntry *entry, char **reason_r, GError **error)
{
    g_return_val_if_fail(opt != NULL && entry != NULL, MSM_RESULT_ERROR);
    if (reason_r)
        *reason_r = NULL;
    const char *dn = msm_entry_dn(entry);
    MsmDirentKind kind = msm_dirmap_classify(opt, entry);
    if (kind == MSM_DIRENT_OTHER) {
        if (reason_r)
            *reason_r = g_strdup("not a user, group or domain entry of the source schema: nothing to migrate");
        return MSM_RESULT_SKIP;
    }
    if (!kind_selected(opt, kind)) {
        if (reason_r)
            *reason_r = g_strdup_printf("%s entry: not selected by -m", kind_name(kind));
        return MSM_RESULT_SKIP;
    }
    if (!in_scope(opt, entry)) {
        if (reason_r)
            *reason_r = g_strdup_printf("outside the domain scope %s", opt->domain_scope);
        return MSM_RESULT_SKIP;
    }
    gboolean match;
    GError *ferr = NULL;
    if (!msm_dirmap_filter_match(opt->filter, entry, &match, &ferr)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT, "%s: %s", dn, ferr->message);
        g_error_free(ferr);
        return MSM_RESULT_ERROR;
    }
    if (!match) {
        if (reason_r)
            *reason_r = g_strdup_printf("does not match the filter %s", opt->filter);
        return MSM_RESULT_SKIP;
    }
    if (opt->only_pairs && (opt->pairs == NULL || opt->pairs->len == 0)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s: -O applies only the -A pairs, and none were given; add -A attr:value", dn);
        return MSM_RESULT_ERROR;
    }
    /* The postmaster entry made imsdirmig abort (seed 003): it is migrated
     * when it is a complete mail entry, skipped with the reason otherwise. */
    char *cn = rdn_value(dn, "cn"), *uid = rdn_value(dn, "uid");
    gboolean postmaster = (cn && strcmp(cn, "postmaster") == 0) || (uid && strcmp(uid, "postmaster") == 0);
    g_free(cn);
    g_free(uid);
    if (postmaster && !opt->only_pairs && msm_entry_get_string(entry, "mail") == NULL) {
        if (reason_r)
            *reason_r = g_strdup("postmaster entry without a mail address: imsdirmig could not migrate it "
                                 "(seed 003); left as it is, give it a mail value and run again");
        return MSM_RESULT_SKIP;
    }
    if (!opt->only_pairs) {
        int mode = opt->from == MSM_DIRMIG_FROM_SCHEMA1 ? (opt->commdirmig_mode ? opt->commdirmig_mode : 1) : 0;
        for (gsize i = 0; i < G_N_ELEMENTS(rules); i++) {
            const MsmDirmapRule *r = &rules[i];
            if (r->from != opt->from || r->kind != kind)
                continue;
            if (r->modes != M_ANY && (mode <= 0 || (r->modes & (1u << mode)) == 0))
                continue;
            msm_dirmap_apply_rule(opt, r, entry);
        }
    }
    apply_pairs(opt, entry);
    return MSM_RESULT_CONTINUE;
}

gboolean
msm_dirmap_is_stale_domain(const MsmEntry *e, const char *old_host, const char *new_host, char **fix_r)
{
    if (fix_r)
        *fix_r = NULL;
    if (old_host == NULL || !(msm_entry_has_class(e, "mailDomain") || msm_entry_get(e, "preferredMailHost")))
        return FALSE;
    static const char *const attrs[] = { "preferredMailHost", "mailRoutingHosts" };
    MsmEntry *fixed = msm_entry_copy(e);
    gboolean stale = FALSE;
    for (gsize a = 0; a < G_N_ELEMENTS(attrs); a++) {
        GPtrArray *v = msm_entry_get(e, attrs[a]);
        for (guint i = 0; v && i < v->len; i++) {
            gsize l;
            const char *s = g_bytes_get_data(v->pdata[i], &l);
            if (l == strlen(old_host) && g_ascii_strncasecmp(s, old_host, l) == 0) {
                stale = TRUE;
                if (new_host) {
                    char *copy = g_strndup(s, l);
                    msm_entry_remove(fixed, attrs[a], copy, l);
                    msm_entry_add_string(fixed, attrs[a], new_host);
                    g_free(copy);
                }
            }
        }
    }
    if (stale && new_host && fix_r)
        *fix_r = msm_entry_diff_ldif(e, fixed);
    msm_entry_free(fixed);
    return stale;
}

/* ---- diff / apply ---- */

/* TRUE if the two value lists hold the same set of values. */
static gboolean
same_values(GPtrArray *a, GPtrArray *b)
{
    guint al = a ? a->len : 0, bl = b ? b->len : 0;
    if (al != bl)
        return FALSE;
    for (guint i = 0; i < al; i++)
        if (!value_in(b, a->pdata[i]))
            return FALSE;
    return TRUE;
}

static void
append_replace(GString *out, const char *name, GPtrArray *vals)
{
    g_string_append_printf(out, "replace: %s\n", name);
    for (guint i = 0; vals && i < vals->len; i++) {
        gsize l;
        const void *d = g_bytes_get_data(vals->pdata[i], &l);
        msm_ldif_append_value(out, name, d, l);
    }
    g_string_append(out, "-\n");
}

char *
msm_entry_diff_ldif(const MsmEntry *old_entry, const MsmEntry *new_entry)
{
    g_return_val_if_fail(old_entry != NULL && new_entry != NULL, NULL);
    GString *body = g_string_new(NULL);
    GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    const MsmEntry *sides[2] = { old_entry, new_entry };
    /* objectClass first so a reader sees the classes before their attributes
     * (the modify is atomic either way). */
    if (!same_values(msm_entry_get(old_entry, "objectClass"), msm_entry_get(new_entry, "objectClass")))
        append_replace(body, "objectClass", msm_entry_get(new_entry, "objectClass"));
    g_hash_table_add(seen, g_strdup("objectclass"));
    for (int s = 0; s < 2; s++) {
        GPtrArray *names = msm_entry_attribute_names(sides[s]);
        for (guint i = 0; i < names->len; i++) {
            const char *name = names->pdata[i];
            char *key = g_ascii_strdown(name, -1);
            if (g_hash_table_contains(seen, key)) {
                g_free(key);
                continue;
            }
            g_hash_table_add(seen, key);
            GPtrArray *ov = msm_entry_get(old_entry, name), *nv = msm_entry_get(new_entry, name);
            if (!same_values(ov, nv))
                append_replace(body, name, nv);
        }
        g_ptr_array_unref(names);
    }
    g_hash_table_unref(seen);
    if (body->len == 0) {
        g_string_free(body, TRUE);
        return NULL;
    }
    GString *out = g_string_new(NULL);
    const char *dn = msm_entry_dn(old_entry);
    msm_ldif_append_value(out, "dn", dn, strlen(dn));
    g_string_append(out, "changetype: modify\n");
    g_string_append_len(out, body->str, body->len);
    g_string_free(body, TRUE);
    return g_string_free(out, FALSE);
}

static gboolean
modparse_fail(GError **error, guint line, const char *what)
{
    g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                "modify record line %u: %s; the record must be what msm_entry_diff_ldif() writes "
                "(dn, changetype: modify, replace:/add:/delete: blocks ended by '-')", line, what);
    return FALSE;
}

gboolean
msm_entry_apply_modify_ldif(MsmEntry *entry, const char *record, GError **error)
{
    /* unfold */
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    char **raw = g_strsplit(record, "\n", -1);
    for (guint i = 0; raw[i]; i++) {
        char *l = raw[i];
        gsize n = strlen(l);
        if (n && l[n - 1] == '\r')
            l[n - 1] = '\0';
        if (l[0] == ' ' && lines->len > 0) {
            char *prev = lines->pdata[lines->len - 1];
            lines->pdata[lines->len - 1] = g_strconcat(prev, l + 1, NULL);
            g_free(prev);
        } else if (l[0] != '#' && l[0] != '\0')
            g_ptr_array_add(lines, g_strdup(l));
    }
    g_strfreev(raw);
    gboolean ok = TRUE;
    enum { NONE, REPLACE, ADD, DELETE } op = NONE;
    char *cur = NULL;
    gboolean cur_had_value = FALSE;
    for (guint i = 0; i < lines->len && ok; i++) {
        const char *l = lines->pdata[i];
        if (i == 0) {
            if (!g_str_has_prefix(l, "dn:"))
                ok = modparse_fail(error, i + 1, "'dn:' expected");
            continue;
        }
        if (i == 1) {
            if (strcmp(l, "changetype: modify") != 0)
                ok = modparse_fail(error, i + 1, "'changetype: modify' expected");
            continue;
        }
        if (strcmp(l, "-") == 0) {
            if (op == NONE)
                ok = modparse_fail(error, i + 1, "'-' outside a modification");
            else if (!cur_had_value && (op == REPLACE || op == DELETE))
                msm_entry_remove(entry, cur, NULL, 0);
            op = NONE;
            g_clear_pointer(&cur, g_free);
            continue;
        }
        const char *colon = strchr(l, ':');
        if (colon == NULL) {
            ok = modparse_fail(error, i + 1, "'name: value' expected");
            continue;
        }
        char *name = g_strndup(l, colon - l);
        const char *v = colon + 1;
        if (op == NONE) {
            while (*v == ' ')
                v++;
            if (strcmp(name, "replace") == 0)
                op = REPLACE;
            else if (strcmp(name, "add") == 0)
                op = ADD;
            else if (strcmp(name, "delete") == 0)
                op = DELETE;
            else
                ok = modparse_fail(error, i + 1, "replace:, add: or delete: expected");
            cur = g_strdup(v);
            cur_had_value = FALSE;
            if (op == REPLACE)
                msm_entry_remove(entry, cur, NULL, 0);
        } else {
            if (g_ascii_strcasecmp(name, cur) != 0) {
                ok = modparse_fail(error, i + 1, "value of another attribute inside a modification");
                g_free(name);
                continue;
            }
            guchar *data;
            gsize len;
            if (*v == ':') {
                v++;
                while (*v == ' ')
                    v++;
                data = g_base64_decode(v, &len);
            } else {
                while (*v == ' ')
                    v++;
                data = (guchar *)g_strdup(v);
                len = strlen(v);
            }
            if (op == DELETE)
                msm_entry_remove(entry, cur, data, len);
            else
                msm_entry_add(entry, cur, data, len);
            g_free(data);
            cur_had_value = TRUE;
        }
        g_free(name);
    }
    if (ok && op != NONE)
        ok = modparse_fail(error, lines->len, "missing '-' after the last modification");
    g_free(cur);
    g_ptr_array_unref(lines);
    return ok;
}

/* ---- offline mode ---- */

/* Buckets: temporary files holding records of one (phase, depth); read back in
 * order. Only one record is ever in memory. */
#define MAX_DEPTH 64

typedef struct {
    char *dir;
    FILE *files[2][MAX_DEPTH + 1];
} Spill;

static FILE *
spill_file(Spill *s, int phase, guint depth, GError **error)
{
    if (depth > MAX_DEPTH)
        depth = MAX_DEPTH;
    if (s->files[phase][depth] == NULL) {
        char *path = g_strdup_printf("%s/%d-%02u", s->dir, phase, depth);
        s->files[phase][depth] = fopen(path, "w+");
        if (s->files[phase][depth] == NULL) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create the spill file %s: %s", path,
                        g_strerror(errno));
            g_free(path);
            return NULL;
        }
        unlink(path); /* removed when closed */
        g_free(path);
    }
    return s->files[phase][depth];
}

static gboolean
spill_copy(Spill *s, int phase, FILE *out, const char *name, GError **error)
{
    char buf[65536];
    for (guint d = 0; d <= MAX_DEPTH; d++) {
        FILE *f = s->files[phase][d];
        if (f == NULL)
            continue;
        if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "spill file for %s: %s", name, g_strerror(errno));
            return FALSE;
        }
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            if (fwrite(buf, 1, n, out) != n) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", name, g_strerror(errno));
                return FALSE;
            }
    }
    return TRUE;
}

static void
spill_close(Spill *s)
{
    for (int p = 0; p < 2; p++)
        for (guint d = 0; d <= MAX_DEPTH; d++)
            if (s->files[p][d])
                fclose(s->files[p][d]);
    if (s->dir)
        g_rmdir(s->dir);
    g_free(s->dir);
}

static FILE *
open_out(const char *path, const char *title, GError **error)
{
    if (path == NULL)
        return NULL;
    int fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create %s: %s", path, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    fprintf(f, "version: 1\n# %s (msmigrate directory offline; docs/formats/directory-mapping.md)\n", title);
    return f;
}

static gboolean
close_out(FILE *f, const char *path, GError **error)
{
    if (f == NULL)
        return TRUE;
    gboolean ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    ok = (fclose(f) == 0) && ok;
    if (!ok && error && *error == NULL)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path, g_strerror(e));
    return ok;
}

gboolean
msm_dirmig_offline(const MsmDirmigOptions *opt, const char *in_ldif, const char *out_ldif,
                   const char *audit_ldif, const char *undo_ldif, const char *reject_ldif,
                   MsmDirmigStats *stats_r, GError **error)
{
    g_return_val_if_fail(opt != NULL && in_ldif != NULL && out_ldif != NULL, FALSE);
    MsmDirmigStats st = { 0 };
    Spill out_s = { 0 }, audit_s = { 0 }, undo_s = { 0 };
    FILE *out = NULL, *audit = NULL, *undo = NULL, *rej = NULL;
    gboolean ok = FALSE;
    /* commdirmig: a first pass collects the DC-tree nodes (one small entry per
     * hosted domain) whose mail attributes move to the organization nodes */
    MsmDirmigOptions local = *opt;
    if (opt->from == MSM_DIRMIG_FROM_SCHEMA1 && opt->dc_nodes == NULL) {
        MsmLdifReader *pre = msm_ldif_reader_open(in_ldif, error);
        if (pre == NULL)
            return FALSE;
        for (;;) {
            MsmEntry *e = NULL;
            if (!msm_ldif_reader_next(pre, &e, error)) {
                msm_ldif_reader_free(pre);
                if (local.dc_nodes)
                    g_hash_table_unref(local.dc_nodes);
                return FALSE;
            }
            if (e == NULL)
                break;
            if (msm_entry_get(e, "inetDomainBaseDN") && !msm_entry_has_class(e, "organization"))
                msm_dirmap_note_dc_node(&local, e);
            msm_entry_free(e);
        }
        msm_ldif_reader_free(pre);
    }
    /* the table built here is ours to free; one passed in is the caller's */
    GHashTable *own_dc = local.dc_nodes != opt->dc_nodes ? local.dc_nodes : NULL;
    opt = &local;
    MsmLdifReader *r = msm_ldif_reader_open(in_ldif, error);
    if (r == NULL) {
        if (own_dc)
            g_hash_table_unref(own_dc);
        return FALSE;
    }
    char *tmpl = g_strdup_printf("%s.spill-XXXXXX", out_ldif);
    char *base = g_mkdtemp(tmpl);
    if (base == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot create a spill directory next to %s: %s",
                    out_ldif, g_strerror(errno));
        g_free(tmpl);
        msm_ldif_reader_free(r);
        if (own_dc)
            g_hash_table_unref(own_dc);
        return FALSE;
    }
    out_s.dir = g_build_filename(base, "out", NULL);
    audit_s.dir = g_build_filename(base, "audit", NULL);
    undo_s.dir = g_build_filename(base, "undo", NULL);
    g_mkdir(out_s.dir, 0700);
    g_mkdir(audit_s.dir, 0700);
    g_mkdir(undo_s.dir, 0700);
    if ((out = open_out(out_ldif, "migrated entries", error)) == NULL)
        goto done;
    if (audit_ldif && (audit = open_out(audit_ldif, "audit: the modifications, domains first", error)) == NULL)
        goto done;
    if (undo_ldif && (undo = open_out(undo_ldif, "undo: restores every changed entry exactly", error)) == NULL)
        goto done;
    if (reject_ldif && (rej = open_out(reject_ldif, "rejected entries, each after its reason", error)) == NULL)
        goto done;
    for (;;) {
        MsmEntry *e = NULL;
        if (!msm_ldif_reader_next(r, &e, error))
            goto done;
        if (e == NULL)
            break;
        st.read++;
        guint depth = msm_dn_depth(msm_entry_dn(e));
        MsmEntry *mapped = msm_entry_copy(e);
        char *reason = NULL;
        GError *merr = NULL;
        MsmDirentKind kind = msm_dirmap_classify(opt, e);
        MsmResult res = msm_dirmap_entry(opt, mapped, &reason, &merr);
        const MsmEntry *keep = mapped;
        if (res == MSM_RESULT_ERROR || res == MSM_RESULT_STOP) {
            st.rejected++;
            if (rej) {
                char *rec = msm_ldif_entry_to_string(e, NULL);
                char **ls = g_strsplit(merr ? merr->message : "rejected", "\n", -1);
                fputc('\n', rej);
                for (guint i = 0; ls[i]; i++)
                    fprintf(rej, "# %s (line %" G_GUINT64_FORMAT " of %s)\n", ls[i],
                            msm_ldif_reader_entry_line(r), in_ldif);
                g_strfreev(ls);
                fprintf(rej, "%s\n", rec ? rec : "");
                g_free(rec);
            }
            keep = e;
        } else if (res == MSM_RESULT_SKIP) {
            st.skipped++;
            keep = e;
        }
        g_clear_error(&merr);
        g_free(reason);
        char *rec = msm_ldif_entry_to_string(keep, error);
        FILE *of = rec ? spill_file(&out_s, 0, depth, error) : NULL;
        if (of == NULL) {
            g_free(rec);
            msm_entry_free(mapped);
            msm_entry_free(e);
            goto done;
        }
        fprintf(of, "\n%s", rec);
        g_free(rec);
        if (res == MSM_RESULT_CONTINUE) {
            char *fwd = msm_entry_diff_ldif(e, mapped);
            if (fwd == NULL)
                st.unchanged++;
            else {
                st.changed++;
                char *back = msm_entry_diff_ldif(mapped, e);
                int phase = kind == MSM_DIRENT_DOMAIN ? 0 : 1;
                FILE *af = spill_file(&audit_s, phase, depth, error);
                FILE *uf = af ? spill_file(&undo_s, phase, depth, error) : NULL;
                if (uf == NULL) {
                    g_free(fwd);
                    g_free(back);
                    msm_entry_free(mapped);
                    msm_entry_free(e);
                    goto done;
                }
                fprintf(af, "\n%s", fwd);
                fprintf(uf, "\n%s", back);
                g_free(back);
                g_free(fwd);
            }
        }
        msm_entry_free(mapped);
        msm_entry_free(e);
    }
    /* out: parents before children (by depth); audit/undo: domains first */
    if (!spill_copy(&out_s, 0, out, out_ldif, error))
        goto done;
    for (int phase = 0; phase < 2; phase++) {
        if (audit && !spill_copy(&audit_s, phase, audit, audit_ldif, error))
            goto done;
        if (undo && !spill_copy(&undo_s, phase, undo, undo_ldif, error))
            goto done;
    }
    ok = TRUE;
done:
    ok = close_out(out, out_ldif, ok ? error : NULL) && ok;
    ok = close_out(audit, audit_ldif, ok ? error : NULL) && ok;
    ok = close_out(undo, undo_ldif, ok ? error : NULL) && ok;
    ok = close_out(rej, reject_ldif, ok ? error : NULL) && ok;
    spill_close(&out_s);
    spill_close(&audit_s);
    spill_close(&undo_s);
    g_rmdir(base);
    g_free(tmpl);
    msm_ldif_reader_free(r);
    if (own_dc)
        g_hash_table_unref(own_dc);
    if (stats_r)
        *stats_r = st;
    return ok;
}

/* ---- delegated-admin ACIs (imsdaaci, modelled) ---- */

static gboolean
dn_ok(const char *dn)
{
    if (dn == NULL || *dn == '\0' || strchr(dn, '"') || strchr(dn, '\n') || strchr(dn, '(') || strchr(dn, ')'))
        return FALSE;
    GPtrArray *r = dn_split(dn);
    gboolean ok = r->len > 0;
    for (guint i = 0; i < r->len && ok; i++) {
        const char *eq = strchr(r->pdata[i], '=');
        ok = eq != NULL && eq != r->pdata[i] && eq[1] != '\0';
    }
    g_ptr_array_unref(r);
    return ok;
}

char *
msm_dirmig_aci_ldif(const char *org_root, const char *domain, GError **error)
{
    if (!dn_ok(org_root)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "organization root '%s' is not a DN; give the organization tree root, e.g. o=isp",
                    org_root ? org_root : "");
        return NULL;
    }
    gboolean dom_ok = domain != NULL && *domain != '\0' && strchr(domain, '.') != NULL;
    for (const char *p = domain; dom_ok && *p; p++)
        dom_ok = g_ascii_isalnum(*p) || *p == '.' || *p == '-';
    if (!dom_ok) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "domain '%s' is not a DNS domain name; give e.g. siroe.com", domain ? domain : "");
        return NULL;
    }
    char *dom = g_ascii_strdown(domain, -1);
    char *org = g_strdup_printf("o=%s,%s", dom, org_root);
    char *sag = g_strdup_printf("cn=Service Administrators,ou=Groups,%s", org_root);
    char *dag = g_strdup_printf("cn=Domain Administrators,ou=Groups,%s", org);
    GString *o = g_string_new("version: 1\n");
    g_string_append_printf(o, "# delegated-administrator groups and ACIs for %s (imsdaaci model; "
                              "docs/formats/directory-aci.md)\n", dom);
    /* the container of the service group, then the two groups (ldapmodify -c
     * goes on when one exists already) */
    g_string_append_printf(o, "\ndn: ou=Groups,%s\nchangetype: add\nobjectClass: top\n"
                              "objectClass: organizationalUnit\nou: Groups\n", org_root);
    g_string_append_printf(o, "\ndn: %s\nchangetype: add\nobjectClass: top\nobjectClass: groupOfUniqueNames\n"
                              "cn: Service Administrators\ndescription: Delegated Administrator Service "
                              "Administrator Group\nuniqueMember: %s\n", sag, sag);
    g_string_append_printf(o, "\ndn: %s\nchangetype: add\nobjectClass: top\nobjectClass: groupOfUniqueNames\n"
                              "cn: Domain Administrators\ndescription: Delegated Administrator Domain "
                              "Administrator Group for %s\nuniqueMember: %s\n", dag, dom, dag);
    /* ACIs on the organization node */
    g_string_append_printf(o, "\ndn: %s\nchangetype: modify\nadd: aci\n", org);
    g_string_append_printf(o, "aci: (target=\"ldap:///%s\")(targetattr=\"*\")(version 3.0; acl \"Service "
                              "administrators manage %s\"; allow (all) groupdn=\"ldap:///%s\";)\n",
                           org, dom, sag);
    g_string_append_printf(o, "aci: (target=\"ldap:///ou=People,%s\")(targetattr=\"*\")(version 3.0; acl "
                              "\"Domain administrators manage users of %s\"; allow (all) groupdn=\"ldap:///%s\";)\n",
                           org, dom, dag);
    g_string_append_printf(o, "aci: (target=\"ldap:///ou=Groups,%s\")(targetattr=\"*\")(version 3.0; acl "
                              "\"Domain administrators manage groups of %s\"; allow (all) groupdn=\"ldap:///%s\";)\n",
                           org, dom, dag);
    g_string_append_printf(o, "aci: (targetattr=\"userPassword || mailForwardingAddress || mailDeliveryOption || "
                              "mailAutoReplyMode || mailAutoReplyText || vacationStartDate || vacationEndDate\")"
                              "(version 3.0; acl \"Users change their own mail settings in %s\"; allow (write) "
                              "userdn=\"ldap:///self\";)\n", dom);
    g_string_append_printf(o, "aci: (targetattr=\"userPassword || mailMsgQuota || mailQuota || inetUserStatus || "
                              "mailUserStatus || mailHost || adminRole\")(version 3.0; acl \"Domain administrators "
                              "may not raise their own rights in %s\"; deny (write) userdn=\"ldap:///self\" and "
                              "groupdn=\"ldap:///%s\";)\n", dom, dag);
    g_string_append(o, "-\n");
    g_free(dom);
    g_free(org);
    g_free(sag);
    g_free(dag);
    return g_string_free(o, FALSE);
}
