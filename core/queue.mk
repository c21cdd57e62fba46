# core/queue.mk - (area fragment; see Makefile.am)
