#!/bin/bash
# End-to-end: the command line itself. The verb table (the usage listing, `help`,
# `--help`, unknown commands and verbs), the one --format parser and the other
# options with a fixed set of values (each bad value a usage error, exit 2, naming
# the option and what it takes, before any catalog is loaded), the scan options
# every verb that scans takes, and the build rule that gives cli/ the public
# headers only. No fixtures: an empty root is enough.
. "$(dirname "$0")/lib.sh"

# A system with nothing installed (an empty directory is no root: verdict.sh).
E=$T/empty
mkdir -p "$E/etc"
echo 'ID=debian' >"$E/etc/os-release"
COMMANDS="scan catalog plan remove restore verify serve enroll submit"
CATALOG_VERBS="lint show keygen sign verify"

# --- the usage listing, from the verb table ---
expect "no command: usage on stderr, exit 2" 2 "^usage: excise COMMAND" "$EXCISE"
rc=0
"$EXCISE" help >"$T/help.out" 2>"$T/help.err" || rc=$?
check_eq "help: exit 0, on stdout" "$rc:$(wc -c <"$T/help.err")" "0:0"
check_eq "help lists every command, in the table's order" \
	"$(sed -n 's/^  \([a-z]*\)  .*/\1/p' "$T/help.out" | tr '\n' ' ')" "$COMMANDS "
"$EXCISE" --help >"$T/help2.out" 2>&1
check "--help is the same listing" cmp "$T/help.out" "$T/help2.out"
"$EXCISE" -h >"$T/help3.out" 2>&1
check "-h is the same listing" cmp "$T/help.out" "$T/help3.out"
expect "--version" 0 "^excise [0-9]+\.[0-9]+\.[0-9]+$" "$EXCISE" --version
"$EXCISE" --version >"$T/v1.out" 2>&1
"$EXCISE" -V >"$T/v2.out" 2>&1
check "-V is --version" cmp "$T/v1.out" "$T/v2.out"

# --- help VERB and VERB --help ---
for c in $COMMANDS; do
	rc=0
	"$EXCISE" help "$c" >"$T/h.out" 2>"$T/h.err" || rc=$?
	check_eq "help $c: exit 0, nothing on stderr" "$rc:$(wc -c <"$T/h.err")" "0:0"
	check "help $c: its usage" grep -q "^usage: excise $c" "$T/h.out"
	"$EXCISE" "$c" --help >"$T/h2.out" 2>&1
	check "$c --help is help $c" cmp "$T/h.out" "$T/h2.out"
done
for v in $CATALOG_VERBS; do
	expect "help catalog $v" 0 "^usage: excise catalog $v" "$EXCISE" help catalog "$v"
	"$EXCISE" help catalog "$v" >"$T/h.out" 2>&1
	"$EXCISE" catalog "$v" --help >"$T/h2.out" 2>&1
	check "catalog $v --help is help catalog $v" cmp "$T/h.out" "$T/h2.out"
	"$EXCISE" catalog help "$v" >"$T/h3.out" 2>&1
	check "catalog help $v is help catalog $v" cmp "$T/h.out" "$T/h3.out"
done
expect "help catalog: the catalog verbs" 0 "^usage: excise catalog VERB" "$EXCISE" help catalog

# --- unknown commands, verbs and options ---
expect "unknown command: exit 2, named" 2 "unknown command 'frobnicate'" "$EXCISE" frobnicate
# (issue 13: one line and where to look, as coreutils and git do, not the listing)
rc=0
"$EXCISE" frobnicate >"$T/u.out" 2>"$T/u.err" || rc=$?
check_eq "unknown command: two lines on stderr, the second where to look" "$rc|$(cat "$T/u.err")|$(wc -c <"$T/u.out")" \
	"2|excise: unknown command 'frobnicate'
Try 'excise --help' for more information.|0"
expect "help of an unknown command" 2 "unknown command 'frobnicate'" "$EXCISE" help frobnicate
expect "unknown catalog verb" 2 "^excise: unknown catalog verb 'frobnicate'$" "$EXCISE" catalog frobnicate
expect "help of an unknown catalog verb" 2 "^excise: unknown catalog verb 'frobnicate'$" \
	"$EXCISE" help catalog frobnicate
# an option getopt refuses: its words, one line, then "Try 'excise CMD --help'"; nothing on stdout
# (issue 13; these expected the whole usage before)
for c in scan plan remove restore verify "catalog show"; do
	rc=0
	# shellcheck disable=SC2086
	"$EXCISE" $c --bogus >"$T/u.out" 2>"$T/u.err" || rc=$?
	check_eq "$c --bogus: exit 2, one line and where to look" "$rc|$(cat "$T/u.err")|$(wc -c <"$T/u.out")" \
		"2|excise: unrecognized option '--bogus'
Try 'excise $c --help' for more information.|0"
done
expect "an unknown option with a value: named without it" 2 "^excise: unrecognized option '--bogus'$" \
	"$EXCISE" scan --bogus=1
expect "a missing argument" 2 "^excise: option '--root' requires an argument$" "$EXCISE" scan --root
expect "a missing argument to a short option" 2 "^excise: option requires an argument -- 'o'$" "$EXCISE" plan -o
expect "an argument to an option that takes none" 2 "^excise: option '--apply' doesn't allow an argument$" \
	"$EXCISE" remove --apply=yes
expect "an ambiguous abbreviation" 2 "^excise: option '--r' is ambiguous$" "$EXCISE" remove --r /x
expect "an unknown short option" 2 "^excise: invalid option -- 'z'$" "$EXCISE" scan -z
expect "the help is not printed for a bad option" 2 "^Try 'excise remove --help' for more information.$" \
	"$EXCISE" remove --apply=yes
check "no usage text for a bad option" bash -c "! '$EXCISE' remove --bogus 2>&1 | grep -q usage"

# --- --format: one parser, the allowed values named ---
expect "scan --format xml" 2 "^excise: --format must be text, json or csv, not 'xml'$" \
	"$EXCISE" scan --root "$E" --format xml
expect "plan --format csv (plans have no CSV)" 2 "^excise: --format must be text or json, not 'csv'$" \
	"$EXCISE" plan --root "$E" --format csv
expect "catalog show --format yaml" 2 "^excise: --format must be text or json, not 'yaml'$" \
	"$EXCISE" catalog show --format yaml
expect "catalog show -f yaml" 2 "^excise: --format must be text or json, not 'yaml'$" \
	"$EXCISE" catalog show -f yaml
expect "scan --format with no value" 2 "requires an argument" "$EXCISE" scan --format
expect "scan --format '' (empty)" 2 "--format must be text, json or csv, not ''" \
	"$EXCISE" scan --root "$E" --format ''
expect "scan --format JSON (case matters)" 2 "not 'JSON'" "$EXCISE" scan --root "$E" --format JSON
expect "scan -f is not an option" 2 "^excise: invalid option -- 'f'$" "$EXCISE" scan --root "$E" -f json
expect "verify takes no --format" 2 "^excise: unrecognized option '--format'$" "$EXCISE" verify --root "$E" --format json
expect "a bad --format is a usage error before the catalog is read" 2 "--format must be" \
	"$EXCISE" scan --root "$E" --format xml --catalog "$T/missing.json" --trusted-key "$T/missing.pub"
expect "plan --emit bat" 2 "^excise: --emit must be sh or ps1, not 'bat'$" "$EXCISE" plan --root "$E" --emit bat
expect "scan --color pink" 2 "^excise: --color must be auto, always or never, not 'pink'$" \
	"$EXCISE" scan --root "$E" --color pink
for t in 0 65 2x ''; do
	expect "scan --threads '$t'" 2 "--threads takes a number from 1 to 64, not '$t'" \
		"$EXCISE" scan --root "$E" --threads "$t"
done

# Each format still chosen by name; the last --format given wins.
rc=0
"$EXCISE" scan --root "$E" --format json >"$T/e.json" 2>"$T/e.err" || rc=$?
check_eq "scan --format json of an empty root: exit 0" "$rc" 0
check "scan --format json: an excise.report/2" grep -q '"schema": "excise.report/2"' "$T/e.json"
"$EXCISE" scan --root "$E" --format json --format csv >"$T/e.csv" 2>&1
check "scan --format json --format csv: CSV" grep -q '^report_id,hostname,root,' "$T/e.csv"
"$EXCISE" scan --root "$E" >"$T/e.txt" 2>&1
check "scan: text by default" grep -q '^CLEAN: no covered software found' "$T/e.txt"
"$EXCISE" catalog show -f json >"$T/show.json"
check "catalog show -f json: JSON" grep -q '"catalog": {' "$T/show.json"
"$EXCISE" plan --root "$E" --format json -o "$T/plan.json" 2>"$T/plan.err"
check "plan --format json: an excise.plan/1" grep -q '"schema": "excise.plan/1"' "$T/plan.json"
"$EXCISE" plan --plan "$T/plan.json" --format text >"$T/plan.txt" 2>&1
check "plan --plan --format text: text" grep -q '^Removal plan for' "$T/plan.txt"

# --- the scan options, taken by every verb that scans ---
expect "verify --only: the rescan runs the sources named" 0 "^verify: clean" \
	"$EXCISE" verify --root "$E" --only dpkg,files --threads 1 -o "$T/att.json"
check_eq "verify --only: the other sources are recorded as skipped" \
	"$(jq_py "$T/att.report.json" 'sorted(s["name"] for s in r["sources"] if s["status"] != "skipped")')" \
	'["dpkg", "files"]'
rc=0
"$EXCISE" verify --root "$E" -q -o "$T/att2.json" >"$T/q.out" 2>&1 || rc=$?
check_eq "verify -q: exit 0, no output, the attestation written" "$rc:$(wc -c <"$T/q.out"):$(test -s "$T/att2.json" && echo yes)" "0:0:yes"
expect "plan --full of an empty root" 0 "" "$EXCISE" plan --root "$E" --full --xdev --threads 2 -q
expect "plan --only with an unknown source" 2 "unknown source 'nosuch'" "$EXCISE" plan --root "$E" --only nosuch
expect "plan: a report and a scan option" 2 "^excise: one of a report, --root or --plan$" \
	"$EXCISE" plan "$T/plan.json" --full
expect "remove --resume with a scan option" 2 "^excise: --resume takes the run directory alone$" \
	"$EXCISE" remove --resume "$T/run" --only dpkg
expect "remove --root of an empty root: a dry run of nothing" 0 "dry run: 0 steps" \
	"$EXCISE" remove --root "$E" --only dpkg
expect "restore takes one run directory" 2 "^excise: one run directory to restore$" "$EXCISE" restore
# issue 13: one prefix, "excise: ", never a second naming the verb; a usage error says where to look
for args in "scan extra" "plan a b" "verify extra" "catalog show extra" "catalog lint a b" "catalog keygen" \
	"catalog sign" "catalog verify" "restore" "remove --runs-dir rel" "scan --format xml" "catalog nosuch"; do
	rc=0
	# shellcheck disable=SC2086
	"$EXCISE" $args >"$T/p.out" 2>"$T/p.err" || rc=$?
	check_eq "$args: exit 2; one line 'excise: ...' without a verb prefix, then 'Try'" \
		"$rc|$(grep -c '^excise: ' "$T/p.err")|$(grep -cE '^excise: (excise|scan|plan|remove|restore|verify|catalog( [a-z]+)?|usage): ' "$T/p.err")|$(grep -c "^Try 'excise .*--help' for more information.$" "$T/p.err")|$(wc -l <"$T/p.err")" \
		"2|1|0|1|2"
done

# --- errors about files: what the file was meant to be, and the option for a document of another kind ---
"$EXCISE" scan --root "$E" --format json -o "$T/r.json" 2>/dev/null
expect "catalog missing: named as the catalog (exit 3, catalog refused)" 3 "^excise: catalog '$T/nosuch.json': No such file or directory$" \
	"$EXCISE" scan --root "$E" --catalog "$T/nosuch.json"
expect "catalog lint of a missing file: named as the catalog" 2 "^excise: catalog '$T/nosuch.json': No such file or directory$" \
	"$EXCISE" catalog lint "$T/nosuch.json"
expect "plan missing: named as the plan" 2 "^excise: plan '$T/nosuch.json': No such file or directory$" \
	"$EXCISE" remove --root "$E" --plan "$T/nosuch.json"
expect "report missing: named as the report" 2 "^excise: report '$T/nosuch.json': No such file or directory$" \
	"$EXCISE" plan "$T/nosuch.json"
expect "attestation missing: named as the attestation" 2 "^excise: attestation '$T/nosuch.json': No such file" \
	"$EXCISE" verify --check "$T/nosuch.json"
expect "a report given as --plan to remove: the option named" 2 \
	"^excise: plan '$T/r.json' is an excise.report/2 document: pass it with --report$" \
	"$EXCISE" remove --plan "$T/r.json"
expect "a report given as --plan to plan: the argument named" 2 \
	"^excise: plan '$T/r.json' is an excise.report/2 document: pass it as the report: excise plan REPORT.json$" \
	"$EXCISE" plan --plan "$T/r.json"
expect "a plan given as the report: --plan named" 2 \
	"^excise: report '$T/plan.json' is an excise.plan/1 document: pass it with --plan$" \
	"$EXCISE" remove --report "$T/plan.json"
expect "a catalog given as a plan: --catalog named" 2 "is an excise.catalog/1 document: pass it with --catalog$" \
	"$EXCISE" plan --plan "$EXCISE_SRC/catalog/excise-catalog.json"
mkdir -p "$T/notarun"
expect "restore on a directory that is not a run" 2 "^excise: '$T/notarun' is not a run directory \(no journal.jsonl\)$" \
	"$EXCISE" restore "$T/notarun"
expect "--resume on a directory that is not a run" 2 "^excise: '$T/notarun' is not a run directory" \
	"$EXCISE" remove --resume "$T/notarun"
expect "restore of a missing run directory" 2 "^excise: run directory '$T/nosuch': No such file or directory$" \
	"$EXCISE" restore "$T/nosuch"
# one prefix: every line these errors print starts with "excise: " (or is the "Try" line)
bad=""
for args in "scan --bogus" "scan --root" "frobnicate" "catalog frobnicate" "restore $T/notarun" \
	"remove --plan $T/r.json" "scan --root $E --catalog $T/nosuch.json" "verify --check $T/r.json" \
	"plan $T/plan.json" "remove --root $E --apply" "scan --root $E --threads 0"; do
	# shellcheck disable=SC2086
	"$EXCISE" $args >/dev/null 2>"$T/p.err"
	grep -Ev "^(excise: |Try 'excise )" "$T/p.err" >/dev/null && bad+=" [$args]"
done
check_eq "one error prefix, excise:, on every error line" "${bad:-none}" none

# --- cli/ is built against include/ only ---
if [ -n "${EXCISE_BUILD:-}" ] && [ -f "$EXCISE_BUILD/compile_commands.json" ]; then
	check_eq "cli/ compiles with include/ as its only project include path" "$(python3 - "$EXCISE_BUILD/compile_commands.json" <<'PY'
import json, re, sys
bad = set()
for e in json.load(open(sys.argv[1])):
    if "/cli/" in e["file"] or e["file"].startswith("../cli/"):
        for d in re.findall(r"-I(\S+)", e["command"]):
            if d.rstrip("/").endswith(("lib", "..")) or "/lib/" in d:
                bad.add(d)
print(" ".join(sorted(bad)) or "none")
PY
)" none
fi

done_testing
