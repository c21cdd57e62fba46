#!/bin/sh
# tests/bench/queue-convert.sh BUILD_DIR [MESSAGES] - throughput of `msmigrate queue convert`
# (sims-4.0 -> ims-5.2, PMDF to PMDF with the sims-ms -> ims-ms rename, every message
# journalled and verified) and of `queue verify`, against a baseline measured in the
# same run: copying the same queue with `cp -r` and reading it with `cat`. Prints the
# rates and the ratios. Not part of `make check`.
set -eu
build=$(cd "$1" && pwd)
n=${2:-5000}
m="$build/core/msmigrate"
q="--no-default-plugin-dir --plugin-dir $build/tests/plugins/queue"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/msmbench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$m" sample $q --version sims-4.0 --users 5 --seed 1 "$tmp/src" >/dev/null
qd="$tmp/src/var/opt/SUNWmail/imta/queue"
# n messages: copies of the sample's queue files under new unique names
set -- $(find "$qd" -type f -name 'Z*.00' | sort)
i=0
while [ "$i" -lt "$n" ]; do
    for f in "$@"; do
        [ "$i" -ge "$n" ] && break
        d=$(dirname "$f")
        cp "$f" "$d/ZZbench$(printf '%07d' "$i").00"
        i=$((i + 1))
    done
done
total=$(find "$qd" -type f | wc -l)
bytes=$(du -sb "$qd" | cut -f1)
now() { date +%s.%N; }
t0=$(now); cp -r "$qd" "$tmp/copy"; find "$tmp/copy" -type f -exec cat {} + >/dev/null; t1=$(now)
mkdir -p "$tmp/dst"
t2=$(now); "$m" queue convert $q "$tmp/src" --to 5.2 "$tmp/dst" --json >"$tmp/conv.json"; t3=$(now)
"$m" queue verify $q "$tmp/src" "$tmp/dst" --to 5.2 >/dev/null
t4=$(now)
awk -v n="$total" -v b="$bytes" -v base="$(echo "$t1 - $t0" | bc)" -v conv="$(echo "$t3 - $t2" | bc)" \
    -v ver="$(echo "$t4 - $t3" | bc)" 'BEGIN {
    printf "%d messages, %.1f MiB\n", n, b / 1048576
    printf "baseline cp -r + cat:  %8.0f msg/s\n", n / base
    printf "queue convert:         %8.0f msg/s  (%.1fx the baseline time)\n", n / conv, conv / base
    printf "queue verify:          %8.0f msg/s  (%.1fx the baseline time)\n", n / ver, ver / base
}'
