/*
 * NAME
 *	config.c - ms62's configuration migrators (ms-6.2, ms-6.2p3 -> ms-6.3)
 * SUMMARY
 *	Seed 001's patch-config: each file merged into the 6.3 template,
 *	three-way against the 6.2 / 6.2p3 template; msg.conf split against
 *	msg.conf.defaults (plugins/common/hopconf.c); local.conf's parameters
 *	moved into msg.conf, the post-upgrade settings and ugdir_diff.ldif
 *	(plugins/common/to63.c). docs/config-hops.md#ms62-ms62.
 */
#include "config.h"

#include "../common/to63.h"
#include "ms62.h"

extern const HcTemplate ms62_templates[];

static const HcHop hop_62_63 = {
    .from = "ms-6.2",
    .to = "ms-6.3",
    .templates = ms62_templates,
    .custom = to63_custom,
    .fixup = to63_fixup,
    .finish = to63_finish,
};
static const HcHop hop_62p3_63 = {
    .from = "ms-6.2p3",
    .to = "ms-6.3",
    .templates = ms62_templates,
    .custom = to63_custom,
    .fixup = to63_fixup,
    .finish = to63_finish,
};

HC_MIGRATOR(ms62_config_62_63, hop_62_63);
HC_MIGRATOR(ms62_config_62p3_63, hop_62p3_63);
