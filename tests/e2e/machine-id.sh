#!/bin/bash
# End-to-end: the machine id of offline Windows and macOS roots (lib/scan/winhost.c,
# lib/scan/host_macos.c; docs/agent.md "Machines and enrollment"), through excise scan
# --root: Windows' SOFTWARE Microsoft\Cryptography MachineGuid in hives written by
# hivexregedit, macOS's hardware UUID in the names of the users' ByHost preferences
# written by plistutil. Malformed, missing and disagreeing values give a report without
# a machine id and a note (an item error of the input "host"), never a crash and never
# a guess; nothing outside the root is read. tests/e2e/agent-serve.sh enrolls both
# fixture roots with a real collector and submits their reports.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
for t in hivexregedit hivexsh plistutil; do command -v $t >/dev/null || skip_all "$t not installed"; done
# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"
# shellcheck source=tests/e2e/macfix.sh
. "$(dirname "$0")/macfix.sh"

mid() { jq_py "$T/out.json" "r['host']['machine_id']"; }
# notes: the item errors of the input "host", one a line
notes() { jq_py "$T/out.json" "'|'.join(m for s in r['sources'] if s['name'] == 'host' for m in s['errors'])"; }
# scan ROOT: the JSON report into $T/out.json; a crash or an error exit is a failure
scan() {
	scan_json "$1"
	[ "$rc" -le 2 ] && [ -s "$T/out.json" ] || { echo "# scan of $1 exited $rc:"; sed 's/^/#   /' "$T/scan.err"; }
}

# ================================================================ Windows
scan "$(fixture windows)"
check_eq "windows: MachineGuid is the machine id" "$(mid)" "$WIN_GUID"
check_eq "windows: no note" "$(notes)" ""
check "windows: the report validates" validate_report "$T/out.json"

# win_root DIR: a Windows root whose SOFTWARE hive holds the OS version and the .reg
# lines on stdin under Microsoft\Cryptography (nothing: no such key)
win_root() {
	mkdir -p "$1/Windows/System32/config"
	empty_hive "$1/Windows/System32/config/SOFTWARE"
	empty_hive "$1/Windows/System32/config/SYSTEM"
	local body
	body=$(cat)
	{
		printf '%s\n' '[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft]' '[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT]' \
			'[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion]' '"ProductName"="Windows 11 Pro"'
		[ -z "$body" ] || printf '%s\n%s\n' '[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Cryptography]' "$body"
	} | sw "$1"
}
win_case() { # NAME WANT-NOTE: the root $T/w-NAME from stdin, scanned: no machine id, the note
	win_root "$T/w-$1"
	scan "$T/w-$1"
	check_eq "windows, $1: no machine id" "$(mid)" None
	expect "windows, $1: the note says why" 0 "$2" printf '%s\n' "$(notes)"
	check_eq "windows, $1: the scan is complete (a note, not a failure)" \
		"$(jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name'] == 'host']")" '["ok"]'
}
win_root "$T/w-upper" <<<'"MachineGuid"="6F1C2D3E-4B5A-4C7D-8E9F-0A1B2C3D4E5F"'
scan "$T/w-upper"
check_eq "windows: a GUID in upper case, kept in lower case" "$(mid)" "$WIN_GUID"
win_case absent "Microsoft.Cryptography.MachineGuid: absent: the machine id is unknown" </dev/null
win_case novalue "MachineGuid: absent: the machine id is unknown" <<<'"Other"="x"'
win_case notguid "MachineGuid: not a GUID \(8-4-4-4-12 hex digits\) \(10 bytes\): the machine id is unknown" \
	<<<'"MachineGuid"="not-a-guid"'
win_case braces "MachineGuid: not a GUID .* \(38 bytes\)" <<<'"MachineGuid"="{6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f}"'
win_case nonhex "MachineGuid: not a GUID" <<<'"MachineGuid"="6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5g"'
win_case long "MachineGuid: not a GUID .* \(300 bytes\)" <<<"\"MachineGuid\"=sz:$(printf 'a%.0s' $(seq 300))"
win_case huge "MachineGuid: too long: the machine id is unknown" <<<"\"MachineGuid\"=sz:$(head -c 40000 /dev/zero | tr '\0' a)"
win_case dword "MachineGuid: not a string value: the machine id is unknown" <<<'"MachineGuid"=dword:00000001'
# a SOFTWARE hive that is not a hive: the scan says so, the machine id is unknown
mkdir -p "$T/w-garbage/Windows/System32/config"
printf 'regf but not really' >"$T/w-garbage/Windows/System32/config/SOFTWARE"
scan "$T/w-garbage"
check_eq "windows, a broken SOFTWARE hive: no machine id" "$(mid)" None
expect "windows, a broken SOFTWARE hive: the note names it" 0 "SOFTWARE.*the machine id is unknown" \
	printf '%s\n' "$(notes)"
# a SOFTWARE hive that is a symlink out of the root: never read (the fixture's own is kept
# in $T/outside)
mkdir -p "$T/outside" "$T/w-link/Windows/System32/config"
cp "$(fixture windows)/Windows/System32/config/SOFTWARE" "$T/outside/SOFTWARE"
cp "$(fixture windows)/Windows/System32/config/SYSTEM" "$T/w-link/Windows/System32/config/"
ln -s "$T/outside/SOFTWARE" "$T/w-link/Windows/System32/config/SOFTWARE"
scan "$T/w-link"
check_eq "windows, SOFTWARE a symlink out of the root: no machine id from outside" "$(mid)" None
expect "windows, enroll --root of a root without a machine id: refused with the reason" 2 \
	"MachineGuid: not a string value: the machine id is unknown" \
	"$EXCISE" enroll https://127.0.0.1:9 --secret-env HOME --root "$T/w-dword"

# ================================================================ macOS
scan "$(fixture kes-macos)"
check_eq "macos: the hardware UUID of the ByHost names is the machine id" "$(mid)" "$MAC_UUID"
check_eq "macos: no note" "$(notes)" ""
check "macos: the report validates" validate_report "$T/out.json"

mac_root() { # DIR: a macOS root with a system version and no user
	sysver "$1" xml 14.5
}
mac_case() { # NAME WANT-NOTE: $T/m-NAME scanned: no machine id, the note
	scan "$T/m-$1"
	check_eq "macos, $1: no machine id" "$(mid)" None
	expect "macos, $1: the note says why" 0 "$2" printf '%s\n' "$(notes)"
}
BYH=Library/Preferences/ByHost
OTHER=9B1DEB4D-3B7D-4BAD-9BDD-2B0D7B3DCB6D
mac_root "$T/m-none"
mkdir -p "$T/m-none/Users/anna/Library/Preferences/ByHost"
plist "$T/m-none/Users/anna/Library/Preferences/ByHost/com.apple.x.plist" bin <<<'<dict/>'
plist "$T/m-none/Users/anna/Library/Preferences/ByHost/com.apple.y.UnknownHostID.plist" bin <<<'<dict/>'
plist "$T/m-none/Users/anna/Library/Preferences/ByHost/com.apple.z.00000000-0000-0000-0000-000000000000.plist" bin \
	<<<'<dict/>'
mac_case none "no ByHost preferences .* name the hardware UUID: the machine id is unknown"
cp -a "$T/m-none" "$T/m-two"
byhost "$T/m-two/Users/anna" com.apple.screensaver bin
byhost "$T/m-two/Users/bob" com.apple.screensaver bin "$OTHER"
mac_case two "different hardware UUIDs \($MAC_UUID in '/Users/anna/$BYH', $OTHER in '/Users/bob/$BYH'\): the machine id is not guessed"
cp -a "$T/m-none" "$T/m-root-differs"
byhost "$T/m-root-differs/Users/anna" com.apple.screensaver bin
byhost "$T/m-root-differs/private/var/root" com.apple.screensaver bin "$OTHER"
mac_case root-differs "different hardware UUIDs .*'/private/var/root/$BYH'"
cp -a "$T/m-none" "$T/m-one"
byhost "$T/m-one/Users/anna" com.apple.screensaver bin "${MAC_UUID,,}"
byhost "$T/m-one/Users/bob" .GlobalPreferences xml
byhost "$T/m-one/Users/bob" com.apple.dock xml
scan "$T/m-one"
check_eq "macos: the same UUID in two users' names (either case): the machine id, upper case" "$(mid)" "$MAC_UUID"
# the compatible UUID of older Macs: the ByHost names carry the MAC address alone
mac_root "$T/m-mac"
byhost "$T/m-mac/Users/anna" com.apple.screensaver bin 001b63a1b2c3
scan "$T/m-mac"
check_eq "macos: a ByHost name of the MAC address: the compatible UUID" "$(mid)" 00000000-0000-1000-8000-001B63A1B2C3
# hostile: a symlinked user folder, a ByHost folder linked out of the root, a FIFO and a
# folder named like preferences: none of them counts, nothing outside is read
cp -a "$T/m-one" "$T/m-links"
mkdir -p "$T/outside/ByHost" "$T/elsewhere/Library/Preferences/ByHost"
: >"$T/outside/ByHost/com.apple.x.$OTHER.plist"
: >"$T/elsewhere/Library/Preferences/ByHost/com.apple.x.$OTHER.plist"
ln -s "$T/elsewhere" "$T/m-links/Users/mallory"
mkdir -p "$T/m-links/Users/eve/Library/Preferences"
ln -s "$T/outside/ByHost" "$T/m-links/Users/eve/Library/Preferences/ByHost"
mkfifo "$T/m-links/Users/bob/Library/Preferences/ByHost/com.apple.fifo.$OTHER.plist"
mkdir "$T/m-links/Users/bob/Library/Preferences/ByHost/com.apple.dir.$OTHER.plist"
scan "$T/m-links"
check_eq "macos: links out of the root, a FIFO and a folder are not read: the users' UUID" "$(mid)" "$MAC_UUID"
check_eq "macos: ... and nothing disagrees" "$(notes)" ""
# many users: bounded, the same answer
mac_root "$T/m-many"
for i in $(seq 300); do mkdir -p "$T/m-many/Users/u$i/Library/Preferences/ByHost"; done
byhost "$T/m-many/Users/u300" com.apple.screensaver bin
scan "$T/m-many"
check_eq "macos: 300 users, one with ByHost names: its UUID" "$(mid)" "$MAC_UUID"
expect "macos, enroll --root of a root whose users disagree: refused with the reason" 2 \
	"different hardware UUIDs" "$EXCISE" enroll https://127.0.0.1:9 --secret-env HOME --root "$T/m-two"
done_testing
