/*
 * NAME
 *	ctxpriv.h - the host's side of MsmCtx (not part of the SDK)
 * SUMMARY
 *	The engine, planner and CLI build one MsmCtx per run (or per plan/detect)
 *	and update the hop fields as the chain advances. context.c implements the
 *	public accessors of context.h over this struct.
 */
#ifndef MSM_CORE_CTXPRIV_H
#define MSM_CORE_CTXPRIV_H

#include <msmigrate/msmigrate.h>

#include <stdio.h>

struct MsmJournal;
struct MsmRegistry;

/* Secret lookup: the profile names where a secret comes from (docs/formats/profile.md). */
typedef char *(*MsmSecretFunc)(const char *name, gpointer user_data, GError **error);

struct MsmCtx {
    char *run_id;
    char *source_root;
    char *target_root;
    char *work_dir;
    char *run_from, *run_to;
    const char *hop_from, *hop_to; /* static canonical ids */
    char *instance;
    gboolean dry_run;
    gboolean force;           /* --force: allow re-applying a hop already in history */
    guint hop_kinds;          /* kinds (1 << MsmKind) the run migrates on the current hop;
                                 G_MAXUINT = not known (plan, detect): every kind */
    GKeyFile *profile;        /* may be NULL; never holds secrets */
    MsmSecretFunc secret_func;
    gpointer secret_data;
    MsmLayout *source_layout; /* for run_from (may be NULL before resolution) */
    MsmLayout *target_layout; /* for hop_to (re-resolved as hops advance) */
    struct MsmJournal *journal; /* NULL outside a run */
    struct MsmRegistry *registry;
    FILE *log;                /* run log, or NULL */
    gboolean quiet;           /* no INFO on the terminal */
    gboolean verbose;         /* DEBUG on the terminal */
    GPtrArray *emitted;       /* MsmItem* emitted by finish callbacks */
    gpointer plugin_data;
    GHashTable *option_cache; /* strings handed out by msm_ctx_option() */
    char *store_stage_root;   /* in-place store run: the stage written instead of the
                                 target (store-stage.h), or NULL */
    gboolean store_stage_swapped; /* a resumed in-place run whose stage is swapped in */
};

MsmCtx *msm_ctx_new(void);
void msm_ctx_free(MsmCtx *ctx);
/* Sets hop_from/hop_to and re-resolves the target layout for hop_to. */
gboolean msm_ctx_enter_hop(MsmCtx *ctx, const char *from, const char *to, GError **error);

#endif
