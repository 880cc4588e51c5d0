//! The clinic's pages in headless Chromium, driven over WebDriver by a local `chromedriver`:
//! the walks a clinic makes, from the public candidate form to sessions on the calendar, with
//! a screenshot of every page under `target/browser-screenshots/`. Each test starts its own
//! server (in-memory SQLite) and browser. Without chromedriver the tests are skipped with a
//! note, except under `CI=true`, where that is a failure (scripts/test installs it).

#[path = "../api/support.rs"]
#[allow(dead_code)]
mod support;

mod harness;

mod accessibility;
mod account;
mod admin;
mod escaping;
mod walk;
