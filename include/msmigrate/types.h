/*
 * NAME
 *	types.h - small shared types of the msmigrate SDK
 */
#ifndef MSMIGRATE_TYPES_H
#define MSMIGRATE_TYPES_H

#include <glib.h>

G_BEGIN_DECLS

/* The four kinds of data a hop can migrate (DESIGN §4). */
typedef enum {
    MSM_KIND_CONFIG = 0,
    MSM_KIND_STORE = 1,
    MSM_KIND_QUEUE = 2,
    MSM_KIND_DIRECTORY = 3,
    MSM_KIND_COUNT
} MsmKind;

/* Result of one link of a chain (a transform): explicit, as overlays do. */
typedef enum {
    MSM_RESULT_CONTINUE = 0, /* item (possibly changed) goes on to the next hop */
    MSM_RESULT_SKIP = 1,     /* item is deliberately not migrated; journalled as skipped with a reason */
    MSM_RESULT_ERROR = 2,    /* item failed; *error is set; journalled as failed, the run goes on */
    MSM_RESULT_STOP = 3,     /* the whole run must stop; *error is set */
} MsmResult;

/* "config", "store", "queue", "directory". (transfer none, static) */
const char *msm_kind_name(MsmKind kind);

/* Parses a kind name; returns FALSE for an unknown name. */
gboolean msm_kind_from_name(const char *name, MsmKind *kind_r);

G_END_DECLS

#endif
