#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark the collector (`excise serve`) on this machine, as docs/benchmarks.md reports it.

Run from the repository with a build that has bench/loadgen and bench/fleetgen
(`meson setup build -Dbench=true`, or any build with tests):

    bench/collector.py [--build build] [--hosts 2000] [--seconds 20] [--concurrency 64]
                       [--fleet 100000] [--only sqlite,postgresql,baseline,report]

Everything runs on loopback, in a temporary folder removed at the end: the collector
with its database, a private PostgreSQL cluster (initdb and pg_ctl as `postgres`, a
private port and socket folder), the load client. Steps:

1. Report bodies: real excise.report/2 documents made by `excise scan --root` of the
   test fixture roots (tests/e2e/fleetbodies.sh: 90 % clean hosts, 9.9 % with
   findings, 0.1 % a large report of 300 leftover files).
2. For each backend: start `excise serve` on a fresh database, enroll HOSTS hosts
   with bench/loadgen, then
   - full rate: CONCURRENCY connections, each sending its next report when the last
     is answered, for SECONDS: acknowledged (durable) reports per second, latency;
   - half rate: reports started on a fixed schedule at half the goal (5,000/s
     SQLite, 2,500/s PostgreSQL) and at half the rate measured: latency counted from
     each report's scheduled start.
   After each run the database is asked how many documents it holds: it must be
   the number acknowledged.
3. Baselines, the same load at full rate: the collector with group commit off
   (one transaction a report), and bench/baseline-collector.py (http.server +
   sqlite3, one INSERT and COMMIT a report, synchronous=FULL). Ratios against the
   collector from the same run.
4. Report time: bench/fleetgen fills a database with FLEET hosts through the store
   API; `excise report` makes the BOD 17-01 day-30 report from it (median of 3).

Prints a Markdown section for docs/benchmarks.md.
"""
import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOALS = {"sqlite": 10000, "postgresql": 5000}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc=None, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after {timeout} s")


def cpu_of(pid):
    """user + system CPU seconds of a running process"""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Postgres:
    """A private cluster from tests/pg-harness.sh (initdb and pg_ctl as postgres, a free
    loopback port, its socket in its own folder, fsync and synchronous_commit on)."""

    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        self.harness = os.path.join(SRC, "tests", "pg-harness.sh")
        r = subprocess.run(["bash", self.harness, "start", self.dir], capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("tests/pg-harness.sh start: " + r.stderr.strip())
        self.base = r.stdout.strip().rsplit("/", 1)[0]

    def url(self, db):
        return f"{self.base}/{db}"

    def createdb(self, name):
        self.query("excise_test", f"CREATE DATABASE {name}")

    def query(self, db, sql):
        r = subprocess.run(["psql", "-X", "-q", "-At", self.url(db), "-c", sql], check=True, capture_output=True,
                           text=True)
        return r.stdout.strip()

    def stop(self):
        subprocess.run(["bash", self.harness, "stop", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Bench:
    def __init__(self, a, tmp):
        self.a, self.tmp = a, tmp
        self.excise = os.path.join(a.build, "cli", "excise")
        self.loadgen = os.path.join(a.build, "bench", "loadgen")
        self.fleetgen = os.path.join(a.build, "bench", "fleetgen")
        self.procs = []
        self.bodies = []
        self.pg = None

    # ---- report bodies ----
    def make_bodies(self):
        out = os.path.join(self.tmp, "bodies")
        env = dict(os.environ, EXCISE=self.excise, EXCISE_SRC=SRC)
        r = subprocess.run(["bash", "-c", '. "$EXCISE_SRC/tests/e2e/lib.sh"; . "$EXCISE_SRC/tests/e2e/fixtures.sh"; '
                            '. "$EXCISE_SRC/tests/e2e/fleetbodies.sh"; fleet_bodies "$1"', "bodies", out],
                           env=env, check=True, capture_output=True, text=True)
        self.bodies = r.stdout.split()
        if not self.bodies:
            raise SystemExit("no report bodies: " + r.stderr)
        total = sum(int(b.rsplit(":", 1)[1]) for b in self.bodies)
        mean = sum(os.path.getsize(b.rsplit(":", 1)[0]) * int(b.rsplit(":", 1)[1]) for b in self.bodies) / total
        self.mean_body = mean
        return mean

    def body_args(self):
        return [x for b in self.bodies for x in ("--body", b)]

    # ---- the collector ----
    def serve(self, name, db_url, limits=None):
        """Start excise serve on a fresh state folder; returns (proc, port, secret file).

        A bench fleet compresses a day into seconds: the limit of requests per host per
        minute and of connections per address (all of them come from 127.0.0.1) are
        lifted; `limits` sets others (the baseline's "batch": 1)."""
        state = os.path.join(self.tmp, name)
        os.makedirs(state)
        port = free_port()
        conf = os.path.join(state, "serve.json")
        lim = {"requests_per_host_per_minute": 0, "connections_per_address": 0}
        lim.update(limits or {})
        with open(conf, "w") as f:
            json.dump({"limits": lim}, f)
        common = ["--db", db_url, "--state-dir", state]
        r = subprocess.run([self.excise, "serve", "secret", "create", "--org-unit", "bench/load/site"] + common,
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("excise serve secret create: " + r.stderr.strip())
        secret = os.path.join(state, "secret")
        with open(secret, "w") as f:
            f.write([l for l in r.stdout.splitlines() if l.startswith("secret")][0].split(": ", 1)[1] + "\n")
        log = open(os.path.join(state, "serve.log"), "w")
        p = subprocess.Popen([self.excise, "serve", "--config", conf, "--listen", f"127.0.0.1:{port}",
                              "--plain-http"] + common, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        wait_port(port, p)
        return p, port, secret

    def baseline_py(self, name):
        state = os.path.join(self.tmp, name)
        os.makedirs(state)
        port = free_port()
        secret = os.path.join(state, "secret")
        with open(secret, "w") as f:
            f.write("baseline-secret\n")
        p = subprocess.Popen([sys.executable, os.path.join(SRC, "bench", "baseline-collector.py"),
                              os.path.join(state, "reports.db"), str(port), secret],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(state, "log"), "w"))
        self.procs.append(p)
        wait_port(port, p)
        return p, port, secret

    def stop(self, p):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    # ---- load ----
    def load(self, port, keys, extra, secret=None, hosts=None):
        cmd = [self.loadgen, "--url", f"http://127.0.0.1:{port}", "--keys", keys] + self.body_args()
        cmd += ["--enroll", secret, "--hosts", str(hosts)] if secret else ["--resume"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        r = subprocess.run(cmd + list(extra), capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if r.returncode:
            raise SystemExit(f"loadgen failed ({r.returncode}): {r.stderr.strip()}")
        out = json.loads(r.stdout)
        out["client_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return out

    def run_backend(self, backend, db_url, count_docs, limits=None, label=None, rates=True):
        """Enroll, full rate, half rates; rows for the table."""
        label = label or backend
        p, port, secret = self.serve(label.replace(" ", "-").replace(",", ""), db_url, limits)
        keys = os.path.join(self.tmp, label.replace(" ", "-") + ".keys")
        a = self.a
        rows = []
        enroll = self.load(port, keys, ["--count", "0", "--concurrency", "16"], secret=secret, hosts=a.hosts)
        e = enroll["enroll"]
        rows.append((label, "enroll", e))
        acked = 0
        runs = [("full rate", ["--concurrency", str(a.concurrency)])]
        if rates:
            runs.append((f"{GOALS[backend] // 2}/s (half the goal)", ["--rate", str(GOALS[backend] // 2)]))
        measured = None
        for name, extra in runs:
            c0 = cpu_of(p.pid)
            r = self.load(port, keys, ["--duration", str(a.seconds), "--count", "5000000", "--drain", "10",
                                       "--concurrency", str(a.concurrency)] + extra)
            s = r["submit"]
            s["server_cpu"] = cpu_of(p.pid) - c0
            s["client_cpu"] = r["client_cpu"]
            acked += s["acked"]
            rows.append((label, name, s))
            if measured is None:
                measured = s["reports_per_s"]
                if rates and measured / 2 < GOALS[backend] // 2:
                    runs.append((f"{int(measured / 2)}/s (half the measured)", ["--rate", str(int(measured / 2))]))
        stored = count_docs()
        self.stop(p)
        return rows, acked, stored

    # ---- the whole run ----
    def run(self):
        a = self.a
        only = set(a.only.split(","))
        out = []
        mean = self.make_bodies()
        out.append(f"- bodies: {len(self.bodies)} templates, mean {mean / 1024:.1f} KiB a report by weight "
                   f"({', '.join(os.path.basename(b) for b in self.bodies)})")
        table = []
        checks = []
        if "sqlite" in only:
            db = os.path.join(self.tmp, "sqlite.db")
            rows, acked, stored = self.run_backend(
                "sqlite", db, lambda: int(subprocess.check_output(
                    ["sqlite3", db, "SELECT count(*) FROM document"], text=True)))
            table += rows
            checks.append(f"SQLite: {acked} reports acknowledged, {stored} documents in the database")
        if "postgresql" in only:
            self.pg = Postgres(self.tmp)
            self.pg.createdb("bench")
            rows, acked, stored = self.run_backend(
                "postgresql", self.pg.url("bench"), lambda: int(self.pg.query("bench", "SELECT count(*) FROM document")))
            table += rows
            checks.append(f"PostgreSQL: {acked} reports acknowledged, {stored} documents in the database")
        if "baseline" in only:
            db = os.path.join(self.tmp, "batch1.db")
            rows, _, _ = self.run_backend(
                "sqlite", db, lambda: 0, limits={"batch": 1}, label="sqlite, group commit off",
                rates=False)
            table += [r for r in rows if r[1] != "enroll"]
            if self.pg:
                self.pg.createdb("batch1")
                rows, _, _ = self.run_backend(
                    "postgresql", self.pg.url("batch1"), lambda: 0, limits={"batch": 1},
                    label="postgresql, group commit off", rates=False)
                table += [r for r in rows if r[1] != "enroll"]
            p, port, secret = self.baseline_py("baseline-py")
            keys = os.path.join(self.tmp, "baseline.keys")
            self.load(port, keys, ["--count", "0", "--concurrency", "16"], secret=secret, hosts=a.hosts)
            c0 = cpu_of(p.pid)
            r = self.load(port, keys, ["--duration", str(a.seconds), "--count", "5000000", "--drain", "10",
                                       "--concurrency", str(a.concurrency)])
            s = r["submit"]
            s["server_cpu"] = cpu_of(p.pid) - c0
            s["client_cpu"] = r["client_cpu"]
            table.append(("http.server + sqlite3, a commit a report", "full rate", s))
            self.stop(p)
        out.append("")
        out.append("| collector | load | reports/s | p50 ms | p95 ms | p99 ms | 429 | errors | server CPU s | "
                   "server CPU ms a report | client CPU s |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for label, name, s in table:
            per = s.get("server_cpu", 0) * 1000 / s["acked"] if s["acked"] else 0
            out.append(f"| {label} | {name} | {s['reports_per_s']:,.0f} | {s['latency_ms']['p50']:.1f} | "
                       f"{s['latency_ms']['p95']:.1f} | {s['latency_ms']['p99']:.1f} | {s['status_429']} | "
                       f"{s['errors']} | {s.get('server_cpu', 0):.1f} | {per:.2f} | {s.get('client_cpu', 0):.1f} |")
        full = {l: s["reports_per_s"] for l, n, s in table if n == "full rate"}
        ratios = []
        for base in full:
            if base in ("sqlite", "postgresql"):
                continue
            ref = "postgresql" if base.startswith("postgresql") else "sqlite"
            if ref in full and full[base] > 0:
                ratios.append(f"- {ref} collector against {base}: {full[ref] / full[base]:.1f}x the reports/s")
        out.append("")
        out += ratios + [f"- {c}" for c in checks]
        if "report" in only:
            out += self.report_time()
        return "\n".join(out)

    def report_time(self):
        a = self.a
        lines = []
        targets = []
        backends = a.fleet_backends.split(",")
        if "sqlite" in backends:
            targets.append(("sqlite", os.path.join(self.tmp, "fleet.db")))
        if "postgresql" in backends and not self.pg:
            self.pg = Postgres(self.tmp)
        if "postgresql" in backends:
            self.pg.createdb("fleet")
            targets.append(("postgresql", self.pg.url("fleet")))
        for backend, url in targets:
            t0 = time.time()
            r = subprocess.run([self.fleetgen, url, "--hosts", str(a.fleet), "--reports", str(a.fleet_reports),
                                "--days", str(a.fleet_days)] + self.body_args(),
                               capture_output=True, text=True)
            if r.returncode:
                lines.append(f"- {backend}: fleetgen failed: {r.stderr.strip()}")
                continue
            gen = json.loads(r.stdout)
            times, cpus = [], []
            for _ in range(3):
                ru = resource.getrusage(resource.RUSAGE_CHILDREN)
                t = time.time()
                rr = subprocess.run([a.report_excise or self.excise, "report", "--kind", "day30", "--db", url,
                                     "-o", os.path.join(self.tmp, "day30.txt")], capture_output=True, text=True)
                times.append(time.time() - t)
                ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpus.append(ru2.ru_utime - ru.ru_utime + ru2.ru_stime - ru.ru_stime)
                if rr.returncode != 0:
                    lines.append(f"- {backend}: excise report failed ({rr.returncode}): {rr.stderr.strip()[:200]}")
                    break
            with open(os.path.join(self.tmp, "day30.txt")) as f:
                found = [l.strip() for l in f if "products found on" in l or "hosts counted" in l]
            lines.append(f"- {backend}: a fleet of {gen['hosts']:,} hosts ({gen['documents']:,} reports over the last "
                         f"{a.fleet_days} days, generated in {time.time() - t0:.0f} s): day-30 report in "
                         f"{statistics.median(times):.2f} s (median of {len(times)}, runs {', '.join(f'{t:.2f}' for t in times)}; "
                         f"CPU user+sys {', '.join(f'{c:.2f}' for c in cpus)} s; goal < 2 s). It says: "
                         f"{' / '.join(found)[:160]}")
        return lines

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        if self.pg:
            self.pg.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--hosts", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--fleet", type=int, default=100000)
    ap.add_argument("--only", default="sqlite,postgresql,baseline,report")
    ap.add_argument("--fleet-backends", default="sqlite,postgresql")
    ap.add_argument("--fleet-reports", type=int, default=1, help="reports of each host of the fleet")
    ap.add_argument("--fleet-days", type=int, default=6, help="the fleet's reports arrive over these last days")
    ap.add_argument("--report-excise", help="the excise binary `excise report` runs from (default: the build's)")
    a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    tmp = tempfile.mkdtemp(prefix="excise-collector-bench.")
    os.chmod(tmp, 0o755)
    b = Bench(a, tmp)
    try:
        uname = os.uname()
        print(f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; host: {uname.sysname} "
              f"{uname.release} {uname.machine}, {os.cpu_count()} CPUs; load average before: "
              f"{os.getloadavg()[0]:.1f}")
        print(f"- {a.hosts} hosts, {a.concurrency} connections, {a.seconds:.0f} s a run, loopback HTTP/1.1 keep-alive")
        print(b.run())
    finally:
        b.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
