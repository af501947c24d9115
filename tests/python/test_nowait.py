"""The calls served with the GIL held: stream reads from bytes already buffered, and the first
try of recv/send with MSG_DONTWAIT. Whatever path a call takes, the bytes come whole and in
order, a call that must wait still waits (with the GIL released, its timeout kept), and a
blocking send still sends everything."""

import socket as cpython_socket
import select
import sys
import threading
import time

import pytest

import usocket


@pytest.fixture
def pair():
    a, b = usocket.socketpair()
    yield a, b
    a.close()
    b.close()


def test_mixed_reads_keep_every_byte_in_order(pair):
    a, b = pair
    data = bytes(range(256)) * 64 + b"\n".join(b"line %d" % i for i in range(500)) + b"\n"
    a.sendall(data)
    a.shutdown(cpython_socket.SHUT_WR)
    got = bytearray()
    buf = bytearray(3)
    step = 0
    while True:
        kind = step % 6
        step += 1
        if kind == 0:
            part = b.readline()
        elif kind == 1:
            part = b.read(5)
        elif kind == 2:
            n = b.readinto(buf)
            part = bytes(buf[:n])
        elif kind == 3:
            part = b.recv(7)
        elif kind == 4:
            part = b.readline(4)
            assert len(part) <= 4
        else:
            tmp = bytearray(10)
            n = b.readinto(tmp, 2)
            part = bytes(tmp[:n])
        if not part and kind in (0, 1):
            break
        got += part
    assert bytes(got) == data


def test_readline_limit_from_the_buffer(pair):
    a, b = pair
    a.sendall(b"abcdefgh\nxy\n")
    assert b.readline(3) == b"abc"     # the first read fills the buffer
    assert b.readline(0) == b""
    assert b.readline(6) == b"defgh\n"
    assert b.readline(100) == b"xy\n"


def test_read_and_readinto_served_whole_or_waiting(pair):
    a, b = pair
    a.sendall(b"0123456789")
    assert b.readline(2) == b"01"      # buffers the rest
    assert b.read(3) == b"234"
    buf = bytearray(4)
    assert b.readinto(buf) == 4 and buf == b"5678"
    b.settimeout(0.2)
    t0 = time.monotonic()
    with pytest.raises(TimeoutError):
        b.read(4)                      # one byte buffered, three more never come
    assert time.monotonic() - t0 >= 0.15
    assert b.read(1) == b"9"           # kept through the timeout
    with pytest.raises(ValueError):
        b.readinto(bytearray(2), 3)    # more than the buffer: the library's error, not a fast path


def test_recv_after_stream_reads_takes_the_buffer_first(pair):
    a, b = pair
    a.sendall(b"first\nsecond\nthird")
    assert b.readline() == b"first\n"
    assert b.recv(100) == b"second\nthird"
    a.sendall(b"more")
    assert b.recv(100) == b"more"


def test_recv_waits_with_the_gil_released(pair):
    a, b = pair
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set() and len(ticks) < 10000:
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    b.settimeout(0.3)
    try:
        with pytest.raises(TimeoutError):
            b.recv(10)
        with pytest.raises(TimeoutError):
            b.readline()
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 10  # the other thread ran while this one waited


def test_nonblocking_recv_and_send(pair):
    a, b = pair
    b.setblocking(False)
    with pytest.raises(BlockingIOError):
        b.recv(10)
    a.setblocking(False)
    sent = 0
    with pytest.raises(BlockingIOError):
        for _ in range(100000):
            sent += a.send(b"x" * 4096)
    assert sent > 0
    b.setblocking(True)
    got = 0
    while got < sent:
        got += len(b.recv(65536))
    assert got == sent


def test_recv_into_with_bytes_ready_keeps_to_its_buffer(pair):
    a, b = pair
    a.sendall(b"0123456789")
    small = bytearray(4)
    with pytest.raises(ValueError):
        b.recv_into(small, 8)  # more than the buffer holds: refused before receiving
    assert small == bytearray(4)
    view = memoryview(bytearray(b"." * 8))[2:6]
    assert b.recv_into(view, 3) == 3
    assert view.obj == bytearray(b"..012...")
    assert b.recv_into(view, 0, cpython_socket.MSG_PEEK) == 4
    assert b.recv(16) == b"3456789"


def test_calls_after_detach_or_close_leave_the_descriptor_alone(pair):
    import os
    a, b = pair
    fd = a.detach()
    try:
        with pytest.raises(OSError):
            a.send(b"x")
        with pytest.raises(OSError):
            a.recv(1)
        b.setblocking(False)
        with pytest.raises(BlockingIOError):
            b.recv(1)  # nothing went through the descriptor a gave away
        os.write(fd, b"still mine")
        assert b.recv(16) == b"still mine"
    finally:
        os.close(fd)
    b.close()
    with pytest.raises(OSError):
        b.recv(1)
    with pytest.raises(OSError):
        b.send(b"x")


@pytest.mark.parametrize("held", [False, True], ids=["sole-object", "state-shared"])
@pytest.mark.parametrize("end", ["close", "detach"])
def test_stream_reads_with_bytes_buffered_fail_once_closed(held, end):
    """A line, n bytes or a buffer's worth already buffered are not served once the socket is
    closed or detached: EBADF, as from a socket whose buffer is empty. `held`: a selector's
    registration also holds the state, so the reads take the read lock instead of the straight
    line the GIL vouches for."""
    import errno
    import os
    import selectors as std_selectors
    from usocket import selectors

    a, b = usocket.socketpair()
    sel = selectors.DefaultSelector() if held else None
    try:
        a.sendall(b"one\ntwo\nthree\nfour\n")
        assert b.readline() == b"one\n"   # the rest waits in b's buffer
        if sel is not None:
            sel.register(b, std_selectors.EVENT_READ)
        assert b.readline() == b"two\n"   # served from the buffer on either path
        if end == "close":
            b.close()
        else:
            os.close(b.detach())
        for call in (b.readline, lambda: b.read(3), lambda: b.readinto(bytearray(3))):
            with pytest.raises(OSError) as e:
                call()
            assert e.value.errno == errno.EBADF
    finally:
        if sel is not None:
            sel.close()
        a.close()
        b.close()


def test_a_reset_is_reported_once_then_the_end(pair):
    import struct
    with usocket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = usocket.create_connection(server.getsockname())
        peer, _ = server.accept()
        peer.setsockopt(cpython_socket.SOL_SOCKET, cpython_socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()  # an RST: loopback delivers it before close() returns
        with client:
            with pytest.raises(ConnectionResetError):
                client.recv(16)
            assert client.recv(16) == b""


def test_blocking_send_sends_everything(pair):
    a, b = pair
    data = b"y" * (4 * 1024 * 1024)  # far more than the socket buffer holds
    # A nearly full socket: the first try sends part of it, the rest waits for the reader.
    a.setblocking(False)
    filled = 0
    try:
        while True:
            filled += a.send(b"z" * 1000)
    except BlockingIOError:
        pass
    a.setblocking(True)
    drained = 0
    while drained < 5000:
        drained += len(b.recv(5000 - drained))
    expected = filled - drained + len(data)
    received = []

    def reader():
        n = 0
        while n < expected:
            chunk = b.recv(65536)
            if not chunk:
                break
            n += len(chunk)
        received.append(n)

    t = threading.Thread(target=reader)
    t.start()
    assert a.send(data) == len(data)
    t.join(30)
    assert received == [expected]


def test_a_reset_while_a_blocking_send_waits_is_reported():
    # The first try sends part, the rest waits; the peer resets without reading. The reset is
    # an error, of this send or (as CPython's, whose one send leaves it pending) of the next
    # call: never a clean end of the stream.
    import struct
    with usocket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        client = usocket.create_connection(server.getsockname())
        peer, _ = server.accept()

    def reset():
        time.sleep(0.2)
        peer.setsockopt(cpython_socket.SOL_SOCKET, cpython_socket.SO_LINGER, struct.pack("ii", 1, 0))
        peer.close()

    resetter = threading.Thread(target=reset)
    resetter.start()
    with client:
        try:
            client.send(b"x" * 20_000_000)  # more than loopback's buffers hold
        except ConnectionResetError:
            pass
        else:
            with pytest.raises(ConnectionResetError):
                client.recv(10)
        resetter.join()


def test_a_shutdown_while_a_blocking_send_waits_ends_it_with_the_count():
    # SHUT_WR by another thread while the rest of a blocking send waits: as CPython's one
    # blocking send, the count sent so far; the next send says EPIPE.
    for mod in (cpython_socket, usocket):
        with mod.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen()
            client = mod.create_connection(server.getsockname())
            peer, _ = server.accept()
        with client, peer:
            def shut_once_sending():
                select.select([peer], [], [], 10)  # the send has begun
                time.sleep(0.1)
                client.shutdown(cpython_socket.SHUT_WR)

            closer = threading.Thread(target=shut_once_sending)
            closer.start()
            sent = client.send(b"x" * 20_000_000)  # more than loopback's buffers hold
            closer.join()
            assert 0 < sent < 20_000_000, mod
            with pytest.raises(BrokenPipeError):
                client.send(b"y")


def test_readline_waits_for_another_reader(pair):
    a, b = pair
    results = []

    def reader():
        results.append(b.readline())

    t = threading.Thread(target=reader)
    t.start()
    time.sleep(0.1)                    # the thread waits in readline, holding the read lock
    a.sendall(b"one\ntwo\n")
    t.join(10)
    assert results == [b"one\n"]
    assert b.readline() == b"two\n"    # from the buffer


def test_recv_waitall_still_waits_for_all(pair):
    a, b = pair
    a.sendall(b"abc")

    def later():
        time.sleep(0.1)
        a.sendall(b"defgh")

    t = threading.Thread(target=later)
    t.start()
    try:
        assert b.recv(8, usocket.MSG_WAITALL) == b"abcdefgh"
    finally:
        t.join()


def test_threads_reading_one_stream_get_every_line_once(pair):
    # Readers that find the line buffered serve it with the GIL held; a reader waiting for the
    # socket holds the buffer with the GIL released meanwhile: none may touch the buffer while
    # another does (a lost, doubled or torn line, or a crash, would show it).
    a, b = pair
    lines = [b"%015d\n" % i for i in range(20000)]
    size = len(lines[0])
    got = [[] for _ in range(4)]

    def writer():
        for i in range(0, len(lines), 97):
            a.sendall(b"".join(lines[i:i + 97]))
        a.shutdown(cpython_socket.SHUT_WR)

    def reader(k):
        buf = bytearray(size)
        step = k
        while True:
            step += 1
            if step % 3 == 0:
                line = b.readline()
            elif step % 3 == 1:
                line = b.read(size)
            else:
                n = b.readinto(buf)
                line = bytes(buf[:n])
            if not line:
                return
            got[k].append(line)

    threads = [threading.Thread(target=reader, args=(k,)) for k in range(4)]
    threads.append(threading.Thread(target=writer))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert sorted(line for part in got for line in part) == lines


def wait_until(done, seconds=5.0):
    """Polls done() until it is true or `seconds` passed (bounded: 100 tries)."""
    for _ in range(100):
        if done():
            return
        time.sleep(seconds / 100)


def test_del_on_a_socket_another_thread_reads():
    # socket.__del__ (the finalizer, callable on a live socket, as a subclass's super().__del__()
    # does) closes with the GIL released; that close counts as a call, so a reader's buffered
    # reads take the lock meanwhile instead of reading a buffer being freed (ASan/TSan legs).
    for _ in range(3):
        a, b = usocket.socketpair()
        a.setblocking(False)
        try:
            while True:
                a.send(b"\n" * 65536)
        except BlockingIOError:
            pass
        b.readline()                   # the read-ahead buffer now holds many lines
        result = []
        armed = []

        def reader():
            while not armed:
                pass
            try:
                while b.readline():
                    pass
                result.append("end")
            except OSError as e:
                result.append(type(e))

        t = threading.Thread(target=reader)
        t.start()
        junk = [float(i) for i in range(300000)]
        armed.append(1)
        del junk                       # the GIL held a while: the reader waits for it, then
        b.__del__()                    # reads while the close runs without it
        a.close()                      # wakes a reader that emptied the buffer and waits
        t.join(10)
        assert not t.is_alive()
        assert result in (["end"], [OSError])


def test_init_again_checks_for_calls_after_converting_its_arguments(pair):
    # An __index__ (Python code) may start a call on the socket; __init__ must see it.
    a, b = pair
    c, d = usocket.socketpair()
    got = []

    def blocked_reader():
        got.append(b.readline())

    class Fd:
        def __index__(self):
            threading.Thread(target=blocked_reader, daemon=True).start()
            time.sleep(0.2)            # the reader now waits in b.readline(), a call on b
            return c.fileno()

    with pytest.raises(RuntimeError, match="another thread is using"):
        b.__init__(fileno=Fd())
    a.sendall(b"still the old socket\n")
    wait_until(lambda: got)
    assert got == [b"still the old socket\n"]
    c.close()
    d.close()


def test_adopt_checks_for_calls_after_the_class_made_its_object(pair):
    # _adopt (the dialects' classes) runs the class's __new__, Python code that may start a call
    # on the socket it is about to take over.
    # The module instance usocket.socketpair() comes from (a test of the same process imports
    # a second instance, which then stays the package's attribute).
    _usocket = sys.modules["usocket._usocket"]
    a, b = pair
    got = []

    def blocked_reader():
        got.append(b.readline())

    class Starts(_usocket.socket):
        def __new__(cls, *args):
            obj = _usocket.socket.__new__(cls)
            threading.Thread(target=blocked_reader, daemon=True).start()
            time.sleep(0.2)            # the reader now waits in b.readline(), a call on b
            return obj

    with pytest.raises(RuntimeError, match="in use"):
        _usocket._adopt(Starts, b)
    a.sendall(b"still b's\n")
    wait_until(lambda: got)
    assert got == [b"still b's\n"]
