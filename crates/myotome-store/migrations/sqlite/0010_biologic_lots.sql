-- Myotome schema, version 10, sqlite: biologic products, their lots and one ledger of every
-- movement (21 CFR 1271.290: track each product from receipt to the patient and back).
-- A lot's stock and status are derived from `lot_events`; nothing here is edited or deleted:
-- a correction is a new event.

CREATE TABLE biologic_products (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    manufacturer  TEXT    NOT NULL,
    gtin          TEXT    UNIQUE,
    unit          TEXT    NOT NULL,
    storage_min_c REAL,
    storage_max_c REAL,
    created_at    TEXT    NOT NULL,
    created_by    INTEGER REFERENCES users (id)
);

CREATE TABLE biologic_lots (
    id                    INTEGER PRIMARY KEY,
    product_id            INTEGER NOT NULL REFERENCES biologic_products (id),
    lot_number            TEXT    NOT NULL,
    distinct_code         TEXT    NOT NULL UNIQUE,
    serial                TEXT,
    donor_id              TEXT,
    expiry                TEXT    NOT NULL,
    cells_per_ml          INTEGER,
    viability_percent     REAL,
    patient_id            INTEGER REFERENCES patients (id),
    receipt_temperature_c REAL,
    package_condition     TEXT    NOT NULL CHECK (package_condition IN ('intact', 'damaged')),
    received_at           TEXT    NOT NULL,
    received_by           INTEGER REFERENCES users (id)
);
CREATE INDEX biologic_lots_by_product ON biologic_lots (product_id, expiry);
CREATE INDEX biologic_lots_by_patient ON biologic_lots (patient_id);

CREATE TABLE lot_events (
    id             INTEGER PRIMARY KEY,
    lot_id         INTEGER NOT NULL REFERENCES biologic_lots (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('received', 'stored', 'quarantined', 'released',
                                                   'issued', 'administered', 'wasted', 'returned',
                                                   'recalled')),
    quantity       INTEGER,
    location       TEXT,
    reason         TEXT,
    appointment_id INTEGER REFERENCES appointments (id),
    at             TEXT    NOT NULL,
    by_user        INTEGER REFERENCES users (id),
    CHECK (quantity IS NULL OR quantity > 0)
);
CREATE INDEX lot_events_by_lot ON lot_events (lot_id, id);
CREATE INDEX lot_events_by_appointment ON lot_events (appointment_id);

CREATE TRIGGER biologic_lots_are_kept_update BEFORE UPDATE OF product_id, lot_number, distinct_code,
    serial, donor_id, expiry, cells_per_ml, viability_percent, receipt_temperature_c,
    package_condition, received_at, received_by ON biologic_lots
BEGIN
    SELECT RAISE(ABORT, 'a received lot is never changed; record an event');
END;
CREATE TRIGGER biologic_lots_are_kept_delete BEFORE DELETE ON biologic_lots
BEGIN
    SELECT RAISE(ABORT, 'a received lot is never deleted; record an event');
END;
CREATE TRIGGER lot_events_are_kept_update BEFORE UPDATE ON lot_events
BEGIN
    SELECT RAISE(ABORT, 'the lot ledger is append-only; record a new event');
END;
CREATE TRIGGER lot_events_are_kept_delete BEFORE DELETE ON lot_events
BEGIN
    SELECT RAISE(ABORT, 'the lot ledger is append-only; record a new event');
END;
