-- PostgreSQL's search column changes here (each stored term one lexeme); the FTS5 table
-- already takes the terms as they are. Kept so that both backends list the same migrations.
SELECT 1;
