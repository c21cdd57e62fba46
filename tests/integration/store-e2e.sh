#!/bin/sh
# tests/integration/store-e2e.sh - every product store to ms-8.1 in one run (issue 5)
#
# For each of sims-4.0, nms-3.x, nms-4.0, nms-4.1 and ims-5.2, through the REAL
# adapter plugins of the build tree (plugins/sims40 ... plugins/ms7x-8x):
# 1. `msmigrate sample` writes the version's deployment; the SIMS and NMS 3.x
#    stores and queues are written by the sims40 / nms3x plugins' codecs.
# 2. ONE `msmigrate run --to 8.1 --only config,store[,queue]` (queues converted
#    with --migrate-queues where the chain has a queue migrator; the directory
#    stays pending) with the confirmations the preconditions ask for; every item
#    done and verified, the source untouched.
# 3. `msmigrate verify RUN` is clean.
# 4. `msmigrate store verify` of the source (read with its version's codec)
#    against the ms-8.1 target: clean, except on sims-4.0 where the run renames
#    owners with a `[sims40] rename_map` (docs/formats/imbackup-stream.md): there
#    store verify must report exactly the renamed owners' folders, and the
#    manifests are equal once the documented renames are applied to the source's
#    (owner names and every ACL identifier).
# 5. `store export` of the ms-8.1 result to Maildir++ equals the expected manifest
#    (the sample model, renames applied), and a real Dovecot serving it answers
#    an IMAP client message for message like the model (store-maildir-imap.py).
# 6. A run SIGKILLed at a random point, resumed with --resume RUN --break-lock,
#    ends with a clean verify and the same store as an uninterrupted run.
. "${MSM_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "${MSM_TOP_SRCDIR:-.}/tests/integration/lib-dovecot.sh"
IMAPC="${MSM_TOP_SRCDIR:-.}/tests/integration/store-maildir-imap.py"
trap 'dovecot_stop; cleanup' EXIT

REAL="--no-default-plugin-dir"
for p in sims40 nms3x nms4x ims52 ms60 ms62 ms7x-8x; do
    REAL="$REAL --plugin-dir $MSM_TOP_BUILDDIR/plugins/$p"
done
CONFIRM="--confirm direct-ldap --confirm clean-shutdown"
USERS=6
SEED=7

# The sims-4.0 run renames two owners (one to mixed case, one to a new uid); one
# of them holds rights on another user's folder in the sample (mdubois/R&D).
RENAMES="jensen=Jensen ymuller=ymueller"
printf '# SIMS 4.0 uids renamed on the way to 5.2\n' >"$TMP/rename.map"
for r in $RENAMES; do echo "$r" >>"$TMP/rename.map"; done
printf '[sims40]\nrename_map = %s\n' "$TMP/rename.map" >"$TMP/rename.profile"

# rename_manifest MAP <IN >OUT: a manifest with the renames of MAP applied to
# owner names and ACL identifiers (ACL entries re-sorted as the manifest sorts them).
rename_manifest() {
    python3 -c '
import json, sys
ren = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line and not line.startswith("#"):
        a, b = line.split("=", 1); ren[a.strip()] = b.strip()
out = []
for line in sys.stdin:
    o = json.loads(line)
    o["owner"] = ren.get(o["owner"], o["owner"])
    if o["type"] == "folder" and o["acl"]:
        aces = []
        for ace in o["acl"].split(" "):
            who, rights = ace.rsplit("=", 1)
            aces.append("%s=%s" % (ren.get(who, who), rights))
        o["acl"] = " ".join(sorted(aces, key=lambda s: s.encode()))
    out.append(json.dumps(o, ensure_ascii=False, separators=(",", ":")))
for line in sorted(out, key=lambda s: s.encode()):
    print(line)
' "$1"
}
# The sorted manifest lines are compared byte for byte: keep the C collation.
LC_ALL=C
export LC_ALL

# the manifest writer's own spelling must survive the round trip through json.dumps
msm store manifest --sample 2 --seed $SEED --from ims-5.2 | sort >"$TMP/probe.a"
: >"$TMP/empty.map"
rename_manifest "$TMP/empty.map" <"$TMP/probe.a" >"$TMP/probe.b"
check "the test's manifest rewriter reproduces manifests exactly" cmp "$TMP/probe.a" "$TMP/probe.b"

# migrate VERSION QUEUE: steps 1-5 for one version (QUEUE=yes when the chain converts queues)
migrate() {
    v=$1 q=$2 d="$TMP/$1"
    mkdir -p "$d"
    msm sample $REAL --version "$v" --users $USERS --seed $SEED --json "$d/src" >"$d/sample.json" 2>"$d/sample.err"
    check "$v: sample store and queue written through the version's codecs" \
        jq -e '.kinds.store.written and .kinds.store.items > 0 and .kinds.queue.written' "$d/sample.json"
    cp -a "$d/src" "$d/src.orig"
    make_target_8x "$d/tgt"
    kinds=config,store opts=""
    if [ "$q" = yes ]; then kinds=config,store,queue opts=--migrate-queues
    else opts="--override queues-empty"; fi
    profile=""
    [ "$v" = sims-4.0 ] && profile="--profile $TMP/rename.profile"
    expect_exit 0 "$v -> ms-8.1 in one run through the real plugins (--only $kinds)" \
        msm run $REAL $profile --source "$d/src" --target "$d/tgt" --from "$v" --to 8.1 \
        --only $kinds $opts $CONFIRM --json --no-progress
    cp "$TMP/out" "$d/run.json"
    check "$v: the run is one chain to ms-8.1" jq -e '.to == "ms-8.1" and (.path | endswith("ms-7.0 -> ms-8.1"))' "$d/run.json"
    check "$v: every store folder done and verified, none failed or skipped" \
        jq -e '.kinds.store.done > 0 and .kinds.store.failed == 0 and .kinds.store.skipped == 0 and .kinds.store.verified == .kinds.store.done' \
        "$d/run.json"
    check "$v: every configuration item done and verified" \
        jq -e '.kinds.config.failed == 0 and .kinds.config.verified == .kinds.config.done' "$d/run.json"
    if [ "$q" = yes ]; then
        check "$v: every queued message converted and verified" \
            jq -e '.kinds.queue.done > 0 and .kinds.queue.failed == 0 and .kinds.queue.verified == .kinds.queue.done' \
            "$d/run.json"
    fi
    check "$v: the directory stays pending (not run)" jq -e '.kinds.directory.ran == false' "$d/run.json"
    check "$v: the store is written by the ms-8.1 classic-store codec" \
        jq -e '[.preflight[] | select(.id == "codec-store") | .detail | test("written with classic-store")] | any' \
        "$d/run.json"
    check "$v: source untouched" diff -r "$d/src" "$d/src.orig"
    rm -rf "$d/src.orig"
    run=$(jq -r .run_id "$d/run.json")
    expect_exit 0 "$v: msmigrate verify $run is clean" msm verify $REAL $profile --target "$d/tgt" "$run"
    contains "$TMP/out" "0 missing, 0 differ" "$v: verify re-read every item"
    contains "$TMP/out" "store     $(jq .kinds.store.done "$d/run.json") done" \
        "$v: verify counts the folders the run wrote (renamed ones once)"

    # 4. the source through its codec against the 8.1 target
    msm store manifest $REAL "$d/src" --from "$v" | sort >"$d/src.jsonl"
    msm store manifest $REAL "$d/tgt" --from ms-8.1 | sort >"$d/tgt.jsonl"
    msm store manifest $REAL --sample $USERS --seed $SEED --from "$v" | sort >"$d/model.jsonl"
    check "$v: the source store reads as the sample model" cmp "$d/model.jsonl" "$d/src.jsonl"
    if [ "$v" = sims-4.0 ]; then
        rename_manifest "$TMP/rename.map" <"$d/model.jsonl" >"$d/expect.jsonl"
        expect_exit 2 "$v: store verify source vs target reports the renamed owners" \
            msm store verify $REAL "$d/src" "$d/tgt" --a-version "$v" --b-version ms-8.1
        # every difference is a folder/owner of a renamed user on one side only,
        # or the ACL of another user's folder granting rights to a renamed user
        ndiff=$(grep -c ': .*only in [AB]$' "$TMP/out")
        nacl=$(grep -c ': ACL differs: ' "$TMP/out")
        other=$(grep -v 'difference(s)$' "$TMP/out" | grep -v ': ACL differs: ' | grep -cv ': .*only in [AB]$')
        acls=$(python3 -c '
import json, sys
ren = dict(r.split("=") for r in sys.argv[2].split())
print(sum(1 for line in open(sys.argv[1])
          for o in [json.loads(line)]
          if o["type"] == "folder" and o["owner"] not in ren
          and any(a.rsplit("=", 1)[0] in ren for a in o["acl"].split(" ") if a)))' "$d/model.jsonl" "$RENAMES")
        renamed=$(python3 -c '
import json, sys
ren = dict(r.split("=") for r in sys.argv[2].split())
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["owner"] in ren:
        # a folder: only in A under the old name, only in B under the new one;
        # an owner: "only in A" under the old name, "only in B" under the new one
        n += {"folder": 2, "owner": 2}.get(o["type"], 0)
print(n)' "$d/model.jsonl" "$RENAMES")
        if [ "$other" -eq 0 ] && [ "$ndiff" -eq "$renamed" ] && [ "$nacl" -eq "$acls" ] && [ "$acls" -gt 0 ]; then
            ok "$v: the only differences are the renamed users' $renamed owner/folder lines and $acls ACL(s) naming them"
        else
            not_ok "$v: store verify differences: $ndiff only-in lines (wanted $renamed), $nacl ACLs (wanted $acls), $other others"
            grep -v 'only in [AB]$' "$TMP/out" | head -5 | sed 's/^/    | /'
        fi
        for r in $RENAMES; do
            contains "$TMP/out" "user/${r#*=}/INBOX: folder only in B" "$v: ${r%%=*} is ${r#*=} in the target"
        done
        check "$v: rights granted to a renamed user follow it (mdubois/R&D)" \
            grep -q '"owner":"mdubois","folder":"R&D".*"acl":"Jensen=' "$d/tgt.jsonl"
    else
        cp "$d/model.jsonl" "$d/expect.jsonl"
        expect_exit 0 "$v: store verify of the source ($v codec) vs the ms-8.1 target is clean" \
            msm store verify $REAL "$d/src" "$d/tgt" --a-version "$v" --b-version ms-8.1
        contains "$TMP/out" " 0 difference(s)" "$v: store verify counts 0 differences"
    fi
    if cmp -s "$d/expect.jsonl" "$d/tgt.jsonl"; then
        ok "$v: the ms-8.1 store equals the model, message for message (bytes, flags, keywords, dates, UIDs, quotas, ACLs)"
    else
        not_ok "$v: the ms-8.1 store differs from the model"
        diff "$d/expect.jsonl" "$d/tgt.jsonl" | head -6 | cut -c1-200 | sed 's/^/    | /'
    fi

    # 5. out to Maildir++, served by Dovecot
    expect_exit 0 "$v: store export of the ms-8.1 result to Maildir++" \
        msm store export $REAL "$d/tgt" --from ms-8.1 --to-maildir "$d/md"
    msm store manifest "$d/md" --from maildir | sort >"$d/md.jsonl"
    check "$v: the Maildir export equals the expected manifest" cmp "$d/expect.jsonl" "$d/md.jsonl"
    if dovecot_start "$d/md" $(ls "$d/md"); then
        if python3 "$IMAPC" "$DOVECOT_PORT" "$d/expect.jsonl" >"$d/imap.out" 2>&1; then
            ok "$v: Dovecot serves the migrated store message for message ($(tail -1 "$d/imap.out"))"
        else
            not_ok "$v: Dovecot differs from the model"
            grep '^not ok' "$d/imap.out" | head -5 | cut -c1-200 | sed 's/^/    | /'
        fi
        dovecot_stop
    else
        not_ok "$v: dovecot started"
    fi
}

# one version per store generation and per chain: SIMS (sims40 codec + rename),
# NMS 3.x (nms3x codec -> NMS 4.x store model), NMS 4.0 and 4.1, iMS 5.2 classic
migrate sims-4.0 yes
migrate nms-3.x yes
migrate nms-4.0 yes
migrate nms-4.1 yes
migrate ims-5.2 no

# 6. SIGKILL at a random point, resume with --break-lock
K="$TMP/kill"
mkdir -p "$K"
msm sample $REAL --version sims-4.0 --users 60 --seed 3 "$K/src" >/dev/null 2>&1
RUNARGS="--source $K/src --from sims-4.0 --to 8.1 --only config,store,queue --migrate-queues $CONFIRM --no-progress -j 1"
make_target_8x "$K/whole"
t0=$(date +%s.%N)
expect_exit 0 "an uninterrupted run of 60 users (the reference)" \
    msm run $REAL --profile "$TMP/rename.profile" $RUNARGS --target "$K/whole"
t1=$(date +%s.%N)
# A random point of the run; when the run was quicker than the delay (a loaded
# machine times the reference slowly), try again on a fresh target with a shorter one.
killed=no attempt=0
while [ $killed = no ] && [ $attempt -lt 5 ]; do
    attempt=$((attempt + 1))
    delay=$(python3 -c "import random; print('%.3f' % random.uniform(0.02, max(0.05, 0.8 * ($t1 - $t0) / $attempt)))")
    rm -rf "$K/tgt"
    make_target_8x "$K/tgt"
    # (not through the msm function: $! must be msmigrate itself; the libtool wrapper execs it)
    "$MSMIGRATE" run $REAL --profile "$TMP/rename.profile" $RUNARGS --target "$K/tgt" >"$K/killed.out" 2>&1 &
    pid=$!
    sleep "$delay"
    kill -KILL $pid 2>/dev/null
    wait $pid
    [ $? -eq 137 ] && killed=yes
done
run=$(ls "$K/tgt/.msmigrate/runs" 2>/dev/null | head -1)
echo "# attempt $attempt: SIGKILL after ${delay}s (reference run $(python3 -c "print('%.2f' % ($t1 - $t0))")s): killed=$killed, run ${run:-not yet created}"
check "the run was killed by SIGKILL before it finished" test $killed = yes
if [ -n "$run" ]; then
    expect_exit 1 "resuming without --break-lock is refused while the dead run's lock is there" \
        msm run $REAL --profile "$TMP/rename.profile" $RUNARGS --target "$K/tgt" --resume "$run"
    contains "$TMP/err" "--break-lock" "the refusal names --break-lock"
    expect_exit 0 "the killed run resumes with --resume --break-lock and finishes" \
        msm run $REAL --profile "$TMP/rename.profile" $RUNARGS --target "$K/tgt" --resume "$run" --break-lock
    grep '^  store' "$TMP/out" | sed 's/^/    /'
else
    # killed before the run had a work directory: nothing to resume, a new run starts
    expect_exit 0 "killed before the run existed: a new run finishes" \
        msm run $REAL --profile "$TMP/rename.profile" $RUNARGS --target "$K/tgt" --break-lock
    run=$(ls "$K/tgt/.msmigrate/runs" | head -1)
fi
expect_exit 0 "verify of the resumed run is clean" msm verify $REAL --target "$K/tgt" "$run"
contains "$TMP/out" "0 missing, 0 differ" "verify re-read every item of the resumed run"
msm store manifest $REAL "$K/whole" --from ms-8.1 | sort >"$K/whole.jsonl"
msm store manifest $REAL "$K/tgt" --from ms-8.1 | sort >"$K/tgt.jsonl"
check "the resumed store equals the uninterrupted run's (nothing lost, nothing duplicated)" \
    cmp "$K/whole.jsonl" "$K/tgt.jsonl"
qsum() { (cd "$1/data/queue" && find . -type f -print0 | xargs -0 -r sha256sum | awk '{print $1}' | sort); }
qsum "$K/whole" >"$K/whole.q"; qsum "$K/tgt" >"$K/tgt.q"
check "the resumed queue holds the same messages as the uninterrupted run's ($(wc -l <"$K/tgt.q") files)" \
    sh -c "[ -s '$K/tgt.q' ] && cmp '$K/whole.q' '$K/tgt.q'"
msm store manifest $REAL --sample 60 --seed 3 --from sims-4.0 | sort | rename_manifest "$TMP/rename.map" >"$K/expect.jsonl"
check "the resumed store equals the model with the renames applied" cmp "$K/expect.jsonl" "$K/tgt.jsonl"
# store verify names an owner A has and B lacks entirely (not only its folders)
msm sample --version ims-5.2 --users 3 "$TMP/sv-a" >/dev/null 2>&1
msm sample --version ims-5.2 --users 2 "$TMP/sv-b" >/dev/null 2>&1
expect_exit 2 "store verify: a store with one user more differs" \
    msm store verify "$TMP/sv-a" "$TMP/sv-b" --a-version ims-5.2 --b-version ims-5.2
check "store verify names the owner only in A" grep -q '^user/[^/]*: only in A$' "$TMP/out"
finish
