DROP INDEX complaints_category_due;
