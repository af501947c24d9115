"""Shared fixtures: the module under test, CPython's socket for comparisons, connected pairs on
loopback (port 0), and a descriptor-leak check around every test."""

import gc
import os
import socket as cpython_socket

import pytest

import usocket

IMPLS = {"cpython": cpython_socket, "usocket": usocket}

# A name with a 64-byte label: the resolver refuses it (EAI_NONAME) without sending a query
# (tests stay off the network). Bytes, since CPython's idna codec rejects such a str.
UNRESOLVABLE = b"x" * 64 + b".invalid"
# A str name the resolver refuses without a query (320 bytes, past DNS's 255) that CPython's
# idna codec takes (labels of 63).
TOO_LONG_NAME = ".".join(["x" * 63] * 5) + "."


def open_fds():
    return set(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def no_fd_leak():
    """Fails the test when it leaves a descriptor open (sockets of both modules)."""
    gc.collect()
    before = open_fds()
    yield
    gc.collect()
    leaked = open_fds() - before
    # A descriptor a test opened and is still listed may be one the runtime reused: check
    # what it is before failing.
    leaked = {fd for fd in leaked if os.path.exists("/proc/self/fd/" + fd)
              and os.readlink("/proc/self/fd/" + fd).startswith("socket:")}
    assert not leaked, "descriptors left open: %s" % sorted(leaked)


@pytest.fixture(params=sorted(IMPLS))
def mod(request):
    """Each comparison test runs once with CPython's socket and once with usocket."""
    return IMPLS[request.param]


def tcp_pair(mod, family=None, host="127.0.0.1"):
    """(listener, client, server side) connected over loopback on an ephemeral port."""
    family = mod.AF_INET if family is None else family
    listener = mod.socket(family, mod.SOCK_STREAM)
    listener.bind((host, 0))
    listener.listen()
    client = mod.socket(family, mod.SOCK_STREAM)
    client.connect(listener.getsockname()[:2])
    server, _ = listener.accept()
    return listener, client, server


@pytest.fixture
def pair(mod):
    listener, client, server = tcp_pair(mod)
    yield client, server
    for s in (listener, client, server):
        s.close()


@pytest.fixture
def upair():
    """A connected TCP pair of usocket sockets."""
    listener, client, server = tcp_pair(usocket)
    yield client, server
    for s in (listener, client, server):
        s.close()


def outcome(fn, *args, **kwargs):
    """What a call did, in a form two modules can be compared by: ('ok', value) or
    ('raise', exception class name, errno)."""
    try:
        return ("ok", fn(*args, **kwargs))
    except OSError as e:
        return ("raise", type(e).__name__, e.errno)
    except Exception as e:  # noqa: BLE001 - the class is the result
        return ("raise", type(e).__name__, str(e))
