# shellcheck shell=bash
# Helpers for end-to-end tests. Each test script sources this file, builds its
# fixtures with the real tools under $T (a fresh temporary directory, removed at
# exit), drives $EXCISE, and reports TAP: ok/not ok per check, then the plan.
#
#   skip_all REASON        exit 77-style skip (TAP "1..0 # SKIP")
#   check NAME CMD...      run CMD; ok if it exits 0
#   check_eq NAME GOT WANT
#   expect NAME RC REGEX CMD...  run CMD; ok if it exits RC and its output matches REGEX
#   jq_py FILE EXPR        evaluate a Python expression over the parsed JSON `r`
#   finding_py FILE PRODUCT EXPR   the same over `f`, the finding of PRODUCT
#                          (their Python also has per_match(f["evidence"]): each match
#                          of each excise.report/2 record as one /1-shaped record)
#   validate_report FILE   FILE validates against docs/report.schema.json
#   py ARGS...             python3 ARGS... (-c CODE, - with the code on stdin, or FILE)
#   scan_json ROOT [ARGS]  run excise scan --root ROOT --format json into $T/out.json; sets $rc
#   fixture NAME           the directory of the shared fixture root NAME (mkfixture.sh)
#   fixture_copy NAME DIR  a copy of it to change
#   run_of ROOT            the newest run directory (in $EXCISE_STATE_DIR/runs) whose
#                          journal records ROOT
#
# All Python runs in one interpreter per script (pyserver.py, started here): a
# python3 start costs more than the check it makes. Its answers arrive in the
# order asked, so py and the *_py helpers must not run in two processes at once
# (no pipeline of two of them, none in a background job).
set -u
: "${EXCISE:?EXCISE must name the excise binary}"
: "${EXCISE_SRC:?EXCISE_SRC must name the source tree}"
T=$(mktemp -d "${TMPDIR:-/tmp}/excise-e2e.XXXXXX")
# excise's state folder on the host (the run directories of offline roots too) is
# the test's own: nothing is left in the host's /var/lib/excise
export EXCISE_STATE_DIR=$T/state
_n=0
_bad=0
_defer=()
defer() { _defer+=("$*"); }
_cleanup() {
	local i
	for ((i = ${#_defer[@]} - 1; i >= 0; i--)); do eval "${_defer[i]}" || true; done
	_py_stop
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
trap _cleanup EXIT

# The Python server: requests on $T/.py.req, answers on $T/.py.res (pyserver.py
# says how). Without it (no python3, or it did not answer) every call starts python3.
_py_server=$EXCISE_SRC/tests/e2e/pyserver.py
_py_w='' _py_r='' _py_pid=''
_py_start() {
	command -v python3 >/dev/null && mkfifo "$T/.py.req" "$T/.py.res" || return 0
	python3 "$_py_server" "$T" 3<"$T/.py.req" 4>"$T/.py.res" </dev/null &
	_py_pid=$!
	exec {_py_w}>"$T/.py.req" {_py_r}<"$T/.py.res"
	_py run -c '' || _py_stop
}
_py_stop() {
	[ -n "$_py_w" ] || return 0
	exec {_py_w}>&- {_py_r}<&-
	_py_w='' _py_r=''
	kill "$_py_pid" 2>/dev/null || true
	wait "$_py_pid" 2>/dev/null || true
}
# _py COMMAND ARGS...: one request (run, jq, finding, validate); pyserver.py's output,
# errors and exit status.
_py() {
	[ -n "$_py_w" ] || { python3 "$_py_server" --once "$@"; return; }
	local st fl out
	# The request's own redirection moves fd 1 for a moment: the server writes to a
	# copy of it that stays put.
	exec {out}>&1
	printf '%s\0' "$BASHPID" "$out" "$#" "$@" >&"$_py_w"
	read -r -u "$_py_r" st fl || { echo "# pyserver.py did not answer" >&2; st=70; }
	exec {out}>&-
	[[ $fl != *o* ]] || cat "$T/.py.out"
	[[ $fl != *e* ]] || cat "$T/.py.err" >&2
	return "$st"
}
py() { _py run "$@"; }
_py_start

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }
not_ok() { _n=$((_n + 1)); _bad=$((_bad + 1)); echo "not ok $_n - $*"; }

check() {
	local name=$1; shift
	if "$@" >"$T/.check.out" 2>&1; then ok "$name"; else
		not_ok "$name"; sed 's/^/# /' "$T/.check.out" | head -40; fi
}

check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "# got:  $2"; echo "# want: $3"; fi
}

# expect NAME RC REGEX CMD...: CMD exits with RC and its output (stdout+stderr) matches
# REGEX (when not empty).
expect() {
	local name=$1 want=$2 re=$3 got=0
	shift 3
	"$@" >"$T/.out" 2>&1 || got=$?
	if [ "$got" -eq "$want" ] && { [ -z "$re" ] || grep -Eq -- "$re" "$T/.out"; }; then
		ok "$name"
	else
		not_ok "$name"
		echo "# exit $got (want $want), output (want /$re/):"
		sed 's/^/#   /' "$T/.out" | head -20
	fi
}

# jq_py FILE EXPR: prints the value of a Python expression over r = json.load(FILE).
jq_py() { _py jq "$1" "$2"; }

# finding_py FILE PRODUCT EXPR: EXPR over f = the finding for PRODUCT id (None if absent).
finding_py() { _py finding "$1" "$2" "$3"; }

# fixture NAME: the fixture root NAME, built by mkfixture.sh once per test run (in
# $EXCISE_FIXTURES, by Meson), or here once per script when run without it. Shared:
# read it, or copy it (cp -a) and change the copy.
fixture() {
	local dir=${EXCISE_FIXTURES:-$T}/fixture-$1
	[ -e "$dir.stamp" ] || dir=$T/fixture-$1
	[ -e "$dir.stamp" ] || bash "$EXCISE_SRC/tests/e2e/mkfixture.sh" "$1" "$dir.stamp" >&2 || return 1
	[ -d "$dir" ] || { echo "# fixture $1: $(cat "$dir.stamp")" >&2; return 1; }
	echo "$dir"
}

# fixture_copy NAME DIR: DIR becomes a copy of the fixture root NAME, to change.
fixture_copy() {
	local src
	src=$(fixture "$1") || { echo "Bail out! fixture $1"; exit 1; }
	mkdir -p "$2" && cp -a "$src/." "$2"
}

run_of() {
	local real j
	real=$(realpath "$1")
	for j in $(ls -t "$EXCISE_STATE_DIR"/runs/*/journal.jsonl 2>/dev/null); do
		head -1 "$j" | grep -qF "\"root\":\"$real\"" && { dirname "$j"; return 0; }
	done
	return 1
}

scan_json() {
	local root=$1; shift
	rc=0
	rm -f "$T/out.json" # no check may read the report of the scan before
	"$EXCISE" scan --root "$root" --format json -o "$T/out.json" "$@" 2>"$T/scan.err" || rc=$?
}

validate_report() { _py validate "$EXCISE_SRC/docs/report.schema.json" "$1"; }

# golden NAME FILE: FILE must equal tests/golden/NAME (EXCISE_UPDATE_GOLDEN=1 rewrites it, after review)
golden() {
	if [ "${EXCISE_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$2" "$EXCISE_SRC/tests/golden/$1"
		ok "golden $1 rewritten"
	elif diff -u "$EXCISE_SRC/tests/golden/$1" "$2" >"$T/golden.diff"; then
		ok "golden $1 unchanged"
	else
		not_ok "golden $1 unchanged (EXCISE_UPDATE_GOLDEN=1 rewrites it after review)"
		head -40 "$T/golden.diff" | sed 's/^/# /'
	fi
}

done_testing() {
	echo "1..$_n"
	[ "$_bad" -eq 0 ]
}
