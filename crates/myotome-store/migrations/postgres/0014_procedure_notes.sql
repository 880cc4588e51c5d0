-- Myotome schema, version 14, postgres: the procedure note of a treatment visit — a draft the
-- clinician saves as the procedure goes, then signs: the signature keeps a SHA-256 of the
-- signed content, the signer and the time, and a signed note never changes (corrections are
-- addenda, in order; a note is never deleted).

CREATE TABLE procedure_notes (
    id             BIGSERIAL PRIMARY KEY,
    appointment_id BIGINT NOT NULL UNIQUE REFERENCES appointments (id),
    patient_id     BIGINT NOT NULL REFERENCES patients (id),
    document       TEXT    NOT NULL,
    version        BIGINT NOT NULL DEFAULT 1,
    created_at     TEXT    NOT NULL,
    created_by     BIGINT REFERENCES users (id),
    updated_at     TEXT    NOT NULL,
    signed_at      TEXT,
    signed_by      BIGINT REFERENCES users (id),
    signature      TEXT,
    CHECK ((signed_at IS NULL) = (signature IS NULL))
);
CREATE INDEX procedure_notes_by_patient ON procedure_notes (patient_id);

CREATE TABLE note_addenda (
    id       BIGSERIAL PRIMARY KEY,
    note_id  BIGINT NOT NULL REFERENCES procedure_notes (id),
    text     TEXT    NOT NULL,
    at       TEXT    NOT NULL,
    by_user  BIGINT REFERENCES users (id)
);
CREATE INDEX note_addenda_by_note ON note_addenda (note_id, id);

-- Nothing of a signed note changes but its patient, which only a chart merge moves to the
-- kept chart. A note is never deleted.
CREATE FUNCTION myotome_note_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'a procedure note is never deleted; mark it entered in error';
    END IF;
    IF OLD.signed_at IS NOT NULL AND (
        NEW.document IS DISTINCT FROM OLD.document OR NEW.signed_at IS DISTINCT FROM OLD.signed_at
        OR NEW.signed_by IS DISTINCT FROM OLD.signed_by OR NEW.signature IS DISTINCT FROM OLD.signature
        OR NEW.appointment_id IS DISTINCT FROM OLD.appointment_id
        OR NEW.version IS DISTINCT FROM OLD.version OR NEW.created_at IS DISTINCT FROM OLD.created_at
        OR NEW.created_by IS DISTINCT FROM OLD.created_by
        OR NEW.updated_at IS DISTINCT FROM OLD.updated_at) THEN
        RAISE EXCEPTION 'a signed procedure note is never changed; add an addendum';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER procedure_notes_are_kept BEFORE UPDATE OR DELETE ON procedure_notes
FOR EACH ROW EXECUTE FUNCTION myotome_note_guard();

CREATE FUNCTION myotome_addendum_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an addendum is never changed or deleted; add another';
END;
$$;
CREATE TRIGGER note_addenda_are_kept BEFORE UPDATE OR DELETE ON note_addenda
FOR EACH ROW EXECUTE FUNCTION myotome_addendum_guard();
