//! The sqlx implementation of [`Store`](crate::Store) for SQLite and PostgreSQL.
//! (Skeleton: being implemented.)

use crate::{Result, Store};
use std::sync::Arc;

/// The one implementation of the store, over an sqlx pool.
pub struct SqlStore {}

/// Opens (creating and migrating when needed) the database at `url`: `sqlite://PATH` or
/// `postgres://…`.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    let _ = url;
    todo!("implemented by the store work")
}

/// The URL of a SQLite database file, created when missing.
pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// A fresh private in-memory SQLite database (for tests), unique per call.
pub fn memory_url() -> String {
    todo!("implemented by the store work")
}
