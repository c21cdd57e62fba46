#!/bin/sh
# zfs-guard.sh - the zfs guard and whole-run rollback on real ZFS (zfs-fuse,
# issue 7): a pool on a file-backed vdev, the target's store area on its own
# dataset, a guarded ims-5.2 -> ms-8.1 run, ten messages delivered into the
# migrated store, `msmigrate rollback RUN`, then the old store must be the
# original sample plus exactly those ten messages, the migrated store area back
# to what it was, and the MTA queue untouched. Also the refusals at plan time.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"
B=$MSM_TOP_BUILDDIR
DELIVER="$B/tests/tools/msm-deliver"
REAL="--no-default-plugin-dir"
for d in "$B"/plugins/*/; do REAL="$REAL --plugin-dir $d"; done

# zfs-fuse: the daemon must run (started here when it does not; /dev/fuse needed).
if ! pgrep -x zfs-fuse >/dev/null 2>&1; then
    /usr/sbin/zfs-fuse --pidfile "$TMP/zfs-fuse.pid" >"$TMP/zfs-fuse.log" 2>&1
    for i in 1 2 3 4 5 6 7 8 9 10; do zpool list >/dev/null 2>&1 && break; sleep 1; done
    STARTED_ZFS=1
fi
check "the zfs-fuse daemon answers" zpool list
pool="msmt$$"
truncate -s 768M "$TMP/vdev"
zpool create -m none "$pool" "$TMP/vdev" >"$TMP/zpool.out" 2>&1 ||
    { not_ok "zpool create on a file vdev"; cat "$TMP/zpool.out"; finish; }
ok "zpool create on a file vdev"
cleanup_zfs() {
    zpool destroy -f "$pool" >/dev/null 2>&1
    [ -z "${STARTED_ZFS:-}" ] || kill "$(cat "$TMP/zfs-fuse.pid")" 2>/dev/null
    cleanup
}
trap cleanup_zfs EXIT

src="$TMP/src"; tgt="$TMP/tgt"; ref="$TMP/ref"
msm sample --version ims-5.2 --users 6 --seed 7 "$src" >/dev/null 2>&1
msm sample --version ims-5.2 --users 6 --seed 7 "$ref" >/dev/null 2>&1
mkdir -p "$tgt/config" "$tgt/data/queue" && echo "# defaults" >"$tgt/config/msg.conf.defaults"
zfs create -o mountpoint="$tgt/data/store" "$pool/store"
check "the target's store area is a dataset" sh -c "zfs list -H -o mountpoint $pool/store | grep -qx '$tgt/data/store'"

RUNARGS="--source $src --target $tgt --to 8.1 --only store --confirm direct-ldap --confirm clean-shutdown"

# Refusal without ZFS under the store: at plan time, before anything is written.
plain="$TMP/plain"; mkdir -p "$plain/config" "$plain/data" && echo "# d" >"$plain/config/msg.conf.defaults"
expect_exit 3 "a guarded run refuses when the store is not on ZFS" \
    msm run $REAL --source "$src" --target "$plain" --to 8.1 --only store --guard zfs \
    --confirm direct-ldap --confirm clean-shutdown
cat "$TMP/out" "$TMP/err" >"$TMP/both"
contains "$TMP/both" "not on a mounted ZFS dataset" "the refusal says the store is not on ZFS"
check "the refused run wrote no store" test ! -e "$plain/data/store/mboxlist"

# Refusal when the queues would be rolled back with the store.
q="$TMP/qsame"; mkdir -p "$q/config" "$q/data" && echo "# d" >"$q/config/msg.conf.defaults"
zfs create -o mountpoint="$q/data" "$pool/qsame"
expect_exit 3 "a guarded run refuses when the MTA queues share the store's dataset" \
    msm run $REAL --source "$src" --target "$q" --to 8.1 --only store --guard zfs \
    --confirm direct-ldap --confirm clean-shutdown
cat "$TMP/out" "$TMP/err" >"$TMP/both"
contains "$TMP/both" "MTA queues" "the refusal names the queues"

# The guarded run.
expect_exit 0 "guarded run ims-5.2 -> ms-8.1" msm run $REAL $RUNARGS --guard zfs
run=$(sed -n 's/^Run \([^ ]*\)$/\1/p' "$TMP/out" | head -1)
check "the run has an id" test -n "$run"
msm snapshot list "$tgt" --version 8.1 >"$TMP/snaps" 2>&1
contains "$TMP/snaps" "$pool/store@msmigrate-$run-" "snapshot <dataset>@msmigrate-<run>-<timestamp> exists"
msm status "$tgt" >"$TMP/status" 2>&1 || true
contains "$TMP/tgt/.msmigrate/runs/$run/zfs/state" "names=$pool/store@msmigrate-$run-" "the guard recorded its snapshot"
check "the migrated store exists" test -d "$tgt/data/store/mboxlist"

# Mail arrives after the upgrade: 10 messages, into an old folder and a new one.
user=$(msm store manifest "$src" --from ims-5.2 2>/dev/null | jq -r 'select(.owner) | .owner' | head -1)
check "a user of the sample" test -n "$user"
mkdir -p "$TMP/new" "$TMP/scratch"
# folders the deliveries create get this UIDVALIDITY in both stores
export MSM_DELIVER_UIDVALIDITY=1800000000
for i in 1 2 3 4 5 6 7 8 9 10; do
    printf 'From: late%d@example.com\r\nTo: %s\r\nSubject: arrived after the upgrade %d\r\n\r\nbody %d\r\n' \
        "$i" "$user" "$i" "$i" >"$TMP/new/$i.eml"
done
new6="$TMP/new/1.eml $TMP/new/2.eml $TMP/new/3.eml $TMP/new/4.eml $TMP/new/5.eml $TMP/new/6.eml"
new4="$TMP/new/7.eml $TMP/new/8.eml $TMP/new/9.eml $TMP/new/10.eml"
check "6 messages delivered to INBOX of the migrated store" \
    "$DELIVER" "$tgt" ms-8.1 "$TMP/scratch" "$user" INBOX 1800000000 $new6
check "4 messages delivered to a new folder of the migrated store" \
    "$DELIVER" "$tgt" ms-8.1 "$TMP/scratch" "$user" "Arrived later" 1800000100 $new4
# What the queue holds now must survive the rollback (seed 004: never the queues).
mkdir -p "$tgt/data/queue/tcp_local" && echo "queued after the upgrade" >"$tgt/data/queue/tcp_local/ZZmarker.00"

expect_exit 0 "msmigrate rollback RUN" msm rollback $REAL --target "$tgt" "$run"
check "the queue directory was not rolled back" test -f "$tgt/data/queue/tcp_local/ZZmarker.00"
check "the migrated store area is back to its state before the run" test ! -e "$tgt/data/store/mboxlist"
contains "$tgt/.msmigrate/runs/$run/zfs/state" "phase=done" "the rollback's phases are recorded"
contains "$tgt/.msmigrate/runs/$run/zfs/state" "incremental=10" "the incremental backup held the 10 new messages"

# The expected old store: the original sample plus exactly those ten messages.
"$DELIVER" "$ref" ims-5.2 "$TMP/scratch" "$user" INBOX 1800000000 $new6 >/dev/null
"$DELIVER" "$ref" ims-5.2 "$TMP/scratch" "$user" "Arrived later" 1800000100 $new4 >/dev/null
expect_exit 0 "store verify: the 5.2 store is the sample plus the 10 new messages" \
    msm store verify "$src" "$ref" --a-version ims-5.2 --b-version ims-5.2
# A second rollback is idempotent: nothing is added twice.
expect_exit 0 "a second rollback changes nothing" msm rollback $REAL --target "$tgt" "$run"
expect_exit 0 "store verify after the second rollback" \
    msm store verify "$src" "$ref" --a-version ims-5.2 --b-version ims-5.2

# prune keeps the newest N
msm snapshot create "$tgt" --version 8.1 >/dev/null 2>&1
sleep 1
msm snapshot create "$tgt" --version 8.1 >/dev/null 2>&1
expect_exit 0 "snapshot prune --keep 1" msm snapshot prune "$tgt" --version 8.1 --keep 1
n=$(zfs list -H -t snapshot -o name -r "$pool/store" | grep -c '@msmigrate-')
check "prune left one snapshot" test "$n" -eq 1
finish
