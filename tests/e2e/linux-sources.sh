#!/bin/bash
# End-to-end: the systemd, sysv, kmod and truststore sources over a fixture root
# laid out like a host with Kaspersky Endpoint Security for Linux and Network
# Agent: unit files and their enablement links, a SysV script with an rc link,
# a module tree, and a trust store built with openssl at test time.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip_all "openssl not installed"

# jq_py_true EXPR: true when EXPR over the last report ($T/out.json) is True.
jq_py_true() { [ "$(jq_py "$T/out.json" "$1")" = True ]; }

R=$T/root
mkdir -p "$R/lib/systemd/system" "$R/etc/systemd/system/multi-user.target.wants" \
	"$R/etc/init.d" "$R/etc/rc2.d" "$R/etc/ssl/certs" "$R/usr/local/share/ca-certificates" \
	"$R/etc/pki/trust/anchors"
echo 'ID=debian' >"$R/etc/os-release"
U=$R/lib/systemd/system

# --- systemd units -----------------------------------------------------------
cat >"$U/kesl.service" <<'EOF'
[Unit]
Description=Kaspersky Endpoint Security for Linux
After=network-online.target local-fs.target
Wants=network-online.target

[Service]
Type=forking
PIDFile=/var/run/kesl.pid
ExecStart=/opt/kaspersky/kesl/libexec/kesl --daemon \
	--config /var/opt/kaspersky/kesl/common/kesl.ini
ExecStop=/opt/kaspersky/kesl/libexec/kesl --stop
Restart=on-failure
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
EOF
cat >"$U/kesl-supervisor.service" <<'EOF'
[Unit]
Description=Kaspersky Endpoint Security for Linux supervisor
Before=kesl.service

[Service]
ExecStart=-/opt/kaspersky/kesl/libexec/kesl-supervisor -f
Restart=always

[Install]
WantedBy=multi-user.target
EOF
printf '%s\r\n' '[Unit]' 'Description=Kaspersky Security Center Network Agent' \
	'[Service]' 'Type=forking' 'ExecStart=/opt/kaspersky/klnagent64/sbin/klnagent -d' \
	'[Install]' 'WantedBy=multi-user.target' >"$U/klnagent64.service"
cat >"$U/acme-backup.service" <<'EOF'
[Unit]
Description=Acme nightly backup
this line is not an assignment
[Service]
ExecStart=/usr/bin/acme-backup
EOF
cat >"$U/sshd.service" <<'EOF'
[Unit]
Description=OpenBSD Secure Shell server
[Service]
ExecStart=/usr/sbin/sshd -D
EOF
W=$R/etc/systemd/system/multi-user.target.wants
ln -s /lib/systemd/system/kesl.service "$W/kesl.service"
ln -s /lib/systemd/system/klnagent64.service "$W/klnagent64.service"
ln -s /lib/systemd/system/sshd.service "$W/sshd.service"
ln -s /dev/null "$R/etc/systemd/system/kesl-supervisor.service"
ln -s /lib/systemd/system/klnagent64.service "$R/etc/systemd/system/klnagent.service"

# --- SysV --------------------------------------------------------------------
cat >"$R/etc/init.d/klnagent64" <<'EOF'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          klnagent64
# Required-Start:    $local_fs $network
# Required-Stop:     $local_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: Kaspersky Network Agent
# Description:       Kaspersky Security Center Network Agent daemon
### END INIT INFO
DAEMON="/opt/kaspersky/klnagent64/sbin/klnagent"
PIDFILE=/var/run/klnagent.pid
case "$1" in
start) start-stop-daemon --start --pidfile $PIDFILE --exec $DAEMON ;;
esac
EOF
chmod 755 "$R/etc/init.d/klnagent64"
printf '#!/bin/sh\n# Short-Description: something else\n' >"$R/etc/init.d/acme"
ln -s ../init.d/klnagent64 "$R/etc/rc2.d/S01klnagent64"

# --- kernel modules ----------------------------------------------------------
M=$R/lib/modules/6.1.0-13-amd64
mkdir -p "$M/kernel/fs/ext4" "$M/extra/vendor"
printf 'not really ELF' >"$M/kernel/fs/ext4/ext4.ko"
printf 'x' >"$M/extra/vendor/kl_fake.ko.xz"
printf 'x' >"$M/extra/vendor/some-module.ko.zst"
printf 'x' >"$M/extra/vendor/README"
# A module object with a .modinfo section, as the kernel build writes it.
cat >"$T/mod.c" <<'EOF'
#define MI(n, s) static const char n[] __attribute__((section(".modinfo"), used, aligned(1))) = s
MI(a1, "author=Kaspersky Lab");
MI(a2, "author=Second Author");
MI(d1, "description=Kaspersky file interceptor");
MI(l1, "license=Proprietary");
MI(v1, "version=12.1.0.1297");
MI(vm, "vermagic=6.1.0-13-amd64 SMP preempt mod_unload modversions ");
int init_module(void) { return 0; }
EOF
cc -c -O2 -o "$M/extra/vendor/kl_intercept.ko" "$T/mod.c"
xz -k -c "$M/extra/vendor/kl_intercept.ko" >"$M/extra/vendor/kl_packed.ko.xz"
# Named like a module but not ELF, and xz data named .ko: neither is handed to libkmod.
printf 'garbage' >"$M/extra/vendor/bogus.ko"
cp "$M/extra/vendor/kl_packed.ko.xz" "$M/extra/vendor/kl_disguised.ko"
deep=$M/extra
for i in $(seq 1 12); do deep=$deep/d$i; done
mkdir -p "$deep"
printf 'x' >"$deep/too_deep.ko"

# --- trust store -------------------------------------------------------------
mkcert() { # mkcert FILE SUBJECT
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
		-keyout "$T/key.pem" -out "$1" -subj "$2" 2>/dev/null
}
mkcert "$T/acme.pem" "/C=US/O=Acme Corp/CN=Acme Root CA"
mkcert "$T/kav.pem" "/C=RU/O=AO Kaspersky Lab/CN=Kaspersky Anti-Virus Personal Root Certificate"
mkcert "$T/other.pem" "/C=DE/O=Example GmbH/CN=Example Root"
# A block whose base64 is damaged.
{
	echo "-----BEGIN CERTIFICATE-----"
	sed -n '2,4p' "$T/other.pem" | tr 'A-Za-z' 'N-ZA-Mn-za-m' | sed 's/^/!!/'
	echo "-----END CERTIFICATE-----"
} >"$T/corrupt.pem"
cat "$T/acme.pem" "$T/kav.pem" "$T/other.pem" "$T/corrupt.pem" "$T/kav.pem" \
	>"$R/etc/ssl/certs/ca-certificates.crt"
cp "$T/kav.pem" "$R/usr/local/share/ca-certificates/kav.crt"
ln -s /usr/local/share/ca-certificates/kav.crt "$R/etc/ssl/certs/kav.pem"
h=$(openssl x509 -hash -noout -in "$T/kav.pem")
ln -s kav.pem "$R/etc/ssl/certs/$h.0"
openssl x509 -in "$T/kav.pem" -outform DER -out "$R/etc/pki/trust/anchors/kav.cer"
cp "$T/acme.pem" "$R/etc/ssl/certs/acme.pem"

scan_json "$R"
check_eq "exit status: covered software found" "$rc" 1
[ -s "$T/out.json" ] || { sed 's/^/# /' "$T/scan.err"; done_testing; exit 1; }
O=$T/out.json
for s in systemd sysv truststore; do
	check_eq "source $s ran" "$(jq_py "$O" "[s['status'] for s in r['sources'] if s['name']=='$s']")" '["ok"]'
done
# The module tree deeper than EXCISE_MAX_SOURCE_DEPTH (below) stops kmod reading part of it:
# it ran, and is incomplete.
check_eq "source kmod ran, stopped by the depth limit: failed" \
	"$(jq_py "$O" "[(s['status'], s['error'].startswith('stopped by a limit: ') and 'directory levels' in s['error']) for s in r['sources'] if s['name']=='kmod']")" \
	'[["failed", true]]'

# Evidence of every finding, flattened.
ev() { jq_py "$O" "sorted(set($1 for f in r['findings'] for e in per_match(f['evidence']) if $2))"; }

check_eq "kesl is installed (enabled unit, strong)" \
	"$(finding_py "$O" kesl "f and (f['state'], f['confidence'])")" "('installed', 'strong')"
check_eq "kesl unit evidence: name, path, state" \
	"$(ev "(e['value'], e['path'], e['state'], e['active'])" "e['source']=='systemd' and e['field']=='name' and e['path']=='/lib/systemd/system/kesl.service'")" \
	'[["kesl.service", "/lib/systemd/system/kesl.service", "enabled", true]]'
check_eq "kesl enablement link reported" \
	"$(ev "(e['value'], e['state'])" "e['path']=='/etc/systemd/system/multi-user.target.wants/kesl.service'")" \
	'[["kesl.service", "link:wants"]]'
check_eq "ExecStart (prefix '-' stripped) matched the vendor path" \
	"$(ev "e['value']" "e['source']=='systemd' and e['field']=='target' and 'supervisor' in e['value']")" \
	'["/opt/kaspersky/kesl/libexec/kesl-supervisor -f"]'
check_eq "masked unit: state masked, not active, mask link reported" \
	"$(ev "(e['path'], e['state'], e['active'])" "e['source']=='systemd' and e['value']=='kesl-supervisor.service'")" \
	'[["/etc/systemd/system/kesl-supervisor.service", "link:mask", false], ["/lib/systemd/system/kesl-supervisor.service", "masked", false]]'
check_eq "klnagent is installed, definitive" \
	"$(finding_py "$O" klnagent "f and (f['state'], f['confidence'])")" "('installed', 'definitive')"
check_eq "klnagent64 unit (CRLF) and its alias and wants link" \
	"$(ev "(e['path'], e['state'])" "e['source']=='systemd' and e['value']=='klnagent64.service'")" \
	'[["/etc/systemd/system/klnagent.service", "link:alias"], ["/etc/systemd/system/multi-user.target.wants/klnagent64.service", "link:wants"], ["/lib/systemd/system/klnagent64.service", "enabled"]]'
check_eq "SysV script enabled by its rc2.d link" \
	"$(ev "(e['path'], e['state'], e['active'])" "e['source']=='sysv' and e['field']=='name'")" \
	'[["/etc/init.d/klnagent64", "enabled", true], ["/etc/rc2.d/S01klnagent64", "link:rc", true]]'
check_eq "SysV DAEMON= line read as the target" \
	"$(ev "e['value']" "e['source']=='sysv' and e['field']=='target' and e['path']=='/etc/init.d/klnagent64'")" \
	'["/opt/kaspersky/klnagent64/sbin/klnagent"]'
check_eq "unrelated units and scripts not reported" \
	"$(ev "e['path']" "'acme' in (e['path'] or '') or 'sshd' in (e['path'] or '')")" '[]'
check_eq "systemd: one observation per unit and per link" \
	"$(jq_py "$O" "[s['observations'] for s in r['sources'] if s['name']=='systemd']")" '[10]'
check "systemd: bad unit line reported with file and line" \
	jq_py_true "any(\"'/lib/systemd/system/acme-backup.service': line 3: no '='\" in m for s in r['sources'] if s['name']=='systemd' for m in s['errors'])"

check_eq "Kaspersky root certificate found in every place it is trusted" \
	"$(ev "e['path']" "e['source']=='truststore'")" \
	"$(py -c 'import json, sys; print(json.dumps(sorted(sys.argv[1:])))' \
		/etc/pki/trust/anchors/kav.cer "/etc/ssl/certs/$h.0" /etc/ssl/certs/ca-certificates.crt \
		/etc/ssl/certs/kav.pem /usr/local/share/ca-certificates/kav.crt)"
check_eq "certificate subject in RFC 2253 form" \
	"$(ev "e['value']" "e['source']=='truststore' and e['field']=='subject'")" \
	'["CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU"]'
kav_sha=$(openssl x509 -in "$T/kav.pem" -outform DER | sha256sum | cut -d' ' -f1)
check_eq "certificate evidence carries its SHA-256 in attrs" \
	"$(ev "e['attrs']['sha256']" "e['source']=='truststore' and e['field']=='subject'")" "[\"$kav_sha\"]"
check_eq "every truststore evidence has the same attrs" \
	"$(jq_py "$O" "sorted(set(json.dumps(e.get('attrs')) for f in r['findings'] for e in per_match(f['evidence']) if e['source']=='truststore'))")" \
	"[\"{\\\"sha256\\\": \\\"$kav_sha\\\"}\"]"
check_eq "the Acme and Example certificates are not reported" \
	"$(ev "e['value']" "e['source']=='truststore' and ('Acme' in e['value'] or 'Example' in e['value'])")" '[]'
check_eq "truststore observations: 3 distinct in the bundle + 4 single files + acme" \
	"$(jq_py "$O" "[s['observations'] for s in r['sources'] if s['name']=='truststore']")" '[8]'
check "corrupt PEM block reported with file and index" \
	jq_py_true "any(\"'/etc/ssl/certs/ca-certificates.crt': certificate 4 \" in m for s in r['sources'] if s['name']=='truststore' for m in s['errors'])"

check_eq "kmod: the seven module files in reach observed" \
	"$(jq_py "$O" "[s['observations'] for s in r['sources'] if s['name']=='kmod']")" '[7]'
modinfo_of() { modinfo -F "$1" "$M/extra/vendor/kl_intercept.ko" | paste -sd, | sed 's/,/, /g'; }
check_eq "kmod: .modinfo author and version as modinfo(8) reads them" \
	"$(ev "(e['value'], e['version'])" "e['source']=='kmod' and e['field']=='publisher'")" \
	"[[\"$(modinfo_of author)\", \"$(modinfo_of version)\"]]"
check_eq "kmod: the author names the vendor: weak evidence" \
	"$(ev "e['indicator']['confidence']" "e['source']=='kmod' and e['field']=='publisher'")" '["weak"]'
check_eq "kmod: license and vermagic in attrs" \
	"$(jq_py "$O" "sorted(set((e['attrs']['license'], e['attrs']['vermagic']) for f in r['findings'] for e in per_match(f['evidence']) if e['source']=='kmod' and 'attrs' in e))")" \
	"[[\"$(modinfo_of license)\", \"$(modinfo_of vermagic)\"]]"
check "kmod: a .ko that is not ELF, and compressed data named .ko, are item errors" \
	jq_py_true "sum(1 for s in r['sources'] if s['name']=='kmod' for m in s['errors'] if ('bogus.ko' in m or 'kl_disguised.ko' in m) and '.modinfo not read' in m) == 2"
check "kmod: a compressed module is not opened" \
	jq_py_true "not any('kl_packed' in m for s in r['sources'] for m in s['errors'])"
check "kmod: too deep a tree reported, not followed" \
	jq_py_true "any('more than 10 directory levels' in m for s in r['sources'] if s['name']=='kmod' for m in s['errors'])"

# --- limits: bundle size and certificates per bundle ----------------------------
R2=$T/root2
mkdir -p "$R2/etc/ssl"
echo 'ID=debian' >"$R2/etc/os-release"
py - "$R2/etc/ssl/cert.pem" "$T/kav.pem" <<'PY'
import sys
blk = "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"
with open(sys.argv[1], "w") as f:
    f.write(blk * 100001)
    f.write(open(sys.argv[2]).read())
PY
dd if=/dev/zero of="$R2/etc/ssl/ca-bundle.pem" bs=1M count=33 status=none
scan_json "$R2" --only truststore
check_eq "over-limit bundles: nothing found, and the scan incomplete (a limit stopped the reading)" "$rc" 2
check_eq "over-limit bundles: truststore failed, stopped by a limit" \
	"$(jq_py "$T/out.json" "[(s['status'], s['error'].startswith('stopped by a limit: ')) for s in r['sources'] if s['name']=='truststore']")" \
	'[["failed", true]]'
check "more than EXCISE_MAX_CERTS_PER_BUNDLE certificates: reported, rest not read" \
	jq_py_true "any(\"'/etc/ssl/cert.pem': more than 100000 certificates, only the first\" in m for s in r['sources'] for m in s['errors'])"
check "bundle over EXCISE_MAX_PEM_BUNDLE_SIZE: reported, not read" \
	jq_py_true "any(\"'/etc/ssl/ca-bundle.pem': larger than\" in m for s in r['sources'] for m in s['errors'])"
check_eq "all bad blocks counted" \
	"$(jq_py "$T/out.json" "[s['n_errors'] for s in r['sources'] if s['name']=='truststore']")" '[100002]'

done_testing
