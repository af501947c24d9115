"""select() and the poll object (MicroPython's uselect style) over usocket's multiplexing."""

import os
import select as cpython_select
import threading
import time

import pytest

import usocket


def test_poll_constants_match_platform():
    for name in ("POLLIN", "POLLOUT", "POLLERR", "POLLHUP", "POLLPRI", "POLLNVAL"):
        assert getattr(usocket, name) == getattr(cpython_select, name), name


def test_select_reports_the_objects_given(upair):
    client, server = upair
    r, w, x = usocket.select([server, client], [client], [], 0)
    assert r == [] and w == [client] and x == []
    client.send(b"x")
    r, w, x = usocket.select([server, client], [], [], 5)
    assert r == [server]
    assert server.recv(1) == b"x"


class Wrapper:
    """Anything with fileno() is waitable."""

    def __init__(self, sock):
        self.sock = sock

    def fileno(self):
        return self.sock.fileno()


def test_select_with_fds_and_fileno_objects(upair):
    client, server = upair
    client.send(b"y")
    wrapped = Wrapper(server)
    r, _, _ = usocket.select([server.fileno(), wrapped], [], [], 5)
    assert r == [server.fileno(), wrapped]
    server.recv(1)


def test_select_timeout_and_errors(upair):
    client, server = upair
    t0 = time.monotonic()
    assert usocket.select([server], [], [], 0.2) == ([], [], [])
    assert 0.15 <= time.monotonic() - t0 < 3
    with pytest.raises(ValueError):
        usocket.select([server], [], [], -1)
    with pytest.raises(TypeError):
        usocket.select(5, [], [])
    with pytest.raises(TypeError):
        usocket.select(["not waitable"], [], [])


def test_select_releases_gil(upair):
    client, server = upair
    threading.Timer(0.2, client.send, (b"late",)).start()
    r, _, _ = usocket.select([server], [], [], 10)  # the timer thread must run meanwhile
    assert r == [server]
    assert server.recv(4) == b"late"


def test_select_accepts_cpython_sockets():
    import socket
    a, b = socket.socketpair()
    with a, b:
        a.send(b"z")
        assert usocket.select([b], [], [], 5)[0] == [b]


def test_poll_register_poll_unregister(upair):
    client, server = upair
    p = usocket.poll()
    p.register(server, usocket.POLLIN)
    assert p.poll(0) == []
    client.send(b"data")
    events = p.poll(5000)
    assert events == [(server, usocket.POLLIN)]  # the registered object, MicroPython style
    p.modify(server, usocket.POLLIN | usocket.POLLOUT)
    obj, ev = p.poll(1000)[0]
    assert obj is server and ev & usocket.POLLOUT and ev & usocket.POLLIN
    p.unregister(server)
    assert p.poll(0) == []
    with pytest.raises(KeyError):
        p.unregister(server)
    with pytest.raises(FileNotFoundError):
        p.modify(server, usocket.POLLIN)


def test_poll_default_mask_and_fd(upair):
    client, server = upair
    p = usocket.poll()
    p.register(client.fileno())  # POLLIN | POLLOUT by default
    assert p.poll(1000) == [(client.fileno(), usocket.POLLOUT)]


def test_poll_hangup_and_timeout(upair):
    client, server = upair
    p = usocket.poll()
    p.register(server, usocket.POLLIN)
    t0 = time.monotonic()
    assert p.poll(200) == []
    assert 0.15 <= time.monotonic() - t0 < 3
    client.close()
    (obj, ev), = p.poll(1000)
    assert obj is server and ev & usocket.POLLIN  # end of stream is readable
    assert server.recv(1) == b""


def test_poll_closed_descriptor_is_pollnval():
    r, w = os.pipe()
    p = usocket.poll()
    p.register(r, usocket.POLLIN)
    os.close(r)
    os.close(w)
    assert p.poll(0) == [(r, usocket.POLLNVAL)]


def test_ipoll_oneshot(upair):
    client, server = upair
    p = usocket.poll()
    p.register(server, usocket.POLLIN)
    client.send(b"1")
    assert list(p.ipoll(1000, usocket.IPOLL_ONESHOT)) == [(server, usocket.POLLIN)]
    assert list(p.ipoll(0)) == []  # disarmed until modify()
    p.modify(server, usocket.POLLIN)
    assert list(p.ipoll(0)) == [(server, usocket.POLLIN)]


def test_poll_in_thread_releases_gil(upair):
    client, server = upair
    p = usocket.poll()
    p.register(server, usocket.POLLIN)
    result = []
    t = threading.Thread(target=lambda: result.append(p.poll(10000)))
    t.start()
    time.sleep(0.1)
    with pytest.raises(RuntimeError, match="concurrent"):
        p.poll(0)
    client.send(b"go")
    t.join(10)
    assert result == [[(server, usocket.POLLIN)]]


def test_poll_bad_arguments(upair):
    client, server = upair
    p = usocket.poll()
    with pytest.raises(OverflowError):
        p.register(server, 1 << 20)
    with pytest.raises(TypeError):
        p.register("nope")
    with pytest.raises(TypeError):
        usocket.poll(1)


def test_poll_unregisters_a_socket_closed_while_registered():
    # uselect-style loops unregister by object: a socket closed while registered (POLLNVAL at
    # once, every time) must be removable, or the loop spins.
    a, b = usocket.socketpair()
    c, d = usocket.socketpair()
    with a, c, d:
        p = usocket.poll()
        p.register(b, usocket.POLLIN)
        p.register(c, usocket.POLLIN)
        b.close()
        assert p.poll(0) == [(b, usocket.POLLNVAL)]
        p.unregister(b)
        t0 = time.monotonic()
        assert p.poll(100) == []
        assert time.monotonic() - t0 >= 0.05
        with pytest.raises(ValueError):
            p.unregister(b)  # no longer registered, and closed: as CPython's (fileno() -1)
        d.sendall(b"x")
        assert p.poll(2000) == [(c, usocket.POLLIN)]
        p.unregister(c)


def test_poll_reports_bytes_readline_left_buffered():
    a, b = usocket.socketpair()
    with a, b:
        b.sendall(b"first\nsecond\n")
        assert a.readline() == b"first\n"  # "second\n" waits in a's buffer, not in the kernel
        p = usocket.poll()
        p.register(a, usocket.POLLIN)
        assert p.poll(2000) == [(a, usocket.POLLIN)]
        assert list(p.ipoll(2000)) == [(a, usocket.POLLIN)]
        p.modify(a, usocket.POLLIN | usocket.POLLOUT)
        assert p.poll(2000) == [(a, usocket.POLLIN | usocket.POLLOUT)]
        assert a.readline() == b"second\n"
        p.modify(a, usocket.POLLIN)
        assert p.poll(0) == []


def test_poll_does_not_report_a_closed_socket_for_the_one_reusing_its_number():
    c, d = usocket.socketpair()
    with d:
        p = usocket.poll()
        p.register(c, usocket.POLLIN)
        number = c.fileno()
        c.close()
        e, f = usocket.socketpair()
        with e, f:
            if e.fileno() != number:
                pytest.skip("the number was not reused")
            f.sendall(b"x")
            assert p.poll(0) == [(c, usocket.POLLNVAL)]  # not the new socket's POLLIN
            p.unregister(c)
            p.register(e, usocket.POLLIN)
            assert p.poll(0) == [(e, usocket.POLLIN)]


def test_select_reports_bytes_readline_left_buffered():
    a, b = usocket.socketpair()
    with a, b:
        b.sendall(b"first\nsecond\n")
        assert a.readline() == b"first\n"
        t0 = time.monotonic()
        assert usocket.select([a, b], [], [], 2) == ([a], [], [])
        assert time.monotonic() - t0 < 1
        assert usocket.select([a.fileno()], [], [], 0) == ([], [], [])  # a number shows the kernel's only
        assert a.readline() == b"second\n"
        assert usocket.select([a], [], [], 0) == ([], [], [])
