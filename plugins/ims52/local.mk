# plugins/ims52/local.mk - the ims52 adapter (iMS 5.2 -> MS 6.0), package msmigrate-plugin-ims52
IMS52_TEMPLATES = $(shell cd $(top_srcdir) && find plugins/ims52/templates -type f 2>/dev/null | LC_ALL=C sort)
EXTRA_DIST += $(IMS52_TEMPLATES)
if BUILD_PLUGIN_ims52
plugins_LTLIBRARIES += plugins/ims52/ims52.la
plugins_ims52_ims52_la_SOURCES = plugins/ims52/ims52.c plugins/ims52/ims52.h \
	plugins/ims52/config.c $(PLUGIN_COMMON_SOURCES)
nodist_plugins_ims52_ims52_la_SOURCES = plugins/ims52/templates.c
plugins_ims52_ims52_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_ims52_ims52_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_ims52_ims52_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_ims52_ims52_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
CLEANFILES += plugins/ims52/templates.c
plugins/ims52/templates.c: $(IMS52_TEMPLATES) $(top_srcdir)/plugins/common/embed-templates.sh
	$(AM_V_GEN)$(MKDIR_P) plugins/ims52 && \
	$(SHELL) $(top_srcdir)/plugins/common/embed-templates.sh $(top_srcdir)/plugins/ims52/templates ims52_templates >$@.tmp && mv $@.tmp $@
