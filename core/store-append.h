/*
 * NAME
 *	store-append.h - add messages to a store without duplicating any
 *	(imsrestore -E semantics), through the store's own codec
 * SUMMARY
 *	The ZFS guard's back-out restores the messages that arrived after an
 *	upgrade into the rolled-back store with this, and tests use it to
 *	deliver messages. Two passes so a codec never reads and writes one root
 *	at once: (1) the reader spools every folder that receives messages into
 *	scratch_dir (bodies as files, metadata in memory for those folders only);
 *	(2) the writer puts each such folder again with its old messages (same
 *	UIDs, flags, dates) followed by the additions, which get the next UIDs.
 *	An addition whose body digest and internal date equal a message already
 *	in the folder is a duplicate and is not added, so running the same
 *	restore twice adds nothing the second time. Folders that do not exist
 *	are created (their owner's quota and subscriptions are taken from
 *	another folder of the same user when the store has one).
 * OWNERSHIP
 *	additions (MsmStoreAddition*) and everything else stay the caller's.
 * ERRORS
 *	FALSE + error naming the folder and file; what was put before the error
 *	stays (each put is a whole folder, so a rerun completes it).
 */
#ifndef MSM_CORE_STORE_APPEND_H
#define MSM_CORE_STORE_APPEND_H

#include <msmigrate/msmigrate.h>

typedef struct {
    char *owner;          /* user as the store names it */
    char *folder;         /* UTF-8, '/'-separated */
    guint32 flags;        /* MSM_FLAG_* given to the added message */
    GPtrArray *keywords;  /* char*, may be empty */
    gint64 internal_date; /* seconds since the epoch */
    gint64 size;          /* bytes of body_path */
    char *body_path;      /* a file holding the exact message bytes */
    guint32 uidvalidity;  /* UIDVALIDITY of the folder when it must be created (0: now) */
} MsmStoreAddition;

MsmStoreAddition *msm_store_addition_new(const char *owner, const char *folder);
void msm_store_addition_free(MsmStoreAddition *a);

typedef struct {
    guint64 added;           /* messages added */
    guint64 duplicates;      /* additions already present, not added again */
    guint64 folders_changed; /* existing folders put again */
    guint64 folders_created; /* folders that did not exist */
} MsmStoreAppendStats;

/* Adds additions to the store at root (version, read and written with codec).
 * scratch_dir must exist and belong to the caller (the run's work directory). */
gboolean msm_store_append(MsmCtx *ctx, const MsmCodec *codec, const char *root,
                          const char *version, GPtrArray *additions, const char *scratch_dir,
                          MsmStoreAppendStats *stats_r, GError **error);

/* SHA-256 (hex) of a file's bytes and its size. (transfer full) NULL + error. */
char *msm_file_sha256(const char *path, gint64 *size_r, GError **error);

#endif
