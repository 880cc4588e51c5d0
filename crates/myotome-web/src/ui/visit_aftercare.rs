//! The patient's aftercare sheet for a treatment visit (`/appointments/{id}/aftercare`): the
//! clinic's name and telephone (clinic settings), the treating clinician, the protocol's
//! aftercare and what the patient may notice (plain words, no citations: the patient's copy),
//! the next visit and when to call. Printed from the browser; the visit's day records that it
//! was given.

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, id_in_path};
use crate::ui::render::{UiError, in_page, ok};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use myotome_clinic::visit_day;
use myotome_core::visit_day::Step;
use myotome_store::{AppointmentId, AppointmentStatus};

pub fn routes() -> Router<AppState> {
    Router::new().route("/appointments/{id}/aftercare", get(aftercare_page))
}

#[derive(Template)]
#[template(path = "ui/calendar/aftercare.html")]
struct AftercareSheet {
    chrome: Chrome,
    title: String,
    id: i64,
    clinic_name: Option<String>,
    clinic_phone: Option<String>,
    patient: String,
    date: String,
    protocol: String,
    clinician: Option<String>,
    aftercare: Vec<String>,
    may_notice: Vec<String>,
    /// "Session 2 of 3 on 2027-03-01 at 09:30".
    next_visit: Option<String>,
    /// Whether the sheet is recorded as given, and when.
    given: Option<String>,
}

async fn aftercare_page(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    let caller = viewer.clinic();
    let day = visit_day::get(&state.clinic, &caller, AppointmentId(id))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let Some(protocol) = &day.protocol else {
        return Err(in_page(viewer)(ApiError::NotFound(
            "This visit belongs to no plan of a protocol in the library, so it has no aftercare to print."
                .to_owned(),
        )));
    };
    let clinic = myotome_clinic::settings::clinic_wide_now(&state.clinic, &caller)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let users = state.store.users().await.map_err(in_page(viewer))?;
    // The treating clinician: who started the procedure, else the one it was booked with.
    let treating = day
        .last(Step::ProcedureStarted)
        .and_then(|s| s.by)
        .or(day.appointment.details.clinician_id);
    let clinician = treating.and_then(|id| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
    });
    let next_visit = myotome_clinic::booking::list(&state.clinic, &caller, day.patient.id)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?
        .into_iter()
        .filter(|a| {
            a.id != day.appointment.id
                && a.details.status == AppointmentStatus::Booked
                && a.details.plan_id == day.appointment.details.plan_id
                && a.details.date >= day.appointment.details.date
        })
        .min_by_key(|a| (a.details.date, a.details.start_time.clone()))
        .map(|a| match &a.details.start_time {
            Some(time) => format!("{} on {} at {time}", a.details.label, a.details.date),
            None => format!("{} on {}", a.details.label, a.details.date),
        });
    let details = &day.patient.details;
    Ok(ok(&AftercareSheet {
        chrome: Chrome::for_viewer(viewer, "/calendar"),
        title: format!("Aftercare — {}", details.family_name),
        id,
        clinic_name: clinic.name,
        clinic_phone: clinic.phone,
        patient: format!("{} {}", details.given_names, details.family_name),
        date: day.appointment.details.date.to_string(),
        protocol: protocol.title.clone(),
        clinician,
        aftercare: protocol.aftercare.iter().map(|s| s.text.clone()).collect(),
        may_notice: protocol
            .side_effects
            .iter()
            .map(|s| s.text.clone())
            .collect(),
        next_visit,
        given: day
            .last(Step::AftercareGiven)
            .map(|s| viewer.time(s.step.at)),
    }))
}
