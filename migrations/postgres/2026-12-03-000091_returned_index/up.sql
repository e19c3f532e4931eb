-- The office's count of returned cases awaiting designation (issue 15): with only the
-- (state, category_code) index, every case in `assigned` was read to find the few
-- returned ones; this index holds exactly the condition, so the count reads those few.
CREATE INDEX complaints_returned ON complaints(state, designated, returned_by);
