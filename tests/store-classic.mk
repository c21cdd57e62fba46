# tests/store-classic.mk - classic message store codec tests (area fragment; see Makefile.am)
UNIT_TESTS += tests/unit/test-classic-store
tests_unit_test_classic_store_SOURCES = tests/unit/test-classic-store.c tests/unit/testutil.h
tests_unit_test_classic_store_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_classic_store_LDADD = $(UNIT_LDADD)
INTEGRATION_TESTS += tests/integration/store-classic-run.sh
EXTRA_DIST += tests/bench/store
check_LTLIBRARIES += tests/plugins/store-classic/fx-store-classic.la
tests_plugins_store_classic_fx_store_classic_la_SOURCES = tests/plugins/fx-store-classic.c
tests_plugins_store_classic_fx_store_classic_la_CFLAGS = $(FX_CFLAGS)
tests_plugins_store_classic_fx_store_classic_la_LDFLAGS = $(FX_LDFLAGS)
tests_plugins_store_classic_fx_store_classic_la_LIBADD = $(FX_LIBADD)
