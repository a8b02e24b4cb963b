#!/usr/bin/env python3
"""Benchmark excise's filesystem sources against find, bfs, fd and a bare walker.

  bench/run.py [--excise BIN] [--shared DIR] [--tree DIR] [--files N] [--bytes B]
               [--reps 5] [--threads 2] [--doc docs/benchmarks.md] [--no-doc]

The shared bench folder (gen_tree.py, patterns.txt) is ../shared/bench from the
repository root, or --shared DIR. Builds the synthetic tree once with its
gen_tree.py (cached under /tmp/excise-bench, never in the repository), builds
bench/floor.c with cc -O2, then times every command warm (one untimed warm-up
run, then --reps timed runs) and reports medians of wall time, user+sys CPU and
peak RSS (/usr/bin/time).
The results table is printed and written into docs/benchmarks.md between the
RESULTS markers.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(REPO), "shared", "bench")
CACHE = "/tmp/excise-bench"


def patterns(path):
    return [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]


def glob_to_re(p):
    out = ""
    for ch in p:
        if ch == "*":
            out += ".*"
        elif ch == "?":
            out += "."
        elif ch in ".+()[]{}^$|\\":
            out += "\\" + ch
        else:
            out += ch
    return out


def timed(cmd, env=None):
    """Run cmd under /usr/bin/time; returns (wall, cpu, rss_kib, rc)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-f", "%U %S %M", "-o", tf.name] + cmd
        t0 = time.monotonic()
        p = subprocess.run(full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        wall = time.monotonic() - t0
        last = [l for l in open(tf.name).read().splitlines() if l.strip()][-1]
        u, s, m = last.split()
        return wall, float(u) + float(s), int(m), p.returncode


def count_lines(cmd, env=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    return p.stdout.count(b"\n"), p.returncode


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--excise", default=os.environ.get("EXCISE", os.path.join(REPO, "build", "cli", "excise")))
    ap.add_argument("--shared", default=SHARED,
                    help="the shared bench folder (default: ../shared/bench from the repository root)")
    ap.add_argument("--tree", default=os.path.join(CACHE, "tree"))
    ap.add_argument("--files", type=int, default=1000000)
    ap.add_argument("--bytes", type=int, default=200000000)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--patterns", help="default: patterns.txt of the shared bench folder")
    ap.add_argument("--doc", default=os.path.join(REPO, "docs", "benchmarks.md"))
    ap.add_argument("--no-doc", action="store_true")
    a = ap.parse_args()
    a.patterns = a.patterns or os.path.join(a.shared, "patterns.txt")
    if not os.path.isfile(a.patterns):
        sys.exit(f"{a.patterns}: no patterns file (is the shared bench folder {a.shared}? --shared DIR)")
    if a.reps < 5:
        sys.exit("--reps must be at least 5 (medians of 5 or more runs)")
    os.makedirs(CACHE, exist_ok=True)
    R = a.tree
    if not os.path.isdir(R):
        print(f"building {R} ({a.files} files, {a.bytes} bytes)...", flush=True)
        subprocess.run([sys.executable, os.path.join(a.shared, "gen_tree.py"), R,
                        "--files", str(a.files), "--bytes", str(a.bytes)], check=True)
    osrel = os.path.join(R, "etc", "os-release")
    if not os.path.exists(osrel):
        # The tree stands for a Linux root; excise refuses a root it cannot recognise.
        os.makedirs(os.path.dirname(osrel), exist_ok=True)
        with open(osrel, "w") as f:
            f.write('ID=debian\nVERSION_ID="12"\nPRETTY_NAME="excise bench tree"\n')
    floor = os.path.join(CACHE, "floor")
    subprocess.run(["cc", "-O2", "-Wall", "-Wextra", "-o", floor, os.path.join(HERE, "floor.c"),
                    "-lpthread"], check=True)

    pats = patterns(a.patterns)
    name_expr = ["("]
    for i, p in enumerate(pats):
        name_expr += (["-o"] if i else []) + ["-name", p]
    name_expr += [")"]
    fd_re = "^(" + "|".join(glob_to_re(p) for p in pats) + ")$"
    fd = "fdfind" if subprocess.run(["sh", "-c", "command -v fdfind"], stdout=subprocess.DEVNULL).returncode == 0 else "fd"
    envc = dict(os.environ, LC_ALL="C")
    T = str(a.threads)
    X = a.excise
    scan = [X, "scan", "-q", "--format", "json", "-o", "/dev/null", "--threads", T]
    cmds = [
        ("excise --full --only walk", scan + ["--root", R, "--full", "--only", "walk"], None),
        ("excise --full (all sources)", scan + ["--root", R, "--full"], None),
        ("find -name ... (C.UTF-8)", ["find", R] + name_expr, None),
        ("find -name ... (LC_ALL=C)", ["find", R] + name_expr, envc),
        ("bfs -name ...", ["bfs", R] + name_expr, None),
        (f"{fd} -HI -j{T} REGEX", [fd, "-HI", "-j", T, fd_re, R], None),
        (f"floor.c ({T} threads)", [floor, a.patterns, R, T], None),
        ("excise known locations (synthetic root)", scan + ["--root", R], None),
        ("excise known locations (live /)", scan, None),
        ("excise --only files (live /)", scan + ["--only", "files"], None),
    ]
    # Catalog facts for the fair-comparison note.
    cat = json.load(open(os.path.join(REPO, "catalog", "excise-catalog.json")))
    inds = cat.get("indicators", [])
    n_name = sum(1 for i in inds if i.get("kind") == "file" and i.get("field") == "name")
    n_path = sum(1 for i in inds if i.get("kind") == "file" and i.get("field") == "path")

    rows = []
    for label, cmd, env in cmds:
        lines, rc = count_lines(cmd, env)  # warm-up, also a sanity count
        runs = [timed(cmd, env) for _ in range(a.reps)]
        rcs = {r[3] for r in runs}
        rows.append({
            "label": label, "cmd": cmd, "lines": lines, "rc": sorted(rcs),
            "wall": statistics.median(r[0] for r in runs),
            "cpu": statistics.median(r[1] for r in runs),
            "rss": statistics.median(r[2] for r in runs),
        })
        print(f"{label:45s} wall {rows[-1]['wall']:.3f}s cpu {rows[-1]['cpu']:.3f}s "
              f"rss {rows[-1]['rss'] / 1024:.1f} MiB rc {sorted(rcs)}", flush=True)

    # The walk's own statistics, from one JSON report.
    out = subprocess.run([X, "scan", "-q", "--format", "json", "--threads", T,
                          "--root", R, "--full", "--only", "walk"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    walk = {}
    try:
        rep = json.loads(out.stdout)
        walk = [s for s in rep["sources"] if s["name"] == "walk"][0]
    except (ValueError, IndexError, KeyError):
        pass

    base = rows[0]
    table = ["| command | wall (s) | CPU user+sys (s) | peak RSS (MiB) | wall vs excise walk |",
             "|---|---:|---:|---:|---:|"]
    for r in rows:
        ratio = r["wall"] / base["wall"] if base["wall"] else 0
        table.append(f"| `{r['label']}` | {r['wall']:.3f} | {r['cpu']:.3f} | {r['rss'] / 1024:.1f} | {ratio:.2f} |")
    uname = os.uname()
    ncpu = os.cpu_count()
    info = [
        f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}; host: {uname.sysname} {uname.release} {uname.machine}, {ncpu} CPUs",
        f"- tree: `{R}` ({walk.get('observations', '?')} entries seen by the walk), "
        f"built with `gen_tree.py --files {a.files} --bytes {a.bytes}`",
        f"- catalog: {n_name} file-name and {n_path} file-path indicators "
        f"(the walk tests every name and path against them); find/bfs/fd/floor use the "
        f"{len(pats)} patterns of `patterns.txt`",
        f"- walk source: observations {walk.get('observations', '?')}, matched {walk.get('matched', '?')}, "
        f"seconds {walk.get('seconds', '?')}",
        f"- warm cache, {a.reps} timed runs after one warm-up, medians; {T} threads where the tool takes a count",
    ]
    text = "\n".join(info + ["", *table])
    print()
    print(text)
    if not a.no_doc and os.path.exists(a.doc):
        doc = open(a.doc).read()
        new = re.sub(r"(<!-- RESULTS -->\n).*?(\n<!-- /RESULTS -->)",
                     lambda m: m.group(1) + text + m.group(2), doc, flags=re.S)
        open(a.doc, "w").write(new)
        print(f"\nwritten into {a.doc}")


if __name__ == "__main__":
    main()
