# tests/config-tools.mk - (area fragment; see Makefile.am)
UNIT_TESTS += tests/unit/test-uc
tests_unit_test_uc_SOURCES = tests/unit/test-uc.c
tests_unit_test_uc_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_uc_LDADD = $(UNIT_LDADD)
INTEGRATION_TESTS += tests/integration/cli-config-uc.sh
UNIT_TESTS += tests/unit/test-corpus
tests_unit_test_corpus_SOURCES = tests/unit/test-corpus.c
tests_unit_test_corpus_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_corpus_LDADD = $(UNIT_LDADD)
EXTRA_DIST += tests/data/corpus tests/bench/config-merge tests/fuzz/fuzz-uc.c
