# core/stepwise.mk - `msmigrate run --stepwise` (docs/stepwise.md)
core_libmsmigrate_la_SOURCES += core/stepwise.c core/stepwise.h
