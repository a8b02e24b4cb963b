#!/bin/bash
# End-to-end, issue 14 item 5 (the scan side): an image prepared by an adversary must
# not make the scan open a device, wait on a FIFO, take the root for one platform,
# say CLEAN when a limit stopped a source, or walk a bind mount. Each case is planted
# with the real tools on a copy of a fixture root built with dpkg (mknod, mkfifo,
# hivexregedit's hive, plistutil, openssl, certutil, sqlite3, cc and objcopy, a bind
# mount in a private mount namespace made with unshare -m), with a canary outside the
# root checked unchanged at the end.
if [ -z "${TMPDIR:-}" ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (mknod, unshare -m)"

src() { jq_py "$T/out.json" "[[s['status'], s['error']] for s in r['sources'] if s['name'] == '$1'][0]"; }
status() { jq_py "$T/out.json" "[s['status'] for s in r['sources'] if s['name'] == '$1'][0]"; }
has_err() { # SOURCE SUBSTRING
	jq_py "$T/out.json" "any('''$2''' in m for x in r['sources'] if x['name'] == '$1' for m in x['errors'])"
}

CANARY=$T/canary
mkdir -p "$CANARY"
echo "host file" >"$CANARY/file"
sha256sum "$CANARY/file" >"$T/canary.sum"

# === 1. devices and FIFOs where sources read files ================================
# Every one is watched with inotify: opening it (even O_NONBLOCK) is an IN_OPEN event;
# the O_PATH open that lets excise fstat it first is not.
R=$T/special
fixture_copy linux "$R"
rm -f "$R/etc/os-release" "$R/etc/hostname" "$R/etc/machine-id" "$R/etc/ssl/certs/ca-certificates.crt"
mknod "$R/etc/os-release" c 1 3
mkfifo "$R/etc/hostname" "$R/etc/machine-id"
mknod "$R/etc/ssl/certs/ca-certificates.crt" c 1 3
mkdir -p "$R/etc/pki/tls/certs" "$R/lib/modules/6.1.0-9-amd64/extra" "$R/etc/init.d" \
	"$R/var/lib/dpkg/updates" "$R/home/alice/.mozilla/firefox/abcd.default"
mkfifo "$R/etc/pki/tls/certs/ca-bundle.crt"
mkfifo "$R/lib/modules/6.1.0-9-amd64/extra/kl_fifo.ko"
mknod "$R/lib/modules/6.1.0-9-amd64/extra/kl_dev.ko" c 1 3
mkfifo "$R/etc/systemd/system/kesl-fifo.service" "$R/etc/init.d/kesl-fifo" "$R/var/lib/dpkg/updates/0001"
printf '[Profile0]\nName=default\nIsRelative=1\nPath=abcd.default\n' >"$R/home/alice/.mozilla/firefox/profiles.ini"
mkfifo "$R/home/alice/.mozilla/firefox/abcd.default/cert9.db"
specials=("$R/etc/os-release" "$R/etc/hostname" "$R/etc/machine-id" "$R/etc/ssl/certs/ca-certificates.crt"
	"$R/etc/pki/tls/certs/ca-bundle.crt" "$R/lib/modules/6.1.0-9-amd64/extra/kl_fifo.ko"
	"$R/lib/modules/6.1.0-9-amd64/extra/kl_dev.ko" "$R/etc/systemd/system/kesl-fifo.service"
	"$R/etc/init.d/kesl-fifo" "$R/var/lib/dpkg/updates/0001"
	"$R/home/alice/.mozilla/firefox/abcd.default/cert9.db")
# The watcher (its own python3: it runs beside the scan) prints one line per open.
python3 - "$T/opens" "${specials[@]}" <<'PY' &
import ctypes, os, select, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.inotify_init1(0)
wd = {}
for p in sys.argv[2:]:
    w = libc.inotify_add_watch(fd, p.encode(), 0x20)  # IN_OPEN
    assert w >= 0, p
    wd[w] = p
out = open(sys.argv[1] + ".tmp", "w", buffering=1)
os.rename(sys.argv[1] + ".tmp", sys.argv[1])  # ready
while True:
    buf = os.read(fd, 65536)
    off = 0
    while off < len(buf):
        w, mask, cookie, n = struct.unpack_from("iIII", buf, off)
        off += 16 + n
        print("opened", wd.get(w, w), file=out)
PY
watcher=$!
defer "kill $watcher 2>/dev/null; wait $watcher 2>/dev/null"
for _ in $(seq 100); do [ -e "$T/opens" ] && break; sleep 0.1; done
rc=0
timeout 120 "$EXCISE" scan --root "$R" --format json -o "$T/out.json" 2>"$T/scan.err" || rc=$?
check_eq "special files: the scan finished (no hang), found KESL" "$rc" 1
check_eq "special files: none of the 11 device nodes and FIFOs was opened" "$(cat "$T/opens")" ""
check_eq "special files: a device as the trust bundle is an item error naming it" \
	"$(has_err truststore "'/etc/ssl/certs/ca-certificates.crt': cannot read: a device, FIFO or socket")" True
check_eq "special files: a FIFO as a trust bundle too" \
	"$(has_err truststore "'/etc/pki/tls/certs/ca-bundle.crt': cannot read: a device, FIFO or socket")" True
check_eq "special files: a FIFO and a device named as modules are named, never read" \
	"$(jq_py "$T/out.json" "sum(1 for x in r['sources'] if x['name'] == 'kmod' for m in x['errors'] if ('kl_fifo.ko' in m or 'kl_dev.ko' in m) and 'a device, FIFO or socket' in m)")" 2
check_eq "special files: a FIFO as a unit file is an item error naming it" \
	"$(has_err systemd "kesl-fifo.service': not read: a device, FIFO or socket")" True
check_eq "special files: a FIFO in dpkg's journal is an item error naming it" \
	"$(has_err dpkg "/var/lib/dpkg/updates/0001': cannot read: a device, FIFO or socket")" True
check_eq "special files: a FIFO as cert9.db is an item error naming it" \
	"$(has_err nss-certs "abcd.default/cert9.db")" True
check_eq "special files: the hostname FIFO is not read" "$(jq_py "$T/out.json" "r['host']['hostname']")" ""
check_eq "special files: the device os-release is not read" "$(jq_py "$T/out.json" "r['host']['os']")" None
# and the report says which host facts it could not read, and why (an input named "host")
check_eq "special files: the hostname FIFO is said" \
	"$(has_err host "'/etc/hostname': cannot read the host name: a device, FIFO or socket")" True
check_eq "special files: the machine-id FIFO is said" \
	"$(has_err host "'/etc/machine-id': cannot read the machine id: a device, FIFO or socket")" True
check_eq "special files: the os-release device is said" \
	"$(has_err host "'/etc/os-release': cannot read the OS release: a device, FIFO or socket")" True
check_eq "special files: the host facts' input comes first and did not fail" \
	"$(jq_py "$T/out.json" "[r['sources'][0]['name'], r['sources'][0]['status'], r['sources'][0]['n_errors']]")" '["host", "ok", 3]'
check_eq "special files: the machine id is unknown" "$(jq_py "$T/out.json" "r['host']['machine_id']")" None
expect "special files: the text report says it" 1 "source host: 3 item errors" \
	"$EXCISE" scan --root "$R" --format text
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

# === 2. the platform from all the markers ======================================
# A Debian root with KESL (dpkg) and the SOFTWARE hive of a Windows root with KES
# (written by hivexregedit for the kes-windows fixture): both platforms' sources run.
MW=$T/linux-win
fixture_copy linux "$MW"
mkdir -p "$MW/Windows/System32/config"
cp "$(fixture kes-windows)/Windows/System32/config/SOFTWARE" "$MW/Windows/System32/config/"
scan_json "$MW"
check_eq "linux+windows: found" "$rc" 1
check_eq "linux+windows: the report names both platforms, Linux first" \
	"$(jq_py "$T/out.json" "[r['host']['platform'], r['host']['platforms']]")" '["linux", ["linux", "windows"]]'
check_eq "linux+windows: KESL found by dpkg" \
	"$(finding_py "$T/out.json" kesl "f and any(e['source'] == 'dpkg' for e in f['evidence'])")" True
check_eq "linux+windows: the hive read by win-software" "$(status win-software)" ok
check_eq "linux+windows: KES for Windows from the hive" \
	"$(jq_py "$T/out.json" "any(e['source'] == 'win-software' for f in r['findings'] if f['product']['id'] == 'kes-windows' for e in f['evidence'])")" True
check "linux+windows: the report validates" validate_report "$T/out.json"
expect "linux+windows: the text report says the platforms" 1 "platforms linux,windows" \
	"$EXCISE" scan --root "$MW" --format text
# Read back, the report keeps both platforms: the plan re-matches the hive's evidence
# against Windows' indicators and accepts it, not acted on (the plan is Linux's), so it
# is not refused and excise remove takes it; KESL's packages are still purged.
cp "$T/out.json" "$T/mw-report.json"
"$EXCISE" plan "$T/mw-report.json" --format json -o "$T/mw-plan.json" 2>"$T/plan.err"
check_eq "linux+windows: the plan is written, nothing refused" "$?" 0
check "linux+windows: the Windows evidence accepted, not acted on, with the reason" \
	py - "$T/mw-plan.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
assert p["host"]["platform"] == "linux", p["host"]
refused = [k["why"] for k in p["skipped"] if k["refused"]]
assert not refused, refused
win = [k for k in p["skipped"] if "win-software evidence of Windows, in a Linux root that also carries Windows's markers" in k["why"]]
assert win and all(not k["refused"] for k in win), p["skipped"]
assert any(s["action"] == "dpkg-purge" and s["target"] == "kesl" for s in p["steps"]), p["steps"]
assert not any(s["action"] in ("msi-uninstall", "delete-regkey", "uninstall-string") for s in p["steps"]), p["steps"]
PY
# a plan must be newer than the package database it was made from
[ $(($(date +%s) - $(stat -c %Y "$MW/var/lib/dpkg/status"))) -ge 2 ] || sleep 2
"$EXCISE" plan "$T/mw-report.json" --format json -o "$T/mw-plan.json" 2>"$T/plan.err"
rc=0
"$EXCISE" remove --root "$MW" --plan "$T/mw-plan.json" --runs-dir "$T/runs" >"$T/remove.out" 2>&1 || rc=$?
check_eq "linux+windows: excise remove's dry run takes the plan" "$rc" 0
# A report of an excise that did not write host.platforms is still read: its one platform,
# so the hive's evidence is refused as before (no rule for it on Linux)
py - "$T/mw-report.json" "$T/mw-old.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); del r["host"]["platforms"]; json.dump(r, open(sys.argv[2], "w"))
PY
rc=0
"$EXCISE" plan "$T/mw-old.json" --format json -o "$T/mw-old-plan.json" 2>"$T/plan.err" || rc=$?
check_eq "linux+windows: a report without host.platforms is read, its Windows evidence refused" \
	"$rc:$(jq_py "$T/mw-old-plan.json" "any(k['refused'] and 'no removal rule for package evidence from source win-software on linux' in k['why'] for k in r['skipped'])")" 1:True
# host.platforms edited: another order, a platform twice, an unknown one, refused by name
for bad in '["windows", "linux"]:expected the platform '"'"'linux'"'"' first' \
	'["linux", "linux"]:platform '"'"'linux'"'"' listed twice' '["linux", "beos"]:expected one of linux|windows|macos' \
	'[]:expected 1 to 3 platforms'; do
	py - "$T/mw-report.json" "$T/mw-bad.json" "${bad%%:*}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r["host"]["platforms"] = json.loads(sys.argv[3]); json.dump(r, open(sys.argv[2], "w"))
PY
	expect "linux+windows: host.platforms ${bad%%:*} refused" 2 "/host/platforms.*: ${bad#*:}" \
		"$EXCISE" plan "$T/mw-bad.json" --format json -o "$T/mw-bad-plan.json"
done

# A Debian root with KESL and a SystemVersion.plist (plistutil): macOS sources too.
MM=$T/linux-mac
fixture_copy linux "$MM"
mkdir -p "$MM/System/Library/CoreServices" "$MM/Library/Application Support/Kaspersky Lab"
cat >"$T/sv.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict><key>ProductName</key><string>macOS</string>
<key>ProductVersion</key><string>14.5</string></dict></plist>
XML
plistutil -i "$T/sv.xml" -o "$MM/System/Library/CoreServices/SystemVersion.plist" -f bin
scan_json "$MM"
check_eq "linux+macos: found" "$rc" 1
check_eq "linux+macos: both platforms" "$(jq_py "$T/out.json" "r['host']['platforms']")" '["linux", "macos"]'
check_eq "linux+macos: KESL found" "$(finding_py "$T/out.json" kesl "f is not None")" True
check_eq "linux+macos: the macOS support folder seen as well (KES for Mac)" \
	"$(finding_py "$T/out.json" kes-mac "f is not None")" True

# A Windows root alone stays Windows alone.
scan_json "$(fixture windows)"
check_eq "windows alone: one platform" "$(jq_py "$T/out.json" "r['host']['platforms']")" '["windows"]'

# === 3. a limit that stops a source is never CLEAN ===============================
# The Kaspersky root (openssl) after 33 MiB of comment lines: past
# EXCISE_MAX_PEM_BUNDLE_SIZE, and OpenSSL still trusts it.
B=$T/padded
mkdir -p "$B/etc/ssl/certs" "$B/var/lib/dpkg"
printf 'ID=debian\n' >"$B/etc/os-release"
: >"$B/var/lib/dpkg/status"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -keyout "$T/key.pem" \
	-out "$T/kav.pem" -subj "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate" 2>/dev/null
py - "$B/etc/ssl/certs/ca-certificates.crt" "$T/kav.pem" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    line = "# " + "x" * 1021 + "\n"
    for _ in range(33 * 1024):
        f.write(line)
    f.write(open(sys.argv[2]).read())
PY
check "padded bundle: OpenSSL trusts the root in it" \
	openssl verify -CAfile "$B/etc/ssl/certs/ca-certificates.crt" "$T/kav.pem"
scan_json "$B"
check_eq "padded bundle: incomplete (exit 2), never clean" "$rc" 2
check_eq "padded bundle: truststore failed, stopped by the size limit" \
	"$(jq_py "$T/out.json" "[s['status'] == 'failed' and s['error'].startswith('stopped by a limit: ') and 'EXCISE_MAX_PEM_BUNDLE_SIZE' in s['error'] for s in r['sources'] if s['name'] == 'truststore']")" '[true]'
check_eq "padded bundle: summary verdict incomplete" "$(jq_py "$T/out.json" "r['summary']['verdict']")" incomplete

# 100,001 packages with "kaspersky" in their description (weak evidence), before the
# real ones in the status file dpkg wrote: the strong evidence after them is kept.
F=$T/flood
fixture_copy linux "$F"
py - "$F/var/lib/dpkg/status" <<'PY'
import sys
real = open(sys.argv[1]).read()
with open(sys.argv[1], "w") as f:
    for i in range(100001):
        f.write("Package: noise%06d\nStatus: install ok installed\nMaintainer: Someone <s@example.org>\n"
                "Architecture: amd64\nVersion: 1.0\nDescription: tools that talk to kaspersky\n\n" % i)
    f.write(real)
PY
check "flood: dpkg itself reads the status file" \
	bash -c "dpkg-query --admindir='$F/var/lib/dpkg' -W kesl noise100000 >/dev/null"
scan_json "$F" --only dpkg
check_eq "flood: found (exit 1)" "$rc" 1
check_eq "flood: KESL definitive, after 100,001 weak entries" \
	"$(finding_py "$T/out.json" kesl "f and f['confidence']")" definitive
check_eq "flood: the weak cap said, and dpkg incomplete" \
	"$(jq_py "$T/out.json" "[s['status'] == 'failed' and 'more than 100000 pieces of weak evidence' in s['error'] for s in r['sources'] if s['name'] == 'dpkg']")" '[true]'

# === 4. SQLite schemas: a cert9.db (certutil) with a generated column, another with a view
if command -v certutil >/dev/null && command -v sqlite3 >/dev/null; then
	for kind in generated view; do
		N=$T/nss-$kind
		P=$N/home/alice/.pki/nssdb
		mkdir -p "$P" "$N/etc"
		printf 'ID=debian\n' >"$N/etc/os-release"
		certutil -N --empty-password -d "sql:$P"
		certutil -A -d "sql:$P" -n kav -t "C,," -i "$T/kav.pem"
		if [ $kind = generated ]; then
			sqlite3 "$P/cert9.db" "ALTER TABLE nssPublic ADD COLUMN zz GENERATED ALWAYS AS (printf('%.*c', 100000000, 'x')) VIRTUAL"
		else
			sqlite3 "$P/cert9.db" "ALTER TABLE nssPublic RENAME TO t; CREATE VIEW nssPublic AS SELECT * FROM t"
		fi
		scan_json "$N" --only nss-certs
		check_eq "cert9.db with a $kind: incomplete (exit 2)" "$rc" 2
		want="has a generated column"
		[ $kind = view ] && want="'nssPublic' is a view"
		check_eq "cert9.db with a $kind: refused, named" \
			"$(jq_py "$T/out.json" "[s['status'] == 'failed' and '''$want''' in s['error'] for s in r['sources'] if s['name'] == 'nss-certs']")" '[true]'
	done
else
	ok "cert9.db schemas # SKIP certutil or sqlite3 not installed"
fi

# === 5. kernel modules: a .modinfo of 70,000 strings, 200,001 links ===============
K=$T/kmod
mkdir -p "$K/etc" "$K/lib/modules/6.1.0-9-amd64/extra"
printf 'ID=debian\n' >"$K/etc/os-release"
printf 'int kl_x;\n' >"$T/m.c"
cc -c -o "$T/m.o" "$T/m.c"
py -c '
import sys
with open(sys.argv[1], "wb") as f:
    f.write(b"author=AO Kaspersky Lab\0")
    for i in range(70000):
        f.write(b"alias=pci:v%08dd*\0" % i)
' "$T/modinfo.bin"
objcopy --add-section .modinfo="$T/modinfo.bin" --set-section-flags .modinfo=alloc,readonly \
	"$T/m.o" "$K/lib/modules/6.1.0-9-amd64/extra/kl_big.ko"
scan_json "$K" --only kmod
check_eq "modinfo strings: the module named, its .modinfo refused before libkmod" \
	"$(has_err kmod "kl_big.ko': more than 65536 .modinfo strings (EXCISE_MAX_MODINFO_STRINGS)")" True
check_eq "modinfo strings: kmod incomplete" "$(status kmod)" failed
rm "$K/lib/modules/6.1.0-9-amd64/extra/kl_big.ko"
cp "$T/m.o" "$K/lib/modules/6.1.0-9-amd64/extra/target.ko"
py -c '
import os, sys
for d in range(100):
    p = os.path.join(sys.argv[1], "links%02d" % d)
    os.mkdir(p)
    for i in range(2001):
        os.symlink("../target.ko", os.path.join(p, "l%04d.ko" % i))
' "$K/lib/modules/6.1.0-9-amd64/extra"
scan_json "$K" --only kmod
check_eq "module links: counted, past EXCISE_MAX_KMOD_MODULES the rest not read" \
	"$(has_err kmod "more than 200000 module files and links")" True
check_eq "module links: kmod incomplete" "$(status kmod)" failed

# === 6. 2,000 user folders whose AppData links to one folder of 20,000 entries ==========
U=$T/users
cp -a "$(fixture windows)/." "$U"
py -c '
import os, sys
r = sys.argv[1]
os.makedirs(r + "/huge")
for i in range(20000):
    os.close(os.open(r + "/huge/e%05d" % i, os.O_CREAT | os.O_WRONLY, 0o644))
os.makedirs(r + "/Users", exist_ok=True)
for i in range(2000):
    os.makedirs(r + "/Users/u%04d" % i)
    os.symlink("/huge", r + "/Users/u%04d/AppData" % i)
' "$U"
rc=0
timeout 120 "$EXCISE" scan --root "$U" --format json -o "$T/out.json" 2>"$T/scan.err" || rc=$?
check_eq "AppData links: the huge folder is listed once per name, not once per user (done in time)" \
	"$([ "$rc" -ne 124 ] && echo done)" done

# === 7. --full stays on the root's mount ==========================================
M=$T/bind
mkdir -p "$M/etc" "$M/mnt/host" "$T/outside/opt/kaspersky/kesl/bin"
printf 'ID=debian\n' >"$M/etc/os-release"
printf '#!/bin/sh\n' >"$T/outside/opt/kaspersky/kesl/bin/kesl-control"
rc=0
unshare -m bash -c 'mount --make-rprivate / && mount --bind "$1" "$2" &&
	"$3" scan --root "$4" --full --format json -o "$5"' _ "$T/outside" "$M/mnt/host" "$EXCISE" "$M" \
	"$T/out.json" 2>"$T/scan.err" || rc=$?
check_eq "bind mount: clean, nothing from the mount" "$rc" 0
check_eq "bind mount: the full walk says it did not walk it" \
	"$(has_err walk "'/mnt/host': another mount of the same filesystem (a bind mount), not walked")" True
check_eq "bind mount: undone with the namespace" "$(ls -A "$M/mnt/host")" ""

check "canary outside every root unchanged" sha256sum -c --quiet "$T/canary.sum"
done_testing
