#!/bin/sh
# tests/integration/store-legacy.sh - msmigrate store backup | restore | upgrade end to end
#
# Needs: cli-store.c dispatching `store backup|restore|upgrade` to cli-store-legacy.c,
# and the sims40 / nms3x plugins registering sims40_store_codec() / nms3x_store_codec()
# (so `sample` writes those stores). Then:
# - SIMS 4.0 sample -> `store backup -f -` | `store restore --to ims-5.2 -f - -m MAP -n`,
#   the renamed user present, `store verify` clean for every other user; batches
#   (--source -u FILE -u FILE --streams 2) restore the same folders;
# - NMS 3.x sample -> `store upgrade -m` refused before -s (exit 3); -s; -m -r -t 3;
#   a rerun migrates nothing; `store verify` 3.x vs 4.1 clean;
# - NMS 4.x sample -> `store upgrade -q`; `--copy-to ims-5.2`; `store verify` clean.
. "${MSM_TOP_SRCDIR:-.}/tests/integration/lib.sh"
P="--no-default-plugin-dir --plugin-dir $MSM_TOP_BUILDDIR/plugins/sims40 --plugin-dir $MSM_TOP_BUILDDIR/plugins/nms3x --plugin-dir $MSM_TOP_BUILDDIR/plugins/nms4x --plugin-dir $MSM_TOP_BUILDDIR/plugins/ims52"

# ---- SIMS 4.0: imbackup | imsrestore ----
expect_exit 0 "sims-4.0 sample" msm sample $P --version sims-4.0 --users 6 --seed 3 "$TMP/sims"
check "the sample holds a SIMS store (sims-store codec registered)" \
    test -n "$(ls "$TMP/sims/var/opt/SUNWmail/ims/user" 2>/dev/null)"
U1=$(ls "$TMP/sims/var/opt/SUNWmail/ims/user" | head -1)
printf '%s=Renamed\n' "$U1" >"$TMP/map"
msm store backup "$TMP/sims" -f - 2>"$TMP/backup.err" |
    msm store restore $P "$TMP/i52" --to ims-5.2 -f - -m "$TMP/map" -n -v 1 2>"$TMP/restore.err"
rc=$?
[ "$rc" -eq 0 ] && ok "backup | restore pipeline" || { not_ok "backup | restore pipeline (exit $rc)"; sed 's/^/    | /' "$TMP/restore.err" | head; }
contains "$TMP/restore.err" "-> user/Renamed/INBOX: restored" "rename map applied"
lacks "$TMP/restore.err" "FAILED" "no folder failed"
msm store export $P "$TMP/i52" --from ims-5.2 --to-maildir "$TMP/md-restored" >/dev/null 2>&1
msm store export $P "$TMP/sims" --from sims-4.0 --to-maildir "$TMP/md-sims" >/dev/null 2>&1
check "the renamed user is in the target" test -d "$TMP/md-restored/Renamed"
check "the old name is not" test ! -e "$TMP/md-restored/$U1"
rm -rf "$TMP/md-restored/Renamed" "$TMP/md-sims/$U1"
expect_exit 0 "every other user restored exactly (store verify)" \
    msm store verify $P "$TMP/md-sims" "$TMP/md-restored" --a-version maildir --b-version maildir
ls "$TMP/sims/var/opt/SUNWmail/ims/user" | sed -n '1,3p' >"$TMP/u1"
ls "$TMP/sims/var/opt/SUNWmail/ims/user" | sed -n '4,$p' >"$TMP/u2"
expect_exit 0 "offline batches, 2 streams" \
    msm store restore $P "$TMP/i52b" --to ims-5.2 --source "$TMP/sims" -u "$TMP/u1" -u "$TMP/u2" --streams 2
expect_exit 0 "batches restore the same store (store verify)" \
    msm store verify $P "$TMP/sims" "$TMP/i52b" --a-version sims-4.0 --b-version ims-5.2

# ---- NMS 3.x -> 4.1: upgrade -s / -m ----
expect_exit 0 "nms-3.x sample" msm sample $P --version nms-3.x --users 5 --seed 4 "$TMP/n3"
check "the sample holds an NMS 3.x store (nms3-store codec registered)" \
    sh -c "test \$(find $TMP/n3/msg-*/mailbox -name '*.msg' | wc -l) -gt 0"
expect_exit 3 "message pass before the folder pass is refused" msm store upgrade "$TMP/n3" -m
contains "$TMP/err" "upgrade -s" "the refusal names the folder pass"
expect_exit 0 "folder pass (-s)" msm store upgrade "$TMP/n3" -s
check "__upfolder.db written" sh -c "ls $TMP/n3/msg-*/mailbox/__upfolder.db"
check "__up.primary.txt lists the users" sh -c "test \$(cat $TMP/n3/msg-*/mailbox/__up.primary.txt | wc -l) -gt 3"
expect_exit 0 "message pass (-m -r -t 3)" msm store upgrade "$TMP/n3" -m -r -t 3
expect_exit 0 "a rerun resumes with nothing left" msm store upgrade "$TMP/n3" -m
contains "$TMP/err" "0 folders, 0 messages migrated" "the rerun migrated nothing"
check "-r left every 3.x directory" sh -c "test \$(find $TMP/n3/msg-*/mailbox -name '*.msg' | wc -l) -eq 0 && test -d \$(ls -d $TMP/n3/msg-*/mailbox)"

# ---- NMS 4.x: reconstruct -q, copy to 5.2 ----
expect_exit 0 "nms-4.1 sample" msm sample $P --version nms-4.1 --users 4 --seed 5 "$TMP/n4"
expect_exit 0 "reconstruct -q" msm store upgrade "$TMP/n4" -q
expect_exit 0 "copy to ims-5.2" msm store upgrade $P "$TMP/n4" --copy-to ims-5.2 --target "$TMP/n4-52"
expect_exit 0 "the copy equals the 4.x store (store verify)" \
    msm store verify $P "$TMP/n4" "$TMP/n4-52" --a-version nms-4.1 --b-version ims-5.2

finish
