#!/usr/bin/env bash
# pgxn.sh: make the PGXN release archive with `make dist` (git archive of
# the committed HEAD), check that it holds one top directory named after
# the release and a META.json that follows the PGXN Meta Spec and the
# control file (test/pgxn_meta.py), then unpack it into an empty directory
# and, from there only, build with warnings as errors, install, and run the
# pg_regress suite in a throwaway cluster.
#
# PG_CONFIG (default: pg_config from PATH) chooses the server.  Installs
# into that server's directories, as make install does.
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

PG_CONFIG=${PG_CONFIG:-pg_config}
major=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)

for tool in unzip python3; do
	if ! command -v "$tool" >/dev/null; then
		"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$tool" >/dev/null
	fi
done

if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "pgxn: note: the archive is made from HEAD; uncommitted changes are not in it"
fi

tmp=$(mktemp -d /tmp/accmatch-pgxn.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

zip=$(make -s --no-print-directory dist | tail -n 1)
mv "$zip" "$tmp/"
dist=${zip%.zip}
echo "pgxn: made $zip"

# one top directory, the distribution's name and version
if unzip -Z1 "$tmp/$zip" | grep -v "^$dist/"; then
	echo "pgxn: the entries above are outside $dist/" >&2
	exit 1
fi

mkdir "$tmp/unpacked"
unzip -q "$tmp/$zip" -d "$tmp/unpacked"
[ "$(ls -A "$tmp/unpacked")" = "$dist" ] || {
	echo "pgxn: $zip does not unpack to $dist/ alone" >&2
	exit 1
}
python3 "$src/test/pgxn_meta.py" "$tmp/unpacked/$dist"

cd "$tmp/unpacked/$dist"
make -s PG_CONFIG="$PG_CONFIG" PG_CFLAGS="-Wall -Wextra -Werror"
"${sudo[@]}" make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
echo "pgxn: built and installed from $zip; pg_regress suite against PostgreSQL $major"
# shellcheck disable=SC2016 # expanded by the inner shell
pg_virtualenv -t -v "$major" -o log_min_messages=warning bash -c '
	if ! make -s PG_CONFIG="$1" installcheck; then
		cat regression.diffs output_iso/regression.diffs 2>/dev/null
		exit 1
	fi
' pg_virtualenv "$PG_CONFIG"
echo "pgxn: PASS"
