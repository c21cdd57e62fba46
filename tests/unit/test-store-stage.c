/*
 * NAME
 *	test-store-stage.c - unit tests of the stage of an in-place store run
 *	(core/store-stage.c)
 * DESCRIPTION
 *	A separate target needs no stage; an in-place run gets one inside the
 *	live store directory; a swap killed after any rename finishes when run
 *	again and leaves entries the stage does not hold alone; a resumed run
 *	after the swap knows it; a rollback after the swap, and one after a
 *	swap killed half way, give the original store back, and can be run
 *	again.
 */
#include "config.h"

#include "ctxpriv.h"
#include "journal.h"
#include "store-stage.h"
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
put(const char *root, const char *rel, const char *text)
{
    char *p = g_build_filename(root, rel, NULL);
    char *d = g_path_get_dirname(p);
    CU_ASSERT_EQUAL_FATAL(g_mkdir_with_parents(d, 0755), 0);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(p, text, -1, NULL));
    g_free(d);
    g_free(p);
}

/* The text of root/rel, or "" when absent. (transfer full) */
static char *
get(const char *root, const char *rel)
{
    char *p = g_build_filename(root, rel, NULL);
    char *t = NULL;
    if (!g_file_get_contents(p, &t, NULL, NULL))
        t = g_strdup("");
    g_free(p);
    return t;
}

static gboolean
has(const char *root, const char *rel)
{
    char *p = g_build_filename(root, rel, NULL);
    struct stat st;
    gboolean r = lstat(p, &st) == 0;
    g_free(p);
    return r;
}

static void
check_text(const char *root, const char *rel, const char *want)
{
    char *t = get(root, rel);
    if (strcmp(t, want) != 0)
        g_printerr("%s/%s: \"%s\", expected \"%s\"\n", root, rel, t, want);
    CU_ASSERT_STRING_EQUAL(t, want);
    g_free(t);
}

/* An installed ms-8.1 deployment whose store holds the "old" generation. */
static char *
deployment(void)
{
    char *root = g_strdup(msm_test_tmpdir());
    put(root, "config/msg.conf.defaults", "# defaults\n");
    put(root, "data/store/mboxlist/folder.db", "old db");
    put(root, "data/store/partition/primary/x.msg", "old message");
    put(root, "data/store/keep.txt", "not the store's");
    return root;
}

static MsmCtx *
ctx_for(const char *source, const char *target, const char *run_id)
{
    MsmCtx *ctx = msm_ctx_new();
    ctx->source_root = g_strdup(source);
    ctx->target_root = g_strdup(target);
    g_free(ctx->run_id);
    ctx->run_id = g_strdup(run_id);
    return ctx;
}

static MsmJournal *
journal_in(const char *root, const char *run_id)
{
    char *d = g_build_filename(root, ".msmigrate", "runs", run_id, "journal", NULL);
    GError *err = NULL;
    MsmJournal *j = msm_journal_open(d, TRUE, &err);
    if (err)
        g_printerr("journal: %s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    g_free(d);
    return j;
}

/* Writes the "new" store into the stage, as the writer would. */
static void
write_stage(const MsmCtx *ctx)
{
    put(ctx->store_stage_root, "data/store/mboxlist/folder.db", "new db");
    put(ctx->store_stage_root, "data/store/partition/primary/x.msg", "new message");
}

static void
test_separate_target(void)
{
    char *a = deployment(), *b = deployment();
    MsmCtx *ctx = ctx_for(a, b, "R0");
    MsmJournal *j = journal_in(b, "R0");
    GError *err = NULL;
    CU_ASSERT_TRUE(msm_store_stage_prepare(ctx, "ms-6.3", "ms-8.1", j, &err));
    CU_ASSERT_PTR_NULL(ctx->store_stage_root);
    CU_ASSERT_FALSE(ctx->store_stage_swapped);
    CU_ASSERT_FALSE(msm_store_stage_used(j));
    msm_journal_close(j);
    msm_ctx_free(ctx);
    g_free(a);
    g_free(b);
}

static void
test_swap_killed_half_way(void)
{
    char *root = deployment();
    MsmCtx *ctx = ctx_for(root, root, "R1");
    MsmJournal *j = journal_in(root, "R1");
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(msm_store_stage_prepare(ctx, "ms-6.3", "ms-8.1", j, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx->store_stage_root);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx->store_stage_root, "data/store/.msmigrate-stage-R1"));
    CU_ASSERT_TRUE(msm_store_stage_used(j));
    write_stage(ctx);
    /* `msmigrate verify` of the run before the swap looks at the stage */
    MsmCtx *v = ctx_for(root, root, "R1");
    CU_ASSERT_TRUE(msm_store_stage_attach(v, "ms-8.1", j, &err));
    CU_ASSERT_STRING_EQUAL(v->store_stage_root, ctx->store_stage_root);
    msm_ctx_free(v);

    /* killed after the first rename of the swap: mboxlist moved out, nothing moved in */
    char *live = g_build_filename(root, "data", "store", NULL);
    char *old = g_build_filename(live, ".msmigrate-old-R1", NULL);
    CU_ASSERT_EQUAL_FATAL(g_mkdir_with_parents(old, 0700), 0);
    char *a = g_build_filename(live, "mboxlist", NULL);
    char *b = g_build_filename(old, "mboxlist", NULL);
    CU_ASSERT_EQUAL_FATAL(rename(a, b), 0);

    /* resumed: the stage is chosen again, the swap finishes */
    CU_ASSERT_TRUE_FATAL(msm_store_stage_prepare(ctx, "ms-6.3", "ms-8.1", j, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(ctx->store_stage_root);
    char *kept = NULL;
    CU_ASSERT_TRUE_FATAL(msm_store_stage_swap(ctx, "ms-8.1", j, &kept, &err));
    CU_ASSERT_STRING_EQUAL(kept, old);
    check_text(root, "data/store/mboxlist/folder.db", "new db");
    check_text(root, "data/store/partition/primary/x.msg", "new message");
    check_text(root, "data/store/keep.txt", "not the store's");
    check_text(root, "data/store/.msmigrate-old-R1/mboxlist/folder.db", "old db");
    check_text(root, "data/store/.msmigrate-old-R1/partition/primary/x.msg", "old message");
    CU_ASSERT_FALSE(has(root, "data/store/.msmigrate-stage-R1"));
    /* a second swap changes nothing */
    g_free(kept);
    CU_ASSERT_TRUE(msm_store_stage_swap(ctx, "ms-8.1", j, &kept, &err));
    check_text(root, "data/store/mboxlist/folder.db", "new db");

    /* after it, at the live store */
    v = ctx_for(root, root, "R1");
    CU_ASSERT_TRUE(msm_store_stage_attach(v, "ms-8.1", j, &err));
    CU_ASSERT_PTR_NULL(v->store_stage_root);
    msm_ctx_free(v);

    /* a run resumed after the swap knows it */
    CU_ASSERT_TRUE(msm_store_stage_prepare(ctx, "ms-6.3", "ms-8.1", j, &err));
    CU_ASSERT_TRUE(ctx->store_stage_swapped);
    CU_ASSERT_PTR_NULL(ctx->store_stage_root);

    /* rollback, twice */
    for (int i = 0; i < 2; i++) {
        CU_ASSERT_TRUE_FATAL(msm_store_stage_rollback(ctx, root, "ms-8.1", j, &err));
        check_text(root, "data/store/mboxlist/folder.db", "old db");
        check_text(root, "data/store/partition/primary/x.msg", "old message");
        check_text(root, "data/store/keep.txt", "not the store's");
        CU_ASSERT_FALSE(has(root, "data/store/.msmigrate-old-R1"));
        CU_ASSERT_FALSE(has(root, "data/store/.msmigrate-stage-R1"));
        CU_ASSERT_TRUE(msm_store_stage_used(j)); /* rolled back: still not the codec's */
    }
    g_free(kept);
    g_free(a);
    g_free(b);
    g_free(live);
    g_free(old);
    msm_journal_close(j);
    msm_ctx_free(ctx);
    g_free(root);
}

static void
test_rollback_of_a_half_swap(void)
{
    char *root = deployment();
    MsmCtx *ctx = ctx_for(root, root, "R2");
    MsmJournal *j = journal_in(root, "R2");
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(msm_store_stage_prepare(ctx, "ms-6.3", "ms-8.1", j, &err));
    write_stage(ctx);
    /* killed after mboxlist was swapped completely and partition moved out */
    char *live = g_build_filename(root, "data", "store", NULL);
    char *old = g_build_filename(live, ".msmigrate-old-R2", NULL);
    char *sstore = g_build_filename(ctx->store_stage_root, "data", "store", NULL);
    CU_ASSERT_EQUAL_FATAL(g_mkdir_with_parents(old, 0700), 0);
    const char *moves[][2] = {{"mboxlist", NULL}, {"partition", NULL}};
    for (guint i = 0; i < G_N_ELEMENTS(moves); i++) {
        char *l = g_build_filename(live, moves[i][0], NULL);
        char *o = g_build_filename(old, moves[i][0], NULL);
        CU_ASSERT_EQUAL_FATAL(rename(l, o), 0);
        if (i == 0) {
            char *s = g_build_filename(sstore, moves[i][0], NULL);
            CU_ASSERT_EQUAL_FATAL(rename(s, l), 0);
            g_free(s);
        }
        g_free(l);
        g_free(o);
    }
    CU_ASSERT_TRUE_FATAL(msm_store_stage_rollback(ctx, root, "ms-8.1", j, &err));
    check_text(root, "data/store/mboxlist/folder.db", "old db");
    check_text(root, "data/store/partition/primary/x.msg", "old message");
    check_text(root, "data/store/keep.txt", "not the store's");
    CU_ASSERT_FALSE(has(root, "data/store/.msmigrate-old-R2"));
    CU_ASSERT_FALSE(has(root, "data/store/.msmigrate-stage-R2"));
    g_free(live);
    g_free(old);
    g_free(sstore);
    msm_journal_close(j);
    msm_ctx_free(ctx);
    g_free(root);
}

MSM_TEST_MAIN("store-stage", MSM_TEST(test_separate_target), MSM_TEST(test_swap_killed_half_way),
              MSM_TEST(test_rollback_of_a_half_swap))
