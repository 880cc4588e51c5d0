//! Sign-in under load: argon2 runs a few at a time, and sign-ins being checked right now count
//! against the throttling limits before their passwords are checked.
//!
//! argon2 allocates about 19 MiB per hash or verify on purpose. [`Gate::argon2`] lets
//! [`ARGON2_PERMITS`] of them run at once and queues the rest, so a burst of sign-ins costs
//! time, not memory. New passwords are hashed under the same permits: the gate is the
//! server's [`PasswordHashing`] for the use cases that set one.
//!
//! Failed sign-ins are counted in the database (so the limits hold across restarts and across
//! servers sharing it), plus the attempts this process is checking at that moment. Reading the
//! count and reserving a place happen under one lock, and so do recording the outcome and
//! giving the place back, so within one process parallel guesses cannot all see "no failures":
//! at most the limit get their password checked. Servers sharing a database do not see each
//! other's attempts in flight, so k servers racing can check up to k times the limit once;
//! after that the failures are in the database for all of them. Refused (throttled) attempts
//! are not recorded: a flood of them costs one count each and does not grow the table.

use crate::error::ApiError;
use crate::password::{PasswordError, hash_password};
use jiff::Timestamp;
use myotome_clinic::ClinicError;
use myotome_clinic::access::PasswordHashing;
use myotome_store::Store;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::Semaphore;

/// Counts one hit of `key` (a public page and the client's address) in the database and says
/// whether more than `limit` fell within `window`: the public pages' limits (the candidate
/// form, the questionnaire links), held across servers sharing the database.
pub async fn over_limit(
    store: &dyn Store,
    key: &str,
    limit: u32,
    window: jiff::SignedDuration,
) -> Result<bool, myotome_store::StoreError> {
    let now = Timestamp::now();
    // A window reaching before the first timestamp counts from there.
    let since = now.checked_sub(window).unwrap_or(Timestamp::MIN);
    Ok(store.rate_limit_hit(key, now, since).await? > u64::from(limit))
}

/// How many argon2 computations run at once (each allocates about 19 MiB).
pub const ARGON2_PERMITS: usize = 4;

/// The limits one sign-in is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Failures for one username within the window.
    pub per_username: u64,
    /// Failures from one client address (any username) within the window.
    pub per_address: u64,
    /// The start of the window.
    pub since: Timestamp,
}

/// The argon2 permits and the sign-ins in flight, shared by every request of a server.
#[derive(Debug)]
pub struct Gate {
    argon2: Arc<Semaphore>,
    /// Held while reading the database count and reserving, and while recording and releasing.
    section: tokio::sync::Mutex<()>,
    in_flight: Arc<Mutex<HashMap<String, u64>>>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new(ARGON2_PERMITS)
    }
}

impl Gate {
    pub fn new(argon2_permits: usize) -> Self {
        Self {
            argon2: Arc::new(Semaphore::new(argon2_permits.max(1))),
            section: tokio::sync::Mutex::new(()),
            in_flight: Arc::default(),
        }
    }

    /// Runs argon2 (hashing or verifying) on the blocking pool once a permit is free: it takes
    /// tens of milliseconds of CPU on purpose, which would stall other requests on an async
    /// worker. The permit is held until the work ends, even if the request is abandoned.
    pub async fn argon2<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        self.run_argon2(work).await.map_err(|e| match e {
            GateError::Closed(e) => ApiError::internal("the argon2 permits are closed", &e),
            GateError::Failed(e) => ApiError::internal("a blocking task failed", &e),
        })
    }

    async fn run_argon2<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, GateError> {
        let permit = Arc::clone(&self.argon2).acquire_owned().await?;
        Ok(tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await?)
    }

    /// Counts the failures in the window plus the attempts in flight, for `username` and for
    /// `from`; `None` when either has reached its limit, otherwise a reserved [`Attempt`] that
    /// counts until it is [finished](Attempt::finish) or dropped.
    pub async fn begin(
        self: &Arc<Self>,
        store: &dyn Store,
        username: &str,
        from: &str,
        limits: Limits,
    ) -> Result<Option<Attempt>, ApiError> {
        let _section = self.section.lock().await;
        let (failed_user, failed_address) = store
            .failed_sign_ins_since(username, from, limits.since)
            .await?;
        let keys = [format!("user {username}"), format!("address {from}")];
        let mut in_flight = lock(&self.in_flight);
        let flying = |key: &String| in_flight.get(key).copied().unwrap_or(0);
        if failed_user.saturating_add(flying(&keys[0])) >= limits.per_username
            || failed_address.saturating_add(flying(&keys[1])) >= limits.per_address
        {
            return Ok(None);
        }
        for key in &keys {
            *in_flight.entry(key.clone()).or_insert(0) += 1;
        }
        Ok(Some(Attempt {
            gate: Arc::clone(self),
            username: username.to_owned(),
            from: from.to_owned(),
            keys,
        }))
    }
}

/// The server hashes new passwords (for the use cases of [`myotome_clinic::access`]) under
/// the same permits as sign-in's checks.
impl PasswordHashing for Gate {
    async fn hash(&self, password: String) -> Result<Result<String, PasswordError>, ClinicError> {
        self.run_argon2(move || hash_password(&password))
            .await
            .map_err(|e| ClinicError::Store(Box::new(e)))
    }
}

/// Why argon2 work could not run.
#[derive(Debug, thiserror::Error)]
enum GateError {
    #[error("the argon2 permits are closed: {0}")]
    Closed(#[from] tokio::sync::AcquireError),
    #[error("a blocking task failed: {0}")]
    Failed(#[from] tokio::task::JoinError),
}

fn lock(map: &Mutex<HashMap<String, u64>>) -> MutexGuard<'_, HashMap<String, u64>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A sign-in whose password is being checked. Dropping it without [`Attempt::finish`] (the
/// request was abandoned) gives its place back and records nothing.
#[derive(Debug)]
pub struct Attempt {
    gate: Arc<Gate>,
    username: String,
    from: String,
    keys: [String; 2],
}

impl Attempt {
    /// Records the outcome in the database, then gives the place back: the attempt is counted
    /// by one or the other at every moment.
    pub async fn finish(
        self,
        store: &dyn Store,
        succeeded: bool,
        at: Timestamp,
    ) -> Result<(), ApiError> {
        let gate = Arc::clone(&self.gate);
        let _section = gate.section.lock().await;
        store
            .record_sign_in_attempt(&self.username, &self.from, succeeded, at)
            .await?;
        drop(self);
        Ok(())
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.gate.in_flight);
        for key in &self.keys {
            if let Some(count) = in_flight.get_mut(key) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    in_flight.remove(key);
                }
            }
        }
    }
}
