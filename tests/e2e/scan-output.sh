#!/bin/bash
# End-to-end: the three report formats (JSON against docs/report.schema.json, CSV,
# text), exit statuses and -o, over a small fixture root with KESL on it, an empty
# root and a root that does not exist.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip_all "python3 not installed"
py -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema not installed"

KESL_VER=12.1.0-1191
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
CSV_HEADER='report_id,hostname,root,product_id,product,vendor,version,state,confidence,directives,source,kind,field,value,path,path_hex,attrs,indicator_id,indicator_confidence,indicator_source,indicators,finding_kind'
# A hostile file name: a newline (which could forge a line of the text report) and
# a byte that is not UTF-8.
EVIL=$'evil\nFOUND: nothing\xff'

# --- fixture: KESL installed (dpkg), its files, a leftover data directory ---
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/opt/kaspersky/kesl/bin" "$R/var/opt/kaspersky/kesl" "$R/etc"
cat >"$R/var/lib/dpkg/status" <<EOF
Package: bash
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 7164
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Version: 5.2.15-2+b2
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.

Package: kesl
Status: install ok installed
Priority: optional
Section: misc
Installed-Size: 1024
Maintainer: AO Kaspersky Lab <support@kaspersky.com>
Architecture: amd64
Version: $KESL_VER
Description: Kaspersky Endpoint Security for Linux
 Fixture written by excise's test suite.

EOF
printf '#!/bin/sh\n' >"$R/opt/kaspersky/kesl/bin/kesl-control"
chmod 0755 "$R/opt/kaspersky/kesl/bin/kesl-control"
: >"$R/opt/kaspersky/kesl/bin/$EVIL"
printf 'fixture-host\n' >"$R/etc/hostname"
printf 'PRETTY_NAME="Fixture Linux 1"\nID=fixture\n' >"$R/etc/os-release"
RREAL=$(realpath "$R")

# Empty but for a dpkg database with no packages: no os-release, no machine-id (an
# empty directory is no root: verdict.sh).
E=$T/empty
mkdir -p "$E/var/lib/dpkg"
: >"$E/var/lib/dpkg/status"

# csv_py FILE EXPR: EXPR over rows = list of CSV rows (header first) and raw = the bytes.
csv_py() {
	py - "$1" "$2" <<'PY'
import csv, io, sys
raw = open(sys.argv[1], "rb").read()
rows = list(csv.reader(io.StringIO(raw.decode("utf-8", "strict"), newline="")))
print(eval(sys.argv[2], {"rows": rows, "raw": raw, "len": len, "all": all, "any": any, "set": set,
                         "sorted": sorted}))
PY
}

# --- JSON ---
scan_json "$R"
check_eq "json: exit status 1 when KESL is installed" "$rc" 1
check "json: report validates against docs/report.schema.json" validate_report "$T/out.json"
check_eq "json: schema name" "$(jq_py "$T/out.json" 'r["schema"]')" "excise.report/2"
check "json: report_id is a version 4 UUID" grep -Eq "$UUID_RE" <<<"$(jq_py "$T/out.json" 'r["report_id"]')"
check_eq "json: host.root is the root given" "$(jq_py "$T/out.json" 'r["host"]["root"]')" "$RREAL"
check_eq "json: host.live is false for --root" "$(jq_py "$T/out.json" 'r["host"]["live"]')" False
check_eq "json: host.hostname from the root's /etc/hostname" \
	"$(jq_py "$T/out.json" 'r["host"]["hostname"]')" fixture-host
check_eq "json: started <= finished" "$(jq_py "$T/out.json" 'r["started"] <= r["finished"]')" True
check_eq "json: kesl found, installed, definitive, version $KESL_VER" \
	"$(finding_py "$T/out.json" kesl 'f and (f["state"], f["confidence"], f["version"], f["vendor"]["name"])')" \
	"('installed', 'definitive', '$KESL_VER', 'AO Kaspersky Lab')"
check_eq "json: the dpkg package is active evidence of kesl" \
	"$(finding_py "$T/out.json" kesl 'any(e["source"] == "dpkg" and e["kind"] == "package" and e["field"] == "name" and e["value"] == "kesl" and e["active"] and e["version"] == "'$KESL_VER'" for e in per_match(f["evidence"]))')" True
check_eq "json: bash is not a finding" \
	"$(jq_py "$T/out.json" 'any(e["value"] == "bash" for f in r["findings"] for e in per_match(f["evidence"]))')" False
check_eq "json: summary.verdict found, exit_code matches the exit status" \
	"$(jq_py "$T/out.json" '(r["summary"]["verdict"], r["summary"]["exit_code"])')" "('found', $rc)"
check_eq "json: summary counts agree with findings" "$(jq_py "$T/out.json" '(
	r["summary"]["findings"] == len(r["findings"]) and
	all(r["summary"]["by_state"][s] == len([f for f in r["findings"] if f["state"] == s])
	    for s in ("running", "installed", "trust", "remnant")) and
	all(r["summary"]["by_confidence"][c] == len([f for f in r["findings"] if f["confidence"] == c])
	    for c in ("definitive", "strong", "weak")))')" True
check_eq "json: sources_failed lists exactly the failed sources" "$(jq_py "$T/out.json" '(
	sorted(r["summary"]["sources_failed"]) == sorted(s["name"] for s in r["sources"] if s["status"] == "failed"))')" True
check_eq "json: every source is reported once" \
	"$(jq_py "$T/out.json" 'sorted(s["name"] for s in r["sources"])')" \
	'["browser-extensions", "dpkg", "files", "kmod", "launchd", "macos-apps", "macos-kexts", "macos-receipts", "nss-certs", "proc", "rpm", "systemd", "sysv", "truststore", "walk", "win-files", "win-services", "win-software", "win-users"]'
check_eq "json: proc is absent and walk skipped on an offline root without --full" \
	"$(jq_py "$T/out.json" '[s["status"] for s in r["sources"] if s["name"] in ("proc", "walk")]')" \
	'["absent", "skipped"]'
check_eq "json: findings are ordered most serious first" "$(jq_py "$T/out.json" '(
	[({"running": 3, "installed": 2, "trust": 1, "remnant": 0}[f["state"]], {"definitive": 3, "strong": 2, "weak": 1}[f["confidence"]]) for f in r["findings"]] ==
	sorted([({"running": 3, "installed": 2, "trust": 1, "remnant": 0}[f["state"]], {"definitive": 3, "strong": 2, "weak": 1}[f["confidence"]]) for f in r["findings"]], reverse=True))')" True
check_eq "json: a finding's confidence is that of its strongest evidence" "$(jq_py "$T/out.json" '(
	all(max({"definitive": 3, "strong": 2, "weak": 1}[e["indicator"]["confidence"]] for e in per_match(f["evidence"])) ==
	    {"definitive": 3, "strong": 2, "weak": 1}[f["confidence"]] for f in r["findings"]))')" True
check_eq "json: one record per artifact, its confidence its first (strongest) match's, matches strongest first" "$(jq_py "$T/out.json" '(
	all(e["confidence"] == e["matches"][0]["indicator"]["confidence"] and
	    [{"definitive": 3, "strong": 2, "weak": 1}[m["indicator"]["confidence"]] for m in e["matches"]] ==
	    sorted([{"definitive": 3, "strong": 2, "weak": 1}[m["indicator"]["confidence"]] for m in e["matches"]], reverse=True)
	    for f in r["findings"] for e in f["evidence"]) and
	len(set((f["product"]["id"], e["source"], e["kind"], e["path"], json.dumps(e.get("attrs"), sort_keys=True), e["matches"][0]["value"]) for f in r["findings"] for e in f["evidence"])) ==
	    sum(len(f["evidence"]) for f in r["findings"]))')" True
check_eq "json: the kesl package is one record with its name, maintainer and description matches" \
	"$(finding_py "$T/out.json" kesl '[sorted(m["field"] for m in e["matches"]) for e in f["evidence"] if e["source"] == "dpkg" and e.get("attrs", {}).get("package") == "kesl"]')" \
	"[['description', 'name', 'publisher']]"
check_eq "json: every finding has a kind" \
	"$(jq_py "$T/out.json" 'sorted(set(f["kind"] for f in r["findings"]))')" '["product"]'
# The hostile file name only appears once the files source reads /opt/kaspersky.
if [ "$(jq_py "$T/out.json" '[s["status"] for s in r["sources"] if s["name"] == "files"][0]')" = ok ]; then
	check_eq "json: an invalid UTF-8 path carries path_hex with its raw bytes" "$(py - "$T/out.json" "$EVIL" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
want = ("/opt/kaspersky/kesl/bin/" + sys.argv[2]).encode("utf-8", "surrogateescape")
ev = [e for f in r["findings"] for e in per_match(f["evidence"]) if e.get("path_hex") == want.hex()]
print(bool(ev) and all(e["path"] == want.decode("utf-8", "replace") for e in ev))
PY
)" True
	check_eq "json: path_hex only where the path is not UTF-8" "$(jq_py "$T/out.json" '(
		all(("path_hex" in e) == ("\ufffd" in (e["path"] or "")) for f in r["findings"] for e in per_match(f["evidence"])))')" True
else
	ok "json: path_hex # SKIP the files source did not run"
	ok "json: path_hex only where needed # SKIP the files source did not run"
fi

# --- CSV ---
rc=0
"$EXCISE" scan --root "$R" --format csv >"$T/out.csv" 2>"$T/scan.err" || rc=$?
check_eq "csv: exit status 1" "$rc" 1
check_eq "csv: header" "$(head -n1 "$T/out.csv" | tr -d '\r')" "$CSV_HEADER"
check_eq "csv: valid UTF-8, every row has 22 columns" "$(csv_py "$T/out.csv" 'all(len(x) == 22 for x in rows)')" True
check_eq "csv: every record ends with CRLF" \
	"$(csv_py "$T/out.csv" 'raw.endswith(b"\r\n") and raw.count(b"\r\n") >= len(rows)')" True
check_eq "csv: one row per artifact (evidence record) of the JSON report" \
	"$(csv_py "$T/out.csv" 'len(rows) - 1')" \
	"$(jq_py "$T/out.json" 'len([e for f in r["findings"] for e in f["evidence"]])')"
check_eq "csv: the indicators column lists every match of the record, strongest first" \
	"$(csv_py "$T/out.csv" 'sorted((x[3], x[14], x[20]) for x in rows[1:])')" \
	"$(jq_py "$T/out.json" 'str(sorted((f["product"]["id"], e["path"] or "", ";".join(m["indicator"]["id"] for m in e["matches"])) for f in r["findings"] for e in f["evidence"]))')"
check_eq "csv: rows per product match the JSON evidence counts" \
	"$(csv_py "$T/out.csv" 'sorted((p, len([x for x in rows[1:] if x[3] == p])) for p in set(x[3] for x in rows[1:]))')" \
	"$(py -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sorted((f["product"]["id"], len(f["evidence"])) for f in r["findings"]))' "$T/out.json")"
check_eq "csv: one report_id, a UUID, on every row" \
	"$(csv_py "$T/out.csv" 'len(set(x[0] for x in rows[1:])) == 1 and __import__("re").match(r"'"$UUID_RE"'", rows[1][0]) is not None')" True
check_eq "csv: the kesl package row" \
	"$(csv_py "$T/out.csv" 'any(x[3] == "kesl" and x[6] == "'$KESL_VER'" and x[7] == "installed" and x[10] == "dpkg" and x[11] == "package" and x[12] == "name" and x[13] == "kesl" and x[17] == "kesl.package.kesl" for x in rows[1:])')" True
check_eq "csv: directives joined with ';' as in JSON" \
	"$(csv_py "$T/out.csv" '[x[9] for x in rows[1:] if x[3] == "kesl"][0]')" \
	"$(finding_py "$T/out.json" kesl '";".join(d["short_name"] for d in f["directives"])')"
check_eq "csv: hostname and root columns" \
	"$(csv_py "$T/out.csv" 'set((x[1], x[2]) for x in rows[1:])')" "{('fixture-host', '$RREAL')}"
if grep -q 'path_hex' <<<"$(jq_py "$T/out.json" '[e for f in r["findings"] for e in per_match(f["evidence"]) if "path_hex" in e]')"; then
	check_eq "csv: path_hex column for the non-UTF-8 path" \
		"$(csv_py "$T/out.csv" 'sorted(x[15] for x in rows[1:] if x[15])')" \
		"$(py -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sorted(e["path_hex"] for f in r["findings"] for e in f["evidence"] if "path_hex" in e))' "$T/out.json")"
else
	ok "csv: path_hex column # SKIP no non-UTF-8 path in this report"
fi

# --- text ---
unset COLUMNS # the width of a report that goes to no terminal: $COLUMNS, else 100
rc=0
"$EXCISE" scan --root "$R" >"$T/out.txt" 2>"$T/scan.err" || rc=$?
check_eq "text: exit status 1" "$rc" 1
check "text: last line is the verdict" grep -Eq '^FOUND: [0-9]+ covered products?( \(.*\))?$' <<<"$(tail -n1 "$T/out.txt")"
check_eq "text: exactly one verdict line" "$(grep -Ec '^(FOUND|CLEAN|INCOMPLETE):' "$T/out.txt")" 1
check_eq "text: no ANSI escape when not on a terminal" "$(grep -c $'\033' "$T/out.txt")" 0
check "text: names the product and its version" grep -q "Kaspersky Endpoint Security for Linux $KESL_VER" "$T/out.txt"
check "text: evidence is indented under the product" grep -Eq '^    definitive +package kesl .*\[kesl\.package\.kesl \+2 more\]$' "$T/out.txt"
check_eq "text: one line per artifact (as many as JSON evidence records, less those saying the same)" \
	"$(grep -Ec '^    (definitive|strong|weak) ' "$T/out.txt")" \
	"$(jq_py "$T/out.json" 'sum(len(set((e["kind"], e["path"], e["state"], e["matches"][0]["indicator"]["id"], len(e["matches"]), tuple(m["value"] for m in e["matches"] if m["field"] == "name")) for e in f["evidence"])) for f in r["findings"])')"
check_eq "text: no line wider than 100 columns (no terminal, no \$COLUMNS)" \
	"$(py -c 'import sys; print(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()))' "$T/out.txt")" 100
check_eq "text: no line repeats within a finding" \
	"$(grep -E '^    ' "$T/out.txt" | sort | uniq -d | wc -l)" 0
COLUMNS=60 "$EXCISE" scan --root "$R" >"$T/out60.txt" 2>/dev/null || true
check_eq "text: COLUMNS=60: no line wider than 60 columns" \
	"$(py -c 'import sys; print(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()) <= 60)' "$T/out60.txt")" True
check "text: COLUMNS=60: a long path keeps its product-specific end" \
	grep -Eq '^    definitive +file /[^ ]*(…[^ ]*)?/kesl-control \(present\) \[' "$T/out60.txt"
for cols in 10001 abc 0; do
	COLUMNS=$cols "$EXCISE" scan --root "$R" >"$T/outc.txt" 2>/dev/null || true
	check_eq "text: COLUMNS=$cols (over EXCISE_MAX_TEXT_WIDTH or not a width): 100 columns" \
		"$(py -c 'import sys; print(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()))' "$T/outc.txt")" 100
done
COLUMNS=10000 "$EXCISE" scan --root "$R" >"$T/outc.txt" 2>/dev/null || true
check_eq "text: COLUMNS=10000: lines as wide as they are" \
	"$(py -c 'import sys; print(max(len(l) for l in open(sys.argv[1], encoding="utf-8").read().splitlines()) > 100)' "$T/outc.txt")" True
"$EXCISE" scan --root "$R" -v >"$T/outv.txt" 2>/dev/null || true
check_eq "text -v: every indicator of every artifact, one line each" \
	"$(grep -Eo '^        (definitive|strong|weak) +[a-z]+ .* \[[^]]+\]$' "$T/outv.txt" | sed -E 's/.*\[([^],]+)(, not in this catalog)?\]$/\1/' | sort | uniq -c | awk '{print $2 "=" $1}' | sort | tr '\n' ' ')" \
	"$(jq_py "$T/out.json" '" ".join(sorted("%s=%d" % (i, n) for i, n in __import__("collections").Counter(m["indicator"]["id"] for f in r["findings"] for e in f["evidence"] for m in e["matches"]).items())) + " "')"
check "text -v: the source and the attrs of the kesl package" grep -Eq '^    definitive dpkg +package kesl [^ ]+ \(installed\) \{package=kesl\}$' "$T/outv.txt"
check_eq "text: no byte of invalid UTF-8" \
	"$(py -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8"); print("ok")' "$T/out.txt" 2>&1)" ok
if grep -q 'path_hex' "$T/out.json"; then
	check "text: a newline in a file name is shown escaped" grep -qF 'evil\nFOUND: nothing' "$T/out.txt"
else
	ok "text: escaped file name # SKIP the files source did not report it"
fi
rc=0
"$EXCISE" scan --root "$R" --color always >"$T/color.txt" 2>/dev/null || rc=$?
check_eq "text --color always: exit status 1" "$rc" 1
check "text --color always: ANSI escapes present" grep -q $'\033\\[' "$T/color.txt"
check_eq "text --color always: same text without the escapes" \
	"$(sed -e $'s/\033\\[[0-9;]*m//g' "$T/color.txt" | sed 1d)" "$(sed 1d "$T/out.txt")"
rc=0
"$EXCISE" scan --root "$R" --color never >"$T/never.txt" 2>/dev/null || rc=$?
check_eq "text --color never: no ANSI escape" "$(grep -c $'\033' "$T/never.txt")" 0
if command -v script >/dev/null; then
	# On a terminal (script(1) provides one) --color auto colours, unless NO_COLOR is set.
	script -qec "env -u NO_COLOR '$EXCISE' scan --root '$R'" /dev/null >"$T/tty.txt" 2>&1 </dev/null || true
	check "text on a terminal: coloured by default" grep -q $'\033\\[' "$T/tty.txt"
	script -qec "NO_COLOR=1 '$EXCISE' scan --root '$R'" /dev/null >"$T/tty-nc.txt" 2>&1 </dev/null || true
	check "text on a terminal with NO_COLOR: the verdict is there" grep -q 'FOUND:' "$T/tty-nc.txt"
	check_eq "text on a terminal with NO_COLOR: no colour" "$(grep -c $'\033\\[[0-9;]*m' "$T/tty-nc.txt")" 0
else
	ok "tty colour # SKIP script(1) not installed"
	ok "tty NO_COLOR # SKIP script(1) not installed"
	ok "tty NO_COLOR # SKIP script(1) not installed"
fi

# --- -o FILE ---
rc=0
"$EXCISE" scan --root "$R" --format json -o "$T/o.json" >"$T/o.stdout" 2>"$T/o.stderr" || rc=$?
check_eq "-o: exit status 1" "$rc" 1
check_eq "-o: nothing on standard output" "$(wc -c <"$T/o.stdout")" 0
check "-o: the file holds a valid report" validate_report "$T/o.json"
check "-o: report_id differs from the previous scan" \
	test "$(jq_py "$T/o.json" 'r["report_id"]')" != "$(jq_py "$T/out.json" 'r["report_id"]')"
rc=0
"$EXCISE" scan --root "$R" -o "$T/o.txt" >"$T/o.stdout" 2>/dev/null || rc=$?
check_eq "-o text: exit 1, nothing on stdout, no escapes in the file" \
	"$rc $(wc -c <"$T/o.stdout") $(grep -c $'\033' "$T/o.txt")" "1 0 0"
check "-o text: ends with the verdict" grep -q '^FOUND:' <<<"$(tail -n1 "$T/o.txt")"
rc=0
"$EXCISE" scan --root "$R" -o "$T/no-such-dir/x.json" --format json >/dev/null 2>"$T/o.stderr" || rc=$?
check_eq "-o into a missing directory: exit status 2" "$rc" 2
check "-o into a missing directory: the message names the file" grep -qF "$T/no-such-dir/x.json" "$T/o.stderr"

# --- reports read back: /2 as written, and the same report as excise.report/1 ---
scan_json "$R"
cp "$T/out.json" "$T/v2.json"
py - "$T/v2.json" "$T/v1.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
r["schema"] = "excise.report/1"
for f in r["findings"]:
    del f["kind"]
    f["evidence"] = per_match(f["evidence"])
del r["summary"]["by_state"]["trust"]
json.dump(r, open(sys.argv[2], "w", encoding="utf-8"))
PY
check_eq "/1 report: one record per match (as /1 was)" \
	"$(jq_py "$T/v1.json" 'sum(len(f["evidence"]) for f in r["findings"])')" \
	"$(jq_py "$T/v2.json" 'sum(len(e["matches"]) for f in r["findings"] for e in f["evidence"])')"
rc=0
"$EXCISE" plan "$T/v2.json" --format json -o "$T/plan2.json" 2>"$T/plan.err" || rc=$?
# a name that is not UTF-8 is data (value_hex carries its bytes), not a refusal
check_eq "plan from the /2 report: made, the hostile file name refused by nothing (exit 0)" \
	"$rc:$(grep -c 'item.* refused by a safety rule' "$T/plan.err")" 0:0
rc=0
"$EXCISE" plan "$T/v1.json" --format json -o "$T/plan1.json" 2>"$T/plan.err" || rc=$?
check_eq "plan from the /1 report: made, the hostile file name refused by nothing (exit 0)" \
	"$rc:$(grep -c 'item.* refused by a safety rule' "$T/plan.err")" 0:0
check_eq "plans from /1 and /2 of one scan: the same steps" \
	"$(jq_py "$T/plan1.json" 'sorted((s["action"], s["target"]) for s in r["steps"])')" \
	"$(jq_py "$T/plan2.json" 'sorted((s["action"], s["target"]) for s in r["steps"])')"
check "plans from /1 and /2 of one scan: steps found" grep -q '"dpkg-purge"' "$T/plan2.json"

# --- an empty root ---
scan_json "$E"
check_eq "empty root: exit status 0" "$rc" 0
check "empty root: report validates" validate_report "$T/out.json"
check_eq "empty root: verdict clean, no findings, exit_code 0" \
	"$(jq_py "$T/out.json" '(r["summary"]["verdict"], len(r["findings"]), r["summary"]["exit_code"], r["summary"]["sources_failed"])')" \
	"('clean', 0, 0, [])"
check_eq "empty root: os and machine_id are null" \
	"$(jq_py "$T/out.json" '(r["host"]["os"], r["host"]["machine_id"])')" "(None, None)"
rc=0
"$EXCISE" scan --root "$E" --format csv >"$T/empty.csv" 2>/dev/null || rc=$?
check_eq "empty root csv: exit 0, header only" "$rc $(csv_py "$T/empty.csv" 'len(rows)')" "0 1"
rc=0
"$EXCISE" scan --root "$E" >"$T/empty.txt" 2>/dev/null || rc=$?
check_eq "empty root text: exit 0" "$rc" 0
check "empty root text: last line CLEAN" grep -q '^CLEAN: ' <<<"$(tail -n1 "$T/empty.txt")"

# --- a root that does not exist ---
rc=0
"$EXCISE" scan --root "$T/no-such-root" --format json >"$T/none.out" 2>"$T/none.err" || rc=$?
check_eq "missing root: exit status 2" "$rc" 2
check "missing root: the message names it" grep -qF "$T/no-such-root" "$T/none.err"
check_eq "missing root: no report written" "$(wc -c <"$T/none.out")" 0

done_testing
