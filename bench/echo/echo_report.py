"""The echo-server section of docs/BENCHMARKS.md, from RESULTS_DIR/echo.jsonl (bench/echo/echo_bench.py).

Used by bench/report.py: section(results) gives the Markdown lines, check(results) the smoke
pass's complaints. Standard library only.
"""

import json
import os
import statistics

TITLE = "## 8. Echo servers"
NAMES = {"raw": "raw epoll (C++, system calls only)",
         "floor": "raw epoll with close-safe compiled calls (the floor of a library's)",
         "floor_selector": "the same floor on usocket::selector", "asio": "Asio 1.22 (its echo example)",
         "libuv": "libuv 1.44", "selector": "usocket::selector (examples/select_server)",
         "usock": "`usock --echo`"}
ORDER = ["raw", "floor", "floor_selector", "libuv", "asio", "selector", "usock"]
SHOWN_CALLS = ["read", "recvfrom", "recvmsg", "readv", "write", "sendto", "sendmsg", "writev", "epoll_wait",
               "epoll_pwait", "epoll_ctl", "accept4", "close", "clock_gettime", "fcntl", "ioctl", "getsockopt",
               "setsockopt", "getpeername", "getsockname"]


def records(results):
    path = os.path.join(results, "echo.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _f(v, digits=2):
    return "—" if v is None else f"{v:.{digits}f}"


def _servers(recs, params):
    seen = {r["server"] for r in recs if "server" in r}
    names = params.get("servers", []) if params else []
    return sorted(set(names) | seen, key=lambda s: ORDER.index(s) if s in ORDER else len(ORDER))


def figures(recs, server, conns):
    """Medians over repetitions for one server at N connections (None where not measured)."""
    runs = [r for r in recs if r.get("kind") == "run" and r["server"] == server and r["conns"] == conns]
    if not runs:
        return None
    big = max(r["rounds"] for r in runs)
    large = [r for r in runs if r["rounds"] == big]
    small = [r for r in runs if r["rounds"] != big]
    per_msg = _median([r["syscalls"] / r["messages"] for r in large])
    marginal = None
    if small:
        pairs = [(s, l) for s in small for l in large if s.get("rep") == l.get("rep")]
        marginal = _median([(l["syscalls"] - s["syscalls"]) / (l["messages"] - s["messages"]) for s, l in pairs])
    kb = 1024 / conns
    idle = _median([(r["rss_idle_kb"] - r["rss0_kb"]) * kb for r in runs if r["rss_idle_kb"] >= 0])
    after = _median([(r["rss_after_kb"] - r["rss0_kb"]) * kb for r in runs if r["rss_after_kb"] >= 0])
    calls = {}
    for name in SHOWN_CALLS:
        v = _median([r["by_call"].get(name, 0) / r["messages"] for r in large])
        if v and v >= 0.005:
            calls[name] = v
    cg = [r for r in recs if r.get("kind") == "callgrind" and r["server"] == server and r["conns"] == conns]
    return {"syscalls": per_msg, "marginal": marginal, "idle_b": idle, "after_b": after,
            "msgs_per_s": _median([r["msgs_per_s"] for r in large]), "calls": calls,
            "ir": cg[-1]["ir_per_msg"] if cg else None, "rounds": big, "reps": len(large),
            "counter": runs[0].get("counter", "perf"), "rss0_kb": _median([r["rss0_kb"] for r in runs])}


def section(results):
    recs = records(results)
    md = [TITLE, ""]
    if not recs:
        return md + ["Not measured in this run (`scripts/bench.sh --part echo` runs it).", ""]
    params = next((r for r in recs if r.get("kind") == "params"), {})
    servers = _servers(recs, params)
    conns_list = sorted({r["conns"] for r in recs if r.get("kind") == "run"})
    counter = params.get("counter", "perf")
    md += ["One load generator (`bench/echo/echo_load.cpp`, one thread on epoll) opens N TCP connections",
           "on loopback in batches of 250, then every connection does ping-pong with 64-byte messages",
           "(one in flight per connection, each echo checked byte for byte) for M rounds, then closes.",
           f"The server is pinned to CPU {params.get('cpu_server', 0)}, the generator to CPU "
           f"{params.get('cpu_load', 1)}; servers run one at a time, in a different order in each of the "
           f"{params.get('reps', '?')} repetitions (medians shown). The servers:", ""]
    for s in servers:
        md.append(f"- **{s}**: {NAMES.get(s, s)}")
    md += ["",
           "- raw: `bench/echo/echo_raw.cpp`, level-triggered epoll, one `read` of up to 64 KiB and one",
           "  `write` per readable event, no per-client state in user space.",
           "- floor: `bench/echo/echo_floor.cpp`, the raw server with its two calls made through the",
           "  least a compiled library can do and keep a call racing `close()` off a reused descriptor",
           "  (`bench/guard_floor.hpp`: a use count around `recv`/`send`, out of line); the epoll event",
           "  carries the client, so there is no lookup. floor_selector: the same on `usocket::selector`",
           "  (the portable readiness API `usock --echo` stands on), the client's address as the token.",
           "- Asio: `bench/echo/echo_asio.cpp`, Asio's own `async_tcp_echo_server` example (a",
           "  `shared_ptr` session with a 1024-byte buffer, `async_read_some` then `async_write`), one thread.",
           "- libuv: `bench/echo/echo_uv.cpp`, one shared 64 KiB read buffer, `uv_try_write`, a queued",
           "  `uv_write` only for what the kernel did not take.",
           "- selector: `examples/select_server/select_server.cpp` compiled unchanged (bench/echo/).",
           "- usock: `tools/usock --echo --backlog 4096`, the library built as a user installs it",
           "  (Release, tests and fault-injection hooks off).", "",
           "Columns: **system calls per message** are the server's, counted while the generator ran "
           f"({'perf stat on `raw_syscalls:sys_enter`, attached to the listening server' if counter == 'perf' else 'strace -c -f -p on the listening server'}),"
           " set-up and close included, divided by all messages; **marginal** is the same from the",
           "difference between a run of M/5 and of M rounds (connection set-up and close cancel out).",
           "**Instructions per message** are user-space instructions of the server under",
           "`valgrind --tool=callgrind`, the difference of two run sizes "
           f"({params.get('cg_messages', ['?', '?'])[0]} and {params.get('cg_messages', ['?', '?'])[1]} messages) "
           "divided by the difference in messages.",
           "**Resident bytes per idle connection**: the server's VmRSS with N clients connected that have",
           "sent nothing, minus with none, over N; **after talking**: the same once every client has",
           "exchanged its messages and is idle again (read-ahead or per-client buffers show here). Kernel",
           "socket memory is in neither. **msg/s** is informative only: two cores cap it and it drifts",
           "between runs (see the caveats at the top of this page).", ""]
    machine = os.path.join(results, "machine.txt")
    if os.path.exists(machine):
        with open(machine) as f:
            kept = [line.rstrip() for line in f if line.split(":")[0] in ("CPU", "kernel", "date", "commit",
                                                                          "load before", "load after")]
        md += ["This run (other work shared the two cores; the counts do not depend on it, msg/s does):", "",
               "```", *kept, "```", ""]
    # What the library's two calls (error-code forms, as usock's) cost above the floor's, per
    # send+recv pair (section 1's counts, when this run made them).
    pair_extra = None
    counts = os.path.join(results, "counts.jsonl")
    if os.path.exists(counts):
        with open(counts) as f:
            ir = {c["case"]: c["ir"] for c in (json.loads(line) for line in f if line.strip())
                  if c.get("kind") == "perop"}
        if "usocket_ec" in ir and "floor_compiled" in ir:
            pair_extra = ir["usocket_ec"] - ir["floor_compiled"]
    md += targets(recs, conns_list, pair_extra)
    md += ["![echo servers: instructions per message](bench_echo.svg)", ""]
    for conns in conns_list:
        rounds = max(r["rounds"] for r in recs if r.get("kind") == "run" and r["conns"] == conns)
        md += [f"### {conns} connections ({rounds} rounds, {conns * rounds} messages per measured run)", "",
               "| server | system calls / message | marginal | user-space instructions / message | "
               "RSS bytes / idle connection | after talking | msg/s |",
               "|---|---:|---:|---:|---:|---:|---:|"]
        for s in servers:
            f = figures(recs, s, conns)
            if f is None:
                md.append(f"| {s} | not measured | | | | | |")
                continue
            md.append(f"| {s} | {_f(f['syscalls'])} | {_f(f['marginal'])} | {_f(f['ir'], 0)} | "
                      f"{_f(f['idle_b'], 0)} | {_f(f['after_b'], 0)} | {_f(f['msgs_per_s'], 0)} |")
        md += ["", "System calls per message by call (the M-round run):", "",
               "| server | calls |", "|---|---|"]
        for s in servers:
            f = figures(recs, s, conns)
            if f:
                md.append(f"| {s} | " + ", ".join(f"`{k}` {v:.2f}" for k, v in
                                                    sorted(f["calls"].items(), key=lambda kv: -kv[1])) + " |")
        md.append("")
    for c in (r for r in recs if r.get("kind") == "capped"):
        md += [f"RLIMIT_NOFILE's hard limit was {c['nofile_hard']}: {c['conns']} connections were measured "
               f"instead of {c['wanted']}.", ""]
    for r in recs:
        if r.get("kind") == "incomplete":
            md += [f"**Incomplete**: the run stopped at its {r['reason']}; what is missing was not measured.", ""]
    annotated = [r for r in recs if r.get("kind") == "annotate" and not r["inclusive"]]
    for a in annotated:
        md += [f"### Where {NAMES.get(a['server'], a['server'])} spends its instructions, {a['conns']} connections",
               "", "`callgrind_annotate --inclusive=no`, per message (the difference of the two run sizes), "
               "functions of 0.5 instructions or more:", "",
               "| instructions / message | function |", "|---:|---|"]
        for func, v in a["rows"][:25]:
            md.append(f"| {v:.1f} | `{func}` |")
        md.append("")
    md += ["Reproduce: `scripts/bench.sh --part echo` (this section only, about 9 minutes), or by hand:", "",
           "```",
           "build-bench/tools/usock --echo --backlog 4096 127.0.0.1 7007 &",
           "build-bench/bench/echo/echo_load --port 7007 --conns 1000 --rounds 200 --pid $!",
           "/usr/bin/python3 bench/echo/echo_bench.py --bin build-bench/bench/echo \\",
           "    --usock build-bench/tools/usock --out /tmp/echo --conns 1000 --reps 1",
           "```", ""]
    return md


def targets(recs, conns_list, pair_extra=None):
    """usock --echo against the targets of the hot-path work, with the raw server beside it."""
    if "usock" not in {r.get("server") for r in recs} or not conns_list:
        return []
    small = min(conns_list)
    u, raw = figures(recs, "usock", small), figures(recs, "raw", small)
    fl = figures(recs, "floor_selector", small)
    if u is None:
        return []
    md = ["| `usock --echo`, " + f"{small} connections | target | measured | raw epoll | floor on usocket::selector | met? |",
          "|---|---|---:|---:|---:|---|"]
    for what, key, target in (("system calls per message", "syscalls", 2.05),
                              ("user-space instructions per message", "ir", 100)):
        v, r, f = u[key], raw[key] if raw else None, fl[key] if fl else None
        met = "—" if v is None else ("yes" if v <= target else "**no**")
        md.append(f"| {what} | ≤ {target:g} | {_f(v, 2 if key == 'syscalls' else 0)} | "
                  f"{_f(r, 2 if key == 'syscalls' else 0)} | {_f(f, 2 if key == 'syscalls' else 0)} | {met} |")
    md.append("")
    f0 = figures(recs, "floor", small)
    if fl and fl["ir"] is not None and f0 and f0["ir"] is not None and raw and raw["ir"] is not None:
        md += [f"The floors (`bench/echo/echo_floor.cpp`): the raw server with its two calls made the least way",
               f"a compiled library can and keep a call racing `close()` off a reused descriptor costs",
               f"{f0['ir']:.0f} instructions a message ({raw['ir']:.0f} raw); on `usocket::selector`, the",
               f"portable readiness API `usock --echo` stands on, {fl['ir']:.0f}. "
               + (f"That leaves {max(0, 100 - fl['ir']):.0f} instructions a message under the target for"
                  " what every real server adds to it: finding the client from its token (with a check"
                  " that the token is not a closed client's), the calls' argument checks and error"
                  " reports (section 1: the library's two calls are "
                  + (f"{pair_extra:.0f} instructions above the floor's" if pair_extra is not None else
                     "above the floor's") + "), and the server's own state."), ""]
    return md


def instruction_rows(results):
    """The plot's data: titles (one per N) and (server, instructions per message at each N)."""
    recs = records(results)
    params = next((r for r in recs if r.get("kind") == "params"), {})
    conns_list = sorted({r["conns"] for r in recs if r.get("kind") == "callgrind"})
    rows = []
    for s in _servers(recs, params):
        figs = [figures(recs, s, n) for n in conns_list]
        rows.append((s, [f["ir"] if f else None for f in figs]))
    return [f"{n} connections" for n in conns_list], rows if conns_list else []


def check(results):
    """Complaints of the smoke pass: every server measured, every figure a positive number."""
    recs = records(results)
    if not recs:
        return ["echo: no echo.jsonl"]
    params = next((r for r in recs if r.get("kind") == "params"), {})
    bad = []
    for s in params.get("servers", []):
        conns_list = sorted({r["conns"] for r in recs if r.get("kind") == "run"}) or [None]
        for conns in conns_list:
            f = figures(recs, s, conns) if conns else None
            if f is None:
                bad.append(f"echo {s}: no run")
                continue
            for key in ("syscalls", "ir", "msgs_per_s"):
                if not (f[key] or 0) > 0:
                    bad.append(f"echo {s} N={conns}: {key} {f[key]}")
            if f["idle_b"] is None or not f["rss0_kb"] > 0:
                bad.append(f"echo {s} N={conns}: resident size not read")
    if not params.get("servers"):
        bad.append("echo: no server was built")
    bad += [f"echo: {r['reason']}" for r in recs if r.get("kind") == "incomplete"]
    return bad


def splice(md_path, lines, title=TITLE):
    """Replaces the section `title` of an existing page (or adds it before "## Reproducing")."""
    text = open(md_path).read() if os.path.exists(md_path) else "# Benchmarks\n\n## Reproducing\n"
    body = "\n".join(lines).rstrip("\n") + "\n\n"
    start = text.find(title + "\n")
    if start >= 0:
        end = text.find("\n## ", start + len(title))
        text = text[:start] + body + (text[end + 1:] if end >= 0 else "")
    else:
        at = text.find("## Reproducing")
        text = text[:at] + body + text[at:] if at >= 0 else text.rstrip("\n") + "\n\n" + body
    with open(md_path, "w") as f:
        f.write(text)
