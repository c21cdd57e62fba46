/*
 * NAME
 *	check.c - precondition checks the host provides to hop plugins
 * SUMMARY
 *	Implements include/msmigrate/check.h: queues empty, services stopped,
 *	target installed, one instance, hop not applied yet, separate target.
 *	Each reads the deployments through their layouts
 *	(docs/formats/layout.md) and changes nothing.
 * DESCRIPTION
 *	The source layout is the context's when the engine has resolved it,
 *	else it is resolved here for the run's origin (and --instance); the
 *	target layout likewise for the hop's destination.
 *
 *	Queues: when the registry has a queue codec for the source version,
 *	the queue is read through it (queue-rename.h) and the detail counts
 *	messages per channel like `imsimta qm counters`, held ones apart, and
 *	names unreadable files. Otherwise files are counted:
 *	every sub-directory of the queue root is a channel
 *	(domain-facts 3.5 [C]); files below it, in `subdirs N` sub-directories
 *	too, are messages; names beginning with "$" are temporary files and
 *	are ignored at any depth; ".HELD" files are counted as held (they are
 *	still messages in the queue). A plain file directly in the queue root
 *	is counted under "(top level)" rather than ignored: the products put
 *	nothing there (MS62-AG), so it is either a message of a queue format
 *	msmigrate models (NMS, [NF]) or something the administrator must look at.
 *
 *	Services: the pid files of layout.md §4 (a project model). When the
 *	run directory does not exist the check is MSM_CHECK_MANUAL and the
 *	detail says how to confirm by hand.
 *
 *	Target installed: the target's files (detect.h) must allow the hop's
 *	destination, or, in a chained run whose intermediate versions are never
 *	installed (DESIGN 5), the run's destination. The history's exact
 *	version is shown but not required: an in-place hop finds the old
 *	version's history under the new version's files.
 *
 *	History: a hop counts as applied when the target history has an entry
 *	with action "hop", the same from and to, and no later "rollback" entry
 *	taking the deployment back to the hop's origin.
 * DIAGNOSTICS
 *	A check that could not run (unreadable queue or run directory, bad
 *	history file, unresolvable layout) returns MSM_CHECK_FAIL with *error
 *	set naming the path. Otherwise *detail_r says what was found and, on
 *	failure, what to do.
 */
#include "config.h"

#include "util.h"

#include <msmigrate/msmigrate.h>

#include "ctxpriv.h"
#include "detect.h"
#include "history.h"
#include "queue-rename.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The source layout the host resolved, or NULL before resolution. */
const struct MsmLayout *
msm_ctx_source_layout(const MsmCtx *ctx)
{
    return ctx->source_layout;
}

/* The target layout of the current hop, or NULL before resolution. */
const struct MsmLayout *
msm_ctx_target_layout(const MsmCtx *ctx)
{
    return ctx->target_layout;
}

/* The layout of the source (or target): the context's, or one resolved now into
 * *owned_r (free it). NULL with error when it cannot be resolved. */
static const MsmLayout *
get_layout(MsmCtx *ctx, gboolean source, MsmLayout **owned_r, GError **error)
{
    *owned_r = NULL;
    const MsmLayout *l = source ? ctx->source_layout : ctx->target_layout;
    if (l != NULL)
        return l;
    const char *root = source ? ctx->source_root : ctx->target_root;
    const char *version = source ? (ctx->run_from ? ctx->run_from : ctx->hop_from) : ctx->hop_to;
    if (root == NULL || version == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "cannot check the %s: its root or version is not known yet",
                    source ? "source" : "target");
        return NULL;
    }
    *owned_r = msm_layout_resolve(root, version, ctx->instance, error);
    return *owned_r;
}

/* "1 message" / "2 messages". (transfer full) */
static char *
plural(guint64 n, const char *one, const char *many)
{
    return g_strdup_printf("%" G_GUINT64_FORMAT " %s", n, n == 1 ? one : many);
}

typedef struct {
    char *name;
    guint64 count;
} ChannelCount;

/* Orders channels by count (descending), then name. */
static gint
cmp_channel(gconstpointer a, gconstpointer b)
{
    const ChannelCount *x = *(ChannelCount *const *)a, *y = *(ChannelCount *const *)b;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Frees a ChannelCount. */
static void
channel_count_free(gpointer p)
{
    ChannelCount *c = p;
    g_free(c->name);
    g_free(c);
}

/* Counts the message files below dir (recursively), skipping "$" names.
 * FALSE with error if a directory cannot be read. */
static gboolean
count_messages(const char *dir, guint64 *count, guint64 *held, GError **error)
{
    GError *err = NULL;
    GDir *d = g_dir_open(dir, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue directory %s: %s", dir,
                    err->message);
        g_error_free(err);
        return FALSE;
    }
    gboolean ok = TRUE;
    const char *n;
    while (ok && (n = g_dir_read_name(d)) != NULL) {
        if (n[0] == '$')
            continue;
        char *p = g_build_filename(dir, n, NULL);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            ok = count_messages(p, count, held, error);
        } else {
            (*count)++;
            if (g_str_has_suffix(n, ".HELD"))
                (*held)++;
        }
        g_free(p);
    }
    g_dir_close(d);
    return ok;
}

/* What to do about a queue that is not empty (seed 003). */
#define QUEUE_HINT                                                                             \
    "let the MTA deliver them (stop the dispatcher/SMTP port, then check with imsimta qm "     \
    "counters or mailq), pass --wait to wait until the queue drains, or --migrate-queues to "  \
    "convert the queued messages too"

/* PASS when the queue codec of the source version reads no message: counts per
 * channel through the codec, so every queue format is counted as the MTA would. */
static MsmCheckResult
queues_empty_by_codec(MsmCtx *ctx, const MsmLayout *l, char **detail_r, GError **error)
{
    MsmQueueCounts *c = NULL;
    const char *version = msm_layout_version(l);
    if (!msm_queue_count(ctx->registry, ctx->source_root, version, ctx->instance, &c, error))
        return MSM_CHECK_FAIL;
    MsmCheckResult res = MSM_CHECK_FAIL;
    char *sum = msm_queue_counts_summary(c);
    if (c->total_queued + c->total_held + c->unreadable == 0) {
        *detail_r = g_strdup_printf("no messages in %s (read with the %s queue codec)",
                                    msm_layout_queue_dir(l), version);
        res = MSM_CHECK_PASS;
    } else {
        GString *s = g_string_new(NULL);
        g_string_append_printf(s, "%s at %s", sum, msm_layout_queue_dir(l));
        for (guint i = 0; i < c->problems->len && i < 3; i++)
            g_string_append_printf(s, "; %s", (const char *)c->problems->pdata[i]);
        g_string_append_printf(s, ": %s", QUEUE_HINT);
        *detail_r = g_string_free(s, FALSE);
    }
    g_free(sum);
    msm_queue_counts_free(c);
    return res;
}

/* PASS when no message file is left in any channel of the source queue. */
MsmCheckResult
msm_check_queues_empty(MsmCtx *ctx, char **detail_r, GError **error)
{
    MsmLayout *owned;
    const MsmLayout *l = get_layout(ctx, TRUE, &owned, error);
    if (l == NULL)
        return MSM_CHECK_FAIL;
    if (ctx->registry &&
        msm_registry_find_codec(ctx->registry, MSM_KIND_QUEUE, msm_layout_version(l))) {
        MsmCheckResult r = queues_empty_by_codec(ctx, l, detail_r, error);
        msm_layout_free(owned);
        return r;
    }
    const char *q = msm_layout_queue_dir(l);
    MsmCheckResult res = MSM_CHECK_FAIL;
    struct stat st;
    if (lstat(q, &st) != 0 && errno == ENOENT) {
        *detail_r = g_strdup_printf("no queue directory at %s", q);
        res = MSM_CHECK_PASS;
        goto out;
    }
    if (stat(q, &st) != 0 || !S_ISDIR(st.st_mode)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                    "queue root %s is not a directory: check the deployment's IMTA_QUEUE", q);
        goto out;
    }
    GError *err = NULL;
    GDir *d = g_dir_open(q, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read queue directory %s: %s", q,
                    err->message);
        g_error_free(err);
        goto out;
    }
    GPtrArray *channels = g_ptr_array_new_with_free_func(channel_count_free);
    guint64 total = 0, held = 0, top = 0;
    guint ndirs = 0;
    gboolean ok = TRUE;
    const char *n;
    while (ok && (n = g_dir_read_name(d)) != NULL) {
        if (n[0] == '$')
            continue;
        char *p = g_build_filename(q, n, NULL);
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            guint64 c = 0;
            ndirs++;
            ok = count_messages(p, &c, &held, error);
            if (c > 0) {
                ChannelCount *cc = g_new0(ChannelCount, 1);
                cc->name = g_strdup(n);
                cc->count = c;
                g_ptr_array_add(channels, cc);
                total += c;
            }
        } else {
            top++;
            total++;
            if (g_str_has_suffix(n, ".HELD"))
                held++;
        }
        g_free(p);
    }
    g_dir_close(d);
    if (ok) {
        if (top > 0) {
            ChannelCount *cc = g_new0(ChannelCount, 1);
            cc->name = g_strdup("(top level)");
            cc->count = top;
            g_ptr_array_add(channels, cc);
        }
        g_ptr_array_sort(channels, cmp_channel);
        if (total == 0) {
            char *nc = plural(ndirs, "channel", "channels");
            *detail_r = g_strdup_printf("no messages in %s (%s, all empty)", q, nc);
            g_free(nc);
            res = MSM_CHECK_PASS;
        } else {
            GString *s = g_string_new(NULL);
            char *nm = plural(total, "message", "messages");
            char *nc = plural(channels->len, "channel", "channels");
            g_string_append_printf(s, "%s in %s (", nm, nc);
            g_free(nm);
            g_free(nc);
            for (guint i = 0; i < channels->len; i++) {
                ChannelCount *cc = channels->pdata[i];
                g_string_append_printf(s, "%s%s: %" G_GUINT64_FORMAT, i ? ", " : "", cc->name,
                                       cc->count);
            }
            g_string_append_printf(s, "; %" G_GUINT64_FORMAT " held) at %s: %s", held, q,
                                   QUEUE_HINT);
            *detail_r = g_string_free(s, FALSE);
        }
    }
    g_ptr_array_unref(channels);
out:
    msm_layout_free(owned);
    return res;
}

/* How to stop the services of a deployment of version, by hand. (transfer full) */
static char *
stop_hint(const MsmLayout *l)
{
    const char *fam = msm_version_family(msm_layout_version(l));
    const char *base = msm_layout_base_dir(l);
    if (strcmp(fam, "sims") == 0)
        return g_strdup_printf("%s/sbin/im.server stop (seed 003)", base);
    if (strcmp(fam, "nms") == 0 || strcmp(fam, "ims") == 0)
        return g_strdup_printf("%s/stop-msg (seeds 002, 003)", base);
    return g_strdup_printf("%s/sbin/stop-msg", base);
}

/* The shared body of source_stopped / target_stopped. */
static MsmCheckResult
check_stopped(MsmCtx *ctx, gboolean source, char **detail_r, GError **error)
{
    MsmLayout *owned;
    const MsmLayout *l = get_layout(ctx, source, &owned, error);
    if (l == NULL)
        return MSM_CHECK_FAIL;
    const char *run = msm_layout_run_dir(l);
    const char *what = source ? "source" : "target";
    MsmCheckResult res = MSM_CHECK_FAIL;
    char *hint = stop_hint(l);
    struct stat st;
    if (stat(run, &st) != 0 || !S_ISDIR(st.st_mode)) {
        *detail_r = g_strdup_printf(
            "no pid file directory at %s (docs/formats/layout.md §4: a model, the products' own "
            "pid files are not public): stop the %s's services with %s and check with ps -ef "
            "that none of its stored, imapd, popd, mshttpd, dispatcher, job_controller or "
            "tcp_smtp_server processes remains",
            run, what, hint);
        res = MSM_CHECK_MANUAL;
        goto out;
    }
    GError *err = NULL;
    GDir *d = g_dir_open(run, 0, &err);
    if (d == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read pid file directory %s: %s", run,
                    err->message);
        g_error_free(err);
        goto out;
    }
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    const char *n;
    while ((n = g_dir_read_name(d)) != NULL)
        if (g_str_has_suffix(n, ".pid") && strlen(n) > 4)
            g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    GString *alive = g_string_new(NULL), *stale = g_string_new(NULL), *bad = g_string_new(NULL);
    gboolean ok = TRUE;
    for (guint i = 0; i < names->len && ok; i++) {
        const char *file = names->pdata[i];
        char *service = g_strndup(file, strlen(file) - 4);
        char *path = g_build_filename(run, file, NULL);
        char *content = NULL;
        if (!g_file_get_contents(path, &content, NULL, &err)) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot read pid file %s: %s", path,
                        err->message);
            g_clear_error(&err);
            ok = FALSE;
        } else {
            char *nl = strchr(content, '\n');
            if (nl != NULL)
                *nl = '\0';
            g_strstrip(content);
            char *end = NULL;
            errno = 0;
            long pid = strtol(content, &end, 10);
            if (*content == '\0' || *end != '\0' || errno != 0 || pid <= 0 || pid > INT_MAX) {
                g_string_append_printf(bad, "%s%s", bad->len ? ", " : "", path);
            } else if (kill((pid_t)pid, 0) == 0 || errno == EPERM) {
                g_string_append_printf(alive, "%s%s (pid %ld)", alive->len ? ", " : "", service,
                                       pid);
            } else {
                g_string_append_printf(stale, "%s%s (pid %ld)", stale->len ? ", " : "", service,
                                       pid);
            }
        }
        g_free(content);
        g_free(path);
        g_free(service);
    }
    if (ok) {
        if (alive->len > 0 || bad->len > 0) {
            GString *s = g_string_new(NULL);
            if (alive->len > 0)
                g_string_append_printf(s, "%s services running: %s", what, alive->str);
            if (bad->len > 0)
                g_string_append_printf(s,
                                       "%spid files that hold no process id: %s (remove them "
                                       "once the services are stopped)",
                                       s->len ? "; " : "", bad->str);
            g_string_append_printf(s, "; stop them with %s", hint);
            *detail_r = g_string_free(s, FALSE);
        } else {
            *detail_r =
                stale->len > 0
                    ? g_strdup_printf("no %s service running (stale pid files in %s: %s)", what,
                                      run, stale->str)
                    : g_strdup_printf("no %s service running (no pid files in %s)", what, run);
            res = MSM_CHECK_PASS;
        }
    }
    g_string_free(alive, TRUE);
    g_string_free(stale, TRUE);
    g_string_free(bad, TRUE);
    g_ptr_array_unref(names);
out:
    g_free(hint);
    msm_layout_free(owned);
    return res;
}

/* PASS when no pid file of the source names a live process. */
MsmCheckResult
msm_check_source_stopped(MsmCtx *ctx, char **detail_r, GError **error)
{
    return check_stopped(ctx, TRUE, detail_r, error);
}

/* PASS when no pid file of the target names a live process. */
MsmCheckResult
msm_check_target_stopped(MsmCtx *ctx, char **detail_r, GError **error)
{
    return check_stopped(ctx, FALSE, detail_r, error);
}

/* Where the seeds say the target version is installed before the upgrade. */
static const char *
install_source(const char *to)
{
    if (strcmp(to, "nms-4.1") == 0)
        return "seed 002: the 4.1 installation program performs the upgrade";
    if (strcmp(to, "ims-5.2") == 0)
        return "seed 003: install iPlanet Messaging Server, then migrate";
    if (strcmp(to, "ms-6.0") == 0)
        return "seed 000: Messaging Server 6 2004Q2 is installed and configured";
    if (strcmp(to, "ms-6.3") == 0)
        return "seed 001: the 6.3 patches are installed first";
    if (g_str_has_prefix(to, "ms-8."))
        return "seed 004: install the new version's packages first";
    return "DESIGN 3: the target version is installed first";
}

/* Joins a GPtrArray of strings with ", ". (transfer full) */
static char *
join(GPtrArray *a)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < a->len; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", (char *)a->pdata[i]);
    return g_string_free(s, FALSE);
}

/* PASS when the target's files allow the hop's (or the run's) destination. */
MsmCheckResult
msm_check_target_installed(MsmCtx *ctx, char **detail_r, GError **error)
{
    if (ctx->target_root == NULL || ctx->hop_to == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "cannot check the target: its root or the hop's version is not known yet");
        return MSM_CHECK_FAIL;
    }
    /* In a chained run the intermediate versions are never installed (DESIGN 5):
     * what must be installed is the run's destination. */
    const char *to = ctx->hop_to;
    const char *run_to = ctx->run_to && msm_version_is_known(ctx->run_to) ? ctx->run_to : to;
    const char *display = msm_version_display_name(run_to);
    GError *err = NULL;
    MsmDetection *det = msm_detect(ctx->target_root, &err);
    if (det == NULL) {
        *detail_r = g_strdup_printf("%s: install and configure %s at %s first (%s)", err->message,
                                    display, ctx->target_root, install_source(run_to));
        g_error_free(err);
        return MSM_CHECK_FAIL;
    }
    MsmCheckResult res = MSM_CHECK_FAIL;
    gboolean has_hop_to = g_ptr_array_find_with_equal_func(det->candidates, to, g_str_equal, NULL);
    gboolean has_run_to =
        g_ptr_array_find_with_equal_func(det->candidates, run_to, g_str_equal, NULL);
    char *cands = join(det->candidates);
    char *hist =
        det->version ? g_strdup_printf("; its history says %s", det->version) : g_strdup("");
    if (has_hop_to) {
        *detail_r = g_strdup_printf("%s holds %s (%s%s%s), which can be %s", det->root, det->family,
                                    det->base_dir ? det->base_dir : "", det->base_dir ? "; " : "",
                                    cands, to);
        res = MSM_CHECK_PASS;
    } else if (has_run_to) {
        *detail_r = g_strdup_printf(
            "%s is an intermediate version of this run and is not installed (DESIGN 5: "
            "the chain writes only the destination); %s holds %s (%s), which can be the "
            "run's destination %s%s",
            to, det->root, det->family, cands, run_to, hist);
        res = MSM_CHECK_PASS;
    } else {
        char *found;
        if (det->family != NULL)
            found = g_strdup_printf("%s (%s)", det->family, cands);
        else
            found = g_strdup("no known deployment");
        *detail_r =
            g_strdup_printf("found %s at %s%s: install and configure %s at %s first (%s)", found,
                            det->root, hist, display, det->root, install_source(run_to));
        g_free(found);
    }
    g_free(hist);
    g_free(cands);
    msm_detection_free(det);
    return res;
}

/* PASS with at most one instance, or with --instance naming one that exists. */
MsmCheckResult
msm_check_single_instance(MsmCtx *ctx, char **detail_r, GError **error)
{
    if (ctx->source_root == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "cannot check the source: its root is not known yet");
        return MSM_CHECK_FAIL;
    }
    MsmDetection *det = msm_detect(ctx->source_root, error);
    if (det == NULL)
        return MSM_CHECK_FAIL;
    MsmCheckResult res = MSM_CHECK_FAIL;
    char *list = join(det->instances);
    if (ctx->instance != NULL) {
        if (g_ptr_array_find_with_equal_func(det->instances, ctx->instance, g_str_equal, NULL)) {
            *detail_r = g_strdup_printf("instance %s chosen with --instance (instances: %s)",
                                        ctx->instance, list);
            res = MSM_CHECK_PASS;
        } else {
            *detail_r =
                g_strdup_printf("%s has no instance msg-%s (instances: %s): pass "
                                "--instance with one of them",
                                det->root, ctx->instance, det->instances->len ? list : "none");
        }
    } else if (det->instances->len <= 1) {
        *detail_r = det->instances->len == 1
                        ? g_strdup_printf("one instance: msg-%s", list)
                        : g_strdup_printf("%s has no msg-<instance> directories", det->root);
        res = MSM_CHECK_PASS;
    } else {
        *detail_r = g_strdup_printf("%s holds %u instances (%s): the vendor upgrades only one "
                                    "(seed 000); pass --instance NAME",
                                    det->root, det->instances->len, list);
    }
    g_free(list);
    msm_detection_free(det);
    return res;
}

/* FAIL when the target history already records this hop for a kind this run migrates on
 * it (unless --force): a config-only run followed by a store-only run of the same hops
 * is not a repetition. A rollback to the hop's origin clears what was recorded. */
MsmCheckResult
msm_check_not_applied(MsmCtx *ctx, char **detail_r, GError **error)
{
    if (ctx->target_root == NULL || ctx->hop_from == NULL || ctx->hop_to == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "cannot check the target's history: the target root or the hop is not "
                    "known yet");
        return MSM_CHECK_FAIL;
    }
    GPtrArray *entries = msm_history_load(ctx->target_root, error);
    if (entries == NULL)
        return MSM_CHECK_FAIL;
    const MsmHistoryEntry *applied = NULL; /* the last entry that overlaps this run */
    guint applied_at = 0, applied_kinds = 0;
    for (guint i = 0; i < entries->len; i++) {
        const MsmHistoryEntry *e = entries->pdata[i];
        if (g_strcmp0(e->action, "hop") == 0 && g_strcmp0(e->from, ctx->hop_from) == 0 &&
            g_strcmp0(e->to, ctx->hop_to) == 0) {
            guint km = 0;
            msm_kind_mask_parse(e->kinds, &km); /* a kind this version does not know: none */
            if (km & ctx->hop_kinds) {
                applied = e;
                applied_at = i + 1;
            }
            applied_kinds |= km;
        } else if (g_strcmp0(e->action, "rollback") == 0 && g_strcmp0(e->to, ctx->hop_from) == 0) {
            applied = NULL; /* rolled back to the hop's origin: it may run again */
            applied_kinds = 0;
        }
    }
    guint again = applied_kinds & ctx->hop_kinds;
    MsmCheckResult res;
    if (applied == NULL || again == 0) {
        if (applied_kinds == 0) {
            *detail_r = g_strdup_printf("the history of %s does not record %s -> %s",
                                        ctx->target_root, ctx->hop_from, ctx->hop_to);
        } else {
            char *done = msm_kind_mask_text(applied_kinds & ((1u << MSM_KIND_COUNT) - 1));
            *detail_r = g_strdup_printf("the history of %s records %s -> %s for %s only, not "
                                        "for the kinds this run migrates",
                                        ctx->target_root, ctx->hop_from, ctx->hop_to, done);
            g_free(done);
        }
        res = MSM_CHECK_PASS;
    } else if (ctx->force) {
        *detail_r = g_strdup_printf("already applied by run %s; --force given", applied->run_id);
        res = MSM_CHECK_PASS;
    } else {
        char *k = msm_kind_mask_text(again & ((1u << MSM_KIND_COUNT) - 1));
        *detail_r = g_strdup_printf(
            "%s -> %s was already applied to %s by run %s (history entry %u) for %s: running "
            "it again would overwrite what the first run wrote (seed 000); pass --force to "
            "apply it again, or --only with the kinds not yet migrated",
            ctx->hop_from, ctx->hop_to, ctx->target_root, applied->run_id, applied_at, k);
        g_free(k);
        res = MSM_CHECK_FAIL;
    }
    g_ptr_array_unref(entries);
    return res;
}

/* FAIL when source and target are the same directory once links are resolved. */
MsmCheckResult
msm_check_separate_target(MsmCtx *ctx, char **detail_r, GError **error)
{
    if (ctx->source_root == NULL || ctx->target_root == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "cannot compare source and target: a root is not known yet");
        return MSM_CHECK_FAIL;
    }
    char *s = msm_canonical_path(ctx->source_root);
    char *t = msm_canonical_path(ctx->target_root);
    MsmCheckResult res;
    if (strcmp(s, t) == 0) {
        *detail_r = g_strdup_printf("source and target are the same directory (%s): install "
                                    "the target version on another host or root first",
                                    s);
        res = MSM_CHECK_FAIL;
    } else {
        *detail_r = g_strdup_printf("source %s, target %s", s, t);
        res = MSM_CHECK_PASS;
    }
    g_free(s);
    g_free(t);
    return res;
}
