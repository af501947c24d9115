"""ussl: TLS for usocket sockets, as MicroPython's ssl (formerly ussl) and CPython's ssl share it.

    import usocket as socket
    import ussl as ssl

The TLS layer is the C++ library's usocket::tls (OpenSSL or mbedTLS, chosen when it was built),
exposed by usocket._usocket._tls; this module adds MicroPython's wrap_socket() and CPython's
create_default_context(). ImportError when the library was built without TLS.
"""

from usocket import _usocket

try:
    _tls = _usocket._tls
except AttributeError:
    raise ImportError("ussl: usocket was built without TLS (-DUSOCKET_TLS=none)") from None

SSLContext = _tls.SSLContext
SSLSocket = _tls.SSLSocket
SSLError = _tls.SSLError
SSLZeroReturnError = _tls.SSLZeroReturnError
SSLWantReadError = _tls.SSLWantReadError
SSLWantWriteError = _tls.SSLWantWriteError
SSLSyscallError = _tls.SSLSyscallError
SSLEOFError = _tls.SSLEOFError
SSLCertVerificationError = _tls.SSLCertVerificationError
CertificateError = SSLCertVerificationError

PROTOCOL_TLS_CLIENT = _tls.PROTOCOL_TLS_CLIENT
PROTOCOL_TLS_SERVER = _tls.PROTOCOL_TLS_SERVER
CERT_NONE = _tls.CERT_NONE
CERT_OPTIONAL = _tls.CERT_OPTIONAL
CERT_REQUIRED = _tls.CERT_REQUIRED
ENGINE_VERSION = _tls.ENGINE_VERSION
HAS_TLSv1_3 = _tls.HAS_TLSv1_3
HAS_SNI = True
HAS_ALPN = True


class TLSVersion:
    """CPython's TLSVersion values (SSLContext.minimum_version, maximum_version)."""
    MINIMUM_SUPPORTED = -2
    MAXIMUM_SUPPORTED = -1
    TLSv1_2 = 0x0303
    TLSv1_3 = 0x0304


class Purpose:
    """create_default_context()'s purpose: the certificates the context checks."""
    SERVER_AUTH = "SERVER_AUTH"  # a client checks servers
    CLIENT_AUTH = "CLIENT_AUTH"  # a server checks clients


def create_default_context(purpose=Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    """CPython's: a client context that verifies servers (the system's CAs, or the ones given),
    or with Purpose.CLIENT_AUTH a server context."""
    if purpose == Purpose.SERVER_AUTH:
        ctx = SSLContext(PROTOCOL_TLS_CLIENT)
    elif purpose == Purpose.CLIENT_AUTH:
        ctx = SSLContext(PROTOCOL_TLS_SERVER)
    else:
        raise TypeError("purpose must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH, not %r" % (purpose,))
    if cafile is not None or capath is not None or cadata is not None:
        ctx.load_verify_locations(cafile, capath, cadata)
    elif purpose == Purpose.SERVER_AUTH:
        ctx.load_default_certs(purpose)
    return ctx


def wrap_socket(sock, server_side=False, key=None, cert=None, cert_reqs=CERT_NONE, cadata=None,
                server_hostname=None, do_handshake=True):
    """MicroPython's: wraps `sock` with TLS. Nothing is verified unless cert_reqs asks
    (CERT_REQUIRED with cadata); a client then checks server_hostname when it is given. key and
    cert are bytes (PEM or DER) or paths."""
    ctx = SSLContext(PROTOCOL_TLS_SERVER if server_side else PROTOCOL_TLS_CLIENT)
    if cert is not None or key is not None:
        ctx.load_cert_chain(cert, key)
    if cadata is not None:
        ctx.load_verify_locations(cadata=cadata)
    ctx.check_hostname = False
    ctx.verify_mode = cert_reqs
    if not server_side and server_hostname is not None and ctx.verify_mode != CERT_NONE:
        ctx.check_hostname = True
    return ctx.wrap_socket(sock, server_side=server_side, do_handshake_on_connect=do_handshake,
                           server_hostname=server_hostname)
