/*
 * NAME
 *	test-profile.c - site profiles refuse passwords; secrets from file and environment
 */
#include "config.h"

#include "testutil.h"

#include "profile.h"

#include <string.h>
#include <sys/stat.h>

static char *
write_file(const char *dir, const char *name, const char *text, guint mode)
{
    char *p = g_build_filename(dir, name, NULL);
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(p, text, -1, NULL));
    chmod(p, mode);
    return p;
}

static void
test_password_in_profile_refused(void)
{
    const char *d = msm_test_tmpdir();
    char *p = write_file(d, "site.conf",
                         "[directory]\nuri=ldap://127.0.0.1:3890\nbind_dn=cn=admin\n"
                         "password=hunter2\n",
                         0600);
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(msm_profile_load(p, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "must not hold a password"));
    CU_ASSERT_PTR_NULL(strstr(err->message, "hunter2"));
    g_error_free(err);
    g_free(p);
}

static void
test_secret_sources(void)
{
    const char *d = msm_test_tmpdir();
    char *pw = write_file(d, "bind.pw", "s3cret\n", 0600);
    char *text = g_strdup_printf("[directory]\npassword_file=%s\n[other]\npassword_env=MSM_T_PW\n",
                                 pw);
    char *p = write_file(d, "site.conf", text, 0600);
    GError *err = NULL;
    GKeyFile *kf = msm_profile_load(p, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(kf);
    char *s = msm_profile_secret("directory", kf, &err);
    CU_ASSERT_STRING_EQUAL(s, "s3cret");
    msm_secret_free(s);
    g_setenv("MSM_T_PW", "from-env", TRUE);
    s = msm_profile_secret("other", kf, &err);
    CU_ASSERT_STRING_EQUAL(s, "from-env");
    msm_secret_free(s);
    g_unsetenv("MSM_T_PW");
    CU_ASSERT_PTR_NULL(msm_profile_secret("other", kf, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "MSM_T_PW"));
    g_clear_error(&err);
    CU_ASSERT_PTR_NULL(msm_profile_secret("nothing", kf, &err));
    g_clear_error(&err);
    /* a password file others can read is refused */
    chmod(pw, 0644);
    CU_ASSERT_PTR_NULL(msm_profile_secret("directory", kf, &err));
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "chmod 600"));
    g_clear_error(&err);
    g_key_file_unref(kf);
    g_free(text);
    g_free(p);
    g_free(pw);
}

MSM_TEST_MAIN("profile", MSM_TEST(test_password_in_profile_refused), MSM_TEST(test_secret_sources))
