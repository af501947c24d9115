"""TCP: files of several MiB each way against nc, socat and Python, byte-identical;
half-close in both directions; both directions at once."""

import hashlib
import shutil
import socket
import subprocess
import threading
import time

import pytest

from conftest import TIMEOUT, connect_nonblocking, md5_file, need, recv_all, run, tcp_listener


def listen_usock(procs, usock, out_path, *extra):
    """usock -l on a free loopback port, writing what it receives to out_path."""
    out = open(out_path, "wb")
    p = procs([usock, "-l", "-v", *extra, "127.0.0.1", "0"], stdout=out)
    out.close()
    return p, p.port()


# --- usock receives ---------------------------------------------------------------------------

def test_nc_sends_file_to_usock(usock, procs, big_file, tmp_path):
    nc = need("nc")
    p, port = listen_usock(procs, usock, tmp_path / "out.bin")
    r = run([nc, "-N", "127.0.0.1", str(port)], stdin=open(big_file, "rb"))
    assert r.returncode == 0, r.stderr
    status, _, err = p.finish()
    assert status == 0, err
    assert b"connection from 127.0.0.1:" in err
    assert md5_file(tmp_path / "out.bin") == md5_file(big_file)


def test_socat_sends_file_to_usock(usock, procs, big_file, tmp_path):
    socat = need("socat")
    p, port = listen_usock(procs, usock, tmp_path / "out.bin")
    r = run([socat, "-u", f"FILE:{big_file}", f"TCP:127.0.0.1:{port}"])
    assert r.returncode == 0, r.stderr
    status, _, err = p.finish()
    assert status == 0, err
    assert md5_file(tmp_path / "out.bin") == md5_file(big_file)


def test_python_sends_file_to_usock_recv(usock, procs, big_file, tmp_path):
    out = tmp_path / "out.bin"
    p = procs([usock, "-l", "-v", "--recv", str(out), "--stats", "127.0.0.1", "0"])
    with socket.create_connection(("127.0.0.1", p.port()), timeout=TIMEOUT) as c:
        c.sendall(big_file.read_bytes())
    status, stdout, err = p.finish()
    assert status == 0, err
    assert stdout == b""
    assert md5_file(out) == md5_file(big_file)
    size = big_file.stat().st_size
    assert f"sent 0 bytes, received {size} bytes in ".encode() in err


# --- usock sends ------------------------------------------------------------------------------

def test_usock_sends_file_to_nc(usock, procs, big_file, tmp_path):
    nc = need("nc")
    out = open(tmp_path / "out.bin", "wb")
    peer = procs([nc, "-lv", "127.0.0.1", "0"], stdout=out)
    out.close()
    port = peer.port()
    r = run([usock, "127.0.0.1", str(port)], stdin=open(big_file, "rb"))
    assert r.returncode == 0, r.stderr
    status, _, err = peer.finish()
    assert status == 0, err
    assert md5_file(tmp_path / "out.bin") == md5_file(big_file)


def test_usock_sends_file_to_socat(usock, procs, big_file, tmp_path):
    socat = need("socat")
    out = tmp_path / "out.bin"
    peer = procs([socat, "-d", "-d", "-u", "TCP-LISTEN:0,bind=127.0.0.1", f"CREATE:{out}"])
    port = peer.port()
    r = run([usock, "--send", str(big_file), "127.0.0.1", str(port)])
    assert r.returncode == 0, r.stderr
    status, _, err = peer.finish()
    assert status == 0, err
    assert md5_file(out) == md5_file(big_file)


def test_python_server_sends_file_to_usock(usock, big_file, tmp_path):
    data = big_file.read_bytes()
    with tcp_listener() as srv:
        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.sendall(data)
        t = threading.Thread(target=serve)
        t.start()
        r = run([usock, "127.0.0.1", str(srv.getsockname()[1])], stdout=open(tmp_path / "out.bin", "wb"),
                capture_output=False, stderr=subprocess.PIPE)
        t.join(TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert md5_file(tmp_path / "out.bin") == hashlib.md5(data).hexdigest()


def test_both_directions_at_once(usock, big_file, tmp_path):
    """An echo peer that sends back as it reads: usock must read while it writes, or both
    sides fill their buffers and stop."""
    with tcp_listener() as srv:
        def serve():
            conn, _ = srv.accept()
            with conn:
                while True:
                    d = conn.recv(1 << 16)
                    if not d:
                        break
                    conn.sendall(d)
        t = threading.Thread(target=serve)
        t.start()
        r = run([usock, "127.0.0.1", str(srv.getsockname()[1])], stdin=open(big_file, "rb"),
                stdout=open(tmp_path / "back.bin", "wb"), capture_output=False, stderr=subprocess.PIPE)
        t.join(TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert md5_file(tmp_path / "back.bin") == md5_file(big_file)


# --- half-close -------------------------------------------------------------------------------

def test_half_close_at_end_of_input(usock, big_file):
    """At the end of its input usock shuts down its sending side and still receives: the
    peer reads to EOF, then answers with the checksum of what it got."""
    with tcp_listener() as srv:
        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.sendall(hashlib.md5(recv_all(conn)).hexdigest().encode() + b"\n")
        t = threading.Thread(target=serve)
        t.start()
        r = run([usock, "127.0.0.1", str(srv.getsockname()[1])], stdin=open(big_file, "rb"))
        t.join(TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stdout == md5_file(big_file).encode() + b"\n"


def test_peer_half_close_then_usock_keeps_sending(usock, big_file):
    """The peer sends a greeting and shuts down its side first; usock must go on sending
    all of its input (as nc does) and exit 0."""
    got = {}
    with tcp_listener() as srv:
        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.sendall(b"hello\n")
                conn.shutdown(socket.SHUT_WR)
                got["md5"] = hashlib.md5(recv_all(conn)).hexdigest()
        t = threading.Thread(target=serve)
        t.start()
        r = run([usock, "127.0.0.1", str(srv.getsockname()[1])], stdin=open(big_file, "rb"))
        t.join(TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"hello\n"
    assert got["md5"] == md5_file(big_file)


def test_listening_usock_half_closes_too(usock, procs):
    """usock -l: its input ends, it shuts down writing, and the client sees EOF while it can
    still send an answer back."""
    p = procs([usock, "-l", "-v", "127.0.0.1", "0"], stdin=subprocess.PIPE)
    port = p.port()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as c:
        p.p.stdin.write(b"question\n")
        p.p.stdin.close()
        assert recv_all(c) == b"question\n"  # EOF arrived: usock half-closed
        c.sendall(b"answer\n")
    status, out, err = p.finish()
    assert status == 0, err
    assert out == b"answer\n"


def test_no_shutdown_keeps_sending_side_open(usock):
    with tcp_listener() as srv:
        result = {}

        def serve():
            conn, _ = srv.accept()
            with conn:
                conn.settimeout(1.0)
                data = b""
                try:
                    while True:
                        d = conn.recv(100)
                        if not d:
                            result["eof"] = True
                            break
                        data += d
                except socket.timeout:
                    result["eof"] = False
                result["data"] = data
        t = threading.Thread(target=serve)
        t.start()
        r = run([usock, "--no-shutdown", "-q", "3", "127.0.0.1", str(srv.getsockname()[1])], input=b"x")
        t.join(TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert result == {"eof": False, "data": b"x"}


# --- connecting to a name with several addresses ----------------------------------------------

DUAL = "usock-dual.test"


def with_dual_name(tmp_path, args):
    """`args` run with /etc/hosts replaced, in a mount namespace of their own (unshare -m), by
    one that names DUAL as both ::1 and 127.0.0.1; the test is skipped where that is not
    allowed. Both resolvers usock uses sort them by RFC 6724: ::1 first."""
    hosts = tmp_path / "hosts"
    hosts.write_text(f"127.0.0.1 localhost\n::1 {DUAL}\n127.0.0.1 {DUAL}\n")
    unshare = shutil.which("unshare")
    wrap = [unshare, "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"', str(hosts)]
    if unshare is None or run(wrap + ["true"]).returncode != 0:
        pytest.skip("no mount namespace here (unshare -m) to give the test its own /etc/hosts")
    return wrap + args


def free_port_on_both():
    """A port free on ::1 and on 127.0.0.1."""
    with socket.socket(socket.AF_INET6) as v6, socket.socket() as v4:
        v6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        v6.bind(("::1", 0))
        port = v6.getsockname()[1]
        v4.bind(("127.0.0.1", port))
        return port


def hanging_listener(host, port):
    """A listener whose backlog is full: connects to it hang (their SYNs are dropped)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET6:
        srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    srv.bind((host, port))
    srv.listen(0)
    return srv, connect_nonblocking(port, 8, host)


def test_wait_is_one_deadline_for_every_address(usock, tmp_path):
    """-w 1 to a name whose two addresses both hang: one second in all (the library's
    create_connection), not one second per address; -v says what happened to each."""
    port = free_port_on_both()
    args = with_dual_name(tmp_path, [usock, "-v", "-w", "1", DUAL, str(port)])
    held = [hanging_listener(host, port) for host in ("::1", "127.0.0.1")]
    try:
        time.sleep(0.2)
        start = time.monotonic()
        r = run(args)
        elapsed = time.monotonic() - start
    finally:
        for srv, fill in held:
            for c in fill:
                c.close()
            srv.close()
    err = r.stderr.decode()
    assert r.returncode == 1, err
    assert 0.8 <= elapsed < 1.8, elapsed
    assert err.count(": connection timed out\n") == 2, err
    assert f"{DUAL} ([::1]:{port})" in err and f"{DUAL} (127.0.0.1:{port})" in err, err
    assert err.splitlines()[-1].startswith(f"usock: cannot connect to {DUAL} ("), err


def test_verbose_says_each_failed_address_before_connecting(usock, tmp_path):
    """::1 refuses, 127.0.0.1 answers: usock connects, and with -v says why ::1 failed."""
    port = free_port_on_both()
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", port))
        srv.listen(1)
        r = run(with_dual_name(tmp_path, [usock, "-v", "-q", "0", "-w", "5", DUAL, str(port)]), input=b"hi\n")
        conn, _ = srv.accept()
        with conn:
            assert recv_all(conn) == b"hi\n"
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert err.startswith(f"usock: cannot connect to {DUAL} ([::1]:{port}): connection refused\n"
                          f"usock: connected to {DUAL} (127.0.0.1:{port}) (tcp)\n"), err


def test_ipv6_wildcard_listener_takes_ipv4_too(usock, procs):
    """usock -l -6 without HOST listens on [::] and, as the system's default makes it, takes
    IPv4 clients as well as IPv6 ones (IPV6_V6ONLY off)."""
    p = procs([usock, "-l", "-k", "-d", "-6", "-v", "0"])
    port = p.port()
    for host in ("::1", "127.0.0.1"):
        with socket.create_connection((host, port), timeout=TIMEOUT) as c:
            c.sendall(f"from {host}\n".encode())
        assert p.read_stdout(len(host) + 6) == f"from {host}\n".encode()
    p.terminate()


@pytest.mark.parametrize("closed", [0, 1])
def test_closed_standard_streams_are_never_the_connection(usock, closed):
    """Started with stdin or stdout closed, usock's socket must not take descriptor 0 or 1 (it
    would read its own connection as input, or echo the peer's bytes back to it)."""
    import os
    with tcp_listener() as l:
        port = l.getsockname()[1]
        p = subprocess.Popen([usock, "-q", "-1", "127.0.0.1", str(port)],
                             stdin=None if closed == 0 else subprocess.PIPE,
                             stdout=None if closed == 1 else subprocess.DEVNULL,
                             stderr=subprocess.PIPE, preexec_fn=lambda: os.close(closed))
        try:
            c, _ = l.accept()
            with c:
                c.settimeout(1.0)
                c.sendall(b"hello from the server\n")
                try:
                    back = c.recv(100)
                except socket.timeout:
                    back = b""
                assert back == b"", "usock sent the peer's bytes back to it"
        finally:
            p.kill()
            p.communicate(timeout=TIMEOUT)
