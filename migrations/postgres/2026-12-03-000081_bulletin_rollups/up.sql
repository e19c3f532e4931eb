-- The day tallies rolled up by calendar month and by week part (a Monday-to-Sunday week
-- cut at the month's ends), kept by the same statements' transaction as the day rows: a
-- bulletin reads whole months and week parts from here and only the days left over from
-- `bulletin_tallies` (issue 11: a month at a million complaints in a few milliseconds).
-- Counts add up, so the figures are the same as from the days.
CREATE TABLE bulletin_rollups (
    family TEXT NOT NULL,
    grain TEXT NOT NULL,
    starts_on DATE NOT NULL,
    department_code TEXT NOT NULL,
    group_key TEXT NOT NULL,
    measure TEXT NOT NULL,
    value INTEGER NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (family, grain, starts_on, department_code, group_key, measure, value)
);

-- From the day rows already kept (a database whose tallies are still to be built gets
-- both at its first start): the week parts, then the months from the week parts (a week
-- part never leaves its month), which groups far fewer rows than the days. In key order,
-- so that a period's rows lie together (PostgreSQL keeps rows in the order written).
-- Room to group a million complaints' day rows in memory (this transaction only).
SET LOCAL work_mem = '256MB';
INSERT INTO bulletin_rollups (family, grain, starts_on, department_code, group_key, measure,
                              value, count)
SELECT family, 'week',
       GREATEST(date_trunc('week', day)::date, date_trunc('month', day)::date),
       department_code, group_key, measure, value, SUM(count)
FROM bulletin_tallies
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7;
INSERT INTO bulletin_rollups (family, grain, starts_on, department_code, group_key, measure,
                              value, count)
SELECT family, 'month', date_trunc('month', starts_on)::date, department_code, group_key,
       measure, value, SUM(count)
FROM bulletin_rollups
WHERE grain = 'week'
GROUP BY 1, 2, 3, 4, 5, 6, 7
ORDER BY 1, 2, 3, 4, 5, 6, 7;
