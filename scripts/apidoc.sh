#!/usr/bin/env bash
# Builds the API reference from the /// comments of include/usocket/ with Doxygen
# (docs/Doxyfile):
#   scripts/apidoc.sh [OUT_DIR]                 → OUT_DIR/html/index.html (default build/apidoc)
#   scripts/apidoc.sh --undocumented [OUT_DIR]  also lists the public declarations that have no
#                                               comment (a report; it does not fail for them)
# Fails when Doxygen warns about a header: a malformed comment, an unknown command, a broken
# reference. Warnings about the Markdown pages (README.md, docs/*.md, written for a repository
# viewer first) are shown but do not fail.
set -euo pipefail
cd "$(dirname "$0")/.."
undocumented=0
if [[ "${1:-}" == --undocumented ]]; then
  undocumented=1
  shift
fi
out=${1:-build/apidoc}
command -v doxygen >/dev/null || scripts/install-deps.sh
version=$(sed -n 's/^project(usocket VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
mkdir -p "$out"
out=$(cd "$out" && pwd)

# doxygen_with SETTINGS...: runs Doxygen on docs/Doxyfile with the settings appended.
doxygen_with() {
  { cat docs/Doxyfile; printf '%s\n' "PROJECT_NUMBER = $version" "$@"; } | doxygen -
}

log="$out/warnings.log"
doxygen_with "OUTPUT_DIRECTORY = \"$out\"" "WARN_LOGFILE = \"$log\""
if grep -v "^$PWD/include/" "$log" | grep -q .; then
  grep -v "^$PWD/include/" "$log" | sed "s|^$PWD/|note: |" >&2
fi
if grep -q "^$PWD/include/" "$log"; then
  grep "^$PWD/include/" "$log" | sed "s|^$PWD/||" >&2
  echo "apidoc: Doxygen warned about the headers (above); fix the comments" >&2
  exit 1
fi

if ((undocumented)); then
  # EXTRACT_ALL hides the "not documented" warnings: a second run without it, output unused.
  undoc="$out/undocumented.log"
  doxygen_with "OUTPUT_DIRECTORY = \"$out/undocumented\"" "EXTRACT_ALL = NO" \
               "WARN_LOGFILE = \"$undoc\"" "GENERATE_HTML = NO"
  grep 'is not documented' "$undoc" | sed "s|^$PWD/||" || true
  echo "apidoc: $(grep -c 'is not documented' "$undoc" || true) public declarations without a comment"
  rm -rf "$out/undocumented"
fi
echo "apidoc: $out/html/index.html"
