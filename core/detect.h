/*
 * NAME
 *	detect.h - what a deployment root holds, from its layout
 * SUMMARY
 *	Rules in docs/formats/layout.md. The root may be a directory standing for
 *	a host's "/" (opt/, etc/, var/ below it), a server root (msg-<instance>
 *	directories below it), or a msg_svr_base (config/ and data/ below it).
 *	The history file (history.h) gives the exact version when present.
 *	Ambiguity is reported (several candidates), never guessed.
 */
#ifndef MSM_CORE_DETECT_H
#define MSM_CORE_DETECT_H

#include <msmigrate/msmigrate.h>

typedef struct {
    char *root;
    char *family;         /* "sims-4.0", "nms-3.x", "nms-4.x", "ims-5.2", "ms-6.0-6.2",
                           * "ms-6.3+ legacy", "ms-7.0.5+ unified", or NULL if nothing matched */
    GPtrArray *candidates; /* char*: canonical ids the layout allows, product order */
    char *version;        /* exact version when known (one candidate, or history), else NULL */
    char *base_dir;       /* msg_svr_base / server root / SIMS root found */
    GPtrArray *instances; /* char*: instance names (msg-<name>) when the root has several */
    GPtrArray *evidence;  /* char*: one line per rule that matched, with the file it saw */
} MsmDetection;

/* Examines root. Fails only when root is unreadable; a root with nothing known
 * yields family == NULL and evidence saying what was looked for. (transfer full) */
MsmDetection *msm_detect(const char *root, GError **error);
void msm_detection_free(MsmDetection *det);
/* Picks the version: from_override (already canonical) if given and allowed by the
 * layout (else MSM_ERROR_AMBIGUOUS/NOT_FOUND explaining), else the exact version,
 * else MSM_ERROR_AMBIGUOUS listing the candidates and saying to pass --from.
 * (transfer none: static id) */
const char *msm_detection_pick(const MsmDetection *det, const char *from_override,
                               GError **error);
char *msm_detection_to_text(const MsmDetection *det);
char *msm_detection_to_json(const MsmDetection *det);

#endif
