dnl plugins/plugins.m4 - one MSM_PLUGIN() line per version adapter in plugins/
dnl (m4/msm_plugin.m4 documents the macro). A plugin is listed here, and its
dnl plugins/<name>/local.mk included from Makefile.am, in the same change that
dnl makes its first hop work: a hop that does not work yet is not declared.
dnl
dnl The design's adapters, with the issue that brings each one:
dnl   sims40 nms3x nms4x ims52 ms60 ms62 ms7x-8x      (configuration, store,
dnl                                                  queue and directory issues)
dnl   zfs-snapshot-rollback                           (the ZFS guard issue)
MSM_PLUGIN([sims40], [auto], [SIMS 4.0 -> iMS 5.2])
MSM_PLUGIN([nms3x], [auto], [NMS 3.x -> NMS 4.1])
MSM_PLUGIN([nms4x], [auto], [NMS 4.0 -> 4.1, NMS 4.x -> iMS 5.2])
MSM_PLUGIN([ims52], [auto], [iMS 5.2 -> MS 6.0])
MSM_PLUGIN([ms60], [auto], [MS 6.0, 6.1 -> MS 6.3])
MSM_PLUGIN([ms62], [auto], [MS 6.2, 6.2p3 -> MS 6.3])
MSM_PLUGIN([ms7x-8x], [auto], [MS 6.3 -> 7.0 -> 7.0.5, MS 7.x/8.0.x -> 8.1])
MSM_PLUGIN([zfs-snapshot-rollback], [auto], [guard: ZFS snapshot of the store, seed 004 back-out])
