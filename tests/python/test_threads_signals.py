"""Python's rules for native code: the GIL is released while a call blocks, and a signal
arriving during a blocking call runs its handler: an exception from it propagates, otherwise
the call goes on with the time left."""

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import usocket
from conftest import tcp_pair


def test_threads_run_while_one_waits_in_accept():
    with usocket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        result = {}

        def server():
            conn, addr = listener.accept()  # blocks with the GIL released
            with conn:
                result["data"] = conn.recv(100)

        t = threading.Thread(target=server)
        t.start()
        # The main thread must make progress while the other one blocks in accept().
        counter = 0
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            counter += 1
        assert counter > 1000
        with usocket.socket() as c:
            c.connect(listener.getsockname())
            c.sendall(b"from main")
        t.join(10)
        assert not t.is_alive()
        assert result["data"] == b"from main"


def test_two_threads_block_in_recv_concurrently():
    a1, b1 = usocket.socketpair()
    a2, b2 = usocket.socketpair()
    got = []

    def reader(sock):
        got.append(sock.recv(10))

    threads = [threading.Thread(target=reader, args=(s,)) for s in (b1, b2)]
    for t in threads:
        t.start()
    time.sleep(0.1)  # both are now blocked in recv at the same time
    a1.send(b"one")
    a2.send(b"two")
    for t in threads:
        t.join(10)
    assert sorted(got) == [b"one", b"two"]
    for s in (a1, b1, a2, b2):
        s.close()


def test_sendall_large_with_reader_thread():
    a, b = usocket.socketpair()
    total = 4 * 1024 * 1024
    received = bytearray()

    def reader():
        while len(received) < total:
            chunk = b.recv(65536)
            if not chunk:
                break
            received.extend(chunk)

    t = threading.Thread(target=reader)
    t.start()
    a.sendall(b"z" * total)  # fills the socket buffer: blocks until the reader drains it
    t.join(30)
    assert len(received) == total
    a.close()
    b.close()


class Alarm(Exception):
    pass


@pytest.fixture
def alarm():
    previous = signal.getsignal(signal.SIGALRM)
    yield
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, previous)


def test_signal_handler_exception_propagates_from_recv(alarm):
    def handler(signum, frame):
        raise Alarm()

    signal.signal(signal.SIGALRM, handler)
    a, b = usocket.socketpair()
    with a, b:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        t0 = time.monotonic()
        with pytest.raises(Alarm):
            b.recv(10)  # blocking, no data ever comes
        assert time.monotonic() - t0 < 5


def test_signal_handler_exception_in_a_large_read_keeps_the_bytes(alarm):
    # read(n) fills its result in place: bytes taken before the handler raised go back to
    # the socket's buffer, and the next read has them.
    def handler(signum, frame):
        raise Alarm()

    signal.signal(signal.SIGALRM, handler)
    a, b = usocket.socketpair()
    with a, b:
        a.sendall(b"x" * 5000)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Alarm):
            b.read(1024 * 1024)  # 5000 bytes come, then nothing
        a.sendall(b"y" * 10)
        assert b.read(5010) == b"x" * 5000 + b"y" * 10


def test_signal_handler_exception_propagates_from_timed_accept(alarm):
    signal.signal(signal.SIGALRM, lambda *a: (_ for _ in ()).throw(Alarm()))
    with usocket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(10)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Alarm):
            listener.accept()


def test_signal_handler_without_exception_lets_recv_continue(alarm):
    calls = []
    signal.signal(signal.SIGALRM, lambda *a: calls.append(1))
    a, b = usocket.socketpair()
    with a, b:
        def late_sender():
            time.sleep(0.6)
            a.send(b"after the signal")

        t = threading.Thread(target=late_sender)
        t.start()
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        assert b.recv(100) == b"after the signal"
        t.join(10)
        assert calls == [1]


def test_timed_recv_keeps_its_deadline_across_signals(alarm):
    calls = []
    signal.signal(signal.SIGALRM, lambda *a: calls.append(1))
    a, b = usocket.socketpair()
    with a, b:
        b.settimeout(0.8)
        signal.setitimer(signal.ITIMER_REAL, 0.1, 0.1)  # interrupts the wait again and again
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            b.recv(10)
        elapsed = time.monotonic() - t0
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert 0.7 <= elapsed < 3  # the time left is recomputed, not restarted
        assert len(calls) >= 3


def test_keyboard_interrupt_in_blocking_recv(alarm):
    # The default SIGINT handler raises KeyboardInterrupt: Ctrl-C stops a blocking recv.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    a, b = usocket.socketpair()
    with a, b:
        threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT)).start()
        with pytest.raises(KeyboardInterrupt):
            b.recv(10)


def test_close_from_other_thread_after_shutdown():
    listener, client, server = tcp_pair(usocket)
    with listener, client, server:
        out = []
        t = threading.Thread(target=lambda: out.append(server.recv(10)))
        t.start()
        time.sleep(0.1)
        server.shutdown(usocket.SHUT_RDWR)  # wakes the blocked reader with end of stream
        t.join(10)
        assert out == [b""]


@pytest.mark.parametrize("method", ["recv", "readline", "accept"])
def test_init_again_while_another_thread_uses_the_socket(method):
    # socket.__init__ on a socket another thread is blocked in would replace (and free) what
    # that call uses (a use after free under ASan, before): it is refused, and allowed again
    # once the call returned.
    if method == "accept":
        listener = usocket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        busy, peer = listener, None
        call = listener.accept
    else:
        peer, busy = usocket.socketpair()
        call = getattr(busy, method) if method == "readline" else lambda: busy.recv(100)
    result = []
    t = threading.Thread(target=lambda: result.append(call()))
    t.start()
    time.sleep(0.3)  # the other thread is in its call by now
    with pytest.raises(RuntimeError):
        busy.__init__()
    if method == "accept":
        client = usocket.create_connection(listener.getsockname())
    else:
        peer.sendall(b"line\n")
    t.join(10)
    assert not t.is_alive()
    if method == "accept":
        conn, _ = result[0]
        conn.close()
        client.close()
    else:
        assert result == [b"line\n"]
        peer.close()
    busy.__init__()  # no call in progress: the object gets a new socket (the old one closes)
    assert busy.family == usocket.AF_INET and busy.type == usocket.SOCK_STREAM
    busy.close()


def test_signal_handler_reading_the_socket_a_blocked_readline_reads(alarm):
    # The handler runs inside the blocked readline(): a second read of the same socket there
    # is a reentrant call, refused with RuntimeError, and no byte is lost.
    inner = []

    def handler(signum, frame):
        try:
            b.readline()
        except RuntimeError as e:
            inner.append(e)
            raise

    a, b = usocket.socketpair()
    with a, b:
        b.settimeout(5)  # bounded should the inner call wait instead
        signal.signal(signal.SIGALRM, handler)
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(RuntimeError):
            b.readline()
        assert len(inner) == 1
        a.sendall(b"line\n")
        assert b.readline() == b"line\n"


DAEMON_CHILD = """
import threading, time, usocket
a, b = usocket.socketpair()
a.settimeout(0.0005)
def spin():
    while True:
        try:
            a.recv(1)
        except Exception:
            pass
for _ in range(4):
    threading.Thread(target=spin, daemon=True).start()
time.sleep(0.05)
"""


def test_exit_with_daemon_threads_inside_calls():
    # Daemon threads returning from calls while the interpreter finalizes must not abort the
    # process ("terminate called without an active exception", SIGABRT).
    for _ in range(10):
        p = subprocess.run([sys.executable, "-c", DAEMON_CHILD], capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr.decode(errors="replace")[-500:]


# A signal whose handler raises, delivered to another thread while the main thread reads a
# long stream: no system call of the read is interrupted, but the read asks for the handlers
# after each piece that comes, so the handler runs mid-read, and the read ends with its
# exception and gives back every byte it took.
@pytest.mark.parametrize("how", ["read()", "read(n)", "readline()", "readinto"])
def test_handler_of_a_signal_sent_to_another_thread_runs_mid_read(how):
    total = 400_000
    body = bytes((i * 7 + i // 251) & 0x7F for i in range(total)).replace(b"\n", b".")[:-1] + b"\n"
    buf = bytearray(total)
    reads = {
        "read()": lambda s: s.read(),
        "read(n)": lambda s: s.read(total),
        "readline()": lambda s: s.readline(),
        "readinto": lambda s: bytes(buf[:s.readinto(buf)]),
    }
    ran = threading.Event()

    def handler(*_):
        ran.set()
        raise Alarm()

    previous = signal.signal(signal.SIGUSR1, handler)
    a, b = usocket.socketpair()
    state = {}

    def writer():
        a.sendall(body[:1000])
        time.sleep(0.05)  # the reader waits in the read with part of it
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)  # this thread, not the reader
        sent = 1000
        while sent < total and not ran.is_set():  # bounded: 20 pieces, 0.5 s each at most
            a.sendall(body[sent:sent + 20_000])
            sent += 20_000
            ran.wait(0.5)
        state["ran_before_the_end"] = ran.is_set()
        a.sendall(body[sent:])
        a.shutdown(usocket.SHUT_WR)

    t = threading.Thread(target=writer)
    try:
        t.start()
        with pytest.raises(Alarm):
            reads[how](b)
        assert reads[how](b) == body  # every byte, once
        t.join(30)
        assert state.get("ran_before_the_end"), "the handler waited for the end of the stream"
    finally:
        signal.signal(signal.SIGUSR1, previous)
        t.join(30)
        a.close()
        b.close()
