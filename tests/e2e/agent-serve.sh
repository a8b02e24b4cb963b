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

# ---------------------------------------------------------------- Windows and macOS roots
# Their machine ids (MachineGuid; the hardware UUID of the ByHost preferences: machine-id.sh)
# enroll them, and their reports are stored as theirs.
# shellcheck source=tests/e2e/winfix.sh
. "$(dirname "$0")/winfix.sh"
# shellcheck source=tests/e2e/macfix.sh
. "$(dirname "$0")/macfix.sh"
MID=$(cat "$ROOT/etc/machine-id")
NOTLINUX=0
for f in windows:"$WIN_GUID" kes-macos:"$MAC_UUID"; do
	name=${f%%:*} want=${f#*:}
	R=$(fixture "$name") && [ -d "$R" ] || { ok "# SKIP $name: its fixture root was not built (hivex or plist tools)"; continue; }
	expect "$name root: enrolled by its machine id" 0 "enrolled machine $want" \
		"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$R" --pin "$PIN"
	rc=0
	"$EXCISE" scan --root "$R" --submit --format json -o "$T/$name.json" 2>"$T/s.err" >/dev/null || rc=$?
	check_eq "$name root: scan --submit, the report stored" "$(grep -c 'stored report' "$T/s.err"):$(jq_py "$T/$name.json" 'r["host"]["machine_id"]')" "1:$want"
	id=$(jq_py "$T/$name.json" 'r["report_id"]')
	NOTLINUX=$((NOTLINUX + 1))
	check_eq "$name root: in the database as its host's" \
		"$(db "select h.machine_id from document d join host h on h.id = d.host_id where d.doc_id = '$id'")" "$want"
done

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
	"$(db "select count(*) from document d join host h on h.id = d.host_id where d.kind = 'report' and h.machine_id = '$MID'"):$(db "select count(distinct doc_id) from document where kind = 'report'")" "5:$((5 + NOTLINUX))"

# ---------------------------------------------------------------- one connection a flush
# A TCP relay on loopback in front of the collector (the TLS inside goes through it
# untouched) writes a line for each connection it accepts. Four reports are spooled
# for the relay's URL while the collector is down (the relay closes what it cannot pass
# on), then one flush delivers all four over one connection (keep-alive).
py_relay() {
	python3 - "$1" "$2" <<'EOF' &
import socket, sys, threading
log, upstream = sys.argv[1], int(sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(16)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
with open(log + ".port", "w") as f:
    f.write(str(ls.getsockname()[1]))
while True:
    c, _ = ls.accept()
    with open(log, "a") as f:
        f.write("accepted\n")
    try:
        u = socket.create_connection(("127.0.0.1", upstream), timeout=5)
        u.settimeout(None)
    except OSError:
        c.close()
        continue
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
EOF
	RELAY=$!
}
RELAY=''
defer '[ -z "$RELAY" ] || kill "$RELAY"'
: >"$T/relay.log"
py_relay "$T/relay.log" "$PORT"
for i in $(seq 100); do [ -s "$T/relay.log.port" ] && break; sleep 0.1; done
RURL=https://127.0.0.1:$(cat "$T/relay.log.port")
for i in 4 5 6 7; do "$EXCISE" scan --root "$ROOT" --format json -o "$T/r$i.json" -q >/dev/null 2>&1; done
kill9
expect "the collector down behind the relay: four reports spooled for the relay's URL" 0 "kept in the spool" \
	"$EXCISE" submit --url "$RURL" "$T/r4.json" "$T/r5.json" "$T/r6.json" "$T/r7.json"
start "127.0.0.1:$PORT" || { echo "Bail out! the collector did not start again"; exit 1; }
for f in "$SPOOL"/*.spool; do
	py -c 'import json,sys
p=sys.argv[1]; b=open(p,"rb").read(); i=b.index(b"\n"); m=json.loads(b[:i]); m["next_try"]=0
open(p,"wb").write(json.dumps(m).encode()+b[i:])' "$f"
done
before=$(wc -l <"$T/relay.log")
expect "one flush delivers the four through the relay" 0 "4 delivered, 0 refused, 0 kept" "$EXCISE" submit --spool
check_eq "... over one connection" "$(($(wc -l <"$T/relay.log") - before))" 1
for i in 4 5 6 7; do
	id=$(jq_py "$T/r$i.json" 'r["report_id"]')
	check_eq "r$i in the database once" "$(db "select count(*) from document where doc_id = '$id'")" 1
done
# ---------------------------------------------------------------- one connection a command
# excise submit FILE... sends its documents (and the flush after them) over one
# connection; scan --submit its report and the spool's flush after it.
for i in 8 9 10 11; do "$EXCISE" scan --root "$ROOT" --format json -o "$T/r$i.json" -q >/dev/null 2>&1; done
before=$(wc -l <"$T/relay.log")
expect "submit of three reports through the relay: each stored" 0 "stored report.*stored report.*stored report" \
	bash -c '"$0" submit --url "$1" "$2" "$3" "$4" 2>&1 | tr "\n" " "' "$EXCISE" "$RURL" "$T/r8.json" "$T/r9.json" "$T/r10.json"
check_eq "... over one connection" "$(($(wc -l <"$T/relay.log") - before))" 1
kill9
expect "the collector down: one report spooled for the relay's URL" 0 "kept in the spool" \
	"$EXCISE" submit --url "$RURL" "$T/r11.json"
start "127.0.0.1:$PORT" || { echo "Bail out! the collector did not start a third time"; exit 1; }
for f in "$SPOOL"/*.spool; do
	py -c 'import json,sys
p=sys.argv[1]; b=open(p,"rb").read(); i=b.index(b"\n"); m=json.loads(b[:i]); m["next_try"]=0
open(p,"wb").write(json.dumps(m).encode()+b[i:])' "$f"
done
before=$(wc -l <"$T/relay.log")
rc=0
"$EXCISE" scan --root "$ROOT" --submit "$RURL" --format json -o "$T/r12.json" 2>"$T/s12.err" >/dev/null || rc=$?
check_eq "scan --submit through the relay: its report stored, the spooled one delivered by the flush after" \
	"$rc:$(grep -c 'stored report' "$T/s12.err"):$(ls "$SPOOL"/*.spool 2>/dev/null | wc -l)" 1:1:0
check_eq "... both over one connection" "$(($(wc -l <"$T/relay.log") - before))" 1
for i in 8 9 10 11 12; do
	id=$(jq_py "$T/r$i.json" 'r["report_id"]')
	check_eq "r$i in the database once" "$(db "select count(*) from document where doc_id = '$id'")" 1
done
kill9
done_testing
