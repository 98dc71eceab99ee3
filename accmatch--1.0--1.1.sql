/* accmatch--1.0--1.1.sql: update accmatch from 1.0 to 1.1 */

\echo Use "ALTER EXTENSION accmatch UPDATE TO '1.1'" to load this file. \quit

-- 1.1 keeps every object of 1.0 unchanged; what 1.1 adds is created below,
-- exactly as in accmatch--1.1.sql (sql/upgrade.sql compares the two).
