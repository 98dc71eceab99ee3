--
-- match_ids: ids of other types than the integers, on hand-checked tables.
-- Ids break ties between rows of the same date, in the id type's btree
-- order (for text under the id column's collation), and must be unique;
-- match_payments_typed() and allocate_payments_typed() return them as
-- the type of their first argument.
--
CREATE EXTENSION IF NOT EXISTS accmatch;

\pset null '(null)'

-- try(query) (sql/setup.sql) shows the SQLSTATE and message of a failure

--
-- uuid ids, inserted in an order unrelated to theirs.  Three accruals of
-- one date and month, c..., a..., b...; payments d... and f... of month
-- 1 and e... of month 2, all of one date.  Sequential takes the payments
-- in id order d, e, f: d takes a by month, e finds no month 2 and takes
-- the oldest left, b; f takes c by month.  month_first: the month pass
-- gives a to d and b to f, the oldest pass c to e.
--
CREATE TABLE acc_u (id uuid, date date, month int);
CREATE TABLE pay_u (id uuid, date date, month int);
INSERT INTO acc_u VALUES
	('cccccccc-0000-4000-8000-000000000003', '2024-01-01', 1),
	('aaaaaaaa-0000-4000-8000-000000000001', '2024-01-01', 1),
	('bbbbbbbb-0000-4000-8000-000000000002', '2024-01-01', 1);
INSERT INTO pay_u VALUES
	('ffffffff-0000-4000-8000-000000000006', '2024-02-01', 1),
	('dddddddd-0000-4000-8000-000000000004', '2024-02-01', 1),
	('eeeeeeee-0000-4000-8000-000000000005', '2024-02-01', 2);
SELECT * FROM match_payments_typed(NULL::uuid, 'pay_u', 'acc_u')
ORDER BY payment_id;
SELECT * FROM match_payments_typed(NULL::uuid, 'pay_u', 'acc_u', 'month_first')
ORDER BY payment_id;
-- the result columns have the ids' type; named arguments work too
SELECT pg_typeof(payment_id) AS payment_id, pg_typeof(accrual_id) AS accrual_id,
	count(*)
FROM match_payments_typed(NULL::uuid, accruals => 'acc_u', payments => 'pay_u')
GROUP BY 1, 2;
-- ids that differ only in their last bytes (a long shared prefix) sort
-- the same way: the same matching with the ids' first 12 bytes equal
CREATE TABLE acc_u2 AS
SELECT ('00000000-0000-0000-0000-0000' || substr(id::text, 1, 8))::uuid AS id,
	date, month FROM acc_u;
CREATE TABLE pay_u2 AS
SELECT ('00000000-0000-0000-0000-0000' || substr(id::text, 1, 8))::uuid AS id,
	date, month FROM pay_u;
SELECT * FROM match_payments_typed(NULL::uuid, 'pay_u2', 'acc_u2')
ORDER BY payment_id;

-- allocate_payments_typed() on uuid ids: amounts 5, 3, 4 owed by a, b,
-- c; d pays 6 (month 1: a 5, then b 1), e pays 2 (month 2, none: b 2),
-- f pays 9 (month 1: c 4 and 5 left over).  Rows in the function's
-- order: payments by (date, id), each one's accruals in the order taken.
ALTER TABLE acc_u ADD COLUMN amount numeric;
ALTER TABLE pay_u ADD COLUMN amount numeric;
UPDATE acc_u SET amount = CASE substr(id::text, 1, 1) WHEN 'a' THEN 5 WHEN 'b' THEN 3 ELSE 4 END;
UPDATE pay_u SET amount = CASE substr(id::text, 1, 1) WHEN 'd' THEN 6 WHEN 'e' THEN 2 ELSE 9 END;
SELECT * FROM allocate_payments_typed(NULL::uuid, 'pay_u', 'acc_u');
SELECT pg_typeof(payment_id) AS payment_id, pg_typeof(accrual_id) AS accrual_id,
	count(*)
FROM allocate_payments_typed(NULL::uuid, 'pay_u', 'acc_u', 'month_first')
GROUP BY 1, 2;

--
-- text ids under two collations that order them differently: "C" puts
-- upper case first ('B' < 'a'), ICU's English puts 'a' before 'B'.
-- Accruals 'a' and 'B' of one date, payments 'x' then 'y' of one date,
-- of a month no accrual has: 'x' takes the first accrual in id order.
--
CREATE TABLE acc_c (id text COLLATE "C", date date, month int);
CREATE TABLE pay_c (id text COLLATE "C", date date, month int);
INSERT INTO acc_c VALUES ('a', '2024-01-01', 1), ('B', '2024-01-01', 1);
INSERT INTO pay_c VALUES ('y', '2024-02-01', 9), ('x', '2024-02-01', 9);
CREATE TABLE acc_icu (id text COLLATE "en-x-icu", date date, month int);
CREATE TABLE pay_icu (id text COLLATE "en-x-icu", date date, month int);
INSERT INTO acc_icu SELECT * FROM acc_c;
INSERT INTO pay_icu SELECT * FROM pay_c;
-- "C": x takes B, y takes a
SELECT * FROM match_payments_typed(NULL::text, 'pay_c', 'acc_c') ORDER BY payment_id;
-- en-x-icu: x takes a, y takes B
SELECT * FROM match_payments_typed(NULL::text, 'pay_icu', 'acc_icu') ORDER BY payment_id;
-- the payments' order too: 'X' and 'y' under "C" ('X' first) and under
-- ICU ('X' first as well), 'x' and 'Y' ('Y' first under "C" only); one
-- accrual, so only the first payment in id order is matched
TRUNCATE acc_c, pay_c, acc_icu, pay_icu;
INSERT INTO acc_c VALUES ('k', '2024-01-01', 1);
INSERT INTO pay_c VALUES ('x', '2024-02-01', 1), ('Y', '2024-02-01', 1);
INSERT INTO acc_icu SELECT * FROM acc_c;
INSERT INTO pay_icu SELECT * FROM pay_c;
SELECT 'C' AS collation, * FROM match_payments_typed(NULL::text, 'pay_c', 'acc_c')
UNION ALL
SELECT 'en-x-icu', * FROM match_payments_typed(NULL::text, 'pay_icu', 'acc_icu')
ORDER BY 1, 2;
-- text ids as the partition key's type too, keys under the payment column's
-- collation: the same choice within each key
ALTER TABLE acc_c ADD COLUMN k text;
ALTER TABLE pay_c ADD COLUMN k text;
UPDATE acc_c SET k = 'one';
UPDATE pay_c SET k = 'one';
INSERT INTO acc_c VALUES ('m', '2024-01-01', 1, 'two');
INSERT INTO pay_c VALUES ('z', '2024-02-01', 1, 'two'), ('Z', '2024-02-01', 1, 'two');
SELECT * FROM match_payments_typed(NULL::text, 'pay_c', 'acc_c', partition_by => 'k')
ORDER BY partition_key, payment_id;

-- varchar(36) ids (the type of the id_type argument: varchar), and ids
-- that are a prefix of one another: the shorter first
CREATE TABLE acc_v (id varchar(36), date date, month int);
CREATE TABLE pay_v (id varchar(36), date date, month int);
INSERT INTO acc_v VALUES ('ACC-10', '2024-01-01', 1), ('ACC-1', '2024-01-01', 1),
	('ACC-100', '2024-01-01', 1);
INSERT INTO pay_v VALUES ('PAY-2', '2024-02-01', 1), ('PAY-1', '2024-02-01', 1);
SELECT pg_typeof(payment_id), * FROM match_payments_typed(NULL::varchar, 'pay_v', 'acc_v')
ORDER BY payment_id;

-- char(n) ids: trailing blanks do not count ('ab' and 'ab ' are one id),
-- so 'ab' sorts before 'ab!' and 'ab!' before 'abc', under "C" and
-- under the database's collation alike; the ids come back as stored,
-- blank-padded
CREATE TABLE acc_b (id char(4), date date, month int);
CREATE TABLE pay_b (id char(4), date date, month int);
INSERT INTO acc_b VALUES ('abc', '2024-01-01', 1), ('ab!', '2024-01-01', 1), ('ab', '2024-01-01', 1);
INSERT INTO pay_b VALUES ('q', '2024-02-01', 9), ('r', '2024-02-01', 9);
SELECT payment_id, accrual_id, octet_length(accrual_id) AS stored_length,
	matched_by, pg_typeof(accrual_id)
FROM match_payments_typed(NULL::char(4), 'pay_b', 'acc_b') ORDER BY 1;
CREATE TABLE acc_bc (id char(4) COLLATE "C", date date, month int);
CREATE TABLE pay_bc (id char(4) COLLATE "C", date date, month int);
INSERT INTO acc_bc SELECT * FROM acc_b;
INSERT INTO pay_bc SELECT * FROM pay_b;
SELECT payment_id, accrual_id, matched_by
FROM match_payments_typed(NULL::bpchar, 'pay_bc', 'acc_bc') ORDER BY 1;
-- 'ab' and 'ab  ' are the same id: a duplicate, either collation
INSERT INTO acc_b VALUES ('ab  ', '2024-01-02', 1);
INSERT INTO acc_bc VALUES ('ab  ', '2024-01-02', 1);
SELECT try($$SELECT * FROM match_payments_typed(NULL::bpchar, 'pay_b', 'acc_b')$$);
SELECT try($$SELECT * FROM match_payments_typed(NULL::bpchar, 'pay_bc', 'acc_bc')$$);

-- numeric ids compare by value: 2 < 10 (not as text), 1.5 between 1 and 2
CREATE TABLE acc_n (id numeric, date date, month int);
CREATE TABLE pay_n (id numeric, date date, month int);
INSERT INTO acc_n VALUES (10, '2024-01-01', 1), (2, '2024-01-01', 1), (1.5, '2024-01-01', 1);
INSERT INTO pay_n VALUES (7, '2024-02-01', 9), (6.25, '2024-02-01', 9), (70, '2024-02-01', 9);
SELECT * FROM match_payments_typed(NULL::numeric, 'pay_n', 'acc_n') ORDER BY payment_id;
-- 1.0 and 1.00 are one id: a duplicate
INSERT INTO pay_n VALUES (1.0, '2024-02-02', 1), (1.00, '2024-02-03', 1);
SELECT try($$SELECT * FROM match_payments_typed(NULL::numeric, 'pay_n', 'acc_n')$$);
DELETE FROM pay_n WHERE id = 1;
-- the message shows the same spelling whichever row is stored first
INSERT INTO pay_n VALUES (1.00, '2024-02-03', 1), (1.0, '2024-02-02', 1);
SELECT try($$SELECT * FROM match_payments_typed(NULL::numeric, 'pay_n', 'acc_n')$$);
DELETE FROM pay_n WHERE id = 1;
-- With partition_by, ids need be unique only within a key: 1.0 in one
-- account and 1.00 in another are allowed, and each payment comes back
-- with its own id as stored.
CREATE TABLE acc_nk (id numeric, date date, month int, k int);
CREATE TABLE pay_nk (id numeric, date date, month int, k int);
INSERT INTO acc_nk VALUES (5, '2024-01-01', 1, 1), (6, '2024-01-01', 1, 2);
INSERT INTO pay_nk VALUES (1.0, '2024-02-01', 1, 1), (1.00, '2024-02-01', 1, 2);
SELECT payment_id::text, accrual_id, matched_by, partition_key
FROM match_payments_typed(NULL::numeric, 'pay_nk', 'acc_nk', partition_by => 'k')
ORDER BY partition_key;
ALTER TABLE acc_nk ADD COLUMN amount int DEFAULT 2;
ALTER TABLE pay_nk ADD COLUMN amount int DEFAULT 3;
SELECT payment_id::text, accrual_id::text, amount, matched_by, partition_key
FROM allocate_payments_typed(NULL::numeric, 'pay_nk', 'acc_nk', partition_by => 'k');
-- in one key they are a duplicate
UPDATE pay_nk SET k = 1;
SELECT try($$SELECT * FROM match_payments_typed(NULL::numeric, 'pay_nk', 'acc_nk', partition_by => 'k')$$);

-- a domain over uuid: id_type may be the domain or its base type
CREATE DOMAIN ids_uuid AS uuid;
CREATE TABLE acc_d (id ids_uuid, date date, month int);
CREATE TABLE pay_d (id ids_uuid, date date, month int);
INSERT INTO acc_d SELECT * FROM acc_u2;
INSERT INTO pay_d SELECT * FROM pay_u2;
SELECT * FROM match_payments_typed(NULL::ids_uuid, 'pay_d', 'acc_d') ORDER BY payment_id;
SELECT count(*) FROM match_payments_typed(NULL::uuid, 'pay_d', 'acc_d');

--
-- Integer ids: any mix of smallint, integer and bigint goes to the untyped
-- functions (bigint) and to the typed ones with NULL::bigint; NULL::int
-- needs integer ids on both sides.
--
CREATE TABLE acc_i (id bigint, date date, month int, amount int);
CREATE TABLE pay_i (id smallint, date date, month int, amount int);
INSERT INTO acc_i VALUES (9000000000, '2024-01-01', 1, 3), (2, '2024-01-01', 1, 3);
INSERT INTO pay_i VALUES (-5, '2024-02-01', 1, 4), (7, '2024-02-01', 1, 1);
SELECT pg_typeof(payment_id), * FROM match_payments('pay_i', 'acc_i') ORDER BY payment_id;
SELECT pg_typeof(payment_id), * FROM match_payments_typed(NULL::bigint, 'pay_i', 'acc_i')
ORDER BY payment_id;
SELECT pg_typeof(payment_id), * FROM allocate_payments_typed(NULL::bigint, 'pay_i', 'acc_i');
SELECT try($$SELECT * FROM match_payments_typed(NULL::int, 'pay_i', 'acc_i')$$);
SELECT try($$SELECT * FROM match_payments_typed(NULL::smallint, 'pay_i', 'acc_i')$$);
ALTER TABLE acc_i ALTER COLUMN id TYPE smallint USING (id % 1000)::smallint;
SELECT pg_typeof(payment_id), pg_typeof(accrual_id), count(*)
FROM match_payments_typed(NULL::smallint, 'pay_i', 'acc_i') GROUP BY 1, 2;
-- an integer domain is its base type
CREATE DOMAIN ids_int AS int CHECK (VALUE > 0);
CREATE TABLE acc_id (id ids_int, date date, month int);
CREATE TABLE pay_id (id ids_int, date date, month int);
INSERT INTO acc_id VALUES (3, '2024-01-01', 1), (1, '2024-01-01', 1);
INSERT INTO pay_id VALUES (2, '2024-02-01', 1);
SELECT pg_typeof(payment_id), * FROM match_payments('pay_id', 'acc_id');
SELECT pg_typeof(payment_id), * FROM match_payments_typed(NULL::int, 'pay_id', 'acc_id');

--
-- Errors (42804): ids that are not integers through the untyped
-- functions, an id_type of another type than the ids, ids of two types.
--
SELECT try($$SELECT * FROM match_payments('pay_u', 'acc_u')$$);
CREATE FUNCTION ids_error_hint(query text, OUT state text, OUT detail text, OUT hint text)
LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE query;
	state := '00000';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, detail = PG_EXCEPTION_DETAIL,
		hint = PG_EXCEPTION_HINT;
END $$;
\x on
SELECT * FROM ids_error_hint($$SELECT * FROM match_payments('pay_u', 'acc_u')$$);
SELECT * FROM ids_error_hint($$SELECT * FROM allocate_payments('pay_u', 'acc_u')$$);
SELECT * FROM ids_error_hint($$SELECT * FROM match_payments_typed(NULL::bigint, 'pay_c', 'acc_c')$$);
\x off
SELECT try($$SELECT * FROM allocate_payments('pay_u', 'acc_u')$$);
SELECT try($$SELECT * FROM match_payments('pay_c', 'acc_c')$$);
SELECT try($$SELECT * FROM match_payments_typed(NULL::text, 'pay_u', 'acc_u')$$);
SELECT try($$SELECT * FROM match_payments_typed(NULL::bigint, 'pay_u', 'acc_u')$$);
SELECT try($$SELECT * FROM allocate_payments_typed(NULL::numeric, 'pay_u', 'acc_u')$$);
-- a varchar id_type for text ids, a text one for varchar ids
SELECT try($$SELECT * FROM match_payments_typed(NULL::varchar, 'pay_c', 'acc_c')$$);
SELECT try($$SELECT * FROM match_payments_typed(NULL::text, 'pay_v', 'acc_v')$$);
-- payments with uuid ids, accruals with text ids: whichever id_type
SELECT try($$SELECT * FROM match_payments_typed(NULL::uuid, 'pay_u', 'acc_c')$$);
SELECT try($$SELECT * FROM match_payments_typed(NULL::text, 'pay_u', 'acc_c')$$);
-- an untyped NULL is no type
SELECT state FROM try_sql($$SELECT * FROM match_payments_typed(NULL, 'pay_u', 'acc_u')$$);
-- an id type without a default btree operator class
CREATE TABLE acc_p (id point, date date, month int);
CREATE TABLE pay_p (id point, date date, month int);
SELECT try($$SELECT * FROM match_payments_typed(NULL::point, 'pay_p', 'acc_p')$$);
DROP TABLE acc_p, pay_p;

--
-- Duplicate ids (23505), with the id in the message, for every type; on
-- either side, with few rows and with many, the repeated rows alone or
-- among others.
--
CREATE FUNCTION ids_dup_state(payments text, accruals text, id_type text,
	partition_by text DEFAULT NULL) RETURNS text LANGUAGE sql AS $$
	SELECT try(format('SELECT * FROM match_payments_typed(NULL::%s, %L, %L, partition_by => %L)',
		id_type, payments, accruals, partition_by))
$$;
-- uuid: the only two payments share their id (so every id shares all
-- its 16 bytes); then among others
TRUNCATE acc_u2, pay_u2;
INSERT INTO acc_u2 VALUES ('00000000-0000-0000-0000-00000000000a', '2024-01-01', 1);
INSERT INTO pay_u2 VALUES ('00000000-0000-0000-0000-0000000000b1', '2024-02-01', 1),
	('00000000-0000-0000-0000-0000000000b1', '2024-02-01', 1);
SELECT ids_dup_state('pay_u2', 'acc_u2', 'uuid');
INSERT INTO pay_u2 VALUES ('10000000-0000-0000-0000-0000000000b2', '2024-02-03', 1);
SELECT ids_dup_state('pay_u2', 'acc_u2', 'uuid');
INSERT INTO pay_u2
SELECT ('20000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, '2024-02-05', 2
FROM generate_series(1, 500) g;
SELECT ids_dup_state('pay_u2', 'acc_u2', 'uuid');
-- on the accruals' side
DELETE FROM pay_u2 WHERE id = '00000000-0000-0000-0000-0000000000b1';
INSERT INTO acc_u2 VALUES ('00000000-0000-0000-0000-00000000000a', '2024-01-02', 1);
SELECT ids_dup_state('pay_u2', 'acc_u2', 'uuid');
-- text under "C" and under a language collation, short and long ids
CREATE TABLE acc_t (id text COLLATE "C", date date, month int);
CREATE TABLE pay_t (id text COLLATE "C", date date, month int);
INSERT INTO acc_t VALUES ('A', '2024-01-01', 1);
INSERT INTO pay_t VALUES ('P-1', '2024-02-01', 1), ('P-1', '2024-02-02', 1);
SELECT ids_dup_state('pay_t', 'acc_t', 'text');
INSERT INTO pay_t VALUES ('P-2', '2024-02-03', 1);
SELECT ids_dup_state('pay_t', 'acc_t', 'text');
TRUNCATE pay_t;
INSERT INTO pay_t VALUES ('PAY-0000000000000001', '2024-02-01', 1),
	('PAY-0000000000000001', '2024-02-02', 1), ('PAY-0000000000000002', '2024-02-03', 1);
SELECT ids_dup_state('pay_t', 'acc_t', 'text');
ALTER TABLE acc_t ALTER COLUMN id TYPE text COLLATE "en-x-icu";
ALTER TABLE pay_t ALTER COLUMN id TYPE text COLLATE "en-x-icu";
SELECT ids_dup_state('pay_t', 'acc_t', 'text');
-- varchar, char(n) with and without trailing blanks, a domain
ALTER TABLE pay_t ALTER COLUMN id TYPE varchar(30);
ALTER TABLE acc_t ALTER COLUMN id TYPE varchar(30);
SELECT ids_dup_state('pay_t', 'acc_t', 'varchar');
TRUNCATE pay_t;
ALTER TABLE pay_t ALTER COLUMN id TYPE char(6) COLLATE "C";
ALTER TABLE acc_t ALTER COLUMN id TYPE char(6) COLLATE "C";
INSERT INTO pay_t VALUES ('x', '2024-02-01', 1), ('x     ', '2024-02-02', 1);
SELECT ids_dup_state('pay_t', 'acc_t', 'bpchar');
SELECT ids_dup_state('pay_d', 'acc_d', 'ids_uuid');
INSERT INTO pay_d VALUES ('00000000-0000-0000-0000-0000eeeeeeee', '2024-03-01', 1);
SELECT ids_dup_state('pay_d', 'acc_d', 'ids_uuid');
-- integers, for comparison
INSERT INTO pay_id VALUES (2, '2024-03-01', 1);
SELECT try($$SELECT * FROM match_payments('pay_id', 'acc_id')$$);
-- a date id
CREATE TABLE acc_dt (id date, date date, month int);
CREATE TABLE pay_dt (id date, date date, month int);
INSERT INTO pay_dt VALUES ('2030-01-01', '2024-02-01', 1), ('2030-01-01', '2024-02-02', 1);
SELECT ids_dup_state('pay_dt', 'acc_dt', 'date');
-- with partition_by: a repeated id within one key is refused, across
-- keys allowed
CREATE TABLE acc_uk (id uuid, date date, month int, k text);
CREATE TABLE pay_uk (id uuid, date date, month int, k text);
INSERT INTO acc_uk VALUES ('00000000-0000-0000-0000-00000000000a', '2024-01-01', 1, 'one'),
	('00000000-0000-0000-0000-00000000000a', '2024-01-01', 1, 'two');
INSERT INTO pay_uk VALUES ('00000000-0000-0000-0000-00000000000b', '2024-02-01', 1, 'one'),
	('00000000-0000-0000-0000-00000000000b', '2024-02-01', 1, 'two'),
	('00000000-0000-0000-0000-00000000000c', '2024-02-01', 1, NULL),
	('00000000-0000-0000-0000-00000000000c', '2024-02-01', 1, NULL);
SELECT * FROM match_payments_typed(NULL::uuid, 'pay_uk', 'acc_uk', partition_by => 'k')
ORDER BY partition_key, payment_id;
UPDATE pay_uk SET k = 'one' WHERE k = 'two';
SELECT ids_dup_state('pay_uk', 'acc_uk', 'uuid', 'k');
SET accmatch.partition_work_mem = '64kB';
SELECT ids_dup_state('pay_uk', 'acc_uk', 'uuid', 'k');
RESET accmatch.partition_work_mem;

--
-- A unique index proves ids distinct only when it compares them as
-- matching does: the id type's default btree operator class, under the
-- column's collation (or two deterministic ones).  An operator class
-- whose comparison never says equal lets a UNIQUE index hold repeated
-- ids: the check must still find them.
--
CREATE FUNCTION ids_never_equal_cmp(uuid, uuid) RETURNS int LANGUAGE sql IMMUTABLE
	AS $$ SELECT CASE WHEN $1 < $2 THEN -1 ELSE 1 END $$;
CREATE FUNCTION ids_never_equal_lt(uuid, uuid) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT ids_never_equal_cmp($1, $2) < 0 $$;
CREATE FUNCTION ids_never_equal_le(uuid, uuid) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT ids_never_equal_cmp($1, $2) <= 0 $$;
CREATE FUNCTION ids_never_equal_eq(uuid, uuid) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT ids_never_equal_cmp($1, $2) = 0 $$;
CREATE FUNCTION ids_never_equal_ge(uuid, uuid) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT ids_never_equal_cmp($1, $2) >= 0 $$;
CREATE FUNCTION ids_never_equal_gt(uuid, uuid) RETURNS bool LANGUAGE sql IMMUTABLE
	AS $$ SELECT ids_never_equal_cmp($1, $2) > 0 $$;
CREATE OPERATOR <<< (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = ids_never_equal_lt);
CREATE OPERATOR <<= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = ids_never_equal_le);
CREATE OPERATOR === (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = ids_never_equal_eq);
CREATE OPERATOR >>= (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = ids_never_equal_ge);
CREATE OPERATOR >>> (LEFTARG = uuid, RIGHTARG = uuid, FUNCTION = ids_never_equal_gt);
CREATE OPERATOR CLASS uuid_never_equal_ops FOR TYPE uuid USING btree AS
	OPERATOR 1 <<<, OPERATOR 2 <<=, OPERATOR 3 ===, OPERATOR 4 >>=,
	OPERATOR 5 >>>, FUNCTION 1 ids_never_equal_cmp(uuid, uuid);
CREATE TABLE acc_x (id uuid, date date, month int);
CREATE TABLE pay_x (id uuid, date date, month int);
CREATE UNIQUE INDEX pay_x_never_equal ON pay_x (id uuid_never_equal_ops);
INSERT INTO acc_x VALUES ('00000000-0000-0000-0000-00000000000a', '2024-01-01', 1);
INSERT INTO pay_x VALUES ('00000000-0000-0000-0000-0000000000b1', '2024-02-01', 1),
	('00000000-0000-0000-0000-0000000000b1', '2024-02-01', 1),
	('f0000000-0000-0000-0000-0000000000b2', '2024-02-01', 1);
-- the index took both b1 rows
SELECT count(*), count(DISTINCT id) FROM pay_x;
SELECT ids_dup_state('pay_x', 'acc_x', 'uuid');
-- a unique index of the default class (a primary key) is trusted, and
-- keeps out what the check would find
DELETE FROM pay_x WHERE ctid = (SELECT min(ctid) FROM pay_x);
ALTER TABLE pay_x ADD PRIMARY KEY (id);
SELECT * FROM match_payments_typed(NULL::uuid, 'pay_x', 'acc_x') ORDER BY payment_id;
-- text: an id column under a case-insensitive (nondeterministic)
-- collation, where 'abc' and 'ABC' are one id, and a unique index under
-- "C", which tells them apart: the index proves nothing
CREATE COLLATION ids_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE acc_ci (id text COLLATE ids_ci, date date, month int);
CREATE TABLE pay_ci (id text COLLATE ids_ci, date date, month int);
CREATE UNIQUE INDEX pay_ci_c ON pay_ci (id COLLATE "C");
INSERT INTO pay_ci VALUES ('abc', '2024-02-01', 1), ('ABD', '2024-02-01', 1);
-- ties in case-insensitive order: abc before ABD
INSERT INTO acc_ci VALUES ('b', '2024-01-01', 1), ('A', '2024-01-01', 1);
SELECT * FROM match_payments_typed(NULL::text, 'pay_ci', 'acc_ci') ORDER BY payment_id;
INSERT INTO pay_ci VALUES ('ABC', '2024-02-02', 1);
SELECT state FROM try_sql($$SELECT * FROM match_payments_typed(NULL::text, 'pay_ci', 'acc_ci')$$);
-- with partition_by, 'abc' and 'ABC' in two keys are allowed, each
-- payment with its own id
ALTER TABLE acc_ci ADD COLUMN k int;
ALTER TABLE pay_ci ADD COLUMN k int;
UPDATE acc_ci SET k = 1;
UPDATE pay_ci SET k = CASE WHEN id = 'ABC' COLLATE "C" THEN 2 ELSE 1 END;
INSERT INTO acc_ci VALUES ('c', '2024-01-01', 1, 2);
SELECT payment_id, accrual_id, matched_by, partition_key
FROM match_payments_typed(NULL::text, 'pay_ci', 'acc_ci', partition_by => 'k')
ORDER BY partition_key, payment_id COLLATE "C";

DROP FUNCTION ids_dup_state(text, text, text, text), ids_error_hint(text);
DROP TABLE acc_u, pay_u, acc_u2, pay_u2, acc_c, pay_c, acc_icu, pay_icu,
	acc_v, pay_v, acc_b, pay_b, acc_bc, pay_bc, acc_n, pay_n, acc_nk, pay_nk,
	acc_d, pay_d, acc_i, pay_i, acc_id, pay_id, acc_t, pay_t, acc_dt, pay_dt,
	acc_uk, pay_uk, acc_x, pay_x, acc_ci, pay_ci;
DROP DOMAIN ids_uuid;
DROP DOMAIN ids_int;
DROP COLLATION ids_ci;
DROP OPERATOR CLASS uuid_never_equal_ops USING btree;
DROP OPERATOR FAMILY uuid_never_equal_ops USING btree;
DROP OPERATOR <<< (uuid, uuid), <<= (uuid, uuid), === (uuid, uuid),
	>>= (uuid, uuid), >>> (uuid, uuid);
DROP FUNCTION ids_never_equal_cmp(uuid, uuid), ids_never_equal_lt(uuid, uuid),
	ids_never_equal_le(uuid, uuid), ids_never_equal_eq(uuid, uuid),
	ids_never_equal_ge(uuid, uuid), ids_never_equal_gt(uuid, uuid);
