#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The folders of lib/ are layers; a file may include only from its own folder and
the folders below it, so no two folders depend on each other.

    core < parse < catalog < engine < source < scan
                             engine < report < remove

  core     buffers, errors, root access, the walker, limits: needs nothing
  parse    one untrusted format per file (dpkg, hive, pe, plist, rpmdb, win...)
  catalog  the catalog and its compiled matcher
  engine   observations in, findings out (include/excise/engine.h)
  source   the local sources, each an input of an engine
  scan     a root's host facts and its sources feeding an engine
  report   reports written and read back (read back through the engine)
  remove   plans, removal, restore, from findings

`excise/...` (the public API) may be included from anywhere; cli/ may include only
`excise/...` and its own `cli.h`. Run by `meson test` (suite lint) over every
`#include "dir/..."` of lib/ and cli/; prints each violation and fails on any.
"""
import os
import re
import sys

# Each folder and the folders it may include from (besides itself).
ALLOWED = {
    "core": set(),
    "parse": {"core"},
    "catalog": {"core"},
    "engine": {"core", "catalog"},
    "source": {"core", "parse", "catalog", "engine"},
    "scan": {"core", "parse", "catalog", "engine", "source"},
    "report": {"core", "catalog", "engine"},
    "remove": {"core", "parse", "catalog", "engine", "report"},
    "fleet": {"core", "catalog", "engine", "report"},
    "serve": {"core", "catalog", "engine", "report", "fleet"},
    "agent": {"core", "catalog", "engine", "report", "fleet"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(top):
    for dirpath, _, names in os.walk(top):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                yield os.path.join(dirpath, n)


def check(src):
    bad = []
    lib = os.path.join(src, "lib")
    for path in sources(lib):
        rel = os.path.relpath(path, src)
        folder = os.path.relpath(path, lib).split(os.sep)[0]
        if folder not in ALLOWED:
            if os.path.dirname(os.path.relpath(path, lib)):
                bad.append(f"{rel}: folder lib/{folder}/ has no place in the layers (tools/check-layers.py)")
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            top = inc.split("/")[0] if "/" in inc else None
            if top == "excise" or top == folder:
                continue
            if top is None:
                bad.append(f'{rel}:{line}: #include "{inc}": name the folder ("{folder}/{inc}")')
            elif top not in ALLOWED[folder]:
                bad.append(f'{rel}:{line}: #include "{inc}": lib/{folder} may not use lib/{top} '
                           f"(it may use: {', '.join(sorted(ALLOWED[folder])) or 'nothing'})")
    for path in sources(os.path.join(src, "cli")):
        rel = os.path.relpath(path, src)
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            inc = m.group(1)
            if inc != "cli.h" and not inc.startswith("excise/"):
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f'{rel}:{line}: #include "{inc}": the CLI uses the public API (excise/...) only')
    return bad


def self_test():
    """The check must catch what it is for: an upward include, a folder include
    from the CLI, a folder with no layer. False when it does not."""
    import tempfile
    with tempfile.TemporaryDirectory() as t:
        files = {
            "lib/core/a.c": '#include "core/b.h"\n#include "excise/scan.h"\n',
            "lib/remove/r.c": '#include "source/rpm.h"\n#include "parse/rpmdb.h"\n',
            "lib/engine/e.c": '#include "scan/scan_int.h"\n',
            "lib/gadget/g.c": "",
            "cli/main.c": '#include "cli.h"\n#include "core/buf.h"\n',
        }
        for rel, text in files.items():
            os.makedirs(os.path.join(t, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(t, rel), "w") as f:
                f.write(text)
        bad = check(t)
        want = ["lib/remove/r.c:1:", "lib/engine/e.c:1:", "lib/gadget/g.c:", "cli/main.c:2:"]
        ok = len(bad) == len(want) and all(any(b.startswith(w) for b in bad) for w in want)
        if not ok:
            print("self-test: expected violations", want, "got", bad)
        return ok


def main():
    args = sys.argv[1:]
    if args[:1] == ["--self-test"]:
        if not self_test():
            return 1
        args = args[1:]
    src = args[0] if args else os.path.join(os.path.dirname(__file__), "..")
    bad = check(src)
    for b in bad:
        print(b)
    print(f"{'FAIL' if bad else 'OK'}: {len(bad)} include(s) against the layers")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
