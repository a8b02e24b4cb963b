#!/bin/bash
# End-to-end: the dpkg source over fixture roots where real .deb packages, laid out
# like Kaspersky's, were installed with dpkg --root (no maintainer scripts).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v dpkg-deb >/dev/null || skip_all "dpkg-deb not installed"
command -v dpkg >/dev/null || skip_all "dpkg not installed"

KESL_VER=12.1.0-1191
KLN_VER=15.0.0-8812
MAINT="AO Kaspersky Lab <support@kaspersky.com>"

# mkdeb NAME VERSION DESCRIPTION [DEPENDS]: control file from $T/src/NAME; files already there.
mkdeb() {
	local name=$1 ver=$2 desc=$3 dep=${4:-} d=$T/src/$1
	mkdir -p "$d/DEBIAN"
	{
		echo "Package: $name"
		echo "Version: $ver"
		echo "Architecture: amd64"
		echo "Maintainer: ${MAINTAINER:-$MAINT}"
		echo "Section: misc"
		echo "Priority: optional"
		[ -n "$dep" ] && echo "Depends: $dep"
		echo "Description: $desc"
		echo " Test fixture built by excise's test suite."
		echo " ."
		echo " Second paragraph of the long description."
	} >"$d/DEBIAN/control"
	if [ -d "$d/etc" ]; then
		(cd "$d" && find etc -type f | sed 's,^,/,') >"$d/DEBIAN/conffiles"
	fi
	dpkg-deb --root-owner-group --build "$d" "$T/$name.deb" >/dev/null
}

# addfile PKG PATH [MODE]: a small file in the package tree.
addfile() {
	local f=$T/src/$1$2
	mkdir -p "$(dirname "$f")"
	printf '#!/bin/sh\n# fixture for %s\n' "$2" >"$f"
	chmod "${3:-0644}" "$f"
}

# newroot DIR: an empty dpkg admin directory.
newroot() {
	mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates"
	: >"$1/var/lib/dpkg/status"
	: >"$1/var/lib/dpkg/available"
}

dpkg_root() {
	local r=$1; shift
	dpkg --root="$r" --admindir="$r/var/lib/dpkg" --force-not-root --force-script-chrootless \
		--force-depends --no-triggers "$@" >"$T/dpkg.log" 2>&1 || {
		sed 's/^/# /' "$T/dpkg.log"
		return 1
	}
}

# scan ROOT [ARGS]: scan_json, never leaving an earlier report in place.
scan() {
	rm -f "$T/out.json"
	scan_json "$@"
	[ "$rc" -le 1 ] || sed 's/^/# /' "$T/scan.err" | head -20
	if grep -qE 'runtime error|Sanitizer' "$T/scan.err"; then
		not_ok "excise scan $* ran without a sanitizer report"
		sed 's/^/# /' "$T/scan.err" | head -20
	fi
	[ -s "$T/out.json" ] || echo '{"sources":[],"findings":[]}' >"$T/out.json"
}

# --- packages ---
addfile kesl /opt/kaspersky/kesl/bin/kesl-control 0755
addfile kesl /opt/kaspersky/kesl/bin/kesl 0755
addfile kesl /opt/kaspersky/kesl/bin/kesl-setup.pl 0755
addfile kesl /var/opt/kaspersky/kesl/common/kesl.ini
addfile kesl /lib/systemd/system/kesl.service
addfile kesl /lib/systemd/system/kesl-supervisor.service
printf '[Unit]\nDescription=Kaspersky Endpoint Security for Linux\n[Service]\nExecStart=/opt/kaspersky/kesl/libexec/kesl\n' \
	>"$T/src/kesl/lib/systemd/system/kesl.service"
printf '[Unit]\nDescription=Kaspersky Endpoint Security for Linux supervisor\n[Service]\nExecStart=/opt/kaspersky/kesl/libexec/kesl_launcher.sh\n' \
	>"$T/src/kesl/lib/systemd/system/kesl-supervisor.service"
mkdeb kesl "$KESL_VER" "Kaspersky Endpoint Security for Linux"

addfile kesl-gui /opt/kaspersky/kesl/bin/kesl-gui 0755
mkdeb kesl-gui "$KESL_VER" "Kaspersky Endpoint Security for Linux GUI" "kesl (= $KESL_VER)"

addfile klnagent64 /opt/kaspersky/klnagent64/bin/klnagchk 0755
addfile klnagent64 /opt/kaspersky/klnagent64/lib/bin/setup/postinstall.pl 0755
addfile klnagent64 /lib/systemd/system/klnagent64.service
addfile klnagent64 /etc/opt/kaspersky/klnagent64/klnagent.conf
mkdeb klnagent64 "$KLN_VER" "Kaspersky Security Center Network Agent"

addfile hello-fixture /usr/bin/hello-fixture 0755
MAINTAINER="Fixture Maintainer <fixture@example.org>" \
	mkdeb hello-fixture 2.10-3 "example package that prints a greeting"

# --- root 1: kesl, kesl-gui, klnagent64 and an unrelated package, all installed ---
R1=$T/root1
newroot "$R1"
check "install fixture packages into root1" \
	dpkg_root "$R1" -i "$T/kesl.deb" "$T/kesl-gui.deb" "$T/klnagent64.deb" "$T/hello-fixture.deb"
check_eq "dpkg-query sees kesl installed in root1" \
	"$(dpkg-query --admindir="$R1/var/lib/dpkg" -W -f='${Status} ${Version}' kesl 2>&1)" \
	"install ok installed $KESL_VER"

scan "$R1" --only dpkg
check_eq "root1 --only dpkg: exit 1 (covered software found)" "$rc" 1
check_eq "dpkg source ran ok" \
	"$(jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name']=='dpkg']")" '["ok"]'
check_eq "dpkg source observed 4 packages, no errors" \
	"$(jq_py "$T/out.json" "[(s['observations'], s['n_errors']) for s in r['sources'] if s['name']=='dpkg']")" \
	'[[4, 0]]'
check_eq "only dpkg ran" \
	"$(jq_py "$T/out.json" "sorted(s['name'] for s in r['sources'] if s['status']!='skipped')")" '["dpkg"]'
check_eq "kesl found" "$(finding_py "$T/out.json" kesl "f is not None")" True
check_eq "kesl version" "$(finding_py "$T/out.json" kesl "f and f['version']")" "$KESL_VER"
check_eq "kesl state installed" "$(finding_py "$T/out.json" kesl "f and f['state']")" installed
check_eq "kesl confidence definitive" "$(finding_py "$T/out.json" kesl "f and f['confidence']")" definitive
check_eq "kesl evidence all from dpkg, state installed, active" \
	"$(finding_py "$T/out.json" kesl "f and sorted(set((e['source'], e['kind'], e['state'], e['active']) for e in per_match(f['evidence'])))")" \
	"[('dpkg', 'package', 'installed', True)]"
check_eq "kesl package evidence carries its version" \
	"$(finding_py "$T/out.json" kesl "f and any(e['field']=='name' and e['value']=='kesl' and e['version']=='$KESL_VER' for e in per_match(f['evidence']))")" True
check_eq "kesl-gui package is evidence of kesl" \
	"$(finding_py "$T/out.json" kesl "f and any(e['field']=='name' and e['value']=='kesl-gui' for e in per_match(f['evidence']))")" True
check_eq "no separate kesl-gui finding" \
	"$(jq_py "$T/out.json" "len([f for f in r['findings'] if f['product']['id']=='kesl-gui'])")" 0
check_eq "klnagent found" "$(finding_py "$T/out.json" klnagent "f is not None")" True
check_eq "klnagent version" "$(finding_py "$T/out.json" klnagent "f and f['version']")" "$KLN_VER"
check_eq "klnagent state installed" "$(finding_py "$T/out.json" klnagent "f and f['state']")" installed
check_eq "unrelated package produces no evidence" \
	"$(jq_py "$T/out.json" "any(e['value'] in ('hello-fixture', '2.10-3') for f in r['findings'] for e in per_match(f['evidence']))")" False
check_eq "only Kaspersky findings" \
	"$(jq_py "$T/out.json" "sorted(set(f['vendor']['id'] for f in r['findings']))")" '["kaspersky"]'

# All sources: the kesl finding must also carry evidence from every file-level
# source that ran and could see what the packages installed.
scan "$R1"
check_eq "root1 all sources: exit 1" "$rc" 1
check_eq "root1 all sources: kesl still installed at $KESL_VER" \
	"$(finding_py "$T/out.json" kesl "f and (f['state'], f['version'])")" "('installed', '$KESL_VER')"
for src in files systemd; do
	st=$(jq_py "$T/out.json" "([s['status'] for s in r['sources'] if s['name']=='$src'] or ['missing'])[0]")
	if [ "$st" = ok ]; then
		check_eq "kesl finding carries $src evidence" \
			"$(finding_py "$T/out.json" kesl "f and any(e['source']=='$src' for e in per_match(f['evidence']))")" True
	else
		ok "# SKIP source $src did not run ok ($st)"
	fi
done

# --- root 2: klnagent64 installed then removed: config-files state, a remnant ---
R2=$T/root2
newroot "$R2"
check "install klnagent64 and hello-fixture into root2" \
	dpkg_root "$R2" -i "$T/klnagent64.deb" "$T/hello-fixture.deb"
check "remove klnagent64 (conffile kept)" dpkg_root "$R2" --remove klnagent64
check_eq "klnagent64 is in config-files state" \
	"$(dpkg-query --admindir="$R2/var/lib/dpkg" -W -f='${Status}' klnagent64 2>&1)" \
	"deinstall ok config-files"
check "its conffile survived" test -f "$R2/etc/opt/kaspersky/klnagent64/klnagent.conf"
scan "$R2" --only dpkg
check_eq "klnagent reported from the removed package" \
	"$(finding_py "$T/out.json" klnagent "f is not None")" True
check_eq "klnagent state remnant" "$(finding_py "$T/out.json" klnagent "f and f['state']")" remnant
check_eq "klnagent evidence: state config-files, not active" \
	"$(finding_py "$T/out.json" klnagent "f and sorted(set((e['state'], e['active']) for e in per_match(f['evidence'])))")" \
	"[('config-files', False)]"
check_eq "no kesl in root2" "$(finding_py "$T/out.json" kesl "f is None")" True

# --- root 3: a corrupt stanza before kesl does not hide it ---
R3=$T/root3
newroot "$R3"
{
	printf 'Package: broken\nStatus: install ok installed\nthis line has no colon\n\n'
	cat "$R1/var/lib/dpkg/status"
} >"$R3/var/lib/dpkg/status"
scan "$R3" --only dpkg
check_eq "root3: kesl found past a corrupt stanza" \
	"$(finding_py "$T/out.json" kesl "f and f['version']")" "$KESL_VER"
check_eq "root3: dpkg ok with one error naming line 3" \
	"$(jq_py "$T/out.json" "[(s['status'], s['n_errors'], any('line 3' in m for m in s['errors'])) for s in r['sources'] if s['name']=='dpkg']")" \
	'[["ok", 1, true]]'

# --- root 4: no dpkg database at all ---
R4=$T/root4
mkdir -p "$R4/etc"
echo 'ID=debian' >"$R4/etc/os-release"
scan "$R4" --only dpkg
check_eq "root4: dpkg source absent" \
	"$(jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name']=='dpkg']")" '["absent"]'
check_eq "root4: no findings, exit 0" "$(jq_py "$T/out.json" "len(r['findings'])") $rc" "0 0"

# --- root 5: dpkg killed mid-run leaves its journal (updates/) behind -----------
# A maintainer script that kills dpkg is the crash: dpkg itself writes the journal.
killer_deb() { # killer_deb NAME VERSION SCRIPT WHEN: a package whose SCRIPT kills dpkg on WHEN
	local d=$T/src/$1-killer
	mkdir -p "$d/DEBIAN" "$d/opt/kaspersky/$1/bin"
	printf '#!/bin/sh\n# fixture\n' >"$d/opt/kaspersky/$1/bin/$1-control"
	printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: %s\nDescription: %s\n' \
		"$1" "$2" "$MAINT" "Kaspersky fixture $1" >"$d/DEBIAN/control"
	# shellcheck disable=SC2016 # the script's own $1 and $PPID
	printf '#!/bin/sh\n[ "$1" = %s ] && kill -9 $PPID && sleep 5\nexit 0\n' "$4" >"$d/DEBIAN/$3"
	chmod 0755 "$d/DEBIAN/$3"
	dpkg-deb --root-owner-group --build "$d" "$T/$1-killer.deb" >/dev/null
}
dpkg_killed() { # dpkg_killed ROOT ARGS...: run dpkg, expecting it to be killed
	local r=$1; shift
	! dpkg --root="$r" --admindir="$r/var/lib/dpkg" --force-not-root --force-script-chrootless \
		--force-depends --no-triggers "$@" >"$T/dpkg.log" 2>&1
}
killer_deb kesl "$KESL_VER" postinst configure
killer_deb klnagent64 "$KLN_VER" postrm remove
R5=$T/root5
newroot "$R5"
check "root5: install klnagent64 (its postrm will kill dpkg)" dpkg_root "$R5" -i "$T/klnagent64-killer.deb"
check "root5: dpkg killed while removing klnagent64" dpkg_killed "$R5" --remove klnagent64
check_eq "root5: the status file still says installed" \
	"$(grep -A1 '^Package: klnagent64' "$R5/var/lib/dpkg/status" | sed -n 's/^Status: //p')" \
	"install ok installed"
check "root5: the journal holds the removal" test -s "$R5/var/lib/dpkg/updates/0000"
scan "$R5" --only dpkg
check_eq "root5: klnagent64 state as dpkg-query reads it through the journal" \
	"$(finding_py "$T/out.json" klnagent "[e['state'] for e in per_match(f['evidence']) if e['field']=='name']")" \
	"['$(dpkg-query --admindir="$R5/var/lib/dpkg" -W -f='${db:Status-Status}' klnagent64)']"
check_eq "root5: a half-removed package is a remnant" \
	"$(finding_py "$T/out.json" klnagent "f and f['state']")" remnant
check_eq "root5: evidence names the journal file and says so" \
	"$(finding_py "$T/out.json" klnagent "sorted(set((e['path'], e['attrs']['dpkg_journal']) for e in per_match(f['evidence'])))")" \
	"[('/var/lib/dpkg/updates/$(find "$R5/var/lib/dpkg/updates" -name '[0-9]*' -printf '%f\n' | sort -n | tail -1)', 'interrupted run')]"

R6=$T/root6
newroot "$R6"
check "root6: dpkg killed configuring kesl" dpkg_killed "$R6" -i "$T/kesl-killer.deb"
check_eq "root6: the status file does not know kesl" "$(grep -c '^Package: kesl$' "$R6/var/lib/dpkg/status")" 0
check "root6: kesl's files are on disk" test -f "$R6/opt/kaspersky/kesl/bin/kesl-control"
kesl_state=$(dpkg-query --admindir="$R6/var/lib/dpkg" -W -f='${db:Status-Status}' kesl)
printf 'Package: broken\nthis line has no colon\n' >"$R6/var/lib/dpkg/updates/0000"
scan "$R6" --only dpkg
check_eq "root6: kesl found from the journal, in dpkg-query's state" \
	"$(finding_py "$T/out.json" kesl "(f['state'], f['version'], [e['state'] for e in per_match(f['evidence']) if e['field']=='name'])")" \
	"('installed', '$KESL_VER', ['$kesl_state'])"
check_eq "root6: a corrupt journal file is an item error naming it" \
	"$(jq_py "$T/out.json" "[any(\"/var/lib/dpkg/updates/0000': line 2\" in m for m in s['errors']) for s in r['sources'] if s['name']=='dpkg']")" \
	'[true]'
check_eq "root6: dpkg's tmp.i is not read as a journal file" \
	"$(jq_py "$T/out.json" "any('tmp.i' in m for s in r['sources'] for m in s['errors'])")" False

# --- root 7: more journal files than EXCISE_MAX_DPKG_UPDATES --------------------
R7=$T/root7
newroot "$R7"
py - "$R7/var/lib/dpkg/updates" <<'PY'
import os, sys
for i in range(10001):
    open(os.path.join(sys.argv[1], "%04d" % i), "w").write(
        "Package: p%d\nStatus: install ok installed\nVersion: 1\n" % i)
PY
scan "$R7" --only dpkg
check_eq "root7: journal over the limit is reported, the rest read, and dpkg incomplete" \
	"$(jq_py "$T/out.json" "[(s['status'], s['observations'], any('more than 10000 journal files' in m for m in s['errors'])) for s in r['sources'] if s['name']=='dpkg']")" \
	'[["failed", 10000, true]]'

done_testing
