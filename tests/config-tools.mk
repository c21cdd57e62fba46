# tests/config-tools.mk - (area fragment; see Makefile.am)
