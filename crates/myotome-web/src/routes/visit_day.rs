//! A treatment visit's day over HTTP: read it, and record a step. The rules are the use
//! case's ([`myotome_clinic::visit_day`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::visit_day::{
    AddendumIn, EnteredInErrorIn, HarvestIn, NoteIn, NoteOut, SignIn, StepIn, VisitDayOut,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::ClinicError;
use myotome_clinic::procedure_notes::{self, NoteForm, SiteForm};
use myotome_clinic::visit_day::{self, StepForm};
use myotome_store::AppointmentId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_day, record_step))
        .routes(routes!(get_note, save_note))
        .routes(routes!(sign_note))
        .routes(routes!(add_addendum))
        .routes(routes!(mark_entered_in_error))
        .routes(routes!(record_harvest))
        .routes(routes!(note_fhir))
}

/// The visit's day: its stage, checklist, anesthetics and wait, observation, safety and steps.
#[utoipa::path(get, path = "/api/v1/appointments/{id}/day", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "The day", body = VisitDayOut),
        (status = 404, description = "No such appointment", body = ErrorBody),
    ))]
async fn get_day(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<VisitDayOut>, ApiError> {
    let day = visit_day::get(&state.clinic, &auth.clinic(), AppointmentId(id)).await?;
    Ok(Json(VisitDayOut::from(&day)))
}

/// Records one step of the day, checked against the steps before it: out of order, before the
/// anesthetic's minimum wait, or (to start the procedure) with checklist items unticked or a
/// re-screen flag and no clinician's reason, it is refused as `step_refused`. Arrival,
/// preparation and ticks are clinicians' and staff's; the rest is a clinician's.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/day", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = StepIn,
    responses(
        (status = 201, description = "Recorded; the day as it now stands", body = VisitDayOut),
        (status = 403, description = "A step of the procedure by someone who is not a clinician", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "The item is already ticked, or the visit has no protocol", body = ErrorBody),
        (status = 422, description = "Not a step or item, or refused now (`step_refused` says why)", body = ErrorBody),
    ))]
async fn record_step(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<StepIn>,
) -> Result<(StatusCode, Json<VisitDayOut>), ApiError> {
    let form = StepForm {
        step: input.step,
        item: input.item.unwrap_or_default(),
        detail: input.detail.unwrap_or_default(),
        reason: input.reason.unwrap_or_default(),
    };
    let day = visit_day::record(&state.clinic, &auth.clinic(), AppointmentId(id), &form).await?;
    Ok((StatusCode::CREATED, Json(VisitDayOut::from(&day))))
}

/// The visit's procedure note: the draft, or the signed note with whether its signature still
/// matches and its addenda in order.
#[utoipa::path(get, path = "/api/v1/appointments/{id}/note", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "The note", body = NoteOut),
        (status = 404, description = "No such appointment, or no note written yet", body = ErrorBody),
    ))]
async fn get_note(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NoteOut>, ApiError> {
    let note = procedure_notes::get(&state.clinic, &auth.clinic(), AppointmentId(id))
        .await?
        .ok_or_else(|| ClinicError::NotFound(format!("Visit {id} has no procedure note yet.")))?;
    Ok(Json(NoteOut::from(&note)))
}

/// Saves the draft note (a clinician's, once the procedure has started): the lot checked as for
/// any use (`lot_refused`), the volume against the plan's (a departure needs `deviation`).
#[utoipa::path(put, path = "/api/v1/appointments/{id}/note", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = NoteIn,
    responses(
        (status = 200, description = "Saved", body = NoteOut),
        (status = 403, description = "Not a clinician", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Signed and locked, changed since read, or the visit has no plan", body = ErrorBody),
        (status = 422, description = "A field is wrong, the lot may not be given, or the procedure has not started", body = ErrorBody),
    ))]
async fn save_note(
    auth: Authorized<need::ProcedurePerform>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NoteIn>,
) -> Result<Json<NoteOut>, ApiError> {
    let text = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    let form = NoteForm {
        version: input.version,
        lot_id: input.lot_id.map(|l| l.to_string()).unwrap_or_default(),
        lot_scan: input.lot_scan.unwrap_or_default(),
        units: input.units.map(|u| u.to_string()).unwrap_or_default(),
        product_volume_ml: text(input.product_volume_ml),
        saline_volume_ml: text(input.saline_volume_ml),
        deviation: input.deviation.unwrap_or_default(),
        sites: input
            .sites
            .into_iter()
            .map(|s| SiteForm {
                structure: s.structure,
                ultrasound: s.ultrasound,
                images_saved: s.images_saved,
                depth_mm: s.depth_mm.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        needle_gauge: input
            .needle_gauge
            .map(|g| g.to_string())
            .unwrap_or_default(),
        needle_length_mm: text(input.needle_length_mm),
        technique: input.technique.unwrap_or_default(),
        response: input.response.unwrap_or_default(),
        complications: input.complications.unwrap_or_default(),
    };
    let note =
        procedure_notes::save(&state.clinic, &auth.clinic(), AppointmentId(id), &form).await?;
    Ok(Json(NoteOut::from(&note)))
}

/// Signs the note (once the procedure has ended): the note whole (`note_incomplete` names what
/// it lacks), the lot checked again and its administration recorded, the visit completed.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/note/sign", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = SignIn,
    responses(
        (status = 200, description = "Signed and locked", body = NoteOut),
        (status = 403, description = "Not a clinician", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Signed already, or changed since read", body = ErrorBody),
        (status = 422, description = "Incomplete, too early, or the lot may no longer be given", body = ErrorBody),
    ))]
async fn sign_note(
    auth: Authorized<need::ProcedurePerform>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SignIn>,
) -> Result<Json<NoteOut>, ApiError> {
    let note = procedure_notes::sign(
        &state.clinic,
        &auth.clinic(),
        AppointmentId(id),
        input.version,
    )
    .await?;
    Ok(Json(NoteOut::from(&note)))
}

/// Adds an addendum to the signed note (author and time recorded; the original never edited).
#[utoipa::path(post, path = "/api/v1/appointments/{id}/note/addenda", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = AddendumIn,
    responses(
        (status = 201, description = "Added", body = NoteOut),
        (status = 403, description = "Not a clinician", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "The note is a draft: change it instead", body = ErrorBody),
        (status = 422, description = "Empty, or no note yet", body = ErrorBody),
    ))]
async fn add_addendum(
    auth: Authorized<need::ProcedurePerform>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AddendumIn>,
) -> Result<(StatusCode, Json<NoteOut>), ApiError> {
    let note = procedure_notes::addendum(
        &state.clinic,
        &auth.clinic(),
        AppointmentId(id),
        &input.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(NoteOut::from(&note))))
}

/// Records the harvest done during the procedure (protocols with a harvest: im-bmc-leg's
/// bone marrow), once: the details go into the note (its draft made if none), and the
/// concentrate becomes the patient's own lot, set as the lot given unless one is chosen.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/note/harvest", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = HarvestIn,
    responses(
        (status = 201, description = "Recorded; the note with its harvest", body = NoteOut),
        (status = 403, description = "Not a clinician", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Recorded already, the protocol harvests nothing, or the note is locked", body = ErrorBody),
        (status = 422, description = "A field is wrong, or the procedure is not under way", body = ErrorBody),
    ))]
async fn record_harvest(
    auth: Authorized<need::ProcedurePerform>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<HarvestIn>,
) -> Result<(StatusCode, Json<NoteOut>), ApiError> {
    let form = myotome_clinic::harvests::HarvestForm {
        product_id: input.product_id.to_string(),
        side: input.side,
        aspirated_ml: input.aspirated_ml.to_string(),
        processing: input.processing,
        concentrate_ml: input.concentrate_ml.to_string(),
        cells_per_ml: input
            .cells_per_ml
            .map(|c| c.to_string())
            .unwrap_or_default(),
        use_by: input.use_by,
    };
    let note =
        myotome_clinic::harvests::record(&state.clinic, &auth.clinic(), AppointmentId(id), &form)
            .await?;
    Ok((StatusCode::CREATED, Json(NoteOut::from(&note))))
}

/// Marks the visit's note entered in error (written on the wrong chart, or for a visit that did
/// not happen), with the reason: the note is kept as it was and takes nothing more.
#[utoipa::path(post, path = "/api/v1/appointments/{id}/note/entered-in-error", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")), request_body = EnteredInErrorIn,
    responses(
        (status = 201, description = "Marked; the note with its mark", body = NoteOut),
        (status = 403, description = "Not a clinician", body = ErrorBody),
        (status = 404, description = "No such appointment", body = ErrorBody),
        (status = 409, description = "Marked already", body = ErrorBody),
        (status = 422, description = "No reason, or no note yet", body = ErrorBody),
    ))]
async fn mark_entered_in_error(
    auth: Authorized<need::ProcedurePerform>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<EnteredInErrorIn>,
) -> Result<(StatusCode, Json<NoteOut>), ApiError> {
    let note = procedure_notes::mark_entered_in_error(
        &state.clinic,
        &auth.clinic(),
        AppointmentId(id),
        &input.reason,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(NoteOut::from(&note))))
}

/// The signed note as a FHIR R4 `Procedure`: the protocol, the patient, when (the day's
/// recorded start and end), the signing clinician, the body sites with their side, the lot
/// given (its `Medication`, `GET /api/v1/lots/{id}/fhir`) and the note's text with its addenda.
#[utoipa::path(get, path = "/api/v1/appointments/{id}/note/fhir", tag = "appointments",
    params(("id" = i64, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "A FHIR R4 Procedure", content_type = "application/fhir+json"),
        (status = 404, description = "No such appointment, or no note", body = ErrorBody),
        (status = 409, description = "The note is a draft: only a signed note is exported", body = ErrorBody),
    ))]
async fn note_fhir(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let caller = auth.clinic();
    let visit = AppointmentId(id);
    let note = procedure_notes::get(&state.clinic, &caller, visit)
        .await?
        .ok_or_else(|| ClinicError::NotFound(format!("Visit {id} has no procedure note yet.")))?;
    let Some(signature) = &note.signature else {
        return Err(ClinicError::Conflict(
            "The note is a draft: only a signed note is exported.".to_owned(),
        )
        .into());
    };
    let day = visit_day::get(&state.clinic, &caller, visit).await?;
    let performer = match signature.by {
        Some(user) => state.store.user(user).await.ok().map(|u| u.display_name),
        None => None,
    };
    let d = &note.document;
    let at = |step| day.last(step).map(|s| s.step.at.to_string());
    let mut notes = vec![
        d.technique.clone(),
        d.response.clone(),
        d.complications.clone(),
    ];
    if let Some(deviation) = &d.deviation {
        notes.push(format!("Dose departs from the plan: {deviation}"));
    }
    if let Some(h) = &d.harvest {
        notes.push(format!(
            "Harvest: {}, {} side(s), {} mL aspirated; {}; {} mL of concentrate (lot {})",
            h.from, h.side, h.aspirated_ml, h.processing, h.concentrate_ml, h.lot_number
        ));
    }
    notes.extend(
        note.addenda
            .iter()
            .map(|a| format!("Addendum ({}): {}", a.at, a.text)),
    );
    if let Some(mark) = &note.entered_in_error {
        notes.push(format!("Entered in error ({}): {}", mark.at, mark.reason));
    }
    let resource = myotome_fhir::export::procedure(&myotome_fhir::export::ProcedureExport {
        visit_id: id,
        patient_id: note.patient_id.0,
        protocol: day
            .protocol
            .as_ref()
            .map_or_else(|| d.protocol.id.clone(), |p| p.title.clone()),
        started: at(myotome_core::visit_day::Step::ProcedureStarted),
        ended: at(myotome_core::visit_day::Step::ProcedureEnded),
        date: day.appointment.details.date,
        performer,
        body_sites: d
            .sites
            .iter()
            .map(|s| {
                let label = state
                    .clinic
                    .data
                    .catalog
                    .structure(&s.structure)
                    .map_or_else(|| s.structure.clone(), |c| c.label.clone());
                match &s.side {
                    Some(side) => format!("{label}, {side}"),
                    None => label,
                }
            })
            .collect(),
        lot: d.lot.as_ref().map(|l| {
            (
                l.lot_id,
                format!("{}, lot {} ({} unit(s))", l.product, l.lot_number, l.units),
            )
        }),
        notes,
        entered_in_error: note.entered_in_error.is_some(),
    });
    Ok(Json(resource))
}
