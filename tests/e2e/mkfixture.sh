#!/bin/bash
# mkfixture.sh NAME STAMP: build the fixture root NAME as the directory STAMP names
# without its .stamp, then write STAMP. Meson builds each root once per test run,
# before the tests that need it (tests/meson.build); lib.sh's `fixture NAME` finds it
# there, or runs this script itself when the test runs without Meson. The tests share
# these roots and only read them: a test that changes a root copies it first (cp -a).
#
#   linux        build_linux_root (fixtures.sh): dpkg root with KESL and Network Agent
#   rpm          build_rpm_root (fixtures.sh): rpm root with KESL
#   windows      new_root (winfix.sh): empty SOFTWARE and SYSTEM hives, no product
#   kes-windows  build_kes_windows (winfix.sh): KES 12.9 with Network Agent
#   kes-windows-ru  build_kes_windows_ru (winfix.sh): KES 11.11 on a Russian Windows, its
#                Uninstall entry alone (Russian name, quoted Cyrillic publisher)
#   kes-macos    build_kes_macos (macfix.sh): Kaspersky Anti-Virus for Mac 21
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$(dirname "$0")/fixtures.sh"
# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"
# shellcheck source=tests/e2e/macfix.sh
. "$(dirname "$0")/macfix.sh"

name=$1 stamp=$(realpath -m "$2")
dir=${stamp%.stamp}
[ "$dir" != "$stamp" ] || { echo "mkfixture.sh: $stamp: not a .stamp file" >&2; exit 2; }
case $name in
linux) build=build_linux_root tools="dpkg dpkg-deb openssl" ;;
rpm) build=build_rpm_root tools="rpmbuild rpm" ;;
windows) build=build_windows_root tools="hivexregedit hivexsh" ;;
kes-windows) build=build_kes_windows tools="hivexregedit hivexsh" ;;
kes-windows-ru) build=build_kes_windows_ru tools="hivexregedit hivexsh" ;;
kes-macos) build=build_kes_macos tools=plistutil ;;
*) echo "mkfixture.sh: $name: no such fixture" >&2; exit 2 ;;
esac
rm -rf "$stamp" "$dir" "$dir.new"
# Without its tools there is no root, and the stamp says why: the tests that need the
# root skip what uses it, as they check the same tools first.
for t in $tools; do
	command -v "$t" >/dev/null || { echo "$t not installed" >"$stamp"; exit 0; }
done
"$build" "$dir.new" >&2 || { echo "mkfixture.sh: $build failed" >&2; rm -rf "$dir.new"; exit 1; }
mv "$dir.new" "$dir"
touch "$stamp"
