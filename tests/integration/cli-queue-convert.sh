#!/bin/sh
# Queue migration end to end (issue 6) on generated SIMS 4.0 and NMS 3.x deployments
# with queued and held messages, through the fixture plugin tests/plugins/queue/fx-queue
# (every hop with a channel-renaming queue migrator, and the NMS 3.x queue codec):
# preflight refuses while messages are queued; --migrate-queues converts them along the
# chain to ms-8.1 and `queue verify` is clean; `queue convert` (qconvert 3.x -> 4.1)
# writes 4.x access rights, resumes after SIGKILL with every message present once, and
# rolls back; `queue release` moves exactly one user's held messages; a malformed queue
# file is reported by path and left untouched; `run --wait` waits for the queue to drain.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

Q="--no-default-plugin-dir --plugin-dir $MSM_TOP_BUILDDIR/tests/plugins/queue"
make_target_8x "$TMP/dummy" # (lib.sh helper; the targets below are made the same way)

# nfiles DIR: regular files below DIR (not counting msmigrate's own state)
nfiles() { find "$1" -path "$1/.msmigrate" -prune -o -type f -print | wc -l; }

for v in sims-4.0 nms-3.x; do
    src="$TMP/src-$v" tgt="$TMP/t81-$v"
    msm sample $Q --version "$v" --users 5 --seed 4 --json "$src" >"$TMP/sample.json"
    n=$(jq '.kinds.queue.items' "$TMP/sample.json")
    check "$v: the sample wrote queued messages ($n)" test "$n" -ge 8
    expect_exit 2 "$v: counters see them" msm queue counters $Q --json "$src"
    check "$v: counters add up, held apart" jq -e --argjson n "$n" '.queued + .held == $n and .held >= 3' "$TMP/out"
    make_target_8x "$tgt"
    expect_exit 3 "$v: preflight refuses while messages are queued" \
        msm run $Q --source "$src" --target "$tgt" --to 8.1 --json
    check "$v: the refusal counts messages per channel" \
        jq -e '[.preflight[] | select(.id == "queues-empty" and .result == "fail" and (.detail | test("tcp_local: [0-9]+")) and (.detail | test("--migrate-queues")))] | length >= 1' "$TMP/out"
    check "$v: nothing was written" test ! -d "$tgt/data/queue"
    expect_exit 0 "$v: --migrate-queues converts them to ms-8.1" \
        msm run $Q --source "$src" --target "$tgt" --to 8.1 --migrate-queues --json
    check "$v: every message done and verified by the run" \
        jq -e --argjson n "$n" '.kinds.queue.done == $n and .kinds.queue.verified == $n and .kinds.queue.verify_missing == 0' "$TMP/out"
    check "$v: the store channel is ims-ms in 8.1" test -d "$tgt/data/queue/ims-ms"
    check "$v: no sims-ms/local channel left in 8.1" sh -c "! ls '$tgt/data/queue/sims-ms' '$tgt/data/queue/local' 2>/dev/null | grep -q ."
    expect_exit 0 "$v: queue verify is clean (envelopes, recipients, attempts, held, digests)" \
        msm queue verify $Q --json "$src" "$tgt" --to 8.1
    check "$v: verify matched every message" jq -e --argjson n "$n" '.matched == $n and .source_messages == $n and .target_messages == $n' "$TMP/out"
    check "$v: .HELD kept" sh -c "ls '$tgt/data/queue/tcp_local' | grep -q '\\.HELD\$'"
done

# queue verify notices a changed attempt count
tgt="$TMP/t81-sims-4.0"
f=$(find "$tgt/data/queue/tcp_intranet" -type f -name 'Z*.00' | sort | head -1)
b=$(basename "$f")
mv "$f" "$(dirname "$f")/00${b#??}"
expect_exit 2 "queue verify exits 2 when attempts differ" msm queue verify $Q "$TMP/src-sims-4.0" "$tgt" --to 8.1
contains "$TMP/out" "envelope differs" "and says which message"

# qconvert 3.x -> 4.1: access rights, resume after SIGKILL, rollback
src="$TMP/src-nms-3.x"
n=$(msm queue counters $Q --json "$src" | jq '.queued + .held')
mkdir -p "$TMP/n41"
FX_SLOW_MS=400 "$MSMIGRATE" queue convert $Q "$src" --from nms-3.x --to nms-4.1 "$TMP/n41" -j 1 \
    >"$TMP/kill.out" 2>&1 &
pid=$!
sleep 2
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
run=$(ls "$TMP/n41/.msmigrate/runs" | head -1)
check "the killed conversion left a run ($run)" test -n "$run"
part=$(find "$TMP/n41/msg-default/queue" -type f -name '*.msg' -o -type f -name '*.held' 2>/dev/null | wc -l)
check "it was killed half way ($part of $n written)" test "$part" -lt "$n"
expect_exit 0 "queue convert --resume --break-lock finishes it" msm queue convert $Q --resume "$run" --break-lock "$TMP/n41" --json
check "nothing converted twice, nothing lost" jq -e --argjson n "$n" '.kinds.queue.done + .kinds.queue.already_done == $n and .kinds.queue.already_done > 0 and .kinds.queue.verified == $n' "$TMP/out"
check "every message present once in 4.1" test "$(find "$TMP/n41/msg-default/queue" -type f \( -name '*.msg' -o -name '*.held' \) | wc -l)" -eq "$n"
expect_exit 0 "queue verify 3.x against 4.1 is clean" msm queue verify $Q "$src" "$TMP/n41" --to nms-4.1
check "4.x access rights: files 0600" sh -c "[ -z \"\$(find '$TMP/n41/msg-default/queue' -type f ! -perm 0600)\" ]"
check "3.x access rights were 0660" sh -c "[ -z \"\$(find '$src/msg-sample/queue' -type f ! -perm 0660)\" ]"
check "held state kept (.held)" sh -c "ls '$TMP/n41/msg-default/queue/tcp_local' | grep -q '\\.held\$'"
expect_exit 0 "msmigrate verify RUN re-reads the converted queue" msm verify $Q "$run" --target "$TMP/n41" --json
check "every message matched by digest" jq -e --argjson n "$n" '.kinds.queue.verified == $n and .kinds.queue.verify_missing == 0' "$TMP/out"
expect_exit 0 "rollback undoes the conversion" msm rollback $Q "$run" --target "$TMP/n41"
check "no queue file left after rollback" test "$(find "$TMP/n41/msg-default/queue" -type f | wc -l)" -eq 0
expect_exit 1 "converting a queue onto itself is refused" msm queue convert $Q "$src" --from nms-3.x --to nms-4.1 "$src"

# a PMDF conversion (sims-4.0 -> ims-5.2: reversible) rolls back too; the source is untouched
mkdir -p "$TMP/i52"
sum_before=$(find "$TMP/src-sims-4.0/var" -type f -exec sha256sum {} + | sort | sha256sum)
expect_exit 0 "queue convert sims-4.0 -> ims-5.2" msm queue convert $Q "$TMP/src-sims-4.0" --to 5.2 "$TMP/i52" --json
run=$(jq -r '.run_id' "$TMP/out")
check "sims-ms became ims-ms in 5.2" test -d "$TMP/i52/msg-default/imta/queue/ims-ms"
expect_exit 0 "queue verify sims-4.0 against ims-5.2" msm queue verify $Q "$TMP/src-sims-4.0" "$TMP/i52" --to 5.2
expect_exit 0 "rollback of the PMDF conversion" msm rollback $Q "$run" --target "$TMP/i52"
check "no queue file left after rollback" test "$(find "$TMP/i52/msg-default/imta/queue" -type f | wc -l)" -eq 0
check "the source queue was never modified" test "$(find "$TMP/src-sims-4.0/var" -type f -exec sha256sum {} + | sort | sha256sum)" = "$sum_before"

# held messages: release exactly one user's (hold_master -u -d)
for v in sims-4.0 nms-3.x; do
    r="$TMP/rel-$v"
    cp -a "$TMP/src-$v" "$r"
    expect_exit 0 "$v: queue held lists the held messages" msm queue held $Q --json "$r"
    total=$(jq '.count' "$TMP/out")
    u=$(jq -r '[.held[] | select(.channel == "hold")][0].recipients[0]' "$TMP/out")
    mine=$(jq --arg u "$u" '[.held[] | select(.recipients | index($u))] | length' "$TMP/out")
    check "$v: $mine held message(s) for $u, $total in all" test "$mine" -ge 1 -a "$total" -gt "$mine"
    before=$(nfiles "$r")
    expect_exit 0 "$v: release --user --domain" msm queue release $Q --json "$r" --user "${u%@*}" --domain "${u#*@}"
    check "$v: exactly that user's messages released" jq -e --argjson m "$mine" '.released_count == $m' "$TMP/out"
    expect_exit 0 "$v: held count afterwards" msm queue held $Q --json "$r"
    check "$v: the others stay held" jq -e --argjson t "$total" --argjson m "$mine" '.count == $t - $m' "$TMP/out"
    check "$v: none of the user's left held" jq -e --arg u "$u" '[.held[] | select(.recipients | index($u))] | length == 0' "$TMP/out"
    check "$v: no message lost or doubled" test "$(nfiles "$r")" -eq "$before"
    expect_exit 2 "$v: counters still see every message" msm queue counters $Q --json "$r"
    store=$([ "$v" = sims-4.0 ] && echo sims-ms || echo local)
    check "$v: released to the store channel $store" jq -e --arg s "$store" '[.channels[] | select(.channel == $s)][0].queued >= 1' "$TMP/out"
    expect_exit 0 "$v: release again is idempotent" msm queue release $Q --json "$r" --user "${u%@*}" --domain "${u#*@}"
    check "$v: nothing more to release" jq -e '.released_count == 0' "$TMP/out"
done

# a malformed queue file is reported with its path and left untouched
bad="$TMP/bad"
cp -a "$TMP/src-nms-3.x" "$bad"
f=$(find "$bad/msg-sample/queue/tcp_intranet" -name 'qf*' | sort | head -1)
printf 'V9\nnot an envelope\n' >"$f"
cp "$f" "$TMP/bad.copy"
make_target_8x "$TMP/t-bad"
expect_exit 2 "a run with a malformed queue file exits 2" \
    msm run $Q --source "$bad" --target "$TMP/t-bad" --to 8.1 --migrate-queues --json
check "the file is named" jq -e --arg f "$f" '[.problems[] | select(contains($f))] | length >= 1' "$TMP/out"
check "the others are converted" jq -e --argjson n "$n" '.kinds.queue.done == $n - 1' "$TMP/out"
check "and it is left untouched" cmp "$f" "$TMP/bad.copy"
expect_exit 2 "queue verify reports it too" msm queue verify $Q "$bad" "$TMP/t-bad" --to 8.1
contains "$TMP/out" "$f" "by path"

# run --wait: waits for the queue to drain, then preflight passes
w="$TMP/wait"
cp -a "$TMP/src-sims-4.0" "$w"
make_target_8x "$TMP/t-wait"
(sleep 3; find "$w/var/opt/SUNWmail/imta/queue" -type f -delete) &
expect_exit 0 "run --wait=30 waits until the queue drains" \
    msm run $Q --source "$w" --target "$TMP/t-wait" --to 8.1 --wait=30 --no-progress
contains "$TMP/err" "waiting for the queue" "with a progress line"
wait
cp -a "$TMP/src-sims-4.0" "$TMP/wait2"
make_target_8x "$TMP/t-wait2"
expect_exit 3 "run --wait=2 gives up on a queue that does not drain" \
    msm run $Q --source "$TMP/wait2" --target "$TMP/t-wait2" --to 8.1 --wait=2 --no-progress
contains "$TMP/err" "did not drain" "and says so"
finish
