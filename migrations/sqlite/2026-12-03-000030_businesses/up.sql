-- Businesses (issue 13): the shop or company behind complaints, recognised by its unified
-- social credit code anywhere, else by (district, name key); `merged_into` points a record
-- that staff found to be the same business at the one that continues.
CREATE TABLE businesses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    credit_code TEXT,
    district_code TEXT NOT NULL,
    name_key TEXT NOT NULL,
    name TEXT NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    merged_into BIGINT REFERENCES businesses(id)
);
CREATE UNIQUE INDEX businesses_credit_code ON businesses(credit_code)
    WHERE credit_code IS NOT NULL;
CREATE UNIQUE INDEX businesses_name ON businesses(district_code, name_key)
    WHERE credit_code IS NULL;
CREATE INDEX businesses_name_any ON businesses(district_code, name_key);

-- Set in the filing transaction; cases filed before this migration are linked by
-- `green-channel rebuild-businesses`.
ALTER TABLE complaints ADD COLUMN business_id BIGINT REFERENCES businesses(id);
CREATE INDEX complaints_business ON complaints(business_id, created_at);

-- Cases about the same business and category found at filing (`possible_duplicate`: the
-- same contact; `related`: anybody else), or linked by staff (`related`). One row per
-- pair, from the later case to the earlier one.
CREATE TABLE complaint_links (
    complaint_id TEXT NOT NULL REFERENCES complaints(id),
    other_id TEXT NOT NULL REFERENCES complaints(id),
    kind TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (complaint_id, other_id)
);
CREATE INDEX complaint_links_other ON complaint_links(other_id);
