# plugins/local.mk - the version adapters. Each plugin lives in plugins/<name>/ with
# its own local.mk, included below in the same change that adds its MSM_PLUGIN()
# line to plugins/plugins.m4 (see plugins/README.md). The configuration migrator
# machinery every adapter shares (plugins/common/) is compiled into each plugin, so
# each package stands alone.
PLUGIN_COMMON_SOURCES = plugins/common/hopconf.c plugins/common/hopconf.h \
	plugins/common/preconditions.h plugins/common/storeconv.c plugins/common/storeconv.h
EXTRA_DIST += plugins/common/embed-templates.sh
noinst_HEADERS += plugins/common/preconditions.h

include plugins/sims40/local.mk
include plugins/nms3x/local.mk
include plugins/nms4x/local.mk
include plugins/ims52/local.mk
include plugins/ms60/local.mk
include plugins/ms62/local.mk
include plugins/ms7x-8x/local.mk
include plugins/zfs-snapshot-rollback/local.mk
