/*
 * NAME
 *	test-mutf7.c - unit tests of core/mutf7.c (modified UTF-7 folder names)
 * DESCRIPTION
 *	The examples of domain facts §6 / RFC 3501, every class of invalid
 *	input the strict decoder must reject (each with MSM_ERROR_PARSE and
 *	the name in the message), and round trips of random UTF-8 names with
 *	characters from every plane (seeded, reproducible).
 */
#include "config.h"

#include "mutf7.h"

#include "testutil.h"

#include <string.h>

/* Asserts encode(utf8) == mutf7 and decode(mutf7) == utf8. */
static void
check_pair(const char *utf8, const char *mutf7)
{
    GError *err = NULL;
    char *e = msm_mutf7_encode(utf8, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e);
    CU_ASSERT_STRING_EQUAL(e, mutf7);
    char *d = msm_mutf7_decode(mutf7, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_STRING_EQUAL(d, utf8);
    CU_ASSERT_PTR_NULL(err);
    g_free(e);
    g_free(d);
}

static void
test_examples(void)
{
    check_pair("Répertoire", "R&AOk-pertoire");
    check_pair("日本語", "&ZeVnLIqe-");
    check_pair("&", "&-");
    check_pair("R&D", "R&-D");
    check_pair("~peter/mail/日本語/台北", "~peter/mail/&ZeVnLIqe-/&U,BTFw-");
    check_pair("Ärger/2009", "&AMQ-rger/2009");
    check_pair("a.b", "a.b");
    check_pair("", "");
    check_pair("INBOX", "INBOX");
    check_pair("\xf0\x9f\x98\x80", "&2D3eAA-"); /* U+1F600: a surrogate pair */
    check_pair("éé", "&AOkA6Q-");               /* one run, not two */
    check_pair("é&é", "&AOk-&-&AOk-");          /* '&' between runs is "&-", not a null shift */
    check_pair("tab\there", "tab&AAk-here");    /* controls are encoded */
}

/* Asserts decode(s) fails with MSM_ERROR_PARSE naming s (escaped). */
static void
check_invalid(const char *s)
{
    GError *err = NULL;
    char *d = msm_mutf7_decode(s, &err);
    CU_ASSERT_PTR_NULL(d);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_PARSE));
    char *esc = g_strescape(s, NULL);
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, esc) : NULL);
    if (err && !strstr(err->message, esc))
        fprintf(stderr, "message does not name %s: %s\n", esc, err->message);
    CU_ASSERT_FALSE(msm_mutf7_is_valid(s));
    g_free(esc);
    g_free(d);
    g_clear_error(&err);
}

static void
test_invalid(void)
{
    check_invalid("&AOk");              /* run not terminated */
    check_invalid("abc&");              /* '&' at the end */
    check_invalid("&AOk-&AOk-");        /* null shift "-&" */
    check_invalid("&AGE-");             /* 'a' in BASE64 */
    check_invalid("&ACY-");             /* '&' in BASE64 */
    check_invalid("&AOl-");             /* non-zero padding bits */
    check_invalid("&AOkA-");            /* 30 bits: not a whole number of units */
    check_invalid("&AO-");              /* 12 bits: no unit at all */
    check_invalid("&2D0-");             /* high surrogate alone at the end */
    check_invalid("&2D0AOQ-");          /* high surrogate followed by a non-surrogate */
    check_invalid("&3AA-");             /* low surrogate alone */
    check_invalid("&AAA-");             /* U+0000 */
    check_invalid("&AO/-");             /* '/' is not modified BASE64 (',' is) */
    check_invalid("&AOk=-");            /* no '=' padding */
    check_invalid("R\xc3\xa9pertoire"); /* 8-bit bytes */
    check_invalid("tab\there");         /* control character */
    check_invalid("caf\x7f");           /* DEL */
}

static void
test_encode_invalid_utf8(void)
{
    GError *err = NULL;
    char *e = msm_mutf7_encode("bad\xff name", &err);
    CU_ASSERT_PTR_NULL(e);
    CU_ASSERT_TRUE(g_error_matches(err, MSM_ERROR, MSM_ERROR_INVALID_ARGUMENT));
    CU_ASSERT_PTR_NOT_NULL(err ? strstr(err->message, "bad\\377 name") : NULL);
    g_clear_error(&err);
}

/* A random code point: ASCII (with '&' often), Latin, CJK, astral. */
static gunichar
random_char(GRand *r)
{
    switch (g_rand_int_range(r, 0, 8)) {
    case 0:
        return '&';
    case 1:
    case 2:
        return (gunichar)g_rand_int_range(r, 0x20, 0x7f);
    case 3:
        return (gunichar)g_rand_int_range(r, 0x01, 0x20); /* controls */
    case 4:
        return (gunichar)g_rand_int_range(r, 0xa0, 0x250);
    case 5:
        return (gunichar)g_rand_int_range(r, 0x4e00, 0x9fff);
    case 6: {
        gunichar c;
        do /* BMP outside the surrogates */
            c = (gunichar)g_rand_int_range(r, 0x250, 0xfffe);
        while (c >= 0xd800 && c <= 0xdfff);
        return c;
    }
    default:
        return (gunichar)g_rand_int_range(r, 0x10000, 0x110000);
    }
}

static void
test_round_trip_random(void)
{
    GRand *r = g_rand_new_with_seed(20240229);
    for (int i = 0; i < 5000; i++) {
        GString *s = g_string_new(NULL);
        int len = g_rand_int_range(r, 0, 24);
        for (int k = 0; k < len; k++)
            g_string_append_unichar(s, random_char(r));
        GError *err = NULL;
        char *e = msm_mutf7_encode(s->str, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        for (const char *p = e; *p; p++)
            CU_ASSERT_TRUE(*p >= 0x20 && *p <= 0x7e);
        char *d = msm_mutf7_decode(e, &err);
        CU_ASSERT_PTR_NOT_NULL(d);
        if (d == NULL) {
            fprintf(stderr, "cannot decode %s: %s\n", e, err->message);
            g_clear_error(&err);
        } else {
            CU_ASSERT_STRING_EQUAL(d, s->str);
            char *again = msm_mutf7_encode(d, NULL); /* canonical: same bytes again */
            CU_ASSERT_STRING_EQUAL(again, e);
            g_free(again);
        }
        g_free(e);
        g_free(d);
        g_string_free(s, TRUE);
    }
    g_rand_free(r);
}

MSM_TEST_MAIN("mutf7", MSM_TEST(test_examples), MSM_TEST(test_invalid),
              MSM_TEST(test_encode_invalid_utf8), MSM_TEST(test_round_trip_random));
