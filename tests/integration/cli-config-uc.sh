#!/bin/sh
# msmigrate config toxml / fromxml / diff on generated ms-7.0 trees: toxml writes
# config.xml + restricted.cnf and moves exactly the absorbed legacy files to
# config/legacy-config/ (byte-exact, modes kept); --dry-run changes nothing; a second
# toxml is refused; fromxml restores the tree byte for byte (contents and modes) and
# refuses to lose changes made to config.xml unless --force; config diff reports
# entities with exit 0 (same) / 2 (different) and never shows secrets.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

msm sample $CHAIN --version 7.0 --users 3 --seed 4 "$TMP/d" >/dev/null
cp -a "$TMP/d" "$TMP/orig"
C="$TMP/d/config"
snapshot() { # snapshot DIR: relpath, mode and sha256 of every file
    (cd "$1" && find . -type f -exec stat -c '%n %a' {} + | sort && find . -type f -exec sha256sum {} + | sort)
}
snapshot "$TMP/orig" >"$TMP/snap0"

# 1. dry run
expect_exit 0 "toxml --dry-run" msm config toxml --dry-run --from 7.0 "$TMP/d"
contains "$TMP/out" "imta.cnf -> legacy-config/imta.cnf" "dry run lists the moves"
snapshot "$TMP/d" >"$TMP/snap1"
check "dry run changed nothing" cmp "$TMP/snap0" "$TMP/snap1"

# 2. version needed when the layout is ambiguous; versions without UC refused
expect_exit 1 "toxml without --from on an ambiguous layout is refused" msm config toxml "$TMP/d"
contains "$TMP/err" "--from" "the refusal says to pass --from"
expect_exit 1 "toxml of a 6.3 deployment is refused" msm config toxml --from 6.3 "$TMP/d"

# 3. the conversion
expect_exit 0 "toxml" msm config toxml --from 7.0 "$TMP/d"
check "config.xml written" test -f "$C/config.xml"
check "restricted.cnf written" test -f "$C/restricted.cnf"
check "restricted.cnf is not world-readable" sh -c "[ \$(stat -c %a '$C/restricted.cnf') = 600 ]"
for f in msg.conf imta.cnf option.dat mappings job_controller.cnf dispatcher.cnf conversions \
    internet.rules tcp_local_option; do
    check "$f moved to legacy-config/" sh -c "[ ! -e '$C/$f' ] && cmp '$TMP/orig/config/$f' '$C/legacy-config/$f'"
done
check "saved copies keep their modes" sh -c "[ \$(stat -c %a '$C/legacy-config/msg.conf') = \$(stat -c %a '$TMP/orig/config/msg.conf') ]"
for f in aliases imta_tailor backup-groups.conf msg.conf.defaults; do
    check "$f stays a separate file, unchanged" cmp "$TMP/orig/config/$f" "$C/$f"
done
contains "$C/config.xml" '<option name="channel:tcp_local.options.' "channel options under channel:NAME.options"
contains "$C/config.xml" '<option name="channel:tcp_local.keywords"' "channel keywords from imta.cnf"
contains "$C/config.xml" '<option name="local.hostname"' "msg.conf parameters at the base level"
contains "$C/config.xml" '<option name="job_controller.[POOL=DEFAULT].job_limit"' "job controller pools"
expect_exit 1 "a second toxml is refused" msm config toxml --from 7.0 "$TMP/d"
contains "$TMP/err" "fromxml" "the refusal names fromxml"

# 4. diff between the legacy tree and the converted one
expect_exit 2 "config diff of different trees exits 2" msm config diff "$TMP/orig/config" "$C"
contains "$TMP/out" "+++ config.xml" "diff lists config.xml as added"
contains "$TMP/out" "--- msg.conf" "diff lists msg.conf as removed"
contains "$TMP/out" "  + channel:tcp_local.keywords = " "the entities of an added file are listed"
contains "$TMP/out" '+ local.ugldapbindcred = "(secret, set)"' "a secret of an added file shows as set"
cred0=$(sed -n 's/^local.ugldapbindcred = "\(.*\)"$/\1/p' "$TMP/orig/config/msg.conf")
lacks "$TMP/out" "$cred0" "the tree diff never shows the secret"
expect_exit 0 "config diff of a tree with itself exits 0" msm config diff "$C" "$C"
printf 'local.hostname = "other.siroe.com"\nnew.param = 1\n' >"$TMP/m2"
grep -v '^local.hostname\|^store.quotaexceededmsg =' "$TMP/orig/config/msg.conf" | sed 's/^local.ugldapbindcred = .*/local.ugldapbindcred = "changed-secret-XYZ"/' >>"$TMP/m2"
cp "$TMP/m2" "$TMP/msg.conf"
expect_exit 2 "config diff of two msg.conf files" msm config diff "$TMP/orig/config/msg.conf" "$TMP/msg.conf"
contains "$TMP/out" '~ local.hostname: "mail.siroe.com" -> "other.siroe.com"' "a changed parameter"
contains "$TMP/out" '+ new.param = "1"' "an added parameter"
contains "$TMP/out" '- store.quotaexceededmsg = ' "a removed parameter"
contains "$TMP/out" '~ local.ugldapbindcred: "(secret, set)" -> "(secret, changed)"' "a changed secret shown as changed"
lacks "$TMP/out" "changed-secret-XYZ" "the new secret is not shown"
cred=$(sed -n 's/^local.ugldapbindcred = "\(.*\)"$/\1/p' "$TMP/orig/config/msg.conf")
lacks "$TMP/out" "$cred" "the old secret is not shown"
expect_exit 2 "config diff --json" msm config diff --json "$TMP/orig/config/msg.conf" "$TMP/msg.conf"
check "json parses and says different" sh -c "jq -e '.same == false and (.files[0].entities | length) >= 4' '$TMP/out'"
lacks "$TMP/out" "changed-secret-XYZ" "the json does not show the secret"
sed 's/^LOG_CONNECTION=.*/LOG_CONNECTION=7/' "$TMP/orig/config/option.dat" >"$TMP/option.dat.MERGED"
expect_exit 2 "config diff of option.dat with a *.MERGED file" msm config diff "$TMP/orig/config/option.dat" "$TMP/option.dat.MERGED"
contains "$TMP/out" "(option.dat)" "a .MERGED file is read with its format"
contains "$TMP/out" "~ LOG_CONNECTION:" "the changed option is named"
expect_exit 1 "config diff of a file and a directory is refused" msm config diff "$C" "$TMP/msg.conf"

# 5. fromxml refuses to lose changes made after the conversion
cp "$C/config.xml" "$TMP/config.xml.saved"
sed -i 's|name="local.hostname" value="[^"]*"|name="local.hostname" value="edited.siroe.com"|' "$C/config.xml"
expect_exit 1 "fromxml refuses when config.xml changed since toxml" msm config fromxml "$TMP/d"
contains "$TMP/err" "--force" "the refusal names --force"
check "the refusal changed nothing" test -f "$C/legacy-config/msg.conf"
expect_exit 0 "fromxml --dry-run" msm config fromxml --dry-run --force "$TMP/d"
check "dry run kept config.xml" test -f "$C/config.xml"

# 6. restore: byte for byte, modes included
expect_exit 0 "fromxml --force" msm config fromxml --force "$TMP/d"
snapshot "$TMP/d" >"$TMP/snap2"
check "the tree is byte-identical to before toxml (contents and modes)" cmp "$TMP/snap0" "$TMP/snap2"
expect_exit 1 "fromxml with nothing saved is refused" msm config fromxml --from 7.0 "$TMP/d"

# 7. round trip again without edits, then a damaged saved copy is refused
expect_exit 0 "toxml again" msm config toxml --from 7.0 "$TMP/d"
echo "x" >>"$C/legacy-config/option.dat"
expect_exit 1 "fromxml refuses a damaged saved copy" msm config fromxml "$TMP/d"
contains "$TMP/err" "option.dat" "the refusal names the damaged file"
check "nothing restored on refusal" test ! -e "$C/option.dat"

# 8. an unconvertible line names file:line and changes nothing
msm sample $CHAIN --version 7.0 --users 2 --seed 9 "$TMP/e" >/dev/null
echo "this is not a parameter" >>"$TMP/e/config/msg.conf"
n=$(wc -l <"$TMP/e/config/msg.conf")
snapshot "$TMP/e" >"$TMP/snap3"
expect_exit 1 "toxml refuses a line it cannot represent" msm config toxml --from 7.0 "$TMP/e"
contains "$TMP/err" "msg.conf:$n:" "the error names msg.conf:$n"
snapshot "$TMP/e" >"$TMP/snap4"
check "the refusal changed nothing" cmp "$TMP/snap3" "$TMP/snap4"

finish
