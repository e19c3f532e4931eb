-- SQLite's search table loses its stored copy of the terms here; PostgreSQL's keeps its
-- column (the generated tsvector is built from it). Kept so that both backends list the
-- same migrations.
SELECT 1;
