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
# finally prints a table of medians, ratios (to the bare read and to the
# floor) and backend peak memory, the two sections side by side, and the
# targets with PASS or MISS and the measured ratio (sql/report.sql).
#
# Two sections run interleaved, in the same rounds:
#
#   defaults        every contender with PostgreSQL's defaults for all that
#                   plans or runs its query (work_mem 4MB,
#                   hash_mem_multiplier, jit, ...): what a user gets.  A
#                   contender's own settings are printed with its figures
#                   (one backend for the bare read, the floor and the serial
#                   summaries; the parallel summary's plan settings; the
#                   bounded per-account contender's partition_work_mem).
#   work_mem=256MB  the key matching, allocation and summary contenders
#                   again, with work_mem raised: what tuning gives.
#
# Matching (both sections unless said): the floor (read + sort both tables;
# below 10M), the bare read of both tables (every column deformed, nothing
# else: the lower limit), the PL/pgSQL loop (defaults, sizes up to 100k),
# match_payments() sequential, month_first, and per account (partition_by,
# n/10 accounts) with both strategies, per account bounded by
# accmatch.partition_work_mem = 64MB (defaults); allocation on the same
# tables: the PL/pgSQL allocation loop (defaults, up to 100k, each run
# stopped after 120 s: its time is then a lower bound), allocate_payments()
# with both strategies, whole and per account; defaults, up to 1M:
# match_payments_typed() on uuid and on text ids ("C" and a language
# collation), and allocation_corrections() against the ledger of one full
# run, whole table and per account, with 1% of payments changed and with
# nothing changed.  Contenders
# that need a function or setting the installed accmatch lacks are listed as
# not run.  At the first size of 1M or more, statement_timeout must cancel
# match_payments() and allocate_payments().  Summaries (sizes up to 1M;
# size n gives 2n actions over n/5 accounts and n/10 documents): count/max
# floor, plain SQL, action_summary() serial (these three in both sections)
# and parallel, jsonb_array_elements SQL and account_actions().  Types
# (same sizes): one summary over n distinct types in descending and in
# ascending order, against plain SQL GROUP BY type.
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
	if [ "$n" -lt 100 ] || [ "$n" -gt 100000000 ]; then
		echo "run.sh: size '$s' out of range" >&2
		exit 2
	fi
done

# Server settings of the throwaway cluster, each with the reason it is
# there.  None of them changes the plan or the memory of a measured query:
# those settings stay at PostgreSQL's defaults, and a contender that
# changes one says so (see "settings" in the contender lists below).
server_settings=(
	"shared_buffers=128MB|initdb's default, stated: the peak-memory method reads a table twice its size first (sql/measure_begin.sql)"
	"fsync=off|data generation only: measured queries only read (their temporary files are never fsynced)"
	"synchronous_commit=off|data generation only, as fsync"
	"full_page_writes=off|data generation only, as fsync"
	"max_wal_size=8GB|no checkpoint forced by data generation in the middle of a timed run"
	"checkpoint_timeout=30min|no timed checkpoint in the middle of a timed run"
	"autovacuum=off|no background vacuum or analyze during timed runs; each table is vacuumed and analyzed once, after it is generated"
	"TimeZone=UTC|the same data and summaries whatever the machine's zone; no effect on plans or memory"
)
# Sessions that generate data (never a measured query) sort the rows into
# their random storage order and vacuum with more memory.
gen_settings="work_mem=1GB maintenance_work_mem=1GB"
# The second section's setting, and the bound of the bounded per-account
# contender (accmatch.partition_work_mem, in accmatch 1.2): well below the
# 640 MB that the rows of 10M + 10M take in memory at 32 bytes a row.
raised=work_mem=256MB
bound=64MB
serial=max_parallel_workers_per_gather=0
# Not 0 for parallel_tuple_cost: with free tuple transfer, PostgreSQL 18
# gathers the joined rows and aggregates them in the leader alone (15 and
# 17 do not); a small cost keeps the partial aggregation in the workers on
# all three.  check_summary.sql proves the plan with the same settings.
parallel="max_parallel_workers_per_gather=2 parallel_setup_cost=0 parallel_tuple_cost=0.01 min_parallel_table_scan_size=0"

if [ -z "${ACCMATCH_BENCH_CLUSTER:-}" ]; then
	if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/accmatch.control" ]; then
		echo "run.sh: accmatch is not installed; run test/build.sh first" >&2
		exit 1
	fi
	opts=()
	for s in "${server_settings[@]}"; do
		opts+=(-o "${s%%|*}")
	done
	smoke_opt=()
	[ "$smoke" = 1 ] && smoke_opt=(--smoke)
	# -t: the cluster lives in a temporary directory, even for root
	ACCMATCH_BENCH_CLUSTER=1 exec pg_virtualenv -t -v "$PG_MAJOR" "${opts[@]}" \
		bash "$0" --sizes "$sizes" --reps "$reps" --only "$only" --seed "$seed" \
		"${smoke_opt[@]}"
fi

# ---- inside the throwaway cluster ----

base_options="-c client_min_messages=warning"
export PGOPTIONS=$base_options
q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}
# qs "SETTINGS" psql-args...: q in a session with these settings
# (space-separated name=value)
qs() {
	local settings=$1 s options=$base_options
	shift
	for s in $settings; do
		options+=" -c $s"
	done
	PGOPTIONS=$options q "$@"
}

echo "accmatch benchmark: sizes $sizes, $reps repetition(s), seed $seed$( [ "$smoke" = 1 ] && echo ', smoke run' )"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
q -c "SELECT 'server: ' || version()"
echo "server settings (none changes a measured query's plan or memory):"
for s in "${server_settings[@]}"; do
	printf '  %-24s %s\n' "${s%%|*}" "${s#*|}"
done
q -f "$sql/settings.sql"
echo "sections: defaults (the settings above; a contender's own settings are printed beside its figures)"
echo "          $raised (the key matching, allocation and summary contenders again)"
echo "data generation sessions (never measured): $gen_settings"

q -f "$sql/setup.sql"

# What the installed accmatch offers: contenders that need more are not
# run.  The library is loaded for its settings to show.
read -r has_pwm has_corr has_typed <<<"$(q -F ' ' <<-'EOF'
	LOAD 'accmatch';
	INSERT INTO bench.feature VALUES
		('accmatch.partition_work_mem',
		 EXISTS (SELECT FROM pg_settings WHERE name = 'accmatch.partition_work_mem')),
		('allocation_corrections',
		 EXISTS (SELECT FROM pg_proc WHERE proname = 'allocation_corrections')),
		('match_payments_typed',
		 EXISTS (SELECT FROM pg_proc WHERE proname = 'match_payments_typed'))
	ON CONFLICT (name) DO UPDATE SET present = excluded.present;
	SELECT string_agg(present::int::text, ' ' ORDER BY name) FROM bench.feature;
EOF
)"
# A language collation for text ids: libc's en_US, else ICU's root locale.
lang=$(q <<-'EOF'
	SELECT collname FROM pg_collation
	WHERE collname IN ('en_US', 'en_US.utf8', 'und-x-icu')
		AND collencoding IN (-1, (SELECT encoding FROM pg_database
								  WHERE datname = current_database()))
	ORDER BY array_position(ARRAY['en_US', 'en_US.utf8', 'und-x-icu']::name[], collname)
	LIMIT 1;
EOF
)
q -c "SELECT 'accmatch ' || extversion FROM pg_extension WHERE extname = 'accmatch'"
echo "  accmatch.partition_work_mem: $( [ "$has_pwm" = 1 ] && echo yes || echo no)," \
	"allocation_corrections(): $( [ "$has_corr" = 1 ] && echo yes || echo no)," \
	"match_payments_typed(): $( [ "$has_typed" = 1 ] && echo yes || echo no)"
echo "  language collation for text ids: ${lang:-none}"
lang_label='text, language collation'
if [ -n "$lang" ]; then
	lang_label="text, \"$lang\""
fi
needs12="needs accmatch 1.2"

# A contender: "section|group|name|file|expected rows|settings|psql vars"
# (settings and psql vars space-separated name=value).  The group is
# "defaults" or $raised; the settings are every one the contender's
# sessions change from the server's, its group's included.
contenders=()
add() {
	local section=$1 grp=$2 name=$3 file=$4 expected=$5 settings=${6:-} vars=${7:-}
	if [ "$grp" != defaults ]; then
		settings="$grp${settings:+ $settings}"
	fi
	contenders+=("$section|$grp|$name|$file|$expected|$settings|$vars")
}
# skip GROUP NAME REASON: a contender not run at this size
skip() {
	echo "  not run: $2 [$1], $size: $3"
	q -v grp="$1" -v contender="$2" -v size="$size" -v n="$n" -v reason="$3" <<-'EOF'
		INSERT INTO bench.skipped VALUES (:'grp', :'contender', :'size', :'n', :'reason');
	EOF
}

# measure ORD IS_FLOOR SIZE N NROWS REP CONTENDER [psql args]
measure() {
	local ord=$1 is_floor=$2 size=$3 n=$4 nrows=$5 rep=$6 c=$7
	shift 7
	local section grp name file expected settings vars v out secs kb result shkb cpu
	local vargs=()
	IFS='|' read -r section grp name file expected settings vars <<<"$c"
	for v in $vars; do
		vargs+=(-v "$v")
	done
	out=$(qs "$settings" "$@" "${vargs[@]}" -f "$sql/$file.sql" | grep '^measured|') || {
		echo "run.sh: $name [${settings:-defaults}] at $size failed" >&2
		exit 1
	}
	IFS='|' read -r _ secs kb result shkb cpu <<<"$out"
	printf '  %-52s %6s rep %d: %8.3f s (CPU %6.2f s) %8.1f MB  [%s]%s\n' "$name" "$size" "$rep" \
		"$secs" "$(awk -v ms="$cpu" 'BEGIN { print ms / 1000 }')" \
		"$(awk -v kb="$kb" 'BEGIN { print kb / 1024 }')" "${settings:-defaults}" \
		"$( [ "$result" = stopped ] && echo '  (stopped at its time limit)' )"
	q -v grp="$grp" -v settings="${settings:-defaults}" -v section="$section" \
		-v contender="$name" -v ord="$ord" \
		-v is_floor="$is_floor" -v size="$size" -v n="$n" -v nrows="$nrows" \
		-v rep="$rep" -v secs="$secs" -v kb="$kb" -v shkb="$shkb" \
		-v expected="$expected" -v result="$result" -v cpu="$cpu" <<-'EOF'
		INSERT INTO bench.result
		VALUES (:'grp', :'settings', :'section', :'contender', :'ord', :'is_floor',
				:'size', :'n', :'nrows', :'rep', :'secs', :'kb', :'shkb',
				:'expected', nullif(:'result', 'stopped')::bigint, :'cpu');
	EOF
}

# run_rounds NROWS psql-args...: every contender of $contenders, --reps
# rounds of them in turn.  The floors are m_floor, s_floor, d_sql and
# t_group_by.  A contender's input rows are NROWS unless its entry names
# its own (nrows=N among its psql vars).
run_rounds() {
	local nrows=$1 rep ord c section grp name file is_floor rows
	shift
	for rep in $(seq 1 "$reps"); do
		ord=0
		for c in "${contenders[@]}"; do
			IFS='|' read -r section grp name file _ <<<"$c"
			ord=$((ord + 1))
			is_floor=false
			case $file in m_floor|s_floor|d_sql|t_group_by) is_floor=true ;; esac
			rows=$nrows
			if [[ $c =~ (^|[|\ ])nrows=([0-9]+) ]]; then
				rows=${BASH_REMATCH[2]}
			fi
			measure "$ord" "$is_floor" "$size" "$n" "$rows" "$rep" "$c" "$@"
		done
	done
}

# elapsed seconds since $1 (from date +%s.%N)
since() {
	awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'
}

cancel_done=0
for size in "${size_list[@]}"; do
	n=$(size_rows "$size")
	sfx=${size,,}

	if [ "$only" != summary ]; then
		acc=bench.accrual_$sfx
		pay=bench.payment_$sfx
		tv=(-v acc="$acc" -v pay="$pay")
		t0=$(date +%s.%N)
		qs "$gen_settings" "${tv[@]}" -v n="$n" -v seed="$seed" -f "$sql/gen_match.sql"
		echo "matching, $size: generated $n accruals and $n payments in $(since "$t0") s"

		# the loops only where they end in minutes
		loop=off
		if [ "$n" -le 100000 ]; then
			loop=on
			t0=$(date +%s.%N)
			q "${tv[@]}" -f "$sql/check_match.sql"
			echo "matching, $size: checked in $(since "$t0") s"
		fi

		# allocation: its row counts come from the check, which compares
		# it with the PL/pgSQL allocation loop only up to 10k: at 100k the
		# loop runs for about half an hour, and the timed runs stop it
		# after two minutes (sql/a_loop.sql)
		check_loop=off
		if [ "$n" -le 10000 ]; then
			check_loop=on
		fi
		t0=$(date +%s.%N)
		out=$(q "${tv[@]}" -v loop="$check_loop" -f "$sql/check_allocate.sql")
		grep -v '^rows|' <<<"$out" || true
		IFS='|' read -r _ arows amfrows aprows apmfrows <<<"$(grep '^rows|' <<<"$out")"
		echo "allocation, $size: checked in $(since "$t0") s"

		if [ "$has_pwm" = 1 ] && [ "$n" -le 1000000 ]; then
			t0=$(date +%s.%N)
			q "${tv[@]}" -f "$sql/check_bounded.sql"
			echo "partition_work_mem, $size: checked in $(since "$t0") s"
		fi

		# up to 1M: other types of id, and corrections against a ledger
		typed=()
		if [ "$has_typed" = 1 ] && [ "$n" -le 1000000 ]; then
			t0=$(date +%s.%N)
			typed=("uuid|uuid|bench.accrual_uuid_$sfx|bench.payment_uuid_$sfx"
				   "text|text, \"C\"|bench.accrual_text_$sfx|bench.payment_text_$sfx")
			if [ -n "$lang" ]; then
				typed+=("text|$lang_label|bench.accrual_lang_$sfx|bench.payment_lang_$sfx")
			fi
			qs "$gen_settings" "${tv[@]}" -v seed="$seed" -v lang="$lang" \
				-v acc_uuid="bench.accrual_uuid_$sfx" -v pay_uuid="bench.payment_uuid_$sfx" \
				-v acc_text="bench.accrual_text_$sfx" -v pay_text="bench.payment_text_$sfx" \
				-v acc_lang="bench.accrual_lang_$sfx" -v pay_lang="bench.payment_lang_$sfx" \
				-f "$sql/gen_typed.sql"
			for t in "${typed[@]}"; do
				IFS='|' read -r idtype _ tacc tpay <<<"$t"
				q -v idtype="$idtype" -v tacc="$tacc" -v tpay="$tpay" -f "$sql/check_typed.sql"
			done
			echo "typed ids, $size: generated and checked in $(since "$t0") s"
		fi
		corr=off
		if [ "$has_corr" = 1 ] && [ "$n" -le 1000000 ]; then
			corr=on
			ledger=bench.ledger_$sfx
			pledger=bench.ledger_partitioned_$sfx
			cpay=bench.payment_changed_$sfx
			t0=$(date +%s.%N)
			qs "$gen_settings" "${tv[@]}" -v cpay="$cpay" -v ledger="$ledger" \
				-v pledger="$pledger" -v n="$n" -v seed="$seed" -f "$sql/gen_ledger.sql"
			out=$(q "${tv[@]}" -v cpay="$cpay" -v ledger="$ledger" -v part= \
				-f "$sql/check_corrections.sql")
			grep -v '^rows|' <<<"$out" || true
			IFS='|' read -r _ crows cnrows <<<"$(grep '^rows|' <<<"$out")"
			out=$(q "${tv[@]}" -v cpay="$cpay" -v ledger="$pledger" -v part=account_id \
				-f "$sql/check_corrections.sql")
			grep -v '^rows|' <<<"$out" || true
			IFS='|' read -r _ pcrows pcnrows <<<"$(grep '^rows|' <<<"$out")"
			ncpay=$(q -c "SELECT count(*) FROM $cpay")
			echo "corrections, $size: generated and checked in $(since "$t0") s"
		fi

		# The contenders, each key one in both sections side by side.
		contenders=()
		if [ "$n" -lt 10000000 ]; then
			for g in defaults "$raised"; do
				add matching "$g" "floor: read + sort" m_floor $((2 * n)) "$serial"
			done
		fi
		for g in defaults "$raised"; do
			add matching "$g" "bare read of both tables" m_bare_read $((2 * n)) "$serial"
		done
		if [ "$loop" = on ]; then
			add matching defaults "PL/pgSQL loop" m_loop "$n"
		fi
		for m in "sequential|m_sequential" "month_first|m_month_first" \
				 "partition_by sequential|m_partitioned" \
				 "partition_by month_first|m_partitioned_month_first"; do
			for g in defaults "$raised"; do
				add matching "$g" "match_payments ${m%|*}" "${m#*|}" "$n"
			done
		done
		if [ "$has_pwm" = 1 ]; then
			add matching defaults "match_payments partition_by sequential, bounded" \
				m_partitioned "$n" "accmatch.partition_work_mem=$bound"
		else
			skip defaults "match_payments partition_by sequential, bounded" \
				"$needs12 (accmatch.partition_work_mem)"
		fi
		if [ "$n" -le 1000000 ]; then
			if [ "$has_typed" = 1 ]; then
				for t in "${typed[@]}"; do
					IFS='|' read -r idtype label tacc tpay <<<"$t"
					add matching defaults "match_payments_typed, $label ids" m_typed "$n" "" \
						"idtype=$idtype tacc=$tacc tpay=$tpay"
				done
				if [ -z "$lang" ]; then
					skip defaults "match_payments_typed, $lang_label ids" \
						"no language collation (en_US or und-x-icu) in this cluster"
				fi
			else
				for label in uuid 'text, "C"' "$lang_label"; do
					skip defaults "match_payments_typed, $label ids" "$needs12 (match_payments_typed)"
				done
			fi
		fi
		if [ "$loop" = on ]; then
			add matching defaults "PL/pgSQL allocation loop" a_loop "$arows"
		fi
		for a in "sequential|a_sequential|$arows" "month_first|a_month_first|$amfrows" \
				 "partition_by sequential|a_partitioned|$aprows" \
				 "partition_by month_first|a_partitioned_month_first|$apmfrows"; do
			IFS='|' read -r label file rows <<<"$a"
			for g in defaults "$raised"; do
				add matching "$g" "allocate_payments $label" "$file" "$rows"
			done
		done
		if [ "$n" -le 1000000 ]; then
			if [ "$corr" = on ]; then
				add matching defaults "allocation_corrections, 1% of payments changed" \
					a_corrections "$crows" "" "ledger=$ledger cpay=$cpay part= nrows=$((n + ncpay))"
				add matching defaults "allocation_corrections, nothing changed" \
					a_corrections "$cnrows" "" "ledger=$ledger cpay=$pay part="
				add matching defaults "allocation_corrections partition_by, 1% of payments changed" \
					a_corrections "$pcrows" "" \
					"ledger=$pledger cpay=$cpay part=account_id nrows=$((n + ncpay))"
				add matching defaults "allocation_corrections partition_by, nothing changed" \
					a_corrections "$pcnrows" "" "ledger=$pledger cpay=$pay part=account_id"
			else
				for c in "" " partition_by"; do
					skip defaults "allocation_corrections$c, 1% of payments changed" \
						"$needs12 (allocation_corrections)"
					skip defaults "allocation_corrections$c, nothing changed" \
						"$needs12 (allocation_corrections)"
				done
			fi
		fi

		run_rounds $((2 * n)) "${tv[@]}"

		if [ "$cancel_done" = 0 ] && [ "$n" -ge 1000000 ]; then
			for fn in match_payments allocate_payments; do
				t0=$(date +%s.%N)
				out=$(psql -X -q -At "${tv[@]}" -v fn="$fn" -f "$sql/cancel.sql" 2>/dev/null | grep '^cancel|') || true
				wall=$(since "$t0")
				IFS='|' read -r _ state secs alive <<<"$out"
				echo "cancel $fn, $size: SQLSTATE ${state:-?} after ${secs:-?} s (psql wall ${wall} s), SELECT 1 afterwards: ${alive:-no answer} [defaults]"
				q -v size="$size" -v n="$n" -v state="${state:-none}" -v secs="${secs:-Infinity}" \
					-v wall="$wall" -v alive="$( [ "${alive:-}" = 1 ] && echo true || echo false )" \
					-v fn="$fn" <<-'EOF'
					INSERT INTO bench.cancel
					VALUES (:'size', :'n', :'state', :'secs', :'wall', :'alive', :'fn');
				EOF
			done
			cancel_done=1
		fi
		q -c "DROP TABLE IF EXISTS $acc, $pay, bench.ledger_$sfx, bench.payment_changed_$sfx,
			bench.accrual_uuid_$sfx, bench.payment_uuid_$sfx, bench.accrual_text_$sfx,
			bench.payment_text_$sfx, bench.accrual_lang_$sfx, bench.payment_lang_$sfx"
	fi

	if [ "$only" != matching ] && [ "$n" -le 1000000 ]; then
		sv=(-v account="bench.account_$sfx" -v session="bench.session_$sfx"
			-v action="bench.action_$sfx" -v doc="bench.account_doc_$sfx"
			-v sum_view="bench.summary_sql_$sfx" -v doc_view="bench.documents_sql_$sfx"
			-v n="$n")
		t0=$(date +%s.%N)
		qs "$gen_settings" "${sv[@]}" -v seed="$seed" -f "$sql/gen_summary.sql"
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

		# PostgreSQL groups the summaries' rows: work_mem decides how, so
		# the serial ones run in both sections
		contenders=()
		for g in defaults "$raised"; do
			add summary "$g" "floor: count, max" s_floor "$ngroups" "$serial" "nrows=$nact"
			add summary "$g" "plain SQL" s_sql "$ngroups" "$serial" "nrows=$nact"
			add summary "$g" "action_summary serial" s_aggregate "$ngroups" "$serial" "nrows=$nact"
		done
		add summary defaults "action_summary parallel" s_aggregate "$ngroups" "$parallel" "nrows=$nact"
		add documents defaults "jsonb_array_elements SQL" d_sql "$ndocs" "$serial" "nrows=$ndocs"
		add documents defaults "account_actions" d_function "$ndocs" "$serial" "nrows=$ndocs"
		add types defaults "floor: GROUP BY type" t_group_by "$n" "$serial" "nrows=$n"
		add types defaults "action_summary, types descending" t_desc $((n + 4)) "$serial" "nrows=$n"
		add types defaults "action_summary, types ascending" t_asc $((n + 4)) "$serial" "nrows=$n"
		run_rounds "$nact" "${sv[@]}"
		q -c "DROP TABLE bench.account_$sfx, bench.session_$sfx, bench.action_$sfx, bench.account_doc_$sfx CASCADE"
	fi
done

psql -X -q -v ON_ERROR_STOP=1 -v raised="$raised" -v bound="$bound" \
	-v lang_label="$lang_label" -f "$sql/report.sql"
