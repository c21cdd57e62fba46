# core/local.mk - libmsmigrate and the msmigrate CLI

lib_LTLIBRARIES += core/libmsmigrate.la
core_libmsmigrate_la_SOURCES = \
	core/error.c \
	core/util.c core/util.h \
	core/json.c core/json.h \
	core/ir.c \
	core/mutf7.c core/mutf7.h \
	core/ldif.c core/ldif.h \
	core/versions.c \
	core/catalogue.c core/catalogue.h \
	core/layout.c \
	core/detect.c core/detect.h \
	core/check.c \
	core/codec-config-files.c core/builtin.h \
	core/codec-pmdf-queue.c core/pmdf.h \
	core/journal.c core/journal.h \
	core/lock.c core/lock.h \
	core/history.c core/history.h \
	core/registry.c core/registry.h \
	core/loader.c \
	core/planner.c core/planner.h \
	core/context.c core/ctxpriv.h \
	core/profile.c core/profile.h \
	core/digest.c core/digest.h \
	core/engine.c core/engine.h \
	core/sample.c core/sample.h core/sample-model.h \
	core/confdoc.c core/conf-keyvalue.c core/conf-mta.c core/conf-other.c \
	core/merge.c core/merge-table.c core/merge-table.h \
	core/zfs.c core/zfs.h core/store-append.c core/store-append.h
core_libmsmigrate_la_CFLAGS = $(AM_CFLAGS)
core_libmsmigrate_la_LIBADD = $(GLIB_LIBS) $(LTDL_LIBS) $(BDB_LIBS)
core_libmsmigrate_la_LDFLAGS = $(AM_LDFLAGS) -version-info 0:0:0 -no-undefined \
	-export-symbols-regex '^msm_'

bin_PROGRAMS += core/msmigrate
core_msmigrate_SOURCES = \
	core/cli.c core/cli.h \
	core/cli-plugins.c \
	core/cli-plan.c \
	core/cli-run.c \
	core/cli-sample.c \
	core/cli-queue.c \
	core/cli-config.c \
	core/cli-snapshot.c
core_msmigrate_LDADD = core/libmsmigrate.la $(GLIB_LIBS)
