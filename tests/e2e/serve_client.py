#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""serve_client.py: the collector's client side for tests/e2e/serve.sh, written
from docs/collector.md with Python's own hmac, hashlib, ssl and sockets, so that
the signature is computed independently of lib/fleet/proto.c.

    serve_client.py BASE CA COMMAND ARGS...

BASE is http://127.0.0.1:PORT or https://localhost:PORT; CA the certificate to
verify it with ("-" for plain HTTP). Each command prints the HTTP status, a space
and the body on one line (a raw command: what the server did), and exits 0
unless the exchange itself failed.

    health
    enroll SECRET MACHINE_ID HOSTNAME STATE       enroll; STATE keeps host_id and host_key
    enroll-raw BODY_FILE                          POST the bytes of BODY_FILE to /v1/enroll
    submit STATE DOC [OPTIONS]                    a signed POST /v1/submit of the file DOC
        --t-offset N   sign with the time N seconds from now
        --bad-mac      flip one hex digit of the signature
        --host ID      claim another host id (signed with STATE's key)
        --tamper       change one byte of the body after signing
        --sign-path P  sign another path than the one posted to
        --save FILE / --replay FILE   keep the exact request / send a kept one again
    big-length N                                  headers announcing a body of N bytes, no body
    big-headers N                                 a GET /v1/health with N bytes of headers
    chunked STATE N                               a signed submit sent chunked, N bytes
    slow SECONDS                                  half a request, then silence: seconds until closed
    conns N                                       N connections held open: how many stay open
    sign STATE DOC                                the two headers of a submit of DOC, for curl -H
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def context(ca):
    if ca == "-":
        return None
    ctx = ssl.create_default_context(cafile=ca)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def request(base, ca, method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=context(ca), timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)


def sign(key, method, path, host_id, t, body):
    canon = "\n".join(["excise-v1", method, path, host_id, str(t), hashlib.sha256(body).hexdigest()])
    mac = hmac.new(key, canon.encode(), hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def out(status, body, headers=None):
    extra = ""
    if headers and headers.get("Retry-After"):
        extra = " retry-after=" + headers["Retry-After"]
    print("%d %s%s" % (status, body.strip(), extra))


def raw_socket(base, ca):
    u = urllib.parse.urlparse(base)
    s = socket.create_connection((u.hostname, u.port), timeout=30)
    if ca != "-":
        s = context(ca).wrap_socket(s, server_hostname=u.hostname)
    return s


def read_all(s, limit=1 << 20):
    data = b""
    try:
        while len(data) < limit:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, ssl.SSLError, socket.timeout, TimeoutError):
        pass
    return data


def status_of(raw):
    line = raw.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    body = raw.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace") if b"\r\n\r\n" in raw else ""
    return (int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0), body


def main(argv):
    base, ca, cmd, args = argv[1], argv[2], argv[3], argv[4:]
    host = urllib.parse.urlparse(base).netloc
    if cmd == "health":
        out(*request(base, ca, "GET", "/v1/health"))
    elif cmd == "enroll":
        secret, machine, hostname, state = args
        body = json.dumps({"secret": secret, "machine_id": machine, "hostname": hostname,
                           "platform": "linux", "os": "Debian GNU/Linux 12", "version": "0.1.0"}).encode()
        st, text, h = request(base, ca, "POST", "/v1/enroll", body, {"Content-Type": "application/json"})
        if st == 200:
            with open(state, "w") as f:
                f.write(text)
        out(st, text, h)
    elif cmd == "enroll-raw":
        with open(args[0], "rb") as f:
            body = f.read()
        out(*request(base, ca, "POST", "/v1/enroll", body, {"Content-Type": "application/json"}))
    elif cmd == "submit":
        state, doc = args[0], args[1]
        opts = args[2:]
        with open(state) as f:
            st = json.load(f)
        key = base64.b64decode(st["host_key"])
        host_id = st["host_id"]
        with open(doc, "rb") as f:
            body = f.read()
        t = int(time.time())
        sign_path = "/v1/submit"
        save = replay = None
        i = 0
        while i < len(opts):
            o = opts[i]
            if o == "--t-offset":
                t += int(opts[i + 1]); i += 1
            elif o == "--host":
                host_id = opts[i + 1]; i += 1
            elif o == "--sign-path":
                sign_path = opts[i + 1]; i += 1
            elif o == "--save":
                save = opts[i + 1]; i += 1
            elif o == "--replay":
                replay = opts[i + 1]; i += 1
            i += 1
        sig = sign(key, "POST", sign_path, host_id, t, body)
        if "--bad-mac" in opts:
            sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
        if "--tamper" in opts:
            body = body[:-2] + (b"X" if body[-2:-1] != b"X" else b"Y") + body[-1:]
        headers = {"X-Excise-Host": host_id, "X-Excise-Signature": sig, "Content-Type": "application/json"}
        if replay:
            with open(replay) as f:
                kept = json.load(f)
            headers = kept["headers"]
        if save:
            with open(save, "w") as f:
                json.dump({"headers": headers}, f)
        out(*request(base, ca, "POST", "/v1/submit", body, headers))
    elif cmd == "sign":
        with open(args[0]) as f:
            st = json.load(f)
        with open(args[1], "rb") as f:
            body = f.read()
        print("X-Excise-Host: " + st["host_id"])
        print("X-Excise-Signature: " + sign(base64.b64decode(st["host_key"]), "POST", "/v1/submit", st["host_id"],
                                            int(time.time()), body))
    elif cmd == "big-length":
        s = raw_socket(base, ca)
        t0 = time.time()
        s.sendall(("POST /v1/submit HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % (host, int(args[0]))).encode())
        st, body = status_of(read_all(s))
        out(st, body + " seconds=%.1f" % (time.time() - t0))
    elif cmd == "big-headers":
        n = int(args[0])
        s = raw_socket(base, ca)
        filler = "".join("X-Filler-%d: %s\r\n" % (i, "a" * 1000) for i in range(n // 1000 + 1))
        try:
            s.sendall(("GET /v1/health HTTP/1.1\r\nHost: %s\r\n%sConnection: close\r\n\r\n"
                       % (host, filler)).encode())
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # answered and closed while the rest was still being sent
        raw = read_all(s)
        out(*(status_of(raw) if raw else (0, "reset")))
    elif cmd == "chunked":
        state, n = args[0], int(args[1])
        with open(state) as f:
            st = json.load(f)
        s = raw_socket(base, ca)
        body = b"{" + b" " * (n - 2) + b"}"
        sig = sign(base64.b64decode(st["host_key"]), "POST", "/v1/submit", st["host_id"], int(time.time()), body)
        s.sendall(("POST /v1/submit HTTP/1.1\r\nHost: %s\r\nTransfer-Encoding: chunked\r\nX-Excise-Host: %s\r\n"
                   "X-Excise-Signature: %s\r\n\r\n" % (host, st["host_id"], sig)).encode())
        sent = 0
        try:
            while sent < n:
                part = body[sent:sent + 65536]
                s.sendall(b"%x\r\n" % len(part) + part + b"\r\n")
                sent += len(part)
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        raw = read_all(s)
        st_, body_ = status_of(raw) if raw else (0, "closed")
        out(st_, body_)
    elif cmd == "slow":
        s = raw_socket(base, ca)
        s.settimeout(float(args[0]))
        s.sendall(("GET /v1/health HTTP/1.1\r\nHost: %s\r\nX-Slow: " % host).encode())
        t0 = time.time()
        try:
            data = s.recv(100)
        except (socket.timeout, TimeoutError):
            out(0, "still open after %s s" % args[0])
            return 0
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        out(0, "closed after %.1f s%s" % (time.time() - t0, " (answered)" if data else ""))
    elif cmd == "conns":
        n = int(args[0])
        socks = []
        for _ in range(n):
            u = urllib.parse.urlparse(base)
            socks.append(socket.create_connection((u.hostname, u.port), timeout=5))
        time.sleep(0.5)
        open_ = 0
        for s in socks:
            s.setblocking(False)
            try:
                data = s.recv(1)
                if data:
                    open_ += 1
            except BlockingIOError:
                open_ += 1  # nothing to read and not closed
            except (ConnectionResetError, OSError):
                pass
        # a further client gets an answer once these are gone
        for s in socks:
            s.close()
        out(0, "open=%d" % open_)
    else:
        print("unknown command " + cmd, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
