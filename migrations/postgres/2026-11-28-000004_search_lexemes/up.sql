-- Search lexemes exactly as the service derived them (DESIGN §6): each space-separated term
-- of `terms` is one lexeme at its position, and queries are cast to tsquery as written.
-- to_tsvector('simple', …) sent the terms through the text parser, whose idea of a letter
-- follows the database's encoding and locale: in a SQL_ASCII database it dropped every
-- Chinese character (奶粉 found nothing), in C.UTF-8 it dropped ², ½ and ①.
CREATE FUNCTION search_lexemes(terms TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(
        string_agg(
            '''' || replace(replace(term, '\', '\\'), '''', '''''') || ''':'
                || least(position, 16383),
            ' '),
        '')::tsvector
    FROM unnest(string_to_array(terms, ' ')) WITH ORDINALITY AS t(term, position)
    -- A lexeme holds at most 2047 bytes; to_tsvector skipped longer words, so does this.
    WHERE term <> '' AND octet_length(term) < 2048
$$;

ALTER TABLE complaint_search DROP COLUMN terms_tsv;
ALTER TABLE complaint_search
    ADD COLUMN terms_tsv tsvector GENERATED ALWAYS AS (search_lexemes(terms)) STORED;
CREATE INDEX complaint_search_tsv ON complaint_search USING GIN (terms_tsv);
