/*
 * NAME
 *	planner.c - shortest chain of hops, and how a plan is shown
 * SUMMARY
 *	Breadth-first search over the hops the loaded plugins provide. Hops are
 *	explored in product order of their destination, so among chains of the
 *	same length the one through older versions is taken and plans are
 *	stable whatever order the plugins loaded in.
 * DIAGNOSTICS
 *	No chain: MSM_ERROR_NO_PATH naming the first hop of the design's own
 *	chain (catalogue.h) that no loaded plugin provides, with the plugin and
 *	package to install, or why that plugin, though installed, did not load.
 *	A backward or same-version request: MSM_ERROR_UNSUPPORTED.
 */
#include "config.h"

#include "planner.h"

#include "catalogue.h"
#include "json.h"

#include <string.h>

gconstpointer
msm_hop_migrator(const MsmHop *hop, MsmKind kind)
{
    switch (kind) {
    case MSM_KIND_CONFIG:
        return hop->config;
    case MSM_KIND_STORE:
        return hop->store;
    case MSM_KIND_QUEUE:
        return hop->queue;
    case MSM_KIND_DIRECTORY:
        return hop->directory;
    default:
        return NULL;
    }
}

/* An edge list: from, to, payload (hop ref or catalogue entry). */
typedef struct {
    const char *from;
    const char *to;
    gconstpointer data;
} Edge;

static gint
edge_cmp(gconstpointer a, gconstpointer b)
{
    const Edge *x = a, *y = b;
    int c = msm_version_compare(x->from, y->from);
    return c ? c : msm_version_compare(x->to, y->to);
}

/* BFS over edges; returns the edges of a shortest path (transfer container) or NULL. */
static GPtrArray *
bfs(GArray *edges, const char *from, const char *to)
{
    g_array_sort(edges, edge_cmp);
    GHashTable *prev = g_hash_table_new(g_str_hash, g_str_equal); /* version -> Edge* */
    GQueue q = G_QUEUE_INIT;
    g_queue_push_tail(&q, (gpointer)from);
    g_hash_table_insert(prev, (gpointer)from, NULL);
    gboolean found = FALSE;
    while (!g_queue_is_empty(&q) && !found) {
        const char *v = g_queue_pop_head(&q);
        for (guint i = 0; i < edges->len; i++) {
            Edge *e = &g_array_index(edges, Edge, i);
            if (strcmp(e->from, v) != 0 || g_hash_table_contains(prev, e->to))
                continue;
            g_hash_table_insert(prev, (gpointer)e->to, e);
            if (strcmp(e->to, to) == 0) {
                found = TRUE;
                break;
            }
            g_queue_push_tail(&q, (gpointer)e->to);
        }
    }
    g_queue_clear(&q);
    GPtrArray *path = NULL;
    if (found) {
        path = g_ptr_array_new();
        const char *v = to;
        Edge *e;
        while ((e = g_hash_table_lookup(prev, v)) != NULL) {
            g_ptr_array_insert(path, 0, (gpointer)e->data);
            v = e->from;
        }
    }
    g_hash_table_unref(prev);
    return path;
}

/* Explains why no chain exists. */
static void
explain_no_path(MsmRegistry *reg, const char *from, const char *to, GError **error)
{
    GArray *cedges = g_array_new(FALSE, FALSE, sizeof(Edge));
    for (const MsmCatalogueHop *c = msm_catalogue_hops(); c->from; c++) {
        Edge e = {c->from, c->to, c};
        g_array_append_val(cedges, e);
    }
    GPtrArray *design = bfs(cedges, from, to);
    g_array_free(cedges, TRUE);
    if (design == NULL) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NO_PATH,
                    "no chain of hops leads from %s to %s, in msmigrate's design or in any "
                    "loaded plugin",
                    from, to);
        return;
    }
    GString *chain = g_string_new(from);
    for (guint i = 0; i < design->len; i++) {
        const MsmCatalogueHop *c = design->pdata[i];
        g_string_append_printf(chain, " -> %s", c->to);
    }
    /* Every package the chain still needs, in chain order, each once. */
    GString *needed = g_string_new(NULL);
    guint n_needed = 0;
    for (guint i = 0; i < design->len; i++) {
        const MsmCatalogueHop *c = design->pdata[i];
        if (msm_registry_find_hop(reg, c->from, c->to) || strstr(needed->str, c->package))
            continue;
        g_string_append_printf(needed, "%s%s", n_needed++ ? ", " : "", c->package);
    }
    for (guint i = 0; i < design->len; i++) {
        const MsmCatalogueHop *c = design->pdata[i];
        if (msm_registry_find_hop(reg, c->from, c->to))
            continue;
        const MsmBrokenPlugin *b = msm_registry_find_broken(reg, c->plugin);
        if (b) {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NO_PATH,
                        "no plan from %s to %s: the hop %s -> %s comes with plugin %s, which is "
                        "installed (%s) but was not loaded: %s; fix: %s (the chain would be %s)",
                        from, to, c->from, c->to, c->plugin, b->path, b->reason, b->fix,
                        chain->str);
        } else {
            g_set_error(error, MSM_ERROR, MSM_ERROR_NO_PATH,
                        "no plan from %s to %s: no loaded plugin provides the hop %s -> %s; it "
                        "comes with plugin %s: install the package %s (the chain would be %s)",
                        from, to, c->from, c->to, c->plugin, c->package, chain->str);
        }
        if (n_needed > 1 && error && *error) {
            char *msg = g_strdup_printf("%s; every package the chain needs: %s",
                                        (*error)->message, needed->str);
            g_free((*error)->message);
            (*error)->message = msg;
        }
        break;
    }
    g_string_free(needed, TRUE);
    if (error && *error == NULL)
        g_set_error(error, MSM_ERROR, MSM_ERROR_NO_PATH,
                    "no plan from %s to %s with the loaded plugins (the design's chain is %s)",
                    from, to, chain->str);
    g_string_free(chain, TRUE);
    g_ptr_array_unref(design);
}

MsmPlan *
msm_plan_build(MsmRegistry *reg, const char *from, const char *to, GError **error)
{
    if (!msm_version_is_known(from) || !msm_version_is_known(to)) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_NOT_FOUND, "unknown version id \"%s\"",
                    msm_version_is_known(from) ? to : from);
        return NULL;
    }
    if (strcmp(from, to) == 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED,
                    "the deployment is already at %s: nothing to plan", from);
        return NULL;
    }
    if (!msm_version_is_custom(from) && !msm_version_is_custom(to) &&
        msm_version_compare(from, to) > 0) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSUPPORTED,
                    "%s is older than %s: a plan only goes forward; to go back, use "
                    "'msmigrate rollback RUN' on the run that brought the deployment to %s",
                    to, from, from);
        return NULL;
    }
    GPtrArray *hops = msm_registry_hops(reg);
    GArray *edges = g_array_new(FALSE, FALSE, sizeof(Edge));
    for (guint i = 0; i < hops->len; i++) {
        const MsmHopRef *h = hops->pdata[i];
        Edge e = {h->hop->from, h->hop->to, h};
        g_array_append_val(edges, e);
    }
    GPtrArray *path = bfs(edges, from, to);
    g_array_free(edges, TRUE);
    if (path == NULL) {
        explain_no_path(reg, from, to, error);
        return NULL;
    }
    MsmPlan *plan = g_new0(MsmPlan, 1);
    plan->from = g_strdup(from);
    plan->to = g_strdup(to);
    plan->steps = path;
    plan->registry = reg;
    return plan;
}

void
msm_plan_free(MsmPlan *plan)
{
    if (plan == NULL)
        return;
    g_free(plan->from);
    g_free(plan->to);
    g_ptr_array_unref(plan->steps);
    g_free(plan);
}

char *
msm_plan_path_string(const MsmPlan *plan)
{
    GString *s = g_string_new(plan->from);
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        g_string_append_printf(s, " -> %s", h->hop->to);
    }
    return g_string_free(s, FALSE);
}

gboolean
msm_plan_irreversible(const MsmPlan *plan)
{
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        if (h->irreversible)
            return TRUE;
    }
    return FALSE;
}

void
msm_plan_kind(const MsmPlan *plan, MsmKind kind, MsmPlanKind *pk)
{
    memset(pk, 0, sizeof *pk);
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        if (msm_hop_migrator(h->hop, kind))
            pk->n_migrators++;
        if (h->hop->pending_kinds & (1u << kind)) {
            if (pk->n_pending++ == 0)
                pk->first_pending = h;
        }
    }
    if (plan->registry) {
        pk->reader = msm_registry_find_codec(plan->registry, kind, plan->from);
        pk->writer = msm_registry_find_codec(plan->registry, kind, plan->to);
        if (pk->reader && !pk->reader->codec->reader_open)
            pk->reader = NULL;
        if (pk->writer && !pk->writer->codec->writer_open)
            pk->writer = NULL;
    }
}

static const char *
mode_text(const MsmHop *hop)
{
    return (hop->flags & MSM_HOP_ONLINE) ? "online (the source may keep serving users)"
                                         : "offline (services stopped during the hop)";
}

static const char *
host_text(const MsmHop *hop)
{
    if (hop->flags & MSM_HOP_IN_PLACE)
        return "in place (the target is the source root)";
    if (hop->flags & MSM_HOP_NEW_HOST)
        return "new host (the target version is installed on another host or root)";
    return "separate target root";
}

static const char *
check_text(const MsmPrecondition *p)
{
    return p->check ? "checked automatically" : "cannot be checked from files: confirm it";
}

char *
msm_plan_to_text(const MsmPlan *plan)
{
    GString *s = g_string_new(NULL);
    char *path = msm_plan_path_string(plan);
    g_string_append_printf(s, "Plan: %s  (%u hop%s)\n", path, plan->steps->len,
                           plan->steps->len == 1 ? "" : "s");
    g_free(path);
    g_string_append_printf(s, "From: %s\nTo:   %s\n", msm_version_display_name(plan->from),
                           msm_version_display_name(plan->to));
    if (msm_version_compare(plan->to, "ms-8.0") >= 0 &&
        msm_version_compare(plan->from, "ms-7.0") < 0)
        g_string_append(s, "Note: the vendor does not support 5.x/6.x straight to 8.x (seed 004: "
                           "\"You first must upgrade to Messaging Server 7.x\"); this plan goes "
                           "through ms-7.0.\n");
    g_string_append_printf(s, "Reversible: %s\n",
                           msm_plan_irreversible(plan)
                               ? "no - at least one hop cannot be backed out (see below)"
                               : "yes - every hop can be rolled back");
    g_string_append(s, "\nWhat each kind needs:\n");
    for (int k = 0; k < MSM_KIND_COUNT; k++) {
        MsmPlanKind pk;
        msm_plan_kind(plan, (MsmKind)k, &pk);
        g_string_append_printf(s, "  %-9s ", msm_kind_name((MsmKind)k));
        if (pk.n_pending) {
            g_string_append_printf(s, "NOT YET SUPPORTED: plugin %s does not migrate it on %s -> "
                                      "%s yet (the vendor's procedure does); leave it out with "
                                      "--only and migrate it another way\n",
                                   pk.first_pending->plugin->name, pk.first_pending->hop->from,
                                   pk.first_pending->hop->to);
            continue;
        }
        if (pk.n_migrators == 0) {
            g_string_append(s, "nothing to do on any hop\n");
            continue;
        }
        g_string_append_printf(s, "%u hop%s migrate it; read %s with %s; write %s with %s\n",
                               pk.n_migrators, pk.n_migrators == 1 ? "" : "s", plan->from,
                               pk.reader ? pk.reader->codec->name : "NO CODEC LOADED", plan->to,
                               pk.writer ? pk.writer->codec->name : "NO CODEC LOADED");
    }
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        const MsmHop *hop = h->hop;
        const MsmPluginDescriptor *d = h->plugin->desc;
        g_string_append_printf(s, "\nHop %u: %s -> %s   [plugin %s %s%s%s]\n", i + 1, hop->from,
                               hop->to, d->name, d->version, d->package ? ", package " : "",
                               d->package ? d->package : "");
        g_string_append_printf(s, "  %s -> %s\n", msm_version_display_name(hop->from),
                               msm_version_display_name(hop->to));
        if (hop->summary)
            g_string_append_printf(s, "  %s\n", hop->summary);
        g_string_append_printf(s, "  reversible: %s", h->irreversible ? "NO" : "yes");
        if (hop->reversible_note)
            g_string_append_printf(s, " - %s", hop->reversible_note);
        else if (h->irreversible && !(hop->flags & MSM_HOP_IRREVERSIBLE))
            g_string_append(s, " - no back-out once a site reaches 7.0.5 or later from below "
                               "it (seed 004: database incompatibilities)");
        g_string_append_printf(s, "\n  mode: %s\n  target: %s%s\n", mode_text(hop),
                               host_text(hop),
                               (hop->flags & MSM_HOP_TARGET_FIRST)
                                   ? "; the target version must be installed first"
                                   : "");
        g_string_append(s, "  kinds:");
        for (int k = 0; k < MSM_KIND_COUNT; k++)
            g_string_append_printf(s, " %s=%s", msm_kind_name((MsmKind)k),
                                   msm_hop_migrator(hop, (MsmKind)k)    ? "migrated"
                                   : (hop->pending_kinds & (1u << k)) ? "NOT-YET-SUPPORTED"
                                                                        : "nothing-to-do");
        g_string_append(s, "\n  preconditions:");
        if (hop->preconditions == NULL || hop->preconditions[0].id == NULL)
            g_string_append(s, " none declared");
        g_string_append_c(s, '\n');
        for (const MsmPrecondition *p = hop->preconditions; p && p->id; p++) {
            g_string_append_printf(s, "    - [%s] %s\n        %s", p->id, p->text,
                                   check_text(p));
            if (!p->check)
                g_string_append_printf(s, " with --confirm %s", p->id);
            if (p->source)
                g_string_append_printf(s, "; source: %s", p->source);
            g_string_append_c(s, '\n');
            if (p->override)
                g_string_append_printf(s, "        may be overridden with --override %s: %s\n",
                                       p->id, p->override);
        }
    }
    GPtrArray *refused = plan->registry ? msm_registry_refused_hops(plan->registry) : NULL;
    for (guint i = 0; refused && i < refused->len; i++) {
        const MsmRefusedHop *r = refused->pdata[i];
        if (msm_version_compare(r->from, plan->from) >= 0 &&
            msm_version_compare(r->to, plan->to) <= 0)
            g_string_append_printf(s, "\nNot used: plugin %s declares %s -> %s, which is "
                                      "refused: %s\n",
                                   r->plugin, r->from, r->to, r->reason);
    }
    return g_string_free(s, FALSE);
}

static void
codec_json(MsmJson *j, const char *key, const MsmCodecRef *c)
{
    msm_json_key(j, key);
    if (c == NULL) {
        msm_json_null(j);
        return;
    }
    msm_json_begin_object(j);
    msm_json_kv_string(j, "codec", c->codec->name);
    msm_json_kv_string(j, "plugin", c->plugin->name);
    msm_json_end_object(j);
}

char *
msm_plan_to_json(const MsmPlan *plan)
{
    MsmJson *j = msm_json_new(TRUE);
    msm_json_begin_object(j);
    msm_json_kv_string(j, "from", plan->from);
    msm_json_kv_string(j, "to", plan->to);
    msm_json_key(j, "path");
    msm_json_begin_array(j);
    msm_json_string(j, plan->from);
    for (guint i = 0; i < plan->steps->len; i++)
        msm_json_string(j, ((const MsmHopRef *)plan->steps->pdata[i])->hop->to);
    msm_json_end_array(j);
    msm_json_kv_bool(j, "reversible", !msm_plan_irreversible(plan));
    msm_json_key(j, "kinds");
    msm_json_begin_object(j);
    for (int k = 0; k < MSM_KIND_COUNT; k++) {
        MsmPlanKind pk;
        msm_plan_kind(plan, (MsmKind)k, &pk);
        msm_json_key(j, msm_kind_name((MsmKind)k));
        msm_json_begin_object(j);
        msm_json_kv_int(j, "hops_with_migrator", pk.n_migrators);
        msm_json_kv_int(j, "hops_pending", pk.n_pending);
        codec_json(j, "reader", pk.reader);
        codec_json(j, "writer", pk.writer);
        msm_json_end_object(j);
    }
    msm_json_end_object(j);
    msm_json_key(j, "hops");
    msm_json_begin_array(j);
    for (guint i = 0; i < plan->steps->len; i++) {
        const MsmHopRef *h = plan->steps->pdata[i];
        const MsmHop *hop = h->hop;
        msm_json_begin_object(j);
        msm_json_kv_string(j, "from", hop->from);
        msm_json_kv_string(j, "to", hop->to);
        msm_json_kv_string(j, "plugin", h->plugin->name);
        msm_json_kv_string(j, "plugin_version", h->plugin->desc->version);
        msm_json_kv_string(j, "package", h->plugin->desc->package);
        msm_json_kv_string(j, "summary", hop->summary);
        msm_json_kv_bool(j, "reversible", !h->irreversible);
        msm_json_kv_string(j, "reversible_note", hop->reversible_note);
        msm_json_kv_string(j, "mode", (hop->flags & MSM_HOP_ONLINE) ? "online" : "offline");
        msm_json_kv_bool(j, "new_host", (hop->flags & MSM_HOP_NEW_HOST) != 0);
        msm_json_kv_bool(j, "in_place", (hop->flags & MSM_HOP_IN_PLACE) != 0);
        msm_json_kv_bool(j, "target_installed_first", (hop->flags & MSM_HOP_TARGET_FIRST) != 0);
        msm_json_key(j, "kinds");
        msm_json_begin_object(j);
        for (int k = 0; k < MSM_KIND_COUNT; k++)
            msm_json_kv_string(j, msm_kind_name((MsmKind)k),
                               msm_hop_migrator(hop, (MsmKind)k)    ? "migrated"
                               : (hop->pending_kinds & (1u << k)) ? "pending"
                                                                    : "nothing-to-do");
        msm_json_end_object(j);
        msm_json_key(j, "preconditions");
        msm_json_begin_array(j);
        for (const MsmPrecondition *p = hop->preconditions; p && p->id; p++) {
            msm_json_begin_object(j);
            msm_json_kv_string(j, "id", p->id);
            msm_json_kv_string(j, "text", p->text);
            msm_json_kv_string(j, "source", p->source);
            msm_json_kv_string(j, "check", p->check ? "automatic" : "manual");
            msm_json_kv_string(j, "override", p->override);
            msm_json_end_object(j);
        }
        msm_json_end_array(j);
        msm_json_end_object(j);
    }
    msm_json_end_array(j);
    msm_json_end_object(j);
    return msm_json_finish(j);
}
