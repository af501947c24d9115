"""The seeds' own examples (tests/python/seed_examples/), run as scripts with
`import usocket as socket` on loopback. Each file says what was substituted: only hosts and
ports (loopback, port 0 for servers, the test server's port for clients) and the Wi-Fi driver
lines. Servers bind port 0; the test finds the port the server process listens on in /proc."""

import os
import re
import socket as cpython_socket
import subprocess
import sys
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "seed_examples")
PYTHON = os.environ.get("USOCKET_TEST_PYTHON", sys.executable)


def script(name, tmp_path, port=None):
    """The example's path; with `port`, a copy whose `PORT = ...` line names that port."""
    path = os.path.join(EXAMPLES, name)
    if port is None:
        return path
    with open(path) as f:
        text = f.read()
    text, n = re.subn(r"^PORT = \d+", "PORT = %d" % port, text, flags=re.M)
    assert n == 1, "no PORT line in " + name
    out = tmp_path / name
    out.write_text(text)
    return str(out)


def run(path, timeout=30):
    r = subprocess.run([PYTHON, path], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout


def listening_port(pid, deadline_s=10):
    """The TCP port process `pid` listens on (waits for the listen, bounded in time)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        inodes = set()
        try:
            for fd in os.listdir("/proc/%d/fd" % pid):
                try:
                    link = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                except OSError:
                    continue
                m = re.match(r"socket:\[(\d+)\]", link)
                if m:
                    inodes.add(m.group(1))
        except FileNotFoundError:
            break
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if cols[3] == "0A" and cols[9] in inodes:  # 0A: LISTEN
                        return int(cols[1].rsplit(":", 1)[1], 16)
        time.sleep(0.02)
    raise AssertionError("the server process never listened")


class Server:
    """A server example running as a process."""

    def __init__(self, path):
        self.proc = subprocess.Popen([PYTHON, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.port = listening_port(self.proc.pid)

    def finish(self, timeout=30):
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        return out

    def stop(self):
        self.proc.kill()
        self.proc.communicate(timeout=30)


def serve_once(handler):
    """A CPython listener on loopback that runs handler(conn) for one connection, in a thread."""
    listener = cpython_socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    result = {}

    def main():
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(30)
            result["value"] = handler(conn)
        listener.close()

    t = threading.Thread(target=main)
    t.start()
    return listener.getsockname()[1], t, result


def recv_all(conn):
    """Everything the peer sends until it closes."""
    data = b""
    while True:
        chunk = conn.recv(100)
        if not chunk:
            return data
        data += chunk


def test_seed000_getaddrinfo():
    out = run(script("seed000_getaddrinfo.py", None))
    assert "('127.0.0.1', 80)" in out


def test_seed000_accept_session():
    server = Server(script("seed000_accept.py", None))
    with cpython_socket.create_connection(("127.0.0.1", server.port), timeout=30) as c:
        assert c.recv(100) == b"hello! client"  # the seed sends text: UTF-8 on the wire
        c.sendall(b"0123456789")
    server.finish()


def test_seed000_client(tmp_path):
    def handler(conn):
        data = conn.recv(5)
        conn.sendall(b"hello")
        return data

    port, t, result = serve_once(handler)
    out = run(script("seed000_client.py", tmp_path, port))
    t.join(30)
    assert result["value"] == b"hello" and "b'hello'" in out


def test_seed001_client(tmp_path):
    def handler(conn):
        request = conn.recv(1024)
        conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
        return request

    port, t, result = serve_once(handler)
    out = run(script("seed001_client.py", tmp_path, port))
    t.join(30)
    assert result["value"].startswith(b"GET / HTTP/1.0") and "200 OK" in out


def test_seed001_udp():
    assert run(script("seed001_udp.py", None)).strip() == "b'datagram' True"


def test_seed002_client(tmp_path):
    port, t, result = serve_once(recv_all)
    run(script("seed002_client.py", tmp_path, port))
    t.join(30)
    assert result["value"] == b"Hello World!"


def test_seed002_accept_loop():
    server = Server(script("seed002_server.py", None))
    try:
        for _ in range(3):
            with cpython_socket.create_connection(("127.0.0.1", server.port), timeout=30) as c:
                assert recv_all(c) == b"Hello!"
        assert server.proc.poll() is None  # still looping, as the seed's `while True`
    finally:
        server.stop()


def test_seed003_echo_server_and_client(tmp_path):
    server = Server(script("seed003_echo_server.py", None))
    out = run(script("seed003_echo_client.py", tmp_path, server.port))
    assert out.strip() == "Received b'12345'"
    server_out = server.finish()
    assert re.match(r"Connected with 127\.0\.0\.1:\d+$", server_out.strip())


def test_seed003_echo_server_with_cpython_client():
    server = Server(script("seed003_echo_server.py", None))
    with cpython_socket.create_connection(("127.0.0.1", server.port), timeout=30) as c:
        for i in range(20):
            msg = b"message %d" % i
            c.sendall(msg)
            got = b""
            while len(got) < len(msg):
                got += c.recv(256)
            assert got == msg
    server.finish()


def test_seed004_api():
    lines = run(script("seed004_api.py", None)).splitlines()
    assert lines == [
        "True True",
        "('127.0.0.1', 80)",
        "None",
        "b'via fromfd'",
        "0",
        "True True",
        "non-blocking: BlockingIOError",
        "0.5",
        "b'sendall'",
        "4 b'into'",
        "b''",
        "True True 0",
    ]
