# plugins/ms60/local.mk - the ms60 adapter, package msmigrate-plugin-ms60
MS60_TEMPLATES = $(shell cd $(top_srcdir) && find plugins/ms60/templates -type f 2>/dev/null | LC_ALL=C sort)
EXTRA_DIST += $(MS60_TEMPLATES)
if BUILD_PLUGIN_ms60
plugins_LTLIBRARIES += plugins/ms60/ms60.la
plugins_ms60_ms60_la_SOURCES = plugins/ms60/ms60.c plugins/ms60/ms60.h \
	plugins/ms60/config.c $(PLUGIN_COMMON_SOURCES) \
	plugins/common/to63.c plugins/common/to63.h \
	plugins/common/ugdir.c plugins/common/ugdir.h
nodist_plugins_ms60_ms60_la_SOURCES = plugins/ms60/templates.c
plugins_ms60_ms60_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_ms60_ms60_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_ms60_ms60_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_ms60_ms60_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
CLEANFILES += plugins/ms60/templates.c
plugins/ms60/templates.c: $(MS60_TEMPLATES) $(top_srcdir)/plugins/common/embed-templates.sh
	$(AM_V_GEN)$(MKDIR_P) plugins/ms60 && \
	$(SHELL) $(top_srcdir)/plugins/common/embed-templates.sh $(top_srcdir)/plugins/ms60/templates ms60_templates >$@.tmp && mv $@.tmp $@
