-- Myotome schema, version 16, postgres: patient-reported outcomes. A plan's questionnaires are
-- requests (a timepoint of its protocol, the instruments asked, a due window); a request is
-- sent as a link whose token is kept only as its SHA-256 (a newer link replaces the older);
-- a response is written once, with the instruments' versions and scores as they were, and
-- never changed or removed. A request is never deleted; only a chart merge moves it.

CREATE TABLE outcome_requests (
    id          BIGSERIAL PRIMARY KEY,
    plan_id     BIGINT  NOT NULL REFERENCES treatment_plans (id),
    patient_id  BIGINT  NOT NULL REFERENCES patients (id),
    protocol_id TEXT    NOT NULL,
    timepoint   TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    -- -1 for a request that belongs to no plan visit (baseline): a UNIQUE key treats NULLs
    -- as distinct, and the same request must never be made twice.
    plan_visit  BIGINT  NOT NULL,
    baseline    BIGINT  NOT NULL CHECK (baseline IN (0, 1)),
    instruments TEXT    NOT NULL,
    due_from    TEXT    NOT NULL,
    due_until   TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    UNIQUE (plan_id, timepoint, plan_visit),
    CHECK (due_from <= due_until)
);
CREATE INDEX outcome_requests_by_patient ON outcome_requests (patient_id);
CREATE INDEX outcome_requests_by_due ON outcome_requests (due_from, due_until);

CREATE TABLE outcome_links (
    id          BIGSERIAL PRIMARY KEY,
    request_id  BIGINT NOT NULL REFERENCES outcome_requests (id),
    token_hash  TEXT   NOT NULL UNIQUE,
    created_at  TEXT   NOT NULL,
    created_by  BIGINT REFERENCES users (id),
    expires_at  TEXT   NOT NULL,
    replaced_at TEXT
);
CREATE INDEX outcome_links_by_request ON outcome_links (request_id, id);
-- One open link per request: sending again replaces the open one first.
CREATE UNIQUE INDEX outcome_links_one_open ON outcome_links (request_id) WHERE replaced_at IS NULL;

CREATE TABLE outcome_responses (
    id          BIGSERIAL PRIMARY KEY,
    request_id  BIGINT NOT NULL UNIQUE REFERENCES outcome_requests (id),
    mode        TEXT   NOT NULL CHECK (mode IN ('link', 'phone', 'in_person')),
    answered_at TEXT   NOT NULL,
    entered_by  BIGINT REFERENCES users (id),
    document    TEXT   NOT NULL,
    CHECK ((mode = 'link') = (entered_by IS NULL))
);

-- Each score of a response as a number, written with it, so reports read numbers and never
-- parse a document (the document stays what the response is).
CREATE TABLE outcome_scores (
    response_id BIGINT NOT NULL REFERENCES outcome_responses (id),
    request_id  BIGINT NOT NULL REFERENCES outcome_requests (id),
    instrument  TEXT   NOT NULL,
    score       TEXT   NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (response_id, instrument, score)
);
CREATE INDEX outcome_scores_by_request ON outcome_scores (request_id);

CREATE FUNCTION myotome_outcome_request_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'an outcome request is never deleted';
    END IF;
    IF NEW.plan_id IS DISTINCT FROM OLD.plan_id OR NEW.timepoint IS DISTINCT FROM OLD.timepoint
        OR NEW.plan_visit IS DISTINCT FROM OLD.plan_visit
        OR NEW.instruments IS DISTINCT FROM OLD.instruments
        OR NEW.due_from IS DISTINCT FROM OLD.due_from OR NEW.due_until IS DISTINCT FROM OLD.due_until
        OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.baseline IS DISTINCT FROM OLD.baseline THEN
        RAISE EXCEPTION 'an outcome request is never changed';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER outcome_requests_are_kept BEFORE UPDATE OR DELETE ON outcome_requests
FOR EACH ROW EXECUTE FUNCTION myotome_outcome_request_guard();

CREATE FUNCTION myotome_outcome_response_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a questionnaire response is never changed or deleted';
END;
$$;
CREATE TRIGGER outcome_responses_are_kept BEFORE UPDATE OR DELETE ON outcome_responses
FOR EACH ROW EXECUTE FUNCTION myotome_outcome_response_guard();
CREATE TRIGGER outcome_scores_are_kept BEFORE UPDATE OR DELETE ON outcome_scores
FOR EACH ROW EXECUTE FUNCTION myotome_outcome_response_guard();
