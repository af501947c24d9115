"""The harness's own test: runs run_test_socket.py over harness_selftest_cases.py (tests that
pass, fail, error, hang, crash, skip, fail in a fixture, hang in a teardown) with
harness_selftest_skips.txt, and checks each outcome it reports, its exit status and its
report's verdicts. Run by CTest with the interpreter the module was built for."""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def run(module, only):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        proc = subprocess.run(
            [sys.executable, os.path.join(HERE, "run_test_socket.py"), "--module", module,
             "--test-module", "harness_selftest_cases",
             "--skips", os.path.join(HERE, "harness_selftest_skips.txt"),
             "--test-timeout", "2", "--budget", "120", "--json", out,
             "--log-dir", os.path.join(tmp, "logs"), *[a for k in only for a in ("-k", k)]],
            capture_output=True, text=True, timeout=300)
        with open(out, encoding="utf-8") as f:
            result = json.load(f)
    print(proc.stdout[-3000:])
    return proc, {tid: r["outcome"] for tid, r in result.items()}, result


def check(module, expected, report_lines):
    # The control leaves out the class that only the parent's time bound can end (it is slow).
    only = sorted({tid.split(".")[0] for tid in expected}) if module == "cpython" else ()
    proc, outcomes, result = run(module, only)
    problems = [f"{tid}: {outcomes.get(tid)} (expected {want})"
                for tid, want in expected.items() if outcomes.get(tid) != want]
    problems += [f"unexpected test {tid}" for tid in outcomes if tid not in expected]
    if proc.returncode != 1:
        problems.append(f"exit status {proc.returncode}, expected 1")
    problems += [f"report lacks {line!r}" for line in report_lines if line not in proc.stdout]
    if "Outcomes.test_f_crash" in result and "SEGV" not in result[
            "Outcomes.test_f_crash"]["detail"]:
        problems.append("the crash's report does not name the signal")
    if "Outcomes.test_d_hang" in result and "test_d_hang" not in result[
            "Outcomes.test_d_hang"]["detail"]:
        problems.append("the hang's report lacks the hanging test's stack")
    return [f"[{module}] {p}" for p in problems]


common = {
    "Outcomes.test_a_pass": "pass",
    "Outcomes.test_b_fail": "fail",
    "Outcomes.test_c_error": "error",
    "Outcomes.test_d_hang": "hang",
    "Outcomes.test_e_pass_after_hang": "pass",
    "Outcomes.test_f_crash": "crash",
    "Outcomes.test_g_pass_after_crash": "pass",
    "Outcomes.test_h_subtest_fail": "fail",
    "Outcomes.test_i_skip": "skip",
    "Lists.test_environment": "skip:environment",
    "FixtureError.test_never_runs": "error",
    "TeardownHang.test_ok": "hang",
}
problems = check("usocket", {
    **common,
    "Outcomes.test_j_skip_under_usocket_only": "missing",
    "Lists.test_permanent": "skip:permanent",
    "Lists.test_known_fails": "fail",
    "Lists.test_known_passes": "pass",
    "Stopped.test_stopped": "hang",
}, ["=== CRASH: Outcomes.test_f_crash", "=== HANG: Outcomes.test_d_hang",
    "=== MISSING: Outcomes.test_j_skip_under_usocket_only", "UNEXPECTED PASSES",
    "Lists.test_known_passes", "[known-failures] NoSuchClass",
    "killed by the harness at the class's time bound"])
problems += check("cpython", {
    **common,
    "Outcomes.test_j_skip_under_usocket_only": "pass",
    "Lists.test_permanent": "fail",  # the control runs CPython-internals tests
    "Lists.test_known_fails": "fail",
    "Lists.test_known_passes": "pass",
}, ["=== FAIL: Lists.test_permanent", "=== FAIL: Lists.test_known_fails"])
for p in problems:
    print("PROBLEM:", p)
print("harness self-test:", "FAILED" if problems else "OK")
sys.exit(1 if problems else 0)
