/*
 * NAME
 *	to63.h - what the 6.x -> 6.3 hops of ms60 and ms62 do beyond the merge
 * SUMMARY
 *	Seed 001's patch-config step: parameters of the configuration
 *	directory (o=comms-config, whose local copy is local.conf) move into
 *	msg.conf, the post-upgrade settings are made (IMAP enabled for
 *	webmail, the proxy admin per back-end host), and the user/group
 *	directory diff ugdir_diff.ldif (a documented model) is written as an
 *	artifact. HcHop callbacks; docs/config-hops.md#ms60-ms62.
 * OWNERSHIP
 *	See hopconf.h.
 * ERRORS
 *	When the hop starts at the run's source, msg.conf reads the source's
 *	local.conf itself, so the order of the items does not matter (nor a
 *	--resume after local.conf was done). On a later hop of a chain,
 *	local.conf met after msg.conf (only possible when several workers run
 *	the items, under --dry-run) fails local.conf with the fix.
 */
#ifndef MSM_PLUGINS_TO63_H
#define MSM_PLUGINS_TO63_H

#include "hopconf.h"

gboolean to63_custom(MsmCtx *ctx, const HcHop *hop, HcState *st, MsmConfigFile *cf,
                     MsmResult *result_r, GError **error);
gboolean to63_fixup(MsmCtx *ctx, const HcHop *hop, HcState *st, const char *relpath,
                    MsmConfDoc *merged, GPtrArray *notes, GError **error);
gboolean to63_finish(MsmCtx *ctx, const HcHop *hop, HcState *st, GError **error);

#endif
