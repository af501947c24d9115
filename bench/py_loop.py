#!/usr/bin/python3
"""One loop of small send + recv on a socketpair, for instruction counts under callgrind.

    /usr/bin/python3 bench/py_loop.py MODULE MODE N

MODULE: socket (CPython's) or usocket (the extension module; PYTHONPATH at the build's
python/ directory). MODE: recv (send + recv, a new bytes object per call), recv_into (send +
recv_into a preallocated bytearray, no copy out), timeout (recv_into with a 5 s timeout on
both sockets) or empty (the loop alone). scripts/bench.sh runs it at two sizes under
valgrind --tool=callgrind and divides the difference by the difference in N, which cancels
the interpreter's start-up.
"""

import importlib
import sys


def main():
    module, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    m = importlib.import_module(module)
    a, b = m.socketpair()
    if mode == "timeout":
        a.settimeout(5.0)
        b.settimeout(5.0)
    payload = b"x" * 64
    buf = bytearray(64)
    send, recv, recv_into = a.send, b.recv, b.recv_into
    if mode == "recv":
        for _ in range(n):
            send(payload)
            recv(64)
    elif mode in ("recv_into", "timeout"):
        for _ in range(n):
            send(payload)
            recv_into(buf)
    elif mode == "empty":
        for _ in range(n):
            pass
    else:
        sys.exit("unknown mode " + mode)
    a.close()
    b.close()


if __name__ == "__main__":
    main()
