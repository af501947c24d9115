#!/usr/bin/env bash
# The commands the README and docs/ show, run verbatim on a fresh clone of the committed tree:
# every ```sh block whose info string says `ci` (run from the clone's top), every ```cmake
# block marked `ci-consumer` (written as consumer/CMakeLists.txt) and every ```sh block marked
# `ci-consumer` (run in consumer/, where a small main.cpp and app.cpp use the library). Blocks
# run in the order of the pages, one shell per page, stopping at the first failure. They
# install into /opt/usocket as the pages say (CI runs as root on a throwaway machine).
# Budget: about 4 minutes on 2 cores (a Release build of the library, usock and the module).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/usocket-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS
git clone -q "$src" "$work/clone"
cd "$work/clone"
mkdir -p consumer
cat > consumer/main.cpp <<'CPP'
#include <usocket/usocket.hpp>
int main() {
    auto [a, b] = usocket::socketpair();
    a.sendall("ping");
    return b.recv(4) == "ping" ? 0 : 1;
}
CPP
cp consumer/main.cpp consumer/app.cpp

# blocks PAGE: the marked blocks of PAGE as a script (and consumer/CMakeLists.txt).
blocks() {
  /usr/bin/python3 - "$1" <<'PY'
import re, sys
page = sys.argv[1]
text = open(page).read()
out = ["set -euo pipefail", "top=$PWD"]
for m in re.finditer(r"^```(\w+)([^\n]*)\n(.*?)^```", text, re.S | re.M):
    lang, info, body = m.group(1), m.group(2).split(), m.group(3)
    line = text[:m.start()].count("\n") + 1
    if lang == "sh" and "ci" in info:
        out += ['echo "== %s:%d"' % (page, line), 'cd "$top"', body]
    elif lang == "sh" and "ci-consumer" in info:
        out += ['echo "== %s:%d (in consumer/)"' % (page, line), 'cd "$top/consumer"', body]
    elif lang == "cmake" and "ci-consumer" in info:
        out += ['echo "== %s:%d (consumer/CMakeLists.txt)"' % (page, line),
                "cat > \"$top/consumer/CMakeLists.txt\" <<'CMAKE'\n" + body + "CMAKE"]
print("\n".join(out))
PY
}

ran=0
for page in README.md docs/*.md; do
  script=$(blocks "$page")
  grep -q '^echo "== ' <<<"$script" || continue
  echo "== docs_commands: $page"
  bash -c "$script"
  ran=$((ran + 1))
done
[[ $ran -gt 0 ]] || { echo "docs_commands: no marked block found: the check itself is broken" >&2; exit 1; }
echo "docs_commands: the commands of $ran pages ran in $((SECONDS - start)) s"
