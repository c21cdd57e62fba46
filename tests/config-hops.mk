# tests/config-hops.mk - the real adapters' configuration migrators (issue 3)
UNIT_TESTS += tests/unit/test-config-hops
tests_unit_test_config_hops_SOURCES = tests/unit/test-config-hops.c \
	plugins/common/hopconf.c plugins/common/to63.c plugins/common/nms.c \
	plugins/ims52/config.c plugins/sims40/config.c plugins/nms3x/config.c \
	plugins/nms4x/config.c plugins/ms60/config.c plugins/ms7x-8x/config.c
nodist_tests_unit_test_config_hops_SOURCES = plugins/ims52/templates.c \
	plugins/sims40/templates.c plugins/nms3x/templates.c plugins/nms4x/templates.c \
	plugins/ms60/templates.c plugins/ms7x-8x/templates.c
tests_unit_test_config_hops_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
tests_unit_test_config_hops_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_config_hops_LDADD = $(UNIT_LDADD)

INTEGRATION_TESTS += tests/integration/config-hops.sh
