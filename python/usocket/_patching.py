"""The module functions that make sockets follow a replaced `usocket.socket`, as CPython's do.

CPython's create_connection(), create_server(), socketpair() and fromfd() are Python code that
looks `socket` up in the module at each call, so replacing `socket.socket` (a test's mock,
gevent's monkey-patching) reaches the sockets they make. usocket's are C++: while
`usocket.socket` is the module's own type they run as they are (one deadline, Happy Eyeballs);
once it is replaced, they make their sockets with the replacement, the way CPython's code does
(address by address, each connect() with the timeout).
"""

import functools
import os

_DEFAULT = object()  # "no timeout given": the socket keeps getdefaulttimeout()


def install(module_globals):
    """Wraps the module's create_connection, create_server, has_dualstack_ipv6, socketpair and
    fromfd in `module_globals` (the usocket package's namespace) so that each checks, per call,
    whether `socket` there is still the native type."""
    native_socket = module_globals["socket"]
    fallbacks = {"create_connection": _create_connection, "create_server": _create_server,
                 "has_dualstack_ipv6": _has_dualstack_ipv6, "socketpair": _socketpair, "fromfd": _fromfd}
    for name, fallback in fallbacks.items():
        module_globals[name] = _follow(module_globals, native_socket, module_globals[name], fallback)


def _follow(module_globals, native_socket, native, fallback):
    @functools.wraps(native)
    def call(*args, **kwargs):
        try:
            cls = module_globals["socket"]
        except KeyError:
            raise NameError("name 'socket' is not defined") from None
        if cls is native_socket:
            return native(*args, **kwargs)
        return fallback(module_globals, cls, *args, **kwargs)

    return call


def _create_connection(m, cls, address, timeout=_DEFAULT, source_address=None, *, all_errors=False):
    # CPython 3.11's socket.create_connection(), with the module's getaddrinfo and `cls`.
    host, port = address
    exceptions = []
    for af, socktype, proto, _canonname, sa in m["getaddrinfo"](host, port, 0, m["SOCK_STREAM"]):
        sock = None
        try:
            sock = cls(af, socktype, proto)
            if timeout is not _DEFAULT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sa)
            exceptions.clear()
            return sock
        except OSError as exc:
            if not all_errors:
                exceptions.clear()  # only the last error is raised
            exceptions.append(exc)
            if sock is not None:
                sock.close()
    if exceptions:
        try:
            if not all_errors:
                raise exceptions[0]
            raise ExceptionGroup("create_connection failed", exceptions)
        finally:
            exceptions.clear()  # no reference cycle through the traceback
    raise OSError("getaddrinfo returns an empty list")


def _create_server(m, cls, address, *, family=_DEFAULT, backlog=None, reuse_port=False, dualstack_ipv6=False):
    # CPython 3.11's socket.create_server(), with `cls` (and the module's has_dualstack_ipv6,
    # which makes its probe with `cls` too).
    if family is _DEFAULT:
        family = m["AF_INET"]
    if reuse_port and "SO_REUSEPORT" not in m:
        raise ValueError("SO_REUSEPORT not supported on this platform")
    if dualstack_ipv6:
        if not m["has_dualstack_ipv6"]():
            raise ValueError("dualstack_ipv6 not supported on this platform")
        if family != m["AF_INET6"]:
            raise ValueError("dualstack_ipv6 requires AF_INET6 family")
    sock = cls(family, m["SOCK_STREAM"])
    try:
        try:
            sock.setsockopt(m["SOL_SOCKET"], m["SO_REUSEADDR"], 1)
        except OSError:
            pass  # as CPython: bind() fails later where the option is missing
        if reuse_port:
            sock.setsockopt(m["SOL_SOCKET"], m["SO_REUSEPORT"], 1)
        if m["has_ipv6"] and family == m["AF_INET6"]:
            sock.setsockopt(m["IPPROTO_IPV6"], m["IPV6_V6ONLY"], 0 if dualstack_ipv6 else 1)
        try:
            sock.bind(address)
        except OSError as err:
            raise OSError(err.errno, "%s (while attempting to bind on address %r)" % (err.strerror, address)) \
                from None
        if backlog is None:
            sock.listen()
        else:
            sock.listen(backlog)
        return sock
    except OSError:
        sock.close()
        raise


def _has_dualstack_ipv6(m, cls):
    # CPython 3.11's: a probe socket made with `cls`.
    if not m["has_ipv6"]:
        return False
    try:
        with cls(m["AF_INET6"], m["SOCK_STREAM"]) as sock:
            sock.setsockopt(m["IPPROTO_IPV6"], m["IPV6_V6ONLY"], 0)
            return True
    except OSError:
        return False


def _socketpair(m, cls, family=None, type=_DEFAULT, proto=0):  # noqa: A002 - CPython's parameter names
    # CPython 3.11's: the pair is made natively, then each end becomes a `cls` over its
    # descriptor, with the caller's family, type (flags included) and proto.
    if family is None:
        family = m["AF_UNIX"]
    if type is _DEFAULT:
        type = m["SOCK_STREAM"]  # noqa: A001
    a, b = m["_usocket"].socketpair(family, type, proto)
    return cls(family, type, proto, a.detach()), cls(family, type, proto, b.detach())


def _fromfd(m, cls, fd, family, type, proto=0):  # noqa: A002 - CPython's parameter names
    # CPython 3.11's: socket(family, type, proto, dup(fd)).
    return cls(family, type, proto, os.dup(fd))


def dup(fd, /):
    """dup(fd) -> int: a duplicate of descriptor `fd`, not inherited by child processes (as
    CPython's socket.dup())."""
    return os.dup(fd)
