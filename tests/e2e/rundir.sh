#!/bin/bash
# End-to-end, issue 14 items 2 to 4 (the removal side): a run directory is untrusted
# input (restore, --resume and verify --run act only on the root named, on records
# found where excise keeps runs, outside the image, and make their files without
# following links planted there); no open in a root blocks (a FIFO where a trust
# bundle is); hashing is bounded (a 15 TiB sparse leftover); a name that is not
# UTF-8 is removed and restored like any other. Canary files outside the root must
# be unchanged after every command. Over copies of the `linux` fixture root.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in dpkg dpkg-query mkfifo python3 timeout truncate; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
PRISTINE=$(fixture linux) || { echo "Bail out! fixture root"; exit 1; }
[ $(($(date +%s) - $(stat -c %Y "$PRISTINE.stamp"))) -ge 2 ] || sleep 2

# canaries: files outside every root, with their checksums
H=$T/host
mkdir -p "$H/etc" "$H/var/opt/kaspersky"
echo "host hostname" >"$H/etc/hostname"
echo "host file" >"$H/var/opt/kaspersky/keep.txt"
echo "host attestation" >"$H/att.json"
echo "host report" >"$H/report.json"
echo "host signature" >"$H/sig"
canaries() { (cd "$H" && find . -type f -print0 | sort -z | xargs -0 sha256sum; find . -printf '%p %y %m %s %T@ %l\n' | sort) 2>&1; }
canaries >"$T/canaries.before"
canaries_same() { canaries >"$T/canaries.now" && cmp -s "$T/canaries.before" "$T/canaries.now"; }

# a copy of the fixture, scanned, planned and removed: $RUN its run directory
A=$T/a
cp -a "$PRISTINE" "$A"
"$EXCISE" scan --root "$A" --format json -o "$T/report.json" -q >/dev/null 2>&1
"$EXCISE" plan "$T/report.json" --format json -o "$T/plan.json"
rc=0
"$EXCISE" remove --root "$A" --plan "$T/plan.json" --apply -q >"$T/apply.out" 2>&1 || rc=$?
check_eq "remove --apply on A: exit 0" "$rc" 0
RUN=$(run_of "$A")
ID=$(basename "$RUN")
check "the run directory is in the host's state folder, outside A" \
	bash -c "[ '$(dirname "$RUN")' = '$EXCISE_STATE_DIR/runs' ] && [ ! -e '$A/var/lib/excise/runs' ]"
check "the image keeps only the quarantined bytes: data/, no manifest, journal or plan" \
	bash -c "[ \"\$(ls -A '$A/var/lib/excise/quarantine/$ID')\" = data ] && [ -f '$RUN/manifest.jsonl' ]"
tree_sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }
tree_sums "$A" >"$T/a.removed"

# ---------------------------------------------------------------- a run directory planted in the image
# The image's own copy of the run, edited as an adversary with write access to the image
# would: its journal names the host ("/") as the root and the quarantine store, its
# manifest puts an object back at a host path, its bundle record rewrites a host file.
P=$A/var/lib/excise/runs/$ID
mkdir -p "$A/var/lib/excise/runs"
cp -a "$RUN" "$P"
cp "$RUN/manifest.jsonl" "$A/var/lib/excise/quarantine/$ID/manifest.jsonl"
py - "$P" "$H" "$A" <<'PY'
import hashlib, json, sys
run, host, root = sys.argv[1:4]
lines = [json.loads(l) for l in open(run + "/journal.jsonl")]
lines[0]["root"] = "/"
lines[0]["quarantine"] = root + "/var/lib/excise/quarantine"
open(run + "/journal.jsonl", "w").write("".join(json.dumps(l) + "\n" for l in lines))
p = json.load(open(run + "/plan.json"))
p["host"]["root"], p["host"]["live"], p["host"]["machine_id"] = "/", True, None
json.dump(p, open(run + "/plan.json", "w"))
m = [json.loads(l) for l in open(run + "/manifest.jsonl")]
for r in m:
    if r.get("event") == "intent":
        r["path"] = host + "/etc/hostname"
        break
open(run + "/manifest.jsonl", "w").write("".join(json.dumps(l) + "\n" for l in m))
sha = hashlib.sha256(open(host + "/etc/hostname", "rb").read()).hexdigest()
with open(run + "/backups.jsonl", "a") as f:
    f.write(json.dumps({"path": host + "/etc/hostname", "backup": "evil.orig", "sha256_after": sha}) + "\n")
open(run + "/evil.orig", "w").write("owned by the image\n")
PY
for args in "" "--root $A" "--root $A --runs-dir $A/var/lib/excise/runs" "--runs-dir $T/nowhere"; do
	# shellcheck disable=SC2086 # the options are words
	expect "restore of a run directory planted in the image ($args): refused" 2 \
		"is not in '|lies inside the root|runs folder" "$EXCISE" restore "$P" $args
	# shellcheck disable=SC2086
	expect "remove --resume of it ($args): refused" 2 "is not in '|lies inside the root|runs folder" \
		"$EXCISE" remove --resume "$P" $args -q
done
# shellcheck disable=SC2086
expect "verify --run of it: refused, no attestation made" 2 "is not in '" \
	"$EXCISE" verify --run "$P" --root "$A" -q
check "... no attestation in the planted directory" test ! -e "$P/attestation.json"
check "canaries outside the root unchanged after the planted run" canaries_same
check "... and A unchanged" bash -c "tree_sums() { $(declare -f tree_sums | tail -n +2); }; diff <(tree_sums '$A' | grep -v ' ./var/lib/excise/') <(grep -v ' ./var/lib/excise/' '$T/a.removed')"

# ---------------------------------------------------------------- the host's own records, edited
# The same edits made to the real run's records: restore and --resume now take the
# root from the command line, and every record must agree with it.
cp -a "$RUN" "$T/run.saved"
py - "$RUN" "$H" <<'PY'
import json, sys
run, host = sys.argv[1:3]
lines = [json.loads(l) for l in open(run + "/journal.jsonl")]
lines[0]["root"] = host
open(run + "/journal.jsonl", "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
expect "restore of a journal edited to name a host folder, --root A: refused, naming both" 2 \
	"--root '$A' is not the run's root '$H'" "$EXCISE" restore "$RUN" --root "$A"
expect "restore of it with --root naming that host folder: refused (the plan is for A)" 2 \
	"its plan is for the root '$A'" "$EXCISE" restore "$RUN" --root "$H"
expect "remove --resume of it with --root naming that host folder: refused" 2 "its plan is for the root '$A'" \
	"$EXCISE" remove --resume "$RUN" --root "$H" -q
py - "$RUN" <<'PY'
import json, sys
run = sys.argv[1]
lines = [json.loads(l) for l in open(run + "/journal.jsonl")]
lines[0]["root"] = "/"
open(run + "/journal.jsonl", "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
expect "restore of a journal edited to name the live host, no --root: refused (the plan is for A)" 2 \
	"its plan is for the root '$A', not '/'" "$EXCISE" restore "$RUN"
expect "remove --resume of it, no --root: refused before acting" 2 "plan is for (the root '$A'|an offline root), not" \
	"$EXCISE" remove --resume "$RUN" -q
check "canaries unchanged after the edited journals" canaries_same
rm -rf "$RUN" && cp -a "$T/run.saved" "$RUN"

# ---------------------------------------------------------------- verify --run: links planted in the run directory
ln -s "$H/att.json" "$RUN/attestation.json"
ln -s "$H/report.json" "$RUN/attestation.report.json"
ln -s "$H/sig" "$RUN/attestation.json.minisig"
"$EXCISE" catalog keygen -p "$T/op.pub" -s "$T/op.sec" >/dev/null
rc=0
"$EXCISE" verify --run "$RUN" --root "$A" --sign "$T/op.sec" -q >"$T/v.out" 2>&1 || rc=$?
check_eq "verify --run with links planted for its three files: clean (exit 0)" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/v.out"
check "... the links were replaced by the files, not followed" bash -c "
	[ -f '$RUN/attestation.json' ] && [ ! -L '$RUN/attestation.json' ] && [ ! -L '$RUN/attestation.report.json' ] &&
	[ ! -L '$RUN/attestation.json.minisig' ] && grep -q excise.attestation '$RUN/attestation.json'"
check "... the signature verifies" "$EXCISE" verify --check "$RUN/attestation.json" --trusted-key "$T/op.pub" \
	--report "$RUN/attestation.report.json" -q
check "canaries unchanged after verify --run" canaries_same
rm -f "$RUN/attestation.json"
mkfifo "$RUN/attestation.json"
rc=0
timeout 60 "$EXCISE" verify --run "$RUN" --root "$A" -q >"$T/v.out" 2>&1 || rc=$?
check "verify --run with a FIFO planted as its attestation: replaced, not written through (exit 0, no hang)" \
	bash -c "[ $rc = 0 ] && [ -f '$RUN/attestation.json' ] && [ ! -p '$RUN/attestation.json' ]"

# ---------------------------------------------------------------- a runs folder inside the root
B=$T/b
cp -a "$PRISTINE" "$B"
"$EXCISE" scan --root "$B" --format json -o "$T/report-b.json" -q >/dev/null 2>&1
"$EXCISE" plan "$T/report-b.json" --format json -o "$T/plan-b.json"
tree_sums "$B" >"$T/b.before"
expect "remove --apply with --runs-dir inside the root: refused" 2 "lies inside the root '$B'" \
	"$EXCISE" remove --root "$B" --plan "$T/plan-b.json" --apply --runs-dir "$B/var/lib/excise/runs" -q
check "... nothing in B changed" bash -c "tree_sums() { $(declare -f tree_sums | tail -n +2); }; diff <(tree_sums '$B') '$T/b.before' && [ ! -e '$B/var/lib/excise' ]"

# ---------------------------------------------------------------- odd names, a 15 TiB sparse leftover
# A file whose name is not UTF-8 and a sparse file of 15 TiB (truncate) in a leftover
# folder, and a 3 MiB file: the plan refuses nothing, the removal moves them with
# the folder (hashing at most EXCISE_MAX_HASH_BYTES of each, lowered here to 1 MiB:
# the tests' seam), the manifest carries the odd name's bytes and the partial hashes,
# and restore puts everything back, the odd name included.
C=$T/c
cp -a "$PRISTINE" "$C"
ODD=$(printf 'bad\377name')
printf 'odd\n' >"$C/var/opt/kaspersky/$ODD"
truncate -s 15T "$C/var/opt/kaspersky/sparse.img"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$C/var/opt/kaspersky/big.bin"
cp "$C/var/opt/kaspersky/big.bin" "$T/big.bin"
sleep 1.1
"$EXCISE" scan --root "$C" --format json -o "$T/report-c.json" -q >/dev/null 2>&1
check "the report carries the odd name's bytes (path_hex, value_hex)" \
	py -c 'import json,sys; r=json.load(open(sys.argv[1])); s=json.dumps(r); sys.exit(0 if "626164ff6e616d65" in s and "value_hex" in s else 1)' "$T/report-c.json"
rc=0
"$EXCISE" plan "$T/report-c.json" --format json -o "$T/plan-c.json" 2>"$T/plan-c.err" || rc=$?
check_eq "plan with a non-UTF-8 name under the vendor's folder: written, nothing refused (exit 0)" \
	"$rc:$(jq_py "$T/plan-c.json" '[k["what"] for k in r["skipped"] if k["refused"]]')" "0:[]"
rc=0
EXCISE_MAX_HASH_BYTES=1048576 timeout 300 "$EXCISE" remove --root "$C" --plan "$T/plan-c.json" --apply -q \
	>"$T/apply-c.out" 2>&1 || rc=$?
check_eq "remove --apply: exit 0, the sparse file not hashed byte by byte (within the deadline)" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/apply-c.out" | head -10
RUNC=$(run_of "$C")
check "the odd name, the sparse file and the big file left the root" \
	test ! -e "$C/var/opt/kaspersky/$ODD" -a ! -e "$C/var/opt/kaspersky/sparse.img" -a ! -e "$C/var/opt/kaspersky/big.bin"
py - "$RUNC/manifest.jsonl" "$T/big.bin" >"$T/man-c.out" <<'PY'
import hashlib, json, sys
ents = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("event") == "intent" and r.get("path") == "/var/opt/kaspersky":
        print("hash_max", r.get("hash_max"))
        for e in r["entries"]:
            rel = e["rel"] if "rel" in e else bytes.fromhex(e["rel_hex"]).decode("latin-1")
            ents[rel] = e
odd = ents.get("bad\xffname")
print("odd", odd is not None and "rel_hex" in odd and odd["sha256"] == hashlib.sha256(b"odd\n").hexdigest())
sp = ents["sparse.img"]
print("sparse", sp["size"], sp.get("sha256_bytes"), sp["sha256"] == hashlib.sha256(bytes(1048576)).hexdigest())
big = ents["big.bin"]
first = open(sys.argv[2], "rb").read(1048576)
print("big", big.get("sha256_bytes"), big["sha256"] == hashlib.sha256(first).hexdigest())
PY
check_eq "the manifest: the odd name as bytes, partial hashes of the first 1 MiB with their size" \
	"$(tr '\n' ';' <"$T/man-c.out")" "hash_max 1048576;odd True;sparse 16492674416640 1048576 True;big 1048576 True;"
rc=0
timeout 300 "$EXCISE" restore "$RUNC" --root "$C" >"$T/restore-c.out" 2>&1 || rc=$?
check_eq "restore (without the seam: the limit the manifest recorded is used): exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/restore-c.out" | head -10
check "the odd name is back with its bytes, the sparse file with its size, the big file byte-exact" bash -c "
	[ \"\$(cat '$C/var/opt/kaspersky/$ODD')\" = odd ] && [ \$(stat -c %s '$C/var/opt/kaspersky/sparse.img') = 16492674416640 ] &&
	cmp '$T/big.bin' '$C/var/opt/kaspersky/big.bin'"
check "... and restore noted no difference" bash -c "! grep -q 'not as it was' '$T/restore-c.out'"

# ---------------------------------------------------------------- FIFOs where trust bundles are
# A FIFO planted where a generated bundle is (after the plan) must not block remove:
# reported, never read. The same at a bundle restore puts back.
D=$T/d
cp -a "$PRISTINE" "$D"
sleep 1.1
"$EXCISE" scan --root "$D" --format json -o "$T/report-d.json" -q >/dev/null 2>&1
"$EXCISE" plan "$T/report-d.json" --format json -o "$T/plan-d.json"
mkdir -p "$D/etc/pki/tls/certs"
mkfifo "$D/etc/pki/tls/certs/ca-bundle.crt"
rc=0
timeout 120 "$EXCISE" remove --root "$D" --plan "$T/plan-d.json" --apply >"$T/apply-d.out" 2>&1 || rc=$?
check_eq "remove with a FIFO where a generated bundle is: no hang, the step fails (exit 1)" "$rc" 1
check "... saying it is a FIFO, not read" grep -q "'/etc/pki/tls/certs/ca-bundle.crt' is a FIFO, not a certificate bundle: not read" "$T/apply-d.out"
check "... the FIFO is still there" test -p "$D/etc/pki/tls/certs/ca-bundle.crt"
rm "$D/etc/pki/tls/certs/ca-bundle.crt"
RUND=$(run_of "$D")
rc=0
timeout 120 "$EXCISE" remove --resume "$RUND" --root "$D" -q >"$T/resume-d.out" 2>&1 || rc=$?
check_eq "... and once it is gone, --resume finishes the run (exit 0)" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/resume-d.out" | head -10
rm "$D/etc/ssl/certs/ca-certificates.crt"
mkfifo "$D/etc/ssl/certs/ca-certificates.crt"
rc=0
timeout 120 "$EXCISE" restore "$RUND" --root "$D" >"$T/restore-d.out" 2>&1 || rc=$?
check "restore with a FIFO where the rewritten bundle was: no hang, the bundle not restored, said" \
	bash -c "[ $rc -le 1 ] && grep -q 'bundle /etc/ssl/certs/ca-certificates.crt: not restored' '$T/restore-d.out' && [ -p '$D/etc/ssl/certs/ca-certificates.crt' ]"

# ---------------------------------------------------------------- FIFOs planted for a resumed run's logs
# A run killed at its first step, then a FIFO at every step log and recover.log of its
# directory: --resume opens none of them for writing through the FIFO (it would block
# with no reader) and finishes.
E=$T/e
cp -a "$PRISTINE" "$E"
sleep 1.1
"$EXCISE" scan --root "$E" --format json -o "$T/report-e.json" -q >/dev/null 2>&1
"$EXCISE" plan "$T/report-e.json" --format json -o "$T/plan-e.json"
rc=0
EXCISE_TEST_KILL_AT=1:begin "$EXCISE" remove --root "$E" --plan "$T/plan-e.json" --apply -q >/dev/null 2>&1 || rc=$?
check_eq "a run killed at its first step (SIGKILL)" "$rc" 137
RUNE=$(run_of "$E")
n=$(jq_py "$T/plan-e.json" 'len(r["steps"])')
for i in $(seq 1 "$n"); do rm -f "$RUNE/step-$i.log"; mkfifo "$RUNE/step-$i.log"; done
mkfifo "$RUNE/recover.log"
rc=0
timeout 120 "$EXCISE" remove --resume "$RUNE" --root "$E" -q >"$T/resume-e.out" 2>&1 || rc=$?
check_eq "--resume with FIFOs planted as its logs: no hang, exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/resume-e.out" | head -10
check "... the FIFOs are still FIFOs, nothing written through them" bash -c "[ -p '$RUNE/step-1.log' ] && [ -p '$RUNE/recover.log' ]"
check "canaries unchanged at the end" canaries_same

done_testing
