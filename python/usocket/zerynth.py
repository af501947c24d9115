"""usocket.zerynth: the dialect of Zerynth's socket module (seed 002).

    import usocket.zerynth as socket

Everything is usocket's (the same socket type, the same calls) except where that document
differs:

- sendtimeout(ms) sets the timeout of every operation in milliseconds (0 non-blocking, None
  blocking); the document has no settimeout(), so settimeout() keeps CPython's seconds;
- on a stream socket, recv(bufsize) and recv_into(buffer, bufsize=-1) block until bufsize bytes
  arrive, fewer only at the end of the stream; a timeout part-way raises TimeoutError and the
  bytes received stay buffered for the next read (never lost); non-blocking, they return what is
  there or raise BlockingIOError. With flags, or on a datagram socket, they are one receive
  (one datagram) as usocket's;
- recv() and recvfrom() return bytearrays;
- recv_into/recvfrom_into take bufsize=-1: a negative size is the whole buffer;
- listen(maxlog=2).

usocket already takes what the document adds for addresses: bind(port) with a bare port, and
every IPv4 form ("192.168.1.10", (192,168,1,10), ("192.168.1.10", 8080), (192,168,1,10,8080);
a missing port is 0), ip_to_tuple("x.y.z.w") and the constants the document lists (AF_CAN
where the platform has it).
Sockets this module makes (socket(), accept(), dup(), socketpair(), fromfd(),
create_connection(), create_server()) are of its socket class.
"""

import errno as _errno
import operator as _operator
import os as _os

from usocket import *  # noqa: F401,F403  (everything else is usocket's, its enums included)
from usocket import _usocket
from usocket._dialect import seconds_from_ms as _seconds_from_ms
from usocket._dialect import socket_functions as _socket_functions


def _would_block():
    return BlockingIOError(_errno.EAGAIN, _os.strerror(_errno.EAGAIN))


def _writable_size(buffer, what):
    """The size in bytes of a writable buffer; TypeError as CPython's for anything else."""
    try:
        with memoryview(buffer) as view:
            if not view.readonly:
                return view.nbytes
    except TypeError:
        pass
    raise TypeError("%s() argument 'buffer' must be read-write bytes-like object, not %s"
                    % (what, type(buffer).__name__))


def _buffer_size(buffer, bufsize, what):
    """Zerynth's bufsize: negative is the whole buffer; more than the buffer is ValueError."""
    size = _writable_size(buffer, what)
    bufsize = _operator.index(bufsize)
    if bufsize < 0:
        return size
    if bufsize > size:
        raise ValueError("buffer too small for requested bytes" if what == "recv_into"
                         else "nbytes is greater than the length of the buffer")
    return bufsize


class socket(_usocket.socket):
    """socket(family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None): usocket.socket with
    Zerynth's sendtimeout(ms), receives that wait for all of bufsize, and bytearray results."""

    _file_recv_into = _usocket.socket.recv_into  # makefile()'s files: one receive per read

    def sendtimeout(self, timeout):
        """sendtimeout(ms): the timeout of every operation in milliseconds; 0 non-blocking, None
        blocking."""
        _usocket.socket.settimeout(self, _seconds_from_ms(timeout))

    def _waits_for_all(self, flags):
        return flags == 0 and self.type == SOCK_STREAM  # noqa: F405

    def recv(self, bufsize, flags=0):
        """recv(bufsize, flags=0) -> bytearray: on a stream, bufsize bytes (fewer only at the end
        of the stream)."""
        bufsize = _operator.index(bufsize)
        flags = _operator.index(flags)
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0:  # as usocket's recv(0): nothing asked of the system
            return bytearray(_usocket.socket.recv(self, 0, flags))
        data = bytearray(bufsize)
        if self._waits_for_all(flags):
            n = _usocket.socket.readinto(self, data)
            if n is None:
                raise _would_block()
        else:
            n = _usocket.socket.recv_into(self, data, bufsize, flags)
        del data[n:]
        return data

    def recv_into(self, buffer, bufsize=-1, flags=0):
        """recv_into(buffer, bufsize=-1, flags=0) -> count: on a stream, bufsize bytes (all of the
        buffer when negative), fewer only at the end of the stream."""
        bufsize = _buffer_size(buffer, bufsize, "recv_into")
        flags = _operator.index(flags)
        if bufsize == 0:
            return 0
        if not self._waits_for_all(flags):
            return _usocket.socket.recv_into(self, buffer, bufsize, flags)
        n = _usocket.socket.readinto(self, buffer, bufsize)
        if n is None:
            raise _would_block()
        return n

    def recvfrom(self, bufsize, flags=0):
        """recvfrom(bufsize, flags=0) -> (bytearray, address): one datagram."""
        bufsize = _operator.index(bufsize)
        if bufsize < 0:
            raise ValueError("negative buffersize in recvfrom")
        data = bytearray(bufsize)
        n, address = _usocket.socket.recvfrom_into(self, data, bufsize, flags)
        del data[n:]
        return data, address

    def recvfrom_into(self, buffer, bufsize=-1, flags=0):
        """recvfrom_into(buffer, bufsize=-1, flags=0) -> (count, address): one datagram into the
        buffer (all of it when bufsize is negative)."""
        bufsize = _buffer_size(buffer, bufsize, "recvfrom_into")
        if bufsize == 0:  # usocket's 0 is the whole buffer: receive into an empty one
            return _usocket.socket.recvfrom_into(self, bytearray(), 0, flags)
        return _usocket.socket.recvfrom_into(self, buffer, bufsize, flags)

    def listen(self, maxlog=2):
        """listen(maxlog=2): at most maxlog connections wait to be accepted."""
        _usocket.socket.listen(self, maxlog)

    def accept(self):
        conn, address = _usocket.socket.accept(self)
        return _usocket._adopt(socket, conn), address


SocketType = socket
globals().update(_socket_functions(socket))

