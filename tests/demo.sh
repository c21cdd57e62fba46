#!/bin/sh
# tests/demo.sh BUILD_DIR - what `./quickstart demo` runs: the configuration of an
# embedded iPlanet Messaging Server 5.2 sample migrated to Messaging Server 8.1 in one
# run through the real version adapters of the build tree (plugins/ims52, ms60,
# ms7x-8x ...), then a summary of the CHANGES files each hop wrote for review.
set -eu
build=$(cd "$1" && pwd)
msm="$build/core/msmigrate"
demo="$build/demo"
rm -rf "$demo"
mkdir -p "$demo"

# The build tree's adapters only (never an installed copy).
plugins="--no-default-plugin-dir"
for p in sims40 nms3x nms4x ims52 ms60 ms62 ms7x-8x; do
    [ -d "$build/plugins/$p/.libs" ] && plugins="$plugins --plugin-dir $build/plugins/$p"
done

step() { printf '\n=== %s\n$ %s\n' "$1" "$2"; }

step "1. a deterministic iPlanet Messaging Server 5.2 deployment" \
    "msmigrate sample --version 5.2 --users 20 --seed 1 $demo/src"
"$msm" sample --no-default-plugin-dir --version 5.2 --users 20 --seed 1 "$demo/src"

step "2. what is it?" "msmigrate detect $demo/src"
"$msm" detect "$demo/src"

step "3. the plan through the version adapters" "msmigrate plan --from 5.2 --to 8.1"
"$msm" plan $plugins --from 5.2 --to 8.1 | sed -n '1,12p'

mkdir -p "$demo/target/config" "$demo/target/data"
echo "# installed 8.1 defaults" >"$demo/target/config/msg.conf.defaults"
confirm="--confirm direct-ldap --confirm clean-shutdown"

step "4. every kind, 5.2 -> 6.0 -> 6.3 -> 7.0 -> 8.1 in one run" \
    "msmigrate run --source src --target target --to 8.1 $confirm"
"$msm" run $plugins --source "$demo/src" --target "$demo/target" --to 8.1 \
    $confirm --no-progress --json >"$demo/run.json"
run=$(jq -r .run_id "$demo/run.json")
jq -r '"exit \(.exit_code)",
  "  configuration: \(.kinds.config.done) files migrated, \(.kinds.config.verified) verified",
  "  directory:     \(.kinds.directory.done) entries (6.0 -> 6.3 applies its ugdir_diff.ldif), \(.kinds.directory.verified) verified",
  "  message store: \(.kinds.store.done) folders (classic store 5.2 -> 8.1 generation), \(.kinds.store.verified) verified",
  "  MTA queue:     \(.kinds.queue.note // "migrated")"' "$demo/run.json"
art="$demo/target/.msmigrate/runs/$run/artifacts"

step "5. what each hop changed (CHANGES files: entities per action)" "cat $art/*/*.CHANGES"
count() { # count FILES...: "kept-old N  took-new N ..." over the CHANGES files given
    awk '/^(only-new|obsolete|only-old|kept-old|took-new|path|hop) / { n[$1]++ }
        END { printf "kept-old %3d  took-new %2d  only-new %2d  only-old %3d  path %2d  obsolete %d  hop %2d\n",
              n["kept-old"], n["took-new"], n["only-new"], n["only-old"], n["path"], n["obsolete"], n["hop"] }' "$@"
}
for hop in ims-5.2-to-ms-6.0 ms-6.0-to-ms-6.3 ms-6.3-to-ms-7.0 ms-7.0-to-ms-8.1; do
    [ -d "$art/$hop" ] || continue
    printf '%-20s %2d files  %s' "$hop" "$(ls "$art/$hop"/*.CHANGES | wc -l)" "$(count "$art/$hop"/*.CHANGES)"
    echo
done
printf '\nims-5.2-to-ms-6.0 per file (seed 000: MERGED and/or CHANGES by its table):\n'
for f in "$art/ims-5.2-to-ms-6.0"/*.CHANGES; do
    printf '  %-20s %s\n' "$(basename "$f" .CHANGES)" "$(count "$f")"
done
printf '\nA few lines of %s:\n' "ims-5.2-to-ms-6.0/msg.conf.CHANGES"
{ grep '^kept-old ' "$art/ims-5.2-to-ms-6.0/msg.conf.CHANGES" | head -2
  grep '^only-new ' "$art/ims-5.2-to-ms-6.0/msg.conf.CHANGES" | head -2; } | cut -c1-160
printf '\nThe cnbuild check of the merged 6.0 MTA configuration:\n'
sed -n '2,$p' "$art/ims-5.2-to-ms-6.0/cnbuild.log"

step "6. status and verify" "msmigrate status --target target; msmigrate verify $run --target target"
"$msm" status --target "$demo/target"
"$msm" verify $plugins --target "$demo/target" "$run" | tail -3

printf '\nDemo done: %s (review files in %s)\n' "$demo" "$art"
