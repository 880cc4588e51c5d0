-- Myotome schema, version 15, sqlite: a procedure note marked entered in error — written on the
-- wrong chart or for a visit that did not happen. The note stays as it was, signature and
-- addenda included; this row says who marked it, when and why. A mark is never changed or
-- removed, and a note is marked once.

CREATE TABLE note_errors (
    note_id INTEGER PRIMARY KEY REFERENCES procedure_notes (id),
    reason  TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    by_user INTEGER REFERENCES users (id)
);

CREATE TRIGGER note_errors_are_kept_update BEFORE UPDATE ON note_errors
BEGIN
    SELECT RAISE(ABORT, 'a note marked entered in error stays marked');
END;
CREATE TRIGGER note_errors_are_kept_delete BEFORE DELETE ON note_errors
BEGIN
    SELECT RAISE(ABORT, 'a note marked entered in error stays marked');
END;

-- A marked note takes nothing more: no save, no signature, no addendum. Only a chart merge
-- may still move it to the kept chart (its patient, nothing else).
CREATE TRIGGER procedure_notes_marked_are_closed BEFORE UPDATE ON procedure_notes
WHEN EXISTS (SELECT 1 FROM note_errors WHERE note_id = OLD.id) AND (
    NEW.document IS NOT OLD.document OR NEW.version IS NOT OLD.version
    OR NEW.signed_at IS NOT OLD.signed_at OR NEW.signature IS NOT OLD.signature)
BEGIN
    SELECT RAISE(ABORT, 'the note is marked entered in error: nothing more is written on it');
END;
CREATE TRIGGER note_addenda_not_on_marked BEFORE INSERT ON note_addenda
WHEN EXISTS (SELECT 1 FROM note_errors WHERE note_id = NEW.note_id)
BEGIN
    SELECT RAISE(ABORT, 'the note is marked entered in error: nothing more is written on it');
END;
