/*
 * NAME
 *	catalogue.c - the design's hops and the vendor's refusals
 * SUMMARY
 *	Implements core/catalogue.h: the DESIGN §3 table (which plugin and
 *	package provide each hop) and the hops the vendor refuses whoever
 *	provides them (docs/versions.md, "Hops the vendor refuses").
 * DESCRIPTION
 *	The table is data in DESIGN order. The planner searches it to name the
 *	missing plugin when no chain exists; the registry asks
 *	msm_catalogue_refusal() about every hop a plugin offers.
 * DIAGNOSTICS
 *	None: lookups return NULL when nothing matches.
 */
#include "config.h"

#include "catalogue.h"

#include <string.h>

/* clang-format off */
#define HOP(f, t, p) {f, t, p, "msmigrate-plugin-" p}

static const MsmCatalogueHop hops[] = {
    HOP("sims-4.0", "ims-5.2", "sims40"),
    HOP("nms-3.x", "nms-4.1", "nms3x"),
    HOP("nms-4.0", "nms-4.1", "nms4x"),
    HOP("nms-4.0", "ims-5.2", "nms4x"),
    HOP("nms-4.1", "ims-5.2", "nms4x"),
    HOP("ims-5.2", "ms-6.0", "ims52"),
    HOP("ms-6.0", "ms-6.3", "ms60"),
    HOP("ms-6.1", "ms-6.3", "ms60"),
    HOP("ms-6.2", "ms-6.3", "ms62"),
    HOP("ms-6.2p3", "ms-6.3", "ms62"),
    HOP("ms-6.3", "ms-7.0", "ms7x-8x"),
    HOP("ms-7.0", "ms-7.0.5", "ms7x-8x"),
    HOP("ms-7.0", "ms-8.1", "ms7x-8x"),
    HOP("ms-7.0.5", "ms-8.1", "ms7x-8x"),
    HOP("ms-8.0", "ms-8.1", "ms7x-8x"),
    HOP("ms-8.0.1", "ms-8.1", "ms7x-8x"),
    HOP("ms-8.0.2", "ms-8.1", "ms7x-8x"),
    {NULL, NULL, NULL, NULL},
};
/* clang-format on */

static const char refuse_backward[] = "a hop must go forward; use msmigrate rollback to go back";
static const char refuse_5x6x_to_8x[] =
    "the vendor does not support upgrading from Messaging Server 5.x or 6.x directly to 8.x "
    "(seed 004: \"You cannot upgrade from Messaging Server 5.x or 6.x directly to Messaging "
    "Server 8.1.0. You first must upgrade to Messaging Server 7.x\"); go through ms-7.0 first";
static const char refuse_pre52_to_ms[] =
    "the vendor's 5.2 -> 6 upgrade cannot be used with versions older than 5.2 (seed 000: "
    "\"you must first migrate or upgrade to Messaging Server 5.2\"); go through ims-5.2 first";

/* The DESIGN 3 hops, ended by {NULL}. */
const MsmCatalogueHop *
msm_catalogue_hops(void)
{
    return hops;
}

/* The catalogue entry of from -> to, or NULL. */
const MsmCatalogueHop *
msm_catalogue_find(const char *from, const char *to)
{
    if (from == NULL || to == NULL)
        return NULL;
    for (const MsmCatalogueHop *h = hops; h->from; h++)
        if (strcmp(h->from, from) == 0 && strcmp(h->to, to) == 0)
            return h;
    return NULL;
}

/* "msmigrate-plugin-<plugin>". */
char *
msm_catalogue_package_for(const char *plugin)
{
    g_return_val_if_fail(plugin != NULL, NULL);
    return g_strdup_printf("msmigrate-plugin-%s", plugin);
}

/* Why the vendor refuses from -> to (static), or NULL when allowed. */
const char *
msm_catalogue_refusal(const char *from, const char *to)
{
    if (!msm_version_is_known(from) || !msm_version_is_known(to))
        return NULL; /* not a version the vendor made: resolution reports it */
    if (msm_version_is_custom(from) || msm_version_is_custom(to))
        return NULL; /* a third-party store: the vendor's rules do not speak of it */
    if (msm_version_compare(from, to) >= 0)
        return refuse_backward;
    const char *ff = msm_version_family(from), *tf = msm_version_family(to);
    gboolean from_5x_6x = strcmp(ff, "ims") == 0 || g_str_has_prefix(from, "ms-6.");
    if (from_5x_6x && g_str_has_prefix(to, "ms-8."))
        return refuse_5x6x_to_8x;
    if ((strcmp(ff, "sims") == 0 || strcmp(ff, "nms") == 0) && strcmp(tf, "ms") == 0)
        return refuse_pre52_to_ms;
    return NULL;
}
