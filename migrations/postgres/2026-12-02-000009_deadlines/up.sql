-- Deadline records (issue 10): one row per deadline a department runs against, written
-- in the transaction of the filing or action that starts, meets, moves or supersedes it.
-- The sweeper's markers (reminded, overdue, escalated) are set once each, in the
-- transaction that writes the event and the outbox row of that effect. `paused_on` is the
-- city date the clock stopped; a restart moves `due_on` by the working days stopped.
CREATE TABLE deadlines (
    id BIGSERIAL PRIMARY KEY,
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    department_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    started_on DATE NOT NULL,
    due_on DATE NOT NULL,
    paused_on DATE,
    met_at TIMESTAMP,
    superseded_at TIMESTAMP,
    reminded_at TIMESTAMP,
    overdue_at TIMESTAMP,
    escalated_at TIMESTAMP
);
CREATE INDEX deadlines_complaint ON deadlines(complaint_id);
-- The sweeper walks the running deadlines by due date.
CREATE INDEX deadlines_running ON deadlines(due_on, id)
    WHERE met_at IS NULL AND superseded_at IS NULL;
-- The bulletin counts a department's deadlines of a period.
CREATE INDEX deadlines_department ON deadlines(department_code, due_on);

-- Backfill: the deadlines of the cases filed before this migration, as their rows tell.
-- Acceptance: met when accepted (or decided otherwise), superseded when the case ended
-- without a decision.
INSERT INTO deadlines (complaint_id, department_code, kind, started_on, due_on, met_at,
                       superseded_at)
SELECT id, lead_department, 'accept', CAST(created_at + INTERVAL '8 hours' AS DATE), accept_due,
       CASE WHEN accepted_at IS NOT NULL THEN accepted_at
            WHEN state = 'rejected' THEN updated_at END,
       CASE WHEN accepted_at IS NULL AND state IN ('withdrawn', 'closed', 'resolved')
            THEN updated_at END
FROM complaints;

-- Finishing: met when resolved, superseded when withdrawn or rejected before.
INSERT INTO deadlines (complaint_id, department_code, kind, started_on, due_on, paused_on,
                       met_at, superseded_at)
SELECT id, lead_department, 'finish', CAST(COALESCE(accepted_at, created_at) + INTERVAL '8 hours' AS DATE), finish_due, CAST(paused_since + INTERVAL '8 hours' AS DATE),
       resolved_at,
       CASE WHEN resolved_at IS NULL AND state IN ('withdrawn', 'rejected', 'closed')
            THEN updated_at END
FROM complaints
WHERE finish_due IS NOT NULL;

-- Opinions: met by the co-handler's first opinion, superseded when the case is over.
INSERT INTO deadlines (complaint_id, department_code, kind, started_on, due_on, met_at,
                       superseded_at)
SELECT cd.complaint_id, cd.department_code, 'opinion', CAST(cd.added_at + INTERVAL '8 hours' AS DATE), cd.opinion_due,
       (SELECT MIN(e.at) FROM events e
         WHERE e.complaint_id = cd.complaint_id AND e.department_code = cd.department_code
           AND e.is_opinion),
       CASE WHEN c.state NOT IN ('assigned', 'accepted', 'awaiting_info') THEN c.updated_at END
FROM complaint_departments cd JOIN complaints c ON c.id = cd.complaint_id;
