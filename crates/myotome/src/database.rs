//! Opening the clinic database named by `--database` (a SQLite file path or a postgres:// URL),
//! the async runtime the server commands run on, and who the command line acts as in the
//! audit trail.

use anyhow::{Context, Result};
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

/// `--database` fit to print: a PostgreSQL URL loses its password.
pub fn describe(spec: &str) -> String {
    let Some((scheme, rest)) = spec.split_once("://") else {
        return format!("SQLite file {spec}");
    };
    if scheme == "sqlite" {
        return format!("SQLite file {rest}");
    }
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("PostgreSQL {scheme}://{user}@{host}")
        }
        None => format!("PostgreSQL {spec}"),
    }
}

pub async fn open(spec: &str) -> Result<Arc<dyn Store>> {
    myotome_store::connect(&url(spec))
        .await
        .with_context(|| format!("cannot open the database ({})", describe(spec)))
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
    fn a_plain_path_is_a_sqlite_file() {
        assert!(url("myotome.db").starts_with("sqlite:"));
        assert_eq!(url("postgres://x@y/z"), "postgres://x@y/z");
    }
}
