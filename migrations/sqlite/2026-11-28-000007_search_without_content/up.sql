-- The search table keeps only what a search reads back: the complaint's id. A table with
-- content reads each hit's whole stored row, the indexed terms included (kilobytes, often
-- past the page into overflow pages), just to give the id: 6–9 ms for the newest 1,024 hits
-- of a common word at a million complaints (issue 6). Contentless, the terms live only in
-- the index, and `contentless_unindexed` keeps the id in a small table of its own
-- (SQLite 3.48 and later; the bundled SQLite is newer). Rowids are kept: they are the
-- filing order that a search lists its hits in.
-- Through a copy, not a rename: SQLite 3.53 leaves a renamed table of this kind malformed.
CREATE TEMP TABLE complaint_search_copy AS
    SELECT rowid AS seq, complaint_id, terms FROM complaint_search;
DROP TABLE complaint_search;
CREATE VIRTUAL TABLE complaint_search USING fts5(
    complaint_id UNINDEXED, terms, tokenize = 'unicode61',
    content = '', contentless_delete = 1, contentless_unindexed = 1
);
INSERT INTO complaint_search (rowid, complaint_id, terms)
    SELECT seq, complaint_id, terms FROM complaint_search_copy ORDER BY seq;
DROP TABLE complaint_search_copy;
