ALTER TABLE categories DROP COLUMN rejection_reasons;
