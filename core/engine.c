/*
 * NAME
 *	engine.c - preflight, chained migration, journal, resume, verify, report
 * SUMMARY
 *	See engine.h. The flow of msm_engine_run():
 *	 1. resolve the run (new, or --resume ID: options come from the journal)
 *	 2. plan, take the deployment lock, resolve layouts
 *	 3. preflight every hop (preconditions, migrator and guard preflight,
 *	    codecs present) before anything is written; refusal = exit 3
 *	 4. create the work directory and journal; guard before()
 *	 5. per kind (config, directory, store, queue): read the origin once,
 *	    pass each item through the hops' transforms, write it once,
 *	    journal it; then each hop's finish() may emit new items
 *	 6. verify what was written against the journal; history; report
 * DIAGNOSTICS
 *	Item failures are journalled with their message and the run goes on
 *	(exit 2: rerun with --resume). A transform returning STOP, a writer
 *	that cannot open, a journal failure or SIGINT/SIGTERM end the run
 *	(exit 1), resumable.
 */
#include "config.h"

#include "engine.h"

#include "ctxpriv.h"
#include "detect.h"
#include "digest.h"
#include "history.h"
#include "journal.h"
#include "json.h"
#include "lock.h"
#include "profile.h"
#include "store-stage.h"
#include "util.h"

#include <db.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Kinds in the order a run migrates them: configuration first, the directory
 * before the store (seed 003 migrates the directory, then mailboxes). */
static const MsmKind kind_order[MSM_KIND_COUNT] = {MSM_KIND_CONFIG, MSM_KIND_DIRECTORY,
                                                   MSM_KIND_STORE, MSM_KIND_QUEUE};

/* The key queued messages are digested under (process_item, verify_queue): their
 * keys change on the way, as each queue format names its files its own way. */
#define QUEUE_DIGEST_KEY "queue"

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

char *
msm_state_dir(const char *target_root)
{
    return g_build_filename(target_root, ".msmigrate", NULL);
}

static char *
runs_dir(const char *target_root)
{
    return g_build_filename(target_root, ".msmigrate", "runs", NULL);
}

GPtrArray *
msm_engine_list_runs(const char *target_root)
{
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    char *dir = runs_dir(target_root);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d) {
        const char *e;
        while ((e = g_dir_read_name(d)) != NULL)
            if (e[0] != '.')
                g_ptr_array_add(ids, g_strdup(e));
        g_dir_close(d);
    }
    g_free(dir);
    g_ptr_array_sort(ids, msm_strcmp_ptr);
    return ids;
}

/* ---------------------------------------------------------------- report */

static void
preflight_item_free(gpointer p)
{
    MsmPreflightItem *it = p;
    g_free(it->hop);
    g_free(it->id);
    g_free(it->result);
    g_free(it->detail);
    g_free(it);
}

static void
report_init(MsmRunReport *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->preflight = g_ptr_array_new_with_free_func(preflight_item_free);
    rep->problems = g_ptr_array_new_with_free_func(g_free);
    for (int k = 0; k < MSM_KIND_COUNT; k++)
        rep->kinds[k].kind = (MsmKind)k;
    rep->exit_code = MSM_EXIT_FAILED;
}

void
msm_run_report_clear(MsmRunReport *rep)
{
    g_free(rep->run_id);
    g_free(rep->work_dir);
    g_free(rep->from);
    g_free(rep->to);
    g_free(rep->path);
    for (int k = 0; k < MSM_KIND_COUNT; k++)
        g_free(rep->kinds[k].note);
    if (rep->preflight)
        g_ptr_array_unref(rep->preflight);
    if (rep->problems)
        g_ptr_array_unref(rep->problems);
    memset(rep, 0, sizeof *rep);
}

static G_GNUC_PRINTF(2, 3) void
add_problem(MsmRunReport *rep, const char *fmt, ...)
{
    static GMutex m;
    va_list ap;
    va_start(ap, fmt);
    char *s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_mutex_lock(&m);
    if (rep->problems->len < 1000)
        g_ptr_array_add(rep->problems, s);
    else
        g_free(s);
    g_mutex_unlock(&m);
}

static void
add_preflight(MsmRunReport *rep, const char *hop, const char *id, const char *result,
              const char *detail)
{
    MsmPreflightItem *it = g_new0(MsmPreflightItem, 1);
    it->hop = g_strdup(hop);
    it->id = g_strdup(id);
    it->result = g_strdup(result);
    it->detail = g_strdup(detail ? detail : "");
    g_ptr_array_add(rep->preflight, it);
}

static const char *
exit_text(MsmExitCode c)
{
    switch (c) {
    case MSM_EXIT_OK:
        return "done";
    case MSM_EXIT_SKIPPED:
        return "done with skipped or failed items: rerun with --resume";
    case MSM_EXIT_REFUSED:
        return "refused by preflight: nothing was changed";
    default:
        return "failed";
    }
}

char *
msm_run_report_text(const MsmRunReport *rep)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "Run %s%s\n", rep->run_id ? rep->run_id : "(none)",
                           rep->dry_run ? " (dry run: nothing written outside the work "
                                          "directory)"
                                        : "");
    if (rep->path)
        g_string_append_printf(s, "Path: %s\n", rep->path);
    if (rep->work_dir && !rep->refused)
        g_string_append_printf(s, "Work directory: %s\n", rep->work_dir);
    if (rep->preflight->len) {
        g_string_append(s, "Preflight:\n");
        for (guint i = 0; i < rep->preflight->len; i++) {
            const MsmPreflightItem *p = rep->preflight->pdata[i];
            g_string_append_printf(s, "  %-20s %-18s %s%s%s\n", p->hop, p->result, p->id,
                                   *p->detail ? ": " : "", p->detail);
        }
    }
    gboolean any = FALSE;
    for (int i = 0; i < MSM_KIND_COUNT; i++) {
        const MsmKindReport *k = &rep->kinds[kind_order[i]];
        if (!k->ran && !k->note)
            continue;
        if (!any)
            g_string_append(s, "Kinds:\n");
        any = TRUE;
        if (!k->ran) {
            g_string_append_printf(s, "  %-9s %s\n", msm_kind_name(k->kind), k->note);
            continue;
        }
        g_string_append_printf(s,
                               "  %-9s %" G_GUINT64_FORMAT " done, %" G_GUINT64_FORMAT
                               " already done earlier, %" G_GUINT64_FORMAT
                               " skipped, %" G_GUINT64_FORMAT " failed, %" G_GUINT64_FORMAT
                               " bytes",
                               msm_kind_name(k->kind), k->done, k->already, k->skipped,
                               k->failed, k->bytes);
        if (k->emitted)
            g_string_append_printf(s, " (%" G_GUINT64_FORMAT " new in the target version)",
                                   k->emitted);
        if (k->verified || k->verify_missing || k->verify_differs)
            g_string_append_printf(s,
                                   "; verify: %" G_GUINT64_FORMAT " match, %" G_GUINT64_FORMAT
                                   " missing, %" G_GUINT64_FORMAT " differ",
                                   k->verified, k->verify_missing, k->verify_differs);
        g_string_append_c(s, '\n');
        if (k->note)
            g_string_append_printf(s, "            %s\n", k->note);
    }
    for (guint i = 0; i < rep->problems->len; i++)
        g_string_append_printf(s, "  problem: %s\n", (const char *)rep->problems->pdata[i]);
    g_string_append_printf(s, "Result: %s (exit %d) in %.1f s\n", exit_text(rep->exit_code),
                           rep->exit_code, rep->seconds);
    return g_string_free(s, FALSE);
}

char *
msm_run_report_json(const MsmRunReport *rep)
{
    MsmJson *j = msm_json_new(TRUE);
    msm_json_begin_object(j);
    msm_json_kv_string(j, "run_id", rep->run_id);
    msm_json_kv_string(j, "from", rep->from);
    msm_json_kv_string(j, "to", rep->to);
    msm_json_kv_string(j, "path", rep->path);
    msm_json_kv_string(j, "work_dir", rep->refused ? NULL : rep->work_dir);
    msm_json_kv_bool(j, "dry_run", rep->dry_run);
    msm_json_kv_int(j, "exit_code", rep->exit_code);
    msm_json_kv_string(j, "result", exit_text(rep->exit_code));
    msm_json_key(j, "seconds");
    msm_json_int(j, (gint64)(rep->seconds * 1000) / 1000);
    msm_json_key(j, "preflight");
    msm_json_begin_array(j);
    for (guint i = 0; i < rep->preflight->len; i++) {
        const MsmPreflightItem *p = rep->preflight->pdata[i];
        msm_json_begin_object(j);
        msm_json_kv_string(j, "hop", p->hop);
        msm_json_kv_string(j, "id", p->id);
        msm_json_kv_string(j, "result", p->result);
        msm_json_kv_string(j, "detail", p->detail);
        msm_json_end_object(j);
    }
    msm_json_end_array(j);
    msm_json_key(j, "kinds");
    msm_json_begin_object(j);
    for (int i = 0; i < MSM_KIND_COUNT; i++) {
        const MsmKindReport *k = &rep->kinds[kind_order[i]];
        msm_json_key(j, msm_kind_name(k->kind));
        msm_json_begin_object(j);
        msm_json_kv_bool(j, "ran", k->ran);
        msm_json_kv_string(j, "note", k->note);
        msm_json_kv_int(j, "done", (gint64)k->done);
        msm_json_kv_int(j, "already_done", (gint64)k->already);
        msm_json_kv_int(j, "skipped", (gint64)k->skipped);
        msm_json_kv_int(j, "failed", (gint64)k->failed);
        msm_json_kv_int(j, "emitted", (gint64)k->emitted);
        msm_json_kv_int(j, "bytes", (gint64)k->bytes);
        msm_json_kv_int(j, "verified", (gint64)k->verified);
        msm_json_kv_int(j, "verify_missing", (gint64)k->verify_missing);
        msm_json_kv_int(j, "verify_differs", (gint64)k->verify_differs);
        msm_json_end_object(j);
    }
    msm_json_end_object(j);
    msm_json_key(j, "problems");
    msm_json_begin_array(j);
    for (guint i = 0; i < rep->problems->len; i++)
        msm_json_string(j, rep->problems->pdata[i]);
    msm_json_end_array(j);
    msm_json_end_object(j);
    return msm_json_finish(j);
}

/* ---------------------------------------------------------------- setup */

static gboolean
in_list(const char *const *list, const char *id)
{
    for (const char *const *p = list; p && *p; p++)
        if (strcmp(*p, id) == 0)
            return TRUE;
    return FALSE;
}

static gboolean
kind_selected(guint mask, MsmKind k)
{
    return mask == 0 || (mask & (1u << k)) != 0;
}

/* The kinds a run selecting `selected` (0 = all) migrates on hop: those it has a
 * migrator for. */
static guint
hop_kinds(const MsmHop *hop, guint selected)
{
    guint mask = 0;
    for (int k = 0; k < MSM_KIND_COUNT; k++)
        if (msm_hop_migrator(hop, (MsmKind)k) && kind_selected(selected, (MsmKind)k))
            mask |= 1u << k;
    return mask;
}

/* Where a kind's writer writes and verify reads: the target, or the stage of an in-place
 * store run (store-stage.h). */
static const char *
kind_root(const MsmCtx *ctx, MsmKind kind)
{
    return kind == MSM_KIND_STORE && ctx->store_stage_root ? ctx->store_stage_root
                                                           : ctx->target_root;
}

/* A context for the run; layouts are resolved by the caller. (transfer full) */
static MsmCtx *
make_ctx(MsmRegistry *reg, const MsmRunOptions *opt, const char *source, const char *target,
         const char *from, const char *to, const char *instance)
{
    MsmCtx *ctx = msm_ctx_new();
    ctx->registry = reg;
    ctx->source_root = g_strdup(source);
    ctx->target_root = g_strdup(target);
    ctx->run_from = g_strdup(from);
    ctx->run_to = g_strdup(to);
    ctx->instance = g_strdup(instance);
    ctx->dry_run = opt->dry_run;
    ctx->force = opt->force;
    ctx->profile = opt->profile;
    ctx->secret_func = msm_profile_secret;
    ctx->secret_data = opt->profile;
    ctx->quiet = opt->quiet;
    ctx->verbose = opt->verbose;
    return ctx;
}

/* Resolves the source layout; failure is a preflight refusal (several instances). */
static gboolean
resolve_source_layout(MsmCtx *ctx, MsmRunReport *rep)
{
    GError *err = NULL;
    ctx->source_layout = msm_layout_resolve(ctx->source_root, ctx->run_from, ctx->instance, &err);
    if (ctx->source_layout == NULL) {
        add_preflight(rep, "source", "source-layout", "fail", err->message);
        g_error_free(err);
        return FALSE;
    }
    return TRUE;
}

static char *
hop_name(const MsmHop *hop)
{
    return g_strdup_printf("%s -> %s", hop->from, hop->to);
}

static gboolean
preflight_with_ctx(MsmRegistry *reg, MsmCtx *ctx, const MsmPlan *plan, const MsmRunOptions *opt,
                   MsmRunReport *rep, GError **error)
{
    guint refused = 0;
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        char *hn = hop_name(h->hop);
        GError *err = NULL;
        if (!msm_ctx_enter_hop(ctx, h->hop->from, h->hop->to, &err)) {
            add_preflight(rep, hn, "target-layout", "fail", err->message);
            g_clear_error(&err);
            refused++;
            g_free(hn);
            continue;
        }
        ctx->hop_kinds = hop_kinds(h->hop, opt->kinds);
        for (const MsmPrecondition *p = h->hop->preconditions; p && p->id; p++) {
            if (p->check == NULL) {
                if (in_list(opt->confirm, p->id)) {
                    add_preflight(rep, hn, p->id, "manual-confirmed", p->text);
                } else {
                    char *d = g_strdup_printf("%s - check it by hand, then pass --confirm %s",
                                              p->text, p->id);
                    add_preflight(rep, hn, p->id, "manual-unconfirmed", d);
                    g_free(d);
                    refused++;
                }
                continue;
            }
            char *detail = NULL;
            MsmCheckResult r = p->check(ctx, &detail, &err);
            if (r == MSM_CHECK_PASS) {
                add_preflight(rep, hn, p->id, "pass", detail);
            } else if (r == MSM_CHECK_MANUAL) {
                gboolean ok = in_list(opt->confirm, p->id);
                char *d = g_strdup_printf("%s%s%s", detail ? detail : p->text,
                                          ok ? "" : " - check it by hand, then pass --confirm ",
                                          ok ? "" : p->id);
                add_preflight(rep, hn, p->id, ok ? "manual-confirmed" : "manual-unconfirmed", d);
                g_free(d);
                if (!ok)
                    refused++;
            } else {
                const char *what = err ? err->message : (detail ? detail : p->text);
                if (in_list(opt->override, p->id) && p->override && err == NULL) {
                    char *d = g_strdup_printf("%s (overridden: %s)", what, p->override);
                    add_preflight(rep, hn, p->id, "overridden", d);
                    g_free(d);
                } else {
                    char *d;
                    if (in_list(opt->override, p->id) && !p->override)
                        d = g_strdup_printf("%s - this condition cannot be overridden", what);
                    else if (p->override)
                        d = g_strdup_printf("%s - fix it, or pass --override %s (%s)", what,
                                            p->id, p->override);
                    else
                        d = g_strdup(what);
                    add_preflight(rep, hn, p->id, err ? "error" : "fail", d);
                    g_free(d);
                    refused++;
                }
                g_clear_error(&err);
            }
            g_free(detail);
        }
        for (int k = 0; k < MSM_KIND_COUNT; k++) {
            if (!kind_selected(opt->kinds, (MsmKind)k))
                continue;
            /* Every migrator struct starts with iface_version, struct_size, preflight. */
            const MsmConfigMigrator *m = msm_hop_migrator(h->hop, (MsmKind)k);
            if (m && m->preflight && !m->preflight(ctx, &err)) {
                char *id = g_strdup_printf("%s-migrator", msm_kind_name((MsmKind)k));
                add_preflight(rep, hn, id, "fail", err ? err->message : "refused");
                g_free(id);
                g_clear_error(&err);
                refused++;
            }
        }
        g_free(hn);
    }
    char *path = msm_plan_path_string(plan);
    for (int k = 0; k < MSM_KIND_COUNT; k++) {
        if (!kind_selected(opt->kinds, (MsmKind)k))
            continue;
        MsmPlanKind pk;
        msm_plan_kind(plan, (MsmKind)k, &pk);
        if (pk.n_pending) {
            char *id = g_strdup_printf("kind-%s", msm_kind_name((MsmKind)k));
            char *d = g_strdup_printf("plugin %s does not migrate the %s on %s -> %s yet, and "
                                      "the vendor's procedure does: leave it out with --only "
                                      "(naming the other kinds) and migrate it another way",
                                      pk.first_pending->plugin->name, msm_kind_name((MsmKind)k),
                                      pk.first_pending->hop->from, pk.first_pending->hop->to);
            add_preflight(rep, path, id, "fail", d);
            g_free(d);
            g_free(id);
            refused++;
            continue;
        }
        if (pk.n_migrators == 0)
            continue;
        char *id = g_strdup_printf("codec-%s", msm_kind_name((MsmKind)k));
        if (pk.reader == NULL || pk.writer == NULL) {
            const char *v = pk.reader == NULL ? plan->from : plan->to;
            char *d = g_strdup_printf("no %s codec that %s %s is loaded: install the plugin of "
                                      "the hop %s that version (see 'msmigrate plugins'), or "
                                      "leave this kind out with --only",
                                      msm_kind_name((MsmKind)k),
                                      pk.reader == NULL ? "reads" : "writes", v,
                                      pk.reader == NULL ? "from" : "to");
            add_preflight(rep, path, id, "fail", d);
            g_free(d);
            refused++;
        } else {
            char *d = g_strdup_printf("read with %s (%s), written with %s (%s)",
                                      pk.reader->codec->name, pk.reader->plugin->name,
                                      pk.writer->codec->name, pk.writer->plugin->name);
            add_preflight(rep, path, id, "pass", d);
            g_free(d);
        }
        g_free(id);
    }
    if (opt->guard) {
        const MsmGuardRef *g = msm_registry_find_guard(reg, opt->guard);
        GError *err = NULL;
        if (g == NULL) {
            char *d = g_strdup_printf("no loaded plugin provides the guard \"%s\" (the ZFS "
                                      "guard comes with msmigrate-plugin-zfs-snapshot-rollback)",
                                      opt->guard);
            add_preflight(rep, path, "guard", "fail", d);
            g_free(d);
            refused++;
        } else if (g->guard->preflight && !g->guard->preflight(ctx, &err)) {
            add_preflight(rep, path, "guard", "fail", err ? err->message : "refused");
            g_clear_error(&err);
            refused++;
        } else {
            add_preflight(rep, path, "guard", "pass", g->guard->summary);
        }
    }
    g_free(path);
    if (refused) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "preflight refused the run: %u condition%s not met (nothing was changed)",
                    refused, refused == 1 ? "" : "s");
        return FALSE;
    }
    return TRUE;
}

gboolean
msm_engine_preflight(MsmRegistry *reg, const MsmPlan *plan, const MsmRunOptions *opt,
                     MsmRunReport *rep, GError **error)
{
    if (rep->preflight == NULL)
        report_init(rep);
    MsmCtx *ctx = make_ctx(reg, opt, opt->source_root, opt->target_root, plan->from, plan->to,
                           opt->instance);
    gboolean ok = resolve_source_layout(ctx, rep);
    if (!ok)
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "preflight refused the run: the source layout is not usable");
    else
        ok = preflight_with_ctx(reg, ctx, plan, opt, rep, error);
    msm_ctx_free(ctx);
    rep->exit_code = ok ? MSM_EXIT_OK : MSM_EXIT_REFUSED;
    return ok;
}

/* ---------------------------------------------------------------- kind runner */

gboolean
msm_reader_error_is_per_entry(const GError *err)
{
    return err && (g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE) ||
                   g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
}

typedef struct {
    MsmCtx *ctx;            /* the run's context (shared, read-only here) */
    const MsmPlan *plan;
    MsmKind kind;
    MsmJournal *journal;
    MsmRunReport *rep;
    MsmLayout **layouts;    /* target layout per step */
    const MsmCodec *writer_codec;
    gpointer writer;
    gboolean dry_run;
    GMutex mutex;           /* counters, fatal, inflight */
    GCond cond;
    guint inflight;
    gboolean fatal;
    GError *fatal_error;
    guint64 processed;
} KindRun;

typedef struct {
    MsmItem *item;
    guint start;            /* first plan step whose transform applies */
    gboolean emitted;
} Task;

/* A copy of the run context for step i (hop fields and target layout set). */
static void
step_ctx(KindRun *kr, guint i, MsmCtx *local)
{
    const MsmHopRef *h = kr->plan->steps->pdata[i];
    *local = *kr->ctx;
    local->hop_from = h->hop->from;
    local->hop_to = h->hop->to;
    local->target_layout = kr->layouts[i];
}

/* Lazily applies the store migrators' transform_message of the chain. */
typedef struct {
    KindRun *kr;
    guint start;
    const MsmFolder *folder;
    MsmMessageIter *inner;
    guint64 dropped;
    char *key;
} MsgChain;

static gboolean
msg_chain_next(gpointer data, MsmMessage **msg_r, GError **error)
{
    MsgChain *mc = data;
    for (;;) {
        MsmMessage *m = NULL;
        if (!msm_message_iter_next(mc->inner, &m, error))
            return FALSE;
        if (m == NULL) {
            *msg_r = NULL;
            return TRUE;
        }
        gboolean keep = TRUE;
        for (guint i = mc->start; i < mc->kr->plan->steps->len && keep; i++) {
            const MsmHopRef *h = mc->kr->plan->steps->pdata[i];
            const MsmStoreMigrator *sm = h->hop->store;
            if (sm == NULL || sm->transform_message == NULL)
                continue;
            MsmCtx local;
            step_ctx(mc->kr, i, &local);
            MsmResult r = sm->transform_message(&local, mc->folder, m, error);
            if (r == MSM_RESULT_SKIP) {
                keep = FALSE;
                mc->dropped++;
                msm_ctx_log(mc->kr->ctx, MSM_LOG_INFO,
                            "%s: message UID %u left out by hop %s -> %s", mc->key, m->uid,
                            h->hop->from, h->hop->to);
            } else if (r != MSM_RESULT_CONTINUE) {
                guint32 uid = m->uid;
                msm_message_free(m);
                if (error && *error == NULL)
                    g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                                "hop %s -> %s failed on message UID %u", h->hop->from,
                                h->hop->to, uid);
                return FALSE;
            }
        }
        if (keep) {
            *msg_r = m;
            return TRUE;
        }
        msm_message_free(m);
    }
}

static void
msg_chain_free(gpointer data)
{
    MsgChain *mc = data;
    msm_message_iter_free(mc->inner);
    g_free(mc->key);
    g_free(mc);
}

static void
count(KindRun *kr, guint64 *field, guint64 n)
{
    g_mutex_lock(&kr->mutex);
    *field += n;
    g_mutex_unlock(&kr->mutex);
}

static void
set_fatal(KindRun *kr, GError *err)
{
    g_mutex_lock(&kr->mutex);
    if (!kr->fatal) {
        kr->fatal = TRUE;
        kr->fatal_error = err;
    } else {
        g_clear_error(&err);
    }
    g_mutex_unlock(&kr->mutex);
}

/* Journals one item's failure (or deliberate skip) with its reason. */
static void
journal_outcome(KindRun *kr, const MsmItem *item, MsmItemStatus st, const char *why)
{
    GError *jerr = NULL;
    if (!msm_journal_record(kr->journal, kr->kind, item->key, st, NULL, 0, why, &jerr))
        set_fatal(kr, jerr);
    MsmKindReport *k = &kr->rep->kinds[kr->kind];
    if (st == MSM_ITEM_SKIPPED) {
        count(kr, &k->skipped, 1);
        add_problem(kr->rep, "%s %s skipped: %s", msm_kind_name(kr->kind), item->key, why);
    } else {
        count(kr, &k->failed, 1);
        add_problem(kr->rep, "%s %s failed: %s", msm_kind_name(kr->kind), item->key, why);
    }
    msm_ctx_log(kr->ctx, st == MSM_ITEM_SKIPPED ? MSM_LOG_INFO : MSM_LOG_ERROR, "%s %s %s: %s",
                msm_kind_name(kr->kind), item->key,
                st == MSM_ITEM_SKIPPED ? "skipped" : "failed", why);
}

/* Takes one item through the chain from step `start`, writes and journals it. */
static void
process_item(KindRun *kr, MsmItem *item, guint start, gboolean emitted)
{
    MsmKindReport *k = &kr->rep->kinds[kr->kind];
    GError *err = NULL;
    MsmJournalRecord rec;
    char *src_key = g_strdup(item->key); /* a hop may rename the item (sims40 owner renames) */
    if (msm_journal_lookup(kr->journal, kr->kind, item->key, &rec, &err)) {
        gboolean finished = rec.status == MSM_ITEM_DONE || rec.status == MSM_ITEM_SKIPPED;
        msm_journal_record_clear(&rec);
        if (finished) {
            count(kr, &k->already, 1);
            goto out;
        }
    } else if (err) {
        set_fatal(kr, err);
        goto out;
    }
    if (!msm_journal_record(kr->journal, kr->kind, item->key, MSM_ITEM_STARTED, NULL, 0, NULL,
                            &err)) {
        set_fatal(kr, err);
        goto out;
    }
    for (guint i = start; i < kr->plan->steps->len; i++) {
        const MsmHopRef *h = kr->plan->steps->pdata[i];
        const MsmConfigMigrator *m = msm_hop_migrator(h->hop, kr->kind);
        if (m == NULL)
            continue;
        MsmCtx local;
        step_ctx(kr, i, &local);
        MsmResult r = m->transform(&local, item, &err);
        if (r == MSM_RESULT_CONTINUE) {
            g_clear_error(&err);
            continue;
        }
        char *why = g_strdup_printf("hop %s -> %s (plugin %s): %s", h->hop->from, h->hop->to,
                                    h->plugin->name,
                                    err ? err->message
                                        : (r == MSM_RESULT_SKIP ? "left out" : "failed"));
        if (r == MSM_RESULT_SKIP) {
            journal_outcome(kr, item, MSM_ITEM_SKIPPED, why);
        } else {
            journal_outcome(kr, item, MSM_ITEM_FAILED, why);
            if (r == MSM_RESULT_STOP)
                set_fatal(kr, g_error_new(MSM_ERROR, MSM_ERROR_FAILED, "%s %s: %s",
                                          msm_kind_name(kr->kind), item->key, why));
        }
        g_free(why);
        g_clear_error(&err);
        goto out;
    }
    if (kr->kind == MSM_KIND_STORE) {
        MsmFolder *f = item->payload;
        if (f->messages) {
            MsgChain *mc = g_new0(MsgChain, 1);
            mc->kr = kr;
            mc->start = start;
            mc->folder = f;
            mc->inner = f->messages;
            mc->key = g_strdup(item->key);
            f->messages = msm_message_iter_new(msg_chain_next, mc, msg_chain_free);
        }
    }
    /* A queued message's key changes on the way (verify_queue): digest it without its key. */
    char *saved_key = NULL;
    if (kr->kind == MSM_KIND_QUEUE) {
        saved_key = item->key;
        item->key = g_strdup(QUEUE_DIGEST_KEY);
    }
    MsmDigestTee *tee = msm_digest_attach(item);
    if (saved_key) {
        g_free(item->key);
        item->key = saved_key;
    }
    gboolean ok;
    if (kr->dry_run)
        ok = msm_digest_drain(tee, item, &err);
    else
        ok = kr->writer_codec->writer_put(kr->writer, item, &err);
    guint64 bytes = 0;
    char *digest = msm_digest_finish(tee, &bytes);
    if (!ok) {
        journal_outcome(kr, item, MSM_ITEM_FAILED, err ? err->message : "the writer failed");
        if (err && g_error_matches(err, MSM_ERROR, MSM_ERROR_NO_SPACE)) {
            /* every later item would fail the same way: stop, resumable */
            g_prefix_error(&err, "the target's file system is full; make room, then --resume: ");
            set_fatal(kr, g_steal_pointer(&err));
        }
        g_clear_error(&err);
        g_free(digest);
        goto out;
    }
    if (!msm_journal_record(kr->journal, kr->kind, item->key, MSM_ITEM_DONE, digest, bytes,
                            kr->dry_run ? "dry run: not written" : "", &err)) {
        set_fatal(kr, err);
    } else {
        count(kr, &k->done, 1);
        count(kr, &k->bytes, bytes);
        if (emitted)
            count(kr, &k->emitted, 1);
        /* renamed: the source key is finished too (no digest: verify skips it) */
        if (strcmp(src_key, item->key) != 0)
            msm_journal_record(kr->journal, kr->kind, src_key, MSM_ITEM_DONE, NULL, 0,
                               item->key, NULL);
    }
    g_free(digest);
out:
    g_free(src_key);
    msm_item_free(item);
    count(kr, &kr->processed, 1);
}

static void
pool_task(gpointer data, gpointer user_data)
{
    Task *t = data;
    KindRun *kr = user_data;
    gboolean skip;
    g_mutex_lock(&kr->mutex);
    skip = kr->fatal;
    g_mutex_unlock(&kr->mutex);
    if (skip || interrupted)
        msm_item_free(t->item);
    else
        process_item(kr, t->item, t->start, t->emitted);
    g_free(t);
    g_mutex_lock(&kr->mutex);
    kr->inflight--;
    g_cond_broadcast(&kr->cond);
    g_mutex_unlock(&kr->mutex);
}

/* Hands an item to the pool (bounded) or processes it here. */
static void
dispatch(KindRun *kr, GThreadPool *pool, guint limit, MsmItem *item, guint start,
         gboolean emitted)
{
    if (pool == NULL) {
        process_item(kr, item, start, emitted);
        return;
    }
    g_mutex_lock(&kr->mutex);
    while (kr->inflight >= limit)
        g_cond_wait(&kr->cond, &kr->mutex);
    kr->inflight++;
    g_mutex_unlock(&kr->mutex);
    Task *t = g_new0(Task, 1);
    t->item = item;
    t->start = start;
    t->emitted = emitted;
    g_thread_pool_push(pool, t, NULL);
}

static void
wait_pool(KindRun *kr, GThreadPool *pool)
{
    if (pool == NULL)
        return;
    g_mutex_lock(&kr->mutex);
    while (kr->inflight > 0)
        g_cond_wait(&kr->cond, &kr->mutex);
    g_mutex_unlock(&kr->mutex);
}

typedef struct {
    gboolean enabled;
    gint64 start_us, last_us;
    guint64 total;
} Progress;

static void
progress_show(Progress *pg, KindRun *kr, gboolean final)
{
    if (!pg->enabled)
        return;
    gint64 now = g_get_monotonic_time();
    if (!final && now - pg->last_us < 500000)
        return;
    pg->last_us = now;
    g_mutex_lock(&kr->mutex);
    guint64 n = kr->processed;
    g_mutex_unlock(&kr->mutex);
    double secs = (now - pg->start_us) / 1e6;
    double rate = secs > 0 ? n / secs : 0;
    GString *line = g_string_new(NULL);
    g_string_append_printf(line, "\r  %-9s %" G_GUINT64_FORMAT, msm_kind_name(kr->kind), n);
    if (pg->total)
        g_string_append_printf(line, "/%" G_GUINT64_FORMAT, pg->total);
    g_string_append_printf(line, " items  %.1f/s", rate);
    if (pg->total && rate > 0 && n < pg->total) {
        char *eta = msm_format_duration((pg->total - n) / rate);
        g_string_append_printf(line, "  ETA %s", eta);
        g_free(eta);
    }
    g_string_append(line, "   ");
    if (final)
        g_string_append_c(line, '\n');
    fputs(line->str, stderr);
    fflush(stderr);
    g_string_free(line, TRUE);
}

/* Migrates one kind through the chain. FALSE on a fatal error. */
static gboolean
run_kind(MsmRegistry *reg, MsmCtx *ctx, const MsmPlan *plan, MsmKind kind,
         const MsmRunOptions *opt, MsmJournal *journal, MsmRunReport *rep, GError **error)
{
    gboolean ok = FALSE;
    KindRun kr = {0};
    kr.ctx = ctx;
    kr.plan = plan;
    kr.kind = kind;
    kr.journal = journal;
    kr.rep = rep;
    kr.dry_run = opt->dry_run;
    g_mutex_init(&kr.mutex);
    g_cond_init(&kr.cond);
    GThreadPool *pool = NULL;
    gpointer reader = NULL;
    const MsmCodecRef *rc = msm_registry_find_codec(reg, kind, plan->from);
    const MsmCodecRef *wc = msm_registry_find_codec(reg, kind, plan->to);
    kr.writer_codec = wc->codec;
    kr.layouts = g_new0(MsmLayout *, plan->steps->len);
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        kr.layouts[i] = msm_layout_resolve(ctx->target_root, h->hop->to, ctx->instance, error);
        if (kr.layouts[i] == NULL)
            goto out;
    }
    rep->kinds[kind].ran = TRUE;
    msm_journal_event(journal, NULL, "%s started", msm_kind_name(kind));
    reader = rc->codec->reader_open(ctx, ctx->source_root, plan->from, error);
    if (reader == NULL)
        goto out;
    if (!opt->dry_run) {
        kr.writer = wc->codec->writer_open(ctx, kind_root(ctx, kind), plan->to, error);
        if (kr.writer == NULL)
            goto out;
    }
    Progress pg = {opt->progress, g_get_monotonic_time(), 0, 0};
    if (rc->codec->reader_estimate) {
        guint64 bytes = 0;
        rc->codec->reader_estimate(reader, &pg.total, &bytes);
    }
    guint threads = opt->threads ? opt->threads : g_get_num_processors();
    if (threads > 1 && (opt->dry_run || (wc->codec->flags & MSM_CODEC_THREADSAFE)))
        pool = g_thread_pool_new(pool_task, &kr, (gint)threads, TRUE, NULL);
    guint limit = threads * 4;
    guint unreadable_in_a_row = 0;

    for (;;) {
        if (interrupted)
            break;
        g_mutex_lock(&kr.mutex);
        gboolean stop = kr.fatal;
        g_mutex_unlock(&kr.mutex);
        if (stop)
            break;
        MsmItem *item = NULL;
        GError *rerr = NULL;
        if (!rc->codec->reader_next(reader, &item, &rerr)) {
            if (msm_reader_error_is_per_entry(rerr) && ++unreadable_in_a_row < 100000) {
                /* one entry could not be read: record it, leave it untouched, go on */
                count(&kr, &rep->kinds[kind].failed, 1);
                add_problem(rep, "%s of %s: %s (left untouched)", msm_kind_name(kind),
                            plan->from, rerr->message);
                msm_ctx_log(ctx, MSM_LOG_ERROR, "%s: %s", msm_kind_name(kind), rerr->message);
                msm_journal_event(journal, NULL, "%s unreadable: %s", msm_kind_name(kind),
                                  rerr->message);
                g_error_free(rerr);
                continue;
            }
            set_fatal(&kr, g_error_new(MSM_ERROR, MSM_ERROR_IO, "reading the %s of %s: %s",
                                       msm_kind_name(kind), plan->from, rerr->message));
            g_error_free(rerr);
            break;
        }
        unreadable_in_a_row = 0;
        if (item == NULL)
            break;
        dispatch(&kr, pool, limit, item, 0, FALSE);
        progress_show(&pg, &kr, FALSE);
    }
    wait_pool(&kr, pool);
    /* finish() of each hop, in chain order; what it emits goes through the rest. */
    for (guint i = 0; i < plan->steps->len && !kr.fatal && !interrupted; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        const MsmConfigMigrator *m = msm_hop_migrator(h->hop, kind);
        if (m == NULL || m->finish == NULL)
            continue;
        MsmCtx local;
        step_ctx(&kr, i, &local);
        GPtrArray *emitted = ctx->emitted;
        g_ptr_array_set_size(emitted, 0);
        GError *ferr = NULL;
        if (!m->finish(&local, &ferr)) {
            set_fatal(&kr, g_error_new(MSM_ERROR, MSM_ERROR_FAILED, "hop %s -> %s: finishing %s: %s",
                                       h->hop->from, h->hop->to, msm_kind_name(kind),
                                       ferr ? ferr->message : "failed"));
            g_clear_error(&ferr);
            break;
        }
        /* Take the emitted items out of the context before processing them. */
        GPtrArray *batch = g_ptr_array_new();
        for (guint e = 0; e < emitted->len; e++)
            g_ptr_array_add(batch, emitted->pdata[e]);
        g_ptr_array_set_free_func(emitted, NULL);
        g_ptr_array_set_size(emitted, 0);
        g_ptr_array_set_free_func(emitted, (GDestroyNotify)msm_item_free);
        for (guint e = 0; e < batch->len; e++)
            dispatch(&kr, pool, limit, batch->pdata[e], i + 1, TRUE);
        g_ptr_array_unref(batch);
        wait_pool(&kr, pool);
    }
    progress_show(&pg, &kr, TRUE);
    if (kr.writer && !kr.fatal) {
        GError *cerr = NULL;
        if (!wc->codec->writer_commit(kr.writer, &cerr))
            set_fatal(&kr, cerr);
    }
    if (!msm_journal_sync(journal, error))
        goto out;
    if (kr.fatal) {
        g_propagate_error(error, kr.fatal_error);
        kr.fatal_error = NULL;
        goto out;
    }
    if (interrupted) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_CANCELLED, "interrupted");
        goto out;
    }
    msm_journal_event(journal, NULL, "%s finished", msm_kind_name(kind));
    ok = TRUE;
out:
    if (pool)
        g_thread_pool_free(pool, FALSE, TRUE);
    if (kr.writer)
        wc->codec->writer_close(kr.writer);
    if (reader)
        rc->codec->reader_close(reader);
    for (guint i = 0; kr.layouts && i < plan->steps->len; i++)
        msm_layout_free(kr.layouts[i]);
    g_free(kr.layouts);
    g_clear_error(&kr.fatal_error);
    g_mutex_clear(&kr.mutex);
    g_cond_clear(&kr.cond);
    return ok;
}

/* ---------------------------------------------------------------- verify */

/* The keys verify read back from the target: a Berkeley DB btree in the run's
 * work directory with a small fixed cache (removed after verify), so memory
 * does not grow with the number of items; in memory only without a work dir. */
typedef struct {
    DB *db;
    char *path;
    GHashTable *mem;
} SeenSet;

#define SEEN_FILE "verify-seen.db"
#define SEEN_CACHE (256 * 1024)

static gboolean
seen_open(SeenSet *ss, const char *work_dir, GError **error)
{
    (void)error;
    memset(ss, 0, sizeof *ss);
    if (work_dir == NULL || *work_dir == '\0' || !g_file_test(work_dir, G_FILE_TEST_IS_DIR)) {
        ss->mem = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        return TRUE;
    }
    ss->path = g_build_filename(work_dir, SEEN_FILE, NULL);
    int rc = db_create(&ss->db, NULL, 0);
    if (rc == 0)
        rc = ss->db->set_cachesize(ss->db, 0, SEEN_CACHE, 1);
    if (rc == 0)
        rc = ss->db->open(ss->db, NULL, ss->path, NULL, DB_BTREE,
                          DB_CREATE | DB_TRUNCATE | DB_NOMMAP, 0600);
    if (rc != 0) { /* a work directory that cannot be written (a read-only copy): in memory */
        if (ss->db)
            ss->db->close(ss->db, DB_NOSYNC);
        ss->db = NULL;
        unlink(ss->path);
        g_clear_pointer(&ss->path, g_free);
        ss->mem = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    }
    return TRUE;
}

static gboolean
seen_add(SeenSet *ss, const char *key, GError **error)
{
    if (ss->mem) {
        g_hash_table_add(ss->mem, g_strdup(key));
        return TRUE;
    }
    DBT k, d;
    memset(&k, 0, sizeof k);
    memset(&d, 0, sizeof d);
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    int rc = ss->db->put(ss->db, NULL, &k, &d, 0);
    if (rc != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "verify: cannot write %s: %s", ss->path,
                    db_strerror(rc));
        return FALSE;
    }
    return TRUE;
}

/* TRUE if key was added; FALSE (with *error set) when the set cannot be read. */
static gboolean
seen_has(SeenSet *ss, const char *key, GError **error)
{
    if (ss->mem)
        return g_hash_table_contains(ss->mem, key);
    DBT k, d;
    memset(&k, 0, sizeof k);
    memset(&d, 0, sizeof d);
    k.data = (void *)key;
    k.size = (u_int32_t)strlen(key);
    d.flags = DB_DBT_PARTIAL; /* existence only: no data copied */
    int rc = ss->db->get(ss->db, NULL, &k, &d, 0);
    if (rc != 0 && rc != DB_NOTFOUND)
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "verify: cannot read %s: %s", ss->path,
                    db_strerror(rc));
    return rc == 0;
}

static void
seen_close(SeenSet *ss)
{
    if (ss->db) {
        ss->db->close(ss->db, DB_NOSYNC);
        unlink(ss->path);
    }
    if (ss->mem)
        g_hash_table_unref(ss->mem);
    g_free(ss->path);
    memset(ss, 0, sizeof *ss);
}

typedef struct {
    SeenSet *seen;
    MsmKindReport *k;
    MsmRunReport *rep;
    MsmKind kind;
    GError *error;
} MissingScan;

static gboolean
missing_cb(MsmKind kind, const char *key, const MsmJournalRecord *rec, gpointer user_data)
{
    MissingScan *ms = user_data;
    if (rec->status == MSM_ITEM_DONE && rec->digest && !seen_has(ms->seen, key, &ms->error)) {
        if (ms->error)
            return FALSE;
        ms->k->verify_missing++;
        add_problem(ms->rep, "verify: %s %s is in the journal but not in the target",
                    msm_kind_name(kind), key);
    }
    return TRUE;
}

/* Queue items change their key on the way (the channel is renamed, each queue format
 * names its files its own way), so queued messages are matched by digest: every
 * message the run wrote must be read back once from the target's queue. */
static gboolean
queue_digest_cb(MsmKind kind, const char *key, const MsmJournalRecord *rec, gpointer user_data)
{
    (void)kind;
    GHashTable *want = user_data;
    if (rec->status != MSM_ITEM_DONE || rec->digest == NULL)
        return TRUE;
    GPtrArray *keys = g_hash_table_lookup(want, rec->digest);
    if (keys == NULL) {
        keys = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_insert(want, g_strdup(rec->digest), keys);
    }
    g_ptr_array_add(keys, g_strdup(key));
    return TRUE;
}

static gboolean
verify_queue(const MsmCodecRef *rc, gpointer reader, MsmJournal *journal, MsmRunReport *rep,
             guint64 *read_bytes_r, GError **error)
{
    MsmKindReport *k = &rep->kinds[MSM_KIND_QUEUE];
    GHashTable *want = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify)g_ptr_array_unref);
    gboolean ok = msm_journal_foreach(journal, MSM_KIND_QUEUE, queue_digest_cb, want, error);
    guint unreadable_in_a_row = 0;
    while (ok) {
        MsmItem *item = NULL;
        GError *rerr = NULL;
        if (!rc->codec->reader_next(reader, &item, &rerr)) {
            if (msm_reader_error_is_per_entry(rerr) && ++unreadable_in_a_row < 100000) {
                add_problem(rep, "verify: queue: %s", rerr->message);
                g_error_free(rerr);
                continue;
            }
            g_propagate_error(error, rerr);
            ok = FALSE;
            break;
        }
        unreadable_in_a_row = 0;
        if (item == NULL)
            break;
        guint64 bytes = 0;
        GError *err = NULL;
        g_free(item->key);
        item->key = g_strdup(QUEUE_DIGEST_KEY);
        char *digest = msm_item_digest(item, &bytes, &err);
        *read_bytes_r += bytes;
        GPtrArray *keys = digest ? g_hash_table_lookup(want, digest) : NULL;
        if (digest == NULL) {
            k->verify_differs++;
            add_problem(rep, "verify: queue %s cannot be read back: %s", item->key,
                        err ? err->message : "error");
        } else if (keys && keys->len > 0) {
            /* one message the run wrote (a message already in the target is no concern) */
            g_ptr_array_remove_index(keys, keys->len - 1);
            k->verified++;
        }
        g_clear_error(&err);
        g_free(digest);
        msm_item_free(item);
    }
    GHashTableIter it;
    gpointer value;
    g_hash_table_iter_init(&it, want);
    while (ok && g_hash_table_iter_next(&it, NULL, &value)) {
        GPtrArray *keys = value;
        for (guint i = 0; i < keys->len; i++) {
            k->verify_missing++;
            add_problem(rep, "verify: queue %s was written but no message in the target's "
                        "queue has its envelope and body",
                        (const char *)keys->pdata[i]);
        }
    }
    g_hash_table_unref(want);
    return ok;
}

/* Re-reads the target's data of one kind and compares digests with the journal. */
static gboolean
verify_kind(MsmRegistry *reg, MsmCtx *ctx, const char *to, MsmKind kind, MsmJournal *journal,
            MsmRunReport *rep, guint64 *read_bytes_r, GError **error)
{
    MsmKindReport *k = &rep->kinds[kind];
    k->verified = k->verify_missing = k->verify_differs = 0;
    const MsmCodecRef *rc = msm_registry_find_codec(reg, kind, to);
    if (rc == NULL || rc->codec->reader_open == NULL) {
        add_problem(rep, "verify: no codec reads the %s of %s; not verified", msm_kind_name(kind),
                    to);
        return TRUE;
    }
    if (kind == MSM_KIND_QUEUE) {
        gpointer qr = rc->codec->reader_open(ctx, ctx->target_root, to, error);
        if (qr == NULL)
            return FALSE;
        gboolean qok = verify_queue(rc, qr, journal, rep, read_bytes_r, error);
        rc->codec->reader_close(qr);
        return qok;
    }
    gpointer reader = rc->codec->reader_open(ctx, kind_root(ctx, kind), to, error);
    if (reader == NULL)
        return FALSE;
    SeenSet seen;
    if (!seen_open(&seen, msm_ctx_work_dir(ctx), error)) {
        rc->codec->reader_close(reader);
        return FALSE;
    }
    gboolean ok = TRUE;
    guint unreadable_in_a_row = 0;
    for (;;) {
        MsmItem *item = NULL;
        GError *rerr = NULL;
        if (!rc->codec->reader_next(reader, &item, &rerr)) {
            if (msm_reader_error_is_per_entry(rerr) && ++unreadable_in_a_row < 100000) {
                k->verify_differs++;
                add_problem(rep, "verify: %s: %s", msm_kind_name(kind), rerr->message);
                g_error_free(rerr);
                continue;
            }
            g_propagate_error(error, rerr);
            ok = FALSE;
            break;
        }
        unreadable_in_a_row = 0;
        if (item == NULL)
            break;
        MsmJournalRecord rec;
        GError *err = NULL;
        if (msm_journal_lookup(journal, kind, item->key, &rec, &err)) {
            if (rec.status == MSM_ITEM_DONE) {
                MsmDigestTee *tee = msm_digest_attach(item);
                gboolean drained = msm_digest_drain(tee, item, &err);
                guint64 bytes = 0;
                char *digest = msm_digest_finish(tee, &bytes);
                *read_bytes_r += bytes;
                if (!seen_add(&seen, item->key, error)) {
                    g_free(digest);
                    g_clear_error(&err);
                    msm_journal_record_clear(&rec);
                    msm_item_free(item);
                    ok = FALSE;
                    break;
                }
                if (!drained) {
                    k->verify_differs++;
                    add_problem(rep, "verify: %s %s cannot be read back: %s", msm_kind_name(kind),
                                item->key, err->message);
                } else if (rec.digest && strcmp(rec.digest, digest) == 0) {
                    k->verified++;
                } else {
                    k->verify_differs++;
                    add_problem(rep, "verify: %s %s differs from what the run wrote",
                                msm_kind_name(kind), item->key);
                }
                g_free(digest);
            }
            msm_journal_record_clear(&rec);
        } else if (err) {
            g_propagate_error(error, err);
            msm_item_free(item);
            ok = FALSE;
            break;
        }
        g_clear_error(&err);
        msm_item_free(item);
    }
    rc->codec->reader_close(reader);
    if (ok) {
        MissingScan ms = {&seen, k, rep, kind, NULL};
        ok = msm_journal_foreach(journal, kind, missing_cb, &ms, error);
        if (ms.error) {
            g_clear_error(error);
            g_propagate_error(error, ms.error);
            ok = FALSE;
        }
    }
    seen_close(&seen);
    return ok;
}

/* ---------------------------------------------------------------- run */

static gboolean
set_meta(MsmJournal *j, const char *key, const char *value, GError **error)
{
    return msm_journal_set_meta(j, key, value ? value : "", error);
}

static void
write_reports(const MsmRunReport *rep)
{
    if (rep->work_dir == NULL || !g_file_test(rep->work_dir, G_FILE_TEST_IS_DIR))
        return;
    char *text = msm_run_report_text(rep);
    char *json = msm_run_report_json(rep);
    char *tp = g_build_filename(rep->work_dir, "report.txt", NULL);
    char *jp = g_build_filename(rep->work_dir, "report.json", NULL);
    msm_write_file_atomic(tp, text, strlen(text), 0600, NULL);
    msm_write_file_atomic(jp, json, strlen(json), 0600, NULL);
    g_free(tp);
    g_free(jp);
    g_free(text);
    g_free(json);
}

/* Records every hop of the plan in the target's history. */
static gboolean
record_history(const MsmPlan *plan, const char *target, const char *run_id, guint kinds_mask,
               GError **error)
{
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        MsmHistoryEntry *e = msm_history_entry_new();
        g_free(e->action);
        e->action = g_strdup("hop");
        g_free(e->run_id);
        e->run_id = g_strdup(run_id);
        g_free(e->from);
        e->from = g_strdup(h->hop->from);
        g_free(e->to);
        e->to = g_strdup(h->hop->to);
        g_free(e->plugin);
        e->plugin = g_strdup(h->plugin->name);
        g_free(e->plugin_version);
        e->plugin_version = g_strdup(h->plugin->desc->version);
        g_free(e->kinds);
        e->kinds = msm_kind_mask_text(hop_kinds(h->hop, kinds_mask));
        e->when = g_get_real_time() / G_USEC_PER_SEC;
        gboolean ok = msm_history_append(target, e, error);
        msm_history_entry_free(e);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

static guint
parse_kinds(const char *s)
{
    guint mask = 0;
    msm_kind_mask_parse(s, &mask); /* the journal's own meta: unknown names cannot occur */
    return mask;
}

/* The selected kinds as text (0 = every kind). (transfer full) */
static char *
kinds_string(guint mask)
{
    return msm_kind_mask_text(mask ? mask : (1u << MSM_KIND_COUNT) - 1);
}

gboolean
msm_engine_run(MsmRegistry *reg, const MsmRunOptions *opt_in, MsmRunReport *rep, GError **error)
{
    gint64 t0 = g_get_monotonic_time();
    report_init(rep);
    MsmRunOptions opt = *opt_in;
    gboolean ok = FALSE;
    MsmPlan *plan = NULL;
    MsmLock *lock = NULL;
    MsmCtx *ctx = NULL;
    MsmJournal *journal = NULL;
    MsmDetection *det = NULL;
    char **confirm = NULL, **override = NULL;
    char *state_dir = NULL, *meta_from = NULL, *meta_to = NULL, *meta_source = NULL,
         *meta_instance = NULL, *meta_kinds = NULL, *meta_guard = NULL;
    const MsmGuardRef *guard = NULL;
    gboolean guard_before_done = FALSE;
    struct sigaction sa_new, sa_int, sa_term;
    gboolean signals_set = FALSE;

    if (opt.target_root == NULL || !g_file_test(opt.target_root, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "target root %s does not exist: install the target version there (or "
                    "create the directory) first",
                    opt.target_root ? opt.target_root : "(not given)");
        goto out;
    }
    state_dir = msm_state_dir(opt.target_root);

    if (opt.resume_id) {
        char *wd = g_build_filename(state_dir, "runs", opt.resume_id, NULL);
        char *jd = g_build_filename(wd, "journal", NULL);
        journal = msm_journal_open(jd, FALSE, error);
        g_free(jd);
        if (journal == NULL) {
            g_free(wd);
            goto out;
        }
        rep->run_id = g_strdup(opt.resume_id);
        rep->work_dir = wd;
        char *state = msm_journal_get_meta(journal, "state", NULL);
        if (state && strcmp(state, "finished") == 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "run %s already finished; 'msmigrate verify %s' checks it again",
                        opt.resume_id, opt.resume_id);
            g_free(state);
            goto out;
        }
        g_free(state);
        meta_from = msm_journal_get_meta(journal, "from", NULL);
        meta_to = msm_journal_get_meta(journal, "to", NULL);
        meta_source = msm_journal_get_meta(journal, "source", NULL);
        meta_instance = msm_journal_get_meta(journal, "instance", NULL);
        meta_kinds = msm_journal_get_meta(journal, "kinds", NULL);
        meta_guard = msm_journal_get_meta(journal, "guard", NULL);
        char *c = msm_journal_get_meta(journal, "confirm", NULL);
        char *o = msm_journal_get_meta(journal, "override", NULL);
        char *dr = msm_journal_get_meta(journal, "dry_run", NULL);
        confirm = msm_list_split(c);
        override = msm_list_split(o);
        opt.dry_run = dr && strcmp(dr, "yes") == 0;
        g_free(c);
        g_free(o);
        g_free(dr);
        if (!meta_from || !meta_to || !meta_source) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                        "run %s: the journal lacks its plan (from/to/source); it cannot be "
                        "resumed",
                        opt.resume_id);
            goto out;
        }
        opt.from = meta_from;
        opt.to = meta_to;
        opt.source_root = meta_source;
        opt.instance = (meta_instance && *meta_instance) ? meta_instance : NULL;
        opt.kinds = parse_kinds(meta_kinds);
        opt.guard = (meta_guard && *meta_guard) ? meta_guard : NULL;
        opt.confirm = (const char *const *)confirm;
        opt.override = (const char *const *)override;
    } else {
        rep->run_id = msm_new_run_id();
        rep->work_dir = g_build_filename(state_dir, "runs", rep->run_id, NULL);
    }
    rep->dry_run = opt.dry_run;

    if (opt.source_root == NULL || !g_file_test(opt.source_root, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND, "source root %s does not exist",
                    opt.source_root ? opt.source_root : "(not given)");
        goto out;
    }
    if (opt.from == NULL) {
        det = msm_detect(opt.source_root, error);
        if (det == NULL)
            goto out;
        opt.from = msm_detection_pick(det, NULL, error);
        if (opt.from == NULL)
            goto out;
    }
    if (opt.to == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "no destination version: pass --to (for example --to 8.1)");
        goto out;
    }
    rep->from = g_strdup(opt.from);
    rep->to = g_strdup(opt.to);
    plan = msm_plan_build(reg, opt.from, opt.to, error);
    if (plan == NULL) {
        rep->exit_code = MSM_EXIT_REFUSED;
        goto out_refused;
    }
    rep->path = msm_plan_path_string(plan);

    if (!msm_mkdir_p(state_dir, FALSE, error))
        goto out;
    lock = msm_lock_acquire(state_dir, rep->run_id, opt.command ? opt.command : "msmigrate run",
                            opt.lease_seconds ? opt.lease_seconds : 60, opt.break_lock, error);
    if (lock == NULL)
        goto out;

    ctx = make_ctx(reg, &opt, opt.source_root, opt.target_root, opt.from, opt.to, opt.instance);
    g_free(ctx->run_id);
    ctx->run_id = g_strdup(rep->run_id);
    ctx->work_dir = g_strdup(rep->work_dir);
    if (!resolve_source_layout(ctx, rep) ||
        !preflight_with_ctx(reg, ctx, plan, &opt, rep, error)) {
        if (error && *error == NULL)
            g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                        "preflight refused the run: the source layout is not usable");
        rep->exit_code = MSM_EXIT_REFUSED;
        goto out_refused;
    }

    /* From here on the run changes things: work directory, journal, target. */
    if (journal == NULL) {
        if (!msm_mkdir_p(rep->work_dir, TRUE, error))
            goto out;
        char *jd = g_build_filename(rep->work_dir, "journal", NULL);
        journal = msm_journal_open(jd, TRUE, error);
        g_free(jd);
        if (journal == NULL)
            goto out;
        char *c = msm_list_join(opt.confirm), *o = msm_list_join(opt.override);
        char *ks = kinds_string(opt.kinds);
        GDateTime *now = g_date_time_new_now_utc();
        char *started = g_date_time_format_iso8601(now);
        g_date_time_unref(now);
        gboolean mok = set_meta(journal, "format", "1", error) &&
                       set_meta(journal, "run_id", rep->run_id, error) &&
                       set_meta(journal, "from", opt.from, error) &&
                       set_meta(journal, "to", opt.to, error) &&
                       set_meta(journal, "path", rep->path, error) &&
                       set_meta(journal, "source", opt.source_root, error) &&
                       set_meta(journal, "target", opt.target_root, error) &&
                       set_meta(journal, "instance", opt.instance, error) &&
                       set_meta(journal, "kinds", ks, error) &&
                       set_meta(journal, "dry_run", opt.dry_run ? "yes" : "no", error) &&
                       set_meta(journal, "confirm", c, error) &&
                       set_meta(journal, "override", o, error) &&
                       set_meta(journal, "guard", opt.guard, error) &&
                       set_meta(journal, "started", started, error);
        g_free(c);
        g_free(o);
        g_free(ks);
        g_free(started);
        if (!mok)
            goto out;
        msm_journal_event(journal, NULL, "run %s started: %s%s", rep->run_id, rep->path,
                          opt.dry_run ? " (dry run)" : "");
    } else {
        msm_journal_event(journal, NULL, "run %s resumed", rep->run_id);
    }
    if (!set_meta(journal, "state", "running", error))
        goto out;
    ctx->journal = journal;
    char *logp = g_build_filename(rep->work_dir, "run.log", NULL);
    ctx->log = fopen(logp, "a");
    g_free(logp);
    msm_ctx_log(ctx, MSM_LOG_INFO, "run %s: %s%s", rep->run_id, rep->path,
                opt.dry_run ? " (dry run)" : "");

    interrupted = 0;
    memset(&sa_new, 0, sizeof sa_new);
    sa_new.sa_handler = on_signal;
    sigemptyset(&sa_new.sa_mask);
    sigaction(SIGINT, &sa_new, &sa_int);
    sigaction(SIGTERM, &sa_new, &sa_term);
    signals_set = TRUE;

    if (opt.guard && !opt.dry_run) {
        guard = msm_registry_find_guard(reg, opt.guard);
        if (guard->guard->before && !guard->guard->before(ctx, error))
            goto out;
        guard_before_done = TRUE;
    }

    gboolean fatal = FALSE;
    for (int i = 0; i < MSM_KIND_COUNT && !fatal; i++) {
        MsmKind k = kind_order[i];
        MsmPlanKind pk;
        msm_plan_kind(plan, k, &pk);
        if (!kind_selected(opt.kinds, k)) {
            rep->kinds[k].note = g_strdup("not selected (--only)");
            continue;
        }
        if (pk.n_migrators == 0) {
            rep->kinds[k].note = g_strdup("nothing to do on any hop of this plan");
            continue;
        }
        if (k == MSM_KIND_STORE && !opt.dry_run &&
            !msm_store_stage_prepare(ctx, plan->from, plan->to, journal, error)) {
            fatal = TRUE;
            break;
        }
        if (k == MSM_KIND_STORE && ctx->store_stage_swapped) {
            rep->kinds[k].ran = TRUE; /* verified below, in place */
            rep->kinds[k].note = g_strdup("written and swapped in by this run before it stopped");
            continue;
        }
        if (!run_kind(reg, ctx, plan, k, &opt, journal, rep, error))
            fatal = TRUE;
    }
    if (guard_before_done && guard->guard->after) {
        GError *gerr = NULL;
        if (!guard->guard->after(ctx, !fatal, &gerr)) {
            add_problem(rep, "guard %s: %s", opt.guard, gerr ? gerr->message : "failed");
            g_clear_error(&gerr);
        }
    }
    if (fatal) {
        gboolean cancelled = error && *error && g_error_matches(*error, MSM_ERROR,
                                                                MSM_ERROR_CANCELLED);
        set_meta(journal, "state", cancelled ? "interrupted" : "failed", NULL);
        msm_journal_event(journal, NULL, "run %s stopped: %s", rep->run_id,
                          error && *error ? (*error)->message : "failed");
        if (error && *error)
            g_prefix_error(error, "run %s stopped (resume it with --resume %s): ", rep->run_id,
                           rep->run_id);
        goto out;
    }
    if (!opt.dry_run) {
        for (int i = 0; i < MSM_KIND_COUNT; i++) {
            MsmKind k = kind_order[i];
            guint64 read_bytes = 0;
            if (rep->kinds[k].ran &&
                !verify_kind(reg, ctx, opt.to, k, journal, rep, &read_bytes, error))
                goto out;
        }
    }
    gboolean failed_items = FALSE, skipped_items = FALSE, differs = FALSE;
    for (int k = 0; k < MSM_KIND_COUNT; k++) {
        failed_items |= rep->kinds[k].failed > 0;
        skipped_items |= rep->kinds[k].skipped > 0;
        differs |= rep->kinds[k].verify_missing + rep->kinds[k].verify_differs > 0;
    }
    /* Items failed earlier and not retried successfully still count. */
    guint64 counts[5] = {0};
    if (msm_journal_count(journal, MSM_KIND_COUNT, counts, NULL)) {
        failed_items |= counts[MSM_ITEM_FAILED] + counts[MSM_ITEM_STARTED] > 0;
        skipped_items |= counts[MSM_ITEM_SKIPPED] > 0;
    }
    if (ctx->store_stage_root && !opt.dry_run) {
        guint64 sc[5] = {0};
        const MsmKindReport *sk = &rep->kinds[MSM_KIND_STORE];
        gboolean clean = msm_journal_count(journal, MSM_KIND_STORE, sc, NULL) &&
                         sc[MSM_ITEM_FAILED] + sc[MSM_ITEM_STARTED] + sc[MSM_ITEM_SKIPPED] == 0 &&
                         sk->failed + sk->skipped + sk->verify_missing + sk->verify_differs == 0;
        if (clean) {
            char *kept = NULL;
            if (!msm_store_stage_swap(ctx, opt.to, journal, &kept, error))
                goto out;
            rep->kinds[MSM_KIND_STORE].note =
                g_strdup_printf("written beside the live store, verified, swapped in; the "
                                "%s store it replaced is kept in %s (remove it when satisfied)",
                                opt.from, kept);
            g_free(kept);
            g_clear_pointer(&ctx->store_stage_root, g_free);
        } else {
            add_problem(rep, "store: the %s store is staged in %s and not swapped in: the "
                             "live store is unchanged until --resume %s finishes every folder",
                        opt.to, ctx->store_stage_root, rep->run_id);
        }
    }
    rep->exit_code = (failed_items || skipped_items || differs) ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
    if (!opt.dry_run && !failed_items && !differs) {
        if (!record_history(plan, opt.target_root, rep->run_id, opt.kinds, error))
            goto out;
    }
    set_meta(journal, "state", failed_items || differs ? "incomplete" : "finished", NULL);
    msm_journal_event(journal, NULL, "run %s ended: exit %d", rep->run_id, rep->exit_code);
    ok = TRUE;
    goto out;

out_refused:
    rep->refused = TRUE;
    rep->exit_code = MSM_EXIT_REFUSED;
out:
    if (!ok && !rep->refused)
        rep->exit_code = MSM_EXIT_FAILED;
    if (signals_set) {
        sigaction(SIGINT, &sa_int, NULL);
        sigaction(SIGTERM, &sa_term, NULL);
    }
    rep->seconds = (g_get_monotonic_time() - t0) / 1e6;
    if (journal)
        write_reports(rep);
    if (ctx && ctx->log)
        fclose(ctx->log);
    if (ctx)
        ctx->log = NULL;
    msm_journal_close(journal);
    msm_lock_release(lock);
    msm_ctx_free(ctx);
    msm_plan_free(plan);
    if (det)
        msm_detection_free(det);
    g_strfreev(confirm);
    g_strfreev(override);
    g_free(state_dir);
    g_free(meta_from);
    g_free(meta_to);
    g_free(meta_source);
    g_free(meta_instance);
    g_free(meta_kinds);
    g_free(meta_guard);
    return ok;
}

/* ---------------------------------------------------------------- verify / rollback */

/* Opens a finished run's journal and context. */
static gboolean
open_run(MsmRegistry *reg, const char *target_root, const char *run_id, MsmRunReport *rep,
         MsmJournal **journal_r, MsmCtx **ctx_r, GError **error)
{
    char *state_dir = msm_state_dir(target_root);
    char *wd = g_build_filename(state_dir, "runs", run_id, NULL);
    char *jd = g_build_filename(wd, "journal", NULL);
    g_free(state_dir);
    MsmJournal *j = msm_journal_open(jd, FALSE, error);
    g_free(jd);
    if (j == NULL) {
        g_free(wd);
        return FALSE;
    }
    rep->run_id = g_strdup(run_id);
    rep->work_dir = wd;
    rep->from = msm_journal_get_meta(j, "from", NULL);
    rep->to = msm_journal_get_meta(j, "to", NULL);
    rep->path = msm_journal_get_meta(j, "path", NULL);
    char *source = msm_journal_get_meta(j, "source", NULL);
    char *instance = msm_journal_get_meta(j, "instance", NULL);
    char *dr = msm_journal_get_meta(j, "dry_run", NULL);
    rep->dry_run = dr && strcmp(dr, "yes") == 0;
    g_free(dr);
    if (!rep->from || !rep->to || !msm_version_is_known(rep->from) ||
        !msm_version_is_known(rep->to)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL, "run %s: the journal has no valid plan",
                    run_id);
        g_free(source);
        g_free(instance);
        msm_journal_close(j);
        return FALSE;
    }
    MsmRunOptions none = {0};
    MsmCtx *ctx = make_ctx(reg, &none, source, target_root, rep->from, rep->to,
                           instance && *instance ? instance : NULL);
    g_free(ctx->run_id);
    ctx->run_id = g_strdup(run_id);
    ctx->work_dir = g_strdup(rep->work_dir);
    ctx->journal = j;
    g_free(source);
    g_free(instance);
    *journal_r = j;
    *ctx_r = ctx;
    return TRUE;
}

gboolean
msm_engine_verify(MsmRegistry *reg, const char *target_root, const char *run_id,
                  MsmRunReport *rep, GError **error)
{
    gint64 t0 = g_get_monotonic_time();
    report_init(rep);
    MsmJournal *j = NULL;
    MsmCtx *ctx = NULL;
    gboolean ok = FALSE;
    if (!open_run(reg, target_root, run_id, rep, &j, &ctx, error))
        goto out;
    if (rep->dry_run) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "run %s was a dry run: it wrote nothing to verify", run_id);
        goto out;
    }
    if (!msm_ctx_enter_hop(ctx, rep->from, rep->to, error) ||
        !msm_store_stage_attach(ctx, rep->to, j, error))
        goto out;
    gboolean differs = FALSE;
    for (int i = 0; i < MSM_KIND_COUNT; i++) {
        MsmKind k = kind_order[i];
        guint64 counts[5] = {0};
        if (!msm_journal_count(j, k, counts, error))
            goto out;
        if (counts[MSM_ITEM_DONE] == 0)
            continue;
        rep->kinds[k].ran = TRUE;
        rep->kinds[k].done = counts[MSM_ITEM_DONE];
        rep->kinds[k].skipped = counts[MSM_ITEM_SKIPPED];
        rep->kinds[k].failed = counts[MSM_ITEM_FAILED] + counts[MSM_ITEM_STARTED];
        if (!verify_kind(reg, ctx, rep->to, k, j, rep, &rep->kinds[k].bytes, error))
            goto out;
        /* items written (renamed source keys are DONE without a digest: not counted) */
        rep->kinds[k].done = rep->kinds[k].verified + rep->kinds[k].verify_missing +
                             rep->kinds[k].verify_differs;
        differs |= rep->kinds[k].verify_missing + rep->kinds[k].verify_differs +
                       rep->kinds[k].failed >
                   0;
    }
    msm_journal_event(j, NULL, "verify: %s", differs ? "differences found" : "clean");
    rep->exit_code = differs ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
    ok = TRUE;
out:
    if (!ok)
        rep->exit_code = MSM_EXIT_FAILED;
    rep->seconds = (g_get_monotonic_time() - t0) / 1e6;
    msm_ctx_free(ctx);
    msm_journal_close(j);
    return ok;
}

gboolean
msm_engine_rollback(MsmRegistry *reg, const char *target_root, const char *run_id,
                    const MsmRunOptions *opt, MsmRunReport *rep, GError **error)
{
    gint64 t0 = g_get_monotonic_time();
    report_init(rep);
    MsmJournal *j = NULL;
    MsmCtx *ctx = NULL;
    MsmPlan *plan = NULL;
    MsmLock *lock = NULL;
    char *guard_name = NULL;
    char *state_dir = msm_state_dir(target_root);
    gboolean ok = FALSE;
    if (!open_run(reg, target_root, run_id, rep, &j, &ctx, error))
        goto out;
    if (rep->dry_run) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "run %s was a dry run: it changed nothing, so there is nothing to roll back",
                    run_id);
        goto out;
    }
    guard_name = msm_journal_get_meta(j, "guard", NULL);
    const MsmGuardRef *guard = (guard_name && *guard_name)
                                   ? msm_registry_find_guard(reg, guard_name)
                                   : NULL;
    plan = msm_plan_build(reg, rep->from, rep->to, error);
    if (plan == NULL) {
        g_prefix_error(error, "cannot roll back run %s: ", run_id);
        goto out;
    }
    if (msm_plan_irreversible(plan) && !(guard && guard->guard->rollback)) {
        for (guint i = 0; i < plan->steps->len; i++) {
            const MsmHopRef *h = plan->steps->pdata[i];
            if (h->irreversible)
                add_preflight(rep, h->hop->to, "reversible", "fail",
                              h->hop->reversible_note
                                  ? h->hop->reversible_note
                                  : "no back-out once a site reaches 7.0.5 or later from below "
                                    "it (seed 004); only a snapshot taken before the run "
                                    "(--guard zfs) can undo it");
        }
        g_set_error(error, MSM_ERROR, MSM_ERROR_PRECONDITION,
                    "run %s cannot be rolled back: it crossed an irreversible hop and had no "
                    "snapshot guard",
                    run_id);
        rep->refused = TRUE;
        rep->exit_code = MSM_EXIT_REFUSED;
        goto out_done;
    }
    lock = msm_lock_acquire(state_dir, run_id, opt && opt->command ? opt->command : "rollback",
                            opt && opt->lease_seconds ? opt->lease_seconds : 60,
                            opt ? opt->break_lock : FALSE, error);
    if (lock == NULL)
        goto out;
    msm_journal_set_meta(j, "rollback", "started", NULL);
    msm_journal_event(j, NULL, "rollback of run %s started", run_id);
    if (!msm_ctx_enter_hop(ctx, rep->from, rep->to, error))
        goto out;
    /* Every kind in reverse order with what the run left: the store by the guard's
     * snapshot when a guard was active (it never touches the MTA queues, seed 004),
     * every other kind (and the store without a guard) by its writer's rollback:
     * configuration files restored byte for byte, directory undo LDIF, queue files. */
    for (int i = MSM_KIND_COUNT - 1; i >= 0; i--) {
        MsmKind k = kind_order[i];
        guint64 counts[5] = {0};
        if (!msm_journal_count(j, k, counts, error))
            goto out;
        if (counts[MSM_ITEM_DONE] + counts[MSM_ITEM_STARTED] + counts[MSM_ITEM_FAILED] == 0)
            continue;
        rep->kinds[k].ran = TRUE;
        if (k == MSM_KIND_STORE && !(guard && guard->guard->rollback) &&
            msm_store_stage_used(j)) {
            msm_journal_event(j, NULL, "rollback: store by swapping its stage back");
            if (!msm_store_stage_rollback(ctx, target_root, rep->to, j, error)) {
                g_prefix_error(error, "rolling back the store: ");
                goto out;
            }
            rep->kinds[k].done = counts[MSM_ITEM_DONE];
            continue;
        }
        if (k == MSM_KIND_STORE && guard && guard->guard->rollback) {
            msm_journal_event(j, NULL, "rollback: store by guard %s", guard_name);
            if (!guard->guard->rollback(ctx, error)) {
                g_prefix_error(error, "rolling back the store with guard %s: ", guard_name);
                goto out;
            }
            rep->kinds[k].done = counts[MSM_ITEM_DONE];
            continue;
        }
        const MsmCodecRef *wc = msm_registry_find_codec(reg, k, rep->to);
        if (wc == NULL || wc->codec->rollback == NULL) {
            add_problem(rep, "%s: no loaded codec can roll back the %s written for %s",
                        msm_kind_name(k), msm_kind_name(k), rep->to);
            continue;
        }
        msm_journal_event(j, NULL, "rollback: %s by codec %s", msm_kind_name(k),
                          wc->codec->name);
        if (!wc->codec->rollback(ctx, target_root, rep->to, error)) {
            g_prefix_error(error, "rolling back the %s: ", msm_kind_name(k));
            goto out;
        }
        rep->kinds[k].done = counts[MSM_ITEM_DONE];
    }
    MsmHistoryEntry *e = msm_history_entry_new();
    g_free(e->action);
    e->action = g_strdup("rollback");
    g_free(e->run_id);
    e->run_id = g_strdup(run_id);
    g_free(e->from);
    e->from = g_strdup(rep->to);
    g_free(e->to);
    e->to = g_strdup(rep->from);
    e->when = g_get_real_time() / G_USEC_PER_SEC;
    gboolean hok = msm_history_append(target_root, e, error);
    msm_history_entry_free(e);
    if (!hok)
        goto out;
    msm_journal_set_meta(j, "rollback", "done", NULL);
    msm_journal_set_meta(j, "state", "rolled-back", NULL);
    msm_journal_event(j, NULL, "rollback of run %s done", run_id);
    rep->exit_code = rep->problems->len ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
    ok = TRUE;
    goto out_done;
out:
    rep->exit_code = MSM_EXIT_FAILED;
out_done:
    rep->seconds = (g_get_monotonic_time() - t0) / 1e6;
    msm_lock_release(lock);
    msm_plan_free(plan);
    msm_ctx_free(ctx);
    msm_journal_close(j);
    g_free(guard_name);
    g_free(state_dir);
    return ok;
}

char *
msm_item_digest(MsmItem *item, guint64 *bytes_r, GError **error)
{
    MsmDigestTee *tee = msm_digest_attach(item);
    gboolean ok = msm_digest_drain(tee, item, error);
    char *d = msm_digest_finish(tee, bytes_r);
    if (!ok) {
        g_free(d);
        return NULL;
    }
    return d;
}
