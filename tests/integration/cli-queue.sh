#!/bin/sh
# msmigrate queue counters on generated queues (the imsimta qm counters check the
# seeds use before SIMS and NMS migrations): counts per channel, held apart; a
# malformed queue file is reported by path, counted, and left byte-identical.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

msm sample $CHAIN --version 5.2 --users 4 --seed 2 --json "$TMP/src" >"$TMP/sample.json"
n=$(jq '.kinds.queue.items' "$TMP/sample.json")
check "the sample wrote queued messages" test "$n" -gt 0
expect_exit 2 "counters of a queue holding messages exit 2" msm queue counters --json "$TMP/src"
check "counters add up to what the sample wrote" jq -e --argjson n "$n" '.queued + .held == $n' "$TMP/out"
check "held messages counted apart" jq -e '.held >= 1' "$TMP/out"
expect_exit 2 "text output" msm queue counters "$TMP/src"
contains "$TMP/out" "total" "text has a total line"

f=$(find "$TMP/src/msg-sample/imta/queue" -type f -name 'Z*.00' | sort | head -1)
printf 'not a queue file' >"$f"
expect_exit 2 "a malformed queue file" msm queue counters --json "$TMP/src"
check "counted as unreadable" jq -e --argjson n "$n" '.unreadable == 1 and .queued + .held == $n - 1' "$TMP/out"
contains "$TMP/err" "$f" "the file is named"
check "and left untouched" sh -c "[ \"\$(cat '$f')\" = 'not a queue file' ]"

make_target_8x "$TMP/empty"
expect_exit 0 "an empty (absent) queue exits 0" msm queue counters --version 8.1 --json "$TMP/empty"
check "zero messages" jq -e '.queued == 0 and .held == 0' "$TMP/out"
expect_exit 0 "an NMS 4.x deployment without a queue directory exits 0" msm queue counters --version nms-4.1 "$TMP/empty"
finish
