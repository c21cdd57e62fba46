#!/bin/sh
# tests/fuzz/run.sh BUILD_DIR SECONDS - build the libFuzzer targets with clang (ASan +
# UBSan) from the core sources and run each for SECONDS, starting from a corpus of
# generated samples. Prints one "ok"/"not ok" line per target and ends with
# "N passed, N failed". Needs clang and libclang-rt-14-dev (.ci/run installs them).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
secs=${2:-60}
out="$build/fuzz"
mkdir -p "$out"
cc=${CLANG:-clang}
flags="-g -O1 -std=c11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -I$build -I$here/include -I$here/core $(pkg-config --cflags glib-2.0 nettle)"
libs="$(pkg-config --libs glib-2.0 nettle) -lltdl -ldb-5.3 -lldap -llber"
core_src=$(ls "$here"/core/*.c | grep -v '/cli')
passed=0
failed=0
for t in pmdf-queue nms-queue confdoc uc; do
    bin="$out/fuzz-$t"
    extra=""
    # the NMS 3.x queue codec lives in the nms3x plugin
    [ "$t" = nms-queue ] && extra="$here/plugins/nms3x/codec-nms3-queue.c"
    # shellcheck disable=SC2086
    if ! $cc $flags -DPLUGINDIR='"/nonexistent"' -o "$bin" "$here/tests/fuzz/fuzz-$t.c" $core_src $extra $libs \
        >"$out/build-$t.log" 2>&1; then
        echo "not ok - fuzz-$t does not build"; sed 's/^/    | /' "$out/build-$t.log" | tail -20
        failed=$((failed + 1)); continue
    fi
    corpus="$out/corpus-$t"
    rm -rf "$corpus" "$out/samples"
    mkdir -p "$corpus"
    for v in sims-4.0 ims-5.2 ms-6.3 ms-8.1; do
        "$build/core/msmigrate" sample --no-default-plugin-dir --version "$v" --users 3 --seed 1 \
            "$out/samples/$v" >/dev/null 2>&1
    done
    if [ "$t" = pmdf-queue ]; then
        find "$out/samples" -path '*queue*' -type f | head -40 | while read -r f; do
            cp "$f" "$corpus/$(basename "$f")"
        done
    elif [ "$t" = nms-queue ]; then
        # first byte: even = an NMS 4.x message file, odd = an NMS 3.x control file
        "$build/core/msmigrate" sample --no-default-plugin-dir --version nms-4.1 --users 3 --seed 1 \
            "$out/samples/nms-4.1" >/dev/null 2>&1
        find "$out/samples/nms-4.1" -path '*queue*' -type f | head -20 | while read -r f; do
            { printf '\000'; cat "$f"; } >"$corpus/n4-$(basename "$f")"
        done
        printf '\001V3\nSa@b\nRc@d\nOrfc822;c@d\nN6\nA2\nT100\nL200\nXu;M\n' >"$corpus/n3-a"
        printf '\003V3\nS\nRx@y\n' >"$corpus/n3-b"
    else
        i=0
        find "$out/samples" -type f ! -path '*/ldap/*' ! -path '*queue*' | while read -r f; do
            i=$((i + 1))
            # first byte picks the format: try each file under a few of them
            for k in 0 3 6 9 12 15; do
                { printf "\\$(printf '%03o' "$k")"; cat "$f"; } >"$corpus/c$i-$k"
            done
        done
    fi
    mkdir -p "$out/tmp"
    if (cd "$out" && TMPDIR="$out/tmp" ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 "$corpus" >"$out/run-$t.log" 2>&1); then
        runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$out/run-$t.log" | tail -1)
        echo "ok - fuzz-$t ran ${secs}s (${runs:-?} inputs) without a finding"
        passed=$((passed + 1))
    else
        echo "not ok - fuzz-$t found a problem:"; tail -40 "$out/run-$t.log" | sed 's/^/    | /'
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
