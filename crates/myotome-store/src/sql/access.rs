//! Who may use Myotome: users (`users`), sign-in attempts (`sign_in_attempts`), browser sessions
//! (`sessions`), API tokens (`api_tokens`) and first-run set-up links (`setup_links`). All of it
//! lives in the database so that several `serve` processes share it.
//!
//! Usernames match case-insensitively through `username_key` (the Unicode lower case, made
//! here). Secrets never reach the store: sessions, tokens and links are looked up by the
//! SHA-256 the web layer computes.

use super::codec::{self, get, ts_text};
use super::error::{DbResult, database, unique_or_database};
use super::patients::stale_or_missing;
use crate::{
    ApiToken, NewApiToken, NewSession, NewUser, Result, Role, SessionRecord, SetupLink, StoreError,
    TokenId, User, UserId,
};
use jiff::{SignedDuration, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use sqlx::error::ErrorKind;

// --- Users --------------------------------------------------------------------------------------

const USER_COLUMNS: &str = "id, username, display_name, role, disabled_at, version, created_at";

/// The same columns, qualified for joins.
const USER_COLUMNS_U: &str =
    "u.id, u.username, u.display_name, u.role, u.disabled_at, u.version, u.created_at";

fn user_from(row: &AnyRow) -> Result<User> {
    Ok(User {
        id: UserId(get(row, "id")?),
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        role: codec::word(row, "role", codec::parse_role)?,
        disabled: get::<Option<String>>(row, "disabled_at")?.is_some(),
        version: get(row, "version")?,
        created_at: codec::ts(row, "created_at")?,
    })
}

fn user_not_found(id: UserId) -> StoreError {
    StoreError::NotFound {
        what: "user",
        id: id.to_string(),
    }
}

/// What sign-in attempts are counted under: a SHA-256 digest of the lower-cased name, never
/// the name as typed (a password typed into the username box must not be kept in the clear).
fn username_key(username: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(username.to_lowercase().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

pub(crate) async fn count_users(conn: &mut AnyConnection) -> Result<u64> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut *conn)
        .await
        .db()?;
    Ok(u64::try_from(count).unwrap_or(0))
}

pub(crate) async fn create_user(conn: &mut AnyConnection, user: &NewUser) -> Result<User> {
    let key = username_key(&user.username);
    let taken = || {
        format!(
            "the username {} is taken (usernames ignore case); choose another",
            user.username
        )
    };
    let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username_key = $1")
        .bind(&key)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    if existing.is_some() {
        return Err(StoreError::Conflict(taken()));
    }
    let now = ts_text(codec::now());
    let sql = format!(
        "INSERT INTO users (username, username_key, display_name, role, password_hash, version, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING {USER_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(&user.username)
        .bind(&key)
        .bind(&user.display_name)
        .bind(user.role.as_str())
        .bind(&user.password_hash)
        .bind(&now)
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| unique_or_database(e, taken))?;
    user_from(&row)
}

pub(crate) async fn user(conn: &mut AnyConnection, id: UserId) -> Result<User> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| user_not_found(id))?;
    user_from(&row)
}

pub(crate) async fn user_credentials(
    conn: &mut AnyConnection,
    username: &str,
) -> Result<Option<(User, String)>> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username_key = $1");
    let row = sqlx::query(&sql)
        .bind(username_key(username))
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    row.map(|row| Ok((user_from(&row)?, get(&row, "password_hash")?)))
        .transpose()
}

pub(crate) async fn users(conn: &mut AnyConnection) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username_key, id");
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await.db()?;
    rows.iter().map(user_from).collect()
}

async fn end_sessions(conn: &mut AnyConnection, id: UserId) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn update_user(
    conn: &mut AnyConnection,
    id: UserId,
    expected_version: i64,
    display_name: &str,
    role: Role,
    disabled: bool,
) -> Result<User> {
    let now = ts_text(codec::now());
    // Disabling keeps the first disabled_at (when it happened), enabling clears it.
    let disabled_at = disabled.then_some(now.as_str());
    let sql = format!(
        "UPDATE users SET display_name = $1, role = $2, \
         disabled_at = CASE WHEN $3 IS NULL THEN NULL ELSE COALESCE(disabled_at, $3) END, \
         version = version + 1, updated_at = $4 WHERE id = $5 AND version = $6 \
         RETURNING {USER_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(display_name)
        .bind(role.as_str())
        .bind(disabled_at)
        .bind(&now)
        .bind(id.0)
        .bind(expected_version)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    let Some(row) = row else {
        return Err(stale_or_missing(conn, "users", "user", id.0, expected_version).await);
    };
    if disabled {
        end_sessions(conn, id).await?;
    }
    user_from(&row)
}

pub(crate) async fn set_password(
    conn: &mut AnyConnection,
    id: UserId,
    password_hash: &str,
) -> Result<User> {
    // Not a version change: a password reset must not make an admin's open edit form stale.
    let sql = format!(
        "UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3 RETURNING {USER_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(password_hash)
        .bind(ts_text(codec::now()))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| user_not_found(id))?;
    end_sessions(conn, id).await?;
    let user = user_from(&row)?;
    // A new password lifts the lock its failed attempts set (the lock's message says a reset
    // does).
    sqlx::query("DELETE FROM sign_in_attempts WHERE username_key = $1 AND succeeded = 0")
        .bind(username_key(&user.username))
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(user)
}

// --- Sign-in attempts ---------------------------------------------------------------------------

pub(crate) async fn record_sign_in_attempt(
    conn: &mut AnyConnection,
    username: &str,
    from: &str,
    succeeded: bool,
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_attempts (username_key, from_addr, succeeded, at) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(username_key(username))
    .bind(from)
    .bind(i64::from(succeeded))
    .bind(ts_text(at))
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}

pub(crate) async fn failed_sign_ins_since(
    conn: &mut AnyConnection,
    username: &str,
    from: &str,
    since: Timestamp,
) -> Result<(u64, u64)> {
    let row = sqlx::query(
        "SELECT \
           (SELECT COUNT(*) FROM sign_in_attempts \
             WHERE username_key = $1 AND succeeded = 0 AND at >= $3) AS by_username, \
           (SELECT COUNT(*) FROM sign_in_attempts \
             WHERE from_addr = $2 AND succeeded = 0 AND at >= $3) AS by_address",
    )
    .bind(username_key(username))
    .bind(from)
    .bind(ts_text(since))
    .fetch_one(&mut *conn)
    .await
    .db()?;
    let by_username: i64 = get(&row, "by_username")?;
    let by_address: i64 = get(&row, "by_address")?;
    Ok((
        u64::try_from(by_username).unwrap_or(0),
        u64::try_from(by_address).unwrap_or(0),
    ))
}

/// Runs in the caller's write transaction, so two servers counting the same key queue on
/// SQLite's write lock; on PostgreSQL each counts its own hit and every committed one.
pub(crate) async fn rate_limit_hit(
    conn: &mut AnyConnection,
    key: &str,
    now: Timestamp,
    since: Timestamp,
) -> Result<u64> {
    sqlx::query("DELETE FROM rate_limit_hits WHERE limit_key = $1 AND at < $2")
        .bind(key)
        .bind(ts_text(since))
        .execute(&mut *conn)
        .await
        .db()?;
    sqlx::query("INSERT INTO rate_limit_hits (limit_key, at) VALUES ($1, $2)")
        .bind(key)
        .bind(ts_text(now))
        .execute(&mut *conn)
        .await
        .db()?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM rate_limit_hits WHERE limit_key = $1 AND at >= $2",
    )
    .bind(key)
    .bind(ts_text(since))
    .fetch_one(&mut *conn)
    .await
    .db()?;
    Ok(u64::try_from(count).unwrap_or(0))
}

pub(crate) async fn delete_sign_in_attempts_before(
    conn: &mut AnyConnection,
    before: Timestamp,
) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sign_in_attempts WHERE at < $1")
        .bind(ts_text(before))
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(done.rows_affected())
}

// --- Sessions -----------------------------------------------------------------------------------

pub(crate) async fn create_session(conn: &mut AnyConnection, session: &NewSession) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (secret_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&session.secret_hash)
    .bind(session.user_id.0)
    .bind(&session.csrf_token)
    .bind(ts_text(codec::now()))
    .bind(ts_text(session.expires_at))
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if e.as_database_error()
            .is_some_and(|d| d.kind() == ErrorKind::ForeignKeyViolation)
        {
            user_not_found(session.user_id)
        } else {
            unique_or_database(e, || "a session with this secret already exists".to_owned())
        }
    })?;
    Ok(())
}

pub(crate) async fn session(
    conn: &mut AnyConnection,
    secret_hash: &str,
    now: Timestamp,
) -> Result<Option<SessionRecord>> {
    let sql = format!(
        "SELECT s.secret_hash, s.csrf_token, s.created_at AS session_created_at, s.expires_at, \
         {USER_COLUMNS_U} FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.secret_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
    );
    let row = sqlx::query(&sql)
        .bind(secret_hash)
        .bind(ts_text(now))
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    row.map(|row| {
        Ok(SessionRecord {
            secret_hash: get(&row, "secret_hash")?,
            user: user_from(&row)?,
            csrf_token: get(&row, "csrf_token")?,
            created_at: codec::ts(&row, "session_created_at")?,
            expires_at: codec::ts(&row, "expires_at")?,
        })
    })
    .transpose()
}

pub(crate) async fn delete_session(conn: &mut AnyConnection, secret_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE secret_hash = $1")
        .bind(secret_hash)
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn delete_expired_sessions(
    conn: &mut AnyConnection,
    now: Timestamp,
) -> Result<u64> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(ts_text(now))
        .execute(&mut *conn)
        .await
        .db()?;
    Ok(done.rows_affected())
}

// --- API tokens ---------------------------------------------------------------------------------

const TOKEN_COLUMNS: &str = "id AS token_id, user_id, name, prefix, created_at AS token_created_at, revoked_at, last_used_at";

const TOKEN_COLUMNS_T: &str = "t.id AS token_id, t.user_id, t.name, t.prefix, \
     t.created_at AS token_created_at, t.revoked_at, t.last_used_at";

/// How stale `last_used_at` may get before a use rewrites it: writing on every request would
/// turn every API read into a database write.
const LAST_USED_GRANULARITY: SignedDuration = SignedDuration::from_hours(1);

fn token_from(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: TokenId(get(row, "token_id")?),
        user_id: UserId(get(row, "user_id")?),
        name: get(row, "name")?,
        prefix: get(row, "prefix")?,
        created_at: codec::ts(row, "token_created_at")?,
        revoked_at: codec::opt_ts(row, "revoked_at")?,
        last_used_at: codec::opt_ts(row, "last_used_at")?,
    })
}

pub(crate) async fn create_api_token(
    conn: &mut AnyConnection,
    token: &NewApiToken,
) -> Result<ApiToken> {
    let owner: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
        .bind(token.user_id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    if owner.is_none() {
        return Err(user_not_found(token.user_id));
    }
    let sql = format!(
        "INSERT INTO api_tokens (user_id, name, prefix, secret_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(token.user_id.0)
        .bind(&token.name)
        .bind(&token.prefix)
        .bind(&token.secret_hash)
        .bind(ts_text(codec::now()))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            unique_or_database(e, || {
                "a token with this secret already exists; generate a new secret".to_owned()
            })
        })?;
    token_from(&row)
}

pub(crate) async fn api_tokens(conn: &mut AnyConnection) -> Result<Vec<ApiToken>> {
    let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await.db()?;
    rows.iter().map(token_from).collect()
}

pub(crate) async fn api_token_user(
    conn: &mut AnyConnection,
    secret_hash: &str,
) -> Result<Option<(ApiToken, User)>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS_T}, {USER_COLUMNS_U} FROM api_tokens t \
         JOIN users u ON u.id = t.user_id \
         WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL"
    );
    let row = sqlx::query(&sql)
        .bind(secret_hash)
        .fetch_optional(&mut *conn)
        .await
        .db()?;
    let Some(row) = row else { return Ok(None) };
    let mut token = token_from(&row)?;
    let user = user_from(&row)?;
    let now = codec::now();
    let due = token
        .last_used_at
        .is_none_or(|last| now.duration_since(last) >= LAST_USED_GRANULARITY);
    if due {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(ts_text(now))
            .bind(token.id.0)
            .execute(&mut *conn)
            .await
            .db()?;
        token.last_used_at = Some(now);
    }
    Ok(Some((token, user)))
}

pub(crate) async fn revoke_api_token(conn: &mut AnyConnection, id: TokenId) -> Result<ApiToken> {
    // Revoking twice keeps the first revocation time.
    let sql = format!(
        "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 \
         RETURNING {TOKEN_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(ts_text(codec::now()))
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| StoreError::NotFound {
            what: "API token",
            id: id.to_string(),
        })?;
    token_from(&row)
}

// --- Set-up links -------------------------------------------------------------------------------

pub(crate) async fn create_setup_link(conn: &mut AnyConnection, link: &SetupLink) -> Result<()> {
    sqlx::query(
        "INSERT INTO setup_links (secret_hash, expires_at, created_at) VALUES ($1, $2, $3)",
    )
    .bind(&link.secret_hash)
    .bind(ts_text(link.expires_at))
    .bind(ts_text(codec::now()))
    .execute(&mut *conn)
    .await
    .map_err(|e| unique_or_database(e, || "this set-up link already exists".to_owned()))?;
    Ok(())
}

pub(crate) async fn consume_setup_link(
    conn: &mut AnyConnection,
    secret_hash: &str,
    now: Timestamp,
    admin: &NewUser,
) -> Result<User> {
    let row = sqlx::query("SELECT expires_at, used_at FROM setup_links WHERE secret_hash = $1")
        .bind(secret_hash)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| StoreError::NotFound {
            what: "set-up link",
            id: "(this address)".to_owned(),
        })?;
    let expires_at = codec::ts(&row, "expires_at")?;
    if codec::opt_ts(&row, "used_at")?.is_some() {
        return Err(StoreError::Conflict(
            "this set-up link was already used; sign in with the account it created".to_owned(),
        ));
    }
    if expires_at <= now {
        return Err(StoreError::Conflict(format!(
            "this set-up link expired at {}; create a new one on the server",
            ts_text(expires_at)
        )));
    }
    if count_users(conn).await? > 0 {
        return Err(StoreError::Conflict(
            "an administrator already exists, so set-up links no longer work; ask them for an account"
                .to_owned(),
        ));
    }
    let user = create_user(conn, admin).await?;
    let marked = sqlx::query(
        "UPDATE setup_links SET used_at = $1 WHERE secret_hash = $2 AND used_at IS NULL",
    )
    .bind(ts_text(now))
    .bind(secret_hash)
    .execute(&mut *conn)
    .await
    .map_err(database)?;
    if marked.rows_affected() != 1 {
        return Err(StoreError::Conflict(
            "this set-up link was already used; sign in with the account it created".to_owned(),
        ));
    }
    Ok(user)
}
