//! The clinic's web UI: server-rendered HTML pages (askama templates under `templates/ui/`),
//! one stylesheet and a little script (`static/`), all compiled into the binary.
//!
//! Every page works without JavaScript. Pages reach patient data only through the store with
//! the viewer's [`myotome_store::Actor`], so every read and write is audited exactly as the
//! API's are, and each handler names its permission in its signature
//! ([`page::Page`]`<need::…>`), the same matrix the API uses. Forms are checked with the API's
//! own validation; a rejected form comes back with what was typed and a sentence at each field
//! ([`form`]).

pub mod account;
pub mod admin;
pub mod adverse_events;
pub mod alerts;
pub mod assets;
pub mod billing;
pub mod calendar;
pub mod candidate;
pub mod charts;
pub mod form;
pub mod inventory;
pub mod layout;
pub mod outbox;
pub mod outcomes;
pub mod page;
pub mod patients;
pub mod plans;
pub mod procedure_note;
pub mod protocols;
pub mod recalls;
pub mod render;
pub mod screening;
pub mod settings;
pub mod surgery;
pub mod temperatures;
pub mod today;
pub mod visit_aftercare;
pub mod visit_day;

use crate::error::ApiError;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};

/// Every page of the UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(assets::routes())
        .merge(account::routes())
        .merge(today::routes())
        .merge(patients::routes())
        .merge(screening::routes())
        .merge(settings::routes())
        .merge(candidate::routes())
        .merge(plans::routes())
        .merge(calendar::routes())
        .merge(protocols::routes())
        .merge(inventory::routes())
        .merge(temperatures::routes())
        .merge(visit_day::routes())
        .merge(procedure_note::routes())
        .merge(recalls::routes())
        .merge(outcomes::routes())
        .merge(outbox::routes())
        .merge(surgery::routes())
        .merge(adverse_events::routes())
        .merge(billing::routes())
        .merge(visit_aftercare::routes())
        .merge(admin::routes())
}

/// Unknown paths: a page when a browser asks (it sends `Accept: text/html`) outside `/api/`,
/// the API's JSON answer otherwise (scripts, and anything under `/api/`).
pub async fn not_found(uri: Uri, headers: HeaderMap) -> Response {
    let error = ApiError::NotFound(
        "There is no page at this address; it may have been moved, or the link is mistyped."
            .to_owned(),
    );
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if uri.path().starts_with("/api/") || !wants_page {
        crate::error::not_found().await.into_response()
    } else {
        render::UiError::from(error).into_response()
    }
}
