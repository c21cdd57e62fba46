# tests/store-e2e.mk - (area fragment; see Makefile.am)
# Issue 5 acceptance: every product store migrated to ms-8.1 in one run through the
# real plugins, verified, exported to Maildir and served by a real Dovecot.
INTEGRATION_TESTS += tests/integration/store-e2e.sh
EXTRA_DIST += tests/integration/store-e2e.sh
