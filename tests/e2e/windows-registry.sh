#!/bin/bash
# End-to-end: the Windows registry sources (win-software, win-services, win-users)
# over offline Windows roots whose hives are written at test time: an empty hive by
# tests/e2e/mkhive.py (checked with hivexsh), then keys merged from .reg text by
# hivexregedit. Scenarios are modelled on the research file's installs: KES 12.9 with
# Network Agent (both views, Cyrillic publisher, ControlSet002 current with decoys in
# ControlSet001), Kaspersky Internet Security with a user hive, Security for Windows
# Server, keys left after an uninstall, a host migrated to UltraAV, lookalike driver
# names, and the TLS-inspection root in the machine ROOT store. Then hostile hives
# (truncated, corrupted, too big, a symlink out of the root) and each hive limit.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v hivexregedit >/dev/null || skip_all "hivexregedit (libwin-hivex-perl) not installed"
command -v hivexsh >/dev/null || skip_all "hivexsh (libhivex-bin) not installed"
command -v openssl >/dev/null || skip_all "openssl not installed"

# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"
ONLY=()
jq_true() { [ "$(jq_py "$T/out.json" "$1")" = True ]; }
fnd() { finding_py "$T/out.json" "$1" "$2"; }

# ev EXPR: True when some evidence e (of finding f) satisfies the Python EXPR.
ev() { jq_true "any($1 for f in r['findings'] for e in per_match(f['evidence']))"; }
src() { jq_py "$T/out.json" "[s for s in r['sources'] if s['name']=='$1'][0]$2"; }

# === a) KES 12.9 for Windows with Network Agent ==================================
A=$T/kes
fixture_copy kes-windows "$A"
scan_json "$A" "${ONLY[@]}"
check_eq "a: KES host: verdict found (exit 1)" "$rc" 1
check "a: report validates" validate_report "$T/out.json"
check_eq "a: host facts from the hives (current control set's name)" \
	"$(jq_py "$T/out.json" "(r['host']['platform'], r['host']['hostname'], r['host']['os'], r['host']['os_id'])")" \
	"('windows', 'WS-ACCT-042', 'Windows 10 Pro 22H2 build 19045', 'windows')"
check_eq "a: only Windows sources run on a Windows root" \
	"$(jq_py "$T/out.json" "sorted(s['name'] for s in r['sources'] if s['status'] not in ('skipped','absent'))")" \
	'["win-files", "win-services", "win-software"]'
check_eq "a: win-software ok" "$(src win-software "['status']")" ok
check_eq "a: win-services ok" "$(src win-services "['status']")" ok
# (which product the vendor-wide klif.sys joins is the engine's attribution, not checked here)
check_eq "a: KES installed, version from the Uninstall entry" \
	"$(fnd kes-windows "(f['state'], f['version'])")" "('installed', '12.9.0.96')"
check "a: KES product key (strong) is its own evidence" \
	ev "f['product']['id']=='kes-windows' and e['indicator']['id'].startswith('kes-windows.registry.path')"
check_eq "a: Network Agent installed" "$(fnd klnagent "f['state']")" installed
check "a: Uninstall entry as a package with the MSI product code, 64-bit view" \
	ev "e['kind']=='package' and e['path']=='HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Uninstall\\\\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}' and e['attrs'].get('msi_product_code')=='{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}' and e['attrs'].get('view')=='64-bit'"
check "a: Cyrillic publisher decoded from UTF-16LE and matched, 32-bit view" \
	ev "e['field']=='publisher' and e['value']=='АО Лаборатория Касперского' and e['attrs'].get('view')=='32-bit'"
check "a: MSI product code as a registry name" \
	ev "e['kind']=='registry' and e['field']=='name' and e['value']=='{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}'"
check "a: environment key: installed, version and product root" \
	ev "e['kind']=='registry' and e['path']=='HKLM\\\\SOFTWARE\\\\KasperskyLab\\\\protected\\\\KES12.9\\\\environment' and e['active'] and e['version']=='12.9.0.96' and e['attrs'].get('product_root','').endswith('KES.12.9.0\\\\')"
check "a: Network Agent AVState key (32-bit view)" \
	ev "e['kind']=='registry' and e['path'].endswith('WOW6432Node\\\\KasperskyLab\\\\Components\\\\34\\\\1103\\\\1.0.0.0\\\\Statistics\\\\AVState')"
check "a: klif driver: name, root path with the file's real case, altitude, start" \
	ev "e['kind']=='kmod' and e['value']=='klif.sys' and e['path']=='/Windows/System32/drivers/klif.sys' and e['attrs'].get('altitude')=='320400' and e['attrs'].get('start')=='system' and e['attrs'].get('group')=='FSFilter Anti-Virus' and e['attrs'].get('control_set')=='ControlSet002'"
check "a: \\SystemRoot\\ image path normalised" \
	ev "e['kind']=='kmod' and e['value']=='klflt.sys' and e['path']=='/Windows/System32/drivers/klflt.sys'"
check "a: \\??\\C: image path normalised; disabled driver is not active" \
	ev "e['kind']=='kmod' and e['value']=='klim6.sys' and e['path']=='/Windows/system32/DRIVERS/klim6.sys' and not e['active'] and e['state']=='disabled'"
check "a: klnagent service with its target" \
	ev "e['kind']=='service' and e['value']=='klnagent' and e['active'] and e['attrs'].get('start')=='auto' and e['attrs'].get('type')=='own-process'"
check "a: service registry key spelled CurrentControlSet" \
	ev "e['kind']=='registry' and e['path']=='HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\klif'"
check_eq "a: ControlSet001 decoy (KAVFS) not read" "$(fnd ksws "f")" None
check_eq "a: Microsoft entries observed but not matched" \
	"$(src win-services "['observations'] >= 6")" True
check_eq "a: hive paths found case-insensitively (config/software)" \
	"$(mv "$A/Windows/System32/config/SOFTWARE" "$A/Windows/System32/config/software"
	   scan_json "$A" "${ONLY[@]}"; echo "$rc $(src win-software "['status']")")" "1 ok"
"$EXCISE" scan --root "$A" "${ONLY[@]}" --format csv -o "$T/out.csv" 2>/dev/null
check "a: CSV carries the driver evidence with its registry-derived path" \
	grep -q 'kmod,name,klif.sys,/Windows/System32/drivers/klif.sys' "$T/out.csv"
"$EXCISE" scan --root "$A" "${ONLY[@]}" --format text -v -o "$T/out.txt" 2>/dev/null
check "a: text -v names the environment key and the attrs" \
	sh -c "grep -q 'KasperskyLab.*protected.*KES12.9.*environment' '$T/out.txt' && grep -q 'altitude=320400' '$T/out.txt'"
COLUMNS=200 "$EXCISE" scan --root "$A" "${ONLY[@]}" --format text -o "$T/out-short.txt" 2>/dev/null
check "a: text shows registry keys as Windows writes them (single backslashes)" \
	grep -Eq '^    strong +registry HKLM\\SOFTWARE\\KasperskyLab \(present\) \[' "$T/out-short.txt"

# === b) Kaspersky Internet Security (consumer) and a user hive =====================
B=$T/kis
new_root "$B"
mkdir -p "$B/Users/alice" "$B/Users/Public" "$B/Users/Default"
ln -s Public "$B/Users/All Users"
empty_hive "$B/Users/alice/NTUSER.DAT"
empty_hive "$B/Users/Default/ntuser.dat"
sw "$B" <<'EOF'
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\AVP21.3]
"DisplayName"="Kaspersky Internet Security"
"DisplayVersion"="21.3.10.391"
"Publisher"="AO Kaspersky Lab"
"UninstallString"=sz:"C:\Program Files (x86)\Kaspersky Lab\Kaspersky Internet Security 21.3\avp.exe" /uninstall
"InstallLocation"=sz:C:\Program Files (x86)\Kaspersky Lab\Kaspersky Internet Security 21.3\
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\protected]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\protected\AVP21.3]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\protected\AVP21.3\environment]
"ProductName"="Kaspersky Internet Security"
"ProductVersion"="21.3.10.391"
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Run]
"AVP"=sz:"C:\Program Files (x86)\Kaspersky Lab\Kaspersky Internet Security 21.3\avpui.exe"
"SecurityHealth"=expand:%windir%\system32\SecurityHealthSystray.exe
EOF
sy "$B" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\AVP21.3]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:"C:\Program Files (x86)\Kaspersky Lab\Kaspersky Internet Security 21.3\avp.exe" -r
"DisplayName"="Kaspersky Internet Security Service"
EOF
merge "$B/Users/alice/NTUSER.DAT" 'HKEY_CURRENT_USER' <<'EOF'
[HKEY_CURRENT_USER\Software]
[HKEY_CURRENT_USER\Software\Microsoft]
[HKEY_CURRENT_USER\Software\Microsoft\Windows]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\Kaspersky VPN]
"DisplayName"="Kaspersky VPN Secure Connection"
"DisplayVersion"="21.3.10.391"
"Publisher"="AO Kaspersky Lab"
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Run]
"KasperskyVPN"=sz:"C:\Program Files (x86)\Kaspersky Lab\Kaspersky VPN 5.3\ksdeui.exe" -autorun
"OneDrive"=sz:"C:\Users\alice\AppData\Local\Microsoft\OneDrive\OneDrive.exe" /background
EOF
scan_json "$B" "${ONLY[@]}"
check_eq "b: KIS host: found" "$rc" 1
check "b: report validates" validate_report "$T/out.json"
check_eq "b: KIS installed (publisher + environment), version" \
	"$(fnd kis "(f['state'], f['version'])")" "('installed', '21.3.10.391')"
check "b: versioned consumer service AVP21.3" \
	ev "e['kind']=='service' and e['value']=='AVP21.3' and e['attrs'].get('start')=='auto'"
check "b: HKLM Run entry as an autorun service" \
	ev "e['kind']=='service' and e['value']=='AVP' and e['attrs'].get('autorun')=='Run' and e['path'].startswith('HKLM\\\\SOFTWARE\\\\WOW6432Node')"
check "b: per-user Uninstall entry (NTUSER.DAT of alice)" \
	ev "e['kind']=='package' and e['attrs'].get('user')=='alice' and e['path']=='HKU\\\\alice\\\\Software\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Uninstall\\\\Kaspersky VPN'"
check_eq "b: VPN product named from the user hive (its product-specific display name is strong), installed" \
	"$(fnd vpn "(f['confidence'], f['state'], f['evidence'][0]['attrs'].get('user'))")" "('strong', 'installed', 'alice')"
check_eq "b: win-users ok (Default's lower-case ntuser.dat read, All Users link skipped)" \
	"$(src win-users "['status'], r['sources'][0]['name'] and [s for s in r['sources'] if s['name']=='win-users'][0]['n_errors']")" "('ok', 0)"

# === c) Kaspersky Security for Windows Server ======================================
C=$T/ksws
new_root "$C"
sw "$C" <<'EOF'
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{A5EB4B81-6D9E-4B86-AD7E-6E5A1B1DC1A3}]
"DisplayName"="Kaspersky Security for Windows Server"
"DisplayVersion"="11.0.1.897"
"Publisher"="AO Kaspersky Lab"
"WindowsInstaller"=dword:00000001
EOF
sy "$C" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\KAVFS]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:"C:\Program Files (x86)\Kaspersky Lab\Kaspersky Security for Windows Server\kavfs.exe"
"DisplayName"="Kaspersky Security Service"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\KAVFSGT]
"Type"=dword:00000010
"Start"=dword:00000002
"DisplayName"="Kaspersky Security Management Service"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\kavfsslp]
"Type"=dword:00000010
"Start"=dword:00000003
"DisplayName"="Kaspersky Security Exploit Prevention Service"
EOF
scan_json "$C" "${ONLY[@]}"
check_eq "c: KSWS: found" "$rc" 1
check_eq "c: KSWS installed, definitive" "$(fnd ksws "(f['state'], f['confidence'])")" "('installed', 'definitive')"
check_eq "c: all three services (kavfsslp matched ignoring case)" \
	"$(jq_py "$T/out.json" "sorted(e['value'] for f in r['findings'] for e in per_match(f['evidence']) if e['kind']=='service')")" \
	'["KAVFS", "KAVFSGT", "kavfsslp"]'

# === d) keys left after an uninstall ===============================================
D=$T/stale
new_root "$D"
sw "$D" <<'EOF'
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab]
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected]
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected\KES12.9]
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected\KES12.9\settings]
"EnableSelfProtection"=dword:00000001
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected\LicStorage]
EOF
scan_json "$D" "${ONLY[@]}"
check_eq "d: stale keys: the vendor root is strong evidence, so found (exit 1)" "$rc" 1
check_eq "d: ... but only a remnant" \
	"$(jq_py "$T/out.json" "[(f['product']['id'], f['state']) for f in r['findings']]")" '[["kaspersky:unidentified", "remnant"]]'
check_eq "d: every stale key was observed" "$(src win-software "['observations'] >= 6")" True
check "d: no evidence is active" \
	jq_true "not any(e['active'] for f in r['findings'] for e in per_match(f['evidence']))"

# === e) migrated to UltraAV (names from the fixture, not from the research) ========
E=$T/ultraav
new_root "$E"
sw "$E" <<'EOF'
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\UltraAV]
"DisplayName"="UltraAV"
"DisplayVersion"="1.4.0.12"
"Publisher"="Pango GmbH"
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\UltraVPN]
"DisplayName"="UltraVPN"
"Publisher"="Pango GmbH"
EOF
sy "$E" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\UltraAVService]
"Type"=dword:00000010
"Start"=dword:00000002
"DisplayName"="UltraAV Service"
EOF
scan_json "$E" "${ONLY[@]}"
check_eq "e: UltraAV host: clean (exit 0)" "$rc" 0
check_eq "e: no finding" "$(jq_py "$T/out.json" "len(r['findings'])")" 0
check_eq "e: the entries were read" "$(src win-software "['observations'] >= 4")" True

# === f) another vendor's drivers and services with lookalike names ===============
# K7Sentry.sys is K7 Computing's driver; kl_stub.sys, klifx.sys and KAVFSX are invented
# lookalikes of the catalog's exact names (klif.sys, KAVFS).
F=$T/lookalike
new_root "$F"
sy "$F" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\K7Sentry]
"Type"=dword:00000001
"Start"=dword:00000001
"ImagePath"=expand:system32\drivers\K7Sentry.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klstub]
"Type"=dword:00000001
"Start"=dword:00000003
"ImagePath"=expand:system32\drivers\kl_stub.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klifx]
"Type"=dword:00000002
"Start"=dword:00000001
"ImagePath"=expand:system32\drivers\klifx.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\KAVFSX]
"Type"=dword:00000010
"Start"=dword:00000002
EOF
scan_json "$F" "${ONLY[@]}"
check_eq "f: lookalikes: clean (exit 0)" "$rc" 0
check "f: no driver or service evidence" \
	jq_true "not any(e['kind'] in ('kmod','service') for f in r['findings'] for e in per_match(f['evidence']))"
check "f: only the weak Services\\kl* key pattern, nothing stronger" \
	jq_true "all(f['confidence']=='weak' for f in r['findings'])"

# === g) the TLS-inspection root in the machine ROOT store =========================
G=$T/root-store
new_root "$G"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k.pem" -days 30 -outform DER -out "$T/kav.der" \
	-subj "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/k2.pem" -days 30 -outform DER -out "$T/other.der" \
	-subj "/C=US/O=Example Trust/CN=Example Root CA" 2>/dev/null
py - "$T/kav.der" "$T/other.der" >"$T/certs.reg" <<'PY'
import hashlib, struct, sys
def prop(pid, b):
    return struct.pack("<III", pid, 1, len(b)) + b
print("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates]")
print("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT]")
print("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates]")
for f in sys.argv[1:]:
    der = open(f, "rb").read()
    sha1 = hashlib.sha1(der).digest()
    blob = prop(0x03, sha1) + prop(0x0b, "F\0r\0i\0e\0n\0d\0\0\0".encode()) + prop(0x20, der)
    print("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\%s]" % sha1.hex().upper())
    print('"Blob"=hex:' + ",".join("%02x" % c for c in blob))
# A blob whose certificate property runs past its end.
print("[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\00000000000000000000000000000000DEADBEEF]")
print('"Blob"=hex:' + ",".join("%02x" % c for c in struct.pack("<III", 0x20, 1, 4096) + b"\x30\x82"))
PY
KAV_SHA1=$(openssl dgst -sha1 -r "$T/kav.der" | cut -c1-40 | tr a-f A-F)
sw "$G" <"$T/certs.reg"
scan_json "$G" "${ONLY[@]}"
check_eq "g: ROOT store with the TLS-inspection root: found" "$rc" 1
check "g: CERT evidence at the store key, with thumbprint and store attrs" \
	ev "e['kind']=='cert' and e['field']=='name' and e['value']=='Kaspersky Anti-Virus Personal Root Certificate' and e['path']=='HKLM\\\\SOFTWARE\\\\Microsoft\\\\SystemCertificates\\\\ROOT\\\\Certificates\\\\$KAV_SHA1' and e['attrs'].get('thumbprint')=='$KAV_SHA1' and e['attrs'].get('store')=='ROOT' and len(e['attrs'].get('sha256',''))==64"
check_eq "g: the truncated blob is an item error naming the key" \
	"$(src win-software "['n_errors'], any('DEADBEEF' in m and 'Blob' in m for m in [s for s in r['sources'] if s['name']=='win-software'][0]['errors'])")" "(1, True)"
check_eq "g: the other root was read, not matched" "$(src win-software "['observations'] >= 4")" True

# === hostile hives: each fails the source, naming the file; nothing found -> exit 2 ===
H=$T/hostile
new_root "$H"
HV=$H/Windows/System32/config/SOFTWARE
cp "$A/Windows/System32/config/software" "$T/good.hive"
hostile() { # NAME EXPECTED-MESSAGE-PART
	scan_json "$H"
	check_eq "hostile $1: incomplete (exit 2)" "$rc" 2
	check_eq "hostile $1: win-software failed naming the hive" \
		"$(src win-software "['status'], '/Windows/System32/config/SOFTWARE' in [s for s in r['sources'] if s['name']=='win-software'][0]['error'] and '$2' in [s for s in r['sources'] if s['name']=='win-software'][0]['error']")" \
		"('failed', True)"
	check "hostile $1: report validates" validate_report "$T/out.json"
}
head -c 6000 "$T/good.hive" >"$HV"
hostile truncated "cannot be read"
cp "$T/good.hive" "$HV"
py - "$HV" <<'PY'
import random, sys
b = bytearray(open(sys.argv[1], "rb").read())
rnd = random.Random(7)
mid = len(b) // 2
for i in range(mid - 1500, mid + 1500):
    b[i] = rnd.randrange(256)
open(sys.argv[1], "wb").write(b)
PY
scan_json "$H"
check_eq "hostile corrupted: incomplete (exit 2), no crash" "$rc" 2
check_eq "hostile corrupted: win-software failed naming the hive" \
	"$(src win-software "['status'], '/Windows/System32/config/SOFTWARE' in [s for s in r['sources'] if s['name']=='win-software'][0]['error']")" "('failed', True)"
rm -f "$HV"
truncate -s $((512 * 1024 * 1024 + 1)) "$HV"
hostile "over EXCISE_MAX_HIVE_SIZE (sparse)" "larger than 536870912 bytes"
rm -f "$HV"
mkdir -p "$T/outside"
cp "$T/good.hive" "$T/outside/SOFTWARE"
ln -s "$T/outside/SOFTWARE" "$HV"
hostile "symlink out of the root" "a symlink (not followed)"
check_eq "hostile symlink: the KES keys outside were not read" "$(jq_py "$T/out.json" "len(r['findings'])")" 0
rm -f "$HV"
printf 'regf but not really a hive' >"$HV"
hostile "not a hive" "not a registry hive"

# === the limits of lib/core/limits.h ===========================================
L=$T/limits
new_root "$L"
# EXCISE_MAX_HIVE_DEPTH (32 levels below a walk's start): a key chain 34 deep under
# KasperskyLab; keys down to level 32 are read, the rest is an item error.
py - >"$T/deep.reg" <<'PY'
p = "HKEY_LOCAL_MACHINE\\SOFTWARE\\KasperskyLab"
print("[%s]" % p)
for i in range(1, 35):
    p += "\\d%d" % i
    print("[%s]" % p)
PY
sw "$L" <"$T/deep.reg"
# EXCISE_MAX_HIVE_VALUE_SIZE (256 KiB) and EXCISE_MAX_HIVE_STRING_LEN (32 KiB of UTF-8).
py - >"$T/big.reg" <<'PY'
u = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\"
print("[%sBigValue]" % u)
print('"DisplayName"=hex(1):' + ",".join(["41,00"] * (128 * 1024 + 1)) + ",00,00")
print('"Publisher"="AO Kaspersky Lab"')
print("[%sLongString]" % u)
print('"DisplayName"="' + "B" * (32 * 1024 + 1) + '"')
print('"DisplayVersion"="1.0"')
PY
sw "$L" <"$T/big.reg"
scan_json "$L"
jq_py "$T/out.json" "'\\n'.join([s for s in r['sources'] if s['name']=='win-software'][0]['errors'])" >"$T/errs.txt"
check_eq "limits: item errors, and the source incomplete (failed)" "$(src win-software "['status']")" failed
check "limits: depth: an item error names the key at level 32" \
	grep -qF 'd31\d32: more than 32 key levels' "$T/errs.txt"
check_eq "limits: depth: keys down to level 32 were observed" \
	"$(src win-software "['observations'] >= 33")" True
check "limits: value size: an item error names the key and the value" \
	grep -qF "BigValue: value 'DisplayName' cannot be read (over the value or string size limit)" "$T/errs.txt"
check "limits: string length: an item error names the key and the value" \
	grep -qF "LongString: value 'DisplayName' cannot be read (over" "$T/errs.txt"
check "limits: the entry with the oversized name is still a package (publisher matched)" \
	ev "e['kind']=='package' and e['field']=='publisher' and e['path'].endswith('BigValue')"
# EXCISE_MAX_HIVE_KEYS (100,000 keys per walk): 2 x 50,001 keys under KasperskyLab, from
# mkhive.py (hivexregedit would take minutes).
empty_hive "$L/Windows/System32/config/SOFTWARE" 'KasperskyLab\A=50001' 'KasperskyLab\B=50001'
scan_json "$L"
check_eq "limits: keys: the walk stops with an item error, the source incomplete" \
	"$(src win-software "['status'], any('more than 100000 keys' in m for m in [s for s in r['sources'] if s['name']=='win-software'][0]['errors'])")" "('failed', True)"
check_eq "limits: keys: 100,000 keys were observed" "$(src win-software "['observations'] >= 100000")" True
check_eq "limits: keys: the vendor root still matched" \
	"$(jq_py "$T/out.json" "any(e['path']=='HKLM\\\\SOFTWARE\\\\KasperskyLab' for f in r['findings'] for e in per_match(f['evidence']))")" True

done_testing
