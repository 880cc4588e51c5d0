-- Myotome schema, version 8, postgres: the clinic's settings — the values the seeds leave to the
-- clinic (observation time, follow-up intervals, volume ranges, saline ratio …), one row per
-- version. A change adds a version; none is ever edited or deleted, so every plan can name
-- the version it was made with (`treatment_plans.settings_version`, NULL before settings
-- existed) and that version can be read back.

CREATE TABLE clinic_settings (
    version     BIGINT PRIMARY KEY,
    document    TEXT    NOT NULL,
    note        TEXT,
    changed_by  BIGINT REFERENCES users (id),
    changed_at  TEXT    NOT NULL,
    CHECK (version >= 1)
);

ALTER TABLE treatment_plans ADD COLUMN settings_version BIGINT REFERENCES clinic_settings (version);

CREATE FUNCTION myotome_settings_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'clinic settings versions are never changed or deleted; add a version';
END;
$$;
CREATE TRIGGER clinic_settings_are_kept BEFORE UPDATE OR DELETE ON clinic_settings
FOR EACH ROW EXECUTE FUNCTION myotome_settings_guard();
