//! Outcome questionnaires over HTTP: a patient's requests and scores, sending a link,
//! entering answers given by telephone or at the clinic, a plan's requests made, and the work
//! list with its response rates. The patient's own page (`/q/{token}`) is HTML only
//! ([`crate::ui::outcomes`]). The rules are the use case's ([`myotome_clinic::outcomes`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::outcomes::{
    AnswersIn, CohortReportOut, EmailedOut, LinkOut, OutcomeRequestOut, ReportQuery,
    ResponseRateOut, ScheduledOut, SurgeryIn, SurgeryOut, ToChaseOut, WithdrawIn, WorkListOut,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use myotome_clinic::ClinicError;
use myotome_clinic::outcomes::{self, EnteredAnswers};
use myotome_store::{OutcomeRequestId, PatientId, PlanId, ResponseMode};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(patient_outcomes))
        .routes(routes!(schedule))
        .routes(routes!(send_link))
        .routes(routes!(email_link))
        .routes(routes!(enter_answers))
        .routes(routes!(work_list))
        .routes(routes!(report))
        .routes(routes!(record_surgery))
        .routes(routes!(withdraw_surgery))
}

/// A patient's questionnaires, in due order, each answered one with its scores against the
/// plan's baseline and the instrument's responder rule.
#[utoipa::path(get, path = "/api/v1/patients/{id}/outcomes", tag = "outcomes",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The patient's questionnaires", body = [OutcomeRequestOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    ))]
async fn patient_outcomes(
    auth: Authorized<need::OutcomeRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<OutcomeRequestOut>>, ApiError> {
    let caller = auth.clinic();
    // A chart that does not exist is a 404, not an empty list.
    myotome_clinic::patients::get(&state.clinic, &caller, PatientId(id)).await?;
    let views = outcomes::patient_outcomes(&state.clinic, &caller, PatientId(id)).await?;
    Ok(Json(views.iter().map(OutcomeRequestOut::from).collect()))
}

/// Makes the plan's questionnaire requests not made yet (a plan made before outcomes were
/// recorded, or after the clinic set a window its schedule lacked).
#[utoipa::path(post, path = "/api/v1/plans/{id}/outcome-requests", tag = "outcomes",
    params(("id" = i64, Path, description = "Plan id")),
    responses(
        (status = 200, description = "How many requests were added", body = ScheduledOut),
        (status = 404, description = "No such plan", body = ErrorBody),
    ))]
async fn schedule(
    auth: Authorized<need::OutcomeWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ScheduledOut>, ApiError> {
    let added = outcomes::schedule(&state.clinic, &auth.clinic(), PlanId(id)).await?;
    Ok(Json(ScheduledOut { added }))
}

/// Sends the questionnaire as a new link (any earlier one stops opening). The token is in the
/// answer once; the server keeps only its hash. Never cached.
#[utoipa::path(post, path = "/api/v1/outcome-requests/{id}/link", tag = "outcomes",
    params(("id" = i64, Path, description = "Questionnaire request id")),
    responses(
        (status = 201, description = "The link, shown once", body = LinkOut),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already answered", body = ErrorBody),
    ))]
async fn send_link(
    auth: Authorized<need::OutcomeWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let link = outcomes::send_link(&state.clinic, &auth.clinic(), OutcomeRequestId(id)).await?;
    let mut response = (
        StatusCode::CREATED,
        Json(LinkOut::new(&link, state.clinic.clock.today())),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Sends the questionnaire as a new link by e-mail to the address on the patient's chart (any
/// earlier link stops opening). The link and the message are written together; the server's
/// mail loop sends it within a minute, and the outbox says when the mail server took it. The
/// token is never in the answer.
#[utoipa::path(post, path = "/api/v1/outcome-requests/{id}/email", tag = "outcomes",
    params(("id" = i64, Path, description = "Questionnaire request id")),
    responses(
        (status = 202, description = "In the outbox", body = EmailedOut),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already answered, no usable e-mail address on the chart, or e-mail not set up on this server", body = ErrorBody),
    ))]
async fn email_link(
    auth: Authorized<need::OutcomeWrite>,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<(StatusCode, Json<EmailedOut>), ApiError> {
    if state.mailer.is_none() {
        return Err(ApiError::Conflict(crate::ui::outbox::NOT_SET_UP.to_owned()));
    }
    let queued = myotome_clinic::outbox::email_link(
        &state.clinic,
        &auth.clinic(),
        OutcomeRequestId(id),
        &state.public_base(&headers),
    )
    .await?;
    state.mail_waiting.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(EmailedOut::new(&queued, state.clinic.clock.today())),
    ))
}

/// Answers the patient gave by telephone (`phone`) or at the clinic (`in_person`), entered by
/// the signed-in staff member and marked so. Written once.
#[utoipa::path(post, path = "/api/v1/outcome-requests/{id}/answers", tag = "outcomes",
    params(("id" = i64, Path, description = "Questionnaire request id")), request_body = AnswersIn,
    responses(
        (status = 201, description = "Stored and scored", body = OutcomeRequestOut),
        (status = 404, description = "No such request", body = ErrorBody),
        (status = 409, description = "Already answered", body = ErrorBody),
        (status = 422, description = "An answer is not one the question offers, or none was given", body = ErrorBody),
    ))]
async fn enter_answers(
    auth: Authorized<need::OutcomeWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AnswersIn>,
) -> Result<(StatusCode, Json<OutcomeRequestOut>), ApiError> {
    let mode = match ResponseMode::parse(&input.mode) {
        Some(mode @ (ResponseMode::Phone | ResponseMode::InPerson)) => mode,
        _ => {
            return Err(ClinicError::field(
                "mode",
                "is not phone or in_person; say how the patient gave the answers",
            )
            .into());
        }
    };
    let caller = auth.clinic();
    let request = outcomes::enter_answers(
        &state.clinic,
        &caller,
        OutcomeRequestId(id),
        &EnteredAnswers {
            mode,
            answers: input
                .answers
                .into_iter()
                .map(|(field, value)| (field, value.to_string()))
                .collect(),
        },
    )
    .await?;
    // Scores are set against the baseline, so the answer is read back with the patient's list.
    let all = outcomes::patient_outcomes(&state.clinic, &caller, request.patient_id).await?;
    let view = all
        .iter()
        .find(|v| v.request.id == request.id)
        .ok_or_else(|| {
            ApiError::from(ClinicError::NotFound(format!(
                "questionnaire request {id} is no longer on the patient's chart"
            )))
        })?;
    Ok((StatusCode::CREATED, Json(OutcomeRequestOut::from(view))))
}

/// Questionnaires due and overdue (longest overdue first), and each timepoint's response rate
/// with its Wilson 95 % interval.
#[utoipa::path(get, path = "/api/v1/outcomes/work-list", tag = "outcomes",
    responses(
        (status = 200, description = "The work list", body = WorkListOut),
    ))]
async fn work_list(
    auth: Authorized<need::OutcomeRead>,
    State(state): State<AppState>,
) -> Result<Json<WorkListOut>, ApiError> {
    let list = outcomes::work_list(&state.clinic, &auth.clinic()).await?;
    Ok(Json(WorkListOut {
        to_chase: list.to_chase.iter().map(ToChaseOut::from).collect(),
        response_rates: list.rates.iter().map(ResponseRateOut::from).collect(),
    }))
}

/// The cohort report of one protocol: per timepoint the response rate, each score's median,
/// the median improvement from baseline and the responders (Wilson 95 % intervals); each
/// claim of the protocol beside the clinic's responder rate.
#[utoipa::path(get, path = "/api/v1/outcomes/report", tag = "outcomes", params(ReportQuery),
    responses(
        (status = 200, description = "The report", body = CohortReportOut),
        (status = 422, description = "An unknown protocol, or an unreadable date", body = ErrorBody),
    ))]
async fn report(
    auth: Authorized<need::OutcomeRead>,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ReportQuery>,
) -> Result<Json<CohortReportOut>, ApiError> {
    // Absent is "any"; a present one must be a date, an empty one included (the document
    // gives the parameter a date's format).
    let date =
        |field: &str, text: &Option<String>| -> Result<Option<jiff::civil::Date>, ApiError> {
            match text.as_deref().map(str::trim) {
                None => Ok(None),
                Some(text) => myotome_clinic::validate::parse_date(text)
                    .map(Some)
                    .map_err(|sentence| ApiError::from(ClinicError::field(field, sentence))),
            }
        };
    let cohort = myotome_clinic::outcome_reports::CohortQuery {
        protocol: query.protocol,
        indication: query.indication.filter(|t| !t.trim().is_empty()),
        region: query.region.filter(|t| !t.trim().is_empty()),
        clinician: query.clinician.map(myotome_store::UserId),
        made_from: date("from", &query.from)?,
        made_until: date("until", &query.until)?,
        product: query.product.map(myotome_store::ProductId),
        lot: query.lot.map(myotome_store::LotId),
    };
    let report =
        myotome_clinic::outcome_reports::cohort(&state.clinic, &auth.clinic(), &cohort).await?;
    Ok(Json(CohortReportOut::from(&report)))
}

/// Records that the plan's patient went on to have surgery (a conversion, counted in the
/// report's time-to-surgery curve): after the plan's first session held, not in the future,
/// once per plan.
#[utoipa::path(post, path = "/api/v1/plans/{id}/surgery", tag = "outcomes",
    params(("id" = i64, Path, description = "Plan id")), request_body = SurgeryIn,
    responses(
        (status = 201, description = "Recorded", body = SurgeryOut),
        (status = 404, description = "No such plan", body = ErrorBody),
        (status = 409, description = "Already recorded for this plan (withdraw it first)", body = ErrorBody),
        (status = 422, description = "No session held yet, a day in the future or before treatment, or no operation named", body = ErrorBody),
    ))]
async fn record_surgery(
    auth: Authorized<need::OutcomeWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<SurgeryIn>,
) -> Result<(StatusCode, Json<SurgeryOut>), ApiError> {
    let recorded = myotome_clinic::surgery::record(
        &state.clinic,
        &auth.clinic(),
        PlanId(id),
        &myotome_clinic::surgery::SurgeryInput {
            surgery_on: input.surgery_on,
            procedure: input.procedure,
            note: input.note.unwrap_or_default(),
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(SurgeryOut::from(&recorded))))
}

/// Withdraws a conversion to surgery recorded in error, with the reason; it stays on the
/// chart, marked so, and leaves the curve.
#[utoipa::path(post, path = "/api/v1/surgical-conversions/{id}/withdraw", tag = "outcomes",
    params(("id" = i64, Path, description = "Conversion id")), request_body = WithdrawIn,
    responses(
        (status = 200, description = "Withdrawn", body = SurgeryOut),
        (status = 404, description = "No such conversion", body = ErrorBody),
        (status = 409, description = "Already withdrawn", body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody),
    ))]
async fn withdraw_surgery(
    auth: Authorized<need::OutcomeWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<WithdrawIn>,
) -> Result<Json<SurgeryOut>, ApiError> {
    let withdrawn = myotome_clinic::surgery::withdraw(
        &state.clinic,
        &auth.clinic(),
        myotome_store::ConversionId(id),
        &input.reason,
    )
    .await?;
    Ok(Json(SurgeryOut::from(&withdrawn)))
}
