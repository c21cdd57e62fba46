/*
 * NAME
 *	storeconv.c - store migrator of codec-converted hops (see storeconv.h)
 */
#include "config.h"

#include "storeconv.h"

#include <string.h>

/* Classic store folder names (docs/formats/store-classic.md): UTF-8, '/'
 * separated, no empty, "." or ".." component, at most 1024 bytes. */
static MsmResult
convert_transform(MsmCtx *ctx, MsmItem *item, GError **error)
{
    MsmFolder *f = item->payload;
    const char *why = NULL;
    if (f->name == NULL || *f->name == '\0')
        why = "it is empty";
    else if (!g_utf8_validate(f->name, -1, NULL))
        why = "it is not UTF-8";
    else if (strlen(f->name) > 1024)
        why = "it is longer than 1024 bytes";
    else {
        char **parts = g_strsplit(f->name, "/", -1);
        for (char **p = parts; *p && !why; p++)
            if (**p == '\0' || strcmp(*p, ".") == 0 || strcmp(*p, "..") == 0)
                why = "it has an empty, \".\" or \"..\" component";
        g_strfreev(parts);
    }
    if (why) {
        g_set_error(error, MSM_ERROR, MSM_ERROR_UNSAFE,
                    "folder \"%s\" of %s cannot be written to the %s store: %s; rename it in "
                    "the source (or restore it with a rename map) and run again",
                    f->name ? f->name : "", f->owner->user, msm_ctx_hop_to(ctx), why);
        return MSM_RESULT_ERROR;
    }
    return MSM_RESULT_CONTINUE;
}

const MsmStoreMigrator hc_store_convert = {
    .iface_version = MSM_STORE_IFACE_VERSION,
    .struct_size = sizeof(MsmStoreMigrator),
    .transform = convert_transform,
};
