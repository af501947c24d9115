"""The API the fuzzer calls: every module function and socket method of usocket that CPython
has, each with a valid call to start from and the pool each argument is drawn from.

A function entry: (name, base arguments, pools by position, exact). A method entry adds the
socket states its argument variations are tried on (grid.py also calls the valid form on
every state of SOCKET_KINDS: closed and detached included).
`exact` compares returned values, not only their types: for calls whose results cannot differ
between the two worlds (no ports, descriptors or timing in them).
"""

import socket as cpython_socket

from differ import (ADDRESSES, BadBool, Index, BACKLOGS, BOOLISH, BUFFERINGS, DATA, FAMILIES, FDS, FLAGS, HOSTS, HOWS, IP_TEXTS,
                    LEVELS, MODES, OPTIONS, OPTVALUES, PACKED, PORTS, PROTO_NAMES, PROTOS, SERVICES, SIZES,
                    TIMEOUTS, TYPES, WRITABLE, FilenoObject, StrSub, Sym)

S = cpython_socket
LOOPBACK = ("127.0.0.1", 0)
# Hosts for the reverse lookups, which must not leave the machine (a DNS query for a name that
# /etc/hosts does not have): IPv4 loopback literals and values that fail before any lookup.
REVERSE_HOSTS = ["127.0.0.1", "127.0.0.1\0x", b"127.0.0.1\0x", "\0", "x" * 300, "\udcff", 1, None, b"127.0.0.1",
                 bytearray(b"127.0.0.1"), StrSub("127.0.0.1"), " 127.0.0.1 "]
# Functions given their own pool only: a generic value could be a name to look up in DNS.
NO_GENERIC = {"gethostbyaddr", "getfqdn"}
NAMEINFO_ADDRESSES = [("127.0.0.1", 80), ("127.0.0.1", 0), ("127.0.0.1", 80, 0, 0), ("127.0.0.1", 80, 0),
                      ("::1", 80, 0, 0), ("::1", 80, 2 ** 20, 0), ("::1", 80), ("127.0.0.1", -1), ("127.0.0.1", 65536),
                      ("127.0.0.1", 70000),
                      ("127.0.0.1", 2 ** 70), ("127.0.0.1\0x", 80), (b"127.0.0.1", 80), ("127.0.0.1",),
                      ("127.0.0.1", "80"), ["127.0.0.1", 80], ("127.0.0.1", 80, -1, 0), ("::1", 80, 0, 2 ** 32),
                      ("\udcff", 80), (None, 80), "127.0.0.1", None]
WAITABLES = [[Sym("socket")], [Sym("closed_socket")], [-1], [Sym("fd_pipe")], [FilenoObject(Sym("fd_socket"))],
             [None], [1.5], [2 ** 70], [2 ** 31], None, 5, "x", (), [Sym("fd_closed")], [Sym("socket")] * 2]
# Descriptors close() may be given: none can name an open descriptor in either world (CPython
# takes a C long's low 32 bits: 2**32 would be descriptor 0, so no such value here).
CLOSE_FDS = [-1, -2, 2 ** 31, -2 ** 31 - 1, 2 ** 63, 2 ** 64, -2 ** 70, None, 1.5, "3", b"3", Index(-1), [], BadBool()]
INTERFACE_NAMES = ["lo", "", "nonexistent0", "lo\0x", b"lo", b"lo\0", bytearray(b"lo"), "x" * 300, "\udcff", None, 1,
                   StrSub("lo")]
# (2**32 + 1: CPython truncates it to 1 and names "lo"; 2**64 - 1: CPython 3.11 fails with
# SystemError. usocket says OverflowError for both: allowed in differ.allowed().)
INTERFACE_INDEXES = [1, 0, -1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 70, True, 1.5, "1", None, Index(1)]
BUFFER_LISTS = [[b"x"], [], [b"x", bytearray(b"yz"), memoryview(b"w")], [b""], ["text"], [1], b"x", None, 5,
                [memoryview(b"abcd")[::2]], (b"a", b"b"), [b"x"] * 2000]
FDS_LISTS = [[Sym("fd_pipe")], [], [-1], [2 ** 31], ["x"], [1.5], None, 5, [Sym("fd_closed")]]
ANCDATA = [[], [(S.SOL_SOCKET, S.SCM_RIGHTS, b"")], [(S.SOL_SOCKET, S.SCM_RIGHTS, b"\xff\xff\xff\xff")],
           [(S.SOL_SOCKET, S.SCM_RIGHTS, b"\0\0")], [(S.SOL_SOCKET, 12345, b"x")], [(1, 2)], [(1, 2, 3, 4)],
           [(2 ** 31, 1, b"")], [(1, 1, "text")], [(1, 1, None)], [1], [b"abc"], [[1, 1, b""]], None, 5,
           [(S.SOL_SOCKET, S.SCM_RIGHTS, b"\0" * 70000)], [(S.IPPROTO_IP, S.IP_TTL, b"\x01\0\0\0")]]
ANCBUFSIZES = [0, 1, 16, 24, 1024, -1, 2 ** 31, 2 ** 63 - 1, 2 ** 63, 1.0, None, "1", Index(3)]
WRITABLE_LISTS = [[Sym("bytearray16")], [], [Sym("bytearray16"), Sym("memoryview16")], [Sym("bytearray0")],
                  [Sym("strided")], [b"x"], [Sym("array16")], Sym("bytearray16"), None, 5, [None]]
RECV_SOCKETS = [Sym("socket"), Sym("closed_socket"), None, 1, "x"]
NI = S.NI_NUMERICHOST | S.NI_NUMERICSERV
NI_FLAGS = [NI, S.NI_NUMERICHOST, 0, S.NI_NAMEREQD | S.NI_NUMERICSERV, -1, 2 ** 31, 2 ** 70, None, 1.0]

FUNCTIONS = [
    ("socket", [S.AF_INET, S.SOCK_STREAM, 0, None], [FAMILIES, TYPES, PROTOS, FDS], False),
    ("socketpair", [S.AF_UNIX, S.SOCK_STREAM, 0], [FAMILIES, TYPES, PROTOS], False),
    ("fromfd", [Sym("fd_socket"), S.AF_INET, S.SOCK_STREAM, 0], [FDS, FAMILIES, TYPES, PROTOS], False),
    ("getaddrinfo", ["127.0.0.1", 80, 0, 0, 0, 0],
     [HOSTS, PORTS + SERVICES, FAMILIES, TYPES, PROTOS, [0, S.AI_PASSIVE, S.AI_NUMERICHOST, S.AI_CANONNAME, -1,
                                                         2 ** 31, None]], True),
    ("getnameinfo", [("127.0.0.1", 80), NI], [NAMEINFO_ADDRESSES, NI_FLAGS], True),
    ("gethostbyname", ["127.0.0.1"], [HOSTS], True),
    ("gethostbyname_ex", ["127.0.0.1"], [HOSTS], True),
    ("gethostbyaddr", ["127.0.0.1"], [REVERSE_HOSTS], True),
    ("gethostname", [], [], True),
    ("getfqdn", ["127.0.0.1"], [REVERSE_HOSTS], True),
    ("getservbyname", ["http", "tcp"], [SERVICES, PROTO_NAMES], True),
    ("getservbyport", [80, "tcp"], [PORTS, PROTO_NAMES], True),
    ("getprotobyname", ["tcp"], [PROTO_NAMES], True),
    ("inet_aton", ["1.2.3.4"], [IP_TEXTS], True),
    ("inet_ntoa", [b"\1\2\3\4"], [PACKED], True),
    ("inet_pton", [S.AF_INET, "1.2.3.4"], [FAMILIES, IP_TEXTS], True),
    ("inet_ntop", [S.AF_INET, b"\1\2\3\4"], [FAMILIES, PACKED], True),
    ("htons", [1], [PORTS], True),
    ("ntohs", [1], [PORTS], True),
    ("htonl", [1], [PORTS], True),
    ("ntohl", [1], [PORTS], True),
    ("getdefaulttimeout", [], [], True),
    ("setdefaulttimeout", [None], [TIMEOUTS], True),
    ("create_connection", [Sym("listener_address"), 1.0, None], [ADDRESSES, TIMEOUTS, [None] + ADDRESSES], False),
    ("create_server", [LOOPBACK], [ADDRESSES], False),
    ("has_dualstack_ipv6", [], [], True),
    ("select", [[Sym("socket")], [], [], 0], [WAITABLES, WAITABLES, WAITABLES, TIMEOUTS], False),
    ("CMSG_LEN", [4], [SIZES], True),
    ("CMSG_SPACE", [4], [SIZES], True),
    ("if_nameindex", [], [], True),
    ("if_nametoindex", ["lo"], [INTERFACE_NAMES], True),
    ("if_indextoname", [1], [INTERFACE_INDEXES], True),
    ("close", [-1], [CLOSE_FDS], True),
    ("send_fds", [Sym("socket"), [b"x"], [Sym("fd_pipe")]], [RECV_SOCKETS, BUFFER_LISTS, FDS_LISTS], False),
    ("recv_fds", [Sym("closed_socket"), 16, 1], [RECV_SOCKETS, SIZES, SIZES], False),
]
# Never given a generic value: close() of a small number would close the fuzzer's own files.
NO_GENERIC |= {"close"}

SOCKET_KINDS = ["tcp4", "client", "listener", "udp4", "bound_udp", "unix", "unix_pair", "tcp6", "closed",
                "detached"]
METHODS = [
    ("accept", ["listener"], [], [], False),
    ("bind", ["tcp4", "udp4", "unix", "tcp6"], [LOOPBACK], [ADDRESSES], False),
    ("close", ["tcp4"], [], [], True),
    ("connect", ["tcp4", "udp4", "unix", "tcp6"], [Sym("listener_address")], [ADDRESSES], False),
    ("connect_ex", ["tcp4", "udp4", "unix", "tcp6"], [Sym("listener_address")], [ADDRESSES], False),
    ("detach", ["tcp4"], [], [], False),
    ("dup", ["tcp4"], [], [], False),
    ("fileno", ["tcp4"], [], [], False),
    ("get_inheritable", ["tcp4"], [], [], True),
    ("set_inheritable", ["tcp4"], [True], [BOOLISH], True),
    ("getblocking", ["tcp4"], [], [], True),
    ("getpeername", ["client"], [], [], False),
    ("getsockname", ["tcp4"], [], [], False),
    ("getsockopt", ["tcp4"], [S.SOL_SOCKET, S.SO_TYPE], [LEVELS, OPTIONS, SIZES + [4, 8, 1024, 1025]], True),
    ("gettimeout", ["tcp4"], [], [], True),
    ("listen", ["tcp4", "udp4"], [5], [BACKLOGS], True),
    ("makefile", ["client"], ["rb", -1], [MODES, BUFFERINGS], False),
    ("recv", ["client", "bound_udp"], [16, 0], [SIZES, FLAGS], False),
    ("recv_into", ["client", "bound_udp"], [Sym("bytearray16"), 0, 0], [WRITABLE, SIZES, FLAGS], False),
    ("recvfrom", ["client", "bound_udp"], [16, 0], [SIZES, FLAGS], False),
    ("recvfrom_into", ["client", "bound_udp"], [Sym("bytearray16"), 0, 0], [WRITABLE, SIZES, FLAGS], False),
    ("send", ["client", "udp4"], [b"x", 0], [DATA, FLAGS], False),
    ("sendall", ["client", "udp4"], [b"x", 0], [DATA, FLAGS], False),
    ("sendto", ["udp4", "client"], [b"x", 0, Sym("udp_address")], [DATA, FLAGS, ADDRESSES], False),
    ("setblocking", ["tcp4"], [True], [BOOLISH + TIMEOUTS], True),
    ("setsockopt", ["tcp4"], [S.SOL_SOCKET, S.SO_REUSEADDR, 1], [LEVELS, OPTIONS, OPTVALUES], True),
    ("settimeout", ["tcp4"], [None], [TIMEOUTS], True),
    ("shutdown", ["client"], [S.SHUT_RDWR], [HOWS], True),
    ("sendmsg", ["unix_pair", "udp4"], [[b"x"], [], 0, None], [BUFFER_LISTS, ANCDATA, FLAGS, ADDRESSES],
     False),
    ("recvmsg", ["client"], [16, 0, 0], [SIZES, ANCBUFSIZES, FLAGS], False),
    ("recvmsg_into", ["bound_udp"], [[Sym("bytearray16")], 0, 0], [WRITABLE_LISTS, ANCBUFSIZES, FLAGS],
     False),
    ("_accept", ["listener"], [], [], False),
    ("__enter__", ["tcp4"], [], [], False),
    ("__exit__", ["tcp4"], [None, None, None], [], True),
]
ATTRIBUTES = ["family", "type", "proto", "timeout"]
