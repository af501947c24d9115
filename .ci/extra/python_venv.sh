#!/usr/bin/env bash
# The Python module installed the way Python users install it, with no network:
#   1. a wheel built by Debian's python3-build (`python3 -m build --wheel --no-isolation`): it
#      must hold the extension, every .py and .pyi under python/usocket/ and the top-level
#      modules python/*.py with their .pyi (ussl), the stubs as usocket/__init__.pyi and py.typed;
#   2. `pip install --no-build-isolation .` into a fresh venv (pip from Debian's venv wheels),
#      which imports and works from outside the source tree, with its TLS module ussl;
#   3. the wheel installed into another fresh venv, and the Python test suite (tests/python/)
#      run by that venv's interpreter against the installed copy (the venv sees Debian's
#      pytest through --system-site-packages; its own site-packages comes first).
# Budget: about 5 minutes on 2 cores (one Release build of the library and the module, which
# the second install reuses, 3-4; the Python tests about 1). Well under 10.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$PWD
start=$SECONDS
scripts/install-deps.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/usocket-venv.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== python_venv: the wheel (python3 -m build --wheel --no-isolation)"
/usr/bin/python3 -m build --wheel --no-isolation --outdir "$work/dist" .
wheels=("$work"/dist/usocket-*.whl)
((${#wheels[@]} == 1)) || { echo "python_venv: expected one wheel, got: ${wheels[*]}" >&2; exit 1; }
wheel=${wheels[0]}
/usr/bin/python3 - "$wheel" <<'PY'
import pathlib, sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
want = {"usocket/" + str(p.relative_to("python/usocket"))
        for p in pathlib.Path("python/usocket").rglob("*") if p.suffix in (".py", ".pyi")}
want |= {p.name for p in pathlib.Path("python").glob("*.py")}
want |= {p.name for p in pathlib.Path("python").glob("*.pyi") if p.name != "usocket.pyi"}
want |= {"usocket/__init__.pyi", "usocket/py.typed"}
missing = sorted(want - names)
assert not missing, "missing from the wheel: %s" % missing
assert any(n.startswith("usocket/_usocket") and n.endswith(".so") for n in names), sorted(names)
stray = sorted(n for n in names - want if not n.startswith(("usocket/", "usocket-")))
assert not stray, "not ours: %s" % stray
print("python_venv: the wheel holds %d files, every .py/.pyi of python/ and python/usocket/" % len(names))
PY

echo "== python_venv: pip install --no-build-isolation . into a fresh venv"
/usr/bin/python3 -m venv "$work/pip"
"$work/pip/bin/pip" install --no-index --no-build-isolation "$top"
cd /
"$work/pip/bin/python" - <<'PY'
import sys
import usocket as socket
import usocket.selectors
assert socket.__file__.startswith(sys.prefix), socket.__file__
a, b = socket.socketpair()
a.sendall("hello from a venv")
assert b.recv(64) == b"hello from a venv"
a.close(); b.close()
print("python_venv: pip install . ok:", socket.__file__)
# ussl (TLS) installs next to the package, unless the library was built without TLS.
try:
    import ussl as ssl
except ImportError as e:
    assert "without TLS" in str(e), e
    print("ussl: not built (no TLS):", e)
else:
    import usocket.ssl
    assert ssl.__file__.startswith(sys.prefix), ssl.__file__
    assert usocket.ssl.SSLContext is ssl.SSLContext
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    print("python_venv: ussl ok:", ssl.__file__, ssl.ENGINE_VERSION)
PY
cd "$top"

echo "== python_venv: the wheel into a fresh venv, the Python tests against it"
/usr/bin/python3 -m venv --system-site-packages "$work/wheel"
"$work/wheel/bin/pip" install --no-index "$wheel"
cd tests/python
env -u PYTHONPATH "$work/wheel/bin/python" - <<'PY'
import sys
import usocket
assert usocket.__file__.startswith(sys.prefix), usocket.__file__
PY
env -u PYTHONPATH USOCKET_TEST_PYTHON="$work/wheel/bin/python" "$work/wheel/bin/python" -m pytest -q -p no:cacheprovider .
echo "python_venv: done in $((SECONDS - start)) s"
