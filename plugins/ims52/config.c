/*
 * NAME
 *	config.c - ims52's configuration migrator (ims-5.2 -> ms-6.0)
 * SUMMARY
 *	Seed 000's UpgradeMsg5toMsg6.pl as an HcHop (plugins/common/hopconf.h):
 *	every file of its table (core/merge-table.c) is merged into the 6.0
 *	template, three-way against the 5.2 template, with the MERGED and
 *	CHANGES artifacts the table asks for; installation paths move from
 *	server-root/msg-<instance> to msg_svr_base (/opt/SUNWmsgsr); finish()
 *	then checks, as `imsimta cnbuild` would, that the merged MTA
 *	configuration parses and holds together. docs/config-hops.md#ims52.
 * DIAGNOSTICS
 *	The cnbuild check writes ims-5.2-to-ms-6.0/cnbuild.log and fails the
 *	hop, naming the first problem, when the merged imta.cnf has syntax it
 *	could only keep verbatim, names a pool job_controller.cnf does not
 *	define, or includes a file the configuration does not have.
 */
#include "config.h"

#include "../common/hopconf.h"
#include "ims52.h"

#include <string.h>

extern const HcTemplate ims52_templates[];

/* server-root/msg-<instance>/... -> msg_svr_base/... (docs/config-hops.md#ims52). */
#define SROOT "(?:/[A-Za-z0-9_.+-]+)*"
#define INST "/msg-[A-Za-z0-9_.-]+"
static const HcPathRule paths_52_60[] = {
    {SROOT "/bin/msg/imta/lib", "/opt/SUNWmsgsr/lib"},
    {SROOT INST "/imta/config", "/opt/SUNWmsgsr/config"},
    {SROOT INST "/config", "/opt/SUNWmsgsr/config"},
    {SROOT INST "/imta/queue", "/opt/SUNWmsgsr/data/queue"},
    {SROOT INST "/imta/db", "/opt/SUNWmsgsr/data/db"},
    {SROOT INST "/log/imta", "/opt/SUNWmsgsr/data/log"},
    {SROOT INST "/log", "/opt/SUNWmsgsr/data/log"},
    {"^" SROOT INST "(/?)$", "/opt/SUNWmsgsr\\1"},
    {NULL, NULL},
};

/* [PERIODIC_JOB=] is deprecated from 6.x for local.schedule.periodic_job (facts §2.3):
 * the section is kept (it still works) and CHANGES says what replaces it. */
static gboolean
fixup_52_60(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath, MsmConfDoc *merged,
            GPtrArray *notes, GError **error)
{
    (void)ctx;
    (void)hop;
    (void)st;
    (void)error;
    if (strcmp(relpath, "job_controller.cnf") != 0)
        return TRUE;
    for (guint i = 0; i < msm_confdoc_n_nodes(merged); i++) {
        const MsmConfNode *n = msm_confdoc_node(merged, i);
        if (n->type == MSM_CONF_SECTION && n->key && g_str_has_prefix(n->key, "PERIODIC_JOB="))
            hc_note(notes,
                    "todo key=\"[%s]\" reason=\"kept, but deprecated in 6.x: move it to "
                    "local.schedule.periodic_job with configutil (facts 2.3)\"",
                    n->key);
    }
    return TRUE;
}

/* The merged bytes of relpath, or the 6.0 template when the hop did not see it.
 * (transfer full) */
static GBytes *
merged_or_template(const HcHop *hop, HcState *st, const char *relpath)
{
    GBytes *b = hc_merged(st, relpath);
    if (b)
        return g_bytes_ref(b);
    return hc_template(hop, st, hop->to, relpath);
}

/* TRUE if the configuration being produced has a file with this base name. */
static gboolean
have_file(const HcHop *hop, HcState *st, const char *base)
{
    if (hc_seen(st, base))
        return TRUE;
    GBytes *t = hc_template(hop, st, hop->to, base);
    if (t)
        g_bytes_unref(t);
    return t != NULL;
}

/* The `pool NAME` keyword of a channel's value, or NULL. (transfer full) */
static char *
channel_pool(const char *value)
{
    char *first = g_strndup(value, strcspn(value, "\n"));
    char **words = g_strsplit_set(first, " \t", -1);
    char *pool = NULL;
    for (guint i = 0; words[i] && !pool; i++)
        if (g_ascii_strcasecmp(words[i], "pool") == 0 && words[i + 1] && *words[i + 1])
            pool = g_strdup(words[i + 1]);
    g_strfreev(words);
    g_free(first);
    return pool;
}

/* The cnbuild-equivalent check of the merged MTA configuration. */
static gboolean
cnbuild_check(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error)
{
    GString *log = g_string_new("# msmigrate cnbuild check (docs/config-hops.md#ims52)\n");
    GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
    GBytes *ib = merged_or_template(hop, st, "imta.cnf");
    GBytes *jb = merged_or_template(hop, st, "job_controller.cnf");
    MsmConfDoc *imta = NULL, *jc = NULL;
    GError *err = NULL;
    if (ib == NULL)
        g_ptr_array_add(problems, g_strdup("imta.cnf: the configuration has no imta.cnf"));
    else if ((imta = hc_parse("imta.cnf", NULL, ib, &err)) == NULL) {
        g_ptr_array_add(problems, g_strdup_printf("imta.cnf: %s", err->message));
        g_clear_error(&err);
    }
    if (jb && (jc = hc_parse("job_controller.cnf", NULL, jb, &err)) == NULL) {
        g_ptr_array_add(problems, g_strdup_printf("job_controller.cnf: %s", err->message));
        g_clear_error(&err);
    }
    GHashTable *pools = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (guint i = 0; jc && i < msm_confdoc_n_nodes(jc); i++) {
        const MsmConfNode *n = msm_confdoc_node(jc, i);
        if (n->type == MSM_CONF_SECTION && n->key && g_str_has_prefix(n->key, "POOL="))
            g_hash_table_add(pools, g_strdup(n->key + 5));
    }
    guint channels = 0, rules = 0, includes = 0;
    if (imta) {
        GPtrArray *w = msm_confdoc_warnings(imta);
        for (guint i = 0; w && i < w->len; i++)
            g_ptr_array_add(problems, g_strdup_printf("%s (cnbuild would reject it)",
                                                      (const char *)w->pdata[i]));
        for (guint i = 0; i < msm_confdoc_n_nodes(imta); i++) {
            const MsmConfNode *n = msm_confdoc_node(imta, i);
            if (n->type == MSM_CONF_INCLUDE && n->key) {
                includes++;
                const char *colon = strrchr(n->key, ':');
                const char *slash = strrchr(n->key, '/');
                const char *base = slash ? slash + 1 : colon ? colon + 1 : n->key;
                if (!have_file(hop, st, base))
                    g_ptr_array_add(problems, g_strdup_printf("imta.cnf:%u: includes %s, which the "
                                                              "configuration does not have",
                                                              n->line, n->key));
            } else if (n->type == MSM_CONF_ENTRY && g_strcmp0(n->section, "rewrite") == 0) {
                rules++;
            } else if (n->type == MSM_CONF_ENTRY && g_strcmp0(n->section, "channels") == 0) {
                channels++;
                char *pool = n->value ? channel_pool(n->value) : NULL;
                if (pool && jc && !g_hash_table_contains(pools, pool))
                    g_ptr_array_add(problems,
                                    g_strdup_printf("imta.cnf:%u: channel %s uses pool %s, "
                                                    "which job_controller.cnf does not define "
                                                    "(add [POOL=%s])",
                                                    n->line, n->key, pool, pool));
                g_free(pool);
            }
        }
    }
    g_string_append_printf(log, "rewrite-rules=%u channels=%u includes=%u pools=%u\n", rules,
                           channels, includes, g_hash_table_size(pools));
    for (guint i = 0; i < problems->len; i++)
        g_string_append_printf(log, "error %s\n", (const char *)problems->pdata[i]);
    g_string_append_printf(log, "%s\n", problems->len ? "FAILED" : "OK");
    gboolean ok = hc_artifact(ctx, hop, "cnbuild.log", log->str, log->len, error);
    if (ok && problems->len) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "the merged MTA configuration would not compile (%u problems, see %s-to-%s/"
                    "cnbuild.log in the run's artifacts); first: %s",
                    problems->len, hop->from, hop->to, (const char *)problems->pdata[0]);
        ok = FALSE;
    }
    msm_ctx_log(ctx, problems->len ? MSM_LOG_ERROR : MSM_LOG_INFO,
                "hop %s -> %s: cnbuild check: %u rewrite rules, %u channels, %u problems",
                hop->from, hop->to, rules, channels, problems->len);
    g_hash_table_unref(pools);
    g_ptr_array_unref(problems);
    msm_confdoc_free(imta);
    msm_confdoc_free(jc);
    if (ib)
        g_bytes_unref(ib);
    if (jb)
        g_bytes_unref(jb);
    g_string_free(log, TRUE);
    return ok;
}

static const HcHop hop_52_60 = {
    .from = "ims-5.2",
    .to = "ms-6.0",
    .templates = ims52_templates,
    .path_rules = paths_52_60,
    .fixup = fixup_52_60,
    .finish = cnbuild_check,
};

static MsmResult
transform_52_60(MsmCtx *ctx, MsmItem *item, GError **error)
{
    return hc_transform(&hop_52_60, ctx, item, error);
}

static gboolean
finish_52_60(MsmCtx *ctx, GError **error)
{
    return hc_finish(&hop_52_60, ctx, error);
}

const MsmConfigMigrator ims52_config_52_60 = {
    .iface_version = MSM_CONFIG_IFACE_VERSION,
    .struct_size = sizeof(MsmConfigMigrator),
    .transform = transform_52_60,
    .finish = finish_52_60,
};
