#!/bin/bash
# Issue 15, End-to-end: the agent's commands against the real collector, nothing in
# between: `excise serve` started as the README says (no options but its state folder
# and a loopback address: HTTPS with its generated certificate, the first start's
# enrollment secret), `excise enroll --root` of fixture roots, `excise scan --root R
# --submit`, then a plan, a removal run and an attestation of one of them submitted
# with `excise submit`. The database (a SQLite file, then a PostgreSQL that
# tests/pg-harness.sh starts) is read back with sqlite3 / psql: hosts, documents,
# findings, and each host's facts for BOD 17-01 moving from identified to verified.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
for t in curl sqlite3; do command -v $t >/dev/null || skip_all "$t not installed"; done
LINUX=$(fixture linux) || skip_all "no linux fixture root"
RPM=$(fixture rpm) || skip_all "no rpm fixture root"

free_port() { py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
cpid=''
# collector_stop [NAME]: SIGTERM, and with NAME a check that it stopped cleanly (exit 0:
# under ASan a leak or an error at shutdown fails it)
collector_stop() {
	[ -n "$cpid" ] || return 0
	local rc=0
	kill -TERM "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null || rc=$?
	cpid=''
	[ -z "${1:-}" ] || check_eq "$1: SIGTERM: the collector stopped cleanly" "$rc" 0
	[ "$rc" = 0 ] || [ -z "${1:-}" ] || tail -20 "$T/$1-serve.err" | sed 's/^/# /'
}
defer collector_stop

# a clean Debian root of its own machine id
CLEAN=$T/clean
mkdir -p "$CLEAN/etc" "$CLEAN/var/lib/dpkg"
printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n' >"$CLEAN/etc/os-release"
printf 'clean-host\n' >"$CLEAN/etc/hostname"
printf 'c1ea0000000000000000000000000001\n' >"$CLEAN/etc/machine-id"
printf 'Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\nDescription: GNU Bourne Again SHell\n' \
	>"$CLEAN/var/lib/dpkg/status"

# fleet BACKEND [DB-URL]: the whole path on one backend.
fleet() {
	local b=$1 url=${2:-} port state=$T/$1-collector dbargs=()
	[ -z "$url" ] || dbargs=(--db "$url")
	# the agent's enrollments, run directories and spool of this backend's run
	export EXCISE_STATE_DIR=$T/$b-agent
	q() {
		if [ -z "$url" ]; then sqlite3 -batch "$state/collector.db" "$1"; else psql -X -q -At "$url" -c "$1"; fi
	}
	port=$(free_port)
	"$EXCISE" serve --listen "127.0.0.1:$port" --state-dir "$state" "${dbargs[@]}" >"$T/$b-serve.out" 2>"$T/$b-serve.err" &
	cpid=$!
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$state/cert.pem" ] && curl -sf --cacert "$state/cert.pem" -o /dev/null "https://127.0.0.1:$port/v1/health" && break
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	check "$b: excise serve answers over HTTPS with its generated certificate" \
		curl -sf --cacert "$state/cert.pem" "https://127.0.0.1:$port/v1/health"
	# the first start's secret: the line after "shown this once:"
	sed -n '/shown this once/{n;p;}' "$T/$b-serve.out" | tr -d ' \t' >"$T/$b-secret"
	check "$b: the first start printed an enrollment secret" test -s "$T/$b-secret"
	local URL=https://127.0.0.1:$port A=$T/$b-root-a r n=0
	fixture_copy linux "$A"
	for r in "$A" "$RPM" "$CLEAN"; do
		"$EXCISE" enroll "$URL" --secret-file "$T/$b-secret" --root "$r" --ca "$state/cert.pem" -q \
			>>"$T/$b-enroll.out" 2>&1 && n=$((n + 1))
	done
	check_eq "$b: three offline roots enrolled" "$n" 3
	[ "$n" = 3 ] || sed 's/^/# /' "$T/$b-enroll.out" | head -10

	# excise scan --submit: the exit status stays the verdict, the report is stored
	local rc name
	for r in "$A:a:1" "$RPM:rpm:1" "$CLEAN:clean:0"; do
		name=${r#*:}
		rc=0
		"$EXCISE" scan --root "${r%%:*}" --submit --format json -o "$T/$b-${name%:*}.json" \
			>/dev/null 2>"$T/$b-scan.err" || rc=$?
		check_eq "$b: scan --submit ${name%:*}: exit ${name#*:} (its verdict)" "$rc" "${name#*:}"
		check "$b: ... said stored" grep -q "stored report" "$T/$b-scan.err"
	done
	check_eq "$b: the database has the three hosts, by machine id and name" \
		"$(q "SELECT machine_id || ' ' || hostname FROM host ORDER BY machine_id" | paste -sd' ')" \
		"0123456789abcdef0123456789abcdef fixture-host c1ea0000000000000000000000000001 clean-host fedcba9876543210fedcba9876543210 $(jq_py "$T/$b-rpm.json" 'r["host"]["hostname"]')"
	local f id want got
	for f in a rpm clean; do
		id=$(jq_py "$T/$b-$f.json" 'r["report_id"]')
		check_eq "$b: report $f stored once, as a report" "$(q "SELECT kind, count(*) FROM document WHERE doc_id = '$id' GROUP BY kind")" "report|1"
		want=$(jq_py "$T/$b-$f.json" '" ".join(sorted(set(x["product"]["id"] for x in r["findings"] if x["confidence"] != "weak")))')
		got=$(q "SELECT DISTINCT product_id FROM finding WHERE doc_id = '$id' AND confidence <> 'weak' ORDER BY product_id" | paste -sd' ')
		check_eq "$b: the findings of report $f, by product" "$got" "$want"
	done
	hd() { # hd MACHINE-ID COLUMN: a fact of that host for BOD 17-01 ("" when NULL)
		q "SELECT coalesce(CAST(d.$2 AS TEXT), '') FROM host_directive d JOIN host h ON h.id = d.host_id WHERE h.machine_id = '$1' AND d.directive_id = 'dhs-bod-17-01'"
	}
	local MA=0123456789abcdef0123456789abcdef
	check "$b: the Linux host is identified for BOD 17-01, with KESL" \
		bash -c "[ -n '$(hd $MA first_identified)' ] && [[ '$(hd $MA products)' == *kesl* ]]"
	check "$b: the RPM host is identified" test -n "$(hd fedcba9876543210fedcba9876543210 first_identified)"
	check_eq "$b: the clean host: a complete report, never identified" \
		"$([ -n "$(hd c1ea0000000000000000000000000001 last_complete)" ] && echo complete):$(hd c1ea0000000000000000000000000001 first_identified)" "complete:"

	# the Linux host through its milestones: plan, removal run, clean report, attestation
	[ $(($(date +%s) - $(stat -c %Y "$A/var/lib/dpkg/status"))) -ge 2 ] || sleep 2
	"$EXCISE" plan "$T/$b-a.json" --format json -o "$T/$b-plan.json" >/dev/null 2>&1
	expect "$b: submit the plan: stored" 0 "stored plan" "$EXCISE" submit "$T/$b-plan.json"
	check "$b: ... plan recorded" test -n "$(hd $MA plan_recorded)"
	rc=0
	"$EXCISE" remove --plan "$T/$b-plan.json" --apply >"$T/$b-rm.out" 2>&1 || rc=$?
	local RUN
	RUN=$(run_of "$A") || RUN=''
	check_eq "$b: remove --apply on the Linux root" "$rc:$([ -n "$RUN" ] && echo run)" "0:run"
	expect "$b: submit the run directory: its summary stored" 0 "stored removal" "$EXCISE" submit "$RUN"
	check "$b: ... removal started" test -n "$(hd $MA removal_started)"
	rc=0
	"$EXCISE" scan --root "$A" --submit >/dev/null 2>"$T/$b-scan.err" || rc=$?
	check_eq "$b: scan --submit after the removal: clean (0), stored" "$rc:$(grep -c 'stored report' "$T/$b-scan.err")" "0:1"
	check "$b: ... removed" test -n "$(hd $MA removed)"
	"$EXCISE" verify --run "$RUN" --root "$A" -o "$T/$b-att.json" -q >/dev/null 2>&1 || true
	expect "$b: submit the attestation (its report first): stored" 0 "stored attestation" "$EXCISE" submit "$T/$b-att.json"
	check "$b: ... verified" test -n "$(hd $MA verified)"
	check_eq "$b: the Linux host's status changes recorded" \
		"$(q "SELECT DISTINCT s.new_status FROM status_change s JOIN host h ON h.id = s.host_id WHERE h.machine_id = '$MA' AND s.directive_id = 'dhs-bod-17-01' ORDER BY s.new_status" | paste -sd' ')" \
		"identified plan_recorded removal_started removed verified"
	collector_stop "$b"
}

fleet sqlite

PG_HARNESS=$EXCISE_SRC/tests/pg-harness.sh
if command -v psql >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/excise-pg.XXXXXX")
	chmod 755 "$pgdir"
	defer "bash '$PG_HARNESS' stop '$pgdir/pg'; rmdir '$pgdir'"
	if url=$(bash "$PG_HARNESS" start "$pgdir/pg" 2>"$T/pg.err"); then
		fleet postgresql "$url"
	else
		not_ok "postgresql: the harness started a server"
		sed 's/^/# /' "$T/pg.err" | tail -10
	fi
else
	echo "# no PostgreSQL binaries: the postgresql run is left out"
fi
done_testing
