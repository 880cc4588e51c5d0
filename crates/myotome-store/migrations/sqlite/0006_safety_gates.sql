-- Myotome schema, version 6, SQLite: from screening to treatment safely.
--
-- - `clearances`: a clinician's record that the person a finding named (an obstetrician, a
--   haematologist) cleared the patient: who, when, how. Append-only like screenings: a wrong
--   clearance is answered by a new screening, never by an edit.
-- - `treatment_plans.safety`: the plan's safety document (the screening it was made from, its
--   verdict, the precautions acknowledged and the clearances relied on). NULL for plans made
--   before the gate existed.
-- - `patients.facts_changed_at`: when a fact screening reads from the patient row itself
--   (birth date, sex, death) last changed, so a phone number change does not ask for a
--   re-screen. Rows that exist already take their `updated_at`: what changed then is unknown,
--   and the safe assumption is that it mattered.
-- - `screenings_by_patient_protocol`: the latest signed screening of a protocol.

CREATE TABLE clearances (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES patients (id),
    screening_id    INTEGER NOT NULL REFERENCES screenings (id),
    concept         TEXT    NOT NULL,
    cleared_by_role TEXT    NOT NULL,
    cleared_by_name TEXT    NOT NULL,
    cleared_on      TEXT    NOT NULL,
    method          TEXT    NOT NULL CHECK (method IN ('letter', 'call', 'note')),
    reference       TEXT,
    recorded_by     INTEGER REFERENCES users (id),
    recorded_at     TEXT    NOT NULL
);
CREATE INDEX clearances_by_patient ON clearances (patient_id, screening_id);

CREATE TRIGGER clearances_are_immutable
BEFORE UPDATE ON clearances
BEGIN
    SELECT RAISE(ABORT, 'clearances are immutable');
END;
CREATE TRIGGER clearances_are_kept
BEFORE DELETE ON clearances
BEGIN
    SELECT RAISE(ABORT, 'clearances are never deleted');
END;

ALTER TABLE treatment_plans ADD COLUMN safety TEXT;

ALTER TABLE patients ADD COLUMN facts_changed_at TEXT;
UPDATE patients SET facts_changed_at = updated_at;

CREATE INDEX screenings_by_patient_protocol ON screenings (patient_id, protocol_id, created_at);
