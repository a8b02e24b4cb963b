#!/usr/bin/env python3
"""Generate catalog/excise-catalog.json from the shared research data.

Usage: catalog-from-research.py RESEARCH_JSON OUTPUT_JSON

RESEARCH_JSON is the indicator list (objects with product, platform, kind,
value, confidence, source_url). This script maps every research row onto the
catalog's observation kinds and fields (docs/catalog-format.md), attaches it to
a product or to the vendor, adds the hand-written vendor-wide heuristics and
the directives, checks the result, and writes it. The generated JSON is
committed; re-run this script after the research changes and review the diff.
"""
import json
import re
import sys

V = "kaspersky"
GCI = "github-code-index (repository not identified)"

# Frequently cited sources.
MS_ALT = ("https://github.com/MicrosoftDocs/windows-driver-docs/blob/staging/"
          "windows-driver-docs-pr/ifs/allocated-altitudes.md")
BOD = ("https://github.com/cisagov/cyber.dhs.gov/blob/012c727ed14a2a3ca65c4a9bf7f412029711b589/"
       "pages/17-01.md")
NESSUS = ("https://github.com/AmrouKourchid/nessus_plugins/blob/"
          "575ad1f93ccc89f3008f41d5e467b31a03261/kaspersky_installed.nasl")
POSH = ("https://github.com/atrandem/PoshPublic/blob/master/Invoke-KasperskyUninstall/"
        "Invoke-KasperskyUninstall.ps1")
KESL_PKG = "https://support.kaspersky.com/KES4Linux/12.4.0/en-US/273064.htm"
KESL_KMOD = "https://support.kaspersky.com/kes4linux/12.3.0/en-US/261112.htm"
NAGENT_PATHS = "https://support.kaspersky.ru/help/XDR/1.2/en-US/3305.htm"
MAC_GIST = "https://gist.github.com/mrowell/732b71cc3699865e6aefe54edf3c1329"
V2FLY = "https://github.com/v2fly/domain-list-community/blob/master/data/kaspersky"
CLEANUP = "https://pastebin.com/5iJLsXJP"
KAVREMOVER_LIST = "https://pastebin.com/n5YmXH47"

VENDORS = [{
    "id": V,
    "name": "AO Kaspersky Lab",
    "country": "RU",
    "aliases": [
        "Kaspersky Lab", "Kaspersky", "Kaspersky Lab ZAO", "Kaspersky Lab JSC", "Kaspersky Labs",
        "ЗАО Лаборатория Касперского", "АО Лаборатория Касперского", "Лаборатория Касперского",
    ],
    "subsidiaries": [
        "Kaspersky Lab, Inc.", "Kaspersky Lab North America",
        "Kaspersky Government Security Solutions, Inc.", "Kaspersky Labs Limited",
        "OOO Kaspersky Group",
    ],
    "sources": [
        BOD,
        "https://ecscreening.com/index.php/blog/120-commerce-department-bans-u-s-sales-of-russian-kaspersky-software?layout=default&print=1&tmpl=component",
        MS_ALT,
        "https://pdfslide.net/documents/kesmac80en.html",
    ],
}]


def P(pid, name, family, platforms, source, branded=True, removal=None):
    d = {"id": pid, "vendor": V, "name": name, "family": family, "platforms": platforms,
         "source": source}
    if not branded:
        d["branded"] = False
    if removal:
        d["removal"] = removal
    return d


# How products are removed (docs/catalog-format.md, "Removal"): the facts the planner
# acts on, each with its source (research section 2.5 and 4.1).
KES_PROPS = "https://support.kaspersky.com/KESWin/11.7.0/en-US/123468.htm"
KES_UNINSTALL = "https://support.kaspersky.com/KESWin/12.9/es-ES/299679.htm"
SWMB = "https://github.com/jl-oclinux/SecWinBatchMode"
WIZARD = "https://1library.net/article/removing-the-application-completing-removal.y8gdxn5r"
# kavremover: the log header names the tool and its file; the lists name the products it covers
KAVREMOVER = {"kind": "vendor-remover", "name": "kavremover", "file": "kavremvr.exe", "fallback": True,
              "source": KAVREMOVER_LIST}
# Kaspersky's own uninstallation script for Mac calls these
MAC_KAV_SCRIPT = {"kind": "bundled",
                  "paths": ["/Library/Application Support/Kaspersky Lab/KAV/Binaries/UninstallScript"],
                  "source": MAC_GIST}
MAC_NAGENT_SCRIPT = {"kind": "bundled",
                     "paths": ["/Library/Application Support/Kaspersky Lab/klnagent/Binaries/UninstallScript"],
                     "source": MAC_GIST}
# consumer products: the uninstall wizard (the entry's UninstallString), kavremover if it fails
CONSUMER_WIN = {"uninstall": [{"kind": "uninstall-string"}, KAVREMOVER], "reboot": True, "source": WIZARD}


def linux_pkgs(*names):
    return [{"kind": "dpkg", "packages": list(names)}, {"kind": "rpm", "packages": list(names)}]


PRODUCTS = [
    P("kes-windows", "Kaspersky Endpoint Security for Windows", "endpoint", ["windows"],
      "https://support.kaspersky.com/keswin/12.9/en-us/184545.htm", removal={
          "windows": {"uninstall": [
              {"kind": "msi", "properties": [{"name": "KLLOGIN", "value": "user"},
                                             {"name": "KLPASSWD", "value": "password"}], "source": KES_PROPS},
              KAVREMOVER], "drivers": ["klif"], "reboot": True, "source": KES_UNINSTALL}}),
    P("kesl", "Kaspersky Endpoint Security for Linux", "endpoint", ["linux"], KESL_PKG, removal={
        "linux": {"uninstall": linux_pkgs("kesl", "kesl-gui"), "services": ["kesl.service"],
                  "leftovers": ["/var/opt/kaspersky/kesl"], "source": KESL_PKG}}),
    P("kes-mac", "Kaspersky Endpoint Security for Mac / Kaspersky Anti-Virus for Mac", "endpoint",
      ["macos"], "https://support.kaspersky.com/kesmac/12_adminguide/ru-RU/222060.htm",
      removal={"macos": {"uninstall": [MAC_KAV_SCRIPT], "source": MAC_GIST}}),
    P("kes-android", "Kaspersky Endpoint Security for Android", "mobile", ["android"], GCI),
    P("klnagent", "Kaspersky Security Center Network Agent", "management",
      ["windows", "linux", "macos"], "https://support.kaspersky.com/KES4Linux/10.1.1/en-US/161235.htm",
      removal={
          "windows": {"uninstall": [{"kind": "msi", "properties": [
              {"name": "KLUNINSTPASSWD", "value": "password-utf16le-hex"}]}],
              "services": ["klnagent"], "reboot": True, "source": SWMB},
          "linux": {"uninstall": linux_pkgs("klnagent64", "klnagent"), "services": ["klnagent64.service"],
                    "source": "https://support.kaspersky.com/KES4Linux/10.1.1/en-US/161235.htm"},
          "macos": {"uninstall": [MAC_NAGENT_SCRIPT], "source": MAC_GIST}}),
    P("ksc", "Kaspersky Security Center Administration Server (with Web Console and Administration Console)",
      "management", ["windows", "linux"], "https://support.kaspersky.com/KSCLinux/15/en-US/158525.htm"),
    P("kav", "Kaspersky Anti-Virus", "consumer", ["windows", "macos"], BOD, removal={
        "windows": CONSUMER_WIN, "macos": {"uninstall": [MAC_KAV_SCRIPT], "source": MAC_GIST}}),
    P("kis", "Kaspersky Internet Security", "consumer", ["windows", "macos", "android"], BOD,
      removal={"windows": CONSUMER_WIN}),
    P("kts", "Kaspersky Total Security", "consumer", ["windows", "macos", "android"], BOD,
      removal={"windows": CONSUMER_WIN}),
    P("ksos", "Kaspersky Small Office Security", "consumer", ["windows", "macos", "android"], BOD,
      removal={"windows": CONSUMER_WIN}),
    P("kfree", "Kaspersky Free", "consumer", ["windows"], KAVREMOVER_LIST, removal={"windows": CONSUMER_WIN}),
    P("kaspersky-standard", "Kaspersky Standard", "consumer", ["windows", "macos", "android"],
      KAVREMOVER_LIST, removal={"windows": CONSUMER_WIN}),
    P("kaspersky-plus", "Kaspersky Plus", "consumer", ["windows", "macos", "android"], KAVREMOVER_LIST,
      removal={"windows": CONSUMER_WIN}),
    P("kaspersky-premium", "Kaspersky Premium", "consumer", ["windows", "macos", "android"],
      KAVREMOVER_LIST, removal={"windows": CONSUMER_WIN}),
    P("security-cloud", "Kaspersky Security Cloud", "consumer", ["windows", "android"], GCI),
    P("kms-android", "Kaspersky Security & VPN for Android (formerly Kaspersky Internet Security for Android)",
      "mobile", ["android"], "https://play.google.com/store/apps/details?id=com.kms.free"),
    P("safe-browser", "Kaspersky Safe Browser", "mobile", ["android"], GCI),
    P("vpn", "Kaspersky VPN Secure Connection", "consumer", ["windows", "macos", "android", "ios"],
      "https://support.kaspersky.com/de/ksec-for-windows/5.17/233596"),
    P("safe-kids", "Kaspersky Safe Kids", "consumer", ["windows", "android", "ios"],
      "https://support.kaspersky.com/help/KSK/Win23.0/pt-PT/237222.htm"),
    P("browser-ext", "Kaspersky browser extensions (Kaspersky Protection, URL Advisor, Virtual Keyboard)",
      "consumer", ["any"], "https://hackerone.com/reports/470519"),
    P("ksv-la", "Kaspersky Security for Virtualization Light Agent", "endpoint", ["windows", "linux"],
      "https://support.kaspersky.com/ksvla/5.1/ru-RU/94972.htm"),
    P("kess", "Kaspersky Embedded Systems Security", "embedded", ["linux", "windows"],
      "https://support.kaspersky.com/kess-linux/3.3.0/233694"),
    P("ksws", "Kaspersky Security for Windows Server", "server", ["windows"],
      "https://support.kaspersky.com/KSWS/11.0.1/de-DE/148327.htm"),
    P("kav-winfs", "Kaspersky Anti-Virus for Windows File Servers", "server", ["windows"], NESSUS),
    P("kav4fs", "Kaspersky Anti-Virus for Linux File Server", "server", ["linux"], GCI),
    P("klms", "Kaspersky Security for Linux Mail Server", "server", ["linux"], GCI),
    P("kics", "Kaspersky Industrial CyberSecurity for Linux Nodes", "embedded", ["linux"],
      "https://support.kaspersky.com/KICS4Linux/1.3/en-US/198107.htm"),
    P("kwts", "Kaspersky Web Traffic Security", "gateway", ["linux"],
      "https://support.kaspersky.com/kwts/6.1/en-US/166243.htm"),
    P("endpoint-agent", "Kaspersky Endpoint Agent", "endpoint", ["windows", "linux"],
      "https://support.kaspersky.com/kea/3.13/197543"),
    P("scanengine", "Kaspersky Scan Engine", "sdk", ["linux", "windows"],
      "https://support.kaspersky.com/scanengine/192973"),
    P("kasperskyos-sdk", "KasperskyOS Community Edition SDK", "sdk", ["linux"],
      "https://support.kaspersky.com/help/KCE/1.3/en-US/sdk_install_and_remove.htm"),
    P("kvrt", "Kaspersky Virus Removal Tool", "tool", ["windows"],
      "https://devbuilds.s.kaspersky-labs.com/devbuilds/KVRT/latest/full/KVRT.exe"),
    P("kavremover", "Kaspersky removal tool (kavremover)", "tool", ["windows", "macos"],
      "https://pastebin.com/R2g17QcD"),
    P("kav-engine-oem", "Kaspersky Anti-Virus Engine (OEM, inside other vendors' products)", "sdk", ["any"],
      "http://www.kaspersky.com/au/partners/oem/oem-project-types/kaspersky_anti-virus_engine",
      branded=False),
    P("parallels-is", "Parallels Internet Security Powered by Kaspersky", "consumer", ["windows"],
      "https://github.com/glpi-project/glpi-agent/blob/develop/resources/macos/SysProfile/sample1.yaml",
      branded=False),
]

# Research "product" column -> catalog owner (a product id, or None for vendor-wide).
OWNER = {
    "Kaspersky (Windows products; minifilter)": None,
    "Kaspersky (Windows products)": None,
    "Kaspersky (all Windows products)": None,
    "Kaspersky (legacy drivers)": None,
    "Kaspersky (legacy)": None,
    "Kaspersky (all products)": None,
    "Kaspersky (all products: updates)": None,
    "Kaspersky (all products: KSN)": None,
    "Kaspersky (web sites)": None,
    "Kaspersky (all Linux products)": None,
    "Kaspersky (Linux products)": None,
    "Kaspersky consumer products": None,
    "Kaspersky consumer products (KAV/KIS/KTS/Standard/Plus/Premium)": None,
    "Kaspersky Endpoint Security for Windows / consumer products": None,
    "Kaspersky Anti-Virus / Endpoint Security for Mac; Network Agent for Mac": "kes-mac",
    "Kaspersky Security Center Network Agent": "klnagent",
    "KSC Network Agent (French build, version unstated)": "klnagent",
    "KSC Network Agent (version unknown)": "klnagent",
    "Kaspersky Security Center Administration Server": "ksc",
    "Kaspersky Security Center Administration Server (Linux)": "ksc",
    "Kaspersky Security Center Web Console": "ksc",
    "KSC Administration Console (French build)": "ksc",
    "Kaspersky Endpoint Security for Linux": "kesl",
    "Kaspersky Endpoint Security for Linux (Astra Linux SE)": "kesl",
    "Kaspersky Endpoint Security for Windows": "kes-windows",
    "Kaspersky Endpoint Security for Windows (example in 12.9 help; version-specific)": "kes-windows",
    "Kaspersky Endpoint Security for Windows (version unknown)": "kes-windows",
    "Kaspersky Security for Windows Server": "ksws",
    "Kaspersky Anti-Virus for Windows File Servers": "kav-winfs",
    "Kaspersky Security for Linux Mail Server": "klms",
    "Kaspersky Anti-Virus for Linux File Server": "kav4fs",
    "Kaspersky Embedded Systems Security for Linux": "kess",
    "Kaspersky Industrial CyberSecurity for Linux Nodes": "kics",
    "Kaspersky Web Traffic Security": "kwts",
    "Kaspersky Security for Virtualization Light Agent": "ksv-la",
    "Kaspersky Scan Engine": "scanengine",
    "KasperskyOS Community Edition SDK": "kasperskyos-sdk",
    "Kaspersky VPN Secure Connection": "vpn",
    "Kaspersky Endpoint Agent": "endpoint-agent",
    "Kaspersky browser extensions": "browser-ext",
    "Kaspersky Safe Kids": "safe-kids",
    "Kaspersky Security & VPN (Kaspersky Internet Security for Android / Mobile Antivirus)": "kms-android",
    "Kaspersky (preinstalled on some Japanese Huawei phones)": "kms-android",
    "Kaspersky Security Cloud": "security-cloud",
    "Kaspersky Endpoint Security for Android": "kes-android",
    "Kaspersky Safe Browser": "safe-browser",
    "Parallels Internet Security Powered by Kaspersky (OEM)": "parallels-is",
}

CONF_RANK = {"weak": 1, "strong": 2, "definitive": 3}

indicators = []
seen = {}


def slug(s):
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", s.lower())
    s = re.sub(r"-{2,}", "-", s).strip("-._")
    return s[:60] or "x"


# The platform of the research row being mapped (None outside map_row).
ROW_PLATFORM = [None]
MAC_ROOTS = ("/Library/", "/Applications/", "/System/", "/Users/", "/private/")


def platforms_of(kind, field, value, match):
    """The roots an indicator is tried on, or None for every platform.

    Paths are tied to their platform's layout: Windows globs start '*?', macOS paths
    live under its own top folders. Windows service, process and driver names mean
    nothing elsewhere. File names (installers, vendor-named files) hold anywhere:
    they are cheap hash lookups and show presence on any host."""
    plat = ROW_PLATFORM[0]
    if kind == "registry":
        return ["windows"]
    if field in ("path", "target") and kind in ("file", "process", "service", "kmod"):
        if value.startswith("*?"):
            return ["windows"]
        if value.startswith(MAC_ROOTS) or plat == "macos":
            return ["macos"]
        if value.startswith("/"):
            return ["linux"]
    if kind in ("service", "process", "kmod") and field == "name" and plat == "windows":
        return ["windows"]
    if kind == "kmod" and field == "name" and value.lower().endswith(".sys"):
        return ["windows"]
    return None


def add(owner, kind, field, value, conf, source, note=None, match="exact", nocase=False,
        platforms=None):
    """Add one indicator; a duplicate keeps the stronger confidence."""
    key = (owner, kind, field, match, nocase, value.lower() if nocase else value)
    if key in seen:
        old = seen[key]
        if CONF_RANK[conf] > CONF_RANK[old["confidence"]]:
            old["confidence"] = conf
            old["source"] = source
        return
    if match == "glob":
        word = slug(value.replace("*", "-any-").replace("?", "-"))
    elif match == "regex":
        word = slug(re.sub(r"\[\[:[a-z]+:\]\]|\[\^?[^\]]*\]|[()|^$+*?\\]", "-", value)) + "-re"
    else:
        word = slug(value)
    base = "%s.%s.%s%s" % (owner or V, kind, field + "." if field != "name" else "", word)
    iid, n = base, 2
    while any(i["id"] == iid for i in indicators):
        iid, n = "%s-%d" % (base, n), n + 1
    ind = {"id": iid}
    if owner:
        ind["product"] = owner
    else:
        ind["vendor"] = V
    ind.update({"kind": kind, "field": field})
    if match != "exact":
        ind["match"] = match
    if nocase:
        ind["nocase"] = True
    ind.update({"value": value, "confidence": conf, "source": source})
    if note:
        ind["note"] = note
    plats = platforms or platforms_of(kind, field, value, match)
    if plats:
        ind["platforms"] = plats
    indicators.append(ind)
    seen[key] = ind


def cap(conf, top):
    return conf if CONF_RANK[conf] <= CONF_RANK[top] else top


def winpath_glob(p):
    """A Windows folder as a glob on the POSIX or Windows spelling of its path:
    drive letters and %VARS% become '*', separators '?' (fnmatch would treat a
    backslash as an escape)."""
    p = re.sub(r"^%ProgramFiles\(x86\)%", "*?Program Files (x86)", p)
    p = re.sub(r"^%ProgramFiles%", "*?Program Files", p)
    p = re.sub(r"^%ProgramData%", "*?ProgramData", p)
    p = re.sub(r"^[A-Za-z]:", "*", p)
    return p.replace("\\", "?")


def ere_escape(s):
    """Escape the POSIX ERE metacharacters of a literal."""
    return re.sub(r"([\\.^$|()\[\]{}*+?])", r"\\\1", s)


def reg_re(p):
    """Registry key path with wildcards -> anchored POSIX ERE."""
    out = []
    for tok in re.split(r"(<AVP\*\|KES\*\|PURE\*>|\*)", p):
        if tok == "<AVP*|KES*|PURE*>":
            out.append("(AVP|KES|PURE)[0-9][^\\\\]*")
        elif tok == "*":
            out.append("[^\\\\]*")
        else:
            out.append(re.sub(r"([\\.^$|()\[\]{}+?])", r"\\\1", tok))
    return "^" + "".join(out) + "$"


def driver_note(notes):
    alts = sorted(set(re.findall(r"altitude (\d+); load order group '([^']+)'", " ".join(notes))))
    if not alts:
        return None
    return "Windows minifilter on Microsoft's altitude list (" + ", ".join(
        "%s %s" % (a, g) for a, g in alts) + ")"


def map_row(r, drivers):
    kind, val, conf, src = r["kind"], r["value"], r["confidence"], r["source_url"]
    owner = OWNER[r["product"]]
    plat = r["platform"]
    if kind == "driver":
        drivers.setdefault(val.lower(), []).append(r)
    elif kind == "registry":
        if val.startswith("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\*"):
            add(None, "package", "name", "(^|[^[:alpha:]])kaspersky", conf, src,
                "an uninstall entry or package whose name mentions the vendor", "regex", True)
        elif "*" in val or "<" in val:
            add(owner, "registry", "path", reg_re(val), conf, src,
                "registry key pattern used by inventory and cleanup tools", "regex", True)
        else:
            add(owner, "registry", "path", val, conf, src, "registry key written by the product",
                nocase=True)
    elif kind == "uninstall_guid":
        add(owner, "registry", "name", val, conf, src,
            "MSI product code (changes between versions and languages)", nocase=True)
    elif kind == "process" and plat == "windows":
        if val == "agent.exe":
            add(owner, "process", "path", "*?Kaspersky Lab?Endpoint Agent?agent.exe", conf, src,
                "agent.exe is a common name; only its install folder identifies it", "glob", True)
        elif owner == "parallels-is":
            add(owner, "process", "path",
                "*?Parallels Internet Security Powered by Kaspersky?avp.exe", conf, src,
                "Kaspersky engine process inside the Parallels-branded product", "glob", True)
        elif val == "klserver":
            add(owner, "process", "name", val, conf, src, "Administration Server daemon")
        else:
            add(owner, "process", "name", val, conf, src, "Windows process image name", nocase=True)
            if val.lower().startswith(("klnagent", "klnagchk", "klmover")):
                add(owner, "file", "name", val, cap(conf, "strong"), src,
                    "Network Agent executable on disk", nocase=True)
    elif kind == "process":
        if val == "klnagent":
            owner = "klnagent"
        if plat == "macos" and val == "kav":
            add(owner, "process", "name", val, "weak", src,
                "short generic name; weak on its own")
        else:
            add(owner, "process", "name", val, conf, src, "daemon or agent executable")
    elif kind == "service" and plat == "windows":
        if val.startswith("AVP<version>"):
            add(None, "service", "name", "^AVP[0-9]+(\\.[0-9]+)*$", conf, src,
                "versioned consumer service name such as AVP21.3", "regex", True)
        else:
            add(owner, "service", "name", val, conf, src, "Windows service name", nocase=True)
    elif kind == "service":
        name = val.split(" ")[0]
        add(owner, "service", "name", name, conf, src, "systemd unit or init script")
        if name in ("kesl.service", "kesl-supervisor.service"):
            add(owner, "service", "name", name[:-len(".service")], conf, src,
                "SysV init script of older releases")
        if name == "klnagent64.service":
            add(owner, "service", "name", "klnagent64", conf, src, "SysV/chkconfig service name")
        if "/etc/init.d/" in val:
            add(owner, "file", "path", "/etc/init.d/" + name, conf, src, "init script")
    elif kind == "path" and plat == "windows":
        if "/" in val:  # a list of installer file names
            for f in [x.strip() for x in val.split("/")]:
                add(owner, "file", "name", f, cap(conf, "strong"), src,
                    "installer package file, not an install", nocase=True)
                if f.endswith("x64.msi"):
                    add(owner, "file", "name", f.replace("x64", "x86"), cap(conf, "strong"), src,
                        "installer package file, not an install", nocase=True)
        elif val.endswith("kl*.sys"):
            add(owner, "file", "path", winpath_glob(val), conf, src,
                "driver files left in the Windows driver folder", "glob", True)
        elif "(fake)" in val:
            add(owner, "file", "name", val.rsplit("\\", 1)[1], conf, src,
                "on-disk copy of the TLS-inspection root", nocase=True)
        elif "<Product name> <version>" in val:
            pass  # expressed per consumer product below
        else:
            add(owner, "file", "path", winpath_glob(val), conf, src,
                "install folder (Windows layout)", "glob", True)
    elif kind == "path":
        if plat == "macos" and val.startswith("~/"):
            for n in ("com.kaspersky.kav.plist", "com.kaspersky.kav2012.plist",
                      "com.kaspersky.kav_agent.plist"):
                add(owner, "file", "name", n, conf, src, "per-user preferences file")
            return
        if "," in val:
            for g in [x.strip() for x in val.split(",")]:
                add(owner, "file", "path", g, conf, src, "installer log", "glob")
            return
        if plat == "macos" and val == "/usr/bin/kav":
            add(owner, "file", "path", val, "weak", src, "CLI symlink; 'kav' is too generic alone")
            return
        if val.startswith("/Library/Receipts/Kaspersky Network Agent"):
            owner = "klnagent"
        if "/klnagent" in val:
            owner = "klnagent"
        v = val.replace("<version>", "*")
        note = "folder of the product" if v.endswith("/") else "file installed by the product"
        v = v.rstrip("/") if len(v) > 1 else v
        if "*" in v:
            add(owner, "file", "path", v, conf, src, note, "glob")
        else:
            add(owner, "file", "path", v, conf, src, note)
        if val.endswith("/") and "*" not in v:
            add(owner, "file", "path", v + "/*", conf, src, "anything inside that folder", "glob")
    elif kind == "package":
        if val.startswith("KasperskyOS"):
            add(owner, "package", "name", "kasperskyos-community-edition*", "strong", src,
                "SDK package; exact name not confirmed", "glob", True)
        else:
            add(owner, "package", "name", val, conf, src, "package name")
    elif kind == "kmod":
        for root in ("/opt/kaspersky/*", "/var/opt/kaspersky/*"):
            add(None, "kmod", "path", root, conf, src,
                "module built or shipped by the product (its name is not documented)", "glob")
    elif kind == "launchd":
        add(owner, "file", "path", val, conf, src, "launchd job definition")
        label = val.rsplit("/", 1)[1][:-len(".plist")]
        add(owner, "bundle", "name", label, conf, src, "launchd job label")
    elif kind == "bundle_id":
        for b in [x.strip() for x in val.split("/")]:
            if b.endswith("*"):
                add(owner, "bundle", "name", b, conf, src, "kernel extension id family", "glob")
            else:
                o = "klnagent" if b.endswith("wksconnector") else owner
                add(o, "bundle", "name", b, conf, src, "bundle, receipt or authorization id")
                if "receipt" in (r.get("note") or ""):
                    add(o, "package", "name", b, conf, src,
                        "installer receipt id (pkgutil --pkgs, /var/db/receipts)",
                        platforms=["macos"])
    elif kind == "browser_ext":
        add(owner, "extension", "name", val, conf, src, "browser extension id")
        if re.fullmatch(r"[a-p]{32}", val):
            add(owner, "file", "name", val, conf, src,
                "Chromium profile folder named after the extension id")
        if val.endswith(".safariextz"):
            add(owner, "file", "name", val, conf, src, "Safari extension archive", nocase=True)
    elif kind == "mobile_app":
        if "/" in val:
            return  # an accessibility component inside com.kms.free
        add(owner, "bundle", "name", val, conf, src, "%s application id" % plat)
    elif kind == "domain":
        if val == "kaspersky-safe-kids.firebaseio.com":
            owner = "safe-kids"
        if val.startswith("*."):
            add(owner, "domain", "name", val, conf, src, "any host under the vendor domain",
                "glob", True)
        else:
            add(owner, "domain", "name", val, conf, src, "vendor service host", nocase=True)
    elif kind == "signer":
        add(owner, "signer", "name", val, conf, src, "code-signing or company name", nocase=True)
    elif kind == "cert":
        if val.startswith("CN="):
            add(owner, "cert", "name", "Kaspersky Anti-Virus Personal Root Certificate", conf, src,
                "TLS-inspection root added by the consumer line", nocase=True)
            for f in ("subject", "issuer"):
                add(owner, "cert", f,
                    "(^|[,/])[[:space:]]*CN[[:space:]]*=[[:space:]]*"
                    "Kaspersky Anti-Virus Personal Root Certificate[[:space:]]*([,/]|$)",
                    conf, src, "TLS-inspection root in any DN spelling", "regex", True)
        # the Firefox row is advice, not an indicator
    else:
        raise SystemExit("unmapped research row: %r" % r)


PE_PRODUCT_NOTE = ("PE version resource ProductName is the product's name (the uninstall "
                   "display name the source gives); a string inside a binary, not a folder name")


def hand_written():
    """Vendor-wide heuristics and per-product rows the research states in prose."""
    add(None, "package", "publisher", "(^|[^[:alpha:]])kaspersky", "strong", KESL_PKG,
        "package maintainer or vendor names Kaspersky", "regex", True)
    add(None, "package", "description", "(^|[^[:alpha:]])kaspersky", "weak", POSH,
        "package summary mentions the vendor", "regex", True)
    add(None, "file", "name", "*kaspersky*", "weak", POSH,
        "any file or folder carrying the vendor name; may be unrelated", "glob", True)
    add(None, "file", "name", "com.kaspersky.*", "strong", MAC_GIST,
        "file named after a Kaspersky reverse-DNS id", "glob", True)
    add(None, "bundle", "name", "com.kaspersky.*", "strong", MAC_GIST,
        "bundle or receipt id in the vendor namespace", "glob", True)
    add(None, "extension", "name", "*@kaspersky.com", "strong", MAC_GIST,
        "Firefox add-on id in the vendor namespace", "glob", True)
    # Display names of the extensions (research section 6); any extension may copy a
    # name, so a name alone is weak: the ids above are the strong evidence.
    KIS_EXT = "https://hackerone.com/reports/470519"
    add("browser-ext", "extension", "description", "Kaspersky Protection", "weak", KIS_EXT,
        "display name of the extension Kaspersky Internet Security installs", nocase=True)
    for n in ("Kaspersky URL Advisor", "Kaspersky Virtual Keyboard"):
        add("browser-ext", "extension", "description", n, "weak", MAC_GIST,
            "display name of a legacy Kaspersky extension", nocase=True)
    add(None, "extension", "description", "(^|[^[:alpha:]])kaspersky", "weak", KIS_EXT,
        "extension display name mentions the vendor (detector approach of section 6)",
        "regex", True)
    add(None, "process", "path", "/opt/kaspersky/*", "strong", NAGENT_PATHS,
        "process running from the vendor's install root", "glob")
    add(None, "process", "target", "/opt/kaspersky/*", "strong", NAGENT_PATHS,
        "command line starts in the vendor's install root", "glob")
    add(None, "service", "target", "/opt/kaspersky/*", "strong", NAGENT_PATHS,
        "service starts a program from the vendor's install root", "glob")
    add(None, "kmod", "publisher", "(^|[^[:alpha:]])kaspersky", "weak", KESL_KMOD,
        "module author field names the vendor", "regex", True)
    add(None, "cert", "publisher", "AO Kaspersky Lab", "strong", GCI,
        "certificate subject organisation is the vendor", nocase=True)
    add(None, "cert", "publisher", "(^|[^[:alpha:]])kaspersky", "weak", GCI,
        "certificate organisation mentions the vendor", "regex", True)
    add(None, "signer", "name", "(^|[^[:alpha:]])kaspersky", "strong", POSH,
        "signer mentions the vendor (case-insensitive substring)", "regex", True)
    # PE version resources and Authenticode signers (source win-files). The research
    # has no retrieved CompanyName string; it expects the signer names, which it has.
    for name, src in (("AO Kaspersky Lab", GCI), ("Kaspersky Lab", MS_ALT)):
        add(None, "file", "publisher", name, "strong", src,
            "PE version resource CompanyName is the vendor (expected to match the signer "
            "names; not confirmed by a retrieved source)", nocase=True)
        add(None, "signer", "publisher", name, "strong", src,
            "Authenticode signer organisation (O=) is the vendor", nocase=True)
    add(None, "file", "publisher", "*kaspersky*", "weak", POSH,
        "PE CompanyName mentions the vendor", "glob", True)
    add(None, "signer", "publisher", "(^|[^[:alpha:]])kaspersky", "strong", POSH,
        "signer organisation mentions the vendor (case-insensitive substring)", "regex", True)
    add(None, "domain", "name", "kaspersky.com", "strong", V2FLY, "vendor domain", nocase=True)
    add(None, "domain", "name", "kaspersky-labs.com", "strong", V2FLY, "vendor domain", nocase=True)

    # Windows registry (read offline by win-software): the KES product key. The Nessus plugin
    # names products by their protected\<product> key and trusts one only with an environment
    # subkey; KES<version> is the Endpoint Security key (the quick map's "KasperskyLab\protected\KES*").
    for view in ("", "WOW6432Node\\\\"):
        add("kes-windows", "registry", "path",
            "^HKLM\\\\SOFTWARE\\\\" + view + "KasperskyLab\\\\protected\\\\KES[0-9][^\\\\]*\\\\environment$",
            "strong", NESSUS, "product registration key of Endpoint Security for Windows", "regex", True)
    # Uninstall entries written in Russian: the legal name's Russian spellings (vendor aliases).
    for pub in ("АО Лаборатория Касперского", "ЗАО Лаборатория Касперского", "Лаборатория Касперского"):
        add(None, "package", "publisher", pub, "strong", "https://support.kaspersky.co.uk/9717",
            "Russian form of the legal entity name (uninstall entry Publisher)", nocase=True)

    # Drivers named in the cleanup list as services.
    for s in ("klif", "klim5"):
        add(None, "service", "name", s, "weak", CLEANUP, "driver service key", nocase=True)
    # macOS kernel extensions (paths from the vendor uninstall script).
    mac_src = ("github-code-index: 'Kaspersky Anti-Virus for Mac uninstallation script' "
               "(repository not identified)")
    for k in ("klif.kext", "klnke.kext", "klnkeinterceptors.kext"):
        add("kes-mac", "file", "path", "/System/Library/Extensions/" + k, "strong", mac_src,
            "kernel extension bundle")
        add("kes-mac", "kmod", "name", k, "strong", mac_src,
            "kernel extension bundle name (in /System/Library/Extensions or /Library/Extensions)",
            platforms=["macos"])
    # macOS install root: launchd jobs and processes that run from it.
    mac_root = "/Library/Application Support/Kaspersky Lab/"
    add(None, "service", "target", mac_root + "*", "strong", MAC_GIST,
        "launchd job runs a program from the vendor's macOS install root", "glob")
    add(None, "process", "path", mac_root + "*", "strong", MAC_GIST,
        "process running from the vendor's macOS install root", "glob")
    add("kes-mac", "service", "target", mac_root + "KAV/*", "strong", mac_src,
        "launchd job runs the anti-virus daemon (KAV/Binaries/kav)", "glob")
    add("klnagent", "service", "target", mac_root + "klnagent/*", "strong", mac_src,
        "launchd job runs Network Agent for Mac (klnagent/Binaries/klnagent)", "glob")
    # Bundle ids of current Kaspersky for Mac builds, seen in public code (window-manager
    # rules naming the menu-bar agent; a write-up of the system extension's XPC service
    # "2Y8XE5CQ94.com.kaspersky.kav.sysext"); the research lists them as open items.
    add("kes-mac", "bundle", "name", "com.kaspersky.kav_agent", "strong", GCI,
        "menu-bar agent app (kav_agent), also its preferences file name")
    add("kes-mac", "bundle", "name", "com.kaspersky.kav.sysext", "strong", GCI,
        "system extension (network and file filter) of KES / Kaspersky for Mac 12+")
    add(None, "package", "name", "com.kaspersky.*", "strong", MAC_GIST,
        "installer receipt id in the vendor namespace", "glob", platforms=["macos"])
    add("kes-mac", "file", "path", "/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav",
        "strong", mac_src, "main daemon binary")
    add("klnagent", "file", "path",
        "/Library/Application Support/Kaspersky Lab/klnagent/Binaries/klnagent", "strong", mac_src,
        "Network Agent binary on macOS")
    add("kes-mac", "file", "path", "/Library/Logs/Kaspersky Lab/*", "strong", mac_src,
        "log files", "glob")
    add("kavremover", "file", "name", "kavremover-mac.dmg", "weak",
        "https://github.com/falconsoft3d/marlonfalconcom/blob/main/pages/posts/como-desintalar-kaspersky-en-mac.md",
        "downloaded removal tool image", nocase=True)
    add("kavremover", "file", "name", "kavremvr.exe", "weak", "https://pastebin.com/R2g17QcD",
        "removal tool executable", nocase=True)
    add("kvrt", "file", "name", "KVRT.exe", "weak",
        "https://devbuilds.s.kaspersky-labs.com/devbuilds/KVRT/latest/full/KVRT.exe",
        "downloaded removal tool", nocase=True)
    add("kes-windows", "file", "name", "setup_kes.exe", "weak",
        "https://support.kaspersky.com/KESWin/11.7.0/en-US/123468.htm", "installer", nocase=True)
    add("endpoint-agent", "file", "name", "endpointagent.msi", "weak",
        "https://support.kaspersky.com/KEA/4.0/en-US/200903.htm", "installer", nocase=True)
    add("ksv-la", "file", "name", "lightagent-*-bundle.sh", "weak",
        "https://support.kaspersky.com/ksvla/5.1/ru-RU/94972.htm", "self-extracting installer",
        "glob")
    add("ksv-la", "file", "name", "ksvla-components_*_mlg.exe", "weak",
        "https://support.kaspersky.com/KSVLA/6.3/zh-Hans/255960.htm",
        "Integration Server components installer", "glob", True)
    add("kav4fs", "file", "name", "kav4fs_*.deb", "weak", GCI, "downloaded package", "glob")
    # Linux product folders the quick map names beside their setup scripts.
    for pid, conf in (("kess", "weak"), ("kics", "weak"), ("klms", "weak"), ("kav4fs", "weak")):
        add(pid, "file", "path", "/opt/kaspersky/" + pid, conf, GCI, "product folder")
        add(pid, "file", "path", "/opt/kaspersky/%s/*" % pid, conf, GCI,
            "anything inside the product folder", "glob")
    add("kesl", "file", "path", "/var/opt/kaspersky/kesl", "definitive",
        "https://support.kaspersky.co.uk/kes-for-linux/12.1.0/197654", "data folder")
    add("kesl", "file", "path", "/var/opt/kaspersky/kesl/*", "definitive",
        "https://support.kaspersky.co.uk/kes-for-linux/12.1.0/197654", "anything in the data folder",
        "glob")
    # Consumer products: Windows install folders and uninstall display names.
    consumer = {
        "kav": "Kaspersky Anti-Virus", "kis": "Kaspersky Internet Security",
        "kts": "Kaspersky Total Security", "ksos": "Kaspersky Small Office Security",
        "kfree": "Kaspersky Free", "kaspersky-standard": "Kaspersky Standard",
        "kaspersky-plus": "Kaspersky Plus", "kaspersky-premium": "Kaspersky Premium",
        "security-cloud": "Kaspersky Security Cloud", "safe-kids": "Kaspersky Safe Kids",
        "vpn": "Kaspersky VPN Secure Connection",
    }
    folder_src = "https://pastebin.com/5e3pRrXH"
    for pid, name in consumer.items():
        add(pid, "file", "path", "*?Kaspersky Lab?%s [0-9]*" % name, "weak", folder_src,
            "versioned install folder '<product> <version>'", "glob", True)
        add(pid, "package", "name", "^%s( [0-9]+(\\.[0-9]+)*)?$" % ere_escape(name),
            "weak", POSH, "uninstall entry display name", "regex", True)
        add(pid, "file", "description", name, "strong", POSH, PE_PRODUCT_NOTE, nocase=True)
        add(pid, "file", "description", name + " [0-9]*", "strong", POSH, PE_PRODUCT_NOTE, "glob",
            True)
    add("kes-windows", "package", "name", "^Kaspersky Endpoint Security( [0-9]+(\\.[0-9]+)*)? for Windows",
        "weak", POSH, "uninstall entry display name", "regex", True)
    add("klnagent", "package", "name", "^Kaspersky Security Center( [0-9]+(\\.[0-9]+)*)? Network Agent",
        "weak", POSH, "uninstall entry display name", "regex", True)
    # Globs, not regexes: the lint keeps regexes off file fields (the full walk).
    add("kes-windows", "file", "description", "Kaspersky Endpoint Security*for Windows", "strong",
        POSH, PE_PRODUCT_NOTE, "glob", True)
    add("klnagent", "file", "description", "Kaspersky Security Center*Network Agent", "strong",
        POSH, PE_PRODUCT_NOTE, "glob", True)
    add("parallels-is", "file", "name", "Parallels Internet Security Powered by Kaspersky*", "strong",
        "https://github.com/glpi-project/glpi-agent/blob/develop/resources/macos/SysProfile/sample1.yaml",
        "folder or application stub of the OEM product", "glob", True)


def finish_drivers(drivers):
    for low, rows in sorted(drivers.items()):
        best = max(rows, key=lambda r: CONF_RANK[r["confidence"]])
        conf, src = best["confidence"], best["source_url"]
        note = driver_note([r.get("note", "") for r in rows]) or "Kaspersky kernel driver"
        name = best["value"]
        add(None, "kmod", "name", name, conf, src, note, nocase=True)
        add(None, "file", "name", name, cap(conf, "strong"), src, "driver file: " + note,
            nocase=True)


DIRECTIVES = [
    {
        "id": "dhs-bod-17-01", "short_name": "BOD 17-01",
        "title": "Removal of Kaspersky-branded Products",
        "instrument": "binding_operational_directive",
        "issuer": "U.S. Department of Homeland Security",
        "issued": "2017-09-13", "vendors": [V], "scope": "branded_only",
        "exclusions": ("Covers the Kaspersky brand only: Kaspersky code embedded in other "
                       "companies' products is not addressed, nor are the Kaspersky Threat "
                       "Intelligence and Kaspersky Security Training services. National security "
                       "systems and certain DoD/IC systems are outside the directive."),
        "milestones": [
            {"id": "M1", "name": "identify: report products found (or none), endpoints per product "
             "and method", "anchor": "issued_date", "offset": 30, "unit": "calendar_days",
             "action": "identify"},
            {"id": "M2", "name": "plan: detailed plan of action to remove the products",
             "anchor": "issued_date", "offset": 60, "unit": "calendar_days", "action": "plan"},
            {"id": "M3", "name": "remove: begin carrying out the plan unless DHS directs otherwise",
             "anchor": "issued_date", "offset": 90, "unit": "calendar_days", "action": "remove"},
            {"id": "M4", "name": "report: status every 30 days until full removal",
             "anchor": "previous_milestone", "offset": 30, "unit": "calendar_days",
             "action": "report"},
        ],
        "source": BOD,
    },
    {
        "id": "ndaa-fy18-1634", "short_name": "NDAA FY2018 §1634",
        "title": "Prohibition on use of products and services developed or provided by Kaspersky Lab "
                 "(Pub. L. 115-91, §1634)",
        "instrument": "statute", "issuer": "U.S. Congress",
        "issued": "2017-12-12", "effective": "2018-10-01", "vendors": [V],
        "scope": "in_whole_or_in_part",
        "exclusions": ("No product or service carve-out; hardware, software and services are "
                       "covered, including Kaspersky code inside other products. The enactment day "
                       "(12 Dec 2017) is not confirmed by the sources consulted."),
        "source": "https://wifcon.com/dodauth18/dod18_1634.htm",
    },
    {
        "id": "far-52.204-23", "short_name": "FAR 52.204-23",
        "title": "Prohibition on Contracting for Hardware, Software, and Services Developed or "
                 "Provided by Kaspersky Lab Covered Entities",
        "instrument": "regulation_clause",
        "issuer": "FAR Council (DoD, GSA, NASA)",
        "issued": "2018-06-15", "effective": "2018-07-16", "vendors": [V],
        "scope": "in_whole_or_in_part",
        "exclusions": ("Contract clause: a contractor that identifies a covered article reports it "
                       "to the Contracting Officer (DoD: https://dibnet.dod.mil). The first report "
                       "is due in 3 business days under the clause as amended by FAC 2023-06; the "
                       "JUL 2018 clause allowed 1 business day, so check the clause date in the "
                       "contract."),
        "milestones": [
            {"id": "R1", "name": "initial report to the Contracting Officer (1 business day under "
             "the JUL 2018 clause)", "anchor": "discovery_event", "offset": 3,
             "unit": "business_days", "action": "notify"},
            {"id": "R2", "name": "follow-up report: mitigation, prevention, reasons",
             "anchor": "previous_milestone", "offset": 10, "unit": "business_days",
             "action": "report"},
        ],
        "source": ("https://github.com/GSA/GSA-Acquisition-FAR/blob/"
                   "e11bba2cad6ba33d3fdc89a3af60f7987f97790b/dita/52.204-23.dita"),
    },
    {
        "id": "bis-icts-2021-002", "short_name": "BIS ICTS-2021-002",
        "title": "Final Determination: Case No. ICTS-2021-002, Kaspersky Lab, Inc. (89 FR 52434)",
        "instrument": "agency_determination",
        "issuer": "U.S. Department of Commerce, Bureau of Industry and Security (OICTS)",
        "issued": "2024-06-20", "vendors": [V], "scope": "integrated_or_white_label",
        "exclusions": ("Binds Kaspersky, not end users: existing installs stay legal but stop "
                       "receiving updates. Kaspersky Threat Intelligence, Kaspersky Security "
                       "Training and purely informational or educational consulting are not "
                       "covered."),
        "milestones": [
            {"id": "B1", "name": "no new agreements with U.S. persons", "anchor": "absolute",
             "date": "2024-07-20", "action": "notify"},
            {"id": "B2", "name": "no signature or code updates, no KSN, no resale or integration",
             "anchor": "absolute", "date": "2024-09-29", "action": "stop_updates"},
        ],
        "source": "https://regulations.justia.com/regulations/fedreg/2024/06/24/2024-13532.html",
    },
]


def check(cat):
    ids = {}
    for arr in ("vendors", "products", "indicators", "directives"):
        s = set()
        for o in cat[arr]:
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]*", o["id"]), o["id"]
            assert o["id"] not in s, "duplicate id %s" % o["id"]
            s.add(o["id"])
        ids[arr] = s
    used = set()
    for i in cat["indicators"]:
        assert ("product" in i) != ("vendor" in i)
        assert i.get("product", "x") in ids["products"] | {"x"}, i
        assert i.get("vendor", V) in ids["vendors"], i
        assert i["source"] and len(i["value"].encode()) <= 1024
        used.add(i.get("product"))
        if i.get("match") == "regex":
            v = i["value"]
            assert "\\d" not in v and "(?" not in v and "*?" not in v and "+?" not in v, v
            re.compile(v.replace("[[:alpha:]]", "a-zA-Z").replace("[[:space:]]", "\\s")
                       .replace("[^[:alpha:]]", "[^a-zA-Z]"))
        if i.get("match") == "glob":
            assert any(c in i["value"] for c in "*?["), i
        elif i.get("match", "exact") == "exact" and i["kind"] != "registry":
            assert not any(c in i["value"] for c in "*?["), i
    for p in cat["products"]:
        if p["id"] not in used and p["id"] not in ("kav-engine-oem",):
            print("note: product %s has no indicator" % p["id"], file=sys.stderr)


def main():
    research, out = sys.argv[1:3]
    rows = json.load(open(research, encoding="utf-8"))
    drivers = {}
    for r in rows:
        ROW_PLATFORM[0] = r["platform"]
        map_row(r, drivers)
    ROW_PLATFORM[0] = None
    finish_drivers(drivers)
    hand_written()
    cat = {
        "schema": "excise.catalog/1", "id": "excise-stock", "version": "2026.11.22",
        "serial": 2026112201, "issued": "2026-11-22",
        "vendors": VENDORS, "products": PRODUCTS, "indicators": indicators,
        "directives": DIRECTIVES,
    }
    check(cat)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cat, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("%d products, %d indicators" % (len(PRODUCTS), len(indicators)), file=sys.stderr)


if __name__ == "__main__":
    main()
