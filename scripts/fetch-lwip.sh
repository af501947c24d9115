#!/usr/bin/env bash
# Fetches upstream lwIP 2.1.3 from Debian's SOURCE package and unpacks it without Debian's
# patches: scripts/fetch-lwip.sh [DIR]  (default: $USOCKET_LWIP_CACHE or ~/.cache/usocket-lwip)
# Prints the source tree's path (DIR/lwip-2.1.3) on its last line: scripts/fetch-debian-source.sh.
exec "$(dirname "$0")/fetch-debian-source.sh" lwip "$@"
