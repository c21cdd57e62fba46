/*
 * NAME
 *	plugin.h - the plugin descriptor: hops, guards, codecs, preconditions
 * SUMMARY
 *	A plugin is one shared object exporting exactly one symbol, its
 *	descriptor, made with MSM_PLUGIN_DEFINE(). For a file "ms7x-8x.so" the
 *	host looks up "msm_plugin_ms7x_8x_descriptor" (every character that is
 *	not a letter or digit becomes '_'). The descriptor starts with
 *	abi_version and struct_size; the host checks them before it reads any
 *	other field, then refuses descriptors missing a mandatory field (name,
 *	description, version, license, and at least one hop, guard or codec).
 * OWNERSHIP
 *	Everything a descriptor points to is static and owned by the plugin; it
 *	must stay valid until fini() returns. The host never frees or writes it.
 * ERRORS
 *	init() returns FALSE and sets *error to refuse to load (the host
 *	reports the plugin as broken, once, and goes on without it).
 */
#ifndef MSMIGRATE_PLUGIN_H
#define MSMIGRATE_PLUGIN_H

#include <glib.h>
#include <msmigrate/codec.h>
#include <msmigrate/context.h>
#include <msmigrate/migrator.h>
#include <msmigrate/types.h>

G_BEGIN_DECLS

/* Bumped on any incompatible change of the structs below. Packages of plugins
 * depend on the virtual package msmigrate-abi-<MSM_ABI_VERSION>. */
#define MSM_ABI_VERSION 1

#if defined(__GNUC__)
#define MSM_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define MSM_PLUGIN_EXPORT
#endif

/* ---- preconditions ---- */

typedef enum {
    MSM_CHECK_PASS = 0,    /* the condition holds */
    MSM_CHECK_FAIL = 1,    /* it does not: *detail_r says what was found */
    MSM_CHECK_MANUAL = 2,  /* cannot be checked from files: the user confirms it
                            * with --confirm ID after checking it by hand */
} MsmCheckResult;

/* Checks one precondition without changing anything. *detail_r (transfer full,
 * may be left NULL) says what was found, e.g. "12 messages in 3 channels".
 * Returns MSM_CHECK_FAIL with *error set only when the check itself could not
 * run (unreadable file): the host reports that as a failure too. */
typedef MsmCheckResult (*MsmCheckFunc)(MsmCtx *ctx, char **detail_r, GError **error);

typedef struct {
    const char *id;       /* stable, lowercase-dashed: "queues-empty" (mandatory) */
    const char *text;     /* what must be true, as the seed says (mandatory) */
    const char *source;   /* where the seed says it: "seed 000: prior to performing the upgrade" */
    const char *override; /* NULL: cannot be overridden. Else why the seeds allow
                           * going on anyway; the user passes --override ID */
    MsmCheckFunc check;   /* NULL = manual (the user confirms with --confirm ID) */
    gpointer spare[2];
} MsmPrecondition;

/* ---- hops ---- */

#define MSM_HOP_IRREVERSIBLE (1u << 0) /* no back-out after it (the host also forces this
                                        * for any hop into >= ms-7.0.5 from below it) */
#define MSM_HOP_ONLINE       (1u << 1) /* may run while the source serves users */
#define MSM_HOP_NEW_HOST     (1u << 2) /* target is installed on another host/root */
#define MSM_HOP_IN_PLACE     (1u << 3) /* target is the source root, changed in place */
#define MSM_HOP_TARGET_FIRST (1u << 4) /* target version must be installed first */

typedef struct {
    const char *from;     /* canonical version id (mandatory) */
    const char *to;       /* canonical version id (mandatory) */
    guint32 flags;        /* MSM_HOP_* */
    const char *summary;  /* one line: what the vendor's procedure was */
    const char *reversible_note; /* why it is (not) reversible, shown in plan; may be NULL */
    const MsmPrecondition *preconditions; /* array ended by an element with id == NULL; may be NULL */
    const MsmConfigMigrator *config;       /* NULL: nothing to do for configuration */
    const MsmStoreMigrator *store;         /* NULL: nothing to do for the store */
    const MsmQueueMigrator *queue;         /* NULL: nothing to do for queues */
    const MsmDirectoryMigrator *directory; /* NULL: nothing to do for the directory */
    /* Kinds (bit mask of 1 << MsmKind) the vendor's procedure migrates on this hop but
     * this plugin does not (yet). The plan shows them as pending, and a run refuses
     * them unless the user leaves them out with --only. A kind with a migrator cannot
     * be pending. Without this, a missing migrator means "nothing to do". */
    guint32 pending_kinds;
    gpointer spare[4];
} MsmHop;

/* ---- guards ---- */

/* A guard wraps a run: it can refuse at plan time, act before and after, and
 * undo. Example: zfs-snapshot-rollback. */
typedef struct {
    const char *name;     /* "zfs" (mandatory): the user asks for it with --guard NAME */
    const char *summary;  /* mandatory */
    gboolean (*preflight)(MsmCtx *ctx, GError **error); /* plan time: refuse early */
    gboolean (*before)(MsmCtx *ctx, GError **error);    /* before anything changes */
    gboolean (*after)(MsmCtx *ctx, gboolean run_succeeded, GError **error);
    gboolean (*rollback)(MsmCtx *ctx, GError **error);  /* undo what the run changed */
    gpointer spare[8];
} MsmGuard;

/* ---- the descriptor ---- */

typedef struct {
    guint32 abi_version; /* MSM_ABI_VERSION: checked first */
    guint32 struct_size; /* sizeof(MsmPluginDescriptor): checked second */
    const char *name;        /* "ims52": must match the file name (mandatory) */
    const char *description; /* one line (mandatory) */
    const char *version;     /* the plugin's own version (mandatory) */
    const char *license;     /* SPDX id (mandatory) */
    const char *package;     /* distribution package, e.g. "msmigrate-plugin-ims52" */
    const char *origin;      /* who made it */
    const MsmHop *hops;      /* ended by an element with from == NULL; may be NULL */
    const MsmGuard *guards;  /* ended by an element with name == NULL; may be NULL */
    const MsmCodec *const *codecs; /* NULL-terminated; may be NULL */
    gboolean (*init)(GError **error); /* may be NULL */
    void (*fini)(void);               /* may be NULL */
    gpointer reserved[8];
} MsmPluginDescriptor;

/* Defines the descriptor of plugin `ident` (a C identifier: the plugin name with
 * every non-alphanumeric character replaced by '_'). The remaining arguments are
 * designated initialisers:
 *
 *   MSM_PLUGIN_DEFINE(ms7x_8x,
 *       .name = "ms7x-8x", .description = "...", .version = "1.0",
 *       .license = "GPL-3.0-or-later", .hops = ms7x_hops);
 */
#define MSM_PLUGIN_DEFINE(ident, ...)                                                          \
    MSM_PLUGIN_EXPORT extern const MsmPluginDescriptor msm_plugin_##ident##_descriptor;        \
    const MsmPluginDescriptor msm_plugin_##ident##_descriptor = {                              \
        .abi_version = MSM_ABI_VERSION,                                                        \
        .struct_size = sizeof(MsmPluginDescriptor),                                            \
        __VA_ARGS__}

G_END_DECLS

#endif
