//! The sqlx implementation of [`Store`](crate::Store): one [`SqlStore`] over an `AnyPool` that
//! runs on SQLite and PostgreSQL with the same queries. This module owns connecting (URL →
//! backend, pool settings, SQLite pragmas, migrations), transactions, and the `Store` impl,
//! which forwards each method to the submodule that owns its tables:
//!
//! - `patients`: patients, identifiers, search, weights;
//! - `clinical`: conditions/medications/allergies, intake forms, screenings;
//! - `plans`: treatment plans, appointments, the calendar;
//! - `access`: users, sign-in attempts, sessions, API tokens, set-up links;
//! - `audit`: the hash-chained audit log;
//! - `codec` and `error`: text ⇄ domain values, sqlx errors ⇄ [`StoreError`].
//!
//! Why the Any driver rather than two typed implementations: the queries are the same text on
//! both backends (`$N` placeholders, `RETURNING`), so one implementation keeps them from
//! drifting apart; the price is the Any driver's small type set (i64, text), which the schema
//! conventions in `migrations/*/0001_initial.sql` are built around.

mod access;
mod audit;
mod clinical;
mod codec;
mod error;
mod patients;
mod plans;

use crate::{
    Actor, ApiToken, Appointment, AppointmentDetails, AppointmentId, AuditAction, AuditEvent,
    Backend, CalendarQuery, ChainCheck, ClinicalRecord, IntakeForm, NewApiToken, NewIntake,
    NewScreening, NewSession, NewUser, Patient, PatientDetails, PatientId, PatientList,
    PatientSearch, PlanDetails, PlanId, PlanStatus, RecordDetails, RecordId, RecordKind,
    RecordSource, Result, Role, ScreeningId, SessionRecord, SetupLink, Store, StoreError,
    StoredScreening, TokenId, TreatmentPlan, User, UserId, WeightEntry,
};
use async_trait::async_trait;
use error::DbResult;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// What the URL forms are, for error messages.
const URL_FORMS: &str = "use sqlite://PATH (a file, created when missing), sqlite::memory:, or \
     postgres://USER:PASSWORD@HOST:PORT/DATABASE";

/// How long opening the database may take (an unreachable host can otherwise hold a TCP
/// connect for minutes), and how long a request waits for a pooled connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The one implementation of the store, over an sqlx pool.
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// For an in-memory SQLite database: a connection held open for the store's lifetime, so
    /// the database survives even if the pool replaces its own connection.
    _keep_alive: Option<Mutex<AnyConnection>>,
}

/// Opens (creating and migrating when needed) the database at `url`: `sqlite://PATH` or
/// `postgres://…`.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::open(url).await?))
}

/// The URL of a SQLite database file, created when missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    // sqlx percent-decodes the path, and `?`/`#` would start the query or fragment.
    let path = path
        .display()
        .to_string()
        .replace('%', "%25")
        .replace('?', "%3F")
        .replace('#', "%23");
    format!("sqlite://{path}?mode=rwc")
}

/// A fresh private in-memory SQLite database (for tests), unique per call.
pub fn memory_url() -> String {
    // Named and shared-cache, so every connection of one pool sees the same database; the name
    // is unique per process and call (and the time, for processes that reuse a pid).
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "sqlite:file:myotome-memory-{}-{n}-{nanos}?mode=memory&cache=shared",
        std::process::id()
    )
}

/// Where a URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    SqliteFile(String),
    SqliteMemory(String),
    Postgres(String),
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        let lower = url.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Target::Postgres(url.to_owned()));
        }
        if let Some(rest) = lower.strip_prefix("sqlite:") {
            let rest = rest.trim_start_matches("//");
            let (database, query) = rest.split_once('?').unwrap_or((rest, ""));
            if database == ":memory:" || database.is_empty() {
                // sqlx would give every connection its own anonymous database; name one.
                return Ok(Target::SqliteMemory(memory_url()));
            }
            if query.split('&').any(|pair| pair == "mode=memory") {
                return Ok(Target::SqliteMemory(url.to_owned()));
            }
            if query.split('&').any(|pair| pair.starts_with("mode=")) {
                return Ok(Target::SqliteFile(url.to_owned()));
            }
            let separator = if url.contains('?') { '&' } else { '?' };
            return Ok(Target::SqliteFile(format!("{url}{separator}mode=rwc")));
        }
        // Name the scheme only: the rest of a URL may hold a password.
        let scheme: String = url
            .split_once(':')
            .map(|(scheme, _)| scheme)
            .filter(|scheme| {
                scheme.len() <= 20 && scheme.chars().all(|c| c.is_ascii_alphanumeric())
            })
            .map(|scheme| format!("`{scheme}:`"))
            .unwrap_or_else(|| "this".to_owned());
        Err(StoreError::Unsupported(format!(
            "{scheme} is not a database URL Myotome understands; {URL_FORMS}"
        )))
    }

    fn url(&self) -> &str {
        match self {
            Target::SqliteFile(url) | Target::SqliteMemory(url) | Target::Postgres(url) => url,
        }
    }
}

/// The error for a database that cannot be opened: the reason, the URL without its password,
/// and the form the URL must take.
fn cannot_open(target: &Target, error: &sqlx::Error) -> StoreError {
    let url = redact(target.url());
    let message = match target {
        Target::Postgres(_) => format!(
            "could not connect to PostgreSQL at {url}: {error}. The URL must look like \
             postgres://USER:PASSWORD@HOST:PORT/DATABASE, the server must be running and \
             reachable, and the database must exist"
        ),
        Target::SqliteFile(_) | Target::SqliteMemory(_) => format!(
            "could not open the SQLite database {url}: {error}. The URL must look like \
             sqlite://PATH, and the folder must exist and be writable"
        ),
    };
    StoreError::Database(message.into())
}

/// The URL with any password replaced by `***`, for messages and logs.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl SqlStore {
    /// Connects to `url` (see [`connect`]), migrating the schema to this build's version.
    pub async fn open(url: &str) -> Result<SqlStore> {
        sqlx::any::install_default_drivers();
        let target = Target::parse(url)?;
        let options = AnyConnectOptions::from_str(target.url()).map_err(|e| {
            StoreError::Unsupported(format!(
                "the database URL {} is not valid ({e}); {URL_FORMS}",
                redact(target.url())
            ))
        })?;
        let backend = match target {
            Target::Postgres(_) => Backend::Postgres,
            Target::SqliteFile(_) | Target::SqliteMemory(_) => Backend::Sqlite,
        };
        // One connection first: a pool retries a refused connection until its timeout and then
        // only says that it timed out; a single attempt says why (refused, unknown database,
        // wrong password, missing folder).
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect_with(&options))
            .await
            .unwrap_or_else(|_| {
                Err(sqlx::Error::Io(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {} seconds", CONNECT_TIMEOUT.as_secs()),
                )))
            })
            .map_err(|e| cannot_open(&target, &e))?;
        let memory = matches!(target, Target::SqliteMemory(_));
        let pool_options = match backend {
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(10)
                .acquire_timeout(CONNECT_TIMEOUT),
            Backend::Sqlite => {
                let pool_options = AnyPoolOptions::new().after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        // Per connection: SQLite forgets these on close (except journal_mode,
                        // which a file keeps, and which an in-memory database cannot use).
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        if !memory {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                        }
                        // Clinical writes survive power loss once acknowledged.
                        conn.execute("PRAGMA synchronous = FULL").await?;
                        Ok(())
                    })
                });
                if memory {
                    // One connection, never idled out or recycled: the database lives as long
                    // as the pool, and a single connection never meets shared-cache table
                    // locks (SQLITE_LOCKED), which busy_timeout does not cover.
                    pool_options
                        .max_connections(1)
                        .min_connections(1)
                        .idle_timeout(None)
                        .max_lifetime(None)
                } else {
                    // Writers queue on SQLite's one write lock; readers run beside them in WAL.
                    pool_options.max_connections(8)
                }
            }
        };
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|e| cannot_open(&target, &e))?;
        // The probe of an in-memory database stays open with the store, so the database lives
        // even if the pool ever replaces its connection.
        let keep_alive = if memory {
            Some(Mutex::new(probe))
        } else {
            let _ = probe.close().await;
            None
        };
        let migrator = match backend {
            Backend::Sqlite => &MIGRATE_SQLITE,
            Backend::Postgres => &MIGRATE_POSTGRES,
        };
        migrator.run(&pool).await.map_err(|e| {
            let hint = match e {
                sqlx::migrate::MigrateError::VersionMissing(_) => {
                    ". The database was written by a newer Myotome; open it with that version"
                }
                sqlx::migrate::MigrateError::VersionMismatch(_) => {
                    ". An applied migration was edited after release; restore its original text"
                }
                _ => "",
            };
            StoreError::Database(
                format!("could not bring the database schema up to date: {e}{hint}").into(),
            )
        })?;
        let store = SqlStore {
            pool,
            backend,
            _keep_alive: keep_alive,
        };
        if matches!(target, Target::SqliteFile(_)) {
            let settings = store.connection_settings().await?;
            if settings.journal_mode != "wal" {
                tracing::warn!(
                    journal_mode = %settings.journal_mode,
                    "SQLite refused WAL mode (a network or read-only file system?); readers will wait for writers"
                );
            }
        }
        Ok(store)
    }

    /// The SQLite settings in effect on one of the pool's connections (foreign keys, journal
    /// mode, synchronous, busy timeout), for diagnostics and tests. `None` on PostgreSQL.
    pub async fn sqlite_settings(&self) -> Result<Option<SqliteSettings>> {
        match self.backend {
            Backend::Sqlite => Ok(Some(self.connection_settings().await?)),
            Backend::Postgres => Ok(None),
        }
    }

    async fn connection_settings(&self) -> Result<SqliteSettings> {
        let mut conn = self.pool.acquire().await.db()?;
        let foreign_keys = pragma_int(&mut conn, "PRAGMA foreign_keys").await?;
        let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await
            .db()?;
        let synchronous = pragma_int(&mut conn, "PRAGMA synchronous").await?;
        let busy_timeout_ms = pragma_int(&mut conn, "PRAGMA busy_timeout").await?;
        Ok(SqliteSettings {
            foreign_keys: foreign_keys == 1,
            journal_mode: journal_mode.to_ascii_lowercase(),
            // 2 is FULL (0 OFF, 1 NORMAL, 3 EXTRA).
            synchronous_full: synchronous >= 2,
            busy_timeout_ms,
        })
    }

    /// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, taking the write lock
    /// up front: a deferred transaction that reads and then writes cannot wait for the lock
    /// (SQLite answers SQLITE_BUSY at once to avoid a deadlock), so concurrent requests would
    /// fail instead of queueing behind `busy_timeout`.
    async fn write(&self) -> Result<Transaction<'static, Any>> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await.db(),
            Backend::Postgres => self.pool.begin().await.db(),
        }
    }
}

/// SQLite settings read back from a live connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteSettings {
    pub foreign_keys: bool,
    /// `wal` for a file database, `memory` for an in-memory one.
    pub journal_mode: String,
    pub synchronous_full: bool,
    pub busy_timeout_ms: i64,
}

async fn pragma_int(conn: &mut AnyConnection, pragma: &'static str) -> Result<i64> {
    sqlx::query_scalar(pragma).fetch_one(&mut *conn).await.db()
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    // --- Patients ---------------------------------------------------------------------------

    async fn create_patient(&self, actor: &Actor, details: &PatientDetails) -> Result<Patient> {
        let mut tx = self.write().await?;
        let patient = patients::create(&mut tx, details).await?;
        let action = AuditAction::on_patient("patient.create", patient.id)
            .with_target(format!("patient/{}", patient.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(patient)
    }

    async fn patient(&self, actor: &Actor, id: PatientId) -> Result<Patient> {
        let mut tx = self.write().await?;
        let patient = patients::get_patient(&mut tx, id).await?;
        let action =
            AuditAction::on_patient("patient.read", id).with_target(format!("patient/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(patient)
    }

    async fn update_patient(
        &self,
        actor: &Actor,
        id: PatientId,
        expected_version: i64,
        details: &PatientDetails,
    ) -> Result<Patient> {
        let mut tx = self.write().await?;
        let patient = patients::update(&mut tx, id, expected_version, details).await?;
        let action =
            AuditAction::on_patient("patient.update", id).with_target(format!("patient/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(patient)
    }

    async fn search_patients(&self, actor: &Actor, search: &PatientSearch) -> Result<PatientList> {
        let mut tx = self.write().await?;
        let list = patients::search(&mut tx, search).await?;
        let action = AuditAction {
            listed_patients: list.patients.iter().map(|p| p.id).collect(),
            ..AuditAction::general("patient.search")
        };
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(list)
    }

    async fn add_weight(
        &self,
        actor: &Actor,
        patient: PatientId,
        measured_on: Date,
        grams: u32,
        source: &RecordSource,
    ) -> Result<WeightEntry> {
        let mut tx = self.write().await?;
        let entry = patients::add_weight(&mut tx, patient, measured_on, grams, source).await?;
        let action = AuditAction::on_patient("weight.create", patient)
            .with_target(format!("weight/{}", entry.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(entry)
    }

    async fn weights(&self, actor: &Actor, patient: PatientId) -> Result<Vec<WeightEntry>> {
        let mut tx = self.write().await?;
        let entries = patients::weights(&mut tx, patient).await?;
        audit::append(
            &mut tx,
            actor,
            &AuditAction::on_patient("weight.list", patient),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(entries)
    }

    // --- Conditions, medications, allergies -------------------------------------------------

    async fn add_record(
        &self,
        actor: &Actor,
        patient: PatientId,
        details: &RecordDetails,
        source: &RecordSource,
    ) -> Result<ClinicalRecord> {
        let mut tx = self.write().await?;
        let record = clinical::add_record(&mut tx, patient, details, source).await?;
        let action = AuditAction::on_patient("record.create", patient)
            .with_target(format!("record/{}", record.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(record)
    }

    async fn update_record(
        &self,
        actor: &Actor,
        id: RecordId,
        expected_version: i64,
        details: &RecordDetails,
    ) -> Result<ClinicalRecord> {
        let mut tx = self.write().await?;
        let record = clinical::update_record(&mut tx, id, expected_version, details).await?;
        let action = AuditAction::on_patient("record.update", record.patient_id)
            .with_target(format!("record/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(record)
    }

    async fn records(
        &self,
        actor: &Actor,
        patient: PatientId,
        kind: Option<RecordKind>,
    ) -> Result<Vec<ClinicalRecord>> {
        let mut tx = self.write().await?;
        let records = clinical::records(&mut tx, patient, kind).await?;
        audit::append(
            &mut tx,
            actor,
            &AuditAction::on_patient("record.list", patient),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(records)
    }

    // --- Intake -----------------------------------------------------------------------------

    async fn add_intake(
        &self,
        actor: &Actor,
        patient: PatientId,
        intake: &NewIntake,
    ) -> Result<IntakeForm> {
        let mut tx = self.write().await?;
        let form = clinical::add_intake(&mut tx, patient, intake, actor.user_id).await?;
        let action = AuditAction::on_patient("intake.create", patient)
            .with_target(format!("intake/{}", form.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(form)
    }

    async fn intakes(&self, actor: &Actor, patient: PatientId) -> Result<Vec<IntakeForm>> {
        let mut tx = self.write().await?;
        let forms = clinical::intakes(&mut tx, patient).await?;
        audit::append(
            &mut tx,
            actor,
            &AuditAction::on_patient("intake.list", patient),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(forms)
    }

    // --- Screenings -------------------------------------------------------------------------

    async fn add_screening(
        &self,
        actor: &Actor,
        patient: PatientId,
        screening: &NewScreening,
    ) -> Result<StoredScreening> {
        let mut tx = self.write().await?;
        let stored = clinical::add_screening(&mut tx, patient, screening, actor.user_id).await?;
        let action = AuditAction::on_patient("screening.create", patient)
            .with_target(format!("screening/{}", stored.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(stored)
    }

    async fn screening(&self, actor: &Actor, id: ScreeningId) -> Result<StoredScreening> {
        let mut tx = self.write().await?;
        let stored = clinical::screening(&mut tx, id).await?;
        let action = AuditAction::on_patient("screening.read", stored.patient_id)
            .with_target(format!("screening/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(stored)
    }

    async fn screenings(&self, actor: &Actor, patient: PatientId) -> Result<Vec<StoredScreening>> {
        let mut tx = self.write().await?;
        let list = clinical::screenings(&mut tx, patient).await?;
        audit::append(
            &mut tx,
            actor,
            &AuditAction::on_patient("screening.list", patient),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(list)
    }

    async fn sign_screening(
        &self,
        actor: &Actor,
        id: ScreeningId,
        by: UserId,
    ) -> Result<StoredScreening> {
        let mut tx = self.write().await?;
        let stored = clinical::sign_screening(&mut tx, id, by).await?;
        let action = AuditAction::on_patient("screening.sign", stored.patient_id)
            .with_target(format!("screening/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(stored)
    }

    // --- Treatment plans and appointments ---------------------------------------------------

    async fn create_plan(
        &self,
        actor: &Actor,
        patient: PatientId,
        plan: &PlanDetails,
        appointments: &[AppointmentDetails],
    ) -> Result<(TreatmentPlan, Vec<Appointment>)> {
        let mut tx = self.write().await?;
        let created =
            plans::create_plan(&mut tx, patient, plan, appointments, actor.user_id).await?;
        let action = AuditAction::on_patient("plan.create", patient)
            .with_target(format!("plan/{}", created.0.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(created)
    }

    async fn plan(&self, actor: &Actor, id: PlanId) -> Result<TreatmentPlan> {
        let mut tx = self.write().await?;
        let plan = plans::plan(&mut tx, id).await?;
        let action =
            AuditAction::on_patient("plan.read", plan.patient_id).with_target(format!("plan/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(plan)
    }

    async fn plans(&self, actor: &Actor, patient: PatientId) -> Result<Vec<TreatmentPlan>> {
        let mut tx = self.write().await?;
        let list = plans::plans(&mut tx, patient).await?;
        audit::append(
            &mut tx,
            actor,
            &AuditAction::on_patient("plan.list", patient),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(list)
    }

    async fn set_plan_status(
        &self,
        actor: &Actor,
        id: PlanId,
        expected_version: i64,
        status: PlanStatus,
    ) -> Result<TreatmentPlan> {
        let mut tx = self.write().await?;
        let plan = plans::set_plan_status(&mut tx, id, expected_version, status).await?;
        let action = AuditAction::on_patient("plan.status", plan.patient_id)
            .with_target(format!("plan/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(plan)
    }

    async fn book_appointment(
        &self,
        actor: &Actor,
        patient: PatientId,
        details: &AppointmentDetails,
    ) -> Result<Appointment> {
        let mut tx = self.write().await?;
        let appointment = plans::book(&mut tx, patient, details).await?;
        let action = AuditAction::on_patient("appointment.book", patient)
            .with_target(format!("appointment/{}", appointment.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(appointment)
    }

    async fn update_appointment(
        &self,
        actor: &Actor,
        id: AppointmentId,
        expected_version: i64,
        details: &AppointmentDetails,
    ) -> Result<Appointment> {
        let mut tx = self.write().await?;
        let appointment = plans::update_appointment(&mut tx, id, expected_version, details).await?;
        let action = AuditAction::on_patient("appointment.update", appointment.patient_id)
            .with_target(format!("appointment/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(appointment)
    }

    async fn appointment(&self, actor: &Actor, id: AppointmentId) -> Result<Appointment> {
        let mut tx = self.write().await?;
        let appointment = plans::appointment(&mut tx, id).await?;
        let action = AuditAction::on_patient("appointment.read", appointment.patient_id)
            .with_target(format!("appointment/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(appointment)
    }

    async fn appointments(&self, actor: &Actor, patient: PatientId) -> Result<Vec<Appointment>> {
        let mut tx = self.write().await?;
        let list = plans::appointments(&mut tx, patient).await?;
        audit::append(
            &mut tx,
            actor,
            &AuditAction::on_patient("appointment.list", patient),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(list)
    }

    async fn calendar(&self, actor: &Actor, query: &CalendarQuery) -> Result<Vec<Appointment>> {
        let mut tx = self.write().await?;
        let list = plans::calendar(&mut tx, query).await?;
        let mut listed: Vec<PatientId> = Vec::new();
        for appointment in &list {
            if !listed.contains(&appointment.patient_id) {
                listed.push(appointment.patient_id);
            }
        }
        let action = AuditAction {
            listed_patients: listed,
            ..AuditAction::general("calendar.read")
        };
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(list)
    }

    // --- Users ------------------------------------------------------------------------------

    async fn count_users(&self) -> Result<u64> {
        let mut conn = self.pool.acquire().await.db()?;
        access::count_users(&mut conn).await
    }

    async fn create_user(&self, actor: &Actor, user: &NewUser) -> Result<User> {
        let mut tx = self.write().await?;
        let created = access::create_user(&mut tx, user).await?;
        let action =
            AuditAction::general("user.create").with_target(format!("user/{}", created.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(created)
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
        let mut tx = self.write().await?;
        let user = access::update_user(&mut tx, id, expected_version, display_name, role, disabled)
            .await?;
        let action = AuditAction::general("user.update").with_target(format!("user/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(user)
    }

    async fn set_password(&self, actor: &Actor, id: UserId, password_hash: &str) -> Result<User> {
        let mut tx = self.write().await?;
        let user = access::set_password(&mut tx, id, password_hash).await?;
        let action = AuditAction::general("user.password").with_target(format!("user/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(user)
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
        let mut tx = self.write().await?;
        let created = access::create_api_token(&mut tx, token).await?;
        let action =
            AuditAction::general("token.create").with_target(format!("token/{}", created.id));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(created)
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
        let mut tx = self.write().await?;
        let token = access::revoke_api_token(&mut tx, id).await?;
        let action = AuditAction::general("token.revoke").with_target(format!("token/{id}"));
        audit::append(&mut tx, actor, &action).await?;
        tx.commit().await.db()?;
        Ok(token)
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
        let mut tx = self.write().await?;
        // Reserve the audit seq first: on PostgreSQL that row lock serialises this whole
        // transaction against every other set-up attempt, so "no user exists yet" cannot be
        // true for two links at once.
        let reservation = audit::reserve(&mut tx).await?;
        let user = access::consume_setup_link(&mut tx, secret_hash, now, admin).await?;
        let actor = Actor {
            user_id: Some(user.id),
            name: user.username.clone(),
            from: "setup-link".to_owned(),
        };
        let action = AuditAction::general("user.create").with_target(format!("user/{}", user.id));
        audit::write(&mut tx, reservation, &actor, &action).await?;
        tx.commit().await.db()?;
        Ok(user)
    }

    // --- Audit ------------------------------------------------------------------------------

    async fn record_audit(&self, actor: &Actor, action: &AuditAction) -> Result<()> {
        let mut tx = self.write().await?;
        audit::append(&mut tx, actor, action).await?;
        tx.commit().await.db()?;
        Ok(())
    }

    async fn audit_trail(&self, actor: &Actor, patient: PatientId) -> Result<Vec<AuditEvent>> {
        let mut tx = self.write().await?;
        patients::require(&mut tx, patient).await?;
        let events = audit::trail(&mut tx, patient).await?;
        audit::append(
            &mut tx,
            actor,
            &AuditAction::on_patient("audit.read", patient),
        )
        .await?;
        tx.commit().await.db()?;
        Ok(events)
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

    // --- Maintenance ------------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_their_backend() -> Result<()> {
        assert!(matches!(
            Target::parse("postgres://u:p@h:5432/db")?,
            Target::Postgres(_)
        ));
        assert!(matches!(
            Target::parse("PostgreSQL://h/db")?,
            Target::Postgres(_)
        ));
        assert_eq!(
            Target::parse("sqlite://my.db")?,
            Target::SqliteFile("sqlite://my.db?mode=rwc".to_owned())
        );
        assert_eq!(
            Target::parse("sqlite:/tmp/a.db?mode=ro")?,
            Target::SqliteFile("sqlite:/tmp/a.db?mode=ro".to_owned())
        );
        assert!(matches!(
            Target::parse("sqlite::memory:")?,
            Target::SqliteMemory(_)
        ));
        assert!(matches!(
            Target::parse(&memory_url())?,
            Target::SqliteMemory(_)
        ));
        Ok(())
    }

    #[test]
    fn an_unknown_scheme_is_refused_without_echoing_the_url() {
        let message = match Target::parse("mysql://root:hunter2@db/clinic") {
            Err(StoreError::Unsupported(message)) => message,
            other => panic!("expected Unsupported, got {other:?}"),
        };
        assert!(message.contains("`mysql:`"), "{message}");
        assert!(
            message.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://me:s3cret@db.example:5432/clinic?sslmode=require"),
            "postgres://me:***@db.example:5432/clinic?sslmode=require"
        );
        assert_eq!(redact("postgres://db/clinic"), "postgres://db/clinic");
        assert_eq!(redact("postgres://me@db/clinic"), "postgres://me@db/clinic");
    }

    #[test]
    fn memory_urls_are_unique() {
        assert_ne!(memory_url(), memory_url());
    }
}
