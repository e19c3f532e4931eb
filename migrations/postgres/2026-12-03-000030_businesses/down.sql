DROP TABLE complaint_links;
DROP INDEX complaints_business;
ALTER TABLE complaints DROP COLUMN business_id;
DROP TABLE businesses;
