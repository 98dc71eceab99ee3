#!/usr/bin/env bash
# citus.sh: accmatch on a Citus cluster: a coordinator and two workers,
# throwaway clusters on this machine.
#
# Citus comes from CITUS_SOURCE (a Citus source tree, a .tar.gz of one,
# or the pg_config of a PostgreSQL that has citus.so installed, or its
# bin directory) or else from ../shared/vendor/citus-*.tar.gz beside the
# repository (its sha256 checked against the README.md there).  Without
# either, the test is skipped: it says so in one line and exits 0.
#
# From source, Citus is built once into a Debian 13 root with PostgreSQL 17
# (test/lib/citus.sh, cached in ${ACCMATCH_ROOTS:-/var/cache/accmatch-roots}/trixie-citus,
# rebuilt only when the source changes; needs root), a `git clone` of this
# repository's committed HEAD is built there with -Wall -Wextra -Werror and
# installed, and this script runs again inside the root against that
# Citus.  With an installed Citus, it builds and installs accmatch for
# that server (as test/build.sh does, with sudo when not root) and runs
# here.
#
# The checks, each printing PASS or FAIL:
#  1. CREATE EXTENSION accmatch (version 1.1) on the coordinator reaches
#     the worker already added and the one added afterwards, with every
#     object; ALTER EXTENSION accmatch UPDATE reaches both.
#  2. payment, accrual and actions (test/citus/setup.sql) are distributed
#     by account_id and co-located, their rows on both workers;
#     action_summary: GROUP BY account_id runs whole on the workers;
#     GROUP BY region and no GROUP BY give the single-node result, and
#     run the partial aggregation on the workers (worker_partial_agg,
#     coord_combine_agg), which Citus does for a state type of its own.
#  3. match_payments_distributed() refuses without tsm_system_rows, which
#     CREATE EXTENSION brings to every node; then it and
#     allocate_payments_distributed(), both strategies, equal
#     match_payments()/allocate_payments() with partition_by =>
#     'account_id' on the single-node copy, row for row; each worker ran
#     the shards it holds, at the same time; match_payments() and
#     allocate_payments() called on the coordinator (and on a worker) over
#     the distributed tables give the single-node rows too, with and
#     without partition_by, grouped in memory and read ordered by key.
#  4. match_payments_account() and allocate_payments_account() behind a
#     function distributed by its account argument: each call goes to
#     the worker that holds the account, which reads the account from its
#     own shards, and returns its single-node rows.
#  5. Errors keep their SQLSTATE: the arguments (0A000, 22004, 22023), a
#     shard function called on the coordinator (55000), a
#     duplicate id in one shard (23505), a column missing on one node
#     (42703), a worker's statement cancelled (57014); statement_timeout
#     cancels the whole call within a second, with nothing left running
#     on the workers.
# Exits non-zero when any check fails.
#
#   bash test/citus.sh          (NACCOUNTS=3000, NBIG=500000, SEED=0.42)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=test/debroot.sh
. "$here/debroot.sh"
# shellcheck source=test/lib/citus.sh
. "$here/lib/citus.sh"

NACCOUNTS=${NACCOUNTS:-3000}
NBIG=${NBIG:-500000}
SEED=${SEED:-0.42}
started=$SECONDS

rc=0
citus_find "$repo" || rc=$?
if [ $rc -eq 1 ]; then
	echo "citus.sh: skipped: no Citus here (set CITUS_SOURCE to a Citus source tree," \
		"archive or installed pg_config; none in ../shared/vendor)"
	exit 0
elif [ $rc -ne 0 ]; then
	exit 2
fi

# ---- from source: build Citus into its root and run this script there ----
if [ "$CITUS_KIND" != installed ]; then
	citus_run_in_root "$repo" test/citus.sh NACCOUNTS="$NACCOUNTS" NBIG="$NBIG" SEED="$SEED"
	echo "citus.sh: done in $((SECONDS - started)) s"
	exit 0
fi

# ---- an installed Citus: build accmatch for it, start the cluster ----
pgc=$CITUS_PATH
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "citus.sh: $("$pgc" --version), Citus in $("$pgc" --pkglibdir)"
make -s -C "$repo" PG_CONFIG="$pgc" PG_CFLAGS="-Wall -Wextra -Werror"
"${sudo[@]}" make -s -C "$repo" PG_CONFIG="$pgc" install >/dev/null

# only our own flags and the servers' own settings may count
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
	PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS || true

tmp=$(mktemp -d "${TMPDIR:-/tmp}/accmatch-citus.XXXXXX")
chmod 755 "$tmp"
cleanup() {
	citus_cluster_stop "$tmp"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

citus_cluster_start "$tmp" "$pgc" 2 "track_functions = 'all'"
echo "cluster: coordinator on port ${CITUS_PORT[coordinator]}, workers on" \
	"${CITUS_PORT[worker1]} and ${CITUS_PORT[worker2]} (127.0.0.1 and $tmp)"

q() {
	citus_psql "$@"
}

fail=0
pass() { echo "PASS: $*"; }
failed() {
	echo "FAIL: $*"
	fail=1
}
check() {
	local ok=$1
	shift
	if [ "$ok" = t ]; then pass "$@"; else failed "$@"; fi
}

# sqlstate NODE SQL [SETTING]: the SQLSTATE SQL raised on NODE (empty
# when none); SETTING (name=value) holds for the session
sqlstate() {
	local n=$1 sql=$2 setting=${3:-} out
	out=$(PGOPTIONS=${setting:+-c $setting} "$CITUS_BINDIR/psql" -X -q -h "$CITUS_DIR" \
		-p "${CITUS_PORT[$n]}" -U postgres -d accmatch -c '\set VERBOSITY verbose' \
		-c "$sql" 2>&1 >/dev/null || true)
	sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' <<<"$out" | tail -n 1
}

# expect_state SQLSTATE WHAT SQL [NODE]: a check that SQL raises SQLSTATE
expect_state() {
	local want=$1 what=$2 sql=$3 n=${4:-coordinator} got
	got=$(sqlstate "$n" "$sql")
	check "$( [ "$got" = "$want" ] && echo t)" "$what: SQLSTATE ${got:-none} (want $want)"
}

# ---- 1. the extension reaches every node ----
# 1.1 first, with one worker; the second worker joins; then the update
citus_add_worker worker1
q coordinator -c "CREATE EXTENSION accmatch VERSION '1.1'"
citus_add_worker worker2
members="SELECT e.extversion, count(*) FROM pg_extension e
	JOIN pg_depend d ON d.refobjid = e.oid AND d.deptype = 'e'
	WHERE e.extname = 'accmatch' GROUP BY e.extversion"
want=$(q coordinator -At -c "$members")
got1=$(q worker1 -At -c "$members")
got2=$(q worker2 -At -c "$members")
check "$( [ -n "$want" ] && [ "$got1" = "$want" ] && [ "$got2" = "$want" ] && echo t)" \
	"CREATE EXTENSION on the coordinator reached worker1 (added before) and worker2" \
	"(added after): version|objects $want on each (worker1 $got1, worker2 $got2)"
q coordinator -c "ALTER EXTENSION accmatch UPDATE"
want=$(q coordinator -At -c "$members")
got1=$(q worker1 -At -c "$members")
got2=$(q worker2 -At -c "$members")
default=$(q coordinator -At -c "SELECT default_version FROM pg_available_extensions
	WHERE name = 'accmatch'")
check "$( [ "${want%|*}" = "$default" ] && [ "$got1" = "$want" ] && [ "$got2" = "$want" ] && echo t)" \
	"ALTER EXTENSION accmatch UPDATE on the coordinator reached both workers:" \
	"version|objects $want on each (worker1 $got1, worker2 $got2)"

# ---- 2. distributed tables and action_summary ----
q coordinator -v seed="$SEED" -v naccounts="$NACCOUNTS" -v nbig="$NBIG" \
	-f "$repo/test/citus/setup.sql"

out=$(q coordinator -At -F' ' <<-'EOF'
	SELECT count(DISTINCT colocationid),
		bool_and(pg_catalog.column_to_column_name(logicalrelid, partkey) = 'account_id'),
		bool_and(partmethod = 'h')
	FROM pg_dist_partition
	WHERE logicalrelid IN ('payment'::regclass, 'accrual'::regclass, 'actions'::regclass);
	SELECT count(DISTINCT nodeport) FROM citus_shards
	WHERE table_name IN ('payment'::regclass, 'accrual'::regclass, 'actions'::regclass);
	SELECT (SELECT count(*) FROM payment) = (SELECT count(*) FROM payment_local)
		AND (SELECT count(*) FROM accrual) = (SELECT count(*) FROM accrual_local)
		AND (SELECT count(*) FROM actions) = (SELECT count(*) FROM actions_local),
		(SELECT count(*) FROM payment), (SELECT count(*) FROM accrual),
		(SELECT count(*) FROM actions);
	SELECT count(DISTINCT nodeport) FROM citus_shards s
	WHERE s.table_name = 'payment'::regclass
		AND EXISTS (SELECT 1 FROM run_command_on_placements('payment',
			'SELECT count(*) FROM %s') r
			WHERE r.shardid = s.shardid AND r.result::int > 0);
EOF
)
{
	read -r ngroups by_account hashed
	read -r nnodes
	read -r same npay nacc nact
	read -r nodes_with_rows
} <<<"$out"
check "$( [ "$ngroups" = 1 ] && [ "$by_account" = t ] && [ "$hashed" = t ] &&
	[ "$nnodes" = 2 ] && [ "$same" = t ] && [ "$nodes_with_rows" = 2 ] && echo t)" \
	"payment, accrual and actions are hash-distributed by account_id, co-located," \
	"on both workers, all rows there ($npay payments, $nacc accruals, $nact actions)"

# EXPLAIN VERBOSE of a query on the coordinator, as one line per plan line
explain() {
	q coordinator -At -c "EXPLAIN (VERBOSE, COSTS OFF) $1"
}

summary_equal() {
	local dist=$1 local_q=$2 out
	out=$(q coordinator -At -F' ' -c "SELECT * FROM rows_differ(\$\$$dist\$\$, \$\$$local_q\$\$)")
	read -r rows_a rows_b differing <<<"$out"
	[ "$rows_a" -gt 0 ] && [ "$rows_a" = "$rows_b" ] && [ "$differing" = 0 ]
}

q="SELECT account_id, action_summary(type, created_at) AS s FROM %s GROUP BY account_id"
# shellcheck disable=SC2059
plan=$(explain "$(printf "$q" actions)")
ok=''
# shellcheck disable=SC2059
if summary_equal "$(printf "$q" actions)" "$(printf "$q" actions_local)"; then
	ok=t
fi
if [ "$ok" = t ] && head -n 1 <<<"$plan" | grep -q '^Custom Scan (Citus Adaptive)' &&
	grep -q 'Query: SELECT account_id, public.action_summary(type, created_at).*GROUP BY account_id' <<<"$plan"; then
	pass "action_summary GROUP BY account_id runs whole on the workers, equal to one node"
else
	failed "action_summary GROUP BY account_id: not pushed down whole or not equal to one node"
	echo "    ${plan//$'\n'/$'\n'    }"
fi

# The partial aggregation: workers return one state per group
# (worker_partial_agg) that the coordinator combines (coord_combine_agg).
# Citus does this only for an aggregate whose state type is not internal:
# action_summary_state.
stype=$(q coordinator -At -c "SELECT aggtranstype::regtype FROM pg_aggregate
	WHERE aggfnoid = 'action_summary(text, timestamptz)'::regprocedure")
for grouping in "GROUP BY region" "no GROUP BY" "rollup by region"; do
	if [ "$grouping" = "no GROUP BY" ]; then
		q="SELECT action_summary(type, created_at) AS s FROM %s"
	elif [ "$grouping" = "rollup by region" ]; then
		# the rollup aggregate's state, finished
		q="SELECT region, action_summary_result(action_summary_partial(type, created_at)) AS s FROM %s GROUP BY region"
	else
		q="SELECT region, action_summary(type, created_at) AS s FROM %s GROUP BY region"
	fi
	# shellcheck disable=SC2059
	if summary_equal "$(printf "$q" actions)" "$(printf "$q" actions_local)"; then
		pass "action_summary, $grouping: equal to one node"
	else
		failed "action_summary, $grouping: differs from one node"
	fi
	# shellcheck disable=SC2059
	plan=$(explain "$(printf "$q" actions)")
	if grep -q 'Query: .*worker_partial_agg(' <<<"$plan" && grep -q 'coord_combine_agg(' <<<"$plan"; then
		pass "action_summary, $grouping: partial aggregation on the workers" \
			"(worker_partial_agg, coord_combine_agg)"
	else
		failed "action_summary, $grouping: no partial aggregation on the workers" \
			"(state type $stype)"
		echo "    ${plan//$'\n'/$'\n'    }"
	fi
done

# ---- 3. all accounts, every shard on its own node ----
expect_state 0A000 "match_payments_distributed() without tsm_system_rows" \
	"SELECT * FROM match_payments_distributed('payment', 'accrual', 'sequential', 'account_id')"
q coordinator -c "CREATE EXTENSION tsm_system_rows"
got1=$(q worker1 -At -c "SELECT count(*) FROM pg_extension WHERE extname = 'tsm_system_rows'")
got2=$(q worker2 -At -c "SELECT count(*) FROM pg_extension WHERE extname = 'tsm_system_rows'")
check "$( [ "$got1" = 1 ] && [ "$got2" = 1 ] && echo t)" \
	"CREATE EXTENSION tsm_system_rows on the coordinator reached both workers"
for fn in match allocate; do
	for strategy in sequential month_first; do
		single="SELECT * FROM ${fn}_payments('payment_local', 'accrual_local', '$strategy', 'account_id')"
		out=$(q coordinator -At -F' ' <<-EOF
			SELECT clock_timestamp() AS t0 \gset
			CREATE TEMP TABLE dist AS
			SELECT * FROM ${fn}_payments_distributed('payment', 'accrual', '$strategy', 'account_id');
			SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 3) AS secs \gset
			SELECT *, :'secs' FROM rows_differ('TABLE dist', \$\$$single\$\$);
		EOF
		)
		read -r n_dist n_single differing secs <<<"$out"
		check "$( [ "$n_dist" -gt 0 ] && [ "$n_dist" = "$n_single" ] && [ "$differing" = 0 ] && echo t)" \
			"${fn}_payments_distributed, $strategy: equal to ${fn}_payments(partition_by" \
			"=> 'account_id') on one node, row for row ($n_dist rows; ${secs}s;" \
			"$differing differ)"
	done
done

# Which node ran which shards, and at the same time: the workers
# count the calls of accmatch_shard_allocate() and their time
# (track_functions), which must add up to more than the wall time.
for n in worker1 worker2; do
	q "$n" -c "SELECT pg_stat_reset()" >/dev/null
done
t0=$(date +%s.%N)
q coordinator -c "SELECT count(*) FROM allocate_payments_distributed('payment_big',
	'accrual_big', 'sequential', 'account_id')" >/dev/null
wall=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f", t1 - t0 }')
stats="SELECT coalesce(sum(calls), 0), coalesce(sum(total_time), 0)::bigint
	FROM pg_stat_user_functions WHERE funcname = 'accmatch_shard_allocate'"
declare -A calls=() ms=() shards=()
for n in worker1 worker2; do
	shards[$n]=$(q coordinator -At -c "SELECT count(*) FROM citus_shards
		WHERE table_name = 'payment_big'::regclass AND nodeport = ${CITUS_PORT[$n]}")
	# the backends count their calls when they exit, after the call
	for _ in $(seq 1 150); do
		read -r calls[$n] ms[$n] <<<"$(q "$n" -At -F' ' -c "$stats")"
		[ "${calls[$n]}" -ge "${shards[$n]}" ] && break
		sleep 0.1
	done
done
busy=$(awk -v a="${ms[worker1]}" -v b="${ms[worker2]}" 'BEGIN { printf "%.3f", (a + b) / 1000 }')
check "$( [ "${calls[worker1]}" = "${shards[worker1]}" ] && [ "${calls[worker2]}" = "${shards[worker2]}" ] &&
	awk -v busy="$busy" -v wall="$wall" 'BEGIN { exit !(busy > wall) }' && echo t)" \
	"each worker ran its own shards (worker1 ${calls[worker1]} of ${shards[worker1]}," \
	"worker2 ${calls[worker2]} of ${shards[worker2]}), at the same time: ${busy}s of" \
	"shard work in ${wall}s ($NBIG + $NBIG rows)"

# The plain functions on the coordinator (and a worker) over the
# distributed tables: Citus brings them every row.
for fn in match allocate; do
	for strategy in sequential month_first; do
		for mode in "partition_by|'account_id'|on" "read ordered by key|'account_id'|off" \
			"no partition_by|NULL|on"; do
			IFS='|' read -r label part in_memory <<<"$mode"
			single="SELECT * FROM ${fn}_payments('payment_local', 'accrual_local', '$strategy', $part)"
			dist="SELECT * FROM ${fn}_payments('payment', 'accrual', '$strategy', $part)"
			out=$(q coordinator -At -F' ' -c "SET accmatch.group_in_memory = $in_memory" \
				-c "SELECT * FROM rows_differ(\$\$$dist\$\$, \$\$$single\$\$)" 2>&1) || true
			read -r n_dist n_single differing <<<"$out"
			check "$( [ "$n_dist" -gt 0 ] 2>/dev/null && [ "$n_dist" = "$n_single" ] &&
				[ "$differing" = 0 ] && echo t)" \
				"${fn}_payments() on the coordinator over the distributed tables, $strategy," \
				"$label: equal to one node (${out//$'\n'/ })"
		done
		# on a worker, which has Citus's metadata: the same rows, sorted
		digest="SELECT count(*), md5(string_agg(x::text, ';' ORDER BY x)) FROM (%s) x"
		# shellcheck disable=SC2059
		want=$(q coordinator -At -c "$(printf "$digest" "SELECT * FROM ${fn}_payments('payment_local',
			'accrual_local', '$strategy', 'account_id')")")
		# shellcheck disable=SC2059
		got=$(q worker1 -At -c "$(printf "$digest" "SELECT * FROM ${fn}_payments('payment',
			'accrual', '$strategy', 'account_id')")" 2>&1) || true
		check "$( [ "$got" = "$want" ] && echo t)" \
			"${fn}_payments() on worker1 over the distributed tables, $strategy," \
			"partition_by: equal to one node (count|md5 $got)"
	done
done

# ---- 4. one account, on the worker that holds it ----
q coordinator <<-'EOF'
	CREATE FUNCTION match_account(account_id int, strategy text DEFAULT 'sequential')
	RETURNS TABLE (payment_id bigint, accrual_id bigint, matched_by text, partition_key text)
	LANGUAGE sql AS $$
		SELECT * FROM match_payments_account(account_id, 'payment', 'accrual', strategy, 'account_id')
	$$;
	CREATE FUNCTION allocate_account(account_id int, strategy text DEFAULT 'sequential')
	RETURNS TABLE (payment_id bigint, accrual_id bigint, amount numeric, matched_by text,
		partition_key text)
	LANGUAGE sql AS $$
		SELECT * FROM allocate_payments_account(account_id, 'payment', 'accrual', strategy,
			'account_id')
	$$;
	SELECT create_distributed_function('match_account(int, text)', 'account_id',
		colocate_with => 'payment') \g /dev/null
	SELECT create_distributed_function('allocate_account(int, text)', 'account_id',
		colocate_with => 'payment') \g /dev/null
EOF
sample=$(q coordinator -At -c "SELECT DISTINCT account_id FROM payment_local
	WHERE account_id % 37 = 0 ORDER BY 1 LIMIT 60")
sample_list=$(tr '\n' ',' <<<"$sample" | sed 's/,$//')
# where each sampled account lives, and where EXPLAIN sends its call
misrouted=0
declare -A on_node=()
for a in $sample; do
	want=$(q coordinator -At -c "SELECT nodeport FROM pg_dist_shard_placement
		WHERE shardid = get_shard_id_for_distribution_column('payment', $a)")
	plan=$(explain "SELECT * FROM match_account($a)")
	if grep -q 'Task Count: 1' <<<"$plan" && grep -q "Node: host=.* port=$want " <<<"$plan"; then
		on_node[$want]=$((${on_node[$want]:-0} + 1))
	else
		misrouted=$((misrouted + 1))
	fi
done
nsample=$(wc -w <<<"$sample")
check "$( [ "$misrouted" = 0 ] && [ "${#on_node[@]}" = 2 ] && echo t)" \
	"match_account(a) goes to the worker holding a, for each of $nsample accounts" \
	"($misrouted elsewhere; $(for p in "${!on_node[@]}"; do printf '%s on port %s ' "${on_node[$p]}" "$p"; done | sed 's/ $//'))"

# and there it reads the account's shards itself: the workers, told to log
# what they run (citus.log_local_commands, citus.log_remote_commands),
# report reading locally and sending nothing on
for n in worker1 worker2; do
	q "$n" -c "ALTER SYSTEM SET citus.log_local_commands = on" \
		-c "ALTER SYSTEM SET citus.log_remote_commands = on" -c "SELECT pg_reload_conf()" >/dev/null
done
local_ok=0
for p in "${!on_node[@]}"; do
	a=$(q coordinator -At -c "SELECT a FROM unnest(ARRAY[$sample_list]) AS a
		WHERE (SELECT nodeport FROM pg_dist_shard_placement
			   WHERE shardid = get_shard_id_for_distribution_column('payment', a)) = $p
		ORDER BY a LIMIT 1")
	log=$(q coordinator -c "SELECT count(*) FROM match_account($a)" 2>&1 >/dev/null)
	if [ "$(grep -c "executing the command locally" <<<"$log")" = 2 ] &&
		[ "$(grep -c "^DETAIL:  from .*:$p\$" <<<"$log")" = 2 ] &&
		! grep -q "issuing" <<<"$log"; then
		local_ok=$((local_ok + 1))
	else
		echo "    account $a on port $p:"
		echo "    ${log//$'\n'/$'\n'    }"
	fi
done
for n in worker1 worker2; do
	q "$n" -c "ALTER SYSTEM RESET citus.log_local_commands" \
		-c "ALTER SYSTEM RESET citus.log_remote_commands" -c "SELECT pg_reload_conf()" >/dev/null
done
check "$( [ "$local_ok" = 2 ] && echo t)" \
	"on each worker, match_account(a) reads a's payments and accruals from its own" \
	"shards ($local_ok of 2 workers)"

for fn in match allocate; do
	if [ "$fn" = match ]; then
		columns="payment_id bigint, accrual_id bigint, matched_by text, partition_key text"
	else
		columns="payment_id bigint, accrual_id bigint, amount numeric, matched_by text, partition_key text"
	fi
	for strategy in sequential month_first; do
		rows=$tmp/routed_${fn}_$strategy.tsv
		for a in $sample; do
			echo "SELECT * FROM ${fn}_account($a, '$strategy');"
		done | q coordinator -At -F "$(printf '\t')" -P null='\N' >"$rows"
		single="SELECT * FROM ${fn}_payments('payment_local', 'accrual_local', '$strategy',
			'account_id') WHERE partition_key::int IN ($sample_list)"
		out=$(q coordinator -At -F' ' <<-EOF
			CREATE TEMP TABLE routed ($columns);
			\copy routed FROM '$rows'
			SELECT * FROM rows_differ('TABLE routed', \$\$$single\$\$);
		EOF
		)
		read -r n_routed n_single differing <<<"$out"
		check "$( [ "$n_routed" -gt 0 ] && [ "$n_routed" = "$n_single" ] && [ "$differing" = 0 ] && echo t)" \
			"${fn}_account(a), $strategy: $nsample accounts, each on its worker, give their" \
			"rows of one node ($n_routed rows, $differing differ)"
	done
done

# ---- 5. errors ----
q coordinator <<-'EOF'
	CREATE TABLE other_payment (LIKE payment_local);
	CREATE TABLE accrual_e (LIKE accrual_local);
	CREATE TABLE payment_e (LIKE payment_local);
	SELECT create_distributed_table('accrual_e', 'account_id', colocate_with => 'payment') \g /dev/null
	SELECT create_distributed_table('payment_e', 'account_id', colocate_with => 'payment') \g /dev/null
	INSERT INTO accrual_e SELECT * FROM accrual_local;
	INSERT INTO payment_e SELECT * FROM payment_local;
	CREATE TABLE accrual_apart (LIKE accrual_local);
	SELECT create_distributed_table('accrual_apart', 'account_id', shard_count => 4,
		colocate_with => 'none') \g /dev/null
EOF
expect_state 0A000 "a table that is not distributed" \
	"SELECT * FROM match_payments_distributed('other_payment', 'accrual', 'sequential', 'account_id')"
expect_state 22004 "partition_by NULL" \
	"SELECT * FROM match_payments_distributed('payment', 'accrual')"
expect_state 22023 "partition_by not the distribution column" \
	"SELECT * FROM allocate_payments_distributed('payment', 'accrual', 'sequential', 'id')"
expect_state 55000 "a shard function called on the coordinator" \
	"SELECT * FROM accmatch_shard_match('payment', 'accrual', 1, 'sequential', 'account_id')"
expect_state 0A000 "tables not co-located" \
	"SELECT * FROM match_payments_distributed('payment', 'accrual_apart', 'sequential', 'account_id')"
expect_state 22023 "an unknown strategy, from every shard" \
	"SELECT * FROM match_payments_distributed('payment', 'accrual', 'bogus', 'account_id')"
dup=$(q coordinator -At -c "SELECT account_id, id FROM payment_local ORDER BY account_id, id LIMIT 1")
IFS='|' read -r dup_account dup_id <<<"$dup"
q coordinator -c "INSERT INTO payment_e SELECT * FROM payment_local
	WHERE account_id = $dup_account AND id = $dup_id"
expect_state 23505 "a duplicate id in one shard" \
	"SELECT * FROM match_payments_distributed('payment_e', 'accrual_e', 'sequential', 'account_id')"
# a column dropped from one shard, on worker2, behind Citus's back
shard=$(q coordinator -At -c "SELECT shard_name('payment_e'::regclass, shardid) FROM citus_shards
	WHERE table_name = 'payment_e'::regclass AND nodeport = ${CITUS_PORT[worker2]}
	ORDER BY shardid LIMIT 1")
q coordinator -c "DELETE FROM payment_e WHERE account_id = $dup_account"
q worker2 -c "ALTER TABLE $shard DROP COLUMN month"
expect_state 42703 "a column missing on one node ($shard)" \
	"SELECT * FROM allocate_payments_distributed('payment_e', 'accrual_e', 'sequential', 'account_id')"

# A call long enough to be cancelled: payment_big and accrual_big.
t0=$(date +%s.%N)
q coordinator -c "SELECT count(*) FROM allocate_payments_distributed('payment_big',
	'accrual_big', 'sequential', 'account_id')" >/dev/null
full=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f", t1 - t0 }')

# a worker's statement cancelled under the call
running="SELECT pid FROM pg_stat_activity WHERE query LIKE '%accmatch_shard_allocate(%'
	AND pid <> pg_backend_pid() AND state = 'active'"
sqlstate coordinator "SELECT count(*) FROM allocate_payments_distributed('payment_big',
	'accrual_big', 'sequential', 'account_id')" >"$tmp/cancelled" &
caller=$!
cancelled=''
for _ in $(seq 1 200); do
	pid=$(q worker1 -At -c "$running LIMIT 1")
	if [ -n "$pid" ]; then
		q worker1 -At -c "SELECT pg_cancel_backend($pid)" >/dev/null
		cancelled=$pid
		break
	fi
	sleep 0.02
done
wait "$caller"
got=$(cat "$tmp/cancelled")
check "$( [ -n "$cancelled" ] && [ "$got" = 57014 ] && echo t)" \
	"a statement cancelled on worker1 (backend ${cancelled:-none}): SQLSTATE ${got:-none}" \
	"(want 57014)"

# statement_timeout on the coordinator
t0=$(date +%s.%N)
got=$(sqlstate coordinator "SELECT count(*) FROM allocate_payments_distributed('payment_big',
	'accrual_big', 'sequential', 'account_id')" statement_timeout=300ms)
secs=$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.3f", t1 - t0 }')
left=''
for _ in $(seq 1 30); do
	left=$( (q worker1 -At -c "$running"; q worker2 -At -c "$running") | wc -l)
	[ "$left" = 0 ] && break
	sleep 0.1
done
check "$( [ "$got" = 57014 ] && [ "$left" = 0 ] &&
	awk -v s="$secs" 'BEGIN { exit !(s < 1.3) }' && echo t)" \
	"statement_timeout 300ms: SQLSTATE ${got:-none} after ${secs}s (the call takes" \
	"${full}s), $left shard statements left on the workers"

echo "done in $((SECONDS - started))s"
if [ "$fail" -ne 0 ]; then
	echo "FAIL"
	exit 1
fi
echo "PASS"
