# tests/queue.mk - (area fragment; see Makefile.am)
# MTA queue tests (issue 6). The fixture plugin tests/plugins/queue/fx-queue.la
# declares every hop with a channel-renaming queue migrator and brings the NMS 3.x
# queue codec of plugins/nms3x (compiled in here until the nms3x plugin lands).
check_LTLIBRARIES += tests/plugins/queue/fx-queue.la
tests_plugins_queue_fx_queue_la_SOURCES = tests/plugins/fx-queue.c plugins/nms3x/codec-nms3-queue.c
tests_plugins_queue_fx_queue_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core
tests_plugins_queue_fx_queue_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_queue_fx_queue_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_queue_fx_queue_la_LIBADD = $(FX_LIBADD)

UNIT_TESTS += tests/unit/test-queue-nms
tests_unit_test_queue_nms_SOURCES = tests/unit/test-queue-nms.c plugins/nms3x/codec-nms3-queue.c
tests_unit_test_queue_nms_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_queue_nms_LDADD = $(UNIT_LDADD)

# the code the queue and legacy store codecs share (core/queue-file.h,
# core/store-manifest.h), and the nsmsg.conf reading pinned
UNIT_TESTS += tests/unit/test-queue-file
noinst_HEADERS += tests/unit/codec-testutil.h
tests_unit_test_queue_file_SOURCES = tests/unit/test-queue-file.c
tests_unit_test_queue_file_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_queue_file_LDADD = $(UNIT_LDADD)

INTEGRATION_TESTS += tests/integration/cli-queue-convert.sh

EXTRA_DIST += tests/fuzz/fuzz-nms-queue.c tests/bench/queue-convert.sh
