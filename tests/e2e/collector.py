#!/usr/bin/env python3
"""collector.py: a loopback test collector for the agent's tests (tests/e2e/agent.sh).

It speaks the collector protocol of include/excise/proto.h on its own: the request
signature is checked here with Python's hmac, independently of lib/fleet/proto.c.

  collector.py STATE --cert C --key K --secret S [--port N]

STATE is a directory kept across restarts (the test stops and starts the server):
  port          the port it listens on (bound to 127.0.0.1; a restart reuses it)
  hosts.json    enrolled hosts: host id -> {machine_id, key (base64)}
  stored.jsonl  one line per document stored: {"host","kind","id","sha256"}
  docs/SHA.json the bytes of each document stored
  ready         written once it listens (the test removes it before a start)
  requests.jsonl one line per /v1/submit request received, whatever the answer:
                {"host","kind","id","sha256","status","t"}
  mode          read at each /v1/submit: how to answer once the signature checks:
                  ok (or absent)   200 stored / duplicate
                  401              401 {"error":...}
                  401-invalid      401 {"error":...,"host_invalid":true}
                  429 N            429 with Retry-After: N
                  500              500
                  403              403 {"error":"about another host"}
                  301              a redirect to http://127.0.0.2/
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import secrets
import ssl
import sys
import threading
import time
import uuid

LOCK = threading.Lock()


def load(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def append(path, obj):
    with open(path, "a") as f:
        f.write(json.dumps(obj) + "\n")
        f.flush()
        os.fsync(f.fileno())


def doc_id(doc, body):
    s = doc.get("schema", "")
    if s.startswith("excise.report/"):
        return "report", doc["report_id"]
    if s == "excise.attestation/1":
        return "attestation", doc["attestation_id"]
    if s == "excise.removal/1":
        return "removal", doc["run_id"]
    if s == "excise.plan/1":
        return "plan", "sha256:" + hashlib.sha256(body).hexdigest()
    raise ValueError("unknown schema %r" % s)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "test-collector"

    def log_message(self, *a):
        pass

    def answer(self, code, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    def do_GET(self):
        if self.path == "/v1/health":
            return self.answer(200, {"status": "ok"})
        return self.answer(404, {"error": "not found"})

    def do_POST(self):
        st = self.server.state
        body = self.body()
        if self.path == "/v1/enroll":
            try:
                req = json.loads(body)
            except ValueError:
                return self.answer(400, {"error": "malformed"})
            if not hmac.compare_digest(str(req.get("secret", "")).encode(), self.server.secret.encode()):
                return self.answer(401, {"error": "unknown enrollment secret"})
            with LOCK:
                hosts = load(os.path.join(st, "hosts.json"), {})
                hid = next((h for h, v in hosts.items() if v["machine_id"] == req["machine_id"]), None)
                hid = hid or str(uuid.uuid4())
                key = base64.b64encode(secrets.token_bytes(32)).decode()
                hosts[hid] = {"machine_id": req["machine_id"], "key": key, "hostname": req.get("hostname"),
                              "version": req.get("version")}
                with open(os.path.join(st, "hosts.json.tmp"), "w") as f:
                    json.dump(hosts, f)
                os.replace(os.path.join(st, "hosts.json.tmp"), os.path.join(st, "hosts.json"))
            return self.answer(200, {"host_id": hid, "host_key": key, "directives": ["bod-17-01"]})
        if self.path != "/v1/submit":
            return self.answer(404, {"error": "not found"})
        hid = self.headers.get("X-Excise-Host", "")
        sig = self.headers.get("X-Excise-Signature", "")
        with LOCK:
            hosts = load(os.path.join(st, "hosts.json"), {})
        rec = {"host": hid, "t": time.time()}
        try:
            doc = json.loads(body)
            rec["kind"], rec["id"] = doc_id(doc, body)
        except (ValueError, KeyError):
            doc = None
        rec["sha256"] = hashlib.sha256(body).hexdigest()

        def done(code, obj, headers=()):
            rec["status"] = code
            with LOCK:
                append(os.path.join(st, "requests.jsonl"), rec)
            return self.answer(code, obj, headers)

        if hid not in hosts:
            return done(401, {"error": "unknown host", "host_invalid": True})
        parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
        t = parts.get("t", "")
        canon = "excise-v1\nPOST\n%s\n%s\n%s\n%s" % (self.path, hid, t, hashlib.sha256(body).hexdigest())
        want = hmac.new(base64.b64decode(hosts[hid]["key"]), canon.encode(), hashlib.sha256).hexdigest()
        if not t.isdigit() or abs(int(t) - time.time()) > 300 or not hmac.compare_digest(want, parts.get("v1", "")):
            return done(401, {"error": "bad signature"})
        try:
            mode = open(os.path.join(st, "mode")).read().split()
        except FileNotFoundError:
            mode = ["ok"]
        mode = mode or ["ok"]
        if mode[0] == "401":
            return done(401, {"error": "signature time outside the window"})
        if mode[0] == "401-invalid":
            return done(401, {"error": "unknown host", "host_invalid": True})
        if mode[0] == "429":
            return done(429, {"error": "busy"}, [("Retry-After", mode[1])])
        if mode[0] == "500":
            return done(500, {"error": "database down"})
        if mode[0] == "403":
            return done(403, {"error": "the document is about another host"})
        if mode[0] == "301":
            return done(301, {"error": "moved"}, [("Location", "http://127.0.0.2/v1/submit")])
        if doc is None:
            return done(400, {"error": "malformed document"})
        if (doc.get("host") or {}).get("machine_id") != hosts[hid]["machine_id"]:
            return done(403, {"error": "the document is about another host"})
        with LOCK:
            stored = set()
            try:
                with open(os.path.join(st, "stored.jsonl")) as f:
                    stored = {(r["host"], r["id"]) for r in map(json.loads, f)}
            except FileNotFoundError:
                pass
            dup = (hid, rec["id"]) in stored
            if not dup:
                os.makedirs(os.path.join(st, "docs"), exist_ok=True)
                with open(os.path.join(st, "docs", rec["sha256"] + ".json"), "wb") as f:
                    f.write(body)
                append(os.path.join(st, "stored.jsonl"),
                       {"host": hid, "kind": rec["kind"], "id": rec["id"], "sha256": rec["sha256"]})
        rec["result"] = "duplicate" if dup else "stored"
        return done(200, {"status": rec["result"], "kind": rec["kind"], "id": rec["id"]})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("state")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--secret", required=True)
    a = ap.parse_args()
    os.makedirs(a.state, exist_ok=True)
    pf = os.path.join(a.state, "port")
    port = int(open(pf).read()) if os.path.exists(pf) else 0
    http.server.ThreadingHTTPServer.allow_reuse_address = True
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    srv.state = a.state
    srv.secret = a.secret
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(pf + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.replace(pf + ".tmp", pf)
    with open(os.path.join(a.state, "ready"), "w") as f:
        f.write(str(os.getpid()))
    srv.serve_forever()


if __name__ == "__main__":
    main()
