"""CPython's ssl as the peer of the C++ TLS tests (run with /usr/bin/python3).

    peer.py server MODE --cert C --key K [--ca CA] [--verify] [--alpn P,...] [--payload TEXT]
    peer.py client MODE --port N --ca CA [--hostname H] [--cert C --key K]

A server listens on 127.0.0.1 (port 0) and prints "PORT <n>"; it serves one connection, prints
what the test checks ("CLEAN", "RAGGED", "SNI <name>", "GOT <text>", "ERROR <class>") and exits.
Every wait is bounded (10 s).

Server modes:
  echo      TLS; echoes until the end; reports whether it ended with a close notification
  lines     TLS; sends --payload split at '|' into one record per piece, then (when stdin
            closes) a close notification
  sni       TLS; reports the SNI the client sent, then echoes
  ragged    TLS; sends --payload, then closes the TCP connection without a close notification
  notify    TLS; sends --payload, then the close notification (unwrap), and waits for the client's
  truncate  TLS; sends the first half of a record holding --payload, then closes
  unwrap    TLS; echoes one line, then unwraps and echoes one plain-text line
  halfclose TLS; reads to the client's close notification ("CLEAN <count>"), then answers
            "got <count>" and sends its own close notification (unwrap)
  reset     reads the ClientHello, then resets the connection (SO_LINGER 0)
  silent    accepts and says nothing until stdin closes
  plain     answers in plain text (an HTTP error), then closes
Client modes:
  echo      sends "hello\\n", prints "GOT <reply>", then closes with a close notification
  hold      handshakes, prints "READY", sends stdin's lines, and reports the end as a server does
"""

import argparse
import socket
import ssl
import struct
import sys
import time

TIMEOUT = 10


def out(*words):
    print(*words, flush=True)


def server_context(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if a.ca:
        ctx.load_verify_locations(a.ca)
    if a.verify:
        ctx.verify_mode = ssl.CERT_REQUIRED
    if a.alpn:
        ctx.set_alpn_protocols(a.alpn.split(","))
    return ctx


def report_end(conn):
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                out("CLEAN")
                return
            conn.sendall(data)
    except ssl.SSLEOFError:
        out("RAGGED")
    except (ssl.SSLError, OSError) as e:
        out("ERROR", type(e).__name__, e)


def serve(a):
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(1)
    lsock.settimeout(TIMEOUT)
    out("PORT", lsock.getsockname()[1])
    raw, _ = lsock.accept()
    raw.settimeout(TIMEOUT)
    mode = a.mode
    if mode == "reset":
        raw.recv(5)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()
        return
    if mode == "silent":
        sys.stdin.read()
        raw.close()
        return
    if mode == "plain":
        raw.recv(4096)
        raw.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        raw.close()
        return
    ctx = server_context(a)
    payload = a.payload.encode()
    if mode == "truncate":
        inc, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        obj = ctx.wrap_bio(inc, outgoing, server_side=True)
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(outgoing.read())
                data = raw.recv(65536)
                if not data:
                    out("ERROR", "eof in handshake")
                    return
                inc.write(data)
        raw.sendall(outgoing.read())  # the last flight, and TLS 1.3's tickets
        obj.write(payload)
        record = outgoing.read()
        raw.sendall(record[: len(record) // 2])
        time.sleep(0.1)
        raw.close()
        out("SENT", len(record) // 2, "of", len(record))
        return
    seen_sni = []
    if mode == "sni":
        ctx.sni_callback = lambda s, name, c: seen_sni.append(name)
    try:
        conn = ctx.wrap_socket(raw, server_side=True, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as e:
        out("ERROR", type(e).__name__, e)
        return
    if mode == "sni":
        out("SNI", seen_sni[0] if seen_sni else None)
        report_end(conn)
    elif mode == "echo":
        report_end(conn)
    elif mode == "lines":
        for piece in a.payload.split("|"):
            conn.sendall(piece.encode())
            time.sleep(0.01)
        sys.stdin.read()
        conn.unwrap()
        out("DONE")
    elif mode == "ragged":
        conn.sendall(payload)
        time.sleep(0.05)
        conn.close()  # CPython's close() sends no close notification
        out("DONE")
    elif mode == "notify":
        conn.sendall(payload)
        conn.unwrap()
        out("DONE")
    elif mode == "halfclose":
        count = 0
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                count += len(data)
        except ssl.SSLEOFError:
            out("RAGGED", count)
            return
        out("CLEAN", count)
        conn.sendall(f"got {count}\n".encode())
        conn.unwrap()
        out("DONE")
    elif mode == "unwrap":
        line = conn.recv(65536)
        conn.sendall(line)
        plain = conn.unwrap()
        line = plain.recv(65536)
        plain.sendall(b"plain:" + line)
        out("DONE")
        plain.close()


def connect(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    raw = socket.create_connection(("127.0.0.1", a.port), timeout=TIMEOUT)
    try:
        conn = ctx.wrap_socket(raw, server_hostname=a.hostname, suppress_ragged_eofs=False)
    except (ssl.SSLError, OSError) as e:
        out("ERROR", type(e).__name__, e)
        return
    if a.mode == "echo":
        conn.sendall(b"hello\n")
        data = b""
        while not data.endswith(b"\n"):
            piece = conn.recv(65536)
            if not piece:
                break
            data += piece
        out("GOT", data.decode().strip())
        conn.unwrap()
        conn.close()
    elif a.mode == "hold":
        out("READY")
        for line in sys.stdin:
            conn.sendall(line.encode())
        report_end(conn)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("side", choices=["server", "client"])
    p.add_argument("mode")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--ca")
    p.add_argument("--verify", action="store_true")
    p.add_argument("--alpn")
    p.add_argument("--payload", default="hello")
    p.add_argument("--port", type=int)
    p.add_argument("--hostname", default="localhost")
    a = p.parse_args()
    (serve if a.side == "server" else connect)(a)


if __name__ == "__main__":
    main()
