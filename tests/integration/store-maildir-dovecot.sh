#!/bin/sh
# tests/integration/store-maildir-dovecot.sh - the Maildir++ export against a real Dovecot
#
# 1. `store export --sample` writes the sample store of a version to Maildir++;
#    `store manifest` of the export equals the manifest of the model (exact bytes).
# 2. A real Dovecot 2.3 (lib-dovecot.sh) serves the export; an IMAP client
#    (store-maildir-imap.py) logs in as every user and compares every folder
#    and message - bytes, flags, keywords, internal dates, UIDs, UIDVALIDITY,
#    subscriptions - with the model's manifest.
# 3. After Dovecot has opened the tree (it rewrites dovecot-uidlist), msmigrate
#    still reads the same store.
# 4. Maildir -> Maildir import, store verify clean (exit 0); tampered flags,
#    bytes, dates and a removed message are each reported (exit 2).
# 5. Export twice gives the same tree; --dry-run writes nothing.
# 6. Every product version whose store codec is loaded: `msmigrate sample`,
#    export through its codec, compare with the model, import the export back
#    into that version's store and verify it, and serve the export by Dovecot.
. "${MSM_TOP_SRCDIR:-.}/tests/integration/lib.sh"
. "${MSM_TOP_SRCDIR:-.}/tests/integration/lib-dovecot.sh"
IMAPC="${MSM_TOP_SRCDIR:-.}/tests/integration/store-maildir-imap.py"
trap 'dovecot_stop; cleanup' EXIT
USERS=6
V=ms-6.0

# 1. the model into Maildir++, exactly
expect_exit 0 "store export --sample writes the sample store" \
    msm store export --sample $USERS --from $V --to-maildir "$TMP/md"
# (readers list owners and folders in their own order: compare sorted lines)
msm store manifest --sample $USERS --from $V | sort >"$TMP/model.jsonl"
msm store manifest "$TMP/md" --from maildir | sort >"$TMP/export.jsonl"
check "manifest of the export equals the model's (bytes, flags, keywords, dates, UIDs, quotas, ACLs)" \
    cmp "$TMP/model.jsonl" "$TMP/export.jsonl"
check "the model has messages with bare LF and NUL bytes" \
    grep -q '"type":"message"' "$TMP/model.jsonl"
check "hosted-domain owners keep uid@domain as their directory" sh -c "ls '$TMP/md' | grep -q @"
check "non-ASCII folder names are modified UTF-7 on disk" sh -c "ls -a '$TMP/md'/* | grep -q '&'"
cp -a "$TMP/md" "$TMP/md-pristine"

# 2. Dovecot is the oracle
users=$(ls "$TMP/md")
if dovecot_start "$TMP/md" $users; then
    ok "dovecot started on 127.0.0.1:$DOVECOT_PORT"
    python3 "$IMAPC" "$DOVECOT_PORT" "$TMP/model.jsonl" >"$TMP/imap.out" 2>&1
    rc=$?
    tail -1 "$TMP/imap.out" | sed 's/^/    imap client: /'
    if [ $rc -eq 0 ]; then ok "Dovecot serves every folder and message as the model has them"
    else not_ok "Dovecot differs from the model"; grep '^not ok' "$TMP/imap.out" | head -20 | sed 's/^/    | /'; fi
    dovecot_stop
else
    not_ok "dovecot started"
fi

# 3. msmigrate reads what Dovecot left
msm store manifest "$TMP/md" --from maildir | sort >"$TMP/after.jsonl"
check "after Dovecot opened it, the export still reads as the model" cmp "$TMP/model.jsonl" "$TMP/after.jsonl"

# 4. Maildir -> Maildir, verify
expect_exit 0 "store import maildir -> maildir (4 threads)" \
    msm store import "$TMP/md-pristine" --to maildir "$TMP/md2" --threads 4
expect_exit 0 "store verify of the copy is clean" msm store verify "$TMP/md-pristine" "$TMP/md2"
contains "$TMP/out" "0 difference(s)" "verify says 0 differences"
u=$(ls "$TMP/md2" | head -1)
f=$(ls "$TMP/md2/$u/cur" | head -1)
mv "$TMP/md2/$u/cur/$f" "$TMP/md2/$u/cur/${f%:2,*}:2,T"
expect_exit 2 "a changed flag is a difference (exit 2)" msm store verify "$TMP/md-pristine" "$TMP/md2"
contains "$TMP/out" "flags differs" "verify names the flags"
f2=$(ls "$TMP/md2/$u/cur" | sed -n 2p)
printf 'X' >>"$TMP/md2/$u/cur/$f2"
touch -d @1 "$TMP/md2/$u/cur/$(ls "$TMP/md2/$u/cur" | sed -n 3p)"
rm "$TMP/md2/$u/cur/$(ls "$TMP/md2/$u/cur" | sed -n 4p)"
expect_exit 2 "changed bytes, date and a lost message are differences" \
    msm store verify --json "$TMP/md-pristine" "$TMP/md2"
contains "$TMP/out" "body digest differs" "verify names the body digest"
contains "$TMP/out" "internal date differs" "verify names the internal date"
contains "$TMP/out" "only in A" "verify names the missing message"
contains "$TMP/out" '"differences"' "verify --json reports a count"

# 5. idempotent, dry run
msm store export --sample $USERS --from $V --to-maildir "$TMP/md3" >/dev/null
msm store export --sample $USERS --from $V --to-maildir "$TMP/md3" >/dev/null
snap() { (cd "$1" && find . -path '*/cur/*' -type f -printf '%p %T@ %s\n' | sort && find . -type f ! -path '*/cur/*' -print0 | sort -z | xargs -0 sha256sum); }
snap "$TMP/md-pristine" >"$TMP/snap1"; snap "$TMP/md3" >"$TMP/snap3"
check "exporting twice gives the same tree as exporting once" cmp "$TMP/snap1" "$TMP/snap3"
expect_exit 0 "export --dry-run" msm store export --sample 2 --from $V --to-maildir "$TMP/dry" --dry-run
check "--dry-run wrote nothing" test ! -e "$TMP/dry"

# 6. every product store codec that is loaded, through Maildir to Dovecot
# one version per store codec generation (NMS 4.x, classic before 7.0.5, 7.0.5, 8.0.1+)
for v in sims-4.0 nms-3.x nms-4.1 ims-5.2 ms-7.0 ms-7.0.5 ms-8.1; do
    msm sample --version $v --users 3 --json "$TMP/src-$v" >"$TMP/sample-$v.json" 2>/dev/null
    if ! python3 -c "import json,sys; sys.exit(0 if json.load(open('$TMP/sample-$v.json'))['kinds']['store']['written'] else 1)" 2>/dev/null; then
        echo "# $v: no store codec is loaded yet; not exported"
        continue
    fi
    expect_exit 0 "$v: store export through its codec" \
        msm store export "$TMP/src-$v" --from $v --to-maildir "$TMP/md-$v"
    msm store manifest --sample 3 --from $v | sort >"$TMP/model-$v.jsonl"
    msm store manifest "$TMP/md-$v" --from maildir | sort >"$TMP/export-$v.jsonl"
    if cmp -s "$TMP/model-$v.jsonl" "$TMP/export-$v.jsonl"; then ok "$v: the export equals the sample model"
    else not_ok "$v: the export differs from the sample model"; diff "$TMP/model-$v.jsonl" "$TMP/export-$v.jsonl" | head -6 | cut -c1-200 | sed 's/^/    | /'; fi
    expect_exit 0 "$v: store import of the Maildir export back into a $v store" \
        msm store import "$TMP/md-$v" --to $v "$TMP/back-$v"
    expect_exit 0 "$v: store verify Maildir export vs re-imported $v store: no difference" \
        msm store verify "$TMP/md-$v" "$TMP/back-$v" --b-version $v
    if dovecot_start "$TMP/md-$v" $(ls "$TMP/md-$v"); then
        if python3 "$IMAPC" "$DOVECOT_PORT" "$TMP/model-$v.jsonl" >"$TMP/imap-$v.out" 2>&1; then
            ok "$v: Dovecot serves the export message for message"
        else
            not_ok "$v: Dovecot differs from the sample"; grep '^not ok' "$TMP/imap-$v.out" | head -5 | cut -c1-200 | sed 's/^/    | /'
        fi
        dovecot_stop
    else
        not_ok "$v: dovecot started"
    fi
done
finish
