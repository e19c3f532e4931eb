-- The queue counts each state apart (db::queue::count_by_state) and lists one state by
-- filing date: both start from the state (issue 6, benchmark at a million complaints).
CREATE INDEX complaints_state_created ON complaints(state, created_at);
