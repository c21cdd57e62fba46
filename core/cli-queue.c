/*
 * NAME
 *	cli-queue.c - `msmigrate queue counters|convert|verify|held|release`
 * SUMMARY
 *	counters ROOT: messages per channel, held ones apart (imsimta qm
 *	  counters, the check seed 003 runs before SIMS and NMS migrations).
 *	  Exit 0 when the queue is empty, 2 when it holds messages.
 *	convert SRC --from V1 --to V2 TARGET: qconvert (seed 002) for any
 *	  chain: a run restricted to the queue kind (engine.c), every message
 *	  journalled, so a killed conversion resumes with --resume ID;
 *	  queues-empty is overridden (converting the queue is the point).
 *	verify SRC TARGET: compares the two queues message by message
 *	  (channel after the chain's renames, sender, recipients, attempts,
 *	  held state, dates, body digest). Exit 2 on any difference.
 *	held ROOT [--user U --domain D]: lists and counts held messages (in
 *	  the hold channel, or .HELD).
 *	release ROOT --user U --domain D [--channel C]: hold_master -u -d:
 *	  re-queues that user's held messages to the channel that now serves
 *	  them (default the version's store channel for the hold channel, the
 *	  message's own channel for a .HELD file), attempts and dates kept,
 *	  journalled under ROOT/.msmigrate/queue-release/<id>, idempotent.
 * DIAGNOSTICS
 *	A queue file the codec cannot read is reported with its path, counted
 *	as unreadable and left untouched; the command goes on. Errors name
 *	the deployment, the file or the item and what to do.
 */
#include "config.h"

#include "util.h"

#include "cli.h"
#include "ctxpriv.h"
#include "detect.h"
#include "engine.h"
#include "builtin.h"
#include "digest.h"
#include "journal.h"
#include "json.h"
#include "lock.h"
#include "queue-rename.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    guint64 queued;
    guint64 held;
} ChannelCount;

typedef struct {
    GHashTable *channels; /* name -> ChannelCount* */
    guint64 *unreadable_r;
} Counting;

/* Counts one message into its channel (MsmQueueFunc). */
static gboolean
count_item(MsmItem *item, gpointer data, GError **error)
{
    (void)error;
    Counting *k = data;
    const MsmQueuedMessage *q = item->payload;
    ChannelCount *c = g_hash_table_lookup(k->channels, q->channel);
    if (c == NULL) {
        c = g_new0(ChannelCount, 1);
        g_hash_table_insert(k->channels, g_strdup(q->channel), c);
    }
    if (msm_queue_is_held(q))
        c->held++;
    else
        c->queued++;
    msm_item_free(item);
    return TRUE;
}

/* A file the codec cannot parse: reported, and the count goes on with the
 * next (MsmQueueErrorFunc). */
static gboolean
count_error(GError *err, gpointer data, GError **error)
{
    Counting *k = data;
    if (!msm_reader_error_is_per_entry(err) || *k->unreadable_r >= 100000) {
        g_propagate_error(error, err);
        return FALSE;
    }
    fprintf(stderr, "msmigrate: queue counters: %s\n", err->message);
    g_error_free(err);
    (*k->unreadable_r)++;
    return TRUE;
}

/* Counts the queue of root at version into channels (name -> ChannelCount*). */
static gboolean
count_queue(MsmRegistry *reg, const char *root, const char *version, const char *instance,
            GHashTable *channels, guint64 *unreadable_r, GError **error)
{
    const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_QUEUE, version);
    if (ref == NULL || ref->codec->reader_open == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no queue codec for %s is loaded (see 'msmigrate plugins')", version);
        return FALSE;
    }
    Counting k = {channels, unreadable_r};
    return msm_queue_walk(reg, ref->codec, root, version, instance, count_item, count_error, &k,
                          error);
}

/* `queue counters`. */
static int
queue_counters(int argc, char **argv)
{
    CliCommon common = {0};
    char *version = NULL, *instance = NULL;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    MsmDetection *det = NULL;
    GError *err = NULL;
    GHashTable *channels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    const GOptionEntry entries[] = {
        {"version", 0, 0, G_OPTION_ARG_STRING, &version,
         "The deployment's version (default: detected)", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "The instance when the server root has several", "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "queue counters", "ROOT",
                   "Count the messages in a deployment's MTA queue per channel, held ones "
                   "apart (imsimta qm counters). Exit 0 when the queue is empty, 2 when it "
                   "holds messages.",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: queue counters: name one deployment root\n");
        goto out;
    }
    const char *root = argv[1];
    const char *id = NULL;
    if (version) {
        if ((id = cli_version(version, "queue counters --version")) == NULL)
            goto out;
    } else {
        det = msm_detect(root, &err);
        if (det == NULL || (id = msm_detection_pick(det, NULL, &err)) == NULL) {
            cli_error("queue counters", err);
            goto out;
        }
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("queue counters", err);
        goto out;
    }
    guint64 unreadable = 0;
    if (!count_queue(reg, root, id, instance, channels, &unreadable, &err)) {
        cli_error("queue counters", err);
        goto out;
    }
    GPtrArray *names = g_ptr_array_new();
    GHashTableIter it;
    gpointer key;
    g_hash_table_iter_init(&it, channels);
    while (g_hash_table_iter_next(&it, &key, NULL))
        g_ptr_array_add(names, key);
    g_ptr_array_sort(names, msm_strcmp_ptr);
    guint64 queued = 0, held = 0;
    MsmJson *j = common.json ? msm_json_new(TRUE) : NULL;
    if (j) {
        msm_json_begin_object(j);
        msm_json_kv_string(j, "root", root);
        msm_json_kv_string(j, "version", id);
        msm_json_key(j, "channels");
        msm_json_begin_array(j);
    } else {
        printf("%-24s %10s %10s\n", "channel", "queued", "held");
    }
    for (guint i = 0; i < names->len; i++) {
        const ChannelCount *c = g_hash_table_lookup(channels, names->pdata[i]);
        queued += c->queued;
        held += c->held;
        if (j) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "channel", names->pdata[i]);
            msm_json_kv_int(j, "queued", (gint64)c->queued);
            msm_json_kv_int(j, "held", (gint64)c->held);
            msm_json_end_object(j);
        } else {
            printf("%-24s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT "\n",
                   (const char *)names->pdata[i], c->queued, c->held);
        }
    }
    if (j) {
        msm_json_end_array(j);
        msm_json_kv_int(j, "queued", (gint64)queued);
        msm_json_kv_int(j, "held", (gint64)held);
        msm_json_kv_int(j, "unreadable", (gint64)unreadable);
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        fputs(out, stdout);
        g_free(out);
    } else {
        printf("%-24s %10" G_GUINT64_FORMAT " %10" G_GUINT64_FORMAT "\n", "total", queued, held);
        if (unreadable)
            printf("%" G_GUINT64_FORMAT " queue file(s) could not be read (see above)\n",
                   unreadable);
    }
    g_ptr_array_unref(names);
    rc = (queued + held + unreadable) ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
out:
    g_hash_table_unref(channels);
    g_clear_error(&err);
    if (det)
        msm_detection_free(det);
    msm_registry_free(reg);
    g_free(version);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}

/* The version of root: the one given (resolved), else detected. NULL + message. */
static const char *
root_version(const char *verb, const char *given, const char *root, MsmDetection **det_r)
{
    GError *err = NULL;
    if (given)
        return cli_version(given, verb);
    const char *id = NULL;
    *det_r = msm_detect(root, &err);
    if (*det_r == NULL || (id = msm_detection_pick(*det_r, NULL, &err)) == NULL) {
        cli_error(verb, err);
        g_clear_error(&err);
        return NULL;
    }
    return id;
}

/* ---- convert ---- */

/* `queue convert SRC --from V1 --to V2 TARGET` / `queue convert --resume ID TARGET`. */
static int
queue_convert(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL, *to = NULL, *instance = NULL, *resume = NULL;
    char **confirm = NULL, ** override = NULL;
    gboolean dry_run = FALSE, break_lock = FALSE;
    gint threads = 0;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    MsmRunReport rep = {0};
    GPtrArray *ov = g_ptr_array_new();
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "Version of the source queue", "VERSION"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "Version of the target queue", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "The instance when a server root has several", "NAME"},
        {"resume", 0, 0, G_OPTION_ARG_STRING, &resume,
         "Resume the conversion ID where it stopped (give only TARGET)", "ID"},
        {"dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run,
         "Read and convert every message, write nothing", NULL},
        {"confirm", 0, 0, G_OPTION_ARG_STRING_ARRAY, &confirm,
         "A precondition you checked by hand (repeatable)", "ID"},
        {"override", 0, 0, G_OPTION_ARG_STRING_ARRAY, &override,
         "Go on despite a failed precondition the seeds allow overriding (repeatable)", "ID"},
        {"break-lock", 0, 0, G_OPTION_ARG_NONE, &break_lock,
         "Replace a stale lock left by a conversion that died", NULL},
        {"threads", 'j', 0, G_OPTION_ARG_INT, &threads, "Workers (default: number of cores)", "N"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "queue convert", "SRC TARGET",
                   "Convert the MTA queue of SRC (version --from) into the queue of TARGET "
                   "(version --to), like qconvert: channels renamed along the chain, attempts, "
                   "dates and held state kept, every message journalled (resume a killed "
                   "conversion with --resume ID TARGET). Exit 0 done, 1 failed, 2 some "
                   "messages not converted, 3 refused.",
                   entries, &common))
        goto out;
    MsmRunOptions opt = {0};
    if (resume) {
        if (argc != 2) {
            fprintf(stderr, "msmigrate: queue convert: with --resume, name only TARGET\n");
            goto out;
        }
        opt.target_root = argv[1];
        opt.resume_id = resume;
    } else {
        if (argc != 3 || to == NULL) {
            fprintf(stderr, "msmigrate: queue convert: name SRC and TARGET and pass --to "
                            "(and --from unless SRC's version can be detected)\n");
            goto out;
        }
        opt.source_root = argv[1];
        opt.target_root = argv[2];
        if (from && (opt.from = cli_version(from, "queue convert --from")) == NULL)
            goto out;
        if ((opt.to = cli_version(to, "queue convert --to")) == NULL)
            goto out;
        for (char **o = override; o && *o; o++)
            g_ptr_array_add(ov, *o);
        g_ptr_array_add(ov, (gpointer) "queues-empty");
        g_ptr_array_add(ov, NULL);
        opt.override = (const char *const *)ov->pdata;
        char *a = g_canonicalize_filename(opt.source_root, NULL);
        char *b = g_canonicalize_filename(opt.target_root, NULL);
        gboolean same = strcmp(a, b) == 0;
        g_free(a);
        g_free(b);
        if (same) {
            fprintf(stderr, "msmigrate: queue convert: SRC and TARGET are the same directory; "
                            "convert into the new version's root (or a scratch root), check it "
                            "with 'msmigrate queue verify', then move the queue into place\n");
            goto out;
        }
    }
    if (threads < 0) {
        fprintf(stderr, "msmigrate: queue convert: --threads must be 1 or more\n");
        goto out;
    }
    opt.instance = instance;
    opt.kinds = 1u << MSM_KIND_QUEUE;
    opt.dry_run = dry_run;
    opt.break_lock = break_lock;
    opt.threads = (guint)threads;
    opt.confirm = (const char *const *)confirm;
    opt.profile = common.profile;
    opt.quiet = common.quiet || common.json;
    opt.verbose = common.verbose;
    opt.progress = !common.json && !common.quiet && isatty(2);
    opt.command = "msmigrate queue convert";
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("queue convert", err);
        goto out;
    }
    gboolean ok = msm_engine_run(reg, &opt, &rep, &err);
    char *text = common.json ? msm_run_report_json(&rep) : msm_run_report_text(&rep);
    fputs(text, stdout);
    g_free(text);
    if (!ok)
        cli_error("queue convert", err);
    rc = rep.exit_code;
out:
    msm_run_report_clear(&rep);
    g_clear_error(&err);
    msm_registry_free(reg);
    g_ptr_array_unref(ov);
    g_free(from);
    g_free(to);
    g_free(instance);
    g_free(resume);
    g_strfreev(confirm);
    g_strfreev(override);
    cli_common_clear(&common);
    return rc;
}

/* ---- verify ---- */

typedef struct {
    char *key;
    char *envelope;
    gboolean used;
} TargetMsg;

typedef struct {
    const char *from, *to; /* versions: channels of the source are renamed from -> to */
    GHashTable *by_body;   /* body digest -> GPtrArray of TargetMsg* */
    GPtrArray *all;        /* TargetMsg* (owns) */
    guint64 matched, missing, differ, source_count;
    MsmJson *j; /* differences as JSON, or NULL for text */
    GError *digest_error;
} VerifyState;

static void
target_msg_free(gpointer p)
{
    TargetMsg *t = p;
    g_free(t->key);
    g_free(t->envelope);
    g_free(t);
}

/* The body digest of q (consumes the body). (transfer full) */
static char *
body_digest(MsmQueuedMessage *q, GError **error)
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 *buf = g_malloc(65536);
    gboolean ok = TRUE;
    while (q->body) {
        gssize n = msm_body_read(q->body, buf, 65536, error);
        if (n < 0) {
            ok = FALSE;
            break;
        }
        if (n == 0)
            break;
        g_checksum_update(c, buf, n);
    }
    g_free(buf);
    char *d = ok ? g_strdup(g_checksum_get_string(c)) : NULL;
    g_checksum_free(c);
    return d;
}

/* The body digest of a queued message item; NULL + error "reading <key><how>: ..."
 * with the item freed. (transfer full) */
static char *
item_digest(MsmItem *item, const char *how, GError **error)
{
    char *d = body_digest(item->payload, error);
    if (d == NULL) {
        g_prefix_error(error, "reading %s%s: ", item->key, how);
        msm_item_free(item);
    }
    return d;
}

static void
verify_report(VerifyState *st, const char *what, const char *key, const char *detail)
{
    if (st->j) {
        msm_json_begin_object(st->j);
        msm_json_kv_string(st->j, "problem", what);
        msm_json_kv_string(st->j, "message", key);
        msm_json_kv_string(st->j, "detail", detail);
        msm_json_end_object(st->j);
    } else {
        printf("%s: %s%s%s\n", what, key, detail ? "\n    " : "", detail ? detail : "");
    }
}

static gboolean
collect_target(MsmItem *item, gpointer user_data, GError **error)
{
    VerifyState *st = user_data;
    MsmQueuedMessage *q = item->payload;
    char *d = item_digest(item, " back", error);
    if (d == NULL)
        return FALSE;
    TargetMsg *t = g_new0(TargetMsg, 1);
    t->key = g_strdup(item->key);
    t->envelope = msm_queue_envelope_string(q, NULL);
    g_ptr_array_add(st->all, t);
    GPtrArray *list = g_hash_table_lookup(st->by_body, d);
    if (list == NULL) {
        list = g_ptr_array_new();
        g_hash_table_insert(st->by_body, d, list);
    } else {
        g_free(d);
    }
    g_ptr_array_add(list, t);
    msm_item_free(item);
    return TRUE;
}

static gboolean
match_source(MsmItem *item, gpointer user_data, GError **error)
{
    VerifyState *st = user_data;
    MsmQueuedMessage *q = item->payload;
    st->source_count++;
    char *d = item_digest(item, "", error);
    if (d == NULL)
        return FALSE;
    const char *channel = msm_queue_channel_rename(st->from, st->to, q->channel);
    char *env = msm_queue_envelope_string(q, channel);
    GPtrArray *list = g_hash_table_lookup(st->by_body, d);
    TargetMsg *same_body = NULL;
    gboolean found = FALSE;
    for (guint i = 0; list && i < list->len && !found; i++) {
        TargetMsg *t = list->pdata[i];
        if (t->used)
            continue;
        if (strcmp(t->envelope, env) == 0) {
            t->used = TRUE;
            found = TRUE;
        } else if (same_body == NULL) {
            same_body = t;
        }
    }
    if (found) {
        st->matched++;
    } else if (same_body) {
        st->differ++;
        same_body->used = TRUE;
        char *detail = g_strdup_printf("source: %s\n    target %s: %s", env, same_body->key,
                                       same_body->envelope);
        verify_report(st, "envelope differs", item->key, detail);
        g_free(detail);
    } else {
        st->missing++;
        char *detail = g_strdup_printf("source: %s (body sha256 %s)", env, d);
        verify_report(st, "missing from the target", item->key, detail);
        g_free(detail);
    }
    g_free(env);
    g_free(d);
    msm_item_free(item);
    return TRUE;
}

/* `queue verify SRC TARGET`. */
static int
queue_verify(int argc, char **argv)
{
    CliCommon common = {0};
    char *from = NULL, *to = NULL, *instance = NULL, *tinstance = NULL;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    MsmDetection *d1 = NULL, *d2 = NULL;
    GError *err = NULL;
    VerifyState st = {0};
    st.by_body =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    st.all = g_ptr_array_new_with_free_func(target_msg_free);
    GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
    const GOptionEntry entries[] = {
        {"from", 0, 0, G_OPTION_ARG_STRING, &from, "Version of SRC (default: detected)", "VERSION"},
        {"to", 0, 0, G_OPTION_ARG_STRING, &to, "Version of TARGET (default: detected)", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance, "The instance of SRC", "NAME"},
        {"target-instance", 0, 0, G_OPTION_ARG_STRING, &tinstance, "The instance of TARGET",
         "NAME"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "queue verify", "SRC TARGET",
                   "Compare the MTA queue of SRC with the queue of TARGET message by message: "
                   "channel (after the chain's renames), sender, recipients, attempts, held "
                   "state, dates and the message digest. Exit 0 when they match, 2 on any "
                   "difference.",
                   entries, &common))
        goto out;
    if (argc != 3) {
        fprintf(stderr, "msmigrate: queue verify: name SRC and TARGET\n");
        goto out;
    }
    st.from = root_version("queue verify --from", from, argv[1], &d1);
    st.to = st.from ? root_version("queue verify --to", to, argv[2], &d2) : NULL;
    if (st.to == NULL)
        goto out;
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("queue verify", err);
        goto out;
    }
    guint64 bad_source = 0, bad_target = 0;
    if (!msm_queue_foreach(reg, argv[2], st.to, tinstance ? tinstance : instance, collect_target,
                           &st, &bad_target, problems, &err)) {
        cli_error("queue verify", err);
        goto out;
    }
    if (common.json) {
        st.j = msm_json_new(TRUE);
        msm_json_begin_object(st.j);
        msm_json_kv_string(st.j, "source", argv[1]);
        msm_json_kv_string(st.j, "from", st.from);
        msm_json_kv_string(st.j, "target", argv[2]);
        msm_json_kv_string(st.j, "to", st.to);
        msm_json_key(st.j, "differences");
        msm_json_begin_array(st.j);
    }
    guint first_source_problem = problems->len;
    if (!msm_queue_foreach(reg, argv[1], st.from, instance, match_source, &st, &bad_source,
                           problems, &err)) {
        cli_error("queue verify", err);
        if (st.j)
            g_free(msm_json_finish(st.j));
        goto out;
    }
    guint64 extra = 0;
    for (guint i = 0; i < st.all->len; i++) {
        TargetMsg *t = st.all->pdata[i];
        if (!t->used) {
            extra++;
            verify_report(&st, "not in the source", t->key, t->envelope);
        }
    }
    for (guint i = 0; i < problems->len; i++)
        verify_report(
            &st, i < first_source_problem ? "unreadable in the target" : "unreadable in the source",
            problems->pdata[i], NULL);
    if (st.j) {
        msm_json_end_array(st.j);
        msm_json_kv_int(st.j, "source_messages", (gint64)st.source_count);
        msm_json_kv_int(st.j, "target_messages", (gint64)st.all->len);
        msm_json_kv_int(st.j, "matched", (gint64)st.matched);
        msm_json_kv_int(st.j, "differ", (gint64)st.differ);
        msm_json_kv_int(st.j, "missing", (gint64)st.missing);
        msm_json_kv_int(st.j, "extra", (gint64)extra);
        msm_json_kv_int(st.j, "unreadable", (gint64)(bad_source + bad_target));
        msm_json_end_object(st.j);
        char *o = msm_json_finish(st.j);
        fputs(o, stdout);
        g_free(o);
    } else {
        printf("%" G_GUINT64_FORMAT " source messages, %u target messages: %" G_GUINT64_FORMAT
               " match, %" G_GUINT64_FORMAT " differ, %" G_GUINT64_FORMAT
               " missing from the target, %" G_GUINT64_FORMAT
               " not in the source, %" G_GUINT64_FORMAT " unreadable\n",
               st.source_count, st.all->len, st.matched, st.differ, st.missing, extra,
               bad_source + bad_target);
    }
    rc =
        (st.differ + st.missing + extra + bad_source + bad_target) ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
out:
    g_hash_table_unref(st.by_body);
    g_ptr_array_unref(st.all);
    g_ptr_array_unref(problems);
    g_clear_error(&err);
    if (d1)
        msm_detection_free(d1);
    if (d2)
        msm_detection_free(d2);
    msm_registry_free(reg);
    g_free(from);
    g_free(to);
    g_free(instance);
    g_free(tinstance);
    cli_common_clear(&common);
    return rc;
}

/* ---- held and release ---- */

typedef struct {
    const char *root, *version, *instance, *user, *domain, *channel;
    const MsmCodecRef *ref;
    gpointer writer;
    MsmJournal *journal;
    char *qdir; /* the queue directory the codec uses */
    MsmJson *j;
    guint64 listed, released, kept;
    gboolean release;
} HeldState;

/* Lists one held message (held verb) in text or JSON. */
static void
held_print(HeldState *st, const MsmItem *item, const MsmQueuedMessage *q)
{
    if (st->j) {
        msm_json_begin_object(st->j);
        msm_json_kv_string(st->j, "key", item->key);
        msm_json_kv_string(st->j, "channel", q->channel);
        msm_json_kv_string(st->j, "name", q->name);
        msm_json_kv_string(st->j, "sender", q->sender);
        msm_json_key(st->j, "recipients");
        msm_json_begin_array(st->j);
        for (guint i = 0; i < q->recipients->len; i++)
            msm_json_string(st->j, ((MsmRecipient *)q->recipients->pdata[i])->address);
        msm_json_end_array(st->j);
        msm_json_kv_int(st->j, "attempts", q->attempts);
        msm_json_kv_bool(st->j, "held_file", q->held);
        msm_json_kv_int(st->j, "created", q->created);
        msm_json_end_object(st->j);
        return;
    }
    GString *r = g_string_new(NULL);
    for (guint i = 0; i < q->recipients->len; i++)
        g_string_append_printf(r, "%s%s", i ? "," : "",
                               ((MsmRecipient *)q->recipients->pdata[i])->address);
    printf("%-14s %-28s %-32s -> %s (%u attempts%s)\n", q->channel, q->name ? q->name : "",
           q->sender && *q->sender ? q->sender : "<>", r->str, q->attempts,
           q->held ? ", .HELD" : "");
    g_string_free(r, TRUE);
}

/* Removes the files of the queued message (channel, name) that the codec wrote. */
static gboolean
remove_original(HeldState *st, const MsmQueuedMessage *q, GError **error)
{
    const char *codec = st->ref->codec->name;
    char *dir = g_build_filename(st->qdir, q->channel, NULL);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    if (strcmp(codec, "nms3-queue") == 0) {
        g_ptr_array_add(paths, g_build_filename(dir, q->name, NULL));
        char *df = g_strconcat("df", q->name + 2, NULL);
        g_ptr_array_add(paths, g_build_filename(dir, df, NULL));
        g_free(df);
    } else if (strcmp(codec, "pmdf-queue") == 0) {
        char *p = g_build_filename(dir, q->name, NULL);
        if (!g_file_test(p, G_FILE_TEST_EXISTS)) { /* in a "subdirs N" directory */
            GDir *d = g_dir_open(dir, 0, NULL);
            const char *n;
            while (d && (n = g_dir_read_name(d)) != NULL) {
                char *s = g_build_filename(dir, n, q->name, NULL);
                char *sub = g_build_filename(dir, n, NULL);
                gboolean real = n[0] != '$' && msm_is_real_dir(sub);
                g_free(sub);
                if (real && g_file_test(s, G_FILE_TEST_EXISTS)) {
                    g_free(p);
                    p = s;
                    break;
                }
                g_free(s);
            }
            if (d)
                g_dir_close(d);
        }
        g_ptr_array_add(paths, p);
    } else {
        g_ptr_array_add(paths, g_build_filename(dir, q->name, NULL));
    }
    gboolean ok = TRUE;
    for (guint i = 0; ok && i < paths->len; i++) {
        const char *p = paths->pdata[i];
        if (unlink(p) != 0 && errno != ENOENT) {
            int e = errno;
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO,
                        "cannot remove the held copy %s: %s (the released copy is written; "
                        "remove it by hand or run release again)",
                        p, g_strerror(e));
            ok = FALSE;
        }
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    g_ptr_array_unref(paths);
    g_free(dir);
    return ok;
}

/* A copy of q's envelope with the recipients for which keep(r) == want. */
static MsmQueuedMessage *
envelope_copy(const MsmQueuedMessage *q, const HeldState *st, gboolean want)
{
    MsmQueuedMessage *c = msm_queued_message_new(q->channel);
    g_free(c->sender);
    c->sender = g_strdup(q->sender);
    c->name = g_strdup(q->name);
    c->attempts = q->attempts;
    c->created = q->created;
    c->last_attempt = q->last_attempt;
    c->held = q->held;
    for (guint i = 0; q->extra && i < q->extra->len; i++)
        g_ptr_array_add(c->extra, g_strdup(q->extra->pdata[i]));
    for (guint i = 0; i < q->recipients->len; i++) {
        const MsmRecipient *r = q->recipients->pdata[i];
        MsmQueuedMessage probe = {0};
        GPtrArray one = {0};
        gpointer pd[1] = {(gpointer)r};
        one.pdata = pd;
        one.len = 1;
        probe.recipients = &one;
        if (msm_queue_for_user(&probe, st->user, st->domain) != want)
            continue;
        MsmRecipient *n = msm_recipient_new(r->address);
        n->original = g_strdup(r->original);
        n->notify = r->notify;
        g_ptr_array_add(c->recipients, n);
    }
    return c;
}

/* Releases one held message of the user (see the header). */
static gboolean
release_one(HeldState *st, MsmItem *item, GError **error)
{
    MsmQueuedMessage *q = item->payload;
    const char *dest = st->channel                       ? st->channel
                       : strcmp(q->channel, "hold") == 0 ? msm_queue_store_channel(st->version)
                                                         : q->channel;
    MsmQueuedMessage *mine = envelope_copy(q, st, TRUE);
    MsmQueuedMessage *rest = envelope_copy(q, st, FALSE);
    gboolean split = rest->recipients->len > 0;
    gboolean ok = TRUE;
    GBytes *bytes = NULL;
    if (split) {
        /* the user's recipients leave, the others stay held: the body is written twice */
        gint64 size = q->body ? msm_body_size(q->body) : 0;
        if (size > 256 * 1024 * 1024) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED,
                        "%s also has recipients other than %s and is larger than 256 MiB: "
                        "release it with the MTA's own tools",
                        item->key, st->user);
            ok = FALSE;
        } else if (q->body && (bytes = msm_body_slurp(q->body, error)) == NULL) {
            ok = FALSE;
        }
    }
    ok = ok && msm_journal_record(st->journal, MSM_KIND_QUEUE, item->key, MSM_ITEM_STARTED, NULL, 0,
                                  dest, error);
    if (ok) {
        g_free(mine->channel);
        mine->channel = g_strdup(dest);
        mine->held = FALSE;
        if (split) {
            g_free(mine->name); /* a name of its own, derived from the key */
            mine->name = NULL;
            mine->body = bytes ? msm_body_new_bytes(bytes) : NULL;
        } else {
            mine->body = q->body;
            q->body = NULL;
        }
        char *key = g_strdup_printf("release/%s", item->key);
        MsmItem *out = msm_item_new(MSM_KIND_QUEUE, key, mine);
        mine = NULL;
        ok = st->ref->codec->writer_put(st->writer, out, error);
        msm_item_free(out);
        g_free(key);
    }
    if (ok && split) {
        rest->body = bytes ? msm_body_new_bytes(bytes) : NULL;
        MsmItem *back = msm_item_new(MSM_KIND_QUEUE, item->key, rest);
        rest = NULL;
        ok = st->ref->codec->writer_put(st->writer, back, error);
        msm_item_free(back);
    } else if (ok) {
        gboolean same_place =
            strcmp(dest, q->channel) == 0 && strcmp(st->ref->codec->name, "nms3-queue") == 0;
        if (!same_place) /* nms3: the writer itself replaced hf<id> with qf<id> */
            ok = remove_original(st, q, error);
    }
    if (ok)
        ok =
            msm_journal_record(st->journal, MSM_KIND_QUEUE, item->key, MSM_ITEM_DONE, NULL, 0,
                               split ? "released (other recipients kept held)" : "released", error);
    else if (error && *error)
        msm_journal_record(st->journal, MSM_KIND_QUEUE, item->key, MSM_ITEM_FAILED, NULL, 0,
                           (*error)->message, NULL);
    if (ok) {
        st->released++;
        if (split)
            st->kept++;
        if (st->j) {
            msm_json_begin_object(st->j);
            msm_json_kv_string(st->j, "key", item->key);
            msm_json_kv_string(st->j, "channel", dest);
            msm_json_kv_bool(st->j, "split", split);
            msm_json_end_object(st->j);
        } else {
            printf("released %s -> %s%s\n", item->key, dest,
                   split ? " (the other recipients stay held)" : "");
        }
    }
    if (mine)
        msm_queued_message_free(mine);
    if (rest)
        msm_queued_message_free(rest);
    if (bytes)
        g_bytes_unref(bytes);
    return ok;
}

static gboolean
held_cb(MsmItem *item, gpointer user_data, GError **error)
{
    HeldState *st = user_data;
    MsmQueuedMessage *q = item->payload;
    gboolean ok = TRUE;
    if (msm_queue_is_held(q) && (st->user == NULL || msm_queue_for_user(q, st->user, st->domain))) {
        st->listed++;
        if (st->release)
            ok = release_one(st, item, error);
        else
            held_print(st, item, q);
    }
    msm_item_free(item);
    return ok;
}

/* `queue held` (release FALSE) and `queue release` (release TRUE). */
static int
queue_held(int argc, char **argv, gboolean release)
{
    const char *verb = release ? "queue release" : "queue held";
    CliCommon common = {0};
    char *version = NULL, *instance = NULL, *user = NULL, *domain = NULL, *channel = NULL;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    MsmDetection *det = NULL;
    MsmLock *lock = NULL;
    GError *err = NULL;
    HeldState st = {0};
    GPtrArray *problems = g_ptr_array_new_with_free_func(g_free);
    char *state_dir = NULL, *run_id = NULL;
    const GOptionEntry entries[] = {
        {"version", 0, 0, G_OPTION_ARG_STRING, &version,
         "The deployment's version (default: detected)", "VERSION"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "The instance when the server root has several", "NAME"},
        {"user", 'u', 0, G_OPTION_ARG_STRING, &user, "The recipient's uid (hold_master -u)", "UID"},
        {"domain", 'd', 0, G_OPTION_ARG_STRING, &domain, "The recipient's domain (hold_master -d)",
         "DOMAIN"},
        {release ? "channel" : NULL, 0, 0, G_OPTION_ARG_STRING, &channel,
         "Channel to re-queue to (default: the store channel for the hold channel, the "
         "message's own channel for a .HELD file)",
         "CHANNEL"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, verb, "ROOT",
                   release ? "Re-queue the held messages of one user (--user, --domain) to the "
                             "channel that now serves them, like hold_master -u UID -d DOMAIN "
                             "(seed 003): the hold channel's messages go to the store channel, "
                             ".HELD files become queued again; attempts and dates are kept. "
                             "Journalled and idempotent."
                           : "List and count the held messages of a deployment (the hold "
                             "channel and .HELD files), optionally of one user.",
                   entries, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: %s: name one deployment root\n", verb);
        goto out;
    }
    if (release && (user == NULL || domain == NULL)) {
        fprintf(stderr, "msmigrate: %s: pass --user UID and --domain DOMAIN (hold_master -u -d)\n",
                verb);
        goto out;
    }
    if (domain && user == NULL) {
        fprintf(stderr, "msmigrate: %s: --domain needs --user\n", verb);
        goto out;
    }
    if (channel && (strcmp(channel, "hold") == 0 || strchr(channel, '/') || channel[0] == '.' ||
                    channel[0] == '$' || channel[0] == '\0')) {
        fprintf(stderr,
                "msmigrate: %s: --channel %s is not a channel messages can be released "
                "to\n",
                verb, channel);
        goto out;
    }
    st.root = argv[1];
    st.instance = instance;
    st.user = user;
    st.domain = domain;
    st.channel = channel;
    st.release = release;
    if ((st.version = root_version(verb, version, st.root, &det)) == NULL)
        goto out;
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error(verb, err);
        goto out;
    }
    st.ref = msm_registry_find_codec(reg, MSM_KIND_QUEUE, st.version);
    if (st.ref == NULL) {
        fprintf(stderr,
                "msmigrate: %s: no queue codec for %s is loaded (see 'msmigrate "
                "plugins')\n",
                verb, st.version);
        goto out;
    }
    MsmCtx *wctx = NULL;
    if (release) {
        const char *cn = st.ref->codec->name;
        if (strcmp(cn, "pmdf-queue") == 0) {
            MsmLayout *l = msm_layout_resolve(st.root, st.version, instance, &err);
            if (l) {
                st.qdir = g_strdup(msm_layout_queue_dir(l));
                msm_layout_free(l);
            }
        } else if (strcmp(cn, "nms3-queue") == 0 || strcmp(cn, "nms4-queue") == 0) {
            st.qdir = msm_core_nms_queue_dir(st.root, st.version, instance, &err);
        } else {
            g_set_error(&err, MSM_ERROR, MSM_ERROR_UNSUPPORTED,
                        "releasing messages of the %s queue codec is not supported", cn);
        }
        if (st.qdir == NULL) {
            cli_error(verb, err);
            goto out;
        }
        state_dir = msm_state_dir(st.root);
        run_id = msm_new_run_id();
        if (!msm_mkdir_p(state_dir, FALSE, &err) ||
            (lock = msm_lock_acquire(state_dir, run_id, "msmigrate queue release", 60, FALSE,
                                     &err)) == NULL) {
            cli_error(verb, err);
            goto out;
        }
        char *jd = g_build_filename(state_dir, "queue-release", run_id, "journal", NULL);
        st.journal = msm_journal_open(jd, TRUE, &err);
        g_free(jd);
        if (st.journal == NULL) {
            cli_error(verb, err);
            goto out;
        }
        msm_journal_set_meta(st.journal, "user", user, NULL);
        msm_journal_set_meta(st.journal, "domain", domain, NULL);
        msm_journal_set_meta(st.journal, "version", st.version, NULL);
        wctx = msm_ctx_new();
        wctx->source_root = g_strdup(st.root);
        wctx->target_root = g_strdup(st.root);
        wctx->run_from = g_strdup(st.version);
        wctx->run_to = g_strdup(st.version);
        wctx->instance = g_strdup(instance);
        wctx->registry = reg;
        st.writer = st.ref->codec->writer_open(wctx, st.root, st.version, &err);
        if (st.writer == NULL) {
            msm_ctx_free(wctx);
            cli_error(verb, err);
            goto out;
        }
    }
    if (common.json) {
        st.j = msm_json_new(TRUE);
        msm_json_begin_object(st.j);
        msm_json_kv_string(st.j, "root", st.root);
        msm_json_kv_string(st.j, "version", st.version);
        msm_json_key(st.j, release ? "released" : "held");
        msm_json_begin_array(st.j);
    }
    guint64 unreadable = 0;
    gboolean ok = msm_queue_foreach(reg, st.root, st.version, instance, held_cb, &st, &unreadable,
                                    problems, &err);
    if (st.writer) {
        if (ok)
            ok = st.ref->codec->writer_commit(st.writer, &err);
        st.ref->codec->writer_close(st.writer);
        msm_ctx_free(wctx);
    }
    for (guint i = 0; i < problems->len; i++)
        fprintf(stderr, "msmigrate: %s: %s (left untouched)\n", verb,
                (const char *)problems->pdata[i]);
    if (st.j) {
        msm_json_end_array(st.j);
        msm_json_kv_int(st.j, release ? "released_count" : "count",
                        (gint64)(release ? st.released : st.listed));
        msm_json_kv_int(st.j, "unreadable", (gint64)unreadable);
        msm_json_end_object(st.j);
        char *o = msm_json_finish(st.j);
        fputs(o, stdout);
        g_free(o);
    } else if (release) {
        printf("%" G_GUINT64_FORMAT " held message(s) of %s@%s released%s\n", st.released, user,
               domain, unreadable ? " (some queue files could not be read, see above)" : "");
    } else {
        printf("%" G_GUINT64_FORMAT " held message(s)%s%s%s%s\n", st.listed, user ? " for " : "",
               user ? user : "", domain ? "@" : "", domain ? domain : "");
    }
    if (st.journal)
        msm_journal_event(st.journal, NULL, "release of %s@%s: %" G_GUINT64_FORMAT " released%s",
                          user, domain, st.released, ok ? "" : " (stopped by an error)");
    if (!ok) {
        cli_error(verb, err);
        goto out;
    }
    rc = unreadable ? MSM_EXIT_SKIPPED : MSM_EXIT_OK;
out:
    msm_journal_close(st.journal);
    msm_lock_release(lock);
    g_free(st.qdir);
    g_free(state_dir);
    g_free(run_id);
    g_ptr_array_unref(problems);
    g_clear_error(&err);
    if (det)
        msm_detection_free(det);
    msm_registry_free(reg);
    g_free(version);
    g_free(instance);
    g_free(user);
    g_free(domain);
    g_free(channel);
    cli_common_clear(&common);
    return rc;
}

int
cli_queue(int argc, char **argv)
{
    if (argc >= 2) {
        const char *v = argv[1];
        if (strcmp(v, "counters") == 0)
            return queue_counters(argc - 1, argv + 1);
        if (strcmp(v, "convert") == 0)
            return queue_convert(argc - 1, argv + 1);
        if (strcmp(v, "verify") == 0)
            return queue_verify(argc - 1, argv + 1);
        if (strcmp(v, "held") == 0)
            return queue_held(argc - 1, argv + 1, FALSE);
        if (strcmp(v, "release") == 0)
            return queue_held(argc - 1, argv + 1, TRUE);
    }
    fprintf(stderr,
            "Usage: msmigrate queue VERB ...\n"
            "  counters ROOT                      messages per channel, held ones apart\n"
            "  convert SRC --from V1 --to V2 TARGET   qconvert: convert a queue along the chain\n"
            "  convert --resume ID TARGET         resume a killed conversion\n"
            "  verify SRC TARGET                  compare two queues message by message\n"
            "  held ROOT [--user U --domain D]    list and count held messages\n"
            "  release ROOT --user U --domain D [--channel C]   hold_master -u -d\n");
    return (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0))
               ? MSM_EXIT_OK
               : MSM_EXIT_FAILED;
}
