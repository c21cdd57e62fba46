# core/directory-live.mk - (area fragment; see Makefile.am)
