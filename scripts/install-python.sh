#!/usr/bin/env bash
# Installs the Python module usocket into the environment of an interpreter, with no network:
#   scripts/install-python.sh [PYTHON]        (default /usr/bin/python3; a venv's python works)
# It builds only the extension module and copies the package into that interpreter's
# site-packages (sysconfig's platlib), so `python -c "import usocket"` works from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${1:-/usr/bin/python3}
build=${USOCKET_PYTHON_BUILD_DIR:-build-python-install}
scripts/install-deps.sh
site=$("$py" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPython3_EXECUTABLE="$py" \
  -DUSOCKET_BUILD_TESTS=OFF -DUSOCKET_BUILD_EXAMPLES=OFF -DUSOCKET_BUILD_TOOLS=OFF \
  -DUSOCKET_BUILD_PYTHON=ON -DUSOCKET_INSTALL=ON -DUSOCKET_PYTHON_INSTALL_DIR="$site" >/dev/null
cmake --build "$build" -j2 --target usocket_python
cmake --install "$build" --component python
echo "usocket installed into $site"
