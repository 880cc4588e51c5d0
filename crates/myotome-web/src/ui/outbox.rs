//! E-mailed questionnaire links in the clinic's pages.
//!
//! - `POST /outcomes/requests/{id}/email`: sends the request's link to the address on the
//!   patient's chart — the link and the message are written together, and the mail loop is
//!   woken to send it — then returns to the patient's outcomes, which say it was queued.
//! - `/outcomes/outbox`: the latest messages with where each stands (waiting, sent, or failed
//!   with the mail server's words), so staff know whom to call instead.
//!
//! The rules are the use case's ([`myotome_clinic::outbox`]).

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::outbox;
use myotome_store::{Mail, MailState, OutcomeRequestId};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/outcomes/requests/{id}/email", post(email_link))
        .route("/outcomes/outbox", get(outbox_page))
}

/// What staff are told when the server has no mail server to send through.
pub const NOT_SET_UP: &str = "e-mail is not set up on this server (myotome serve --smtp-url and --mail-from); give the patient the printed link instead.";

async fn email_link(
    page: Page<need::OutcomeWrite>,
    State(state): State<AppState>,
    headers: HeaderMap,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = OutcomeRequestId(id_in_path(&id, "questionnaire request").map_err(in_page(viewer))?);
    if state.mailer.is_none() {
        return Err(in_page(viewer)(ApiError::Conflict(NOT_SET_UP.to_owned())));
    }
    let queued = outbox::email_link(
        &state.clinic,
        &viewer.clinic(),
        id,
        &state.public_base(&headers),
    )
    .await
    .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    state.mail_waiting.notify_one();
    Ok(see_other(&format!(
        "/patients/{}/outcomes?emailed={}#request-{}",
        queued.link.request.patient_id, queued.mail, id
    )))
}

/// A message as the pages list it.
pub struct MailRow {
    pub id: i64,
    pub patient_href: String,
    pub recipient: String,
    pub subject: String,
    pub queued: String,
    /// `waiting`, `sent` or `failed`.
    pub state: &'static str,
    pub detail: String,
}

pub fn mail_row(viewer: &Viewer, mail: &Mail) -> MailRow {
    let tries = match mail.attempts {
        0 => String::new(),
        1 => "tried once".to_owned(),
        n => format!("tried {n} times"),
    };
    let (state, detail) = match mail.state {
        MailState::Sent => (
            "sent",
            mail.sent_at
                .map(|at| format!("accepted by the mail server {}", viewer.time(at)))
                .unwrap_or_default(),
        ),
        MailState::Queued => (
            "waiting",
            match &mail.last_error {
                Some(error) => format!(
                    "{tries}; next try {}; the mail server said: {error}",
                    viewer.time(mail.next_attempt_at)
                ),
                None => "goes within a minute".to_owned(),
            },
        ),
        MailState::Failed => (
            "failed",
            format!(
                "{tries}, then given up; the mail server said: {}. Call the patient or send a new link",
                mail.last_error.as_deref().unwrap_or("nothing")
            ),
        ),
    };
    MailRow {
        id: mail.id.0,
        patient_href: format!("/patients/{}/outcomes", mail.patient_id),
        recipient: mail.recipient.clone(),
        subject: mail.subject.clone(),
        queued: viewer.time(mail.created_at),
        state,
        detail,
    }
}

#[derive(Template)]
#[template(path = "ui/outcomes/outbox.html")]
struct OutboxPage {
    chrome: Chrome,
    title: &'static str,
    server: Option<String>,
    rows: Vec<MailRow>,
    limit: u32,
}

async fn outbox_page(
    page: Page<need::OutcomeRead>,
    State(state): State<AppState>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let messages = outbox::messages(&state.clinic, &viewer.clinic(), None)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(ok(&OutboxPage {
        chrome: Chrome::for_viewer(viewer, "/outcomes"),
        title: "Outbox",
        server: state.mailer.as_ref().map(|m| m.server().to_owned()),
        rows: messages.iter().map(|m| mail_row(viewer, m)).collect(),
        limit: outbox::OUTBOX_PAGE,
    }))
}
