#!/bin/bash
# End-to-end (issue 14, item 5): a plan is re-matched against everything it acts on.
# A report (or a plan) is a file anyone may have edited: one that keeps a real unit
# name as the value but points the path at ssh.service, one whose certificate hash is
# another certificate's, one whose pid is an unrelated process's, one whose host.live
# is flipped, and plans edited the same ways, are each refused, at plan time and again
# by remove's preflight, with the reason, and nothing is touched; the honest report
# still plans and removes. The root is the shared Debian fixture (real dpkg packages,
# a planted root CA) with an unrelated ssh.service added.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in dpkg dpkg-query openssl python3 sleep; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
SNAP="py $EXCISE_SRC/tests/e2e/snap.py"
PRISTINE=$(fixture linux) || { echo "Bail out! fixture root"; exit 1; }
# a plan must be newer than the package database it was made from
[ $(($(date +%s) - $(stat -c %Y "$PRISTINE.stamp"))) -ge 2 ] || sleep 2
ACME_SHA=$(openssl x509 -in "$PRISTINE/etc/ssl/certs/acme.pem" -outform DER | sha256sum | cut -d' ' -f1)

S=$T/root
cp -a "$PRISTINE" "$S"
# an unrelated unit, enabled: what an edited report would have excise stop and remove
printf '[Unit]\nDescription=OpenBSD Secure Shell server\n[Service]\nExecStart=/usr/sbin/sshd -D\n' \
	>"$S/lib/systemd/system/ssh.service"
ln -s /lib/systemd/system/ssh.service "$S/etc/systemd/system/multi-user.target.wants/ssh.service"
"$EXCISE" scan --root "$S" --format json -o "$T/report.json" -q >/dev/null 2>"$T/scan.err"
"$EXCISE" plan "$T/report.json" --format json -o "$T/plan.json"
check_eq "honest: the plan is written, nothing refused" "$?" 0

# edit_report PYTHON: $T/report.json -> $T/edited-report.json; `ev(source, **kw)` adds to kesl's
# finding a copy of the first evidence record of that source with its strongest match alone,
# the keys given changed (field, value and indicator those of the match, the others the record's)
edit_report() {
	py - "$T/report.json" "$T/edited-report.json" "$1" <<'PY'
import copy, json, sys
r = json.load(open(sys.argv[1]))
f = next(f for f in r["findings"] if f["product"]["id"] == "kesl")
def ev(source, **kw):
    e = copy.deepcopy(next(e for x in r["findings"] for e in x["evidence"] if e["source"] == source))
    e["matches"] = e["matches"][:1]
    for k, v in kw.items():
        (e["matches"][0] if k in ("field", "value", "indicator") else e)[k] = v
    f["evidence"].append(e)
    return e
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PY
}

# edit_plan PYTHON: $T/plan.json -> $T/edited.json, `step(action)` its first such step
edit_plan() {
	py - "$T/plan.json" "$T/edited.json" "$1" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
def step(action):
    return next(s for s in p["steps"] if s["action"] == action)
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"))
PY
}

# plan_refuses NAME WANT: excise plan of the edited report writes a plan that refuses the
# evidence (exit 1), the reason says WANT, and no step acts on ssh.service or the Acme root
plan_refuses() {
	local rc=0
	"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/edited.json" 2>"$T/plan.err" || rc=$?
	check "plan: $1: refused with the reason" py - "$T/edited.json" "$rc" "$2" "$ACME_SHA" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert sys.argv[2] == "1", "exit %s" % sys.argv[2]
why = [k["why"] for k in p["skipped"] if k["refused"]]
assert any(sys.argv[3] in w for w in why), why
bad = [s for s in p["steps"] if "ssh" in s["target"] or s["target"] == sys.argv[4] or "ssh" in (s["path"] or "")]
assert not bad, bad
PY
}

# touches_nothing NAME WANT ARGS...: excise remove ARGS over $S exits 2 saying WANT and nothing changes
touches_nothing() {
	local name=$1 want=$2 rc=0
	shift 2
	$SNAP "$S" >"$T/before"
	"$EXCISE" remove --root "$S" "$@" >"$T/rm.out" 2>&1 || rc=$?
	$SNAP "$S" >"$T/after"
	if [ "$rc" = 2 ] && grep -qF -- "$want" "$T/rm.out" && cmp -s "$T/before" "$T/after" &&
		[ ! -e "$S/var/lib/excise" ]; then
		ok "remove: $name: refused, nothing touched"
	else
		not_ok "remove: $name: refused, nothing touched (rc $rc)"
		sed 's/^/# /' "$T/rm.out" | head -6
		diff "$T/before" "$T/after" | head -5 | sed 's/^/# /'
	fi
}

# ---- a real unit name as the value, the path at ssh.service
edit_report "ev('systemd', path='/lib/systemd/system/ssh.service')"
plan_refuses "a unit's path swapped to ssh.service" "'/lib/systemd/system/ssh.service' is ssh.service"
touches_nothing "a report whose unit path is ssh.service" "ssh.service" --report "$T/edited-report.json" --apply --yes
edit_report "ev('systemd', path='/etc/systemd/system/multi-user.target.wants/ssh.service')"
plan_refuses "a unit's path swapped to ssh.service's enablement link" "(a link to ssh.service)"

# ---- a certificate's hash swapped for another's: Acme's, in the same bundle; and no certificate's
edit_report "ev('truststore', path='/etc/ssl/certs/ca-certificates.crt', attrs={'sha256': '$ACME_SHA'})"
plan_refuses "a certificate hash swapped for Acme's" "is 'Acme Root CA'"
touches_nothing "a report whose certificate hash is Acme's" "Acme Root CA" --report "$T/edited-report.json" --apply --yes
edit_report "ev('truststore', path='/etc/ssl/certs/acme.pem', attrs={'sha256': '$ACME_SHA'})"
plan_refuses "the certificate's path swapped for Acme's file" "is 'Acme Root CA'"
edit_report "ev('truststore', attrs={'sha256': '00' * 32})"
"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/edited.json" 2>"$T/plan.err"
check "plan: a certificate hash of no certificate: nothing to act on, no step" py - "$T/edited.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert not [s for s in p["steps"] if s["target"] == "00" * 32], p["steps"]
assert any("holds no certificate with sha256 0000" in k["why"] and not k["refused"] for k in p["skipped"]), p["skipped"]
PY

# ---- host.live flipped
py - "$T/report.json" "$T/live-report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["host"]["live"] = True
json.dump(r, open(sys.argv[2], "w"))
PY
expect "plan: a report of this root that says it is the live host: refused" 2 "is not this live host" \
	"$EXCISE" plan "$T/live-report.json"
py - "$T/report.json" "$T/slash-report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["host"]["root"] = "/"
json.dump(r, open(sys.argv[2], "w"))
PY
expect "plan: a report of an offline root that names / as its root: refused" 2 "is this live host" \
	"$EXCISE" plan "$T/slash-report.json"
edit_plan 'p["host"]["live"] = True'
touches_nothing "a plan that says it is for the live host" "the plan is for the live host" --plan "$T/edited.json" --apply

# ---- plans edited the same ways: remove's preflight observes the evidence again
edit_plan 'step("stop-service")["target"] = "ssh.service"'
touches_nothing "a plan that stops ssh.service on kesl's evidence" "stop-service ssh.service: no evidence of the step names it" \
	--plan "$T/edited.json" --apply
edit_plan '
s = step("disable-service")
s["target"], s["path"] = "ssh.service", "/lib/systemd/system/ssh.service"
for e in s["evidence"]:
    e["path"] = "/lib/systemd/system/ssh.service"'
touches_nothing "a plan whose unit evidence points at ssh.service" "is ssh.service, which indicator" \
	--plan "$T/edited.json" --apply
edit_plan 'step("remove-cert")["target"] = "'"$ACME_SHA"'"'
touches_nothing "a plan that removes the Acme root on the Kaspersky root's evidence" "is 'Acme Root CA'" \
	--plan "$T/edited.json" --apply
edit_plan '
s = step("remove-path")
s["evidence"][0]["value"] = "/usr/share/doc/hello-fixture"'
touches_nothing "a plan whose evidence value was changed" "does not match indicator" --plan "$T/edited.json" --apply
check "ssh.service and its link are intact" test -f "$S/lib/systemd/system/ssh.service" -a \
	-L "$S/etc/systemd/system/multi-user.target.wants/ssh.service"

# ---- processes: the live host, planned only (and dry-run), never acted on
mkdir -p "$T/bin"
cp "$(command -v sleep)" "$T/bin/klnagent"
"$T/bin/klnagent" 300 &
K=$!
sleep 300 &
P=$!
defer "kill $K $P 2>/dev/null; wait $K $P 2>/dev/null"
# live_report PID EXE: $T/proc-report.json, a report of this live host with one process of klnagent
live_report() {
	py - "$T/report.json" "$T/proc-report.json" "$1" "$2" <<'PY'
import json, sys, time
r = json.load(open(sys.argv[1]))
r["host"].update(root="/", live=True, machine_id=None, hostname="live")
now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
r["started"] = r["finished"] = now
f = next(f for f in r["findings"] if f["product"]["id"] == "klnagent")
e = dict(f["evidence"][0], source="proc", kind="process", path=sys.argv[4], state="running", active=True,
         attrs={"pid": sys.argv[3]}, confidence="definitive")
e["matches"] = [{"field": "name", "value": "klnagent", "indicator": {"id": "klnagent.process.klnagent"}}]
f["evidence"] = [e]
r["findings"] = [f]
json.dump(r, open(sys.argv[2], "w"))
PY
}
live_report "$K" "$T/bin/klnagent"
"$EXCISE" plan "$T/proc-report.json" --format json -o "$T/proc-plan.json" 2>"$T/proc.err"
check "live: the honest process evidence plans a kill of that pid" py - "$T/proc-plan.json" "$K" "$T/bin/klnagent" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
k = [s for s in p["steps"] if s["action"] == "kill-process"]
assert len(k) == 1 and k[0]["pid"] == int(sys.argv[2]) and k[0]["target"] == sys.argv[3], p["steps"]
assert not any(x["refused"] for x in p["skipped"]), p["skipped"]
PY
live_report "$P" "$T/bin/klnagent"
rc=0
"$EXCISE" plan "$T/proc-report.json" --format json -o "$T/proc-edited.json" 2>"$T/proc.err" || rc=$?
check "live: the pid of an unrelated process is refused, named with the reason" py - "$T/proc-edited.json" "$rc" "$P" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert sys.argv[2] == "1", sys.argv[2]
assert not [s for s in p["steps"] if s["action"] == "kill-process"], p["steps"]
why = [k["why"] for k in p["skipped"] if k["refused"]]
assert any("process %s runs '" % sys.argv[3] in w and "sleep" in w for w in why), why
PY
edit_plan_file() { py - "$1" "$2" "$3" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"))
PY
}
edit_plan_file "$T/proc-plan.json" "$T/proc-pid.json" \
	'next(s for s in p["steps"] if s["action"] == "kill-process")["pid"] = '"$P"
expect "live: a plan edited to kill an unrelated pid: the dry run refuses it" 2 "process $P runs '" \
	"$EXCISE" remove --plan "$T/proc-pid.json"
check "live: both processes still run" kill -0 "$K" "$P"

# ---- the honest report still plans and removes
rc=0
"$EXCISE" remove --root "$S" --plan "$T/plan.json" --apply >"$T/apply.out" 2>&1 || rc=$?
check_eq "honest: remove --apply of the honest plan: exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/apply.out" | head -10
check "honest: kesl's unit is gone, ssh.service stays" test ! -e "$S/lib/systemd/system/kesl.service" -a \
	-f "$S/lib/systemd/system/ssh.service"
check "honest: the Kaspersky root left the bundle, Acme's stayed" py - "$S/etc/ssl/certs/ca-certificates.crt" \
	"$PRISTINE/usr/local/share/ca-certificates/kaspersky-fixture.crt" "$PRISTINE/etc/ssl/certs/acme.pem" <<'PY'
import sys
bundle, kl, acme = (open(f).read() for f in sys.argv[1:4])
assert kl.strip() not in bundle and acme.strip() in bundle
PY

# ---- one platform scope in the scan and the removal's re-match
# A Debian root that also carries a Windows SOFTWARE hive (the kes-windows fixture's):
# the scan matches with the indicators of both platforms, so a Windows-only service
# indicator (ksc's French display name) matches a systemd unit's Description. The plan
# records the scan's platforms and the removal re-matches with the same indicators:
# the unit's step is taken, not refused (before, the removal re-matched with Linux's
# alone and refused the plan it had been handed).
MW=$T/linux-win
mkdir -p "$MW/etc/systemd/system" "$MW/var/lib/dpkg" "$MW/Windows/System32/config"
printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$MW/etc/os-release"
: >"$MW/var/lib/dpkg/status"
cp "$(fixture kes-windows)/Windows/System32/config/SOFTWARE" "$MW/Windows/System32/config/"
printf '[Unit]\nDescription=Serveur Web de Kaspersky\n[Service]\nExecStart=/usr/bin/sleep 1000\n' \
	>"$MW/etc/systemd/system/kwebsrv.service"
scan_json "$MW"
cp "$T/out.json" "$T/mw.json"
check_eq "linux+windows: the unit found by the Windows-only description indicator" \
	"$(jq_py "$T/mw.json" "(r['host']['platforms'], sorted(set(m['indicator']['id'] for f in r['findings'] for e in f['evidence'] if e['source'] == 'systemd' for m in e['matches'])))")" \
	"(['linux', 'windows'], ['ksc.service.description.serveur-web-de-kaspersky'])"
rc=0
"$EXCISE" plan "$T/mw.json" --format json -o "$T/mw-plan.json" 2>"$T/mw-plan.err" || rc=$?
check_eq "linux+windows: the plan is written (exit 0) and records both platforms" \
	"$rc $(jq_py "$T/mw-plan.json" "(r['host']['platform'], r['host']['platforms'], [s['action'] for s in r['steps'] if 'kwebsrv' in (s.get('target') or '') + (s.get('path') or '')])")" \
	"0 ('linux', 'linux,windows', ['stop-service', 'disable-service', 'remove-path'])"
rc=0
"$EXCISE" remove --root "$MW" --plan "$T/mw-plan.json" --apply --yes >"$T/mw-apply.out" 2>&1 || rc=$?
check_eq "linux+windows: remove --apply re-matches the unit as the scan did (exit 0, nothing refused)" \
	"$rc $(grep -c 'does not hold on the target' "$T/mw-apply.out")" "0 0"
check "linux+windows: the unit file is gone" test ! -e "$MW/etc/systemd/system/kwebsrv.service"
# the platforms a plan names are checked: an unknown one, or a list not led by the platform
edit_plan_file "$T/mw-plan.json" "$T/mw-bad.json" 'p["host"]["platforms"] = "windows,linux"'
expect "linux+windows: a plan whose platforms do not start with its platform is refused" 2 "platforms" \
	"$EXCISE" remove --root "$MW" --plan "$T/mw-bad.json"
edit_plan_file "$T/mw-plan.json" "$T/mw-bad2.json" 'p["host"]["platforms"] = "linux,plan9"'
expect "linux+windows: a plan naming an unknown platform is refused" 2 "platforms" \
	"$EXCISE" remove --root "$MW" --plan "$T/mw-bad2.json"

echo "1..$_n"
[ "$_bad" -eq 0 ]
