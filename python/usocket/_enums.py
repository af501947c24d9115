"""CPython's enum types of the socket module, made from usocket's constants as Lib/socket.py
makes them: AddressFamily and SocketKind (IntEnum), MsgFlag and AddressInfo (IntFlag). The
module's AF_*, SOCK_*, MSG_* and AI_* names become their members, and the C++ module is handed
the two enums that sock.family, sock.type and getaddrinfo() return."""

import sys
from enum import IntEnum, IntFlag

from usocket import _usocket


def install(module_name):
    """Makes the four enums in the module `module_name` (the package) from its constants."""
    module = sys.modules[module_name]
    # Constants CPython 3.11 has on Linux that the system's headers no longer define.
    if sys.platform.startswith("linux"):
        extra = {"AF_DECnet": 12}
        if hasattr(module, "AF_ALG"):
            extra.update(ALG_OP_SIGN=2, ALG_OP_VERIFY=3, ALG_SET_PUBKEY=6)
        if hasattr(module, "AF_BLUETOOTH"):
            extra.update(BDADDR_ANY="00:00:00:00:00:00", BDADDR_LOCAL="00:00:00:FF:FF:FF")
        for name, value in extra.items():
            if not hasattr(module, name):
                setattr(module, name, value)
    IntEnum._convert_("AddressFamily", module_name, lambda C: C.isupper() and C.startswith("AF_"))
    IntEnum._convert_("SocketKind", module_name, lambda C: C.isupper() and C.startswith("SOCK_"))
    IntFlag._convert_("MsgFlag", module_name, lambda C: C.isupper() and C.startswith("MSG_"))
    IntFlag._convert_("AddressInfo", module_name, lambda C: C.isupper() and C.startswith("AI_"))
    _usocket._set_enums(module.AddressFamily, module.SocketKind)
