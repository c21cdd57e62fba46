/*
 * NAME
 *	test-detect - detection and layouts of every family (docs/formats/layout.md)
 * SUMMARY
 *	Builds fake deployments in temporary directories: a SIMS host image,
 *	MS bases of each configuration style, messaging64, server roots with
 *	one and two instances, NMS 3.x/4.x, a host image holding two products,
 *	an empty directory, an instance directory, and histories that agree or
 *	disagree with the files; checks candidates, exact versions, evidence,
 *	pick(), the text/JSON output, and the paths msm_layout_resolve() gives.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "detect.h"
#include "testutil.h"

#include <string.h>

/* Creates root/rel as a directory. */
static void
mkd(const char *root, const char *rel)
{
    char *p = g_build_filename(root, rel, NULL);
    g_assert(g_mkdir_with_parents(p, 0755) == 0);
    g_free(p);
}

/* Creates root/rel as a file holding text (parents created). */
static void
put(const char *root, const char *rel, const char *text)
{
    char *p = g_build_filename(root, rel, NULL);
    char *d = g_path_get_dirname(p);
    g_assert(g_mkdir_with_parents(d, 0755) == 0);
    g_assert(g_file_set_contents(p, text, -1, NULL));
    g_free(d);
    g_free(p);
}

/* Joins det's candidates with ",". (transfer full) */
static char *
cands(const MsmDetection *det)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < det->candidates->len; i++)
        g_string_append_printf(s, "%s%s", i ? "," : "", (char *)det->candidates->pdata[i]);
    return g_string_free(s, FALSE);
}

/* TRUE if some evidence line contains needle. */
static gboolean
has_evidence(const MsmDetection *det, const char *needle)
{
    for (guint i = 0; i < det->evidence->len; i++)
        if (strstr(det->evidence->pdata[i], needle))
            return TRUE;
    return FALSE;
}

/* Detects root, checks family and candidates, returns the detection. */
static MsmDetection *
detect_expect(const char *root, const char *family, const char *candidates)
{
    GError *err = NULL;
    MsmDetection *det = msm_detect(root, &err);
    CU_ASSERT_PTR_NULL(err);
    g_assert(det != NULL);
    char *c = cands(det);
    if (g_strcmp0(det->family, family) != 0 || strcmp(c, candidates) != 0) {
        char *t = msm_detection_to_text(det);
        fprintf(stderr, "expected family %s candidates %s, got:\n%s", family ? family : "NULL",
                candidates, t);
        g_free(t);
    }
    CU_ASSERT_EQUAL(g_strcmp0(det->family, family), 0);
    CU_ASSERT_STRING_EQUAL(c, candidates);
    g_free(c);
    return det;
}

/* Resolves a layout, which must succeed. */
static MsmLayout *
layout_ok(const char *root, const char *version, const char *instance)
{
    GError *err = NULL;
    MsmLayout *l = msm_layout_resolve(root, version, instance, &err);
    if (err)
        fprintf(stderr, "layout(%s, %s): %s\n", root, version, err->message);
    CU_ASSERT_PTR_NULL(err);
    g_assert(l != NULL);
    return l;
}

/* Checks that path equals root/rel. */
static void
path_is(const char *path, const char *root, const char *rel)
{
    char *want = g_build_filename(root, rel, NULL);
    if (g_strcmp0(path, want) != 0)
        fprintf(stderr, "path %s, expected %s\n", path, want);
    CU_ASSERT_STRING_EQUAL(path, want);
    g_free(want);
}

/* Writes <root>/.msmigrate/history with hops ending at each id of tos in turn. */
static void
write_history(const char *root, const char *const *tos)
{
    GString *s = g_string_new("[history]\nformat=1\n");
    const char *from = "";
    for (guint i = 0; tos[i]; i++) {
        g_string_append_printf(s,
                               "\n[entry %u]\naction=%s\nrun_id=R%u\nfrom=%s\nto=%s\n"
                               "when=2026-01-0%uT00:00:00Z\n",
                               i + 1, i == 0 ? "baseline" : "hop", i + 1, from, tos[i], i + 1);
        from = tos[i];
    }
    put(root, ".msmigrate/history", s->str);
    g_string_free(s, TRUE);
}

static void
test_sims_host_image(void)
{
    const char *root = msm_test_tmpdir();
    put(root, "etc/opt/SUNWmail/ims/ims.cnf", "ims-user-root /var/opt/SUNWmail/ims/user\n");
    put(root, "etc/opt/SUNWmail/sims.cnf", "x\n");
    put(root, "etc/opt/SUNWmail/imta/imta.cnf", "! imta\n");
    mkd(root, "opt/SUNWmail/sbin");
    mkd(root, "var/opt/SUNWmail/ims/user");
    mkd(root, "var/opt/SUNWmail/imta/queue/sims-ms");
    MsmDetection *det = detect_expect(root, "sims-4.0", "sims-4.0");
    CU_ASSERT_STRING_EQUAL(det->version, "sims-4.0");
    path_is(det->base_dir, root, "opt/SUNWmail");
    CU_ASSERT_EQUAL(det->instances->len, 0);
    CU_ASSERT_TRUE(has_evidence(det, "etc/opt/SUNWmail/ims/ims.cnf"));
    GError *err = NULL;
    CU_ASSERT_STRING_EQUAL(msm_detection_pick(det, NULL, &err), "sims-4.0");
    CU_ASSERT_PTR_NULL(err);
    msm_detection_free(det);

    MsmLayout *l = layout_ok(root, "sims-4.0", "ignored");
    CU_ASSERT_STRING_EQUAL(msm_layout_version(l), "sims-4.0");
    CU_ASSERT_PTR_NULL(msm_layout_instance(l));
    path_is(msm_layout_base_dir(l), root, "opt/SUNWmail");
    path_is(msm_layout_config_dir(l), root, "etc/opt/SUNWmail");
    path_is(msm_layout_mta_config_dir(l), root, "etc/opt/SUNWmail/imta");
    path_is(msm_layout_store_dir(l), root, "var/opt/SUNWmail/ims");
    path_is(msm_layout_queue_dir(l), root, "var/opt/SUNWmail/imta/queue");
    path_is(msm_layout_run_dir(l), root, "var/opt/SUNWmail/run");
    msm_layout_free(l);
}

static void
test_ms_bases(void)
{
    /* 6.0-6.2: msg.conf without msg.conf.defaults */
    const char *b60 = msm_test_tmpdir();
    put(b60, "config/msg.conf", "x\n");
    mkd(b60, "data/store");
    MsmDetection *det = detect_expect(b60, "ms-6.0-6.2", "ms-6.0,ms-6.1,ms-6.2,ms-6.2p3");
    CU_ASSERT_PTR_NULL(det->version);
    CU_ASSERT_STRING_EQUAL(det->base_dir, b60);
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_detection_pick(det, NULL, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_AMBIGUOUS));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "--from"));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "ms-6.2p3"));
    g_clear_error(&err);
    CU_ASSERT_STRING_EQUAL(msm_detection_pick(det, "ms-6.2", &err), "ms-6.2");
    CU_ASSERT_PTR_NULL(msm_detection_pick(det, "ms-7.0", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "ms-6.0, ms-6.1"));
    g_clear_error(&err);
    char *text = msm_detection_to_text(det);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "ambiguous: pass --from"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "ms-6.0-6.2"));
    g_free(text);
    char *json = msm_detection_to_json(det);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"candidates\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"ms-6.2p3\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"ambiguous\": true"));
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"version\": null"));
    g_free(json);
    msm_detection_free(det);

    /* 6.3+ legacy */
    const char *b63 = msm_test_tmpdir();
    put(b63, "config/msg.conf.defaults", "x\n");
    put(b63, "config/msg.conf", "y\n");
    mkd(b63, "data");
    det = detect_expect(b63, "ms-6.3+ legacy",
                        "ms-6.3,ms-7.0,ms-7.0.5,ms-8.0,ms-8.0.1,ms-8.0.2,ms-8.1");
    msm_detection_free(det);

    /* Unified Configuration wins over the legacy files kept beside it */
    const char *buc = msm_test_tmpdir();
    put(buc, "config/config.xml", "<x/>\n");
    put(buc, "config/msg.conf", "y\n");
    mkd(buc, "data");
    det = detect_expect(buc, "ms-7.0.5+ unified", "ms-7.0.5,ms-8.0,ms-8.0.1,ms-8.0.2,ms-8.1");
    CU_ASSERT_TRUE(has_evidence(det, "config.xml wins"));
    msm_detection_free(det);

    /* config/ and data/ but no configuration file: nothing recognised */
    const char *bnone = msm_test_tmpdir();
    mkd(bnone, "config");
    mkd(bnone, "data");
    det = detect_expect(bnone, NULL, "");
    CU_ASSERT_TRUE(has_evidence(det, "holds none of"));
    msm_detection_free(det);

    MsmLayout *l = layout_ok(b63, "ms-7.0", "some-instance");
    CU_ASSERT_PTR_NULL(msm_layout_instance(l));
    path_is(msm_layout_base_dir(l), b63, "");
    path_is(msm_layout_config_dir(l), b63, "config");
    path_is(msm_layout_mta_config_dir(l), b63, "config");
    path_is(msm_layout_store_dir(l), b63, "data/store");
    path_is(msm_layout_queue_dir(l), b63, "data/queue");
    path_is(msm_layout_run_dir(l), b63, "data/run");
    msm_layout_free(l);
}

static void
test_messaging64(void)
{
    const char *root = msm_test_tmpdir();
    put(root, "opt/sun/comms/messaging64/config/msg.conf.defaults", "x\n");
    mkd(root, "opt/sun/comms/messaging64/data");
    MsmDetection *det = detect_expect(root, "ms-6.3+ legacy", "ms-8.0,ms-8.0.1,ms-8.0.2,ms-8.1");
    path_is(det->base_dir, root, "opt/sun/comms/messaging64");
    CU_ASSERT_TRUE(has_evidence(det, "8.x only"));
    msm_detection_free(det);

    /* a base named messaging64 given directly narrows too */
    char *base = g_build_filename(root, "opt/sun/comms/messaging64", NULL);
    det = detect_expect(base, "ms-6.3+ legacy", "ms-8.0,ms-8.0.1,ms-8.0.2,ms-8.1");
    msm_detection_free(det);
    g_free(base);

    /* 6.0-6.2 files in a messaging64 directory: not narrowed to nothing */
    const char *r2 = msm_test_tmpdir();
    put(r2, "opt/sun/comms/messaging64/config/msg.conf", "x\n");
    det = detect_expect(r2, "ms-6.0-6.2", "ms-6.0,ms-6.1,ms-6.2,ms-6.2p3");
    CU_ASSERT_TRUE(has_evidence(det, "not used to narrow"));
    msm_detection_free(det);

    MsmLayout *l = layout_ok(root, "ms-8.1", NULL);
    path_is(msm_layout_base_dir(l), root, "opt/sun/comms/messaging64");
    path_is(msm_layout_store_dir(l), root, "opt/sun/comms/messaging64/data/store");
    msm_layout_free(l);
}

static void
test_host_image_ms_choice(void)
{
    const char *root = msm_test_tmpdir();
    put(root, "opt/SUNWmsgsr/config/msg.conf", "x\n");
    mkd(root, "opt/SUNWmsgsr/data");
    put(root, "opt/sun/comms/messaging64/config/config.xml", "<x/>\n");
    MsmDetection *det =
        detect_expect(root, "ms-6.0-6.2 + ms-7.0.5+ unified",
                      "ms-6.0,ms-6.1,ms-6.2,ms-6.2p3,ms-8.0,ms-8.0.1,ms-8.0.2,ms-8.1");
    CU_ASSERT_PTR_NULL(det->base_dir);
    CU_ASSERT_PTR_NULL(det->version);
    msm_detection_free(det);
    MsmLayout *l = layout_ok(root, "ms-6.1", NULL);
    path_is(msm_layout_base_dir(l), root, "opt/SUNWmsgsr");
    msm_layout_free(l);
    l = layout_ok(root, "ms-8.1", NULL);
    path_is(msm_layout_base_dir(l), root, "opt/sun/comms/messaging64");
    msm_layout_free(l);

    /* an empty host image: the Linux defaults */
    const char *empty_host = msm_test_tmpdir();
    mkd(empty_host, "opt");
    l = layout_ok(empty_host, "ms-6.3", NULL);
    path_is(msm_layout_base_dir(l), empty_host, "opt/sun/comms/messaging");
    msm_layout_free(l);
    l = layout_ok(empty_host, "ms-8.0.2", NULL);
    path_is(msm_layout_base_dir(l), empty_host, "opt/sun/comms/messaging64");
    msm_layout_free(l);
    l = layout_ok(empty_host, "ims-5.2", "x");
    path_is(msm_layout_base_dir(l), empty_host, "usr/iplanet/server5/msg-x");
    msm_layout_free(l);
    l = layout_ok(empty_host, "nms-4.0", "x");
    path_is(msm_layout_base_dir(l), empty_host, "usr/netscape/server4/msg-x");
    msm_layout_free(l);
}

static void
test_server_root_two_instances(void)
{
    const char *root = msm_test_tmpdir();
    put(root, "msg-a/imta/config/imta.cnf", "! a\n");
    put(root, "msg-a/config/msg.conf", "a\n");
    put(root, "msg-b/imta/config/imta.cnf", "! b\n");
    put(root, "msg-b/store/mboxlist/folder.db", "");
    mkd(root, "admin-serv");
    MsmDetection *det = detect_expect(root, "ims-5.2", "ims-5.2");
    CU_ASSERT_STRING_EQUAL(det->version, "ims-5.2");
    CU_ASSERT_EQUAL_FATAL(det->instances->len, 2);
    CU_ASSERT_STRING_EQUAL(det->instances->pdata[0], "a");
    CU_ASSERT_STRING_EQUAL(det->instances->pdata[1], "b");
    char *text = msm_detection_to_text(det);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "msg-a, msg-b"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "--instance"));
    g_free(text);
    msm_detection_free(det);

    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_layout_resolve(root, "ims-5.2", NULL, &err));
    CU_ASSERT_TRUE_FATAL(g_error_matches(err, MSM_ERROR, MSM_ERROR_AMBIGUOUS));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "a, b"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "--instance"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "seed 000"));
    g_clear_error(&err);

    MsmLayout *l = layout_ok(root, "ims-5.2", "b");
    CU_ASSERT_STRING_EQUAL(msm_layout_instance(l), "b");
    path_is(msm_layout_base_dir(l), root, "msg-b");
    path_is(msm_layout_config_dir(l), root, "msg-b/config");
    path_is(msm_layout_mta_config_dir(l), root, "msg-b/imta/config");
    path_is(msm_layout_store_dir(l), root, "msg-b/store");
    path_is(msm_layout_queue_dir(l), root, "msg-b/imta/queue");
    path_is(msm_layout_run_dir(l), root, "msg-b/run");
    msm_layout_free(l);

    CU_ASSERT_PTR_NULL(msm_layout_resolve(root, "ims-5.2", "../evil", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
    g_clear_error(&err);
}

static void
test_nms(void)
{
    const char *r4 = msm_test_tmpdir();
    mkd(r4, "msg-tango/store/partition/primary");
    mkd(r4, "msg-tango/store/mboxlist");
    mkd(r4, "msg-tango/log/default");
    MsmDetection *det = detect_expect(r4, "nms-4.x", "nms-4.0,nms-4.1");
    CU_ASSERT_PTR_NULL(det->version);
    CU_ASSERT_EQUAL(det->instances->len, 1);
    msm_detection_free(det);
    MsmLayout *l = layout_ok(r4, "nms-4.1", NULL);
    CU_ASSERT_STRING_EQUAL(msm_layout_instance(l), "tango");
    path_is(msm_layout_store_dir(l), r4, "msg-tango/store");
    path_is(msm_layout_queue_dir(l), r4, "msg-tango/queue");
    path_is(msm_layout_mta_config_dir(l), r4, "msg-tango/config");
    msm_layout_free(l);

    const char *r3 = msm_test_tmpdir();
    mkd(r3, "msg-old/mailbox");
    mkd(r3, "msg-old/queue");
    det = detect_expect(r3, "nms-3.x", "nms-3.x");
    CU_ASSERT_STRING_EQUAL(det->version, "nms-3.x");
    msm_detection_free(det);
    l = layout_ok(r3, "nms-3.x", NULL);
    path_is(msm_layout_store_dir(l), r3, "msg-old/mailbox");
    path_is(msm_layout_queue_dir(l), r3, "msg-old/queue");
    msm_layout_free(l);

    /* NMS 4.x below a host image */
    const char *host = msm_test_tmpdir();
    mkd(host, "usr/netscape/server4/msg-tango/store/partition/primary");
    det = detect_expect(host, "nms-4.x", "nms-4.0,nms-4.1");
    path_is(det->base_dir, host, "usr/netscape/server4");
    msm_detection_free(det);
    l = layout_ok(host, "nms-4.0", NULL);
    path_is(msm_layout_base_dir(l), host, "usr/netscape/server4/msg-tango");
    msm_layout_free(l);
}

static void
test_mixed_host_image(void)
{
    const char *root = msm_test_tmpdir();
    put(root, "etc/opt/SUNWmail/sims.cnf", "x\n");
    put(root, "usr/iplanet/server5/msg-mail/imta/config/imta.cnf", "x\n");
    MsmDetection *det = detect_expect(root, "sims-4.0 + ims-5.2", "sims-4.0,ims-5.2");
    CU_ASSERT_PTR_NULL(det->version);
    CU_ASSERT_PTR_NULL(det->base_dir);
    GError *err = NULL;
    CU_ASSERT_STRING_EQUAL(msm_detection_pick(det, "sims-4.0", &err), "sims-4.0");
    msm_detection_free(det);
    MsmLayout *l = layout_ok(root, "ims-5.2", NULL);
    path_is(msm_layout_base_dir(l), root, "usr/iplanet/server5/msg-mail");
    msm_layout_free(l);
}

static void
test_empty_and_missing(void)
{
    const char *root = msm_test_tmpdir();
    MsmDetection *det = detect_expect(root, NULL, "");
    CU_ASSERT_PTR_NULL(det->version);
    CU_ASSERT_TRUE(det->evidence->len >= 1);
    CU_ASSERT_TRUE(has_evidence(det, "nothing known"));
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_detection_pick(det, NULL, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);
    CU_ASSERT_PTR_NULL(msm_detection_pick(det, "ms-6.3", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);
    char *text = msm_detection_to_text(det);
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "(nothing known)"));
    g_free(text);
    msm_detection_free(det);

    char *missing = g_build_filename(root, "no-such-dir", NULL);
    CU_ASSERT_PTR_NULL(msm_detect(missing, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "no-such-dir"));
    g_clear_error(&err);

    /* an empty target: the root is the version's own directory */
    MsmLayout *l = layout_ok(root, "ms-8.1", NULL);
    path_is(msm_layout_base_dir(l), root, "");
    path_is(msm_layout_config_dir(l), root, "config");
    msm_layout_free(l);
    l = layout_ok(missing, "ims-5.2", NULL);
    CU_ASSERT_STRING_EQUAL(msm_layout_instance(l), "default");
    path_is(msm_layout_base_dir(l), missing, "msg-default");
    msm_layout_free(l);
    g_free(missing);

    CU_ASSERT_PTR_NULL(msm_layout_resolve(root, "ms-9.9", NULL, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    g_clear_error(&err);

    /* an instance directory given instead of its server root */
    const char *sr = msm_test_tmpdir();
    put(sr, "msg-x/config/msg.conf", "x\n");
    mkd(sr, "msg-x/store/partition");
    char *inst = g_build_filename(sr, "msg-x", NULL);
    det = detect_expect(inst, NULL, "");
    CU_ASSERT_TRUE(has_evidence(det, "pass its parent"));
    msm_detection_free(det);
    g_free(inst);
}

static void
test_history(void)
{
    /* consistent: the last entry wins */
    const char *root = msm_test_tmpdir();
    put(root, "config/msg.conf.defaults", "x\n");
    mkd(root, "data");
    static const char *const hops[] = {"ms-6.3", "ms-7.0", NULL};
    write_history(root, hops);
    MsmDetection *det = detect_expect(root, "ms-6.3+ legacy",
                                      "ms-6.3,ms-7.0,ms-7.0.5,ms-8.0,ms-8.0.1,ms-8.0.2,ms-8.1");
    CU_ASSERT_STRING_EQUAL(det->version, "ms-7.0");
    CU_ASSERT_TRUE(has_evidence(det, "[entry 2]"));
    GError *err = NULL;
    CU_ASSERT_STRING_EQUAL(msm_detection_pick(det, NULL, &err), "ms-7.0");
    char *json = msm_detection_to_json(det);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"version\": \"ms-7.0\""));
    g_free(json);
    msm_detection_free(det);

    /* inconsistent: reported, and ambiguous even with one candidate */
    const char *r3 = msm_test_tmpdir();
    mkd(r3, "msg-old/mailbox");
    static const char *const wrong[] = {"ims-5.2", NULL};
    write_history(r3, wrong);
    det = detect_expect(r3, "nms-3.x", "nms-3.x");
    CU_ASSERT_PTR_NULL(det->version);
    CU_ASSERT_TRUE(has_evidence(det, "says the deployment is at ims-5.2, but"));
    CU_ASSERT_PTR_NULL(msm_detection_pick(det, NULL, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_AMBIGUOUS));
    g_clear_error(&err);
    CU_ASSERT_STRING_EQUAL(msm_detection_pick(det, "nms-3.x", &err), "nms-3.x");
    msm_detection_free(det);

    /* a damaged history is reported and ignored */
    const char *r4 = msm_test_tmpdir();
    put(r4, "config/msg.conf", "x\n");
    put(r4, ".msmigrate/history", "this is [not a key file\n");
    det = detect_expect(r4, "ms-6.0-6.2", "ms-6.0,ms-6.1,ms-6.2,ms-6.2p3");
    CU_ASSERT_PTR_NULL(det->version);
    CU_ASSERT_TRUE(has_evidence(det, "cannot be read"));
    msm_detection_free(det);
}

MSM_TEST_MAIN("detect", MSM_TEST(test_sims_host_image), MSM_TEST(test_ms_bases),
              MSM_TEST(test_messaging64), MSM_TEST(test_host_image_ms_choice),
              MSM_TEST(test_server_root_two_instances), MSM_TEST(test_nms),
              MSM_TEST(test_mixed_host_image), MSM_TEST(test_empty_and_missing),
              MSM_TEST(test_history))
