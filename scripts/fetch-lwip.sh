#!/usr/bin/env bash
# Fetches upstream lwIP 2.1.3 from Debian's SOURCE package and unpacks it without Debian's
# patches: scripts/fetch-lwip.sh [DIR]  (default: $USOCKET_LWIP_CACHE or ~/.cache/usocket-lwip)
#
# Prints the source tree's path (DIR/lwip-2.1.3) on its last line. A second run finds the tree
# and does nothing. Nothing of lwIP is kept in the repository: CI runs this script too.
#
# Why the source package and not the binary liblwip-dev: Debian builds that for the Hurd
# (glibc's socket constants, no select, no DNS, pbufs sized from glibc's TCP_MSS); see
# lwip/README.md. Why --skip-patches: Debian's patches rewrite src/api/sockets.c for the Hurd
# and add a unix port; usocket brings its own port (lwip/port/).
#
# The system's apt sources are left alone: a private apt state under DIR/apt holds one deb-src
# line (the mirror of the system's first Debian source, or $USOCKET_DEBIAN_MIRROR) and is used
# only for this download. apt checks the signature of the index and the checksums of the files.
# Needs: apt-get, dpkg-source (dpkg-dev).
set -euo pipefail

dir=${1:-${USOCKET_LWIP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usocket-lwip}}
upstream=2.1.3
tree="$dir/lwip-$upstream"
stamp="$tree/.usocket-fetched"

if [[ -f "$stamp" ]]; then
  echo "lwIP $upstream already in $tree" >&2
  echo "$tree"
  exit 0
fi

command -v dpkg-source >/dev/null || { echo "fetch-lwip: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }

# The Debian release and mirror of this machine, unless given.
. /etc/os-release
codename=${USOCKET_DEBIAN_CODENAME:-${VERSION_CODENAME:-bookworm}}
mirror=${USOCKET_DEBIAN_MIRROR:-}
if [[ -z "$mirror" ]]; then
  mirror=$(grep -hoE '^URIs:[[:space:]]*[^[:space:]]+/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null \
             | head -n1 | awk '{print $2}') || true
fi
if [[ -z "$mirror" ]]; then
  mirror=$(grep -hoE '^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+/debian/?[[:space:]]' /etc/apt/sources.list 2>/dev/null \
             | head -n1 | awk '{print $NF}') || true
fi
mirror=${mirror:-http://deb.debian.org/debian}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

apt_dir="$dir/apt"
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/empty.d" "$dir/dl"
echo "deb-src [signed-by=$keyring] $mirror $codename main" >"$apt_dir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$apt_dir/sources.list"
  -o "Dir::Etc::SourceParts=$apt_dir/empty.d"
  -o "Dir::State::Lists=$apt_dir/lists"
  -o "Dir::Cache=$apt_dir/cache"
  -o "APT::Sandbox::User=root"
)

echo "fetch-lwip: deb-src $mirror $codename main (private apt state in $apt_dir)" >&2
apt-get "${apt_opts[@]}" -q update >&2
(cd "$dir/dl" && apt-get "${apt_opts[@]}" -q source --download-only lwip >&2)

dsc=$(ls "$dir"/dl/lwip_"$upstream"*.dsc 2>/dev/null | sort | tail -n1 || true)
if [[ -z "$dsc" ]]; then
  echo "fetch-lwip: Debian's lwip source package is not lwIP $upstream:" >&2
  ls "$dir/dl" >&2
  exit 1
fi

# apt checked the files against the signed index; dpkg-source's "Can't check signature" only
# says the uploader's key is not installed (debian-keyring is not needed for that).
unpacked="$dir/dl/unpacked"
rm -rf "$unpacked"
dpkg-source -q -x --skip-patches "$dsc" "$unpacked" >&2
for part in MAJOR:2 MINOR:1 REVISION:3; do   # lwIP's files have CRLF line ends
  grep -qE "define LWIP_VERSION_${part%:*} +${part#*:}[[:space:]]*\$" "$unpacked/src/include/lwip/init.h" || {
    echo "fetch-lwip: $(basename "$dsc") is not lwIP $upstream" >&2
    exit 1
  }
done
rm -rf "$tree"
mv "$unpacked" "$tree"
basename "$dsc" >"$stamp"
echo "fetch-lwip: lwIP $upstream unpacked (Debian's patches not applied) from $(basename "$dsc")" >&2
echo "$tree"
