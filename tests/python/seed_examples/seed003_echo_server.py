# Seed 003: the echo server program.
# Substituted: `import socket` -> `import usocket as socket`; HOST '' -> '127.0.0.1'
# (loopback only), PORT 5005 -> 0 (an ephemeral port).
import usocket as socket

# Echo server program
import usocket as socket

HOST = '127.0.0.1'        # Symbolic name meaning all available interfaces
PORT = 0                  # Arbitrary non-privileged port

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((HOST, PORT))
s.listen(1)
conn, addr = s.accept()

print ('Connected with ' + addr[0] + ':' + str(addr[1]))

while True:
    data = conn.recv(256)
    if not data: break
    conn.send(data)

conn.close()
s.close()
