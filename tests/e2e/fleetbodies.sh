# shellcheck shell=bash
# fleet_bodies DIR [LARGE_FILES]: the report bodies of bench/loadgen and bench/fleetgen,
# real excise.report/2 documents made by `excise scan --root` of fixture roots (lib.sh's
# `fixture`, mkfixture.sh), written to DIR; prints the --body arguments, FILE:WEIGHT,
# one a line. The weights make a fleet of mostly clean hosts (per 1,000 hosts):
#
#   clean.json        600  a Debian root with two packages and no finding
#   windows.json      300  Windows with empty hives, no finding (fixture windows)
#   linux.json         40  KESL, Network Agent, a planted root certificate (fixture linux)
#   rpm.json           20  KESL from an RPM (fixture rpm)
#   kes-windows.json   20  KES 12.9 with Network Agent (fixture kes-windows)
#   kes-macos.json     19  Kaspersky Anti-Virus for Mac (fixture kes-macos)
#   large.json          1  the linux root with LARGE_FILES (default 300) leftover files
#                          under /var/opt/kaspersky: one evidence record each
#
# A fixture root whose tools are missing (mkfixture.sh's stamp says so) is left out.
# Needs lib.sh (T, EXCISE, fixture).
fleet_bodies() {
	local out=$1 large=${2:-300} f dir i
	mkdir -p "$out" "$T/fleet-clean/etc" "$T/fleet-clean/var/lib/dpkg"
	printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n' \
		>"$T/fleet-clean/etc/os-release"
	printf 'clean-host\n' >"$T/fleet-clean/etc/hostname"
	printf '00112233445566778899aabbccddeeff\n' >"$T/fleet-clean/etc/machine-id"
	printf '%s\n' 'Package: bash' 'Status: install ok installed' 'Version: 5.2.15-2+b2' \
		'Architecture: amd64' 'Maintainer: Matthias Klose <doko@debian.org>' 'Description: GNU Bourne Again SHell' '' \
		'Package: openssh-server' 'Status: install ok installed' 'Version: 1:9.2p1-2+deb12u3' \
		'Architecture: amd64' 'Maintainer: Debian OpenSSH Maintainers <debian-ssh@lists.debian.org>' \
		'Description: secure shell (SSH) server' >"$T/fleet-clean/var/lib/dpkg/status"
	"$EXCISE" scan --root "$T/fleet-clean" --format json -o "$out/clean.json" >/dev/null 2>&1
	[ -s "$out/clean.json" ] && echo "$out/clean.json:600"
	for f in windows:300 linux:40 rpm:20 kes-windows:20 kes-macos:19; do
		dir=$(fixture "${f%:*}" 2>/dev/null) || continue
		"$EXCISE" scan --root "$dir" --format json -o "$out/${f%:*}.json" >/dev/null 2>&1
		[ -s "$out/${f%:*}.json" ] && echo "$out/${f%:*}.json:${f#*:}"
	done
	if dir=$(fixture linux 2>/dev/null); then
		cp -a "$dir" "$T/fleet-large"
		mkdir -p "$T/fleet-large/var/opt/kaspersky/kesl/bases"
		for ((i = 0; i < large; i++)); do
			printf 'base %d\n' "$i" >"$T/fleet-large/var/opt/kaspersky/kesl/bases/base-$i.kdc"
		done
		"$EXCISE" scan --root "$T/fleet-large" --format json -o "$out/large.json" >/dev/null 2>&1
		rm -rf "$T/fleet-large"
		[ -s "$out/large.json" ] && echo "$out/large.json:1"
	fi
	return 0
}
