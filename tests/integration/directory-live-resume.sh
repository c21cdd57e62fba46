#!/bin/bash
# msmigrate directory migrate --apply with slapd killed (SIGKILL) in the middle:
# a clear error and exit code 1 naming the run to resume; after a restart,
# --resume RUN (which reuses the run's options) completes, every entry is
# migrated exactly once (one audit and one undo record per DN, the directory
# equals the audit LDIF applied to the original), and undo restores slapcat.
# The password never appears in ps output, the run directory or the logs.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"
. "$MSM_TOP_SRCDIR/tests/integration/lib-slapd.sh"

slapd_start "$TMP/slapd" >/dev/null || { not_ok "slapd starts"; finish; }
ok "slapd starts on $SLAPD_URI"
PW=$(cat "$SLAPD_PWFILE")
T=$TMP/target
mkdir -p "$T"
CONN=(--uri "$SLAPD_URI" --bind-dn "$SLAPD_ROOTDN" --password-file "$SLAPD_PWFILE" --target "$T")
# snap OUT: slapcat_norm, retried (slapcat can fail transiently on a loaded machine)
snap() {
    local i
    for i in 1 2 3; do
        slapcat_norm "$1" && return 0
        echo "slapcat failed (try $i):" >&2
        "$SLAPCAT_BIN" -f "$SLAPD_CONF" -b o=internet >/dev/null 2>>"$TMP/slapcat.err"; tail -3 "$TMP/slapcat.err" >&2
        sleep 1
    done
    return 1
}
same() {
    if diff -u "$1" "$2" >"$TMP/diff" 2>&1; then ok "$3"; else
        not_ok "$3"; head -30 "$TMP/diff" | sed 's/^/    | /'
    fi
}

msm sample --version sims-4.0 --users 1500 --seed 9 "$TMP/src" >/dev/null
check "a 1500-user SIMS tree loads" slapd_load "$TMP/src/ldap/directory.ldif"
snap "$TMP/before"
total=$(grep -c '^dn: ' "$TMP/before")

# apply, one modify in flight at a time (-T 1 = 32), and kill slapd midway
"$MSMIGRATE" directory migrate -M sims --mailhost mail2.siroe.com --base o=internet -T 1 \
    --apply "${CONN[@]}" >"$TMP/run1.out" 2>"$TMP/run1.err" &
pid=$!
undo=
n=0
for _ in $(seq 1 3000); do
    ps -ww -o args= -p "$pid" >>"$TMP/ps" 2>/dev/null
    [ -n "$undo" ] || undo=$(ls "$T"/.msmigrate/runs/*/artifacts/directory-undo.ldif 2>/dev/null | head -1)
    if [ -n "$undo" ]; then
        n=$(grep -c '^changetype:' "$undo" 2>/dev/null)
        [ "${n:-0}" -ge 200 ] && break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
done
slapd_kill
wait "$pid"
rc=$?
check "slapd was killed in the middle of the apply ($n modifies sent)" test "${n:-0}" -ge 200
check "the interrupted apply exits 1" test "$rc" -eq 1
contains "$TMP/run1.err" "$SLAPD_URI" "the error names the server"
contains "$TMP/run1.out" "--resume" "the output says how to resume"
rid=$(basename "$(dirname "$(dirname "$undo")")")
check "the run id is known" test -d "$T/.msmigrate/runs/$rid/journal"
check "ps showed the command while it ran" grep -q "directory migrate" "$TMP/ps"
lacks "$TMP/ps" "$PW" "the password is not in argv"

check "slapd restarts" slapd_restart
expect_exit 0 "--resume completes the run" msm directory migrate --json --target "$T" --resume "$rid"
check "nothing failed on resume" jq -e '.failed == 0' "$TMP/out"
check "entries done before the kill were not done again" jq -e '.resumed > 0' "$TMP/out"
expect_exit 1 "a finished run cannot be resumed again" msm directory migrate --target "$T" --resume "$rid"

art=$T/.msmigrate/runs/$rid/artifacts
grep '^dn' "$art/directory-audit.ldif" | sort | uniq -d >"$TMP/dup-audit"
grep '^dn' "$art/directory-undo.ldif" | sort | uniq -d >"$TMP/dup-undo"
check "one audit record per entry" test ! -s "$TMP/dup-audit"
check "one undo record per entry" test ! -s "$TMP/dup-undo"
na=$(grep -c '^dn' "$art/directory-audit.ldif")
nu=$(grep -c '^dn' "$art/directory-undo.ldif")
check "as many undo as audit records ($na)" test "$na" -eq "$nu"
check "every user and group was changed" test "$na" -ge 1500
snap "$TMP/after"

# the same again from a preview: nothing left to change
expect_exit 0 "a preview after the resumed run" msm directory migrate --json -M sims \
    --mailhost mail2.siroe.com --base o=internet "${CONN[@]}"
check "nothing is left to migrate" jq -e '.changed == 0' "$TMP/out"

# undo restores the original; the audit LDIF on the original gives the migrated tree
expect_exit 0 "undo of the resumed run" msm directory undo --run "$rid" --apply "${CONN[@]}"
snap "$TMP/undone"
same "$TMP/before" "$TMP/undone" "undo restores slapcat exactly ($total entries)"
check "the audit LDIF applies with ldapmodify" slapd_modify "$art/directory-audit.ldif" "$TMP/rej"
snap "$TMP/replayed"
same "$TMP/after" "$TMP/replayed" "each entry was migrated exactly once (audit replay = resumed run)"

# the same with msmigrate itself killed (SIGKILL) in the middle
expect_exit 0 "back to the original tree" msm directory undo --run "$rid" --apply "${CONN[@]}"
"$MSMIGRATE" directory migrate -M sims --mailhost mail2.siroe.com --base o=internet -T 1 \
    --apply "${CONN[@]}" >"$TMP/run2.out" 2>"$TMP/run2.err" &
pid=$!
undo2=
n=0
for _ in $(seq 1 3000); do
    [ -n "$undo2" ] || undo2=$(ls "$T"/.msmigrate/runs/*/artifacts/directory-undo.ldif 2>/dev/null | grep -v "/$rid/" | head -1)
    if [ -n "$undo2" ]; then
        n=$(grep -c '^changetype:' "$undo2" 2>/dev/null)
        [ "${n:-0}" -ge 200 ] && break
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
check "msmigrate was killed in the middle ($n modifies sent)" test "${n:-0}" -ge 200
rid2=$(basename "$(dirname "$(dirname "$undo2")")")
tail -c 2000 "$undo2" >"$TMP/undo2.orig-tail" 2>/dev/null
# a kill can also cut the last record short before the entry reached the journal:
# simulate it with the last user of the tree (not reached yet); resume must cut it off
# (and, before it, a whole record of another entry the journal does not know)
last=$(grep '^dn: uid=' "$TMP/src/ldap/directory.ldif" | tail -1)
last2=$(grep '^dn: uid=' "$TMP/src/ldap/directory.ldif" | tail -2 | head -1)
for f in "$T/.msmigrate/runs/$rid2/artifacts/directory-audit.ldif" "$undo2"; do
    printf '\n%s\nchangetype: modify\nreplace: mailHost\nmailHost: x\n-\n' "$last2" >>"$f"
    printf '\n%s\nchangetype: modify\nreplace: mailHo' "$last" >>"$f"
done
expect_exit 3 "resume refuses the stale lock of the killed run" msm directory migrate --target "$T" \
    --resume "$rid2"
contains "$TMP/err" "--break-lock" "the refusal says how to break the stale lock"
expect_exit 0 "--resume --break-lock completes the run" msm directory migrate --json --target "$T" \
    --resume "$rid2" --break-lock
art2=$T/.msmigrate/runs/$rid2/artifacts
grep '^dn' "$art2/directory-audit.ldif" | sort | uniq -d >"$TMP/dup-audit2"
grep '^dn' "$art2/directory-undo.ldif" | sort | uniq -d >"$TMP/dup-undo2"
check "one audit and one undo record per entry" test ! -s "$TMP/dup-audit2" -a ! -s "$TMP/dup-undo2"
if [ -s "$TMP/dup-audit2" ] || [ -s "$TMP/dup-undo2" ]; then # diagnostics
    head -3 "$TMP/dup-audit2" "$TMP/dup-undo2" | sed 's/^/    | /'
    tail -c 600 "$TMP/undo2.orig-tail" 2>/dev/null | sed 's/^/    | tail before resume: /'
fi
check "the records the journal did not know were removed" sh -c "! grep -qx -e 'replace: mailHo' -e 'mailHost: x' '$art2/directory-undo.ldif' '$art2/directory-audit.ldif'"
check "the last user's undo record is whole" sh -c "grep -A3 -F '$last' '$art2/directory-undo.ldif' | grep -q '^replace: '"
check "every entry has its undo record ($na)" test "$(grep -c '^dn' "$art2/directory-undo.ldif")" -eq "$na"
snap "$TMP/after2"
same "$TMP/after" "$TMP/after2" "the resumed run gives the same directory as the first"
expect_exit 0 "undo of the second run" msm directory undo --run "$rid2" --apply "${CONN[@]}"
snap "$TMP/undone2"
same "$TMP/before" "$TMP/undone2" "undo restores slapcat exactly again"

if grep -rqF -- "$PW" "$T" "$TMP/run1.out" "$TMP/run1.err" "$TMP/run2.out" "$TMP/run2.err" "$TMP/out" "$TMP/err"; then
    not_ok "the password is in no artifact, journal or output"
else ok "the password is in no artifact, journal or output"; fi
finish
