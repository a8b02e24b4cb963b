#!/bin/bash
# End-to-end: what the Windows sources report as registered, over offline roots whose
# hives are written at test time by hivexregedit (winfix.sh): MSI registrations with no
# Uninstall entry (Installer\UserData\<SID>\Products\<packed>\InstallProperties,
# Classes\Installer\Products, UpgradeCodes, a user's Installer\Products), a malformed
# packed code (an item error, not a failure), a localised quoted publisher, and services
# and drivers that are installed only when the image file is present (boot-start filter
# driver present, missing, disabled; ImagePath forms). Evidence is checked through its
# path, source, kind, state, active and indicator ids only.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v hivexregedit >/dev/null || skip_all "hivexregedit (libwin-hivex-perl) not installed"
command -v hivexsh >/dev/null || skip_all "hivexsh (libhivex-bin) not installed"

# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"
jq_true() { [ "$(jq_py "$T/out.json" "$1")" = True ]; }
fnd() { finding_py "$T/out.json" "$1" "$2"; }
# IDS: the indicator ids of evidence e, in report/1 (one indicator) or /2 (matches).
IDS="([m['indicator']['id'] for m in e['matches']] if 'matches' in e else [e['indicator']['id']])"
# ev EXPR: True when some evidence e (of finding f) satisfies the Python EXPR.
ev() { jq_true "any($1 for f in r['findings'] for e in f['evidence'])"; }
src() { jq_py "$T/out.json" "[s for s in r['sources'] if s['name']=='$1'][0]$2"; }

KES='{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}' KES_PACKED=872710A94F7F9FD44A28B0797BD07DDE
NAG='{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}' NAG_PACKED=ADEB42927D0EFAD42A42052D0E1BF2B5
UD='HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18\\Products'

# === a) KES known only by its MSI UserData registration (Russian, quoted publisher) ===
A=$T/msi
new_root "$A"
sw "$A" <<EOF
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18\\Products]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18\\Products\\$KES_PACKED]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Installer\\UserData\\S-1-5-18\\Products\\$KES_PACKED\\InstallProperties]
"DisplayName"="Kaspersky Endpoint Security для Windows"
"Publisher"="АО «Лаборатория Касперского»"
"DisplayVersion"="12.9.0.96"
"InstallLocation"=sz:C:\\Program Files (x86)\\Kaspersky Lab\\KES.12.9.0\\
EOF
scan_json "$A" --only win-software
check_eq "a: MSI UserData alone is an install found (exit 1)" "$rc" 1
check_eq "a: win-software ok" "$(src win-software "['status']")" ok
check "a: the InstallProperties key is a package, installed and active, its publisher matched through the guillemets" \
	ev "e['source']=='win-software' and e['kind']=='package' and e['path']=='$UD\\\\$KES_PACKED\\\\InstallProperties' and e['state']=='installed' and e['active'] and any(i.startswith('kaspersky.package.publisher.') for i in $IDS)"
check "a: the product code unpacked, upper case, as a registry name" \
	ev "e['kind']=='registry' and e['path']=='$UD\\\\$KES_PACKED\\\\InstallProperties' and 'kes-windows.registry.9a017278-f7f4-4df9-a482-0b97b70dd7ed' in $IDS"
check "a: attr msi_product_code is the {GUID}, upper case" \
	ev "e['kind']=='package' and (e.get('attrs') or {}).get('msi_product_code')=='$KES'"
check_eq "a: KES found, installed" "$(fnd kes-windows "f['state']")" installed
"$EXCISE" scan -v --root "$A" --only win-software >"$T/out.txt" 2>/dev/null
check "a: the text report names the registration's key" grep -qF "$KES_PACKED" "$T/out.txt"

# === b) Classes\Installer\Products and UpgradeCodes; a malformed key name ============
B=$T/classes
new_root "$B"
sw "$B" <<EOF
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\Products]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\Products\\$NAG_PACKED]
"ProductName"="Kaspersky Security Center Network Agent"
"Version"=dword:0e02695f
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\Products\\NOT-A-PACKED-CODE]
"ProductName"="Kaspersky Security Center Network Agent"
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\UpgradeCodes]
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Installer\\UpgradeCodes\\$KES_PACKED]
"$NAG_PACKED"=""
EOF
scan_json "$B" --only win-software
# (the catalog's MSI codes may be weak: the exit status is not checked here)
check_eq "b: the malformed key does not fail the source" "$(src win-software "['status']")" ok
check "b: the malformed key is an item error naming it" \
	jq_true "any('NOT-A-PACKED-CODE' in m for s in r['sources'] for m in s['errors'])"
check "b: Classes\\Installer\\Products: the product code as a registry name" \
	ev "e['kind']=='registry' and e['path']=='HKLM\\\\SOFTWARE\\\\Classes\\\\Installer\\\\Products\\\\$NAG_PACKED' and 'klnagent.registry.2924beda-e0d7-4daf-a224-50d2e0b12f5b' in $IDS"
check "b: and a package, installed" \
	ev "e['kind']=='package' and e['path']=='HKLM\\\\SOFTWARE\\\\Classes\\\\Installer\\\\Products\\\\$NAG_PACKED' and e['state']=='installed' and e['version']=='14.2.26975'"
check "b: the Products key's code, unpacked" \
	ev "e['kind']=='registry' and (e.get('attrs') or {}).get('msi_product_code')=='$NAG'"
check "b: an upgrade code is a registry name too" \
	ev "e['kind']=='registry' and e['path']=='HKLM\\\\SOFTWARE\\\\Classes\\\\Installer\\\\UpgradeCodes\\\\$KES_PACKED' and 'kes-windows.registry.9a017278-f7f4-4df9-a482-0b97b70dd7ed' in $IDS"

# === c) a per-user MSI registration ==================================================
C=$T/user
new_root "$C"
mkdir -p "$C/Users/alice"
empty_hive "$C/Users/alice/NTUSER.DAT"
merge "$C/Users/alice/NTUSER.DAT" 'HKEY_CURRENT_USER' <<EOF
[HKEY_CURRENT_USER\\Software]
[HKEY_CURRENT_USER\\Software\\Microsoft]
[HKEY_CURRENT_USER\\Software\\Microsoft\\Installer]
[HKEY_CURRENT_USER\\Software\\Microsoft\\Installer\\Products]
[HKEY_CURRENT_USER\\Software\\Microsoft\\Installer\\Products\\$NAG_PACKED]
"ProductName"="Kaspersky Security Center Network Agent"
EOF
scan_json "$C" --only win-users
check_eq "c: win-users ok" "$(src win-users "['status']")" ok
check "c: HKU\\alice\\...\\Installer\\Products key, code matched" \
	ev "e['source']=='win-users' and e['kind']=='registry' and e['path']=='HKU\\\\alice\\\\Software\\\\Microsoft\\\\Installer\\\\Products\\\\$NAG_PACKED' and 'klnagent.registry.2924beda-e0d7-4daf-a224-50d2e0b12f5b' in $IDS"

# === d) drivers and services: installed only with the image present ===================
D=$T/drv
new_root "$D"
mkdir -p "$D/Windows/System32/drivers" "$D/Program Files (x86)/Kaspersky Lab/KES.12.9.0" \
	"$D/Program Files (x86)/Kaspersky Lab/kaspersky security"
touch "$D/Program Files (x86)/Kaspersky Lab/kaspersky security/KAVFS.exe"
touch "$D/Windows/System32/drivers/KLIF.SYS" "$D/Windows/System32/drivers/klim6.sys" \
	"$D/Program Files (x86)/Kaspersky Lab/KES.12.9.0/avp.exe"
sy "$D" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klif]
"Type"=dword:00000002
"Start"=dword:00000000
"Group"="FSFilter Anti-Virus"
"ImagePath"=expand:\SystemRoot\System32\drivers\klif.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klflt]
"Type"=dword:00000001
"Start"=dword:00000000
"ImagePath"=expand:System32\drivers\klflt.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klim6]
"Type"=dword:00000001
"Start"=dword:00000004
"ImagePath"=expand:\??\C:\Windows\system32\DRIVERS\klim6.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\AVP]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:"C:\Program Files (x86)\Kaspersky Lab\KES.12.9.0\avp.exe" -r
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\klnagent]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:C:\Program Files (x86)\Kaspersky Lab\NetworkAgent\klnagent.exe -s
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\KAVFS]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:%ProgramFiles(x86)%\Kaspersky Lab\Kaspersky Security\kavfs.exe -service
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\kl1]
"Type"=dword:00000010
"Start"=dword:00000003
"ImagePath"=expand:%SystemRoot%\System32\drivers\klif.sys
EOF
scan_json "$D" --only win-services
check_eq "d: win-services ok" "$(src win-services "['status']")" ok
check "d: boot-start filter driver with its file (any case): installed, active, real path" \
	ev "e['kind']=='kmod' and e['path']=='/Windows/System32/drivers/KLIF.SYS' and e['state']=='installed' and e['active']"
check "d: the same registration with its file missing: image-missing, not active" \
	ev "e['kind']=='kmod' and e['path']=='/Windows/System32/drivers/klflt.sys' and e['state']=='image-missing' and not e['active']"
check "d: disabled (Start 4) with its file present: not active" \
	ev "e['kind']=='kmod' and e['path']=='/Windows/System32/drivers/klim6.sys' and e['state']=='disabled' and not e['active']"
check "d: quoted image with arguments, present: installed" \
	ev "e['kind']=='service' and e['path'].endswith('Services\\\\AVP') and e['state']=='installed' and e['active']"
check "d: unquoted image with spaces and arguments, missing: image-missing" \
	ev "e['kind']=='service' and e['path'].endswith('Services\\\\klnagent') and e['state']=='image-missing' and not e['active']"
check "d: unquoted %ProgramFiles(x86)% image (REG_SZ) with spaces and arguments, present (other case): installed" \
	ev "e['kind']=='service' and e['path'].endswith('Services\\\\KAVFS') and e['state']=='installed' and e['active']"
check "d: %SystemRoot% image present: installed" \
	ev "e['kind']=='service' and e['path'].endswith('Services\\\\kl1') and e['state']=='installed'"
rm "$D/Windows/System32/drivers/KLIF.SYS"
scan_json "$D" --only win-services
check "d: klif file removed: its driver is image-missing" \
	ev "e['kind']=='kmod' and e['path']=='/Windows/System32/drivers/klif.sys' and e['state']=='image-missing' and not e['active']"

done_testing
