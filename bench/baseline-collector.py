#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The collector a user would otherwise build, for bench/collector.py's baseline.

The usual recipe (osquery's TLS logger endpoints as people write them, Flask or
http.server in front of a database): Python's ThreadingHTTPServer with HTTP/1.1
keep-alive, one SQLite connection per thread, WAL with synchronous=FULL (so a 200
is as durable as excise serve's), and one plain INSERT and COMMIT per report. It
speaks the same API as excise serve for what the load client uses, so the load is
identical:

  POST /v1/enroll  {"secret", "machine_id", "hostname", ...} -> {"host_id", "host_key"}
  POST /v1/submit  signed as include/excise/proto.h says (HMAC-SHA256, replay window)
                   -> {"status": "stored"|"duplicate", "kind": "report", "id": report_id}

The report's JSON is parsed (for its report_id and machine id, which must be the
host's) and its body stored in one row; the primary key turns a resent report into
"duplicate". Loopback only.

  baseline-collector.py DB PORT SECRET_FILE
"""
import base64
import hashlib
import hmac
import json
import os
import sqlite3
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DB, PORT, SECRET_FILE = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(SECRET_FILE, encoding="utf-8") as f:
    SECRET = f.readline().strip()
local = threading.local()


def db():
    c = getattr(local, "c", None)
    if c is None:
        c = sqlite3.connect(DB, timeout=30, isolation_level=None)
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=FULL")
        local.c = c
    return c


init = sqlite3.connect(DB)
init.execute("PRAGMA journal_mode=WAL")
init.executescript("""
CREATE TABLE IF NOT EXISTS host(id TEXT PRIMARY KEY, machine_id TEXT UNIQUE, hostname TEXT, key BLOB);
CREATE TABLE IF NOT EXISTS report(host_id TEXT, report_id TEXT, received INTEGER, body TEXT,
  PRIMARY KEY(host_id, report_id));
""")
init.commit()
init.close()
keys = {}  # host id -> (key, machine id), read through on a miss
keys_lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > 4 << 20:
            return self.answer(413, {"error": "too large"})
        body = self.rfile.read(n)
        if self.path == "/v1/enroll":
            return self.enroll(body)
        if self.path == "/v1/submit":
            return self.submit(body)
        return self.answer(404, {"error": "no such path"})

    def enroll(self, body):
        r = json.loads(body)
        if not hmac.compare_digest(r.get("secret", ""), SECRET):
            return self.answer(401, {"error": "bad secret"})
        key = os.urandom(32)
        c = db()
        c.execute("BEGIN IMMEDIATE")
        row = c.execute("SELECT id FROM host WHERE machine_id=?", (r["machine_id"],)).fetchone()
        hid = row[0] if row else base64.b32encode(os.urandom(10)).decode().lower()
        c.execute("INSERT INTO host VALUES(?,?,?,?) ON CONFLICT(id) DO UPDATE SET key=excluded.key",
                  (hid, r["machine_id"], r.get("hostname"), key))
        c.execute("COMMIT")
        with keys_lock:
            keys[hid] = (key, r["machine_id"])
        self.answer(200, {"host_id": hid, "host_key": base64.b64encode(key).decode(), "directives": []})

    def submit(self, body):
        hid = self.headers.get("X-Excise-Host", "")
        sig = self.headers.get("X-Excise-Signature", "")
        with keys_lock:
            k = keys.get(hid)
        if k is None:
            row = db().execute("SELECT key, machine_id FROM host WHERE id=?", (hid,)).fetchone()
            if row is None:
                return self.answer(401, {"error": "unknown host", "host_invalid": True})
            k = (row[0], row[1])
            with keys_lock:
                keys[hid] = k
        try:
            t, v1 = (p.split("=", 1)[1] for p in sig.split(",", 1))
        except ValueError:
            return self.answer(401, {"error": "bad signature header"})
        canon = "\n".join(["excise-v1", "POST", self.path, hid, t, hashlib.sha256(body).hexdigest()])
        mac = hmac.new(k[0], canon.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, v1) or abs(time.time() - int(t)) > 300:
            return self.answer(401, {"error": "bad signature"})
        try:
            r = json.loads(body)
            rid = r["report_id"]
            if r["host"]["machine_id"] != k[1]:
                return self.answer(403, {"error": "report about another host"})
        except (ValueError, KeyError, TypeError):
            return self.answer(400, {"error": "malformed report"})
        c = db()
        cur = c.execute("INSERT INTO report VALUES(?,?,?,?) ON CONFLICT DO NOTHING",
                        (hid, rid, int(time.time()), body.decode()))
        # isolation_level=None: the INSERT is its own transaction, committed (and
        # fsynced: synchronous=FULL) before execute returns
        self.answer(200, {"status": "stored" if cur.rowcount == 1 else "duplicate", "kind": "report", "id": rid})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


Server(("127.0.0.1", PORT), Handler).serve_forever()
