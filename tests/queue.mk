# tests/queue.mk - (area fragment; see Makefile.am)
