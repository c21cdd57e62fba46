/*
 * NAME
 *	test-confdoc.c - the generic lossless document engine, with test formats
 * DESCRIPTION
 *	A tiny "k=v" format defined here drives the engine: line splitting,
 *	the exact-coverage check after parsing, set/insert/remove placement,
 *	line ends, warnings. The real formats have their own test programs.
 */
#include "config.h"

#include "testutil.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include "registry.h"
#include "sample.h"

#include <string.h>

/* k=v lines, "[name]" sections, "#" comments; anything else verbatim. */
static gboolean
kv_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    (void)error;
    GArray *lines = msm_conf_split_lines(text, len);
    char *section = g_strdup("");
    for (guint i = 0; i < lines->len; i++) {
        const MsmConfLine *l = &g_array_index(lines, MsmConfLine, i);
        char *t = g_strndup(l->start, l->text_len);
        char *eq = strchr(t, '=');
        gboolean blank = TRUE;
        for (const char *c = t; *c; c++)
            blank &= g_ascii_isspace(*c) != 0;
        if (blank) {
            msm_confdoc_add_node(doc, MSM_CONF_BLANK, l->start, l->len, i + 1, 1, section, NULL,
                                 NULL);
        } else if (t[0] == '#') {
            msm_confdoc_add_node(doc, MSM_CONF_COMMENT, l->start, l->len, i + 1, 1, section,
                                 NULL, NULL);
        } else if (t[0] == '[' && t[l->text_len - 1] == ']') {
            g_free(section);
            section = g_strndup(t + 1, l->text_len - 2);
            msm_confdoc_add_node(doc, MSM_CONF_SECTION, l->start, l->len, i + 1, 1, section,
                                 section, NULL);
        } else if (eq) {
            *eq = '\0';
            msm_confdoc_add_node(doc, MSM_CONF_ENTRY, l->start, l->len, i + 1, 1, section, t,
                                 eq + 1);
        } else {
            msm_confdoc_add_node(doc, MSM_CONF_VERBATIM, l->start, l->len, i + 1, 1, section,
                                 NULL, NULL);
            msm_confdoc_warn(doc, i + 1, "no \"=\": kept as it is");
        }
        g_free(t);
    }
    g_free(section);
    g_array_unref(lines);
    return TRUE;
}

static char *
kv_render(const MsmConfDoc *doc, const char *section, const char *key, const char *value)
{
    (void)doc;
    (void)section;
    return g_strdup_printf("%s=%s\n", key, value);
}

static char *
kv_section(const MsmConfDoc *doc, const char *section)
{
    (void)doc;
    return g_strdup_printf("[%s]\n", section);
}

static const char *const kv_files[] = {"*.kv", NULL};
static const MsmConfFormat kv = {.name = "kv",
                                 .files = kv_files,
                                 .keys_case_insensitive = TRUE,
                                 .parse = kv_parse,
                                 .render_entry = kv_render,
                                 .render_section = kv_section};

/* A parser that loses the last byte: the engine must refuse its result. */
static gboolean
lossy_parse(MsmConfDoc *doc, const char *text, gsize len, GError **error)
{
    (void)error;
    if (len > 1)
        msm_confdoc_add_node(doc, MSM_CONF_VERBATIM, text, len - 1, 1, 1, "", NULL, NULL);
    return TRUE;
}
static const MsmConfFormat lossy = {.name = "lossy", .parse = lossy_parse};

static MsmConfDoc *
parse(const char *text)
{
    GError *err = NULL;
    MsmConfDoc *d = msm_confdoc_parse(&kv, "t.kv", text, strlen(text), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    return d;
}

static char *
text_of(const MsmConfDoc *d)
{
    GBytes *b = msm_confdoc_serialize(d);
    gsize len;
    const char *p = g_bytes_get_data(b, &len);
    char *s = g_strndup(p, len);
    g_bytes_unref(b);
    return s;
}

#define EXPECT_TEXT(d, want)                                                                   \
    do {                                                                                       \
        char *got_ = text_of(d);                                                               \
        CU_ASSERT_STRING_EQUAL(got_, want);                                                    \
        g_free(got_);                                                                          \
    } while (0)

static void
test_split_lines(void)
{
    const char *t = "a\r\nbb\n\nlast";
    GArray *l = msm_conf_split_lines(t, strlen(t));
    CU_ASSERT_EQUAL_FATAL(l->len, 4);
    MsmConfLine *x = &g_array_index(l, MsmConfLine, 0);
    CU_ASSERT_EQUAL(x->len, 3);
    CU_ASSERT_EQUAL(x->text_len, 1);
    x = &g_array_index(l, MsmConfLine, 2);
    CU_ASSERT_EQUAL(x->len, 1);
    CU_ASSERT_EQUAL(x->text_len, 0);
    x = &g_array_index(l, MsmConfLine, 3);
    CU_ASSERT_EQUAL(x->len, 4);
    CU_ASSERT_EQUAL(x->text_len, 4);
    g_array_unref(l);
}

static void
test_round_trip_and_lookup(void)
{
    const char *t = "# top\r\na=1\r\nodd line\n\n[s1]\nB=2\n[s2]\nc=3";
    MsmConfDoc *d = parse(t);
    EXPECT_TEXT(d, t);
    CU_ASSERT_EQUAL(msm_confdoc_n_nodes(d), 8);
    MsmConfNode *n = msm_confdoc_find(d, "S1", "b"); /* case-insensitive format */
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_STRING_EQUAL(n->value, "2");
    CU_ASSERT_EQUAL(n->line, 6);
    CU_ASSERT_PTR_NULL(msm_confdoc_find(d, "s2", "b"));
    GPtrArray *w = msm_confdoc_warnings(d);
    CU_ASSERT_EQUAL_FATAL(w->len, 1);
    CU_ASSERT_STRING_EQUAL(w->pdata[0], "t.kv:3: no \"=\": kept as it is");
    GPtrArray *e = msm_confdoc_entries(d);
    CU_ASSERT_EQUAL(e->len, 3);
    g_ptr_array_unref(e);
    msm_confdoc_free(d);
}

static void
test_set_existing_changes_one_line(void)
{
    MsmConfDoc *d = parse("# c\na=1\nb=2\n");
    CU_ASSERT_TRUE(msm_confdoc_set(d, "", "A", "10", NULL));
    EXPECT_TEXT(d, "# c\nA=10\nb=2\n");
    CU_ASSERT_TRUE(msm_confdoc_find(d, "", "a")->dirty);
    CU_ASSERT_FALSE(msm_confdoc_find(d, "", "b")->dirty);
    msm_confdoc_free(d);
    /* the last line had no line end: it still has none */
    d = parse("a=1\nb=2");
    CU_ASSERT_TRUE(msm_confdoc_set(d, "", "b", "3", NULL));
    EXPECT_TEXT(d, "a=1\nb=3");
    msm_confdoc_free(d);
}

static void
test_insert_placement(void)
{
    MsmConfDoc *d = parse("a=1\n\n[s1]\nx=1\n# trailing comment\n[s2]\n");
    CU_ASSERT_TRUE(msm_confdoc_set(d, "", "new", "top", NULL)); /* after a=1 */
    CU_ASSERT_TRUE(msm_confdoc_set(d, "s1", "y", "2", NULL));   /* after x=1 */
    CU_ASSERT_TRUE(msm_confdoc_set(d, "s2", "z", "3", NULL));   /* after the header */
    CU_ASSERT_TRUE(msm_confdoc_set(d, "s3", "w", "4", NULL));   /* new section at the end */
    EXPECT_TEXT(d, "a=1\nnew=top\n\n[s1]\nx=1\ny=2\n# trailing comment\n[s2]\nz=3\n[s3]\nw=4\n");
    msm_confdoc_free(d);
    /* top level with no entries yet: before the first section */
    d = parse("# c\n[s]\nk=v");
    CU_ASSERT_TRUE(msm_confdoc_set(d, "", "g", "1", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(d, "s", "k2", "v2", NULL));
    EXPECT_TEXT(d, "# c\ng=1\n[s]\nk=v\nk2=v2\n");
    msm_confdoc_free(d);
    /* an empty document */
    d = msm_confdoc_new(&kv, "new.kv");
    CU_ASSERT_TRUE(msm_confdoc_set(d, "", "a", "1", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(d, "s", "b", "2", NULL));
    EXPECT_TEXT(d, "a=1\n[s]\nb=2\n");
    msm_confdoc_free(d);
}

static void
test_remove(void)
{
    MsmConfDoc *d = parse("a=1\n# about b\nb=2\nc=3\n");
    CU_ASSERT_TRUE(msm_confdoc_remove(d, "", "b"));
    CU_ASSERT_FALSE(msm_confdoc_remove(d, "", "b"));
    EXPECT_TEXT(d, "a=1\n# about b\nc=3\n");
    msm_confdoc_free(d);
}

static void
test_lossy_parser_refused(void)
{
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_confdoc_parse(&lossy, "x.conf", "abc\n", 4, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "x.conf"));
    g_clear_error(&err);
    /* a CRLF document without a final line end gets CRLF, not LF, before an addition */
    MsmConfDoc *c = parse("a=1\r\nb=2");
    CU_ASSERT_TRUE(msm_confdoc_set(c, "", "z", "9", NULL));
    EXPECT_TEXT(c, "a=1\r\nb=2\r\nz=9\n");
    msm_confdoc_free(c);
    /* a format without a renderer cannot be changed */
    MsmConfDoc *d = msm_confdoc_new(&lossy, "x.conf");
    CU_ASSERT_FALSE(msm_confdoc_set(d, "", "a", "1", &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    g_clear_error(&err);
    msm_confdoc_free(d);
}

static void
test_format_table(void)
{
    const MsmConfFormat *const *all = msm_conf_formats();
    guint n = 0;
    for (const MsmConfFormat *const *f = all; *f; f++, n++) {
        CU_ASSERT_PTR_NOT_NULL((*f)->name);
        CU_ASSERT_PTR_NOT_NULL((*f)->parse);
        CU_ASSERT_PTR_EQUAL(msm_conf_format_find((*f)->name), *f);
    }
    CU_ASSERT_EQUAL(n, 18);
    const struct {
        const char *file, *format;
    } map[] = {
        {"config/msg.conf", "configutil"},
        {"config/msg.conf.defaults", "configutil"},
        {"config/option.dat", "option.dat"},
        {"config/tcp_local_option", "channel_option"},
        {"config/imta.cnf", "imta.cnf"},
        {"config/mappings", "mappings"},
        {"config/job_controller.cnf", "job_controller.cnf"},
        {"config/dispatcher.cnf", "dispatcher.cnf"},
        {"imta/imta_tailor", "imta_tailor"},
        {"ims/ims.cnf", "sims.cnf"},
        {"config/ImapProxyAService.cfg", "mmp.cfg"},
        {"config/config.xml", "config.xml"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(map); i++) {
        const MsmConfFormat *f = msm_conf_format_for_file(map[i].file);
        CU_ASSERT_PTR_NOT_NULL(f);
        if (f && strcmp(f->name, map[i].format) != 0)
            fprintf(stderr, "%s -> %s, wanted %s\n", map[i].file, f->name, map[i].format);
        CU_ASSERT_TRUE(f && strcmp(f->name, map[i].format) == 0);
    }
    CU_ASSERT_PTR_NULL(msm_conf_format_for_file("config/unknown.bin"));
}

/* Walks dir, parsing every file that has a format. */
static void
check_tree(const char *dir, guint *parsed, guint *warnings)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    if (d == NULL)
        return;
    const char *e;
    while ((e = g_dir_read_name(d)) != NULL) {
        char *p = g_build_filename(dir, e, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR)) {
            if (strcmp(e, "ldap") != 0)
                check_tree(p, parsed, warnings);
        } else {
            const MsmConfFormat *f = msm_conf_format_for_file(p);
            char *data = NULL;
            gsize len = 0;
            if (f && g_file_get_contents(p, &data, &len, NULL)) {
                GError *err = NULL;
                MsmConfDoc *doc = msm_confdoc_parse(f, p, data, len, &err);
                CU_ASSERT_PTR_NOT_NULL(doc);
                if (doc) {
                    GBytes *b = msm_confdoc_serialize(doc);
                    gsize blen;
                    const void *bd = g_bytes_get_data(b, &blen);
                    CU_ASSERT_TRUE(blen == len && memcmp(bd, data, len) == 0);
                    g_bytes_unref(b);
                    GPtrArray *w = msm_confdoc_warnings(doc);
                    for (guint i = 0; i < w->len; i++)
                        fprintf(stderr, "sample warning: %s\n", (const char *)w->pdata[i]);
                    *warnings += w->len;
                    (*parsed)++;
                    msm_confdoc_free(doc);
                }
                g_clear_error(&err);
            }
            g_free(data);
        }
        g_free(p);
    }
    g_dir_close(d);
}

/* Every configuration file the sample generator writes parses with its format,
 * round-trips, and contains nothing the parsers had to keep verbatim. */
static void
test_samples_parse_cleanly(void)
{
    const char *versions[] = {"sims-4.0", "nms-3.x", "nms-4.1", "ims-5.2",
                              "ms-6.2",   "ms-6.3",  "ms-7.0.5", "ms-8.1"};
    MsmRegistry *reg = msm_registry_new();
    for (guint i = 0; i < G_N_ELEMENTS(versions); i++) {
        char *dir = g_build_filename(msm_test_tmpdir(), "s", NULL);
        MsmSampleSpec spec = {versions[i], 6, 11, NULL, 1};
        MsmSampleResult res = {0};
        GError *err = NULL;
        CU_ASSERT_TRUE_FATAL(msm_sample_write(reg, &spec, dir, &res, &err));
        guint parsed = 0, warnings = 0;
        check_tree(dir, &parsed, &warnings);
        if (versions[i][0] == 'i' || versions[i][0] == 'm' || versions[i][0] == 's')
            CU_ASSERT_TRUE(parsed >= 3);
        CU_ASSERT_EQUAL(warnings, 0);
        msm_sample_result_clear(&res);
        g_free(dir);
    }
    msm_registry_free(reg);
}

MSM_TEST_MAIN("confdoc", MSM_TEST(test_split_lines), MSM_TEST(test_round_trip_and_lookup),
              MSM_TEST(test_set_existing_changes_one_line), MSM_TEST(test_insert_placement),
              MSM_TEST(test_remove), MSM_TEST(test_lossy_parser_refused),
              MSM_TEST(test_format_table), MSM_TEST(test_samples_parse_cleanly))
