-- a reader: match and check, in one REPEATABLE READ snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT check_matching('sequential');
COMMIT;
