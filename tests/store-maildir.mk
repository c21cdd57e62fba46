# tests/store-maildir.mk - (area fragment; see Makefile.am)
UNIT_TESTS += tests/unit/test-maildir
tests_unit_test_maildir_SOURCES = tests/unit/test-maildir.c
tests_unit_test_maildir_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_maildir_LDADD = $(UNIT_LDADD)
INTEGRATION_TESTS += tests/integration/store-maildir-dovecot.sh \
	tests/integration/store-hostile-names.sh
EXTRA_DIST += tests/integration/lib-dovecot.sh tests/integration/store-maildir-imap.py \
	tests/bench/store-maildir
