/*
 * NAME
 *	config.c - sims40's configuration migrator (sims-4.0 -> ims-5.2)
 * SUMMARY
 *	The SIMS MTA files are merged into the iMS 5.2 templates after the
 *	renames of facts §2.3 ([QUEUE=] -> [POOL=], udp_port -> tcp_port,
 *	channel sims-ms -> ims-ms) with the paths moved from /opt/SUNWmail,
 *	/etc/opt/SUNWmail and /var/opt/SUNWmail into server-root/msg-<instance>.
 *	sims.cnf, simsr.cnf and ims/ims.cnf have no 5.2 counterpart: their
 *	parameters become configutil parameters of the 5.2 msg.conf that
 *	finish() builds from the 5.2 template, with the user/group directory
 *	settings and the multi-schema settings of seed 003.
 *	docs/config-hops.md#sims40.
 * DIAGNOSTICS
 *	Each conversion is a "hop" line of msg.conf.CHANGES. The directory
 *	bind password is never written (seed 003 sets local.ugldapbindcred by
 *	hand; the CHANGES file says so).
 */
#include "config.h"

#include "../common/hopconf.h"
#include "sims40.h"

#include <string.h>

extern const HcTemplate sims40_templates[];

#define NB "(?<![A-Za-z0-9_.-])"
#define S5 "/usr/iplanet/server5"
static const HcPathRule paths_40_52[] = {
    {NB "/etc/opt/SUNWmail/imta", S5 "/msg-@INSTANCE@/imta/config"},
    {NB "/var/opt/SUNWmail/imta/log", S5 "/msg-@INSTANCE@/log/imta"},
    {NB "/var/opt/SUNWmail/imta/db", S5 "/msg-@INSTANCE@/imta/db"},
    {NB "/var/opt/SUNWmail/imta/queue", S5 "/msg-@INSTANCE@/imta/queue"},
    {NB "/opt/SUNWmail/(?:imta|ims)/lib", S5 "/bin/msg/imta/lib"},
    {"^/opt/SUNWmail/imta(/?)$", S5 "/msg-@INSTANCE@\\1"},
    {NULL, NULL},
};

static const HcLineRule lines_40_52[] = {
    {"job_controller.cnf", "^(\\s*)\\[(\\s*)(?i:QUEUE)(\\s*)=", "\\1[\\2POOL\\3=",
     "[QUEUE=] sections became [POOL=] sections (facts 2.3)"},
    {"job_controller.cnf", "^(\\s*)(?i:udp_port)(\\s*)=", "\\1tcp_port\\2=",
     "udp_port became tcp_port: the iMS job controller listens on TCP (facts 2.3)"},
    {"imta.cnf", "(?<![A-Za-z0-9_.-])sims-ms(?![A-Za-z0-9_.])", "ims-ms",
     "channel sims-ms became ims-ms (facts 2.3)"},
    {"job_controller.cnf", "(?<![A-Za-z0-9_.-])sims-ms(?![A-Za-z0-9_.])", "ims-ms",
     "channel sims-ms became ims-ms (facts 2.3)"},
    {"mappings", "(?<![A-Za-z0-9_.-])sims-ms(?![A-Za-z0-9_.])", "ims-ms",
     "channel sims-ms became ims-ms (facts 2.3)"},
    {"conversions", "(?<![A-Za-z0-9_.-])sims-ms(?![A-Za-z0-9_.])", "ims-ms",
     "channel sims-ms became ims-ms (facts 2.3)"},
    {"option.dat", "(?<![A-Za-z0-9_.-])sims-ms(?![A-Za-z0-9_.])", "ims-ms",
     "channel sims-ms became ims-ms (facts 2.3)"},
    {"aliases", "(?<![A-Za-z0-9_.-])sims-ms(?![A-Za-z0-9_.])", "ims-ms",
     "channel sims-ms became ims-ms (facts 2.3)"},
    {NULL, NULL, NULL, NULL},
};

static const MsmMergeEntity obsolete_40_52[] = {
    {"", "IMTA_ADMIN_PROPERTY",
     "the SIMS admin server's properties file: iMS 5.2 has no SIMS "
     "admin server (model)"},
    {"", "IMTA_AUTHDL_DATABASE",
     "SIMS authorised distribution list database: not in iMS 5.2 "
     "(model)"},
    {NULL, NULL, NULL},
};

/* sims.cnf, simsr.cnf and ims/ims.cnf: their "key value" lines go into the state. */
static gboolean
sims_custom(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf, MsmResult *result_r,
            GError **error)
{
    (void)ctx;
    (void)hop;
    const char *slash = strrchr(cf->relpath, '/');
    const char *base = slash ? slash + 1 : cf->relpath;
    if (strcmp(base, "sims.cnf") != 0 && strcmp(base, "simsr.cnf") != 0 &&
        strcmp(base, "ims.cnf") != 0)
        return FALSE;
    MsmConfDoc *doc = hc_parse(cf->relpath, "sims.cnf", cf->content, error);
    if (doc == NULL)
        return FALSE;
    GPtrArray *entries = msm_confdoc_entries(doc);
    for (guint i = 0; i < entries->len; i++) {
        const MsmConfNode *n = entries->pdata[i];
        char *k = g_strconcat("sims:", n->key, NULL);
        if (hc_get(st, k) == NULL) { /* the first of repeated keys, as SIMS reads them */
            hc_set(st, k, n->value ? n->value : "");
            /* the site's own names win over what init_vars guessed (templates use them) */
            if (n->value && *n->value && strcmp(n->key, "sims-hostname") == 0)
                hc_set(st, "@HOSTNAME", n->value);
            if (n->value && *n->value && strcmp(n->key, "sims-default-domain") == 0)
                hc_set(st, "@DEFAULTDOMAIN", n->value);
        }
        g_free(k);
    }
    hc_summary(st,
               "%s: %u parameters converted into msg.conf; carried as it is (iMS 5.2 does "
               "not read it)",
               cf->relpath, entries->len);
    g_ptr_array_unref(entries);
    msm_confdoc_free(doc);
    *result_r = MSM_RESULT_CONTINUE;
    return TRUE;
}

/* A SIMS parameter, or NULL. */
static const char *
sims(HcState *st, const char *key)
{
    char *k = g_strconcat("sims:", key, NULL);
    const char *v = hc_get(st, k);
    g_free(k);
    return v && *v ? v : NULL;
}

/* The number after name= in an ims-bind-address value ("*(pop3=110:imap=143)"). */
static char *
bind_port(const char *bind, const char *name)
{
    if (bind == NULL)
        return NULL;
    char *pat = g_strconcat(name, "=([0-9]+)", NULL);
    GRegex *re = g_regex_new(pat, 0, 0, NULL);
    GMatchInfo *mi = NULL;
    char *port = NULL;
    if (re && g_regex_match(re, bind, 0, &mi))
        port = g_match_info_fetch(mi, 1);
    g_match_info_free(mi);
    if (re)
        g_regex_unref(re);
    g_free(pat);
    return port;
}

/* "dc=siroe,dc=com,<base>" for domain siroe.com. (transfer full) */
static char *
dc_org(const char *domain, const char *base)
{
    char **labels = g_strsplit(domain, ".", -1);
    GString *s = g_string_new(NULL);
    for (guint i = 0; labels[i]; i++)
        if (*labels[i])
            g_string_append_printf(s, "%sdc=%s", s->len ? "," : "", labels[i]);
    g_strfreev(labels);
    if (base && *base)
        g_string_append_printf(s, ",%s", base);
    return g_string_free(s, FALSE);
}

/* Builds the 5.2 msg.conf from the template and the SIMS parameters (seed 003). */
static gboolean
sims_finish(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error)
{
    GBytes *tb = hc_template(hop, st, hop->to, "msg.conf");
    MsmConfDoc *doc = tb ? hc_parse("msg.conf", NULL, tb, error) : NULL;
    if (tb)
        g_bytes_unref(tb);
    if (doc == NULL) {
        if (error && *error == NULL)
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND, "no 5.2 msg.conf template");
        return FALSE;
    }
    GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
    const char *host = sims(st, "sims-hostname");
    const char *domain = sims(st, "sims-default-domain");
    const char *ldap = sims(st, "sims-ldap-server");
    if (ldap == NULL)
        ldap = sims(st, "ims-ldap-server");
    const char *basedn = msm_ctx_option(ctx, "directory", "base_dn");
    if (basedn == NULL)
        basedn = sims(st, "sims-basedn");
    if (basedn == NULL)
        basedn = sims(st, "ims-basedn");
    char *ldaphost = NULL, *ldapport = NULL;
    if (ldap) {
        const char *colon = strrchr(ldap, ':');
        ldaphost = colon ? g_strndup(ldap, (gsize)(colon - ldap)) : g_strdup(ldap);
        ldapport = colon ? g_strdup(colon + 1) : NULL;
    }
    const char *deforg_opt = msm_ctx_option(ctx, "directory", "deforgdn");
    char *deforg = deforg_opt ? g_strdup(deforg_opt)
                   : domain   ? dc_org(domain, basedn ? basedn : "o=internet")
                              : NULL;
    const char *binddn = msm_ctx_option(ctx, "directory", "bind_dn");
    char *bind = sims(st, "ims-bind-address") ? g_strdup(sims(st, "ims-bind-address")) : NULL;
    char *pop = bind_port(bind, "pop3"), *imap = bind_port(bind, "imap");
    const char *sep = sims(st, "ims-login-separator");
    char *instdir = g_strdup_printf("/usr/iplanet/server5/msg-%s", hc_var(st, "INSTANCE"));
    char *part = g_strconcat(instdir, "/store/partition/primary", NULL);
    const char *why_dir = "seed 003: point iMS at the user/group directory SIMS used";
    struct {
        const char *key;
        const char *value;
        const char *why;
    } set[] = {
        {"local.hostname", host, "sims.cnf sims-hostname"},
        {"local.instancedir", instdir, "the 5.2 instance directory (server-root/msg-<instance>)"},
        {"service.defaultdomain", domain, "sims.cnf sims-default-domain"},
        {"local.ugldaphost", ldaphost, why_dir},
        {"local.ugldapport", ldapport, why_dir},
        {"local.ugldapbasedn", basedn, why_dir},
        {"local.ugldapbinddn", binddn, why_dir},
        {"local.ugldapdeforgdn", deforg,
         "seed 003: the default organization DN (dc tree of the "
         "default domain below the SIMS suffix)"},
        {"service.dcroot", basedn, "SIMS keeps its DC tree at the suffix (facts 4.1)"},
        {"service.pop.port", pop, "ims.cnf ims-bind-address"},
        {"service.imap.port", imap, "ims.cnf ims-bind-address"},
        {"service.loginseparator", sep, "seed 003: keep the login separator SIMS used"},
        {"store.partition.primary.path", part, "the 5.2 store (imsrestore writes it)"},
        {"local.imta.schematag", "sims40,ims50", "seed 003: multi-schema support for dirsync"},
        {"local.imta.ugfilter",
         "(|(objectClass=inetLocalMailRecipient)(|(objectClass=inetMailUser)"
         "(objectClass=inetMailGroup)))",
         "seed 003: multi-schema support for dirsync"},
        {"local.imta.sims_migrate", "True", "seed 003: multi-schema support for dirsync"},
    };
    gboolean ok = TRUE;
    for (gsize i = 0; ok && i < G_N_ELEMENTS(set); i++)
        if (set[i].value)
            ok = hc_doc_set(doc, set[i].key, set[i].value, set[i].why, notes, error);
    hc_note(notes, "todo key=\"local.ugldapbindcred\" reason=\"seed 003: set the directory "
                   "password with configutil; msmigrate never writes passwords\"");
    hc_note(notes, "todo key=\"local.imta.schematag\" reason=\"seed 003: once every directory "
                   "entry is upgraded, clear local.imta.schematag and local.imta.ugfilter\"");
    if (ok)
        ok = hc_emit_built(ctx, hop, st, "msg.conf", doc, notes, 0600, error);
    g_ptr_array_unref(notes);
    msm_confdoc_free(doc);
    g_free(ldaphost);
    g_free(ldapport);
    g_free(deforg);
    g_free(bind);
    g_free(pop);
    g_free(imap);
    g_free(instdir);
    g_free(part);
    return ok;
}

static const HcHop hop_40_52 = {
    .from = "sims-4.0",
    .to = "ims-5.2",
    .templates = sims40_templates,
    .line_rules = lines_40_52,
    .path_rules = paths_40_52,
    .obsolete = obsolete_40_52,
    .custom = sims_custom,
    .finish = sims_finish,
};

HC_MIGRATOR(sims40_config_40_52, hop_40_52);
