-- demo.sql: what accmatch does, on the seed examples and on generated data.
-- Run by test/demo.sh in a throwaway cluster.
\set ON_ERROR_STOP on
\pset footer off
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION IF NOT EXISTS accmatch;
DROP TABLE IF EXISTS accrual, payment, account, session, action, account_doc,
	alloc_accrual, alloc_payment;

\echo
\echo '== 1. Payment matching: one small example per rule'
CREATE TABLE accrual (id int, date date, month int);
CREATE TABLE payment (id int, date date, month int);
INSERT INTO accrual VALUES
	(1, '2024-01-10', 1),
	(2, '2024-02-10', 2),
	(3, '2024-03-10', 3),
	(4, '2024-04-10', 4),
	(5, NULL, 5);			-- no date: never paid
INSERT INTO payment VALUES
	(101, '2024-01-05', 1),	-- before every accrual: unmatched
	(102, '2024-03-01', 3),	-- its month's accrual is not due yet: the oldest, 1
	(103, '2024-03-15', 3),	-- same month: 3
	(104, '2024-03-15', 2),	-- same month: 2
	(105, '2024-04-10', 4),	-- 4 has the same date, not earlier; nothing left
	(106, NULL, 5);			-- no date: unmatched
TABLE accrual;
TABLE payment;

\echo 'Matches:'
SELECT payment_id, accrual_id, matched_by
FROM match_payments() WHERE accrual_id IS NOT NULL;
\echo 'Payments that found no accrual:'
SELECT payment_id FROM match_payments() WHERE accrual_id IS NULL;

\echo '== The two readings of "prefers the same month"'
TRUNCATE accrual, payment;
INSERT INTO accrual VALUES (1, '2024-01-10', 1), (2, '2024-02-10', 2);
INSERT INTO payment VALUES (1, '2024-03-01', 3), (2, '2024-03-05', 1);
\echo 'sequential (default): P1 comes first and takes the oldest, A1'
SELECT payment_id, accrual_id, matched_by FROM match_payments();
\echo 'month_first: same-month pairs first, so P2 gets A1'
SELECT payment_id, accrual_id, matched_by FROM match_payments(strategy => 'month_first');

\echo '== Allocation: the same rules with amounts'
CREATE TABLE alloc_accrual (id int, date date, month int, amount numeric(12,2));
CREATE TABLE alloc_payment (id int, date date, month int, amount numeric(12,2));
INSERT INTO alloc_accrual VALUES
	(1, '2024-01-10', 1, 100),
	(2, '2024-02-10', 2, 100),
	(3, '2024-03-10', 3, 60);		-- due after both payments
INSERT INTO alloc_payment VALUES
	(7, '2024-03-01', 2, 150),
	(8, '2024-03-05', 1, 80);
\echo '7 pays all of 2 (its month) and half of 1; 8 pays the rest of 1 and keeps 30.00 as credit'
SELECT payment_id, accrual_id, amount, matched_by
FROM allocate_payments('alloc_payment', 'alloc_accrual');
\echo 'What each accrual still owes'
SELECT a.id, a.amount - coalesce(sum(r.amount), 0) AS open
FROM alloc_accrual a
LEFT JOIN allocate_payments('alloc_payment', 'alloc_accrual') r ON r.accrual_id = a.id
GROUP BY a.id, a.amount ORDER BY a.id;
\echo 'month_first: 8 takes 80 of 1 in the month pass, so 7 gets only 20 of it'
SELECT payment_id, accrual_id, amount, matched_by
FROM allocate_payments('alloc_payment', 'alloc_accrual', 'month_first');

\echo '== 2. Action summaries: the seed document'
SELECT jsonb_pretty(account_actions($${
	"number": "7800000000000",
	"name": "Пользователь №",
	"sessions": [{
		"created_at": "2016-01-01T00:00:00Z",
		"session_id": "6QBnQhFGgDgC2FDfGwbgEaLbPMMBofPFVrVh9Pn2quooAcgxZc",
		"actions": [
			{"type": "read", "created_at": "2016-01-01T01:20:01Z"},
			{"type": "read", "created_at": "2016-01-01T01:21:13Z"},
			{"type": "create", "created_at": "2016-01-01T01:33:59Z"}
		]
	}]
}$$)) AS summary;

\echo '== The same through the aggregate, over normalized tables'
CREATE TABLE account (number text PRIMARY KEY, name text);
CREATE TABLE session (id text PRIMARY KEY, account text REFERENCES account, created_at timestamptz);
CREATE TABLE action (session text REFERENCES session, type text, created_at timestamptz);
INSERT INTO account VALUES ('7800000000000', 'Пользователь №'), ('7800000000003', 'Idle account');
INSERT INTO session VALUES ('6QBnQhFG', '7800000000000', '2016-01-01 00:00:00+00');
INSERT INTO action VALUES
	('6QBnQhFG', 'read', '2016-01-01 01:20:01+00'),
	('6QBnQhFG', 'read', '2016-01-01 01:21:13+00'),
	('6QBnQhFG', 'create', '2016-01-01 01:33:59+00');
SELECT a.number, action_summary(x.type, x.created_at) AS actions
FROM account a
LEFT JOIN session s ON s.account = a.number
LEFT JOIN action x ON x.session = s.id
GROUP BY a.number ORDER BY a.number;
\echo 'As rows:'
SELECT a.number, r.*
FROM (SELECT s.account AS number, action_summary(x.type, x.created_at) AS actions
	  FROM session s JOIN action x ON x.session = s.id GROUP BY 1) a,
	jsonb_to_recordset(a.actions) AS r(type text, last timestamptz, count bigint);

\echo '== Documents loaded from a mongoexport JSON-lines file with \\copy'
CREATE TABLE account_doc (doc jsonb);
\copy account_doc (doc) FROM 'test/demo/accounts.jsonl' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT account_actions(doc) FROM account_doc ORDER BY doc->>'number';

\echo
\echo '== 3. Generated data: 100 000 accruals and 100 000 payments'
TRUNCATE accrual, payment;
SELECT setseed(0.5) \g /dev/null
INSERT INTO accrual
SELECT g, date '2019-01-01' + (random() * 1800)::int, (random() * 60)::int
FROM generate_series(1, 100000) g ORDER BY random();
INSERT INTO payment
SELECT g, date '2019-02-01' + (random() * 1800)::int,
	CASE WHEN random() < 0.02 THEN NULL ELSE (random() * 62)::int END
FROM generate_series(1, 100000) g ORDER BY random();
ANALYZE accrual, payment;
\timing on
SELECT coalesce(matched_by, 'unmatched') AS matched_by, count(*)
FROM match_payments() GROUP BY 1 ORDER BY 1;
SELECT coalesce(matched_by, 'unmatched') AS matched_by, count(*)
FROM match_payments(strategy => 'month_first') GROUP BY 1 ORDER BY 1;
\timing off

\echo '== Generated actions: 200 000 actions over 20 000 accounts'
TRUNCATE action;
DELETE FROM session;
DELETE FROM account;
INSERT INTO account SELECT 'acc' || g, 'Account ' || g FROM generate_series(1, 20000) g;
INSERT INTO session SELECT 's' || g, 'acc' || (1 + g % 20000), timestamptz '2024-01-01' + g * interval '1 minute'
FROM generate_series(1, 60000) g;
INSERT INTO action
SELECT 's' || (1 + (random() * 59999)::int),
	(ARRAY['create', 'read', 'read', 'update', 'delete'])[1 + (random() * 4)::int],
	timestamptz '2024-01-01' + random() * interval '365 days'
FROM generate_series(1, 200000) g;
ANALYZE account, session, action;
\timing on
SELECT s.account AS number, action_summary(x.type, x.created_at) AS actions
FROM session s JOIN action x ON x.session = s.id
GROUP BY s.account ORDER BY s.account LIMIT 3;
\timing off
