# core/store-classic.mk - the classic message store codec (area fragment; see Makefile.am)
core_libmsmigrate_la_SOURCES += core/codec-classic-store.c core/codec-classic-store.h
# the stage of an in-place store run (any store codec; docs/formats/store-stage.md)
core_libmsmigrate_la_SOURCES += core/store-stage.c core/store-stage.h
# nettle's SHA-256 for core/digest.c (item digests; see configure.ac)
core_libmsmigrate_la_CFLAGS += $(NETTLE_CFLAGS)
core_libmsmigrate_la_LIBADD += $(NETTLE_LIBS)
