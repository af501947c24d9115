"""What the differential fuzzer of usocket against CPython's socket is built from: a world per
module (its own temporary directory, its own sockets on loopback, port 0), the pool of hostile
values, and the outcome of a call in a form two worlds can be compared by.

A value in the pool is either a plain Python object, used as it is by both worlds, or a `Sym`,
which each world turns into its own object of the same meaning (a path in its own directory,
the address of its own listener, one of its own sockets, a pipe's descriptor...).

Every call runs under a watchdog: an interval timer whose handler raises `Hang` when the call
has not returned after HANG_SECONDS (long enough for a call that does not wait to
return on a loaded machine). A blocking call with nothing to wait for is therefore an
outcome ("raise", "Hang") in both worlds, provided the module runs signal handlers while it
waits, as CPython does; a module that does not is a real hang, which faulthandler's watchdog
(set by the runner) turns into a failure with a traceback.
"""

import array
import copy
import decimal
import enum
import errno
import fractions
import operator
import os
import select as cpython_select
import shutil
import signal
import socket as cpython_socket
import tempfile

HANG_SECONDS = 0.1


class Hang(Exception):
    """A call blocked for longer than HANG_SECONDS (raised by the watchdog's signal handler)."""


class Sym:
    """A value each world makes for itself (see World.resolve)."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "<%s>" % self.name


# --- objects with odd protocols ---------------------------------------------------------------


class Index:
    """An object with __index__ only (as numpy integers)."""

    def __init__(self, v):
        self.v = v

    def __index__(self):
        return self.v

    def __repr__(self):
        return "Index(%d)" % self.v


class IntOnly:
    """An object with __int__ but no __index__ (CPython refuses it where it wants an index)."""

    def __int__(self):
        return 1

    def __repr__(self):
        return "IntOnly()"


class FloatOnly:
    """An object with __float__ only."""

    def __float__(self):
        return 0.5

    def __repr__(self):
        return "FloatOnly()"


class BadIndex:
    """__index__ raises: the error must come through unchanged."""

    def __index__(self):
        raise ZeroDivisionError("from __index__")

    def __repr__(self):
        return "BadIndex()"


class BadBool:
    """__bool__ raises."""

    def __bool__(self):
        raise ZeroDivisionError("from __bool__")

    def __repr__(self):
        return "BadBool()"


class FilenoObject:
    """An object with a fileno() method returning `fd` (a Sym resolved per world)."""

    def __init__(self, fd):
        self.fd = fd

    def fileno(self):
        return self.fd

    def __repr__(self):
        return "FilenoObject(%r)" % (self.fd,)


class Color(enum.IntEnum):
    RED = 1


class StrSub(str):
    pass


class BytesSub(bytes):
    pass


class TupleSub(tuple):
    pass


# --- the pool ---------------------------------------------------------------------------------

NAN = float("nan")
INF = float("inf")

NUMBERS = [0, 1, -1, 2, 255, 65535, 65536, 2 ** 31 - 1, 2 ** 31, -2 ** 31, -2 ** 31 - 1, 2 ** 32, 2 ** 40,
           2 ** 63 - 1, 2 ** 63, 2 ** 64, -2 ** 63 - 1, 2 ** 70, -2 ** 70, True, False, Color.RED, Index(3),
           Index(-1), Index(2 ** 70), IntOnly(), BadIndex()]
FLOATS = [0.0, 0.5, 1.5, -0.5, -0.0, -1e-10, 1e300, NAN, INF, -INF, FloatOnly(), fractions.Fraction(1, 3),
          decimal.Decimal("0.5")]
# No text here may be a name the resolver would send to DNS when a module takes it as a host
# (usocket takes a str as an IPv4 address, seed 002): empty, numeric, or failing before any
# lookup (a NUL, a lone surrogate, longer than a DNS name can be).
TEXTS = ["", "1", "0.5", "\0", "\0a", "1\0b", "\udcff", "\u00e9" * 300, "x" * 300, StrSub("1")]
BINARIES = [b"", b"1", b"\0", b"1\0b", b"x" * 300, bytearray(b"ab"), memoryview(b"ab"), BytesSub(b"1"),
            array.array("i", [1, 2])]
OTHERS = [None, [], [1, 2], (), (1,), {}, object(), BadBool(), Sym("socket"), Sym("closed_socket")]
GENERIC = NUMBERS + FLOATS + TEXTS + BINARIES + OTHERS

# Hosts: literals and values that fail before any lookup (see TEXTS), never a name for DNS.
HOSTS = ["127.0.0.1", "", "<broadcast>", "::1", "0.0.0.0", b"127.0.0.1", bytearray(b"127.0.0.1"), "127.0.0.1\0x",
         b"127.0.0.1\0x", "\0x", "x" * 300, "\u00e9" * 70, "\udcff", "1.2.3", "127.1", "::ffff:127.0.0.1",
         "fe80::1%lo", StrSub("127.0.0.1"), 1, None]
PORTS = [0, 1, 80, 65535, 65536, -1, 2 ** 31, 2 ** 70, -2 ** 70, 1.5, "80", b"80", None, True, Index(5), Color.RED]
ADDRESSES = ([("127.0.0.1", 0), Sym("listener_address"), Sym("udp_address"), ("127.0.0.1", Sym("free_port"))]
             + [(h, 0) for h in HOSTS]
             + [("127.0.0.1", p) for p in PORTS]
             + [["127.0.0.1", 0], ("127.0.0.1",), ("127.0.0.1", 0, 0), ("127.0.0.1", 0, 0, 0, 0),
                TupleSub(("127.0.0.1", 0)),
                ("::1", 0, 0, 0), ("::1", 0, 2 ** 20, 0), ("::1", 0, -1, 0), ("::1", 0, 0, 2 ** 32), ("::1", 0, 0, -1),
                ("::1", 0, 1.5, 0), ("::1", 0, 0, 1), "127.0.0.1", (127, 0, 0, 1), (127, 0, 0, 1, 0), (256, 0, 0, 1),
                80, Sym("path"), Sym("bytes_path"), Sym("long_path"), Sym("path_nul"), Sym("abstract"),
                Sym("missing_dir_path"), "", b"", "\0", b"\0", "x" * 108, b"x" * 107, None, 1.5, object()])
SIZES = [0, 1, 16, 1024, 65536, -1, -2 ** 70, 2 ** 31, 2 ** 63 - 1, 2 ** 63, 2 ** 64, 1.0, None, "1", Index(3),
         True, IntOnly()]
FLAGS = [0, cpython_socket.MSG_PEEK, cpython_socket.MSG_DONTWAIT, cpython_socket.MSG_OOB,
         cpython_socket.MSG_WAITALL, -1, 2 ** 31, 2 ** 32, 1.0, None, "0"]
DATA = [b"hello", "text", "\udcff", bytearray(b"abc"), memoryview(b"abc"), memoryview(b"abcdef")[::2], b"",
        b"x" * 100000, array.array("i", [1, 2]), 5, None, [1], object()]
WRITABLE = [Sym("bytearray16"), Sym("bytearray0"), Sym("memoryview16"), Sym("array16"), Sym("strided"),
            b"readonly", memoryview(b"ro"), "str", None, 5, [0] * 4]
# (No timeout under a millisecond: CPython waits at least 1 ms, poll()'s unit, usocket no longer
# than asked; which of the two is faster than a loopback connect is luck.)
TIMEOUTS = [None, 0, 0.0, 0.01, 1, 1.5, -1, -0.5, -0.0, -1e-12, NAN, INF, -INF, 1e300, 2 ** 31, 2 ** 62, 2 ** 63,
            2 ** 70, True, "1", b"1", fractions.Fraction(1, 2), decimal.Decimal("0.5"), FloatOnly(), Index(1),
            IntOnly(), []]
BOOLISH = [True, False, 0, 1, -1, 2 ** 70, 0.0, 1.5, "", "x", None, [], [1], BadBool(), object()]
LEVELS = [cpython_socket.SOL_SOCKET, cpython_socket.IPPROTO_TCP, cpython_socket.IPPROTO_IP,
          cpython_socket.IPPROTO_IPV6, 9999, -1, 2 ** 31, None, "x", 1.0]
OPTIONS = [cpython_socket.SO_REUSEADDR, cpython_socket.SO_RCVBUF, cpython_socket.SO_TYPE,
           cpython_socket.SO_ERROR, cpython_socket.SO_LINGER, cpython_socket.SO_RCVTIMEO, cpython_socket.TCP_NODELAY,
           cpython_socket.SO_BROADCAST, cpython_socket.SO_KEEPALIVE, 9999, -1, 2 ** 31, None, 1.0]
OPTVALUES = [0, 1, -1, 2 ** 31 - 1, 2 ** 31, -2 ** 31 - 1, 2 ** 40, 2 ** 70, True, 1.0, None, b"", b"\0" * 4,
             b"\0" * 8, b"\1\0\0\0\5\0\0\0", b"x" * 2000, bytearray(4), memoryview(b"\0" * 16), "1", Index(1),
             IntOnly()]
FAMILIES = [cpython_socket.AF_INET, cpython_socket.AF_INET6, cpython_socket.AF_UNIX, cpython_socket.AF_UNSPEC,
            cpython_socket.AF_PACKET, 12345, -1, 2 ** 31, 2 ** 70, None, "x", 2.0, Color.RED]
TYPES = [cpython_socket.SOCK_STREAM, cpython_socket.SOCK_DGRAM, cpython_socket.SOCK_SEQPACKET,
         cpython_socket.SOCK_RAW, cpython_socket.SOCK_STREAM | cpython_socket.SOCK_NONBLOCK,
         cpython_socket.SOCK_STREAM | cpython_socket.SOCK_CLOEXEC, 0, 77, -1, 2 ** 31, None, "x", 1.0]
PROTOS = [0, cpython_socket.IPPROTO_TCP, cpython_socket.IPPROTO_UDP, 255, -1, 2 ** 31, 2 ** 70, None, "x", 1.0]
FDS = [Sym("fd_socket"), Sym("fd_pipe"), Sym("fd_file"), Sym("fd_closed"), Sym("fd_dgram"), Sym("fd_listener"),
       -1, -2, 2 ** 31 - 1, 2 ** 31, 2 ** 40, 2 ** 64, None, 1.5, "3", Index(-1), FilenoObject(Sym("fd_socket"))]
HOWS = [0, 1, 2, 3, -1, 2 ** 31, 2 ** 70, None, 1.0, "1", True]
BACKLOGS = [0, 1, 5, 128, -1, -2 ** 31, 2 ** 31 - 1, 2 ** 31, 2 ** 40, 2 ** 70, None, 1.5, "1", True, Index(2)]
MODES = ["r", "rb", "w", "wb", "rw", "rwb", "b", "", "x", "rt", "a", "r+", None, 1, b"r"]
BUFFERINGS = [None, -1, 0, 1, 8192, 2 ** 31, 2 ** 70, -2 ** 70, 1.5, "1"]
SERVICES = ["http", "tcp", "echo", "", "nonexistent-service", "a\0b", "\udcff", "x" * 300, b"http", None, 80]
PROTO_NAMES = ["tcp", "udp", "", "icmp", "nonexistent", "a\0b", "\udcff", b"tcp", None, 6]
IP_TEXTS = ["1.2.3.4", "0.0.0.0", "255.255.255.255", "1.2.3", "1", "256.0.0.1", "1.2.3.4.5", "::1", "::", "1::2::3",
            "::ffff:1.2.3.4", "", " 1.2.3.4", "1.2.3.4\0", "\0", "a\0b", "\u0661.2.3.4", "x" * 300, b"1.2.3.4",
            None, 1]
PACKED = [b"\1\2\3\4", b"\0" * 16, b"\1\2\3", b"", b"\1" * 5, b"\0" * 15, b"\0" * 17, bytearray(4),
          memoryview(b"\0" * 4),
          "1234", None, 1]
ALL_POOLS = [GENERIC, HOSTS, PORTS, ADDRESSES, SIZES, FLAGS, DATA, WRITABLE, TIMEOUTS, BOOLISH, LEVELS, OPTIONS,
             OPTVALUES, FAMILIES, TYPES, PROTOS, FDS, HOWS, BACKLOGS, MODES, BUFFERINGS, SERVICES, PROTO_NAMES,
             IP_TEXTS, PACKED]


# --- a world per module -----------------------------------------------------------------------

class World:
    """One module's side of a comparison: its module (and the select module to compare its
    select/poll with), a temporary directory, and everything it opened (closed by close())."""

    def __init__(self, mod, name):
        self.mod = mod
        self.name = name
        self.is_cpython = mod is cpython_socket
        self.select = cpython_select if self.is_cpython else mod
        self.tmp = tempfile.mkdtemp(prefix="pyfuzz-%s-" % name)
        self.abstract_prefix = b"\0" + os.fsencode(os.path.basename(self.tmp)) + b"-"
        self.sockets = []
        self.fds = []
        self.counter = 0
        self._listener = None
        self._udp = None

    # Sockets of every state the calls start from.

    def keep(self, s):
        self.sockets.append(s)
        return s

    def socket(self, kind="tcp4"):
        m = self.mod
        if kind == "tcp4":
            return self.keep(m.socket(m.AF_INET, m.SOCK_STREAM))
        if kind == "tcp6":
            return self.keep(m.socket(m.AF_INET6, m.SOCK_STREAM))
        if kind == "udp4":
            return self.keep(m.socket(m.AF_INET, m.SOCK_DGRAM))
        if kind == "udp6":
            return self.keep(m.socket(m.AF_INET6, m.SOCK_DGRAM))
        if kind == "unix":
            return self.keep(m.socket(m.AF_UNIX, m.SOCK_STREAM))
        if kind == "unix_dgram":
            return self.keep(m.socket(m.AF_UNIX, m.SOCK_DGRAM))
        if kind == "listener":
            s = self.socket("tcp4")
            s.bind(("127.0.0.1", 0))
            s.listen()
            return s
        if kind == "bound_udp":
            s = self.socket("udp4")
            s.bind(("127.0.0.1", 0))
            s.sendto(b"datagram", s.getsockname())  # one waiting: a read returns at once
            return s
        if kind in ("client", "server"):
            # Each side has bytes waiting: a read returns at once instead of waiting for the
            # watchdog (the grid checks arguments, not waits).
            client, server = self.tcp_pair()
            client.sendall(b"data" * 64)
            server.sendall(b"data" * 64)
            return client if kind == "client" else server
        if kind == "unix_pair":
            a, b = m.socketpair()
            self.keep(a)
            self.keep(b)
            b.sendall(b"data" * 64)
            return a
        if kind == "closed":
            s = self.socket("tcp4")
            s.close()
            return s
        if kind == "detached":
            s = self.socket("tcp4")
            self.fds.append(s.detach())
            return s
        raise ValueError(kind)

    def tcp_pair(self):
        listener = self.socket("listener")
        client = self.socket("tcp4")
        client.connect(listener.getsockname())
        server, _ = listener.accept()
        return client, self.keep(server)

    def listener(self):
        if self._listener is None:
            self._listener = self.socket("listener")
        return self._listener

    def udp(self):
        if self._udp is None:
            self._udp = self.socket("bound_udp")
        return self._udp

    def fresh_path(self):
        self.counter += 1
        return os.path.join(self.tmp, "s%d" % self.counter)

    def descriptor(self, fd):
        self.fds.append(fd)
        return fd

    # Values.

    def resolve(self, v):
        if isinstance(v, Sym):
            return self.make(v.name)
        if isinstance(v, (bytearray, array.array)):
            return copy.copy(v)  # a call may write into it: each world and call has its own
        if type(v) is tuple:
            return tuple(self.resolve(x) for x in v)
        if type(v) is list:
            return [self.resolve(x) for x in v]
        if isinstance(v, FilenoObject) and isinstance(v.fd, Sym):
            return FilenoObject(self.resolve(v.fd))
        return v

    def make(self, name):
        if name == "socket":
            return self.socket("tcp4")
        if name == "closed_socket":
            return self.socket("closed")
        if name == "listener_address":
            return self.listener().getsockname()
        if name == "udp_address":
            return self.udp().getsockname()
        if name == "free_port":
            with cpython_socket.socket() as s:  # a port nobody listens on (probably)
                s.bind(("127.0.0.1", 0))
                return s.getsockname()[1]
        if name == "path":
            return self.fresh_path()
        if name == "bytes_path":
            return os.fsencode(self.fresh_path())
        if name == "long_path":
            return os.path.join(self.tmp, "x" * 120)
        if name == "path_nul":
            return self.fresh_path() + "\0tail"
        if name == "abstract":
            self.counter += 1
            return self.abstract_prefix + b"%d" % self.counter
        if name == "missing_dir_path":
            return os.path.join(self.tmp, "missing", "s")
        if name == "bytearray16":
            return bytearray(16)
        if name == "bytearray0":
            return bytearray(0)
        if name == "memoryview16":
            return memoryview(bytearray(16))
        if name == "array16":
            return array.array("b", bytes(16))
        if name == "strided":
            return memoryview(bytearray(16))[::2]
        # Descriptors are detached, so that no socket object of the world owns them too.
        if name == "fd_socket":
            return self.descriptor(self.mod.socket().detach())
        if name == "fd_dgram":
            return self.descriptor(self.mod.socket(self.mod.AF_INET, self.mod.SOCK_DGRAM).detach())
        if name == "fd_listener":
            return self.descriptor(self.socket("listener").detach())
        if name == "fd_pipe":
            r, w = os.pipe()
            self.descriptor(w)
            return self.descriptor(r)
        if name == "fd_file":
            return self.descriptor(os.open(self.tmp, os.O_RDONLY))
        if name == "fd_closed":
            r, w = os.pipe()
            os.close(r)
            os.close(w)
            return r
        raise ValueError(name)

    def adopt(self, result, name):
        """Keeps what a call returned that must be closed (sockets, files, detached descriptors)."""
        if name == "_accept" and isinstance(result, tuple):  # (fd, address)
            self.fds.append(result[0])
        elif isinstance(result, (tuple, list)):
            for item in result:
                self.adopt(item, name)
        elif isinstance(result, int) and name == "detach" and result >= 0:
            self.fds.append(result)
        elif hasattr(result, "close") and not isinstance(result, (str, bytes, bytearray)):
            self.sockets.append(result)

    def close(self):
        for s in self.sockets:
            try:
                s.close()
            except Exception:  # noqa: BLE001 - closing what is left, whatever state it is in
                pass
        for fd in self.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        self.sockets.clear()
        self.fds.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)


# --- calls and outcomes -------------------------------------------------------------------------

_in_call = False


def _on_alarm(signum, frame):
    if _in_call:
        raise Hang()


def install_watchdog():
    signal.signal(signal.SIGALRM, _on_alarm)


def guarded(fn, *args, **kwargs):
    """fn(*args, **kwargs) with the Hang watchdog armed."""
    global _in_call
    _in_call = True
    # Repeating: a Hang raised where Python swallows it (a weakref callback) is raised again.
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS, HANG_SECONDS)
    try:
        return fn(*args, **kwargs)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _in_call = False


def exception_outcome(e):
    name = type(e).__name__
    if isinstance(e, BaseExceptionGroup):  # create_connection(all_errors=True): what each attempt raised
        return ("raise", name, tuple(exception_outcome(x) for x in e.exceptions))
    if isinstance(e, OSError) and not isinstance(e, TimeoutError):
        # (TimeoutError: usocket gives it errno ETIMEDOUT, as MicroPython code expects; CPython None.)
        return ("raise", name, e.errno)
    return ("raise", name)


def shape(v, world, exact=False):
    """The comparable form of a returned value: its type and structure; values too where
    they cannot differ between worlds (exact), or are text (paths relative to the world)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, enum.IntEnum):
        v = int(v)
    if isinstance(v, int):
        return v if exact else "int"
    if isinstance(v, float):
        return v if exact else "float"
    if isinstance(v, str):
        return v.replace(world.tmp, "<tmp>")
    if isinstance(v, (bytes, bytearray)):
        v = bytes(v).replace(os.fsencode(world.tmp), b"<tmp>").replace(world.abstract_prefix, b"<abstract>")
        return (type(v).__name__, v) if exact or v.startswith(b"\0pyfuzz") else (type(v).__name__, len(v) > 0)
    if isinstance(v, tuple):
        return tuple(shape(x, world, exact) for x in v)
    if isinstance(v, list):
        return [shape(x, world, exact) for x in v]
    if isinstance(v, world.mod.socket):
        return "socket"
    return type(v).__name__


def run(world, fn, args, kwargs=None, exact=False):
    """The outcome of one call in `world`: ('ok', shape) or ('raise', class[, errno])."""
    return run_value(world, fn, args, kwargs, exact)[0]


def run_value(world, fn, args, kwargs=None, exact=False):
    """(outcome, returned value or None) of one call in `world`. The call runs in the world's
    directory (a relative Unix path lands there); what it returns that must be closed is kept
    for World.close()."""
    cwd = os.getcwd()
    os.chdir(world.tmp)
    try:
        result = guarded(fn, *args, **(kwargs or {}))
    except Hang:
        return ("raise", "Hang"), None
    except Exception as e:  # noqa: BLE001 - the class is the result
        return exception_outcome(e), None
    finally:
        os.chdir(cwd)
    world.adopt(result, getattr(fn, "__name__", ""))
    return ("ok", shape(result, world, exact)), result


def describe(v):
    """A short readable form of a pool value, for reports."""
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


# --- where usocket differs on purpose ------------------------------------------------------------

# The address arguments that take the seed forms (SPEC, "Addresses"): name -> (position, forms).
SEED_ADDRESS_ARGS = {"bind": (0, "bind"), "connect": (0, "connect"), "connect_ex": (0, "connect"),
                     "sendto": (-1, "plain"), "sendmsg": (3, "plain"), "create_server": (0, "bind"), "create_connection": (2, "bind")}


def seed_form(v, forms):
    """True when `v` is an IPv4 address form the seeds document and CPython does not take: a str
    or bytes "a.b.c.d" (seed 002), (a, b, c, d[, port]) of ints (seed 002), a list (seed 001:
    bind and connect), a bare port (seed 002: bind)."""
    if isinstance(v, (str, bytes)) or isinstance(v, Sym) and "path" in v.name:
        return True
    if type(v) is tuple and len(v) in (4, 5) and isinstance(v[0], int):
        return True
    if isinstance(v, list) and forms != "plain":
        return True
    return isinstance(v, int) and forms == "bind"


KEYWORD_POSITIONS = {"address": 0, "source_address": 2}


def has_errno(outcome, code):
    """The outcome raised OSError `code`, alone or in an ExceptionGroup."""
    if outcome[0] != "raise" or len(outcome) < 3:
        return False
    if isinstance(outcome[2], tuple):
        return any(has_errno(o, code) for o in outcome[2])
    return outcome[2] == code


def shared_address(args, kwargs):
    """An address among the arguments that both worlds would use: a port other than 0 (or a bare
    port: seed 002), a Linux abstract name."""
    for v in list(args) + list((kwargs or {}).values()):
        if isinstance(v, (str, bytes, bytearray)) and v[:1] in ("\0", b"\0"):
            return True
        if isinstance(v, Sym) and v.name.endswith("_address"):  # another socket's: it may be busy
            return True
        if isinstance(v, (tuple, list)) and len(v) >= 2 and isinstance(v[1], (int, Index)):
            try:
                if operator.index(v[1]) != 0:
                    return True
            except Exception:  # noqa: BLE001 - not a port
                pass
        elif isinstance(v, int) and v != 0:
            return True
    return False


# Socket methods that wait when the socket is blocking.
BLOCKING_CALLS = {"accept", "connect", "recv", "recvfrom", "recv_into", "recvfrom_into", "recvmsg", "recvmsg_into",
                  "send", "sendall", "sendto", "sendmsg", "sendfile", "read", "readinto", "readline", "write"}


def descriptor_made_non_blocking(sock):
    """True when CPython's socket object is blocking (timeout None) but its descriptor is
    O_NONBLOCK: another object sharing the open file description (a dup(), a fromfd()) made it
    non-blocking, and CPython's blocking calls then fail with EAGAIN or EINPROGRESS."""
    try:
        if not isinstance(sock, cpython_socket.socket) or sock.gettimeout() is not None or sock.fileno() < 0:
            return False
        import fcntl
        return bool(fcntl.fcntl(sock.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK)
    except (OSError, ValueError):
        return False


def allowed(name, args, cpython, usocket, kwargs=None, timeout=None, made_non_blocking=False):
    """Why outcomes that differ are not a defect (usocket follows the seeds or the SPEC there,
    or the difference is CPython's own accident), or None. `timeout`: the timeout of the socket
    the call was made on (None: blocking, or no socket). `made_non_blocking`: that CPython
    socket was blocking on a descriptor another object made non-blocking, when called
    (descriptor_made_non_blocking)."""
    timed = timeout is not None and timeout > 0
    if timed and timeout * 1000 > 2 ** 31 - 1 and cpython[:2] == ("raise", "TimeoutError"):
        # CPython hands poll() its timeout in milliseconds cast to an int: past 2**31 ms
        # (24.8 days) the wait is wrong (it can end at once).
        return "CPython's poll() timeout overflows an int"
    for key, position in KEYWORD_POSITIONS.items():
        if kwargs and key in kwargs:
            args = list(args) + [None] * (position + 1 - len(args))
            args[position] = kwargs[key]
    if cpython[:2] == ("raise", "herror") and usocket[:2] == ("raise", "herror"):
        return "herror's errno: CPython reads the global h_errno, not gethostbyname_r()'s result"
    if cpython[:2] == ("raise", "TypeError"):
        if name in SEED_ADDRESS_ARGS:
            position, forms = SEED_ADDRESS_ARGS[name]
            if -len(args) <= position < len(args) and seed_form(args[position], forms):
                return "a seed address form"
        if name in ("send", "sendall") and args and isinstance(args[0], str):
            return "send(str) is UTF-8 (SPEC)"
    # (create_connection binds its source address first: the world that got it may fail later,
    # as a connect() with timeout 0 does, BlockingIOError.)
    got_address = "ok" in (cpython[0], usocket[0]) or name == "create_connection"
    if (has_errno(cpython, errno.EADDRINUSE) or has_errno(usocket, errno.EADDRINUSE)) and got_address and \
            shared_address(args, kwargs):
        # The two worlds share the machine: a fixed port or abstract name one of them holds is
        # busy for the other.
        return "a fixed address, held by the other world"
    flags = args[1] if name in ("recv", "recvfrom", "recv_into", "recvfrom_into", "send", "sendall") and len(
        args) > 1 else kwargs.get("flags") if kwargs else None
    if (timed and isinstance(flags, int) and flags & cpython_socket.MSG_DONTWAIT and
            usocket[:2] == ("raise", "BlockingIOError") and
            cpython[:2] in (("raise", "Hang"), ("raise", "TimeoutError"))):
        # usocket: MSG_DONTWAIT makes the call non-blocking whatever the socket's timeout;
        # CPython waits for readiness first, flags or not.
        return "MSG_DONTWAIT on a socket with a timeout"
    if name == "create_connection" and usocket[:2] == ("raise", "TimeoutError") and cpython[1] != "TimeoutError":
        limit = args[1] if len(args) > 1 else (kwargs or {}).get("timeout")
        if isinstance(limit, (int, float)) and limit == 0:
            # usocket: one deadline covers the lookup too, and a zero timeout leaves no time to
            # look a name up (CPython looks it up without a limit, then connects non-blocking).
            return "create_connection(timeout=0): no time for the lookup"
    fds = list(args[:4]) + [(kwargs or {}).get("fileno")]
    if name in ("socket", "fromfd") and any(isinstance(a, int) and not -2 ** 31 <= a < 2 ** 31 for a in fds):
        if usocket == ("raise", "OSError", errno.EBADF):
            return "a descriptor past a C int: CPython uses its low 32 bits"
    if (name in ("recvmsg", "recvmsg_into") and cpython[:2] == ("raise", "Hang") and
            len(args) > 1 and isinstance(args[1], int) and args[1] > 2 ** 20):
        # CPython allocates the whole ancillary buffer asked for (2 GiB is slow where the
        # allocator is instrumented) before it calls, so it does not even reach the call's own
        # answer (ENOTCONN on an unconnected socket); usocket hands the kernel at most 1 MiB,
        # more than any message carries.
        return "a huge ancillary buffer: CPython allocates it all"
    if name == "if_indextoname" and usocket[:2] == ("raise", "OverflowError") and args and \
            isinstance(args[0], int) and args[0] >= 2 ** 32:
        # CPython truncates an index past an unsigned int (2**32 + 1 names interface 1) and
        # fails with SystemError at 2**64 - 1.
        return "an interface index past 32 bits"
    if name in ("recvmsg", "recvmsg_into", "sendmsg") and usocket == ("raise", "OSError", errno.EBADF) and \
            cpython == ("raise", "OSError", errno.EINVAL):
        flags = args[2] if len(args) > 2 else (kwargs or {}).get("flags")
        if isinstance(flags, int) and flags & 0x80000000:
            # A closed socket: usocket says EBADF without a system call; CPython calls, and
            # Linux refuses MSG_CMSG_COMPAT in the flags (bit 31) before it looks the
            # descriptor up.
            return "a closed socket and MSG_CMSG_COMPAT: the kernel checks the flags first"
    if name in ("send_fds", "recv_fds"):
        # (Passed at all, None included: CPython ignores whatever is there; usocket checks it.)
        given = list(args[3:5]) + [v for k, v in (kwargs or {}).items() if k in ("flags", "address")]
        if any(not (isinstance(v, int) and not isinstance(v, bool) and v == 0) for v in given):
            # CPython 3.11's send_fds()/recv_fds() call sendmsg()/recvmsg() and drop their flags
            # (and send_fds its address); usocket's pass them on (docs/python.md).
            return "send_fds/recv_fds pass flags and address on (CPython 3.11's drop them)"
    if (timeout is None and cpython[:2] == ("raise", "BlockingIOError") and name in BLOCKING_CALLS and
            (usocket[:2] == ("raise", "Hang") or made_non_blocking)):
        # A blocking socket whose descriptor shares its open file description (a dup(), a
        # fromfd()) with one set non-blocking: O_NONBLOCK belongs to the description, so
        # CPython's blocking call fails with EAGAIN (connect(): EINPROGRESS); usocket's
        # blocking call stays blocking whatever the descriptor's mode (SPEC: timeout distinct
        # from would-block), and ends as the blocking call ends (a connect() refused, data).
        return "a blocking call on a descriptor another socket object made non-blocking"
    if (timed and cpython[:2] in (("raise", "Hang"), ("raise", "TimeoutError")) and
            usocket[:2] not in (("raise", "Hang"), ("raise", "TimeoutError"), ("raise", "BlockingIOError"))):
        # On a socket with a timeout, CPython waits until poll() says ready before the call
        # (sock_call_ex); usocket calls first and waits only when the call would block. A call
        # that fails at once (accept() on a connected socket) fails at once in usocket, after
        # the timeout in CPython; a send() poll() does not call writable yet (an AF_UNIX socket
        # is writable again only below a quarter of its buffer) sends in usocket.
        return "a timed call: usocket calls first, CPython waits for poll() first"
    return None
