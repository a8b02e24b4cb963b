#!/bin/bash
# End-to-end, issue 12: a Kaspersky root in a legacy NSS database (cert8.db: Firefox
# before 58, Thunderbird before 60, an old ~/.pki/nssdb), made by NSS's own certutil in
# the dbm: format, read by excise's Berkeley DB hash reader (lib/parse/nssdbm.c):
#   - trusted ("C,,") in a Firefox profile of a Linux, a Windows and a macOS root, and in
#     a user's ~/.pki/nssdb: found (exit 1), state trust, never installed; the JSON
#     evidence names the database, the nickname, the trust letters and the sha256; the
#     plan lists it (not refused) with the certutil -D -d dbm: command that removes it;
#   - present but not trusted (",,"): not the trust state (the cert9.db rule);
#   - a cert8.db without it: clean (exit 0), the source read it;
#   - a root over 14 KiB, kept by NSS in cert8.dir: found through its record;
#   - a damaged cert8.db: the source is incomplete, the file and the offset named, never clean.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "openssl not installed"
command -v certutil >/dev/null || skip_all "certutil (libnss3-tools) not installed"

CN="Kaspersky Anti-Virus Personal Root Certificate"
SUBJ="/C=RU/O=AO Kaspersky Lab/CN=$CN"
mkcert() { # FILE SUBJECT [openssl args]
	local f=$1 s=$2
	shift 2
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/key.pem" -out "$f" -subj "$s" "$@" 2>/dev/null || { echo "Bail out! openssl req"; exit 1; }
}
mkcert "$T/kav.pem" "$SUBJ"
mkcert "$T/acme.pem" "/C=US/O=Acme Corp/CN=Acme Root CA"
SHA256=$(openssl x509 -in "$T/kav.pem" -outform DER | sha256sum | cut -c1-64)

# mkdb DIR TRUST: a legacy database with the Acme root trusted, and the Kaspersky root
# with TRUST (certutil's letters), or without it when TRUST is "none"
mkdb() {
	mkdir -p "$1"
	certutil -N -d "dbm:$1" --empty-password || { echo "Bail out! certutil -N dbm:"; exit 1; }
	certutil -A -d "dbm:$1" -n "Acme Root CA" -t "C,," -i "$T/acme.pem"
	[ "$2" = none ] || certutil -A -d "dbm:$1" -n "$CN" -t "$2" -i "${3:-$T/kav.pem}"
	[ -f "$1/cert8.db" ] && [ ! -e "$1/cert9.db" ] || { echo "Bail out! certutil wrote no cert8.db alone"; exit 1; }
}
debian_root() {
	mkdir -p "$1/etc/ssl/certs" "$1/var/lib/dpkg"
	printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 9 (stretch)"\n' >"$1/etc/os-release"
	: >"$1/var/lib/dpkg/status"
	cp "$T/acme.pem" "$1/etc/ssl/certs/ca-certificates.crt"
}
firefox_linux() { # ROOT TRUST: the profile folder
	local P=$1/home/alice/.mozilla/firefox/abcd.default
	mkdb "$P" "$2" "${3:-}"
	printf '[Profile0]\nName=default\nIsRelative=1\nPath=abcd.default\nDefault=1\n' \
		>"$1/home/alice/.mozilla/firefox/profiles.ini"
}
certutil_lists() { certutil -L -d "dbm:$1" | grep -F "$CN" | awk '{print $NF}'; }

EV="[(e['source'], e['kind'], e['path'], e['state'], e['attrs'].get('nickname'), e['attrs'].get('trust'), e['attrs'].get('sha256'), e['attrs'].get('browser')) for f in r['findings'] for e in f['evidence']]"

# trusted NAME ROOT DB BROWSER: the checks of a trusted root in the cert8.db at DB
trusted() {
	local name=$1 R=$2 db=$3 browser=$4
	scan_json "$R"
	check_eq "$name: found (exit 1), verdict found" "$rc $(jq_py "$T/out.json" "r['summary']['verdict']")" "1 found"
	check "$name: report validates" validate_report "$T/out.json"
	check_eq "$name: state trust, none installed" \
		"$(jq_py "$T/out.json" "(sorted(set(f['state'] for f in r['findings'])), r['summary']['by_state']['trust'], r['summary']['by_state']['installed'])")" \
		"(['trust'], 1, 0)"
	check_eq "$name: the JSON evidence: the cert8.db, nickname, trust C,,, sha256" \
		"$(jq_py "$T/out.json" "str(sorted(set($EV)))")" \
		"[('nss-certs', 'cert', '$db', 'trusted', '$CN', 'C,,', '$SHA256', '$browser')]"
	check_eq "$name: nss-certs read it, no error" \
		"$(jq_py "$T/out.json" "str([(s['status'], s['n_errors']) for s in r['sources'] if s['name'] == 'nss-certs'])")" \
		"[('ok', 0)]"
	cp "$T/out.json" "$T/$name.json"
	rc=0
	"$EXCISE" plan "$T/$name.json" --format json -o "$T/$name-plan.json" 2>"$T/plan.err" || rc=$?
	check_eq "$name: the plan is written (exit 0), no step on the database, nothing refused" \
		"$rc $(jq_py "$T/$name-plan.json" "([s for s in r['steps'] if s.get('path') == '$db'], [k for k in r['skipped'] if k['refused']])")" \
		"0 ([], [])"
	local dir=${db%/cert8.db}
	check_eq "$name: the plan lists the root with the certutil -D -d dbm: command" \
		"$(jq_py "$T/$name-plan.json" "any(\"certutil -D -d dbm:'$dir' -n '$CN'\" in k['why'] and '$CN' in k['what'] for k in r['skipped'])")" True
	check_eq "$name: the certificate is listed once, whichever of its indicators matched" \
		"$(jq_py "$T/$name-plan.json" "len([k for k in r['skipped'] if \"dbm:'$dir' -n '$CN'\" in k['why']])")" 1
}

# === Linux: a Firefox profile, trusted ==============================================
L=$T/linux
debian_root "$L"
firefox_linux "$L" "C,,"
check_eq "linux: certutil lists the root trusted C,, in the dbm: database" \
	"$(certutil_lists "$L/home/alice/.mozilla/firefox/abcd.default")" "C,,"
trusted linux "$L" /home/alice/.mozilla/firefox/abcd.default/cert8.db firefox
COLUMNS=250 "$EXCISE" scan --root "$L" >"$T/linux.txt" 2>/dev/null
check_eq "linux: the text view says trusted root, no product installed" \
	"$(grep -c 'trusted root certificate (no product installed)' "$T/linux.txt") $(grep -c "cert $CN at .*cert8.db (trusted)" "$T/linux.txt")" "1 1"

# === Linux: a user's ~/.pki/nssdb ====================================================
N=$T/pki
debian_root "$N"
mkdb "$N/home/bob/.pki/nssdb" "C,,"
trusted pki "$N" /home/bob/.pki/nssdb/cert8.db nss

# === present, not trusted; and absent =================================================
U=$T/untrusted
debian_root "$U"
firefox_linux "$U" ",,"
scan_json "$U"
check_eq "untrusted: the certificate is seen present, trust ',,', not the trust state" \
	"$(jq_py "$T/out.json" "(sorted(set((e['state'], e['attrs'].get('trust')) for f in r['findings'] for e in f['evidence'] if e['source'] == 'nss-certs')), r['summary']['by_state']['trust'])")" \
	"([('present', ',,')], 0)"
A=$T/absent
debian_root "$A"
firefox_linux "$A" none
scan_json "$A"
check_eq "absent: clean (exit 0), nss-certs read the database (one certificate, Acme's)" \
	"$rc $(jq_py "$T/out.json" "(r['summary']['verdict'], [(s['status'], s['observations']) for s in r['sources'] if s['name'] == 'nss-certs'])")" \
	"0 ('clean', [('ok', 1)])"

# === Windows: a Firefox profile under AppData/Roaming ================================
if command -v hivexregedit >/dev/null; then
	# shellcheck source=tests/e2e/winfix.sh
	. "$(dirname "$0")/winfix.sh"
	W=$T/windows
	new_root "$W"
	WP=/Users/Bob/AppData/Roaming/Mozilla/Firefox/Profiles/q1w2e3.default
	mkdb "$W$WP" "C,,"
	printf '[Profile0]\r\nName=default\r\nIsRelative=1\r\nPath=Profiles/q1w2e3.default\r\n' \
		>"$W/Users/Bob/AppData/Roaming/Mozilla/Firefox/profiles.ini"
	trusted windows "$W" "$WP/cert8.db" firefox
else
	ok "# SKIP Windows layout: hivexregedit not installed"
fi

# === macOS: a Firefox profile under Library/Application Support ======================
M=$T/macos
mkdir -p "$M/System/Library/CoreServices"
printf '<?xml version="1.0"?>\n<plist version="1.0"><dict><key>ProductVersion</key><string>10.13.6</string></dict></plist>\n' \
	>"$M/System/Library/CoreServices/SystemVersion.plist"
MP="/Users/carol/Library/Application Support/Firefox/Profiles/x.default"
mkdb "$M$MP" "C,,"
trusted macos "$M" "$MP/cert8.db" firefox

# === a root over 14 KiB: NSS keeps it in cert8.dir ==================================
SAN=$(py -c "print(','.join('DNS:host%04d.big.example.org' % i for i in range(700)))")
mkcert "$T/kavbig.pem" "$SUBJ" -addext "subjectAltName=$SAN"
B=$T/big
debian_root "$B"
firefox_linux "$B" "C,," "$T/kavbig.pem"
check "big: certutil kept the entry in cert8.dir" sh -c "ls '$B/home/alice/.mozilla/firefox/abcd.default/cert8.dir/' | grep -q ."
BIGSHA=$(openssl x509 -in "$T/kavbig.pem" -outform DER | sha256sum | cut -c1-64)
scan_json "$B"
check_eq "big: found (exit 1), the root read from cert8.dir, trusted" \
	"$rc $(jq_py "$T/out.json" "str(sorted(set((e['path'], e['state'], e['attrs'].get('sha256')) for f in r['findings'] for e in f['evidence'])))")" \
	"1 [('/home/alice/.mozilla/firefox/abcd.default/cert8.db', 'trusted', '$BIGSHA')]"
rm "$B"/home/alice/.mozilla/firefox/abcd.default/cert8.dir/*
scan_json "$B"
check_eq "big: its cert8.dir file gone: the source is incomplete, never clean" \
	"$rc $(jq_py "$T/out.json" "(r['summary']['verdict'], [s['status'] for s in r['sources'] if s['name'] == 'nss-certs'], any('cert8.dir' in x for s in r['sources'] for x in s['errors']))")" \
	"2 ('incomplete', ['failed'], True)"

# === a damaged cert8.db ===============================================================
D=$T/damaged
debian_root "$D"
firefox_linux "$D" "C,,"
DB=$D/home/alice/.mozilla/firefox/abcd.default/cert8.db
head -c 20000 "$DB" >"$T/cut" && cat "$T/cut" >"$DB"
scan_json "$D"
check_eq "damaged: not clean, the source incomplete, the file and the offset named" \
	"$rc $(jq_py "$T/out.json" "(r['summary']['verdict'], [(s['status'], any(\"cert8.db': offset 16384:\" in x for x in s['errors'])) for s in r['sources'] if s['name'] == 'nss-certs'])")" \
	"2 ('incomplete', [('failed', True)])"

done_testing
