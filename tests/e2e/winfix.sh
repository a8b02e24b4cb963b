# shellcheck shell=bash
# Offline Windows roots for end-to-end tests, built with the real hive tools: an
# empty hive by mkhive.py (checked with hivexsh), then keys merged from .reg text by
# hivexregedit. Needs lib.sh's $T.
#
#   new_root DIR           empty SOFTWARE and SYSTEM hives, OS version, one control set,
#                          MachineGuid $WIN_GUID (a copy of the fixture root "windows",
#                          build_windows_root)
#   build_kes_windows DIR  KES 12.9 with Network Agent (both registry views, a Cyrillic
#                          publisher, ControlSet002 current with decoys in ControlSet001)
#   build_kes_windows_ru DIR  KES 11.11 on a Russian-language Windows, its Uninstall entry
#                          alone: the name in Russian, the publisher "Лаборатория Касперского"
#                          with its quotation marks, the MSI product code ($KES_RU_CODE) as
#                          the key name
#   sw DIR / sy DIR        merge the .reg text on stdin into SOFTWARE / SYSTEM
MKHIVE=$EXCISE_SRC/tests/e2e/mkhive.py
WIN_GUID=6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f
# empty_hive FILE: a hive holding only its root key, checked by hivexsh.
empty_hive() {
	py "$MKHIVE" "$1" "${@:2}" && printf 'ls\n' | hivexsh "$1" >/dev/null ||
		{ echo "Bail out! $1: mkhive.py wrote a hive hivexsh cannot read"; exit 1; }
}

# merge FILE PREFIX: merge the .reg text on stdin (keys under PREFIX) into FILE. Besides
# .reg syntax, values may be written `"N"=sz:TEXT`, `"N"=expand:TEXT` (REG_EXPAND_SZ) and
# `"N"=multi:A|B` (REG_MULTI_SZ), TEXT taken literally to the end of the line.
merge() {
	local reg
	reg=$(mktemp "$T/reg.XXXXXX")
	py -c '
import re, sys
def hx(t, b):
    return "hex(%d):" % t + ",".join("%02x" % c for c in b)
out = ["Windows Registry Editor Version 5.00", ""]
for line in sys.stdin.read().splitlines():
    m = re.match(r"^(\"[^\"]*\"|@)=(sz|expand|multi):(.*)$", line)
    if m:
        name, kind, text = m.groups()
        if kind == "multi":
            data = b"".join(x.encode("utf-16-le") + b"\0\0" for x in text.split("|")) + b"\0\0"
        else:
            data = text.encode("utf-16-le") + b"\0\0"
        line = name + "=" + hx({"sz": 1, "expand": 2, "multi": 7}[kind], data)
    if line.startswith("[") and out[-1] != "":
        out.append("")
    out.append(line)
sys.stdout.write("\n".join(out) + "\n")
' >"$reg"
	PERL_UNICODE=SDA hivexregedit --merge --prefix "$2" "$1" "$reg" ||
		{ echo "Bail out! hivexregedit --merge $1 failed"; exit 1; }
}
sw() { merge "$1/Windows/System32/config/SOFTWARE" 'HKEY_LOCAL_MACHINE\SOFTWARE'; }
sy() { merge "$1/Windows/System32/config/SYSTEM" 'HKEY_LOCAL_MACHINE\SYSTEM'; }

new_root() { fixture_copy windows "$1"; }

# build_windows_root DIR: an offline Windows root with empty SOFTWARE and SYSTEM hives,
# the OS version and Select\Current=1 with an empty ControlSet001\Services.
build_windows_root() {
	mkdir -p "$1/Windows/System32/config" "$1/Windows/System32/drivers" "$1/Users"
	empty_hive "$1/Windows/System32/config/SOFTWARE"
	empty_hive "$1/Windows/System32/config/SYSTEM"
	sw "$1" <<'EOF'
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft]
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Cryptography]
"MachineGuid"="$WIN_GUID"
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows]
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion]
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall]
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{90160000-008C-0000-1000-0000000FF1CE}]
"DisplayName"="Office 16 Click-to-Run Extensibility Component"
"DisplayVersion"="16.0.17928.20114"
"Publisher"="Microsoft Corporation"
"WindowsInstaller"=dword:00000001
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT]
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion]
"ProductName"="Windows 10 Pro"
"DisplayVersion"="22H2"
"CurrentBuild"="19045"
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall]
EOF
	sy "$1" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\Select]
"Current"=dword:00000001
"Default"=dword:00000001
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Tcpip]
"Type"=dword:00000001
"Start"=dword:00000000
"ImagePath"=expand:System32\drivers\tcpip.sys
"DisplayName"="TCP/IP Protocol Driver"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\Dnscache]
"Type"=dword:00000020
"Start"=dword:00000002
"ImagePath"=expand:%SystemRoot%\system32\svchost.exe -k NetworkService
"DisplayName"="DNS Client"
EOF
	# the machine id (winhost.c)
	sw "$1" <<EOF
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Cryptography]
"MachineGuid"="$WIN_GUID"
EOF
}

# build_kes_windows DIR: see the top of this file.
build_kes_windows() {
	local A=$1
	new_root "$A"
	touch "$A/Windows/System32/drivers/klif.sys" "$A/Windows/System32/drivers/klflt.sys"
	# the services' image files: a service is installed only with its image present
	mkdir -p "$A/Program Files (x86)/Kaspersky Lab/NetworkAgent" "$A/Program Files (x86)/Kaspersky Lab/KES.12.9.0"
	touch "$A/Program Files (x86)/Kaspersky Lab/NetworkAgent/klnagent.exe" \
		"$A/Program Files (x86)/Kaspersky Lab/KES.12.9.0/avp.exe"
	sw "$A" <<'EOF'
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}]
"DisplayName"="Kaspersky Endpoint Security for Windows"
"DisplayVersion"="12.9.0.96"
"Publisher"="AO Kaspersky Lab"
"InstallLocation"=sz:C:\Program Files (x86)\Kaspersky Lab\KES.12.9.0\
"UninstallString"=sz:MsiExec.exe /X{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}
"WindowsInstaller"=dword:00000001
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}]
"DisplayName"="Kaspersky Security Center Network Agent"
"DisplayVersion"="14.2.0.26967"
"Publisher"="АО Лаборатория Касперского"
"UninstallString"=sz:MsiExec.exe /I{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B}
"WindowsInstaller"=dword:00000001
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab]
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected]
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected\KES12.9]
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected\KES12.9\environment]
"ProductName"="Kaspersky Endpoint Security for Windows"
"ProductVersion"="12.9.0.96"
"ProductRoot"=sz:C:\Program Files (x86)\Kaspersky Lab\KES.12.9.0\
[HKEY_LOCAL_MACHINE\SOFTWARE\KasperskyLab\protected\KES12.9\Data]
"LastSuccessfulUpdate"=dword:66f2a1b0
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\Components]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\Components\34]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\Components\34\1103]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\Components\34\1103\1.0.0.0]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\Components\34\1103\1.0.0.0\Statistics]
[HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\KasperskyLab\Components\34\1103\1.0.0.0\Statistics\AVState]
"Protection_AvInstalled"="1"
EOF
	sy "$A" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\Select]
"Current"=dword:00000002
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\KAVFS]
"Type"=dword:00000010
"Start"=dword:00000002
"DisplayName"="Kaspersky Security Service (decoy: not the current control set)"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\ComputerName]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Control\ComputerName\ComputerName]
"ComputerName"="OLD-NAME"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Control]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Control\ComputerName]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Control\ComputerName\ComputerName]
"ComputerName"="WS-ACCT-042"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services]
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\klnagent]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:"C:\Program Files (x86)\Kaspersky Lab\NetworkAgent\klnagent.exe"
"DisplayName"="Kaspersky Security Center Network Agent"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\AVP]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:"C:\Program Files (x86)\Kaspersky Lab\KES.12.9.0\avp.exe"
"DisplayName"="Kaspersky Endpoint Security Service"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\klif]
"Type"=dword:00000002
"Start"=dword:00000001
"Group"="FSFilter Anti-Virus"
"ImagePath"=expand:system32\DRIVERS\klif.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\klif\Instances]
"DefaultInstance"="klif Instance"
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\klif\Instances\klif Instance]
"Altitude"="320400"
"Flags"=dword:00000000
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\klflt]
"Type"=dword:00000001
"Start"=dword:00000001
"ImagePath"=expand:\SystemRoot\System32\drivers\klflt.sys
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\klim6]
"Type"=dword:00000001
"Start"=dword:00000004
"ImagePath"=expand:\??\C:\Windows\system32\DRIVERS\klim6.sys
EOF
}

# build_kes_windows_ru DIR: see the top of this file.
KES_RU_CODE='{4B7A5F2E-93C1-4D8A-B0E6-2F1C7D9A3E51}'
build_kes_windows_ru() {
	new_root "$1"
	sw "$1" <<EOF
[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\$KES_RU_CODE]
"DisplayName"=sz:Kaspersky Endpoint Security для Windows
"Publisher"=sz:"Лаборатория Касперского"
"DisplayVersion"=sz:11.11.0.452
"InstallLocation"=sz:C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Endpoint Security для Windows\\
"UninstallString"=sz:MsiExec.exe /X$KES_RU_CODE
"WindowsInstaller"=dword:00000001
"Language"=dword:00000419
EOF
}
