# Seed 002 (Zerynth): the socket class example.
# Substituted: `import socket` -> `import usocket as socket`; the Wi-Fi driver lines (import of
# wireless/driver, init, wifi.link) -> the SOCK_STREAM name, a builtin on Zerynth;
# ("192.168.1.10",5555) -> ("127.0.0.1", PORT), the test's server.
# import the socket module
import usocket as socket
from usocket import SOCK_STREAM
PORT = 5555

# create a tcp socket
sock = socket.socket(type=SOCK_STREAM)

# connect the socket to net address 192.168.1.10 on port 5555
sock.connect(("127.0.0.1", PORT))

# send something on the socket!
sock.sendall("Hello World!")
