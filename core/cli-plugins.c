/*
 * NAME
 *	cli-plugins.c - `msmigrate plugins` and `msmigrate inspect`
 * SUMMARY
 *	plugins: the search path, every loaded plugin with its hops, guards
 *	and codecs, every broken plugin with its file, reason and fix, and the
 *	hops refused because the vendor does not support them.
 *	inspect NAME: everything one plugin declares, preconditions included.
 */
#include "config.h"

#include "cli.h"
#include "json.h"
#include "planner.h"

#include <stdio.h>
#include <string.h>

static void
hop_flags_json(MsmJson *j, const MsmHopRef *h)
{
    msm_json_kv_bool(j, "reversible", !h->irreversible);
    msm_json_kv_string(j, "mode", (h->hop->flags & MSM_HOP_ONLINE) ? "online" : "offline");
    msm_json_kv_bool(j, "new_host", (h->hop->flags & MSM_HOP_NEW_HOST) != 0);
    msm_json_kv_bool(j, "in_place", (h->hop->flags & MSM_HOP_IN_PLACE) != 0);
}

/* JSON of one plugin (hops, guards, codecs). */
static void
plugin_json(MsmJson *j, MsmRegistry *reg, const MsmPluginInfo *pi, gboolean full)
{
    const MsmPluginDescriptor *d = pi->desc;
    msm_json_begin_object(j);
    msm_json_kv_string(j, "name", d->name);
    msm_json_kv_string(j, "version", d->version);
    msm_json_kv_string(j, "description", d->description);
    msm_json_kv_string(j, "license", d->license);
    msm_json_kv_string(j, "package", d->package);
    msm_json_kv_string(j, "origin", d->origin);
    msm_json_kv_string(j, "file", pi->path);
    msm_json_kv_int(j, "abi", d->abi_version);
    msm_json_key(j, "hops");
    msm_json_begin_array(j);
    GPtrArray *hops = msm_registry_hops(reg);
    for (guint i = 0; i < hops->len; i++) {
        const MsmHopRef *h = hops->pdata[i];
        if (h->plugin != pi)
            continue;
        msm_json_begin_object(j);
        msm_json_kv_string(j, "from", h->hop->from);
        msm_json_kv_string(j, "to", h->hop->to);
        hop_flags_json(j, h);
        msm_json_key(j, "kinds");
        msm_json_begin_array(j);
        for (int k = 0; k < MSM_KIND_COUNT; k++)
            if (msm_hop_migrator(h->hop, (MsmKind)k))
                msm_json_string(j, msm_kind_name((MsmKind)k));
        msm_json_end_array(j);
        if (full) {
            msm_json_kv_string(j, "summary", h->hop->summary);
            msm_json_key(j, "preconditions");
            msm_json_begin_array(j);
            for (const MsmPrecondition *p = h->hop->preconditions; p && p->id; p++) {
                msm_json_begin_object(j);
                msm_json_kv_string(j, "id", p->id);
                msm_json_kv_string(j, "text", p->text);
                msm_json_kv_string(j, "source", p->source);
                msm_json_kv_string(j, "check", p->check ? "automatic" : "manual");
                msm_json_kv_string(j, "override", p->override);
                msm_json_end_object(j);
            }
            msm_json_end_array(j);
        }
        msm_json_end_object(j);
    }
    msm_json_end_array(j);
    msm_json_key(j, "guards");
    msm_json_begin_array(j);
    for (const MsmGuard *g = d->guards; g && g->name; g++) {
        msm_json_begin_object(j);
        msm_json_kv_string(j, "name", g->name);
        msm_json_kv_string(j, "summary", g->summary);
        msm_json_end_object(j);
    }
    msm_json_end_array(j);
    msm_json_key(j, "codecs");
    msm_json_begin_array(j);
    for (const MsmCodec *const *c = d->codecs; c && *c; c++) {
        msm_json_begin_object(j);
        msm_json_kv_string(j, "name", (*c)->name);
        msm_json_kv_string(j, "kind", msm_kind_name((*c)->kind));
        msm_json_key(j, "versions");
        msm_json_begin_array(j);
        for (const char *const *v = (*c)->versions; *v; v++)
            msm_json_string(j, *v);
        msm_json_end_array(j);
        msm_json_kv_bool(j, "reads", (*c)->reader_open != NULL);
        msm_json_kv_bool(j, "writes", (*c)->writer_open != NULL);
        msm_json_kv_bool(j, "rollback", (*c)->rollback != NULL);
        msm_json_end_object(j);
    }
    msm_json_end_array(j);
    msm_json_end_object(j);
}

static void
plugin_text(GString *s, MsmRegistry *reg, const MsmPluginInfo *pi, gboolean full)
{
    const MsmPluginDescriptor *d = pi->desc;
    g_string_append_printf(s, "%s %s - %s\n", d->name, d->version, d->description);
    g_string_append_printf(s, "    file: %s\n", *pi->path ? pi->path : "(built into libmsmigrate)");
    if (d->package)
        g_string_append_printf(s, "    package: %s   license: %s\n", d->package, d->license);
    GPtrArray *hops = msm_registry_hops(reg);
    for (guint i = 0; i < hops->len; i++) {
        const MsmHopRef *h = hops->pdata[i];
        if (h->plugin != pi)
            continue;
        g_string_append_printf(s, "    hop %s -> %s  [%s, %s%s] kinds:", h->hop->from, h->hop->to,
                               h->irreversible ? "irreversible" : "reversible",
                               (h->hop->flags & MSM_HOP_ONLINE) ? "online" : "offline",
                               (h->hop->flags & MSM_HOP_NEW_HOST) ? ", new host" : "");
        for (int k = 0; k < MSM_KIND_COUNT; k++)
            if (msm_hop_migrator(h->hop, (MsmKind)k))
                g_string_append_printf(s, " %s", msm_kind_name((MsmKind)k));
        g_string_append_c(s, '\n');
        if (full) {
            if (h->hop->summary)
                g_string_append_printf(s, "        %s\n", h->hop->summary);
            for (const MsmPrecondition *p = h->hop->preconditions; p && p->id; p++)
                g_string_append_printf(s, "        precondition [%s] %s (%s%s%s)\n", p->id,
                                       p->text, p->check ? "automatic" : "manual",
                                       p->override ? ", may be overridden" : "",
                                       p->source ? "" : "");
        }
    }
    for (const MsmGuard *g = d->guards; g && g->name; g++)
        g_string_append_printf(s, "    guard %s - %s\n", g->name, g->summary);
    for (const MsmCodec *const *c = d->codecs; c && *c; c++) {
        char *vs = g_strjoinv(" ", (char **)(*c)->versions);
        g_string_append_printf(s, "    codec %s (%s%s%s) for %s\n", (*c)->name,
                               msm_kind_name((*c)->kind), (*c)->reader_open ? ", reads" : "",
                               (*c)->writer_open ? ", writes" : "", vs);
        g_free(vs);
    }
}

int
cli_plugins(int argc, char **argv)
{
    CliCommon common = {0};
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    if (!cli_parse(&argc, &argv, "plugins", "",
                   "List the plugins msmigrate found, what they provide, and the ones it could "
                   "not use (with the file, the reason and the fix).",
                   NULL, &common))
        goto out;
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("plugins", err);
        goto out;
    }
    GPtrArray *plugins = msm_registry_plugins(reg);
    GPtrArray *broken = msm_registry_broken(reg);
    GPtrArray *refused = msm_registry_refused_hops(reg);
    GPtrArray *search = msm_registry_search_path(reg);
    if (common.json) {
        MsmJson *j = msm_json_new(TRUE);
        msm_json_begin_object(j);
        msm_json_kv_int(j, "abi", MSM_ABI_VERSION);
        msm_json_key(j, "search_path");
        msm_json_begin_array(j);
        for (guint i = 0; i < search->len; i++)
            msm_json_string(j, search->pdata[i]);
        msm_json_end_array(j);
        msm_json_key(j, "plugins");
        msm_json_begin_array(j);
        for (guint i = 0; i < plugins->len; i++)
            plugin_json(j, reg, plugins->pdata[i], FALSE);
        msm_json_end_array(j);
        msm_json_key(j, "broken");
        msm_json_begin_array(j);
        for (guint i = 0; i < broken->len; i++) {
            const MsmBrokenPlugin *b = broken->pdata[i];
            msm_json_begin_object(j);
            msm_json_kv_string(j, "name", b->name);
            msm_json_kv_string(j, "file", b->path);
            msm_json_kv_string(j, "reason", b->reason);
            msm_json_kv_string(j, "fix", b->fix);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        msm_json_key(j, "refused_hops");
        msm_json_begin_array(j);
        for (guint i = 0; i < refused->len; i++) {
            const MsmRefusedHop *r = refused->pdata[i];
            msm_json_begin_object(j);
            msm_json_kv_string(j, "plugin", r->plugin);
            msm_json_kv_string(j, "from", r->from);
            msm_json_kv_string(j, "to", r->to);
            msm_json_kv_string(j, "reason", r->reason);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        msm_json_end_object(j);
        char *out = msm_json_finish(j);
        fputs(out, stdout);
        g_free(out);
    } else {
        GString *s = g_string_new("Search path:");
        for (guint i = 0; i < search->len; i++)
            g_string_append_printf(s, " %s", (const char *)search->pdata[i]);
        g_string_append_printf(s, "\n\nPlugins (%u):\n", plugins->len);
        for (guint i = 0; i < plugins->len; i++)
            plugin_text(s, reg, plugins->pdata[i], FALSE);
        if (plugins->len <= 1)
            g_string_append(s, "  (no version plugin is installed: install the "
                               "msmigrate-plugin-* packages for the hops you need)\n");
        if (broken->len) {
            g_string_append_printf(s, "\nBroken plugins (%u), not used:\n", broken->len);
            for (guint i = 0; i < broken->len; i++) {
                const MsmBrokenPlugin *b = broken->pdata[i];
                g_string_append_printf(s, "  %s (%s)\n    reason: %s\n    fix: %s\n", b->name,
                                       b->path, b->reason, b->fix);
            }
        }
        for (guint i = 0; i < refused->len; i++) {
            const MsmRefusedHop *r = refused->pdata[i];
            g_string_append_printf(s, "\nRefused hop %s -> %s of plugin %s: %s\n", r->from, r->to,
                                   r->plugin, r->reason);
        }
        fputs(s->str, stdout);
        g_string_free(s, TRUE);
    }
    rc = MSM_EXIT_OK;
out:
    g_clear_error(&err);
    msm_registry_free(reg);
    cli_common_clear(&common);
    return rc;
}

int
cli_inspect(int argc, char **argv)
{
    CliCommon common = {0};
    int rc = MSM_EXIT_FAILED;
    MsmRegistry *reg = NULL;
    GError *err = NULL;
    if (!cli_parse(&argc, &argv, "inspect", "PLUGIN",
                   "Show everything a plugin declares: hops with their properties and "
                   "preconditions, guards and codecs.",
                   NULL, &common))
        goto out;
    if (argc != 2) {
        fprintf(stderr, "msmigrate: inspect: name one plugin (see 'msmigrate plugins')\n");
        goto out;
    }
    reg = cli_registry(&common, &err);
    if (reg == NULL) {
        cli_error("inspect", err);
        goto out;
    }
    const char *want = argv[1];
    GPtrArray *plugins = msm_registry_plugins(reg);
    for (guint i = 0; i < plugins->len; i++) {
        const MsmPluginInfo *pi = plugins->pdata[i];
        if (strcmp(pi->name, want) != 0)
            continue;
        if (common.json) {
            MsmJson *j = msm_json_new(TRUE);
            plugin_json(j, reg, pi, TRUE);
            char *out = msm_json_finish(j);
            fputs(out, stdout);
            g_free(out);
        } else {
            GString *s = g_string_new(NULL);
            plugin_text(s, reg, pi, TRUE);
            fputs(s->str, stdout);
            g_string_free(s, TRUE);
        }
        rc = MSM_EXIT_OK;
        goto out;
    }
    const MsmBrokenPlugin *b = msm_registry_find_broken(reg, want);
    if (b)
        fprintf(stderr, "msmigrate: inspect: plugin %s (%s) is broken: %s; fix: %s\n", want,
                b->path, b->reason, b->fix);
    else
        fprintf(stderr, "msmigrate: inspect: no plugin named %s is installed (it would come with "
                        "the package msmigrate-plugin-%s)\n",
                want, want);
out:
    g_clear_error(&err);
    msm_registry_free(reg);
    cli_common_clear(&common);
    return rc;
}
