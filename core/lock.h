/*
 * NAME
 *	lock.h - one run at a time per deployment, with a lease
 * SUMMARY
 *	The lock is the file <state_dir>/lock (state_dir = <target>/.msmigrate),
 *	format in docs/formats/lock.md. It is opened (created if absent) and held
 *	with flock() for the life of the run; its content names the holder (run id,
 *	host, pid, command, acquired, lease expiry). A heartbeat renews the lease.
 *	A lock is stale when its holder is on this host and no process holds the
 *	flock (the holder died), or when it is on another host and the lease has
 *	expired. A stale lock is reported and is only broken on request.
 */
#ifndef MSM_CORE_LOCK_H
#define MSM_CORE_LOCK_H

#include <msmigrate/msmigrate.h>

typedef struct MsmLock MsmLock;

typedef struct {
    char *run_id;
    char *host;
    gint64 pid;
    char *command;
    gint64 acquired;    /* seconds since the epoch */
    gint64 lease_until; /* seconds since the epoch */
} MsmLockInfo;

void msm_lock_info_clear(MsmLockInfo *info);

/* Takes the lock for run_id with a lease of lease_seconds, renewed every
 * lease_seconds/3 by a heartbeat thread until released. When held by a live
 * run: MSM_ERROR_LOCKED naming the holder (run, host, pid, since). When stale
 * and break_stale is FALSE: MSM_ERROR_LOCKED saying it is stale and that
 * --break-lock breaks it; with break_stale TRUE a stale lock is replaced. A
 * live lock is never broken. lease_seconds must be at least 1
 * (MSM_ERROR_INVALID_ARGUMENT otherwise). (transfer full) */
MsmLock *msm_lock_acquire(const char *state_dir, const char *run_id, const char *command,
                          guint lease_seconds, gboolean break_stale, GError **error);
/* Releases (removes the file). NULL is allowed. */
void msm_lock_release(MsmLock *lock);
/* Reads the current lock. Returns FALSE without *error when there is none.
 * *stale_r tells whether it is stale. */
gboolean msm_lock_inspect(const char *state_dir, MsmLockInfo *info_r, gboolean *stale_r,
                          GError **error);

#endif
