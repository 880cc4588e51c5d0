-- Myotome schema, version 18, sqlite: conversion to surgery. That a patient went on to have
-- surgery (a joint replacement after a hip or knee plan) is the outcome regenerative
-- treatment is meant to put off; recorded once per plan with the day of surgery, and — when
-- recorded in error — withdrawn with a reason, never changed or deleted, so the time-to-surgery
-- curve can be re-drawn as it stood on any day. Only a chart merge moves one, to the chart its
-- own was merged into.

CREATE TABLE surgical_conversions (
    id               INTEGER PRIMARY KEY,
    plan_id          INTEGER NOT NULL REFERENCES treatment_plans (id),
    patient_id       INTEGER NOT NULL REFERENCES patients (id),
    surgery_on       TEXT    NOT NULL,
    procedure        TEXT    NOT NULL CHECK (length(procedure) > 0),
    note             TEXT,
    recorded_at      TEXT    NOT NULL,
    recorded_by      INTEGER REFERENCES users (id),
    withdrawn_at     TEXT,
    withdrawn_by     INTEGER REFERENCES users (id),
    withdrawn_reason TEXT,
    CHECK ((withdrawn_at IS NULL) = (withdrawn_reason IS NULL)),
    CHECK (withdrawn_at IS NOT NULL OR withdrawn_by IS NULL)
);
CREATE INDEX surgical_conversions_by_patient ON surgical_conversions (patient_id);
-- One standing record per plan: a mistaken one is withdrawn before another is recorded.
CREATE UNIQUE INDEX surgical_conversions_one_standing ON surgical_conversions (plan_id)
    WHERE withdrawn_at IS NULL;

CREATE TRIGGER surgical_conversions_are_kept_update BEFORE UPDATE ON surgical_conversions
WHEN NEW.plan_id IS NOT OLD.plan_id OR NEW.surgery_on IS NOT OLD.surgery_on
    OR NEW.procedure IS NOT OLD.procedure OR NEW.note IS NOT OLD.note
    OR NEW.recorded_at IS NOT OLD.recorded_at OR NEW.recorded_by IS NOT OLD.recorded_by
    OR (NEW.patient_id IS NOT OLD.patient_id
        AND NEW.patient_id IS NOT (SELECT merged_into FROM patients WHERE id = OLD.patient_id))
    OR (OLD.withdrawn_at IS NOT NULL AND (NEW.withdrawn_at IS NOT OLD.withdrawn_at
        OR NEW.withdrawn_reason IS NOT OLD.withdrawn_reason OR NEW.withdrawn_by IS NOT OLD.withdrawn_by))
BEGIN
    SELECT RAISE(ABORT, 'a conversion to surgery is never changed, only withdrawn once');
END;
CREATE TRIGGER surgical_conversions_are_kept_delete BEFORE DELETE ON surgical_conversions
BEGIN
    SELECT RAISE(ABORT, 'a conversion to surgery is never deleted');
END;
