# Seed 000 (lwIP port), socket.accept: the documented session as a script.
# Substituted: ("0.0.0.0", 8080) -> ("127.0.0.1", 0); `import socket` -> `import usocket as
# socket`; the seed's typo `cliend_sock` -> `client_sock` (the session then uses client_sock).
import usocket as socket
server_ip = ("127.0.0.1", 0)
s = socket.socket()
s.bind(server_ip)
s.listen(5)
client_sock, client_addr = s.accept()

# program will be blocked until a connection incomming.

client_sock
client_addr

# Now you can send/recv the client socket

client_sock.send("hello! client")
client_sock.recv(10)
client_sock.close()
