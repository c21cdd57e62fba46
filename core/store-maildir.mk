# core/store-maildir.mk - (area fragment; see Makefile.am)
# The Maildir++ interchange codec and the `msmigrate store` verb.
core_libmsmigrate_la_SOURCES += core/codec-maildir.c
core_msmigrate_SOURCES += core/cli-store.c
