/*
 * NAME
 *	store-manifest.c - the rollback manifest and records of the modelled
 *	legacy store writers
 * SUMMARY
 *	Implements store-manifest.h for plugins/sims40/codec-sims-store.c and
 *	plugins/nms3x/codec-nms3-store.c.
 * DIAGNOSTICS
 *	See store-manifest.h ERRORS.
 */
#include "config.h"

#include "store-manifest.h"

#include "util.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
msm_store_manifest_note(const char *path, const char *format, ...)
{
    FILE *fp = fopen(path, "a");
    if (fp == NULL)
        return;
    va_list ap;
    va_start(ap, format);
    vfprintf(fp, format, ap);
    va_end(ap);
    fclose(fp);
}

/* Whether line names a path strictly below root, without ".." (a manifest is the run's
 * own file, but a rollback never removes anything outside the deployment). */
static gboolean
below_root(const char *line, const char *root)
{
    size_t n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    return strncmp(line, root, n) == 0 && line[n] == '/' && msm_relpath_is_safe(line + n + 1);
}

gboolean
msm_store_manifest_rollback(MsmCtx *ctx, const char *name, const char *root, MsmStoreUndoFunc undo,
                            GError **error)
{
    if (ctx == NULL || *msm_ctx_work_dir(ctx) == '\0')
        return TRUE;
    char *mp = g_build_filename(msm_ctx_work_dir(ctx), name, NULL);
    char *text = NULL;
    gboolean ok = TRUE;
    if (g_file_get_contents(mp, &text, NULL, NULL)) {
        char **lines = g_strsplit(text, "\n", -1);
        for (guint i = 0; ok && lines[i]; i++)
            if (lines[i][0] && below_root(lines[i], root))
                ok = undo(lines[i], error);
        g_strfreev(lines);
        if (ok)
            g_unlink(mp);
    }
    g_free(text);
    g_free(mp);
    return ok;
}

gboolean
msm_store_record_write(const char *path, MsmLegacyRecord *r, GError **error)
{
    char *s = msm_legacy_record_to_string(r);
    gboolean ok = msm_write_file_atomic(path, s, strlen(s), 0600, error);
    g_free(s);
    return ok;
}

void
msm_store_record_lines(const char *v, GPtrArray *out)
{
    if (v == NULL)
        return;
    char **l = g_strsplit(v, "\n", -1);
    for (guint i = 0; l[i]; i++)
        if (*l[i])
            g_ptr_array_add(out, g_strdup(l[i]));
    g_strfreev(l);
}
