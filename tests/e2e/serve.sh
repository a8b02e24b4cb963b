#!/bin/bash
# End-to-end: the collector (excise serve, issue 15 items 1 and 2) over real HTTPS and
# HTTP on loopback, private ports, its state folder under $T. The client side is
# tests/e2e/serve_client.py: Python's own hmac, hashlib and ssl, written from
# docs/collector.md, so the signature is checked against an independent one.
#  - first start: state folder, self-signed certificate (SAN), master key, the
#    enrollment secret printed once and never again;
#  - HTTPS verified with the generated certificate, TLS 1.1 refused, 1.2 and 1.3 taken;
#  - enroll, re-enroll (same host, new key), signed submit of a real report (excise scan
#    of the Linux fixture) stored, then a duplicate; bad HMAC, tampered body, stale and
#    future time, a replay, another path, an unknown host (host_invalid), malformed JSON;
#  - secrets made, listed, revoked and expired with `excise serve secret`;
#  - SQL metacharacters and HTML stored verbatim;
#  - limits: 413 before the body is read, 431, a chunked body over the limit, a slow
#    client cut while others are served, connections per address, requests per host
#    per minute (429 + Retry-After), the replay window;
#  - two collectors on one database: a host enrolled again through one is taken at once
#    by the other that had its old key cached, and the old key refused there;
#  - SIGHUP: a new certificate while clients keep connecting (none refused), a wrong
#    pair refused with the old one kept; SIGTERM: a graceful stop; the config file's errors.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
for t in curl openssl; do command -v $t >/dev/null || skip_all "$t not installed"; done
CLIENT=$EXCISE_SRC/tests/e2e/serve_client.py
BASE='' CA=''
# With EXCISE_TEST_PG_URL (tests/pg-harness.sh run, the serve-pg test) every collector
# and admin verb uses that PostgreSQL database; else each its state folder's SQLite file.
DB=${EXCISE_TEST_PG_URL:-}
DBARGS=()
[ -z "$DB" ] || DBARGS=(--db "$DB")
cl() { py "$CLIENT" "$BASE" "$CA" "$@"; }
# status of the client's answer line, and its JSON body as r for jq-like checks
st() { cut -d' ' -f1 <<<"$1"; }
body() { cut -d' ' -f2- <<<"$1"; }
field() { py -c 'import json,sys; v=json.loads(sys.argv[1]); print(eval(sys.argv[2], {"r": v}))' "$(body "$1")" "$2"; }

PID=''
# start NAME ARGS...: excise serve ARGS in the background (stdout $T/NAME.out, log $T/NAME.err),
# then PORT is the port it listens on
start() {
	local name=$1 i
	shift
	"$EXCISE" serve "${DBARGS[@]}" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PID=$!
	defer "kill -KILL $PID 2>/dev/null; wait $PID 2>/dev/null"
	for i in $(seq 300); do
		PORT=$(sed -n 's/.* listening on .* port \([0-9]*\) .*/\1/p' "$T/$name.err" | head -1)
		[ -n "$PORT" ] && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# excise serve $* did not start:"; sed 's/^/#   /' "$T/$name.err" | head -20
	return 1
}
stop() {
	local rc=0
	kill -TERM "$PID"
	wait "$PID" || rc=$?
	return $rc
}

# ---------- first start, HTTPS ----------
S=$EXCISE_STATE_DIR/collector
start one --listen 127.0.0.1:0 || { echo "Bail out! the collector did not start"; exit 1; }
BASE=https://localhost:$PORT CA=$S/cert.pem
SECRET=$(sed -n 's/^  \([^ ]*\)$/\1/p' "$T/one.out")
check "first start: the enrollment secret printed once, saying so" \
	grep -q "shown this once" "$T/one.out"
check_eq "first start: one secret line" "$(grep -c '^  ' "$T/one.out"):$([ -n "$SECRET" ] && echo set)" "1:set"
check_eq "state folder 0700, key and master key 0600, master key 32 bytes" \
	"$(stat -c %a "$S") $(stat -c %a "$S/key.pem") $(stat -c %a "$S/master.key") $(stat -c %s "$S/master.key")" \
	"700 600 600 32"
san=$(openssl x509 -in "$S/cert.pem" -noout -ext subjectAltName 2>&1)
check "certificate: EC P-256, SAN with localhost and 127.0.0.1" \
	bash -c "grep -q 'DNS:localhost' <<<'$san' && grep -q 'IP Address:127.0.0.1' <<<'$san' && openssl x509 -in '$S/cert.pem' -noout -text | grep -q 'prime256v1'"
check_eq "health over HTTPS, verified with the generated certificate" \
	"$(curl -sS --cacert "$CA" "$BASE/v1/health" -w ' %{http_code}')" '{"status":"ok"} 200'
expect "without the certificate the client refuses the collector (it is really verified)" 60 "" \
	curl -sS "$BASE/v1/health"
tls() { openssl s_client -connect "127.0.0.1:$PORT" -servername localhost "$@" -cipher 'DEFAULT:@SECLEVEL=0' </dev/null; }
check "TLS 1.2 accepted" bash -c "$(declare -f tls); PORT=$PORT; tls -tls1_2 2>&1 | grep -q 'Protocol *: TLSv1.2'"
check "TLS 1.3 accepted" bash -c "$(declare -f tls); PORT=$PORT; tls -tls1_3 2>&1 | grep -q 'TLSv1.3'"
expect "TLS 1.1 refused" 1 "" bash -c "$(declare -f tls); PORT=$PORT; tls -tls1_1"
expect "TLS 1.0 refused" 1 "" bash -c "$(declare -f tls); PORT=$PORT; tls -tls1"

# ---------- enroll and submit ----------
R=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
scan_json "$R" -q
cp "$T/out.json" "$T/report.json"
MID=$(jq_py "$T/report.json" 'r["host"]["machine_id"]')
RID=$(jq_py "$T/report.json" 'r["report_id"]')
a=$(cl enroll "$SECRET" "$MID" fixture-host "$T/h.json")
check_eq "enroll: 200" "$(st "$a")" 200
check_eq "enroll: a host id, a 32-byte key in base64, the catalog's directives" \
	"$(field "$a" 'bool(r["host_id"]) and len(__import__("base64").b64decode(r["host_key"])) == 32 and len(r["directives"]) > 0')" True
cp "$T/h.json" "$T/h-old.json"
a2=$(cl enroll "$SECRET" "$MID" fixture-host "$T/h.json")
check_eq "re-enroll of the same machine: the same host id, a new key" \
	"$(field "$a2" 'r["host_id"]') $(field "$a2" 'r["host_key"]' | cmp -s - <(field "$a" 'r["host_key"]') && echo same || echo new)" \
	"$(field "$a" 'r["host_id"]') new"
a=$(cl submit "$T/h.json" "$T/report.json" --save "$T/saved.json")
check_eq "signed submit of a real report: stored, kind report, its report_id" "$a" \
	"200 {\"status\":\"stored\",\"kind\":\"report\",\"id\":\"$RID\"}"
a=$(cl submit "$T/h.json" "$T/report.json")
check_eq "the same report again: duplicate" "$(st "$a") $(field "$a" 'r["status"]')" "200 duplicate"
a=$(cl submit "$T/h.json" "$T/report.json" --replay "$T/saved.json")
check_eq "the same request replayed inside the window: a duplicate, never stored twice" \
	"$(st "$a") $(field "$a" 'r["status"]')" "200 duplicate"
a=$(cl submit "$T/h-old.json" "$T/report.json")
check_eq "signed with the key the re-enrollment replaced: 401" "$(st "$a")" 401
a=$(cl submit "$T/h.json" "$T/report.json" --bad-mac)
check_eq "bad HMAC: 401, signature does not match" "$(st "$a") $(field "$a" '"does not match" in r["error"]')" "401 True"
a=$(cl submit "$T/h.json" "$T/report.json" --tamper)
check_eq "body changed after signing: 401" "$(st "$a")" 401
a=$(cl submit "$T/h.json" "$T/report.json" --t-offset -400)
check_eq "stale time (400 s ago): 401, the window named" "$(st "$a") $(field "$a" '"300 s" in r["error"]')" "401 True"
a=$(cl submit "$T/h.json" "$T/report.json" --t-offset 400)
check_eq "future time (in 400 s): 401" "$(st "$a")" 401
a=$(cl submit "$T/h.json" "$T/report.json" --sign-path /v1/enroll)
check_eq "signed for another path: 401" "$(st "$a")" 401
a=$(cl submit "$T/h.json" "$T/report.json" --host h0000000000000000)
check_eq "unknown host: 401 with host_invalid" "$(st "$a") $(field "$a" 'r.get("host_invalid")')" "401 True"
a=$(cl submit "$T/h.json" "$T/report.json" --host 'a b')
check_eq "a host id that is no id: 401 with host_invalid" "$(st "$a") $(field "$a" 'r.get("host_invalid")')" "401 True"
printf '{"schema": "excise.report/2", "report_id": ' >"$T/broken.json"
a=$(cl submit "$T/h.json" "$T/broken.json")
check_eq "signed, malformed JSON document: 400" "$(st "$a")" 400
printf '{"secret": "x", ' >"$T/e1.json"
a=$(cl enroll-raw "$T/e1.json")
check_eq "enroll, malformed JSON: 400" "$(st "$a")" 400
printf '{"secret":"%s","machine_id":"m","hostname":"h","platform":"linux","extra":1}' "$SECRET" >"$T/e2.json"
a=$(cl enroll-raw "$T/e2.json")
check_eq "enroll, an unknown member: 400 naming it" "$(st "$a") $(field "$a" '"extra" in r["error"]')" "400 True"
printf '{"secret":"%s","machine_id":"m","hostname":"h","platform":"plan9"}' "$SECRET" >"$T/e3.json"
a=$(cl enroll-raw "$T/e3.json")
check_eq "enroll, a platform not known: 400" "$(st "$a")" 400
a=$(cl enroll not-a-secret m-x h "$T/hx.json")
check_eq "enroll with a wrong secret: 401" "$(st "$a")" 401
check_eq "wrong method: 405 with Allow" "$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "$BASE/v1/submit")" 405
check_eq "unknown path: 404" "$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "$BASE/v2/x")" 404

# ---------- secrets ----------
adm() { "$EXCISE" serve "${DBARGS[@]}" "$@" 2>&1; }
# sql QUERY: the rows of QUERY on the collector's database, columns joined by |
sql() {
	if [ -n "$DB" ]; then
		psql "$DB" -At -c "$1"
	else
		py -c 'import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
for r in db.execute(sys.argv[2]): print(*r, sep="|")' "${SQLDB:-$S/collector.db}" "$1"
	fi
}
out=$(adm secret create --org-unit 'agency/bureau/site' --expires 1d --note '<b>note</b>')
SID=$(sed -n 's/^id: //p' <<<"$out") SEC2=$(sed -n 's/^secret (shown this once): //p' <<<"$out")
check_eq "secret create: an id and a secret" "$([ -n "$SID" ] && [ -n "$SEC2" ] && echo yes)" yes
a=$(cl enroll "$SEC2" m-site site-host "$T/h2.json")
check_eq "enroll with it: 200" "$(st "$a")" 200
adm secret list >"$T/list.txt"
check "secret list: it, its org unit, one host, the note as given" \
	grep -E "^$SID +agency/bureau/site .* valid +1  <b>note</b>" "$T/list.txt"
check_eq "secret revoke" "$(adm secret revoke "$SID" >/dev/null 2>&1; echo $?)" 0
a=$(cl enroll "$SEC2" m-site2 site-host2 "$T/h3.json")
check_eq "enroll with the revoked secret: 401" "$(st "$a")" 401
out=$(adm secret create --org-unit agency --expires 1s)
SEC3=$(sed -n 's/^secret (shown this once): //p' <<<"$out")
sleep 2
a=$(cl enroll "$SEC3" m-late late-host "$T/h4.json")
check_eq "enroll with an expired secret: 401" "$(st "$a")" 401
expect "secret create without --org-unit: a usage error" 2 "org-unit" "$EXCISE" serve "${DBARGS[@]}" secret create

# ---------- SQL metacharacters and HTML, verbatim ----------
EVIL="x'); DROP TABLE host;--<script>alert(1)</script>\"&amp;"
a=$(cl enroll "$SECRET" "m-evil'--" "$EVIL" "$T/h5.json")
check_eq "enroll with SQL and HTML in the host name: 200" "$(st "$a")" 200
py - "$T/report.json" "$T/evil.json" "m-evil'--" "$EVIL" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["host"]["machine_id"] = sys.argv[3]
r["host"]["hostname"] = sys.argv[4]
r["host"]["os"] = "<img src=x onerror=alert(1)>'; DELETE FROM document;--"
r["report_id"] = "00000000-0000-4000-8000-0000000000e1"
open(sys.argv[2], "w").write(json.dumps(r))
EOF
a=$(cl submit "$T/h5.json" "$T/evil.json")
check_eq "a report with SQL and HTML in its fields: stored" "$(st "$a") $(field "$a" 'r["status"]')" "200 stored"
check "the host name stored byte for byte" grep -Fxq -- "$EVIL" <(sql "SELECT hostname FROM host")
DID=$(field "$a" 'r["id"]')
# schema version 3: the bytes zstd-compressed in body_z, read back by the zstd tool (the
# hex decoded by a python3 of its own: py's server does not read this stdin)
stored_body() {
	sql "SELECT $([ -n "$DB" ] && echo "encode(body_z, 'hex')" || echo "hex(body_z)") FROM document WHERE doc_id = '$1'" |
		python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read().strip()))' | zstd -dcq
}
check "the document stored byte for byte" cmp <(stored_body "$DID") "$T/evil.json"
check_eq "... compressed, its codec and length said" \
	"$(sql "SELECT body, body_codec, body_len FROM document WHERE doc_id = '$DID'")" "|zstd|$(stat -c %s "$T/evil.json")"
check_eq "every document once" "$(sql "SELECT count(*) FROM document WHERE doc_id = '$RID'")" 1

# ---------- admin verbs on the database the collector is using ----------
HID=$(jq_py "$T/h.json" 'r["host_id"]')
expect "host retire: said" 0 "retired $HID" "$EXCISE" serve "${DBARGS[@]}" host retire "$HID" --reason 'decommissioned <b>' --by alice
expect "host unretire" 0 "counts again" "$EXCISE" serve "${DBARGS[@]}" host unretire "$HID" --by alice
expect "exempt add" 0 "^exemption [^ ]+: $HID from dhs-bod-17-01" "$EXCISE" serve "${DBARGS[@]}" exempt add "$HID" dhs-bod-17-01 \
	--reason 'vendor contract until June' --approver 'CISO' --expires 90d --by alice
EID=$(sed -n 's/^exemption \([^ :]*\):.*/\1/p' "$T/.out")
expect "exempt revoke" 0 "revoked" "$EXCISE" serve "${DBARGS[@]}" exempt revoke "$EID" --by alice
expect "exempt list: the exemption, revoked, with its approver and reason" 0 \
	"^$EID +$HID +[^ ]+ +dhs-bod-17-01 +[0-9-]{10} +[0-9-]{10} +CISO +revoked \(vendor contract until June\)" \
	"$EXCISE" serve "${DBARGS[@]}" exempt list
expect "exempt add: a second, never expiring" 0 "^exemption " "$EXCISE" serve "${DBARGS[@]}" \
	exempt add "$HID" far-52.204-23 --reason 'lab machine <b>' --approver 'Deputy CIO'
EID2=$(sed -n 's/^exemption \([^ :]*\):.*/\1/p' "$T/.out")
expect "exempt list DIRECTIVE: only that directive's, in force, never expiring" 0 \
	"^$EID2 +$HID +[^ ]+ +far-52.204-23 +[0-9-]{10} +never +Deputy CIO +in force \(lab machine <b>\)" \
	"$EXCISE" serve "${DBARGS[@]}" exempt list far-52.204-23
check "... and not the other directive's" bash -c "! grep -q dhs-bod-17-01 '$T/.out'"
check_eq "exempt list of a directive with none: the header only" \
	"$("$EXCISE" serve "${DBARGS[@]}" exempt list bis-icts-2021-002 | wc -l)" 1
expect "exempt add: a directive the catalog lacks is refused" 2 "" "$EXCISE" serve "${DBARGS[@]}" exempt add "$HID" no-such-directive \
	--reason r --approver a
expect "exempt add without --approver: a usage error" 2 "approver" "$EXCISE" serve "${DBARGS[@]}" exempt add "$HID" dhs-bod-17-01 --reason r
printf 'org_unit,hostname\nagency/bureau/site,web-01\nagency/bureau/site,"db, primary"\n' >"$T/inv.csv"
expect "inventory import" 0 "imported 2 expected hosts" "$EXCISE" serve "${DBARGS[@]}" inventory import "$T/inv.csv" --by alice
printf 'agency,web-02,extra\n' >"$T/inv-bad.csv"
expect "inventory import: a bad row is named by its line, nothing imported" 2 "line 1" \
	"$EXCISE" serve "${DBARGS[@]}" inventory import "$T/inv-bad.csv"
expect "directive start" 0 "starts on 2026-01-15" "$EXCISE" serve "${DBARGS[@]}" directive start dhs-bod-17-01 2026-01-15 --by alice
expect "directive start: not a date" 2 "YYYY-MM-DD" "$EXCISE" serve "${DBARGS[@]}" directive start dhs-bod-17-01 15/01/2026
check_eq "each admin write audited with who did it (an exemption by its approver)" \
	"$(sql "SELECT action FROM audit WHERE actor = 'alice' ORDER BY action" | tr '\n' ' ')" \
	"directive.start exemption.revoke host.retire host.unretire inventory.import "
check_eq "... the approver's, the inventory's rows" \
	"$(sql "SELECT count(*) FROM audit WHERE actor = 'CISO'") $(sql "SELECT count(*) FROM expected_host")" "1 2"

# ---------- limits (HTTPS) ----------
a=$(cl big-length 100000000)
check_eq "Content-Length over the limit: 413 before the body is read" \
	"$(st "$a") $(py -c 'import sys; print(float(sys.argv[1].rsplit("seconds=",1)[1]) < 5)' "$a")" "413 True"
a=$(cl big-headers 20000)
check_eq "headers over the limit: 431, JSON" "$(st "$a") $(body "$a" | cut -c1-9)" '431 {"error":'
a=$(cl big-headers 200000)
# libmicrohttpd answers and closes while the client still sends: the client may see
# the answer or only the reset that followed it
check "headers past libmicrohttpd's memory: 431, or the connection cut" grep -Eq '^(431|0) ' <<<"$a"
check_eq "... and the collector goes on" "$(curl -sS --cacert "$CA" -o /dev/null -w '%{http_code}' "$BASE/v1/health")" 200

# ---------- SIGHUP: a new certificate while serving ----------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/new.key" -out "$T/new.pem" \
	-days 30 -subj /CN=localhost -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' 2>/dev/null
cat "$S/cert.pem" "$T/new.pem" >"$T/both.pem"
( n=0 bad=0; while [ ! -e "$T/stop-loop" ]; do
	curl -sS --cacert "$T/both.pem" "$BASE/v1/health" >/dev/null 2>>"$T/loop.err" || bad=$((bad + 1)); n=$((n + 1))
  done; echo "$n $bad" >"$T/loop.res" ) &
LOOP=$!
defer "touch $T/stop-loop; wait $LOOP 2>/dev/null"
sleep 1
cp "$T/new.key" "$S/key.pem" && cp "$T/new.pem" "$S/cert.pem"
kill -HUP "$PID"
for i in $(seq 100); do grep -q "certificate reloaded" "$T/one.err" && break; sleep 0.1; done
sleep 1
touch "$T/stop-loop"; wait "$LOOP"
read -r n bad <"$T/loop.res"
sed 's/^/# loop: /' "$T/loop.err" | head -5
check_eq "SIGHUP: reloaded, and of $n requests during the reload none failed" "$(grep -c 'certificate reloaded' "$T/one.err") $bad" "1 0"
fp() { openssl s_client -connect "127.0.0.1:$PORT" -servername localhost </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
check_eq "the new certificate is served" "$(fp)" "$(openssl x509 -in "$T/new.pem" -noout -fingerprint -sha256)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/other.key" -out /dev/null \
	-days 1 -subj /CN=x 2>/dev/null
cp "$T/other.key" "$S/key.pem"
kill -HUP "$PID"
for i in $(seq 100); do grep -q "certificate not reloaded" "$T/one.err" && break; sleep 0.1; done
check "SIGHUP with a key of another certificate: refused, said" grep -q "is not the key of the certificate" "$T/one.err"
check_eq "... and the collector goes on with the one it had" "$(fp)" "$(openssl x509 -in "$T/new.pem" -noout -fingerprint -sha256)"
cp "$T/new.key" "$S/key.pem"

# ---------- SIGTERM ----------
rc=0; stop || rc=$?
check_eq "SIGTERM: a graceful stop, exit 0, its counts logged" "$rc $(grep -c 'stopped: .* stored' "$T/one.err")" "0 1"
check "the access log escapes what the client sent" bash -c "! grep -qP '[\x00-\x08\x0b-\x1f\x7f]' '$T/one.err'"
check_eq "nothing listens after the stop" "$(curl -sS --cacert "$CA" "$BASE/v1/health" >/dev/null 2>&1; echo $?)" 7

# ---------- second start: no secret again ----------
# with a pair of the operator's (--tls-cert, --tls-key)
start two --listen 127.0.0.1:0 --tls-cert "$T/new.pem" --tls-key "$T/new.key" ||
	{ echo "Bail out! the collector did not start again"; exit 1; }
BASE=https://localhost:$PORT CA=$T/new.pem
check_eq "--tls-cert and --tls-key: that certificate served" "$(fp)" "$(openssl x509 -in "$T/new.pem" -noout -fingerprint -sha256)"
check_eq "second start: no secret printed" "$(wc -c <"$T/two.out")" 0
check "second start: says how to make one" grep -q "excise serve secret create" "$T/two.err"
a=$(cl submit "$T/h.json" "$T/report.json")
check_eq "after the restart the stored report is still a duplicate" "$(st "$a") $(field "$a" 'r["status"]')" "200 duplicate"
stop

# ---------- plain HTTP with small limits ----------
cat >"$T/small.json" <<EOF
{"listen": "127.0.0.1:0", "plain_http": true, "state_dir": "$T/state2", "replay_window_seconds": 2,
 "limits": {"body_bytes": 65536, "idle_seconds": 2, "request_seconds": 3, "connections_per_address": 4,
            "requests_per_host_per_minute": 5}}
EOF
start small --config "$T/small.json" || { echo "Bail out! the small collector did not start"; exit 1; }
BASE=http://127.0.0.1:$PORT CA=-
SECRET=$(sed -n 's/^  \([^ ]*\)$/\1/p' "$T/small.out")
check_eq "plain HTTP when asked: health" "$(curl -sS "$BASE/v1/health" -w ' %{http_code}')" '{"status":"ok"} 200'
check_eq "plain HTTP: no certificate made" "$(find "$T/state2" -name '*.pem' | wc -l)" 0
cl enroll "$SECRET" "$MID" fixture-host "$T/s.json" >/dev/null
# another report (on PostgreSQL the first collector's database is this one's too)
py -c 'import json, sys; r = json.load(open(sys.argv[1])); r["report_id"] = "00000000-0000-4000-8000-0000000000e2"
open(sys.argv[2], "w").write(json.dumps(r))' "$T/report.json" "$T/report2.json"
a=$(cl submit "$T/s.json" "$T/report2.json" --save "$T/saved2.json")
check_eq "plain HTTP: stored" "$(field "$a" 'r["status"]')" stored
sleep 3
a=$(cl submit "$T/s.json" "$T/report2.json" --replay "$T/saved2.json")
check_eq "replayed after the window (2 s here): 401" "$(st "$a")" 401
head -c 70000 /dev/zero | tr '\0' ' ' >"$T/big.json"
a=$(cl submit "$T/s.json" "$T/big.json")
check_eq "a body over body_bytes: 413" "$(st "$a")" 413
a=$(cl chunked "$T/s.json" 200000)
check_eq "a chunked body over body_bytes: the connection closed, no document" "$(st "$a")" 0
python3 "$CLIENT" "$BASE" - slow 8 "$T/slow.ready" >"$T/slow.res" 2>&1 &
SLOW=$!
for i in $(seq 100); do [ -e "$T/slow.ready" ] && break; sleep 0.1; done
check_eq "while a slow client holds a connection, others are served" "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/v1/health")" 200
wait "$SLOW"
check "the slow client is cut by the idle timeout (2 s here)" grep -Eq '^0 closed after [2-5]\.' "$T/slow.res"
a=$(cl trickle "$T/s.json")
check "a body trickling in (a byte every 0.5 s, never idle) is cut after request_seconds (3 s here)" \
	grep -Eq '^0 closed after [3-6]\.' <<<"$a"
a=$(cl conns 7)
check_eq "connections from one address: 4 of 7 stay open" "$a" "0 open=4"
check_eq "and once they are gone, the next is served" "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/v1/health")" 200
# the count is per minute: start the burst early in one
[ $(($(date +%s) % 60)) -lt 50 ] || sleep $((61 - $(date +%s) % 60))
for i in 1 2 3 4 5 6; do
	a=$(cl submit "$T/s.json" "$T/report.json")
	[ "$(st "$a")" = 200 ] || break
done
check_eq "requests per host per minute (5 here): then 429 with Retry-After" \
	"$(st "$a") $(sed -n 's/.* retry-after=\([0-9]*\)$/\1/p' <<<"$a" | grep -Ec '^[1-9][0-9]?$')" "429 1"
stop

# ---------- the store's queue full: 429 ----------
# one document waits up to 5 s for a second to fill its group, and the queue holds one
cat >"$T/busy.json" <<EOF
{"listen": "127.0.0.1:0", "plain_http": true, "state_dir": "$T/state3",
 "limits": {"queue": 1, "batch": 2, "batch_wait_ms": 5000}}
EOF
start busy --config "$T/busy.json" || { echo "Bail out! the busy collector did not start"; exit 1; }
BASE=http://127.0.0.1:$PORT CA=-
SECRET=$(sed -n 's/^  \([^ ]*\)$/\1/p' "$T/busy.out")
cl enroll "$SECRET" "$MID" fixture-host "$T/b.json" >/dev/null
for n in 4 5; do
	py -c 'import json, sys; r = json.load(open(sys.argv[1])); r["report_id"] = "00000000-0000-4000-8000-0000000000e" + sys.argv[3]
open(sys.argv[2], "w").write(json.dumps(r))' "$T/report.json" "$T/report$n.json" "$n"
done
# two at once: whichever comes first waits for its group, the other finds the queue full
python3 "$CLIENT" "$BASE" - submit "$T/b.json" "$T/report4.json" >"$T/sub4.res" 2>&1 &
P4=$!
python3 "$CLIENT" "$BASE" - submit "$T/b.json" "$T/report5.json" >"$T/sub5.res" 2>&1 &
P5=$!
wait "$P4" "$P5"
check_eq "two documents while the write queue holds one: one stored, one 429 with Retry-After 1" \
	"$(cat "$T/sub4.res" "$T/sub5.res" | sed 's/"id":"[^"]*"/ID/' | sort | tr '\n' ' ')" \
	'200 {"status":"stored","kind":"report",ID} 429 {"error":"busy: the write queue is full, try again later"} retry-after=1 '
busy=$(grep -l '^429' "$T/sub4.res" "$T/sub5.res" | head -1)
[ "$busy" = "$T/sub4.res" ] && again=$T/report4.json || again=$T/report5.json
a=$(cl submit "$T/b.json" "$again")
check_eq "the refused one is stored when sent again" "$(st "$a") $(field "$a" 'r["status"]')" "200 stored"
# SIGTERM while a document waits for its group: it is committed and answered, then the stop
py -c 'import json, sys; r = json.load(open(sys.argv[1])); r["report_id"] = "00000000-0000-4000-8000-0000000000e6"
open(sys.argv[2], "w").write(json.dumps(r))' "$T/report.json" "$T/report6.json"
cl sign "$T/b.json" "$T/report6.json" >"$T/sig6.txt"
curl -sS "$BASE/v1/submit" -H "$(sed -n 1p "$T/sig6.txt")" -H "$(sed -n 2p "$T/sig6.txt")" \
	--data-binary @"$T/report6.json" -w ' %{http_code}' >"$T/inflight.res" 2>&1 &
CURL=$!
sleep 2
rc=0; stop || rc=$?
wait "$CURL"
check_eq "SIGTERM with a document in flight: it is stored and answered 200, then exit 0" \
	"$(sed 's/"id":"[^"]*"/ID/' "$T/inflight.res") $rc" '{"status":"stored","kind":"report",ID} 200 0'
SQLDB=$T/state3/collector.db
check_eq "... and it is in the database" "$(sql "SELECT count(*) FROM document WHERE doc_id = '00000000-0000-4000-8000-0000000000e6'")" 1

# ---------- two collectors on one database: a host key cached by one, rotated by the other ----------
cat >"$T/twin.json" <<EOF
{"listen": "127.0.0.1:0", "plain_http": true, "state_dir": "$T/state4"}
EOF
start twin-a --config "$T/twin.json" || { echo "Bail out! the first twin did not start"; exit 1; }
PID_A=$PID BASE_A=http://127.0.0.1:$PORT
start twin-b --config "$T/twin.json" || { echo "Bail out! the second twin did not start"; exit 1; }
PID_B=$PID BASE_B=http://127.0.0.1:$PORT
CA=-
SECRET=$(sed -n 's/^  \([^ ]*\)$/\1/p' "$T/twin-a.out")
for n in 7 8 9; do
	py -c 'import json, sys; r = json.load(open(sys.argv[1])); r["report_id"] = "00000000-0000-4000-8000-0000000000e" + sys.argv[3]
open(sys.argv[2], "w").write(json.dumps(r))' "$T/report.json" "$T/report$n.json" "$n"
done
BASE=$BASE_A cl enroll "$SECRET" "$MID" fixture-host "$T/w-old.json" >/dev/null
a=$(BASE=$BASE_A cl submit "$T/w-old.json" "$T/report7.json")
check_eq "twins: enrolled and stored through the first (its key cached there)" "$(st "$a") $(field "$a" 'r["status"]')" "200 stored"
BASE=$BASE_B cl enroll "$SECRET" "$MID" fixture-host "$T/w-new.json" >/dev/null
a=$(BASE=$BASE_A cl submit "$T/w-new.json" "$T/report8.json")
check_eq "enrolled again through the second: the first takes the new key at once (it reads the key again when a cached one does not match)" \
	"$(st "$a") $(field "$a" 'r["status"]')" "200 stored"
a=$(BASE=$BASE_A cl submit "$T/w-old.json" "$T/report9.json")
check_eq "... and refuses the old key from then on" "$(st "$a")" 401
kill -TERM "$PID_A" "$PID_B"
wait "$PID_A" "$PID_B"

# ---------- the store's writers: --pg-writers ----------
# PostgreSQL: N writer threads (each host's documents on one, in order: the store-pg unit
# test's writers_order_per_host); hosts submitting at once, every document stored once.
# SQLite has one writer: the option is refused there.
if [ -n "$DB" ]; then
	cat >"$T/pgw.json" <<EOF
{"listen": "127.0.0.1:0", "plain_http": true, "state_dir": "$T/state5", "limits": {"pg_writers": 2}}
EOF
	start pgw --config "$T/pgw.json" --pg-writers 3 || { echo "Bail out! the collector with 3 writers did not start"; exit 1; }
	BASE=http://127.0.0.1:$PORT CA=-
	check "--pg-writers 3 (over the config's 2): the store runs 3 writers" grep -q "store: postgresql, 3 writers" "$T/pgw.err"
	SECRET=$(adm secret create --org-unit agency | sed -n 's/^secret (shown this once): //p')
	for h in 1 2 3 4 5 6; do
		cl enroll "$SECRET" "m-pgw-$h" "pgw-$h" "$T/pgw-$h.json" >/dev/null
		for k in 1 2 3; do
			py -c 'import json, sys; r = json.load(open(sys.argv[1])); r["host"]["machine_id"] = sys.argv[3]
r["report_id"] = "00000000-0000-4000-a%03d-%012d" % (int(sys.argv[4]), int(sys.argv[5]))
open(sys.argv[2], "w").write(json.dumps(r))' "$T/report.json" "$T/pgw-$h-$k.json" "m-pgw-$h" "$h" "$k"
		done
	done
	pids=()
	for h in 1 2 3 4 5 6; do
		# python3 itself: the script's one Python (pyserver.py) takes one request at a time
		( for k in 1 2 3; do python3 "$CLIENT" "$BASE" - submit "$T/pgw-$h.json" "$T/pgw-$h-$k.json"; done \
			>"$T/pgw-$h.res" 2>&1 ) &
		pids+=($!)
	done
	wait "${pids[@]}"
	check_eq "six hosts at once through 3 writers: all 18 documents stored" \
		"$(cat "$T"/pgw-?.res | cut -d' ' -f1 | sort | uniq -c | tr -s ' ')" " 18 200"
	check_eq "... each once, three for each of the six hosts" \
		"$(sql "SELECT count(*) FROM document WHERE doc_id LIKE '00000000-0000-4000-a%'") $(sql "SELECT count(*) FROM (SELECT host_id FROM document WHERE doc_id LIKE '00000000-0000-4000-a%' GROUP BY host_id HAVING count(*) = 3) x")" \
		"18 6"
	stop
else
	expect "--pg-writers on a SQLite database: refused, saying it has one writer" 2 "SQLite, which has one writer" \
		"$EXCISE" serve --state-dir "$T/state5" --pg-writers 2
	check "the first start said its store: sqlite, 1 writer" grep -q "store: sqlite, 1 writer$" "$T/one.err"
fi
expect "--pg-writers above EXCISE_STORE_MAX_WRITERS: refused, the bound said" 2 "from 1 to 32" \
	"$EXCISE" serve "${DBARGS[@]}" --pg-writers 33
expect "--pg-writers 0: refused" 2 "from 1 to 32" "$EXCISE" serve "${DBARGS[@]}" --pg-writers 0
expect "--pg-writers not a number: refused" 2 "from 1 to 32" "$EXCISE" serve "${DBARGS[@]}" --pg-writers 3x
printf '{"limits": {"pg_writers": 33}}' >"$T/bad4.json"
expect "config: limits.pg_writers over 32 named" 2 "bad4.json.*/limits/pg_writers" "$EXCISE" serve --config "$T/bad4.json"

# ---------- config errors ----------
printf '{"listen": "127.0.0.1:0", "limits": {"body_byte": 5}}' >"$T/bad1.json"
expect "config: an unknown member is named, with the file" 2 "bad1.json.*body_byte" "$EXCISE" serve --config "$T/bad1.json"
printf '{"listen": 8443}' >"$T/bad2.json"
expect "config: a wrong type is named" 2 "bad2.json.*/listen" "$EXCISE" serve --config "$T/bad2.json"
printf '{"limits": {"idle_seconds": 0}}' >"$T/bad3.json"
expect "config: a limit out of range is named" 2 "bad3.json.*/limits/idle_seconds" "$EXCISE" serve --config "$T/bad3.json"
expect "--listen: a bad port" 2 "65535" "$EXCISE" serve --listen 127.0.0.1:99999
expect "--tls-cert without --tls-key" 2 "go together" "$EXCISE" serve --tls-cert "$S/cert.pem"
done_testing
