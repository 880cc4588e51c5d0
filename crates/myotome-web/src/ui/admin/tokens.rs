//! API tokens: the list, the create form, the one-time secret, and revoking.
//!
//! The secret exists only in the answer to the create form: it is never stored (only its
//! SHA-256 is), never put in a URL, and the answer is marked `no-store` so a browser does not
//! keep it in its cache. The list shows each token's first characters to tell them apart.

use super::at_field;
use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use myotome_clinic::access::{self, NewTokenForm};
use myotome_store::{ApiToken, TokenId, User, UserId};
use serde::Deserialize;

struct TokenRow {
    id: i64,
    name: String,
    /// "Display name (username)", or the id when the user is gone.
    user: String,
    prefix: String,
    created: String,
    last_used: Option<String>,
    revoked: Option<String>,
}

impl TokenRow {
    fn new(token: &ApiToken, users: &[User], viewer: &Viewer) -> Self {
        let user = users.iter().find(|u| u.id == token.user_id).map_or_else(
            || format!("user {}", token.user_id.0),
            |u| format!("{} ({})", u.display_name, u.username),
        );
        TokenRow {
            id: token.id.0,
            name: token.name.clone(),
            user,
            prefix: token.prefix.clone(),
            created: viewer.second(token.created_at),
            last_used: token.last_used_at.map(|at| viewer.second(at)),
            revoked: token.revoked_at.map(|at| viewer.second(at)),
        }
    }
}

struct UserChoice {
    id: i64,
    label: String,
}

#[derive(Template)]
#[template(path = "ui/admin/tokens.html")]
struct ListPage {
    chrome: Chrome,
    title: &'static str,
    tokens: Vec<TokenRow>,
    users: Vec<UserChoice>,
    name: String,
    user_id: String,
    errors: FieldErrors,
    revoked: Option<String>,
}

impl ListPage {
    fn said(&self, field: &str, label: &str) -> Option<String> {
        at_field(&self.errors, field, label)
    }
}

#[derive(Template)]
#[template(path = "ui/admin/token_created.html")]
struct CreatedPage {
    chrome: Chrome,
    title: &'static str,
    token: TokenRow,
    secret: String,
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    revoked: Option<i64>,
}

async fn list(
    state: &AppState,
    viewer: &Viewer,
    name: String,
    user_id: String,
    errors: FieldErrors,
    revoked: Option<i64>,
) -> Result<ListPage, UiError> {
    let users = state.store.users().await.map_err(in_page(viewer))?;
    let tokens = access::tokens(&state.clinic, &viewer.clinic())
        .await
        .map_err(in_page(viewer))?;
    let revoked =
        revoked.and_then(|id| tokens.iter().find(|t| t.id.0 == id).map(|t| t.name.clone()));
    Ok(ListPage {
        chrome: Chrome::for_viewer(viewer, "/admin/tokens"),
        title: "API tokens",
        tokens: tokens
            .iter()
            .map(|t| TokenRow::new(t, &users, viewer))
            .collect(),
        users: users
            .iter()
            .filter(|u| !u.disabled)
            .map(|u| UserChoice {
                id: u.id.0,
                label: format!("{} ({}, {})", u.display_name, u.username, u.role.as_str()),
            })
            .collect(),
        name,
        user_id,
        errors,
        revoked,
    })
}

pub(super) async fn list_page(
    page: Page<need::TokenAdmin>,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let view = list(
        &state,
        &page,
        String::new(),
        String::new(),
        FieldErrors::none(),
        query.revoked,
    )
    .await?;
    Ok(ok(&view))
}

/// Creates a token and shows its secret, this once.
pub(super) async fn create(
    page: Page<need::TokenAdmin>,
    State(state): State<AppState>,
    fields: Fields,
) -> Result<Response, UiError> {
    let name = fields.get("name").trim().to_owned();
    let user_id = fields.get("user_id").trim().to_owned();
    let refused = |errors: FieldErrors| async {
        let view = list(&state, &page, name.clone(), user_id.clone(), errors, None).await?;
        Ok::<_, UiError>(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
    };
    let Ok(id) = user_id.parse::<i64>() else {
        let mut errors = FieldErrors::none();
        errors.add("user_id", "Choose the user the token acts as.");
        return refused(errors).await;
    };
    let input = NewTokenForm {
        user_id: UserId(id),
        name: name.clone(),
    };
    match access::new_token(&state.clinic, &page.clinic(), &input)
        .await
        .map_err(ApiError::from)
    {
        Ok((token, secret)) => {
            let users = state.store.users().await.map_err(in_page(&page))?;
            let mut response = ok(&CreatedPage {
                chrome: Chrome::for_viewer(&page, "/admin/tokens"),
                title: "API token created",
                token: TokenRow::new(&token, &users, &page),
                secret,
            });
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(response)
        }
        Err(error @ ApiError::Invalid { .. }) => refused(FieldErrors::from_api(&error, &[])).await,
        Err(error) => Err(UiError::new(error, Some(&page))),
    }
}

/// Revokes a token: it stops working at once.
pub(super) async fn revoke(
    page: Page<need::TokenAdmin>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "token").map_err(in_page(&page))?;
    let token = access::revoke_token(&state.clinic, &page.clinic(), TokenId(id))
        .await
        .map_err(in_page(&page))?;
    Ok(see_other(&format!("/admin/tokens?revoked={}", token.id.0)))
}
