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

-- A marked note takes nothing more: no save, no signature, no addendum. Only a chart merge
-- may still move it to the kept chart (its patient, nothing else). Marking and every write on
-- a note first lock the note's row, so a write racing a mark waits for it and then sees it.
CREATE FUNCTION myotome_marked_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'note_addenda' THEN
        IF EXISTS (SELECT 1 FROM note_errors WHERE note_id = NEW.note_id) THEN
            RAISE EXCEPTION 'the note is marked entered in error: nothing more is written on it';
        END IF;
    ELSIF EXISTS (SELECT 1 FROM note_errors WHERE note_id = OLD.id) AND (
        NEW.document IS DISTINCT FROM OLD.document OR NEW.version IS DISTINCT FROM OLD.version
        OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
        OR NEW.signature IS DISTINCT FROM OLD.signature) THEN
        RAISE EXCEPTION 'the note is marked entered in error: nothing more is written on it';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER procedure_notes_marked_are_closed BEFORE UPDATE ON procedure_notes
FOR EACH ROW EXECUTE FUNCTION myotome_marked_note_guard();
CREATE TRIGGER note_addenda_not_on_marked BEFORE INSERT ON note_addenda
FOR EACH ROW EXECUTE FUNCTION myotome_marked_note_guard();
