DROP TRIGGER complaints_copy_to_co_handlers;
DROP TRIGGER complaint_departments_copy_case;
DROP INDEX complaint_departments_queue;
ALTER TABLE complaint_departments DROP COLUMN case_due;
ALTER TABLE complaint_departments DROP COLUMN case_lead;
ALTER TABLE complaint_departments DROP COLUMN case_state;
