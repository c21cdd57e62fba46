dnl plugins/plugins.m4 - one MSM_PLUGIN() line per version adapter in plugins/
dnl (m4/msm_plugin.m4 documents the macro). A plugin is listed here, and its
dnl plugins/<name>/local.mk included from Makefile.am, in the same change that
dnl makes its first hop work: a hop that does not work yet is not declared.
dnl
dnl The design's adapters, with the issue that brings each one:
dnl   sims40 nms3x nms4x ims52 ms60 ms62 ms7x-8x      (configuration, store,
dnl                                                  queue and directory issues)
dnl   zfs-snapshot-rollback                           (the ZFS guard issue)
