#!/usr/bin/python3
"""One loop of small send + recv on a socketpair, for instruction counts under callgrind.

    /usr/bin/python3 bench/py_loop.py MODULE MODE N

MODULE: socket (CPython's), usocket (the extension module; PYTHONPATH at the build's
python/ directory) or floor (_usocket_floor, bench/python/floor.c, beside it: send(fd, data) and
recv(fd, n) on a CPython socketpair's descriptors, one system call each; MODE recv holds the
GIL, recv_nogil releases it around the system call). MODE: recv (send + recv, a new bytes object per call), recv_into (send +
recv_into a preallocated bytearray, no copy out), timeout (recv_into with a 5 s timeout on
both sockets) or empty (the loop alone). scripts/bench.sh runs it at two sizes under
valgrind --tool=callgrind and divides the difference by the difference in N, which cancels
the interpreter's start-up.
"""

import importlib
import sys


def floor_loop(mode, n):
    import socket

    import _usocket_floor as floor
    if mode == "recv":
        send, recv = floor.send, floor.recv
    elif mode == "recv_nogil":
        send, recv = floor.send_nogil, floor.recv_nogil
    else:
        sys.exit("floor: unknown mode " + mode)
    a, b = socket.socketpair()
    a_fd, b_fd = a.fileno(), b.fileno()
    payload = b"x" * 64
    for _ in range(n):
        send(a_fd, payload)
        recv(b_fd, 64)
    a.close()
    b.close()


def main():
    module, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if module == "floor":
        floor_loop(mode, n)
        return
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
