#!/bin/sh
# msmigrate run / status / verify on a generated ims-5.2 sample: a full run over
# the fixture chain, preflight refusal, dry run, a concurrent run refused.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

msm sample $CHAIN --version 5.2 --users 8 --seed 3 "$TMP/src" >/dev/null
make_target_8x "$TMP/tgt"
cp -a "$TMP/src" "$TMP/src.orig"

expect_exit 3 "run refused until direct-ldap is confirmed" \
    msm run $CHAIN --source "$TMP/src" --target "$TMP/tgt" --to 8.1
contains "$TMP/out" "manual-unconfirmed" "report names the unconfirmed precondition"
check "refused run left no work directory" sh -c "[ -z \"\$(ls -A '$TMP/tgt/.msmigrate/runs' 2>/dev/null)\" ]"

expect_exit 1 "--only with an unknown kind" msm run $CHAIN --source "$TMP/src" --target "$TMP/tgt" \
    --to 8.1 --only config,mailboxes
contains "$TMP/err" "mailboxes" "names the bad kind"
expect_exit 0 "--only store migrates nothing here (no hop touches the store)" \
    msm run $CHAIN --source "$TMP/src" --target "$TMP/tgt" --to 8.1 \
    --confirm direct-ldap --confirm clean-shutdown --only store --dry-run --json
check "config not selected" jq -e '.kinds.config.ran == false and (.kinds.config.note | test("--only"))' "$TMP/out"

expect_exit 0 "dry run, with broken plugins around that the run does not need" \
    msm run $CHAIN -P "$FX_BROKEN_DIR" --source "$TMP/src" --target "$TMP/tgt" --to 8.1 \
    --confirm direct-ldap --confirm clean-shutdown --dry-run
check "each broken plugin warned about once" sh -c "[ \$(grep -c 'not loaded' '$TMP/err') -eq 5 ]"
check "dry run wrote no configuration" sh -c "[ ! -e '$TMP/tgt/config/imta.cnf' ]"

expect_exit 0 "run 5.2 -> 8.1" msm run $CHAIN --source "$TMP/src" --target "$TMP/tgt" --to 8.1 \
    --confirm direct-ldap --confirm clean-shutdown --json
cp "$TMP/out" "$TMP/run.json"
check "report is JSON with exit 0" jq -e '.exit_code == 0' "$TMP/run.json"
check "config items done and verified" jq -e '.kinds.config.done > 10 and .kinds.config.verified == .kinds.config.done' "$TMP/run.json"
run=$(jq -r .run_id "$TMP/run.json")
check "imta.cnf migrated through four hops" sh -c "[ \$(grep -c 'msmigrate-fixture' '$TMP/tgt/config/imta.cnf') -eq 4 ]"
check "source untouched" diff -r "$TMP/src" "$TMP/src.orig"

expect_exit 0 "status" msm status --target "$TMP/tgt" --json
check "status: version ms-8.1" jq -e '.version == "ms-8.1"' "$TMP/out"
check "status: four hops in history" jq -e '[.history[] | select(.action=="hop")] | length == 4' "$TMP/out"
check "status: lock free" jq -e '.lock == null' "$TMP/out"
expect_exit 0 "verify clean" msm verify $CHAIN --target "$TMP/tgt" "$run"
echo "tampered" >>"$TMP/tgt/config/imta.cnf"
expect_exit 2 "verify finds the tampered file" msm verify $CHAIN --target "$TMP/tgt" "$run"
contains "$TMP/out" "imta.cnf" "names the file"

# a source entry the codec refuses (a symlink) is reported and skipped; the rest goes on
msm sample $CHAIN --version 5.2 --users 3 --seed 9 "$TMP/srcl" >/dev/null
ln -s /etc/passwd "$TMP/srcl/msg-sample/config/evil.conf"
make_target_8x "$TMP/tgtl"
expect_exit 2 "a symlink in the source configuration: done with a failed item" \
    msm run $CHAIN --source "$TMP/srcl" --target "$TMP/tgtl" --to 8.1 \
    --confirm direct-ldap --confirm clean-shutdown --json
check "the link is named as a problem" jq -e '[.problems[] | select(test("evil.conf"))] | length == 1' "$TMP/out"
check "everything else was migrated" jq -e '.kinds.config.done > 10 and .kinds.config.failed == 1' "$TMP/out"
check "the link was not followed" test ! -e "$TMP/tgtl/config/evil.conf"

# baseline adopts an install msmigrate did not make, if its layout allows the version
make_target_8x "$TMP/unmanaged"
expect_exit 1 "baseline refuses a version the layout rules out" \
    msm baseline --target "$TMP/unmanaged" --version 6.0
expect_exit 0 "baseline 7u5" msm baseline --target "$TMP/unmanaged" --version 7u5 --note "adopted"
expect_exit 0 "status after baseline" msm status --target "$TMP/unmanaged" --json
check "baseline recorded ms-7.0.5" jq -e '.version == "ms-7.0.5" and .history[0].action == "baseline"' "$TMP/out"
expect_exit 0 "detect trusts the history" msm detect "$TMP/unmanaged"
contains "$TMP/out" "ms-7.0.5" "exact version from history"

# a second run while one holds the lock is refused, naming the holder
msm sample $CHAIN --version 5.2 --users 3 --seed 4 "$TMP/src2" >/dev/null
for i in $(seq 1 200); do echo "x $i" >"$TMP/src2/msg-sample/config/slow$i.conf"; done
make_target_8x "$TMP/tgt2"
FX_SLOW_MS=20 "$MSMIGRATE" run $CHAIN --source "$TMP/src2" --target "$TMP/tgt2" --to 8.1 \
    --confirm direct-ldap --confirm clean-shutdown --threads 1 -q >/dev/null 2>&1 &
bg=$!
for i in $(seq 1 100); do [ -e "$TMP/tgt2/.msmigrate/lock" ] && break; sleep 0.1; done
expect_exit 1 "concurrent run refused" msm run $CHAIN --source "$TMP/src2" --target "$TMP/tgt2" \
    --to 8.1 --confirm direct-ldap --confirm clean-shutdown
contains "$TMP/err" "locked by run" "names the holder"
kill "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
finish
