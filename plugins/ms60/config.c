/*
 * NAME
 *	config.c - ms60's configuration migrators (ms-6.0, ms-6.1 -> ms-6.3)
 * SUMMARY
 *	Seed 001's patch-config: each file merged into the 6.3 template,
 *	three-way against the 6.0 / 6.1 template; msg.conf split against
 *	msg.conf.defaults (plugins/common/hopconf.c); local.conf's parameters
 *	moved into msg.conf, the post-upgrade settings and ugdir_diff.ldif
 *	(plugins/common/to63.c). docs/config-hops.md#ms60-ms62.
 */
#include "config.h"

#include "../common/to63.h"
#include "ms60.h"

extern const HcTemplate ms60_templates[];

static const HcHop hop_60_63 = {
    .from = "ms-6.0",
    .to = "ms-6.3",
    .templates = ms60_templates,
    .custom = to63_custom,
    .fixup = to63_fixup,
    .finish = to63_finish,
};
static const HcHop hop_61_63 = {
    .from = "ms-6.1",
    .to = "ms-6.3",
    .templates = ms60_templates,
    .custom = to63_custom,
    .fixup = to63_fixup,
    .finish = to63_finish,
};

HC_MIGRATOR(ms60_config_60_63, hop_60_63);
HC_MIGRATOR(ms60_config_61_63, hop_61_63);
