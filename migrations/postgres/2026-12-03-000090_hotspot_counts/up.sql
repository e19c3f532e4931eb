-- The hotspot page at a million complaints (issue 13): each business keeps the count of
-- its cases filed since the window's edge, so the office's view reads the few businesses
-- with the most cases instead of counting every case of the last 30 days. The sweeper
-- moves the edge (and takes the cases it passes off the counts) once a minute.
CREATE TABLE hotspot_window (
    days INTEGER PRIMARY KEY NOT NULL,
    edge TIMESTAMP NOT NULL
);
INSERT INTO hotspot_window (days, edge)
    VALUES (30, (now() AT TIME ZONE 'UTC') - INTERVAL '30 days');

ALTER TABLE businesses ADD COLUMN recent_count BIGINT NOT NULL DEFAULT 0;
UPDATE businesses SET recent_count = recent.n
FROM (
    SELECT business_id, COUNT(*) AS n FROM complaints
    WHERE business_id IS NOT NULL
      AND created_at >= (SELECT edge FROM hotspot_window WHERE days = 30)
    GROUP BY business_id
) AS recent
WHERE recent.business_id = businesses.id;
CREATE INDEX businesses_recent ON businesses(recent_count, id);

-- The listed businesses' counts by category and department come from this index alone.
DROP INDEX complaints_business;
CREATE INDEX complaints_business
    ON complaints(business_id, created_at, category_code, lead_department);
