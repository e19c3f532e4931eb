-- The terms are not stored in the contentless table: they cannot be read back, so a
-- downgrade leaves an empty search table with content (new filings are searchable again).
DROP TABLE complaint_search;
CREATE VIRTUAL TABLE complaint_search USING fts5(complaint_id UNINDEXED, terms, tokenize = 'unicode61');
