#!/bin/bash
# End-to-end, issue 12 leftover: a trusted Kaspersky root in NSS databases (a Firefox
# profile's cert9.db and a user's ~/.pki/nssdb, Chromium's on Linux), made with NSS's
# own certutil, removed by the real excise scan / plan / remove / restore:
#   - the plan has a remove-nss-cert step per database (target: the certificate's
#     sha256, path: the cert9.db, args: its nickname) and its text and sh forms say so;
#   - a running browser (the profile's `lock` link, an fcntl lock on `.parentlock`, a
#     hot -journal) refuses the step, naming the lock, and nothing changes;
#   - a plan edited to aim at another certificate or another database is refused;
#   - removal: certutil -L no longer lists the root, lists the other root still, the
#     key4.db and pkcs11.txt are untouched, the rescan is clean;
#   - restore: the cert9.db files are byte-identical to before, with their mode;
#   - a profile folder that is a link out of the root is never followed: the host's
#     database it names stays byte-identical.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "openssl not installed"
command -v certutil >/dev/null || skip_all "certutil (libnss3-tools) not installed"

CN="Kaspersky Anti-Virus Personal Root Certificate"
mkcert() { # FILE SUBJECT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/key.pem" -out "$1" -subj "$2" 2>/dev/null || { echo "Bail out! openssl req"; exit 1; }
}
mkcert "$T/kav.pem" "/C=RU/O=AO Kaspersky Lab/CN=$CN"
mkcert "$T/acme.pem" "/C=US/O=Acme Corp/CN=Acme Root CA"
sha_of() { openssl x509 -in "$1" -outform DER | sha256sum | cut -c1-64; }
KAV=$(sha_of "$T/kav.pem")
ACME=$(sha_of "$T/acme.pem")

R=$T/root
mkdir -p "$R/etc/ssl/certs" "$R/var/lib/dpkg"
printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$R/etc/os-release"
: >"$R/var/lib/dpkg/status"
cp "$T/acme.pem" "$R/etc/ssl/certs/ca-certificates.crt"
FF=/home/alice/.mozilla/firefox
P=$FF/abcd.default-release
C=/home/bob/.pki/nssdb
mkdir -p "$R$P" "$R$C" "$T/host-profile"
# a second profile whose folder is an absolute link to a host directory (a database
# excise must never touch: it is not in the root)
ln -s "$T/host-profile" "$R$FF/evil.default"
printf '[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\nDefault=1\n[Profile1]\nName=evil\nIsRelative=1\nPath=evil.default\n' \
	>"$R$FF/profiles.ini"
for d in "$R$P" "$R$C" "$T/host-profile"; do
	certutil -N --empty-password -d "sql:$d"
	certutil -A -d "sql:$d" -n "$CN" -t "C,," -i "$T/kav.pem"
	certutil -A -d "sql:$d" -n "Acme Root CA" -t "C,," -i "$T/acme.pem"
done
chmod 0640 "$R$P/cert9.db"
trusted() { certutil -L -d "sql:$1" | grep -F "$2" | awk '{print $NF}'; }
check_eq "certutil lists both roots trusted C,, in the Firefox profile" \
	"$(trusted "$R$P" "$CN") $(trusted "$R$P" "Acme Root CA")" "C,, C,,"
sums() { (cd "$1" && sha256sum cert9.db key4.db pkcs11.txt); }
sums "$R$P" >"$T/ff.before"
sums "$R$C" >"$T/pki.before"
sums "$T/host-profile" >"$T/host.before"
MODE=$(stat -c %a "$R$P/cert9.db")

# === scan and plan ===============================================================
scan_json "$R"
check_eq "scan: found (exit 1), the root in both databases, state trust" \
	"$rc $(jq_py "$T/out.json" "sorted(set((e['path'], f['state']) for f in r['findings'] for e in f['evidence']))")" \
	"1 [[\"$P/cert9.db\", \"trust\"], [\"$C/cert9.db\", \"trust\"]]"
cp "$T/out.json" "$T/report.json"
rc=0
"$EXCISE" plan "$T/report.json" --format json -o "$T/plan.json" 2>"$T/plan.err" || rc=$?
check_eq "plan: written (exit 0)" "$rc" 0
check_eq "plan: one remove-nss-cert step per database, by sha256, with the nickname" \
	"$(jq_py "$T/plan.json" "sorted((s['action'], s['target'], s['path'], s['args']) for s in r['steps'])")" \
	"[[\"remove-nss-cert\", \"$KAV\", \"$P/cert9.db\", [\"$CN\"]], [\"remove-nss-cert\", \"$KAV\", \"$C/cert9.db\", [\"$CN\"]]]"
check_eq "plan: no strong evidence of the certificates left to the operator" \
	"$(jq_py "$T/plan.json" "[k for k in r['skipped'] if ('cert9.db' in k['what'] or '$KAV' in k['what']) and not k['why'].startswith('weak evidence')]")" "[]"
"$EXCISE" plan "$T/report.json" -o "$T/plan.txt" 2>/dev/null
check "plan text: the step, the database and the note" \
	sh -c "grep -q 'remove-nss-cert' '$T/plan.txt' && grep -qF '$P/cert9.db' '$T/plan.txt' && grep -q 'refused while the browser has the profile open' '$T/plan.txt'"
"$EXCISE" plan --plan "$T/plan.json" --emit sh -o "$T/plan.sh" 2>/dev/null
check "plan sh: copies the database files, then certutil -D by the nickname" \
	sh -c "grep -q 'cert9.db key4.db pkcs11.txt' '$T/plan.sh' && grep -qF \"certutil -D -d \\\"sql:\\\$d\\\" -n '$CN'\" '$T/plan.sh'"
if command -v dash >/dev/null; then
	check "plan sh: dash parses it" dash -n "$T/plan.sh"
fi

# === a running browser refuses the step ==========================================
ln -s "127.0.1.1:+4242" "$R$P/lock"
rc=0
"$EXCISE" remove --plan "$T/plan.json" >"$T/dry.out" 2>&1 || rc=$?
check_eq "lock: the dry run exits 2" "$rc" 2
check "lock: the dry run marks the step refused and names the lock" \
	sh -c "grep -q refused '$T/dry.out' && grep -qF '$P/lock' '$T/dry.out' && grep -q 'Firefox or Thunderbird is running' '$T/dry.out'"
rc=0
"$EXCISE" remove --plan "$T/plan.json" --apply >"$T/lock.out" 2>&1 || rc=$?
check "lock: --apply is refused before anything is touched (exit $rc), naming the lock" \
	sh -c "[ $rc = 2 ] && grep -qF '$P/lock' '$T/lock.out' && grep -q 'Firefox or Thunderbird is running' '$T/lock.out'"
check "lock: the Firefox database is byte-identical" diff "$T/ff.before" <(sums "$R$P")
rm "$R$P/lock"

# an fcntl lock held on .parentlock (what Firefox holds while it runs)
: >"$R$P/.parentlock"
python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+"); fcntl.lockf(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(60)' \
	"$R$P/.parentlock" "$T/locked" &
LOCKER=$!
defer "kill $LOCKER 2>/dev/null"
for _ in $(seq 100); do [ -e "$T/locked" ] && break; sleep 0.1; done
rc=0
"$EXCISE" remove --plan "$T/plan.json" >"$T/dry.out" 2>&1 || rc=$?
check "parentlock: the dry run refuses (exit $rc), naming .parentlock as locked" \
	sh -c "[ $rc = 2 ] && grep -qF \"'$P/.parentlock' is locked\" '$T/dry.out'"
kill "$LOCKER" 2>/dev/null
wait "$LOCKER" 2>/dev/null
rc=0
"$EXCISE" remove --plan "$T/plan.json" >"$T/dry.out" 2>&1 || rc=$?
check_eq "parentlock: released, the lock file alone refuses nothing (dry run exit 0)" "$rc" 0
sed 's/^/# /' "$T/dry.out"
check "dry run: says what it would edit" grep -qF "edit: $P/cert9.db (certificate ${KAV:0:16}" "$T/dry.out"

# a hot journal: a writer stopped mid-transaction
printf 'x' >"$R$C/cert9.db-journal"
rc=0
"$EXCISE" remove --plan "$T/plan.json" >"$T/dry.out" 2>&1 || rc=$?
check "journal: the dry run refuses (exit $rc), naming cert9.db-journal" \
	sh -c "[ $rc = 2 ] && grep -qF '$C/cert9.db-journal' '$T/dry.out'"
rm "$R$C/cert9.db-journal"

# === edited plans are refused ====================================================
# a copy of the profile's database elsewhere in the root, which no evidence names
mkdir -p "$R/home/alice/copy"
cp -p "$R$P/cert9.db" "$R$P/key4.db" "$R$P/pkcs11.txt" "$R/home/alice/copy/"
py - "$T/plan.json" "$T/other-sha.json" "$T/other-db.json" "$ACME" "$FF/evil.default/cert9.db" \
	"$T/copy-db.json" /home/alice/copy/cert9.db <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
a = json.loads(json.dumps(p)); a["steps"][0]["target"] = sys.argv[4]
json.dump(a, open(sys.argv[2], "w"))
b = json.loads(json.dumps(p)); b["steps"][0]["path"] = sys.argv[5]
json.dump(b, open(sys.argv[3], "w"))
c = json.loads(json.dumps(p)); c["steps"][0]["path"] = sys.argv[7]
json.dump(c, open(sys.argv[6], "w"))
PY
rc=0
"$EXCISE" remove --plan "$T/other-sha.json" --apply >"$T/edit.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/edit.out"
check "edited: the Acme root's sha256 as the target is refused (exit $rc): the indicator does not match it" \
	sh -c "[ $rc = 2 ] && grep -q \"is 'Acme Root CA'\" '$T/edit.out'"
rc=0
"$EXCISE" remove --plan "$T/other-db.json" --apply >"$T/edit.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/edit.out"
check "edited: another database as the path, through the link out of the root, is refused (exit $rc)" \
	sh -c "[ $rc = 2 ] && grep -q 'a parent directory is a symlink' '$T/edit.out'"
rc=0
"$EXCISE" remove --plan "$T/copy-db.json" --apply >"$T/edit.out" 2>&1 || rc=$?
sed 's/^/# /' "$T/edit.out"
check "edited: a database no evidence names, holding the same root, is refused (exit $rc)" \
	sh -c "[ $rc = 2 ] && grep -q 'no evidence of the step names it' '$T/edit.out'"
check_eq "edited: that database still holds the root" "$(trusted "$R/home/alice/copy" "$CN")" "C,,"
rm -r "$R/home/alice/copy"
# a database swapped after the plan for one whose schema runs code (a trigger on delete)
if command -v sqlite3 >/dev/null; then
	cp -p "$R$P/cert9.db" "$T/cert9.keep"
	sqlite3 "$R$P/cert9.db" "CREATE TABLE canary(x); CREATE TRIGGER t AFTER DELETE ON nssPublic BEGIN INSERT INTO canary VALUES (1); END;"
	rc=0
	"$EXCISE" remove --plan "$T/plan.json" --apply >"$T/edit.out" 2>&1 || rc=$?
	sed 's/^/# /' "$T/edit.out"
	check "hostile: a database with a trigger is refused (exit $rc), never opened for the change" \
		sh -c "[ $rc = 2 ] && grep -q \"is a trigger, not a plain table\" '$T/edit.out'"
	cp -p "$T/cert9.keep" "$R$P/cert9.db"
fi
check "edited: the Firefox database is byte-identical" diff "$T/ff.before" <(sums "$R$P")
check "edited: the ~/.pki/nssdb database is byte-identical" diff "$T/pki.before" <(sums "$R$C")

# === removal =====================================================================
rc=0
"$EXCISE" remove --plan "$T/plan.json" --apply >"$T/remove.out" 2>&1 || rc=$?
check_eq "remove --apply: done (exit 0)" "$rc" 0
sed 's/^/# /' "$T/remove.out"
for d in "$P" "$C"; do
	check_eq "removed from $d: certutil lists the Acme root, not the Kaspersky root" \
		"$(certutil -L -d "sql:$R$d" | grep -cF "$CN") $(certutil -L -d "sql:$R$d" | grep -cF "Acme Root CA")" "0 1"
	check "removed from $d: certutil finds no certificate by the nickname" \
		sh -c "! certutil -L -d 'sql:$R$d' -n '$CN' >/dev/null 2>&1"
done
check "removed: key4.db and pkcs11.txt untouched" diff <(grep -v cert9.db "$T/ff.before") <(sums "$R$P" | grep -v cert9.db)
check "removed: cert9.db changed" sh -c "! grep -qxF \"\$(cd '$R$P' && sha256sum cert9.db)\" '$T/ff.before'"
check_eq "removed: the database keeps its mode" "$(stat -c %a "$R$P/cert9.db")" "$MODE"
check "removed: no -journal or temporary file left beside it" \
	sh -c "[ -z \"\$(ls -A '$R$P' | grep -Ev '^(cert9.db|key4.db|pkcs11.txt|.parentlock)$')\" ]"
check "removed: the certificate's bytes are not left in the file (freed pages zeroed)" \
	sh -c "! grep -qF '$CN' '$R$P/cert9.db'"
check "the host database behind the link out of the root: byte-identical" diff "$T/host.before" <(sums "$T/host-profile")
scan_json "$R"
check_eq "rescan: clean (exit 0)" "$rc" 0
rc=0
"$EXCISE" remove --plan "$T/plan.json" --apply >"$T/again.out" 2>&1 || rc=$?
check "the same plan again: each step already done (exit $rc)" \
	sh -c "[ $rc = 0 ] && grep -q 'no longer holds certificate' '$T/again.out'"

# === restore =====================================================================
# the run that removed (the last one found everything done already)
RUN=$(for j in "$EXCISE_STATE_DIR"/runs/*/journal.jsonl; do
	grep -q '"outcome":"done"' "$j" && dirname "$j"; done | head -1)
rc=0
"$EXCISE" restore "$RUN" --root "$R" >"$T/restore.out" 2>&1 || rc=$?
check_eq "restore: done (exit 0)" "$rc" 0
sed 's/^/# /' "$T/restore.out"
check "restore: the Firefox profile's files are byte-identical to before" diff "$T/ff.before" <(sums "$R$P")
check "restore: the ~/.pki/nssdb files are byte-identical to before" diff "$T/pki.before" <(sums "$R$C")
check_eq "restore: the mode is the one before" "$(stat -c %a "$R$P/cert9.db")" "$MODE"
check_eq "restore: certutil lists both roots trusted again" \
	"$(trusted "$R$P" "$CN") $(trusted "$R$P" "Acme Root CA") $(trusted "$R$C" "$CN")" "C,, C,, C,,"
scan_json "$R"
check_eq "restore: the rescan finds the root again (exit 1)" "$rc" 1

done_testing
