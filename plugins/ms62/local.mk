# plugins/ms62/local.mk - the ms62 adapter, package msmigrate-plugin-ms62
MS62_TEMPLATES = $(shell cd $(top_srcdir) && find plugins/ms62/templates -type f 2>/dev/null | LC_ALL=C sort)
EXTRA_DIST += $(MS62_TEMPLATES)
if BUILD_PLUGIN_ms62
plugins_LTLIBRARIES += plugins/ms62/ms62.la
plugins_ms62_ms62_la_SOURCES = plugins/ms62/ms62.c plugins/ms62/ms62.h \
	plugins/ms62/config.c $(PLUGIN_COMMON_SOURCES) \
	plugins/common/to63.c plugins/common/to63.h \
	plugins/common/ugdir.c plugins/common/ugdir.h
nodist_plugins_ms62_ms62_la_SOURCES = plugins/ms62/templates.c
plugins_ms62_ms62_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_ms62_ms62_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_ms62_ms62_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_ms62_ms62_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
CLEANFILES += plugins/ms62/templates.c
plugins/ms62/templates.c: $(MS62_TEMPLATES) $(top_srcdir)/plugins/common/embed-templates.sh
	$(AM_V_GEN)$(MKDIR_P) plugins/ms62 && \
	$(SHELL) $(top_srcdir)/plugins/common/embed-templates.sh $(top_srcdir)/plugins/ms62/templates ms62_templates >$@.tmp && mv $@.tmp $@
