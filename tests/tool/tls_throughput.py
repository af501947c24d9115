"""Bulk throughput of usock --tls against OpenSSL's own tools on loopback (a measurement, not a
test: pytest does not collect it). Run with Debian's interpreter:

    /usr/bin/python3 tests/tool/tls_throughput.py build/tools/usock [MiB] [rounds]

Each round sends MiB mebibytes of random data (from a file in /dev/shm) through four pairs,
in an order that rotates from round to round, the sender and the receiver both pinned to CPU 0
(taskset -c 0, the placement of docs/tool.md's TCP figures):

    usock --tls --send FILE      -> usock -l --tls --recv /dev/null
    openssl s_client < FILE      -> openssl s_server > /dev/null
    usock --tls --send FILE      -> openssl s_server > /dev/null      (same receiver as s_client's)
    openssl s_client < FILE      -> usock -l --tls --recv /dev/null   (same sender as s_server's)
    usock --send FILE            -> usock -l --recv /dev/null         (plain TCP, for the cost of TLS)

The time is from starting the sender to both processes' exit (the handshake is included; it is
under a millisecond). Prints each round and the median MiB/s of each pair. Certificates are
made by tests/tls/make_certs.sh (ECDSA P-256; TLS 1.3 negotiates TLS_AES_256_GCM_SHA384)."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.dirname(os.path.dirname(HERE))
PIN = ["taskset", "-c", "0"]


def listening_port(pid, timeout=10):
    """The port of the one listening TCP socket of process `pid` (s_server -quiet does not say it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inodes = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:
                    return int(cols[1].split(":")[1], 16)
        time.sleep(0.01)
    raise RuntimeError("no listening socket")


def run_pair(receiver, sender, stdin_path):
    null = open(os.devnull, "wb")
    r = subprocess.Popen(PIN + receiver, stdin=subprocess.PIPE, stdout=null, stderr=subprocess.DEVNULL)
    port = listening_port(r.pid)
    args = [a.replace("{port}", str(port)) for a in sender]
    start = time.monotonic()
    with open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb") as stdin:
        s = subprocess.run(PIN + args, stdin=stdin, stdout=null, stderr=subprocess.PIPE, timeout=300)
    r.stdin.close()
    r.wait(timeout=300)
    took = time.monotonic() - start
    if s.returncode != 0 or r.returncode != 0:
        raise RuntimeError(f"{args}: status {s.returncode}/{r.returncode}: {s.stderr[-500:]!r}")
    return took


def main():
    usock = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE, "build", "tools", "usock"))
    mib = int(sys.argv[2]) if len(sys.argv) > 2 else 256
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    openssl = shutil.which("openssl")
    work = tempfile.mkdtemp(dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        subprocess.run(["sh", os.path.join(SOURCE, "tests", "tls", "make_certs.sh"), work], check=True)
        data = os.path.join(work, "data.bin")
        with open(data, "wb") as f:
            for _ in range(mib):
                f.write(os.urandom(1 << 20))
        cert, key, ca = (os.path.join(work, n) for n in ("server.pem", "server.key", "ca.pem"))
        usock_server = [usock, "-l", "-d", "--tls", "--cert", cert, "--key", key, "--recv", os.devnull,
                        "127.0.0.1", "0"]
        s_server = [openssl, "s_server", "-quiet", "-nbio", "-naccept", "1", "-accept", "127.0.0.1:0",
                    "-cert", cert, "-key", key]
        usock_client = [usock, "--tls", "--cafile", ca, "--send", data, "localhost", "{port}"]
        s_client = [openssl, "s_client", "-quiet", "-no_ign_eof", "-nocommands", "-nbio", "-CAfile", ca,
                    "-connect", "127.0.0.1:{port}"]
        pairs = {
            "usock -> usock (TLS)": (usock_server, usock_client, None),
            "s_client -> s_server": (s_server, s_client, data),
            "usock -> s_server": (s_server, usock_client, None),
            "s_client -> usock": (usock_server, s_client, data),
            "usock -> usock (plain TCP)": ([usock, "-l", "-d", "--recv", os.devnull, "127.0.0.1", "0"],
                                           [usock, "--send", data, "127.0.0.1", "{port}"], None),
        }
        rates = {name: [] for name in pairs}
        names = list(pairs)
        for i in range(rounds):
            order = names[i % len(names):] + names[:i % len(names)]
            for name in order:
                receiver, sender, stdin_path = pairs[name]
                rates[name].append(mib / run_pair(receiver, sender, stdin_path))
            print(f"round {i + 1}: " + ", ".join(f"{n} {rates[n][-1]:.0f}" for n in names), flush=True)
        print(f"\n{mib} MiB, {rounds} rounds, both processes on CPU 0; median MiB/s (min-max):")
        for name in names:
            r = rates[name]
            print(f"  {name:28s} {statistics.median(r):7.0f}  ({min(r):.0f}-{max(r):.0f})")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
