#!/usr/bin/env bash
# build.sh: build accmatch with warnings as errors and install it.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config \
	PG_CFLAGS="-Wall -Wextra -Werror"
"${sudo[@]}" make -s PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install >/dev/null
