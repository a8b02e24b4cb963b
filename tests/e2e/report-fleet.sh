#!/bin/bash
# End-to-end: directive tracking and the fleet reports. A fleet with known contents is
# built through the storage API (tests/fleet-fill.c: enroll, submit, as the collector
# does) from documents excise itself made: reports of `excise scan --root` over the
# shared `linux` fixture root and small roots made here, a plan from `excise plan`, an
# attestation from `excise verify`, and a removal summary (excise.removal/1). Then
# `excise report` must give the expected day-30, day-60, status, FAR, host and finding
# reports, on SQLite and on a real PostgreSQL (tests/pg-harness.sh), with every
# hostile string a host reported escaped for its format; and a fleet where nothing was
# found must say so.
#
# The fleet (org units agency/bureau-a and agency/bureau-b):
#   alpha    bureau-a  kesl installed; a plan                      -> plan_recorded
#   bravo    bureau-a  kesl; a plan, a removal run, then a complete
#                      clean report and a clean attestation        -> verified
#   charlie  bureau-b  clean, named =HYPERLINK(...)                -> clean
#   delta    bureau-b  its dpkg database unreadable: incomplete,
#                      named <script>...                           -> error
#   echo     bureau-b  enrolled, never reported, named x'; DROP... -> never_reported
#   foxtrot  bureau-a  the `linux` fixture (kesl, klnagent)        -> identified
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

FILL=${FLEET_FILL:?FLEET_FILL must name tests/fleet-fill}
HARNESS=${PG_HARNESS:-$EXCISE_SRC/tests/pg-harness.sh}
FIX=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
[ -f "$FIX.stamp" ] || FIX=$(dirname "$FIX")/fixture-linux

# mkroot DIR HOSTNAME MACHINE_ID kesl|clean|broken
mkroot() {
	mkdir -p "$1/etc" "$1/var/lib/dpkg"
	printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12"\n' >"$1/etc/os-release"
	printf '%s\n' "$3" >"$1/etc/machine-id"
	printf '%s\n' "$2" >"$1/etc/hostname"
	case $4 in
	kesl) printf 'Package: kesl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 12.1.0.1297\nMaintainer: AO Kaspersky Lab <support@kaspersky.com>\nDescription: Kaspersky Endpoint Security for Linux\n\n' >"$1/var/lib/dpkg/status" ;;
	clean) printf 'Package: bash\nStatus: install ok installed\nArchitecture: amd64\nVersion: 5.2\nDescription: shell\n\n' >"$1/var/lib/dpkg/status" ;;
	broken) mkdir -p "$1/var/lib/dpkg/status" ;;
	esac
}

CHARLIE='=HYPERLINK("http://evil.example/x","y")'
DELTA='<script>alert(1)</script>'
ECHO="x'; DROP TABLE host; --"
mkroot "$T/alpha" alpha a1000000000000000000000000000001 kesl
mkroot "$T/bravo" bravo b2000000000000000000000000000002 kesl
mkroot "$T/charlie" charlie c3000000000000000000000000000003 clean
mkroot "$T/delta" delta d4000000000000000000000000000004 broken
D=$T/docs
mkdir -p "$D"
rc=0
for h in alpha bravo charlie delta; do
	"$EXCISE" scan --root "$T/$h" --format json -o "$D/$h.report.json" 2>/dev/null || true
done
"$EXCISE" scan --root "$FIX" --format json -o "$D/foxtrot.report.json" 2>/dev/null || true
check "the scans wrote their reports" test -s "$D/alpha.report.json" -a -s "$D/delta.report.json" -a -s "$D/foxtrot.report.json"
check_eq "delta's report is incomplete" "$(jq_py "$D/delta.report.json" 'r["summary"]["verdict"]')" incomplete
for h in alpha bravo; do
	"$EXCISE" plan --root "$T/$h" --format json -o "$D/$h.plan.json" 2>/dev/null ||
		echo "# plan of $h failed"
done
# bravo: a removal run's summary, the product gone, a clean rescan and an attestation
cat >"$D/bravo.removal.json" <<EOF
{"schema":"excise.removal/1","run_id":"run-bravo-1","host":{"machine_id":"b2000000000000000000000000000002","hostname":"bravo"},
 "root":"$T/bravo","started":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","finished":"$(date -u +%Y-%m-%dT%H:%M:%SZ)","status":"done",
 "steps":{"total":1,"done":1,"failed":0,"skipped":0},"products":["kesl"]}
EOF
sleep 1 # the clean report comes after the finding, by the documents' own times
mkroot "$T/bravo" bravo b2000000000000000000000000000002 clean
"$EXCISE" verify --root "$T/bravo" -o "$D/bravo.att.json" --report "$D/bravo.after.json" >/dev/null 2>&1 ||
	echo "# verify of bravo failed"
FOX_MID=$(jq_py "$D/foxtrot.report.json" 'r["host"]["machine_id"]')

# fill DB: the fleet above through the storage API
fill() {
	local db=$1 id
	id=$("$FILL" "$db" enroll agency/bureau-a alpha a1000000000000000000000000000001 linux) || return 1
	"$FILL" "$db" submit "$id" "$D/alpha.report.json" "$D/alpha.plan.json" >/dev/null || return 1
	id=$("$FILL" "$db" enroll agency/bureau-a bravo b2000000000000000000000000000002 linux) || return 1
	"$FILL" "$db" submit "$id" "$D/bravo.report.json" "$D/bravo.plan.json" "$D/bravo.removal.json" \
		"$D/bravo.after.json" "$D/bravo.att.json" >/dev/null || return 1
	id=$("$FILL" "$db" enroll agency/bureau-b "$CHARLIE" c3000000000000000000000000000003 linux) || return 1
	"$FILL" "$db" submit "$id" "$D/charlie.report.json" >/dev/null || return 1
	id=$("$FILL" "$db" enroll agency/bureau-b "$DELTA" d4000000000000000000000000000004 linux) || return 1
	"$FILL" "$db" submit "$id" "$D/delta.report.json" >/dev/null || return 1
	"$FILL" "$db" enroll agency/bureau-b "$ECHO" e5000000000000000000000000000005 linux >/dev/null || return 1
	id=$("$FILL" "$db" enroll agency/bureau-a foxtrot "$FOX_MID" linux) || return 1
	"$FILL" "$db" submit "$id" "$D/foxtrot.report.json" >/dev/null || return 1
}

# the fleet where nothing was found: two clean hosts
fill_none() {
	local db=$1 id
	id=$("$FILL" "$db" enroll agency/bureau-b charlie c3000000000000000000000000000003 linux) || return 1
	"$FILL" "$db" submit "$id" "$D/charlie.report.json" >/dev/null || return 1
	id=$("$FILL" "$db" enroll agency/bureau-a bravo b2000000000000000000000000000002 linux) || return 1
	"$FILL" "$db" submit "$id" "$D/bravo.after.json" >/dev/null || return 1
}

cat >"$T/config.json" <<'EOF'
{"schema": "excise.report-config/1", "agency": "Department of Examples <b>&</b>",
 "contact": {"name": "Pat Doe", "phone": "+1 202 555 0100", "email": "pat@example.gov"},
 "mission_functions": "=cmd|' /C calc'!A0 payroll", "contracts": "none", "costs": "$0",
 "stale_days": 7,
 "far": {"contract_number": "GS-00F-0001X", "order_numbers": ["47QTCA-1"], "supplier": "Reseller Inc.",
         "mitigation": "removed under the agency's plan"}}
EOF

# checks DB LABEL: every report against the fleet in DB
checks() {
	local db=$1 b=$2 o=$T/$2
	expect "$b: hosts as JSON" 0 "" "$EXCISE" report --db "$db" --kind hosts --format json -o "$o-hosts.json"
	check_eq "$b: the hosts' states" \
		"$(jq_py "$o-hosts.json" '" ".join(sorted(h["hostname"][:7] + "=" + h["state"] for h in r["hosts"]))')" \
		"<script=error =HYPERL=clean alpha=plan_recorded bravo=verified foxtrot=identified x'; DRO=never_reported"
	check_eq "$b: the totals are the rows' (6 rows, 5 determined or not, 4 determined)" \
		"$(jq_py "$o-hosts.json" '[r["totals"]["rows"], len(r["hosts"]), r["totals"]["counted"], r["totals"]["determined"], r["totals"]["not_determined"]]')" \
		"[6, 6, 6, 4, 2]"
	check_eq "$b: every state total counts its rows" \
		"$(jq_py "$o-hosts.json" 'all(v == sum(h["state"] == k for h in r["hosts"]) for k, v in r["totals"]["states"].items())')" True
	check_eq "$b: SQL metacharacters in a host name stored and shown verbatim" \
		"$(jq_py "$o-hosts.json" '[h["hostname"] for h in r["hosts"] if h["state"] == "never_reported"][0]')" "$ECHO"
	check_eq "$b: bravo's milestones: identify, plan and removal late (after the 2017 dates), the status series ended" \
		"$(jq_py "$o-hosts.json" '[m["status"] for h in r["hosts"] if h["hostname"] == "bravo" for m in h["milestones"]]')" \
		'["late", "late", "late", "met"]'
	check_eq "$b: alpha's removal is overdue" \
		"$(jq_py "$o-hosts.json" '[m["status"] for h in r["hosts"] if h["hostname"] == "alpha" for m in h["milestones"]][2]')" overdue

	expect "$b: hosts as CSV" 0 "" "$EXCISE" report --db "$db" --kind hosts --format csv -o "$o-hosts.csv"
	check "$b: CSV: the formula host name neutralised, no cell starts with = + - @" py - "$o-hosts.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][:3] == ["host_id", "hostname", "org_unit"], rows[0]
assert len(rows) == 7, len(rows)
names = [r[1] for r in rows[1:]]
assert "'=HYPERLINK(\"http://evil.example/x\",\"y\")" in names, names
for r in rows:
    for c in r:
        assert not c or c[0] not in "=+-@\t\r", c
EOF
	expect "$b: --state clean: one host" 0 "" "$EXCISE" report --db "$db" --kind hosts --state clean --format json -o "$o-clean.json"
	check_eq "$b: --state clean lists charlie, and its totals count only it" \
		"$(jq_py "$o-clean.json" '[len(r["hosts"]), r["totals"]["rows"], r["totals"]["states"]["clean"]]')" "[1, 1, 1]"
	expect "$b: --org-unit agency/bureau-b" 0 "" "$EXCISE" report --db "$db" --kind hosts --org-unit agency/bureau-b --format json -o "$o-b.json"
	check_eq "$b: --org-unit keeps that unit's three hosts" "$(jq_py "$o-b.json" 'sorted(h["org_unit"] for h in r["hosts"])')" \
		'["agency/bureau-b", "agency/bureau-b", "agency/bureau-b"]'
	expect "$b: --org-unit with LIKE metacharacters matches nothing" 0 "" "$EXCISE" report --db "$db" --kind hosts --org-unit 'agency/%' --format json -o "$o-pct.json"
	check_eq "$b: ... no rows" "$(jq_py "$o-pct.json" 'len(r["hosts"])')" 0

	expect "$b: day30 as JSON" 0 "" "$EXCISE" report --db "$db" --kind day30 --format json -o "$o-d30.json"
	check_eq "$b: day30: products and endpoints per product" \
		"$(jq_py "$o-d30.json" '[r["none_found"], r["endpoints"], sorted((p["product_id"], p["endpoints"]) for p in r["products"])]')" \
		'[false, 2, [["kesl", 2], ["klnagent", 1]]]'
	check_eq "$b: day30: how they were found (sources)" "$(jq_py "$o-d30.json" '"dpkg" in r["methodology"]["sources"].split(",")')" True
	check_eq "$b: day30: coverage, and the hosts not determined listed" \
		"$(jq_py "$o-d30.json" '[r["coverage"]["determined"], sorted(h["state"] for h in r["not_determined"])]')" \
		'[4, ["error", "never_reported"]]'
	expect "$b: day30 as text says it" 0 "2 not determined \(1 never reported, 0 stale, 1 whose latest report is incomplete\)" \
		"$EXCISE" report --db "$db" --kind day30
	expect "$b: day30 as HTML" 0 "" "$EXCISE" report --db "$db" --kind day30 --format html -o "$o-d30.html"
	check "$b: HTML: the host names escaped, self-contained, printable" py - "$o-d30.html" <<'EOF'
import sys
h = open(sys.argv[1]).read()
assert "&lt;script&gt;alert(1)&lt;/script&gt;" in h
assert "<script" not in h.lower()
assert "x&#39;; DROP TABLE host; --" in h
assert "@media print" in h and "Content-Security-Policy" in h
assert " src=" not in h and "<link" not in h and "href=" not in h
EOF
	expect "$b: day60 as JSON" 0 "" "$EXCISE" report --db "$db" --kind day60 --config "$T/config.json" --format json -o "$o-d60.json"
	check_eq "$b: day60: items a-n, each with its source" \
		"$(jq_py "$o-d60.json" '"".join(i["item"] for i in r["items"]) + " " + "".join(i["source"][0] for i in r["items"])')" \
		"abcdefghijklmn ccmmmmccmccccc"
	check_eq "$b: day60: the agency from the config, the timeline from the recorded plans and runs" \
		"$(jq_py "$o-d60.json" '[r["items"][0]["text"], r["timeline"]["plans"], r["timeline"]["removals_started"], r["timeline"]["verified"], r["timeline"]["remaining"], r["components"]]')" \
		'["Department of Examples <b>&</b>", 2, 1, 1, 2, {"agency/bureau-a": 2}]'
	expect "$b: day60 as HTML: the config's text escaped" 0 "" "$EXCISE" report --db "$db" --kind day60 --config "$T/config.json" --format html -o "$o-d60.html"
	check "$b: ... escaped" grep -q 'Department of Examples &lt;b&gt;&amp;&lt;/b&gt;' "$o-d60.html"

	expect "$b: status as JSON" 0 "" "$EXCISE" report --db "$db" --kind status --format json -o "$o-st.json"
	check_eq "$b: status: removed, verified, remaining, overdue, exempt" \
		"$(jq_py "$o-st.json" '[r["status"][k] for k in ("removed", "verified", "remaining", "overdue", "exempt")] + [sorted(h["hostname"] for h in r["remaining"])]')" \
		'[1, 1, 2, 2, 0, ["alpha", "foxtrot"]]'
	expect "$b: far as JSON" 0 "" "$EXCISE" report --db "$db" --kind far --config "$T/config.json" --format json -o "$o-far.json"
	check_eq "$b: far: the contract from the config, an article per product, brand from the catalog" \
		"$(jq_py "$o-far.json" '[r["contract"]["contract_number"], r["contract"]["order_numbers"], sorted(a["product_id"] for a in r["articles"]), r["articles"][0]["supplier"], "Kaspersky" in (r["articles"][0]["brand"] or "")]')" \
		'["GS-00F-0001X", ["47QTCA-1"], ["kesl", "klnagent"], "Reseller Inc.", true]'
	check_eq "$b: far: the initial report is due 3 business days after the first finding" \
		"$(jq_py "$o-far.json" 'all(a["initial_report_due"] is not None and a["initial_report_due"] >= a["first_found"][:10] for a in r["articles"])')" True
	# the organisation closes each initial report's due day (closed_days): each moves to a later business day
	py -c 'import json,sys; r=json.load(open(sys.argv[1])); json.dump({"closed_days": sorted({a["initial_report_due"][:10] for a in r["articles"]})}, open(sys.argv[2], "w"))' \
		"$o-far.json" "$T/closed-$b.json"
	expect "$b: far as JSON, the config closing the due days" 0 "" "$EXCISE" report --db "$db" --kind far --config "$T/closed-$b.json" --format json -o "$o-far2.json"
	check_eq "$b: far: each initial report due later, on a day not closed" \
		"$(py -c 'import json,sys; a=sorted(json.load(open(sys.argv[1]))["articles"], key=lambda x: x["product_id"]); b=sorted(json.load(open(sys.argv[2]))["articles"], key=lambda x: x["product_id"]); c=set(json.load(open(sys.argv[3]))["closed_days"]); print(len(a) == len(b) > 0 and all(y["initial_report_due"][:10] > x["initial_report_due"][:10] and y["initial_report_due"][:10] not in c for x, y in zip(a, b)))' "$o-far.json" "$o-far2.json" "$T/closed-$b.json")" True
	expect "$b: far as text" 0 "contract number +GS-00F-0001X" "$EXCISE" report --db "$db" --kind far --config "$T/config.json"
	expect "$b: findings as CSV" 0 "" "$EXCISE" report --db "$db" --kind findings --format csv -o "$o-f.csv"
	check_eq "$b: findings: the covered findings of the latest reports (bravo's are gone)" \
		"$(py -c 'import csv,sys; print(sorted((r["hostname"], r["product_id"]) for r in csv.DictReader(open(sys.argv[1])) if r["product_id"] != "kaspersky:traces"))' "$o-f.csv")" \
		"[('alpha', 'kesl'), ('foxtrot', 'kesl'), ('foxtrot', 'klnagent')]"

	# errors: exit 2, and no output file
	expect "$b: an unknown directive: exit 2" 2 "directive 'nope': not in the catalog" \
		"$EXCISE" report --db "$db" --kind day30 --directive nope -o "$o-bad.txt"
	check "$b: ... and no output file" test ! -e "$o-bad.txt"
}

# admin DB LABEL: the organisation's writes move hosts through the other states: foxtrot
# exempt (reason, approver, expiry), charlie retired (not counted), an expected host that
# never enrolled, the organisation's own start date (40 days ago: day 30 passed, day 60
# not yet); then charlie reports again and comes back.
admin() {
	local db=$1 b=$2 o=$T/$2-adm day=86400 now
	now=$(date +%s)
	check "$b: exempt foxtrot" "$FILL" "$db" exempt foxtrot dhs-bod-17-01 "mission system <b>" "CIO O'Brien" $((now + 30 * day))
	check "$b: retire charlie" "$FILL" "$db" retire "$CHARLIE" "decommissioned"
	printf 'org_unit,hostname\nagency/bureau-b,golf\nagency/bureau-a,alpha\n' >"$T/inventory.csv"
	check "$b: import the expected inventory" "$FILL" "$db" expect "$T/inventory.csv"
	check "$b: the organisation's start date" "$FILL" "$db" start dhs-bod-17-01 $((now - 40 * day))
	expect "$b: hosts after the admin writes" 0 "" "$EXCISE" report --db "$db" --kind hosts --format json -o "$o-hosts.json"
	check_eq "$b: exempt, retired, and the expected host that never enrolled (alpha, enrolled, is not twice)" \
		"$(jq_py "$o-hosts.json" '" ".join(sorted(h["hostname"][:7] + "=" + h["state"] for h in r["hosts"]))')" \
		"<script=error =HYPERL=retired alpha=plan_recorded bravo=verified foxtrot=exempt golf=never_reported x'; DRO=never_reported"
	check_eq "$b: the exemption's reason, approver and expiry on its row" \
		"$(jq_py "$o-hosts.json" '[(h["exempt_reason"], h["exempt_approver"], h["exempt_expires"] is not None) for h in r["hosts"] if h["state"] == "exempt"]')" \
		'[["mission system <b>", "CIO O'"'"'Brien", true]]'
	check_eq "$b: the retired host is not counted" "$(jq_py "$o-hosts.json" '[r["totals"]["rows"], r["totals"]["counted"]]')" "[7, 6]"
	check_eq "$b: the organisation's dates: alpha identified late (day 30 passed), its plan met, its removal pending" \
		"$(jq_py "$o-hosts.json" '[m["status"] for h in r["hosts"] if h["hostname"] == "alpha" for m in h["milestones"]]')" \
		'["late", "met", "pending", "pending"]'
	expect "$b: status after the admin writes" 0 "" "$EXCISE" report --db "$db" --kind status --format json -o "$o-st.json"
	check_eq "$b: status: foxtrot exempt, not remaining, not overdue; nothing overdue before day 90" \
		"$(jq_py "$o-st.json" '[r["status"][k] for k in ("removed", "remaining", "overdue", "exempt")] + [[h["hostname"] for h in r["exempt"]], r["start_set_by_organisation"]]')" \
		'[1, 1, 0, 1, ["foxtrot"], true]'
	expect "$b: the status report as HTML lists the exemption, escaped" 0 "" \
		"$EXCISE" report --db "$db" --kind status --format html -o "$o-st.html"
	check "$b: ... reason and approver escaped" grep -q "mission system &lt;b&gt;</td><td>CIO O&#39;Brien" "$o-st.html"
	filings "$db" "$b"
	# the retired host reports again: back in the fleet
	sleep 1
	"$EXCISE" scan --root "$T/charlie" --format json -o "$T/charlie.again.json" 2>/dev/null || true
	check "$b: the retired host reports again" "$FILL" "$db" submit "$(jq_py "$o-hosts.json" '[h["host_id"] for h in r["hosts"] if h["state"] == "retired"][0]')" "$T/charlie.again.json"
	expect "$b: hosts after that" 0 "" "$EXCISE" report --db "$db" --kind hosts --state clean --format json -o "$o-back.json"
	check_eq "$b: it counts again, clean" "$(jq_py "$o-back.json" '[h["hostname"][:10] for h in r["hosts"]]')" '["=HYPERLINK"]'
}

# filings DB LABEL: the organisation's filed FAR reports, recorded with `excise serve filing`
# (its admin verbs on the same database), then shown by `excise report`: R1 filed today for
# agency/bureau-a covers the three hosts identified there today; revoked, it no longer does.
filings() {
	local db=$1 b=$2 o=$T/$2-fil today far=far-52.204-23 fid
	local srv=("$EXCISE" serve --state-dir "$T/$2-state" --db "$db")
	today=$(date -u +%F)
	expect "$b: far before any filing: R1 pending for the three hosts found, none filed" 0 "" \
		"$EXCISE" report --db "$db" --kind far --format json -o "$o-far0.json"
	check_eq "$b: ... R1 and R2 take filings; the hosts no filing covers listed and counted alike" \
		"$(jq_py "$o-far0.json" '[(m["milestone"], len(m["filings"]), sorted(h["hostname"] for h in m["not_covered"]), m["hosts"]["pending"] + m["hosts"]["overdue"]) for m in r["filings"]]')" \
		'[["R1", 0, ["alpha", "bravo", "foxtrot"], 3], ["R2", 0, ["alpha", "bravo", "foxtrot"], 3]]'
	expect "$b: filing add: R1 for agency/bureau-a" 0 "^filing [0-9a-f]+: $far R1 filed on $today for agency/bureau-a" \
		"${srv[@]}" filing add "$far" R1 "$today" --reference "DIBNet <1>'; --" --org-unit agency/bureau-a --by alice
	fid=$(sed -n 's/^filing \([0-9a-f]*\):.*/\1/p' "$T/.out")
	expect "$b: filing add: a milestone the tracker derives is refused" 2 "not a report the organisation files" \
		"${srv[@]}" filing add dhs-bod-17-01 M4 "$today" --reference x
	expect "$b: filing add: a vendor's deadline is refused" 2 "not a report the organisation files" \
		"${srv[@]}" filing add bis-icts-2021-002 B1 "$today" --reference x
	expect "$b: filing add: no such milestone" 2 "no milestone of $far" "${srv[@]}" filing add "$far" R9 "$today" --reference x
	expect "$b: filing add: a day after today" 2 "after today" "${srv[@]}" filing add "$far" R1 2999-01-01 --reference x
	expect "$b: filing add: an org unit nothing names" 2 "agency/bureau-z' is unknown" \
		"${srv[@]}" filing add "$far" R1 "$today" --reference x --org-unit agency/bureau-z
	expect "$b: filing add without --reference: a usage error" 2 "reference" "${srv[@]}" filing add "$far" R1 "$today"
	expect "$b: filing revoke without --reason: a usage error" 2 "reason" "${srv[@]}" filing revoke "$fid"
	expect "$b: filing list" 0 "^$fid +$far +R1 +$today +agency/bureau-a +alice +in force +DIBNet <1>'; --" "${srv[@]}" filing list
	expect "$b: far after the filing" 0 "" "$EXCISE" report --db "$db" --kind far --format json -o "$o-far1.json"
	check_eq "$b: ... R1 met for the three (the filing listed), R2 still not covered" \
		"$(jq_py "$o-far1.json" '[(m["milestone"], [(f["filed"], f["reference"], f["org_unit"], f["recorded_by"]) for f in m["filings"]], sorted(h["hostname"] for h in m["not_covered"]), m["hosts"]["met"]) for m in r["filings"]]')" \
		"[[\"R1\", [[\"$today\", \"DIBNet <1>'; --\", \"agency/bureau-a\", \"alice\"]], [], 3], [\"R2\", [], [\"alpha\", \"bravo\", \"foxtrot\"], 0]]"
	expect "$b: hosts of FAR: the same milestones on the rows" 0 "" \
		"$EXCISE" report --db "$db" --kind hosts --directive "$far" --format json -o "$o-hosts.json"
	check_eq "$b: ... alpha: R1 met today, R2 pending" \
		"$(jq_py "$o-hosts.json" '[(m["id"], m["status"]) for h in r["hosts"] if h["hostname"] == "alpha" for m in h["milestones"]]')" \
		'[["R1", "met"], ["R2", "pending"]]'
	expect "$b: far as text shows the filing" 0 "Reports filed: R1.*" "$EXCISE" report --db "$db" --kind far
	check "$b: ... its day and reference" grep -Eq "$today +DIBNet <1>'; -- +agency/bureau-a" "$T/.out"
	expect "$b: far as HTML: the reference escaped" 0 "" "$EXCISE" report --db "$db" --kind far --format html -o "$o-far.html"
	check "$b: ... escaped" grep -q "DIBNet &lt;1&gt;&#39;; --" "$o-far.html"
	expect "$b: the status report of FAR shows the filings too" 0 "" \
		"$EXCISE" report --db "$db" --kind status --directive "$far" --format json -o "$o-st.json"
	check_eq "$b: ... R1's filing" "$(jq_py "$o-st.json" '[len(m["filings"]) for m in r["filings"]]')" "[1, 0]"
	expect "$b: a report of agency/bureau-b (a sibling): the filing is not its" 0 "" \
		"$EXCISE" report --db "$db" --kind far --org-unit agency/bureau-b --format json -o "$o-far-b.json"
	check_eq "$b: ... no filing, no host found" "$(jq_py "$o-far-b.json" '[(len(m["filings"]), len(m["not_covered"])) for m in r["filings"]]')" \
		"[[0, 0], [0, 0]]"
	expect "$b: filing revoke" 0 "filing $fid revoked" "${srv[@]}" filing revoke "$fid" --reason "wrong contract" --by bob
	expect "$b: filing revoke again: refused" 2 "already revoked" "${srv[@]}" filing revoke "$fid" --reason again
	expect "$b: filing list shows it revoked, and why" 0 "revoked +DIBNet <1>'; -- \(revoked: wrong contract\)" \
		"${srv[@]}" filing list "$far"
	expect "$b: far after the revocation" 0 "" "$EXCISE" report --db "$db" --kind far --format json -o "$o-far2.json"
	check_eq "$b: ... R1 no longer covered" \
		"$(jq_py "$o-far2.json" '[(len(m["filings"]), len(m["not_covered"])) for m in r["filings"]]')" "[[0, 3], [0, 3]]"
}

checks_none() {
	local db=$1 b=$2
	expect "$b: none found: day30 says so explicitly" 0 "None found\. No product covered by BOD 17-01 was found on any of the 2 hosts" \
		"$EXCISE" report --db "$db" --kind day30
	expect "$b: none found: as JSON" 0 "" "$EXCISE" report --db "$db" --kind day30 --format json -o "$T/$b-none.json"
	check_eq "$b: none found: none_found, no products, 2 determined" \
		"$(jq_py "$T/$b-none.json" '[r["none_found"], r["products"], r["coverage"]["determined"]]')" '[true, [], 2]'
	expect "$b: none found: far has no article" 0 "None found" "$EXCISE" report --db "$db" --kind far
}

# ---- SQLite ----
check "SQLite: the fleet stored through the storage API" fill "$T/fleet.db"
checks "$T/fleet.db" sqlite
admin "$T/fleet.db" sqlite
check "SQLite: the none-found fleet" fill_none "$T/none.db"
checks_none "$T/none.db" sqlite

# ---- usage and config errors ----
expect "no --db: a usage error" 2 "--db is required" "$EXCISE" report --kind day30
expect "a database that is not there is not created" 2 "database '$T/nothere.db': No such file" \
	"$EXCISE" report --db "$T/nothere.db" --kind day30
check "... and nothing was created" test ! -e "$T/nothere.db"
expect "csv is for tables" 2 "--format csv does not go with --kind day30" "$EXCISE" report --db "$T/fleet.db" --kind day30 --format csv
expect "--state only with hosts" 2 "--state goes with --kind hosts" "$EXCISE" report --db "$T/fleet.db" --kind day30 --state clean
expect "a bad --now" 2 "--now: invalid value" "$EXCISE" report --db "$T/fleet.db" --kind day30 --now 2017-02-30
printf '{"agency": "x", "agnecy": "y"}' >"$T/bad.json"
expect "a config with an unknown member names the file and the member" 2 "report config '$T/bad.json': .*unknown member 'agnecy'" \
	"$EXCISE" report --db "$T/fleet.db" --kind day60 --config "$T/bad.json"
printf '{"far": {"contract_number": 12}}' >"$T/bad2.json"
expect "a config member of the wrong type names its place" 2 "report config '$T/bad2.json': /far/contract_number: expected a string" \
	"$EXCISE" report --db "$T/fleet.db" --kind far --config "$T/bad2.json" -o "$T/far-bad.txt"
check "... and no output file" test ! -e "$T/far-bad.txt"
expect "--now moves the clock: before day 30 the identify milestone is pending" 0 "" \
	"$EXCISE" report --db "$T/fleet.db" --kind hosts --format json --now 2017-09-20 -o "$T/early.json"
check_eq "... and nobody is stale yet (reports from the future are not silence)" \
	"$(jq_py "$T/early.json" 'r["totals"]["states"]["stale"]')" 0

# the report reads only: a missing database is named and never made; the fleet's file,
# read-only in a read-only folder, gives the same report and is left as it was
expect "a missing database is named, never created" 2 "database '$T/none/missing.db'" \
	"$EXCISE" report --db "$T/none/missing.db" --kind day30 -o "$T/missing.txt"
check "... nothing made" test ! -e "$T/none/missing.db" -a ! -e "$T/none"
mkdir "$T/ro" && cp "$T/fleet.db" "$T/ro/fleet.db" && chmod 0444 "$T/ro/fleet.db" && chmod 0555 "$T/ro"
sum_before=$(cd "$T/ro" && ls -lA --time-style=full-iso && stat -c %y . && sha256sum fleet.db)
expect "a read-only file in a read-only folder: the hosts report" 0 "" \
	"$EXCISE" report --db "$T/ro/fleet.db" --kind hosts --format json -o "$T/ro-hosts.json"
"$EXCISE" report --db "$T/fleet.db" --kind hosts --format json -o "$T/rw-hosts.json" 2>/dev/null
check_eq "... the same hosts as the writable file" "$(jq_py "$T/ro-hosts.json" 'sorted(h["hostname"] + "=" + h["state"] for h in r["hosts"])')" \
	"$(jq_py "$T/rw-hosts.json" 'sorted(h["hostname"] + "=" + h["state"] for h in r["hosts"])')"
check_eq "... the folder and the file as they were (no -wal, no -shm)" \
	"$(cd "$T/ro" && ls -lA --time-style=full-iso && stat -c %y . && sha256sum fleet.db)" "$sum_before"
chmod 0755 "$T/ro"

# ---- PostgreSQL ----
chmod 711 "$T" # the postgres user reaches its directory in it
pgdir=$T/pg
if url=$(bash "$HARNESS" start "$pgdir" 2>"$T/pg.err"); then
	defer "bash '$HARNESS' stop '$pgdir' >/dev/null 2>&1"
	check "PostgreSQL: the fleet stored through the storage API" fill "$url"
	checks "$url" postgresql
	admin "$url" postgresql
	# the none-found fleet in a second database of the same server
	runuser -u postgres -- "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/createdb" -h "$pgdir" \
		-p "$(cat "$pgdir/port")" -U postgres excise_none 2>/dev/null ||
		createdb -h "$pgdir" -p "$(cat "$pgdir/port")" -U postgres excise_none
	none_url=${url%/excise_test}/excise_none
	check "PostgreSQL: the none-found fleet" fill_none "$none_url"
	checks_none "$none_url" postgresql
else
	not_ok "PostgreSQL started by tests/pg-harness.sh"
	sed 's/^/# /' "$T/pg.err" | head -20
fi

done_testing
