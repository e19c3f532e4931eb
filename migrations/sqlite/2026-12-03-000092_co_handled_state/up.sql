-- Each co-handled case's state, kept on its co-handling rows by triggers, so that a
-- department finds its co-handled cases in a state from its own index (issue 15: the clerk
-- of a department co-handling 80,000 cases read every one of them for the 4,500 open).
ALTER TABLE complaint_departments ADD COLUMN case_state TEXT NOT NULL DEFAULT '';
UPDATE complaint_departments
SET case_state = (SELECT state FROM complaints WHERE complaints.id = complaint_departments.complaint_id);
CREATE INDEX complaint_departments_state
    ON complaint_departments(department_code, case_state, complaint_id);

CREATE TRIGGER complaint_departments_take_state AFTER INSERT ON complaint_departments
BEGIN
    UPDATE complaint_departments
    SET case_state = COALESCE((SELECT state FROM complaints WHERE id = NEW.complaint_id), '')
    WHERE complaint_id = NEW.complaint_id AND department_code = NEW.department_code;
END;

CREATE TRIGGER complaints_pass_state AFTER UPDATE OF state ON complaints
WHEN NEW.state IS NOT OLD.state
BEGIN
    UPDATE complaint_departments SET case_state = NEW.state WHERE complaint_id = NEW.id;
END;
