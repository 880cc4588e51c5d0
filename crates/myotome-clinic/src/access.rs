//! Who may use the system: users (added, renamed, given a role, disabled, given a password) and
//! API tokens (created acting as a user, revoked), for the admin. Disabling a user or setting
//! their password ends their sessions (the store does it).
//!
//! Passwords are hashed with argon2 ([`crate::password`]), which is slow and memory-hungry on
//! purpose, so the use cases take a [`PasswordHashing`]: the server runs it off its async
//! workers a few at a time, the command line and tests where they stand ([`HashInPlace`]).
//! Token secrets are random ([`crate::secret`]); the store keeps only their SHA-256. Signing
//! in is not here: it is the web edge's authentication.

use crate::password::{PasswordError, hash_password};
use crate::permissions::Permission;
use crate::secret::{random, sha256_hex};
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::{Caller, Clinic, ClinicError};
use myotome_store::{
    Actor, ApiToken, NewApiToken, NewUser, Role, Store, StoreError, TokenId, User, UserId,
};
use std::future::Future;

/// How many characters of a token's secret are kept in clear, so an admin can tell tokens
/// apart without the store holding anything that signs in.
pub const TOKEN_PREFIX_CHARS: usize = 8;

/// Where a new password is hashed.
pub trait PasswordHashing: Sync {
    /// Checks the password's length and hashes it ([`hash_password`]). The outer error is the
    /// hashing failing to run at all (answered as a server failure), the inner one what is
    /// wrong with the password.
    fn hash(
        &self,
        password: String,
    ) -> impl Future<Output = Result<Result<String, PasswordError>, ClinicError>> + Send;
}

/// Hashes on the calling thread: for the command line and tests, where nothing else waits on
/// it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HashInPlace;

impl PasswordHashing for HashInPlace {
    async fn hash(&self, password: String) -> Result<Result<String, PasswordError>, ClinicError> {
        Ok(hash_password(&password))
    }
}

/// Hashes a new password; a password that is too short (or too long) is a field error on
/// `field`.
pub async fn new_password_hash(
    hashing: &impl PasswordHashing,
    field: &str,
    password: String,
) -> Result<String, ClinicError> {
    hashing
        .hash(password)
        .await?
        .map_err(|e| ClinicError::field(field, e.to_string()))
}

/// A new user as given.
#[derive(Clone, Default)]
pub struct NewUserForm {
    /// One word, no spaces; unique regardless of case.
    pub username: String,
    pub display_name: String,
    /// admin, clinician or staff.
    pub role: String,
    /// At least 12 characters.
    pub password: String,
}

// Passwords never reach a log line, not even through `{:?}`.
impl std::fmt::Debug for NewUserForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserForm")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The username, display name and role of a new user, checked together (one answer naming
/// every field that is wrong); the password is checked when it is hashed.
pub fn check_new_user(form: &NewUserForm) -> Result<Role, ClinicError> {
    let mut check = Check::new();
    check.username("username", &form.username);
    check.display_name("display_name", &form.display_name);
    let role = Role::parse(&form.role)
        .map_err(|e| check.add("role", e))
        .ok();
    check.finish()?;
    role.ok_or_else(|| ClinicError::unchecked("user"))
}

/// Adds a user: the fields, then the password (a field error on `password`), then the store,
/// which refuses a taken username ([`ClinicError::Conflict`]).
pub async fn add_user(
    clinic: &Clinic,
    caller: &Caller,
    hashing: &impl PasswordHashing,
    form: NewUserForm,
) -> Result<User, ClinicError> {
    caller.may(Permission::UserAdmin)?;
    let role = check_new_user(&form)?;
    let password_hash = new_password_hash(hashing, "password", form.password).await?;
    Ok(clinic
        .store
        .create_user(
            &caller.actor,
            &NewUser {
                username: form.username,
                display_name: form.display_name,
                role,
                password_hash,
            },
        )
        .await?)
}

/// A user's name, role and disabled state as they should now be, with the version read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChange {
    pub display_name: String,
    /// admin, clinician or staff.
    pub role: String,
    pub disabled: bool,
    pub version: i64,
}

/// Changes a user's name, role or disabled state; `change.version` must be the one read. An
/// admin cannot disable themselves or give up their own admin role (another admin, or the
/// command line, can), so the clinic always keeps one.
pub async fn change_user(
    clinic: &Clinic,
    caller: &Caller,
    id: UserId,
    change: &UserChange,
) -> Result<User, ClinicError> {
    caller.may(Permission::UserAdmin)?;
    let mut check = Check::new();
    check.display_name("display_name", &change.display_name);
    let role = Role::parse(&change.role)
        .map_err(|e| check.add("role", e))
        .ok();
    check.finish()?;
    let Some(role) = role else {
        return Err(ClinicError::unchecked("user"));
    };
    if caller.user == Some(id) && (change.disabled || role != Role::Admin) {
        return Err(ClinicError::Conflict(
            "You cannot disable yourself or give up your own admin role; ask another admin, so the clinic always keeps one.".to_owned(),
        ));
    }
    let user = clinic
        .store
        .update_user(
            &caller.actor,
            id,
            change.version,
            &change.display_name,
            role,
            change.disabled,
        )
        .await?;
    if user.disabled {
        revoke_tokens_of(clinic, caller, id).await?;
    }
    Ok(user)
}

/// Revokes every API token of the user still standing (each revocation audited): a token must
/// not outlive a disabled account or a password an administrator reset — re-enabling the
/// account would otherwise bring its old tokens back.
async fn revoke_tokens_of(clinic: &Clinic, caller: &Caller, id: UserId) -> Result<(), ClinicError> {
    for token in clinic.store.api_tokens().await? {
        if token.user_id == id && token.revoked_at.is_none() {
            clinic
                .store
                .revoke_api_token(&caller.actor, token.id)
                .await?;
        }
    }
    Ok(())
}

/// Sets a user's password (ends their sessions and revokes their API tokens); a too-short one
/// is a field error on `password`.
pub async fn change_password(
    clinic: &Clinic,
    caller: &Caller,
    hashing: &impl PasswordHashing,
    id: UserId,
    password: String,
) -> Result<User, ClinicError> {
    caller.may(Permission::UserAdmin)?;
    let hash = new_password_hash(hashing, "password", password).await?;
    let user = clinic.store.set_password(&caller.actor, id, &hash).await?;
    revoke_tokens_of(clinic, caller, id).await?;
    Ok(user)
}

/// Sets the caller's own password (ends every session of theirs); a too-short one is a field
/// error on `new_password`. Any signed-in person may; the edge has checked they know the
/// current one.
pub async fn change_own_password(
    clinic: &Clinic,
    caller: &Caller,
    hashing: &impl PasswordHashing,
    password: String,
) -> Result<User, ClinicError> {
    let Some(me) = caller.user else {
        return Err(ClinicError::Conflict(
            "Only a person has a password to change; sign in as them.".to_owned(),
        ));
    };
    let hash = new_password_hash(hashing, "new_password", password).await?;
    Ok(clinic.store.set_password(&caller.actor, me, &hash).await?)
}

/// Every user.
pub async fn users(clinic: &Clinic, caller: &Caller) -> Result<Vec<User>, ClinicError> {
    caller.may(Permission::UserAdmin)?;
    Ok(clinic.store.users().await?)
}

/// One user.
pub async fn user(clinic: &Clinic, caller: &Caller, id: UserId) -> Result<User, ClinicError> {
    caller.may(Permission::UserAdmin)?;
    Ok(clinic.store.user(id).await?)
}

/// A new API token as given: the user it acts as and a name to tell it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTokenForm {
    pub user_id: UserId,
    /// Not blank.
    pub name: String,
}

/// Creates a token acting as a user: a name is required and the user must exist (a field
/// error on `user_id` otherwise). Returns the token and its secret, which is shown this once.
pub async fn new_token(
    clinic: &Clinic,
    caller: &Caller,
    form: &NewTokenForm,
) -> Result<(ApiToken, String), ClinicError> {
    caller.may(Permission::TokenAdmin)?;
    let mut check = Check::new();
    check.required_text("name", &form.name, MAX_SHORT_TEXT);
    check.finish()?;
    let store = clinic.store.as_ref();
    let user = match store.user(form.user_id).await {
        Ok(user) => user,
        Err(StoreError::NotFound { .. }) => {
            return Err(ClinicError::field(
                "user_id",
                format!("there is no user {}", form.user_id),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    Ok(create_api_token(store, &caller.actor, user.id, &form.name).await?)
}

/// Creates an API token acting as `user`, unchecked (the command line has its own checks).
/// Returns the stored token and its secret, which is shown once and never again.
pub async fn create_api_token(
    store: &dyn Store,
    actor: &Actor,
    user: UserId,
    name: &str,
) -> Result<(ApiToken, String), StoreError> {
    let secret = random("cannot create an API token secret")?;
    let token = store
        .create_api_token(
            actor,
            &NewApiToken {
                user_id: user,
                name: name.to_owned(),
                prefix: secret.chars().take(TOKEN_PREFIX_CHARS).collect(),
                secret_hash: sha256_hex(&secret),
            },
        )
        .await?;
    Ok((token, secret))
}

/// Every token, revoked ones included (secrets are never shown again).
pub async fn tokens(clinic: &Clinic, caller: &Caller) -> Result<Vec<ApiToken>, ClinicError> {
    caller.may(Permission::TokenAdmin)?;
    Ok(clinic.store.api_tokens().await?)
}

/// Revokes a token: it stops working at once.
pub async fn revoke_token(
    clinic: &Clinic,
    caller: &Caller,
    id: TokenId,
) -> Result<ApiToken, ClinicError> {
    caller.may(Permission::TokenAdmin)?;
    Ok(clinic.store.revoke_api_token(&caller.actor, id).await?)
}
