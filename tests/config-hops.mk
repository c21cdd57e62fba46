# tests/config-hops.mk - (area fragment; see Makefile.am)
