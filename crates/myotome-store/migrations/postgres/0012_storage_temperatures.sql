-- Myotome schema, version 12, postgres: the storage temperature log — readings per storage
-- location (a fridge, a freezer, a liquid-nitrogen dewar), typed in or imported from a
-- logger's CSV. Only ever inserted: a wrong reading is answered by a note on a new one, never
-- by changing the record a flag was raised on. Also an index for finding a lot by its number
-- (a recall names the lot the way the manufacturer's notice does).

CREATE TABLE storage_readings (
    id            BIGSERIAL PRIMARY KEY,
    location      TEXT    NOT NULL,
    taken_at      TEXT    NOT NULL,
    temperature_c DOUBLE PRECISION NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('manual', 'import')),
    note          TEXT,
    recorded_at   TEXT    NOT NULL,
    recorded_by   BIGINT REFERENCES users (id)
);
CREATE INDEX storage_readings_by_location ON storage_readings (location, taken_at);

CREATE FUNCTION myotome_reading_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a temperature reading is never changed or deleted; record another with a note';
END;
$$;
CREATE TRIGGER storage_readings_are_kept BEFORE UPDATE OR DELETE ON storage_readings
FOR EACH ROW EXECUTE FUNCTION myotome_reading_guard();

CREATE INDEX biologic_lots_by_number ON biologic_lots (lot_number);
