/*
 * NAME
 *	test-dirmap-tool.c - command-line driver of core/dirmap for the integration scripts
 * SUMMARY
 *	test-dirmap-tool offline [-M sims|nms|schema1] [-t 1|2|3] [-m WHAT] [-A PAIRS]...
 *	        [-P] [-O] [-F FILTER] [-H NEWHOST] [-d DOMAINS] [-o ORGROOT] IN OUT AUDIT UNDO REJECTS
 *	test-dirmap-tool aci ORGROOT DOMAIN
 *	Prints "read N changed N unchanged N skipped N rejected N" for offline.
 *	Exit 0 on success, 1 on an error (printed on stderr). Not installed: the
 *	user-facing verb is `msmigrate directory` (dir-live).
 */
#include "config.h"

#include "dirmap.h"

#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "aci") == 0) {
        if (argc != 4) {
            fprintf(stderr, "usage: %s aci ORGROOT DOMAIN\n", argv[0]);
            return 2;
        }
        GError *err = NULL;
        char *l = msm_dirmig_aci_ldif(argv[2], argv[3], &err);
        if (l == NULL) {
            fprintf(stderr, "%s\n", err->message);
            g_error_free(err);
            return 1;
        }
        fputs(l, stdout);
        g_free(l);
        return 0;
    }
    char *from = NULL, *what = NULL, *filter = NULL, *host = NULL, *domains = NULL, *org = NULL;
    char **pairs = NULL;
    gint mode = 0;
    gboolean add = FALSE, only = FALSE;
    GOptionEntry entries[] = {
        { "from", 'M', 0, G_OPTION_ARG_STRING, &from, "sims, nms or schema1", "FROM" },
        { "mode", 't', 0, G_OPTION_ARG_INT, &mode, "commdirmig mode", "N" },
        { "what", 'm', 0, G_OPTION_ARG_STRING, &what, "user|group|domain|both|all", "WHAT" },
        { "pairs", 'A', 0, G_OPTION_ARG_STRING_ARRAY, &pairs, "attr:val[;attr:val]", "PAIRS" },
        { "add", 'P', 0, G_OPTION_ARG_NONE, &add, "add values", NULL },
        { "only", 'O', 0, G_OPTION_ARG_NONE, &only, "only the -A pairs", NULL },
        { "filter", 'F', 0, G_OPTION_ARG_STRING, &filter, "filter", "F" },
        { "host", 'H', 0, G_OPTION_ARG_STRING, &host, "new mail host", "HOST" },
        { "domains", 'd', 0, G_OPTION_ARG_STRING, &domains, "domain scope", "D" },
        { "org-root", 'o', 0, G_OPTION_ARG_STRING, &org, "organization root", "DN" },
        { NULL, 0, 0, 0, NULL, NULL, NULL },
    };
    GOptionContext *ctx = g_option_context_new("offline IN OUT AUDIT UNDO REJECTS");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    int rc = 1;
    MsmDirmigOptions opt = { 0 };
    if (!g_option_context_parse(ctx, &argc, &argv, &err) || argc != 7 || strcmp(argv[1], "offline") != 0) {
        fprintf(stderr, "%s\n", err ? err->message : "usage: offline IN OUT AUDIT UNDO REJECTS");
        goto out;
    }
    opt.from = from == NULL || strcmp(from, "sims") == 0 ? MSM_DIRMIG_FROM_SIMS
             : strcmp(from, "nms") == 0 ? MSM_DIRMIG_FROM_NMS : MSM_DIRMIG_FROM_SCHEMA1;
    if (what && !msm_dirmig_parse_what(what, &opt.what, &err))
        goto fail;
    for (guint i = 0; pairs && pairs[i]; i++)
        if (!msm_dirmig_parse_pairs(pairs[i], &opt.pairs, &err))
            goto fail;
    opt.add = add;
    opt.only_pairs = only;
    opt.filter = g_strdup(filter);
    opt.new_mailhost = g_strdup(host);
    opt.commdirmig_mode = mode;
    opt.domain_scope = g_strdup(domains);
    opt.org_root = g_strdup(org);
    MsmDirmigStats st;
    if (!msm_dirmig_offline(&opt, argv[2], argv[3], argv[4], argv[5], argv[6], &st, &err))
        goto fail;
    printf("read %" G_GUINT64_FORMAT " changed %" G_GUINT64_FORMAT " unchanged %" G_GUINT64_FORMAT
           " skipped %" G_GUINT64_FORMAT " rejected %" G_GUINT64_FORMAT "\n",
           st.read, st.changed, st.unchanged, st.skipped, st.rejected);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "%s\n", err->message);
out:
    g_clear_error(&err);
    msm_dirmig_options_clear(&opt);
    g_option_context_free(ctx);
    g_free(from);
    g_free(what);
    g_free(filter);
    g_free(host);
    g_free(domains);
    g_free(org);
    g_strfreev(pairs);
    return rc;
}
