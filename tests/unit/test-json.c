/*
 * NAME
 *	test-json.c - the JSON writer: nesting, commas, escaping
 */
#include "config.h"

#include "testutil.h"

#include "json.h"

#include <string.h>

static void
test_compact(void)
{
    MsmJson *j = msm_json_new(FALSE);
    msm_json_begin_object(j);
    msm_json_kv_string(j, "a", "x");
    msm_json_kv_int(j, "b", -5);
    msm_json_key(j, "c");
    msm_json_begin_array(j);
    msm_json_bool(j, TRUE);
    msm_json_null(j);
    msm_json_string(j, NULL);
    msm_json_begin_object(j);
    msm_json_end_object(j);
    msm_json_end_array(j);
    msm_json_key(j, "d");
    msm_json_begin_array(j);
    msm_json_end_array(j);
    msm_json_end_object(j);
    char *s = msm_json_finish(j);
    CU_ASSERT_STRING_EQUAL(s, "{\"a\":\"x\",\"b\":-5,\"c\":[true,null,null,{}],\"d\":[]}");
    g_free(s);
}

static void
test_escapes(void)
{
    MsmJson *j = msm_json_new(FALSE);
    msm_json_string(j, "q\"b\\n\nt\t\x01 é \xff!");
    char *s = msm_json_finish(j);
    CU_ASSERT_STRING_EQUAL(s, "\"q\\\"b\\\\n\\nt\\t\\u0001 é \\ufffd!\"");
    g_free(s);
}

static void
test_pretty_parses_back(void)
{
    MsmJson *j = msm_json_new(TRUE);
    msm_json_begin_object(j);
    msm_json_kv_string(j, "k", "v");
    msm_json_key(j, "list");
    msm_json_begin_array(j);
    msm_json_int(j, 1);
    msm_json_int(j, 2);
    msm_json_end_array(j);
    msm_json_end_object(j);
    char *s = msm_json_finish(j);
    /* same tokens once white space is removed */
    GString *compact = g_string_new(NULL);
    for (const char *p = s; *p; p++)
        if (!g_ascii_isspace(*p))
            g_string_append_c(compact, *p);
    CU_ASSERT_STRING_EQUAL(compact->str, "{\"k\":\"v\",\"list\":[1,2]}");
    g_string_free(compact, TRUE);
    g_free(s);
}

MSM_TEST_MAIN("json", MSM_TEST(test_compact), MSM_TEST(test_escapes),
              MSM_TEST(test_pretty_parses_back))
