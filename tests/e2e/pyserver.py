#!/usr/bin/env python3
"""pyserver.py: the one Python interpreter of an end-to-end script.

Starting python3 costs far more than any check it makes, so lib.sh starts this
once per script and sends it every Python the script runs. It reads requests on
file descriptor 3 and answers on 4 (0 is /dev/null: a child process must not
read requests). A request is NUL-terminated fields: PID OUT N ARG1 ... ARGN, where
PID is the process id of the shell that asks (its $BASHPID), OUT its copy of
standard output (fd 1 itself moves while the shell writes the request) and the
ARGs are:

  run ARGS...             as `python3 ARGS...`: -c CODE ARGS..., - ARGS... (the
                          code on the asking shell's standard input) or FILE ARGS...
  jq FILE EXPR            print EXPR over r, the JSON document in FILE
  finding FILE ID EXPR    print EXPR over f, the finding of product ID in the
                          report FILE (None if absent), and r
  validate SCHEMA FILE    the JSON in FILE validates against the JSON schema SCHEMA

The code of run, jq and finding also sees per_match(records): the evidence records
of an excise.report/2 finding (one per artifact, its indicators in `matches`) as
one dict per match, the record's keys with the match's field, value and indicator,
as an excise.report/1 evidence record was; for checks about single indicators.

The code runs with the asking shell's standard input, output and error (pipes
and devices opened again through /proc/PID/fd/: OUT, 0 and 2), its working
directory, sys.argv as python3 would set it, and fresh globals. The answer is one line,
"STATUS FLAGS": the exit status python3 would have had, and FLAGS "o" or "e"
when output for standard output or error, a regular file (or one that could not
be opened), was written to DIR/.py.out or DIR/.py.err instead, for the shell to
copy (DIR is argv[1]); "-" when neither.

A parsed document is kept with its bytes and reused while the file holds the
same bytes, so many checks over one report parse it once.

`pyserver.py --once ARGS...` answers one request (ARGS as above) in this
process, for a shell where the server could not start.
"""
import builtins
import io
import json
import os
import stat
import sys
import traceback

_docs = {}  # path -> (bytes, parsed JSON)
_schema = {}  # path -> (bytes, validator)


def _load(path):
    with open(path, "rb") as f:
        raw = f.read()
    hit = _docs.get(path)
    if hit is not None and hit[0] == raw:
        return hit[1]
    doc = json.loads(raw.decode("utf-8"))
    _docs[path] = (raw, doc)
    return doc


def per_match(records):
    """Each match of each /2 evidence record as one /1-shaped record (see the head)."""
    out = []
    for e in records:
        base = {k: v for k, v in e.items() if k not in ("matches", "confidence")}
        for m in e["matches"]:
            out.append(dict(base, **{k: m[k] for k in ("field", "value", "value_hex", "indicator") if k in m}))
    return out


def _show(v):
    print(v if not isinstance(v, (dict, list)) else json.dumps(v, sort_keys=True))


def cmd_jq(path, expr):
    r = _load(path)
    _show(eval(expr, {"r": r, "any": any, "all": all, "len": len, "sorted": sorted,
                      "set": set, "json": json, "per_match": per_match}))


def cmd_finding(path, product, expr):
    r = _load(path)
    fs = [f for f in r["findings"] if f["product"]["id"] == product]
    f = fs[0] if fs else None
    print(eval(expr, {"f": f, "r": r, "any": any, "all": all, "len": len, "per_match": per_match}))


def cmd_validate(schema_path, path):
    """jsonschema.validate(doc, schema), the schema checked once while it is unchanged."""
    import jsonschema
    with open(schema_path, "rb") as fh:
        raw = fh.read()
    hit = _schema.get(schema_path)
    if hit is None or hit[0] != raw:
        schema = json.loads(raw)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        hit = _schema[schema_path] = (raw, cls(schema))
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    error = jsonschema.exceptions.best_match(hit[1].iter_errors(doc))
    if error is not None:
        raise error


def cmd_run(*args):
    """python3 ARGS: the code, its file name for tracebacks, sys.argv and sys.path[0]."""
    if args[:1] == ("-c",) and len(args) >= 2:
        code, name, argv, path0 = args[1], "<string>", ["-c", *args[2:]], ""
    elif args[:1] == ("-",):
        code, name, argv, path0 = sys.stdin.read(), "<stdin>", list(args), ""
    elif args and not args[0].startswith("-"):
        with open(args[0], "rb") as fh:
            code = fh.read()
        name, argv = args[0], list(args)
        path0 = os.path.dirname(os.path.abspath(args[0]))
    else:
        raise SystemExit("pyserver.py: python3 %s: not a form this server runs" % " ".join(args))
    g = {"__name__": "__main__", "__builtins__": builtins, "per_match": per_match}
    if name == args[0]:
        g["__file__"] = name
    sys.argv = argv
    sys.path[0] = path0
    exec(compile(code, name, "exec"), g)


COMMANDS = {"run": cmd_run, "jq": cmd_jq, "finding": cmd_finding, "validate": cmd_validate}


class _Lazy(io.TextIOBase):
    """The asking shell's standard input, opened on first use (most code never reads it)."""

    def __init__(self, path):
        super().__init__()
        self._path = path
        self._f = None

    def _file(self):
        if self._f is None:
            self._f = open(self._path, encoding="utf-8", errors="surrogateescape")
        return self._f

    def readable(self):
        return True

    def read(self, size=-1):
        return self._file().read(size)

    def readline(self, size=-1):
        return self._file().readline(size)

    def __iter__(self):
        return iter(self._file())

    @property
    def buffer(self):
        return self._file().buffer

    def close(self):
        if self._f is not None:
            self._f.close()


def _status(code):
    """The exit status python3 gives a SystemExit with CODE."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def answer(pid, outfd, args, spill):
    """Run one request for the shell PID; returns (status, flags)."""
    saved = sys.stdin, sys.stdout, sys.stderr, sys.argv, sys.path[0], os.getcwd()
    flags = ""
    opened = []
    spilled = []  # (file, flag) of the output written to a spill file

    def out(fd, name, errors):
        # A pipe or a device is opened again and written; a regular file is not (the
        # shell's offset in it would not move), nor anything that cannot be opened:
        # the shell copies those from the spill file.
        path = "/proc/%d/fd/%d" % (pid, fd)
        try:
            if stat.S_ISREG(os.stat(path).st_mode):
                raise OSError
            f = open(path, "ab")
        except OSError:
            f = open(os.path.join(spill, ".py." + name), "wb")
            spilled.append((f, name[0]))
        opened.append(io.TextIOWrapper(f, encoding="utf-8", errors=errors))
        return opened[-1]

    try:
        os.chdir("/proc/%d/cwd" % pid)
        sys.stdout = out(outfd, "out", "surrogateescape")
        sys.stderr = out(2, "err", "backslashreplace")
        sys.stdin = _Lazy("/proc/%d/fd/0" % pid)
        opened.append(sys.stdin)
        try:
            COMMANDS[args[0]](*args[1:])
            status = 0
        except SystemExit as e:
            status = _status(e.code)
        except BaseException:  # noqa: B036: the asker gets python3's traceback and status
            traceback.print_exc()
            status = 1
        sys.stdout.flush()
        sys.stderr.flush()
        flags = "".join(flag for f, flag in spilled if f.tell())
    except BaseException:  # the request itself is broken: say so where the server can
        traceback.print_exc(file=saved[2])
        status = 70
    finally:
        sys.stdin, sys.stdout, sys.stderr, sys.argv, sys.path[0], cwd = saved
        for f in opened:
            try:
                f.close()
            except Exception:  # noqa: BLE001: already reported, or the reader went away
                pass
        os.chdir(cwd)
    return status, flags or "-"


def _fields(fd):
    """NUL-terminated fields read from FD, as str (surrogateescape, as argv is)."""
    buf = b""
    while True:
        while b"\0" not in buf:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            buf += chunk
        field, buf = buf.split(b"\0", 1)
        yield os.fsdecode(field)


def serve(spill):
    fields = _fields(3)
    with os.fdopen(4, "w") as reply:
        for pid in fields:
            outfd = int(next(fields))
            n = int(next(fields))
            args = [next(fields) for _ in range(n)]
            status, flags = answer(int(pid), outfd, args, spill)
            reply.write("%d %s\n" % (status, flags))
            reply.flush()


def once(args):
    try:
        COMMANDS[args[0]](*args[1:])
    except SystemExit as e:
        return _status(e.code)
    except BaseException:  # noqa: B036
        traceback.print_exc()
        return 1
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--once"]:
        sys.exit(once(sys.argv[2:]))
    serve(sys.argv[1])
