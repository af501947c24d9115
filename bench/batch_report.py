"""The batched-datagram part of docs/BENCHMARKS.md (a subsection of "5. UDP datagrams"), from
RESULTS_DIR/batch.json (bench/batch.cpp), batch_python.json (bench/python/batch.py) and
batch_counts.jsonl (callgrind, scripts/bench.sh's run_batch)."""

import json
import os

TITLE = "### Batched datagrams: send_many/recv_many against one call per datagram"

CPP_CASES = {
    "raw_per_call": "raw sendto()/recvfrom(), one call per datagram",
    "raw_mmsg": "raw sendmmsg()/recvmmsg()",
    "usocket_per_call": "usocket `sendto`/`recvfrom_into`, one call per datagram",
    "usocket_many": "usocket `send_many`/`recv_many`",
}
PY_CASES = {
    "cpython_per_call": "CPython `socket`: `sendto`/`recvfrom_into`, one call per datagram",
    "usocket_per_call": "usocket: `sendto`/`recvfrom_into`, one call per datagram",
    "usocket_many_into": "usocket: `send_many`/`recv_many_into`",
    "usocket_many": "usocket: `send_many`/`recv_many` (a `bytes` per datagram)",
}


def _load(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    if not text:
        return None
    if name.endswith(".jsonl"):
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return json.loads(text)


def section(results):
    cpp = _load(results, "batch.json")
    py = _load(results, "batch_python.json")
    counts = _load(results, "batch_counts.jsonl") or []
    md = [TITLE, ""]
    if not cpp and not py:
        return md + ["Not measured in this run.", ""]
    machine = os.path.join(results, "machine.txt")
    if os.path.exists(machine):
        with open(machine) as f:
            facts = dict(line.split(":", 1) for line in f if ":" in line)
        if "date" in facts and "load before" in facts:
            md += [f"*Measured {facts['date'].strip()}, commit {facts.get('commit', '?').strip()}; load average "
                   f"before the run {facts['load before'].strip()} (other work shared the cores: compare rows "
                   "within a table, not with other sections).*", ""]
    if cpp:
        md += [f"`bench/batch.cpp`: 64-byte UDP datagrams over 127.0.0.1, one thread pinned to CPU {cpp['cpu']}, "
               f"{cpp['datagrams']} datagrams per sample, bursts sent then received (the sender's address "
               f"read), median of {cpp['rounds']} rounds alternating the order; the rate ratio is the median of "
               "each round's ratio to usocket's one call per datagram.", "",
               "| variant | burst | datagrams/s | × rate of one call per datagram | system calls per datagram "
               "| thread CPU ns per datagram |",
               "|---|---:|---:|---:|---:|---:|"]
        for v in cpp["variants"]:
            sc = f"{v['syscalls_per_datagram']:.3f}" if v["syscalls_per_datagram"] >= 0 else "n/a"
            md.append(f"| {v['name']} | {v['burst']} | {v['datagrams_per_s']:,.0f} | {v['ratio']:.2f} | {sc} | "
                      f"{v['cpu_ns_per_datagram']:,.0f} |")
        md.append("")
    if py:
        meta = py["meta"]
        md += [f"`bench/python/batch.py`: the same exchange from Python {meta['python']} (`{meta['executable']}`), "
               f"bursts of {meta['burst']}, {meta['datagrams']} datagrams per sample, median of {meta['rounds']} "
               "rounds alternating the order:", "",
               "| variant | ns per datagram (send + receive) | time ÷ usocket one call per datagram |",
               "|---|---:|---:|"]
        for name, r in py["results"].items():
            md.append(f"| {PY_CASES.get(name, name)} | {r['ns_per_datagram']:,.0f} | {r['ratio_to_per_call']:.3f} |")
        md.append("")
    if counts:
        md += ["User-space instructions per datagram sent and received under callgrind (bursts of 32; the "
               "difference of two run sizes):", "",
               "| language | variant | instructions per datagram |", "|---|---|---:|"]
        for c in counts:
            names = CPP_CASES if c["lang"] == "C++" else PY_CASES
            md.append(f"| {c['lang']} | {names.get(c['case'], c['case'])} | {c['ir']:,.0f} |")
        md.append("")
    md += ["A batch pays one system call per burst instead of one per datagram; the kernel's work per",
           "datagram (most of the time on loopback) stays. In Python the batch also saves the",
           "interpreter's per-call cost: one method call, one argument parse and one GIL release per burst.",
           ""]
    return md


def check(results):
    bad = []
    cpp = _load(results, "batch.json")
    if not cpp:
        bad.append("batch: bench/batch.cpp produced nothing")
    else:
        for v in cpp["variants"]:
            if not v["datagrams_per_s"] > 0:
                bad.append(f"batch {v['name']}: {v['datagrams_per_s']}")
    counts = _load(results, "batch_counts.jsonl") or []
    if not any(c["lang"] == "C++" for c in counts):
        bad.append("batch: no C++ instruction counts")
    for c in counts:
        if not c["ir"] > 0:
            bad.append(f"batch callgrind {c['lang']}/{c['case']}: {c['ir']}")
    py = _load(results, "batch_python.json")
    if py:
        for name, r in py["results"].items():
            if not r["ns_per_datagram"] > 0:
                bad.append(f"batch python {name}: {r['ns_per_datagram']}")
    return bad


def splice(md_path, lines):
    """Replaces this subsection of an existing page, or adds it at the end of section 5."""
    text = open(md_path).read()
    body = "\n".join(lines).rstrip("\n") + "\n\n"
    start = text.find(TITLE + "\n")
    if start < 0:
        start = end = text.find("\n## 6.") + 1
    else:
        ends = [e for e in (text.find("\n## ", start), text.find("\n### ", start + len(TITLE))) if e >= 0]
        end = min(ends) + 1 if ends else len(text)
    text = text[:start] + body + text[end:]
    with open(md_path, "w") as f:
        f.write(text)
