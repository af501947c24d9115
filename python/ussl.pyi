# Type stubs for ussl: TLS for usocket sockets (MicroPython's ssl/ussl, CPython's ssl where they agree).
from os import PathLike
from typing import Any, Callable, Literal, Optional, Union

import usocket

_Path = Union[str, PathLike[str]]
_Data = Union[bytes, bytearray, memoryview]
_CertArg = Union[_Path, _Data]

PROTOCOL_TLS_CLIENT: int
PROTOCOL_TLS_SERVER: int
CERT_NONE: int
CERT_OPTIONAL: int
CERT_REQUIRED: int
ENGINE_VERSION: str
HAS_TLSv1_3: bool
HAS_SNI: bool
HAS_ALPN: bool

class SSLError(OSError):
    library: Optional[str]
    reason: Optional[str]

class SSLZeroReturnError(SSLError): ...
class SSLWantReadError(SSLError): ...
class SSLWantWriteError(SSLError): ...
class SSLSyscallError(SSLError): ...
class SSLEOFError(SSLError): ...

class SSLCertVerificationError(SSLError, ValueError):
    verify_code: int
    verify_message: str

CertificateError = SSLCertVerificationError

class TLSVersion:
    MINIMUM_SUPPORTED: int
    MAXIMUM_SUPPORTED: int
    TLSv1_2: int
    TLSv1_3: int

class Purpose:
    SERVER_AUTH: str
    CLIENT_AUTH: str

class SSLSocket(usocket.socket):
    server_side: bool
    server_hostname: Optional[str]
    context: Optional[SSLContext]
    session_reused: bool
    def do_handshake(self, block: bool = ...) -> None: ...
    def getpeercert(self, binary_form: bool = ...) -> Union[dict[str, Any], bytes, None]: ...
    def cipher(self) -> Optional[tuple[str, str, int]]: ...
    def version(self) -> Optional[str]: ...
    def selected_alpn_protocol(self) -> Optional[str]: ...
    def compression(self) -> None: ...
    def pending(self) -> int: ...
    def unwrap(self) -> usocket.socket: ...
    def accept(self) -> tuple[SSLSocket, Any]: ...

class SSLContext:
    verify_mode: int
    check_hostname: bool
    minimum_version: int
    maximum_version: int
    @property
    def protocol(self) -> int: ...
    def __init__(self, protocol: int) -> None: ...
    def load_cert_chain(self, certfile: _CertArg, keyfile: Optional[_CertArg] = ...,
                        password: Union[str, bytes, Callable[[], Union[str, bytes]], None] = ...) -> None: ...
    def load_verify_locations(self, cafile: Optional[_Path] = ..., capath: Optional[_Path] = ...,
                              cadata: Union[str, _Data, None] = ...) -> None: ...
    def load_default_certs(self, purpose: Any = ...) -> None: ...
    def set_ciphers(self, ciphers: Union[str, list[str]]) -> None: ...
    def get_ciphers(self) -> list[str]: ...
    def set_alpn_protocols(self, protocols: list[str]) -> None: ...
    def wrap_socket(self, sock: usocket.socket, server_side: bool = ..., do_handshake_on_connect: bool = ...,
                    suppress_ragged_eofs: bool = ..., server_hostname: Optional[str] = ...,
                    session: None = ...) -> SSLSocket: ...

def create_default_context(purpose: str = ..., *, cafile: Optional[_Path] = ..., capath: Optional[_Path] = ...,
                           cadata: Union[str, _Data, None] = ...) -> SSLContext: ...
def wrap_socket(sock: usocket.socket, server_side: bool = ..., key: Optional[_CertArg] = ...,
                cert: Optional[_CertArg] = ..., cert_reqs: int = ..., cadata: Optional[_Data] = ...,
                server_hostname: Optional[str] = ..., do_handshake: bool = ...) -> SSLSocket: ...
