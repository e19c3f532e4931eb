DROP TABLE digests_sent;
DROP TABLE assessment_weights;
DROP INDEX complaints_rated;
DROP INDEX events_kind_at;
DROP INDEX deadlines_escalated;
DROP INDEX deadlines_met;
DROP INDEX deadlines_started;
DROP INDEX deadlines_due;
