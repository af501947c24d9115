# Seed 004 (CPython-style reference): no example program, so its documented calls in the
# page's order, on loopback.
import usocket as socket

a, b = socket.socketpair()
print(type(a) is socket.SocketType, socket.has_ipv6 in (True, False))
print(socket.getaddrinfo("127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM)[0][4])
dup = socket.fromfd(a.fileno(), socket.AF_UNIX, socket.SOCK_STREAM)
print(socket.getdefaulttimeout())
socket.setdefaulttimeout(None)
dup.sendall(b"via fromfd")
print(b.recv(100))
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(("127.0.0.1", 0))
server.listen(5)
client = socket.socket()
print(client.connect_ex(server.getsockname()))
conn, address = server.accept()
print(conn.getpeername() == client.getsockname(), client.getpeername() == server.getsockname())
conn.setblocking(0)
try:
    conn.recv(10)
except OSError as e:
    print("non-blocking:", type(e).__name__)
conn.settimeout(0.5)
print(conn.gettimeout())
client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
client.sendall(b"sendall")
print(conn.recv(7))
buf = bytearray(8)
client.send(b"into")
print(conn.recv_into(buf), bytes(buf[:4]))
client.shutdown(socket.SHUT_WR)
print(conn.recv(10))
print(conn.family == socket.AF_INET, conn.type == socket.SOCK_STREAM, conn.proto)
for s in (a, b, dup, server, client, conn):
    s.close()
