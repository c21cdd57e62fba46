/*
 * NAME
 *	profile.h - the site profile (a GKeyFile) and where secrets come from
 * SUMMARY
 *	Format in docs/formats/profile.md. A profile names the source and
 *	target roots, versions, instance, directory URI, base DN and bind DN,
 *	and for each secret where to read it: password_file (a file readable
 *	only by its owner), password_env (an environment variable) or
 *	password_prompt=true (asked on the terminal without echo). A profile
 *	that contains a password itself is refused: passwords never sit in a
 *	profile, argv, a log or a report.
 */
#ifndef MSM_CORE_PROFILE_H
#define MSM_CORE_PROFILE_H

#include <msmigrate/msmigrate.h>

/* Loads and checks a profile. (transfer full: g_key_file_unref) */
GKeyFile *msm_profile_load(const char *path, GError **error);

/* MsmSecretFunc over a profile (user_data = the GKeyFile*): reads the secret of
 * group `name` ("directory"). (transfer full: wipe with msm_secret_free) */
char *msm_profile_secret(const char *name, gpointer user_data, GError **error);

/* Overwrites and frees a secret. NULL is allowed. */
void msm_secret_free(char *secret);

#endif
