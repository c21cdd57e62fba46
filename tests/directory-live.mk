# tests/directory-live.mk - (area fragment; see Makefile.am)
# The online directory migrator: libldap layer (unit, real slapd) and the CLI
# against a real slapd (integration).
UNIT_TESTS += tests/unit/test-ldapconn
tests_unit_test_ldapconn_SOURCES = tests/unit/test-ldapconn.c tests/unit/testutil.h
tests_unit_test_ldapconn_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_ldapconn_LDADD = $(UNIT_LDADD)
INTEGRATION_TESTS += tests/integration/directory-live-migrate.sh \
	tests/integration/directory-live-resume.sh
# the benchmark is run by hand, not by make check
EXTRA_DIST += tests/bench/directory
INTEGRATION_TESTS += tests/integration/directory-export.sh
