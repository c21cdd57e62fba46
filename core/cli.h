/*
 * NAME
 *	cli.h - shared pieces of the msmigrate command-line verbs
 */
#ifndef MSM_CORE_CLI_H
#define MSM_CORE_CLI_H

#include "registry.h"

typedef struct {
    char **plugin_dirs;         /* --plugin-dir (repeatable) */
    gboolean no_default_dir;    /* --no-default-plugin-dir (make check, tests) */
    gboolean json;
    gboolean quiet;
    gboolean verbose;
    char *profile_path;         /* --profile */
    GKeyFile *profile;
} CliCommon;

/* Parses argv for a verb with its own entries plus the common ones. Prints the
 * error and returns FALSE on bad usage. */
gboolean cli_parse(int *argc, char ***argv, const char *verb, const char *params,
                   const char *summary, const GOptionEntry *entries, CliCommon *common);
/* Loads the plugins the common options name; prints each broken plugin once to
 * stderr (unless --json or --quiet). (transfer full) */
MsmRegistry *cli_registry(CliCommon *common, GError **error);
void cli_common_clear(CliCommon *common);
/* A string option from the profile when not given on the command line. */
const char *cli_profile_default(CliCommon *common, const char *given, const char *group,
                                const char *key, char **store);
/* Resolves a version the user typed; prints the error. NULL on failure. */
const char *cli_version(const char *text, const char *what);
/* Prints an error "msmigrate: VERB: message". */
void cli_error(const char *verb, const GError *err);

int cli_plugins(int argc, char **argv);
int cli_inspect(int argc, char **argv);
int cli_detect(int argc, char **argv);
int cli_plan(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_verify(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_rollback(int argc, char **argv);
int cli_baseline(int argc, char **argv);
int cli_sample(int argc, char **argv);
int cli_queue(int argc, char **argv);
int cli_snapshot(int argc, char **argv);
int cli_directory(int argc, char **argv);
int cli_store(int argc, char **argv);
int cli_config(int, char **);
/* store backup|restore|upgrade (cli-store-legacy.c), dispatched by cli_store. */
int cli_store_backup(int argc, char **argv);
int cli_store_restore(int argc, char **argv);
int cli_store_upgrade(int argc, char **argv);
/* `run --store-reuse in-place|copy` (cli-store-legacy.c): the option callback, and
 * setting the profile's [store] nms4-reuse from it (creates the profile if needed). */
gboolean cli_run_store_reuse_cb(const char *name, const char *value, gpointer data,
                                GError **error);
void cli_run_apply_store_reuse(CliCommon *common);

#endif
