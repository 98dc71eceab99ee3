#!/usr/bin/env bash
# plproxy.sh: per-account matching across shards with PL/Proxy.
#
# Starts three throwaway PostgreSQL clusters under a temporary directory,
# listening on 127.0.0.1 and on private unix sockets: two shards and a
# proxy.  Seeded random accrual and payment rows with an account_id are made
# once on the proxy, which also serves as the single-node reference, and
# copied to the shards by hash of account_id (hashint4(account_id) & 1, the
# way PL/Proxy picks one of two partitions; rows without an account go to
# shard 0).  The proxy runs match_payments(partition_by => 'account_id') on
# every shard (RUN ON ALL) and returns the union; for both strategies that
# union must equal the single-node result, row for row.  A per-account
# function routed by the same hash (RUN ON hashint4(account_id)), which
# calls a shard function matching over views of that one account, must
# return each sampled account's rows of the single-node result.
#
# Needs postgresql-MAJOR, postgresql-MAJOR-plproxy and accmatch installed
# (test/deps.sh, test/build.sh), MAJOR being the one of test/pgversion.sh.  Run as any user; as root the servers run as postgres.
# Prints PASS or FAIL per check and exits non-zero when any check fails.
#
#   bash test/plproxy.sh            (NACCOUNTS=30000 for more data)
set -euo pipefail
# shellcheck source=test/pgversion.sh
. "$(dirname "$0")/pgversion.sh"

PGBIN=${PGBIN:-$("$PG_CONFIG" --bindir)}
NACCOUNTS=${NACCOUNTS:-3000}
SEED=${SEED:-0.42}

# only our own flags and the servers' own settings may count
unset PGHOST PGHOSTADDR PGPORT PGDATABASE PGUSER PGPASSWORD PGSERVICE \
	PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS || true

sharedir=$("$PGBIN/pg_config" --sharedir)
for ext in accmatch plproxy; do
	if [ ! -f "$sharedir/extension/$ext.control" ]; then
		echo "plproxy.sh: extension $ext is not installed in $sharedir" >&2
		exit 2
	fi
done

# initdb refuses to run as root: then the servers run as postgres
as_server=()
if [ "$(id -u)" -eq 0 ]; then
	as_server=(runuser -u postgres --)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/accmatch-plproxy.XXXXXX")
nodes=(shard0 shard1 proxy)
declare -A port

cleanup() {
	local n
	for n in "${nodes[@]}"; do
		if [ -f "$tmp/$n/postmaster.pid" ]; then
			"${as_server[@]}" "$PGBIN/pg_ctl" -D "$tmp/$n" -m immediate -w \
				stop >/dev/null 2>&1 || true
		fi
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ ${#as_server[@]} -gt 0 ]; then
	chown postgres: "$tmp"
fi
cd "$tmp"

# A port nothing listens on at 127.0.0.1 (bounded tries).
free_port() {
	local p i
	for ((i = 0; i < 100; i++)); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo "plproxy.sh: no free port found" >&2
	return 1
}

# Create and start one cluster; its superuser is postgres, trust on
# loopback and on its socket, which lives in $tmp.
start_node() {
	local n=$1 p
	p=$(free_port)
	port[$n]=$p
	"${as_server[@]}" "$PGBIN/initdb" -D "$tmp/$n" -U postgres --auth=trust \
		-E UTF8 --locale=C --no-sync --no-instructions >"$tmp/$n.initdb.log"
	cat >>"$tmp/$n/postgresql.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = $p
		unix_socket_directories = '$tmp'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 20
		shared_buffers = 32MB
	EOF
	if ! "${as_server[@]}" "$PGBIN/pg_ctl" -D "$tmp/$n" -l "$tmp/$n.log" -w \
		-t 60 start >/dev/null; then
		echo "plproxy.sh: $n did not start:" >&2
		tail -n 20 "$tmp/$n.log" >&2
		return 1
	fi
	"$PGBIN/psql" -X -q -h "$tmp" -p "$p" -U postgres -d postgres \
		-c "CREATE DATABASE accmatch"
}

# psql on one node's accmatch database
q() {
	local n=$1
	shift
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$tmp" -p "${port[$n]}" \
		-U postgres -d accmatch "$@"
}

started=$SECONDS
for n in "${nodes[@]}"; do
	start_node "$n"
done
echo "clusters: shard0 on port ${port[shard0]}, shard1 on port ${port[shard1]}," \
	"proxy on port ${port[proxy]} (127.0.0.1 and $tmp)"

# The same tables and the extension on every node.
for n in "${nodes[@]}"; do
	q "$n" <<-'EOF'
		CREATE EXTENSION accmatch;
		CREATE TABLE accrual (id bigint PRIMARY KEY, date date, month int, account_id int);
		CREATE TABLE payment (id bigint PRIMARY KEY, date date, month int, account_id int);
	EOF
done

# On the shards, one account's matching: match_payments() over views that
# show only the rows of the account named by a setting, so that a call
# reads that account's rows through an index and not the whole shard.
for n in shard0 shard1; do
	q "$n" <<-'EOF'
		CREATE INDEX ON accrual (account_id);
		CREATE INDEX ON payment (account_id);
		CREATE VIEW accrual_of_account AS
		SELECT * FROM accrual
		WHERE account_id = current_setting('shard.account_id')::int;
		CREATE VIEW payment_of_account AS
		SELECT * FROM payment
		WHERE account_id = current_setting('shard.account_id')::int;
		CREATE FUNCTION match_account(i_account_id int, i_strategy text,
			OUT payment_id bigint, OUT accrual_id bigint,
			OUT matched_by text, OUT partition_key text)
		RETURNS SETOF record LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM set_config('shard.account_id', i_account_id::text, true);
			RETURN QUERY SELECT * FROM match_payments('payment_of_account',
				'accrual_of_account', i_strategy, 'account_id');
		END $$;
	EOF
done

# Seeded data on the proxy, the single node: NACCOUNTS accounts with 0 to 8
# accruals and 0 to 8 payments each, dates over 90 days, 3 months, some
# NULL dates, months and account ids.
q proxy -v seed="$SEED" -v naccounts="$NACCOUNTS" <<-'EOF'
	SELECT setseed(:seed) \g /dev/null
	CREATE TEMP TABLE account AS
	SELECT a AS account_id, (random() * 8)::int AS naccruals,
		(random() * 8)::int AS npayments
	FROM generate_series(1, :naccounts) a;
	INSERT INTO accrual
	SELECT row_number() OVER (ORDER BY random()),
		CASE WHEN random() < 0.03 THEN NULL ELSE date '2024-01-01' + (random() * 90)::int END,
		CASE WHEN random() < 0.05 THEN NULL ELSE 1 + (random() * 2)::int END,
		CASE WHEN random() < 0.01 THEN NULL ELSE account_id END
	FROM account, generate_series(1, naccruals);
	INSERT INTO payment
	SELECT 10000000 + row_number() OVER (ORDER BY random()),
		CASE WHEN random() < 0.03 THEN NULL ELSE date '2024-01-01' + (random() * 100)::int END,
		CASE WHEN random() < 0.05 THEN NULL ELSE 1 + (random() * 2)::int END,
		CASE WHEN random() < 0.01 THEN NULL ELSE account_id END
	FROM account, generate_series(1, npayments);
	ANALYZE accrual, payment;
EOF

# Each row to the shard its account hashes to.
for s in 0 1; do
	for t in accrual payment; do
		q proxy -c "COPY (SELECT * FROM $t
			WHERE coalesce(hashint4(account_id) & 1, 0) = $s) TO STDOUT" |
			q "shard$s" -c "COPY $t FROM STDIN"
	done
	q "shard$s" -c "ANALYZE accrual, payment"
done

# The cluster, the SQL/MED way, and the proxy functions.
q proxy -v p0="dbname=accmatch host=127.0.0.1 port=${port[shard0]}" \
	-v p1="dbname=accmatch host=127.0.0.1 port=${port[shard1]}" <<-'EOF'
	CREATE EXTENSION plproxy;
	CREATE SERVER accmatch_shards FOREIGN DATA WRAPPER plproxy
		OPTIONS (p0 :'p0', p1 :'p1');
	CREATE USER MAPPING FOR PUBLIC SERVER accmatch_shards
		OPTIONS (user 'postgres');

	-- every account's matching, from every shard
	CREATE FUNCTION match_payments_sharded(i_strategy text,
		OUT payment_id bigint, OUT accrual_id bigint,
		OUT matched_by text, OUT partition_key text)
	RETURNS SETOF record AS $$
		CLUSTER 'accmatch_shards';
		RUN ON ALL;
		SELECT * FROM match_payments('payment', 'accrual', i_strategy, 'account_id');
	$$ LANGUAGE plproxy;

	-- one account's matching, from the shard that holds it: calls the
	-- shards' match_account() of the same signature
	CREATE FUNCTION match_account(i_account_id int, i_strategy text,
		OUT payment_id bigint, OUT accrual_id bigint,
		OUT matched_by text, OUT partition_key text)
	RETURNS SETOF record AS $$
		CLUSTER 'accmatch_shards';
		RUN ON hashint4(i_account_id);
	$$ LANGUAGE plproxy;
EOF

fail=0

# The data must be spread over both shards and be all there.
counts="SELECT (SELECT count(*) FROM payment), (SELECT count(*) FROM accrual)"
out=$(q proxy -At -F' ' -c "$counts")
read -r total_pay total_acc <<<"$out"
out=$(q shard0 -At -F' ' -c "$counts")
read -r pay0 acc0 <<<"$out"
out=$(q shard1 -At -F' ' -c "$counts")
read -r pay1 acc1 <<<"$out"
echo "data: $total_pay payments, $total_acc accruals;" \
	"shard0 $pay0 + $acc0, shard1 $pay1 + $acc1"
if [ "$pay0" -gt 0 ] && [ "$pay1" -gt 0 ] && [ "$acc0" -gt 0 ] && [ "$acc1" -gt 0 ] &&
	[ $((pay0 + pay1)) -eq "$total_pay" ] && [ $((acc0 + acc1)) -eq "$total_acc" ]; then
	echo "PASS: the rows are split over both shards, none lost"
else
	echo "FAIL: the rows are not split over both shards as expected"
	fail=1
fi

for strategy in sequential month_first; do
	# single node vs the union of the shards: counts, and both differences
	out=$(
		q proxy -At -F' ' -v strategy="$strategy" <<-'EOF'
			SELECT clock_timestamp() AS t0 \gset
			CREATE TEMP TABLE single AS
			SELECT * FROM match_payments('payment', 'accrual', :'strategy', 'account_id');
			SELECT clock_timestamp() AS t1 \gset
			CREATE TEMP TABLE sharded AS SELECT * FROM match_payments_sharded(:'strategy');
			SELECT clock_timestamp() AS t2 \gset
			SELECT (SELECT count(*) FROM single),
				(SELECT count(*) FROM sharded),
				(SELECT count(*) FROM sharded WHERE accrual_id IS NOT NULL),
				(SELECT count(*) FROM (TABLE single EXCEPT ALL TABLE sharded) x),
				(SELECT count(*) FROM (TABLE sharded EXCEPT ALL TABLE single) y),
				round(extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)::numeric, 3),
				round(extract(epoch FROM :'t2'::timestamptz - :'t1'::timestamptz)::numeric, 3);
		EOF
	)
	read -r n_single n_sharded n_matched only_single only_sharded secs_single secs_sharded <<<"$out"
	if [ "$n_single" -eq "$total_pay" ] && [ "$n_sharded" -eq "$n_single" ] &&
		[ "$only_single" -eq 0 ] && [ "$only_sharded" -eq 0 ] && [ "$n_matched" -gt 0 ]; then
		echo "PASS: $strategy: the union of the shards equals the single node" \
			"($n_sharded rows, $n_matched matched; single node ${secs_single}s," \
			"through the proxy ${secs_sharded}s)"
	else
		echo "FAIL: $strategy: single node $n_single rows, shards $n_sharded rows" \
			"($total_pay payments); $only_single rows only on the single node," \
			"$only_sharded only from the shards"
		fail=1
	fi

	# a sample of accounts, each asked of its own shard
	out=$(
		q proxy -At -F' ' -v strategy="$strategy" <<-'EOF'
			CREATE TEMP TABLE sample AS
			SELECT DISTINCT account_id FROM payment
			WHERE account_id % 37 = 0 ORDER BY account_id LIMIT 200;
			CREATE TEMP TABLE single AS
			SELECT * FROM match_payments('payment', 'accrual', :'strategy', 'account_id');
			CREATE TEMP TABLE routed AS
			SELECT m.* FROM sample s, LATERAL match_account(s.account_id, :'strategy') m;
			SELECT (SELECT count(*) FROM sample),
				(SELECT count(*) FROM (
					(SELECT r.* FROM routed r
					 EXCEPT ALL
					 SELECT t.* FROM single t JOIN sample s ON t.partition_key = s.account_id::text)
					UNION ALL
					(SELECT t.* FROM single t JOIN sample s ON t.partition_key = s.account_id::text
					 EXCEPT ALL
					 SELECT r.* FROM routed r)) d);
		EOF
	)
	read -r n_accounts diff_rows <<<"$out"
	if [ "$n_accounts" -gt 0 ] && [ "$diff_rows" -eq 0 ]; then
		echo "PASS: $strategy: $n_accounts accounts asked of their own shard" \
			"match the single node"
	else
		echo "FAIL: $strategy: $diff_rows rows differ over $n_accounts accounts" \
			"asked of their own shard"
		fail=1
	fi
done

echo "done in $((SECONDS - started))s"
if [ "$fail" -ne 0 ]; then
	echo "FAIL"
	exit 1
fi
echo "PASS"
