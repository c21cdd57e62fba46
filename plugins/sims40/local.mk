# plugins/sims40/local.mk - the sims40 adapter, package msmigrate-plugin-sims40
SIMS40_TEMPLATES = $(shell cd $(top_srcdir) && find plugins/sims40/templates -type f 2>/dev/null | LC_ALL=C sort)
EXTRA_DIST += $(SIMS40_TEMPLATES)
if BUILD_PLUGIN_sims40
plugins_LTLIBRARIES += plugins/sims40/sims40.la
plugins_sims40_sims40_la_SOURCES = plugins/sims40/sims40.c plugins/sims40/sims40.h plugins/sims40/directory.c \
	plugins/sims40/config.c \
	plugins/sims40/codec-sims-store.c plugins/sims40/codec-sims-store.h \
	plugins/sims40/imbackup.c plugins/sims40/imbackup.h \
	plugins/sims40/restore.c plugins/sims40/restore.h $(PLUGIN_COMMON_SOURCES)
nodist_plugins_sims40_sims40_la_SOURCES = plugins/sims40/templates.c
plugins_sims40_sims40_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_sims40_sims40_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_sims40_sims40_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_sims40_sims40_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
CLEANFILES += plugins/sims40/templates.c
plugins/sims40/templates.c: $(SIMS40_TEMPLATES) $(top_srcdir)/plugins/common/embed-templates.sh
	$(AM_V_GEN)$(MKDIR_P) plugins/sims40 && \
	$(SHELL) $(top_srcdir)/plugins/common/embed-templates.sh $(top_srcdir)/plugins/sims40/templates sims40_templates >$@.tmp && mv $@.tmp $@
