"""MicroPython's stream methods on the socket (seed 001): read, readinto, readline, write."""

import threading
import time

import pytest

import usocket


def send_slowly(sock, pieces, delay=0.05):
    def run():
        for p in pieces:
            time.sleep(delay)
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
