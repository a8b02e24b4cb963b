#!/bin/bash
# End-to-end: the browser-extensions and nss-certs sources over fixture roots in
# the Linux, Windows and macOS layouts: Chromium-family profiles (extension
# folders with manifests and locales, Preferences, Secure Preferences), Firefox
# profiles (extensions.json, addons.json) and NSS databases made with certutil
# at test time. Negatives: other vendors' extensions and certificates. Hostile
# files: over the size limits, invalid JSON, deep nesting, a garbage and a
# booby-trapped cert9.db, a symlinked profile, too many extensions, profiles
# and users.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "openssl not installed"
command -v certutil >/dev/null || skip_all "certutil (libnss3-tools) not installed"
command -v sqlite3 >/dev/null || skip_all "sqlite3 not installed"

# --only keeps the counts to these two sources (the platform checks run all).
ONLY=(--only browser-extensions,nss-certs)
jq_py_true() { [ "$(jq_py "$T/out.json" "$1")" = True ]; }
# ev FIELDS COND: sorted distinct tuples over the evidence of every finding.
ev() { jq_py "$T/out.json" "sorted(set($1 for f in r['findings'] for e in per_match(f['evidence']) if $2))"; }
errs() { jq_py "$T/out.json" "[m for s in r['sources'] if s['name']=='$1' for m in s['errors']]"; }
has_err() { # has_err SOURCE SUBSTRING
	jq_py_true "any(\"\"\"$2\"\"\" in m for s in r['sources'] if s['name']=='$1' for m in s['errors'])"
}
src() { jq_py "$T/out.json" "[(s['status'], s['observations'], s['n_errors']) for s in r['sources'] if s['name']=='$1']"; }

KP=injhfeogoehjhhacaaahfbkjlomhpgnj   # Kaspersky Protection
UA=ddoleachckhhdmhpbkddgechjfhnphpe   # Kaspersky URL Advisor (legacy)
VK=mcobjbefejmnadahpjbfibgkgchhmjke   # Kaspersky Virtual Keyboard (legacy)
UB=cjpalhdlnbpafiamejdnhcphjbkeiagm   # uBlock Origin
AV=gomekmidlodglbbmalcneegieacbdmki   # Avast Online Security (another AV vendor)

# chext PROFILE ID VERSION NAME [LOCALE MESSAGE]: Extensions/<id>/<version>_0/manifest.json
chext() {
	local d="$1/Extensions/$2/$3_0"
	mkdir -p "$d"
	if [ $# -ge 6 ]; then
		printf '{"manifest_version":3,"name":"%s","version":"%s","default_locale":"%s"}\n' \
			"$4" "$3" "$5" >"$d/manifest.json"
		mkdir -p "$d/_locales/$5"
		printf '{"extName":{"message":"%s","description":"name"}}\n' "$6" >"$d/_locales/$5/messages.json"
	else
		printf '{"manifest_version":3,"name":"%s","version":"%s"}\n' "$4" "$3" >"$d/manifest.json"
	fi
}
mkcert() { # mkcert FILE SUBJECT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/key.pem" -out "$1" -subj "$2" 2>/dev/null
}
mknss() { # mknss DIR NICK PEM TRUST [NICK PEM TRUST...]
	local d=$1; shift
	mkdir -p "$d"
	certutil -N --empty-password -d "sql:$d"
	while [ $# -ge 3 ]; do
		certutil -A -d "sql:$d" -n "$1" -t "$3" -i "$2"
		shift 3
	done
	rm -f "$d/key4.db" "$d/pkcs11.txt"
}
mkcert "$T/kav.pem" "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate"
mkcert "$T/acme.pem" "/C=US/O=Acme Corp/CN=Acme Root CA"
mkcert "$T/avast.pem" "/C=CZ/O=Avast Software s.r.o./CN=Avast Web Mail Shield Root"

# --- Linux layout --------------------------------------------------------------
L=$T/linux
A=$L/home/alice
G=$A/.config/google-chrome
mkdir -p "$G/Default" "$L/etc"
echo 'ID=debian' >"$L/etc/os-release"
ln -s hostname-1234 "$G/SingletonLock"     # Chromium's lock link: no error
chext "$G/Default" $KP 4.0.1.3 "__MSG_extName__" en "Kaspersky Protection"
chext "$G/Default" $KP 3.9.0.1 "Old Kaspersky Protection"
chext "$G/Default" $UB 1.55.0 "uBlock Origin"
chext "$G/Default" $AV 22.11.0 "__MSG_extName__" en_US "Avast Online Security & Privacy"
cat >"$G/Default/Preferences" <<EOF
{"extensions":{"settings":{
 "$KP":{"from_webstore":true,"location":1,"path":"$KP/4.0.1.3_0","state":1},
 "$UB":{"from_webstore":true,"location":1,"path":"$UB/1.55.0_0","disable_reasons":[]},
 "$AV":{"from_webstore":true,"location":1,"path":"$AV/22.11.0_0","disable_reasons":0},
 "$UA":{"location":1,"path":"$UA/1.0_0","disable_reasons":[1],
        "manifest":{"name":"Kaspersky URL Advisor","version":"1.0"}}
}},"profile":{"name":"Person 1"}}
EOF
# Profile 1: only Secure Preferences, with an unpacked extension whose folder is in the root.
mkdir -p "$G/Profile 1" "$A/dev/vkbd/_locales/ru"
cat >"$G/Profile 1/Secure Preferences" <<EOF
{"extensions":{"settings":{"$VK":{"location":4,"path":"/home/alice/dev/vkbd","disable_reasons":0,
 "manifest":{"name":"__MSG_extName__","version":"2.1","default_locale":"ru"}}}}}
EOF
printf '{"EXTNAME":{"message":"Kaspersky Virtual Keyboard"}}' >"$A/dev/vkbd/_locales/ru/messages.json"
# Profile 2: a folder with no settings entry at all.
chext "$G/Profile 2" $KP 4.0.1.3 "Kaspersky Protection"
# Not profiles: a folder without markers, a file.
mkdir -p "$G/Crashpad" && echo x >"$G/Local State"

FF=$A/.mozilla/firefox/abcd.default-release
mkdir -p "$FF"
cat >"$FF/extensions.json" <<'EOF'
{"schemaVersion":36,"addons":[
 {"id":"urladvisor@kaspersky.com","version":"4.1.3","type":"extension",
  "defaultLocale":{"name":"Kaspersky URL Advisor"},"active":true,"userDisabled":false,
  "location":"app-profile","path":"/home/alice/.mozilla/firefox/abcd.default-release/extensions/urladvisor@kaspersky.com.xpi"},
 {"id":"uBlock0@raymondhill.net","version":"1.55.0","type":"extension",
  "defaultLocale":{"name":"uBlock Origin"},"active":true,"location":"app-profile"},
 {"id":"wot@example.org","version":"9","type":"extension","active":true},
 {"id":"default-theme@mozilla.org","version":"1.3","type":"theme","active":true,"location":"app-builtin"}
]}
EOF
echo '{"schema":6,"addons":[{"id":"wot@example.org","name":"Web of Trust"},{"id":"ghost@kaspersky.com","name":"Not installed"}]}' \
	>"$FF/addons.json"
mknss "$FF" "Kaspersky Anti-Virus Personal Root Certificate" "$T/kav.pem" "C,," \
	"Acme Root CA" "$T/acme.pem" "CT,C,C"
mknss "$L/root/.pki/nssdb" "Avast root" "$T/avast.pem" ",,"
# snap Firefox of bob, Kaspersky add-on disabled by the user.
SF=$L/home/bob/snap/firefox/common/.mozilla/firefox/k2.default
mkdir -p "$SF"
echo '{"addons":[{"id":"wvkbd@kaspersky.com","version":"1.0","userDisabled":true}]}' >"$SF/extensions.json"

scan_json "$L" "${ONLY[@]}"
check_eq "linux: exit status 1 (covered software found)" "$rc" 1
[ -s "$T/out.json" ] || { sed 's/^/# /' "$T/scan.err"; done_testing; exit 1; }
check "linux: report validates against the schema" validate_report "$T/out.json"
cp "$T/out.json" "$T/linux.json"
check_eq "linux: browser-extensions ran, 11 extensions, no errors" "$(src browser-extensions)" '[["ok", 11, 0]]'
check_eq "linux: nss-certs ran, 3 certificates, no errors" "$(src nss-certs)" '[["ok", 3, 0]]'
check_eq "Kaspersky extensions found: finding installed, strong" \
	"$(finding_py "$T/out.json" browser-ext "f and (f['state'], f['confidence'])")" "('installed', 'strong')"
check_eq "Chrome Default: __MSG_ name resolved, highest version folder, enabled, attrs" \
	"$(ev "(e['field'], e['value'], e['path'], e['version'], e['state'], e['active'], tuple(sorted(e['attrs'].items())))" \
		"e['attrs'].get('profile')=='Default' and e['indicator']['id'].startswith('browser-ext.') and e['value'] in ('$KP', 'Kaspersky Protection')")" \
	"$(py -c 'import json, sys
a = [["browser", "chrome"], ["enabled", "true"], ["from_webstore", "true"], ["location", "internal"], ["profile", "Default"], ["user", "alice"]]
p = "/home/alice/.config/google-chrome/Default/Extensions/" + sys.argv[1]
print(json.dumps([["description", "Kaspersky Protection", p, "4.0.1.3", "enabled", True, a], ["name", sys.argv[1], p, "4.0.1.3", "enabled", True, a]]))' $KP)"
check_eq "one extension seen in folder and Preferences: one observation (evidence per indicator)" \
	"$(jq_py "$T/out.json" "len([e for f in r['findings'] for e in per_match(f['evidence']) if e['value']=='$KP' and e['attrs']['profile']=='Default'])")" 1
check_eq "URL Advisor listed only in Preferences (disabled): PATH is the Preferences file" \
	"$(ev "(e['path'], e['version'], e['state'], e['active'], e['attrs']['enabled'])" "e['value']=='$UA'")" \
	'[["/home/alice/.config/google-chrome/Default/Preferences", "1.0", "disabled", false, "false"]]'
check_eq "unpacked extension in Secure Preferences: name from its own _locales, install_path" \
	"$(ev "(e['field'], e['value'], e['path'], e['version'], e['state'], e['attrs'].get('location'), e['attrs'].get('install_path'))" "e['attrs'].get('profile')=='Profile 1' and e['indicator']['id'].startswith('browser-ext.')")" \
	"[[\"description\", \"Kaspersky Virtual Keyboard\", \"/home/alice/.config/google-chrome/Profile 1/Secure Preferences\", \"2.1\", \"enabled\", \"unpacked\", \"/home/alice/dev/vkbd\"], [\"name\", \"$VK\", \"/home/alice/.config/google-chrome/Profile 1/Secure Preferences\", \"2.1\", \"enabled\", \"unpacked\", \"/home/alice/dev/vkbd\"]]"
check_eq "extension folder without a settings entry: state present, active, no enabled attr" \
	"$(ev "(e['state'], e['active'], 'enabled' in e['attrs'])" "e['attrs'].get('profile')=='Profile 2'")" \
	'[["present", true, false]]'
check_eq "Firefox: urladvisor@kaspersky.com with name, version, profile, install path" \
	"$(ev "(e['indicator']['id'], e['version'], e['path'], e['state'], e['attrs']['browser'], e['attrs']['profile'], e['attrs']['type'], e['attrs']['location'])" "e['value']=='urladvisor@kaspersky.com'")" \
	'[["browser-ext.extension.urladvisor-kaspersky.com", "4.1.3", "/home/alice/.mozilla/firefox/abcd.default-release/extensions.json", "enabled", "firefox", "abcd.default-release", "extension", "app-profile"], ["kaspersky.extension.any-kaspersky.com", "4.1.3", "/home/alice/.mozilla/firefox/abcd.default-release/extensions.json", "enabled", "firefox", "abcd.default-release", "extension", "app-profile"]]'
check_eq "addons.json only names what extensions.json lists (ghost@kaspersky.com not reported)" \
	"$(ev "e['value']" "'ghost' in e['value']")" '[]'
check_eq "snap Firefox of bob: disabled by the user, reported as disabled" \
	"$(ev "(e['value'], e['state'], e['active'], e['attrs']['user'], e['attrs']['enabled'])" "e['attrs'].get('profile')=='k2.default'")" \
	'[["wvkbd@kaspersky.com", "disabled", false, "bob", "false"]]'
check_eq "other vendors' extensions and names are not evidence" \
	"$(ev "e['value']" "any(w in e['value'] for w in ('$UB', '$AV', 'uBlock', 'Avast', 'wot@', 'Web of Trust', 'default-theme', 'Old Kaspersky'))")" '[]'
check_eq "Firefox cert9.db: the Kaspersky root, nickname, trust C,, and profile" \
	"$(ev "(e['value'], e['path'], e['state'], e['attrs']['nickname'], e['attrs']['trust'], e['attrs']['browser'], e['attrs']['profile'], e['attrs']['user'], len(e['attrs']['sha256']))" "e['source']=='nss-certs' and e['field']=='name'")" \
	'[["Kaspersky Anti-Virus Personal Root Certificate", "/home/alice/.mozilla/firefox/abcd.default-release/cert9.db", "trusted", "Kaspersky Anti-Virus Personal Root Certificate", "C,,", "firefox", "abcd.default-release", "alice", 64]]'
check_eq "Kaspersky root subject in RFC 2253 form from cert9.db" \
	"$(ev "e['value']" "e['source']=='nss-certs' and e['field']=='subject'")" \
	'["CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU"]'
check_eq "the Acme and Avast roots (Firefox db, ~/.pki/nssdb) are not evidence" \
	"$(ev "e['value']" "e['source']=='nss-certs' and ('Acme' in e['value'] or 'Avast' in e['value'])")" '[]'

# Text and CSV views carry browser, profile and the extension.
"$EXCISE" scan --root "$L" "${ONLY[@]}" --format text -v >"$T/out.txt" 2>/dev/null
check "text -v view: id, display name, browser, profile and user" \
	sh -c 'grep -Eq "^        [a-z]+ +description Kaspersky Protection \\[" "$1" &&
		grep -Eq "^    [a-z]+ +browser-extensions +extension [^ ]+ at /home/alice/.config/google-chrome/Default/Extensions/$2 \\(enabled\\) \\{browser=chrome profile=Default user=alice" "$1"' \
	sh "$T/out.txt" "$KP"
"$EXCISE" scan --root "$L" "${ONLY[@]}" --format csv >"$T/out.csv" 2>/dev/null
check_eq "CSV view: attrs column of the Firefox root certificate" \
	"$(py - "$T/out.csv" <<'PY'
import csv, json, sys
rows = [r for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))
        if r["source"] == "nss-certs" and r["field"] == "name"]
print([(r["value"], json.loads(r["attrs"])["trust"], json.loads(r["attrs"])["profile"]) for r in rows])
PY
)" "[('Kaspersky Anti-Virus Personal Root Certificate', 'C,,', 'abcd.default-release')]"

# The databases and files were not changed, locked or joined by -journal/-wal files.
check_eq "nothing written next to the Firefox NSS database" "$(ls "$FF" | tr '\n' ' ')" \
	"addons.json cert9.db extensions.json "
check_eq "nothing written next to ~/.pki/nssdb/cert9.db" "$(ls "$L/root/.pki/nssdb" | tr '\n' ' ')" "cert9.db "

# --- a disabled Kaspersky extension alone ------------------------------------------
D=$T/disabled
mkdir -p "$D/home/dave/.config/chromium/Default" "$D/etc"
echo 'ID=debian' >"$D/etc/os-release"
chext "$D/home/dave/.config/chromium/Default" $UA 1.0 "Kaspersky URL Advisor"
echo "{\"extensions\":{\"settings\":{\"$UA\":{\"state\":0,\"disable_reasons\":1}}}}" \
	>"$D/home/dave/.config/chromium/Default/Preferences"
scan_json "$D" "${ONLY[@]}"
check_eq "disabled extension alone: still found (exit 1)" "$rc" 1
check_eq "disabled extension alone: a remnant (files left, not active), strong id" \
	"$(finding_py "$T/out.json" browser-ext "f and (f['state'], f['confidence'], sorted(set((e['state'], e['active'], e['attrs']['browser']) for e in per_match(f['evidence']))))")" \
	"('remnant', 'strong', [('disabled', False, 'chromium')])"

# --- Windows layout ---------------------------------------------------------------
W=$T/windows
mkdir -p "$W/Windows/System32/config"
: >"$W/Windows/System32/config/SOFTWARE"
# Case differs from the table's spelling, as it may on NTFS.
E="$W/Users/Bob/AppData/Local/microsoft/EDGE/User Data/Profile 1"
mkdir -p "$E"
chext "$E" $UA 2.5.1 "Kaspersky URL Advisor"
echo "{\"extensions\":{\"settings\":{\"$UA\":{\"from_webstore\":false,\"location\":3,\"path\":\"C:\\\\Program Files\\\\Kaspersky Lab\\\\ua\"}}}}" \
	>"$E/Secure Preferences"
WF="$W/Users/Bob/AppData/Roaming/Mozilla/Firefox/Profiles/q1w2e3.default-release"
mkdir -p "$WF"
echo '{"addons":[{"id":"urladvisor@kaspersky.com","version":"4.2","defaultLocale":{"name":"Kaspersky URL Advisor"},"active":true,"path":"C:\\Users\\Bob\\AppData\\Roaming\\Mozilla\\Firefox\\Profiles\\q1w2e3.default-release\\extensions\\urladvisor@kaspersky.com.xpi"}]}' \
	>"$WF/extensions.json"
scan_json "$W" "${ONLY[@]}"
check_eq "windows: exit status 1" "$rc" 1
check "windows: report validates" validate_report "$T/out.json"
check_eq "windows: Edge profile found through case-insensitive lookup" \
	"$(ev "(e['value'], e['path'], e['version'], e['state'], e['attrs']['browser'], e['attrs']['profile'], e['attrs']['user'], e['attrs']['location'], e['attrs']['install_path'])" "e['field']=='name' and e['attrs']['browser']=='edge'")" \
	"[[\"$UA\", \"/Users/Bob/AppData/Local/microsoft/EDGE/User Data/Profile 1/Extensions/$UA\", \"2.5.1\", \"enabled\", \"edge\", \"Profile 1\", \"Bob\", \"external_registry\", \"C:\\\\Program Files\\\\Kaspersky Lab\\\\ua\"]]"
check_eq "windows: Firefox add-on under AppData/Roaming" \
	"$(ev "(e['value'], e['path'], e['attrs']['profile'])" "e['attrs']['browser']=='firefox' and e['field']=='name'")" \
	'[["urladvisor@kaspersky.com", "/Users/Bob/AppData/Roaming/Mozilla/Firefox/Profiles/q1w2e3.default-release/extensions.json", "q1w2e3.default-release"]]'

scan_json "$W"
check_eq "windows, all sources: platform detected, browser sources run, Linux ones absent" \
	"$(jq_py "$T/out.json" "[r['host']['platform']] + [(s['name'], s['status']) for s in r['sources'] if s['name'] in ('dpkg', 'browser-extensions', 'nss-certs')]")" \
	'["windows", ["dpkg", "absent"], ["browser-extensions", "ok"], ["nss-certs", "absent"]]'

# --- macOS layout -----------------------------------------------------------------
M=$T/macos
mkdir -p "$M/System/Library/CoreServices"
printf '<?xml version="1.0"?>\n<plist version="1.0"><dict><key>ProductVersion</key><string>14.4</string></dict></plist>\n' \
	>"$M/System/Library/CoreServices/SystemVersion.plist"
MF="$M/Users/carol/Library/Application Support/Firefox/Profiles/x.default-release"
mkdir -p "$MF"
echo '{"addons":[{"id":"urladvisor@kaspersky.com","version":"4.0","active":false,"userDisabled":true}]}' >"$MF/extensions.json"
mknss "$MF" "Kaspersky Anti-Virus Personal Root Certificate" "$T/kav.pem" "CT,,"
MC="$M/Users/carol/Library/Application Support/Google/Chrome/Default"
mkdir -p "$MC"
chext "$MC" $VK 1.2 "Kaspersky Virtual Keyboard"
scan_json "$M" "${ONLY[@]}"
check_eq "macos: exit status 1" "$rc" 1
check "macos: report validates" validate_report "$T/out.json"
check_eq "macos: Chrome and Firefox profiles of carol" \
	"$(ev "(e['value'], e['state'], e['attrs']['browser'], e['attrs']['profile'], e['attrs']['user'])" "e['field']=='name' and e['kind']=='extension'")" \
	"[[\"$VK\", \"present\", \"chrome\", \"Default\", \"carol\"], [\"urladvisor@kaspersky.com\", \"disabled\", \"firefox\", \"x.default-release\", \"carol\"]]"
check_eq "macos: Firefox root trusted for TLS and client auth (CT,,)" \
	"$(ev "(e['state'], e['attrs']['trust'])" "e['source']=='nss-certs'")" '[["trusted", "CT,,"]]'

scan_json "$M"
check_eq "macos, all sources: platform detected, both browser sources run" \
	"$(jq_py "$T/out.json" "[r['host']['platform']] + [(s['name'], s['status']) for s in r['sources'] if s['name'] in ('browser-extensions', 'nss-certs')]")" \
	'["macos", ["browser-extensions", "ok"], ["nss-certs", "ok"]]'

# --- hostile files ----------------------------------------------------------------
H=$T/hostile
C=$H/home/mallory/.config/chromium
mkdir -p "$C/Default" "$C/Profile 1" "$C/Profile 2" "$H/etc"
echo 'ID=debian' >"$H/etc/os-release"
truncate -s 33M "$C/Default/Preferences"                    # sparse, over the limit
printf '{"extensions":{"settings":{"%s":{"state":1},}}}' $KP >"$C/Profile 1/Preferences"
py -c "print('{\"a\":' * 5000 + '1' + '}' * 5000)" >"$C/Profile 2/Secure Preferences"
chext "$C/Profile 2" $KP 4.0.1.3 "Kaspersky Protection"
printf '{"name": "broken' >"$C/Profile 2/Extensions/$KP/4.0.1.3_0/manifest.json"
mkdir -p "$H/etc/Extensions"
ln -s /etc "$C/Profile 3"                                   # outside: resolved in the root, not followed
ln -s ../../../../../../../../etc "$C/Profile 4"
HF=$H/home/mallory/.mozilla/firefox
mkdir -p "$HF/garbage.default" "$HF/old.default" "$HF/view.default" "$HF/many.default" "$HF/big.default"
head -c 8192 /dev/urandom >"$HF/garbage.default/cert9.db"
: >"$HF/old.default/cert8.db"
sqlite3 "$HF/view.default/cert9.db" \
	"CREATE VIEW nssPublic AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS id, x'00000001' AS a0, NULL AS a3, NULL AS a11 FROM c;"
truncate -s 65M "$HF/big.default/cert9.db"
py -c "
import json
print(json.dumps({'addons': [{'id': 'a%d@example.org' % i, 'active': True} for i in range(10001)]}))" \
	>"$HF/many.default/extensions.json"
echo '{"addons": "nope"}' >"$HF/view.default/extensions.json"
ln -s /nonexistent "$HF/linked.default"
t0=$(date +%s)
scan_json "$H" "${ONLY[@]}"
t1=$(date +%s)
check_eq "hostile: nothing found, and incomplete (exit 2): limits and a refused schema left data unread" "$rc" 2
check "hostile: report validates" validate_report "$T/out.json"
check "hostile: no hang (under 240 s)" test $((t1 - t0)) -lt 240
check "Preferences over EXCISE_MAX_BROWSER_JSON_SIZE: named, not read" \
	has_err browser-extensions "'/home/mallory/.config/chromium/Default/Preferences': larger than 33554432 bytes"
check "invalid JSON: file, line and column" \
	has_err browser-extensions "'/home/mallory/.config/chromium/Profile 1/Preferences': line 1 column"
check "deep nesting: refused by the parser, file named" \
	jq_py_true "any(m.startswith(\"'/home/mallory/.config/chromium/Profile 2/Secure Preferences': line 1 column \") and 'maximum parsing depth reached' in m for s in r['sources'] for m in s['errors'])"
check "broken manifest.json: named" \
	has_err browser-extensions "'/home/mallory/.config/chromium/Profile 2/Extensions/$KP/4.0.1.3_0/manifest.json': line 1"
check_eq "extension with the broken manifest still reported (present, from its folder)" \
	"$(ev "(e['value'], e['state'], e['version'])" "e['field']=='name'")" "[[\"$KP\", \"present\", null]]"
check "symlinked profile pointing outside: not followed, named" \
	has_err browser-extensions "'/home/mallory/.config/chromium/Profile 3': a symlink where a profile folder may be, not followed"
check "relative symlinked profile: not followed, named" \
	has_err browser-extensions "'/home/mallory/.config/chromium/Profile 4': a symlink"
check "extensions.json over EXCISE_MAX_BROWSER_EXTENSIONS: limit named" \
	has_err browser-extensions "'/home/mallory/.mozilla/firefox/many.default/extensions.json': more than 10000 extensions, only the first 10000 read"
check "extensions.json without an addons array: named" \
	has_err browser-extensions "'/home/mallory/.mozilla/firefox/view.default/extensions.json': no \"addons\" array"
check_eq "hostile: 10001 observations (10000 add-ons and the folder)" \
	"$(jq_py "$T/out.json" "[s['observations'] for s in r['sources'] if s['name']=='browser-extensions']")" '[10001]'
check "garbage cert9.db: named" \
	has_err nss-certs "'/home/mallory/.mozilla/firefox/garbage.default/cert9.db': not an SQLite database"
check "cert9.db whose nssPublic is a view: not run, named" \
	has_err nss-certs "'/home/mallory/.mozilla/firefox/view.default/cert9.db': schema object 'nssPublic' is a view, not a plain table: not read"
check "cert9.db over EXCISE_MAX_NSSDB_SIZE: named" \
	has_err nss-certs "'/home/mallory/.mozilla/firefox/big.default/cert9.db': larger than 67108864 bytes"
check "Berkeley DB cert8.db alone, empty: read, refused as damaged, the offset named" \
	has_err nss-certs "'/home/mallory/.mozilla/firefox/old.default/cert8.db': offset 0: shorter than the hash header"
check "symlinked Firefox profile: named" \
	has_err nss-certs "'/home/mallory/.mozilla/firefox/linked.default': a symlink where a profile folder may be"
# Both ran; both are incomplete: limits stopped them (browser-extensions: more extensions than
# EXCISE_MAX_BROWSER_EXTENSIONS; nss-certs: a cert9.db over EXCISE_MAX_NSSDB_SIZE, one refused
# for its schema).
check_eq "hostile: both sources ran, incomplete (failed), 0 certificates" \
	"$(jq_py "$T/out.json" "[(s['name'], s['status']) for s in r['sources'] if s['name'] in ('browser-extensions', 'nss-certs')] + [s['observations'] for s in r['sources'] if s['name']=='nss-certs']")" \
	'[["browser-extensions", "failed"], ["nss-certs", "failed"], 0]'

# --- limits on profiles and users -----------------------------------------------
P=$T/profiles
py - "$P/home/u/.config/google-chrome" <<'PY'
import os, sys
for i in range(1001):
    os.makedirs(os.path.join(sys.argv[1], "Profile %d" % i, "Extensions"))
PY
mkdir -p "$P/etc" && echo 'ID=debian' >"$P/etc/os-release"
scan_json "$P" "${ONLY[@]}"
check "more than EXCISE_MAX_BROWSER_PROFILES profiles: named" \
	has_err browser-extensions "'/home/u/.config/google-chrome': more than 1000 profiles, the rest not read"
U=$T/users
py - "$U/home" <<'PY'
import os, sys
for i in range(10001):
    os.makedirs(os.path.join(sys.argv[1], "u%05d" % i))
PY
mkdir -p "$U/etc" && echo 'ID=debian' >"$U/etc/os-release"
scan_json "$U" "${ONLY[@]}"
check "more than EXCISE_MAX_USERS user folders: named" \
	has_err browser-extensions "'/home': more than 10000 user folders, the rest not read"

# 100001 rows of one valid (unrelated) certificate, and one row that is not DER.
N=$T/nssrows/root/.pki/nssdb
mkdir -p "$N" "$T/nssrows/etc"
echo 'ID=debian' >"$T/nssrows/etc/os-release"
der=$(openssl x509 -in "$T/acme.pem" -outform DER | od -An -v -tx1 | tr -d ' \n')
sqlite3 "$N/cert9.db" "CREATE TABLE nssPublic (id PRIMARY KEY, a0, a3, a11, ace5363b4, ace536358, ace536359, ace53635a, ace53635b);
INSERT INTO nssPublic (id, a0, a3, a11) VALUES (0, x'00000001', 'bad', x'3000');
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100001)
INSERT INTO nssPublic (id, a0, a3, a11) SELECT x, x'00000001', 'n', x'$der' FROM c;"
scan_json "$T/nssrows" "${ONLY[@]}"
check_eq "more than EXCISE_MAX_CERTS_PER_BUNDLE rows in cert9.db: the bad row and the limit named" \
	"$(errs nss-certs)" \
	"[\"'/root/.pki/nssdb/cert9.db': certificate 1 (nssPublic id 0): not a DER certificate\", \"'/root/.pki/nssdb/cert9.db': more than 100000 certificates, only the first 100000 read\"]"
check_eq "99999 certificates observed besides the bad row" \
	"$(jq_py "$T/out.json" "[s['observations'] for s in r['sources'] if s['name']=='nss-certs']")" '[99999]'

# --- nothing of the kind ----------------------------------------------------------
mkdir -p "$T/empty/home/nobody" "$T/empty/etc"
echo 'ID=debian' >"$T/empty/etc/os-release"
scan_json "$T/empty" "${ONLY[@]}"
check_eq "no browser folders: both sources absent" \
	"$(jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name'] in ('browser-extensions', 'nss-certs')]")" \
	'["absent", "absent"]'

done_testing
