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
