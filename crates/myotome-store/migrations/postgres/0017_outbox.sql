-- Myotome schema, version 17, postgres: the outbox. A message to a patient (today: the e-mail
-- carrying a questionnaire link) is written in the transaction that decides to send it, and
-- delivered by the server's mail loop afterwards, so a mail server that is down loses nothing
-- and a failed transaction sends nothing. The body (which holds the link) is kept only while
-- the message waits: it is cleared from the row when the message is sent or given up on (as a
-- deleted row, its old text may linger in the database's free pages and backups until they are
-- reused), and a message still waiting when a newer link or an answer makes it pointless is
-- given up on at once.

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    patient_id      BIGINT NOT NULL REFERENCES patients (id),
    request_id      BIGINT REFERENCES outcome_requests (id),
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT,
    state           TEXT    NOT NULL CHECK (state IN ('queued', 'sent', 'failed')),
    attempts        BIGINT NOT NULL CHECK (attempts >= 0),
    -- When the mail loop may next try; a loop that takes the message moves it forward (a
    -- lease), so two servers on one database never send it twice at once.
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    created_at      TEXT    NOT NULL,
    created_by      BIGINT REFERENCES users (id),
    sent_at         TEXT,
    CHECK ((state = 'sent') = (sent_at IS NOT NULL)),
    -- The body waits with the message, and only while it waits.
    CHECK ((state = 'queued') = (body IS NOT NULL))
);
CREATE INDEX outbox_waiting ON outbox (state, next_attempt_at);
CREATE INDEX outbox_by_request ON outbox (request_id);
CREATE INDEX outbox_by_patient ON outbox (patient_id);
