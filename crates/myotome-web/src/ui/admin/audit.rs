//! The audit trail of one patient, and the check of the whole hash chain.
//!
//! Admins cannot open charts, so the page asks for the patient's id number rather than linking
//! from a chart; reading the trail is itself audited (the store does it). Verifying walks every
//! row and says in plain words whether the chain is intact (with the head to record outside
//! the server) or where it first breaks.

use super::at_field;
use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::Page;
use crate::ui::page::Viewer;
use crate::ui::render::{UiError, html, in_page, ok};
use crate::wire::admin::ChainCheckOut;
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use myotome_clinic::{ClinicError, audit};
use myotome_store::{AuditEvent, ChainCheck, PatientId};
use serde::Deserialize;

struct EventRow {
    seq: i64,
    at: String,
    at_rfc3339: String,
    who: String,
    from: String,
    action: String,
    target: Option<String>,
}

impl EventRow {
    fn new(event: &AuditEvent, viewer: &Viewer) -> Self {
        EventRow {
            seq: event.seq,
            at: viewer.second(event.at),
            at_rfc3339: event.at.to_string(),
            who: event.actor_name.clone(),
            from: event.from.clone(),
            action: event.action.clone(),
            target: event.target.clone(),
        }
    }
}

/// The result of a chain check, for the page.
struct Verification {
    intact: bool,
    message: String,
    /// Intact: the last row and its hash, to record outside the server.
    head: Option<(u64, String)>,
}

impl From<&ChainCheck> for Verification {
    fn from(check: &ChainCheck) -> Self {
        Verification {
            intact: matches!(check, ChainCheck::Intact { .. }),
            // The API's sentence, so the page and `GET /api/v1/audit/verify` say the same.
            message: ChainCheckOut::from(check).message,
            head: match check {
                ChainCheck::Intact { rows, head_hash } => Some((*rows, head_hash.clone())),
                ChainCheck::Broken { .. } => None,
            },
        }
    }
}

#[derive(Template)]
#[template(path = "ui/admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    title: &'static str,
    /// What was typed in the patient box.
    patient: String,
    /// The trail, when a patient was asked for and found.
    events: Option<Vec<EventRow>>,
    errors: FieldErrors,
    verification: Option<Verification>,
}

impl AuditPage {
    fn said(&self) -> Option<String> {
        at_field(&self.errors, "patient", "Patient id number")
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct TrailQuery {
    patient: Option<String>,
}

/// The page with the trail of `patient` (when one is given) and `verification` (when run).
async fn page_for(
    state: &AppState,
    viewer: &Viewer,
    patient: &str,
    verification: Option<Verification>,
) -> Result<Response, UiError> {
    let mut view = AuditPage {
        chrome: Chrome::for_viewer(viewer, "/admin/audit"),
        title: "Audit trail",
        patient: patient.to_owned(),
        events: None,
        errors: FieldErrors::none(),
        verification,
    };
    if patient.is_empty() {
        return Ok(ok(&view));
    }
    let Some(id) = patient.parse::<i64>().ok().filter(|id| *id > 0) else {
        view.errors.add(
            "patient",
            format!(
                "“{patient}” is not a patient id number; type the number shown on the chart or in the API, e.g. 42"
            ),
        );
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view));
    };
    match audit::trail(&state.clinic, &viewer.clinic(), PatientId(id)).await {
        Ok(events) => {
            view.events = Some(events.iter().map(|e| EventRow::new(e, viewer)).collect());
            Ok(ok(&view))
        }
        Err(ClinicError::NotFound(_)) => {
            view.errors.add(
                "patient",
                format!(
                    "There is no patient with the id number {id}; check the number and try again."
                ),
            );
            Ok(html(StatusCode::NOT_FOUND, &view))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}

pub(super) async fn trail_page(
    page: Page<need::AuditRead>,
    State(state): State<AppState>,
    query: Result<Query<TrailQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let patient = query.patient.unwrap_or_default();
    page_for(&state, &page, patient.trim(), None).await
}

/// Walks the whole chain and shows the answer (with the patient's trail, if one was open).
pub(super) async fn verify(
    page: Page<need::AuditRead>,
    State(state): State<AppState>,
    fields: Fields,
) -> Result<Response, UiError> {
    let check = audit::verify(&state.clinic, &page.clinic())
        .await
        .map_err(in_page(&page))?;
    page_for(
        &state,
        &page,
        fields.get("patient").trim(),
        Some(Verification::from(&check)),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_chain_names_the_first_bad_row_and_what_to_do() {
        let view = AuditPage {
            chrome: Chrome::anonymous(),
            title: "Audit trail",
            patient: String::new(),
            events: None,
            errors: FieldErrors::none(),
            verification: Some(Verification::from(&ChainCheck::Broken {
                seq: 17,
                rows_checked: 16,
                reason: "the stored hash does not match the row's contents".to_owned(),
            })),
        };
        let html = view.render().expect("the page renders");
        assert!(html.contains(r#"<span class="badge danger">Broken</span>"#));
        assert!(
            html.contains("The audit trail is broken at row 17"),
            "{html}"
        );
        assert!(html.contains("The 16 rows before it are intact"));
        assert!(html.contains("restore from a backup"));
        assert!(!html.contains("Head of the chain"));
    }
}
