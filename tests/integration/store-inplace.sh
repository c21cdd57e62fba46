#!/bin/sh
# In-place store runs (seed 004: 6.3 -> 7.0 -> 8.1 on the same host, the same
# deployment as source and target): the new store is written to a stage inside the
# live store directory, verified there, swapped in; the replaced store is kept
# (docs/formats/store-stage.md). Checked: the result equals the original message for
# message (store verify), the replaced store is byte-identical to the original, a
# reversible in-place run rolls back to a byte-identical deployment, the irreversible
# one refuses rollback and keeps its result, a dry run writes nothing, and a run
# killed with SIGKILL at random points (during the writes or the swap) resumes to a
# clean verify with every message once.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

REAL="--no-default-plugin-dir --plugin-dir $MSM_TOP_BUILDDIR/plugins/ms7x-8x/.libs"
SC="--no-default-plugin-dir --plugin-dir $MSM_TOP_BUILDDIR/tests/plugins/store-classic"
CONF="--confirm clean-shutdown --confirm direct-ldap --confirm source-stopped"
idx_format() { od -An -tu1 -j5 -N1 "$(ls "$1"/data/store/partition/primary/=user/*/*/=*/store.idx | head -1)" | tr -d ' '; }
nmsg() { find "$1" -name '*.msg' -not -path '*/.msmigrate-*' | wc -l; }

expect_exit 0 "sample ms-6.3" msm sample --version ms-6.3 --users 6 --seed 11 "$TMP/orig"
check "the sample's store is G1" test "$(idx_format "$TMP/orig")" = 1
n=$(nmsg "$TMP/orig/data/store")
check "the sample has messages ($n)" test "$n" -gt 20

# 1. 6.3 -> 8.1 in place with the real adapter
cp -a "$TMP/orig" "$TMP/a"
expect_exit 0 "dry run 6.3 -> 8.1 in place" msm run $REAL --source "$TMP/a" --target "$TMP/a" \
    --from 6.3 --to 8.1 --only store $CONF --dry-run --no-progress
check "the dry run wrote nothing in the store" diff -r "$TMP/orig/data" "$TMP/a/data"
expect_exit 0 "run 6.3 -> 8.1 in place" msm run $REAL --source "$TMP/a" --target "$TMP/a" \
    --from 6.3 --to 8.1 --only store $CONF --json
cp "$TMP/out" "$TMP/a.json"
check "every folder done and verified" \
    jq -e '.kinds.store.done > 10 and .kinds.store.verified == .kinds.store.done' "$TMP/a.json"
check "the report says the stage was swapped in" \
    jq -e '.kinds.store.note | test("swapped in")' "$TMP/a.json"
check "the live store is G3 now" test "$(idx_format "$TMP/a")" = 2
check "every message once ($n)" test "$(nmsg "$TMP/a/data/store")" -eq "$n"
check "no stage left" sh -c "! ls -d '$TMP/a/data/store'/.msmigrate-stage-* 2>/dev/null"
old=$(ls -d "$TMP/a/data/store"/.msmigrate-old-*)
check "the replaced 6.3 store is kept byte for byte" \
    sh -c "diff -r '$TMP/orig/data/store/partition' '$old/partition' && diff -r -x '__db.*' -x 'log.*' '$TMP/orig/data/store/mboxlist' '$old/mboxlist'"
one=$(find "$TMP/a/data/store/partition" -name '*.msg' | head -1)
check "the new store adopted the message files (hard links, no byte copied)" \
    test "$(stat -c %h "$one")" -eq 2
old_du=$(du -sk "$TMP/orig/data/store" | cut -f1)
all_du=$(du -sk "$TMP/a/data/store" | cut -f1)
check "old and new store together take little more than the old ($all_du KiB, $old_du KiB)" \
    test "$all_du" -lt $((old_du * 3 / 2))
expect_exit 0 "store verify: the 8.1 store equals the 6.3 original" \
    msm store verify --a-version ms-6.3 --b-version ms-8.1 "$TMP/orig" "$TMP/a"
rid=$(jq -r .run_id "$TMP/a.json")
expect_exit 0 "msmigrate verify of the run" msm verify $REAL --target "$TMP/a" "$rid"
expect_exit 3 "no back-out across 7.0.5 without a snapshot (seed 004)" \
    msm rollback $REAL --target "$TMP/a" "$rid"
check "the refused rollback left the 8.1 store" test "$(idx_format "$TMP/a")" = 2

# 2. a reversible in-place run (6.3 -> 7.0) rolls back to the same bytes
cp -a "$TMP/orig" "$TMP/b"
expect_exit 0 "run 6.3 -> 7.0 in place" msm run $REAL --source "$TMP/b" --target "$TMP/b" \
    --from 6.3 --to 7.0 --only store $CONF --json
rb=$(jq -r .run_id "$TMP/out")
check "a store was swapped in" sh -c "ls -d '$TMP/b/data/store'/.msmigrate-old-*"
expect_exit 0 "rollback of the in-place run" msm rollback $REAL --target "$TMP/b" "$rb"
check "the deployment is byte-identical to before" diff -r -x .msmigrate "$TMP/orig" "$TMP/b"
expect_exit 0 "a second rollback changes nothing" msm rollback $REAL --target "$TMP/b" "$rb"
check "still byte-identical" diff -r -x .msmigrate "$TMP/orig" "$TMP/b"

# 3. SIGKILL at random points of an in-place run, then --resume
msm sample --version ms-6.3 --users 30 --seed 5 "$TMP/korig" >/dev/null
cp -a "$TMP/korig" "$TMP/k"
nk=$(nmsg "$TMP/korig/data/store")
kill_after() { # kill_after SECONDS ARGS...
    s=$1
    shift
    FX_SLOW_MS=10 "$MSMIGRATE" "$@" >/dev/null 2>&1 &
    pid=$!
    sleep "$s"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
rnd() { awk -v s="$1" 'BEGIN { srand(s); printf "%.2f\n", 0.2 + rand() * 1.2 }'; }
state() { msm status --target "$TMP/k" --json 2>/dev/null | jq -r '.runs[0].state'; }
seed=$(date +%s)
echo "# kill points from seed $seed"
kill_after "$(rnd "$seed")" run $SC --source "$TMP/k" --target "$TMP/k" --from 6.3 --to 8.1 \
    $CONF --only store --threads 2 -q
krun=$(ls "$TMP/k/.msmigrate/runs" | head -1)
check "a run was started and killed ($(state))" test -n "$krun" -a "$(state)" != finished
for i in 1 2 3 4 5 6; do
    [ "$(state)" = finished ] && break
    kill_after "$(rnd $((seed + i)))" run $SC --resume "$krun" --target "$TMP/k" --break-lock \
        --threads 2 -q
done
if [ "$(state)" != finished ]; then
    expect_exit 0 "the last resume finishes" msm run $SC --resume "$krun" --target "$TMP/k" \
        --break-lock --no-progress
else
    ok "a resume between the kills finished the run"
fi
check "the live store is G3" test "$(idx_format "$TMP/k")" = 2
check "no message lost or doubled ($nk)" test "$(nmsg "$TMP/k/data/store")" -eq "$nk"
check "no stage left" sh -c "! ls -d '$TMP/k/data/store'/.msmigrate-stage-* 2>/dev/null"
expect_exit 0 "store verify after the kills: equal to the original" \
    msm store verify --a-version ms-6.3 --b-version ms-8.1 "$TMP/korig" "$TMP/k"
kold=$(ls -d "$TMP/k/data/store"/.msmigrate-old-*)
check "the replaced store is the original" diff -r "$TMP/korig/data/store/partition" "$kold/partition"
finish
