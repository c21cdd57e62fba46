/*
 * NAME
 *	migrator.h - the four migrator interfaces a hop provides
 * SUMMARY
 *	Each hop provides up to four migrators, one per kind (DESIGN §4). A
 *	missing migrator means "nothing to do for that kind on this hop": items
 *	pass through unchanged, and the plan says so. Each interface has its
 *	own version and ends in spare slots so small additions need no bump.
 * CALLBACKS (all optional unless marked)
 *	preflight(ctx, error): read-only checks beyond the hop's declared
 *	  preconditions; FALSE + MSM_ERROR_PRECONDITION refuses the run.
 *	transform(ctx, item, error) [mandatory]: changes the item in place for
 *	  the hop's target version; returns an MsmResult. The item stays owned
 *	  by the host. It may be called from several worker threads at once
 *	  for different items: keep per-item state on the item, and guard any
 *	  shared state.
 *	finish(ctx, error): called once after the last item of the kind went
 *	  through this hop; may add items with msm_ctx_emit() (files only the
 *	  new version has) and write review artifacts.
 */
#ifndef MSMIGRATE_MIGRATOR_H
#define MSMIGRATE_MIGRATOR_H

#include <glib.h>
#include <msmigrate/context.h>
#include <msmigrate/ir.h>
#include <msmigrate/types.h>

G_BEGIN_DECLS

#define MSM_CONFIG_IFACE_VERSION 1
#define MSM_STORE_IFACE_VERSION 1
#define MSM_QUEUE_IFACE_VERSION 1
#define MSM_DIRECTORY_IFACE_VERSION 1

typedef MsmResult (*MsmTransformFunc)(MsmCtx *ctx, MsmItem *item, GError **error);

/* Configuration: items carry MsmConfigFile. */
typedef struct {
    guint32 iface_version; /* MSM_CONFIG_IFACE_VERSION */
    guint32 struct_size;   /* sizeof(MsmConfigMigrator) */
    gboolean (*preflight)(MsmCtx *ctx, GError **error);
    MsmTransformFunc transform;
    gboolean (*finish)(MsmCtx *ctx, GError **error);
    gpointer spare[8];
} MsmConfigMigrator;

/* Message store: items carry MsmFolder. transform_message (optional) is applied
 * lazily to each message as the writer pulls it; it may change flags, keywords
 * or wrap the body, and returns CONTINUE, SKIP (message dropped and counted) or
 * ERROR. */
typedef struct {
    guint32 iface_version; /* MSM_STORE_IFACE_VERSION */
    guint32 struct_size;   /* sizeof(MsmStoreMigrator) */
    gboolean (*preflight)(MsmCtx *ctx, GError **error);
    MsmTransformFunc transform;
    MsmResult (*transform_message)(MsmCtx *ctx, const MsmFolder *folder, MsmMessage *msg,
                                   GError **error);
    gboolean (*finish)(MsmCtx *ctx, GError **error);
    gpointer spare[8];
} MsmStoreMigrator;

/* MTA queue: items carry MsmQueuedMessage. */
typedef struct {
    guint32 iface_version; /* MSM_QUEUE_IFACE_VERSION */
    guint32 struct_size;   /* sizeof(MsmQueueMigrator) */
    gboolean (*preflight)(MsmCtx *ctx, GError **error);
    MsmTransformFunc transform;
    gboolean (*finish)(MsmCtx *ctx, GError **error);
    gpointer spare[8];
} MsmQueueMigrator;

/* Directory: items carry MsmEntry. The host keeps the entry as read, lets every
 * hop of the chain change it, and writes one modify per entry (the difference
 * between the two), with audit and undo LDIF. */
typedef struct {
    guint32 iface_version; /* MSM_DIRECTORY_IFACE_VERSION */
    guint32 struct_size;   /* sizeof(MsmDirectoryMigrator) */
    gboolean (*preflight)(MsmCtx *ctx, GError **error);
    MsmTransformFunc transform;
    gboolean (*finish)(MsmCtx *ctx, GError **error);
    gpointer spare[8];
} MsmDirectoryMigrator;

G_END_DECLS

#endif
