"""usocket: the socket module of embedded Python platforms (MicroPython usocket, lwIP ports,
Zerynth) with CPython's behaviour where they are silent, over the C++ library usocket.

    import usocket as socket

Everything is implemented in C++ (usocket._usocket); only makefile()'s file objects are the
io module's buffered classes over a small raw adapter (usocket._sockio), as in CPython, and the
functions that make sockets check whether `socket` was replaced (usocket._patching).
"""

from usocket._usocket import *  # noqa: F401,F403  (the module's whole API)
from usocket._usocket import __doc__, _GiveupOnSendfile  # noqa: F401
from usocket._messages import recv_fds, send_fds  # noqa: F401,E402
from usocket import _enums  # noqa: E402
from usocket import _patching  # noqa: E402
# makefile()'s classes, loaded now: an import opens a file, which a process out of
# descriptors could not do at its first makefile() (CPython's socket imports io up front too).
from usocket import _sockio  # noqa: F401,E402
from usocket._patching import dup  # noqa: F401,E402

_enums.install(__name__)  # AddressFamily, SocketKind, MsgFlag, AddressInfo
# create_connection, create_server, socketpair, fromfd follow a replaced `socket` (a mock,
# gevent's monkey-patching), as CPython's do.
_patching.install(globals())
del _enums, _patching
