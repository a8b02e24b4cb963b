# shellcheck shell=bash
# Fixture roots shared by the removal tests (source after lib.sh).
#
#   build_linux_root DIR   a Debian-like root where real .deb packages laid out
#                          like Kaspersky's were installed with dpkg --root:
#                          kesl and kesl-gui (which Depends on kesl), klnagent64,
#                          an unrelated hello-fixture, and kesl-lookalike whose
#                          Maintainer is another vendor; enablement links for the
#                          units, runtime leftovers no package owns, a planted
#                          Kaspersky root CA (source file, symlink, bundle) and
#                          unrelated files.
#   build_rpm_root DIR     an RPM-based root (see below)
#   mkrpm ...              one binary RPM built with rpmbuild (see below)
#   KESL_VER, KLN_VER      the fixture versions

KESL_VER=12.1.0-1191
KLN_VER=15.0.0-8812
_FIX=$T/fixture-src
RPMS=$_FIX/rpmbuild/RPMS/$(uname -m)

_mkdeb() { # NAME VERSION MAINTAINER DESCRIPTION [DEPENDS]
	local d=$_FIX/$1
	mkdir -p "$d/DEBIAN"
	{
		echo "Package: $1"
		echo "Version: $2"
		echo "Architecture: amd64"
		echo "Maintainer: $3"
		if [ -n "${5:-}" ]; then echo "Depends: $5"; fi
		echo "Description: $4"
		echo " Test fixture built by excise's test suite."
	} >"$d/DEBIAN/control"
	if [ -d "$d/etc" ]; then
		(cd "$d" && find etc -type f | sed 's,^,/,') >"$d/DEBIAN/conffiles"
	fi
	dpkg-deb --root-owner-group --build "$d" "$_FIX/$1.deb" >/dev/null
}

_addfile() { # PKG PATH [MODE]
	local f=$_FIX/$1$2
	mkdir -p "$(dirname "$f")"
	printf '#!/bin/sh\n# fixture for %s\n' "$2" >"$f"
	chmod "${3:-0644}" "$f"
}

_build_debs() {
	[ -f "$_FIX/kesl.deb" ] && return 0
	local k="AO Kaspersky Lab <support@kaspersky.com>"
	_addfile kesl /opt/kaspersky/kesl/bin/kesl-control 0755
	_addfile kesl /opt/kaspersky/kesl/bin/kesl 0755
	_addfile kesl /var/opt/kaspersky/kesl/common/kesl.ini
	_addfile kesl /etc/opt/kaspersky/kesl.conf
	mkdir -p "$_FIX/kesl/lib/systemd/system"
	printf '[Unit]\nDescription=Kaspersky Endpoint Security for Linux\n[Service]\nExecStart=/opt/kaspersky/kesl/bin/kesl\n[Install]\nWantedBy=multi-user.target\n' \
		>"$_FIX/kesl/lib/systemd/system/kesl.service"
	_mkdeb kesl "$KESL_VER" "$k" "Kaspersky Endpoint Security for Linux"
	_addfile kesl-gui /opt/kaspersky/kesl/bin/kesl-gui 0755
	_mkdeb kesl-gui "$KESL_VER" "$k" "Kaspersky Endpoint Security for Linux GUI" "kesl (= $KESL_VER)"
	_addfile klnagent64 /opt/kaspersky/klnagent64/bin/klnagchk 0755
	mkdir -p "$_FIX/klnagent64/lib/systemd/system"
	printf '[Unit]\nDescription=Kaspersky Security Center Network Agent\n[Service]\nExecStart=/opt/kaspersky/klnagent64/sbin/klnagent\n[Install]\nWantedBy=multi-user.target\n' \
		>"$_FIX/klnagent64/lib/systemd/system/klnagent64.service"
	_mkdeb klnagent64 "$KLN_VER" "$k" "Kaspersky Security Center Network Agent"
	_addfile hello-fixture /usr/bin/hello-fixture 0755
	_mkdeb hello-fixture 2.10-3 "Fixture Maintainer <fixture@example.org>" "example package that prints a greeting"
	_addfile kesl-lookalike /usr/bin/kesl-lookalike 0755
	_mkdeb kesl-lookalike 1.0-1 "Lookalike Tools <dev@lookalike.example>" "a kesl-named tool by someone else"
}

_mkcert() { # FILE SUBJECT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/fixture-key.pem" -out "$1" -subj "$2" 2>/dev/null
}

build_linux_root() {
	local R=$1
	_build_debs || return 1
	mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc/ssl/certs" \
		"$R/usr/local/share/ca-certificates" "$R/etc/systemd/system/multi-user.target.wants" \
		"$R/opt/other" "$R/var/log"
	: >"$R/var/lib/dpkg/status"
	: >"$R/var/lib/dpkg/available"
	dpkg --root="$R" --admindir="$R/var/lib/dpkg" --force-script-chrootless --no-triggers \
		-i "$_FIX/kesl.deb" "$_FIX/kesl-gui.deb" "$_FIX/klnagent64.deb" "$_FIX/hello-fixture.deb" \
		"$_FIX/kesl-lookalike.deb" >"$T/fixture-dpkg.log" 2>&1 || { sed 's/^/# /' "$T/fixture-dpkg.log"; return 1; }
	printf 'fixture-host\n' >"$R/etc/hostname"
	printf '0123456789abcdef0123456789abcdef\n' >"$R/etc/machine-id"
	printf 'ID=debian\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' >"$R/etc/os-release"
	ln -s /lib/systemd/system/kesl.service "$R/etc/systemd/system/multi-user.target.wants/kesl.service"
	ln -s /lib/systemd/system/klnagent64.service "$R/etc/systemd/system/multi-user.target.wants/klnagent64.service"
	# what the products write at run time: no package owns it
	mkdir -p "$R/var/opt/kaspersky/kesl/private" "$R/var/log/kaspersky/kesl"
	head -c 70000 /dev/urandom >"$R/var/opt/kaspersky/kesl/private/storage.bin"
	printf 'log line\n' >"$R/var/log/kaspersky/kesl/kesl.log"
	chown 1234:5678 "$R/var/log/kaspersky/kesl/kesl.log"
	chmod 0640 "$R/var/log/kaspersky/kesl/kesl.log"
	touch -d '2025-01-02 03:04:05.123456789' "$R/var/log/kaspersky/kesl/kesl.log"
	setfattr -n user.excise-test -v fixture "$R/var/opt/kaspersky/kesl/private/storage.bin" 2>/dev/null || true
	# a trust root the product planted, beside real roots
	_mkcert "$T/fixture-kl.pem" "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate"
	_mkcert "$T/fixture-acme.pem" "/C=US/O=Acme Corp/CN=Acme Root CA"
	cp "$T/fixture-kl.pem" "$R/usr/local/share/ca-certificates/kaspersky-fixture.crt"
	ln -s /usr/local/share/ca-certificates/kaspersky-fixture.crt "$R/etc/ssl/certs/kaspersky-fixture.pem"
	ln -s kaspersky-fixture.pem "$R/etc/ssl/certs/$(openssl x509 -hash -noout -in "$T/fixture-kl.pem").0"
	cp "$T/fixture-acme.pem" "$R/etc/ssl/certs/acme.pem"
	# with text between the blocks, as distributions write them: it is not the vendor's
	{ echo "# Acme Root"; cat "$T/fixture-acme.pem"; echo "# planted"; cat "$T/fixture-kl.pem"; echo "# end of bundle"; } \
		>"$R/etc/ssl/certs/ca-certificates.crt"
	# a label the rewritten bundle must keep (where the filesystem takes user xattrs)
	py -c 'import os, sys; os.setxattr(sys.argv[1], "user.excise-fixture", b"bundle label")' \
		"$R/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
	# unrelated files that must survive
	printf 'keep me\n' >"$R/opt/other/important.txt"
	printf 'kaspersky was here\n' >"$R/opt/other/notes-about-kaspersky.txt"
}

# The sha256 of every file under DIR except excise's own state, as "sum  path" lines.
tree_sums() {
	(cd "$1" && find . -path ./var/lib/excise -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
}

# mkrpm NAME VERSION RELEASE VENDOR SUMMARY REQUIRES FILE...: a binary RPM holding small
# files, written to $RPMS/NAME-VERSION-RELEASE.ARCH.rpm.
mkrpm() {
	local name=$1 version=$2 release=$3 vendor=$4 summary=$5 requires=$6 f
	shift 6
	local spec=$_FIX/$name.spec
	mkdir -p "$_FIX"
	{
		echo "Name: $name"
		echo "Version: $version"
		echo "Release: $release"
		echo "Summary: $summary"
		echo "License: Proprietary"
		echo "Vendor: $vendor"
		echo "BuildArch: $(uname -m)"
		if [ -n "$requires" ]; then echo "Requires: $requires"; fi
		echo "%description"
		echo "excise test fixture"
		echo "%install"
		for f in "$@"; do
			echo "mkdir -p %{buildroot}$(dirname "$f")"
			echo "echo fixture > %{buildroot}$f"
		done
		echo "%files"
		for f in "$@"; do echo "$f"; done
	} >"$spec"
	rpmbuild -bb --define "_topdir $_FIX/rpmbuild" --define '_build_id_links none' \
		--define 'debug_package %{nil}' --define '__os_install_post %{nil}' \
		"$spec" >"$_FIX/rpmbuild-$name.log" 2>&1 || { sed 's/^/# /' "$_FIX/rpmbuild-$name.log"; return 1; }
}

# build_rpm_root DIR: an RPM-based root (rpm --root, database in /var/lib/rpm) with
# kesl and kesl-gui (Requires: kesl) by AO Kaspersky Lab, acme-av by another
# vendor, and a runtime leftover no package owns.
build_rpm_root() {
	local R=$1 a
	a=$(uname -m)
	if [ ! -e "$RPMS/kesl-gui-12.1.0-1191.$a.rpm" ]; then
		mkrpm kesl 12.1.0 1191 "AO Kaspersky Lab" "Kaspersky Endpoint Security for Linux" "" \
			/opt/kaspersky/kesl/bin/kesl-control /usr/lib/systemd/system/kesl.service || return 1
		mkrpm kesl-gui 12.1.0 1191 "AO Kaspersky Lab" "Kaspersky Endpoint Security for Linux GUI" "kesl" \
			/opt/kaspersky/kesl/bin/kesl-gui || return 1
		mkrpm acme-av 2.0 3 "Acme" "Acme antivirus" "" /opt/acme-av/bin/acme-scan || return 1
	fi
	mkdir -p "$R/etc"
	rpm --root "$R" --dbpath /var/lib/rpm --nodeps --noscripts -i "$RPMS/kesl-12.1.0-1191.$a.rpm" \
		"$RPMS/kesl-gui-12.1.0-1191.$a.rpm" "$RPMS/acme-av-2.0-3.$a.rpm" \
		>"$_FIX/rpm-install.log" 2>&1 || { sed 's/^/# /' "$_FIX/rpm-install.log"; return 1; }
	printf 'rpm-host\n' >"$R/etc/hostname"
	printf 'fedcba9876543210fedcba9876543210\n' >"$R/etc/machine-id"
	printf 'ID=rhel\nPRETTY_NAME="Red Hat Enterprise Linux 9"\n' >"$R/etc/os-release"
	mkdir -p "$R/var/opt/kaspersky/kesl/private"
	head -c 5000 /dev/urandom >"$R/var/opt/kaspersky/kesl/private/storage.bin"
}
