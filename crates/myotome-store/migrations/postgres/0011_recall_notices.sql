-- Myotome schema, version 11, postgres: a recall's notifications — who told which patient the lot
-- they received is recalled, when and how. Only ever inserted: a second contact is a new row.

CREATE TABLE recall_notices (
    id          BIGSERIAL PRIMARY KEY,
    lot_id      BIGINT NOT NULL REFERENCES biologic_lots (id),
    patient_id  BIGINT NOT NULL REFERENCES patients (id),
    method      TEXT    NOT NULL CHECK (method IN ('call', 'letter', 'email', 'in_person')),
    note        TEXT,
    notified_at TEXT    NOT NULL,
    by_user     BIGINT REFERENCES users (id)
);
CREATE INDEX recall_notices_by_lot ON recall_notices (lot_id, id);

CREATE FUNCTION myotome_notice_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.patient_id IS DISTINCT FROM OLD.patient_id
       AND (NEW.lot_id, NEW.method, NEW.note, NEW.notified_at, NEW.by_user)
           IS NOT DISTINCT FROM (OLD.lot_id, OLD.method, OLD.note, OLD.notified_at, OLD.by_user) THEN
        -- Only a chart merge moves a notification to the kept chart.
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'a recorded notification is never changed or deleted; record another';
END;
$$;
CREATE TRIGGER recall_notices_are_kept BEFORE UPDATE OR DELETE ON recall_notices
FOR EACH ROW EXECUTE FUNCTION myotome_notice_guard();
