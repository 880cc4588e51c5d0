//! Myotome's persistent store. The rest of the program talks to the [`Store`] trait in domain
//! types ([`model`]); one implementation over sqlx runs on SQLite (the default, one file) and on
//! PostgreSQL (clinic networks, several `serve` processes sharing one database).
//!
//! Architecture invariants kept here:
//! - No SQL outside this crate; no sqlx type crosses its public interface.
//! - Every read or write of patient data takes an [`Actor`] and appends its audit event in the
//!   *same transaction* as the data it reads or writes, so an acknowledged write always has its
//!   audit row and a failed audit append fails the request (fail closed).
//! - Audit rows are append-only and hash-chained; [`Store::verify_audit_chain`] names the first
//!   row that does not match, and its head hash, recorded elsewhere, anchors the chain
//!   ([`Store::audit_anchor`]).
//! - Mutable records carry a version; a write naming an older version is refused
//!   ([`StoreError::Stale`]).

pub mod adverse_events;
pub mod billing;
pub mod documents;
pub mod keys;
pub mod lots;
pub mod model;
pub mod notes;
pub mod outbox;
pub mod outcomes;
pub mod visits;

pub use adverse_events::*;
use async_trait::async_trait;
pub use billing::*;
pub use documents::*;
use jiff::Timestamp;
use jiff::civil::Date;
pub use lots::*;
pub use model::*;
pub use notes::*;
pub use outbox::*;
pub use outcomes::*;
use std::path::Path;
pub use visits::*;

/// Which database a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What can go wrong. Variants other than `Database` carry a sentence fit to show a user.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record does not exist (or is not visible to this query).
    #[error("{what} {id} does not exist")]
    NotFound { what: &'static str, id: String },
    /// Optimistic concurrency: the caller read an older version than the one stored now.
    #[error(
        "{what} {id} was changed by someone else (now at version {current_version}, you sent {sent_version}); reload it and apply your change again"
    )]
    Stale {
        what: &'static str,
        id: String,
        current_version: i64,
        sent_version: i64,
    },
    /// The write would break a uniqueness or state rule, e.g. a username already taken or a
    /// screening already signed.
    #[error("{0}")]
    Conflict(String),
    /// The request cannot be honoured on this backend or in this state, e.g. an online
    /// backup of PostgreSQL (use pg_dump).
    #[error("{0}")]
    Unsupported(String),
    /// A stored clinical document (a screening's result, a plan's dose or schedule) does not
    /// read as this program's type for it: written by a newer Myotome, or changed outside it.
    /// Nothing is guessed and nothing is shown half-read; the detail (column, position, kind of
    /// mismatch, never the content) is in the server log.
    #[error(
        "{what} {id} is stored in a form this version of Myotome cannot read, so it is not shown; nothing was changed. Ask your administrator to check the server log (it names the record and the column) and the Myotome version that wrote it"
    )]
    Unreadable { what: &'static str, id: String },
    /// The database failed. The detail is for the server log, never for the client.
    #[error("database error: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Patients, their weights, lab results and whole charts, and FHIR imports of them.
#[async_trait]
pub trait PatientStore: Send + Sync {
    // --- Patients -------------------------------------------------------------------------------
    async fn create_patient(&self, actor: &Actor, details: &PatientDetails) -> Result<Patient>;
    async fn patient(&self, actor: &Actor, id: PatientId) -> Result<Patient>;
    async fn update_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: i64,
        details: &PatientDetails,
    ) -> Result<Patient>;
    /// Name / birth date / identifier search with paging; no criteria lists everyone, ordered
    /// by family name, given names, id.
    async fn search_patients(&self, actor: &Actor, search: &PatientSearch) -> Result<PatientList>;
    async fn add_weight(
        &self,
        actor: &Actor,
        patient: PatientId,
        measured_on: Date,
        grams: u32,
        source: &RecordSource,
    ) -> Result<WeightEntry>;
    /// Newest measurement first.
    async fn weights(&self, actor: &Actor, patient: PatientId) -> Result<Vec<WeightEntry>>;

    /// The whole chart the chart page shows (see [`PatientChart`]), read in one transaction
    /// and audited as one event, `chart.read`, instead of one per list: each audited read is
    /// a commit, so a page of seven reads paid seven. Plans are read only when
    /// `include_plans` (the viewer's role may read them). A missing patient is `NotFound`.
    async fn patient_chart(
        &self,
        actor: &Actor,
        patient: PatientId,
        include_plans: bool,
    ) -> Result<PatientChart>;

    /// Measurements other than body weight (lab results), newest first.
    async fn measurements(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<MeasurementEntry>>;

    /// Creates or updates one patient from another system with all their records, in one
    /// transaction with one audit event (see [`PatientImport`]). Identifiers that belong to two
    /// different patients here are a `Conflict`, and nothing is written.
    async fn import_patient(&self, actor: &Actor, import: &PatientImport) -> Result<ImportReceipt>;
}

/// What the clinic records on a chart: conditions, medications, allergies, candidate
/// forms and screenings.
#[async_trait]
pub trait ChartStore: Send + Sync {
    // --- Conditions, medications, allergies -----------------------------------------------------
    async fn add_record(
        &self,
        actor: &Actor,
        patient: PatientId,
        details: &RecordDetails,
        source: &RecordSource,
    ) -> Result<ClinicalRecord>;
    async fn update_record(
        &self,
        actor: &Actor,
        id: RecordId,
        expected_version: i64,
        details: &RecordDetails,
    ) -> Result<ClinicalRecord>;
    async fn records(
        &self,
        actor: &Actor,
        patient: PatientId,
        kind: Option<RecordKind>,
    ) -> Result<Vec<ClinicalRecord>>;

    // --- Intake ---------------------------------------------------------------------------------
    async fn add_intake(
        &self,
        actor: &Actor,
        patient: PatientId,
        intake: &NewIntake,
    ) -> Result<IntakeForm>;
    /// Newest first.
    async fn intakes(&self, actor: &Actor, patient: PatientId) -> Result<Vec<IntakeForm>>;

    /// The public candidate form: creates the patient, stores their form and the unsigned
    /// screenings already run on it, in one transaction, each with its own audit event
    /// (`patient.create`, `intake.create`, `screening.create`) as the separate writes would
    /// have. If any insert fails, nothing is stored: no patient without their form.
    async fn add_candidate_submission(
        &self,
        actor: &Actor,
        details: &PatientDetails,
        intake: &NewIntake,
        screenings: &[NewScreening],
    ) -> Result<CandidateReceipt>;

    // --- Screenings -----------------------------------------------------------------------------
    async fn add_screening(
        &self,
        actor: &Actor,
        patient: PatientId,
        screening: &NewScreening,
    ) -> Result<StoredScreening>;
    async fn screening(&self, actor: &Actor, id: ScreeningId) -> Result<StoredScreening>;
    /// Newest first.
    async fn screenings(&self, actor: &Actor, patient: PatientId) -> Result<Vec<StoredScreening>>;
    /// Signs once; signing a signed screening is a `Conflict`.
    async fn sign_screening(
        &self,
        actor: &Actor,
        id: ScreeningId,
        by: UserId,
    ) -> Result<StoredScreening>;

    /// The charts merged into `patient`, oldest first; audited as `patient.merges`.
    async fn merges_into(&self, actor: &Actor, patient: PatientId) -> Result<Vec<PatientMerge>>;

    // --- Safety ---------------------------------------------------------------------------------
    /// The patient's latest signed screening per protocol, the chart's changes since and the
    /// clearances recorded on them; audited as `safety.read`.
    async fn chart_standing(&self, actor: &Actor, patient: PatientId) -> Result<ChartStanding>;
}

/// Treatment plans, appointments and the clinic calendar.
#[async_trait]
pub trait PlanStore: Send + Sync {
    // --- Treatment plans and appointments -------------------------------------------------------
    /// Stores the plan and its booked appointments in one transaction.
    async fn create_plan(
        &self,
        actor: &Actor,
        patient: PatientId,
        plan: &PlanDetails,
        appointments: &[AppointmentDetails],
    ) -> Result<(TreatmentPlan, Vec<Appointment>)>;
    async fn plan(&self, actor: &Actor, id: PlanId) -> Result<TreatmentPlan>;
    async fn plans(&self, actor: &Actor, patient: PatientId) -> Result<Vec<TreatmentPlan>>;
    async fn set_plan_status(
        &self,
        actor: &Actor,
        id: PlanId,
        expected_version: i64,
        status: PlanStatus,
    ) -> Result<TreatmentPlan>;
    async fn book_appointment(
        &self,
        actor: &Actor,
        patient: PatientId,
        details: &AppointmentDetails,
    ) -> Result<Appointment>;
    async fn update_appointment(
        &self,
        actor: &Actor,
        id: AppointmentId,
        expected_version: i64,
        details: &AppointmentDetails,
    ) -> Result<Appointment>;
    async fn appointment(&self, actor: &Actor, id: AppointmentId) -> Result<Appointment>;
    /// In date order.
    async fn appointments(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Appointment>>;
    /// In date and time order.
    async fn calendar(&self, actor: &Actor, query: &CalendarQuery) -> Result<Vec<Appointment>>;
}

/// Work lists across patients (the Today page); bounded, each audited as a list.
#[async_trait]
pub trait WorkListStore: Send + Sync {
    // --- Work lists across patients (the Today page); bounded, each audited as a list -------
    /// Patients by id (for the names in a list), in the order asked; ids that do not exist are
    /// left out. At most 200 ids are looked up.
    async fn patients_by_id(&self, actor: &Actor, ids: &[PatientId]) -> Result<Vec<Patient>>;
    /// Screenings no clinician has signed yet, newest first, at most `limit` (capped at 200).
    async fn unsigned_screenings(&self, actor: &Actor, limit: u32) -> Result<Vec<StoredScreening>>;
    /// Candidate forms sent through the public form ([`IntakeChannel::CandidateForm`]) at or
    /// after `since`, newest first, at most `limit` (capped at 200).
    async fn candidate_intakes_since(
        &self,
        actor: &Actor,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<IntakeForm>>;
    /// Active treatment plans, most recently changed first, at most `limit` (capped at 1000),
    /// each with all its appointments in date order.
    async fn active_plans(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<(TreatmentPlan, Vec<Appointment>)>>;
    /// For each of `patients` (at most 200), the other live charts that may be the same person
    /// (see [`Transaction::possible_duplicates`]); patients with none are left out. Audited as
    /// a list of every chart shown.
    async fn duplicates_of(
        &self,
        actor: &Actor,
        patients: &[PatientId],
    ) -> Result<Vec<(PatientId, Vec<Patient>)>>;
    /// [`ChartStore::chart_standing`] of several patients (at most 200), in the order asked;
    /// ids that do not exist are left out.
    async fn chart_standings(
        &self,
        actor: &Actor,
        patients: &[PatientId],
    ) -> Result<Vec<ChartStanding>>;
}

/// Users, sign-in throttling, rate limits, sessions, API tokens and first-run set-up.
#[async_trait]
pub trait AccessStore: Send + Sync {
    // --- Users ----------------------------------------------------------------------------------
    async fn count_users(&self) -> Result<u64>;
    /// A taken username (case-insensitive) is a `Conflict`.
    async fn create_user(&self, actor: &Actor, user: &NewUser) -> Result<User>;
    async fn user(&self, id: UserId) -> Result<User>;
    /// The user and their password hash, for sign-in; usernames match case-insensitively.
    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>>;
    async fn users(&self) -> Result<Vec<User>>;
    /// Changing role, name or disabled state. Disabling also ends the user's sessions.
    async fn update_user(
        &self,
        actor: &Actor,
        id: UserId,
        expected_version: i64,
        display_name: &str,
        role: Role,
        disabled: bool,
    ) -> Result<User>;
    /// Replaces the password hash and ends the user's sessions.
    async fn set_password(&self, actor: &Actor, id: UserId, password_hash: &str) -> Result<User>;

    // --- Sign-in throttling (in the database, so it holds across `serve` processes) -------------
    async fn record_sign_in_attempt(
        &self,
        username: &str,
        from: &str,
        succeeded: bool,
        at: Timestamp,
    ) -> Result<()>;
    /// Failed attempts since `since` for this username, and from this address (any username).
    async fn failed_sign_ins_since(
        &self,
        username: &str,
        from: &str,
        since: Timestamp,
    ) -> Result<(u64, u64)>;
    /// Removes sign-in attempts made before `before` (the throttling window only looks back
    /// a little); returns how many.
    async fn delete_sign_in_attempts_before(&self, before: Timestamp) -> Result<u64>;

    // --- Rate limits (in the database, so they hold across `serve` processes) ----------------
    /// Records one hit on `key` at `now` and answers how many hits `key` has had at or after
    /// `since`, this one included. Hits of `key` older than `since` are removed on the way, so
    /// the table holds only what some window still counts.
    async fn rate_limit_hit(&self, key: &str, now: Timestamp, since: Timestamp) -> Result<u64>;

    // --- Sessions -------------------------------------------------------------------------------
    async fn create_session(&self, session: &NewSession) -> Result<()>;
    /// The session if it exists, has not expired at `now`, and its user is not disabled.
    async fn session(&self, secret_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>>;
    async fn delete_session(&self, secret_hash: &str) -> Result<()>;
    /// Removes expired sessions; returns how many.
    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64>;

    // --- API tokens -----------------------------------------------------------------------------
    async fn create_api_token(&self, actor: &Actor, token: &NewApiToken) -> Result<ApiToken>;
    async fn api_tokens(&self) -> Result<Vec<ApiToken>>;
    /// The token and its user when the token is not revoked and the user not disabled.
    async fn api_token_user(&self, secret_hash: &str) -> Result<Option<(ApiToken, User)>>;
    async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> Result<ApiToken>;

    // --- First-run set-up -----------------------------------------------------------------------
    async fn create_setup_link(&self, link: &SetupLink) -> Result<()>;
    /// Creates the first admin if the link is valid at `now`, unused, and no user exists yet;
    /// marks the link used. All in one transaction.
    async fn consume_setup_link(
        &self,
        secret_hash: &str,
        now: Timestamp,
        admin: &NewUser,
    ) -> Result<User>;
}

/// The audit trail and its chain.
#[async_trait]
pub trait AuditStore: Send + Sync {
    // --- Audit ----------------------------------------------------------------------------------
    /// Appends an event for an action the store does not see itself (sign-in, export).
    async fn record_audit(&self, actor: &Actor, action: &AuditAction) -> Result<()>;
    /// Every event that concerns this patient (single-patient actions and lists that showed
    /// them), oldest first. Reading the trail is itself audited.
    async fn audit_trail(&self, actor: &Actor, patient: PatientId) -> Result<Vec<AuditEvent>>;
    /// Walks the whole chain. When it is intact, the answer carries the head hash: recorded
    /// outside the database (with its row count as seq), it is an anchor for
    /// [`Store::audit_anchor`].
    async fn verify_audit_chain(&self) -> Result<ChainCheck>;
    /// The stored hash of audit row `seq`, `None` when there is no such row. An operator who
    /// recorded `(seq, hash)` from an intact verification confirms later that the chain still
    /// contains that row unchanged: an intact chain whose row `seq` has the recorded hash was
    /// not rewritten up to `seq`, not even by a full recompute of every hash.
    async fn audit_anchor(&self, seq: i64) -> Result<Option<String>>;
}

/// The clinic's settings: what the seeds leave to the clinic, versioned.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The latest version, `None` before the clinic set anything.
    async fn clinic_settings(&self) -> Result<Option<StoredSettings>>;
    /// One version (a plan names the version it was made with).
    async fn clinic_settings_version(&self, version: i64) -> Result<StoredSettings>;
    /// Adds version `expected + 1` (`expected` 0 before any); `Stale` when someone saved in
    /// between. Audited as `settings.change`.
    async fn save_clinic_settings(
        &self,
        actor: &Actor,
        expected: i64,
        document: &ClinicSettingsDocument,
        note: Option<&str>,
    ) -> Result<StoredSettings>;
}

/// Biologic products and lots, as the inventory reads them (writes go through a
/// [`Transaction`], where the ledger is read and the movement checked and written together).
#[async_trait]
pub trait LotStore: Send + Sync {
    /// Every product, by name.
    async fn lot_products(&self) -> Result<Vec<Product>>;
    /// Every lot with its product and ledger, earliest expiry first.
    async fn lot_ledgers(&self) -> Result<Vec<LotLedger>>;
    async fn lot_ledger(&self, id: LotId) -> Result<LotLedger>;
    /// The lots named `name` the way people name one: the clinic's number for it, its lot
    /// number or its distinct identification code (indexed; not a scan of every lot).
    async fn lot_ledgers_named(&self, name: &str) -> Result<Vec<LotLedger>>;
    /// The patients a lot was issued to or given to, with the visits (a recall's list);
    /// audited as `lot.recipients`, listing them.
    async fn lot_recipients(&self, actor: &Actor, lot: LotId) -> Result<Vec<LotRecipient>>;
    /// The lots a patient was issued or given (look-back); audited as `lot.given`.
    async fn lots_given(&self, actor: &Actor, patient: PatientId) -> Result<Vec<LotGiven>>;
    /// Who was told of the lot's recall, oldest first; audited as `lot.notices`, listing them.
    async fn recall_notices(&self, actor: &Actor, lot: LotId) -> Result<Vec<RecallNotice>>;
    /// The storage temperature log taken from `since` on, newest first (no patient data).
    async fn storage_readings(&self, since: Timestamp) -> Result<Vec<StorageReading>>;
    /// Every storage location the clinic named, in a `stored` movement or a reading, by name.
    async fn storage_locations(&self) -> Result<Vec<String>>;
}

/// Treatment visits' days, as Today and the visit's page read them (steps are written through
/// a [`Transaction`], where the stage is read and the step checked and written together).
#[async_trait]
pub trait VisitStore: Send + Sync {
    /// The steps of these visits (at most a day's list), in the order recorded. Not audited
    /// alone: the pages that show them read the visits through audited reads.
    async fn visit_steps(&self, visits: &[AppointmentId]) -> Result<Vec<VisitStep>>;
    /// The visit's procedure note with its addenda (and whether its signature still
    /// matches); `None` before one is written. Audited as `note.read` on the patient's chart.
    async fn procedure_note(
        &self,
        actor: &Actor,
        visit: &Appointment,
    ) -> Result<Option<ProcedureNote>>;
}

/// Patient-reported outcomes, as the chart, the staff's work list and the response rates read
/// them (requests, links and responses are written through a [`Transaction`]).
#[async_trait]
pub trait OutcomeStore: Send + Sync {
    /// Every questionnaire request of a patient with its link and response, in due order;
    /// audited as `outcomes.read` on the chart.
    async fn outcome_requests(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<OutcomeRequest>>;
    /// Unanswered requests of plans not cancelled whose window opened by `today` and closed no
    /// earlier than `since`, the longest overdue first, at most `limit`; audited as `outcomes.work_list`, listing
    /// the patients.
    async fn outcome_requests_to_chase(
        &self,
        actor: &Actor,
        today: jiff::civil::Date,
        since: jiff::civil::Date,
        limit: u32,
    ) -> Result<Vec<OutcomeRequest>>;
    /// Per protocol and timepoint, the requests answered or whose window closed before
    /// `today`, and how many were answered (cancelled plans left out). Counts only: no patient
    /// in it, not audited.
    async fn outcome_response_counts(&self, today: jiff::civil::Date)
    -> Result<Vec<ResponseCount>>;
    /// The requests and scores a cohort report reads (numbers, no names); audited as
    /// `outcomes.report` with the protocol.
    async fn outcome_report_rows(
        &self,
        actor: &Actor,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportRow>>;
    /// The report's plans with the dates the time-to-surgery curve reads (no names); audited
    /// as `outcomes.report` with the protocol.
    async fn treated_plans(&self, actor: &Actor, filter: &ReportFilter)
    -> Result<Vec<TreatedPlan>>;
    /// Every conversion to surgery recorded on the patient's chart, withdrawn ones too;
    /// audited as `outcomes.surgery_read` on the chart.
    async fn surgical_conversions(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<SurgicalConversion>>;
}

/// Adverse events beyond one chart: Today's open events and the safety report (one patient's
/// events come with the chart, [`ChartStore`]).
#[async_trait]
pub trait AdverseEventStore: Send + Sync {
    /// Standing events not over yet, serious first, at most `limit`; audited as
    /// `adverse_event.list`, listing the patients.
    async fn open_adverse_events(&self, actor: &Actor, limit: u32)
    -> Result<Vec<OpenAdverseEvent>>;
    /// Every event on the patient's chart (those recorded in error too), the latest onset
    /// first; audited as `adverse_event.read` on the chart.
    async fn adverse_events(&self, actor: &Actor, patient: PatientId) -> Result<Vec<AdverseEvent>>;
    /// Every version of an event, the first first; audited as `adverse_event.read` on the
    /// chart.
    async fn adverse_event_history(
        &self,
        actor: &Actor,
        id: AdverseEventId,
    ) -> Result<(AdverseEvent, Vec<AdverseEventRevision>)>;
    /// What patients reported through a link and staff have not triaged, the oldest first, at
    /// most `limit`; audited as `adverse_event.reports`, listing the patients.
    async fn patient_reports_waiting(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<WaitingReport>>;
    /// The procedures in scope and the standing events after them; audited as
    /// `adverse_event.report` with the protocol or lot, listing the events' patients.
    async fn safety_rows(&self, actor: &Actor, filter: &SafetyFilter) -> Result<SafetyRows>;
}

/// Billing's settings, as the superbill reads them: the fee schedule and the imported PTP
/// edits (no patient data in either: not audited), and a visit's confirmed coding (read by the
/// superbill use case, whose patient and note reads are audited).
#[async_trait]
pub trait BillingStore: Send + Sync {
    async fn fees(&self) -> Result<Vec<Fee>>;
    /// The imported edits between the codes given (a visit's lines).
    async fn imported_edits(&self, codes: &[String]) -> Result<Vec<ImportedEdit>>;
    /// Each file the imported edits came from (empty before any import).
    async fn ptp_imports(&self) -> Result<Vec<PtpImport>>;
    async fn visit_coding(&self, visit: AppointmentId) -> Result<Option<VisitCoding>>;
}

/// The outbox, as the mail loop and the staff's pages read it (messages are put in it, and
/// their deliveries recorded, through a [`Transaction`]).
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Queued messages whose next attempt is due at `now`, oldest first, at most `limit`. Not
    /// audited: the mail loop reads them to send them, and audits each delivery.
    async fn mail_waiting(&self, now: Timestamp, limit: u32) -> Result<Vec<Mail>>;
    /// Takes a waiting message for one attempt, leasing it until `until` (so two servers on
    /// one database do not both send it); `false` when another took it first.
    async fn take_mail(&self, id: MailId, now: Timestamp, until: Timestamp) -> Result<bool>;
    /// The latest messages, newest first, at most `limit` (`patient`: only theirs); audited as
    /// `outbox.read`, on the chart or listing the patients.
    async fn outbox(
        &self,
        actor: &Actor,
        patient: Option<PatientId>,
        limit: u32,
    ) -> Result<Vec<Mail>>;
}

/// Everything Myotome keeps, one small trait per area (a new capability adds its own), plus
/// what spans them: the backend, the use-case [`Transaction`] and maintenance. See the crate
/// documentation for the invariants. `use myotome_store::prelude::*` brings every area's
/// methods into scope.
#[async_trait]
pub trait Store:
    PatientStore
    + ChartStore
    + PlanStore
    + WorkListStore
    + AccessStore
    + AuditStore
    + SettingsStore
    + LotStore
    + VisitStore
    + OutcomeStore
    + OutboxStore
    + AdverseEventStore
    + BillingStore
    + 'static
{
    fn backend(&self) -> Backend;

    /// Opens one use case's transaction (see [`Transaction`]): what it reads cannot change
    /// before it commits, and its writes commit with their audit rows or not at all.
    async fn begin(&self, actor: &Actor) -> Result<Box<dyn Transaction>>;

    // --- Maintenance ----------------------------------------------------------------------------
    /// A consistent copy of the live database into a new file (SQLite `VACUUM INTO`). On
    /// PostgreSQL this is `Unsupported`: use pg_dump.
    async fn backup_to(&self, path: &Path) -> Result<()>;
}

/// The store's traits, to call any area's methods on a `dyn Store`.
pub mod prelude {
    pub use crate::{
        AccessStore, AdverseEventStore, AuditStore, BillingStore, ChartStore, LotStore,
        OutboxStore, OutcomeStore, PatientStore, PlanStore, SettingsStore, Store, Transaction,
        VisitStore, WorkListStore,
    };
}

/// One use case's reads and writes, committed together with their audit rows: a check and the
/// write it guards can never be separated by another request's write.
///
/// Opened by [`Store::begin`], which takes the database's write lock at once (so two
/// concurrent use cases run one after the other, and neither can pass a check only one may
/// pass). Each write queues its audit event, as the single-write [`Store`] method would; an
/// event the store does not see itself (a window override) is added with
/// [`Transaction::record_audit`]. [`Transaction::commit`] appends every event and commits;
/// dropping the transaction instead rolls everything back. Reads inside a transaction serve its
/// write and are covered by the write's audit event.
///
/// New capabilities add the reads and writes their use cases need here.
#[async_trait]
pub trait Transaction: Send {
    // --- The chart, as screening reads it ------------------------------------------------------
    async fn patient(&mut self, id: PatientId) -> Result<Patient>;
    /// What screening judges: the patient's weights (newest first), coded records, candidate
    /// forms (newest first) and lab measurements (newest first).
    async fn screening_chart(&mut self, patient: PatientId) -> Result<ScreeningChart>;
    /// Audited as `screening.create`.
    async fn add_screening(
        &mut self,
        patient: PatientId,
        screening: &NewScreening,
    ) -> Result<StoredScreening>;

    async fn screening(&mut self, id: ScreeningId) -> Result<StoredScreening>;
    /// See [`ChartStore::chart_standing`].
    async fn chart_standing(&mut self, patient: PatientId) -> Result<ChartStanding>;
    // --- Biologic lots ---------------------------------------------------------------------------
    /// Audited as `product.create`.
    async fn add_product(&mut self, details: &ProductDetails) -> Result<Product>;
    async fn lot_product(&mut self, id: ProductId) -> Result<Product>;
    /// The lot and no event yet (the use case records its receipt); audited as `lot.receive`
    /// (on the patient's chart for autologous material).
    async fn receive_lot(&mut self, details: &LotDetails) -> Result<Lot>;
    /// The lot, its product and its ledger, as the movement about to be written checks them.
    async fn lot_ledger(&mut self, id: LotId) -> Result<LotLedger>;
    /// The lots named `name` (the clinic's number, lot number or distinct code), as a note
    /// about to record a scanned lot finds it.
    async fn lot_ledgers_named(&mut self, name: &str) -> Result<Vec<LotLedger>>;
    /// Appends a movement; audited as `lot.<kind>`.
    async fn add_lot_event(&mut self, lot: &Lot, event: &NewLotEvent) -> Result<LotEvent>;
    /// The patients the lot reached, as a recall reads them inside its transaction.
    async fn lot_recipients(&mut self, lot: LotId) -> Result<Vec<LotRecipient>>;
    // --- A visit's day ----------------------------------------------------------------------------
    /// The visit's steps so far, as the step about to be written checks them.
    async fn visit_steps(&mut self, visit: AppointmentId) -> Result<Vec<VisitStep>>;
    /// The visit's note, as the write about to be made checks it.
    async fn procedure_note(&mut self, visit: AppointmentId) -> Result<Option<ProcedureNote>>;
    /// Writes the visit's draft note (`expected`: the version read, `None` for a new note);
    /// audited as `note.save`.
    async fn save_procedure_note(
        &mut self,
        visit: &Appointment,
        document: &ProcedureNoteDocument,
        expected: Option<i64>,
    ) -> Result<()>;
    /// Signs the draft at version `expected` as the caller at `at`; audited as `note.sign`.
    async fn sign_procedure_note(
        &mut self,
        visit: &Appointment,
        expected: i64,
        at: Timestamp,
    ) -> Result<()>;
    /// Adds an addendum to a note; audited as `note.addendum`.
    async fn add_note_addendum(
        &mut self,
        visit: &Appointment,
        note: i64,
        text: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// Marks a note entered in error with the reason; audited as `note.entered_in_error`.
    async fn mark_note_entered_in_error(
        &mut self,
        visit: &Appointment,
        note: i64,
        reason: &str,
        at: Timestamp,
    ) -> Result<()>;
    // --- Outcomes -----------------------------------------------------------------------------
    /// Adds the plan's questionnaire requests not made yet (a request is its plan, timepoint
    /// and plan visit), returning how many were added; audited as `outcomes.schedule` on the
    /// chart when any was.
    async fn add_outcome_requests(
        &mut self,
        patient: PatientId,
        requests: &[NewOutcomeRequest],
    ) -> Result<u64>;
    async fn outcome_request(&mut self, id: OutcomeRequestId) -> Result<OutcomeRequest>;
    /// Sends the request as a new link (the token kept only as `token_hash`), replacing the
    /// open one; audited as `outcomes.link` on the chart.
    async fn issue_outcome_link(
        &mut self,
        request: &OutcomeRequest,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> Result<()>;
    /// The request a link opens (by its token's hash) and the patient's first name; audited
    /// as `outcomes.link_opened` on the chart when found.
    async fn outcome_link_target(&mut self, token_hash: &str) -> Result<Option<LinkTarget>>;
    /// Writes the answers once; a second response is a `Conflict`. Audited as
    /// `outcomes.answer` on the chart.
    async fn add_outcome_response(
        &mut self,
        request: &OutcomeRequest,
        response: &NewResponse,
    ) -> Result<()>;
    /// Records that the plan's patient went on to have surgery; a second standing record for
    /// the plan is a `Conflict`. Audited as `outcomes.surgery` on the chart.
    async fn add_surgical_conversion(
        &mut self,
        plan: &TreatmentPlan,
        conversion: &NewConversion,
    ) -> Result<SurgicalConversion>;
    async fn surgical_conversion(&mut self, id: ConversionId) -> Result<SurgicalConversion>;
    /// Withdraws a conversion recorded in error, with the reason; audited as
    /// `outcomes.surgery_withdrawn` on the chart.
    async fn withdraw_surgical_conversion(
        &mut self,
        conversion: &SurgicalConversion,
        reason: &str,
        at: Timestamp,
    ) -> Result<()>;
    // --- Adverse events --------------------------------------------------------------------------
    /// Records an adverse event on the patient's chart (its first version); audited as
    /// `adverse_event.record` on the chart.
    async fn add_adverse_event(
        &mut self,
        patient: PatientId,
        via: ReportedVia,
        details: &AdverseEventDetails,
        at: Timestamp,
    ) -> Result<AdverseEvent>;
    async fn adverse_event(&mut self, id: AdverseEventId) -> Result<AdverseEvent>;
    /// Brings an event up to date (a new version), if it is still at `event.version` and
    /// stands, else a `Conflict`; audited as `adverse_event.update` on the chart.
    async fn update_adverse_event(
        &mut self,
        event: &AdverseEvent,
        details: &AdverseEventDetails,
        at: Timestamp,
    ) -> Result<AdverseEvent>;
    /// Marks an event as recorded in error, with the reason; audited as
    /// `adverse_event.in_error` on the chart.
    async fn mark_adverse_event_in_error(
        &mut self,
        event: &AdverseEvent,
        reason: &str,
        at: Timestamp,
    ) -> Result<()>;
    /// Keeps what the patient wrote, with the questionnaire's answers, when asked whether
    /// anything unexpected happened; audited as `adverse_event.reported` on the chart.
    async fn add_patient_report(
        &mut self,
        request: &OutcomeRequest,
        text: &str,
        at: Timestamp,
    ) -> Result<PatientReportId>;
    async fn patient_report(&mut self, id: PatientReportId) -> Result<PatientReport>;
    /// Triages a report: recorded as `event`, or not an event for `note`; a report triaged
    /// already is a `Conflict`. Audited as `adverse_event.triaged` on the chart.
    async fn triage_patient_report(
        &mut self,
        report: &PatientReport,
        event: Option<AdverseEventId>,
        note: Option<&str>,
        at: Timestamp,
    ) -> Result<()>;
    // --- Billing -------------------------------------------------------------------------------
    /// Sets a code's charge (`None` removes it); audited as `billing.fee` with the code.
    async fn set_fee(&mut self, code: &str, cents: Option<i64>, at: Timestamp) -> Result<()>;
    /// Replaces the edits imported from that part of CMS's file set (f1 … f4) by the file's,
    /// keeping the other parts; audited as `billing.ptp_import`.
    async fn replace_ptp_edits(
        &mut self,
        file_name: &str,
        edits: &[ImportedEdit],
        at: Timestamp,
    ) -> Result<()>;
    /// Saves a visit's coding as version `expected + 1`; `Stale` when someone saved between.
    /// Audited as `billing.coding` on the chart.
    async fn save_visit_coding(
        &mut self,
        visit: &Appointment,
        expected: i64,
        document: &VisitCodingDocument,
        at: Timestamp,
    ) -> Result<()>;
    // --- The outbox ----------------------------------------------------------------------------
    /// Puts a message in the outbox, to go at once; audited as `outbox.queue` on the chart.
    async fn enqueue_mail(&mut self, mail: &NewMail) -> Result<MailId>;
    /// Records what became of an attempt to deliver `mail`, taken by the mail loop with the
    /// lease `lease`; audited as `outbox.sent`, `outbox.retry` or `outbox.failed` on the chart.
    /// `false` (nothing written): the message is no longer the loop's.
    async fn record_delivery(
        &mut self,
        mail: &Mail,
        delivery: &Delivery,
        lease: Timestamp,
    ) -> Result<bool>;
    /// Appends a step of the day; audited as `visit.<step>` on the patient's chart.
    async fn add_visit_step(
        &mut self,
        visit: &Appointment,
        step: &NewVisitStep,
    ) -> Result<VisitStep>;
    /// Records that a patient was told of the lot's recall; audited as `lot.notify` on their
    /// chart.
    async fn add_recall_notice(
        &mut self,
        lot: LotId,
        patient: PatientId,
        method: NoticeMethod,
        note: Option<&str>,
    ) -> Result<RecallNotice>;
    /// Appends readings to the storage temperature log, all or none; audited as
    /// `storage.reading`, one audit row per location the readings name.
    async fn add_storage_readings(
        &mut self,
        readings: &[NewReading],
    ) -> Result<Vec<StorageReading>>;

    /// Audited as `intake.create` (a chart change): answers recorded by the caller.
    async fn add_intake(&mut self, patient: PatientId, intake: &NewIntake) -> Result<IntakeForm>;
    /// One version of the clinic's settings (the one a plan was made with), read inside the
    /// use case's transaction.
    async fn clinic_settings_version(&mut self, version: i64) -> Result<StoredSettings>;
    /// Audited as `clearance.record`; the screening must be the patient's.
    async fn add_clearance(
        &mut self,
        patient: PatientId,
        clearance: &NewClearance,
    ) -> Result<Clearance>;

    // --- One person, one chart ------------------------------------------------------------------
    /// Live charts that may be the person `details` describes (the same folded name and birth
    /// date, or an identifier of the same system matching once trimmed and case-folded),
    /// `except` left out. A read: the caller audits what it shows (`record_audit`).
    async fn possible_duplicates(
        &mut self,
        details: &PatientDetails,
        except: Option<PatientId>,
    ) -> Result<Vec<Patient>>;
    /// Audited as `patient.create`.
    async fn create_patient(&mut self, details: &PatientDetails) -> Result<Patient>;
    /// Moves every record of `merged` to `kept` and marks `merged` merged into it; audited as
    /// `patient.merge` on both charts.
    async fn merge_patients(
        &mut self,
        kept: PatientId,
        merged: PatientId,
        reason: &str,
    ) -> Result<PatientMerge>;

    // --- Plans and appointments ----------------------------------------------------------------
    /// The plan and its appointments; audited as one `plan.create`, as
    /// [`PlanStore::create_plan`] is.
    async fn create_plan(
        &mut self,
        patient: PatientId,
        plan: &PlanDetails,
        appointments: &[AppointmentDetails],
    ) -> Result<(TreatmentPlan, Vec<Appointment>)>;
    /// Audited as `plan.status`; a stale `expected_version` is [`StoreError::Stale`].
    async fn set_plan_status(
        &mut self,
        id: PlanId,
        expected_version: i64,
        status: PlanStatus,
    ) -> Result<TreatmentPlan>;
    /// Appointments in a date range (any status), as [`PlanStore::calendar`] reads them.
    async fn calendar(&mut self, query: &CalendarQuery) -> Result<Vec<Appointment>>;
    /// A plan and every appointment booked on it (any status), in date order.
    async fn plan_with_appointments(
        &mut self,
        plan: PlanId,
    ) -> Result<(TreatmentPlan, Vec<Appointment>)>;
    async fn appointment(&mut self, id: AppointmentId) -> Result<Appointment>;
    /// Audited as `appointment.book`.
    async fn book_appointment(
        &mut self,
        patient: PatientId,
        details: &AppointmentDetails,
    ) -> Result<Appointment>;
    /// Audited as `appointment.update`; a stale `expected_version` is [`StoreError::Stale`].
    async fn update_appointment(
        &mut self,
        id: AppointmentId,
        expected_version: i64,
        details: &AppointmentDetails,
    ) -> Result<Appointment>;
    /// Adds an audit event for something the store does not see itself.
    fn record_audit(&mut self, action: AuditAction);
    /// Appends the audit events (at least one) and commits.
    async fn commit(self: Box<Self>) -> Result<()>;
}

mod sql;
pub use sql::{SqlStore, SqliteSettings, connect, memory_url, sqlite_url};
