#!/usr/bin/env python3
"""Make a hostile variant of a well-formed PE file (built with MinGW at test time).

Usage: pe-mutate.py IN OUT MUTATION

Mutations (each breaks one structure the reader in lib/parse/pe.c checks):
  bad-lfanew        e_lfanew points far past the end of the file
  lfanew-limit      the file is padded past 64 KiB and e_lfanew points just below 64 KiB
  sections-past-eof the file ends in the middle of the section table
  many-sections     NumberOfSections = 97 (EXCISE_MAX_PE_SECTIONS + 1)
  res-loop          the RT_VERSION entry points back at the root directory
  res-loop-deep     the name-level entry points back at the root directory
  res-deep          the language-level entry is a directory again (its own parent)
  res-count         the root resource directory claims 4097 entries (the limit + 1)
  ver-huge          the version data entry claims 65537 bytes (the limit + 1)
  ver-outside       the version data entry claims more bytes than its section holds
  ver-node-len      the first String node claims a length past its StringTable
  cert-huge         the security directory claims 1 MiB + 1 bytes (the limit + 1)
  cert-len          the WIN_CERTIFICATE length points past the table
  cert-garbage      the PKCS#7 bytes are overwritten with junk
  truncate:N        keep only the first N bytes
"""
import struct
import sys


class PE:
    def __init__(self, b):
        self.b = b
        self.lfanew = struct.unpack_from("<I", b, 0x3C)[0]
        n_sec, opt_size = struct.unpack_from("<H12xH", b, self.lfanew + 6)
        self.n_sec_at = self.lfanew + 6
        opt = self.lfanew + 24
        magic = struct.unpack_from("<H", b, opt)[0]
        dd = opt + (112 if magic == 0x20B else 96)
        self.dir_at = lambda i: dd + 8 * i
        self.sec_at = opt + opt_size
        self.secs = []
        for i in range(n_sec):
            vsize, va, raw_size, raw_off = struct.unpack_from("<4I", b, self.sec_at + 40 * i + 8)
            self.secs.append((va, vsize, raw_off, raw_size))

    def dir(self, i):
        return struct.unpack_from("<II", self.b, self.dir_at(i))

    def off(self, rva):
        for va, vsize, raw_off, raw_size in self.secs:
            if va <= rva < va + raw_size:
                return raw_off + rva - va
        raise SystemExit("rva 0x%x not in a section" % rva)

    def res_entry(self, dir_off, want_id=None):
        """File offset of the matching entry of the resource directory at dir_off."""
        named, ids = struct.unpack_from("<HH", self.b, dir_off + 12)
        for i in range(named + ids):
            at = dir_off + 16 + 8 * i
            name = struct.unpack_from("<I", self.b, at)[0]
            if want_id is None or name == want_id:
                return at
        raise SystemExit("no resource entry %r" % want_id)


def u32(b, at, v):
    struct.pack_into("<I", b, at, v)


def main():
    src, out, what = sys.argv[1:4]
    b = bytearray(open(src, "rb").read())
    pe = PE(b)
    rsrc_va = pe.dir(2)[0]
    root = pe.off(rsrc_va) if rsrc_va else None

    def version_entry():
        e0 = pe.res_entry(root, 16)
        d1 = root + (struct.unpack_from("<I", b, e0 + 4)[0] & 0x7FFFFFFF)
        e1 = pe.res_entry(d1)
        d2 = root + (struct.unpack_from("<I", b, e1 + 4)[0] & 0x7FFFFFFF)
        e2 = pe.res_entry(d2)
        return e0, e1, root + struct.unpack_from("<I", b, e2 + 4)[0]

    if what == "bad-lfanew":
        u32(b, 0x3C, 0x7FFFFFF0)
    elif what == "lfanew-limit":
        b += bytes(0x11000 - len(b)) if len(b) < 0x11000 else b""
        u32(b, 0x3C, 0x10000 - 8)
    elif what == "res-deep":
        _, e1, _ = version_entry()
        d2 = struct.unpack_from("<I", b, e1 + 4)[0] & 0x7FFFFFFF
        e2 = pe.res_entry(root + d2)
        u32(b, e2 + 4, 0x80000000 | d2)
    elif what == "sections-past-eof":
        b = b[:pe.sec_at + 20]
    elif what == "many-sections":
        struct.pack_into("<H", b, pe.n_sec_at, 97)
    elif what == "res-loop":
        e0, _, _ = version_entry()
        u32(b, e0 + 4, 0x80000000)
    elif what == "res-loop-deep":
        _, e1, _ = version_entry()
        u32(b, e1 + 4, 0x80000000)
    elif what == "res-count":
        struct.pack_into("<HH", b, root + 12, 0, 4097)
    elif what in ("ver-huge", "ver-outside", "ver-node-len"):
        _, _, data = version_entry()
        ver_rva, ver_size = struct.unpack_from("<II", b, data)
        if what == "ver-huge":
            u32(b, data + 4, 65537)
        elif what == "ver-outside":
            u32(b, data + 4, 0xF000)
        else:
            v = pe.off(ver_rva)
            # the first String node: after VS_VERSION_INFO's header, key and fixed info,
            # StringFileInfo's header and key, the StringTable's header and key
            i = b.find("CompanyName".encode("utf-16-le"), v, v + ver_size)
            if i < 0:
                raise SystemExit("no CompanyName string")
            node = i - 6
            struct.pack_into("<H", b, node, 0xFFF0)
    elif what == "cert-huge":
        u32(b, pe.dir_at(4) + 4, (1 << 20) + 1)
    elif what == "cert-len":
        off, size = pe.dir(4)
        u32(b, off, size + 4096)
    elif what == "cert-garbage":
        off, size = pe.dir(4)
        b[off + 8:off + size] = bytes((i * 37 + 11) & 0xFF for i in range(size - 8))
    elif what.startswith("truncate:"):
        b = b[:int(what.split(":", 1)[1])]
    else:
        raise SystemExit("unknown mutation " + what)
    open(out, "wb").write(b)


if __name__ == "__main__":
    main()
