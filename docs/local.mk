# docs/local.mk - man page and documentation shipped in the tarball
dist_man_MANS += docs/msmigrate.1
EXTRA_DIST += docs docs/formats

# The example out-of-tree plugin, shipped with the SDK (libmsmigrate-dev).
mboxexampledir = $(docdir)/examples/mbox-store
dist_mboxexample_DATA = docs/examples/mbox-store/mbox-store.c \
	docs/examples/mbox-store/Makefile docs/examples/mbox-store/README.md
