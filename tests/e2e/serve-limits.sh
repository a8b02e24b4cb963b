#!/bin/bash
# End-to-end (issue 15's leftovers): the collector's connection caps, the bound of its
# table of requests per host, and its graceful stop, over real HTTP on loopback
# (excise serve, plain HTTP, private ports, state folders under $T); every wait bounded.
#  - connections: with `connections` held open, one more is taken by the kernel but
#    neither accepted nor answered until one of them closes, then it is answered;
#  - connections per address: past it a connection is closed at once, while another
#    loopback address (127.0.0.2) is still served;
#  - the rate table: with `rate_hosts` hosts counted this minute a new host gets 429
#    with Retry-After (to the minute's end) while the counted ones go on; at the next
#    minute the table starts empty and the new host is served;
#  - SIGTERM with a request whose body is half sent and an idle connection open: the
#    request completes (200, stored), the idle connection does not hold the stop, the
#    process exits 0 in seconds (not EXCISE_MAX_SERVE_DRAIN_SECONDS);
#  - the log in blocks (EXCISE_SERVE_LOG_FLUSH_MS): an error line is written at once,
#    after every line before it; after SIGTERM every request's line is in it, once and
#    whole.
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"
for t in curl python3; do command -v $t >/dev/null || skip_all "$t not installed"; done
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
CLIENT=$EXCISE_SRC/tests/e2e/serve_client.py
cl() { py "$CLIENT" "$BASE" - "$@"; }
st() { cut -d' ' -f1 <<<"$1"; }

PID=''
# start NAME: excise serve --config $T/NAME.json in the background, then PORT, BASE, SECRET
start() {
	local name=$1 i
	"$EXCISE" serve --config "$T/$name.json" >"$T/$name.out" 2>"$T/$name.err" &
	PID=$!
	defer "kill -KILL $PID 2>/dev/null; wait $PID 2>/dev/null"
	for i in $(seq 300); do
		PORT=$(sed -n 's/.* listening on .* port \([0-9]*\) .*/\1/p' "$T/$name.err" | head -1)
		if [ -n "$PORT" ]; then
			BASE=http://127.0.0.1:$PORT
			SECRET=$(sed -n 's/^  \([^ ]*\)$/\1/p' "$T/$name.out")
			return 0
		fi
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# excise serve --config $name did not start:"; sed 's/^/#   /' "$T/$name.err" | head -20
	return 1
}
stop() {
	local rc=0
	kill -TERM "$PID"
	wait "$PID" || rc=$?
	return $rc
}
# config NAME JSON-LIMITS: a plain-HTTP collector on a free loopback port, its own state folder
config() {
	printf '{"listen": "127.0.0.1:0", "plain_http": true, "state_dir": "%s", "limits": %s}\n' \
		"$T/state-$1" "$2" >"$T/$1.json"
}

# The raw-socket side, in one Python program (python3 itself where it runs in the
# background: the script's pyserver.py answers one caller at a time).
cat >"$T/sock.py" <<'EOF'
import socket, sys, time, os

GET = b"GET /v1/health HTTP/1.1\r\nHost: t\r\n\r\n"

def status(s, timeout):
    s.settimeout(timeout)
    try:
        d = s.recv(200)
    except socket.timeout:
        return "waiting"
    except OSError:
        return "reset"
    if not d:
        return "closed"
    return d.split(b" ", 2)[1].decode()

def conn(port, src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    return s

cmd, port = sys.argv[1], int(sys.argv[2])
if cmd == "global":
    # hold `cap` connections, then one more
    cap = int(sys.argv[3])
    held = [conn(port) for _ in range(cap)]
    time.sleep(0.3)
    extra = conn(port)
    extra.sendall(GET)
    print("beyond the cap:", status(extra, 2))
    held[0].sendall(GET)
    print("a held one:", status(held[0], 5))
    held[1].close()
    t = time.time()
    print("once one closed, the waiting one:", status(extra, 5), "within 3 s:", time.time() - t < 3)
elif cmd == "per-address":
    cap = int(sys.argv[3])
    held = [conn(port) for _ in range(cap + 1)]
    time.sleep(0.5)
    states = []
    for s in held:
        s.setblocking(False)
        try:
            states.append("closed" if not s.recv(1) else "data")
        except BlockingIOError:
            states.append("open")
        except OSError:
            states.append("closed")
    print("from 127.0.0.1:", " ".join(sorted(states)))
    other = conn(port, "127.0.0.2")
    other.sendall(GET)
    print("from 127.0.0.2 meanwhile:", status(other, 5))
elif cmd == "halfbody":
    # a signed submit whose body is half sent before READY, the rest once GO exists
    sig_file, body_file, ready, go = sys.argv[3:7]
    lines = open(sig_file).read().splitlines()
    body = open(body_file, "rb").read()
    s = conn(port)
    s.sendall(("POST /v1/submit HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
               "%s\r\n%s\r\n\r\n" % (len(body), lines[0], lines[1])).encode() + body[:len(body) // 2])
    open(ready, "w").close()
    for _ in range(200):
        if os.path.exists(go):
            break
        time.sleep(0.1)
    s.sendall(body[len(body) // 2:])
    s.settimeout(30)
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        d = s.recv(65536)
        if not d:
            break
        data += d
    head, _, rest = data.partition(b"\r\n\r\n")
    print(head.split(b" ", 2)[1].decode() if head else "0", rest.decode())
elif cmd == "idle":
    # a connection that never sends, held until the collector closes it (at most 30 s)
    s = conn(port)
    open(sys.argv[3], "w").close()
    print("idle connection:", status(s, 30))
EOF

R=$(fixture linux) || { echo "Bail out! fixture linux"; exit 1; }
scan_json "$R" -q
cp "$T/out.json" "$T/report.json"
# report FILE MACHINE N: the fixture's report for MACHINE with report id number N
report() {
	py -c 'import json, sys; r = json.load(open(sys.argv[1])); r["host"]["machine_id"] = sys.argv[3]
r["report_id"] = "00000000-0000-4000-9000-%012d" % int(sys.argv[4])
open(sys.argv[2], "w").write(json.dumps(r))' "$T/report.json" "$1" "$2" "$3"
}

# ---------- connections: the global cap ----------
# One thread: libmicrohttpd divides `connections` among the threads of its pool.
config global '{"connections": 3, "connections_per_address": 0, "threads": 1}'
start global || { echo "Bail out! the collector did not start"; exit 1; }
py "$T/sock.py" global "$PORT" 3 >"$T/global.res"
check_eq "connections 3 held open: a fourth is neither accepted nor answered" \
	"$(sed -n 1p "$T/global.res")" "beyond the cap: waiting"
check_eq "... while the held ones are served" "$(sed -n 2p "$T/global.res")" "a held one: 200"
check_eq "... and once one of them closes, the waiting one is accepted and answered" \
	"$(sed -n 3p "$T/global.res")" "once one closed, the waiting one: 200 within 3 s: True"
check_eq "after the burst, a client is served" "$(curl -sS -o /dev/null -w '%{http_code}' "$BASE/v1/health")" 200
stop
# "threads": 1 is libmicrohttpd's one polling thread: no pool asked for, so no warning of its
check_eq '"threads": 1: one thread, and libmicrohttpd says nothing of a pool' \
	"$(grep -c 'libmicrohttpd' "$T/global.err") $(grep -c 'HTTP, 1 threads)' "$T/global.err")" "0 1"

# ---------- connections per address ----------
if py -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' 2>/dev/null; then
	config peraddr '{"connections": 100, "connections_per_address": 2}'
	start peraddr || { echo "Bail out! the collector did not start"; exit 1; }
	py "$T/sock.py" per-address "$PORT" 2 >"$T/peraddr.res"
	check_eq "connections_per_address 2: of three from 127.0.0.1, one closed at once" \
		"$(sed -n 1p "$T/peraddr.res")" "from 127.0.0.1: closed open open"
	check_eq "... while another address is served" "$(sed -n 2p "$T/peraddr.res")" "from 127.0.0.2 meanwhile: 200"
	stop
else
	ok "# SKIP 127.0.0.2 cannot be bound here"
	ok "# SKIP 127.0.0.2 cannot be bound here"
fi

# ---------- the rate table's bound ----------
config rate '{"rate_hosts": 3, "requests_per_host_per_minute": 100}'
start rate || { echo "Bail out! the collector did not start"; exit 1; }
for h in 1 2 3 4 5; do
	cl enroll "$SECRET" "m-rate-$h" "rate-$h" "$T/rate-$h.json" >/dev/null
	report "$T/rate-$h-1.json" "m-rate-$h" "${h}1"
	report "$T/rate-$h-2.json" "m-rate-$h" "${h}2"
done
# the table is per minute: the burst starts early in one
[ $(($(date +%s) % 60)) -lt 45 ] || sleep $((61 - $(date +%s) % 60))
got=''
for h in 1 2 3 4 5; do
	a=$(cl submit "$T/rate-$h.json" "$T/rate-$h-1.json")
	got+="$(st "$a") "
	[ "$h" != 4 ] || a4=$a
done
check_eq "rate_hosts 3: three hosts counted this minute, the fourth and fifth refused" "$got" "200 200 200 429 429 "
wait4=$(sed -n 's/.* retry-after=\([0-9]*\)$/\1/p' <<<"$a4")
check "... with Retry-After: the seconds to the minute's end (1 to 60)" test "${wait4:-0}" -ge 1 -a "${wait4:-0}" -le 60
check_eq "... while a counted host goes on" "$(st "$(cl submit "$T/rate-1.json" "$T/rate-1-2.json")")" 200
sleep $((wait4 + 1))
check_eq "the next minute the table starts empty: the refused host is served" \
	"$(st "$(cl submit "$T/rate-4.json" "$T/rate-4-1.json")")" 200
# access lines may wait EXCISE_SERVE_LOG_FLUSH_MS in the log's buffer
for i in $(seq 50); do grep -q '"POST /v1/submit" 429' "$T/rate.err" && break; sleep 0.1; done
check "the log names the refusals: 429" grep -q '"POST /v1/submit" 429' "$T/rate.err"
stop

# ---------- SIGTERM: what is in flight completes, bounded ----------
config drain '{}'
start drain || { echo "Bail out! the collector did not start"; exit 1; }
cl enroll "$SECRET" m-drain drain-host "$T/drain.json" >/dev/null
report "$T/drain-1.json" m-drain 99
cl sign "$T/drain.json" "$T/drain-1.json" >"$T/drain.sig"
python3 "$T/sock.py" halfbody "$PORT" "$T/drain.sig" "$T/drain-1.json" "$T/half.ready" "$T/half.go" >"$T/half.res" 2>&1 &
HALF=$!
python3 "$T/sock.py" idle "$PORT" "$T/idle.ready" >"$T/idle.res" 2>&1 &
IDLE=$!
for i in $(seq 100); do [ -e "$T/half.ready" ] && [ -e "$T/idle.ready" ] && break; sleep 0.1; done
sleep 0.3
t0=$(date +%s%N)
kill -TERM "$PID"
sleep 1
touch "$T/half.go"
rc=0; wait "$PID" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$HALF" "$IDLE"
check_eq "SIGTERM while a body is half sent: the request completes, stored, answered 200" \
	"$(sed 's/"id":"[^"]*"/ID/' "$T/half.res")" '200 {"status":"stored","kind":"report",ID}'
check_eq "... then exit 0" "$rc" 0
check "... within 10 s of the signal (an idle connection does not hold the stop; ${ms} ms)" test "$ms" -lt 10000
check "... not before the body's end came (1 s after the signal)" test "$ms" -ge 1000
check "the idle connection was closed by the stop" grep -Eqx "idle connection: (closed|reset)" "$T/idle.res"
check_eq "the document is in the database" \
	"$(py -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM document WHERE doc_id = ?", (sys.argv[2],)).fetchone()[0])' \
		"$T/state-drain/collector.db" 00000000-0000-4000-9000-000000000099)" 1
check "the stop was logged with its counts" grep -q "stopped: .* 1 stored" "$T/drain.err"

# ---------- the log in blocks ----------
# N requests on one keep-alive connection, each with its own path (libmicrohttpd may
# finish one after the next has started: their lines are not always in the order
# sent); then headers past libmicrohttpd's memory, whose
# "error:" line must be in the log when the 431 comes back or very soon after (well
# within EXCISE_SERVE_LOG_FLUSH_MS), after the N lines; then N more and SIGTERM at once.
cat >"$T/logblk.py" <<'EOF'
import http.client, socket, sys, time
port, log, tag, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
def burst(part):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(n):
        c.request("GET", f"/v1/{tag}-{part}-{i}")
        c.getresponse().read()
    c.close()
burst("a")
if sys.argv[5] == "error":
    time.sleep(0.05)  # the last line finished, still in the buffer
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 200000 + b"\r\n\r\n")
    got = s.recv(64)
    t0 = time.monotonic()
    while b"error: libmicrohttpd" not in open(log, "rb").read() and time.monotonic() - t0 < 5:
        time.sleep(0.005)
    text = open(log).read()
    ms = (time.monotonic() - t0) * 1000
    before = text.split("error: libmicrohttpd")[0]
    print(got.split(b"\r\n")[0].decode(), "error" if "error: libmicrohttpd" in text else "none",
          "fast" if ms < 100 else f"slow:{ms:.0f}ms", sum(f"/v1/{tag}-a-" in l for l in before.splitlines()))
burst("b")
EOF
config logblk '{}'
start logblk || { echo "Bail out! the collector did not start"; exit 1; }
N=300
python3 "$T/logblk.py" "$PORT" "$T/logblk.err" blk "$N" error >"$T/logblk.res"
check_eq "an error line is in the log as soon as its request is answered, after the $N lines before it" \
	"$(cat "$T/logblk.res")" "HTTP/1.1 431 Request Header Fields Too Large error fast $N"
python3 "$T/logblk.py" "$PORT" "$T/logblk.err" blk2 "$N" none
rc=0; stop || rc=$?
want=$(for p in blk-a blk-b blk2-a blk2-b; do for i in $(seq 0 $((N - 1))); do echo "/v1/$p-$i"; done; done)
check_eq "SIGTERM at once after $((4 * N)) requests: exit 0, every request's line in the log, once" \
	"$rc $(sed -n 's/.*"GET \(\/v1\/blk[^" ]*\)" 404.*/\1/p' "$T/logblk.err" | sort | md5sum)" "0 $(sort <<<"$want" | md5sum)"
check "... every line whole: a time stamp, then one line (none cut, none run into another)" \
	bash -c "! grep -vE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z [^ ]' '$T/logblk.err'"
check_eq "... the stop's line last" "$(tail -1 "$T/logblk.err" | sed 's/^[^ ]* \([a-z]*\):.*/\1/')" stopped
done_testing
