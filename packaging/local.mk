# packaging/local.mk - distribution packaging files shipped in the tarball
EXTRA_DIST += packaging
