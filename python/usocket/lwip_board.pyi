# Type stubs for usocket.lwip_board (seed 000's dialect): usocket with timeouts in milliseconds.
from typing import Any

from usocket import *  # noqa: F401,F403
from usocket import socket as _base_socket

STATE_NEW: int
STATE_CONNECTING: int
STATE_CONNECTED: int
STATE_PEER_CLOSED: int
STATE_CLOSED: int

class socket(_base_socket):
    @property
    def timeout(self) -> float | None: ...  # milliseconds
    def settimeout(self, ms: float | None, /) -> None: ...
    def gettimeout(self) -> float | None: ...
    def accept(self) -> tuple[socket, Any]: ...
    def dup(self) -> socket: ...

SocketType = socket

def getaddrinfo(host: str | bytes | None, port: str | bytes | int | None, family: int = 0, type: int = 0,
                proto: int = 0, flags: int = 0) -> list[tuple[int, int, int, str, Any]]: ...
def socketpair(family: int | None = ..., type: int = ..., proto: int = ...) -> tuple[socket, socket]: ...
def fromfd(fd: int, family: int, type: int, proto: int = 0, /) -> socket: ...
def create_connection(address: tuple[str | None, int], timeout: float | None = ...,
                      source_address: tuple[str, int] | None = None, *, all_errors: bool = False) -> socket: ...
def create_server(address: Any, *, family: int = ..., backlog: int | None = None, reuse_port: bool = False,
                  dualstack_ipv6: bool = False) -> socket: ...
