-- The supervision bulletin (issue 11) reads a period's deadline records and events by date:
-- one index per date it selects on, so a month at a million complaints reads that month.
CREATE INDEX deadlines_due ON deadlines(due_on);
CREATE INDEX deadlines_started ON deadlines(started_on);
CREATE INDEX deadlines_met ON deadlines(met_at);
CREATE INDEX deadlines_escalated ON deadlines(escalated_at) WHERE escalated_at IS NOT NULL;
CREATE INDEX events_kind_at ON events(kind, at);
CREATE INDEX complaints_rated ON complaints(rated_at) WHERE rated_at IS NOT NULL;

-- The assessment score's weights: one row, edited by administrators (audited).
CREATE TABLE assessment_weights (
    id INTEGER PRIMARY KEY,
    finished_on_time INTEGER NOT NULL,
    accepted_on_time INTEGER NOT NULL,
    satisfaction INTEGER NOT NULL,
    not_reopened INTEGER NOT NULL,
    returns_upheld INTEGER NOT NULL,
    updated_at TIMESTAMP
);
INSERT INTO assessment_weights (id, finished_on_time, accepted_on_time, satisfaction,
                                not_reopened, returns_upheld)
VALUES (1, 40, 20, 20, 10, 10);

-- The weekly digest goes once per recipient and ISO week (`2026-W49`): the row is written
-- in the transaction of its outbox row, and the key refuses a second.
CREATE TABLE digests_sent (
    recipient TEXT NOT NULL,
    week TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (recipient, week)
);
