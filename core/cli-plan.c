/*
 * NAME
 *	cli-plan.c - `msmigrate detect` and `msmigrate plan`
 * SUMMARY
 *	detect ROOT: the version family a deployment root's layout shows
 *	(docs/formats/layout.md), the candidates, and the instances. Exit 0 when
 *	the version is known exactly, 2 when several versions fit (pass --from
 *	to the other verbs), 1 when nothing was recognised.
 *	plan: the chain of hops from --from (or what --source detects) to --to,
 *	with every property and precondition; --check also runs the
 *	preconditions against --source and --target (exit 3 if any refuses).
 */
#include "config.h"

#include "cli.h"
#include "detect.h"
#include "engine.h"
#include "planner.h"

#include <stdio.h>
#include <string.h>

int
cli_detect(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL;
    int rc = MSM_EXIT_FAILED;
    MsmDetection *det = NULL;
    GError *err = NULL;
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from,
         "The version you know it is (checked against the layout)", "VERSION"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "detect", "ROOT",
                   "Tell a deployment root's version from its layout. ROOT may stand for a "
                   "host's /, a server root holding msg-<instance> directories, or a "
                   "msg_svr_base.",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: detect: name one deployment root\n");
        goto out;
    }
    det = msm_detect(argv[1], &err);
    if (det == NULL) {
        cli_error("detect", err);
        goto out;
    }
    char *text = common.json ? msm_detection_to_json(det) : msm_detection_to_text(det);
    fputs(text, stdout);
    g_free(text);
    if (det->family == NULL) {
        rc = MSM_EXIT_FAILED;
        goto out;
    }
    const char *want = NULL;
    if (from && (want = cli_version(from, "detect --from")) == NULL)
        goto out;
    const char *picked = msm_detection_pick(det, want, &err);
    if (picked == NULL) {
        if (!common.json)
            fprintf(stderr, "msmigrate: detect: %s\n", err->message);
        rc = g_error_matches(err, MSM_ERROR, MSM_ERROR_AMBIGUOUS) ? MSM_EXIT_SKIPPED
                                                                  : MSM_EXIT_FAILED;
        goto out;
    }
    rc = MSM_EXIT_OK;
out:
    g_clear_error(&err);
    if (det)
        msm_detection_free(det);
    g_free(from);
    cli_common_clear(&common);
    return rc;
}

int
cli_plan(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL, *to = NULL, *source = NULL, *target = NULL, *instance = NULL;
    char *p_from = NULL, *p_to = NULL, *p_source = NULL, *p_target = NULL, *p_instance = NULL;
    char **confirm = NULL, **override = NULL;
    gboolean check = FALSE;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    MsmPlan *plan = NULL;
    MsmDetection *det = NULL;
    GError *err = NULL;
    MsmRunReport rep = {0};
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "Origin version (default: detected from --source)",
         "VERSION"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "Destination version", "VERSION"},
        {"source", 0, 0, G_OPTION_ARG_FILENAME, &source, "Source deployment root", "DIR"},
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target, "Target deployment root (for --check)",
         "DIR"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "The instance to upgrade when the server root has several", "NAME"},
        {"check", 0, 0, G_OPTION_ARG_NONE, &check,
         "Also check every precondition now (needs --source and --target)", NULL},
        {"confirm", 0, 0, G_OPTION_ARG_STRING_ARRAY, &confirm,
         "A precondition checked by hand (repeatable)", "ID"},
        {"override", 0, 0, G_OPTION_ARG_STRING_ARRAY, &override,
         "Go on despite a failed precondition the seeds allow overriding (repeatable)", "ID"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "plan", "",
                   "Show the chain of hops from one version to another, with what each hop "
                   "does, whether it can be rolled back, and its preconditions.",
                   entries, &common))
        goto out;
    const char *f = cli_profile_default(&common, from, "deployment", "from", &p_from);
    const char *t = cli_profile_default(&common, to, "deployment", "to", &p_to);
    const char *src = cli_profile_default(&common, source, "deployment", "source", &p_source);
    const char *tgt = cli_profile_default(&common, target, "deployment", "target", &p_target);
    const char *inst =
        cli_profile_default(&common, instance, "deployment", "instance", &p_instance);
    const char *from_id = NULL, *to_id = NULL;
    if (t == NULL) {
        fprintf(stderr, "msmigrate: plan: pass --to VERSION (for example --to 8.1)\n");
        goto out;
    }
    if ((to_id = cli_version(t, "plan --to")) == NULL)
        goto out;
    if (f) {
        if ((from_id = cli_version(f, "plan --from")) == NULL)
            goto out;
    } else if (src) {
        det = msm_detect(src, &err);
        if (det == NULL || (from_id = msm_detection_pick(det, NULL, &err)) == NULL) {
            cli_error("plan", err);
            goto out;
        }
    } else {
        fprintf(stderr, "msmigrate: plan: pass --from VERSION, or --source DIR to detect it\n");
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("plan", err);
        goto out;
    }
    plan = msm_plan_build(reg, from_id, to_id, &err);
    if (plan == NULL) {
        cli_error("plan", err);
        rc = MSM_EXIT_REFUSED;
        goto out;
    }
    char *text = common.json ? msm_plan_to_json(plan) : msm_plan_to_text(plan);
    fputs(text, stdout);
    g_free(text);
    rc = MSM_EXIT_OK;
    if (check) {
        if (src == NULL || tgt == NULL) {
            fprintf(stderr, "msmigrate: plan: --check needs --source and --target\n");
            rc = MSM_EXIT_FAILED;
            goto out;
        }
        MsmRunOptions opt = {0};
        opt.source_root = src;
        opt.target_root = tgt;
        opt.instance = inst;
        opt.confirm = (const char *const *)confirm;
        opt.override = (const char *const *)override;
        opt.profile = common.profile;
        gboolean ok = msm_engine_preflight(reg, plan, &opt, &rep, &err);
        if (common.json) {
            char *j = msm_run_report_json(&rep);
            fputs(j, stdout);
            g_free(j);
        } else {
            char *r = msm_run_report_text(&rep);
            fputs("\n", stdout);
            fputs(r, stdout);
            g_free(r);
        }
        if (!ok) {
            cli_error("plan", err);
            rc = MSM_EXIT_REFUSED;
        }
    }
out:
    msm_run_report_clear(&rep);
    g_clear_error(&err);
    msm_plan_free(plan);
    if (det)
        msm_detection_free(det);
    msm_registry_free(reg);
    g_free(from);
    g_free(to);
    g_free(source);
    g_free(target);
    g_free(instance);
    g_free(p_from);
    g_free(p_to);
    g_free(p_source);
    g_free(p_target);
    g_free(p_instance);
    g_strfreev(confirm);
    g_strfreev(override);
    cli_common_clear(&common);
    return rc;
}
