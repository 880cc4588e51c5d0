//! The records the clinic keeps, as the rest of the program sees them: patients and their coded
//! records, intake forms, screenings, treatment plans, appointments, users, tokens, sessions and
//! audit events. No SQL types appear here; the store maps rows to and from these.
//!
//! Every mutable record carries a `version`. An update names the version it read; the store
//! refuses it with [`crate::StoreError::Stale`] when someone else wrote in between, so a stale
//! write never silently overwrites a newer one.

use crate::documents::{DoseDocument, PlanSafetyDocument, ScheduleDocument, ScreeningDocument};
use jiff::Timestamp;
use jiff::civil::Date;
use myotome_core::facts::{RecordStatus, Sex};
use myotome_core::outcome::Outcome;
use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use id_type;

id_type!(
    /// A patient's number in this clinic's database.
    PatientId
);
id_type!(
    /// A condition, medication or allergy record.
    RecordId
);
id_type!(IntakeId);
id_type!(ScreeningId);
id_type!(PlanId);
id_type!(AppointmentId);
id_type!(UserId);
id_type!(TokenId);
id_type!(WeightId);
id_type!(MeasurementId);
id_type!(
    /// A recorded clearance.
    ClearanceId
);

// --- Who is acting ------------------------------------------------------------------------------

/// A user's role. What each may do is the permission matrix in ARCHITECTURE.md, enforced by
/// myotome-web.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Clinician,
    Staff,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Clinician, Role::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Clinician => "clinician",
            Role::Staff => "staff",
        }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "admin" => Ok(Role::Admin),
            "clinician" => Ok(Role::Clinician),
            "staff" => Ok(Role::Staff),
            other => Err(format!(
                "`{other}` is not a role; use admin, clinician or staff"
            )),
        }
    }
}

/// Who an audited action is attributed to, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the public candidate form and for the command line run on the server.
    pub user_id: Option<UserId>,
    /// The username, or a fixed label such as `candidate-form` or `cli`.
    pub name: String,
    /// Client address as the server saw it, or `local` for the command line.
    pub from: String,
}

// --- Patients -----------------------------------------------------------------------------------

/// An identifier the patient is known by elsewhere (MRN, EHR id, national id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    /// The issuing system, e.g. a URI or a short clinic label.
    pub system: String,
    pub value: String,
}

/// How to reach the patient. Every field is optional free text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

/// Demographics as entered or imported. Validated at the edge (web/CLI/FHIR) before it gets here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientDetails {
    pub family_name: String,
    pub given_names: String,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    /// `Some` when the patient has died; the date when known.
    pub deceased: Option<Option<Date>>,
    pub identifiers: Vec<Identifier>,
    pub contact: Contact,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Patient {
    pub id: PatientId,
    pub details: PatientDetails,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Set when this chart was merged into another: its records are there now, and this one
    /// stays, read-only, so the merge can be read back.
    pub merged_into: Option<PatientId>,
}

/// How many of each kind of record a merge moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeCounts {
    pub identifiers: u64,
    pub weights: u64,
    pub measurements: u64,
    pub records: u64,
    pub intakes: u64,
    pub screenings: u64,
    pub clearances: u64,
    pub plans: u64,
    pub appointments: u64,
    /// Autologous lots harvested from the merged chart's patient (merges recorded before lots
    /// existed have none).
    #[serde(default)]
    pub lots: u64,
    /// Recall notifications recorded on the merged chart.
    #[serde(default)]
    pub recall_notices: u64,
    /// Procedure notes of the merged chart's visits.
    #[serde(default)]
    pub procedure_notes: u64,
    /// Questionnaire requests of the merged chart's plans.
    #[serde(default)]
    pub outcome_requests: u64,
    /// Messages to the merged chart's patient in the outbox.
    #[serde(default)]
    pub messages: u64,
    /// Conversions to surgery recorded on the merged chart's plans.
    #[serde(default)]
    pub surgical_conversions: u64,
    /// Adverse events recorded on the merged chart.
    #[serde(default)]
    pub adverse_events: u64,
    /// What the merged chart's patient reported through questionnaire links.
    #[serde(default)]
    pub patient_reports: u64,
}

/// One version of the clinic's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSettings {
    pub version: i64,
    pub document: crate::documents::ClinicSettingsDocument,
    pub note: Option<String>,
    pub changed_by: Option<UserId>,
    pub changed_at: Timestamp,
}

/// One chart merged into another, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientMerge {
    pub kept: PatientId,
    pub merged: PatientId,
    pub moved: MergeCounts,
    pub reason: String,
    pub merged_by: Option<UserId>,
    pub merged_at: Timestamp,
}

/// A body-weight measurement. Weight history is append-only; the latest by date counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightEntry {
    pub id: WeightId,
    pub patient_id: PatientId,
    pub measured_on: Date,
    pub grams: u32,
    pub source: RecordSource,
    pub recorded_at: Timestamp,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientSearch {
    /// Matches family or given names, case-insensitively, anywhere in the name.
    pub name: Option<String>,
    pub birth_date: Option<Date>,
    /// Matches an identifier value exactly (any system).
    pub identifier: Option<String>,
    pub page: Page,
}

/// A page of a list: 1-based page number and page size (the store caps it at 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub number: u32,
    pub size: u32,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            number: 1,
            size: 50,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientList {
    pub patients: Vec<Patient>,
    /// Matches across all pages.
    pub total: u64,
}

// --- Coded records ------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Condition,
    Medication,
    Allergy,
}

impl RecordKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Condition => "condition",
            RecordKind::Medication => "medication",
            RecordKind::Allergy => "allergy",
        }
    }
}

/// Where a record came from. Imported records keep the source system's identifier so a
/// repeated import updates rather than duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordSource {
    Entered {
        by: Option<UserId>,
    },
    Imported {
        /// The source system, e.g. the FHIR server base or file name.
        system: String,
        /// The resource id there.
        id: String,
    },
}

/// One code of a record, as in [`myotome_core::facts::Coding`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCoding {
    pub system: String,
    pub code: String,
    pub display: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDetails {
    pub kind: RecordKind,
    pub codings: Vec<StoredCoding>,
    pub text: Option<String>,
    pub status: RecordStatus,
    pub start: Option<Date>,
    pub end: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClinicalRecord {
    pub id: RecordId,
    pub patient_id: PatientId,
    pub details: RecordDetails,
    pub source: RecordSource,
    pub version: i64,
    pub recorded_at: Timestamp,
    pub updated_at: Timestamp,
}

// --- Measurements -------------------------------------------------------------------------------

/// A measured value other than body weight, e.g. HbA1c (LOINC 4548-4) 7.6 %.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurementDetails {
    /// Code system URI of what was measured, e.g. `http://loinc.org`.
    pub system: String,
    pub code: String,
    pub display: Option<String>,
    pub value: f64,
    /// The unit as recorded (UCUM where the source used it).
    pub unit: String,
    pub measured_on: Date,
}

/// A stored measurement. Append-only, like weights.
#[derive(Debug, Clone, PartialEq)]
pub struct MeasurementEntry {
    pub id: MeasurementId,
    pub patient_id: PatientId,
    pub details: MeasurementDetails,
    pub source: RecordSource,
    pub recorded_at: Timestamp,
}

// --- Import -------------------------------------------------------------------------------------

/// One patient from another system (a FHIR export), with the source identifier of every
/// record, imported in one transaction by [`crate::Store::import_patient`].
///
/// The patient is recognised by any of `details.identifiers`; records, weights and
/// measurements by `(source_system, source_id)`. Importing the same thing twice changes
/// nothing; a newer export updates what changed.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientImport {
    /// The source system, kept with every record, e.g. `fhir` or the EHR's name.
    pub source_system: String,
    pub details: PatientDetails,
    /// (source id, record), e.g. `Condition/abc`.
    pub records: Vec<(String, RecordDetails)>,
    /// (source id, measured on, grams).
    pub weights: Vec<(String, Date, u32)>,
    /// (source id, measurement).
    pub measurements: Vec<(String, MeasurementDetails)>,
}

/// What an import did to the patient's demographics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportChange {
    Created,
    Updated,
    Unchanged,
}

/// How many of a kind of item an import created, updated or left as they were.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl ImportCounts {
    pub fn add(&mut self, other: ImportCounts) {
        self.created += other.created;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
    }

    pub(crate) fn count(&mut self, change: ImportChange) {
        match change {
            ImportChange::Created => self.created += 1,
            ImportChange::Updated => self.updated += 1,
            ImportChange::Unchanged => self.unchanged += 1,
        }
    }
}

/// What importing one patient did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReceipt {
    pub patient_id: PatientId,
    pub patient: ImportChange,
    pub records: ImportCounts,
    pub weights: ImportCounts,
    pub measurements: ImportCounts,
    /// Things the import kept as they were and why, e.g. a weight the source changed (weights
    /// are append-only here).
    pub notes: Vec<String>,
}

// --- Intake -------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeChannel {
    /// Entered by clinic staff.
    Staff,
    /// The public "Am I a candidate?" form.
    CandidateForm,
}

/// A submitted candidate form. Immutable; a newer form supersedes an older one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeForm {
    pub id: IntakeId,
    pub patient_id: PatientId,
    /// question id → answer, as validated by the core's vocabulary.
    pub answers: Vec<(String, bool)>,
    pub reported_conditions: Vec<String>,
    /// Where the problem is, as anatomy-catalogue region ids (empty when not asked or not
    /// said).
    pub regions: Vec<String>,
    /// Free text the candidate wrote, kept exactly as sent.
    pub note: Option<String>,
    pub channel: IntakeChannel,
    pub submitted_at: Timestamp,
    pub submitted_by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIntake {
    pub answers: Vec<(String, bool)>,
    pub reported_conditions: Vec<String>,
    pub regions: Vec<String>,
    pub note: Option<String>,
    pub channel: IntakeChannel,
}

// --- Screenings ---------------------------------------------------------------------------------

/// A screening as run: the protocol id and version, the verdict, and the full result document
/// (findings, evidence, citations). Immutable once stored; signing records who signed and
/// when, once.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredScreening {
    pub id: ScreeningId,
    pub patient_id: PatientId,
    pub protocol_id: String,
    pub protocol_version: String,
    pub as_of: Date,
    pub verdict: Outcome,
    pub result: ScreeningDocument,
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
    pub signature: Option<Signature>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub by: UserId,
    pub at: Timestamp,
}

/// A screening to store. The protocol, date and verdict are the document's own, so the row's
/// columns and its document can never disagree.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScreening {
    pub result: ScreeningDocument,
}

/// What the public candidate form stores for one person: the new patient, their form and the
/// unsigned screenings run on it, written together by [`Store::add_candidate_submission`].
///
/// [`Store::add_candidate_submission`]: crate::Store::add_candidate_submission
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateReceipt {
    pub patient: Patient,
    pub intake: IntakeForm,
    /// In the order given.
    pub screenings: Vec<StoredScreening>,
}

// --- Treatment plans and appointments ------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    Active,
    Completed,
    Cancelled,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Active => "active",
            PlanStatus::Completed => "completed",
            PlanStatus::Cancelled => "cancelled",
        }
    }
}

/// Which side of the body a plan treats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Left,
    Right,
    Both,
    Midline,
}

impl Side {
    pub const ALL: [Side; 4] = [Side::Left, Side::Right, Side::Both, Side::Midline];

    /// The one text form: `left`, `right`, `both`, `midline`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
            Side::Both => "both",
            Side::Midline => "midline",
        }
    }

    pub fn parse(text: &str) -> Option<Side> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// What a clinician decided: the protocol (id and version), what is treated and where, and the
/// dose and schedule the core computed, kept as typed documents so the plan reads later exactly
/// as it was made.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanDetails {
    pub protocol_id: String,
    pub protocol_version: String,
    pub indication: String,
    pub region: String,
    /// `None` where the protocol has no sides.
    pub side: Option<Side>,
    pub target_sites: Vec<String>,
    /// The dose as computed (volumes, split, explanation); `None` for protocols that inject
    /// nothing (IMS).
    pub dose: Option<DoseDocument>,
    /// The laid-out sessions and follow-ups, with their windows.
    pub schedule: ScheduleDocument,
    pub notes: Option<String>,
    /// The screening the plan was made from, its precautions and clearances; `None` for plans
    /// made before the safety gate.
    pub safety: Option<PlanSafetyDocument>,
    /// The clinic settings version the plan was made with; `None` when there were none.
    pub settings_version: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TreatmentPlan {
    pub id: PlanId,
    pub patient_id: PatientId,
    pub details: PlanDetails,
    pub status: PlanStatus,
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentKind {
    Session,
    FollowUp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    Booked,
    Completed,
    Cancelled,
    NoShow,
}

/// Which visit of its plan's schedule an appointment is: the visit's place in
/// [`ScheduleDocument::visits`], counted from 0. Stable, because a plan's schedule is never
/// rewritten; the window an appointment is held to follows this number, never its label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlanVisit(pub u32);

impl PlanVisit {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentDetails {
    pub plan_id: Option<PlanId>,
    /// The plan's visit this appointment books; `None` for an extra visit the plan did not
    /// lay out (and for appointments without a plan).
    pub plan_visit: Option<PlanVisit>,
    pub kind: AppointmentKind,
    /// Human label, e.g. "Session 2 of 3" or "Follow-up at 2–4 weeks".
    pub label: String,
    pub date: Date,
    /// Local start time "HH:MM", when booked to a time.
    pub start_time: Option<String>,
    pub duration_minutes: Option<u32>,
    pub clinician_id: Option<UserId>,
    pub status: AppointmentStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub id: AppointmentId,
    pub patient_id: PatientId,
    pub details: AppointmentDetails,
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// Calendar query: appointments with `from <= date <= to`, optionally one clinician's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarQuery {
    pub from: Date,
    pub to: Date,
    pub clinician_id: Option<UserId>,
}

// --- Users, tokens, sessions ---------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub version: i64,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// An argon2id PHC string; the store never sees a password.
    pub password_hash: String,
}

/// An API token for integrations. The secret itself is shown once at creation; only its
/// SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    /// The first characters of the secret, so an admin can tell tokens apart.
    pub prefix: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    pub last_used_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiToken {
    pub user_id: UserId,
    pub name: String,
    pub prefix: String,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
}

/// A signed-in browser or API session. Looked up by the SHA-256 of the cookie's secret, so a
/// copy of the database does not hand out live sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub secret_hash: String,
    pub user: User,
    /// The CSRF token bound to this session.
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub secret_hash: String,
    pub user_id: UserId,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// A one-time link to create the first admin. Only the SHA-256 of its secret is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupLink {
    pub secret_hash: String,
    pub expires_at: Timestamp,
}

// --- The chart ------------------------------------------------------------------------------------

/// One patient's chart as the chart page shows it, read by [`Store::patient_chart`] in one
/// transaction with one audit event. Each list is in the order of its own read
/// ([`Store::weights`], [`Store::records`] with no kind, [`Store::intakes`],
/// [`Store::screenings`], [`Store::plans`], [`Store::appointments`]).
///
/// [`Store::patient_chart`]: crate::Store::patient_chart
/// [`Store::weights`]: crate::Store::weights
/// [`Store::records`]: crate::Store::records
/// [`Store::intakes`]: crate::Store::intakes
/// [`Store::screenings`]: crate::Store::screenings
/// [`Store::plans`]: crate::Store::plans
/// [`Store::appointments`]: crate::Store::appointments
#[derive(Debug, Clone, PartialEq)]
pub struct PatientChart {
    pub patient: Patient,
    pub weights: Vec<WeightEntry>,
    pub records: Vec<ClinicalRecord>,
    pub intakes: Vec<IntakeForm>,
    pub screenings: Vec<StoredScreening>,
    /// Empty unless plans were asked for (a role that may read plans).
    pub plans: Vec<TreatmentPlan>,
    pub appointments: Vec<Appointment>,
    /// Adverse events, the latest onset first (those recorded in error too).
    pub adverse_events: Vec<crate::AdverseEvent>,
}

// --- Safety: clearances and the chart's changes ----------------------------------------------------

/// How a clearance reached the clinic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClearanceMethod {
    Letter,
    Call,
    Note,
}

impl ClearanceMethod {
    pub const ALL: [ClearanceMethod; 3] = [Self::Letter, Self::Call, Self::Note];

    /// The one text form (database, API, forms).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Letter => "letter",
            Self::Call => "call",
            Self::Note => "note",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// Plain words for the page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Letter => "letter",
            Self::Call => "telephone call",
            Self::Note => "clinical note",
        }
    }
}

/// A clearance to record: the finding of a signed screening it answers, and who gave it, when
/// and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClearance {
    pub screening_id: ScreeningId,
    /// The finding's concept (e.g. `pregnancy`).
    pub concept: String,
    /// The role the protocol names, e.g. "obstetrician".
    pub cleared_by_role: String,
    pub cleared_by_name: String,
    pub cleared_on: Date,
    pub method: ClearanceMethod,
    /// The letter's or note's reference, or the call's details.
    pub reference: Option<String>,
}

/// A recorded clearance. Never changed once recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clearance {
    pub id: ClearanceId,
    pub patient_id: PatientId,
    pub details: NewClearance,
    pub recorded_by: Option<UserId>,
    pub recorded_at: Timestamp,
}

/// One change to what screening reads, after a given moment: the reason a screening made
/// before it no longer judges the chart as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartChange {
    pub at: Timestamp,
    pub what: ChartChangeKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartChangeKind {
    /// A condition, medication or allergy recorded (entered or imported).
    RecordAdded {
        id: RecordId,
        kind: RecordKind,
        name: String,
    },
    /// A record corrected, or ended (its status now `status`).
    RecordChanged {
        id: RecordId,
        kind: RecordKind,
        name: String,
        status: RecordStatus,
    },
    WeightAdded {
        measured_on: Date,
        grams: u32,
    },
    MeasurementAdded {
        name: String,
        measured_on: Date,
    },
    /// Intake answers (staff) or a candidate form.
    IntakeAdded {
        channel: IntakeChannel,
    },
    /// Birth date, sex or death changed on the patient's own record.
    DetailsChanged,
}

/// What the safety gate and the re-screen flags read of one patient: the latest signed
/// screening of each protocol, every change to the chart since the oldest of them, and the
/// clearances recorded on them.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartStanding {
    pub patient_id: PatientId,
    /// The latest signed screening per protocol, newest first.
    pub signed: Vec<StoredScreening>,
    /// Changes after the oldest screening in `signed`, oldest first (empty when none is
    /// signed).
    pub changes: Vec<ChartChange>,
    /// Clearances recorded on the screenings in `signed`.
    pub clearances: Vec<Clearance>,
}

/// What screening reads of a chart inside a use case's [`Transaction`](crate::Transaction).
#[derive(Debug, Clone, PartialEq)]
pub struct ScreeningChart {
    pub weights: Vec<WeightEntry>,
    pub records: Vec<ClinicalRecord>,
    pub intakes: Vec<IntakeForm>,
    pub measurements: Vec<MeasurementEntry>,
}

// --- Audit ---------------------------------------------------------------------------------------

/// What an audited action did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditAction {
    /// Dotted verb, e.g. `patient.read`, `record.create`, `screening.sign`, `user.disable`.
    pub action: String,
    /// The patient concerned, for single-patient actions.
    pub patient_id: Option<PatientId>,
    /// Patients shown by a list or search.
    pub listed_patients: Vec<PatientId>,
    /// What was touched, e.g. `screening/12`; never patient data itself.
    pub target: Option<String>,
}

impl AuditAction {
    pub fn on_patient(action: &str, patient_id: PatientId) -> Self {
        Self {
            action: action.to_owned(),
            patient_id: Some(patient_id),
            listed_patients: Vec::new(),
            target: None,
        }
    }

    pub fn general(action: &str) -> Self {
        Self {
            action: action.to_owned(),
            patient_id: None,
            listed_patients: Vec::new(),
            target: None,
        }
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }
}

/// One row of the audit trail. `hash` = SHA-256 over the previous row's hash and this row's
/// fields (see `audit::chain_hash`), so editing or deleting a row breaks the chain after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub seq: i64,
    pub at: Timestamp,
    pub actor_user_id: Option<UserId>,
    pub actor_name: String,
    pub from: String,
    pub action: String,
    pub patient_id: Option<PatientId>,
    pub listed_patients: Vec<PatientId>,
    pub target: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every row links and matches. `head_hash` is the hash of the last row (row `rows`; the
    /// genesis hash of 64 zeros for an empty log): recorded outside the database, it lets a
    /// later check confirm with [`Store::audit_anchor`](crate::Store::audit_anchor) that the
    /// chain was not recomputed.
    Intact { rows: u64, head_hash: String },
    /// The first row whose stored hash or link does not match; everything before it is intact.
    Broken {
        seq: i64,
        rows_checked: u64,
        reason: String,
    },
}
