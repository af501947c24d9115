#!/usr/bin/python3
"""Writes docs/BENCHMARKS.md and its plots from the results scripts/bench.sh collected.

    /usr/bin/python3 bench/report.py RESULTS_DIR OUT_DIR [--check]
    /usr/bin/python3 bench/report.py --section echo RESULTS_DIR OUT_DIR
    /usr/bin/python3 bench/report.py --section batch RESULTS_DIR OUT_DIR
    /usr/bin/python3 bench/report.py --section python RESULTS_DIR OUT_DIR

RESULTS_DIR holds timed.jsonl (usocket_bench), counts.jsonl (callgrind and strace counts),
annotate_*.txt, python.json, py_counts.jsonl, python_stream.json, py_stream_counts.jsonl, readline*.txt, echo.jsonl (bench/echo/), machine.txt
and run.txt.
OUT_DIR receives BENCHMARKS.md, bench_cost.svg, bench_instructions.svg and bench_echo.svg (gnuplot).
--check only verifies that every figure is a positive number (the CI smoke pass). --section echo
replaces only the echo servers' section of OUT_DIR/BENCHMARKS.md (scripts/bench.sh --part echo),
--section python only the Python module's (scripts/bench.sh --part python).
Standard library only.
"""

import json
import os
import re
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "echo"))
import echo_report  # noqa: E402  (bench/echo/echo_report.py)
import batch_report  # noqa: E402  (bench/batch_report.py)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
import python_report  # noqa: E402  (bench/python/python_report.py)

# Implementations in the order tables and plots show them.
ORDER = ["raw", "usocket", "usocket_ec", "usocket_timeout", "raw_try_first", "raw_poll_first", "asio",
         "libuv"]
PLOT_SERIES = [("usocket", "usocket"), ("usocket_timeout", "usocket, timeout"), ("asio", "Asio"),
               ("libuv", "libuv"), ("raw_poll_first", "raw, poll first (CPython's timeout pattern)")]
SHORT = {"perop": "send+recv", "udp": "UDP", "bulk-tcp": "bulk TCP", "bulk-unix": "bulk Unix",
         "pingpong": "ping-pong", "connrate": "connect"}


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def read_text(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return f.read().strip()


def ordered(names):
    return sorted(names, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def cost_ratios(bench, name):
    """Per-round cost of `name` relative to the baseline: time ratio (> 1 is slower)."""
    base = bench["samples"][bench["baseline"]]
    mine = bench["samples"][name]
    if bench["higher_is_better"]:
        return [b / m for m, b in zip(mine, base)]
    return [m / b for m, b in zip(mine, base)]


def fmt(v, digits=3):
    if v is None:
        return "—"
    if v >= 1000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    if v >= 10:
        return f"{v:.1f}"
    return f"{v:.{digits - 1}f}"


def timed_section(bench):
    unit = bench["unit"]
    out = [f"### {bench['title']}", ""]
    params = ", ".join(f"{k}: {v}" for k, v in bench["params"].items())
    out.append(f"*{params}.*")
    out.append("")
    rel = "throughput ÷ raw" if bench["higher_is_better"] else "time ÷ raw"
    out.append(f"| implementation | median {unit} | {rel} (median of per-round ratios) | range over rounds |")
    out.append("|---|---:|---:|---:|")
    for name in ordered(bench["samples"]):
        med = statistics.median(bench["samples"][name])
        base = bench["samples"][bench["baseline"]]
        per_round = [m / b for m, b in zip(bench["samples"][name], base)]
        label = bench["labels"].get(name, name)
        out.append(f"| `{name}` — {label} | {fmt(med)} | {statistics.median(per_round):.3f} | "
                   f"{min(per_round):.2f}–{max(per_round):.2f} |")
    out.append("")
    return out


def count_table(counts, kind, unit):
    rows = [c for c in counts if c["kind"] == kind]
    if not rows:
        return []
    raw = next((c for c in rows if c["case"] == "raw"), None)
    out = [f"| implementation | user-space instructions {unit} | ÷ raw | system calls {unit} |",
           "|---|---:|---:|---:|"]
    for c in sorted(rows, key=lambda c: ORDER.index(c["case"]) if c["case"] in ORDER else 99):
        ratio = f"{c['ir'] / raw['ir']:.2f}" if raw and raw["ir"] else "—"
        sc = f"{c['syscalls']:.2f}" if c.get("syscalls") is not None else "—"
        out.append(f"| `{c['case']}` | {c['ir']:.0f} | {ratio} | {sc} |")
    out.append("")
    return out


def annotation(path):
    """Self instructions per iteration by function, from callgrind_annotate --inclusive=no
    output whose first line is 'iterations N'."""
    text = read_text(path)
    if not text:
        return None
    lines = text.splitlines()
    n = int(lines[0].split()[1])
    by_func, in_functions = {}, False
    for line in lines[1:]:
        if "file:function" in line:
            in_functions = True
            continue
        m = re.match(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$", line) if in_functions else None
        if not m:
            if in_functions and by_func and line.startswith("---"):
                break
            continue
        # "file:function [object]"; lines inlined from headers name the function they are in.
        where = re.sub(r"\s*\[[^]]*\]$", "", m.group(2))
        func = where.split(":", 1)[1] if ":" in where.split("(")[0] else where
        func = re.sub(r"\([^()]*\)$", "()", func) if len(func) > 60 else func
        by_func[func] = by_func.get(func, 0) + int(m.group(1).replace(",", "")) / n
    rows = sorted(by_func.items(), key=lambda kv: -kv[1])
    total = sum(by_func.values())
    return "\n".join([f"{ir:7.1f}  {func}" for func, ir in rows if ir >= 0.5] +
                     [f"{total:7.1f}  total per send+recv pair (including the benchmark loop)"])


def gnuplot(script, cwd):
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True, cwd=cwd)
        return True
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot failed: {e}", file=sys.stderr)
        return False


def histogram(out_dir, name, titles, rows, settings):
    """Grouped bars in OUT_DIR/NAME.svg: one group per (label, values) row, one bar per title."""
    data = os.path.join(out_dir, f"{name}.dat")
    with open(data, "w") as f:
        f.write("group " + " ".join(f'"{t}"' for t in titles) + "\n")
        for label, values in rows:
            f.write(f'"{label}" ' + " ".join("NaN" if v is None else f"{v:.4f}" for v in values) + "\n")
    cols = " , ".join(f"'{name}.dat' using {i + 2}:xtic(1) title columnheader({i + 2})" for i in range(len(titles)))
    ok = gnuplot(f"""
set output '{name}.svg'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set key below horizontal
set grid ytics
{settings}
plot {cols}
""", out_dir)
    os.remove(data)
    return ok


def plot_cost(timed, out_dir):
    """Grouped bars: time relative to raw for each workload and implementation."""
    benches = [b for b in timed if b["bench"] in SHORT]
    series = [(k, t) for k, t in PLOT_SERIES if any(k in b["samples"] for b in benches)]
    rows = [(SHORT[b["bench"]], [statistics.median(cost_ratios(b, k)) if k in b["samples"] else None
                                 for k, _ in series]) for b in benches]
    return histogram(out_dir, "bench_cost", [t for _, t in series], rows, """
set terminal svg size 900,460 dynamic font 'sans,11' background '#ffffff'
set title 'Time per operation relative to the raw system calls (1.0 = raw; lower is better)'
set yrange [0:*]
set ylabel 'time ÷ raw (median of per-round ratios)'
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb '#444444' front""")


def plot_echo(results, out_dir):
    """Grouped bars on a log scale: the echo servers' instructions per message at each N."""
    titles, rows = echo_report.instruction_rows(results)
    if not rows:
        return False
    return histogram(out_dir, "bench_echo", titles, rows, """
set terminal svg size 900,420 dynamic font 'sans,11' background '#ffffff'
set title 'Echo servers: user-space instructions per 64-byte message (callgrind; log scale)'
set logscale y
set yrange [10:*]
set ylabel 'instructions per message'""")


def plot_python(results, out_dir):
    """Grouped bars: the Python module's speed against CPython's for each target row, beside the
    floor (with the socket's drain for the stream methods) and the target."""
    st = python_report._read_json(os.path.join(results, "python_stream.json"))
    py = python_report._read_json(os.path.join(results, "python.json"))
    rows = []
    for op in ("readline", "read", "readinto"):
        r = st["ops"].get(op) if st else None
        if r:
            rows.append((f"{op}()", [r["ratio"], r.get("floor_drain_ratio"), python_report.TARGETS[op]]))
    pair = py["results"].get("send+recv", {}) if py else {}
    if "usocket" in pair:
        floor = pair.get("floor", {}).get("ratio_to_cpython")
        rows.append(("send+recv pair", [1 / pair["usocket"]["ratio_to_cpython"], 1 / floor if floor else None,
                                        1 / python_report.TARGET_PAIR]))
    if not rows:
        return False
    return histogram(out_dir, "bench_python", ["usocket", "floor (stream: + the drain)", "target"], rows, """
set terminal svg size 900,420 dynamic font 'sans,11' background '#ffffff'
set title "The Python module's speed against CPython's socket (1.0 = CPython; higher is better)"
set yrange [0:*]
set ylabel 'speed ÷ CPython (pair: CPython time ÷ usocket time)'
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb '#444444' front""")


def plot_bulk(results, out_dir):
    """Bars: the bulk sender's system calls per 64 KiB, the target as a dashed line."""
    bs = bulk_syscall_medians(results)
    rows = [(impl.replace("_", " "), [bs[impl]["syscalls"]]) for impl in
            ("raw", "raw_nonblocking", "usocket", "usocket_timeout") if impl in bs]
    if not rows:
        return False
    return histogram(out_dir, "bench_bulk", ["sender's system calls per 64 KiB"], rows, """
set terminal svg size 900,360 dynamic font 'sans,11' background '#ffffff'
set title "Bulk AF_UNIX, 64 KiB sendall()s: the sender's system calls per 64 KiB (target: 1.05 with a timeout)" noenhanced
set yrange [0:*]
set ylabel 'system calls per 64 KiB'
set arrow from graph 0, first 1.05 to graph 1, first 1.05 nohead dt 2 lw 1.5 lc rgb '#aa3333' front""")


def plot_instructions(counts, py_counts, out_dir):
    """Bars on a log scale: user-space instructions per send+recv pair (callgrind)."""
    rows = [(c["case"], c["ir"]) for c in counts if c["kind"] == "perop"]
    rows.sort(key=lambda r: r[1])
    py = {(p["module"], p["mode"]): p["ir"] for p in py_counts}
    if ("socket", "recv_into") in py:
        rows.append(("Python:\\nCPython socket", py[("socket", "recv_into")]))
    if ("usocket", "recv_into") in py:
        rows.append(("Python:\\nusocket module", py[("usocket", "recv_into")]))
    if not rows:
        return False
    data = os.path.join(out_dir, "bench_instructions.dat")
    with open(data, "w") as f:
        for i, (name, ir) in enumerate(rows):
            label = name.replace("_", "\\n")
            f.write(f'{i} {ir:.1f} "{label}"\n')
    ok = gnuplot(f"""
set terminal svg size 900,420 dynamic font 'sans,11' background '#ffffff'
set output 'bench_instructions.svg'
set title 'User-space instructions per 64-byte send + receive (callgrind; log scale)'
set style fill solid 0.85 border -1
set boxwidth 0.7
set logscale y
set yrange [10:*]
set grid ytics
set xtics nomirror
set bmargin 5
set ylabel 'instructions per send+recv pair'
unset key
plot 'bench_instructions.dat' using 1:2:xtic(3) with boxes lc rgb '#3a6ea5', \\
     '' using 1:2:(sprintf('%.0f', $2)) with labels offset 0,0.8
""", out_dir)
    os.remove(data)
    return ok


def check(results):
    """The smoke pass: every sample and count is a positive number."""
    timed = read_jsonl(os.path.join(results, "timed.jsonl"))
    counts = read_jsonl(os.path.join(results, "counts.jsonl"))
    bad = []
    if len(timed) < 6:
        bad.append(f"expected 6 timed workloads, got {len(timed)}")
    for b in timed:
        for name, values in b["samples"].items():
            if not values or not all(v > 0 for v in values):
                bad.append(f"{b['bench']}/{name}: {values}")
    if not counts:
        bad.append("no instruction counts")
    for c in counts:
        if not c["ir"] > 0:
            bad.append(f"callgrind {c['kind']}/{c['case']}: {c['ir']}")
    bad += echo_report.check(results)
    bad += batch_report.check(results)
    for line in bad:
        print("bench smoke: " + line, file=sys.stderr)
    echo_servers = len(next((r for r in echo_report.records(results) if r.get("kind") == "params"), {})
                       .get("servers", []))
    print(f"bench smoke: {len(timed)} workloads, {len(counts)} instruction counts, {echo_servers} echo servers, "
          f"{'FAILED' if bad else 'all figures present'}")
    return 1 if bad else 0


def summary(results, cnt, wall_ratio):
    """The hot-path targets, each beside its reference from the same run, and why a miss misses."""
    md = ["## Summary against the targets", "",
          "Each figure beside its reference, measured in the same run; the sections below have the",
          "details and, for each target not met, where the cost is and what would remove it.", "",
          "| path | usocket | reference | target | met? | why not |", "|---|---:|---:|---|---|---|"]

    def row(path, ours, ref, target, ok, why=""):
        met = "—" if ours is None else ("yes" if ok else "**no**")
        md.append(f"| {path} | {ours if ours is not None else 'not measured'} | {ref or '—'} | {target} | "
                  f"{met} | {why if ours is not None and not ok else ''} |")

    ir = {case: cnt[("perop", case)]["ir"] for case in ("usocket", "usocket_timeout", "asio", "raw",
                                                         "floor_compiled", "floor_inline")
          if ("perop", case) in cnt}
    floor = ir.get("floor_compiled")
    for case, label in (("usocket", "blocking"), ("usocket_timeout", "5 s timeout")):
        ours = ir.get(case)
        ref = f"Asio {ir['asio']:.0f}, raw {ir['raw']:.0f}" if "asio" in ir and "raw" in ir else None
        if ref and floor:
            ref += f"; guarded floor {floor:.0f} compiled, {ir['floor_inline']:.0f} inline"
        why = ("out of reach for a compiled call: the least one that keeps its descriptor through a racing "
               f"`close()` costs {floor:.0f} ([1](#1-per-operation-overhead))"
               if floor and "asio" in ir and floor > ir["asio"] else
               "the use guard that makes a call racing `close()` safe ([1](#1-per-operation-overhead))")
        row(f"C++ 64-byte send+recv pair, user-space instructions, {label}",
            f"{ours:.0f}" if ours else None, ref,
            "≤ Asio's", ours is not None and "asio" in ir and ours <= ir["asio"], why)

    st = python_report._read_json(os.path.join(results, "python_stream.json"))
    for op, target in (("readline", 2.0), ("read", 1.5), ("readinto", 1.5)):
        r = st["ops"].get(op) if st else None
        # The floor (bench/python/floor.c) with the socket's drain: what any C extension could reach.
        fd = r.get("floor_drain_ratio") if r else None
        ref = "CPython ×1.00" + (f"; floor + drain ×{fd:.2f}" if fd else "")
        why = ("out of reach: the floor, the least any C extension does, reaches ×{:.2f} with the socket's "
               "share ([7](#7-the-python-module-against-cpythons-socket))".format(fd) if fd and fd < target else
               "the module's own work above the floor's ([7](#7-the-python-module-against-cpythons-socket))")
        row(f"Python `sock.{op}()`, lines/s ÷ CPython's buffered file", f"×{r['ratio']:.2f}" if r else None,
            ref, f"≥ ×{target:.1f}", r is not None and r["ratio"] >= target, why)
    py = python_report._read_json(os.path.join(results, "python.json"))
    pair_results = py["results"].get("send+recv", {}) if py else {}
    pair = pair_results.get("usocket")
    floors = [f"{name} {pair_results[name]['ratio_to_cpython']:.3f}" for name in ("floor", "floor_nogil")
              if name in pair_results]
    # How much the target leaves above the floor, against what the module spends there.
    cp, fl = pair_results.get("cpython"), pair_results.get("floor")
    margin = (f": the target leaves {0.85 * cp['ns_per_pair'] - fl['ns_per_pair']:.0f} ns a pair above the floor, "
              f"the module spends {pair['ns_per_pair'] - fl['ns_per_pair']:.0f}" if pair and cp and fl else "")
    row("Python send+recv pair, time ÷ CPython's", f"{pair['ratio_to_cpython']:.3f}" if pair else None,
        "CPython 1.000" + ("; " + ", ".join(floors) if floors else ""), "≤ 0.85",
        pair is not None and pair["ratio_to_cpython"] <= 0.85,
        "two system calls dominate the pair; the module's work above the floor's" + margin +
        " ([7](#7-the-python-module-against-cpythons-socket))")

    recs = echo_report.records(results)
    for conns in (1000, 10000):
        ours = echo_report.figures(recs, "usock", conns) if recs else None
        raw = echo_report.figures(recs, "raw", conns) if recs else None
        fl = echo_report.figures(recs, "floor_selector", conns) if recs else None
        fl_ir = fl["ir"] if fl else None
        if ours and ours["syscalls"] is not None:
            row(f"`usock --echo`, {conns} connections: system calls per message", f"{ours['syscalls']:.3f}",
                f"raw epoll {raw['syscalls']:.3f}" if raw else None, "≤ 2.05" if conns == 1000 else "(shown)",
                conns != 1000 or ours["syscalls"] <= 2.05, "")
        if ours and ours["ir"] is not None:
            row(f"`usock --echo`, {conns} connections: user-space instructions per message", f"{ours['ir']:.0f}",
                (f"raw epoll {raw['ir']:.0f}" if raw and raw["ir"] is not None else "")
                + (f"; close-safe floor on usocket::selector {fl_ir:.0f}" if fl_ir is not None else ""),
                "≤ 100", ours["ir"] <= 100,
                f"out of reach on the library's selector and compiled close-safe calls: their floor alone is "
                f"{fl_ir:.0f} ([8](#8-echo-servers))" if fl_ir is not None and fl_ir >= 95 else
                "two library calls and libc are most of it ([8](#8-echo-servers))")

    w = wall_ratio("bulk-unix", "usocket_timeout")
    wn = wall_ratio("bulk-unix", "raw_nonblocking")
    row("bulk AF_UNIX 64 KiB, 5 s timeout: throughput ÷ raw blocking", f"{w:.3f}" if w else None,
        "raw blocking 1.000" + (f"; raw `O_NONBLOCK` {wn:.3f}" if wn else ""), "≥ 0.98",
        w is not None and w >= 0.98,
        f"out of reach for an `O_NONBLOCK` descriptor: the raw one reaches {wn:.3f} ([2](#2-bulk-throughput))"
        if wn and wn < 0.98 else "a timed socket is `O_NONBLOCK` ([2](#2-bulk-throughput))")
    bs = bulk_syscall_medians(results)
    ours, raw, nb = (bs.get(k, {}).get("syscalls") for k in ("usocket_timeout", "raw", "raw_nonblocking"))
    row("bulk AF_UNIX 64 KiB, 5 s timeout: sender's system calls per 64 KiB", f"{ours:.2f}" if ours else None,
        (f"raw blocking {raw:.2f}" if raw else "") + (f"; raw `O_NONBLOCK` {nb:.2f}" if nb else ""),
        "≤ 1.05", ours is not None and ours <= 1.05,
        f"out of reach for an `O_NONBLOCK` descriptor: the raw one makes {nb:.2f} "
        "([2](#2-bulk-throughput))" if nb and nb > 1.05 else "a timed socket is `O_NONBLOCK` ([2](#2-bulk-throughput))")
    md.append("")
    return md


def bulk_syscall_medians(results):
    """Per implementation, the medians of bench/bulk_syscalls.py's runs (bulk-unix)."""
    by = {}
    for r in read_jsonl(os.path.join(results, "bulk_syscalls.jsonl")):
        if r.get("workload") == "bulk-unix":
            by.setdefault(r["impl"], []).append(r)
    return {impl: {k: statistics.median(x[k] for x in rs) for k in ("syscalls", "sendto", "waits")}
            | {"runs": len(rs)} for impl, rs in by.items()}


def main():
    argv = sys.argv[1:]
    section = None
    if "--section" in argv:
        i = argv.index("--section")
        section = argv[i + 1] if i + 1 < len(argv) else None
        del argv[i:i + 2]
        if section not in ("echo", "batch", "python"):
            sys.exit(__doc__)
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2:
        sys.exit(__doc__)
    results, out_dir = args
    if section == "batch":
        path = os.path.join(out_dir, "BENCHMARKS.md")
        batch_report.splice(path, batch_report.section(results))
        print(f"report: wrote the batched-datagram part of {path}")
        return
    if section == "echo":
        path = os.path.join(out_dir, "BENCHMARKS.md")
        plot_echo(results, out_dir)
        echo_report.splice(path, echo_report.section(results))
        print(f"report: wrote the echo section of {path}")
        return
    if section == "python":
        path = os.path.join(out_dir, "BENCHMARKS.md")
        plot_python(results, out_dir)
        echo_report.splice(path, python_report.section(results), python_report.TITLE)
        print(f"report: wrote the Python section of {path}")
        return
    if "--check" in sys.argv:
        sys.exit(check(results))
    timed = read_jsonl(os.path.join(results, "timed.jsonl"))
    by_name = {b["bench"]: b for b in timed}
    counts = read_jsonl(os.path.join(results, "counts.jsonl"))
    cnt = {(c["kind"], c["case"]): c for c in counts}
    py_counts = read_jsonl(os.path.join(results, "py_counts.jsonl"))
    machine = read_text(os.path.join(results, "machine.txt")) or ""
    run = read_text(os.path.join(results, "run.txt")) or ""

    cost_ok = plot_cost(timed, out_dir)
    instr_ok = plot_instructions(counts, py_counts, out_dir)
    plot_python(results, out_dir)
    bulk_ok = plot_bulk(results, out_dir)

    def ir_ratio(kind, case):
        a, b = cnt.get((kind, case)), cnt.get((kind, "raw"))
        return a["ir"] / b["ir"] if a and b else None

    def wall_ratio(bench, name):
        b = by_name.get(bench)
        if not b or name not in b["samples"]:
            return None
        return statistics.median([m / r for m, r in zip(b["samples"][name], b["samples"][b["baseline"]])])

    md = ["# Benchmarks", "",
          "How close each usocket operation comes to the bare system call, and how usocket compares",
          "with what a user would pick instead: the raw POSIX calls, Asio (standalone 1.22, synchronous",
          "calls), libuv (1.44, its event loop) and, for the Python module, CPython's own `socket`.",
          "Everything here is generated by **`scripts/bench.sh`** (one command: it builds in",
          "`build-bench/`, runs every workload and rewrites this page and its plots). Benchmarks are not",
          "tests: nothing fails on a timing; CI only checks that they run (`.ci/extra/bench_smoke.sh`).",
          ""]

    # --- summary against the targets --------------------------------------------------------
    md += summary(results, cnt, wall_ratio)

    if cost_ok or instr_ok:
        md += ["## At a glance", ""]
        if cost_ok:
            md += ["![time relative to raw](bench_cost.svg)", "",
                   "Each bar is the median over rounds of (implementation's time ÷ raw time in the same round);",
                   "for the throughput workloads, time per byte. Ping-pong and bulk run both processes on one",
                   "core. The dashed line is the raw system calls.", ""]
        if instr_ok:
            md += ["![instructions per send+recv](bench_instructions.svg)", "",
                   "User-space instructions per 64-byte send + receive on a socketpair, counted by callgrind;",
                   "the kernel's share (the same for all of them, a few thousand instructions) is not included.",
                   ""]

    # --- machine and method -----------------------------------------------------------------
    md += ["## Machine", "", "```", machine, "```", "",
           "The two cores are shared with other builds and test runs, so absolute wall times drift by",
           "tens of per cent between runs (compare the load averages above). Read the ratios measured in",
           "the same round, and the instruction counts, which do not depend on the load.", ""]
    md += ["## Method", "",
           "- **One harness, plain timing loops** (`bench/usocket_bench`, `CLOCK_MONOTONIC`), not Google",
           "  Benchmark: every variant of a workload runs once per round, forward order on even rounds",
           "  and backward on odd ones, after one warm-up pass; the report takes the ratio to the raw",
           "  calls *within each round* and quotes the median over rounds (and the range). Two-process",
           "  workloads fork, and the callgrind counts need a fixed iteration count; both are awkward",
           "  under Google Benchmark's adaptive iteration counts, and its repetitions do not alternate.",
           "- **Pinning**: the harness pins itself to one core (`sched_setaffinity`, as `taskset -c 0`)",
           "  before forking, so both processes of ping-pong and bulk run on the same core. Unpinned, a",
           "  run flips between same-core and cross-core placement (a cross-core wake-up costs a VM exit).",
           "- **Same-run peers**: every implementation is measured in the same process run as the raw",
           "  calls. Each end of a two-process workload uses the implementation under test; the",
           "  connection itself is made with raw calls and handed to the library (`socket::adopt`,",
           "  Asio `assign`, `uv_tcp_open`/`uv_pipe_open`), so only the data path is compared.",
           "- **Instruction counts**: `valgrind --tool=callgrind` runs one single-thread loop",
           "  (`usocket_bench loop perop CASE N`) at two sizes; the difference divided by the difference in",
           "  N cancels start-up and counts only user-space instructions (callgrind never sees the kernel).",
           "  System calls per operation come the same way from `strace -f -c`.",
           "- **Asio**: standalone Asio (Debian `libasio-dev`, 1.22) rather than Boost.Asio 1.74: the same",
           "  code without a Boost dependency, a small header-only package for CI, and a newer release.",
           "  Its synchronous calls are what a user replacing a blocking socket API would write.",
           "- **libuv** has no synchronous receive; its natural use is measured: `uv_try_write`/`uv_write`",
           "  to send and the event loop (epoll + callback) to receive.",
           "- **TIME_WAIT**: the connection-rate loop closes the accepted socket first, so the TIME_WAIT",
           "  entry sits on the listener's port, uses a fresh listener (port 0) per run and a bounded count.",
           "- Loopback only (127.0.0.1, socketpairs), ports bound to 0, every loop bounded.",
           "- Build: `-DCMAKE_BUILD_TYPE=Release` (`-O3`) plus `-g` for the annotations; the library is",
           "  static (as the default build), fault injection off.",
           ""]
    if run:
        md += ["Run parameters:", "", "```", run, "```", ""]

    # --- per-operation and instruction counts -------------------------------------------------
    md += ["## 1. Per-operation overhead", ""]
    if "perop" in by_name:
        md += timed_section(by_name["perop"])
    md += ["Instructions and system calls per 64-byte send + recv pair (callgrind, difference of two",
           "run sizes):", ""]
    md += count_table(counts, "perop", "per pair")
    md += ["`raw_poll_first` is CPython's way of honouring a timeout (read the clock, `poll()`, then the",
           "call) written in C: few user-space instructions, but twice the system calls, which is where",
           "its wall time goes. usocket with a timeout tries the call first and polls only on `EAGAIN`,",
           "so it makes the same two system calls as the blocking form.", ""]

    md += ["### Where the instructions go", ""]
    for case, title in (("usocket", "blocking, throwing form"), ("usocket_timeout", "5 s timeout")):
        ann = annotation(os.path.join(results, f"annotate_perop_{case}.raw"))
        if ann:
            md += [f"`callgrind_annotate` of the measured loop only (`--toggle-collect=usocket_bench_loop`),",
                   f"usocket {title}: self instructions per send+recv pair by function.", "", "```", ann,
                   "```", ""]
    md += [
        "What a call is made of, from the annotation and the disassembly (`gdb -batch -ex",
        "'disassemble usocket::socket::send(usocket::const_buffer, usocket::msg_flags)'",
        "build-bench/bench/usocket_bench`): the success path is a straight line (the seam's",
        "`sys::send`/`sys::recv` are inline in `src/posix/sys_io.hpp`; closed sockets, a transport,",
        "buffered bytes, a failed first try and the timeout's wait are out of line; the throwing form",
        "builds no `std::error_code` on success). `send`, about 26 instructions: the frame 5, the",
        "state and its null test 3, the arguments stored for the slow path 3, `enter()` 4 (a `lock",
        "xadd` and the closed test), the transport test 2, the descriptor and `MSG_NOSIGNAL` 2, the",
        "call, the result test 2, `leave()` 4. `recv_into` adds the buffer-size checks (8) and the",
        "read-ahead buffer's test.",
        "",
        "The use guard (`enter()`/`leave()`, two atomic read-modify-writes per call) is what keeps a",
        "call racing `close()` on another thread from using a descriptor number the kernel has given",
        "to someone else (CPython and Asio have no such guarantee: their racing call can reach another",
        "connection). The timeout form costs no more than the blocking one: the deadline starts",
        "lazily and the clock is not read when the first try succeeds, so a timed socket keeps the",
        "blocking figure while CPython's poll-first pattern (`raw_poll_first`) doubles the system calls.",
        ""]
    fl = {case: cnt["perop", case]["ir"] for case in ("raw", "asio", "floor_unguarded", "floor_compiled",
                                                      "floor_inline", "usocket") if ("perop", case) in cnt}
    if len(fl) == 6:
        md += [
            "**The floor of a close-safe call.** The `floor_` rows are the least any implementation can",
            "do and keep that guarantee (`bench/guard_floor.hpp`): a use word and a descriptor, the",
            "closed test, `send(2)`/`recv(2)` and nothing else (no timeout, transport, read-ahead or",
            "argument checks; errors left to the caller). Per pair, in this run:", "",
            "| build | instructions per pair | ÷ raw |", "|---|---:|---:|",
            f"| raw calls in the loop | {fl['raw']:.0f} | 1.00 |",
            f"| raw calls in a compiled function, no guard (`floor_unguarded`) | {fl['floor_unguarded']:.0f} | "
            f"{fl['floor_unguarded'] / fl['raw']:.2f} |",
            f"| the guarded call inlined into the caller, as a header-only library's (`floor_inline`) | "
            f"{fl['floor_inline']:.0f} | {fl['floor_inline'] / fl['raw']:.2f} |",
            f"| the guarded call compiled, as a library's exported call (`floor_compiled`) | "
            f"{fl['floor_compiled']:.0f} | {fl['floor_compiled'] / fl['raw']:.2f} |",
            f"| Asio (header-only, no guard) | {fl['asio']:.0f} | {fl['asio'] / fl['raw']:.2f} |",
            f"| usocket | {fl['usocket']:.0f} | {fl['usocket'] / fl['raw']:.2f} |", "",
            "A compiled call must keep the state across the system call (a saved register, its push and",
            "pop), set up a frame and return, on top of the guard's two atomic operations and their",
            "tests; inlined into the caller, the compiler folds most of that into the loop. Even written",
            "by hand, the compiled call is 15 instructions on x86-64 (`push`, the state into the saved",
            "register, the `lock xadd` with its operand, test and branch, the descriptor, the flag, the",
            "call, the same four for leaving, `pop`, `ret`), 69 a pair before the test for an empty",
            "socket; the compiler's `floor_compiled` has a few more (a frame for its cold path). So a",
            "library whose calls are compiled (the static and shared libraries the Python module,",
            "`usock` and a consumer link) cannot reach Asio's count while it keeps a racing call off",
            "a reused descriptor: the compiled floor is above Asio's. Only a header-only fast path",
            "(the socket state's layout and the backend's system calls in the public headers, an ABI",
            "the shared library would then freeze) could, as `floor_inline` shows.", ""]
    ipo = {c["case"]: c["ir"] for c in counts if c["kind"] == "perop-ipo"}
    if ipo and ("perop", "raw") in cnt:
        raw_ir = cnt["perop", "raw"]["ir"]
        md += ["The same loop with the library built with interprocedural optimisation",
               "(`-DCMAKE_INTERPROCEDURAL_OPTIMIZATION=ON`; the harness is kept out of it, so the call",
               "boundary is the one a consumer sees), measured in this run:", "",
               "| implementation | instructions per pair, as built | with IPO | ÷ raw with IPO |",
               "|---|---:|---:|---:|"]
        for case in ("usocket", "usocket_ec", "usocket_timeout"):
            if case in ipo and ("perop", case) in cnt:
                md.append(f"| `{case}` | {cnt['perop', case]['ir']:.0f} | {ipo[case]:.0f} | "
                          f"{ipo[case] / raw_ir:.2f} |")
        md.append("")

    # --- the stream workloads -------------------------------------------------------------------
    md += ["## 2. Bulk throughput", ""]
    for b in ("bulk-tcp", "bulk-unix"):
        if b in by_name:
            md += timed_section(by_name[b])
    md += ["With 64 KiB chunks each call moves enough data that the per-call overhead above is",
           "invisible; the spread between rounds is the machine's noise, not the libraries.", "",
           "#### With a timeout: the sender's system calls per 64 KiB", "",
           "A timed socket is `O_NONBLOCK` (docs/timeouts_and_errors.md, as CPython's), so when the",
           "kernel's send buffer fills the sender cannot sleep inside `send` as a blocking one does: the",
           "send is short, and the rest waits in `ppoll`. `sendall` waits first after a short piece",
           "(`src/socket.cpp`, `sendall_rest`) rather than trying the rest at once. `raw_nonblocking`",
           "is the least any sender on an `O_NONBLOCK` descriptor does: raw `send()`, and `poll()` only",
           "after a short send or `EAGAIN`. Counted by `bench/bulk_syscalls.py` (the section's bulk",
           "workload, 512 MiB in 64 KiB `sendall`s over a socketpair, both processes on one core, under",
           "`perf record` on the system-call tracepoints; the sender's calls, set-up included, over the",
           "chunks; the implementations alternated; medians):", ""]
    bs = bulk_syscall_medians(results)
    if bs:
        md += ["| sender | runs | `sendto` per 64 KiB | `poll`/`ppoll` per 64 KiB | sender's system calls per 64 KiB |",
               "|---|---:|---:|---:|---:|"]
        for impl in ("raw", "raw_nonblocking", "usocket", "usocket_timeout"):
            if impl in bs:
                b = bs[impl]
                md.append(f"| `{impl}` | {b['runs']} | {b['sendto']:.3f} | {b['waits']:.3f} | {b['syscalls']:.3f} |")
        md.append("")
        if bulk_ok:
            md += ["![bulk sender's system calls per 64 KiB](bench_bulk.svg)", ""]
    else:
        md += ["(Not counted in this run: perf could not record the tracepoints.)", ""]
    md += ["The target (≤ 1.05 system calls and ≥ 0.98× raw wall time) is **out of reach** for a",
           "timed socket: a full buffer costs any non-blocking sender two system calls more than a",
           "blocking one (the short send, the wait, the send of the rest), and with both processes on",
           "one core the buffer fills every four or five chunks; usocket's timed sender makes what the",
           "raw `O_NONBLOCK` one makes. Only a descriptor that blocks in the kernel (`SO_SNDTIMEO` on a",
           "blocking descriptor, set to the time left) reaches 1.00; that changes what a timed socket's",
           "descriptor is, which CPython's own test suite checks (`test_socket`'s",
           "`assert_sock_timeout`: a socket with a timeout is `O_NONBLOCK`), which the differential",
           "fuzzer compares (`tests/pyfuzz/differ.py`), and which every user of `fileno()` sees (a",
           "`select()` loop, a `dup()` shared with other code).",
           ""]
    md += ["## 3. Ping-pong latency", ""]
    if "pingpong" in by_name:
        md += timed_section(by_name["pingpong"])
    md += ["Both processes are pinned to the same core, so every round trip is two context switches on",
           "one CPU (no cross-core wake-up). With a timeout, each receive usually finds no data yet: usocket",
           "and `raw_try_first` then pay one `EAGAIN` and one `poll()`; `raw_poll_first` (CPython's pattern)",
           "polls before every call, sends included.", ""]
    md += ["## 4. Connection rate", ""]
    if "connrate" in by_name:
        md += timed_section(by_name["connrate"])
    md += ["libuv is not in this table: its connect and accept are asynchronous only, and a loop of",
           "callbacks would measure the event loop rather than the calls.", ""]
    md += ["## 5. UDP datagrams", ""]
    if "udp" in by_name:
        md += timed_section(by_name["udp"])
    md += ["Instructions and system calls per datagram (one `sendto` and one `recvfrom`):", ""]
    md += count_table(counts, "udp", "per datagram")
    md += ["usocket's `recvfrom_into` returns the sender as a `usocket::address` (128 bytes of native",
           "sockaddr storage) and `sendto` takes one; that copy and the seam call are the difference.", ""]
    md += batch_report.section(results)

    # --- readline ---------------------------------------------------------------------------------
    md += ["## 6. readline over short lines", ""]
    rl = read_text(os.path.join(results, "readline.txt"))
    rlp = read_text(os.path.join(results, "readline_cpython.txt"))
    if rl or rlp:
        md += ["Output of `bench/readline/` (`readline_bench` and `cpython_readline.py`), as printed:", ""]
        if rl:
            md += ["```", rl, "```", ""]
        if rlp:
            md += ["```", rlp, "```", ""]
        if rl and "recv_per_line=-1" in rl:
            md += ["`recv_per_line=-1`: readline_bench counts usocket's receive calls with a hook that exists",
                   "only when the library is built with fault injection, which this (production-path) build",
                   "turns off. The stream methods read in 8 KiB chunks, so about 32/8192 = 0.004 receive",
                   "calls per 32-byte line are expected, as CPython's figure shows; one byte at a time is 32.",
                   ""]
    else:
        md += ["Not measured in this run: `bench/readline/` (the readline benchmark, written separately)",
               "had not landed. `scripts/bench.sh` builds and runs it as soon as it exists.", ""]

    # --- Python -------------------------------------------------------------------------------------
    md += python_report.section(results)

    plot_echo(results, out_dir)
    md += echo_report.section(results)

    md += ["## Reproducing", "", "```", "scripts/bench.sh            # everything: about 20 minutes on 2 cores",
           "scripts/bench.sh --part echo    # only the echo servers (section 8), about 9 minutes",
           "scripts/bench.sh --part batch   # only the batched datagrams (section 5), 3 to 9 minutes",
           "scripts/bench.sh --part python  # only the Python module against CPython (section 7), about 4 minutes",
           "scripts/bench.sh --smoke    # a few iterations of each, report under build-bench-smoke/",
           "build-bench/bench/usocket_bench --rounds 9 pingpong     # one workload, JSON samples",
           "valgrind --tool=callgrind build-bench/bench/usocket_bench loop perop usocket 20000",
           "```", ""]
    with open(os.path.join(out_dir, "BENCHMARKS.md"), "w") as f:
        f.write("\n".join(md))
    print(f"report: wrote {os.path.join(out_dir, 'BENCHMARKS.md')}")


if __name__ == "__main__":
    main()
