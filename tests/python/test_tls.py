"""ussl (TLS over usocket sockets) against CPython's ssl as the peer, on loopback: verification,
client and server roles, the stream methods over TLS, select/poll, non-blocking use, close
notifications, unwrap, MicroPython's wrap_socket with DER bytes, and CPython's exception classes."""

import os
import socket as cpython_socket
import ssl as cpython_ssl
import threading
import time

import pytest

import usocket

ssl = pytest.importorskip("ussl", reason="usocket was built without TLS")

from tls_helpers import (WAIT, Peer, cpython_client_context, cpython_server_context,  # noqa: E402
                         cpython_tls_client, cpython_tls_server, data, path, quiet_handler)


def connect(port, timeout=WAIT):
    s = usocket.socket()
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    return s


def client_context(ca="ca.pem"):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(path(ca))
    return ctx


def echo_line(conn):
    conn.sendall(conn.recv(1024).upper())


def sender(payload):
    """A server handler: sends payload, then waits for the client's end."""
    def handler(conn):
        conn.sendall(payload)
        conn.recv(10)
    return handler


def tls_client(port, **wrap):
    """A verified TLS client of 127.0.0.1:port (the tests' CA, localhost)."""
    return client_context().wrap_socket(connect(port), server_hostname="localhost", **wrap)


# --- verification --------------------------------------------------------------------------------

def test_verified_client_exchanges_data():
    with cpython_tls_server(echo_line) as (port, _):
        with tls_client(port) as t:
            assert isinstance(t, usocket.socket) and isinstance(t, ssl.SSLSocket)
            assert t.version() in ("TLSv1.2", "TLSv1.3")
            name, protocol, bits = t.cipher()
            assert protocol == t.version() and bits >= 128
            cert = t.getpeercert()
            assert dict(x[0] for x in cert["subject"])["commonName"] == "localhost"
            assert ("DNS", "localhost") in cert["subjectAltName"]
            assert cert["serialNumber"] == "1001"
            assert t.getpeercert(binary_form=True) == data("server.der")
            assert t.server_hostname == "localhost" and t.server_side is False
            assert t.context.verify_mode == ssl.CERT_REQUIRED
            t.sendall(b"hello tls")
            assert t.recv(1024) == b"HELLO TLS"


def failed_handshake(ctx, port, **wrap):
    s = connect(port)
    with pytest.raises(ssl.SSLError) as info:
        ctx.wrap_socket(s, **wrap)
    assert s.fileno() == -1  # detached into the SSLSocket, which the failure closed
    return info.value


def test_unknown_ca_is_a_verification_error():
    with cpython_tls_server(quiet_handler, fails=True) as (port, _):
        e = failed_handshake(client_context("other_ca.pem"), port, server_hostname="localhost")
    assert type(e) is ssl.SSLCertVerificationError and ssl.CertificateError is ssl.SSLCertVerificationError
    assert isinstance(e, OSError) and isinstance(e, ValueError)
    assert "certificate verify failed" in str(e) and e.reason == "CERTIFICATE_VERIFY_FAILED"
    assert e.verify_message


def test_wrong_host_name_is_a_verification_error():
    with cpython_tls_server(quiet_handler, fails=True) as (port, _):
        e = failed_handshake(client_context(), port, server_hostname="example.com")
    assert type(e) is ssl.SSLCertVerificationError
    assert e.verify_code == 62  # X509_V_ERR_HOSTNAME_MISMATCH, as CPython's (whatever the engine's words)
    assert e.verify_message


def test_expired_certificate_is_a_verification_error():
    server = cpython_server_context(cert="expired.pem")
    with cpython_tls_server(quiet_handler, server, fails=True) as (port, _):
        e = failed_handshake(client_context(), port, server_hostname="localhost")
    assert type(e) is ssl.SSLCertVerificationError and "expired" in str(e)


@pytest.mark.parametrize("name,ok", [("127.0.0.1", True), ("127.0.0.2", False)])
def test_ip_address_as_server_hostname(name, ok):
    with cpython_tls_server(echo_line, fails=not ok) as (port, _):
        if ok:
            with client_context().wrap_socket(connect(port), server_hostname=name) as t:
                t.sendall(b"ip")
                assert t.recv(10) == b"IP"
        else:
            assert type(failed_handshake(client_context(), port, server_hostname=name)) is ssl.SSLCertVerificationError


def test_no_ca_loaded_checks_with_nothing_of_the_tests():
    # SSLContext(PROTOCOL_TLS_CLIENT) verifies: the tests' CA is in no trust store.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname is True
    with cpython_tls_server(quiet_handler, fails=True) as (port, _):
        assert type(failed_handshake(ctx, port, server_hostname="localhost")) is ssl.SSLCertVerificationError


@pytest.mark.parametrize("module", ["ussl", "cpython"])
def test_no_ca_is_trusted_until_asked_as_cpythons_context(monkeypatch, module):
    # With the tests' CA as the system's store (OpenSSL follows SSL_CERT_FILE), a bare
    # SSLContext still trusts nothing, as CPython's; load_default_certs() asks for the store.
    if not ssl.ENGINE_VERSION.startswith("OpenSSL"):
        pytest.skip("mbedTLS: the system's store is a file fixed at build time")
    monkeypatch.setenv("SSL_CERT_FILE", path("ca.pem"))
    mod = ssl if module == "ussl" else cpython_ssl

    def raw(port):
        return connect(port) if mod is ssl else cpython_socket.create_connection(("127.0.0.1", port), WAIT)

    ctx = mod.SSLContext(mod.PROTOCOL_TLS_CLIENT)
    with cpython_tls_server(quiet_handler, fails=True) as (port, _):
        s = raw(port)
        with pytest.raises(mod.SSLCertVerificationError):
            ctx.wrap_socket(s, server_hostname="localhost")
        s.close()
    ctx.load_default_certs()
    with cpython_tls_server(echo_line) as (port, _):
        with ctx.wrap_socket(raw(port), server_hostname="localhost") as t:
            t.sendall(b"trusted")
            assert t.recv(64) == b"TRUSTED"


def test_server_that_never_speaks_tls_times_out_within_the_timeout():
    def silent(conn):
        conn.recv(4096)  # the ClientHello; then nothing until the client gives up
        conn.recv(4096)

    with cpython_tls_server(silent, tls=False) as (port, _):
        s = connect(port, timeout=0.5)
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            client_context().wrap_socket(s, server_hostname="localhost")
        assert time.monotonic() - start < 3.0
        assert s.fileno() == -1


def test_server_that_answers_plain_text_is_an_ssl_error():
    def http(conn):
        conn.recv(4096)
        conn.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")

    with cpython_tls_server(http, tls=False) as (port, _):
        e = failed_handshake(client_context(), port, server_hostname="localhost")
    assert type(e) is ssl.SSLError and str(e).startswith("[SSL")


# --- the server role -------------------------------------------------------------------------------

def ussl_listener():
    listener = usocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(WAIT)
    return listener, listener.getsockname()[1]


def test_server_role_with_a_client_certificate():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    assert ctx.verify_mode == ssl.CERT_NONE and ctx.check_hostname is False
    ctx.load_cert_chain(path("server.pem"), path("server.key"))
    ctx.load_verify_locations(cafile=path("ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    listener, port = ussl_listener()
    with listener:
        client = cpython_tls_client(port, echo_line, cpython_client_context("client.pem", "client.key"))
        conn, addr = listener.accept()
        with ctx.wrap_socket(conn, server_side=True) as t:
            assert t.server_side is True and t.server_hostname is None
            assert dict(x[0] for x in t.getpeercert()["subject"])["commonName"] == "client"
            t.write(b"from the server")
            assert t.read(15) == b"FROM THE SERVER"
        client.join()


def test_server_requiring_a_certificate_refuses_a_client_without_one():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(path("server.pem"), path("server.key"))
    ctx.load_verify_locations(path("ca.pem"))
    ctx.verify_mode = ssl.CERT_REQUIRED
    listener, port = ussl_listener()
    with listener:
        client = cpython_tls_client(port, lambda c: c.recv(10))
        conn, _ = listener.accept()
        with pytest.raises(ssl.SSLError):
            ctx.wrap_socket(conn, server_side=True)
        with pytest.raises((OSError, cpython_ssl.SSLError)):
            client.join()


def test_listening_ssl_socket_accepts_wrapped_connections():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(path("server.pem"), path("server.key"))
    listener, port = ussl_listener()
    with ctx.wrap_socket(listener, server_side=True) as tls_listener:
        client = cpython_tls_client(port, lambda c: (c.sendall(b"ping"), c.recv(10))[1])
        conn, addr = tls_listener.accept()
        with conn:
            assert isinstance(conn, ssl.SSLSocket) and conn.version() is not None
            assert conn.recv(4) == b"ping"
            conn.sendall(b"pong")
        assert client.join() == b"pong"


def test_micropython_wrap_socket_with_der_bytes_both_sides():
    # As MicroPython's tests: key, cert and cadata as DER bytes, both ends ussl.
    listener, port = ussl_listener()
    with listener:
        def serve():
            conn, _ = listener.accept()
            conn.settimeout(WAIT)
            with ssl.wrap_socket(conn, server_side=True, key=data("server.key.der"), cert=data("server.der")) as t:
                t.write(t.readline().upper())

        server = Peer(serve)
        with ssl.wrap_socket(connect(port), cert_reqs=ssl.CERT_REQUIRED, cadata=data("ca.der"),
                             server_hostname="localhost") as t:
            assert t.getpeercert()["serialNumber"] == "1001"
            t.write(b"der line\n")
            assert t.readline() == b"DER LINE\n"
        server.join()


def test_micropython_wrap_socket_verifies_nothing_by_default():
    server = cpython_server_context()
    with cpython_tls_server(echo_line, server) as (port, _):
        with ssl.wrap_socket(connect(port)) as t:  # unknown CA, no host name: accepted
            assert t.getpeercert() == {}  # not verified (CPython's answer)
            assert t.getpeercert(True) == data("server.der")
            t.write(b"x")
            assert t.read(1) == b"X"


def test_micropython_wrap_socket_cert_required_checks_the_host_name():
    with cpython_tls_server(quiet_handler, fails=True) as (port, _):
        with pytest.raises(ssl.SSLCertVerificationError):
            ssl.wrap_socket(connect(port), cert_reqs=ssl.CERT_REQUIRED, cadata=data("ca.der"),
                            server_hostname="example.com")


def test_certificates_as_pem_bytes_and_encrypted_key():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(data("server.pem"), path("server_enc.key"), password=lambda: "secret")
    listener, port = ussl_listener()
    with listener:
        client = cpython_tls_client(port, lambda c: c.recv(3))
        conn, _ = listener.accept()
        with ctx.wrap_socket(conn, server_side=True) as t:
            t.sendall(b"pem")
        assert client.join() == b"pem"
    with pytest.raises(ssl.SSLError):
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(path("server.pem"), path("server_enc.key"),
                                                                password="wrong")


# --- the stream over TLS ---------------------------------------------------------------------------

def test_readline_with_lines_split_across_records():
    def pieces(conn):
        for piece in (b"ab", b"c", b"def\ngh", b"i", b"\nlast"):
            conn.sendall(piece)  # one record each
            time.sleep(0.02)

    with cpython_tls_server(pieces) as (port, _):
        with tls_client(port) as t:
            assert t.readline() == b"abcdef\n"
            assert t.readline() == b"ghi\n"
            assert t.readline() == b"last"  # the end of the stream ends the last line
            assert t.readline() == b""


def test_select_and_poll_see_decrypted_bytes():
    with cpython_tls_server(sender(b"line one\nline two\n")) as (port, _):
        with tls_client(port) as t:
            assert t.readline() == b"line one\n"
            # The rest is decrypted and held: the kernel has nothing more for the descriptor.
            r, _, _ = usocket.select([t], [], [], 0)
            assert r == [t]
            p = usocket.poll()
            p.register(t, usocket.POLLIN)
            assert [(o, ev & usocket.POLLIN) for o, ev in p.poll(0)] == [(t, usocket.POLLIN)]
            assert t.readline() == b"line two\n"
            assert usocket.select([t], [], [], 0)[0] == []
            t.sendall(b"done")


def test_pending_counts_bytes_decrypted_not_read():
    with cpython_tls_server(sender(b"0123456789")) as (port, _):
        with tls_client(port) as t:
            assert t.recv(4) == b"0123"
            assert t.pending() == 6
            assert usocket.select([t], [], [], 0)[0] == [t]
            assert t.recv(100) == b"456789" and t.pending() == 0
            t.sendall(b"done")


def test_makefile_over_tls():
    def lines(conn):
        f = conn.makefile("rwb")
        for line in f:
            f.write(b"echo " + line)
            f.flush()
        f.close()

    with cpython_tls_server(lines) as (port, _):
        t = tls_client(port)
        f = t.makefile("rw", encoding="utf-8", newline="\n")
        for text in ("first\n", "second\n", "x" * 20000 + "\n"):
            f.write(text)
            f.flush()
            assert f.readline() == "echo " + text
        f.close()
        t.close()


def test_readinto_and_recv_into():
    with cpython_tls_server(sender(b"abcdefgh")) as (port, _):
        with tls_client(port) as t:
            buf = bytearray(3)
            assert t.readinto(buf) == 3 and buf == b"abc"
            buf = bytearray(10)
            assert t.recv_into(buf, 5) == 5 and buf[:5] == b"defgh"
            t.sendall(b"done")


# --- non-blocking ---------------------------------------------------------------------------------

def wait_for(t, exc, deadline):
    """One select() for the direction the error names."""
    assert time.monotonic() < deadline, "the non-blocking exchange did not finish"
    if isinstance(exc, ssl.SSLWantReadError):
        usocket.select([t], [], [], 1.0)
    else:
        usocket.select([], [t], [], 1.0)


def test_non_blocking_exchange_driven_by_select():
    size = 300000

    def bulk(conn):
        got = b""
        while len(got) < size:
            chunk = conn.recv(65536)
            assert chunk
            got += chunk
        conn.sendall(got[::-1][:1000])
        conn.recv(10)  # until the client closes

    with cpython_tls_server(bulk) as (port, _):
        s = connect(port)
        s.setblocking(False)
        t = client_context().wrap_socket(s, server_hostname="localhost", do_handshake_on_connect=False)
        with t:
            deadline = time.monotonic() + WAIT
            wants = set()
            while True:
                try:
                    t.do_handshake()
                    break
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as e:
                    assert isinstance(e, ssl.SSLError) and not isinstance(e, BlockingIOError)
                    wants.add(type(e))
                    wait_for(t, e, deadline)
            assert ssl.SSLWantReadError in wants  # the server's answer was waited for
            assert t.version() is not None
            payload = bytes(range(256)) * (size // 256 + 1)
            payload = payload[:size]
            sent = 0
            while sent < size:
                try:
                    sent += t.send(payload[sent:])
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as e:
                    wait_for(t, e, deadline)
            got = b""
            while len(got) < 1000:
                try:
                    chunk = t.recv(4096)
                    assert chunk
                    got += chunk
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as e:
                    wait_for(t, e, deadline)
            assert got == payload[::-1][:1000]
            # The stream methods say "nothing now" with None, as MicroPython's.
            assert t.read(10) is None and t.readline() is None


def test_non_blocking_send_says_want_write_when_the_peer_does_not_read():
    go = threading.Event()

    def late_reader(conn):
        assert go.wait(WAIT)
        total = 0
        while True:
            chunk = conn.recv(65536)
            assert chunk
            total += len(chunk)
            if chunk.endswith(b"!"):
                conn.sendall(b"%d" % total)
                return

    with cpython_tls_server(late_reader) as (port, _):
        with tls_client(port) as t:
            t.setblocking(False)
            block = b"w" * 65536
            sent = 0
            for _ in range(10000):  # until the buffers are full: SSLWantWriteError
                try:
                    sent += t.send(block)
                except ssl.SSLWantWriteError:
                    break
            else:
                pytest.fail("the buffers never filled")
            assert usocket.select([], [t], [], 0)[1] == []  # not writable: the wait it names
            go.set()
            # As with CPython's ssl, the call that must wait is repeated with the same data.
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    sent += t.send(block)
                    break
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as e:
                    wait_for(t, e, deadline)
            t.setblocking(True)
            t.sendall(b"!")
            assert t.read() == b"%d" % (sent + 1)  # every byte arrived


def test_non_blocking_wrap_with_handshake_on_connect_defers_it():
    with cpython_tls_server(echo_line) as (port, _):
        s = connect(port)
        s.setblocking(False)
        t = client_context().wrap_socket(s, server_hostname="localhost")  # started, not finished
        with t:
            deadline = time.monotonic() + WAIT
            while True:
                try:
                    t.do_handshake()
                    break
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError) as e:
                    wait_for(t, e, deadline)
            t.setblocking(True)
            t.sendall(b"later")
            assert t.recv(10) == b"LATER"


# --- the end of a connection -------------------------------------------------------------------------

def test_close_sends_the_close_notification():
    def expect_notify(conn):
        return conn.recv(10)  # b"" only after a close notification (suppress_ragged_eofs=False)

    with cpython_tls_server(expect_notify, suppress_ragged_eofs=False) as (port, peer):
        t = tls_client(port)
        t.close()
        assert peer.join() == b""


def test_peer_close_notification_is_the_end_of_the_stream():
    def notify(conn):
        conn.sendall(b"bye")
        conn.unwrap().close()  # the close notification, then the end

    with cpython_tls_server(notify) as (port, _):
        with tls_client(port, suppress_ragged_eofs=False) as t:
            assert t.read() == b"bye"
            assert t.recv(10) == b""


def test_end_without_notification_is_an_eof_error_when_asked():
    def abrupt(conn):
        conn.sendall(b"partial")
        raw = cpython_socket.socket(fileno=os.dup(conn.fileno()))
        raw.shutdown(cpython_socket.SHUT_RDWR)  # no close notification
        raw.close()

    with cpython_tls_server(abrupt) as (port, _):
        with tls_client(port, suppress_ragged_eofs=False) as t:
            assert t.recv(7) == b"partial"
            with pytest.raises(ssl.SSLEOFError):
                t.recv(10)


def test_unwrap_returns_the_plain_socket():
    def starttls(conn):
        assert conn.recv(10) == b"secret"
        plain = conn.unwrap()
        plain.sendall(b"plain text")
        return plain.recv(10)

    with cpython_tls_server(starttls) as (port, peer):
        t = tls_client(port)
        t.sendall(b"secret")
        plain = t.unwrap()
        assert type(plain) is usocket.socket and t.fileno() == -1
        with plain:
            assert plain.recv(20) == b"plain text"
            plain.sendall(b"thanks")
        assert peer.join() == b"thanks"


def test_shutdown_write_sends_the_notification_and_keeps_reading():
    def half(conn):
        got = conn.recv(10)
        assert conn.recv(10) == b""  # the notification
        conn.sendall(b"after " + got)

    with cpython_tls_server(half, suppress_ragged_eofs=False) as (port, _):
        with tls_client(port) as t:
            t.sendall(b"half")
            t.shutdown(usocket.SHUT_WR)
            assert t.read() == b"after half"


# --- the context ---------------------------------------------------------------------------------

def test_context_attributes_and_ciphers():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.protocol == ssl.PROTOCOL_TLS_CLIENT
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    assert (ctx.verify_mode, ctx.check_hostname) == (ssl.CERT_NONE, False)
    ctx.check_hostname = True  # as CPython: turns CERT_NONE into CERT_REQUIRED
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    names = ctx.get_ciphers()
    assert names and all(isinstance(n, str) for n in names)
    # MicroPython's list form, with a TLS 1.2 suite (OpenSSL's TLS 1.3 ones, "TLS_AES_...",
    # are not chosen by set_ciphers())
    tls12 = [n for n in names if not n.startswith("TLS_")]
    ctx.set_ciphers(tls12[:1])
    assert tls12[0] in ctx.get_ciphers() and len([n for n in ctx.get_ciphers() if n in tls12]) == 1
    with pytest.raises(ssl.SSLError):
        ctx.set_ciphers(["NO-SUCH-CIPHER"])
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
    d = ssl.create_default_context(cafile=path("ca.pem"))
    assert d.verify_mode == ssl.CERT_REQUIRED and d.check_hostname
    assert ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).protocol == ssl.PROTOCOL_TLS_SERVER
    ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_default_certs()


def test_alpn_is_negotiated():
    server = cpython_server_context()
    server.set_alpn_protocols(["h2", "http/1.1"])
    with cpython_tls_server(lambda c: c.sendall(c.selected_alpn_protocol().encode()), server) as (port, _):
        ctx = client_context()
        ctx.set_alpn_protocols(["http/1.1"])
        with ctx.wrap_socket(connect(port), server_hostname="localhost") as t:
            assert t.selected_alpn_protocol() == "http/1.1"
            assert t.read() == b"http/1.1"


@pytest.mark.skipif(not ssl.HAS_TLSv1_3, reason="the TLS engine has no TLS 1.3 (mbedTLS 2.28)")
def test_tls1_3_and_maximum_version():
    for maximum, expected in ((ssl.TLSVersion.MAXIMUM_SUPPORTED, "TLSv1.3"), (ssl.TLSVersion.TLSv1_2, "TLSv1.2")):
        with cpython_tls_server(echo_line) as (port, _):
            ctx = client_context()
            ctx.maximum_version = maximum
            with ctx.wrap_socket(connect(port), server_hostname="localhost") as t:
                assert t.version() == expected
                t.sendall(b"v")
                assert t.recv(1) == b"V"


def test_import_forms():
    import usocket.ssl as pkg_ssl
    assert pkg_ssl.SSLContext is ssl.SSLContext and pkg_ssl.wrap_socket is ssl.wrap_socket
    assert ssl.SSLSocket.__module__ == "ussl" and issubclass(ssl.SSLError, OSError)
    assert ssl.ENGINE_VERSION.startswith(("OpenSSL", "mbed TLS"))


def test_message_calls_are_not_implemented_and_a_closed_socket_negotiated_nothing():
    # As CPython's SSLSocket: the message calls would bypass TLS (NotImplementedError), and
    # once closed, cipher(), version() and selected_alpn_protocol() are None.
    with cpython_tls_server(echo_line) as (port, _):
        t = tls_client(port)
        for name, args in (("recvmsg", (16,)), ("recvmsg_into", ([bytearray(4)],)), ("sendmsg", ([b"x"],))):
            with pytest.raises(NotImplementedError, match="not allowed on instances"):
                getattr(t, name)(*args)
        assert t.cipher() is not None and t.version() is not None
        t.sendall(b"still fine")
        assert t.recv(64) == b"STILL FINE"
        t.close()
        assert t.cipher() is None and t.version() is None and t.selected_alpn_protocol() is None
