-- the writer: a payment and an accrual, an action, an action in a document
\set account random(1, 500)
\set day random(0, 760)
\set month random(1, 24)
\set docid random(1, 200)
BEGIN;
INSERT INTO payment VALUES (nextval('payment_id_seq'), date '2023-01-01' + :day, :month, :account);
INSERT INTO accrual VALUES (nextval('accrual_id_seq'), date '2023-01-01' + :day - 20, 1 + :month % 24, :account);
INSERT INTO action VALUES (:account, (ARRAY['create', 'read', 'update', 'delete', 'login'])[1 + :day % 5], now());
UPDATE doc SET doc = jsonb_insert(doc, '{sessions,0,actions,0}',
	jsonb_build_object('type', 'read', 'created_at', jsonb_build_object('$date', 1451606400000 + :day)))
WHERE id = :docid;
COMMIT;
