//! The clinic server over real HTTP: each test starts its own server on 127.0.0.1:0 with its
//! own database, and runs once on in-memory SQLite and once on PostgreSQL (a fresh database per
//! test on the server named by `MYOTOME_TEST_POSTGRES_URL`; under `CI=true` a missing server is
//! a failure, not a skip).

mod support;

mod bad_input;
mod fhir;
mod lots;
mod permissions;
mod trust;
mod visit_day;
mod workflow;
