#!/usr/bin/env bash
# End-to-end: the platform of an offline root decides which sources run and which
# indicators are tried. Windows roots are recognised by their SOFTWARE hive and
# macOS roots by SystemVersion.plist, both without regard to case; the layout of
# one platform found on another is not taken for an install.
. "$(dirname "$0")/lib.sh"

src_status() { jq_py "$T/out.json" "{s['name']: s['status'] for s in r['sources']}['$1']"; }
has_ev() { jq_py "$T/out.json" "any(e['indicator']['id'] == '$1' for f in r['findings'] for e in per_match(f['evidence']))"; }

# --- a Windows root, spelled in odd cases -----------------------------------------
W=$T/win
mkdir -p "$W/WINDOWS/system32/Config" "$W/program files (x86)/KASPERSKY LAB/networkagent" \
	"$W/opt/kaspersky/kesl"
: >"$W/WINDOWS/system32/Config/software"
scan_json "$W" --full
check_eq "windows: platform detected from a lower-case software hive" \
	"$(jq_py "$T/out.json" "r['host']['platform']")" windows
for s in dpkg rpm systemd sysv kmod truststore files; do
	check_eq "windows: linux source $s is absent" "$(src_status $s)" absent
done
check_eq "windows: the full walk ran" "$(src_status walk)" ok
check_eq "windows: Network Agent folder matched without regard to case" \
	"$(has_ev klnagent.file.path.any-program-files-x86-kaspersky-lab-networkagent)" True
check_eq "windows: Network Agent finding is definitive" \
	"$(finding_py "$T/out.json" klnagent "f and f['confidence']")" definitive
check_eq "windows: a Linux install path means nothing here" \
	"$(has_ev kaspersky.file.path.opt-kaspersky)" False

# --- a macOS root --------------------------------------------------------------
M=$T/mac
mkdir -p "$M/System/Library/CoreServices" "$M/Library/Application Support/Kaspersky Lab" \
	"$M/Program Files/Kaspersky Lab/NetworkAgent"
: >"$M/System/Library/CoreServices/SystemVersion.plist"
mkdir -p "$M/Library/PrivilegedHelperTools" "$M/etc/kaspersky"
: >"$M/Library/PrivilegedHelperTools/com.kaspersky.kav.helper"
scan_json "$M"
check_eq "macos: a helper tool in a standard macOS folder is listed by known locations" \
	"$(jq_py "$T/out.json" "sorted(set(e['path'] for f in r['findings'] for e in per_match(f['evidence']) if e['source']=='files' and 'PrivilegedHelperTools' in e['path']))")" \
	'["/Library/PrivilegedHelperTools/com.kaspersky.kav.helper"]'
check_eq "macos: Linux-only folders (/etc) are not listed there" \
	"$(jq_py "$T/out.json" "any(e['path'].startswith('/etc/') for f in r['findings'] for e in per_match(f['evidence']) if e['path'])")" False
check_eq "macos: platform detected" "$(jq_py "$T/out.json" "r['host']['platform']")" macos
check_eq "macos: dpkg is absent" "$(src_status dpkg)" absent
check_eq "macos: known locations ran" "$(src_status files)" ok
check_eq "macos: the support folder is strong evidence of KES for Mac" \
	"$(finding_py "$T/out.json" kes-mac "f and f['confidence']")" strong
scan_json "$M" --full
check_eq "macos: a Windows install folder on a Mac is not Network Agent" \
	"$(finding_py "$T/out.json" klnagent "f is None")" True

# --- a Linux root holding other platforms' layouts -------------------------------
L=$T/linux
mkdir -p "$L/etc" "$L/Library/Application Support/Kaspersky Lab" \
	"$L/srv/backup/Program Files (x86)/Kaspersky Lab/NetworkAgent"
echo 'ID=debian' >"$L/etc/os-release"
scan_json "$L" --full
check_eq "linux: platform" "$(jq_py "$T/out.json" "r['host']['platform']")" linux
check_eq "linux: no macOS or Windows product from their folder layouts, only the vendor's traces" \
	"$(jq_py "$T/out.json" "sorted(f['product']['id'] for f in r['findings'])")" '["kaspersky:traces"]'
check_eq "linux: the vendor-named folders are weak evidence only" \
	"$(jq_py "$T/out.json" "[f['confidence'] for f in r['findings']]")" '["weak"]'
check_eq "linux: verdict clean (weak evidence alone)" "$rc" 0

done_testing
