#!/bin/bash
# msmigrate directory migrate|undo|import|find-stale against a real slapd
# (tests/integration/lib-slapd.sh): SIMS and NMS trees from `msmigrate sample`
# migrated to the iMS schema; preview changes nothing and its audit LDIF,
# applied with ldapmodify, gives the same directory as --apply; undo restores
# slapcat exactly; the password never shows in logs or artifacts (ps: see
# directory-live-resume.sh); -w is refused.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"
. "$MSM_TOP_SRCDIR/tests/integration/lib-slapd.sh"

T=$TMP/target
mkdir -p "$T"
run_id() { jq -r .run_id "$TMP/out"; }
# snap OUT: slapcat_norm, retried (slapcat can fail transiently on a loaded machine)
snap() {
    local i
    for i in 1 2 3; do
        slapcat_norm "$1" && return 0
        echo "slapcat failed (try $i):" >&2
        "$SLAPCAT_BIN" -f "$SLAPD_CONF" -b o=internet >/dev/null 2>>"$TMP/slapcat.err"; tail -3 "$TMP/slapcat.err" >&2
        sleep 1
    done
    return 1
}
same() { # same A B "description"
    if diff -u "$1" "$2" >"$TMP/diff" 2>&1; then ok "$3"; else
        not_ok "$3"; head -30 "$TMP/diff" | sed 's/^/    | /'
    fi
}

# one_tree NAME VERSION CLASS MAPPING-ARGS...: the full cycle on one sample tree;
# CLASS is an object class the migrated entries must carry.
one_tree() {
    local name=$1 version=$2 class=$3
    shift 3
    local map=("$@")
    # a fresh server per tree (the trees share suffixes such as o=internet)
    slapd_stop
    slapd_start "$TMP/slapd-$name" >/dev/null || { not_ok "$name: slapd starts"; return; }
    PW=$(cat "$SLAPD_PWFILE")
    CONN=(--uri "$SLAPD_URI" --bind-dn "$SLAPD_ROOTDN" --password-file "$SLAPD_PWFILE" --target "$T")
    msm sample --version "$version" --users 12 --seed 4 "$TMP/$name" >/dev/null ||
        { not_ok "$name: sample"; return; }
    check "$name: the sample tree loads into slapd" slapd_load "$TMP/$name/ldap/directory.ldif"
    snap "$TMP/$name.before"
    check "$name: slapcat has the tree" grep -q "^dn: " "$TMP/$name.before"

    # preview (the default)
    expect_exit 0 "$name: preview exits 0" msm directory migrate --json "${map[@]}" "${CONN[@]}"
    local audit changed
    audit=$(jq -r .audit_ldif "$TMP/out")
    changed=$(jq -r .changed "$TMP/out")
    check "$name: preview found entries to change" test "$changed" -gt 0
    check "$name: preview wrote no undo LDIF" jq -e '.undo_ldif == null' "$TMP/out"
    check "$name: the audit LDIF has one modify per changed entry" \
        test "$(grep -c '^changetype: modify' "$audit")" -eq "$changed"
    snap "$TMP/$name.after-preview"
    same "$TMP/$name.before" "$TMP/$name.after-preview" "$name: preview changed nothing"
    cp "$audit" "$TMP/$name.audit.ldif"

    # apply
    "$MSMIGRATE" directory migrate --json "${map[@]}" --apply "${CONN[@]}" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    check "$name: apply exits 0" test "$rc" -eq 0
    check "$name: apply changed as many entries as the preview" \
        jq -e --argjson n "$changed" '.applied == $n and .failed == 0' "$TMP/out"
    local rid
    rid=$(run_id)
    check "$name: run directory under the target" test -d "$T/.msmigrate/runs/$rid/journal"
    snap "$TMP/$name.applied"
    if cmp -s "$TMP/$name.before" "$TMP/$name.applied"; then not_ok "$name: apply changed the directory"
    else ok "$name: apply changed the directory"; fi
    check "$name: entries now carry $class" grep -qi "^objectClass: $class\$" "$TMP/$name.applied"
    check "$name: the new mail host is set" grep -qi "^mailHost: mail2.siroe.com" "$TMP/$name.applied"

    # undo restores slapcat exactly
    expect_exit 0 "$name: undo preview" msm directory undo --run "$rid" "${CONN[@]}"
    snap "$TMP/$name.undo-preview"
    same "$TMP/$name.applied" "$TMP/$name.undo-preview" "$name: undo preview changed nothing"
    expect_exit 0 "$name: undo --apply" msm directory undo --json --run "$rid" --apply "${CONN[@]}"
    check "$name: undo applied every record" jq -e '.rejected == 0 and .applied == .records' "$TMP/out"
    snap "$TMP/$name.undone"
    same "$TMP/$name.before" "$TMP/$name.undone" "$name: migrate then undo leaves slapcat identical"

    # the preview's audit LDIF applied with ldapmodify = --apply
    check "$name: ldapmodify accepts the audit LDIF" slapd_modify "$TMP/$name.audit.ldif" "$TMP/$name.rej"
    snap "$TMP/$name.via-ldapmodify"
    same "$TMP/$name.applied" "$TMP/$name.via-ldapmodify" "$name: audit via ldapmodify = apply"
}

# commdirmig -t 1: Schema 1 (DC tree o=internet + organization tree o=isp) to Schema 2
one_tree schema1 ims-5.2 sunManagedOrganization --schema2 -t 1 --dc-root o=internet \
    --org-root o=isp --mailhost mail2.siroe.com
one_tree nms nms-4.1 inetMailUser -M nms --mailhost mail2.siroe.com --base o=siroe.com
# the SIMS server (left in its migrated state) serves the checks below
one_tree sims sims-4.0 inetMailUser -M sims --mailhost mail2.siroe.com --base o=internet

# password from the environment; never in logs or artifacts
MSMIGRATE_BIND_PASSWORD=$PW expect_exit 0 "bind password from MSMIGRATE_BIND_PASSWORD" \
    msm directory migrate -M sims --base o=internet --uri "$SLAPD_URI" --bind-dn "$SLAPD_ROOTDN" \
    --target "$T"
if grep -rqF -- "$PW" "$T" "$TMP/out" "$TMP/err" "$SLAPD_DIR/slapd.log"; then
    not_ok "the password appears in no artifact, journal or log"
else ok "the password appears in no artifact, journal or log"; fi
# the site profile names the server, base, bind DN and where the password is
cat >"$TMP/site.profile" <<EOF
[deployment]
target = $T
[directory]
uri = $SLAPD_URI
base_dn = o=internet
bind_dn = $SLAPD_ROOTDN
password_env = MY_DIR_PW
EOF
MY_DIR_PW=$PW expect_exit 0 "the profile's [directory] keys and password_env are used" \
    msm directory migrate --json -M sims --profile "$TMP/site.profile"
check "the profile's target holds the run" test -d "$T/.msmigrate/runs/$(jq -r .run_id "$TMP/out")"
lacks "$TMP/site.profile" "$PW" "the profile holds no password"
expect_exit 1 "a password on the command line (-w) is refused" \
    msm directory migrate -M sims --base o=internet --uri "$SLAPD_URI" --bind-dn "$SLAPD_ROOTDN" \
    -w "$PW" --target "$T"
contains "$TMP/err" "--password-file" "the refusal says what to use instead"
echo wrong >"$TMP/wrong.pw"; chmod 600 "$TMP/wrong.pw"
expect_exit 1 "a wrong password is a clear error" msm directory migrate -M sims --base o=internet \
    --uri "$SLAPD_URI" --bind-dn "$SLAPD_ROOTDN" --password-file "$TMP/wrong.pw" --target "$T"
contains "$TMP/err" "invalid credentials" "the error says the credentials were refused"
expect_exit 1 "an absent base DN is a clear error" msm directory migrate -M nms --base o=nowhere \
    "${CONN[@]}"
contains "$TMP/err" "o=nowhere" "the error names the base DN"

# import with ldapmodify -c semantics and a rejects file (ms62's ugdir_diff.ldif)
cat >"$TMP/ugdir_diff.ldif" <<'EOF'
version: 1

dn: dc=siroe,dc=com,o=internet
changetype: modify
add: description
description: ugdir schema diff applied

dn: uid=nobody,ou=People,dc=siroe,dc=com,o=internet
changetype: modify
replace: cn
cn: ghost

dn: ou=Resources,dc=siroe,dc=com,o=internet
changetype: add
objectClass: organizationalUnit
ou: Resources
EOF
expect_exit 2 "import: one record refused, the others applied (exit 2)" msm directory import --json \
    --apply --rejects "$TMP/ugdir.rejects" "$TMP/ugdir_diff.ldif" "${CONN[@]}"
check "import counts" jq -e '.records == 3 and .applied == 2 and .rejected == 1' "$TMP/out"
contains "$TMP/ugdir.rejects" "uid=nobody,ou=People,dc=siroe,dc=com,o=internet" "the rejects file names the entry"
contains "$TMP/ugdir.rejects" "# error: 32" "the rejects file has the server's result"
check "the added entry exists" ldapsearch -x -LLL -H "$SLAPD_URI" -b "ou=Resources,dc=siroe,dc=com,o=internet" -s base dn

# find-stale: the SIMS domains now route to mail2.siroe.com; pretend it is being left
snap "$TMP/stale-before"
expect_exit 2 "find-stale finds domains naming the old host (exit 2)" msm directory find-stale \
    --json --old-host MAIL2.siroe.com --new-host mail3.siroe.com --base o=internet "${CONN[@]}"
nstale=$(jq -r .stale "$TMP/out")
check "find-stale counts the domains" test "$nstale" -ge 2
fix=$(jq -r .fix_ldif "$TMP/out")
contains "$fix" "dn: dc=siroe,dc=com,o=internet" "the fix LDIF names the domain"
contains "$fix" "mail3.siroe.com" "the fix puts the new host"
expect_exit 2 "find-stale prints the fix as LDIF" msm directory find-stale \
    --old-host mail2.siroe.com --new-host mail3.siroe.com --base o=internet "${CONN[@]}"
contains "$TMP/out" "changetype: modify" "the printed fix is LDIF"
snap "$TMP/stale-after"
same "$TMP/stale-before" "$TMP/stale-after" "find-stale without --apply changed nothing"
expect_exit 0 "find-stale --apply fixes them" msm directory find-stale --json \
    --old-host mail2.siroe.com --new-host mail3.siroe.com --base o=internet --apply "${CONN[@]}"
check "applied" jq -e '.applied == true and .rejected == 0' "$TMP/out"
expect_exit 0 "nothing stale afterwards" msm directory find-stale --json \
    --old-host mail2.siroe.com --base o=internet "${CONN[@]}"
check "zero stale domains" jq -e '.stale == 0' "$TMP/out"
check "the domain routes to the new host" sh -c "ldapsearch -x -LLL -H '$SLAPD_URI' \
    -b dc=siroe,dc=com,o=internet -s base mailRoutingHosts | grep -q 'mailRoutingHosts: mail3.siroe.com'"

# offline mode (db2ldif export) through the CLI
expect_exit 0 "offline migration of the SIMS export" msm directory migrate --json -M sims \
    --mailhost mail2.siroe.com --offline "$TMP/sims/ldap/directory.ldif" --target "$T"
out=$(jq -r .out_ldif "$TMP/out")
check "offline wrote the migrated LDIF" grep -q "^objectClass: inetMailUser" "$out"
check "offline changed as many entries as online" \
    jq -e --argjson n "$(grep -c '^changetype: modify' "$TMP/sims.audit.ldif")" '.changed == $n' "$TMP/out"

# error budget: every entry refused (the schema forbids the -A attribute)
expect_exit 1 "without -c the first refusal stops the run" msm directory migrate --json -M sims \
    -O -A "noSuchAttribute:x" --base o=internet --apply "${CONN[@]}"
check "stopped after one failure" jq -e '.failed == 1' "$TMP/out"
contains "$TMP/err" "-c continues" "the message says how to go on"
rej=$(jq -r .reject_ldif "$TMP/out")
contains "$rej" "# error: " "the reject LDIF has the server's message"
expect_exit 1 "with -c the error budget stops a run failing everywhere" msm directory migrate \
    --json -M sims -O -A "noSuchAttribute:x" --base o=internet --apply -c --max-errors 5 "${CONN[@]}"
check "stopped at the budget" jq -e '.failed == 5' "$TMP/out"
contains "$TMP/err" "error budget exceeded" "the message names the budget"

# the delegated-admin ACI LDIF
expect_exit 0 "aci prints the imsdaaci LDIF" msm directory aci --org-root o=isp --domain siroe.com \
    --target "$T"
contains "$TMP/out" "aci" "the LDIF carries aci values"
finish
