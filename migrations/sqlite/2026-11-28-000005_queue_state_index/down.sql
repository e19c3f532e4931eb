DROP INDEX complaints_state_created;
