/*
 * NAME
 *	test-ldif.c - unit tests of core/ldif.c (RFC 2849 content records)
 * DESCRIPTION
 *	Writer: SAFE-STRING versus BASE64 choice, folding at 76 columns,
 *	entry order. Reader: version line, comments, continuation lines, CRLF,
 *	BASE64, blank-line separated records, and errors naming file and line
 *	(change records refused). Round trips of binary, NUL and non-ASCII
 *	values through a file.
 */
#include "config.h"

#include "ldif.h"

#include "testutil.h"

#include <string.h>

/* Writes text to a new file in a temporary directory. (transfer full: path) */
static char *
write_tmp(const char *name, const char *text, gssize len)
{
    char *path = g_build_filename(msm_test_tmpdir(), name, NULL);
    g_assert(g_file_set_contents(path, text, len, NULL));
    return path;
}

/* All entries of an LDIF file. (transfer full) NULL on error. */
static GPtrArray *
read_all(const char *path, GError **error)
{
    MsmLdifReader *r = msm_ldif_reader_open(path, error);
    if (r == NULL)
        return NULL;
    GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)msm_entry_free);
    for (;;) {
        MsmEntry *e = NULL;
        if (!msm_ldif_reader_next(r, &e, error)) {
            g_ptr_array_unref(out);
            out = NULL;
            break;
        }
        if (e == NULL)
            break;
        g_ptr_array_add(out, e);
    }
    msm_ldif_reader_free(r);
    return out;
}

/* TRUE if a and b have the same DN, attribute names in order, and values. */
static gboolean
entries_equal(const MsmEntry *a, const MsmEntry *b)
{
    if (strcmp(msm_entry_dn(a), msm_entry_dn(b)) != 0)
        return FALSE;
    GPtrArray *na = msm_entry_attribute_names(a), *nb = msm_entry_attribute_names(b);
    gboolean same = na->len == nb->len;
    for (guint i = 0; same && i < na->len; i++) {
        same = strcmp(na->pdata[i], nb->pdata[i]) == 0;
        GPtrArray *va = msm_entry_get(a, na->pdata[i]), *vb = msm_entry_get(b, nb->pdata[i]);
        same = same && va->len == vb->len;
        for (guint k = 0; same && k < va->len; k++)
            same = g_bytes_equal(va->pdata[k], vb->pdata[k]);
    }
    g_ptr_array_unref(na);
    g_ptr_array_unref(nb);
    return same;
}

static void
test_safe_strings(void)
{
    CU_ASSERT_TRUE(msm_ldif_value_is_safe("joe@siroe.com", 13));
    CU_ASSERT_TRUE(msm_ldif_value_is_safe("", 0));
    CU_ASSERT_TRUE(msm_ldif_value_is_safe("a: b <c>", 8));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe(" lead", 5));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe(":colon", 6));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe("<url", 4));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe("trail ", 6));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe("Müller", strlen("Müller")));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe("a\nb", 3));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe("a\rb", 3));
    CU_ASSERT_FALSE(msm_ldif_value_is_safe("a\0b", 3));
    CU_ASSERT_TRUE(msm_ldif_attr_name_is_valid("cn"));
    CU_ASSERT_TRUE(msm_ldif_attr_name_is_valid("cn;lang-ja"));
    CU_ASSERT_TRUE(msm_ldif_attr_name_is_valid("userCertificate;binary"));
    CU_ASSERT_TRUE(msm_ldif_attr_name_is_valid("2.5.4.3"));
    CU_ASSERT_FALSE(msm_ldif_attr_name_is_valid("1cn"));
    CU_ASSERT_FALSE(msm_ldif_attr_name_is_valid("cn;"));
    CU_ASSERT_FALSE(msm_ldif_attr_name_is_valid("2.5..4"));
    CU_ASSERT_FALSE(msm_ldif_attr_name_is_valid("mail host"));
    CU_ASSERT_FALSE(msm_ldif_attr_name_is_valid(""));
}

/* An entry with every kind of value the writer must encode. (transfer full) */
static MsmEntry *
tricky_entry(void)
{
    MsmEntry *e = msm_entry_new("uid=jmüller,ou=People,o=siroe.com,o=isp");
    msm_entry_add_string(e, "objectClass", "top");
    msm_entry_add_string(e, "objectClass", "inetOrgPerson");
    msm_entry_add_string(e, "cn", "Jürgen Müller");
    msm_entry_add_string(e, "cn;lang-ja", "田中 太郎");
    msm_entry_add_string(e, "description", " leading space");
    msm_entry_add_string(e, "description", ":leading colon");
    msm_entry_add_string(e, "description", "<not a URL");
    msm_entry_add_string(e, "description", "trailing space ");
    msm_entry_add_string(e, "description", "two\r\nlines");
    msm_entry_add(e, "description", "", 0);
    static const guint8 bin[] = {0x00, 0x01, 0xff, 0xfe, 0x0a, 0x0d, 0x00, 0x80};
    msm_entry_add(e, "jpegPhoto", bin, sizeof bin);
    GString *longv = g_string_new(NULL);
    for (int i = 0; i < 40; i++)
        g_string_append_printf(longv, "word%02d ", i);
    g_string_append(longv, "end");
    msm_entry_add_string(e, "mailSieveRuleSource", longv->str);
    g_string_free(longv, TRUE);
    GByteArray *big = g_byte_array_new();
    for (int i = 0; i < 3000; i++) {
        guint8 b = (guint8)(i * 7);
        g_byte_array_append(big, &b, 1);
    }
    msm_entry_add(e, "userCertificate;binary", big->data, big->len);
    g_byte_array_unref(big);
    return e;
}

static void
test_writer_format(void)
{
    MsmEntry *e = tricky_entry();
    GString *out = g_string_new(NULL);
    MsmLdifWriter *w = msm_ldif_writer_new_string(out);
    GError *err = NULL;
    CU_ASSERT_TRUE(msm_ldif_writer_comment(w, "first line\nsecond line", &err));
    CU_ASSERT_TRUE(msm_ldif_writer_put(w, e, &err));
    CU_ASSERT_EQUAL(msm_ldif_writer_count(w), 1);
    CU_ASSERT_TRUE(msm_ldif_writer_close(w, &err));
    CU_ASSERT_PTR_NULL(err);

    CU_ASSERT_TRUE(g_str_has_prefix(out->str, "version: 1\n# first line\n# second line\n\ndn:: "));
    char **lines = g_strsplit(out->str, "\n", -1);
    gboolean saw_fold = FALSE;
    for (char **l = lines; *l; l++) {
        CU_ASSERT_TRUE(strlen(*l) <= 76);
        if ((*l)[0] == ' ')
            saw_fold = TRUE;
    }
    CU_ASSERT_TRUE(saw_fold);
    g_strfreev(lines);
    CU_ASSERT_PTR_NOT_NULL(strstr(out->str, "\nobjectClass: top\nobjectClass: inetOrgPerson\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out->str, "\ncn:: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out->str, "\ncn;lang-ja:: "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out->str, "\ndescription:: IGxlYWRpbmcgc3BhY2U=\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out->str, "\ndescription:\n")); /* the empty value */
    CU_ASSERT_PTR_NOT_NULL(strstr(out->str, "\njpegPhoto:: AAH//goNAIA=\n"));
    /* attributes in the entry's order */
    const char *cn = strstr(out->str, "\ncn:: ");
    const char *desc = strstr(out->str, "\ndescription");
    const char *photo = strstr(out->str, "\njpegPhoto");
    CU_ASSERT_TRUE(cn && desc && photo && cn < desc && desc < photo);
    g_string_free(out, TRUE);
    msm_entry_free(e);
}

static void
test_round_trip(void)
{
    const char *dir = msm_test_tmpdir();
    char *path = g_build_filename(dir, "rt.ldif", NULL);
    GError *err = NULL;
    MsmLdifWriter *w = msm_ldif_writer_open(path, 0600, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(w);
    GPtrArray *in = g_ptr_array_new_with_free_func((GDestroyNotify)msm_entry_free);
    g_ptr_array_add(in, tricky_entry());
    for (int i = 0; i < 2000; i++) {
        char *dn = g_strdup_printf("uid=user%d,ou=People,o=siroe.com", i);
        MsmEntry *e = msm_entry_new(dn);
        msm_entry_add_string(e, "objectClass", "inetMailUser");
        msm_entry_add_string(e, "uid", dn + 4);
        guint8 v[3] = {(guint8)i, 0, (guint8)(i >> 8)};
        msm_entry_add(e, "x-binary", v, sizeof v);
        g_ptr_array_add(in, e);
        g_free(dn);
    }
    for (guint i = 0; i < in->len; i++)
        CU_ASSERT_TRUE(msm_ldif_writer_put(w, in->pdata[i], &err));
    CU_ASSERT_TRUE(msm_ldif_writer_close(w, &err));
    CU_ASSERT_PTR_NULL(err);

    GPtrArray *out = read_all(path, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    CU_ASSERT_EQUAL_FATAL(out->len, in->len);
    for (guint i = 0; i < in->len; i++)
        CU_ASSERT_TRUE(entries_equal(in->pdata[i], out->pdata[i]));
    /* the string form is what the file holds */
    GString *s = g_string_new(NULL);
    w = msm_ldif_writer_new_string(s);
    for (guint i = 0; i < in->len; i++)
        msm_ldif_writer_put(w, in->pdata[i], NULL);
    msm_ldif_writer_close(w, NULL);
    char *file = NULL;
    gsize flen = 0;
    CU_ASSERT_TRUE(g_file_get_contents(path, &file, &flen, NULL));
    CU_ASSERT_EQUAL(flen, s->len);
    CU_ASSERT(file && memcmp(file, s->str, s->len) == 0);
    g_free(file);
    g_string_free(s, TRUE);
    g_ptr_array_unref(in);
    g_ptr_array_unref(out);
    g_free(path);
}

static void
test_reader_syntax(void)
{
    static const char text[] = "# a comment that is\r\n"
                               " folded over two lines\r\n"
                               "version: 1\r\n"
                               "\r\n"
                               "\r\n"
                               "dn: o=siroe.com\r\n"
                               "objectClass: top\r\n"
                               "objectclass: organization\r\n"
                               "# a comment inside a record\r\n"
                               "o:siroe.com\r\n"
                               "description: a long value that was fol\r\n"
                               " ded by the writer\r\n"
                               "\r\n"
                               "dn:: dWlkPWrDvHJnZW4sbz1zaXJvZS5jb20=\r\n"
                               "cn:: SsO8cmdlbg==\r\n"
                               "cn: plain\r\n"
                               "cn: plain\r\n"
                               "jpegPhoto:: \r\n"
                               "description: caf\xc3\xa9 in raw UTF-8\r\n";
    char *path = write_tmp("syntax.ldif", text, -1);
    MsmLdifReader *r = msm_ldif_reader_open(path, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    MsmEntry *e = NULL;
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(msm_ldif_reader_next(r, &e, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(msm_ldif_reader_entry_line(r), 6);
    CU_ASSERT_STRING_EQUAL(msm_entry_dn(e), "o=siroe.com");
    CU_ASSERT_EQUAL(msm_entry_get(e, "objectClass")->len, 2);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "o"), "siroe.com");
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "description"),
                           "a long value that was folded by the writer");
    msm_entry_free(e);
    CU_ASSERT_TRUE_FATAL(msm_ldif_reader_next(r, &e, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_EQUAL(msm_ldif_reader_entry_line(r), 14);
    CU_ASSERT_STRING_EQUAL(msm_entry_dn(e), "uid=jürgen,o=siroe.com");
    CU_ASSERT_EQUAL(msm_entry_get(e, "cn")->len, 2);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "cn"), "Jürgen");
    CU_ASSERT_EQUAL(g_bytes_get_size(msm_entry_get(e, "jpegPhoto")->pdata[0]), 0);
    CU_ASSERT_STRING_EQUAL(msm_entry_get_string(e, "description"), "café in raw UTF-8");
    msm_entry_free(e);
    CU_ASSERT_TRUE(msm_ldif_reader_next(r, &e, &err));
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT_PTR_NULL(err);
    msm_ldif_reader_free(r);
    g_free(path);
}

/* Asserts reading len bytes of text (-1: NUL-terminated) fails with
 * MSM_ERROR_PARSE at "NAME:line:" mentioning what. */
static void
check_error_len(const char *text, gssize len, guint line, const char *what)
{
    char *path = write_tmp("bad.ldif", text, len);
    GError *err = NULL;
    GPtrArray *all = read_all(path, &err);
    CU_ASSERT_PTR_NULL(all);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    char *where = g_strdup_printf("%s:%u: ", path, line);
    CU_ASSERT_TRUE(err && g_str_has_prefix(err->message, where));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, what) : NULL);
    if (err && (!g_str_has_prefix(err->message, where) || !strstr(err->message, what)))
        fprintf(stderr, "unexpected error: %s (wanted %s ... %s)\n", err->message, where, what);
    if (all)
        g_ptr_array_unref(all);
    g_clear_error(&err);
    g_free(where);
    g_free(path);
}

/* check_error_len() of a NUL-terminated text. */
static void
check_error(const char *text, guint line, const char *what)
{
    check_error_len(text, -1, line, what);
}

static void
test_reader_errors(void)
{
    check_error("version: 1\n\ndn: uid=a,o=x\nchangetype: modify\nreplace: mail\nmail: a@x\n", 4,
                "changetype");
    check_error("dn: uid=a,o=x\ncontrol: 1.2.3 true\nchangetype: delete\n", 2, "control");
    check_error("version: 2\n\ndn: o=x\no: x\n", 1, "version");
    check_error("dn: o=x\no: x\n\nversion: 1\n", 4, "version");
    check_error("\n dn: o=x\n", 2, "continuation");
    check_error("dn: o=x\no: x\n\ncn: y\n", 4, "dn:");
    check_error("dn: o=x\no: x\ndn: o=y\n", 3, "second");
    check_error("dn: o=x\no:: not*base64\n", 2, "BASE64");
    check_error("dn: o=x\no:: QUJD=\n", 2, "BASE64");
    check_error("dn: o=x\njpegPhoto:< file:///etc/passwd\n", 2, "URL");
    check_error("dn: o=x\nthis line has no colon\n", 2, "no ':'");
    check_error("dn: o=x\nbad attr: v\n", 2, "attribute description");
    check_error("# only a comment\ndn: o=x\n\n", 2, "no attributes");
    check_error("dn:: /w==\no: x\n", 1, "UTF-8");
    static const char nul[] = "dn: o=x\no: a\0b\n";
    check_error_len(nul, sizeof nul - 1, 2, "NUL");
    /* an error in a later record is reported at its own line */
    check_error("dn: o=a\no: a\n\ndn: o=b\no: b\n\ndn: o=c\nchangetype: add\n", 8, "changetype");
}

static void
test_missing_file(void)
{
    char *path = g_build_filename(msm_test_tmpdir(), "absent.ldif", NULL);
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_ldif_reader_open(path, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_NOT_FOUND));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, path) : NULL);
    g_clear_error(&err);
    g_free(path);
}

static void
test_writer_errors(void)
{
    MsmEntry *e = msm_entry_new("o=x");
    msm_entry_add_string(e, "bad name", "v");
    GString *s = g_string_new(NULL);
    MsmLdifWriter *w = msm_ldif_writer_new_string(s);
    GError *err = NULL;
    CU_ASSERT_FALSE(msm_ldif_writer_put(w, e, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "bad name") : NULL);
    g_clear_error(&err);
    CU_ASSERT_EQUAL(msm_ldif_writer_count(w), 0);
    CU_ASSERT_TRUE(msm_ldif_writer_close(w, &err));
    CU_ASSERT_STRING_EQUAL(s->str, "version: 1\n"); /* nothing of the bad entry */
    g_string_free(s, TRUE);
    CU_ASSERT_PTR_NULL(msm_ldif_entry_to_string(e, &err));
    g_clear_error(&err);
    msm_entry_free(e);

    char *bad = g_build_filename(msm_test_tmpdir(), "no-dir", "x.ldif", NULL);
    CU_ASSERT_PTR_NULL(msm_ldif_writer_open(bad, 0600, &err));
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_IO));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, bad) : NULL);
    g_clear_error(&err);
    g_free(bad);
}

static void
test_entry_to_string(void)
{
    MsmEntry *e = msm_entry_new("cn=postmaster,ou=Groups,o=siroe.com");
    msm_entry_add_string(e, "objectClass", "mailGroup");
    msm_entry_add_string(e, "cn", "postmaster");
    char *s = msm_ldif_entry_to_string(e, NULL);
    CU_ASSERT_STRING_EQUAL(s, "dn: cn=postmaster,ou=Groups,o=siroe.com\n"
                              "objectClass: mailGroup\n"
                              "cn: postmaster\n");
    g_free(s);
    msm_entry_free(e);
}

MSM_TEST_MAIN("ldif", MSM_TEST(test_safe_strings), MSM_TEST(test_writer_format),
              MSM_TEST(test_round_trip), MSM_TEST(test_reader_syntax), MSM_TEST(test_reader_errors),
              MSM_TEST(test_missing_file), MSM_TEST(test_writer_errors),
              MSM_TEST(test_entry_to_string));
