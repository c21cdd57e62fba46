#!/usr/bin/env python3
# tests/integration/store-maildir-imap.py - the Dovecot oracle's IMAP client
#
# store-maildir-imap.py PORT MANIFEST [UIDS=yes|no]
# MANIFEST is `msmigrate store manifest` JSON lines (owner, folder, message
# objects) of the store that was exported. For every owner the client logs in
# to the real Dovecot as that user (password "pw-<user>", lib-dovecot.sh),
# lists every folder and compares, with what the manifest says:
#   folder names (IMAP modified UTF-7 decoded here, independently of msmigrate),
#   subscriptions (LSUB), UIDVALIDITY, and per message in UID order: UID,
#   flags, keywords, INTERNALDATE, RFC822.SIZE and the SHA-256 of BODY[]
#   against the manifest's imap_size / imap_sha256 (the bytes as an IMAP
#   server must send them: bare LF as CRLF, NUL as 0x80; the exact stored
#   bytes are compared by `store verify` on the files themselves).
# Prints "ok - ..." / "not ok - ..." lines, one per owner and folder, then
# "N passed, M failed"; exit 1 if anything failed.
import base64
import calendar
import hashlib
import imaplib
import json
import re
import sys
import time

port = int(sys.argv[1])
manifest = sys.argv[2]
check_uids = len(sys.argv) < 4 or sys.argv[3] != "no"
imaplib._MAXLINE = 10_000_000

passed = failed = 0


def ok(what):
    global passed
    passed += 1
    print("ok - " + what)


def not_ok(what):
    global failed
    failed += 1
    print("not ok - " + what)


def mutf7_decode(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "&":
            out.append(c)
            i += 1
            continue
        j = s.index("-", i)
        if j == i + 1:
            out.append("&")
        else:
            b = s[i + 1 : j].replace(",", "/")
            b += "=" * (-len(b) % 4)
            out.append(base64.b64decode(b).decode("utf-16-be"))
        i = j + 1
    return "".join(out)


def mutf7_encode(s):
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode("".join(run).encode("utf-16-be")).decode().rstrip("=")
            out.append("&" + b.replace("/", ",") + "-")
            run.clear()

    for c in s:
        if 0x20 <= ord(c) <= 0x7E:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            run.append(c)
    flush()
    return "".join(out)


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


LIST_RE = re.compile(rb'\((?P<flags>[^)]*)\) (?P<sep>"[^"]*"|NIL) (?P<name>.*)$')


def parse_list(data):
    names = []
    pending = None
    for item in data:
        if item is None:
            continue
        if isinstance(item, tuple):  # literal name
            names.append(item[1].decode())
            continue
        m = LIST_RE.match(item)
        if not m:
            continue
        n = m.group("name")
        if n.startswith(b'"'):
            n = n[1:-1].replace(b'\\"', b'"').replace(b"\\\\", b"\\")
        names.append(n.decode())
    del pending
    return names


owners, folders, messages = {}, {}, {}
with open(manifest, encoding="utf-8") as f:
    for line in f:
        o = json.loads(line)
        if o["type"] == "owner":
            owners[o["owner"]] = o
        elif o["type"] == "folder":
            folders.setdefault(o["owner"], {})[o["folder"]] = o
            messages.setdefault((o["owner"], o["folder"]), [])
        else:
            messages.setdefault((o["owner"], o["folder"]), []).append(o)

FETCH_RE = re.compile(
    rb"UID (\d+)|FLAGS \(([^)]*)\)|INTERNALDATE \"([^\"]+)\"|RFC822\.SIZE (\d+)"
)

for owner in sorted(owners):
    M = imaplib.IMAP4("127.0.0.1", port)
    try:
        M.login(owner, "pw-" + owner)
    except imaplib.IMAP4.error as e:
        not_ok("login %s: %s" % (owner, e))
        continue
    typ, data = M.list('""', "*")
    got = sorted(mutf7_decode(n) for n in parse_list(data))
    want = sorted(folders.get(owner, {}))
    if got == want:
        ok("%s: %d folders listed" % (owner, len(got)))
    else:
        not_ok("%s: folders differ: dovecot %r, source %r" % (owner, got, want))
    typ, data = M.lsub('""', "*")
    got = sorted(mutf7_decode(n) for n in parse_list(data))
    want = sorted(owners[owner]["subscriptions"])
    if got == want:
        ok("%s: %d subscriptions" % (owner, len(got)))
    else:
        not_ok("%s: subscriptions differ: dovecot %r, source %r" % (owner, got, want))
    for fname in sorted(folders.get(owner, {})):
        fo = folders[owner][fname]
        where = "%s/%s" % (owner, fname)
        typ, data = M.select(quote(mutf7_encode(fname)), readonly=True)
        if typ != "OK":
            not_ok("%s: SELECT failed: %r" % (where, data))
            continue
        uv = int(M.untagged_responses.get("UIDVALIDITY", [b"0"])[-1])
        problems = []
        if uv != fo["uidvalidity"] and check_uids:
            problems.append("UIDVALIDITY %d, source %d" % (uv, fo["uidvalidity"]))
        want_msgs = sorted(messages[(owner, fname)], key=lambda m: m["uid"])
        got_msgs = []
        if int(data[0]) > 0:
            typ, fdata = M.uid("FETCH", "1:*", "(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
            for item in fdata:
                if not isinstance(item, tuple):
                    continue
                meta = item[0]
                rec = {}
                for m in FETCH_RE.finditer(meta):
                    if m.group(1):
                        rec["uid"] = int(m.group(1))
                    if m.group(2) is not None:
                        fl = m.group(2).decode().split()
                        rec["flags"] = sorted(x for x in fl if x.startswith("\\") and x != "\\Recent")
                        rec["keywords"] = sorted(x for x in fl if not x.startswith("\\"))
                    if m.group(3):
                        rec["date"] = calendar.timegm(
                            time.strptime(m.group(3).decode()[:20], "%d-%b-%Y %H:%M:%S")
                        ) - (lambda z: (1 if z[0] == "+" else -1) * (int(z[1:3]) * 3600 + int(z[3:5]) * 60))(
                            m.group(3).decode()[21:]
                        )
                    if m.group(4):
                        rec["size"] = int(m.group(4))
                rec["body"] = item[1]
                got_msgs.append(rec)
        if len(got_msgs) != len(want_msgs):
            problems.append("%d messages, source %d" % (len(got_msgs), len(want_msgs)))
        for g, w in zip(got_msgs, want_msgs):
            u = w["uid"]
            if check_uids and g.get("uid") != u:
                problems.append("uid %s, source %d" % (g.get("uid"), u))
            if g.get("flags") != sorted(w["flags"]):
                problems.append("uid %d flags %r, source %r" % (u, g.get("flags"), w["flags"]))
            if g.get("keywords") != sorted(w["keywords"]):
                problems.append("uid %d keywords %r, source %r" % (u, g.get("keywords"), w["keywords"]))
            if g.get("date") != w["internaldate"]:
                problems.append("uid %d internaldate %r, source %d" % (u, g.get("date"), w["internaldate"]))
            if g.get("size") != w["imap_size"]:
                problems.append("uid %d RFC822.SIZE %r, source %d" % (u, g.get("size"), w["imap_size"]))
            if hashlib.sha256(g["body"]).hexdigest() != w["imap_sha256"]:
                problems.append("uid %d body bytes differ" % u)
        if problems:
            not_ok("%s: %s" % (where, "; ".join(problems[:10])))
        else:
            ok("%s: %d messages match" % (where, len(got_msgs)))
        M.close()
    M.logout()

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
