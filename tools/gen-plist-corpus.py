#!/usr/bin/env python3
"""Write the seed corpus of fuzz/fuzz-plist.c into tests/fuzz/plist/.

Usage: gen-plist-corpus.py OUTDIR

Well-formed plists are written as XML here and converted to binary with
libplist's own plistutil (Debian libplist-utils), so the binary seeds are what
libplist writes; the broken ones are cut or patched from those, or laid out by
hand where a field has to hold a given value. Re-run after changing it and
commit the result.
"""
import os
import struct
import subprocess
import sys
import tempfile

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" '
        '"http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n<plist version="1.0">\n')

XML = {
    "info-kav.xml": """<dict>
 <key>CFBundleIdentifier</key><string>com.kaspersky.kav</string>
 <key>CFBundleShortVersionString</key><string>21.0.12</string>
 <key>CFBundleVersion</key><string>21.0.12.340</string>
 <key>CFBundleName</key><string>Kaspersky Anti-Virus For Mac</string>
 <key>CFBundleExecutable</key><string>kav_app</string>
</dict>""",
    "launchd-kav.xml": """<dict>
 <key>Label</key><string>com.kaspersky.kav</string>
 <key>ProgramArguments</key><array>
  <string>/Library/Application Support/Kaspersky Lab/KAV/Binaries/kav</string><string>-d</string>
 </array>
 <key>Disabled</key><false/><key>RunAtLoad</key><true/><key>Nice</key><integer>-5</integer>
</dict>""",
    "receipt.xml": """<dict>
 <key>PackageIdentifier</key><string>com.kaspersky.kav.core</string>
 <key>PackageVersion</key><string>21.0.12</string>
 <key>InstallDate</key><date>2024-03-01T10:20:30Z</date>
 <key>InstallPrefixPath</key><string>/</string>
 <key>Blob</key><data>AAECAwQ=</data><key>Ratio</key><real>0.5</real>
</dict>""",
    "prefs-nested.xml": """<dict><key>System</key><dict><key>System</key><dict>
 <key>ComputerName</key><string>mac-01 \u00e9</string></dict></dict>
 <key>extensions</key><array><dict><key>identifier</key><string>x</string></dict></array></dict>""",
    "wrong-types.xml": """<dict><key>Label</key><array/><key>ProgramArguments</key><string>x</string>
 <key>Disabled</key><string>yes</string><key>InstallDate</key><integer>3</integer>
 <key>extensions</key><dict/></dict>""",
}


def write(out, name, data):
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def to_bin(xml_path, bin_path):
    subprocess.run(["plistutil", "-i", xml_path, "-o", bin_path, "-f", "bin"], check=True)
    return open(bin_path, "rb").read()


def bplist(objs, top=0, off_size=2, ref_size=1, n_obj=None, table=None):
    """A binary plist from raw object bytes, with trailer fields overridable."""
    data, offs = b"bplist00", []
    for o in objs:
        offs.append(len(data))
        data += o
    t = len(data)
    for o in offs:
        data += o.to_bytes(off_size, "big")
    n = len(objs) if n_obj is None else n_obj
    return data + b"\0" * 6 + bytes([off_size, ref_size]) + struct.pack(
        ">QQQ", n, top, t if table is None else table)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, body in XML.items():
            xml = (HEAD + body + "\n</plist>\n").encode()
            write(out, name, xml)
            x = os.path.join(tmp, name)
            open(x, "wb").write(xml)
            b = to_bin(x, x + ".bin")
            base = name[:-len(".xml")]
            write(out, base + ".bplist", b)
            if name == "launchd-kav.xml":
                write(out, "trunc-trailer.bplist", b[:-7])
                write(out, "trunc-half.bplist", b[:len(b) // 2])
                # offset table entry pointing past the objects
                t = struct.unpack(">Q", b[-8:])[0]
                bad = bytearray(b)
                bad[t:t + b[-26]] = b"\xff" * b[-26]
                write(out, "offset-outside.bplist", bytes(bad))
                bad = bytearray(b)
                bad[-24:-16] = struct.pack(">Q", 1 << 40)  # object count
                write(out, "huge-count.bplist", bytes(bad))
                bad = bytearray(b)
                bad[-16:-8] = struct.pack(">Q", 1 << 32)  # top object
                write(out, "bad-top.bplist", bytes(bad))
    # Hand-laid graphs: deep nesting, a cycle, shared references that expand.
    write(out, "deep-100.bplist", bplist([bytes([0xA1, i + 1]) for i in range(99)] + [b"\xa0"]))
    write(out, "cycle.bplist", bplist([bytes([0xA1, 1]), bytes([0xA1, 0])]))
    write(out, "laughs.bplist",
          bplist([bytes([0xA2, i + 1, i + 1]) for i in range(39)] + [b"\xa0"]))
    write(out, "ref-past-end.bplist", bplist([bytes([0xA1, 9])]))
    write(out, "dict-int-key.bplist", bplist([bytes([0xD1, 1, 1]), b"\x10\x05"]))
    write(out, "long-string-len.bplist", bplist([b"\x5f\x13" + b"\xff" * 8 + b"abc"]))
    write(out, "utf16.bplist", bplist([bytes([0xD1, 1, 2]), b"\x55Label", b"\x62\x00k\x04\x30"]))
    write(out, "deep-100.xml", (HEAD + "<array>" * 100 + "</array>" * 100 + "</plist>").encode())
    write(out, "unclosed.xml", (HEAD + "<dict><key>Label</key><string>x").encode())
    write(out, "empty", b"")


if __name__ == "__main__":
    main()
