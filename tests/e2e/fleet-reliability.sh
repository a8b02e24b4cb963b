#!/bin/bash
# Issue 15, Reliability: the collector killed with SIGKILL under load loses no
# acknowledged report and stores none twice; the agent's spool delivers everything
# submitted while the collector was down, once.
#
# For each backend (a SQLite file; a real PostgreSQL started by tests/pg-harness.sh on
# a private port, stopped after): `excise serve` on loopback with its own state folder,
# bench/loadgen enrolls 120 hosts, then sends 2,500 real reports (made by `excise scan`
# of the fixture roots, tests/e2e/fleetbodies.sh) from 24 connections at once, 5 % of
# them resends of reports already acknowledged; it resends a report that got no answer,
# a 429 or a 5xx with the same bytes, as the agent's spool does. Once 250 reports are
# acknowledged the collector gets SIGKILL in the middle of the load and is started
# again on the same database and port. Then:
#   - every report is acknowledged in the end, none was "stored" twice;
#   - the database holds exactly the acknowledged reports, each once: every
#     acknowledged (host, report_id) is there once, nothing else is, no report id
#     twice; each report's findings were recorded once (as many rows as every other
#     copy of the same template has);
#   - SQLite: PRAGMA integrity_check is ok.
# Then (SQLite) with the collector down: `excise scan --root ROOT --submit` and
# `excise submit FILE` of offline roots the agent enrolled put their documents in the
# spool; the collector starts; `excise submit --spool` delivers every one; a second
# flush sends nothing and the database holds each once.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fleetbodies.sh
. "$(dirname "$0")/fleetbodies.sh"

LOADGEN=${EXCISE_BUILD:-$EXCISE_SRC/build}/bench/loadgen
[ -x "$LOADGEN" ] || skip_all "no bench/loadgen in the build"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed"

HOSTS=120 COUNT=2500 KILL_AT=250

mapfile -t bodies < <(fleet_bodies "$T/bodies" 40)
[ "${#bodies[@]}" -ge 3 ] || { echo "Bail out! report bodies: ${bodies[*]}"; exit 1; }
body_args=()
for b in "${bodies[@]}"; do body_args+=(--body "$b"); done

free_port() { py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# collector_start NAME: `excise serve` for the backend NAME's $db, $state and $port, in
# the background ($cpid); waits until it answers /v1/health.
collector_start() {
	"$EXCISE" serve --config "$state/serve.json" --listen "127.0.0.1:$port" --plain-http --db "$db" \
		--state-dir "$state" >>"$state/serve.log" 2>&1 &
	cpid=$!
	local i
	for ((i = 0; i < 300; i++)); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/v1/health" && return 0
		kill -0 "$cpid" 2>/dev/null || break
		sleep 0.1
	done
	echo "# collector did not start:" >&2
	sed 's/^/#   /' "$state/serve.log" | tail -20 >&2
	return 1
}
# collector_stop [NAME]: SIGTERM, and with NAME a check that it stopped cleanly (exit 0:
# under ASan a leak or an error at shutdown fails it)
collector_stop() {
	[ -n "${cpid:-}" ] || return 0
	local rc=0
	kill -TERM "$cpid" 2>/dev/null
	wait "$cpid" 2>/dev/null || rc=$?
	cpid=''
	[ -z "${1:-}" ] || check_eq "$1: SIGTERM: the collector stopped cleanly" "$rc" 0
	[ "$rc" = 0 ] || [ -z "${1:-}" ] || tail -20 "$state/serve.log" | sed 's/^/# /'
}
defer 'collector_stop'

# q SQL: one query's rows on the backend under test ("|" between columns)
q() {
	if [ "$backend" = sqlite ]; then sqlite3 -batch "$db" "$1"; else psql -X -q -At "$db" -c "$1"; fi
}

# reliability BACKEND: the SIGKILL run on one backend.
reliability() {
	backend=$1
	state=$T/$backend
	mkdir -p "$state"
	port=$(free_port)
	# a fleet's day compressed into seconds: no per-host rate or per-address cap
	printf '{"limits": {"requests_per_host_per_minute": 0, "connections_per_address": 0}}\n' >"$state/serve.json"
	"$EXCISE" serve secret create --org-unit agency/bureau/site --db "$db" --state-dir "$state" >"$state/secret.out" 2>&1 ||
		{ not_ok "$backend: secret created"; sed 's/^/# /' "$state/secret.out"; return; }
	sed -n 's/^secret[^:]*: //p' "$state/secret.out" >"$state/secret"
	collector_start || { not_ok "$backend: collector started"; return; }

	"$LOADGEN" --url "http://127.0.0.1:$port" --keys "$state/keys" --enroll "$state/secret" --hosts $HOSTS \
		"${body_args[@]}" --count 0 --concurrency 8 --enroll-time 60 >"$state/enroll.json" 2>&1
	check_eq "$backend: $HOSTS hosts enrolled" "$(wc -l <"$state/keys")" $HOSTS

	"$LOADGEN" --url "http://127.0.0.1:$port" --keys "$state/keys" --resume "${body_args[@]}" --retry --dup 5 \
		--count $COUNT --concurrency 24 --duration 80 --drain 10 --acked "$state/acked" \
		>"$state/load.json" 2>"$state/load.err" &
	local lpid=$! i n=0
	for ((i = 0; i < 600; i++)); do
		n=$(wc -l <"$state/acked" 2>/dev/null || echo 0)
		[ "$n" -ge $KILL_AT ] && break
		kill -0 $lpid 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$cpid"
	wait "$cpid" 2>/dev/null
	cpid=''
	local at_kill
	at_kill=$(wc -l <"$state/acked")
	if [ "$at_kill" -ge $KILL_AT ] && [ "$at_kill" -lt $((COUNT * 8 / 10)) ]; then
		ok "$backend: SIGKILL in the middle of the load ($at_kill reports acknowledged before it)"
	else
		not_ok "$backend: SIGKILL in the middle of the load ($at_kill acknowledged before it; want $KILL_AT to $((COUNT * 8 / 10)))"
	fi
	sleep 0.5 # the load client meets a closed port for a while, then the restarted collector
	collector_start || { not_ok "$backend: collector restarted"; kill $lpid; wait $lpid; return; }
	local lrc=0
	wait $lpid || lrc=$?
	check_eq "$backend: load client finished" "$lrc" 0
	[ "$lrc" = 0 ] || sed 's/^/# /' "$state/load.err" "$state/load.json" | head -20
	local sent acked gave_up double no_answer figures
	figures=$(jq_py "$state/load.json" \
		'" ".join(str(x) for x in (r["submit"]["sent"], r["submit"]["acked"], r["submit"]["gave_up"], r["submit"]["double_stored"], r["submit"]["by_status"].get("no_answer", 0)))')
	read -r sent acked gave_up double no_answer <<<"$figures"
	check_eq "$backend: every report acknowledged in the end (none given up)" "$gave_up" 0
	check_eq "$backend: no report stored twice (a resend answered duplicate)" "$double" 0
	check_eq "$backend: the acknowledged ids written" "$(wc -l <"$state/acked")" "$acked"
	echo "# $backend: $sent requests, $acked reports acknowledged, $no_answer without an answer (the kill)"

	collector_stop "$backend"
	# the database against the acknowledged ids: each there once, nothing else
	q "CREATE TABLE acked(doc_id TEXT, host_id TEXT, status TEXT)" >/dev/null
	if [ "$backend" = sqlite ]; then
		sqlite3 -batch "$db" ".mode list" ".separator ' '" ".import $state/acked acked"
	else
		tr ' ' '\t' <"$state/acked" | psql -X -q "$db" -c "\\copy acked FROM pstdin"
	fi
	check_eq "$backend: all acknowledged ids loaded for the check" "$(q 'SELECT count(*) FROM acked')" "$acked"
	check_eq "$backend: every acknowledged report is in the database exactly once" \
		"$(q "SELECT count(*) FROM acked a WHERE (SELECT count(*) FROM document d WHERE d.host_id = a.host_id AND d.doc_id = a.doc_id) <> 1")" 0
	check_eq "$backend: the database holds nothing but the acknowledged reports" \
		"$(q "SELECT count(*) FROM document d WHERE NOT EXISTS (SELECT 1 FROM acked a WHERE a.host_id = d.host_id AND a.doc_id = d.doc_id)")" 0
	check_eq "$backend: no report id twice" "$(q "SELECT count(*) FROM (SELECT doc_id FROM document GROUP BY doc_id HAVING count(*) > 1) x")" 0
	# the findings of each report recorded once: every copy of a template has as many
	# finding rows as the others (a report ingested twice would have twice as many)
	local tmpl_check
	tmpl_check=$(q "SELECT d.host_id, (SELECT count(*) FROM finding f WHERE f.host_id = d.host_id AND f.doc_id = d.doc_id) FROM document d" |
		awk -F'|' -v keys="$state/keys" 'BEGIN { while ((getline l < keys) > 0) { split(l, a, " "); t[a[1]] = a[4] } }
			{ k = t[$1]; if (!(k in n)) n[k] = $2; else if (n[k] != $2) bad++; seen[k] = 1 }
			END { for (k in n) { printf "%s=%s ", k, n[k]; if (n[k] > 0) found++ } print (bad ? "BAD" : "ok"), (found ? "findings" : "none") }')
	case $tmpl_check in
	*" ok findings") ok "$backend: each report's findings recorded once ($tmpl_check)" ;;
	*) not_ok "$backend: each report's findings recorded once ($tmpl_check)" ;;
	esac
	if [ "$backend" = sqlite ]; then
		check_eq "sqlite: integrity_check after the kill" "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok
	fi
}

backend=sqlite
db=$T/sqlite/collector.db
reliability sqlite

# ---------------------------------------------------------------- the spool, the collector down
# Machines of offline roots, each enrolled by the agent (excise enroll --root): the linux
# and rpm fixture roots and two clean roots of their own machine ids. Then, with the
# collector down, `excise scan --root R --submit` and `excise submit FILE` of each.
spool_run() {
	backend=sqlite
	state=$T/sqlite
	db=$state/collector.db
	collector_start || { not_ok "spool: collector started"; return; }
	local url=http://127.0.0.1:$port roots=() r i
	for r in linux rpm; do
		r=$(fixture "$r" 2>/dev/null) && roots+=("$r")
	done
	for i in 1 2; do
		mkdir -p "$T/spool-clean-$i"
		cp -a "$T/fleet-clean/." "$T/spool-clean-$i/"
		printf '5b00%028d\n' "$i" >"$T/spool-clean-$i/etc/machine-id"
		printf 'spool-host-%d\n' "$i" >"$T/spool-clean-$i/etc/hostname"
		roots+=("$T/spool-clean-$i")
	done
	local enrolled=0
	for r in "${roots[@]}"; do
		"$EXCISE" enroll "$url" --secret-file "$state/secret" --root "$r" -q >>"$T/enroll.log" 2>&1 &&
			enrolled=$((enrolled + 1))
	done
	check_eq "spool: ${#roots[@]} offline roots enrolled by the agent" "$enrolled" "${#roots[@]}"
	local before
	before=$(q "SELECT count(*) FROM document")
	collector_stop "spool, before the documents"

	local n=0 rc bad=0
	for r in "${roots[@]}"; do
		rc=0
		"$EXCISE" scan --root "$r" --submit -q >/dev/null 2>>"$T/spool.err" || rc=$?
		[ "$rc" -le 1 ] || bad=$((bad + 1))
		n=$((n + 1))
		"$EXCISE" scan --root "$r" --format json -o "$T/spool-$n.json" >/dev/null 2>&1
		"$EXCISE" submit -q "$T/spool-$n.json" >>"$T/spool.err" 2>&1 || bad=$((bad + 1))
		n=$((n + 1))
	done
	check_eq "spool: scan --submit and submit with the collector down: no error" "$bad" 0
	local files
	files=$(find "$EXCISE_STATE_DIR/spool" -maxdepth 1 -name '*.spool' | wc -l)
	check_eq "spool: every document kept in the spool" "$files" "$n"
	# the report ids the spool holds (a spool file: its metadata line, then the document)
	py -c 'import glob, json, sys
for p in sorted(glob.glob(sys.argv[1] + "/*.spool")):
    print(json.loads(open(p, "rb").read().split(b"\n", 1)[1])["report_id"])' "$EXCISE_STATE_DIR/spool" >"$T/spooled.ids"
	check_eq "spool: $n distinct reports spooled" "$(sort -u "$T/spooled.ids" | wc -l)" "$n"
	expect "spool: a flush with the collector still down delivers nothing" 0 "0 delivered" "$EXCISE" submit --spool

	collector_start || { not_ok "spool: collector started again"; return; }
	# the backoff of the documents that were tried has passed (as for the agent's timer
	# a while later): their next try is now
	py -c 'import glob, json, sys
for p in glob.glob(sys.argv[1] + "/*.spool"):
    b = open(p, "rb").read(); i = b.index(b"\n"); m = json.loads(b[:i]); m["next_try"] = 0
    open(p, "wb").write(json.dumps(m).encode() + b[i:])' "$EXCISE_STATE_DIR/spool"
	expect "spool: excise submit --spool delivers every document" 0 "$n delivered, 0 refused" \
		"$EXCISE" submit --spool
	check_eq "spool: the spool is empty" "$(find "$EXCISE_STATE_DIR/spool" -maxdepth 1 -name '*.spool' | wc -l)" 0
	expect "spool: a second flush sends nothing" 0 "0 delivered" "$EXCISE" submit --spool
	expect "spool: a report sent again is a duplicate" 0 "duplicate" "$EXCISE" submit "$T/spool-1.json"
	collector_stop spool
	check_eq "spool: the database holds $n more documents" "$(q "SELECT count(*) FROM document")" $((before + n))
	local ids
	ids=$(sed "s/.*/'&'/" "$T/spooled.ids" | paste -sd,)
	check_eq "spool: every spooled report stored, once" \
		"$(q "SELECT count(*), count(DISTINCT doc_id) FROM document WHERE doc_id IN ($ids)")" "$n|$n"
}
spool_run

PG_HARNESS=$EXCISE_SRC/tests/pg-harness.sh
if [ -f "$PG_HARNESS" ] && command -v psql >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
	# the server runs as postgres: its folder must be reachable by that user
	pgdir=$(mktemp -d "${TMPDIR:-/tmp}/excise-pg.XXXXXX")
	chmod 755 "$pgdir"
	defer "bash '$PG_HARNESS' stop '$pgdir/pg'; rmdir '$pgdir'"
	if db=$(bash "$PG_HARNESS" start "$pgdir/pg" 2>"$T/pg.err"); then
		reliability postgresql
	else
		not_ok "postgresql: the harness started a server"
		sed 's/^/# /' "$T/pg.err" | tail -10
	fi
else
	echo "# no PostgreSQL (tests/pg-harness.sh or its binaries): the postgresql run is left out"
fi

done_testing
