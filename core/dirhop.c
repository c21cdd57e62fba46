/*
 * NAME
 *	dirhop.c - the directory transform of a hop (see dirhop.h)
 * SUMMARY
 *	Profile keys -> MsmDirmigOptions, then msm_dirmap_entry() on the item.
 */
#include "config.h"

#include "dirhop.h"

#include <string.h>

static gboolean
bool_key(MsmCtx *ctx, const char *key, gboolean *v_r, GError **error)
{
    const char *v = msm_ctx_option(ctx, "directory", key);
    *v_r = FALSE;
    if (v == NULL)
        return TRUE;
    if (g_ascii_strcasecmp(v, "true") == 0 || g_ascii_strcasecmp(v, "yes") == 0 ||
        strcmp(v, "1") == 0) {
        *v_r = TRUE;
        return TRUE;
    }
    if (g_ascii_strcasecmp(v, "false") == 0 || g_ascii_strcasecmp(v, "no") == 0 ||
        strcmp(v, "0") == 0)
        return TRUE;
    g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                "site profile [directory] %s = %s: write true or false", key, v);
    return FALSE;
}

gboolean
msm_dirhop_options(MsmCtx *ctx, MsmDirmigFrom from, MsmDirmigOptions *opt, GError **error)
{
    opt->from = from;
    const char *v;
    if ((v = msm_ctx_option(ctx, "directory", "what")) != NULL &&
        !msm_dirmig_parse_what(v, &opt->what, error)) {
        g_prefix_error(error, "site profile [directory] what: ");
        return FALSE;
    }
    if ((v = msm_ctx_option(ctx, "directory", "attributes")) != NULL &&
        !msm_dirmig_parse_pairs(v, &opt->pairs, error)) {
        g_prefix_error(error, "site profile [directory] attributes: ");
        return FALSE;
    }
    if (!bool_key(ctx, "add_values", &opt->add, error) ||
        !bool_key(ctx, "only_attributes", &opt->only_pairs, error))
        return FALSE;
    if ((v = msm_ctx_option(ctx, "directory", "filter")) != NULL)
        opt->filter = g_strdup(v);
    if ((v = msm_ctx_option(ctx, "directory", "mailhost")) != NULL)
        opt->new_mailhost = g_strdup(v);
    return TRUE;
}

MsmResult
msm_dirhop_transform(MsmCtx *ctx, MsmItem *item, MsmDirmigFrom from, GError **error)
{
    if (item->kind != MSM_KIND_DIRECTORY || item->payload == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "%s: not a directory entry (a codec passed the wrong kind)", item->key);
        return MSM_RESULT_ERROR;
    }
    MsmDirmigOptions opt = {0};
    if (!msm_dirhop_options(ctx, from, &opt, error)) {
        msm_dirmig_options_clear(&opt);
        return MSM_RESULT_STOP;
    }
    char *reason = NULL;
    MsmResult r = msm_dirmap_entry(&opt, item->payload, &reason, error);
    if (r == MSM_RESULT_SKIP) {
        /* left as it is: the migrated directory keeps it unchanged */
        msm_ctx_log(ctx, MSM_LOG_DEBUG, "directory %s: unchanged (%s)",
                    msm_entry_dn(item->payload), reason ? reason : "not selected");
        r = MSM_RESULT_CONTINUE;
    }
    g_free(reason);
    msm_dirmig_options_clear(&opt);
    return r;
}
