#!/bin/sh
# A run killed with SIGKILL half way resumes with --resume: every item present
# once, none transformed twice; the dead run's lock is stale and is only broken
# on request.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

msm sample $CHAIN --version 5.2 --users 3 --seed 5 "$TMP/src" >/dev/null
N=300
for i in $(seq 1 $N); do printf 'item %s\n' "$i" >"$TMP/src/msg-sample/config/bulk$i.conf"; done
make_target_8x "$TMP/tgt"
opts="--source $TMP/src --target $TMP/tgt --to 8.1 --confirm direct-ldap --confirm clean-shutdown"

kill_after() { # kill_after SECONDS ARGS...: start msmigrate, SIGKILL it
    local s=$1; shift
    FX_SLOW_MS=5 "$MSMIGRATE" "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$s"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

kill_after 1.5 run $CHAIN $opts --threads 2 -q
run=$(ls "$TMP/tgt/.msmigrate/runs" | head -1)
check "a run was started" test -n "$run"
msm status --target "$TMP/tgt" --json >"$TMP/st.json" 2>/dev/null
check "killed half way: some items done, not all" \
    jq -e '.runs[0].done > 0 and .runs[0].done < 300' "$TMP/st.json"
check "the dead run's lock is stale" jq -e '.lock.stale == true' "$TMP/st.json"

expect_exit 1 "resume refused while the stale lock is there" msm run $CHAIN --resume "$run" --target "$TMP/tgt"
contains "$TMP/err" "--break-lock" "says how to break it"

kill_after 1.0 run $CHAIN --resume "$run" --target "$TMP/tgt" --break-lock --threads 2 -q
expect_exit 0 "second resume finishes" msm run $CHAIN --resume "$run" --target "$TMP/tgt" --break-lock --json
check "resume did the rest only" jq -e '.kinds.config.already_done > 0' "$TMP/out"
check "everything verified" jq -e '.kinds.config.verify_missing == 0 and .kinds.config.verify_differs == 0' "$TMP/out"

msm status --target "$TMP/tgt" --json >"$TMP/st.json" 2>/dev/null
total=$(find "$TMP/src/msg-sample/config" "$TMP/src/msg-sample/imta/config" -type f 2>/dev/null | wc -l)
check "journal: every item done exactly once ($total sources + 4 new)" \
    jq -e --argjson n "$((total + 4))" '.runs[0].done == $n and .runs[0].started == 0 and .runs[0].failed == 0' "$TMP/st.json"
bad=0
for i in $(seq 1 $N); do
    c=$(grep -c 'msmigrate-fixture' "$TMP/tgt/config/bulk$i.conf" 2>/dev/null || echo 0)
    [ "$c" -eq 4 ] || bad=$((bad + 1))
done
check "every file went through each hop exactly once" test "$bad" -eq 0

# SIGINT: the run stops cleanly (exit 1, state "interrupted", lock released) and
# says how to resume; the resume finishes without --break-lock.
make_target_8x "$TMP/tgt3"
FX_SLOW_MS=5 "$MSMIGRATE" run $CHAIN --source "$TMP/src" --target "$TMP/tgt3" --to 8.1 \
    --confirm direct-ldap --confirm clean-shutdown --threads 2 -q >"$TMP/int.out" 2>"$TMP/int.err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
check "interrupted run exits 1" test "$rc" -eq 1
contains "$TMP/int.err" "--resume" "says how to resume"
msm status --target "$TMP/tgt3" --json >"$TMP/st3.json" 2>/dev/null
check "journal state is interrupted, lock released" \
    jq -e '.runs[0].state == "interrupted" and .lock == null' "$TMP/st3.json"
run3=$(jq -r '.runs[0].run_id' "$TMP/st3.json")
expect_exit 0 "resume after SIGINT" msm run $CHAIN --resume "$run3" --target "$TMP/tgt3" --json
check "nothing failed or left unfinished" \
    jq -e '.kinds.config.failed == 0 and .kinds.config.verify_missing == 0' "$TMP/out"
finish
