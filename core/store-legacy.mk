# core/store-legacy.mk - (area fragment; see Makefile.am)
# The NMS 4.x store codec and the helpers of the modelled SIMS / NMS stores.
core_libmsmigrate_la_SOURCES += \
	core/legacy-store.c core/legacy-store.h \
	core/codec-nms4-store.c \
	core/store-manifest.c core/store-manifest.h

# store backup | restore | upgrade. The SIMS 4.0 and NMS 3.x code is destined
# for the sims40 / nms3x plugins; until they export an API the CLI can reach,
# it is linked into the CLI directly.
core_msmigrate_SOURCES += \
	core/cli-store-legacy.c \
	plugins/sims40/codec-sims-store.c plugins/sims40/codec-sims-store.h \
	plugins/sims40/imbackup.c plugins/sims40/imbackup.h \
	plugins/sims40/restore.c plugins/sims40/restore.h \
	plugins/nms3x/codec-nms3-store.c plugins/nms3x/codec-nms3-store.h \
	plugins/nms3x/upgrade.c plugins/nms3x/upgrade.h
