#!/usr/bin/env bash
# deps.sh: install the Debian packages accmatch needs to build, test and
# benchmark, for the PostgreSQL major of test/pgversion.sh (the one this
# machine's Debian ships, unless one is installed or PG_MAJOR or PG_CONFIG
# names another).  Idempotent: only missing packages are installed.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/pgversion.sh

pkgs=(
	git make gcc
	"postgresql-$PG_MAJOR" "postgresql-server-dev-$PG_MAJOR" libicu-dev
	"postgresql-$PG_MAJOR-pgtap" libtap-parser-sourcehandler-pgtap-perl
	"postgresql-$PG_MAJOR-plproxy"
	valgrind
)

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	"${sudo[@]}" apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
