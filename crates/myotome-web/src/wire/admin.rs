//! Sessions, first-run set-up, users, API tokens and the audit trail on the wire.

use super::at;
use myotome_clinic::access::{NewTokenForm, NewUserForm, UserChange};
use myotome_store::{ApiToken, AuditEvent, ChainCheck, User, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthOut {
    /// `ok`.
    pub status: &'static str,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInIn {
    pub username: String,
    pub password: String,
}

// Passwords never reach a log line, not even through `{:?}`.
impl std::fmt::Debug for SignInIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInIn")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOut {
    pub user: UserOut,
    /// session (cookie) or token (API token).
    pub via: &'static str,
    /// Send it back in `X-CSRF-Token` with every change made with the session cookie; `null`
    /// for API tokens, which need none.
    pub csrf_token: Option<String>,
    pub expires_at: Option<String>,
}

/// Creating the first admin with the one-time link `myotome serve` printed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupIn {
    /// The `token` of the set-up link.
    #[schema(schema_with = super::schema::required_line)]
    pub token: String,
    #[schema(schema_with = super::schema::username)]
    pub username: String,
    #[schema(schema_with = super::schema::required_line)]
    pub display_name: String,
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserOut {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    /// admin, clinician or staff.
    pub role: &'static str,
    pub disabled: bool,
    pub version: i64,
    pub created_at: String,
}

impl From<&User> for UserOut {
    fn from(user: &User) -> Self {
        Self {
            id: user.id.0,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role.as_str(),
            disabled: user.disabled,
            version: user.version,
            created_at: at(user.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserIn {
    /// One word, no spaces; unique regardless of case.
    #[schema(schema_with = super::schema::username)]
    pub username: String,
    #[schema(schema_with = super::schema::required_line)]
    pub display_name: String,
    /// admin, clinician or staff.
    #[schema(schema_with = super::schema::role)]
    pub role: String,
    /// At least 12 characters.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
}

impl From<NewUserIn> for NewUserForm {
    fn from(input: NewUserIn) -> Self {
        NewUserForm {
            username: input.username,
            display_name: input.display_name,
            role: input.role,
            password: input.password,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdateIn {
    #[schema(schema_with = super::schema::required_line)]
    pub display_name: String,
    #[schema(schema_with = super::schema::role)]
    pub role: String,
    pub disabled: bool,
    #[serde(deserialize_with = "super::integer::whole")]
    pub version: i64,
}

impl From<UserUpdateIn> for UserChange {
    fn from(input: UserUpdateIn) -> Self {
        UserChange {
            display_name: input.display_name,
            role: input.role,
            disabled: input.disabled,
            version: input.version,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    /// At least 12 characters. Setting it ends the user's sessions.
    #[schema(min_length = 12, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenOut {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The secret's first characters, to tell tokens apart.
    pub prefix: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

impl From<&ApiToken> for TokenOut {
    fn from(token: &ApiToken) -> Self {
        Self {
            id: token.id.0,
            user_id: token.user_id.0,
            name: token.name.clone(),
            prefix: token.prefix.clone(),
            created_at: at(token.created_at),
            revoked_at: token.revoked_at.map(at),
            last_used_at: token.last_used_at.map(at),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenIn {
    /// The user the token acts as, with that user's role.
    #[serde(deserialize_with = "super::integer::whole")]
    pub user_id: i64,
    /// What the token is for, e.g. "EHR import".
    #[schema(schema_with = super::schema::required_line)]
    pub name: String,
}

impl From<NewTokenIn> for NewTokenForm {
    fn from(input: NewTokenIn) -> Self {
        NewTokenForm {
            user_id: UserId(input.user_id),
            name: input.name,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenCreatedOut {
    pub token: TokenOut,
    /// Shown only now: send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventOut {
    pub seq: i64,
    pub at: String,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    /// The client address the server saw.
    pub from: String,
    /// Dotted verb, e.g. `patient.read`.
    pub action: String,
    pub patient_id: Option<i64>,
    pub listed_patients: Vec<i64>,
    pub target: Option<String>,
    pub hash: String,
}

impl From<&AuditEvent> for AuditEventOut {
    fn from(e: &AuditEvent) -> Self {
        Self {
            seq: e.seq,
            at: at(e.at),
            actor_user_id: e.actor_user_id.map(|id| id.0),
            actor_name: e.actor_name.clone(),
            from: e.from.clone(),
            action: e.action.clone(),
            patient_id: e.patient_id.map(|id| id.0),
            listed_patients: e.listed_patients.iter().map(|id| id.0).collect(),
            target: e.target.clone(),
            hash: e.hash.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditTrailOut {
    pub patient_id: i64,
    /// Oldest first.
    pub events: Vec<AuditEventOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChainCheckOut {
    pub intact: bool,
    /// Rows checked (all of them when intact).
    pub rows: u64,
    /// The first row that does not match, when broken.
    pub broken_at_seq: Option<i64>,
    pub reason: Option<String>,
    pub message: String,
}

impl From<&ChainCheck> for ChainCheckOut {
    fn from(check: &ChainCheck) -> Self {
        match check {
            ChainCheck::Intact { rows, .. } => Self {
                intact: true,
                rows: *rows,
                broken_at_seq: None,
                reason: None,
                message: format!("The audit trail is intact: {rows} rows, every hash matches."),
            },
            ChainCheck::Broken {
                seq,
                rows_checked,
                reason,
            } => Self {
                intact: false,
                rows: *rows_checked,
                broken_at_seq: Some(*seq),
                reason: Some(reason.clone()),
                message: format!(
                    "The audit trail is broken at row {seq}: {reason}. The {rows_checked} rows before it are intact; restore from a backup taken before the change and keep this database for investigation."
                ),
            },
        }
    }
}
