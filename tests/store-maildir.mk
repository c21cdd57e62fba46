# tests/store-maildir.mk - (area fragment; see Makefile.am)
