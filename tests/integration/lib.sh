# tests/integration/lib.sh - helpers for the CLI integration scripts (sourced)
#
# Every script counts its checks and ends with the line "N passed, N failed";
# it exits 1 if any check failed. $MSMIGRATE, $FX_CHAIN_DIR and $FX_BROKEN_DIR
# come from tests/local.mk.
set -u
: "${MSMIGRATE:?run through make check}"
passed=0
failed=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/msmit-XXXXXX")
cleanup() { [ -n "${MSM_KEEP_TMP:-}" ] || rm -rf "$TMP"; }
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $1"; }
check() { # check "description" command...
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then ok "$what"; else not_ok "$what"; fi
}
expect_exit() { # expect_exit CODE "description" command...
    local want=$1 what=$2; shift 2
    "$@" >"$TMP/out" 2>"$TMP/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then ok "$what"; else
        not_ok "$what (exit $got, wanted $want)"; sed 's/^/    | /' "$TMP/err" | head -20
    fi
}
contains() { # contains FILE "text" "description"
    if grep -qF -- "$2" "$1"; then ok "$3"; else not_ok "$3 (no \"$2\" in $(basename "$1"))"; fi
}
lacks() {
    if grep -qF -- "$2" "$1"; then not_ok "$3 (\"$2\" in $(basename "$1"))"; else ok "$3"; fi
}
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}
# msm ARGS...: msmigrate with only the fixture chain plugins.
msm() { "$MSMIGRATE" "$@"; }
CHAIN="--no-default-plugin-dir --plugin-dir $FX_CHAIN_DIR"
# A directory holding copies of the chain fixtures except the ones named.
chain_without() {
    local dir="$TMP/chain-without-$*"; mkdir -p "$dir"
    for so in "$FX_CHAIN_DIR"/.libs/*.so; do
        local n; n=$(basename "$so" .so)
        case " $* " in *" $n "*) continue ;; esac
        cp "$so" "$dir/" && chmod 644 "$dir/$(basename "$so")"
    done
    echo "$dir"
}
# make_target DIR VERSION-FAMILY: an installed, empty destination.
make_target_8x() { mkdir -p "$1/config" "$1/data" && echo "# defaults" >"$1/config/msg.conf.defaults"; }
