# tests/store-legacy.mk - (area fragment; see Makefile.am)
