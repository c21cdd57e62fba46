/*
 * NAME
 *	config.c - nms4x's configuration migrators (nms-4.0 -> nms-4.1, nms-4.x -> ims-5.2)
 * SUMMARY
 *	4.0 -> 4.1: nsmsg.conf merged into the 4.1 template. 4.x -> 5.2:
 *	nsmsg.conf and localdomains become the 5.2 msg.conf and imta.cnf, the
 *	other 5.2 files come from the 5.2 templates (plugins/common/nms.c).
 *	docs/config-hops.md#nms3x-nms4x.
 */
#include "config.h"

#include "../common/nms.h"
#include "nms4x.h"

extern const HcTemplate nms4x_templates[];

static const HcHop hop_40_41 = {
    .from = "nms-4.0",
    .to = "nms-4.1",
    .templates = nms4x_templates,
    .extra_formats = nms_extra_formats,
    .custom = nms41_custom,
    .fixup = nms41_fixup,
};
static const HcHop hop_40_52 = {
    .from = "nms-4.0",
    .to = "ims-5.2",
    .templates = nms4x_templates,
    .custom = nms52_custom,
    .finish = nms52_finish,
};
static const HcHop hop_41_52 = {
    .from = "nms-4.1",
    .to = "ims-5.2",
    .templates = nms4x_templates,
    .custom = nms52_custom,
    .finish = nms52_finish,
};

HC_MIGRATOR(nms4x_config_40_41, hop_40_41);
HC_MIGRATOR(nms4x_config_40_52, hop_40_52);
HC_MIGRATOR(nms4x_config_41_52, hop_41_52);
