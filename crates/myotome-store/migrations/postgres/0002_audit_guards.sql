-- Myotome schema, version 2, PostgreSQL: the database itself refuses what 0001 left to the
-- chain's verification to find. See src/sql/audit.rs ("What the log defends against").
-- Existing rows are not re-checked here (hence NOT VALID): `audit verify` reports them.

-- An audit row takes the seq its transaction just reserved in audit_head: no forged row
-- before row 1 (where verification's walk would never look), none beyond the head.
CREATE FUNCTION myotome_audit_takes_the_reserved_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.seq < 1 OR NEW.seq IS DISTINCT FROM (SELECT seq FROM audit_head WHERE id = 1) THEN
        RAISE EXCEPTION 'audit row % does not take the seq just reserved in audit_head; audit rows are appended by Myotome only', NEW.seq;
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_events_take_the_reserved_seq BEFORE INSERT ON audit_events
FOR EACH ROW EXECUTE FUNCTION myotome_audit_takes_the_reserved_seq();
-- Index rows must name an audit row (the foreign key does too); a CHECK costs nothing per row
-- (a calendar lists thousands of patients).
ALTER TABLE audit_listed ADD CONSTRAINT audit_listed_seq_in_chain CHECK (seq >= 1) NOT VALID;

-- The head moves forward one row at a time: a seq change is +1 with the hash kept (the
-- reservation), a hash change is to the hash of the row at the head's seq (the append).
-- Rewinding it (to hide deleted newest rows) or deleting it is refused.
CREATE FUNCTION myotome_audit_head_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the audit head is never deleted';
    END IF;
    IF NEW.id IS DISTINCT FROM OLD.id
       OR (NEW.seq IS DISTINCT FROM OLD.seq
           AND (NEW.seq IS DISTINCT FROM OLD.seq + 1 OR NEW.hash IS DISTINCT FROM OLD.hash))
       OR (NEW.seq = OLD.seq AND NEW.hash IS DISTINCT FROM OLD.hash
           AND NEW.hash IS DISTINCT FROM (SELECT hash FROM audit_events WHERE seq = NEW.seq)) THEN
        RAISE EXCEPTION 'the audit head only moves forward, one appended row at a time';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_moves_forward BEFORE UPDATE OR DELETE ON audit_head
FOR EACH ROW EXECUTE FUNCTION myotome_audit_head_moves_forward();

-- TRUNCATE fires no row triggers: refuse it per statement.
CREATE FUNCTION myotome_audit_not_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is part of the audit log and is never truncated', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER audit_events_not_truncated BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION myotome_audit_not_truncated();
CREATE TRIGGER audit_listed_not_truncated BEFORE TRUNCATE ON audit_listed
FOR EACH STATEMENT EXECUTE FUNCTION myotome_audit_not_truncated();
CREATE TRIGGER audit_head_not_truncated BEFORE TRUNCATE ON audit_head
FOR EACH STATEMENT EXECUTE FUNCTION myotome_audit_not_truncated();
