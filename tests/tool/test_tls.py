"""usock --tls against peers it did not write: openssl s_server / s_client and CPython's ssl
module (this interpreter, /usr/bin/python3), with certificates made by tests/tls/make_certs.sh
(a CA, a server certificate for localhost / 127.0.0.1 / ::1, the same expired, a client
certificate, an unrelated CA). Loopback only, every port chosen by the OS (s_server's is read
from /proc, since -quiet hides it); every wait is bounded."""

import contextlib
import hashlib
import os
import selectors
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import (SOURCE_DIR, TIMEOUT, assert_clean_failure, fd_count, listening_port, need, recv_all,
                      run, steady_fd_count, wait_until)


@pytest.fixture(scope="module")
def usock_tls(usock):
    if b"TLS:" not in run([usock, "--version"]).stdout:
        pytest.skip("this usock was built without TLS (the library has no TLS engine)")
    return usock


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    need("openssl")
    d = tmp_path_factory.mktemp("certs")
    subprocess.run(["sh", os.path.join(SOURCE_DIR, "tests", "tls", "make_certs.sh"), str(d)], check=True,
                   timeout=TIMEOUT)
    return {name: str(d / name) for name in os.listdir(d)}


@pytest.fixture(scope="module")
def payload(tmp_path_factory):
    """Three MiB and a bit of random bytes: many TLS records, every byte value."""
    path = tmp_path_factory.mktemp("tlsdata") / "payload.bin"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 4321))
    return path


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def s_server(procs, certs, *extra, cert="server.pem", stdin=subprocess.PIPE, stdout=subprocess.PIPE):
    """openssl s_server for one connection; its standard input (a pipe unless given) is what it
    sends, and it ends at that input's end. Returns (process, port). -nbio: in its blocking mode
    s_server sometimes stops sending after its first record (whoever the client is)."""
    args = [need("openssl"), "s_server", "-quiet", "-nbio", "-naccept", "1", "-accept", "127.0.0.1:0",
            "-cert", certs[cert], "-key", certs["server.key"], *extra]
    p = procs(args, stdin=stdin, stdout=stdout)
    return p, listening_port(p.p.pid)


def usock_server(procs, usock, certs, *extra, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE):
    """usock -l --tls (or --echo with "--echo" in extra) on a free port; returns (process, port)."""
    mode = [] if "--echo" in extra else ["-l"]
    p = procs([usock, *mode, "-v", "--tls", "--cert", certs["server.pem"], "--key", certs["server.key"], *extra,
               "127.0.0.1", "0"], stdin=stdin, stdout=stdout)
    return p, p.port()


def client_context(certs, cert=False):
    ctx = ssl.create_default_context(cafile=certs["ca.pem"])
    if cert:
        ctx.load_cert_chain(certs["client.pem"], certs["client.key"])
    return ctx


class PyServer:
    """A CPython ssl server on 127.0.0.1 for one connection: `handler(conn)` runs on a thread
    with the wrapped connection; join() re-raises what it raised."""

    def __init__(self, certs, handler, cert="server.pem", verify_client=False):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(certs[cert], certs["server.key"])
        if verify_client:
            self.ctx.load_verify_locations(certs["ca.pem"])
            self.ctx.verify_mode = ssl.CERT_REQUIRED
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(TIMEOUT)
        self.port = self.listener.getsockname()[1]
        self.error = None
        self.result = None
        self.thread = threading.Thread(target=self._run, args=(handler,), daemon=True)
        self.thread.start()

    def _run(self, handler):
        try:
            raw, _ = self.listener.accept()
            raw.settimeout(TIMEOUT)
            with self.ctx.wrap_socket(raw, server_side=True) as conn:
                self.result = handler(conn)
        except BaseException as e:  # noqa: BLE001 - handed to the test by join()
            self.error = e
        finally:
            self.listener.close()

    def join(self):
        self.thread.join(TIMEOUT)
        assert not self.thread.is_alive(), "the Python TLS server did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def duplex(conn, outgoing):
    """Sends `outgoing` while receiving up to the peer's end, on this one thread (CPython's SSL
    socket must not be read and written by two threads at once). Returns what came."""
    conn.setblocking(False)
    view = memoryview(outgoing)
    sent, got, ended = 0, [], False
    deadline = time.monotonic() + TIMEOUT
    with selectors.DefaultSelector() as sel:
        sel.register(conn, selectors.EVENT_READ)
        while not ended or sent < len(view):
            sel.modify(conn, selectors.EVENT_READ | (selectors.EVENT_WRITE if sent < len(view) else 0))
            if conn.pending() == 0 and not sel.select(max(0, deadline - time.monotonic())):
                raise TimeoutError(f"duplex: sent {sent} of {len(view)}, received {sum(map(len, got))}")
            if not ended:
                try:
                    data = conn.recv(1 << 16)
                    ended = not data
                    got.append(data)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
            if sent < len(view):
                try:
                    sent += conn.send(view[sent:sent + (1 << 16)])
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
    conn.settimeout(TIMEOUT)
    return b"".join(got)


def read_to_end(conn):
    chunks = []
    while True:
        d = conn.recv(1 << 16)
        if not d:
            return b"".join(chunks)
        chunks.append(d)


# --- a client that verifies -------------------------------------------------------------------

@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_client_verifies_the_server_and_sends(usock_tls, procs, certs, host):
    """The name or the IP address checked against the certificate; -v names the version, the
    cipher and the verified certificate; --stats counts the application's bytes; at the end of
    the input the close notification ends the session cleanly for s_server."""
    server, port = s_server(procs, certs)
    r = run([usock_tls, "-v", "--stats", "--tls", "--cafile", certs["ca.pem"], host, str(port)],
            input=b"hello over TLS\n")
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "TLS: TLSv1.3, TLS_AES_256_GCM_SHA384 (256-bit key)" in err or "TLS: TLSv1.2" in err, err
    assert "server certificate CN=localhost, issued by CN=ca" in err and "verified" in err, err
    assert "TLS close notification sent" in err
    assert "sent 15 bytes, received 0 bytes in " in err
    server.p.stdin.close()
    status, out, _ = server.finish()
    assert out == b"hello over TLS\n"


@pytest.mark.parametrize("cafile, cert, servername, words", [
    ("other_ca.pem", "server.pem", None, "unable to get local issuer certificate"),
    (None, "server.pem", None, "unable to get local issuer certificate"),  # the system's store
    ("ca.pem", "server.pem", "example.com", "hostname mismatch"),
    ("ca.pem", "expired.pem", None, "certificate has expired"),
])
def test_client_refuses_a_certificate_clearly(usock_tls, procs, certs, cafile, cert, servername, words):
    server, port = s_server(procs, certs, cert=cert)
    args = [usock_tls, "--tls", *(["--cafile", certs[cafile]] if cafile else []),
            *(["--servername", servername] if servername else []), "localhost", str(port)]
    r = run(args, input=b"secret\n")
    assert_clean_failure(r, f"TLS handshake with localhost (127.0.0.1:{port}) failed: certificate verify failed",
                         words)
    assert r.stderr.count(b"\n") == 1, r.stderr
    assert r.stdout == b""
    server.p.stdin.close()
    _, out, _ = server.finish()
    assert out == b""  # nothing was sent to a server that did not verify


def test_insecure_skips_verification_and_says_so(usock_tls, procs, certs):
    server, port = s_server(procs, certs, cert="expired.pem")
    r = run([usock_tls, "-v", "--tls", "--insecure", "localhost", str(port)], input=b"anyway\n")
    assert r.returncode == 0, r.stderr
    assert b"--insecure: the server's certificate is not verified" in r.stderr
    assert b"server certificate not verified" in r.stderr
    server.p.stdin.close()
    assert server.finish()[1] == b"anyway\n"


def test_zero_io_checks_the_handshake(usock_tls, procs, certs):
    _, port = s_server(procs, certs)
    assert run([usock_tls, "-z", "--tls", "--cafile", certs["ca.pem"], "localhost", str(port)]).returncode == 0
    _, port = s_server(procs, certs)
    assert_clean_failure(run([usock_tls, "-z", "--tls", "localhost", str(port)]), "certificate verify failed")


def test_server_that_does_not_speak_tls(usock_tls, certs):
    """A plain server that answers (here: with the ClientHello it got) is a protocol error at
    once; one that says nothing is a handshake timeout within -w, which also bounded the
    connect (one deadline)."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]

        def echo_once():
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(TIMEOUT)
                conn.sendall(conn.recv(4096))
                conn.recv(4096)

        t = threading.Thread(target=echo_once, daemon=True)
        t.start()
        r = run([usock_tls, "-w", "5", "--tls", "--cafile", certs["ca.pem"], "127.0.0.1", str(port)])
        t.join(TIMEOUT)
        assert_clean_failure(r, f"TLS handshake with 127.0.0.1:{port} failed: TLS protocol error")

        start = time.monotonic()
        r = run([usock_tls, "-w", "1", "--tls", "127.0.0.1", str(port)])  # accepted by the backlog, never served
        took = time.monotonic() - start
        assert r.stderr == f"usock: TLS handshake with 127.0.0.1:{port} timed out after 1 s\n".encode()
        assert r.returncode == 1
        assert 0.9 < took < 10, took


# --- bytes both ways --------------------------------------------------------------------------

def test_client_receives_a_file_from_s_server(usock_tls, procs, certs, payload):
    """s_server sends a file and ends with its close notification; usock -d never sends."""
    with open(payload, "rb") as f:
        _, port = s_server(procs, certs, stdin=f)
    r = run([usock_tls, "-d", "--tls", "--cafile", certs["ca.pem"], "localhost", str(port)])
    assert r.returncode == 0, r.stderr
    assert sha256(r.stdout) == sha256(payload.read_bytes())


def test_client_sends_a_file_to_s_server(usock_tls, procs, certs, payload, tmp_path):
    out = tmp_path / "out.bin"
    with open(out, "wb") as f:
        server, port = s_server(procs, certs, stdout=f)
    r = run([usock_tls, "--send", str(payload), "--tls", "--cafile", certs["ca.pem"], "localhost", str(port)])
    assert r.returncode == 0, r.stderr
    server.p.stdin.close()
    server.finish()
    assert sha256(out.read_bytes()) == sha256(payload.read_bytes())


def test_both_ways_at_once_with_python_and_reading_after_close_notify(usock_tls, certs, payload, tmp_path):
    """usock sends a file while the CPython server sends another; usock's close notification at
    the end of its input does not end its receiving: the server's bytes still arrive (TLS 1.3
    lets the side that received close_notify go on sending), then the server's own close."""
    theirs = os.urandom(2 * 1024 * 1024 + 99)

    def handler(conn):
        got = duplex(conn, theirs)  # ends at usock's close notification
        conn.sendall(b"after your close_notify\n")
        conn.unwrap()
        return got

    server = PyServer(certs, handler)
    out = tmp_path / "out.bin"
    r = run([usock_tls, "-v", "--send", str(payload), "--recv", str(out), "--tls", "--cafile", certs["ca.pem"],
             "localhost", str(server.port)])
    got = server.join()
    assert r.returncode == 0, r.stderr
    assert sha256(got) == sha256(payload.read_bytes())
    assert sha256(out.read_bytes()) == sha256(theirs + b"after your close_notify\n")
    assert b"without a TLS close notification" not in r.stderr


def test_end_of_input_is_the_close_notification_then_tcps_end(usock_tls, certs):
    """The end of the input is the library's shutdown(shut_wr) of the TLS socket: the close
    notification, then TCP's end of that direction (the peer's kernel sees it at once, while
    usock still waits for the answer), and usock goes on reading."""
    def handler(conn):
        got = read_to_end(conn)  # to usock's close notification
        raw = socket.socket(fileno=os.dup(conn.fileno()))
        raw.settimeout(5)
        try:
            tcp_end = raw.recv(1, socket.MSG_PEEK) == b""
        finally:
            raw.close()
        conn.sendall(b"the answer after your end\n")
        conn.unwrap()
        return got, tcp_end

    server = PyServer(certs, handler)
    r = run([usock_tls, "-v", "--tls", "--cafile", certs["ca.pem"], "localhost", str(server.port)],
            input=b"the request\n")
    got, tcp_end = server.join()
    assert r.returncode == 0, r.stderr
    assert got == b"the request\n"
    assert tcp_end
    assert r.stdout == b"the answer after your end\n"
    assert b"end of input: TLS close notification sent to" in r.stderr
    assert b"without a TLS close notification" not in r.stderr


def test_ragged_end_is_the_end_of_stream_and_said_with_v(usock_tls, certs):
    """A server that closes TCP without the close notification (CPython's close() does that):
    the data arrives, the status is 0, and -v says how it ended."""
    def handler(conn):
        conn.sendall(b"then a plain close\n")
        read_to_end(conn)

    server = PyServer(certs, handler)
    r = run([usock_tls, "-v", "--tls", "--cafile", certs["ca.pem"], "localhost", str(server.port)], input=b"x")
    server.join()
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"then a plain close\n"
    assert b"ended the connection without a TLS close notification" in r.stderr


def test_quit_zero_after_close_notify(usock_tls, certs):
    """-q 0: the close notification, then usock quits without waiting for the server."""
    done = threading.Event()

    def handler(conn):
        got = read_to_end(conn)
        done.wait(TIMEOUT)  # the server stays silent until usock is gone
        return got

    server = PyServer(certs, handler)
    r = run([usock_tls, "-q", "0", "--tls", "--cafile", certs["ca.pem"], "localhost", str(server.port)],
            input=b"bye\n", timeout=10)
    done.set()
    assert r.returncode == 0, r.stderr
    assert server.join() == b"bye\n"


# --- the server side --------------------------------------------------------------------------

def test_server_receives_from_s_client(usock_tls, procs, certs, payload, tmp_path):
    out = tmp_path / "out.bin"
    p, port = usock_server(procs, usock_tls, certs, "-d", "--recv", str(out))
    with open(payload, "rb") as f:
        r = run([need("openssl"), "s_client", "-quiet", "-no_ign_eof", "-nocommands", "-connect", f"127.0.0.1:{port}",
                 "-CAfile", certs["ca.pem"], "-verify_return_error"], stdin=f)
    assert r.returncode == 0, r.stderr
    status, _, err = p.finish()
    assert status == 0, err
    assert b"TLS: TLSv1.3" in err and b"no client certificate" in err
    assert sha256(out.read_bytes()) == sha256(payload.read_bytes())


def test_server_sends_to_s_client(usock_tls, procs, certs, payload):
    p, port = usock_server(procs, usock_tls, certs, "--send", str(payload))
    r = run([need("openssl"), "s_client", "-quiet", "-connect", f"127.0.0.1:{port}", "-CAfile", certs["ca.pem"],
             "-verify_return_error"])
    assert r.returncode == 0, r.stderr
    assert sha256(r.stdout) == sha256(payload.read_bytes())
    assert p.finish()[0] == 0


def test_server_both_ways_with_python(usock_tls, procs, certs, payload, tmp_path):
    out = tmp_path / "out.bin"
    p, port = usock_server(procs, usock_tls, certs, "--send", str(payload), "--recv", str(out))
    mine = os.urandom(1024 * 1024 + 7)
    with client_context(certs).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT),
                                           server_hostname="localhost") as c:
        got = duplex(c, mine)  # to usock's close notification, after its --send file
        c.unwrap()
    status, _, err = p.finish()
    assert status == 0, err
    assert sha256(got) == sha256(payload.read_bytes())
    assert sha256(out.read_bytes()) == sha256(mine)


def test_server_requires_a_client_certificate(usock_tls, procs, certs):
    """--cafile on a server: a client without a certificate is refused with a clear message,
    one with a certificate from that CA is served, and -v names it."""
    p, port = usock_server(procs, usock_tls, certs, "--cafile", certs["ca.pem"])
    with pytest.raises((ssl.SSLError, ConnectionError)):
        with client_context(certs).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT),
                                               server_hostname="localhost") as c:
            c.sendall(b"no certificate\n")
            read_to_end(c)
    status, out, err = p.finish()
    assert status == 1 and out == b"", err
    assert b"TLS handshake with 127.0.0.1:" in err and b"peer did not return a certificate" in err, err

    p, port = usock_server(procs, usock_tls, certs, "--cafile", certs["ca.pem"], "-d")
    with client_context(certs, cert=True).wrap_socket(
            socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT), server_hostname="localhost") as c:
        c.sendall(b"with a certificate\n")
        c.unwrap()
    status, out, err = p.finish()
    assert status == 0, err
    assert out == b"with a certificate\n"
    assert b"client certificate CN=client, issued by CN=ca" in err


def test_client_certificate_to_s_server(usock_tls, procs, certs):
    server, port = s_server(procs, certs, "-Verify", "1", "-CAfile", certs["ca.pem"])
    r = run([usock_tls, "--tls", "--cafile", certs["ca.pem"], "--cert", certs["client.pem"], "--key",
             certs["client.key"], "localhost", str(port)], input=b"mine\n")
    assert r.returncode == 0, r.stderr
    server.p.stdin.close()
    assert server.finish()[1] == b"mine\n"

    server, port = s_server(procs, certs, "-Verify", "1", "-CAfile", certs["ca.pem"])
    r = run([usock_tls, "--tls", "--cafile", certs["ca.pem"], "localhost", str(port)], input=b"mine\n")
    assert_clean_failure(r, "certificate")


def test_server_handshake_timeout_and_keep_open(usock_tls, procs, certs):
    """-l -k: a client that never speaks is dropped after -w, one that is not TLS fails its
    handshake, and the next client is still served."""
    p, port = usock_server(procs, usock_tls, certs, "-k", "-w", "1", "-d")
    silent = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    p.wait_for(rb"TLS handshake with 127\.0\.0\.1:\d+ timed out after 1 s")
    assert silent.recv(100) == b""  # closed by usock
    silent.close()
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as plain:
        plain.sendall(b"GET / HTTP/1.0\r\n\r\n")
        p.wait_for(rb"TLS handshake with 127\.0\.0\.1:\d+ failed: TLS protocol error")
    with client_context(certs).wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT),
                                           server_hostname="localhost") as c:
        c.sendall(b"served\n")
        assert p.read_stdout(7) == b"served\n"
        c.unwrap()
    status, _, err = p.terminate()
    assert b"AddressSanitizer" not in err and b"runtime error" not in err


def test_alpn_both_sides(usock_tls, procs, certs):
    server, port = s_server(procs, certs, "-alpn", "http/1.1")
    r = run([usock_tls, "-v", "--tls", "--alpn", "h2,http/1.1", "--cafile", certs["ca.pem"], "localhost", str(port)])
    assert r.returncode == 0, r.stderr
    assert b", ALPN http/1.1;" in r.stderr

    p, port = usock_server(procs, usock_tls, certs, "--alpn", "x-usock,h2", "-d")
    ctx = client_context(certs)
    ctx.set_alpn_protocols(["h2", "x-usock"])
    with ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT),
                         server_hostname="localhost") as c:
        assert c.selected_alpn_protocol() == "x-usock"
        c.unwrap()
    assert p.finish()[0] == 0


def test_tls_over_a_unix_socket(usock_tls, procs, certs, tmp_path):
    path = str(tmp_path / "tls.sock")
    p = procs([usock_tls, "-l", "-v", "-d", "--tls", "--cert", certs["server.pem"], "--key", certs["server.key"],
               "-U", path])
    p.wait_for(rb"listening on")
    r = run([usock_tls, "--tls", "--cafile", certs["ca.pem"], "--servername", "localhost", "-U", path],
            input=b"over a Unix socket\n")
    assert r.returncode == 0, r.stderr
    status, out, err = p.finish()
    assert status == 0, err
    assert out == b"over a Unix socket\n"


# --- the echo server --------------------------------------------------------------------------

def tls_echo_client(port, certs, size, results, index):
    """One client of the echo server: handshake, a random message in pieces of up to 16 KiB, each
    echo read before the next piece is sent, and a clean close (the close notification both
    ways: the server reads it as the end)."""
    try:
        data = os.urandom(size)
        got = b""
        with client_context(certs).wrap_socket(
                socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT), server_hostname="localhost") as c:
            for at in range(0, size, 16384):
                piece = data[at:at + 16384]
                c.sendall(piece)
                want = len(got) + len(piece)
                while len(got) < want:
                    chunk = c.recv(1 << 16)
                    if not chunk:
                        raise ConnectionError(f"the echo ended after {len(got)} of {size} bytes")
                    got += chunk
            c.unwrap()
        results[index] = sha256(got) == sha256(data)
    except BaseException as e:  # noqa: BLE001 - collected and reported by the test
        results[index] = e


def test_echo_many_tls_clients_while_one_never_speaks(usock_tls, procs, certs):
    """100 TLS clients at once (1 B to 256 KiB each, checked by SHA-256) are all served while a
    client that connected first never sends a byte: the handshakes run in the event loop, none
    of them blocks it. Then the silent client is dropped at its handshake's limit, and every
    descriptor comes back."""
    p, port = usock_server(procs, usock_tls, certs, "--echo", "-w", "30")
    start_fds = steady_fd_count(p.p.pid)
    silent = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    p.wait_for(rb"connection from")
    sizes = [1 + (i * 2654435761) % (256 * 1024) for i in range(100)]
    results = [None] * len(sizes)
    threads = [threading.Thread(target=tls_echo_client, args=(port, certs, size, results, i), daemon=True)
               for i, size in enumerate(sizes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * 2)
    assert all(r is True for r in results), [r for r in results if r is not True][:5]
    # The silent client is still connected: nothing waited for it.
    silent.setblocking(False)
    with pytest.raises(BlockingIOError):
        silent.recv(1)
    # s_client too: a line, its echo, then the end of its input (its close notification).
    sc = procs([need("openssl"), "s_client", "-quiet", "-no_ign_eof", "-nocommands", "-connect", f"127.0.0.1:{port}",
                "-CAfile", certs["ca.pem"], "-verify_return_error"], stdin=subprocess.PIPE)
    sc.p.stdin.write(b"s_client line\n")
    sc.p.stdin.flush()
    assert sc.read_stdout(14) == b"s_client line\n"
    sc.p.stdin.close()
    assert sc.finish()[0] == 0
    silent.close()
    wait_until(lambda: fd_count(p.p.pid) <= start_fds, what="the descriptors of the clients to be closed")
    status, _, err = p.terminate()
    assert err.count(b"TLS: TLSv1.3") + err.count(b"TLS: TLSv1.2") == 101, err[-2000:]


def test_echo_with_a_usock_client_sending_a_file(usock_tls, procs, certs, payload, tmp_path):
    """usock --send through the TLS echo server: the client reads the echo while it sends, ends
    with its close notification, and gets the rest of the echo and the server's close after it
    (the server closes a client only once its close notification fits in the socket)."""
    p, port = usock_server(procs, usock_tls, certs, "--echo")
    out = tmp_path / "echo.bin"
    r = run([usock_tls, "--tls", "--cafile", certs["ca.pem"], "--send", str(payload), "--recv", str(out), "-v",
             "localhost", str(port)])
    assert r.returncode == 0, r.stderr
    assert b"without a TLS close notification" not in r.stderr
    assert sha256(out.read_bytes()) == sha256(payload.read_bytes())
    size = payload.stat().st_size
    p.wait_for(rb"127\.0\.0\.1:\d+: closed after " + str(size).encode() + rb" bytes echoed")
    p.terminate()


@pytest.mark.parametrize("size", [1000, 200_000, 3_000_000])
def test_echo_client_that_ends_before_reading_its_echo(usock_tls, procs, certs, size):
    """A client (CPython's ssl over memory buffers, so that nothing is read by surprise) sends
    its data and its close notification without reading, waits, then reads: the whole echo
    comes, then the server's close notification, never a cut record, even when the server met
    the client's end with its socket full."""
    p, port = usock_server(procs, usock_tls, certs, "--echo")
    raw = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = client_context(certs).wrap_bio(incoming, outgoing, server_hostname="localhost")

    def receive_some():
        data = raw.recv(1 << 16)
        if data:
            incoming.write(data)
        else:
            incoming.write_eof()

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            receive_some()
    data = os.urandom(size)
    tls.write(data)
    with pytest.raises(ssl.SSLWantReadError):
        tls.unwrap()  # our close notification goes out; the server's is still to come
    sender = threading.Thread(target=raw.sendall, args=(outgoing.read(),), daemon=True)
    sender.start()  # the raw socket: its own thread may send while this one reads
    time.sleep(0.3)
    echo = []
    while True:
        try:
            echo.append(tls.read(1 << 16))
        except ssl.SSLWantReadError:
            receive_some()
        except ssl.SSLZeroReturnError:
            break  # the server's close notification
    sender.join(TIMEOUT)
    raw.close()
    assert sha256(b"".join(echo)) == sha256(data)
    p.wait_for(rb"127\.0\.0\.1:\d+: closed.* after " + str(size).encode() + rb" bytes echoed")
    p.terminate()


def test_echo_drops_a_silent_client_at_the_handshake_limit(usock_tls, procs, certs):
    p, port = usock_server(procs, usock_tls, certs, "--echo", "-w", "1")
    silent = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    start = time.monotonic()
    half = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    half.sendall(b"\x16\x03\x01\x02\x00")  # the header of a ClientHello, and no more
    assert silent.recv(1) == b"" and half.recv(1) == b""
    took = time.monotonic() - start
    assert 0.9 < took < 10, took
    p.wait_for(rb"127\.0\.0\.1:\d+: TLS handshake timed out after 1 s")
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as plain:
        plain.sendall(b"not TLS at all\r\n\r\n")
        with contextlib.suppress(ConnectionResetError):  # a close with our bytes unread is a reset
            recv_all(plain)  # at most an alert, then the end: the server closed it
    p.wait_for(rb"127\.0\.0\.1:\d+: TLS handshake failed: TLS protocol error")
    tls_result = [None]
    tls_echo_client(port, certs, 1000, tls_result, 0)
    assert tls_result[0] is True, tls_result
    p.terminate()


# --- bad command lines ------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--cafile", "x.pem", "127.0.0.1", "443"], ["need --tls"]),
    (["--insecure", "127.0.0.1", "443"], ["need --tls"]),
    (["--tls", "-u", "127.0.0.1", "443"], ["datagrams"]),
    (["--tls", "-l", "0"], ["a TLS server needs --cert FILE"]),
    (["--echo", "--tls", "0"], ["a TLS server needs --cert FILE"]),
    (["--tls", "-l", "--cert", "c.pem", "--insecure", "0"], ["apply to a TLS client"]),
    (["--tls", "--insecure", "--cafile", "x.pem", "127.0.0.1", "443"], ["exclude each other"]),
    (["--tls", "--key", "k.pem", "127.0.0.1", "443"], ["--key needs --cert"]),
    (["--tls", "--alpn", "h2,,x", "127.0.0.1", "443"], ["invalid --alpn value 'h2,,x'"]),
    (["--tls", "-U", "/tmp/none.sock"], ["--servername NAME", "--insecure"]),
    (["--tls", "--cafile", "/no/such/ca.pem", "127.0.0.1", "443"],
     ["cannot load --cafile /no/such/ca.pem: no such file or directory"]),
    (["--tls", "-l", "--cert", "/no/such/cert.pem", "0"], ["cannot load --cert /no/such/cert.pem"]),
    (["--tls", "--cafile", "/etc/hostname", "127.0.0.1", "443"], ["cannot load --cafile /etc/hostname"]),
    (["--tls", "--cafile", "/dev/zero", "127.0.0.1", "443"], ["cannot load --cafile /dev/zero: file too large"]),
    (["--tls", "-l", "--cert", "/dev/zero", "0"], ["cannot load --cert /dev/zero: file too large"]),
])
def test_bad_tls_options(usock_tls, args, words):
    assert_clean_failure(run([usock_tls, *args]), *words)


def test_key_that_does_not_match(usock_tls, certs):
    r = run([usock_tls, "-l", "--tls", "--cert", certs["server.pem"], "--key", certs["client.key"], "0"])
    assert_clean_failure(r, "cannot load --cert", "--key", "does not match")
