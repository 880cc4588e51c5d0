-- Myotome schema, version 4, SQLite: what the Today page lists stays fast with many patients
-- (indexes for unsigned screenings, candidate-form requests and active plans), and rate limits
-- kept in the database so several servers sharing it count together (the public candidate
-- form: submissions per client address).

CREATE INDEX screenings_unsigned ON screenings (created_at, id) WHERE signed_by IS NULL;
CREATE INDEX intake_forms_by_channel ON intake_forms (channel, submitted_at, id);
CREATE INDEX treatment_plans_by_status ON treatment_plans (status, updated_at, id);

-- One row per counted request. `limit_key` names the limit and who it applies to, e.g.
-- `candidate-form:203.0.113.9`; rows older than the limit's window are deleted as new hits
-- arrive.
CREATE TABLE rate_limit_hits (
    id        INTEGER PRIMARY KEY,
    limit_key TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX rate_limit_hits_by_key ON rate_limit_hits (limit_key, at);
