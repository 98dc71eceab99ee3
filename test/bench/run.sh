#!/usr/bin/env bash
# run.sh: benchmark accmatch against what one would otherwise write, side by
# side in one run, on a throwaway PostgreSQL cluster.
#
#   test/bench/run.sh [--sizes 10k,100k,1M] [--reps N] [--only matching|summary]
#                     [--seed N]
#   test/bench/run.sh --smoke
#
# For each size (rows per table: 10k, 100k, 1M, 10M or any number with an
# optional k or M) it generates deterministic data (sql/gen_*.sql), checks
# that the contenders agree (sql/check_*.sql), runs every contender --reps
# times in turn (A B C A B C ...), each run on a fresh connection, and
# finally prints a table of medians, ratios to the floor (and for matching
# to the bare read) and backend peak memory, and the targets with PASS or MISS (sql/report.sql).
#
# Matching: the floor (read + sort both tables), the bare read of both
# tables (every column deformed, nothing else: the lower limit), the
# PL/pgSQL loop (sizes up to 100k only), match_payments() sequential, month_first, and per account;
# allocation on the same tables: the PL/pgSQL allocation loop (up to 100k,
# each run stopped after 120 s: its time is then a lower bound) and
# allocate_payments() with both strategies.  At the first size of 1M or
# more, statement_timeout must cancel match_payments() and
# allocate_payments().  Summaries (sizes up to 1M; size n gives 2n actions over
# n/5 accounts and n/10 documents): count/max floor, plain SQL,
# action_summary() serial and parallel, jsonb_array_elements SQL and
# account_actions().  Types (same sizes): one summary over n distinct types
# in descending and in ascending order, against plain SQL GROUP BY type.
#
# --smoke: 10k, one repetition, for CI: still checks that the contenders
# agree.  The exit status is non-zero when a check or a query fails, never
# because a target is missed.
#
# Needs accmatch installed (test/build.sh) and pg_virtualenv; the server is
# that of the PostgreSQL major of test/pgversion.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=test/pgversion.sh
. "$here/../pgversion.sh"
sql=$here/sql

usage() {
	sed -n '4,8p' "$0" | sed 's/^# \{0,1\}//'
}

sizes=10k,100k,1M
reps=3
only=all
seed=20240601
smoke=0
while [ $# -gt 0 ]; do
	case $1 in
		--sizes) sizes=${2:?}; shift 2 ;;
		--sizes=*) sizes=${1#*=}; shift ;;
		--reps) reps=${2:?}; shift 2 ;;
		--reps=*) reps=${1#*=}; shift ;;
		--only) only=${2:?}; shift 2 ;;
		--only=*) only=${1#*=}; shift ;;
		--seed) seed=${2:?}; shift 2 ;;
		--seed=*) seed=${1#*=}; shift ;;
		--smoke) smoke=1; shift ;;
		-h|--help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
	esac
done
if [ "$smoke" = 1 ]; then
	sizes=10k
	reps=1
fi

[[ $reps =~ ^[1-9][0-9]?$ ]] || { echo "run.sh: --reps must be 1 to 99" >&2; exit 2; }
[[ $seed =~ ^[0-9]{1,9}$ ]] || { echo "run.sh: --seed must be a number" >&2; exit 2; }
case $only in all|matching|summary) ;; *) echo "run.sh: --only matching or summary" >&2; exit 2 ;; esac

# size label -> rows; the labels are also used in table names
size_rows() {
	local s=$1
	case $s in
		*k|*K) echo $(( ${s%?} * 1000 )) ;;
		*m|*M) echo $(( ${s%?} * 1000000 )) ;;
		*) echo "$s" ;;
	esac
}
IFS=, read -r -a size_list <<<"$sizes"
for s in "${size_list[@]}"; do
	[[ $s =~ ^[1-9][0-9]{0,8}[kKmM]?$ ]] || { echo "run.sh: bad size '$s'" >&2; exit 2; }
	n=$(size_rows "$s")
	[ "$n" -ge 100 ] && [ "$n" -le 100000000 ] || { echo "run.sh: size '$s' out of range" >&2; exit 2; }
done

# Server settings of the throwaway cluster.  shared_buffers stays small:
# tables larger than a quarter of it are scanned through a small ring of
# buffers, and each measured backend first reads a table twice its size
# into it, so that its VmHWM then grows by its own memory only (see
# sql/measure_begin.sql).  work_mem is
# the same for every contender (the floor's sorts and match_payments()'s
# result store both obey it).  jit is off to keep timings steady.
settings=(
	shared_buffers=128MB
	work_mem=256MB
	maintenance_work_mem=1GB
	max_parallel_workers_per_gather=2
	jit=off
	fsync=off
	synchronous_commit=off
	full_page_writes=off
	max_wal_size=8GB
	checkpoint_timeout=30min
	autovacuum=off
	TimeZone=UTC
)

if [ -z "${ACCMATCH_BENCH_CLUSTER:-}" ]; then
	if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/accmatch.control" ]; then
		echo "run.sh: accmatch is not installed; run test/build.sh first" >&2
		exit 1
	fi
	opts=()
	for s in "${settings[@]}"; do
		opts+=(-o "$s")
	done
	smoke_opt=()
	[ "$smoke" = 1 ] && smoke_opt=(--smoke)
	# -t: the cluster lives in a temporary directory, even for root
	ACCMATCH_BENCH_CLUSTER=1 exec pg_virtualenv -t -v "$PG_MAJOR" "${opts[@]}" \
		bash "$0" --sizes "$sizes" --reps "$reps" --only "$only" --seed "$seed" \
		"${smoke_opt[@]}"
fi

# ---- inside the throwaway cluster ----

export PGOPTIONS="-c client_min_messages=warning"
q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

echo "accmatch benchmark: sizes $sizes, $reps repetition(s), seed $seed$( [ "$smoke" = 1 ] && echo ', smoke run' )"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
q -c "SELECT 'server: ' || version()"
echo "settings: ${settings[*]}"
echo "(matching and serial contenders run with max_parallel_workers_per_gather = 0)"

q -f "$sql/setup.sql"

# measure SECTION CONTENDER ORD IS_FLOOR SIZE N NROWS REP EXPECTED FILE [psql args]
measure() {
	local section=$1 contender=$2 ord=$3 is_floor=$4 size=$5 n=$6 nrows=$7
	local rep=$8 expected=$9 file=${10}
	shift 10
	local out secs kb result shkb
	out=$(q "$@" -f "$sql/$file.sql" | grep '^measured|') || {
		echo "run.sh: $contender at $size failed" >&2
		exit 1
	}
	IFS='|' read -r _ secs kb result shkb <<<"$out"
	printf '  %-40s %6s rep %d: %8.3f s  %8.1f MB%s\n' "$contender" "$size" "$rep" \
		"$secs" "$(awk -v kb="$kb" 'BEGIN { print kb / 1024 }')" \
		"$( [ "$result" = stopped ] && echo '  (stopped at its time limit)' )"
	q -v section="$section" -v contender="$contender" -v ord="$ord" \
		-v is_floor="$is_floor" -v size="$size" -v n="$n" -v nrows="$nrows" \
		-v rep="$rep" -v secs="$secs" -v kb="$kb" -v shkb="$shkb" \
		-v expected="$expected" -v result="$result" <<-'EOF'
		INSERT INTO bench.result
		VALUES (:'section', :'contender', :'ord', :'is_floor', :'size', :'n',
				:'nrows', :'rep', :'secs', :'kb', :'shkb', :'expected',
				nullif(:'result', 'stopped')::bigint);
	EOF
}

# elapsed seconds since $1 (from date +%s.%N)
since() {
	awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'
}

cancel_done=0
for size in "${size_list[@]}"; do
	n=$(size_rows "$size")
	sfx=$(echo "$size" | tr 'A-Z' 'a-z')

	if [ "$only" != summary ]; then
		acc=bench.accrual_$sfx
		pay=bench.payment_$sfx
		tv=(-v acc="$acc" -v pay="$pay")
		t0=$(date +%s.%N)
		q "${tv[@]}" -v n="$n" -v seed="$seed" -f "$sql/gen_match.sql"
		echo "matching, $size: generated $n accruals and $n payments in $(since "$t0") s"

		# name|file|expected result; the loops only where they end in minutes
		contenders=("floor: read + sort|m_floor|$((2 * n))"
					"bare read of both tables|m_bare_read|$((2 * n))")
		loop=off
		if [ "$n" -le 100000 ]; then
			loop=on
			contenders+=("PL/pgSQL loop|m_loop|$n")
			t0=$(date +%s.%N)
			q "${tv[@]}" -f "$sql/check_match.sql"
			echo "matching, $size: checked in $(since "$t0") s"
		fi
		contenders+=("match_payments sequential|m_sequential|$n"
					 "match_payments month_first|m_month_first|$n"
					 "match_payments partition_by account_id|m_partitioned|$n"
					 "match_payments partition_by, read ordered by key|m_partitioned_ordered|$n"
					 "match_payments sequential, work_mem 16MB|m_sequential_16mb|$n"
					 "match_payments partition_by, work_mem 16MB|m_partitioned_16mb|$n"
					 "match_payments partition_by, a text month per row, work_mem 16MB|m_partitioned_text_months|$n")

		# allocation: its row counts come from the check, which compares
		# it with the PL/pgSQL allocation loop only up to 10k: at 100k the
		# loop runs for about half an hour, and the timed runs stop it
		# after two minutes (sql/a_loop.sql)
		check_loop=off
		[ "$n" -le 10000 ] && check_loop=on
		t0=$(date +%s.%N)
		out=$(q "${tv[@]}" -v loop="$check_loop" -f "$sql/check_allocate.sql")
		grep -v '^rows|' <<<"$out" || true
		IFS='|' read -r _ arows amfrows <<<"$(grep '^rows|' <<<"$out")"
		echo "allocation, $size: checked in $(since "$t0") s"
		if [ "$loop" = on ]; then
			contenders+=("PL/pgSQL allocation loop|a_loop|$arows")
		fi
		contenders+=("allocate_payments sequential|a_sequential|$arows"
					 "allocate_payments month_first|a_month_first|$amfrows"
					 "allocate_payments sequential, work_mem 16MB|a_sequential_16mb|$arows")

		for rep in $(seq 1 "$reps"); do
			ord=0
			for c in "${contenders[@]}"; do
				IFS='|' read -r name file expected <<<"$c"
				ord=$((ord + 1))
				is_floor=false
				[ "$ord" = 1 ] && is_floor=true
				measure matching "$name" "$ord" "$is_floor" "$size" "$n" \
					$((2 * n)) "$rep" "$expected" "$file" "${tv[@]}"
			done
		done

		if [ "$cancel_done" = 0 ] && [ "$n" -ge 1000000 ]; then
			for fn in match_payments allocate_payments; do
				t0=$(date +%s.%N)
				out=$(psql -X -q -At "${tv[@]}" -v fn="$fn" -f "$sql/cancel.sql" 2>/dev/null | grep '^cancel|') || true
				wall=$(since "$t0")
				IFS='|' read -r _ state secs alive <<<"$out"
				echo "cancel $fn, $size: SQLSTATE ${state:-?} after ${secs:-?} s (psql wall ${wall} s), SELECT 1 afterwards: ${alive:-no answer}"
				q -v size="$size" -v n="$n" -v state="${state:-none}" -v secs="${secs:-Infinity}" \
					-v wall="$wall" -v alive="$( [ "${alive:-}" = 1 ] && echo true || echo false )" \
					-v fn="$fn" <<-'EOF'
					INSERT INTO bench.cancel
					VALUES (:'size', :'n', :'state', :'secs', :'wall', :'alive', :'fn');
				EOF
			done
			cancel_done=1
		fi
		q -c "DROP TABLE $acc, $pay"
	fi

	if [ "$only" != matching ] && [ "$n" -le 1000000 ]; then
		sv=(-v account="bench.account_$sfx" -v session="bench.session_$sfx"
			-v action="bench.action_$sfx" -v doc="bench.account_doc_$sfx"
			-v sum_view="bench.summary_sql_$sfx" -v doc_view="bench.documents_sql_$sfx"
			-v n="$n")
		t0=$(date +%s.%N)
		q "${sv[@]}" -v seed="$seed" -f "$sql/gen_summary.sql"
		q "${sv[@]}" -f "$sql/views_summary.sql"
		read -r nact ngroups ndocs <<<"$(q -F ' ' "${sv[@]}" <<-'EOF'
			SELECT (SELECT count(*) FROM :action),
				(SELECT count(DISTINCT c.number)
				 FROM :action a JOIN :session s ON s.id = a.session_id
				 JOIN :account c ON c.id = s.account_id),
				(SELECT count(*) FROM :doc);
		EOF
		)"
		echo "summary, $size: generated $nact actions, $ngroups accounts with actions, $ndocs documents in $(since "$t0") s"
		t0=$(date +%s.%N)
		q "${sv[@]}" -f "$sql/check_summary.sql"
		echo "summary, $size: checked in $(since "$t0") s"

		contenders=("summary|floor: count, max|s_floor|$ngroups|$nact"
					"summary|plain SQL|s_sql|$ngroups|$nact"
					"summary|action_summary serial|s_aggregate|$ngroups|$nact"
					"summary|action_summary parallel|s_aggregate_parallel|$ngroups|$nact"
					"documents|jsonb_array_elements SQL|d_sql|$ndocs|$ndocs"
					"documents|account_actions|d_function|$ndocs|$ndocs"
					"types|floor: GROUP BY type|t_group_by|$n|$n"
					"types|action_summary, types descending|t_desc|$((n + 4))|$n"
					"types|action_summary, types ascending|t_asc|$((n + 4))|$n")
		for rep in $(seq 1 "$reps"); do
			ord=0
			for c in "${contenders[@]}"; do
				IFS='|' read -r section name file expected nrows <<<"$c"
				ord=$((ord + 1))
				is_floor=false
				case $file in s_floor|d_sql|t_group_by) is_floor=true ;; esac
				measure "$section" "$name" "$ord" "$is_floor" "$size" "$n" \
					"$nrows" "$rep" "$expected" "$file" "${sv[@]}"
			done
		done
		q -c "DROP TABLE bench.account_$sfx, bench.session_$sfx, bench.action_$sfx, bench.account_doc_$sfx CASCADE"
	fi
done

psql -X -q -v ON_ERROR_STOP=1 -f "$sql/report.sql"
