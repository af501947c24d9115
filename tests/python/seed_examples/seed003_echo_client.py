# Seed 003: the echo client program.
# Substituted: `import socket` -> `import usocket as socket`; HOST '192.168.2.36' ->
# '127.0.0.1', PORT 5005 -> the test's server; the seed sends str(val) without defining val:
# val = 12345 here.
# Echo client program
import usocket as socket

HOST = '127.0.0.1'
PORT = 5005
val = 12345

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect( (HOST,PORT) )
s.send(str(val))
data = s.recv(256)
print('Received', repr(data))
s.close()
