#!/bin/sh
# msmigrate config merge / install / uninstall on generated trees: a 5.2 sample as
# the old deployment, a 6.0 sample as the installed 6.0. Seed 000's Table 1 decides
# which *.MERGED / *.CHANGES files appear; install keeps byte-exact backups and is
# refused twice; uninstall restores config/ byte for byte and refuses edited files.
. "$MSM_TOP_SRCDIR/tests/integration/lib.sh"

msm sample $CHAIN --version 5.2 --users 4 --seed 3 "$TMP/old" >/dev/null
msm sample $CHAIN --version 6.0 --users 4 --seed 5 "$TMP/new" >/dev/null
OLDM="$TMP/old/msg-sample/imta/config"

# 1. merge: exactly the files Table 1 prescribes for the files present
expect_exit 0 "merge 5.2 -> 6.0" msm config merge --old "$TMP/old" --from 5.2 --new "$TMP/new" \
    --to 6.0 --out "$TMP/s1"
(cd "$TMP/s1" && ls | sort) >"$TMP/listing"
cat >"$TMP/want" <<'LIST'
aliases.MERGED
backup-groups.conf.CHANGES
backup-groups.conf.MERGED
conversions.MERGED
dispatcher.cnf.CHANGES
dispatcher.cnf.MERGED
imta.cnf.MERGED
imta_tailor.CHANGES
imta_tailor.MERGED
internet.rules.MERGED
job_controller.cnf.CHANGES
job_controller.cnf.MERGED
mappings.MERGED
msg.conf.CHANGES
option.dat.CHANGES
option.dat.MERGED
tcp_local_option.MERGED
LIST
check "out dir holds exactly Table 1's MERGED/CHANGES set" diff "$TMP/want" "$TMP/listing"
cred=$(sed -n 's/^local.ugldapbindcred = "\(.*\)"$/\1/p' "$TMP/old/msg-sample/config/msg.conf")
check "the sample has a bind credential to hide" test -n "$cred"
check "no CHANGES file shows the bind credential" sh -c "! grep -rqF -- '$cred' '$TMP/s1'/*.CHANGES"
contains "$TMP/s1/msg.conf.CHANGES" "local.ugldapbindcred" "the credential's key is still listed"
check "msg.conf gives only a CHANGES file" sh -c "[ -f '$TMP/s1/msg.conf.CHANGES' ] && [ ! -e '$TMP/s1/msg.conf.MERGED' ]"
check "imta.cnf identical to 6.0's: no CHANGES (only 'in some instances')" \
    sh -c "[ ! -e '$TMP/s1/imta.cnf.CHANGES' ]"
check "imta_tailor.MERGED has the 6.0 paths" grep -q '^IMTA_TABLE=/opt/SUNWmsgsr/config/$' "$TMP/s1/imta_tailor.MERGED"
lacks "$TMP/s1/imta_tailor.MERGED" "/usr/iplanet" "no 5.2 path left in imta_tailor.MERGED"
expect_exit 1 "merge refuses a non-empty --out" msm config merge --old "$TMP/old" --from 5.2 \
    --new "$TMP/new" --to 6.0 --out "$TMP/s1"
contains "$TMP/err" "not an empty directory" "names the problem"

# an include with a 5.2 path, and a file the table does not cover
sed -i 's|^<IMTA_TABLE:internet.rules$|&\n</usr/iplanet/server5/msg-sample/imta/config/local.rules|' "$OLDM/imta.cnf"
check "test setup: include added" grep -q '^</usr/iplanet/' "$OLDM/imta.cnf"
echo "x=1" >"$TMP/old/msg-sample/config/extra.conf"
expect_exit 0 "merge with an include path and an uncovered file" msm config merge --json \
    --old "$TMP/old" --from 5.2 --new "$TMP/new" --to 6.0 --out "$TMP/s2"
check "extra.conf listed as not merged" jq -e '[.not_merged[].relpath] == ["extra.conf"]' "$TMP/out"
check "json: msg.conf has no MERGED" jq -e '.files[] | select(.relpath=="msg.conf") | .merged == null and .changes != null' "$TMP/out"
check "no output for extra.conf" sh -c "! ls '$TMP/s2' | grep -q extra"
check "imta.cnf.MERGED: include rewritten to the 6.0 layout" \
    grep -qx '</opt/SUNWmsgsr/config/local.rules' "$TMP/s2/imta.cnf.MERGED"
check "imta.cnf.MERGED: symbolic include kept" grep -qx '<IMTA_TABLE:internet.rules' "$TMP/s2/imta.cnf.MERGED"
grep -v '^<' "$OLDM/imta.cnf" >"$TMP/old-body"
grep -v '^<' "$TMP/s2/imta.cnf.MERGED" >"$TMP/merged-body"
check "imta.cnf.MERGED: rewrite rules and channel blocks byte for byte the old ones" \
    cmp "$TMP/old-body" "$TMP/merged-body"
check "imta.cnf.MERGED: same line count as the old file" \
    sh -c "[ \$(wc -l <'$OLDM/imta.cnf') -eq \$(wc -l <'$TMP/s2/imta.cnf.MERGED') ]"
check "imta.cnf.CHANGES written when there is something to report" \
    grep -q 'local.rules' "$TMP/s2/imta.cnf.CHANGES"

# 2. install / uninstall
cp -a "$TMP/new" "$TMP/new.before"
expect_exit 0 "install" msm config install --scratch "$TMP/s1" --target "$TMP/new" --to 6.0
for f in imta.cnf imta_tailor job_controller.cnf tcp_local_option; do
    check "$f is the MERGED file" cmp "$TMP/s1/$f.MERGED" "$TMP/new/config/$f"
    check "$f backed up byte for byte" cmp "$TMP/new.before/config/$f" "$TMP/s1/installed/backup/$f"
done
check "msg.conf untouched (CHANGES only)" cmp "$TMP/new.before/config/msg.conf" "$TMP/new/config/msg.conf"
check "manifest says installed" grep -qx 'state="installed"' "$TMP/s1/installed/manifest"
check "manifest starts with its magic line" sh -c "head -1 '$TMP/s1/installed/manifest' | grep -qx '# msmigrate config-install manifest 1'"
check "nothing written outside the target and scratch" diff -r "$TMP/new.before/ldap" "$TMP/new/ldap"
expect_exit 1 "second install refused" msm config install --scratch "$TMP/s1" --target "$TMP/new" --to 6.0
contains "$TMP/err" "--force" "refusal names --force"
expect_exit 0 "uninstall" msm config uninstall --scratch "$TMP/s1" --target "$TMP/new"
check "config/ byte-identical to before install" diff -r "$TMP/new.before/config" "$TMP/new/config"
check "whole target identical to before install" diff -r "$TMP/new.before" "$TMP/new"
expect_exit 0 "second uninstall is a no-op" msm config uninstall --scratch "$TMP/s1" --target "$TMP/new" --json
check "says nothing to do" jq -e '(.note | test("nothing to do")) and (.files | length == 0)' "$TMP/out"
check "still identical" diff -r "$TMP/new.before/config" "$TMP/new/config"

# 3. an edited target makes uninstall refuse, naming the file; --force overrides
expect_exit 0 "install the second merge (creates nothing, replaces all)" \
    msm config install --scratch "$TMP/s2" --target "$TMP/new" --to 6.0 --json
check "json lists imta.cnf replaced" jq -e '[.files[] | select(.action=="replaced") | .path | endswith("/config/imta.cnf")] | any' "$TMP/out"
echo "! edited by hand" >>"$TMP/new/config/imta.cnf"
expect_exit 1 "uninstall refuses an edited file" msm config uninstall --scratch "$TMP/s2" --target "$TMP/new"
contains "$TMP/err" "$TMP/new/config/imta.cnf (edited since install)" "names the edited file"
check "refusal changed nothing" grep -q 'edited by hand' "$TMP/new/config/imta.cnf"
expect_exit 0 "uninstall --force" msm config uninstall --scratch "$TMP/s2" --target "$TMP/new" --force
check "config/ restored byte for byte" diff -r "$TMP/new.before/config" "$TMP/new/config"
finish
