-- Myotome schema, version 8, sqlite: the clinic's settings — the values the seeds leave to the
-- clinic (observation time, follow-up intervals, volume ranges, saline ratio …), one row per
-- version. A change adds a version; none is ever edited or deleted, so every plan can name
-- the version it was made with (`treatment_plans.settings_version`, NULL before settings
-- existed) and that version can be read back.

CREATE TABLE clinic_settings (
    version     INTEGER PRIMARY KEY,
    document    TEXT    NOT NULL,
    note        TEXT,
    changed_by  INTEGER REFERENCES users (id),
    changed_at  TEXT    NOT NULL,
    CHECK (version >= 1)
);

ALTER TABLE treatment_plans ADD COLUMN settings_version INTEGER REFERENCES clinic_settings (version);

CREATE TRIGGER clinic_settings_are_kept_update BEFORE UPDATE ON clinic_settings
BEGIN
    SELECT RAISE(ABORT, 'clinic settings versions are never changed; add a version');
END;
CREATE TRIGGER clinic_settings_are_kept_delete BEFORE DELETE ON clinic_settings
BEGIN
    SELECT RAISE(ABORT, 'clinic settings versions are never deleted');
END;
