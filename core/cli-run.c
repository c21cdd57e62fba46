/*
 * NAME
 *	cli-run.c - `msmigrate run|verify|status|rollback|baseline`
 * SUMMARY
 *	run: preflight, migrate, verify, report (engine.c); --resume ID takes a
 *	killed or incomplete run up where it stopped. verify RUN: compares the
 *	target with the run's journal again. status: the deployment's history,
 *	lock and runs. rollback RUN: undoes a run. baseline: records the version
 *	of an install msmigrate did not make, so later runs know where it starts.
 *	run --stepwise: the plan's hops one at a time, each intermediate version
 *	written complete (stepwise.c, docs/stepwise.md); --resume ID of a
 *	stepwise run continues it; status lists the stepwise runs too.
 */
#include "config.h"

#include "cli.h"
#include "detect.h"
#include "engine.h"
#include "history.h"
#include "journal.h"
#include "json.h"
#include "lock.h"
#include "queue-rename.h"
#include "stepwise.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Prints a run report as text or JSON. */
static void
print_report(const CliCommon *common, const MsmRunReport *rep)
{
    char *s = common->json ? msm_run_report_json(rep) : msm_run_report_text(rep);
    fputs(s, stdout);
    g_free(s);
}

static guint
parse_only(const char *only, gboolean *ok)
{
    *ok = TRUE;
    if (only == NULL)
        return 0;
    guint mask = 0;
    char **parts = g_strsplit(only, ",", -1);
    for (char **p = parts; *p; p++) {
        MsmKind k;
        char *t = g_strstrip(*p);
        if (!msm_kind_from_name(t, &k)) {
            fprintf(stderr, "msmigrate: run: --only takes config, store, queue and directory, "
                            "not \"%s\"\n",
                    t);
            *ok = FALSE;
        } else {
            mask |= 1u << k;
        }
    }
    g_strfreev(parts);
    return mask;
}

/* Text mode: each step's section as soon as the step ends. */
static void
print_step(const MsmStepwiseStep *step, guint n_steps, gpointer data)
{
    (void)data;
    char *s = msm_stepwise_step_text(step, n_steps);
    fputs(s, stdout);
    fflush(stdout);
    g_free(s);
}

/* --stepwise, or --resume of a stepwise run: runs msm_stepwise_run and prints
 * its report. Returns the exit code. */
static int
run_stepwise(MsmRegistry *reg, const CliCommon *common, const MsmRunOptions *opt,
             const char *steps_dir)
{
    MsmStepwiseOptions sw = {0};
    MsmStepwiseReport rep = {0};
    GError *err = NULL;
    sw.steps_dir = steps_dir;
    if (!common->json && !opt->dry_run) {
        sw.on_step = print_step;
        /* sub-run log lines on stderr interleave with the step sections */
        fflush(stdout);
    }
    gboolean ok = msm_stepwise_run(reg, opt, &sw, &rep, &err);
    char *s = common->json ? msm_stepwise_report_json(&rep)
                           : msm_stepwise_report_text(&rep, FALSE);
    fputs(s, stdout);
    g_free(s);
    if (!ok)
        cli_error("run --stepwise", err);
    int rc = rep.exit_code;
    g_clear_error(&err);
    msm_stepwise_report_clear(&rep);
    return rc;
}

/* --wait[=SECONDS]: -1 when not given. */
static gint64 run_wait_seconds = -1;

#define RUN_WAIT_DEFAULT 600 /* seconds --wait waits without a value */

/* Parses --wait[=SECONDS]. */
static gboolean
parse_wait(const gchar *name, const gchar *value, gpointer data, GError **error)
{
    (void)data;
    guint64 v = RUN_WAIT_DEFAULT;
    if (value && !g_ascii_string_to_unsigned(value, 10, 1, 7 * 86400, &v, NULL)) {
        g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "%s takes a number of seconds from 1 to 604800, not \"%s\"", name, value);
        return FALSE;
    }
    run_wait_seconds = (gint64)v;
    return TRUE;
}

/* --wait: polls the source queue until it is drained or the time is up. The
 * run's preflight then decides (it refuses while messages are left). */
static gboolean
wait_for_queue(MsmRegistry *reg, const MsmRunOptions *opt, GError **error)
{
    const char *version = opt->from;
    MsmDetection *det = NULL;
    if (version == NULL) {
        det = msm_detect(opt->source_root, error);
        if (det == NULL || (version = msm_detection_pick(det, NULL, error)) == NULL) {
            if (det)
                msm_detection_free(det);
            return FALSE;
        }
    }
    gboolean drained = FALSE;
    gboolean ok = msm_queue_wait_drained(reg, opt->source_root, version, opt->instance,
                                         (guint)run_wait_seconds, 2000, &drained, error);
    if (ok && !drained)
        fprintf(stderr, "msmigrate: run: the queue of %s did not drain within %" G_GINT64_FORMAT
                        " s; preflight decides\n",
                opt->source_root, run_wait_seconds);
    if (det)
        msm_detection_free(det);
    return ok;
}

int
cli_run(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL, *to = NULL, *source = NULL, *target = NULL, *instance = NULL, *only = NULL,
         *resume = NULL, *guard = NULL, *steps_dir = NULL;
    char *p_from = NULL, *p_to = NULL, *p_source = NULL, *p_target = NULL, *p_instance = NULL,
         *p_guard = NULL;
    char **confirm = NULL, **override = NULL;
    gboolean dry_run = FALSE, force = FALSE, break_lock = FALSE, no_progress = FALSE;
    gboolean migrate_queues = FALSE, stepwise = FALSE;
    GPtrArray *overrides = NULL;
    gint threads = 0;
    run_wait_seconds = -1;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    MsmRunReport rep = {0};
    const GOptionEntry entries[] = {
        {"source", 0, 0, G_OPTION_ARG_FILENAME, &source, "Source deployment root (read only)",
         "DIR"},
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target, "Target deployment root", "DIR"},
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "Origin version (default: detected)",
         "VERSION"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "Destination version", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "The instance to upgrade when the server root has several", "NAME"},
        {"only", 0, 0, G_OPTION_ARG_STRING, &only,
         "Migrate only these kinds (config,store,queue,directory)", "KINDS"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Read and transform everything, write nothing outside the run's work directory", NULL},
        {"resume", 0, 0, G_OPTION_ARG_STRING, &resume, "Resume the run ID where it stopped", "ID"},
        {"confirm", 0, 0, G_OPTION_ARG_STRING_ARRAY, &confirm,
         "A precondition you checked by hand (repeatable)", "ID"},
        {"override", 0, 0, G_OPTION_ARG_STRING_ARRAY, &override,
         "Go on despite a failed precondition the seeds allow overriding (repeatable)", "ID"},
        {"force", 0, 0, G_OPTION_ARG_NONE, &force,
         "Apply a hop again that the target's history already records", NULL},
        {"break-lock", 0, 0, G_OPTION_ARG_NONE, &break_lock,
         "Replace a stale lock left by a run that died (a live lock is never broken)", NULL},
        {"threads", 'j', 0, G_OPTION_ARG_INT, &threads,
         "Workers for the store and queue (default: number of cores)", "N"},
        {"guard", 0, 0, G_OPTION_ARG_STRING, &guard,
         "Wrap the run in a guard (for example zfs: snapshot before, roll back after)", "NAME"},
        {"no-progress", 0, 0, G_OPTION_ARG_NONE, &no_progress, "No progress lines", NULL},
        {"migrate-queues", 0, 0, G_OPTION_ARG_NONE, &migrate_queues,
         "Convert the messages still queued instead of refusing (overrides queues-empty and "
         "runs the queue kind)",
         NULL},
        {"stepwise", 0, 0, G_OPTION_ARG_NONE, &stepwise,
         "Run the plan's hops one at a time, writing each intermediate version complete "
         "(kept, so a site can stop at one; docs/stepwise.md)",
         NULL},
        {"steps-dir", 0, 0, G_OPTION_ARG_FILENAME, &steps_dir,
         "With --stepwise: put the intermediate versions under DIR (default: the target's "
         ".msmigrate/steps)",
         "DIR"},
        {"store-reuse", 0, 0, G_OPTION_ARG_CALLBACK, (gpointer)cli_run_store_reuse_cb,
         "From NMS 4.x: reuse the 4.x store in place (hard links) or copy it (default)",
         "in-place|copy"},
        {"wait", 0, G_OPTION_FLAG_OPTIONAL_ARG, G_OPTION_ARG_CALLBACK, (gpointer)parse_wait,
         "Wait until the source queue has drained (default 600 s) before preflight",
         "SECONDS"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "run", "",
                   "Migrate a deployment along the plan from its version to --to: preflight "
                   "every hop, migrate each kind through the chain, verify, report. Exit 0 "
                   "done, 1 failed, 2 done with skipped items (rerun with --resume), 3 "
                   "refused by preflight.",
                   entries, &common))
        goto out;
    if (argc != 1) {
        fprintf(stderr, "msmigrate: run: unexpected argument \"%s\"\n", argv[1]);
        goto out;
    }
    if (steps_dir && (!stepwise || resume)) {
        fprintf(stderr, "msmigrate: run: --steps-dir goes with --stepwise on a new run (a "
                        "resumed stepwise run keeps its own)\n");
        goto out;
    }
    MsmRunOptions opt = {0};
    opt.source_root = cli_profile_default(&common, source, "deployment", "source", &p_source);
    opt.target_root = cli_profile_default(&common, target, "deployment", "target", &p_target);
    opt.instance = cli_profile_default(&common, instance, "deployment", "instance", &p_instance);
    opt.guard = cli_profile_default(&common, guard, "run", "guard", &p_guard);
    const char *f = cli_profile_default(&common, from, "deployment", "from", &p_from);
    const char *t = cli_profile_default(&common, to, "deployment", "to", &p_to);
    if (opt.target_root == NULL) {
        fprintf(stderr, "msmigrate: run: pass --target DIR (or set target in the profile)\n");
        goto out;
    }
    if (resume == NULL) {
        if (opt.source_root == NULL) {
            fprintf(stderr, "msmigrate: run: pass --source DIR (or set source in the profile)\n");
            goto out;
        }
        if (t == NULL) {
            fprintf(stderr, "msmigrate: run: pass --to VERSION (for example --to 8.1)\n");
            goto out;
        }
        if (f && (opt.from = cli_version(f, "run --from")) == NULL)
            goto out;
        if ((opt.to = cli_version(t, "run --to")) == NULL)
            goto out;
    }
    gboolean only_ok;
    opt.kinds = parse_only(only, &only_ok);
    if (!only_ok)
        goto out;
    if (threads < 0) {
        fprintf(stderr, "msmigrate: run: --threads must be 1 or more\n");
        goto out;
    }
    if (threads == 0 && common.profile)
        threads = g_key_file_get_integer(common.profile, "run", "threads", NULL);
    opt.threads = threads > 0 ? (guint)threads : 0;
    opt.dry_run = dry_run;
    opt.force = force;
    opt.break_lock = break_lock;
    opt.resume_id = resume;
    opt.confirm = (const char *const *)confirm;
    opt.override = (const char *const *)override;
    if (migrate_queues && resume == NULL) {
        /* seed 003 wants empty queues; the user chose to convert what is left */
        overrides = g_ptr_array_new();
        for (char **o = override; o && *o; o++)
            g_ptr_array_add(overrides, *o);
        g_ptr_array_add(overrides, (gpointer) "queues-empty");
        g_ptr_array_add(overrides, NULL);
        opt.override = (const char *const *)overrides->pdata;
        if (opt.kinds != 0)
            opt.kinds |= 1u << MSM_KIND_QUEUE;
    }
    cli_run_apply_store_reuse(&common); /* --store-reuse: [store] nms4-reuse */
    opt.profile = common.profile;
    opt.quiet = common.quiet || common.json;
    opt.verbose = common.verbose;
    opt.progress = !no_progress && !common.json && !common.quiet && isatty(2);
    opt.command = resume ? "msmigrate run --resume" : "msmigrate run";
    if (resume && !stepwise && msm_stepwise_exists(opt.target_root, resume))
        stepwise = TRUE; /* a stepwise run's id: continue it stepwise */
    if (stepwise && resume && dry_run) {
        fprintf(stderr, "msmigrate: run: --dry-run does not go with --resume of a stepwise run "
                        "(a dry run has nothing to resume)\n");
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("run", err);
        goto out;
    }
    if (run_wait_seconds > 0 && resume == NULL && !wait_for_queue(reg, &opt, &err)) {
        cli_error("run --wait", err);
        goto out;
    }
    if (stepwise) {
        rc = run_stepwise(reg, &common, &opt, steps_dir);
        goto out;
    }
    gboolean ok = msm_engine_run(reg, &opt, &rep, &err);
    print_report(&common, &rep);
    if (!ok)
        cli_error("run", err);
    rc = rep.exit_code;
out:
    msm_run_report_clear(&rep);
    g_free(steps_dir);
    g_clear_error(&err);
    msm_registry_free(reg);
    g_free(from);
    g_free(to);
    g_free(source);
    g_free(target);
    g_free(instance);
    g_free(only);
    g_free(resume);
    g_free(guard);
    g_free(p_from);
    g_free(p_to);
    g_free(p_source);
    g_free(p_target);
    g_free(p_instance);
    g_free(p_guard);
    g_strfreev(confirm);
    g_strfreev(override);
    if (overrides)
        g_ptr_array_unref(overrides);
    cli_common_clear(&common);
    return rc;
}

/* verify and rollback share their shape: VERB RUN --target DIR. */
static int
run_verb(int argc, char **argv, const char *verb, const char *summary, gboolean rollback)
{
    CliCommon common = {0};
    char *target = NULL, *p_target = NULL;
    gboolean break_lock = FALSE;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    MsmRunReport rep = {0};
    const GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target, "Target deployment root", "DIR"},
        {"break-lock", 0, 0, G_OPTION_ARG_NONE, &break_lock, "Replace a stale lock", NULL},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, verb, "RUN", summary, entries, &common))
        goto out;
    const char *tgt = cli_profile_default(&common, target, "deployment", "target", &p_target);
    if (argc != 2 || tgt == NULL) {
        fprintf(stderr, "msmigrate: %s: name the run and pass --target DIR ('msmigrate status "
                        "--target DIR' lists the runs)\n",
                verb);
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error(verb, err);
        goto out;
    }
    MsmRunOptions opt = {0};
    opt.break_lock = break_lock;
    opt.command = rollback ? "msmigrate rollback" : "msmigrate verify";
    gboolean ok = rollback ? msm_engine_rollback(reg, tgt, argv[1], &opt, &rep, &err)
                           : msm_engine_verify(reg, tgt, argv[1], &rep, &err);
    print_report(&common, &rep);
    if (!ok)
        cli_error(verb, err);
    rc = rep.exit_code;
out:
    msm_run_report_clear(&rep);
    g_clear_error(&err);
    msm_registry_free(reg);
    g_free(target);
    g_free(p_target);
    cli_common_clear(&common);
    return rc;
}

int
cli_verify(int argc, char **argv)
{
    return run_verb(argc, argv, "verify",
                    "Re-read what run RUN wrote to the target and compare every item with the "
                    "digest its journal recorded. Exit 2 when anything is missing or differs.",
                    FALSE);
}

int
cli_rollback(int argc, char **argv)
{
    return run_verb(argc, argv, "rollback",
                    "Undo run RUN: restore what its writers replaced and remove what they "
                    "created (or roll the guard's snapshot back). Irreversible hops are refused "
                    "unless the run had a snapshot guard.",
                    TRUE);
}

typedef struct {
    guint64 counts[5];
} RunCounts;

int
cli_status(int argc, char **argv)
{
    CliCommon common = {0};
    char *target = NULL, *p_target = NULL;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    GPtrArray *hist = NULL, *runs = NULL, *stepwise = NULL;
    const GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target, "Deployment root", "DIR"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "status", "",
                   "Show a deployment's version according to its history, the hops applied, "
                   "the lock, and the runs with their state.",
                   entries, &common))
        goto out;
    const char *tgt = cli_profile_default(&common, target, "deployment", "target", &p_target);
    if (tgt == NULL && argc == 2)
        tgt = argv[1];
    if (tgt == NULL) {
        fprintf(stderr, "msmigrate: status: pass --target DIR\n");
        goto out;
    }
    hist = msm_history_load(tgt, &err);
    if (hist == NULL) {
        cli_error("status", err);
        goto out;
    }
    char *state_dir = msm_state_dir(tgt);
    MsmLockInfo li = {0};
    gboolean stale = FALSE;
    gboolean locked = msm_lock_inspect(state_dir, &li, &stale, NULL);
    g_free(state_dir);
    runs = msm_engine_list_runs(tgt);
    MsmJson *j = common.json ? msm_json_new(TRUE) : NULL;
    GString *s = g_string_new(NULL);
    const char *cur = msm_history_current(hist);
    if (j) {
        msm_json_begin_object(j);
        msm_json_kv_string(j, "target", tgt);
        msm_json_kv_string(j, "version", cur);
        msm_json_key(j, "history");
        msm_json_begin_array(j);
    } else {
        g_string_append_printf(s, "Deployment %s\nVersion (history): %s\n", tgt,
                               cur ? cur : "unknown - no history; 'msmigrate baseline' records "
                                           "it");
        g_string_append_printf(s, "History (%u entr%s):\n", hist->len, hist->len == 1 ? "y" : "ies");
    }
    for (guint i = 0; i < hist->len; i++) {
        const MsmHistoryEntry *e = hist->pdata[i];
        GDateTime *dt = g_date_time_new_from_unix_utc(e->when);
        char *when = dt ? g_date_time_format_iso8601(dt) : g_strdup("?");
        if (dt)
            g_date_time_unref(dt);
        if (j) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "action", e->action);
            msm_json_kv_string(j, "run_id", e->run_id);
            msm_json_kv_string(j, "from", e->from);
            msm_json_kv_string(j, "to", e->to);
            msm_json_kv_string(j, "plugin", e->plugin);
            msm_json_kv_string(j, "plugin_version", e->plugin_version);
            msm_json_kv_string(j, "kinds", e->kinds);
            msm_json_kv_string(j, "when", when);
            msm_json_kv_string(j, "note", e->note);
            msm_json_end_object(j);
        } else {
            g_string_append_printf(s, "  %s %-8s %s -> %s  %s%s%s%s\n", when, e->action,
                                   *e->from ? e->from : "-", e->to,
                                   *e->plugin ? "plugin " : "", e->plugin,
                                   *e->run_id ? "  run " : "", e->run_id);
        }
        g_free(when);
    }
    if (j) {
        msm_json_end_array(j);
        msm_json_key(j, "lock");
        if (locked) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "run_id", li.run_id);
            msm_json_kv_string(j, "host", li.host);
            msm_json_kv_int(j, "pid", li.pid);
            msm_json_kv_bool(j, "stale", stale);
            msm_json_end_object(j);
        } else {
            msm_json_null(j);
        }
        msm_json_key(j, "runs");
        msm_json_begin_array(j);
    } else if (locked) {
        g_string_append_printf(s, "Lock: held by run %s (pid %" G_GINT64_FORMAT " on %s)%s\n",
                               li.run_id, li.pid, li.host,
                               stale ? " - STALE: the holder died; 'run --break-lock' replaces it"
                                     : "");
    } else {
        g_string_append(s, "Lock: free\n");
    }
    if (!j)
        g_string_append_printf(s, "Runs (%u):\n", runs->len);
    for (guint i = 0; i < runs->len; i++) {
        const char *id = runs->pdata[i];
        char *jd = g_build_filename(tgt, ".msmigrate", "runs", id, "journal", NULL);
        MsmJournal *jr = msm_journal_open(jd, FALSE, NULL);
        g_free(jd);
        char *state = jr ? msm_journal_get_meta(jr, "state", NULL) : NULL;
        char *path = jr ? msm_journal_get_meta(jr, "path", NULL) : NULL;
        char *dr = jr ? msm_journal_get_meta(jr, "dry_run", NULL) : NULL;
        guint64 c[5] = {0};
        if (jr)
            msm_journal_count(jr, MSM_KIND_COUNT, c, NULL);
        msm_journal_close(jr);
        if (j) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "run_id", id);
            msm_json_kv_string(j, "state", state ? state : "unreadable");
            msm_json_kv_string(j, "path", path);
            msm_json_kv_bool(j, "dry_run", dr && strcmp(dr, "yes") == 0);
            msm_json_kv_int(j, "done", (gint64)c[MSM_ITEM_DONE]);
            msm_json_kv_int(j, "skipped", (gint64)c[MSM_ITEM_SKIPPED]);
            msm_json_kv_int(j, "failed", (gint64)c[MSM_ITEM_FAILED]);
            msm_json_kv_int(j, "started", (gint64)c[MSM_ITEM_STARTED]);
            msm_json_end_object(j);
        } else {
            g_string_append_printf(s,
                                   "  %s  %-12s %s%s  done %" G_GUINT64_FORMAT
                                   ", skipped %" G_GUINT64_FORMAT ", failed %" G_GUINT64_FORMAT
                                   ", unfinished %" G_GUINT64_FORMAT "\n",
                                   id, state ? state : "unreadable", path ? path : "?",
                                   dr && strcmp(dr, "yes") == 0 ? " (dry run)" : "",
                                   c[MSM_ITEM_DONE], c[MSM_ITEM_SKIPPED], c[MSM_ITEM_FAILED],
                                   c[MSM_ITEM_STARTED]);
        }
        g_free(state);
        g_free(path);
        g_free(dr);
    }
    stepwise = msm_stepwise_list(tgt);
    if (j) {
        msm_json_end_array(j);
        msm_json_key(j, "stepwise");
        msm_json_begin_array(j);
    } else if (stepwise->len) {
        g_string_append_printf(s, "Stepwise runs (%u):\n", stepwise->len);
    }
    for (guint i = 0; i < stepwise->len; i++) {
        const MsmStepwiseInfo *w = stepwise->pdata[i];
        if (j) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "stepwise_id", w->id);
            msm_json_kv_string(j, "state", w->state);
            msm_json_kv_string(j, "path", w->path);
            msm_json_kv_int(j, "steps", w->steps);
            msm_json_kv_int(j, "done", w->done);
            msm_json_kv_string(j, "steps_dir", w->steps_dir);
            msm_json_end_object(j);
        } else {
            g_string_append_printf(s, "  %s  %-12s %s  %u of %u steps done; intermediate roots in %s\n",
                                   w->id, w->state, w->path ? w->path : "?", w->done, w->steps,
                                   w->steps_dir ? w->steps_dir : "?");
        }
    }
    if (j) {
        msm_json_end_array(j);
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        fputs(out, stdout);
        g_free(out);
    } else {
        fputs(s->str, stdout);
    }
    g_string_free(s, TRUE);
    msm_lock_info_clear(&li);
    rc = MSM_EXIT_OK;
out:
    g_clear_error(&err);
    if (hist)
        g_ptr_array_unref(hist);
    if (runs)
        g_ptr_array_unref(runs);
    if (stepwise)
        g_ptr_array_unref(stepwise);
    g_free(target);
    g_free(p_target);
    cli_common_clear(&common);
    return rc;
}

int
cli_baseline(int argc, char **argv)
{
    CliCommon common = {0};
    char *target = NULL, *version = NULL, *note = NULL, *instance = NULL;
    int rc = MSM_EXIT_FAILED;
    GError *err = NULL;
    MsmDetection *det = NULL;
    GPtrArray *hist = NULL;
    const GOptionEntry entries[] = {
        {"target", 0, 0, G_OPTION_ARG_FILENAME, &target, "Deployment root", "DIR"},
        {"version", 0, 0, G_OPTION_ARG_STRING, &version, "Its version", "VERSION"},
        {"note", 0, 0, G_OPTION_ARG_STRING, &note, "Free text kept in the history", "TEXT"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "baseline", "",
                   "Adopt an install msmigrate did not make: check that its layout allows "
                   "--version and record that version in its history.",
                   entries, &common))
        goto out;
    if (target == NULL || version == NULL) {
        fprintf(stderr, "msmigrate: baseline: pass --target DIR and --version VERSION\n");
        goto out;
    }
    const char *id = cli_version(version, "baseline --version");
    if (id == NULL)
        goto out;
    det = msm_detect(target, &err);
    if (det == NULL || msm_detection_pick(det, id, &err) == NULL) {
        cli_error("baseline", err);
        goto out;
    }
    hist = msm_history_load(target, &err);
    if (hist == NULL) {
        cli_error("baseline", err);
        goto out;
    }
    const char *cur = msm_history_current(hist);
    if (cur && strcmp(cur, id) != 0) {
        fprintf(stderr, "msmigrate: baseline: the history of %s already says %s; a baseline "
                        "only adopts an unmanaged install\n",
                target, cur);
        goto out;
    }
    MsmHistoryEntry *e = msm_history_entry_new();
    g_free(e->action);
    e->action = g_strdup("baseline");
    g_free(e->to);
    e->to = g_strdup(id);
    g_free(e->note);
    e->note = g_strdup(note ? note : "");
    e->when = g_get_real_time() / G_USEC_PER_SEC;
    gboolean ok = msm_history_append(target, e, &err);
    msm_history_entry_free(e);
    if (!ok) {
        cli_error("baseline", err);
        goto out;
    }
    if (!common.quiet)
        printf("%s recorded as %s (%s)\n", target, id, msm_version_display_name(id));
    rc = MSM_EXIT_OK;
out:
    g_clear_error(&err);
    if (det)
        msm_detection_free(det);
    if (hist)
        g_ptr_array_unref(hist);
    g_free(target);
    g_free(version);
    g_free(note);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}
