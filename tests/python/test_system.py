"""The rest of CPython's socket module on Linux: interface names, close(fd), sethostname (in a
UTS namespace of its own only), _accept, the enum types, every constant, UDP-Lite, sendfile
(one deadline), and getaddrinfo(timeout=) beyond CPython."""

import enum
import errno
import io
import os
import shutil
import socket as cpython_socket
import subprocess
import sys
import threading
import time

import pytest

import usocket
from conftest import IMPLS, TOO_LONG_NAME


# --- interfaces --------------------------------------------------------------------------------

def test_interfaces_as_cpython(mod):
    table = mod.if_nameindex()
    assert table == cpython_socket.if_nameindex()
    for index, name in table:
        assert mod.if_nametoindex(name) == index
        assert mod.if_nametoindex(os.fsencode(name)) == index
        assert mod.if_indextoname(index) == name


@pytest.mark.parametrize("call,expected", [
    (lambda m: m.if_nametoindex("nonexistent0"), "OSError"),
    (lambda m: m.if_nametoindex("lo\0x"), "ValueError"),
    (lambda m: m.if_nametoindex(1), "TypeError"),
    (lambda m: m.if_indextoname(0), "OSError"),
    (lambda m: m.if_indextoname(-1), "OverflowError"),
    (lambda m: m.if_indextoname(2 ** 70), "OverflowError"),
    (lambda m: m.if_indextoname("1"), "TypeError"),
    (lambda m: m.if_indextoname(1.0), "TypeError"),
    (lambda m: m.if_nameindex(1), "TypeError"),
])
def test_interface_errors(mod, call, expected):
    with pytest.raises(Exception) as e:
        call(mod)
    assert type(e.value).__name__ == expected


def test_index_past_32_bits_is_refused():
    # CPython truncates it to 32 bits (2**32 + 1 would name interface 1).
    with pytest.raises(OverflowError):
        usocket.if_indextoname(2 ** 32 + 1)


# --- close(fd) ---------------------------------------------------------------------------------

def test_close_fd(mod):
    s = mod.socket()
    fd = s.detach()
    mod.close(fd)
    with pytest.raises(OSError) as e:
        os.fstat(fd)
    assert e.value.errno == errno.EBADF
    with pytest.raises(OSError) as e:
        mod.close(fd)
    assert e.value.errno == errno.EBADF


@pytest.mark.parametrize("value,expected", [(-1, "OSError"), (2 ** 31, "OSError"), (2 ** 63, "OverflowError"),
                                            (1.5, "TypeError"), ("3", "TypeError"), (None, "TypeError")])
def test_close_bad_fd(mod, value, expected):
    with pytest.raises(Exception) as e:
        mod.close(value)
    assert type(e.value).__name__ == expected


# --- sethostname: only in a UTS namespace made for it ------------------------------------------

SETHOSTNAME_CHILD = """
import socket, usocket
usocket.sethostname("usocket-uts-test")
assert socket.gethostname() == "usocket-uts-test", socket.gethostname()
usocket.sethostname(b"usocket-bytes")
assert socket.gethostname() == "usocket-bytes"
for bad, cls in (("x" * 100, OSError), ("a\\0b", ValueError), (1, TypeError), (bytearray(b"x"), TypeError)):
    try:
        usocket.sethostname(bad)
    except cls:
        pass
    else:
        raise AssertionError(bad)
print("ok")
"""


def test_sethostname_in_own_uts_namespace():
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "--uts", "true"], stderr=subprocess.DEVNULL).returncode != 0:
        pytest.skip("no UTS namespace can be made here (never renames the machine)")
    before = cpython_socket.gethostname()
    out = subprocess.run([unshare, "--uts", "--", sys.executable, "-c", SETHOSTNAME_CHILD], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
    assert cpython_socket.gethostname() == before


def test_sethostname_argument_errors_before_the_call():
    # Refused before any system call: safe outside a namespace.
    for bad, cls in ((1, TypeError), (None, TypeError), ("a\0b", ValueError), (bytearray(b"x"), TypeError)):
        with pytest.raises(cls):
            usocket.sethostname(bad)


# --- _accept and subclasses --------------------------------------------------------------------

def test_private_accept_returns_fd_and_address(mod):
    with mod.socket() as listener, mod.socket() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.connect(listener.getsockname())
        fd, address = listener._accept()
        assert isinstance(fd, int) and address == client.getsockname()
        assert not os.get_inheritable(fd)
        with mod.socket(fileno=fd) as conn:
            client.sendall(b"hi")
            assert conn.recv(2) == b"hi"


def test_subclass_accept_over_private_accept():
    # What gevent and others do: a subclass building accept() on _accept().
    class Sock(usocket.socket):
        def accept(self):
            fd, addr = self._accept()
            return Sock(self.family, self.type, self.proto, fileno=fd), addr

    with Sock() as listener, Sock() as client:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client.connect(listener.getsockname())
        conn, _ = listener.accept()
        with conn:
            assert type(conn) is Sock
            assert conn.family is usocket.AF_INET
            assert "Sock" in repr(conn)


# --- enums --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,base", [("AddressFamily", enum.IntEnum), ("SocketKind", enum.IntEnum),
                                       ("MsgFlag", enum.IntFlag), ("AddressInfo", enum.IntFlag)])
def test_enum_types_as_cpython(name, base):
    ours, theirs = getattr(usocket, name), getattr(cpython_socket, name)
    assert issubclass(ours, base)
    assert {k: int(v) for k, v in ours.__members__.items()} == {k: int(v) for k, v in theirs.__members__.items()}


def test_family_type_and_repr_as_cpython():
    for mod in IMPLS.values():
        with mod.socket(mod.AF_INET6 if mod.has_ipv6 else mod.AF_INET, mod.SOCK_DGRAM) as s:
            assert type(s.family).__name__ == "AddressFamily" and type(s.type).__name__ == "SocketKind"
    with usocket.socket() as s, cpython_socket.socket() as c:
        assert s.family is usocket.AF_INET and s.type is usocket.SOCK_STREAM
        assert str(s.family) == str(c.family) and repr(s.family) == repr(c.family)
        assert repr(s).split(" fd=")[1].split(",")[1:4] == repr(c).split(" fd=")[1].split(",")[1:4]
        s.close()
        assert s.family is usocket.AF_INET  # known after close


def test_getaddrinfo_returns_enums():
    ours = usocket.getaddrinfo("127.0.0.1", 80, 0, usocket.SOCK_STREAM)
    theirs = cpython_socket.getaddrinfo("127.0.0.1", 80, 0, cpython_socket.SOCK_STREAM)
    assert [(repr(f), repr(t)) for f, t, *_ in ours] == [(repr(f), repr(t)) for f, t, *_ in theirs]
    assert ours == theirs


def test_unknown_values_stay_ints():
    a, b = usocket.socketpair(usocket.AF_UNIX, usocket.SOCK_SEQPACKET)
    with a, b:
        assert a.type is usocket.SOCK_SEQPACKET
    # A value no member has comes back as the plain int (CPython's _intenum_converter).
    assert usocket.AddressFamily.__members__.get("AF_XYZ") is None


def test_module_constants_are_members():
    assert usocket.AF_INET is usocket.AddressFamily.AF_INET
    assert usocket.MSG_PEEK is usocket.MsgFlag.MSG_PEEK
    assert usocket.AI_PASSIVE is usocket.AddressInfo.AI_PASSIVE


def test_every_cpython_constant():
    missing, different = [], []
    for name in dir(cpython_socket):
        value = getattr(cpython_socket, name)
        if name.startswith("_") or not name.isupper() and name != "AF_DECnet":
            continue
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            continue
        if not hasattr(usocket, name):
            missing.append(name)
        elif getattr(usocket, name) != value:
            different.append(name)
    assert (missing, different) == ([], [])


# --- UDP-Lite -----------------------------------------------------------------------------------

def udplite(mod, family):
    try:
        return mod.socket(family, mod.SOCK_DGRAM, mod.IPPROTO_UDPLITE)
    except OSError as e:
        pytest.skip("no UDP-Lite here: %s" % e)


def test_udplite_exchange_and_coverage(mod):
    r, s = udplite(mod, mod.AF_INET), udplite(mod, mod.AF_INET)
    with r, s:
        r.bind(("127.0.0.1", 0))
        s.bind(("127.0.0.1", 0))
        r.settimeout(5)
        s.setsockopt(mod.IPPROTO_UDPLITE, mod.UDPLITE_SEND_CSCOV, 8)
        r.setsockopt(mod.IPPROTO_UDPLITE, mod.UDPLITE_RECV_CSCOV, 8)
        assert s.getsockopt(mod.IPPROTO_UDPLITE, mod.UDPLITE_SEND_CSCOV) == 8
        assert r.getsockopt(mod.IPPROTO_UDPLITE, mod.UDPLITE_RECV_CSCOV) == 8
        s.sendto(b"lite", r.getsockname())
        data, address = r.recvfrom(16)
        assert data == b"lite" and address == s.getsockname()
        assert r.proto == mod.IPPROTO_UDPLITE


# --- sendfile -----------------------------------------------------------------------------------

DATA = bytes(range(256)) * 4096  # 1 MiB


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "data"
    path.write_bytes(DATA)
    return path


def receive_all(conn, out):
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return
        out.append(chunk)


def send_and_receive(mod, send):
    """Runs send(client) and returns (its result, the bytes the peer received)."""
    with mod.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with mod.create_connection(listener.getsockname(), timeout=30) as client:
            conn, _ = listener.accept()
            out = []
            with conn:
                reader = threading.Thread(target=receive_all, args=(conn, out))
                reader.start()
                try:
                    result = send(client)
                finally:
                    client.shutdown(mod.SHUT_WR)
                    reader.join()
    return result, b"".join(out)


@pytest.mark.parametrize("method", ["sendfile", "_sendfile_use_sendfile", "_sendfile_use_send"])
@pytest.mark.parametrize("offset,count", [(0, None), (5000, None), (0, 100007), (2007, 100007), (0, 1)])
def test_sendfile_as_cpython(mod, data_file, method, offset, count):
    with open(data_file, "rb") as f:
        sent, received = send_and_receive(mod, lambda c: getattr(c, method)(f, offset, count))
        end = len(DATA) if count is None else offset + count
        assert sent == end - offset and received == DATA[offset:end]
        assert f.tell() == end


def test_sendfile_file_without_descriptor(mod):
    f = io.BytesIO(DATA)
    sent, received = send_and_receive(mod, lambda c: c.sendfile(f, 10, 1000))
    assert (sent, received, f.tell()) == (1000, DATA[10:1010], 1010)
    with mod.socket() as s, pytest.raises(mod._GiveupOnSendfile):
        s._sendfile_use_sendfile(io.BytesIO(b"x"))


@pytest.mark.parametrize("call,expected", [
    (lambda s, f: s.sendfile(f, count=0), "ValueError"),
    (lambda s, f: s.sendfile(f, count=-1), "ValueError"),
    (lambda s, f: s.sendfile(f, count="2"), "TypeError"),
    (lambda s, f: s.sendfile(f, count=0.5), "TypeError"),
    (lambda s, f: s.sendfile(f, "x"), "TypeError"),
    (lambda s, f: s.sendfile(), "TypeError"),
    (lambda s, f: s.sendfile(f, 0, None, 1), "TypeError"),
])
def test_sendfile_argument_errors(mod, data_file, call, expected):
    with mod.socket() as s, open(data_file, "rb") as f:
        with pytest.raises(Exception) as e:
            call(s, f)
        assert type(e.value).__name__ == expected


def test_sendfile_refusals(mod, data_file):
    with mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as s, open(data_file, "rb") as f:
        with pytest.raises(ValueError, match="SOCK_STREAM"):
            s.sendfile(f)
    with mod.socket() as s, open(data_file, "r", encoding="latin-1") as f:
        with pytest.raises(ValueError, match="binary mode"):
            s.sendfile(f)
    with mod.socket() as s, open(data_file, "rb") as f:
        s.setblocking(False)
        with pytest.raises(ValueError):
            s.sendfile(f)
    s = mod.socket()
    s.close()
    with open(data_file, "rb") as f, pytest.raises(ValueError):  # CPython's selector refuses -1
        s.sendfile(f)
    with open(data_file, "rb") as f, pytest.raises(OSError) as e:
        s._sendfile_use_send(f)
    assert e.value.errno == errno.EBADF


@pytest.mark.parametrize("source", ["file", "bytesio"])
def test_sendfile_one_deadline(tmp_path, source):
    # The peer reads nothing: the whole call ends after the socket's timeout, and the file is
    # left after what was sent.
    path = tmp_path / "big"
    with open(path, "wb") as f:
        f.truncate(64 << 20)
    with usocket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        with usocket.create_connection(listener.getsockname()) as client:
            conn, _ = listener.accept()
            with conn, open(path, "rb") as f:
                src = f if source == "file" else io.BytesIO(f.read())
                client.settimeout(0.3)
                start = time.monotonic()
                with pytest.raises(TimeoutError):
                    client.sendfile(src)
                assert time.monotonic() - start < 10
                assert 0 < src.tell() < 64 << 20


# --- getaddrinfo(timeout=) ----------------------------------------------------------------------

def test_getaddrinfo_timeout():
    assert usocket.getaddrinfo("127.0.0.1", 80, timeout=0) == usocket.getaddrinfo("127.0.0.1", 80)
    assert usocket.getaddrinfo("127.0.0.1", 80, timeout=None) == usocket.getaddrinfo("127.0.0.1", 80)
    assert usocket.getaddrinfo("localhost", 80, usocket.AF_INET, timeout=5)[0][4] == ("127.0.0.1", 80)
    with pytest.raises(usocket.gaierror):
        usocket.getaddrinfo(TOO_LONG_NAME, 80, timeout=5)
    with pytest.raises(ValueError):
        usocket.getaddrinfo("127.0.0.1", 80, timeout=-1)
    with pytest.raises(TypeError):
        usocket.getaddrinfo("127.0.0.1", 80, timeout="1")
    with pytest.raises(TypeError):  # keyword-only: CPython's signature stays as it is
        usocket.getaddrinfo("127.0.0.1", 80, 0, 0, 0, 0, 5)


def test_family_getter_is_cheap_enough_to_be_a_lookup():
    # sock.family returns the member from the enum's value map (no enum call): the same object.
    with usocket.socket() as s:
        assert s.family is s.family is usocket.AddressFamily.AF_INET


class NegativeFileno:
    def fileno(self):
        return -5


class StrRead(io.RawIOBase):
    def read(self, n=-1):
        return "text"


@pytest.mark.parametrize("call", [
    lambda s, path: s.sendfile(NegativeFileno()),
    lambda s, path: s.sendfile(StrRead()),
    lambda s, path: s.sendfile(io.BytesIO(b"abc"), -1),
    lambda s, path: s.sendfile(io.BytesIO(b"abc"), 0, 2 ** 70),
    lambda s, path: s.sendfile(None),
    lambda s, path: s._sendfile_use_send(path(), -1),
    lambda s, path: s._sendfile_use_sendfile(path(), -1),
], ids=["negative fileno", "str read", "negative offset", "huge count", "None", "send negative offset",
        "kernel negative offset"])
def test_sendfile_odd_files_as_cpython(data_file, call):
    outcomes, files = [], []

    def opened():
        files.append(open(data_file, "rb"))
        return files[-1]

    for mod in IMPLS.values():
        a, b = mod.socketpair()
        with a, b:
            b.setblocking(False)
            try:
                outcomes.append(("ok", call(a, opened)))
            except Exception as e:  # noqa: BLE001 - the class is the result
                outcomes.append((type(e).__name__, getattr(e, "errno", None)))
    for f in files:
        f.close()
    assert outcomes[0] == outcomes[1]
