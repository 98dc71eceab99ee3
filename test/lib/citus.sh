# shellcheck shell=bash
# citus.sh: find Citus, build it once into a Debian root of its own, and
# start throwaway Citus clusters; shared by test/citus.sh and
# test/bench/citus.sh.  Source it from bash after test/debroot.sh; it
# defines functions and changes no shell options.
#
#   citus_find REPO         set CITUS_KIND (installed, tarball or tree) and
#                           CITUS_PATH (pg_config, archive or directory)
#                           from CITUS_SOURCE, else from
#                           REPO/../shared/vendor/citus-*.tar.gz (its
#                           sha256 checked against that directory's
#                           README.md); returns 1 when there is none, 2
#                           when CITUS_SOURCE or the archive is unusable
#   citus_root_prepare      build Citus from CITUS_PATH into the root
#                           $(debroot_path trixie-citus), PostgreSQL 17 of
#                           Debian 13, unless that root already holds a
#                           build of the same source; prints the root
#   citus_run_in_root REPO SCRIPT [NAME=VALUE...]
#                           run REPO's committed SCRIPT in that root,
#                           against its Citus (CITUS_SOURCE set there)
#   citus_cluster_start DIR PG_CONFIG NWORKERS [SETTING...]
#                           initdb and start a coordinator and NWORKERS
#                           workers under DIR (sockets in DIR, each node
#                           also on 127.0.0.1), database accmatch with
#                           citus and the workers added; sets CITUS_PORT
#                           (node -> port) and CITUS_NODES
#   citus_cluster_stop DIR  stop every node started under DIR
#   citus_psql NODE ARGS... psql -X -v ON_ERROR_STOP=1 on NODE's accmatch
#                           database (coordinator, worker1, worker2, ...)
#
# The root is a copy of the cached Debian 13 root (test/debroot.sh), which
# stays untouched, with postgresql-17, its headers, Citus's build
# dependencies and Citus (configure --without-libcurl: no anonymous
# statistics collection) installed; .citus-complete, written last, names
# the source it was built from.  Building takes about 8 minutes on 2 cores.

# The Debian release and PostgreSQL major Citus is built for in the root.
CITUS_RELEASE=trixie
CITUS_PG_MAJOR=17

# A pg_config given as CITUS_SOURCE: the file itself, or DIR/pg_config, or
# DIR/bin/pg_config; empty when there is none.
citus_pg_config_of() {
	local p
	for p in "$1" "$1/pg_config" "$1/bin/pg_config"; do
		if [ -f "$p" ] && [ -x "$p" ] && [ "${p##*/}" = pg_config ]; then
			echo "$p"
			return 0
		fi
	done
}

# The sha256 that DIR/README.md lists for FILE's name; empty when none.
citus_listed_sha256() {
	local dir=$1 name=$2
	[ -f "$dir/README.md" ] || return 0
	grep -F "\`$name\`" "$dir/README.md" | grep -oE '\b[0-9a-f]{64}\b' | head -n 1
}

citus_find() {
	local repo=$1 pgc vendor tarball want got
	CITUS_KIND='' CITUS_PATH=''
	if [ -n "${CITUS_SOURCE:-}" ]; then
		pgc=$(citus_pg_config_of "$CITUS_SOURCE")
		if [ -n "$pgc" ]; then
			if [ ! -f "$("$pgc" --pkglibdir)/citus.so" ]; then
				echo "citus: $pgc has no citus.so in $("$pgc" --pkglibdir)" >&2
				return 2
			fi
			CITUS_KIND=installed
			CITUS_PATH=$pgc
		elif [ -f "$CITUS_SOURCE" ]; then
			case $CITUS_SOURCE in
				*.tar.gz | *.tgz) ;;
				*)
					echo "citus: CITUS_SOURCE=$CITUS_SOURCE is not a .tar.gz archive" >&2
					return 2
					;;
			esac
			CITUS_KIND=tarball
			CITUS_PATH=$(realpath "$CITUS_SOURCE")
			citus_check_sha256 "$CITUS_PATH" optional || return 2
		elif [ -f "$CITUS_SOURCE/configure" ] && [ -d "$CITUS_SOURCE/src/backend/distributed" ]; then
			CITUS_KIND=tree
			CITUS_PATH=$(realpath "$CITUS_SOURCE")
		else
			echo "citus: CITUS_SOURCE=$CITUS_SOURCE is neither a Citus source tree," \
				"a .tar.gz of one, nor a pg_config (or its directory) whose" \
				"server has citus.so" >&2
			return 2
		fi
		return 0
	fi
	vendor=$(realpath -m "$repo/../shared/vendor")
	tarball=''
	for f in "$vendor"/citus-*.tar.gz; do
		[ -f "$f" ] && tarball=$f
	done
	[ -n "$tarball" ] || return 1
	citus_check_sha256 "$tarball" required || return 2
	CITUS_KIND=tarball
	CITUS_PATH=$tarball
}

# Check ARCHIVE against the sha256 the README.md beside it lists for its
# name; with "optional", an archive that no README lists passes.
citus_check_sha256() {
	local tarball=$1 need=$2 dir want got
	dir=$(dirname "$tarball")
	want=$(citus_listed_sha256 "$dir" "${tarball##*/}")
	if [ -z "$want" ]; then
		[ "$need" = optional ] && return 0
		echo "citus: $dir/README.md lists no sha256 for ${tarball##*/}" >&2
		return 1
	fi
	got=$(sha256sum "$tarball" | cut -d' ' -f1)
	if [ "$want" != "$got" ]; then
		echo "citus: ${tarball##*/} has sha256 $got, $dir/README.md lists $want" >&2
		return 1
	fi
}

# What identifies the source: the archive's sha256, or for a tree the
# sha256 of its files (without .git), so that a changed tree is rebuilt.
citus_source_key() {
	case $CITUS_KIND in
		tarball) echo "tarball $(sha256sum "$CITUS_PATH" | cut -d' ' -f1)" ;;
		tree)
			echo "tree $(tar -C "$CITUS_PATH" --exclude=.git --sort=name --mtime=@0 \
				--owner=0 --group=0 --numeric-owner -cf - . | sha256sum | cut -d' ' -f1)"
			;;
	esac
}

# Build Citus into the root (see the header); prints the root's path.
citus_root_prepare() {
	local base root key
	base=$(realpath -m "$(debroot_path "$CITUS_RELEASE")")
	root=$(realpath -m "$(debroot_path "$CITUS_RELEASE-citus")")
	key=$(citus_source_key)
	mkdir -p "$(dirname "$root")" || return 1
	(
		flock 9 || exit 1
		if [ -f "$root/.citus-complete" ] && [ "$(cat "$root/.citus-complete")" = "$key" ]; then
			exit 0
		fi
		echo "citus: building Citus ($key) into $root" >&2
		local new=$root.new t=$SECONDS
		debroot_prepare "$CITUS_RELEASE" || exit 1
		for r in "$root" "$new"; do
			if [ -e "$r" ]; then
				debroot_umount "$r"
				if [ -n "$(debroot_mounts_under "$r")" ]; then
					echo "citus: $r still has mounts; not removing it" >&2
					exit 1
				fi
				rm -rf --one-file-system "$r" "$r.users" || exit 1
			fi
		done
		# the base root may be in use: its mounts stay behind
		cp -ax "$base" "$new" || exit 1
		rm -f "$new/.debroot-complete"
		mkdir -p "$new/root/citus"
		if [ "$CITUS_KIND" = tarball ]; then
			tar -xzf "$CITUS_PATH" -C "$new/root/citus" --strip-components=1 || exit 1
		else
			tar -C "$CITUS_PATH" --exclude=.git -cf - . | tar -xf - -C "$new/root/citus" || exit 1
		fi
		debroot_mount "$new" || exit 1
		local rc=0
		# shellcheck disable=SC2016 # expanded by the shell in the root
		debroot_run "$new" bash -euo pipefail -c '
			major=$1
			apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends \
				"postgresql-$major" "postgresql-server-dev-$major" build-essential \
				libicu-dev liblz4-dev libzstd-dev libkrb5-dev libssl-dev \
				libselinux1-dev libxslt1-dev libpam0g-dev libreadline-dev zlib1g-dev
			cd /root/citus
			./configure --without-libcurl PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config"
			make -j2
			make install
		' citus-build "$CITUS_PG_MAJOR" >"$new.build.log" 2>&1 || rc=$?
		debroot_umount "$new"
		rm -rf "$new.users" "$new.lock"
		if [ $rc -ne 0 ]; then
			echo "citus: the build failed; the end of $new.build.log:" >&2
			tail -n 30 "$new.build.log" >&2
			exit 1
		fi
		rm -rf "$new/root/citus"
		echo "$key" >"$new/.citus-complete"
		mv "$new" "$root" || exit 1
		mv "$new.build.log" "$root.build.log"
		echo "citus: built in $((SECONDS - t)) s (log: $root.build.log)" >&2
	) 9>"$root.build-lock" || return 1
	echo "$root"
}

# Build Citus into its root (or reuse it), put a git clone of REPO's
# committed HEAD at /root/accmatch there, and run bash
# /root/accmatch/SCRIPT in the root with CITUS_SOURCE set to the root's
# pg_config and the given NAME=VALUE variables (nothing else of this
# environment); the root is unmounted afterwards.  Needs root.
citus_run_in_root() {
	local repo=$1 script=$2 commit root t=$SECONDS
	shift 2
	if [ "$(id -u)" -ne 0 ]; then
		echo "citus: building Citus from $CITUS_PATH needs root (debootstrap," \
			"chroot); or set CITUS_SOURCE to an installed Citus's pg_config" >&2
		return 2
	fi
	commit=$(git -C "$repo" rev-parse HEAD) || return 1
	if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
		echo "citus: uncommitted changes are not tested; testing $commit" >&2
	fi
	root=$(citus_root_prepare) || return 1
	echo "citus: Citus ($CITUS_KIND $CITUS_PATH) ready in $root in $((SECONDS - t)) s"
	(
		trap 'debroot_umount "$root"' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		debroot_mount "$root" || exit 1
		rm -rf --one-file-system "$root/root/accmatch" || exit 1
		git clone -q --no-hardlinks "$repo" "$root/root/accmatch" || exit 1
		git -C "$root/root/accmatch" checkout -q --detach "$commit" || exit 1
		debroot_run "$root" env "$@" \
			CITUS_SOURCE="/usr/lib/postgresql/$CITUS_PG_MAJOR/bin/pg_config" \
			bash "/root/accmatch/$script"
	)
}

# initdb refuses to run as root: then the servers run as postgres.
citus_as_server() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# A port nothing listens on at 127.0.0.1 (bounded tries).
citus_free_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "citus: no free port found" >&2
	return 1
}

# Start a cluster under DIR (see the header).  Each node: its own data
# directory DIR/NODE, trust authentication on its socket in DIR and on
# 127.0.0.1, citus preloaded; the coordinator addresses the workers by the
# socket directory, as a host name.
citus_cluster_start() {
	local dir=$1 pgc=$2 nworkers=$3 bindir n p i
	shift 3
	bindir=$("$pgc" --bindir)
	CITUS_DIR=$dir
	CITUS_BINDIR=$bindir
	CITUS_NODES=(coordinator)
	for ((i = 1; i <= nworkers; i++)); do
		CITUS_NODES+=("worker$i")
	done
	declare -gA CITUS_PORT=()
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
	fi
	for n in "${CITUS_NODES[@]}"; do
		p=$(citus_free_port) || return 1
		CITUS_PORT[$n]=$p
		citus_as_server "$bindir/initdb" -D "$dir/$n" -U postgres --auth=trust \
			-E UTF8 --locale=C --no-sync --no-instructions >"$dir/$n.initdb.log" || return 1
		{
			echo "shared_preload_libraries = 'citus'"
			echo "listen_addresses = '127.0.0.1'"
			echo "port = $p"
			echo "unix_socket_directories = '$dir'"
			echo "fsync = off"
			echo "synchronous_commit = off"
			echo "full_page_writes = off"
			echo "max_connections = 100"
			echo "max_prepared_transactions = 100"
			echo "TimeZone = 'UTC'"
			for s in "$@"; do
				echo "$s"
			done
		} >>"$dir/$n/postgresql.conf"
		if ! citus_as_server "$bindir/pg_ctl" -D "$dir/$n" -l "$dir/$n.log" -w \
			-t 60 start >/dev/null; then
			echo "citus: $n did not start:" >&2
			tail -n 20 "$dir/$n.log" >&2
			return 1
		fi
		"$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$p" -U postgres \
			-d postgres -c "CREATE DATABASE accmatch" || return 1
		citus_psql "$n" -c "CREATE EXTENSION citus" || return 1
	done
	citus_psql coordinator -c \
		"SELECT citus_set_coordinator_host('$dir', ${CITUS_PORT[coordinator]})" >/dev/null || return 1
}

# Add worker NODE of the started cluster to it.
citus_add_worker() {
	citus_psql coordinator -c \
		"SELECT citus_add_node('$CITUS_DIR', ${CITUS_PORT[$1]})" >/dev/null
}

citus_cluster_stop() {
	local dir=$1 d
	for d in "$dir"/*/; do
		if [ -f "$d/postmaster.pid" ]; then
			citus_as_server "$CITUS_BINDIR/pg_ctl" -D "$d" -m immediate -w \
				stop >/dev/null 2>&1 || true
		fi
	done
}

citus_psql() {
	local n=$1
	shift
	"$CITUS_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h "$CITUS_DIR" \
		-p "${CITUS_PORT[$n]}" -U postgres -d accmatch "$@"
}
