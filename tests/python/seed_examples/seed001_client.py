# Seed 001 (MicroPython usocket): getaddrinfo()[0][-1] as the opaque sockaddr, connect,
# setsockopt, settimeout in seconds, recv.
# Substituted: 'www.micropython.org', 80 -> '127.0.0.1', PORT (the test's server).
import usocket
PORT = 80
s = usocket.socket()
sockaddr = usocket.getaddrinfo('127.0.0.1', PORT)[0][-1]
s.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
s.settimeout(2)
s.connect(sockaddr)
s.send(b"GET / HTTP/1.0\r\n\r\n")
data = s.recv(1024)
print(data)
s.close()
