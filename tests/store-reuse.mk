# tests/store-reuse.mk - (area fragment; see Makefile.am)
# NMS 4.x -> iMS 5.2 store reuse in place (docs/formats/store-nms4.md "In-place reuse").
INTEGRATION_TESTS += tests/integration/store-reuse.sh
EXTRA_DIST += tests/integration/store-reuse.sh tests/bench/store-reuse

UNIT_TESTS += tests/unit/test-store-reuse
tests_unit_test_store_reuse_SOURCES = tests/unit/test-store-reuse.c
tests_unit_test_store_reuse_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_reuse_LDADD = $(UNIT_LDADD)
