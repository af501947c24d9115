"""Helpers for driving usock against peers it did not write: nc (netcat-openbsd), socat and
Python's socket module. Loopback only; every port is chosen by the OS (bind to 0, read back);
every subprocess and every wait has a time limit."""

import hashlib
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import time

import pytest

USOCK = os.environ.get("USOCK", "")
SOURCE_DIR = os.environ.get("USOCK_SOURCE_DIR", "")
TIMEOUT = 30  # seconds: the limit for any one subprocess or wait


@pytest.fixture(scope="session")
def usock():
    if not USOCK or not os.access(USOCK, os.X_OK):
        pytest.fail("set USOCK to the usock binary (ctest does this)")
    return USOCK


def need(program):
    """The path of a peer program; the suite fails (not skips) without it: CI installs it."""
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} is missing (Debian package listed in .ci/packages.txt)")
    return path


def md5_file(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@pytest.fixture(scope="session")
def big_file(tmp_path_factory):
    """Six MiB of random bytes (every byte value, so the copy must be binary-safe)."""
    path = tmp_path_factory.mktemp("data") / "big.bin"
    path.write_bytes(os.urandom(6 * 1024 * 1024 + 12345))
    return path


class Proc:
    """A background process whose standard error can be waited on line by line."""

    def __init__(self, args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, **kw):
        self.args = args
        self.p = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, **kw)
        self.err = b""

    def wait_for(self, pattern, timeout=TIMEOUT):
        """Reads standard error until `pattern` (bytes regex) matches; returns the match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        with selectors.DefaultSelector() as sel:
            sel.register(self.p.stderr, selectors.EVENT_READ)
            while True:
                m = rx.search(self.err)
                if m:
                    return m
                left = deadline - time.monotonic()
                if left <= 0:
                    self.kill()
                    raise AssertionError(f"{self.args}: no {pattern!r} on stderr in {timeout} s: {self.err!r}")
                if sel.select(left):
                    chunk = os.read(self.p.stderr.fileno(), 4096)
                    if not chunk:
                        m = rx.search(self.err)
                        if m:
                            return m
                        raise AssertionError(f"{self.args}: exited without {pattern!r}: {self.err!r}")
                    self.err += chunk

    def read_stdout(self, size, timeout=TIMEOUT):
        """Reads exactly `size` bytes of standard output (a pipe) within `timeout`."""
        deadline = time.monotonic() + timeout
        data = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.p.stdout, selectors.EVENT_READ)
            while len(data) < size:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    raise AssertionError(f"{self.args}: {len(data)} of {size} bytes in {timeout} s: {data!r}")
                chunk = os.read(self.p.stdout.fileno(), size - len(data))
                if not chunk:
                    raise AssertionError(f"{self.args}: output ended after {data!r}")
                data += chunk
        return data

    def port(self, timeout=TIMEOUT):
        """The port a listener printed: usock -v, nc -v or socat -d -d."""
        m = self.wait_for(rb"(?:listening on \S+:|Listening on \S+ |Bound on \S+ |listening on AF=\d+ \S+:)(\d+)",
                          timeout)
        return int(m.group(1))

    def finish(self, timeout=TIMEOUT, stdin_data=None):
        """Waits for the exit; returns (status, stdout bytes or None, all of stderr)."""
        self._forget_closed_stdin()
        try:
            out, err = self.p.communicate(stdin_data, timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.err += err or b""
        return self.p.returncode, out, self.err

    def terminate(self, timeout=TIMEOUT):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        return self.finish(timeout)

    def _forget_closed_stdin(self):
        # communicate() flushes stdin first, which fails once the test has closed it.
        if self.p.stdin is not None and self.p.stdin.closed:
            self.p.stdin = None

    def read_err_for(self, seconds):
        """Reads standard error for `seconds` (the process must not block on a full pipe
        meanwhile); returns what came in that time."""
        deadline = time.monotonic() + seconds
        got = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.p.stderr, selectors.EVENT_READ)
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                if sel.select(left):
                    chunk = os.read(self.p.stderr.fileno(), 1 << 16)
                    if not chunk:
                        break
                    got += chunk
        self.err += got
        return got

    def kill(self):
        self._forget_closed_stdin()
        if self.p.poll() is None:
            self.p.kill()
        try:
            self.p.communicate(timeout=TIMEOUT)
        except (subprocess.TimeoutExpired, ValueError):
            pass


@pytest.fixture
def procs():
    """Background processes that are killed at the end of the test whatever happens."""
    started = []

    def start(*args, **kw):
        p = Proc(*args, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        p.kill()


# --- what /proc says about a process (Linux) -------------------------------------------------

def cpu_seconds(pid):
    """User + system CPU time of the whole process (every thread), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def steady_fd_count(pid):
    """The descriptors a process keeps: the fewest of a few counts 50 ms apart (a sanitizer
    opens a pipe for a moment now and then to check an address)."""
    counts = []
    for _ in range(5):
        counts.append(fd_count(pid))
        time.sleep(0.05)
    return min(counts)


def nofile_leaving(pid, spare):
    """The RLIMIT_NOFILE that leaves process `pid` exactly `spare` more descriptors: a new
    descriptor takes the lowest free number, so holes below the highest one count."""
    used = {int(fd) for fd in os.listdir(f"/proc/{pid}/fd")}
    number = 0
    while True:
        if number not in used:
            if spare == 0:
                return number
            spare -= 1
        number += 1


def status_kib(pid, key):
    """A "kB" line of /proc/PID/status: VmRSS (resident now), VmHWM (peak resident)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


def context_switches(pid):
    """Voluntary and involuntary context switches of all the process's threads: a loop that
    wakes on a timer shows here even when it costs little CPU."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # the thread ended meanwhile
    return total


def is_sanitized(pid):
    """True when the process carries AddressSanitizer (memory figures differ then)."""
    with open(f"/proc/{pid}/maps") as f:
        return "libasan" in f.read()


def wait_until(predicate, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def listening_port(pid, timeout=TIMEOUT):
    """The port of the one listening TCP socket of process `pid` (from /proc/net/tcp)."""
    def find():
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
                if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                    return int(cols[1].split(":")[1], 16)
        return None
    found = []
    wait_until(lambda: found.append(find()) or found[-1] is not None, timeout, "a listening socket")
    return found[-1]


def fault_env(spec):
    """The environment that preloads tests/tool/fault_shim.cpp with USOCK_FAULTS=spec."""
    shim = os.environ.get("USOCK_FAULT_SHIM", "")
    if not shim or not os.path.exists(shim):
        pytest.fail("set USOCK_FAULT_SHIM to the built usock_fault_shim library (ctest does this)")
    env = dict(os.environ, LD_PRELOAD=shim, USOCK_FAULTS=spec)
    # A sanitized usock checks that its runtime comes first; the shim must come first here.
    env["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS", ""), "verify_asan_link_order=0"]))
    return env


def run(args, **kw):
    """subprocess.run with a time limit and captured output."""
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("capture_output", True)
    if "input" not in kw:
        kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run(args, **kw)


def tcp_listener(family=socket.AF_INET, host="127.0.0.1"):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    s.listen(16)
    s.settimeout(TIMEOUT)
    return s


def connect_nonblocking(port, count, host="127.0.0.1"):
    """`count` connects started at once and not waited for: they complete in the listener's
    backlog, or hang there when it is full."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    out = []
    for _ in range(count):
        c = socket.socket(family)
        c.setblocking(False)
        try:
            c.connect((host, port))
        except BlockingIOError:
            pass
        out.append(c)
    return out


def closed_port():
    """A loopback port nothing listens on (bound, then closed)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def recv_all(conn):
    chunks = []
    while True:
        d = conn.recv(1 << 16)
        if not d:
            return b"".join(chunks)
        chunks.append(d)


def assert_clean_failure(result, *words):
    """Status 1, one clear "usock: ..." message naming the problem, and no crash."""
    err = result.stderr.decode(errors="replace")
    assert result.returncode == 1, (result.returncode, err)
    assert err.startswith("usock: "), err
    for w in words:
        assert w in err, (w, err)
    for crash in ("terminate called", "Segmentation", "AddressSanitizer", "runtime error", "Aborted"):
        assert crash not in err, err
