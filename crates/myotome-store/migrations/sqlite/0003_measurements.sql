-- Myotome schema, version 3, SQLite: measurements other than body weight (lab results such as
-- HbA1c), shown beside the screening findings they inform. Append-only like weights; an
-- imported one keeps its source identifier so a repeated import finds it.

CREATE TABLE measurements (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients (id),
    system        TEXT    NOT NULL,
    code          TEXT    NOT NULL,
    display       TEXT,
    value         REAL    NOT NULL,
    unit          TEXT    NOT NULL,
    measured_on   TEXT    NOT NULL,
    source_kind   TEXT    NOT NULL CHECK (source_kind IN ('entered', 'imported')),
    entered_by    INTEGER REFERENCES users (id),
    source_system TEXT,
    source_id     TEXT,
    recorded_at   TEXT    NOT NULL,
    CHECK ((source_kind = 'entered' AND source_system IS NULL AND source_id IS NULL)
        OR (source_kind = 'imported' AND source_system IS NOT NULL AND source_id IS NOT NULL
            AND entered_by IS NULL)),
    UNIQUE (patient_id, source_system, source_id)
);
CREATE INDEX measurements_by_patient ON measurements (patient_id, measured_on);
