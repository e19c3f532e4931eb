-- The office's "category + overdue" view (issue 6): with only (current_due) indexed, the
-- overdue range of every category is read and each row fetched to check its category
-- (18 ms p50 at a million complaints); this index reads the one category's overdue cases.
-- Partial, over the running clocks only: a whole-table (category_code, current_due) index
-- led SQLite to sort a category's entire history for its newest-first list (0.5 s).
CREATE INDEX complaints_category_due ON complaints(category_code, current_due)
    WHERE current_due IS NOT NULL;
