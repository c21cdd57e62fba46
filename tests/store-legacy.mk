# tests/store-legacy.mk - (area fragment; see Makefile.am)
# The SIMS 4.0 / NMS 3.x / NMS 4.x stores, the imbackup stream and the hop
# procedures. Plugin sources are compiled into the test programs directly
# until the sims40 / nms3x plugins link them.
UNIT_TESTS += tests/unit/test-nms-store
tests_unit_test_nms_store_SOURCES = tests/unit/test-nms-store.c \
	plugins/nms3x/codec-nms3-store.c plugins/nms3x/codec-nms3-store.h
tests_unit_test_nms_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_nms_store_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-sims-store
tests_unit_test_sims_store_SOURCES = tests/unit/test-sims-store.c \
	plugins/sims40/codec-sims-store.c plugins/sims40/codec-sims-store.h \
	plugins/sims40/restore.c plugins/sims40/restore.h \
	plugins/sims40/imbackup.c plugins/sims40/imbackup.h
tests_unit_test_sims_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sims_store_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-imbackup
tests_unit_test_imbackup_SOURCES = tests/unit/test-imbackup.c \
	plugins/sims40/codec-sims-store.c plugins/sims40/codec-sims-store.h \
	plugins/sims40/restore.c plugins/sims40/restore.h \
	plugins/sims40/imbackup.c plugins/sims40/imbackup.h
tests_unit_test_imbackup_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_imbackup_LDADD = $(UNIT_LDADD)

UNIT_TESTS += tests/unit/test-nms3-upgrade
tests_unit_test_nms3_upgrade_SOURCES = tests/unit/test-nms3-upgrade.c \
	plugins/nms3x/codec-nms3-store.c plugins/nms3x/codec-nms3-store.h \
	plugins/nms3x/upgrade.c plugins/nms3x/upgrade.h
tests_unit_test_nms3_upgrade_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_nms3_upgrade_LDADD = $(UNIT_LDADD)

# tests/integration/store-legacy.sh drives `msmigrate store backup|restore|upgrade` end
# to end. It needs core/cli-store.c to dispatch those sub-verbs and the sims40 / nms3x
# plugins to register sims40_store_codec() / nms3x_store_codec(); register it then:
INTEGRATION_TESTS += tests/integration/store-legacy.sh
EXTRA_DIST += tests/integration/store-legacy.sh
