"""Batched datagrams: socket.send_many / recv_many / recv_many_into (sendmmsg/recvmmsg under the
library's send_many/recv_many), on UDP over 127.0.0.1 and Unix datagram pairs."""

import errno
import time

import pytest

import usocket

from conftest import IMPLS


@pytest.fixture
def udp():
    """(sender, receiver): two UDP sockets bound to 127.0.0.1, the sender connected."""
    a = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    b = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    a.bind(("127.0.0.1", 0))
    b.bind(("127.0.0.1", 0))
    a.connect(b.getsockname())
    b.settimeout(5)
    yield a, b
    a.close()
    b.close()


def receive_all(sock, n, bufsize=2048):
    got = []
    for _ in range(n):  # bounded: at least one per call
        if len(got) >= n:
            break
        got += sock.recv_many(n - len(got), bufsize)
    return got


def test_send_many_to_the_connected_peer(udp):
    a, b = udp
    datagrams = [b"%03d" % i * (i % 7 + 1) for i in range(100)]
    # bytes, bytearray, memoryview alike
    mixed = [d if i % 3 == 0 else bytearray(d) if i % 3 == 1 else memoryview(d) for i, d in enumerate(datagrams)]
    assert a.send_many(mixed) == 100
    got = receive_all(b, 100)
    assert [d for d, _ in got] == datagrams
    assert all(addr == a.getsockname() for _, addr in got)


def test_send_many_with_addresses(udp):
    a, b = udp
    c = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    try:
        c.bind(("127.0.0.1", 0))
        c.settimeout(5)
        s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        with s:
            assert s.send_many([(b"to b", b.getsockname()), (b"to c", c.getsockname()), (b"b again", b.getsockname()),
                                (b"", c.getsockname())], 0) == 4
            assert [d for d, _ in receive_all(b, 2)] == [b"to b", b"b again"]
            assert [d for d, _ in receive_all(c, 2)] == [b"to c", b""]
            # The same address object again, then another, then the first.
            to_b, to_c = b.getsockname(), c.getsockname()
            assert s.send_many([(b"1", to_b), (b"2", to_b), (b"3", to_c), (b"4", to_b)]) == 4
            assert [d for d, _ in receive_all(b, 3)] == [b"1", b"2", b"4"]
            assert [d for d, _ in receive_all(c, 1)] == [b"3"]
            # A pair on a connected socket goes where it says, bare bytes to the peer.
            assert a.send_many([(b"x", c.getsockname()), b"y"]) == 2
            assert c.recv_many(4, 16) == [(b"x", a.getsockname())]
            assert b.recv_many(4, 16) == [(b"y", a.getsockname())]
    finally:
        c.close()


def test_send_many_takes_the_list_as_it_was_called_with(udp):
    # Converting an address runs Python code (a port's __index__), which may change the list:
    # the call sends the list as it was given, never items it no longer holds.
    a, b = udp
    port = b.getsockname()[1]
    datagrams = []

    class Port:
        def __index__(self):
            datagrams.clear()
            return port

    datagrams.extend([(b"first", ("127.0.0.1", Port()))] + [b"d%d" % i for i in range(50)])
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    with s:
        s.connect(b.getsockname())
        assert s.send_many(datagrams) == 51
    assert datagrams == []
    assert [d for d, _ in receive_all(b, 51)] == [b"first"] + [b"d%d" % i for i in range(50)]


def test_recv_many_takes_what_is_queued_up_to_count(udp):
    a, b = udp
    assert a.send_many([b"%d" % i for i in range(10)]) == 10
    deadline = time.monotonic() + 5
    first = b.recv_many(4, 100)
    assert 1 <= len(first) <= 4
    got = first
    while len(got) < 10 and time.monotonic() < deadline:
        got += b.recv_many(100, 100)
    assert [d for d, _ in got] == [b"%d" % i for i in range(10)]
    assert b.recv_many(0, 100) == []


def test_recv_many_truncates_to_bufsize_and_into_buffers(udp):
    a, b = udp
    assert a.send_many([b"abcdef", b"gh", b"ijklmnop"]) == 3
    assert [d for d, _ in receive_all(b, 1, bufsize=4)] == [b"abcd"]
    bufs = [bytearray(4), bytearray(8), bytearray(8)]
    got = []
    for _ in range(2):
        got += b.recv_many_into(bufs[len(got):])
        if len(got) == 2:
            break
    assert [n for n, _ in got] == [2, 8]
    assert bufs[0][:2] == b"gh" and bufs[1] == b"ijklmnop"
    assert all(addr == a.getsockname() for _, addr in got)


def test_recv_many_with_msg_trunc_keeps_to_bufsize(udp):
    # With MSG_TRUNC the kernel reports each datagram's whole length: the data is still only
    # what fitted, as recvmsg()'s.
    import socket as cpython_socket
    a, b = udp
    assert a.send_many([b"A" * 3000, b"B" * 10]) == 2
    got = []
    for _ in range(2):  # bounded: at least one per call
        got += b.recv_many(2 - len(got), 100, cpython_socket.MSG_TRUNC)
        if len(got) == 2:
            break
    assert [d for d, _ in got] == [b"A" * 100, b"B" * 10]


def test_recv_many_waits_as_the_timeout_says(udp):
    _, b = udp
    b.settimeout(0.2)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        b.recv_many(8, 100)
    assert 0.15 <= time.monotonic() - t0 < 5
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv_many(8, 100)
    with pytest.raises(BlockingIOError):
        b.recv_many_into([bytearray(8)])


def test_unix_datagram_pair():
    a, b = usocket.socketpair(usocket.AF_UNIX, usocket.SOCK_DGRAM)
    with a, b:
        assert a.send_many([b"one", b"two"]) == 2
        b.settimeout(5)
        got = receive_all(b, 2)
        assert [d for d, _ in got] == [b"one", b"two"]


def test_closed_socket_is_ebadf(udp):
    a, b = udp
    a.close()
    for call in (lambda: a.send_many([b"x"]), lambda: a.recv_many(1, 10), lambda: a.recv_many_into([bytearray(1)])):
        with pytest.raises(OSError) as e:
            call()
        assert e.value.errno == errno.EBADF


def kind(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
        return "ok"
    except Exception as e:  # noqa: BLE001 - the class is the result
        return type(e).__name__


def test_bad_input(udp):
    a, b = udp
    ro = memoryview(b"read-only")
    cases = [
        (a.send_many, (None,), "TypeError"),
        (a.send_many, (5,), "TypeError"),
        (a.send_many, ([1],), "TypeError"),
        (a.send_many, (["str"],), "TypeError"),
        (a.send_many, ([(b"x",)],), "TypeError"),
        (a.send_many, ([(b"x", b.getsockname(), 1)],), "TypeError"),
        (a.send_many, ([b"x"], "flags"), "TypeError"),
        (a.send_many, ([b"x"], 2**70), "OverflowError"),
        (a.send_many, (), "TypeError"),
        (b.recv_many, (-1, 10), "ValueError"),
        (b.recv_many, (1, -1), "ValueError"),
        (b.recv_many, ("1", 10), "TypeError"),
        (b.recv_many, (1.0, 10), "TypeError"),
        (b.recv_many, (2**70, 10), "OverflowError"),
        (b.recv_many, (2**40, 2**40), "MemoryError"),
        (b.recv_many, (1,), "TypeError"),
        (b.recv_many_into, ([ro],), "TypeError"),
        (b.recv_many_into, ([b"bytes"],), "TypeError"),
        (b.recv_many_into, (None,), "TypeError"),
    ]
    for fn, args, expected in cases:
        assert kind(fn, *args) == expected, (fn.__name__, args)
    assert a.send_many([]) == 0
    assert b.recv_many_into([]) == []
    # Bad input changed nothing: nothing was sent.
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv_many(8, 100)


@pytest.mark.parametrize("address", [("127.0.0.1", 70000), ("127.0.0.1", -1), ("127.0.0.1",), 5, None,
                                     (b"x" * 64 + b".invalid", 1), ("127.0.0.1", "port")])
def test_bad_addresses_as_cpythons_sendto(address):
    """send_many((data, address)) refuses an address as CPython's sendto(data, address) does."""
    outcomes = {}
    for name, mod in IMPLS.items():
        s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
        with s:
            outcomes[name] = kind(s.sendto, b"x", address)
            if name == "usocket":
                outcomes["send_many"] = kind(s.send_many, [(b"x", address)])
    assert outcomes["send_many"] == outcomes["usocket"] == outcomes["cpython"], outcomes
