#!/usr/bin/env bash
# debian.sh: build the Debian package of accmatch and test it installed in a
# fresh Debian root of the release it was built for.
#
# 1. Build, as the README's package commands do: the source tree (tracked
#    files and untracked ones git does not ignore) is copied to a directory
#    that the user postgres cannot read, as a clone in /root is; there, as
#    root, `apt-get build-dep ./` and `dpkg-buildpackage -us -uc -b` build
#    postgresql-NN-accmatch for each supported PostgreSQL major (the build
#    runs the pg_regress suite against each major itself, through
#    pg_buildext installcheck, whose server runs as postgres).  This happens
#    on this machine, for its Debian release, in a directory of mode 700;
#    with DEBIAN_RELEASE=trixie (any other release) in /root/accmatch in a
#    copy of that release's cached root instead.
# 2. Install: the cached minimal root of that release (test/debroot.sh) is
#    copied with cp -a, so the cached one stays as it is, and
#    `apt-get install ./postgresql-NN-accmatch_*.deb` there pulls PostgreSQL
#    from Debian.
# 3. Test, in that root, for each package built: in a throwaway cluster
#    (pg_virtualenv), CREATE EXTENSION accmatch installs the control file's
#    default version from the package's files, and the pg_regress suite (the
#    Makefile's REGRESS and REGRESS_OPTS) passes with the pg_regress of the
#    postgresql-client package: no compiler or make in the root.
# The root copies and the build directory are removed afterwards (KEEP=1
# keeps them).  Needs root (chroot, mounts).
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "debian: needs root (debootstrap, chroot)" >&2
	exit 2
fi

host_release=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
[ -n "$host_release" ] || { echo "debian: unknown Debian release" >&2; exit 2; }
release=${DEBIAN_RELEASE:-$host_release}

# shellcheck source=test/debroot.sh
. test/debroot.sh

apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 "$@"
}

# mode 700, as mktemp makes it: the user postgres cannot read the build
tmp=$(mktemp -d /tmp/accmatch-debian.XXXXXX)
root="$tmp/root"
buildroot="$tmp/buildroot"
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	local rc=$?
	[ -d "$buildroot" ] && debroot_umount "$buildroot"
	[ -d "$root" ] && debroot_umount "$root"
	if [ "${KEEP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
		echo "debian: kept $tmp"
	elif [ -n "$(debroot_mounts_under "$tmp")" ]; then
		echo "debian: $tmp still has mounts; not removing it" >&2
	else
		rm -rf --one-file-system "$tmp"
	fi
}
trap cleanup EXIT

# a fresh copy of RELEASE's cached root at DIR, mounted
fresh_root() {
	debroot_prepare "$1"
	cp -a "$(debroot_path "$1")" "$2"
	debroot_mount "$2"
}

# the source tree as git sees it (no build products), into DIR
copy_source() {
	mkdir -p "$1"
	git -C "$src" ls-files -z --cached --others --exclude-standard |
		(cd "$src" && tar --null -T - -cf -) | tar -xf - -C "$1"
}

# The build must not be readable by the user postgres, as a clone in /root
# is not, or it would not show that the package builds from there.  Fails
# when postgres can read debian/control in DIR; with ROOT, DIR is in ROOT.
check_unreadable() {
	local dir=$1 root=${2:-}
	local cmd=(runuser -u postgres -- test -r "$dir/debian/control")
	if [ -n "$root" ]; then
		cmd=(debroot_run "$root" "${cmd[@]}")
	fi
	if "${cmd[@]}"; then
		echo "debian: the user postgres can read the build in $root$dir," \
			"unlike a clone in /root" >&2
		return 1
	fi
}

# 1. build
start=$(date +%s)
mkdir -m 700 "$tmp/build"
echo "debian: dpkg-buildpackage -us -uc -b ($release)"
if [ "$release" = "$host_release" ]; then
	copy_source "$tmp/build/accmatch"
	cd "$tmp/build/accmatch"
	command -v dpkg-checkbuilddeps >/dev/null || apt_get install -y dpkg-dev >/dev/null
	if ! dpkg-checkbuilddeps 2>/dev/null; then
		echo "debian: installing the build dependencies"
		apt_get update >/dev/null
		apt_get build-dep -y ./ >/dev/null
	fi
	check_unreadable "$tmp/build/accmatch"
	build_ok=0
	dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1 || build_ok=$?
	cd "$tmp/build"
else
	fresh_root "$release" "$buildroot"
	copy_source "$buildroot/root/accmatch"
	build_ok=0
	debroot_run "$buildroot" bash -euc '
		apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends dpkg-dev
		cd /root/accmatch
		apt-get -q -o DPkg::Lock::Timeout=600 build-dep -y ./
	' >"$tmp/build.log" 2>&1 || build_ok=$?
	if [ "$build_ok" -eq 0 ]; then
		check_unreadable /root/accmatch "$buildroot"
		debroot_run "$buildroot" bash -euc '
			cd /root/accmatch
			dpkg-buildpackage -us -uc -b
		' >>"$tmp/build.log" 2>&1 || build_ok=$?
	fi
	cp "$buildroot"/root/*.deb "$tmp/build/" 2>/dev/null || true
	debroot_umount "$buildroot"
	[ "$build_ok" -ne 0 ] || rm -rf --one-file-system "$buildroot"
	cd "$tmp/build"
fi
if [ "$build_ok" -ne 0 ]; then
	debroot_failures "$tmp/build.log"
	echo "..."
	tail -n 60 "$tmp/build.log"
	echo "debian: the package build failed; its log: $tmp/build.log" >&2
	exit 1
fi
grep -E '^test |tests passed|failed' "$tmp/build.log" || true
cd "$tmp/build"
debs=(postgresql-*-accmatch_*.deb)
[ -e "${debs[0]}" ] || { echo "debian: no package was built" >&2; exit 1; }
echo "debian: built ${debs[*]} in $(( $(date +%s) - start )) s"

# 2. install into a copy of the cached root
start=$(date +%s)
fresh_root "$release" "$root"
if [ "$release" = "$host_release" ]; then
	# The package depends on the PostgreSQL it was built against, which
	# may come from this machine's -updates or -security suites: the root
	# takes this machine's apt sources (same release) and their keyrings.
	rm -f "$root/etc/apt/sources.list"
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && cp "$f" "$root$f"
	done
	cp -n /usr/share/keyrings/*.gpg "$root/usr/share/keyrings/" 2>/dev/null || true
	cp -n /etc/apt/trusted.gpg.d/* "$root/etc/apt/trusted.gpg.d/" 2>/dev/null || true
fi
debroot_run "$root" apt-get -q -o DPkg::Lock::Timeout=600 update >"$tmp/install.log" 2>&1 || {
	tail -n 20 "$tmp/install.log"
	exit 1
}
mkdir -p "$root/tmp/accmatch/debs" "$root/tmp/accmatch/out"
cp "${debs[@]}" "$root/tmp/accmatch/debs/"
cp -r "$src/sql" "$src/expected" "$root/tmp/accmatch/"
# what runs in the root, inside pg_virtualenv, for one major
cat >"$root/tmp/accmatch/test.sh" <<'EOF'
set -euo pipefail
major=$1 version=$2 regress=$3 regress_opts=$4
# the extension's files are the package's
dpkg -S "/usr/lib/postgresql/$major/lib/accmatch.so" \
	"/usr/share/postgresql/$major/extension/accmatch.control" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -c 'CREATE DATABASE accmatch_package'
got=$(psql -X -q -At -v ON_ERROR_STOP=1 -d accmatch_package \
	-c 'CREATE EXTENSION accmatch' \
	-c "SELECT extversion FROM pg_extension WHERE extname = 'accmatch'")
if [ "$got" != "$version" ]; then
	echo "CREATE EXTENSION accmatch installed version $got, not $version" >&2
	exit 1
fi
echo "debian: CREATE EXTENSION accmatch: version $got"
# shellcheck disable=SC2086 # word lists
if ! "/usr/lib/postgresql/$major/lib/pgxs/src/test/regress/pg_regress" \
	--inputdir=/tmp/accmatch --bindir="/usr/lib/postgresql/$major/bin" \
	$regress_opts $regress; then
	cat /tmp/accmatch/out/regression.diffs
	exit 1
fi
EOF
debroot_run "$root" apt-get -q -o DPkg::Lock::Timeout=600 install -y \
	--no-install-recommends "${debs[@]/#//tmp/accmatch/debs/}" >>"$tmp/install.log" 2>&1 || {
	tail -n 40 "$tmp/install.log"
	exit 1
}
echo "debian: installed into a copy of the $release root in $(( $(date +%s) - start )) s"

# 3. test each major there
regress=$(make -s --no-print-directory -C "$src" print-REGRESS)
regress_opts=$(make -s --no-print-directory -C "$src" print-REGRESS_OPTS \
	REGRESS_OUTPUTDIR=/tmp/accmatch/out)
version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$src/accmatch.control")
failed=0
for deb in "${debs[@]}"; do
	pkg=${deb%%_*}
	major=${pkg#postgresql-}
	major=${major%-accmatch}
	start=$(date +%s)
	# shellcheck disable=SC2016 # a dpkg-query format
	debroot_run "$root" dpkg-query -W -f='${Package} ${Version} ${db:Status-Status}\n' "$pkg"
	if ! debroot_run "$root" pg_virtualenv -t -v "$major" \
		-o log_min_messages=warning \
		bash /tmp/accmatch/test.sh "$major" "$version" "$regress" "$regress_opts"; then
		echo "debian: $pkg FAILED in the $release root" >&2
		failed=1
		continue
	fi
	echo "debian: $pkg passed in the $release root in $(( $(date +%s) - start )) s"
done
[ "$failed" -eq 0 ] && echo "debian: PASS"
exit "$failed"
