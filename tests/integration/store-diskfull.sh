#!/bin/sh
# Disk full during a store run is an error, the run resumable, the target not corrupt
# (the store issue's safety rule): the target's store is a tmpfs (mounted by this test;
# it runs as root, like zfs-guard.sh) smaller than the store being written. The run
# fails naming the device error; every folder the target's databases list is complete
# (store verify of the partial target against the source reports missing folders,
# never a differing one); after the file system grows, --resume finishes with a clean
# verify and every message written once. The same for an in-place run (its stage is
# on the full file system; the live store stays untouched until the swap).
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

SC="--no-default-plugin-dir --plugin-dir $MSM_TOP_BUILDDIR/tests/plugins/store-classic"
CONF="--confirm direct-ldap --confirm clean-shutdown --confirm source-stopped"
MNT=""
umount_all() { for m in $MNT; do umount "$m" 2>/dev/null; done; cleanup; }
trap umount_all EXIT
small_fs() { # small_fs DIR KIB: a tmpfs of KIB KiB at DIR
    mkdir -p "$1" && mount -t tmpfs -o "size=${2}k,mode=0755" tmpfs "$1" && MNT="$MNT $1"
}
nmsg() { find "$1" -name '*.msg' -not -path '*/.msmigrate-*' | wc -l; }

check "running as root (mounts a tmpfs)" test "$(id -u)" -eq 0
msm sample --version ims-5.2 --users 12 --seed 9 "$TMP/src" >/dev/null
S="$TMP/src/msg-sample/store"
kib=$(du -sk "$S" | cut -f1)
n=$(nmsg "$S/partition")
check "a sample store of $kib KiB, $n messages" test "$n" -gt 100
cp -a "$TMP/src" "$TMP/src.orig"

# 1. a separate target on a file system with room for about half the store
make_target_8x "$TMP/t"
small_fs "$TMP/t/data" $((kib / 2))
expect_exit 1 "the run fails when the target's file system is full" \
    msm run $SC --source "$TMP/src" --target "$TMP/t" --to 8.1 $CONF --only store --json \
    --no-progress
check "the error names the device error" grep -q "No space left on device" "$TMP/err" "$TMP/out"
check "the source is untouched" diff -r "$TMP/src" "$TMP/src.orig"
run=$(ls "$TMP/t/.msmigrate/runs" | head -1)
check "the run has an id to resume ($run)" test -n "$run"
msm store verify --a-version ims-5.2 --b-version ms-8.1 "$TMP/src" "$TMP/t" >"$TMP/v1" 2>&1
check "the partial target: folders and owners missing, nothing else" \
    sh -c "grep -q 'only in A' '$TMP/v1' && ! grep -v -e 'only in A' -e '^store verify:' '$TMP/v1' | grep -q ."
grep -v -e "only in A" -e "^store verify:" "$TMP/v1" | head -5
mount -o remount,size=$((kib * 3))k "$TMP/t/data"
expect_exit 0 "--resume after the file system grew" \
    msm run $SC --resume "$run" --target "$TMP/t" --break-lock --no-progress
check "every message once ($n)" test "$(nmsg "$TMP/t/data/store/partition")" -eq "$n"
expect_exit 0 "store verify: the target equals the source" \
    msm store verify --a-version ims-5.2 --b-version ms-8.1 "$TMP/src" "$TMP/t"
check "no temporary file left" sh -c "[ -z \"\$(find '$TMP/t/data/store' -name '*.tmp')\" ]"

# 2. in place: the stage fills the store's file system; the live store is untouched
msm sample --version ms-6.3 --users 12 --seed 9 "$TMP/g" >/dev/null
gkib=$(du -sk "$TMP/g/data/store" | cut -f1)
gn=$(nmsg "$TMP/g/data/store")
mkdir -p "$TMP/ip"
cp -a "$TMP/g/config" "$TMP/ip/"
small_fs "$TMP/ip/data" $((gkib * 2))
cp -a "$TMP/g/data/." "$TMP/ip/data/"
# the stage adopts the message files by hard link: only its indexes and databases need
# room; a filler leaves 32 KiB, less than they take
free=$(df -Pk "$TMP/ip/data" | awk 'NR == 2 { print $4 }')
dd if=/dev/zero of="$TMP/ip/data/filler" bs=1024 count=$((free - 32)) 2>/dev/null
expect_exit 1 "an in-place run fails when the stage fills the file system" \
    msm run $SC --source "$TMP/ip" --target "$TMP/ip" --from 6.3 --to 8.1 $CONF --only store \
    --no-progress
check "the error names the device error" grep -q "No space left on device" "$TMP/err" "$TMP/out"
check "the live store is untouched" sh -c "diff -r -x '.msmigrate-*' '$TMP/g/data/store' '$TMP/ip/data/store'"
ipr=$(ls "$TMP/ip/.msmigrate/runs" | head -1)
rm -f "$TMP/ip/data/filler"
expect_exit 0 "--resume of the in-place run after the file system grew" \
    msm run $SC --resume "$ipr" --target "$TMP/ip" --break-lock --no-progress
check "every message once ($gn)" test "$(nmsg "$TMP/ip/data/store")" -eq "$gn"
expect_exit 0 "store verify: the in-place result equals the original" \
    msm store verify --a-version ms-6.3 --b-version ms-8.1 "$TMP/g" "$TMP/ip"
finish
