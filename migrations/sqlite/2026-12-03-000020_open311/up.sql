-- Issue 12 (Open311). A public case number for every case: the city date of filing and seven
-- random symbols (domain::public_id), never derived from the tracking code or the id.
-- Existing cases are numbered here; the rare clash is drawn again before the unique index.
ALTER TABLE complaints ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
UPDATE complaints SET public_id = substr(strftime('%Y%m%d', created_at, '+8 hours'), 3) || '-' || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1);
UPDATE complaints SET public_id = substr(strftime('%Y%m%d', created_at, '+8 hours'), 3) || '-' || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) WHERE public_id IN (SELECT public_id FROM complaints GROUP BY public_id HAVING count(*) > 1);
UPDATE complaints SET public_id = substr(strftime('%Y%m%d', created_at, '+8 hours'), 3) || '-' || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) WHERE public_id IN (SELECT public_id FROM complaints GROUP BY public_id HAVING count(*) > 1);
UPDATE complaints SET public_id = substr(strftime('%Y%m%d', created_at, '+8 hours'), 3) || '-' || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) || substr('23456789ABCDEFGHJKMNPQRSTUVWXYZ', ((random() & 2147483647) % 31) + 1, 1) WHERE public_id IN (SELECT public_id FROM complaints GROUP BY public_id HAVING count(*) > 1);
CREATE UNIQUE INDEX complaints_public_id ON complaints(public_id);

-- Keys of the software that files through Open311: only a hash of each key is kept.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    limit_per_hour INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    last_used_at TIMESTAMP
);

-- The filings of the last hour per key, for its limit (older rows are pruned as it goes).
CREATE TABLE api_key_uses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    api_key_id BIGINT NOT NULL REFERENCES api_keys(id),
    used_at TIMESTAMP NOT NULL
);
CREATE INDEX api_key_uses_recent ON api_key_uses(api_key_id, used_at);
