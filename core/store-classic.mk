# core/store-classic.mk - the classic message store codec (area fragment; see Makefile.am)
core_libmsmigrate_la_SOURCES += core/codec-classic-store.c core/codec-classic-store.h
