/*
 * NAME
 *	version.h - canonical version ids of the products (DESIGN §3)
 * SUMMARY
 *	Ids are lowercase strings: "sims-4.0", "nms-3.x", "nms-4.0", "nms-4.1",
 *	"ims-5.2", "ms-6.0", "ms-6.1", "ms-6.2", "ms-6.2p3", "ms-6.3", "ms-7.0",
 *	"ms-7.0.5", "ms-8.0", "ms-8.0.1", "ms-8.0.2", "ms-8.1".
 */
#ifndef MSMIGRATE_VERSION_H
#define MSMIGRATE_VERSION_H

#include <glib.h>

G_BEGIN_DECLS

/* Resolves what a person types ("5.2", "6.2p3", "7u5", "8.1", "ms-6.3", "iMS 5.2")
 * to a canonical id (transfer none, static). NULL with MSM_ERROR_NOT_FOUND,
 * MSM_ERROR_AMBIGUOUS ("4.0": SIMS or NMS) or MSM_ERROR_UNSUPPORTED (older than
 * NMS 3.01), the message saying why and what to type instead. */
const char *msm_version_resolve(const char *text, GError **error);
/* TRUE if id is one of the canonical ids or a third-party id (below). */
gboolean msm_version_is_known(const char *id);
/* TRUE if id is a third-party version id: "x-" followed by lowercase letters,
 * digits, '.', '-' or '_' (64 characters at most), e.g. "x-mbox" for a plugin's
 * custom store. Such ids are nodes of the version graph like the products' ones,
 * resolve to themselves, belong to family "x", and sort after every product
 * version; the host knows nothing else about them (no layout, no detection). */
gboolean msm_version_is_custom(const char *id);
/* Orders two canonical ids along the product line: <0, 0, >0. Unknown ids sort last. */
int msm_version_compare(const char *a, const char *b);
/* Human name: "iPlanet Messaging Server 5.2"; a third-party id names itself.
 * (transfer none, static) */
const char *msm_version_display_name(const char *id);
/* Product family: "sims", "nms", "ims", "ms", or "x" for a third-party id.
 * (transfer none, static) */
const char *msm_version_family(const char *id);
/* All canonical ids in product order, NULL-terminated. (transfer none, static) */
const char *const *msm_version_all(void);

G_END_DECLS

#endif
