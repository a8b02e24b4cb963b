#!/bin/bash
# End-to-end: Windows removal plans that remove (issue 13, item 4), over offline roots whose
# hives hivexregedit writes at test time (winfix.sh). For each product: the plan's uninstall
# steps (msiexec /x for an MSI install found by its entry's name {GUID} or InstallWIX_{GUID},
# its UninstallString or its registration; the registered UninstallString of a non-MSI
# install; kavremover as the fallback; a per-user install in its user's context) and the ps1
# script checked against a golden file (EXCISE_UPDATE_GOLDEN=1 rewrites them after review).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v hivexregedit >/dev/null || skip_all "hivexregedit (libwin-hivex-perl) not installed"
command -v hivexsh >/dev/null || skip_all "hivexsh (libhivex-bin) not installed"
# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"

UN32='HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall'

# plan_of ROOT NAME: scan, plan (json) and the ps1 script, normalised for the golden file
plan_of() {
	"$EXCISE" scan --root "$1" --format json -o "$T/$2.report.json" -q >/dev/null 2>"$T/$2.scan.err"
	"$EXCISE" plan "$T/$2.report.json" --format json -o "$T/$2.plan.json" 2>"$T/$2.plan.err" ||
		sed 's/^/# /' "$T/$2.plan.err"
	"$EXCISE" plan --plan "$T/$2.plan.json" --emit ps1 -o "$T/$2.ps1"
	local id
	id=$(py -c 'import json,sys; print(json.load(open(sys.argv[1]))["report_id"])' "$T/$2.report.json")
	sed -e "s|$1|/ROOT|g" -e "s|$id|REPORT-ID|g" -e 's|^# made: .*|# made: TIME|' "$T/$2.ps1" >"$T/$2.ps1.norm"
}
# steps NAME: "action target [user]" a line
steps() {
	py -c 'import json,sys; [print(s["action"], s["target"] + (" user=" + s["user"] if s.get("user") else "")) for s in json.load(open(sys.argv[1]))["steps"]]' "$T/$1.plan.json"
}
step_field() { py -c 'import json,sys; [print(s[sys.argv[3]]) for s in json.load(open(sys.argv[1]))["steps"] if s["action"] == sys.argv[2]]' "$T/$1.plan.json" "$2" "$3"; }
refused() { py -c 'import json,sys; [print(k["what"], k["why"]) for k in json.load(open(sys.argv[1]))["skipped"] if k["refused"]]' "$T/$1.plan.json"; }


# parses NAME: a real PowerShell parser reads the script: pwsh when there is one, else the
# tree-sitter PowerShell grammar from npm (tools/install-deps puts it in $PS_PARSER)
PS_PARSER=${EXCISE_PS_PARSER:-/usr/local/lib/excise-test/ps-parser}
parses() {
	if command -v pwsh >/dev/null; then
		check "$1: pwsh parses the ps1 script" pwsh -NoProfile -NonInteractive -Command \
			"\$e = \$null; [void][System.Management.Automation.Language.Parser]::ParseFile('$T/$1.ps1', [ref]\$null, [ref]\$e); if (\$e) { \$e | ForEach-Object { \$_.ToString() }; exit 1 }"
	elif command -v node >/dev/null && [ -e "$PS_PARSER/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ]; then
		check "$1: the tree-sitter PowerShell grammar parses the ps1 script" \
			node "$EXCISE_SRC/tests/e2e/ps-parse.cjs" "$PS_PARSER" "$T/$1.ps1"
	else
		ok "# SKIP $1: no PowerShell parser (tools/install-deps installs one); the golden file stands in"
	fi
}

if ! command -v pwsh >/dev/null && command -v node >/dev/null && [ -e "$PS_PARSER/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ]; then
	printf 'function Step1 {\n    if ($x { Write-Log 1 }\n' >"$T/broken.ps1"
	expect "the parser refuses a script with an unclosed block" 1 'broken.ps1:[0-9]+:[0-9]+: (syntax error|missing)' \
		node "$EXCISE_SRC/tests/e2e/ps-parse.cjs" "$PS_PARSER" "$T/broken.ps1"
fi

# ======== Kaspersky Total Security: not MSI; its entry's UninstallString, kavremover if it fails
KTS=$T/kts
new_root "$KTS"
mkdir -p "$KTS/Program Files (x86)/Kaspersky Lab/Kaspersky Total Security 21.3"
printf 'MZ' >"$KTS/Program Files (x86)/Kaspersky Lab/Kaspersky Total Security 21.3/avpui.exe"
sw "$KTS" <<EOF
[$UN32\\Kaspersky Total Security]
"DisplayName"="Kaspersky Total Security"
"DisplayVersion"="21.3.10.391"
"Publisher"="Kaspersky"
"InstallLocation"=sz:C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Total Security 21.3\\
"UninstallString"=sz:C:\\ProgramData\\Kaspersky Lab\\Setup\\{E2A3E4E1-1A12-4E4B-9C7A-2A7D1B0E6F10}\\setup.exe /x /lang=en 'quoted' \$env:x
EOF
plan_of "$KTS" kts
check_eq "kts: no step refused" "$(refused kts)" ""
check_eq "kts: the UninstallString, kavremover as its fallback, the install folder" "$(steps kts | tr '\n' ';')" \
"uninstall-string HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Kaspersky Total Security;\
vendor-remover kavremover;remove-path /Program Files (x86)/Kaspersky Lab/Kaspersky Total Security 21.3;"
check_eq "kts: the command as the image's hive registers it (read again from the hive, not the report)" \
	"$(py -c 'import json,sys; [print(s["args"][0]) for s in json.load(open(sys.argv[1]))["steps"] if s["action"] == "uninstall-string"]' "$T/kts.plan.json")" \
	"C:\\ProgramData\\Kaspersky Lab\\Setup\\{E2A3E4E1-1A12-4E4B-9C7A-2A7D1B0E6F10}\\setup.exe /x /lang=en 'quoted' \$env:x"
check_eq "kts: kavremover only if the UninstallString fails" "$(step_field kts vendor-remover fallback)" True
check "kts: the program and its arguments single-quoted, ' doubled, \$ kept literal" grep -qxF \
	"    \$arguments = @('/x /lang=en ''quoted'' \$env:x')" "$T/kts.ps1"
check "kts: the program split at .exe" grep -qxF \
	"    \$program = 'C:\\ProgramData\\Kaspersky Lab\\Setup\\{E2A3E4E1-1A12-4E4B-9C7A-2A7D1B0E6F10}\\setup.exe'" "$T/kts.ps1"
check "kts: the script needs a reboot" grep -qxF '$script:Reboot = $true' "$T/kts.ps1"
golden kts-windows.ps1 "$T/kts.ps1.norm"
parses kts

# ======== Kaspersky Free: its setup quoted, an uninstall switch of its own
KF=$T/kfree
new_root "$KF"
sw "$KF" <<EOF
[$UN32\\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1]
"DisplayName"="Kaspersky Free"
"DisplayVersion"="19.0.0.1088"
"Publisher"="AO Kaspersky Lab"
"UninstallString"=sz:"C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Free 19.0.0\\avp.exe" -uninstall
EOF
plan_of "$KF" kfree
check_eq "kfree: no step refused" "$(refused kfree)" ""
check_eq "kfree: the UninstallString (not MSI: a {GUID}_is1 key), kavremover as its fallback" "$(steps kfree | tr '\n' ';')" \
"uninstall-string HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1;\
vendor-remover kavremover;"
check "kfree: the quoted program is the program" grep -qxF \
	"    \$program = 'C:\\Program Files (x86)\\Kaspersky Lab\\Kaspersky Free 19.0.0\\avp.exe'" "$T/kfree.ps1"
check "kfree: the entry checked before it runs" grep -qF \
	"if (-not (Test-Path -LiteralPath 'Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{B5B3A2D0-77D7-4B5C-A1AE-6D1B6B1F0D22}_is1')) { Write-Log '  not installed'; return }" "$T/kfree.ps1"
golden kfree-windows.ps1 "$T/kfree.ps1.norm"
parses kfree

# ======== KES by MSI: a hidden entry {GUID} (SystemComponent=1, no WindowsInstaller flag
# here) and the visible InstallWIX_{GUID} whose UninstallString runs msiexec /I
KESC='{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}'
K=$T/kesmsi
new_root "$K"
sw "$K" <<EOF
[$UN32\\$KESC]
"DisplayName"="Kaspersky Endpoint Security for Windows"
"DisplayVersion"="12.9.0.96"
"Publisher"="AO Kaspersky Lab"
"SystemComponent"=dword:00000001
"UninstallString"=sz:MsiExec.exe /X$KESC
[$UN32\\InstallWIX_$KESC]
"DisplayName"="Kaspersky Endpoint Security for Windows"
"DisplayVersion"="12.9.0.96"
"Publisher"="AO Kaspersky Lab"
"UninstallString"=sz:C:\\Windows\\SysWOW64\\MsiExec.exe /I$KESC
EOF
plan_of "$K" kesmsi
check_eq "kesmsi: no step refused" "$(refused kesmsi)" ""
check_eq "kesmsi: the recipe's driver stopped, one msiexec /x for both entries, kavremover as its fallback, no entry deleted by hand" \
	"$(steps kesmsi | tr '\n' ';')" "stop-service klif;msi-uninstall $KESC;vendor-remover kavremover;"
check_eq "kesmsi: both entries are the evidence of the one uninstall" \
	"$(py -c 'import json,sys; print(sorted({e["path"].rsplit(chr(92),1)[1] for s in json.load(open(sys.argv[1]))["steps"] if s["action"]=="msi-uninstall" for e in s["evidence"]}))' "$T/kesmsi.plan.json")" \
	"['InstallWIX_$KESC', '$KESC']"
check_eq "kesmsi: KES takes KLLOGIN/KLPASSWD" "$(step_field kesmsi msi-uninstall args)" "['KLLOGIN', 'KLPASSWD']"
check "kesmsi: msiexec /x, never the /I of the entry" grep -qF "\$msiArgs = @('/x', '$KESC', '/qn', '/norestart')" "$T/kesmsi.ps1"
golden kes-msi-windows.ps1 "$T/kesmsi.ps1.norm"
parses kesmsi

# ======== Kaspersky Password Manager installed for one user (Users/alice/NTUSER.DAT)
P=$T/kpm
new_root "$P"
mkdir -p "$P/Users/alice"
empty_hive "$P/Users/alice/NTUSER.DAT"
merge "$P/Users/alice/NTUSER.DAT" 'HKEY_CURRENT_USER' <<'EOF'
[HKEY_CURRENT_USER\Software]
[HKEY_CURRENT_USER\Software\Microsoft]
[HKEY_CURRENT_USER\Software\Microsoft\Windows]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall]
[HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Uninstall\Kaspersky Password Manager]
"DisplayName"="Kaspersky Password Manager"
"DisplayVersion"="24.0.0.427"
"Publisher"="Kaspersky"
"UninstallString"=sz:"C:\Users\alice\AppData\Local\Kaspersky Lab\Kaspersky Password Manager 24.0\uninstall.exe" /uninstall
EOF
plan_of "$P" kpm
check_eq "kpm: no step refused" "$(refused kpm)" ""
check_eq "kpm: alice's UninstallString, in alice's context" "$(steps kpm | tr '\n' ';')" \
"uninstall-string HKU\\alice\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Kaspersky Password Manager user=alice;\
vendor-remover kavremover;"
check "kpm: run as alice" grep -qxF "    \$code = Invoke-Program \$program \$arguments 'alice'" "$T/kpm.ps1"
check "kpm: the plan in text says whose context" grep -qF "a per-user install: run as alice" \
	<("$EXCISE" plan --plan "$T/kpm.plan.json" 2>&1)
golden kpm-user-windows.ps1 "$T/kpm.ps1.norm"
parses kpm

# ======== an unlisted install: its own UninstallString step
# (the catalog's unlisted findings are the vendor's registrations it does not name)
U=$T/unlisted
new_root "$U"
sw "$U" <<EOF
[$UN32\\Kaspersky Fixture Helper]
"DisplayName"="Kaspersky Fixture Helper"
"DisplayVersion"="1.0"
"Publisher"="AO Kaspersky Lab"
"UninstallString"=sz:"C:\\Program Files (x86)\\Kaspersky Lab\\Fixture Helper\\unins000.exe"
EOF
plan_of "$U" unlisted
check_eq "unlisted: the entry's UninstallString, no fallback the catalog does not name" "$(steps unlisted | tr '\n' ';')" \
"uninstall-string HKLM\\SOFTWARE\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Kaspersky Fixture Helper;"
check "unlisted: no arguments" grep -qxF '    $arguments = @()' "$T/unlisted.ps1"
parses unlisted

# ======== a Kaspersky root in a user's store (Users/bob/NTUSER.DAT), as the product puts it
# there for its web protection: deleted in bob's hive (HKU\<SID> when signed in, else loaded
# with reg load and unloaded), its key exported to the quarantine first
C=$T/usercert
new_root "$C"
mkdir -p "$C/Users/bob"
empty_hive "$C/Users/bob/NTUSER.DAT"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout "$T/uc-key.pem" \
	-outform DER -out "$T/uc.der" -subj "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate" 2>/dev/null
# the store's Blob: properties (id, 1, length, data): SHA-1 (3), friendly name (11), the certificate (32)
py - "$T/uc.der" >"$T/uc.reg" <<'PY'
import hashlib, struct, sys
def prop(pid, b):
    return struct.pack("<III", pid, 1, len(b)) + b
k = "HKEY_CURRENT_USER\\Software\\Microsoft\\SystemCertificates"
print("[HKEY_CURRENT_USER\\Software]\n[HKEY_CURRENT_USER\\Software\\Microsoft]")
print("[%s]\n[%s\\Root]\n[%s\\Root\\Certificates]" % (k, k, k))
der = open(sys.argv[1], "rb").read()
sha1 = hashlib.sha1(der).digest()
blob = prop(3, sha1) + prop(11, "Kaspersky\0".encode("utf-16-le")) + prop(32, der)
print("[%s\\Root\\Certificates\\%s]" % (k, sha1.hex().upper()))
print('"Blob"=hex:' + ",".join("%02x" % c for c in blob))
PY
merge "$C/Users/bob/NTUSER.DAT" 'HKEY_CURRENT_USER' <"$T/uc.reg"
UC_SHA1=$(openssl dgst -sha1 -r "$T/uc.der" | cut -c1-40 | tr a-f A-F)
plan_of "$C" usercert
sed -i "s|$UC_SHA1|THUMBPRINT|g" "$T/usercert.ps1.norm"
check_eq "usercert: no step refused" "$(refused usercert)" ""
check_eq "usercert: the key in bob's hive deleted, in bob's registry" "$(steps usercert | tr '\n' ';')" \
	"delete-registry-key HKU\\bob\\Software\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\$UC_SHA1 user=bob;"
check "usercert: no longer left to the operator" \
	bash -c "! grep -q 'certutil -user -delstore' '$T/usercert.plan.json'"
check "usercert: bob's SID from the ProfileList" grep -qF "    \$user = 'bob'" "$T/usercert.ps1"
check "usercert: his hive loaded when he is not signed in, and unloaded" \
	bash -c "grep -qF '& reg.exe load \$mount \$hive' '$T/usercert.ps1' && grep -qF '& reg.exe unload \$mount' '$T/usercert.ps1'"
check "usercert: exported before it is deleted" \
	bash -c "grep -n 'reg.exe export\\|Remove-Item -LiteralPath \$path' '$T/usercert.ps1' | cut -d: -f2 | tr '\n' ' ' | grep -q 'reg.exe export.*Remove-Item'"
golden user-cert-windows.ps1 "$T/usercert.ps1.norm"
parses usercert

done_testing
