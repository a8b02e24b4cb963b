#!/bin/bash
# Benchmark excise remove against what an administrator would do by hand, on two
# copies of the same fixture root (tests/e2e/fixtures.sh: real .debs installed with
# dpkg --root) whose leftover tree /var/opt/kaspersky is grown to FILES files of
# about BYTES bytes in all:
#
#   excise     excise remove --root R --apply --yes (scan, plan, preflight, journal with
#              fsync per record, dpkg --purge, sha256 + manifest of every entry moved,
#              bundle rewrite), then excise restore RUN_DIR
#   by hand    dpkg --root R --purge kesl-gui kesl klnagent64; tar -cf of the
#              leftovers (so nothing is lost) then rm -rf; then tar -xf to restore
#
# One run each; prints wall seconds, peak RSS and the ratio excise / by hand.
#   bench/remove.sh [FILES] [BYTES]      (defaults 20000 and 200000000)
set -eu
FILES=${1:-20000}
BYTES=${2:-200000000}
EXCISE=${EXCISE:-$(cd "$(dirname "$0")/.." && pwd)/build/cli/excise}
EXCISE_SRC=$(cd "$(dirname "$0")/.." && pwd)
export EXCISE EXCISE_SRC
# shellcheck source=tests/e2e/lib.sh
. "$EXCISE_SRC/tests/e2e/lib.sh"
# shellcheck source=tests/e2e/fixtures.sh
. "$EXCISE_SRC/tests/e2e/fixtures.sh"

build_linux_root "$T/pristine" >/dev/null || { echo "fixture root failed" >&2; exit 1; }
python3 - "$T/pristine/var/opt/kaspersky/kesl/bases" "$FILES" "$BYTES" <<'PY'
import os, sys
d, n, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
size = max(1, total // n)
block = os.urandom(size)
for i in range(n):
    sub = os.path.join(d, "%03d" % (i % 500))
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, "base-%06d.kdc" % i), "wb") as f:
        f.write(block[i % 97:] + block[:i % 97])
PY
sleep 1.1 # the report must be newer than the package database
cp -a "$T/pristine" "$T/a"
cp -a "$T/pristine" "$T/b"
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true

# timed NAME CMD...: wall seconds and peak RSS (KiB) of CMD into $T/NAME.time
timed() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$T/$name.time" "$@" >"$T/$name.out" 2>&1 ||
		{ echo "$name failed:" >&2; tail -5 "$T/$name.out" >&2; exit 1; }
}
by_hand_remove() {
	dpkg --root="$1" --force-script-chrootless --purge kesl-gui kesl klnagent64 &&
		tar -C "$1" -cf "$T/leftovers.tar" var/opt/kaspersky etc/systemd/system/multi-user.target.wants &&
		rm -rf "$1/var/opt/kaspersky" "$1/etc/systemd/system/multi-user.target.wants/kesl.service" \
			"$1/etc/systemd/system/multi-user.target.wants/klnagent64.service"
}
by_hand_restore() { tar -C "$1" -xf "$T/leftovers.tar"; }
export -f by_hand_remove by_hand_restore
export T

# the run directory goes to a state folder of the benchmark's own, outside the root
export EXCISE_STATE_DIR=$T/state
timed excise-remove "$EXCISE" remove --root "$T/a" --apply --yes -q
run=$(find "$T/state/runs" -mindepth 1 -maxdepth 1 -type d | head -1)
timed excise-restore "$EXCISE" restore "$run" --root "$T/a"
# shellcheck disable=SC2016 # $T expands in the child bash
timed hand-remove bash -c 'by_hand_remove "$T/b"'
# shellcheck disable=SC2016
timed hand-restore bash -c 'by_hand_restore "$T/b"'

row() { # LABEL EXCISE-FILE HAND-FILE
	read -r ew em <"$T/$2.time"
	read -r hw hm <"$T/$3.time"
	printf '| %s | %.2f s, %d MiB | %.2f s, %d MiB | %.2fx |\n' "$1" "$ew" $((em / 1024)) "$hw" $((hm / 1024)) \
		"$(python3 -c "print($ew / max($hw, 0.001))")"
}
echo "leftovers: $FILES files, $((BYTES / 1000000)) MB; one run each"
echo "| | excise | by hand | ratio |"
echo "|---|---|---|---|"
row "remove (excise: scan + plan + apply)" excise-remove hand-remove
row "restore" excise-restore hand-restore
