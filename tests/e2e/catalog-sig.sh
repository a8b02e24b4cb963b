#!/bin/bash
# End-to-end: signed catalogs. Keys and signatures are made at test time with the
# real minisign(1) and with `excise catalog keygen/sign`, each checked by the other;
# then tampered, unsigned, wrongly signed, garbled and invalid catalogs must be
# refused with exit 3 and a message saying why. Also `excise catalog verify`, `lint`
# and `show`.
. "$(dirname "$0")/lib.sh"

command -v minisign >/dev/null || skip_all "minisign not installed"

# A system with nothing installed (an empty directory is no root: verdict.sh).
EMPTYROOT=$T/emptyroot
mkdir -p "$EMPTYROOT/etc"
echo 'ID=debian' >"$EMPTYROOT/etc/os-release"

# key id as minisign writes it in the public key comment
# The key id in a public key's comment line. minisign prints it without leading
# zeros ("E831F8682FADA0C"); excise always writes 16 digits: compare padded.
key_id() { sed -n '1s/.* \([0-9A-F]\{1,16\}\)$/\1/p' "$1" | awk '{ printf "%016s\n", $1 }' | tr ' ' 0; }

scan_with() { # CATALOG KEY [SIG]
	local sig=()
	[ $# -ge 3 ] && sig=(--catalog-sig "$3")
	"$EXCISE" scan --root "$EMPTYROOT" --catalog "$1" --trusted-key "$2" "${sig[@]}"
}

minisign -G -W -p "$T/m.pub" -s "$T/m.key" >/dev/null 2>&1
check "minisign made a key pair" test -s "$T/m.pub"
expect "excise catalog keygen" 0 "public key" "$EXCISE" catalog keygen -p "$T/x.pub" -s "$T/x.key"
check_eq "secret key mode 0600" "$(stat -c %a "$T/x.key")" 600
expect "keygen refuses to overwrite" 2 "overwrite" \
	"$EXCISE" catalog keygen -p "$T/x2.pub" -s "$T/x.key"
check "keygen left nothing behind" test ! -e "$T/x2.pub"
MID=$(key_id "$T/m.pub")
XID=$(key_id "$T/x.pub")
check "key ids read" test -n "$MID" -a -n "$XID" -a "$MID" != "$XID"

# (a) signed by minisign, accepted by excise
cp "$EXCISE_SRC/catalog/excise-catalog.json" "$T/c.json"
minisign -S -s "$T/m.key" -m "$T/c.json" >/dev/null 2>&1
check "minisign signed the catalog" test -s "$T/c.json.minisig"
expect "scan with a minisign-signed catalog" 0 "" scan_with "$T/c.json" "$T/m.pub"
expect "scan with the key as its base64 line" 0 "" \
	scan_with "$T/c.json" "$(sed -n 2p "$T/m.pub")"
expect "catalog verify (minisign signature)" 0 \
	"signature and catalog OK \\(key ID $MID, catalog excise-stock version " \
	"$EXCISE" catalog verify -p "$T/m.pub" "$T/c.json"
expect "catalog verify with --trusted-key" 0 "key ID $MID" \
	"$EXCISE" catalog verify --trusted-key "$T/m.pub" "$T/c.json"
expect "catalog show of the signed file names the key" 0 "key ID $MID" \
	"$EXCISE" catalog show --catalog "$T/c.json" --trusted-key "$T/m.pub"
scan_json "$EMPTYROOT" --catalog "$T/c.json" --trusted-key "$T/m.pub"
check_eq "report: exit 0" "$rc" 0
check_eq "report names the signing key" "$(jq_py "$T/out.json" 'r["catalog"].get("key_id")')" "$MID"

# (b) signed by excise (with minisign's key and with its own), accepted by minisign
cp "$T/c.json" "$T/e.json"
expect "excise catalog sign" 0 "" "$EXCISE" catalog sign -s "$T/m.key" -t "excise e2e" "$T/e.json"
check "minisign -V accepts excise's signature" minisign -V -p "$T/m.pub" -m "$T/e.json"
expect "minisign shows the trusted comment" 0 "excise e2e" \
	minisign -V -p "$T/m.pub" -m "$T/e.json"
expect "prehashed (ED) signature" 0 "^RU[Q-T]" sed -n 2p "$T/e.json.minisig"
cp "$T/c.json" "$T/x.json"
expect "sign with an excise key" 0 "" "$EXCISE" catalog sign -s "$T/x.key" "$T/x.json"
check "minisign -V accepts it" minisign -V -p "$T/x.pub" -m "$T/x.json"
minisign -S -W -s "$T/x.key" -m "$T/x.json" -x "$T/x.json.m.minisig" >/dev/null 2>&1
check "minisign signs with an excise key" test -s "$T/x.json.m.minisig"
expect "excise verifies it" 0 "key ID $XID" \
	"$EXCISE" catalog verify -p "$T/x.pub" -x "$T/x.json.m.minisig" "$T/x.json"
expect "scan with --catalog-sig" 0 "" scan_with "$T/x.json" "$T/x.pub" "$T/x.json.m.minisig"

# (c) one byte changed
cp "$T/c.json" "$T/t.json"
cp "$T/c.json.minisig" "$T/t.json.minisig"
py - "$T/t.json" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"Kaspersky Endpoint Security for Linux")
b[i] ^= 0x20
open(p, "wb").write(b)
PY
check "the tampered file differs" test "$(cmp -l "$T/c.json" "$T/t.json" | wc -l)" -eq 1
expect "scan refuses a tampered catalog" 3 "signature" scan_with "$T/t.json" "$T/m.pub"
expect "verify refuses a tampered catalog" 3 "signature.*$MID.*does not verify" \
	"$EXCISE" catalog verify -p "$T/m.pub" "$T/t.json"
check "minisign agrees it is tampered" bash -c "! minisign -V -q -p '$T/m.pub' -m '$T/t.json'"

# trusted comment changed
sed '3s/$/ extra/' "$T/c.json.minisig" >"$T/tc.json.minisig"
expect "scan refuses a changed trusted comment" 3 "trusted comment" \
	scan_with "$T/c.json" "$T/m.pub" "$T/tc.json.minisig"

# (d) unsigned
cp "$T/c.json" "$T/u.json"
expect "scan refuses an unsigned catalog" 3 "signature missing" scan_with "$T/u.json" "$T/m.pub"
expect "verify refuses an unsigned catalog" 3 "signature missing" \
	"$EXCISE" catalog verify -p "$T/m.pub" "$T/u.json"
expect "scan refuses a file catalog without a trusted key" 3 "trusted key" \
	"$EXCISE" scan --root "$EMPTYROOT" --catalog "$T/c.json"

# (e) signed by another key
expect "scan refuses another key's signature" 3 "$MID.*$XID" scan_with "$T/c.json" "$T/x.pub"
expect "verify refuses another key's signature" 3 "key ID $MID.*not a trusted key.*$XID" \
	"$EXCISE" catalog verify -p "$T/x.pub" "$T/c.json"
expect "either of two keys" 0 "key ID $MID" \
	"$EXCISE" catalog verify -p "$T/x.pub" -p "$T/m.pub" "$T/c.json"

# (f) garbled signature files
cp "$T/c.json" "$T/g.json"
sed '2s/^\(....\)./\1@/' "$T/c.json.minisig" >"$T/g.json.minisig"
expect "scan refuses a garbled signature" 3 "signature.*line 2" scan_with "$T/g.json" "$T/m.pub"
head -n 2 "$T/c.json.minisig" >"$T/g.json.minisig"
expect "scan refuses a truncated signature" 3 "signature.*line 3" scan_with "$T/g.json" "$T/m.pub"
head -c 70000 /dev/zero | tr '\0' '\n' >"$T/g.json.minisig"
expect "scan refuses an oversized signature" 3 "larger than" scan_with "$T/g.json" "$T/m.pub"
: >"$T/g.json.minisig"
expect "scan refuses an empty signature" 3 "signature" scan_with "$T/g.json" "$T/m.pub"
expect "an unreadable trusted key is an error" 3 "nonexistent.pub" \
	scan_with "$T/c.json" "$T/nonexistent.pub"

# (g) well signed, but not a valid catalog
py - "$EXCISE_SRC/catalog/excise-catalog.json" "$T/bad.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
c["surprise_key"] = 1
json.dump(c, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, indent=1)
PY
"$EXCISE" catalog sign -s "$T/m.key" "$T/bad.json"
check "minisign accepts the signature of the bad catalog" \
	minisign -V -q -p "$T/m.pub" -m "$T/bad.json"
expect "scan refuses a signed but invalid catalog" 3 "bad.json.*surprise_key" \
	scan_with "$T/bad.json" "$T/m.pub"
expect "verify refuses a signed but invalid catalog" 3 "surprise_key" \
	"$EXCISE" catalog verify -p "$T/m.pub" "$T/bad.json"
printf '{"schema": "excise.catalog/1",\n  "vendors": [\n' >"$T/trunc.json"
"$EXCISE" catalog sign -s "$T/m.key" "$T/trunc.json"
expect "scan refuses signed broken JSON, naming the place" 3 "trunc.json.*line [0-9]+" \
	scan_with "$T/trunc.json" "$T/m.pub"

# lint and show
expect "lint of the stock catalog" 0 "OK" "$EXCISE" catalog lint "$EXCISE_SRC/catalog/excise-catalog.json"
expect "lint of the embedded catalog" 0 "OK" "$EXCISE" catalog lint
expect "lint of an invalid catalog names the key" 3 "surprise_key" "$EXCISE" catalog lint "$T/bad.json"
expect "lint of broken JSON names the line" 3 "trunc.json.*line [0-9]+" \
	"$EXCISE" catalog lint "$T/trunc.json"
# lint reads on after a problem: every one in one run. Three in the stock catalog
# (an unknown top key, an indicator of an unknown kind, another of an unknown
# product), one with no products and no indicators at all.
py - "$EXCISE_SRC/catalog/excise-catalog.json" "$T/three.json" "$T/none.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["surprise_key"] = 1
c["indicators"][3]["kind"] = "files"
next(i for i in c["indicators"][4:] if "product" in i)["product"] = "no-such-product"
json.dump(c, open(sys.argv[2], "w"))
c = json.load(open(sys.argv[1]))
c["products"], c["indicators"], c["directives"] = [], [], []
json.dump(c, open(sys.argv[3], "w"))
PY
expect "lint lists every problem: the unknown key" 3 "three.json': unknown member 'surprise_key'" \
	"$EXCISE" catalog lint "$T/three.json"
check "lint lists every problem: the unknown kind" grep -Eq "/indicators/3/kind \(id '[^']+'\): expected one of" "$T/.out"
check "lint lists every problem: the unknown product" grep -q "product 'no-such-product' is not in the catalog" "$T/.out"
check "lint counts them: 3 problems" grep -q "three.json: 3 problems" "$T/.out"
expect "lint: a catalog with no products is an error" 3 "/products: expected an array of at least 1 objects" \
	"$EXCISE" catalog lint "$T/none.json"
check "lint: ... nor indicators" grep -q "/indicators: expected an array of at least 1 objects" "$T/.out"
"$EXCISE" catalog sign -s "$T/m.key" "$T/none.json"
expect "scan refuses a signed catalog with no products" 3 "none.json': /products: expected an array of at least 1" \
	scan_with "$T/none.json" "$T/m.pub"
"$EXCISE" catalog show --format json >"$T/show.json"
check_eq "show --format json lists kesl" \
	"$(jq_py "$T/show.json" 'any(p["id"] == "kesl" for p in r["products"])')" True
check_eq "show counts every indicator" \
	"$(jq_py "$T/show.json" 'sum(r["indicators"]["by_kind"].values()) == r["indicators"]["total"] > 0' 2>&1)" True
expect "show text lists products" 0 "kesl +Kaspersky Endpoint Security for Linux" \
	"$EXCISE" catalog show
expect "verify --help" 0 "usage: excise catalog verify" "$EXCISE" catalog verify --help
expect "unknown verb" 2 "unknown catalog verb" "$EXCISE" catalog frobnicate

done_testing
