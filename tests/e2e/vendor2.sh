#!/bin/bash
# End-to-end: a second vendor added as data only. tests/data/vendor2-catalog.json
# describes a fictional vendor (Zephyr, clearly marked as test data): its products,
# indicators and removal recipes. Signed here with a fresh minisign test key, it is
# used to scan a Debian-like root built with dpkg (a package with the vendor as
# Maintainer, a UI package that depends on it, a systemd unit, files under /opt and
# runtime leftovers only the recipe names), then plan, remove --apply, verify and
# restore; and, with the hive tools, a Windows root whose MSI uninstall takes the
# vendor's properties and removal tool, checked through plan --emit ps1. No C code
# knows this vendor.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

for t in dpkg dpkg-deb minisign python3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done

# ---------------------------------------------------------------- the signed catalog
CAT=$T/vendor2.json
cp "$EXCISE_SRC/tests/data/vendor2-catalog.json" "$CAT"
minisign -G -W -p "$T/test.pub" -s "$T/test.key" >/dev/null 2>&1
minisign -S -s "$T/test.key" -m "$CAT" >/dev/null 2>&1
check "the test catalog is signed with the test key" minisign -V -q -p "$T/test.pub" -m "$CAT"
check "the test catalog lints clean" "$EXCISE" catalog lint "$CAT"
C=(--catalog "$CAT" --trusted-key "$T/test.pub")

# a recipe changed after signing: the catalog is refused (removal facts are signed data)
sed 's/"zephclean.exe"/"evil.exe"/' "$CAT" >"$T/tampered.json"
cp "$CAT.minisig" "$T/tampered.json.minisig"
rc=0
"$EXCISE" scan --root / --catalog "$T/tampered.json" --trusted-key "$T/test.pub" -q >/dev/null 2>"$T/tampered.err" || rc=$?
check_eq "a recipe edited after signing: the catalog is refused (exit 3)" "$rc" 3

# ---------------------------------------------------------------- the Linux root
Z="Zephyr Test Security <pkg@zephyr.invalid>"
_addfile zeph-agent /opt/zephyr/bin/zephd 0755
_addfile zeph-agent /opt/zephyr/lib/engine.so
mkdir -p "$_FIX/zeph-agent/lib/systemd/system"
printf '[Unit]\nDescription=Zephyr Agent\n[Service]\nExecStart=/opt/zephyr/bin/zephd\n[Install]\nWantedBy=multi-user.target\n' \
	>"$_FIX/zeph-agent/lib/systemd/system/zeph-agent.service"
_mkdeb zeph-agent 3.1.4-1 "$Z" "Zephyr Agent (fictional, excise test data)"
_addfile zeph-agent-ui /opt/zephyr/ui/zeph-ui 0755
_mkdeb zeph-agent-ui 3.1.4-1 "$Z" "Zephyr Agent UI (fictional, excise test data)" "zeph-agent (= 3.1.4-1)"
_addfile zeph-agent-lookalike /usr/bin/zeph-agent-lookalike 0755
_mkdeb zeph-agent-lookalike 1.0-1 "Someone Else <dev@other.invalid>" "a zeph-named tool by someone else"

P=$T/pristine
mkdir -p "$P/var/lib/dpkg/info" "$P/var/lib/dpkg/updates" "$P/etc/systemd/system/multi-user.target.wants" "$P/opt/other"
: >"$P/var/lib/dpkg/status"
: >"$P/var/lib/dpkg/available"
dpkg --root="$P" --admindir="$P/var/lib/dpkg" --force-script-chrootless --no-triggers \
	-i "$_FIX/zeph-agent.deb" "$_FIX/zeph-agent-ui.deb" "$_FIX/zeph-agent-lookalike.deb" >"$T/dpkg.log" 2>&1 ||
	{ sed 's/^/# /' "$T/dpkg.log"; echo "Bail out! fixture root"; exit 1; }
printf 'zephyr-host\n' >"$P/etc/hostname"
printf 'fedcba9876543210fedcba9876543210\n' >"$P/etc/machine-id"
printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$P/etc/os-release"
ln -s /lib/systemd/system/zeph-agent.service "$P/etc/systemd/system/multi-user.target.wants/zeph-agent.service"
# what the agent writes at run time: no package owns it, no indicator names it; the recipe does
mkdir -p "$P/var/opt/zephyr/db" "$P/var/log/zephyr/agent"
head -c 5000 /dev/urandom >"$P/var/opt/zephyr/db/state.db"
printf 'started\n' >"$P/var/log/zephyr/agent/agent.log"
printf 'keep me\n' >"$P/opt/other/important.txt"
sleep 1.1 # the plan must be newer than the package database

R=$T/root
cp -a "$P" "$R"
rc=0
"$EXCISE" scan --root "$R" -q >/dev/null 2>&1 || rc=$?
check_eq "the stock catalog knows nothing of the vendor: clean (exit 0)" "$rc" 0
rc=0
"$EXCISE" scan --root "$R" "${C[@]}" --format json -o "$T/report.json" -q >/dev/null 2>"$T/scan.err" || rc=$?
check_eq "with the test catalog the scan finds it (exit 1)" "$rc" 1
check_eq "the findings: the agent and its UI, installed" \
	"$(jq_py "$T/report.json" 'sorted((f["product"]["id"], f["state"]) for f in r["findings"])')" \
	'[["zeph-agent", "installed"], ["zeph-ui", "installed"]]'

rc=0
"$EXCISE" plan "$T/report.json" "${C[@]}" --format json -o "$T/plan.json" 2>"$T/plan.err" || rc=$?
check_eq "plan: exit 0" "$rc" 0
check_eq "plan: the unit stopped and disabled, the UI purged before the agent, the files, the recipe's leftovers" \
	"$(jq_py "$T/plan.json" '" ".join(s["action"] + ":" + s["target"] for s in r["steps"])')" \
	"stop-service:zeph-agent.service disable-service:zeph-agent.service dpkg-purge:zeph-agent-ui dpkg-purge:zeph-agent \
remove-path:/etc/systemd/system/multi-user.target.wants/zeph-agent.service remove-path:/lib/systemd/system/zeph-agent.service \
remove-path:/opt/zephyr remove-path:/var/log/zephyr/agent remove-path:/var/opt/zephyr reload-units:daemon-reload"
check_eq "plan: nothing refused, the lookalike not in it" \
	"$(jq_py "$T/plan.json" '[[k["what"] for k in r["skipped"] if k["refused"]], [s["target"] for s in r["steps"] if "lookalike" in s["target"]]]')" \
	'[[], []]'

rc=0
"$EXCISE" remove --root "$R" --plan "$T/plan.json" "${C[@]}" --apply >"$T/apply.out" 2>&1 || rc=$?
check_eq "remove --apply: exit 0" "$rc" 0
[ "$rc" = 0 ] || sed 's/^/# /' "$T/apply.out"
check_eq "remove: dpkg purged both packages, kept the lookalike" \
	"$(dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Package} ${db:Status-Abbrev}\n' 2>/dev/null | sort | tr '\n' ';')" \
	"zeph-agent-lookalike ii ;"
RUN=$(run_of "$R")
Q=$RUN
check "remove: the leftovers and the enablement link are in quarantine, gone from the root" bash -c "
	test ! -e '$R/var/opt/zephyr' -a ! -e '$R/var/log/zephyr/agent' -a ! -L '$R/etc/systemd/system/multi-user.target.wants/zeph-agent.service' &&
	grep -q '/var/opt/zephyr' '$Q/manifest.jsonl'"
check "remove: unrelated files untouched" cmp "$P/opt/other/important.txt" "$R/opt/other/important.txt"

rc=0
"$EXCISE" verify --root "$R" --run "$RUN" "${C[@]}" >"$T/verify.out" 2>&1 || rc=$?
check_eq "verify with the test catalog: clean (exit 0)" "$rc" 0
check_eq "verify: the attestation names the test catalog and no findings" \
	"$(jq_py "$RUN/attestation.json" '[r["verdict"], r["findings"], r["catalog"]["id"]]')" \
	'["clean", [], "excise-test-vendor2"]'

rc=0
"$EXCISE" restore "$RUN" --root "$R" >"$T/restore.out" 2>&1 || rc=$?
check_eq "restore: exit 0" "$rc" 0
check "restore: the leftovers are back byte-exact" bash -c "
	cmp '$P/var/opt/zephyr/db/state.db' '$R/var/opt/zephyr/db/state.db' && cmp '$P/var/log/zephyr/agent/agent.log' '$R/var/log/zephyr/agent/agent.log'"
check "restore: the packages are named with their versions, to reinstall" grep -q 'dpkg zeph-agent 3.1.4-1' "$T/restore.out"

# ---------------------------------------------------------------- Windows, through the ps1 script
if command -v hivexregedit >/dev/null && command -v hivexsh >/dev/null; then
	# shellcheck source=tests/e2e/winfix.sh
	. "$(dirname "$0")/winfix.sh"
	W=$T/win
	new_root "$W"
	mkdir -p "$W/ProgramData/Zephyr/Logs"
	sw "$W" <<'EOF'
[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{5E1D0C2A-7B3F-4E8D-9A10-2C3B4D5E6F70}]
"DisplayName"="Zephyr Agent"
"DisplayVersion"="3.1.4"
"Publisher"="Zephyr Test Security"
"UninstallString"=sz:MsiExec.exe /X{5E1D0C2A-7B3F-4E8D-9A10-2C3B4D5E6F70}
"WindowsInstaller"=dword:00000001
EOF
	sy "$W" <<'EOF'
[HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\ZephAgent]
"Type"=dword:00000010
"Start"=dword:00000002
"ImagePath"=sz:"C:\Program Files\Zephyr\zephd.exe"
"DisplayName"="Zephyr Agent"
EOF
	rc=0
	"$EXCISE" plan --root "$W" "${C[@]}" --format json -o "$T/win.plan.json" 2>"$T/win.plan.err" || rc=$?
	check_eq "win: plan exit 0" "$rc" 0
	[ "$rc" = 0 ] || sed "s/^/# /" "$T/win.plan.err"
	check_eq "win: the service, the MSI uninstall with the removal tool as fallback, the recipe's leftover" \
		"$(jq_py "$T/win.plan.json" '" ".join(s["action"] + ":" + s["target"] for s in r["steps"])')" \
		"stop-service:ZephAgent msi-uninstall:{5E1D0C2A-7B3F-4E8D-9A10-2C3B4D5E6F70} vendor-remover:zephclean remove-path:/ProgramData/Zephyr"
	check_eq "win: the MSI takes the vendor's properties in their forms, no reboot; the tool its file and args" \
		"$(jq_py "$T/win.plan.json" '[[s["args"], s.get("forms"), s["reboot"], s["path"], s["fallback"]] for s in r["steps"] if s["action"] in ("msi-uninstall", "vendor-remover")]')" \
		'[[["ZEPHADMIN", "ZEPHUNLOCK"], ["user", "password-utf16le-hex"], false, null, false], [["/all", "/quiet"], null, false, "zephclean.exe", true]]'
	"$EXCISE" plan --plan "$T/win.plan.json" --emit ps1 -o "$T/win.ps1"
	check "win: the ps1 script passes the properties in the catalog's forms" grep -qF \
		"if (\$Password) { \$msiArgs += 'ZEPHADMIN=' + \$User; \$msiArgs += 'ZEPHUNLOCK=' + (ConvertTo-Utf16Hex \$Password) }" "$T/win.ps1"
	check "win: the ps1 script runs zephclean.exe from beside it with its arguments" bash -c "
		grep -qF \"\\\$tool = Join-Path \\\$PSScriptRoot 'zephclean.exe'\" '$T/win.ps1' &&
		grep -qF \"Start-Process -FilePath \\\$tool -ArgumentList @('/all', '/quiet') -Wait\" '$T/win.ps1'"
	check "win: and names no other vendor" bash -c "! grep -qi 'kaspersky\|KLLOGIN\|kavrem' '$T/win.ps1'"
else
	ok "# SKIP win: hivex tools not installed"
fi

done_testing
