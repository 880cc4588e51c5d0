//! The clinic's web pages over real HTTP, without a browser: each test starts its own server
//! (in-memory SQLite, and PostgreSQL when `MYOTOME_TEST_POSTGRES_URL` is set), signs in through
//! the sign-in page, and reads the HTML the clinic would see. The browser suite
//! (`tests/browser`) walks the same pages in headless Chromium.

#[path = "../api/support.rs"]
#[allow(dead_code)]
mod support;

mod web;

mod account;
mod addresses;
mod admin;
mod clinical;
mod inventory;
mod outcomes;
mod patients;
mod plain_messages;
mod planning;
mod settings;
mod time_zone;
