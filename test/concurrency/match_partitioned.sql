-- a reader: match per account and check, in one REPEATABLE READ snapshot
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT check_matching('sequential', 'account');
COMMIT;
