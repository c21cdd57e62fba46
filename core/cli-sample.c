/*
 * NAME
 *	cli-sample.c - `msmigrate sample`: write a deterministic synthetic deployment
 * SUMMARY
 *	msmigrate sample --version V --users N --seed S DIR. The same arguments
 *	always give the same bytes (docs/formats/sample.md). Every kind is
 *	written through the codec the loaded plugins (or core) provide for V;
 *	a kind with no codec is listed, with the package that would provide it.
 */
#include "config.h"

#include "cli.h"
#include "json.h"
#include "sample.h"

#include <stdio.h>

int
cli_sample(int argc, char **argv)
{
    CliCommon common = {0};
    char *version = NULL, *instance = NULL;
    gint users = 20, instances = 1, messages = 0;
    gint64 seed = 1;
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    MsmSampleResult res = {0};
    const GOptionEntry entries[] = {
        {"version", 0, 0, G_OPTION_ARG_STRING, &version, "Product version to generate",
         "VERSION"},
        {"users", 'u', 0, G_OPTION_ARG_INT, &users, "Number of users (default 20)", "N"},
        {"seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed (default 1)", "S"},
        {"messages", 0, 0, G_OPTION_ARG_INT, &messages,
         "About N messages per user (default about 30; folder sizes scale)", "N"},
        {"instance", 0, 0, G_OPTION_ARG_STRING, &instance,
         "Instance name for server-root layouts (default sample)", "NAME"},
        {"instances", 0, 0, G_OPTION_ARG_INT, &instances,
         "How many instances to lay out (default 1)", "N"},
        G_OPTION_ENTRY_NULL,
    };
    if (!cli_parse(&argc, &argv, "sample", "DIR",
                   "Write a deterministic synthetic deployment of a product version into DIR "
                   "(absent or empty): users, groups, domains, folders, messages, queues and "
                   "configuration.",
                   entries, &common))
        goto out;
    if (argc != 2 || version == NULL) {
        fprintf(stderr, "msmigrate: sample: pass --version VERSION and one directory\n");
        goto out;
    }
    if (users < 1 || instances < 1 || seed < 0 || messages < 0) {
        fprintf(stderr, "msmigrate: sample: --users and --instances must be 1 or more, --seed "
                        "and --messages 0 or more\n");
        goto out;
    }
    const char *id = cli_version(version, "sample --version");
    if (id == NULL)
        goto out;
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("sample", err);
        goto out;
    }
    MsmSampleSpec spec = {id, (guint)users, (guint64)seed, instance, (guint)instances};
    if (!msm_sample_write_messages(reg, &spec, (guint)messages, argv[1], &res, &err)) {
        cli_error("sample", err);
        goto out;
    }
    if (common.json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_string(j, "dir", argv[1]);
        msm_json_kv_string(j, "version", id);
        msm_json_kv_int(j, "users", users);
        msm_json_kv_int(j, "seed", seed);
        msm_json_kv_string(j, "ldif", res.ldif_path);
        msm_json_key(j, "kinds");
        msm_json_begin_object(j);
        for (int k = 0; k < MSM_KIND_COUNT; k++) {
            msm_json_key(j, msm_kind_name((MsmKind)k));
            msm_json_begin_object(j);
            msm_json_kv_bool(j, "written", res.written[k]);
            msm_json_kv_int(j, "items", (gint64)res.items[k]);
            msm_json_kv_string(j, "missing", res.missing[k]);
            msm_json_end_object(j);
        }
        msm_json_end_object(j);
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        fputs(out, stdout);
        g_free(out);
    } else if (!common.quiet) {
        printf("Sample %s (%s, %d users, seed %" G_GINT64_FORMAT ") written to %s\n", id,
               msm_version_display_name(id), users, seed, argv[1]);
        for (int k = 0; k < MSM_KIND_COUNT; k++) {
            if (res.written[k])
                printf("  %-9s %" G_GUINT64_FORMAT " items\n", msm_kind_name((MsmKind)k),
                       res.items[k]);
            else
                printf("  %-9s not written: %s\n", msm_kind_name((MsmKind)k),
                       res.missing[k] ? res.missing[k] : "no codec");
        }
        if (res.ldif_path)
            printf("  directory entries as LDIF: %s\n", res.ldif_path);
    }
    rc = MSM_EXIT_OK;
out:
    msm_sample_result_clear(&res);
    g_clear_error(&err);
    msm_registry_free(reg);
    g_free(version);
    g_free(instance);
    cli_common_clear(&common);
    return rc;
}
