-- settings.sql: print the settings a contender without settings of its
-- own runs with: the memory and planner settings that decide its plan and
-- its memory, with where each value comes from, and a warning naming any
-- such setting the cluster changed (shared_buffers aside, which run.sh
-- sets and explains).
\pset footer off
SELECT 'query settings: ' || string_agg(format('%s=%s', name, current_setting(name)), ', '
	ORDER BY array_position(ARRAY['work_mem', 'hash_mem_multiplier', 'maintenance_work_mem',
		'jit', 'max_parallel_workers_per_gather', 'effective_cache_size', 'random_page_cost'],
		name))
	|| format(' (jit available: %s)', CASE WHEN pg_jit_available() THEN 'yes' ELSE 'no' END)
FROM pg_settings
WHERE name IN ('work_mem', 'hash_mem_multiplier', 'maintenance_work_mem', 'jit',
	'max_parallel_workers_per_gather', 'effective_cache_size', 'random_page_cost');

SELECT coalesce('WARNING: settings that plan or run queries changed by the cluster: '
	|| string_agg(format('%s=%s (%s)', name, current_setting(name), source), ', ' ORDER BY name),
	'every setting that plans or runs queries is at its built-in default')
FROM pg_settings
WHERE (category LIKE 'Resource Usage / Memory%' OR category LIKE 'Query Tuning%'
	   OR category LIKE 'Resource Usage / Asynchronous Behavior%')
	AND name <> 'shared_buffers'
	AND source NOT IN ('default', 'override')
	AND setting IS DISTINCT FROM boot_val;
