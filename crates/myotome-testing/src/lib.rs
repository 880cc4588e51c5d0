//! Test support for every crate of Myotome that touches the store.
//!
//! Runs one test body against each backend: in-memory SQLite (or a temporary file where the test
//! needs one), and PostgreSQL when `MYOTOME_TEST_POSTGRES_URL` names a server where the user may
//! create databases. Every PostgreSQL test gets its own fresh database, dropped afterwards, so
//! tests never share state. Under `CI=true` a missing PostgreSQL URL fails the test; outside CI
//! the PostgreSQL half says on stderr that it did not run (`scripts/test` counts those lines).
//!
//! Also the records tests start from (an actor, patients, users, stored documents), and a real
//! SMTP server for the e-mail tests ([`smtp`]).

pub mod smtp;

use jiff::civil::{Date, date};
use myotome_core::facts::Sex;
use myotome_core::outcome::Outcome;
use myotome_store::{
    Actor, Backend, Contact, DOCUMENT_SCHEMA, DoseDocument, FloorBasisDocument, Identifier,
    NewScreening, NewUser, PatientDetails, ProtocolRef, Role, ScheduleDocument, ScheduleMode,
    ScheduledVisit, ScheduledVisitKind, ScreeningDocument, Store, User, connect, memory_url,
    sqlite_url,
};
use sqlx::{AnyConnection, Connection, Executor};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub const POSTGRES_URL_VAR: &str = "MYOTOME_TEST_POSTGRES_URL";

/// What a test body gets.
pub struct Ctx {
    pub store: Arc<dyn Store>,
    pub backend: Backend,
    /// The store's URL, for a second store or a raw connection (tampering tests).
    pub url: String,
    /// Holds the temporary directory of a file database.
    pub _dir: Option<tempfile::TempDir>,
}

impl Ctx {
    /// A connection outside the store, for what no store method may do (tampering).
    pub async fn raw(&self) -> AnyConnection {
        AnyConnection::connect(&self.url)
            .await
            .expect("a raw connection opens")
    }

    /// Runs raw SQL statements, one by one.
    pub async fn raw_sql(&self, statements: &[&str]) {
        let mut conn = self.raw().await;
        for statement in statements {
            conn.execute(*statement)
                .await
                .unwrap_or_else(|e| panic!("`{statement}` failed: {e}"));
        }
        conn.close().await.expect("the raw connection closes");
    }
}

#[derive(Clone, Copy)]
pub enum Sqlite {
    Memory,
    File,
}

pub async fn on_sqlite<F, Fut>(kind: Sqlite, test: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()>,
{
    let (url, dir) = match kind {
        Sqlite::Memory => (memory_url(), None),
        Sqlite::File => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            (sqlite_url(&dir.path().join("myotome.db")), Some(dir))
        }
    };
    let store = connect(&url).await.expect("the SQLite store opens");
    test(Ctx {
        store,
        backend: Backend::Sqlite,
        url,
        _dir: dir,
    })
    .await;
}

/// The server URL, or `None` (outside CI) when the PostgreSQL half is not configured.
fn postgres_server() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => panic!(
            "{POSTGRES_URL_VAR} is not set, and under CI=true the PostgreSQL store tests must run. \
             Run scripts/test (it starts a throw-away PostgreSQL cluster) or set {POSTGRES_URL_VAR} \
             to postgres://USER@HOST:PORT/postgres for a user who may CREATE DATABASE."
        ),
        _ => {
            eprintln!(
                "myotome-testing: skipped: PostgreSQL half not run: {POSTGRES_URL_VAR} is not set"
            );
            None
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, database: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a postgres:// URL");
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let query = tail.find('?').map(|i| &tail[i..]).unwrap_or("");
    format!("{scheme}://{authority}/{database}{query}")
}

fn unique_database_name() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "myotome_test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        nanos % 1_000_000_000_000
    )
}

pub async fn on_postgres<F, Fut>(test: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_postgres_loaded(None, test).await;
}

/// [`on_postgres`] on a database first loaded from `dump` (plain SQL, e.g. `pg_dump --inserts`
/// of a database an earlier release made), so opening the store migrates it.
pub async fn on_postgres_loaded<F, Fut>(dump: Option<&str>, test: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(server) = postgres_server() else {
        return;
    };
    sqlx::any::install_default_drivers();
    let name = unique_database_name();
    let mut admin = AnyConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {POSTGRES_URL_VAR}: {e}"));
    admin
        .execute(format!("CREATE DATABASE \"{name}\"").as_str())
        .await
        .unwrap_or_else(|e| panic!("cannot create the test database {name}: {e}"));
    let url = with_database(&server, &name);
    if let Some(dump) = dump {
        let mut conn = AnyConnection::connect(&url)
            .await
            .expect("the new database opens");
        sqlx::raw_sql(dump)
            .execute(&mut conn)
            .await
            .expect("the dump loads");
        conn.close().await.expect("the loading connection closes");
    }
    let store = connect(&url).await.expect("the PostgreSQL store opens");
    let ctx = Ctx {
        store,
        backend: Backend::Postgres,
        url,
        _dir: None,
    };
    // Run the body as a task so that a failing test still drops its database.
    let outcome = tokio::spawn(test(ctx)).await;
    let _ = admin
        .execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str())
        .await;
    let _ = admin.close().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the test task failed: {error}"),
        }
    }
}

/// [`on_sqlite`] on a copy of the database file `fixture` (made by an earlier release), so
/// opening the store migrates it.
pub async fn on_sqlite_copy<F, Fut>(fixture: &std::path::Path, test: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("myotome.db");
    std::fs::copy(fixture, &path).expect("the fixture copies");
    let url = sqlite_url(&path);
    let store = connect(&url).await.expect("the SQLite store opens");
    test(Ctx {
        store,
        backend: Backend::Sqlite,
        url,
        _dir: Some(dir),
    })
    .await;
}

/// Declares each test body once per backend: `sqlite::<name>` and `postgres::<name>`.
#[macro_export]
macro_rules! store_tests {
    ($($kind:ident => [$($name:ident),* $(,)?]),* $(,)?) => {
        mod sqlite {
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    $crate::on_sqlite($crate::Sqlite::$kind, super::$name).await;
                }
            )*)*
        }
        mod postgres {
            $($(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    $crate::on_postgres(super::$name).await;
                }
            )*)*
        }
    };
}

// --- Fixtures ---------------------------------------------------------------------------------------

pub fn actor() -> Actor {
    Actor {
        user_id: None,
        name: "test-runner".to_owned(),
        from: "local".to_owned(),
    }
}

pub fn patient(family: &str, given: &str, born: Date) -> PatientDetails {
    PatientDetails {
        family_name: family.to_owned(),
        given_names: given.to_owned(),
        birth_date: Some(born),
        sex: Some(Sex::Female),
        deceased: None,
        identifiers: Vec::new(),
        contact: Contact::default(),
    }
}

pub fn sample_patient() -> PatientDetails {
    PatientDetails {
        identifiers: vec![
            Identifier {
                system: "urn:clinic:mrn".to_owned(),
                value: "MRN-0001".to_owned(),
            },
            Identifier {
                system: "https://ehr.example/patients".to_owned(),
                value: "e-77".to_owned(),
            },
        ],
        contact: Contact {
            phone: Some("+44 20 7946 0000".to_owned()),
            email: Some("ada@example.org".to_owned()),
            address: Some("1 Harley St\nLondon".to_owned()),
        },
        ..patient("Lovelace", "Ada Augusta", date(1985, 12, 10))
    }
}

pub fn new_user(username: &str, role: Role) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: format!("{username} (display)"),
        role,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo".to_owned(),
    }
}

pub async fn user(store: &dyn Store, username: &str, role: Role) -> User {
    store
        .create_user(&actor(), &new_user(username, role))
        .await
        .expect("the user is created")
}

/// Rows in the audit chain, asserting it is intact.
pub async fn audit_rows(store: &dyn Store) -> u64 {
    match store.verify_audit_chain().await.expect("verification runs") {
        myotome_store::ChainCheck::Intact { rows, .. } => rows,
        broken => panic!("the audit chain is broken: {broken:?}"),
    }
}

// --- Stored documents -------------------------------------------------------------------------------

pub fn protocol_ref(id: &str, version: &str) -> ProtocolRef {
    ProtocolRef {
        id: id.to_owned(),
        version: version.to_owned(),
    }
}

/// A screening document with no findings.
pub fn screening_document(
    protocol: &str,
    version: &str,
    as_of: Date,
    verdict: Outcome,
) -> ScreeningDocument {
    ScreeningDocument {
        schema: DOCUMENT_SCHEMA,
        protocol: protocol_ref(protocol, version),
        as_of,
        verdict,
        indicated: false,
        findings: Vec::new(),
        indications: Vec::new(),
        not_asked: Vec::new(),
    }
}

pub fn new_screening(protocol: &str, version: &str, as_of: Date, verdict: Outcome) -> NewScreening {
    NewScreening {
        result: screening_document(protocol, version, as_of, verdict),
    }
}

/// A schedule of `sessions` weekly sessions from `start`, laid out.
pub fn schedule_document(protocol: &str, start: Date, sessions: i32) -> ScheduleDocument {
    ScheduleDocument {
        schema: DOCUMENT_SCHEMA,
        protocol: protocol_ref(protocol, "1"),
        mode: ScheduleMode::LaidOut,
        visits: (0..sessions)
            .map(|i| ScheduledVisit {
                kind: ScheduledVisitKind::Session,
                label: format!("Session {} of {sessions}", i + 1),
                date: start
                    .checked_add(jiff::Span::new().weeks(i64::from(i)))
                    .expect("a date"),
                earliest: None,
                latest: None,
                follow_up: None,
            })
            .collect(),
        unscheduled: Vec::new(),
        explanation: vec!["Weekly.".to_owned()],
        accepted_violations: Vec::new(),
    }
}

pub fn dose_document(protocol: &str) -> DoseDocument {
    DoseDocument {
        schema: DOCUMENT_SCHEMA,
        protocol: protocol_ref(protocol, "1"),
        cell_floor: Some(143_000_000),
        floor_basis: Some(FloorBasisDocument {
            cells_per_kg: 2_000_000,
            weight_kg: 71.5,
            cells_per_ml: 25_000_000,
            minimum_volume_ml: 5.72,
        }),
        product_volume_ml: 5.8,
        saline_volume_ml: 0.0,
        total_volume_ml: 5.8,
        cells_delivered: Some(145_000_000),
        per_site_ml: vec![2.9, 2.9],
        per_side: false,
        explanation: vec!["2 million cells per kg × 71.5 kg.".to_owned()],
    }
}
