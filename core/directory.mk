# core/directory.mk - directory mapping (dir-core): library sources and the LDAP schema files

core_libmsmigrate_la_SOURCES += core/dirmap.c core/dirmap.h

schemadir = $(pkgdatadir)/schema
dist_schema_DATA = \
	core/schema/nms.schema \
	core/schema/sims40.schema \
	core/schema/ims-schema1.schema \
	core/schema/ims-schema2.schema

# The directory step of `msmigrate run`: the directory codec (LDIF export or live
# server in, migrated/audit/undo LDIF and applied modifies out) and the hops'
# directory transforms (docs/formats/directory-run.md).
core_libmsmigrate_la_SOURCES += core/codec-directory.c core/dirhop.c core/dirhop.h
