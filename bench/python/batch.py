#!/usr/bin/python3
"""Batched datagrams in Python: usocket's send_many/recv_many(_into) against one call per
datagram (usocket's sendto/recvfrom_into, and CPython's socket for reference).

One thread: bursts of B 64-byte UDP datagrams from one socket to another on 127.0.0.1, each
sent to an address (sendto, or (bytes, address) pairs for send_many), then B received with the
sender's address (a burst fits the receive buffer). The variants are measured in the same run,
alternating their order every round; medians of the rounds are reported, with each round's
ratio to usocket's one call per datagram.

    PYTHONPATH=<build>/python /usr/bin/python3 bench/python/batch.py [--rounds 15]
        [--datagrams 64000] [--burst 32] [--json]
    PYTHONPATH=... /usr/bin/python3 bench/python/batch.py loop VARIANT N     (for callgrind)

VARIANT is one of: cpython_per_call, usocket_per_call, usocket_many_into, usocket_many.
"""

import argparse
import json
import socket as cpython_socket
import statistics
import sys
import time

import usocket

SIZE = 64


def pair(mod):
    a = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    b = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b.bind(("127.0.0.1", 0))
    return a, b


def per_call(mod):
    a, b = pair(mod)
    to = b.getsockname()
    payload = bytes(SIZE)
    buf = bytearray(SIZE)

    def run(n, burst):
        sendto, recvfrom_into = a.sendto, b.recvfrom_into
        for _ in range(n // burst):
            for _ in range(burst):
                sendto(payload, to)
            for _ in range(burst):
                recvfrom_into(buf)

    return run, (a, b)


def many(into):
    """send_many, then recv_many_into preallocated buffers (`into`) or recv_many (bytes)."""
    a, b = pair(usocket)
    to = b.getsockname()

    def run(n, burst):
        out = [(bytes(SIZE), to)] * burst
        view = memoryview(bytearray(SIZE * burst))
        bufs = [view[k * SIZE:(k + 1) * SIZE] for k in range(burst)]
        send_many, receive = a.send_many, b.recv_many_into if into else b.recv_many
        args = (bufs,) if into else (burst, SIZE)
        for _ in range(n // burst):
            sent = send_many(out)
            got = len(receive(*args))
            while got < sent:  # all are queued on loopback: one call in practice
                got += len(receive(bufs[got:sent]) if into else receive(sent - got, SIZE))

    return run, (a, b)


VARIANTS = {
    "usocket_per_call": ("usocket sendto/recvfrom_into, one call per datagram", lambda: per_call(usocket)),
    "usocket_many_into": ("usocket send_many/recv_many_into", lambda: many(True)),
    "usocket_many": ("usocket send_many/recv_many (bytes per datagram)", lambda: many(False)),
    "cpython_per_call": ("CPython socket sendto/recvfrom_into, one call per datagram", lambda: per_call(cpython_socket)),
}


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "loop":
        run, socks = VARIANTS[sys.argv[2]][1]()
        run(int(sys.argv[3]), 32)
        for s in socks:
            s.close()
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--datagrams", type=int, default=64000)
    ap.add_argument("--burst", type=int, default=32)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    n = max(args.datagrams // args.burst, 1) * args.burst
    names = list(VARIANTS)
    made = {name: VARIANTS[name][1]() for name in names}
    for name in names:
        made[name][0](max(n // 16 // args.burst, 1) * args.burst, args.burst)  # warm-up
    ns = {name: [] for name in names}
    for r in range(args.rounds):
        for name in names if r % 2 == 0 else reversed(names):
            t0 = time.perf_counter_ns()
            made[name][0](n, args.burst)
            ns[name].append((time.perf_counter_ns() - t0) / n)
    for run, socks in made.values():
        for s in socks:
            s.close()
    base = ns["usocket_per_call"]
    results = {name: {"title": VARIANTS[name][0],
                      "ns_per_datagram": statistics.median(ns[name]),
                      "ratio_to_per_call": statistics.median(x / y for x, y in zip(ns[name], base))}
               for name in names}
    meta = {"python": sys.version.split()[0], "executable": sys.executable, "rounds": args.rounds,
            "datagrams": n, "burst": args.burst, "size": SIZE}
    if args.json:
        print(json.dumps({"meta": meta, "results": results}))
        return
    print(f"UDP 127.0.0.1, {SIZE}-byte datagrams in bursts of {args.burst}, {n} per sample, median of "
          f"{args.rounds} rounds (Python {meta['python']}, {sys.executable})")
    for name, r in results.items():
        print(f"{r['title']:<62} {r['ns_per_datagram']:8.0f} ns/datagram  {r['ratio_to_per_call']:.3f}x time")


if __name__ == "__main__":
    main()
