#!/usr/bin/env bash
# versions.sh: run the README's test command against other PostgreSQL
# majors, each with Debian's own packages in a minimal root of the Debian
# release that ships it.
#
#   bash test/versions.sh 17 18
#
# For each major: the root of its release (test/debroot.sh: debootstrap
# --variant=minbase, cached in ${ACCMATCH_ROOTS:-/var/cache/accmatch-roots}
# and reused between runs) gets /proc, /dev and /dev/pts mounted, a fresh
# `git clone` of this repository at its committed HEAD (uncommitted changes
# are not tested), and runs `bash test/check.sh` in it as root: that
# installs the packages of the major the release ships (test/deps.sh),
# builds with -Wall -Wextra -Werror and runs every test.  One line per
# major says "PostgreSQL MAJOR: passed" or "failed"; the whole output goes
# to $VERSIONS_LOGDIR/pgMAJOR.log (default /tmp/accmatch-versions), whose
# failures and end are shown when it failed.  Exits non-zero when any
# major failed.
#
# VERSIONS_CONCURRENCY_DURATION (seconds, default 20) is the length of the
# pgbench run of test/concurrency.sh in the roots (the native run keeps its
# 60 s).  Needs root, git, debootstrap and a Debian mirror in the apt
# sources.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/debroot.sh
. "$here/debroot.sh"

# The Debian release whose own packages provide each major.
declare -A release_of=(
	[15]=bookworm
	[17]=trixie
	[18]=sid
)

usage() {
	echo "usage: bash test/versions.sh MAJOR... (one of: ${!release_of[*]})" >&2
	exit 2
}

[ $# -gt 0 ] || usage
for major in "$@"; do
	if [ -z "${release_of[$major]:-}" ]; then
		echo "versions: no Debian release known for PostgreSQL '$major'" >&2
		usage
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "versions: needs root (debootstrap, mount, chroot)" >&2
	exit 2
fi

repo=$(git -C "$here" rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse HEAD)
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
	echo "versions: uncommitted changes are not tested; testing $commit" >&2
fi
logdir=${VERSIONS_LOGDIR:-/tmp/accmatch-versions}
mkdir -p "$logdir"
duration=${VERSIONS_CONCURRENCY_DURATION:-20}

# Run the test command for one major in its release's root; the root is
# unmounted when this returns, fails or is interrupted.
test_major() {
	local major=$1 release=${release_of[$1]} root
	root=$(realpath -m "$(debroot_path "$release")")
	(
		trap 'debroot_umount "$root"' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		echo "versions: PostgreSQL $major in Debian $release ($root), commit $commit"
		# (set -e does not act in a function called from "if")
		debroot_prepare "$release" || exit 1
		debroot_mount "$root" || exit 1
		# a cached root gets the updates a fresh one would have
		debroot_run "$root" apt-get -qq -y -o DPkg::Lock::Timeout=600 \
			upgrade >/dev/null || exit 1
		rm -rf --one-file-system "$root/root/accmatch" || exit 1
		git clone -q --no-hardlinks "$repo" "$root/root/accmatch" || exit 1
		git -C "$root/root/accmatch" checkout -q --detach "$commit" || exit 1
		debroot_run "$root" env CONCURRENCY_DURATION="$duration" \
			bash -c 'cd /root/accmatch && bash test/check.sh'
	)
}

failed=0
for major in "$@"; do
	log=$logdir/pg$major.log
	start=$SECONDS
	if test_major "$major" >"$log" 2>&1; then
		echo "PostgreSQL $major: passed ($((SECONDS - start)) s)"
	else
		echo "PostgreSQL $major: failed ($((SECONDS - start)) s, log: $log)"
		# the failures first (the log's end is the server's log when a
		# test failed in pg_virtualenv)
		debroot_failures "$log" | sed 's/^/    /'
		echo "    ..."
		tail -n 40 "$log" | sed 's/^/    /'
		failed=1
	fi
done
exit "$failed"
