"""makefile(): buffered file objects with CPython's rules (the descriptor closes when the
socket and every file made from it are closed)."""

import io
import subprocess
import sys
import textwrap

import pytest

import usocket


def test_default_mode_is_binary_reader(upair):
    client, server = upair
    f = server.makefile()  # SPEC / seed 001: 'rb' by default
    assert isinstance(f, io.BufferedReader)
    client.sendall(b"line one\nline two\nrest")
    client.close()
    assert f.readline() == b"line one\n"
    assert f.readline() == b"line two\n"
    assert f.read() == b"rest"
    f.close()


def test_write_and_rw(mod, pair):
    client, server = pair
    w = client.makefile("wb")
    w.write(b"buffered ")
    w.write(b"data\n")
    w.flush()
    r = server.makefile("rb")
    assert r.readline() == b"buffered data\n"
    rw = client.makefile("rwb")
    assert isinstance(rw, io.BufferedRWPair)
    server.sendall(b"back\n")
    assert rw.readline() == b"back\n"
    for f in (w, r, rw):
        f.close()


def test_text_mode(mod, pair):
    client, server = pair
    w = client.makefile("w", encoding="utf-8", newline="\n")
    w.write("héllo\n")
    w.flush()
    r = server.makefile("r", encoding="utf-8")
    assert r.readline() == "héllo\n"
    w.close()
    r.close()


def test_io_refs_keep_descriptor_open(mod, pair):
    client, server = pair
    f = server.makefile("rb")
    fd = server.fileno()
    server.close()
    assert server.fileno() == fd  # a file still uses it
    client.sendall(b"after close\n")
    assert f.readline() == b"after close\n"
    f.close()
    assert server.fileno() == -1


def test_closing_file_first_keeps_socket(mod, pair):
    client, server = pair
    f = server.makefile("rb", buffering=0)
    f.close()
    client.send(b"x")
    assert server.recv(1) == b"x"


def test_unbuffered_and_bad_modes(mod, pair):
    client, server = pair
    raw = server.makefile("rb", buffering=0)
    assert isinstance(raw, io.RawIOBase)
    client.send(b"raw")
    assert raw.read(3) == b"raw"
    assert raw.fileno() == server.fileno()
    raw.close()
    with pytest.raises(ValueError):
        server.makefile("x")
    with pytest.raises(ValueError):
        server.makefile("r", buffering=0)


def test_timeout_leaves_file_unusable(upair):
    client, server = upair
    server.settimeout(0.1)
    f = server.makefile("rb")
    with pytest.raises(TimeoutError):
        f.readline()
    with pytest.raises(OSError, match="timed out object"):
        f.readline()
    f.close()


def test_makefile_with_every_descriptor_taken(mod):
    # Nothing makefile() needs is loaded late (importing a module opens its file): with no
    # descriptor free, the first makefile() works, as CPython's.
    code = textwrap.dedent(f"""
        import os, resource
        import {mod.__name__} as m
        a, b = m.socketpair()
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
        held = []
        try:
            for _ in range(100):
                held.append(os.open(os.devnull, os.O_RDONLY))
        except OSError as e:
            assert e.errno == 24, e
        else:
            raise SystemExit("descriptors never ran out")
        f = a.makefile("wb")
        f.write(b"ok")
        f.flush()
        print(b.recv(2))
    """)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "b'ok'"
