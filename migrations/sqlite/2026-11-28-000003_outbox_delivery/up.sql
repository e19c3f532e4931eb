-- Delivery bookkeeping of the outbox (issue 4): when the last attempt was made, when an
-- operator asked for a retry (the give-up window starts again there), and the index that
-- the per-recipient daily cap counts with.
ALTER TABLE outbox ADD COLUMN last_attempt_at TIMESTAMP;
ALTER TABLE outbox ADD COLUMN retry_requested_at TIMESTAMP;
CREATE INDEX outbox_recipient_sent ON outbox(recipient, sent_at);
