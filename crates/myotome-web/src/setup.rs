//! First-run set-up: the one-time link `myotome serve` prints while no user exists, the small
//! HTML page behind it that creates the first admin, and the same as JSON for scripts.
//!
//! The link's secret is 32 random bytes, valid 24 hours; only its SHA-256 is stored, and the
//! store creates the admin and marks the link used in one transaction, so a link works once.

use crate::credentials::random;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::secret::sha256_hex;
use crate::state::AppState;
use crate::ui::layout::Chrome;
use crate::ui::render::html;
use crate::validate::Check;
use crate::wire::admin::{SetupIn, UserOut};
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use jiff::{SignedDuration, Timestamp};
use myotome_clinic::access::new_password_hash;
use myotome_store::{NewUser, Role, SetupLink, Store, StoreError, User};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How long a set-up link works.
const LINK_VALID_FOR: SignedDuration = SignedDuration::from_hours(24);

/// Creates a one-time set-up link valid for 24 hours from `now`; returns the secret to put in
/// `/setup?token=SECRET`.
pub async fn create_setup_link(store: &dyn Store, now: Timestamp) -> Result<String, StoreError> {
    let secret = random("cannot create a set-up link secret")?;
    let expires_at = now
        .checked_add(LINK_VALID_FOR)
        .map_err(|e| StoreError::Database(Box::new(e)))?;
    store
        .create_setup_link(&SetupLink {
            secret_hash: sha256_hex(&secret),
            expires_at,
        })
        .await?;
    Ok(secret)
}

/// The HTML page (not part of the JSON API's document).
pub fn page_routes() -> Router<AppState> {
    Router::new().route("/setup", get(setup_page).post(setup_submit))
}

/// The JSON twin, for scripts.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(setup_api))
}

/// The page wears the clinic UI's frame (`ui/base.html`, the frame of a signed-out viewer) and
/// is sent like every UI page, with its Content Security Policy (this server's stylesheet and
/// script only, forms posting only here). The secret in the address reaches no other site:
/// the page loads nothing from elsewhere and its referrer policy is same-origin.
#[derive(Template)]
#[template(path = "setup.html")]
struct SetupPage<'a> {
    chrome: Chrome,
    title: &'a str,
    token: &'a str,
    username: &'a str,
    display_name: &'a str,
    error: Option<String>,
    show_form: bool,
    created: Option<String>,
}

impl SetupPage<'_> {
    fn respond(&self, status: StatusCode) -> Response {
        html(status, self)
    }
}

fn message_page(status: StatusCode, message: String) -> Response {
    SetupPage {
        chrome: Chrome::anonymous(),
        title: TITLE,
        token: "",
        username: "",
        display_name: "",
        error: Some(message),
        show_form: false,
        created: None,
    }
    .respond(status)
}

/// The page's title (the frame adds "— Myotome").
const TITLE: &str = "First-run set-up";

const ALREADY_SET_UP: &str =
    "Myotome is already set up: users exist. Sign in, or ask an administrator for an account.";

#[derive(Debug, Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

async fn setup_page(
    State(state): State<AppState>,
    query: Result<Query<SetupQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let token = query.ok().and_then(|Query(q)| q.token).unwrap_or_default();
    match state.store.count_users().await {
        Ok(0) => {}
        Ok(_) => return message_page(StatusCode::GONE, ALREADY_SET_UP.to_owned()),
        Err(e) => return ApiError::from(e).into_response(),
    }
    if token.is_empty() {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Open the one-time link that `myotome serve` printed (it ends in ?token=…), or create the first admin with `myotome user add NAME --role admin`.".to_owned(),
        );
    }
    SetupPage {
        chrome: Chrome::anonymous(),
        title: TITLE,
        token: &token,
        username: "",
        display_name: "",
        error: None,
        show_form: true,
        created: None,
    }
    .respond(StatusCode::OK)
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    username: String,
    display_name: String,
    password: String,
}

async fn setup_submit(
    State(state): State<AppState>,
    form: Result<Form<SetupForm>, FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(form) => form,
        Err(rejection) => {
            let error = ApiError::from(rejection);
            return message_page(error.status(), error.message());
        }
    };
    let input = SetupIn {
        token: form.token,
        username: form.username,
        display_name: form.display_name,
        password: form.password,
    };
    match create_first_admin(&state, &input).await {
        Ok(user) => SetupPage {
            chrome: Chrome::anonymous(),
            title: TITLE,
            token: "",
            username: "",
            display_name: "",
            error: None,
            show_form: false,
            created: Some(user.username),
        }
        .respond(StatusCode::CREATED),
        Err(error) => {
            // Field problems can be fixed on the same form; a dead link cannot.
            let show_form = matches!(error, ApiError::Invalid { .. });
            SetupPage {
                chrome: Chrome::anonymous(),
                title: TITLE,
                token: &input.token,
                username: &input.username,
                display_name: &input.display_name,
                error: Some(error.message()),
                show_form,
                created: None,
            }
            .respond(error.status())
        }
    }
}

/// Creates the first admin with a set-up link (JSON, for scripts).
#[utoipa::path(
    post,
    path = "/api/v1/setup",
    tag = "session",
    security(()),
    request_body = SetupIn,
    responses(
        (status = 201, description = "The first admin is created; the link is used up", body = UserOut),
        (status = 404, description = "The link is not valid", body = ErrorBody),
        (status = 409, description = "The link is used or expired, or users exist already", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn setup_api(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SetupIn>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let user = create_first_admin(&state, &input).await?;
    Ok((StatusCode::CREATED, Json(UserOut::from(&user))))
}

async fn create_first_admin(state: &AppState, input: &SetupIn) -> Result<User, ApiError> {
    let store = state.store.as_ref();
    let mut check = Check::new();
    if input.token.trim().is_empty() {
        check.add("token", "is empty; use the link `myotome serve` printed");
    }
    check.username("username", &input.username);
    check.display_name("display_name", &input.display_name);
    check.finish()?;
    if store.count_users().await? > 0 {
        return Err(ApiError::Conflict(ALREADY_SET_UP.to_owned()));
    }
    let password_hash =
        new_password_hash(state.sign_in.as_ref(), "password", input.password.clone()).await?;
    let admin = NewUser {
        username: input.username.clone(),
        display_name: input.display_name.clone(),
        role: Role::Admin,
        password_hash,
    };
    store
        .consume_setup_link(&sha256_hex(input.token.trim()), Timestamp::now(), &admin)
        .await
        .map_err(|error| match error {
            StoreError::NotFound { .. } => ApiError::NotFound(
                "This set-up link is not valid; use the exact link `myotome serve` printed, or restart the server for a new one.".to_owned(),
            ),
            other => ApiError::from(other),
        })
}
