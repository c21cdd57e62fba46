#!/bin/sh
# The classic store end to end: `msmigrate sample --version ims-5.2` writes a G1
# store through the classic-store codec; `msmigrate run --only store` migrates it
# to ms-8.1 (G3) in one run over a fixture chain whose hops pass folders through
# (tests/plugins/fx-store-classic.c); verify is clean and catches a changed
# message; the source is untouched; a run killed with SIGKILL at random points
# resumes with --resume to a clean verify with every message written once.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

SC="--no-default-plugin-dir --plugin-dir $MSM_TOP_BUILDDIR/tests/plugins/store-classic"
CONF="--confirm direct-ldap --confirm clean-shutdown"

expect_exit 0 "sample ims-5.2" msm sample --version ims-5.2 --users 10 --seed 3 "$TMP/src"
contains "$TMP/out" "store" "sample reports the store"
lacks "$TMP/out" "no store codec" "the store is not missing"
S="$TMP/src/msg-sample/store"
for db in folder quota peruser subscr lright; do
    check "sample has mboxlist/$db.db" test -f "$S/mboxlist/$db.db"
done
check "sample: partition/primary/=user/<h1>/<h2>/=<user>/store.idx" \
    sh -c "ls '$S'/partition/primary/=user/*/*/=*/store.idx >/dev/null"
check "sample: store.idx is format 1 (G1)" \
    sh -c "[ \"\$(od -An -tu1 -j5 -N1 \$(ls '$S'/partition/primary/=user/*/*/=*/store.idx | head -1) | tr -d ' ')\" = 1 ]"
nsrc=$(find "$S/partition" -name '*.msg' | wc -l)
check "sample has messages ($nsrc)" test "$nsrc" -gt 50
cp -a "$TMP/src" "$TMP/src.orig"

make_target_8x "$TMP/tgt"
expect_exit 0 "run ims-5.2 -> ms-8.1 --only store" \
    msm run $SC --source "$TMP/src" --target "$TMP/tgt" --to 8.1 $CONF --only store --json
cp "$TMP/out" "$TMP/run.json"
check "one fused run over four hops" jq -e '.exit_code == 0' "$TMP/run.json"
check "store folders done and verified" \
    jq -e '.kinds.store.done > 20 and .kinds.store.verified == .kinds.store.done and .kinds.store.failed == 0' "$TMP/run.json"
run=$(jq -r .run_id "$TMP/run.json")
T="$TMP/tgt/data/store"
ntgt=$(find "$T/partition" -name '*.msg' | wc -l)
check "every message written once ($nsrc)" test "$ntgt" -eq "$nsrc"
check "target store.idx is format 2 (G3)" \
    sh -c "[ \"\$(od -An -tu1 -j5 -N1 \$(ls '$T'/partition/primary/=user/*/*/=*/store.idx | head -1) | tr -d ' ')\" = 2 ]"
check "source untouched" diff -r "$TMP/src" "$TMP/src.orig"
expect_exit 0 "verify clean" msm verify $SC --target "$TMP/tgt" "$run"
one=$(find "$T/partition" -name '*.msg' | sort | head -1)
cp "$one" "$TMP/saved.msg"
printf 'X' | dd of="$one" bs=1 seek=10 conv=notrunc 2>/dev/null
expect_exit 2 "verify finds a changed message byte" msm verify $SC --target "$TMP/tgt" "$run"
contains "$TMP/out" "differs" "names the folder that differs"
cp "$TMP/saved.msg" "$one"
expect_exit 0 "verify clean again" msm verify $SC --target "$TMP/tgt" "$run"

make_target_8x "$TMP/g1"
expect_exit 1 "the G1 reader refuses the G3 target as a 6.3 source" \
    msm run $SC --source "$TMP/tgt" --from 6.3 --target "$TMP/g1" --to 7.0 $CONF \
    --confirm source-stopped --only store
contains "$TMP/err" "written by ms-8.0.1 .. ms-8.1" "names the generation that wrote it"
check "nothing written to the refused target" sh -c "[ -z \"\$(find '$TMP/g1/data' -name '*.msg')\" ]"

# SIGKILL at random points, then --resume to a clean verify
msm sample --version ims-5.2 --users 40 --seed 7 "$TMP/big" >/dev/null
nbig=$(find "$TMP/big/msg-sample/store/partition" -name '*.msg' | wc -l)
make_target_8x "$TMP/tk"
kill_after() { # kill_after SECONDS ARGS...
    local s=$1; shift
    FX_SLOW_MS=15 "$MSMIGRATE" "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$s"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}
rnd() { awk -v s="$1" 'BEGIN { srand(s); printf "%.2f\n", 0.3 + rand() * 1.5 }'; }
state() { msm status --target "$TMP/tk" --json 2>/dev/null | jq -r '.runs[0].state'; }
seed=$(date +%s)
echo "# kill points from seed $seed"
kill_after "$(rnd "$seed")" run $SC --source "$TMP/big" --target "$TMP/tk" --to 8.1 $CONF --only store --threads 2 -q
krun=$(ls "$TMP/tk/.msmigrate/runs" | head -1)
st1=$(state)
check "a run was started and killed half way (state $st1)" test -n "$krun" -a "$st1" != finished
for i in 1 2 3 4; do
    [ "$(state)" = finished ] && break
    kill_after "$(rnd $((seed + i)))" run $SC --resume "$krun" --target "$TMP/tk" --break-lock --threads 2 -q
done
if [ "$(state)" != finished ]; then
    expect_exit 0 "the last resume finishes" msm run $SC --resume "$krun" --target "$TMP/tk" --break-lock --json
else
    ok "a resume between the kills finished the run"
fi
msm status --target "$TMP/tk" --json >"$TMP/st.json" 2>/dev/null
check "finished, nothing failed or left started" \
    jq -e '.runs[0].state == "finished" and .runs[0].failed == 0 and .runs[0].started == 0' "$TMP/st.json"
nk=$(find "$TMP/tk/data/store/partition" -name '*.msg' | wc -l)
check "no message lost or doubled ($nk of $nbig)" test "$nk" -eq "$nbig"
check "no temporary left" sh -c "[ -z \"\$(find '$TMP/tk/data/store' -name '*.tmp')\" ]"
expect_exit 0 "verify after the kills is clean" msm verify $SC --target "$TMP/tk" "$krun"
nf=$(jq -r '.runs[0].done' "$TMP/st.json")
check "journal: one done record per folder ($nf)" test "$nf" -gt 100

# rollback (a chain without the irreversible 7.x -> 8.1 hop) removes every folder
# the run created, messages and records, and restores one it replaced
make_target_8x "$TMP/t63"
msm sample --version ms-6.3 --users 2 --seed 3 "$TMP/pre" >/dev/null
cp -a "$TMP/pre/data" "$TMP/t63/"        # a store already there before the run
find "$TMP/t63/data/store" -name '*.msg' | sort >"$TMP/pre.list"
cp -a "$TMP/t63/data/store" "$TMP/pre.store"
expect_exit 0 "run ims-5.2 -> ms-6.3 into a store that has folders" \
    msm run $SC --source "$TMP/src" --target "$TMP/t63" --to 6.3 $CONF --only store --json
r63=$(jq -r .run_id "$TMP/out")
check "the run replaced and added folders" \
    sh -c "[ \$(find '$TMP/t63/data/store' -name '*.msg' | wc -l) -gt \$(wc -l <'$TMP/pre.list') ]"
expect_exit 0 "rollback" msm rollback $SC "$r63" --target "$TMP/t63"
find "$TMP/t63/data/store" -name '*.msg' | sort >"$TMP/post.list"
check "exactly the messages of before are back" cmp "$TMP/pre.list" "$TMP/post.list"
check "message bytes and indexes as before" \
    diff -r -x mboxlist "$TMP/pre.store" "$TMP/t63/data/store"
nrec=$(db5.3_dump -p "$TMP/t63/data/store/mboxlist/folder.db" | awk '/HEADER=END/ { d = 1; next } /DATA=END/ { d = 0 } d' | wc -l)
nold=$(db5.3_dump -p "$TMP/pre.store/mboxlist/folder.db" | awk '/HEADER=END/ { d = 1; next } /DATA=END/ { d = 0 } d' | wc -l)
check "folder.db holds the records of before ($nrec lines, $nold before)" test "$nrec" -eq "$nold"
check "the undo records are gone" test ! -e "$TMP/t63/.msmigrate/runs/$r63/classic-store"
finish
