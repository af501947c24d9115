#!/usr/bin/python3
"""Per-call cost of the Python module usocket against CPython's own socket module.

Small send + recv on a connected AF_UNIX socketpair, in one process and one thread, so the
figure is the binding's cost plus two system calls. The implementations are measured in the
same run, alternating A, B, A, B... (drift between runs on a shared VM is larger than the
difference), and the medians of the rounds are reported, with the ratio to CPython.

    PYTHONPATH=<build>/python /usr/bin/python3 bench/python/send_recv.py [--rounds 15]
        [--iterations 20000] [--size 64] [--json] [--pybind11]

Output: one line per implementation and operation: median ns per send+recv pair and per call,
and the ratio to CPython's socket. --json prints the same as one JSON object.

The floor (bench/python/floor.c, the module _usocket_floor beside the package; skipped with a note
when it is not built) is measured in the same rounds on a socketpair of the same kind:
_usocket_floor.send(a_fd, payload) and _usocket_floor.recv(b_fd, size), one system call each and
nothing else, the GIL held ("floor") and released around the system call ("floor_nogil"). It is
the least any C extension can spend on the pair. Only send+recv has floor rows.
"""

import argparse
import json
import socket as cpython_socket
import statistics
import sys
import time


def pair_loop(a, b, payload, size, n):
    send, recv = a.send, b.recv
    t0 = time.perf_counter_ns()
    for _ in range(n):
        send(payload)
        recv(size)
    return time.perf_counter_ns() - t0


def into_loop(a, b, payload, size, n):
    send, recv_into = a.send, b.recv_into
    buf = bytearray(size)
    t0 = time.perf_counter_ns()
    for _ in range(n):
        send(payload)
        recv_into(buf)
    return time.perf_counter_ns() - t0


def floor_loop(send, recv, a_fd, b_fd, payload, size, n):
    t0 = time.perf_counter_ns()
    for _ in range(n):
        send(a_fd, payload)
        recv(b_fd, size)
    return time.perf_counter_ns() - t0


def empty_loop(a, b, payload, size, n):
    # The cost of the Python loop itself, subtracted from every figure.
    t0 = time.perf_counter_ns()
    for _ in range(n):
        pass
    return time.perf_counter_ns() - t0


OPERATIONS = {"send+recv": pair_loop, "send+recv_into": into_loop}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--iterations", type=int, default=20000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--pybind11", action="store_true",
                    help="also measure usocket_pybind11_probe (see bench/python/pybind11_probe.cpp)")
    args = ap.parse_args()

    import usocket
    impls = {"cpython": cpython_socket, "usocket": usocket}
    if args.pybind11:
        import usocket_pybind11_probe
        impls["pybind11"] = usocket_pybind11_probe
    pairs = {name: mod.socketpair() for name, mod in impls.items()}
    try:
        import _usocket_floor as floor
    except ImportError:
        floor = None
    floors = {}
    if floor is not None:
        floors = {"floor": (floor.send, floor.recv), "floor_nogil": (floor.send_nogil, floor.recv_nogil)}
    floor_pairs = {name: cpython_socket.socketpair() for name in floors}
    payload = b"x" * args.size
    results = {}
    for op, loop in OPERATIONS.items():
        samples = {name: [] for name in impls}
        for name, (a, b) in pairs.items():  # warm-up
            if op == "send+recv_into" and not hasattr(b, "recv_into"):
                continue
            loop(a, b, payload, args.size, 1000)
        floor_here = floors if op == "send+recv" else {}
        for name, (send, recv) in floor_here.items():
            a, b = floor_pairs[name]
            floor_loop(send, recv, a.fileno(), b.fileno(), payload, args.size, 1000)
            samples[name] = []
        for _ in range(args.rounds):
            base = empty_loop(None, None, None, 0, args.iterations)
            for name, (a, b) in pairs.items():
                if not hasattr(b, "recv_into") and op == "send+recv_into":
                    continue
                ns = loop(a, b, payload, args.size, args.iterations) - base
                samples[name].append(ns / args.iterations)
            for name, (send, recv) in floor_here.items():
                a, b = floor_pairs[name]
                ns = floor_loop(send, recv, a.fileno(), b.fileno(), payload, args.size, args.iterations) - base
                samples[name].append(ns / args.iterations)
        ref = statistics.median(samples["cpython"])
        for name, values in samples.items():
            if not values:
                continue
            med = statistics.median(values)
            results.setdefault(op, {})[name] = {
                "ns_per_pair": round(med, 1),
                "ns_per_call": round(med / 2, 1),
                "ratio_to_cpython": round(med / ref, 3),
            }
    for a, b in list(pairs.values()) + list(floor_pairs.values()):
        for s in (a, b):
            if hasattr(s, "close"):
                s.close()
    meta = {"python": sys.version.split()[0], "executable": sys.executable, "rounds": args.rounds,
            "iterations": args.iterations, "size": args.size,
            "floor": ("_usocket_floor.send/recv on a CPython socketpair's descriptors" if floor is not None
                      else "not built: rows skipped")}
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=2))
        return
    print("# %(python)s %(executable)s, %(rounds)d rounds x %(iterations)d iterations, %(size)d-byte messages" % meta)
    for op, by_impl in results.items():
        for name, r in by_impl.items():
            print("%-15s %-11s %8.1f ns/pair %8.1f ns/call  x%.3f of CPython" %
                  (op, name, r["ns_per_pair"], r["ns_per_call"], r["ratio_to_cpython"]))
    if floor is None:
        print("# floor: _usocket_floor is not built (bench/python/floor.c): its rows are skipped")


if __name__ == "__main__":
    main()
