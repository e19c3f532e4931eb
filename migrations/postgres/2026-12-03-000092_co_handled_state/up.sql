-- Each co-handled case's state, kept on its co-handling rows by triggers, so that a
-- department finds its co-handled cases in a state from its own index (issue 15: the clerk
-- of a department co-handling 80,000 cases read every one of them for the 4,500 open).
ALTER TABLE complaint_departments ADD COLUMN case_state TEXT NOT NULL DEFAULT '';
UPDATE complaint_departments
SET case_state = complaints.state
FROM complaints
WHERE complaints.id = complaint_departments.complaint_id;
CREATE INDEX complaint_departments_state
    ON complaint_departments(department_code, case_state, complaint_id);

CREATE FUNCTION complaint_departments_take_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.case_state := COALESCE((SELECT state FROM complaints WHERE id = NEW.complaint_id), '');
    RETURN NEW;
END
$$;
CREATE TRIGGER complaint_departments_take_state BEFORE INSERT ON complaint_departments
    FOR EACH ROW EXECUTE FUNCTION complaint_departments_take_state();

CREATE FUNCTION complaints_pass_state() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE complaint_departments SET case_state = NEW.state WHERE complaint_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER complaints_pass_state AFTER UPDATE OF state ON complaints
    FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state)
    EXECUTE FUNCTION complaints_pass_state();
