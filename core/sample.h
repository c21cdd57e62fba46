/*
 * NAME
 *	sample.h - deterministic synthetic deployments (`msmigrate sample`)
 * SUMMARY
 *	The same (version, users, seed) always gives byte-identical output. The
 *	model (users, groups, hosted domains, folders with non-ASCII names,
 *	MIME messages with attachments and 8-bit bodies, flags, keywords,
 *	quotas, subscriptions, ACLs, queued and held messages, configuration
 *	files) is generated in core; each kind is written through the codec the
 *	registry has for that version (docs/formats/sample.md). Kinds without a
 *	codec for the version are listed in the result, not silently dropped.
 */
#ifndef MSM_CORE_SAMPLE_H
#define MSM_CORE_SAMPLE_H

#include "registry.h"

typedef struct {
    const char *version;  /* canonical id */
    guint users;          /* number of users (>= 1) */
    guint64 seed;
    const char *instance; /* instance name for server-root layouts; NULL = "sample" */
    guint instances;      /* how many instances to lay out (>= 1; 2+ for tests of the choice) */
} MsmSampleSpec;

typedef struct {
    guint64 items[MSM_KIND_COUNT];   /* items written per kind */
    gboolean written[MSM_KIND_COUNT];
    char *missing[MSM_KIND_COUNT];   /* why a kind was not written (no codec: which package), or NULL */
    char *ldif_path;                 /* directory entries written as LDIF (always) */
} MsmSampleResult;

void msm_sample_result_clear(MsmSampleResult *res);

/* Writes the sample into dir (created; must be empty or absent). */
gboolean msm_sample_write(MsmRegistry *reg, const MsmSampleSpec *spec, const char *dir,
                          MsmSampleResult *result_r, GError **error);

/* msm_sample_write() with about `messages` messages per user (folder sizes
 * scaled from the default mean of about 30; 0 = the default). */
gboolean msm_sample_write_messages(MsmRegistry *reg, const MsmSampleSpec *spec, guint messages,
                                   const char *dir, MsmSampleResult *result_r, GError **error);

#endif
