/*
 * NAME
 *	test-corpus.c - the round-trip corpus of every configuration parser
 * SUMMARY
 *	Table-driven: every file of tests/data/corpus/ (each [C] example of
 *	domain-facts §2, plus a model file for each other format; their sources
 *	are in tests/data/corpus/SOURCES) is parsed by its format and must come
 *	back byte for byte with no warning. From each file the test derives
 *	hostile variants - CRLF line ends, no final line end, a trailing
 *	backslash at EOF, a very long line, an unknown section, every key
 *	duplicated, non-UTF-8 bytes, a line of garbage - and asserts for each:
 *	the parse succeeds, the bytes round-trip, and every construct kept
 *	verbatim has a warning naming its file and line (a warning, not a
 *	loss). A NUL byte fails with MSM_ERROR_PARSE naming file:line (or is
 *	kept verbatim with a warning). Every
 *	format msmigrate knows is covered by at least one file. The last test
 *	checks the identity index of core/confdoc.c (lookups after removals of
 *	duplicates, case folding, nodes changed behind the document's back).
 */
#include "config.h"

#include "testutil.h"

#include <msmigrate/confdoc.h>
#include <msmigrate/error.h>

#include <string.h>

static const struct {
    const char *file;
    const char *format;
} corpus[] = {
    {"imta-cnf-rewrite-rules", "imta.cnf"},
    {"imta-cnf-channel-blocks", "imta.cnf"},
    {"imta-cnf-defaults-channel", "imta.cnf"},
    {"option-dat-spaces", "option.dat"},
    {"option-dat-real-keys", "option.dat"},
    {"job-controller-sims40", "job_controller.cnf"},
    {"job-controller-ms6", "job_controller.cnf"},
    {"dispatcher-sample", "dispatcher.cnf"},
    {"dispatcher-other-keys", "dispatcher.cnf"},
    {"imta-tailor-sims40", "imta_tailor"},
    {"imta-tailor-ms6", "imta_tailor"},
    {"mappings-charset-conversion", "mappings"},
    {"aliases-example", "aliases"},
    {"backup-groups-example", "backup-groups.conf"},
    {"configutil-listing-62", "configutil"},
    {"conversions-rules", "conversions"},
    {"channel-option-keys", "channel_option"},
    {"headers-opt-model", "headers.opt"},
    {"internet-rules-model", "internet.rules"},
    {"sims-cnf-params", "sims.cnf"},
    {"mmp-cfg-lines", "mmp.cfg"},
    {"config-xml-msconfig-names", "config.xml"},
    {"restricted-cnf-model", "restricted.cnf"},
    {"nsmsgcfg-ldif-store", "nsmsgcfg.ldif"},
};

static GBytes *
read_corpus(const char *name)
{
    const char *top = g_getenv("MSM_TOP_SRCDIR");
    char *p = g_build_filename(top ? top : ".", "tests", "data", "corpus", name, NULL);
    char *data = NULL;
    gsize len = 0;
    GError *err = NULL;
    if (!g_file_get_contents(p, &data, &len, &err))
        fprintf(stderr, "%s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    g_free(p);
    return g_bytes_new_take(data, len);
}

/* TRUE for a VERBATIM node the format documents as structure, kept without a warning
 * (config.xml closing tags). */
static gboolean
silent_structure(const MsmConfFormat *fmt, const MsmConfNode *n)
{
    if (strcmp(fmt->name, "config.xml") != 0)
        return FALSE;
    char *t = g_strndup(n->raw->str, n->raw->len);
    g_strstrip(t);
    gboolean s = strcmp(t, "</group>") == 0 || strcmp(t, "</configuration>") == 0;
    g_free(t);
    return s;
}

/* Parses data as fmt; asserts the round trip and a warning for every verbatim node.
 * Returns the document (transfer full) or NULL after a failed assertion. */
static MsmConfDoc *
check_variant(const MsmConfFormat *fmt, const char *name, const char *data, gsize len,
              const char *what)
{
    GError *err = NULL;
    MsmConfDoc *doc = msm_confdoc_parse(fmt, name, data, len, &err);
    if (doc == NULL) {
        fprintf(stderr, "%s (%s, %s): %s\n", name, fmt->name, what, err ? err->message : "?");
        g_clear_error(&err);
        CU_FAIL("parse failed");
        return NULL;
    }
    GBytes *out = msm_confdoc_serialize(doc);
    gsize olen = 0;
    const char *o = g_bytes_get_data(out, &olen);
    gboolean same = olen == len && (len == 0 || memcmp(o, data, len) == 0);
    if (!same)
        fprintf(stderr, "%s (%s, %s): not byte-identical\n", name, fmt->name, what);
    CU_ASSERT_TRUE(same);
    g_bytes_unref(out);
    GPtrArray *warn = msm_confdoc_warnings(doc);
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++) {
        const MsmConfNode *n = msm_confdoc_node(doc, i);
        if (n->type != MSM_CONF_VERBATIM || silent_structure(fmt, n))
            continue;
        gboolean warned = FALSE;
        for (guint k = 0; k < n->nlines && !warned; k++) {
            char *prefix = g_strdup_printf("%s:%u:", name, n->line + k);
            for (guint j = 0; warn && j < warn->len && !warned; j++)
                warned = g_str_has_prefix(warn->pdata[j], prefix);
            g_free(prefix);
        }
        if (!warned)
            fprintf(stderr, "%s (%s, %s): line %u kept verbatim without a warning\n", name,
                    fmt->name, what, n->line);
        CU_ASSERT_TRUE(warned);
    }
    return doc;
}

static guint
count_type(const MsmConfDoc *doc, MsmConfNodeType t)
{
    guint c = 0;
    for (guint i = 0; i < msm_confdoc_n_nodes(doc); i++)
        c += msm_confdoc_node(doc, i)->type == t;
    return c;
}

/* Every format has at least one corpus file. */
static void
test_every_format_covered(void)
{
    for (const MsmConfFormat *const *f = msm_conf_formats(); *f; f++) {
        gboolean found = FALSE;
        for (guint i = 0; i < G_N_ELEMENTS(corpus) && !found; i++)
            found = strcmp(corpus[i].format, (*f)->name) == 0;
        if (!found)
            fprintf(stderr, "format %s has no corpus file\n", (*f)->name);
        CU_ASSERT_TRUE(found);
    }
    for (guint i = 0; i < G_N_ELEMENTS(corpus); i++)
        CU_ASSERT_PTR_NOT_NULL(msm_conf_format_find(corpus[i].format));
}

/* The examples themselves: byte for byte, nothing verbatim, no warning. */
static void
test_examples_round_trip_cleanly(void)
{
    for (guint i = 0; i < G_N_ELEMENTS(corpus); i++) {
        const MsmConfFormat *fmt = msm_conf_format_find(corpus[i].format);
        GBytes *b = read_corpus(corpus[i].file);
        gsize len = 0;
        const char *d = g_bytes_get_data(b, &len);
        MsmConfDoc *doc = check_variant(fmt, corpus[i].file, d, len, "as quoted");
        CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
        GPtrArray *w = msm_confdoc_warnings(doc);
        for (guint k = 0; w && k < w->len; k++)
            fprintf(stderr, "unexpected warning: %s\n", (char *)w->pdata[k]);
        CU_ASSERT_EQUAL(w ? w->len : 0, 0);
        CU_ASSERT_TRUE(count_type(doc, MSM_CONF_ENTRY) >= 1);
        msm_confdoc_free(doc);
        g_bytes_unref(b);
    }
}

/* Entries as "section\x1fkey\x1fvalue" strings. (transfer full) */
static GPtrArray *
entry_strings(const MsmConfDoc *doc)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *e = msm_confdoc_entries(doc);
    for (guint i = 0; i < e->len; i++) {
        const MsmConfNode *n = e->pdata[i];
        g_ptr_array_add(out, g_strdup_printf("%s\x1f%s\x1f%s", n->section, n->key, n->value));
    }
    g_ptr_array_unref(e);
    return out;
}

typedef GString *(*Derive)(const char *data, gsize len, const char *format);

static GString *
v_crlf(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new(NULL);
    for (gsize i = 0; i < len; i++) {
        if (d[i] == '\n' && (i == 0 || d[i - 1] != '\r'))
            g_string_append_c(s, '\r');
        g_string_append_c(s, d[i]);
    }
    return s;
}

static GString *
v_no_final_newline(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new_len(d, (gssize)len);
    while (s->len && s->str[s->len - 1] == '\n')
        g_string_truncate(s, s->len - 1);
    return s;
}

static GString *
v_trailing_backslash(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new_len(d, (gssize)len);
    while (s->len && s->str[s->len - 1] == '\n')
        g_string_truncate(s, s->len - 1);
    g_string_append(s, " \\");
    return s;
}

static GString *
v_trailing_backslash_line(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new_len(d, (gssize)len);
    g_string_append(s, "\\");
    return s;
}

static GString *
v_long_line(const char *d, gsize len, const char *format)
{
    GString *s = g_string_new_len(d, (gssize)len);
    /* an entry-like line of 100,000 characters, in each format's own syntax where simple */
    const char *pfx = strcmp(format, "mappings") == 0         ? "  PATTERN "
                      : strcmp(format, "aliases") == 0        ? "longalias@siroe.com: "
                      : strcmp(format, "configutil") == 0     ? "service.long.value = "
                      : strcmp(format, "headers.opt") == 0    ? "X-Long: "
                      : strcmp(format, "mmp.cfg") == 0        ? "default:Long "
                      : strcmp(format, "nsmsgcfg.ldif") == 0  ? "description: "
                      : strcmp(format, "sims.cnf") == 0       ? "ims-long "
                      : strcmp(format, "config.xml") == 0     ? "<!-- "
                      : strcmp(format, "internet.rules") == 0 ? "long "
                      : strcmp(format, "imta.cnf") == 0       ? "longchannel "
                                                              : "LONG_OPTION=";
    g_string_append(s, pfx);
    for (int i = 0; i < 100000; i++)
        g_string_append_c(s, (char)('a' + i % 26));
    g_string_append(s, strcmp(format, "config.xml") == 0 ? " -->\n" : "\n");
    return s;
}

static GString *
v_unknown_section(const char *d, gsize len, const char *format)
{
    GString *s = g_string_new_len(d, (gssize)len);
    if (strcmp(format, "mappings") == 0)
        g_string_append(s, "\nUNKNOWN_TABLE_XYZ\n\n  a  b\n");
    else if (strcmp(format, "config.xml") == 0)
        g_string_append(s, "<section name=\"unknown\">\n<option name=\"a\" value=\"b\"/>\n"
                           "</section>\n");
    else if (strcmp(format, "nsmsgcfg.ldif") == 0)
        g_string_append(s, "\ndn: cn=Unknown, o=NetscapeRoot\nunknownAttr: x\n");
    else
        g_string_append(s, "[UNKNOWN=section]\nfoo=bar\n[]\n[no closing bracket\n");
    return s;
}

static GString *
v_duplicate_keys(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new_len(d, (gssize)len);
    if (s->len && s->str[s->len - 1] != '\n')
        g_string_append_c(s, '\n');
    if (strcmp(format, "config.xml") == 0) {
        /* the same options again, inside the root */
        g_string_append(s, "<configuration version=\"1\">\n"
                           "  <option name=\"ugldapbinddn\" value=\"again\"/>\n"
                           "</configuration>\n");
        return s;
    }
    g_string_append_len(s, d, (gssize)len);
    return s;
}

static GString *
v_non_utf8(const char *d, gsize len, const char *format)
{
    GString *s = g_string_new_len(d, (gssize)len);
    if (strcmp(format, "mappings") == 0)
        g_string_append(s, "  caf\xe9  r\xe9sum\xe9\xff\n");
    else
        g_string_append(s, "caf\xe9=\xff\xfe\xc3(\n\xff\xfe garbage \x80\x81\n");
    return s;
}

static GString *
v_garbage(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new_len(d, (gssize)len);
    g_string_append(s, "@@@ ??? <<< >>> === ;;; \"unterminated\n    \t\n\\\n");
    return s;
}

static GString *
v_bom_and_cr(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new("\xef\xbb\xbf");
    g_string_append_len(s, d, (gssize)len);
    g_string_append(s, "\r\n\r \t \r\nlone\rcarriage\rreturns\n\t\n");
    return s;
}

static GString *
v_long_continuation(const char *d, gsize len, const char *format)
{
    (void)format;
    GString *s = g_string_new_len(d, (gssize)len);
    g_string_append(s, "CHAIN=start \\\n");
    for (int i = 0; i < 2000; i++)
        g_string_append_printf(s, "  part%d \\\r\n", i);
    g_string_append(s, "  end\n");
    return s;
}

static GString *
v_empty(const char *d, gsize len, const char *format)
{
    (void)d;
    (void)len;
    (void)format;
    return g_string_new(NULL);
}

static GString *
v_only_comments_and_blanks(const char *d, gsize len, const char *format)
{
    (void)d;
    (void)len;
    return g_string_new(strcmp(format, "config.xml") == 0 ? "<!-- a -->\n\n<!--\nb\n-->\n"
                        : strcmp(format, "configutil") == 0 ? "# a\n\n# b\n"
                                                             : "! a\n\n! b\n   \n");
}

static const struct {
    const char *name;
    Derive fn;
} variants[] = {
    {"a BOM, lone CRs and blank lines with white space", v_bom_and_cr},
    {"a 2,000-line continuation", v_long_continuation},
    {"an empty file", v_empty},
    {"only comments and blank lines", v_only_comments_and_blanks},
    {"CRLF line ends", v_crlf},
    {"no final line end", v_no_final_newline},
    {"trailing backslash at EOF", v_trailing_backslash},
    {"a backslash line at EOF", v_trailing_backslash_line},
    {"a 100,000-character line", v_long_line},
    {"an unknown section", v_unknown_section},
    {"every key duplicated", v_duplicate_keys},
    {"non-UTF-8 bytes", v_non_utf8},
    {"garbage lines", v_garbage},
};

static void
test_hostile_variants(void)
{
    guint checked = 0;
    for (guint i = 0; i < G_N_ELEMENTS(corpus); i++) {
        const MsmConfFormat *fmt = msm_conf_format_find(corpus[i].format);
        GBytes *b = read_corpus(corpus[i].file);
        gsize len = 0;
        const char *d = g_bytes_get_data(b, &len);
        MsmConfDoc *base = msm_confdoc_parse(fmt, corpus[i].file, d, len, NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(base);
        GPtrArray *base_entries = entry_strings(base);
        for (guint v = 0; v < G_N_ELEMENTS(variants); v++) {
            GString *s = variants[v].fn(d, len, corpus[i].format);
            MsmConfDoc *doc =
                check_variant(fmt, corpus[i].file, s->str, s->len, variants[v].name);
            if (doc && variants[v].fn == v_crlf) {
                /* CR LF changes no setting */
                GPtrArray *e = entry_strings(doc);
                CU_ASSERT_EQUAL(e->len, base_entries->len);
                for (guint k = 0; k < e->len && k < base_entries->len; k++) {
                    if (strcmp(e->pdata[k], base_entries->pdata[k]) != 0)
                        fprintf(stderr, "%s CRLF: [%s] != [%s]\n", corpus[i].file,
                                (char *)e->pdata[k], (char *)base_entries->pdata[k]);
                    CU_ASSERT_STRING_EQUAL(e->pdata[k], base_entries->pdata[k]);
                }
                g_ptr_array_unref(e);
            }
            if (doc && variants[v].fn == v_duplicate_keys &&
                strcmp(corpus[i].format, "config.xml") != 0) {
                /* both copies of every entry are kept */
                GPtrArray *e = msm_confdoc_entries(doc);
                CU_ASSERT_TRUE(e->len >= 2 * base_entries->len);
                g_ptr_array_unref(e);
            }
            msm_confdoc_free(doc);
            g_string_free(s, TRUE);
            checked++;
        }
        /* a NUL byte: refused with file:line */
        GString *nul = g_string_new_len(d, (gssize)len);
        g_string_append_len(nul, "x\0y\n", 4);
        GError *err = NULL;
        MsmConfDoc *nd = msm_confdoc_parse(fmt, corpus[i].file, nul->str, nul->len, &err);
        if (nd) {
            /* a format may carry it verbatim with a warning instead */
            check_variant(fmt, corpus[i].file, nul->str, nul->len, "NUL byte");
            CU_ASSERT_TRUE(msm_confdoc_warnings(nd)->len > 0);
            msm_confdoc_free(nd);
        } else {
            CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
            char *want = g_strdup_printf("%s:", corpus[i].file);
            CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, want) : NULL);
            g_free(want);
            g_clear_error(&err);
        }
        g_string_free(nul, TRUE);
        g_ptr_array_unref(base_entries);
        msm_confdoc_free(base);
        g_bytes_unref(b);
    }
    CU_ASSERT_EQUAL(checked, G_N_ELEMENTS(corpus) * G_N_ELEMENTS(variants));
}

/* What a parser does not understand is a warning naming the line, never dropped. */
static void
test_not_understood_is_warned(void)
{
    static const struct {
        const char *format, *text;
        guint line;
    } cases[] = {
        {"imta.cnf", "a $U@a-host\nthis rule has three fields\n", 2},
        {"mappings", "  indented before any table\n", 1},
        {"aliases", "no colon here\n", 1},
        {"configutil", "not a parameter\n", 1},
        {"option.dat", "NO_EQUALS_SIGN\n", 1},
        {"job_controller.cnf", "[POOL=DEFAULT]\njob_limit\n", 2},
        {"restricted.cnf", "=value without a name\n", 1},
        {"config.xml", "<configuration version=\"1\">\n<frob/>\n</configuration>\n", 2},
        {"conversions", "  in-chan=x; out-chan=y\n", 1},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        const MsmConfFormat *fmt = msm_conf_format_find(cases[i].format);
        CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
        MsmConfDoc *doc = check_variant(fmt, "t", cases[i].text, strlen(cases[i].text),
                                        "not understood");
        CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
        CU_ASSERT_TRUE(count_type(doc, MSM_CONF_VERBATIM) >= 1);
        char *want = g_strdup_printf("t:%u:", cases[i].line);
        gboolean found = FALSE;
        GPtrArray *w = msm_confdoc_warnings(doc);
        for (guint k = 0; w && k < w->len; k++)
            found = found || g_str_has_prefix(w->pdata[k], want);
        if (!found)
            fprintf(stderr, "%s: no warning %s\n", cases[i].format, want);
        CU_ASSERT_TRUE(found);
        g_free(want);
        msm_confdoc_free(doc);
    }
}

/* The identity index: duplicates, removal, case folding, nodes changed behind its back. */
static void
test_identity_index(void)
{
    const MsmConfFormat *fmt = msm_conf_format_find("option.dat");
    const char *text = "A=1\nB=2\na=3\nC=4\nA=5\n";
    MsmConfDoc *doc = msm_confdoc_parse(fmt, "option.dat", text, strlen(text), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
    MsmConfNode *n = msm_confdoc_find(doc, "", "a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_STRING_EQUAL(n->value, "1"); /* the first, case-insensitively */
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "A"));
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(doc, "", "A")->value, "3");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "A"));
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(doc, "", "A")->value, "5");
    CU_ASSERT_TRUE(msm_confdoc_remove(doc, "", "A"));
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "A"));
    CU_ASSERT_FALSE(msm_confdoc_remove(doc, "", "A"));
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "A", "6", NULL));
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(doc, "", "a")->value, "6");
    CU_ASSERT_TRUE(msm_confdoc_set(doc, "", "A", "7", NULL)); /* changes, does not add */
    GPtrArray *e = msm_confdoc_entries(doc);
    CU_ASSERT_EQUAL(e->len, 3);
    g_ptr_array_unref(e);
    /* removing a duplicate that is not the first keeps the first */
    const char *t2 = "X=1\nX=2\nX=3\n";
    MsmConfDoc *d2 = msm_confdoc_parse(fmt, "option.dat", t2, strlen(t2), NULL);
    MsmConfNode *first = msm_confdoc_find(d2, "", "X");
    CU_ASSERT_STRING_EQUAL(first->value, "1");
    CU_ASSERT_TRUE(msm_confdoc_remove(d2, "", "X"));
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(d2, "", "X")->value, "2");
    /* a key changed behind the document's back is not found under its old name (the
     * index never returns a node whose identity differs from the one asked for) */
    MsmConfNode *b = msm_confdoc_find(doc, "", "B");
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    g_free(b->key);
    b->key = g_strdup("Z");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(doc, "", "B"));
    /* sections: case-sensitive formats do not fold */
    const MsmConfFormat *mf = msm_conf_format_find("mappings");
    const char *t3 = "T\n\n  a  1\n  A  2\n";
    MsmConfDoc *d3 = msm_confdoc_parse(mf, "mappings", t3, strlen(t3), NULL);
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(d3, "T", "A")->value, "2");
    CU_ASSERT_PTR_NULL(msm_confdoc_find(d3, "t", "a"));
    CU_ASSERT_TRUE(msm_confdoc_set(d3, "T", "b", "3", NULL));
    CU_ASSERT_STRING_EQUAL(msm_confdoc_find(d3, "T", "b")->value, "3");
    msm_confdoc_free(d3);
    msm_confdoc_free(d2);
    msm_confdoc_free(doc);

    /* placement through the index: new entries go after their table's last entry,
     * also after removals, across tables, and into a created table */
    const char *t4 = "A\n\n  a1  x\n\nB\n\n  b1  y\n";
    MsmConfDoc *d4 = msm_confdoc_parse(mf, "mappings", t4, strlen(t4), NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msm_confdoc_find(d4, "A", "a1"));
    for (int i = 2; i <= 4; i++) {
        char *k = g_strdup_printf("a%d", i);
        CU_ASSERT_TRUE(msm_confdoc_set(d4, "A", k, "x", NULL));
        g_free(k);
    }
    CU_ASSERT_TRUE(msm_confdoc_set(d4, "B", "b2", "y", NULL));
    CU_ASSERT_TRUE(msm_confdoc_remove(d4, "A", "a4"));
    CU_ASSERT_TRUE(msm_confdoc_set(d4, "A", "a5", "x", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(d4, "C", "c1", "z", NULL));
    CU_ASSERT_TRUE(msm_confdoc_set(d4, "C", "c2", "z", NULL));
    GBytes *o4 = msm_confdoc_serialize(d4);
    char *s4 = g_strndup(g_bytes_get_data(o4, NULL), g_bytes_get_size(o4));
    CU_ASSERT_STRING_EQUAL(s4, "A\n\n  a1  x\n  a2  x\n  a3  x\n  a5  x\n\nB\n\n  b1  y\n"
                               "  b2  y\n\nC\n\n  c1  z\n  c2  z\n");
    g_free(s4);
    g_bytes_unref(o4);
    msm_confdoc_free(d4);
}

MSM_TEST_MAIN("corpus", MSM_TEST(test_every_format_covered),
              MSM_TEST(test_examples_round_trip_cleanly), MSM_TEST(test_hostile_variants),
              MSM_TEST(test_not_understood_is_warned), MSM_TEST(test_identity_index))
