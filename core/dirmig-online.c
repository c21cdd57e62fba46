/*
 * NAME
 *	dirmig-online.c - online directory migration, undo, import, find-stale
 * SUMMARY
 *	See dirmig-online.h. Two connections to the server: one pages through
 *	the tree, the other pipelines the modifies, so reading never waits for
 *	writing. Per entry, in this order: journal lookup (resume), mapping,
 *	audit and undo records written and flushed, journal "started", modify
 *	sent; on its result, journal "done" or "failed" (+ reject record).
 *	Resume re-reads each entry that is not done: if the modify reached the
 *	server before the interruption the entry now maps to itself and is
 *	marked done without a second modify; its audit/undo records were
 *	already written (the journal record exists), so they are not written
 *	again.
 * DIAGNOSTICS
 *	Fatal errors name the server and the run and say how to resume; entry
 *	failures name the DN and carry the server's message.
 */
#include "config.h"

#include "dirmig-online.h"
#include "engine.h"
#include "journal.h"
#include "lock.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int
cmp_lower(gconstpointer a, gconstpointer b)
{
    return g_ascii_strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp_bytes(gconstpointer a, gconstpointer b)
{
    return g_bytes_compare(*(GBytes *const *)a, *(GBytes *const *)b);
}

/* SHA-256 of an entry independent of attribute and value order and of the
 * case of attribute names: how resume recognises an entry the server
 * already holds in its migrated form. (transfer full) */
static char *
entry_digest(const MsmEntry *e)
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    GPtrArray *names = msm_entry_attribute_names(e);
    g_ptr_array_sort(names, cmp_lower);
    for (guint i = 0; i < names->len; i++) {
        char *lower = g_ascii_strdown(names->pdata[i], -1);
        g_checksum_update(ck, (const guchar *)lower, (gssize)strlen(lower) + 1);
        g_free(lower);
        GPtrArray *vals = msm_entry_get(e, names->pdata[i]);
        GPtrArray *sorted = g_ptr_array_new();
        for (guint k = 0; vals && k < vals->len; k++)
            g_ptr_array_add(sorted, vals->pdata[k]);
        g_ptr_array_sort(sorted, cmp_bytes);
        for (guint k = 0; k < sorted->len; k++) {
            gsize n = 0;
            const guchar *d = g_bytes_get_data(sorted->pdata[k], &n);
            char len[32];
            g_snprintf(len, sizeof len, "%" G_GSIZE_FORMAT ":", n);
            g_checksum_update(ck, (const guchar *)len, (gssize)strlen(len));
            if (n)
                g_checksum_update(ck, d, (gssize)n);
        }
        g_ptr_array_unref(sorted);
        g_checksum_update(ck, (const guchar *)"\n", 1);
    }
    g_ptr_array_unref(names);
    char *hex = g_strdup(g_checksum_get_string(ck));
    g_checksum_free(ck);
    return hex;
}

void
msm_dirmig_online_report_clear(MsmDirmigOnlineReport *rep)
{
    if (rep == NULL)
        return;
    g_free(rep->run_id);
    g_free(rep->work_dir);
    g_free(rep->audit_path);
    g_free(rep->undo_path);
    g_free(rep->reject_path);
    memset(rep, 0, sizeof *rep);
}

/* An output LDIF file: records appended, flushed before each modify. */
typedef struct {
    FILE *fp;
    char *path;
} OutFile;

static gboolean
out_open(OutFile *o, const char *path, gboolean append, const char *title, GError **error)
{
    gboolean existed = append && g_file_test(path, G_FILE_TEST_EXISTS);
    o->fp = fopen(path, append ? "a" : "w");
    if (o->fp == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", path,
                    g_strerror(errno));
        return FALSE;
    }
    o->path = g_strdup(path);
    if (!existed)
        fprintf(o->fp, "version: 1\n# %s\n", title);
    return TRUE;
}

static gboolean
out_put(OutFile *o, const char *comment, const char *record, GError **error)
{
    if (o->fp == NULL)
        return TRUE;
    fputc('\n', o->fp);
    if (comment) {
        /* one comment line per line of the comment */
        char **lines = g_strsplit(comment, "\n", -1);
        for (char **l = lines; *l; l++)
            fprintf(o->fp, "# %s\n", *l);
        g_strfreev(lines);
    }
    fputs(record, o->fp);
    if (*record && record[strlen(record) - 1] != '\n')
        fputc('\n', o->fp);
    if (ferror(o->fp)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", o->path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gboolean
out_flush(OutFile *o, GError **error)
{
    if (o->fp && fflush(o->fp) != 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", o->path,
                    g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}

static gboolean
out_close(OutFile *o, GError **error)
{
    gboolean ok = TRUE;
    if (o->fp) {
        if (fflush(o->fp) != 0 || fsync(fileno(o->fp)) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot write %s: %s", o->path,
                        g_strerror(errno));
            ok = FALSE;
        }
        fclose(o->fp);
    }
    g_free(o->path);
    o->fp = NULL;
    o->path = NULL;
    return ok;
}

/* ---- the migration run ---- */

typedef struct {
    const MsmDirmigOnlineOptions *opt;
    MsmDirmigOnlineReport *rep;
    MsmJournal *journal;  /* NULL in preview */
    MsmLdapWriter *writer; /* NULL in preview */
    OutFile audit, undo, reject;
    int pass;             /* 1: domains, 2: users and groups */
    guint64 max_errors;
    guint max_percent;
    GError *deferred;     /* an error raised inside a result callback */
    gint64 last_progress, started;
    guint64 seen;         /* entries read in the current pass */
    guint64 total;        /* entries in the tree (counted by the first pass) */
} Run;

static gboolean
budget_check(Run *run, GError **error)
{
    MsmDirmigOnlineReport *rep = run->rep;
    guint64 attempted = rep->applied + rep->failed;
    gboolean over = rep->failed >= run->max_errors;
    if (!over && run->opt->continue_on_error && attempted >= 20 &&
        rep->failed * 100 > (guint64)run->max_percent * attempted)
        over = TRUE;
    if (!over)
        return TRUE;
    rep->budget_exceeded = TRUE;
    if (run->opt->continue_on_error)
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                    "error budget exceeded: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT
                    " entries failed (limit %" G_GUINT64_FORMAT " failures or %u%%); stopped. "
                    "The server's messages are in %s; fix the cause and resume with --resume %s",
                    rep->failed, attempted, run->max_errors, run->max_percent,
                    run->reject.path ? run->reject.path : "the reject LDIF", rep->run_id);
    else
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                    "stopped at the first failure (see %s; -c continues past failures). Fix "
                    "the cause and resume with --resume %s",
                    run->reject.path ? run->reject.path : "the reject LDIF", rep->run_id);
    return FALSE;
}

static void
record_failure(Run *run, const char *dn, const char *message, const char *record)
{
    run->rep->failed++;
    GError *err = NULL;
    char *comment = g_strdup_printf("error: %s\ndn: %s", message, dn);
    if (!out_put(&run->reject, comment, record ? record : "", &err) && run->deferred == NULL)
        run->deferred = err;
    else
        g_clear_error(&err);
    g_free(comment);
    if (run->journal &&
        !msm_journal_record(run->journal, MSM_KIND_DIRECTORY, dn, MSM_ITEM_FAILED, NULL, 0,
                            message, &err)) {
        if (run->deferred == NULL)
            run->deferred = err;
        else
            g_clear_error(&err);
    }
    if (run->deferred == NULL)
        budget_check(run, &run->deferred);
}

typedef struct {
    char *dn;
    char *record;
} OpTag;

static void
on_result(const char *dn, int rc, const char *message, gpointer tag, gpointer user_data)
{
    Run *run = user_data;
    OpTag *t = tag;
    if (rc == 0) {
        run->rep->applied++;
        GError *err = NULL;
        if (!msm_journal_record(run->journal, MSM_KIND_DIRECTORY, t->dn, MSM_ITEM_DONE, NULL, 0,
                                NULL, &err)) {
            if (run->deferred == NULL)
                run->deferred = err;
            else
                g_clear_error(&err);
        }
    } else {
        char *m = g_strdup_printf("%d %s", rc, message);
        record_failure(run, dn, m, t->record);
        g_free(m);
    }
    g_free(t->dn);
    g_free(t->record);
    g_free(t);
}

/* A progress line on a terminal every 2 seconds: counts, rate and (in the
 * second pass, once the first pass counted the tree) the time left. */
static void
progress(Run *run, gboolean final)
{
    if (run->opt->quiet || !isatty(2))
        return;
    gint64 now = g_get_monotonic_time();
    if (run->started == 0)
        run->started = now;
    if (!final && now - run->last_progress < 2 * G_USEC_PER_SEC)
        return;
    run->last_progress = now;
    double secs = (double)(now - run->started) / G_USEC_PER_SEC;
    guint64 done = run->pass == 1 ? run->seen : run->rep->read;
    double rate = secs > 0 ? (double)done / secs : 0;
    char eta[64] = "";
    if (run->pass == 2 && run->total > done && rate > 0) {
        char *d = msm_format_duration((double)(run->total - done) / rate);
        g_snprintf(eta, sizeof eta, ", %s left", d);
        g_free(d);
    }
    fprintf(stderr,
            "\rdirectory pass %d: %" G_GUINT64_FORMAT " read, %" G_GUINT64_FORMAT
            " changed, %" G_GUINT64_FORMAT " applied, %" G_GUINT64_FORMAT
            " failed (%.0f entries/s%s)   %s",
            run->pass, done, run->rep->changed, run->rep->applied, run->rep->failed, rate, eta,
            final ? "\n" : "");
}

static gboolean
on_entry(MsmEntry *entry, gpointer user_data, GError **error)
{
    Run *run = user_data;
    const MsmDirmigOnlineOptions *opt = run->opt;
    MsmDirmigOnlineReport *rep = run->rep;
    gboolean ok = TRUE;
    MsmEntry *mapped = NULL;
    char *reason = NULL, *diff = NULL, *undo = NULL;
    GError *err = NULL;

    if (run->deferred) {
        g_propagate_error(error, run->deferred);
        run->deferred = NULL;
        msm_entry_free(entry);
        return FALSE;
    }
    MsmDirentKind kind = msm_dirmap_classify(opt->map, entry);
    gboolean domain = kind == MSM_DIRENT_DOMAIN;
    run->seen++;
    if (run->pass == 2)
        rep->read++;
    if ((run->pass == 1) != domain)
        goto out; /* the other pass handles it */
    guint bit = kind == MSM_DIRENT_DOMAIN ? MSM_DIRMIG_DOMAINS
                : kind == MSM_DIRENT_USER ? MSM_DIRMIG_USERS
                : kind == MSM_DIRENT_GROUP ? MSM_DIRMIG_GROUPS
                                           : 0;
    if (kind == MSM_DIRENT_OTHER || (opt->map->what & bit) == 0)
        goto out;
    gboolean match = TRUE;
    if (opt->map->filter &&
        !msm_dirmap_filter_match(opt->map->filter, entry, &match, error)) {
        ok = FALSE;
        goto out;
    }
    if (!match)
        goto out;
    rep->selected++;
    const char *dn = msm_entry_dn(entry);

    /* resume: what happened to this entry before */
    gboolean have_artifacts = FALSE;
    if (run->journal) {
        MsmJournalRecord jr = {0};
        if (msm_journal_lookup(run->journal, MSM_KIND_DIRECTORY, dn, &jr, &err)) {
            MsmItemStatus st = jr.status;
            /* a digest is recorded once the audit and undo records are written */
            gboolean written = jr.digest != NULL;
            gboolean applied = FALSE;
            if (st == MSM_ITEM_STARTED && jr.digest) {
                /* interrupted after sending: does the server hold the mapped entry? */
                char *now = entry_digest(entry);
                applied = strcmp(now, jr.digest) == 0;
                g_free(now);
            }
            msm_journal_record_clear(&jr);
            if (applied) {
                rep->resumed++;
                rep->applied++;
                if (!msm_journal_record(run->journal, MSM_KIND_DIRECTORY, dn, MSM_ITEM_DONE,
                                        NULL, 0, "applied before the interruption", error))
                    ok = FALSE;
                goto out;
            }
            if (st == MSM_ITEM_DONE || st == MSM_ITEM_SKIPPED) {
                rep->resumed++;
                goto out;
            }
            have_artifacts = written;
        } else if (err) {
            g_propagate_error(error, err);
            ok = FALSE;
            goto out;
        }
    }

    mapped = msm_entry_copy(entry);
    MsmResult r = opt->map_func ? opt->map_func(mapped, &reason, opt->map_data, &err)
                                : msm_dirmap_entry(opt->map, mapped, &reason, &err);
    if (r == MSM_RESULT_SKIP) {
        rep->skipped++;
        if (run->journal &&
            !msm_journal_record(run->journal, MSM_KIND_DIRECTORY, dn, MSM_ITEM_SKIPPED, NULL, 0,
                                reason ? reason : "skipped by the mapping", error)) {
            ok = FALSE;
            goto out;
        }
        if (!opt->quiet)
            fprintf(stderr, "directory: skipped %s: %s\n", dn, reason ? reason : "no reason");
        goto out;
    }
    if (r == MSM_RESULT_ERROR) {
        record_failure(run, dn, err ? err->message : "mapping failed", NULL);
        g_clear_error(&err);
        goto check;
    }
    diff = msm_entry_diff_ldif(entry, mapped);
    if (diff == NULL) {
        rep->unchanged++;
        if (run->journal &&
            !msm_journal_record(run->journal, MSM_KIND_DIRECTORY, dn, MSM_ITEM_DONE, NULL, 0,
                                have_artifacts ? "applied before the interruption" : "unchanged",
                                error)) {
            ok = FALSE;
            goto out;
        }
        goto out;
    }
    if (opt->apply) {
        /* wait for room in the window; results that arrive may exhaust the budget */
        if (!msm_ldap_writer_wait_slot(run->writer, &err)) {
            rep->interrupted = g_error_matches(err, MSM_ERROR, MSM_ERROR_IO);
            g_propagate_error(error, err);
            ok = FALSE;
            goto out;
        }
        if (run->deferred) {
            g_propagate_error(error, run->deferred);
            run->deferred = NULL;
            ok = FALSE;
            goto out;
        }
    }
    rep->changed++;
    if (!have_artifacts) {
        if (!out_put(&run->audit, NULL, diff, error)) {
            ok = FALSE;
            goto out;
        }
        if (opt->apply) {
            undo = msm_entry_diff_ldif(mapped, entry);
            if (undo && !out_put(&run->undo, NULL, undo, error)) {
                ok = FALSE;
                goto out;
            }
            /* the undo record reaches the file before the modify reaches the server */
            if (!out_flush(&run->undo, error) || !out_flush(&run->audit, error)) {
                ok = FALSE;
                goto out;
            }
        }
    }
    if (!opt->apply)
        goto out;
    char *digest = entry_digest(mapped);
    gboolean jok = msm_journal_record(run->journal, MSM_KIND_DIRECTORY, dn, MSM_ITEM_STARTED,
                                      digest, strlen(diff), NULL, error);
    g_free(digest);
    if (!jok) {
        ok = FALSE;
        goto out;
    }
    OpTag *t = g_new0(OpTag, 1);
    t->dn = g_strdup(dn);
    t->record = diff;
    diff = NULL;
    if (!msm_ldap_writer_submit(run->writer, t->record, strlen(t->record), FALSE, "modify",
                                0, t, &err)) {
        if (g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE)) {
            record_failure(run, t->dn, err->message, t->record);
            g_clear_error(&err);
            g_free(t->dn);
            g_free(t->record);
            g_free(t);
        } else {
            g_free(t->dn);
            g_free(t->record);
            g_free(t);
            rep->interrupted = g_error_matches(err, MSM_ERROR, MSM_ERROR_IO);
            g_propagate_error(error, err);
            ok = FALSE;
            goto out;
        }
    }
check:
    if (run->deferred) {
        g_propagate_error(error, run->deferred);
        run->deferred = NULL;
        ok = FALSE;
    } else if (!budget_check(run, error)) {
        ok = FALSE;
    }
out:
    progress(run, FALSE);
    g_free(reason);
    g_free(diff);
    g_free(undo);
    if (mapped)
        msm_entry_free(mapped);
    msm_entry_free(entry);
    return ok;
}

/* Resume after a killed msmigrate: the audit and undo records of an entry are
 * written before its journal record, so the last record of each file may
 * belong to an entry the journal does not know (or be cut short). Such a
 * tail is cut off; the entry is processed again and written once. Only the
 * last record can be in that state: entries are written one at a time. */
static gboolean
truncate_orphan_tail(const char *path, MsmJournal *journal, gboolean *cut_r, GError **error)
{
    *cut_r = FALSE;
    FILE *fp = fopen(path, "r");
    if (fp == NULL)
        return TRUE; /* nothing written yet */
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    off_t pos = 0, prev_blank = -1, last_start = -1;
    GString *dnbuf = g_string_new(NULL);
    gboolean in_dn = FALSE, prev_was_blank = FALSE;
    while ((n = getline(&line, &cap, fp)) >= 0) {
        gboolean blank = n == 1 && line[0] == '\n';
        if (in_dn && line[0] == ' ') {
            g_string_append_len(dnbuf, line, n);
        } else {
            in_dn = FALSE;
        }
        /* a record starts after a blank line; a cut can leave "d" or "dn" only */
        if (prev_was_blank && !blank) {
            last_start = prev_blank;
            g_string_assign(dnbuf, "");
            g_string_append_len(dnbuf, line, n);
            in_dn = TRUE;
        }
        if (blank)
            prev_blank = pos;
        prev_was_blank = blank;
        pos += n;
    }
    free(line);
    fclose(fp);
    gboolean ok = TRUE;
    if (last_start >= 0) {
        char *dn = strncmp(dnbuf->str, "dn:", 3) == 0 ? msm_ldif_record_dn(dnbuf->str, dnbuf->len)
                                                      : NULL;
        MsmJournalRecord jr = {0};
        GError *err = NULL;
        gboolean known = dn && msm_journal_lookup(journal, MSM_KIND_DIRECTORY, dn, &jr, &err) &&
                         jr.digest != NULL;
        msm_journal_record_clear(&jr);
        if (err) {
            g_propagate_error(error, err);
            ok = FALSE;
        } else if (!known && truncate(path, last_start) != 0) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_IO, "cannot truncate %s: %s", path,
                        g_strerror(errno));
            ok = FALSE;
        } else if (!known) {
            *cut_r = TRUE;
        }
        g_free(dn);
    }
    g_string_free(dnbuf, TRUE);
    return ok;
}

/* Cuts records the journal does not know off the end of path, one at a time
 * (normally there is at most one), until the last record is a known one. */
static gboolean
truncate_orphans(const char *path, MsmJournal *journal, GError **error)
{
    gboolean cut = TRUE;
    for (int i = 0; cut && i < 16; i++)
        if (!truncate_orphan_tail(path, journal, &cut, error))
            return FALSE;
    return TRUE;
}

static char *
runs_dir(const char *target_root)
{
    return g_build_filename(target_root, ".msmigrate", "runs", NULL);
}

char *
msm_dirmig_run_meta(const char *target_root, const char *run_id, const char *key,
                    GError **error)
{
    char *rd = runs_dir(target_root);
    char *jd = g_build_filename(rd, run_id, "journal", NULL);
    g_free(rd);
    if (!msm_relpath_is_safe(run_id) || !g_file_test(jd, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no directory run %s under %s/.msmigrate/runs (give the same --target as "
                    "the run; 'msmigrate status' lists runs)",
                    run_id, target_root);
        g_free(jd);
        return NULL;
    }
    MsmJournal *j = msm_journal_open(jd, FALSE, error);
    g_free(jd);
    if (j == NULL)
        return NULL;
    char *v = msm_journal_get_meta(j, key, error);
    msm_journal_close(j);
    return v;
}

gboolean
msm_dirmig_online(const MsmDirmigOnlineOptions *opt, MsmDirmigOnlineReport *rep, GError **error)
{
    Run run = {0};
    MsmLdapConn *reader = NULL, *wconn = NULL;
    MsmLock *lock = NULL;
    MsmJournal *journal = NULL;
    gboolean ok = FALSE;
    char *artifacts = NULL;
    memset(rep, 0, sizeof *rep);
    run.opt = opt;
    run.rep = rep;
    run.max_errors = opt->max_errors ? opt->max_errors : (opt->continue_on_error ? 1000 : 1);
    run.max_percent = opt->max_error_percent ? opt->max_error_percent : 50;

    if (opt->base == NULL || *opt->base == '\0') {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "no base DN: give -b/--base DN or base_dn in the [directory] group of the "
                    "site profile");
        return FALSE;
    }
    const char *target = opt->target_root ? opt->target_root : ".";
    if (!g_file_test(target, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "target root %s does not exist: the run directory is created under it",
                    target);
        return FALSE;
    }
    if (opt->resume_id && !msm_relpath_is_safe(opt->resume_id)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                    "--resume %s is not a run id ('msmigrate status' lists runs)", opt->resume_id);
        return FALSE;
    }
    if (opt->resume_id) {
        if (!opt->apply) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                        "--resume %s: only an applying run can be resumed (a preview changes "
                        "nothing: just run it again)",
                        opt->resume_id);
            return FALSE;
        }
        rep->run_id = g_strdup(opt->resume_id);
    } else {
        rep->run_id = msm_new_run_id();
    }
    /* connect first: a server that cannot be reached leaves no run directory behind */
    reader = msm_ldap_connect(&opt->ldap, error);
    if (reader == NULL)
        goto out;
    if (opt->apply) {
        wconn = msm_ldap_connect(&opt->ldap, error);
        if (wconn == NULL)
            goto out;
    }
    if (opt->apply) {
        char *sd = g_build_filename(target, ".msmigrate", NULL);
        gboolean made = msm_mkdir_p(sd, TRUE, error);
        if (made)
            lock = msm_lock_acquire(sd, rep->run_id, "msmigrate directory migrate", 60,
                                    opt->break_lock, error);
        g_free(sd);
        if (lock == NULL)
            goto out;
    }
    char *rd = runs_dir(target);
    rep->work_dir = g_build_filename(rd, rep->run_id, NULL);
    g_free(rd);
    artifacts = g_build_filename(rep->work_dir, "artifacts", NULL);
    if (opt->resume_id && !g_file_test(rep->work_dir, G_FILE_TEST_IS_DIR)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND,
                    "no directory run %s under %s/.msmigrate/runs", opt->resume_id, target);
        goto out;
    }
    if (!msm_mkdir_p(artifacts, TRUE, error))
        goto out;
    /* a preview has a journal too (meta and events, no items) so that
     * 'msmigrate status' lists it */
    {
        char *jd = g_build_filename(rep->work_dir, "journal", NULL);
        journal = msm_journal_open(jd, opt->resume_id == NULL, error);
        g_free(jd);
        if (journal == NULL)
            goto out;
        run.journal = opt->apply ? journal : NULL;
        if (opt->resume_id) {
            char *state = msm_journal_get_meta(journal, "state", NULL);
            gboolean finished = state && strcmp(state, "finished") == 0;
            g_free(state);
            if (finished) {
                g_set_error(error, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT,
                            "run %s already finished: nothing to resume", opt->resume_id);
                goto out;
            }
        } else {
            GDateTime *dt = g_date_time_new_now_utc();
            char *now = g_date_time_format_iso8601(dt);
            g_date_time_unref(dt);
            gboolean m = msm_journal_set_meta(journal, "format", "1", error) &&
                         msm_journal_set_meta(journal, "run_id", rep->run_id, error) &&
                         msm_journal_set_meta(journal, "kinds", "directory", error) &&
                         msm_journal_set_meta(journal, "command", "directory migrate",
                                              error) &&
                         msm_journal_set_meta(journal, "started", now, error) &&
                         msm_journal_set_meta(journal, "target", target, error) &&
                         msm_journal_set_meta(journal, "dry_run", opt->apply ? "no" : "yes",
                                              error) &&
                         (opt->argv_record == NULL ||
                          msm_journal_set_meta(journal, "argv", opt->argv_record, error));
            g_free(now);
            if (!m)
                goto out;
        }
        if (!msm_journal_set_meta(journal, "state", "running", error) ||
            !msm_journal_event(journal, error, "directory migrate %s on %s base %s",
                               opt->resume_id ? "resumed" : "started", opt->ldap.uri, opt->base))
            goto out;
    }
    rep->audit_path = g_build_filename(artifacts, "directory-audit.ldif", NULL);
    if (opt->resume_id) {
        char *up = g_build_filename(artifacts, "directory-undo.ldif", NULL);
        gboolean t = truncate_orphans(rep->audit_path, run.journal, error) &&
                     truncate_orphans(up, run.journal, error);
        g_free(up);
        if (!t)
            goto out;
    }
    if (!out_open(&run.audit, rep->audit_path, opt->resume_id != NULL,
                  "msmigrate directory migrate: audit (the modifies, one per entry)", error))
        goto out;
    if (opt->apply) {
        rep->undo_path = g_build_filename(artifacts, "directory-undo.ldif", NULL);
        rep->reject_path = g_build_filename(artifacts, "directory-reject.ldif", NULL);
        if (!out_open(&run.undo, rep->undo_path, opt->resume_id != NULL,
                      "msmigrate directory migrate: undo (restores each entry; msmigrate "
                      "directory undo)",
                      error) ||
            !out_open(&run.reject, rep->reject_path, opt->resume_id != NULL,
                      "msmigrate directory migrate: rejected entries with the server's message",
                      error))
            goto out;
    }

    if (opt->apply)
        run.writer = msm_ldap_writer_new(wconn, opt->window, on_result, &run);
    for (run.pass = 1; run.pass <= 2; run.pass++) {
        run.seen = 0;
        if (!msm_ldap_search(reader, opt->base, MSM_LDAP_SCOPE_SUB, NULL, opt->page_size,
                             on_entry, &run, NULL, error))
            goto out;
        for (const char *const *b = opt->more_bases; b && *b; b++)
            if (!msm_ldap_search(reader, *b, MSM_LDAP_SCOPE_SUB, NULL, opt->page_size,
                                 on_entry, &run, NULL, error))
                goto out;
        if (run.writer && !msm_ldap_writer_flush(run.writer, error)) {
            rep->interrupted = TRUE;
            goto out;
        }
        if (run.deferred) {
            g_propagate_error(error, run.deferred);
            run.deferred = NULL;
            goto out;
        }
        if (run.journal && !msm_journal_sync(run.journal, error))
            goto out;
        if (run.pass == 1)
            run.total = run.seen;
    }
    run.pass = 2;
    progress(&run, TRUE);
    ok = TRUE;
out:
    if (!ok && error && *error && g_error_matches(*error, MSM_ERROR, MSM_ERROR_IO))
        rep->interrupted = TRUE;
    if (run.writer) {
        /* results that arrived before the failure are recorded; the rest stay "started" */
        if (!ok) {
            GError *e2 = NULL;
            if (!rep->interrupted)
                msm_ldap_writer_flush(run.writer, &e2);
            g_clear_error(&e2);
        }
        msm_ldap_writer_free(run.writer);
    }
    if (run.deferred)
        g_error_free(run.deferred);
    msm_ldap_close(reader);
    msm_ldap_close(wconn);
    GError *cerr = NULL;
    if (!out_close(&run.audit, ok ? &cerr : NULL) && ok) {
        g_propagate_error(error, cerr);
        cerr = NULL;
        ok = FALSE;
    }
    g_clear_error(&cerr);
    out_close(&run.undo, NULL);
    out_close(&run.reject, NULL);
    if (journal) {
        const char *state = ok ? (rep->failed ? "incomplete" : "finished")
                            : rep->interrupted ? "interrupted"
                                               : "failed";
        msm_journal_set_meta(journal, "state", state, NULL);
        msm_journal_event(journal, NULL,
                          "directory migrate %s: %" G_GUINT64_FORMAT " changed, %" G_GUINT64_FORMAT
                          " applied, %" G_GUINT64_FORMAT " failed",
                          state, rep->changed, rep->applied, rep->failed);
        msm_journal_sync(journal, NULL);
        msm_journal_close(journal);
    }
    msm_lock_release(lock);
    g_free(artifacts);
    return ok;
}

/* ---- applying a change LDIF (ldapmodify -c) ---- */

typedef struct {
    MsmDirmigApplyReport *rep;
    OutFile reject;
    gboolean stop;
    char *first_error;
} ApplyRun;

static void
on_apply_result(const char *dn, int rc, const char *message, gpointer tag, gpointer user_data)
{
    ApplyRun *a = user_data;
    char *record = tag;
    if (rc == 0) {
        a->rep->applied++;
    } else {
        a->rep->rejected++;
        char *comment = g_strdup_printf("error: %d %s\ndn: %s", rc, message, dn);
        out_put(&a->reject, comment, record, NULL);
        if (a->first_error == NULL)
            a->first_error = g_strdup_printf("%s: %s (%d)", dn, message, rc);
        g_free(comment);
        a->stop = TRUE;
    }
    g_free(record);
}

gboolean
msm_dirmig_apply_ldif(const MsmLdapParams *ldap, const char *ldif_path, const char *reject_path,
                      gboolean default_add, gboolean continue_on_error, guint window,
                      MsmDirmigApplyReport *rep, GError **error)
{
    ApplyRun a = {0};
    memset(rep, 0, sizeof *rep);
    a.rep = rep;
    gboolean ok = FALSE;
    MsmLdapConn *c = NULL;
    MsmLdapWriter *w = NULL;
    MsmLdifChangeReader *r = msm_ldif_change_reader_open(ldif_path, error);
    if (r == NULL)
        return FALSE;
    if (reject_path &&
        !out_open(&a.reject, reject_path, FALSE,
                  "records the server refused, each after its error message", error))
        goto out;
    c = msm_ldap_connect(ldap, error);
    if (c == NULL)
        goto out;
    /* without -c the first refusal stops: one operation at a time, like ldapmodify */
    w = msm_ldap_writer_new(c, continue_on_error ? window : 1, on_apply_result, &a);
    for (;;) {
        const char *rec = NULL;
        gsize len = 0;
        guint64 line = 0;
        if (!msm_ldif_change_reader_next(r, &rec, &len, &line, error))
            goto out;
        if (rec == NULL)
            break;
        rep->records++;
        char *copy = g_strndup(rec, len);
        GError *err = NULL;
        if (!msm_ldap_writer_submit(w, copy, len, default_add, ldif_path, line, copy, &err)) {
            if (!g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE)) {
                g_free(copy);
                g_propagate_error(error, err);
                goto out;
            }
            char *dn = msm_ldif_record_dn(copy, len);
            on_apply_result(dn ? dn : "(no dn)", -1, err->message, copy, &a);
            g_free(dn);
            g_error_free(err);
        }
        if (a.stop && !continue_on_error)
            break;
    }
    if (!msm_ldap_writer_flush(w, error))
        goto out;
    if (a.stop && !continue_on_error) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_FAILED,
                    "stopped at the first refused record: %s (-c continues past refusals%s%s)",
                    a.first_error, reject_path ? "; see " : "", reject_path ? reject_path : "");
        goto out;
    }
    ok = TRUE;
out:
    msm_ldap_writer_free(w);
    msm_ldap_close(c);
    msm_ldif_change_reader_free(r);
    out_close(&a.reject, NULL);
    g_free(a.first_error);
    return ok;
}

/* ---- find-stale ---- */

typedef struct {
    const char *old_host, *new_host;
    OutFile fix;
    guint64 found;
} StaleRun;

static gboolean
on_stale(MsmEntry *entry, gpointer user_data, GError **error)
{
    StaleRun *s = user_data;
    gboolean ok = TRUE;
    char *fix = NULL;
    if (msm_dirmap_is_stale_domain(entry, s->old_host, s->new_host, &fix)) {
        s->found++;
        char *comment = g_strdup_printf("domain %s still names %s", msm_entry_dn(entry),
                                        s->old_host);
        if (fix)
            ok = out_put(&s->fix, comment, fix, error);
        else
            ok = out_put(&s->fix, comment, "", error);
        g_free(comment);
    }
    g_free(fix);
    msm_entry_free(entry);
    return ok;
}

gboolean
msm_dirmig_find_stale(const MsmLdapParams *ldap, const char *base, const char *old_host,
                      const char *new_host, const char *fix_ldif, guint64 *found_r,
                      GError **error)
{
    StaleRun s = {old_host, new_host, {NULL, NULL}, 0};
    gboolean ok = FALSE;
    char *esc = NULL;
    MsmLdapConn *c = NULL;
    if (!out_open(&s.fix, fix_ldif, FALSE,
                  "msmigrate directory find-stale: domains that still name the old host",
                  error))
        return FALSE;
    c = msm_ldap_connect(ldap, error);
    if (c == NULL)
        goto out;
    /* RFC 4515 escaping of the host name */
    GString *e = g_string_new(NULL);
    for (const char *p = old_host; *p; p++) {
        if (*p == '*' || *p == '(' || *p == ')' || *p == '\\')
            g_string_append_printf(e, "\\%02x", (unsigned char)*p);
        else
            g_string_append_c(e, *p);
    }
    esc = g_string_free(e, FALSE);
    char *filter = g_strdup_printf("(|(preferredMailHost=%s)(mailRoutingHosts=%s))", esc, esc);
    ok = msm_ldap_search(c, base, MSM_LDAP_SCOPE_SUB, filter, 0, on_stale, &s, NULL, error);
    g_free(filter);
out:
    msm_ldap_close(c);
    g_free(esc);
    if (!out_close(&s.fix, ok ? error : NULL))
        ok = FALSE;
    if (found_r)
        *found_r = s.found;
    return ok;
}
