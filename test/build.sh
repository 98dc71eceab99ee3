#!/usr/bin/env bash
# build.sh: build accmatch with warnings as errors and install it, for the
# PostgreSQL major of test/pgversion.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pgversion.sh

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

make -s PG_CONFIG="$PG_CONFIG" \
	PG_CFLAGS="-Wall -Wextra -Werror"
"${sudo[@]}" make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
