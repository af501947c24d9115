#!/usr/bin/env bash
# The Python module installs into a fresh venv with no network, and imports and works from
# outside the source tree.
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
PY
