/*
 * NAME
 *	journal.c - the run journal: a transactional Berkeley DB of items
 * SUMMARY
 *	Implements journal.h on the Berkeley DB 5.3 C API. The on-disk format
 *	is specified in docs/formats/journal.md; keep the two in step.
 * DESCRIPTION
 *	The journal directory is a DB_ENV holding three database files:
 *
 *	items.db	DB_BTREE: key = one byte MsmKind + item key bytes (no NUL),
 *			value = the versioned record of encode_record() below.
 *	meta.db		DB_BTREE: key and value are strings without NUL. Keys
 *			beginning with "journal." are reserved for this module
 *			("journal.format", "journal.last_seq").
 *	events.db	DB_RECNO: one line per record, "<ISO-8601 UTC> <text>".
 *
 *	The environment is opened with DB_RECOVER | DB_REGISTER: recovery runs
 *	when a process that had the environment open died (or on first use),
 *	and never under a process that still has it open. Each write is one
 *	transaction committed with DB_TXN_WRITE_NOSYNC (set on the environment):
 *	the commit record reaches the operating system before the commit
 *	returns, so a killed process loses nothing it was told is committed; a
 *	machine crash may lose the tail since the last msm_journal_sync().
 *
 *	Handles are opened with DB_THREAD, so one MsmJournal is shared by all
 *	worker threads. Deadlocks between concurrent transactions are resolved
 *	by the lock detector (DB_LOCK_DEFAULT); the loser is aborted and the
 *	whole operation retried. Reads done for msm_journal_foreach() are made
 *	in batches with no lock held while the callback runs, so a callback may
 *	itself record items.
 *
 *	Berkeley DB's DB_REGISTER bookkeeping is per process, so a process must
 *	not open the same journal twice at once; this module refuses a second
 *	open of the same directory in the same process (a table of open
 *	journals guarded by a GMutex).
 * DIAGNOSTICS
 *	MSM_ERROR_JOURNAL with the journal directory, the operation, Berkeley
 *	DB's db_strerror() text and, when the library reported one, its more
 *	detailed message. A missing journal opened with create=FALSE is
 *	MSM_ERROR_NOT_FOUND. Bad arguments are MSM_ERROR_INVALID_ARGUMENT.
 *	Nothing here aborts the process.
 */
#include "config.h"

#include "journal.h"
#include "util.h"

#include <db.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define JOURNAL_FORMAT 1       /* meta "journal.format": layout of the three files */
#define RECORD_VERSION 1       /* first byte of every items.db value */
#define RECORD_FIXED 30        /* bytes before the digest length */
#define STRING_ABSENT 0xFFFFFFFFu
#define RETRY_MAX 1000         /* attempts of one operation lost to deadlocks */
#define BATCH_MAX 512          /* records read per batch by foreach */
#define JOURNAL_CACHE (256 * 1024) /* a fixed cache: memory does not grow with the journal */
#define META_FORMAT "journal.format"
#define META_LAST_SEQ "journal.last_seq"
#define META_RESERVED "journal."

struct MsmJournal {
    char *dir;     /* as given */
    char *canon;   /* canonical path: key of open_journals */
    DB_ENV *env;
    DB *items;
    DB *meta;
    DB *events;
};

/* Journals open in this process (canonical path -> itself), see DESCRIPTION. */
static GMutex open_lock;
static GHashTable *open_journals;

/* The last detailed message Berkeley DB gave this thread (char *). */
static GPrivate db_message = G_PRIVATE_INIT(g_free);

static const char *const status_names[] = {NULL, "started", "done", "skipped", "failed"};

const char *
msm_item_status_name(MsmItemStatus status)
{
    if ((int)status < MSM_ITEM_STARTED || status > MSM_ITEM_FAILED)
        return "unknown";
    return status_names[status];
}

/* DB_ENV error callback: keeps the message for the next error of this thread. */
static void
db_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
    (void)env;
    (void)prefix;
    g_private_replace(&db_message, g_strdup(msg));
}

/* Sets MSM_ERROR_JOURNAL for Berkeley DB return code ret of operation what. */
static void
set_db_error(GError **error, const char *dir, int ret, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static void
set_db_error(GError **error, const char *dir, int ret, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    const char *detail = g_private_get(&db_message);
    if (detail != NULL && *detail != '\0')
        g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL, "journal %s: %s: %s (%s)", dir, what,
                    db_strerror(ret), detail);
    else
        g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL, "journal %s: %s: %s", dir, what,
                    db_strerror(ret));
    g_private_replace(&db_message, NULL);
    g_free(what);
}

/* TRUE when ret means "this transaction lost a lock conflict: abort and retry". */
static gboolean
is_retryable(int ret)
{
    return ret == DB_LOCK_DEADLOCK || ret == DB_LOCK_NOTGRANTED;
}

/* Sleeps a little before retry number attempt, so colliding threads spread out. */
static void
retry_pause(int attempt)
{
    if (attempt > 2)
        g_usleep((gulong)g_random_int_range(50, 200 + 50 * MIN(attempt, 40)));
}

/* Fills a DBT that points at caller memory (for keys and values we pass in). */
static void
dbt_in(DBT *d, const void *data, gsize len)
{
    memset(d, 0, sizeof *d);
    d->data = (void *)data;
    d->size = (u_int32_t)len;
}

/* Prepares a DBT that Berkeley DB fills with malloc'd memory (DB_THREAD needs it). */
static void
dbt_out(DBT *d)
{
    memset(d, 0, sizeof *d);
    d->flags = DB_DBT_REALLOC;
}

/* Key of an item in items.db: the kind byte then the key bytes. */
static GByteArray *
item_key(MsmKind kind, const char *key)
{
    GByteArray *k = g_byte_array_sized_new((guint)strlen(key) + 1);
    guint8 kb = (guint8)kind;
    g_byte_array_append(k, &kb, 1);
    g_byte_array_append(k, (const guint8 *)key, (guint)strlen(key));
    return k;
}

/* Appends n as big-endian bytes of width size. */
static void
put_be(GByteArray *b, guint64 n, int size)
{
    guint8 buf[8];
    for (int i = size - 1; i >= 0; i--) {
        buf[i] = (guint8)(n & 0xff);
        n >>= 8;
    }
    g_byte_array_append(b, buf, (guint)size);
}

/* Reads a big-endian integer of width size. */
static guint64
get_be(const guint8 *p, int size)
{
    guint64 n = 0;
    for (int i = 0; i < size; i++)
        n = (n << 8) | p[i];
    return n;
}

/* Appends a length-prefixed string (STRING_ABSENT for NULL). */
static void
put_string(GByteArray *b, const char *s)
{
    if (s == NULL) {
        put_be(b, STRING_ABSENT, 4);
        return;
    }
    gsize len = strlen(s);
    put_be(b, (guint64)len, 4);
    g_byte_array_append(b, (const guint8 *)s, (guint)len);
}

/* Encodes rec as a version-1 record (layout in docs/formats/journal.md). */
static GByteArray *
encode_record(const MsmJournalRecord *rec)
{
    GByteArray *b = g_byte_array_sized_new(64);
    guint8 head[2] = {RECORD_VERSION, (guint8)rec->status};
    g_byte_array_append(b, head, 2);
    put_be(b, rec->attempts, 4);
    put_be(b, (guint64)rec->updated, 8);
    put_be(b, rec->seq, 8);
    put_be(b, rec->bytes, 8);
    put_string(b, rec->digest);
    put_string(b, rec->detail);
    return b;
}

/* Reads a length-prefixed string at *off; FALSE if it runs past len. */
static gboolean
get_string(const guint8 *p, gsize len, gsize *off, char **s_r)
{
    *s_r = NULL;
    if (len - *off < 4)
        return FALSE;
    guint32 n = (guint32)get_be(p + *off, 4);
    *off += 4;
    if (n == STRING_ABSENT)
        return TRUE;
    if (len - *off < n || memchr(p + *off, '\0', n) != NULL)
        return FALSE;
    *s_r = g_strndup((const char *)p + *off, n);
    *off += n;
    return TRUE;
}

/* Decodes a record; on failure sets *why (static text) and returns FALSE. */
static gboolean
decode_record(const void *data, gsize len, MsmJournalRecord *rec, const char **why)
{
    const guint8 *p = data;
    memset(rec, 0, sizeof *rec);
    if (len < 1) {
        *why = "empty record";
        return FALSE;
    }
    if (p[0] != RECORD_VERSION) {
        *why = p[0] > RECORD_VERSION ? "record written by a newer msmigrate"
                                     : "unknown record version";
        return FALSE;
    }
    if (len < RECORD_FIXED) {
        *why = "truncated record";
        return FALSE;
    }
    if (p[1] < MSM_ITEM_STARTED || p[1] > MSM_ITEM_FAILED) {
        *why = "bad status byte";
        return FALSE;
    }
    rec->status = (MsmItemStatus)p[1];
    rec->attempts = (guint32)get_be(p + 2, 4);
    rec->updated = (gint64)get_be(p + 6, 8);
    rec->seq = get_be(p + 14, 8);
    rec->bytes = get_be(p + 22, 8);
    gsize off = RECORD_FIXED;
    if (!get_string(p, len, &off, &rec->digest) || !get_string(p, len, &off, &rec->detail)) {
        msm_journal_record_clear(rec);
        *why = "truncated or malformed string field";
        return FALSE;
    }
    if (off != len) {
        msm_journal_record_clear(rec);
        *why = "trailing bytes after the record";
        return FALSE;
    }
    return TRUE;
}

void
msm_journal_record_clear(MsmJournalRecord *rec)
{
    if (rec == NULL)
        return;
    g_free(rec->digest);
    g_free(rec->detail);
    memset(rec, 0, sizeof *rec);
}

/* Printable form of an item key bytes for messages ("store user/INBOX"). */
static char *
describe_key(const guint8 *k, gsize len)
{
    if (len < 1)
        return g_strdup("(empty key)");
    char *name = g_strndup((const char *)k + 1, len - 1);
    char *s = g_strdup_printf("%s %s", msm_kind_name((MsmKind)k[0]), name);
    g_free(name);
    return s;
}

/* Removes the journal from the table of open journals. */
static void
forget_open(const char *canon)
{
    g_mutex_lock(&open_lock);
    if (open_journals != NULL)
        g_hash_table_remove(open_journals, canon);
    g_mutex_unlock(&open_lock);
}

/* Registers canon as open in this process; FALSE if it already is. */
static gboolean
register_open(const char *canon)
{
    gboolean ok = FALSE;
    g_mutex_lock(&open_lock);
    if (open_journals == NULL)
        open_journals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    if (!g_hash_table_contains(open_journals, canon)) {
        g_hash_table_add(open_journals, g_strdup(canon));
        ok = TRUE;
    }
    g_mutex_unlock(&open_lock);
    return ok;
}

/* Opens one database file of the journal inside txn. */
static gboolean
open_db(MsmJournal *j, DB_TXN *txn, DB **db_r, const char *file, DBTYPE type, gboolean create,
        GError **error)
{
    DB *db = NULL;
    int ret = db_create(&db, j->env, 0);
    if (ret != 0) {
        set_db_error(error, j->dir, ret, "cannot create a handle for %s", file);
        return FALSE;
    }
    ret = db->open(db, txn, file, NULL, type, (create ? DB_CREATE : 0) | DB_THREAD, 0600);
    if (ret != 0) {
        if (ret == ENOENT && !create)
            set_db_error(error, j->dir, ret,
                         "%s is missing: the journal is incomplete (was it copied partially?)",
                         file);
        else
            set_db_error(error, j->dir, ret, "cannot open %s", file);
        db->close(db, 0);
        return FALSE;
    }
    *db_r = db;
    return TRUE;
}

/* Reads meta key inside txn (flags: 0 or DB_RMW); *value_r NULL when absent. */
static int
meta_get(MsmJournal *j, DB_TXN *txn, const char *key, u_int32_t flags, char **value_r)
{
    DBT k, v;
    dbt_in(&k, key, strlen(key));
    dbt_out(&v);
    *value_r = NULL;
    int ret = j->meta->get(j->meta, txn, &k, &v, flags);
    if (ret == 0)
        *value_r = g_strndup(v.data, v.size);
    free(v.data);
    return ret == DB_NOTFOUND ? 0 : ret;
}

/* Writes meta key inside txn. */
static int
meta_put(MsmJournal *j, DB_TXN *txn, const char *key, const char *value)
{
    DBT k, v;
    dbt_in(&k, key, strlen(key));
    dbt_in(&v, value, strlen(value));
    return j->meta->put(j->meta, txn, &k, &v, 0);
}

/* Checks (and on a new journal writes) the journal format number. */
static gboolean
check_format(MsmJournal *j, gboolean create, GError **error)
{
    gboolean ok = FALSE;
    char *value = NULL;
    for (int attempt = 0;; attempt++) {
        DB_TXN *txn = NULL;
        int ret = j->env->txn_begin(j->env, NULL, &txn, 0);
        if (ret != 0) {
            set_db_error(error, j->dir, ret, "cannot begin a transaction");
            goto out;
        }
        g_clear_pointer(&value, g_free);
        ret = meta_get(j, txn, META_FORMAT, DB_RMW, &value);
        if (ret == 0 && value == NULL && create) {
            char *fmt = g_strdup_printf("%d", JOURNAL_FORMAT);
            ret = meta_put(j, txn, META_FORMAT, fmt);
            value = fmt;
        }
        if (ret == 0) {
            ret = txn->commit(txn, 0);
            txn = NULL;
        }
        if (txn != NULL)
            txn->abort(txn);
        if (ret == 0)
            break;
        if (!is_retryable(ret) || attempt >= RETRY_MAX) {
            set_db_error(error, j->dir, ret, "cannot read the journal format");
            goto out;
        }
        retry_pause(attempt);
    }
    if (value == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                    "journal %s: meta.db has no \"%s\" key: this is not an msmigrate journal "
                    "or it was never completely created",
                    j->dir, META_FORMAT);
        goto out;
    }
    char *end = NULL;
    guint64 format = g_ascii_strtoull(value, &end, 10);
    if (end == value || *end != '\0' || format == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                    "journal %s: bad journal format \"%s\" in meta.db", j->dir, value);
        goto out;
    }
    if (format > JOURNAL_FORMAT) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                    "journal %s has format %" G_GUINT64_FORMAT
                    " but this msmigrate reads format %d only: resume it with the msmigrate "
                    "version that started the run",
                    j->dir, format, JOURNAL_FORMAT);
        goto out;
    }
    ok = TRUE;
out:
    g_free(value);
    return ok;
}

/* Closes the database handles and the environment of j (no checkpoint). */
static void
close_handles(MsmJournal *j)
{
    if (j->events != NULL)
        j->events->close(j->events, 0);
    if (j->meta != NULL)
        j->meta->close(j->meta, 0);
    if (j->items != NULL)
        j->items->close(j->items, 0);
    if (j->env != NULL)
        j->env->close(j->env, 0);
    j->events = j->meta = j->items = NULL;
    j->env = NULL;
}

MsmJournal *
msm_journal_open(const char *dir, gboolean create, GError **error)
{
    MsmJournal *j = NULL;
    gboolean registered = FALSE;
    DB_TXN *txn = NULL;
    int ret;

    g_return_val_if_fail(dir != NULL, NULL);
    if (create) {
        if (!msm_mkdir_p(dir, TRUE, error))
            return NULL;
    } else {
        char *items = g_build_filename(dir, "items.db", NULL);
        gboolean exists = g_file_test(items, G_FILE_TEST_IS_REGULAR);
        g_free(items);
        if (!exists) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                        "no journal in %s (items.db is missing): check the run id or the "
                        "work directory",
                        dir);
            return NULL;
        }
    }

    j = g_new0(MsmJournal, 1);
    j->dir = g_strdup(dir);
    char *real = realpath(dir, NULL);
    j->canon = real != NULL ? g_strdup(real) : g_canonicalize_filename(dir, NULL);
    free(real);
    if (!register_open(j->canon)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                    "journal %s is already open in this process", dir);
        goto fail;
    }
    registered = TRUE;

    g_private_replace(&db_message, NULL);
    ret = db_env_create(&j->env, 0);
    if (ret != 0) {
        j->env = NULL;
        set_db_error(error, dir, ret, "cannot create an environment handle");
        goto fail;
    }
    j->env->set_errcall(j->env, db_errcall);
    if ((ret = j->env->set_lk_detect(j->env, DB_LOCK_DEFAULT)) != 0 ||
        (ret = j->env->set_cachesize(j->env, 0, JOURNAL_CACHE, 1)) != 0 ||
        (ret = j->env->log_set_config(j->env, DB_LOG_AUTO_REMOVE, 1)) != 0 ||
        (ret = j->env->set_flags(j->env, DB_TXN_WRITE_NOSYNC, 1)) != 0 ||
        /* regions written out when created: a full file system is an error at open,
         * not a SIGBUS on a mapped page later */
        (ret = j->env->set_flags(j->env, DB_REGION_INIT, 1)) != 0) {
        set_db_error(error, dir, ret, "cannot configure the environment");
        goto fail;
    }
    ret = j->env->open(j->env, dir,
                       DB_CREATE | DB_INIT_TXN | DB_INIT_LOG | DB_INIT_LOCK | DB_INIT_MPOOL |
                           DB_RECOVER | DB_REGISTER | DB_THREAD,
                       0600);
    if (ret != 0) {
        set_db_error(error, dir, ret, "cannot open the environment");
        goto fail;
    }

    ret = j->env->txn_begin(j->env, NULL, &txn, 0);
    if (ret != 0) {
        set_db_error(error, dir, ret, "cannot begin a transaction");
        goto fail;
    }
    if (!open_db(j, txn, &j->items, "items.db", DB_BTREE, create, error) ||
        !open_db(j, txn, &j->meta, "meta.db", DB_BTREE, create, error) ||
        !open_db(j, txn, &j->events, "events.db", DB_RECNO, create, error))
        goto fail;
    ret = txn->commit(txn, 0);
    txn = NULL;
    if (ret != 0) {
        set_db_error(error, dir, ret, "cannot commit the creation of the databases");
        goto fail;
    }
    if (!check_format(j, create, error))
        goto fail;
    return j;

fail:
    if (txn != NULL)
        txn->abort(txn);
    close_handles(j);
    if (registered)
        forget_open(j->canon);
    g_free(j->canon);
    g_free(j->dir);
    g_free(j);
    return NULL;
}

void
msm_journal_close(MsmJournal *journal)
{
    if (journal == NULL)
        return;
    if (journal->env != NULL) {
        /* Flush and checkpoint so reopening needs no work; with DB_LOG_AUTO_REMOVE
         * the log files the checkpoint made unnecessary are removed. */
        journal->env->log_flush(journal->env, NULL);
        journal->env->txn_checkpoint(journal->env, 0, 0, DB_FORCE);
    }
    close_handles(journal);
    forget_open(journal->canon);
    g_free(journal->canon);
    g_free(journal->dir);
    g_free(journal);
}

gboolean
msm_journal_sync(MsmJournal *journal, GError **error)
{
    g_return_val_if_fail(journal != NULL, FALSE);
    int ret = journal->env->log_flush(journal->env, NULL);
    if (ret != 0) {
        set_db_error(error, journal->dir, ret, "cannot flush the log");
        return FALSE;
    }
    /* A checkpoint once a megabyte of log has accumulated keeps the log (and the
     * work of recovery) bounded on long runs; it does nothing otherwise. */
    ret = journal->env->txn_checkpoint(journal->env, 1024, 0, 0);
    if (ret != 0) {
        set_db_error(error, journal->dir, ret, "cannot checkpoint");
        return FALSE;
    }
    return TRUE;
}

gboolean
msm_journal_set_meta(MsmJournal *journal, const char *key, const char *value, GError **error)
{
    g_return_val_if_fail(journal != NULL, FALSE);
    if (key == NULL || *key == '\0' || value == NULL ||
        g_str_has_prefix(key, META_RESERVED)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "journal %s: bad meta key \"%s\" (empty, NULL value, or in the reserved "
                    "\"%s\" namespace)",
                    journal->dir, key ? key : "(null)", META_RESERVED);
        return FALSE;
    }
    for (int attempt = 0;; attempt++) {
        DB_TXN *txn = NULL;
        int ret = journal->env->txn_begin(journal->env, NULL, &txn, 0);
        if (ret == 0) {
            ret = meta_put(journal, txn, key, value);
            if (ret == 0)
                ret = txn->commit(txn, 0);
            else
                txn->abort(txn);
        }
        if (ret == 0)
            return TRUE;
        if (!is_retryable(ret) || attempt >= RETRY_MAX) {
            set_db_error(error, journal->dir, ret, "cannot set meta key \"%s\"", key);
            return FALSE;
        }
        retry_pause(attempt);
    }
}

char *
msm_journal_get_meta(MsmJournal *journal, const char *key, GError **error)
{
    g_return_val_if_fail(journal != NULL && key != NULL, NULL);
    for (int attempt = 0;; attempt++) {
        char *value = NULL;
        int ret = meta_get(journal, NULL, key, 0, &value);
        if (ret == 0)
            return value;
        if (!is_retryable(ret) || attempt >= RETRY_MAX) {
            set_db_error(error, journal->dir, ret, "cannot read meta key \"%s\"", key);
            return NULL;
        }
        retry_pause(attempt);
    }
}

/* Validates kind, key and status arguments. */
static gboolean
check_item_args(MsmJournal *journal, MsmKind kind, const char *key, GError **error)
{
    if ((int)kind < 0 || kind >= MSM_KIND_COUNT || key == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "journal %s: bad item (kind %d, key %s)", journal->dir, (int)kind,
                    key ? key : "(null)");
        return FALSE;
    }
    return TRUE;
}

/* One attempt of msm_journal_record inside txn; returns a DB code, or -1 with
 * *error set for a corrupt stored record. */
static int
record_in_txn(MsmJournal *journal, DB_TXN *txn, const GByteArray *k, MsmItemStatus status,
              const char *digest, guint64 bytes, const char *detail, GError **error)
{
    DBT key, val;
    MsmJournalRecord rec;
    char *last = NULL;
    int ret;

    memset(&rec, 0, sizeof rec);
    dbt_in(&key, k->data, k->len);
    dbt_out(&val);
    ret = journal->items->get(journal->items, txn, &key, &val, DB_RMW);
    if (ret == 0) {
        const char *why = NULL;
        if (!decode_record(val.data, val.size, &rec, &why)) {
            char *what = describe_key(k->data, k->len);
            g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                        "journal %s: record of %s is unreadable: %s", journal->dir, what, why);
            g_free(what);
            free(val.data);
            return -1;
        }
    } else if (ret == DB_NOTFOUND) {
        /* A new item: take the next sequence number, in the same transaction. */
        ret = meta_get(journal, txn, META_LAST_SEQ, DB_RMW, &last);
        if (ret != 0)
            goto out;
        rec.seq = last != NULL ? g_ascii_strtoull(last, NULL, 10) + 1 : 1;
        char buf[32];
        g_snprintf(buf, sizeof buf, "%" G_GUINT64_FORMAT, rec.seq);
        ret = meta_put(journal, txn, META_LAST_SEQ, buf);
        if (ret != 0)
            goto out;
    } else {
        goto out;
    }

    rec.status = status;
    if (status == MSM_ITEM_STARTED)
        rec.attempts++;
    rec.updated = g_get_real_time() / G_USEC_PER_SEC;
    rec.bytes = bytes;
    if (digest != NULL) {
        g_free(rec.digest);
        rec.digest = *digest != '\0' ? g_strdup(digest) : NULL;
    }
    if (detail != NULL) {
        g_free(rec.detail);
        rec.detail = *detail != '\0' ? g_strdup(detail) : NULL;
    }
    GByteArray *enc = encode_record(&rec);
    DBT nv;
    dbt_in(&nv, enc->data, enc->len);
    ret = journal->items->put(journal->items, txn, &key, &nv, 0);
    g_byte_array_unref(enc);
out:
    free(val.data);
    g_free(last);
    msm_journal_record_clear(&rec);
    return ret;
}

gboolean
msm_journal_record(MsmJournal *journal, MsmKind kind, const char *key, MsmItemStatus status,
                   const char *digest, guint64 bytes, const char *detail, GError **error)
{
    gboolean ok = FALSE;
    g_return_val_if_fail(journal != NULL, FALSE);
    if (!check_item_args(journal, kind, key, error))
        return FALSE;
    if ((int)status < MSM_ITEM_STARTED || status > MSM_ITEM_FAILED) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "journal %s: bad status %d for %s %s", journal->dir, (int)status,
                    msm_kind_name(kind), key);
        return FALSE;
    }
    GByteArray *k = item_key(kind, key);
    for (int attempt = 0;; attempt++) {
        DB_TXN *txn = NULL;
        int ret = journal->env->txn_begin(journal->env, NULL, &txn, 0);
        if (ret == 0) {
            ret = record_in_txn(journal, txn, k, status, digest, bytes, detail, error);
            if (ret == 0)
                ret = txn->commit(txn, 0);
            else
                txn->abort(txn);
        }
        if (ret == 0) {
            ok = TRUE;
            break;
        }
        if (ret == -1)
            break;
        if (!is_retryable(ret) || attempt >= RETRY_MAX) {
            set_db_error(error, journal->dir, ret, "cannot record %s %s as %s",
                         msm_kind_name(kind), key, msm_item_status_name(status));
            break;
        }
        retry_pause(attempt);
    }
    g_byte_array_unref(k);
    return ok;
}

gboolean
msm_journal_lookup(MsmJournal *journal, MsmKind kind, const char *key, MsmJournalRecord *rec_r,
                   GError **error)
{
    gboolean ok = FALSE;
    g_return_val_if_fail(journal != NULL && rec_r != NULL, FALSE);
    memset(rec_r, 0, sizeof *rec_r);
    if (!check_item_args(journal, kind, key, error))
        return FALSE;
    GByteArray *k = item_key(kind, key);
    for (int attempt = 0;; attempt++) {
        DBT dk, val;
        dbt_in(&dk, k->data, k->len);
        dbt_out(&val);
        int ret = journal->items->get(journal->items, NULL, &dk, &val, 0);
        if (ret == 0) {
            const char *why = NULL;
            ok = decode_record(val.data, val.size, rec_r, &why);
            if (!ok)
                g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                            "journal %s: record of %s %s is unreadable: %s", journal->dir,
                            msm_kind_name(kind), key, why);
            free(val.data);
            break;
        }
        free(val.data);
        if (ret == DB_NOTFOUND)
            break;
        if (!is_retryable(ret) || attempt >= RETRY_MAX) {
            set_db_error(error, journal->dir, ret, "cannot look up %s %s", msm_kind_name(kind),
                         key);
            break;
        }
        retry_pause(attempt);
    }
    g_byte_array_unref(k);
    return ok;
}

/* One item read by a foreach batch. */
typedef struct {
    MsmKind kind;
    char *key;
    MsmJournalRecord rec;
} BatchItem;

/* Frees the contents of a BatchItem (GArray clear func). */
static void
batch_item_clear(gpointer p)
{
    BatchItem *b = p;
    g_free(b->key);
    msm_journal_record_clear(&b->rec);
}

/* Reads up to BATCH_MAX items after *from (inclusive when *from_inclusive) into
 * batch. Returns a DB code, or -1 with *error set for an unreadable record.
 * *done_r is set when the range is exhausted. */
static int
read_batch(MsmJournal *journal, MsmKind kind, GByteArray *from, gboolean from_inclusive,
           GArray *batch, gboolean *done_r, GError **error)
{
    DBC *cur = NULL;
    DBT key, val;
    int ret = journal->items->cursor(journal->items, NULL, &cur, DB_READ_COMMITTED);
    if (ret != 0)
        return ret;
    dbt_out(&key);
    dbt_out(&val);
    *done_r = FALSE;

    /* Position: DB_SET_RANGE takes a key in our memory; copy it into a malloc'd
     * buffer since Berkeley DB reallocs DB_DBT_REALLOC keys it returns. */
    key.data = malloc(from->len > 0 ? from->len : 1);
    if (key.data == NULL) {
        ret = ENOMEM;
        goto out;
    }
    if (from->len > 0)
        memcpy(key.data, from->data, from->len);
    key.size = (u_int32_t)from->len;
    u_int32_t op = from->len > 0 ? DB_SET_RANGE : DB_FIRST;
    gboolean skip_equal = !from_inclusive;
    while (batch->len < BATCH_MAX) {
        ret = cur->get(cur, &key, &val, op);
        op = DB_NEXT;
        if (ret == DB_NOTFOUND) {
            *done_r = TRUE;
            ret = 0;
            break;
        }
        if (ret != 0)
            goto out;
        const guint8 *kp = key.data;
        if (skip_equal) {
            skip_equal = FALSE;
            if (key.size == from->len && memcmp(kp, from->data, from->len) == 0)
                continue;
        }
        if (key.size >= 1 && kind != MSM_KIND_COUNT && kp[0] != (guint8)kind) {
            /* Past the kind's range (it started at the kind byte). */
            *done_r = TRUE;
            break;
        }
        BatchItem item;
        memset(&item, 0, sizeof item);
        const char *why = NULL;
        if (key.size < 1 || kp[0] >= MSM_KIND_COUNT ||
            memchr(kp + 1, '\0', key.size - 1) != NULL ||
            !decode_record(val.data, val.size, &item.rec, &why)) {
            char *what = describe_key(kp, key.size);
            g_set_error(error, MSM_ERROR, MSM_ERROR_JOURNAL,
                        "journal %s: record of %s is unreadable: %s", journal->dir, what,
                        why ? why : "bad key");
            g_free(what);
            ret = -1;
            goto out;
        }
        item.kind = (MsmKind)kp[0];
        item.key = g_strndup((const char *)kp + 1, key.size - 1);
        g_array_append_val(batch, item);
        g_byte_array_set_size(from, 0);
        g_byte_array_append(from, kp, key.size);
    }
out:
    cur->close(cur);
    free(key.data);
    free(val.data);
    return ret;
}

gboolean
msm_journal_foreach(MsmJournal *journal, MsmKind kind, MsmJournalFunc func, gpointer user_data,
                    GError **error)
{
    gboolean ok = FALSE;
    g_return_val_if_fail(journal != NULL && func != NULL, FALSE);
    if ((int)kind < 0 || kind > MSM_KIND_COUNT) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT, "journal %s: bad kind %d",
                    journal->dir, (int)kind);
        return FALSE;
    }
    /* from: the last key handed out (or the start of the range). */
    GByteArray *from = g_byte_array_new();
    gboolean inclusive = TRUE;
    if (kind != MSM_KIND_COUNT) {
        guint8 kb = (guint8)kind;
        g_byte_array_append(from, &kb, 1);
    }
    GArray *batch = g_array_new(FALSE, TRUE, sizeof(BatchItem));
    g_array_set_clear_func(batch, batch_item_clear);
    int attempt = 0;
    for (;;) {
        gboolean done = FALSE;
        GByteArray *pos = g_byte_array_new();
        g_byte_array_append(pos, from->data, from->len);
        int ret = read_batch(journal, kind, pos, inclusive, batch, &done, error);
        if (ret == -1) {
            g_byte_array_unref(pos);
            goto out;
        }
        if (ret != 0) {
            g_byte_array_unref(pos);
            g_array_set_size(batch, 0);
            if (!is_retryable(ret) || attempt >= RETRY_MAX) {
                set_db_error(error, journal->dir, ret, "cannot read the items");
                goto out;
            }
            retry_pause(attempt++);
            continue;
        }
        attempt = 0;
        if (batch->len > 0) {
            g_byte_array_unref(from);
            from = pos;
            inclusive = FALSE;
        } else {
            g_byte_array_unref(pos);
        }
        for (guint i = 0; i < batch->len; i++) {
            BatchItem *b = &g_array_index(batch, BatchItem, i);
            if (!func(b->kind, b->key, &b->rec, user_data)) {
                ok = TRUE;
                goto out;
            }
        }
        g_array_set_size(batch, 0);
        if (done)
            break;
    }
    ok = TRUE;
out:
    g_array_unref(batch);
    g_byte_array_unref(from);
    return ok;
}

/* foreach callback of msm_journal_count. */
static gboolean
count_one(MsmKind kind, const char *key, const MsmJournalRecord *rec, gpointer user_data)
{
    (void)kind;
    (void)key;
    guint64 *counts = user_data;
    counts[rec->status]++;
    return TRUE;
}

gboolean
msm_journal_count(MsmJournal *journal, MsmKind kind, guint64 counts_r[5], GError **error)
{
    guint64 counts[5] = {0, 0, 0, 0, 0};
    if (!msm_journal_foreach(journal, kind, count_one, counts, error))
        return FALSE;
    memcpy(counts_r, counts, sizeof counts);
    return TRUE;
}

gboolean
msm_journal_event(MsmJournal *journal, GError **error, const char *fmt, ...)
{
    g_return_val_if_fail(journal != NULL && fmt != NULL, FALSE);
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    GDateTime *now = g_date_time_new_now_utc();
    char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_date_time_unref(now);
    /* One event is one line: embedded line breaks would split it when printed. */
    g_strdelimit(text, "\r\n", ' ');
    char *line = g_strdup_printf("%s %s", stamp, text);
    gboolean ok = FALSE;
    for (int attempt = 0;; attempt++) {
        DB_TXN *txn = NULL;
        db_recno_t recno = 0;
        DBT k, v;
        memset(&k, 0, sizeof k);
        k.data = &recno;
        k.ulen = sizeof recno;
        k.flags = DB_DBT_USERMEM;
        dbt_in(&v, line, strlen(line));
        int ret = journal->env->txn_begin(journal->env, NULL, &txn, 0);
        if (ret == 0) {
            ret = journal->events->put(journal->events, txn, &k, &v, DB_APPEND);
            if (ret == 0)
                ret = txn->commit(txn, 0);
            else
                txn->abort(txn);
        }
        if (ret == 0) {
            ok = TRUE;
            break;
        }
        if (!is_retryable(ret) || attempt >= RETRY_MAX) {
            set_db_error(error, journal->dir, ret, "cannot append an event");
            break;
        }
        retry_pause(attempt);
    }
    g_free(line);
    g_free(stamp);
    g_free(text);
    return ok;
}

GPtrArray *
msm_journal_events(MsmJournal *journal, GError **error)
{
    g_return_val_if_fail(journal != NULL, NULL);
    for (int attempt = 0;; attempt++) {
        GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
        DBC *cur = NULL;
        DBT k, v;
        dbt_out(&k);
        dbt_out(&v);
        int ret = journal->events->cursor(journal->events, NULL, &cur, DB_READ_COMMITTED);
        if (ret == 0) {
            while ((ret = cur->get(cur, &k, &v, DB_NEXT)) == 0)
                g_ptr_array_add(lines, g_strndup(v.data, v.size));
            cur->close(cur);
            if (ret == DB_NOTFOUND)
                ret = 0;
        }
        free(k.data);
        free(v.data);
        if (ret == 0)
            return lines;
        g_ptr_array_unref(lines);
        if (!is_retryable(ret) || attempt >= RETRY_MAX) {
            set_db_error(error, journal->dir, ret, "cannot read the events");
            return NULL;
        }
        retry_pause(attempt);
    }
}
