-- Myotome schema, version 21, postgres: billing. The clinic's fee schedule (a charge per code,
-- in cents); the NCCI practitioner PTP edits a clinic imported (replaced whole by the next
-- quarter's file); and a visit's coding as the clinician confirmed it (codes added or left
-- out beside the suggestions, the diagnoses chosen), versioned.

CREATE TABLE fee_schedule (
    code       TEXT    PRIMARY KEY CHECK (length(code) = 5),
    cents      BIGINT  NOT NULL CHECK (cents >= 0),
    updated_at TEXT    NOT NULL,
    updated_by BIGINT REFERENCES users (id)
);

CREATE TABLE ptp_edits (
    column1   TEXT    NOT NULL,
    column2   TEXT    NOT NULL,
    modifier  INTEGER NOT NULL CHECK (modifier IN (0, 1, 9)),
    rationale TEXT    NOT NULL,
    file_name TEXT    NOT NULL,
    imported_at TEXT  NOT NULL,
    PRIMARY KEY (column1, column2)
);

CREATE TABLE visit_codings (
    appointment_id BIGINT PRIMARY KEY REFERENCES appointments (id),
    document       TEXT    NOT NULL,
    version        INTEGER NOT NULL,
    updated_at     TEXT    NOT NULL,
    updated_by     BIGINT REFERENCES users (id)
);
