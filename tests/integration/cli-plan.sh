#!/bin/sh
# msmigrate plan / detect: the design's chains, refusals naming the missing package,
# aliases, unsupported origins, detection of generated samples.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

expect_exit 0 "plan 5.2 -> 8.1" msm plan $CHAIN --from 5.2 --to 8.1
contains "$TMP/out" "Plan: ims-5.2 -> ms-6.0 -> ms-6.3 -> ms-7.0 -> ms-8.1" "5.2 goes through 6.0, 6.3 and 7.0"
for id in target-installed separate-target single-instance direct-ldap not-applied source-stopped clean-shutdown; do
    contains "$TMP/out" "[$id]" "precondition $id shown"
done
contains "$TMP/out" "reversible: NO" "irreversible hop marked"
expect_exit 0 "plan --json" msm plan $CHAIN --from 5.2 --to 8.1 --json
check "JSON path" jq -e '.path == ["ims-5.2","ms-6.0","ms-6.3","ms-7.0","ms-8.1"]' "$TMP/out"
check "JSON preconditions" jq -e '[.hops[].preconditions[].id] | index("direct-ldap") != null' "$TMP/out"

expect_exit 0 "alias 7u5" msm plan $CHAIN --from 7u5 --to 8.1
contains "$TMP/out" "Plan: ms-7.0.5 -> ms-8.1" "7u5 is ms-7.0.5"
expect_exit 0 "alias 6.2p3" msm plan $CHAIN --from 6.2p3 --to 8.1
contains "$TMP/out" "Plan: ms-6.2p3 -> ms-6.3 -> ms-7.0 -> ms-8.1" "6.2p3 chain"
expect_exit 0 "SIMS chain" msm plan $CHAIN --from sims-4.0 --to 8.1
contains "$TMP/out" "sims-4.0 -> ims-5.2 -> ms-6.0" "SIMS goes through 5.2"

dir=$(chain_without fx-ms63to70)
expect_exit 3 "plan without the 6.3 -> 7.0 hop refused" msm plan --no-default-plugin-dir -P "$dir" --from 5.2 --to 8.1
contains "$TMP/err" "ms-6.3 -> ms-7.0" "names the missing hop"
contains "$TMP/err" "msmigrate-plugin-ms7x-8x" "names the package"
expect_exit 3 "no plugins at all" msm plan --no-default-plugin-dir --from 5.2 --to 8.1
contains "$TMP/err" "msmigrate-plugin-ims52" "names the first package"

expect_exit 1 "origin older than NMS 3.01 refused" msm plan $CHAIN --from 3.0 --to 8.1
contains "$TMP/err" "3.01" "gives the seed's reason"
expect_exit 1 "4.0 is ambiguous" msm plan $CHAIN --from 4.0 --to 8.1
contains "$TMP/err" "sims-4.0" "offers sims-4.0"
contains "$TMP/err" "nms-4.0" "offers nms-4.0"
expect_exit 3 "backwards refused" msm plan $CHAIN --from 8.1 --to 6.3

# detect on generated samples
expect_exit 0 "sample ims-5.2" msm sample $CHAIN --version 5.2 --users 5 --seed 7 "$TMP/s52"
expect_exit 0 "detect ims-5.2" msm detect "$TMP/s52"
contains "$TMP/out" "ims-5.2" "detected as ims-5.2"
expect_exit 0 "detect --json" msm detect --json "$TMP/s52"
check "detect JSON has the version" jq -e '.version == "ims-5.2"' "$TMP/out"
expect_exit 0 "sample ms-6.3" msm sample $CHAIN --version 6.3 --users 3 --seed 1 "$TMP/s63"
expect_exit 2 "ms-6.3 layout is ambiguous (6.3 .. 8.1)" msm detect "$TMP/s63"
contains "$TMP/err" "--from" "says to pass --from"
expect_exit 0 "--from settles it" msm detect --from 6.3 "$TMP/s63"
expect_exit 0 "sample with two instances" msm sample $CHAIN --version 5.2 --users 3 --seed 1 --instances 2 "$TMP/two"
msm detect "$TMP/two" >"$TMP/out" 2>&1
contains "$TMP/out" "sample2" "both instances listed"
expect_exit 0 "detect of the same seed is deterministic" sh -c "
    '$MSMIGRATE' sample $CHAIN --version 5.2 --users 5 --seed 7 '$TMP/again' >/dev/null &&
    diff -r '$TMP/s52' '$TMP/again'"
finish
