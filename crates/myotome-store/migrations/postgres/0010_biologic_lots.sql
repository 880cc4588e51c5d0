-- Myotome schema, version 10, postgres: biologic products, their lots and one ledger of every
-- movement (21 CFR 1271.290: track each product from receipt to the patient and back).
-- A lot's stock and status are derived from `lot_events`; nothing here is edited or deleted:
-- a correction is a new event.

CREATE TABLE biologic_products (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    manufacturer  TEXT    NOT NULL,
    gtin          TEXT    UNIQUE,
    unit          TEXT    NOT NULL,
    storage_min_c DOUBLE PRECISION,
    storage_max_c DOUBLE PRECISION,
    created_at    TEXT    NOT NULL,
    created_by    BIGINT REFERENCES users (id)
);

CREATE TABLE biologic_lots (
    id                    BIGSERIAL PRIMARY KEY,
    product_id            BIGINT  NOT NULL REFERENCES biologic_products (id),
    lot_number            TEXT    NOT NULL,
    distinct_code         TEXT    NOT NULL UNIQUE,
    serial                TEXT,
    donor_id              TEXT,
    expiry                TEXT    NOT NULL,
    cells_per_ml          BIGINT,
    viability_percent     DOUBLE PRECISION,
    patient_id            BIGINT REFERENCES patients (id),
    receipt_temperature_c DOUBLE PRECISION,
    package_condition     TEXT    NOT NULL CHECK (package_condition IN ('intact', 'damaged')),
    received_at           TEXT    NOT NULL,
    received_by           BIGINT REFERENCES users (id)
);
CREATE INDEX biologic_lots_by_product ON biologic_lots (product_id, expiry);
CREATE INDEX biologic_lots_by_patient ON biologic_lots (patient_id);

CREATE TABLE lot_events (
    id             BIGSERIAL PRIMARY KEY,
    lot_id         BIGINT  NOT NULL REFERENCES biologic_lots (id),
    kind           TEXT    NOT NULL CHECK (kind IN ('received', 'stored', 'quarantined', 'released',
                                                   'issued', 'administered', 'wasted', 'returned',
                                                   'recalled')),
    quantity       BIGINT,
    location       TEXT,
    reason         TEXT,
    appointment_id BIGINT REFERENCES appointments (id),
    at             TEXT    NOT NULL,
    by_user        BIGINT REFERENCES users (id),
    CHECK (quantity IS NULL OR quantity > 0)
);
CREATE INDEX lot_events_by_lot ON lot_events (lot_id, id);
CREATE INDEX lot_events_by_appointment ON lot_events (appointment_id);

CREATE FUNCTION myotome_lot_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'biologic_lots' AND TG_OP = 'UPDATE'
       AND NEW.patient_id IS DISTINCT FROM OLD.patient_id
       AND (NEW.product_id, NEW.lot_number, NEW.distinct_code, NEW.expiry, NEW.received_at)
           IS NOT DISTINCT FROM (OLD.product_id, OLD.lot_number, OLD.distinct_code, OLD.expiry, OLD.received_at) THEN
        -- Only a chart merge moves an autologous lot to the kept chart.
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'lots and their ledger are never changed or deleted; record an event';
END;
$$;
CREATE TRIGGER biologic_lots_are_kept BEFORE UPDATE OR DELETE ON biologic_lots
FOR EACH ROW EXECUTE FUNCTION myotome_lot_guard();
CREATE TRIGGER lot_events_are_kept BEFORE UPDATE OR DELETE ON lot_events
FOR EACH ROW EXECUTE FUNCTION myotome_lot_guard();
