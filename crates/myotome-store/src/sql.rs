//! The sqlx implementation of [`Store`](crate::Store): one [`SqlStore`] over an `AnyPool` that
//! runs on SQLite and PostgreSQL with the same queries. This module owns transactions and the
//! `Store` impl, which forwards each method to the submodule that owns its tables:
//!
//! - `connection`: URL → backend, pool settings, SQLite pragmas, migrations;
//! - `patients`: patients, identifiers, search, weights;
//! - `clinical`: conditions/medications/allergies, intake forms, screenings;
//! - `plans`: treatment plans, appointments, the calendar;
//! - `chart`: the whole chart in one read, the candidate form's submission in one write;
//! - `access`: users, sign-in attempts, sessions, API tokens, set-up links;
//! - `audit`: the hash-chained audit log;
//! - `codec` and `error`: text ⇄ domain values, sqlx errors ⇄ [`StoreError`].
//!
//! Why the Any driver rather than two typed implementations: the queries are the same text on
//! both backends (`$N` placeholders, `RETURNING`), so one implementation keeps them from
//! drifting apart; the price is the Any driver's small type set (i64, text), which the schema
//! conventions in `migrations/*/0001_initial.sql` are built around.
//!
//! # Audited transactions
//!
//! Every method that reads or writes patient data (or users and tokens) runs through
//! [`SqlStore::audited`]: it opens the write transaction, runs the operation, appends the audit
//! event and commits. That is the only place an audit row is appended and the only place a
//! write transaction is committed, so no method can commit an audited action without its row.

mod access;
mod adverse_events;
mod audit;
mod billing;
mod chart;
mod clinical;
mod codec;
mod connection;
mod conversions;
mod error;
mod import;
mod lots;
mod measurements;
mod merge;
mod notes;
mod outbox;
mod outcomes;
mod patients;
mod plans;
mod safety;
mod settings;
mod transaction;
mod visits;

use crate::prelude::*;
use crate::{
    Actor, ApiToken, Appointment, AppointmentDetails, AppointmentId, AuditAction, AuditEvent,
    Backend, CalendarQuery, CandidateReceipt, ChainCheck, ChartStanding, Clearance,
    ClinicSettingsDocument, ClinicalRecord, ImportReceipt, IntakeForm, LotGiven, LotId, LotLedger,
    LotRecipient, MeasurementEntry, NewApiToken, NewIntake, NewScreening, NewSession, NewUser,
    Patient, PatientChart, PatientDetails, PatientId, PatientImport, PatientList, PatientMerge,
    PatientSearch, PlanDetails, PlanId, PlanStatus, Product, RecallNotice, RecordDetails, RecordId,
    RecordKind, RecordSource, Result, Role, ScreeningId, SessionRecord, SetupLink, Store,
    StoreError, StoredScreening, StoredSettings, TokenId, TreatmentPlan, User, UserId, WeightEntry,
};
use async_trait::async_trait;
pub use connection::{SqliteSettings, connect, memory_url, sqlite_url};
use error::DbResult;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::{AnyConnection, AnyPool, Executor};
use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;
use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;

/// The one implementation of the store, over an sqlx pool.
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// For an in-memory SQLite database: a connection held open for the store's lifetime, so
    /// the database survives even if the pool replaces its own connection.
    _keep_alive: Option<Mutex<AnyConnection>>,
}

/// A boxed future that may run on another thread (what an audited operation returns).
type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// What an audited operation gets: the connection of its transaction. `'a` is what the
/// operation borrows from the caller (its arguments), `'c` the borrow of the connection; the
/// bound `'a: 'c` lets the operation's future hold both.
struct Tx<'c, 'a: 'c> {
    conn: &'c mut AnyConnection,
    _borrows: PhantomData<&'a ()>,
}

/// When an audited transaction takes its audit seq (and, with it, the chain head's lock).
enum Reserve {
    /// After the operation: the head is locked only for the short append at the end.
    AfterOperation,
    /// Before the operation: the head's lock serialises the whole transaction against every
    /// other audited one (first-run set-up needs that; see `consume_setup_link`).
    BeforeOperation,
}

impl SqlStore {
    /// Runs `op` in a write transaction, appends the audit event `action` describes for its
    /// result, and commits: an action and its audit row are stored together or not at all.
    async fn audited<'a, T, Op, Act>(&self, actor: &Actor, op: Op, action: Act) -> Result<T>
    where
        T: Send,
        Op: for<'c> FnOnce(Tx<'c, 'a>) -> BoxFuture<'c, Result<T>> + Send,
        Act: FnOnce(&T) -> AuditAction + Send,
    {
        self.audited_transaction(Reserve::AfterOperation, op, |value| {
            (Cow::Borrowed(actor), vec![action(value)])
        })
        .await
    }

    /// [`Self::audited`] for a write to what screening reads (records, weights, measurements,
    /// forms, the patient's own facts): on PostgreSQL the audit head is reserved before the
    /// write, so the write's time and its commit come in the same order as every other
    /// audited write's, and a screening never judges a chart that a write stamped earlier but
    /// committed later (see `sql/safety.rs`). SQLite's `BEGIN IMMEDIATE` already does so.
    async fn audited_chart_write<'a, T, Op, Act>(
        &self,
        actor: &Actor,
        op: Op,
        action: Act,
    ) -> Result<T>
    where
        T: Send,
        Op: for<'c> FnOnce(Tx<'c, 'a>) -> BoxFuture<'c, Result<T>> + Send,
        Act: FnOnce(&T) -> AuditAction + Send,
    {
        self.audited_transaction(Reserve::BeforeOperation, op, |value| {
            (Cow::Borrowed(actor), vec![action(value)])
        })
        .await
    }

    /// [`Self::audited`] for an operation that is several actions at once (the candidate
    /// form's patient, form and screenings): one transaction, one audit event per action, in
    /// the order given, so the trail reads as if each had been written on its own.
    async fn audited_each<'a, T, Op, Act>(&self, actor: &Actor, op: Op, actions: Act) -> Result<T>
    where
        T: Send,
        Op: for<'c> FnOnce(Tx<'c, 'a>) -> BoxFuture<'c, Result<T>> + Send,
        Act: FnOnce(&T) -> Vec<AuditAction> + Send,
    {
        // A write of several chart records at once (the candidate form's patient, form and
        // screenings): ordered like every chart write (see `audited_chart_write`).
        self.audited_transaction(Reserve::BeforeOperation, op, |value| {
            (Cow::Borrowed(actor), actions(value))
        })
        .await
    }

    /// Runs a read and records it. On PostgreSQL the read and its audit row share one
    /// transaction (the chain head is locked only for the append at its end). On SQLite a
    /// transaction that writes must take the database's single write lock up front (see
    /// `audited_transaction`), which would queue every read behind every write; so the read
    /// runs in its own snapshot, concurrently with other readers, and its audit row is
    /// appended in a short write transaction afterwards. Either way the data is returned only
    /// once its audit row is committed: a read whose audit append fails answers an error.
    async fn audited_read<'a, T, Op, Act>(&self, actor: &Actor, op: Op, action: Act) -> Result<T>
    where
        T: Send,
        Op: for<'c> FnOnce(Tx<'c, 'a>) -> BoxFuture<'c, Result<T>> + Send,
        Act: FnOnce(&T) -> AuditAction + Send,
    {
        match self.backend {
            Backend::Postgres => self.audited(actor, op, action).await,
            Backend::Sqlite => {
                let mut tx = self.pool.begin().await.db()?;
                let value = op(Tx {
                    conn: &mut tx,
                    _borrows: PhantomData,
                })
                .await?;
                tx.commit().await.db()?;
                let action = action(&value);
                self.audited(actor, |_| Box::pin(async { Ok(()) }), move |()| action)
                    .await?;
                Ok(value)
            }
        }
    }

    /// The one place an audit row is appended and a write transaction committed. `event`
    /// names the actor as well as the actions (at least one), for an actor known only from the
    /// result.
    ///
    /// The transaction starts with `BEGIN IMMEDIATE` on SQLite, taking the write lock up
    /// front: a deferred transaction that reads and then writes cannot wait for the lock
    /// (SQLite answers SQLITE_BUSY at once to avoid a deadlock), so concurrent requests would
    /// fail instead of queueing behind `busy_timeout`.
    async fn audited_transaction<'a, 'b, T, Op, Event>(
        &self,
        reserve: Reserve,
        op: Op,
        event: Event,
    ) -> Result<T>
    where
        T: Send,
        Op: for<'c> FnOnce(Tx<'c, 'a>) -> BoxFuture<'c, Result<T>> + Send,
        Event: FnOnce(&T) -> (Cow<'b, Actor>, Vec<AuditAction>) + Send,
    {
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await.db()?,
            Backend::Postgres => self.pool.begin().await.db()?,
        };
        let early = match reserve {
            Reserve::BeforeOperation => Some(audit::reserve(&mut tx).await?),
            Reserve::AfterOperation => None,
        };
        let value = op(Tx {
            conn: &mut tx,
            _borrows: PhantomData,
        })
        .await?;
        let (actor, actions) = event(&value);
        audit::append_all(&mut tx, early, &actor, &actions).await?;
        tx.commit().await.db()?;
        Ok(value)
    }
}

/// Each patient once, in first-seen order (the patients a list showed, for its audit row).
fn distinct(ids: impl Iterator<Item = PatientId>) -> Vec<PatientId> {
    let mut listed: Vec<PatientId> = Vec::new();
    for id in ids {
        if !listed.contains(&id) {
            listed.push(id);
        }
    }
    listed
}

/// The audit events of booking and changing an appointment, for the single writes and for a
/// use case's [`Transaction`](crate::Transaction).
fn appointment_booked(appointment: &Appointment) -> AuditAction {
    AuditAction::on_patient("appointment.book", appointment.patient_id)
        .with_target(format!("appointment/{}", appointment.id))
}

fn appointment_updated(appointment: &Appointment) -> AuditAction {
    AuditAction::on_patient("appointment.update", appointment.patient_id)
        .with_target(format!("appointment/{}", appointment.id))
}

fn plan_created(plan: &TreatmentPlan) -> AuditAction {
    AuditAction::on_patient("plan.create", plan.patient_id).with_target(format!("plan/{}", plan.id))
}

fn plan_status_changed(plan: &TreatmentPlan) -> AuditAction {
    AuditAction::on_patient("plan.status", plan.patient_id).with_target(format!("plan/{}", plan.id))
}

fn clearance_recorded(clearance: &Clearance) -> AuditAction {
    AuditAction::on_patient("clearance.record", clearance.patient_id)
        .with_target(format!("clearance/{}", clearance.id))
}

/// The audit events of creating a patient, an intake form and a screening: one definition
/// each, for the single writes and for the candidate form's submission that makes all three.
fn patient_created(patient: PatientId) -> AuditAction {
    AuditAction::on_patient("patient.create", patient).with_target(format!("patient/{patient}"))
}

fn intake_created(patient: PatientId, form: &IntakeForm) -> AuditAction {
    AuditAction::on_patient("intake.create", patient).with_target(format!("intake/{}", form.id))
}

fn screening_created(patient: PatientId, stored: &StoredScreening) -> AuditAction {
    AuditAction::on_patient("screening.create", patient)
        .with_target(format!("screening/{}", stored.id))
}

#[async_trait]
impl PatientStore for SqlStore {
    async fn create_patient(&self, actor: &Actor, details: &PatientDetails) -> Result<Patient> {
        self.audited(
            actor,
            |tx| Box::pin(patients::create(tx.conn, details)),
            |patient| patient_created(patient.id),
        )
        .await
    }

    async fn patient(&self, actor: &Actor, id: PatientId) -> Result<Patient> {
        self.audited_read(
            actor,
            |tx| Box::pin(patients::get_patient(tx.conn, id)),
            |_| AuditAction::on_patient("patient.read", id).with_target(format!("patient/{id}")),
        )
        .await
    }

    async fn update_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: i64,
        details: &PatientDetails,
    ) -> Result<Patient> {
        self.audited_chart_write(
            actor,
            |tx| Box::pin(patients::update(tx.conn, id, expected_version, details)),
            |_| AuditAction::on_patient("patient.update", id).with_target(format!("patient/{id}")),
        )
        .await
    }

    async fn search_patients(&self, actor: &Actor, search: &PatientSearch) -> Result<PatientList> {
        self.audited_read(
            actor,
            |tx| Box::pin(patients::search(tx.conn, search)),
            |list| AuditAction {
                listed_patients: list.patients.iter().map(|p| p.id).collect(),
                ..AuditAction::general("patient.search")
            },
        )
        .await
    }

    async fn add_weight(
        &self,
        actor: &Actor,
        patient: PatientId,
        measured_on: Date,
        grams: u32,
        source: &RecordSource,
    ) -> Result<WeightEntry> {
        self.audited_chart_write(
            actor,
            |tx| {
                Box::pin(patients::add_weight(
                    tx.conn,
                    patient,
                    measured_on,
                    grams,
                    source,
                ))
            },
            |entry| {
                AuditAction::on_patient("weight.create", patient)
                    .with_target(format!("weight/{}", entry.id))
            },
        )
        .await
    }

    async fn weights(&self, actor: &Actor, patient: PatientId) -> Result<Vec<WeightEntry>> {
        self.audited_read(
            actor,
            |tx| Box::pin(patients::weights(tx.conn, patient)),
            |_| AuditAction::on_patient("weight.list", patient),
        )
        .await
    }

    async fn patient_chart(
        &self,
        actor: &Actor,
        patient: PatientId,
        include_plans: bool,
    ) -> Result<PatientChart> {
        // One snapshot on SQLite (a deferred transaction reads one WAL snapshot), one
        // transaction on PostgreSQL, and one audit commit for the seven lists.
        self.audited_read(
            actor,
            |tx| Box::pin(chart::read(tx.conn, patient, include_plans)),
            |_| {
                AuditAction::on_patient("chart.read", patient)
                    .with_target(format!("patient/{patient}"))
            },
        )
        .await
    }

    async fn measurements(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<MeasurementEntry>> {
        self.audited_read(
            actor,
            |tx| Box::pin(measurements::list(tx.conn, patient)),
            |_| AuditAction::on_patient("measurement.list", patient),
        )
        .await
    }

    async fn import_patient(&self, actor: &Actor, import: &PatientImport) -> Result<ImportReceipt> {
        self.audited_chart_write(
            actor,
            |tx| Box::pin(import::import_patient(tx.conn, import)),
            |receipt| {
                AuditAction::on_patient("patient.import", receipt.patient_id)
                    .with_target(format!("patient/{}", receipt.patient_id))
            },
        )
        .await
    }

    // --- Conditions, medications, allergies -------------------------------------------------
}

#[async_trait]
impl ChartStore for SqlStore {
    async fn add_record(
        &self,
        actor: &Actor,
        patient: PatientId,
        details: &RecordDetails,
        source: &RecordSource,
    ) -> Result<ClinicalRecord> {
        self.audited_chart_write(
            actor,
            |tx| Box::pin(clinical::add_record(tx.conn, patient, details, source)),
            |record| {
                AuditAction::on_patient("record.create", patient)
                    .with_target(format!("record/{}", record.id))
            },
        )
        .await
    }

    async fn update_record(
        &self,
        actor: &Actor,
        id: RecordId,
        expected_version: i64,
        details: &RecordDetails,
    ) -> Result<ClinicalRecord> {
        self.audited_chart_write(
            actor,
            |tx| {
                Box::pin(clinical::update_record(
                    tx.conn,
                    id,
                    expected_version,
                    details,
                ))
            },
            |record| {
                AuditAction::on_patient("record.update", record.patient_id)
                    .with_target(format!("record/{id}"))
            },
        )
        .await
    }

    async fn records(
        &self,
        actor: &Actor,
        patient: PatientId,
        kind: Option<RecordKind>,
    ) -> Result<Vec<ClinicalRecord>> {
        self.audited_read(
            actor,
            |tx| Box::pin(clinical::records(tx.conn, patient, kind)),
            |_| AuditAction::on_patient("record.list", patient),
        )
        .await
    }

    // --- Intake -----------------------------------------------------------------------------

    async fn add_intake(
        &self,
        actor: &Actor,
        patient: PatientId,
        intake: &NewIntake,
    ) -> Result<IntakeForm> {
        self.audited_chart_write(
            actor,
            |tx| {
                Box::pin(clinical::add_intake(
                    tx.conn,
                    patient,
                    intake,
                    actor.user_id,
                ))
            },
            |form| intake_created(patient, form),
        )
        .await
    }

    async fn add_candidate_submission(
        &self,
        actor: &Actor,
        details: &PatientDetails,
        intake: &NewIntake,
        screenings: &[NewScreening],
    ) -> Result<CandidateReceipt> {
        self.audited_each(
            actor,
            |tx| {
                Box::pin(chart::candidate_submission(
                    tx.conn,
                    details,
                    intake,
                    screenings,
                    actor.user_id,
                ))
            },
            |receipt| {
                let patient = receipt.patient.id;
                let mut actions = vec![
                    patient_created(patient),
                    intake_created(patient, &receipt.intake),
                ];
                actions.extend(
                    receipt
                        .screenings
                        .iter()
                        .map(|stored| screening_created(patient, stored)),
                );
                actions
            },
        )
        .await
    }

    async fn intakes(&self, actor: &Actor, patient: PatientId) -> Result<Vec<IntakeForm>> {
        self.audited_read(
            actor,
            |tx| Box::pin(clinical::intakes(tx.conn, patient)),
            |_| AuditAction::on_patient("intake.list", patient),
        )
        .await
    }

    // --- Screenings -------------------------------------------------------------------------

    async fn add_screening(
        &self,
        actor: &Actor,
        patient: PatientId,
        screening: &NewScreening,
    ) -> Result<StoredScreening> {
        self.audited(
            actor,
            |tx| {
                Box::pin(clinical::add_screening(
                    tx.conn,
                    patient,
                    screening,
                    actor.user_id,
                ))
            },
            |stored| screening_created(patient, stored),
        )
        .await
    }

    async fn screening(&self, actor: &Actor, id: ScreeningId) -> Result<StoredScreening> {
        self.audited_read(
            actor,
            |tx| Box::pin(clinical::screening(tx.conn, id)),
            |stored| {
                AuditAction::on_patient("screening.read", stored.patient_id)
                    .with_target(format!("screening/{id}"))
            },
        )
        .await
    }

    async fn screenings(&self, actor: &Actor, patient: PatientId) -> Result<Vec<StoredScreening>> {
        self.audited_read(
            actor,
            |tx| Box::pin(clinical::screenings(tx.conn, patient)),
            |_| AuditAction::on_patient("screening.list", patient),
        )
        .await
    }

    async fn merges_into(&self, actor: &Actor, patient: PatientId) -> Result<Vec<PatientMerge>> {
        self.audited_read(
            actor,
            |tx| Box::pin(merge::merges_into(tx.conn, patient)),
            |_| AuditAction::on_patient("patient.merges", patient),
        )
        .await
    }

    async fn chart_standing(&self, actor: &Actor, patient: PatientId) -> Result<ChartStanding> {
        self.audited_read(
            actor,
            |tx| Box::pin(safety::standing(tx.conn, patient)),
            |_| AuditAction::on_patient("safety.read", patient),
        )
        .await
    }

    async fn sign_screening(
        &self,
        actor: &Actor,
        id: ScreeningId,
        by: UserId,
    ) -> Result<StoredScreening> {
        self.audited(
            actor,
            |tx| Box::pin(clinical::sign_screening(tx.conn, id, by)),
            |stored| {
                AuditAction::on_patient("screening.sign", stored.patient_id)
                    .with_target(format!("screening/{id}"))
            },
        )
        .await
    }

    // --- Treatment plans and appointments ---------------------------------------------------
}

#[async_trait]
impl PlanStore for SqlStore {
    async fn create_plan(
        &self,
        actor: &Actor,
        patient: PatientId,
        plan: &PlanDetails,
        appointments: &[AppointmentDetails],
    ) -> Result<(TreatmentPlan, Vec<Appointment>)> {
        self.audited(
            actor,
            |tx| {
                Box::pin(plans::create_plan(
                    tx.conn,
                    patient,
                    plan,
                    appointments,
                    actor.user_id,
                ))
            },
            |(plan, _)| plan_created(plan),
        )
        .await
    }

    async fn plan(&self, actor: &Actor, id: PlanId) -> Result<TreatmentPlan> {
        self.audited_read(
            actor,
            |tx| Box::pin(plans::plan(tx.conn, id)),
            |plan| {
                AuditAction::on_patient("plan.read", plan.patient_id)
                    .with_target(format!("plan/{id}"))
            },
        )
        .await
    }

    async fn plans(&self, actor: &Actor, patient: PatientId) -> Result<Vec<TreatmentPlan>> {
        self.audited_read(
            actor,
            |tx| Box::pin(plans::plans(tx.conn, patient)),
            |_| AuditAction::on_patient("plan.list", patient),
        )
        .await
    }

    async fn set_plan_status(
        &self,
        actor: &Actor,
        id: PlanId,
        expected_version: i64,
        status: PlanStatus,
    ) -> Result<TreatmentPlan> {
        self.audited(
            actor,
            |tx| {
                Box::pin(plans::set_plan_status(
                    tx.conn,
                    id,
                    expected_version,
                    status,
                ))
            },
            plan_status_changed,
        )
        .await
    }

    async fn book_appointment(
        &self,
        actor: &Actor,
        patient: PatientId,
        details: &AppointmentDetails,
    ) -> Result<Appointment> {
        self.audited(
            actor,
            |tx| Box::pin(plans::book(tx.conn, patient, details)),
            appointment_booked,
        )
        .await
    }

    async fn update_appointment(
        &self,
        actor: &Actor,
        id: AppointmentId,
        expected_version: i64,
        details: &AppointmentDetails,
    ) -> Result<Appointment> {
        self.audited(
            actor,
            |tx| {
                Box::pin(plans::update_appointment(
                    tx.conn,
                    id,
                    expected_version,
                    details,
                ))
            },
            appointment_updated,
        )
        .await
    }

    async fn appointment(&self, actor: &Actor, id: AppointmentId) -> Result<Appointment> {
        self.audited_read(
            actor,
            |tx| Box::pin(plans::appointment(tx.conn, id)),
            |appointment| {
                AuditAction::on_patient("appointment.read", appointment.patient_id)
                    .with_target(format!("appointment/{id}"))
            },
        )
        .await
    }

    async fn appointments(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Appointment>> {
        self.audited_read(
            actor,
            |tx| Box::pin(plans::appointments(tx.conn, patient)),
            |_| AuditAction::on_patient("appointment.list", patient),
        )
        .await
    }

    async fn calendar(&self, actor: &Actor, query: &CalendarQuery) -> Result<Vec<Appointment>> {
        self.audited_read(
            actor,
            |tx| Box::pin(plans::calendar(tx.conn, query)),
            |list| {
                let mut listed: Vec<PatientId> = Vec::new();
                for appointment in list {
                    if !listed.contains(&appointment.patient_id) {
                        listed.push(appointment.patient_id);
                    }
                }
                AuditAction {
                    listed_patients: listed,
                    ..AuditAction::general("calendar.read")
                }
            },
        )
        .await
    }

    // --- Work lists -------------------------------------------------------------------------
}

#[async_trait]
impl WorkListStore for SqlStore {
    async fn patients_by_id(&self, actor: &Actor, ids: &[PatientId]) -> Result<Vec<Patient>> {
        self.audited_read(
            actor,
            |tx| Box::pin(patients::by_ids(tx.conn, ids)),
            |list| AuditAction {
                listed_patients: list.iter().map(|p| p.id).collect(),
                ..AuditAction::general("patient.list")
            },
        )
        .await
    }

    async fn duplicates_of(
        &self,
        actor: &Actor,
        ids: &[PatientId],
    ) -> Result<Vec<(PatientId, Vec<Patient>)>> {
        self.audited_read(
            actor,
            |tx| {
                Box::pin(async move {
                    let mut found = Vec::new();
                    for id in ids.iter().take(200) {
                        let Ok(patient) = patients::get_patient(tx.conn, *id).await else {
                            continue;
                        };
                        let others =
                            merge::possible_duplicates(tx.conn, &patient.details, Some(*id))
                                .await?;
                        if !others.is_empty() {
                            found.push((*id, others));
                        }
                    }
                    Ok(found)
                })
            },
            |list| AuditAction {
                listed_patients: distinct(list.iter().flat_map(|(id, others)| {
                    std::iter::once(*id).chain(others.iter().map(|p| p.id))
                })),
                ..AuditAction::general("patient.duplicate_check")
            },
        )
        .await
    }

    async fn chart_standings(
        &self,
        actor: &Actor,
        ids: &[PatientId],
    ) -> Result<Vec<ChartStanding>> {
        self.audited_read(
            actor,
            |tx| {
                Box::pin(async move {
                    let mut standings = Vec::new();
                    for id in ids.iter().take(200) {
                        if patients::exists(tx.conn, *id).await? {
                            standings.push(safety::standing_of(tx.conn, *id).await?);
                        }
                    }
                    Ok(standings)
                })
            },
            |list| AuditAction {
                listed_patients: list.iter().map(|s| s.patient_id).collect(),
                ..AuditAction::general("safety.list")
            },
        )
        .await
    }

    async fn unsigned_screenings(&self, actor: &Actor, limit: u32) -> Result<Vec<StoredScreening>> {
        self.audited_read(
            actor,
            |tx| Box::pin(clinical::unsigned_screenings(tx.conn, limit)),
            |list| AuditAction {
                listed_patients: distinct(list.iter().map(|s| s.patient_id)),
                ..AuditAction::general("screening.list_unsigned")
            },
        )
        .await
    }

    async fn candidate_intakes_since(
        &self,
        actor: &Actor,
        since: Timestamp,
        limit: u32,
    ) -> Result<Vec<IntakeForm>> {
        self.audited_read(
            actor,
            |tx| Box::pin(clinical::candidate_intakes_since(tx.conn, since, limit)),
            |list| AuditAction {
                listed_patients: distinct(list.iter().map(|f| f.patient_id)),
                ..AuditAction::general("intake.list_candidate_forms")
            },
        )
        .await
    }

    async fn active_plans(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<(TreatmentPlan, Vec<Appointment>)>> {
        self.audited_read(
            actor,
            |tx| Box::pin(plans::active_plans(tx.conn, limit)),
            |list| AuditAction {
                listed_patients: distinct(list.iter().map(|(plan, _)| plan.patient_id)),
                ..AuditAction::general("plan.list_active")
            },
        )
        .await
    }

    // --- Users ------------------------------------------------------------------------------
}

#[async_trait]
impl AccessStore for SqlStore {
    async fn count_users(&self) -> Result<u64> {
        let mut conn = self.pool.acquire().await.db()?;
        access::count_users(&mut conn).await
    }

    async fn create_user(&self, actor: &Actor, user: &NewUser) -> Result<User> {
        self.audited(
            actor,
            |tx| Box::pin(access::create_user(tx.conn, user)),
            |created| {
                AuditAction::general("user.create").with_target(format!("user/{}", created.id))
            },
        )
        .await
    }

    async fn user(&self, id: UserId) -> Result<User> {
        let mut conn = self.pool.acquire().await.db()?;
        access::user(&mut conn, id).await
    }

    async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        let mut conn = self.pool.acquire().await.db()?;
        access::user_credentials(&mut conn, username).await
    }

    async fn users(&self) -> Result<Vec<User>> {
        let mut conn = self.pool.acquire().await.db()?;
        access::users(&mut conn).await
    }

    async fn update_user(
        &self,
        actor: &Actor,
        id: UserId,
        expected_version: i64,
        display_name: &str,
        role: Role,
        disabled: bool,
    ) -> Result<User> {
        self.audited(
            actor,
            |tx| {
                Box::pin(access::update_user(
                    tx.conn,
                    id,
                    expected_version,
                    display_name,
                    role,
                    disabled,
                ))
            },
            |_| AuditAction::general("user.update").with_target(format!("user/{id}")),
        )
        .await
    }

    async fn set_password(&self, actor: &Actor, id: UserId, password_hash: &str) -> Result<User> {
        self.audited(
            actor,
            |tx| Box::pin(access::set_password(tx.conn, id, password_hash)),
            |_| AuditAction::general("user.password").with_target(format!("user/{id}")),
        )
        .await
    }

    // --- Sign-in throttling -----------------------------------------------------------------

    async fn record_sign_in_attempt(
        &self,
        username: &str,
        from: &str,
        succeeded: bool,
        at: Timestamp,
    ) -> Result<()> {
        let mut conn = self.pool.acquire().await.db()?;
        access::record_sign_in_attempt(&mut conn, username, from, succeeded, at).await
    }

    async fn failed_sign_ins_since(
        &self,
        username: &str,
        from: &str,
        since: Timestamp,
    ) -> Result<(u64, u64)> {
        let mut conn = self.pool.acquire().await.db()?;
        access::failed_sign_ins_since(&mut conn, username, from, since).await
    }

    async fn delete_sign_in_attempts_before(&self, before: Timestamp) -> Result<u64> {
        let mut conn = self.pool.acquire().await.db()?;
        access::delete_sign_in_attempts_before(&mut conn, before).await
    }

    // --- Rate limits ------------------------------------------------------------------------

    async fn rate_limit_hit(&self, key: &str, now: Timestamp, since: Timestamp) -> Result<u64> {
        // A write transaction (the write lock up front on SQLite), so the count includes every
        // hit committed before it, from any process.
        let mut tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await.db()?,
            Backend::Postgres => self.pool.begin().await.db()?,
        };
        let count = access::rate_limit_hit(&mut tx, key, now, since).await?;
        tx.commit().await.db()?;
        Ok(count)
    }

    // --- Sessions ---------------------------------------------------------------------------

    async fn create_session(&self, session: &NewSession) -> Result<()> {
        let mut conn = self.pool.acquire().await.db()?;
        access::create_session(&mut conn, session).await
    }

    async fn session(&self, secret_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>> {
        let mut conn = self.pool.acquire().await.db()?;
        access::session(&mut conn, secret_hash, now).await
    }

    async fn delete_session(&self, secret_hash: &str) -> Result<()> {
        let mut conn = self.pool.acquire().await.db()?;
        access::delete_session(&mut conn, secret_hash).await
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64> {
        let mut conn = self.pool.acquire().await.db()?;
        access::delete_expired_sessions(&mut conn, now).await
    }

    // --- API tokens -------------------------------------------------------------------------

    async fn create_api_token(&self, actor: &Actor, token: &NewApiToken) -> Result<ApiToken> {
        self.audited(
            actor,
            |tx| Box::pin(access::create_api_token(tx.conn, token)),
            |created| {
                AuditAction::general("token.create").with_target(format!("token/{}", created.id))
            },
        )
        .await
    }

    async fn api_tokens(&self) -> Result<Vec<ApiToken>> {
        let mut conn = self.pool.acquire().await.db()?;
        access::api_tokens(&mut conn).await
    }

    async fn api_token_user(&self, secret_hash: &str) -> Result<Option<(ApiToken, User)>> {
        let mut conn = self.pool.acquire().await.db()?;
        access::api_token_user(&mut conn, secret_hash).await
    }

    async fn revoke_api_token(&self, actor: &Actor, id: TokenId) -> Result<ApiToken> {
        self.audited(
            actor,
            |tx| Box::pin(access::revoke_api_token(tx.conn, id)),
            |_| AuditAction::general("token.revoke").with_target(format!("token/{id}")),
        )
        .await
    }

    // --- First-run set-up -------------------------------------------------------------------

    async fn create_setup_link(&self, link: &SetupLink) -> Result<()> {
        let mut conn = self.pool.acquire().await.db()?;
        access::create_setup_link(&mut conn, link).await
    }

    async fn consume_setup_link(
        &self,
        secret_hash: &str,
        now: Timestamp,
        admin: &NewUser,
    ) -> Result<User> {
        // Reserve the audit seq first: on PostgreSQL that row lock serialises this whole
        // transaction against every other set-up attempt, so "no user exists yet" cannot be
        // true for two links at once. The new admin is the actor.
        self.audited_transaction(
            Reserve::BeforeOperation,
            |tx| Box::pin(access::consume_setup_link(tx.conn, secret_hash, now, admin)),
            |user| {
                let actor = Actor {
                    user_id: Some(user.id),
                    name: user.username.clone(),
                    from: "setup-link".to_owned(),
                };
                let action =
                    AuditAction::general("user.create").with_target(format!("user/{}", user.id));
                (Cow::Owned(actor), vec![action])
            },
        )
        .await
    }

    // --- Audit ------------------------------------------------------------------------------
}

#[async_trait]
impl crate::BillingStore for SqlStore {
    async fn fees(&self) -> Result<Vec<crate::Fee>> {
        let mut conn = self.pool.acquire().await.db()?;
        billing::fees(&mut conn).await
    }

    async fn imported_edits(&self, codes: &[String]) -> Result<Vec<crate::ImportedEdit>> {
        let mut conn = self.pool.acquire().await.db()?;
        billing::imported_edits(&mut conn, codes).await
    }

    async fn ptp_imports(&self) -> Result<Vec<crate::PtpImport>> {
        let mut conn = self.pool.acquire().await.db()?;
        billing::ptp_imports(&mut conn).await
    }

    async fn visit_coding(&self, visit: AppointmentId) -> Result<Option<crate::VisitCoding>> {
        let mut conn = self.pool.acquire().await.db()?;
        billing::visit_coding(&mut conn, visit).await
    }
}

#[async_trait]
impl crate::AdverseEventStore for SqlStore {
    async fn open_adverse_events(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<crate::OpenAdverseEvent>> {
        self.audited_read(
            actor,
            move |tx| Box::pin(adverse_events::open(tx.conn, limit)),
            |list| AuditAction {
                listed_patients: distinct(list.iter().map(|e| e.event.patient_id)),
                ..AuditAction::general("adverse_event.list")
            },
        )
        .await
    }

    async fn adverse_events(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<crate::AdverseEvent>> {
        self.audited_read(
            actor,
            move |tx| {
                Box::pin(async move {
                    // A patient not on file is `NotFound`, not an empty list.
                    patients::get_patient(tx.conn, patient).await?;
                    adverse_events::of_patient(tx.conn, patient).await
                })
            },
            move |_| AuditAction::on_patient("adverse_event.read", patient),
        )
        .await
    }

    async fn adverse_event_history(
        &self,
        actor: &Actor,
        id: crate::AdverseEventId,
    ) -> Result<(crate::AdverseEvent, Vec<crate::AdverseEventRevision>)> {
        self.audited_read(
            actor,
            move |tx| {
                Box::pin(async move {
                    let event = adverse_events::get_one(tx.conn, id).await?;
                    let revisions = adverse_events::revisions(tx.conn, id).await?;
                    Ok((event, revisions))
                })
            },
            move |(event, _)| {
                AuditAction::on_patient("adverse_event.read", event.patient_id)
                    .with_target(format!("adverse-event/{id}"))
            },
        )
        .await
    }

    async fn patient_reports_waiting(
        &self,
        actor: &Actor,
        limit: u32,
    ) -> Result<Vec<crate::WaitingReport>> {
        self.audited_read(
            actor,
            move |tx| Box::pin(adverse_events::waiting(tx.conn, limit)),
            |list| AuditAction {
                listed_patients: distinct(list.iter().map(|w| w.report.patient_id)),
                ..AuditAction::general("adverse_event.reports")
            },
        )
        .await
    }

    async fn safety_rows(
        &self,
        actor: &Actor,
        filter: &crate::SafetyFilter,
    ) -> Result<crate::SafetyRows> {
        let target = match &filter.scope {
            crate::SafetyScope::Protocol(protocol) => format!("protocol/{protocol}"),
            crate::SafetyScope::Lot(lot) => format!("lot/{lot}"),
        };
        self.audited_read(
            actor,
            move |tx| Box::pin(adverse_events::safety_rows(tx.conn, filter)),
            move |rows| AuditAction {
                // The serious events are listed with their charts: the patients are named.
                listed_patients: distinct(rows.events.iter().map(|e| e.patient_id)),
                ..AuditAction::general("adverse_event.report").with_target(target)
            },
        )
        .await
    }
}

#[async_trait]
impl crate::OutcomeStore for SqlStore {
    async fn outcome_requests(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<crate::OutcomeRequest>> {
        self.audited_read(
            actor,
            move |tx| Box::pin(outcomes::of_patient(tx.conn, patient)),
            move |_| AuditAction::on_patient("outcomes.read", patient),
        )
        .await
    }

    async fn outcome_requests_to_chase(
        &self,
        actor: &Actor,
        today: Date,
        since: Date,
        limit: u32,
    ) -> Result<Vec<crate::OutcomeRequest>> {
        self.audited_read(
            actor,
            move |tx| Box::pin(outcomes::to_chase(tx.conn, today, since, limit)),
            |list| AuditAction {
                listed_patients: distinct(list.iter().map(|r| r.patient_id)),
                ..AuditAction::general("outcomes.work_list")
            },
        )
        .await
    }

    async fn outcome_response_counts(&self, today: Date) -> Result<Vec<crate::ResponseCount>> {
        let mut conn = self.pool.acquire().await.db()?;
        outcomes::response_counts(&mut conn, today).await
    }

    async fn outcome_report_rows(
        &self,
        actor: &Actor,
        filter: &crate::ReportFilter,
    ) -> Result<Vec<crate::ReportRow>> {
        let protocol = filter.protocol_id.clone();
        self.audited_read(
            actor,
            move |tx| Box::pin(outcomes::report_rows(tx.conn, filter)),
            move |_| {
                AuditAction::general("outcomes.report").with_target(format!("protocol/{protocol}"))
            },
        )
        .await
    }

    async fn treated_plans(
        &self,
        actor: &Actor,
        filter: &crate::ReportFilter,
    ) -> Result<Vec<crate::TreatedPlan>> {
        let protocol = filter.protocol_id.clone();
        self.audited_read(
            actor,
            move |tx| Box::pin(conversions::treated_plans(tx.conn, filter)),
            move |_| {
                AuditAction::general("outcomes.report").with_target(format!("protocol/{protocol}"))
            },
        )
        .await
    }

    async fn surgical_conversions(
        &self,
        actor: &Actor,
        patient: PatientId,
    ) -> Result<Vec<crate::SurgicalConversion>> {
        self.audited_read(
            actor,
            move |tx| Box::pin(conversions::of_patient(tx.conn, patient)),
            move |_| AuditAction::on_patient("outcomes.surgery_read", patient),
        )
        .await
    }
}

#[async_trait]
impl OutboxStore for SqlStore {
    async fn mail_waiting(&self, now: Timestamp, limit: u32) -> Result<Vec<crate::Mail>> {
        let mut conn = self.pool.acquire().await.db()?;
        outbox::waiting(&mut conn, now, limit).await
    }

    async fn take_mail(&self, id: crate::MailId, now: Timestamp, until: Timestamp) -> Result<bool> {
        let mut conn = self.pool.acquire().await.db()?;
        outbox::take(&mut conn, id, now, until).await
    }

    async fn outbox(
        &self,
        actor: &Actor,
        patient: Option<PatientId>,
        limit: u32,
    ) -> Result<Vec<crate::Mail>> {
        self.audited_read(
            actor,
            move |tx| Box::pin(outbox::latest(tx.conn, patient, limit)),
            move |list| match patient {
                Some(patient) => AuditAction::on_patient("outbox.read", patient),
                None => AuditAction {
                    listed_patients: distinct(list.iter().map(|m| m.patient_id)),
                    ..AuditAction::general("outbox.read")
                },
            },
        )
        .await
    }
}

#[async_trait]
impl crate::VisitStore for SqlStore {
    async fn visit_steps(&self, ids: &[crate::AppointmentId]) -> Result<Vec<crate::VisitStep>> {
        let mut conn = self.pool.acquire().await.db()?;
        visits::of(&mut conn, ids).await
    }

    async fn procedure_note(
        &self,
        actor: &Actor,
        visit: &crate::Appointment,
    ) -> Result<Option<crate::ProcedureNote>> {
        let (id, patient) = (visit.id, visit.patient_id);
        self.audited_read(
            actor,
            move |tx| Box::pin(notes::of(tx.conn, id)),
            move |_| {
                AuditAction::on_patient("note.read", patient)
                    .with_target(format!("appointment/{id}"))
            },
        )
        .await
    }
}

#[async_trait]
impl LotStore for SqlStore {
    async fn lot_products(&self) -> Result<Vec<Product>> {
        let mut conn = self.pool.acquire().await.db()?;
        lots::products(&mut conn).await
    }

    async fn lot_ledgers(&self) -> Result<Vec<LotLedger>> {
        let mut conn = self.pool.acquire().await.db()?;
        lots::ledgers(&mut conn).await
    }

    async fn lot_ledger(&self, id: LotId) -> Result<LotLedger> {
        let mut conn = self.pool.acquire().await.db()?;
        lots::ledger(&mut conn, id).await
    }

    async fn storage_readings(&self, since: jiff::Timestamp) -> Result<Vec<crate::StorageReading>> {
        let mut conn = self.pool.acquire().await.db()?;
        lots::readings_since(&mut conn, since).await
    }

    async fn storage_locations(&self) -> Result<Vec<String>> {
        let mut conn = self.pool.acquire().await.db()?;
        lots::locations(&mut conn).await
    }

    async fn lot_ledgers_named(&self, name: &str) -> Result<Vec<LotLedger>> {
        let mut conn = self.pool.acquire().await.db()?;
        lots::ledgers_named(&mut conn, name).await
    }

    async fn lot_recipients(&self, actor: &Actor, lot: LotId) -> Result<Vec<LotRecipient>> {
        self.audited_read(
            actor,
            |tx| Box::pin(lots::recipients(tx.conn, lot)),
            |list| {
                let mut listed: Vec<PatientId> = list.iter().map(|r| r.patient.id).collect();
                listed.sort();
                listed.dedup();
                AuditAction {
                    listed_patients: listed,
                    ..AuditAction::general("lot.recipients").with_target(format!("lot/{lot}"))
                }
            },
        )
        .await
    }

    async fn recall_notices(&self, actor: &Actor, lot: LotId) -> Result<Vec<RecallNotice>> {
        self.audited_read(
            actor,
            |tx| Box::pin(lots::notices(tx.conn, lot)),
            |list| {
                let mut listed: Vec<PatientId> = list.iter().map(|n| n.patient_id).collect();
                listed.sort();
                listed.dedup();
                AuditAction {
                    listed_patients: listed,
                    ..AuditAction::general("lot.notices").with_target(format!("lot/{lot}"))
                }
            },
        )
        .await
    }

    async fn lots_given(&self, actor: &Actor, patient: PatientId) -> Result<Vec<LotGiven>> {
        self.audited_read(
            actor,
            |tx| Box::pin(lots::given_to(tx.conn, patient)),
            |_| AuditAction::on_patient("lot.given", patient),
        )
        .await
    }
}

#[async_trait]
impl SettingsStore for SqlStore {
    async fn clinic_settings(&self) -> Result<Option<StoredSettings>> {
        let mut conn = self.pool.acquire().await.db()?;
        settings::latest(&mut conn).await
    }

    async fn clinic_settings_version(&self, version: i64) -> Result<StoredSettings> {
        let mut conn = self.pool.acquire().await.db()?;
        settings::version(&mut conn, version).await
    }

    async fn save_clinic_settings(
        &self,
        actor: &Actor,
        expected: i64,
        document: &ClinicSettingsDocument,
        note: Option<&str>,
    ) -> Result<StoredSettings> {
        self.audited(
            actor,
            |tx| {
                Box::pin(settings::save(
                    tx.conn,
                    expected,
                    document,
                    note,
                    actor.user_id,
                ))
            },
            |saved| {
                AuditAction::general("settings.change")
                    .with_target(format!("settings/{}", saved.version))
            },
        )
        .await
    }
}

#[async_trait]
impl AuditStore for SqlStore {
    async fn record_audit(&self, actor: &Actor, action: &AuditAction) -> Result<()> {
        self.audited(actor, |_| Box::pin(async { Ok(()) }), |()| action.clone())
            .await
    }

    async fn audit_trail(&self, actor: &Actor, patient: PatientId) -> Result<Vec<AuditEvent>> {
        self.audited_read(
            actor,
            |tx| {
                Box::pin(async move {
                    patients::require(tx.conn, patient).await?;
                    audit::trail(tx.conn, patient).await
                })
            },
            |_| AuditAction::on_patient("audit.read", patient),
        )
        .await
    }

    async fn verify_audit_chain(&self) -> Result<ChainCheck> {
        // One snapshot for the whole walk, so appends made meanwhile are neither half-seen nor
        // mistaken for tampering. SQLite: a deferred transaction reads one WAL snapshot.
        let mut tx = self.pool.begin().await.db()?;
        if self.backend == Backend::Postgres {
            tx.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await
                .db()?;
        }
        let check = audit::verify(&mut tx).await?;
        tx.rollback().await.db()?;
        Ok(check)
    }

    async fn audit_anchor(&self, seq: i64) -> Result<Option<String>> {
        let mut conn = self.pool.acquire().await.db()?;
        audit::anchor(&mut conn, seq).await
    }

    // --- Maintenance ------------------------------------------------------------------------
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    // --- Patients ---------------------------------------------------------------------------

    async fn begin(&self, actor: &Actor) -> Result<Box<dyn crate::Transaction>> {
        Ok(Box::new(
            transaction::SqlTransaction::begin(&self.pool, self.backend, actor).await?,
        ))
    }

    async fn backup_to(&self, path: &Path) -> Result<()> {
        if self.backend == Backend::Postgres {
            return Err(StoreError::Unsupported(
                "an online backup of a PostgreSQL database is made with pg_dump (or the \
                 server's own backup tools), not by Myotome"
                    .to_owned(),
            ));
        }
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; a backup never overwrites a file, choose a new name",
                path.display()
            )));
        }
        let Some(text) = path.to_str() else {
            return Err(StoreError::Unsupported(format!(
                "the backup path {} is not valid UTF-8; choose a plain name",
                path.display()
            )));
        };
        // VACUUM INTO takes an expression; a bound parameter needs no quoting at all.
        let mut conn = self.pool.acquire().await.db()?;
        sqlx::query("VACUUM INTO $1")
            .bind(text)
            .execute(&mut *conn)
            .await
            .db()?;
        Ok(())
    }
}
