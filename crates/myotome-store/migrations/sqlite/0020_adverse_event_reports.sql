-- Myotome schema, version 20, sqlite: what a patient tells the clinic through a follow-up
-- questionnaire's link when asked whether anything unexpected happened since treatment. Kept
-- as written, once per questionnaire, until staff triage it: recorded as an adverse event
-- (linked here) or judged not one, with a note. Neither the words nor a triage is changed
-- after.

CREATE TABLE adverse_event_reports (
    id               INTEGER PRIMARY KEY,
    request_id       INTEGER NOT NULL UNIQUE REFERENCES outcome_requests (id),
    patient_id       INTEGER NOT NULL REFERENCES patients (id),
    text             TEXT    NOT NULL CHECK (length(text) > 0),
    reported_at      TEXT    NOT NULL,
    triaged_at       TEXT,
    triaged_by       INTEGER REFERENCES users (id),
    adverse_event_id INTEGER REFERENCES adverse_events (id),
    triage_note      TEXT,
    CHECK (triaged_at IS NOT NULL OR (adverse_event_id IS NULL AND triage_note IS NULL)),
    CHECK (triaged_at IS NULL OR adverse_event_id IS NOT NULL OR triage_note IS NOT NULL)
);
CREATE INDEX adverse_event_reports_by_patient ON adverse_event_reports (patient_id);
CREATE INDEX adverse_event_reports_waiting ON adverse_event_reports (reported_at)
    WHERE triaged_at IS NULL;

CREATE TRIGGER adverse_event_reports_are_kept_update BEFORE UPDATE ON adverse_event_reports
WHEN NEW.text IS NOT OLD.text OR NEW.request_id IS NOT OLD.request_id
    OR NEW.reported_at IS NOT OLD.reported_at
    OR (OLD.triaged_at IS NOT NULL AND (NEW.triaged_at IS NOT OLD.triaged_at
        OR NEW.adverse_event_id IS NOT OLD.adverse_event_id OR NEW.triage_note IS NOT OLD.triage_note))
BEGIN
    SELECT RAISE(ABORT, 'what a patient reported is kept as written, and triaged once');
END;
CREATE TRIGGER adverse_event_reports_are_kept_delete BEFORE DELETE ON adverse_event_reports
BEGIN
    SELECT RAISE(ABORT, 'what a patient reported is never deleted');
END;

-- An adverse event as it stands: who recorded it, when and how it came in never change, a
-- version never goes back, and one marked recorded in error stays as it was (a merge may
-- still move it to the kept chart).
CREATE TRIGGER adverse_events_are_kept_update BEFORE UPDATE ON adverse_events
WHEN NEW.reported_via IS NOT OLD.reported_via OR NEW.recorded_at IS NOT OLD.recorded_at
    OR NEW.recorded_by IS NOT OLD.recorded_by OR NEW.version < OLD.version
    OR (OLD.in_error_at IS NOT NULL AND (NEW.in_error_at IS NOT OLD.in_error_at
        OR NEW.in_error_by IS NOT OLD.in_error_by OR NEW.in_error_reason IS NOT OLD.in_error_reason
        OR NEW.version IS NOT OLD.version OR NEW.updated_at IS NOT OLD.updated_at))
BEGIN
    SELECT RAISE(ABORT, 'an adverse event keeps who recorded it, and one recorded in error stays as it was');
END;
