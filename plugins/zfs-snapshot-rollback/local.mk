# plugins/zfs-snapshot-rollback/local.mk - the "zfs" guard (no hop): snapshots the
# store area before a run and backs it out as seed 004 describes. It needs no
# library at build time; at run time it runs the zfs program (core/zfs.h).
if BUILD_PLUGIN_zfs_snapshot_rollback
plugins_LTLIBRARIES += plugins/zfs-snapshot-rollback/zfs-snapshot-rollback.la
plugins_zfs_snapshot_rollback_zfs_snapshot_rollback_la_SOURCES = \
	plugins/zfs-snapshot-rollback/zfs-snapshot-rollback.c
plugins_zfs_snapshot_rollback_zfs_snapshot_rollback_la_CFLAGS = $(AM_CFLAGS) $(MSM_PLUGIN_CFLAGS)
plugins_zfs_snapshot_rollback_zfs_snapshot_rollback_la_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version $(MSM_PLUGIN_LDFLAGS)
plugins_zfs_snapshot_rollback_zfs_snapshot_rollback_la_LIBADD = core/libmsmigrate.la $(GLIB_LIBS)
endif
