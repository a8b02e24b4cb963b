#!/bin/bash
# End-to-end: the macOS sources (macos-apps, launchd, macos-kexts, macos-receipts)
# and the files source over fixture roots laid out like macOS 14 hosts, with every
# plist written as XML and many converted to binary by libplist's plistutil:
#   kes   Kaspersky Anti-Virus / Endpoint Security for Mac with Network Agent:
#         app bundle with a login-item helper and a system extension, LaunchDaemons,
#         a LaunchAgent, klif.kext, receipts, Application Support;
#   rem   only leftovers: Application Support, logs, a user's preferences file
#         (no receipt: the vendor's removal ends with pkgutil --forget, and a receipt
#         left behind counts as installed, as pkgutil still lists it) -> remnant;
#   neg   other vendors' apps, agents and receipts, and a document named after the
#         vendor -> nothing installed;
#   bad   hostile plists and bundles -> per-file errors, no crash, no hang;
#   kpm   Password Manager for Mac (bundle ids) -> kpm installed; a VPN Secure
#         Connection for Mac app group container, with --full -> vpn remnant.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v plistutil >/dev/null || skip_all "plistutil (libplist-utils) not installed"
py -c 'import jsonschema' 2>/dev/null || skip_all "python3-jsonschema not installed"

# The first scan runs every source the macOS platform has; the others only these.
ONLY=--only=macos-apps,launchd,macos-kexts,macos-receipts,files
jq_py_true() { [ "$(jq_py "$T/out.json" "$1")" = True ]; }
ev() { jq_py "$T/out.json" "sorted(set($1 for f in r['findings'] for e in per_match(f['evidence']) if $2))"; }
src() { jq_py "$T/out.json" "[s['$2'] for s in r['sources'] if s['name']=='$1']"; }
errs_have() { # errs_have SOURCE TEXT: some item error of SOURCE contains TEXT
	jq_py_true "any(\"\"\"$2\"\"\" in m for s in r['sources'] if s['name']=='$1' for m in s['errors'])"
}

# shellcheck source=tests/e2e/macfix.sh
. "$(dirname "$0")/macfix.sh"

# === kes: an install ===========================================================
R=$(fixture kes-macos) || { echo "Bail out! fixture kes-macos"; exit 1; }
scan_json "$R"
O=$T/out.json
check_eq "kes: exit status 1 (covered software found)" "$rc" 1
[ -s "$O" ] || { sed 's/^/# /' "$T/scan.err"; done_testing; exit 1; }
check "kes: report validates against the schema" validate_report "$O"
check_eq "kes: platform macos, no Linux source run" \
	"$(jq_py "$O" "(r['host']['platform'], sorted(s['name'] for s in r['sources'] if s['name'] in ('dpkg','rpm','systemd','kmod') and s['status']!='absent'))")" \
	"('macos', [])"
for s in macos-apps launchd macos-kexts macos-receipts; do
	check_eq "kes: source $s ran clean" "$(src $s status)$(src $s n_errors)" '["ok"][0]'
done
check_eq "host: OS from SystemVersion.plist" "$(jq_py "$O" "(r['host']['os'], r['host']['os_id'])")" \
	"('macOS 14.4.1', 'macos')"
check_eq "host: name from SystemConfiguration (binary plist)" \
	"$(jq_py "$O" "r['host']['hostname']")" "Finance Mac 07"
check_eq "kes-mac installed, strong, version from the receipt" \
	"$(finding_py "$O" kes-mac "f and (f['state'], f['confidence'], f['version'])")" \
	"('installed', 'strong', '21.0.12.340')"
check_eq "klnagent installed (receipt, launchd job)" \
	"$(finding_py "$O" klnagent "f and (f['state'], f['confidence'])")" "('installed', 'strong')"
check_eq "app bundle (binary Info.plist): id, version, state, kind" \
	"$(ev "(e['value'], e['version'], e['state'], e['active'], e['attrs']['kind'])" "e['source']=='macos-apps' and e['kind']=='bundle' and e['path']=='/Applications/Kaspersky Anti-Virus For Mac.app'")" \
	'[["com.kaspersky.kav", "21.0.12", "installed", true, "app"]]'
check_eq "app bundle path matched as a file" \
	"$(ev "(e['value'], e['state'])" "e['source']=='macos-apps' and e['kind']=='file' and e['field']=='path'")" \
	'[["/Applications/Kaspersky Anti-Virus For Mac.app", "installed"]]'
check_eq "nested helper and system extension found, with their parent" \
	"$(ev "(e['value'], e['attrs']['kind'], e['attrs']['parent'])" "e['source']=='macos-apps' and e['kind']=='bundle' and 'parent' in e.get('attrs', {})")" \
	'[["com.kaspersky.kav.sysext", "systemextension", "/Applications/Kaspersky Anti-Virus For Mac.app"], ["com.kaspersky.kav_agent", "helper", "/Applications/Kaspersky Anti-Virus For Mac.app"]]'
check_eq "helper and system extension ids are kes-mac indicators" \
	"$(finding_py "$O" kes-mac "sorted(e['indicator']['id'] for e in per_match(f['evidence']) if e['source']=='macos-apps' and 'parent' in e.get('attrs', {}) and e['indicator']['id'].startswith('kes-mac.'))")" \
	"['kes-mac.bundle.com.kaspersky.kav.sysext', 'kes-mac.bundle.com.kaspersky.kav_agent']"
check_eq "macos-apps: 4 bundles, each a file and a bundle observation" \
	"$(src macos-apps observations)" '[8]'
check_eq "launchd daemon (binary): label, arguments joined, domain, enabled" \
	"$(ev "(e['kind'], e['field'], e['value'], e['state'], e['active'], e['attrs']['domain'])" "e['source']=='launchd' and e['path']=='/Library/LaunchDaemons/com.kaspersky.kav.plist'")" \
	'[["bundle", "name", "com.kaspersky.kav", "enabled", true, "daemon"], ["service", "target", "/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav -d", "enabled", true, "daemon"]]'
check_eq "launchd agent with Program: label matched as a bundle" \
	"$(ev "(e['value'], e['attrs']['domain'])" "e['source']=='launchd' and e['kind']=='bundle' and 'LaunchAgents' in e['path']")" \
	'[["com.kaspersky.kav.gui", "agent"]]'
check_eq "Network Agent job attributed to klnagent by its program" \
	"$(finding_py "$O" klnagent "sorted(set(e['value'] for e in per_match(f['evidence']) if e['source']=='launchd' and e['kind']=='service'))")" \
	"['/Library/Application Support/Kaspersky Lab/klnagent/Binaries/klnagent --daemon']"
check_eq "kext: bundle id and kmod name, installed" \
	"$(ev "(e['kind'], e['value'], e['state'], e['active'])" "e['source']=='macos-kexts'")" \
	'[["bundle", "com.kaspersky.kext.klif", "installed", true], ["kmod", "klif.kext", "installed", true]]'
check_eq "receipts: ids, versions, install date" \
	"$(ev "(e['value'], e['version'], e['attrs']['install_date'])" "e['source']=='macos-receipts' and e['kind']=='package'")" \
	'[["com.kaspersky.kav.core", "21.0.12.340", "2024-03-01T10:20:30Z"], ["com.kaspersky.kav.oas", "21.0.12.340", "2024-03-01T10:20:30Z"], ["com.kaspersky.kav.wksconnector", "14.0.0.1234", "2024-03-01T10:20:30Z"]]'
check_eq "receipts: wksconnector belongs to Network Agent (with every indicator of its receipts)" \
	"$(finding_py "$O" klnagent "sorted(set(e['value'] for e in per_match(f['evidence']) if e['source']=='macos-receipts'))")" \
	"['/Library/Receipts/Kaspersky Network Agent.pkg', 'Kaspersky Network Agent.pkg', 'com.kaspersky.kav.wksconnector']"
check_eq "files source finds Application Support and logs" \
	"$(ev "e['path']" "e['source']=='files' and e['path'] in ('/Library/Application Support/Kaspersky Lab', '/Library/Logs/Kaspersky Lab')")" \
	'["/Library/Application Support/Kaspersky Lab", "/Library/Logs/Kaspersky Lab"]'
check_eq "other vendors' bundles, jobs, kexts and receipts not reported" \
	"$(ev "e['value']" "any(w in (e['value'] + (e['path'] or '')) for w in ('keka', 'Keka', 'apple', 'example', 'Other'))")" '[]'
"$EXCISE" scan --root "$R" "$ONLY" --format csv -o "$T/out.csv" 2>/dev/null
check "CSV carries launchd attrs" grep -q '"{""domain"":""daemon"",""disabled"":""false"",""label"":""com.kaspersky.kav""}"' "$T/out.csv"
check "CSV carries the receipt path" grep -q 'macos-receipts,package,name,com.kaspersky.kav.core,/var/db/receipts/com.kaspersky.kav.core.plist' "$T/out.csv"
"$EXCISE" scan --root "$R" "$ONLY" --format text --color never -v -o "$T/out.txt" 2>/dev/null
check "text -v shows the bundle evidence with its kind, then its bundle id" \
	sh -c "grep -A4 -E '^    [a-z]+ +macos-kexts +bundle /Library/Extensions/klif.kext .*kind=kext' '$T/out.txt' | grep -Eq '^        [a-z]+ +name com.kaspersky.kext.klif '"

# A disabled job is reported, not active: alone it is a remnant.
R2=$T/disabled
sysver "$R2" bin 13.6
job "$R2/Library/LaunchDaemons/com.kaspersky.kav.plist" xml com.kaspersky.kav true "$KAV"
scan_json "$R2" "$ONLY"
check_eq "disabled job: state disabled, not active" \
	"$(ev "(e['kind'], e['state'], e['active'], e['attrs'].get('disabled'))" "e['source']=='launchd'")" \
	'[["bundle", "disabled", false, "true"], ["service", "disabled", false, "true"]]'
check_eq "disabled job only: remnant" \
	"$(finding_py "$T/out.json" kes-mac "f and f['state']")" remnant
check_eq "host: macOS from a binary SystemVersion.plist" \
	"$(jq_py "$T/out.json" "r['host']['os']")" "macOS 13.6"

# === rem: leftovers only ========================================================
R=$T/rem
sysver "$R" xml 14.2
mkdir -p "$R/Library/Application Support/Kaspersky Lab/KAV/Logs" "$R/Library/Logs/Kaspersky Lab" \
	"$R/Applications" "$R/Users/anna/Library/Preferences"
printf 'log' >"$R/Library/Application Support/Kaspersky Lab/KAV/Logs/kav.log"
plist "$R/Users/anna/Library/Preferences/com.kaspersky.kav.plist" bin <<<'<dict><key>x</key><true/></dict>'
scan_json "$R" "$ONLY"
check_eq "rem: exit 1, kes-mac remnant" \
	"$rc $(finding_py "$T/out.json" kes-mac "f and (f['state'], f['confidence'])")" \
	"1 ('remnant', 'strong')"
check_eq "rem: nothing installed" \
	"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings'] if f['state']!='remnant']")" '[]'
check_eq "rem: the macOS sources found nothing of theirs" \
	"$(jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name'] in ('launchd','macos-kexts','macos-receipts')]")" \
	'["absent", "absent", "absent"]'

# === neg: other vendors and look-alikes ========================================
R=$T/neg
sysver "$R" xml 14.4
info "$R/Applications/ESET Endpoint Antivirus.app" bin com.eset.ees.g2 8.0 "ESET Endpoint Antivirus" ees
info "$R/Applications/UltraAV.app" xml com.ultraav.app 2.1 UltraAV UltraAV
mkdir -p "$R/Applications/Kaspersky Removal Guide.pdf" "$R/Users/bob/Applications"
printf '%%PDF' >"$R/Users/bob/Applications/Kaspersky Anti-Virus For Mac.app"
job "$R/Library/LaunchDaemons/com.eset.remoteadministrator.agent.plist" bin \
	com.eset.remoteadministrator.agent - /Applications/ESET.app/Contents/MacOS/agent
info "$R/Library/SystemExtensions/0A1B/com.eset.network.systemextension" xml \
	com.eset.network 8.0 "ESET Network" com.eset.network
receipt "$R" bin com.eset.ees 8.0
scan_json "$R" "$ONLY"
check_eq "neg: no Kaspersky product installed" \
	"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings'] if f['state']!='remnant']")" '[]'
check_eq "neg: the other vendors' things were read" \
	"$(jq_py "$T/out.json" "[(s['name'], s['observations'], s['matched']) for s in r['sources'] if s['name'] in ('macos-apps','launchd','macos-kexts','macos-receipts')]")" \
	'[["macos-receipts", 1, 0], ["macos-apps", 4, 0], ["launchd", 2, 0], ["macos-kexts", 2, 0]]'

# === bad: hostile plists and bundles ===========================================
R=$T/bad
sysver "$R" xml 14.4
B=$R/Applications
mk_app() { mkdir -p "$B/$1.app/Contents"; }
# truncated trailer, offset table pointing outside, huge object count, deep nesting
info "$T/good.app" bin com.kaspersky.kav 1 K k
GOOD=$T/good.app/Contents/Info.plist
len=$(stat -c %s "$GOOD")
mk_app Trunc; head -c $((len - 7)) "$GOOD" >"$B/Trunc.app/Contents/Info.plist"
for a in Offsets Count Deep Laughs; do mk_app $a; done
py - "$GOOD" "$B" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
out = sys.argv[2]
t = struct.unpack(">Q", b[-8:])[0]
bad = bytearray(b); bad[t:t + b[-26]] = b"\xff" * b[-26]
open(out + "/Offsets.app/Contents/Info.plist", "wb").write(bad)
bad = bytearray(b); bad[-24:-16] = struct.pack(">Q", 1 << 40)
open(out + "/Count.app/Contents/Info.plist", "wb").write(bad)
def bplist(objs):
    data, offs = b"bplist00", []
    for o in objs:
        offs.append(len(data)); data += o
    t = len(data)
    for o in offs:
        data += struct.pack(">I", o)
    return data + b"\0" * 6 + bytes([4, 4]) + struct.pack(">QQQ", len(objs), 0, t)
n = 100000  # arrays each holding the next: overflows libplist 2.2's recursion unguarded
open(out + "/Deep.app/Contents/Info.plist", "wb").write(
    bplist([b"\xa1" + struct.pack(">I", i + 1) for i in range(n - 1)] + [b"\xa0"]))
# 40 arrays that each refer twice to the next: 2^40 nodes once libplist copies them
open(out + "/Laughs.app/Contents/Info.plist", "wb").write(
    bplist([b"\xa2" + struct.pack(">II", i + 1, i + 1) for i in range(39)] + [b"\xa0"]))
PY
mk_app Sparse; truncate -s 1G "$B/Sparse.app/Contents/Info.plist"
mk_app Fifo; mkfifo "$B/Fifo.app/Contents/Info.plist"
mk_app Escape; printf 'secret' >"$T/outside.plist"
ln -s "$T/outside.plist" "$B/Escape.app/Contents/Info.plist"
info "$B/Loop.app" xml com.example.loop 1 Loop Loop
mkdir -p "$B/Loop.app/Contents/Helpers"
ln -s ../../../Loop.app "$B/Loop.app/Contents/Helpers/Again.app"
info "$B/WrongTypes.app" xml com.example.wrong 1 W W
plist "$B/WrongTypes.app/Contents/Info.plist" xml <<'EOF'
<dict><key>CFBundleIdentifier</key><array><string>x</string></array>
<key>CFBundleExecutable</key><string>../../../../bin/sh</string></dict>
EOF
mkdir -p "$R/Library/LaunchDaemons"
printf 'bplist00garbage' >"$R/Library/LaunchDaemons/garbage.plist"
plist "$R/Library/LaunchDaemons/nolabel.plist" xml <<<'<dict><key>Program</key><string>/bin/x</string></dict>'
mkfifo "$R/Library/LaunchDaemons/fifo.plist"
mkdir -p "$R/var/db/receipts"
plist "$R/var/db/receipts/com.kaspersky.kav.core.plist" xml <<<'<array><string>x</string></array>'
start=$(date +%s)
scan_json "$R" "$ONLY"
echo "# bad root scanned in $(($(date +%s) - start)) s"
check "bad: scan finished within 60 s" [ $(($(date +%s) - start)) -lt 60 ]
# Only a limit fails a source here: macos-apps (its item errors include limits: nesting, size).
check_eq "bad: only macos-apps failed, stopped by a limit" \
	"$(jq_py "$T/out.json" "[(s['name'], s['error'].startswith('stopped by a limit: ')) for s in r['sources'] if s['status']=='failed']")" '[["macos-apps", true]]'
E=/Applications
check "truncated trailer reported" errs_have macos-apps "'$E/Trunc.app/Contents/Info.plist': binary plist"
check "offset table pointing outside reported" \
	errs_have macos-apps "'$E/Offsets.app/Contents/Info.plist': binary plist object 0: offset 255 outside the object area"
check "huge object count reported" \
	errs_have macos-apps "'$E/Count.app/Contents/Info.plist': binary plist trailer: 1099511627776 objects"
check "deep nesting reported (not handed to libplist)" \
	errs_have macos-apps "'$E/Deep.app/Contents/Info.plist': more than 64 nested arrays or dictionaries"
check "shared-reference blow-up reported" \
	errs_have macos-apps "'$E/Laughs.app/Contents/Info.plist': binary plist expands to more than 250000 objects"
check "1 GiB sparse Info.plist refused by size" \
	errs_have macos-apps "'$E/Sparse.app/Contents/Info.plist': larger than 4194304 bytes"
check "FIFO Info.plist refused, no hang" \
	errs_have macos-apps "'$E/Fifo.app/Contents/Info.plist': not a regular file"
check "symlink out of the root resolved inside it (absent there)" \
	errs_have macos-apps "'$E/Escape.app/Contents/Info.plist': No such file or directory"
check_eq "nothing outside the root was read" \
	"$(ev "e['value']" "'Escape' in (e['path'] or '') and e['kind']=='bundle'")" '[]'
check "bundle cycle through a symlink reported" \
	errs_have macos-apps "'$E/Loop.app/Contents/Helpers/Again.app': leads back to a bundle that contains it"
check "wrong key type names the file and key" \
	errs_have macos-apps "'$E/WrongTypes.app/Contents/Info.plist': key 'CFBundleIdentifier': not a string"
check "executable outside Contents/MacOS refused" \
	errs_have macos-apps "key 'CFBundleExecutable': not a file name"
check "garbage binary launchd plist reported" \
	errs_have launchd "'/Library/LaunchDaemons/garbage.plist': binary plist: too short or bad header"
check "job without Label reported, named by its file" \
	errs_have launchd "'/Library/LaunchDaemons/nolabel.plist': key 'Label': missing"
check_eq "job without Label still observed" \
	"$(src launchd observations)" '[2]'
check "FIFO launchd plist refused" errs_have launchd "'/Library/LaunchDaemons/fifo.plist': not a regular file"
check "receipt that is not a dictionary reported" \
	errs_have macos-receipts "'/var/db/receipts/com.kaspersky.kav.core.plist': top object is not a dictionary"
check "bad report still validates" validate_report "$T/out.json"

# === kpm, vpn: Password Manager and VPN Secure Connection for Mac =============
# Bundle ids and app group containers as Kaspersky's help on their trace files names them.
R=$T/kpm
sysver "$R" xml 14.4
info "$R/Applications/Kaspersky Password Manager.app" bin com.kaspersky.kpm 9.2.0 "Kaspersky Password Manager" kpm
info "$R/Applications/Kaspersky Password Manager.app/Contents/Library/LoginItems/kpm_agent.app" xml \
	com.kaspersky.kpm.agent 9.2.0 "Kaspersky Password Manager Agent" kpm_agent
mkdir -p "$R/Users/anna/Library/Group Containers/2Y8XE5CQ94.com.kaspersky.ksec/Library"
scan_json "$R" "$ONLY"
check_eq "kpm: Password Manager for Mac installed, strong, its version" \
	"$(finding_py "$T/out.json" kpm "f and (f['state'], f['confidence'], f['version'])")" \
	"('installed', 'strong', '9.2.0')"
check_eq "kpm: no other product named" \
	"$(jq_py "$T/out.json" "sorted(f['product']['id'] for f in r['findings'])")" '["kpm"]'
scan_json "$R" --full
check_eq "vpn: the app group container found by the full walk, a VPN for Mac remnant" \
	"$(finding_py "$T/out.json" vpn "f and (f['state'], f['confidence'])")" "('remnant', 'strong')"

# --- limit: EXCISE_MAX_BUNDLE_DEPTH (3 levels of nested helpers, the 4th not read)
R=$T/nest
sysver "$R" xml 14.4
p="$R/Applications/N0.app"
info "$p" xml com.example.n0 1 N0 N0
for i in 1 2 3 4; do
	p="$p/Contents/Helpers/N$i.app"
	info "$p" xml com.example.n$i 1 N$i N$i
done
scan_json "$R" "$ONLY"
check_eq "nesting: four levels read" "$(src macos-apps observations)" '[8]'
check "nesting: deeper bundles reported, not read" \
	errs_have macos-apps "N3.app': bundles nested more than 3 deep, its own not read"

# --- an unreadable /Applications fails the source: the scan is incomplete, not clean.
# Root reads anything, so the scan runs without the capabilities that allow it.
R=$T/unread
sysver "$R" xml 14.4
mkdir -p "$R/Applications/A.app" "$R/Library/LaunchDaemons"
chmod 000 "$R/Applications"
defer chmod 755 "$R/Applications"
drop=()
[ "$(id -u)" -eq 0 ] && drop=(setpriv --bounding-set -dac_override,-dac_read_search)
rc=0
"${drop[@]}" "$EXCISE" scan --root "$R" "$ONLY" --format json -o "$T/out.json" 2>"$T/scan.err" || rc=$?
check_eq "unreadable /Applications: macos-apps failed, exit 2 (incomplete)" \
	"$rc $(src macos-apps status)" '2 ["failed"]'
check "the failure names the folder" \
	jq_py_true "any(\"'/Applications'\" in (s['error'] or '') for s in r['sources'] if s['name']=='macos-apps')"

done_testing
