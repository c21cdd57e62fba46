/*
 * NAME
 *	config.c - nms3x's configuration migrator (nms-3.x -> nms-4.1)
 * SUMMARY
 *	nsmsg.conf merged into the NMS 4.1 template, three-way against the 3.x
 *	template, gaining the 4.1 partition and default domain keys
 *	(plugins/common/nms.c). docs/config-hops.md#nms3x-nms4x.
 */
#include "config.h"

#include "../common/nms.h"
#include "nms3x.h"

extern const HcTemplate nms3x_templates[];

static const HcHop hop_3x_41 = {
    .from = "nms-3.x",
    .to = "nms-4.1",
    .templates = nms3x_templates,
    .extra_formats = nms_extra_formats,
    .custom = nms41_custom,
    .fixup = nms41_fixup,
};

HC_MIGRATOR(nms3x_config_3x_41, hop_3x_41);
