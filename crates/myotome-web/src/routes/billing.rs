//! Billing over HTTP: a visit's superbill as JSON. The rules are the use case's
//! ([`myotome_clinic::billing`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::billing::SuperbillOut;
use axum::Json;
use axum::extract::State;
use myotome_store::AppointmentId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(superbill))
}

/// The visit's superbill: the codes its signed note supports (with the clinician's changes),
/// each with modifiers, units, diagnosis pointers and its charge from the fee schedule; the
/// pair edits the lines break; the total and the coverage note.
#[utoipa::path(get, path = "/api/v1/appointments/{id}/superbill", tag = "billing",
    params(("id" = i64, Path, description = "Appointment id")),
    responses(
        (status = 200, description = "The superbill", body = SuperbillOut),
        (status = 404, description = "No such visit", body = ErrorBody),
    ))]
async fn superbill(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SuperbillOut>, ApiError> {
    let bill = myotome_clinic::billing::superbill(&state.clinic, &auth.clinic(), AppointmentId(id))
        .await?;
    Ok(Json(SuperbillOut::from(&bill)))
}
