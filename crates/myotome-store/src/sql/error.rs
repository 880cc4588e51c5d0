//! sqlx errors → [`StoreError`]. Nothing of sqlx leaves the crate: a failure the caller can act
//! on (a taken username, an identifier that belongs to someone else) becomes a `Conflict`
//! sentence at the call site that knows which constraint it is; everything else becomes
//! `Database`, whose detail is for the server log.

use crate::{Result, StoreError};
use sqlx::error::ErrorKind;

/// `.db()` on an sqlx result: the error as `StoreError::Database`.
pub(crate) trait DbResult<T> {
    fn db(self) -> Result<T>;
}

impl<T> DbResult<T> for std::result::Result<T, sqlx::Error> {
    fn db(self) -> Result<T> {
        self.map_err(database)
    }
}

pub(crate) fn database(error: sqlx::Error) -> StoreError {
    StoreError::Database(Box::new(error))
}

/// Whether the error is a unique-constraint violation (either backend).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|e| e.kind() == ErrorKind::UniqueViolation)
}

/// A unique violation becomes `Conflict(sentence)`; anything else `Database`.
pub(crate) fn unique_or_database(
    error: sqlx::Error,
    sentence: impl FnOnce() -> String,
) -> StoreError {
    if is_unique_violation(&error) {
        StoreError::Conflict(sentence())
    } else {
        database(error)
    }
}

/// A row that cannot be turned back into its domain value: the database was changed outside
/// Myotome (or by a newer version). Reported as a database error naming the column.
pub(crate) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Database(what.into().into())
}
