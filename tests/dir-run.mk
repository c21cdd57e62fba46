# tests/dir-run.mk - tests of the directory step of `msmigrate run` (issue 4);
# its core sources are in core/directory.mk.
INTEGRATION_TESTS += tests/integration/dir-run.sh
UNIT_TESTS += tests/unit/test-dir-run
tests_unit_test_dir_run_SOURCES = tests/unit/test-dir-run.c
tests_unit_test_dir_run_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dir_run_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/bench/dir-run
