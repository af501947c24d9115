"""ussl against OpenSSL's own tools on loopback: a client of `openssl s_server`, a server for
`openssl s_client` (which verifies it against the tests' CA)."""

import shutil

import pytest

import usocket

ssl = pytest.importorskip("ussl", reason="usocket was built without TLS")

from tls_helpers import WAIT, OpensslProcess, data, openssl_server, path  # noqa: E402


def test_client_of_openssl_s_server():
    with openssl_server() as (port, server):
        s = usocket.socket()
        s.settimeout(WAIT)
        s.connect(("127.0.0.1", port))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=data("ca.der"))
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            t.write(b"hello s_server\n")
            server.wait_line(lambda line: line == "hello s_server")
            server.write(b"hello ussl\n")
            assert t.readline() == b"hello ussl\n"


def test_client_of_openssl_s_server_without_tls1_3():
    with openssl_server("-no_tls1_3") as (port, server):
        s = usocket.socket()
        s.settimeout(WAIT)
        s.connect(("127.0.0.1", port))
        with ssl.wrap_socket(s, cert_reqs=ssl.CERT_REQUIRED, cadata=data("ca.pem"), server_hostname="127.0.0.1") as t:
            assert t.version() == "TLSv1.2"
            t.write(b"over 1.2\n")
            server.wait_line(lambda line: line == "over 1.2")


def test_server_for_openssl_s_client():
    if shutil.which("openssl") is None or shutil.which("stdbuf") is None:
        pytest.skip("openssl or stdbuf is not installed")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(data("server.der"), data("server.key.der"))
    listener = usocket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(WAIT)
    port = listener.getsockname()[1]
    client = OpensslProcess(["openssl", "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", path("ca.pem"),
                             "-servername", "localhost", "-verify_hostname", "localhost", "-verify_return_error",
                             "-quiet"])
    try:
        with listener:
            conn, _ = listener.accept()
            conn.settimeout(WAIT)
            with ctx.wrap_socket(conn, server_side=True) as t:
                t.write(b"hello s_client\n")
                client.wait_line(lambda line: line == "hello s_client")
                client.write(b"hello ussl server\n")
                assert t.readline() == b"hello ussl server\n"
                client.proc.terminate()  # gone without a close notification: a ragged end
                assert t.read() == b""  # which reads as the end (suppress_ragged_eofs)
    finally:
        client.close()
