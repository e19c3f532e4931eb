DROP INDEX complaints_returned;
