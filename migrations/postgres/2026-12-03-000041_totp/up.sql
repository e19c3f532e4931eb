-- Staff second factor (TOTP, RFC 6238; issue 14). The secret is sealed with a key derived
-- from SECRET_KEY (ChaCha20-Poly1305); `last_step` is the time step of the last code
-- accepted, so a code is never taken twice. Recovery codes are stored as keyed hashes.
CREATE TABLE totp_enrolments (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id),
    sealed_secret TEXT NOT NULL,
    confirmed_at TIMESTAMP,
    last_step BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE TABLE totp_recovery_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    used_at TIMESTAMP
);
CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes(user_id);
-- A password that passed for an enrolled user: the browser holds the id (hashed here)
-- until the second step turns it into a session.
CREATE TABLE pending_sign_ins (
    id_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_sign_ins_user ON pending_sign_ins(user_id);
