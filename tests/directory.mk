# tests/directory.mk - (area fragment; see Makefile.am)
