#!/usr/bin/python3
"""The bulk sender's system calls per 64 KiB chunk, each implementation in turn.

    bulk_syscalls.py --bench build-bench/bench/usocket_bench --out FILE.jsonl
        [--reps 5] [--bytes 536870912] [--cpu 0] [--impls raw,raw_nonblocking,usocket,usocket_timeout]
        [--workload bulk-unix]

Each run is one `usocket_bench once WORKLOAD IMPL BYTES` (the bulk workload of section 2: a
child sends BYTES in 64 KiB sendall()s, the parent receives, both pinned to one core) under
`perf record` on the system-call tracepoints. The sender is the process that made the
`sendto` calls; its system calls (all of them, set-up included), `sendto`s and waits
(`poll`/`ppoll`) are divided by the chunks it sent. The implementations alternate, REPS times;
one JSON line per run. Needs perf with tracepoints (root, or perf_event_paranoid <= -1); exits
with 3 and writes nothing when it cannot count.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

CHUNK = 64 * 1024
EVENTS = ["raw_syscalls:sys_enter", "syscalls:sys_enter_sendto", "syscalls:sys_enter_ppoll",
          "syscalls:sys_enter_poll"]


def count(bench, workload, impl, nbytes, cpu, tmp):
    data = os.path.join(tmp, "perf.data")
    cmd = ["perf", "record", "-q", "-o", data]
    for e in EVENTS:
        cmd += ["-e", e]
    cmd += ["--", bench, "--cpu", str(cpu), "once", workload, impl, str(nbytes)]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if run.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {run.returncode}: {run.stderr.strip()[-400:]}")
    script = subprocess.run(["perf", "script", "-i", data, "-F", "pid,event"], capture_output=True,
                            text=True, timeout=600, check=True)
    per_pid = collections.defaultdict(collections.Counter)
    for line in script.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            per_pid[parts[0]][parts[1].rstrip(":")] += 1
    if not per_pid:
        raise RuntimeError("perf recorded no event")
    sender = max(per_pid, key=lambda p: per_pid[p]["syscalls:sys_enter_sendto"])
    c = per_pid[sender]
    chunks = nbytes // CHUNK
    return {"kind": "bulk-syscalls", "workload": workload, "impl": impl, "bytes": nbytes,
            "mbps": float(run.stdout.split()[0]) if run.stdout.split() else None,
            "syscalls": c["raw_syscalls:sys_enter"] / chunks,
            "sendto": c["syscalls:sys_enter_sendto"] / chunks,
            "waits": (c["syscalls:sys_enter_ppoll"] + c["syscalls:sys_enter_poll"]) / chunks}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--bytes", type=int, default=512 << 20)
    ap.add_argument("--cpu", type=int, default=0)
    ap.add_argument("--impls", default="raw,raw_nonblocking,usocket,usocket_timeout")
    ap.add_argument("--workload", default="bulk-unix", choices=["bulk-unix", "bulk-tcp"])
    a = ap.parse_args()
    if a.bytes < CHUNK:
        ap.error("--bytes: at least one 64 KiB chunk")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(a.reps):
            impls = a.impls.split(",")
            if rep % 2:
                impls.reverse()  # alternate the order: no implementation always runs first
            for impl in impls:
                try:
                    r = count(a.bench, a.workload, impl, a.bytes, a.cpu, tmp)
                except (OSError, RuntimeError, subprocess.SubprocessError) as e:
                    print(f"bulk_syscalls: cannot count ({e}); nothing written", file=sys.stderr)
                    return 3
                r["rep"] = rep
                records.append(r)
                print(f"   {a.workload} {impl}: {r['syscalls']:.3f} system calls per 64 KiB "
                      f"({r['sendto']:.3f} sendto, {r['waits']:.3f} waits)")
    with open(a.out, "a") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
