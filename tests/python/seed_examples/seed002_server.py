# Seed 002 (Zerynth): the tcp server socket example (accept loop).
# Substituted: `import socket` -> `import usocket as socket`; the Wi-Fi driver lines -> the
# SOCK_STREAM name (a builtin on Zerynth); bind(80) -> bind(0), an ephemeral port. The loop is
# the seed's `while True`: the test stops the process after its clients are served.
# import the socket module
import usocket as socket
from usocket import SOCK_STREAM

# create a tcp socket
sock = socket.socket(type=SOCK_STREAM)

# bind the socket to port 80
sock.bind(0)

# set the socket in listening mode
sock.listen()

while True:
    # accept incoming connections from clients
    client,addr = sock.accept()
    # send something to the client and close
    client.sendall("Hello!")
    client.close()
