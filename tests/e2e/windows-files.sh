#!/bin/bash
# End-to-end: the win-files source over Windows-shaped roots built at test time.
# Tiny executables, a DLL and a driver are compiled with MinGW, given VERSIONINFO
# resources with windres, and signed with osslsigncode by certificates made with
# openssl here. Proves: version strings become file evidence (publisher, product
# name, version), a vendor signature is strong evidence under any file name, a
# lookalike vendor gives nothing, a bare vendor folder is only weak, folders are
# found whatever their case, and hostile PE files each give one clear item error
# without stopping the scan (bounded reads: a 1 GiB sparse driver costs nothing).
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

for t in x86_64-w64-mingw32-gcc x86_64-w64-mingw32-windres osslsigncode openssl; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
MUT="$EXCISE_SRC/tests/e2e/pe-mutate.py"
B=$T/build
mkdir -p "$B"
echo 'int start(void) { return 0; }' >"$B/a.c"

# mkpe OUT COMPANY PRODUCT DESCRIPTION VERSION ORIGINAL [dll]: a PE with a version resource
# (COMPANY "" for none at all).
mkpe() {
	local out=$1 company=$2 product=$3 desc=$4 ver=$5 orig=$6 kind=${7:-exe}
	local n=$B/$RANDOM$RANDOM objs=("$B/a.c") shared=()
	if [ -n "$company" ]; then
		cat >"$n.rc" <<-EOF
		1 VERSIONINFO
		FILEVERSION ${ver//./,}
		PRODUCTVERSION ${ver//./,}
		BEGIN
		  BLOCK "StringFileInfo"
		  BEGIN
		    BLOCK "040904b0"
		    BEGIN
		      VALUE "CompanyName", "$company"
		      VALUE "ProductName", "$product"
		      VALUE "FileDescription", "$desc"
		      VALUE "FileVersion", "$ver"
		      VALUE "ProductVersion", "$ver"
		      VALUE "OriginalFilename", "$orig"
		    END
		  END
		  BLOCK "VarFileInfo"
		  BEGIN
		    VALUE "Translation", 0x409, 1200
		  END
		END
		EOF
		x86_64-w64-mingw32-windres -c 65001 "$n.rc" -O coff -o "$n.o" || return 1
		objs+=("$n.o")
	fi
	[ "$kind" = dll ] && shared=(-shared)
	mkdir -p "$(dirname "$out")"
	x86_64-w64-mingw32-gcc -Os -s -nostdlib "${shared[@]}" -Wl,-e,start -o "$out" "${objs[@]}"
}

# mkcert NAME SUBJECT: a self-signed code-signing certificate $B/NAME.{crt,key}
mkcert() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$B/$1.key" -out "$B/$1.crt" -days 30 \
		-subj "$2" -addext "extendedKeyUsage=codeSigning" 2>/dev/null
}

# sign CERT FILE: sign FILE in place
sign() {
	osslsigncode sign -certs "$B/$1.crt" -key "$B/$1.key" -n "test" -in "$2" -out "$2.signed" \
		>/dev/null && mv "$2.signed" "$2"
}

mkcert kl "/CN=AO Kaspersky Lab/O=AO Kaspersky Lab/C=RU"
mkcert ks "/CN=Kingsoft Corporation/O=Kingsoft Corporation/C=CN"
mkcert mw "/CN=MicroWorld Technologies Inc./O=MicroWorld Technologies Inc./C=US"

# --- W: a Windows root with Kaspersky installed; folder names in unusual case ---
W=$T/win
PF86="$W/PROGRAM FILES (X86)"
KES="$PF86/Kaspersky Lab/Kaspersky Endpoint Security for Windows"
mkdir -p "$W/Windows/System32/config" "$W/Windows/System32/DRIVERS" "$W/Users/alice/Downloads"
: >"$W/Windows/System32/config/SOFTWARE"
mkpe "$KES/avp.exe" "AO Kaspersky Lab" "Kaspersky Endpoint Security for Windows" \
	"Kaspersky Endpoint Security Service" 12.3.0.493 avp.exe
mkpe "$KES/kavlib.dll" "AO Kaspersky Lab" "Kaspersky Endpoint Security for Windows" \
	"Kaspersky Anti-Virus Library" 12.3.0.493 kavlib.dll dll
mkpe "$PF86/Kaspersky Lab/NetworkAgent/klnagent.exe" "AO Kaspersky Lab" \
	"Kaspersky Security Center Network Agent" "Network Agent" 14.2.0.26967 klnagent.exe
mkpe "$W/Windows/System32/svcupd.exe" "" "" "" "" ""
sign kl "$W/Windows/System32/svcupd.exe"
mkpe "$W/Windows/System32/DRIVERS/klif.sys" "Kaspersky Lab" "Kaspersky Anti-Virus" \
	"Klif Mini-Filter" 12.3.0.493 klif.sys
sign kl "$W/Windows/System32/DRIVERS/klif.sys"
mkpe "$W/Windows/System32/notepad.exe" "Microsoft Corporation" "Microsoft® Windows® Operating System" \
	"Notepad" 10.0.19041.1 NOTEPAD.EXE
cp "$W/Windows/System32/svcupd.exe" "$W/Users/alice/Downloads/setup.exe"
# EXCISE_MAX_WIN_PE_DEPTH (6): a signed file at depth 6 below Program Files is read, at 7 not.
mkdir -p "$W/Program Files/1/2/3/4/5/6"
cp "$W/Windows/System32/svcupd.exe" "$W/Program Files/1/2/3/4/5/six.exe"
cp "$W/Windows/System32/svcupd.exe" "$W/Program Files/1/2/3/4/5/6/seven.exe"

scan_json "$W" --only win-files
check_eq "windows root: exit status found" "$rc" 1
check "windows root: report validates" validate_report "$T/out.json"
check_eq "windows root: platform detected" "$(jq_py "$T/out.json" 'r["host"]["platform"]')" windows
cp "$T/out.json" "$T/win.json"
# ev PRODUCT EXPR-over-e: the evidence of PRODUCT's finding that satisfies EXPR, as JSON
ev() {
	py - "$T/win.json" "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1], encoding="utf-8"))
out = []
for f in r["findings"]:
    if f["product"]["id"] != sys.argv[2]:
        continue
    for e in per_match(f["evidence"]):
        if eval(sys.argv[3], {"e": e}):
            out.append([e["kind"], e["field"], e["value"], e["path"], e["indicator"]["confidence"]])
print(json.dumps(sorted(out)))
PY
}
check_eq "KES finding: strong, version from the PE" \
	"$(finding_py "$T/win.json" kes-windows '(f["confidence"], f["version"], f["state"])')" \
	"('strong', '12.3.0.493', 'remnant')"
check_eq "avp.exe: CompanyName is strong file evidence with version and attrs" \
	"$(jq_py "$T/win.json" '[(e["value"], e["version"], e["attrs"]["original_filename"], e["attrs"]["product_name"], e["indicator"]["confidence"]) for f in r["findings"] for e in per_match(f["evidence"]) if e["path"].endswith("/avp.exe") and e["field"] == "publisher" and e["indicator"]["confidence"] == "strong"]')" \
	'[["AO Kaspersky Lab", "12.3.0.493", "avp.exe", "Kaspersky Endpoint Security for Windows", "strong"]]'
check_eq "avp.exe: found under the real spelling of Program Files (x86)" \
	"$(ev kes-windows 'e["field"] == "description" and e["path"].endswith("avp.exe")')" \
	'[["file", "description", "Kaspersky Endpoint Security for Windows", "/PROGRAM FILES (X86)/Kaspersky Lab/Kaspersky Endpoint Security for Windows/avp.exe", "strong"]]'
check_eq "kavlib.dll (a DLL) read too" \
	"$(jq_py "$T/win.json" 'sorted(set(e["version"] for f in r["findings"] for e in per_match(f["evidence"]) if e["path"].endswith("kavlib.dll")))')" \
	'["12.3.0.493"]'
check_eq "klnagent: definitive folder, strong name, ProductName, all with the PE's version" \
	"$(finding_py "$T/win.json" klnagent '(f["confidence"], sorted(set((e["field"], e["indicator"]["confidence"], e["version"]) for e in per_match(f["evidence"]) if e["indicator"]["id"].startswith("klnagent."))))')" \
	"('definitive', [('description', 'strong', '14.2.0.26967'), ('name', 'strong', '14.2.0.26967'), ('path', 'definitive', None)])"
check_eq "svcupd.exe: strong only through its signer (no version info, unexpected name)" \
	"$(jq_py "$T/win.json" 'sorted(set((e["kind"], e["field"], e["value"], e["state"], e["indicator"]["confidence"]) for f in r["findings"] for e in per_match(f["evidence"]) if e["path"] == "/Windows/System32/svcupd.exe"))')" \
	'[["signer", "name", "AO Kaspersky Lab", "unverified", "strong"], ["signer", "publisher", "AO Kaspersky Lab", "unverified", "strong"]]'
check_eq "signer evidence says the signature was not verified, and carries the serial" \
	"$(jq_py "$T/win.json" 'sorted(set((e["attrs"]["signature"], len(e["attrs"]["serial"]) > 8) for f in r["findings"] for e in per_match(f["evidence"]) if e["kind"] == "signer"))')" \
	'[["present, not verified", true]]'
check_eq "signed files found (any name, depth 6 but not 7 below Program Files)" \
	"$(jq_py "$T/win.json" 'sorted(set(e["path"] for f in r["findings"] for e in per_match(f["evidence"]) if e["kind"] == "signer"))')" \
	'["/Program Files/1/2/3/4/5/six.exe", "/Users/alice/Downloads/setup.exe", "/Windows/System32/DRIVERS/klif.sys", "/Windows/System32/svcupd.exe"]'
check_eq "klif.sys: name, publisher and signer" \
	"$(jq_py "$T/win.json" 'sorted(set((e["kind"], e["field"]) for f in r["findings"] for e in per_match(f["evidence"]) if e["path"].endswith("klif.sys")))')" \
	'[["file", "description"], ["file", "name"], ["file", "path"], ["file", "publisher"], ["signer", "name"], ["signer", "publisher"]]'
check_eq "notepad.exe (Microsoft) is read but matches nothing" \
	"$(jq_py "$T/win.json" 'any("notepad" in (e["path"] or "") for f in r["findings"] for e in per_match(f["evidence"]))')" False
check_eq "win-files: ok, no item errors, PE files counted" \
	"$(jq_py "$T/win.json" '[(s["status"], s["n_errors"], s["observations"] >= 7) for s in r["sources"] if s["name"] == "win-files"]')" \
	'[["ok", 0, true]]'

"$EXCISE" scan --root "$W" --only win-files --format csv -o "$T/out.csv" 2>/dev/null
check "CSV has the signer rows" grep -q ',win-files,signer,name,AO Kaspersky Lab,/Windows/System32/svcupd.exe,' "$T/out.csv"
check "CSV has the file publisher rows" grep -q ',win-files,file,publisher,AO Kaspersky Lab,/PROGRAM FILES (X86)/' "$T/out.csv"
"$EXCISE" scan --root "$W" --only win-files -v -o "$T/out.txt" 2>/dev/null
check "text -v shows the signer and its state" grep -Eq '^    [a-z]+ +win-files +signer AO Kaspersky Lab at /Windows/System32/svcupd.exe \(unverified\)' "$T/out.txt"
COLUMNS=160 "$EXCISE" scan --root "$W" --only win-files -o "$T/out-short.txt" 2>/dev/null
check "text shows the signer, its file and its state on one line" grep -Eq '^    [a-z]+ +signer AO Kaspersky Lab at /Windows/System32/svcupd.exe \(unverified\) \[' "$T/out-short.txt"

# The full walk finds the same folders and files whatever their case.
scan_json "$W" --full --only walk
check_eq "full walk: NetworkAgent folder (nocase glob) and klif.sys" \
	"$(jq_py "$T/out.json" 'sorted(set((e["field"], e["path"]) for f in r["findings"] for e in per_match(f["evidence"]) if e["path"].endswith(("NetworkAgent", "klif.sys", "klnagent.exe"))))')" \
	'[["name", "/PROGRAM FILES (X86)/Kaspersky Lab/NetworkAgent/klnagent.exe"], ["name", "/Windows/System32/DRIVERS/klif.sys"], ["path", "/PROGRAM FILES (X86)/Kaspersky Lab/NetworkAgent"], ["path", "/Windows/System32/DRIVERS/klif.sys"]]'

# --- N: lookalikes and a bare leftover folder ---------------------------------
N=$T/neg
mkdir -p "$N/Windows/System32/config" "$N/ProgramData/Kaspersky Lab"
: >"$N/Windows/System32/config/SOFTWARE"
mkpe "$N/Program Files/Kingsoft/KAV/kav32.exe" "Kingsoft Corporation" "Kingsoft AntiVirus" \
	"KAV Main Program" 2010.11.4.1 kav32.exe
sign ks "$N/Program Files/Kingsoft/KAV/kav32.exe"
mkpe "$N/Program Files/eScan/avpm.exe" "MicroWorld Technologies Inc." "eScan Anti-Virus" \
	"eScan Monitor" 22.0.1400.2378 avpm.exe
sign mw "$N/Program Files/eScan/avpm.exe"
mkpe "$N/ProgramData/Kaspersky Lab/old.exe" "" "" "" "" ""
echo leftover >"$N/ProgramData/Kaspersky Lab/report.txt"
scan_json "$N" --only win-files
check_eq "lookalikes: clean (weak leftovers only)" "$rc" 0
check "lookalikes: report validates" validate_report "$T/out.json"
check_eq "lookalikes: only the weak leftover folder, a trace of the vendor" \
	"$(jq_py "$T/out.json" '[(f["product"]["id"], f["state"], f["confidence"], sorted(set(e["path"] for e in per_match(f["evidence"])))) for f in r["findings"]]')" \
	'[["kaspersky:traces", "remnant", "weak", ["/ProgramData/Kaspersky Lab"]]]'
check_eq "lookalikes: their PE files were read (observed, unmatched)" \
	"$(jq_py "$T/out.json" '[(s["observations"] >= 4, s["matched"], s["n_errors"]) for s in r["sources"] if s["name"] == "win-files"]')" \
	'[[true, 1, 0]]'

# --- H: hostile PE files --------------------------------------------------------
H=$T/hostile
D=$H/Windows/System32/drivers
mkdir -p "$H/Windows/System32/config" "$D" "$H/Program Files/Kaspersky Lab"
: >"$H/Windows/System32/config/SOFTWARE"
mkpe "$B/good.sys" "Kaspersky Lab" "Kaspersky Anti-Virus" "Klif Mini-Filter" 12.3.0.493 klif.sys
sign kl "$B/good.sys"
muts=(bad-lfanew lfanew-limit sections-past-eof many-sections res-loop res-loop-deep res-deep
	res-count ver-huge ver-outside ver-node-len cert-huge cert-len cert-garbage truncate:100)
for m in "${muts[@]}"; do
	py "$MUT" "$B/good.sys" "$D/kl-${m%%:*}.sys" "$m"
done
: >"$D/klempty.sys"
cp "$B/good.sys" "$D/klif.sys"
truncate -s 1G "$D/klif.sys"
cp "$B/good.sys" "$D/klwfp.sys"
big=yes
truncate -s 200G "$D/klwfp.sys" 2>/dev/null || big=no
mkfifo "$D/klim6.sys"
ln -s /etc/passwd "$H/Program Files/Kaspersky Lab/avp.exe"
ln -s ../../../../../../../../etc/passwd "$H/Program Files/Kaspersky Lab/avpui.exe"
start=$(date +%s)
scan_json "$H" --only win-files
secs=$(($(date +%s) - start))
check_eq "hostile: the scan finishes with a report (found: the good klif.sys)" "$rc" 1
check "hostile: report validates" validate_report "$T/out.json"
check "hostile: bounded reads (a 1 GiB and a ${big} 200 GiB sparse driver): ${secs}s < 20s" \
	test "$secs" -lt 20
check_eq "hostile: the sparse klif.sys still gives its signer" \
	"$(jq_py "$T/out.json" 'sorted(set(e["path"] for f in r["findings"] for e in per_match(f["evidence"]) if e["kind"] == "signer" and "/klif" in e["path"] or "/klwfp" in e["path"]))')" \
	"$([ $big = yes ] && echo '["/Windows/System32/drivers/klif.sys", "/Windows/System32/drivers/klwfp.sys"]' || echo '["/Windows/System32/drivers/klif.sys"]')"
jq_py "$T/out.json" '"\n".join(e for s in r["sources"] if s["name"] == "win-files" for e in s["errors"])' >"$T/errors.txt"
# expect NAME TEXT: the item error for drivers/NAME contains TEXT
expect() {
	if grep -F "'/Windows/System32/drivers/$1'" "$T/errors.txt" | grep -qF -- "$2"; then
		ok "hostile: $1: $2"
	else
		not_ok "hostile: $1: $2"
		sed 's/^/# /' "$T/errors.txt" | head -30
	fi
}
expect kl-bad-lfanew.sys "e_lfanew 0x7ffffff0 at offset 0x3c points past the end of the file"
expect kl-lfanew-limit.sys "points past the header limit (65536 bytes)"
expect kl-sections-past-eof.sys "section table (0x"
expect kl-many-sections.sys "97 sections in the header at 0x80, more than 96"
expect kl-res-loop.sys "resource directory at offset 0x0 is its own ancestor (a loop)"
expect kl-res-loop-deep.sys "is its own ancestor (a loop)"
expect kl-res-deep.sys "is its own ancestor (a loop)"
expect kl-res-count.sys "4097 entries, more than 4096"
expect kl-ver-huge.sys "65537 bytes, more than 65536"
expect kl-ver-outside.sys "is not inside a section's data"
expect kl-ver-node-len.sys "outside its parent"
expect kl-cert-huge.sys "certificate table at offset 0x"
expect kl-cert-huge.sys "1048577 bytes, more than 1048576"
expect kl-cert-len.sys "outside the table"
expect kl-cert-garbage.sys "not PKCS#7"
expect kl-truncate.sys "points past the end of the file (100 bytes)"
expect klempty.sys "not a PE file: 0 bytes"
expect klim6.sys "not a regular file, not read"
check_eq "hostile: one error per bad file, none for the symlinks" \
	"$(jq_py "$T/out.json" '[(s["status"], s["n_errors"]) for s in r["sources"] if s["name"] == "win-files"]')" \
	"[[\"ok\", $((${#muts[@]} + 2))]]"
check_eq "hostile: a bad version resource still leaves the signer (ver-node-len)" \
	"$(jq_py "$T/out.json" 'any(e["kind"] == "signer" and e["path"].endswith("kl-ver-node-len.sys") for f in r["findings"] for e in per_match(f["evidence"]))')" True
check_eq "hostile: symlinks named avp.exe are files, not followed" \
	"$(jq_py "$T/out.json" 'sorted(set(e["path"] for f in r["findings"] for e in per_match(f["evidence"]) if "avp" in e["path"]))')" '[]'

# --- limits: PE files per scan, user folders -----------------------------------
L=$T/limits
mkdir -p "$L/Windows/Temp" "$L/Users" "$L/Windows/System32/config"
: >"$L/Windows/System32/config/SOFTWARE"
mkpe "$B/plain.exe" "" "" "" "" ""
py - "$L" "$B/plain.exe" <<'PY'
import os, sys
t = os.path.join(sys.argv[1], "Windows", "Temp")
for i in range(20001):  # hard links: 20001 valid PE files for the cost of one
    os.link(sys.argv[2], os.path.join(t, "f%05d.exe" % i))
u = os.path.join(sys.argv[1], "Users")
for i in range(10001):  # EXCISE_MAX_USERS + 1
    os.mkdir(os.path.join(u, "u%05d" % i))
PY
scan_json "$L" --only win-files
check_eq "limits: 20000 PE files read, then one error; 10000 user folders (EXCISE_MAX_USERS), then one error; incomplete" \
	"$(jq_py "$T/out.json" '[(s["status"], s["observations"], s["n_errors"], any("more than 20000 PE files" in e for e in s["errors"]), any("more than 10000 user folders" in e for e in s["errors"])) for s in r["sources"] if s["name"] == "win-files"]')" \
	'[["failed", 20000, 2, true, true]]'

done_testing
