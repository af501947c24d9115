"""Every method of the socket object, each scenario run against CPython's socket and usocket
(the `mod` fixture) unless the SPEC says usocket differs."""

import array
import errno
import os
import pickle
import weakref

import pytest

import usocket
from conftest import tcp_pair


def test_constructor_defaults(mod):
    with mod.socket() as s:
        assert (s.family, s.type, s.proto) == (mod.AF_INET, mod.SOCK_STREAM, 0)
        assert s.timeout is None and s.gettimeout() is None
        assert s.fileno() >= 0
    with mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as s:
        assert s.type == mod.SOCK_DGRAM
    with mod.socket(family=mod.AF_INET6, type=mod.SOCK_STREAM, proto=0) as s:
        assert s.family == mod.AF_INET6


def test_constructor_nonblock_flag(mod):
    with mod.socket(mod.AF_INET, mod.SOCK_STREAM | mod.SOCK_NONBLOCK) as s:
        assert s.type == mod.SOCK_STREAM
        assert s.gettimeout() == 0.0
        assert s.getblocking() is False


def test_constructor_fileno_adopts(mod):
    raw = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    fd = raw.detach()
    with mod.socket(fileno=fd) as s:
        assert s.fileno() == fd
        assert (s.family, s.type) == (mod.AF_INET, mod.SOCK_DGRAM)
    with pytest.raises(OSError) as e:
        os.fstat(fd)
    assert e.value.errno == errno.EBADF


def test_init_again_with_its_own_descriptor_keeps_it(mod):
    a, b = mod.socketpair()
    with a, b:
        fd = a.fileno()
        a.__init__(mod.AF_UNIX, mod.SOCK_STREAM, 0, fd)
        assert a.fileno() == fd
        x, y = mod.socketpair()  # would take the number, had it been closed
        with x, y:
            a.send(b"for b only")
            assert b.recv(100) == b"for b only"
            y.setblocking(False)
            with pytest.raises(BlockingIOError):
                y.recv(1)


def test_msg_errqueue_never_waits_on_a_readable_socket(mod):
    # The error queue is read without waiting; a datagram queued makes the socket readable,
    # which must not make the call wait and retry for ever.
    import time
    r = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    with r, s:
        r.bind(("127.0.0.1", 0))
        s.sendto(b"data", r.getsockname())
        with pytest.raises(BlockingIOError):
            r.recv(16, mod.MSG_ERRQUEUE)
        if mod is usocket:  # CPython polls until its timeout, then TimeoutError
            r.settimeout(5.0)
            t0 = time.monotonic()
            with pytest.raises(BlockingIOError):
                r.recv_into(bytearray(16), 0, mod.MSG_ERRQUEUE)
            assert time.monotonic() - t0 < 1.0
        r.settimeout(5.0)
        assert r.recv(16) == b"data"


def test_msg_errqueue_on_a_unix_socket_is_an_ordinary_read(mod):
    # Unix sockets ignore MSG_ERRQUEUE: the call waits for data as any other.
    import threading
    a, b = mod.socketpair()
    with a, b:
        a.settimeout(5.0)
        late = threading.Timer(0.1, b.send, (b"late",))
        late.start()
        try:
            assert a.recv(64, mod.MSG_ERRQUEUE) == b"late"
        finally:
            late.join()


def test_msg_errqueue_means_nothing_to_a_send(mod):
    # A blocking send with MSG_ERRQUEUE into a full buffer waits for room, as any send.
    import threading
    listener, client, server = tcp_pair(mod)
    with listener, client, server:
        for _ in range(10000):
            try:
                client.send(b"x" * 65536, mod.MSG_DONTWAIT)
            except BlockingIOError:
                break
        def drain():
            server.settimeout(5.0)
            try:
                while server.recv(1 << 20):
                    pass
            except OSError:
                pass
        late = threading.Timer(0.2, drain)
        late.start()
        try:
            assert client.send(b"y" * (1 << 20), mod.MSG_ERRQUEUE) == 1 << 20
        finally:
            client.close()
            late.join()


def test_msg_trunc_on_a_stream_gives_zeros_for_what_it_discards():
    # A stream socket discards the bytes MSG_TRUNC counts and copies nothing: the result is
    # zeros, never an earlier receive's bytes (CPython's holds whatever its new object had).
    listener, client, server = tcp_pair(usocket)
    with listener, client, server:
        for size in (100, 1000):
            client.sendall(b"A" * size)
            assert server.recv(size, usocket.MSG_WAITALL) == b"A" * size
            client.sendall(b"B" * size)
            assert server.recv(size, usocket.MSG_TRUNC | usocket.MSG_WAITALL) == bytes(size)


def test_msg_trunc_never_gives_an_earlier_receives_bytes(mod):
    # Whatever a socket says it is (here TCP adopted as protocol 99), what MSG_TRUNC makes the
    # kernel skip is never an earlier receive's bytes: the descriptor says it is TCP.
    a, b = mod.socketpair()
    listener, client, server = tcp_pair(mod)
    with a, b, listener, client, server:
        secret = b"S3CRET-" * 600
        a.sendall(secret)
        earlier = b.recv(len(secret), mod.MSG_WAITALL)
        assert earlier == secret
        with mod.socket(mod.AF_INET, mod.SOCK_STREAM, 99, fileno=server.detach()) as odd:
            client.sendall(b"x" * 2000)
            data = odd.recv(2000, mod.MSG_TRUNC | mod.MSG_WAITALL)
            assert len(data) == 2000
            assert b"S3CRET" not in data
            if mod is usocket:  # the descriptor is TCP: zeros (CPython's holds its allocator's memory)
                assert data == bytes(2000)


def test_msg_trunc_on_mptcp_gives_zeros():
    # MPTCP discards what MSG_TRUNC counts, as TCP does.
    proto = getattr(usocket, "IPPROTO_MPTCP", None)
    try:
        listener = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, proto)
    except (OSError, TypeError):
        pytest.skip("no MPTCP here")
    with listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = usocket.create_connection(listener.getsockname(), timeout=5)
        server, _ = listener.accept()
        with client, server:
            server.settimeout(5)
            client.sendall(b"M" * 3000)
            assert server.recv(3000, usocket.MSG_WAITALL) == b"M" * 3000
            client.sendall(b"x" * 3000)
            assert server.recv(3000, usocket.MSG_TRUNC | usocket.MSG_WAITALL) == bytes(3000)


def test_msg_trunc_on_a_unix_stream_is_an_ordinary_read(mod):
    # AF_UNIX copies the bytes MSG_TRUNC counts (only TCP discards them): they are the data.
    a, b = mod.socketpair()
    with a, b:
        for size in (100, 1000):
            a.sendall(b"C" * size)
            assert b.recv(size, mod.MSG_TRUNC | mod.MSG_WAITALL) == b"C" * size
            a.sendall(b"D" * size)
            data, _ = b.recvfrom(size, mod.MSG_TRUNC | mod.MSG_WAITALL)
            assert data == b"D" * size


def test_recv_answers_right_between_bulk_and_small_reads(mod):
    # Large answers send a socket's next receive straight into its bytes object, small ones
    # back through a buffer: every answer is the bytes sent, whichever way it went.
    a, b = mod.socketpair()
    with a, b:
        for i, n in enumerate((60000, 10, 40000, 1, 65536, 600, 33000, 513, 20000, 100)):
            data = bytes([65 + i]) * n
            a.sendall(data)
            got = b""
            for _ in range(100):
                got += b.recv(65536) if i % 2 else b.recvfrom(65536)[0]
                if len(got) >= n:
                    break
            assert got == data, (i, n, len(got))


def test_constructor_errors(mod):
    with pytest.raises(ValueError, match="negative file descriptor"):
        mod.socket(fileno=-1)
    with pytest.raises(OSError) as e:
        mod.socket(12345)
    assert e.value.errno == errno.EAFNOSUPPORT
    with pytest.raises(TypeError):
        mod.socket("x")
    r, w = os.pipe()
    try:
        with pytest.raises(OSError) as e:
            mod.socket(fileno=r)
        assert e.value.errno == errno.ENOTSOCK
    finally:
        os.close(r)
        os.close(w)


def test_bind_listen_accept_connect(mod):
    with mod.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        host, port = listener.getsockname()
        assert host == "127.0.0.1" and 0 < port < 65536
        listener.listen(5)
        with mod.socket() as client:
            client.connect(("127.0.0.1", port))
            conn, addr = listener.accept()
            with conn:
                assert type(conn) is mod.socket or isinstance(conn, mod.socket)
                assert addr == client.getsockname()
                assert conn.getpeername() == client.getsockname()
                assert client.getpeername() == ("127.0.0.1", port)
                assert conn.gettimeout() is None


def test_listen_without_backlog(mod):
    with mod.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_ACCEPTCONN) == 1


def test_connect_ex_returns_errno(mod):
    with mod.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
        with mod.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
    with mod.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with mod.socket() as s:
            assert s.connect_ex(listener.getsockname()) == 0
            listener.accept()[0].close()


def test_send_recv(pair):
    client, server = pair
    assert client.send(b"hello") == 5
    assert server.recv(1024) == b"hello"
    client.sendall(b"x" * 100000)
    got = b""
    while len(got) < 100000:
        chunk = server.recv(65536)
        assert chunk
        got += chunk
    assert got == b"x" * 100000
    client.close()
    assert server.recv(10) == b""


@pytest.mark.parametrize("data", [b"abc", bytearray(b"abc"), memoryview(b"xabc")[1:], array.array("b", b"abc")])
def test_send_bytes_like(pair, data):
    client, server = pair
    assert client.send(data) == 3
    assert server.recv(3) == b"abc"
    client.sendall(data)
    assert server.recv(3) == b"abc"


def test_send_str_is_utf8_in_usocket(upair):
    # SPEC: a str given to send/sendall is sent as UTF-8 (MicroPython; the seeds send text).
    client, server = upair
    assert client.send("héllo") == len("héllo".encode())
    client.sendall("wörld")
    assert server.recv(100) == "héllowörld".encode()


def test_send_str_rejected_by_cpython():
    import socket
    a, b = socket.socketpair()
    with a, b, pytest.raises(TypeError):
        a.send("x")


def test_sendto_takes_bytes_only(mod):
    with mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as s:
        with pytest.raises(TypeError, match="bytes-like"):
            s.sendto("text", ("127.0.0.1", 9))


def test_recv_into_no_copy(pair):
    client, server = pair
    buf = bytearray(10)
    client.send(b"abcdef")
    assert server.recv_into(buf, 3) == 3
    assert buf[:3] == b"abc"
    view = memoryview(buf)[5:]
    assert server.recv_into(view) == 3
    assert buf == b"abc\0\0def\0\0"
    client.send(b"zz")
    assert server.recv_into(buffer=buf, nbytes=0, flags=0) == 2
    arr = array.array("i", [0, 0])
    client.send(b"\1\0\0\0\2\0\0\0")
    assert server.recv_into(arr) == 8
    assert arr.tolist() == [1, 2]


def test_recv_into_argument_errors(pair):
    client, server = pair
    with pytest.raises(ValueError, match="buffer too small"):
        server.recv_into(bytearray(2), 5)
    with pytest.raises(ValueError, match="negative buffersize in recv_into"):
        server.recv_into(bytearray(2), -1)
    with pytest.raises(TypeError, match="read-write bytes-like"):
        server.recv_into(b"immutable")
    with pytest.raises(TypeError, match="invalid keyword"):
        server.recv_into(bytearray(2), foo=1)
    with pytest.raises(TypeError, match="missing required argument 'buffer'"):
        server.recv_into()


def test_recv_argument_errors(pair):
    client, server = pair
    with pytest.raises(ValueError, match="negative buffersize in recv"):
        server.recv(-1)
    with pytest.raises(TypeError):
        server.recv(1.5)
    with pytest.raises(OverflowError):
        server.recv(2 ** 70)
    with pytest.raises(TypeError, match="at least 1 argument"):
        server.recv()
    with pytest.raises(TypeError, match="at most 2 arguments"):
        server.send(b"x", 0, 0)
    with pytest.raises(OverflowError):
        server.send(b"x", 2 ** 40)


def test_recv_flags_peek_and_waitall(pair):
    client, server = pair
    client.send(b"peekaboo")
    assert server.recv(4, mod_flag(server, "MSG_PEEK")) == b"peek"
    assert server.recv(8, mod_flag(server, "MSG_WAITALL")) == b"peekaboo"


def mod_flag(sock, name):
    import socket
    return getattr(usocket if isinstance(sock, usocket.socket) else socket, name)


def test_udp_sendto_recvfrom(mod):
    with mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as a, mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as b:
        b.bind(("127.0.0.1", 0))
        a.bind(("127.0.0.1", 0))
        assert a.sendto(b"ping", b.getsockname()) == 4
        data, addr = b.recvfrom(100)
        assert data == b"ping" and addr == a.getsockname()
        assert a.sendto(b"pong", 0, b.getsockname()) == 4
        buf = bytearray(10)
        n, addr = b.recvfrom_into(buf)
        assert (n, bytes(buf[:n]), addr) == (4, b"pong", a.getsockname())
        a.sendto(b"12345678", b.getsockname())
        n, addr = b.recvfrom_into(buf, 3)
        assert n == 3 and buf[:3] == b"123"  # the rest of the datagram is discarded


def test_recvfrom_on_stream_has_no_address(pair):
    client, server = pair
    client.send(b"x")
    assert server.recvfrom(10) == (b"x", None)


def test_timeouts(mod):
    with mod.socket() as s:
        s.settimeout(2)
        assert s.gettimeout() == 2.0 and s.timeout == 2.0
        assert isinstance(s.gettimeout(), float)
        assert s.getblocking() is True
        s.settimeout(0.25)
        assert s.gettimeout() == 0.25
        s.settimeout(0)
        assert s.gettimeout() == 0.0 and s.getblocking() is False
        s.setblocking(True)
        assert s.gettimeout() is None and s.getblocking() is True
        s.setblocking(0)
        assert s.gettimeout() == 0.0
        s.settimeout(None)
        assert s.gettimeout() is None
        with pytest.raises(ValueError, match="Timeout value out of range"):
            s.settimeout(-1)
        with pytest.raises(ValueError, match="NaN"):
            s.settimeout(float("nan"))
        with pytest.raises(TypeError):
            s.settimeout("1")
        with pytest.raises(OverflowError):
            s.settimeout(1e300)
        assert s.gettimeout() is None  # a bad value changes nothing


def test_sockopts(mod):
    with mod.socket() as s:
        s.setsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR, 1)
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR) == 1
        s.setsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR, False)
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR) == 0
        s.setsockopt(mod.IPPROTO_TCP, mod.TCP_NODELAY, (1).to_bytes(4, "little"))
        raw = s.getsockopt(mod.IPPROTO_TCP, mod.TCP_NODELAY, 4)
        assert isinstance(raw, bytes) and int.from_bytes(raw, "little") == 1
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_TYPE) == mod.SOCK_STREAM
        with pytest.raises(OSError, match="buflen out of range"):
            s.getsockopt(mod.SOL_SOCKET, mod.SO_TYPE, 2000)
        assert s.getsockopt(mod.SOL_SOCKET, mod.SO_TYPE, 0) == mod.SOCK_STREAM
        with pytest.raises(OSError) as e:
            s.setsockopt(mod.SOL_SOCKET, 12345, 1)
        assert e.value.errno == errno.ENOPROTOOPT
        with pytest.raises(TypeError):
            s.setsockopt(mod.SOL_SOCKET, mod.SO_REUSEADDR, "x")


def test_shutdown(pair):
    client, server = pair
    client.shutdown(2 - 1)  # SHUT_WR
    assert server.recv(10) == b""
    server.send(b"still open")
    assert client.recv(100) == b"still open"


def test_close_twice_and_closed_errors(mod):
    s = mod.socket()
    s.close()
    s.close()
    assert s.fileno() == -1
    for call in (lambda: s.recv(1), lambda: s.send(b"x"), lambda: s.bind(("127.0.0.1", 0)),
                 lambda: s.getsockname(), lambda: s.listen()):
        with pytest.raises(OSError) as e:
            call()
        assert e.value.errno == errno.EBADF


def test_detach(mod):
    s = mod.socket()
    fd = s.detach()
    assert fd >= 0 and s.fileno() == -1
    assert "[closed]" in repr(s)
    os.close(fd)


def test_dup(mod):
    with mod.socket() as s:
        s.settimeout(3)
        with s.dup() as d:
            assert d.fileno() != s.fileno()
            assert (d.family, d.type, d.proto) == (s.family, s.type, s.proto)
            assert d.gettimeout() == 3.0


def test_inheritable(mod):
    with mod.socket() as s:
        assert s.get_inheritable() is False
        s.set_inheritable(True)
        assert s.get_inheritable() is True


def test_context_manager(mod):
    with mod.socket() as s:
        assert s.fileno() >= 0
    assert s.fileno() == -1


def test_repr_matches_cpython_layout(mod):
    with mod.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        prefix = "<%s.socket fd=%d, family=2, type=1, proto=0" % ("usocket" if mod is usocket else "socket", s.fileno())
        assert repr(s) == prefix + ", laddr=('127.0.0.1', %d)>" % port
    assert "[closed] fd=-1" in repr(s)


def test_repr_connected_and_subclass(upair):
    client, server = upair
    r = repr(client)
    assert r.startswith("<usocket.socket fd=") and "raddr=('127.0.0.1', " in r

    class My(usocket.socket):
        pass
    with My() as m:
        assert repr(m).startswith("<%s.%s fd=" % (My.__module__, My.__qualname__))


def test_type_shape():
    assert usocket.SocketType is usocket.socket
    for name in ("accept", "bind", "close", "connect", "connect_ex", "detach", "dup", "fileno", "getpeername",
                 "getsockname", "getsockopt", "gettimeout", "listen", "makefile", "recv", "recv_into", "recvfrom",
                 "recvfrom_into", "send", "sendall", "sendto", "setblocking", "setsockopt", "settimeout",
                 "shutdown", "getblocking", "__enter__", "__exit__"):
        assert hasattr(usocket.socket, name), name
    with usocket.socket() as s:
        ref = weakref.ref(s)
        assert ref() is s
        with pytest.raises(TypeError, match="cannot pickle"):
            pickle.dumps(s)
        with pytest.raises(AttributeError):
            s.family = 3
        with pytest.raises(AttributeError):
            s.arbitrary = 1


def test_subclass_gets_dict_and_methods():
    class Tagged(usocket.socket):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.tag = "t"

    with Tagged(usocket.AF_INET, usocket.SOCK_DGRAM) as s:
        assert s.tag == "t" and s.type == usocket.SOCK_DGRAM
        s.bind(("127.0.0.1", 0))
        with s.dup() as d:
            assert type(d) is Tagged and d.tag == "t"


def test_weakref_dies_with_socket():
    s = usocket.socket()
    ref = weakref.ref(s)
    s.close()
    del s
    assert ref() is None


def test_unclosed_socket_warns(recwarn):
    s = usocket.socket()
    fd = s.fileno()
    del s
    assert any(issubclass(w.category, ResourceWarning) for w in recwarn.list)
    with pytest.raises(OSError):
        os.fstat(fd)


def test_accept_mode_from_default_timeout(mod):
    listener, client, server = tcp_pair(mod)
    try:
        listener.settimeout(5)
        assert server.gettimeout() is None  # not inherited from the listener
    finally:
        for s in (listener, client, server):
            s.close()
