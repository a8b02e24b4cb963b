#!/usr/bin/env python3
"""Write a registry hive (regf) holding only keys, for tests and benchmarks.

Usage: mkhive.py OUT                      a root key only (the start for hivexregedit --merge)
       mkhive.py OUT PATH=N [PATH=N...]   plus, for each PATH (backslash separated, below the
                                          root), that key with N empty subkeys k0..k(N-1)

The format (base block, hbin, nk/lf/sk cells) follows the public descriptions of
the Windows registry file format (e.g. libyal's "Windows NT Registry File
(REGF) format specification"). hivexregedit --merge and excise read it; the
tests check it with hivexsh before use.
"""
import struct
import sys

HBIN_HDR = 32


class Writer:
    def __init__(self):
        self.cells = bytearray()

    def cell(self, data):
        """Allocate a cell; returns its offset relative to the first hbin."""
        size = (4 + len(data) + 7) & ~7
        off = HBIN_HDR + len(self.cells)
        self.cells += struct.pack("<i", -size) + data + b"\0" * (size - 4 - len(data))
        return off

    def patch(self, off, fmt, at, *vals):
        struct.pack_into(fmt, self.cells, off - HBIN_HDR + 4 + at, *vals)


def nk(name, parent, flags=0x20):
    n = name.encode("latin-1")
    return (b"nk" + struct.pack("<HQIIIIIIIIIIIIIIIHH", flags, 0, 0, parent, 0, 0,
                                0xFFFFFFFF, 0xFFFFFFFF, 0, 0xFFFFFFFF, 0, 0xFFFFFFFF,
                                0, 0, 0, 0, 0, len(n), 0) + n)


# nk field offsets (inside the cell data)
NK_PARENT, NK_NSUB, NK_SUBLIST, NK_SK, NK_MAXNAME = 16, 20, 28, 44, 52


def build(spec):
    w = Writer()
    root = w.cell(nk("ROOT", 0, 0x2C))
    # One security descriptor shared by every key: self-relative, no owner/DACL.
    sd = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    sk_off = HBIN_HDR + len(w.cells)
    sk = w.cell(b"sk" + struct.pack("<HIIII", 0, sk_off, sk_off, 1, len(sd)) + sd)
    assert sk == sk_off
    keys = {(): root}
    children = {(): []}
    refs = 1

    def key(path):
        nonlocal refs
        if path in keys:
            return keys[path]
        parent = key(path[:-1])
        off = w.cell(nk(path[-1], parent))
        keys[path] = off
        children[path] = []
        children[path[:-1]].append((path[-1], off))
        refs += 1
        return off

    for p, n in spec:
        base = tuple(x for x in p.split("\\") if x)
        key(base)
        for i in range(n):
            key(base + ("k%d" % i,))
    for path, off in keys.items():
        w.patch(off, "<I", NK_SK, sk)
        kids = sorted(children[path], key=lambda c: c[0].upper())
        if not kids:
            continue
        lists = []
        for i in range(0, len(kids), 20000):
            chunk = kids[i:i + 20000]
            body = b"lf" + struct.pack("<H", len(chunk)) + b"".join(
                struct.pack("<I", o) + (name.encode("latin-1") + b"\0\0\0\0")[:4]
                for name, o in chunk)
            lists.append(w.cell(body))
        sub = lists[0] if len(lists) == 1 else w.cell(
            b"ri" + struct.pack("<H", len(lists)) + b"".join(struct.pack("<I", o) for o in lists))
        w.patch(off, "<I", NK_NSUB, len(kids))
        w.patch(off, "<I", NK_SUBLIST, sub)
        w.patch(off, "<I", NK_MAXNAME, 2 * max(len(n) for n, _ in kids))
    w.patch(sk, "<I", 12, refs)
    # The rest of the last 4 KiB page is one free cell.
    used = HBIN_HDR + len(w.cells)
    total = (used + 8 + 4095) & ~4095
    hbin = b"hbin" + struct.pack("<IIQQI", 0, total, 0, 0, 0) + bytes(w.cells)
    hbin += struct.pack("<i", total - used) + b"\0" * (total - used - 4)
    assert len(hbin) == total
    hdr = bytearray(4096)
    struct.pack_into("<4sIIQIIIIIII", hdr, 0, b"regf", 1, 1, 0, 1, 3, 0, 1, root, total, 1)
    csum = 0
    for i in range(0, 508, 4):
        csum ^= struct.unpack_from("<I", hdr, i)[0]
    struct.pack_into("<I", hdr, 508, csum)
    return bytes(hdr) + hbin


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    spec = []
    for a in sys.argv[2:]:
        p, n = a.rsplit("=", 1)
        spec.append((p, int(n)))
    with open(sys.argv[1], "wb") as f:
        f.write(build(spec))


if __name__ == "__main__":
    main()
