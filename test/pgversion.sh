# shellcheck shell=bash
# pgversion.sh: the PostgreSQL major that the scripts install, build and
# test against, in one place.  Sourced; sets and exports PG_MAJOR and
# PG_CONFIG, taken from the first of:
#
#   1. PG_CONFIG, when set: the major of that pg_config (read from its
#      path, /usr/lib/postgresql/MAJOR/bin/pg_config, while it is not
#      installed yet);
#   2. PG_MAJOR, when set (e.g. PG_MAJOR=16 bash test/check.sh);
#   3. the newest major whose server is installed
#      (/usr/lib/postgresql/MAJOR/bin/postgres);
#   4. the major of the "postgresql" package that this machine's apt
#      offers, i.e. the one its Debian release ships (Debian 12: 15,
#      Debian 13: 17).
#
# PG_CONFIG then defaults to /usr/lib/postgresql/$PG_MAJOR/bin/pg_config.
# The scripts use Debian's packages and pg_virtualenv, so PG_CONFIG must
# be that of a Debian-packaged server.

# The major of the Debian "postgresql" package apt would install (it
# depends on postgresql-MAJOR); empty when apt does not know it.
pgversion_apt_major() {
	apt-cache show --no-all-versions postgresql 2>/dev/null |
		sed -n 's/^Depends:.*\bpostgresql-\([0-9][0-9]*\)\b.*/\1/p' | head -n 1
}

pgversion_detect() {
	local m='' v d
	if [ -n "${PG_CONFIG:-}" ]; then
		if v=$("$PG_CONFIG" --version 2>/dev/null); then
			# "PostgreSQL 17.6 (Debian 17.6-1)", "PostgreSQL 18beta1"
			m=$(sed -n 's/^PostgreSQL \([0-9][0-9]*\).*/\1/p' <<<"$v")
		else
			m=$(sed -n 's|^/usr/lib/postgresql/\([0-9][0-9]*\)/bin/pg_config$|\1|p' <<<"$PG_CONFIG")
		fi
		if [ -z "$m" ]; then
			echo "pgversion: cannot tell the major of PG_CONFIG=$PG_CONFIG" >&2
			return 1
		fi
		if [ -n "${PG_MAJOR:-}" ] && [ "$PG_MAJOR" != "$m" ]; then
			echo "pgversion: PG_CONFIG=$PG_CONFIG is $m, PG_MAJOR is $PG_MAJOR" >&2
			return 1
		fi
	elif [ -n "${PG_MAJOR:-}" ]; then
		m=$PG_MAJOR
	else
		for d in /usr/lib/postgresql/*/bin/postgres; do
			[ -x "$d" ] || continue
			d=${d#/usr/lib/postgresql/}
			d=${d%%/*}
			if [[ $d =~ ^[0-9]+$ ]] && { [ -z "$m" ] || [ "$d" -gt "$m" ]; }; then
				m=$d
			fi
		done
		if [ -z "$m" ]; then
			m=$(pgversion_apt_major)
		fi
		if [ -z "$m" ] && command -v apt-get >/dev/null; then
			# a fresh machine may have no package lists yet
			local sudo=()
			[ "$(id -u)" -eq 0 ] || sudo=(sudo)
			"${sudo[@]}" apt-get -qq update >&2 || true
			m=$(pgversion_apt_major)
		fi
		if [ -z "$m" ]; then
			echo "pgversion: no PostgreSQL server installed and apt offers none;" \
				"set PG_MAJOR or PG_CONFIG" >&2
			return 1
		fi
	fi
	if ! [[ $m =~ ^[0-9]+$ ]]; then
		echo "pgversion: PG_MAJOR must be a number, not '$m'" >&2
		return 1
	fi
	PG_MAJOR=$m
	PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/$m/bin/pg_config}
	export PG_MAJOR PG_CONFIG
}

pgversion_detect || exit 1
