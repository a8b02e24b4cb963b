#!/bin/bash
# End-to-end, issue 13 item 3: `excise restore RUN --reinstall FILE...` on an offline
# root. A copy of the linux fixture (real .deb packages installed with dpkg --root) is
# planned and removed; restore --reinstall then puts kesl and kesl-gui back from .deb
# files built here with dpkg-deb. The image's own dpkg database (dpkg-query --admindir)
# must show them "unpacked" with their files, exactly as a real `dpkg --root --unpack`
# of the same files leaves a twin root; `dpkg --configure -a` then finishes them and a
# rescan finds the product again. Wrong files (another package, no package, an rpm on
# an offline root) are refused with nothing touched; a symlink in the image that
# points out of it keeps every write inside the root.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"

for t in dpkg dpkg-deb dpkg-query python3; do
	command -v $t >/dev/null || skip_all "$t not installed"
done

R=$T/root
fixture_copy linux "$R"
sleep 2.1 # a plan must be newer than the package database it was made from
# the packages, built now by dpkg-deb as the fixture's were (tests/e2e/fixtures.sh)
_build_debs || { echo "Bail out! building the packages"; exit 1; }
KESL_DEB=$_FIX/kesl.deb
# kesl-gui at another version than the one installed: allowed, with a warning
sed -i "s/^Version: .*/Version: 12.1.0-1200/" "$_FIX/kesl-gui/DEBIAN/control"
dpkg-deb --root-owner-group --build "$_FIX/kesl-gui" "$T/kesl-gui-1200.deb" >/dev/null

"$EXCISE" plan --root "$R" --format json -o "$T/plan.json" -q
"$EXCISE" remove --plan "$T/plan.json" --apply >"$T/apply.out" 2>&1
RUN=$(sed -n 's/^journal: //p' "$T/apply.out")
check "the removal ran" test -d "$RUN"
check "kesl is purged from the image's database" \
	bash -c "! dpkg-query --admindir='$R/var/lib/dpkg' -W kesl >/dev/null 2>&1"

# ---------------------------------------------------------------- refused, nothing touched
# what restore would change: the root's files (excise's own state aside) and the quarantine
state() { { tree_sums "$R"; find "$R/var/lib/excise/quarantine" -type f | sort; } | sha256sum; }
before=$(state)
refused() { # NAME PATTERN FILE...
	local name=$1 pat=$2 rc=0
	shift 2
	"$EXCISE" restore --root "$R" "$RUN" --reinstall "$@" >"$T/r.out" 2>"$T/r.err" || rc=$?
	check "$name: exit 2, saying why" bash -c "[ $rc = 2 ] && grep -q -- \"$pat\" '$T/r.err'"
	check_eq "$name: nothing restored, nothing written" "$(state)" "$before"
}
refused "a package the run did not purge" "holds the dpkg package hello-fixture 2.10-3, which this run did not purge" \
	"$_FIX/hello-fixture.deb"
refused "... even beside a right one" "hello-fixture" "$KESL_DEB" "$_FIX/hello-fixture.deb"
printf 'not a package\n' >"$T/notes.deb"
refused "a file that is no package" "neither a .deb nor an .rpm package" "$T/notes.deb"
refused "a missing file" "package file '$T/missing.deb'" "$T/missing.deb"
refused "the same package twice" "kesl is given twice" "$KESL_DEB" "$KESL_DEB"
# shellcheck disable=SC2046
refused "more package files than EXCISE_MAX_REINSTALL_FILES (64)" "65 package files, more than 64" \
	$(for _ in $(seq 65); do echo "$KESL_DEB"; done)
if command -v rpmbuild >/dev/null && command -v rpm >/dev/null; then
	mkrpm kesl 12.1.0 1191 "AO Kaspersky Lab" "Kaspersky Endpoint Security for Linux" "" \
		/opt/kaspersky/kesl/bin/kesl >/dev/null || { echo "Bail out! rpmbuild"; exit 1; }
	refused "an rpm on an offline root: refused, naming the way that is safe" \
		"an rpm is not reinstalled into an offline root.*boot the image and run rpm -i on it" \
		"$RPMS/kesl-12.1.0-1191.$(uname -m).rpm"
else
	ok "# SKIP rpmbuild not installed"
fi
rc=0
"$EXCISE" restore --root "$R" "$RUN" "$KESL_DEB" >/dev/null 2>"$T/r.err" || rc=$?
check_eq "a package file without --reinstall: usage error" "$rc|$(head -1 "$T/r.err")" \
	"2|excise: one run directory to restore (package files go with --reinstall)"

# ---------------------------------------------------------------- a symlink out of the image
# /lib/systemd in the image becomes an absolute link to a host directory: followed, it is
# resolved inside the root (R$OUT), never on the host
OUT=$T/outside
mkdir -p "$OUT"
printf 'canary\n' >"$OUT/canary"
rm -rf "$R/lib/systemd"
mkdir -p "$R/lib" "$R$OUT/system"
ln -s "$OUT" "$R/lib/systemd"

# ---------------------------------------------------------------- reinstalled
rc=0
"$EXCISE" restore --root "$R" "$RUN" --reinstall "$KESL_DEB" "$T/kesl-gui-1200.deb" >"$T/re.out" 2>"$T/re.err" || rc=$?
check_eq "restore --reinstall: exit 0" "$rc" 0
check "... reports kesl reinstalled, unpacked, to be configured on the image" \
	grep -q "^  reinstalled: dpkg kesl $KESL_VER from $KESL_DEB: unpacked, not configured.*dpkg --configure -a" "$T/re.out"
check "... and kesl-gui at the version of its file" grep -q "^  reinstalled: dpkg kesl-gui 12.1.0-1200 from" "$T/re.out"
check "... warning that kesl-gui's version is not the one purged" \
	grep -q "warning: package file '$T/kesl-gui-1200.deb' holds kesl-gui 12.1.0-1200, not the version $KESL_VER the run purged" "$T/re.out"
check "... and no longer listing them as to be reinstalled" bash -c "! grep -q 'reinstall: dpkg kesl' '$T/re.out'"
check "... klnagent64 (not given) still listed" grep -q "not restorable by file copy, reinstall: dpkg klnagent64 $KLN_VER" "$T/re.out"

q() { dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${db:Status-Abbrev}|${Version}|${Conffiles}\n' "$2" 2>&1; }
check_eq "the image's dpkg: kesl unpacked, its conffile new" "$(q "$R" kesl)" \
	"iU |$KESL_VER| /etc/opt/kaspersky/kesl.conf newconffile"
check_eq "the image's dpkg: kesl-gui unpacked" "$(q "$R" kesl-gui)" "iU |12.1.0-1200|"
check "dpkg --audit names them as unpacked, not configured" \
	bash -c "dpkg --root='$R' --audit 2>&1 | grep -q '^ kesl '"
check "kesl's files are back, byte for byte" cmp "$_FIX/kesl/opt/kaspersky/kesl/bin/kesl" "$R/opt/kaspersky/kesl/bin/kesl"
check_eq "... with their mode" "$(stat -c %a "$R/opt/kaspersky/kesl/bin/kesl")" 755
check "its conffile waits as .dpkg-new, as dpkg --unpack leaves it" \
	cmp "$_FIX/kesl/etc/opt/kaspersky/kesl.conf" "$R/etc/opt/kaspersky/kesl.conf.dpkg-new"
check "through the image's link, inside the root" test -f "$R$OUT/system/kesl.service"
check_eq "nothing written through it on the host" "$(ls -A "$OUT"):$(cat "$OUT/canary")" "canary:canary"
check "no temporary file left in the root" bash -c "! find '$R' -name '*.excise-new' | grep -q ."
check "the tools' output kept in the run directory" test -f "$RUN/reinstall.log"

# A twin: the same fixture where real dpkg purged and unpacked the same files.
W=$T/twin
fixture_copy linux "$W"
rm -rf "$W/lib/systemd"
mkdir -p "$W/lib" "$W$OUT/system"
ln -s "$OUT" "$W/lib/systemd"
dpkg --root="$W" --force-script-chrootless --purge kesl-gui kesl >/dev/null 2>&1
dpkg --root="$W" --force-script-chrootless --unpack "$KESL_DEB" "$T/kesl-gui-1200.deb" >"$T/twin.log" 2>&1
for p in kesl kesl-gui; do
	check_eq "$p: the same database record as dpkg --unpack writes" "$(q "$R" $p)" "$(q "$W" $p)"
	for f in list md5sums conffiles; do
		[ -e "$W/var/lib/dpkg/info/$p.$f" ] || [ -e "$R/var/lib/dpkg/info/$p.$f" ] || continue
		check_eq "$p: info/$p.$f as dpkg --unpack writes it" "$(sort "$R/var/lib/dpkg/info/$p.$f")" \
			"$(sort "$W/var/lib/dpkg/info/$p.$f" 2>&1)"
	done
done
check_eq "the same files under /opt/kaspersky and /etc/opt" \
	"$(cd "$R" && find opt/kaspersky/kesl/bin etc/opt -printf '%p %y %m %U:%G %s\n' | sort)" \
	"$(cd "$W" && find opt/kaspersky/kesl/bin etc/opt -printf '%p %y %m %U:%G %s\n' | sort)"

# The image's configure step (no maintainer scripts in these packages) finishes them.
dpkg --root="$R" --force-script-chrootless --configure -a >"$T/configure.log" 2>&1
check_eq "dpkg --configure -a on the image: kesl installed, its conffile in place" \
	"$(q "$R" kesl):$(cat "$R/etc/opt/kaspersky/kesl.conf" | head -1)" \
	"ii |$KESL_VER| /etc/opt/kaspersky/kesl.conf $(md5sum <"$_FIX/kesl/etc/opt/kaspersky/kesl.conf" | cut -d' ' -f1):#!/bin/sh"

"$EXCISE" scan --root "$R" --format json -o "$T/after.json" -q >/dev/null 2>&1 || true
check_eq "a rescan finds the package again" \
	"$(jq_py "$T/after.json" 'sorted({m["value"] for f in r["findings"] for e in f["evidence"] if e["source"] == "dpkg" for m in e["matches"] if m["field"] == "name" and m["value"] in ("kesl", "kesl-gui")})')" \
	'["kesl", "kesl-gui"]'

rc=0
"$EXCISE" restore --root "$R" "$RUN" --reinstall "$KESL_DEB" >"$T/again.out" 2>"$T/again.err" || rc=$?
check "reinstalling a package the database has: refused" \
	bash -c "[ $rc = 2 ] && grep -q \"kesl is in the root's dpkg database already\" '$T/again.err'"

done_testing
