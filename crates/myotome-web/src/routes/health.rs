//! `GET /healthz`: for load balancers and monitoring. Answers only after a cheap round trip to
//! the database, so "ok" means the server can actually serve.

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::wire::admin::HealthOut;
use axum::Json;
use axum::extract::State;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz))
}

/// Whether the server and its database answer.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    security(()),
    responses(
        (status = 200, description = "Serving", body = HealthOut),
        (status = 503, description = "The database cannot be reached", body = ErrorBody),
    )
)]
async fn healthz(State(state): State<AppState>) -> Result<Json<HealthOut>, ApiError> {
    match state.store.count_users().await {
        Ok(_) => Ok(Json(HealthOut { status: "ok" })),
        Err(error) => {
            tracing::error!(%error, "health check: the database does not answer");
            Err(ApiError::Unavailable)
        }
    }
}
