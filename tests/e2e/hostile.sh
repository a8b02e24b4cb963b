#!/bin/bash
# End-to-end: a full scan of a hostile root must finish, stay inside the root and
# write valid reports. The fixture has symlink loops, symlinks pointing out of the
# root (one at a planted KESL install OUTSIDE the root, which must not be reported),
# a 10,000-level directory chain, 100,000 entries in one directory, an unreadable
# directory, a FIFO, a socket, a device node, names with a newline and with bytes
# that are not UTF-8 (some Kaspersky-named), and files created and deleted while
# the scan runs.
# Deep and wide trees are slow to build on disk filesystems: use tmpfs when there is one.
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
. "$(dirname "$0")/lib.sh"
chmod 755 "$T"

R=$T/root
O=$T/outside
mkdir -p "$R/etc" "$R/opt" "$R/run" "$R/var/tmp" "$R/dir" "$R/churn"
printf 'ID=debian\nVERSION_ID="12"\n' >"$R/etc/os-release"

# --- outside the root: a KESL install that links inside the root point at ---
mkdir -p "$O/opt/kaspersky/kesl/bin"
printf '#!/bin/sh\n' >"$O/opt/kaspersky/kesl/bin/kesl-control"
ln -s "$O/opt" "$R/opt-abs"                 # absolute host path: resolves inside the root, if at all
ln -s ../outside/opt "$R/opt-rel"           # relative, climbs out of the root
ln -s ../../outside/opt/kaspersky "$R/dir/vendor"
ln -s /etc/passwd "$R/passwd-link"
ln -s ../../../ "$R/dir/up"

# --- loops ---
ln -s b "$R/a"
ln -s a "$R/b"
ln -s .. "$R/dir/loop"
ln -s . "$R/self"

# --- deep and wide ---
py - "$R" <<'PY'
import os, sys
r = sys.argv[1]
fd = os.open(r, os.O_RDONLY)
os.mkdir("deep", dir_fd=fd)
d = os.open("deep", os.O_RDONLY, dir_fd=fd)
for _ in range(10000):
    os.mkdir("d", dir_fd=d)
    n = os.open("d", os.O_RDONLY, dir_fd=d)
    os.close(d)
    d = n
open(os.open("kaspersky-at-the-bottom", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=d), "w").close()
os.mkdir("wide", dir_fd=fd)
w = os.open("wide", os.O_RDONLY, dir_fd=fd)
for i in range(100000):
    os.close(os.open("f%06d" % i, os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=w))
PY

# --- unreadable directory with a Kaspersky-named file inside ---
mkdir -p "$R/locked"
: >"$R/locked/kaspersky-hidden"
chmod 000 "$R/locked"

# --- special files (a Kaspersky-named FIFO too: it must be named, never opened) ---
mkfifo "$R/run/fifo" "$R/run/kaspersky.fifo"
py -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$R/run/sock"
if [ "$(id -u)" = 0 ]; then mknod "$R/run/null" c 1 3; fi

# --- hostile names ---
: >"$R/var/tmp/kaspersky
remnant"
: >"$R/var/tmp/$(printf 'kaspersky\xff\xfe')"
mkdir -p "$R/opt/kaspersky/kesl/bin"
: >"$R/opt/kaspersky/kesl/bin/$(printf 'kesl-control\xff')"

# --- churn: files and directories appearing and vanishing during the scan ---
(
	i=0
	while :; do
		mkdir -p "$R/churn/d$((i % 50))/x" 2>/dev/null
		: >"$R/churn/f$((i % 200))" 2>/dev/null
		rm -rf "$R/churn/d$(((i + 25) % 50))" "$R/churn/f$(((i + 100) % 200))" 2>/dev/null
		i=$((i + 1))
	done
) &
churn=$!
defer "kill $churn 2>/dev/null; wait $churn 2>/dev/null"

scan() { # scan FORMAT OUT [PREFIX...]
	local fmt=$1 out=$2
	shift 2
	rc=0
	# the report goes through the shell: an unprivileged excise cannot write into $T
	"$@" timeout 300 "$EXCISE" scan --root "$R" --full -q --format "$fmt" >"$out" 2>"$T/scan.err" ||
		rc=$?
}

scan json "$T/out.json"
check "json scan finished with 0 or 1 (rc=$rc)" test "$rc" -le 1
[ "$rc" -le 1 ] || sed 's/^/# /' "$T/scan.err" | head -20
scan csv "$T/out.csv"
check "csv scan finished with 0 or 1 (rc=$rc)" test "$rc" -le 1
kill "$churn" 2>/dev/null
wait "$churn" 2>/dev/null

check "json report parses (strict: no raw control characters)" py -c '
import json, sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$T/out.json"

check "walk source ran and counted all entries" py - "$T/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
w = [s for s in r["sources"] if s["name"] == "walk"]
assert w and w[0]["status"] == "ok", w
# 10,000 deep + 100,000 wide + the rest
assert w[0]["observations"] >= 110000, w[0]["observations"]
PY

check "nothing outside the root is reported" py - "$T/out.json" "$T" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
tmp = sys.argv[2]
ev = [e for f in r["findings"] for e in per_match(f["evidence"])]
assert ev, "no evidence at all: the fixture's Kaspersky names should be found"
for e in ev:
    p = e.get("path") or ""
    assert tmp not in p and tmp not in (e.get("value") or ""), e
    assert not p.endswith("/kesl/bin/kesl-control"), ("outside file reported", e)
    if e["source"] in ("walk", "files"):
        assert p.startswith("/"), e
        assert "/outside/" not in p, e
PY

check "the newline name is one evidence path, escaped and decoded intact" py - "$T/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
paths = {e.get("path") for f in r["findings"] for e in per_match(f["evidence"])}
assert "/var/tmp/kaspersky\nremnant" in paths, sorted(p for p in paths if p)[:20]
raw = open(sys.argv[1], "rb").read()
assert b"kaspersky\\nremnant" in raw
PY

check "invalid UTF-8 is U+FFFD in path and raw bytes in path_hex" py - "$T/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
ev = [e for f in r["findings"] for e in per_match(f["evidence"])]
want = {
    b"/opt/kaspersky/kesl/bin/kesl-control\xff",
    b"/var/tmp/kaspersky\xff\xfe",
}
got = set()
for e in ev:
    p = e.get("path")
    if p is None:
        continue
    raw = p.encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AssertionError(("path is not valid UTF-8", e))
    if "path_hex" in e:
        b = bytes.fromhex(e["path_hex"])
        assert b.decode("utf-8", "replace") == p, e
        try:
            b.decode("utf-8")
            raise AssertionError(("path_hex on a valid UTF-8 path", e))
        except UnicodeDecodeError:
            pass
        got.add(b)
    else:
        assert "\ufffd" not in p, ("replacement character without path_hex", e)
assert want <= got, (want, got)
PY

check "the deep Kaspersky file is found" py - "$T/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
ps = [e.get("path") or "" for f in r["findings"] for e in per_match(f["evidence"])]
want = "/deep" + "/d" * 10000 + "/kaspersky-at-the-bottom"
assert want in ps, [p[-60:] for p in ps if "bottom" in p]
PY

check "the Kaspersky-named FIFO is reported (named, not opened)" py - "$T/out.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
ps = {e.get("path") for f in r["findings"] for e in per_match(f["evidence"])}
assert "/run/kaspersky.fifo" in ps, ps
PY

check "csv parses with the same number of columns per row and the newline name intact" \
	py - "$T/out.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8", newline="")))
assert len(rows) >= 2, rows
width = len(rows[0])
bad = [r for r in rows if len(r) != width]
assert not bad, (width, bad[:3])
cells = {c for r in rows[1:] for c in r}
assert "/var/tmp/kaspersky\nremnant" in cells, [c for c in cells if "remnant" in c]
PY

# As an unprivileged user the locked directory cannot be read: reported, and the walk goes on.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
	setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$EXCISE"; then
	chmod -R a+rX "$R/var" "$R/opt" 2>/dev/null
	scan json "$T/nobody.json" setpriv --reuid=nobody --regid=nogroup --clear-groups
	check "unprivileged scan finished with 0 or 1 (rc=$rc)" test "$rc" -le 1
	[ "$rc" -le 1 ] || sed 's/^/# /' "$T/scan.err" | head -20
	check "unreadable directory is an item error of the walk" py - "$T/nobody.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
w = [s for s in r["sources"] if s["name"] == "walk"][0]
assert w["status"] == "ok", w
assert w["n_errors"] >= 1 and any("/locked" in m for m in w["errors"]), w
ps = {e.get("path") for f in r["findings"] for e in per_match(f["evidence"])}
assert "/locked/kaspersky-hidden" not in ps
assert "/var/tmp/kaspersky\nremnant" in ps
PY
else
	ok "# SKIP unprivileged scan: not root, no setpriv, or the binary is not reachable for nobody"
fi

# More evidence than a scan keeps (EXCISE_MAX_EVIDENCE, 100000): 50001 files under
# /var/opt/kaspersky/kesl each match two path indicators. The scan says so, and the files
# source is incomplete (a limit stopped it); the verdict is still found.
E=$T/evidence-flood
py -c '
import os, sys
for i in range(50001):
    d = os.path.join(sys.argv[1], "%03d" % (i % 200))
    os.makedirs(d, exist_ok=True)
    os.close(os.open(os.path.join(d, "b%05d" % i), os.O_WRONLY | os.O_CREAT, 0o644))
' "$E/var/opt/kaspersky/kesl/bases"
mkdir -p "$E/etc" && echo 'ID=debian' >"$E/etc/os-release"
rc=0
"$EXCISE" scan --root "$E" --only files --format json -o "$T/flood.json" -q 2>"$T/flood.err" || rc=$?
check_eq "evidence flood: found (exit 1)" "$rc" 1
check "evidence flood: the files source says only the first 100000 pieces of evidence were kept" py - "$T/flood.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
s = [s for s in r["sources"] if s["name"] == "files"][0]
assert any("more than 100000 pieces of definitive evidence: only the first 100000 kept" in m for m in s["errors"]), s["errors"]
assert s["status"] == "failed" and s["error"].startswith("stopped by a limit: "), s
n = sum(1 for f in r["findings"] for e in per_match(f["evidence"]) if e["indicator"]["confidence"] == "definitive")
assert n == 100000, n
PY

done_testing
