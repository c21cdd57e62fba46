/*
 * NAME
 *	test-journal.c - unit tests of the run journal (core/journal.c)
 * DESCRIPTION
 *	Persistence across reopen, attempts and field updates, key order,
 *	batched iteration with early stop, counts, meta, events, concurrent
 *	writers, a record of a newer format, and a child process killed with
 *	SIGKILL in the middle of recording (recovery must keep every
 *	committed item).
 */
#include "config.h"

#include "journal.h"
#include "testutil.h"

#include <db.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A new journal directory (not yet created) below a fresh temporary directory. */
static char *
new_journal_dir(void)
{
    return g_build_filename(msm_test_tmpdir(), "journal", NULL);
}

/* Opens (creating) a journal, asserting success. */
static MsmJournal *
open_ok(const char *dir, gboolean create)
{
    GError *error = NULL;
    MsmJournal *j = msm_journal_open(dir, create, &error);
    if (error != NULL)
        g_printerr("msm_journal_open: %s\n", error->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_PTR_NULL(error);
    return j;
}

/* Records, asserting success. */
static void
record_ok(MsmJournal *j, MsmKind kind, const char *key, MsmItemStatus st, const char *digest,
          guint64 bytes, const char *detail)
{
    GError *error = NULL;
    gboolean ok = msm_journal_record(j, kind, key, st, digest, bytes, detail, &error);
    if (error != NULL)
        g_printerr("msm_journal_record: %s\n", error->message);
    CU_ASSERT_TRUE(ok);
    g_clear_error(&error);
}

static void
test_status_names(void)
{
    CU_ASSERT_STRING_EQUAL(msm_item_status_name(MSM_ITEM_STARTED), "started");
    CU_ASSERT_STRING_EQUAL(msm_item_status_name(MSM_ITEM_DONE), "done");
    CU_ASSERT_STRING_EQUAL(msm_item_status_name(MSM_ITEM_SKIPPED), "skipped");
    CU_ASSERT_STRING_EQUAL(msm_item_status_name(MSM_ITEM_FAILED), "failed");
    CU_ASSERT_STRING_EQUAL(msm_item_status_name((MsmItemStatus)9), "unknown");
}

static void
test_open_missing(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = msm_journal_open(dir, FALSE, &error);
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, dir) != NULL);
    g_clear_error(&error);
    /* An existing but empty directory is not a journal either. */
    CU_ASSERT_EQUAL(g_mkdir(dir, 0700), 0);
    j = msm_journal_open(dir, FALSE, &error);
    CU_ASSERT_PTR_NULL(j);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&error);
    msm_journal_close(NULL);
    g_free(dir);
}

static void
test_persistence(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    gint64 before = g_get_real_time() / G_USEC_PER_SEC;
    record_ok(j, MSM_KIND_STORE, "alice/INBOX", MSM_ITEM_STARTED, NULL, 0, NULL);
    record_ok(j, MSM_KIND_STORE, "alice/INBOX", MSM_ITEM_DONE, "abc123", 4096, NULL);
    record_ok(j, MSM_KIND_CONFIG, "config/imta.cnf", MSM_ITEM_SKIPPED, NULL, 0,
              "unchanged by this hop");

    MsmJournalRecord rec;
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_STORE, "alice/INBOX", &rec, &error));
    CU_ASSERT_EQUAL(rec.status, MSM_ITEM_DONE);
    CU_ASSERT_EQUAL(rec.attempts, 1);
    CU_ASSERT_EQUAL(rec.seq, 1);
    CU_ASSERT_EQUAL(rec.bytes, 4096);
    CU_ASSERT_TRUE(rec.updated >= before && rec.updated <= before + 5);
    CU_ASSERT_STRING_EQUAL(rec.digest, "abc123");
    CU_ASSERT_PTR_NULL(rec.detail);
    msm_journal_record_clear(&rec);

    /* Absent: FALSE without an error; the same key of another kind is another item. */
    CU_ASSERT_FALSE(msm_journal_lookup(j, MSM_KIND_QUEUE, "alice/INBOX", &rec, &error));
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_FALSE(msm_journal_lookup(j, MSM_KIND_STORE, "alice/INBOX/x", &rec, &error));
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);

    j = open_ok(dir, FALSE);
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_STORE, "alice/INBOX", &rec, &error));
    CU_ASSERT_EQUAL(rec.status, MSM_ITEM_DONE);
    CU_ASSERT_STRING_EQUAL(rec.digest, "abc123");
    msm_journal_record_clear(&rec);
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_CONFIG, "config/imta.cnf", &rec, &error));
    CU_ASSERT_EQUAL(rec.status, MSM_ITEM_SKIPPED);
    CU_ASSERT_EQUAL(rec.attempts, 0);
    CU_ASSERT_EQUAL(rec.seq, 2);
    CU_ASSERT_STRING_EQUAL(rec.detail, "unchanged by this hop");
    msm_journal_record_clear(&rec);

    /* Sequence numbers continue after a reopen. */
    record_ok(j, MSM_KIND_QUEUE, "ims-ms/ZZ01", MSM_ITEM_STARTED, NULL, 0, NULL);
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_QUEUE, "ims-ms/ZZ01", &rec, &error));
    CU_ASSERT_EQUAL(rec.seq, 3);
    msm_journal_record_clear(&rec);

    /* Unicode and the empty key are keys like any other. */
    record_ok(j, MSM_KIND_DIRECTORY, "uid=j\xc3\xb6rg,o=example", MSM_ITEM_DONE, NULL, 0, NULL);
    record_ok(j, MSM_KIND_DIRECTORY, "", MSM_ITEM_DONE, NULL, 0, NULL);
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_DIRECTORY, "", &rec, &error));
    CU_ASSERT_EQUAL(rec.seq, 5);
    msm_journal_record_clear(&rec);
    CU_ASSERT_TRUE(msm_journal_sync(j, &error));
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);
    g_free(dir);
}

static void
test_attempts_and_fields(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    const char *k = "bob/Sent Items";
    record_ok(j, MSM_KIND_STORE, k, MSM_ITEM_STARTED, NULL, 0, NULL);
    record_ok(j, MSM_KIND_STORE, k, MSM_ITEM_FAILED, NULL, 0, "disk full");
    record_ok(j, MSM_KIND_STORE, k, MSM_ITEM_STARTED, "d1", 0, NULL);
    record_ok(j, MSM_KIND_STORE, k, MSM_ITEM_STARTED, NULL, 0, NULL);

    MsmJournalRecord rec;
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_STORE, k, &rec, &error));
    CU_ASSERT_EQUAL(rec.status, MSM_ITEM_STARTED);
    CU_ASSERT_EQUAL(rec.attempts, 3);
    CU_ASSERT_STRING_EQUAL(rec.digest, "d1");     /* NULL kept the digest */
    CU_ASSERT_STRING_EQUAL(rec.detail, "disk full"); /* NULL kept the detail */
    CU_ASSERT_EQUAL(rec.seq, 1);
    msm_journal_record_clear(&rec);

    /* "" clears a field; a new value replaces it; bytes are always taken. */
    record_ok(j, MSM_KIND_STORE, k, MSM_ITEM_DONE, "d2", 77, "");
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_STORE, k, &rec, &error));
    CU_ASSERT_EQUAL(rec.status, MSM_ITEM_DONE);
    CU_ASSERT_EQUAL(rec.attempts, 3);
    CU_ASSERT_EQUAL(rec.bytes, 77);
    CU_ASSERT_STRING_EQUAL(rec.digest, "d2");
    CU_ASSERT_PTR_NULL(rec.detail);
    msm_journal_record_clear(&rec);

    /* Bad arguments are refused with INVALID_ARGUMENT, nothing is written. */
    CU_ASSERT_FALSE(msm_journal_record(j, MSM_KIND_COUNT, "x", MSM_ITEM_DONE, NULL, 0, NULL,
                                       &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&error);
    CU_ASSERT_FALSE(msm_journal_record(j, MSM_KIND_STORE, "x", (MsmItemStatus)0, NULL, 0, NULL,
                                       &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&error);
    CU_ASSERT_FALSE(msm_journal_lookup(j, MSM_KIND_STORE, "x", &rec, &error));
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);
    g_free(dir);
}

typedef struct {
    GPtrArray *seen; /* "kind:key" */
    guint stop_after;
    MsmJournal *journal;
    gboolean record_inside;
} ForeachState;

/* Collects visited items; stops after stop_after when non-zero. */
static gboolean
collect(MsmKind kind, const char *key, const MsmJournalRecord *rec, gpointer user_data)
{
    ForeachState *st = user_data;
    CU_ASSERT_TRUE(rec->seq > 0);
    g_ptr_array_add(st->seen, g_strdup_printf("%d:%s", (int)kind, key));
    if (st->record_inside) {
        /* A callback may write to the journal while the iteration goes on. */
        GError *error = NULL;
        CU_ASSERT_TRUE(msm_journal_record(st->journal, kind, key, MSM_ITEM_DONE, NULL, 1, NULL,
                                          &error));
        g_clear_error(&error);
    }
    return st->stop_after == 0 || st->seen->len < st->stop_after;
}

static void
test_foreach_order(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    /* Inserted out of order, across kinds. */
    record_ok(j, MSM_KIND_QUEUE, "b", MSM_ITEM_STARTED, NULL, 0, NULL);
    record_ok(j, MSM_KIND_CONFIG, "z", MSM_ITEM_DONE, NULL, 0, NULL);
    record_ok(j, MSM_KIND_STORE, "m", MSM_ITEM_DONE, NULL, 0, NULL);
    record_ok(j, MSM_KIND_CONFIG, "a", MSM_ITEM_DONE, NULL, 0, NULL);
    record_ok(j, MSM_KIND_QUEUE, "a", MSM_ITEM_FAILED, NULL, 0, NULL);
    record_ok(j, MSM_KIND_DIRECTORY, "c", MSM_ITEM_SKIPPED, NULL, 0, NULL);
    record_ok(j, MSM_KIND_CONFIG, "ab", MSM_ITEM_DONE, NULL, 0, NULL);

    ForeachState st = {g_ptr_array_new_with_free_func(g_free), 0, j, FALSE};
    CU_ASSERT_TRUE(msm_journal_foreach(j, MSM_KIND_COUNT, collect, &st, &error));
    const char *all[] = {"0:a", "0:ab", "0:z", "1:m", "2:a", "2:b", "3:c"};
    CU_ASSERT_EQUAL_FATAL(st.seen->len, G_N_ELEMENTS(all));
    for (guint i = 0; i < G_N_ELEMENTS(all); i++)
        CU_ASSERT_STRING_EQUAL(st.seen->pdata[i], all[i]);

    g_ptr_array_set_size(st.seen, 0);
    CU_ASSERT_TRUE(msm_journal_foreach(j, MSM_KIND_QUEUE, collect, &st, &error));
    CU_ASSERT_EQUAL_FATAL(st.seen->len, 2);
    CU_ASSERT_STRING_EQUAL(st.seen->pdata[0], "2:a");
    CU_ASSERT_STRING_EQUAL(st.seen->pdata[1], "2:b");

    /* Early stop. */
    g_ptr_array_set_size(st.seen, 0);
    st.stop_after = 2;
    CU_ASSERT_TRUE(msm_journal_foreach(j, MSM_KIND_COUNT, collect, &st, &error));
    CU_ASSERT_EQUAL(st.seen->len, 2);
    st.stop_after = 0;

    /* Enough items for several internal batches, with writes from the callback. */
    for (int i = 0; i < 1300; i++) {
        char key[32];
        g_snprintf(key, sizeof key, "user%05d/INBOX", i);
        record_ok(j, MSM_KIND_STORE, key, MSM_ITEM_STARTED, NULL, 0, NULL);
    }
    g_ptr_array_set_size(st.seen, 0);
    st.record_inside = TRUE;
    CU_ASSERT_TRUE(msm_journal_foreach(j, MSM_KIND_STORE, collect, &st, &error));
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_EQUAL(st.seen->len, 1301);
    for (guint i = 1; i < st.seen->len; i++)
        CU_ASSERT_TRUE(strcmp(st.seen->pdata[i - 1], st.seen->pdata[i]) < 0);
    guint64 counts[5];
    CU_ASSERT_TRUE(msm_journal_count(j, MSM_KIND_STORE, counts, &error));
    CU_ASSERT_EQUAL(counts[MSM_ITEM_DONE], 1301);
    CU_ASSERT_EQUAL(counts[MSM_ITEM_STARTED], 0);

    g_ptr_array_set_size(st.seen, 0);
    st.record_inside = FALSE;
    CU_ASSERT_TRUE(msm_journal_foreach(j, MSM_KIND_DIRECTORY, collect, &st, &error));
    CU_ASSERT_EQUAL(st.seen->len, 1);
    g_ptr_array_unref(st.seen);
    msm_journal_close(j);
    g_free(dir);
}

static void
test_counts(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    guint64 c[5];
    CU_ASSERT_TRUE(msm_journal_count(j, MSM_KIND_COUNT, c, &error));
    CU_ASSERT_EQUAL(c[1] + c[2] + c[3] + c[4], 0);
    record_ok(j, MSM_KIND_STORE, "a", MSM_ITEM_DONE, NULL, 0, NULL);
    record_ok(j, MSM_KIND_STORE, "b", MSM_ITEM_DONE, NULL, 0, NULL);
    record_ok(j, MSM_KIND_STORE, "c", MSM_ITEM_FAILED, NULL, 0, "x");
    record_ok(j, MSM_KIND_STORE, "d", MSM_ITEM_STARTED, NULL, 0, NULL);
    record_ok(j, MSM_KIND_CONFIG, "e", MSM_ITEM_SKIPPED, NULL, 0, "y");
    record_ok(j, MSM_KIND_CONFIG, "f", MSM_ITEM_DONE, NULL, 0, NULL);
    CU_ASSERT_TRUE(msm_journal_count(j, MSM_KIND_STORE, c, &error));
    CU_ASSERT_EQUAL(c[MSM_ITEM_STARTED], 1);
    CU_ASSERT_EQUAL(c[MSM_ITEM_DONE], 2);
    CU_ASSERT_EQUAL(c[MSM_ITEM_SKIPPED], 0);
    CU_ASSERT_EQUAL(c[MSM_ITEM_FAILED], 1);
    CU_ASSERT_TRUE(msm_journal_count(j, MSM_KIND_COUNT, c, &error));
    CU_ASSERT_EQUAL(c[MSM_ITEM_STARTED], 1);
    CU_ASSERT_EQUAL(c[MSM_ITEM_DONE], 3);
    CU_ASSERT_EQUAL(c[MSM_ITEM_SKIPPED], 1);
    CU_ASSERT_EQUAL(c[MSM_ITEM_FAILED], 1);
    CU_ASSERT_TRUE(msm_journal_count(j, MSM_KIND_QUEUE, c, &error));
    CU_ASSERT_EQUAL(c[1] + c[2] + c[3] + c[4], 0);
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);
    g_free(dir);
}

static void
test_meta(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    CU_ASSERT_PTR_NULL(msm_journal_get_meta(j, "plan", &error));
    CU_ASSERT_PTR_NULL(error);
    CU_ASSERT_TRUE(msm_journal_set_meta(j, "plan", "ims-5.2 -> ms-6.0", &error));
    CU_ASSERT_TRUE(msm_journal_set_meta(j, "state", "running", &error));
    CU_ASSERT_TRUE(msm_journal_set_meta(j, "state", "done", &error));
    CU_ASSERT_TRUE(msm_journal_set_meta(j, "empty", "", &error));
    char *v = msm_journal_get_meta(j, "state", &error);
    CU_ASSERT_STRING_EQUAL(v, "done");
    g_free(v);
    /* The reserved namespace is readable but not writable. */
    v = msm_journal_get_meta(j, "journal.format", &error);
    CU_ASSERT_STRING_EQUAL(v, "1");
    g_free(v);
    CU_ASSERT_FALSE(msm_journal_set_meta(j, "journal.last_seq", "0", &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&error);
    msm_journal_close(j);

    j = open_ok(dir, FALSE);
    v = msm_journal_get_meta(j, "plan", &error);
    CU_ASSERT_STRING_EQUAL(v, "ims-5.2 -> ms-6.0");
    g_free(v);
    v = msm_journal_get_meta(j, "empty", &error);
    CU_ASSERT_STRING_EQUAL(v, "");
    g_free(v);
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);
    g_free(dir);
}

static void
test_events(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    GPtrArray *ev = msm_journal_events(j, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL(ev->len, 0);
    g_ptr_array_unref(ev);
    for (int i = 0; i < 20; i++)
        CU_ASSERT_TRUE(msm_journal_event(j, &error, "hop ims-5.2->ms-6.0 step %d started", i));
    CU_ASSERT_TRUE(msm_journal_event(j, &error, "two\nlines"));
    msm_journal_close(j);

    j = open_ok(dir, FALSE);
    CU_ASSERT_TRUE(msm_journal_event(j, &error, "resumed"));
    ev = msm_journal_events(j, &error);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_EQUAL_FATAL(ev->len, 22);
    GRegex *re = g_regex_new("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ", 0, 0,
                             NULL);
    for (guint i = 0; i < ev->len; i++) {
        const char *line = ev->pdata[i];
        CU_ASSERT_TRUE(g_regex_match(re, line, 0, NULL));
        CU_ASSERT_PTR_NULL(strchr(line, '\n'));
        if (i < 20) {
            char *want = g_strdup_printf("hop ims-5.2->ms-6.0 step %u started", i);
            CU_ASSERT_STRING_EQUAL(line + 21, want);
            g_free(want);
        }
    }
    CU_ASSERT_STRING_EQUAL((char *)ev->pdata[20] + 21, "two lines");
    CU_ASSERT_STRING_EQUAL((char *)ev->pdata[21] + 21, "resumed");
    g_regex_unref(re);
    g_ptr_array_unref(ev);
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);
    g_free(dir);
}

static void
test_double_open(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    MsmJournal *j2 = msm_journal_open(dir, FALSE, &error);
    CU_ASSERT_PTR_NULL(j2);
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_JOURNAL));
    g_clear_error(&error);
    msm_journal_close(j);
    j = open_ok(dir, FALSE);
    msm_journal_close(j);
    g_free(dir);
}

#define THREADS 8
#define PER_THREAD 500
#define SHARED 10

typedef struct {
    MsmJournal *journal;
    int id;
    int failures;
} Worker;

/* Worker thread: distinct keys, plus updates of keys every thread shares. */
static gpointer
worker_main(gpointer data)
{
    Worker *w = data;
    for (int i = 0; i < PER_THREAD; i++) {
        GError *error = NULL;
        char key[64];
        g_snprintf(key, sizeof key, "t%d/folder%04d", w->id, i);
        if (!msm_journal_record(w->journal, MSM_KIND_STORE, key, MSM_ITEM_DONE, "d", 1, NULL,
                                &error))
            w->failures++;
        g_clear_error(&error);
        g_snprintf(key, sizeof key, "shared%d", i % SHARED);
        if (!msm_journal_record(w->journal, MSM_KIND_CONFIG, key, MSM_ITEM_STARTED, NULL, 0, NULL,
                                &error)) {
            g_printerr("worker %d: %s\n", w->id, error ? error->message : "?");
            w->failures++;
        }
        g_clear_error(&error);
    }
    return NULL;
}

typedef struct {
    GHashTable *keys;
    GHashTable *seqs;
    guint64 max_seq;
    gboolean shared_ok;
} Check;

/* Checks uniqueness of keys and sequence numbers, and shared attempts. */
static gboolean
check_item(MsmKind kind, const char *key, const MsmJournalRecord *rec, gpointer user_data)
{
    Check *c = user_data;
    char *k = g_strdup_printf("%d:%s", (int)kind, key);
    CU_ASSERT_FALSE(g_hash_table_contains(c->keys, k));
    g_hash_table_add(c->keys, k);
    CU_ASSERT_FALSE(g_hash_table_contains(c->seqs, &rec->seq));
    guint64 *s = g_new(guint64, 1);
    *s = rec->seq;
    g_hash_table_add(c->seqs, s);
    c->max_seq = MAX(c->max_seq, rec->seq);
    if (kind == MSM_KIND_CONFIG && rec->attempts != THREADS * PER_THREAD / SHARED)
        c->shared_ok = FALSE;
    return TRUE;
}

static void
test_concurrency(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    Worker workers[THREADS];
    GThread *threads[THREADS];
    for (int t = 0; t < THREADS; t++) {
        workers[t] = (Worker){j, t, 0};
        threads[t] = g_thread_new("journal-worker", worker_main, &workers[t]);
    }
    for (int t = 0; t < THREADS; t++) {
        g_thread_join(threads[t]);
        CU_ASSERT_EQUAL(workers[t].failures, 0);
    }
    guint64 c[5];
    CU_ASSERT_TRUE(msm_journal_count(j, MSM_KIND_STORE, c, &error));
    CU_ASSERT_EQUAL(c[MSM_ITEM_DONE], THREADS * PER_THREAD);
    Check chk = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                 g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL), 0, TRUE};
    CU_ASSERT_TRUE(msm_journal_foreach(j, MSM_KIND_COUNT, check_item, &chk, &error));
    guint n = g_hash_table_size(chk.keys);
    CU_ASSERT_EQUAL(n, THREADS * PER_THREAD + SHARED);
    CU_ASSERT_EQUAL(chk.max_seq, n); /* dense: 1..n, each once */
    CU_ASSERT_TRUE(chk.shared_ok);
    g_hash_table_unref(chk.keys);
    g_hash_table_unref(chk.seqs);
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);
    g_free(dir);
}

/* Writes all of buf to fd. */
static gboolean
write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        p += n;
        len -= (size_t)n;
    }
    return TRUE;
}

/* Reads one guint32 from fd; FALSE at end of file. */
static gboolean
read_u32(int fd, guint32 *v)
{
    size_t got = 0;
    while (got < sizeof *v) {
        ssize_t n = read(fd, (char *)v + got, sizeof *v - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return FALSE;
        got += (size_t)n;
    }
    return TRUE;
}

/* The child of test_crash: records items until killed, reporting each commit. */
static void G_GNUC_NORETURN
crash_child(const char *dir, int fd)
{
    MsmJournal *j = msm_journal_open(dir, TRUE, NULL);
    if (j == NULL)
        _exit(2);
    for (guint32 i = 0; i < 1000000; i++) {
        char key[32], digest[32];
        g_snprintf(key, sizeof key, "item%07u", i);
        g_snprintf(digest, sizeof digest, "digest-%u", i);
        if (!msm_journal_record(j, MSM_KIND_STORE, key, MSM_ITEM_STARTED, NULL, 0, NULL, NULL) ||
            !msm_journal_record(j, MSM_KIND_STORE, key, MSM_ITEM_DONE, digest, i, NULL, NULL))
            _exit(3);
        if (!write_all(fd, &i, sizeof i))
            _exit(4);
    }
    _exit(0);
}

/* TRUE when db5.3_verify (if installed) finds file of the journal in dir sound. */
static gboolean
db_verify(const char *dir, const char *file)
{
    char *prog = g_find_program_in_path("db5.3_verify");
    if (prog == NULL)
        return TRUE;
    char *argv[] = {prog, "-q", "-h", (char *)dir, (char *)file, NULL};
    int status = -1;
    gboolean ok = g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                               &status, NULL) &&
                  g_spawn_check_wait_status(status, NULL);
    g_free(prog);
    return ok;
}

static void
test_crash(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        crash_child(dir, fds[1]);
    }
    close(fds[1]);
    GHashTable *reported = g_hash_table_new(g_direct_hash, g_direct_equal);
    guint32 v;
    while (g_hash_table_size(reported) < 400 && read_u32(fds[0], &v))
        g_hash_table_add(reported, GUINT_TO_POINTER(v + 1));
    CU_ASSERT_EQUAL(kill(pid, SIGKILL), 0);
    int status = 0;
    CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
    CU_ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    /* What the child reported before it died is committed too. */
    while (read_u32(fds[0], &v))
        g_hash_table_add(reported, GUINT_TO_POINTER(v + 1));
    close(fds[0]);
    guint n = g_hash_table_size(reported);
    CU_ASSERT_TRUE_FATAL(n >= 400);

    MsmJournal *j = open_ok(dir, FALSE);
    for (guint32 i = 0; i < n; i++) {
        CU_ASSERT_TRUE(g_hash_table_contains(reported, GUINT_TO_POINTER(i + 1)));
        char key[32], digest[32];
        g_snprintf(key, sizeof key, "item%07u", i);
        g_snprintf(digest, sizeof digest, "digest-%u", i);
        MsmJournalRecord rec;
        gboolean found = msm_journal_lookup(j, MSM_KIND_STORE, key, &rec, &error);
        CU_ASSERT_TRUE(found);
        if (!found)
            continue;
        CU_ASSERT_EQUAL(rec.status, MSM_ITEM_DONE);
        CU_ASSERT_EQUAL(rec.attempts, 1);
        CU_ASSERT_EQUAL(rec.seq, i + 1);
        CU_ASSERT_EQUAL(rec.bytes, i);
        CU_ASSERT_STRING_EQUAL(rec.digest, digest);
        msm_journal_record_clear(&rec);
    }
    /* At most the one item in flight when the kill came is journalled beyond
     * what was reported, and the sequence has no gaps or duplicates. */
    Check chk = {g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
                 g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL), 0, TRUE};
    CU_ASSERT_TRUE(msm_journal_foreach(j, MSM_KIND_COUNT, check_item, &chk, &error));
    guint total = g_hash_table_size(chk.keys);
    CU_ASSERT_TRUE(total == n || total == n + 1);
    CU_ASSERT_EQUAL(chk.max_seq, total);
    g_hash_table_unref(chk.keys);
    g_hash_table_unref(chk.seqs);
    /* The recovered journal takes new records normally. */
    record_ok(j, MSM_KIND_STORE, "after-crash", MSM_ITEM_DONE, NULL, 0, NULL);
    MsmJournalRecord rec;
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_STORE, "after-crash", &rec, &error));
    CU_ASSERT_EQUAL(rec.seq, total + 1);
    msm_journal_record_clear(&rec);
    CU_ASSERT_PTR_NULL(error);
    msm_journal_close(j);
    CU_ASSERT_TRUE(db_verify(dir, "items.db"));
    CU_ASSERT_TRUE(db_verify(dir, "meta.db"));
    CU_ASSERT_TRUE(db_verify(dir, "events.db"));
    g_hash_table_unref(reported);
    g_free(dir);
}

/* Overwrites the value of one item with raw bytes, through Berkeley DB. */
static void
poke_record(const char *dir, const char *key, const void *data, size_t len)
{
    DB_ENV *env = NULL;
    DB *db = NULL;
    CU_ASSERT_EQUAL_FATAL(db_env_create(&env, 0), 0);
    CU_ASSERT_EQUAL_FATAL(env->open(env, dir,
                                    DB_CREATE | DB_INIT_TXN | DB_INIT_LOG | DB_INIT_LOCK |
                                        DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER,
                                    0600),
                          0);
    CU_ASSERT_EQUAL_FATAL(db_create(&db, env, 0), 0);
    CU_ASSERT_EQUAL_FATAL(db->open(db, NULL, "items.db", NULL, DB_BTREE, DB_AUTO_COMMIT, 0), 0);
    GByteArray *k = g_byte_array_new();
    guint8 kind = MSM_KIND_STORE;
    g_byte_array_append(k, &kind, 1);
    g_byte_array_append(k, (const guint8 *)key, (guint)strlen(key));
    DBT dk, dv;
    memset(&dk, 0, sizeof dk);
    memset(&dv, 0, sizeof dv);
    dk.data = k->data;
    dk.size = k->len;
    dv.data = (void *)data;
    dv.size = (u_int32_t)len;
    CU_ASSERT_EQUAL(db->put(db, NULL, &dk, &dv, DB_AUTO_COMMIT), 0);
    g_byte_array_unref(k);
    db->close(db, 0);
    env->txn_checkpoint(env, 0, 0, DB_FORCE);
    env->close(env, 0);
}

static void
test_bad_records(void)
{
    GError *error = NULL;
    char *dir = new_journal_dir();
    MsmJournal *j = open_ok(dir, TRUE);
    record_ok(j, MSM_KIND_STORE, "good", MSM_ITEM_DONE, "ab", 2, "x");
    record_ok(j, MSM_KIND_STORE, "newer", MSM_ITEM_DONE, NULL, 0, NULL);
    record_ok(j, MSM_KIND_STORE, "short", MSM_ITEM_DONE, NULL, 0, NULL);
    msm_journal_close(j);

    /* The documented layout, byte for byte (docs/formats/journal.md). */
    static const guint8 v1[] = {1, 2,  0, 0, 0, 7,  0, 0, 0, 0,  0x65, 0x53, 0xf1, 0x00,
                                0, 0,  0, 0, 0, 0,  0, 9, 0, 0,  0,    0,    0,    0,
                                0, 42, 0, 0, 0, 2,  'c', 'd', 0xff, 0xff, 0xff, 0xff};
    poke_record(dir, "good", v1, sizeof v1);
    static const guint8 v2[] = {2, 2, 0, 0, 0, 1};
    poke_record(dir, "newer", v2, sizeof v2);
    static const guint8 trunc[] = {1, 2, 0, 0, 0, 1, 0, 0};
    poke_record(dir, "short", trunc, sizeof trunc);

    j = open_ok(dir, FALSE);
    MsmJournalRecord rec;
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_STORE, "good", &rec, &error));
    CU_ASSERT_EQUAL(rec.status, MSM_ITEM_DONE);
    CU_ASSERT_EQUAL(rec.attempts, 7);
    CU_ASSERT_EQUAL(rec.updated, 0x6553f100);
    CU_ASSERT_EQUAL(rec.seq, 9);
    CU_ASSERT_EQUAL(rec.bytes, 42);
    CU_ASSERT_STRING_EQUAL(rec.digest, "cd");
    CU_ASSERT_PTR_NULL(rec.detail);
    msm_journal_record_clear(&rec);

    CU_ASSERT_FALSE(msm_journal_lookup(j, MSM_KIND_STORE, "newer", &rec, &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_JOURNAL));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, "newer msmigrate") != NULL);
    g_clear_error(&error);
    CU_ASSERT_FALSE(msm_journal_record(j, MSM_KIND_STORE, "short", MSM_ITEM_DONE, NULL, 0, NULL,
                                       &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_JOURNAL));
    CU_ASSERT_TRUE(error != NULL && strstr(error->message, dir) != NULL);
    g_clear_error(&error);
    guint64 c[5];
    CU_ASSERT_FALSE(msm_journal_count(j, MSM_KIND_STORE, c, &error));
    CU_ASSERT_TRUE(g_error_matches(error, MSM_ERROR, MSM_ERROR_JOURNAL));
    g_clear_error(&error);
    msm_journal_close(j);
    g_free(dir);
}

MSM_TEST_MAIN("journal",
              MSM_TEST(test_status_names),
              MSM_TEST(test_open_missing),
              MSM_TEST(test_persistence),
              MSM_TEST(test_attempts_and_fields),
              MSM_TEST(test_foreach_order),
              MSM_TEST(test_counts),
              MSM_TEST(test_meta),
              MSM_TEST(test_events),
              MSM_TEST(test_double_open),
              MSM_TEST(test_concurrency),
              MSM_TEST(test_crash),
              MSM_TEST(test_bad_records))
