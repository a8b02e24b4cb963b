#!/bin/bash
# End-to-end, issue 12 ("Detection you can trust"): the text view people read. On
# the fixture root "linux" (KESL and Network Agent, a planted root certificate):
# no line wider than the terminal (COLUMNS), no line twice in a finding, one line per
# artifact (a file matched by three indicators is one line) ending in exactly
# "[<strongest indicator id> +N more]" (N the others, no count when alone), -v showing more:
# every indicator of an artifact. On the fixture roots "kes-windows" and
# "kes-windows-ru": registry paths as Windows writes them, with single backslashes,
# and Cyrillic text within the width counted in characters.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

# wider FILE W: the lines of FILE wider than W characters: how many, and the first three
# (their width and start); [] when none
wider() {
	py -c 'import sys
w = [(len(l), l[:60]) for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if len(l) > int(sys.argv[2])]
print(w and [len(w)] + w[:3])' "$1" "$2"
}
# repeated FILE: the lines that appear more than once within one block of FILE (a block:
# a line that does not start with a space, a finding's heading, and the lines under it)
repeated() {
	py -c 'import collections, sys
blocks, dup = [[]], []
for l in open(sys.argv[1], encoding="utf-8").read().splitlines():
    if l and not l[0].isspace():
        blocks.append([])
    if l.strip():
        blocks[-1].append(l)
for b in blocks:
    dup += sorted(l for l, n in collections.Counter(b).items() if n > 1)
print(dup)' "$1"
}
# lines_with FILE TEXT: how many lines of FILE hold TEXT
lines_with() { grep -cF -- "$2" "$1"; }

if command -v dpkg >/dev/null && command -v openssl >/dev/null; then
	L=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
	for w in 100 80; do
		rc=0
		COLUMNS=$w "$EXCISE" scan --root "$L" >"$T/w$w.txt" 2>"$T/w$w.err" || rc=$?
		check_eq "linux, COLUMNS=$w: found (exit 1)" "$rc" 1
		check_eq "linux, COLUMNS=$w: no line wider than $w characters" "$(wider "$T/w$w.txt" $w)" '[]'
	done
	T100=$T/w100.txt
	check_eq "linux: no two lines the same (within a finding)" "$(repeated "$T100")" '[]'
	# paths are not elided at this width: the lines of one artifact can be counted
	COLUMNS=250 "$EXCISE" scan --root "$L" >"$T/wide.txt" 2>/dev/null
	scan_json "$L"
	check "linux: report validates" validate_report "$T/out.json"
	# kesl.ini: a file that matched several indicators, one artifact, one line
	INI=/var/opt/kaspersky/kesl/common/kesl.ini
	check_eq "linux: $INI matched several indicators (one evidence record)" \
		"$(jq_py "$T/out.json" "[len(e['matches']) > 1 for f in r['findings'] for e in f['evidence'] if e['path']=='$INI']")" '[true]'
	check_eq "linux: $INI is one line of the text view" "$(lines_with "$T/wide.txt" "$INI")" 1
	check_eq "linux: the planted certificate is one line per file that holds it" \
		"$(lines_with "$T/wide.txt" /etc/ssl/certs/ca-certificates.crt)" 1
	# the line of an artifact: "<confidence> <kind> <path> (<state>) [<indicator id> +N more]",
	# the id the strongest indicator (the record's first match), N the number of the others;
	# "[<indicator id>]" alone when it is the only one (N and the id from the report)
	# line_want PATH: the line the report says PATH's artifact must have
	line_want() {
		jq_py "$T/out.json" "[('    %-10s %s %s (%s) [%s%s]' % (e['confidence'], e['kind'], e['path'], e['state'], m[0]['indicator']['id'], ' +%d more' % (len(m) - 1) if len(m) > 1 else '')) for f in r['findings'] for e in f['evidence'] if e['path']=='$1' for m in [e['matches']]]"
	}
	line_got() { py -c 'import json, sys; print(json.dumps([l for l in open(sys.argv[1], encoding="utf-8").read().splitlines() if (" %s (" % sys.argv[2]) in l]))' "$T/wide.txt" "$1"; }
	check_eq "linux: $INI's line is exactly [<strongest indicator id> +N more]" "$(line_got "$INI")" "$(line_want "$INI")"
	check_eq "linux: ... with N = 2 and the strongest indicator first in the report" \
		"$(jq_py "$T/out.json" "[(len(e['matches']) - 1, e['matches'][0]['indicator']['confidence'] == e['confidence']) for f in r['findings'] for e in f['evidence'] if e['path']=='$INI']")" \
		'[[2, true]]'
	check "linux: ... and it ends in ' +2 more]'" sh -c "grep -F ' $INI (' '$T/wide.txt' | grep -Eq ' \\[[a-z0-9._:-]+ \\+2 more\\]\$'"
	KCTL=/opt/kaspersky/kesl/bin/kesl-control
	check_eq "linux: $KCTL's line likewise" "$(line_got "$KCTL")" "$(line_want "$KCTL")"
	ONE=/etc/opt/kaspersky
	check_eq "linux: $ONE, matched by one indicator, shows [<id>] with no count" \
		"$(jq_py "$T/out.json" "[len(e['matches']) for f in r['findings'] for e in f['evidence'] if e['path']=='$ONE']") $(line_got "$ONE")" \
		"[1] $(line_want "$ONE")"
	check "linux: ... and no line says '+0 more'" sh -c "! grep -qF '+0 more' '$T/wide.txt'"
	rc=0
	COLUMNS=100 "$EXCISE" scan -v --root "$L" >"$T/v.txt" 2>"$T/v.err" || rc=$?
	check_eq "linux -v: found (exit 1)" "$rc" 1
	check "linux -v: more lines than the default view ($(wc -l <"$T100"))" \
		test "$(wc -l <"$T/v.txt")" -gt "$(wc -l <"$T100")"
	check_eq "linux -v: every indicator that matched $INI is shown" \
		"$(jq_py "$T/out.json" "[m['indicator']['id'] for f in r['findings'] for e in f['evidence'] if e['path']=='$INI' for m in e['matches'] if m['indicator']['id'] not in open('$T/v.txt', encoding='utf-8').read()]")" '[]'
else
	ok "# SKIP the linux fixture: dpkg or openssl not installed"
fi

if command -v hivexregedit >/dev/null && command -v hivexsh >/dev/null; then
	W=$(fixture kes-windows) || { echo "Bail out! fixture kes-windows"; exit 1; }
	rc=0
	COLUMNS=250 "$EXCISE" scan --root "$W" >"$T/win.txt" 2>"$T/win.err" || rc=$?
	check_eq "kes-windows: found (exit 1)" "$rc" 1
	check "kes-windows: registry paths with single backslashes" \
		grep -qF 'HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{9A017278-F7F4-4DF9-A482-0B97B70DD7ED}' "$T/win.txt"
	check_eq "kes-windows: no doubled backslash anywhere" "$(grep -cF "\\\\" "$T/win.txt")" 0
	check_eq "kes-windows: no two lines the same (within a finding)" "$(repeated "$T/win.txt")" '[]'
	check_eq "kes-windows: no line wider than 250 characters" "$(wider "$T/win.txt" 250)" '[]'
	# Cyrillic names: the width is counted in characters, never cutting a UTF-8 sequence
	RU=$(fixture kes-windows-ru) || { echo "Bail out! fixture kes-windows-ru"; exit 1; }
	for w in 100 72; do
		rc=0
		COLUMNS=$w "$EXCISE" scan --root "$RU" >"$T/ru$w.txt" 2>"$T/ru$w.err" || rc=$?
		check_eq "kes-windows-ru, COLUMNS=$w: found (exit 1)" "$rc" 1
		check_eq "kes-windows-ru, COLUMNS=$w: valid UTF-8, no line wider than $w characters" \
			"$(wider "$T/ru$w.txt" $w)" '[]'
	done
	COLUMNS=250 "$EXCISE" scan --root "$RU" >"$T/ru.txt" 2>/dev/null
	check "kes-windows-ru: the entry's key with single backslashes" \
		grep -qF 'CurrentVersion\Uninstall\{4B7A5F2E-93C1-4D8A-B0E6-2F1C7D9A3E51}' "$T/ru.txt"
	check "kes-windows-ru: the Russian name as the entry has it" \
		grep -qF 'Kaspersky Endpoint Security для Windows' "$T/ru.txt"
else
	ok "# SKIP the kes-windows fixtures: hivexregedit or hivexsh not installed"
fi

done_testing
