#!/bin/bash
# End-to-end, issue 12 item 1 against the stock catalog: every legal form and script of
# the vendor's name that the issue lists (Kaspersky Lab, Kaspersky Lab ZAO/JSC, AO
# Kaspersky Lab, Лаборатория Касперского, ЗАО/АО «Лаборатория Касперского»), as
# installers write them (quoted, with a comma, upper case, a no-break space), is matched
# as the Publisher of an Uninstall entry whose name says nothing of the vendor: each
# entry is a strong finding of its own, named after itself. Publishers that only look
# like the vendor's (a Cyrillic а in the Latin name, a Latin a in the Russian one) are
# not. One offline Windows root, its SOFTWARE hive written at test time by mkhive.py and
# hivexregedit.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

command -v hivexregedit >/dev/null || skip_all "hivexregedit (libwin-hivex-perl) not installed"
command -v hivexsh >/dev/null || skip_all "hivexsh (libhivex-bin) not installed"

# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"

# The vendor's forms (each becomes "Endpoint Tool <n>", version 1.<n>) and the decoys.
VENDOR=(
	'Kaspersky Lab'
	'Kaspersky Lab ZAO'
	'Kaspersky Lab, ZAO'
	'Kaspersky Lab JSC'
	'KASPERSKY LAB JSC'
	'AO Kaspersky Lab'
	'AO Kaspersky Lab'
	'Kaspersky'
	'Лаборатория Касперского'
	'"Лаборатория Касперского"'
	'ЗАО «Лаборатория Касперского»'
	'АО «Лаборатория Касперского»'
	'АО "Лаборатория Касперского"'
	'ЗАО „Лаборатория Касперского“'
	'АО «ЛАБОРАТОРИЯ КАСПЕРСКОГО»'
)
DECOY=(
	'Kаspersky Lab'
	'АО «Лаборатория Кaсперского»'
	'Κaspersky Lab JSC'
	'Casper Sky Lab'
)

R=$T/publishers
new_root "$R"
{
	i=0
	for p in "${VENDOR[@]}" "${DECOY[@]}"; do
		i=$((i + 1))
		printf '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\Tool%d]\n' "$i"
		printf '"DisplayName"=sz:Endpoint Tool %d\n"Publisher"=sz:%s\n"DisplayVersion"=sz:1.%d\n' "$i" "$p" "$i"
	done
} | sw "$R"

scan_json "$R"
check_eq "found (exit 1)" "$rc" 1
check "report validates" validate_report "$T/out.json"
i=0
for p in "${VENDOR[@]}"; do
	i=$((i + 1))
	check_eq "publisher '$p': a strong unlisted finding named after the entry, installed" \
		"$(jq_py "$T/out.json" "[(f.get('kind'), f['confidence'] in ('strong', 'definitive'), f['state']) for f in r['findings'] if f['product']['name']=='Endpoint Tool $i 1.$i, not in catalog']")" \
		'[["unlisted", true, "installed"]]'
done
for p in "${DECOY[@]}"; do
	i=$((i + 1))
	check_eq "publisher '$p' (a decoy): no finding of 'Endpoint Tool $i'" \
		"$(jq_py "$T/out.json" "[f['product']['name'] for f in r['findings'] if 'Endpoint Tool $i ' in f['product']['name']]")" '[]'
done
check_eq "one finding per vendor form, nothing else" \
	"$(jq_py "$T/out.json" "len(r['findings'])")" "${#VENDOR[@]}"

done_testing
