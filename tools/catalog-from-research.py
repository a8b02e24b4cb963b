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


def P(pid, name, family, platforms, source, branded=True, removal=None, places=None):
    d = {"id": pid, "vendor": V, "name": name, "family": family, "platforms": platforms,
         "source": source}
    if not branded:
        d["branded"] = False
    if removal:
        d["removal"] = removal
    if places:
        d["places"] = places
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


# The consumer products and the names their Windows installers give them.
CONSUMER_NAMES = {
    "kav": "Kaspersky Anti-Virus", "kis": "Kaspersky Internet Security",
    "kts": "Kaspersky Total Security", "ksos": "Kaspersky Small Office Security",
    "kfree": "Kaspersky Free", "kaspersky-standard": "Kaspersky Standard",
    "kaspersky-plus": "Kaspersky Plus", "kaspersky-premium": "Kaspersky Premium",
    "security-cloud": "Kaspersky Security Cloud", "safe-kids": "Kaspersky Safe Kids",
    "vpn": "Kaspersky VPN Secure Connection",
}


def linux_pkgs(*names):
    return [{"kind": "dpkg", "packages": list(names)}, {"kind": "rpm", "packages": list(names)}]


# Sources of the localised product names.
KES_DE = "https://support.kaspersky.com/Cloud/1.0/de-DE/138148.htm"  # "Kaspersky Endpoint Security für Windows"
KES_FR = "https://support.kaspersky.com/KESWin/12.1/fr-FR/50362.htm"  # French help keeps "for Windows"
KES_IT = "https://support.kaspersky.it/kes-cloud/1.0/243000"  # Italian help keeps "for Windows"
KES_JA = "https://support.kaspersky.com/KESWin/12.3/ja-JP/50362.htm"  # Japanese help keeps "for Windows"
KES_EN = "https://support.kaspersky.com/keswin/12.9/en-us/184545.htm"
# A KSC OpenAPI audit tool listing the products of a Russian-language fleet by the names
# their installs report: "Kaspersky Endpoint Security для Windows (12.*.0)", "Kaspersky
# Security для Windows Server", "Kaspersky Endpoint Security 12.2 для Linux", "Kaspersky
# Endpoint Security для Mac (12.1)", "Агент администрирования Kaspersky Security Center",
# "Kaspersky Security для виртуальных сред 5.2 Легкий агент для Windows".
RU_FLEET = "https://github.com/Jon-Makkonahi/kaspersky-settings-parser/blob/HEAD/README.md"
RU_NAGENT = "https://support.kaspersky.com/KICSforNetworks/4.2/ru-RU/214387.htm"
FR_NAGENT = "https://support.kaspersky.com/KES4Linux/12.1.0/fr-FR/263909.htm"  # "l'Agent d'administration"
RU_KSVLA = "https://support.kaspersky.com/ksvla/5.1/ru-RU/94972.htm"
KSWS_EN = "https://support.kaspersky.com/KSWS/11.0.1/en-US/146612.htm"
KSWS_FOLDER = "https://support.kaspersky.com/KSWS/11/de-DE/147612.htm"
KSVLA_EN = "https://support.kaspersky.com/ksvla/6.3/en-US/179792.htm"
KESS_WIN = "https://support.kaspersky.com/help/KESS/3.3/zh-Hans/147622.htm"
KICS_NODES = "https://support.kaspersky.com/kics-for-nodes/3.2/146705"
KICS4NET = "https://support.kaspersky.com/kics-for-networks/3.1/130677"
KPM_HELP = "https://support.kaspersky.com/help/KPM/Win24.0/en-US/130515.htm"
KSEC_HELP = "https://support.kaspersky.com/de/ksec-for-windows/5.17/233596"
KSK_HELP = "https://support.kaspersky.com/help/KSK/Win23.0/pt-PT/237222.htm"
KFL = "https://support.kaspersky.com/help/Kaspersky/Linux2.0/en-US/284344.htm"
KSC_FOLDER = ("https://support.kaspersky.com/help/KSVLA/API/6.1/en-US/"
              "Examples_of_using_KSC_OpenAPI_in_KSV6.1LA.pdf")
KSOS_GIST = "https://gist.github.com/HiteaFR/f58f7ac21609ec05e43b1ae5fd61cd79"
# Kaspersky Security Cloud for Mac 21 help, "Creating a trace file": trace files in
# ~/Library/Logs/Kaspersky Lab/ and /Library/Logs/Kaspersky Lab/.
KSCLOUD_MAC = "https://support.kaspersky.com/fr/kscloud21mac/59664"
KESL_SETUP = "https://support.kaspersky.com/KES4Linux/11.1.0/ru-RU/196586.htm"
KESL_DATA = "https://support.kaspersky.co.uk/kes-for-linux/12.1.0/197654"
KESL_INITD = ("https://github.com/SigmaHQ/sigma/blob/da9bb07d642a2826e89702445d32c795209ec108/rules/"
              "linux/process_creation/proc_creation_lnx_av_kaspersky_av_disabled.yml")
NAGENT_BIN = "https://support.kaspersky.com/KES4Linux/11/en-US/161353.htm"
NAGENT_LINUX = "https://support.kaspersky.com/KES4Linux/10.1.1/en-US/161235.htm"
NAGENT_COMPONENT = "https://support.kaspersky.com/help/KSC/14/KSCAPI/a00258.html"  # product 1103 = Network Agent
CHECKMK = ("https://github.com/Checkmk/checkmk/blob/b40602d7b1869bd346ea5a67cad97453456a85be/agents/"
           "windows/plugins/kaspersky_av_client.ps1")
MALICE = "https://github.com/malice-plugins/kaspersky/blob/master/Dockerfile"
KAV4FS_DEB = ("https://products.s.kaspersky-labs.com/multilanguage/file_servers/kavlinuxserver8.0/"
              "kav4fs_8.0.4-312_i386.deb")
CWS_KP = "https://chrome.google.com/webstore/detail/kaspersky-protection/ahkjpbeeocnddjkakilopmfdlnjdpcdm"
# A Chrome profile committed to a public repository with Kaspersky Protection 2.4.33.0 in
# Extensions/<id>/: its manifest (native messaging, the extension's public key) and scripts
# that connect to the native host com.kaspersky.ahkjpbeeocnddjkakilopmfdlnjdpcdm.host.
KP_PROFILE = ("https://github.com/nguyenhoan1901/CrawlData/tree/f84bb05e6ad937ab116f6a669590ba22b3c700c3/"
              "crawl-marinetraffic/profile/Default/Extensions/ahkjpbeeocnddjkakilopmfdlnjdpcdm/2.4.33.0_0")
TDSS = "https://media.kaspersky.com/utilities/VirusUtilities/EN/tdsskiller.exe"
KRD = "https://rescuedisk.s.kaspersky-labs.com/updatable/2018/krd.iso"
KVRT_URL = "https://devbuilds.s.kaspersky-labs.com/devbuilds/KVRT/latest/full/KVRT.exe"
WINGET = "https://github.com/microsoft/winget-pkgs/blob/master/manifests/k/Kaspersky/"
WINGET_APP = WINGET + "Kaspersky/21.9.6.465/Kaspersky.Kaspersky.locale.en-US.yaml"
WINGET_VPN = (WINGET + "KasperskyVPNSecureConnection/21.9.6.465/"
              "Kaspersky.KasperskyVPNSecureConnection.installer.yaml")
RU_LEGAL = "https://support.kaspersky.ru/help/Kaspersky/Linux2.0/ru-RU/all-in-one.htm"
KSN_NOTICE = "https://support.kaspersky.co.uk/9717"
# Russian user guides: Kaspersky Internet Security 2010 keeps its English name and is the
# property of ЗАО «Лаборатория Касперского»; Anti-Virus is «Антивирус Касперского».
RU_KIS2010 = "https://www.slideshare.net/slideshow/kis2010-ru/6466762"
RU_KAV7 = "https://manualmachine.com/kasperskylab/antivirus70/13857555-user-manual"
KS4EXCHANGE = "https://support.kaspersky.com/ks4exchange/9.6/en-us/196766.htm"
# KLMS 8.2 help: "/opt/kaspersky/klms/bin/klms-control --get-settings Auth ...", scripts in
# /etc/opt/kaspersky/klms/scripts
KLMS_CTRL = "https://support.kaspersky.com/KLMS/8.2/ru-RU/65337.htm"
# KESS 3.3 and KICS for Linux Nodes 1.5 help: "/opt/kaspersky/kess/bin/kess-setup.pl --autoinstall=...",
# "/opt/kaspersky/kics/bin/kics-setup.pl --autoinstall = ..."
KESS_SETUP = "https://support.kaspersky.com/help/KESSLinux/3.3.0/en-US/197909.htm"
KICS_SETUP = "https://support.kaspersky.com/KICS4Linux/1.5/en-US/197909.htm"
# KESL 11 help: "Der Befehl kesl-control" (the application's command-line tool)
KESL_CONTROL = "https://support.kaspersky.com/KES4Linux/11/de-DE/161258.htm"
# Scan Engine distribution kit: executables of the kavhttpd and kavicapd services
SCANENGINE_KIT = "https://support.kaspersky.com/us/scanengine/184793"
# A KWTS quick-install note: /opt/kaspersky/kwts/bin/setup.py -i, /opt/kaspersky/kwts/bin/kwts-control
KWTS_GIST = "https://gist.github.com/c-rosenberg/561d31f793842a3c0a50a1772d9feaf3"
# OpenVAS Kaspersky AntiVirus detection: Uninstall DisplayNames with "Anti-Virus" and
# "Windows Workstations", or "Anti-Virus" and "File Servers".
NVT_AV = ("https://github.com/Clivebi/nvtscript/blob/65a8f07886c2ef2c10517168b7a872d9bf0dd255/"
          "gb_kaspersky_av_detect.sc")
# "Kaspersky Security 9.0 for Microsoft SharePoint Server" (guide) / "for SharePoint Server" (help)
KS4SP = "https://support.kaspersky.co.jp/KS4Sharepoint/9.3/en-US/36713.htm"
KS4SP_GUIDE = ("https://1library.net/document/z1d0r948-kaspersky-security-microsoft-sharepoint-server-"
               "administrator-s-guide.html")
# German KSWS help: "%ProgramFiles%\Kaspersky Lab\Kaspersky Security für Windows Server\"
KSWS_DE = "https://support.kaspersky.com/KSWS/11/de-DE/147612.htm"
# "rpm -i ksmg-2.1.1-8310.x86_64.rpm", "dpkg -i ksmg_2.1.1-8310_amd64.deb"
KSMG_PKG = "https://support.kaspersky.com/KSMG/2.1.1/en-US/34718.htm"
# Light Agent solution, Linux Integration Server: "ksvla-viis_<build>_amd64.deb", the viis service
KSVLA_VIIS = "https://support.kaspersky.com/KSVLA/6.4/en-US/58143.htm"
# KICS for Linux Nodes 1.5: kics-1.5.0-<build>.x86_64.rpm, kics-gui_1.5.0-<build>_amd64.deb
KICS_PKGS = "https://support.kaspersky.com/KICS4Linux/1.5/en-US/273064.htm"



# Where each product lives (docs/catalog-format.md, "Places"): evidence at or under a
# place belongs to the product with the most specific place, so Network Agent files under
# /opt/kaspersky/klnagent64 go to klnagent, not to the KESL beside it. Sources:
#   kesl: /opt/kaspersky/kesl (KESL_SETUP), /var/opt/kaspersky/kesl (KESL_DATA)
#   klnagent: /opt/kaspersky/klnagent64, /opt/kaspersky/klnagent, Windows NetworkAgent folder
#     (NAGENT_PATHS, NAGENT_BIN); Components\34\1103 keys (NAGENT_COMPONENT, CHECKMK);
#     macOS klnagent and klnagent_conf folders (MAC_GIST and the vendor uninstall script)
#   kes-windows: KasperskyLab\protected\KES* keys (NESSUS); install folder
#     "Kaspersky Lab\Kaspersky Endpoint Security for Windows" (research 2.4, code index)
#   kes-mac: /Library/Application Support/Kaspersky Lab/KAV (MAC_GIST), the app bundles
#   ksc: "Kaspersky Lab\Kaspersky Security Center" (KSC_FOLDER)
#   consumer: "Kaspersky Lab\<Product> <version>" (pastebin 5e3pRrXH, KSOS_GIST); the
#     product keys AVP<version> are shared by the consumer line and attribute to none
#   ksws: "Kaspersky Lab\Kaspersky Security for Windows Server" (KSWS_FOLDER)
#   endpoint-agent: "Kaspersky Lab\Endpoint Agent" (https://support.kaspersky.com/kea/3.13/197543);
#     on Linux its trace folder /var/log/kaspersky/epagent (KEA_LINUX_TRACES)
#   scanengine: /opt/kaspersky/ScanEngine (https://support.kaspersky.com/ScanEngine/2.1/en-US/210245.htm)
#   kav4fs: /opt/kaspersky/kav4fs (MALICE); kess, kics, klms: /opt/kaspersky/<id> (research 3.2)
#   kwts: /opt/kaspersky/kwts (KWTS_GIST, its setup.py and kwts-control)
#   kasperskyos-sdk: /opt/KasperskyOS-Community-Edition-<version> (KCE help)
#   parallels-is: Parallels\Parallels Internet Security Powered by Kaspersky (GLPI sample)
PF = "/Program Files*/Kaspersky Lab/"


def consumer_places(name):
    return {"windows": [PF + name + " *"]}


PLACES = {
    "kesl": {"linux": ["/opt/kaspersky/kesl", "/var/opt/kaspersky/kesl"]},
    "klnagent": {
        "linux": ["/opt/kaspersky/klnagent64", "/opt/kaspersky/klnagent"],
        "windows": [PF + "NetworkAgent", "HKLM\\SOFTWARE\\KasperskyLab\\Components\\34\\1103",
                    "HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\Components\\34\\1103"],
        "macos": ["/Library/Application Support/Kaspersky Lab/klnagent",
                  "/Library/Application Support/Kaspersky Lab/klnagent_conf",
                  "/Library/Receipts/Kaspersky Network Agent.pkg"],
    },
    "kes-windows": {"windows": [PF + "Kaspersky Endpoint Security for Windows",
                                "HKLM\\SOFTWARE\\KasperskyLab\\protected\\KES*",
                                "HKLM\\SOFTWARE\\WOW6432Node\\KasperskyLab\\protected\\KES*"]},
    "kes-mac": {"macos": ["/Library/Application Support/Kaspersky Lab/KAV",
                          "/Applications/Kaspersky Anti-Virus For Mac.app",
                          "/Applications/Kaspersky Anti-Virus.app", "/Library/Logs/Kaspersky Lab"]},
    "ksc": {"windows": [PF + "Kaspersky Security Center"], "linux": ["/var/opt/kaspersky/klnagent_srv"]},
    "kav": consumer_places("Kaspersky Anti-Virus"),
    "kis": consumer_places("Kaspersky Internet Security"),
    "kts": consumer_places("Kaspersky Total Security"),
    "ksos": consumer_places("Kaspersky Small Office Security"),
    "kfree": consumer_places("Kaspersky Free"),
    "kaspersky-standard": consumer_places("Kaspersky Standard"),
    "kaspersky-plus": consumer_places("Kaspersky Plus"),
    "kaspersky-premium": consumer_places("Kaspersky Premium"),
    "security-cloud": consumer_places("Kaspersky Security Cloud"),
    "safe-kids": consumer_places("Kaspersky Safe Kids"),
    "vpn": consumer_places("Kaspersky VPN Secure Connection"),
    "ksws": {"windows": [PF + "Kaspersky Security for Windows Server"]},
    "endpoint-agent": {"windows": [PF + "Endpoint Agent", "/ProgramData/Kaspersky Lab/Endpoint Agent"],
                       "linux": ["/var/log/kaspersky/epagent"]},
    "scanengine": {"linux": ["/opt/kaspersky/ScanEngine"]},
    "kav4fs": {"linux": ["/opt/kaspersky/kav4fs"]},
    "kess": {"linux": ["/opt/kaspersky/kess"]},
    "kwts": {"linux": ["/opt/kaspersky/kwts"]},
    "kics": {"linux": ["/opt/kaspersky/kics"]},
    "klms": {"linux": ["/opt/kaspersky/klms", "/var/opt/kaspersky/klms", "/etc/opt/kaspersky/klms",
                       "/opt/kaspersky/klmsui"]},
    "kasperskyos-sdk": {"linux": ["/opt/KasperskyOS-Community-Edition-*"]},
    "parallels-is": {"windows": ["/Program Files*/Parallels/Parallels Internet Security Powered by Kaspersky"]},
}

PRODUCTS = [
    P("kes-windows", "Kaspersky Endpoint Security for Windows", "endpoint", ["windows"],
      "https://support.kaspersky.com/keswin/12.9/en-us/184545.htm", places=PLACES["kes-windows"], removal={
          "windows": {"uninstall": [
              {"kind": "msi", "properties": [{"name": "KLLOGIN", "value": "user"},
                                             {"name": "KLPASSWD", "value": "password"}], "source": KES_PROPS},
              KAVREMOVER], "drivers": ["klif"], "reboot": True, "source": KES_UNINSTALL}}),
    P("kesl", "Kaspersky Endpoint Security for Linux", "endpoint", ["linux"], KESL_PKG,
      places=PLACES["kesl"], removal={
        "linux": {"uninstall": linux_pkgs("kesl", "kesl-gui"), "services": ["kesl.service"],
                  "leftovers": ["/var/opt/kaspersky/kesl"], "source": KESL_PKG}}),
    P("kes-mac", "Kaspersky Endpoint Security for Mac / Kaspersky Anti-Virus for Mac", "endpoint",
      ["macos"], "https://support.kaspersky.com/kesmac/12_adminguide/ru-RU/222060.htm",
      places=PLACES["kes-mac"], removal={"macos": {"uninstall": [MAC_KAV_SCRIPT], "source": MAC_GIST}}),
    P("kes-android", "Kaspersky Endpoint Security for Android", "mobile", ["android"],
      "https://support.kaspersky.co.jp/help/KSMM/1.0/en-US/all-in-one.htm?sectionUrl=216449.htm"),
    P("klnagent", "Kaspersky Security Center Network Agent", "management",
      ["windows", "linux", "macos"], "https://support.kaspersky.com/KES4Linux/10.1.1/en-US/161235.htm",
      places=PLACES["klnagent"], removal={
          "windows": {"uninstall": [{"kind": "msi", "properties": [
              {"name": "KLUNINSTPASSWD", "value": "password-utf16le-hex"}]}],
              "services": ["klnagent"], "reboot": True, "source": SWMB},
          "linux": {"uninstall": linux_pkgs("klnagent64", "klnagent"), "services": ["klnagent64.service"],
                    "source": "https://support.kaspersky.com/KES4Linux/10.1.1/en-US/161235.htm"},
          "macos": {"uninstall": [MAC_NAGENT_SCRIPT], "source": MAC_GIST}}),
    P("ksc", "Kaspersky Security Center Administration Server (with Web Console and Administration Console)",
      "management", ["windows", "linux"], "https://support.kaspersky.com/KSCLinux/15/en-US/158525.htm",
      places=PLACES["ksc"]),
    # Kaspersky Anti-Virus for Mac is the kes-mac product (the same KAV layout, receipts and
    # uninstall script): this product is the Windows Anti-Virus only.
    P("kav", "Kaspersky Anti-Virus", "consumer", ["windows"], BOD, places=PLACES["kav"], removal={
        "windows": CONSUMER_WIN}),
    # On Android the consumer subscriptions run in one application, com.kms.free
    # (kms-android); the products below list the platforms of their own installers.
    P("kis", "Kaspersky Internet Security", "consumer", ["windows", "macos"], BOD,
      places=PLACES["kis"], removal={"windows": CONSUMER_WIN}),
    P("kts", "Kaspersky Total Security", "consumer", ["windows", "macos"], BOD,
      places=PLACES["kts"], removal={"windows": CONSUMER_WIN}),
    P("ksos", "Kaspersky Small Office Security", "consumer", ["windows", "macos"], BOD,
      places=PLACES["ksos"], removal={"windows": CONSUMER_WIN}),
    P("kfree", "Kaspersky Free", "consumer", ["windows"], KAVREMOVER_LIST, places=PLACES["kfree"],
      removal={"windows": CONSUMER_WIN}),
    # On macOS, Standard, Plus and Premium are plans of one application, kaspersky-app
    # (MAC25_HELP): these three list the platform of their own Windows installers.
    P("kaspersky-standard", "Kaspersky Standard", "consumer", ["windows"],
      KAVREMOVER_LIST, places=PLACES["kaspersky-standard"], removal={"windows": CONSUMER_WIN}),
    P("kaspersky-plus", "Kaspersky Plus", "consumer", ["windows"], KAVREMOVER_LIST,
      places=PLACES["kaspersky-plus"], removal={"windows": CONSUMER_WIN}),
    P("kaspersky-premium", "Kaspersky Premium", "consumer", ["windows"],
      KAVREMOVER_LIST, places=PLACES["kaspersky-premium"], removal={"windows": CONSUMER_WIN}),
    P("kaspersky-app", "Kaspersky (the consumer application of Standard, Plus and Premium, 21.9 and later)",
      "consumer", ["windows", "macos", "ios"], WINGET_APP, removal={"windows": CONSUMER_WIN}),
    # Security Cloud for Mac (KSCLOUD_MAC) as well; on iOS it became the Kaspersky app.
    P("security-cloud", "Kaspersky Security Cloud", "consumer", ["windows", "macos", "android"],
      "https://github.com/microsoft/winget-pkgs/blob/master/manifests/k/Kaspersky/KasperskySecurityCloud/"
      "21.3.10.391/Kaspersky.KasperskySecurityCloud.locale.en-US.yaml", places=PLACES["security-cloud"]),
    P("kpm", "Kaspersky Password Manager", "consumer", ["windows", "macos", "android", "ios"], KPM_HELP,
      removal={"windows": CONSUMER_WIN}),
    P("kms-android", "Kaspersky Security & VPN for Android (formerly Kaspersky Internet Security for Android)",
      "mobile", ["android"], "https://play.google.com/store/apps/details?id=com.kms.free"),
    # Kaspersky Safe Browser for iOS 1.13 help names the product (and its iOS app).
    P("safe-browser", "Kaspersky Safe Browser", "mobile", ["android", "ios"],
      "https://support.kaspersky.com/KSBiOS/1.13/en-US/98056.htm"),
    P("vpn", "Kaspersky VPN Secure Connection", "consumer", ["windows", "macos", "android", "ios"],
      "https://support.kaspersky.com/de/ksec-for-windows/5.17/233596", places=PLACES["vpn"]),
    P("safe-kids", "Kaspersky Safe Kids", "consumer", ["windows", "macos", "android", "ios"],
      "https://support.kaspersky.com/help/KSK/Win23.0/pt-PT/237222.htm", places=PLACES["safe-kids"]),
    P("browser-ext", "Kaspersky browser extensions (Kaspersky Protection, URL Advisor, Virtual Keyboard)",
      "consumer", ["any"], "https://hackerone.com/reports/470519"),
    P("ksv-la", "Kaspersky Security for Virtualization Light Agent", "endpoint", ["windows", "linux"],
      "https://support.kaspersky.com/ksvla/5.1/ru-RU/94972.htm"),
    P("kess", "Kaspersky Embedded Systems Security", "embedded", ["linux", "windows"],
      "https://support.kaspersky.com/kess-linux/3.3.0/233694", places=PLACES["kess"]),
    P("ksws", "Kaspersky Security for Windows Server", "server", ["windows"],
      "https://support.kaspersky.com/KSWS/11.0.1/de-DE/148327.htm", places=PLACES["ksws"]),
    P("kav-winfs", "Kaspersky Anti-Virus for Windows File Servers", "server", ["windows"], NESSUS),
    P("kav-wks", "Kaspersky Anti-Virus for Windows Workstations (6.0, before Endpoint Security)", "endpoint",
      ["windows"], NVT_AV),
    P("kav4fs", "Kaspersky Anti-Virus for Linux File Server", "server", ["linux"], MALICE,
      places=PLACES["kav4fs"]),
    P("kav4proxy", "Kaspersky Anti-Virus for Proxy Server (Linux)", "gateway", ["linux"], MALICE),
    P("klms", "Kaspersky Security for Linux Mail Server", "server", ["linux"],
      "https://support.kaspersky.com/help/KLMS/8.2/en-US/all-in-one.htm", places=PLACES["klms"]),
    P("kics", "Kaspersky Industrial CyberSecurity for Linux Nodes", "embedded", ["linux"],
      "https://support.kaspersky.com/KICS4Linux/1.3/en-US/198107.htm", places=PLACES["kics"]),
    P("kics-nodes", "Kaspersky Industrial CyberSecurity for Nodes (Windows)", "embedded", ["windows"],
      KICS_NODES),
    P("kics4net", "Kaspersky Industrial CyberSecurity for Networks", "embedded", ["linux"], KICS4NET),
    P("kfl", "Kaspersky for Linux (consumer)", "consumer", ["linux"], KFL),
    P("ksme", "Kaspersky Security for Microsoft Exchange Servers", "server", ["windows"], KS4EXCHANGE),
    P("kssp", "Kaspersky Security for Microsoft SharePoint Server", "server", ["windows"], KS4SP),
    P("ksmg", "Kaspersky Secure Mail Gateway", "gateway", ["linux"], KSMG_PKG,
      removal={"linux": {"uninstall": linux_pkgs("ksmg"), "source": KSMG_PKG}}),
    P("kwts", "Kaspersky Web Traffic Security", "gateway", ["linux"],
      "https://support.kaspersky.com/kwts/6.1/en-US/166243.htm", places=PLACES["kwts"]),
    # The platform's own servers (Central Node, Sensor, Sandbox); its agents on hosts are
    # endpoint-agent and the Endpoint Security products.
    P("kata", "Kaspersky Anti Targeted Attack Platform (Central Node, Sensor and Sandbox servers)", "server",
      ["any"], "https://support.kaspersky.com/KATA/8.0/en-US/247193.htm"),
    P("endpoint-agent", "Kaspersky Endpoint Agent (EDR agent of Anti Targeted Attack and EDR)", "endpoint",
      ["windows", "linux"], "https://support.kaspersky.com/kea/3.13/197543", places=PLACES["endpoint-agent"]),
    P("scanengine", "Kaspersky Scan Engine", "sdk", ["linux", "windows"],
      "https://support.kaspersky.com/scanengine/192973", places=PLACES["scanengine"]),
    P("kasperskyos-sdk", "KasperskyOS Community Edition SDK", "sdk", ["linux"],
      "https://support.kaspersky.com/help/KCE/1.3/en-US/sdk_install_and_remove.htm",
      places=PLACES["kasperskyos-sdk"]),
    P("kss", "Kaspersky Security Scan", "tool", ["windows"], "https://support.kaspersky.com/KSS/4.0/cs-CZ/93623.htm"),
    P("kart", "Kaspersky Anti-Ransomware Tool (for Business, later for Home)", "endpoint", ["windows"],
      "https://support.kaspersky.com/kart-for-home/6.6/228220"),
    P("kvrt", "Kaspersky Virus Removal Tool", "tool", ["windows"],
      "https://devbuilds.s.kaspersky-labs.com/devbuilds/KVRT/latest/full/KVRT.exe"),
    P("tdsskiller", "Kaspersky TDSSKiller", "tool", ["windows"], TDSS),
    P("rescue-disk", "Kaspersky Rescue Disk", "tool", ["any"], KRD),
    P("kavremover", "Kaspersky removal tool (kavremover)", "tool", ["windows", "macos"],
      "https://pastebin.com/R2g17QcD"),
    P("kav-engine-oem", "Kaspersky Anti-Virus Engine (OEM, inside other vendors' products)", "sdk", ["any"],
      "http://www.kaspersky.com/au/partners/oem/oem-project-types/kaspersky_anti-virus_engine",
      branded=False),
    P("parallels-is", "Parallels Internet Security Powered by Kaspersky", "consumer", ["windows"],
      "https://github.com/glpi-project/glpi-agent/blob/develop/resources/macos/SysProfile/sample1.yaml",
      branded=False, places=PLACES["parallels-is"]),
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


# Cyrillic letters spelled in Latin for indicator ids (ids are ASCII).
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o",
                     "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e",
                     "yu", "ya"]))


def slug(s):
    s = "".join(TRANSLIT.get(c, c) for c in s.lower())
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
            if note:
                old["note"] = note
        elif not old["source"].startswith("http") and source.startswith("http"):
            old["source"] = source  # a public URL replaces a code-index reference
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
        # a mobile application id holds on its own platform only (the same id may be listed
        # for Android and iOS: the rows' platforms are joined)
        add(owner, "bundle", "name", val, conf, src, "%s application id" % plat, platforms=[plat])
        ind = seen[(owner, "bundle", "name", "exact", False, val)]
        ind["platforms"] = [p for p in ("android", "ios") if p in ind.get("platforms", []) + [plat]]
        ind["note"] = " and ".join({"android": "Android", "ios": "iOS"}[p] for p in ind["platforms"]) + \
            " application id"
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
    consumer = CONSUMER_NAMES
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



# ---------------------------------------------------------------------------------------
# Issue 12, item 1: every product family on every platform, the names installers write in
# each language, publishers in every legal form and script, services, units, SysV
# scripts, packages, extension and app ids. Every row cites the public page it comes
# from; what could not be sourced is not here (tools/catalog-check.py lists the gaps).
# ---------------------------------------------------------------------------------------

def replat(owner, kind, field, value, plats, match="exact", nocase=False):
    """Set the platforms of an indicator already added (add() keeps the first row's)."""
    key = (owner, kind, field, match, nocase, value.lower() if nocase else value)
    ind = seen[key]
    if plats:
        ind["platforms"] = plats
    else:
        ind.pop("platforms", None)


def play(app):
    return "https://play.google.com/store/apps/details?id=" + app


def name_re(*alts, version=True, tail=""):
    """An anchored ERE for an Uninstall display name: one of the alternatives, an
    optional version number after the product words, then tail."""
    body = "(" + "|".join(alts) + ")" if len(alts) > 1 else alts[0]
    return "^" + body + ("( [0-9]+(\\.[0-9]+)*)?" if version else "") + tail + "$"


def catalog_v2():
    # Publishers, every legal form and script once (matching normalises quotation marks,
    # case and NFKC): the Uninstall Publisher / package Maintainer of any product.
    pubs = [
        ("Kaspersky", WINGET_APP, "publisher of the current consumer installers (winget manifest)"),
        ("Kaspersky Lab", MS_ALT, "company name of the older releases"),
        ("AO Kaspersky Lab", KSN_NOTICE, "current legal entity"),
        ("Kaspersky Lab ZAO", "https://pdfslide.net/documents/kesmac80en.html",
         "legal entity until 2015 (ZAO)"),
        ("Kaspersky Lab JSC", "https://1library.net/document/yr40rl7q-kaspersky-endpoint-security-for-windows.html",
         "legal entity name used in signer names and documents"),
        ("Лаборатория Касперского", RU_LEGAL, "Russian company name"),
        ("АО Лаборатория Касперского", RU_LEGAL, "Russian legal entity (AO)"),
        ("ЗАО Лаборатория Касперского", RU_KIS2010, "Russian legal entity until 2015 (ZAO)"),
        ("АО \"Лаборатория Касперского\"", RU_LEGAL, "Russian legal entity, quoted as installers write it"),
        ("ЗАО \"Лаборатория Касперского\"", RU_KIS2010, "Russian legal entity until 2015, quoted"),
        ("\"Лаборатория Касперского\"", RU_LEGAL, "Russian company name, quoted"),
    ]
    for pub, src, note in pubs:
        add(None, "package", "publisher", pub, "strong", src,
            "Uninstall Publisher / package maintainer: " + note, nocase=True)
        add(None, "file", "publisher", pub, "strong", src, "PE CompanyName: " + note, nocase=True,
            platforms=["windows"])
    add(None, "package", "publisher", "(^|[^[:alpha:]])Касперск", "strong", RU_LEGAL,
        "publisher names the vendor in Russian (any case ending)", "regex", True)

    win = ["windows"]
    # Endpoint Security for Windows: English, German and Russian names; the French,
    # Italian and Japanese builds keep the English one.
    kes_names = [("Kaspersky Endpoint Security for Windows", KES_EN, "English; also French, Italian, Japanese"),
                 ("Kaspersky Endpoint Security für Windows", KES_DE, "German"),
                 ("Kaspersky Endpoint Security для Windows", RU_FLEET, "Russian")]
    for n, src, lang in kes_names:
        add("kes-windows", "package", "name", n, "strong", src, "Uninstall display name (%s)" % lang,
            nocase=True, platforms=win)
    for src in (KES_FR, KES_IT, KES_JA):
        add("kes-windows", "package", "name", "Kaspersky Endpoint Security for Windows", "strong", src,
            nocase=True, platforms=win)
    add("kes-windows", "package", "name",
        "^Kaspersky Endpoint Security( [0-9]+(\\.[0-9]+)*)? (for|für|для) Windows( \\([0-9.]+\\))?$",
        "strong", RU_FLEET, "Uninstall display name, versioned or not (English, German, Russian)",
        "regex", True, platforms=win)
    # Network Agent.
    add("klnagent", "package", "name", "Kaspersky Security Center Network Agent", "strong", NAGENT_PATHS,
        "Uninstall display name (English)", nocase=True, platforms=win)
    add("klnagent", "package", "name", "^Kaspersky Security Center( [0-9]+(\\.[0-9]+)*)? Network Agent"
        "( [0-9]+(\\.[0-9]+)*)?$", "strong", NAGENT_PATHS, "Uninstall display name, versioned",
        "regex", True, platforms=win)
    add("klnagent", "package", "name", "Агент администрирования Kaspersky Security Center", "strong",
        RU_NAGENT, "Uninstall display name (Russian)", nocase=True, platforms=win)
    add("klnagent", "package", "name", "^Агент администрирования Kaspersky Security Center"
        "( [0-9]+(\\.[0-9]+)*)?$", "strong", RU_FLEET, "Uninstall display name (Russian), versioned",
        "regex", True, platforms=win)
    add("klnagent", "service", "name", "klnagent", "strong", NAGENT_PATHS,
        "Network Agent service (display name 'Kaspersky Security Center Network Agent')", nocase=True,
        platforms=win)
    for n in ("klnagent", "klnagent64"):
        add("klnagent", "package", "name", n, "definitive", NAGENT_LINUX, "Network Agent package",
            platforms=["linux"])
        add("klnagent", "service", "name", n, "definitive", KSVLA_EN,
            "Network Agent unit or SysV script ('/sbin/chkconfig klnagent64 on')", platforms=["linux"])
    add("klnagent", "file", "path", "/etc/init.d/klnagent64", "definitive", KSVLA_EN,
        "SysV init script of Network Agent")
    add("klnagent", "file", "path", "/opt/kaspersky/klnagent/bin/klmover", "definitive", NAGENT_BIN,
        "Network Agent utility (32-bit)")
    add("klnagent", "file", "path", "/opt/kaspersky/klnagent64/bin/klmover", "definitive", NAGENT_BIN,
        "Network Agent utility (64-bit)")
    for d in ("/opt/kaspersky/klnagent", "/opt/kaspersky/klnagent64"):
        add("klnagent", "file", "path", d, "definitive", NAGENT_PATHS, "Network Agent folder")
        add("klnagent", "file", "path", d + "/*", "definitive", NAGENT_PATHS,
            "anything in the Network Agent folder", "glob")
    add("klnagent", "file", "path", "*?Kaspersky Lab?NetworkAgent", "definitive", NAGENT_PATHS,
        "Network Agent install folder (Windows)", "glob", True)
    for view in ("", "WOW6432Node\\"):
        add("klnagent", "registry", "path", "HKLM\\SOFTWARE\\" + view + "KasperskyLab\\Components\\34\\1103",
            "strong", NAGENT_COMPONENT, "Network Agent (product 1103) settings key", nocase=True)
    # Security for Windows Server (and its Russian name).
    for n, src, lang in (("Kaspersky Security for Windows Server", KSWS_EN, "English"),
                         ("Kaspersky Security для Windows Server", RU_FLEET, "Russian")):
        add("ksws", "package", "name", n, "strong", src, "Uninstall display name (%s)" % lang,
            nocase=True, platforms=win)
    add("ksws", "package", "name", "^Kaspersky Security( [0-9]+(\\.[0-9]+)*)? (for|для) Windows Server$",
        "strong", KSWS_EN, "Uninstall display name, versioned (Kaspersky Security 10 for Windows Server)",
        "regex", True, platforms=win)
    add("ksws", "file", "path", "*?Kaspersky Lab?Kaspersky Security for Windows Server", "definitive",
        KSWS_FOLDER, "install folder", "glob", True)
    for n in ("ks4ws_x64.msi", "ks4ws_x86.msi"):
        add("ksws", "file", "name", n, "strong",
            "https://support.kaspersky.com/help/KSWS/11.0.1/zh-Hans/147898.htm", "installer package",
            nocase=True)
    # Embedded Systems Security and Industrial CyberSecurity for Nodes (Windows).
    add("kess", "package", "name", "^Kaspersky Embedded Systems Security( [0-9]+(\\.[0-9]+)*)?( for Windows)?$",
        "strong", KESS_WIN, "Uninstall display name", "regex", True, platforms=win)
    add("kics-nodes", "package", "name",
        "^Kaspersky Industrial CyberSecurity for Nodes( [0-9]+(\\.[0-9]+)*)?$", "strong", KICS_NODES,
        "Uninstall display name", "regex", True, platforms=win)
    # Security for Virtualization Light Agent (Windows: English and Russian names).
    add("ksv-la", "package", "name",
        "^Kaspersky Security (for Virtualization|для виртуальных сред)( [0-9]+(\\.[0-9]+)*)? "
        "(Light Agent|Легкий агент)( (for|для) Windows)?$", "strong", RU_FLEET,
        "Uninstall display name (English or Russian)", "regex", True, platforms=win)
    add("ksv-la", "package", "name", "^Kaspersky Security for Virtualization( [0-9]+(\\.[0-9]+)*)? Light Agent",
        "strong", KSVLA_EN, "Uninstall display name (English)", "regex", True, platforms=win)
    # KES for Linux 12.2 and KES for Mac as Russian fleets name them (KSC inventory).
    add("kesl", "file", "path", "/opt/kaspersky/kesl/bin/kesl-setup.pl", "definitive", KESL_SETUP,
        "post-install configuration script")
    add("kesl", "file", "path", "/opt/kaspersky/kesl", "strong", KESL_SETUP, "install folder")
    add("kesl", "file", "path", "/opt/kaspersky/kesl/*", "strong", KESL_SETUP,
        "anything in the install folder", "glob")
    for n in ("kesl", "kesl-supervisor"):
        add("kesl", "service", "name", n, "strong", KESL_INITD,
            "unit or SysV script of KESL (matching strips .service)", platforms=["linux"])
        add("kesl", "file", "path", "/etc/init.d/" + n, "strong", KESL_INITD, "SysV init script")
    for n in ("kesl", "kesl-gui", "kesl-astra"):
        add("kesl", "package", "name", n, "definitive", KESL_PKG, "KESL package", platforms=["linux"])
    # Older Linux products: Anti-Virus for Linux File Server, Anti-Virus for Proxy Server.
    add("kav4fs", "package", "name", "kav4fs", "strong", KAV4FS_DEB, "package (kav4fs_8.0.4-312_i386.deb)",
        platforms=["linux"])
    add("kav4fs", "service", "name", "kav4fs-supervisor", "strong", MALICE,
        "SysV init script /etc/init.d/kav4fs-supervisor", platforms=["linux"])
    add("kav4fs", "file", "path", "/etc/init.d/kav4fs-supervisor", "strong", MALICE, "SysV init script")
    for f in ("/opt/kaspersky/kav4fs/bin/kav4fs-control", "/opt/kaspersky/kav4fs/bin/kav4fs-setup.pl"):
        add("kav4fs", "file", "path", f, "strong", MALICE, "program of the product")
    add("kav4fs", "file", "path", "/opt/kaspersky/kav4fs", "strong", MALICE, "install folder")
    add("kav4fs", "file", "path", "/opt/kaspersky/kav4fs/*", "strong", MALICE,
        "anything in the install folder", "glob")
    add("kav4fs", "file", "path", "/etc/kaspersky/license.key", "weak", MALICE,
        "licence key file (shared by the older Linux products)")
    add("kav4proxy", "package", "name", "kav4proxy", "strong",
        "https://products.s.kaspersky-labs.com/multilanguage/i_gateways/proxyserver/linux/kav4proxy_5.5-86_i386.deb",
        "package (kav4proxy_5.5-86_i386.deb, named in " + MALICE + ")", platforms=["linux"])
    # Embedded Systems Security, KICS for Linux Nodes, Mail Server: units and scripts.
    for pid in ("kess", "kics", "klms"):
        add(pid, "service", "name", pid, "strong", GCI,
            "systemd unit or SysV script (matching strips .service)", platforms=["linux"])
    add("kess", "package", "name", "kess", "definitive", "https://support.kaspersky.com/kess-linux/3.3.0/233694",
        "package", platforms=["linux"])
    add("kess", "package", "name", "kess-gui", "definitive",
        "https://support.kaspersky.com/kess-linux/3.3.0/233694", "GUI package", platforms=["linux"])
    # KICS for Networks (Linux): packages of the distribution kit.
    for n in ("kics4net", "kics4net-utm", "kics4net-postgresql", "kics4net-suricata", "kics4net-webserver",
              "kics4net-connectors", "kics4net-epp-proxy", "kics4net-fts", "kics4net-websensor"):
        add("kics4net", "package", "name", n, "definitive", KICS4NET, "package of the distribution kit",
            platforms=["linux"])
    add("kics4net", "file", "name", "kics4net-deploy-*.bundle.sh", "weak",
        "https://support.kaspersky.com/KICSforNetworks/2.9/en-US/130677.htm", "installation script",
        "glob")
    # Kaspersky for Linux (consumer, 2.0): package kfl, tool kfl-control.
    add("kfl", "package", "name", "kfl", "definitive", KFL, "package (kfl_2.0.0-<build>_amd64.deb)",
        platforms=["linux"])
    add("kfl", "process", "name", "kfl-control", "strong", KFL, "command-line tool", platforms=["linux"])
    # Security Center Administration Server: Windows install folder.
    add("ksc", "file", "path", "*?Kaspersky Lab?Kaspersky Security Center", "definitive", KSC_FOLDER,
        "Administration Server install folder (Windows)", "glob", True)
    replat("ksc", "process", "name", "klserver", None)  # the daemon of Windows and Linux servers
    # Consumer: display names are product-specific (strong), in English. The Russian
    # builds of KIS/KTS keep the English name (the fleet list above does the same).
    consumer = CONSUMER_NAMES
    for pid, name in consumer.items():
        v = "^%s( [0-9]+(\\.[0-9]+)*)?$" % ere_escape(name)
        add(pid, "package", "name", v, "strong", POSH, "Uninstall display name of the product", "regex", True)
        replat(pid, "package", "name", v, win, "regex", True)
    for pid, v in (("kes-windows", "^Kaspersky Endpoint Security( [0-9]+(\\.[0-9]+)*)? for Windows"),
                   ("klnagent", "^Kaspersky Security Center( [0-9]+(\\.[0-9]+)*)? Network Agent")):
        add(pid, "package", "name", v, "strong", POSH, "Uninstall display name of the product", "regex", True)
        replat(pid, "package", "name", v, win, "regex", True)
    for pid, pkg in (("kav", "KasperskyAnti-Virus"), ("kis", "KasperskyInternetSecurity"),
                     ("kts", "KasperskyTotalSecurity"), ("security-cloud", "KasperskySecurityCloud"),
                     ("safe-kids", "KasperskySafeKids"), ("vpn", "KasperskyVPNSecureConnection")):
        add(pid, "package", "name", consumer[pid], "strong", WINGET + pkg,
            "Uninstall display name (winget package name)", nocase=True, platforms=win)
    add("kav", "package", "name", "^Антивирус Касперского( [0-9]+(\\.[0-9]+)*)?$", "strong", RU_KAV7,
        "Uninstall display name of Anti-Virus in Russian (Антивирус Касперского 7.0)", "regex", True,
        platforms=win)
    add("kis", "package", "name", "Kaspersky Internet Security 2010", "strong", RU_KIS2010,
        "Uninstall display name; the Russian build keeps the English name", nocase=True, platforms=win)
    add("kaspersky-app", "package", "name", "Kaspersky", "strong", WINGET_APP,
        "Uninstall display name of the unified consumer application (21.9+)", nocase=True, platforms=win)
    add("vpn", "package", "name", "^Kaspersky (VPN )?Secure Connection( [0-9]+(\\.[0-9]+)*)?$", "strong",
        KSEC_HELP, "Uninstall display name (older releases: Kaspersky Secure Connection)", "regex", True,
        platforms=win)
    add("vpn", "file", "name", "ksec*.exe", "weak", WINGET_VPN, "installer (ksec21.9.6.465en_25096.exe)",
        "glob", True)
    add("vpn", "bundle", "name", "com.kaspersky.secure.connection", "strong",
        play("com.kaspersky.secure.connection"), "Android application id", platforms=["android"])
    add("kpm", "package", "name", "^Kaspersky Password Manager( [0-9]+(\\.[0-9]+)*)?$", "strong", KPM_HELP,
        "Uninstall display name", "regex", True, platforms=win)
    add("kpm", "file", "description", "Kaspersky Password Manager", "strong", KPM_HELP, PE_PRODUCT_NOTE,
        nocase=True, platforms=win)
    add("kpm", "file", "path", "*?Kaspersky Lab?Kaspersky Password Manager*", "weak", KPM_HELP,
        "install folder (pattern of the consumer products)", "glob", True, platforms=win)
    add("kpm", "bundle", "name", "com.kaspersky.passwordmanager", "strong",
        play("com.kaspersky.passwordmanager"), "Android application id", platforms=["android"])
    add("safe-kids", "package", "name", "Kaspersky Safe Kids", "strong", KSK_HELP, "Uninstall display name",
        nocase=True, platforms=win)
    add("ksos", "file", "path", "*?Kaspersky Lab?Kaspersky Small Office Security [0-9]*?avp.com", "strong",
        KSOS_GIST, "command-line tool in the versioned install folder", "glob", True)
    # Kaspersky Protection (Chrome web store id).
    add("browser-ext", "extension", "name", "ahkjpbeeocnddjkakilopmfdlnjdpcdm", "strong", CWS_KP,
        "Chrome web store id of Kaspersky Protection (a real Chrome profile holds it as " + KP_PROFILE + ")")
    add("browser-ext", "file", "name", "ahkjpbeeocnddjkakilopmfdlnjdpcdm", "strong", CWS_KP,
        "Chromium profile folder named after the Kaspersky Protection id (" + KP_PROFILE + ")")
    # Tools: each file is the vendor's own download.
    add("tdsskiller", "file", "name", "tdsskiller.exe", "strong", TDSS, "TDSSKiller executable", nocase=True)
    add("kvrt", "file", "name", "KVRT.exe", "strong", KVRT_URL, "Virus Removal Tool executable", nocase=True)
    add("rescue-disk", "file", "name", "krd.iso", "strong", KRD, "Kaspersky Rescue Disk image", nocase=True)
    add("kavremover", "file", "name", "kavremvr.exe", "strong", "https://pastebin.com/R2g17QcD",
        "removal tool executable (named in its log)", nocase=True)
    add("ksme", "package", "name",
        "^Kaspersky Security( [0-9]+(\\.[0-9]+)*)? for Microsoft Exchange Servers?$", "strong", KS4EXCHANGE,
        "Uninstall display name (the product's name, versioned as Kaspersky Security 9.0 for ...)",
        "regex", True, platforms=win)
    # MSI product codes: a registered code is that product's MSI (codes differ by version and
    # language, so each names one build): strong, whatever the research graded the source.
    for ind in indicators:
        if ind["kind"] == "registry" and ind["field"] == "name" and re.fullmatch(
                r"\{[0-9A-F-]{36}\}", ind["value"]) and ind.get("product"):
            if CONF_RANK[ind["confidence"]] < CONF_RANK["strong"]:
                ind["confidence"] = "strong"
                ind["note"] = "MSI product code of one build (version and language) of the product"
    # Windows services and drivers that on a real host mean an install.
    add("kes-windows", "service", "name", "AVP", "strong", GCI,
        "Windows service of Endpoint Security / Small Office Security", nocase=True, platforms=win)
    add(None, "service", "name", "^AVP[0-9]+(\\.[0-9]+)*$", "strong", GCI,
        "versioned consumer service name such as AVP21.3", "regex", True, platforms=win)
    for s in ("klif", "klim5"):
        add(None, "service", "name", s, "strong", CLEANUP, "driver service key", nocase=True,
            platforms=win)


# ---------------------------------------------------------------------------------------
# Issue 12, item 1, second pass: facts found again in public detection rules and
# Kaspersky's localised help, each citing the file or page (at a fixed commit where it is
# a repository) that states it.
# ---------------------------------------------------------------------------------------

# Sigma rule "Suspicious Windows Service Tampering": the Windows service names of
# Kaspersky products that ransomware scripts stop or delete (AVP1*, KAVFS, KAVFSGT,
# kavfsslp, klbackupdisk, klbackupflt, klflt, klhk, KLIF, klim6, klkbdflt, klmouflt,
# klnagent, klpd, kltap, KSDE1.0.0).
SIGMA_SERVICES = ("https://github.com/SigmaHQ/sigma/blob/8eaafff1f2845a696050e05e72ba1140ee190698/"
                  "rules/windows/process_creation/proc_creation_win_susp_service_tamper.yml")
# OpenVAS: "Kaspersky Anti-Virus 2010 'kl1.sys' Driver DoS Vulnerability".
NVT_KL1 = ("https://github.com/Clivebi/nvtscript/blob/65a8f07886c2ef2c10517168b7a872d9bf0dd255/"
           "2009/gb_kaspersky_av_2010_dos_vuln.sc")
# OpenVAS: Kaspersky Password Manager is found by an Uninstall DisplayName containing
# "Kaspersky Password Manager".
NVT_KPM = ("https://github.com/Clivebi/nvtscript/blob/65a8f07886c2ef2c10517168b7a872d9bf0dd255/"
           "gb_kaspersky_password_manager_detect_win.sc")
# Spanish help and guides: "Kaspersky Endpoint Security para Windows",
# "Kaspersky Endpoint Security 10 para Windows".
KES_ES = "https://support.kaspersky.com/KESWin/11.7.0/es-ES/39278.htm"
KES_ES10 = "http://docplayer.es/1015557-Kaspersky-endpoint-security-10-para-windows-guia-de-administrador.html"
KES_PT10 = ("http://docplayer.com.br/392584-Kaspersky-endpoint-security-10-para-windows-guia-de-"
            "administrador.html")
# iOS: the Kaspersky consumer application, bundle id com.kaspersky.securityadvisor,
# app name "Kaspersky" (2.58.0).
IOS_APP = ("https://github.com/leverdeterre/shakeMyApps-appScan-blog/blob/HEAD/_pages/ios/id/"
           "com.kaspersky.securityadvisor.md")
# Public scripts that install, check or remove the products (each at a fixed commit
# where the index knows one): KES and Network Agent MSI product codes, Endpoint Agent's
# product name, KESL's systemd units, Network Agent's Linux setup and check utilities.
REMOVE_KS = "https://github.com/lucasldantas/scripts-public/blob/HEAD/remove_ks.ps1"
KEA_REMOVER = ("https://github.com/JustHobbs/KasperskyGuide/blob/0534819782e338b36c580cf853b98727c629a6b6/"
               "Scripts/RemovedorAutomatizadoKEA.ps1")
HOBBS_INSTALL = ("https://github.com/JustHobbs/KasperskyGuide/blob/0534819782e338b36c580cf853b98727c629a6b6/"
                 "Instala%C3%A7%C3%A3o/README.md")
KESL_INSTALLER = ("https://github.com/comexr/kesl-installer/blob/83c51d9ddf1f73c4bd00fcc53625cb1350067ee4/"
                  "kaspersky-installer/kesl_install.sh")
NAGENT_SH = "https://github.com/feld1meow/scripts/blob/HEAD/linux/kaspersky/klnagent.sh"
# A GPO deployment script installs kes_win.msi and "Kaspersky Network Agent.msi" from the
# installation packages Security Center makes.
GPO_DEPLOY = ("https://github.com/brazilianscriptguy/Windows-SysAdmin-ProSuite/blob/"
              "ae24ec58e34fbde7ab7e3653d833e8379bcda8ff/SysAdmin-Tools/SystemConfiguration-and-Deployment/"
              "Deploy-KasperskyAV-viaGPO.ps1")


def catalog_v3():
    win = ["windows"]
    # Kernel drivers and their service keys: a registered service by one of these names
    # is a Kaspersky install (klif and klim5 are listed above from the cleanup notes).
    for s in ("klim6", "klpd", "klflt", "klbackupdisk", "klbackupflt", "klkbdflt", "klmouflt", "klhk",
              "kltap"):
        add(None, "service", "name", s, "strong", SIGMA_SERVICES, "driver service key", nocase=True,
            platforms=win)
    add(None, "service", "name", "^AVP[0-9]+(\\.[0-9]+)*$", "strong", SIGMA_SERVICES,
        "versioned consumer service name such as AVP18.0.0", "regex", True, platforms=win)
    add(None, "service", "name", "^KSDE[0-9]+(\\.[0-9]+)*$", "strong", SIGMA_SERVICES,
        "versioned service name such as KSDE1.0.0", "regex", True, platforms=win)
    # Security for Windows Server (KAVFS, the file server anti-virus service, with its
    # management and exploit prevention services); the research ties kavfs*.exe to KSWS.
    for s in ("KAVFS", "KAVFSGT", "kavfsslp"):
        add("ksws", "service", "name", s, "strong", SIGMA_SERVICES,
            "Windows service of Security for Windows Server / Anti-Virus for Windows Servers",
            nocase=True, platforms=win)
    # kl1.sys, the driver of Anti-Virus 2010.
    add(None, "kmod", "name", "kl1.sys", "weak", NVT_KL1, nocase=True)
    add(None, "file", "name", "kl1.sys", "weak", NVT_KL1, nocase=True)
    add("kpm", "package", "name", "^Kaspersky Password Manager( [0-9]+(\\.[0-9]+)*)?$", "strong", NVT_KPM,
        "Uninstall display name", "regex", True, platforms=win)
    # Endpoint Security for Windows in Spanish (and the Portuguese guides of version 10;
    # the Brazilian help of 11 keeps "for Windows").
    add("kes-windows", "package", "name", "Kaspersky Endpoint Security para Windows", "strong", KES_ES,
        "Uninstall display name (Spanish; Portuguese builds of 10)", nocase=True, platforms=win)
    add("kes-windows", "package", "name",
        "^Kaspersky Endpoint Security( [0-9]+(\\.[0-9]+)*)? para Windows$", "strong", KES_ES10,
        "Uninstall display name, versioned (Spanish, Portuguese)", "regex", True, platforms=win)
    add("kes-windows", "file", "description", "Kaspersky Endpoint Security*para Windows", "strong", KES_PT10,
        PE_PRODUCT_NOTE, "glob", True)
    # MSI product codes the removal script passes to msiexec /x (KES with KLLOGIN and
    # KLPASSWD, Network Agent with KLUNINSTPASSWD).
    add("kes-windows", "registry", "name", "{C9EF800D-54AA-4F60-AB96-5A3966550F53}", "strong", REMOVE_KS,
        nocase=True)
    add("klnagent", "registry", "name", "{0F05E4E5-5A89-482C-9A62-47CC58643788}", "strong", REMOVE_KS,
        nocase=True)
    # Endpoint Agent (Windows): the script finds the MSI by its product name.
    add("endpoint-agent", "package", "name", "^Kaspersky Endpoint Agent( [0-9]+(\\.[0-9]+)*)?$", "strong",
        KEA_REMOVER, "Uninstall display name (MSI ProductName)", "regex", True, platforms=win)
    # Installer packages (a download or a share, not an install).
    add("kes-windows", "file", "name", "kes_win.msi", "weak", GPO_DEPLOY,
        "installer package file, not an install", nocase=True)
    add("klnagent", "file", "name", "Kaspersky Network Agent.msi", "weak", GPO_DEPLOY,
        "installer package file, not an install", nocase=True)
    # KESL's systemd units, restarted by name after setup.
    for u in ("kesl.service", "kesl-supervisor.service"):
        add("kesl", "service", "name", u, "strong", KESL_INSTALLER, "systemd unit or init script")
    # Network Agent for Linux: the post-install setup script of both builds.
    add("klnagent", "file", "path", "/opt/kaspersky/klnagent/lib/bin/setup/postinstall.pl", "definitive",
        HOBBS_INSTALL, "Network Agent post-install configuration script (32-bit)")
    add("klnagent", "file", "path", "/opt/kaspersky/klnagent64/lib/bin/setup/postinstall.pl", "definitive",
        NAGENT_SH, "Network Agent post-install configuration script (64-bit)")
    # Security for SharePoint Server: the product name as its help and guide write it.
    add("kssp", "package", "name",
        "^Kaspersky Security( [0-9]+(\\.[0-9]+)*)? for (Microsoft )?SharePoint Server$", "strong", KS4SP_GUIDE,
        "Uninstall display name (the product's name, versioned as Kaspersky Security 9.0 for ...)",
        "regex", True, platforms=win)
    add("kssp", "file", "description", "Kaspersky Security*for*SharePoint Server", "strong", KS4SP,
        PE_PRODUCT_NOTE, "glob", True)
    # The workstation and file server anti-virus of the 6.0 generation, as OpenVAS finds them.
    add("kav-wks", "package", "name", "^Kaspersky Anti-Virus.* for Windows Workstations", "strong", NVT_AV,
        "Uninstall display name (Kaspersky Anti-Virus 6.0 for Windows Workstations)", "regex", True,
        platforms=win)
    add("kav-winfs", "package", "name", "^Kaspersky Anti-Virus.* File Servers", "strong", NVT_AV,
        "Uninstall display name (Anti-Virus for Windows File Servers)", "regex", True, platforms=win)
    # Security for Windows Server in German: install folder and name "für Windows Server".
    add("ksws", "file", "path", "*?Kaspersky Lab?Kaspersky Security für Windows Server", "definitive", KSWS_DE,
        "install folder (German build)", "glob", True)
    add("ksws", "package", "name", "Kaspersky Security für Windows Server", "strong", KSWS_DE,
        "Uninstall display name (German)", nocase=True, platforms=win)
    # Security for Linux Mail Server: its control program, folders and scripts folder.
    add("klms", "file", "path", "/opt/kaspersky/klms/bin/klms-control", "definitive", KLMS_CTRL,
        "command-line control program")
    add("klms", "file", "path", "/opt/kaspersky/klms", "strong", KLMS_CTRL, "install folder")
    add("klms", "file", "path", "/opt/kaspersky/klms/*", "strong", KLMS_CTRL, "anything in the install folder",
        "glob")
    add("klms", "file", "path", "/etc/opt/kaspersky/klms", "strong", KLMS_CTRL, "configuration folder")
    add("klms", "file", "path", "/etc/opt/kaspersky/klms/*", "strong", KLMS_CTRL,
        "anything in the configuration folder", "glob")
    # Embedded Systems Security and KICS for Linux Nodes: their post-install scripts and folders.
    for pid, src in (("kess", KESS_SETUP), ("kics", KICS_SETUP)):
        add(pid, "file", "path", "/opt/kaspersky/%s/bin/%s-setup.pl" % (pid, pid), "definitive", src,
            "post-install configuration script")
        add(pid, "file", "path", "/opt/kaspersky/" + pid, "strong", src, "install folder")
        add(pid, "file", "path", "/opt/kaspersky/%s/*" % pid, "strong", src, "anything in the install folder",
            "glob")
        add(pid, "process", "name", pid + "-control", "strong", src, "command-line tool", platforms=["linux"])
    add("kesl", "process", "name", "kesl-control", "strong", KESL_CONTROL, "command-line tool",
        platforms=["linux"])
    # Scan Engine: its ICAP service beside kavhttpd.
    add("scanengine", "service", "name", "kavicapd", "definitive", SCANENGINE_KIT, "ICAP service of Scan Engine",
        platforms=["linux"])
    # Web Traffic Security: its programs under /opt/kaspersky/kwts.
    for f in ("/opt/kaspersky/kwts/bin/setup.py", "/opt/kaspersky/kwts/bin/kwts-control"):
        add("kwts", "file", "path", f, "definitive", KWTS_GIST, "program of the product")
    add("kwts", "file", "path", "/opt/kaspersky/kwts", "strong", KWTS_GIST, "install folder")
    add("kwts", "file", "path", "/opt/kaspersky/kwts/*", "strong", KWTS_GIST, "anything in the install folder",
        "glob")
    # Secure Mail Gateway (Linux appliance software): its package.
    add("ksmg", "package", "name", "ksmg", "definitive", KSMG_PKG, "package (ksmg_2.1.1-8310_amd64.deb)",
        platforms=["linux"])
    # Security for Virtualization Light Agent: the solution's Integration Server on Linux.
    add("ksv-la", "package", "name", "ksvla-viis", "definitive", KSVLA_VIIS,
        "package of the solution's Linux Integration Server", platforms=["linux"])
    add("ksv-la", "service", "name", "viis", "strong", KSVLA_VIIS, "Integration Server service (Linux)",
        platforms=["linux"])
    # KICS for Linux Nodes: its packages (the application and its GUI).
    for n in ("kics", "kics-gui"):
        add("kics", "package", "name", n, "definitive", KICS_PKGS, "package of the distribution kit",
            platforms=["linux"])
    # iOS: the consumer application (Kaspersky Security Cloud, then Standard/Plus/Premium).
    add("kaspersky-app", "bundle", "name", "com.kaspersky.securityadvisor", "strong", IOS_APP,
        "iOS application id of the Kaspersky app", platforms=["ios"])


# ---------------------------------------------------------------------------------------
# Issue 12, item 1, third pass: Security Center's Windows services from its help, the
# Android application ids of Security Cloud and Endpoint Security for Android from their
# Play Store pages (both named before only by the unidentified code index).
# ---------------------------------------------------------------------------------------

# KSC 14.2 help, "changes in the system after installing Kaspersky Security Center": the
# services kladminserver (Administration Server), klnagent, klwebsrv (Web Server),
# klactprx (activation proxy) and ksnproxy (KSN proxy).
KSC_SERVICES = "https://support.kaspersky.com/help/KSC/14.2/de-DE/25950.htm"
# The same page in Italian keeps the English display names ("Kaspersky Security Center
# Administration Server", "Kaspersky Security Center Network Agent"); the German one has
# "Kaspersky Security Center Administrationsserver" and "... Administrationsagent".
KSC_SERVICES_IT = "https://support.kaspersky.it/ksc/14.2/25950"


# Kaspersky Security Scan 4.0 help (the free on-demand scanner) and the help of Kaspersky
# Anti-Ransomware Tool for Home 6.6 (first released as Anti-Ransomware Tool for Business).
KSS_HELP = "https://support.kaspersky.com/KSS/4.0/cs-CZ/93623.htm"
KART_HELP = "https://support.kaspersky.com/kart-for-home/6.6/228220"


# SWMB's uninstall module finds the French builds of Network Agent and the Administration
# Console by their MSI product names: "*Agent*Kaspersky Security Center*" (French code
# {2924BEDA-...}) and "*Console*Kaspersky Security Center*" (French code {5D35D57A-...}),
# names that put the component before the product, unlike the English ones.
SWMB_UNINSTALL = ("https://github.com/jl-oclinux/SecWinBatchMode/blob/bbd906da79dfa989c430b8ce0518db31c7d3e51d/"
                  "Modules/SWMB/LocalMachine-Uninstall.psm1")

# Kaspersky Internet Security for Mac 18.1 help: the application it installs is named
# "Kaspersky Internet Security" (its menus: "Open and quit the application").
KIS_MAC = "https://support.kaspersky.com/KIS4Mac/18.1/en.lproj/pgs/kis112161.htm"


def catalog_v4():
    win = ["windows"]
    for s, what in (("kladminserver", "Administration Server service"),
                    ("klwebsrv", "Security Center Web Server service"),
                    ("klactprx", "Security Center activation proxy service"),
                    ("ksnproxy", "Security Center KSN proxy service")):
        add("ksc", "service", "name", s, "strong", KSC_SERVICES, what, nocase=True, platforms=win)
    add("security-cloud", "bundle", "name", "com.kaspersky.security.cloud", "strong",
        play("com.kaspersky.security.cloud"), "Android application id", platforms=["android"])
    add("kes-android", "bundle", "name", "com.kaspersky.kes", "strong", play("com.kaspersky.kes"),
        "Android application id", platforms=["android"])
    # French (and other Romance-language) builds: the component named before the product.
    add("klnagent", "package", "name", "(^|[^[:alpha:]])Agent.*Kaspersky Security Center", "strong",
        SWMB_UNINSTALL, "Uninstall display name of a localised build (French: Agent d'administration de "
        "Kaspersky Security Center)", "regex", True, platforms=win)
    add("ksc", "package", "name", "(^|[^[:alpha:]])Console.*Kaspersky Security Center", "strong",
        SWMB_UNINSTALL, "Uninstall display name of the Administration Console in a localised build "
        "(French: Console d'administration de Kaspersky Security Center)", "regex", True, platforms=win)
    # Internet Security for Mac: its application bundle, by folder and by bundle name.
    add("kis", "file", "name", "Kaspersky Internet Security.app", "strong", KIS_MAC,
        "application bundle of Kaspersky Internet Security for Mac (in /Applications)", nocase=True,
        platforms=["macos"])
    add("kis", "bundle", "description", "Kaspersky Internet Security", "strong", KIS_MAC,
        "application bundle name (CFBundleDisplayName / CFBundleName) of Internet Security for Mac",
        nocase=True, platforms=["macos"])
    # Administration Server and Network Agent under the names the German and Italian builds
    # show (the Italian build keeps the English ones).
    add("ksc", "package", "name", "^Kaspersky Security Center( [0-9]+(\\.[0-9]+)*)? "
        "(Administration Server|Administrationsserver)$", "strong", KSC_SERVICES_IT,
        "Administration Server's name (English, also the Italian build; German Administrationsserver)",
        "regex", True, platforms=win)
    add("klnagent", "package", "name", "^Kaspersky Security Center( [0-9]+(\\.[0-9]+)*)? Administrationsagent$",
        "strong", KSC_SERVICES, "Network Agent's name in the German build", "regex", True, platforms=win)
    # Two free tools, each registered under its own name (matching normalises case).
    add("kss", "package", "name", name_re("Kaspersky Security Scan"), "strong", KSS_HELP,
        "Uninstall display name (the product's name, optionally versioned)", "regex", True, platforms=win)
    add("kss", "file", "description", "Kaspersky Security Scan", "strong", KSS_HELP, PE_PRODUCT_NOTE,
        nocase=True, platforms=win)
    add("kart", "package", "name", name_re("Kaspersky Anti-Ransomware Tool( for (Business|Home))?"), "strong",
        KART_HELP, "Uninstall display name (for Business, later for Home), optionally versioned", "regex", True,
        platforms=win)
    add("kart", "file", "description", "Kaspersky Anti-Ransomware Tool*", "strong", KART_HELP, PE_PRODUCT_NOTE,
        "glob", True, platforms=win)



# ---------------------------------------------------------------------------------------
# Issue 12, item 1, fourth pass: the macOS applications of Password Manager and VPN Secure
# Connection from Kaspersky's own help on their trace files, Security Center's Linux
# server and Web Console files, Endpoint Agent's folders as Anti Targeted Attack's help
# lists them, and process names Kaspersky's Linux help shows in `top` output.
# ---------------------------------------------------------------------------------------

# Password Manager for Mac 9.2: trace files in ~/Library/Containers/com.kaspersky.kpm (the
# application), .../com.kaspersky.kpm.agent (its agent) and .../com.kaspersky.kpm.bl.resolver
# (its daemon). macOS names an application's sandbox container after its bundle id.
KPM_MAC92 = "https://support.kaspersky.com/KPM/Mac9.2/en-US/171492.htm"
# Password Manager for Mac 10.1: the same files in the app group container
# ~/Library/Group Containers/2Y8XE5CQ94.com.kaspersky.kpm (2Y8XE5CQ94 is Kaspersky's team id).
KPM_MAC101 = "https://support.kaspersky.co.jp/help/KPM/Mac10.1/en-US/171492.htm"
# VPN Secure Connection for Mac 3.4: ~/Library/Group Containers/2Y8XE5CQ94.com.kaspersky.ksec,
# trace files ksec_agent_*, ksec_app_*, ksec_daemon_*_pid_*, ksec_networkextension_*.log.
KSEC_MAC = "https://support.kaspersky.com/help/KSDE/Mac3.4/fi-FI/171494.htm"
KSEC_MAC32 = "https://support.kaspersky.com/sv/ksec-for-mac/3.2/171494"
# Kaspersky Standard | Plus | Premium for Mac: one "Kaspersky application" whose plans
# differ ("The solutions include multiple plans"), so the plans are not macOS products.
MAC25_HELP = "https://support.kaspersky.it/help/Kaspersky/Mac25/en-US/all-in-one.htm"
# Security Center 16 Linux help, Web Console: the response file /etc/ksc-web-console-setup.json
# and the Administration Server's certificate under /var/opt/kaspersky/klnagent_srv.
KSC_LINUX_WC = "https://support.kaspersky.com/help/KSCLinux/16/en-US/271767.htm"
# Anti Targeted Attack Platform 5.0 help, "Changes in the system after Kaspersky Endpoint
# Agent installation": %ProgramFiles%\Kaspersky Lab\Endpoint Agent\ (32-bit Windows),
# %ProgramFiles (x86)%\... (64-bit), %ALLUSERSPROFILE%\Kaspersky Lab\Endpoint Agent\4.0\Data.
KATA_KEA = "https://support.kaspersky.co.jp/KATA/5.0/en-US/all-in-one.htm?sectionUrl=199164.htm"
# Embedded Systems Security 3.3 and Kaspersky for Linux 2.0 help, "Resource consumption
# optimization": `top -bn1|grep kess` shows the process kess (kfl for Kaspersky for Linux).
KESS_TOP = "https://support.kaspersky.ru/help/KESSLinux/3.3.0/en-US/all-in-one.htm?sectionUrl=206054.htm"
KFL_TOP = "https://support.kaspersky.ru/help/Kaspersky/Linux2.0/ru-RU/all-in-one.htm?sectionUrl=206054.htm"
# Safe Kids for Mac help (KSK Mac 1.0 MR9): trace files ksk_agent_<timestamp>.log and
# ksk_app_<timestamp>.log; it names no bundle, receipt or launchd label.
KSK_MAC = "https://support.kaspersky.com/help/KSK/Mac1.0MR9/pl-PL/172001.htm"
# KES 10 SP2 help: "Trace files are stored in the ProgramData\Kaspersky Lab folder";
# KESL 11.3 help: trace files in /var/log/kaspersky/kesl/.
KES_TRACES = "https://support.kaspersky.com/KESWin/10SP2/en-US/124710.htm"
KESL_TRACES = "https://support.kaspersky.com/KES4Linux/11.3.0/en-US/198079.htm"


def catalog_v5():
    mac = ["macos"]
    # Password Manager for Mac: its application, agent and daemon by bundle id (each the
    # name of its sandbox container), and the per-user containers by folder name.
    for bid, what in (("com.kaspersky.kpm", "application"), ("com.kaspersky.kpm.agent", "agent"),
                      ("com.kaspersky.kpm.bl.resolver", "daemon")):
        add("kpm", "bundle", "name", bid, "strong", KPM_MAC92,
            "bundle id of the Password Manager for Mac %s (its sandbox container "
            "~/Library/Containers/%s holds its trace files)" % (what, bid), platforms=mac)
        add("kpm", "file", "name", bid, "strong", KPM_MAC92,
            "per-user sandbox container of the Password Manager for Mac %s" % what, platforms=mac)
    add("kpm", "file", "name", "2Y8XE5CQ94.com.kaspersky.kpm", "strong", KPM_MAC101,
        "per-user app group container of Password Manager for Mac 10 (~/Library/Group Containers)",
        platforms=mac)
    add("kpm", "file", "name", "kpm_daemon_*_pid_*.log", "weak", KPM_MAC92,
        "trace file of the Password Manager for Mac daemon (written only when tracing is on)", "glob",
        platforms=mac)
    # VPN Secure Connection for Mac: its app group container and trace files.
    add("vpn", "file", "name", "2Y8XE5CQ94.com.kaspersky.ksec", "strong", KSEC_MAC,
        "per-user app group container of VPN Secure Connection for Mac (~/Library/Group Containers)",
        platforms=mac)
    add("vpn", "file", "name", "2Y8XE5CQ94.com.kaspersky.ksec", "strong", KSEC_MAC32, platforms=mac)
    for g in ("ksec_daemon_*_pid_*.log", "ksec_networkextension_*.log"):
        add("vpn", "file", "name", g, "weak", KSEC_MAC32,
            "trace file of VPN Secure Connection for Mac (written only when tracing is on)", "glob",
            platforms=mac)
    # Safe Kids for Mac: only its trace files are public.
    for g in ("ksk_agent_*.log", "ksk_app_*.log"):
        add("safe-kids", "file", "name", g, "weak", KSK_MAC,
            "trace file of Safe Kids for Mac (written only when tracing is on)", "glob", platforms=mac)
    # Security Center on Linux: the server's own Network Agent data folder and the Web
    # Console's response file.
    lin = ["linux"]
    add("ksc", "file", "path", "/var/opt/kaspersky/klnagent_srv", "strong", KSC_LINUX_WC,
        "data folder of the Administration Server (Linux): its certificate 1093/cert/klserver.cer", platforms=lin)
    add("ksc", "file", "path", "/var/opt/kaspersky/klnagent_srv/*", "strong", KSC_LINUX_WC,
        "anything in the Administration Server data folder (Linux)", "glob", platforms=lin)
    add("ksc", "file", "path", "/etc/ksc-web-console-setup.json", "strong", KSC_LINUX_WC,
        "response file of the Security Center Web Console installer (Linux)", platforms=lin)
    # Endpoint Agent (Anti Targeted Attack / EDR): the 32-bit install folder and the data folder.
    win = ["windows"]
    add("endpoint-agent", "file", "path", "*?Program Files?Kaspersky Lab?Endpoint Agent", "definitive", KATA_KEA,
        "install folder on 32-bit Windows", "glob", True, platforms=win)
    add("endpoint-agent", "file", "path", "*?ProgramData?Kaspersky Lab?Endpoint Agent", "strong", KATA_KEA,
        "data folder (%ALLUSERSPROFILE%\\Kaspersky Lab\\Endpoint Agent\\<version>\\Data)", "glob", True,
        platforms=win)
    # Processes the Linux help shows running.
    add("kess", "process", "name", "kess", "strong", KESS_TOP, "the application's process (top output)",
        platforms=lin)
    add("kfl", "process", "name", "kfl", "strong", KFL_TOP, "the application's process (top output)",
        platforms=lin)
    # Public pages for facts the research had only from its unidentified code index (add()
    # keeps the indicator and replaces its source): the vendor's folders under Program
    # Files (both views) and ProgramData, its Linux log folder, its download host.
    for g in ("*?Program Files?Kaspersky Lab", "*?Program Files (x86)?Kaspersky Lab"):
        add(None, "file", "path", g, "weak", KATA_KEA, match="glob", nocase=True)
    add(None, "file", "path", "*?ProgramData?Kaspersky Lab", "weak", KES_TRACES, match="glob", nocase=True)
    add(None, "file", "path", "/var/log/kaspersky", "weak", KESL_TRACES)
    add(None, "file", "path", "/var/log/kaspersky/*", "weak", KESL_TRACES, match="glob")
    add(None, "domain", "name", "devbuilds.s.kaspersky-labs.com", "strong", KVRT_URL, nocase=True)

# ---------------------------------------------------------------------------------------
# Issue 12, item 1, last pass: facts the research had only from its unidentified code index,
# found in a public tool that acts on real hosts (add() keeps the indicator and its confidence
# and replaces the source).
# ---------------------------------------------------------------------------------------

# EDRHunt's Kaspersky scanner: a host is Kaspersky's when its processes, drivers or modules
# include avpui.exe, avpsus.exe, klnagent.exe, kl_platf.exe, ... (at a fixed commit).
EDRHUNT = ("https://github.com/FourCoreLabs/EDRHunt/blob/22ec3374e42cdf4383eade8afe74334e7ba0dbdb/"
           "pkg/scanners/scan_kaspersky.go")


# Anti Targeted Attack Platform 5.0 help (ru-RU), "Data in the trace and dump files of
# Kaspersky Endpoint Agent for Linux": trace files are kept, by default, in
# /var/log/kaspersky/epagent/, for as long as the application is used, and are deleted with it.
KEA_LINUX_TRACES = "https://support.kaspersky.ru/KATA/5.0/ru-RU/210463.htm"


def catalog_v6():
    lin = ["linux"]
    add("endpoint-agent", "file", "path", "/var/log/kaspersky/epagent", "strong", KEA_LINUX_TRACES,
        "trace folder of Endpoint Agent for Linux (deleted with the application)", platforms=lin)
    add("endpoint-agent", "file", "path", "/var/log/kaspersky/epagent/*", "strong", KEA_LINUX_TRACES,
        "trace file of Endpoint Agent for Linux", "glob", platforms=lin)
    for name in ("avpui.exe", "avpsus.exe"):
        old = seen[(None, "process", "name", "exact", True, name)]
        add(None, "process", "name", name, old["confidence"], EDRHUNT, nocase=True)
    # the scanner's other Kaspersky process names, single-sourced: weak
    for name in ("kl_platf.exe", "klnagwds.exe", "klnsacwsrv.exe"):
        add(None, "process", "name", name, "weak", EDRHUNT,
            "Windows process a public EDR scanner counts as Kaspersky's", nocase=True, platforms=["windows"])


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
        "calendar": "us-federal",
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


# The days the business days of a directive skip besides weekends (lib/fleet/calendar.c).
USC_6103 = "https://www.law.cornell.edu/uscode/text/5/6103"
OPM_HOLIDAYS = "https://www.opm.gov/policy-data-oversight/pay-leave/federal-holidays/"
CALENDARS = [
    {
        "id": "us-federal",
        "name": "US federal holidays (5 U.S.C. 6103(a)), observed in lieu for federal employees "
                "(5 U.S.C. 6103(b), Executive Order 11582), and executive orders closing the "
                "executive departments. Inauguration Day (5 U.S.C. 6103(c)) is a holiday only in "
                "the Washington, DC area: list it in the report config's closed days.",
        "observed": "in_lieu",
        "holidays": [
            {"name": "New Year's Day", "month": 1, "day": 1},
            {"name": "Birthday of Martin Luther King, Jr.", "month": 1, "weekday": "monday",
             "nth": "third", "from": 1986},
            {"name": "Washington's Birthday", "month": 2, "weekday": "monday", "nth": "third"},
            {"name": "Memorial Day", "month": 5, "weekday": "monday", "nth": "last"},
            {"name": "Juneteenth National Independence Day", "month": 6, "day": 19, "from": 2021,
             "source": "https://www.congress.gov/bill/117th-congress/senate-bill/475"},
            {"name": "Independence Day", "month": 7, "day": 4},
            {"name": "Labor Day", "month": 9, "weekday": "monday", "nth": "first"},
            {"name": "Columbus Day", "month": 10, "weekday": "monday", "nth": "second"},
            {"name": "Veterans Day", "month": 11, "day": 11},
            {"name": "Thanksgiving Day", "month": 11, "weekday": "thursday", "nth": "fourth"},
            {"name": "Christmas Day", "month": 12, "day": 25},
        ],
        "closures": [
            {"date": "2018-12-05", "name": "executive order closing the executive departments: "
             "national day of mourning for President George H. W. Bush",
             "source": "https://www.businessinsider.com/trump-ordered-the-government-closed-"
                       "december-5-for-george-hw-bush-2018-12"},
            {"date": "2018-12-24", "name": "Executive Order 13854 (83 FR 65481)",
             "source": "https://www.federalregister.gov/d/2018-27945"},
            {"date": "2019-12-24", "name": "Executive Order 13900 (84 FR 69983)",
             "source": "https://www.federalregister.gov/d/2019-27678"},
            {"date": "2020-12-24", "name": "executive order of 11 December 2020 closing the executive "
             "departments on Christmas Eve",
             "source": "https://theepochtimes.com/president-trump-makes-christmas-eve-a-federal-"
                       "holiday-except-for-certain-employees_3617589.html"},
            {"date": "2024-12-24", "name": "executive order of 19 December 2024 closing the executive "
             "departments on Christmas Eve",
             "source": "https://governmentexecutiveconsultingservices.com/2025/01/biden-to-close-"
                       "federal-agencies-jan-9-for-carter-day-of-mourning"},
            {"date": "2025-01-09", "name": "Executive Order 14133 (90 FR 187): national day of "
             "mourning for President Jimmy Carter",
             "source": "https://regulations.justia.com/regulations/fedreg/2025/01/03/2024-31766.html"},
            {"date": "2025-12-24", "name": "executive order of 18 December 2025 closing the executive "
             "departments on 24 and 26 December 2025",
             "source": "https://thefollowup.ai/article/providing-for-the-closure-of-executive-"
                       "departments-and-agencies-of-the-federal-government-on-december-24-2025-"
                       "and-december-26-2025"},
            {"date": "2025-12-26", "name": "executive order of 18 December 2025 closing the executive "
             "departments on 24 and 26 December 2025",
             "source": "https://thefollowup.ai/article/providing-for-the-closure-of-executive-"
                       "departments-and-agencies-of-the-federal-government-on-december-24-2025-"
                       "and-december-26-2025"},
        ],
        "source": USC_6103,
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
    for d in cat["directives"]:
        assert d.get("calendar", "us-federal") in {c["id"] for c in cat["calendars"]}, d["id"]
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
        if p["id"] not in used and p["id"] not in ("kav-engine-oem", "kata"):
            print("note: product %s has no indicator" % p["id"], file=sys.stderr)


# ---------------------------------------------------------------------------------------
# Issue 12, item 1, localised names (review pass): the names Windows shows for Security
# Center's services in the French and Italian builds, from the French and Italian pages of
# the KSC 14.2 help "changes in the system after installing Kaspersky Security Center"
# (columns: service name, displayed service name). The product names themselves are not
# translated in these languages: the French and Italian help of Endpoint Security for
# Windows, Security Center and Password Manager use the English names (Kaspersky Endpoint
# Security for Windows, Kaspersky Security Center Network Agent in Italian), already in
# the catalog; the Russian help of Password Manager (KPM Mac10.2 ru-RU) calls it Kaspersky
# Password Manager too. (The Italian build's English display names of the Network Agent and
# Administration Server services are not added as service descriptions: a Linux unit's
# Description says the same, and a Windows-only indicator matching it on a root carrying
# both platforms' markers is refused by the removal's re-match, hostile-scan.sh.)
# ---------------------------------------------------------------------------------------

KSC_SERVICES_FR = "https://support.kaspersky.com/KSC/14.2/fr-FR/25950.htm"


def catalog_v7():
    win = ["windows"]
    for owner, name, src, what in (
            ("klnagent", "Agent d'administration de Kaspersky Security Center", KSC_SERVICES_FR,
             "display name of the klnagent service (French build)"),
            ("ksc", "Serveur d'administration de Kaspersky Security Center", KSC_SERVICES_FR,
             "display name of the kladminserver service (French build)"),
            ("ksc", "Serveur Web de Kaspersky", KSC_SERVICES_FR,
             "display name of the klwebsrv service (French build)"),
            ("ksc", "Serveur proxy d'activation de Kaspersky", KSC_SERVICES_FR,
             "display name of the klactprx service (French build)"),
            ("ksc", "Serveur proxy Kaspersky Security Network", KSC_SERVICES_FR,
             "display name of the ksnproxy service (French build)"),
            ("ksc", "Server Web di Kaspersky", KSC_SERVICES_IT,
             "display name of the klwebsrv service (Italian build)"),
            ("ksc", "Server proxy di attivazione Kaspersky", KSC_SERVICES_IT,
             "display name of the klactprx service (Italian build)"),
            ("ksc", "Server proxy Kaspersky Security Network", KSC_SERVICES_IT,
             "display name of the ksnproxy service (Italian build)")):
        add(owner, "service", "description", name, "strong", src, what, nocase=True, platforms=win)


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
    catalog_v2()
    catalog_v3()
    catalog_v4()
    catalog_v5()
    catalog_v6()
    catalog_v7()
    cat = {
        "schema": "excise.catalog/1", "id": "excise-stock", "version": "2026.12.08",
        "serial": 2026120801, "issued": "2026-12-08",
        "vendors": VENDORS, "products": PRODUCTS, "indicators": indicators,
        "calendars": CALENDARS, "directives": DIRECTIVES,
    }
    check(cat)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(cat, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print("%d products, %d indicators" % (len(PRODUCTS), len(indicators)), file=sys.stderr)


if __name__ == "__main__":
    main()
