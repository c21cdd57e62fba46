#!/bin/bash
# tests/integration/directory-offline.sh - the directory mapping against a real slapd.
# For a generated SIMS 4.0 tree, an NMS 4.1 tree and an MS 6.3 (Schema 1) tree: load
# it, run the offline mapping on the same LDIF, apply the audit LDIF with ldapmodify,
# compare slapcat with the offline output LDIF, apply the undo LDIF and compare
# slapcat with the original (identical). Then seed 003's batch hold (-O -A -F), the
# find-stale fix, and the delegated-admin ACI LDIF.
# scratch inside the build tree, not /tmp
TMPDIR=${MSM_TOP_BUILDDIR:?run through make check}/tests/tmp
mkdir -p "$TMPDIR" && export TMPDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-slapd.sh"

TOOL=$MSM_TOP_BUILDDIR/tests/unit/test-dirmap-tool

# roundtrip VERSION FROM [TOOL OPTIONS...]
roundtrip() {
    local v=$1 from=$2; shift 2
    local d="$TMP/rt-$v"; mkdir -p "$d"
    msm sample --version "$v" -u 12 "$d/sample" >/dev/null 2>&1
    local in="$d/sample/ldap/directory.ldif"
    check "$v: sample written" test -s "$in"
    slapd_stop
    slapd_start "$d/slapd" >/dev/null || { not_ok "$v: slapd starts"; return; }
    check "$v: tree loads" slapd_load "$in"
    slapcat_norm "$d/before.norm"
    if "$TOOL" offline -M "$from" "$@" "$in" "$d/out.ldif" "$d/audit.ldif" "$d/undo.ldif" \
        "$d/rej.ldif" >"$d/stats" 2>"$d/err"; then ok "$v: offline mapping ($(cat "$d/stats"))"; else
        not_ok "$v: offline mapping"; cat "$d/err"; return
    fi
    check "$v: entries changed" grep -Eq "(^| )changed [1-9]" "$d/stats"
    contains "$d/stats" "rejected 0" "$v: nothing rejected"
    check "$v: no reject records" sh -c "! grep -q '^dn' '$d/rej.ldif'"
    # the preview changed nothing on the server
    slapcat_norm "$d/still.norm"
    check "$v: preview leaves the server as it was" cmp -s "$d/before.norm" "$d/still.norm"
    if slapd_modify "$d/audit.ldif" "$d/audit.rej" 2>"$d/modify.err"; then
        ok "$v: audit LDIF applies with ldapmodify"; else
        not_ok "$v: audit LDIF applies with ldapmodify"; head -10 "$d/modify.err"
    fi
    slapcat_norm "$d/after.norm"
    ldif_norm "$d/out.ldif" "$d/out.norm"
    if diff -u "$d/out.norm" "$d/after.norm" >"$d/diff1"; then
        ok "$v: slapcat after the audit LDIF == the offline output LDIF"; else
        not_ok "$v: slapcat after the audit LDIF == the offline output LDIF"; head -30 "$d/diff1"
    fi
    check "$v: the migration changed the server" sh -c "! cmp -s '$d/before.norm' '$d/after.norm'"
    if slapd_modify "$d/undo.ldif" "$d/undo.rej" 2>"$d/undo.err"; then
        ok "$v: undo LDIF applies"; else not_ok "$v: undo LDIF applies"; head -10 "$d/undo.err"
    fi
    slapcat_norm "$d/undone.norm"
    if diff -u "$d/before.norm" "$d/undone.norm" >"$d/diff2"; then
        ok "$v: after undo slapcat is identical to the original"; else
        not_ok "$v: after undo slapcat is identical to the original"; head -30 "$d/diff2"
    fi
}

roundtrip sims-4.0 sims -H newmail.siroe.com
contains "$TMP/rt-sims-4.0/audit.ldif" "objectClass: inetMailUser" "sims: users become inetMailUser"
contains "$TMP/rt-sims-4.0/out.ldif" "mailRoutingHosts: newmail.siroe.com" "sims: domains route to the new host"
contains "$TMP/rt-sims-4.0/audit.ldif" "dn: cn=postmaster," "sims: the postmaster group is migrated"
# domains first in the audit LDIF
first_dom=$(grep -n '^dn: dc=siroe,dc=com,o=internet$' "$TMP/rt-sims-4.0/audit.ldif" | head -1 | cut -d: -f1)
first_usr=$(grep -n '^dn: uid=' "$TMP/rt-sims-4.0/audit.ldif" | head -1 | cut -d: -f1)
[ -n "$first_dom" ] && [ -n "$first_usr" ] && [ "$first_dom" -lt "$first_usr" ] &&
    ok "sims: domains before users in the audit LDIF" || not_ok "sims: domains before users ($first_dom, $first_usr)"

roundtrip nms-4.1 nms -H newmail.siroe.com
contains "$TMP/rt-nms-4.1/audit.ldif" "objectClass: inetMailGroup" "nms: groups become inetMailGroup"
contains "$TMP/rt-nms-4.1/out.ldif" "mailMsgQuota: " "nms: nsmsgNumMsgQuota becomes mailMsgQuota"
lacks "$TMP/rt-nms-4.1/out.ldif" "nsmsgNumMsgQuota" "nms: no nsmsgNumMsgQuota left"

roundtrip nms-3.6 nms
lacks "$TMP/rt-nms-3.6/out.ldif" "mailMessageStore: /" "nms 3.x: mailbox paths dropped (default partition)"

roundtrip ms-6.3 schema1 -t 2 -o o=isp -d siroe.com
awk 'BEGIN{RS=""} /^dn: o=siroe.com,o=isp\n/' "$TMP/rt-ms-6.3/out.ldif" >"$TMP/org2.ldif"
contains "$TMP/org2.ldif" "objectClass: sunManagedOrganization" "schema1 -t 2: organization gets sunManagedOrganization"
lacks "$TMP/org2.ldif" "objectClass: mailDomain" "schema1 -t 2 (compat): mailDomain stays on the DC tree"
check "schema1 -d siroe.com: other domains untouched" sh -c "! grep -q '^dn: o=varrius.org,o=isp' '$TMP/rt-ms-6.3/audit.ldif'"
rm -rf "$TMP/rt-ms-6.3"

roundtrip ms-6.3 schema1 -t 1 -o o=isp
contains "$TMP/rt-ms-6.3/out.ldif" "objectClass: sunManagedOrganization" "schema1 -t 1: organizations get sunManagedOrganization"
contains "$TMP/rt-ms-6.3/out.ldif" "sunPreferredDomain: siroe.com" "schema1 -t 1: sunPreferredDomain set"
# the DC node's mail attributes are on the organization node (native: no DC tree)
awk 'BEGIN{RS=""} /^dn: o=siroe.com,o=isp\n/' "$TMP/rt-ms-6.3/out.ldif" >"$TMP/org.ldif"
contains "$TMP/org.ldif" "preferredMailHost: mail.siroe.com" "schema1 -t 1: preferredMailHost moved from the DC node"
contains "$TMP/org.ldif" "objectClass: mailDomain" "schema1 -t 1: the organization is a mailDomain"
lacks "$TMP/org.ldif" "nsManagedDomain" "schema1 -t 1: nsManagedDomain dropped"

# seed 003: hold a batch (-O -A -F) on the SIMS tree, then release it
d=$TMP/batch; mkdir -p "$d"
in=$TMP/rt-sims-4.0/sample/ldap/directory.ldif
slapd_stop; slapd_start "$d/slapd" >/dev/null && slapd_load "$in"
"$TOOL" offline -M sims -m users -F '(uid=*a*)' -O -A 'mailDeliveryOption:hold;mailFolderMap:LOCK' \
    "$in" "$d/hold.ldif" "$d/hold-audit.ldif" "$d/hold-undo.ldif" "$d/hold-rej.ldif" >"$d/stats" 2>&1
check "batch hold: applies" slapd_modify "$d/hold-audit.ldif"
held=$(ldapsearch -x -LLL -H "$SLAPD_URI" -b o=internet '(&(uid=*a*)(mailDeliveryOption=hold)(mailFolderMap=LOCK))' dn | grep -c '^dn:')
want=$(ldapsearch -x -LLL -H "$SLAPD_URI" -b o=internet '(&(objectClass=emailPerson)(uid=*a*))' dn | grep -c '^dn:')
[ "$held" -gt 0 ] && [ "$held" -eq "$want" ] && ok "batch hold: the $held matching users are held" ||
    not_ok "batch hold: $held of $want users held"
other=$(ldapsearch -x -LLL -H "$SLAPD_URI" -b o=internet '(&(!(uid=*a*))(mailDeliveryOption=hold))' dn | grep -c '^dn:')
[ "$other" -eq 0 ] && ok "batch hold: other users untouched" || not_ok "batch hold: $other other users held"
lacks "$d/hold-audit.ldif" "inetMailUser" "batch hold: -O applies only the pairs"
check "batch release: undo applies" slapd_modify "$d/hold-undo.ldif"
slapcat_norm "$d/released.norm"
check "batch release: tree as loaded" cmp -s "$TMP/rt-sims-4.0/before.norm" "$d/released.norm"

# delegated-admin ACIs on the Schema 1 tree (stored by OpenLDAP, enforced by Sun DS)
d=$TMP/aci; mkdir -p "$d"
slapd_stop; slapd_start "$d/slapd" >/dev/null && slapd_load "$TMP/rt-ms-6.3/sample/ldap/directory.ldif"
"$TOOL" aci o=isp siroe.com >"$d/aci.ldif"
# aci is operational on Sun DS; on OpenLDAP it is a user attribute (ldap-schema.md)
printf 'dn: o=siroe.com,o=isp\nchangetype: modify\nadd: objectClass\nobjectClass: extensibleObject\n-\n' >"$d/ext.ldif"
check "aci: target made extensibleObject (OpenLDAP only)" slapd_modify "$d/ext.ldif"
check "aci: LDIF applies" slapd_modify "$d/aci.ldif"
n=$(ldapsearch -x -LLL -H "$SLAPD_URI" -b o=siroe.com,o=isp -s base '(objectClass=*)' aci -o ldif-wrap=no | grep -c '^aci:')
[ "$n" -eq 5 ] && ok "aci: five ACIs on o=siroe.com,o=isp" || not_ok "aci: $n ACIs"
expect_exit 1 "aci: a bad domain is refused" "$TOOL" aci o=isp 'siroe com'
contains "$TMP/err" "siroe com" "aci: the error names the domain"
n=$(ldapsearch -x -LLL -H "$SLAPD_URI" -b o=isp '(cn=*Administrators)' dn | grep -c '^dn:')
[ "$n" -eq 2 ] && ok "aci: the two administrator groups exist" || not_ok "aci: $n administrator groups"

slapd_stop
finish
