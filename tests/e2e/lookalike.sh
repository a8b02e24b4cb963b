#!/bin/bash
# End-to-end: software that only looks like Kaspersky must not be reported as
# Kaspersky. The fixture root holds other vendors' anti-virus products laid out
# like their real installs, whose names share prefixes with Kaspersky's (eScan
# "avp...", Kingsoft "kav...", G DATA "AVK...", Avira "avguard"), the UltraAV and
# UltraVPN products that replaced Kaspersky for US consumers in 2024, and files
# that merely mention the vendor. A full scan must report nothing installed or
# running and nothing above weak confidence. Then one real KESL file is added
# and the same scan must report KESL, so the first half cannot pass vacuously.
. "$(dirname "$0")/lib.sh"

R=$T/root

# put PATH [TEXT]: a small plain file under the fixture root.
put() {
	mkdir -p "$(dirname "$R$1")"
	printf '%s\n' "${2:-fixture for $1}" >"$R$1"
}

# --- base system ---
put /etc/os-release 'ID=debian
VERSION_ID="12"
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"'
put /etc/hostname lookalike-host
mkdir -p "$R/proc" "$R/tmp" "$R/var/log"

# --- eScan for Linux (MicroWorld), installed under /opt/MicroWorld ---
for f in bin/escan bin/escanmon bin/avpm bin/avpmapp bin/avpupd sbin/epsdaemon \
	lib/libavp.so lib/libescan.so var/avp.dat var/Bases/avp.set etc/escan.conf; do
	put "/opt/MicroWorld/$f"
done
chmod +x "$R/opt/MicroWorld/bin/"* "$R/opt/MicroWorld/sbin/"*
put /lib/systemd/system/escan.service '[Unit]
Description=eScan Anti-Virus daemon (MicroWorld)

[Service]
ExecStart=/opt/MicroWorld/sbin/epsdaemon

[Install]
WantedBy=multi-user.target'
put /lib/systemd/system/avpmapp.service '[Unit]
Description=eScan real-time monitor

[Service]
ExecStart=/opt/MicroWorld/bin/avpmapp'
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -s /lib/systemd/system/escan.service "$R/etc/systemd/system/multi-user.target.wants/escan.service"
put /etc/init.d/escan '#!/bin/sh
# eScan for Linux init script
DAEMON=/opt/MicroWorld/sbin/epsdaemon'
chmod +x "$R/etc/init.d/escan"

# --- Kingsoft AntiVirus tools (names start with "kav") ---
for f in kavsvc kavstart kavbase.so kavlog2.dat kavupd; do
	put "/opt/kingsoft/kav/$f"
done
put /var/log/kavsvc.log 'kingsoft service log'

# --- A mounted Windows volume with G DATA, Kingsoft, Avira and UltraAV ---
W=/mnt/windows
for f in AVKService.exe AVKWCtlx64.exe AVKTray.exe AVK.exe; do
	put "$W/Program Files (x86)/G DATA/AntiVirus/AVK/$f"
done
for f in kxescore.exe kavsvc.exe kavstart.exe kislive.exe; do
	put "$W/Program Files (x86)/kingsoft/kingsoft antivirus/$f"
done
for f in avguard.exe avgnt.exe avshadow.exe; do
	put "$W/Program Files (x86)/Avira/Antivirus/$f"
done
for f in GDBehave.sys MiniIcpt.sys avgntflt.sys kisknl.sys; do
	put "$W/Windows/System32/drivers/$f"
done
for f in UltraAV.exe UltraAVService.exe uninstall.exe; do
	put "$W/Program Files/UltraAV/$f"
done
put "$W/Program Files/UltraVPN/UltraVPN.exe"
put "$W/ProgramData/Pango/UltraAV/settings.json" '{"product":"UltraAV"}'

# --- UltraAV traces on Linux ---
put /opt/UltraAV/bin/ultraav
put /opt/UltraAV/share/README 'UltraAV by Pango'
put /home/alice/.config/UltraVPN/config.json '{"server":"auto"}'

# --- Files that only mention Kaspersky ---
put /home/alice/Documents/kaspersky-removal-guide.pdf '%PDF-1.4 removal notes'
put /home/alice/.bash_history 'ls -l
sudo apt remove kesl # kaspersky
sudo apt autoremove'

# --- dpkg database: other vendors' packages, status text written directly ---
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates"
cat >"$R/var/lib/dpkg/status" <<'EOF'
Package: escan
Status: install ok installed
Priority: optional
Section: misc
Installed-Size: 204800
Maintainer: MicroWorld Technologies Inc. <support@escanav.com>
Architecture: amd64
Version: 7.0-24
Description: eScan Anti-Virus for Linux
 On-access and on-demand scanner from MicroWorld.

Package: kav-tools
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 1024
Maintainer: Kingsoft Corporation <support@kingsoft.com>
Architecture: amd64
Version: 2.1.3
Description: Kingsoft AntiVirus command-line tools
 Command-line scanner and updater for Kingsoft AntiVirus.

Package: ultraav
Status: install ok installed
Priority: optional
Section: utils
Installed-Size: 4096
Maintainer: Pango Inc. <support@ultraav.com>
Architecture: amd64
Version: 1.0.5
Description: UltraAV antivirus
 Antivirus by Pango.

EOF
: >"$R/var/lib/dpkg/available"
printf '/opt/MicroWorld\n/opt/MicroWorld/bin\n/opt/MicroWorld/bin/avpm\n' >"$R/var/lib/dpkg/info/escan.list"
printf '/opt/kingsoft/kav\n/opt/kingsoft/kav/kavsvc\n' >"$R/var/lib/dpkg/info/kav-tools.list"
printf '/opt/UltraAV\n/opt/UltraAV/bin/ultraav\n' >"$R/var/lib/dpkg/info/ultraav.list"

# --- 1: lookalikes only ---
scan_json "$R" --full
check_eq "lookalike scan exits 0" "$rc" 0
if [ ! -s "$T/out.json" ]; then
	not_ok "report written"
	sed 's/^/# /' "$T/scan.err" | head -20
	done_testing
	exit
fi
ok "report written"
check_eq "no finding installed or running" \
	"$(jq_py "$T/out.json" 'sorted(f["product"]["id"] + ":" + f["state"] for f in r["findings"] if f["state"] in ("installed", "running"))')" "[]"
check_eq "every finding is weak" \
	"$(jq_py "$T/out.json" 'sorted(f["product"]["id"] + ":" + f["confidence"] for f in r["findings"] if f["confidence"] != "weak")')" "[]"
check_eq "no evidence above weak" \
	"$(jq_py "$T/out.json" 'sorted(e["indicator"]["id"] + "=" + str(e["value"]) for f in r["findings"] for e in per_match(f["evidence"]) if e["indicator"]["confidence"] != "weak")')" "[]"
check_eq "no other-vendor name is evidence" \
	"$(jq_py "$T/out.json" 'sorted(str(e["value"]) for f in r["findings"] for e in per_match(f["evidence"]) if any(w in (str(e["value"]) + str(e["path"])).lower() for w in ("microworld", "kingsoft", "g data", "avira", "ultraav", "ultravpn", "pango", "escan", "kav-tools")))')" "[]"
# The walk did see the guide: it is reported, weakly, as a bare vendor name.
check_eq "vendor-named document is weak evidence" \
	"$(jq_py "$T/out.json" 'sorted(set(f["confidence"] for f in r["findings"] for e in per_match(f["evidence"]) if "kaspersky-removal-guide.pdf" in str(e["value"]) + str(e["path"])))')" '["weak"]'
check_eq "no kesl finding yet" "$(finding_py "$T/out.json" kesl 'f is None')" True

# --- 2: the same root with one real KES for Linux file ---
put /opt/kaspersky/kesl/bin/kesl-control '#!/bin/sh
# fixture: KES for Linux control utility'
chmod +x "$R/opt/kaspersky/kesl/bin/kesl-control"
scan_json "$R" --full
check_eq "scan with a kesl file exits 1" "$rc" 1
check_eq "kesl is found" "$(finding_py "$T/out.json" kesl 'f is not None')" True
check_eq "kesl finding belongs to kaspersky" \
	"$(finding_py "$T/out.json" kesl 'f and f["vendor"]["id"]')" kaspersky
check_eq "kesl finding is at least strong" \
	"$(finding_py "$T/out.json" kesl 'f and f["confidence"] in ("strong", "definitive")')" True
check_eq "kesl file is a remnant, not an install" \
	"$(finding_py "$T/out.json" kesl 'f and f["state"]')" remnant
check_eq "lookalikes still not evidence" \
	"$(jq_py "$T/out.json" 'sorted(str(e["value"]) for f in r["findings"] for e in per_match(f["evidence"]) if any(w in (str(e["value"]) + str(e["path"])).lower() for w in ("microworld", "kingsoft", "g data", "avira", "ultraav", "escan")))')" "[]"

done_testing
