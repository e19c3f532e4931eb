-- The deadlines still owed (the bulletin's "currently overdue", the digest): a covering
-- index on exactly the running, unpaused ones, so a million complaints read the few
-- thousand owed and not the table. `deadlines_met` goes: nothing selects on `met_at` by
-- value any more (the bulletin reads its day tallies), and without statistics SQLite
-- preferred it for `met_at IS NULL`, which reads every deadline not yet met.
DROP INDEX deadlines_met;
CREATE INDEX deadlines_owed ON deadlines(due_on, department_code, kind, complaint_id)
    WHERE met_at IS NULL AND superseded_at IS NULL AND paused_on IS NULL;
