#!/usr/bin/env python3
"""Check that a catalog is complete and sourced (issue 12, item 1).

Usage: catalog-check.py EXCISE CATALOG_JSON
       catalog-check.py --self-test EXCISE CATALOG_JSON

The catalog is first read by the real loader (`EXCISE catalog lint CATALOG`), which
must accept it without a problem. Then, from the same file:

- every product has, on each platform it lists, at least one indicator of `strong`
  or `definitive` confidence that a scan of that platform can see (for `any`: on
  at least one platform). An indicator counts on a platform when its `platforms`
  name it, or when it names none and its kind is observed there (a registry key
  only on Windows, a bundle id on macOS and the mobile platforms...);
- every indicator, product and removal recipe names a public source URL
  (http:// or https://).

--self-test breaks copies of the catalog on purpose (a product's strong
indicators removed, a source that is not a URL, an indicator that only another
platform can see) and fails unless each broken copy is refused.
"""
import copy
import json
import os
import subprocess
import sys
import tempfile

RANK = {"weak": 1, "strong": 2, "definitive": 3}
DESKTOP = {"linux", "windows", "macos"}
# Where an indicator that names no platform can be seen, by observation kind
# (docs/catalog-format.md, "Observation kinds"). Mobile apps are listed by their
# application id, a `bundle` name.
SEEN_ON = {
    "package": DESKTOP, "file": DESKTOP, "process": DESKTOP, "service": DESKTOP,
    "kmod": DESKTOP, "extension": DESKTOP, "cert": DESKTOP, "domain": DESKTOP,
    "bundle": {"macos", "android", "ios"},
    "signer": {"windows"}, "registry": {"windows"},
}


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
                                 "without its id)"),
    ("security-cloud", "macos"): ("Security Cloud for Mac (help kscloud21mac 59664) writes its trace files to "
                                  "~/Library/Logs/Kaspersky Lab and /Library/Logs/Kaspersky Lab, places of "
                                  "kes-mac, whose indicators find and attribute its files; no public source names "
                                  "a bundle id, receipt or launchd label of its own"),
    ("kts", "macos"): ("no public source found names a Total Security for Mac application, bundle id, "
                       "receipt or launchd label (the Mac help found is that of Internet Security for Mac, kis, "
                       "and of the Kaspersky app)"),
    ("ksos", "macos"): ("Small Office Security's admin guide (KSOS/AdministrationGuide 132807) documents only "
                        "installing Password Manager for Mac (kpm, covered on macOS) on Macs; no public source "
                        "names a Small Office Security for Mac bundle, receipt or label"),
    ("kata", "any"): ("Anti Targeted Attack Platform's Central Node, Sensor and Sandbox servers run on "
                      "dedicated physical or virtual servers (KATA help 247136, 247193); no public source "
                      "names a package, path, unit or process of theirs. Its agents on hosts are "
                      "endpoint-agent and the Endpoint Security products, each covered"),
    ("kav-engine-oem", "any"): ("the engine inside other vendors' products carries their names and paths; "
                                "Kaspersky's OEM pages publish no file, module or id list (the one OEM product "
                                "with a public trace, Parallels Internet Security, is its own product)"),
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


def seen_on(ind):
    kinds = SEEN_ON_FIELD.get((ind["kind"], ind["field"]), SEEN_ON.get(ind["kind"], set()))
    if ind.get("platforms"):
        plats = set(ind["platforms"])
        if "any" in plats:
            plats = {"android", "ios", "linux", "windows", "macos"}
        return plats & kinds
    return kinds


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
