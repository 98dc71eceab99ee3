-- views_summary.sql: the plain-SQL contenders of the summary benchmark, as
-- views (a view is planned as its query): sum_view gives (number, summary)
-- per account number from the normalized tables, doc_view gives
-- (doc, doc_summary) per account document.  Both produce exactly what
-- action_summary() and account_actions() return.
-- psql variables: account, session, action, doc, sum_view, doc_view.

-- count and max per (number, type), pivoted to the four types by a join
-- with them (other types after, in byte order), then jsonb_agg
CREATE OR REPLACE VIEW :sum_view AS
WITH per_type AS (
	SELECT c.number, a.type, count(*) AS n, max(a.created_at) AS last
	FROM :action a
	JOIN :session s ON s.id = a.session_id
	JOIN :account c ON c.id = s.account_id
	WHERE a.type IS NOT NULL
	GROUP BY c.number, a.type
), wanted AS (
	SELECT n.number, t.type, t.ord
	FROM (SELECT DISTINCT number FROM per_type) n
	CROSS JOIN (VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)) t(type, ord)
	UNION ALL
	SELECT number, type, 5 FROM per_type
	WHERE type NOT IN ('create', 'read', 'update', 'delete')
)
SELECT w.number,
	jsonb_agg(jsonb_build_object('type', w.type, 'last', p.last, 'count', coalesce(p.n, 0))
			  ORDER BY w.ord, w.type COLLATE "C") AS summary
FROM wanted w
LEFT JOIN per_type p ON p.number = w.number AND p.type = w.type
GROUP BY w.number;

-- the same from each document, with jsonb_array_elements
CREATE OR REPLACE VIEW :doc_view AS
SELECT d.doc, jsonb_build_object('number', d.doc -> 'number', 'actions', (
	SELECT jsonb_agg(jsonb_build_object('type', coalesce(t.type, p.type),
										'last', p.last,
										'count', coalesce(p.n, 0))
					 ORDER BY coalesce(t.ord, 5), coalesce(t.type, p.type) COLLATE "C")
	FROM (
		SELECT e.type, count(*) AS n, max(e.created_at) AS last
		FROM (
			SELECT a ->> 'type' AS type, (a ->> 'created_at')::timestamptz AS created_at
			FROM jsonb_array_elements(d.doc -> 'sessions') s,
				jsonb_array_elements(s -> 'actions') a
		) e
		WHERE e.type IS NOT NULL
		GROUP BY e.type
	) p
	FULL JOIN (VALUES ('create', 1), ('read', 2), ('update', 3), ('delete', 4)) t(type, ord)
		ON t.type = p.type
)) AS doc_summary
FROM :doc d;
