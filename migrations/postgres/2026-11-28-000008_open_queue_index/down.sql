DROP INDEX complaints_lead_due_open;
