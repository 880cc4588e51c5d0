//! Opening the clinic database named by `--database` (a SQLite file path or a postgres:// URL),
//! the async runtime the server commands run on, and who the command line acts as in the
//! audit trail.

use anyhow::{Context, Result, bail};
use myotome_store::{Actor, Store};
use std::path::Path;
use std::sync::Arc;

/// The sqlx URL for `--database`: URLs pass through, anything else is a SQLite file path.
pub fn url(spec: &str) -> String {
    let is_url = ["postgres://", "postgresql://", "sqlite:"]
        .iter()
        .any(|scheme| spec.starts_with(scheme));
    if is_url {
        spec.to_owned()
    } else {
        myotome_store::sqlite_url(Path::new(spec))
    }
}

/// `--database` fit to print: a PostgreSQL URL loses its password (in the authority, where
/// the password may itself contain `@`, and in a `password=` query parameter).
pub fn describe(spec: &str) -> String {
    let Some((scheme, rest)) = spec.split_once("://") else {
        return format!("SQLite file {spec}");
    };
    if scheme == "sqlite" {
        return format!("SQLite file {rest}");
    }
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let location = match location.rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{user}@{host}")
        }
        None => location.to_owned(),
    };
    let query = query.map(|query| {
        query
            .split('&')
            .filter(|pair| !pair.to_ascii_lowercase().starts_with("password="))
            .collect::<Vec<_>>()
            .join("&")
    });
    match query.filter(|q| !q.is_empty()) {
        Some(query) => format!("PostgreSQL {scheme}://{location}?{query}"),
        None => format!("PostgreSQL {scheme}://{location}"),
    }
}

/// Opens the database, creating and migrating it when new: what `serve` does.
pub async fn open(spec: &str) -> Result<Arc<dyn Store>> {
    myotome_store::connect(&url(spec))
        .await
        .with_context(|| format!("cannot open the database ({})", describe(spec)))
}

/// Opens a database that must already exist: the administration commands never create an
/// empty one because of a mistyped path (an "intact" audit check of an empty file would lie).
pub async fn open_existing(spec: &str) -> Result<Arc<dyn Store>> {
    if let Some(path) = sqlite_path(spec)
        && !Path::new(path).exists()
    {
        bail!(
            "there is no database at {path}; check --database (or MYOTOME_DATABASE), or run `myotome serve` once to create it"
        );
    }
    open(spec).await
}

/// The file path of a SQLite `--database`, `None` for PostgreSQL and in-memory URLs.
fn sqlite_path(spec: &str) -> Option<&str> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        return None;
    }
    let path = spec
        .strip_prefix("sqlite://")
        .or_else(|| spec.strip_prefix("sqlite:"))
        .unwrap_or(spec);
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty() && !path.starts_with(":memory:") && !path.starts_with("file:"))
        .then_some(path)
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The command line acts as the operating-system user at the server's console.
pub fn cli_actor() -> Actor {
    let os_user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    Actor {
        user_id: None,
        name: format!("cli:{os_user}"),
        from: "local".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_postgres_url_is_described_without_its_password() {
        assert_eq!(
            describe("postgres://clinic:s3cret@db.local:5432/myotome"),
            "PostgreSQL postgres://clinic@db.local:5432/myotome"
        );
    }

    #[test]
    fn a_password_containing_at_signs_or_in_the_query_is_never_printed() {
        let described =
            describe("postgres://clinic:p@ss@db.local/myotome?password=x&sslmode=require");
        assert_eq!(
            described,
            "PostgreSQL postgres://clinic@db.local/myotome?sslmode=require"
        );
    }

    #[test]
    fn a_plain_path_is_a_sqlite_file() {
        assert!(url("myotome.db").starts_with("sqlite:"));
        assert_eq!(url("postgres://x@y/z"), "postgres://x@y/z");
    }
}
