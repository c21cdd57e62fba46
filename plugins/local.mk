# plugins/local.mk - the version adapters. Each plugin lives in plugins/<name>/ with
# its own local.mk, included below in the same change that adds its MSM_PLUGIN()
# line to plugins/plugins.m4 (see plugins/README.md). Nothing is included yet: no
# adapter declares a working hop so far.
