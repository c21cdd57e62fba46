/*
 * NAME
 *	msm-deliver.c - test tool: deliver messages into a store, as the MTA's
 *	store channel would after an upgrade (tests only, never installed)
 * SYNOPSIS
 *	msm-deliver ROOT VERSION SCRATCH USER FOLDER DATE FILE...
 *	  adds each FILE (exact message bytes) to FOLDER of USER in the store of
 *	  VERSION at ROOT, internal date DATE (seconds), through the store's own
 *	  codec (core/store-append.h: next UIDs, duplicates not added). A folder
 *	  that does not exist is created with UIDVALIDITY $MSM_DELIVER_UIDVALIDITY
 *	  (default: now). Prints "added N duplicates M".
 */
#include "config.h"

#include "ctxpriv.h"
#include "registry.h"
#include "store-append.h"

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
    if (argc < 8) {
        fprintf(stderr, "usage: msm-deliver ROOT VERSION SCRATCH USER FOLDER DATE FILE...\n");
        return 1;
    }
    GError *err = NULL;
    MsmRegistry *reg = msm_registry_new();
    const MsmCodecRef *ref = msm_registry_find_codec(reg, MSM_KIND_STORE, argv[2]);
    if (ref == NULL) {
        fprintf(stderr, "msm-deliver: no store codec for %s\n", argv[2]);
        return 1;
    }
    MsmCtx *ctx = msm_ctx_new();
    ctx->registry = reg;
    ctx->quiet = TRUE;
    GPtrArray *adds = g_ptr_array_new_with_free_func((GDestroyNotify)msm_store_addition_free);
    for (int i = 7; i < argc; i++) {
        MsmStoreAddition *a = msm_store_addition_new(argv[4], argv[5]);
        a->internal_date = g_ascii_strtoll(argv[6], NULL, 10) + (i - 7);
        a->body_path = g_strdup(argv[i]);
        const char *uv = g_getenv("MSM_DELIVER_UIDVALIDITY");
        a->uidvalidity = uv ? (guint32)g_ascii_strtoull(uv, NULL, 10) : 0;
        g_ptr_array_add(adds, a);
    }
    MsmStoreAppendStats st = {0};
    gboolean ok = msm_store_append(ctx, ref->codec, argv[1], argv[2], adds, argv[3], &st, &err);
    if (!ok)
        fprintf(stderr, "msm-deliver: %s\n", err->message);
    else
        printf("added %" G_GUINT64_FORMAT " duplicates %" G_GUINT64_FORMAT "\n", st.added,
               st.duplicates);
    g_clear_error(&err);
    g_ptr_array_unref(adds);
    msm_ctx_free(ctx);
    msm_registry_free(reg);
    return ok ? 0 : 1;
}
