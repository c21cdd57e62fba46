/*
 * NAME
 *	test-engine.c - runs over the fixture chain: results, journal, resume,
 *	preflight refusal, dry run, failures and skips, lock, verify, history
 * DESCRIPTION
 *	The source is an ims-5.2 server root with configuration files laid out
 *	where the layout rules put them; the target is an installed ms-8.1
 *	(msg_svr_base with config/msg.conf.defaults). The fixture hops append one
 *	marker line per hop to every file and emit one new file per hop.
 */
#include "config.h"

#include "testutil.h"

#include "engine.h"
#include "history.h"
#include "journal.h"
#include "lock.h"
#include "registry.h"

#include <string.h>

#define NFILES 40

static const char *confirm_all[] = {"direct-ldap", "clean-shutdown", NULL};

typedef struct {
    char *src, *tgt;
    char *src_cfg, *src_mta, *tgt_cfg;
} Site;

static void
site_free(Site *s)
{
    g_free(s->src);
    g_free(s->tgt);
    g_free(s->src_cfg);
    g_free(s->src_mta);
    g_free(s->tgt_cfg);
}

static void
put(const char *dir, const char *rel, const char *text)
{
    char *p = g_build_filename(dir, rel, NULL);
    char *parent = g_path_get_dirname(p);
    g_mkdir_with_parents(parent, 0755);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(p, text, -1, NULL));
    g_free(parent);
    g_free(p);
}

static char *
get(const char *dir, const char *rel)
{
    char *p = g_build_filename(dir, rel, NULL);
    char *text = NULL;
    g_file_get_contents(p, &text, NULL, NULL);
    g_free(p);
    return text;
}

static void
make_site(Site *s)
{
    s->src = g_strdup(msm_test_tmpdir());
    s->tgt = g_strdup(msm_test_tmpdir());
    GError *err = NULL;
    MsmLayout *sl = msm_layout_resolve(s->src, "ims-5.2", "demo", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sl);
    s->src_cfg = g_strdup(msm_layout_config_dir(sl));
    s->src_mta = g_strdup(msm_layout_mta_config_dir(sl));
    put(s->src_cfg, "msg.conf", "service.imap.port = \"143\"\n");
    put(s->src_mta, "imta.cnf", "! rewrite rules\n$* $A$E$F@$U\n");
    for (int i = 0; i < NFILES; i++) {
        char *rel = g_strdup_printf("extra/f%03d.conf", i);
        char *text = g_strdup_printf("value %d\n", i);
        put(s->src_cfg, rel, text);
        g_free(rel);
        g_free(text);
    }
    /* the services are stopped: the pid directory exists and holds no pid file */
    g_mkdir_with_parents(msm_layout_run_dir(sl), 0755);
    char *store = g_build_filename(msm_layout_store_dir(sl), "mboxlist", NULL);
    g_mkdir_with_parents(store, 0755);
    g_free(store);
    msm_layout_free(sl);
    MsmLayout *tl = msm_layout_resolve(s->tgt, "ms-8.1", NULL, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tl);
    s->tgt_cfg = g_strdup(msm_layout_config_dir(tl));
    put(s->tgt_cfg, "msg.conf.defaults", "# installed 8.1 defaults\n");
    char *data = g_build_filename(s->tgt, "data", NULL);
    g_mkdir_with_parents(data, 0755);
    g_free(data);
    msm_layout_free(tl);
}

static MsmRegistry *
chain(void)
{
    const char *dirs[2] = {g_getenv("FX_CHAIN_DIR"), NULL};
    MsmRegistry *reg = msm_registry_new();
    CU_ASSERT_TRUE_FATAL(msm_registry_load(reg, dirs, FALSE, NULL));
    return reg;
}

static MsmRunOptions
options(const Site *s)
{
    MsmRunOptions o = {0};
    o.source_root = s->src;
    o.target_root = s->tgt;
    o.from = "ims-5.2";
    o.to = "ms-8.1";
    o.instance = "demo";
    o.confirm = confirm_all;
    o.quiet = TRUE;
    o.threads = 2;
    return o;
}

static const char *const markers =
    "# msmigrate-fixture ims-5.2 -> ms-6.0\n# msmigrate-fixture ms-6.0 -> ms-6.3\n"
    "# msmigrate-fixture ms-6.3 -> ms-7.0\n# msmigrate-fixture ms-7.0 -> ms-8.1\n";

static void
test_full_run(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    MsmRunOptions o = options(&s);
    MsmRunReport rep;
    GError *err = NULL;
    gboolean ok = msm_engine_run(reg, &o, &rep, &err);
    if (!ok)
        fprintf(stderr, "run: %s\n", err ? err->message : "?");
    CU_ASSERT_TRUE_FATAL(ok);
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_OK);
    CU_ASSERT_STRING_EQUAL(rep.path, "ims-5.2 -> ms-6.0 -> ms-6.3 -> ms-7.0 -> ms-8.1");
    MsmKindReport *k = &rep.kinds[MSM_KIND_CONFIG];
    CU_ASSERT_EQUAL(k->done, NFILES + 2 + 4); /* sources, plus one new file per hop */
    CU_ASSERT_EQUAL(k->emitted, 4);
    CU_ASSERT_EQUAL(k->verified, NFILES + 2 + 4);
    CU_ASSERT_EQUAL(k->verify_missing + k->verify_differs, 0);
    CU_ASSERT_FALSE(rep.kinds[MSM_KIND_STORE].ran);
    /* every file went through every hop exactly once, in order */
    char *got = get(s.tgt_cfg, "extra/f007.conf");
    char *want = g_strdup_printf("value 7\n%s", markers);
    CU_ASSERT_STRING_EQUAL(got, want);
    g_free(got);
    g_free(want);
    got = get(s.tgt_cfg, "imta.cnf");
    CU_ASSERT_PTR_NOT_NULL(got);
    CU_ASSERT_TRUE(got && g_str_has_suffix(got, markers));
    g_free(got);
    /* what hop 1 emitted went through hops 2..4 only */
    got = get(s.tgt_cfg, "fixture-new-in-ms-6.0.txt");
    CU_ASSERT_PTR_NOT_NULL(got);
    CU_ASSERT_TRUE(got && strstr(got, "ims-5.2 -> ms-6.0\n") && !strstr(got, "fixture ims-5.2"));
    CU_ASSERT_TRUE(got && strstr(got, "# msmigrate-fixture ms-7.0 -> ms-8.1"));
    g_free(got);
    /* the source was not modified */
    got = get(s.src_cfg, "extra/f007.conf");
    CU_ASSERT_STRING_EQUAL(got, "value 7\n");
    g_free(got);
    /* history: four hops, now at 8.1 */
    GPtrArray *h = msm_history_load(s.tgt, NULL);
    CU_ASSERT_EQUAL(h->len, 4);
    CU_ASSERT_STRING_EQUAL(msm_history_current(h), "ms-8.1");
    g_ptr_array_unref(h);
    /* the journal has every item once, done */
    char *jd = g_build_filename(rep.work_dir, "journal", NULL);
    MsmJournal *j = msm_journal_open(jd, FALSE, NULL);
    guint64 c[5] = {0};
    CU_ASSERT_TRUE(msm_journal_count(j, MSM_KIND_CONFIG, c, NULL));
    CU_ASSERT_EQUAL(c[MSM_ITEM_DONE], NFILES + 6);
    CU_ASSERT_EQUAL(c[MSM_ITEM_STARTED] + c[MSM_ITEM_FAILED] + c[MSM_ITEM_SKIPPED], 0);
    char *state = msm_journal_get_meta(j, "state", NULL);
    CU_ASSERT_STRING_EQUAL(state, "finished");
    g_free(state);
    msm_journal_close(j);
    g_free(jd);
    /* reports were written */
    char *rj = g_build_filename(rep.work_dir, "report.json", NULL);
    CU_ASSERT_TRUE(g_file_test(rj, G_FILE_TEST_EXISTS));
    g_free(rj);

    /* verify again: clean; then tamper with one file: reported, exit 2 */
    char *run_id = g_strdup(rep.run_id);
    msm_run_report_clear(&rep);
    CU_ASSERT_TRUE(msm_engine_verify(reg, s.tgt, run_id, &rep, NULL));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_OK);
    msm_run_report_clear(&rep);
    put(s.tgt_cfg, "extra/f003.conf", "tampered\n");
    char *gone = g_build_filename(s.tgt_cfg, "extra/f004.conf", NULL);
    g_unlink(gone);
    g_free(gone);
    CU_ASSERT_TRUE(msm_engine_verify(reg, s.tgt, run_id, &rep, NULL));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_SKIPPED);
    CU_ASSERT_EQUAL(rep.kinds[MSM_KIND_CONFIG].verify_differs, 1);
    CU_ASSERT_EQUAL(rep.kinds[MSM_KIND_CONFIG].verify_missing, 1);
    gboolean named = FALSE, named_missing = FALSE;
    for (guint i = 0; i < rep.problems->len; i++) {
        named |= strstr(rep.problems->pdata[i], "extra/f003.conf") != NULL;
        named_missing |= strstr(rep.problems->pdata[i], "extra/f004.conf") != NULL &&
                         strstr(rep.problems->pdata[i], "not in the target") != NULL;
    }
    CU_ASSERT_TRUE(named);
    CU_ASSERT_TRUE(named_missing);
    /* verify's set of keys read back (a file in the work dir) is gone afterwards */
    char *seen_db = g_build_filename(rep.work_dir, "verify-seen.db", NULL);
    CU_ASSERT_FALSE(g_file_test(seen_db, G_FILE_TEST_EXISTS));
    g_free(seen_db);
    msm_run_report_clear(&rep);

    /* the same hops again are refused (seed 000: it would overwrite) unless forced */
    CU_ASSERT_FALSE(msm_engine_run(reg, &o, &rep, &err));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_REFUSED);
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    o.force = TRUE;
    CU_ASSERT_TRUE(msm_engine_run(reg, &o, &rep, &err));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_OK);
    msm_run_report_clear(&rep);
    g_free(run_id);
    msm_registry_free(reg);
    site_free(&s);
}

static gboolean
dir_is_empty(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d == NULL)
        return TRUE;
    gboolean empty = g_dir_read_name(d) == NULL;
    g_dir_close(d);
    return empty;
}

static void
test_preflight_refuses_without_change(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    MsmRunOptions o = options(&s);
    o.confirm = NULL; /* direct-ldap is not confirmed */
    MsmRunReport rep;
    GError *err = NULL;
    CU_ASSERT_FALSE(msm_engine_run(reg, &o, &rep, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PRECONDITION));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_REFUSED);
    gboolean found = FALSE;
    for (guint i = 0; i < rep.preflight->len; i++) {
        const MsmPreflightItem *p = rep.preflight->pdata[i];
        if (strcmp(p->id, "direct-ldap") == 0) {
            found = TRUE;
            CU_ASSERT_STRING_EQUAL(p->result, "manual-unconfirmed");
            CU_ASSERT_PTR_NOT_NULL(strstr(p->detail, "--confirm direct-ldap"));
        }
    }
    CU_ASSERT_TRUE(found);
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    char *runs = g_build_filename(s.tgt, ".msmigrate", "runs", NULL);
    CU_ASSERT_TRUE(dir_is_empty(runs));
    g_free(runs);
    char *f = get(s.tgt_cfg, "extra/f001.conf");
    CU_ASSERT_PTR_NULL(f);
    g_free(f);
    /* a target with no 8.1 installed is refused too */
    const char *bare = msm_test_tmpdir();
    o.confirm = confirm_all;
    o.target_root = bare;
    CU_ASSERT_FALSE(msm_engine_run(reg, &o, &rep, &err));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_REFUSED);
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    msm_registry_free(reg);
    site_free(&s);
}

static void
test_dry_run_writes_nothing(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    MsmRunOptions o = options(&s);
    o.dry_run = TRUE;
    MsmRunReport rep;
    CU_ASSERT_TRUE_FATAL(msm_engine_run(reg, &o, &rep, NULL));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_OK);
    CU_ASSERT_EQUAL(rep.kinds[MSM_KIND_CONFIG].done, NFILES + 6);
    char *f = get(s.tgt_cfg, "extra/f001.conf");
    CU_ASSERT_PTR_NULL(f);
    g_free(f);
    GPtrArray *h = msm_history_load(s.tgt, NULL);
    CU_ASSERT_EQUAL(h->len, 0);
    g_ptr_array_unref(h);
    msm_run_report_clear(&rep);
    msm_registry_free(reg);
    site_free(&s);
}

static void
test_failure_then_resume(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    MsmRunOptions o = options(&s);
    MsmRunReport rep;
    GError *err = NULL;
    g_setenv("FX_FAIL_KEY", "config/extra/f010.conf", TRUE);
    CU_ASSERT_TRUE_FATAL(msm_engine_run(reg, &o, &rep, &err));
    g_unsetenv("FX_FAIL_KEY");
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_SKIPPED);
    CU_ASSERT_EQUAL(rep.kinds[MSM_KIND_CONFIG].failed, 1);
    gboolean named = FALSE;
    for (guint i = 0; i < rep.problems->len; i++)
        named |= strstr(rep.problems->pdata[i], "f010.conf") != NULL;
    CU_ASSERT_TRUE(named);
    /* a run with a failed item does not record history */
    GPtrArray *h = msm_history_load(s.tgt, NULL);
    CU_ASSERT_EQUAL(h->len, 0);
    g_ptr_array_unref(h);
    char *id = g_strdup(rep.run_id);
    char *wd = g_strdup(rep.work_dir);
    msm_run_report_clear(&rep);

    MsmRunOptions r = {0};
    r.target_root = s.tgt;
    r.resume_id = id;
    r.quiet = TRUE;
    CU_ASSERT_TRUE_FATAL(msm_engine_run(reg, &r, &rep, &err));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_OK);
    CU_ASSERT_EQUAL(rep.kinds[MSM_KIND_CONFIG].done, 1);
    CU_ASSERT_EQUAL(rep.kinds[MSM_KIND_CONFIG].already, NFILES + 6 - 1);
    msm_run_report_clear(&rep);
    char *got = get(s.tgt_cfg, "extra/f010.conf");
    char *want = g_strdup_printf("value 10\n%s", markers);
    CU_ASSERT_STRING_EQUAL(got, want);
    g_free(got);
    g_free(want);
    char *jd = g_build_filename(wd, "journal", NULL);
    MsmJournal *j = msm_journal_open(jd, FALSE, NULL);
    MsmJournalRecord rec;
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_CONFIG, "config/extra/f010.conf", &rec, NULL));
    CU_ASSERT_EQUAL(rec.status, MSM_ITEM_DONE);
    CU_ASSERT_EQUAL(rec.attempts, 2);
    msm_journal_record_clear(&rec);
    CU_ASSERT_TRUE(msm_journal_lookup(j, MSM_KIND_CONFIG, "config/extra/f011.conf", &rec, NULL));
    CU_ASSERT_EQUAL(rec.attempts, 1);
    msm_journal_record_clear(&rec);
    msm_journal_close(j);
    g_free(jd);
    h = msm_history_load(s.tgt, NULL);
    CU_ASSERT_EQUAL(h->len, 4);
    g_ptr_array_unref(h);
    /* a finished run cannot be resumed again */
    CU_ASSERT_FALSE(msm_engine_run(reg, &r, &rep, &err));
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    g_free(id);
    g_free(wd);
    msm_registry_free(reg);
    site_free(&s);
}

static void
test_skip_and_stop(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    MsmRunOptions o = options(&s);
    o.threads = 1;
    MsmRunReport rep;
    GError *err = NULL;
    g_setenv("FX_SKIP_KEY", "config/msg.conf", TRUE);
    CU_ASSERT_TRUE(msm_engine_run(reg, &o, &rep, &err));
    g_unsetenv("FX_SKIP_KEY");
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_SKIPPED);
    CU_ASSERT_EQUAL(rep.kinds[MSM_KIND_CONFIG].skipped, 1);
    msm_run_report_clear(&rep);
    Site s2 = {0};
    make_site(&s2);
    o = options(&s2);
    o.threads = 1;
    g_setenv("FX_STOP_KEY", "config/extra/f005.conf", TRUE);
    CU_ASSERT_FALSE(msm_engine_run(reg, &o, &rep, &err));
    g_unsetenv("FX_STOP_KEY");
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_FAILED);
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "--resume"));
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    msm_registry_free(reg);
    site_free(&s);
    site_free(&s2);
}

static void
test_locked_deployment_refused(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    char *state = g_build_filename(s.tgt, ".msmigrate", NULL);
    g_mkdir_with_parents(state, 0755);
    GError *err = NULL;
    MsmLock *l = msm_lock_acquire(state, "other-run", "test", 30, FALSE, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    MsmRunOptions o = options(&s);
    MsmRunReport rep;
    CU_ASSERT_FALSE(msm_engine_run(reg, &o, &rep, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_LOCKED));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "other-run"));
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    msm_lock_release(l);
    CU_ASSERT_TRUE(msm_engine_run(reg, &o, &rep, &err));
    msm_run_report_clear(&rep);
    g_free(state);
    msm_registry_free(reg);
    site_free(&s);
}

static void
test_rollback_restores_config(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    /* the target already has its own msg.conf, which the run replaces */
    MsmLayout *tl6 = msm_layout_resolve(s.tgt, "ms-6.0", NULL, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tl6);
    const char *cfg6 = msm_layout_config_dir(tl6);
    put(cfg6, "msg.conf", "# the 6.0 installer's msg.conf\n");
    char *defaults = g_build_filename(cfg6, "msg.conf.defaults", NULL);
    g_unlink(defaults); /* an installed 6.0, not 6.3+ */
    g_free(defaults);
    MsmRunOptions o = options(&s);
    o.to = "ms-6.0";
    MsmRunReport rep;
    GError *err = NULL;
    gboolean ok = msm_engine_run(reg, &o, &rep, &err);
    if (!ok)
        fprintf(stderr, "run: %s\n", err ? err->message : "?");
    CU_ASSERT_TRUE_FATAL(ok);
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_OK);
    char *id = g_strdup(rep.run_id);
    msm_run_report_clear(&rep);
    char *got = get(cfg6, "msg.conf");
    CU_ASSERT_TRUE(got && g_str_has_prefix(got, "service.imap.port"));
    g_free(got);
    CU_ASSERT_TRUE(msm_engine_rollback(reg, s.tgt, id, NULL, &rep, &err));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_OK);
    msm_run_report_clear(&rep);
    got = get(cfg6, "msg.conf");
    CU_ASSERT_STRING_EQUAL(got, "# the 6.0 installer's msg.conf\n");
    g_free(got);
    got = get(cfg6, "extra/f001.conf");
    CU_ASSERT_PTR_NULL(got); /* created by the run, removed by the rollback */
    g_free(got);
    GPtrArray *h = msm_history_load(s.tgt, NULL);
    CU_ASSERT_STRING_EQUAL(msm_history_current(h), "ims-5.2");
    g_ptr_array_unref(h);
    g_free(id);
    msm_layout_free(tl6);
    msm_registry_free(reg);
    site_free(&s);
}

static void
test_irreversible_rollback_refused(void)
{
    Site s = {0};
    make_site(&s);
    MsmRegistry *reg = chain();
    MsmRunOptions o = options(&s);
    MsmRunReport rep;
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(msm_engine_run(reg, &o, &rep, &err));
    char *id = g_strdup(rep.run_id);
    msm_run_report_clear(&rep);
    CU_ASSERT_FALSE(msm_engine_rollback(reg, s.tgt, id, NULL, &rep, &err));
    CU_ASSERT_EQUAL(rep.exit_code, MSM_EXIT_REFUSED);
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "irreversible"));
    g_clear_error(&err);
    msm_run_report_clear(&rep);
    g_free(id);
    msm_registry_free(reg);
    site_free(&s);
}

MSM_TEST_MAIN("engine", MSM_TEST(test_full_run), MSM_TEST(test_preflight_refuses_without_change),
              MSM_TEST(test_dry_run_writes_nothing), MSM_TEST(test_failure_then_resume),
              MSM_TEST(test_skip_and_stop), MSM_TEST(test_locked_deployment_refused),
              MSM_TEST(test_rollback_restores_config),
              MSM_TEST(test_irreversible_rollback_refused))
