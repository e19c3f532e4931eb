-- Failed sign-ins per (username, client address), beside the per-username count in
-- login_throttle: a username throttled by failures from one address still lets a correct
-- password through from an address that has not failed (issue 14, item 3).
CREATE TABLE login_address_throttle (
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    failures INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    PRIMARY KEY (username, address)
);
CREATE INDEX login_address_throttle_recent ON login_address_throttle(last_failure_at);
CREATE INDEX login_throttle_recent ON login_throttle(last_failure_at);
