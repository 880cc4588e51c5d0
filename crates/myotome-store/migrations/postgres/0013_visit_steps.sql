-- Myotome schema, version 13, postgres: a treatment visit's day, step by step — arrived,
-- preparation started, each checklist item ticked, each anesthetic given, procedure started
-- and ended, observation ended, the aftercare given — with who and when. The visit's stage is derived from these
-- rows; they are only ever inserted.

CREATE TABLE visit_steps (
    id             BIGSERIAL PRIMARY KEY,
    appointment_id BIGINT NOT NULL REFERENCES appointments (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('arrived', 'preparation_started', 'checked',
                                                   'anesthesia_given', 'procedure_started',
                                                   'procedure_ended', 'observation_ended',
                                                   'aftercare_given')),
    -- The checklist item's key (clinic-1, patient-3) or the anesthetic's kind.
    item           TEXT,
    -- The item's words as the checklist showed them, or what was seen (observation).
    detail         TEXT,
    -- A clinician's reason: required items left unticked, a flag passed, observation ended early.
    reason         TEXT,
    at             TEXT    NOT NULL,
    by_user        BIGINT REFERENCES users (id)
);
CREATE INDEX visit_steps_by_appointment ON visit_steps (appointment_id, id);

CREATE FUNCTION myotome_visit_step_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a recorded step of the day is never changed or deleted; record another';
END;
$$;
CREATE TRIGGER visit_steps_are_kept BEFORE UPDATE OR DELETE ON visit_steps
FOR EACH ROW EXECUTE FUNCTION myotome_visit_step_guard();
