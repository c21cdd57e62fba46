#!/bin/sh
# tests/demo.sh BUILD_DIR - what `./quickstart demo` runs: the main job on an embedded
# sample deployment, as far as the installed capabilities go (see README).
set -eu
build=$(cd "$1" && pwd)
msm="$build/core/msmigrate"
fixtures="$build/tests/plugins/chain"
demo="$build/demo"
rm -rf "$demo"
mkdir -p "$demo"

# The test-fixture plugins (test-only, never installed) are built by `make check`.
make -C "$build" -s check TESTS= >/dev/null

step() { printf '\n=== %s\n$ %s\n' "$1" "$2"; }

step "1. a deterministic iPlanet Messaging Server 5.2 deployment" \
    "msmigrate sample --version 5.2 --users 20 --seed 1 $demo/src"
"$msm" sample --no-default-plugin-dir --version 5.2 --users 20 --seed 1 "$demo/src"

step "2. what is it?" "msmigrate detect $demo/src"
"$msm" detect "$demo/src"

step "3. plan with the plugins installed on this machine" "msmigrate plan --from 5.2 --to 8.1"
rc=0
"$msm" plan --from 5.2 --to 8.1 || rc=$?
echo "(exit $rc: no version adapter is installed yet, so the planner names the package of the first missing hop)"

step "4. plan over the test fixtures, which declare every hop of the design" \
    "msmigrate plan --plugin-dir tests/plugins/chain --from 5.2 --to 8.1"
"$msm" plan --no-default-plugin-dir --plugin-dir "$fixtures" --from 5.2 --to 8.1

mkdir -p "$demo/target/config" "$demo/target/data"
echo "# installed 8.1 defaults" >"$demo/target/config/msg.conf.defaults"
confirm="--confirm direct-ldap --confirm clean-shutdown"

step "5. preflight refuses until the manual checks are confirmed (exit 3, nothing changed)" \
    "msmigrate run --source src --target target --to 8.1"
rc=0
"$msm" run --no-default-plugin-dir -P "$fixtures" --source "$demo/src" --target "$demo/target" \
    --to 8.1 --no-progress || rc=$?
echo "(exit $rc)"
[ "$rc" -eq 3 ]

step "6. dry run: everything read and transformed, nothing written" \
    "msmigrate run ... $confirm --dry-run"
"$msm" run --no-default-plugin-dir -P "$fixtures" --source "$demo/src" --target "$demo/target" \
    --to 8.1 $confirm --dry-run --no-progress

step "7. the run, journalled and verified" "msmigrate run ... $confirm"
"$msm" run --no-default-plugin-dir -P "$fixtures" --source "$demo/src" --target "$demo/target" \
    --to 8.1 $confirm --no-progress --json >"$demo/run.json"
sed -n '1,12p' "$demo/run.json"
run=$(sed -n 's/^ *"run_id": "\(.*\)",$/\1/p' "$demo/run.json" | head -1)

step "8. status and verify" "msmigrate status --target target; msmigrate verify $run --target target"
"$msm" status --target "$demo/target"
"$msm" verify --no-default-plugin-dir -P "$fixtures" --target "$demo/target" "$run" | tail -3

printf '\nDemo done: %s\n' "$demo"
