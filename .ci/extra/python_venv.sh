#!/usr/bin/env bash
# The Python module installs into a fresh venv with no network, and imports and works from
# outside the source tree, with its TLS module ussl.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=$(mktemp -d)/venv
/usr/bin/python3 -m venv --without-pip "$venv"
scripts/install-python.sh "$venv/bin/python"
cd /
"$venv/bin/python" - <<'PY'
import usocket as socket
assert socket.__file__.startswith(__import__("sys").prefix), socket.__file__
a, b = socket.socketpair()
a.sendall("hello from a venv")
assert b.recv(64) == b"hello from a venv"
a.close(); b.close()
print("venv install ok:", socket.__file__)
# ussl (TLS) installs next to the package, unless the library was built without TLS.
try:
    import ussl as ssl
except ImportError as e:
    assert "without TLS" in str(e), e
    print("ussl: not built (no TLS):", e)
else:
    import usocket.ssl
    assert ssl.__file__.startswith(__import__("sys").prefix), ssl.__file__
    assert usocket.ssl.SSLContext is ssl.SSLContext
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    print("venv install ok:", ssl.__file__, ssl.ENGINE_VERSION)
PY
