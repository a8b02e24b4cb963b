#!/usr/bin/env python3
"""Check that a catalog is complete and sourced (issue 12, item 1).

Usage: catalog-check.py EXCISE CATALOG_JSON
       catalog-check.py --self-test EXCISE CATALOG_JSON

The catalog is first read by the real loader (`EXCISE catalog lint CATALOG`), which
must accept it without a problem. Then, from the same file:

- every product has, on each platform it lists, at least one indicator of `strong`
  or `definitive` confidence that a scan of that platform can see (for `any`: on
  at least one platform). An indicator counts on a platform when some scan source
  of that platform emits its kind (read from the code of lib/source/, see
  source_table: a registry key only on Windows, a process only on Linux, a domain
  nowhere) and fills its field, within the indicator's own `platforms`; an
  application id listed for Android or iOS counts there (MOBILE_KINDS);
- every indicator, product and removal recipe names a public source URL
  (http:// or https://).

--self-test breaks copies of the catalog on purpose (a product's strong
indicators removed, a source that is not a URL, an indicator that only another
platform can see, a product seen only through a domain or a process) and fails
unless each broken copy is refused; it also checks the table read from the code
(every registered source found, kinds followed through helper calls).
"""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

RANK = {"weak": 1, "strong": 2, "definitive": 3}
DESKTOP = ("linux", "windows", "macos")
ALL_PLATFORMS = ("android", "ios", "linux", "windows", "macos")
SOURCE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "lib", "source")
# Mobile platforms have no source: an application id (a `bundle` name listed for android or
# ios) serves imports of MDM inventories later, and counts there; nothing else does.
MOBILE_KINDS = {"bundle"}


def c_text(path):
    with open(path, encoding="utf-8") as f:
        return re.sub(r"/\*.*?\*/|//[^\n]*", " ", f.read(), flags=re.S)


FUNC_RE = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(([^;{}]*?)\)\s*\{(.*?)^\}", re.S | re.M)


def source_table(src_dir=SOURCE_DIR):
    """The observation kinds each scan source emits, read from the code of lib/source/.

    Returns {source name: (platforms, kinds, flags)}. A function's kinds are the
    EXCISE_OBS_* constants it assigns to an observation's `.kind`, and those of every
    function it names (calls, or passes as a callback): of its own file first, else the
    one a header of lib/source/ declares (certobs.h, wincommon.h, macbundle.h...). A
    source's kinds are those of its `.run` function; its platforms are its `.platform`
    ("any": the three desktop platforms a scan reads).
    """
    files = sorted(f for f in os.listdir(src_dir) if f.endswith(".c"))
    texts = {f: c_text(os.path.join(src_dir, f)) for f in files}
    funcs = {}   # (file, function) -> (own kinds, names it mentions)
    exported = {}
    for f, t in texts.items():
        for m in FUNC_RE.finditer(t):
            body = m.group(3)
            own = set()
            for k in re.finditer(r"\.kind\s*=\s*([^,;}]*)", body):
                own |= {x.lower() for x in re.findall(r"\bEXCISE_OBS_([A-Z]+)\b", k.group(1))}
            funcs[(f, m.group(1))] = (own, set(re.findall(r"\b[a-z_]\w*\b", body)))
            if not m.group(0).startswith("static"):
                exported.setdefault(m.group(1), (f, m.group(1)))

    def resolve(f, name):
        return (f, name) if (f, name) in funcs else exported.get(name)

    kinds = {key: set(own) for key, (own, _) in funcs.items()}
    changed = True
    while changed:
        changed = False
        for key, (_, names) in funcs.items():
            for n in names:
                callee = resolve(key[0], n)
                if callee and callee != key and not kinds[callee] <= kinds[key]:
                    kinds[key] |= kinds[callee]
                    changed = True
    table = {}
    for f, t in texts.items():
        for body in re.findall(r"const struct source source_\w+\s*=\s*\{(.*?)\n\};", t, flags=re.S):
            def field(key):
                m = re.search(r"\.%s\s*=\s*(\"[^\"]*\"|[^,\n]*)" % key, body)
                return m.group(1).strip().strip('"') if m else ""
            name, plat = field("name"), field("platform")
            run = resolve(f, field("run"))
            plats = set(DESKTOP) if plat == "any" else set(plat.split(","))
            table[name] = (plats, set(kinds[run]) if run else set(),
                           set(re.findall(r"\bSOURCE_([A-Z_]+)\b", field("flags"))))
    return table


def seen_on_table(src_dir=SOURCE_DIR):
    """{observation kind: the platforms some source of which emits it} (from the code)."""
    out = {}
    for plats, kinds, _ in source_table(src_dir).values():
        for k in kinds:
            out.setdefault(k, set()).update(plats)
    return out


# Where an indicator can be seen, by observation kind: on the platforms of the sources
# that emit that kind (lib/source/, read above), so a kind no source produces (`domain`)
# counts nowhere, and `process` (the proc source, a live Linux host) only on Linux.
SEEN_ON = seen_on_table()


# Platforms a product shipped on for which no public source names an artifact a scan
# could see. Each stays listed until a source is found; the check fails when one is no
# longer a gap (so this list cannot go stale) and when a new product or platform is not
# covered and not listed here.
KNOWN_GAPS = {
    # Mobile platforms: excise has no Android or iOS source (it scans Linux, Windows and macOS
    # roots), so these gaps cost no detection today; an application id would serve imports of
    # MDM inventories later. Searched again (issue 12, last pass): Kaspersky's help, Play Store
    # and App Store pages, public app-id lists in the search corpora.
    ("safe-browser", "android"): ("no Play Store page, Kaspersky help page or public inventory names its "
                                  "application id: com.kaspersky.browser appears only in an unidentified "
                                  "code-index file and in an unsourced list of browser package names in an "
                                  "unrelated app (both unverifiable); excise has no Android source"),
    ("safe-browser", "ios"): ("the Safe Browser for iOS help (KSBiOS 1.13) names the app but no bundle id, and "
                              "no App Store page or public bundle-id list names one; excise has no iOS source"),
    ("kpm", "ios"): ("com.kaspersky.passwordmanager is the Android id (its Play Store page); as the iOS bundle id "
                     "it is named only by an unidentified Appium configuration in the code index, and no App "
                     "Store page, Kaspersky help page (KPM for iOS) or public bundle-id list states it; excise "
                     "has no iOS source"),
    ("vpn", "ios"): ("the VPN Secure Connection for iOS help names no bundle id, and no App Store page or public "
                     "bundle-id list does (com.kaspersky.secure.connection is the Android id, its Play Store "
                     "page); excise has no iOS source"),
    ("kaspersky-app", "macos"): ("the Mac application of Standard/Plus/Premium (help Kaspersky/Mac25) shares the "
                                 "KAV layout of kes-mac (/Library/Application Support/Kaspersky Lab/KAV and its "
                                 "uninstall script; help Kaspersky/Mac24_patchA 59232 keeps its reports in "
                                 "~/Library/Application Support/Kaspersky Lab/KAV/Data/Report), whose strong "
                                 "indicators find it and attribute it to kes-mac; no public source names a bundle "
                                 "id, receipt or launchd label of its own (GLPI's test data lists a Kaspersky.app "
                                 "without its id). Searched again 2026-12-07 (code: com.kaspersky bundle ids, "
                                 "whose Mac ones are kes-mac's com.kaspersky.kav*): none of its own"),
    ("security-cloud", "macos"): ("Security Cloud for Mac (help kscloud21mac 59664) writes its trace files to "
                                  "~/Library/Logs/Kaspersky Lab and /Library/Logs/Kaspersky Lab, places of "
                                  "kes-mac, whose indicators find and attribute its files; no public source names "
                                  "a bundle id, receipt or launchd label of its own. Searched again 2026-12-07 (code: "
                                  "com.kaspersky bundle ids, only kes-mac's com.kaspersky.kav*): none of its own"),
    ("kts", "macos"): ("no public source found names a Total Security for Mac application, bundle id, "
                       "receipt or launchd label (the Mac help found is that of Internet Security for Mac, kis, "
                       "and of the Kaspersky app). Searched again 2026-12-07 (code: com.kaspersky "
                       "bundle ids, only kes-mac's com.kaspersky.kav*): none of its own"),
    ("ksos", "macos"): ("Small Office Security's admin guide (KSOS/AdministrationGuide 132807) documents only "
                        "installing Password Manager for Mac (kpm, covered on macOS) on Macs; no public source "
                        "names a Small Office Security for Mac bundle, receipt or label. Searched again "
                        "2026-12-07 (code: com.kaspersky bundle ids, only kes-mac's com.kaspersky.kav*): none of its own"),
    ("safe-kids", "macos"): ("Safe Kids for Mac (help KSK/Mac1.0MR8, Mac1.0MR9 96079, 172001) names its trace "
                             "files ksk_agent_*.log and ksk_app_*.log (weak, only with tracing on) but no bundle "
                             "id, receipt, launchd label or app path; com.kaspersky.safekids is the mobile id "
                             "(the Echap watchware list) and kaspersky-safe-kids.firebaseio.com a domain, which no "
                             "scan source observes. Searched: docs and pages corpora (Safe Kids Mac uninstall, "
                             "command line, LaunchDaemons, Kaspersky Safe Kids.app), the code index"),
    ("kata", "any"): ("Anti Targeted Attack Platform's Central Node, Sensor and Sandbox servers run on "
                      "dedicated physical or virtual servers (KATA help 247136, 247193); no public source "
                      "names a package, path, unit or process of theirs. Its agents on hosts are "
                      "endpoint-agent and the Endpoint Security products, each covered. Searched again "
                      "2026-12-07 (docs: KATA Central Node packages, folders): only Endpoint Agent's "
                      "integration with it"),
    ("kav-engine-oem", "any"): ("the engine inside other vendors' products carries their names and paths; "
                                "Kaspersky's OEM pages publish no file, module or id list (the one OEM product "
                                "with a public trace, Parallels Internet Security, is its own product)"),
}
# Searched for and not in the catalog, for want of a public source to cite (docs/products.md
# lists them with the gaps). Issue 12 leftover pass (2026-12-07), in the docs, pages and code
# corpora and the code index: each entry says what was searched and what was found.
NO_SOURCE = {
    "Kaspersky Software Updater (Windows)": (
        "no product: searched Kaspersky's help (docs corpus: Software Updater install, remove, "
        "process, folder), public pages (pages corpus: Kaspersky Software Updater uninstall, "
        "download, review, German and other languages) and code (Uninstall DisplayName, ksu.exe, "
        "winget KasperskyLab.SoftwareUpdater; microsoft/winget-pkgs has manifests/k/Kaspersky for eight "
        "other products, none for it). Found only the display name \"Kaspersky Software "
        "Updater\" in admins' uninstall scripts and a startup shortcut \"Kaspersky Software Updater "
        "Beta.lnk\", all in unidentified code-index files with no address (unverifiable); no help "
        "page, publisher, install folder, service or process name with an address. Kaspersky's own "
        "help documents only the App Updater component inside the consumer products, covered by "
        "their indicators"),
    "Edge, Password Manager and Safe Money browser extension ids": (
        "searched the pages, docs and code corpora and the code index for Edge Add-ons and Chrome "
        "Web Store links (addons/detail/kaspersky*, detail/kaspersky-password-manager) and ids of "
        "the Password Manager extension (KPM for Windows 10.3 and 24.0 help names the extension, "
        "not its id), Safe Money and Kaspersky Protection for Edge (Kaspersky Free help 97156: "
        "installed automatically in Edge, no id); the only id with an address is Kaspersky "
        "Protection's Chrome Web Store id ahkjpbeeocnddjkakilopmfdlnjdpcdm, already in "
        "browser-ext"),
}
# Indicators and products whose source is the research's unidentified code index, not a
# URL. The number may only go down: a new indicator must cite a public URL.
MAX_CODE_INDEX = 151
CODE_INDEX = "github-code-index"


def is_url(s):
    return isinstance(s, str) and (s.startswith("https://") or s.startswith("http://"))


# Fields only some sources fill: a PE version resource (file description, publisher) is
# read on Windows roots; a package's maintainer or summary comes from dpkg, rpm or an
# Uninstall entry, never from a macOS receipt.
SEEN_ON_FIELD = {
    ("file", "description"): {"windows"}, ("file", "publisher"): {"windows"},
    ("file", "version"): {"windows"},
    ("package", "publisher"): {"linux", "windows"}, ("package", "description"): {"linux", "windows"},
}


def seen_on(ind, seen=None):
    """The platforms whose scan can see the indicator: those of the sources that emit its
    kind (and fill its field), within its own `platforms`; a `bundle` id listed for a
    mobile platform counts there (no source yet, see MOBILE_KINDS)."""
    seen = SEEN_ON if seen is None else seen
    kinds = set(seen.get(ind["kind"], set()))
    field = SEEN_ON_FIELD.get((ind["kind"], ind["field"]))
    if field is not None:
        kinds &= field
    if not ind.get("platforms"):
        return kinds
    plats = set(ind["platforms"])
    if "any" in plats:
        plats = set(ALL_PLATFORMS)
    if ind["kind"] in MOBILE_KINDS:
        kinds |= {"android", "ios"}
    return plats & kinds


def problems(cat, gaps=None):
    gaps = KNOWN_GAPS if gaps is None else gaps
    out = []
    strong = {}
    code_index = 0
    for ind in cat["indicators"]:
        src = ind.get("source")
        if isinstance(src, str) and src.startswith(CODE_INDEX):
            code_index += 1
        elif not is_url(src):
            out.append("indicator %s: source %r is not a URL" % (ind["id"], src))
        if "product" in ind and RANK[ind["confidence"]] >= RANK["strong"]:
            strong.setdefault(ind["product"], set()).update(seen_on(ind))
    for p in cat["products"]:
        if str(p.get("source", "")).startswith(CODE_INDEX):
            code_index += 1
        elif not is_url(p.get("source")):
            out.append("product %s: source %r is not a URL" % (p["id"], p.get("source")))
        for plat, rec in sorted((p.get("removal") or {}).items()):
            if not is_url(rec.get("source")):
                out.append("product %s: removal/%s source %r is not a URL" % (p["id"], plat,
                                                                             rec.get("source")))
        have = strong.get(p["id"], set())
        plats = p["platforms"]
        for plat in plats:
            covered = bool(have) if plat == "any" else plat in have
            gap = (p["id"], plat) in gaps
            if not covered and not gap:
                out.append("product %s: no strong or definitive indicator a %s scan can see"
                           % (p["id"], plat))
            elif covered and gap:
                out.append("product %s: %s is listed as a known gap but is covered now; drop it from "
                           "KNOWN_GAPS" % (p["id"], plat))
    products = {p["id"]: p["platforms"] for p in cat["products"]}
    for (pid, plat) in sorted(gaps):
        if plat not in products.get(pid, []):
            out.append("known gap %s/%s: no such product or platform" % (pid, plat))
    if code_index > MAX_CODE_INDEX:
        out.append("%d indicators cite the unidentified code index (at most %d): cite a public URL"
                   % (code_index, MAX_CODE_INDEX))
    return out


def code_index_count(cat):
    return sum(1 for i in cat["indicators"] + cat["products"]
               if str(i.get("source", "")).startswith(CODE_INDEX))


def lint(excise, cat_or_path):
    """Run the real loader and its lint on a catalog; return (exit status, output)."""
    if isinstance(cat_or_path, str):
        path, tmp = cat_or_path, None
    else:
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(cat_or_path, f, ensure_ascii=False)
        tmp = path
    try:
        r = subprocess.run([excise, "catalog", "lint", path], capture_output=True, text=True)
        return r.returncode, r.stdout + r.stderr
    finally:
        if tmp:
            os.unlink(tmp)


def check(excise, path):
    rc, out = lint(excise, path)
    if rc != 0:
        print("excise catalog lint %s: exit %d\n%s" % (path, rc, out.rstrip()))
        return 1
    cat = json.load(open(path, encoding="utf-8"))
    probs = problems(cat)
    for p in probs:
        print(p)
    n = len(cat["indicators"])
    print("%s: %d products, %d indicators, %d problems; %d known gaps, %d indicators cite the "
          "code index" % (path, len(cat["products"]), n, len(probs), len(KNOWN_GAPS),
                          code_index_count(cat)))
    return 1 if probs else 0


def self_test(excise, path):
    cat = json.load(open(path, encoding="utf-8"))
    failures = 0

    def expect(name, broken, needle):
        nonlocal failures
        probs = problems(broken)
        if not any(needle in p for p in probs):
            print("not ok - %s: the check did not refuse it (wanted %r, got %r)" % (name, needle, probs))
            failures += 1
        else:
            print("ok - %s" % name)

    if problems(cat):
        print("not ok - the committed catalog is not clean to begin with")
        return 1
    # A product stripped of its strong indicators on one platform.
    pid = "kesl"
    b = copy.deepcopy(cat)
    b["indicators"] = [i for i in b["indicators"]
                       if not (i.get("product") == pid and RANK[i["confidence"]] >= 2)]
    expect("kesl without strong indicators", b, "product kesl: no strong")
    # A Windows product whose only strong evidence is a registry key, listed for Linux too.
    b = copy.deepcopy(cat)
    p = next(p for p in b["products"] if p["id"] == "ksws")
    p["platforms"] = ["windows", "linux"]
    b["indicators"] = [i for i in b["indicators"] if i.get("product") != "ksws"]
    b["indicators"].append({"id": "ksws.test", "product": "ksws", "kind": "registry", "field": "path",
                            "value": "HKLM\\SOFTWARE\\X", "confidence": "strong",
                            "source": "https://example.org/"})
    expect("registry evidence counted for linux", b, "product ksws: no strong or definitive "
           "indicator a linux scan can see")
    # The table of what each platform's scan can see is the code's: every registered source
    # is read, `domain` (no source emits it) counts nowhere, `process` only on Linux.
    reg = c_text(os.path.join(SOURCE_DIR, "registry.c"))
    registered = len(re.findall(r"&source_\w+\s*,", reg.split("source_table[] =", 1)[1]))
    table = source_table()
    checks = [
        ("every registered source is read from lib/source/", len(table) == registered and registered > 0),
        ("the table holds dpkg (package, linux)", table.get("dpkg", (set(), set(), set()))[:2]
         == ({"linux"}, {"package"})),
        ("no source emits a domain", "domain" not in SEEN_ON),
        ("process is seen on linux only", SEEN_ON.get("process") == {"linux"}),
        ("registry is seen on windows only", SEEN_ON.get("registry") == {"windows"}),
        ("a cert is seen on every desktop platform (nss-certs)", SEEN_ON.get("cert") == set(DESKTOP)),
    ]
    for name, ok in checks:
        print("%s - %s" % ("ok" if ok else "not ok", name))
        failures += 0 if ok else 1
    # A source that emits a kind through a helper is credited with it; one that does not is not.
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "help.h"), "w") as f:
            f.write("int help_emit(struct source_ctx *ctx);\nint help_name(void);\n")
        with open(os.path.join(d, "help.c"), "w") as f:
            f.write("int help_emit(struct source_ctx *ctx)\n{\n\tstruct excise_obs o = { .kind = "
                    "EXCISE_OBS_DOMAIN };\n\treturn source_emit(ctx, &o);\n}\n\n"
                    "int help_name(void)\n{\n\treturn 0;\n}\n")
        with open(os.path.join(d, "a.c"), "w") as f:
            f.write("static int a_run(struct source_ctx *ctx)\n{\n\treturn help_emit(ctx);\n}\n\n"
                    "const struct source source_a = {\n\t.name = \"a\",\n\t.platform = \"linux,macos\","
                    "\n\t.run = a_run,\n};\n")
        with open(os.path.join(d, "b.c"), "w") as f:
            f.write("static int b_run(struct source_ctx *ctx)\n{\n\tstruct excise_obs o = { .kind = "
                    "EXCISE_OBS_FILE };\n\treturn help_name() + source_emit(ctx, &o);\n}\n\n"
                    "const struct source source_b = {\n\t.name = \"b\",\n\t.platform = \"any\","
                    "\n\t.run = b_run,\n};\n")
        t = source_table(d)
        ok = (t.get("a", (None, None))[:2] == ({"linux", "macos"}, {"domain"})
              and t.get("b", (None, None))[:2] == (set(DESKTOP), {"file"}))
        print("%s - kinds follow helper calls, not mere use of a helper file" % ("ok" if ok else "not ok"))
        failures += 0 if ok else 1
    # A product seen on a platform only through a kind no source of that platform observes.
    for kind, field, plat, pid in (("domain", "name", "linux", "kesl"), ("process", "name", "windows", "ksws")):
        b = copy.deepcopy(cat)
        p = next(p for p in b["products"] if p["id"] == pid)
        b["indicators"] = [i for i in b["indicators"] if i.get("product") != pid]
        b["indicators"].append({"id": pid + ".test", "product": pid, "kind": kind, "field": field,
                                "value": "x.example.org", "confidence": "strong",
                                "source": "https://example.org/"})
        expect("%s evidence counted for %s" % (kind, plat), b,
               "product %s: no strong or definitive indicator a %s scan can see" % (pid, plat))
    # An indicator whose source is not a URL.
    b = copy.deepcopy(cat)
    b["indicators"][0]["source"] = "a forum post"
    expect("indicator without a source URL", b, "is not a URL")
    # More indicators citing the code index than the ratchet allows.
    b = copy.deepcopy(cat)
    for ind in b["indicators"][:MAX_CODE_INDEX + 1]:
        ind["source"] = CODE_INDEX + " (repository not identified)"
    expect("code-index sources past the ratchet", b, "cite the unidentified code index")
    # A known gap that is covered now, and a platform no longer a gap nor covered.
    b = copy.deepcopy(cat)
    b["indicators"].append({"id": "kpm.test", "product": "kpm", "kind": "bundle", "field": "name",
                            "value": "com.example.kpm", "confidence": "strong",
                            "source": "https://example.org/", "platforms": ["ios"]})
    expect("stale known gap", b, "listed as a known gap but is covered")
    gaps = dict(KNOWN_GAPS)
    del gaps[("kpm", "ios")]
    probs = problems(cat, gaps)
    if not any("product kpm: no strong or definitive indicator a ios" in p for p in probs):
        print("not ok - an uncovered platform missing from KNOWN_GAPS was accepted")
        failures += 1
    else:
        print("ok - an uncovered platform must be covered or listed")
    # A product whose source is not a URL.
    b = copy.deepcopy(cat)
    b["products"][0]["source"] = "somewhere"
    expect("product without a source URL", b, "is not a URL")
    # The real loader refuses a broken file (so a catalog the check reads is the one excise reads).
    b = copy.deepcopy(cat)
    b["indicators"][0]["kind"] = "no-such-kind"
    rc, out = lint(excise, b)
    if rc == 0:
        print("not ok - excise catalog lint accepted an unknown indicator kind")
        failures += 1
    else:
        print("ok - the loader refuses an unknown indicator kind")
    print("# %d failed" % failures if failures else "# all refused as they should be")
    return 1 if failures else 0


def main():
    args = sys.argv[1:]
    if args and args[0] == "--self-test":
        return self_test(*args[1:3])
    if len(args) != 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    return check(*args)


if __name__ == "__main__":
    sys.exit(main())
