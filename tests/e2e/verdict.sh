#!/bin/bash
# End-to-end: an honest verdict. A --root that holds no operating system (an empty
# directory: an image that did not mount) is an error naming the root, never CLEAN;
# any one of the marks of a system (an os-release file, a package database, Windows
# hives, SystemVersion.plist) makes it a root. An --only list that selects no source
# able to run is a usage error, for every verb that scans. A live scan by a user who
# is not root is incomplete (exit 2), says to run as root, and its report says so.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

NOTOS='does not look like an operating system root \(no os-release, package database, registry hives or SystemVersion.plist\): was the image mounted\?'

# ---- a root with nothing recognisable ----
mkdir -p "$T/empty" "$T/homes/home/u"
echo notes >"$T/homes/home/u/notes.txt"
expect "an empty directory as --root: exit 2, naming it" 2 "excise: '$T/empty' $NOTOS" \
	"$EXCISE" scan --root "$T/empty"
expect "a tree of files with no system in it: the same" 2 "'$T/homes' $NOTOS" \
	"$EXCISE" scan --root "$T/homes" --format json
expect "plan --root of an empty directory: the same error" 2 "$NOTOS" "$EXCISE" plan --root "$T/empty"

expect "verify --root of an empty directory: the same error" 2 "$NOTOS" \
	"$EXCISE" verify --root "$T/empty" -o "$T/att-empty.json"
scan_json "$T/empty"
check_eq "no report is written for it" "$([ -e "$T/out.json" ] && echo yes || echo no)" no

# Each mark alone makes a root (the scan may then be clean, or incomplete when the
# mark is a file the sources cannot read, but never that error).
recognised() {
	local name=$1 dir=$2 want=$3
	rc=0
	"$EXCISE" scan --root "$dir" >"$T/rec.out" 2>&1 || rc=$?
	if grep -q "does not look like an operating system root" "$T/rec.out" ||
		{ [ -n "$want" ] && [ "$rc" != "$want" ]; }; then
		not_ok "$name"
		echo "# exit $rc (want ${want:-0-2, not the root error}):"
		sed 's/^/#   /' "$T/rec.out" | head -10
	else
		ok "$name"
	fi
}
mk() { mkdir -p "$(dirname "$T/$1")" && printf '%s' "${2:-}" >"$T/$1"; }
mk osrel/etc/os-release 'ID=debian
PRETTY_NAME="Debian GNU/Linux 12"
'
recognised "etc/os-release makes a root (clean)" "$T/osrel" 0
mk usrlib/usr/lib/os-release 'ID=fedora
'
recognised "usr/lib/os-release makes a root (clean)" "$T/usrlib" 0
mkdir -p "$T/oslink/etc" "$T/oslink/usr/lib"
echo 'ID=arch' >"$T/oslink/usr/lib/os-release"
ln -s ../usr/lib/os-release "$T/oslink/etc/os-release"
recognised "etc/os-release as the usual symlink makes a root" "$T/oslink" 0
mk dpkgonly/var/lib/dpkg/status ''
recognised "a dpkg status file alone makes a root" "$T/dpkgonly" 0
mk rpmonly/var/lib/rpm/Packages ''
recognised "an RPM database alone makes a root" "$T/rpmonly" ''
mk rpmsys/usr/lib/sysimage/rpm/rpmdb.sqlite ''
recognised "an RPM database under /usr/lib/sysimage makes a root" "$T/rpmsys" ''
mk win/windows/system32/CONFIG/software 'not a hive'
recognised "Windows hives (any case) make a root" "$T/win" ''
mk mac/System/Library/CoreServices/SystemVersion.plist ''
recognised "SystemVersion.plist makes a root" "$T/mac" ''

# ---- --only that selects no source able to run ----
R=$T/osrel
expect "--only '': a usage error" 2 "excise: no source to run: the list of sources \(--only\) is empty" \
	"$EXCISE" scan --root "$R" --only ""
expect "--only ',': the same" 2 "the list of sources \(--only\) is empty" "$EXCISE" scan --root "$R" --only ,
expect "--only walk without --full: says it needs --full" 2 \
	"no source asked for \(--only\) can run here: walk runs only in a full scan \(--full\)" \
	"$EXCISE" scan --root "$R" --only walk
expect "--only walk --full runs" 0 "" "$EXCISE" scan --root "$R" --only walk --full
expect "--only proc under --root: says proc reads the running system" 2 \
	"can run here: proc reads only the running system, not a root given with --root" \
	"$EXCISE" scan --root "$R" --only proc
expect "--only a Windows source on a Linux root: says so" 2 \
	"win-software does not read this platform \(linux\); win-services does not read this platform \(linux\)" \
	"$EXCISE" scan --root "$R" --only win-software,win-services
expect "--only with one source that can run: it runs" 0 "" "$EXCISE" scan --root "$R" --only proc,walk,dpkg
expect "--only an unknown source: still named" 2 "unknown source 'nope'" "$EXCISE" scan --root "$R" --only nope
expect "plan: --only '' is a usage error" 2 "list of sources \(--only\) is empty" \
	"$EXCISE" plan --root "$R" --only ""
expect "verify: --only walk without --full is a usage error" 2 "walk runs only in a full scan" \
	"$EXCISE" verify --root "$R" --only walk -o "$T/att-only.json"
expect "remove: --only proc under --root is a usage error" 2 "proc reads only the running system" \
	"$EXCISE" remove --root "$R" --only proc

# ---- issue 12: the same refusals wherever a scan is asked for ----
expect "remove --root of an empty directory: the root error, nothing done" 2 "'$T/empty' $NOTOS" \
	"$EXCISE" remove --root "$T/empty"
check_eq "... and nothing was written into it" "$(find "$T/empty" -mindepth 1 | head -1)" ""
expect "an empty directory with --full --only walk: still the root error, not CLEAN" 2 "$NOTOS" \
	"$EXCISE" scan --root "$T/empty" --full --only walk
scan_json "$R" --only ""
check_eq "--only '' with --format json: exit 2" "$rc" 2
check_eq "--only '' with --format json: no report is written" \
	"$([ -e "$T/out.json" ] && echo yes || echo no)" no
scan_json "$R" --only walk
check_eq "--only walk without --full, --format json: exit 2, no report" \
	"$rc $([ -e "$T/out.json" ] && echo yes || echo no)" "2 no"
expect "verify: --only '' is a usage error" 2 "list of sources \(--only\) is empty" \
	"$EXCISE" verify --root "$R" --only "" -o "$T/att-only2.json"
check_eq "verify: ... and writes no attestation" "$([ -e "$T/att-only2.json" ] && echo yes || echo no)" no

# ---- a live scan by a user who is not root ----
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	ok "# SKIP a live scan as nobody: needs root and setpriv(1)"
elif ! (cd / && "${NOBODY[@]}" "$EXCISE" --version) >/dev/null 2>&1; then
	ok "# SKIP a live scan as nobody: nobody cannot run $EXCISE"
else
	HINT="not running as root: /root and other users' files could not be read; run as root"
	expect "scan as nobody: incomplete (exit 2), with the hint to run as root" 2 \
		"excise: sources [a-z, -]*files[a-z, -]* failed: $HINT" \
		bash -c 'cd / && "$@"' - "${NOBODY[@]}" "$EXCISE" scan -q
	rc=0
	(cd / && "${NOBODY[@]}" "$EXCISE" scan -q) >"$T/nobody.txt" 2>"$T/nobody.err" || rc=$?
	check_eq "on standard error, the hint is printed once" "$(grep -c "$HINT" "$T/nobody.err")" 1
	check "the text report lists the sources that failed, with the reason" grep -q "$HINT" "$T/nobody.txt"
	rc=0
	(cd / && "${NOBODY[@]}" "$EXCISE" scan --only files,proc,dpkg --format json) >"$T/nobody.json" 2>/dev/null ||
		rc=$?
	check_eq "JSON scan as nobody: exit 2" "$rc" 2
	check_eq "its report marks the sources of every user's files failed, with the reason" \
		"$(jq_py "$T/nobody.json" "sorted((s['name'], s['status'], s['error']) for s in r['sources'] if s['name'] in ('files','proc','dpkg'))")" \
		"[[\"dpkg\", \"ok\", null], [\"files\", \"failed\", \"$HINT\"], [\"proc\", \"failed\", \"$HINT\"]]"
	check_eq "its verdict is incomplete" "$(jq_py "$T/nobody.json" "r['summary']['verdict']")" incomplete
	check "the report validates" validate_report "$T/nobody.json"
fi

done_testing
