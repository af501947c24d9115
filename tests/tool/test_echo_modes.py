"""--echo with many clients at once, -k, -z, -q, -w, --send/--recv, --stats and the
progress bar."""

import os
import pty
import re
import socket
import subprocess
import threading
import time

from conftest import TIMEOUT, closed_port, connect_nonblocking, md5_file, need, recv_all, run, tcp_listener


def test_echo_serves_many_clients_at_once(usock, procs):
    p = procs([usock, "--echo", "-v", "127.0.0.1", "0"])
    port = p.port()
    clients = [socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) for _ in range(20)]
    try:
        # Every client is connected before any is served to the end: a server that took one
        # client at a time would never answer the second.
        for round_ in range(3):
            for i, c in enumerate(clients):
                c.sendall(f"client {i} round {round_}\n".encode())
            for i, c in enumerate(clients):
                want = f"client {i} round {round_}\n".encode()
                got = b""
                while len(got) < len(want):
                    d = c.recv(100)
                    assert d, "echo server closed early"
                    got += d
                assert got == want
        payload = os.urandom(6 * 1024 * 1024)  # more than the socket buffers hold: back-pressure
        c = clients[0]
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("back", recv_all(c)))
        t.start()
        c.sendall(payload)
        c.shutdown(socket.SHUT_WR)
        t.join(TIMEOUT)
        assert result["back"] == payload
    finally:
        for c in clients:
            c.close()
    p.wait_for(rb"bytes echoed")
    p.terminate()


def test_echo_closes_idle_clients_with_wait(usock, procs):
    p = procs([usock, "--echo", "-v", "-w", "1", "127.0.0.1", "0"])
    port = p.port()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as idle, \
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as busy:
        start = time.monotonic()
        for _ in range(6):  # busy talks every 0.3 s and stays open
            busy.sendall(b"x")
            assert busy.recv(10) == b"x"
            time.sleep(0.3)
        assert idle.recv(10) == b""  # closed by the server
        elapsed = time.monotonic() - start
        busy.sendall(b"still here")
        assert busy.recv(100) == b"still here"
    assert 0.8 <= elapsed <= 6, elapsed
    p.wait_for(rb"idle, closed after 0 bytes echoed")


def test_echo_with_nc_client(usock, procs):
    nc = need("nc")
    p = procs([usock, "--echo", "-v", "127.0.0.1", "0"])
    r = run([nc, "-N", "127.0.0.1", str(p.port())], input=b"through nc\n")
    assert r.stdout == b"through nc\n"
    p.terminate()


def test_echo_on_unix_socket(usock, procs, tmp_path):
    path = str(tmp_path / "echo.sock")
    p = procs([usock, "--echo", "-v", "-U", path])
    p.wait_for(rb"listening on")
    r = run([usock, "-U", path], input=b"unix echo\n")
    assert (r.returncode, r.stdout) == (0, b"unix echo\n"), r.stderr
    p.terminate()
    assert not os.path.exists(path)


def test_keep_open_serves_clients_one_after_another(usock, procs):
    p = procs([usock, "-l", "-k", "-d", "-v", "--stats", "127.0.0.1", "0"])
    port = p.port()
    for i in range(3):
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
            c.sendall(f"client {i}\n".encode())
        # --stats prints a line at the end of each session.
        p.wait_for(rb"(?s)(received 9 bytes.*){%d}" % (i + 1))
    _, out, err = p.terminate()
    assert out == b"client 0\nclient 1\nclient 2\n"
    assert err.count(b"connection from 127.0.0.1:") == 3


def test_zero_io_reports_open_and_closed_ports(usock):
    with tcp_listener() as srv:
        r = run([usock, "-z", "-v", "127.0.0.1", str(srv.getsockname()[1])])
        assert r.returncode == 0, r.stderr
        assert b"connected to 127.0.0.1:" in r.stderr
    r = run([usock, "-z", "127.0.0.1", str(closed_port())])
    assert r.returncode == 1
    assert b"connection refused" in r.stderr


def test_quit_after_end_of_input(usock):
    """-q 0.5: the peer never closes; usock quits half a second after its input ended."""
    with tcp_listener() as srv:
        start = time.monotonic()
        p = subprocess.Popen([usock, "-q", "0.5", "127.0.0.1", str(srv.getsockname()[1])],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        with conn:
            out, err = p.communicate(timeout=TIMEOUT)
            elapsed = time.monotonic() - start
    assert p.returncode == 0, err
    assert 0.4 <= elapsed <= 5, elapsed


def test_quit_zero_quits_at_once_and_default_waits(usock):
    with tcp_listener() as srv:
        port = str(srv.getsockname()[1])
        start = time.monotonic()
        r = run([usock, "-q", "0", "127.0.0.1", port], input=b"bye\n")
        conn, _ = srv.accept()
        with conn:
            assert recv_all(conn) == b"bye\n"
        assert r.returncode == 0
        assert time.monotonic() - start < 3
        # Without -q, usock waits for the peer to close.
        p = subprocess.Popen([usock, "127.0.0.1", port], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        try:
            p.wait(timeout=1.0)
            waited = False
        except subprocess.TimeoutExpired:
            waited = True
        conn.sendall(b"closing\n")
        conn.close()
        out, _ = p.communicate(timeout=TIMEOUT)
    assert waited, "usock ended before the peer closed"
    assert (p.returncode, out) == (0, b"closing\n")


def test_wait_closes_an_idle_connection(usock):
    with tcp_listener() as srv:
        start = time.monotonic()
        p = subprocess.Popen([usock, "-w", "1", "127.0.0.1", str(srv.getsockname()[1])], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        with conn:
            try:
                p.wait(timeout=TIMEOUT)  # the input stays open: only -w can end usock
            finally:
                elapsed = time.monotonic() - start
                p.communicate(timeout=TIMEOUT)
    assert p.returncode == 0
    assert 0.8 <= elapsed <= 6, elapsed


def test_wait_ends_a_send_the_peer_never_reads(usock, tmp_path):
    """--send of a file larger than the socket buffers to a peer that never reads: -w ends it
    once nothing has moved for a second."""
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(32 * 1024 * 1024))
    with tcp_listener() as srv:
        start = time.monotonic()
        p = subprocess.Popen([usock, "-w", "1", "--send", str(big), "127.0.0.1", str(srv.getsockname()[1])],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        conn, _ = srv.accept()
        with conn:
            _, err = p.communicate(timeout=TIMEOUT)
        elapsed = time.monotonic() - start
    assert p.returncode == 0, err
    assert 0.8 <= elapsed <= 8, elapsed


def test_wait_bounds_a_connect_that_hangs(usock):
    """A listener whose backlog is full drops new SYNs: connect hangs until -w expires."""
    with tcp_listener() as srv:
        srv.listen(0)
        port = srv.getsockname()[1]
        fill = connect_nonblocking(port, 8)
        time.sleep(0.2)
        start = time.monotonic()
        r = run([usock, "-w", "1", "127.0.0.1", str(port)])
        elapsed = time.monotonic() - start
        for c in fill:
            c.close()
    assert r.returncode == 1
    assert r.stderr == f"usock: cannot connect to 127.0.0.1:{port}: connection timed out\n".encode()
    assert 0.8 <= elapsed <= 6, elapsed


def test_send_file_to_each_client_with_keep_open(usock, procs, tmp_path):
    data = os.urandom(300 * 1024)
    (tmp_path / "f.bin").write_bytes(data)
    p = procs([usock, "-l", "-k", "-v", "--send", str(tmp_path / "f.bin"), "127.0.0.1", "0"])
    port = p.port()
    for _ in range(2):
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
            assert recv_all(c) == data
    p.terminate()


def test_progress_bar_on_a_terminal(usock, procs, big_file, tmp_path):
    """With --send and standard error on a terminal: a progress bar with the percentage and
    the rate; not on a pipe."""
    out = tmp_path / "out.bin"
    p = procs([usock, "-l", "-v", "--recv", str(out), "127.0.0.1", "0"])
    port = p.port()
    master, slave = pty.openpty()
    try:
        s = subprocess.run([usock, "--send", str(big_file), "127.0.0.1", str(port)], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=slave, timeout=TIMEOUT)
        os.close(slave)
        text = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            text += chunk
    finally:
        os.close(master)
    assert s.returncode == 0
    assert re.search(rb"\[#+\] 100% sent 6\.0 MiB of 6\.0 MiB [0-9.]+ [KMG]?i?B/s", text), text
    status, _, err = p.finish()
    assert status == 0
    assert b"\r" not in err and b"%" not in err, "no progress bar on a pipe"
    assert md5_file(out) == md5_file(big_file)
