"""ussl under hostile use: bad arguments raise the exception class CPython's ssl raises (each
case run against both), closed sockets, huge and negative sizes, calls racing close() from
another thread, signal handlers raising during blocking TLS calls, Ctrl-C, settimeout() during
a handshake."""

import os
import signal
import socket as cpython_socket
import ssl as cpython_ssl
import threading
import time

import pytest

import usocket

ssl = pytest.importorskip("ussl", reason="usocket was built without TLS")

from tls_helpers import WAIT, Peer, cpython_server_context, cpython_tls_server, path  # noqa: E402

MODULES = {"cpython": (cpython_ssl, cpython_socket), "usocket": (ssl, usocket)}


def client(s):
    return s.SSLContext(s.PROTOCOL_TLS_CLIENT)


def server(s):
    return s.SSLContext(s.PROTOCOL_TLS_SERVER)


def with_socket(f):
    def run(s, so):
        sock = so.socket()
        try:
            return f(s, so, sock)
        finally:
            sock.close()
    return run


def unconnected(s, so, sock):
    return client(s).wrap_socket(sock, server_hostname="localhost")


def closed_tls(s, so, sock):
    t = unconnected(s, so, sock)
    t.close()
    return t


def wrap_datagram(s, so):
    sock = so.socket(so.AF_INET, so.SOCK_DGRAM)
    try:
        return unconnected(s, so, sock)
    finally:
        sock.close()


# Each case: (name, f(ssl module, socket module)). Both modules must raise the same class.
CASES = [
    ("SSLContext(str)", lambda s, so: s.SSLContext("x")),
    ("SSLContext(99)", lambda s, so: s.SSLContext(99)),
    ("verify_mode = str", lambda s, so: setattr(client(s), "verify_mode", "x")),
    ("verify_mode = 5", lambda s, so: setattr(client(s), "verify_mode", 5)),
    ("verify_mode = CERT_NONE with check_hostname", lambda s, so: setattr(client(s), "verify_mode", s.CERT_NONE)),
    ("minimum_version = 5", lambda s, so: setattr(client(s), "minimum_version", 5)),
    ("load_cert_chain(int)", lambda s, so: server(s).load_cert_chain(123)),
    ("load_cert_chain(missing)", lambda s, so: server(s).load_cert_chain("/nonexistent/cert.pem")),
    ("load_cert_chain(mismatched key)", lambda s, so: server(s).load_cert_chain(path("server.pem"), path("client.key"))),
    ("load_cert_chain(keyfile=int)", lambda s, so: server(s).load_cert_chain(path("server.pem"), 5)),
    ("load_cert_chain(password=int)",
     lambda s, so: server(s).load_cert_chain(path("server.pem"), path("server_enc.key"), 5)),
    ("load_cert_chain(wrong password)",
     lambda s, so: server(s).load_cert_chain(path("server.pem"), path("server_enc.key"), "wrong")),
    ("load_verify_locations()", lambda s, so: client(s).load_verify_locations()),
    ("load_verify_locations(cadata=int)", lambda s, so: client(s).load_verify_locations(cadata=123)),
    ("load_verify_locations(cadata=garbage str)", lambda s, so: client(s).load_verify_locations(cadata="garbage")),
    ("load_verify_locations(cadata=garbage bytes)", lambda s, so: client(s).load_verify_locations(cadata=b"garbage")),
    ("load_verify_locations(missing)", lambda s, so: client(s).load_verify_locations("/nonexistent/ca.pem")),
    ("load_verify_locations(int)", lambda s, so: client(s).load_verify_locations(5)),
    ("set_ciphers(int)", lambda s, so: client(s).set_ciphers(5)),
    ("set_ciphers(no match)", lambda s, so: client(s).set_ciphers("NO-SUCH-CIPHER")),
    ("set_ciphers(embedded NUL)", lambda s, so: client(s).set_ciphers("ECDHE\0x")),
    ("set_alpn_protocols(int)", lambda s, so: client(s).set_alpn_protocols(5)),
    ("set_alpn_protocols([int])", lambda s, so: client(s).set_alpn_protocols([5])),
    ("set_alpn_protocols([''])", lambda s, so: client(s).set_alpn_protocols([""])),
    ("SSLSocket()", lambda s, so: s.SSLSocket()),
    ("wrap a closed socket", lambda s, so: (lambda x: (x.close(), unconnected(s, so, x)))(so.socket())),
    ("wrap a datagram socket", lambda s, so: wrap_datagram(s, so)),
    ("server_hostname=''", with_socket(lambda s, so, x: client(s).wrap_socket(x, server_hostname=""))),
    ("no server_hostname", with_socket(lambda s, so, x: client(s).wrap_socket(x))),
    ("server_hostname on a server", with_socket(
        lambda s, so, x: server(s).wrap_socket(x, server_side=True, server_hostname="localhost"))),
    ("getpeercert() unconnected", with_socket(lambda s, so, x: unconnected(s, so, x).getpeercert())),
    ("do_handshake() unconnected", with_socket(lambda s, so, x: unconnected(s, so, x).do_handshake())),
    ("dup()", with_socket(lambda s, so, x: unconnected(s, so, x).dup())),
    ("recv(-1)", with_socket(lambda s, so, x: unconnected(s, so, x).recv(-1))),
    ("recv(str)", with_socket(lambda s, so, x: unconnected(s, so, x).recv("x"))),
    ("recv() closed", with_socket(lambda s, so, x: closed_tls(s, so, x).recv(1))),
    ("send() closed", with_socket(lambda s, so, x: closed_tls(s, so, x).send(b"x"))),
    ("do_handshake() closed", with_socket(lambda s, so, x: closed_tls(s, so, x).do_handshake())),
    ("getpeercert() closed", with_socket(lambda s, so, x: closed_tls(s, so, x).getpeercert())),
]


def outcome(f, s, so):
    try:
        f(s, so)
    except Exception as e:  # noqa: B902 (the class is the result)
        return e
    return None


@pytest.mark.parametrize("name,f", CASES, ids=[c[0] for c in CASES])
def test_bad_call_raises_what_cpython_raises(name, f):
    expected = outcome(f, *MODULES["cpython"])
    got = outcome(f, *MODULES["usocket"])
    assert expected is not None, "CPython accepts it"
    assert got is not None, "ussl accepts %s (CPython: %r)" % (name, expected)
    # The same class: a built-in one, or the ssl class of the same name.
    want = type(expected)
    if want.__module__ == "ssl":
        want = getattr(ssl, want.__name__)
    assert type(got) is want, "%s: ussl %r, CPython %r" % (name, got, expected)
    if isinstance(expected, OSError) and expected.errno is not None and not isinstance(expected, cpython_ssl.SSLError):
        assert got.errno == expected.errno


def test_bad_calls_where_cpython_fails_late_fail_early():
    # CPython raises AttributeError deep inside (or accepts, to fail at the handshake).
    sock = usocket.socket()
    with sock:
        with pytest.raises(TypeError):
            client(ssl).wrap_socket(123, server_hostname="x")
        with pytest.raises(TypeError):
            client(ssl).wrap_socket(sock, server_hostname=123)
        with pytest.raises(ValueError):
            client(ssl).wrap_socket(sock, server_hostname="a\0b")
        with pytest.raises(ValueError):
            client(ssl).wrap_socket(sock, server_hostname="x" * 100000)
        with pytest.raises(ValueError):
            server(ssl).wrap_socket(sock)  # a client socket from a server context
        with pytest.raises(TypeError):
            client(ssl).wrap_socket(sock, server_hostname="x", session=object())
        assert sock.fileno() >= 0  # nothing was taken from it
        t = unconnected(ssl, usocket, sock)
        assert sock.fileno() == -1 and t.fileno() >= 0  # detached, as CPython's
        with pytest.raises(ValueError):
            client(ssl).wrap_socket(t, server_hostname="x")  # TLS on TLS
        with pytest.raises(ValueError):
            t.sendto(b"x", ("127.0.0.1", 9))
        with pytest.raises(ValueError):
            t.recvfrom(10)
        t.close()
        t.close()  # twice is fine
        with pytest.raises(OSError):
            t.unwrap()


def connected_client(port, timeout=WAIT):
    s = usocket.socket()
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    ctx = client(ssl)
    ctx.load_verify_locations(path("ca.pem"))
    return ctx.wrap_socket(s, server_hostname="localhost")


def hold(conn):
    """A server that sends nothing and waits for the client's end."""
    try:
        conn.recv(10)
    except OSError:
        pass


def test_huge_and_negative_sizes():
    with cpython_tls_server(hold) as (port, _):
        with connected_client(port) as t:
            with pytest.raises(MemoryError):
                t.recv(2 ** 40)
            with pytest.raises(OverflowError):
                t.recv(2 ** 64)
            with pytest.raises(ValueError):
                t.recv(-5)
            with pytest.raises(ValueError):
                t.recv_into(bytearray(4), -1)
            with pytest.raises(ValueError):
                t.readinto(bytearray(4), -1)
            assert t.recv(0) == b""
            assert t.send(b"") == 0
            t.settimeout(0.05)
            with pytest.raises(TimeoutError):
                t.read(2 ** 20)  # nothing comes: the timeout, not a huge allocation first


def test_wrap_socket_refuses_a_socket_another_thread_is_blocked_in():
    listener = cpython_socket.create_server(("127.0.0.1", 0))
    with listener:
        s = usocket.socket()
        s.connect(listener.getsockname())
        conn, _ = listener.accept()
        reader = Peer(lambda: s.recv(10))
        time.sleep(0.2)
        with pytest.raises(RuntimeError):
            client(ssl).wrap_socket(s, server_hostname="localhost")
        conn.sendall(b"x")
        assert reader.join() == b"x"
        s.close()
        conn.close()


def test_close_from_another_thread_during_a_blocking_read():
    with cpython_tls_server(hold) as (port, _):
        t = connected_client(port, timeout=None)

        def read():
            try:
                return t.recv(10)
            except OSError as e:
                return e

        reader = Peer(read)
        time.sleep(0.3)
        start = time.monotonic()
        t.close()
        result = reader.join()
        assert time.monotonic() - start < 3.0
        assert result == b"" or isinstance(result, OSError), result


def test_close_from_another_thread_during_a_blocking_readline():
    with cpython_tls_server(lambda c: (c.sendall(b"no end of line"), hold(c))) as (port, _):
        t = connected_client(port, timeout=None)

        def read():
            try:
                return t.readline()
            except OSError as e:
                return e

        reader = Peer(read)
        time.sleep(0.3)
        t.close()
        result = reader.join()
        assert isinstance(result, (bytes, OSError)), result


def test_close_from_another_thread_during_a_blocking_handshake():
    # As for a plain socket (and CPython's), close() does not wake the wait: the handshake ends
    # when the peer goes (here after 1 s), with EBADF, touching nothing freed (ASan).
    def silent(conn):
        conn.settimeout(1.0)
        try:
            conn.recv(4096)
            conn.recv(4096)
        except OSError:
            pass

    with cpython_tls_server(silent, tls=False) as (port, _):
        s = usocket.socket()
        s.connect(("127.0.0.1", port))
        ctx = client(ssl)
        ctx.load_verify_locations(path("ca.pem"))
        t = ctx.wrap_socket(s, server_hostname="localhost", do_handshake_on_connect=False)

        def handshake():
            try:
                t.do_handshake()
            except OSError as e:
                return e

        peer = Peer(handshake)
        time.sleep(0.3)
        t.close()
        assert isinstance(peer.join(), OSError)


def test_handshake_timeout_then_the_rest_with_a_new_timeout():
    # The server reads nothing for 1 s, then speaks TLS: the first do_handshake() times out
    # within the socket's 0.3 s; after settimeout(WAIT), the rest of the handshake completes.
    def late(raw):
        time.sleep(1.0)
        with cpython_server_context().wrap_socket(raw, server_side=True) as conn:
            conn.sendall(conn.recv(10).upper())

    with cpython_tls_server(late, tls=False) as (port, _):
        s = usocket.socket()
        s.settimeout(0.3)
        s.connect(("127.0.0.1", port))
        ctx = client(ssl)
        ctx.load_verify_locations(path("ca.pem"))
        t = ctx.wrap_socket(s, server_hostname="localhost", do_handshake_on_connect=False)
        with t:
            start = time.monotonic()
            with pytest.raises(TimeoutError):
                t.do_handshake()
            assert time.monotonic() - start < 0.9
            t.settimeout(WAIT)
            t.do_handshake()
            t.sendall(b"resumed")
            assert t.recv(10) == b"RESUMED"


class Raised(Exception):
    pass


@pytest.fixture
def alarm_raises():
    def handler(signum, frame):
        raise Raised()

    old = signal.signal(signal.SIGALRM, handler)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, old)


def test_signal_handler_raising_during_a_blocking_tls_read(alarm_raises):
    with cpython_tls_server(hold) as (port, _):
        with connected_client(port, timeout=None) as t:
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            start = time.monotonic()
            with pytest.raises(Raised):
                t.recv(10)
            assert time.monotonic() - start < 5.0
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            with pytest.raises(Raised):
                t.readline()


def test_signal_handler_raising_during_a_blocking_handshake(alarm_raises):
    def silent(conn):
        conn.recv(4096)
        hold(conn)

    with cpython_tls_server(silent, tls=False) as (port, _):
        s = usocket.socket()
        s.connect(("127.0.0.1", port))
        ctx = client(ssl)
        ctx.load_verify_locations(path("ca.pem"))
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Raised):
            ctx.wrap_socket(s, server_hostname="localhost")
        assert s.fileno() == -1  # the failed wrap closed it


def test_signal_handler_that_returns_does_not_end_the_read():
    calls = []
    old = signal.signal(signal.SIGALRM, lambda *a: calls.append(1))
    try:
        def late(conn):
            time.sleep(0.5)
            conn.sendall(b"late")
            hold(conn)

        with cpython_tls_server(late) as (port, _):
            with connected_client(port, timeout=None) as t:
                signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)
                try:
                    assert t.recv(10) == b"late"
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
        assert calls
    finally:
        signal.signal(signal.SIGALRM, old)


def test_ctrl_c_during_a_blocking_tls_read_does_not_hang():
    with cpython_tls_server(hold) as (port, _):
        with connected_client(port, timeout=None) as t:
            timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
            timer.start()
            with pytest.raises(KeyboardInterrupt):
                t.read(100)
            timer.join()


def test_base_init_on_an_ssl_socket_leaves_a_plain_socket_that_tls_calls_refuse():
    sock = usocket.socket()
    t = unconnected(ssl, usocket, sock)
    with pytest.raises(TypeError):
        t.__init__()  # no public constructor: nothing changes
    usocket.socket.__init__(t)  # the base's: a new plain socket in the object
    with t:
        assert (t.cipher(), t.version(), t.pending(), t.selected_alpn_protocol()) == (None, None, 0, None)
        with pytest.raises(OSError):
            t.getpeercert()
        with pytest.raises(OSError):
            t.do_handshake()
        with pytest.raises(ValueError):
            t.unwrap()
        with pytest.raises(ValueError):
            t.context.wrap_socket(usocket.socket(), server_hostname="x")
