#!/bin/sh
# excise removal plan (excise plan --emit sh)
# report: REPORT-ID
# host: fixture-host (linux, offline root)
# root: /ROOT
# catalog: excise-stock 2026.12.08
# made: TIME
#
# Review every step before running it. Run as root: sh THIS-FILE [--dry-run]
# Each step is logged before and after; the first failure stops the script.
# Removed files are moved into $EXCISE_QUARANTINE, never deleted.
set -eu

ROOT='/ROOT'
REPORT='REPORT-ID'
LOG=${EXCISE_LOG:-/var/log/excise-remove-$REPORT.log}
Q=${EXCISE_QUARANTINE:-$ROOT/var/lib/excise/quarantine/$REPORT}
DRY=0
if [ "${1:-}" = --dry-run ]; then DRY=1; fi

log() {
	line="$(date -u +%Y-%m-%dT%H:%M:%SZ) $*"
	printf '%s\n' "$line" >&2
	if [ "$DRY" = 0 ]; then printf '%s\n' "$line" >>"$LOG"; fi
}

run() {
	if [ "$DRY" = 1 ]; then
		log "  would run: $*"
		return 0
	fi
	log "  run: $*"
	"$@"
}

# quarantine PATH [TYPE]: move PATH under $Q, keeping its place in the tree.
quarantine() {
	p=$1
	if [ ! -e "$p" ] && [ ! -L "$p" ]; then
		log "  already gone: $p"
		return 0
	fi
	if [ -L "$p" ] && [ "${2:-}" != l ]; then
		log "  refused: $p is now a symlink; rescan and plan again"
		return 1
	fi
	rel=${p#"$ROOT"}
	dest=$Q/files$(dirname -- "$rel")
	run mkdir -p -- "$dest" || return 1
	run mv -- "$p" "$dest/" || return 1
	if [ "$DRY" = 0 ]; then printf '%s\n' "$rel" >>"$Q/manifest.txt"; fi
}

if [ "$DRY" = 0 ]; then
	mkdir -p -- "$Q" "$(dirname -- "$LOG")"
fi

# pkg_rpm ARGS: rpm on the database inside $ROOT
pkg_rpm() {
	db=/var/lib/rpm
	for f in rpmdb.sqlite Packages.db Packages; do
		if [ -e "$ROOT/usr/lib/sysimage/rpm/$f" ]; then db=/usr/lib/sysimage/rpm; fi
	done
	rpm --root "$ROOT" --dbpath "$db" "$@"
}

# step 1: stop-service kesl.service
# evidence: systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl.service, strong]; systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl.service, strong]; systemd service /opt/kaspersky/kesl/bin/kesl @/lib/systemd/system/kesl.service [kaspersky.service.target.opt-kaspersky-any, strong]
step_1() {
	log "  skipped: nothing to do on an offline root"
}

# step 2: stop-service klnagent64.service
# evidence: systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64.service, definitive]; systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64.service, definitive]; systemd service /opt/kaspersky/klnagent64/sbin/klnagent @/lib/systemd/system/klnagent64.service [kaspersky.service.target.opt-kaspersky-any, strong]
step_2() {
	log "  skipped: nothing to do on an offline root"
}

# step 3: disable-service kesl.service
# evidence: systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl.service, strong]; systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl.service, strong]; systemd service /opt/kaspersky/kesl/bin/kesl @/lib/systemd/system/kesl.service [kaspersky.service.target.opt-kaspersky-any, strong]
step_3() {
	for l in "$ROOT"/etc/systemd/system/*.wants/'kesl.service' "$ROOT"/etc/systemd/system/*.requires/'kesl.service'; do
		if [ -L "$l" ]; then quarantine "$l" l || return 1; fi
	done
}

# step 4: disable-service klnagent64.service
# evidence: systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64.service, definitive]; systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64.service, definitive]; systemd service /opt/kaspersky/klnagent64/sbin/klnagent @/lib/systemd/system/klnagent64.service [kaspersky.service.target.opt-kaspersky-any, strong]
step_4() {
	for l in "$ROOT"/etc/systemd/system/*.wants/'klnagent64.service' "$ROOT"/etc/systemd/system/*.requires/'klnagent64.service'; do
		if [ -L "$l" ]; then quarantine "$l" l || return 1; fi
	done
}

# step 5: dpkg-purge kesl-gui
# evidence: dpkg package kesl-gui [kesl.package.kesl-gui, definitive]; dpkg package AO Kaspersky Lab <support@kaspersky.com> [kaspersky.package.publisher.kaspersky-re, strong]
step_5() {
	# shellcheck disable=SC2016
	if dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${db:Status-Abbrev}' -- 'kesl-gui' 2>/dev/null | grep -q '^[a-z][^n]'; then
		for f in "$ROOT"/var/lib/dpkg/info/'kesl-gui'.prerm "$ROOT"/var/lib/dpkg/info/'kesl-gui'.postrm "$ROOT"/var/lib/dpkg/info/'kesl-gui':*.prerm "$ROOT"/var/lib/dpkg/info/'kesl-gui':*.postrm; do
			if [ -e "$f" ]; then quarantine "$f" f || return 1; fi
		done
		run dpkg --root="$ROOT" --purge -- 'kesl-gui' || return 1
	else
		log "  not installed"
	fi
}

# step 6: dpkg-purge kesl
# evidence: dpkg package kesl [kesl.package.kesl, definitive]; dpkg package AO Kaspersky Lab <support@kaspersky.com> [kaspersky.package.publisher.kaspersky-re, strong]
step_6() {
	# shellcheck disable=SC2016
	if dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${db:Status-Abbrev}' -- 'kesl' 2>/dev/null | grep -q '^[a-z][^n]'; then
		for f in "$ROOT"/var/lib/dpkg/info/'kesl'.prerm "$ROOT"/var/lib/dpkg/info/'kesl'.postrm "$ROOT"/var/lib/dpkg/info/'kesl':*.prerm "$ROOT"/var/lib/dpkg/info/'kesl':*.postrm; do
			if [ -e "$f" ]; then quarantine "$f" f || return 1; fi
		done
		run dpkg --root="$ROOT" --purge -- 'kesl' || return 1
	else
		log "  not installed"
	fi
}

# step 7: dpkg-purge klnagent64
# evidence: dpkg package klnagent64 [klnagent.package.klnagent64, definitive]; dpkg package AO Kaspersky Lab <support@kaspersky.com> [kaspersky.package.publisher.kaspersky-re, strong]
step_7() {
	# shellcheck disable=SC2016
	if dpkg-query --admindir="$ROOT/var/lib/dpkg" -W -f='${db:Status-Abbrev}' -- 'klnagent64' 2>/dev/null | grep -q '^[a-z][^n]'; then
		for f in "$ROOT"/var/lib/dpkg/info/'klnagent64'.prerm "$ROOT"/var/lib/dpkg/info/'klnagent64'.postrm "$ROOT"/var/lib/dpkg/info/'klnagent64':*.prerm "$ROOT"/var/lib/dpkg/info/'klnagent64':*.postrm; do
			if [ -e "$f" ]; then quarantine "$f" f || return 1; fi
		done
		run dpkg --root="$ROOT" --purge -- 'klnagent64' || return 1
	else
		log "  not installed"
	fi
}

# step 8: remove-path /etc/systemd/system/multi-user.target.wants/kesl.service
# evidence: systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl.service, strong]
step_8() {
	quarantine "$ROOT"'/etc/systemd/system/multi-user.target.wants/kesl.service' l || return 1
}

# step 9: remove-path /etc/systemd/system/multi-user.target.wants/klnagent64.service
# evidence: systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64.service, definitive]
step_9() {
	quarantine "$ROOT"'/etc/systemd/system/multi-user.target.wants/klnagent64.service' l || return 1
}

# step 10: remove-path /lib/systemd/system/kesl.service
# evidence: systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl.service, strong]; systemd service /opt/kaspersky/kesl/bin/kesl @/lib/systemd/system/kesl.service [kaspersky.service.target.opt-kaspersky-any, strong]
step_10() {
	quarantine "$ROOT"'/lib/systemd/system/kesl.service' f || return 1
}

# step 11: remove-path /lib/systemd/system/klnagent64.service
# evidence: systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64.service, definitive]; systemd service /opt/kaspersky/klnagent64/sbin/klnagent @/lib/systemd/system/klnagent64.service [kaspersky.service.target.opt-kaspersky-any, strong]
step_11() {
	quarantine "$ROOT"'/lib/systemd/system/klnagent64.service' f || return 1
}

# step 12: remove-path /opt/kaspersky
# evidence: files file /opt/kaspersky @/opt/kaspersky [kaspersky.file.path.opt-kaspersky, definitive]
step_12() {
	quarantine "$ROOT"'/opt/kaspersky' d || return 1
}

# step 13: remove-path /var/opt/kaspersky
# evidence: files file /var/opt/kaspersky @/var/opt/kaspersky [kaspersky.file.path.var-opt-kaspersky, definitive]
step_13() {
	quarantine "$ROOT"'/var/opt/kaspersky' d || return 1
}

# step 14: remove-cert CERT-SHA256
# evidence: truststore cert Kaspersky Anti-Virus Personal Root Certificate @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]
step_14() {
	log "  in a generated bundle: it leaves when the trust store is regenerated"
}

# step 15: remove-cert CERT-SHA256
# evidence: truststore cert Kaspersky Anti-Virus Personal Root Certificate @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]
step_15() {
	quarantine "$ROOT"'/etc/ssl/certs/ea2e8480.0' l || return 1
}

# step 16: remove-cert CERT-SHA256
# evidence: truststore cert Kaspersky Anti-Virus Personal Root Certificate @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]
step_16() {
	quarantine "$ROOT"'/etc/ssl/certs/kaspersky-fixture.pem' l || return 1
}

# step 17: remove-cert CERT-SHA256
# evidence: truststore cert Kaspersky Anti-Virus Personal Root Certificate @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]
step_17() {
	quarantine "$ROOT"'/usr/local/share/ca-certificates/kaspersky-fixture.crt' l || return 1
}

# step 18: regenerate-trust trust-store
# evidence: truststore cert Kaspersky Anti-Virus Personal Root Certificate @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ca-certificates.crt [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert Kaspersky Anti-Virus Personal Root Certificate @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/ea2e8480.0 [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert Kaspersky Anti-Virus Personal Root Certificate @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/etc/ssl/certs/kaspersky-fixture.pem [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert Kaspersky Anti-Virus Personal Root Certificate @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.kaspersky-anti-virus-personal-root-certificate, strong]; truststore cert AO Kaspersky Lab @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.publisher.ao-kaspersky-lab, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.subject.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]; truststore cert CN=Kaspersky Anti-Virus Personal Root Certificate,O=AO Kaspersky Lab,C=RU @/usr/local/share/ca-certificates/kaspersky-fixture.crt [kaspersky.cert.issuer.cn-kaspersky-anti-virus-personal-root-certificate-re, strong]
step_18() {
	log "  offline root: regenerate inside the image (chroot \"$ROOT\" update-ca-certificates --fresh) or use excise remove, which rewrites the bundles"
}

# step 19: reload-units daemon-reload
# evidence: systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/etc/systemd/system/multi-user.target.wants/kesl.service [kesl.service.kesl.service, strong]; systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl, strong]; systemd service kesl.service @/lib/systemd/system/kesl.service [kesl.service.kesl.service, strong]; systemd service /opt/kaspersky/kesl/bin/kesl @/lib/systemd/system/kesl.service [kaspersky.service.target.opt-kaspersky-any, strong]; systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/etc/systemd/system/multi-user.target.wants/klnagent64.service [klnagent.service.klnagent64.service, definitive]; systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64, definitive]; systemd service klnagent64.service @/lib/systemd/system/klnagent64.service [klnagent.service.klnagent64.service, definitive]; systemd service /opt/kaspersky/klnagent64/sbin/klnagent @/lib/systemd/system/klnagent64.service [kaspersky.service.target.opt-kaspersky-any, strong]
step_19() {
	log "  skipped: nothing to do on an offline root"
}

log "step 1/19: stop-service "'kesl.service'
if step_1; then
	log "  ok"
else
	log "FAILED at step 1: stopping"
	exit 1
fi
log "step 2/19: stop-service "'klnagent64.service'
if step_2; then
	log "  ok"
else
	log "FAILED at step 2: stopping"
	exit 1
fi
log "step 3/19: disable-service "'kesl.service'
if step_3; then
	log "  ok"
else
	log "FAILED at step 3: stopping"
	exit 1
fi
log "step 4/19: disable-service "'klnagent64.service'
if step_4; then
	log "  ok"
else
	log "FAILED at step 4: stopping"
	exit 1
fi
log "step 5/19: dpkg-purge "'kesl-gui'
if step_5; then
	log "  ok"
else
	log "FAILED at step 5: stopping"
	exit 1
fi
log "step 6/19: dpkg-purge "'kesl'
if step_6; then
	log "  ok"
else
	log "FAILED at step 6: stopping"
	exit 1
fi
log "step 7/19: dpkg-purge "'klnagent64'
if step_7; then
	log "  ok"
else
	log "FAILED at step 7: stopping"
	exit 1
fi
log "step 8/19: remove-path "'/etc/systemd/system/multi-user.target.wants/kesl.service'
if step_8; then
	log "  ok"
else
	log "FAILED at step 8: stopping"
	exit 1
fi
log "step 9/19: remove-path "'/etc/systemd/system/multi-user.target.wants/klnagent64.service'
if step_9; then
	log "  ok"
else
	log "FAILED at step 9: stopping"
	exit 1
fi
log "step 10/19: remove-path "'/lib/systemd/system/kesl.service'
if step_10; then
	log "  ok"
else
	log "FAILED at step 10: stopping"
	exit 1
fi
log "step 11/19: remove-path "'/lib/systemd/system/klnagent64.service'
if step_11; then
	log "  ok"
else
	log "FAILED at step 11: stopping"
	exit 1
fi
log "step 12/19: remove-path "'/opt/kaspersky'
if step_12; then
	log "  ok"
else
	log "FAILED at step 12: stopping"
	exit 1
fi
log "step 13/19: remove-path "'/var/opt/kaspersky'
if step_13; then
	log "  ok"
else
	log "FAILED at step 13: stopping"
	exit 1
fi
log "step 14/19: remove-cert "'CERT-SHA256'
if step_14; then
	log "  ok"
else
	log "FAILED at step 14: stopping"
	exit 1
fi
log "step 15/19: remove-cert "'CERT-SHA256'
if step_15; then
	log "  ok"
else
	log "FAILED at step 15: stopping"
	exit 1
fi
log "step 16/19: remove-cert "'CERT-SHA256'
if step_16; then
	log "  ok"
else
	log "FAILED at step 16: stopping"
	exit 1
fi
log "step 17/19: remove-cert "'CERT-SHA256'
if step_17; then
	log "  ok"
else
	log "FAILED at step 17: stopping"
	exit 1
fi
log "step 18/19: regenerate-trust "'trust-store'
if step_18; then
	log "  ok"
else
	log "FAILED at step 18: stopping"
	exit 1
fi
log "step 19/19: reload-units "'daemon-reload'
if step_19; then
	log "  ok"
else
	log "FAILED at step 19: stopping"
	exit 1
fi
log "done"
log "next: excise verify to rescan and attest the result"
