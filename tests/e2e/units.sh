#!/bin/bash
# The agent's systemd units (dist/systemd/, made in the build tree by dist/meson.build;
# docs/agent.md "The agent's timer"): systemd-analyze verify accepts them when it is
# installed (Debian: the systemd package), the timer runs the service every 15 minutes
# with a random delay and catches up after downtime, and the service's ExecStart
# command line, run as written with the built excise, is a working `excise submit
# --spool` (an empty spool: nothing sent, exit 0, the spool made 0700; a document of
# a machine never enrolled: kept, exit 2 naming the reason).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
: "${EXCISE_UNITS:?EXCISE_UNITS must name the folder of the built units}"
SVC=$EXCISE_UNITS/excise-submit.service TMR=$EXCISE_UNITS/excise-submit.timer
check "the service and the timer are built" test -s "$SVC" -a -s "$TMR"
key() { sed -n "s/^$2=//p" "$1"; } # FILE KEY: its values, one a line
exec_start=$(key "$SVC" ExecStart)
check_eq "the service runs excise submit --spool, quietly" "${exec_start#* }" "submit --spool -q"
check_eq "... by the installed excise's absolute path" "$(basename "${exec_start%% *}"):${exec_start:0:1}" "excise:/"
check_eq "a oneshot service" "$(key "$SVC" Type)" oneshot
check_eq "its only writable place is the spool" "$(key "$SVC" StateDirectory):$(key "$SVC" ProtectSystem)" \
	"excise/spool:strict"
check_eq "no privilege gained, no capability" "$(key "$SVC" NoNewPrivileges):$(key "$SVC" CapabilityBoundingSet)" "yes:"
check_eq "the timer: every quarter hour, a random delay, caught up after downtime" \
	"$(key "$TMR" OnCalendar) $(key "$TMR" RandomizedDelaySec) $(key "$TMR" Persistent) $(key "$TMR" WantedBy)" \
	"*:0/15 5min true timers.target"

# ExecStart as written (its first word the built excise), on the test's own state folder
read -r -a argv <<<"$exec_start"
argv[0]=$EXCISE
rc=0
"${argv[@]}" >"$T/run.out" 2>&1 || rc=$?
check_eq "ExecStart on an empty spool: exit 0, nothing said" "$rc:$(cat "$T/run.out")" "0:"
check_eq "... the spool made, 0700" "$(stat -c %a "$EXCISE_STATE_DIR/spool")" 700
# a document of a machine never enrolled, put in the spool as excise does (a collector
# down when it was submitted); a flush keeps it and says so
mkdir -p "$T/r/etc"
printf 'NAME=Debian\nID=debian\n' >"$T/r/etc/os-release"
printf '0123456789abcdef0123456789abcdef\n' >"$T/r/etc/machine-id"
"$EXCISE" scan --root "$T/r" --format json -o "$T/r.json" -q >/dev/null 2>&1
expect "ExecStart with a document of a machine not enrolled: kept, exit 2, the reason" 2 "not sent: .*enroll" \
	bash -c 'mkdir -p "$EXCISE_STATE_DIR/agent" && python3 - "$1" "$EXCISE_STATE_DIR/spool" <<EOF && shift && "$@"
import hashlib, json, sys, time
body = open(sys.argv[1], "rb").read()
r = json.loads(body)
m = {"schema": "excise.spool/1", "kind": "report", "machine_id": r["host"]["machine_id"], "url": None,
     "name": "r.json", "sha256": hashlib.sha256(body).hexdigest(), "created": int(time.time()), "attempts": 1,
     "next_try": 0, "keep": False, "last_error": "the collector cannot be reached"}
open(sys.argv[2] + "/%020d-0123456789abcdef.spool" % time.time_ns(), "wb").write(json.dumps(m).encode() + b"\n" + body)
EOF' _ "$T/r.json" "${argv[@]}"

if command -v systemd-analyze >/dev/null; then
	# verify wants the binary it names to exist: a copy naming the built one
	mkdir -p "$T/units"
	sed "s|^ExecStart=[^ ]*|ExecStart=$EXCISE|" "$SVC" >"$T/units/excise-submit.service"
	cp "$TMR" "$T/units/"
	rc=0
	SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$T/units/excise-submit.service" "$T/units/excise-submit.timer" \
		>"$T/verify.out" 2>&1 || rc=$?
	# what it says about other units of the host (its own configuration) is not ours
	grep -F "excise-submit" "$T/verify.out" >"$T/verify.ours" || true
	check_eq "systemd-analyze verify: the units are valid, no warning about them" "$rc:$(cat "$T/verify.ours")" "0:"
	[ -s "$T/verify.ours" ] && sed 's/^/#   /' "$T/verify.out"
	expect "systemd-analyze calendar: the timer's OnCalendar is every 15 minutes" 0 "Normalized form: \*-\*-\* \*:00/15:00" \
		systemd-analyze calendar "$(key "$TMR" OnCalendar)"
	# a broken unit is refused (the check can fail)
	sed 's/^Type=oneshot/Type=oneshotx/' "$T/units/excise-submit.service" >"$T/units/broken.service"
	SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no "$T/units/broken.service" >"$T/broken.out" 2>&1 || true
	expect "systemd-analyze verify: a broken copy is refused" 0 "broken.service.*service type" cat "$T/broken.out"
else
	ok "# SKIP systemd-analyze not installed (Debian: systemd)"
fi
done_testing
