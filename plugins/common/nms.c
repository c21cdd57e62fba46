/*
 * NAME
 *	nms.c - the NMS specifics shared by nms3x and nms4x
 * SUMMARY
 *	Implements nms.h. State keys: "nms:<key>" for nsmsg.conf parameters,
 *	"domains" for localdomains ("\n"-separated).
 * DIAGNOSTICS
 *	Every conversion is a "hop" line of the CHANGES file it concerns.
 */
#include "config.h"

#include "nms.h"

#include <string.h>

const char *const nms_extra_formats[] = {"nsmsg.conf", "configutil", NULL};

/* Records localdomains' domains in the state. */
static void
capture_domains(HcState *st, MsmConfigFile *cf)
{
    gsize len;
    const char *data = g_bytes_get_data(cf->content, &len);
    char *text = g_strndup(data ? data : "", len);
    char **lines = g_strsplit(text, "\n", -1);
    GString *d = g_string_new(NULL);
    for (guint i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        if (*l && *l != '#' && *l != '!')
            g_string_append_printf(d, "%s\n", l);
    }
    hc_set(st, "domains", d->str);
    g_string_free(d, TRUE);
    g_strfreev(lines);
    g_free(text);
}

gboolean
nms41_custom(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf, MsmResult *result_r,
             GError **error)
{
    (void)ctx;
    (void)hop;
    (void)result_r;
    (void)error;
    if (strcmp(cf->relpath, "localdomains") == 0)
        capture_domains(st, cf);
    return FALSE; /* merged (nsmsg.conf) or carried (localdomains) as usual */
}

gboolean
nms41_fixup(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath, MsmConfDoc *merged,
            GPtrArray *notes, GError **error)
{
    (void)ctx;
    if (strcmp(relpath, "nsmsg.conf") != 0)
        return TRUE;
    const MsmConfNode *store = msm_confdoc_find(merged, "", "nsmsg.store");
    if (store && store->value &&
        !hc_doc_set(merged, "nsmsg.partition.primary", store->value,
                    "the 4.1 primary partition is the 3.x/4.0 store (model)", notes, error))
        return FALSE;
    const char *domains = hc_get(st, "domains");
    if (domains && *domains) {
        char *first = g_strndup(domains, strcspn(domains, "\n"));
        gboolean ok = hc_doc_set(merged, "nsmsg.defaultdomain", first,
                                 "the first local domain (localdomains)", notes, error);
        g_free(first);
        if (!ok)
            return FALSE;
    }
    (void)hop;
    return TRUE;
}

gboolean
nms52_custom(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf, MsmResult *result_r,
             GError **error)
{
    (void)ctx;
    (void)hop;
    if (strcmp(cf->relpath, "localdomains") == 0) {
        capture_domains(st, cf);
        hc_summary(st, "localdomains: converted into rewrite rules of imta.cnf; carried as it is");
        *result_r = MSM_RESULT_CONTINUE;
        return TRUE;
    }
    if (strcmp(cf->relpath, "nsmsg.conf") != 0)
        return FALSE;
    MsmConfDoc *doc = hc_parse(cf->relpath, "configutil", cf->content, error);
    if (doc == NULL)
        return FALSE;
    GPtrArray *entries = msm_confdoc_entries(doc);
    GString *parts = g_string_new(NULL);
    for (guint i = 0; i < entries->len; i++) {
        const MsmConfNode *n = entries->pdata[i];
        char *k = g_strconcat("nms:", n->key, NULL);
        hc_set(st, k, n->value ? n->value : "");
        g_free(k);
        if (g_str_has_prefix(n->key, "nsmsg.partition."))
            g_string_append_printf(parts, "%s\n", n->key + strlen("nsmsg.partition."));
    }
    hc_set(st, "partitions", parts->str);
    /* the instance's own names win over what init_vars guessed (templates use them) */
    const MsmConfNode *h = msm_confdoc_find(doc, "", "nsmsg.hostname");
    if (h && h->value && *h->value)
        hc_set(st, "@HOSTNAME", h->value);
    const MsmConfNode *d = msm_confdoc_find(doc, "", "nsmsg.defaultdomain");
    if (d && d->value && *d->value)
        hc_set(st, "@DEFAULTDOMAIN", d->value);
    g_string_free(parts, TRUE);
    hc_summary(st, "nsmsg.conf: %u parameters converted into msg.conf; carried as it is",
               entries->len);
    g_ptr_array_unref(entries);
    msm_confdoc_free(doc);
    *result_r = MSM_RESULT_CONTINUE;
    return TRUE;
}

static const char *
nms(HcState *st, const char *key)
{
    char *k = g_strconcat("nms:", key, NULL);
    const char *v = hc_get(st, k);
    g_free(k);
    return v && *v ? v : NULL;
}

/* The parts of an LDAP URL ldap://host[:port]/base. */
static void
split_url(const char *url, char **host_r, char **port_r, char **base_r)
{
    *host_r = *port_r = *base_r = NULL;
    if (url == NULL || !g_str_has_prefix(url, "ldap://"))
        return;
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    char *hp = slash ? g_strndup(h, (gsize)(slash - h)) : g_strdup(h);
    char *colon = strrchr(hp, ':');
    if (colon) {
        *port_r = g_strdup(colon + 1);
        *colon = '\0';
    }
    *host_r = hp;
    if (slash && slash[1])
        *base_r = g_uri_unescape_string(slash + 1, NULL);
}

/* msg.conf of 5.2 from the template and nsmsg.conf (seed 003). */
static gboolean
build_msg_conf(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error)
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
    char *uhost, *uport, *ubase;
    split_url(nms(st, "nsmsg.ugdirectory"), &uhost, &uport, &ubase);
    const char *basedn = msm_ctx_option(ctx, "directory", "base_dn");
    if (basedn == NULL)
        basedn = ubase;
    const char *deforg = msm_ctx_option(ctx, "directory", "deforgdn");
    if (deforg == NULL)
        deforg = basedn;
    const char *domains = hc_get(st, "domains");
    char *first = domains && *domains ? g_strndup(domains, strcspn(domains, "\n")) : NULL;
    const char *domain = nms(st, "nsmsg.defaultdomain") ? nms(st, "nsmsg.defaultdomain") : first;
    char *instdir = g_strdup_printf("/usr/iplanet/server5/msg-%s", hc_var(st, "INSTANCE"));
    const char *why_dir = "seed 003: iMS uses the user/group directory NMS used";
    struct {
        const char *key;
        const char *value;
        const char *why;
    } set[] = {
        {"local.hostname", nms(st, "nsmsg.hostname"), "nsmsg.conf nsmsg.hostname"},
        {"local.instancedir", instdir, "the 5.2 instance directory (server-root/msg-<instance>)"},
        {"local.ugldaphost", uhost, why_dir},
        {"local.ugldapport", uport, why_dir},
        {"local.ugldapbasedn", basedn, why_dir},
        {"local.ugldapbinddn", msm_ctx_option(ctx, "directory", "bind_dn"), why_dir},
        {"local.ugldapdeforgdn", deforg,
         "seed 003: set local.ugldapdeforgdn to the NMS "
         "organization (o=siroe.com)"},
        {"service.defaultdomain", domain, "nsmsg.defaultdomain, else the first local domain"},
        {"service.dcroot", "o=internet", "Schema 1 DC tree root (facts 1.3 default)"},
        {"service.loginseparator", nms(st, "nsmsg.loginseparator"), "nsmsg.loginseparator"},
        {"local.service.pab.migrate415", "1",
         "seed 003: migrate the NMS 4.15 personal address "
         "books"},
        {"local.imta.schematag", "ims50,nms41", "seed 003: multi-schema support for dirsync"},
        {"local.imta.ugfilter",
         "(|(objectClass=inetLocalMailRecipient)(|(objectClass=mailRecipient)"
         "(objectclass=mailGroup)))",
         "seed 003: multi-schema support for dirsync"},
    };
    gboolean ok = TRUE;
    for (gsize i = 0; ok && i < G_N_ELEMENTS(set); i++)
        if (set[i].value)
            ok = hc_doc_set(doc, set[i].key, set[i].value, set[i].why, notes, error);
    /* Partitions: nsmsg.partition.<nick> (4.1), else the whole store as primary. */
    const char *parts = hc_get(st, "partitions");
    char **nicks = g_strsplit(parts ? parts : "", "\n", -1);
    guint nparts = 0;
    for (guint i = 0; ok && nicks[i]; i++) {
        if (*nicks[i] == '\0')
            continue;
        nparts++;
        char *lower = g_ascii_strdown(nicks[i], -1);
        char *key = g_strdup_printf("store.partition.%s.path", lower);
        char *path = g_strdup_printf("%s/store/partition/%s", instdir, lower);
        char *why =
            g_strdup_printf("NMS partition %s (nicknames are lowercase, facts 1.3)", nicks[i]);
        ok = hc_doc_set(doc, key, path, why, notes, error);
        g_free(lower);
        g_free(key);
        g_free(path);
        g_free(why);
    }
    g_strfreev(nicks);
    if (ok && nparts == 0) {
        char *path = g_strdup_printf("%s/store/partition/primary", instdir);
        ok = hc_doc_set(doc, "store.partition.primary.path", path,
                        "the NMS store becomes the 5.2 primary partition", notes, error);
        g_free(path);
    }
    hc_note(notes, "todo key=\"local.ugldapbindcred\" reason=\"set the directory password with "
                   "configutil; msmigrate never writes passwords\"");
    if (ok)
        ok = hc_emit_built(ctx, hop, st, "msg.conf", doc, notes, 0600, error);
    g_ptr_array_unref(notes);
    msm_confdoc_free(doc);
    g_free(uhost);
    g_free(uport);
    g_free(ubase);
    g_free(first);
    g_free(instdir);
    return ok;
}

/* imta.cnf of 5.2: the template with a rewrite rule per local domain (routing). */
static gboolean
build_imta_cnf(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error)
{
    GBytes *tb = hc_template(hop, st, hop->to, "imta.cnf");
    if (tb == NULL)
        return TRUE;
    MsmConfDoc *doc = hc_parse("imta.cnf", NULL, tb, error);
    g_bytes_unref(tb);
    if (doc == NULL)
        return FALSE;
    GPtrArray *notes = g_ptr_array_new_with_free_func(g_free);
    const char *domains = hc_get(st, "domains");
    char **list = g_strsplit(domains ? domains : "", "\n", -1);
    char *rule = g_strdup_printf("$U%%$D@%s", hc_var(st, "HOSTNAME"));
    gboolean ok = TRUE;
    for (guint i = 0; ok && list[i]; i++) {
        if (*list[i] == '\0' || msm_confdoc_find(doc, "rewrite", list[i]))
            continue;
        ok = msm_confdoc_set(doc, "rewrite", list[i], rule, error);
        if (ok)
            hc_note(notes,
                    "set key=\"%s\" merged=\"%s\" reason=\"local domain of NMS "
                    "(localdomains): delivered on this host\"",
                    list[i], rule);
    }
    if (ok)
        ok = hc_emit_built(ctx, hop, st, "imta.cnf", doc, notes, 0644, error);
    g_free(rule);
    g_strfreev(list);
    g_ptr_array_unref(notes);
    msm_confdoc_free(doc);
    return ok;
}

gboolean
nms52_finish(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error)
{
    return build_msg_conf(ctx, hop, st, error) && build_imta_cnf(ctx, hop, st, error);
}
