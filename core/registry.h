/*
 * NAME
 *	registry.h - the loaded plugins, their hops, guards and codecs
 * SUMMARY
 *	loader.c (the only file that includes <ltdl.h>) fills a registry from
 *	the plugin search path: --plugin-dir directories, then
 *	MSMIGRATE_PLUGIN_PATH (':'-separated, ignored when privileged), then
 *	the compiled-in PLUGINDIR. A plugin name found again later in the path
 *	is ignored (the first one wins, like PATH). Core's built-in codecs are
 *	registered too (plugin name "core").
 */
#ifndef MSM_CORE_REGISTRY_H
#define MSM_CORE_REGISTRY_H

#include <msmigrate/msmigrate.h>

typedef struct MsmRegistry MsmRegistry;

typedef struct {
    char *name;  /* descriptor name */
    char *path;  /* file it was loaded from ("" for core) */
    const MsmPluginDescriptor *desc;
} MsmPluginInfo;

/* A plugin file that could not be used: reported once, with a fix. */
typedef struct {
    char *path;
    char *name;   /* plugin name if known, else the file's base name */
    char *reason;
    char *fix;
} MsmBrokenPlugin;

/* One hop as the registry knows it. */
typedef struct {
    const MsmHop *hop;
    const MsmPluginInfo *plugin;
    gboolean irreversible; /* hop flag, or forced by the host (into >= ms-7.0.5) */
} MsmHopRef;

/* A hop some plugin declares but the host refuses (for example 6.x straight to 8.x). */
typedef struct {
    char *from, *to, *plugin, *reason;
} MsmRefusedHop;

typedef struct {
    const MsmCodec *codec;
    const MsmPluginInfo *plugin;
} MsmCodecRef;

typedef struct {
    const MsmGuard *guard;
    const MsmPluginInfo *plugin;
} MsmGuardRef;

MsmRegistry *msm_registry_new(void);
void msm_registry_free(MsmRegistry *reg);

/* Loads the plugins. extra_dirs (NULL-terminated, may be NULL) are the --plugin-dir
 * values; use_default_dir FALSE skips the compiled-in directory (make check).
 * Broken plugins do not make this fail; only a failure of libltdl itself does. */
gboolean msm_registry_load(MsmRegistry *reg, const char *const *extra_dirs,
                           gboolean use_default_dir, GError **error);

/* The directories searched, in order, after msm_registry_load. (transfer none) */
GPtrArray *msm_registry_search_path(MsmRegistry *reg);
/* (transfer none) arrays of MsmPluginInfo*, MsmBrokenPlugin*, MsmHopRef*,
 * MsmRefusedHop*, MsmCodecRef*, MsmGuardRef* */
GPtrArray *msm_registry_plugins(MsmRegistry *reg);
GPtrArray *msm_registry_broken(MsmRegistry *reg);
GPtrArray *msm_registry_hops(MsmRegistry *reg);
GPtrArray *msm_registry_refused_hops(MsmRegistry *reg);
GPtrArray *msm_registry_codecs(MsmRegistry *reg);
GPtrArray *msm_registry_guards(MsmRegistry *reg);

/* The hop from -> to, or NULL. (transfer none) */
const MsmHopRef *msm_registry_find_hop(MsmRegistry *reg, const char *from, const char *to);
/* A codec of kind for version (plugins' first, then core's), or NULL. */
const MsmCodecRef *msm_registry_find_codec(MsmRegistry *reg, MsmKind kind, const char *version);
const MsmGuardRef *msm_registry_find_guard(MsmRegistry *reg, const char *name);
/* Broken plugin by name, or NULL: so a plan needing it can say why it is missing. */
const MsmBrokenPlugin *msm_registry_find_broken(MsmRegistry *reg, const char *name);

/* Used by loader.c and by the built-in codec table. */
void msm_registry_add_plugin(MsmRegistry *reg, const char *path,
                             const MsmPluginDescriptor *desc);
void msm_registry_add_broken(MsmRegistry *reg, const char *path, const char *name,
                             const char *reason, const char *fix);
void msm_registry_add_search_dir(MsmRegistry *reg, const char *dir);
gboolean msm_registry_has_plugin(MsmRegistry *reg, const char *name);

/* Validates a descriptor's fields after its ABI was accepted: mandatory fields,
 * interface versions of every migrator and codec, known version ids. Returns
 * FALSE with a reason (transfer full) and a fix (transfer full). */
gboolean msm_descriptor_validate(const MsmPluginDescriptor *desc, const char *expected_name,
                                 char **reason_r, char **fix_r);

/* Internal to registry.c/loader.c: the open library handles, and closing them. */
GPtrArray *msm_registry_handles(MsmRegistry *reg);
gboolean *msm_registry_ltdl_flag(MsmRegistry *reg);
void msm_loader_close_all(GPtrArray *handles, gboolean *ltdl_inited);

/* Plugin name -> C identifier part of the descriptor symbol ("ms7x-8x" -> "ms7x_8x").
 * (transfer full) */
char *msm_plugin_symbol_name(const char *plugin_name);

#endif
