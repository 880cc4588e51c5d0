-- Myotome schema, version 11, sqlite: a recall's notifications — who told which patient the lot
-- they received is recalled, when and how. Only ever inserted: a second contact is a new row.

CREATE TABLE recall_notices (
    id          INTEGER PRIMARY KEY,
    lot_id      INTEGER NOT NULL REFERENCES biologic_lots (id),
    patient_id  INTEGER NOT NULL REFERENCES patients (id),
    method      TEXT    NOT NULL CHECK (method IN ('call', 'letter', 'email', 'in_person')),
    note        TEXT,
    notified_at TEXT    NOT NULL,
    by_user     INTEGER REFERENCES users (id)
);
CREATE INDEX recall_notices_by_lot ON recall_notices (lot_id, id);

CREATE TRIGGER recall_notices_are_kept_update BEFORE UPDATE OF lot_id, method, note, notified_at, by_user ON recall_notices
BEGIN
    SELECT RAISE(ABORT, 'a recorded notification is never changed; record another');
END;
CREATE TRIGGER recall_notices_are_kept_delete BEFORE DELETE ON recall_notices
BEGIN
    SELECT RAISE(ABORT, 'a recorded notification is never deleted');
END;
