#!/bin/bash
# End-to-end: review before harm (issue 13, item 6), on a copy of the Linux fixture
# root (KESL, its agent and a planted root certificate, installed by dpkg).
#  - remove --apply without --plan is a usage error naming the way on (excise plan,
#    or --yes), and touches nothing;
#  - the dry run prints every step marked would-do, already-done, skipped or refused,
#    with each command as it would be spawned and each path it would move;
#  - plan exits 1 when a safety rule refused an item, and says so first.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
SNAP="py $EXCISE_SRC/tests/e2e/snap.py"

R=$T/root
fixture_copy linux "$R"
sleep 1.1 # a plan must be newer than the package database it was made from
"$EXCISE" scan --root "$R" --format json -o "$T/report.json" -q >/dev/null 2>"$T/scan.err"
rc=0
"$EXCISE" plan "$T/report.json" --format json -o "$T/plan.json" 2>"$T/plan.err" || rc=$?
check_eq "plan of the fixture: written, nothing refused (exit 0, nothing on stderr)" "$rc:$(wc -c <"$T/plan.err")" "0:0"
$SNAP "$R" >"$T/before.snap"
untouched() { $SNAP "$R" >"$T/after.snap" && cmp -s "$T/before.snap" "$T/after.snap" && [ ! -e "$R/var/lib/excise" ]; }

# --- remove --apply without --plan ---
for src in "--root $R" "--root $R --report $T/report.json"; do
	rc=0
	# shellcheck disable=SC2086
	"$EXCISE" remove $src --apply >"$T/a.out" 2>"$T/a.err" || rc=$?
	check_eq "remove $src --apply, no --plan: a usage error (exit 2), nothing on stdout" \
		"$rc:$(wc -c <"$T/a.out")" "2:0"
	check "remove $src --apply, no --plan: says how to review (excise plan, then --plan) or --yes" \
		grep -q "^excise: remove --apply without --plan .*excise plan .*excise remove --plan PLAN.json --apply; or pass --yes$" "$T/a.err"
	check "remove $src --apply, no --plan: then where to look" grep -qx "Try 'excise remove --help' for more information." "$T/a.err"
	check "remove $src --apply, no --plan: the root untouched" untouched
done

# --- the dry run: each step, its mark, its commands and paths ---
rc=0
"$EXCISE" remove --plan "$T/plan.json" >"$T/dry.out" 2>"$T/dry.err" || rc=$?
check_eq "dry run: exit 0" "$rc" 0
check "dry run: nothing changed" untouched
n_steps=$(jq_py "$T/plan.json" 'len(r["steps"])')
check_eq "dry run: every step of the plan, in order, each with a mark" \
	"$(awk '/^\[[0-9]+\/[0-9]+\]/ { id = $1; getline; print id, $1 }' "$T/dry.out" | tr '\n' ' ')" \
	"$(jq_py "$T/plan.json" '" ".join("[%d/%d] %s" % (s["id"], len(r["steps"]), "skipped" if s["action"] in ("stop-service", "reload-units") else "would-do") for s in r["steps"])') "
# the commands, as they would be spawned
for p in kesl kesl-gui klnagent64; do
	check "dry run: dpkg-purge $p shows the dpkg command" \
		grep -qxF "          run: dpkg --root=$R --no-triggers --purge -- $p" "$T/dry.out"
done
# the paths, each one the plan moves
for p in $(jq_py "$T/plan.json" '" ".join(s["target"] for s in r["steps"] if s["action"] == "remove-path")'); do
	check "dry run: remove-path $p shows the path it moves" grep -qxF "          move: $p" "$T/dry.out"
done
check "dry run: an offline root's disable-service moves its enablement link" \
	grep -qxF "          move: /etc/systemd/system/multi-user.target.wants/kesl.service" "$T/dry.out"
check_eq "dry run: the summary last" "$(tail -1 "$T/dry.out")" \
	"dry run: $n_steps steps checked against the host, nothing changed; --apply to carry them out"

# already-done: a path the plan names that is gone since
mv "$R/var/opt/kaspersky" "$T/var-opt-kaspersky"
"$EXCISE" remove --plan "$T/plan.json" >"$T/dry2.out" 2>&1
check "dry run: a path gone since the plan is already-done" bash -c "
	grep -A2 -xF '[$(jq_py "$T/plan.json" '[s["id"] for s in r["steps"] if s["target"] == "/var/opt/kaspersky"][0]')/$n_steps] remove-path /var/opt/kaspersky' '$T/dry2.out' |
	tr '\n' '|' | grep -qF 'already-done|          already gone: /var/opt/kaspersky|'"
mv "$T/var-opt-kaspersky" "$R/var/opt/kaspersky"

# refused: a step a safety rule refuses is marked, the run refused, nothing changed
py - "$T/plan.json" "$T/edited.json" <<'PY'
import copy, json, sys
p = json.load(open(sys.argv[1]))
s = copy.deepcopy(next(s for s in p["steps"] if s["action"] == "remove-path"))
s.update(target="/usr", id=len(p["steps"]) + 1)
p["steps"].append(s)
json.dump(p, open(sys.argv[2], "w"))
PY
rc=0
"$EXCISE" remove --plan "$T/edited.json" >"$T/dry3.out" 2>"$T/dry3.err" || rc=$?
check_eq "dry run of a plan naming /usr: refused (exit 2)" "$rc" 2
check "dry run of a plan naming /usr: the step marked refused, with the rule" bash -c "
	grep -A2 -xF '[$((n_steps + 1))/$((n_steps + 1))] remove-path /usr' '$T/dry3.out' | tr '\n' '|' |
	grep -qF 'refused|          '\''/usr'\'' is a protected system path'"
check "dry run of a plan naming /usr: the other steps still shown, would-do" \
	grep -qxF "          run: dpkg --root=$R --no-triggers --purge -- kesl" "$T/dry3.out"
check "dry run of a plan naming /usr: says nothing was changed" grep -qx "excise: nothing was changed" "$T/dry3.err"
check "dry run of a plan naming /usr: nothing changed" untouched

# --- plan: a refused item makes it exit 1, said first ---
py - "$T/report.json" "$T/edited-report.json" <<'PY'
import copy, json, sys
r = json.load(open(sys.argv[1]))
f = next(f for f in r["findings"] if f["product"]["id"] == "kesl")
e = copy.deepcopy(next(e for x in r["findings"] for e in x["evidence"] if e["source"] == "files"))
e["matches"] = e["matches"][:1]
e["confidence"] = e["matches"][0]["indicator"]["confidence"]
e["path"] = "/usr"
e["matches"][0]["value"] = "/usr"
f["evidence"].append(e)
json.dump(r, open(sys.argv[2], "w"))
PY
for fmt in text json; do
	rc=0
	"$EXCISE" plan "$T/edited-report.json" --format "$fmt" >"$T/p.$fmt" 2>"$T/p.$fmt.err" || rc=$?
	check_eq "plan --format $fmt of a report naming /usr: exit 1" "$rc" 1
	check_eq "plan --format $fmt: the refusal is the first thing said" "$(head -1 "$T/p.$fmt.err")" \
		"excise: 1 item refused by a safety rule (listed with what the plan does not act on); the plan is written, and excise remove will refuse it"
	rc=0
	"$EXCISE" plan "$T/edited-report.json" --format "$fmt" >"$T/p2.$fmt" 2>&1 || rc=$?
	check "plan --format $fmt: said before the plan itself on one stream" bash -c "head -1 '$T/p2.$fmt' | grep -q '^excise: 1 item refused'"
done
check "plan --format text: the refused item listed" grep -q "^  - REFUSED path /usr: " "$T/p.text"
check_eq "plan --format json: the plan written, the item refused in it" \
	"$(jq_py "$T/p.json" '[k["what"] for k in r["skipped"] if k["refused"]]')" '["path /usr"]'
rc=0
"$EXCISE" plan "$T/edited-report.json" --format json -o "$T/p.out.json" 2>"$T/p3.err" || rc=$?
check_eq "plan -o FILE with a refused item: exit 1, the file written" "$rc:$(jq_py "$T/p.out.json" 'r["schema"]')" "1:excise.plan/1"

done_testing
