#!/bin/sh
# The real version adapters (plugins/sims40 ... plugins/ms7x-8x), configuration only:
# `msmigrate sample` of ims-5.2, sims-4.0, nms-3.x, nms-4.1 and ms-6.0, each migrated
# to ms-8.1 in one `msmigrate run --only config` through the build tree's plugins;
# the target's files parse, carry the migrated values, and each hop's artifacts
# exist. A 5.2 -> 6.0 run twice against one target is refused unless --force; a store-only
# run after a config-only run of the same hop is not a repetition.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

REAL="--no-default-plugin-dir"
for p in sims40 nms3x nms4x ims52 ms60 ms62 ms7x-8x; do
    REAL="$REAL --plugin-dir $MSM_TOP_BUILDDIR/plugins/$p"
done
CONFIRM="--confirm direct-ldap --confirm clean-shutdown --override queues-empty"

# value FILE KEY: the configutil value of KEY in FILE (quotes removed)
value() { sed -n "s/^$2 = \"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$1" | head -1; }
has_value() { # has_value FILE KEY VALUE "description"
    if [ "$(value "$1" "$2")" = "$3" ]; then ok "$4"; else
        not_ok "$4 ($2 is \"$(value "$1" "$2")\", wanted \"$3\")"; fi
}

expect_exit 0 "plan 5.2 -> 8.1 through the real adapters" msm plan $REAL --from 5.2 --to 8.1
contains "$TMP/out" "ims-5.2 -> ms-6.0 -> ms-6.3 -> ms-7.0 -> ms-8.1" "the planner finds the chain"
lacks "$TMP/out" "NOT YET SUPPORTED" "no kind of the chain is pending any more"

migrate() { # migrate VERSION: sample, run to 8.1, check what every run must give
    v=$1
    msm sample --no-default-plugin-dir --version "$v" --users 4 --seed 7 "$TMP/$v/src" >/dev/null
    mkdir -p "$TMP/$v/tgt/config" "$TMP/$v/tgt/data"
    echo "# installed 8.1 defaults" >"$TMP/$v/tgt/config/msg.conf.defaults"
    cp -a "$TMP/$v/src" "$TMP/$v/src.orig"
    expect_exit 0 "$v -> ms-8.1, configuration only, in one run" \
        msm run $REAL --source "$TMP/$v/src" --target "$TMP/$v/tgt" --from "$v" --to 8.1 \
        --only config $CONFIRM --json --no-progress
    cp "$TMP/out" "$TMP/$v/run.json"
    check "$v: every configuration item done and verified" \
        jq -e '.exit_code == 0 and .kinds.config.failed == 0 and .kinds.config.verified == .kinds.config.done' \
        "$TMP/$v/run.json"
    check "$v: source untouched" diff -r "$TMP/$v/src" "$TMP/$v/src.orig"
    T="$TMP/$v/tgt/config"
    A=$(ls -d "$TMP/$v/tgt/.msmigrate/runs"/*/artifacts)
    # every target file parses: merging the target with itself reads each one
    expect_exit 0 "$v: every file of the 8.1 configuration parses" \
        msm config merge --old "$TMP/$v/tgt" --from 8.1 --new "$TMP/$v/tgt" --to 8.1 \
        --out "$TMP/$v/selfmerge" --json
    check "$v: no file refused by a parser" jq -e '([.not_merged[] | select(.error == true)] | length == 0) and (.files | length >= 12)' "$TMP/out"
    check "$v: imta_tailor moved to msg_svr_base of 8.x" grep -qx 'IMTA_ROOT=/opt/sun/comms/messaging64/' "$T/imta_tailor"
    check "$v: job controller on TCP with pools" sh -c "grep -q '^tcp_port=' '$T/job_controller.cnf' && grep -q '^\[POOL=DEFAULT\]' '$T/job_controller.cnf'"
    check "$v: msg.conf.defaults is 8.1's" grep -q 'logfile.mmp.loglevel' "$T/msg.conf.defaults"
    check "$v: msg.conf holds only overrides" sh -c "! grep -q '^service.pop.port' '$T/msg.conf'"
    check "$v: the 6.3 -> 7.0 artifacts" test -f "$A/ms-6.3-to-ms-7.0/imta.cnf.CHANGES"
    check "$v: ugdir_diff.ldif of the 6.x -> 6.3 hop" test -f "$A/ms-6.0-to-ms-6.3/ugdir_diff.ldif"
    check "$v: a SUMMARY per hop" sh -c "[ \$(ls '$A'/*/SUMMARY | wc -l) -ge 3 ]"
}

migrate ims-5.2
mkdir -p "$TMP/full/config" "$TMP/full/data" && echo "# defaults" >"$TMP/full/config/msg.conf.defaults"
expect_exit 0 "a run of every kind, 5.2 -> 8.1 in one run" \
    msm run $REAL --source "$TMP/ims-5.2/src" --target "$TMP/full" --from 5.2 --to 8.1 $CONFIRM
contains "$TMP/out" "verify: " "the run verified what it wrote"
T="$TMP/ims-5.2/tgt/config"; A=$(ls -d "$TMP/ims-5.2/tgt/.msmigrate/runs"/*/artifacts)
for f in job_controller.cnf dispatcher.cnf imta_tailor option.dat backup-groups.conf imta.cnf; do
    check "5.2: seed 000 table: $f.MERGED and .CHANGES" test -f "$A/ims-5.2-to-ms-6.0/$f.MERGED" -a -f "$A/ims-5.2-to-ms-6.0/$f.CHANGES"
done
for f in conversions aliases mappings internet.rules tcp_local_option; do
    check "5.2: seed 000 table: $f.MERGED only" test -f "$A/ims-5.2-to-ms-6.0/$f.MERGED" -a ! -f "$A/ims-5.2-to-ms-6.0/$f.CHANGES"
done
check "5.2: msg.conf gets CHANGES only" test -f "$A/ims-5.2-to-ms-6.0/msg.conf.CHANGES" -a ! -f "$A/ims-5.2-to-ms-6.0/msg.conf.MERGED"
contains "$A/ims-5.2-to-ms-6.0/cnbuild.log" "OK" "5.2: the merged MTA configuration passes the cnbuild check"
contains "$A/ims-5.2-to-ms-6.0/imta.cnf.CHANGES" 'key="tcp_lmtpcs"' "5.2: the LMTP channel is offered in CHANGES"
has_value "$T/msg.conf" service.imap.maxsessions 2000 "5.2: a site value survives four hops (kept-old)"
has_value "$T/msg.conf" local.instancedir /opt/sun/comms/messaging64 "5.2: local.instancedir rewritten"
has_value "$T/msg.conf" store.partition.primary.path /usr/iplanet/server5/msg-sample/store/partition/primary "5.2: the partition keeps its path (seed 000)"
has_value "$T/msg.conf" service.http.allowadminproxy yes "5.2: seed 001 post-upgrade proxy setting"
lacks "$A/ims-5.2-to-ms-6.0/msg.conf.CHANGES" "$(value "$TMP/ims-5.2/src/msg-sample/config/msg.conf" local.ugldapbindcred)" "5.2: the bind password is not in CHANGES"
check "5.2: imta.cnf keeps the site's channels" grep -q '^tcp_intranet smtp' "$T/imta.cnf"

migrate sims-4.0
T="$TMP/sims-4.0/tgt/config"; A=$(ls -d "$TMP/sims-4.0/tgt/.msmigrate/runs"/*/artifacts)
check "sims: [QUEUE=] became [POOL=]" sh -c "grep -q '^\[POOL=SINGLE_JOB\]' '$T/job_controller.cnf' && ! grep -q 'QUEUE=' '$T/job_controller.cnf'"
check "sims: udp_port became tcp_port" sh -c "! grep -q udp_port '$T/job_controller.cnf'"
check "sims: channel sims-ms became ims-ms" sh -c "grep -q '^ims-ms ' '$T/imta.cnf' && ! grep -q 'sims-ms' '$T/imta.cnf'"
has_value "$T/msg.conf" local.imta.schematag sims40,ims50 "sims: multi-schema schematag (seed 003)"
has_value "$T/msg.conf" local.imta.sims_migrate True "sims: local.imta.sims_migrate (seed 003)"
has_value "$T/msg.conf" local.ugldapdeforgdn dc=siroe,dc=com,o=internet "sims: default organization DN (seed 003)"
contains "$A/sims-4.0-to-ims-5.2/msg.conf.CHANGES" "never writes passwords" "sims: CHANGES says to set the bind password by hand"

migrate nms-3.x
T="$TMP/nms-3.x/tgt/config"; A=$(ls -d "$TMP/nms-3.x/tgt/.msmigrate/runs"/*/artifacts)
contains "$A/nms-3.x-to-nms-4.1/nsmsg.conf.CHANGES" "nsmsg.partition.primary" "nms 3.x: the 4.1 partition key"
has_value "$T/msg.conf" local.imta.schematag ims50,nms41 "nms 3.x: schematag ims50,nms41 (seed 003)"

migrate nms-4.1
T="$TMP/nms-4.1/tgt/config"
has_value "$T/msg.conf" local.service.pab.migrate415 1 "nms 4.1: local.service.pab.migrate415 (seed 003)"
has_value "$T/msg.conf" local.ugldapdeforgdn o=siroe.com "nms 4.1: deforgdn is the NMS organization"
for d in $(grep -v '^#' "$TMP/nms-4.1/src/msg-sample/config/localdomains"); do
    check "nms 4.1: local domain $d routed in imta.cnf" grep -q "^$d " "$T/imta.cnf"
done

migrate ms-6.0
# 6.0 keeps part of its parameters in the configuration directory, locally in local.conf
msm sample --no-default-plugin-dir --version 6.0 --users 2 --seed 3 "$TMP/lc/src" >/dev/null
echo 'store.quotaenforcement = "on"' >"$TMP/lc/src/config/local.conf"
mkdir -p "$TMP/lc/tgt/config" "$TMP/lc/tgt/data" && echo "# d" >"$TMP/lc/tgt/config/msg.conf.defaults"
expect_exit 0 "6.0 with local.conf -> 6.3" msm run $REAL --source "$TMP/lc/src" --target "$TMP/lc/tgt" \
    --from 6.0 --to 6.3 --only config $CONFIRM --no-progress
has_value "$TMP/lc/tgt/config/msg.conf" store.quotaenforcement on "6.0: local.conf's parameter moved into msg.conf"
has_value "$TMP/lc/tgt/config/msg.conf" service.imap.enable yes "6.0: IMAP enabled for webmail (seed 001)"

# the other hops of the design, one run each
for hop in "6.2 6.3 ms-6.2-to-ms-6.3/ugdir_diff.ldif" "6.2p3 6.3 ms-6.2p3-to-ms-6.3/msg.conf.CHANGES" \
    "6.1 6.3 ms-6.1-to-ms-6.3/SUMMARY" "nms-4.0 nms-4.1 nms-4.0-to-nms-4.1/nsmsg.conf.CHANGES" \
    "7.0 7u5 ms-7.0-to-ms-7.0.5/msg.conf.CHANGES" "8.0.2 8.1 ms-8.0.2-to-ms-8.1/imta.cnf.CHANGES"; do
    set -- $hop
    d="$TMP/hop-$1"
    msm sample --no-default-plugin-dir --version "$1" --users 2 --seed 5 "$d/src" >/dev/null
    mkdir -p "$d/tgt/config" "$d/tgt/data"
    case $2 in nms-4.1) mkdir -p "$d/tgt/msg-sample/config" && cp "$d/src/msg-sample/config/nsmsg.conf" "$d/tgt/msg-sample/config/" ;;
        6.3|7u5|8.1) echo "# d" >"$d/tgt/config/msg.conf.defaults" ;; esac
    expect_exit 0 "$1 -> $2 through the real adapter" msm run $REAL --source "$d/src" \
        --target "$d/tgt" --from "$1" --to "$2" --only config $CONFIRM --no-progress
    check "$1 -> $2: $3" sh -c "ls '$d/tgt/.msmigrate/runs'/*/artifacts/$3 ||
        ls '$d/tgt'/msg-*/.msmigrate/runs/*/artifacts/$3"
done

# 5.2 -> 6.0 twice against the same target is refused unless forced (seed 000)
msm sample --no-default-plugin-dir --version 5.2 --users 2 --seed 2 "$TMP/twice/src" >/dev/null
mkdir -p "$TMP/twice/tgt/config" "$TMP/twice/tgt/data"
echo '# installed 6.0' >"$TMP/twice/tgt/config/msg.conf"
expect_exit 0 "5.2 -> 6.0 once" msm run $REAL --source "$TMP/twice/src" --target "$TMP/twice/tgt" \
    --from 5.2 --to 6.0 --only config $CONFIRM --no-progress
check "6.0 target has the merged imta_tailor" grep -qx 'IMTA_ROOT=/opt/SUNWmsgsr/' "$TMP/twice/tgt/config/imta_tailor"
expect_exit 3 "5.2 -> 6.0 again is refused" msm run $REAL --source "$TMP/twice/src" \
    --target "$TMP/twice/tgt" --from 5.2 --to 6.0 --only config $CONFIRM --no-progress
contains "$TMP/out" "not-applied" "names the not-applied precondition"
expect_exit 0 "again with --force" msm run $REAL --source "$TMP/twice/src" --target "$TMP/twice/tgt" \
    --from 5.2 --to 6.0 --only config $CONFIRM --force --no-progress
# the history records kinds: the store of the same hop is not a repetition of its config
expect_exit 0 "5.2 -> 6.0 store after the config run needs no --force" msm run $REAL \
    --source "$TMP/twice/src" --target "$TMP/twice/tgt" --from 5.2 --to 6.0 --only store \
    $CONFIRM --confirm clean-shutdown --no-progress
contains "$TMP/out" "for config only" "the not-applied check says what the history records"
expect_exit 3 "5.2 -> 6.0 store again is refused" msm run $REAL --source "$TMP/twice/src" \
    --target "$TMP/twice/tgt" --from 5.2 --to 6.0 --only store $CONFIRM --confirm clean-shutdown \
    --no-progress
contains "$TMP/out" "for store" "names the kind already migrated"
finish
