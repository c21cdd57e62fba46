/*
 * NAME
 *	stepwise.c - `msmigrate run --stepwise` (see stepwise.h)
 * SUMMARY
 *	 1. resolve the run: new (plan, preflight of the whole plan, state
 *	    file) or --resume ID (state file)
 *	 2. take the target's deployment lock for the stepwise run
 *	 3. per step: skip it when finished; else find its sub-run (recorded,
 *	    or discovered in the step's root after a SIGKILL), lay out the
 *	    skeleton of v(i) in an intermediate root, and run or resume the
 *	    sub-run through a registry whose hop v(i-1) -> v(i) carries the
 *	    kinds it has no migrator for; the state file is rewritten
 *	    atomically before and after every sub-run
 *	 4. stop at the first step that fails, is refused or leaves failed
 *	    items; report each step and a summary
 *	The deployment lock is released just before the last step, whose
 *	sub-run takes it as an ordinary run of the target.
 * DIAGNOSTICS
 *	Every error names the file, the step or the sub-run and what to do.
 */
#include "config.h"

#include "stepwise.h"

#include "detect.h"
#include "journal.h"
#include "json.h"
#include "lock.h"
#include "util.h"

#include <glib/gstdio.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_GROUP "stepwise"

static const char *const status_names[] = {"pending",    "running", "done",   "done-skipped",
                                           "incomplete", "failed",  "refused"};

const char *
msm_step_status_name(MsmStepStatus status)
{
    return (guint)status < G_N_ELEMENTS(status_names) ? status_names[status] : "unknown";
}

static gboolean
status_from_name(const char *s, MsmStepStatus *st)
{
    for (guint i = 0; s && i < G_N_ELEMENTS(status_names); i++)
        if (strcmp(s, status_names[i]) == 0) {
            *st = (MsmStepStatus)i;
            return TRUE;
        }
    return FALSE;
}

static void
step_free(gpointer p)
{
    MsmStepwiseStep *s = p;
    g_free(s->from);
    g_free(s->to);
    g_free(s->source);
    g_free(s->root);
    g_free(s->run_id);
    g_free(s->runs_before);
    g_free(s->skeleton);
    g_free(s->error);
    msm_run_report_clear(&s->report);
    g_free(s);
}

void
msm_stepwise_report_clear(MsmStepwiseReport *rep)
{
    g_free(rep->id);
    g_free(rep->source);
    g_free(rep->target);
    g_free(rep->from);
    g_free(rep->to);
    g_free(rep->path);
    g_free(rep->steps_dir);
    g_free(rep->state_file);
    if (rep->steps)
        g_ptr_array_unref(rep->steps);
    msm_run_report_clear(&rep->whole);
    g_free(rep->last_good_version);
    g_free(rep->last_good_root);
    memset(rep, 0, sizeof *rep);
}

/* ---------------------------------------------------------------- paths */

/* TRUE when path is dir or below it (both canonical). */
static gboolean
is_within(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (strcmp(dir, "/") == 0)
        return TRUE;
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static char *
stepwise_dir(const char *target, const char *id)
{
    char *sd = msm_state_dir(target);
    char *d = g_build_filename(sd, "stepwise", id, NULL);
    g_free(sd);
    return d;
}

gboolean
msm_stepwise_exists(const char *target_root, const char *id)
{
    if (target_root == NULL || id == NULL || !msm_relpath_is_safe(id) || strchr(id, '/'))
        return FALSE;
    char *d = stepwise_dir(target_root, id);
    char *f = g_build_filename(d, "state", NULL);
    gboolean ok = g_file_test(f, G_FILE_TEST_IS_REGULAR);
    g_free(f);
    g_free(d);
    return ok;
}

static void
info_free(gpointer p)
{
    MsmStepwiseInfo *i = p;
    g_free(i->id);
    g_free(i->state);
    g_free(i->path);
    g_free(i->steps_dir);
    g_free(i);
}

GPtrArray *
msm_stepwise_list(const char *target_root)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(info_free);
    char *sd = msm_state_dir(target_root);
    char *dir = g_build_filename(sd, "stepwise", NULL);
    g_free(sd);
    GDir *d = g_dir_open(dir, 0, NULL);
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; d && (n = g_dir_read_name(d)) != NULL;)
        if (msm_stepwise_exists(target_root, n))
            g_ptr_array_add(ids, g_strdup(n));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(ids, msm_strcmp_ptr);
    for (guint i = 0; i < ids->len; i++) {
        MsmStepwiseInfo *info = g_new0(MsmStepwiseInfo, 1);
        info->id = g_strdup(ids->pdata[i]);
        char *f = g_build_filename(dir, info->id, "state", NULL);
        GKeyFile *kf = g_key_file_new();
        if (g_key_file_load_from_file(kf, f, G_KEY_FILE_NONE, NULL)) {
            info->state = g_key_file_get_string(kf, STATE_GROUP, "state", NULL);
            info->path = g_key_file_get_string(kf, STATE_GROUP, "path", NULL);
            info->steps_dir = g_key_file_get_string(kf, STATE_GROUP, "steps_dir", NULL);
            gint n = g_key_file_get_integer(kf, STATE_GROUP, "steps", NULL);
            info->steps = n > 0 && n <= 64 ? (guint)n : 0;
            for (guint k = 1; k <= info->steps; k++) {
                char *g = g_strdup_printf("step %u", k);
                char *st = g_key_file_get_string(kf, g, "status", NULL);
                info->done += st && g_str_has_prefix(st, "done");
                g_free(st);
                g_free(g);
            }
        }
        if (info->state == NULL)
            info->state = g_strdup("unreadable");
        g_key_file_free(kf);
        g_free(f);
        g_ptr_array_add(out, info);
    }
    g_ptr_array_unref(ids);
    g_free(dir);
    return out;
}

static char **
dup_list(const char *const *list)
{
    return list ? g_strdupv((char **)list) : g_new0(char *, 1);
}

/* ---------------------------------------------------------------- carrying */

/* The identity migrators: "nothing to do for that kind on this hop: items pass
 * through unchanged" (migrator.h), made explicit so that the engine writes the
 * kind into the intermediate version. */
static MsmResult
carry_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    (void)ctx;
    (void)item;
    (void)error;
    return MSM_RESULT_CONTINUE;
}

static const MsmConfigMigrator carry_config = {
    .iface_version = MSM_CONFIG_IFACE_VERSION,
    .struct_size = sizeof(MsmConfigMigrator),
    .transform = carry_transform,
};
static const MsmStoreMigrator carry_store = {
    .iface_version = MSM_STORE_IFACE_VERSION,
    .struct_size = sizeof(MsmStoreMigrator),
    .transform = carry_transform,
};
static const MsmQueueMigrator carry_queue = {
    .iface_version = MSM_QUEUE_IFACE_VERSION,
    .struct_size = sizeof(MsmQueueMigrator),
    .transform = carry_transform,
};
static const MsmDirectoryMigrator carry_directory = {
    .iface_version = MSM_DIRECTORY_IFACE_VERSION,
    .struct_size = sizeof(MsmDirectoryMigrator),
    .transform = carry_transform,
};

/* A registry for one step: the plugins of reg, the one that provides the step's
 * hop replaced by a copy whose hop has identity migrators for the carried
 * kinds. Everything else (codecs, guards, preconditions, plugin name and
 * version recorded in the history) is the plugin's own. */
typedef struct {
    MsmRegistry *reg;
    MsmPluginDescriptor *desc;
    MsmHop *hops;
} StepRegistry;

static void
step_registry_clear(StepRegistry *sr)
{
    msm_registry_free(sr->reg);
    g_free(sr->desc);
    g_free(sr->hops);
    memset(sr, 0, sizeof *sr);
}

static void
step_registry_build(MsmRegistry *reg, const MsmHopRef *href, guint carried, StepRegistry *sr)
{
    memset(sr, 0, sizeof *sr);
    sr->reg = msm_registry_new(); /* holds core's codecs already */
    GPtrArray *dirs = msm_registry_search_path(reg);
    for (guint i = 0; i < dirs->len; i++)
        msm_registry_add_search_dir(sr->reg, dirs->pdata[i]);
    GPtrArray *plugins = msm_registry_plugins(reg);
    for (guint i = 0; i < plugins->len; i++) {
        const MsmPluginInfo *pi = plugins->pdata[i];
        if (strcmp(pi->name, "core") == 0)
            continue;
        if (pi != href->plugin) {
            msm_registry_add_plugin(sr->reg, pi->path, pi->desc);
            continue;
        }
        guint n = 0;
        while (pi->desc->hops[n].from)
            n++;
        sr->hops = g_new0(MsmHop, n + 1);
        memcpy(sr->hops, pi->desc->hops, n * sizeof(MsmHop));
        MsmHop *h = &sr->hops[href->hop - pi->desc->hops];
        if ((carried & (1u << MSM_KIND_CONFIG)) && h->config == NULL)
            h->config = &carry_config;
        if ((carried & (1u << MSM_KIND_STORE)) && h->store == NULL)
            h->store = &carry_store;
        if ((carried & (1u << MSM_KIND_QUEUE)) && h->queue == NULL)
            h->queue = &carry_queue;
        if ((carried & (1u << MSM_KIND_DIRECTORY)) && h->directory == NULL)
            h->directory = &carry_directory;
        sr->desc = g_memdup2(pi->desc, sizeof *pi->desc);
        sr->desc->hops = sr->hops;
        msm_registry_add_plugin(sr->reg, pi->path, sr->desc);
    }
}

/* Kinds of mask the whole plan migrates that hop (step) has no migrator for
 * (and does not leave pending). */
static guint
carried_kinds(const MsmPlan *plan, guint step, guint mask)
{
    const MsmHopRef *h = plan->steps->pdata[step];
    guint carried = 0;
    for (int k = 0; k < MSM_KIND_COUNT; k++) {
        if (!(mask & (1u << k)))
            continue;
        MsmPlanKind pk;
        msm_plan_kind(plan, (MsmKind)k, &pk);
        if (pk.n_migrators == 0)
            continue; /* nothing to do on the whole plan: not written by a fused run either */
        if (msm_hop_migrator(h->hop, (MsmKind)k) == NULL && !(h->hop->pending_kinds & (1u << k)))
            carried |= 1u << k;
    }
    return carried;
}

/* ---------------------------------------------------------------- skeletons */

static gboolean
ensure_dir(const char *root, const char *rel, GString *what, GError **error)
{
    char *p = g_build_filename(root, rel, NULL);
    gboolean ok = TRUE;
    if (!msm_dir_exists(p)) {
        ok = msm_mkdir_p(p, FALSE, error);
        if (ok)
            g_string_append_printf(what, "%s%s/", what->len ? ", " : "", rel);
    }
    g_free(p);
    return ok;
}

static gboolean
ensure_file(const char *root, const char *rel, const char *content, GString *what, GError **error)
{
    char *p = g_build_filename(root, rel, NULL);
    gboolean ok = TRUE;
    if (!g_file_test(p, G_FILE_TEST_EXISTS)) {
        ok = msm_write_file_atomic(p, content, strlen(content), 0644, error);
        if (ok)
            g_string_append_printf(what, "%s%s", what->len ? ", " : "", rel);
    }
    g_free(p);
    return ok;
}

/* Lays out the minimal installed skeleton of version at root, so that
 * detection (docs/formats/layout.md §3) allows it and the hop's
 * "target-installed" check passes, and so that the next step's
 * "source-stopped" check finds the (empty) pid file directory: nothing ever
 * runs from an intermediate root. Only what is missing is created.
 * *what_r lists it (transfer full). Rules: docs/formats/run-directory.md. */
static gboolean
lay_out_skeleton(const char *root, const char *version, const char *instance, char **what_r,
                 GError **error)
{
    GString *what = g_string_new(NULL);
    gboolean ok;
    if (!msm_mkdir_p(root, TRUE, error)) {
        g_string_free(what, TRUE);
        return FALSE;
    }
    if (g_str_has_prefix(version, "ms-")) {
        gboolean legacy6 = msm_version_compare(version, "ms-6.3") < 0;
        ok = ensure_dir(root, "config", what, error) && ensure_dir(root, "data/run", what, error) &&
             (legacy6 ? ensure_file(root, "config/msg.conf", "", what, error)
                      : ensure_file(root, "config/msg.conf.defaults",
                                    "# laid out by msmigrate run --stepwise: an installed, "
                                    "empty deployment (docs/stepwise.md)\n",
                                    what, error));
    } else if (strcmp(version, "ims-5.2") == 0 || g_str_has_prefix(version, "nms-4.")) {
        char *base = g_strdup_printf("msg-%s", instance);
        char *mark = g_build_filename(
            base, strcmp(version, "ims-5.2") == 0 ? "imta" : "store/partition", NULL);
        char *run = g_build_filename(base, "run", NULL);
        char *cfg = g_build_filename(base, "config", NULL);
        ok = ensure_dir(root, mark, what, error) && ensure_dir(root, cfg, what, error) &&
             ensure_dir(root, run, what, error);
        g_free(base);
        g_free(mark);
        g_free(run);
        g_free(cfg);
    } else {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED,
                    "no hop of msmigrate leads to %s, so --stepwise has no installed layout for "
                    "it as an intermediate version (docs/formats/run-directory.md)",
                    version);
        ok = FALSE;
    }
    *what_r = ok ? g_string_free(what, FALSE) : (g_string_free(what, TRUE), NULL);
    return ok;
}

/* The instance name server-root versions get in an intermediate root: the one
 * named with --instance, else "default", the instance the layout gives an empty
 * server root (layout.md §2.2) and so the one a fused run's hop into that
 * version resolves (its configuration then names the same paths). (transfer full) */
static char *
skeleton_instance(const char *instance)
{
    return g_strdup(instance && *instance ? instance : "default");
}

/* ---------------------------------------------------------------- state file */

typedef struct {
    MsmStepwiseReport *rep;
    char *dir;      /* <target>/.msmigrate/stepwise/<id> */
    char *instance; /* "" = none */
    guint kinds;    /* explicit mask */
    char **confirm, **override;
    char *guard; /* "" = none */
    char *started;
    const char *state;
} State;

static void
state_clear(State *st)
{
    g_free(st->dir);
    g_free(st->instance);
    g_strfreev(st->confirm);
    g_strfreev(st->override);
    g_free(st->guard);
    g_free(st->started);
}

static char *
step_group(guint index)
{
    return g_strdup_printf("step %u", index);
}

/* Rewrites the state file atomically (temporary file, fsync, rename). */
static gboolean
state_save(State *st, GError **error)
{
    MsmStepwiseReport *rep = st->rep;
    GKeyFile *kf = g_key_file_new();
    char *ks = msm_kind_mask_text(st->kinds);
    char *c = msm_list_join((const char *const *)st->confirm);
    char *o = msm_list_join((const char *const *)st->override);
    g_key_file_set_string(kf, STATE_GROUP, "format", "1");
    g_key_file_set_string(kf, STATE_GROUP, "id", rep->id);
    g_key_file_set_string(kf, STATE_GROUP, "state", st->state);
    g_key_file_set_string(kf, STATE_GROUP, "source", rep->source);
    g_key_file_set_string(kf, STATE_GROUP, "target", rep->target);
    g_key_file_set_string(kf, STATE_GROUP, "from", rep->from);
    g_key_file_set_string(kf, STATE_GROUP, "to", rep->to);
    g_key_file_set_string(kf, STATE_GROUP, "path", rep->path);
    g_key_file_set_string(kf, STATE_GROUP, "steps_dir", rep->steps_dir);
    g_key_file_set_string(kf, STATE_GROUP, "instance", st->instance);
    g_key_file_set_string(kf, STATE_GROUP, "kinds", ks);
    g_key_file_set_string(kf, STATE_GROUP, "confirm", c);
    g_key_file_set_string(kf, STATE_GROUP, "override", o);
    g_key_file_set_string(kf, STATE_GROUP, "guard", st->guard);
    g_key_file_set_string(kf, STATE_GROUP, "started", st->started);
    g_key_file_set_integer(kf, STATE_GROUP, "steps", (gint)rep->steps->len);
    for (guint i = 0; i < rep->steps->len; i++) {
        const MsmStepwiseStep *s = rep->steps->pdata[i];
        char *g = step_group(s->index);
        char *carried = msm_kind_mask_text(s->carried);
        g_key_file_set_string(kf, g, "from", s->from);
        g_key_file_set_string(kf, g, "to", s->to);
        g_key_file_set_string(kf, g, "source", s->source);
        g_key_file_set_string(kf, g, "root", s->root);
        g_key_file_set_string(kf, g, "carried", carried);
        g_key_file_set_string(kf, g, "runs_before", s->runs_before ? s->runs_before : "");
        g_key_file_set_string(kf, g, "run_id", s->run_id ? s->run_id : "");
        g_key_file_set_string(kf, g, "status", msm_step_status_name(s->status));
        g_free(carried);
        g_free(g);
    }
    gsize len = 0;
    char *data = g_key_file_to_data(kf, &len, NULL);
    char *head = g_strdup_printf("# msmigrate stepwise run state (docs/formats/run-directory.md); "
                                 "resume with: msmigrate run --resume %s --target %s\n%s",
                                 rep->id, rep->target, data);
    gboolean ok = msm_write_file_atomic(rep->state_file, head, strlen(head), 0600, error);
    if (!ok)
        g_prefix_error(error, "stepwise run %s: cannot write its state file: ", rep->id);
    g_free(head);
    g_free(data);
    g_free(ks);
    g_free(c);
    g_free(o);
    g_key_file_free(kf);
    return ok;
}

static char *
state_get(GKeyFile *kf, const char *path, const char *group, const char *key, GError **error)
{
    GError *e = NULL;
    char *v = g_key_file_get_string(kf, group, key, &e);
    if (v == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: [%s] %s is missing (%s); the stepwise run cannot be resumed: its "
                    "intermediate roots are still usable as sources of ordinary runs",
                    path, group, key, e->message);
        g_error_free(e);
    }
    return v;
}

/* Loads the state file of a stepwise run into st and st->rep. */
static gboolean
state_load(State *st, const char *target, const char *id, GError **error)
{
    MsmStepwiseReport *rep = st->rep;
    GKeyFile *kf = g_key_file_new();
    GError *e = NULL;
    gboolean ok = FALSE;
    char *ks = NULL, *c = NULL, *o = NULL, *state = NULL;
    if (!g_key_file_load_from_file(kf, rep->state_file, G_KEY_FILE_KEEP_COMMENTS, &e)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: %s; is %s a stepwise run of %s? ('msmigrate status --target %s' lists "
                    "the runs)",
                    rep->state_file, e->message, id, target, target);
        g_error_free(e);
        goto out;
    }
    const char *p = rep->state_file;
    if ((rep->source = state_get(kf, p, STATE_GROUP, "source", error)) == NULL ||
        (rep->from = state_get(kf, p, STATE_GROUP, "from", error)) == NULL ||
        (rep->to = state_get(kf, p, STATE_GROUP, "to", error)) == NULL ||
        (rep->path = state_get(kf, p, STATE_GROUP, "path", error)) == NULL ||
        (rep->steps_dir = state_get(kf, p, STATE_GROUP, "steps_dir", error)) == NULL ||
        (st->instance = state_get(kf, p, STATE_GROUP, "instance", error)) == NULL ||
        (ks = state_get(kf, p, STATE_GROUP, "kinds", error)) == NULL ||
        (c = state_get(kf, p, STATE_GROUP, "confirm", error)) == NULL ||
        (o = state_get(kf, p, STATE_GROUP, "override", error)) == NULL ||
        (st->guard = state_get(kf, p, STATE_GROUP, "guard", error)) == NULL ||
        (st->started = state_get(kf, p, STATE_GROUP, "started", error)) == NULL ||
        (state = state_get(kf, p, STATE_GROUP, "state", error)) == NULL)
        goto out;
    if (!msm_kind_mask_parse(ks, &st->kinds) || !msm_version_is_known(rep->from) ||
        !msm_version_is_known(rep->to)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                    "%s: [%s] names an unknown kind or version (kinds \"%s\", %s -> %s)", p,
                    STATE_GROUP, ks, rep->from, rep->to);
        goto out;
    }
    st->confirm = msm_list_split(c);
    st->override = msm_list_split(o);
    gint n = g_key_file_get_integer(kf, STATE_GROUP, "steps", NULL);
    if (n < 1 || n > 64) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE, "%s: [%s] steps must be 1 to 64", p,
                    STATE_GROUP);
        goto out;
    }
    for (gint i = 1; i <= n; i++) {
        MsmStepwiseStep *s = g_new0(MsmStepwiseStep, 1);
        g_ptr_array_add(rep->steps, s);
        s->index = (guint)i;
        char *g = step_group((guint)i);
        char *status = NULL, *carried = NULL;
        gboolean sok = (s->from = state_get(kf, p, g, "from", error)) != NULL &&
                       (s->to = state_get(kf, p, g, "to", error)) != NULL &&
                       (s->source = state_get(kf, p, g, "source", error)) != NULL &&
                       (s->root = state_get(kf, p, g, "root", error)) != NULL &&
                       (s->runs_before = state_get(kf, p, g, "runs_before", error)) != NULL &&
                       (s->run_id = state_get(kf, p, g, "run_id", error)) != NULL &&
                       (carried = state_get(kf, p, g, "carried", error)) != NULL &&
                       (status = state_get(kf, p, g, "status", error)) != NULL;
        if (sok &&
            (!status_from_name(status, &s->status) || !msm_kind_mask_parse(carried, &s->carried) ||
             !msm_version_is_known(s->from) || !msm_version_is_known(s->to) ||
             (*s->run_id && !msm_relpath_is_safe(s->run_id)))) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_PARSE,
                        "%s: [%s] has an unknown status, kind, version or run id", p, g);
            sok = FALSE;
        }
        if (s->run_id && *s->run_id == '\0')
            g_clear_pointer(&s->run_id, g_free);
        g_free(status);
        g_free(carried);
        g_free(g);
        if (!sok)
            goto out;
    }
    ok = TRUE;
out:
    g_free(ks);
    g_free(c);
    g_free(o);
    g_free(state);
    g_key_file_free(kf);
    return ok;
}

/* ---------------------------------------------------------------- sub-runs */

/* The state meta of run id in root's journal, or NULL when it has none (a run
 * killed before its journal held its plan). *skipped_r: skipped items. */
static char *
sub_run_state(const char *root, const char *id, const MsmStepwiseStep *step, gboolean *skipped_r)
{
    char *sd = msm_state_dir(root);
    char *jd = g_build_filename(sd, "runs", id, "journal", NULL);
    g_free(sd);
    MsmJournal *j = g_file_test(jd, G_FILE_TEST_IS_DIR) ? msm_journal_open(jd, FALSE, NULL) : NULL;
    g_free(jd);
    if (j == NULL)
        return NULL;
    char *state = msm_journal_get_meta(j, "state", NULL);
    char *from = msm_journal_get_meta(j, "from", NULL);
    char *to = msm_journal_get_meta(j, "to", NULL);
    if (from == NULL || to == NULL || strcmp(from, step->from) != 0 || strcmp(to, step->to) != 0)
        g_clear_pointer(&state, g_free);
    guint64 counts[5] = {0};
    if (skipped_r)
        *skipped_r =
            msm_journal_count(j, MSM_KIND_COUNT, counts, NULL) && counts[MSM_ITEM_SKIPPED] > 0;
    g_free(from);
    g_free(to);
    msm_journal_close(j);
    return state;
}

/* The sub-run of a step killed before the state file recorded its id: a run of
 * the step's root that was not there before the step started and whose journal
 * holds the step's hop. (transfer full) or NULL. */
static char *
discover_sub_run(const MsmStepwiseStep *step)
{
    GPtrArray *runs = msm_engine_list_runs(step->root);
    char **before = msm_list_split(step->runs_before);
    char *found = NULL;
    for (guint i = runs->len; i > 0 && !found; i--) {
        const char *id = runs->pdata[i - 1];
        if (g_strv_contains((const char *const *)before, id))
            continue;
        char *state = sub_run_state(step->root, id, step, NULL);
        if (state)
            found = g_strdup(id);
        g_free(state);
    }
    g_strfreev(before);
    g_ptr_array_unref(runs);
    return found;
}

static char *
runs_list(const char *root)
{
    if (!msm_dir_exists(root))
        return g_strdup("");
    GPtrArray *runs = msm_engine_list_runs(root);
    g_ptr_array_add(runs, NULL);
    char *s = g_strjoinv(",", (char **)runs->pdata);
    g_ptr_array_unref(runs);
    return s;
}

/* The pid in a leftover of msm_write_file_atomic (".NAME.tmp-PID-N", util.c), or 0
 * when name is not one. */
static gint64
own_temp_pid(const char *name)
{
    if (name[0] != '.')
        return 0;
    const char *t = g_strrstr(name, ".tmp-");
    if (t == NULL || t == name)
        return 0;
    const char *p = t + 5, *dash = strchr(p, '-');
    if (dash == NULL || dash == p || dash[1] == '\0' ||
        strspn(p, "0123456789") != (size_t)(dash - p) ||
        strspn(dash + 1, "0123456789") != strlen(dash + 1))
        return 0;
    return g_ascii_strtoll(p, NULL, 10);
}

/* Removes, below dir (not in .msmigrate), the temporary files that a killed
 * msmigrate process left behind while replacing a file atomically: the resumed
 * run wrote the file again under a new temporary name, and the next step's
 * configuration reader would take the leftover for a configuration file
 * (docs/stepwise.md). Only names of that exact form whose process is gone. */
static void
remove_dead_temps(const char *dir, guint depth)
{
    GDir *d = depth < 16 ? g_dir_open(dir, 0, NULL) : NULL;
    if (d == NULL)
        return;
    for (const char *n; (n = g_dir_read_name(d)) != NULL;) {
        char *p = g_build_filename(dir, n, NULL);
        gint64 pid = own_temp_pid(n);
        if (pid > 0 && pid != (gint64)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH &&
            g_file_test(p, G_FILE_TEST_IS_REGULAR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            (void)g_unlink(p);
        else if (strcmp(n, ".msmigrate") != 0 && msm_is_real_dir(p))
            remove_dead_temps(p, depth + 1);
        g_free(p);
    }
    g_dir_close(d);
}

/* remove_dead_temps() over the configuration directories of version at root. */
static void
clean_killed_leftovers(const char *root, const char *version, const char *instance)
{
    MsmLayout *l = msm_layout_resolve(root, version, instance && *instance ? instance : NULL, NULL);
    if (l == NULL)
        return;
    remove_dead_temps(msm_layout_config_dir(l), 0);
    if (strcmp(msm_layout_mta_config_dir(l), msm_layout_config_dir(l)) != 0)
        remove_dead_temps(msm_layout_mta_config_dir(l), 0);
    msm_layout_free(l);
}

static void
note_last_good(MsmStepwiseReport *rep, const char *version, const char *root)
{
    g_free(rep->last_good_version);
    g_free(rep->last_good_root);
    rep->last_good_version = g_strdup(version);
    rep->last_good_root = g_strdup(root);
}

/* ---------------------------------------------------------------- run */

/* A new stepwise run: plan, preflight of the whole plan, steps, state file. */
static gboolean
start_new(MsmRegistry *reg, const MsmRunOptions *opt, const MsmStepwiseOptions *sw, State *st,
          MsmPlan **plan_r, GError **error)
{
    MsmStepwiseReport *rep = st->rep;
    MsmDetection *det = NULL;
    const char *from = opt->from;
    gboolean ok = FALSE;
    if (opt->source_root == NULL || !g_file_test(opt->source_root, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND, "source root %s does not exist",
                    opt->source_root ? opt->source_root : "(not given)");
        return FALSE;
    }
    if (opt->to == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "no destination version: pass --to (for example --to 8.1)");
        return FALSE;
    }
    if (from == NULL) {
        det = msm_detect(opt->source_root, error);
        if (det == NULL || (from = msm_detection_pick(det, NULL, error)) == NULL)
            goto out;
    }
    rep->source = msm_canonical_path(opt->source_root);
    rep->from = g_strdup(from);
    rep->to = g_strdup(opt->to);
    *plan_r = msm_plan_build(reg, from, opt->to, error);
    if (*plan_r == NULL) {
        rep->exit_code = MSM_EXIT_REFUSED;
        goto out;
    }
    const MsmPlan *plan = *plan_r;
    rep->path = msm_plan_path_string(plan);
    if (is_within(rep->target, rep->source) || is_within(rep->source, rep->target)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "the target %s and the source %s are the same or nested: a stepwise run "
                    "writes every version into a root of its own and never writes into the "
                    "source; pass a separate --target (an in-place upgrade is an ordinary run "
                    "without --stepwise)",
                    rep->target, rep->source);
        goto out;
    }
    rep->id = msm_new_run_id();
    char *base;
    if (sw && sw->steps_dir) {
        base = msm_canonical_path(sw->steps_dir);
        if (is_within(base, rep->source)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "--steps-dir %s is the source %s or inside it: the intermediate "
                        "versions must go elsewhere (a source is never modified)",
                        base, rep->source);
            g_free(base);
            goto out;
        }
        if (is_within(base, rep->target)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                        "--steps-dir %s is inside the target %s: leave --steps-dir out to keep "
                        "the intermediate versions in the target's .msmigrate/steps, or name a "
                        "directory outside it",
                        base, rep->target);
            g_free(base);
            goto out;
        }
    } else {
        char *sd = msm_state_dir(rep->target);
        base = g_build_filename(sd, "steps", NULL);
        g_free(sd);
    }
    rep->steps_dir = g_build_filename(base, rep->id, NULL);
    g_free(base);

    /* The whole plan's preflight, before anything is written: every manual
     * confirmation, pending kind and missing codec shows at once. */
    if (!msm_engine_preflight(reg, plan, opt, &rep->whole, error)) {
        rep->has_whole = TRUE;
        rep->exit_code = MSM_EXIT_REFUSED;
        goto out;
    }
    msm_run_report_clear(&rep->whole);

    st->kinds = opt->kinds ? opt->kinds : (1u << MSM_KIND_COUNT) - 1;
    st->instance = g_strdup(opt->instance ? opt->instance : "");
    st->guard = g_strdup(opt->guard ? opt->guard : "");
    st->confirm = dup_list(opt->confirm);
    st->override = dup_list(opt->override);
    GDateTime *now = g_date_time_new_now_utc();
    st->started = g_date_time_format_iso8601(now);
    g_date_time_unref(now);
    guint n = plan->steps->len;
    for (guint i = 0; i < n; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        MsmStepwiseStep *s = g_new0(MsmStepwiseStep, 1);
        s->index = i + 1;
        s->from = g_strdup(h->hop->from);
        s->to = g_strdup(h->hop->to);
        s->source =
            g_strdup(i == 0 ? rep->source : ((MsmStepwiseStep *)rep->steps->pdata[i - 1])->root);
        if (i + 1 == n) {
            s->root = g_strdup(rep->target);
        } else {
            char *name = g_strdup_printf("%u-%s", i + 1, h->hop->to);
            s->root = g_build_filename(rep->steps_dir, name, NULL);
            g_free(name);
        }
        s->carried = carried_kinds(plan, i, st->kinds);
        g_ptr_array_add(rep->steps, s);
    }
    ok = TRUE;
out:
    if (det)
        msm_detection_free(det);
    return ok;
}

/* The run options of one step's sub-run. */
static void
step_options(const MsmRunOptions *opt, const State *st, const MsmStepwiseStep *step, gboolean last,
             const char *resume_id, MsmRunOptions *so)
{
    *so = *opt;
    so->source_root = step->source;
    so->target_root = step->root;
    so->from = step->from;
    so->to = step->to;
    so->instance = *st->instance ? st->instance : NULL;
    so->kinds = st->kinds;
    so->confirm = (const char *const *)st->confirm;
    so->override = (const char *const *)st->override;
    /* the guard protects what the stepwise run changes in place: only the target */
    so->guard = last && *st->guard ? st->guard : NULL;
    so->resume_id = resume_id;
    so->dry_run = FALSE;
}

static MsmStepStatus
status_of(const MsmStepwiseStep *step, MsmExitCode code)
{
    switch (code) {
    case MSM_EXIT_OK:
        return MSM_STEP_DONE;
    case MSM_EXIT_REFUSED:
        return MSM_STEP_REFUSED;
    case MSM_EXIT_SKIPPED: {
        /* finished with skipped items only: nothing a resume would redo; failed
         * or differing items: the journal says "incomplete" and resume retries */
        char *state = step->run_id ? sub_run_state(step->root, step->run_id, step, NULL) : NULL;
        MsmStepStatus s =
            state && strcmp(state, "finished") == 0 ? MSM_STEP_DONE_SKIPPED : MSM_STEP_INCOMPLETE;
        g_free(state);
        return s;
    }
    default:
        return MSM_STEP_FAILED;
    }
}

/* Runs (or resumes) one step. Returns FALSE when the chain must stop there. */
static gboolean
run_step(MsmRegistry *reg, const MsmPlan *plan, const MsmRunOptions *opt, State *st,
         MsmStepwiseStep *step, MsmLock **target_lock, GError **error)
{
    MsmStepwiseReport *rep = st->rep;
    guint n = rep->steps->len;
    gboolean last = step->index == n;
    char *sub = NULL;
    gboolean ok = FALSE;
    StepRegistry sr = {0};

    if (step->run_id)
        sub = g_strdup(step->run_id);
    else if (step->status == MSM_STEP_RUNNING)
        sub = discover_sub_run(step);
    if (sub) {
        gboolean skipped = FALSE;
        char *state = sub_run_state(step->root, sub, step, &skipped);
        if (state && strcmp(state, "finished") == 0) {
            /* finished after the last state file write (killed in between) */
            g_free(step->run_id);
            step->run_id = sub;
            step->status = skipped ? MSM_STEP_DONE_SKIPPED : MSM_STEP_DONE;
            step->earlier = TRUE;
            clean_killed_leftovers(step->root, step->to, st->instance);
            g_free(state);
            return state_save(st, error);
        }
        if (state == NULL) /* killed before its journal held the plan: start afresh */
            g_clear_pointer(&sub, g_free);
        g_free(state);
    }
    if (!last) {
        char *inst = skeleton_instance(st->instance);
        gboolean lok = lay_out_skeleton(step->root, step->to, inst, &step->skeleton, error);
        g_free(inst);
        if (!lok) {
            g_prefix_error(error,
                           "step %u of %u (%s -> %s): cannot lay out %s at %s: ", step->index, n,
                           step->from, step->to, step->to, step->root);
            step->status = MSM_STEP_FAILED;
            goto out;
        }
    }
    if (sub == NULL) {
        g_free(step->runs_before);
        step->runs_before = runs_list(step->root);
        g_clear_pointer(&step->run_id, g_free);
    } else {
        g_free(step->run_id);
        step->run_id = g_strdup(sub);
        step->resumed = TRUE;
    }
    step->status = MSM_STEP_RUNNING;
    if (!state_save(st, error))
        goto out;

    MsmRegistry *step_reg = reg;
    if (step->carried) {
        step_registry_build(reg, plan->steps->pdata[step->index - 1], step->carried, &sr);
        step_reg = sr.reg;
    }
    MsmRunOptions so;
    char *command = g_strdup_printf("msmigrate run --stepwise (run %s, step %u of %u)", rep->id,
                                    step->index, n);
    step_options(opt, st, step, last, sub, &so);
    so.command = command;
    if (last) {
        /* the last step's sub-run is an ordinary run of the target: it takes the lock */
        msm_lock_release(*target_lock);
        *target_lock = NULL;
    }
    GError *err = NULL;
    gboolean rok = msm_engine_run(step_reg, &so, &step->report, &err);
    g_free(command);
    if (step->report.work_dir && msm_dir_exists(step->report.work_dir) && step->report.run_id) {
        g_free(step->run_id);
        step->run_id = g_strdup(step->report.run_id);
    }
    if (sub && rok)
        clean_killed_leftovers(step->root, step->to, st->instance);
    step->status =
        rok ? status_of(step, step->report.exit_code)
            : (step->report.exit_code == MSM_EXIT_REFUSED ? MSM_STEP_REFUSED : MSM_STEP_FAILED);
    if (err)
        step->error = g_strdup(err->message);
    if (!state_save(st, error)) {
        g_clear_error(&err);
        goto out;
    }
    if (step->status == MSM_STEP_DONE || step->status == MSM_STEP_DONE_SKIPPED) {
        g_clear_error(&err);
        ok = TRUE;
        goto out;
    }
    if (err) {
        g_propagate_prefixed_error(error, err, "step %u of %u (%s -> %s): ", step->index, n,
                                   step->from, step->to);
    } else {
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                    "step %u of %u (%s -> %s): run %s left failed or differing items; resume "
                    "the stepwise run to retry them",
                    step->index, n, step->from, step->to, step->run_id ? step->run_id : "(none)");
    }
out:
    g_free(sub);
    if (sr.reg)
        step_registry_clear(&sr);
    return ok;
}

gboolean
msm_stepwise_run(MsmRegistry *reg, const MsmRunOptions *opt, const MsmStepwiseOptions *sw,
                 MsmStepwiseReport *rep, GError **error)
{
    gint64 t0 = g_get_monotonic_time();
    memset(rep, 0, sizeof *rep);
    rep->steps = g_ptr_array_new_with_free_func(step_free);
    rep->exit_code = MSM_EXIT_FAILED;
    State st = {.rep = rep, .state = "running"};
    MsmPlan *plan = NULL;
    MsmLock *lock = NULL;
    gboolean ok = FALSE;

    if (opt->target_root == NULL || !g_file_test(opt->target_root, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "target root %s does not exist: install the target version there (or "
                    "create the directory) first",
                    opt->target_root ? opt->target_root : "(not given)");
        goto out;
    }
    rep->target = msm_canonical_path(opt->target_root);
    rep->dry_run = opt->dry_run && opt->resume_id == NULL;

    if (opt->resume_id) {
        if (!msm_stepwise_exists(rep->target, opt->resume_id)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "%s is not a stepwise run of %s (no %s/.msmigrate/stepwise/%s/state); "
                        "'msmigrate status --target %s' lists the runs",
                        opt->resume_id, rep->target, rep->target, opt->resume_id, rep->target);
            goto out;
        }
        rep->resumed = TRUE;
        rep->id = g_strdup(opt->resume_id);
        st.dir = stepwise_dir(rep->target, rep->id);
        rep->state_file = g_build_filename(st.dir, "state", NULL);
        if (!state_load(&st, rep->target, rep->id, error))
            goto out;
        remove_dead_temps(st.dir, 0); /* a state file write a SIGKILL interrupted */
        plan = msm_plan_build(reg, rep->from, rep->to, error);
        if (plan == NULL)
            goto out;
        if (plan->steps->len != rep->steps->len) {
            char *p = msm_plan_path_string(plan);
            g_set_error(error, MSM_ERROR, MSM_ERROR_PLUGIN,
                        "stepwise run %s was planned as %s but the loaded plugins now plan %s: "
                        "load the plugins it started with (see 'msmigrate plugins')",
                        rep->id, rep->path, p);
            g_free(p);
            goto out;
        }
        for (guint i = 0; i < plan->steps->len; i++) {
            const MsmHopRef *h = plan->steps->pdata[i];
            MsmStepwiseStep *s = rep->steps->pdata[i];
            if (strcmp(h->hop->from, s->from) != 0 || strcmp(h->hop->to, s->to) != 0) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_PLUGIN,
                            "stepwise run %s: step %u was %s -> %s, the loaded plugins now "
                            "plan %s -> %s: load the plugins it started with",
                            rep->id, i + 1, s->from, s->to, h->hop->from, h->hop->to);
                goto out;
            }
            s->carried = carried_kinds(plan, i, st.kinds);
        }
    } else if (!start_new(reg, opt, sw, &st, &plan, error)) {
        goto out;
    }

    if (rep->dry_run) {
        /* No intermediate root and no state file: one fused dry run of the whole
         * plan reads and transforms everything a real stepwise run would. */
        MsmRunOptions d = *opt;
        d.from = rep->from;
        d.to = rep->to;
        d.kinds = st.kinds;
        rep->has_whole = TRUE;
        ok = msm_engine_run(reg, &d, &rep->whole, error);
        rep->exit_code = rep->whole.exit_code;
        goto out;
    }

    char *state_dir = msm_state_dir(rep->target);
    if (!msm_mkdir_p(state_dir, FALSE, error)) {
        g_free(state_dir);
        goto out;
    }
    lock = msm_lock_acquire(state_dir, rep->id,
                            rep->resumed ? "msmigrate run --stepwise --resume"
                                         : "msmigrate run --stepwise",
                            opt->lease_seconds ? opt->lease_seconds : 60, opt->break_lock, error);
    g_free(state_dir);
    if (lock == NULL)
        goto out;
    if (!rep->resumed) {
        st.dir = stepwise_dir(rep->target, rep->id);
        rep->state_file = g_build_filename(st.dir, "state", NULL);
        if (!msm_mkdir_p(st.dir, TRUE, error) ||
            (rep->steps->len > 1 && !msm_mkdir_p(rep->steps_dir, TRUE, error)) ||
            !state_save(&st, error))
            goto out;
    }
    st.state = "running";
    if (!state_save(&st, error))
        goto out;

    note_last_good(rep, rep->from, rep->source);
    gboolean stopped = FALSE, skipped = FALSE;
    for (guint i = 0; i < rep->steps->len && !stopped; i++) {
        MsmStepwiseStep *s = rep->steps->pdata[i];
        if (s->status == MSM_STEP_DONE || s->status == MSM_STEP_DONE_SKIPPED) {
            s->earlier = TRUE;
        } else if (!run_step(reg, plan, opt, &st, s, &lock, error)) {
            stopped = TRUE;
            rep->stopped_at = s->index;
            rep->exit_code = s->status == MSM_STEP_REFUSED      ? MSM_EXIT_REFUSED
                             : s->status == MSM_STEP_INCOMPLETE ? MSM_EXIT_SKIPPED
                                                                : MSM_EXIT_FAILED;
        }
        if (!stopped) {
            skipped |= s->status == MSM_STEP_DONE_SKIPPED;
            note_last_good(rep, s->to, s->root);
        }
        if (sw && sw->on_step)
            sw->on_step(s, rep->steps->len, sw->data);
    }
    st.state = stopped ? "stopped" : "finished";
    GError *serr = NULL;
    if (!state_save(&st, &serr)) {
        if (!stopped) {
            g_propagate_error(error, serr);
            goto out;
        }
        g_clear_error(&serr);
    }
    if (!stopped) {
        rep->exit_code = skipped ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
        ok = TRUE;
    }
out:
    msm_lock_release(lock);
    msm_plan_free(plan);
    state_clear(&st);
    rep->seconds = (g_get_monotonic_time() - t0) / 1e6;
    return ok;
}

/* ---------------------------------------------------------------- reports */

static const char *
exit_word(MsmExitCode c)
{
    switch (c) {
    case MSM_EXIT_OK:
        return "done";
    case MSM_EXIT_SKIPPED:
        return "done with skipped or failed items";
    case MSM_EXIT_REFUSED:
        return "refused by preflight";
    default:
        return "failed";
    }
}

char *
msm_stepwise_step_text(const MsmStepwiseStep *step, guint n_steps)
{
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "== Step %u of %u: %s -> %s  %s\n", step->index, n_steps, step->from,
                           step->to, step->root);
    if (step->earlier) {
        g_string_append_printf(s, "%s by an earlier attempt (run %s)\n",
                               step->status == MSM_STEP_DONE_SKIPPED ? "Done with skipped items"
                                                                     : "Done",
                               step->run_id ? step->run_id : "?");
        return g_string_free(s, FALSE);
    }
    if (step->skeleton && *step->skeleton)
        g_string_append_printf(s, "Skeleton of %s laid out: %s\n", step->to, step->skeleton);
    if (step->carried) {
        char *k = msm_kind_mask_text(step->carried);
        g_string_append_printf(s,
                               "Carried unchanged through this hop (it has nothing to do for "
                               "them): %s\n",
                               k);
        g_free(k);
    }
    if (step->resumed)
        g_string_append_printf(s, "Resumed its run %s\n", step->run_id ? step->run_id : "");
    if (step->report.preflight) {
        char *r = msm_run_report_text(&step->report);
        g_string_append(s, r);
        g_free(r);
    }
    return g_string_free(s, FALSE);
}

char *
msm_stepwise_report_text(const MsmStepwiseReport *rep, gboolean with_steps)
{
    GString *s = g_string_new(NULL);
    guint n = rep->steps ? rep->steps->len : 0;
    if (rep->has_whole) {
        if (!rep->dry_run)
            g_string_append(s, "Preflight of the whole plan (nothing was written):\n");
        char *r = msm_run_report_text(&rep->whole);
        g_string_append(s, r);
        g_free(r);
    }
    if (with_steps)
        for (guint i = 0; i < n; i++) {
            char *t = msm_stepwise_step_text(rep->steps->pdata[i], n);
            g_string_append(s, t);
            g_free(t);
        }
    if (rep->dry_run) {
        g_string_append_printf(s, "Stepwise dry run of %s: a real run would write %u step%s:\n",
                               rep->path ? rep->path : "?", n, n == 1 ? "" : "s");
        for (guint i = 0; i < n; i++) {
            const MsmStepwiseStep *st = rep->steps->pdata[i];
            char *k = msm_kind_mask_text(st->carried);
            g_string_append_printf(s, "  %u. %-7s -> %-8s %s%s%s%s\n", st->index, st->from, st->to,
                                   st->root, *k ? " (carries " : "", k, *k ? ")" : "");
            g_free(k);
        }
        g_string_append_printf(
            s, "Nothing was written but the dry run's work directory (exit %d)\n", rep->exit_code);
        return g_string_free(s, FALSE);
    }
    if (rep->id == NULL || n == 0) {
        g_string_append_printf(s, "Stepwise run: %s (exit %d); nothing was written\n",
                               exit_word(rep->exit_code), rep->exit_code);
        return g_string_free(s, FALSE);
    }
    guint done = 0;
    for (guint i = 0; i < n; i++) {
        const MsmStepwiseStep *st = rep->steps->pdata[i];
        done += st->status == MSM_STEP_DONE || st->status == MSM_STEP_DONE_SKIPPED;
    }
    g_string_append_printf(s, "Stepwise run %s: %s\n", rep->id, rep->path);
    if (n > 1) {
        g_string_append(s, "Intermediate versions (each complete; each can be the --source of "
                           "an ordinary run):\n");
        for (guint i = 0; i + 1 < n; i++) {
            const MsmStepwiseStep *st = rep->steps->pdata[i];
            g_string_append_printf(s, "  %-8s %s  [%s%s%s]\n", st->to, st->root,
                                   msm_step_status_name(st->status), st->run_id ? ", run " : "",
                                   st->run_id ? st->run_id : "");
        }
    }
    const MsmStepwiseStep *lst = rep->steps->pdata[n - 1];
    g_string_append_printf(s, "Destination: %s %s  [%s%s%s]\n", lst->to, lst->root,
                           msm_step_status_name(lst->status), lst->run_id ? ", run " : "",
                           lst->run_id ? lst->run_id : "");
    if (rep->stopped_at) {
        const MsmStepwiseStep *st = rep->steps->pdata[rep->stopped_at - 1];
        g_string_append_printf(s,
                               "Stopped at step %u of %u (%s -> %s): %s. The last good version "
                               "is %s at %s%s.\nFix the cause, then resume: msmigrate run "
                               "--resume %s --target %s\n",
                               st->index, n, st->from, st->to, msm_step_status_name(st->status),
                               rep->last_good_version, rep->last_good_root,
                               rep->stopped_at == 1 ? " (the source, unchanged)" : "", rep->id,
                               rep->target);
    }
    g_string_append_printf(s, "Result: %u of %u steps done, %s (exit %d) in %.1f s\n", done, n,
                           exit_word(rep->exit_code), rep->exit_code, rep->seconds);
    return g_string_free(s, FALSE);
}

/* Appends an object built with MsmJson without its closing brace. */
static void
append_open_object(GString *out, MsmJson *j)
{
    msm_json_end_object(j);
    char *t = msm_json_finish(j);
    size_t len = strlen(t);
    while (len > 0 && (t[len - 1] == '}' || g_ascii_isspace(t[len - 1])))
        len--;
    g_string_append_len(out, t, (gssize)len);
    g_free(t);
}

char *
msm_stepwise_report_json(const MsmStepwiseReport *rep)
{
    GString *out = g_string_new(NULL);
    guint n = rep->steps ? rep->steps->len : 0;
    MsmJson *j = msm_json_new(FALSE);
    msm_json_begin_object(j);
    msm_json_kv_string(j, "stepwise_id", rep->id);
    msm_json_kv_string(j, "from", rep->from);
    msm_json_kv_string(j, "to", rep->to);
    msm_json_kv_string(j, "path", rep->path);
    msm_json_kv_string(j, "source", rep->source);
    msm_json_kv_string(j, "target", rep->target);
    msm_json_kv_string(j, "steps_dir", rep->steps_dir);
    msm_json_kv_string(j, "state_file", rep->dry_run ? NULL : rep->state_file);
    msm_json_kv_bool(j, "dry_run", rep->dry_run);
    msm_json_kv_bool(j, "resumed", rep->resumed);
    msm_json_kv_int(j, "exit_code", rep->exit_code);
    msm_json_kv_string(j, "result", exit_word(rep->exit_code));
    msm_json_key(j, "stopped_at");
    if (rep->stopped_at)
        msm_json_int(j, rep->stopped_at);
    else
        msm_json_null(j);
    msm_json_kv_string(j, "last_good_version", rep->last_good_version);
    msm_json_kv_string(j, "last_good_root", rep->last_good_root);
    msm_json_key(j, "seconds");
    msm_json_int(j, (gint64)rep->seconds);
    append_open_object(out, j);
    g_string_append(out, ",\"whole\":");
    if (rep->has_whole) {
        char *w = msm_run_report_json(&rep->whole);
        g_string_append(out, g_strchomp(w));
        g_free(w);
    } else {
        g_string_append(out, "null");
    }
    g_string_append(out, ",\"steps\":[");
    for (guint i = 0; i < n; i++) {
        const MsmStepwiseStep *st = rep->steps->pdata[i];
        MsmJson *sj = msm_json_new(FALSE);
        msm_json_begin_object(sj);
        msm_json_kv_int(sj, "index", st->index);
        msm_json_kv_string(sj, "from", st->from);
        msm_json_kv_string(sj, "to", st->to);
        msm_json_kv_string(sj, "source", st->source);
        msm_json_kv_string(sj, "root", st->root);
        msm_json_kv_bool(sj, "intermediate", st->index < n);
        msm_json_kv_string(sj, "run_id", st->run_id);
        msm_json_kv_string(sj, "status", msm_step_status_name(st->status));
        msm_json_kv_bool(sj, "earlier", st->earlier);
        msm_json_kv_bool(sj, "resumed", st->resumed);
        msm_json_kv_string(sj, "skeleton", st->skeleton);
        msm_json_key(sj, "carried");
        msm_json_begin_array(sj);
        for (int k = 0; k < MSM_KIND_COUNT; k++)
            if (st->carried & (1u << k))
                msm_json_string(sj, msm_kind_name((MsmKind)k));
        msm_json_end_array(sj);
        msm_json_kv_string(sj, "error", st->error);
        if (i)
            g_string_append_c(out, ',');
        append_open_object(out, sj);
        g_string_append(out, ",\"report\":");
        if (st->report.preflight) {
            char *r = msm_run_report_json(&st->report);
            g_string_append(out, g_strchomp(r));
            g_free(r);
        } else {
            g_string_append(out, "null");
        }
        g_string_append_c(out, '}');
    }
    g_string_append(out, "]}\n");
    return g_string_free(out, FALSE);
}
