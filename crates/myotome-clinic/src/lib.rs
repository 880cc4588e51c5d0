//! Myotome's use cases: what the clinic does, between the edges (the web pages, the JSON API,
//! the command line) and the store, the clinical core and FHIR.
//!
//! Every use case takes a typed command, the [`Caller`] and the [`Clinic`] (store, clinical
//! data, clock); it checks the permission matrix itself, runs in one store transaction where
//! it reads to decide a write, and answers a domain result or a [`ClinicError`] whose variant
//! says what kind of failure it is. It knows nothing of HTTP, JSON wire shapes or HTML: an edge
//! turns its own input into a command and the result or error into its own answer.
//!
//! One module per capability: `patients` (demographics, search, weights), `records`
//! (conditions, medications, allergies), `intake` (candidate forms), `screening`, `planning`
//! (the plan request, dose and calendar) and `plans` (making and changing plans), `booking`
//! (appointments and the calendar, with `windows`, the one rule for which window breaks
//! refuse a booking), `access` (users and API tokens), `audit` (the trail and its chain), `today` (the day's work lists), `fhir_import` and `fhir_export`, `demo`
//! (the demo clinic), `facts` (the stored chart as the core's facts) and `documents` (the
//! core's results as the store keeps them). Cross-cutting: `permissions` (the matrix), `validate` (field checks collected into
//! one answer), `password` (argon2 hashing) and `secret` (random secrets and their SHA-256),
//! `error`, `clock`.

pub mod access;
pub mod adverse_events;
pub mod audit;
pub mod billing;
pub mod booking;
pub mod clock;
pub mod demo;
pub mod documents;
pub mod error;
pub mod facts;
pub mod fhir_export;
pub mod fhir_import;
pub mod harvests;
pub mod intake;
pub mod lots;
pub mod outbox;
pub mod outcome_reports;
pub mod outcomes;
pub mod password;
pub mod patients;
pub mod permissions;
pub mod planning;
pub mod plans;
pub mod procedure_notes;
pub mod records;
pub mod safety;
pub mod screening;
pub mod secret;
pub mod settings;
pub mod storage;
pub mod surgery;
pub mod today;
pub mod validate;
pub mod visit_day;
pub mod windows;

pub use clock::{Clock, FixedClock, SystemClock, time_zone_named};
pub use error::{ClinicError, FieldErrors, PlanPart, Refusal, RefusalReason, sentence};

use myotome_core::ClinicalData;
use myotome_core::protocol::LoadedProtocol;
use myotome_store::{Actor, Role, Store, UserId};
use permissions::{Permission, allows};
use std::sync::Arc;

/// What every use case works with: the store, the clinical data (protocols, terminology,
/// anatomy) and the clock. Cheap to clone.
#[derive(Clone)]
pub struct Clinic {
    pub store: Arc<dyn Store>,
    pub data: Arc<ClinicalData>,
    pub clock: Arc<dyn Clock>,
}

impl Clinic {
    pub fn new(store: Arc<dyn Store>, data: Arc<ClinicalData>, clock: Arc<dyn Clock>) -> Self {
        Self { store, data, clock }
    }
}

/// Who asks: the user (when a person or their token asks), their role, and the audit actor
/// (name and address) the store writes on every row.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<UserId>,
    pub role: Role,
    pub actor: Actor,
}

impl Caller {
    /// `Ok` when the caller's role has `permission`; otherwise [`ClinicError::Forbidden`]
    /// naming the roles that do.
    pub fn may(&self, permission: Permission) -> Result<(), ClinicError> {
        if allows(self.role, permission) {
            Ok(())
        } else {
            Err(ClinicError::forbidden(self.role, permission))
        }
    }
}

/// A protocol of the library, or [`RefusalReason::UnknownProtocol`] listing the known ids.
pub fn find_protocol<'a>(
    data: &'a ClinicalData,
    id: &str,
    field: &str,
) -> Result<&'a LoadedProtocol, ClinicError> {
    data.protocols.get(id).ok_or_else(|| {
        ClinicError::refused(
            RefusalReason::UnknownProtocol,
            unknown_protocol(data, id, field),
        )
    })
}

/// The sentence for a protocol id the library does not have.
pub fn unknown_protocol(data: &ClinicalData, id: &str, field: &str) -> String {
    format!(
        "{field}: there is no protocol `{id}`; the library has: {}.",
        data.protocols.ids().join(", ")
    )
}
