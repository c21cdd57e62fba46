#!/bin/sh
# msmigrate plugins / inspect: loaded fixtures, every broken fixture reported with
# file, reason and fix, refused hops, unsafe permissions.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

expect_exit 0 "plugins --json with good and broken fixtures" \
    msm plugins --json --no-default-plugin-dir -P "$FX_CHAIN_DIR" -P "$FX_BROKEN_DIR"
cp "$TMP/out" "$TMP/plugins.json"
check "output is JSON" jq -e . "$TMP/plugins.json"
check "18 hops listed (17 chain + fx-dupa)" \
    sh -c "[ \$(jq '[.plugins[].hops[]] | length' '$TMP/plugins.json') -eq 18 ]"
for n in fx-sims40 fx-nms3x fx-nms4x fx-ims52 fx-ms60 fx-ms62 fx-ms63to70 fx-ms7x8x fx-dupa fx-direct core; do
    check "plugin $n loaded" jq -e --arg n "$n" '.plugins | map(.name) | index($n) != null' "$TMP/plugins.json"
done
for n in fx-nosym fx-badabi fx-nolicense fx-initfail fx-dupb; do
    check "broken $n listed with file, reason and fix" jq -e --arg n "$n" \
        '.broken[] | select(.name == $n) | (.file | test("fx-")) and (.reason | length > 10) and (.fix | length > 5)' \
        "$TMP/plugins.json"
done
check "each broken plugin reported once" sh -c "[ \$(jq '.broken | length' '$TMP/plugins.json') -eq 5 ]"
check "ABI mismatch says both ABIs" jq -e '.broken[] | select(.name=="fx-badabi") | .reason | test("ABI 999.*ABI 1")' "$TMP/plugins.json"
check "unsupported 6.3 -> 8.1 hop refused with seed 004's reason" \
    jq -e '.refused_hops[] | select(.from=="ms-6.3" and .to=="ms-8.1") | .reason | test("7")' "$TMP/plugins.json"

# text output warns once per broken plugin on stderr
expect_exit 0 "plugins text" msm plugins --no-default-plugin-dir -P "$FX_BROKEN_DIR"
check "one warning per broken plugin" sh -c "[ \$(grep -c 'not loaded' '$TMP/err') -eq 5 ]"
contains "$TMP/out" "Broken plugins (5)" "text lists broken plugins"

# a plugin file writable by others is refused before it is opened
mkdir -p "$TMP/unsafe"
cp "$FX_CHAIN_DIR/.libs/fx-ims52.so" "$TMP/unsafe/"
chmod 666 "$TMP/unsafe/fx-ims52.so"
expect_exit 0 "plugins with an unsafe file" msm plugins --json --no-default-plugin-dir -P "$TMP/unsafe"
check "world-writable plugin refused" jq -e '.broken[0].reason | test("writable by group or others")' "$TMP/out"
check "fix says chmod go-w" jq -e '.broken[0].fix | test("chmod go-w")' "$TMP/out"

expect_exit 0 "inspect fx-ims52" msm inspect $CHAIN fx-ims52
contains "$TMP/out" "precondition [direct-ldap]" "inspect shows preconditions"
expect_exit 1 "inspect a missing plugin" msm inspect $CHAIN ims52
contains "$TMP/err" "msmigrate-plugin-ims52" "names the package"
finish
