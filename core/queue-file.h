/*
 * NAME
 *	queue-file.h - the file-level pieces every MTA queue codec shares
 * SUMMARY
 *	What the pmdf-queue, nms4-queue (core) and nms3-queue (nms3x plugin)
 *	codecs do alike: the channel walk of a reader (channel directories
 *	in byte order, one channel's entries at a time), the lazy body slice
 *	of a queue file, the atomic "$<name>.tmp" write, the channel
 *	directory of a writer, the writer that keeps undo records
 *	(queue-rename.h msm_queue_undo_*) and its rollback, and small checks
 *	(one safe path component, a decimal value).
 *	The formats themselves stay in each codec: docs/formats/queue-pmdf.md,
 *	queue-nms3.md, queue-nms4.md.
 * OWNERSHIP
 *	Functions returning char* or GPtrArray* return (transfer full). An
 *	MsmQueueChannels is (transfer full): msm_queue_channels_free() frees
 *	it. An MsmQueueWriter is
 *	(transfer full): msm_queue_writer_close() frees it. The body of
 *	msm_queue_body_slice() is (transfer full) and owns its file handle.
 * ERRORS
 *	Functions returning gboolean (or a pointer, NULL on failure) set *error
 *	in the MSM_ERROR domain with the path and the fix: MSM_ERROR_IO for
 *	what the system refused, MSM_ERROR_UNSAFE for a symbolic link where a
 *	directory or file must be (never followed). The messages are those
 *	the codecs gave before they shared this code.
 */
#ifndef MSM_CORE_QUEUE_FILE_H
#define MSM_CORE_QUEUE_FILE_H

#include <msmigrate/msmigrate.h>

#include <sys/stat.h>

G_BEGIN_DECLS

/* The size of one read or write of a message body. */
#define MSM_QUEUE_CHUNK 65536

/* TRUE if s is one safe path component of a queue: not empty, not "." or
 * "..", no '/', no backslash, no control character, not a '$' temporary. */
gboolean msm_queue_safe_component(const char *s);

/* Parses the whole of s as a decimal number (a leading '-' only when sign)
 * into *v; FALSE for anything else (spaces, '+', overflow). */
gboolean msm_queue_parse_decimal(const char *s, gboolean sign, gint64 *v);

/* Writes all of data to fd (retrying EINTR); FALSE with errno set. */
gboolean msm_queue_write_all(int fd, const void *data, gsize len);

/* ---- reading ---- */

/* The channel walk of a reader: the channels of qdir (names that are
 * directories or links, without '$' temporaries, in byte order), and the
 * entries of the channel being read. Listings use builtin.h
 * msm_core_queue_list_names(), which this module implements. */
typedef struct {
    char *qdir;
    GPtrArray *channels; /* char* */
    guint next_channel;
    GPtrArray *entries; /* the codec's entries of the current channel */
    guint next_entry;
    GDestroyNotify entry_free;
} MsmQueueChannels;

/* Adds the entries of channel (its directory dir, a real directory) to
 * entries; FALSE + error when the channel cannot be listed. */
typedef gboolean (*MsmQueueListFunc)(const char *channel, const char *dir, GPtrArray *entries,
                                     GError **error);

/* The walk of the queue directory qdir (transfer full: the walk owns it);
 * a missing queue directory has no channels. entry_free frees the entries
 * list functions add. NULL + MSM_ERROR_IO (qdir freed) when qdir cannot be
 * listed. (transfer full: msm_queue_channels_free) */
MsmQueueChannels *msm_queue_channels_new(char *qdir, GDestroyNotify entry_free, GError **error);

/* The next entry (transfer none: it stays in c->entries), listing the next
 * channels with list as they are reached; *entry_r NULL at the end. FALSE +
 * error for a channel directory that is a symbolic link or cannot be listed
 * (the next call goes on after it). */
gboolean msm_queue_channels_next(MsmQueueChannels *c, MsmQueueListFunc list, gpointer *entry_r,
                                 GError **error);

/* Frees c (NULL is fine): usable as codec.h reader_close when the reader is
 * the walk itself. */
void msm_queue_channels_free(gpointer c);

/* A body reading length bytes of path from offset, opened on the first read
 * (O_NOFOLLOW) and refused when the file is no longer the one st describes
 * (device, inode, size: the MTA changed it). (transfer full) */
MsmBody *msm_queue_body_slice(const char *path, const struct stat *st, gint64 offset,
                              gint64 length);

/* ---- writing ---- */

/* The queued message item carries, for the writer named codec_name; NULL +
 * MSM_ERROR_INVALID_ARGUMENT for another kind of item. (transfer none) */
MsmQueuedMessage *msm_queue_put_message(const MsmItem *item, const char *codec_name,
                                        GError **error);

/* Refuses (MSM_ERROR_UNSAFE, naming item) a channel that is not
 * msm_queue_safe_component(); hint (may be "") ends the message. */
gboolean msm_queue_check_channel(const MsmItem *item, const char *channel, const char *hint,
                                 GError **error);

/* Refuses (MSM_ERROR_UNSAFE) a value of item (its "what": "sender", ...)
 * with a line feed: "... which would add <records>; <fix>". value may be
 * NULL. */
gboolean msm_queue_no_line_feed(const MsmItem *item, const char *what, const char *value,
                                const char *records, const char *fix, GError **error);

/* Creates the channel directory dir (mode) unless it exists, and refuses it
 * when it is not a real directory (the error names item_key). The queue
 * directory above it must exist. */
gboolean msm_queue_make_channel_dir(const char *dir, int mode, const char *item_key,
                                    GError **error);

/* Copies body to fd in MSM_QUEUE_CHUNK pieces. check (may be NULL) sees each
 * piece before it is written and may refuse it (FALSE + error). A body that
 * cannot be read: its error prefixed "cannot write queued message <key>: ";
 * a write the system refuses: MSM_ERROR_IO "cannot write <path>". */
typedef gboolean (*MsmQueueChunkCheck)(const guint8 *buf, gsize len, gpointer data, GError **error);
gboolean msm_queue_copy_body(int fd, MsmBody *body, const char *key, const char *path,
                             MsmQueueChunkCheck check, gpointer check_data, GError **error);

/* Writes the content of one queue file (fd is dir/$<name>.tmp, tmp its
 * path); FALSE + error. */
typedef gboolean (*MsmQueueFillFunc)(int fd, const char *tmp, gpointer data, GError **error);

/* Writes dir/name atomically: fill writes "$<name>.tmp" (created mode,
 * O_NOFOLLOW), which is then fsync'd (and given mode by fchmod when
 * set_mode), closed and renamed over name; the temporary is removed on
 * failure. The directory is not synced (msm_queue_sync_dir). */
gboolean msm_queue_file_put(const char *dir, const char *name, int mode, gboolean set_mode,
                            MsmQueueFillFunc fill, gpointer data, GError **error);

/* fsyncs the directory dir; FALSE + MSM_ERROR_IO "cannot sync directory". */
gboolean msm_queue_sync_dir(const char *dir, GError **error);

/* A queue writer whose puts share only their undo records. */
typedef struct {
    char *qdir;     /* immutable after open */
    char *undo_dir; /* <work dir>/<undo name> in a run, else NULL */
    GMutex mutex;   /* the undo records */
} MsmQueueWriter;

/* A writer for the queue directory qdir (transfer full: the writer owns
 * it); undo_name (may be NULL: no undo records) names its directory below
 * ctx's work directory, created here when ctx has one. NULL + error (qdir
 * freed). */
MsmQueueWriter *msm_queue_writer_new(MsmCtx *ctx, char *qdir, const char *undo_name,
                                     GError **error);

/* Before the first write of dest in a run: its undo record (nothing outside
 * a run). */
gboolean msm_queue_writer_remember(MsmQueueWriter *w, const char *dest, GError **error);

/* codec.h writer_commit of these writers: every put is durable when it
 * returns, so there is nothing to do. */
gboolean msm_queue_writer_commit(gpointer writer, GError **error);

/* codec.h writer_close: frees an MsmQueueWriter (NULL is fine). */
void msm_queue_writer_close(gpointer writer);

/* codec.h rollback of a writer with undo records in undo_name: puts back
 * every file the run ctx wrote (msm_queue_undo_rollback). */
gboolean msm_queue_writer_rollback(MsmCtx *ctx, const char *undo_name, GError **error);

G_END_DECLS

#endif
