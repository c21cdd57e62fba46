#!/bin/sh
# directory-export.sh - `msmigrate directory export` against a real slapd: the NMS
# 4.x configuration held in the configuration directory (o=NetscapeRoot) read from
# the live server is, entity for entity, the configuration the nsmsgcfg.ldif parser
# reads from the sample's LDIF export (issue 3: "read from an LDIF export or a live
# server"); the user tree exports completely.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"
. "$MSM_TOP_SRCDIR/tests/integration/lib-slapd.sh"

msm sample --version nms-4.1 --users 5 "$TMP/src" >/dev/null 2>&1
check "the sample has its configuration directory export" test -f "$TMP/src/ldap/netscaperoot.ldif"
slapd_start "$TMP/slapd" >/dev/null
check "slapd loads the configuration directory" slapd_load "$TMP/src/ldap/netscaperoot.ldif"
check "slapd loads the user tree" slapd_load "$TMP/src/ldap/directory.ldif"

mkdir -p "$TMP/exp"
expect_exit 0 "export of o=NetscapeRoot from the live server" \
    msm directory export --uri "$SLAPD_URI" --base o=NetscapeRoot -D "$SLAPD_ROOTDN" \
    --password-file "$SLAPD_PWFILE" "$TMP/exp/netscaperoot.ldif"
contains "$TMP/out" "entries written" "the export says how many entries"
n_src=$(grep -c '^dn:' "$TMP/src/ldap/netscaperoot.ldif")
n_out=$(grep -c '^dn:' "$TMP/exp/netscaperoot.ldif")
check "every configuration entry exported ($n_src)" test "$n_src" -eq "$n_out"
msm config diff "$TMP/src/ldap/netscaperoot.ldif" "$TMP/exp/netscaperoot.ldif" >"$TMP/diff" 2>&1
# exit 2 only because comments and layout differ; every entity is the same
contains "$TMP/diff" "0 entities added, 0 removed, 0 changed" \
    "config diff: the live configuration equals the LDIF export, entity for entity"
check "the export is private (mode 0600)" sh -c "stat -c %a '$TMP/exp/netscaperoot.ldif' | grep -qx 600"
lacks "$TMP/exp/netscaperoot.ldif" "$(cat "$SLAPD_PWFILE")" "no password in the export"

base=$(sed -n 's/^dn: //p' "$TMP/src/ldap/directory.ldif" | awk '{ print length, $0 }' | sort -n | head -1 | cut -d' ' -f2-)
expect_exit 0 "export of the user tree ($base)" \
    msm directory export --uri "$SLAPD_URI" --base "$base" -D "$SLAPD_ROOTDN" \
    --password-file "$SLAPD_PWFILE" "$TMP/exp/users.ldif"
check "every entry of that tree exported" test \
    "$(grep -c '^dn:' "$TMP/exp/users.ldif")" -eq \
    "$(grep -ci "^dn: .*$base\$" "$TMP/src/ldap/directory.ldif")"
expect_exit 1 "export refuses a password on the command line" \
    msm directory export --uri "$SLAPD_URI" --base o=NetscapeRoot -w secret "$TMP/exp/x.ldif"
finish
