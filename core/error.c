/*
 * NAME
 *	error.c - the MSM_ERROR domain and kind names
 */
#include "config.h"

#include <msmigrate/msmigrate.h>

#include "util.h"

#include <errno.h>
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

gboolean
msm_kind_mask_parse(const char *list, guint *mask_r)
{
    guint mask = 0;
    gboolean ok = TRUE;
    char **parts = g_strsplit(list ? list : "", ",", -1);
    for (char **p = parts; *p; p++) {
        MsmKind k;
        if (*g_strstrip(*p) == '\0')
            continue;
        if (msm_kind_from_name(*p, &k))
            mask |= 1u << k;
        else
            ok = FALSE;
    }
    g_strfreev(parts);
    *mask_r = mask;
    return ok;
}

char *
msm_kind_mask_text(guint mask)
{
    GString *s = g_string_new(NULL);
    for (int k = 0; k < MSM_KIND_COUNT; k++)
        if (mask & (1u << k))
            g_string_append_printf(s, "%s%s", s->len ? "," : "", kind_names[k]);
    return g_string_free(s, FALSE);
}

int
msm_io_error_code(int errnum)
{
    return errnum == ENOSPC || errnum == EDQUOT ? MSM_ERROR_NO_SPACE : MSM_ERROR_IO;
}
