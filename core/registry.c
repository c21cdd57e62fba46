/*
 * NAME
 *	registry.c - the loaded plugins and what they provide
 * SUMMARY
 *	Holds plugins, broken plugins, hops, refused hops, codecs and guards.
 *	loader.c fills it; the planner, engine and CLI read it.
 * DESCRIPTION
 *	Core registers itself as plugin "core" with the built-in codecs
 *	(builtin.h). A hop already provided by an earlier plugin makes the later
 *	plugin broken as a whole (two packages claiming one hop is a packaging
 *	error the administrator must resolve). Hops the vendor does not support
 *	(catalogue.h) are kept aside as refused, with the reason.
 */
#include "config.h"

#include "registry.h"

#include "builtin.h"
#include "catalogue.h"

#include <string.h>

struct MsmRegistry {
    GPtrArray *plugins;  /* MsmPluginInfo* */
    GPtrArray *broken;   /* MsmBrokenPlugin* */
    GPtrArray *hops;     /* MsmHopRef* */
    GPtrArray *refused;  /* MsmRefusedHop* */
    GPtrArray *codecs;   /* MsmCodecRef* */
    GPtrArray *guards;   /* MsmGuardRef* */
    GPtrArray *search;   /* char* */
    GPtrArray *handles;  /* opaque handles owned by loader.c */
    gboolean ltdl_inited; /* this registry called lt_dlinit() */
};

static void
plugin_info_free(gpointer p)
{
    MsmPluginInfo *pi = p;
    g_free(pi->name);
    g_free(pi->path);
    g_free(pi);
}

static void
broken_free(gpointer p)
{
    MsmBrokenPlugin *b = p;
    g_free(b->path);
    g_free(b->name);
    g_free(b->reason);
    g_free(b->fix);
    g_free(b);
}

static void
refused_free(gpointer p)
{
    MsmRefusedHop *r = p;
    g_free(r->from);
    g_free(r->to);
    g_free(r->plugin);
    g_free(r->reason);
    g_free(r);
}

/* Built-in codecs, NULL-terminated (room for every core format of DESIGN §5). */
static const MsmCodec *core_codecs[16];

static const MsmPluginDescriptor core_descriptor = {
    .abi_version = MSM_ABI_VERSION,
    .struct_size = sizeof(MsmPluginDescriptor),
    .name = "core",
    .description = "codecs built into libmsmigrate (formats shared by many versions)",
    .version = PACKAGE_VERSION,
    .license = "GPL-3.0-or-later",
    .package = "msmigrate",
    .origin = "msmigrate",
    .codecs = core_codecs,
};

/* Creates a registry holding core's built-in codecs. (transfer full) */
MsmRegistry *
msm_registry_new(void)
{
    MsmRegistry *reg = g_new0(MsmRegistry, 1);
    reg->plugins = g_ptr_array_new_with_free_func(plugin_info_free);
    reg->broken = g_ptr_array_new_with_free_func(broken_free);
    reg->hops = g_ptr_array_new_with_free_func(g_free);
    reg->refused = g_ptr_array_new_with_free_func(refused_free);
    reg->codecs = g_ptr_array_new_with_free_func(g_free);
    reg->guards = g_ptr_array_new_with_free_func(g_free);
    reg->search = g_ptr_array_new_with_free_func(g_free);
    reg->handles = g_ptr_array_new();
    guint n = 0;
    core_codecs[n++] = msm_core_config_files_codec();
    core_codecs[n++] = msm_core_pmdf_queue_codec();
    core_codecs[n++] = msm_core_nms4_queue_codec();
    core_codecs[n++] = msm_core_maildir_codec();
    core_codecs[n++] = msm_core_nms4_store_codec();
    core_codecs[n++] = msm_core_classic_store_codec();
    core_codecs[n++] = msm_core_directory_codec();
    /* one line per further core codec (builtin.h declares them) */
    core_codecs[n] = NULL;
    g_assert(n < G_N_ELEMENTS(core_codecs));
    msm_registry_add_plugin(reg, "", &core_descriptor);
    return reg;
}

GPtrArray *
msm_registry_handles(MsmRegistry *reg)
{
    return reg->handles;
}

gboolean *
msm_registry_ltdl_flag(MsmRegistry *reg)
{
    return &reg->ltdl_inited;
}

void
msm_registry_free(MsmRegistry *reg)
{
    if (reg == NULL)
        return;
    msm_loader_close_all(reg->handles, &reg->ltdl_inited);
    g_ptr_array_unref(reg->handles);
    g_ptr_array_unref(reg->hops);
    g_ptr_array_unref(reg->refused);
    g_ptr_array_unref(reg->codecs);
    g_ptr_array_unref(reg->guards);
    g_ptr_array_unref(reg->plugins);
    g_ptr_array_unref(reg->broken);
    g_ptr_array_unref(reg->search);
    g_free(reg);
}

GPtrArray *
msm_registry_search_path(MsmRegistry *reg)
{
    return reg->search;
}

GPtrArray *
msm_registry_plugins(MsmRegistry *reg)
{
    return reg->plugins;
}

GPtrArray *
msm_registry_broken(MsmRegistry *reg)
{
    return reg->broken;
}

GPtrArray *
msm_registry_hops(MsmRegistry *reg)
{
    return reg->hops;
}

GPtrArray *
msm_registry_refused_hops(MsmRegistry *reg)
{
    return reg->refused;
}

GPtrArray *
msm_registry_codecs(MsmRegistry *reg)
{
    return reg->codecs;
}

GPtrArray *
msm_registry_guards(MsmRegistry *reg)
{
    return reg->guards;
}

void
msm_registry_add_search_dir(MsmRegistry *reg, const char *dir)
{
    for (guint i = 0; i < reg->search->len; i++)
        if (strcmp(reg->search->pdata[i], dir) == 0)
            return;
    g_ptr_array_add(reg->search, g_strdup(dir));
}

gboolean
msm_registry_has_plugin(MsmRegistry *reg, const char *name)
{
    for (guint i = 0; i < reg->plugins->len; i++) {
        const MsmPluginInfo *pi = reg->plugins->pdata[i];
        if (strcmp(pi->name, name) == 0)
            return TRUE;
    }
    return FALSE;
}

const MsmHopRef *
msm_registry_find_hop(MsmRegistry *reg, const char *from, const char *to)
{
    for (guint i = 0; i < reg->hops->len; i++) {
        const MsmHopRef *h = reg->hops->pdata[i];
        if (strcmp(h->hop->from, from) == 0 && strcmp(h->hop->to, to) == 0)
            return h;
    }
    return NULL;
}

const MsmCodecRef *
msm_registry_find_codec(MsmRegistry *reg, MsmKind kind, const char *version)
{
    /* Plugins' codecs take precedence over core's: search non-core first. */
    for (int pass = 0; pass < 2; pass++) {
        for (guint i = 0; i < reg->codecs->len; i++) {
            const MsmCodecRef *c = reg->codecs->pdata[i];
            gboolean is_core = strcmp(c->plugin->name, "core") == 0;
            if (c->codec->kind != kind || is_core != (pass == 1))
                continue;
            for (const char *const *v = c->codec->versions; *v; v++)
                if (strcmp(*v, version) == 0)
                    return c;
        }
    }
    return NULL;
}

const MsmGuardRef *
msm_registry_find_guard(MsmRegistry *reg, const char *name)
{
    for (guint i = 0; i < reg->guards->len; i++) {
        const MsmGuardRef *g = reg->guards->pdata[i];
        if (strcmp(g->guard->name, name) == 0)
            return g;
    }
    return NULL;
}

const MsmBrokenPlugin *
msm_registry_find_broken(MsmRegistry *reg, const char *name)
{
    for (guint i = 0; i < reg->broken->len; i++) {
        const MsmBrokenPlugin *b = reg->broken->pdata[i];
        if (b->name && strcmp(b->name, name) == 0)
            return b;
    }
    return NULL;
}

void
msm_registry_add_broken(MsmRegistry *reg, const char *path, const char *name, const char *reason,
                        const char *fix)
{
    MsmBrokenPlugin *b = g_new0(MsmBrokenPlugin, 1);
    b->path = g_strdup(path);
    b->name = g_strdup(name);
    b->reason = g_strdup(reason);
    b->fix = g_strdup(fix);
    g_ptr_array_add(reg->broken, b);
}

/* Registers an accepted descriptor and everything it provides. The caller has
 * validated it and checked for hop conflicts. */
void
msm_registry_add_plugin(MsmRegistry *reg, const char *path, const MsmPluginDescriptor *desc)
{
    MsmPluginInfo *pi = g_new0(MsmPluginInfo, 1);
    pi->name = g_strdup(desc->name);
    pi->path = g_strdup(path);
    pi->desc = desc;
    g_ptr_array_add(reg->plugins, pi);

    for (const MsmHop *h = desc->hops; h && h->from; h++) {
        const char *why = msm_catalogue_refusal(h->from, h->to);
        if (why) {
            MsmRefusedHop *r = g_new0(MsmRefusedHop, 1);
            r->from = g_strdup(h->from);
            r->to = g_strdup(h->to);
            r->plugin = g_strdup(desc->name);
            r->reason = g_strdup(why);
            g_ptr_array_add(reg->refused, r);
            continue;
        }
        MsmHopRef *ref = g_new0(MsmHopRef, 1);
        ref->hop = h;
        ref->plugin = pi;
        /* Nothing backs out of >= 7.0.5 once reached from below it (seed 004). */
        ref->irreversible = (h->flags & MSM_HOP_IRREVERSIBLE) ||
                            (msm_version_compare(h->from, "ms-7.0.5") < 0 &&
                             msm_version_compare(h->to, "ms-7.0.5") >= 0);
        g_ptr_array_add(reg->hops, ref);
    }
    for (const MsmCodec *const *c = desc->codecs; c && *c; c++) {
        MsmCodecRef *ref = g_new0(MsmCodecRef, 1);
        ref->codec = *c;
        ref->plugin = pi;
        g_ptr_array_add(reg->codecs, ref);
    }
    for (const MsmGuard *g = desc->guards; g && g->name; g++) {
        MsmGuardRef *ref = g_new0(MsmGuardRef, 1);
        ref->guard = g;
        ref->plugin = pi;
        g_ptr_array_add(reg->guards, ref);
    }
}

char *
msm_plugin_symbol_name(const char *plugin_name)
{
    char *s = g_strdup(plugin_name);
    for (char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p))
            *p = '_';
    return s;
}

#define CHECK_IFACE(m, want, type, what)                                                       \
    do {                                                                                       \
        if ((m) != NULL) {                                                                     \
            if ((m)->iface_version != (want)) {                                                \
                *reason_r = g_strdup_printf("hop %s -> %s: %s migrator has interface "         \
                                            "version %u, this msmigrate supports %u",          \
                                            h->from, h->to, what, (m)->iface_version, want);   \
                goto abi;                                                                      \
            }                                                                                  \
            if ((m)->struct_size < sizeof(type) || (m)->transform == NULL) {                   \
                *reason_r = g_strdup_printf("hop %s -> %s: %s migrator is incomplete "         \
                                            "(size %u, transform %s)",                         \
                                            h->from, h->to, what, (m)->struct_size,            \
                                            (m)->transform ? "set" : "missing");               \
                goto abi;                                                                      \
            }                                                                                  \
        }                                                                                      \
    } while (0)

static gboolean
field_missing(const char *v)
{
    return v == NULL || *v == '\0';
}

gboolean
msm_descriptor_validate(const MsmPluginDescriptor *desc, const char *expected_name,
                        char **reason_r, char **fix_r)
{
    const char *missing = NULL;
    if (field_missing(desc->name))
        missing = "name";
    else if (field_missing(desc->description))
        missing = "description";
    else if (field_missing(desc->version))
        missing = "version";
    else if (field_missing(desc->license))
        missing = "license";
    if (missing) {
        *reason_r = g_strdup_printf("descriptor has no %s (a mandatory field)", missing);
        *fix_r = g_strdup("set it in MSM_PLUGIN_DEFINE() and rebuild the plugin");
        return FALSE;
    }
    if (expected_name && strcmp(desc->name, expected_name) != 0) {
        *reason_r = g_strdup_printf("descriptor names the plugin \"%s\" but the file is "
                                    "named \"%s\"",
                                    desc->name, expected_name);
        *fix_r = g_strdup_printf("rename the file to %s.so or fix .name", desc->name);
        return FALSE;
    }
    gboolean provides = (desc->hops && desc->hops[0].from) ||
                        (desc->guards && desc->guards[0].name) ||
                        (desc->codecs && desc->codecs[0]);
    if (!provides) {
        *reason_r = g_strdup("descriptor provides no hop, guard or codec");
        *fix_r = g_strdup("declare what the plugin provides in MSM_PLUGIN_DEFINE()");
        return FALSE;
    }
    for (const MsmHop *h = desc->hops; h && h->from; h++) {
        if (field_missing(h->to) || !msm_version_is_known(h->from) ||
            !msm_version_is_known(h->to) || strcmp(h->from, h->to) == 0) {
            *reason_r = g_strdup_printf("hop \"%s\" -> \"%s\" does not join two different "
                                        "canonical versions",
                                        h->from, h->to ? h->to : "(null)");
            *fix_r = g_strdup("use the canonical ids of docs/versions.md");
            return FALSE;
        }
        for (const MsmPrecondition *p = h->preconditions; p && p->id; p++) {
            if (field_missing(p->text)) {
                *reason_r = g_strdup_printf("hop %s -> %s: precondition %s has no text",
                                            h->from, h->to, p->id);
                *fix_r = g_strdup("say what must be true, as the seed says it");
                return FALSE;
            }
        }
        CHECK_IFACE(h->config, MSM_CONFIG_IFACE_VERSION, MsmConfigMigrator, "config");
        CHECK_IFACE(h->store, MSM_STORE_IFACE_VERSION, MsmStoreMigrator, "store");
        CHECK_IFACE(h->queue, MSM_QUEUE_IFACE_VERSION, MsmQueueMigrator, "queue");
        CHECK_IFACE(h->directory, MSM_DIRECTORY_IFACE_VERSION, MsmDirectoryMigrator,
                    "directory");
        for (int k = 0; k < MSM_KIND_COUNT; k++) {
            gboolean has = (k == MSM_KIND_CONFIG && h->config) ||
                           (k == MSM_KIND_STORE && h->store) ||
                           (k == MSM_KIND_QUEUE && h->queue) ||
                           (k == MSM_KIND_DIRECTORY && h->directory);
            if (has && (h->pending_kinds & (1u << k))) {
                *reason_r = g_strdup_printf("hop %s -> %s declares the %s both migrated and "
                                            "pending",
                                            h->from, h->to, msm_kind_name((MsmKind)k));
                *fix_r = g_strdup("drop the kind from pending_kinds once its migrator works");
                return FALSE;
            }
        }
        if (h->pending_kinds & ~((1u << MSM_KIND_COUNT) - 1)) {
            *reason_r = g_strdup_printf("hop %s -> %s: pending_kinds has unknown bits", h->from,
                                        h->to);
            *fix_r = g_strdup("use (1 << MSM_KIND_*) bits only");
            return FALSE;
        }
        if (!h->config && !h->store && !h->queue && !h->directory) {
            *reason_r = g_strdup_printf("hop %s -> %s has no migrator of any kind", h->from,
                                        h->to);
            *fix_r = g_strdup("a hop that does nothing must not be declared");
            return FALSE;
        }
    }
    for (const MsmCodec *const *cp = desc->codecs; cp && *cp; cp++) {
        const MsmCodec *c = *cp;
        if (c->iface_version != MSM_CODEC_IFACE_VERSION || c->struct_size < sizeof(MsmCodec)) {
            *reason_r = g_strdup_printf("codec %s has interface version %u (size %u); this "
                                        "msmigrate supports %u",
                                        c->name ? c->name : "(unnamed)", c->iface_version,
                                        c->struct_size, MSM_CODEC_IFACE_VERSION);
            *fix_r = g_strdup("rebuild the plugin against this msmigrate's SDK");
            return FALSE;
        }
        gboolean reads = c->reader_open && c->reader_next && c->reader_close;
        gboolean writes = c->writer_open && c->writer_put && c->writer_commit && c->writer_close;
        if (field_missing(c->name) || c->kind >= MSM_KIND_COUNT || !c->versions ||
            !c->versions[0] || (!reads && !writes)) {
            *reason_r = g_strdup_printf("codec %s is incomplete (needs a name, a kind, "
                                        "versions and a full reader or writer)",
                                        c->name ? c->name : "(unnamed)");
            *fix_r = g_strdup("complete the MsmCodec and rebuild");
            return FALSE;
        }
        for (const char *const *v = c->versions; *v; v++) {
            if (!msm_version_is_known(*v)) {
                *reason_r = g_strdup_printf("codec %s names unknown version \"%s\"", c->name, *v);
                *fix_r = g_strdup("use the canonical ids of docs/versions.md");
                return FALSE;
            }
        }
    }
    for (const MsmGuard *g = desc->guards; g && g->name; g++) {
        if (field_missing(g->summary)) {
            *reason_r = g_strdup_printf("guard %s has no summary", g->name);
            *fix_r = g_strdup("set .summary and rebuild");
            return FALSE;
        }
    }
    return TRUE;
abi:
    *fix_r = g_strdup("install the plugin package built for this msmigrate, or rebuild the "
                      "plugin against its SDK");
    return FALSE;
}
