#!/bin/bash
# The directory step of `msmigrate run` (issue 4) against a real slapd
# (lib-slapd.sh): a `msmigrate sample` tree of sims-4.0 and of nms-4.1 loaded into
# slapd, then `msmigrate run --only config,directory` to ims-5.2 through the REAL
# adapter plugins of the build tree. Preview (the default) changes nothing and its
# migrated LDIF equals the offline mapping (`msmigrate directory migrate
# --offline`); apply makes slapcat equal to that mapping; `msmigrate rollback`
# restores slapcat exactly; the offline mode (no uri) installs and rolls back the
# target's ldap/directory.ldif; nms-3.x goes through nms3x and nms4x; runs killed
# with SIGKILL half way (offline, and applying to slapd) resume with every entry
# written and applied once; the password never reaches an artifact.
# Format: docs/formats/directory-run.md.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"
. "$MSM_TOP_SRCDIR/tests/integration/lib-slapd.sh"

REAL="--no-default-plugin-dir"
for p in sims40 nms3x nms4x ims52 ms60 ms62 ms7x-8x; do
    REAL="$REAL --plugin-dir $MSM_TOP_BUILDDIR/plugins/$p"
done
CONFIRM="--confirm direct-ldap --confirm clean-shutdown --override queues-empty"

snap() { # snap OUT: slapcat_norm, retried (slapcat can fail transiently under load)
    local i
    for i in 1 2 3; do slapcat_norm "$1" && return 0; sleep 1; done
    return 1
}
same() { # same A B "description"
    if diff -u "$1" "$2" >"$TMP/diff" 2>&1; then ok "$3"; else
        not_ok "$3"; head -30 "$TMP/diff" | sed 's/^/    | /'
    fi
}
differ() { if cmp -s "$1" "$2"; then not_ok "$3"; else ok "$3"; fi; }
new_target() { mkdir -p "$1/msg-mail/imta"; } # an installed (empty) iMS 5.2
profile() { # profile FILE BASE APPLY: the site profile naming the slapd
    cat >"$1" <<EOF
[directory]
uri = $SLAPD_URI
base_dn = $2
bind_dn = $SLAPD_ROOTDN
password_file = $SLAPD_PWFILE
mailhost = mail2.siroe.com
apply = $3
EOF
}
art() { echo "$1/.msmigrate/runs/$2/artifacts/directory/$3"; }
mig_run() { # mig_run CODE "description" VERSION SRC TGT PROFILE [more...]
    local code=$1 what=$2 v=$3 src=$4 tgt=$5 prof=$6
    shift 6
    expect_exit "$code" "$what" msm run $REAL --profile "$prof" --source "$src" --target "$tgt" \
        --from "$v" --to ims-5.2 --only config,directory $CONFIRM --json --no-progress "$@"
}

# one_tree NAME VERSION MAPPING BASE CLASS
one_tree() {
    local name=$1 v=$2 map=$3 base=$4 class=$5 d=$TMP/$1 rid
    slapd_stop
    slapd_start "$d/slapd" >/dev/null || { not_ok "$name: slapd starts"; return; }
    msm sample --no-default-plugin-dir --version "$v" --users 10 --seed 6 "$d/src" >/dev/null ||
        { not_ok "$name: sample"; return; }
    cp -a "$d/src" "$d/src.orig"
    check "$name: the sample tree loads into slapd" slapd_load "$d/src/ldap/directory.ldif"
    snap "$d/before"
    check "$name: slapcat has the tree" grep -q "^dn: " "$d/before"
    local n
    n=$(grep -c '^dn:' "$d/src/ldap/directory.ldif")

    # the reference: the offline mapping of the same export
    expect_exit 0 "$name: offline mapping (reference)" msm directory migrate --json -M "$map" \
        --mailhost mail2.siroe.com --offline "$d/src/ldap/directory.ldif" --target "$d/ref"
    ldif_norm "$(jq -r .out_ldif "$TMP/out")" "$d/ref.norm"
    local changed
    changed=$(jq -r .changed "$TMP/out")
    check "$name: the mapping changes entries" test "$changed" -gt 0

    # preview (the default): nothing changes on the server
    profile "$d/preview.profile" "$base" false
    new_target "$d/tgt-preview"
    mig_run 0 "$name: run, preview" "$v" "$d/src" "$d/tgt-preview" "$d/preview.profile"
    cp "$TMP/out" "$d/preview.json"
    check "$name: preview: every entry done and verified" jq -e --argjson n "$n" \
        '.kinds.directory.done == $n and .kinds.directory.verified == $n and .kinds.directory.failed == 0' \
        "$d/preview.json"
    check "$name: preview: configuration migrated too" jq -e '.kinds.config.done > 0' "$d/preview.json"
    rid=$(jq -r .run_id "$d/preview.json")
    snap "$d/after-preview"
    same "$d/before" "$d/after-preview" "$name: preview changed nothing on the server"
    check "$name: preview: one modify per changed entry" \
        test "$(grep -c '^changetype: modify' "$(art "$d/tgt-preview" "$rid" audit.ldif)")" -eq "$changed"
    ldif_norm "$(art "$d/tgt-preview" "$rid" migrated.ldif)" "$d/preview.norm"
    same "$d/ref.norm" "$d/preview.norm" "$name: preview's migrated LDIF = the offline mapping"
    check "$name: preview sends nothing, so keeps no rejects file" \
        test ! -e "$(art "$d/tgt-preview" "$rid" rejects.ldif)"
    check "$name: the source is untouched" diff -r "$d/src" "$d/src.orig"

    # apply
    profile "$d/apply.profile" "$base" true
    new_target "$d/tgt"
    cp -a "$d/tgt" "$d/tgt.before"
    mig_run 0 "$name: run, apply" "$v" "$d/src" "$d/tgt" "$d/apply.profile"
    cp "$TMP/out" "$d/apply.json"
    check "$name: apply: every entry done, verified against the server" jq -e --argjson n "$n" \
        '.exit_code == 0 and .kinds.directory.done == $n and .kinds.directory.verified == $n' \
        "$d/apply.json"
    rid=$(jq -r .run_id "$d/apply.json")
    snap "$d/applied"
    differ "$d/before" "$d/applied" "$name: apply changed the directory"
    same "$d/ref.norm" "$d/applied" "$name: slapcat after apply = the offline mapping"
    check "$name: entries carry $class" grep -qi "^objectclass: $class\$" "$d/applied"
    check "$name: the undo LDIF has a record per modify" test \
        "$(grep -c '^changetype: modify' "$(art "$d/tgt" "$rid" undo.ldif)")" -eq "$changed"
    check "$name: no modify was refused" sh -c "! grep -q '^dn' '$(art "$d/tgt" "$rid" rejects.ldif)'"
    expect_exit 0 "$name: msmigrate verify of the applied run" msm verify $REAL --target "$d/tgt" "$rid"
    if grep -rqF -- "$(cat "$SLAPD_PWFILE")" "$d/tgt" "$d/tgt-preview" "$d/apply.json"; then
        not_ok "$name: the password appears in no artifact, journal or report"
    else ok "$name: the password appears in no artifact, journal or report"; fi

    # rollback: slapcat identical to before
    expect_exit 0 "$name: msmigrate rollback $rid" msm rollback $REAL --target "$d/tgt" "$rid"
    snap "$d/rolled-back"
    same "$d/before" "$d/rolled-back" "$name: rollback restores slapcat exactly"
    check "$name: rollback restores the target (its configuration files) byte for byte" \
        diff -r --exclude=.msmigrate "$d/tgt.before" "$d/tgt"
    expect_exit 0 "$name: rollback again (idempotent)" msm rollback $REAL --target "$d/tgt" "$rid"
    snap "$d/rolled-back2"
    same "$d/before" "$d/rolled-back2" "$name: a second rollback changes nothing"

    # offline (no uri): the target's ldap/directory.ldif, rolled back by removal
    printf '[directory]\nmailhost = mail2.siroe.com\n' >"$d/offline.profile"
    new_target "$d/tgt-off"
    mig_run 0 "$name: run, offline" "$v" "$d/src" "$d/tgt-off" "$d/offline.profile"
    rid=$(jq -r .run_id "$TMP/out")
    ldif_norm "$d/tgt-off/ldap/directory.ldif" "$d/off.norm"
    same "$d/ref.norm" "$d/off.norm" "$name: offline: the target's LDIF = the offline mapping"
    expect_exit 0 "$name: offline rollback" msm rollback $REAL --target "$d/tgt-off" "$rid"
    check "$name: offline rollback removes the LDIF the run created" test ! -e "$d/tgt-off/ldap/directory.ldif"
}

one_tree sims sims-4.0 sims o=internet inetMailUser
one_tree nms nms-4.1 nms o=siroe.com inetMailUser

# nms-3.x -> nms-4.1 -> ims-5.2 (nms3x then nms4x, each -M nms), offline: the same
# as one mapping (the mapping is idempotent)
d=$TMP/nms3
msm sample --no-default-plugin-dir --version nms-3.x --users 6 --seed 4 "$d/src" >/dev/null
new_target "$d/tgt"
printf '[directory]\nmailhost = mail2.siroe.com\n' >"$d/p"
mig_run 0 "nms-3.x: run through nms3x and nms4x, offline" nms-3.x "$d/src" "$d/tgt" "$d/p"
check "nms-3.x: the path has both hops and every entry verified" jq -e \
    '(.path | test("nms-3.x -> nms-4.1 -> ims-5.2")) and .kinds.directory.done > 0 and .kinds.directory.verified == .kinds.directory.done' "$TMP/out"
expect_exit 0 "nms-3.x: offline mapping (reference)" msm directory migrate --json -M nms \
    --mailhost mail2.siroe.com --offline "$d/src/ldap/directory.ldif" --target "$d/ref"
ldif_norm "$(jq -r .out_ldif "$TMP/out")" "$d/ref.norm"
ldif_norm "$d/tgt/ldap/directory.ldif" "$d/tgt.norm"
same "$d/ref.norm" "$d/tgt.norm" "nms-3.x: the target's LDIF = the offline mapping"

# an existing target LDIF is kept by the offline writer and restored byte for byte
d=$TMP/sims
new_target "$d/tgt-keep"
mkdir -p "$d/tgt-keep/ldap"
printf 'version: 1\n\ndn: o=old\nobjectClass: organization\no: old\n' >"$d/tgt-keep/ldap/directory.ldif"
cp "$d/tgt-keep/ldap/directory.ldif" "$d/keep.orig"
mig_run 0 "offline run over an existing target LDIF" sims-4.0 "$d/src" "$d/tgt-keep" "$d/offline.profile"
rid=$(jq -r .run_id "$TMP/out")
differ "$d/keep.orig" "$d/tgt-keep/ldap/directory.ldif" "the target LDIF was replaced"
expect_exit 0 "rollback of that run" msm rollback $REAL --target "$d/tgt-keep" "$rid"
check "the replaced target LDIF is back byte for byte" cmp "$d/keep.orig" "$d/tgt-keep/ldap/directory.ldif"

# resume: a run killed with SIGKILL in the middle of the directory resumes with
# every entry written exactly once (a put the journal did not record yet is put
# again and replaces itself) and the same migrated LDIF as an uninterrupted run
msm sample --no-default-plugin-dir --version sims-4.0 --users 3000 --seed 8 "$TMP/big" >/dev/null
new_target "$TMP/big-tgt"
"$MSMIGRATE" run $REAL --profile "$d/offline.profile" --source "$TMP/big" --target "$TMP/big-tgt" \
    --from sims-4.0 --to ims-5.2 --only directory $CONFIRM --no-progress -q >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 200); do
    m=$(ls "$TMP"/big-tgt/.msmigrate/runs/*/artifacts/directory/migrated.ldif 2>/dev/null | head -1)
    [ -n "$m" ] && [ "$(grep -c '^dn:' "$m")" -gt 200 ] && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rid=$(basename "$(ls -d "$TMP"/big-tgt/.msmigrate/runs/* | head -1)")
killed_at=$(grep -c '^dn:' "$(art "$TMP/big-tgt" "$rid" migrated.ldif)")
check "the killed run had written part of the directory ($killed_at entries)" test "$killed_at" -gt 0
expect_exit 0 "the killed run resumes" msm run $REAL --profile "$d/offline.profile" \
    --resume "$rid" --target "$TMP/big-tgt" --break-lock --json --no-progress
total=$(grep -c '^dn:' "$TMP/big/ldap/directory.ldif")
mig=$(art "$TMP/big-tgt" "$rid" migrated.ldif)
check "after the resume every entry is written once ($total)" test \
    "$(grep '^dn:' "$mig" | sort -u | wc -l)" -eq "$total" -a "$(grep -c '^dn:' "$mig")" -eq "$total"
aud=$(art "$TMP/big-tgt" "$rid" audit.ldif)
check "and every audit record once" test "$(grep '^dn:' "$aud" | sort | uniq -d | wc -l)" -eq 0
expect_exit 0 "offline mapping of the big tree" msm directory migrate --json -M sims \
    --mailhost mail2.siroe.com --offline "$TMP/big/ldap/directory.ldif" --target "$TMP/big-ref"
ldif_norm "$(jq -r .out_ldif "$TMP/out")" "$TMP/big-ref.norm"
ldif_norm "$TMP/big-tgt/ldap/directory.ldif" "$TMP/big-res.norm"
same "$TMP/big-ref.norm" "$TMP/big-res.norm" "the resumed run's target LDIF = the offline mapping"

# the same against the server: an apply killed with SIGKILL half way resumes; every
# modify is applied (the one in flight again: replaces are idempotent), slapcat ends
# equal to the offline mapping and the rollback restores it exactly
slapd_stop
slapd_start "$TMP/big-slapd" >/dev/null || not_ok "big: slapd starts"
check "big: the 3000-user tree loads into slapd" slapd_load "$TMP/big/ldap/directory.ldif"
snap "$TMP/big.before"
profile "$TMP/big.profile" o=internet true
new_target "$TMP/big-on"
"$MSMIGRATE" run $REAL --profile "$TMP/big.profile" --source "$TMP/big" --target "$TMP/big-on" \
    --from sims-4.0 --to ims-5.2 --only directory $CONFIRM --no-progress -q >/dev/null 2>&1 &
pid=$!
for i in $(seq 1 400); do
    m=$(ls "$TMP"/big-on/.msmigrate/runs/*/artifacts/directory/audit.ldif 2>/dev/null | head -1)
    [ -n "$m" ] && [ "$(grep -c '^dn:' "$m")" -gt 100 ] && break
    sleep 0.05
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rid=$(basename "$(ls -d "$TMP"/big-on/.msmigrate/runs/* | head -1)")
killed_at=$(grep -c '^dn:' "$(art "$TMP/big-on" "$rid" audit.ldif)")
check "big: the killed apply had sent part of the modifies ($killed_at)" test "$killed_at" -gt 0
expect_exit 0 "big: the killed apply resumes" msm run $REAL --profile "$TMP/big.profile" \
    --resume "$rid" --target "$TMP/big-on" --break-lock --json --no-progress
check "big: the resume verified every entry against the server" \
    jq -e '.exit_code == 0 and .kinds.directory.verified > 4000 and .kinds.directory.verify_differs == 0' "$TMP/out"
snap "$TMP/big.applied"
same "$TMP/big-ref.norm" "$TMP/big.applied" "big: slapcat after the resumed apply = the offline mapping"
aud=$(art "$TMP/big-on" "$rid" undo.ldif)
check "big: one undo record per modify" test "$(grep '^dn:' "$aud" | sort | uniq -d | wc -l)" -eq 0
expect_exit 0 "big: rollback" msm rollback $REAL --target "$TMP/big-on" "$rid"
snap "$TMP/big.rolled-back"
same "$TMP/big.before" "$TMP/big.rolled-back" "big: rollback restores slapcat exactly"

# the whole chain on to ms-8.1, the 6.x -> 6.3 hop applying its ugdir_diff.ldif
mkdir -p "$TMP/t81/config" "$TMP/t81/data"
echo "# defaults" >"$TMP/t81/config/msg.conf.defaults"
expect_exit 0 "sims-4.0 -> ms-8.1 configuration and directory in one run" \
    msm run $REAL --profile "$d/offline.profile" --source "$d/src" --target "$TMP/t81" \
    --from sims-4.0 --to 8.1 --only config,directory $CONFIRM --no-progress
rid81=$(sed -n 's/^Run \([^ ]*\)$/\1/p' "$TMP/out" | head -1)
expect_exit 0 "verify of the sims-4.0 -> ms-8.1 run" msm verify $REAL --target "$TMP/t81" "$rid81"

# ms-6.0 -> ms-6.3: the directory step applies the ugdir_diff.ldif of the
# configuration step (seed 001) to the entry it names
msm sample --version ms-6.0 --users 4 "$TMP/s60" >/dev/null 2>&1
mkdir -p "$TMP/t63/config" && echo "# defaults" >"$TMP/t63/config/msg.conf.defaults"
expect_exit 0 "ms-6.0 -> ms-6.3 configuration and directory" msm run $REAL --source "$TMP/s60" \
    --from 6.0 --target "$TMP/t63" --to 6.3 --only config,directory --no-progress
rid63=$(sed -n 's/^Run \([^ ]*\)$/\1/p' "$TMP/out" | head -1)
A63="$TMP/t63/.msmigrate/runs/$rid63/artifacts"
ugdn=$(sed -n 's/^dn: //p' "$A63/ms-6.0-to-ms-6.3/ugdir_diff.ldif" | head -1)
check "the hop wrote a ugdir_diff.ldif record" test -n "$ugdn"
check "the audit LDIF modifies the entry ugdir_diff.ldif names" grep -qx "dn: $ugdn" "$A63/directory/audit.ldif"
check "... adding sunManagedOrganization" grep -q '^objectClass: sunManagedOrganization' "$A63/directory/audit.ldif"
check "the migrated LDIF carries it" grep -q '^objectClass: sunManagedOrganization' "$A63/directory/migrated.ldif"
mkdir -p "$TMP/t63b/config" && echo "# defaults" >"$TMP/t63b/config/msg.conf.defaults"
expect_exit 1 "the directory alone (no configuration step, so no ugdir_diff.ldif) fails" \
    msm run $REAL --source "$TMP/s60" --from 6.0 --target "$TMP/t63b" --to 6.3 --only directory \
    --no-progress
cat "$TMP/out" "$TMP/err" >"$TMP/both"
contains "$TMP/both" "(--only config,directory)" "... saying to run both kinds together"

finish
