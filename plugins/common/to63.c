/*
 * NAME
 *	to63.c - the 6.x -> 6.3 specifics shared by ms60 and ms62 (seed 001)
 * SUMMARY
 *	Implements to63.h. local.conf (the local copy of what 6.0-6.2 keep in
 *	o=comms-config) is read into the hop's state and carried as it is;
 *	msg.conf's fixup then sets each of its parameters, and the post-upgrade
 *	settings of seed 001. finish() writes ugdir_diff.ldif.
 * DIAGNOSTICS
 *	Each setting is a "hop" line of msg.conf.CHANGES with its reason.
 *	Passwords (local.service.http.proxy.adminpass) are never written: the
 *	CHANGES file says to set them with configutil.
 */
#include "config.h"

#include "to63.h"

#include <string.h>

/* The names of the local.conf parameters, in order, "\n"-separated in key "lc-keys". */
/* Reads local.conf's parameters into the state ("lc:<key>", "lc-keys"). */
static gboolean
capture_local_conf(HcState *st, GBytes *content, guint *n_r, GError **error)
{
    MsmConfDoc *doc = hc_parse("local.conf", "configutil", content, error);
    if (doc == NULL)
        return FALSE;
    GPtrArray *entries = msm_confdoc_entries(doc);
    GString *keys = g_string_new(NULL);
    for (guint i = 0; i < entries->len; i++) {
        const MsmConfNode *n = entries->pdata[i];
        char *k = g_strconcat("lc:", n->key, NULL);
        hc_set(st, k, n->value ? n->value : "");
        g_free(k);
        g_string_append_printf(keys, "%s\n", n->key);
    }
    hc_set(st, "lc-keys", keys->str);
    *n_r = entries->len;
    g_string_free(keys, TRUE);
    g_ptr_array_unref(entries);
    msm_confdoc_free(doc);
    return TRUE;
}

/* TRUE when the hop starts at the run's source, so its files can be read from there. */
static gboolean
hop_is_first(MsmCtx *ctx, const HcHop *hop)
{
    return g_strcmp0(msm_ctx_run_from(ctx), hop->from) == 0 && msm_ctx_source_layout(ctx);
}

/* Reads the source's local.conf when the hop starts at the source and has not seen it
 * yet (msg.conf came first, or local.conf was done before a --resume). */
static gboolean
capture_source_local_conf(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error)
{
    if (hc_get(st, "lc-keys") != NULL || !hop_is_first(ctx, hop))
        return TRUE;
    const char *dir = msm_layout_config_dir(msm_ctx_source_layout(ctx));
    char *path = dir ? g_build_filename(dir, "local.conf", NULL) : NULL;
    gboolean ok = TRUE;
    char *data = NULL;
    gsize len = 0;
    if (path && g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        if ((ok = g_file_get_contents(path, &data, &len, error))) {
            GBytes *b = g_bytes_new_take(data, len);
            guint n = 0;
            ok = capture_local_conf(st, b, &n, error);
            g_bytes_unref(b);
        }
    }
    g_free(path);
    return ok;
}

gboolean
to63_custom(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf, MsmResult *result_r,
            GError **error)
{
    if (strcmp(cf->relpath, "local.conf") != 0)
        return FALSE;
    if (hc_seen(st, "msg.conf") && !hop_is_first(ctx, hop)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                    "local.conf came after msg.conf was merged, so its parameters cannot move "
                    "into msg.conf; run with --threads 1");
        return FALSE;
    }
    guint n = 0;
    if (hc_get(st, "lc-keys") == NULL && !capture_local_conf(st, cf->content, &n, error))
        return FALSE;
    hc_summary(st, "local.conf: its parameters move into msg.conf; carried as it is (6.3 does "
                   "not read it)");
    (void)n;
    *result_r = MSM_RESULT_CONTINUE;
    return TRUE;
}

gboolean
to63_fixup(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath, MsmConfDoc *merged,
           GPtrArray *notes, GError **error)
{
    if (strcmp(relpath, "msg.conf") != 0)
        return TRUE;
    if (!capture_source_local_conf(ctx, hop, st, error))
        return FALSE;
    const char *lk = hc_get(st, "lc-keys");
    char **keys = g_strsplit(lk ? lk : "", "\n", -1);
    for (guint i = 0; keys[i]; i++) {
        if (*keys[i] == '\0')
            continue;
        char *k = g_strconcat("lc:", keys[i], NULL);
        const char *v = hc_get(st, k);
        g_free(k);
        if (!hc_doc_set(merged, keys[i], v ? v : "",
                        "moved from local.conf (the local copy of o=comms-config): 6.3 keeps "
                        "every parameter in msg.conf (facts 1.1, seed 001 patch-config)",
                        notes, error)) {
            g_strfreev(keys);
            return FALSE;
        }
    }
    g_strfreev(keys);
    /* Post-upgrade tasks of seed 001. */
    if (!hc_doc_set(merged, "service.imap.enable", "yes",
                    "seed 001: after upgrading the store, enable IMAP (webmail reaches the store "
                    "over IMAP from 6.3)",
                    notes, error))
        return FALSE;
    const MsmConfNode *pa = msm_confdoc_find(merged, "", "local.service.proxy.admin");
    const char *admin = pa && pa->value && *pa->value ? pa->value : "admin";
    char *admin_copy = g_strdup(admin);
    const char *hosts_opt = msm_ctx_option(ctx, "target", "backend_hosts");
    char **hosts = g_strsplit_set(hosts_opt ? hosts_opt : "", ", ", -1);
    guint nhosts = 0;
    for (guint i = 0; hosts[i]; i++)
        nhosts += *hosts[i] != '\0';
    gboolean ok = TRUE;
    if (nhosts <= 1) {
        ok = hc_doc_set(merged, "service.http.allowadminproxy", "yes",
                        "seed 001: one message store, so without .hostname", notes, error) &&
             hc_doc_set(merged, "local.service.http.proxy.admin", admin_copy,
                        "seed 001: the webmail proxy admin (local.service.proxy.admin)", notes,
                        error);
        hc_note(notes, "todo key=\"local.service.http.proxy.adminpass\" reason=\"set it with "
                       "configutil: msmigrate never writes passwords\"");
    } else {
        for (guint i = 0; ok && hosts[i]; i++) {
            if (*hosts[i] == '\0')
                continue;
            char *k1 = g_strconcat("service.http.allowadminproxy.", hosts[i], NULL);
            char *k2 = g_strconcat("local.service.http.proxy.admin.", hosts[i], NULL);
            ok =
                hc_doc_set(merged, k1, "yes", "seed 001: one setting per back-end store host",
                           notes, error) &&
                hc_doc_set(merged, k2, admin_copy,
                           "seed 001: the webmail proxy admin of this back-end host", notes, error);
            hc_note(notes,
                    "todo key=\"local.service.http.proxy.adminpass.%s\" reason=\"set it with "
                    "configutil: msmigrate never writes passwords\"",
                    hosts[i]);
            g_free(k1);
            g_free(k2);
        }
    }
    g_strfreev(hosts);
    g_free(admin_copy);
    const MsmConfNode *org = msm_confdoc_find(merged, "", "local.ugldapdeforgdn");
    if (org && org->value)
        hc_set(st, "deforgdn", org->value);
    return ok;
}

gboolean
to63_finish(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s,
                           "# ugdir_diff.ldif - user/group directory changes for %s -> %s\n"
                           "# msmigrate model of the 6.3 patch-config output (seed 001), see\n"
                           "# docs/config-hops.md#ugdir_diffldif. Import it with\n"
                           "#   ldapmodify -c -e ugdir_diff.rej -f ugdir_diff.ldif\n"
                           "# (entries that already have the value are reported, not fatal).\n",
                           hop->from, hop->to);
    const char *org = hc_get(st, "deforgdn");
    if (org && *org) {
        g_string_append_printf(s,
                               "\ndn: %s\nchangetype: modify\nadd: objectClass\n"
                               "objectClass: sunManagedOrganization\n-\n"
                               "replace: inetDomainStatus\ninetDomainStatus: active\n-\n",
                               org);
    } else {
        g_string_append(s, "# no local.ugldapdeforgdn in msg.conf: nothing to change\n");
    }
    gboolean ok = hc_artifact(ctx, hop, "ugdir_diff.ldif", s->str, s->len, error);
    g_string_free(s, TRUE);
    return ok;
}
