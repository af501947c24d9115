"""Shared pieces of the TLS tests (test_tls*.py): certificates made once with the openssl command
(tests/tls/make_certs.sh, as the C++ TLS tests make theirs), and peers on loopback: CPython's
ssl in a thread, openssl s_server / s_client as child processes. Every wait is bounded."""

import contextlib
import os
import shutil
import socket as cpython_socket
import ssl as cpython_ssl
import subprocess
import tempfile
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_CERTS = os.path.join(HERE, "..", "tls", "make_certs.sh")
WAIT = 10.0  # the longest any peer waits for anything

_certs_dir = None


def child_env():
    """The environment for the openssl command and the shell: without the sanitizer runtime
    a sanitized build preloads into this interpreter (it is not theirs)."""
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return env


def certs():
    """The directory holding ca.pem, server.pem/.key, expired.pem, client.pem/.key, *.der...
    (made once per process; removed at exit)."""
    global _certs_dir
    if _certs_dir is None:
        if shutil.which("openssl") is None:
            pytest.skip("the openssl command is not installed")
        d = tempfile.mkdtemp(prefix="usocket-tls-")
        subprocess.run(["sh", MAKE_CERTS, d], check=True, timeout=60, env=child_env())
        import atexit
        atexit.register(shutil.rmtree, d, True)
        _certs_dir = d
    return _certs_dir


def path(name):
    return os.path.join(certs(), name)


def data(name):
    with open(path(name), "rb") as f:
        return f.read()


def cpython_server_context(cert="server.pem", key="server.key", client_ca=None):
    ctx = cpython_ssl.SSLContext(cpython_ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(path(cert), path(key))
    if client_ca is not None:
        ctx.verify_mode = cpython_ssl.CERT_REQUIRED
        ctx.load_verify_locations(path(client_ca))
    return ctx


def cpython_client_context(cert=None, key=None):
    ctx = cpython_ssl.SSLContext(cpython_ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(path("ca.pem"))
    if cert is not None:
        ctx.load_cert_chain(path(cert), path(key))
    return ctx


def wrap_or_close(ctx, raw, **wrap):
    """ctx.wrap_socket(raw, **wrap), closing raw when it fails."""
    try:
        return ctx.wrap_socket(raw, **wrap)
    except BaseException:
        raw.close()
        raise


class Peer:
    """A function run in a thread on one side of a connection; join() re-raises its failure
    and returns its result."""

    def __init__(self, fn, *args):
        self.result = None
        self.error = None

        def run():
            try:
                self.result = fn(*args)
            except BaseException as e:  # noqa: B902 (reported by join)
                self.error = e

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, timeout=WAIT):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the peer did not finish"
        if self.error is not None:
            raise self.error
        return self.result


@contextlib.contextmanager
def cpython_tls_server(handler, context=None, tls=True, fails=False, **wrap):
    """A CPython server on 127.0.0.1:0 for one connection: handler(conn) runs in a thread on
    the accepted connection (TLS-wrapped with `context` unless tls is False). Yields
    (port, peer); the peer is joined on exit: its failure is re-raised, or with `fails` its
    OSError (SSLError included) expected."""
    listener = cpython_socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)
    port = listener.getsockname()[1]
    ctx = context or cpython_server_context()

    def serve():
        raw, _ = listener.accept()
        raw.settimeout(WAIT)
        if not tls:
            with raw:
                return handler(raw)
        with wrap_or_close(ctx, raw, server_side=True, **wrap) as conn:
            return handler(conn)

    peer = Peer(serve)
    try:
        yield port, peer
        if fails:
            with pytest.raises(OSError):
                peer.join()
        else:
            peer.join()
    finally:
        listener.close()


def cpython_tls_client(port, handler, context=None, server_hostname="localhost", **wrap):
    """A CPython client in a thread: connects to port, wraps, runs handler(conn)."""
    ctx = context or cpython_client_context()

    def run():
        raw = cpython_socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        with wrap_or_close(ctx, raw, server_hostname=server_hostname, **wrap) as conn:
            return handler(conn)

    return Peer(run)


def quiet_handler(conn):
    """Waits for the client to finish (what it sends, until the end)."""
    try:
        while conn.recv(4096):
            pass
    except (OSError, cpython_ssl.SSLError):
        pass


class OpensslProcess:
    """openssl s_server / s_client as a child process, its output read line by line in a thread."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(["stdbuf", "-oL"] + argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=child_env())
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.decode("latin-1").rstrip("\r\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)
            self.cond.notify_all()

    def wait_line(self, predicate, timeout=WAIT):
        """The first output line for which predicate is true (AssertionError after timeout)."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if line is not None and predicate(line):
                        return line
                left = end - time.monotonic()
                assert left > 0 and (not self.lines or self.lines[-1] is not None), \
                    "openssl did not print the line; its output: %r" % self.lines
                self.cond.wait(left)

    def write(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)
        self.reader.join(WAIT)  # the output ends with the process: then its pipes close
        for f in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                f.close()


@contextlib.contextmanager
def openssl_server(*extra):
    """openssl s_server on 127.0.0.1:0 with the localhost certificate, for one connection.
    Yields (port, process)."""
    if shutil.which("openssl") is None or shutil.which("stdbuf") is None:
        pytest.skip("openssl or stdbuf is not installed")
    p = OpensslProcess(["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", path("server.pem"),
                        "-key", path("server.key"), "-naccept", "1"] + list(extra))
    try:
        line = p.wait_line(lambda s: s.startswith("ACCEPT "))
        yield int(line.rsplit(":", 1)[1]), p
    finally:
        p.close()
