-- Myotome schema, version 12, sqlite: the storage temperature log — readings per storage
-- location (a fridge, a freezer, a liquid-nitrogen dewar), typed in or imported from a
-- logger's CSV. Only ever inserted: a wrong reading is answered by a note on a new one, never
-- by changing the record a flag was raised on. Also an index for finding a lot by its number
-- (a recall names the lot the way the manufacturer's notice does).

CREATE TABLE storage_readings (
    id            INTEGER PRIMARY KEY,
    location      TEXT    NOT NULL,
    taken_at      TEXT    NOT NULL,
    temperature_c REAL    NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('manual', 'import')),
    note          TEXT,
    recorded_at   TEXT    NOT NULL,
    recorded_by   INTEGER REFERENCES users (id)
);
CREATE INDEX storage_readings_by_location ON storage_readings (location, taken_at);

CREATE TRIGGER storage_readings_are_kept_update BEFORE UPDATE ON storage_readings
BEGIN
    SELECT RAISE(ABORT, 'a temperature reading is never changed; record another with a note');
END;
CREATE TRIGGER storage_readings_are_kept_delete BEFORE DELETE ON storage_readings
BEGIN
    SELECT RAISE(ABORT, 'a temperature reading is never deleted');
END;

CREATE INDEX biologic_lots_by_number ON biologic_lots (lot_number);
