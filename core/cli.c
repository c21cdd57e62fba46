/*
 * NAME
 *	cli.c - the msmigrate command: verb dispatch and shared options
 * SUMMARY
 *	msmigrate VERB [OPTIONS] ...; `msmigrate help` lists the verbs and
 *	`msmigrate VERB --help` their options. Exit codes (DESIGN §7): 0 done,
 *	1 failed, 2 done with skipped items or differences, 3 refused by
 *	preflight.
 * DIAGNOSTICS
 *	Errors go to stderr as "msmigrate: VERB: message". Passwords are never
 *	taken from the command line: see the site profile (--profile).
 */
#include "config.h"

#include "cli.h"
#include "profile.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

typedef struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} Verb;

static const Verb verbs[] = {
    {"plugins", cli_plugins, "list loaded plugins, their hops, and broken plugins"},
    {"inspect", cli_inspect, "show everything one plugin declares"},
    {"detect", cli_detect, "tell a deployment's version from its layout"},
    {"plan", cli_plan, "show the chain of hops from one version to another"},
    {"run", cli_run, "migrate a deployment along a plan (or resume a run)"},
    {"verify", cli_verify, "compare a run's target with its journal again"},
    {"status", cli_status, "history, lock and runs of a deployment"},
    {"rollback", cli_rollback, "undo a run"},
    {"baseline", cli_baseline, "adopt an unmanaged install at a known version"},
    {"config", cli_config, "merge, install and uninstall configuration (UpgradeMsg5toMsg6, install-newconfig, uninstall-newconfig)"},
    {"directory", cli_directory, "directory migration: migrate (imsdirmig, commdirmig), undo, import, find-stale, aci"},
    {"snapshot", cli_snapshot, "ZFS snapshots of the store area: create, list, rollback, prune (seed 004)"},
    {"queue", cli_queue, "MTA queue tools: counters (imsimta qm counters)"},
    {"store", cli_store, "message store tools: export, import, verify, manifest (Maildir++); backup, restore, upgrade"},
    {"sample", cli_sample, "write a deterministic synthetic deployment"},
    {NULL, NULL, NULL},
};

static void
usage(FILE *out)
{
    fprintf(out, "Usage: msmigrate VERB [OPTIONS]\n\nVerbs:\n");
    for (const Verb *v = verbs; v->name; v++)
        fprintf(out, "  %-10s %s\n", v->name, v->summary);
    fprintf(out, "\n'msmigrate VERB --help' shows the options of a verb; 'man msmigrate' the "
                 "rest.\nExit codes: 0 done, 1 failed, 2 done with skipped items or "
                 "differences, 3 refused by preflight.\n");
}

void
cli_error(const char *verb, const GError *err)
{
    fprintf(stderr, "msmigrate: %s: %s\n", verb, err ? err->message : "failed");
}

gboolean
cli_parse(int *argc, char ***argv, const char *verb, const char *params, const char *summary,
          const GOptionEntry *entries, CliCommon *common)
{
    const GOptionEntry common_entries[] = {
        {"plugin-dir", 'P', 0, G_OPTION_ARG_FILENAME_ARRAY, &common->plugin_dirs,
         "Look for plugins in DIR first (repeatable)", "DIR"},
        {"no-default-plugin-dir", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_NONE,
         &common->no_default_dir, "Do not search the installed plugin directory", NULL},
        {"profile", 0, 0, G_OPTION_ARG_FILENAME, &common->profile_path,
         "Site profile (roots, versions, directory settings)", "FILE"},
        {"json", 0, 0, G_OPTION_ARG_NONE, &common->json, "Print JSON", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &common->quiet, "Print less", NULL},
        {"verbose", 'v', 0, G_OPTION_ARG_NONE, &common->verbose, "Print debugging detail",
         NULL},
        G_OPTION_ENTRY_NULL,
    };
    char *pstr = g_strdup_printf("%s %s", verb, params ? params : "");
    GOptionContext *oc = g_option_context_new(pstr);
    g_free(pstr);
    g_option_context_set_summary(oc, summary);
    if (entries)
        g_option_context_add_main_entries(oc, entries, NULL);
    GOptionGroup *g = g_option_group_new("common", "Options of every verb:",
                                         "Show options of every verb", NULL, NULL);
    g_option_group_add_entries(g, common_entries);
    g_option_context_add_group(oc, g);
    GError *err = NULL;
    gboolean ok = g_option_context_parse(oc, argc, argv, &err);
    g_option_context_free(oc);
    if (!ok) {
        fprintf(stderr, "msmigrate: %s: %s (see 'msmigrate %s --help')\n", verb, err->message,
                verb);
        g_error_free(err);
        return FALSE;
    }
    if (common->profile_path) {
        common->profile = msm_profile_load(common->profile_path, &err);
        if (common->profile == NULL) {
            cli_error(verb, err);
            g_error_free(err);
            return FALSE;
        }
    }
    return TRUE;
}

MsmRegistry *
cli_registry(CliCommon *common, GError **error)
{
    MsmRegistry *reg = msm_registry_new();
    if (!msm_registry_load(reg, (const char *const *)common->plugin_dirs,
                           !common->no_default_dir, error)) {
        msm_registry_free(reg);
        return NULL;
    }
    if (!common->json && !common->quiet) {
        GPtrArray *broken = msm_registry_broken(reg);
        for (guint i = 0; i < broken->len; i++) {
            const MsmBrokenPlugin *b = broken->pdata[i];
            fprintf(stderr, "msmigrate: warning: plugin %s (%s) not loaded: %s; fix: %s\n",
                    b->name, b->path, b->reason, b->fix);
        }
    }
    return reg;
}

void
cli_common_clear(CliCommon *common)
{
    g_strfreev(common->plugin_dirs);
    g_free(common->profile_path);
    if (common->profile)
        g_key_file_unref(common->profile);
    memset(common, 0, sizeof *common);
}

const char *
cli_profile_default(CliCommon *common, const char *given, const char *group, const char *key,
                    char **store)
{
    if (given || common->profile == NULL)
        return given;
    *store = g_key_file_get_string(common->profile, group, key, NULL);
    return *store;
}

const char *
cli_version(const char *text, const char *what)
{
    GError *err = NULL;
    const char *id = msm_version_resolve(text, &err);
    if (id == NULL) {
        fprintf(stderr, "msmigrate: %s: %s\n", what, err->message);
        g_error_free(err);
    }
    return id;
}

int
main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    if (argc < 2) {
        usage(stderr);
        return MSM_EXIT_FAILED;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "help") == 0 || strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0) {
        usage(stdout);
        return MSM_EXIT_OK;
    }
    if (strcmp(verb, "--version") == 0 || strcmp(verb, "version") == 0) {
        printf("msmigrate %s (plugin ABI %d)\n", PACKAGE_VERSION, MSM_ABI_VERSION);
        return MSM_EXIT_OK;
    }
    for (const Verb *v = verbs; v->name; v++)
        if (strcmp(v->name, verb) == 0)
            return v->fn(argc - 1, argv + 1);
    fprintf(stderr, "msmigrate: unknown verb \"%s\"\n\n", verb);
    usage(stderr);
    return MSM_EXIT_FAILED;
}
