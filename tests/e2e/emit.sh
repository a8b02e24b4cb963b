#!/bin/bash
# End-to-end: the scripts `excise plan --emit` writes, for plans made from fixture
# roots built with the real tools (dpkg, rpm, hivex, plistutil). Every sh script,
# for an offline root and for the same plan on a live host, must pass shellcheck
# and parse with dash; the offline ones are then run for real on a copy of their
# root and the rescan must find only what the script says it leaves. The ps1
# script (pwsh is not in Debian) is compared with a golden file, as is one sh
# script, and parsed by pwsh when it is installed.
#
# EXCISE_UPDATE_GOLDEN=1 rewrites tests/golden/ from this run instead of comparing.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"
# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"
# shellcheck source=tests/e2e/macfix.sh
. "$(dirname "$0")/macfix.sh"

for t in shellcheck dash dpkg-deb python3 openssl; do
	command -v $t >/dev/null || skip_all "$t not installed"
done

# plan_of ROOT NAME: scan ROOT and plan it as $T/NAME.plan.json (offline) and
# $T/NAME-live.plan.json (the same plan for the host itself)
plan_of() {
	"$EXCISE" scan --root "$1" --format json -o "$T/$2.report.json" -q >/dev/null 2>"$T/$2.scan.err"
	"$EXCISE" plan "$T/$2.report.json" --format json -o "$T/$2.plan.json" 2>"$T/$2.plan.err" ||
		sed 's/^/# /' "$T/$2.plan.err"
	py - "$T/$2.plan.json" "$T/$2-live.plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["host"]["live"], p["host"]["root"] = True, "/"
json.dump(p, open(sys.argv[2], "w"))
PY
}

# steps NAME: the plan's steps, one "action target" a line (and the file, for a certificate)
steps() {
	py -c 'import json,sys; [print(s["action"], s["target"] if s["action"] != "remove-cert" else s["path"]) for s in json.load(open(sys.argv[1]))["steps"]]' "$T/$1.plan.json"
}
n_steps() { py -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["steps"]))' "$T/$1.plan.json"; }
# refused NAME: the skipped entries a safety rule refused
refused() { py -c 'import json,sys; [print(k["what"], k["why"]) for k in json.load(open(sys.argv[1]))["skipped"] if k["refused"]]' "$T/$1.plan.json"; }

# sh_checks NAME: both scripts of the plan pass shellcheck and parse with dash
sh_checks() {
	local n
	for n in "$1" "$1-live"; do
		"$EXCISE" plan --plan "$T/$n.plan.json" --emit sh -o "$T/$n.sh"
		check "$n: the sh script passes shellcheck" shellcheck -s sh "$T/$n.sh"
		check "$n: the sh script parses with dash" dash -n "$T/$n.sh"
	done
}

# normalize FILE ROOT REPORT-ID [CERT-SHA256]: what changes from run to run (the fixture
# certificate's key is made afresh) replaced by fixed words
normalize() {
	sed -e "s|$2|/ROOT|g" -e "s|$3|REPORT-ID|g" -e "s|${4:-no certificate}|CERT-SHA256|g" \
		-e 's|^# made: .*|# made: TIME|' "$1"
}


report_id() { py -c 'import json,sys; print(json.load(open(sys.argv[1]))["report_id"])' "$T/$1.report.json"; }

# ---------------------------------------------------------------- dpkg
D=$(fixture linux) || { echo "Bail out! fixture root"; exit 1; }
plan_of "$D" deb
check_eq "deb: no step refused" "$(refused deb)" ""
check_eq "deb: the plan's steps" "$(steps deb | tr '\n' ';')" \
"stop-service kesl.service;stop-service klnagent64.service;disable-service kesl.service;\
disable-service klnagent64.service;dpkg-purge kesl-gui;dpkg-purge kesl;dpkg-purge klnagent64;\
remove-path /etc/systemd/system/multi-user.target.wants/kesl.service;\
remove-path /etc/systemd/system/multi-user.target.wants/klnagent64.service;\
remove-path /lib/systemd/system/kesl.service;remove-path /lib/systemd/system/klnagent64.service;\
remove-path /opt/kaspersky;remove-path /var/opt/kaspersky;\
remove-cert /etc/ssl/certs/ca-certificates.crt;remove-cert /etc/ssl/certs/ea2e8480.0;\
remove-cert /etc/ssl/certs/kaspersky-fixture.pem;remove-cert /usr/local/share/ca-certificates/kaspersky-fixture.crt;\
regenerate-trust trust-store;reload-units daemon-reload;"
sh_checks deb
cert=$(py -c 'import json,sys; print([s["target"] for s in json.load(open(sys.argv[1]))["steps"] if s["action"] == "remove-cert"][0])' "$T/deb.plan.json")
normalize "$T/deb.sh" "$D" "$(report_id deb)" "$cert" >"$T/deb.sh.norm"
golden kes-linux-offline.sh "$T/deb.sh.norm"

# run the offline script on a copy of the root
R=$T/deb-run
cp -a "$D" "$R"
tree_sums "$R" | grep -v -E ' \./(opt/kaspersky|var/opt/kaspersky|etc/opt/kaspersky|var/lib/dpkg|lib/systemd/system/(kesl|klnagent64)\.service|usr/local/share/ca-certificates/kaspersky-fixture\.crt|etc/ssl/certs)' >"$T/deb.sums.before"
sed "s|^ROOT=.*|ROOT='$R'|" "$T/deb.sh" >"$T/deb-run.sh"
rc=0
EXCISE_LOG=$T/deb-run.log EXCISE_QUARANTINE=$T/deb-q sh "$T/deb-run.sh" >"$T/deb-run.out" 2>&1 || rc=$?
check_eq "deb: the offline script runs to the end (exit 0)" "$rc" 0
[ "$rc" = 0 ] || tail -20 "$T/deb-run.out" | sed 's/^/# /'
check_eq "deb: the script logged every step" "$(grep -c ' step [0-9]*/[0-9]*: ' "$T/deb-run.log")" "$(n_steps deb)"
check_eq "deb: dpkg purged the vendor's packages, kept the others" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Package} ${db:Status-Abbrev}\n' 2>/dev/null | sort | tr '\n' ';')" \
	"hello-fixture ii ;kesl-lookalike ii ;"
check "deb: the leftovers are in the quarantine folder" test -d "$T/deb-q/files/var/opt/kaspersky" -a ! -e "$R/var/opt/kaspersky"
tree_sums "$R" | grep -v -E ' \./(opt/kaspersky|var/opt/kaspersky|etc/opt/kaspersky|var/lib/dpkg|lib/systemd/system/(kesl|klnagent64)\.service|usr/local/share/ca-certificates/kaspersky-fixture\.crt|etc/ssl/certs)' >"$T/deb.sums.after"
check "deb: unrelated files byte-identical" cmp "$T/deb.sums.before" "$T/deb.sums.after"
rc=0
"$EXCISE" scan --root "$R" --format json -o "$T/deb-after.json" -q >/dev/null 2>&1 || rc=$?
check_eq "deb: the rescan finds only the trust bundle the script says it leaves" \
	"$(py -c 'import json,sys; print(sorted({(e["source"], e["path"]) for f in json.load(open(sys.argv[1]))["findings"] if f["confidence"] in ("strong","definitive") for e in per_match(f["evidence"]) if e["indicator"]["confidence"] in ("strong","definitive")}))' "$T/deb-after.json")" \
	"[('truststore', '/etc/ssl/certs/ca-certificates.crt')]"
check "deb: the script said so" grep -q "leaves when the trust store is regenerated" "$T/deb-run.log"

# a leftover tree of more files than a plan may have steps: one step removes it
L=$T/deb-many
cp -a "$D" "$L"
py -c '
import os, sys
for i in range(10050):
    d = os.path.join(sys.argv[1], "%02d" % (i % 50))
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "base-%05d.kdc" % i), "w").write("x")
' "$L/var/opt/kaspersky/kesl/bases"
plan_of "$L" deb-many
check_eq "deb: 10050 leftover files under /var/opt/kaspersky are one step" \
	"$(steps deb-many | grep -c '^remove-path /var/opt/kaspersky')" 1
check_eq "deb: and the plan has the same steps as without them" "$(steps deb-many)" "$(steps deb)"

# a source that fails: the plan says what it could not see
F=$T/deb-failed
cp -a "$D" "$F"
mkdir -p "$F/var/lib/rpm"
head -c 8192 /dev/urandom >"$F/var/lib/rpm/rpmdb.sqlite"
plan_of "$F" deb-failed
check "deb: a failed source (a corrupt RPM database) is named among the skipped, not refused" py -c '
import json, sys
p = json.load(open(sys.argv[1]))
k = [k for k in p["skipped"] if k["what"] == "source rpm"]
assert k and not k[0]["refused"] and k[0]["why"].startswith("failed (") and "not in this plan" in k[0]["why"], k
' "$T/deb-failed.plan.json"
check_eq "deb: and the rest of the plan is the same" "$(steps deb-failed)" "$(steps deb)"

# ---------------------------------------------------------------- rpm
if command -v rpmbuild >/dev/null && command -v rpm >/dev/null; then
	P=$T/rpm
	fixture_copy rpm "$P"
	plan_of "$P" rpm
	check_eq "rpm: no step refused" "$(refused rpm)" ""
	check_eq "rpm: erases kesl-gui before kesl, then the leftovers" "$(steps rpm | tr '\n' ';')" \
"stop-service kesl.service;disable-service kesl.service;rpm-erase kesl-gui;rpm-erase kesl;remove-path /opt/kaspersky;\
remove-path /usr/lib/systemd/system/kesl.service;remove-path /var/opt/kaspersky;reload-units daemon-reload;"
	sh_checks rpm
	rc=0
	EXCISE_LOG=$T/rpm-run.log EXCISE_QUARANTINE=$T/rpm-q sh "$T/rpm.sh" >"$T/rpm-run.out" 2>&1 || rc=$?
	check_eq "rpm: the offline script runs to the end (exit 0)" "$rc" 0
	[ "$rc" = 0 ] || tail -20 "$T/rpm-run.out" | sed 's/^/# /'
	check_eq "rpm: rpm erased kesl and kesl-gui, kept acme-av" \
		"$(rpm --root "$P" --dbpath /var/lib/rpm -q --qf '%{NAME}\n' kesl kesl-gui acme-av 2>&1 | sort | tr '\n' ' ')" \
		"acme-av package kesl is not installed package kesl-gui is not installed "
	rc=0
	"$EXCISE" scan --root "$P" -q >/dev/null 2>&1 || rc=$?
	check_eq "rpm: the rescan is clean (exit 0)" "$rc" 0
else
	ok "# SKIP rpm: rpmbuild not installed"
fi

# ---------------------------------------------------------------- macOS
if command -v plistutil >/dev/null; then
	M=$T/mac
	fixture_copy kes-macos "$M"
	# as on a real macOS volume, /var is a symlink to private/var
	mkdir -p "$M/private"
	mv "$M/var" "$M/private/var"
	ln -s private/var "$M/var"
	# the uninstaller the product bundles: a program of the image, never run from it here
	printf '#!/bin/sh\ntouch /tmp/excise-emit-uninstaller-ran\n' \
		>"$M/Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript"
	chmod +x "$M/Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript"
	rm -f /tmp/excise-emit-uninstaller-ran
	plan_of "$M" mac
	check_eq "mac: no step refused" "$(refused mac)" ""
	check_eq "mac: jobs stopped by label, kext unloaded, the uninstaller, the files, the receipts forgotten" "$(steps mac | tr '\n' ';')" \
"stop-service com.kaspersky.kav;stop-service com.kaspersky.kav.gui;stop-service com.kaspersky.klnagent;\
unload-module com.kaspersky.kext.klif;\
vendor-remover /Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript;remove-path /Applications/Kaspersky Anti-Virus For Mac.app;\
remove-path /Library/Application Support/Kaspersky Lab;remove-path /Library/Extensions/klif.kext;\
remove-path /Library/LaunchAgents/com.kaspersky.kav.gui.plist;remove-path /Library/LaunchDaemons/com.kaspersky.kav.plist;\
remove-path /Library/LaunchDaemons/com.kaspersky.klnagent.plist;remove-path /Library/Logs/Kaspersky Lab;\
remove-path /Library/Receipts/Kaspersky Network Agent.pkg;\
remove-path /private/var/db/receipts/com.kaspersky.kav.core.bom;remove-path /private/var/db/receipts/com.kaspersky.kav.core.plist;\
remove-path /private/var/db/receipts/com.kaspersky.kav.oas.bom;remove-path /private/var/db/receipts/com.kaspersky.kav.oas.plist;\
remove-path /private/var/db/receipts/com.kaspersky.kav.wksconnector.bom;\
remove-path /private/var/db/receipts/com.kaspersky.kav.wksconnector.plist;"
	sh_checks mac
	check_eq "mac: the vendor's uninstaller is a live-only step" \
		"$(py -c 'import json,sys; print([s["live_only"] for s in json.load(open(sys.argv[1]))["steps"] if s["action"] == "vendor-remover"])' "$T/mac.plan.json")" \
		"[True]"
	# the offline script on a copy of the image: files quarantined, the image's uninstaller not run
	cp -a "$M" "$T/mac-run"
	sed "s|^ROOT=.*|ROOT='$T/mac-run'|" "$T/mac.sh" >"$T/mac-run.sh"
	rc=0
	EXCISE_LOG=$T/mac-run.log EXCISE_QUARANTINE=$T/mac-q sh "$T/mac-run.sh" >"$T/mac-run.out" 2>&1 || rc=$?
	check_eq "mac: the offline script runs to the end (exit 0)" "$rc" 0
	[ "$rc" = 0 ] || tail -20 "$T/mac-run.out" | sed 's/^/# /'
	check "mac: the image's uninstaller was not run" test ! -e /tmp/excise-emit-uninstaller-ran
	check "mac: the product's folders are in the quarantine folder" \
		test -d "$T/mac-q/files/Library/Application Support/Kaspersky Lab" -a ! -e "$T/mac-run/Applications/Kaspersky Anti-Virus For Mac.app"
	rc=0
	"$EXCISE" scan --root "$T/mac-run" -q >/dev/null 2>&1 || rc=$?
	check_eq "mac: the rescan of the image is clean (exit 0)" "$rc" 0
else
	ok "# SKIP mac: plistutil not installed"
fi

# ---------------------------------------------------------------- Windows
if command -v hivexregedit >/dev/null && command -v hivexsh >/dev/null; then
	W=$T/win
	fixture_copy kes-windows "$W"
	mkdir -p "$W/Program Files (x86)/Kaspersky Lab/KES.12.9.0"
	printf 'MZ' >"$W/Program Files (x86)/Kaspersky Lab/KES.12.9.0/avp.exe"
	plan_of "$W" win
	check_eq "win: no step refused" "$(refused win)" ""
	check_eq "win: services, both MSI uninstalls with the removal tool as fallback, files, the outermost keys" \
		"$(steps win | tr '\n' ';')" \
"stop-service AVP;stop-service klif;stop-service klnagent;msi-uninstall {9A017278-F7F4-4DF9-A482-0B97B70DD7ED};\
msi-uninstall {2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B};vendor-remover kavremover;\
remove-path /Program Files (x86)/Kaspersky Lab/KES.12.9.0;remove-path /Program Files (x86)/Kaspersky Lab/NetworkAgent;\
remove-path /Windows/System32/drivers/klif.sys;\
delete-registry-key HKLM\\SOFTWARE\\KasperskyLab;delete-registry-key HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab;"
	check_eq "win: KES takes KLLOGIN/KLPASSWD, Network Agent KLUNINSTPASSWD" \
		"$(py -c 'import json,sys; [print(s["target"], s["args"]) for s in json.load(open(sys.argv[1]))["steps"] if s["action"]=="msi-uninstall"]' "$T/win.plan.json" | tr '\n' ';')" \
		"{9A017278-F7F4-4DF9-A482-0B97B70DD7ED} ['KLLOGIN', 'KLPASSWD'];{2924BEDA-E0D7-4DAF-A224-50D2E0B12F5B} ['KLUNINSTPASSWD'];"
	"$EXCISE" plan --plan "$T/win.plan.json" --emit ps1 -o "$T/win.ps1"
	normalize "$T/win.ps1" "$W" "$(report_id win)" >"$T/win.ps1.norm"
	golden kes-windows.ps1 "$T/win.ps1.norm"
	if command -v pwsh >/dev/null; then
		check "win: pwsh parses the ps1 script" pwsh -NoProfile -NonInteractive -Command \
			"\$e = \$null; [void][System.Management.Automation.Language.Parser]::ParseFile('$T/win.ps1', [ref]\$null, [ref]\$e); if (\$e) { \$e | ForEach-Object { \$_.ToString() }; exit 1 }"
	elif command -v node >/dev/null && [ -e "${EXCISE_PS_PARSER:-/usr/local/lib/excise-test/ps-parser}/node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm" ]; then
		check "win: the tree-sitter PowerShell grammar parses the ps1 script" node "$EXCISE_SRC/tests/e2e/ps-parse.cjs" \
			"${EXCISE_PS_PARSER:-/usr/local/lib/excise-test/ps-parser}" "$T/win.ps1"
	else
		ok "# SKIP win: pwsh not installed (not in Debian's archive), nor the tree-sitter grammar (tools/install-deps); the golden file stands in"
	fi
else
	ok "# SKIP win: hivex tools not installed"
fi

done_testing
