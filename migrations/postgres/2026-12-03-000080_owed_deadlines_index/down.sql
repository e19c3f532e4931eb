DROP INDEX deadlines_owed;
CREATE INDEX deadlines_met ON deadlines(met_at);
