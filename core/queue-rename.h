/*
 * NAME
 *	queue-rename.h - MTA channel names along the version chain, and the
 *	queue operations the `queue` verbs and the preflight share
 * SUMMARY
 *	msm_queue_channel_rename() is what a hop's queue migrator calls to give
 *	a queued message the channel of the hop's destination (sims-ms ->
 *	ims-ms, ...): docs/formats/queue-channels.md. The counting, listing
 *	and comparing helpers below read a deployment's queue through the
 *	registry's queue codec for its version, so every queue format (PMDF,
 *	NMS 3.x, NMS 4.x) is counted the same way.
 * OWNERSHIP
 *	msm_queue_channel_rename() returns (transfer none) either a static
 *	string or the channel passed in. MsmQueueCounts and the arrays the
 *	other functions return are (transfer full): free them with the
 *	function named next to each.
 * ERRORS
 *	Functions returning gboolean set *error (MSM_ERROR domain) naming the
 *	deployment and version: MSM_ERROR_NOT_FOUND when no queue codec for the
 *	version is loaded, the codec's own error when the queue cannot be read.
 *	A queue file the codec cannot parse is not an error of the whole call:
 *	it is counted as unreadable and its message kept (first 100).
 */
#ifndef MSM_CORE_QUEUE_RENAME_H
#define MSM_CORE_QUEUE_RENAME_H

#include <msmigrate/msmigrate.h>

#include "registry.h"

G_BEGIN_DECLS

/* The name the channel has in to_version's MTA for a message queued under
 * from_version (both canonical ids; from may be later than to only for
 * identity). Applies every rename of the chain between the two versions.
 * (transfer none: static, or channel itself) */
const char *msm_queue_channel_rename(const char *from_version, const char *to_version,
                                     const char *channel);

/* A queue migrator (migrator.h) that gives every queued message the channel it
 * has in the hop's destination (msm_queue_channel_rename) and keeps everything
 * else: attempts, dates, held state, envelope and body. Hops whose queue needs
 * nothing more point their .queue at it: `.queue = &msm_queue_channel_migrator`.
 * (static; its transform is thread-safe) */
extern const MsmQueueMigrator msm_queue_channel_migrator;

/* The channel the version's MTA delivers to the message store through
 * ("sims-ms", "local" for NMS, "ims-ms"); NULL for an unknown id. (static) */
const char *msm_queue_store_channel(const char *version);

/* Messages per channel of one queue, held ones apart. */
typedef struct {
    GPtrArray *channels; /* char*: channel names in byte order */
    GArray *queued;      /* guint64 per channel: messages not held */
    GArray *held;        /* guint64 per channel: held (.HELD, or in the "hold" channel) */
    guint64 total_queued, total_held, unreadable;
    GPtrArray *problems; /* char*: messages of unreadable files (first 100) */
} MsmQueueCounts;

void msm_queue_counts_free(MsmQueueCounts *c);

/* Counts the queue of the deployment at root (version, instance may be NULL)
 * through the registry's queue codec. (transfer full: *counts_r) */
gboolean msm_queue_count(MsmRegistry *reg, const char *root, const char *version,
                         const char *instance, MsmQueueCounts **counts_r, GError **error);

/* "12 messages in 3 channels (tcp_local: 5, ...; 2 held)". (transfer full) */
char *msm_queue_counts_summary(const MsmQueueCounts *c);

/* Calls func for each queued message of the deployment (the item is the
 * function's: it must free it). Unreadable files go to *unreadable_r and, when
 * problems is not NULL, their messages to problems (first 100). func returns
 * FALSE with error to stop. */
typedef gboolean (*MsmQueueFunc)(MsmItem *item, gpointer user_data, GError **error);
gboolean msm_queue_foreach(MsmRegistry *reg, const char *root, const char *version,
                           const char *instance, MsmQueueFunc func, gpointer user_data,
                           guint64 *unreadable_r, GPtrArray *problems, GError **error);

/* Handles an error of the codec's reader_next (transfer full: err): TRUE when
 * the walk goes on (err consumed), FALSE after putting err (or another error)
 * into *error to stop it. */
typedef gboolean (*MsmQueueErrorFunc)(GError *err, gpointer user_data, GError **error);

/* The walk under msm_queue_foreach(): reads the queue of the deployment at root
 * with codec (its reader must exist), giving each item to func (which must
 * free it) and each reader error to on_error, both with user_data. FALSE +
 * error when the reader cannot be opened, on_error or func stops the walk. */
gboolean msm_queue_walk(MsmRegistry *reg, const MsmCodec *codec, const char *root,
                        const char *version, const char *instance, MsmQueueFunc func,
                        MsmQueueErrorFunc on_error, gpointer user_data, GError **error);

/* TRUE when q is a held message: its held flag (.HELD), or it sits in the
 * "hold" channel (mailDeliveryOption: hold, seed 003). */
gboolean msm_queue_is_held(const MsmQueuedMessage *q);

/* TRUE when one of q's recipients is user@domain (domain NULL: any domain,
 * or none), compared case-insensitively; the "<>" brackets and a
 * "user?domain@sims-ms-daemon" / "user@store-daemon" routing form count too. */
gboolean msm_queue_for_user(const MsmQueuedMessage *q, const char *user, const char *domain);

/* The envelope of q as one stable line for comparisons: channel, sender,
 * recipients (with ORCPT and notify), attempts, held, created, last attempt.
 * (transfer full) */
char *msm_queue_envelope_string(const MsmQueuedMessage *q, const char *channel);

/* Polls the queue of the deployment every interval_ms until it holds no message
 * or timeout_s seconds have passed (seed 003: "wait for the queue to empty"),
 * printing one progress line per poll to stderr (rewritten in place when
 * stderr is a terminal). *drained_r says which; FALSE + error only when the
 * queue cannot be read. */
gboolean msm_queue_wait_drained(MsmRegistry *reg, const char *root, const char *version,
                                const char *instance, guint timeout_s, guint interval_ms,
                                gboolean *drained_r, GError **error);

/* Undo records of a queue writer (codec.h rollback), kept in undo_dir (a
 * directory of the run's work directory): before the first write of dest in a
 * run, msm_queue_undo_remember() keeps a copy of what dest holds ("<h>.old")
 * or notes that it did not exist ("<h>.path" names dest). Thread-safe when
 * the callers share mutex. msm_queue_undo_rollback() puts every noted file
 * back (or removes it); idempotent. */
gboolean msm_queue_undo_remember(const char *undo_dir, GMutex *mutex, const char *dest,
                                 GError **error);
gboolean msm_queue_undo_rollback(const char *undo_dir, GError **error);

G_END_DECLS

#endif
