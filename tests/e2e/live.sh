#!/bin/bash
# End-to-end: the proc source on the live host. A copy of sleep(1) named like
# KESL's daemon ("kesl", the catalog's process indicator) runs from $T; the
# scan must report it running with its executable path, and must not once it
# has been stopped. A second copy runs with an argv[0] under /opt/kaspersky
# longer than EXCISE_MAX_CMDLINE_LEN: its command line is matched, cut at the
# limit.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

[ -r /proc/self/exe ] || skip_all "no /proc"
SLEEP=$(command -v sleep) || skip_all "no sleep(1)"

mkdir -p "$T/bin"
cp "$SLEEP" "$T/bin/kesl"
EXE=$(readlink -f "$T/bin/kesl")
"$T/bin/kesl" 300 &
pid1=$!
defer "kill $pid1 2>/dev/null; wait $pid1 2>/dev/null"
long="/opt/kaspersky/kesl/bin/kesl-$(head -c 40000 /dev/zero | tr '\0' a)"
(exec -a "$long" "$T/bin/kesl" 300) &
pid2=$!
defer "kill $pid2 2>/dev/null; wait $pid2 2>/dev/null"
# Wait until both have exec'd (their exe link names the copy).
for _ in $(seq 1 50); do
	[ "$(readlink /proc/$pid1/exe 2>/dev/null)" = "$EXE" ] &&
		[ "$(readlink /proc/$pid2/exe 2>/dev/null)" = "$EXE" ] && break
	sleep 0.1
done

live_scan() {
	rc=0
	"$EXCISE" scan --only proc --format json -o "$T/out.json" 2>"$T/scan.err" || rc=$?
}

live_scan
[ -s "$T/out.json" ] || { sed 's/^/# /' "$T/scan.err"; not_ok "scan produced a report"; done_testing; exit 1; }
O=$T/out.json
check_eq "exit status: covered software found" "$rc" 1
check_eq "proc source ran" "$(jq_py "$O" "[s['status'] for s in r['sources'] if s['name']=='proc']")" '["ok"]'
check_eq "proc is live-only: the report says live" "$(jq_py "$O" "r['host']['live']")" True
check_eq "kesl finding is running" "$(finding_py "$O" kesl "f and f['state']")" running
check_eq "evidence from proc names the executable path" \
	"$(finding_py "$O" kesl "sorted(set((e['path'], e['state'], e['active']) for e in per_match(f['evidence']) if e['source']=='proc' and e['field']=='name'))")" \
	"[('$EXE', 'running', True)]"
check_eq "a command line over the limit is matched, cut at EXCISE_MAX_CMDLINE_LEN" \
	"$(jq_py "$O" "sorted(set((len(e['value']), e['value'][:24]) for f in r['findings'] for e in per_match(f['evidence']) if e['source']=='proc' and e['field']=='target'))")" \
	'[[32768, "/opt/kaspersky/kesl/bin/"]]'

kill "$pid1" "$pid2" 2>/dev/null
wait "$pid1" "$pid2" 2>/dev/null
live_scan
check_eq "stopped: no running kesl any more" \
	"$(finding_py "$T/out.json" kesl "bool(f) and any(e['source']=='proc' and e['path']=='$EXE' for e in per_match(f['evidence']))")" False

# Under --root the proc source is absent, never reading the host's /proc (and asked
# for alone, it is a usage error: verdict.sh).
mkdir -p "$T/root/etc"
echo 'ID=debian' >"$T/root/etc/os-release"
scan_json "$T/root" --only proc,dpkg
check_eq "proc under --root: absent" \
	"$(jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name']=='proc']")" '["absent"]'

done_testing
