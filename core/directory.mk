# core/directory.mk - directory mapping (dir-core): library sources and the LDAP schema files

core_libmsmigrate_la_SOURCES += core/dirmap.c core/dirmap.h

schemadir = $(pkgdatadir)/schema
dist_schema_DATA = \
	core/schema/nms.schema \
	core/schema/sims40.schema \
	core/schema/ims-schema1.schema \
	core/schema/ims-schema2.schema
