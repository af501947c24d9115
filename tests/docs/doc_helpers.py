"""Helpers the documentation's Python blocks may use as `doc` (docs/README.md, "How the
examples are tested"): peers on loopback for examples that need someone to talk to. They are
written with CPython's own socket module, so the peer does not depend on the module tested.

    with doc.echo_server() as port:             # sends back every byte it receives
        ...
    with doc.reply_server(b"HTTP/1.0 200 OK\\r\\n\\r\\nhi") as port:
        ...                                     # sends the reply at once, then ends its side
"""

import contextlib
import os
import socket
import threading


def open_descriptors():
    """The process's open descriptors (to check that an example closed what it opened)."""
    return set(os.listdir("/proc/self/fd"))


@contextlib.contextmanager
def server(handler):
    """A TCP server on 127.0.0.1 (port 0: the system chooses) running handler(conn, stop) on
    every connection in a thread of its own; yields the port; stops and joins on exit."""
    stop = threading.Event()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.02)
    threads = []

    def serve(conn):
        with conn:
            conn.settimeout(0.02)
            try:
                handler(conn, stop)
            except OSError:
                pass

    def accept_loop():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            t = threading.Thread(target=serve, args=(conn,))
            t.start()
            threads.append(t)

    acceptor = threading.Thread(target=accept_loop)
    acceptor.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        acceptor.join()
        for t in threads:
            t.join()
        listener.close()


def read_until_closed(conn, stop, each=None):
    while not stop.is_set():
        try:
            data = conn.recv(4096)
        except TimeoutError:
            continue
        if not data:
            return
        if each:
            each(data)


def echo_server():
    """A server that sends back every byte it receives, until the client closes."""
    return server(lambda conn, stop: read_until_closed(conn, stop, conn.sendall))


def reply_server(reply):
    """A server that sends `reply` (bytes) as soon as a client connects, ends its sending side,
    and reads until the client closes."""
    def handler(conn, stop):
        conn.sendall(reply)
        conn.shutdown(socket.SHUT_WR)
        read_until_closed(conn, stop)
    return server(handler)


@contextlib.contextmanager
def tls_certificate():
    """A throwaway certificate for localhost (and 127.0.0.1), signed by itself, made with the
    openssl command in a temporary directory: yields (certfile, keyfile), removed on exit. The
    certificate is its own CA: a client trusts it with load_verify_locations(certfile)."""
    import shutil
    import subprocess
    import tempfile
    d = tempfile.mkdtemp(prefix="usocket-doc-tls-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-days", "1", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=30,
                       env={k: v for k, v in os.environ.items() if k != "LD_PRELOAD"})  # not a sanitizer's
        yield cert, key
    finally:
        shutil.rmtree(d, ignore_errors=True)


@contextlib.contextmanager
def tls_echo_server():
    """A TLS server (CPython's ssl) on 127.0.0.1 that sends back every byte it receives, with a
    throwaway certificate for localhost: yields (port, cafile), cafile being the certificate
    a client trusts."""
    import ssl
    with tls_certificate() as (cert, key):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)

        def handler(conn, stop):
            conn.settimeout(5)
            with ctx.wrap_socket(conn, server_side=True) as t:
                t.settimeout(0.02)
                read_until_closed(t, stop, t.sendall)

        with server(handler) as port:
            yield port, cert
