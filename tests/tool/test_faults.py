"""The servers' error paths, each provoked on purpose: descriptor exhaustion (a low
RLIMIT_NOFILE), connections that die in the accept queue and a full selector (the fault shim),
clients that reset mid-write or never read, the listen backlog, a non-blocking standard input.
What each guards: no spin (CPU time from /proc), no flooded log, memory bounded, the other
clients still served, descriptors returned."""

import errno
import fcntl
import os
import resource
import selectors
import signal
import socket
import struct
import subprocess
import time

import pytest

from conftest import (TIMEOUT, connect_nonblocking, context_switches, cpu_seconds, fault_env, fd_count,
                      is_sanitized, listening_port, status_kib, steady_fd_count, tcp_listener, wait_until)


def nofile_limit(soft):
    """preexec_fn: start the process with RLIMIT_NOFILE `soft`."""
    def apply():
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return apply


def echoed_within(clients, messages, seconds):
    """Reads from every client for up to `seconds`; the indexes whose whole message came back."""
    got = {i: b"" for i in range(len(clients))}
    done = set()
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as sel:
        for i, c in enumerate(clients):
            sel.register(c, selectors.EVENT_READ, i)
        while len(done) < len(clients):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            for key, _ in sel.select(left):
                i = key.data
                try:
                    d = key.fileobj.recv(4096)
                except (BlockingIOError, InterruptedError):
                    continue
                got[i] += d
                if not d or len(got[i]) >= len(messages[i]):
                    assert got[i] == messages[i], (i, got[i])
                    done.add(i)
                    sel.unregister(key.fileobj)
    return done


def send_all_nonblocking(c, data):
    view = memoryview(data)
    deadline = time.monotonic() + TIMEOUT
    while view:
        try:
            view = view[c.send(view):]
        except BlockingIOError:
            assert time.monotonic() < deadline
            selectors.select.select([], [c], [], 1)


def idle_cpu(pid, seconds):
    before = cpu_seconds(pid)
    time.sleep(seconds)
    return cpu_seconds(pid) - before


def fill_until_blocked(c, limit=64 << 20):
    """Sends on `c` until the peer stops taking bytes; returns how many it took."""
    c.setblocking(False)
    chunk = b"n" * (1 << 16)
    sent = 0
    stalls = 0
    while sent < limit:
        try:
            sent += c.send(chunk)
            stalls = 0
        except BlockingIOError:
            stalls += 1
            if stalls > 20:
                return sent
            time.sleep(0.01)
    return sent


# --- descriptor exhaustion ------------------------------------------------------------------

def test_echo_out_of_descriptors_neither_spins_nor_floods_its_log(usock, procs):
    """usock --echo under RLIMIT_NOFILE 64 with 100 clients: accept() fails with EMFILE while
    the listener stays readable. The server stops watching it for a moment: little CPU, one
    message a second; the clients it has are served; the ones waiting in the backlog are
    served as others leave; every descriptor comes back."""
    p = procs([usock, "--echo", "-v", "127.0.0.1", "0"], preexec_fn=nofile_limit(64))
    port = p.port()
    start_fds = steady_fd_count(p.p.pid)
    clients = connect_nonblocking(port, 100)
    try:
        messages = [f"hello from {i}\n".encode() for i in range(len(clients))]
        for c, m in zip(clients, messages):
            send_all_nonblocking(c, m)
        served = echoed_within(clients, messages, 3)
        assert 40 <= len(served) < len(clients), len(served)
        assert fd_count(p.p.pid) == 64

        p.read_err_for(0.1)  # what it said so far
        cpu_before = cpu_seconds(p.p.pid)
        log = p.read_err_for(2.0)
        cpu = cpu_seconds(p.p.pid) - cpu_before
        assert cpu < 0.3, f"{cpu:.2f} s of CPU in 2 s while out of descriptors: spinning"
        assert log.count(b"\n") <= 3, log[:500]
        assert b"accept: too many open files; new connections wait" in p.err

        # The clients it has are still served.
        first = min(served)
        clients[first].sendall(b"still here\n")
        assert echoed_within([clients[first]], [b"still here\n"], TIMEOUT) == {0}

        # Those it has leave; the waiting ones are accepted and answered.
        for i in served:
            clients[i].close()
        waiting = [i for i in range(len(clients)) if i not in served]
        done = echoed_within([clients[i] for i in waiting], [messages[i] for i in waiting], TIMEOUT)
        assert len(done) == len(waiting)
    finally:
        for c in clients:
            c.close()
    wait_until(lambda: fd_count(p.p.pid) == start_fds, what="the server's descriptors to come back")
    p.terminate()


def test_keep_open_listener_waits_out_descriptor_exhaustion(usock, procs):
    """usock -l -k with no descriptor left for the next peer: it waits (no spin, a message at
    most once a second) instead of exiting, and takes the peer once a descriptor is free."""
    # In a UBSan build the sanitizer checks a vtable the first time a virtual call meets it,
    # and that check opens a pipe: with no descriptor left it reports a false "invalid vptr".
    # So every path runs once before descriptors run out: an accept() that fails (ECONNABORTED,
    # from the fault shim) and a whole session.
    p = procs([usock, "-l", "-k", "-d", "-v", "--stats", "127.0.0.1", "0"],
              env=fault_env(f"accept4={errno.ECONNABORTED}"))
    port = p.port()
    pid = p.p.pid
    for i in range(2):
        held = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        held.sendall(b"warm\n")
        assert p.read_stdout(5) == b"warm\n"
        if i == 0:
            held.close()
            p.wait_for(rb"received 5 bytes")
    # A limit of 3 leaves no new descriptor (0, 1 and 2 are open); those it has stay usable. It
    # is lowered during a session because a blocking accept() takes its descriptor number when
    # it starts, not when a peer comes.
    _, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (3, hard))
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
        c.sendall(b"hello\n")
        c.shutdown(socket.SHUT_WR)
        held.close()  # the session ends; the next accept() finds no descriptor
        p.wait_for(rb"accept: too many open files; waiting")
        cpu_before = cpu_seconds(pid)
        log = p.read_err_for(1.5)
        cpu = cpu_seconds(pid) - cpu_before
        assert p.p.poll() is None, p.err
        assert cpu < 0.2, f"{cpu:.2f} s of CPU in 1.5 s: spinning"
        assert log.count(b"\n") <= 2, log
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (1024, hard))
        assert p.read_stdout(6) == b"hello\n"
    p.terminate()


# --- errors the fault shim makes ----------------------------------------------------------

@pytest.mark.parametrize("mode", [["--echo"], ["-l", "-d"]])
def test_a_connection_that_died_in_the_queue_is_skipped(usock, procs, mode):
    """accept() failing with ECONNABORTED or EPROTO (the connection was reset before it was
    accepted) concerns that connection only: the server takes the next one."""
    codes = f"{errno.ECONNABORTED},{errno.EPROTO},{errno.ECONNABORTED}"
    p = procs([usock, *mode, "-v", "127.0.0.1", "0"], env=fault_env(f"accept4={codes};accept={codes}"))
    port = p.port()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
        c.sendall(b"after three aborted accepts\n")
        if mode == ["--echo"]:
            assert c.recv(100) == b"after three aborted accepts\n"
        else:
            c.shutdown(socket.SHUT_WR)
            assert p.read_stdout(28) == b"after three aborted accepts\n"
    p.wait_for(rb"connection from 127.0.0.1:")
    assert b"accept: software caused connection abort" in p.err
    p.terminate()


def test_echo_pauses_accepting_when_memory_runs_out(usock, procs):
    """ENOBUFS/ENOMEM from accept(): the server pauses (10 ms, doubling) instead of retrying
    at once; eight failures in a row take it about two seconds, not a spin of microseconds."""
    codes = ",".join([str(errno.ENOBUFS), str(errno.ENOMEM)] * 4)
    p = procs([usock, "--echo", "127.0.0.1", "0"], env=fault_env(f"accept4={codes};accept={codes}"))
    # No -v: the port comes from /proc (the listener is the only TCP socket it has).
    port = listening_port(p.p.pid)
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
        c.sendall(b"ping")
        c.settimeout(0.8)
        with pytest.raises(socket.timeout):
            c.recv(10)  # still pausing: 10 + 20 + 40 + 80 + 160 + 320 ms and more
        c.settimeout(TIMEOUT)
        assert c.recv(10) == b"ping"
    log = p.terminate()[2]
    assert b"accept: no buffer space available; new connections wait\n" in log
    assert log.count(b"\n") <= 4, log


def test_echo_survives_a_full_selector(usock, procs):
    """epoll_ctl() failing with ENOSPC (the per-user limit of watched descriptors) for a new
    client: that client is closed with a message, and the server goes on."""
    p = procs([usock, "--echo", "-v", "127.0.0.1", "0"], env=fault_env(f"epoll_ctl=0,{errno.ENOSPC}"))
    port = p.port()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as refused:
        refused.sendall(b"x")
        try:
            assert refused.recv(10) == b""
        except ConnectionResetError:
            pass
    p.wait_for(rb"cannot serve 127\.0\.0\.1:\d+: no space left on device")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
        c.sendall(b"served")
        assert c.recv(10) == b"served"
    p.terminate()


# --- clients that misbehave -------------------------------------------------------------

def test_echo_drops_a_client_that_resets_mid_write(usock, procs):
    """A client fills the server's send side without reading, then resets (SO_LINGER 0): the
    server's pending write fails with ECONNRESET/EPIPE; the client is dropped, its descriptor
    closed, and nothing spins."""
    p = procs([usock, "--echo", "-v", "127.0.0.1", "0"])
    port = p.port()
    pid = p.p.pid
    start_fds = steady_fd_count(pid)
    c = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    assert fill_until_blocked(c) > 0
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    p.wait_for(rb"127\.0\.0\.1:\d+: (connection reset by peer|broken pipe) after \d+ bytes echoed")
    wait_until(lambda: fd_count(pid) == start_fds, what="the descriptor of the reset client to close")
    assert idle_cpu(pid, 1.0) < 0.1
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as d:
        d.sendall(b"next")
        assert d.recv(10) == b"next"
    p.terminate()


def test_echo_memory_stays_bounded_with_clients_that_never_read(usock, procs):
    """Fifty clients send as much as the server takes and never read. The server stops reading
    a client whose echo it cannot send (at most one 64 KiB chunk held per client), so its
    memory grows by a few MiB, not by what they push; the loop rests while they are stalled
    and the others are served."""
    p = procs([usock, "--echo", "-v", "127.0.0.1", "0"])
    port = p.port()
    pid = p.p.pid
    rss_before = status_kib(pid, "VmRSS")
    stalled = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) for _ in range(50)]
    try:
        pushed = sum(fill_until_blocked(c) for c in stalled)
        growth = status_kib(pid, "VmRSS") - rss_before
        limit = (50 * 64 + 8 * 1024) * (4 if is_sanitized(pid) else 1)
        assert growth < limit, f"RSS grew {growth} KiB with {pushed >> 10} KiB pushed by non-readers"
        assert idle_cpu(pid, 1.0) < 0.1
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as d:
            d.sendall(b"served")
            assert d.recv(10) == b"served"
    finally:
        for c in stalled:
            c.close()
    p.terminate()


def test_unix_datagram_echo_never_waits_for_a_client_that_does_not_read(usock, procs, tmp_path):
    """A Unix datagram client that never reads fills its receive queue; a send to it would
    block. The server drops that reply instead and answers the next client at once."""
    path = str(tmp_path / "echo.sock")
    p = procs([usock, "--echo", "-u", "-U", path])
    wait_until(lambda: os.path.exists(path), what="the socket file")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as mute, \
            socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as talker:
        mute.bind(str(tmp_path / "mute.sock"))
        talker.bind(str(tmp_path / "talker.sock"))
        mute.setblocking(False)
        for _ in range(300):
            try:
                mute.sendto(b"m" * 1024, path)
            except BlockingIOError:
                time.sleep(0.01)
        talker.settimeout(5)
        talker.sendto(b"are you there", path)
        assert talker.recvfrom(100)[0] == b"are you there"
    p.terminate()


# --- the listen backlog --------------------------------------------------------------------

def established(clients, seconds=1.0):
    """How many of these non-blocking connects have completed the handshake."""
    deadline = time.monotonic() + seconds
    while True:
        _, ready, _ = selectors.select.select([], clients, [], max(0.0, deadline - time.monotonic()))
        ok = [c for c in ready if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0]
        if len(ok) == len(clients) or time.monotonic() >= deadline:
            return len(ok)
        time.sleep(0.05)


@pytest.mark.parametrize("backlog", [None, 8])
def test_echo_backlog_holds_a_burst_of_connects(usock, procs, backlog):
    """With the server stopped (SIGSTOP), a burst of connects waits in the backlog: by default
    SOMAXCONN (capped by net.core.somaxconn) holds 500; --backlog 8 holds 9 of 60 (Linux queues
    backlog + 1) and the kernel holds back the others. Resumed, the server answers every client
    whose connect completed. Beyond the queue, a client may see its connect complete while the
    server's side waits for room: its handshake ends with one of its data retransmissions,
    which come together for a burst, and each round finds room for a few. 60 connects need a
    few such rounds (30 s allow seven); 500 under load needed more than 30 s."""
    with open("/proc/sys/net/core/somaxconn") as f:
        somaxconn = int(f.read())
    burst = 500 if backlog is None else 60
    args = [usock, "--echo", "-v", "127.0.0.1", "0"] + (["--backlog", str(backlog)] if backlog is not None else [])
    p = procs(args)
    port = p.port()
    p.p.send_signal(signal.SIGSTOP)
    clients = []
    try:
        clients = connect_nonblocking(port, burst)
        n = established(clients)
        if backlog is None:
            assert n == min(burst, somaxconn + 1), n
        else:
            assert n == backlog + 1, n
    finally:
        p.p.send_signal(signal.SIGCONT)
    try:
        ready = [c for c in clients if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0]
        ready = [c for c in ready if _is_connected(c)]
        for c in ready:
            send_all_nonblocking(c, b"hi")
        assert len(echoed_within(ready, [b"hi"] * len(ready), TIMEOUT)) == len(ready)
    finally:
        for c in clients:
            c.close()
    p.terminate()


def _is_connected(c):
    try:
        c.getpeername()
        return True
    except OSError:
        return False


# --- the relay -----------------------------------------------------------------------------

def test_relay_waits_on_a_non_blocking_input_without_polling(usock, procs):
    """Standard input inherited in non-blocking mode answers EAGAIN while it is silent. usock
    waits in poll() for it; it does not retry on a timer (hundreds of wake-ups a second)."""
    r, w = os.pipe()
    fcntl.fcntl(r, fcntl.F_SETFL, fcntl.fcntl(r, fcntl.F_GETFL) | os.O_NONBLOCK)
    with tcp_listener() as srv:
        p = procs([usock, "127.0.0.1", str(srv.getsockname()[1])], stdin=r)
        os.close(r)
        conn, _ = srv.accept()
        with conn, os.fdopen(w, "wb", buffering=0) as writer:
            time.sleep(0.3)
            before = context_switches(p.p.pid)
            time.sleep(1.0)
            switches = context_switches(p.p.pid) - before
            assert switches < 50, f"{switches} wake-ups in 1 s with a silent input"
            writer.write(b"typed later\n")
            conn.settimeout(TIMEOUT)
            assert conn.recv(100) == b"typed later\n"
    p.kill()


def test_relay_reports_a_peer_that_resets_mid_send(usock, tmp_path):
    """--send to a peer that reads a little and then resets (SO_LINGER 0): usock stops at once
    with one message (no hang, no SIGPIPE) and status 1. Whichever of usock's threads meets
    the reset first takes the error from the socket and the other sees a plain end of stream,
    so the run is repeated to meet both orders."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    for _ in range(8):
        with tcp_listener() as srv:
            p = subprocess.Popen([usock, "--send", str(big), "127.0.0.1", str(srv.getsockname()[1])],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            conn, _ = srv.accept()
            conn.recv(1 << 20)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            _, err = p.communicate(timeout=TIMEOUT)
        assert p.returncode == 1, err
        assert err.startswith(b"usock: "), err
        assert b"connection reset by peer" in err or b"broken pipe" in err, err
        assert err.count(b"\n") == 1, err


def test_relay_ends_normally_when_the_peer_closes_first(usock, tmp_path):
    """The other side of the rule above: a peer that says goodbye, closes its side (FIN) and
    then the whole socket while usock still sends. The sends then fail with EPIPE after the end
    of stream: the peer closed, a normal end (status 0, no message), as nc."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024))
    with tcp_listener() as srv:
        p = subprocess.Popen([usock, "--send", str(big), "127.0.0.1", str(srv.getsockname()[1])],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        conn.recv(1 << 16)
        conn.sendall(b"bye\n")
        conn.shutdown(socket.SHUT_WR)
        time.sleep(0.2)
        conn.close()
        out, err = p.communicate(timeout=TIMEOUT)
    assert (p.returncode, out, err) == (0, b"bye\n", b"")
