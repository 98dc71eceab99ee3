# shellcheck shell=bash
# debroot.sh: minimal Debian roots (debootstrap) to build and test in.
# Source it from bash; it defines functions and changes no shell options.
#
#   debroot_path RELEASE       print the cache path of RELEASE's root:
#                              ${ACCMATCH_ROOTS:-/var/cache/accmatch-roots}/RELEASE
#   debroot_prepare RELEASE    create that root if missing (debootstrap
#                              --variant=minbase) and refresh its package
#                              lists; safe on a cached root; a half-built
#                              root (interrupted debootstrap) is rebuilt
#   debroot_mount ROOT         mount /proc, /dev, /dev/pts and a private
#                              /dev/shm into ROOT
#   debroot_umount ROOT        undo debroot_mount; safe to call twice
#   debroot_run ROOT CMD...    run CMD in ROOT as root with a clean
#                              environment (LANG=C.UTF-8, HOME=/root, a
#                              standard PATH; nothing else from the caller)
#   debroot_failures LOG       print what in LOG (the output of a test
#                              run in a root) tells which tests failed:
#                              pgTAP's and pg_regress's failures, the
#                              diffs and FAIL lines, each with the lines
#                              after it (at most 150 lines)
#
# Mounts are counted per calling process: when several scripts use one root
# at once, the last debroot_umount unmounts, after stopping any process
# still running in the root.  Callers set the trap themselves:
#
#   . test/debroot.sh
#   debroot_prepare trixie
#   root=$(debroot_path trixie)
#   debroot_mount "$root"
#   trap 'debroot_umount "$root"' EXIT
#   debroot_run "$root" apt-get install -y postgresql
#
# The mirror is the one this machine's apt sources name for its own Debian
# release (/etc/apt/sources.list.d/*.sources, then sources.list and
# sources.list.d/*.list); ACCMATCH_MIRROR overrides it.  A root of a stable
# release also gets its -updates suite and, from the mirror the host uses
# for its own -security suite (ACCMATCH_SECURITY_MIRROR overrides it), its
# -security suite, as a fresh installation has them; debroot_prepare
# writes these sources each time.  A root of sid does not check the
# Valid-Until date of the Release file, since mirrors of snapshots serve
# one past it.  Services never start in a root
# (policy-rc.d), so installing a server leaves no process behind.
# Needs root, debootstrap, flock and findmnt.

# The cache path of RELEASE's root.
debroot_path() {
	echo "${ACCMATCH_ROOTS:-/var/cache/accmatch-roots}/$1"
}

# The Debian mirror of this machine's apt sources: the first "deb" source
# whose suite is the host's own release (else any release without a
# "-updates"/"-security" suffix).  With "security": the source of the
# host's RELEASE-security suite (else of any "-security" suite), or nothing.
debroot_mirror() {
	local want=${1:-main}
	if [ "$want" = main ] && [ -n "${ACCMATCH_MIRROR:-}" ]; then
		echo "$ACCMATCH_MIRROR"
		return 0
	fi
	if [ "$want" = security ] && [ -n "${ACCMATCH_SECURITY_MIRROR:-}" ]; then
		echo "$ACCMATCH_SECURITY_MIRROR"
		return 0
	fi
	local codename='' f mirror
	if [ -r /etc/os-release ]; then
		codename=$(sed -n "s/^VERSION_CODENAME=//p" /etc/os-release | tr -d "\"'")
	fi
	local deb822=() onelined=()
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] && deb822+=("$f")
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] && onelined+=("$f")
	done
	mirror=$(
		{
			# deb822 stanzas: one "suite uri" line per enabled deb stanza
			if [ ${#deb822[@]} -gt 0 ]; then
				awk '
					function flush() {
						if (types ~ /(^| )deb( |$)/ && enabled != "no")
							for (i = 1; i <= ns; i++) print suites[i], uris[1]
						types = ""; enabled = ""; ns = 0; delete uris; delete suites
					}
					FNR == 1 { flush() }
					/^[ \t]*#/ { next }
					/^[ \t]*$/ { flush(); next }
					{
						key = tolower($1); sub(/:$/, "", key)
						if (key == "types") { $1 = ""; types = $0 }
						else if (key == "enabled") enabled = tolower($2)
						else if (key == "uris") for (i = 2; i <= NF; i++) uris[i - 1] = $i
						else if (key == "suites") { ns = 0; for (i = 2; i <= NF; i++) suites[++ns] = $i }
					}
					END { flush() }
				' "${deb822[@]}"
			fi
			# one-line sources: deb [options] uri suite component...
			if [ ${#onelined[@]} -gt 0 ]; then
				awk '
					$1 != "deb" { next }
					{
						i = 2
						if ($i ~ /^\[/) while ($i !~ /\]$/) i++
						if ($i ~ /^\[/ || $i ~ /\]$/) i++
						print $(i + 1), $i
					}
				' "${onelined[@]}"
			fi
		} | awk -v own="$codename" -v want="$want" '
			want == "security" && own != "" && $1 == own "-security" { print $2; found = 1; exit }
			want == "security" && $1 ~ /-security$/ && first == "" { first = $2 }
			want == "main" && own != "" && $1 == own { print $2; found = 1; exit }
			want == "main" && $1 !~ /-/ && first == "" { first = $2 }
			END { if (!found && first != "") print first }
		'
	)
	if [ "$want" = security ]; then
		echo "$mirror"
		return 0
	fi
	if [ -z "$mirror" ]; then
		echo "debroot: no Debian mirror found in the apt sources; set ACCMATCH_MIRROR" >&2
		return 1
	fi
	echo "$mirror"
}

# The mount points under ROOT, deepest first.
debroot_mounts_under() {
	local root
	root=$(realpath -m "$1")
	findmnt -rn -o TARGET | awk -v r="$root" '$0 == r || index($0, r "/") == 1' | sort -r
}

# Create RELEASE's root if it is missing or half-built, then refresh its
# package lists.  A root is complete once .debroot-complete exists in it,
# written last; anything else at that path is removed and built again.
debroot_prepare() {
	local release=$1 root mirror
	root=$(realpath -m "$(debroot_path "$release")")
	mirror=$(debroot_mirror) || return 1
	mkdir -p "$(dirname "$root")" || return 1
	(
		flock 9 || exit 1
		if [ -f "$root/.debroot-complete" ]; then
			exit 0
		fi
		if [ -e "$root" ]; then
			# debootstrap, killed, may leave /proc and /sys mounted
			debroot_release "$root" || exit 1
			if [ -n "$(debroot_mounts_under "$root")" ]; then
				echo "debroot: $root is half-built but still has mounts; not removing it" >&2
				exit 1
			fi
			echo "debroot: removing the half-built root $root" >&2
			rm -rf --one-file-system "$root" || exit 1
		fi
		echo "debroot: debootstrap $release into $root" >&2
		if ! debootstrap --variant=minbase "$release" "$root" "$mirror" \
			>"$root.debootstrap.log" 2>&1; then
			echo "debroot: debootstrap of $release failed; the end of $root.debootstrap.log:" >&2
			tail -n 20 "$root.debootstrap.log" >&2
			exit 1
		fi
		# no service starts inside the root
		printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
		chmod 755 "$root/usr/sbin/policy-rc.d"
		if [ "$release" = sid ] || [ "$release" = unstable ]; then
			echo 'Acquire::Check-Valid-Until "false";' \
				>"$root/etc/apt/apt.conf.d/99debroot-valid-until"
		fi
		touch "$root/.debroot-complete"
	) 9>"$root.lock" || return 1
	debroot_sources "$release" "$mirror" >"$root/etc/apt/sources.list" || return 1
	debroot_mount "$root" || return 1
	local rc=0
	debroot_run "$root" apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null || rc=$?
	debroot_umount "$root"
	if [ $rc -ne 0 ]; then
		echo "debroot: apt-get update failed in $root" >&2
	fi
	return $rc
}

# The apt sources of a root of RELEASE, as a fresh installation has them:
# the release, and for a stable release its -updates suite and, when this
# machine names a security mirror, its -security suite.
debroot_sources() {
	local release=$1 mirror=$2 security
	echo "deb $mirror $release main"
	case $release in
		sid | unstable | experimental) return 0 ;;
	esac
	echo "deb $mirror $release-updates main"
	security=$(debroot_mirror security)
	if [ -n "$security" ]; then
		echo "deb $security $release-security main"
	fi
}

# Mount /proc, /dev, /dev/pts and a private /dev/shm (PostgreSQL's shared
# memory) into ROOT, and count this process among the root's users.
debroot_mount() {
	local root
	root=$(realpath -m "$1")
	mkdir -p "$root.users" || return 1
	(
		flock 9 || exit 1
		touch "$root.users/$$"
		mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || exit 1
		mountpoint -q "$root/dev" || mount --bind /dev "$root/dev" || exit 1
		mkdir -p "$root/dev/pts" "$root/dev/shm"
		mountpoint -q "$root/dev/pts" || mount --bind /dev/pts "$root/dev/pts" || exit 1
		mountpoint -q "$root/dev/shm" ||
			mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm" || exit 1
	) 9>"$root.lock"
}

# Stop counting this process among ROOT's users; when no live user is
# left, stop what still runs inside ROOT and unmount everything under it.
# Calling it again, or without debroot_mount, does no harm.
debroot_umount() {
	local root
	root=$(realpath -m "$1")
	[ -d "$root.users" ] || return 0
	(
		flock 9 || exit 1
		rm -f "$root.users/$$"
		debroot_release "$root"
	) 9>"$root.lock"
}

# With ROOT's lock held: unless a live process still counts among ROOT's
# users, stop what runs inside ROOT and unmount everything under it.
debroot_release() {
	local root=$1 u pid m rc=0
	for u in "$root.users"/*; do
		[ -e "$u" ] || continue
		if kill -0 "${u##*/}" 2>/dev/null; then
			return 0 # another process still uses the root
		fi
		rm -f "$u"
	done
	# processes whose root directory is this root (a server left behind)
	for pid in /proc/[0-9]*; do
		if [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ]; then
			kill -KILL "${pid##*/}" 2>/dev/null || true
		fi
	done
	for m in $(debroot_mounts_under "$root"); do
		[ "$m" = "$root" ] && continue
		umount "$m" 2>/dev/null || umount -l "$m" || rc=1
	done
	return $rc
}

# Run CMD in ROOT as root, with a clean environment.
debroot_failures() {
	grep -E -A 8 -e '^not ok' -e '^# +Failed test' -e '^Failed [0-9]+/[0-9]+' \
		-e '^test .* FAILED' -e '^diff -U' -e '(^|: )FAIL(ED)?$' -- "$1" |
		head -n 150
}

debroot_run() {
	local root=$1
	shift
	env -i LANG=C.UTF-8 HOME=/root TERM="${TERM:-dumb}" \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive \
		chroot "$root" "$@"
}
