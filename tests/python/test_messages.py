"""sendmsg, recvmsg, recvmsg_into, CMSG_LEN/CMSG_SPACE, send_fds/recv_fds: the same results as
CPython's socket on loopback and Unix socket pairs, descriptors passed safely (close-on-exec,
none left open when a message is cut short or its result is never made), hostile ancillary
data, wrong types, closed sockets, and signals during a blocking recvmsg()."""

import array
import errno
import os
import signal
import threading
import time
import warnings

import pytest

import usocket
from conftest import IMPLS

INT = array.array("i").itemsize


def all_fds():
    return set(os.listdir("/proc/self/fd"))


def pipe_fds(n):
    """n pipes: ([read ends], [write ends])."""
    pipes = [os.pipe() for _ in range(n)]
    return [r for r, _ in pipes], [w for _, w in pipes]


def close_all(fds):
    for fd in fds:
        os.close(fd)


def fds_of(ancdata, mod):
    out = array.array("i")
    for level, kind, data in ancdata:
        if level == mod.SOL_SOCKET and kind == mod.SCM_RIGHTS:
            out.frombytes(data[:len(data) - len(data) % INT])
    return list(out)


@pytest.fixture
def unix_pair(mod):
    a, b = mod.socketpair()
    yield a, b
    a.close()
    b.close()


def test_cmsg_sizes_as_cpython(mod):
    for n in (0, 1, 4, 7, 8, 1000):
        assert mod.CMSG_LEN(n) == IMPLS["cpython"].CMSG_LEN(n)
        assert mod.CMSG_SPACE(n) == IMPLS["cpython"].CMSG_SPACE(n)
    for bad in (-1, 2 ** 63 - 1):
        with pytest.raises(OverflowError):
            mod.CMSG_LEN(bad)
        with pytest.raises(OverflowError):
            mod.CMSG_SPACE(bad)
    with pytest.raises(TypeError):
        mod.CMSG_LEN(1.0)


def test_gather_and_scatter(mod, unix_pair):
    a, b = unix_pair
    assert a.sendmsg([b"ab", bytearray(b"cd"), memoryview(b"ef")]) == 6
    one, two = bytearray(4), bytearray(4)
    n, ancdata, flags, address = b.recvmsg_into([one, memoryview(two)])
    assert (n, ancdata, flags) == (6, [], 0)
    assert one == b"abcd" and two[:2] == b"ef"
    a.sendmsg([b"xyz"])
    assert b.recvmsg(16) == (b"xyz", [], 0, None)


def test_datagram_addresses_and_truncation(mod):
    with mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as r, mod.socket(mod.AF_INET, mod.SOCK_DGRAM) as s:
        r.bind(("127.0.0.1", 0))
        r.settimeout(5)
        s.bind(("127.0.0.1", 0))
        assert s.sendmsg([b"hello ", b"world"], [], 0, r.getsockname()) == 11
        data, ancdata, flags, address = r.recvmsg(5)
        assert data == b"hello" and flags & mod.MSG_TRUNC and address == s.getsockname()
        assert isinstance(flags, int)


@pytest.mark.parametrize("room", [10, 512, 513, 1000])
def test_msg_trunc_gives_the_datagrams_length_and_only_its_bytes(mod, room):
    # With MSG_TRUNC, Linux returns a datagram's whole length. recv's and recvfrom's result
    # is that long, as CPython's; what lies past the room is zeros here (CPython's is
    # uninitialised), never bytes of an earlier receive or from beyond the buffer.
    big = 150000
    a, b = mod.socketpair(mod.AF_UNIX, mod.SOCK_DGRAM)
    r = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    s = mod.socket(mod.AF_INET, mod.SOCK_DGRAM)
    with a, b, r, s:
        a.setsockopt(mod.SOL_SOCKET, mod.SO_SNDBUF, 1 << 20)
        b.setsockopt(mod.SOL_SOCKET, mod.SO_RCVBUF, 1 << 20)
        r.bind(("127.0.0.1", 0))
        s.connect(r.getsockname())
        a.send(b"S" * 4000)  # an earlier receive leaves its bytes in any buffer it went through
        assert b.recv(4000) == b"S" * 4000
        results = []
        a.send(b"x" * big)
        results.append(b.recv(room, mod.MSG_TRUNC))
        a.send(b"y" * big)
        results.append(b.recvfrom(room, mod.MSG_TRUNC)[0])
        a.send(b"z" * big)
        data, _, flags, _ = b.recvmsg(room, 0, mod.MSG_TRUNC)
        assert flags & mod.MSG_TRUNC
        assert data == b"z" * room  # recvmsg: only what fitted, as CPython
        s.send(b"u" * 2000)
        results.append(r.recv(room, mod.MSG_TRUNC))
        into = bytearray(room)
        s.send(b"v" * 2000)
        assert r.recv_into(into, 0, mod.MSG_TRUNC) == 2000
        assert into == b"v" * room
        for data, sent, length in zip(results, b"xyu", (big, big, 2000)):
            assert len(data) == length
            assert data[:room] == bytes([sent]) * room
            if mod is usocket:
                assert data[room:] == bytes(length - room)


def test_descriptors_pass_close_on_exec(mod, unix_pair):
    a, b = unix_pair
    readers, writers = pipe_fds(2)
    try:
        a.sendmsg([b"x"], [(mod.SOL_SOCKET, mod.SCM_RIGHTS, array.array("i", readers))])
        data, ancdata, flags, _ = b.recvmsg(1, mod.CMSG_SPACE(2 * INT))
        got = fds_of(ancdata, mod)
        try:
            assert data == b"x" and flags == 0 and len(got) == 2
            if mod is usocket:  # (CPython's are inheritable: it passes no MSG_CMSG_CLOEXEC)
                for fd in got:
                    assert not os.get_inheritable(fd)
            os.write(writers[0], b"through")
            assert os.read(got[0], 16) == b"through"
        finally:
            close_all(got)
    finally:
        close_all(readers + writers)


def test_send_fds_recv_fds(mod, unix_pair):
    a, b = unix_pair
    readers, writers = pipe_fds(3)
    try:
        assert mod.send_fds(a, [b"abc"], readers) == 3
        data, fds, flags, address = mod.recv_fds(b, 16, 3)
        try:
            assert (data, len(fds), flags) == (b"abc", 3, 0)
        finally:
            close_all(fds)
    finally:
        close_all(readers + writers)


@pytest.mark.parametrize("room", [0, 1, 2])
def test_truncated_descriptors_leak_nothing(mod, unix_pair, room):
    # Four descriptors sent, room for fewer: MSG_CTRUNC, the ones that fit are the caller's,
    # the others never reach this process.
    a, b = unix_pair
    readers, writers = pipe_fds(4)
    try:
        before = all_fds()
        a.sendmsg([b"x"], [(mod.SOL_SOCKET, mod.SCM_RIGHTS, array.array("i", readers))])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            data, ancdata, flags, _ = b.recvmsg(1, mod.CMSG_LEN(room * INT))
        got = fds_of(ancdata, mod)
        assert flags & mod.MSG_CTRUNC
        assert len(got) == room
        for fd in got:
            os.fstat(fd)  # open
        close_all(got)
        assert all_fds() == before
    finally:
        close_all(readers + writers)


def test_recv_fds_fewer_than_sent_leaks_nothing(mod, unix_pair):
    a, b = unix_pair
    readers, writers = pipe_fds(5)
    try:
        before = all_fds()
        mod.send_fds(a, [b"y"], readers)
        data, fds, flags, _ = mod.recv_fds(b, 1, 2)
        assert data == b"y" and len(fds) == 2 and flags & mod.MSG_CTRUNC
        close_all(fds)
        assert all_fds() == before
    finally:
        close_all(readers + writers)


HOSTILE = [
    ("bad descriptor", lambda m: [(m.SOL_SOCKET, m.SCM_RIGHTS, array.array("i", [-1]))], ("OSError", errno.EBADF)),
    ("part of a descriptor", lambda m: [(m.SOL_SOCKET, m.SCM_RIGHTS, b"\0\0")], ("ok",)),
    ("unknown type", lambda m: [(m.SOL_SOCKET, 12345, b"x")], ("OSError", errno.EINVAL)),
    ("other level", lambda m: [(m.IPPROTO_IP, m.IP_TTL, b"\1\0\0\0")], ("ok",)),
    ("too many descriptors", lambda m: [(m.SOL_SOCKET, m.SCM_RIGHTS, array.array("i", [0] * 300))],
     ("OSError", errno.EINVAL)),
    ("huge item", lambda m: [(m.SOL_SOCKET, m.SCM_RIGHTS, bytes(1 << 20))], ("OSError", None)),
    ("two-item tuple", lambda m: [(1, 2)], ("TypeError",)),
    ("item not a sequence", lambda m: [1], ("TypeError",)),
    ("item is bytes", lambda m: [b"abc"], ("TypeError",)),
    ("list item", lambda m: [[m.SOL_SOCKET, m.SCM_RIGHTS, b""]], ("ok",)),
    ("str data", lambda m: [(1, 1, "text")], ("TypeError",)),
    ("level past an int", lambda m: [(2 ** 31, 1, b"")], ("OverflowError",)),
    ("not iterable", lambda m: 5, ("TypeError",)),
]


def outcome(fn):
    try:
        fn()
    except OSError as e:
        return (type(e).__name__, e.errno)
    except Exception as e:  # noqa: BLE001 - the class is the result
        return (type(e).__name__,)
    return ("ok",)


@pytest.mark.parametrize("make,expected", [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_ancillary_data(mod, make, expected):
    a, b = mod.socketpair()
    with a, b:
        got = outcome(lambda: a.sendmsg([b"x"], make(mod)))
        if expected[1:] == (None,):
            got = got[:1] + (None,)
        assert got == expected
        b.setblocking(False)
        try:
            _, ancdata, _, _ = b.recvmsg(16, 1024)
            close_all(fds_of(ancdata, mod))
        except BlockingIOError:
            pass


BAD_CALLS = [
    ("sendmsg no buffers", lambda s: s.sendmsg(), "TypeError"),
    ("sendmsg str buffer", lambda s: s.sendmsg(["x"]), "TypeError"),
    ("sendmsg buffers not iterable", lambda s: s.sendmsg(5), "TypeError"),
    ("sendmsg bad flags", lambda s: s.sendmsg([b"x"], [], "0"), "TypeError"),
    ("sendmsg 5 arguments", lambda s: s.sendmsg([b"x"], [], 0, None, 1), "TypeError"),
    ("recvmsg negative", lambda s: s.recvmsg(-1), "ValueError"),
    ("recvmsg negative ancillary", lambda s: s.recvmsg(1, -1), "ValueError"),
    ("recvmsg ancillary past an int", lambda s: s.recvmsg(1, 2 ** 31), "ValueError"),
    ("recvmsg float", lambda s: s.recvmsg(1.0), "TypeError"),
    ("recvmsg huge", lambda s: s.recvmsg(2 ** 62), "MemoryError"),
    ("recvmsg_into bytes", lambda s: s.recvmsg_into([b"x"]), "TypeError"),
    ("recvmsg_into not iterable", lambda s: s.recvmsg_into(5), "TypeError"),
    ("recvmsg_into negative ancillary", lambda s: s.recvmsg_into([bytearray(1)], -1), "ValueError"),
]


@pytest.mark.parametrize("call,expected", [c[1:] for c in BAD_CALLS], ids=[c[0] for c in BAD_CALLS])
def test_wrong_arguments(mod, call, expected):
    a, b = mod.socketpair()
    with a, b:
        b.setblocking(False)
        with pytest.raises(Exception) as e:
            call(b)
        assert type(e.value).__name__ == expected


@pytest.mark.parametrize("call", [lambda s: s.sendmsg([b"x"]), lambda s: s.recvmsg(1),
                                  lambda s: s.recvmsg_into([bytearray(1)])], ids=["sendmsg", "recvmsg", "recvmsg_into"])
def test_closed_socket(mod, call):
    a, b = mod.socketpair()
    b.close()
    a.close()
    with pytest.raises(OSError) as e:
        call(a)
    assert e.value.errno == errno.EBADF


def test_recvmsg_timeout_keeps_nothing_lost(unix_pair):
    a, b = unix_pair
    b.settimeout(0.05)
    with pytest.raises(TimeoutError):
        b.recvmsg(4)
    a.sendall(b"late")
    assert b.recvmsg(4)[0] == b"late"


def interrupt_after(seconds):
    """SIGALRM to this process after `seconds` (the handler runs on the main thread)."""
    signal.setitimer(signal.ITIMER_REAL, seconds)


class Interrupted(Exception):
    pass


@pytest.mark.parametrize("method", ["recvmsg", "recvmsg_into"])
def test_signal_handler_exception_ends_blocking_recvmsg(unix_pair, method):
    a, b = unix_pair

    def handler(signum, frame):
        raise Interrupted

    old = signal.signal(signal.SIGALRM, handler)
    try:
        interrupt_after(0.05)
        with pytest.raises(Interrupted):
            if method == "recvmsg":
                b.recvmsg(16)
            else:
                b.recvmsg_into([bytearray(16)])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_signal_handler_returning_resumes_recvmsg_with_descriptors(unix_pair):
    # PEP 475: the call goes on after a handler that returns, and a message with descriptors
    # that arrives later is received whole.
    a, b = unix_pair
    calls = []
    old = signal.signal(signal.SIGALRM, lambda *_: calls.append(1))
    readers, writers = pipe_fds(1)
    timer = threading.Timer(0.3, lambda: usocket.send_fds(a, [b"z"], readers))
    try:
        b.settimeout(10)
        interrupt_after(0.05)
        timer.start()
        data, fds, flags, _ = usocket.recv_fds(b, 4, 1)
        close_all(fds)
        assert calls and data == b"z" and len(fds) == 1 and flags == 0
    finally:
        timer.join()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        close_all(readers + writers)


def test_sendmsg_timeout_one_deadline(unix_pair):
    a, b = unix_pair
    a.settimeout(0.2)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        for _ in range(100000):  # until the peer's buffer is full
            a.sendmsg([bytes(65536)])
    assert time.monotonic() - start < 10


def test_ipv6_ancillary_hop_limit(mod):
    if not mod.has_ipv6:
        pytest.skip("no IPv6")
    with mod.socket(mod.AF_INET6, mod.SOCK_DGRAM) as r, mod.socket(mod.AF_INET6, mod.SOCK_DGRAM) as s:
        try:
            r.bind(("::1", 0))
        except OSError:
            pytest.skip("no ::1")
        r.setsockopt(mod.IPPROTO_IPV6, mod.IPV6_RECVHOPLIMIT, 1)
        r.settimeout(5)
        s.sendmsg([b"v6"], [(mod.IPPROTO_IPV6, mod.IPV6_HOPLIMIT, array.array("i", [7]))], 0, r.getsockname())
        data, ancdata, flags, _ = r.recvmsg(4, mod.CMSG_SPACE(INT))
        assert data == b"v6" and len(ancdata) == 1
        level, kind, value = ancdata[0]
        assert (level, kind) == (mod.IPPROTO_IPV6, mod.IPV6_HOPLIMIT)
        assert array.array("i", value)[0] == 7


def test_credentials(mod, unix_pair):
    import struct
    a, b = unix_pair
    b.setsockopt(mod.SOL_SOCKET, mod.SO_PASSCRED, 1)
    a.sendmsg([b"c"], [(mod.SOL_SOCKET, mod.SCM_CREDENTIALS, struct.pack("iII", os.getpid(), os.getuid(),
                                                                          os.getgid()))])
    data, ancdata, flags, _ = b.recvmsg(1, mod.CMSG_SPACE(12))
    assert [(lv, kind) for lv, kind, _ in ancdata] == [(mod.SOL_SOCKET, mod.SCM_CREDENTIALS)]
    assert struct.unpack("iII", ancdata[0][2]) == (os.getpid(), os.getuid(), os.getgid())


@pytest.mark.parametrize("method", ["recvmsg", "recvmsg_into"])
def test_close_during_blocking_recvmsg(method):
    # Another thread closes the socket under a waiting recvmsg(): the call ends (an error or
    # its timeout), nothing crashes, nothing is left open.
    a, b = usocket.socketpair()
    b.settimeout(1)
    outcome = []

    def receive():
        try:
            if method == "recvmsg":
                outcome.append(b.recvmsg(16, 64))
            else:
                outcome.append(b.recvmsg_into([bytearray(16)], 64))
        except OSError as e:
            outcome.append(e)

    t = threading.Thread(target=receive)
    t.start()
    time.sleep(0.1)
    b.close()
    t.join(10)
    a.close()
    assert not t.is_alive() and len(outcome) == 1


def test_recvmsg_into_holds_its_buffers():
    # The buffers are exported for the whole call: resizing one from another thread fails
    # instead of moving the memory the kernel writes into.
    a, b = usocket.socketpair()
    with a, b:
        buf = bytearray(16)
        b.settimeout(5)
        errors = []

        def resize():
            time.sleep(0.1)
            try:
                buf.extend(b"more")
            except BufferError as e:
                errors.append(e)
            a.sendall(b"data")

        t = threading.Thread(target=resize)
        t.start()
        n, _, _, _ = b.recvmsg_into([buf])
        t.join()
        assert errors and n == 4 and buf[:4] == b"data"


class FreshItem:
    """An ancillary item that is a sequence, not a tuple, whose data is a new bytes object at
    each access: only the call's own reference keeps it alive while the call uses it."""

    def __init__(self, mod, fd):
        self.parts = (mod.SOL_SOCKET, mod.SCM_RIGHTS, fd)

    def __len__(self):
        return 3

    def __getitem__(self, i):
        v = self.parts[i]
        return array.array("i", [v]).tobytes() if i == 2 else v


def test_an_item_made_at_each_access_stays_alive_for_the_call(mod, unix_pair):
    a, b = unix_pair
    readers, writers = pipe_fds(1)
    try:
        for _ in range(20):  # freed memory is reused soon: one round would almost always tell
            assert a.sendmsg([b"x"], [FreshItem(mod, readers[0])]) == 1
            data, ancdata, _, _ = b.recvmsg(1, mod.CMSG_SPACE(INT))
            got = fds_of(ancdata, mod)
            try:
                assert data == b"x" and len(got) == 1
                os.write(writers[0], b"ok")
                assert os.read(got[0], 4) == b"ok"
            finally:
                close_all(got)
    finally:
        close_all(readers + writers)


@pytest.mark.parametrize("how", ["sendmsg", "send_many"])
def test_buffers_a_list_drops_while_the_call_waits_are_still_sent(mod, how):
    """The list's bytes objects die while the send waits with the GIL released: what is sent is
    still theirs (each call holds its own references)."""
    if how == "send_many" and mod is not usocket:
        pytest.skip("CPython has no send_many")
    kind = mod.SOCK_DGRAM if how == "send_many" else mod.SOCK_STREAM
    a, b = mod.socketpair(mod.AF_UNIX, kind)
    with a, b:
        a.setblocking(False)
        filled = 0
        try:
            for _ in range(100000):  # until the peer's buffer is full
                filled += a.send(b"f" * 256)
        except BlockingIOError:
            pass
        a.settimeout(10)
        items = [bytes([65 + i]) * 200 for i in range(4)]
        expected = b"".join(items)
        pending = list(items)
        del items
        result = {}

        def sender():
            result["n"] = a.sendmsg(pending) if how == "sendmsg" else a.send_many(pending)

        t = threading.Thread(target=sender)
        t.start()
        time.sleep(0.3)  # the sender waits for room, the GIL released
        pending.clear()
        junk = [bytes(200) for _ in range(100)]  # noqa: F841 - reuses the freed memory
        got = bytearray()
        b.settimeout(5)
        deadline = time.monotonic() + 10
        while len(got) < filled + len(expected) and time.monotonic() < deadline:
            got += b.recv(65536)
        t.join(10)
        assert not t.is_alive()
        assert bytes(got[filled:]) == expected
