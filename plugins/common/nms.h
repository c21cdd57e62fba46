/*
 * NAME
 *	nms.h - the NMS specifics shared by nms3x and nms4x
 * SUMMARY
 *	NMS keeps its configuration in the configuration directory (nsmsgCfg*
 *	entries); the instance's local files are modelled as nsmsg.conf
 *	(configutil syntax) and localdomains (docs/formats/sample.md,
 *	docs/config-hops.md#nms3x-nms4x). To 4.1, nsmsg.conf is merged into
 *	the 4.1 template and gains the partition and default domain keys; to
 *	iMS 5.2, nsmsg.conf and localdomains become the 5.2 msg.conf (seed 003
 *	parameters) and rewrite rules of the 5.2 imta.cnf, built by finish().
 *	HcHop callbacks.
 * OWNERSHIP
 *	See hopconf.h.
 * ERRORS
 *	A nsmsg.conf that does not parse fails that item, naming it.
 */
#ifndef MSM_PLUGINS_NMS_H
#define MSM_PLUGINS_NMS_H

#include "hopconf.h"

/* {"nsmsg.conf", "configutil", NULL}: for HcHop.extra_formats. */
extern const char *const nms_extra_formats[];

/* nms-3.x / nms-4.0 -> nms-4.1 */
gboolean nms41_custom(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf,
                      MsmResult *result_r, GError **error);
gboolean nms41_fixup(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath,
                     MsmConfDoc *merged, GPtrArray *notes, GError **error);
/* nms-4.x -> ims-5.2 */
gboolean nms52_custom(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf,
                      MsmResult *result_r, GError **error);
gboolean nms52_finish(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error);

#endif
