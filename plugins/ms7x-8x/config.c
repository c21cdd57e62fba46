/*
 * NAME
 *	config.c - ms7x-8x's configuration migrators (legacy configuration)
 * SUMMARY
 *	6.3 -> 7.0: every file merged into the 7.0 template, three-way against
 *	the 6.3 template, msg_svr_base moved from /opt/SUNWmsgsr (or the
 *	Linux /opt/sun/comms/messaging) to /opt/sun/comms/messaging64.
 *	7.0 -> 7.0.5 and 7.x / 8.0.x -> 8.1: the same merge into the new
 *	version's template (msg.conf split against msg.conf.defaults by
 *	plugins/common/hopconf.c). docs/config-hops.md#ms7x-8x.
 */
#include "config.h"

#include "../common/hopconf.h"
#include "ms7x-8x.h"

extern const HcTemplate ms7x_8x_templates[];

static const HcPathRule paths_63_70[] = {
    {"(?<![A-Za-z0-9_.-])/opt/SUNWmsgsr(?![A-Za-z0-9_.-])", "/opt/sun/comms/messaging64"},
    {"(?<![A-Za-z0-9_.-])/opt/sun/comms/messaging(?![A-Za-z0-9_.-])", "/opt/sun/comms/messaging64"},
    {NULL, NULL},
};

#define HOP(var, f, t, paths)                                                                      \
    static const HcHop var = {                                                                     \
        .from = f, .to = t, .templates = ms7x_8x_templates, .path_rules = paths}

HOP(hop_63_70, "ms-6.3", "ms-7.0", paths_63_70);
HOP(hop_70_705, "ms-7.0", "ms-7.0.5", NULL);
HOP(hop_70_81, "ms-7.0", "ms-8.1", NULL);
HOP(hop_705_81, "ms-7.0.5", "ms-8.1", NULL);
HOP(hop_80_81, "ms-8.0", "ms-8.1", NULL);
HOP(hop_801_81, "ms-8.0.1", "ms-8.1", NULL);
HOP(hop_802_81, "ms-8.0.2", "ms-8.1", NULL);

HC_MIGRATOR(ms7x_8x_config_63_70, hop_63_70);
HC_MIGRATOR(ms7x_8x_config_70_705, hop_70_705);
HC_MIGRATOR(ms7x_8x_config_70_81, hop_70_81);
HC_MIGRATOR(ms7x_8x_config_705_81, hop_705_81);
HC_MIGRATOR(ms7x_8x_config_80_81, hop_80_81);
HC_MIGRATOR(ms7x_8x_config_801_81, hop_801_81);
HC_MIGRATOR(ms7x_8x_config_802_81, hop_802_81);
