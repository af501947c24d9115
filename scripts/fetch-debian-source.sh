#!/usr/bin/env bash
# Fetches an upstream source tree from Debian's SOURCE package and unpacks it without Debian's
# patches, for the lwIP builds: scripts/fetch-debian-source.sh PACKAGE [DIR]
#   lwip      lwIP 2.1.3 (the lwIP backend; scripts/fetch-lwip.sh is this with "lwip")
#   mbedtls   mbedTLS 2.28 (the TLS layer cross-built for a board: libmbedtls-dev is host-only)
# DIR defaults to $USOCKET_LWIP_CACHE or ~/.cache/usocket-lwip. Prints the source tree's path
# (DIR/lwip-2.1.3, DIR/mbedtls-2.28) on its last line. A second run finds the tree and does
# nothing. Nothing of either is kept in the repository: CI runs this script too.
#
# Why lwIP's source package and not the binary liblwip-dev: Debian builds that for the Hurd
# (glibc's socket constants, no select, no DNS, pbufs sized from glibc's TCP_MSS); see
# lwip/README.md. Why --skip-patches: Debian's patches rewrite lwIP's src/api/sockets.c for the
# Hurd and add a unix port (usocket brings its own port, lwip/port/), and change mbedTLS's
# configuration for Debian's host libraries (a board build brings its own).
#
# The system's apt sources are left alone: a private apt state under DIR/apt holds one deb-src
# line (the mirror of the system's first Debian source, or $USOCKET_DEBIAN_MIRROR) and is used
# only for this download. apt checks the signature of the index and the checksums of the files.
# Needs: apt-get, dpkg-source (dpkg-dev).
set -euo pipefail

package=${1:-}
dir=${2:-${USOCKET_LWIP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usocket-lwip}}
# Per package: the upstream version asked for (the .dsc's prefix) and version.h's defines to check.
case "$package" in
  lwip)
    name=lwIP upstream=2.1.3 header=src/include/lwip/init.h
    defines=(LWIP_VERSION_MAJOR:2 LWIP_VERSION_MINOR:1 LWIP_VERSION_REVISION:3) ;;
  mbedtls)
    name=mbedTLS upstream=2.28 header=include/mbedtls/version.h
    defines=(MBEDTLS_VERSION_MAJOR:2 MBEDTLS_VERSION_MINOR:28) ;;
  *) echo "usage: scripts/fetch-debian-source.sh lwip|mbedtls [DIR]" >&2; exit 2 ;;
esac
me="fetch-$package"
tree="$dir/$package-$upstream"
stamp="$tree/.usocket-fetched"

if [[ -f "$stamp" ]]; then
  echo "$name $upstream already in $tree" >&2
  echo "$tree"
  exit 0
fi

command -v dpkg-source >/dev/null || { echo "$me: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }

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

echo "$me: deb-src $mirror $codename main (private apt state in $apt_dir)" >&2
apt-get "${apt_opts[@]}" -q update >&2
(cd "$dir/dl" && apt-get "${apt_opts[@]}" -q source --download-only "$package" >&2)

dsc=$(ls "$dir"/dl/"$package"_"$upstream"*.dsc 2>/dev/null | sort | tail -n1 || true)
if [[ -z "$dsc" ]]; then
  echo "$me: Debian's $package source package is not $name $upstream:" >&2
  ls "$dir/dl" >&2
  exit 1
fi

# apt checked the files against the signed index; dpkg-source's "Can't check signature" only
# says the uploader's key is not installed (debian-keyring is not needed for that).
unpacked="$dir/dl/unpacked"
rm -rf "$unpacked"
dpkg-source -q -x --skip-patches "$dsc" "$unpacked" >&2
for part in "${defines[@]}"; do   # lwIP's files have CRLF line ends
  grep -qE "define ${part%:*} +${part#*:}[[:space:]]*\$" "$unpacked/$header" || {
    echo "$me: $(basename "$dsc") is not $name $upstream" >&2
    exit 1
  }
done
rm -rf "$tree"
mv "$unpacked" "$tree"
basename "$dsc" >"$stamp"
echo "$me: $name $upstream unpacked (Debian's patches not applied) from $(basename "$dsc")" >&2
echo "$tree"
