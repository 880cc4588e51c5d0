-- Myotome schema, version 1, SQLite. Applied once by sqlx on connect and NEVER edited after
-- release: a change is a new numbered file here and in ../postgres/.
--
-- Conventions, shared with the PostgreSQL schema so that one set of queries runs on both
-- through sqlx's Any driver (which has no date, JSON or boolean types):
-- - integers are INTEGER (BIGINT on PostgreSQL) and decode as i64;
-- - timestamps are RFC 3339 UTC text with a fixed 6-digit fraction
--   (`2025-03-01T09:30:00.000000Z`), so text order is time order;
-- - dates are `YYYY-MM-DD` text; JSON documents are TEXT;
-- - no BOOLEAN: a state is a nullable timestamp (`disabled_at`, `revoked_at`, `used_at`) or a
--   0/1 integer with a CHECK;
-- - `*_key` columns hold the lower-cased form (computed in Rust, Unicode-aware) used for
--   case-insensitive matching and ordering, so both backends order the same way.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'clinician', 'staff')),
    password_hash TEXT    NOT NULL,
    disabled_at   TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);

-- --- Patients -----------------------------------------------------------------------------------

CREATE TABLE patients (
    id           INTEGER PRIMARY KEY,
    family_name  TEXT    NOT NULL,
    given_names  TEXT    NOT NULL,
    family_key   TEXT    NOT NULL,
    given_key    TEXT    NOT NULL,
    birth_date   TEXT,
    sex          TEXT    CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    deceased     INTEGER NOT NULL DEFAULT 0 CHECK (deceased IN (0, 1)),
    deceased_on  TEXT,
    phone        TEXT,
    email        TEXT,
    address      TEXT,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL,
    CHECK (deceased = 1 OR deceased_on IS NULL)
);
-- Serves the listing order (family, given, id) and, being covering for the name keys, lets a
-- substring search scan the index instead of the table.
CREATE INDEX patients_by_name ON patients (family_key, given_key, id);
CREATE INDEX patients_by_birth_date ON patients (birth_date);

CREATE TABLE patient_identifiers (
    id         INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients (id),
    position   INTEGER NOT NULL,
    system     TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    UNIQUE (system, value),
    UNIQUE (patient_id, position)
);
CREATE INDEX patient_identifiers_by_value ON patient_identifiers (value);

CREATE TABLE weights (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients (id),
    measured_on   TEXT    NOT NULL,
    grams         INTEGER NOT NULL CHECK (grams >= 0),
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
CREATE INDEX weights_by_patient ON weights (patient_id, measured_on);

-- --- Conditions, medications, allergies ---------------------------------------------------------

CREATE TABLE clinical_records (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER NOT NULL REFERENCES patients (id),
    kind          TEXT    NOT NULL CHECK (kind IN ('condition', 'medication', 'allergy')),
    codings       TEXT    NOT NULL,
    text          TEXT,
    status        TEXT    NOT NULL CHECK (status IN ('active', 'recurrence', 'relapse', 'on-hold',
                      'inactive', 'remission', 'resolved', 'completed', 'stopped', 'cancelled',
                      'entered-in-error', 'draft', 'unknown')),
    start_date    TEXT,
    end_date      TEXT,
    source_kind   TEXT    NOT NULL CHECK (source_kind IN ('entered', 'imported')),
    entered_by    INTEGER REFERENCES users (id),
    source_system TEXT,
    source_id     TEXT,
    version       INTEGER NOT NULL DEFAULT 1,
    recorded_at   TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    CHECK ((source_kind = 'entered' AND source_system IS NULL AND source_id IS NULL)
        OR (source_kind = 'imported' AND source_system IS NOT NULL AND source_id IS NOT NULL
            AND entered_by IS NULL)),
    -- A repeated FHIR import finds the record it made last time instead of duplicating it.
    -- NULLs are distinct, so entered records are not constrained.
    UNIQUE (patient_id, source_system, source_id)
);
CREATE INDEX clinical_records_by_patient ON clinical_records (patient_id, kind);

-- --- Intake and screenings ----------------------------------------------------------------------

CREATE TABLE intake_forms (
    id                  INTEGER PRIMARY KEY,
    patient_id          INTEGER NOT NULL REFERENCES patients (id),
    answers             TEXT    NOT NULL,
    reported_conditions TEXT    NOT NULL,
    note                TEXT,
    channel             TEXT    NOT NULL CHECK (channel IN ('staff', 'candidate_form')),
    submitted_at        TEXT    NOT NULL,
    submitted_by        INTEGER REFERENCES users (id)
);
CREATE INDEX intake_forms_by_patient ON intake_forms (patient_id, submitted_at);

CREATE TABLE screenings (
    id               INTEGER PRIMARY KEY,
    patient_id       INTEGER NOT NULL REFERENCES patients (id),
    protocol_id      TEXT    NOT NULL,
    protocol_version TEXT    NOT NULL,
    as_of            TEXT    NOT NULL,
    verdict          TEXT    NOT NULL,
    result           TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    created_by       INTEGER REFERENCES users (id),
    signed_by        INTEGER REFERENCES users (id),
    signed_at        TEXT,
    CHECK ((signed_by IS NULL) = (signed_at IS NULL))
);
CREATE INDEX screenings_by_patient ON screenings (patient_id, created_at);

-- A screening is a signed clinical record: what was decided never changes, and the signature
-- is recorded once. The store never issues such updates; these make the database refuse them
-- too.
CREATE TRIGGER screenings_are_immutable
BEFORE UPDATE OF patient_id, protocol_id, protocol_version, as_of, verdict, result, created_at,
                 created_by ON screenings
BEGIN
    SELECT RAISE(ABORT, 'screenings are immutable');
END;
CREATE TRIGGER screenings_are_signed_once
BEFORE UPDATE OF signed_by, signed_at ON screenings
WHEN OLD.signed_by IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a signed screening cannot be signed again');
END;
CREATE TRIGGER screenings_are_kept
BEFORE DELETE ON screenings
BEGIN
    SELECT RAISE(ABORT, 'screenings are never deleted');
END;

-- --- Treatment plans and appointments ----------------------------------------------------------

CREATE TABLE treatment_plans (
    id               INTEGER PRIMARY KEY,
    patient_id       INTEGER NOT NULL REFERENCES patients (id),
    protocol_id      TEXT    NOT NULL,
    protocol_version TEXT    NOT NULL,
    indication       TEXT    NOT NULL,
    region           TEXT    NOT NULL,
    side             TEXT,
    target_sites     TEXT    NOT NULL,
    dose             TEXT,
    schedule         TEXT    NOT NULL,
    notes            TEXT,
    status           TEXT    NOT NULL CHECK (status IN ('active', 'completed', 'cancelled')),
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT    NOT NULL,
    created_by       INTEGER REFERENCES users (id),
    updated_at       TEXT    NOT NULL,
    -- Target of appointments' (plan_id, patient_id) key: an appointment can only belong to a
    -- plan of its own patient.
    UNIQUE (id, patient_id)
);
CREATE INDEX treatment_plans_by_patient ON treatment_plans (patient_id);

CREATE TABLE appointments (
    id               INTEGER PRIMARY KEY,
    patient_id       INTEGER NOT NULL REFERENCES patients (id),
    plan_id          INTEGER,
    kind             TEXT    NOT NULL CHECK (kind IN ('session', 'follow_up')),
    label            TEXT    NOT NULL,
    date             TEXT    NOT NULL,
    start_time       TEXT,
    duration_minutes INTEGER CHECK (duration_minutes >= 0),
    clinician_id     INTEGER REFERENCES users (id),
    status           TEXT    NOT NULL CHECK (status IN ('booked', 'completed', 'cancelled',
                                                        'no_show')),
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    FOREIGN KEY (plan_id, patient_id) REFERENCES treatment_plans (id, patient_id)
);
CREATE INDEX appointments_by_date ON appointments (date, start_time);
CREATE INDEX appointments_by_clinician ON appointments (clinician_id, date);
CREATE INDEX appointments_by_patient ON appointments (patient_id, date);
CREATE INDEX appointments_by_plan ON appointments (plan_id);

-- --- Access ---------------------------------------------------------------------------------------

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id),
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   TEXT    NOT NULL,
    revoked_at   TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE sessions (
    secret_hash TEXT    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    csrf_token  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

CREATE TABLE sign_in_attempts (
    id           INTEGER PRIMARY KEY,
    username_key TEXT    NOT NULL,
    from_addr    TEXT    NOT NULL,
    succeeded    INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    at           TEXT    NOT NULL
);
CREATE INDEX sign_in_attempts_by_username ON sign_in_attempts (username_key, at);
CREATE INDEX sign_in_attempts_by_address ON sign_in_attempts (from_addr, at);

CREATE TABLE setup_links (
    secret_hash TEXT PRIMARY KEY,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    created_at  TEXT NOT NULL
);

-- --- Audit ----------------------------------------------------------------------------------------
-- Append-only and hash-chained; see src/sql/audit.rs for the chain. No foreign keys: the log is
-- evidence of what was attempted and must never be blocked (or cascaded) by the state of the
-- rows it mentions.

CREATE TABLE audit_events (
    seq             INTEGER PRIMARY KEY,
    at              TEXT    NOT NULL,
    actor_user_id   INTEGER,
    actor_name      TEXT    NOT NULL,
    from_addr       TEXT    NOT NULL,
    action          TEXT    NOT NULL,
    patient_id      INTEGER,
    -- The listed patient ids, comma-separated in the order shown: part of the hashed row.
    listed_patients TEXT    NOT NULL,
    target          TEXT,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL
);
CREATE INDEX audit_events_by_patient ON audit_events (patient_id);

-- Index of audit_events.listed_patients (one row per distinct listed patient), so a patient's
-- trail is an index lookup rather than a scan of every list ever shown. Derived data:
-- verification checks it against the hashed rows.
CREATE TABLE audit_listed (
    seq        INTEGER NOT NULL REFERENCES audit_events (seq),
    patient_id INTEGER NOT NULL,
    PRIMARY KEY (seq, patient_id)
);
CREATE INDEX audit_listed_by_patient ON audit_listed (patient_id, seq);

-- The chain's head: the last seq handed out and the hash of that row. Every append updates it
-- first, which takes SQLite's write lock (PostgreSQL: this row's lock), so appends from any
-- number of connections or processes form one chain.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_listed_no_update BEFORE UPDATE ON audit_listed
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER audit_listed_no_delete BEFORE DELETE ON audit_listed
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
