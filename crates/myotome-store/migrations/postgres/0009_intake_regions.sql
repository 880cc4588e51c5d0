-- Myotome schema, version 9: where the problem is, as the candidate said it. The candidate
-- form asks which part of the body brings the person (the anatomy catalogue's regions) beside
-- the complaint, and screens only the protocols that treat it there. A JSON array of region
-- ids; forms stored before this version said nothing about it.

ALTER TABLE intake_forms ADD COLUMN regions TEXT NOT NULL DEFAULT '[]';
