"""UDP datagrams and Unix-domain sockets, against nc, socat and Python."""

import os
import socket
import subprocess
import threading

from conftest import TIMEOUT, md5_file, need, recv_all, run


def udp_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(TIMEOUT)
    return s


def test_usock_sends_datagrams_to_python(usock):
    """Each read of the input is one datagram; -q 0.5 ends usock after the input."""
    lines = [b"first datagram\n", b"second\n", b"\x00\xff binary \x01\n"]
    with udp_socket() as rx:
        r = subprocess.Popen([usock, "-u", "-q", "0.5", "127.0.0.1", str(rx.getsockname()[1])],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        got = []
        for line in lines:
            r.stdin.write(line)
            r.stdin.flush()
            data, sender = rx.recvfrom(65536)
            got.append(data)
        rx.sendto(b"reply\n", sender)
        out, err = r.communicate(timeout=TIMEOUT)  # closes the input: -q starts
    assert r.returncode == 0, err
    assert got == lines
    assert out == b"reply\n"


def test_python_datagrams_to_listening_usock_and_back(usock, procs):
    """usock -u -l: the first sender becomes the peer; its datagrams come out, and the
    input goes back to it."""
    p = procs([usock, "-u", "-l", "-v", "127.0.0.1", "0"], stdin=subprocess.PIPE)
    port = p.port()
    with udp_socket() as tx:
        for d in (b"one\n", b"two\n", b"three\n"):
            tx.sendto(d, ("127.0.0.1", port))
        p.wait_for(rb"datagram from 127\.0\.0\.1:%d" % tx.getsockname()[1])
        p.p.stdin.write(b"pong\n")
        p.p.stdin.flush()
        data, sender = tx.recvfrom(100)
        assert (data, sender) == (b"pong\n", ("127.0.0.1", port))
    assert p.read_stdout(14) == b"one\ntwo\nthree\n"
    p.p.stdin.close()
    p.terminate()


def test_nc_datagrams_to_listening_usock(usock, procs):
    nc = need("nc")
    p = procs([usock, "-u", "-l", "-v", "127.0.0.1", "0"])
    port = p.port()
    r = run([nc, "-u", "-q", "0", "127.0.0.1", str(port)], input=b"datagram from nc\n")
    assert r.returncode == 0, r.stderr
    assert p.read_stdout(17) == b"datagram from nc\n"
    p.wait_for(rb"datagram from 127\.0\.0\.1:")
    p.terminate()


def test_udp_echo_server_with_socat(usock, procs):
    socat = need("socat")
    p = procs([usock, "--echo", "-u", "-v", "127.0.0.1", "0"])
    port = p.port()
    r = run([socat, "-t", "1", "-", f"UDP:127.0.0.1:{port}"], input=b"echo me\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"echo me\n"
    p.terminate()


def test_unix_socket_socat_to_usock(usock, procs, big_file, tmp_path):
    socat = need("socat")
    path = tmp_path / "u.sock"
    out = open(tmp_path / "out.bin", "wb")
    p = procs([usock, "-l", "-v", "-U", str(path)], stdout=out)
    out.close()
    p.wait_for(rb"listening on .*u\.sock \(unix\)")
    r = run([socat, "-u", f"FILE:{big_file}", f"UNIX-CONNECT:{path}"])
    assert r.returncode == 0, r.stderr
    status, _, err = p.finish()
    assert status == 0, err
    assert md5_file(tmp_path / "out.bin") == md5_file(big_file)
    assert not path.exists(), "usock removes the socket file it created"


def test_unix_socket_usock_to_python(usock, big_file, tmp_path):
    path = str(tmp_path / "py.sock")
    got = {}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as srv:
        srv.bind(path)
        srv.listen(1)
        srv.settimeout(TIMEOUT)

        def serve():
            conn, _ = srv.accept()
            with conn:
                got["data"] = recv_all(conn)
                conn.sendall(b"thanks\n")
        t = threading.Thread(target=serve)
        t.start()
        r = run([usock, "-U", path], stdin=open(big_file, "rb"))
        t.join(TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"thanks\n"
    assert got["data"] == big_file.read_bytes()


def test_unix_socket_in_use_is_refused(usock, tmp_path):
    path = tmp_path / "taken.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.bind(str(path))
        r = run([usock, "-l", "-U", str(path)])
    assert r.returncode == 1
    assert r.stderr == f"usock: cannot listen on {path}: address already in use\n".encode()
    assert path.exists(), "usock must not remove a file it did not create"
    os.unlink(path)


def test_unix_datagrams_both_ways(usock, procs, tmp_path):
    """-u -U: the client binds an automatic name so that the listener can answer it."""
    path = str(tmp_path / "dgram.sock")
    server = procs([usock, "-u", "-l", "-v", "-U", path], stdin=subprocess.PIPE)
    server.wait_for(rb"listening on .*dgram\.sock \(unix datagram\)")
    client = procs([usock, "-u", "-U", path], stdin=subprocess.PIPE)
    client.p.stdin.write(b"hello over a unix datagram\n")
    client.p.stdin.flush()
    assert server.read_stdout(27) == b"hello over a unix datagram\n"
    server.p.stdin.write(b"and back\n")
    server.p.stdin.flush()
    assert client.read_stdout(9) == b"and back\n"
    client.terminate()
    server.terminate()
    assert not os.path.exists(path)


def test_abstract_unix_socket(usock, procs):
    name = f"@usock-test-{os.getpid()}"
    p = procs([usock, "-l", "-v", "-U", name])
    p.wait_for(rb"listening on @usock-test")
    r = run([usock, "-U", name], input=b"abstract\n")
    assert r.returncode == 0, r.stderr
    status, out, err = p.finish()
    assert (status, out) == (0, b"abstract\n"), err
    assert not os.path.exists(name), "an abstract name is no file"
