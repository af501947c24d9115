"""The Python section of docs/BENCHMARKS.md: the module against CPython's socket, Python against
Python, from RESULTS_DIR/python.json (send_recv.py), py_counts.jsonl (py_loop.py under
callgrind), python_stream.json (stream.py) and py_stream_counts.jsonl (stream.py --one under
callgrind).

Used by bench/report.py: section(results) gives the Markdown lines (scripts/bench.sh --part
python puts them in place of this section of an existing page). Standard library only.
"""

import json
import os

TITLE = "## 7. The Python module against CPython's socket"
NAMES = {"readline": ("`sock.readline()`", "`makefile('rb').readline()`"),
         "read": ("`sock.read(34)`", "`makefile('rb').read(34)`"),
         "readinto": ("`sock.readinto(buf)`", "`makefile('rb').readinto(buf)`")}
TARGETS = {"readline": 2.0, "read": 1.5, "readinto": 1.5}
BULK_NAMES = {"read_1m": ("sock.read(1 MiB)", "makefile('rb').read(1 MiB)"),
              "readinto_1m": ("sock.readinto(1 MiB buf)", "makefile('rb').readinto(1 MiB buf)"),
              "read_all": ("sock.read()", "makefile('rb').read()")}
TARGET_PAIR = 0.85
# The module before its calls were served with the GIL held (measured on 2026-11-30 with this
# section's method: bench/python/stream.py --one and bench/py_loop.py under callgrind, and the
# two timed scripts), for the before/after table.
BEFORE_COMMIT = "f13ef72"
BEFORE = {("stream", "readline"): ("`readline()`", 1486), ("stream", "read"): ("`read(34)`", 1501),
          ("stream", "readinto"): ("`readinto(buf)`", 1184), ("pair", "recv"): ("`send` + `recv`", 1940),
          ("pair", "recv_into"): ("`send` + `recv_into`", 1921),
          ("pair", "timeout"): ("`send` + `recv_into`, `settimeout(5.0)`", 1921)}
BEFORE_WALL = ("`readline()` ×0.45 of CPython's lines/s, `read(34)` ×0.39, `readinto` ×0.46; "
               "send+recv 0.86–0.90 of CPython's time.")


def _read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def section(results):
    md = [TITLE, "",
          "Python calls against CPython's Python calls: the same loop in the same process, alternating",
          "the modules round by round, `/usr/bin/python3` for both, pinned to one core",
          "(`taskset -c $BENCH_CPU`). Instruction counts are callgrind's, the difference of two run sizes.",
          "Reproduce this section alone with `scripts/bench.sh --part python` (about 4 minutes).", ""]

    # --- the stream methods -------------------------------------------------------------------------
    st = _read_json(os.path.join(results, "python_stream.json"))
    counts = {(c["module"], c["op"]): c["ir"] for c in _read_jsonl(os.path.join(results, "py_stream_counts.jsonl"))}
    md += ["### The stream methods", ""]
    if st:
        md += [f"`bench/python/stream.py`: a writer thread fills a socketpair with {st['lines']} lines of "
               f"{st['line_size']} bytes; the reader reads them one call at a time, the module's own stream "
               f"methods (`{st.get('module', 'usocket')}`) against CPython's buffered file (`makefile('rb')`); "
               f"{st['rounds']} rounds, medians "
               "(lines/s) and the median of the per-round ratios (range in brackets).", "",
               "| operation | usocket | lines/s | CPython | lines/s | usocket ÷ CPython | target | "
               "instructions per line, usocket | CPython |",
               "|---|---|---:|---|---:|---:|---:|---:|---:|"]
        for op, r in st["ops"].items():
            ours, theirs = NAMES[op]
            ir_u, ir_c = counts.get(("usocket", op)), counts.get(("socket", op))
            md.append(f"| {op} | {ours} | {r['usocket_lines_per_s'] / 1e6:.2f} M | {theirs} | "
                      f"{r['cpython_lines_per_s'] / 1e6:.2f} M | ×{r['ratio']:.2f} "
                      f"({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) | ≥ ×{TARGETS[op]:.1f} | "
                      f"{f'{ir_u:.0f}' if ir_u is not None else '—'} | {f'{ir_c:.0f}' if ir_c is not None else '—'} |")
        drain = counts.get(("usocket", "drain")), counts.get(("socket", "drain"))
        md += ["",
               "Instructions per line count the whole process: the reader's loop, the call, the `bytes`",
               "object and its release, the refills, and the writer thread's share"
               + (f" (reading the same stream with `recv(65536)` instead costs {drain[0]:.0f} per line with usocket,"
                  f" {drain[1]:.0f} with CPython)." if all(d is not None for d in drain) else "."),
               "Wall-clock ratios of this benchmark vary from round to round on a shared VM (the writer and",
               "the reader share one core, and when each runs decides how full the socket is at each",
               "refill); the instruction counts are the stable figure.", ""]
        bulk = st.get("bulk")
        if bulk:
            md += [f"Large reads: the same writer sends a {bulk['mib']} MiB stream and shuts its side down; the",
                   "reader reads it whole with a large read per call, or with one read to the end (MB/s, the",
                   "same rounds, medians, the modules alternating).", "",
                   "| operation | usocket | MB/s | CPython | MB/s | usocket ÷ CPython |",
                   "|---|---|---:|---|---:|---:|"]
            for op, r in bulk["ops"].items():
                ours, theirs = BULK_NAMES[op]
                md.append(f"| {op} | `{ours}` | {r['usocket_mb_per_s']:.0f} | `{theirs}` | "
                          f"{r['cpython_mb_per_s']:.0f} | ×{r['ratio']:.2f} ({r['ratio_min']:.2f}–{r['ratio_max']:.2f}) |")
            md += ["",
                   "A large `read(n)` makes its `bytes` object once and the kernel fills it in place, as",
                   "CPython's buffered file does. `read()` to the end grows raw memory (realloc moves its",
                   "pages, never copies them) and copies it once into the `bytes` object: two passes over",
                   "fresh memory where CPython's join makes one per chunk it keeps, so at some sizes it is",
                   "slower than CPython's. A page fault costs about 20 µs on this VM, which makes fresh",
                   "memory the dominant cost of a bulk read here (count them with",
                   "`perf stat -e page-faults`).", ""]
        floor_ops = {op: r for op, r in st["ops"].items() if "floor_ratio" in r}
        if floor_ops:
            md += ["The floor (`bench/python/floor.c`, module `_usocket_floor`): the same loop over a `Lines`",
                   "object holding the same bytes in memory, no socket and no writer thread, the least any C",
                   "extension can do for the call; \"+ drain\" adds the time CPython's `recv(65536)` takes to",
                   "drain the same stream from the writer, round by round.", "",
                   "| operation | floor lines/s | floor ÷ CPython | floor + drain ÷ CPython | target | "
                   "instructions per line, floor |", "|---|---:|---:|---:|---:|---:|"]
            for op, r in floor_ops.items():
                ir_f = counts.get(("floor", op))
                md.append(f"| {op} | {r['floor_lines_per_s'] / 1e6:.2f} M | ×{r['floor_ratio']:.2f} "
                          f"({r['floor_ratio_min']:.2f}–{r['floor_ratio_max']:.2f}) | "
                          f"×{r['floor_drain_ratio']:.2f} ({r['floor_drain_ratio_min']:.2f}–"
                          f"{r['floor_drain_ratio_max']:.2f}) | ≥ ×{TARGETS[op]:.1f} | "
                          f"{f'{ir_f:.0f}' if ir_f is not None else '—'} |")
            md.append("")
    else:
        md += ["`bench/python/stream.py` did not run (the script or the built module was missing).", ""]

    md += ["![the Python module's speed against CPython's](bench_python.svg)", "",
           "Each target row of the summary: usocket's speed against CPython's, the floor's (for the",
           "stream methods with CPython's drain of the same stream) and the target.", ""]
    # --- send + recv -----------------------------------------------------------------------------
    md += ["### send + recv", ""]
    py = _read_json(os.path.join(results, "python.json"))
    if py:
        meta = py["meta"]
        md += [f"`bench/python/send_recv.py`: 64-byte send + receive on a socketpair in one process, "
               f"Python {meta['python']} (`{meta['executable']}`), {meta['rounds']} rounds of "
               f"{meta['iterations']} iterations alternating the modules, medians; the empty Python loop "
               f"is subtracted. Target: usocket ≤ {TARGET_PAIR} × CPython's time.", "",
               "| operation | module | ns per pair | ns per call | ÷ CPython |", "|---|---|---:|---:|---:|"]
        for op, by_impl in py["results"].items():
            for name, r in by_impl.items():
                md.append(f"| {op} | {name} | {r['ns_per_pair']:.0f} | {r['ns_per_call']:.0f} | "
                          f"{r['ratio_to_cpython']:.3f} |")
        md.append("")
    else:
        md += ["`bench/python/send_recv.py` did not run (the script or the built module was missing).", ""]
    py_counts = _read_jsonl(os.path.join(results, "py_counts.jsonl"))
    if py_counts:
        md += ["Instructions per send + receive pair under callgrind (`bench/py_loop.py`, the same loop at",
               "two sizes; the loop's own cost is the `empty` row, included in the others):", "",
               "| module | mode | user-space instructions per pair | system calls per pair |",
               "|---|---|---:|---:|"]
        for p in py_counts:
            sc = f"{p['syscalls']:.2f}" if p.get("syscalls") is not None else "—"
            md.append(f"| {p['module']} | {p['mode']} | {p['ir']:.0f} | {sc} |")
        md += ["", "`recv` allocates a new `bytes` per call; `recv_into` fills a preallocated `bytearray` (no",
               "copy out); `timeout` is `recv_into` on sockets with `settimeout(5.0)`, where CPython polls",
               "before every call.", ""]
    after = {("stream", op): counts.get(("usocket", op)) for op in ("readline", "read", "readinto")}
    after.update({("pair", p["mode"]): p["ir"] for p in py_counts if p["module"] == "usocket"})
    cpython = {("stream", op): counts.get(("socket", op)) for op in ("readline", "read", "readinto")}
    cpython.update({("pair", p["mode"]): p["ir"] for p in py_counts if p["module"] == "socket"})
    md += ["### Before and after", "",
           "User-space instructions per line (stream) or per pair (send + receive), callgrind, the same",
           f"method: before the calls served with the GIL held ({BEFORE_COMMIT}), and this run.", "",
           "| call | usocket before | usocket now | CPython now |", "|---|---:|---:|---:|"]
    for key, (label, before) in BEFORE.items():
        now, ref = after.get(key), cpython.get(key)
        md.append(f"| {label} | {before} | {f'{now:.0f}' if now is not None else '—'} | "
                  f"{f'{ref:.0f}' if ref is not None else '—'} |")
    md += ["", f"Wall clock before, in the same kind of run: {BEFORE_WALL}", ""]
    md += [
        "### Where the time goes",
        "",
        "A stream read the read-ahead buffer can serve whole (a line, or n bytes, already there) is",
        "served with the GIL held, straight from the buffer into the `bytes` object",
        "(`src/stream_hold.hpp`). When the GIL vouches that no other thread can reach the buffer (the",
        "socket object has no call in flight with the GIL released, and alone holds its plain socket's",
        "state) no lock is taken at all; otherwise the read lock is tried, and taken only when free.",
        "`recv`, `recv_into` and `send` first try the system call with `MSG_DONTWAIT` with the GIL",
        "held; under the same condition, without the use guard (no other thread can close the",
        "descriptor meanwhile), and a receive of up to 512 bytes straight into its `bytes` object. Only a call",
        "that must wait (nothing buffered, the socket not ready, the read lock held by another read, a",
        "transport) releases the GIL, through the library's call with its deadline, interrupt and",
        "reentrancy checks.",
        "",
        "Atomic read-modify-writes cost far more time than their instruction count: the read lock's",
        "two (a futex word's compare-and-swap and exchange, glibc's mutex before it) were about a third",
        "of a buffered `readline()`'s time on this machine, though callgrind counts them as two",
        "instructions. Without them the stream methods run at the floor's pace (the floor rows above:",
        "the least any C extension does for the call, plus the socket's share). `readline()` at ×2",
        "CPython's lines/s is out of reach for any implementation when the floor itself, with the",
        "socket's share, stays below it.",
        "",
        "A send+recv pair spends most of its time in the kernel (two system calls on this VM), so",
        "the user-space instructions it saves (no GIL hand-over when the call need not wait) move the",
        "wall-clock ratio much less than the instruction ratio. Some costs move it more than their",
        "count: the use guard's two atomic instructions per call, and a copy through a buffer of the",
        "thread's (11 instructions, 2% of the pair's time).",
        "",
    ]
    return md

