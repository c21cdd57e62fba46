# plugins/ms7x-8x/local.mk - the ms7x-8x adapter (MS 6.3 -> 7.0 -> 7.0.5, 7.x/8.0.x -> 8.1), package msmigrate-plugin-ms7x-8x
MS7X_8X_TEMPLATES = $(shell cd $(top_srcdir) && find plugins/ms7x-8x/templates -type f 2>/dev/null | LC_ALL=C sort)
EXTRA_DIST += $(MS7X_8X_TEMPLATES)
if BUILD_PLUGIN_ms7x_8x
plugins_LTLIBRARIES += plugins/ms7x-8x/ms7x-8x.la
plugins_ms7x_8x_ms7x_8x_la_SOURCES = plugins/ms7x-8x/ms7x-8x.c plugins/ms7x-8x/ms7x-8x.h \
	plugins/ms7x-8x/config.c $(PLUGIN_COMMON_SOURCES)
nodist_plugins_ms7x_8x_ms7x_8x_la_SOURCES = plugins/ms7x-8x/templates.c
plugins_ms7x_8x_ms7x_8x_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_ms7x_8x_ms7x_8x_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_ms7x_8x_ms7x_8x_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_ms7x_8x_ms7x_8x_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
CLEANFILES += plugins/ms7x-8x/templates.c
plugins/ms7x-8x/templates.c: $(MS7X_8X_TEMPLATES) $(top_srcdir)/plugins/common/embed-templates.sh
	$(AM_V_GEN)$(MKDIR_P) plugins/ms7x-8x && \
	$(SHELL) $(top_srcdir)/plugins/common/embed-templates.sh $(top_srcdir)/plugins/ms7x-8x/templates ms7x_8x_templates >$@.tmp && mv $@.tmp $@
