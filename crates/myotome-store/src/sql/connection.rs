//! Opening a store: the URL forms (SQLite file or memory, PostgreSQL) and which backend each
//! picks, pool settings, SQLite's per-connection pragmas, migrations, and errors that say why a
//! database cannot be opened without echoing its password.

use super::SqlStore;
use super::error::DbResult;
use crate::{Backend, Result, Store, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, Connection, Executor};
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
        let rekeyed = super::patients::rekey(&pool).await?;
        if rekeyed > 0 {
            tracing::info!(patients = rekeyed, "search keys brought up to date");
        }
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
