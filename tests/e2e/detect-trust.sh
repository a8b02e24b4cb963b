#!/bin/bash
# End-to-end, issue 12 ("Detection you can trust"): a lone trusted root. A
# self-signed certificate made with openssl whose subject is the Kaspersky root the
# catalog knows ("Kaspersky Anti-Virus Personal Root Certificate", the TLS-inspection
# root), with nothing else of the vendor on the host: (a) in the system bundle
# /etc/ssl/certs/ca-certificates.crt of a minimal Debian-like root, (b) trusted
# ("C,,") in a Firefox profile's cert9.db made with certutil, (c) in the machine ROOT
# store of an offline Windows root (a hive written with hivexregedit). Each alone is an
# interception exposure: verdict found (exit 1), the finding's state `trust`, never
# `installed`, and `excise plan` plans the certificate's removal or lists it. (d) One
# certificate in three files (source, symlink, hash link): exactly three text lines.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "openssl not installed"

SUBJ="/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate"
CN="Kaspersky Anti-Virus Personal Root Certificate"
mkcert() { # FILE SUBJECT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/key.pem" -out "$1" -subj "$2" 2>/dev/null || { echo "Bail out! openssl req"; exit 1; }
}
mkcert "$T/kav.pem" "$SUBJ"
mkcert "$T/acme.pem" "/C=US/O=Acme Corp/CN=Acme Root CA"
SHA256=$(openssl x509 -in "$T/kav.pem" -outform DER | sha256sum | cut -c1-64)

# debian_root DIR: an os-release and an empty dpkg database, nothing installed
debian_root() {
	mkdir -p "$1/etc/ssl/certs" "$1/var/lib/dpkg"
	printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$1/etc/os-release"
	: >"$1/var/lib/dpkg/status"
}

# lone NAME ROOT PATH: the checks every lone root passes; PATH is where the certificate is
lone() {
	local name=$1 R=$2 where=$3
	scan_json "$R"
	check_eq "$name: found (exit 1)" "$rc" 1
	check "$name: report validates" validate_report "$T/out.json"
	check_eq "$name: verdict found" "$(jq_py "$T/out.json" "r['summary']['verdict']")" found
	check_eq "$name: every finding is in state trust, none installed" \
		"$(jq_py "$T/out.json" "sorted(set(f['state'] for f in r['findings']))")" '["trust"]'
	check_eq "$name: the summary counts it under trust" \
		"$(jq_py "$T/out.json" "(r['summary']['by_state'].get('trust'), r['summary']['by_state']['installed'], r['summary']['by_state']['running'])")" \
		"(1, 0, 0)"
	check_eq "$name: the certificate is the evidence, at $where" \
		"$(jq_py "$T/out.json" "sorted(set((e['kind'], e['path']) for f in r['findings'] for e in f['evidence'])) == [('cert', r'$where')] or sorted(set((e['kind'], e['path']) for f in r['findings'] for e in f['evidence']))")" \
		True
	check_eq "$name: one evidence record for the one certificate" \
		"$(jq_py "$T/out.json" "sum(len(f['evidence']) for f in r['findings'])")" 1
	COLUMNS=250 "$EXCISE" scan --root "$R" >"$T/trust.txt" 2>/dev/null
	# ("no product installed" or a count such as "0 installed" is not calling it installed)
	check_eq "$name: the text view names the certificate, says trust, calls nothing installed" \
		"$(py -c 'import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
print(sys.argv[2] in t, "trust" in t, [l for l in t.splitlines() if re.search(r"(?<!no product )(?<![0-9] )\binstalled\b", l)])' "$T/trust.txt" "$CN")" \
		"True True []"
	cp "$T/out.json" "$T/$name.json"
	rc=0
	"$EXCISE" plan "$T/$name.json" --format json -o "$T/plan.json" 2>"$T/plan.err" || rc=$?
	check_eq "$name: excise plan of the report: written (exit 0)" "$rc" 0
	# (a store excise does not write is listed with the way to do it)
	check_eq "$name: the plan removes the certificate at $where, or lists it with the reason" \
		"$(jq_py "$T/plan.json" "any(s['action'] in ('remove-cert', 'remove-nss-cert') and s['path']==r'$where' and s['target']=='$SHA256' for s in r['steps']) or any(s['action']=='delete-registry-key' and s['target']==r'$where' for s in r['steps']) or any(any(w in k['what'] for w in ('$CN', '$SHA256', r'$where')) and not k['why'].startswith('weak evidence') for k in r['skipped'])")" True
	rc=0
	"$EXCISE" plan --root "$R" -o "$T/plan.txt" 2>"$T/plan.err" || rc=$?
	check "$name: excise plan --root (text) names the certificate" \
		sh -c "[ $rc = 0 ] && grep -Eq '$CN|$SHA256' '$T/plan.txt'"
}

# === (a) the system bundle =======================================================
A=$T/system
debian_root "$A"
{ echo "# Acme Root"; cat "$T/acme.pem"; echo "# planted"; cat "$T/kav.pem"; } >"$A/etc/ssl/certs/ca-certificates.crt"
lone system "$A" /etc/ssl/certs/ca-certificates.crt
# removed end to end: the bundle keeps the Acme root, and the host scans clean
rc=0
"$EXCISE" remove --root "$A" --apply --yes -q >"$T/remove.out" 2>&1 || rc=$?
check_eq "system: excise remove --apply: done (exit 0)" "$rc" 0
check_eq "system: the bundle holds the Acme root alone" \
	"$(grep -c 'BEGIN CERTIFICATE' "$A/etc/ssl/certs/ca-certificates.crt") $(openssl x509 -in "$A/etc/ssl/certs/ca-certificates.crt" -noout -subject)" \
	"1 subject=C = US, O = Acme Corp, CN = Acme Root CA"
scan_json "$A"
check_eq "system: after the removal, clean (exit 0)" "$rc" 0
check "system: after the removal, report validates" validate_report "$T/out.json"

# === (d) one certificate in three files: one line per file ==========================
# The root as update-ca-certificates leaves it: the source file, the symlink to it in
# /etc/ssl/certs and the hash link openssl names (`openssl x509 -hash`). Three artifacts,
# three lines in the text view (not one per indicator that matched: 15 before), each
# naming the certificate once, with its strongest indicator and the count of the others.
D=$T/three
debian_root "$D"
mkdir -p "$D/usr/local/share/ca-certificates"
cp "$T/kav.pem" "$D/usr/local/share/ca-certificates/kaspersky.crt"
ln -s /usr/local/share/ca-certificates/kaspersky.crt "$D/etc/ssl/certs/kaspersky.pem"
HASH=$(openssl x509 -hash -noout -in "$T/kav.pem")
ln -s kaspersky.pem "$D/etc/ssl/certs/$HASH.0"
check_eq "three files: the hash link and the symlink lead to the source file" \
	"$(readlink "$D/etc/ssl/certs/$HASH.0") $(readlink "$D/etc/ssl/certs/kaspersky.pem")" \
	"kaspersky.pem /usr/local/share/ca-certificates/kaspersky.crt"
scan_json "$D"
check_eq "three files: found (exit 1), state trust" \
	"$rc $(jq_py "$T/out.json" "sorted(set(f['state'] for f in r['findings']))")" '1 ["trust"]'
check "three files: report validates" validate_report "$T/out.json"
check_eq "three files: three evidence records, one per file, each the certificate" \
	"$(jq_py "$T/out.json" "sorted((e['kind'], e['path']) for f in r['findings'] for e in f['evidence'])")" \
	"[[\"cert\", \"/etc/ssl/certs/$HASH.0\"], [\"cert\", \"/etc/ssl/certs/kaspersky.pem\"], [\"cert\", \"/usr/local/share/ca-certificates/kaspersky.crt\"]]"
# the strongest indicator of each record (the first, of the record's confidence) and the
# number of the others, from the report
IND="[(m[0]['indicator']['id'], len(m) - 1, m[0]['indicator']['confidence'] == e['confidence'], m[0]['field']) for f in r['findings'] for e in f['evidence'] for m in [e['matches']]]"
check_eq "three files: each record's first match is its strongest, by the certificate's name, with others" \
	"$(jq_py "$T/out.json" "(len(set($IND)), sorted(set(x[3] for x in $IND if x[1] > 0 and x[2])))")" \
	"(1, ['name'])"
ID=$(jq_py "$T/out.json" "${IND}[0][0]")
N=$(jq_py "$T/out.json" "${IND}[0][1]")
COLUMNS=250 "$EXCISE" scan --root "$D" >"$T/three.txt" 2>/dev/null
{
	printf '    strong     cert %s at %s (trusted) [%s +%s more]\n' "$CN" "/etc/ssl/certs/$HASH.0" "$ID" "$N"
	printf '    strong     cert %s at %s (trusted) [%s +%s more]\n' "$CN" /etc/ssl/certs/kaspersky.pem "$ID" "$N"
	printf '    strong     cert %s at %s (trusted) [%s +%s more]\n' "$CN" /usr/local/share/ca-certificates/kaspersky.crt "$ID" "$N"
} >"$T/three.want"
grep '^ ' "$T/three.txt" >"$T/three.got" || true
check "three files: the evidence lines of the text view are exactly one per file" diff -u "$T/three.want" "$T/three.got"
check_eq "three files: the certificate's name once a line, its subject DN and digest not repeated" \
	"$(grep -cF "$CN" "$T/three.txt") $(grep -cF "CN=$CN" "$T/three.txt") $(grep -cF "$SHA256" "$T/three.txt")" '3 0 0'
check_eq "three files: one finding heading, the trusted root, no product installed" \
	"$(grep -v '^ ' "$T/three.txt" | grep -c 'trusted root certificate (no product installed), strong confidence')" 1

# === (b) a browser store: Firefox's cert9.db ======================================
if command -v certutil >/dev/null; then
	B=$T/browser
	debian_root "$B"
	cp "$T/acme.pem" "$B/etc/ssl/certs/ca-certificates.crt"
	P=$B/home/alice/.mozilla/firefox/abcd.default-release
	mkdir -p "$P"
	printf '[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd.default-release\nDefault=1\n' \
		>"$B/home/alice/.mozilla/firefox/profiles.ini"
	certutil -N --empty-password -d "sql:$P"
	certutil -A -d "sql:$P" -n "$CN" -t "C,," -i "$T/kav.pem"
	certutil -A -d "sql:$P" -n "Acme Root CA" -t "C,," -i "$T/acme.pem"
	check_eq "browser: certutil lists the root trusted C,," \
		"$(certutil -L -d "sql:$P" | grep -F "$CN" | awk '{print $NF}')" "C,,"
	rm -f "$P/key4.db" "$P/pkcs11.txt"
	lone browser "$B" /home/alice/.mozilla/firefox/abcd.default-release/cert9.db
else
	ok "# SKIP browser store: certutil (libnss3-tools) not installed"
fi

# === (c) the Windows machine ROOT store ==========================================
if command -v hivexregedit >/dev/null && command -v hivexsh >/dev/null; then
	# shellcheck source=tests/e2e/winfix.sh
	. "$(dirname "$0")/winfix.sh"
	C=$T/winroot
	new_root "$C"
	openssl x509 -in "$T/kav.pem" -outform DER -out "$T/kav.der"
	openssl x509 -in "$T/acme.pem" -outform DER -out "$T/acme.der"
	# the store's Blob: properties (id, 1, length, data): SHA-1 (3), friendly name (11),
	# the certificate (32)
	py - "$T/kav.der" "$T/acme.der" >"$T/root.reg" <<'PY'
import hashlib, struct, sys
def prop(pid, b):
    return struct.pack("<III", pid, 1, len(b)) + b
k = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates"
print("[%s]\n[%s\\ROOT]\n[%s\\ROOT\\Certificates]" % (k, k, k))
for f in sys.argv[1:]:
    der = open(f, "rb").read()
    sha1 = hashlib.sha1(der).digest()
    blob = prop(3, sha1) + prop(11, "Root\0".encode("utf-16-le")) + prop(32, der)
    print("[%s\\ROOT\\Certificates\\%s]" % (k, sha1.hex().upper()))
    print('"Blob"=hex:' + ",".join("%02x" % c for c in blob))
PY
	sw "$C" <"$T/root.reg"
	KAV_SHA1=$(openssl dgst -sha1 -r "$T/kav.der" | cut -c1-40 | tr a-f A-F)
	lone windows "$C" "HKLM\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\$KAV_SHA1"
	check_eq "windows: the machine store's certificate key is deleted (exported to the quarantine first)" \
		"$(jq_py "$T/plan.json" "[(s['action'], s['target']) for s in r['steps'] if 'SystemCertificates' in s['target']]")" \
		"[[\"delete-registry-key\", \"HKLM\\\\SOFTWARE\\\\Microsoft\\\\SystemCertificates\\\\ROOT\\\\Certificates\\\\$KAV_SHA1\"]]"
else
	ok "# SKIP Windows ROOT store: hivexregedit or hivexsh not installed"
fi

# === the root beside an installed product is not "trust" alone ====================
# (the fixture linux plants the same root beside KESL: the product stays installed)
if command -v dpkg >/dev/null; then
	L=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
	scan_json "$L"
	check_eq "beside KESL: KESL and Network Agent stay installed" \
		"$(jq_py "$T/out.json" "sorted((f['product']['id'], f['state']) for f in r['findings'] if f['product']['id'] in ('kesl', 'klnagent'))")" \
		'[["kesl", "installed"], ["klnagent", "installed"]]'
	check "beside KESL: report validates" validate_report "$T/out.json"
	check_eq "beside KESL: the root is not a lone trust exposure (a product is installed)" \
		"$(jq_py "$T/out.json" "(r['summary']['by_state'].get('trust'), [f['product']['id'] for f in r['findings'] if f['state']=='trust'])")" \
		"(0, [])"
else
	ok "# SKIP beside KESL: dpkg not installed"
fi

done_testing
