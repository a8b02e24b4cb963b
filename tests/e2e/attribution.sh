#!/bin/bash
# End-to-end: which finding each piece of evidence goes to (issue 12, item 3) and the
# state of each finding (item 4), over the shared linux fixture (fixtures.sh,
# build_linux_root): Endpoint Security for Linux and Network Agent installed side by
# side under /opt/kaspersky with real .deb packages, a trusted root certificate the
# product planted, and a notes file naming the vendor in an unrelated folder.
# The checks read findings (product id, kind, state, confidence) and of evidence only
# path, source, kind and the ids of the indicators that matched it.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v dpkg >/dev/null || skip_all "dpkg not installed"
command -v openssl >/dev/null || skip_all "openssl not installed"
R=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }

scan_json "$R"
check_eq "scan: exit 1, found" "$rc:$(jq_py "$T/out.json" "r['summary']['verdict']")" "1:found"

# (product id, path) of every piece of evidence with a path, and the ids that matched it
# (excise.report/2: e['matches']; /1: e['indicator'])
EV="[(f['product']['id'], e['path'], e['source'], e['kind'], [m['indicator']['id'] for m in e['matches']] if 'matches' in e else [e['indicator']['id']]) for f in r['findings'] for e in f['evidence'] if e['path']]"

check_eq "Network Agent's files and unit are in the klnagent finding only" \
	"$(jq_py "$T/out.json" "sorted({p for p, path, s, k, ids in $EV if 'klnagent' in path})")" '["klnagent"]'
check_eq "the klnagent finding has its folder, its file and its unit" \
	"$(jq_py "$T/out.json" "sorted({path for p, path, s, k, ids in $EV if p == 'klnagent'} & {'/opt/kaspersky/klnagent64', '/opt/kaspersky/klnagent64/bin/klnagchk', '/lib/systemd/system/klnagent64.service'})")" \
	'["/lib/systemd/system/klnagent64.service", "/opt/kaspersky/klnagent64", "/opt/kaspersky/klnagent64/bin/klnagchk"]'
check_eq "a vendor-wide indicator on Network Agent's file follows the file" \
	"$(jq_py "$T/out.json" "sorted({p for p, path, s, k, ids in $EV if path == '/opt/kaspersky/klnagent64/bin/klnagchk' and 'kaspersky.file.path.opt-kaspersky-any' in ids})")" \
	'["klnagent"]'
check_eq "the KESL finding keeps its own files" \
	"$(jq_py "$T/out.json" "sorted({p for p, path, s, k, ids in $EV if path.startswith('/opt/kaspersky/kesl/') or path.startswith('/var/opt/kaspersky/kesl')})")" \
	'["kesl"]'
check_eq "the klnagent64 package's maintainer is Network Agent's evidence, not KESL's" \
	"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings'] if any(e['source'] == 'dpkg' and 'kaspersky.package.publisher.kaspersky-re' in ([m['indicator']['id'] for m in e['matches']] if 'matches' in e else [e['indicator']['id']]) for e in f['evidence'])]")" \
	'["kesl", "klnagent"]'
check_eq "the notes file is a trace of the vendor, under no product" \
	"$(jq_py "$T/out.json" "sorted({p for p, path, s, k, ids in $EV if path == '/opt/other/notes-about-kaspersky.txt'})")" \
	'["kaspersky:traces"]'
check_eq "the traces finding: weak, a remnant, kind traces" \
	"$(finding_py "$T/out.json" kaspersky:traces "(f['confidence'], f['state'], f.get('kind', 'traces'))")" \
	"('weak', 'remnant', 'traces')"
check_eq "both products installed, definitive" \
	"$(jq_py "$T/out.json" "sorted((f['product']['id'], f['state'], f['confidence']) for f in r['findings'] if f['product']['id'] in ('kesl', 'klnagent'))")" \
	'[["kesl", "installed", "definitive"], ["klnagent", "installed", "definitive"]]'
check_eq "the trusted root joins an installed product: no trust finding, nothing unidentified" \
	"$(jq_py "$T/out.json" "sorted({(p, f['state']) for f in r['findings'] for p in [f['product']['id']] if any(e['kind'] == 'cert' for e in f['evidence'])})")" \
	'[["kesl", "installed"]]'
check_eq "findings: installed first, traces last" \
	"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings']][-1]")" "kaspersky:traces"

# The same root with the packages, units and files of both products gone: the trusted
# root alone is a trust exposure (found, exit 1), not an installed product.
C=$T/trust
mkdir -p "$C/etc/ssl/certs" "$C/usr/local/share/ca-certificates" "$C/var/lib/dpkg"
cp "$R/etc/os-release" "$C/etc/"
: >"$C/var/lib/dpkg/status"
cp "$R/usr/local/share/ca-certificates/kaspersky-fixture.crt" "$C/usr/local/share/ca-certificates/"
scan_json "$C"
check_eq "a lone trusted root: exit 1, found" "$rc:$(jq_py "$T/out.json" "r['summary']['verdict']")" "1:found"
check_eq "a lone trusted root: one finding, state trust, strong" \
	"$(jq_py "$T/out.json" "[(f['product']['id'], f['state'], f['confidence']) for f in r['findings']]")" \
	'[["kaspersky:unidentified", "trust", "strong"]]'
check_eq "a lone trusted root: covered by the directive" \
	"$(finding_py "$T/out.json" kaspersky:unidentified "len(f['directives']) > 0")" True

# Only the notes file: traces alone are weak, the scan is clean.
N=$T/notes
mkdir -p "$N/opt/other" "$N/var/lib/dpkg" "$N/etc"
cp "$R/etc/os-release" "$N/etc/"
: >"$N/var/lib/dpkg/status"
cp "$R/opt/other/notes-about-kaspersky.txt" "$N/opt/other/"
scan_json "$N"
check_eq "only a notes file: exit 0, clean" "$rc:$(jq_py "$T/out.json" "r['summary']['verdict']")" "0:clean"
check_eq "only a notes file: the vendor's traces" \
	"$(jq_py "$T/out.json" "[f['product']['id'] for f in r['findings']]")" '["kaspersky:traces"]'

done_testing
