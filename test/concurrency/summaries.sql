-- a reader: both summaries, checked, in one REPEATABLE READ snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT check_summaries();
COMMIT;
