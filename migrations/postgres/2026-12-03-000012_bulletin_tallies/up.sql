-- The bulletin's figures added up by day (issue 11: a month at a million complaints in a
-- few milliseconds): what each case's settled facts add to a day, per family (`department`,
-- `district`, `category`, each by department for a supervisor's view, and `city`), kept in
-- the transaction that changes the case. `value` is the working days of a median's
-- measure or a rating's score.
CREATE TABLE bulletin_tallies (
    family TEXT NOT NULL,
    day DATE NOT NULL,
    department_code TEXT NOT NULL,
    group_key TEXT NOT NULL,
    measure TEXT NOT NULL,
    value INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (family, day, department_code, group_key, measure, value)
);

-- The tallies are computed from the cases once, by the first start after this migration.
CREATE TABLE bulletin_state (
    id INTEGER PRIMARY KEY,
    tallies_built BOOLEAN NOT NULL
);
INSERT INTO bulletin_state (id, tallies_built) VALUES (1, FALSE);
