"""MicroPython's stream methods on the socket (seed 001): read, readinto, readline, write."""

import sys
import threading
import time

import pytest

import usocket


def send_slowly(sock, pieces, delay=0.05):
    def run():
        for p in pieces:
            time.sleep(delay)
            if p is None:
                sock.shutdown(usocket.SHUT_WR)
            else:
                sock.sendall(p)
    t = threading.Thread(target=run)
    t.start()
    return t


def test_read_has_no_short_reads(upair):
    client, server = upair
    t = send_slowly(client, [b"ab", b"cd", b"efghij"])
    assert server.read(10) == b"abcdefghij"
    t.join(10)


def test_read_to_end_and_at_end(upair):
    client, server = upair
    client.sendall(b"everything")
    client.close()
    assert server.read() == b"everything"
    assert server.read(5) == b""
    assert server.readline() == b""


def test_read_fewer_only_at_end(upair):
    client, server = upair
    client.sendall(b"abc")
    client.shutdown(usocket.SHUT_WR)
    assert server.read(10) == b"abc"


def test_readinto(upair):
    client, server = upair
    buf = bytearray(8)
    t = send_slowly(client, [b"1234", b"5678"])
    assert server.readinto(buf) == 8 and buf == b"12345678"
    t.join(10)
    client.sendall(b"xyz")
    assert server.readinto(buf, 2) == 2 and buf[:2] == b"xy"
    assert server.recv(10) == b"z"
    with pytest.raises(ValueError):
        server.readinto(buf, 100)
    with pytest.raises(TypeError):
        server.readinto(b"readonly")


def test_readline_keeps_the_rest(upair):
    client, server = upair
    client.sendall(b"first\nsecond\nthird")
    assert server.readline() == b"first\n"
    assert server.recv(100) == b"second\nthird"  # recv drains what readline read ahead
    t = send_slowly(client, [b"par", b"tial\nnext\n"])
    assert server.readline() == b"partial\n"
    assert server.readline() == b"next\n"
    t.join(10)
    client.sendall(b"abcdef\n")
    assert server.readline(3) == b"abc"
    assert server.readline() == b"def\n"


def test_write(upair):
    client, server = upair
    assert client.write(b"bytes") == 5
    assert client.write("strée") == len("strée".encode())
    assert client.write(memoryview(b"view")) == 4
    assert server.read(5 + 6 + 4) == b"bytes" + "strée".encode() + b"view"
    big = b"q" * (3 * 1024 * 1024)
    out = bytearray()
    t = threading.Thread(target=lambda: out.extend(server.read(len(big))))
    t.start()
    assert client.write(big) == len(big)  # no short write on a blocking socket
    t.join(30)
    assert len(out) == len(big)


def test_nonblocking_read_returns_none(upair):
    client, server = upair
    server.setblocking(False)
    assert server.read(10) is None
    assert server.readinto(bytearray(4)) is None
    assert server.readline() is None
    client.sendall(b"abc")
    time.sleep(0.05)
    assert server.read(10) == b"abc"  # what is there now


def test_nonblocking_write_is_partial():
    # A Unix stream pair: its send buffer drains only when the peer reads, so once a write
    # is partial the next one finds it full. (Over TCP loopback the kernel keeps moving
    # queued bytes into the peer's growing receive buffer, so "full" does not stay full.)
    client, server = usocket.socketpair()
    try:
        client.setblocking(False)
        n = client.write(b"w" * (16 * 1024 * 1024))
        assert 0 < n < 16 * 1024 * 1024
        assert client.write(b"more") is None  # the buffer is full: nothing taken
    finally:
        client.close()
        server.close()


def test_nonblocking_write_over_tcp_ends_with_none(upair):
    client, server = upair
    client.setblocking(False)
    n = client.write(b"w" * (16 * 1024 * 1024))
    assert 0 < n < 16 * 1024 * 1024
    for _ in range(1000):  # bounded: the peer never reads, so the buffers fill
        if client.write(b"w" * 65536) is None:
            break
    else:
        pytest.fail("a non-blocking write to a peer that never reads never returned None")


def test_timeout_keeps_received_bytes(upair):
    # MicroPython issue 3155: bytes received before a timeout are not lost.
    client, server = upair
    server.settimeout(0.3)
    client.sendall(b"partial line")
    with pytest.raises(TimeoutError):
        server.readline()
    with pytest.raises(TimeoutError):
        server.read(100)
    client.sendall(b" end\n")
    assert server.readline() == b"partial line end\n"


def pattern(n, seed=0):
    """n bytes no two nearby offsets of which agree: a byte out of place shows."""
    return bytes((i * 7 + i // 251 + seed) & 0xFF for i in range(n))


def test_large_read_is_exact_across_buffered_and_direct_bytes(upair):
    # read(n) larger than the read-ahead buffer: what is buffered first, then the rest straight
    # into the result, the bytes arriving in pieces.
    client, server = upair
    body = pattern(3 * 1024 * 1024 + 17)
    pieces = [b"head\n" + body[:1000]] + [body[i:i + 200_000] for i in range(1000, len(body), 200_000)]
    t = send_slowly(client, pieces, delay=0.01)
    assert server.readline() == b"head\n"
    assert server.read(len(body)) == body
    t.join(10)
    client.close()
    assert server.read(10) == b""


@pytest.mark.parametrize("sent", [b"abcdef", b"ab"])  # more than half of what is asked, and less
def test_read_more_than_the_stream_holds(upair, sent):
    client, server = upair
    client.sendall(sent)
    client.close()
    got = server.read(10)
    assert got == sent and type(got) is bytes
    assert server.read(10) == b""


@pytest.mark.parametrize("size", [2 ** 40, sys.maxsize])  # no bytes object that large: the result grows
def test_read_of_a_huge_size_on_a_short_stream(upair, size):
    client, server = upair
    client.sendall(b"abc")
    client.close()
    assert server.read(size) == b"abc"
    assert server.read(size) == b""


def test_nonblocking_large_read_gives_what_is_there(upair):
    client, server = upair
    body = pattern(100_000, seed=3)
    client.sendall(body)
    time.sleep(0.05)
    server.setblocking(False)
    got = server.read(1024 * 1024)
    assert 0 < len(got) <= len(body) and body.startswith(got)
    while len(got) < len(body):  # bounded: the bytes are all sent
        more = server.read(1024 * 1024)
        assert more, "the rest of the bytes sent did not come"
        got += more
    assert got == body
    assert server.read(1024 * 1024) is None


def test_timeout_in_a_large_read_keeps_the_bytes(upair):
    client, server = upair
    body = pattern(300_000, seed=5)
    client.sendall(body[:1000])
    server.settimeout(0.3)
    with pytest.raises(TimeoutError):
        server.read(len(body))  # 1000 bytes come, then nothing
    client.sendall(body[1000:])
    assert server.read(len(body)) == body


def test_read_to_the_end_is_exact_across_buffered_and_grown_bytes(upair):
    client, server = upair
    body = pattern(5 * 1024 * 1024 + 3, seed=7)
    pieces = [b"head\n" + body[:500]] + [body[i:i + 300_000] for i in range(500, len(body), 300_000)]
    t = send_slowly(client, pieces + [None], delay=0.005)  # None: the end of the stream
    assert server.readline() == b"head\n"
    got = server.read()
    t.join(10)
    assert type(got) is bytes and got == body
    assert server.read() == b""


def test_timeout_in_a_read_to_the_end_keeps_the_bytes(upair):
    client, server = upair
    body = pattern(400_000, seed=9)
    client.sendall(body[:300_000])
    server.settimeout(0.3)
    with pytest.raises(TimeoutError):
        server.read()  # the stream does not end
    client.sendall(body[300_000:])
    client.close()
    assert server.read() == body


def test_nonblocking_read_to_the_end_gives_what_is_there(upair):
    client, server = upair
    server.setblocking(False)
    assert server.read() is None
    client.sendall(b"some bytes")
    time.sleep(0.05)
    assert server.read() == b"some bytes"
    assert server.read() is None
    client.close()
    time.sleep(0.05)
    assert server.read() == b""


def test_read_to_the_end_of_a_closed_socket_raises_oserror(upair):
    client, server = upair
    server.close()
    with pytest.raises(OSError):
        server.read()


def test_read_of_nothing_does_not_wait_for_another_threads_read():
    a, b = usocket.socketpair()
    with a, b:
        lines = []
        t = threading.Thread(target=lambda: lines.append(b.readline()))
        t.start()
        time.sleep(0.05)  # the thread waits in readline
        t0 = time.monotonic()
        assert b.read(0) == b""
        assert b.readinto(bytearray(0)) == 0
        assert b.readline(0) == b""
        assert time.monotonic() - t0 < 0.5
        a.sendall(b"done\n")
        t.join(10)
        assert lines == [b"done\n"]


# Memory that fails at each point of a read in turn: the read raises MemoryError (CPython's
# class) and loses nothing, or it succeeds; either way every byte is read, once.
READS_UNDER_MEMORY_FAILURE = {
    # read(n) far beyond the stream: a bytes object of n, then a copy of what came
    "read(n)": (lambda s: s.read(100_000), 3000),
    # read() to the end: memory grown without the GIL, then the bytes object
    "read()": (lambda s: s.read(), 150_000),
    # a line longer than the read-ahead buffer
    "readline()": (lambda s: s.readline(), 100_000),
    # the count of a readinto (an int object of its own)
    "readinto": (lambda s: s.readinto(READINTO_BUF), 3000),
}
READINTO_BUF = bytearray(3000)


@pytest.mark.parametrize("how", sorted(READS_UNDER_MEMORY_FAILURE))
def test_memory_failing_in_a_read_loses_no_byte(how):
    _testcapi = pytest.importorskip("_testcapi")
    read, size = READS_UNDER_MEMORY_FAILURE[how]
    body = pattern(size, seed=11)
    if how == "readline()":
        body = body.replace(b"\n", b".") + b"\n"
    outcomes = set()
    for start in range(40):  # the first failing allocation, counted from the call
        a, b = usocket.socketpair()
        with a, b:
            a.sendall(body)
            a.shutdown(usocket.SHUT_WR)
            _testcapi.set_nomemory(start, 0)
            try:
                got = read(b)
            except MemoryError:
                got = None
            finally:
                _testcapi.remove_mem_hooks()
            outcomes.add(got is None)
            if got is None:
                got = read(b)  # every byte is still there
            if type(got) is int:  # readinto's count
                got = bytes(READINTO_BUF[:got])
            assert type(got) is bytes and got == body, f"allocation {start}"
    assert outcomes == {True, False}, "the failures did not reach the read"
