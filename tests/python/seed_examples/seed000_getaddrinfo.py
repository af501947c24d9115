# Seed 000 (lwIP port), socket.getaddrinfo: the documented session as a script.
# Substituted: "www.google.com"/"www.facebook.com" -> "localhost" (loopback only);
# `import socket` -> `import usocket as socket`.
import usocket as socket
print(socket.getaddrinfo("localhost", 80))
print(socket.getaddrinfo("localhost", 80))
