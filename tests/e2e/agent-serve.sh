#!/bin/bash
# End-to-end, issue 15 item 3 against the real collector: excise enroll, excise scan
# --submit, excise submit and excise submit --spool talking to `excise serve` (HTTPS
# with its own generated certificate, SQLite in its state folder) on loopback. The
# collector is killed (SIGKILL) while reports are submitted and spooled, started again
# on the same port, and the spool delivers every one of them: each report is in the
# database once.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
for t in openssl python3; do command -v $t >/dev/null || skip_all "$t not installed"; done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
ROOT=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
S=$EXCISE_STATE_DIR/collector
SPOOL=$EXCISE_STATE_DIR/spool

PID=''
start() { # LISTEN: excise serve on LISTEN, then PORT
	rm -f "$T/serve.err"
	"$EXCISE" serve --listen "$1" >>"$T/serve.out" 2>"$T/serve.err" &
	PID=$!
	local i
	for i in $(seq 300); do
		PORT=$(sed -n 's/.* listening on .* port \([0-9]*\) .*/\1/p' "$T/serve.err" | head -1)
		[ -n "$PORT" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# excise serve did not start:"; sed 's/^/#   /' "$T/serve.err" | head -20
	return 1
}
kill9() { [ -z "$PID" ] || { kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; PID=''; }; }
defer kill9
start 127.0.0.1:0 || { echo "Bail out! the collector did not start"; exit 1; }
URL=https://127.0.0.1:$PORT
sed -n 's/^  \([^ ]\+\)$/\1/p' "$T/serve.out" >"$T/secret"
check "the collector printed its enrollment secret" test -s "$T/secret"
PIN=sha256//$(openssl x509 -in "$S/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

expect "enroll the fixture root's machine, the collector's certificate pinned" 0 "enrolled machine" \
	"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$ROOT" --pin "$PIN"
expect "enroll again with its certificate as the CA file" 0 "enrolled machine" \
	"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$ROOT" --ca "$S/cert.pem"
db() { py -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(sys.argv[2]).fetchone()[0])' \
	"$S/collector.db" "$1"; }

rc=0
"$EXCISE" scan --root "$ROOT" --submit --format json -o "$T/r0.json" 2>"$T/s.err" >/dev/null || rc=$?
check_eq "scan --submit: the verdict (1), the report stored by the collector" "$rc:$(grep -c 'stored report' "$T/s.err")" 1:1
RID=$(jq_py "$T/r0.json" 'r["report_id"]')
check_eq "... in its database" "$(db "select count(*) from document where doc_id = '$RID'")" 1
expect "submit it again: a duplicate" 0 "duplicate report $RID" "$EXCISE" submit "$T/r0.json"
"$EXCISE" plan "$T/r0.json" --format json -o "$T/plan.json"
expect "submit its plan: stored" 0 "stored plan" "$EXCISE" submit "$T/plan.json"

# ---------------------------------------------------------------- killed mid-way, started again
for i in 1 2 3; do "$EXCISE" scan --root "$ROOT" --format json -o "$T/r$i.json" -q >/dev/null 2>&1; done
expect "r1 delivered" 0 "stored report" "$EXCISE" submit "$T/r1.json"
kill9
expect "the collector killed: r2, r3 spooled" 0 "kept in the spool" "$EXCISE" submit "$T/r2.json" "$T/r3.json"
rc=0
"$EXCISE" scan --root "$ROOT" --submit -q >/dev/null 2>&1 || rc=$?
check_eq "scan --submit: the verdict (1), its report spooled too" "$rc:$(ls "$SPOOL" | grep -c 'spool$')" 1:3
start "127.0.0.1:$PORT" || { echo "Bail out! the collector did not start again"; exit 1; }
# the first try's backoff is random (up to 30 s): the test makes every document due now
for f in "$SPOOL"/*.spool; do
	py -c 'import json,sys
p=sys.argv[1]; b=open(p,"rb").read(); i=b.index(b"\n"); m=json.loads(b[:i]); m["next_try"]=0
open(p,"wb").write(json.dumps(m).encode()+b[i:])' "$f"
done
expect "started again on the same port: submit --spool delivers all three" 0 "3 delivered, 0 refused, 0 kept" \
	"$EXCISE" submit --spool
check_eq "... the spool is empty" "$(ls "$SPOOL" | grep -c 'spool$')" 0
for i in 1 2 3; do
	id=$(jq_py "$T/r$i.json" 'r["report_id"]')
	check_eq "r$i in the database once" "$(db "select count(*) from document where doc_id = '$id'")" 1
done
check_eq "every report of the machine stored once: 5 reports" \
	"$(db "select count(*) from document where kind = 'report'"):$(db "select count(distinct doc_id) from document where kind = 'report'")" 5:5
kill9
done_testing
