#!/usr/bin/python3
"""The Python module's stream methods against CPython's buffered file, Python against Python.

A writer thread fills one end of a socketpair with LINES lines of 34 bytes (sendall, then
shutdown); the reader reads them one call at a time: the usocket socket's own MicroPython stream
methods (sock.readline(), sock.read(34), sock.readinto(buf)) against CPython's
sock.makefile('rb') (f.readline(), f.read(34), f.readinto(buf)), the same loop in the same
process, alternating the modules round by round (drift between runs on a shared VM is larger
than the difference); medians of the rounds. Pin it to one core: both threads then share it.

The floor (bench/python/floor.c, the module _usocket_floor beside the package; skipped with a note
when it is not built) is a third row in the same rounds: the same loop reads the same lines from a
_usocket_floor.Lines object holding the same bytes in memory, with no socket and no writer thread.
It is the least work any C extension can do for the call (the interpreter's call, the argument,
the result object), the upper bound of a socket's stream methods when the bytes are already
buffered. Any socket reader also pays for the bytes crossing the socket (the writer's sendall,
the kernel's copies, a large recv per refill): the row "floor + drain" adds, round by round, the
time of CPython's recv(65536) draining the same stream from the writer thread to the floor's
time, an estimate of the best a socket-backed implementation could do.

    PYTHONPATH=<build>/python taskset -c 0 /usr/bin/python3 bench/python/stream.py
        [--lines 200000] [--rounds 25] [--bulk-mib 16] [--json]

The bulk rows read a --bulk-mib stream whole, the same way alternating: sock.read(1 MiB),
sock.readinto(a 1 MiB bytearray) and sock.read() to the end, against makefile('rb')'s.

One run of one loop, for instruction counts under callgrind (two sizes, the difference):

    PYTHONPATH=<build>/python valgrind --tool=callgrind /usr/bin/python3 bench/python/stream.py
        --one MODULE OP --lines N          (MODULE: socket, usocket or floor;
                                            OP: readline, read, readinto, drain (not floor))

`drain` reads the same stream with recv(65536): the writer's and the loop's share, subtracted
from nothing (reported beside the others).
"""

import argparse
import json
import os
import socket as cpython_socket
import statistics
import sys
import threading
import time

LINE = b"line 0123456789 .................\n"
LINE_SIZE = len(LINE)
assert LINE_SIZE == 34


def reader_of(module, sock, op):
    """The bound method and its argument for one read of one line."""
    if module is cpython_socket:
        f = sock.makefile("rb")
        src = f
    else:
        f = None
        src = sock
    if op == "readline":
        return f, src.readline, ()
    if op == "read":
        return f, src.read, (LINE_SIZE,)
    if op == "readinto":
        return f, src.readinto, (bytearray(LINE_SIZE),)
    raise SystemExit("unknown op " + op)


def floor_module():
    """_usocket_floor (bench/python/floor.c) or None when it was not built."""
    try:
        import _usocket_floor
    except ImportError:
        return None
    return _usocket_floor


def timed_calls(call, args, n):
    """Seconds for n calls of call(*args), the loop kept as lean for every module."""
    t0 = time.perf_counter()
    if args:
        arg = args[0]
        for _ in range(n):
            call(arg)
    else:
        for _ in range(n):
            call()
    return time.perf_counter() - t0


def run_floor(floor, op, n):
    """Seconds to read n lines with `op` from a floor Lines object: the same loop, no socket."""
    src = floor.Lines(LINE * n)
    if op == "readline":
        call, args = src.readline, ()
    elif op == "read":
        call, args = src.read, (LINE_SIZE,)
    elif op == "readinto":
        call, args = src.readinto, (bytearray(LINE_SIZE),)
    else:
        raise SystemExit(f"floor: no {op}")
    elapsed = timed_calls(call, args, n)
    last = call(*args)
    if last not in (b"", 0):
        raise SystemExit(f"floor {op}: the lines were not read whole ({last!r})")
    return elapsed


def run(module, op, n):
    """Seconds to read n lines with `op`, the writer feeding the socketpair meanwhile."""
    if module.__name__ == "_usocket_floor":
        return run_floor(module, op, n)
    a, b = module.socketpair()
    data = LINE * n

    def writer():
        a.sendall(data)
        a.shutdown(cpython_socket.SHUT_WR)

    t = threading.Thread(target=writer)
    if op == "drain":
        recv = b.recv
        t.start()
        t0 = time.perf_counter()
        got = 0
        while got < len(data):
            chunk = recv(65536)
            if not chunk:
                raise SystemExit("short stream")
            got += len(chunk)
        elapsed = time.perf_counter() - t0
    else:
        f, call, args = reader_of(module, b, op)
        t.start()
        elapsed = timed_calls(call, args, n)
        # The stream must be exactly used up: the loop read whole lines.
        last = call(*args)
        if last not in (b"", 0):
            raise SystemExit(f"{module.__name__} {op}: the stream was not read whole ({last!r})")
        if f is not None:
            f.close()
    t.join()
    a.close()
    b.close()
    return elapsed


MIB = 1 << 20
BULK_OPS = ("read_1m", "readinto_1m", "read_all")
BULK_NAMES = {"read_1m": ("sock.read(1 MiB)", "makefile('rb').read(1 MiB)"),
              "readinto_1m": ("sock.readinto(1 MiB buf)", "makefile('rb').readinto(1 MiB buf)"),
              "read_all": ("sock.read()", "makefile('rb').read()")}


def run_bulk(module, op, data):
    """Seconds to read `data` whole with `op` (a large read per call, or one read to the end),
    a writer thread sending it meanwhile."""
    a, b = module.socketpair()

    def writer():
        a.sendall(data)
        a.shutdown(cpython_socket.SHUT_WR)

    f = b.makefile("rb") if module is cpython_socket else None
    src = f if f is not None else b
    t = threading.Thread(target=writer)
    t.start()
    got = 0
    t0 = time.perf_counter()
    if op == "read_all":
        got = len(src.read())
    elif op == "read_1m":
        read = src.read
        while chunk := read(MIB):
            got += len(chunk)
    elif op == "readinto_1m":
        readinto, buf = src.readinto, bytearray(MIB)
        while n := readinto(buf):
            got += n
    else:
        raise SystemExit("unknown bulk op " + op)
    elapsed = time.perf_counter() - t0
    t.join()
    if f is not None:
        f.close()
    a.close()
    b.close()
    if got != len(data):
        raise SystemExit(f"{module.__name__} {op}: {got} bytes of {len(data)}")
    return elapsed


def bulk(modules, mib, rounds):
    """Large reads, MB/s: both modules alternating round by round, medians."""
    data = bytes(range(256)) * (mib * MIB // 256)
    out = {"mib": mib, "ops": {}}
    for op in BULK_OPS:
        for m in modules:  # warm-up
            run_bulk(m, op, data)
        rates = {m.__name__: [] for m in modules}
        ratios = []
        for _ in range(rounds):
            r = {m.__name__: len(data) / run_bulk(m, op, data) / 1e6 for m in modules}
            for k, v in r.items():
                rates[k].append(v)
            ratios.append(r["usocket"] / r["socket"])
        out["ops"][op] = {"cpython_mb_per_s": statistics.median(rates["socket"]),
                          "usocket_mb_per_s": statistics.median(rates["usocket"]),
                          "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=25)
    ap.add_argument("--bulk-mib", type=int, default=16, help="the bulk reads' stream, MiB (0: none)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", nargs=2, metavar=("MODULE", "OP"))
    args = ap.parse_args()

    import usocket
    modules = {"socket": cpython_socket, "usocket": usocket}
    floor = floor_module()
    if floor is not None:
        modules["floor"] = floor
    if args.one:
        if args.one[0] not in modules:
            raise SystemExit(f"no module {args.one[0]}" + (" (_usocket_floor is not built)" if args.one[0] == "floor" else ""))
        run(modules[args.one[0]], args.one[1], args.lines)
        return

    results = {"python": sys.version.split()[0], "executable": sys.executable, "module": os.path.relpath(os.path.dirname(usocket.__file__)),
               "lines": args.lines,
               "line_size": LINE_SIZE, "rounds": args.rounds, "ops": {},
               "floor": "in-memory Lines, no socket, no writer thread" if floor else "not built: rows skipped"}
    for op in ("readline", "read", "readinto"):
        for m in modules.values():  # warm-up
            run(m, op, min(args.lines, 20000))
        rates = {name: [] for name in modules}
        ratios = []
        floor_ratios = []
        drained_ratios = []
        for _ in range(args.rounds):
            r = {}
            for name, m in modules.items():
                r[name] = args.lines / run(m, op, args.lines)
                rates[name].append(r[name])
            ratios.append(r["usocket"] / r["socket"])
            if floor:
                floor_ratios.append(r["floor"] / r["socket"])
                drain = run(cpython_socket, "drain", args.lines)
                drained_ratios.append((args.lines / r["socket"]) / (args.lines / r["floor"] + drain))
        results["ops"][op] = {
            "cpython_lines_per_s": statistics.median(rates["socket"]),
            "usocket_lines_per_s": statistics.median(rates["usocket"]),
            "ratio": statistics.median(ratios),
            "ratio_min": min(ratios),
            "ratio_max": max(ratios),
        }
        if floor:
            results["ops"][op].update({
                "floor_lines_per_s": statistics.median(rates["floor"]),
                "floor_ratio": statistics.median(floor_ratios),
                "floor_ratio_min": min(floor_ratios),
                "floor_ratio_max": max(floor_ratios),
                "floor_drain_ratio": statistics.median(drained_ratios),
                "floor_drain_ratio_min": min(drained_ratios),
                "floor_drain_ratio_max": max(drained_ratios),
            })
    if args.bulk_mib > 0:
        results["bulk"] = bulk((cpython_socket, usocket), args.bulk_mib, args.rounds)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    print(f"python {results['python']} ({results['executable']}), usocket from {results['module']}")
    print(f"{args.lines} lines of {LINE_SIZE} bytes, {args.rounds} rounds alternating, medians")
    names = {"readline": ("sock.readline()", "makefile('rb').readline()"),
             "read": (f"sock.read({LINE_SIZE})", f"makefile('rb').read({LINE_SIZE})"),
             "readinto": ("sock.readinto(buf)", "makefile('rb').readinto(buf)")}
    for op, r in results["ops"].items():
        ours, theirs = names[op]
        print(f"{op:9} usocket {ours:22} {r['usocket_lines_per_s'] / 1e6:6.2f} M lines/s   "
              f"CPython {theirs:32} {r['cpython_lines_per_s'] / 1e6:6.2f} M lines/s   "
              f"x{r['ratio']:.2f} (rounds {r['ratio_min']:.2f}-{r['ratio_max']:.2f})")
        if "floor_ratio" in r:
            print(f"{'':9} floor   {'Lines.' + ours[5:]:22} {r['floor_lines_per_s'] / 1e6:6.2f} M lines/s   "
                  f"{'(bytes in memory: no socket, no writer thread)':60}"
                  f"x{r['floor_ratio']:.2f} (rounds {r['floor_ratio_min']:.2f}-{r['floor_ratio_max']:.2f})")
            print(f"{'':9} floor + drain: the floor's time plus CPython's recv(65536) draining the same stream"
                  f"{'':14}x{r['floor_drain_ratio']:.2f} (rounds {r['floor_drain_ratio_min']:.2f}-"
                  f"{r['floor_drain_ratio_max']:.2f})")
    if "bulk" in results:
        print(f"bulk: a {results['bulk']['mib']} MiB stream read whole, MB/s")
        for op, r in results["bulk"]["ops"].items():
            ours, theirs = BULK_NAMES[op]
            print(f"{op:11} usocket {ours:26} {r['usocket_mb_per_s']:7.0f} MB/s   CPython {theirs:36} "
                  f"{r['cpython_mb_per_s']:7.0f} MB/s   x{r['ratio']:.2f} (rounds {r['ratio_min']:.2f}-{r['ratio_max']:.2f})")
    if not floor:
        print("floor: _usocket_floor is not built (bench/python/floor.c): its rows are skipped")


if __name__ == "__main__":
    main()
