/*
 * NAME
 *	journal.h - the run journal: a transactional Berkeley DB of items
 * SUMMARY
 *	One journal per run, in <work_dir>/journal/ (a DB_ENV with DB_INIT_TXN,
 *	DB_INIT_LOG, DB_INIT_LOCK, DB_INIT_MPOOL, opened with DB_RECOVER so a
 *	run killed at any point reopens consistent). Format: docs/formats/journal.md.
 *	Databases: "items" (key: one MsmKind byte then the item key
 *	bytes, no NUL; value: versioned record), "meta"
 *	(string key -> string value: plan, state, options), "events"
 *	(DB_RECNO, append-only human-readable lines: step started/finished).
 *	Every write is its own transaction committed with DB_TXN_WRITE_NOSYNC:
 *	durable against a killed process; msm_journal_sync() flushes the log
 *	to disk at checkpoints and at the end of each kind.
 * OWNERSHIP
 *	Strings returned are (transfer full) unless said otherwise.
 * ERRORS
 *	MSM_ERROR_JOURNAL with the DB message and the path.
 */
#ifndef MSM_CORE_JOURNAL_H
#define MSM_CORE_JOURNAL_H

#include <msmigrate/msmigrate.h>

typedef struct MsmJournal MsmJournal;

typedef enum {
    MSM_ITEM_STARTED = 1, /* work began; on resume the item is done again */
    MSM_ITEM_DONE = 2,    /* written and committed by the writer */
    MSM_ITEM_SKIPPED = 3, /* deliberately not migrated (detail says why) */
    MSM_ITEM_FAILED = 4,  /* failed (detail has the error); retried on resume */
} MsmItemStatus;

typedef struct {
    MsmItemStatus status;
    guint32 attempts;   /* how many times the item was started */
    gint64 updated;     /* g_get_real_time() / G_USEC_PER_SEC of the last change */
    guint64 seq;        /* order in which items were first journalled (1, 2, ...) */
    guint64 bytes;      /* bytes written for the item, 0 if unknown */
    char *digest;       /* hex SHA-256 of the item as written, or NULL */
    char *detail;       /* reason / error message, or NULL */
} MsmJournalRecord;

/* "started", "done", ... (static) */
const char *msm_item_status_name(MsmItemStatus status);

/* Opens (create=TRUE: creates) the journal in dir (the directory is created).
 * (transfer full) */
MsmJournal *msm_journal_open(const char *dir, gboolean create, GError **error);
/* Closes, checkpointing first. NULL is allowed. */
void msm_journal_close(MsmJournal *journal);
/* Flushes the log to stable storage. */
gboolean msm_journal_sync(MsmJournal *journal, GError **error);

gboolean msm_journal_set_meta(MsmJournal *journal, const char *key, const char *value,
                              GError **error);
/* NULL if absent (no error) or on error (*error set). (transfer full) */
char *msm_journal_get_meta(MsmJournal *journal, const char *key, GError **error);

/* Records the state of an item, creating it if needed. STARTED increments
 * attempts. digest and detail may be NULL (kept from before when NULL). */
gboolean msm_journal_record(MsmJournal *journal, MsmKind kind, const char *key,
                            MsmItemStatus status, const char *digest, guint64 bytes,
                            const char *detail, GError **error);
/* Fills *rec_r (free with msm_journal_record_clear). Returns FALSE without setting
 * *error when the item is absent, FALSE with *error on a DB failure. */
gboolean msm_journal_lookup(MsmJournal *journal, MsmKind kind, const char *key,
                            MsmJournalRecord *rec_r, GError **error);
void msm_journal_record_clear(MsmJournalRecord *rec);

/* Calls func for every item (of kind, or of all kinds when kind == MSM_KIND_COUNT)
 * in key order; func returns FALSE to stop early. */
typedef gboolean (*MsmJournalFunc)(MsmKind kind, const char *key, const MsmJournalRecord *rec,
                                   gpointer user_data);
gboolean msm_journal_foreach(MsmJournal *journal, MsmKind kind, MsmJournalFunc func,
                             gpointer user_data, GError **error);

/* counts_r[status] for each MsmItemStatus (index 0 unused) of one kind (or all
 * kinds with MSM_KIND_COUNT). */
gboolean msm_journal_count(MsmJournal *journal, MsmKind kind, guint64 counts_r[5],
                           GError **error);

/* Appends a line to the events log ("2026-11-24T05:12:00Z hop ims-5.2->ms-6.0 config started"). */
gboolean msm_journal_event(MsmJournal *journal, GError **error, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* All event lines in order. (transfer full: g_ptr_array_unref) */
GPtrArray *msm_journal_events(MsmJournal *journal, GError **error);

#endif
