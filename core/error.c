/*
 * NAME
 *	error.c - the MSM_ERROR domain and kind names
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include <string.h>

G_DEFINE_QUARK(msmigrate-error-quark, msm_error)

static const char *const kind_names[MSM_KIND_COUNT] = {"config", "store", "queue", "directory"};

const char *
msm_kind_name(MsmKind kind)
{
    if ((int)kind < 0 || kind >= MSM_KIND_COUNT)
        return "unknown";
    return kind_names[kind];
}

gboolean
msm_kind_from_name(const char *name, MsmKind *kind_r)
{
    for (int k = 0; k < MSM_KIND_COUNT; k++) {
        if (g_ascii_strcasecmp(name, kind_names[k]) == 0) {
            *kind_r = (MsmKind)k;
            return TRUE;
        }
    }
    return FALSE;
}
