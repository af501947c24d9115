"""Runs CPython's own Lib/test/test_socket.py against usocket (or, as a control, against
CPython's socket module) and reports the result per class.

    /usr/bin/python3 run_test_socket.py --module usocket [--skips skips.txt] [-j 2]
    /usr/bin/python3 run_test_socket.py --module cpython        (the control)

The test file is the interpreter's own (Debian: libpython3.11-testsuite, matching
/usr/bin/python3); it is imported as `test.test_socket`, never copied.

How usocket is swapped in
-------------------------
Before anything imports `socket`, each child process puts the `usocket` package itself into
sys.modules under BOTH names, `socket` and `_socket`. Then, in the test file, in
test.support.socket_helper and in every standard module imported afterwards (multiprocessing,
...), `socket.socket`, `socket.SocketType` and `_socket.socket` are one type, usocket's C++
socket (in CPython SocketType is the C type `_socket.socket` and `socket.socket` a Python
subclass of it), and socketpair, create_connection, create_server, fromfd, getaddrinfo,
makefile() and the exceptions are usocket's own: what the test file calls is usocket's code.
The other choice, usocket as `_socket` under CPython's Lib/socket.py, was rejected: socket.py
subclasses `_socket.socket` in Python and implements accept (over `_accept`), makefile (its
SocketIO over recv_into), sendfile, socketpair, fromfd (over `_socket.dup`),
create_connection and create_server itself, so the test file would exercise CPython's Python
code over a few usocket primitives instead of usocket's own implementation of them; and
usocket, a whole module, has neither `_accept` nor `dup`, so accept() and fromfd() would
fail for a reason no usocket user meets.
Modules that do not import socket (selectors over `select`, threading, signal) are untouched;
the child checks that the swap took everywhere (test_socket.socket, test_socket._socket,
socket_helper.socket) and that multiprocessing, which imports socket, still imports
(test_socket imports it under `except ImportError`, which would hide a break).

What runs where
---------------
The parent never imports socket. It lists the tests (in a child), then runs each class in
its own child process, in a fresh temporary directory (test_socket's TESTFN files land
there, so the run is safe under `ctest -j`), -j classes at a time. A child reports each
test's start and outcome on a pipe. Every test has a time bound: faulthandler's watchdog
(a C thread, so it fires even if the GIL is held) dumps every thread's stack and exits the
child; the parent reports the test that was running as a hang, with the stacks, and starts
a new child on the rest of the class. A child that dies (a signal, an AddressSanitizer
report, an abort) is reported the same way as a crash. The parent also kills a child that
outlives its class's bound, and stops starting classes when the whole run's budget is spent.

Network: test.support's resources are set to none, so tests that need the internet
(`network`) are skipped by the test file itself; everything else uses loopback.
test_sethostname renames the machine when run as root: every child runs in a private UTS
namespace (`unshare --uts`) when one can be made; as root without one, that test is skipped.

Time: 20 s per test before it is a hang (the slowest passing test takes 3 s), 240 s for the
whole run by default (about 30 s today, 45 s under ASan; CTest's limit is 300 s).

Lists (skips.txt, one reason per entry)
---------------------------------------
  [permanent]       tests of CPython's internals; not run against usocket (run by the control)
  [environment]     what this machine cannot do, for CPython as for usocket; not run
  [known-failures]  usocket behaviour that differs or is missing; run, expected to fail.
                    One that passes is an UNEXPECTED PASS and fails the run (remove it).
A test skipped by the test file under usocket is run again under CPython: if CPython runs
it (usocket lacks what the test needs, e.g. `sendmsg`), it counts as "missing", a failure
unless it is a known failure.

The run fails on: a failure, error, missing-feature skip, hang or crash of a test not in
[known-failures]; an unexpected pass; a list entry that matches no test; a spent budget.
"""

import argparse
import collections
import fnmatch
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
HANG_MARK = "Timeout ("  # faulthandler.dump_traceback_later's first line
SANITIZER_MARKS = {"AddressSanitizer": ("ERROR: AddressSanitizer", "AddressSanitizer:DEADLYSIGNAL"),
                   "UndefinedBehaviorSanitizer": (": runtime error: ",)}

# ---------------------------------------------------------------------------------------------
# The child: swap the module in, run the given tests, report on a pipe.


def swap_in(module):
    if "socket" in sys.modules or "_socket" in sys.modules:
        raise SystemExit("harness: socket was imported before the swap")
    if module == "usocket":
        import usocket
        sys.modules["socket"] = usocket
        sys.modules["_socket"] = usocket


def check_swap(module, ts):
    import socket
    from test.support import socket_helper
    if module == "usocket":
        import usocket
        for name, mod in (("test_socket.socket", ts.socket), ("test_socket._socket", ts._socket),
                          ("socket_helper.socket", socket_helper.socket)):
            if mod is not usocket:
                raise SystemExit(f"harness: {name} is {mod!r}, not usocket")
    elif socket.__file__ is None or not socket.__file__.endswith("socket.py"):
        raise SystemExit(f"harness: the control's socket is {socket!r}")
    if not ts.multiprocessing:
        raise SystemExit("harness: multiprocessing no longer imports with the swap")


def import_test_file(module, test_module):
    swap_in(module)
    from test import support
    support.use_resources = []  # no `network`: loopback only
    import importlib
    sys.path.append(HERE)  # for the harness's self-test module
    ts = importlib.import_module(test_module)
    check_swap(module, ts)
    return ts


def short_id(test):
    return test.id().removeprefix(test.__class__.__module__ + ".")


def list_tests(ts):
    import unittest
    loader = unittest.TestLoader()
    classes = {}
    for name in dir(ts):
        obj = getattr(ts, name)
        if isinstance(obj, type) and issubclass(obj, unittest.TestCase) \
                and obj.__module__ == ts.__name__:
            names = loader.getTestCaseNames(obj)
            if names:
                classes[name] = [f"{name}.{n}" for n in names]
    return classes


def child_main(args):
    import faulthandler
    import unittest
    report = os.fdopen(args.report_fd, "w", buffering=1)

    def emit(**event):
        report.write(json.dumps(event) + "\n")

    faulthandler.enable(all_threads=True)
    ts = import_test_file(args.module, args.test_module)
    if args.list:
        emit(event="list", classes=list_tests(ts))
        return
    ids = sys.stdin.read().split()
    tests = []
    for tid in ids:
        cls, meth = tid.split(".")
        tests.append(getattr(ts, cls)(meth))
    timeout = args.test_timeout

    class Recorder(unittest.TestResult):
        rank = {"pass": 0, "skip": 1, "fail": 2, "error": 3}

        def startTest(self, test):
            super().startTest(test)
            self.outcome, self.detail, self.started = "pass", "", time.monotonic()
            emit(event="start", id=short_id(test))
            faulthandler.dump_traceback_later(timeout, exit=True)

        def note(self, outcome, detail):
            if self.rank[outcome] > self.rank[self.outcome]:
                self.outcome = outcome
            if detail:
                self.detail += detail

        def addFailure(self, test, err):
            super().addFailure(test, err)
            self.note("fail", self._exc_info_to_string(err, test))

        def addError(self, test, err):
            super().addError(test, err)
            if isinstance(test, unittest.TestCase):
                self.note("error", self._exc_info_to_string(err, test))
            else:  # setUpClass, setUpModule and their cleanups
                emit(event="fixture_error", desc=str(test),
                     detail=self._exc_info_to_string(err, test))

        def addSkip(self, test, reason):
            super().addSkip(test, reason)
            if isinstance(test, unittest.TestCase):
                self.note("skip", reason)
            else:
                emit(event="fixture_error", desc=str(test), detail="skipped: " + reason)

        def addSubTest(self, test, subtest, err):
            super().addSubTest(test, subtest, err)
            if err is not None:
                kind = "fail" if issubclass(err[0], test.failureException) else "error"
                self.note(kind, f"[subtest {subtest._subDescription()}]\n"
                          + self._exc_info_to_string(err, test))

        def addUnexpectedSuccess(self, test):
            super().addUnexpectedSuccess(test)
            self.note("fail", "unexpected success of an @expectedFailure test\n")

        def stopTest(self, test):
            super().stopTest(test)
            emit(event="end", id=short_id(test), outcome=self.outcome, detail=self.detail,
                 seconds=round(time.monotonic() - self.started, 3))
            # The bound also covers the class's teardown and the next class's setup.
            faulthandler.dump_traceback_later(timeout, exit=True)

    result = Recorder()
    unittest.TestSuite(tests).run(result)
    faulthandler.cancel_dump_traceback_later()
    emit(event="done")
    report.flush()
    # Threads a failed test left blocked must not keep the child alive.
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# The parent.

class Lists:
    KINDS = ("permanent", "environment", "known-failures")

    def __init__(self, path):
        self.entries = {k: [] for k in self.KINDS}  # kind -> [(pattern, reason, line)]
        kind = None
        with open(path, encoding="utf-8") as f:
            for n, raw in enumerate(f, 1):
                line = raw.strip()
                if not line or line.startswith("#"):
                    continue
                if line.startswith("[") and line.endswith("]"):
                    kind = line[1:-1]
                    if kind not in self.KINDS:
                        raise SystemExit(f"{path}:{n}: unknown section [{kind}]")
                    continue
                pattern, sep, reason = line.partition(":")
                pattern, reason = pattern.strip(), reason.strip()
                if kind is None or not sep or not reason or " " in pattern:
                    raise SystemExit(f"{path}:{n}: expected `Class[.test]: reason` in a section")
                self.entries[kind].append((pattern, reason, n))
        self.used = set()

    def match(self, kind, tid):
        for pattern, reason, n in self.entries[kind]:
            full = pattern if "." in pattern else pattern + ".*"
            if fnmatch.fnmatchcase(tid, full):
                self.used.add((kind, n))
                return reason
        return None

    def unused(self, kinds):
        return [(k, p, n) for k in kinds for p, _, n in self.entries[k] if (k, n) not in self.used]


class Child:
    """One child process over a list of test ids; restarted after a hang or crash."""

    def __init__(self, opts, module, log_dir):
        self.opts, self.module, self.log_dir = opts, module, log_dir

    def command(self, extra=()):
        return [*self.opts.wrapper, sys.executable, os.path.abspath(__file__), "--child",
                "--module", self.module, "--test-module", self.opts.test_module,
                "--test-timeout", str(self.opts.test_timeout), *extra]

    def spawn(self, extra, stdin_text, cwd, log):
        r, w = os.pipe()
        proc = subprocess.Popen(self.command([*extra, "--report-fd", str(w)]),
                                stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                pass_fds=(w,), cwd=cwd, start_new_session=True)
        os.close(w)
        proc.stdin.write(stdin_text.encode())
        proc.stdin.close()
        return proc, r

    def read_events(self, proc, r, deadline):
        """Yields the child's events until EOF; kills it at the deadline (yields None)."""
        buf = b""
        with os.fdopen(r, "rb", buffering=0) as pipe:
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([pipe], [], [], left)[0]:
                    try:
                        os.killpg(proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    proc.wait()
                    yield None
                    return
                chunk = pipe.read(65536)
                if not chunk:
                    break
                buf += chunk
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    yield json.loads(line)
        proc.wait()

    def list(self):
        with tempfile.TemporaryDirectory(prefix="test_socket_") as cwd, \
                open(os.path.join(self.log_dir, f"{self.module}-list.log"), "w+b") as log:
            proc, r = self.spawn(["--list"], "", cwd, log)
            for ev in self.read_events(proc, r, time.monotonic() + 120):
                if ev and ev["event"] == "list":
                    return ev["classes"]
            log.seek(0)
            raise SystemExit(f"harness: listing the tests under {self.module} failed:\n"
                             + log.read().decode(errors="replace")[-4000:])

    def run(self, ids, deadline_of_run):
        """Runs ids (one class) to the end; returns {id: (outcome, detail, seconds)}."""
        results, fixture_errors = {}, []
        todo = list(ids)
        attempt, left = 0, "no result reported by unittest"
        while todo:
            attempt += 1
            bound = min(deadline_of_run, time.monotonic()
                        + self.opts.test_timeout * (len(todo) + 2) + 10)
            cls = todo[0].split(".")[0]
            log_path = os.path.join(self.log_dir, f"{self.module}-{cls}-{attempt}.log")
            with tempfile.TemporaryDirectory(prefix="test_socket_") as cwd, \
                    open(log_path, "w+b") as log:
                proc, r = self.spawn([], "\n".join(todo), cwd, log)
                running, last, done, killed = None, None, False, False
                for ev in self.read_events(proc, r, bound):
                    if ev is None:
                        killed = True
                    elif ev["event"] == "start":
                        running = ev["id"]
                    elif ev["event"] == "end":
                        results[ev["id"]] = (ev["outcome"], ev["detail"], ev["seconds"])
                        running, last = None, ev["id"]
                    elif ev["event"] == "fixture_error":
                        fixture_errors.append(f"{ev['desc']}:\n{ev['detail']}")
                    elif ev["event"] == "done":
                        done = True
                log.seek(0)
                output = log.read().decode(errors="replace")
            todo = [t for t in todo if t not in results]
            if done:
                left = "\n".join(fixture_errors) or "no result reported by unittest"
                break
            if killed and time.monotonic() >= deadline_of_run:
                left = None
                break
            where = ""
            if running is None:  # died between tests: in a fixture
                if todo:
                    running, where = todo[0], " (before it started: in a class fixture)"
                elif last:
                    running, where = last, " (after it ended: in a class or module teardown)"
                else:
                    break
            if killed:
                outcome, how = "hang", "killed by the harness at the class's time bound"
            elif HANG_MARK in output:
                outcome, how = "hang", f"no result within {self.opts.test_timeout} s"
            else:
                rc = proc.returncode
                how = (f"killed by {signal.Signals(-rc).name}" if rc < 0
                       else f"the interpreter exited with status {rc}")
                outcome = "crash"
                for tool, marks in SANITIZER_MARKS.items():
                    if any(mark in output for mark in marks):
                        how += f" ({tool} report)"
            results[running] = (outcome, f"{how}{where}; child output (tail):\n"
                                f"{output[-12000:]}", None)
            todo = [t for t in todo if t != running]
        for t in todo:
            results[t] = (("error", left, None) if left is not None
                          else ("budget", "not run: the run's time budget was spent", None))
        return results


def run_module(opts, module, ids_by_class, log_dir, deadline):
    child = Child(opts, module, log_dir)
    results = {}
    lock = threading.Lock()

    def one(cls):
        if time.monotonic() >= deadline:
            res = {t: ("budget", "not run: the run's time budget was spent", None)
                   for t in ids_by_class[cls]}
        else:
            start = time.monotonic()
            res = child.run(ids_by_class[cls], deadline)
            if opts.verbose:
                print(f"  {module} {cls}: {len(res)} tests, {time.monotonic() - start:.1f} s",
                      flush=True)
        with lock:
            results.update(res)

    with ThreadPoolExecutor(max_workers=opts.jobs) as pool:
        list(pool.map(one, [c for c in ids_by_class if ids_by_class[c]]))
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--module", choices=("usocket", "cpython"), required=True)
    ap.add_argument("--skips", default=os.path.join(HERE, "skips.txt"))
    ap.add_argument("--no-uts", dest="uts", action="store_false",
                    help="do not run the children in a private UTS namespace")
    ap.add_argument("--test-timeout", type=float, default=20.0,
                    help="seconds one test may take before it is reported as a hang")
    ap.add_argument("--budget", type=float, default=240.0,
                    help="seconds the whole run may take")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="classes run at once")
    ap.add_argument("-k", "--only", action="append", default=[],
                    help="run only tests matching this fnmatch pattern (Class or Class.test)")
    ap.add_argument("--json", help="write every test's outcome here")
    ap.add_argument("--log-dir", help="keep the children's output here")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--test-module", default="test.test_socket", help=argparse.SUPPRESS)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--list", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--report-fd", type=int, help=argparse.SUPPRESS)
    opts = ap.parse_args()
    if opts.child:
        return child_main(opts)

    start = time.monotonic()
    deadline = start + opts.budget
    lists = Lists(opts.skips)
    import importlib.util
    if importlib.util.find_spec(opts.test_module) is None:
        print(f"{opts.test_module} not found for {sys.executable}: install its test suite "
              f"(Debian: libpython{sys.version_info[0]}.{sys.version_info[1]}-testsuite)")
        return 1
    log_dir = opts.log_dir or tempfile.mkdtemp(prefix="test_socket_logs_")
    os.makedirs(log_dir, exist_ok=True)
    for old in os.listdir(log_dir):  # a previous run's
        if old.endswith(".log"):
            os.unlink(os.path.join(log_dir, old))
    usocket_run = opts.module == "usocket"
    applied = ("permanent", "environment", "known-failures") if usocket_run else ("environment",)

    # test_sethostname renames the machine when run as root: every child runs in its own UTS
    # namespace when it can be made, and the test is skipped when root cannot make one.
    opts.wrapper = []
    if opts.uts and shutil.which("unshare") and subprocess.run(
            ["unshare", "--uts", "true"], stderr=subprocess.DEVNULL).returncode == 0:
        opts.wrapper = ["unshare", "--uts", "--"]
    uts_needed = {"GeneralModuleTests.test_sethostname"} if os.geteuid() == 0 else set()

    classes = Child(opts, opts.module, log_dir).list()
    outcome = {}  # id -> (outcome, detail, seconds)
    to_run = collections.OrderedDict()
    for cls, ids in classes.items():
        to_run[cls] = []
        for tid in ids:
            if opts.only and not any(fnmatch.fnmatchcase(tid, p if "." in p else p + ".*")
                                     for p in opts.only):
                continue
            for kind in applied:
                reason = lists.match(kind, tid) if kind != "known-failures" else None
                if reason:
                    outcome[tid] = ("skip:" + kind, reason, None)
                    break
            else:
                if tid in uts_needed and not opts.wrapper:
                    outcome[tid] = ("skip:environment", "renames the machine: run as root "
                                    "and no private UTS namespace (unshare --uts) here", None)
                else:
                    to_run[cls].append(tid)
    known = {}
    if usocket_run:
        for ids in to_run.values():
            for tid in ids:
                reason = lists.match("known-failures", tid)
                if reason:
                    known[tid] = reason
    spec = importlib.util.find_spec(opts.test_module)
    print(f"{spec.origin} run by {sys.executable} {sys.version.split()[0]}")
    print(f"{opts.test_module} against {opts.module}: "
          f"{sum(len(v) for v in to_run.values())} tests to run in {len(to_run)} classes, "
          f"{len(outcome)} skipped by the lists, -j{opts.jobs}, {opts.test_timeout:g} s per "
          f"test, budget {opts.budget:g} s"
          f"{', in a private UTS namespace' if opts.wrapper else ''}; logs in {log_dir}",
          flush=True)

    outcome.update(run_module(opts, opts.module, to_run, log_dir, deadline))

    # A test the file skips under usocket only: does CPython run it?
    if usocket_run:
        skipped = collections.OrderedDict()
        for cls, ids in to_run.items():
            for tid in ids:
                if outcome[tid][0] == "skip":
                    skipped.setdefault(cls, []).append(tid)
        if skipped:
            control = run_module(opts, "cpython", skipped, log_dir, deadline)
            for tid, (oc, detail, _) in control.items():
                if oc == "pass":
                    outcome[tid] = ("missing", "skipped under usocket only: "
                                    + outcome[tid][1], outcome[tid][2])

    return report(opts, classes, outcome, known, lists, applied, start, log_dir)


BAD_OUTCOMES = ("fail", "error", "missing", "hang", "crash")


def report(opts, classes, outcome, known, lists, applied, start, log_dir):
    cols = ["run", "pass", "fail", "error", "missing", "hang", "crash", "skip:file",
            "skip:permanent", "skip:environment", "known", "unexp-pass"]
    per_class = collections.OrderedDict()
    unexpected, unexpected_pass, expected, budget = [], [], [], []
    for cls, ids in classes.items():
        row = dict.fromkeys(cols, 0)
        for tid in ids:
            if tid not in outcome:
                continue
            oc, detail, _ = outcome[tid]
            if oc == "budget":
                budget.append(tid)
                continue
            if not oc.startswith("skip:"):
                row["run"] += 1
            row["skip:file" if oc == "skip" else oc] += 1
            if tid in known:
                if oc == "pass":
                    row["unexp-pass"] += 1
                    unexpected_pass.append(tid)
                elif oc in BAD_OUTCOMES:
                    row["known"] += 1
                    expected.append((tid, oc))
            elif oc in BAD_OUTCOMES:
                unexpected.append((tid, oc, detail))
        if any(row.values()):
            per_class[cls] = row

    width = max([len(c) for c in per_class] + [10])
    heads = ["run", "pass", "fail", "err", "miss", "hang", "crash", "s:file", "s:perm",
             "s:env", "known", "unexp+"]
    print("\n" + "class".ljust(width) + " " + " ".join(h.rjust(6) for h in heads))
    totals = dict.fromkeys(cols, 0)
    for cls, row in per_class.items():
        print(cls.ljust(width) + " " + " ".join(str(row[c] or ".").rjust(6) for c in cols))
        for c in cols:
            totals[c] += row[c]
    print("TOTAL".ljust(width) + " " + " ".join(str(totals[c]).rjust(6) for c in cols))
    print("(miss: skipped by the test file under usocket only, as CPython runs it; s:file: "
          "skipped by the test file; s:perm/s:env: the skip lists; known: failures in "
          "[known-failures]; unexp+: known failures that passed)")

    skip_reasons = collections.Counter(d.strip() for oc, d, _ in outcome.values() if oc == "skip")
    if skip_reasons:
        print("\nskipped by the test file (also under CPython), by its reason:")
        for reason, n in sorted(skip_reasons.items(), key=lambda r: (-r[1], r[0])):
            print(f"  {n:4}  {reason}")

    order = {"crash": 0, "hang": 1, "error": 2, "fail": 3, "missing": 4}
    for tid, oc, detail in sorted(unexpected, key=lambda u: (order[u[1]], u[0])):
        print(f"\n=== {oc.upper()}: {tid}\n{detail.rstrip()[-8000:]}")
    if expected:
        by_kind = collections.Counter(oc for _, oc in expected)
        print(f"\nknown failures that failed as listed: {len(expected)} "
              f"({', '.join(f'{n} {k}' for k, n in sorted(by_kind.items()))})")
        for tid, oc in expected:
            if oc in ("hang", "crash"):
                print(f"  known {oc}: {tid}")
    stale = lists.unused(applied)
    if opts.only:
        stale = []
    problems = []
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected failures (" + ", ".join(
            f"{n} {k}" for k, n in collections.Counter(o for _, o, _ in unexpected).items()) + ")")
    if unexpected_pass:
        problems.append(f"{len(unexpected_pass)} UNEXPECTED PASSES")
        print("\nUNEXPECTED PASSES: these known failures now pass; remove them from "
              "[known-failures] in skips.txt:")
        for tid in unexpected_pass:
            print(f"  {tid}: {known[tid]}")
    if stale:
        problems.append(f"{len(stale)} list entries match no test")
        print("\nlist entries that match no test (remove or fix them):")
        for kind, pattern, n in stale:
            print(f"  {opts.skips}:{n} [{kind}] {pattern}")
    if budget:
        problems.append(f"{len(budget)} tests not run: the {opts.budget:g} s budget was spent")

    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as f:
            json.dump({tid: {"outcome": oc, "known": known.get(tid), "seconds": s,
                             "detail": d} for tid, (oc, d, s) in outcome.items()}, f, indent=1)
    elapsed = time.monotonic() - start
    print(f"\n{opts.module}: {totals['run']} run, {totals['pass']} passed, {totals['fail']} "
          f"failed, {totals['error']} errors, {totals['missing']} missing-feature skips, "
          f"{totals['hang']} hangs, {totals['crash']} crashes; skipped: {totals['skip:file']} "
          f"by the test file, {totals['skip:permanent']} permanent, "
          f"{totals['skip:environment']} environment; {totals['known']} known failures, "
          f"{totals['unexp-pass']} unexpected passes; {elapsed:.0f} s")
    if problems:
        print("FAILED: " + "; ".join(problems) + f" (children's output in {log_dir})")
        return 1
    if not opts.log_dir:
        shutil.rmtree(log_dir, ignore_errors=True)
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
