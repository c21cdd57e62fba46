/*
 * NAME
 *	engine.h - runs a plan: preflight, migrate each kind through the chain,
 *	verify, report; and verify / rollback of a finished run
 * SUMMARY
 *	A run reads the source once per kind, passes every item through the
 *	transforms of each hop of the plan in memory and writes the final form
 *	once (DESIGN §5). Each item is journalled (journal.h) as started, then
 *	done with the SHA-256 of what was written, so a run killed at any point
 *	resumes (--resume ID) with nothing lost and nothing written twice.
 *	The work directory is <target>/.msmigrate/runs/<run-id>/ (format:
 *	docs/formats/run-directory.md).
 */
#ifndef MSM_CORE_ENGINE_H
#define MSM_CORE_ENGINE_H

#include "planner.h"
#include "registry.h"

typedef struct {
    const char *source_root;
    const char *target_root;
    const char *from;       /* canonical id, or NULL: detected */
    const char *to;         /* canonical id (mandatory unless resuming) */
    const char *instance;   /* --instance */
    guint kinds;            /* bit mask of (1 << MsmKind); 0 = all */
    gboolean dry_run;
    gboolean force;         /* re-apply a hop the history already records */
    gboolean break_lock;    /* replace a stale lock */
    const char *const *confirm;  /* precondition ids confirmed by hand */
    const char *const *override; /* precondition ids overridden where allowed */
    const char *resume_id;  /* resume this run */
    guint threads;          /* workers for thread-safe writers; 0 = number of cores */
    const char *guard;      /* guard name, or NULL */
    GKeyFile *profile;      /* (transfer none) may be NULL */
    gboolean quiet;
    gboolean verbose;
    gboolean progress;      /* progress lines on stderr (default: when it is a terminal) */
    guint lease_seconds;    /* lock lease; 0 = 60 */
    const char *command;    /* command line summary for the lock (never with secrets) */
} MsmRunOptions;

typedef struct {
    MsmKind kind;
    guint64 done, skipped, failed, already; /* already = done by an earlier attempt */
    guint64 emitted;       /* items added by finish callbacks */
    guint64 bytes;
    gboolean ran;          /* FALSE: nothing to do on any hop, or not selected */
    char *note;            /* why it did not run, or what a run that ran should know; or NULL */
    guint64 verified, verify_missing, verify_differs;
} MsmKindReport;

typedef struct {
    char *hop;             /* "ims-5.2 -> ms-6.0" */
    char *id;
    char *result;          /* "pass", "fail", "manual-confirmed", "manual-unconfirmed",
                            * "overridden", "error" */
    char *detail;
} MsmPreflightItem;

typedef struct {
    char *run_id;
    char *work_dir;
    char *from, *to, *path;
    MsmExitCode exit_code;
    gboolean dry_run;
    gboolean refused;      /* preflight refused: nothing changed */
    MsmKindReport kinds[MSM_KIND_COUNT];
    GPtrArray *preflight;  /* MsmPreflightItem* */
    GPtrArray *problems;   /* char*: failed items, verify differences (first 1000) */
    double seconds;
} MsmRunReport;

void msm_run_report_clear(MsmRunReport *rep);
/* Human report (transfer full). */
char *msm_run_report_text(const MsmRunReport *rep);
/* JSON report (transfer full), docs/formats/report-json.md. */
char *msm_run_report_json(const MsmRunReport *rep);

/* Runs (or resumes) a migration. Returns FALSE only when the run could not be
 * carried out at all (bad options, lock held, journal failure); then *error says
 * why and rep->exit_code is 1 (or 3 for preflight refusals, which fill
 * rep->preflight and also return FALSE with MSM_ERROR_PRECONDITION). Item failures
 * do not make it return FALSE: they give exit code 2 (rerun with --resume). */
gboolean msm_engine_run(MsmRegistry *reg, const MsmRunOptions *opt, MsmRunReport *rep,
                        GError **error);

/* Checks the preconditions of every hop of plan without changing anything
 * (what `plan --check` and the start of `run` do). Fills rep->preflight; returns
 * FALSE with MSM_ERROR_PRECONDITION if any refuses. */
gboolean msm_engine_preflight(MsmRegistry *reg, const MsmPlan *plan, const MsmRunOptions *opt,
                              MsmRunReport *rep, GError **error);

/* Verifies a finished run again: re-reads the target and compares every
 * journalled item's digest. Exit code 2 in rep when anything differs. */
gboolean msm_engine_verify(MsmRegistry *reg, const char *target_root, const char *run_id,
                           MsmRunReport *rep, GError **error);

/* Undoes a run (codec rollbacks in reverse kind order, guard rollback when the run
 * had a guard), refusing irreversible hops unless the guard can roll back. */
gboolean msm_engine_rollback(MsmRegistry *reg, const char *target_root, const char *run_id,
                             const MsmRunOptions *opt, MsmRunReport *rep, GError **error);

/* TRUE when a reader_next() error concerns one entry only (codec.h): the host
 * records it and reads on. */
gboolean msm_reader_error_is_per_entry(const GError *err);

/* Digest of an item as the journal records it; consumes the item's streams.
 * (transfer full) */
char *msm_item_digest(MsmItem *item, guint64 *bytes_r, GError **error);

/* Run ids found under <target>/.msmigrate/runs, oldest first. (transfer full) */
GPtrArray *msm_engine_list_runs(const char *target_root);
/* <target>/.msmigrate (transfer full) */
char *msm_state_dir(const char *target_root);

#endif
