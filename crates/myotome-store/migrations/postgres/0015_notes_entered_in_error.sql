-- Myotome schema, version 15, postgres: a procedure note marked entered in error — written on
-- the wrong chart or for a visit that did not happen. The note stays as it was, signature and
-- addenda included; this row says who marked it, when and why. A mark is never changed or
-- removed, and a note is marked once.

CREATE TABLE note_errors (
    note_id BIGINT PRIMARY KEY REFERENCES procedure_notes (id),
    reason  TEXT   NOT NULL,
    at      TEXT   NOT NULL,
    by_user BIGINT REFERENCES users (id)
);

CREATE FUNCTION myotome_note_error_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a note marked entered in error stays marked';
END;
$$;
CREATE TRIGGER note_errors_are_kept BEFORE UPDATE OR DELETE ON note_errors
FOR EACH ROW EXECUTE FUNCTION myotome_note_error_guard();
