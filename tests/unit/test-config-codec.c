/*
 * NAME
 *	test-config-codec - core's byte-exact configuration codec
 * SUMMARY
 *	Round trips of configuration trees (MS 6.3 single directory, iMS 5.2
 *	with its separate MTA directory, SIMS with the MTA directory inside
 *	the configuration directory): same bytes (NUL, no final newline,
 *	8-bit), same modes, stable order, idempotent puts. Refusals: unsafe
 *	relpaths, symbolic links and FIFOs in the source, a link along the way
 *	in the target, duplicate keys, a missing configuration directory.
 *	Rollback: what a run replaced comes back byte for byte with its mode,
 *	what it created goes away, a resumed put keeps the first backup, and
 *	rolling back twice changes nothing more.
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "builtin.h"
#include "ctxpriv.h"
#include "testutil.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes root/rel with len bytes of data and mode (parents created). */
static void
putb(const char *root, const char *rel, const char *data, gssize len, guint mode)
{
    char *p = g_build_filename(root, rel, NULL);
    char *d = g_path_get_dirname(p);
    g_assert(g_mkdir_with_parents(d, 0755) == 0);
    g_assert(g_file_set_contents(p, data, len, NULL));
    g_assert(chmod(p, mode) == 0);
    g_free(d);
    g_free(p);
}

/* Reads every item of root/version; stops at the first error, which is kept in
 * *error_r (may be NULL to require none). (transfer full: MsmItem*) */
static GPtrArray *
read_all(MsmCtx *ctx, const char *root, const char *version, GError **error_r)
{
    const MsmCodec *c = msm_core_config_files_codec();
    GError *err = NULL;
    GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)msm_item_free);
    gpointer r = c->reader_open(ctx, root, version, &err);
    if (r == NULL) {
        g_assert(error_r != NULL);
        *error_r = err;
        return items;
    }
    for (;;) {
        MsmItem *it = NULL;
        if (!c->reader_next(r, &it, &err)) {
            if (error_r == NULL)
                fprintf(stderr, "reader_next: %s\n", err->message);
            CU_ASSERT_PTR_NOT_NULL(error_r);
            if (error_r)
                *error_r = err;
            else
                g_error_free(err);
            break;
        }
        if (it == NULL)
            break;
        g_ptr_array_add(items, it);
    }
    c->reader_close(r);
    return items;
}

/* Writes items to root/version. */
static void
write_all(MsmCtx *ctx, const char *root, const char *version, GPtrArray *items)
{
    const MsmCodec *c = msm_core_config_files_codec();
    GError *err = NULL;
    gpointer w = c->writer_open(ctx, root, version, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    for (guint i = 0; i < items->len; i++) {
        gboolean ok = c->writer_put(w, items->pdata[i], &err);
        if (!ok)
            fprintf(stderr, "writer_put: %s\n", err->message);
        CU_ASSERT_TRUE(ok);
        g_clear_error(&err);
    }
    CU_ASSERT_TRUE(c->writer_commit(w, &err));
    c->writer_close(w);
}

/* Checks that a/rel and b/rel2 hold the same bytes and mode. */
static void
same_file(const char *a, const char *rel, const char *b, const char *rel2)
{
    char *pa = g_build_filename(a, rel, NULL), *pb = g_build_filename(b, rel2, NULL);
    char *ca = NULL, *cb = NULL;
    gsize la = 0, lb = 0;
    CU_ASSERT_TRUE(g_file_get_contents(pa, &ca, &la, NULL));
    gboolean got = g_file_get_contents(pb, &cb, &lb, NULL);
    if (!got)
        fprintf(stderr, "missing %s\n", pb);
    CU_ASSERT_TRUE(got);
    CU_ASSERT_EQUAL(la, lb);
    CU_ASSERT_TRUE(la == lb && ca && cb && memcmp(ca, cb, la) == 0);
    struct stat sa, sb;
    CU_ASSERT_EQUAL(lstat(pa, &sa), 0);
    CU_ASSERT_EQUAL(lstat(pb, &sb), 0);
    CU_ASSERT_EQUAL(sa.st_mode & 07777, sb.st_mode & 07777);
    g_free(ca);
    g_free(cb);
    g_free(pa);
    g_free(pb);
}

/* The item keys joined with " ". (transfer full) */
static char *
keys(GPtrArray *items)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < items->len; i++)
        g_string_append_printf(s, "%s%s", i ? " " : "", ((MsmItem *)items->pdata[i])->key);
    return g_string_free(s, FALSE);
}

static const char binary[] = "a\0b\r\n\xff\xfe no final newline";

static void
test_codec_descriptor(void)
{
    const MsmCodec *c = msm_core_config_files_codec();
    CU_ASSERT_EQUAL(c->iface_version, MSM_CODEC_IFACE_VERSION);
    CU_ASSERT_EQUAL(c->struct_size, sizeof(MsmCodec));
    CU_ASSERT_STRING_EQUAL(c->name, "config-files");
    CU_ASSERT_EQUAL(c->kind, MSM_KIND_CONFIG);
    guint n = 0;
    for (; c->versions[n]; n++)
        CU_ASSERT_TRUE(msm_version_is_known(c->versions[n]));
    const char *const *all = msm_version_all();
    guint m = 0;
    while (all[m])
        m++;
    CU_ASSERT_EQUAL(n, m);
    for (guint i = 0; i < G_N_ELEMENTS(c->spare); i++)
        CU_ASSERT_PTR_NULL(c->spare[i]);
}

static void
test_round_trip_ms(void)
{
    const char *src = msm_test_tmpdir();
    putb(src, "config/msg.conf.defaults", binary, sizeof binary - 1, 0444);
    putb(src, "config/imta.cnf", "! imta\n", -1, 0640);
    putb(src, "config/tcp_local_option", "ALLOW_ETRNS_PER_SESSION=2\n", -1, 0600);
    putb(src, "config/sub/dir/x.txt", "", 0, 0755);
    putb(src, "config/.msmigrate/history", "[history]\n", -1, 0644);
    putb(src, "config/.imta.cnf.tmp-4242", "half-written", -1, 0600);
    putb(src, "config/.msg.conf.tmp-4242-7", "half-written", -1, 0600);
    putb(src, "config/ZZ-last", "z", -1, 0644);
    putb(src, "config/a-first", "a", -1, 0644);

    GPtrArray *items = read_all(NULL, src, "ms-6.3", NULL);
    char *k = keys(items);
    CU_ASSERT_STRING_EQUAL(k, "config/ZZ-last config/a-first config/imta.cnf "
                              "config/msg.conf.defaults config/sub/dir/x.txt "
                              "config/tcp_local_option");
    g_free(k);
    MsmItem *first = items->pdata[3];
    MsmConfigFile *f = first->payload;
    CU_ASSERT_EQUAL(first->kind, MSM_KIND_CONFIG);
    CU_ASSERT_STRING_EQUAL(f->relpath, "msg.conf.defaults");
    CU_ASSERT_EQUAL(f->mode, 0444);
    CU_ASSERT_EQUAL(g_bytes_get_size(f->content), sizeof binary - 1);

    const char *dst = msm_test_tmpdir();
    write_all(NULL, dst, "ms-6.3", items);
    static const char *const files[] = {"msg.conf.defaults", "imta.cnf", "tcp_local_option",
                                        "sub/dir/x.txt",     "ZZ-last",  "a-first"};
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        char *rel = g_build_filename("config", files[i], NULL);
        same_file(src, rel, dst, rel);
        g_free(rel);
    }
    char *skipped = g_build_filename(dst, "config", ".msmigrate", NULL);
    CU_ASSERT_FALSE(g_file_test(skipped, G_FILE_TEST_EXISTS));
    g_free(skipped);

    /* the written tree reads back as the same items; putting again replaces */
    GPtrArray *again = read_all(NULL, dst, "ms-6.3", NULL);
    char *k1 = keys(items), *k2 = keys(again);
    CU_ASSERT_STRING_EQUAL(k1, k2);
    g_free(k1);
    g_free(k2);
    for (guint i = 0; i < again->len; i++) {
        MsmConfigFile *x = ((MsmItem *)items->pdata[i])->payload;
        MsmConfigFile *y = ((MsmItem *)again->pdata[i])->payload;
        CU_ASSERT_TRUE(g_bytes_equal(x->content, y->content));
        CU_ASSERT_EQUAL(x->mode, y->mode);
    }
    write_all(NULL, dst, "ms-6.3", items);
    MsmConfigFile *imta = ((MsmItem *)items->pdata[2])->payload;
    g_bytes_unref(imta->content);
    imta->content = g_bytes_new_static("! changed\n", 10);
    GPtrArray *one = g_ptr_array_new();
    g_ptr_array_add(one, items->pdata[2]);
    write_all(NULL, dst, "ms-6.3", one);
    g_ptr_array_unref(one);
    char *got = NULL, *p = g_build_filename(dst, "config/imta.cnf", NULL);
    CU_ASSERT_TRUE(g_file_get_contents(p, &got, NULL, NULL));
    CU_ASSERT_STRING_EQUAL(got, "! changed\n");
    g_free(got);
    g_free(p);
    g_ptr_array_unref(again);
    g_ptr_array_unref(items);
}

static void
test_round_trip_ims52(void)
{
    const char *src = msm_test_tmpdir();
    putb(src, "msg-budgie/config/msg.conf", "service.imap.port = 143\n", -1, 0600);
    putb(src, "msg-budgie/config/backup-groups.conf", "g=*\n", -1, 0644);
    putb(src, "msg-budgie/imta/config/imta.cnf", "! 5.2\n", -1, 0644);
    putb(src, "msg-budgie/imta/config/mappings", "PORT_ACCESS\n\n", -1, 0644);
    putb(src, "msg-budgie/imta/config/tcp_local_headers.opt", "x\n", -1, 0644);
    MsmCtx *ctx = g_new0(MsmCtx, 1);
    GPtrArray *items = read_all(ctx, src, "ims-5.2", NULL);
    char *k = keys(items);
    CU_ASSERT_STRING_EQUAL(k, "config/backup-groups.conf config/msg.conf config/imta.cnf "
                              "config/mappings config/tcp_local_headers.opt");
    g_free(k);

    /* written to another instance name chosen with --instance */
    ctx->instance = g_strdup("new");
    const char *dst = msm_test_tmpdir();
    write_all(ctx, dst, "ims-5.2", items);
    same_file(src, "msg-budgie/config/msg.conf", dst, "msg-new/config/msg.conf");
    same_file(src, "msg-budgie/config/backup-groups.conf", dst,
              "msg-new/config/backup-groups.conf");
    same_file(src, "msg-budgie/imta/config/imta.cnf", dst, "msg-new/imta/config/imta.cnf");
    same_file(src, "msg-budgie/imta/config/mappings", dst, "msg-new/imta/config/mappings");
    same_file(src, "msg-budgie/imta/config/tcp_local_headers.opt", dst,
              "msg-new/imta/config/tcp_local_headers.opt");

    /* the same items written to a 6.x layout land in its one config directory */
    const char *ms = msm_test_tmpdir();
    write_all(ctx, ms, "ms-6.0", items);
    same_file(src, "msg-budgie/imta/config/imta.cnf", ms, "config/imta.cnf");
    same_file(src, "msg-budgie/config/msg.conf", ms, "config/msg.conf");
    g_free(ctx->instance);
    g_free(ctx);
    g_ptr_array_unref(items);
}

static void
test_round_trip_sims(void)
{
    const char *src = msm_test_tmpdir();
    putb(src, "etc/opt/SUNWmail/ims/ims.cnf", "ims-varmail ON\n", -1, 0644);
    putb(src, "etc/opt/SUNWmail/sims.cnf", "x\n", -1, 0600);
    putb(src, "etc/opt/SUNWmail/imta/imta.cnf", "! sims\n", -1, 0644);
    putb(src, "etc/opt/SUNWmail/imta/dirsync.opt", "d\n", -1, 0644);
    GPtrArray *items = read_all(NULL, src, "sims-4.0", NULL);
    char *k = keys(items);
    CU_ASSERT_STRING_EQUAL(k, "config/ims/ims.cnf config/sims.cnf config/imta/dirsync.opt "
                              "config/imta.cnf");
    g_free(k);
    const char *dst = msm_test_tmpdir();
    write_all(NULL, dst, "sims-4.0", items);
    static const char *const files[] = {"ims/ims.cnf", "sims.cnf", "imta/imta.cnf",
                                        "imta/dirsync.opt"};
    for (guint i = 0; i < G_N_ELEMENTS(files); i++) {
        char *rel = g_build_filename("etc/opt/SUNWmail", files[i], NULL);
        same_file(src, rel, dst, rel);
        g_free(rel);
    }
    g_ptr_array_unref(items);
}

/* Puts one config item with relpath into a new ms-6.3 target; returns the error. */
static GError *
put_one(const char *dst, const char *relpath)
{
    const MsmCodec *c = msm_core_config_files_codec();
    GError *err = NULL;
    gpointer w = c->writer_open(NULL, dst, "ms-6.3", &err);
    g_assert(w != NULL);
    GBytes *b = g_bytes_new_static("x", 1);
    MsmItem *it = msm_item_new(MSM_KIND_CONFIG, "config/x", msm_config_file_new(relpath, b));
    g_bytes_unref(b);
    if (c->writer_put(w, it, &err))
        g_assert(err == NULL);
    msm_item_free(it);
    c->writer_close(w);
    return err;
}

static void
test_unsafe_relpath(void)
{
    const char *top = msm_test_tmpdir();
    char *dst = g_build_filename(top, "target", NULL);
    static const char *const bad[] = {"../evil", "/etc/passwd", "a/../../b", "",
                                      "a//b",    "a\\b",        "./x"};
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = put_one(dst, bad[i]);
        CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
        g_clear_error(&err);
    }
    char *evil = g_build_filename(top, "evil", NULL);
    CU_ASSERT_FALSE(g_file_test(evil, G_FILE_TEST_EXISTS));
    g_free(evil);

    /* a link along the way in the target is not followed */
    char *outside = g_build_filename(top, "outside", NULL);
    g_assert(g_mkdir_with_parents(outside, 0755) == 0);
    char *cfg = g_build_filename(dst, "config", NULL);
    g_assert(g_mkdir_with_parents(cfg, 0755) == 0);
    char *link = g_build_filename(cfg, "sub", NULL);
    CU_ASSERT_EQUAL_FATAL(symlink(outside, link), 0);
    GError *err = put_one(dst, "sub/x.conf");
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "symbolic link"));
    g_clear_error(&err);
    char *escaped = g_build_filename(outside, "x.conf", NULL);
    CU_ASSERT_FALSE(g_file_test(escaped, G_FILE_TEST_EXISTS));
    g_free(escaped);

    /* a wrong kind of item */
    const MsmCodec *c = msm_core_config_files_codec();
    gpointer w = c->writer_open(NULL, dst, "ms-6.3", NULL);
    MsmItem *q = msm_item_new(MSM_KIND_QUEUE, "queue/x", NULL);
    CU_ASSERT_FALSE(c->writer_put(w, q, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    msm_item_free(q);
    c->writer_close(w);

    g_free(link);
    g_free(cfg);
    g_free(outside);
    g_free(dst);
}

static void
test_links_and_specials_refused(void)
{
    const char *src = msm_test_tmpdir();
    putb(src, "config/a.conf", "a\n", -1, 0644);
    putb(src, "config/msg.conf", "m\n", -1, 0644);
    putb(src, "config/z.conf", "z\n", -1, 0644);
    char *link = g_build_filename(src, "config", "link.conf", NULL);
    CU_ASSERT_EQUAL_FATAL(symlink("/etc/passwd", link), 0);
    char *fifo = g_build_filename(src, "config", "pipe", NULL);
    CU_ASSERT_EQUAL_FATAL(mkfifo(fifo, 0600), 0);

    const MsmCodec *c = msm_core_config_files_codec();
    GError *err = NULL;
    gpointer r = c->reader_open(NULL, src, "ms-6.0", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    GString *seen = g_string_new(NULL);
    guint errors = 0;
    for (guint guard = 0; guard < 20; guard++) {
        MsmItem *it = NULL;
        if (!c->reader_next(r, &it, &err)) {
            errors++;
            CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
            CU_ASSERT_TRUE(strstr(err->message, "link.conf") != NULL ||
                           strstr(err->message, "pipe") != NULL);
            g_string_append(seen, "! ");
            g_clear_error(&err);
            continue;
        }
        if (it == NULL)
            break;
        g_string_append_printf(seen, "%s ", it->key);
        msm_item_free(it);
    }
    c->reader_close(r);
    CU_ASSERT_EQUAL(errors, 2);
    CU_ASSERT_STRING_EQUAL(seen->str, "config/a.conf ! config/msg.conf ! config/z.conf ");
    g_string_free(seen, TRUE);
    g_free(link);
    g_free(fifo);
}

static void
test_duplicate_and_missing(void)
{
    const char *src = msm_test_tmpdir();
    putb(src, "etc/opt/SUNWmail/aliases", "a\n", -1, 0644);
    putb(src, "etc/opt/SUNWmail/imta/aliases", "b\n", -1, 0644);
    GError *err = NULL;
    GPtrArray *items = read_all(NULL, src, "sims-4.0", &err);
    CU_ASSERT_EQUAL(items->len, 1);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_FAILED));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "config/aliases"));
    g_clear_error(&err);
    g_ptr_array_unref(items);

    const char *empty = msm_test_tmpdir();
    items = read_all(NULL, empty, "ms-8.1", &err);
    CU_ASSERT_EQUAL(items->len, 0);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "Messaging Server 8.1"));
    g_clear_error(&err);
    g_ptr_array_unref(items);

    /* an iMS 5.2 instance without imta/config: only its config directory */
    const char *noimta = msm_test_tmpdir();
    putb(noimta, "msg-x/config/msg.conf", "m\n", -1, 0644);
    items = read_all(NULL, noimta, "ims-5.2", NULL);
    CU_ASSERT_EQUAL(items->len, 1);
    g_ptr_array_unref(items);
}

/* Reads root/rel. (transfer full, NULL if absent) */
static char *
get(const char *root, const char *rel)
{
    char *p = g_build_filename(root, rel, NULL);
    char *c = NULL;
    if (!g_file_get_contents(p, &c, NULL, NULL))
        c = NULL;
    g_free(p);
    return c;
}

/* The permission bits of root/rel. */
static guint
mode_of(const char *root, const char *rel)
{
    char *p = g_build_filename(root, rel, NULL);
    struct stat st;
    g_assert(lstat(p, &st) == 0);
    g_free(p);
    return st.st_mode & 07777;
}

/* A config item with relpath, text and mode. (transfer full) */
static MsmItem *
item(const char *relpath, const char *text, guint mode)
{
    GBytes *b = g_bytes_new(text, strlen(text));
    MsmConfigFile *f = msm_config_file_new(relpath, b);
    g_bytes_unref(b);
    f->mode = mode;
    char *key = g_strconcat("config/", relpath, NULL);
    MsmItem *it = msm_item_new(MSM_KIND_CONFIG, key, f);
    g_free(key);
    return it;
}

static void
test_rollback(void)
{
    const char *dst = msm_test_tmpdir();
    putb(dst, "config/msg.conf", "# the installer's msg.conf\n", -1, 0600);
    putb(dst, "config/msg.conf.defaults", "# defaults\n", -1, 0444);
    MsmCtx *ctx = g_new0(MsmCtx, 1);
    ctx->work_dir = g_build_filename(msm_test_tmpdir(), "runs", "R1", NULL);

    GPtrArray *items = g_ptr_array_new_with_free_func((GDestroyNotify)msm_item_free);
    g_ptr_array_add(items, item("msg.conf", "service.imap.port = 143\n", 0640));
    g_ptr_array_add(items, item("extra/deep/f1.conf", "new\n", 0644));
    g_ptr_array_add(items, item("imta.cnf", "! new\n", 0644));
    write_all(ctx, dst, "ms-6.3", items);
    /* a resumed run puts the same items again: the first backup is kept */
    write_all(ctx, dst, "ms-6.3", items);
    char *got = get(dst, "config/msg.conf");
    CU_ASSERT_STRING_EQUAL(got, "service.imap.port = 143\n");
    g_free(got);
    CU_ASSERT_EQUAL(mode_of(dst, "config/msg.conf"), 0640);

    const MsmCodec *c = msm_core_config_files_codec();
    GError *err = NULL;
    for (int round = 0; round < 2; round++) {
        gboolean ok = c->rollback(ctx, dst, "ms-6.3", &err);
        if (!ok)
            fprintf(stderr, "rollback: %s\n", err->message);
        CU_ASSERT_TRUE(ok);
        g_clear_error(&err);
        got = get(dst, "config/msg.conf");
        CU_ASSERT_STRING_EQUAL(got, "# the installer's msg.conf\n");
        g_free(got);
        CU_ASSERT_EQUAL(mode_of(dst, "config/msg.conf"), 0600);
        got = get(dst, "config/msg.conf.defaults");
        CU_ASSERT_STRING_EQUAL(got, "# defaults\n");
        g_free(got);
        char *gone = get(dst, "config/imta.cnf");
        CU_ASSERT_PTR_NULL(gone);
        g_free(gone);
        char *extra = g_build_filename(dst, "config", "extra", NULL);
        CU_ASSERT_FALSE(g_file_test(extra, G_FILE_TEST_EXISTS));
        g_free(extra);
        char *cfg = g_build_filename(dst, "config", NULL);
        CU_ASSERT_TRUE(g_file_test(cfg, G_FILE_TEST_IS_DIR));
        g_free(cfg);
    }

    /* a run that wrote nothing has nothing to undo; without a work directory
     * there is no record to undo from */
    g_free(ctx->work_dir);
    ctx->work_dir = g_build_filename(msm_test_tmpdir(), "runs", "R2", NULL);
    CU_ASSERT_TRUE(c->rollback(ctx, dst, "ms-6.3", &err));
    g_free(ctx->work_dir);
    ctx->work_dir = NULL;
    CU_ASSERT_FALSE(c->rollback(ctx, dst, "ms-6.3", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);

    /* a run into an empty root removes the directories it made */
    const char *top = msm_test_tmpdir();
    char *fresh = g_build_filename(top, "fresh", NULL);
    ctx->work_dir = g_build_filename(msm_test_tmpdir(), "runs", "R3", NULL);
    write_all(ctx, fresh, "ms-8.1", items);
    got = get(fresh, "config/extra/deep/f1.conf");
    CU_ASSERT_STRING_EQUAL(got, "new\n");
    g_free(got);
    CU_ASSERT_TRUE(c->rollback(ctx, fresh, "ms-8.1", &err));
    CU_ASSERT_FALSE(g_file_test(fresh, G_FILE_TEST_EXISTS));

    /* a record naming a path outside the root is refused */
    char *manifest = g_build_filename(ctx->work_dir, "config-files", "manifest", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(manifest, "created /etc/passwd\n", -1, NULL));
    CU_ASSERT_FALSE(c->rollback(ctx, fresh, "ms-8.1", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
    g_clear_error(&err);
    g_free(manifest);
    g_free(fresh);

    g_free(ctx->work_dir);
    g_free(ctx);
    g_ptr_array_unref(items);
}

static void
test_estimate_and_link_target(void)
{
    const char *src = msm_test_tmpdir();
    putb(src, "config/a", "12345", -1, 0644);
    putb(src, "config/b/c", "678", -1, 0644);
    const MsmCodec *c = msm_core_config_files_codec();
    gpointer r = c->reader_open(NULL, src, "ms-7.0", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    guint64 n = 0, bytes = 0;
    CU_ASSERT_TRUE(c->reader_estimate(r, &n, &bytes));
    CU_ASSERT_EQUAL(n, 2);
    CU_ASSERT_EQUAL(bytes, 8);
    c->reader_close(r);

    /* a file in the target that is a symbolic link is not replaced through */
    const char *dst = msm_test_tmpdir();
    char *cfg = g_build_filename(dst, "config", NULL);
    g_assert(g_mkdir_with_parents(cfg, 0755) == 0);
    char *victim = g_build_filename(msm_test_tmpdir(), "victim", NULL);
    g_assert(g_file_set_contents(victim, "keep", -1, NULL));
    char *link = g_build_filename(cfg, "msg.conf", NULL);
    CU_ASSERT_EQUAL_FATAL(symlink(victim, link), 0);
    gpointer w = c->writer_open(NULL, dst, "ms-7.0", NULL);
    MsmItem *it = item("msg.conf", "x", 0644);
    GError *err = NULL;
    CU_ASSERT_FALSE(c->writer_put(w, it, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_UNSAFE));
    g_clear_error(&err);
    msm_item_free(it);
    c->writer_close(w);
    char *kept = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(victim, &kept, NULL, NULL));
    CU_ASSERT_STRING_EQUAL(kept, "keep");
    g_free(kept);
    g_free(link);
    g_free(victim);
    g_free(cfg);
}

MSM_TEST_MAIN("config-codec", MSM_TEST(test_codec_descriptor), MSM_TEST(test_round_trip_ms),
              MSM_TEST(test_round_trip_ims52), MSM_TEST(test_round_trip_sims),
              MSM_TEST(test_unsafe_relpath), MSM_TEST(test_links_and_specials_refused),
              MSM_TEST(test_duplicate_and_missing), MSM_TEST(test_rollback),
              MSM_TEST(test_estimate_and_link_target))
