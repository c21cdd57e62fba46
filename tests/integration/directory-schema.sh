#!/bin/bash
# tests/integration/directory-schema.sh - the project's LDAP schema files load into a
# stock OpenLDAP slapd (slaptest and a running server), and the directory LDIF that
# `msmigrate sample` writes for sims-4.0, nms-4.1, ims-5.2 and ms-6.3 loads with no
# rejects (docs/formats/ldap-schema.md).
# scratch inside the build tree, not /tmp
TMPDIR=${MSM_TOP_BUILDDIR:?run through make check}/tests/tmp
mkdir -p "$TMPDIR" && export TMPDIR
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-slapd.sh"

S=$MSM_TOP_SRCDIR/core/schema
STOCK="core cosine inetorgperson nis"

# slaptest_with NAME FILE...: a slapd.conf with the stock schemas and FILEs parses.
slaptest_with() {
    local name=$1; shift
    local d="$TMP/conf-$name"; mkdir -p "$d"; printf x >"$d/rootpw"
    SLAPD_SUFFIXES="o=internet" SLAPD_ROOTDN="cn=admin,o=msm-admin" slapd_write_conf "$d" "$@"
    slaptest -u -f "$d/slapd.conf" >"$d/out" 2>&1
}
check "nms.schema loads alone" slaptest_with nms "$S/nms.schema"
check "sims40.schema loads after nms.schema" slaptest_with sims "$S/nms.schema" "$S/sims40.schema"
check "ims-schema1.schema loads after nms.schema" slaptest_with ims1 "$S/nms.schema" "$S/ims-schema1.schema"
check "ims-schema2.schema loads after ims-schema1.schema" slaptest_with ims2 "$S/nms.schema" \
    "$S/ims-schema1.schema" "$S/ims-schema2.schema"
check "all four load together (the order of docs/formats/ldap-schema.md)" slaptest_with all \
    "$S/nms.schema" "$S/sims40.schema" "$S/ims-schema1.schema" "$S/ims-schema2.schema"
# the check can fail: the documented prerequisite is real
if slaptest_with broken "$S/ims-schema1.schema"; then
    not_ok "ims-schema1.schema without nms.schema is refused"
else ok "ims-schema1.schema without nms.schema is refused"; fi
contains "$TMP/conf-broken/out" "not found" "slaptest names the missing definition"
# misc.schema clashes on purpose (facts 4.2): OID .3.1.13 / mailHost
if slaptest_with misc "$SLAPD_STOCK_SCHEMA/misc.schema" "$S/nms.schema"; then
    not_ok "misc.schema and nms.schema are documented as incompatible but loaded"
else ok "misc.schema with nms.schema is refused (documented clash)"; fi

n=0
for v in sims-4.0 nms-4.1 ims-5.2 ms-6.3; do
    n=$((n + 1))
    msm sample --version "$v" -u 12 "$TMP/sample-$v" >/dev/null 2>&1
    check "sample $v written" test -s "$TMP/sample-$v/ldap/directory.ldif"
    slapd_stop
    slapd_start "$TMP/slapd-$v" >/dev/null || { not_ok "slapd starts for $v"; continue; }
    ok "slapd with the project schemas starts ($v)"
    for f in "$TMP/sample-$v"/ldap/*.ldif; do
        if slapd_load "$f" 2>"$TMP/load.err"; then ok "$v $(basename "$f") loads with no rejects"; else
            not_ok "$v $(basename "$f") loads with no rejects"; sed 's/^/    | /' "$TMP/load.err" | head -10
        fi
        ldif_norm "$f" "$TMP/in.norm"
        want=$(grep -c '^dn:' "$TMP/in.norm")
        slapcat_norm "$TMP/db.norm"
        have=$(grep -c '^dn:' "$TMP/db.norm")
        [ "$have" -ge "$want" ] && ok "$v: $want entries stored" || not_ok "$v: $have of $want entries stored"
    done
    slapcat_norm "$TMP/db.norm"
    cat "$TMP/sample-$v"/ldap/*.ldif >"$TMP/all.ldif"
    ldif_norm "$TMP/all.ldif" "$TMP/all.norm"
    if diff -u "$TMP/all.norm" "$TMP/db.norm" >"$TMP/diff" 2>&1; then
        ok "$v: slapcat gives back exactly the sample's entries"
    else not_ok "$v: slapcat gives back exactly the sample's entries"; head -20 "$TMP/diff"; fi
done

# the [C] OIDs are the ones the server knows
ldapsearch -x -LLL -H "$SLAPD_URI" -b cn=Subschema -s base '(objectClass=*)' objectClasses attributeTypes \
    -o ldif-wrap=no >"$TMP/subschema" 2>/dev/null
contains "$TMP/subschema" "( 2.16.840.1.113730.3.2.147 NAME 'inetLocalMailRecipient'" "inetLocalMailRecipient OID corrected (facts 8)"
contains "$TMP/subschema" "( 2.16.840.1.113730.3.2.37 NAME 'nsMessagingServerUser'" "nsMessagingServerUser OID with its .1 (facts 8)"
contains "$TMP/subschema" "( 2.16.840.1.113730.3.2.4 NAME 'mailGroup'" "mailGroup is NMS's OID"
contains "$TMP/subschema" "( 1.3.6.1.4.1.42.2.27.2.2.2 NAME 'inetMailGroup'" "inetMailGroup OID"
contains "$TMP/subschema" "( 2.16.840.1.113730.3.1.13 NAME 'mailAlternateAddress'" ".3.1.13 is mailAlternateAddress, not mailLocalAddress"
contains "$TMP/subschema" "( 2.16.840.1.113730.3.1.24 NAME 'mailRoutingAddress'" "mailRoutingAddress is .24 (NMS), not .47"
grep -F "NAME 'mailGroup'" "$TMP/subschema" | grep -q AUXILIARY && ok "mailGroup is AUXILIARY (NMS), not STRUCTURAL (389ds)" ||
    not_ok "mailGroup is AUXILIARY"
slapd_stop
finish
