# tests/store-classic.mk - (area fragment; see Makefile.am)
