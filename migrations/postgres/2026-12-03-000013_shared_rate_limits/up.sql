-- Hits of the per-address limits (filing, tracking, sign-in, code recovery) kept in the
-- database so that instances sharing one PostgreSQL server count against one limit
-- (issue 15). A row per limit, client bucket and minute; a limit's window is the last
-- sixty minutes' rows, and older rows are deleted by the housekeeping pass. On SQLite,
-- where one instance serves, the limits stay in memory and this table stays empty.
CREATE TABLE rate_limit_hits (
    limit_name TEXT NOT NULL,
    bucket TEXT NOT NULL,
    minute BIGINT NOT NULL,
    hits INTEGER NOT NULL,
    PRIMARY KEY (limit_name, bucket, minute)
);
