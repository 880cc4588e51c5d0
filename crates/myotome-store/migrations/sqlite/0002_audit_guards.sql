-- Myotome schema, version 2, SQLite: the database itself refuses what 0001 left to the
-- chain's verification to find. See src/sql/audit.rs ("What the log defends against").
-- Existing rows are not re-checked here: `audit verify` reports them.

-- An audit row takes the seq its transaction just reserved in audit_head: no forged row
-- before row 1 (where verification's walk would never look), none beyond the head.
CREATE TRIGGER audit_events_take_the_reserved_seq BEFORE INSERT ON audit_events
WHEN NEW.seq < 1 OR NEW.seq IS NOT (SELECT seq FROM audit_head WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'an audit row takes the seq just reserved in audit_head; audit rows are appended by Myotome only');
END;
-- Index rows must name an audit row (the foreign key); this also holds with foreign keys off.
CREATE TRIGGER audit_listed_take_a_chain_seq BEFORE INSERT ON audit_listed
WHEN NEW.seq < 1
BEGIN
    SELECT RAISE(ABORT, 'an audit index row names an audit row, numbered from 1');
END;

-- The head moves forward one row at a time: a seq change is +1 with the hash kept (the
-- reservation), a hash change is to the hash of the row at the head's seq (the append).
-- Rewinding it (to hide deleted newest rows) or deleting it is refused.
CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE ON audit_head
WHEN NEW.id IS NOT OLD.id
  OR (NEW.seq IS NOT OLD.seq AND (NEW.seq IS NOT OLD.seq + 1 OR NEW.hash IS NOT OLD.hash))
  OR (NEW.seq IS OLD.seq AND NEW.hash IS NOT OLD.hash
      AND NEW.hash IS NOT (SELECT hash FROM audit_events WHERE seq = NEW.seq))
BEGIN
    SELECT RAISE(ABORT, 'the audit head only moves forward, one appended row at a time');
END;
CREATE TRIGGER audit_head_is_kept BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'the audit head is never deleted');
END;
