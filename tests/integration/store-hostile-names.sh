#!/bin/sh
# tests/integration/store-hostile-names.sh - hostile names and links write nothing outside
#
# A source Maildir++ tree with hostile entries (folder directories that decode
# to "/", "..", NUL or invalid modified UTF-7, a 255-byte name, symbolic links
# for a user, a folder and a message pointing outside) and a target with a
# planted link is imported. Every hostile entry is reported (exit 2), the good
# ones are copied, and a snapshot of the whole scratch tree outside the target
# is unchanged byte for byte; nothing in the target is a link or leads outside.
. "${MSM_TOP_SRCDIR:-.}/tests/integration/lib.sh"
S=$TMP/src
mkdir -p "$S/good/cur" "$S/good/new" "$TMP/outside" "$TMP/target"
printf 'Subject: ok\n\nfine' >"$S/good/cur/1.M1.h,S=20:2,S"
printf 'secret data' >"$TMP/outside/secret"
mk() { mkdir -p "$S/good/$1/cur" && printf 'Subject: x\n\nx' >"$S/good/$1/cur/2.M2.h,S=13:2,"; }
mk '.Fine'
mk '.a\2fb'                 # decodes to a name with '/'
mk '.\2e\2e'                # decodes to ".."
mk '.x\00y'                 # NUL escape
mk '.&Jjo'                  # invalid modified UTF-7
mk '.a..b'                  # empty component
mk ".$(printf 'n%.0s' $(seq 1 254))"   # 255-byte directory name: decodes fine, kept
ln -s "$TMP/outside" "$S/linkuser"
ln -s "$TMP/outside" "$S/good/.Linked"
ln -s "$TMP/outside/secret" "$S/good/cur/3.M3.h,S=11:2,S"
ln -s "$TMP/outside" "$TMP/target/linkuser"     # planted in the target
mkdir -p "$S/linkuser2/cur"; printf 'x' >"$S/linkuser2/cur/1.M1.h,S=1:2,"
ln -s "$TMP/outside" "$TMP/target/linkuser2"

snapshot() { (cd "$TMP" && find . -mindepth 1 -path ./target -prune -o -path ./out -prune -o -path ./err -prune -o -name '*.snap' -prune -o -printf '%p %y %s %T@ %l\n' | sort; find "$TMP/outside" "$S" -type f -exec sha256sum {} + | sort); }
snapshot >"$TMP/before.snap"
expect_exit 2 "import of the hostile tree reports refused entries (exit 2)" \
    msm store import "$S" --to maildir "$TMP/target" --threads 2
cp "$TMP/err" "$TMP/import.err.snap"
contains "$TMP/import.err.snap" "symbolic link" "links are refused and named"
contains "$TMP/import.err.snap" "not a valid folder directory name" "undecodable folder names are refused and named"
contains "$TMP/import.err.snap" "linkuser2" "a link planted in the target is refused"
n=$(grep -c "refused\|not a valid\|a link" "$TMP/import.err.snap")
[ "$n" -ge 8 ] && ok "every hostile entry reported ($n)" || not_ok "every hostile entry reported (only $n)"
snapshot >"$TMP/after.snap"
check "nothing outside the target changed (source read-only, nothing written outside)" cmp "$TMP/before.snap" "$TMP/after.snap"
check "the outside directory is still empty except its file" test "$(ls -A "$TMP/outside")" = secret
check "the good folders were copied" test -d "$TMP/target/good/.Fine/cur"
check "the 255-byte folder was copied" sh -c "ls -a '$TMP/target/good' | grep -q nnnnnnnnnn"
check "no link was created in the target (only the planted ones)" \
    test "$(find "$TMP/target" -type l | wc -l)" -eq 2
check "no message in the target holds the outside secret" sh -c "! grep -rq 'secret data' '$TMP/target'"
expect_exit 2 "verify of the target refuses the planted links too" msm store verify "$TMP/target" "$TMP/target"
rm "$TMP/target/linkuser" "$TMP/target/linkuser2"
expect_exit 0 "without them, the copy of the good part verifies against itself" msm store verify "$TMP/target" "$TMP/target"
finish
