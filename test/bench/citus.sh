#!/usr/bin/env bash
# citus.sh: matching and allocation on a Citus cluster against one node,
# on this machine: a coordinator and up to two workers, throwaway clusters.
#
#   bash test/bench/citus.sh          (SIZE=1M REPS=3 SEED=20240601)
#
# The data is the benchmark's (sql/gen_match.sql): SIZE accruals and SIZE
# payments over SIZE/10 accounts, made on the coordinator as plain tables
# (the single node) and copied into Citus tables distributed by account_id
# (32 shards).  Contenders, each run REPS times in turn on a fresh
# connection to the coordinator, the median reported:
#   one node:        match_payments() and allocate_payments() with
#                    partition_by => 'account_id' on the plain tables;
#   1 worker:        match_payments_distributed() and
#                    allocate_payments_distributed() with every shard on
#                    worker1, and match_payments()/allocate_payments()
#                    called on the coordinator over the distributed tables
#                    (Citus brings it every row); and the query
#                    match_payments_distributed() runs, with the rows
#                    counted on the workers instead of returned;
#   2 workers:       the same after worker2 is added and the shards
#                    rebalanced (rebalance_table_shards(), by size).
# Both strategies for the distributed functions, 'sequential' for the
# rest.  Memory is the coordinator backend's own: the growth of its peak
# resident memory (VmHWM) during the call, after it has touched every
# shared buffer (sql/measure_begin.sql).  Before the timed runs, the
# distributed functions' rows are checked against one node's.
#
# Citus comes as for test/citus.sh (CITUS_SOURCE, or ../shared/vendor;
# built into its Debian 13 root, needs root); without it, nothing runs.
# Server settings are those of test/bench/run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=test/debroot.sh
. "$repo/test/debroot.sh"
# shellcheck source=test/lib/citus.sh
. "$repo/test/lib/citus.sh"

SIZE=${SIZE:-1M}
REPS=${REPS:-3}
SEED=${SEED:-20240601}
case $SIZE in
	*k | *K) n=$((${SIZE%?} * 1000)) ;;
	*m | *M) n=$((${SIZE%?} * 1000000)) ;;
	*) n=$SIZE ;;
esac
if ! [[ $n =~ ^[0-9]+$ ]] || [ "$n" -lt 1000 ]; then
	echo "citus.sh: bad SIZE $SIZE" >&2
	exit 2
fi
[[ $REPS =~ ^[1-9]$ ]] || { echo "citus.sh: REPS must be 1 to 9" >&2; exit 2; }

rc=0
citus_find "$repo" || rc=$?
if [ $rc -eq 1 ]; then
	echo "citus.sh: no Citus here (set CITUS_SOURCE; none in ../shared/vendor)"
	exit 0
elif [ $rc -ne 0 ]; then
	exit 2
fi
if [ "$CITUS_KIND" != installed ]; then
	citus_run_in_root "$repo" test/bench/citus.sh SIZE="$SIZE" REPS="$REPS" SEED="$SEED"
	exit
fi

# ---- an installed Citus ----
pgc=$CITUS_PATH
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
make -s -C "$repo" PG_CONFIG="$pgc" PG_CFLAGS="-Wall -Wextra -Werror"
"${sudo[@]}" make -s -C "$repo" PG_CONFIG="$pgc" install >/dev/null
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
	PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/accmatch-bench-citus.XXXXXX")
chmod 755 "$tmp"
cleanup() {
	citus_cluster_stop "$tmp"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# test/bench/run.sh's settings; the matching contenders there run without
# parallel workers, and so do these
citus_cluster_start "$tmp" "$pgc" 2 "shared_buffers = 128MB" "work_mem = 256MB" \
	"maintenance_work_mem = 1GB" "max_parallel_workers_per_gather = 0" "jit = off" \
	"max_wal_size = 8GB" "checkpoint_timeout = 30min" "autovacuum = off"
citus_add_worker worker1
q() {
	citus_psql coordinator -At "$@"
}
export PGOPTIONS="-c client_min_messages=warning"

sql=$here/sql
echo "accmatch on Citus: $SIZE + $SIZE rows over $((n / 10)) accounts, $REPS repetition(s), seed $SEED"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr)"
q -c "SELECT 'server: ' || version()"
q -c "SELECT 'citus: ' || extversion FROM pg_extension WHERE extname = 'citus'"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"

t0=$SECONDS
q -f "$sql/setup.sql"
q -v acc=bench.accrual -v pay=bench.payment -v n="$n" -v seed="$SEED" -f "$sql/gen_match.sql"
q <<-'EOF'
	SET client_min_messages = warning;
	CREATE EXTENSION tsm_system_rows;
	CREATE TABLE accrual (LIKE bench.accrual);
	CREATE TABLE payment (LIKE bench.payment);
	SELECT create_distributed_table('payment', 'account_id') \g /dev/null
	SELECT create_distributed_table('accrual', 'account_id', colocate_with => 'payment') \g /dev/null
	INSERT INTO accrual SELECT * FROM bench.accrual;
	INSERT INTO payment SELECT * FROM bench.payment;
	VACUUM ANALYZE accrual;
	VACUUM ANALYZE payment;
	CREATE TABLE bench.citus_result (config text, contender text, ord int,
		rep int, secs float8, hwm_kb bigint, result bigint);
EOF
echo "generated and distributed in $((SECONDS - t0)) s"

# the distributed functions give one node's rows (counts and both
# differences, sorted by nothing: multisets)
for fn in match allocate; do
	for strategy in sequential month_first; do
		out=$(q -F' ' <<-EOF
			CREATE TEMP TABLE one AS
			SELECT * FROM ${fn}_payments('bench.payment', 'bench.accrual', '$strategy', 'account_id');
			CREATE TEMP TABLE dist AS
			SELECT * FROM ${fn}_payments_distributed('payment', 'accrual', '$strategy', 'account_id');
			SELECT (SELECT count(*) FROM one), (SELECT count(*) FROM dist),
				(SELECT count(*) FROM (TABLE one EXCEPT ALL TABLE dist) a)
				+ (SELECT count(*) FROM (TABLE dist EXCEPT ALL TABLE one) b);
		EOF
		)
		read -r n_one n_dist differ <<<"$out"
		if [ "$n_one" != "$n_dist" ] || [ "$differ" != 0 ]; then
			echo "citus.sh: ${fn}_payments_distributed $strategy differs from one node" \
				"($n_one rows, $n_dist distributed, $differ differ)" >&2
			exit 1
		fi
		echo "checked: ${fn}_payments_distributed $strategy = one node ($n_one rows)"
	done
done

# what crosses the network: the result rows in Citus's text format, each
# field with libpq's 4-byte length and each row with its 7-byte header
for fn in match allocate; do
	if [ "$fn" = match ]; then
		fields="m.payment_id, m.accrual_id, m.matched_by, m.partition_key"
		extra=''
	else
		fields="m.payment_id, m.accrual_id, m.amount, m.matched_by, m.partition_key"
		extra=", 'amount'"
	fi
	nfields=$(awk -F, '{ print NF }' <<<"$fields")
	out=$(q -F' ' -c "SELECT sum(length(concat($fields))) + count(*) * (7 + 4 * $nfields), count(*)
		FROM payment p TABLESAMPLE system_rows(1),
			LATERAL accmatch_shard_${fn}('payment', 'accrual', p.account_id, 'sequential',
				'account_id'$extra) m")
	read -r bytes rows <<<"$out"
	echo "network: ${fn}_payments_distributed sequential sends" \
		"$(awk -v b="$bytes" -v r="$rows" 'BEGIN { printf "%.1f MB, %.1f bytes a row", b / 1048576, b / r }')"
done

# measure CONFIG ORD CONTENDER REP QUERY: one run on a fresh connection
measure() {
	local config=$1 ord=$2 contender=$3 rep=$4 query=$5 out secs kb result
	out=$(q <<-EOF | grep '^measured|'
		\ir $sql/measure_begin.sql
		SELECT count(*) AS bench_out FROM ($query) x \gset
		\ir $sql/measure_end.sql
	EOF
	)
	IFS='|' read -r _ secs kb result _ <<<"$out"
	printf '  %-9s %-52s rep %d: %7.3f s %8.1f MB\n' "$config" "$contender" "$rep" "$secs" \
		"$(awk -v kb="$kb" 'BEGIN { print kb / 1024 }')"
	q -c "INSERT INTO bench.citus_result VALUES ('$config', '$contender', $ord, $rep,
		$secs, $kb, $result)"
}

run_config() {
	local config=$1 rep c ord name query
	shift
	for rep in $(seq 1 "$REPS"); do
		ord=0
		for c in "$@"; do
			IFS='|' read -r name query <<<"$c"
			ord=$((ord + 1))
			measure "$config" "$ord" "$name" "$rep" "$query"
		done
	done
}

one_node=(
	"match_payments sequential|SELECT * FROM match_payments('bench.payment', 'bench.accrual', 'sequential', 'account_id')"
	"match_payments month_first|SELECT * FROM match_payments('bench.payment', 'bench.accrual', 'month_first', 'account_id')"
	"allocate_payments sequential|SELECT * FROM allocate_payments('bench.payment', 'bench.accrual', 'sequential', 'account_id')"
	"allocate_payments month_first|SELECT * FROM allocate_payments('bench.payment', 'bench.accrual', 'month_first', 'account_id')"
)
distributed=(
	"match_payments_distributed sequential|SELECT * FROM match_payments_distributed('payment', 'accrual', 'sequential', 'account_id')"
	"match_payments_distributed month_first|SELECT * FROM match_payments_distributed('payment', 'accrual', 'month_first', 'account_id')"
	"allocate_payments_distributed sequential|SELECT * FROM allocate_payments_distributed('payment', 'accrual', 'sequential', 'account_id')"
	"allocate_payments_distributed month_first|SELECT * FROM allocate_payments_distributed('payment', 'accrual', 'month_first', 'account_id')"
	"match on the workers, rows counted there|SELECT count(*) FROM payment p TABLESAMPLE system_rows(1), LATERAL accmatch_shard_match('payment', 'accrual', p.account_id, 'sequential', 'account_id') m"
	"match_payments on the coordinator, sequential|SELECT * FROM match_payments('payment', 'accrual', 'sequential', 'account_id')"
	"allocate_payments on the coordinator, sequential|SELECT * FROM allocate_payments('payment', 'accrual', 'sequential', 'account_id')"
)

run_config "one node" "${one_node[@]}"
run_config "1 worker" "${distributed[@]}"
t0=$SECONDS
citus_add_worker worker2
q -c "SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes')" >/dev/null
echo "worker2 added, shards rebalanced in $((SECONDS - t0)) s:" \
	"$(q -c "SELECT string_agg(format('%s shards on port %s', n, nodeport), ', ' ORDER BY nodeport)
		FROM (SELECT nodeport, count(*) AS n FROM citus_shards
			  WHERE table_name = 'payment'::regclass GROUP BY nodeport) s")"
run_config "2 workers" "${distributed[@]}"

echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
citus_psql coordinator <<-'EOF'
	SELECT config, contender, min(result) AS rows,
		round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs)::numeric, 3) AS median_s,
		round(percentile_cont(0.5) WITHIN GROUP (ORDER BY hwm_kb)::numeric / 1024, 1) AS coordinator_mb
	FROM bench.citus_result
	GROUP BY config, contender, ord
	ORDER BY min(CASE config WHEN 'one node' THEN 0 WHEN '1 worker' THEN 1 ELSE 2 END), ord;
EOF
