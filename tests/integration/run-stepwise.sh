#!/bin/sh
# tests/integration/run-stepwise.sh - `msmigrate run --stepwise` (docs/stepwise.md)
#
# Through the REAL adapter plugins of the build tree, from an iMS 5.2 sample
# (4 users, every kind the fused run migrates offline: config, directory as
# LDIF, store):
# 1. a fused run ims-5.2 -> ms-8.1 is the reference;
# 2. --dry-run writes nothing but its work directory, and names the steps;
# 3. without the manual confirmations the whole plan is refused up front
#    (exit 3) and nothing is written;
# 4. --stepwise --json: four steps, each intermediate root detected as its
#    version, store verify of the source against each of them and against the
#    target clean, the target's store equal to the fused run's, its
#    configuration files equal to the fused run's, the directory LDIF equal
#    but for its run-id comment, the source untouched, verify/status of the
#    target's last run working, an intermediate root usable as the --source
#    of an ordinary run;
# 5. SIGKILL while the step-2 sub-run is running: --resume without
#    --break-lock is refused; a service pid file planted in the ms-6.3 root
#    makes the resumed chain resume step 2 and stop at step 3 (exit 3, the
#    last good version named); without it --resume finishes (exit 0) with
#    the same result as the uninterrupted run;
# 6. the same for nms-4.0 (server-root intermediate ims-5.2, queues carried);
# 7. --steps-dir puts the intermediate roots there, never inside the source.
. "${MSM_TOP_SRCDIR:-.}/tests/integration/lib.sh"

REAL="--no-default-plugin-dir"
for p in sims40 nms3x nms4x ims52 ms60 ms62 ms7x-8x; do
    REAL="$REAL --plugin-dir $MSM_TOP_BUILDDIR/plugins/$p"
done
OPTS="--to 8.1 --override queues-empty --confirm direct-ldap --confirm clean-shutdown --no-progress"
LC_ALL=C
export LC_ALL

msm sample $REAL --version ims-5.2 --users 4 --seed 5 "$TMP/src" >/dev/null 2>&1
check "sample ims-5.2 with 4 users" test -d "$TMP/src/msg-sample/store"
cp -a "$TMP/src" "$TMP/src.orig"

# 1. the fused reference
make_target_8x "$TMP/fused"
expect_exit 0 "fused run ims-5.2 -> ms-8.1 (the reference)" \
    msm run $REAL --source "$TMP/src" --target "$TMP/fused" $OPTS --json
check "the fused run migrated config, directory and store" \
    jq -e '.kinds.config.done > 0 and .kinds.store.done > 0 and .kinds.directory.done > 0' "$TMP/out"
folders=$(jq .kinds.store.done "$TMP/out")

# same_as_fused DIR WHAT: the store, configuration and directory of DIR equal the fused run's
same_as_fused() {
    expect_exit 0 "$2: store verify of the fused target against it is clean" \
        msm store verify $REAL "$TMP/fused" "$1" --a-version ms-8.1 --b-version ms-8.1
    contains "$TMP/out" " 0 difference(s)" "$2: 0 store differences with the fused run"
    check "$2: configuration files equal the fused run's (diff -r config)" \
        diff -r -x .msmigrate "$TMP/fused/config" "$1/config"
    check "$2: the directory LDIF equals the fused run's (but for its run-id comment)" \
        sh -c "diff '$TMP/fused/ldap/directory.ldif' '$1/ldap/directory.ldif' | grep '^[<>]' | grep -v '^[<>] # migrated entries' | grep -q . && exit 1; exit 0"
}

# 2. dry run
make_target_8x "$TMP/dry"
cp -a "$TMP/dry" "$TMP/dry.orig"
expect_exit 0 "--stepwise --dry-run" \
    msm run $REAL --stepwise --dry-run --source "$TMP/src" --target "$TMP/dry" $OPTS
contains "$TMP/out" "a real run would write 4 steps" "the dry run names the 4 steps"
contains "$TMP/out" "2. ms-6.0  -> ms-6.3" "the dry run names step 2"
check "the dry run wrote no intermediate root" test ! -e "$TMP/dry/.msmigrate/steps"
check "the dry run wrote no stepwise state" test ! -e "$TMP/dry/.msmigrate/stepwise"
check "the dry run changed nothing in the target but its work directory" \
    diff -r -x .msmigrate "$TMP/dry.orig" "$TMP/dry"
check "the target's .msmigrate holds only the dry run's work directory" \
    sh -c "[ \"\$(ls -A '$TMP/dry/.msmigrate')\" = runs ] && [ \$(ls '$TMP/dry/.msmigrate/runs' | wc -l) -eq 1 ]"
check "the dry run wrote no history" test ! -e "$TMP/dry/.msmigrate/history"

# 3. refused up front
make_target_8x "$TMP/ref"
expect_exit 3 "--stepwise without the manual confirmations is refused (exit 3)" \
    msm run $REAL --stepwise --source "$TMP/src" --target "$TMP/ref" --to 8.1 --no-progress --json
check "the refusal lists the confirmations of every hop at once" \
    jq -e '[.whole.preflight[] | select(.result == "manual-unconfirmed") | .id] == ["direct-ldap","clean-shutdown","clean-shutdown"]' "$TMP/out"
check "refused: nothing written" sh -c "[ -z \"\$(ls -A '$TMP/ref/.msmigrate' 2>/dev/null)\" ]"

# 4. the stepwise run
make_target_8x "$TMP/sw"
expect_exit 0 "--stepwise ims-5.2 -> ms-8.1 through the real plugins" \
    msm run $REAL --stepwise --source "$TMP/src" --target "$TMP/sw" $OPTS --json
cp "$TMP/out" "$TMP/sw.json"
check "--json parses with jq: 4 steps, all done, exit 0" \
    jq -e '.exit_code == 0 and (.steps | length) == 4 and ([.steps[].status] | unique) == ["done"]' "$TMP/sw.json"
check "the steps are the plan's hops" \
    jq -e '[.steps[] | .from + ">" + .to] == ["ims-5.2>ms-6.0","ms-6.0>ms-6.3","ms-6.3>ms-7.0","ms-7.0>ms-8.1"]' "$TMP/sw.json"
check "each step's report is an ordinary run report" \
    jq -e '[.steps[].report.exit_code] == [0,0,0,0] and ([.steps[].report.run_id] | map(length > 0) | all)' "$TMP/sw.json"
check "the store is carried through ms-6.0 -> ms-6.3 (no store migrator there)" \
    jq -e '.steps[1].carried == ["store"] and .steps[1].report.kinds.store.done > 0' "$TMP/sw.json"
check "the intermediate roots are in the target's .msmigrate/steps/<id>/" \
    jq -e '.stepwise_id as $id | [.steps[0:3][].root] | map(test("/sw/.msmigrate/steps/" + $id + "/[123]-ms-")) | all' "$TMP/sw.json"
check "the last step writes the target" jq -e --arg t "$(cd "$TMP/sw" && pwd -P)" '.steps[3].root == $t' "$TMP/sw.json"
check "the state file says finished" \
    grep -qx 'state=finished' "$TMP/sw/.msmigrate/stepwise/$(jq -r .stepwise_id "$TMP/sw.json")/state"
i=0
for v in ms-6.0 ms-6.3 ms-7.0; do
    root=$(jq -r ".steps[$i].root" "$TMP/sw.json")
    i=$((i + 1))
    expect_exit 0 "intermediate $i: msmigrate detect $v root" msm detect "$root"
    contains "$TMP/out" "version:    $v " "intermediate $i is detected as $v"
    expect_exit 0 "intermediate $i: store verify source (ims-5.2) vs $v is clean" \
        msm store verify $REAL "$TMP/src" "$root" --a-version ims-5.2 --b-version $v
    contains "$TMP/out" " 0 difference(s)" "intermediate $i ($v): 0 store differences"
    check "intermediate $i ($v) holds the directory" test -s "$root/ldap/directory.ldif"
done
expect_exit 0 "store verify source (ims-5.2) vs the stepwise target (ms-8.1) is clean" \
    msm store verify $REAL "$TMP/src" "$TMP/sw" --a-version ims-5.2 --b-version ms-8.1
contains "$TMP/out" " 0 difference(s)" "source vs stepwise target: 0 store differences"
same_as_fused "$TMP/sw" "stepwise target"
check "the source is untouched" diff -r "$TMP/src.orig" "$TMP/src"
last=$(jq -r '.steps[3].run_id' "$TMP/sw.json")
expect_exit 0 "msmigrate verify of the last step's run (an ordinary run of the target)" \
    msm verify $REAL --target "$TMP/sw" "$last"
contains "$TMP/out" "0 missing, 0 differ" "verify re-read every item"
expect_exit 0 "msmigrate status of the target" msm status --target "$TMP/sw"
contains "$TMP/out" "Version (history): ms-8.1" "status: the target is ms-8.1"
contains "$TMP/out" "4 of 4 steps done; intermediate roots in" "status lists the stepwise run"
expect_exit 0 "msmigrate status --json" msm status --target "$TMP/sw" --json
check "status --json: the stepwise run, finished, 4 of 4 steps" \
    jq -e --arg id "$(jq -r .stepwise_id "$TMP/sw.json")" '.stepwise == [{"stepwise_id": $id, "state": "finished", "path": "ims-5.2 -> ms-6.0 -> ms-6.3 -> ms-7.0 -> ms-8.1", "steps": 4, "done": 4, "steps_dir": .stepwise[0].steps_dir}] and (.runs | length) == 1' "$TMP/out"
# an intermediate version is a deployment of its own: the --source of an ordinary run
r63=$(jq -r '.steps[1].root' "$TMP/sw.json")
make_target_8x "$TMP/from63"
expect_exit 0 "the ms-6.3 intermediate is the --source of an ordinary run to 8.1" \
    msm run $REAL --source "$r63" --target "$TMP/from63" --to 8.1 --confirm clean-shutdown --no-progress
expect_exit 0 "that run's store equals the stepwise target's" \
    msm store verify $REAL "$TMP/sw" "$TMP/from63" --a-version ms-8.1 --b-version ms-8.1

# 5. SIGKILL during step 2, resume
K="$TMP/k"
make_target_8x "$K"
# (not through the msm function: $! must be msmigrate itself; the libtool wrapper execs it)
"$MSMIGRATE" run $REAL --stepwise --source "$TMP/src" --target "$K" $OPTS -j 1 >"$TMP/k.out" 2>&1 &
pid=$!
# the step-2 sub-run exists and is running once its run.log is there (engine.c
# opens it after the journal holds the run's plan and state "running")
n=0
while [ $n -lt 3000 ]; do
    set -- "$K"/.msmigrate/steps/*/2-ms-6.3/.msmigrate/runs/*/run.log
    [ -e "$1" ] && break
    sleep 0.01
    n=$((n + 1))
done
kill -KILL $pid 2>/dev/null
wait $pid
rc=$?
check "the stepwise run was killed by SIGKILL (exit $rc)" test $rc -eq 137
id=$(ls "$K/.msmigrate/stepwise")
S="$K/.msmigrate/stepwise/$id/state"
echo "# killed after $n polls; state: $(grep '^status=' "$S" | tr '\n' ' ')"
check "the state file lists step 1 done and step 2 running" \
    sh -c "grep '^status=' '$S' | tr '\n' ' ' | grep -q '^status=done status=running status=pending status=pending'"
expect_exit 1 "--resume without --break-lock is refused while the dead run's lock is there" \
    msm run $REAL --resume "$id" --target "$K" --no-progress
contains "$TMP/err" "--break-lock" "the refusal names --break-lock"
# a service "running" from the ms-6.3 root: step 3 must be refused
r2=$(sed -n '/^\[step 2\]/,/^\[/s/^root=//p' "$S")
sub2=$(ls "$r2/.msmigrate/runs")
mkdir -p "$r2/data/run"
echo $$ >"$r2/data/run/stored.pid"
# what a SIGKILL during an atomic file replacement leaves (util.c: .NAME.tmp-PID-N of a
# process that is gone): the next step must not read it as a configuration file
dead=$(sh -c 'echo $$')
echo "junk = 1" >"$r2/config/.msg.conf.tmp-$dead-0"
expect_exit 3 "resumed: step 2 finishes, step 3 is refused (a service runs from the ms-6.3 root)" \
    msm run $REAL --resume "$id" --target "$K" --break-lock --no-progress --json
cp "$TMP/out" "$TMP/k2.json"
check "step 2 resumed the killed sub-run $sub2 and is done" \
    jq -e --arg r "$sub2" '.steps[1].resumed and .steps[1].run_id == $r and .steps[1].report.run_id == $r and .steps[1].status == "done"' "$TMP/k2.json"
check "the resumed step 2 wrote each of the $folders folders once (done now + done before the kill)" \
    jq -e --argjson n "$folders" '.steps[1].report.kinds.store | .done + .already_done == $n and .failed == 0 and .verify_missing == 0 and .verify_differs == 0' "$TMP/k2.json"
check "step 1 is not run again" jq -e '.steps[0].earlier and .steps[0].report == null' "$TMP/k2.json"
check "the chain stopped at step 3 (refused) and names ms-6.3 as the last good version" \
    jq -e --arg r "$r2" '.stopped_at == 3 and .steps[2].status == "refused" and .last_good_version == "ms-6.3" and .last_good_root == $r and .steps[3].status == "pending"' "$TMP/k2.json"
check "the refusal is source-stopped" \
    jq -e '[.steps[2].report.preflight[] | select(.result == "fail") | .id] == ["source-stopped"]' "$TMP/k2.json"
check "the resumed step removed the killed writer's temporary file" test ! -e "$r2/config/.msg.conf.tmp-$dead-0"
rm -f "$r2/data/run/stored.pid"
expect_exit 0 "--resume again finishes the chain (exit 0)" \
    msm run $REAL --resume "$id" --target "$K" --no-progress
contains "$TMP/out" "Result: 4 of 4 steps done, done (exit 0)" "the text summary says 4 of 4 steps done"
contains "$TMP/out" "Done by an earlier attempt" "the text report shows the steps done earlier"
expect_exit 0 "status of the killed and resumed target" msm status --target "$K" --json
check "status: the stepwise run is finished, 4 of 4" jq -e '.stepwise[0].state == "finished" and .stepwise[0].done == 4' "$TMP/out"
same_as_fused "$K" "killed and resumed"
expect_exit 0 "store verify source vs the resumed target is clean" \
    msm store verify $REAL "$TMP/src" "$K" --a-version ims-5.2 --b-version ms-8.1
expect_exit 0 "resuming a finished stepwise run changes nothing (exit 0)" \
    msm run $REAL --resume "$id" --target "$K" --no-progress
contains "$TMP/out" "Result: 4 of 4 steps done" "a finished stepwise run stays finished"
# a damaged state file is reported with the file, the group and the key
cp "$S" "$TMP/state.good"
grep -v '^run_id=' "$TMP/state.good" >"$S"
expect_exit 1 "a state file without a step's run_id is refused" \
    msm run $REAL --resume "$id" --target "$K" --no-progress
contains "$TMP/err" "$S: [step 1] run_id is missing" "the error names the file, the step and the key"
printf 'not a key file\n' >"$S"
expect_exit 1 "an unreadable state file is refused" msm run $REAL --resume "$id" --target "$K" --no-progress
contains "$TMP/err" "$S:" "the error names the state file"
cp "$TMP/state.good" "$S"
expect_exit 1 "--resume of an id that is not a stepwise run with --stepwise is refused" \
    msm run $REAL --stepwise --resume 20990101T000000Z-000000 --target "$K" --no-progress
contains "$TMP/err" "is not a stepwise run" "the error says it is not a stepwise run"

# 6. a chain through server-root versions: nms-4.0 -> ims-5.2 -> ... -> ms-8.1 with
# queues converted (the queue kind is carried through the hops without a queue migrator)
N="$TMP/nms"
msm sample $REAL --version nms-4.0 --users 3 --seed 2 "$N/src" >/dev/null 2>&1
NOPTS="--from nms-4.0 --to 8.1 --only config,store,queue --migrate-queues --confirm direct-ldap --confirm clean-shutdown --no-progress"
make_target_8x "$N/fused"
make_target_8x "$N/sw"
expect_exit 0 "nms-4.0: fused run (the reference)" msm run $REAL --source "$N/src" --target "$N/fused" $NOPTS
expect_exit 0 "nms-4.0: stepwise run" msm run $REAL --stepwise --source "$N/src" --target "$N/sw" $NOPTS --json
cp "$TMP/out" "$N/sw.json"
check "nms-4.0: five steps, the first into an ims-5.2 server root laid out as msg-default" \
    jq -e '(.steps | length) == 5 and .steps[0].to == "ims-5.2" and (.steps[0].skeleton | test("msg-default/imta/"))' "$N/sw.json"
check "nms-4.0: the queue is carried through the hops that have no queue migrator" \
    jq -e '[.steps[] | select(.carried | index("queue"))] | length > 0' "$N/sw.json"
r52=$(jq -r '.steps[0].root' "$N/sw.json")
expect_exit 0 "nms-4.0: msmigrate detect of the ims-5.2 root" msm detect "$r52"
contains "$TMP/out" "version:    ims-5.2 " "nms-4.0: the intermediate root is detected as ims-5.2"
expect_exit 0 "nms-4.0: store verify source (nms-4.0) vs the ims-5.2 root is clean" \
    msm store verify $REAL "$N/src" "$r52" --a-version nms-4.0 --b-version ims-5.2
expect_exit 0 "nms-4.0: store verify fused vs stepwise target is clean" \
    msm store verify $REAL "$N/fused" "$N/sw" --a-version ms-8.1 --b-version ms-8.1
qsum() { (cd "$1/data/queue" && find . -type f -print0 | xargs -0 -r sha256sum | sort -k2); }
qsum "$N/fused" >"$N/fused.q"
qsum "$N/sw" >"$N/sw.q"
check "nms-4.0: the target's queue files equal the fused run's ($(wc -l <"$N/sw.q") files)" \
    sh -c "[ -s '$N/sw.q' ] && cmp '$N/fused.q' '$N/sw.q'"
# job_controller.cnf gets a new random secret= in every run (fused or not)
check "nms-4.0: configuration files equal the fused run's (but for the per-run random secret)" \
    diff -r -I '^secret=' "$N/fused/config" "$N/sw/config"

# 7. --steps-dir
make_target_8x "$TMP/sd"
expect_exit 1 "--steps-dir inside the source is refused" \
    msm run $REAL --stepwise --steps-dir "$TMP/src/steps" --source "$TMP/src" --target "$TMP/sd" $OPTS
check "the source is still untouched" diff -r "$TMP/src.orig" "$TMP/src"
SD="$TMP/steps \"quoted\" dir"
expect_exit 0 "--stepwise --steps-dir DIR (a name with quotes and a space)" \
    msm run $REAL --stepwise --steps-dir "$SD" --source "$TMP/src" --target "$TMP/sd" $OPTS --json
check "the intermediate roots are under DIR/<id>/ (the JSON escapes the name)" \
    jq -e --arg d "$(cd "$SD" && pwd -P)" '.stepwise_id as $id | [.steps[0:3][].root] | map(startswith($d + "/" + $id + "/")) | all' "$TMP/out"
check "nothing under the target's .msmigrate/steps" test ! -e "$TMP/sd/.msmigrate/steps"
same_as_fused "$TMP/sd" "--steps-dir target"
finish
