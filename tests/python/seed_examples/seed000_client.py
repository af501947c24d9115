# Seed 000 (lwIP port): the client-side calls the page documents (socket(), connect with a
# tuple, send(b'hello'), recv(5), settimeout, setblocking), in the page's order.
# Substituted: ("192.168.13.101", 8080) -> ("127.0.0.1", PORT), the port of the server the
# test runs; `import socket` -> `import usocket as socket`.
import usocket as socket
PORT = 8080
s = socket.socket()
s.connect(("127.0.0.1", PORT))
s.send(b'hello')
data = s.recv(5)
print(data)
s.settimeout(1000)
s.setblocking(0)
s.close()
