-- check_summary.sql: the plain-SQL contenders and the functions must give
-- the same summaries (action_summary() serial and parallel against the
-- view :sum_view; account_actions() against the view :doc_view), and the
-- parallel contender's plan must really aggregate in the workers.  Raises
-- an error (psql exits non-zero) otherwise.
-- psql variables: account, session, action, doc, sum_view, doc_view.
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;
SELECT set_config('bench.action', :'action', false),
	set_config('bench.session', :'session', false),
	set_config('bench.account', :'account', false) \g /dev/null

CREATE TEMP TABLE bench_sum_sql AS SELECT number, summary FROM :sum_view;
CREATE TEMP TABLE bench_sum_agg AS
	SELECT c.number, action_summary(a.type, a.created_at) AS summary
	FROM :action a
	JOIN :session s ON s.id = a.session_id
	JOIN :account c ON c.id = s.account_id
	GROUP BY c.number;
CREATE TEMP TABLE bench_doc_sql AS SELECT doc_summary FROM :doc_view;
CREATE TEMP TABLE bench_doc_fn AS SELECT account_actions(doc) AS doc_summary FROM :doc;

-- the parallel contender, same settings as run.sh gives it ($parallel)
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
-- Not 0: with free tuple transfer, PostgreSQL 18 gathers the joined rows
-- and aggregates them in the leader alone (15 and 17 do not); a small
-- cost keeps the partial aggregation in the workers on all three.
SET parallel_tuple_cost = 0.01;
SET min_parallel_table_scan_size = 0;
CREATE TEMP TABLE bench_plan (line text);
DO $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE format('EXPLAIN (COSTS OFF)
		SELECT c.number, action_summary(a.type, a.created_at)
		FROM %s a JOIN %s s ON s.id = a.session_id JOIN %s c ON c.id = s.account_id
		GROUP BY c.number', current_setting('bench.action'),
		current_setting('bench.session'), current_setting('bench.account'))
	LOOP
		INSERT INTO bench_plan VALUES (l);
	END LOOP;
END
$$;
CREATE TEMP TABLE bench_sum_par AS
	SELECT c.number, action_summary(a.type, a.created_at) AS summary
	FROM :action a
	JOIN :session s ON s.id = a.session_id
	JOIN :account c ON c.id = s.account_id
	GROUP BY c.number;
RESET max_parallel_workers_per_gather;

SELECT
	(SELECT count(*) FROM bench_sum_sql) AS sum_rows,
	(SELECT count(*) FROM (TABLE bench_sum_sql EXCEPT TABLE bench_sum_agg) d) +
	(SELECT count(*) FROM (TABLE bench_sum_agg EXCEPT TABLE bench_sum_sql) d) AS sum_diff,
	(SELECT count(*) FROM (TABLE bench_sum_par EXCEPT TABLE bench_sum_agg) d) +
	(SELECT count(*) FROM (TABLE bench_sum_agg EXCEPT TABLE bench_sum_par) d) AS par_diff,
	(SELECT count(*) FROM bench_plan WHERE line ~ 'Partial .*Aggregate') AS partial_aggs,
	(SELECT count(*) FROM bench_sum_sql WHERE jsonb_array_length(summary) > 4) AS with_other,
	(SELECT count(*) FROM bench_doc_sql) AS doc_rows,
	(SELECT count(*) FROM (TABLE bench_doc_sql EXCEPT ALL TABLE bench_doc_fn) d) +
	(SELECT count(*) FROM (TABLE bench_doc_fn EXCEPT ALL TABLE bench_doc_sql) d) AS doc_diff
\gset c_

\echo check: summaries :c_sum_rows (:c_with_other with other types), plain SQL vs action_summary differ in :c_sum_diff, parallel vs serial in :c_par_diff, partial aggregates in the parallel plan :c_partial_aggs; documents :c_doc_rows, jsonb_array_elements SQL vs account_actions differ in :c_doc_diff

SELECT set_config('bench.check', format('%s %s %s %s %s %s %s',
	:c_sum_rows, :c_sum_diff, :c_par_diff, :c_partial_aggs, :c_with_other,
	:c_doc_rows, :c_doc_diff), false) \g /dev/null

DO $$
DECLARE
	v bigint[] := string_to_array(current_setting('bench.check'), ' ')::bigint[];
BEGIN
	IF v[1] = 0 OR v[2] <> 0 THEN
		RAISE EXCEPTION 'plain SQL and action_summary() differ on % of % accounts', v[2], v[1];
	END IF;
	IF v[3] <> 0 THEN
		RAISE EXCEPTION 'parallel and serial action_summary() differ on % accounts', v[3];
	END IF;
	IF v[4] = 0 THEN
		RAISE EXCEPTION 'the parallel contender''s plan has no partial aggregate';
	END IF;
	IF v[5] = 0 THEN
		RAISE EXCEPTION 'benchmark data has no account with other action types';
	END IF;
	IF v[6] = 0 OR v[7] <> 0 THEN
		RAISE EXCEPTION 'jsonb_array_elements SQL and account_actions() differ on % of % documents', v[7], v[6];
	END IF;
END
$$;

DROP TABLE bench_sum_sql, bench_sum_agg, bench_sum_par, bench_doc_sql, bench_doc_fn, bench_plan;
