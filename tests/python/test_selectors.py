"""usocket.selectors: a selectors.BaseSelector over the library's selector, compared with the
standard library's EpollSelector over CPython's sockets (same keys, errors and exception
classes), the sockets' buffered bytes counted as readable, and asyncio's SelectorEventLoop
running over it with usocket sockets. Loopback and socket pairs only."""

import asyncio
import contextlib
import os
import selectors
import signal
import threading
import time

import pytest

import usocket
import usocket.selectors as usel

from conftest import IMPLS

R, W = selectors.EVENT_READ, selectors.EVENT_WRITE


def make_selector(name):
    return selectors.EpollSelector() if name == "cpython" else usel.DefaultSelector()


@pytest.fixture(params=sorted(IMPLS))
def env(request):
    """(socket module, a new selector of the matching kind), closed after the test."""
    sel = make_selector(request.param)
    yield IMPLS[request.param], sel
    sel.close()


def result(fn, *args):
    try:
        value = fn(*args)
        return ("ok", value.events if isinstance(value, selectors.SelectorKey) else value)
    except Exception as e:  # noqa: BLE001 - the class is what is compared
        return ("raise", type(e).__name__)


def test_is_a_base_selector():
    with usel.DefaultSelector() as sel:
        assert isinstance(sel, selectors.BaseSelector)
        assert usel.EVENT_READ == R and usel.EVENT_WRITE == W and usel.SelectorKey is selectors.SelectorKey
        assert sel.fileno() >= 0  # epoll's descriptor on Linux
    assert sel.get_map() is None
    with pytest.raises(RuntimeError):
        sel.get_key(0)


def test_register_select_modify_unregister(env):
    mod, sel = env
    a, b = mod.socketpair()
    try:
        key = sel.register(b, R, "data")
        assert (key.fileobj, key.fd, key.events, key.data) == (b, b.fileno(), R, "data")
        assert sel.get_key(b) == key and sel.get_key(b.fileno()) == key
        assert list(sel.get_map()) == [b.fileno()] and len(sel.get_map()) == 1
        assert sel.select(0) == []
        a.sendall(b"x")
        assert sel.select(5) == [(key, R)]
        key2 = sel.modify(b, R | W, "other")
        assert (key2.events, key2.data) == (R | W, "other")
        assert sel.select(0) == [(key2, R | W)]
        key3 = sel.modify(b, W, "other")
        assert sel.select(0) == [(key3, W)]
        assert sel.unregister(b) == key3
        assert sel.select(0) == []
        with pytest.raises(KeyError):
            sel.get_key(b)
    finally:
        a.close()
        b.close()


def test_a_hangup_wakes_both_directions(env):
    mod, sel = env
    a, b = mod.socketpair()
    try:
        key = sel.register(b, R)
        a.close()
        assert sel.select(5) == [(key, R)]  # only what was asked for
    finally:
        b.close()


def test_bad_input_gets_cpythons_exception_classes():
    outcomes = {}
    for name, mod in IMPLS.items():
        sel = make_selector(name)
        a, b = mod.socketpair()
        closed, _ = mod.socketpair()
        closed.close()
        _.close()
        try:
            got = []
            for fileobj, events in [(a, "x"), (a, 1.0), (a, None), (a, 4), (a, 0), (a, -1), ("x", R), (None, R),
                                    (-1, R), (1.5, R), (2**70, R), (2**31, R), (closed, R), (object(), R)]:
                got.append(result(sel.register, fileobj, events))
            sel.register(a, R)
            got.append(result(sel.register, a, W))            # registered already
            got.append(result(sel.register, a.fileno(), W))   # the same descriptor
            got.append(result(sel.modify, b, R))              # not registered
            got.append(result(sel.modify, a, 8))
            got.append(result(sel.modify, a, "x"))
            got.append(result(sel.unregister, b))
            got.append(result(sel.unregister, "x"))
            got.append(result(sel.get_key, b))
            got.append(result(sel.get_key, "x"))
            for timeout in (-1, -1e300, 0.0, 1e300, 2**70, 10**20, float("inf"), float("nan"), "x", b"1"):
                got.append(result(sel.select, timeout))
            sel.close()
            got.append(result(sel.register, b, R))
            got.append(result(sel.select, 0))
            got.append(result(sel.get_map))
            outcomes[name] = got
        finally:
            for s in (a, b):
                s.close()
            sel.close()
    # Both did the same (EpollSelector's modify() does not check the events: neither does ours).
    assert outcomes["usocket"] == outcomes["cpython"], outcomes


def test_closing_a_registered_socket(env):
    mod, sel = env
    a, b = mod.socketpair()
    key = sel.register(b, R, "old")
    a.sendall(b"x")
    b.close()
    # Closed: the kernel forgot it; the key stays until unregister, found by the object.
    t0 = time.monotonic()
    assert sel.select(0.2) == []
    assert time.monotonic() - t0 >= 0.15  # waited, no spin on the dead entry
    assert sel.get_key(b) == key
    c, d = mod.socketpair()  # one of them may take b's number
    try:
        assert result(sel.register, d, R)[0] == ("raise" if d.fileno() == key.fd else "ok")
        if d.fileno() != key.fd:
            sel.unregister(d)
        assert sel.unregister(b) == key
        key_d = sel.register(d, R, "new")
        c.sendall(b"y")
        assert sel.select(5) == [(key_d, R)]
        assert result(sel.modify, b, W) == ("raise", "ValueError")  # closed, no longer a key
    finally:
        for s in (a, c, d):
            s.close()


def test_modify_of_a_socket_closed_while_registered(env):
    mod, sel = env
    a, b = mod.socketpair()
    sel.register(b, R)
    b.close()
    try:
        outcome = result(sel.modify, b, W)
        assert outcome[0] == "raise" and outcome[1] in ("OSError", "FileNotFoundError")
        with pytest.raises(ValueError):  # dropped, as EpollSelector does: its -1 is no key
            sel.get_key(b)
    finally:
        a.close()


def test_a_file_object_is_watched_by_the_descriptor_its_key_has(env):
    """A fileno() that answers differently later changes nothing once registered."""
    mod, sel = env
    a, b = mod.socketpair()

    class Fickle:
        calls = 0

        def fileno(self):
            Fickle.calls += 1
            return b.fileno() if Fickle.calls == 1 else 10**6

    f = Fickle()
    try:
        key = sel.register(f, R)
        assert key.fd == b.fileno()
        a.sendall(b"x")
        assert sel.select(5) == [(key, R)]
        with pytest.raises(KeyError):  # its fileno() is no longer the key's, as EpollSelector
            sel.unregister(f)
        assert sel.unregister(key.fd) == key
        assert sel.select(0) == []
    finally:
        a.close()
        b.close()


def test_buffered_bytes_are_readable():
    """What only this selector does: bytes a readline() left in the socket's buffer count."""
    a, b = usocket.socketpair()
    with usel.DefaultSelector() as sel, selectors.EpollSelector() as epoll:
        try:
            key = sel.register(b, R)
            epoll.register(b.fileno(), R)  # the descriptor alone
            a.sendall(b"first\nsecond\n")
            assert sel.select(5) == [(key, R)]
            assert b.readline() == b"first\n"  # "second\n" stays in b's buffer
            assert epoll.select(0) == []  # the kernel has nothing more
            t0 = time.monotonic()
            assert sel.select(5) == [(key, R)]  # at once: the buffer counts
            assert time.monotonic() - t0 < 2
            assert b.readline() == b"second\n"
            assert sel.select(0) == []
            # Registered by its number (as asyncio registers): the same socket, found by the
            # descriptor it owns.
            sel.unregister(b)
            key_fd = sel.register(b.fileno(), R)
            a.sendall(b"third\nfourth\n")
            assert sel.select(5) == [(key_fd, R)]
            assert b.readline() == b"third\n"
            assert epoll.select(0) == []
            assert sel.select(5) == [(key_fd, R)]
            assert b.readline() == b"fourth\n"
            assert sel.select(0) == []
            # A descriptor no usocket socket owns: the kernel's view.
            sel.unregister(b.fileno())
            r, w = os.pipe()
            try:
                key_pipe = sel.register(r, R)
                assert sel.select(0) == []
                os.write(w, b"x")
                assert sel.select(5) == [(key_pipe, R)]
                sel.unregister(r)
            finally:
                os.close(r)
                os.close(w)
        finally:
            a.close()
            b.close()


@contextlib.contextmanager
def sigalrm(handler):
    """A selector watching one end of an idle socket pair, with `handler` on SIGALRM."""
    a, b = usocket.socketpair()
    old = signal.signal(signal.SIGALRM, handler)
    try:
        with usel.DefaultSelector() as sel:
            yield sel, sel.register(b, R), a
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        a.close()
        b.close()


def test_a_signal_during_select_resumes_with_the_time_left():
    calls = []
    with sigalrm(lambda *_: calls.append(1)) as (sel, _, _):
        signal.setitimer(signal.ITIMER_REAL, 0.05, 0.05)
        t0 = time.monotonic()
        assert sel.select(0.5) == []
        elapsed = time.monotonic() - t0
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert calls, "no signal arrived"
        assert 0.45 <= elapsed < 5


def test_a_signal_handler_that_raises_ends_select():
    class Stop(Exception):
        pass

    def handler(*_):
        raise Stop

    with sigalrm(handler) as (sel, key, peer):
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        t0 = time.monotonic()
        with pytest.raises(Stop):
            sel.select(10)
        assert time.monotonic() - t0 < 5
        peer.sendall(b"x")  # the selector still works
        assert sel.select(5) == [(key, R)]


def test_close_while_another_thread_selects():
    a, b = usocket.socketpair()
    sel = usel.DefaultSelector()
    sel.register(b, R)
    out = []
    t = threading.Thread(target=lambda: out.append(result(sel.select, 0.3)))
    t.start()
    time.sleep(0.05)
    sel.close()  # the wait goes on to its deadline, safely
    t.join(10)
    assert not t.is_alive()
    assert out and out[0][0] in ("ok", "raise")
    with pytest.raises(ValueError):
        sel.select(0)
    a.close()
    b.close()


def test_many_sockets_each_reported_once():
    pairs = [usocket.socketpair() for _ in range(200)]
    try:
        with usel.DefaultSelector() as sel:
            keys = {b.fileno(): sel.register(b, R, i) for i, (_, b) in enumerate(pairs)}
            for a, _ in pairs[::3]:
                a.sendall(b"x")
            ready = sel.select(5)
            assert sorted(key.data for key, _ in ready) == list(range(0, 200, 3))
            assert all(keys[key.fd] is key and ev == R for key, ev in ready)
    finally:
        for a, b in pairs:
            a.close()
            b.close()


# --- asyncio over the selector, with usocket sockets ------------------------------------------------


def run(coro_fn):
    loop = asyncio.SelectorEventLoop(usel.DefaultSelector())
    try:
        return loop.run_until_complete(asyncio.wait_for(coro_fn(loop), 30))
    finally:
        loop.close()


def listener():
    s = usocket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    s.setblocking(False)
    return s


def test_asyncio_sock_methods():
    async def main(loop):
        lst = listener()
        c = usocket.socket()
        c.setblocking(False)
        try:
            accepting = asyncio.ensure_future(loop.sock_accept(lst))
            await loop.sock_connect(c, lst.getsockname())
            conn, peer = await accepting
            assert isinstance(conn, usocket.socket) and peer == c.getsockname()
            with conn:
                payload = bytes(range(256)) * 4096  # 1 MiB: sendall waits for room
                sending = asyncio.ensure_future(loop.sock_sendall(c, payload))
                got = bytearray()
                while len(got) < len(payload):
                    data = await loop.sock_recv(conn, 65536)
                    assert data
                    got += data
                await sending
                assert got == payload
                # Bytes in the read-ahead buffer come first.
                await loop.sock_sendall(conn, b"line\nrest")
                c.settimeout(5)
                assert c.readline() == b"line\n"  # reads ahead: "rest" stays in c's buffer
                c.setblocking(False)
                assert await loop.sock_recv(c, 100) == b"rest"
        finally:
            c.close()
            lst.close()

    run(main)


def test_asyncio_streams_see_bytes_a_readline_left_buffered():
    """A socket read with readline() before asyncio takes it over (a header line, then the
    protocol): asyncio registers its descriptor number, and the lines left in the socket's
    buffer must still wake the reader, with no new bytes from the peer."""
    async def main(loop):
        a, b = usocket.socketpair()
        try:
            a.sendall(b"header\nfirst\nsecond\n")
            b.settimeout(5)
            assert b.readline() == b"header\n"  # reads ahead: two lines stay in b's buffer
            b.setblocking(False)
            reader, writer = await asyncio.open_connection(sock=b)
            assert await asyncio.wait_for(reader.readline(), 5) == b"first\n"
            assert await asyncio.wait_for(reader.readline(), 5) == b"second\n"
            a.sendall(b"third\n")
            assert await asyncio.wait_for(reader.readline(), 5) == b"third\n"
            writer.close()
            await writer.wait_closed()
        finally:
            a.close()
            b.close()

    run(main)


def test_asyncio_streams_over_usocket_sockets():
    async def main(loop):
        lst = listener()
        peers = []

        async def handle(reader, writer):
            peers.append(writer.get_extra_info("socket").fileno())
            while line := await reader.readline():
                writer.write(line.upper())
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, sock=lst)
        try:
            for i in range(5):
                s = usocket.socket()
                s.connect(lst.getsockname())
                reader, writer = await asyncio.open_connection(sock=s)
                assert isinstance(writer.get_extra_info("socket")._sock, usocket.socket)
                writer.write(b"hello %d\nworld\n" % i)
                assert await reader.readline() == b"HELLO %d\n" % i
                assert await reader.readline() == b"WORLD\n"
                writer.write_eof()
                assert await reader.read() == b""
                writer.close()
                await writer.wait_closed()
            assert len(peers) == 5
        finally:
            server.close()
            await server.wait_closed()

    run(main)
