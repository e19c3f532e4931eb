DROP INDEX complaints_business;
CREATE INDEX complaints_business ON complaints(business_id, created_at);
DROP INDEX businesses_recent;
ALTER TABLE businesses DROP COLUMN recent_count;
DROP TABLE hotspot_window;
