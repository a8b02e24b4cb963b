#!/usr/bin/env python3
"""Benchmark the Windows registry sources on a Windows-shaped synthetic root.

  bench/windows.py [--excise BIN] [--dir /tmp/excise-bench/windows] [--uninstall 3000]
                   [--services 1500] [--files 200000] [--reps 3]

Builds (once, cached under --dir, never in the repository) an offline Windows root:
SOFTWARE and SYSTEM hives written by tests/e2e/mkhive.py (the empty start) and
`hivexregedit --merge` of generated .reg text (timed: that is what hive writing costs
with the real tool), with --uninstall entries in each view (6 values each), a vendor
key tree, --services service keys (5 values each), and --files empty files spread
over Windows/, Program Files/ and Users/.

Then times, warm (one untimed run, then --reps timed runs, median):
  excise scan --root (whole scan; the JSON report's per-source seconds),
  hivexregedit --export of the same keys the sources read (Uninstall, both views;
  the vendor tree; Services), hivexsh listing the same keys' values,
  find -iname over the file part (the walk a file source would do).
Prints one table; hive reading is reported as keys and keys/s.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MKHIVE = os.path.join(REPO, "tests", "e2e", "mkhive.py")


def reg_uninstall(n):
    out = ["Windows Registry Editor Version 5.00", ""]
    key = lambda p: out.extend(["[HKEY_LOCAL_MACHINE\\SOFTWARE\\%s]" % p, ""])
    for view in ("", "WOW6432Node\\"):
        for p in ("Microsoft", "Microsoft\\Windows", "Microsoft\\Windows\\CurrentVersion",
                  "Microsoft\\Windows\\CurrentVersion\\Uninstall"):
            if view and p == "Microsoft":
                key("WOW6432Node")
            key(view + p)
        for i in range(n):
            out.append("[HKEY_LOCAL_MACHINE\\SOFTWARE\\%sMicrosoft\\Windows\\CurrentVersion\\"
                       "Uninstall\\{%08X-1234-4321-ABCD-%012X}]" % (view, i, i))
            out.append('"DisplayName"="Example Application %d"' % i)
            out.append('"DisplayVersion"="%d.%d.%d"' % (i % 30, i % 7, i))
            out.append('"Publisher"="Example Software Vendor %d Ltd"' % (i % 200))
            out.append('"UninstallString"="MsiExec.exe /X{%08X-1234-4321-ABCD-%012X}"' % (i, i))
            out.append('"InstallLocation"="C:\\\\Program Files\\\\Example\\\\App%d\\\\"' % i)
            out.append('"WindowsInstaller"=dword:00000001')
            out.append("")
    key("KasperskyLab")
    key("KasperskyLab\\protected")
    key("KasperskyLab\\protected\\KES12.9")
    key("KasperskyLab\\protected\\KES12.9\\environment")
    return "\r\n".join(out) + "\r\n"


def reg_services(n):
    out = ["Windows Registry Editor Version 5.00", ""]
    for p in ("Select", "ControlSet001", "ControlSet001\\Services"):
        out.extend(["[HKEY_LOCAL_MACHINE\\SYSTEM\\%s]" % p, ""])
    out.insert(3, '"Current"=dword:00000001')
    for i in range(n):
        drv = i % 3 == 0
        out.append("[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Services\\svc%05d]" % i)
        out.append('"Type"=dword:%08x' % (1 if drv else 0x10))
        out.append('"Start"=dword:%08x' % (i % 5))
        out.append('"ImagePath"="%s"' % ("System32\\\\drivers\\\\drv%05d.sys" % i if drv else
                                         "C:\\\\Windows\\\\System32\\\\svc%05d.exe" % i))
        out.append('"DisplayName"="Example Service %d"' % i)
        out.append('"Group"="Example Group"')
        out.append("")
    return "\r\n".join(out) + "\r\n"


def build(d, n_uninst, n_svc, n_files):
    stamp = os.path.join(d, ".built-%d-%d-%d" % (n_uninst, n_svc, n_files))
    root = os.path.join(d, "root")
    cfg = os.path.join(root, "Windows", "System32", "config")
    if os.path.exists(stamp):
        return root, json.load(open(stamp))
    subprocess.run(["rm", "-rf", root], check=True)
    os.makedirs(cfg)
    times = {}
    for name, prefix, text in (("SOFTWARE", "HKEY_LOCAL_MACHINE\\SOFTWARE", reg_uninstall(n_uninst)),
                               ("SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM", reg_services(n_svc))):
        hive, reg = os.path.join(cfg, name), os.path.join(d, name + ".reg")
        open(reg, "w").write(text)
        subprocess.run([sys.executable, MKHIVE, hive], check=True)
        t0 = time.monotonic()
        subprocess.run(["hivexregedit", "--merge", "--prefix", prefix, hive, reg], check=True)
        times[name] = time.monotonic() - t0
    tops = ["Windows/System32/drivers", "Windows/WinSxS", "Program Files/Example",
            "Program Files (x86)/Example", "Users/alice/AppData/Local", "Users/bob/Documents"]
    per_dir = 500
    for i in range(n_files):
        sub = os.path.join(root, tops[i % len(tops)], "d%04d" % (i // per_dir // len(tops)))
        if i % (per_dir * len(tops)) < len(tops):
            os.makedirs(sub, exist_ok=True)
        open(os.path.join(sub, "f%06d.dll" % i), "w").close()
    json.dump(times, open(stamp, "w"))
    return root, times


def median_run(cmd, reps, stdout=subprocess.DEVNULL):
    subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    ts = []
    for _ in range(reps):
        t0 = time.monotonic()
        subprocess.run(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
        ts.append(time.monotonic() - t0)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--excise", default=os.path.join(REPO, "build", "cli", "excise"))
    ap.add_argument("--dir", default="/tmp/excise-bench/windows")
    ap.add_argument("--uninstall", type=int, default=3000)
    ap.add_argument("--services", type=int, default=1500)
    ap.add_argument("--files", type=int, default=200000)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    root, build_s = build(a.dir, a.uninstall, a.services, a.files)
    cfg = os.path.join(root, "Windows", "System32", "config")
    sw, sy = os.path.join(cfg, "SOFTWARE"), os.path.join(cfg, "SYSTEM")
    report = os.path.join(a.dir, "report.json")
    scan = [a.excise, "scan", "--root", root, "--format", "json", "-o", report]
    rows = [("excise scan --root (whole scan)", median_run(scan, a.reps))]
    r = json.load(open(report))
    per = {s["name"]: s for s in r["sources"]}
    for name in ("win-software", "win-services", "win-users"):
        s = per.get(name)
        if s:
            rows.append(("  %s (report: %s, %d observations)" % (name, s["status"], s["observations"]),
                         s["seconds"]))
    keys_sw = 2 * a.uninstall + 4
    exports = [
        ("hivexregedit --export SOFTWARE Uninstall x2 + KasperskyLab",
         ["sh", "-c", "for k in 'Microsoft\\Windows\\CurrentVersion\\Uninstall' "
          "'WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall' KasperskyLab; do "
          "hivexregedit --export --prefix 'HKEY_LOCAL_MACHINE\\SOFTWARE' '%s' \"$k\"; done" % sw]),
        ("hivexregedit --export SYSTEM Services",
         ["hivexregedit", "--export", "--prefix", "HKEY_LOCAL_MACHINE\\SYSTEM", sy,
          "ControlSet001\\Services"]),
    ]
    for label, cmd in exports:
        rows.append((label, median_run(cmd, a.reps)))
    # hivexsh: cd into each Services key and list its values (what win-services reads).
    script = os.path.join(a.dir, "services.hivexsh")
    with open(script, "w") as f:
        for i in range(a.services):
            f.write("cd \\ControlSet001\\Services\\svc%05d\nlsval\n" % i)
    rows.append(("hivexsh: lsval of every service key",
                 median_run(["sh", "-c", "hivexsh -f '%s' '%s'" % (script, sy)], a.reps)))
    rows.append(("find -iname '*.sys' over the root (file part)",
                 median_run(["find", root, "-iname", "*.sys"], a.reps)))
    print("Windows-shaped root: %d Uninstall entries x2 views, %d services, %d files" %
          (a.uninstall, a.services, a.files))
    print("hive build with hivexregedit --merge: SOFTWARE %.1f s, SYSTEM %.1f s (cached)" %
          (build_s["SOFTWARE"], build_s["SYSTEM"]))
    print("SOFTWARE %.1f MiB, SYSTEM %.1f MiB" % (os.path.getsize(sw) / 2**20, os.path.getsize(sy) / 2**20))
    w = max(len(l) for l, _ in rows)
    for label, s in rows:
        print("%-*s %8.3f s" % (w, label, s))
    for name, keys in (("win-software", keys_sw), ("win-services", a.services)):
        s = per.get(name)
        if s and s["seconds"] > 0:
            print("%s: %d keys in %.3f s = %.0f keys/s" % (name, keys, s["seconds"], keys / s["seconds"]))


if __name__ == "__main__":
    main()
