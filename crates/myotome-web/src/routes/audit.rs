//! The audit trail, for the admin: who read or changed a patient's data, and whether the
//! hash chain over all rows is intact.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiPath;
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::admin::{AuditEventOut, AuditTrailOut, ChainCheckOut};
use axum::Json;
use axum::extract::State;
use myotome_clinic::audit;
use myotome_store::PatientId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(patient_trail))
        .routes(routes!(verify_chain))
}

/// Every read and write of one patient's data, oldest first (this read is audited too).
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/audit",
    tag = "admin",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The trail", body = AuditTrailOut),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn patient_trail(
    auth: Authorized<need::AuditRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AuditTrailOut>, ApiError> {
    let events = audit::trail(&state.clinic, &auth.clinic(), PatientId(id)).await?;
    Ok(Json(AuditTrailOut {
        patient_id: id,
        events: events.iter().map(AuditEventOut::from).collect(),
    }))
}

/// Checks the hash chain over the whole audit trail.
#[utoipa::path(
    get,
    path = "/api/v1/audit/verify",
    tag = "admin",
    responses((status = 200, description = "Whether every row's hash matches; where it breaks if not", body = ChainCheckOut))
)]
async fn verify_chain(
    auth: Authorized<need::AuditRead>,
    State(state): State<AppState>,
) -> Result<Json<ChainCheckOut>, ApiError> {
    let check = audit::verify(&state.clinic, &auth.clinic()).await?;
    Ok(Json(ChainCheckOut::from(&check)))
}
