DROP INDEX complaints_state_category;
DROP INDEX complaints_created_id;
