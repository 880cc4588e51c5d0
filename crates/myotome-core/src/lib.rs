//! Myotome's clinical core: treatment protocols as data, candidate screening, dosing,
//! session scheduling, outcome instruments and the statistics of their reports.
//!
//! Pure by design: no IO, no async, no clock. Files arrive as text, time arrives as an
//! "as of" date, and everything clinical is decided here so it can be tested without a server.

pub mod adverse_event;
pub mod alerts;
pub mod biologics;
pub mod builtin;
pub mod catalog;
pub mod citation;
pub mod clinic_settings;
pub mod coding;
pub mod dosing;
pub mod facts;
pub mod gs1;
pub mod instrument;
pub mod lots;
pub mod outcome;
pub mod outcome_report;
pub mod problem;
pub mod procedure_coding;
pub mod procedure_note;
pub mod prom;
pub mod protocol;
pub mod quantity;
pub mod schedule;
pub mod screening;
pub mod setting;
pub mod statistics;
pub mod terminology;
pub mod time_to_surgery;
mod toml_reader;
pub mod visit_day;

pub use builtin::ClinicalData;
pub use problem::{Problem, Problems};
