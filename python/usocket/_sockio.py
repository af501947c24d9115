"""makefile() for usocket sockets: io's buffered classes over a raw SocketIO, with CPython's
rules (the descriptor closes when the socket and every file made from it are closed)."""

import errno
import io

_blocking_errnos = {errno.EAGAIN, errno.EWOULDBLOCK}


class SocketIO(io.RawIOBase):
    """A raw I/O object over a socket: readinto() is recv_into(), write() is send()."""

    def __init__(self, sock, mode):
        if mode not in ("r", "w", "rw", "rb", "wb", "rwb"):
            raise ValueError("invalid mode: %r" % mode)
        io.RawIOBase.__init__(self)
        self._sock = sock
        # One receive per read, as recv_into is; a dialect whose recv_into waits for the whole
        # buffer (usocket.zerynth) names the one-receive form its files use.
        self._recv_into = getattr(sock, "_file_recv_into", sock.recv_into)
        if "b" not in mode:
            mode += "b"
        self._mode = mode
        self._reading = "r" in mode
        self._writing = "w" in mode
        self._timeout_occurred = False

    def readinto(self, b):
        self._checkClosed()
        self._checkReadable()
        if self._timeout_occurred:
            raise OSError("cannot read from timed out object")
        try:
            return self._recv_into(b)
        except TimeoutError:
            # The buffered layer may hold part of a line now: further reads would be wrong.
            self._timeout_occurred = True
            raise
        except OSError as e:
            if e.errno in _blocking_errnos:
                return None
            raise

    def write(self, b):
        self._checkClosed()
        self._checkWritable()
        if isinstance(b, str):  # a binary file (socket.send() takes str: not its files)
            raise TypeError("a bytes-like object is required, not 'str'")
        try:
            return self._sock.send(b)
        except OSError as e:
            if e.errno in _blocking_errnos:
                return None
            raise

    def readable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._reading

    def writable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return self._writing

    def seekable(self):
        if self.closed:
            raise ValueError("I/O operation on closed socket.")
        return super().seekable()

    def fileno(self):
        self._checkClosed()
        return self._sock.fileno()

    @property
    def name(self):
        return self.fileno() if not self.closed else -1

    @property
    def mode(self):
        return self._mode

    def close(self):
        if self.closed:
            return
        io.RawIOBase.close(self)
        self._sock._decref_socketios()
        self._sock = None


def makefile(sock, mode="rb", buffering=None, *, encoding=None, errors=None, newline=None):
    """The file object of sock.makefile(): binary by default (seed 001), text modes as CPython."""
    if not set(mode) <= {"r", "w", "b"}:
        raise ValueError("invalid mode %r (only r, w, b allowed)" % (mode,))
    writing = "w" in mode
    reading = "r" in mode or not writing
    binary = "b" in mode
    rawmode = ("r" if reading else "") + ("w" if writing else "")
    raw = SocketIO(sock, rawmode)
    sock._io_refs += 1
    if buffering is None:
        buffering = -1
    if buffering < 0:
        buffering = io.DEFAULT_BUFFER_SIZE
    if buffering == 0:
        if not binary:
            raise ValueError("unbuffered streams must be binary")
        return raw
    if reading and writing:
        buffer = io.BufferedRWPair(raw, raw, buffering)
    elif reading:
        buffer = io.BufferedReader(raw, buffering)
    else:
        buffer = io.BufferedWriter(raw, buffering)
    if binary:
        return buffer
    encoding = io.text_encoding(encoding)
    text = io.TextIOWrapper(buffer, encoding, errors, newline)
    text.mode = mode
    return text
