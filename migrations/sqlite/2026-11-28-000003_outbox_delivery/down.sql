DROP INDEX outbox_recipient_sent;
ALTER TABLE outbox DROP COLUMN retry_requested_at;
ALTER TABLE outbox DROP COLUMN last_attempt_at;
