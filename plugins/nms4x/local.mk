# plugins/nms4x/local.mk - the nms4x adapter, package msmigrate-plugin-nms4x
NMS4X_TEMPLATES = $(shell cd $(top_srcdir) && find plugins/nms4x/templates -type f 2>/dev/null | LC_ALL=C sort)
EXTRA_DIST += $(NMS4X_TEMPLATES)
if BUILD_PLUGIN_nms4x
plugins_LTLIBRARIES += plugins/nms4x/nms4x.la
plugins_nms4x_nms4x_la_SOURCES = plugins/nms4x/nms4x.c plugins/nms4x/nms4x.h plugins/nms4x/directory.c plugins/nms4x/store.c \
	plugins/nms4x/config.c $(PLUGIN_COMMON_SOURCES) \
	plugins/common/nms.c plugins/common/nms.h
nodist_plugins_nms4x_nms4x_la_SOURCES = plugins/nms4x/templates.c
plugins_nms4x_nms4x_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_nms4x_nms4x_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_nms4x_nms4x_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_nms4x_nms4x_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
CLEANFILES += plugins/nms4x/templates.c
plugins/nms4x/templates.c: $(NMS4X_TEMPLATES) $(top_srcdir)/plugins/common/embed-templates.sh
	$(AM_V_GEN)$(MKDIR_P) plugins/nms4x && \
	$(SHELL) $(top_srcdir)/plugins/common/embed-templates.sh $(top_srcdir)/plugins/nms4x/templates nms4x_templates >$@.tmp && mv $@.tmp $@
