DROP TRIGGER complaints_pass_state;
DROP TRIGGER complaint_departments_take_state;
DROP INDEX complaint_departments_state;
ALTER TABLE complaint_departments DROP COLUMN case_state;
