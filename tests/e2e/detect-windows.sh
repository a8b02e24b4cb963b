#!/bin/bash
# End-to-end, issue 12 ("Detection you can trust") on offline Windows roots whose
# hives are written at test time (mkhive.py, then hivexregedit): localised Uninstall
# entries (a Russian KES with the quoted Cyrillic publisher and the MSI product code
# as its key name, a German one with „…“ quotes, one with «guillemets»), decoys whose
# Latin names hide a Cyrillic or Greek letter, decomposed names (u + U+0308, и + U+0306),
# Security Center services under their French and Italian names, a per-user Password Manager in a user's
# NTUSER.DAT, a boot driver registered alone (its image a PE built with MinGW and
# signed with osslsigncode, then missing), MSI UserData and Classes\Installer registrations with nothing else, and
# an Uninstall entry of the vendor that the catalog does not know.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v hivexregedit >/dev/null || skip_all "hivexregedit (libwin-hivex-perl) not installed"
command -v hivexsh >/dev/null || skip_all "hivexsh (libhivex-bin) not installed"

# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"

fnd() { finding_py "$T/out.json" "$1" "$2"; }
# ev_true EXPR: True when some evidence e of some finding f satisfies EXPR
ev_true() { [ "$(jq_py "$T/out.json" "any(($1) for f in r['findings'] for e in f['evidence'])")" = True ]; }

# uninstall_root NAME KEY DISPLAYNAME PUBLISHER VERSION [32]: a root whose only trace of the
# product is its Uninstall entry, the key named KEY, in the 64-bit view (32: the 32-bit one).
uninstall_root() {
	local R=$T/$1 view=''
	[ "${6:-}" != 32 ] || view="WOW6432Node\\"
	new_root "$R"
	sw "$R" <<EOF
[HKEY_LOCAL_MACHINE\\SOFTWARE\\${view}Microsoft\\Windows\\CurrentVersion\\Uninstall\\$2]
"DisplayName"=sz:$3
"Publisher"=sz:$4
"DisplayVersion"=sz:$5
"UninstallString"=sz:MsiExec.exe /X$2
"WindowsInstaller"=dword:00000001
"Language"=dword:00000419
EOF
	echo "$R"
}

# localised NAME ROOT KEY VERSION: the entry KEY alone is KES, installed, with the entry's
# version.
localised() {
	local R=$2
	scan_json "$R"
	check_eq "$1: found (exit 1)" "$rc" 1
	check "$1: report validates" validate_report "$T/out.json"
	check_eq "$1: Kaspersky Endpoint Security for Windows, installed, version from DisplayVersion" \
		"$(fnd kes-windows "f and (f.get('kind'), f['state'], f['version'])")" "('product', 'installed', '$4')"
	check_eq "$1: the Uninstall entry is the finding's evidence" \
		"$(fnd kes-windows "f and any(e['kind']=='package' and e['path'].endswith(r'\\Uninstall\\$3') for e in f['evidence'])")" True
	check_eq "$1: no finding but KES" \
		"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings']]")" '["kes-windows"]'
}
# entry NAME KEY DISPLAYNAME PUBLISHER VERSION: localised over a root with that entry alone
entry() { localised "$1" "$(uninstall_root "$@")" "$2" "$5"; }

# === 1. localised Uninstall entries ==========================================
# the fixture root kes-windows-ru: Russian name, "Лаборатория Касперского" in quotation marks
RU=$(fixture kes-windows-ru) || { echo "Bail out! fixture kes-windows-ru"; exit 1; }
localised ru-quoted "$RU" "$KES_RU_CODE" 11.11.0.452
# (in the 32-bit view, where the 32-bit installers of KES 11 write it)
entry de-quoted '{C3E9A1D0-7B42-4F6E-9A85-1D2B3C4E5F60}' \
	'Kaspersky Endpoint Security für Windows' '„Kaspersky Lab“' 11.6.0.394 32
check_eq "de-quoted: the entry is read in the 32-bit view" \
	"$(fnd kes-windows "f and any(e['kind']=='package' and e['path'].startswith('HKLM\\\\SOFTWARE\\\\WOW6432Node\\\\') for e in f['evidence'])")" True
entry de-ao '{0E8D4C2B-5A61-4B9F-8C73-6D5E4F3A2B10}' \
	'Kaspersky Endpoint Security für Windows' 'AO Kaspersky Lab' 12.3.0.493
entry ru-guillemets '{8F1E2D3C-4B5A-4968-A7B6-C5D4E3F2A1B0}' \
	'Kaspersky Endpoint Security для Windows' 'АО «Лаборатория Касперского»' 12.6.0.438
entry ru-zao '{6C5B4A39-2817-4F6E-9D8C-7B6A5F4E3D2C}' \
	'Kaspersky Endpoint Security 10 для Windows' 'ЗАО «Лаборатория Касперского»' 10.3.3.304

# Decomposed text, a letter then its combining mark (as some installers and file systems
# write it): "fu" + U+0308 for "für", "и" + U+0306 for "й". NFKC composes them, so the
# catalog's names match; the hive is checked to hold the decomposed form.
DE_DECOMP=$'Kaspersky Endpoint Security fu\xcc\x88r Windows'
entry de-decomposed '{2B3C4D5E-6F70-4182-93A4-B5C6D7E8F901}' "$DE_DECOMP" 'AO Kaspersky Lab' 12.4.0.467
check_eq "de-decomposed: the hive holds u + U+0308, not ü" \
	"$(hivexget "$T/de-decomposed/Windows/System32/config/SOFTWARE" \
		'\Microsoft\Windows\CurrentVersion\Uninstall\{2B3C4D5E-6F70-4182-93A4-B5C6D7E8F901}' DisplayName |
		py -c 'import sys; t = sys.stdin.buffer.read().decode(); print("\u0308" in t, "\u00fc" in t)')" 'True False'
LA_DECOMP=$'Kaspersky Security \xd0\xb4\xd0\xbb\xd1\x8f \xd0\xb2\xd0\xb8\xd1\x80\xd1\x82\xd1\x83\xd0\xb0\xd0\xbb\xd1\x8c\xd0\xbd\xd1\x8b\xd1\x85 \xd1\x81\xd1\x80\xd0\xb5\xd0\xb4 5.2 \xd0\x9b\xd0\xb5\xd0\xb3\xd0\xba\xd0\xb8\xd0\xb8\xcc\x86 \xd0\xb0\xd0\xb3\xd0\xb5\xd0\xbd\xd1\x82'
check_eq "ru-decomposed: the name is Легки + и + U+0306 агент" \
	"$(printf '%s' "$LA_DECOMP" | py -c 'import sys; t = sys.stdin.buffer.read().decode(); print("Легки\u0438\u0306 агент" in t, "й" in t)')" 'True False'
R=$(uninstall_root ru-decomposed '{4D5E6F70-8192-4A3B-8C4D-5E6F70819203}' "$LA_DECOMP" \
	'АО «Лаборатория Касперского»' 5.2.44.1420)
scan_json "$R"
check_eq "ru-decomposed: found (exit 1)" "$rc" 1
check "ru-decomposed: report validates" validate_report "$T/out.json"
check_eq "ru-decomposed: Light Agent (ksv-la), installed, by its Uninstall entry alone" \
	"$(jq_py "$T/out.json" "[(f['product']['id'], f['state'], f['version']) for f in r['findings']]")" \
	'[["ksv-la", "installed", "5.2.44.1420"]]'

# A Cyrillic а (U+0430) or a Greek Κ (U+039A) for the Latin letter: another vendor's
# name, not normalised away.
decoy() { # NAME KEY DISPLAYNAME PUBLISHER
	local R
	R=$(uninstall_root "$1" "$2" "$3" "$4" 11.11.0.452)
	scan_json "$R"
	check_eq "$1 ($3, $4) alone: clean (exit 0)" "$rc" 0
	check "$1: report validates" validate_report "$T/out.json"
	check_eq "$1: no finding" "$(jq_py "$T/out.json" "len(r['findings'])")" 0
	check_eq "$1: win-software read the hive" \
		"$(jq_py "$T/out.json" "[(s['status'], s['observations'] >= 2) for s in r['sources'] if s['name']=='win-software']")" '[["ok", true]]'
}
decoy decoy-cyrillic '{5D4C3B2A-1F0E-4D9C-8B7A-6E5F4D3C2B1A}' 'Kаspersky Endpoint Security' 'Kаspersky Lab'
decoy decoy-greek '{7E6D5C4B-3A29-4180-9F8E-7D6C5B4A3928}' 'Κaspersky Endpoint Security' 'Κaspersky Lab'

# French and Italian builds: the products keep their English names in these languages
# (their French and Italian help uses them), but Security Center's services are shown
# under translated names (KSC 14.2 help, fr-FR and it-IT, "changes in the system after
# installing"): the French Network Agent service and the Italian Web Server service, each
# registered with its image present, matched by its displayed name.
# svc_root NAME KEY DISPLAYNAME IMAGE: a root with that service alone, its image file
# (IMAGE, under Program Files (x86)\Kaspersky Lab) present
svc_root() {
	local R=$T/$1 rel=${4//\\//}
	new_root "$R"
	sy "$R" <<EOF
[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\$2]
"Type"=dword:00000010
"Start"=dword:00000002
"ErrorControl"=dword:00000001
"DisplayName"=sz:$3
"ImagePath"=expand:"C:\\Program Files (x86)\\Kaspersky Lab\\$4"
"ObjectName"="LocalSystem"
EOF
	mkdir -p "$(dirname "$R/Program Files (x86)/Kaspersky Lab/$rel")"
	printf 'MZ' >"$R/Program Files (x86)/Kaspersky Lab/$rel"
	echo "$R"
}
# localised_service NAME PRODUCT KEY DISPLAYNAME INDICATOR IMAGE
localised_service() {
	scan_json "$(svc_root "$1" "$3" "$4" "$6")"
	check_eq "$1: found (exit 1)" "$rc" 1
	check "$1: report validates" validate_report "$T/out.json"
	check_eq "$1: the service $3 is $2's, installed (registered, its image present)" \
		"$(jq_py "$T/out.json" "sorted(set((f['product']['id'], f['state']) for f in r['findings'] for e in f['evidence'] if e['kind']=='service'))")" \
		"[[\"$2\", \"installed\"]]"
	check_eq "$1: matched by its displayed name, $4" \
		"$(jq_py "$T/out.json" "sorted(set((m['field'], m['value']) for f in r['findings'] for e in f['evidence'] if e['kind']=='service' for m in e['matches'] if m['indicator']['id']=='$5'))")" \
		"[[\"description\", \"$4\"]]"
	# the plan stops the service by its key, not by the name it is shown under
	cp "$T/out.json" "$T/$1.json"
	rc=0
	"$EXCISE" plan "$T/$1.json" --format json -o "$T/$1-plan.json" 2>"$T/plan.err" || rc=$?
	check_eq "$1: the plan stops the service $3 once, by its key" \
		"$rc $(jq_py "$T/$1-plan.json" "[s['target'] for s in r['steps'] if s['action']=='stop-service']")" \
		"0 [\"$3\"]"
}
localised_service fr-service klnagent klnagent "Agent d'administration de Kaspersky Security Center" \
	klnagent.service.description.agent-d-administration-de-kaspersky-security-center 'NetworkAgent\klnagent.exe'
localised_service it-service ksc klwebsrv 'Server Web di Kaspersky' \
	ksc.service.description.server-web-di-kaspersky 'Kaspersky Security Center\klwebsrv.exe'

# === 2. a per-user Kaspersky Password Manager =================================
P=$T/kpm
new_root "$P"
mkdir -p "$P/Users/alice" "$P/Users/Default"
empty_hive "$P/Users/alice/NTUSER.DAT"
empty_hive "$P/Users/Default/NTUSER.DAT"
merge "$P/Users/alice/NTUSER.DAT" 'HKEY_CURRENT_USER' <<'EOF'
[HKEY_CURRENT_USER\Software]
[HKEY_CURRENT_USER\Software\Microsoft]
[HKEY_CURRENT_USER\Software\Microsoft\Windows]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\{B7E4C3A2-9D1F-4E8B-A6C5-3F2E1D0C9B8A}]
"DisplayName"="Kaspersky Password Manager"
"Publisher"="Kaspersky"
"DisplayVersion"="9.0.2.1186"
"InstallLocation"=sz:C:\Users\alice\AppData\Local\Programs\Kaspersky Lab\Kaspersky Password Manager 9.0\
EOF
scan_json "$P"
check_eq "kpm: per-user Password Manager: found (exit 1)" "$rc" 1
check "kpm: report validates" validate_report "$T/out.json"
check_eq "kpm: product kpm, installed, version from the user's entry" \
	"$(fnd kpm "f and (f.get('kind'), f['state'], f['version'])")" "('product', 'installed', '9.0.2.1186')"
check_eq "kpm: its evidence is the entry in alice's hive" \
	"$(fnd kpm "f and any(e['kind']=='package' and e['path'].startswith('HKU\\\\alice\\\\') for e in f['evidence'])")" True
check_eq "kpm: nothing is unidentified" \
	"$(jq_py "$T/out.json" "[(f['product']['id'], f['product']['name']) for f in r['findings'] if 'unidentified' in f['product']['id'] + f['product']['name']]")" '[]'

# === 3. a boot driver registered alone ========================================
D=$T/driver
new_root "$D"
sy "$D" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klif]
"Type"=dword:00000002
"Start"=dword:00000000
"ErrorControl"=dword:00000001
"Group"="FSFilter Anti-Virus"
"ImagePath"=expand:system32\DRIVERS\klif.sys
"DependOnService"=multi:FltMgr
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klif\Instances]
"DefaultInstance"="klif Instance"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klif\Instances\klif Instance]
"Altitude"="323700"
"Flags"=dword:00000000
EOF
SYS=$D/Windows/System32/drivers/klif.sys
if command -v x86_64-w64-mingw32-gcc >/dev/null; then
	# a real PE image (a driver's entry point, no resources), signed as the vendor signs
	# it when osslsigncode is there (a certificate made here with openssl)
	printf 'long DriverEntry(void *d, void *r) { (void)d; (void)r; return 0; }\n' >"$T/klif.c"
	x86_64-w64-mingw32-gcc -Os -s -nostdlib -shared -Wl,--subsystem,native -Wl,-e,DriverEntry \
		-o "$SYS" "$T/klif.c" || { echo "Bail out! x86_64-w64-mingw32-gcc failed"; exit 1; }
	PE=' (a PE built with MinGW'
	if command -v osslsigncode >/dev/null && command -v openssl >/dev/null; then
		if ! { openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/kl.key" -out "$T/kl.crt" -days 30 \
			-subj "/CN=AO Kaspersky Lab/O=AO Kaspersky Lab/C=RU" -addext "extendedKeyUsage=codeSigning" 2>/dev/null &&
			osslsigncode sign -certs "$T/kl.crt" -key "$T/kl.key" -n klif -in "$SYS" -out "$SYS.signed" >/dev/null &&
			mv "$SYS.signed" "$SYS"; }; then
			echo "Bail out! signing klif.sys failed"
			exit 1
		fi
		PE+=', signed)'
	else
		PE+=', unsigned: osslsigncode not installed)'
	fi
else
	printf 'MZ' >"$SYS"
	PE=' (x86_64-w64-mingw32-gcc not installed: a file holding MZ)'
fi
scan_json "$D"
check_eq "driver: klif registered in the current control set with its image$PE: found (exit 1)" "$rc" 1
check "driver: report validates" validate_report "$T/out.json"
# kmod_states: the states of the findings that hold the driver's evidence
kmod_states() {
	jq_py "$T/out.json" "sorted(set(f['state'] for f in r['findings'] if any(e['kind']=='kmod' for e in f['evidence'])))"
}
check_eq "driver: the driver's finding is installed" "$(kmod_states)" '["installed"]'
check "driver: the registration is evidence, at the image's root path" \
	ev_true "e['kind']=='kmod' and e['path']=='/Windows/System32/drivers/klif.sys'"
check "driver: ... and active" ev_true "e['kind']=='kmod' and e['active']"
check_eq "driver: its service key is the driver's evidence, not a trace apart" \
	"$(jq_py "$T/out.json" "sorted(set((f.get('kind'), any(x['kind']=='kmod' for x in f['evidence'])) for f in r['findings'] for e in f['evidence'] if e['path']=='HKLM\\\\SYSTEM\\\\CurrentControlSet\\\\Services\\\\klif'))")" \
	'[["product", true]]'
rm -f "$SYS"
scan_json "$D"
check_eq "driver without its image: still found (exit 1), the registration being strong" "$rc" 1
check "driver without its image: report validates" validate_report "$T/out.json"
check_eq "driver without its image: the driver's finding is a remnant" "$(kmod_states)" '["remnant"]'
check_eq "driver without its image: nothing is installed" \
	"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings'] if f['state']=='installed']")" '[]'
check "driver without its image: the registration is not active" \
	ev_true "e['kind']=='kmod' and not e['active'] and e['state']=='image-missing'"
# the same registration in a control set that is not the current one is not a driver
sy "$D" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\Select]
"Current"=dword:00000002
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services]
EOF
: >"$SYS"
scan_json "$D"
check "driver in a control set that is not current: report validates" validate_report "$T/out.json"
check_eq "driver in a control set that is not current: no installed finding" \
	"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings'] if f['state']=='installed']")" '[]'

# === 8. MSI UserData and Classes\Installer registrations ========================
M=$T/msi
new_root "$M"
GUID='{3A9C8E71-B2D4-4F65-8A17-C0E9D3B2F4A6}'
PACKED=$(py -c '
import sys
g = sys.argv[1].strip("{}").replace("-", "")
print(g[7::-1] + g[11:7:-1] + g[15:11:-1] + "".join(g[i + 1] + g[i] for i in range(16, 32, 2)))
' "$GUID")
check_eq "msi: the packed code of $GUID" "$PACKED" 17E8C9A34D2B56F4A8710C9E3D2B4F6A
sw "$M" <<EOF
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\Products]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\Products\\$PACKED]
"ProductName"="Kaspersky Endpoint Security for Windows"
"PackageCode"="0D5C8E3F9A1B4C2D8E7F6A5B4C3D2E1F"
"Language"=dword:00000409
"Version"=dword:0c090000
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18\\Products]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18\\Products\\$PACKED]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18\\Products\\$PACKED\\InstallProperties]
"DisplayName"="Kaspersky Endpoint Security for Windows"
"Publisher"="AO Kaspersky Lab"
"DisplayVersion"="12.9.0.96"
"Version"=dword:0c090000
"VersionMajor"=dword:0000000c
"VersionMinor"=dword:00000009
"LocalPackage"=sz:C:\\Windows\\Installer\\1a2b3c.msi
"InstallLocation"=sz:C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\
EOF
scan_json "$M"
check_eq "msi: UserData and Classes\\Installer registrations alone: found (exit 1)" "$rc" 1
check "msi: report validates" validate_report "$T/out.json"
check_eq "msi: KES installed, version from InstallProperties" \
	"$(fnd kes-windows "f and (f.get('kind'), f['state'], f['version'])")" "('product', 'installed', '12.9.0.96')"
check "msi: the InstallProperties key is a package evidence" \
	ev_true "e['kind']=='package' and e['path']=='HKLM\\\\SOFTWARE\\\\Microsoft\\\\Windows\\\\CurrentVersion\\\\Installer\\\\UserData\\\\S-1-5-18\\\\Products\\\\$PACKED\\\\InstallProperties'"
check "msi: the Classes\\Installer\\Products key is a package evidence" \
	ev_true "e['kind']=='package' and e['path']=='HKLM\\\\SOFTWARE\\\\Classes\\\\Installer\\\\Products\\\\$PACKED'"
check "msi: the evidence carries the unpacked product code $GUID" \
	ev_true "f['product']['id']=='kes-windows' and '$GUID' in json.dumps(e)"

# === 9. an Uninstall entry of the vendor that the catalog does not know ===========
R=$(uninstall_root unlisted '{E1D2C3B4-A596-4877-8695-A4B3C2D1E0F9}' \
	'Kaspersky Foo Manager' 'AO Kaspersky Lab' 3.1)
scan_json "$R"
check_eq "unlisted: found (exit 1)" "$rc" 1
check "unlisted: report validates" validate_report "$T/out.json"
check_eq "unlisted: one finding of kind unlisted, strong, installed, version 3.1" \
	"$(jq_py "$T/out.json" "[(f.get('kind'), f['confidence'] in ('strong', 'definitive'), f['state'], f['version']) for f in r['findings']]")" \
	'[["unlisted", true, "installed", "3.1"]]'
check_eq "unlisted: named after the entry" \
	"$(jq_py "$T/out.json" "[(f['product']['id'].startswith('kaspersky:unlisted:'), f['product']['name']) for f in r['findings']]")" \
	'[[true, "Kaspersky Foo Manager 3.1, not in catalog"]]'
check_eq "unlisted: the summary counts it as installed" \
	"$(jq_py "$T/out.json" "(r['summary']['verdict'], r['summary']['by_state']['installed'])")" "('found', 1)"
"$EXCISE" scan --root "$R" -o "$T/unlisted.txt" 2>/dev/null
check "unlisted: the text view names it" grep -q 'Kaspersky Foo Manager 3.1, not in catalog' "$T/unlisted.txt"

done_testing
