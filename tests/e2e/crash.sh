#!/bin/bash
# End-to-end: a removal killed with SIGKILL at any moment, dpkg and rpm included, then
# --resume. The whole process group is killed (as a power cut would: excise and the dpkg
# or rpm it runs die together), at a random delay or a random moment after dpkg or rpm has
# started. Every try must end, after --resume (or, when the kill came before the run
# directory existed, the same remove again), with exit 0, the products gone (a rescan
# finds nothing, dpkg and rpm say not installed, no package left midway) and the control
# set of unrelated files byte-identical. Bounded: CRASH_TRIES tries per fixture (default
# 12 for dpkg, 6 for rpm), each a few seconds. RANDOM is seeded from CRASH_SEED when set
# (the seed is printed, to replay a failure).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in dpkg dpkg-query setsid pgrep python3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
SEED=${CRASH_SEED:-$(date +%s)}
RANDOM=$SEED
echo "# seed $SEED"

settled() { [ $(($(date +%s) - $(stat -c %Y "$1.stamp"))) -ge 2 ] || sleep 1.1; }

# control ROOT: checksums of every regular file the removal must leave alone
control() {
	(cd "$1" && find . -type f \
		-not -path './var/lib/dpkg/*' -not -path './var/lib/rpm/*' -not -path './usr/lib/sysimage/rpm/*' \
		-not -path './var/lib/excise/*' -not -path '*kaspersky*' -not -path './etc/ssl/certs/*' \
		-not -path './etc/systemd/*' -not -path '*/systemd/system/kesl*' \
		-not -path '*/systemd/system/klnagent64*' -print0 | sort -z | xargs -0 -r sha256sum)
}

# try_once KIND ROOT PLAN MODE: start the removal, kill its process group (MODE "tool":
# at a random moment in the first dpkg or rpm run; "any": at a random delay), finish it
# with --resume; sets $how (where the kill came) and $end (resume's exit and output)
try_once() {
	local kind=$1 root=$2 plan=$3 mode=$4 pid delay waited=0 tool=dpkg
	[ "$kind" = rpm ] && tool=rpm
	setsid "$EXCISE" remove --root "$root" --plan "$plan" --apply -q >"$T/run.out" 2>&1 &
	pid=$!
	if [ "$mode" = tool ]; then
		# wait for the package manager to run, then a random 0-39 ms more
		while ! pgrep -g "$pid" -x "$tool" >/dev/null && kill -0 "$pid" 2>/dev/null && [ $waited -lt 1000 ]; do
			sleep 0.005
			waited=$((waited + 1))
		done
		delay=0.0$(printf '%02d' $((RANDOM % 40)))
	else
		local t=$((RANDOM % 13))
		delay=$((t / 10)).$((t % 10))
	fi
	sleep "$delay"
	how="$mode+${delay}s"
	pgrep -g "$pid" -x "$tool" >/dev/null && how+=" (in $tool)"
	kill -9 -- "-$pid" 2>/dev/null || how+=" (finished first)"
	wait "$pid" 2>/dev/null
	local run rc=0
	run=$(run_of "$root")
	if [ -n "$run" ]; then
		"$EXCISE" remove --resume "$run" --root "$root" -q >"$T/resume.out" 2>&1 || rc=$?
	else
		how+=" (before the run directory)"
		"$EXCISE" remove --root "$root" --plan "$plan" --apply -q >"$T/resume.out" 2>&1 || rc=$?
	fi
	end=$rc
}

# settled_ok KIND ROOT: nothing of the products installed, nothing left midway
settled_ok() {
	local kind=$1 root=$2
	if [ "$kind" = dpkg ]; then
		[ -z "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Abbrev}' kesl kesl-gui klnagent64 2>/dev/null | tr -d ' ')" ] &&
			[ "$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${db:Status-Abbrev}' hello-fixture kesl-lookalike)" = "ii ii " ] &&
			[ -z "$(ls -A "$root/var/lib/dpkg/updates" 2>/dev/null)" ]
	else
		! rpm --root "$root" --dbpath /var/lib/rpm -q kesl >/dev/null 2>&1 &&
			! rpm --root "$root" --dbpath /var/lib/rpm -q kesl-gui >/dev/null 2>&1 &&
			rpm --root "$root" --dbpath /var/lib/rpm -q acme-av >/dev/null 2>&1
	fi
}

# crash_tries KIND FIXTURE TRIES
crash_tries() {
	local kind=$1 fixture_name=$2 tries=$3 pristine C=$T/crash-$1 good=0 in_tool=0 failures="" i mode
	pristine=$(fixture "$fixture_name") || { echo "Bail out! fixture $fixture_name"; exit 1; }
	settled "$pristine"
	for i in $(seq 1 "$tries"); do
		# the runs of the try before are of the same root path: gone with it
		rm -rf "$C" "$EXCISE_STATE_DIR/runs"
		mkdir -p "$C" && cp -a "$pristine/." "$C"
		"$EXCISE" scan --root "$C" --format json -o "$T/report.json" -q >/dev/null 2>"$T/scan.err"
		"$EXCISE" plan "$T/report.json" --format json -o "$T/plan.json"
		control "$C" >"$T/control.before"
		mode=any
		[ $((i % 2)) = 1 ] && mode=tool
		try_once "$kind" "$C" "$T/plan.json" "$mode"
		[[ "$how" == *"(in "* ]] && in_tool=$((in_tool + 1))
		local rc=0
		"$EXCISE" verify --root "$C" -o "$T/att.json" -q >"$T/verify.out" 2>&1 || rc=$?
		control "$C" >"$T/control.after"
		if [ "$end" = 0 ] && [ "$rc" = 0 ] && settled_ok "$kind" "$C" && cmp -s "$T/control.before" "$T/control.after"; then
			good=$((good + 1))
			echo "# $kind try $i: killed at $how: resumed, clean"
		else
			failures+=" $i"
			echo "# $kind try $i: killed at $how: resume exit $end, verify exit $rc"
			sed 's/^/#   /' "$T/resume.out" | tail -5
			[ "$kind" = dpkg ] && dpkg-query --admindir="$C/var/lib/dpkg" -W -f='#   ${db:Status-Abbrev} ${Package}\n' kesl kesl-gui klnagent64 2>/dev/null
			cmp -s "$T/control.before" "$T/control.after" || diff "$T/control.before" "$T/control.after" | head -4 | sed 's/^/#   /'
		fi
	done
	check_eq "crash ($kind): $tries tries killed at random ($in_tool inside $kind), every one resumed to clean, exit 0, control set unchanged" \
		"$good" "$tries"
	[ -z "$failures" ] || echo "# $kind failures (seed $SEED):$failures"
}

# ---------------------------------------------------------------- the same, placed exactly
PRISTINE=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
settled "$PRISTINE"
D=$T/exact
# step_of TARGET: the id of the dpkg-purge step of TARGET in $T/plan.json
step_of() { jq_py "$T/plan.json" '[s["id"] for s in r["steps"] if s["action"] == "dpkg-purge" and s["target"] == "'"$1"'"][0]'; }
fresh_plan() {
	rm -rf "$D" && mkdir -p "$D" && cp -a "$PRISTINE/." "$D"
	"$EXCISE" scan --root "$D" --format json -o "$T/report.json" -q >/dev/null 2>"$T/scan.err"
	"$EXCISE" plan "$T/report.json" --format json -o "$T/plan.json"
}
abbrev() { dpkg-query --admindir="$D/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null | tr -d ' '; }

# A purge that dpkg refused or was killed in leaves the wanted state only: "pi" is still
# installed, and --resume must purge it, not call it already gone.
fresh_plan
rc=0
EXCISE_TEST_KILL_AT=$(step_of kesl-gui):begin "$EXCISE" remove --root "$D" --plan "$T/plan.json" --apply -q \
	>/dev/null 2>&1 || rc=$?
dpkg --root="$D" --purge kesl >/dev/null 2>&1 # refused: kesl-gui depends on it
state=$(abbrev kesl)
rc=0
"$EXCISE" remove --resume "$(run_of "$D")" --root "$D" -q >"$T/exact.out" 2>&1 || rc=$?
check_eq "resume: kesl left '$state' by an interrupted purge is purged, not taken as gone (exit, state)" \
	"$rc $(abbrev kesl)" "0 "
[ "$rc" = 0 ] || sed 's/^/# /' "$T/exact.out"

# A step the journal ended as done is done only if the database agrees: here dpkg's
# database is put back as it was before the purge, after the journal recorded it.
fresh_plan
cp -a "$D/var/lib/dpkg" "$T/dpkg-before"
rc=0
EXCISE_TEST_KILL_AT=$(step_of kesl-gui):end "$EXCISE" remove --root "$D" --plan "$T/plan.json" --apply -q \
	>/dev/null 2>&1 || rc=$?
rm -rf "$D/var/lib/dpkg" && cp -a "$T/dpkg-before" "$D/var/lib/dpkg"
run=$(run_of "$D")
rc=0
"$EXCISE" remove --resume "$run" --root "$D" -q >"$T/exact.out" 2>&1 || rc=$?
check_eq "resume: a step the journal says done runs again when kesl-gui is back in the database (exit, state)" \
	"$rc $(abbrev kesl-gui)" "0 "
[ "$rc" = 0 ] || sed 's/^/# /' "$T/exact.out"
check "resume: the journal has a second end for that step" \
	test "$(grep -c '"event":"end","step":'"$(step_of kesl-gui)"',' "${run%/}/journal.jsonl")" = 2

# dpkg's updates journal of a killed dpkg (here a record of hello-fixture as it is, the
# way dpkg writes one) is folded into the status file by --resume, under the offline rules.
fresh_plan
rc=0
EXCISE_TEST_KILL_AT=$(step_of klnagent64):end "$EXCISE" remove --root "$D" --plan "$T/plan.json" --apply -q \
	>/dev/null 2>&1 || rc=$?
py - "$D/var/lib/dpkg/status" "$D/var/lib/dpkg/updates/0000" <<'PY'
import sys
stanza = [s for s in open(sys.argv[1]).read().split("\n\n") if s.startswith("Package: hello-fixture\n")][0]
open(sys.argv[2], "w").write(stanza.strip("\n") + "\n")
PY
run=$(run_of "$D")
rc=0
"$EXCISE" remove --resume "$run" --root "$D" -q >"$T/exact.out" 2>&1 || rc=$?
check_eq "resume: dpkg's updates journal folded in, hello-fixture kept (exit, updates, state)" \
	"$rc [$(ls -A "$D/var/lib/dpkg/updates")] $(abbrev hello-fixture)" "0 [] ii"
[ "$rc" = 0 ] || sed 's/^/# /' "$T/exact.out"

# ---------------------------------------------------------------- at random
crash_tries dpkg linux "${CRASH_TRIES:-12}"
if command -v rpm >/dev/null && command -v rpmbuild >/dev/null; then
	crash_tries rpm rpm "${CRASH_TRIES_RPM:-6}"
else
	ok "# SKIP rpm: rpm or rpmbuild not installed"
fi

done_testing
