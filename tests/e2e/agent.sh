#!/bin/bash
# End-to-end, issue 15 item 3: the agent side of submitting. excise enroll, excise
# submit (reports, plans, attestations with their report, run directories), excise
# submit --spool and excise scan --submit against a test collector on loopback
# (tests/e2e/collector.py: HTTPS with certificates made here, the signature checked
# with Python's hmac, answering 200/duplicate/401/429/500/403/301 on demand, stopped
# and started). The spool: delivery once the collector is back, oldest first, nothing
# twice; backoff and Retry-After respected; refused documents kept in rejected/; the
# bounds and the eviction order. TLS: CA file, wrong CA, pinned key.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in openssl python3 dpkg dpkg-query; do
	command -v $t >/dev/null || skip_all "$t not installed"
done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
ROOT=$(fixture linux) || { echo "Bail out! fixture root"; exit 1; }
MID=0123456789abcdef0123456789abcdef
SPOOL=$EXCISE_STATE_DIR/spool
S=$T/collector
C=$T/certs
mkdir -p "$C"

# ---------------------------------------------------------------- certificates
cert() { # NAME CN CA: a P-256 key and a certificate for 127.0.0.1 signed by CA (or self-signed)
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$C/$1.key" -out "$C/$1.csr" \
		-subj "/CN=$2" 2>/dev/null || return 1
	printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:%s\n' "$([ -z "$3" ] && echo TRUE || echo FALSE)" \
		>"$C/$1.ext"
	if [ -z "$3" ]; then
		openssl x509 -req -in "$C/$1.csr" -signkey "$C/$1.key" -out "$C/$1.pem" -days 2 -extfile "$C/$1.ext" 2>/dev/null
	else
		openssl x509 -req -in "$C/$1.csr" -CA "$C/$3.pem" -CAkey "$C/$3.key" -CAcreateserial -out "$C/$1.pem" \
			-days 2 -extfile "$C/$1.ext" 2>/dev/null
	fi
}
pin_of() { echo "sha256//$(openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)"; }
cert ca test-ca '' && cert srv 127.0.0.1 ca && cert ca2 other-ca '' && cert srv2 127.0.0.1 ca2 ||
	{ echo "Bail out! openssl could not make the test certificates"; exit 1; }
PIN=$(pin_of "$C/srv.pem")
BADPIN=$(pin_of "$C/srv2.pem")

# ---------------------------------------------------------------- the test collector
SRV=''
start() { # [CERT]: start the collector (the same port after the first start)
	rm -f "$S/ready"
	python3 "$EXCISE_SRC/tests/e2e/collector.py" "$S" --cert "$C/${1:-srv}.pem" --key "$C/${1:-srv}.key" \
		--secret s3cret </dev/null >"$T/collector.log" 2>&1 &
	SRV=$!
	for _ in $(seq 100); do [ -e "$S/ready" ] && break; sleep 0.1; done
	[ -e "$S/ready" ] || { echo "Bail out! the test collector did not start"; cat "$T/collector.log"; exit 1; }
	URL=https://127.0.0.1:$(cat "$S/port")
}
stop() {
	[ -n "$SRV" ] || return 0
	kill "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
	SRV=''
}
defer stop
mode() { echo "$*" >"$S/mode"; }
nreq() { [ -e "$S/requests.jsonl" ] && wc -l <"$S/requests.jsonl" || echo 0; }
spooled() { ls "$SPOOL" 2>/dev/null | grep -c '\.spool$'; }
# meta FILE EXPR: EXPR over m, the metadata line of a spool file
meta() { py -c 'import json,sys; m=json.loads(open(sys.argv[1]).readline()); print(eval(sys.argv[2]))' "$1" "$2"; }
# set_next FILE T: rewrite a spool file's next try
set_next() {
	py -c 'import json,sys
p=sys.argv[1]; b=open(p,"rb").read(); i=b.index(b"\n"); m=json.loads(b[:i]); m["next_try"]=int(sys.argv[2])
open(p,"wb").write(json.dumps(m).encode()+b[i:])' "$1" "$2"
}
printf 's3cret\n' >"$T/secret"
printf 'wrong\n' >"$T/wrong"
start

# ---------------------------------------------------------------- enroll
expect "enroll --secret VALUE: refused (a secret on the command line shows in ps)" 2 "ps" \
	"$EXCISE" enroll "$URL" --secret s3cret --root "$ROOT" --ca "$C/ca.pem"
expect "enroll without a secret: a usage error" 2 "secret-file" "$EXCISE" enroll "$URL" --root "$ROOT"
expect "enroll http:// to a host that is not loopback: refused" 2 "https://" \
	"$EXCISE" enroll http://192.0.2.1:1/ --secret-file "$T/secret" --root "$ROOT"
expect "enroll with the wrong CA: the certificate refused" 2 "certificate was refused" \
	"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$ROOT" --ca "$C/ca2.pem"
expect "enroll with the system CAs only (a private CA's collector): refused" 2 "certificate was refused" \
	"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$ROOT"
expect "enroll with a pinned key that does not match: refused" 2 "certificate was refused" \
	"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$ROOT" --pin "$BADPIN"
check_eq "... no enrollment kept, nothing sent" "$(ls "$EXCISE_STATE_DIR/agent" 2>/dev/null):$(ls "$S/hosts.json" 2>/dev/null)" ":"
expect "enroll with a wrong secret: refused by the collector" 2 "enrollment refused.*unknown enrollment secret" \
	"$EXCISE" enroll "$URL" --secret-file "$T/wrong" --root "$ROOT" --ca "$C/ca.pem"
expect "enroll with the pinned key (no CA): enrolled" 0 "enrolled machine $MID" \
	"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$ROOT" --pin "$PIN"
HOST=$(py -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1])))))' "$S/hosts.json")
KEY1=$(py -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1])).values()))["key"])' "$S/hosts.json")
E=$(ls "$EXCISE_STATE_DIR"/agent/host-*.json)
check_eq "... one enrollment file, mode 0600, in a 0700 folder" \
	"$(stat -c %a "$E"):$(stat -c %a "$EXCISE_STATE_DIR/agent")" "600:700"
check "... the host key is not printed" bash -c "! grep -qF '$KEY1' '$T/.out'"
SECRET_ENV=s3cret expect "enroll again (--secret-env, --ca): the same host, its key rotated" 0 "as host $HOST" \
	"$EXCISE" enroll "$URL" --secret-env SECRET_ENV --root "$ROOT" --ca "$C/ca.pem"
KEY2=$(py -c 'import json,sys; print(next(iter(json.load(open(sys.argv[1])).values()))["key"])' "$S/hosts.json")
check "... the key changed" test "$KEY1" != "$KEY2"
check_eq "... the enrollment keeps the CA file" "$(jq_py "$E" 'r["ca_file"]')" "$(realpath "$C/ca.pem")"

# ---------------------------------------------------------------- scan --submit, submit, duplicate
rc=0
"$EXCISE" scan --root "$ROOT" --submit --format json -o "$T/r0.json" >"$T/s.out" 2>"$T/s.err" || rc=$?
check_eq "scan --submit: the exit status is the scan's verdict (1: found)" "$rc" 1
check "... the report delivered, said on stderr" grep -q "stored report" "$T/s.err"
check_eq "... the collector has the bytes of the report written (-o)" \
	"$(tail -1 "$S/stored.jsonl" | py -c 'import json,sys; print(json.load(sys.stdin)["sha256"])')" \
	"$(sha256sum <"$T/r0.json" | cut -d' ' -f1)"
"$EXCISE" scan --root "$ROOT" --submit "$URL" -q >"$T/s.out" 2>"$T/s.err" || true
check "scan --submit URL (text on stdout): the text report untouched, a JSON report stored" \
	bash -c "grep -q '^FOUND' '$T/s.out' && [ \$(wc -l <'$S/stored.jsonl') = 2 ] && ! grep -q '\"schema\"' '$T/s.out'"
expect "submit the report again: a duplicate, never new" 0 "duplicate report" "$EXCISE" submit "$T/r0.json"
check_eq "... stored once" "$(grep -c . "$S/stored.jsonl")" 2
expect "submit a file that is not an excise document: an error" 2 "document .*secret" "$EXCISE" submit "$T/secret"
"$EXCISE" plan "$T/r0.json" --format json -o "$T/plan.json"
expect "submit a plan: stored" 0 "stored plan sha256:" "$EXCISE" submit "$T/plan.json"

# ---------------------------------------------------------------- the collector down: spooled, then flushed
for i in 1 2 3 4; do "$EXCISE" scan --root "$ROOT" --format json -o "$T/r$i.json" -q >/dev/null 2>&1; done
stop
expect "collector down: submit r1 r2: spooled, exit 0" 0 "not delivered: the collector cannot be reached" \
	"$EXCISE" submit "$T/r1.json" "$T/r2.json"
rc=0
"$EXCISE" scan --root "$ROOT" --submit -q >/dev/null 2>"$T/s.err" || rc=$?
check_eq "scan --submit, collector down: the verdict stays (1), the report spooled" "$rc:$(spooled)" "1:3"
check "... said" grep -q "kept in the spool" "$T/s.err"
mapfile -t F < <(ls "$SPOOL"/*.spool)
check_eq "... oldest first by name: r1, r2, then the scan's report" \
	"$(meta "${F[0]}" 'm["name"]'):$(meta "${F[1]}" 'm["name"]'):$(meta "${F[2]}" 'm["name"][:7]')" \
	"$T/r1.json:$T/r2.json:report "
now=$(date +%s)
check "... r1 tried once, its next try backed off (within 30 s), r2 not tried (the collector was down)" \
	test "$(meta "${F[0]}" 'm["attempts"]')" = 1 -a "$(meta "${F[0]}" 'm["next_try"]')" -le $((now + 31)) \
	-a "$(meta "${F[1]}" 'm["attempts"]')" = 0
check_eq "... files 0600" "$(stat -c %a "${F[0]}")" 600
expect "submit --spool, collector still down: nothing delivered, exit 0" 0 "0 delivered" "$EXCISE" submit --spool
start
SHA1=$(meta "${F[0]}" 'm["sha256"]')
SHAS="$(meta "${F[1]}" 'm["sha256"][:12]') $(meta "${F[2]}" 'm["sha256"][:12]')"
set_next "${F[0]}" $((now + 3600))
for f in "${F[@]:1}"; do set_next "$f" $((now - 1)); done
n0=$(nreq)
expect "collector back: submit --spool delivers what is due" 0 "2 delivered, 0 refused, 1 kept for later \(1 not tried now\)" \
	"$EXCISE" submit --spool
check_eq "... r1, whose next try is in an hour, was not sent" "$(grep -c "$SHA1" "$S/requests.jsonl")" 0
check_eq "... the others sent once each, oldest first" \
	"$(tail -n +$((n0 + 1)) "$S/requests.jsonl" | py -c 'import json,sys; print(" ".join(json.loads(l)["sha256"][:12] for l in sys.stdin))')" \
	"$SHAS"
set_next "${F[0]}" $((now - 1))
expect "once due, r1 goes too" 0 "1 delivered" "$EXCISE" submit --spool
check_eq "... the spool is empty" "$(spooled)" 0
n1=$(nreq)
expect "submit --spool again: nothing to send" 0 "0 delivered" "$EXCISE" submit --spool
check_eq "... no request made" "$(nreq)" "$n1"
check_eq "every document stored once (ids unique)" \
	"$(py -c 'import json,sys; ids=[json.loads(l)["id"] for l in open(sys.argv[1])]; print(len(ids)-len(set(ids)))' "$S/stored.jsonl")" 0
check_eq "... r1 and r2 among them" \
	"$(grep -c -e "$(jq_py "$T/r1.json" 'r["report_id"]')" -e "$(jq_py "$T/r2.json" 'r["report_id"]')" "$S/stored.jsonl")" 2

# ---------------------------------------------------------------- 429 Retry-After, 5xx, 401, 3xx, 403
mode 429 120
now=$(date +%s)
expect "429 with Retry-After: 120: spooled" 0 "HTTP 429" "$EXCISE" submit "$T/r3.json"
F=$(ls "$SPOOL"/*.spool)
nt=$(meta "$F" 'm["next_try"]')
check "... its next try is Retry-After from now (not the backoff)" test "$nt" -ge $((now + 118)) -a "$nt" -le $((now + 125))
n2=$(nreq)
mode ok
expect "... a flush before then sends nothing" 0 "0 delivered.*1 not tried now" "$EXCISE" submit --spool
check_eq "... no request made" "$(nreq)" "$n2"
set_next "$F" $((now - 1))
mode 500
expect "500: kept, backed off" 0 "not delivered \(attempt 2\): HTTP 500" "$EXCISE" submit --spool
check "... next try within the second backoff step (60 s)" test "$(meta "$F" 'm["next_try"]')" -le $(($(date +%s) + 61))
mode ok
set_next "$F" $((now - 1))
"$EXCISE" submit "$T/r4.json" >/dev/null 2>&1
check_eq "r4 (collector up) delivered at once, and the waiting r3 after it" "$(spooled)" 0
check "... both stored" grep -q "$(jq_py "$T/r3.json" 'r["report_id"]')" "$S/stored.jsonl"
# two due documents and a busy collector: the flush stops at the first
mode 429 60
"$EXCISE" scan --root "$ROOT" --submit -q >/dev/null 2>&1
"$EXCISE" scan --root "$ROOT" --submit -q >/dev/null 2>&1
for f in "$SPOOL"/*.spool; do set_next "$f" $((now - 1)); done
n3=$(nreq)
expect "a busy collector (429): the flush tries one document and stops" 0 "2 kept for later \(1 not tried now\)" \
	"$EXCISE" submit --spool
check_eq "... one request made" "$(($(nreq) - n3))" 1
mode 401-invalid
for f in "$SPOOL"/*.spool; do set_next "$f" $((now - 1)); done
expect "401 host_invalid: kept, the operator told to enroll again" 2 "enroll this machine again" "$EXCISE" submit --spool
check_eq "... nothing lost" "$(spooled)" 2
mode 401
for f in "$SPOOL"/*.spool; do set_next "$f" $((now - 1)); done
expect "401 (a bad signature, a clock off): kept, exit 2" 2 "HTTP 401: signature time outside the window" \
	"$EXCISE" submit --spool
mv "$E" "$T/enrollment.saved"
for f in "$SPOOL"/*.spool; do set_next "$f" $((now - 1)); done
n5=$(nreq)
expect "a spooled document of a machine no longer enrolled: kept, not sent, exit 2" 2 "not sent: machine '$MID' is not enrolled" \
	"$EXCISE" submit --spool
check_eq "... no request made, nothing lost" "$(($(nreq) - n5)):$(spooled)" 0:2
mv "$T/enrollment.saved" "$E"
mode 301
for f in "$SPOOL"/*.spool; do set_next "$f" $((now - 1)); done
expect "a redirect: not followed, kept" 0 "redirect, not followed" "$EXCISE" submit --spool
mode ok
for f in "$SPOOL"/*.spool; do set_next "$f" $((now - 1)); done
expect "collector fine again: both delivered" 0 "2 delivered" "$EXCISE" submit --spool
mode 403
"$EXCISE" scan --root "$ROOT" --format json -o "$T/r5.json" -q >/dev/null 2>&1
expect "403: refused with the collector's message, exit 2" 2 "refused by the collector: HTTP 403: the document is about another host" \
	"$EXCISE" submit "$T/r5.json"
R=$(ls "$SPOOL"/rejected/*.spool 2>/dev/null | head -1)
check "... kept in rejected/ with the reason, not in the spool" \
	bash -c "[ -n '$R' ] && [ \$(ls '$SPOOL' | grep -c spool\$) = 0 ]"
check_eq "... the reason recorded" "$(meta "$R" '"about another host" in m["last_error"]')" True
check "... its bytes kept whole" bash -c "tail -n +2 '$R' | cmp - '$T/r5.json'"
mode ok

# ---------------------------------------------------------------- spool bounds and eviction order
stop
for i in a b c d; do "$EXCISE" scan --root "$ROOT" --format json -o "$T/b$i.json" -q >/dev/null 2>&1; done
for i in 1 2 3; do "$EXCISE" plan "$T/r0.json" --format json -o "$T/p$i.json" 2>/dev/null; done
export EXCISE_SPOOL_MAX_FILES=3
"$EXCISE" submit "$T/ba.json" "$T/bb.json" "$T/bc.json" >/dev/null 2>&1
names() { for f in "$SPOOL"/*.spool; do meta "$f" 'm["name"].rsplit("/",1)[-1]'; done | tr '\n' ' '; }
check_eq "three reports fill a spool of 3 files" "$(names)" "ba.json bb.json bc.json "
"$EXCISE" submit "$T/p1.json" >/dev/null 2>&1
check_eq "a plan: the oldest superseded report (ba) evicted" "$(names)" "bb.json bc.json p1.json "
"$EXCISE" submit "$T/p2.json" >/dev/null 2>&1
check_eq "another plan: bb evicted; bc, the machine's newest report, stays" "$(names)" "bc.json p1.json p2.json "
expect "a third plan: full of what is never evicted: refused, exit 2" 2 "spool .* is full" \
	"$EXCISE" submit "$T/p3.json"
check_eq "... nothing changed" "$(names)" "bc.json p1.json p2.json "
"$EXCISE" submit "$T/bd.json" >/dev/null 2>&1
check_eq "a newer report: bc (now superseded) makes room" "$(names)" "p1.json p2.json bd.json "
rc=0
"$EXCISE" scan --root "$ROOT" --submit -q >/dev/null 2>"$T/s.err" || rc=$?
check "scan --submit with the spool full: a newer report replaces bd (verdict kept)" \
	bash -c "[ $rc = 1 ] && [ \"\$(ls '$SPOOL' | grep -c spool\$)\" = 3 ] && ! grep -q bd.json <<<'$(names)'"
unset EXCISE_SPOOL_MAX_FILES
EXCISE_SPOOL_MAX_BYTES=1000 expect "a document larger than the spool's byte bound: refused, never dropped silently" 2 \
	"is full" "$EXCISE" submit "$T/p3.json"
start
for f in "$SPOOL"/*.spool; do set_next "$f" 0; done
expect "the collector back: the spool delivered" 0 "3 delivered" "$EXCISE" submit --spool

# ---------------------------------------------------------------- a collector with another CA's certificate
stop
start srv2
expect "a collector presenting another CA's certificate: refused, kept, exit 2" 2 "certificate was refused" \
	"$EXCISE" submit "$T/p3.json"
check_eq "... spooled" "$(spooled)" 1
stop
start
for f in "$SPOOL"/*.spool; do set_next "$f" 0; done
expect "the right collector again: delivered" 0 "1 delivered" "$EXCISE" submit --spool

# ---------------------------------------------------------------- a removal run, an attestation with its report
A=$T/root-a
fixture_copy linux "$A"
"$EXCISE" enroll "$URL" --secret-file "$T/secret" --root "$A" --ca "$C/ca.pem" -q
[ $(($(date +%s) - $(stat -c %Y "$ROOT.stamp" 2>/dev/null || echo 0))) -ge 2 ] || sleep 2
"$EXCISE" scan --root "$A" --format json -o "$T/ra.json" -q >/dev/null 2>&1
"$EXCISE" plan "$T/ra.json" --format json -o "$T/pa.json"
rc=0
"$EXCISE" remove --plan "$T/pa.json" --apply >"$T/rm.out" 2>&1 || rc=$?
RUN=$(run_of "$A")
if [ "$rc" = 0 ] && [ -n "$RUN" ]; then
	expect "submit RUN_DIR: its excise.removal/1 summary stored" 0 "stored removal $(basename "$RUN")" \
		"$EXCISE" submit "$RUN"
	DOC=$S/docs/$(tail -1 "$S/stored.jsonl" | py -c 'import json,sys; print(json.load(sys.stdin)["sha256"])').json
	check_eq "... its fields: schema, machine, status, steps, products" \
		"$(jq_py "$DOC" 'r["schema"], r["host"]["machine_id"], r["status"], r["steps"]["total"] == r["steps"]["done"] + r["steps"]["skipped"], r["finished"] is not None, "kesl" in r["products"]')" \
		"('excise.removal/1', '$MID', 'done', True, True, True)"
	"$EXCISE" verify --run "$RUN" --root "$A" -o "$T/att.json" -q >/dev/null 2>&1 || true
	if [ -e "$T/att.json" ] && [ -e "$T/att.report.json" ]; then
		n4=$(nreq)
		expect "submit an attestation: its report first, then it" 0 "stored attestation" "$EXCISE" submit "$T/att.json"
		check_eq "... in that order" "$(tail -n +$((n4 + 1)) "$S/requests.jsonl" | py -c 'import json,sys; print(" ".join(json.loads(l)["kind"] for l in sys.stdin))')" \
			"report attestation"
	else
		not_ok "verify --run wrote an attestation and its report"
	fi
else
	not_ok "remove --apply on a copy of the fixture (exit $rc)"
	sed 's/^/# /' "$T/rm.out" | head -20
fi
done_testing
