-- Joint actions (联合执法, issue 13): the coordination office opens one against a business
-- or a set of cases, with a lead department and member departments, each with a task due
-- by a date in working days. The tasks are deadlines like a case's, kept in a table of
-- their own (a task belongs to the action, not to one complaint); the sweeper walks them
-- too, and the bulletin counts them per department.
CREATE TABLE joint_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    lead_department TEXT NOT NULL,
    state TEXT NOT NULL,
    business_id BIGINT REFERENCES businesses(id),
    outcome TEXT,
    summary TEXT,
    cancel_reason TEXT,
    version INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX joint_actions_created ON joint_actions(created_at);

-- One row per member department: its task, and the task's deadline with the sweeper's
-- marks (set once each, in the transaction that writes that effect's event and emails).
CREATE TABLE joint_action_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id BIGINT NOT NULL REFERENCES joint_actions(id),
    department_code TEXT NOT NULL,
    task TEXT NOT NULL,
    started_on DATE NOT NULL,
    due_on DATE NOT NULL,
    reported_at TIMESTAMP,
    reported_by TEXT,
    report TEXT,
    superseded_at TIMESTAMP,
    reminded_at TIMESTAMP,
    overdue_at TIMESTAMP,
    escalated_at TIMESTAMP
);
CREATE UNIQUE INDEX joint_action_members_department
    ON joint_action_members(action_id, department_code);
CREATE INDEX joint_action_members_by_department ON joint_action_members(department_code, due_on);
CREATE INDEX joint_action_members_running ON joint_action_members(due_on, id)
    WHERE reported_at IS NULL AND superseded_at IS NULL;

CREATE TABLE joint_action_cases (
    action_id BIGINT NOT NULL REFERENCES joint_actions(id),
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    added_at TIMESTAMP NOT NULL,
    PRIMARY KEY (action_id, complaint_id)
);
CREATE INDEX joint_action_cases_complaint ON joint_action_cases(complaint_id);

-- The action's timeline: who did what when (opened, reported, linked, concluded,
-- cancelled; the sweeper's reminded, overdue, escalated).
CREATE TABLE joint_action_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id BIGINT NOT NULL REFERENCES joint_actions(id),
    at TIMESTAMP NOT NULL,
    actor_user TEXT,
    kind TEXT NOT NULL,
    department_code TEXT,
    note TEXT
);
CREATE INDEX joint_action_events_action ON joint_action_events(action_id, id);
