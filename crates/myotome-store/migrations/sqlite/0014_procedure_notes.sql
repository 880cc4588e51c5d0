-- Myotome schema, version 14, sqlite: the procedure note of a treatment visit — a draft the
-- clinician saves as the procedure goes, then signs: the signature keeps a SHA-256 of the
-- signed content, the signer and the time, and a signed note never changes (corrections are
-- addenda, in order; a note is never deleted).

CREATE TABLE procedure_notes (
    id             INTEGER PRIMARY KEY,
    appointment_id INTEGER NOT NULL UNIQUE REFERENCES appointments (id),
    patient_id     INTEGER NOT NULL REFERENCES patients (id),
    document       TEXT    NOT NULL,
    version        INTEGER NOT NULL DEFAULT 1,
    created_at     TEXT    NOT NULL,
    created_by     INTEGER REFERENCES users (id),
    updated_at     TEXT    NOT NULL,
    signed_at      TEXT,
    signed_by      INTEGER REFERENCES users (id),
    signature      TEXT,
    CHECK ((signed_at IS NULL) = (signature IS NULL))
);
CREATE INDEX procedure_notes_by_patient ON procedure_notes (patient_id);

CREATE TABLE note_addenda (
    id       INTEGER PRIMARY KEY,
    note_id  INTEGER NOT NULL REFERENCES procedure_notes (id),
    text     TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    by_user  INTEGER REFERENCES users (id)
);
CREATE INDEX note_addenda_by_note ON note_addenda (note_id, id);

-- Nothing of a signed note changes but its patient, which only a chart merge moves to the
-- kept chart. A note is never deleted.
CREATE TRIGGER procedure_notes_signed_are_kept BEFORE UPDATE ON procedure_notes
WHEN OLD.signed_at IS NOT NULL AND (
    NEW.document IS NOT OLD.document OR NEW.signed_at IS NOT OLD.signed_at
    OR NEW.signed_by IS NOT OLD.signed_by OR NEW.signature IS NOT OLD.signature
    OR NEW.appointment_id IS NOT OLD.appointment_id OR NEW.version IS NOT OLD.version
    OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
    OR NEW.updated_at IS NOT OLD.updated_at)
BEGIN
    SELECT RAISE(ABORT, 'a signed procedure note is never changed; add an addendum');
END;
CREATE TRIGGER procedure_notes_are_kept_delete BEFORE DELETE ON procedure_notes
BEGIN
    SELECT RAISE(ABORT, 'a procedure note is never deleted; mark it entered in error');
END;
CREATE TRIGGER note_addenda_are_kept_update BEFORE UPDATE ON note_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum is never changed; add another');
END;
CREATE TRIGGER note_addenda_are_kept_delete BEFORE DELETE ON note_addenda
BEGIN
    SELECT RAISE(ABORT, 'an addendum is never deleted');
END;
