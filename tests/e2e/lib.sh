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
#   scan_json ROOT [ARGS]  run excise scan --root ROOT --format json into $T/out.json; sets $rc
set -u
: "${EXCISE:?EXCISE must name the excise binary}"
: "${EXCISE_SRC:?EXCISE_SRC must name the source tree}"
T=$(mktemp -d "${TMPDIR:-/tmp}/excise-e2e.XXXXXX")
_n=0
_bad=0
_defer=()
defer() { _defer+=("$*"); }
_cleanup() {
	local i
	for ((i = ${#_defer[@]} - 1; i >= 0; i--)); do eval "${_defer[i]}" || true; done
	chmod -R u+rwx "$T" 2>/dev/null
	rm -rf "$T"
}
trap _cleanup EXIT

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
jq_py() {
	python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
v = eval(sys.argv[2], {"r": r, "any": any, "all": all, "len": len, "sorted": sorted, "set": set,
                      "json": json})
print(v if not isinstance(v, (dict, list)) else json.dumps(v, sort_keys=True))
PY
}

# finding_py FILE PRODUCT EXPR: EXPR over f = the finding for PRODUCT id (None if absent).
finding_py() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
fs = [f for f in r["findings"] if f["product"]["id"] == sys.argv[2]]
f = fs[0] if fs else None
print(eval(sys.argv[3], {"f": f, "r": r, "any": any, "all": all, "len": len}))
PY
}

scan_json() {
	local root=$1; shift
	rc=0
	"$EXCISE" scan --root "$root" --format json -o "$T/out.json" "$@" 2>"$T/scan.err" || rc=$?
}

validate_report() {
	python3 - "$EXCISE_SRC/docs/report.schema.json" "$1" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2], encoding="utf-8"))
jsonschema.validate(doc, schema)
PY
}

done_testing() {
	echo "1..$_n"
	[ "$_bad" -eq 0 ]
}
