# tests/directory.mk - directory mapping (dir-core): unit tests and slapd integration scripts

UNIT_TESTS += tests/unit/test-dirmap
tests_unit_test_dirmap_SOURCES = tests/unit/test-dirmap.c tests/unit/testutil.h
tests_unit_test_dirmap_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dirmap_LDADD = $(UNIT_LDADD)

INTEGRATION_TESTS += tests/integration/directory-schema.sh tests/integration/directory-offline.sh
EXTRA_DIST += tests/integration/lib-slapd.sh

# driver of core/dirmap for the integration scripts (not installed)
check_PROGRAMS += tests/unit/test-dirmap-tool
tests_unit_test_dirmap_tool_SOURCES = tests/unit/test-dirmap-tool.c
tests_unit_test_dirmap_tool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_dirmap_tool_LDADD = core/libmsmigrate.la $(GLIB_LIBS)
