#!/bin/bash
# End-to-end, issue 12 ("Detection you can trust") on Linux roots: two products side
# by side (the fixture root "linux": KESL and Network Agent installed with dpkg) with
# every piece of evidence under the product whose place holds it; the units
# kess.service and kics.service enabled with no package; an older product's SysV
# script (kav4fs-supervisor) with its rc link; a stray document named after the
# vendor in a home folder, which a --full scan lists as an unattributed trace of the
# vendor, never under a product; and a dpkg and an rpm package of the vendor that the
# catalog does not know, each a finding named after the package.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in dpkg dpkg-deb openssl; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

fnd() { finding_py "$T/out.json" "$1" "$2"; }
# ev_in PRODUCT EXPR: the evidence paths of PRODUCT's finding whose path p satisfies EXPR
ev_in() { jq_py "$T/out.json" "sorted(set(p for f in r['findings'] if f['product']['id']=='$1' for e in f['evidence'] for p in [e['path'] or ''] if $2))"; }

# === 5. two products side by side ==============================================
L=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
scan_json "$L"
check_eq "side by side: found (exit 1)" "$rc" 1
check "side by side: report validates" validate_report "$T/out.json"
check_eq "side by side: KESL and Network Agent installed, each with its version" \
	"$(jq_py "$T/out.json" "sorted((f['product']['id'], f['state'], f['version']) for f in r['findings'] if f.get('kind')=='product')")" \
	"[[\"kesl\", \"installed\", \"$KESL_VER\"], [\"klnagent\", \"installed\", \"$KLN_VER\"]]"
KLN="p.startswith(('/opt/kaspersky/klnagent64', '/var/opt/kaspersky/klnagent')) or p.endswith('/klnagent64.service')"
KESL="p.startswith(('/opt/kaspersky/kesl', '/var/opt/kaspersky/kesl')) or p.endswith('/kesl.service')"
check_eq "side by side: no Network Agent path (/opt/kaspersky/klnagent64, its unit) under KESL" \
	"$(ev_in kesl "$KLN")" '[]'
check_eq "side by side: no KESL path (/opt/kaspersky/kesl, /var/opt/kaspersky/kesl, its unit) under Network Agent" \
	"$(ev_in klnagent "$KESL")" '[]'
check_eq "side by side: every Network Agent path found is under Network Agent" \
	"$(jq_py "$T/out.json" "sorted(set(p for f in r['findings'] for e in f['evidence'] for p in [e['path'] or ''] if $KLN))")" \
	"$(ev_in klnagent "$KLN")"
check_eq "side by side: every KESL path found is under KESL" \
	"$(jq_py "$T/out.json" "sorted(set(p for f in r['findings'] for e in f['evidence'] for p in [e['path'] or ''] if $KESL))")" \
	"$(ev_in kesl "$KESL")"
check_eq "side by side: Network Agent holds its package file, unit and enablement link" \
	"$(ev_in klnagent "p in ('/opt/kaspersky/klnagent64/bin/klnagchk', '/lib/systemd/system/klnagent64.service', '/etc/systemd/system/multi-user.target.wants/klnagent64.service')")" \
	'["/etc/systemd/system/multi-user.target.wants/klnagent64.service", "/lib/systemd/system/klnagent64.service", "/opt/kaspersky/klnagent64/bin/klnagchk"]'
check_eq "side by side: KESL holds its package files, runtime data and unit" \
	"$(ev_in kesl "p in ('/opt/kaspersky/kesl/bin/kesl-control', '/opt/kaspersky/kesl/bin/kesl-gui', '/var/opt/kaspersky/kesl/private/storage.bin', '/lib/systemd/system/kesl.service')")" \
	'["/lib/systemd/system/kesl.service", "/opt/kaspersky/kesl/bin/kesl-control", "/opt/kaspersky/kesl/bin/kesl-gui", "/var/opt/kaspersky/kesl/private/storage.bin"]'
check_eq "side by side: the package names matched, each under its product" \
	"$(jq_py "$T/out.json" "sorted((f['product']['id'], m['value']) for f in r['findings'] for e in f['evidence'] if e['kind']=='package' for m in e['matches'] if m['field']=='name')")" \
	'[["kesl", "kesl"], ["kesl", "kesl-gui"], ["klnagent", "klnagent64"]]'

# === 10. a stray trace in a home folder ========================================
_build_debs || { echo "Bail out! the fixture packages"; exit 1; }
S=$T/stray
mkdir -p "$S/var/lib/dpkg/info" "$S/var/lib/dpkg/updates" "$S/etc" "$S/home/alice/Documents"
: >"$S/var/lib/dpkg/status"
: >"$S/var/lib/dpkg/available"
dpkg --root="$S" --admindir="$S/var/lib/dpkg" --force-script-chrootless --no-triggers -i "$_FIX/kesl.deb" \
	>"$T/dpkg.log" 2>&1 || { sed 's/^/# /' "$T/dpkg.log"; echo "Bail out! dpkg -i kesl"; exit 1; }
printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$S/etc/os-release"
printf '# Notes on removing Kaspersky\n\nkesl-control --stop-task 1\n' >"$S/home/alice/kaspersky-notes.md"
printf 'quarterly report\n' >"$S/home/alice/Documents/report.txt"
scan_json "$S" --full
check_eq "stray: found (exit 1)" "$rc" 1
check "stray: report validates" validate_report "$T/out.json"
check_eq "stray: KESL installed" "$(fnd kesl "f and (f.get('kind'), f['state'])")" "('product', 'installed')"
check_eq "stray: the notes file is in a finding of kind traces, and only there" \
	"$(jq_py "$T/out.json" "sorted(set((f.get('kind'), f['product']['id']) for f in r['findings'] for e in f['evidence'] if e['path']=='/home/alice/kaspersky-notes.md'))")" \
	'[["traces", "kaspersky:traces"]]'
check_eq "stray: the traces finding is named after the vendor, no product" \
	"$(fnd kaspersky:traces "f and (f['product']['name'] == f['vendor']['name'] + ': traces (no product)', f['state'] != 'installed')")" \
	"(True, True)"
check_eq "stray: neither KESL nor Network Agent holds anything under /home" \
	"$(jq_py "$T/out.json" "[e['path'] for f in r['findings'] if f['product']['id'] in ('kesl', 'klnagent') for e in f['evidence'] if (e['path'] or '').startswith('/home/')]")" '[]'
check_eq "stray: the unrelated document is not evidence" \
	"$(jq_py "$T/out.json" "[e['path'] for f in r['findings'] for e in f['evidence'] if 'report.txt' in (e['path'] or '')]")" '[]'
# the notes and a research paper alone, on a host with no product: traces, nothing else
S2=$T/stray-alone
mkdir -p "$S2/etc" "$S2/var/lib/dpkg" "$S2/home/alice/research"
printf 'ID=debian\n' >"$S2/etc/os-release"
: >"$S2/var/lib/dpkg/status"
cp "$S/home/alice/kaspersky-notes.md" "$S2/home/alice/"
printf '%%PDF-1.4\n%% a paper on Kaspersky Lab telemetry\n' >"$S2/home/alice/research/kaspersky_lab_telemetry.pdf"
scan_json "$S2" --full
check "stray alone: report validates" validate_report "$T/out.json"
check_eq "stray alone: one finding, the vendor's traces, not installed" \
	"$(jq_py "$T/out.json" "[(f.get('kind'), f['product']['id'], f['state'] not in ('installed', 'running')) for f in r['findings']]")" \
	'[["traces", "kaspersky:traces", true]]'
check_eq "stray alone: both files are its evidence" \
	"$(fnd kaspersky:traces "f and sorted(e['path'] for e in f['evidence'])")" \
	"['/home/alice/kaspersky-notes.md', '/home/alice/research/kaspersky_lab_telemetry.pdf']"
# the same on the two-product root: its notes-about-kaspersky.txt is a trace too
scan_json "$L" --full
check_eq "stray on the linux fixture (--full): /opt/other/notes-about-kaspersky.txt only as a trace" \
	"$(jq_py "$T/out.json" "sorted(set((f.get('kind'), f['product']['id']) for f in r['findings'] for e in f['evidence'] if e['path']=='/opt/other/notes-about-kaspersky.txt'))")" \
	'[["traces", "kaspersky:traces"]]'
check "stray on the linux fixture (--full): report validates" validate_report "$T/out.json"

# === 3. a package of the vendor that the catalog does not know ====================
# A dpkg package (built with dpkg-deb, installed with dpkg --root) and an rpm package
# (rpmbuild, rpm --root) whose Maintainer / Vendor is the vendor and whose name no
# indicator knows: a strong finding named after the package, as an Uninstall entry on
# Windows is ("<name> <version>, not in catalog").
# unlisted_checks NAME NAMEVERSION: the checks over $T/out.json
unlisted_checks() {
	check_eq "$1: found (exit 1)" "$rc" 1
	check "$1: report validates" validate_report "$T/out.json"
	check_eq "$1: one finding, of kind unlisted, strong, installed" \
		"$(jq_py "$T/out.json" "[(f.get('kind'), f['confidence'] in ('strong', 'definitive'), f['state']) for f in r['findings']]")" \
		'[["unlisted", true, "installed"]]'
	check_eq "$1: named after the package" \
		"$(jq_py "$T/out.json" "[(f['product']['id'].startswith('kaspersky:unlisted:'), f['product']['name']) for f in r['findings']]")" \
		"[[true, \"$2, not in catalog\"]]"
	check_eq "$1: the summary counts it as installed" \
		"$(jq_py "$T/out.json" "(r['summary']['verdict'], r['summary']['by_state']['installed'])")" "('found', 1)"
}
P=$T/unlisted-deb
mkdir -p "$P/var/lib/dpkg/info" "$P/var/lib/dpkg/updates" "$P/etc"
: >"$P/var/lib/dpkg/status"
: >"$P/var/lib/dpkg/available"
printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$P/etc/os-release"
_addfile kfoo-agent /usr/lib/kfoo-agent/kfoo 0755
_mkdeb kfoo-agent 3.1.0-42 "Kaspersky Lab <support@kaspersky.com>" "Foo agent" ||
	{ echo "Bail out! dpkg-deb kfoo-agent"; exit 1; }
dpkg --root="$P" --admindir="$P/var/lib/dpkg" --force-script-chrootless --no-triggers -i "$_FIX/kfoo-agent.deb" \
	>"$T/dpkg.log" 2>&1 || { sed 's/^/# /' "$T/dpkg.log"; echo "Bail out! dpkg -i kfoo-agent"; exit 1; }
scan_json "$P"
unlisted_checks "unlisted dpkg package (Maintainer Kaspersky Lab)" "kfoo-agent 3.1.0-42"
check_eq "unlisted dpkg package: its evidence is the package, matched by its Maintainer" \
	"$(jq_py "$T/out.json" "sorted((e['kind'], e['source'], sorted(set(m['field'] for m in e['matches']))) for f in r['findings'] for e in f['evidence'] if e['kind']=='package')")" \
	'[["package", "dpkg", ["publisher"]]]'
if command -v rpmbuild >/dev/null && command -v rpm >/dev/null; then
	mkrpm kbar-server 2.5.1 7 "AO Kaspersky Lab" "Bar server" "" /opt/kbar/bin/kbard ||
		{ echo "Bail out! rpmbuild kbar-server"; exit 1; }
	P=$T/unlisted-rpm
	mkdir -p "$P/etc"
	printf 'ID=rhel\nPRETTY_NAME="Red Hat Enterprise Linux 9"\n' >"$P/etc/os-release"
	rpm --root "$P" --dbpath /var/lib/rpm --nodeps --noscripts -i "$RPMS/kbar-server-2.5.1-7.$(uname -m).rpm" \
		>"$T/rpm.log" 2>&1 || { sed 's/^/# /' "$T/rpm.log"; echo "Bail out! rpm -i kbar-server"; exit 1; }
	scan_json "$P"
	unlisted_checks "unlisted rpm package (Vendor AO Kaspersky Lab)" "kbar-server 2.5.1-7"
	check_eq "unlisted rpm package: its evidence is the package, matched by its Vendor" \
		"$(jq_py "$T/out.json" "sorted((e['kind'], e['source'], sorted(set(m['field'] for m in e['matches']))) for f in r['findings'] for e in f['evidence'] if e['kind']=='package')")" \
		'[["package", "rpm", ["publisher"]]]'
else
	ok "unlisted rpm package # SKIP rpmbuild or rpm not installed"
fi

# === 6. kess.service and kics.service, no package ================================
U=$T/units
mkdir -p "$U/usr/lib/systemd/system" "$U/etc/systemd/system/multi-user.target.wants" "$U/var/lib/dpkg"
printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$U/etc/os-release"
: >"$U/var/lib/dpkg/status"
unit() { # NAME DESCRIPTION EXEC
	printf '[Unit]\nDescription=%s\nAfter=network.target\n\n[Service]\nType=forking\nExecStart=%s\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n' \
		"$2" "$3" >"$U/usr/lib/systemd/system/$1.service"
	ln -s "/usr/lib/systemd/system/$1.service" "$U/etc/systemd/system/multi-user.target.wants/$1.service"
}
unit kess "Kaspersky Embedded Systems Security" /opt/kaspersky/kess/libexec/kess
unit kics "Kaspersky Industrial CyberSecurity for Linux Nodes" /opt/kaspersky/kics/libexec/kics
unit sshd "OpenBSD Secure Shell server" "/usr/sbin/sshd -D"
scan_json "$U"
check_eq "units: found (exit 1)" "$rc" 1
check "units: report validates" validate_report "$T/out.json"
check_eq "units: kess and kics, each installed (an enabled unit), no other product" \
	"$(jq_py "$T/out.json" "sorted((f['product']['id'], f.get('kind'), f['state']) for f in r['findings'])")" \
	'[["kess", "product", "installed"], ["kics", "product", "installed"]]'
for u in kess kics; do
	check_eq "units: the unit $u.service matched by its name, under $u" \
		"$(fnd $u "f and any(e['kind']=='service' and e['path']=='/usr/lib/systemd/system/$u.service' and any(m['field']=='name' for m in e['matches']) for e in f['evidence'])")" True
	check_eq "units: the enablement link of $u.service under $u" \
		"$(fnd $u "f and any(e['path']=='/etc/systemd/system/multi-user.target.wants/$u.service' for e in f['evidence'])")" True
done
check_eq "units: sshd is not evidence" \
	"$(jq_py "$T/out.json" "[e['path'] for f in r['findings'] for e in f['evidence'] if 'sshd' in (e['path'] or '')]")" '[]'

# === 7. an older product's SysV script =========================================
V=$T/sysv
mkdir -p "$V/etc/init.d" "$V/etc/rc2.d" "$V/etc/rc3.d" "$V/etc/rc0.d" "$V/var/lib/dpkg"
printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 6.0 (squeeze)"\n' >"$V/etc/os-release"
: >"$V/var/lib/dpkg/status"
cat >"$V/etc/init.d/kav4fs-supervisor" <<'EOF'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          kav4fs-supervisor
# Required-Start:    $local_fs $remote_fs $network $syslog
# Required-Stop:     $local_fs $remote_fs $network $syslog
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Kaspersky Anti-Virus for Linux File Server supervisor
# Description:       Starts and stops the supervisor of Kaspersky Anti-Virus
#                    for Linux File Server.
### END INIT INFO
DAEMON=/opt/kaspersky/kav4fs/libexec/kav4fs-supervisor
PIDFILE=/var/run/kav4fs-supervisor.pid
case "$1" in
start) start-stop-daemon --start --pidfile "$PIDFILE" --exec "$DAEMON" ;;
stop) start-stop-daemon --stop --pidfile "$PIDFILE" ;;
esac
EOF
chmod 755 "$V/etc/init.d/kav4fs-supervisor"
ln -s ../init.d/kav4fs-supervisor "$V/etc/rc2.d/S20kav4fs-supervisor"
ln -s ../init.d/kav4fs-supervisor "$V/etc/rc3.d/S20kav4fs-supervisor"
ln -s ../init.d/kav4fs-supervisor "$V/etc/rc0.d/K20kav4fs-supervisor"
printf '#!/bin/sh\n### BEGIN INIT INFO\n# Provides: cron\n# Short-Description: Regular background program processing daemon\n### END INIT INFO\n' \
	>"$V/etc/init.d/cron"
ln -s ../init.d/cron "$V/etc/rc2.d/S01cron"
scan_json "$V"
check_eq "sysv: found (exit 1)" "$rc" 1
check "sysv: report validates" validate_report "$T/out.json"
check_eq "sysv: product kav4fs, and no other" \
	"$(jq_py "$T/out.json" "sorted((f['product']['id'], f.get('kind')) for f in r['findings'])")" '[["kav4fs", "product"]]'
check_eq "sysv: the script, enabled by its start links, is an installed product" \
	"$(fnd kav4fs "f and f['state']")" installed
check_eq "sysv: the script and its rc links are kav4fs's evidence" \
	"$(fnd kav4fs "f and sorted(set(e['path'] for e in f['evidence'] if e['source']=='sysv'))")" \
	"['/etc/init.d/kav4fs-supervisor', '/etc/rc0.d/K20kav4fs-supervisor', '/etc/rc2.d/S20kav4fs-supervisor', '/etc/rc3.d/S20kav4fs-supervisor']"
check_eq "sysv: cron is not evidence" \
	"$(jq_py "$T/out.json" "[e['path'] for f in r['findings'] for e in f['evidence'] if 'cron' in (e['path'] or '')]")" '[]'

done_testing
