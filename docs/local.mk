# docs/local.mk - man page and documentation shipped in the tarball
dist_man_MANS += docs/msmigrate.1
EXTRA_DIST += docs docs/formats
