-- Myotome schema, version 7, SQLite: one person, one chart.
--
-- - `patients.keys_version`: which rules made `family_key` and `given_key` (src/keys.rs). Keys
--   are folded in Rust (diacritics and case), so rows written before are re-keyed by the store
--   when it opens, not here: SQL has no Unicode decomposition.
-- - `patient_identifiers.value_key`: the identifier trimmed and lower-cased, for the duplicate
--   check and a search by prefix. NOCASE, so SQLite's LIKE 'prefix%' is served by the index.
-- - `patients.merged_into`: a chart merged into another (its records moved there); it stays,
--   read-only, so the merge can be read back.
-- - `patient_merges`: what each merge moved, by kind and count, and who did it.

ALTER TABLE patients ADD COLUMN keys_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE patients ADD COLUMN merged_into INTEGER REFERENCES patients (id);
ALTER TABLE patient_identifiers ADD COLUMN value_key TEXT COLLATE NOCASE;
CREATE INDEX patient_identifiers_by_key ON patient_identifiers (value_key);
CREATE INDEX patients_by_birth_date_name ON patients (birth_date, family_key, given_key);
-- The charts a search lists (not merged away), in the listing's order; a name search scans
-- this index's keys rather than the table.
CREATE INDEX patients_live_by_name ON patients (family_key, given_key, id) WHERE merged_into IS NULL;

CREATE TABLE patient_merges (
    id         INTEGER PRIMARY KEY,
    kept_id    INTEGER NOT NULL REFERENCES patients (id),
    merged_id  INTEGER NOT NULL UNIQUE REFERENCES patients (id),
    moved      TEXT    NOT NULL,
    reason     TEXT    NOT NULL,
    merged_by  INTEGER REFERENCES users (id),
    merged_at  TEXT    NOT NULL,
    CHECK (kept_id <> merged_id)
);

-- A screening never changes, except that a merge re-points it to the chart it was merged into.
DROP TRIGGER screenings_are_immutable;
CREATE TRIGGER screenings_are_immutable
BEFORE UPDATE OF patient_id, protocol_id, protocol_version, as_of, verdict, result, created_at,
                 created_by ON screenings
WHEN NOT (NEW.patient_id IS NOT OLD.patient_id
          AND NEW.protocol_id IS OLD.protocol_id
          AND NEW.protocol_version IS OLD.protocol_version
          AND NEW.as_of IS OLD.as_of
          AND NEW.verdict IS OLD.verdict
          AND NEW.result IS OLD.result
          AND NEW.created_at IS OLD.created_at
          AND NEW.created_by IS OLD.created_by
          AND NEW.patient_id = (SELECT merged_into FROM patients WHERE id = OLD.patient_id))
BEGIN
    SELECT RAISE(ABORT, 'screenings are immutable');
END;

DROP TRIGGER clearances_are_immutable;
CREATE TRIGGER clearances_are_immutable
BEFORE UPDATE ON clearances
WHEN NOT (NEW.patient_id IS NOT OLD.patient_id
          AND NEW.id IS OLD.id
          AND NEW.screening_id IS OLD.screening_id
          AND NEW.concept IS OLD.concept
          AND NEW.cleared_by_role IS OLD.cleared_by_role
          AND NEW.cleared_by_name IS OLD.cleared_by_name
          AND NEW.cleared_on IS OLD.cleared_on
          AND NEW.method IS OLD.method
          AND NEW.reference IS OLD.reference
          AND NEW.recorded_by IS OLD.recorded_by
          AND NEW.recorded_at IS OLD.recorded_at
          AND NEW.patient_id = (SELECT merged_into FROM patients WHERE id = OLD.patient_id))
BEGIN
    SELECT RAISE(ABORT, 'clearances are immutable');
END;
