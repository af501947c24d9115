"""usocket.lwip_board: the dialect of the lwIP board port's socket module (seed 000).

    import usocket.lwip_board as socket

Everything is usocket's (the same socket type, the same calls) except where that document
differs:

- settimeout(ms), gettimeout() and the timeout attribute count milliseconds (0 non-blocking,
  None blocking); setblocking(0|1) as usocket;
- repr(sock) is the port's <socket state=2 timeout=-1 incoming=0 remaining=0>: state numbered as
  MicroPython's lwIP socket module of that port numbers it (0 new, also a listening or datagram
  socket or one whose connect failed; 1 connecting; 2 connected; 3 peer closed; -16 closed),
  timeout in ms (-1 blocking),
  incoming the bytes the system holds ready to read, remaining the bytes in the socket's
  read-ahead buffer;
- getaddrinfo(host, port) returns the one entry the port returns: the first IPv4 stream result,
  else the first;
- reset(), print_pcbs() and callback() as the backend provides them (usocket's).

Sockets this module makes (socket(), accept(), dup(), socketpair(), fromfd(),
create_connection(), create_server()) are of its socket class.
"""

import errno as _errno

from usocket import *  # noqa: F401,F403  (everything else is usocket's, its enums included)
from usocket import _usocket
from usocket._dialect import ms_from_seconds as _ms_from_seconds
from usocket._dialect import seconds_from_ms as _seconds_from_ms
from usocket._dialect import socket_functions as _socket_functions

# MicroPython's lwIP socket states, as the port of seed 000 numbers them (the repr's state=).
STATE_NEW = 0
STATE_CONNECTING = 1
STATE_CONNECTED = 2
STATE_PEER_CLOSED = 3
STATE_CLOSED = -16  # the port's _ERR_BADF: a closed socket
_STATES = {"closed": STATE_CLOSED, "listening": STATE_NEW, "connected": STATE_CONNECTED,
           "peer_closed": STATE_PEER_CLOSED}
_IN_PROGRESS = (_errno.EINPROGRESS, _errno.EALREADY, _errno.EWOULDBLOCK, _errno.EAGAIN)


class socket(_usocket.socket):
    """socket(family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None): usocket.socket with the
    lwIP port's milliseconds and repr."""

    _connecting = False  # a connect was started and has not finished yet (for the repr's state)

    def settimeout(self, ms):
        """settimeout(ms): None blocks, 0 is non-blocking, otherwise a timeout in milliseconds."""
        _usocket.socket.settimeout(self, _seconds_from_ms(ms))

    def gettimeout(self):
        """gettimeout() -> None (blocking) or the timeout in milliseconds (0: non-blocking)."""
        return _ms_from_seconds(_usocket.socket.gettimeout(self))

    @property
    def timeout(self):
        """The timeout in milliseconds, as gettimeout()."""
        return self.gettimeout()

    def connect(self, address):
        self._connecting = False
        try:
            _usocket.socket.connect(self, address)
        except (BlockingIOError, TimeoutError):
            self._connecting = True  # the system goes on connecting
            raise

    def connect_ex(self, address):
        self._connecting = False
        err = _usocket.socket.connect_ex(self, address)
        self._connecting = err in _IN_PROGRESS
        return err

    def accept(self):
        conn, address = _usocket.socket.accept(self)
        return _usocket._adopt(socket, conn), address

    def __repr__(self):
        kind, incoming, remaining = _usocket._lwip_board_status(self)
        if kind == "other":
            # Started and not writable yet: still connecting (a failed attempt is writable).
            connecting = self._connecting and not _usocket.select([], [self], [], 0)[1]
            state = STATE_CONNECTING if connecting else STATE_NEW
        else:
            state = _STATES[kind]
        timeout = _usocket.socket.gettimeout(self)
        timeout = -1 if timeout is None else _ms_from_seconds(timeout)
        return "<socket state=%d timeout=%s incoming=%d remaining=%d>" % (state, timeout, incoming, remaining)


SocketType = socket
globals().update(_socket_functions(socket))


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """getaddrinfo(host, port) -> [(family, type, proto, '', (ip, port))]: the one entry the lwIP
    port returns, the first IPv4 stream result (else the first). The other arguments narrow the
    query as usocket.getaddrinfo's."""
    # The port's family and type are plain ints (usocket's are AddressFamily/SocketKind members).
    results = [(int(f), int(t), p, c, a) for f, t, p, c, a in _usocket.getaddrinfo(host, port, family, type, proto, flags)]
    for entry in results:
        if entry[0] == AF_INET and entry[1] == SOCK_STREAM:  # noqa: F405
            return [entry]
    return results[:1]
