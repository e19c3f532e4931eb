-- Triage: staff sessions, login throttling, the handling columns of a complaint,
-- attachments, views of personal data, and the audit trail of reference-data changes.
CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_throttle (
    username TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

ALTER TABLE complaints ADD COLUMN assignee TEXT REFERENCES users(id);
ALTER TABLE complaints ADD COLUMN designated BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE complaints ADD COLUMN returned_by TEXT;
ALTER TABLE complaints ADD COLUMN paused_since TIMESTAMP;
ALTER TABLE complaints ADD COLUMN info_requested_at TIMESTAMP;
ALTER TABLE complaints ADD COLUMN accepted_at TIMESTAMP;
ALTER TABLE complaints ADD COLUMN resolved_at TIMESTAMP;
ALTER TABLE complaints ADD COLUMN outcome TEXT;
ALTER TABLE complaints ADD COLUMN reopen_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE complaints ADD COLUMN flagged_to_office BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE complaints ADD COLUMN rating_score INTEGER;
ALTER TABLE complaints ADD COLUMN rating_comment TEXT;
ALTER TABLE complaints ADD COLUMN rated_at TIMESTAMP;
-- The deadline the case is running against now (acceptance, then finishing); NULL while
-- the clock is stopped or the case is over. The queue sorts and filters on it.
ALTER TABLE complaints ADD COLUMN current_due DATE;
UPDATE complaints SET current_due = accept_due WHERE state = 'assigned';
CREATE INDEX complaints_assignee ON complaints(assignee);
CREATE INDEX complaints_lead_due ON complaints(lead_department, current_due, id);
CREATE INDEX complaints_due ON complaints(current_due, id);

ALTER TABLE events ADD COLUMN is_opinion BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE attachments (
    id TEXT PRIMARY KEY NOT NULL,
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    event_id BIGINT REFERENCES events(id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX attachments_complaint ON attachments(complaint_id);

CREATE TABLE personal_data_views (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX personal_data_views_complaint ON personal_data_views(complaint_id);

CREATE TABLE audit_events (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    user_id TEXT REFERENCES users(id),
    entity TEXT NOT NULL,
    entity_key TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
