#!/bin/bash
# End-to-end: systemd units named with or without ".service". The catalog names the
# units of KESS and KICS without the suffix (kess, kics) and KESL's in both spellings:
# real unit files (with enablement links) named kess.service and kics.service match
# their name indicators, a unit of another name does not, and KESL's unit matches both
# of its spellings as one artifact path.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

jq_true() { [ "$(jq_py "$T/out.json" "$1")" = True ]; }
IDS="([m['indicator']['id'] for m in e['matches']] if 'matches' in e else [e['indicator']['id']])"
# ids PATH: the sorted indicator ids of every evidence record at PATH.
ids() { jq_py "$T/out.json" "sorted(set(i for f in r['findings'] for e in f['evidence'] if e['path']=='$1' for i in $IDS))"; }

R=$T/root
U=$R/lib/systemd/system
W=$R/etc/systemd/system/multi-user.target.wants
mkdir -p "$U" "$W"
echo 'ID=debian' >"$R/etc/os-release"
unit() { # unit NAME DESCRIPTION EXEC
	printf '[Unit]\nDescription=%s\n\n[Service]\nType=simple\nExecStart=%s\n\n[Install]\nWantedBy=multi-user.target\n' \
		"$2" "$3" >"$U/$1"
	ln -s "/lib/systemd/system/$1" "$W/$1"
}
unit kess.service "Kaspersky Embedded Systems Security" /usr/lib/kess/kess-daemon
unit kics.service "Kaspersky Industrial CyberSecurity for Linux Nodes" /usr/lib/kics/kics-daemon
unit kesl.service "Kaspersky Endpoint Security for Linux" /usr/lib/kesl/kesl-daemon
unit kessel.service "Kessel run" /usr/bin/kessel
unit kess-backup.service "Backup of a kess box" /usr/bin/kess-backup

scan_json "$R" --only systemd
check_eq "systemd source ok" "$(jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name']=='systemd'][0]")" ok
check_eq "kess.service matches the indicator kess" "$(ids /lib/systemd/system/kess.service)" '["kess.service.kess"]'
check_eq "and so does its enablement link" \
	"$(ids /etc/systemd/system/multi-user.target.wants/kess.service)" '["kess.service.kess"]'
check_eq "kics.service matches the indicator kics" "$(ids /lib/systemd/system/kics.service)" '["kics.service.kics"]'
check_eq "kesl.service matches both spellings of its indicator" \
	"$(ids /lib/systemd/system/kesl.service)" '["kesl.service.kesl", "kesl.service.kesl.service"]'
check_eq "units of other names match nothing" \
	"$(ids /lib/systemd/system/kessel.service) $(ids /lib/systemd/system/kess-backup.service)" '[] []'
check "the KESS finding holds its unit" \
	jq_true "any(f['product']['id']=='kess' for f in r['findings'] if f.get('product'))"

done_testing
