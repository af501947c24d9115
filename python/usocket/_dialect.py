"""What the seed dialects (usocket.lwip_board, usocket.zerynth) share: timeouts in
milliseconds, and the module functions that make sockets, returning objects of the dialect's
socket class. A dialect's socket is a subclass of usocket.socket: every call goes to the one
implementation in usocket._usocket; a dialect only converts arguments and results."""

import functools
import operator

from usocket import _usocket


def seconds_from_ms(ms):
    """A timeout in milliseconds as usocket.socket.settimeout() takes it (seconds). None stays
    None (blocking), 0 is non-blocking; bad values fail there with CPython's exceptions
    (TypeError, ValueError for a negative one or NaN, OverflowError)."""
    if ms is None:
        return None
    if not isinstance(ms, (int, float)):
        try:
            ms = operator.index(ms)  # an integer-like object counts milliseconds too
        except TypeError:
            return ms  # settimeout() refuses it with CPython's TypeError
    return ms / 1000  # OverflowError past a float, as CPython's settimeout


def ms_from_seconds(seconds):
    """gettimeout()'s seconds in milliseconds: None, or an int when whole (to the microsecond)."""
    if seconds is None:
        return None
    ms = round(seconds * 1000, 3)
    return int(ms) if ms.is_integer() else ms


def socket_functions(cls):
    """socketpair, fromfd, create_connection and create_server returning objects of cls."""

    def adopting(make):
        @functools.wraps(make)
        def one(*args, **kwargs):
            return _usocket._adopt(cls, make(*args, **kwargs))

        return one

    @functools.wraps(_usocket.socketpair)
    def socketpair(*args, **kwargs):
        a, b = _usocket.socketpair(*args, **kwargs)
        return _usocket._adopt(cls, a), _usocket._adopt(cls, b)

    return {
        "socketpair": socketpair,
        "fromfd": adopting(_usocket.fromfd),
        "create_connection": adopting(_usocket.create_connection),
        "create_server": adopting(_usocket.create_server),
    }
