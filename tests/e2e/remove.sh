#!/bin/bash
# End-to-end: plan, remove, resume, restore and verify over fixture roots where
# real .deb packages were installed with dpkg --root and real RPMs with
# rpm --root (tests/e2e/fixtures.sh). Every check runs the excise binary.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

for t in dpkg dpkg-deb dpkg-query openssl python3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
SNAP="py $EXCISE_SRC/tests/e2e/snap.py"

PRISTINE=$(fixture linux) || { echo "Bail out! fixture root"; exit 1; }
# the fixture's certificates: the planted root and Acme's
KL_PEM=$PRISTINE/usr/local/share/ca-certificates/kaspersky-fixture.crt
ACME_PEM=$PRISTINE/etc/ssl/certs/acme.pem

# settled FIXTURE: a plan must be newer than the package database it was made from:
# wait while the fixture root FIXTURE is not yet two seconds old
settled() { [ $(($(date +%s) - $(stat -c %Y "$1.stamp"))) -ge 2 ] || sleep 1.1; }
settled "$PRISTINE"

# fresh COPY: a copy of the pristine root (owners, modes, times and xattrs kept)
fresh() {
	rm -rf "$1"
	cp -a "$PRISTINE" "$1"
}

# plan_for ROOT: scan it into $T/report.json and plan into $T/plan.json
plan_for() {
	"$EXCISE" scan --root "$1" --format json -o "$T/report.json" -q >/dev/null 2>"$T/scan.err"
	"$EXCISE" plan "$T/report.json" --format json -o "$T/plan.json"
}

run_dir_of() { run_of "$1"; }

# quarantined ROOT RUN: the original path of every entry the run moved into quarantine
quarantined() {
	py - "$2/manifest.jsonl" <<'PY'
import json, sys
intent, moved = {}, set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["event"] == "intent":
        intent[r["n"]] = r
    elif r["event"] == "moved":
        moved.add(r["n"])
for n in sorted(moved):
    r = intent[n]
    for e in r["entries"]:
        print(r["path"] + ("/" + e["rel"] if e["rel"] else ""))
PY
}

# same_entries A B PATHS-FILE: the snap lines of A and B agree for every path listed that A has
same_entries() {
	py - "$1" "$2" "$3" <<'PY'
import json, sys
a = {json.loads(l)["path"]: l for l in open(sys.argv[1])}
b = {json.loads(l)["path"]: l for l in open(sys.argv[2])}
paths = [p.strip() for p in open(sys.argv[3]) if p.strip()]
bad = 0
n = 0
for p, line in a.items():
    if p not in paths:
        continue
    n += 1
    if b.get(p) != line:
        print("differs:", p, "\n  before:", line.strip(), "\n  after: ", (b.get(p) or "(missing)").strip())
        bad += 1
print(n, "entries compared")
sys.exit(1 if bad or n == 0 else 0)
PY
}

# unrelated SNAP: the snap lines of everything the removal must leave alone
unrelated() {
	grep -v -E '"path": "/(opt/kaspersky|var/opt/kaspersky|etc/opt/kaspersky|lib/systemd/system/(kesl|klnagent64)\.service|etc/systemd/system/multi-user\.target\.wants/(kesl|klnagent64)\.service|var/lib/dpkg|usr/local/share/ca-certificates/kaspersky-fixture\.crt|etc/ssl/certs/(kaspersky-fixture\.pem|ea2e8480\.0|ca-certificates\.crt))' "$1" |
		grep -v -E '"path": "/(etc/opt|var/opt|opt|lib/systemd/system|etc/systemd/system/multi-user\.target\.wants|usr/local/share/ca-certificates|etc/ssl/certs|etc/ssl)"' |
		grep -v -E '"path": "/(var/lib|var|etc|lib|lib/systemd|usr/local/share|usr/local|usr|etc/systemd/system|etc/systemd|)"'
}

# timeless ROOT: its snap lines without the times of what this run rewrote (the bundle,
# dpkg's database)
timeless() {
	$SNAP "$1" >"$T/timeless.snap"
	py -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    if e["path"].startswith("/var/lib/dpkg/") or e["path"] == "/etc/ssl/certs/ca-certificates.crt":
        e.pop("mtime_ns", None)
    print(json.dumps(e, sort_keys=True))' <"$T/timeless.snap"
}

pkg_state() { dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$2" 2>/dev/null | tr -d ' '; }

# ---------------------------------------------------------------- plan
R=$T/full
fresh "$R"
plan_for "$R"
check "plan: exit 0" test -s "$T/plan.json"
got=$(jq_py "$T/plan.json" '" ".join(s["action"] + ":" + s["target"][:80] for s in r["steps"])')
want="stop-service:kesl.service stop-service:klnagent64.service disable-service:kesl.service"
want+=" disable-service:klnagent64.service dpkg-purge:kesl-gui dpkg-purge:kesl dpkg-purge:klnagent64"
check "plan: services stopped and disabled first, then kesl-gui purged before kesl" \
	bash -c "[[ '$got' == '$want '* ]]"
check "plan: the enablement links, the runtime leftovers and the planted root follow" bash -c "
	[[ '$got' == *'remove-path:/etc/systemd/system/multi-user.target.wants/kesl.service'* ]] &&
	[[ '$got' == *'remove-path:/var/opt/kaspersky'* ]] &&
	[[ '$got' == *'regenerate-trust:trust-store reload-units:daemon-reload' ]]"
check_eq "plan: one remove-cert step per file that holds the planted root" \
	"$(jq_py "$T/plan.json" 'sorted(s["path"] for s in r["steps"] if s["action"] == "remove-cert")')" \
	'["/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ea2e8480.0", "/etc/ssl/certs/kaspersky-fixture.pem", "/usr/local/share/ca-certificates/kaspersky-fixture.crt"]'
check_eq "plan: every step names strong or definitive evidence" \
	"$(jq_py "$T/plan.json" 'all(any(e["confidence"] in ("strong", "definitive") for e in s["evidence"]) for s in r["steps"])')" True
check_eq "plan: the lookalike and the unrelated package are not in it" \
	"$(jq_py "$T/plan.json" '[s["target"] for s in r["steps"] if s["target"] in ("kesl-lookalike", "hello-fixture")]')" '[]'
check_eq "plan: nothing refused" "$(jq_py "$T/plan.json" '[k["what"] for k in r["skipped"] if k["refused"]]')" '[]'
"$EXCISE" plan "$T/report.json" >"$T/plan.txt"
check "plan text: steps numbered with their evidence" grep -q '^  *6\. dpkg-purge  *kesl ' "$T/plan.txt"

# ---------------------------------------------------------------- dry run
$SNAP "$R" >"$T/before.snap"
rc=0
"$EXCISE" remove --root "$R" --plan "$T/plan.json" >"$T/dry.out" 2>&1 || rc=$?
$SNAP "$R" >"$T/dry.snap"
check_eq "dry run: exit 0" "$rc" 0
check "dry run: nothing changed" cmp -s "$T/before.snap" "$T/dry.snap"
check "dry run: no run directory" test ! -e "$R/var/lib/excise"

# ---------------------------------------------------------------- apply
rc=0
"$EXCISE" remove --root "$R" --plan "$T/plan.json" --apply >"$T/apply.out" 2>&1 || rc=$?
check_eq "apply: exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/apply.out"
check_eq "apply: kesl, kesl-gui and klnagent64 purged through dpkg" \
	"$(pkg_state "$R" kesl)$(pkg_state "$R" kesl-gui)$(pkg_state "$R" klnagent64)" ""
check_eq "apply: hello-fixture and kesl-lookalike still installed" \
	"$(pkg_state "$R" hello-fixture) $(pkg_state "$R" kesl-lookalike)" "ii ii"
check "apply: dpkg removed the packages' files" test ! -e "$R/opt/kaspersky" -a ! -e "$R/etc/opt/kaspersky/kesl.conf"
RUN=$(run_dir_of "$R")
quarantined "$R" "$RUN" >"$T/quarantined"
for p in /etc/systemd/system/multi-user.target.wants/kesl.service \
	/etc/systemd/system/multi-user.target.wants/klnagent64.service /var/opt/kaspersky \
	/usr/local/share/ca-certificates/kaspersky-fixture.crt /etc/ssl/certs/kaspersky-fixture.pem /etc/ssl/certs/ea2e8480.0; do
	check "apply: $p is in quarantine and gone from the root" bash -c "grep -qx '$p' '$T/quarantined' && test ! -e '$R$p' -a ! -L '$R$p'"
done
check "apply: the bundle no longer holds the planted root, still holds Acme's" bash -c "
	! grep -q \"\$(sed -n 2p '$KL_PEM')\" '$R/etc/ssl/certs/ca-certificates.crt' &&
	grep -q \"\$(sed -n 2p '$ACME_PEM')\" '$R/etc/ssl/certs/ca-certificates.crt'"
if py -c 'import os, sys; os.getxattr(sys.argv[1], "user.excise-fixture")' "$PRISTINE/etc/ssl/certs/ca-certificates.crt" 2>/dev/null; then
	check_eq "apply: the rewritten bundle keeps its extended attributes" \
		"$(py -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.excise-fixture").decode())' "$R/etc/ssl/certs/ca-certificates.crt")" \
		"bundle label"
else
	ok "# SKIP the rewritten bundle's xattrs: no user xattrs on this filesystem"
fi
check_eq "apply: only the planted block left the bundle: the text around the blocks stays" \
	"$(grep '^#' "$R/etc/ssl/certs/ca-certificates.crt" | tr '\n' ';')" "# Acme Root;# planted;# end of bundle;"
$SNAP "$R" >"$T/after.snap"
unrelated "$T/before.snap" >"$T/u.before"
unrelated "$T/after.snap" >"$T/u.after"
check "apply: every unrelated file, link and directory is untouched ($(wc -l <"$T/u.before") entries)" \
	diff "$T/u.before" "$T/u.after"
check "apply: the journal has a begin and an end for all 19 steps" bash -c "
	[ \$(grep -c '\"event\":\"begin\"' '$RUN/journal.jsonl') = 19 ] && [ \$(grep -c '\"event\":\"end\"' '$RUN/journal.jsonl') = 19 ]"
rc=0
"$EXCISE" remove --root "$R" --plan "$T/plan.json" --apply >"$T/again.out" 2>&1 || rc=$?
check "apply again: refused, the host changed since the plan" bash -c "[ $rc = 2 ] && grep -q 'changed after the scan' '$T/again.out'"

# ---------------------------------------------------------------- verify
rc=0
"$EXCISE" verify --root "$R" --run "$RUN" >"$T/verify.out" 2>&1 || rc=$?
check_eq "verify: clean after the removal" "$rc" 0
check_eq "verify: the attestation names the run, no findings, every source ok or absent" \
	"$(jq_py "$RUN/attestation.json" '[r["verdict"], r["removal_run"] == "'"$(basename "$RUN")"'", r["findings"], all(s["status"] in ("ok", "absent", "skipped") for s in r["sources"])]')" \
	'["clean", true, [], true]'
check "verify --check: the attestation and its report agree" \
	"$EXCISE" verify --check "$RUN/attestation.json" --report "$RUN/attestation.report.json" --allow-unsigned
"$EXCISE" catalog keygen -p "$T/op.pub" -s "$T/op.sec" >/dev/null
"$EXCISE" verify --root "$R" -o "$T/att.json" --sign "$T/op.sec" -q
check "verify --sign: minisign accepts the signature" bash -c "
	! command -v minisign >/dev/null || minisign -Vm '$T/att.json' -p '$T/op.pub' -q"
check "verify --check with the operator's key: valid" "$EXCISE" verify --check "$T/att.json" --trusted-key "$T/op.pub" -q
sed 's/"hostname": "fixture-host"/"hostname": "other-host"/' "$T/att.json" >"$T/forged.json"
cp "$T/att.json.minisig" "$T/forged.json.minisig"
rc=0
"$EXCISE" verify --check "$T/forged.json" --trusted-key "$T/op.pub" -q 2>"$T/forged.err" || rc=$?
check_eq "verify --check: an edited attestation fails its signature (exit 3)" "$rc" 3
rc=0
"$EXCISE" verify --check "$T/att.json" --allow-unsigned -q --report "$RUN/attestation.report.json" 2>"$T/mismatch.err" || rc=$?
check "verify --check: a report that is not the attested one is named" bash -c "[ $rc = 2 ] && grep -q 'sha256' '$T/mismatch.err'"
V=$T/unclean
fresh "$V"
rc=0
"$EXCISE" verify --root "$V" -o "$T/unclean.json" -q || rc=$?
check_eq "verify: a host still carrying the products is not clean (exit 1)" "$rc" 1
check_eq "verify: its attestation lists the findings" "$(jq_py "$T/unclean.json" '[r["verdict"], sorted(f["product"]["id"] for f in r["findings"])]')" \
	'["found", ["kesl", "klnagent"]]'

# ---------------------------------------------------------------- restore
rc=0
"$EXCISE" restore "$RUN" --root "$R" >"$T/restore.out" 2>&1 || rc=$?
check_eq "restore: exit 0" "$rc" 0
check "restore: the packages are named with their versions, to reinstall" bash -c "
	grep -q 'dpkg kesl-gui $KESL_VER' '$T/restore.out' && grep -q 'dpkg kesl $KESL_VER' '$T/restore.out' &&
	grep -q 'dpkg klnagent64 $KLN_VER' '$T/restore.out'"
$SNAP "$R" >"$T/restored.snap"
{ cat "$T/quarantined"; echo /etc/ssl/certs/ca-certificates.crt; } >"$T/compare"
check "restore: every quarantined file and the bundle byte-exact with mode, owner, times, xattrs" \
	same_entries "$T/before.snap" "$T/restored.snap" "$T/compare"
check "restore: the unrelated files still untouched" bash -c "unrelated() { $(declare -f unrelated | tail -n +2); }; diff '$T/u.before' <(unrelated '$T/restored.snap')"

# ---------------------------------------------------------------- crash and resume
REF=$T/ref
fresh "$REF"
plan_for "$REF"
"$EXCISE" remove --root "$REF" --plan "$T/plan.json" --apply -q >/dev/null 2>&1
timeless "$REF" >"$T/ref.snap"
n_steps=$(jq_py "$T/plan.json" 'len(r["steps"])')
C=$T/crash
resumed=0 restored=0 failures=""
for i in $(seq 1 "$n_steps"); do
	for ev in end begin; do
		fresh "$C"
		plan_for "$C"
		rc=0
		EXCISE_TEST_KILL_AT=$i:$ev "$EXCISE" remove --root "$C" --plan "$T/plan.json" --apply -q \
			>"$T/crash.out" 2>&1 || rc=$?
		if [ "$rc" != 137 ]; then failures+=" $i:$ev(rc=$rc)"; continue; fi
		run=$(run_dir_of "$C")
		if [ "$ev" = end ]; then
			# resume, and the host ends as an uninterrupted run leaves it
			rc=0
			"$EXCISE" remove --resume "$run" --root "$C" -q >"$T/resume.out" 2>&1 || rc=$?
			timeless "$C" >"$T/crash.snap"
			if [ "$rc" != 0 ] || ! diff -q "$T/ref.snap" "$T/crash.snap" >/dev/null; then
				failures+=" resume@$i:$ev(rc=$rc)"
				sed 's/^/# /' "$T/resume.out" | head -5
				diff "$T/ref.snap" "$T/crash.snap" | head -5 | sed 's/^/# /'
				continue
			fi
			resumed=$((resumed + 1))
		fi
		# restore after a full (resumed) or a partial run gives back every quarantined file
		quarantined "$C" "$run" >"$T/crash.q" 2>/dev/null || : >"$T/crash.q"
		echo /etc/ssl/certs/ca-certificates.crt >>"$T/crash.q"
		rc=0
		"$EXCISE" restore "$run" --root "$C" >"$T/crash-restore.out" 2>&1 || rc=$?
		$SNAP "$C" >"$T/crash-restored.snap"
		# entries compared only where the pristine root had them (dpkg's own removals are not restored)
		if [ "$rc" != 0 ] || ! same_entries "$T/before.snap" "$T/crash-restored.snap" "$T/crash.q" >"$T/same.out"; then
			failures+=" restore@$i:$ev(rc=$rc)"
			sed 's/^/# /' "$T/same.out" "$T/crash-restore.out" | head -8
			continue
		fi
		restored=$((restored + 1))
	done
done
check_eq "crash: killed after each of the $n_steps steps, --resume completes the removal every time" "$resumed" "$n_steps"
check_eq "crash: restore after every partial and resumed run is byte-exact" "$restored" "$((2 * n_steps))"
[ -z "$failures" ] || echo "# failures:$failures"

# ---------------------------------------------------------------- safety
# refused RUN-NAME WANT-MESSAGE: remove --apply over $S with $T/edited.json is refused and nothing changes
S=$T/safety
refused() {
	local name=$1 want=$2 rc=0
	$SNAP "$S" >"$T/s.before"
	"$EXCISE" remove --root "$S" --plan "$T/edited.json" --apply >"$T/s.out" 2>&1 || rc=$?
	$SNAP "$S" >"$T/s.after"
	if [ "$rc" = 2 ] && grep -q -- "$want" "$T/s.out" && cmp -s "$T/s.before" "$T/s.after" &&
		[ ! -e "$S/var/lib/excise" ]; then
		ok "safety: $name: refused, nothing touched"
	else
		not_ok "safety: $name: refused, nothing touched (rc $rc)"
		sed 's/^/# /' "$T/s.out" | head -5
		diff "$T/s.before" "$T/s.after" | head -5 | sed 's/^/# /'
	fi
}

# edit_plan PYTHON: $T/plan.json -> $T/edited.json, with `p` the plan and `step(action)` the first such step
edit_plan() {
	py - "$T/plan.json" "$T/edited.json" "$1" <<'PY'
import copy, json, sys
p = json.load(open(sys.argv[1]))
def step(action):
    return next(s for s in p["steps"] if s["action"] == action)
def clone(action, **kw):
    s = copy.deepcopy(step(action))
    s.update(kw)
    s["id"] = len(p["steps"]) + 1
    p["steps"].append(s)
    return s
exec(sys.argv[3])
json.dump(p, open(sys.argv[2], "w"))
PY
}

# edit_report PYTHON: $T/report.json -> $T/edited-report.json, `ev(source, ...)` copies the
# first evidence record of that source with its strongest match alone, the keys given
# changed (field, value and indicator those of the match, the others the record's)
edit_report() {
	py - "$T/report.json" "$T/edited-report.json" "$1" <<'PY'
import copy, json, sys
r = json.load(open(sys.argv[1]))
f = next(f for f in r["findings"] if f["product"]["id"] == "kesl")
def ev(source, **kw):
    e = copy.deepcopy(next(e for x in r["findings"] for e in x["evidence"] if e["source"] == source))
    e["matches"] = e["matches"][:1]
    e["confidence"] = e["matches"][0]["indicator"]["confidence"]
    for k, v in kw.items():
        (e["matches"][0] if k in ("field", "value", "indicator") else e)[k] = v
    f["evidence"].append(e)
    return e
exec(sys.argv[3])
json.dump(r, open(sys.argv[2], "w"))
PY
}

fresh "$S"
plan_for "$S"
edit_plan 'clone("remove-path", target="/usr", seen=step("remove-path")["seen"])'
refused "a plan naming /usr" "/usr' is a protected system path"
edit_plan 'clone("remove-path", target="/opt/../../../etc", seen=step("remove-path")["seen"])'
refused "a plan naming a path out of the root" "not an absolute path in normal form"
edit_plan 'clone("dpkg-purge", target="kesl-lookalike", version="1.0-1")'
refused "a plan naming another vendor's package with a lookalike name" "does not name the vendor"
edit_plan 'clone("remove-path", target="/home", seen=step("remove-path")["seen"])'
refused "a plan naming /home" "protected system path"

# reports edited the same way: the planner refuses them, and so does remove
for case in "/usr|protected system path" "/etc|protected system path" "../../outside|not an absolute path" \
	"/opt/../../outside|normal form"; do
	path=${case%%|*} want=${case#*|}
	edit_report "ev('files', path='$path', value='$path')"
	"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/edited.json" 2>"$T/plan.err"
	check "safety: a report naming $path: the plan marks it refused" \
		py -c 'import json,sys; p=json.load(open(sys.argv[1])); sys.exit(0 if any(k["refused"] and sys.argv[2] in k["what"] for k in p["skipped"]) else 1)' "$T/edited.json" "$path"
	refused "a report naming $path" "$want"
done
edit_report "ev('dpkg', value='kesl-lookalike', attrs={'package': 'kesl-lookalike'})"
"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/edited.json" 2>"$T/plan.err"
refused "a report naming the lookalike package under kesl's indicator" "does not match its indicator"
edit_report "ev('dpkg', value='kesl', attrs={'package': 'kesl-lookalike'})"
"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/edited.json" 2>"$T/plan.err"
# observed again, the package acted on is not the one kesl's indicator names (remove/rematch.c)
refused "a report naming the lookalike package as kesl's" "not the vendor's package\\|kesl-lookalike, which indicator kesl.package.kesl does not match"
# a path no rule protects, but no indicator names: matched again, the evidence fails
mkdir -p "$S/usr/share/doc/hello-fixture"
echo "keep" >"$S/usr/share/doc/hello-fixture/README"
edit_report "ev('files', path='/usr/share/doc/hello-fixture/README', value='/usr/share/doc/hello-fixture/README')"
"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/edited.json" 2>"$T/plan.err"
refused "a report naming an unprotected file of another package" "does not match its indicator"
check "safety: that file is intact" grep -qx keep "$S/usr/share/doc/hello-fixture/README"

# a path outside the root through a symlink planted in it
mkdir -p "$T/outside"
echo "host file" >"$T/outside/keep.txt"
ln -s "$T/outside" "$S/var/opt/kaspersky/kesl/escape"
edit_report "ev('files', path='/var/opt/kaspersky/kesl/escape/keep.txt', value='keep.txt')"
"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/edited.json" 2>"$T/plan.err"
refused "a report naming a file through a symlink out of the root" "symlink"
check "safety: the file outside the root is intact" grep -qx "host file" "$T/outside/keep.txt"
rm "$S/var/opt/kaspersky/kesl/escape"

# a symlink swapped in between plan and removal
fresh "$S"
plan_for "$S"
cp "$T/plan.json" "$T/edited.json"
mv "$S/var/opt/kaspersky" "$S/var/opt/kaspersky.moved"
ln -s /usr "$S/var/opt/kaspersky"
refused "a symlink swapped in for /var/opt/kaspersky after the plan" "replaced after the scan"
rm "$S/var/opt/kaspersky"
mv "$S/var/opt/kaspersky.moved" "$S/var/opt/kaspersky"

# a package database newer than the scan
touch "$S/var/lib/dpkg/status"
refused "a plan older than the package database" "older than the host's state"

# ---------------------------------------------------------------- one excise at a time
# While another holds the run directory's lock (here flock(1)), neither --resume nor
# restore touches the run.
fresh "$S"
plan_for "$S"
"$EXCISE" remove --root "$S" --plan "$T/plan.json" --apply -q >/dev/null 2>&1
run=$(run_dir_of "$S")
cp "$run/journal.jsonl" "$T/journal.before"
for cmd in "remove --resume" "restore"; do
	rc=0
	# shellcheck disable=SC2086 # the command is two words
	flock -n "$run" "$EXCISE" $cmd "$run" --root "$S" >"$T/l.out" 2>&1 || rc=$?
	check_eq "lock: $cmd while another excise holds the run is refused (exit 2)" "$rc" 2
	check "lock: $cmd says why" grep -q "is being carried out or restored by another excise" "$T/l.out"
done
check "lock: the journal is untouched" cmp "$T/journal.before" "$run/journal.jsonl"

# ---------------------------------------------------------------- dpkg in an offline root
# An image's maintainer script is not run on this machine: it goes into the quarantine.
fresh "$S"
printf '#!/bin/sh\ntouch /excise-postrm-ran\n' >"$S/var/lib/dpkg/info/kesl.postrm"
chmod 0755 "$S/var/lib/dpkg/info/kesl.postrm"
plan_for "$S"
rc=0
"$EXCISE" remove --root "$S" --plan "$T/plan.json" --apply -q >"$T/m.out" 2>&1 || rc=$?
check_eq "dpkg offline: apply exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/m.out" | head -20
check "dpkg offline: the package's postrm was not run" test ! -e "$S/excise-postrm-ran" -a ! -e /excise-postrm-ran
check "dpkg offline: the postrm is in the quarantine" bash -c "
	grep -q '\"path\":\"/var/lib/dpkg/info/kesl.postrm\"' '$(run_of "$S")'/manifest.jsonl"
check_eq "dpkg offline: kesl purged all the same" \
	"$(dpkg-query --admindir="$S/var/lib/dpkg" -W -f='${db:Status-Abbrev}' kesl 2>/dev/null || echo gone)" "gone"

# A directory of the package that is a symlink out of the root (the host would follow
# it): dpkg is not run, the host's files stay.
fresh "$S"
plan_for "$S"
mkdir -p "$T/host-decoy/bin"
echo "host file" >"$T/host-decoy/bin/kesl-control"
mv "$S/opt/kaspersky/kesl" "$S/opt/kaspersky/kesl.real"
ln -s "$T/host-decoy" "$S/opt/kaspersky/kesl"
rc=0
"$EXCISE" remove --root "$S" --plan "$T/plan.json" --apply >"$T/m.out" 2>&1 || rc=$?
check_eq "dpkg offline: a package directory leading out of the root: the step is refused (exit 1)" "$rc" 1
check "dpkg offline: the refusal names the directory" grep -q "'/opt/kaspersky/kesl' is not the same directory seen from the host" "$T/m.out"
check "dpkg offline: the host's file is intact" grep -qx "host file" "$T/host-decoy/bin/kesl-control"
check_eq "dpkg offline: kesl is still installed" \
	"$(dpkg-query --admindir="$S/var/lib/dpkg" -W -f='${db:Status-Abbrev}' kesl 2>/dev/null)" "ii "
rm "$S/opt/kaspersky/kesl"

# A package file list over EXCISE_MAX_DPKG_LIST_SIZE (64 MiB): the step fails, naming it.
fresh "$S"
plan_for "$S"
truncate -s $((64 * 1024 * 1024 + 1)) "$S/var/lib/dpkg/info/kesl-gui.list"
rc=0
"$EXCISE" remove --root "$S" --plan "$T/plan.json" --apply >"$T/m.out" 2>&1 || rc=$?
check_eq "dpkg offline: a file list over 64 MiB fails the step (exit 1)" "$rc" 1
check "dpkg offline: the failure names the list and the limit" grep -q "'/var/lib/dpkg/info/kesl-gui.list': over 67108864 bytes" "$T/m.out"

# ---------------------------------------------------------------- RHEL's trust store layout
# /etc/ssl/certs is a link to ../pki/tls/certs and tls/certs/ca-bundle.crt a link to the
# bundle update-ca-trust extracts: the plan acts where the files really are, the links
# to the bundle stay, and the rescan is clean.
fresh "$S"
mkdir -p "$S/etc/pki/ca-trust/extracted/pem" "$S/etc/pki/tls/certs" "$S/etc/pki/ca-trust/source/anchors"
cp "$S/etc/ssl/certs/ca-certificates.crt" "$S/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"
ln -s ../../ca-trust/extracted/pem/tls-ca-bundle.pem "$S/etc/pki/tls/certs/ca-bundle.crt"
cp "$KL_PEM" "$S/etc/pki/ca-trust/source/anchors/kaspersky.pem"
rm -rf "$S/etc/ssl/certs" "$S/usr/local/share/ca-certificates/kaspersky-fixture.crt"
ln -s ../pki/tls/certs "$S/etc/ssl/certs"
plan_for "$S"
check_eq "rhel trust: nothing refused" \
	"$(py -c 'import json,sys; print([k["what"] for k in json.load(open(sys.argv[1]))["skipped"] if k["refused"]])' "$T/plan.json")" "[]"
rc=0
"$EXCISE" remove --root "$S" --plan "$T/plan.json" --apply -q >"$T/m.out" 2>&1 || rc=$?
check_eq "rhel trust: apply exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/m.out" | head -20
check "rhel trust: the links stay" test -L "$S/etc/ssl/certs" -a -L "$S/etc/pki/tls/certs/ca-bundle.crt"
check_eq "rhel trust: the extracted bundle keeps Acme's root alone" \
	"$(grep -c 'BEGIN CERTIFICATE' "$S/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem")" 1
check "rhel trust: the anchor is in the quarantine" test ! -e "$S/etc/pki/ca-trust/source/anchors/kaspersky.pem"
rc=0
"$EXCISE" scan --root "$S" -q >/dev/null 2>&1 || rc=$?
check_eq "rhel trust: the rescan is clean" "$rc" 0

# ---------------------------------------------------------------- rpm root
if command -v rpmbuild >/dev/null && command -v rpm >/dev/null; then
	fixture_copy rpm "$T/rpmroot"
	settled "$(fixture rpm)"
	$SNAP "$T/rpmroot" >"$T/rpm.before"
	plan_for "$T/rpmroot"
	check_eq "rpm: plan erases kesl-gui before kesl, not acme-av" \
		"$(jq_py "$T/plan.json" '[s["target"] for s in r["steps"] if s["action"] == "rpm-erase"]')" '["kesl-gui", "kesl"]'
	rc=0
	"$EXCISE" remove --root "$T/rpmroot" --plan "$T/plan.json" --apply >"$T/rpm.out" 2>&1 || rc=$?
	check_eq "rpm: apply exit 0" "$rc" 0
	[ "$rc" = 0 ] || sed 's/^/# /' "$T/rpm.out"
	check_eq "rpm: kesl and kesl-gui erased through rpm, acme-av kept" \
		"$(rpm --root "$T/rpmroot" --dbpath /var/lib/rpm -q --qf '%{NAME}\n' kesl kesl-gui acme-av 2>&1 | sort | tr '\n' ' ')" \
		"acme-av package kesl is not installed package kesl-gui is not installed "
	check "rpm: the runtime leftover is in quarantine" test ! -e "$T/rpmroot/var/opt/kaspersky"
	rc=0
	"$EXCISE" verify --root "$T/rpmroot" -o "$T/rpm-att.json" -q || rc=$?
	check_eq "rpm: verify clean" "$rc" 0
	$SNAP "$T/rpmroot" >"$T/rpm.after"
	check "rpm: acme-av's files untouched" bash -c "diff <(grep '/opt/acme-av' '$T/rpm.before') <(grep '/opt/acme-av' '$T/rpm.after')"
else
	ok "# SKIP rpm root: rpmbuild not installed"
fi

done_testing
