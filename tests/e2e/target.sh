#!/bin/bash
# End-to-end, issue 13 items 1 and 2: the target is what the operator named, once
# (a plan's root, a run's root; a different --root is refused before anything is
# touched; an empty --root is a usage error), and no output file claims what did
# not happen (files appear whole or not at all; verify --check says when the
# signature was not checked). Over copies of the `linux` fixture root.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

for t in dpkg dpkg-query python3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
PRISTINE=$(fixture linux) || { echo "Bail out! fixture root"; exit 1; }
# a plan must be newer than the package database it was made from
[ $(($(date +%s) - $(stat -c %Y "$PRISTINE.stamp"))) -ge 2 ] || sleep 2

A=$T/root-a
B=$T/root-b
cp -a "$PRISTINE" "$A"
cp -a "$PRISTINE" "$B"
pkg_state() { dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${db:Status-Abbrev}' "$2" 2>/dev/null | tr -d ' '; }
exists() { [ -e "$1" ] && echo yes || echo no; }

"$EXCISE" scan --root "$A" --format json -o "$T/report-a.json" -q >/dev/null 2>&1
"$EXCISE" plan "$T/report-a.json" --format json -o "$T/plan-a.json"
check_eq "the plan records root A" "$(jq_py "$T/plan-a.json" 'r["host"]["root"]')" "$A"

# ---------------------------------------------------------------- a plan for A, --root B
tree_sums "$A" >"$T/a.before"
tree_sums "$B" >"$T/b.before"
rc=0
"$EXCISE" remove --plan "$T/plan-a.json" --root "$B" --apply >"$T/ab.out" 2>"$T/ab.err" || rc=$?
check_eq "remove --plan (for A) --root B --apply: refused (exit 2)" "$rc" 2
check "... naming both roots" bash -c "grep -qF -- \"--root '$B'\" '$T/ab.err' && grep -qF \"root '$A'\" '$T/ab.err'"
tree_sums "$A" >"$T/a.after"
tree_sums "$B" >"$T/b.after"
check "... B untouched (every file's sha256)" cmp "$T/b.before" "$T/b.after"
check "... A untouched (every file's sha256)" cmp "$T/a.before" "$T/a.after"
check_eq "... no run directory in either, nor in the state folder" \
	"$(exists "$A/var/lib/excise"):$(exists "$B/var/lib/excise"):$(ls -A "$EXCISE_STATE_DIR/runs" 2>/dev/null)" "no:no:"
check_eq "... kesl still installed in both" "$(pkg_state "$A" kesl):$(pkg_state "$B" kesl)" "ii:ii"

rc=0
"$EXCISE" remove --report "$T/report-a.json" --root "$B" >"$T/rb.out" 2>"$T/rb.err" || rc=$?
check "remove --report (of A) --root B: refused too, naming both" \
	bash -c "[ $rc = 2 ] && grep -qF \"'$B'\" '$T/rb.err' && grep -qF \"'$A'\" '$T/rb.err'"

# the same directory by another name is the same root
ln -s "$A" "$T/link-a"
expect "remove --plan --root (a symlink to A): the same root, the dry run goes on" 0 "^dry run" \
	"$EXCISE" remove --plan "$T/plan-a.json" --root "$T/link-a"
expect "remove --plan --root A/.: the same root" 0 "^dry run" \
	"$EXCISE" remove --plan "$T/plan-a.json" --root "$A/."

# ---------------------------------------------------------------- without --root: the plan's root
rc=0
"$EXCISE" remove --plan "$T/plan-a.json" --apply >"$T/apply.out" 2>&1 || rc=$?
check_eq "remove --plan --apply without --root: acts on the plan's root (exit 0)" "$rc" 0
check_eq "... kesl purged in A (gone from its database), still installed in B" \
	"$(pkg_state "$A" kesl):$(pkg_state "$B" kesl)" ":ii"
tree_sums "$B" >"$T/b.after2"
check "... B untouched" cmp "$T/b.before" "$T/b.after2"
RUN=$(run_of "$A")
check "... the run's records are on the host, in the state folder, not in A" \
	bash -c "[ -f '$RUN/journal.jsonl' ] && [ '$(dirname "$RUN")' = '$EXCISE_STATE_DIR/runs' ] && [ ! -e '$A/var/lib/excise/runs' ]"
check "... A keeps only the quarantined bytes" \
	bash -c "[ -d '$A/var/lib/excise/quarantine/$(basename "$RUN")/data' ] && [ -f '$RUN/manifest.jsonl' ] && [ ! -e '$A/var/lib/excise/quarantine/$(basename "$RUN")/manifest.jsonl' ]"

# ---------------------------------------------------------------- resume, restore: the run's root
rc=0
"$EXCISE" remove --resume "$RUN" --root "$B" >"$T/res.out" 2>"$T/res.err" || rc=$?
check "remove --resume RUN --root B: refused, naming both" \
	bash -c "[ $rc = 2 ] && grep -qF \"'$B'\" '$T/res.err' && grep -qF \"'$A'\" '$T/res.err'"
expect "remove --resume RUN without --root: this host, which the run does not record: refused" 2 \
	"works on the root '$A', not on this host: name that root with --root" "$EXCISE" remove --resume "$RUN" -q
expect "remove --resume RUN --root A: the run's root, accepted" 0 "" "$EXCISE" remove --resume "$RUN" --root "$A" -q
expect "remove --resume with another scan option: still a usage error" 2 "--resume takes the run directory alone" \
	"$EXCISE" remove --resume "$RUN" --full
rc=0
"$EXCISE" restore "$RUN" --root "$B" >"$T/rst.out" 2>"$T/rst.err" || rc=$?
check "restore RUN --root B: refused, naming both" \
	bash -c "[ $rc = 2 ] && grep -qF \"'$B'\" '$T/rst.err' && grep -qF \"'$A'\" '$T/rst.err'"
check "... nothing restored into A" test ! -e "$A/var/opt/kaspersky"
tree_sums "$B" >"$T/b.after3"
check "... B untouched" cmp "$T/b.before" "$T/b.after3"

# ---------------------------------------------------------------- verify --run: the run's root
expect "verify --run RUN without --root: this host, which the run does not record: refused" 2 \
	"name that root with --root" "$EXCISE" verify --run "$RUN" -q
check_eq "... and no attestation" "$(exists "$RUN/attestation.json")" no
rc=0
"$EXCISE" verify --run "$RUN" --root "$A" -q >"$T/v.out" 2>"$T/v.err" || rc=$?
check_eq "verify --run RUN --root A: clean (exit 0)" "$rc" 0
check_eq "... the attestation names root A, offline, and the run" \
	"$(jq_py "$RUN/attestation.json" '[r["host"]["root"], r["host"]["live"], r["removal_run"], r["verdict"]]')" \
	"[\"$A\", false, \"$(basename "$RUN")\", \"clean\"]"
rc=0
"$EXCISE" verify --run "$RUN" --root "$B" -o "$T/vb.json" >"$T/vb.out" 2>"$T/vb.err" || rc=$?
check "verify --run RUN --root B: refused, naming both, no attestation" \
	bash -c "[ $rc = 2 ] && grep -qF \"'$B'\" '$T/vb.err' && grep -qF \"'$A'\" '$T/vb.err' && [ ! -e '$T/vb.json' ]"
mkdir "$T/not-a-run"
expect "verify --run on a directory that is no run: an error, not a rescan of this host" 2 "not-a-run" \
	"$EXCISE" verify --run "$T/not-a-run" -o "$T/nr.json"
check_eq "... and no attestation" "$(exists "$T/nr.json")" no

expect "restore RUN without --root: refused, nothing restored" 2 "name that root with --root" "$EXCISE" restore "$RUN"
check "... nothing restored into A" test ! -e "$A/var/opt/kaspersky"
restore_rc=0
"$EXCISE" restore "$RUN" --root "$A" >"$T/restore.out" 2>&1 || restore_rc=$?
check "restore RUN --root A: puts back into A" bash -c "[ $restore_rc -le 1 ] && [ -e '$A/var/opt/kaspersky/kesl/private/storage.bin' ]"

# ---------------------------------------------------------------- an empty --root
for cmd in scan plan remove verify; do
	expect "$cmd --root '': a usage error, not the live host" 2 "^excise: --root: empty path" \
		"$EXCISE" $cmd --root "" -q
done
expect "remove --plan --root '': a usage error" 2 "^excise: --root: empty path" \
	"$EXCISE" remove --plan "$T/plan-a.json" --root ""
expect "restore --root '': a usage error" 2 "^excise: --root: empty path" "$EXCISE" restore "$RUN" --root ""
expect "verify --run --root '': a usage error" 2 "^excise: --root: empty path" "$EXCISE" verify --run "$RUN" --root ""

# ---------------------------------------------------------------- outputs appear whole or not at all
mkdir "$T/out"
rc=0
"$EXCISE" verify --root "$B" -q -o "$T/out/att.json" --sign "$T/no-such.key" >/dev/null 2>"$T/sign.err" || rc=$?
check_eq "verify --sign with an unreadable key: exit 3" "$rc" 3
check_eq "... no attestation, report, signature or temporary file left" "$(ls -A "$T/out")" ""
mkdir "$T/key-dir"
rc=0
"$EXCISE" verify --root "$B" -q -o "$T/out/att.json" --sign "$T/key-dir" >/dev/null 2>&1 || rc=$?
check_eq "verify --sign with a directory for a key: exit 3, nothing left" "$rc:$(ls -A "$T/out")" "3:"
echo "the previous attestation" >"$T/out/att.json"
"$EXCISE" verify --root "$B" -q -o "$T/out/att.json" --sign "$T/no-such.key" >/dev/null 2>&1 || true
check_eq "... an attestation already there is left as it was" "$(cat "$T/out/att.json")" "the previous attestation"
rm -f "$T/out/att.json"

echo "old report" >"$T/out/report.txt"
chmod 0600 "$T/out/report.txt"
rc=0
"$EXCISE" scan --root "$T/out" -q -o "$T/out/report.txt" >/dev/null 2>&1 || rc=$?
check_eq "scan -o of a root that is no system: exit 2, the old file kept" "$rc:$(cat "$T/out/report.txt")" "2:old report"
"$EXCISE" scan --root "$B" -q -o "$T/out/report.txt" >/dev/null 2>&1 || true
check "scan -o over an existing file: replaced whole" grep -q "Kaspersky" "$T/out/report.txt"
check_eq "... keeping its mode, no temporary file left" "$(stat -c %a "$T/out/report.txt"):$(ls -A "$T/out")" \
	"600:report.txt"
printf '{"schema": "excise.report/2"' >"$T/bad-report.json"
rc=0
"$EXCISE" plan "$T/bad-report.json" --emit sh -o "$T/out/plan.sh" >/dev/null 2>&1 || rc=$?
check_eq "plan --emit sh -o from a broken report: exit 2, no script" "$rc:$(exists "$T/out/plan.sh")" "2:no"
expect "scan -o /dev/null: written in place (not renamed over)" 1 "" "$EXCISE" scan --root "$B" -q -o /dev/null
check "... /dev/null is still a character device" test -c /dev/null
expect "scan -o into a missing directory: exit 2, naming the file" 2 "$T/nodir/r.json" \
	"$EXCISE" scan --root "$B" -q -o "$T/nodir/r.json"

# ---------------------------------------------------------------- verify --check and signatures
"$EXCISE" verify --root "$A" -q -o "$T/unsigned.json" >/dev/null
rc=0
"$EXCISE" verify --check "$T/unsigned.json" >"$T/chk.out" 2>"$T/chk.err" || rc=$?
check "verify --check without --trusted-key: 'unsigned or unchecked', exit 3" \
	bash -c "[ $rc = 3 ] && grep -q 'unsigned or unchecked' '$T/chk.err'"
check_eq "... and it does not call it valid on standard output" "$(cat "$T/chk.out")" ""
rc=0
"$EXCISE" verify --check "$T/unsigned.json" --allow-unsigned >"$T/chk2.out" 2>&1 || rc=$?
# A has the products again (restored above): a valid attestation of a host not clean, exit 1
check "verify --check --allow-unsigned: accepted (exit 1: not clean), still saying it is unchecked" \
	bash -c "[ $rc = 1 ] && grep -q 'unsigned or unchecked' '$T/chk2.out' && grep -q 'valid' '$T/chk2.out'"
rc=0
"$EXCISE" verify --root "$A" -q -o "$T/nocheck.json" --allow-unsigned >"$T/nochk.out" 2>"$T/nochk.err" || rc=$?
check_eq "verify --allow-unsigned without --check: usage error, one line and where to look, nothing written" \
	"$rc|$(cat "$T/nochk.err")|$(cat "$T/nochk.out")|$(exists "$T/nocheck.json")" \
	"2|excise: --allow-unsigned goes with --check FILE
Try 'excise verify --help' for more information.||no"
"$EXCISE" catalog keygen -p "$T/op.pub" -s "$T/op.sec" >/dev/null
rc=0
"$EXCISE" verify --check "$T/unsigned.json" --trusted-key "$T/op.pub" >"$T/chk3.out" 2>"$T/chk3.err" || rc=$?
check "verify --check of an unsigned attestation with a trusted key: refused (exit 3), saying unsigned" \
	bash -c "[ $rc = 3 ] && grep -q 'unsigned' '$T/chk3.err'"
"$EXCISE" verify --root "$A" -q -o "$T/signed.json" --sign "$T/op.sec" >/dev/null
check_eq "verify --sign: the attestation, its report and its signature appear" \
	"$(exists "$T/signed.json"):$(exists "$T/signed.report.json"):$(exists "$T/signed.json.minisig")" "yes:yes:yes"
expect "verify --check of the signed attestation with the key: valid (exit 1: not clean)" 1 "signed by key" \
	"$EXCISE" verify --check "$T/signed.json" --trusted-key "$T/op.pub"

done_testing
