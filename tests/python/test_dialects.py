"""The seed dialects usocket.lwip_board (seed 000) and usocket.zerynth (seed 002), each
difference from usocket, with bad input, timeouts part-way, resets and signals; MicroPython's
stream forms write(buf, max_len) / write(buf, off, max_len). Loopback only."""

import errno
import os
import re
import inspect
import select
import signal
import socket as cpython_socket
import struct
import threading
import time

import pytest

import usocket
import usocket.lwip_board as lwip_board
import usocket.zerynth as zerynth
from conftest import UNRESOLVABLE, outcome


def tcp_pair(mod):
    """(listener, client, server side) of module `mod`, connected over loopback."""
    listener = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    client = mod.socket(mod.AF_INET, mod.SOCK_STREAM)
    client.connect(listener.getsockname())
    server, _ = listener.accept()
    return listener, client, server


@pytest.fixture
def lpair():
    sockets = tcp_pair(lwip_board)
    yield sockets[1], sockets[2]
    for s in sockets:
        s.close()


@pytest.fixture
def zpair():
    sockets = tcp_pair(zerynth)
    yield sockets[1], sockets[2]
    for s in sockets:
        s.close()


def wait_readable(sock, seconds=10):
    assert select.select([sock], [], [], seconds)[0], "nothing arrived"


def later(seconds, fn, *args):
    """Runs fn(*args) in a thread after `seconds`; returns the thread (join it)."""
    def run():
        time.sleep(seconds)
        fn(*args)
    t = threading.Thread(target=run)
    t.start()
    return t


# --- both dialects --------------------------------------------------------------------------------

@pytest.mark.parametrize("mod", [lwip_board, zerynth], ids=["lwip_board", "zerynth"])
def test_a_dialect_is_usocket_with_its_own_socket_class(mod):
    assert issubclass(mod.socket, usocket.socket) and mod.SocketType is mod.socket
    for name in ("AF_INET", "SOCK_STREAM", "select", "poll", "inet_pton", "error", "timeout", "gaierror",
                 "getdefaulttimeout", "reset", "print_pcbs", "callback"):
        assert getattr(mod, name) is getattr(usocket, name), name
    listener, client, server = tcp_pair(mod)
    try:
        assert all(type(s) is mod.socket for s in (listener, client, server))
        with client.dup() as copy:
            assert type(copy) is mod.socket
        a, b = mod.socketpair()
        with a, b:
            assert type(a) is mod.socket and type(b) is mod.socket
            b.sendall(b"x")
            assert bytes(a.recv(1)) == b"x"
        with mod.fromfd(client.fileno(), mod.AF_INET, mod.SOCK_STREAM) as f:
            assert type(f) is mod.socket and f.getpeername() == client.getpeername()
        with mod.create_server(("127.0.0.1", 0)) as srv, \
                mod.create_connection(srv.getsockname(), timeout=10) as conn:
            assert type(srv) is mod.socket and type(conn) is mod.socket
            peer, _ = srv.accept()
            with peer:
                assert type(peer) is mod.socket
        # What the module functions refuse, they refuse as usocket's do.
        assert outcome(mod.fromfd, -1, 2, 1) == outcome(usocket.fromfd, -1, 2, 1)
        assert outcome(mod.socketpair, "x") == outcome(usocket.socketpair, "x")
    finally:
        for s in (listener, client, server):
            s.close()


def test_adopt_refuses_what_it_cannot_take():
    with usocket.socket() as s:
        with pytest.raises(TypeError):
            usocket._usocket._adopt(int, s)
        with pytest.raises(TypeError):
            usocket._usocket._adopt(zerynth.socket, object())
        f = s.makefile("rb")
        with pytest.raises(RuntimeError):
            usocket._usocket._adopt(zerynth.socket, s)  # a file still uses it
        f.close()
        class Other(zerynth.socket):
            def __new__(cls, *args):
                return s  # not a new socket object

        class Open(zerynth.socket):
            def __new__(cls, *args):
                return zerynth.socket()  # one with a descriptor of its own

        for cls in (Other, Open):
            with pytest.raises(TypeError):
                usocket._usocket._adopt(cls, s)
        assert s.fileno() >= 0
        moved = usocket._usocket._adopt(zerynth.socket, s)
        with moved:
            assert s.fileno() == -1 and moved.fileno() >= 0 and s._closed


# --- usocket.lwip_board ---------------------------------------------------------------------------

def test_lwip_board_timeouts_are_milliseconds():
    with lwip_board.socket() as s:
        assert s.gettimeout() is None and s.timeout is None
        s.settimeout(1000)
        assert s.gettimeout() == 1000 and type(s.gettimeout()) is int and s.timeout == 1000
        assert usocket.socket.gettimeout(s) == 1.0  # one second in the one implementation
        s.settimeout(1.5)
        assert s.gettimeout() == 1.5 and usocket.socket.gettimeout(s) == 0.0015
        s.settimeout(0)
        assert s.gettimeout() == 0 and not s.getblocking()
        s.settimeout(None)
        assert s.gettimeout() is None and s.getblocking()
        s.setblocking(0)
        assert s.gettimeout() == 0
        s.setblocking(1)
        assert s.gettimeout() is None


@pytest.mark.parametrize("bad", [-1, -0.5, float("nan"), float("inf"), 10**400, "1000", b"1", [], 1j])
def test_lwip_board_bad_timeouts_raise_as_cpython_and_change_nothing(bad):
    cp = cpython_socket.socket()
    with lwip_board.socket() as s, cp:
        s.settimeout(250)
        expected = outcome(cp.settimeout, bad)
        got = outcome(s.settimeout, bad)
        assert got[0] == "raise" and got[1] == expected[1], (got, expected)
        assert s.gettimeout() == 250


def test_lwip_board_integer_like_timeouts_are_milliseconds_too():
    class Ms:
        def __index__(self):
            return 1500

    with lwip_board.socket() as s:
        s.settimeout(Ms())
        assert s.gettimeout() == 1500


def test_lwip_board_timeout_waits_milliseconds(lpair):
    client, server = lpair
    server.settimeout(200)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        server.recv(10)
    assert 0.15 < time.monotonic() - start < 30  # 200 ms, not 200 s


def test_lwip_board_repr_is_the_ports():
    with lwip_board.socket() as s:
        assert repr(s) == "<socket state=0 timeout=-1 incoming=0 remaining=0>"
        s.settimeout(1000)
        assert repr(s) == "<socket state=0 timeout=1000 incoming=0 remaining=0>"
        s.settimeout(0)
        assert repr(s) == "<socket state=0 timeout=0 incoming=0 remaining=0>"
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        assert repr(s).startswith("<socket state=0 ")  # a listener stays "new" on that port
    assert repr(s) == "<socket state=-16 timeout=0 incoming=0 remaining=0>"  # closed: _ERR_BADF
    with lwip_board.socket(lwip_board.AF_INET, lwip_board.SOCK_DGRAM) as u:
        assert repr(u) == "<socket state=0 timeout=-1 incoming=0 remaining=0>"


def test_lwip_board_repr_counts_incoming_and_buffered_bytes(lpair):
    client, server = lpair
    assert repr(server) == "<socket state=2 timeout=-1 incoming=0 remaining=0>"
    client.sendall(b"ab\ncdef")
    wait_readable(server)
    assert repr(server) == "<socket state=2 timeout=-1 incoming=7 remaining=0>"
    assert server.readline() == b"ab\n"  # reads ahead: the rest waits in the buffer
    assert repr(server) == "<socket state=2 timeout=-1 incoming=0 remaining=4>"
    client.sendall(b"gh")
    wait_readable(server)
    assert repr(server) == "<socket state=2 timeout=-1 incoming=2 remaining=4>"
    assert server.read(6) == b"cdefgh"
    client.close()
    deadline = time.monotonic() + 10
    while "state=3" not in repr(server) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert repr(server) == "<socket state=3 timeout=-1 incoming=0 remaining=0>"


def test_lwip_board_repr_while_connecting():
    # A listener whose queue is full drops the next SYN: that connect stays in progress.
    with lwip_board.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        first = lwip_board.socket()
        first.connect(listener.getsockname())
        second = lwip_board.socket()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                second.settimeout(0)
                err = second.connect_ex(listener.getsockname())
                if err in (errno.EINPROGRESS, errno.EAGAIN):
                    break
                second.close()  # the queue had room: try again with a new socket
                second = lwip_board.socket()
            assert repr(second).startswith("<socket state=1 timeout=0 ")
            with pytest.raises(BlockingIOError):
                second.connect(listener.getsockname())
            assert repr(second).startswith("<socket state=1 ")
        finally:
            first.close()
            second.close()


def test_lwip_board_repr_after_a_failed_connect():
    with lwip_board.socket() as closed_port:
        closed_port.bind(("127.0.0.1", 0))
        address = closed_port.getsockname()  # bound, not listening: connections are refused
        with lwip_board.socket() as s:
            s.settimeout(0)
            err = s.connect_ex(address)
            if err == errno.EINPROGRESS:
                assert select.select([], [s], [], 10)[1]
            else:
                assert err == errno.ECONNREFUSED
            assert repr(s) == "<socket state=0 timeout=0 incoming=0 remaining=0>"


def test_lwip_board_getaddrinfo_returns_the_one_entry():
    assert lwip_board.getaddrinfo("localhost", 80) == [
        (lwip_board.AF_INET, lwip_board.SOCK_STREAM, lwip_board.IPPROTO_TCP, "", ("127.0.0.1", 80))]
    assert lwip_board.getaddrinfo("127.0.0.1", 80) == [
        e for e in usocket.getaddrinfo("127.0.0.1", 80) if e[1] == usocket.SOCK_STREAM][:1]
    # No IPv4 stream result: the first of what there is.
    assert lwip_board.getaddrinfo("::1", 80) == usocket.getaddrinfo("::1", 80)[:1]
    assert lwip_board.getaddrinfo("127.0.0.1", 53, type=lwip_board.SOCK_DGRAM) == \
        usocket.getaddrinfo("127.0.0.1", 53, type=usocket.SOCK_DGRAM)[:1]
    with pytest.raises(lwip_board.gaierror):
        lwip_board.getaddrinfo(UNRESOLVABLE, 80)
    for bad in [(), ("localhost",), ("localhost", 80.5), ("localhost", [])]:
        assert outcome(lwip_board.getaddrinfo, *bad)[:2] == outcome(cpython_socket.getaddrinfo, *bad)[:2]


def test_lwip_board_module_functions_are_the_backends(capsys, lpair):
    client, server = lpair
    lwip_board.print_pcbs()
    out = capsys.readouterr().out
    assert "fd=%d " % server.fileno() in out
    with pytest.raises(NotImplementedError):
        lwip_board.callback()
    assert client.send("text") == 4 and server.recv(4) == b"text"  # send of a str, as seed 000


def test_lwip_board_reset_shuts_every_socket_down(lpair):
    client, server = lpair
    lwip_board.reset()
    assert server.recv(10) == b"" and client.recv(10) == b""


# --- usocket.zerynth -------------------------------------------------------------------------------

def test_zerynth_sendtimeout_is_milliseconds_settimeout_seconds():
    with zerynth.socket() as s:
        s.sendtimeout(250)
        assert s.gettimeout() == 0.25 and s.timeout == 0.25  # gettimeout: CPython's seconds
        s.sendtimeout(0)
        assert s.gettimeout() == 0.0 and not s.getblocking()
        s.sendtimeout(None)
        assert s.gettimeout() is None
        s.settimeout(2)
        assert s.gettimeout() == 2.0


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "250", [], 1j])
def test_zerynth_bad_sendtimeout_raises_as_cpython_settimeout(bad):
    cp = cpython_socket.socket()
    with zerynth.socket() as s, cp:
        s.sendtimeout(250)
        expected = outcome(cp.settimeout, bad)
        got = outcome(s.sendtimeout, bad)
        assert got[0] == "raise" and got[1] == expected[1], (got, expected)
        assert s.gettimeout() == 0.25


def test_zerynth_recv_blocks_until_bufsize(zpair):
    client, server = zpair
    t = later(0.05, lambda: [client.sendall(p) or time.sleep(0.05) for p in (b"ab", b"cd", b"efghij")])
    data = server.recv(10)
    t.join(10)
    assert data == b"abcdefghij" and type(data) is bytearray
    client.sendall(b"xyz")
    client.shutdown(usocket.SHUT_WR)
    data = server.recv(10)  # fewer only at the end of the stream
    assert data == b"xyz" and type(data) is bytearray
    assert server.recv(10) == bytearray()


def test_zerynth_recv_into_blocks_until_bufsize(zpair):
    client, server = zpair
    buf = bytearray(8)
    t = later(0.05, lambda: [client.sendall(p) or time.sleep(0.05) for p in (b"1234", b"5678")])
    assert server.recv_into(buf) == 8 and buf == b"12345678"  # bufsize=-1: the whole buffer
    t.join(10)
    client.sendall(b"abcdef")
    assert server.recv_into(buf, 3) == 3 and buf[:3] == b"abc"
    assert server.recv_into(memoryview(buf)[4:], 3) == 3 and buf[4:7] == b"def"
    assert server.recv_into(buf, 0) == 0
    client.close()
    assert server.recv_into(buf) == 0


@pytest.mark.parametrize("how", ["recv", "recv_into"])
def test_zerynth_timeout_part_way_keeps_the_bytes(zpair, how):
    client, server = zpair
    server.sendtimeout(300)
    client.sendall(b"abcd")
    buf = bytearray(10)
    with pytest.raises(TimeoutError):
        server.recv(10) if how == "recv" else server.recv_into(buf)
    client.sendall(b"efghij")
    if how == "recv":
        assert server.recv(10) == b"abcdefghij"
    else:
        assert server.recv_into(buf) == 10 and buf == b"abcdefghij"


def test_zerynth_timeout_with_nothing_and_usocket_keeps_the_rest(zpair):
    client, server = zpair
    server.sendtimeout(100)
    with pytest.raises(TimeoutError):
        server.recv(1)
    client.sendall(b"12")
    with pytest.raises(TimeoutError):
        server.recv(3)
    assert usocket.socket.recv(server, 10) == b"12"  # the kept bytes, to usocket's recv too


def test_zerynth_non_blocking_returns_what_is_there(zpair):
    client, server = zpair
    server.sendtimeout(0)
    with pytest.raises(BlockingIOError) as e:
        server.recv(10)
    assert e.value.errno in (errno.EAGAIN, errno.EWOULDBLOCK)
    with pytest.raises(BlockingIOError):
        server.recv_into(bytearray(4))
    client.sendall(b"abc")
    wait_readable(server)
    assert server.recv(10) == bytearray(b"abc")
    client.sendall(b"de")
    wait_readable(server)
    buf = bytearray(10)
    assert server.recv_into(buf) == 2 and buf[:2] == b"de"


def test_zerynth_recv_with_flags_is_one_receive(zpair):
    client, server = zpair
    client.sendall(b"peek")
    wait_readable(server)
    data = server.recv(100, zerynth.MSG_PEEK)
    assert data == b"peek" and type(data) is bytearray
    assert server.recv(4) == b"peek"


def test_zerynth_datagrams_one_at_a_time():
    with zerynth.socket(zerynth.AF_INET, zerynth.SOCK_DGRAM) as a, \
            zerynth.socket(zerynth.AF_INET, zerynth.SOCK_DGRAM) as b:
        a.bind(("127.0.0.1", 0))
        b.connect(a.getsockname())
        a.sendtimeout(10000)
        for d in (b"one", b"two", b"three", b"four", b"five"):
            b.send(d)
        data = a.recv(100)
        assert data == b"one" and type(data) is bytearray  # one datagram, not 100 bytes
        data, addr = a.recvfrom(100)
        assert data == b"two" and type(data) is bytearray and addr == b.getsockname()
        buf = bytearray(10)
        assert a.recvfrom_into(buf) == (5, b.getsockname()) and buf[:5] == b"three"
        assert a.recvfrom_into(buf, 2) == (2, b.getsockname()) and buf[:2] == b"fo"  # truncated
        assert a.recvfrom_into(buf, 0) == (0, b.getsockname())  # consumes "five"
        a.sendtimeout(0)
        with pytest.raises(BlockingIOError):
            a.recv(10)


BAD_SIZES = [-1, 1.5, "10", None, 2**40, 2**63, 2**200]


@pytest.mark.parametrize("bad", BAD_SIZES)
def test_zerynth_recv_bad_sizes_raise_as_cpython(zpair, bad):
    client, server = zpair
    _, cp_client, cp_server = sockets = tcp_pair(cpython_socket)
    try:
        assert outcome(server.recv, bad)[:2] == outcome(cp_server.recv, bad)[:2]
        assert outcome(server.recvfrom, bad)[:2] == outcome(cp_server.recvfrom, bad)[:2]
        assert outcome(server.recv, 10, bad)[:2] == outcome(cp_server.recv, 10, bad)[:2]
    finally:
        for s in sockets:
            s.close()
    client.sendall(b"still")
    assert server.recv(5) == b"still"  # nothing was consumed


def test_zerynth_recv_into_bad_arguments(zpair):
    client, server = zpair
    buf = bytearray(4)
    with pytest.raises(ValueError):
        server.recv_into(buf, 5)
    with pytest.raises(ValueError):
        server.recvfrom_into(buf, 5)
    for bad_buffer in (b"readonly", "text", 5, None, memoryview(b"ro")):
        with pytest.raises(TypeError):
            server.recv_into(bad_buffer)
        with pytest.raises(TypeError):
            server.recvfrom_into(bad_buffer)
    with pytest.raises(TypeError):
        server.recv_into(buf, 2.0)
    with pytest.raises(TypeError):
        server.recv_into(buf, 2, "flags")
    with pytest.raises(TypeError):
        server.recv_into(b"readonly", 0)  # even when nothing is asked
    client.sendall(b"ok")
    assert server.recv_into(buf, 2) == 2 and buf[:2] == b"ok"


def test_zerynth_closed_socket_is_ebadf():
    s = zerynth.socket()
    s.close()
    for call in (lambda: s.recv(10), lambda: s.recv_into(bytearray(4)), lambda: s.recvfrom(4),
                 lambda: s.sendtimeout(10), lambda: s.listen()):
        with pytest.raises(OSError) as e:
            call()
        assert e.value.errno == errno.EBADF


def test_zerynth_peer_reset_mid_recv_keeps_the_bytes(zpair):
    client, server = zpair
    client.sendall(b"abc")
    wait_readable(server)

    def reset():
        client.setsockopt(usocket.SOL_SOCKET, usocket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()

    t = later(0.5, reset)
    with pytest.raises(ConnectionResetError):
        server.recv(10)
    t.join(10)
    assert server.recv(3) == b"abc"  # received before the reset: still there


class Interrupted(Exception):
    pass


def test_zerynth_signal_during_recv_runs_the_handler_and_goes_on(zpair):
    client, server = zpair
    seen = []
    old = signal.signal(signal.SIGALRM, lambda *a: seen.append(1))
    try:
        t = later(0.6, client.sendall, b"rest")
        client.sendall(b"first")
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        assert server.recv(9) == b"firstrest"
        t.join(10)
        assert seen == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_zerynth_signal_handler_that_raises_keeps_the_bytes(zpair):
    client, server = zpair

    def handler(*_):
        raise Interrupted()

    old = signal.signal(signal.SIGALRM, handler)
    try:
        client.sendall(b"part")
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Interrupted):
            server.recv(8)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    client.sendall(b"more")
    assert server.recv(8) == b"partmore"


def test_zerynth_makefile_reads_are_single_receives(zpair):
    client, server = zpair
    client.sendall(b"line one\n")
    with server.makefile("rb") as f:
        server.sendtimeout(10000)
        assert f.readline() == b"line one\n"  # would wait for 8192 bytes with the dialect's recv_into


def test_zerynth_listen_default_is_2():
    assert inspect.signature(zerynth.socket.listen).parameters["maxlog"].default == 2
    # Linux queues backlog + 1 connections; the next SYN is dropped, so that connect waits.
    with zerynth.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        clients = [zerynth.socket() for _ in range(4)]
        try:
            for c in clients[:3]:
                c.sendtimeout(10000)
                c.connect(listener.getsockname())
            clients[3].sendtimeout(300)
            with pytest.raises(TimeoutError):
                clients[3].connect(listener.getsockname())
        finally:
            for c in clients:
                c.close()
    with zerynth.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(maxlog=5)
        with pytest.raises(TypeError):
            listener.listen("2")


def test_zerynth_bind_port_and_ipv4_forms():
    with zerynth.socket(zerynth.AF_INET, zerynth.SOCK_DGRAM) as a, \
            zerynth.socket(zerynth.AF_INET, zerynth.SOCK_DGRAM) as b:
        a.bind(0)  # a bare port: every local address
        host, port = a.getsockname()
        assert host == "0.0.0.0" and port != 0
        b.bind("127.0.0.1")  # a string: port 0
        assert b.getsockname()[0] == "127.0.0.1" and b.getsockname()[1] != 0
        a.sendtimeout(10000)
        for address in ("127.0.0.1", port), (127, 0, 0, 1, port):
            assert b.sendto(b"x", address) == 1
            assert a.recvfrom(10) == (bytearray(b"x"), b.getsockname())
        with zerynth.socket() as listener, zerynth.socket() as c:
            listener.bind((127, 0, 0, 1))  # a tuple of four: port 0
            listener.listen()
            c.connect((127, 0, 0, 1, listener.getsockname()[1]))
            conn, addr = listener.accept()
            with conn:
                assert addr == c.getsockname() and type(conn) is zerynth.socket
        with pytest.raises(OverflowError):
            a.bind(70000)
        with pytest.raises(TypeError):
            a.bind((127, 0, 0))


def test_zerynth_ip_to_tuple_and_constants():
    assert zerynth.ip_to_tuple("192.168.1.10") == (192, 168, 1, 10)
    with pytest.raises(ValueError):
        zerynth.ip_to_tuple("192.168.1")
    with pytest.raises(TypeError):
        zerynth.ip_to_tuple(5)
    for name in ("AF_INET", "AF_INET6", "SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOL_SOCKET", "SO_RCVTIMEO",
                 "IPPROTO_TCP"):
        assert getattr(zerynth, name) == getattr(cpython_socket, name), name
    if hasattr(cpython_socket, "AF_CAN"):  # the platform's headers have it (no CAN device needed)
        assert zerynth.AF_CAN == cpython_socket.AF_CAN


# --- MicroPython's stream write forms --------------------------------------------------------------

def test_write_max_len_and_offset(upair):
    client, server = upair
    assert client.write(b"abcdef", 3) == 3
    assert client.write(bytearray(b"abcdef"), 2, 3) == 3
    assert client.write(b"abc", 10) == 3  # max_len past the end: the whole buffer
    assert client.write(b"abc", 5, 2) == 0  # an offset past the end writes nothing
    assert client.write(b"abc", 0) == 0
    assert client.write("text", 2) == 2  # a str is its UTF-8 bytes
    assert client.write(memoryview(b"xyz")[1:], 0, 1) == 1
    assert client.write(b"end") == 3
    assert server.read(15) == b"abccdeabcteyend"


@pytest.mark.parametrize("args, exc", [
    ((), TypeError), ((b"a", 1, 2, 3), TypeError), ((b"a", -1), ValueError), ((b"a", 0, -1), ValueError),
    ((b"a", -1, 1), ValueError), ((b"a", "1"), TypeError), ((b"a", 1.0), TypeError), ((b"a", 0, None), TypeError),
    ((5, 1), TypeError), ((b"a", 2**70), OverflowError)])
def test_write_bad_arguments_send_nothing(upair, args, exc):
    client, server = upair
    with pytest.raises(exc):
        client.write(*args)
    client.write(b"!")
    assert server.recv(10) == b"!"


def test_write_non_blocking_forms(upair):
    client, server = upair
    client.setblocking(False)
    assert client.write(b"0123456789", 2, 5) == 5
    assert server.recv(10) == b"23456"


def test_ntptime_calls():
    """ntptime's calls: getaddrinfo(host, 123)[0][-1], a datagram socket with settimeout(1),
    sendto() of the query and recv(48) of the answer."""
    responder = cpython_socket.socket(cpython_socket.AF_INET, cpython_socket.SOCK_DGRAM)
    responder.bind(("127.0.0.1", 0))
    responder.settimeout(10)

    def answer():
        query, peer = responder.recvfrom(48)
        responder.sendto(b"\x24" + bytes(39) + struct.pack("!I", 3900000000) + bytes(4), peer)

    t = threading.Thread(target=answer)
    t.start()
    try:
        addr = usocket.getaddrinfo("127.0.0.1", responder.getsockname()[1])[0][-1]
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        try:
            s.settimeout(1)
            query = bytearray(48)
            query[0] = 0x1B
            assert s.sendto(query, addr) == 48
            msg = s.recv(48)
        finally:
            s.close()
        assert struct.unpack("!I", msg[40:44])[0] == 3900000000
    finally:
        t.join(10)
        responder.close()


# --- the seeds' own examples through their dialects ------------------------------------------------
# tests/python/seed_examples/ as test_seed_examples.py runs them, with `import usocket as socket`
# replaced by the dialect's import, and run as the seeds' sessions are: statement by statement, an
# expression statement showing its repr (as at the seed's >>> prompt).

from test_seed_examples import EXAMPLES, Server, recv_all, run, serve_once  # noqa: E402


def dialect_script(name, tmp_path, module, port=None):
    with open(os.path.join(EXAMPLES, name)) as f:
        text = f.read()
    text, n = re.subn(r"^import usocket as socket$", "import usocket.%s as socket" % module, text, flags=re.M)
    assert n == 1, name
    text = re.sub(r"^from usocket import ", "from usocket.%s import " % module, text, flags=re.M)
    if port is not None:
        text, n = re.subn(r"^PORT = \d+", "PORT = %d" % port, text, flags=re.M)
        assert n == 1, name
    out = tmp_path / ("%s_%s" % (module, name))
    out.write_text("import ast\nsource = %r\nnamespace = {'__name__': '__main__'}\n"
                   "for node in ast.parse(source).body:\n"
                   "    exec(compile(ast.Interactive([node]), %r, 'single'), namespace)\n" % (text, name))
    return str(out)


def test_seed000_accept_session_through_lwip_board(tmp_path):
    server = Server(dialect_script("seed000_accept.py", tmp_path, "lwip_board"))
    with cpython_socket.create_connection(("127.0.0.1", server.port), timeout=30) as c:
        assert c.recv(100) == b"hello! client"
        c.sendall(b"0123456789")
    lines = server.finish().splitlines()
    assert lines[0] == "<socket state=2 timeout=-1 incoming=0 remaining=0>"  # the seed's own line
    assert re.match(r"\('127\.0\.0\.1', \d+\)$", lines[1])
    assert lines[2:] == ["13", "b'0123456789'"]


def test_seed000_client_through_lwip_board(tmp_path):
    def handler(conn):
        data = conn.recv(5)
        conn.sendall(b"hello")
        return data

    port, t, result = serve_once(handler)
    out = run(dialect_script("seed000_client.py", tmp_path, "lwip_board", port))
    t.join(30)
    assert result["value"] == b"hello" and out.splitlines() == ["5", "b'hello'"]


def test_seed000_getaddrinfo_through_lwip_board(tmp_path):
    entry = "[(%d, %d, %d, '', ('127.0.0.1', 80))]" % (lwip_board.AF_INET, lwip_board.SOCK_STREAM,
                                                       lwip_board.IPPROTO_TCP)
    assert run(dialect_script("seed000_getaddrinfo.py", tmp_path, "lwip_board")).splitlines() == [entry, entry]


def test_seed002_client_through_zerynth(tmp_path):
    port, t, result = serve_once(recv_all)
    run(dialect_script("seed002_client.py", tmp_path, "zerynth", port))
    t.join(30)
    assert result["value"] == b"Hello World!"


def test_seed002_accept_loop_through_zerynth(tmp_path):
    server = Server(dialect_script("seed002_server.py", tmp_path, "zerynth"))
    try:
        for _ in range(3):
            with cpython_socket.create_connection(("127.0.0.1", server.port), timeout=30) as c:
                assert recv_all(c) == b"Hello!"
        assert server.proc.poll() is None  # still looping, as the seed's `while True`
    finally:
        server.stop()


@pytest.mark.parametrize("mod", [lwip_board, zerynth], ids=["lwip_board", "zerynth"])
def test_stubs_name_what_each_dialect_defines(mod):
    """python/usocket/<dialect>.pyi (installed next to the module) declares every public method
    the dialect's class defines and every public module-level name it adds to usocket's."""
    import ast
    stub_path = os.path.join(os.path.dirname(mod.__file__), os.path.basename(mod.__file__)[:-3] + ".pyi")
    tree = ast.parse(open(stub_path).read())
    declared = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    declared |= {t.id for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                 for t in (n.targets if isinstance(n, ast.Assign) else [n.target]) if isinstance(t, ast.Name)}
    stub_class = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "socket")
    stub_methods = {n.name for n in stub_class.body if isinstance(n, ast.FunctionDef)}
    own = {name for name, v in vars(mod.socket).items() if not name.startswith("_")}
    assert own <= stub_methods, own - stub_methods
    added = {name for name in vars(mod) if not name.startswith("_") and not inspect.ismodule(getattr(mod, name))
             and getattr(usocket, name, None) is not getattr(mod, name)}
    assert added <= declared, added - declared


@pytest.mark.parametrize("mod", [lwip_board, zerynth], ids=["lwip_board", "zerynth"])
def test_close_and_repr_while_another_thread_waits_in_recv(mod):
    listener, client, server = tcp_pair(mod)
    outcome_of_recv = []

    def wait():
        try:
            outcome_of_recv.append(server.recv(10))
        except OSError as e:
            outcome_of_recv.append(e)

    try:
        (server.sendtimeout if mod is zerynth else server.settimeout)(2000)
        client.sendall(b"abc")  # zerynth's recv(10) now waits for 7 more
        t = threading.Thread(target=wait)
        t.start()
        time.sleep(0.2)
        assert repr(server)  # while the call waits: no crash, no hang
        if mod is lwip_board:
            assert repr(server).startswith("<socket state=2 timeout=2000 ")
        server.close()
        t.join(30)
        assert not t.is_alive() and len(outcome_of_recv) == 1
        # lwip_board's recv returned the 3 bytes at once; zerynth's waited and ends with an error.
        assert outcome_of_recv[0] == b"abc" if mod is lwip_board else isinstance(outcome_of_recv[0], OSError)
    finally:
        for s in (listener, client, server):
            s.close()
