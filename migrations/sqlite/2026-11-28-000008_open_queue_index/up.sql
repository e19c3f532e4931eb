-- PostgreSQL gets a partial index for a clerk's default view here; SQLite already reads
-- that view in deadline order from (lead_department, current_due, id) (2.4 ms p50 at a
-- million complaints). Kept so that both backends list the same migrations.
SELECT 1;
