DROP TABLE api_key_uses;
DROP TABLE api_keys;
DROP INDEX complaints_public_id;
ALTER TABLE complaints DROP COLUMN public_id;
