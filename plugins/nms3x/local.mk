# plugins/nms3x/local.mk - the nms3x adapter, package msmigrate-plugin-nms3x
NMS3X_TEMPLATES = $(shell cd $(top_srcdir) && find plugins/nms3x/templates -type f 2>/dev/null | LC_ALL=C sort)
EXTRA_DIST += $(NMS3X_TEMPLATES)
if BUILD_PLUGIN_nms3x
plugins_LTLIBRARIES += plugins/nms3x/nms3x.la
plugins_nms3x_nms3x_la_SOURCES = plugins/nms3x/nms3x.c plugins/nms3x/nms3x.h plugins/nms3x/directory.c \
	plugins/nms3x/config.c \
	plugins/nms3x/codec-nms3-store.c plugins/nms3x/codec-nms3-store.h \
	plugins/nms3x/upgrade.c plugins/nms3x/upgrade.h plugins/nms3x/codec-nms3-queue.c $(PLUGIN_COMMON_SOURCES) \
	plugins/common/nms.c plugins/common/nms.h
nodist_plugins_nms3x_nms3x_la_SOURCES = plugins/nms3x/templates.c
plugins_nms3x_nms3x_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/common
plugins_nms3x_nms3x_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_nms3x_nms3x_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_nms3x_nms3x_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
CLEANFILES += plugins/nms3x/templates.c
plugins/nms3x/templates.c: $(NMS3X_TEMPLATES) $(top_srcdir)/plugins/common/embed-templates.sh
	$(AM_V_GEN)$(MKDIR_P) plugins/nms3x && \
	$(SHELL) $(top_srcdir)/plugins/common/embed-templates.sh $(top_srcdir)/plugins/nms3x/templates nms3x_templates >$@.tmp && mv $@.tmp $@
