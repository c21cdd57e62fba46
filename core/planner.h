/*
 * NAME
 *	planner.h - shortest chain of hops from one version to another
 * SUMMARY
 *	Breadth-first search over the registry's hops (ties broken by the
 *	catalogue order, so plans are stable). When no chain exists the error
 *	names the first missing hop along the design's own path and the plugin
 *	and package that would provide it (or, when that plugin is installed
 *	but broken, why it did not load).
 */
#ifndef MSM_CORE_PLANNER_H
#define MSM_CORE_PLANNER_H

#include "registry.h"

typedef struct {
    char *from;
    char *to;
    GPtrArray *steps;      /* const MsmHopRef* (transfer none: owned by the registry) */
    MsmRegistry *registry; /* (transfer none) the registry the plan was built from */
} MsmPlan;

/* What the chain does for one kind: the hops with a migrator of that kind, the
 * codec that reads the origin and the one that writes the destination. */
typedef struct {
    guint n_migrators;            /* hops of the plan with a migrator of this kind */
    guint n_pending;              /* hops on which the kind is pending (MsmHop.pending_kinds) */
    const MsmHopRef *first_pending; /* the first such hop, or NULL */
    const MsmCodecRef *reader;    /* codec for plan->from, or NULL */
    const MsmCodecRef *writer;    /* codec for plan->to, or NULL */
} MsmPlanKind;

/* Fills *pk for kind. */
void msm_plan_kind(const MsmPlan *plan, MsmKind kind, MsmPlanKind *pk);
/* The migrator of kind on a hop, as a generic pointer (NULL if none). */
gconstpointer msm_hop_migrator(const MsmHop *hop, MsmKind kind);

/* from/to are canonical ids (resolve aliases first). (transfer full) */
MsmPlan *msm_plan_build(MsmRegistry *reg, const char *from, const char *to, GError **error);
void msm_plan_free(MsmPlan *plan);
/* "ims-5.2 -> ms-6.0 -> ms-6.3" (transfer full) */
char *msm_plan_path_string(const MsmPlan *plan);
/* TRUE if any step is irreversible. */
gboolean msm_plan_irreversible(const MsmPlan *plan);
/* The text the `plan` verb prints: the path, then per hop the plugin, properties
 * (reversible, offline/online, new host or in place), what each kind does, and
 * every precondition with its source and override. (transfer full) */
char *msm_plan_to_text(const MsmPlan *plan);
/* The same as one JSON object (docs/formats/plan-json.md). (transfer full) */
char *msm_plan_to_json(const MsmPlan *plan);

#endif
