# core/directory-live.mk - (area fragment; see Makefile.am)
# The online directory migrator: libldap connections, apply/undo/resume, CLI.
core_libmsmigrate_la_SOURCES += \
	core/ldapconn.c core/ldapconn.h \
	core/dirmig-online.c core/dirmig-online.h
core_libmsmigrate_la_LIBADD += $(LDAP_LIBS)
core_msmigrate_SOURCES += core/cli-directory.c
