/*
 * NAME
 *	cli-config-uc.h - `msmigrate config diff|toxml|fromxml` (private to the CLI)
 * SUMMARY
 *	The sub-verbs of core/cli-config-uc.c, dispatched from core/cli-config.c,
 *	and the one helper of cli-config.c they share.
 * OWNERSHIP
 *	cli_config_load_files() returns a new hash table relpath -> MsmItem*
 *	(transfer full); order receives new strings (transfer full).
 * ERRORS
 *	The verbs print "msmigrate: config VERB: message" and return an exit
 *	code (MSM_EXIT_*); config diff returns 2 when the trees differ.
 */
#ifndef MSM_CORE_CLI_CONFIG_UC_H
#define MSM_CORE_CLI_CONFIG_UC_H

#include <msmigrate/msmigrate.h>

/* Lists a deployment's configuration files with the config-files codec. Files that
 * cannot be read go to refused (messages) when it is not NULL. */
GHashTable *cli_config_load_files(const char *root, const char *version, const char *instance,
                                  GPtrArray *order, GPtrArray *refused, GError **error);

int cli_config_diff(int argc, char **argv);
int cli_config_toxml(int argc, char **argv);
int cli_config_fromxml(int argc, char **argv);

#endif
