#!/bin/bash
# End-to-end, issue 13 item 3: a plan that tells the truth and a restore that
# completes, on a copy of the linux fixture (real .deb packages installed with
# dpkg --root). The plan promises the quarantine only for what dpkg --purge leaves;
# apply; restore; the rescan differs from the first scan only by what restore said it
# could not bring back; the run summary's counts are the journal's.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in dpkg dpkg-query python3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done

R=$T/root
fixture_copy linux "$R"
# a plan must be newer than the package database it was made from
sleep 2.1

"$EXCISE" scan --root "$R" --format json -o "$T/before.json" -q >/dev/null 2>"$T/scan.err"
"$EXCISE" plan "$T/before.json" --format json -o "$T/plan.json"
check "plan made" test -s "$T/plan.json"

# What dpkg will delete, read here from its own lists (before the purge removes them):
# every path of the purged packages' info/PKG.list.
py - "$T/plan.json" "$R" >"$T/owned.txt" <<'PY'
import glob, json, sys
plan, root = json.load(open(sys.argv[1])), sys.argv[2]
for s in plan["steps"]:
    if s["action"] == "dpkg-purge":
        for lf in glob.glob(f"{root}/var/lib/dpkg/info/{s['target']}.list") + \
                  glob.glob(f"{root}/var/lib/dpkg/info/{s['target']}:*.list"):
            for line in open(lf):
                line = line.rstrip("\n")
                if line.startswith("/") and line != "/.":
                    print(s["target"], s["version"], line)
PY
check "the purged packages own files" test -s "$T/owned.txt"

# Each remove-path step: a target the packages own (or hold files in) is not promised
# to the quarantine; the others are. What the promise covers: every path under a
# target that no purged package owns.
py - "$T/plan.json" "$T/owned.txt" "$R" >"$T/promised.txt" 2>"$T/notes.err" <<'PY'
import json, os, sys
plan = json.load(open(sys.argv[1]))
owned = {}
for l in open(sys.argv[2]):
    pkg, ver, path = l.rstrip("\n").split(" ", 2)
    owned.setdefault(path, (pkg, ver))
root, bad = sys.argv[3], 0
for s in plan["steps"]:
    if s["action"] != "remove-path":
        continue
    t = s["target"]
    mine = [p for p in owned if p == t or p.startswith(t + "/")]
    promises = "moved into the quarantine store" in s["note"]
    if mine:
        pkgs = {owned[p] for p in mine}
        if not all(f"{p} {v}" in s["note"] for p, v in pkgs) or "not restorable" not in s["note"]:
            print("note does not name the package that deletes", t, ":", s["note"], file=sys.stderr); bad += 1
        if t in owned and len(mine) == 1 and promises:
            print("promises what dpkg deletes:", t, file=sys.stderr); bad += 1
    elif not promises:
        print("no promise for a path no package owns:", t, file=sys.stderr); bad += 1
    if promises:
        top = root + t
        for dp, dns, fns in os.walk(top) if os.path.isdir(top) and not os.path.islink(top) else [(os.path.dirname(top), [], [os.path.basename(top)])]:
            for n in dns + fns:
                p = os.path.join(dp, n)[len(root):]
                if p not in owned and os.path.lexists(root + p):
                    print(p)
        if os.path.lexists(top) and t not in owned:
            print(t)
sys.exit(1 if bad else 0)
PY
check "notes: the package manager's deletions named, the quarantine promised for the rest" test $? -eq 0
[ -s "$T/notes.err" ] && sed 's/^/# /' "$T/notes.err"
sort -u -o "$T/promised.txt" "$T/promised.txt"
check "the plan promises leftovers to the quarantine" grep -q '^/var/opt/kaspersky/kesl/private/storage.bin$' "$T/promised.txt"
check "not what kesl's purge deletes" sh -c "! grep -q '^/var/opt/kaspersky/kesl/common/kesl.ini\$' '$T/promised.txt'"

"$EXCISE" remove --root "$R" --plan "$T/plan.json" --apply >"$T/apply.out" 2>&1
check "apply ran" test $? -eq 0
RUN=$(run_of "$R")
RUN=${RUN%/}
MAN=$RUN/manifest.jsonl

# the summary's counts are the journal's (and the quarantine manifest's)
py - "$T/apply.out" "$RUN/journal.jsonl" "$T/plan.json" "$MAN" >"$T/counts.txt" <<'PY'
import json, re, sys
out = open(sys.argv[1]).read()
m = re.search(r"run \S+: (\d+) done \((\d+) objects? moved to quarantine, (\d+) packages? purged\), (\d+) already gone, "
              r"(\d+) skipped, (\d+) failed, (\d+) refused", out)
if not m:
    sys.exit("no summary line")
done, moved, purged, already, skipped, failed, refused = map(int, m.groups())
steps = {s["id"]: s for s in json.load(open(sys.argv[3]))["steps"]}
ends = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r["event"] == "end":
        ends[r["step"]] = r
oc = lambda o: sum(1 for r in ends.values() if r["outcome"] == o)
j_moved = sum(r["moved"] for r in ends.values())
j_purged = sum(1 for k, r in ends.items() if r["outcome"] == "done" and steps[k]["action"] in ("dpkg-purge", "rpm-erase"))
m_moved = sum(1 for l in open(sys.argv[4]) if json.loads(l)["event"] == "moved")
print(f"summary {done} {moved} {purged} {already} {skipped} {failed} {refused}")
print(f"journal {oc('done')} {j_moved} {j_purged} {oc('already')} {oc('skipped')} {oc('failed')} {oc('refused')}")
print(f"manifest moved {m_moved}")
sys.exit(0 if (done, moved, purged, already, skipped, failed, refused) == (oc('done'), j_moved, j_purged, oc('already'), oc('skipped'), oc('failed'), oc('refused')) and moved == m_moved and purged == 3 else 1)
PY
check "summary counts = journal counts = quarantine moves" test $? -eq 0
sed 's/^/# /' "$T/counts.txt"

"$EXCISE" restore "$RUN" --root "$R" >"$T/restore.out" 2>&1
check "restore completes" test $? -eq 0
sed 's/^/# /' "$T/restore.out"
for p in "kesl-gui 12.1.0-1191" "kesl 12.1.0-1191" "klnagent64 15.0.0-8812"; do
	check "restore names $p to reinstall" grep -q "reinstall: dpkg $p\$" "$T/restore.out"
done
check "restore names the links whose unit files the purge took" \
	grep -q "target is gone: /etc/systemd/system/multi-user.target.wants/kesl.service -> /lib/systemd/system/kesl.service" "$T/restore.out"

# nothing the plan called restorable is lost
missing=$(while read -r p; do [ -e "$R$p" ] || [ -L "$R$p" ] || echo "$p"; done <"$T/promised.txt")
check_eq "every promised path is back" "" "$missing"

# the rescan differs from the first scan only by what restore said it could not bring back
"$EXCISE" scan --root "$R" --format json -o "$T/after.json" -q >/dev/null 2>>"$T/scan.err"
py - "$T/before.json" "$T/after.json" "$T/restore.out" "$T/owned.txt" >"$T/diff.txt" <<'PY'
import json, re, sys
def ev(f):
    out = set()
    for fi in json.load(open(f))["findings"]:
        for e in fi["evidence"]:
            out.add((e["source"], e["kind"], e.get("path") or "", json.dumps(e.get("attrs"), sort_keys=True), e.get("state") or ""))
    return out
before, after = ev(sys.argv[1]), ev(sys.argv[2])
said = open(sys.argv[3]).read()
pkgs = set(re.findall(r"reinstall: dpkg (\S+) ", said))
dangling = set(re.findall(r"target is gone: (\S+) -> ", said))
owned = {l.split(" ", 2)[2].rstrip("\n") for l in open(sys.argv[4])}
bad = 0
for e in sorted(before - after):
    attrs = json.loads(e[3]) or {}
    path_gone = e[2] in owned
    pkg_gone = e[1] == "package" and attrs.get("package") in pkgs
    # a link that restore named: its state changes (its target is gone), said
    link = e[2] in dangling
    # a unit seen through its file: the file was owned by a package restore named
    if not (path_gone or pkg_gone or link):
        print("lost and not said:", e); bad += 1
for e in sorted(after - before):
    if e[2] not in dangling:
        print("new and not said:", e); bad += 1
print(len(before - after), "lost,", len(after - before), "new, all said by restore" if not bad else "")
sys.exit(1 if bad else 0)
PY
check "the rescan finds only what restore said it could not bring back" test $? -eq 0
sed 's/^/# /' "$T/diff.txt"

done_testing
