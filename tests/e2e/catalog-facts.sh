#!/bin/bash
# End-to-end, issue 12 item 1: facts the last catalog pass added or corrected, each on a
# root that holds that fact alone, scanned with the stock catalog.
# - Endpoint Agent for Linux: its trace folder /var/log/kaspersky/epagent (Anti Targeted
#   Attack Platform 5.0 help) is its evidence, strong, and its place: the files in it go
#   to the endpoint-agent finding, not to the vendor's traces.
# - A mobile application id holds on its own platform only: a macOS application whose
#   bundle id is Security Cloud's Android id is not Security Cloud (it is still the
#   vendor's, by the com.kaspersky.* namespace).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# === 1. Endpoint Agent for Linux ================================================
R=$T/kea
mkdir -p "$R/etc" "$R/var/lib/dpkg" "$R/var/log/kaspersky/epagent"
printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$R/etc/os-release"
: >"$R/var/lib/dpkg/status"
printf '2024-03-01 10:20:30 agent started\n' >"$R/var/log/kaspersky/epagent/epagent.log"
scan_json "$R" --full
check_eq "kea: found (exit 1)" "$rc" 1
check "kea: report validates" validate_report "$T/out.json"
check_eq "kea: Endpoint Agent, strong, a remnant (nothing registers it)" \
	"$(finding_py "$T/out.json" endpoint-agent "f and (f['confidence'], f['state'])")" "('strong', 'remnant')"
check_eq "kea: the folder and its trace file are Endpoint Agent's evidence" \
	"$(jq_py "$T/out.json" "sorted({(f['product']['id'], e['path']) for f in r['findings'] for e in f['evidence'] if 'epagent' in (e['path'] or '')})")" \
	'[["endpoint-agent", "/var/log/kaspersky/epagent"], ["endpoint-agent", "/var/log/kaspersky/epagent/epagent.log"]]'
check_eq "kea: the vendor's log root above it stays a trace of the vendor" \
	"$(jq_py "$T/out.json" "sorted({f['product']['id'] for f in r['findings'] for e in f['evidence'] if e['path'] == '/var/log/kaspersky'})")" \
	'["kaspersky:traces"]'

# the same trace file in KESL's folder beside it is not Endpoint Agent's
mkdir -p "$R/var/log/kaspersky/kesl"
printf '2024-03-01 10:20:30 kesl started\n' >"$R/var/log/kaspersky/kesl/kesl.log"
scan_json "$R" --full
check_eq "kea+kesl log: KESL's log is not Endpoint Agent's evidence" \
	"$(jq_py "$T/out.json" "sorted({f['product']['id'] for f in r['findings'] for e in f['evidence'] if e['path'] == '/var/log/kaspersky/kesl/kesl.log'})")" \
	'["kaspersky:traces"]'

# === 2. an Android application id on a macOS root ===============================
if command -v plistutil >/dev/null; then
	# shellcheck source=tests/e2e/macfix.sh
	. "$(dirname "$0")/macfix.sh"
	M=$T/mac
	sysver "$M" xml 14.4
	info "$M/Applications/Cloud.app" xml com.kaspersky.security.cloud 21.3.10 Cloud cloud
	mkdir -p "$M/Applications/Cloud.app/Contents/MacOS"
	printf '#!/bin/sh\n' >"$M/Applications/Cloud.app/Contents/MacOS/cloud"
	scan_json "$M"
	check_eq "mac: the bundle id is the vendor's (exit 1)" "$rc" 1
	check_eq "mac: no Security Cloud finding from an Android id" \
		"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings'] if f['product']['id'] == 'security-cloud']")" '[]'
	check_eq "mac: the bundle is evidence of the vendor, by its namespace" \
		"$(jq_py "$T/out.json" "any(e['kind'] == 'bundle' and m['value'] == 'com.kaspersky.security.cloud' for f in r['findings'] for e in f['evidence'] for m in e['matches'])")" True
else
	ok "mac: an Android id on a macOS root # SKIP plistutil (libplist-utils) not installed"
fi

done_testing
