#!/bin/bash
# e2e: the rpm source. Builds real RPMs with rpmbuild, installs them with
# rpm --root into fixture roots (SQLite database; converted to Berkeley DB
# where this host can), scans with --only rpm, and checks the findings, the
# failure modes (corrupt, too big, unsupported backend, a generated column), the
# database rpm itself would read beside a decoy, the private copy removed when excise
# is killed, confinement (a
# database symlinked from outside the root is not read) and that the database
# is byte-for-byte unchanged, with no file added, after every scan.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

command -v rpmbuild >/dev/null || skip_all "rpmbuild not installed (package rpm)"
command -v rpm >/dev/null || skip_all "rpm not installed"

# The source's private copies go here, so the test can see that none is left.
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"

backends=$(rpm --showrc | sed -n 's/^available backends *: *//p')
ARCH=$(uname -m)

mkrpm kesl 12.1.0 1191 "AO Kaspersky Lab" "Kaspersky Endpoint Security for Linux" "" \
	/opt/kaspersky/kesl/bin/kesl-control /var/opt/kaspersky/kesl/common/kesl.ini \
	/usr/lib/systemd/system/kesl.service || exit 1
mkrpm klnagent64 15.1.0 20748 "AO Kaspersky Lab" "Kaspersky Security Center Network Agent" "" \
	/opt/kaspersky/klnagent64/bin/klnagchk || exit 1
mkrpm acme-av 2.0 3 "Acme" "Acme antivirus" "" /opt/acme-av/bin/kesI-control || exit 1
KESL=$RPMS/kesl-12.1.0-1191.$ARCH.rpm

# install_into ROOT DBPATH RPM...
install_into() {
	local root=$1 dbpath=$2
	shift 2
	mkdir -p "$root"
	rpm --root "$root" --dbpath "$dbpath" --nodeps --noscripts -i "$@" >"$T/rpm-install.log" 2>&1 ||
		{ cat "$T/rpm-install.log"; return 1; }
}

# dbsum DIR: names, types, sizes and SHA-256 of everything under DIR.
dbsum() {
	(cd "$1" && find . -printf '%y %s %p\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

rpm_status() { jq_py "$T/out.json" '[s["status"] for s in r["sources"] if s["name"] == "rpm"]'; }
rpm_error() { jq_py "$T/out.json" '[s["error"] for s in r["sources"] if s["name"] == "rpm"][0]'; }

# check_db NAME ROOT DBDIR: the full set of checks over one root holding all three packages.
check_db() {
	local name=$1 root=$2 db=$3
	dbsum "$db" >"$T/before"
	scan_json "$root" --only rpm
	dbsum "$db" >"$T/after"
	check_eq "$name: exit code 1 (covered software found)" "$rc" 1
	[ "$rc" -le 2 ] || sed 's/^/# /' "$T/scan.err"
	check "$name: database unchanged, no file added" cmp "$T/before" "$T/after"
	[ -f "$T/out.json" ] || { not_ok "$name: no report"; return; }
	check_eq "$name: rpm source ok" "$(rpm_status)" '["ok"]'
	check_eq "$name: kesl version" "$(finding_py "$T/out.json" kesl 'f and f["version"]')" "12.1.0-1191"
	check_eq "$name: kesl installed" "$(finding_py "$T/out.json" kesl 'f and f["state"]')" installed
	check_eq "$name: kesl definitive" "$(finding_py "$T/out.json" kesl 'f and f["confidence"]')" definitive
	local ev='f and any(e["source"] == "rpm" and e["kind"] == "package" and e["value"] == "kesl"
		and e["version"] == "12.1.0-1191" and e["active"] for e in per_match(f["evidence"]))'
	check_eq "$name: kesl evidence from rpm package" "$(finding_py "$T/out.json" kesl "$ev")" True
	check_eq "$name: klnagent found" \
		"$(finding_py "$T/out.json" klnagent 'f is not None and f["version"] == "15.1.0-20748"')" True
	local acme='any("acme" in str(e).lower() for f in r["findings"] for e in per_match(f["evidence"]))'
	check_eq "$name: nothing from acme-av" "$(jq_py "$T/out.json" "$acme")" False
	check_eq "$name: rpm observed 3 packages" \
		"$(jq_py "$T/out.json" '[s["observations"] for s in r["sources"] if s["name"] == "rpm"]')" '[3]'
}

# 1. SQLite, the rpm 4.18 default.
R=$T/sqlite
install_into "$R" /var/lib/rpm "$KESL" "$RPMS"/klnagent64-*.rpm "$RPMS"/acme-av-*.rpm || exit 1
check "sqlite fixture is SQLite" test -f "$R/var/lib/rpm/rpmdb.sqlite"
check_db sqlite "$R" "$R/var/lib/rpm"

# 2. rpm >= 4.17 location, /var/lib/rpm a symlink to it: read once.
R2=$T/sysimage
install_into "$R2" /usr/lib/sysimage/rpm "$KESL" "$RPMS"/klnagent64-*.rpm "$RPMS"/acme-av-*.rpm ||
	exit 1
rm -rf "$R2/var/lib/rpm"
mkdir -p "$R2/var/lib"
ln -s ../../usr/lib/sysimage/rpm "$R2/var/lib/rpm"
check_db sysimage "$R2" "$R2/usr/lib/sysimage/rpm"
check_eq "sysimage: kesl package seen once" \
	"$(finding_py "$T/out.json" kesl 'f and len([e for e in per_match(f["evidence"]) if e["source"] == "rpm" and e["value"] == "kesl"])')" 1

# 3. NDB (Packages.db).
if [[ " $backends " == *" ndb "* ]]; then
	RN=$T/ndb
	cp -a "$R" "$RN"
	rpmdb --root "$RN" --dbpath /var/lib/rpm --rebuilddb --define '_db_backend ndb' >/dev/null 2>&1
	rm -f "$RN"/var/lib/rpm/rpmdb.sqlite*
	check_db ndb "$RN" "$RN/var/lib/rpm"
else
	ok "ndb # SKIP this librpm has no ndb backend (backends: $backends)"
	# Such a database must make the source fail, not look empty.
	RN=$T/ndb-unsupported
	mkdir -p "$RN/var/lib/rpm"
	head -c 4096 /dev/zero >"$RN/var/lib/rpm/Packages.db"
	scan_json "$RN" --only rpm
	check_eq "ndb unsupported: exit code 2" "$rc" 2
	check_eq "ndb unsupported: rpm source failed" "$(rpm_status)" '["failed"]'
	check "ndb unsupported: error names the file and the format" \
		grep -q "Packages.db.*NDB" <<<"$(rpm_error)"
fi

# 4. Berkeley DB (Packages), read through bdb_ro. Debian cannot write one with rpm,
# so the Packages table of the SQLite database is loaded into a Berkeley DB
# B-tree with db_load (rpm's own bdb_ro does not read db5.3_load's hash layout).
DB_LOAD=$(command -v db5.3_load || command -v db_load || true)
if [[ " $backends " != *" bdb"* ]]; then
	ok "bdb # SKIP this librpm has no bdb/bdb_ro backend (backends: $backends)"
elif [ -z "$DB_LOAD" ]; then
	ok "bdb # SKIP db_load not installed (package db5.3-util)"
else
	RB=$T/bdb
	mkdir -p "$RB/var/lib/rpm"
	py - "$R/var/lib/rpm/rpmdb.sqlite" >"$T/packages.txt" <<'PY'
import sqlite3, struct, sys
db = sqlite3.connect("file:%s?mode=ro&immutable=1" % sys.argv[1], uri=True)
for hnum, blob in db.execute("SELECT hnum, blob FROM Packages ORDER BY hnum"):
    print("".join("\\%02x" % b for b in struct.pack("=I", hnum)))
    print("".join("\\%02x" % b for b in blob))
PY
	"$DB_LOAD" -T -t btree "$RB/var/lib/rpm/Packages" <"$T/packages.txt"
	check "bdb: rpm itself reads the fixture" \
		bash -c "rpm --root '$RB' --dbpath /var/lib/rpm -qa 2>/dev/null | grep -q '^kesl-12.1.0-1191'"
	check_db bdb "$RB" "$RB/var/lib/rpm"
fi

# 5. Corrupt: a truncated SQLite database.
RC=$T/corrupt
cp -a "$R" "$RC"
truncate -s 1000 "$RC/var/lib/rpm/rpmdb.sqlite"
dbsum "$RC/var/lib/rpm" >"$T/before"
scan_json "$RC" --only rpm
dbsum "$RC/var/lib/rpm" >"$T/after"
check_eq "corrupt: exit code 2" "$rc" 2
check_eq "corrupt: rpm source failed" "$(rpm_status)" '["failed"]'
check "corrupt: error names the database file" \
	grep -q "/var/lib/rpm/rpmdb.sqlite" <<<"$(rpm_error)"
check "corrupt: database unchanged" cmp "$T/before" "$T/after"

# 6. Over EXCISE_MAX_RPMDB_SIZE (512 MiB): a sparse file, refused before any copy.
RZ=$T/huge
mkdir -p "$RZ/var/lib/rpm"
truncate -s 513M "$RZ/var/lib/rpm/rpmdb.sqlite"
scan_json "$RZ" --only rpm
check_eq "too big: exit code 2" "$rc" 2
check "too big: error names the limit" grep -q "EXCISE_MAX_RPMDB_SIZE" <<<"$(rpm_error)"

# 7. /var/lib/rpm a symlink to a real database OUTSIDE the root: not read.
OUT=$T/outside
install_into "$OUT" /var/lib/rpm "$KESL" || exit 1
RS=$T/symlinked
mkdir -p "$RS/var/lib" "$RS/etc"
echo 'ID=rhel' >"$RS/etc/os-release"
ln -s "$OUT/var/lib/rpm" "$RS/var/lib/rpm"
dbsum "$OUT/var/lib/rpm" >"$T/before"
scan_json "$RS" --only rpm
dbsum "$OUT/var/lib/rpm" >"$T/after"
check_eq "outside symlink: exit code 0" "$rc" 0
check_eq "outside symlink: rpm source absent" "$(rpm_status)" '["absent"]'
check_eq "outside symlink: no kesl finding" "$(finding_py "$T/out.json" kesl 'f is None')" True
check "outside symlink: outside database untouched" cmp "$T/before" "$T/after"

# 8. A symlinked database file inside the database directory is not followed.
RL=$T/filelink
mkdir -p "$RL/var/lib/rpm" "$RL/etc"
echo 'ID=rhel' >"$RL/etc/os-release"
ln -s "$OUT/var/lib/rpm/rpmdb.sqlite" "$RL/var/lib/rpm/rpmdb.sqlite"
scan_json "$RL" --only rpm
check_eq "symlinked file: no kesl finding" "$(finding_py "$T/out.json" kesl 'f is None')" True
check_eq "symlinked file: rpm source failed" "$(rpm_status)" '["failed"]'

# 9. No database at all.
mkdir -p "$T/empty/etc"
echo 'ID=rhel' >"$T/empty/etc/os-release"
scan_json "$T/empty" --only rpm
check_eq "no database: exit code 0" "$rc" 0
check_eq "no database: rpm source absent" "$(rpm_status)" '["absent"]'

# 10. A decoy SQLite database (rpmdb --initdb: empty) beside the real Berkeley DB one.
# With the image configured for Berkeley DB (%_db_backend bdb in its macros), rpm
# reads Packages: so does the scan, and the decoy is reported (and read too). Without
# that configuration rpm's own order takes the SQLite one; the other is still read.
if [ -n "${RB:-}" ] && [ -f "$RB/var/lib/rpm/Packages" ]; then
	RD=$T/decoy
	cp -a "$RB" "$RD"
	mkdir -p "$T/decoy-init"
	rpmdb --root "$T/decoy-init" --dbpath /var/lib/rpm --initdb
	cp "$T/decoy-init/var/lib/rpm/rpmdb.sqlite" "$RD/var/lib/rpm/"
	check "decoy: rpm made an SQLite database beside Packages" test -f "$RD/var/lib/rpm/rpmdb.sqlite"
	mkdir -p "$RD/usr/lib/rpm"
	printf '%%_dbpath\t\t%%{_var}/lib/rpm\n%%_db_backend\t      bdb\n' >"$RD/usr/lib/rpm/macros"
	scan_json "$RD" --only rpm
	check_eq "decoy, configured bdb: found (exit 1)" "$rc" 1
	check_eq "decoy, configured bdb: kesl from the Berkeley DB database" \
		"$(finding_py "$T/out.json" kesl "f and any(e['path'] == '/var/lib/rpm/Packages' for e in per_match(f['evidence']))")" True
	check_eq "decoy, configured bdb: the second database reported" \
		"$(jq_py "$T/out.json" "any(\"'/var/lib/rpm/rpmdb.sqlite': a second RPM database (SQLite) beside '/var/lib/rpm/Packages', the one rpm uses here (%_db_backend in /usr/lib/rpm/macros)\" in m for s in r['sources'] if s['name'] == 'rpm' for m in s['errors'])")" True
	rm -r "$RD/usr/lib/rpm"
	scan_json "$RD" --only rpm
	check_eq "decoy, no configuration: still found, from Packages" \
		"$(finding_py "$T/out.json" kesl "f and any(e['path'] == '/var/lib/rpm/Packages' for e in per_match(f['evidence']))")" True
	check_eq "decoy, no configuration: rpm's order named, the Berkeley DB one reported as second" \
		"$(jq_py "$T/out.json" "any(\"a second RPM database (Berkeley DB)\" in m and \"rpm's order\" in m for s in r['sources'] if s['name'] == 'rpm' for m in s['errors'])")" True
else
	ok "decoy # SKIP no Berkeley DB fixture"
fi

# 11. A generated column in rpmdb.sqlite (sqlite3): refused before librpm reads it.
RG=$T/generated
cp -a "$R" "$RG"
sqlite3 "$RG/var/lib/rpm/rpmdb.sqlite" \
	"ALTER TABLE Packages ADD COLUMN g GENERATED ALWAYS AS (printf('%.*c', 100000000, 'x')) VIRTUAL"
dbsum "$RG/var/lib/rpm" >"$T/before"
scan_json "$RG" --only rpm
dbsum "$RG/var/lib/rpm" >"$T/after"
check_eq "generated column: incomplete (exit 2)" "$rc" 2
check "generated column: refused, named" grep -q "table 'Packages' has a generated column" <<<"$(rpm_error)"
check "generated column: database unchanged" cmp "$T/before" "$T/after"

# 12. excise killed (SIGKILL) while it copies a database: the private copy goes anyway.
RK=$T/killed
mkdir -p "$RK/var/lib/rpm" "$RK/etc"
echo 'ID=rhel' >"$RK/etc/os-release"
truncate -s 300M "$RK/var/lib/rpm/rpmdb.sqlite"
"$EXCISE" scan --root "$RK" --only rpm --format json -o "$T/killed.json" 2>/dev/null &
victim=$!
seen=''
for _ in $(seq 200000); do
	if compgen -G "$TMPDIR/excise-rpmdb.*" >/dev/null; then
		kill -STOP "$victim" 2>/dev/null && seen=yes
		break
	fi
	kill -0 "$victim" 2>/dev/null || break
done
if [ -n "$seen" ]; then
	check_eq "killed: the copy is private (0700)" "$(stat -c %a "$TMPDIR"/excise-rpmdb.*)" 700
	kill -KILL "$victim"
	wait "$victim" 2>/dev/null
	for _ in $(seq 50); do compgen -G "$TMPDIR/excise-rpmdb.*" >/dev/null || break; sleep 0.1; done
	check_eq "killed: no copy left behind" "$(ls -A "$TMPDIR")" ""
else
	wait "$victim" 2>/dev/null
	ok "killed # SKIP the copy was over before it was seen"
fi

check_eq "no temporary copy left behind" "$(ls -A "$TMPDIR")" ""

done_testing
