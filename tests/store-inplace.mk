# tests/store-inplace.mk - in-place store runs: the stage, the swap, resume and rollback
UNIT_TESTS += tests/unit/test-store-stage
tests_unit_test_store_stage_SOURCES = tests/unit/test-store-stage.c tests/unit/testutil.h
tests_unit_test_store_stage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_store_stage_LDADD = $(UNIT_LDADD)
INTEGRATION_TESTS += tests/integration/store-inplace.sh
INTEGRATION_TESTS += tests/integration/store-diskfull.sh
