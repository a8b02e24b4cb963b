#!/usr/bin/env python3
"""snap.py ROOT [PATH...]: the metadata and content of every entry under ROOT
(or under the root-relative PATHs given), as sorted JSON lines: path, type,
mode, owner, group, mtime in ns, size, sha256 or link target, and xattrs.
Directories below var/lib/excise (excise's own state) are left out.
The removal tests compare these before and after."""
import hashlib
import json
import os
import stat
import sys


def entry(path, rel):
    st = os.lstat(path)
    e = {"path": rel, "mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid, "gid": st.st_gid}
    if stat.S_ISLNK(st.st_mode):
        e.update(type="l", target=os.readlink(path), mtime_ns=st.st_mtime_ns)
    elif stat.S_ISDIR(st.st_mode):
        e.update(type="d")  # a directory's mtime moves when dpkg removes what it owned
    else:
        with open(path, "rb") as f:
            e.update(type="f", size=st.st_size, mtime_ns=st.st_mtime_ns,
                     sha256=hashlib.sha256(f.read()).hexdigest())
    try:
        e["xattrs"] = {k: os.getxattr(path, k, follow_symlinks=False).hex()
                       for k in sorted(os.listxattr(path, follow_symlinks=False))}
    except OSError:
        pass
    return e


def walk(root, rel, out):
    path = os.path.join(root, rel.lstrip("/"))
    if not os.path.lexists(path) or rel.startswith("/var/lib/excise"):
        return
    out.append(entry(path, rel))
    if os.path.isdir(path) and not os.path.islink(path):
        for name in sorted(os.listdir(path)):
            walk(root, rel.rstrip("/") + "/" + name, out)


root = sys.argv[1]
out = []
for rel in sys.argv[2:] or ["/"]:
    walk(root, rel, out)
for e in out:
    print(json.dumps(e, sort_keys=True))
