/*
 * NAME
 *	stepwise.h - `msmigrate run --stepwise`: one complete deployment per
 *	version of the plan, hop by hop
 * SUMMARY
 *	A fused run (engine.h) reads the origin once and writes the destination
 *	once. A stepwise run executes the plan's hops v0 -> v1 -> ... -> vn one
 *	at a time, each as an ordinary engine run (msm_engine_run) of one hop:
 *	step i reads the deployment of v(i-1) and writes a complete deployment
 *	of v(i) into an intermediate root; step n writes the real target. The
 *	intermediate roots are kept, so a site can stop at any version
 *	(DESIGN §5). A kind that the plan migrates but that hop i has no
 *	migrator for ("nothing to do on this hop": the data passes unchanged)
 *	is carried through hop i by an identity migrator, so every intermediate
 *	root holds every selected kind. The whole stepwise run has one id and a
 *	state file; --resume ID continues it after any interruption, SIGKILL
 *	included. The user's guide is docs/stepwise.md; the state file and the
 *	intermediate skeletons are specified in docs/formats/run-directory.md.
 * OWNERSHIP
 *	msm_stepwise_run() fills a caller-owned MsmStepwiseReport (clear it with
 *	msm_stepwise_report_clear); the *_text and *_json functions return new
 *	strings (transfer full). The registry and the run options are borrowed
 *	(transfer none) for the duration of the call; the on_step callback gets
 *	a step owned by the report (transfer none, valid during the callback).
 * ERRORS
 *	msm_stepwise_run() returns FALSE with *error set when the stepwise run
 *	could not be carried out (bad options, the deployment locked, the state
 *	file unreadable: exit 1), when the whole plan's preflight refuses it
 *	before anything is written (MSM_ERROR_PRECONDITION, exit 3), or when a
 *	step failed (1), was refused (3) or left failed items (2): the error
 *	names the step and its sub-run, and the report says which root holds
 *	the last good version. rep->exit_code is always set.
 */
#ifndef MSM_CORE_STEPWISE_H
#define MSM_CORE_STEPWISE_H

#include "engine.h"

typedef enum {
    MSM_STEP_PENDING = 0,  /* not started */
    MSM_STEP_RUNNING,      /* started; the process may have died during it */
    MSM_STEP_DONE,         /* its sub-run finished (exit 0) */
    MSM_STEP_DONE_SKIPPED, /* finished with skipped items (exit 2, nothing to retry) */
    MSM_STEP_INCOMPLETE,   /* items failed or differ (exit 2): resume retries them */
    MSM_STEP_FAILED,       /* the sub-run stopped (exit 1) */
    MSM_STEP_REFUSED,      /* the sub-run's preflight refused (exit 3) */
} MsmStepStatus;

/* "pending", "running", "done", ... (static) */
const char *msm_step_status_name(MsmStepStatus status);

typedef struct {
    guint index;       /* 1-based */
    char *from, *to;   /* the hop */
    char *source;      /* the root the step reads: the user's source, or step i-1's root */
    char *root;        /* the root it writes: an intermediate root, or the target (last) */
    char *run_id;      /* its sub-run (an ordinary run of root), or NULL */
    char *runs_before; /* run ids root held before the sub-run started (comma-separated) */
    guint carried;     /* kinds (1 << MsmKind) carried unchanged through this hop */
    MsmStepStatus status;
    gboolean earlier; /* finished by an earlier invocation: report is empty */
    gboolean resumed; /* this invocation resumed the step's sub-run */
    char *skeleton;   /* what was laid out before the step ("config/msg.conf, data/run"), or NULL */
    char *error;      /* the sub-run's error message, or NULL */
    MsmRunReport report; /* this invocation's sub-run report (zeroed when earlier) */
} MsmStepwiseStep;

typedef struct {
    const char *steps_dir; /* NULL: <target>/.msmigrate/steps; else the roots go under
                            * steps_dir/<id>/ (must not be inside the source or the target) */
    /* Called after each step (also one finished earlier); may be NULL. */
    void (*on_step)(const MsmStepwiseStep *step, guint n_steps, gpointer data);
    gpointer data;
} MsmStepwiseOptions;

typedef struct {
    char *id; /* the stepwise run id (same form as a run id) */
    char *source, *target, *from, *to, *path;
    char *steps_dir;  /* the directory holding the intermediate roots (<...>/<id>) */
    char *state_file; /* <target>/.msmigrate/stepwise/<id>/state, or NULL (dry run) */
    gboolean dry_run;
    gboolean resumed;   /* --resume ID */
    GPtrArray *steps;   /* MsmStepwiseStep* */
    gboolean has_whole; /* whole is filled: the plan's preflight refused, or the dry run */
    MsmRunReport whole; /* the fused preflight or dry run of the whole plan */
    MsmExitCode exit_code;
    guint stopped_at; /* the step that stopped the chain (1-based), 0 = none */
    char *last_good_version, *last_good_root; /* the newest complete version written */
    double seconds;
} MsmStepwiseReport;

void msm_stepwise_report_clear(MsmStepwiseReport *rep);

/* One stepwise run of a target, as `msmigrate status` lists it. */
typedef struct {
    char *id;
    char *state;       /* "running", "stopped", "finished", or "unreadable" */
    char *path;        /* "ims-5.2 -> ms-6.0 -> ..." or NULL */
    guint steps, done; /* steps planned, steps done */
    char *steps_dir;   /* where its intermediate roots are, or NULL */
} MsmStepwiseInfo;

/* The stepwise runs of target_root, oldest first: MsmStepwiseInfo* with a free
 * function (transfer full). A state file that cannot be read is listed with
 * state "unreadable". */
GPtrArray *msm_stepwise_list(const char *target_root);

/* TRUE when <target>/.msmigrate/stepwise/<id>/state exists (id names a stepwise run). */
gboolean msm_stepwise_exists(const char *target_root, const char *id);

/* Runs the plan opt->from -> opt->to stepwise, or resumes the stepwise run
 * opt->resume_id (its parameters come from the state file; opt->threads,
 * profile, break_lock, quiet, verbose and progress are taken from opt). With
 * opt->dry_run it writes no intermediate root and no state file: it runs one
 * fused dry run of the whole plan (reading and transforming everything) and
 * reports the steps a real run would take. */
gboolean msm_stepwise_run(MsmRegistry *reg, const MsmRunOptions *opt, const MsmStepwiseOptions *sw,
                          MsmStepwiseReport *rep, GError **error);

/* One step's section of the human report. (transfer full) */
char *msm_stepwise_step_text(const MsmStepwiseStep *step, guint n_steps);
/* The human summary; with_steps TRUE puts every step's section first. (transfer full) */
char *msm_stepwise_report_text(const MsmStepwiseReport *rep, gboolean with_steps);
/* The JSON report (docs/stepwise.md). (transfer full) */
char *msm_stepwise_report_json(const MsmStepwiseReport *rep);

#endif
