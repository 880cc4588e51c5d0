-- Myotome schema, version 19, postgres: adverse events. What went wrong after a treatment (the
-- seeds' soreness, bruising, swelling, fatigue, dizziness; infection, bleeding, allergic and
-- anesthetic reactions), its 1–5 grade, whether it was serious and by which criteria, how
-- likely the procedure and the product caused it, what was done and how it ended — linked to
-- the visit (and through it the procedure note) and the lot. An event is brought up to date as
-- it evolves; every version is kept in adverse_event_revisions, which is never changed, and an
-- event recorded in error is marked so with the reason, never deleted.

CREATE TABLE adverse_events (
    id                  BIGSERIAL PRIMARY KEY,
    patient_id          BIGINT NOT NULL REFERENCES patients (id),
    reported_via        TEXT    NOT NULL CHECK (reported_via IN ('observation', 'chart', 'patient')),
    term                TEXT    NOT NULL CHECK (length(term) > 0),
    description         TEXT    NOT NULL,
    onset_on            TEXT    NOT NULL,
    grade               INTEGER NOT NULL CHECK (grade BETWEEN 1 AND 5),
    -- The seriousness criteria met, comma-separated; empty when the event is not serious.
    serious             TEXT    NOT NULL,
    procedure_causality TEXT    NOT NULL,
    product_causality   TEXT,
    actions_taken       TEXT    NOT NULL,
    outcome             TEXT    NOT NULL,
    ended_on            TEXT,
    appointment_id      BIGINT REFERENCES appointments (id),
    lot_id              BIGINT REFERENCES biologic_lots (id),
    version             INTEGER NOT NULL,
    recorded_at         TEXT    NOT NULL,
    recorded_by         BIGINT REFERENCES users (id),
    updated_at          TEXT    NOT NULL,
    updated_by          BIGINT REFERENCES users (id),
    in_error_at         TEXT,
    in_error_by         BIGINT REFERENCES users (id),
    in_error_reason     TEXT,
    CHECK ((in_error_at IS NULL) = (in_error_reason IS NULL))
);
CREATE INDEX adverse_events_by_patient ON adverse_events (patient_id);
CREATE INDEX adverse_events_by_appointment ON adverse_events (appointment_id);
CREATE INDEX adverse_events_by_lot ON adverse_events (lot_id);
-- Today's list: events not over yet.
CREATE INDEX adverse_events_open ON adverse_events (onset_on)
    WHERE in_error_at IS NULL AND outcome IN ('ongoing', 'recovering', 'unknown');

CREATE TABLE adverse_event_revisions (
    event_id            BIGINT NOT NULL REFERENCES adverse_events (id),
    version             INTEGER NOT NULL,
    term                TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    onset_on            TEXT    NOT NULL,
    grade               INTEGER NOT NULL,
    serious             TEXT    NOT NULL,
    procedure_causality TEXT    NOT NULL,
    product_causality   TEXT,
    actions_taken       TEXT    NOT NULL,
    outcome             TEXT    NOT NULL,
    ended_on            TEXT,
    appointment_id      BIGINT,
    lot_id              BIGINT,
    recorded_at         TEXT    NOT NULL,
    recorded_by         BIGINT REFERENCES users (id),
    PRIMARY KEY (event_id, version)
);
CREATE FUNCTION myotome_adverse_event_revision_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a version of an adverse event is never changed or deleted';
END;
$$;
CREATE TRIGGER adverse_event_revisions_are_kept BEFORE UPDATE OR DELETE ON adverse_event_revisions
FOR EACH ROW EXECUTE FUNCTION myotome_adverse_event_revision_guard();

CREATE FUNCTION myotome_adverse_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'an adverse event is never deleted; mark it recorded in error';
END;
$$;
CREATE TRIGGER adverse_events_are_kept BEFORE DELETE ON adverse_events
FOR EACH ROW EXECUTE FUNCTION myotome_adverse_event_guard();
