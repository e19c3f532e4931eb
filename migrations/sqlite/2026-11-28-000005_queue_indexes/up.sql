-- Two indexes for the queue at a million complaints (issue 6):
-- * newest first is `ORDER BY created_at DESC, id DESC`: with only (created_at) indexed,
--   SQLite 3.53 scans and sorts the whole table (0.4–0.6 s) instead of reading 51 rows;
-- * the state counts (db::queue::count_by_state) count each state apart, up to a cap; the
--   office usually narrows by category, which this index answers without the table.
CREATE INDEX complaints_created_id ON complaints(created_at, id);
CREATE INDEX complaints_state_category ON complaints(state, category_code);
