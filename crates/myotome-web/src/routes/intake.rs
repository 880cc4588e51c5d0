//! Candidate forms entered by the clinic: the yes/no answers and reported conditions, checked
//! against the terminology's questions and indication concepts.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::validate::{Check, MAX_LONG_TEXT};
use crate::wire::records::{IntakeIn, IntakeOut};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_core::facts::IntakeAnswers;
use myotome_core::terminology::{ConceptKind, Terminology};
use myotome_store::{IntakeChannel, NewIntake, PatientId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_intakes, add_intake))
}

/// The patient's candidate forms, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/intake",
    tag = "records",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Candidate forms, newest first", body = [IntakeOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_intakes(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<IntakeOut>>, ApiError> {
    let forms = state.store.intakes(&auth.actor, PatientId(id)).await?;
    Ok(Json(forms.iter().map(IntakeOut::from).collect()))
}

/// Records a candidate form as the patient answered it.
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/intake",
    tag = "records",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = IntakeIn,
    responses(
        (status = 201, description = "Recorded", body = IntakeOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "An unknown question or condition", body = ErrorBody),
    )
)]
async fn add_intake(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<IntakeIn>,
) -> Result<(StatusCode, Json<IntakeOut>), ApiError> {
    let intake = checked_intake(&state.data.terminology, input, IntakeChannel::Staff)?;
    let form = state
        .store
        .add_intake(&auth.actor, PatientId(id), &intake)
        .await?;
    Ok((StatusCode::CREATED, Json(IntakeOut::from(&form))))
}

/// Checks a candidate form's answers and reported conditions against the terminology and
/// its note's length, and gives the form to store. Shared by the API (forms entered by the
/// clinic) and the public candidate form page.
pub(crate) fn checked_intake(
    terminology: &Terminology,
    input: IntakeIn,
    channel: IntakeChannel,
) -> Result<NewIntake, ApiError> {
    let mut check = Check::new();
    let questions: Vec<&str> = terminology
        .intake_questions()
        .iter()
        .map(|q| q.id.as_str())
        .collect();
    for question in input.answers.keys() {
        if terminology.intake_question(question).is_none() {
            check.add(
                format!("answers.{question}"),
                format!(
                    "is not a candidate-form question; the questions are: {}",
                    questions.join(", ")
                ),
            );
        }
    }
    for (i, condition) in input.reported_conditions.iter().enumerate() {
        let is_indication = terminology
            .concept(condition)
            .is_some_and(|c| c.kind == ConceptKind::Indication);
        if !is_indication {
            let indications: Vec<&str> = terminology
                .concepts()
                .filter(|c| c.kind == ConceptKind::Indication)
                .map(|c| c.id.as_str())
                .collect();
            check.add(
                format!("reported_conditions[{i}]"),
                format!(
                    "`{condition}` is not an indication concept; use one of: {}",
                    indications.join(", ")
                ),
            );
        }
    }
    if let Some(note) = &input.note {
        check.paragraph("note", note, MAX_LONG_TEXT);
    }
    check.finish()?;
    // The same validation the core applies to every intake, as the last word.
    let answers = IntakeAnswers::new(
        input.answers.clone(),
        input.reported_conditions.clone(),
        terminology,
    )
    .map_err(|errors| ApiError::field("answers", errors.join("; ")))?;
    Ok(NewIntake {
        answers: answers.answers().map(|(q, a)| (q.to_owned(), a)).collect(),
        reported_conditions: answers.reported_conditions().to_vec(),
        note: input.note,
        channel,
    })
}
