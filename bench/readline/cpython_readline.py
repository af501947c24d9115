#!/usr/bin/python3
"""CPython's peer for readline_bench: socket.makefile('rb').readline() over the same stream of
32-byte lines on an AF_UNIX socket pair, a writer thread feeding the other end.

    taskset -c 0 /usr/bin/python3 bench/readline/cpython_readline.py [LINES]

Prints lines/s (median of 5 runs) and recv_into calls per line (counted in a separate run
through a socket subclass, so the count does not slow the timed runs).
"""
import socket
import statistics
import sys
import threading
import time

LINE_SIZE = 32


def make_lines(n):
    return b"".join(b"line %010d ...............\n" % i for i in range(n))


def run(n, sock_class=socket.socket):
    a, b = socket.socketpair()
    if sock_class is not socket.socket:
        b = sock_class(b.family, b.type, b.proto, fileno=b.detach())
    data = make_lines(n)

    def writer():
        a.sendall(data)
        a.shutdown(socket.SHUT_WR)

    t = threading.Thread(target=writer)
    t.start()
    f = b.makefile("rb")
    readline = f.readline
    got = 0
    t0 = time.perf_counter()
    for _ in range(n):
        line = readline()
        if len(line) != LINE_SIZE:
            raise SystemExit("short stream")
        got += 1
    elapsed = time.perf_counter() - t0
    t.join()
    f.close()
    a.close()
    b.close()
    return got / elapsed, b


class counting_socket(socket.socket):
    calls = 0

    def recv_into(self, *args):
        counting_socket.calls += 1
        return super().recv_into(*args)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rates = [run(n)[0] for _ in range(5)]
    run(n, counting_socket)
    print(f"python {sys.version.split()[0]} ({sys.executable})")
    print(f"cpython_makefile_readline lines={n} lines_per_s={statistics.median(rates):.0f} "
          f"recv_per_line={counting_socket.calls / n:.4f}")


if __name__ == "__main__":
    main()
