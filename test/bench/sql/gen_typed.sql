-- gen_typed.sql: the matching tables again with other types of id, for
-- match_payments_typed(): the same rows in the same storage order (random,
-- see gen_match.sql), only the id replaced by one drawn at random, so that
-- the ids' order is unrelated to the order the rows are stored in.
--
--   uuid:  an md5 of the seed, the table and the row's integer id;
--   text:  'PAY-' or 'ACR-' and 12 digits (16 bytes), the digits a random
--          permutation of 1 to n, under the "C" collation;
--   lang:  the same text ids under the language collation :lang.
--
-- psql variables: acc, pay (the integer tables), acc_uuid, pay_uuid,
-- acc_text, pay_text, acc_lang, pay_lang (the tables to create), lang (a
-- collation name, or empty for none), seed.

SET client_min_messages = warning;
-- one backend, so that each table is written in the order of the rows read
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS :acc_uuid, :pay_uuid, :acc_text, :pay_text, :acc_lang, :pay_lang;

CREATE TABLE :acc_uuid AS
SELECT md5(:'seed' || '/accrual/' || id)::uuid AS id, date, month, account_id, amount
FROM :acc ORDER BY ctid;
CREATE TABLE :pay_uuid AS
SELECT md5(:'seed' || '/payment/' || id)::uuid AS id, date, month, account_id, amount
FROM :pay ORDER BY ctid;

CREATE TABLE :acc_text AS
SELECT ('ACR-' || lpad(k::text, 12, '0')) COLLATE "C" AS id, date, month, account_id, amount
FROM (SELECT a.ctid AS pos, a.*, row_number() OVER (ORDER BY bench.u(a.id, :seed, 31)) AS k
	  FROM :acc a) s
ORDER BY pos;
CREATE TABLE :pay_text AS
SELECT ('PAY-' || lpad(k::text, 12, '0')) COLLATE "C" AS id, date, month, account_id, amount
FROM (SELECT p.ctid AS pos, p.*, row_number() OVER (ORDER BY bench.u(p.id, :seed, 30)) AS k
	  FROM :pay p) s
ORDER BY pos;

SELECT :'lang' <> '' AS bench_has_lang \gset
\if :bench_has_lang
CREATE TABLE :acc_lang AS
SELECT id COLLATE :"lang" AS id, date, month, account_id, amount FROM :acc_text ORDER BY ctid;
CREATE TABLE :pay_lang AS
SELECT id COLLATE :"lang" AS id, date, month, account_id, amount FROM :pay_text ORDER BY ctid;
VACUUM ANALYZE :acc_lang;
VACUUM ANALYZE :pay_lang;
\endif

VACUUM ANALYZE :acc_uuid;
VACUUM ANALYZE :pay_uuid;
VACUUM ANALYZE :acc_text;
VACUUM ANALYZE :pay_text;
