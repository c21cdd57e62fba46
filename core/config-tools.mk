# core/config-tools.mk - (area fragment; see Makefile.am)
# Unified Configuration conversion (configtoxml / fromxml), used by
# `msmigrate config toxml|fromxml` and the ms7x-8x plugin.
core_libmsmigrate_la_SOURCES += core/uc-convert.c core/uc-convert.h core/confdoc-priv.h
core_msmigrate_SOURCES += core/cli-config-uc.c core/cli-config-uc.h
