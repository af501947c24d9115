#!/usr/bin/python3
"""The echo-server comparison: usock --echo against a raw epoll server, Asio, libuv and the
library's selector example.

    /usr/bin/python3 bench/echo/echo_bench.py --bin BUILD/bench/echo --usock BUILD/tools/usock \\
        --out RESULTS_DIR [--conns 1000,10000] [--messages 200000] [--reps 3]
        [--cg-messages 20000,100000] [--servers raw,floor,floor_selector,asio,libuv,selector,usock] [--annotate usock]
        [--cpu-server 0] [--cpu-load 1] [--syscalls auto|perf|strace] [--time-limit 900]

Every server runs alone under the same load generator (echo_load: N connections opened in
batches, then M rounds of a 64-byte message on every connection, each echo checked byte for
byte; M = messages / N, so every N carries about as many messages). Loopback only; each server
listens on a port of its own chosen by the system (port 0, read back from the server, or for
usock and the selector example taken from a bind to port 0 just before). The server is pinned
to --cpu-server, the generator to --cpu-load (one core each). Servers run in a different order
in every repetition. RLIMIT_NOFILE is raised to its hard limit for the server and the
generator; an N the hard limit cannot hold is lowered to what fits, and the record says so.
For each server and N it measures:

- system calls of the server, attached to the listening server (its start-up left out, every
  connection's set-up and close in), divided by the messages: perf stat counting
  raw_syscalls:sys_enter and one tracepoint per call, or, where perf cannot (--syscalls strace,
  or auto without a working perf), strace -c -f -p (the same counts; the server runs slower
  under it). At two round counts (M/5 and M), which splits the figure into a cost per message
  and a cost per connection;
- the server's resident size with no client, with N idle clients (connected, nothing sent yet)
  and after the rounds (every client has talked and is idle again), from /proc;
- user-space instructions (callgrind), at two run sizes (--cg-messages, as rounds of N
  messages): the difference divided by the difference in messages cancels start-up and
  connection set-up. For the servers named by --annotate, also callgrind_annotate's
  per-function figures, as the same difference.

Appends JSON lines to RESULTS_DIR/echo.jsonl. The whole run stops at --time-limit (what is done
by then stays). Standard library only; needs valgrind, taskset and perf or strace.
"""

import argparse
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVERS = {"raw": "echo_raw", "floor": "echo_floor", "floor_selector": "echo_floor_selector", "asio": "echo_asio", "libuv": "echo_uv",
           "selector": "echo_selector"}

# perf tracepoints counted besides the total, by the name the report shows.
CALLS = ["read", "write", "recvfrom", "sendto", "readv", "writev", "recvmsg", "sendmsg", "epoll_wait",
         "epoll_pwait", "epoll_ctl", "accept4", "accept", "close", "fcntl", "ioctl", "getsockopt",
         "setsockopt", "getsockname", "getpeername", "shutdown", "clock_gettime"]


class out_of_time(Exception):
    pass


class bench:
    def __init__(self, args):
        self.a = args
        self.deadline = time.monotonic() + args.time_limit
        self.out = open(os.path.join(args.out, "echo.jsonl"), "a")
        self.tmp = tempfile.mkdtemp(prefix="echo-", dir=args.out)

    def left(self):
        t = self.deadline - time.monotonic()
        if t <= 1:
            raise out_of_time()
        return t

    def emit(self, obj):
        self.out.write(json.dumps(obj) + "\n")
        self.out.flush()

    # --- servers ------------------------------------------------------------------------------

    def command(self, server, port):
        if server == "usock":
            return [self.a.usock, "--echo", "--backlog", "4096", "127.0.0.1", str(port)]
        return [os.path.join(self.a.bin, SERVERS[server]), str(port)]

    def available(self, server):
        return os.access(self.command(server, 0)[0], os.X_OK)

    def start(self, server, prefix=()):
        """Starts the server pinned (under `prefix`, e.g. valgrind); returns (process, port)."""
        port = 0
        if server in ("usock", "selector"):  # neither prints the port it was given
            with socket.socket() as s:  # a free port, chosen by the system
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        cmd = ["taskset", "-c", str(self.a.cpu_server), *prefix, *self.command(server, port)]
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                             preexec_fn=raise_nofile)
        limit = time.monotonic() + min(60, self.left())
        if port == 0:
            line = b""
            while time.monotonic() < limit and not line.endswith(b"\n"):
                r, _, _ = select.select([p.stdout], [], [], 0.2)
                if r:
                    chunk = os.read(p.stdout.fileno(), 256)
                    if not chunk:
                        break
                    line += chunk
            m = re.match(rb"port (\d+)", line)
            if not m:
                self.stop(p)
                raise RuntimeError(f"{server}: no port printed ({line!r})")
            port = int(m.group(1))
        while not listening(port):
            if time.monotonic() > limit or p.poll() is not None:
                self.stop(p)
                raise RuntimeError(f"{server}: not listening on {port}")
            time.sleep(0.05)
        return p, port

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def load(self, port, pid, conns, rounds):
        cmd = ["taskset", "-c", str(self.a.cpu_load), os.path.join(self.a.bin, "echo_load"), "--port", str(port),
               "--conns", str(conns), "--rounds", str(rounds), "--pid", str(pid),
               "--time-limit", str(int(self.left()))]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=self.left() + 5, preexec_fn=raise_nofile)
        if r.returncode != 0:
            raise RuntimeError(f"echo_load failed ({r.returncode}): {r.stderr.strip()}")
        return json.loads(r.stdout)

    # --- one run under perf or strace: system calls and resident size ---------------------------

    def counted_run(self, server, conns, rounds):
        run = self.strace_run if self.syscalls == "strace" else self.perf_run
        result = run(server, conns, rounds)
        result.update({"kind": "run", "server": server, "counter": self.syscalls})
        return result


    def perf_run(self, server, conns, rounds):
        p, port = self.start(server)
        ctl, ack = os.path.join(self.tmp, "ctl"), os.path.join(self.tmp, "ack")
        for f in (ctl, ack):
            if os.path.exists(f):
                os.unlink(f)
            os.mkfifo(f)
        counts = os.path.join(self.tmp, "perf.txt")
        events = ["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{c}" for c in CALLS]
        perf = subprocess.Popen(["perf", "stat", "-x,", "-o", counts, "-D", "-1", "--control",
                                 f"fifo:{ctl},{ack}", "-e", ",".join(events), "-p", str(p.pid)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            with open(ctl, "w") as c, open(ack) as k:
                c.write("enable\n")
                c.flush()
                k.readline()
                result = self.load(port, p.pid, conns, rounds)
                c.write("disable\n")
                c.flush()
                k.readline()
        finally:
            perf.send_signal(signal.SIGINT)
            perf.wait(timeout=30)
            self.stop(p)
        by_call = {}
        total = None
        with open(counts) as f:
            for line in f:
                parts = line.strip().split(",")
                if len(parts) < 3 or not parts[0].isdigit():
                    continue
                if parts[2] == "raw_syscalls:sys_enter":
                    total = int(parts[0])
                elif parts[2].startswith("syscalls:sys_enter_") and int(parts[0]) > 0:
                    by_call[parts[2][len("syscalls:sys_enter_"):]] = int(parts[0])
        if total is None:
            raise RuntimeError("perf counted nothing")
        result.update({"syscalls": total, "by_call": by_call})
        return result

    def strace_run(self, server, conns, rounds):
        p, port = self.start(server)
        counts = os.path.join(self.tmp, "strace.txt")
        tracer = subprocess.Popen(["strace", "-c", "-f", "-o", counts, "-p", str(p.pid)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            # strace says on standard error when it is attached (-o takes only the summary).
            limit = time.monotonic() + min(30, self.left())
            attached = False
            while not attached and time.monotonic() < limit:
                r, _, _ = select.select([tracer.stderr], [], [], 0.2)
                if r:
                    line = tracer.stderr.readline()
                    if not line:
                        break
                    attached = "attached" in line
            if not attached:
                raise RuntimeError("strace did not attach")
            result = self.load(port, p.pid, conns, rounds)
        finally:
            tracer.send_signal(signal.SIGINT)
            tracer.wait(timeout=60)
            self.stop(p)
        by_call, total = {}, None
        with open(counts) as f:
            for line in f:
                fields = line.split()
                if len(fields) < 5 or not fields[3].isdigit():
                    continue
                if fields[-1] == "total":
                    total = int(fields[3])
                else:
                    by_call[fields[-1]] = int(fields[3])
        if total is None:
            raise RuntimeError("strace counted nothing")
        result.update({"syscalls": total, "by_call": by_call})
        return result

    # --- callgrind ------------------------------------------------------------------------------

    def callgrind_run(self, server, conns, rounds, keep):
        f = os.path.join(self.tmp, f"cg.{server}.{conns}.{rounds}")
        p, port = self.start(server, ["valgrind", "--tool=callgrind", f"--callgrind-out-file={f}"])
        try:
            result = self.load(port, p.pid, conns, rounds)
            # Dump now (the server is idle, every client closed): a signal would lose the counts.
            subprocess.run(["callgrind_control", "-d", str(p.pid)], capture_output=True, timeout=60)
        finally:
            self.stop(p)
        dumped = f + ".1"
        ir = None
        with open(dumped) as fh:
            for line in fh:
                if line.startswith("summary:") or line.startswith("totals:"):
                    ir = int(line.split()[1])
        result.update({"ir": ir, "file": dumped if keep else None})
        if not keep:
            for g in (f, dumped):
                if os.path.exists(g):
                    os.unlink(g)
        return result

    def annotate(self, small, large, messages, inclusive):
        a, b = annotated(small["file"], inclusive), annotated(large["file"], inclusive)
        rows = []
        for func in set(a) | set(b):
            d = (b.get(func, 0) - a.get(func, 0)) / messages
            if abs(d) >= 0.5:
                rows.append([func, round(d, 1)])
        rows.sort(key=lambda r: -r[1])
        return rows

    # --- the whole comparison -----------------------------------------------------------------

    def run(self):
        servers = [s for s in self.a.servers.split(",") if self.available(s)]
        missing = [s for s in self.a.servers.split(",") if s not in servers]
        if missing:
            print(f"echo: not built, skipped: {', '.join(missing)}", file=sys.stderr)
        self.syscalls = self.a.syscalls if self.a.syscalls != "auto" else ("perf" if perf_works() else "strace")
        cg1, cg2 = (int(x) for x in self.a.cg_messages.split(","))
        import resource
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        self.emit({"kind": "params", "servers": servers, "messages": self.a.messages, "cg_messages": [cg1, cg2],
                   "reps": self.a.reps, "cpu_server": self.a.cpu_server, "cpu_load": self.a.cpu_load, "size": 64,
                   "counter": self.syscalls, "nofile_hard": hard})
        try:
            for wanted in (int(x) for x in self.a.conns.split(",")):
                conns = min(wanted, hard - 64) if hard != resource.RLIM_INFINITY else wanted
                if conns != wanted:
                    print(f"echo: RLIMIT_NOFILE hard limit {hard}: {conns} connections instead of {wanted}",
                          file=sys.stderr)
                    self.emit({"kind": "capped", "wanted": wanted, "conns": conns, "nofile_hard": hard})
                rounds = max(2, self.a.messages // conns)
                rounds_small = max(1, rounds // 5)
                for rep in range(self.a.reps):
                    order = servers[rep % len(servers):] + servers[:rep % len(servers)]
                    if rep % 2:
                        order.reverse()
                    for server in order:
                        for m in (rounds_small, rounds):
                            r = self.counted_run(server, conns, m)
                            r["rep"] = rep
                            self.emit(r)
                            print(f"   echo {server} N={conns} M={m}: "
                                  f"{r['syscalls'] / r['messages']:.3f} system calls/message, "
                                  f"{r['msgs_per_s']:.0f} msg/s", flush=True)
                if self.a.no_callgrind:
                    continue
                for server in servers:
                    keep = server in self.a.annotate.split(",")
                    small = self.callgrind_run(server, conns, max(1, cg1 // conns), keep)
                    large = self.callgrind_run(server, conns, max(2, cg2 // conns), keep)
                    messages = large["messages"] - small["messages"]
                    rec = {"kind": "callgrind", "server": server, "conns": conns, "rounds": [small["rounds"], large["rounds"]],
                           "ir": [small["ir"], large["ir"]], "ir_per_msg": (large["ir"] - small["ir"]) / messages}
                    self.emit(rec)
                    print(f"   echo {server} N={conns}: {rec['ir_per_msg']:.1f} instructions/message", flush=True)
                    if keep:
                        for inclusive in (False, True):
                            self.emit({"kind": "annotate", "server": server, "conns": conns, "inclusive": inclusive,
                                       "rows": self.annotate(small, large, messages, inclusive)})
                        for g in (small["file"], large["file"]):
                            os.unlink(g)
        except out_of_time:
            print(f"echo: time limit ({self.a.time_limit} s) reached; the rest is not measured", file=sys.stderr)
            self.emit({"kind": "incomplete", "reason": f"time limit {self.a.time_limit} s"})
        finally:
            for f in os.listdir(self.tmp):
                os.unlink(os.path.join(self.tmp, f))
            os.rmdir(self.tmp)


def raise_nofile():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def perf_works():
    """perf can count system-call tracepoints here (installed, and allowed to)."""
    try:
        r = subprocess.run(["perf", "stat", "-x,", "-e", "raw_syscalls:sys_enter", "--", "true"],
                           capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and "raw_syscalls:sys_enter" in r.stderr and "<not" not in r.stderr


def listening(port):
    """True when something listens on 127.0.0.1:port (from /proc/net/tcp, without connecting)."""
    want = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as f:
        for line in f:
            fields = line.split()
            if len(fields) > 3 and fields[1] == want and fields[3] == "0A":
                return True
    return False


def annotated(path, inclusive):
    """Instructions by function from callgrind_annotate."""
    r = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100",
                        "--auto=no", path], capture_output=True, text=True, check=True)
    by_func, started = {}, False
    for line in r.stdout.splitlines():
        if "file:function" in line:
            started = True
            continue
        if started and not line.strip():
            break  # the end of the function list
        m = re.match(r"^\s*([\d,]+)\s+(?:\(\s*[\d.]+%\)\s+)?(.*)$", line) if started else None
        if not m:
            continue
        where = re.sub(r"\s*\[[^]]*\]$", "", m.group(2))
        func = where.split(":", 1)[1] if ":" in where.split("(")[0] else where
        by_func[func] = by_func.get(func, 0) + int(m.group(1).replace(",", ""))
    return by_func


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="directory of echo_load, echo_raw, echo_asio, echo_uv")
    ap.add_argument("--usock", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--conns", default="1000,10000")
    ap.add_argument("--messages", type=int, default=200000, help="messages per measured run (rounds = this / N)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cg-messages", default="20000,100000", help="the two run sizes under callgrind")
    ap.add_argument("--servers", default="raw,floor,floor_selector,asio,libuv,selector,usock")
    ap.add_argument("--annotate", default="usock")
    ap.add_argument("--cpu-server", type=int, default=0)
    ap.add_argument("--cpu-load", type=int, default=1)
    ap.add_argument("--syscalls", choices=["auto", "perf", "strace"], default="auto")
    ap.add_argument("--time-limit", type=float, default=900)
    ap.add_argument("--no-callgrind", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    bench(args).run()


if __name__ == "__main__":
    main()
