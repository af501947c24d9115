"""A selectors.BaseSelector over usocket's selector (epoll, or the portable one over poll()).

    import asyncio
    import usocket.selectors
    loop = asyncio.SelectorEventLoop(usocket.selectors.DefaultSelector())

It behaves as the standard library's EpollSelector (the same keys, errors and exception
classes), with one more thing: a usocket socket is also reported readable while it holds bytes
in its read-ahead buffer (bytes a readline() or another stream method read ahead), which no
selector over the bare descriptor can see. It may be registered as the socket object or by its
descriptor number (as asyncio registers): the library finds the socket that owns a number.
"""

import selectors as _selectors
from collections.abc import Mapping as _Mapping

from usocket._usocket import _Selector
from usocket._usocket import socket as _usocket_socket

EVENT_READ = _selectors.EVENT_READ
EVENT_WRITE = _selectors.EVENT_WRITE
SelectorKey = _selectors.SelectorKey

__all__ = ["EVENT_READ", "EVENT_WRITE", "SelectorKey", "UsocketSelector", "DefaultSelector"]

_READABLE = _Selector.READABLE
_WRITABLE = _Selector.WRITABLE


def _fileobj_to_fd(fileobj):
    """The descriptor of a file object: an int, or what its fileno() returns (as selectors')."""
    if isinstance(fileobj, int):
        fd = fileobj
    else:
        try:
            fd = int(fileobj.fileno())
        except (AttributeError, TypeError, ValueError):
            raise ValueError("Invalid file object: {!r}".format(fileobj)) from None
    if fd < 0:
        raise ValueError("Invalid file descriptor: {}".format(fd))
    return fd


def _target(key):
    """What the library's selector is given for a key: a usocket socket as itself, anything else
    as the descriptor the key was made with (the library finds a usocket socket that owns it)."""
    return key.fileobj if isinstance(key.fileobj, _usocket_socket) else key.fd


class _SelectorMapping(_Mapping):
    """The read-only map of file objects to keys that get_map() returns."""

    def __init__(self, selector):
        self._selector = selector

    def __len__(self):
        return len(self._selector._fd_to_key)

    def __getitem__(self, fileobj):
        try:
            fd = self._selector._fileobj_lookup(fileobj)
            return self._selector._fd_to_key[fd]
        except KeyError:
            raise KeyError("{!r} is not registered".format(fileobj)) from None

    def __iter__(self):
        return iter(self._selector._fd_to_key)


class UsocketSelector(_selectors.BaseSelector):
    """selectors.BaseSelector over usocket._usocket._Selector: register/unregister/modify/
    select/get_key/get_map/close, a context manager. A usocket socket registered as itself
    counts its buffered bytes as readable."""

    def __init__(self):
        self._selector = _Selector()
        self._fd_to_key = {}
        self._map = _SelectorMapping(self)

    def _fileobj_lookup(self, fileobj):
        # A closed socket (fileno() -1) is found by itself among the keys, as selectors' does.
        try:
            return _fileobj_to_fd(fileobj)
        except ValueError:
            for key in self._fd_to_key.values():
                if key.fileobj is fileobj:
                    return key.fd
            raise

    @staticmethod
    def _check_events(events):
        if (not events) or (events & ~(EVENT_READ | EVENT_WRITE)):
            raise ValueError("Invalid events: {!r}".format(events))

    @staticmethod
    def _interest(events):
        return (_READABLE if events & EVENT_READ else 0) | (_WRITABLE if events & EVENT_WRITE else 0)

    def register(self, fileobj, events, data=None):
        self._check_events(events)
        key = SelectorKey(fileobj, self._fileobj_lookup(fileobj), events, data)
        if key.fd in self._fd_to_key:
            raise KeyError("{!r} (FD {}) is already registered".format(fileobj, key.fd))
        self._selector.register(_target(key), self._interest(events), key.fd)
        self._fd_to_key[key.fd] = key
        return key

    def unregister(self, fileobj):
        try:
            key = self._fd_to_key.pop(self._fileobj_lookup(fileobj))
        except KeyError:
            raise KeyError("{!r} is not registered".format(fileobj)) from None
        try:
            self._selector.unregister(_target(key))
        except (OSError, ValueError):
            # Closed meanwhile (the kernel forgot it), or its number is another's now: gone
            # from this selector all the same, as selectors' EpollSelector.
            pass
        return key

    def modify(self, fileobj, events, data=None):
        try:
            key = self._fd_to_key[self._fileobj_lookup(fileobj)]
        except KeyError:
            raise KeyError("{!r} is not registered".format(fileobj)) from None
        changed = False
        if events != key.events:
            # As EpollSelector: the events are not checked here (bits other than READ and
            # WRITE are ignored, a str is TypeError from the mask).
            try:
                self._selector.modify(_target(key), self._interest(events), key.fd)
            except BaseException:
                self.unregister(fileobj)
                raise
            changed = True
        if data != key.data:
            changed = True
        if changed:
            key = key._replace(events=events, data=data)
            self._fd_to_key[key.fd] = key
        return key

    def select(self, timeout=None):
        # A negative timeout is a poll, as selectors'; the wait has nanosecond resolution and
        # never ends early. A signal whose handler does not raise resumes it with the time left.
        if timeout is not None and timeout <= 0:
            timeout = 0
        ready = []
        fd_to_key = self._fd_to_key
        for fd, got in self._selector.poll(timeout, max(len(fd_to_key), 1)):
            key = fd_to_key.get(fd)
            if key is None:
                continue
            # As EpollSelector: an error or a hangup wakes both directions.
            events = 0
            if got & ~_READABLE:
                events |= EVENT_WRITE
            if got & ~_WRITABLE:
                events |= EVENT_READ
            events &= key.events
            if events:
                ready.append((key, events))
        return ready

    def close(self):
        self._selector.close()
        self._fd_to_key.clear()
        self._map = None

    def get_map(self):
        return self._map

    def fileno(self):
        """The kernel selector's descriptor (readable when events are pending), -1 when the
        selector is the portable one."""
        return self._selector.fileno()


DefaultSelector = UsocketSelector
