# core/store-legacy.mk - (area fragment; see Makefile.am)
