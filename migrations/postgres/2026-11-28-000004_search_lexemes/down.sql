ALTER TABLE complaint_search DROP COLUMN terms_tsv;
ALTER TABLE complaint_search
    ADD COLUMN terms_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED;
CREATE INDEX complaint_search_tsv ON complaint_search USING GIN (terms_tsv);
DROP FUNCTION search_lexemes(TEXT);
